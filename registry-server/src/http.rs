//! HTTP conventions of the Confluent API: media types, request rewriting (trailing slashes, `/contexts/{ctx}/…`),
//! query parameters with Java's boolean parsing, JSON bodies without or with any accepted Content-Type, and the
//! JSON error body for every error, including the router's own 404/405/413 responses.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, error_body};
use crate::registry::Registry;

/// The content type handlers set on JSON bodies; replaced by the negotiated one on the way out.
pub const JSON_MARKER: &str = "application/json";
pub const V1: &str = "application/vnd.schemaregistry.v1+json";
pub const SR: &str = "application/vnd.schemaregistry+json";

/// The response media type for an `Accept` header, with Confluent's preferences (v1 > generic > json).
pub fn negotiate(accept: Option<&str>) -> &'static str {
    let Some(accept) = accept else { return V1 };
    let (mut sr, mut json) = (false, false);
    for t in accept.split(',') {
        let t = t.split(';').next().unwrap_or("").trim();
        if t.eq_ignore_ascii_case(V1) || t == "*/*" || t.eq_ignore_ascii_case("application/*") {
            return V1;
        }
        sr |= t.eq_ignore_ascii_case(SR);
        json |= t.eq_ignore_ascii_case(JSON_MARKER);
    }
    if sr {
        SR
    } else if json {
        JSON_MARKER
    } else {
        V1
    }
}

/// Parses a JSON body the way rest-utils does: no Content-Type or any JSON/octet-stream type is JSON,
/// anything else is 415; an empty body is 422; malformed JSON is 400.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    if let Some(ct) = headers.get(CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        let media = ct.split(';').next().unwrap_or("").trim();
        if ![V1, SR, JSON_MARKER, "application/octet-stream", ""].contains(&media) {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Unprocessable(
            "The request body must not be empty".to_owned(),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("Invalid JSON in request body: {e}")))
}

/// Query parameters, repeated keys kept in order.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn from_query(query: Option<&str>) -> Params {
        let q = query.unwrap_or("");
        let decode = |s: &str| {
            let s = s.replace('+', " ");
            percent_encoding::percent_decode_str(&s)
                .decode_utf8_lossy()
                .into_owned()
        };
        Params(
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (decode(k), decode(v)),
                    None => (decode(p), String::new()),
                })
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Java's `Boolean.valueOf`: case-insensitive "true" is true, anything else false.
    pub fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// An integer parameter; an unparsable one is JAX-RS's 404.
    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| v.trim().parse::<i64>().map_err(|_| ApiError::NotFound))
            .transpose()
    }

    /// Applies `offset` and `limit` (`limit` <= 0: no limit).
    pub fn page<T>(&self, items: Vec<T>) -> Result<Vec<T>, ApiError> {
        let offset = self.int("offset")?.unwrap_or(0).max(0) as usize;
        let limit = self.int("limit")?.unwrap_or(-1);
        let it = items.into_iter().skip(offset);
        Ok(if limit > 0 {
            it.take(limit as usize).collect()
        } else {
            it.collect()
        })
    }
}

