//! [`RegistryClient`]: an async client for Herald's registry or any Confluent-compatible one, for protobuf
//! schemas: look up (or, opt-in, register) the id of an embedded schema under a subject with its imports as
//! references, fetch a schema by id as a `FileDescriptorProto`, and list the subjects an id is registered under.
//! Every answer is cached; requests have a timeout and are retried with backoff on 5xx and connection errors, never
//! on 4xx.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use prost::Message as _;
use prost_types::FileDescriptorProto;
use reqwest::{Method, StatusCode, Url};
use serde::{Deserialize, Serialize};

use crate::event::ProtoFile;

/// How the client authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP basic authentication (Confluent Cloud API key and secret).
    Basic { username: String, password: String },
    /// An `Authorization: Bearer` token.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// Where the registry is and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// The base URL, e.g. `http://localhost:8081` (a path prefix is kept).
    pub url: String,
    pub auth: Option<Auth>,
    /// Timeout of one HTTP request (default 10 s).
    pub timeout: Duration,
    /// Retries after a 5xx answer or a connection error (default 3); 4xx answers are never retried.
    pub max_retries: u32,
    /// Backoff before the first retry, doubled on each further one (default 100 ms).
    pub initial_backoff: Duration,
    /// The longest backoff (default 2 s).
    pub max_backoff: Duration,
}

impl RegistryConfig {
    /// The defaults for the registry at `url`.
    pub fn new(url: impl Into<String>) -> RegistryConfig {
        RegistryConfig {
            url: url.into(),
            auth: None,
            timeout: Duration::from_secs(10),
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }

    /// Authenticates with HTTP basic authentication.
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Auth::Basic {
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// Authenticates with a bearer token.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth::Bearer(token.into()));
        self
    }

    /// Sets the timeout of one request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the retries after 5xx answers and connection errors, and the first backoff.
    pub fn retries(mut self, max_retries: u32, initial_backoff: Duration) -> Self {
        self.max_retries = max_retries;
        self.initial_backoff = initial_backoff;
        self
    }

    /// The backoff before retry number `retry` (1-based): doubled each time, capped, with up to 25% jitter.
    fn backoff(&self, retry: u32) -> Duration {
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << (retry - 1).min(16))
            .min(self.max_backoff);
        base.mul_f64(1.0 - fastrand::f64() * 0.25)
    }
}

/// A registry request that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The base URL or a subject cannot form a request URL.
    #[error("invalid registry URL `{url}`: {reason}")]
    Url { url: String, reason: String },
    /// The HTTP client cannot be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The registry answered with an error (Confluent's `error_code`, or -1 when the body is not a registry error).
    #[error("registry answered {status} (error code {code}) to {request}: {message}")]
    Api {
        request: String,
        status: u16,
        code: i64,
        message: String,
    },
    /// The registry could not be reached (or kept failing with 5xx) after every retry.
    #[error("registry request {request} failed after {attempts} attempt(s): {source}")]
    Unreachable {
        request: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },
    /// The registry's answer is not what the API specifies.
    #[error("unexpected answer to {request}: {reason}")]
    Response { request: String, reason: String },
    /// The schema is not a protobuf schema.
    #[error("schema {id} is {schema_type}, not PROTOBUF")]
    NotProtobuf { id: u32, schema_type: String },
}

impl RegistryError {
    /// A 404: the subject, version or schema does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, RegistryError::Api { status: 404, .. })
    }

    /// Confluent's error code of a registry error answer.
    pub fn code(&self) -> Option<i64> {
        match self {
            RegistryError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// A schema reference: an import of a `.proto` file, registered as a subject version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The import path.
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema fetched by id.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedSchema {
    pub id: u32,
    /// The schema as a descriptor (`format=serialized`), or `None` when the registry answered with `.proto` text
    /// (registries without `format=serialized`): message indexes then cannot be mapped to names, and the records'
    /// `ce_type` header must name the type.
    pub descriptor: Option<FileDescriptorProto>,
    pub references: Vec<Reference>,
}

/// A subject version an id is registered as.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SchemaRequest<'a> {
    schema_type: &'static str,
    schema: &'a str,
    #[serde(skip_serializing_if = "<[Reference]>::is_empty")]
    references: &'a [Reference],
}

#[derive(Deserialize)]
struct LookupResponse {
    id: u32,
    version: i32,
}

#[derive(Deserialize)]
struct RegisterResponse {
    id: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaResponse {
    schema: String,
    #[serde(default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error_code: i64,
    message: String,
}

/// (subject, import path, source) of a registered or looked-up file.
type FileKey = (String, &'static str, &'static str);

#[derive(Debug, Default)]
struct Caches {
    files: HashMap<FileKey, Registered>,
    schemas: HashMap<u32, Arc<ResolvedSchema>>,
    subjects: HashMap<u32, Arc<[SubjectVersion]>>,
}

/// The id and version a file has under a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Registered {
    id: u32,
    version: i32,
}

/// A client of a Confluent-compatible schema registry. Cheap to clone (the caches are shared).
#[derive(Debug, Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    base: Url,
    config: Arc<RegistryConfig>,
    caches: Arc<Mutex<Caches>>,
}

