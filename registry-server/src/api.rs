//! The routes of the Confluent Schema Registry REST API and Herald's operational endpoints; each handler turns
//! HTTP into one `Registry` call.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::http::{JSON_MARKER, Params, json_body};
use crate::registry::{Registry, Rendering, SchemaRequest, VersionId};

type AppState = State<Arc<Registry>>;
type ApiResult = Result<Response, ApiError>;

fn ok(v: impl Serialize) -> ApiResult {
    Ok((StatusCode::OK, Json(v)).into_response())
}

/// Bare schema text with the JSON media type (as Confluent answers `.../schema`).
fn text(s: String) -> ApiResult {
    Ok((StatusCode::OK, [(CONTENT_TYPE, JSON_MARKER)], s).into_response())
}

fn id_param(s: &str) -> Result<i64, ApiError> {
    s.trim().parse::<i64>().map_err(|_| ApiError::NotFound)
}

fn params(q: Option<String>) -> Params {
    Params::from_query(q.as_deref())
}

/// The router with every route; `registry` is the state.
pub fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/", get(root).post(root_post))
        .route("/v1/metadata/id", get(metadata_id))
        .route("/v1/metadata/version", get(metadata_version))
        .route("/v1/metadata/deployment", get(metadata_deployment))
        .route("/schemas", get(list_schemas))
        .route("/schemas/types", get(schema_types))
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(schema_text_by_id))
        .route("/schemas/ids/{id}/subjects", get(schema_subjects))
        .route("/schemas/ids/{id}/versions", get(schema_versions))
        .route("/schemas/guids/{guid}", get(schema_by_guid))
        .route("/schemas/guids/{guid}/ids", get(guid_ids))
        .route("/subjects", get(list_subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/metadata", get(latest_with_metadata))
        .route(
            "/subjects/{subject}/versions",
            get(list_versions).post(register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(get_version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compat_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compat_version),
        )
        .route(
            "/config",
            get(get_global_config)
                .put(put_global_config)
                .delete(delete_global_config),
        )
        .route(
            "/config/{subject}",
            get(get_config).put(put_config).delete(delete_config),
        )
        .route(
            "/mode",
            get(get_global_mode)
                .put(put_global_mode)
                .delete(delete_global_mode),
        )
        .route(
            "/mode/{subject}",
            get(get_mode).put(put_mode).delete(delete_mode),
        )
        .route("/contexts", get(list_contexts))
        .route("/contexts/{context}", axum::routing::delete(delete_context))
        .route("/metrics", get(metrics))
        .route("/healthz", get(liveness))
        .route("/readyz", get(readiness))
        .route("/openapi.json", get(openapi))
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            registry.clone(),
            crate::http::conventions,
        ))
        .with_state(registry)
}

async fn fallback() -> ApiResult {
    Err(ApiError::NotFound)
}

async fn root() -> ApiResult {
    ok(json!({}))
}

async fn root_post(headers: HeaderMap, body: Bytes) -> ApiResult {
    if !body.is_empty() {
        let _: Value = json_body(&headers, &body)?;
    }
    ok(json!({}))
}

async fn metadata_id(State(r): AppState) -> ApiResult {
    ok(json!({
        "id": r.config.cluster_id,
        "scope": {"path": [], "clusters": {"kafka-cluster": r.config.cluster_id, "schema-registry-cluster": "schema-registry"}}
    }))
}

async fn metadata_version() -> ApiResult {
    ok(json!({"version": env!("CARGO_PKG_VERSION"), "commitId": ""}))
}

async fn metadata_deployment() -> ApiResult {
    ok(json!({"attributes": []}))
}

// ----- schemas -----

async fn list_schemas(State(r): AppState, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let items = r
        .list_schemas(
            p.get("subjectPrefix").unwrap_or(""),
            p.flag("deleted"),
            p.flag("latestOnly"),
        )
        .await?;
    let limit = p
        .int("limit")?
        .filter(|l| *l > 0 && *l <= 1000)
        .unwrap_or(1000);
    let offset = p.int("offset")?.unwrap_or(0).max(0) as usize;
    ok(items
        .into_iter()
        .skip(offset)
        .take(limit as usize)
        .collect::<Vec<_>>())
}

async fn schema_types() -> ApiResult {
    ok(["JSON", "PROTOBUF", "AVRO"])
}

