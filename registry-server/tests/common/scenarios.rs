//! Backend-independent scenarios; each runs against a fresh server and database (SQLite and PostgreSQL).

use serde_json::{Value, json};

use super::{Server, assert_error, record};

const STRING: &str = r#"{"type":"string"}"#;

/// Ids, versions, lookups and reads of the core endpoints.
pub async fn register_and_read(s: &Server) {
    let r = s.register("orders-value", &record("Order", 1)).await;
    assert_eq!(r["id"], 1);
    assert_eq!(r["version"], 1);
    assert_eq!(r["subject"], "orders-value");
    assert_eq!(r["schemaType"], "AVRO");
    assert_eq!(
        r["schema"],
        r#"{"type":"record","name":"Order","fields":[{"name":"f0","type":"int"}]}"#
    );
    assert_eq!(r["guid"].as_str().map(str::len), Some(36));

    // Idempotent; same content in another subject shares the id; primitives are canonicalised.
    assert_eq!(
        s.register("orders-value", &record("Order", 1)).await["id"],
        1
    );
    let other = s.register("other", &record("Order", 1)).await;
    assert_eq!(
        (other["id"].as_i64(), other["version"].as_i64()),
        (Some(1), Some(1))
    );
    let prim = s.register("prim", STRING).await;
    assert_eq!(prim["id"], 2);
    assert_eq!(prim["schema"], "\"string\"");
    let v2 = s.register("orders-value", &record("Order", 2)).await;
    assert_eq!(
        (v2["id"].as_i64(), v2["version"].as_i64()),
        (Some(3), Some(2))
    );

    let (st, by_id) = s.get("/schemas/ids/1").await;
    assert_eq!(st, 200);
    assert_eq!(by_id["schema"], r["schema"]);
    assert!(by_id.get("id").is_none() && by_id.get("subject").is_none());
    let (_, scoped) = s.get("/schemas/ids/1?subject=other").await;
    assert_eq!(
        (scoped["subject"].as_str(), scoped["version"].as_i64()),
        (Some("other"), Some(1))
    );
    let (st, undefined) = s.get("/schemas/ids/1?subject=undefined").await;
    assert_eq!(st, 200, "{undefined}");
    assert_eq!(undefined["schema"], r["schema"]);
    assert_eq!(s.get("/schemas/ids/2/schema").await, (200, json!("string")));
    assert_eq!(
        s.get("/schemas/ids/1/subjects").await,
        (200, json!(["orders-value", "other"]))
    );
    assert_eq!(
        s.get("/schemas/ids/1/versions").await,
        (
            200,
            json!([{"subject":"orders-value","version":1},{"subject":"other","version":1}])
        )
    );
    assert_eq!(s.get("/schemas/ids/1?fetchMaxId=true").await.1["maxId"], 3);
    assert_error(&s.get("/schemas/ids/99").await, 404, 40403);
    assert_error(&s.get("/schemas/ids/99/schema").await, 404, 40403);
    assert_error(&s.get("/schemas/ids/99/subjects").await, 404, 40403);
    assert_error(&s.get("/schemas/ids/abc").await, 404, 404);
    let guid = r["guid"].as_str().expect("guid").to_owned();
    assert_eq!(
        s.get(&format!("/schemas/guids/{guid}")).await.1["schema"],
        r["schema"]
    );
    assert_eq!(
        s.get(&format!("/schemas/guids/{guid}/ids")).await.1,
        json!([{"context":".","id":1}])
    );
    let (_, types) = s.get("/schemas/types").await;
    assert_eq!(types.as_array().map(Vec::len), Some(3));

    assert_eq!(
        s.get("/subjects").await,
        (200, json!(["orders-value", "other", "prim"]))
    );
    assert_eq!(
        s.get("/subjects?subjectPrefix=o").await.1,
        json!(["orders-value", "other"])
    );
    assert_eq!(
        s.get("/subjects/orders-value/versions").await,
        (200, json!([1, 2]))
    );
    let (_, latest) = s.get("/subjects/orders-value/versions/latest").await;
    assert_eq!(
        (latest["version"].as_i64(), latest["id"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        s.get("/subjects/orders-value/versions/-1").await.1["version"],
        2
    );
    assert_eq!(s.get("/subjects/orders-value/versions/1").await.1["id"], 1);
    let (st, text) = s.get("/subjects/orders-value/versions/1/schema").await;
    assert_eq!((st, text["type"].as_str()), (200, Some("record")));
    assert_error(&s.get("/subjects/nope/versions").await, 404, 40401);
    assert_error(&s.get("/subjects/nope/versions/1").await, 404, 40401);
    assert_error(
        &s.get("/subjects/orders-value/versions/9").await,
        404,
        40402,
    );
    for bad in ["0", "-2", "abc", "2147483648"] {
        assert_error(
            &s.get(&format!("/subjects/orders-value/versions/{bad}"))
                .await,
            422,
            42202,
        );
    }
    assert_eq!(
        s.get("/subjects?offset=1&limit=1").await.1,
        json!(["other"])
    );
    assert_eq!(
        s.get("/subjects/orders-value/versions?offset=1").await.1,
        json!([2])
    );
    let (_, page) = s
        .get("/schemas?subjectPrefix=orders&limit=1&offset=1")
        .await;
    assert_eq!(
        (page[0]["subject"].as_str(), page[0]["version"].as_i64()),
        (Some("orders-value"), Some(2))
    );
    assert_error(&s.get("/subjects?limit=x").await, 404, 404);
    let (_, list) = s.get("/schemas").await;
    assert_eq!(list.as_array().map(Vec::len), Some(4));
    let (_, latest_only) = s.get("/schemas?latestOnly=true").await;
    assert_eq!(latest_only.as_array().map(Vec::len), Some(3));

    // Lookup.
    let (st, found) = s
        .post(
            "/subjects/orders-value",
            json!({"schema": record("Order", 2), "schemaType": "AVRO", "references": []}),
        )
        .await;
    assert_eq!(st, 200, "{found}");
    assert_eq!(
        (found["version"].as_i64(), found["id"].as_i64()),
        (Some(2), Some(3))
    );
    let spaced = "{ \"type\" : \"record\", \"name\":\"Order\", \"fields\":[{\"name\":\"f0\",\"type\":\"int\"}] }";
    assert_eq!(
        s.post("/subjects/orders-value", json!({"schema": spaced}))
            .await
            .1["version"],
        1
    );
    assert_error(
        &s.post("/subjects/orders-value", json!({"schema": STRING}))
            .await,
        404,
        40403,
    );
    assert_error(
        &s.post("/subjects/nope", json!({"schema": STRING})).await,
        404,
        40401,
    );
    assert_error(
        &s.post("/subjects/orders-value", json!({"schema": "{"}))
            .await,
        422,
        42201,
    );
}

/// Invalid input: schemas, types, bodies, media types, sizes.
pub async fn bad_input(s: &Server) {
    assert_error(
        &s.post("/subjects/x/versions", json!({"schema": "{\"type\":"}))
            .await,
        422,
        42201,
    );
    assert_error(
        &s.post(
            "/subjects/x/versions",
            json!({"schema": "{\"type\":\"nope\"}"}),
        )
        .await,
        422,
        42201,
    );
    assert_error(
        &s.post("/subjects/x/versions", json!({"schema": ""})).await,
        422,
        42201,
    );
    assert_error(&s.post("/subjects/x/versions", json!({})).await, 422, 42201);
    assert_error(
        &s.post(
            "/subjects/x/versions",
            json!({"schema": STRING, "schemaType": "XML"}),
        )
        .await,
        422,
        42201,
    );
    // Strict names for new schemas.
    let bad_name = r#"{"type":"record","name":"1bad","fields":[]}"#;
    assert_error(
        &s.post("/subjects/x/versions", json!({"schema": bad_name}))
            .await,
        422,
        42201,
    );
    // Bad defaults.
    let bad_default =
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#;
    assert_error(
        &s.post("/subjects/x/versions", json!({"schema": bad_default}))
            .await,
        422,
        42201,
    );
    // Deep nesting is an error, not a crash.
    let deep = format!(
        "{}\"int\"{}",
        "{\"type\":\"array\",\"items\":".repeat(400),
        "}".repeat(400)
    );
    assert_error(
        &s.post("/subjects/x/versions", json!({"schema": deep}))
            .await,
        422,
        42201,
    );
    // Malformed JSON and wrong field types are 400; no body is 422; text/plain is 415.
    let raw = |ct: Option<&str>, body: &str| {
        let mut r = s
            .client
            .post(format!("{}/subjects/x/versions", s.base))
            .body(body.to_owned());
        if let Some(ct) = ct {
            r = r.header("Content-Type", ct);
        }
        r
    };
    let send = |r: reqwest::RequestBuilder| async move {
        let resp = r.send().await.expect("send");
        let st = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let v: Value =
            serde_json::from_str(&resp.text().await.expect("text")).expect("error bodies are JSON");
        (st, v, ct)
    };
    let (st, v, _) = send(raw(Some("application/json"), "{not json")).await;
    assert_error(&(st, v), 400, 400);
    let (st, v, _) = send(raw(
        Some("application/json"),
        r#"{"schema": {"type": "string"}}"#,
    ))
    .await;
    assert_error(&(st, v), 400, 400);
    let (st, v, _) = send(raw(Some("application/json"), "")).await;
    assert_error(&(st, v), 422, 422);
    let (st, v, _) = send(raw(Some("text/plain"), r#"{"schema":"\"int\""}"#)).await;
    assert_error(&(st, v), 415, 415);
    let (st, v, ct) = send(raw(None, r#"{"schema":"\"int\""}"#)).await;
    assert_eq!(
        (st, v["id"].as_i64()),
        (200, Some(1)),
        "no Content-Type is JSON"
    );
    assert_eq!(
        ct.as_deref(),
        Some("application/vnd.schemaregistry.v1+json")
    );
    let big = "x".repeat(100 * 1024);
    let (st, v, _) = send(raw(
        Some("application/json"),
        &format!(r#"{{"schema":"{big}"}}"#),
    ))
    .await;
    assert_error(&(st, v), 413, 413);
    // Unknown routes and methods get JSON bodies too.
    assert_error(&s.get("/nope").await, 404, 404);
    assert_error(&s.call("PATCH", "/subjects", None).await, 405, 405);
    assert_error(
        &s.get("/subjects/x/versions/1/referencedby?offset=x").await,
        404,
        404,
    );
    // Nothing was written by any failed request.
    assert_eq!(s.get("/subjects").await.1, json!(["x"]));
    assert_eq!(s.get("/subjects/x/versions").await.1, json!([1]));
}

/// Odd input on every route never gives a 500 and every error has Confluent's body.
pub async fn no_server_errors(s: &Server) {
    s.register("z", STRING).await;
    let bodies = [
        None,
        Some(json!(null)),
        Some(json!([])),
        Some(json!("x")),
        Some(json!({"schema": null})),
        Some(json!({"schema": 5})),
        Some(json!({"schema": "\"int\"", "schemaType": 7})),
        Some(json!({"schema": "\"int\"", "references": [{"name": "a"}]})),
        Some(
            json!({"schema": "\"int\"", "references": [{"name": "a", "subject": "nope", "version": 1}]}),
        ),
        Some(json!({"schema": "\"int\"", "id": -5, "version": 0})),
        Some(json!({"schema": "\"int\"", "metadata": 5, "ruleSet": []})),
        Some(json!({"compatibility": 5, "mode": 7, "normalize": "yes"})),
        Some(json!({"mode": "IMPORT"})),
        Some(json!({"schema": "syntax = \"proto3\";\u{0}message M {}", "schemaType": "PROTOBUF"})),
        Some(json!({"schema": "{\"type\":\"string\",\"x\":\"\u{0}\"}"})),
    ];
    let subjects = [
        "z",
        "nope",
        "%3A.ctx%3Az",
        "a%2Fb",
        "%00",
        "__GLOBAL",
        ":.__GLOBAL:",
        "%E2%9C%93",
        "x%20y",
    ];
    let versions = ["1", "latest", "-1", "0", "99", "x", "99999999999999999999"];
    let mut paths = vec![
        "/".to_owned(),
        "/schemas?limit=-3&offset=-1".to_owned(),
        "/schemas/ids/0".to_owned(),
        "/schemas/ids/-1/versions".to_owned(),
        "/schemas/ids/99999999999999999999".to_owned(),
        "/schemas/guids/zzz".to_owned(),
        "/schemas/ids/1?subject=%3A.x%3A&format=serialized&fetchMaxId=true".to_owned(),
        "/contexts/%3A/subjects".to_owned(),
        "/contexts/.x/schemas".to_owned(),
        "/config?defaultToGlobal=true".to_owned(),
        "/mode?force=true".to_owned(),
    ];
    for subject in subjects {
        paths.push(format!("/subjects/{subject}"));
        paths.push(format!("/subjects/{subject}/versions"));
        paths.push(format!("/subjects/{subject}/metadata?key=a"));
        paths.push(format!("/config/{subject}"));
        paths.push(format!("/mode/{subject}"));
        paths.push(format!(
            "/compatibility/subjects/{subject}/versions?verbose=true"
        ));
        for v in versions {
            paths.push(format!("/subjects/{subject}/versions/{v}"));
            paths.push(format!("/subjects/{subject}/versions/{v}/referencedby"));
            paths.push(format!("/compatibility/subjects/{subject}/versions/{v}"));
        }
    }
    for path in &paths {
        for method in ["GET", "POST", "PUT", "DELETE"] {
            let attempts: Vec<Option<Value>> = if method == "POST" || method == "PUT" {
                bodies.to_vec()
            } else {
                vec![None]
            };
            for body in attempts {
                let (status, v) = s.call(method, path, body.clone()).await;
                assert!(status < 500, "{method} {path} {body:?} -> {status} {v}");
                if status >= 400 {
                    assert!(
                        v["error_code"].is_u64() && v["message"].is_string(),
                        "{method} {path} -> {v}"
                    );
                }
            }
        }
    }
    // The registry still works afterwards.
    assert_eq!(s.register("z", STRING).await["id"], 1);
}

/// Client quirks: capitalised booleans, `%2F`, trailing slashes, media types, headers.
pub async fn client_quirks(s: &Server) {
    let r = s.register("common%2Fmoney.proto", STRING).await;
    assert_eq!(r["subject"], "common/money.proto");
    assert_eq!(s.get("/subjects").await.1, json!(["common/money.proto"]));
    assert_eq!(
        s.get("/subjects/common%2Fmoney.proto/versions/").await,
        (200, json!([1]))
    );
    assert_eq!(s.get("/subjects/").await.1, json!(["common/money.proto"]));
    let (st, v) = s
        .post(
            "/compatibility/subjects/common%2Fmoney.proto/versions/?normalize=False&verbose=False",
            json!({"schema": STRING}),
        )
        .await;
    assert_eq!((st, v), (200, json!({"is_compatible": true})));
    assert_eq!(
        s.delete("/subjects/common%2Fmoney.proto?permanent=False")
            .await,
        (200, json!([1]))
    );
    assert_eq!(
        s.get("/subjects?deleted=True").await.1,
        json!(["common/money.proto"])
    );
    assert_eq!(s.get("/subjects?deleted=false").await.1, json!([]));
    assert_eq!(
        s.delete("/subjects/common%2Fmoney.proto?permanent=TRUE")
            .await,
        (200, json!([1]))
    );

    let accept = |a: &'static str| async move {
        let resp = s
            .client
            .get(format!("{}/subjects", s.base))
            .header("Accept", a)
            .send()
            .await
            .expect("send");
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let cache = resp.headers().get("cache-control").is_some();
        (ct, cache)
    };
    assert_eq!(
        accept("application/json").await.0.as_deref(),
        Some("application/json")
    );
    assert_eq!(
        accept("application/json, text/plain, */*")
            .await
            .0
            .as_deref(),
        Some("application/vnd.schemaregistry.v1+json")
    );
    assert_eq!(
        accept("application/vnd.schemaregistry+json")
            .await
            .0
            .as_deref(),
        Some("application/vnd.schemaregistry+json")
    );
    assert!(accept("*/*").await.1, "Cache-Control header is set");
    assert_eq!(s.get("/").await, (200, json!({})));
    assert_eq!(s.post("/", json!({"a": 1})).await, (200, json!({})));
    let (_, id) = s.get("/v1/metadata/id").await;
    assert!(id["id"].is_string() && id["scope"]["clusters"].is_object());
    assert!(s.get("/v1/metadata/version").await.1["version"].is_string());
}

/// Soft and hard deletes with Confluent's rules, codes and version numbering.
pub async fn deletes(s: &Server) {
    for n in 1..=3 {
        s.register("d", &record("D", n)).await;
    }
    assert_eq!(s.delete("/subjects/d/versions/2").await, (200, json!(2)));
    assert_error(&s.delete("/subjects/d/versions/2").await, 404, 40406);
    assert_error(
        &s.delete("/subjects/d/versions/3?permanent=true").await,
        404,
        40407,
    );
    assert_error(&s.delete("/subjects/d/versions/7").await, 404, 40402);
    assert_error(&s.delete("/subjects/nope/versions/1").await, 404, 40401);
    assert_error(&s.delete("/subjects/d/versions/zero").await, 422, 42202);
    assert_eq!(s.get("/subjects/d/versions").await.1, json!([1, 3]));
    assert_eq!(
        s.get("/subjects/d/versions?deleted=true").await.1,
        json!([1, 2, 3])
    );
    assert_eq!(
        s.get("/subjects/d/versions?deletedOnly=true").await.1,
        json!([2])
    );
    assert_eq!(
        s.get("/subjects/d/versions?deleted=true&deletedAsNegative=true")
            .await
            .1,
        json!([1, -2, 3])
    );
    assert_error(&s.get("/subjects/d/versions/2").await, 404, 40402);
    assert_eq!(
        s.get("/subjects/d/versions/2?deleted=true").await.1["deleted"],
        true
    );
    // A soft-deleted schema stays readable by id.
    assert_eq!(s.get("/schemas/ids/2").await.0, 200);
    assert_eq!(s.get("/schemas/ids/2/subjects").await.1, json!([]));
    assert_eq!(
        s.get("/schemas/ids/2/subjects?deleted=true").await.1,
        json!(["d"])
    );
    // Hard delete of v2, then a new version reuses nothing soft-deleted but the hard-deleted max is not max.
    assert_eq!(
        s.delete("/subjects/d/versions/2?permanent=true").await,
        (200, json!(2))
    );
    assert_error(&s.get("/schemas/ids/2").await, 404, 40403);
    let v4 = s.register("d", &record("D", 4)).await;
    assert_eq!(
        (v4["version"].as_i64(), v4["id"].as_i64()),
        (Some(4), Some(4))
    );
    // Deleting the latest: hard-deleted max version numbers are reused.
    s.delete("/subjects/d/versions/4").await;
    s.delete("/subjects/d/versions/4?permanent=true").await;
    let again = s.register("d", &record("D", 4)).await;
    assert_eq!(
        (again["version"].as_i64(), again["id"].as_i64()),
        (Some(4), Some(5)),
        "new id after hard delete"
    );

    // Subject deletes.
    assert_error(&s.delete("/subjects/d?permanent=true").await, 404, 40405);
    assert_eq!(s.delete("/subjects/d").await, (200, json!([1, 3, 4])));
    assert_error(&s.delete("/subjects/d").await, 404, 40404);
    assert_error(&s.get("/subjects/d/versions").await, 404, 40401);
    assert_eq!(s.get("/subjects").await.1, json!([]));
    assert_eq!(s.get("/subjects?deletedOnly=true").await.1, json!(["d"]));
    // Re-registering after a soft delete continues the numbering; the same schema as a soft-deleted version
    // tombstones that version.
    let cont = s.register("d", &record("D", 1)).await;
    assert_eq!(
        (cont["version"].as_i64(), cont["id"].as_i64()),
        (Some(5), Some(1))
    );
    assert_eq!(
        s.get("/subjects/d/versions?deleted=true").await.1,
        json!([3, 4, 5])
    );
    s.delete("/subjects/d").await;
    assert_eq!(
        s.delete("/subjects/d?permanent=true").await,
        (200, json!([3, 4, 5]))
    );
    assert_error(&s.delete("/subjects/d").await, 404, 40401);
    assert_error(&s.get("/schemas/ids/1").await, 404, 40403);
    // Ids are never reused.
    assert_eq!(s.register("e", &record("D", 1)).await["id"], 6);
}

/// Compatibility on registration and through the compatibility endpoints.
pub async fn compatibility(s: &Server) {
    let v1 = r#"{"type":"record","name":"U","fields":[{"name":"a","type":"int"}]}"#;
    let add_no_default = r#"{"type":"record","name":"U","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#;
    let add_default = r#"{"type":"record","name":"U","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}"#;
    s.register("u", v1).await;
    let err = s
        .post("/subjects/u/versions", json!({"schema": add_no_default}))
        .await;
    assert_error(&err, 409, 40901);
    let msg = err.1["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("READER_FIELD_MISSING_DEFAULT_VALUE") && msg.contains("oldSchemaVersion: 1"),
        "{msg}"
    );
    assert_eq!(
        s.get("/subjects/u/versions").await.1,
        json!([1]),
        "a failed registration writes nothing"
    );

    assert_eq!(
        s.post(
            "/compatibility/subjects/u/versions/latest",
            json!({"schema": add_no_default})
        )
        .await,
        (200, json!({"is_compatible": false}))
    );
    let (_, verbose) = s
        .post(
            "/compatibility/subjects/u/versions/latest?verbose=true",
            json!({"schema": add_no_default}),
        )
        .await;
    assert_eq!(verbose["is_compatible"], false);
    let messages = verbose["messages"].as_array().cloned().unwrap_or_default();
    assert!(messages.iter().any(|m| {
        m.as_str()
            .unwrap_or("")
            .contains("READER_FIELD_MISSING_DEFAULT_VALUE")
    }));
    assert!(messages.iter().any(|m| {
        m.as_str()
            .unwrap_or("")
            .contains("compatibility: 'BACKWARD'")
    }));
    assert_eq!(
        s.post(
            "/compatibility/subjects/u/versions?verbose=true",
            json!({"schema": add_default})
        )
        .await,
        (200, json!({"is_compatible": true, "messages": []}))
    );
    assert_error(
        &s.post(
            "/compatibility/subjects/u/versions/5",
            json!({"schema": v1}),
        )
        .await,
        404,
        40402,
    );
    assert_error(
        &s.post(
            "/compatibility/subjects/none/versions/1",
            json!({"schema": v1}),
        )
        .await,
        404,
        40402,
    );
    assert_eq!(
        s.post(
            "/compatibility/subjects/none/versions/latest",
            json!({"schema": v1})
        )
        .await,
        (200, json!({"is_compatible": true}))
    );
    assert_error(
        &s.post(
            "/compatibility/subjects/u/versions/latest",
            json!({"schema": "{"}),
        )
        .await,
        422,
        42201,
    );
    let (st, invalid) = s
        .post(
            "/compatibility/subjects/u/versions/latest?verbose=true",
            json!({"schema": "{"}),
        )
        .await;
    assert_eq!((st, &invalid["is_compatible"]), (200, &json!(false)));

    // FORWARD: adding a field without a default is fine, removing one without default is not.
    assert_eq!(
        s.put("/config/u", json!({"compatibility": "forward"}))
            .await,
        (200, json!({"compatibility": "FORWARD"}))
    );
    let v2 = s.register("u", add_no_default).await;
    assert_eq!(v2["version"], 2);
    // NONE accepts anything.
    s.put("/config/u", json!({"compatibility": "NONE"})).await;
    assert_eq!(s.register("u", STRING).await["version"], 3);
    // Transitive levels check every live version; the {version} endpoint checks one.
    s.put("/config/u", json!({"compatibility": "BACKWARD_TRANSITIVE"}))
        .await;
    assert_eq!(
        s.post(
            "/compatibility/subjects/u/versions/3",
            json!({"schema": STRING})
        )
        .await
        .1,
        json!({"is_compatible": true})
    );
    assert_eq!(
        s.post(
            "/compatibility/subjects/u/versions",
            json!({"schema": STRING})
        )
        .await
        .1,
        json!({"is_compatible": false})
    );
    // Registration with force=true skips the check.
    let forced = s
        .post(
            "/subjects/u/versions?force=true",
            json!({"schema": r#"{"type":"array","items":"int"}"#}),
        )
        .await;
    assert_eq!(forced.0, 200, "{}", forced.1);
}

/// Config and mode endpoints, precedence and codes.
pub async fn config_and_mode(s: &Server) {
    assert_eq!(
        s.get("/config").await,
        (200, json!({"compatibilityLevel": "BACKWARD"}))
    );
    assert_error(&s.get("/config/x").await, 404, 40408);
    assert_eq!(
        s.get("/config/x?defaultToGlobal=true").await.1,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    assert_error(
        &s.put("/config", json!({"compatibility": "SIDEWAYS"})).await,
        422,
        42203,
    );
    assert_eq!(
        s.put("/config", json!({"compatibility": "full"})).await.1,
        json!({"compatibility": "FULL"})
    );
    assert_eq!(
        s.get("/config/x?defaultToGlobal=true").await.1["compatibilityLevel"],
        "FULL"
    );
    assert_eq!(
        s.put(
            "/config/x",
            json!({"compatibility": "NONE", "normalize": true})
        )
        .await
        .1,
        json!({"compatibility": "NONE", "normalize": true})
    );
    assert_eq!(
        s.get("/config/x").await.1,
        json!({"compatibilityLevel": "NONE", "normalize": true})
    );
    assert_eq!(
        s.put("/config/x", json!({"normalize": null})).await.1,
        json!({"compatibility": "NONE"})
    );
    assert_eq!(
        s.delete("/config/x").await.1,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_error(&s.delete("/config/x").await, 404, 40401);
    assert_eq!(
        s.delete("/config").await.1,
        json!({"compatibilityLevel": "FULL"})
    );
    assert_eq!(
        s.get("/config").await.1,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    assert_error(
        &s.put("/config/__GLOBAL", json!({"compatibility": "NONE"}))
            .await,
        422,
        42208,
    );

    assert_eq!(s.get("/mode").await, (200, json!({"mode": "READWRITE"})));
    assert_error(&s.get("/mode/x").await, 404, 40409);
    assert_eq!(
        s.get("/mode/x?defaultToGlobal=true").await.1,
        json!({"mode": "READWRITE"})
    );
    assert_error(
        &s.put("/mode", json!({"mode": "SIDEWAYS"})).await,
        422,
        42204,
    );
    assert_error(
        &s.put("/mode", json!({"mode": "FORWARD"})).await,
        422,
        42204,
    );
    assert_eq!(
        s.put("/mode/x", json!({"mode": "readonly"})).await,
        (200, json!({"mode": "readonly"}))
    );
    assert_eq!(s.get("/mode/x").await.1, json!({"mode": "READONLY"}));
    assert_error(
        &s.post("/subjects/x/versions", json!({"schema": STRING}))
            .await,
        422,
        42205,
    );
    assert_eq!(s.delete("/mode/x").await.1, json!({"mode": "READONLY"}));
    assert_error(&s.delete("/mode/x").await, 404, 40401);
    let r = s.register("x", STRING).await;
    assert_eq!(r["id"], 1);
    // READONLY: the existing schema is still answered, new ones and deletes are refused.
    s.put("/mode", json!({"mode": "READONLY"})).await;
    assert_eq!(s.register("x", STRING).await["id"], 1);
    assert_error(
        &s.post("/subjects/x/versions", json!({"schema": "\"int\""}))
            .await,
        422,
        42205,
    );
    assert_error(&s.delete("/subjects/x").await, 422, 42205);
    s.put("/mode", json!({"mode": "READWRITE"})).await;
    // IMPORT needs an empty scope unless forced, and explicit ids.
    assert_error(&s.put("/mode", json!({"mode": "IMPORT"})).await, 422, 42205);
    assert_error(
        &s.post(
            "/subjects/x/versions",
            json!({"schema": "\"int\"", "id": 5}),
        )
        .await,
        422,
        42205,
    );
    assert_eq!(s.put("/mode/imp", json!({"mode": "IMPORT"})).await.0, 200);
    assert_error(
        &s.post("/subjects/imp/versions", json!({"schema": "\"int\""}))
            .await,
        422,
        42205,
    );
    let (st, imported) = s
        .post(
            "/subjects/imp/versions",
            json!({"schema": "\"int\"", "id": 7001, "version": 3}),
        )
        .await;
    assert_eq!(st, 200, "{imported}");
    assert_eq!(
        (imported["id"].as_i64(), imported["version"].as_i64()),
        (Some(7001), Some(3))
    );
    assert_error(
        &s.post(
            "/subjects/imp/versions",
            json!({"schema": "\"long\"", "id": 7001}),
        )
        .await,
        422,
        42205,
    );
    s.delete("/mode/imp").await;
    // Generated ids continue after imported ones.
    assert_eq!(s.register("y", "\"double\"").await["id"], 7002);
    assert_eq!(
        s.put("/mode?force=true", json!({"mode": "IMPORT"})).await.0,
        200
    );
    assert_eq!(s.put("/mode", json!({"mode": null})).await.0, 200);
    assert_eq!(s.get("/mode").await.1, json!({"mode": "READWRITE"}));
}

/// Contexts: qualified subjects, per-context ids, `/contexts/{ctx}/...` paths.
pub async fn contexts(s: &Server) {
    assert_eq!(s.register("a", STRING).await["id"], 1);
    let c = s.register(":.prod:a", "\"int\"").await;
    assert_eq!(
        (c["id"].as_i64(), c["subject"].as_str()),
        (Some(1), Some(":.prod:a"))
    );
    assert_eq!(s.get("/subjects").await.1, json!([":.prod:a", "a"]));
    assert_eq!(s.get("/subjects?subjectPrefix=").await.1, json!(["a"]));
    assert_eq!(
        s.get("/subjects?subjectPrefix=:.prod:").await.1,
        json!([":.prod:a"])
    );
    assert_eq!(
        s.get("/contexts/.prod/subjects").await.1,
        json!([":.prod:a"])
    );
    assert_eq!(
        s.get("/contexts/.prod/subjects/a/versions/1").await.1["schema"],
        "\"int\""
    );
    assert_eq!(s.get("/schemas/ids/1").await.1["schema"], "\"string\"");
    assert_eq!(
        s.get("/schemas/ids/1?subject=:.prod:a").await.1["schema"],
        "\"int\""
    );
    assert_eq!(
        s.get("/contexts/.prod/schemas/ids/1").await.1["schema"],
        "\"int\""
    );
    assert_eq!(s.get("/contexts").await.1, json!([".", ".prod"]));
    // Unqualified reads of a subject that only exists in another context find it there.
    s.register(":.prod:only-prod", "\"long\"").await;
    let (st, fallback) = s.get("/subjects/only-prod/versions/1").await;
    assert_eq!(
        (st, fallback["subject"].as_str()),
        (200, Some(":.prod:only-prod")),
        "{fallback}"
    );
    assert_eq!(
        s.post("/subjects/only-prod", json!({"schema": "\"long\""}))
            .await
            .0,
        200
    );
    assert_error(
        &s.get("/subjects/:.:only-prod/versions/1").await,
        404,
        40401,
    );
    s.put("/contexts/.prod/config", json!({"compatibility": "NONE"}))
        .await;
    assert_eq!(
        s.get("/config/:.prod:a?defaultToGlobal=true").await.1["compatibilityLevel"],
        "NONE"
    );
    assert_error(&s.delete("/contexts/.prod").await, 422, 42211);
    for subject in [":.prod:a", ":.prod:only-prod"] {
        s.delete(&format!("/subjects/{subject}")).await;
        s.delete(&format!("/subjects/{subject}?permanent=true"))
            .await;
    }
    let resp = s
        .client
        .delete(format!("{}/contexts/.prod", s.base))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(s.get("/contexts").await.1, json!(["."]));
}

/// Avro references across subjects, referencedby and the delete rules they impose.
pub async fn references(s: &Server) {
    let address = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}"#;
    let person = r#"{"type":"record","name":"Person","namespace":"com.acme","fields":[{"name":"home","type":"com.acme.Address"}]}"#;
    assert_eq!(s.register("address", address).await["id"], 1);
    let refs = json!([{"name": "com.acme.Address", "subject": "address", "version": -1}]);
    assert_error(
        &s.post("/subjects/person/versions", json!({"schema": person}))
            .await,
        422,
        42201,
    );
    let (st, p) = s
        .post(
            "/subjects/person/versions",
            json!({"schema": person, "references": refs}),
        )
        .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["id"], 2);
    assert_eq!(
        p["references"],
        json!([{"name": "com.acme.Address", "subject": "address", "version": 1}])
    );
    assert!(
        !p["schema"].as_str().unwrap_or_default().contains("city"),
        "referenced types are not inlined"
    );
    let (st, found) = s
        .post(
            "/subjects/person",
            json!({"schema": person, "references": refs}),
        )
        .await;
    assert_eq!((st, found["version"].as_i64()), (200, Some(1)), "{found}");
    assert_eq!(
        s.get("/subjects/address/versions/1/referencedby").await,
        (200, json!([2]))
    );
    assert_error(&s.delete("/subjects/address/versions/1").await, 422, 42206);
    assert_error(&s.delete("/subjects/address").await, 422, 42206);
    let missing = json!([{"name": "com.acme.Address", "subject": "address", "version": 9}]);
    assert_error(
        &s.post(
            "/subjects/p2/versions",
            json!({"schema": person, "references": missing}),
        )
        .await,
        422,
        42201,
    );
    // A compatible evolution of the referring schema is checked with its references.
    let person2 = r#"{"type":"record","name":"Person","namespace":"com.acme","fields":[{"name":"home","type":"com.acme.Address"},{"name":"n","type":"int","default":1}]}"#;
    let (st, v2) = s
        .post(
            "/subjects/person/versions",
            json!({"schema": person2, "references": refs}),
        )
        .await;
    assert_eq!((st, v2["version"].as_i64()), (200, Some(2)), "{v2}");
    // After the referrers are gone the referenced version can be deleted.
    s.delete("/subjects/person").await;
    assert_eq!(
        s.get("/subjects/address/versions/1/referencedby").await.1,
        json!([])
    );
    assert_eq!(
        s.get("/subjects/address/versions/1/referencedby?deleted=true")
            .await
            .1,
        json!([2, 3])
    );
    assert_eq!(
        s.delete("/subjects/address/versions/1").await,
        (200, json!(1))
    );
    assert_error(
        &s.delete("/subjects/address/versions/1?permanent=true")
            .await,
        422,
        42206,
    );
    s.delete("/subjects/person?permanent=true").await;
    assert_eq!(
        s.delete("/subjects/address/versions/1?permanent=true")
            .await,
        (200, json!(1))
    );
}

/// `normalize`, metadata, rule sets and the latest-with-metadata lookup; PROTOBUF and JSON storage.
pub async fn normalize_metadata_and_other_types(s: &Server) {
    let a = r#"{"type":"record","name":"N","fields":[{"name":"a","type":"int"}],"z":1,"b":2}"#;
    let b = r#"{"type":"record","name":"N","fields":[{"name":"a","type":"int"}],"b":2,"z":1}"#;
    let ra = s
        .post("/subjects/n/versions?normalize=true", json!({"schema": a}))
        .await
        .1;
    let rb = s
        .post("/subjects/n/versions?normalize=true", json!({"schema": b}))
        .await
        .1;
    assert_eq!(
        (ra["id"].clone(), rb["version"].clone()),
        (json!(1), json!(1)),
        "{ra} {rb}"
    );
    let (st, found) = s
        .post("/subjects/n?normalize=true", json!({"schema": b}))
        .await;
    assert_eq!((st, found["id"].as_i64()), (200, Some(1)));

    let md = json!({"properties": {"owner": "team-a"}});
    let (st, m1) = s
        .post(
            "/subjects/m/versions",
            json!({"schema": STRING, "metadata": md}),
        )
        .await;
    assert_eq!(st, 200, "{m1}");
    assert_eq!(m1["metadata"], md);
    let md2 = json!({"properties": {"owner": "team-b"}});
    let m2 = s
        .post(
            "/subjects/m/versions",
            json!({"schema": STRING, "metadata": md2}),
        )
        .await
        .1;
    assert_eq!(
        (m2["version"].as_i64(), m2["id"].as_i64()),
        (Some(2), Some(3)),
        "metadata is part of identity"
    );
    let (st, latest) = s.get("/subjects/m/metadata?key=owner&value=team-a").await;
    assert_eq!((st, latest["version"].as_i64()), (200, Some(1)));
    assert_error(
        &s.get("/subjects/m/metadata?key=owner&value=nobody").await,
        404,
        40403,
    );
    // Without metadata, the same schema finds the newest version that has it (register and lookup); a new schema
    // inherits the latest version's metadata.
    let same = s.register("m", STRING).await;
    assert_eq!(
        (same["version"].as_i64(), same["id"].as_i64()),
        (Some(2), Some(3))
    );
    let (st, found) = s.post("/subjects/m", json!({"schema": STRING})).await;
    assert_eq!((st, found["version"].as_i64()), (200, Some(2)));
    let inherited = s.register("m", "\"bytes\"").await;
    assert_eq!(
        (inherited["version"].as_i64(), &inherited["metadata"]),
        (Some(3), &md2)
    );
    // compatibilityGroup: only versions in the same group are compared.
    s.put("/config/g", json!({"compatibilityGroup": "major"}))
        .await;
    let major = |n: &str| json!({"properties": {"major": n}});
    s.post(
        "/subjects/g/versions",
        json!({"schema": STRING, "metadata": major("1")}),
    )
    .await;
    let (st, other_group) = s
        .post(
            "/subjects/g/versions",
            json!({"schema": "\"int\"", "metadata": major("2")}),
        )
        .await;
    assert_eq!(st, 200, "{other_group}");
    let same_group = s
        .post(
            "/subjects/g/versions",
            json!({"schema": "\"int\"", "metadata": major("1")}),
        )
        .await;
    assert_error(&same_group, 409, 40901);
    // Config defaults and overrides of metadata are merged into new versions.
    s.put(
        "/config/dc",
        json!({"defaultMetadata": {"properties": {"owner": "platform", "x": "d"}},
               "overrideMetadata": {"properties": {"tier": "gold"}}}),
    )
    .await;
    let (st, dc) = s
        .post(
            "/subjects/dc/versions",
            json!({"schema": STRING, "metadata": {"properties": {"owner": "me"}}}),
        )
        .await;
    assert_eq!(st, 200, "{dc}");
    assert_eq!(
        dc["metadata"],
        json!({"properties": {"owner": "me", "tier": "gold", "x": "d"}})
    );
    let bad_rules = json!({"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "UPGRADE", "type": "CEL"}]});
    assert_error(
        &s.post(
            "/subjects/m/versions",
            json!({"schema": STRING, "ruleSet": bad_rules}),
        )
        .await,
        422,
        42210,
    );

    let proto = "syntax = \"proto3\";\npackage p;\n\nmessage M {\n  string f = 1;\n}\n";
    let (st, p1) = s
        .post(
            "/subjects/pb/versions",
            json!({"schema": proto, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(st, 200, "{p1}");
    assert_eq!(p1["schemaType"], "PROTOBUF");
    let (st, again) = s
        .post(
            "/subjects/pb/versions",
            json!({"schema": format!("  {proto}  "), "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!((st, again["id"].clone()), (200, p1["id"].clone()));
    assert_eq!(
        s.get(&format!("/schemas/ids/{}/schema", p1["id"])).await.1,
        json!(proto)
    );
    // format=serialized answers a base64 FileDescriptorProto.
    let (_, ser) = s
        .get(&format!("/schemas/ids/{}?format=serialized", p1["id"]))
        .await;
    let b64 = ser["schema"].as_str().unwrap_or_default();
    assert!(!b64.is_empty() && !b64.contains("syntax"), "{ser}");
    assert_eq!(
        s.get(&format!("/schemas/ids/{}?format=unknown", p1["id"]))
            .await
            .1["schema"],
        json!(proto)
    );
    assert_eq!(
        s.get("/subjects/pb/versions/1?format=serialized").await.1["schema"],
        json!(b64)
    );
    // A descriptor is accepted as a schema (confluent-kafka's ProtobufSerializer sends one) and stored as the
    // same canonical text, so it shares the id of the text.
    let (st, from_b64) = s
        .post(
            "/subjects/pb-b64/versions",
            json!({"schema": b64, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(
        (st, from_b64["schema"].as_str(), &from_b64["id"]),
        (200, Some(proto), &p1["id"]),
        "{from_b64}"
    );
    // Invalid .proto text and unresolvable imports are 42201; imports resolve through references.
    let bad = s
        .post(
            "/subjects/pb-bad/versions",
            json!({"schema": "message {", "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_error(&bad, 422, 42201);
    let money = "syntax = \"proto3\";\npackage common;\nmessage Money {\n  int64 units = 1;\n}\n";
    s.post(
        "/subjects/common%2Fmoney.proto/versions",
        json!({"schema": money, "schemaType": "PROTOBUF"}),
    )
    .await;
    let order = "syntax = \"proto3\";\npackage shop;\nimport \"common/money.proto\";\nmessage Order {\n  common.Money total = 1;\n}\n";
    let no_refs = s
        .post(
            "/subjects/order/versions",
            json!({"schema": order, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_error(&no_refs, 422, 42201);
    let refs =
        json!([{"name": "common/money.proto", "subject": "common/money.proto", "version": 1}]);
    let (st, o) = s
        .post(
            "/subjects/order/versions",
            json!({"schema": order, "schemaType": "PROTOBUF", "references": refs}),
        )
        .await;
    assert_eq!(st, 200, "{o}");
    let (_, o_ser) = s
        .get(&format!("/schemas/ids/{}?format=serialized", o["id"]))
        .await;
    let fdp = decode_descriptor(o_ser["schema"].as_str().unwrap_or_default());
    assert_eq!(fdp.dependency, vec!["common/money.proto".to_owned()]);
    assert_eq!(fdp.package.as_deref(), Some("shop"));
    assert_eq!(fdp.message_type[0].name.as_deref(), Some("Order"));
    assert_eq!(
        s.get("/subjects/common%2Fmoney.proto/versions/1/referencedby")
            .await
            .1,
        json!([o["id"]])
    );
    // Protobuf subjects are checked with Confluent's rules: a scalar kind change is incompatible, a new field is
    // not; NONE registers anything.
    let proto2 = "syntax = \"proto3\";\npackage p;\n\nmessage M {\n  int64 f = 1;\n}\n";
    let refused = s
        .post(
            "/subjects/pb/versions",
            json!({"schema": proto2, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_error(&refused, 409, 40901);
    let added =
        "syntax = \"proto3\";\npackage p;\n\nmessage M {\n  string f = 1;\n  int32 g = 2;\n}\n";
    let (st, verdict) = s
        .post(
            "/compatibility/subjects/pb/versions/latest?verbose=true",
            json!({"schema": added, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(
        (st, &verdict["is_compatible"]),
        (200, &json!(true)),
        "{verdict}"
    );
    // A subject whose versions were registered as descriptors is checked like any other.
    let refused = s
        .post(
            "/subjects/pb-b64/versions",
            json!({"schema": proto2, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_error(&refused, 409, 40901);
    s.put("/config/pb", json!({"compatibility": "NONE"})).await;
    let (st, p2) = s
        .post(
            "/subjects/pb/versions",
            json!({"schema": proto2, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!((st, p2["version"].as_i64()), (200, Some(2)));
    // Changing the type of a subject is incompatible, with a message saying so.
    s.put("/config/pb", json!({"compatibility": "BACKWARD"}))
        .await;
    let (_, mismatch) = s
        .post(
            "/compatibility/subjects/pb/versions/latest?verbose=true",
            json!({"schema": STRING}),
        )
        .await;
    assert_eq!(mismatch["is_compatible"], false, "{mismatch}");

    let js = "{ \"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}} }";
    let (st, j) = s
        .post(
            "/subjects/js/versions",
            json!({"schema": js, "schemaType": "JSON"}),
        )
        .await;
    assert_eq!(st, 200, "{j}");
    assert_eq!(
        j["schema"],
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#
    );
}

/// Protobuf identity: the canonical print (any formatting of one schema has one id), descriptors converted to the
/// same text, lookups by `.proto` text of a schema registered as a descriptor, compatibility against a
/// descriptor-registered version, and `normalize=true`.
pub async fn protobuf_canonical(s: &Server) {
    let compact = "syntax=\"proto3\";package p;message A{string a=1;B b=2;message B{int32 x=1;}}";
    let spaced = "// A comment.\nsyntax = \"proto3\";\n\npackage p;\n\n/* doc */\nmessage A {\n  message B {\n    int32 x = 1; // x\n  }\n\n  string a = 1;\n  B   b = 2;\n}\n";
    let canonical = "syntax = \"proto3\";\npackage p;\n\nmessage A {\n  string a = 1;\n  B b = 2;\n\n  message B {\n    int32 x = 1;\n  }\n}\n";
    let (st, first) = s
        .post(
            "/subjects/fmt/versions",
            json!({"schema": compact, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(st, 200, "{first}");
    assert_eq!(first["schema"], json!(canonical));
    let (st, second) = s
        .post(
            "/subjects/fmt/versions",
            json!({"schema": spaced, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(
        (st, &second["id"], &second["version"]),
        (200, &first["id"], &json!(1))
    );
    assert_eq!(s.get("/subjects/fmt/versions").await.1, json!([1]));
    // Under another subject the same schema, however written, has the same id.
    let (_, other) = s
        .post(
            "/subjects/fmt-other/versions",
            json!({"schema": spaced, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(other["id"], first["id"]);

    // What confluent-kafka-python's ProtobufSerializer sends: base64 of the generated code's descriptor, with
    // fully qualified type names.
    let fdp = {
        use prost_types::field_descriptor_proto::{Label, Type};
        use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};
        let field =
            |name: &str, number: i32, ty: Type, type_name: Option<&str>| FieldDescriptorProto {
                name: Some(name.into()),
                number: Some(number),
                label: Some(Label::Optional as i32),
                r#type: Some(ty as i32),
                type_name: type_name.map(Into::into),
                ..Default::default()
            };
        FileDescriptorProto {
            name: Some("e2e/greeting.proto".into()),
            package: Some("e2e".into()),
            syntax: Some("proto3".into()),
            message_type: vec![DescriptorProto {
                name: Some("Greeting".into()),
                field: vec![
                    field("text", 1, Type::String, None),
                    field("sender", 2, Type::Message, Some(".e2e.Greeting.Person")),
                ],
                nested_type: vec![DescriptorProto {
                    name: Some("Person".into()),
                    field: vec![field("name", 1, Type::String, None)],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }
    };
    let b64 = {
        use base64::Engine as _;
        use prost::Message as _;
        base64::engine::general_purpose::STANDARD.encode(fdp.encode_to_vec())
    };
    let (st, reg) = s
        .post(
            "/subjects/greeting-value/versions?normalize=False",
            json!({"schema": b64, "schemaType": "PROTOBUF", "references": []}),
        )
        .await;
    assert_eq!(st, 200, "{reg}");
    assert_eq!(
        reg["schema"],
        json!(
            "syntax = \"proto3\";\npackage e2e;\n\nmessage Greeting {\n  string text = 1;\n  .e2e.Greeting.Person sender = 2;\n\n  message Person {\n    string name = 1;\n  }\n}\n"
        )
    );
    // The Python serializer looks the schema up by the same base64 form.
    let (st, found) = s
        .post(
            "/subjects/greeting-value?normalize=False&deleted=False",
            json!({"schema": b64, "schemaType": "PROTOBUF", "references": []}),
        )
        .await;
    assert_eq!((st, &found["id"]), (200, &reg["id"]), "{found}");
    // A client holding the .proto text (names as written, comments) finds the same version.
    let text = "syntax = \"proto3\";\npackage e2e;\n// Says hello.\nmessage Greeting {\n  message Person { string name = 1; }\n  string text = 1;\n  Person sender = 2;\n}\n";
    let (st, found) = s
        .post(
            "/subjects/greeting-value",
            json!({"schema": text, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(
        (st, &found["id"], &found["version"]),
        (200, &reg["id"], &json!(1)),
        "{found}"
    );
    // Registering the text is idempotent too: no second version.
    let (st, again) = s
        .post(
            "/subjects/greeting-value/versions",
            json!({"schema": text, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!((st, &again["version"]), (200, &json!(1)), "{again}");
    assert_eq!(
        s.get("/subjects/greeting-value/versions").await.1,
        json!([1])
    );
    // Compatibility against the descriptor-registered version: a new field is compatible, a changed scalar kind
    // is not.
    let added = "syntax = \"proto3\";\npackage e2e;\nmessage Greeting {\n  message Person { string name = 1; }\n  string text = 1;\n  Person sender = 2;\n  int32 count = 3;\n}\n";
    let (st, verdict) = s
        .post(
            "/compatibility/subjects/greeting-value/versions/latest?verbose=true",
            json!({"schema": added, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(
        (st, &verdict["is_compatible"]),
        (200, &json!(true)),
        "{verdict}"
    );
    let changed = "syntax = \"proto3\";\npackage e2e;\nmessage Greeting {\n  message Person { string name = 1; }\n  int64 text = 1;\n  Person sender = 2;\n}\n";
    let (st, verdict) = s
        .post(
            "/compatibility/subjects/greeting-value/versions?verbose=true",
            json!({"schema": changed, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(
        (st, &verdict["is_compatible"]),
        (200, &json!(false)),
        "{verdict}"
    );
    let (st, v2) = s
        .post(
            "/subjects/greeting-value/versions",
            json!({"schema": added, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!((st, &v2["version"]), (200, &json!(2)), "{v2}");
    // format=serialized of a descriptor-registered schema is a descriptor of the same messages.
    let (_, ser) = s
        .get(&format!("/schemas/ids/{}?format=serialized", reg["id"]))
        .await;
    let back = decode_descriptor(ser["schema"].as_str().unwrap_or_default());
    assert_eq!(back.package.as_deref(), Some("e2e"));
    assert_eq!(
        back.message_type[0].nested_type[0].name.as_deref(),
        Some("Person")
    );

    // normalize=true stores the normalized print: fields by number, names resolved with a leading dot.
    let unordered = "syntax = \"proto3\";\npackage n;\nmessage M {\n  Inner b = 2;\n  string a = 1;\n  message Inner {}\n}\n";
    let (st, norm) = s
        .post(
            "/subjects/norm-pb/versions?normalize=true",
            json!({"schema": unordered, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!(st, 200, "{norm}");
    assert_eq!(
        norm["schema"],
        json!(
            "syntax = \"proto3\";\npackage n;\n\nmessage M {\n  string a = 1;\n  .n.M.Inner b = 2;\n\n  message Inner {}\n}\n"
        )
    );
    // Without normalize the same schema is found by lookup through the normalized form.
    let (st, found) = s
        .post(
            "/subjects/norm-pb",
            json!({"schema": unordered, "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_eq!((st, &found["id"]), (200, &norm["id"]), "{found}");
    // Text that is neither .proto nor a descriptor is 42201 with the parser's message.
    let bad = s
        .post(
            "/subjects/pb-garbage/versions",
            json!({"schema": "bWVzc2FnZQ==", "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_error(&bad, 422, 42201);
}

/// Subject aliases (Confluent's `AliasFilter`), `format=resolved`, `referenceFormat=qualified`,
/// `DELETE /mode?recursive` and `validateFields`.
pub async fn aliases_formats_and_fields(s: &Server) {
    // An alias: requests to `orders-alias` are served by `orders`.
    let v1 = s.register("orders", &record("Order", 1)).await;
    assert_eq!(
        s.put("/config/orders-alias", json!({"alias": "orders"}))
            .await
            .0,
        200
    );
    let (st, latest) = s.get("/subjects/orders-alias/versions/latest").await;
    assert_eq!(
        (st, &latest["subject"], &latest["id"]),
        (200, &json!("orders"), &v1["id"])
    );
    let (st, v2) = s
        .post(
            "/subjects/orders-alias/versions",
            json!({"schema": record("Order", 2)}),
        )
        .await;
    assert_eq!((st, &v2["version"]), (200, &json!(2)), "{v2}");
    assert_eq!(s.get("/subjects/orders/versions").await.1, json!([1, 2]));
    let (st, verdict) = s
        .post(
            "/compatibility/subjects/orders-alias/versions/latest",
            json!({"schema": record("Order", 3)}),
        )
        .await;
    assert_eq!((st, &verdict["is_compatible"]), (200, &json!(true)));
    let (st, by_id) = s
        .get(&format!("/schemas/ids/{}?subject=orders-alias", v1["id"]))
        .await;
    assert_eq!(st, 200, "{by_id}");
    // The alias subject's own config is still addressed directly, and lists do not show it.
    assert_eq!(
        s.get("/config/orders-alias").await.1["alias"],
        json!("orders")
    );
    assert!(
        !s.get("/subjects")
            .await
            .1
            .as_array()
            .expect("list")
            .contains(&json!("orders-alias"))
    );
    // In a context, an unqualified alias names a subject of the same context.
    s.register(":.team:real", STRING).await;
    s.put("/config/:.team:nick", json!({"alias": "real"})).await;
    let (st, v) = s.get("/subjects/:.team:nick/versions/1").await;
    assert_eq!((st, &v["subject"]), (200, &json!(":.team:real")), "{v}");

    // format=resolved inlines the referenced Avro types; referenceFormat=qualified qualifies references.
    let address = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}"#;
    let person = r#"{"type":"record","name":"Person","namespace":"com.acme","fields":[{"name":"home","type":"com.acme.Address"}]}"#;
    s.register(":.res:address", address).await;
    let refs = json!([{"name": "com.acme.Address", "subject": "address", "version": 1}]);
    let (st, p) = s
        .post(
            "/subjects/:.res:person/versions",
            json!({"schema": person, "references": refs}),
        )
        .await;
    assert_eq!(st, 200, "{p}");
    let (_, plain) = s.get("/subjects/:.res:person/versions/1").await;
    assert!(
        !plain["schema"]
            .as_str()
            .unwrap_or_default()
            .contains("city")
    );
    assert_eq!(plain["references"][0]["subject"], json!("address"));
    let (_, resolved) = s
        .get("/subjects/:.res:person/versions/1?format=resolved&referenceFormat=qualified")
        .await;
    assert_eq!(
        resolved["schema"],
        json!(
            r#"{"type":"record","name":"Person","namespace":"com.acme","fields":[{"name":"home","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}}]}"#
        )
    );
    assert_eq!(resolved["references"][0]["subject"], json!(":.res:address"));
    let (_, by_id) = s
        .get(&format!(
            "/schemas/ids/{}?subject=:.res:person&format=resolved",
            p["id"]
        ))
        .await;
    assert!(
        by_id["schema"]
            .as_str()
            .unwrap_or_default()
            .contains("city"),
        "{by_id}"
    );

    // DELETE /mode?recursive also drops the modes of the subjects in the context.
    s.put("/mode/m-one", json!({"mode": "READONLY"})).await;
    s.put("/mode/m-two", json!({"mode": "IMPORT"})).await;
    s.put("/mode", json!({"mode": "READWRITE"})).await;
    assert_eq!(s.delete("/mode").await, (200, json!({"mode": "READWRITE"})));
    assert_eq!(s.get("/mode/m-one").await.1["mode"], json!("READONLY"));
    assert_eq!(
        s.delete("/mode?recursive=true").await,
        (200, json!({"mode": "READWRITE"}))
    );
    assert_error(&s.get("/mode/m-one").await, 404, 40409);
    assert_error(&s.get("/mode/m-two").await, 404, 40409);
    s.put("/mode/:.ctxm:a", json!({"mode": "READONLY"})).await;
    assert_error(&s.delete("/mode/:.ctxm:b").await, 404, 40401);
    assert_eq!(
        s.delete("/mode/:.ctxm:b?recursive=true").await,
        (200, json!({"mode": null}))
    );
    s.delete("/mode/:.ctxm:?recursive=true").await;
    assert_error(&s.get("/mode/:.ctxm:a").await, 404, 40409);

    // validateFields: reserved fields (metadata `confluent:reserved`) may not be fields, nor be dropped.
    s.put(
        "/config/reserved",
        json!({"validateFields": true, "compatibility": "NONE"}),
    )
    .await;
    let reserved = |names: &str| json!({"properties": {"confluent:reserved": names}});
    let (st, r1) = s
        .post(
            "/subjects/reserved/versions",
            json!({"schema": record("R", 1), "metadata": reserved("f1, f2")}),
        )
        .await;
    assert_eq!(st, 200, "{r1}");
    let clash = s
        .post(
            "/subjects/reserved/versions",
            json!({"schema": record("R", 2), "metadata": reserved("f1, f2")}),
        )
        .await;
    assert_error(&clash, 409, 40901);
    let message = clash.1["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("conflicts with the reserved field f1")
            && message.contains("validateFields: 'true'"),
        "{message}"
    );
    let dropped = s
        .post(
            "/subjects/reserved/versions",
            json!({"schema": record("R", 1), "metadata": reserved("f2")}),
        )
        .await;
    assert_error(&dropped, 409, 40901);
    assert!(
        dropped.1["message"]
            .as_str()
            .unwrap_or_default()
            .contains("reserved field f1 removed"),
        "{}",
        dropped.1
    );
    let (st, verdict) = s
        .post(
            "/compatibility/subjects/reserved/versions?verbose=true",
            json!({"schema": record("R", 2), "metadata": reserved("f1, f2")}),
        )
        .await;
    assert_eq!(
        (st, &verdict["is_compatible"]),
        (200, &json!(false)),
        "{verdict}"
    );
    let (st, ok) = s
        .post(
            "/subjects/reserved/versions",
            json!({"schema": record("R", 1), "metadata": reserved("f1, f2, f3")}),
        )
        .await;
    assert_eq!((st, &ok["version"]), (200, &json!(2)), "{ok}");
    // Without validateFields the same clash registers.
    s.put("/config/reserved", json!({"validateFields": false}))
        .await;
    let (st, _) = s
        .post(
            "/subjects/reserved/versions",
            json!({"schema": record("R", 2), "metadata": reserved("f1, f2, f3")}),
        )
        .await;
    assert_eq!(st, 200);
}

fn decode_descriptor(b64: &str) -> prost_types::FileDescriptorProto {
    use base64::Engine as _;
    use prost::Message as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    prost_types::FileDescriptorProto::decode(bytes.as_slice()).expect("FileDescriptorProto")
}

/// Operational endpoints.
pub async fn operations(s: &Server) {
    s.register("ops", STRING).await;
    let _ = s
        .post("/subjects/ops/versions", json!({"schema": "\"int\""}))
        .await;
    let (st, metrics) = s.get("/metrics").await;
    assert_eq!(st, 200);
    let text = metrics.as_str().unwrap_or_default();
    assert!(text.contains("herald_http_requests_total{route=\"/subjects/{subject}/versions\",method=\"POST\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("herald_http_requests_total{route=\"/subjects/{subject}/versions\",method=\"POST\",status=\"409\"} 1"));
    assert!(text.contains("herald_schema_registrations_total 1"));
    assert!(text.contains("herald_compatibility_failures_total 1"));
    assert!(text.contains("herald_http_request_duration_seconds_bucket"));
    assert_eq!(s.get("/healthz").await.0, 200);
    assert_eq!(s.get("/readyz").await.0, 200);
    let (st, doc) = s.get("/openapi.json").await;
    assert_eq!(st, 200);
    assert!(doc["paths"]["/subjects/{subject}/versions"]["post"].is_object());
}

/// 32 concurrent registrations of distinct schemas into one subject, then 32 of one schema.
pub async fn concurrent_registrations(servers: &[&Server]) {
    let mut tasks = Vec::new();
    for i in 0..32 {
        let s = servers[i % servers.len()];
        let client = s.client.clone();
        let url = format!("{}/subjects/conc/versions", s.base);
        let schema = json!({"schema": format!(r#"{{"type":"record","name":"R{i}","fields":[]}}"#)});
        tasks.push(tokio::spawn(async move {
            let resp = client.post(url).json(&schema).send().await.expect("send");
            let status = resp.status().as_u16();
            let v: Value = resp.json().await.expect("json");
            assert_eq!(status, 200, "{v}");
            (
                v["id"].as_i64().expect("id"),
                v["version"].as_i64().expect("version"),
            )
        }));
    }
    // NONE so that 32 unrelated records are all accepted.
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("join"));
    }
    let mut ids: Vec<i64> = results.iter().map(|r| r.0).collect();
    let mut versions: Vec<i64> = results.iter().map(|r| r.1).collect();
    ids.sort_unstable();
    ids.dedup();
    versions.sort_unstable();
    assert_eq!(ids.len(), 32, "32 unique ids");
    assert_eq!(versions, (1..=32).collect::<Vec<_>>());
    for s in servers {
        assert_eq!(
            s.get("/subjects/conc/versions").await.1,
            json!((1..=32).collect::<Vec<_>>())
        );
    }

    let mut tasks = Vec::new();
    for i in 0..32 {
        let s = servers[i % servers.len()];
        let client = s.client.clone();
        let url = format!("{}/subjects/same/versions", s.base);
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .json(&json!({"schema": STRING}))
                .send()
                .await
                .expect("send");
            assert_eq!(resp.status().as_u16(), 200);
            let v: Value = resp.json().await.expect("json");
            (
                v["id"].as_i64().expect("id"),
                v["version"].as_i64().expect("version"),
            )
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("join"));
    }
    results.dedup();
    assert_eq!(results.len(), 1, "one id and one version: {results:?}");
    for s in servers {
        assert_eq!(s.get("/subjects/same/versions").await.1, json!([1]));
        // Readable by id through every server at once.
        assert_eq!(
            s.get(&format!("/schemas/ids/{}", results[0].0)).await.0,
            200
        );
    }
}