/// Rewrites the request path before routing: drops a trailing slash and maps `/contexts/{ctx}/{rest}` onto the
/// context-qualified form of `{rest}`.
pub fn rewrite_uri(uri: &Uri) -> Result<Option<Uri>, ApiError> {
    let path = uri.path();
    if !path.ends_with('/') && !path.starts_with("/contexts/") {
        return Ok(None);
    }
    let mut new_path = if path.len() > 1 && path.ends_with('/') {
        path.trim_end_matches('/').to_owned()
    } else {
        path.to_owned()
    };
    if new_path.is_empty() {
        new_path.push('/');
    }
    let mut extra_query: Option<String> = None;
    if let Some(rest) = new_path.strip_prefix("/contexts/")
        && let Some((ctx, tail)) = rest.split_once('/')
    {
        let ctx = percent_encoding::percent_decode_str(ctx)
            .decode_utf8_lossy()
            .into_owned();
        if ctx.contains(':') || ctx.is_empty() {
            return Err(ApiError::BadRequest(format!(
                "Invalid context name '{ctx}'"
            )));
        }
        let ctx = if ctx.starts_with('.') {
            ctx
        } else {
            format!(".{ctx}")
        };
        let q = format!(":{ctx}:");
        let segs: Vec<&str> = tail.split('/').collect();
        new_path = match segs.as_slice() {
            ["subjects"] => {
                extra_query = Some(format!("subjectPrefix={q}"));
                "/subjects".to_owned()
            }
            ["subjects", s, more @ ..] => join(&format!("/subjects/{q}{s}"), more),
            ["compatibility", "subjects", s, more @ ..] => {
                join(&format!("/compatibility/subjects/{q}{s}"), more)
            }
            ["config"] => format!("/config/{q}"),
            ["config", s] => format!("/config/{q}{s}"),
            ["mode"] => format!("/mode/{q}"),
            ["mode", s] => format!("/mode/{q}{s}"),
            ["schemas", "ids", ..] => {
                extra_query = Some(format!("subject={q}"));
                format!("/{tail}")
            }
            ["schemas"] => {
                extra_query = Some(format!("subjectPrefix={q}"));
                "/schemas".to_owned()
            }
            _ => format!("/{tail}"),
        };
    }
    if new_path == path && extra_query.is_none() {
        return Ok(None);
    }
    let query = match (uri.query(), extra_query) {
        (Some(q), Some(e)) => Some(format!("{q}&{e}")),
        (Some(q), None) => Some(q.to_owned()),
        (None, e) => e,
    };
    let pq = match query {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    Ok(Uri::builder().path_and_query(pq).build().ok())
}

fn join(base: &str, more: &[&str]) -> String {
    let mut s = base.to_owned();
    for m in more {
        s.push('/');
        s.push_str(m);
    }
    s
}

/// The outermost layer, before routing: the request rewriting of [`rewrite_uri`] (trailing slashes, context paths),
/// then subject aliases.
///
/// Aliases follow Confluent's `AliasFilter`: when the subject-level config of a subject names an `alias`, requests
/// to that subject are served by the alias (qualified with the subject's context when unqualified). Rewritten: the
/// path segment after `subjects` (so also `/compatibility/subjects/{s}/...`) and the `subject` parameter of
/// `/schemas/ids/...`; `/config/{s}` and `/mode/{s}` keep addressing the subject itself. One hop, as in Confluent.
pub async fn rewrite(
    State(registry): State<Arc<Registry>>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(response) = cached_schema_by_id(&registry, &req) {
        return response;
    }
    match rewrite_uri(req.uri()) {
        Ok(Some(uri)) => *req.uri_mut() = uri,
        Ok(None) => {}
        Err(e) => return finish(e.into_response(), V1),
    }
    match alias_uri(&registry, req.uri()).await {
        Ok(Some(uri)) => *req.uri_mut() = uri,
        Ok(None) => {}
        Err(e) => return finish(e.into_response(), V1),
    }
    next.run(req).await
}

/// The deserializers' hot path, answered before routing: `GET /schemas/ids/{id}` without parameters for an id
/// whose body is cached. The answer is the one the routed handler gives (same body, media type negotiation and
/// headers, counted in the metrics under the same route); anything else, or an id not cached yet, goes the normal
/// way.
fn cached_schema_by_id(registry: &Registry, req: &Request) -> Option<Response> {
    if req.method() != axum::http::Method::GET || req.uri().query().is_some() {
        return None;
    }
    let id = req
        .uri()
        .path()
        .strip_prefix("/schemas/ids/")?
        .parse::<i64>()
        .ok()?;
    let started = Instant::now();
    let body = registry.cached_body(id)?;
    let media = negotiate(req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()));
    let response = finish(
        (StatusCode::OK, [(CONTENT_TYPE, JSON_MARKER)], body).into_response(),
        media,
    );
    registry
        .metrics
        .observe("/schemas/ids/{id}", "GET", 200, started.elapsed());
    Some(response)
}

/// Characters escaped in a rewritten path segment or query value.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