async fn schema_by_id(
    State(r): AppState,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = params(q);
    if p.0.is_empty() {
        let body = r.schema_body(id_param(&id)?).await?;
        return Ok((StatusCode::OK, [(CONTENT_TYPE, JSON_MARKER)], body).into_response());
    }
    ok(r.schema_by_id(
        id_param(&id)?,
        p.get("subject"),
        p.flag("fetchMaxId"),
        rendering(&p),
    )
    .await?)
}

/// `format` and `referenceFormat` (the Python client's snake-case `reference_format` is ignored, as Confluent
/// ignores it).
fn rendering(p: &Params) -> Rendering<'_> {
    Rendering {
        format: p.get("format"),
        qualified_references: p
            .get("referenceFormat")
            .is_some_and(|f| f.eq_ignore_ascii_case("qualified")),
    }
}

async fn schema_text_by_id(
    State(r): AppState,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = params(q);
    text(r.schema_text(id_param(&id)?, p.get("subject")).await?)
}

async fn schema_subjects(
    State(r): AppState,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = params(q);
    let mut subjects: Vec<String> = r
        .id_versions(id_param(&id)?, p.get("subject"), p.flag("deleted"))
        .await?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    subjects.dedup();
    ok(p.page(subjects)?)
}

async fn schema_versions(
    State(r): AppState,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = params(q);
    let versions: Vec<Value> = r
        .id_versions(id_param(&id)?, p.get("subject"), p.flag("deleted"))
        .await?
        .into_iter()
        .map(|(s, v)| json!({"subject": s, "version": v}))
        .collect();
    ok(p.page(versions)?)
}

async fn schema_by_guid(State(r): AppState, Path(guid): Path<String>) -> ApiResult {
    ok(r.schema_by_guid(&guid).await?)
}

async fn guid_ids(State(r): AppState, Path(guid): Path<String>) -> ApiResult {
    ok(r.guid_ids(&guid).await?)
}

// ----- subjects -----

async fn list_subjects(State(r): AppState, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let subjects = r
        .subjects(
            p.get("subjectPrefix").unwrap_or(":*:"),
            p.flag("deleted"),
            p.flag("deletedOnly"),
        )
        .await?;
    ok(p.page(subjects)?)
}

async fn lookup(
    State(r): AppState,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let p = params(q);
    let req: SchemaRequest = json_body(&headers, &body)?;
    ok(
        r.lookup(&subject, &req, p.flag("normalize"), p.flag("deleted"))
            .await?,
    )
}

async fn delete_subject(
    State(r): AppState,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    ok(r.delete_subject(&subject, params(q).flag("permanent"))
        .await?)
}

async fn latest_with_metadata(
    State(r): AppState,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = params(q);
    let pairs: Vec<(String, String)> = p.all("key").into_iter().zip(p.all("value")).collect();
    ok(r.latest_with_metadata(&subject, &pairs, p.flag("deleted"))
        .await?)
}

async fn list_versions(
    State(r): AppState,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = params(q);
    let versions = r
        .list_versions(
            &subject,
            p.flag("deleted"),
            p.flag("deletedOnly"),
            p.flag("deletedAsNegative"),
        )
        .await?;
    ok(p.page(versions)?)
}

async fn register(
    State(r): AppState,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let p = params(q);
    let req: SchemaRequest = json_body(&headers, &body)?;
    ok(
        r.register(&subject, req, p.flag("normalize"), p.flag("force"))
            .await?,
    )
}

