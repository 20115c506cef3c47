//! Errors: [`Error`] for starting the server, [`ApiError`] for requests, mapped to Confluent's JSON error body
//! `{"error_code": .., "message": ..}` and HTTP status in one place ([`ApiError::status_and_code`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// A request that failed, with Confluent Schema Registry's error code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    #[error("Version {0} not found.")]
    VersionNotFound(String),
    #[error("Schema not found")]
    SchemaNotFound,
    #[error("Schema {0} not found")]
    SchemaIdNotFound(String),
    #[error("Subject '{0}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    #[error("Subject '{0}' Version {1} was soft deleted.Set permanent=true to delete permanently")]
    VersionSoftDeleted(String, i64),
    #[error("Subject '{0}' Version {1} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted(String, i64),
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectConfigNotFound(String),
    #[error("Subject '{0}' does not have subject-level mode configured")]
    SubjectModeNotFound(String),
    /// The full Confluent message, `Schema being registered is incompatible ...`.
    #[error("{0}")]
    Incompatible(String),
    #[error("{0}")]
    InvalidSchema(String),
    #[error(
        "The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion(String),
    #[error(
        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive"
    )]
    InvalidCompatibilityLevel,
    #[error("{0}")]
    InvalidMode(String),
    #[error("{0}")]
    OperationNotPermitted(String),
    #[error("One or more references exist to the schema {{subject={0},version={1}}}.")]
    ReferenceExists(String, i64),
    #[error("The specified subject '{0}' is not a valid.")]
    InvalidSubject(String),
    #[error("Invalid ruleSet: {0}")]
    InvalidRuleSet(String),
    #[error("The specified context '{0}' is not empty.")]
    ContextNotEmpty(String),
    /// Compatibility of this schema type cannot be decided by this build (see `schema_types`).
    #[error("{0}")]
    CompatibilityUnavailable(String),
    /// Unknown route or unparsable path/query value, as JAX-RS reports it.
    #[error("HTTP 404 Not Found")]
    NotFound,
    #[error("HTTP 415 Unsupported Media Type")]
    UnsupportedMediaType,
    /// Malformed JSON body.
    #[error("{0}")]
    BadRequest(String),
    /// Missing body or a body that fails validation outside Confluent's own codes.
    #[error("{0}")]
    Unprocessable(String),
    #[error("Error in the backend data store - {0}")]
    Store(String),
}

impl ApiError {
    /// The HTTP status and Confluent error code of this error.
    pub fn status_and_code(&self) -> (StatusCode, u32) {
        use ApiError::*;
        match self {
            SubjectNotFound(_) => (StatusCode::NOT_FOUND, 40401),
            VersionNotFound(_) => (StatusCode::NOT_FOUND, 40402),
            SchemaNotFound | SchemaIdNotFound(_) => (StatusCode::NOT_FOUND, 40403),
            SubjectSoftDeleted(_) => (StatusCode::NOT_FOUND, 40404),
            SubjectNotSoftDeleted(_) => (StatusCode::NOT_FOUND, 40405),
            VersionSoftDeleted(..) => (StatusCode::NOT_FOUND, 40406),
            VersionNotSoftDeleted(..) => (StatusCode::NOT_FOUND, 40407),
            SubjectConfigNotFound(_) => (StatusCode::NOT_FOUND, 40408),
            SubjectModeNotFound(_) => (StatusCode::NOT_FOUND, 40409),
            Incompatible(_) => (StatusCode::CONFLICT, 40901),
            InvalidSchema(_) | CompatibilityUnavailable(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, 42201)
            }
            InvalidVersion(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42202),
            InvalidCompatibilityLevel => (StatusCode::UNPROCESSABLE_ENTITY, 42203),
            InvalidMode(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42204),
            OperationNotPermitted(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42205),
            ReferenceExists(..) => (StatusCode::UNPROCESSABLE_ENTITY, 42206),
            InvalidSubject(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42208),
            InvalidRuleSet(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42210),
            ContextNotEmpty(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42211),
            NotFound => (StatusCode::NOT_FOUND, 404),
            UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, 415),
            BadRequest(_) => (StatusCode::BAD_REQUEST, 400),
            Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, 422),
            Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, 50001),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error");
        ApiError::Store(e.to_string())
    }
}

/// The Confluent error body for a status and code.
pub fn error_body(code: u32, message: &str) -> String {
    serde_json::json!({ "error_code": code, "message": message }).to_string()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = error_body(code, &self.to_string());
        (
            status,
            [(axum::http::header::CONTENT_TYPE, crate::http::JSON_MARKER)],
            body,
        )
            .into_response()
    }
}