async fn alias_uri(registry: &Registry, uri: &Uri) -> Result<Option<Uri>, ApiError> {
    let path = uri.path();
    // The hot path (`GET /schemas/ids/{id}` without a subject, metrics, health) names no subject: nothing to do.
    let names_subject = path.contains("/subjects/")
        || (path.starts_with("/schemas/ids/")
            && uri.query().is_some_and(|q| q.contains("subject=")));
    if !names_subject {
        return Ok(None);
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut segs: Vec<String> = path.split('/').map(str::to_owned).collect();
    let mut changed = false;
    if let Some(i) = segs.iter().position(|s| s == "subjects")
        && let Some(seg) = segs.get(i + 1)
        && !seg.is_empty()
        && let Some(target) = registry.alias_of(&decode(seg)).await?
    {
        segs[i + 1] = percent_encoding::utf8_percent_encode(&target, COMPONENT).to_string();
        changed = true;
    }
    let mut query = uri.query().map(str::to_owned);
    if path.starts_with("/schemas/ids/")
        && let Some(q) = &query
    {
        let mut parts: Vec<String> = q.split('&').map(str::to_owned).collect();
        for part in &mut parts {
            if let Some(value) = part.strip_prefix("subject=")
                && let Some(target) = registry.alias_of(&decode(&value.replace('+', " "))).await?
            {
                *part = format!(
                    "subject={}",
                    percent_encoding::utf8_percent_encode(&target, COMPONENT)
                );
                changed = true;
            }
        }
        query = Some(parts.join("&"));
    }
    if !changed {
        return Ok(None);
    }
    let new_path = segs.join("/");
    let text = match query {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    text.parse::<Uri>()
        .map(Some)
        .map_err(|e| ApiError::BadRequest(format!("Invalid path after resolving an alias: {e}")))
}

/// Per-route layer: metrics, media type negotiation, headers and JSON error bodies.
pub async fn conventions(
    State(registry): State<Arc<Registry>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let media = negotiate(req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()));
    let response = next.run(req).await;
    let response = finish(response, media);
    let status = response.status().as_u16();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    registry
        .metrics
        .observe(route, method.as_str(), status, started.elapsed());
    tracing::debug!(route, method = method.as_str(), status, "request");
    response
}

/// Puts the negotiated media type on JSON bodies and turns non-JSON error responses into Confluent's body.
fn finish(response: Response, media: &'static str) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(JSON_MARKER.as_bytes()));
    let mut response = if status.is_client_error() || status.is_server_error() {
        if is_json {
            response
        } else {
            let message = match status {
                StatusCode::PAYLOAD_TOO_LARGE => "Request body is too large".to_owned(),
                _ => format!(
                    "HTTP {} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("Error")
                ),
            };
            let mut r = Response::new(Body::from(error_body(u32::from(status.as_u16()), &message)));
            *r.status_mut() = status;
            r
        }
    } else {
        response
    };
    let headers = response.headers_mut();
    if is_json || status.is_client_error() || status.is_server_error() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(media));
    }
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, must-revalidate"),
    );
    headers.insert(
        "x-xss-protection",
        HeaderValue::from_static("1; mode=block"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_like_jersey() {
        assert_eq!(negotiate(None), V1);
        assert_eq!(negotiate(Some("application/json")), JSON_MARKER);
        assert_eq!(negotiate(Some("application/json, text/plain, */*")), V1);
        assert_eq!(negotiate(Some("application/vnd.schemaregistry+json")), SR);
        assert_eq!(negotiate(Some("text/html")), V1);
    }

    #[test]
    fn booleans_are_java_booleans() {
        let p = Params::from_query(Some("a=True&b=false&c=1&d=TRUE&e"));
        assert!(p.flag("a") && p.flag("d"));
        assert!(!p.flag("b") && !p.flag("c") && !p.flag("e") && !p.flag("missing"));
        assert!(Params::from_query(Some("offset=x")).int("offset").is_err());
        let paged = Params::from_query(Some("offset=1&limit=2"))
            .page(vec![1, 2, 3, 4])
            .expect("page");
        assert_eq!(paged, vec![2, 3]);
    }

    #[test]
    fn rewrites_paths() {
        let r = |s: &str| {
            rewrite_uri(&s.parse::<Uri>().expect("uri"))
                .expect("ok")
                .map(|u| u.to_string())
        };
        assert_eq!(r("/subjects/"), Some("/subjects".to_owned()));
        assert_eq!(r("/subjects"), None);
        assert_eq!(
            r("/contexts/.x/subjects"),
            Some("/subjects?subjectPrefix=:.x:".to_owned())
        );
        assert_eq!(
            r("/contexts/.x/subjects/a%2Fb/versions?deleted=true"),
            Some("/subjects/:.x:a%2Fb/versions?deleted=true".to_owned())
        );
        assert_eq!(r("/contexts/.x/config"), Some("/config/:.x:".to_owned()));
        assert_eq!(
            r("/contexts/.x/schemas/ids/3"),
            Some("/schemas/ids/3?subject=:.x:".to_owned())
        );
        assert_eq!(r("/contexts/.x"), None);
        assert!(rewrite_uri(&"/contexts/a:b/subjects".parse::<Uri>().expect("uri")).is_err());
    }
}