impl RegistryClient {
    /// A client of the registry `config` describes.
    pub fn new(config: RegistryConfig) -> Result<RegistryClient, RegistryError> {
        let base = Url::parse(&config.url).map_err(|e| RegistryError::Url {
            url: config.url.clone(),
            reason: e.to_string(),
        })?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(RegistryError::Url {
                url: config.url.clone(),
                reason: "expected an http:// or https:// URL".to_string(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(RegistryError::Client)?;
        Ok(RegistryClient {
            http,
            base,
            config: Arc::new(config),
            caches: Arc::default(),
        })
    }

    fn caches(&self) -> std::sync::MutexGuard<'_, Caches> {
        self.caches.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The base URL followed by `segments` (each percent-encoded as one path segment).
    fn url(&self, segments: &[&str]) -> Result<Url, RegistryError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| RegistryError::Url {
                url: self.config.url.clone(),
                reason: "cannot be a base".to_string(),
            })?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// Sends a request, retrying 5xx answers and connection errors; returns the body of a 2xx answer.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<bytes::Bytes, RegistryError> {
        let request = format!("{method} {}", url.path());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.http.request(method.clone(), url.clone()).header(
                reqwest::header::ACCEPT,
                "application/vnd.schemaregistry.v1+json, application/json",
            );
            if let Some(b) = &body {
                req = req
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/vnd.schemaregistry.v1+json",
                    )
                    .body(b.clone());
            }
            req = match &self.config.auth {
                Some(Auth::Basic { username, password }) => {
                    req.basic_auth(username, Some(password))
                }
                Some(Auth::Bearer(token)) => req.bearer_auth(token),
                None => req,
            };
            let retry = attempt <= self.config.max_retries;
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    match resp.bytes().await {
                        Ok(b) => Ok((status, b)),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok((status, b)) if status.is_success() => return Ok(b),
                Ok((status, _)) if status.is_server_error() && retry => {
                    tracing::warn!(%status, attempt, "{request}: registry error; retrying");
                }
                Ok((status, b)) => return Err(api_error(request, status, &b)),
                Err(e) if retry => {
                    tracing::warn!(attempt, "{request}: {e}; retrying");
                }
                Err(source) => {
                    return Err(RegistryError::Unreachable {
                        request,
                        attempts: attempt,
                        source,
                    });
                }
            }
            tokio::time::sleep(self.config.backoff(attempt)).await;
        }
    }

    async fn json<T: for<'de> Deserialize<'de>>(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<T, RegistryError> {
        let request = format!("{method} {}", url.path());
        let bytes = self.send(method, url, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| RegistryError::Response {
            request,
            reason: e.to_string(),
        })
    }

    /// The id of `file` (with its imports as references) under `subject`; `POST /subjects/{subject}`. Each import
    /// must already be registered under its own import path. A 404 error when it is not registered there.
    pub async fn lookup(
        &self,
        subject: &str,
        file: &'static ProtoFile,
    ) -> Result<u32, RegistryError> {
        Ok(self.resolve(subject, file, false).await?.id)
    }

    /// Registers `file` under `subject`, after registering each of its imports (transitively) under its import path
    /// (Confluent's default reference subject), and returns its id; `POST /subjects/{subject}/versions`. A schema
    /// already registered is only looked up.
    pub async fn register(
        &self,
        subject: &str,
        file: &'static ProtoFile,
    ) -> Result<u32, RegistryError> {
        Ok(self.resolve(subject, file, true).await?.id)
    }

    /// The id and version of `file` under `subject`, registering it (and its imports) first if `register`.
    async fn resolve(
        &self,
        subject: &str,
        file: &'static ProtoFile,
        register: bool,
    ) -> Result<Registered, RegistryError> {
        let key: FileKey = (subject.to_string(), file.name, file.source);
        if let Some(found) = self.caches().files.get(&key) {
            return Ok(*found);
        }
        let mut references = Vec::with_capacity(file.imports.len());
        for import in file.imports {
            let r = Box::pin(self.resolve(import.name, import, register)).await?;
            references.push(Reference {
                name: import.name.to_string(),
                subject: import.name.to_string(),
                version: r.version,
            });
        }
        let body = serde_json::to_vec(&SchemaRequest {
            schema_type: "PROTOBUF",
            schema: file.source,
            references: &references,
        })
        .expect("a schema request serializes");
        let lookup_url = self.url(&["subjects", subject])?;
        let found = match self
            .json::<LookupResponse>(Method::POST, lookup_url.clone(), Some(body.clone()))
            .await
        {
            Err(e) if register && e.is_not_found() => {
                let url = self.url(&["subjects", subject, "versions"])?;
                let registered: RegisterResponse =
                    self.json(Method::POST, url, Some(body.clone())).await?;
                let found: LookupResponse = self.json(Method::POST, lookup_url, Some(body)).await?;
                if found.id != registered.id {
                    return Err(RegistryError::Response {
                        request: format!("POST /subjects/{subject}"),
                        reason: format!(
                            "registered as id {} but looked up as id {}",
                            registered.id, found.id
                        ),
                    });
                }
                found
            }
            other => other?,
        };
        let sv = Registered {
            id: found.id,
            version: found.version,
        };
        self.caches().files.insert(key, sv);
        Ok(sv)
    }

    /// The schema with id `id`, as a descriptor; `GET /schemas/ids/{id}?format=serialized`. Cached.
    pub async fn schema(&self, id: u32) -> Result<Arc<ResolvedSchema>, RegistryError> {
        if let Some(s) = self.caches().schemas.get(&id) {
            return Ok(Arc::clone(s));
        }
        let mut url = self.url(&["schemas", "ids", &id.to_string()])?;
        url.query_pairs_mut().append_pair("format", "serialized");
        let resp: SchemaResponse = self.json(Method::GET, url, None).await?;
        let schema_type = resp.schema_type.as_deref().unwrap_or("AVRO");
        if schema_type != "PROTOBUF" {
            return Err(RegistryError::NotProtobuf {
                id,
                schema_type: schema_type.to_string(),
            });
        }
        let descriptor = base64::engine::general_purpose::STANDARD
            .decode(resp.schema.trim())
            .ok()
            .and_then(|b| FileDescriptorProto::decode(&b[..]).ok());
        let resolved = Arc::new(ResolvedSchema {
            id,
            descriptor,
            references: resp.references,
        });
        self.caches().schemas.insert(id, Arc::clone(&resolved));
        Ok(resolved)
    }

    /// The subject versions registered with id `id`; `GET /schemas/ids/{id}/versions`. Cached unless `refresh`.
    pub async fn subject_versions(
        &self,
        id: u32,
        refresh: bool,
    ) -> Result<Arc<[SubjectVersion]>, RegistryError> {
        if !refresh && let Some(s) = self.caches().subjects.get(&id) {
            return Ok(Arc::clone(s));
        }
        let url = self.url(&["schemas", "ids", &id.to_string(), "versions"])?;
        let list: Vec<SubjectVersion> = self.json(Method::GET, url, None).await?;
        let list: Arc<[SubjectVersion]> = list.into();
        self.caches().subjects.insert(id, Arc::clone(&list));
        Ok(list)
    }

    /// Whether id `id` is registered under `subject` (the cached list is refreshed once before answering no).
    pub async fn is_registered_under(&self, id: u32, subject: &str) -> Result<bool, RegistryError> {
        for refresh in [false, true] {
            let list = self.subject_versions(id, refresh).await?;
            if list.iter().any(|sv| sv.subject == subject) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn api_error(request: String, status: StatusCode, body: &[u8]) -> RegistryError {
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => (e.error_code, e.message),
        Err(_) => (-1, String::from_utf8_lossy(body).into_owned()),
    };
    RegistryError::Api {
        request,
        status: status.as_u16(),
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_the_prefix_and_encode_subjects() {
        let c = RegistryClient::new(RegistryConfig::new("http://h:8081/registry/")).unwrap();
        let url = c.url(&["subjects", "a/b c", "versions"]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://h:8081/registry/subjects/a%2Fb%20c/versions"
        );
        assert!(RegistryClient::new(RegistryConfig::new("not a url")).is_err());
        assert!(RegistryClient::new(RegistryConfig::new("ftp://h/")).is_err());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = RegistryConfig::new("http://h").retries(5, Duration::from_millis(100));
        let b1 = c.backoff(1);
        assert!(b1 <= Duration::from_millis(100) && b1 >= Duration::from_millis(75));
        let b3 = c.backoff(3);
        assert!(b3 <= Duration::from_millis(400) && b3 >= Duration::from_millis(300));
        assert!(c.backoff(30) <= Duration::from_secs(2));
    }

    #[test]
    fn secrets_are_not_printed() {
        let c = RegistryConfig::new("http://h").basic_auth("key", "secret");
        assert!(!format!("{c:?}").contains("secret"));
        let c = RegistryConfig::new("http://h").bearer_token("tok123");
        assert!(!format!("{c:?}").contains("tok123"));
    }

    #[test]
    fn error_bodies_are_parsed() {
        let e = api_error(
            "POST /subjects/x".into(),
            StatusCode::NOT_FOUND,
            br#"{"error_code":40401,"message":"Subject 'x' not found."}"#,
        );
        assert!(e.is_not_found());
        assert_eq!(e.code(), Some(40401));
        let e = api_error("GET /".into(), StatusCode::BAD_GATEWAY, b"<html>");
        assert_eq!(e.code(), Some(-1));
        assert!(!e.is_not_found());
    }
}
