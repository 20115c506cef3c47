//! The OpenAPI 3 document served at `/openapi.json`, generated from one table of the routes.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

/// `(path, method, summary)` of every route the server answers.
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("/", "get", "Liveness: an empty JSON object"),
    ("/v1/metadata/id", "get", "Cluster id"),
    ("/v1/metadata/version", "get", "Server version"),
    ("/v1/metadata/deployment", "get", "Deployment attributes"),
    (
        "/schemas",
        "get",
        "List schemas (subjectPrefix, deleted, latestOnly, offset, limit)",
    ),
    ("/schemas/types", "get", "Supported schema types"),
    (
        "/schemas/ids/{id}",
        "get",
        "Schema by id (subject, format: serialized|resolved, referenceFormat, fetchMaxId; an aliased subject is served by its alias)",
    ),
    ("/schemas/ids/{id}/schema", "get", "Bare schema text by id"),
    ("/schemas/ids/{id}/subjects", "get", "Subjects using an id"),
    (
        "/schemas/ids/{id}/versions",
        "get",
        "Subject versions using an id",
    ),
    ("/schemas/guids/{guid}", "get", "Schema by guid"),
    (
        "/schemas/guids/{guid}/ids",
        "get",
        "Ids of a guid per context",
    ),
    (
        "/subjects",
        "get",
        "List subjects (subjectPrefix, deleted, deletedOnly)",
    ),
    (
        "/subjects/{subject}",
        "post",
        "Look up a schema under a subject (normalize, deleted; Protobuf also matches by normalized print)",
    ),
    (
        "/subjects/{subject}",
        "delete",
        "Delete a subject (permanent)",
    ),
    (
        "/subjects/{subject}/metadata",
        "get",
        "Latest version with metadata properties (key, value)",
    ),
    (
        "/subjects/{subject}/versions",
        "get",
        "List versions (deleted, deletedOnly, deletedAsNegative)",
    ),
    (
        "/subjects/{subject}/versions",
        "post",
        "Register a schema (normalize, force); Protobuf text and base64 descriptors are stored as canonical .proto text",
    ),
    (
        "/subjects/{subject}/versions/{version}",
        "get",
        "Get a version (deleted, format: serialized|resolved, referenceFormat)",
    ),
    (
        "/subjects/{subject}/versions/{version}",
        "delete",
        "Delete a version (permanent)",
    ),
    (
        "/subjects/{subject}/versions/{version}/schema",
        "get",
        "Bare schema text of a version",
    ),
    (
        "/subjects/{subject}/versions/{version}/referencedby",
        "get",
        "Ids of schemas referencing a version",
    ),
    (
        "/compatibility/subjects/{subject}/versions",
        "post",
        "Check against the versions the level selects (verbose)",
    ),
    (
        "/compatibility/subjects/{subject}/versions/{version}",
        "post",
        "Check against one version (verbose)",
    ),
    ("/config", "get", "Global config"),
    ("/config", "put", "Update the global config"),
    ("/config", "delete", "Reset the global config"),
    (
        "/config/{subject}",
        "get",
        "Subject config (defaultToGlobal)",
    ),
    (
        "/config/{subject}",
        "put",
        "Update a subject config (alias, validateFields, ...)",
    ),
    ("/config/{subject}", "delete", "Delete a subject config"),
    ("/mode", "get", "Global mode"),
    ("/mode", "put", "Update the global mode (force)"),
    (
        "/mode",
        "delete",
        "Reset the global mode (recursive: also every subject mode of the default context)",
    ),
    ("/mode/{subject}", "get", "Subject mode (defaultToGlobal)"),
    ("/mode/{subject}", "put", "Update a subject mode (force)"),
    (
        "/mode/{subject}",
        "delete",
        "Delete a subject or context mode (recursive: also every subject mode of the context)",
    ),
    ("/contexts", "get", "List contexts"),
    ("/contexts/{context}", "delete", "Delete an empty context"),
    ("/metrics", "get", "Prometheus metrics"),
    ("/healthz", "get", "Liveness"),
    ("/readyz", "get", "Readiness (database reachable)"),
    ("/openapi.json", "get", "This document"),
];

/// The document as JSON text.
pub static DOCUMENT: LazyLock<String> = LazyLock::new(|| build().to_string());

fn build() -> Value {
    let mut paths = Map::new();
    for (path, method, summary) in ROUTES {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        if let Some(obj) = entry.as_object_mut() {
            obj.insert(
                method.to_string(),
                json!({
                    "summary": summary,
                    "parameters": params,
                    "responses": {
                        "200": {"description": "Success", "content": {"application/vnd.schemaregistry.v1+json": {}}},
                        "default": {"description": "Error", "content": {"application/vnd.schemaregistry.v1+json": {
                            "schema": {"$ref": "#/components/schemas/ErrorMessage"}}}}
                    }
                }),
            );
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Herald Schema Registry", "version": env!("CARGO_PKG_VERSION"),
                 "description": "The Confluent Schema Registry REST API as served by Herald. Requests to a subject whose config names an `alias` (the path segment after `subjects`, and the `subject` parameter of `/schemas/ids/...`) are served by the alias."},
        "paths": paths,
        "components": {"schemas": {"ErrorMessage": {"type": "object", "properties": {
            "error_code": {"type": "integer"}, "message": {"type": "string"}}}}}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_every_route() {
        let doc: Value = serde_json::from_str(&DOCUMENT).expect("json");
        for (path, method, _) in ROUTES {
            assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        }
    }
}