async fn get_version(
    State(r): AppState,
    Path((subject, version)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = params(q);
    ok(r.get_version(
        &subject,
        VersionId::parse(&version)?,
        p.flag("deleted"),
        rendering(&p),
    )
    .await?)
}

async fn get_version_schema(
    State(r): AppState,
    Path((subject, version)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = params(q);
    let entity = r
        .get_version(
            &subject,
            VersionId::parse(&version)?,
            p.flag("deleted"),
            rendering(&p),
        )
        .await?;
    text(
        entity
            .get("schema")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn referenced_by(
    State(r): AppState,
    Path((subject, version)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = params(q);
    let ids = r
        .referenced_by(&subject, VersionId::parse(&version)?, p.flag("deleted"))
        .await?;
    ok(p.page(ids)?)
}

async fn delete_version(
    State(r): AppState,
    Path((subject, version)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = params(q);
    ok(
        r.delete_version(&subject, VersionId::parse(&version)?, p.flag("permanent"))
            .await?,
    )
}

// ----- compatibility -----

async fn compat(
    r: &Registry,
    subject: &str,
    version: Option<VersionId>,
    p: &Params,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult {
    let req: SchemaRequest = json_body(headers, body)?;
    let verbose = p.flag("verbose");
    let verdict = r
        .check_compatibility(subject, version, &req, p.flag("normalize"), verbose)
        .await?;
    if verbose {
        ok(json!({"is_compatible": verdict.compatible, "messages": verdict.messages}))
    } else {
        ok(json!({"is_compatible": verdict.compatible}))
    }
}

async fn compat_all(
    State(r): AppState,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    compat(&r, &subject, None, &params(q), &headers, &body).await
}

async fn compat_version(
    State(r): AppState,
    Path((subject, version)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let version = VersionId::parse(&version)?;
    compat(&r, &subject, Some(version), &params(q), &headers, &body).await
}

// ----- config -----

async fn get_global_config(State(r): AppState, RawQuery(q): RawQuery) -> ApiResult {
    ok(r.get_config(None, params(q).flag("defaultToGlobal"))
        .await?)
}

async fn put_global_config(State(r): AppState, headers: HeaderMap, body: Bytes) -> ApiResult {
    let req: Map<String, Value> = json_body(&headers, &body)?;
    ok(r.put_config(None, &req).await?)
}

async fn delete_global_config(State(r): AppState) -> ApiResult {
    ok(r.delete_config(None).await?)
}

async fn get_config(
    State(r): AppState,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    ok(
        r.get_config(Some(&subject), params(q).flag("defaultToGlobal"))
            .await?,
    )
}

async fn put_config(
    State(r): AppState,
    Path(subject): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let req: Map<String, Value> = json_body(&headers, &body)?;
    ok(r.put_config(Some(&subject), &req).await?)
}

async fn delete_config(State(r): AppState, Path(subject): Path<String>) -> ApiResult {
    ok(r.delete_config(Some(&subject)).await?)
}

// ----- mode -----

fn mode_of(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match body.get("mode") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::InvalidMode(
            "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD.".to_owned(),
        )),
    }
}

async fn get_global_mode(State(r): AppState, RawQuery(q): RawQuery) -> ApiResult {
    ok(r.get_mode(None, params(q).flag("defaultToGlobal")).await?)
}

async fn put_global_mode(
    State(r): AppState,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let req: Map<String, Value> = json_body(&headers, &body)?;
    ok(
        r.put_mode(None, mode_of(&req)?.as_deref(), params(q).flag("force"))
            .await?,
    )
}

async fn delete_global_mode(State(r): AppState, RawQuery(q): RawQuery) -> ApiResult {
    ok(r.delete_mode(None, params(q).flag("recursive")).await?)
}

async fn get_mode(
    State(r): AppState,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    ok(
        r.get_mode(Some(&subject), params(q).flag("defaultToGlobal"))
            .await?,
    )
}

async fn put_mode(
    State(r): AppState,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let req: Map<String, Value> = json_body(&headers, &body)?;
    ok(r.put_mode(
        Some(&subject),
        mode_of(&req)?.as_deref(),
        params(q).flag("force"),
    )
    .await?)
}

async fn delete_mode(
    State(r): AppState,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    ok(r.delete_mode(Some(&subject), params(q).flag("recursive"))
        .await?)
}

// ----- contexts -----

async fn list_contexts(State(r): AppState, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let prefix = p.get("contextPrefix").unwrap_or("").to_owned();
    let contexts: Vec<String> = r
        .contexts()
        .await?
        .into_iter()
        .filter(|c| c.starts_with(&prefix))
        .collect();
    ok(p.page(contexts)?)
}

async fn delete_context(State(r): AppState, Path(context): Path<String>) -> ApiResult {
    r.delete_context(&context).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ----- operations -----

async fn metrics(State(r): AppState) -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        r.metrics.render(),
    )
        .into_response()
}

async fn liveness() -> ApiResult {
    ok(json!({"status": "UP"}))
}

async fn readiness(State(r): AppState) -> Response {
    match crate::store::ping(r.store.pool()).await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "UP"}))).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error_code": 50001, "message": e.to_string()})),
        )
            .into_response(),
    }
}

async fn openapi() -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, JSON_MARKER)],
        crate::openapi::DOCUMENT.as_str(),
    )
        .into_response()
}
