//! The registry's semantics over the store: ids, versions, deletes, references, config, mode and
//! compatibility exactly as Confluent Schema Registry defines them (see `shared/research/registry-api.md` §5).
//! Handlers in `api` only translate HTTP to these calls.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use herald_compat::CompatibilityLevel;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::AnyConnection;

use crate::config::Config;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::schema_types::{self, HistoryEntry, Prepare, Prepared, Reference, SchemaType, Verdict};
use crate::store::{self, SchemaRow, Setting, Store, VersionRow, now_ms};
use crate::subject::{DEFAULT_CONTEXT, GLOBAL_CONTEXT, Prefix, Qualified, qualify};

/// Largest number of schemas kept in the per-process id cache before it is cleared.
const CACHE_CAPACITY: usize = 100_000;
/// Deepest chain of references followed.
const MAX_REFERENCE_DEPTH: usize = 64;

/// Body of register, lookup and compatibility requests (unknown fields ignored).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaRequest {
    pub schema: Option<String>,
    pub schema_type: Option<String>,
    pub references: Option<Vec<Reference>>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
    pub version: Option<i64>,
    pub id: Option<i64>,
}

/// A version path segment: a number or `latest` (`-1` also means latest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionId {
    Latest,
    Number(i64),
}

impl VersionId {
    pub fn parse(s: &str) -> Result<VersionId, ApiError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("latest") {
            return Ok(VersionId::Latest);
        }
        match t.parse::<i64>() {
            Ok(-1) => Ok(VersionId::Latest),
            Ok(n) if (1..=i64::from(i32::MAX)).contains(&n) => Ok(VersionId::Number(n)),
            _ => Err(ApiError::InvalidVersion(s.to_owned())),
        }
    }
}

/// Modes of a subject, context or the whole registry.
pub const MODES: [&str; 5] = [
    "READWRITE",
    "READONLY",
    "READONLY_OVERRIDE",
    "IMPORT",
    "FORWARD",
];

/// The registry: store, per-process immutable id cache, settings and metrics.
#[derive(Debug)]
pub struct Registry {
    pub store: Store,
    pub config: Config,
    pub metrics: Metrics,
    cache: RwLock<HashMap<(String, i64), Arc<SchemaRow>>>,
    /// The serialized `GET /schemas/ids/{id}` body of default-context schemas, the deserializers' hot path.
    bodies: RwLock<HashMap<i64, axum::body::Bytes>>,
    /// Bumped by every eviction: a read that started before one does not put what it read into a cache.
    evictions: AtomicU64,
}

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a schema entity is rendered: `format` and `referenceFormat=qualified`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rendering<'a> {
    pub format: Option<&'a str>,
    pub qualified_references: bool,
}

/// References resolved for storage and parsing.
#[derive(Debug, Default)]
struct ResolvedRefs {
    /// The request's references with `-1` rewritten to the real version.
    references: Vec<Reference>,
    /// `(context, subject, version)` of each reference.
    targets: Vec<(String, String, i64)>,
    /// Texts of every transitively referenced schema, dependencies first, each once.
    texts: Vec<(String, String)>,
}

fn is_live(v: &VersionRow) -> bool {
    !v.deleted
}

fn flag(v: &Map<String, Value>, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

impl Registry {
    pub fn new(store: Store, config: Config) -> Registry {
        Registry {
            store,
            config,
            metrics: Metrics::default(),
            cache: RwLock::new(HashMap::new()),
            bodies: RwLock::new(HashMap::new()),
            evictions: AtomicU64::new(0),
        }
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, ApiError> {
        Ok(self.store.pool().acquire().await?)
    }

    /// A schema by id, through the immutable cache.
    async fn schema(
        &self,
        conn: &mut AnyConnection,
        context: &str,
        id: i64,
    ) -> Result<Option<Arc<SchemaRow>>, ApiError> {
        let key = (context.to_owned(), id);
        if let Some(hit) = self.cache.read().map_err(|_| poisoned())?.get(&key) {
            return Ok(Some(hit.clone()));
        }
        let generation = self.evictions.load(Ordering::Acquire);
        let Some(row) = store::schema_by_id(conn, context, id).await? else {
            return Ok(None);
        };
        let row = Arc::new(row);
        let mut cache = self.cache.write().map_err(|_| poisoned())?;
        if self.evictions.load(Ordering::Acquire) != generation {
            return Ok(Some(row));
        }
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, row.clone());
        Ok(Some(row))
    }

    /// Drops a hard-deleted schema id from this process's caches.
    pub fn evict(&self, context: &str, id: i64) {
        self.evictions.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(&(context.to_owned(), id));
        }
        if context == DEFAULT_CONTEXT
            && let Ok(mut bodies) = self.bodies.write()
        {
            bodies.remove(&id);
        }
    }

    /// Empties this process's caches (when evictions may have been missed).
    pub fn clear_caches(&self) {
        self.evictions.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut cache) = self.cache.write() {
            cache.clear();
        }
        if let Ok(mut bodies) = self.bodies.write() {
            bodies.clear();
        }
    }

    /// PostgreSQL: follows the hard deletes of every replica (`LISTEN` on [`store::EVICT_CHANNEL`], on a
    /// connection of its own) and evicts their ids here. Whenever the listening connection is (re)established
    /// the caches start empty, since notifications sent while it was down are lost. Runs until aborted.
    pub async fn follow_evictions(self: Arc<Self>) {
        use sqlx::postgres::PgListener;
        loop {
            let mut listener = match PgListener::connect(self.store.url()).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "eviction listener cannot connect; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(store::EVICT_CHANNEL).await {
                tracing::warn!(error = %e, "eviction listener cannot LISTEN; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
            self.clear_caches();
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => match serde_json::from_str::<(String, i64)>(n.payload()) {
                        Ok((context, id)) => self.evict(&context, id),
                        Err(_) => self.clear_caches(),
                    },
                    // The connection dropped; the next call reconnects and re-listens.
                    Ok(None) => self.clear_caches(),
                    Err(e) => {
                        tracing::warn!(error = %e, "eviction listener failed; reconnecting");
                        self.clear_caches();
                        break;
                    }
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// `GET /schemas/ids/{id}` without parameters, serialized once per id and process.
    /// The cached `GET /schemas/ids/{id}` body of a default-context schema, if this process has served it before.
    pub fn cached_body(&self, id: i64) -> Option<axum::body::Bytes> {
        self.bodies.read().ok()?.get(&id).cloned()
    }

    pub async fn schema_body(&self, id: i64) -> Result<axum::body::Bytes, ApiError> {
        if let Some(body) = self.bodies.read().map_err(|_| poisoned())?.get(&id) {
            return Ok(body.clone());
        }
        let generation = self.evictions.load(Ordering::Acquire);
        let entity = self
            .schema_by_id(id, None, false, Rendering::default())
            .await?;
        let body = axum::body::Bytes::from(entity.to_string());
        let mut bodies = self.bodies.write().map_err(|_| poisoned())?;
        if self.evictions.load(Ordering::Acquire) != generation {
            return Ok(body);
        }
        if bodies.len() >= CACHE_CAPACITY {
            bodies.clear();
        }
        bodies.insert(id, body.clone());
        Ok(body)
    }

    // ----- settings -----

    /// The stored config of a scope, as the GET shape (`compatibilityLevel`, ...).
    async fn stored_config(
        conn: &mut AnyConnection,
        context: &str,
        subject: &str,
    ) -> Result<Option<Map<String, Value>>, ApiError> {
        Ok(store::setting(conn, Setting::Config, context, subject)
            .await?
            .and_then(|t| serde_json::from_str::<Map<String, Value>>(&t).ok()))
    }

    /// The subject that serves requests to `subject`: its subject-level config's `alias`, qualified with the
    /// subject's context when written unqualified; `None` without an alias.
    pub async fn alias_of(&self, subject: &str) -> Result<Option<String>, ApiError> {
        let q = Qualified::parse(subject);
        if q.name.is_empty() {
            return Ok(None);
        }
        let mut conn = self.conn().await?;
        let Some(cfg) = Self::stored_config(&mut conn, &q.context, &q.name).await? else {
            return Ok(None);
        };
        let Some(alias) = cfg
            .get("alias")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
        else {
            return Ok(None);
        };
        Ok(Some(
            if alias.starts_with(":.") || q.context == DEFAULT_CONTEXT {
                alias.to_owned()
            } else {
                qualify(&q.context, alias)
            },
        ))
    }

    /// Subject → context → `.__GLOBAL` → server default, field by field.
    async fn effective_config(
        &self,
        conn: &mut AnyConnection,
        q: &Qualified,
    ) -> Result<Map<String, Value>, ApiError> {
        let mut scopes = Vec::new();
        if !q.name.is_empty() {
            scopes.push((q.context.clone(), q.name.clone()));
        }
        scopes.push((q.context.clone(), String::new()));
        scopes.push((GLOBAL_CONTEXT.to_owned(), String::new()));
        let mut merged = Map::new();
        for (ctx, s) in scopes {
            if let Some(c) = Self::stored_config(conn, &ctx, &s).await? {
                for (k, v) in c {
                    merged.entry(k).or_insert(v);
                }
            }
        }
        merged.entry("compatibilityLevel").or_insert_with(|| {
            Value::String(self.config.default_compatibility.as_str().to_owned())
        });
        Ok(merged)
    }

    async fn level(
        &self,
        conn: &mut AnyConnection,
        q: &Qualified,
    ) -> Result<(CompatibilityLevel, Map<String, Value>), ApiError> {
        let cfg = self.effective_config(conn, q).await?;
        let level = cfg
            .get("compatibilityLevel")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or(self.config.default_compatibility);
        Ok((level, cfg))
    }

    async fn effective_mode(
        &self,
        conn: &mut AnyConnection,
        q: &Qualified,
    ) -> Result<String, ApiError> {
        let mut scopes = Vec::new();
        if !q.name.is_empty() {
            scopes.push((q.context.as_str(), q.name.as_str()));
        }
        scopes.push((q.context.as_str(), ""));
        scopes.push((GLOBAL_CONTEXT, ""));
        for (ctx, s) in scopes {
            if let Some(m) = store::setting(conn, Setting::Mode, ctx, s).await? {
                return Ok(m);
            }
        }
        Ok("READWRITE".to_owned())
    }

    async fn ensure_writable(
        &self,
        conn: &mut AnyConnection,
        q: &Qualified,
    ) -> Result<(), ApiError> {
        let mode = self.effective_mode(conn, q).await?;
        if mode == "READONLY" || mode == "READONLY_OVERRIDE" {
            return Err(ApiError::OperationNotPermitted(format!(
                "Subject {} in context {} is in read-only mode",
                q.name, q.context
            )));
        }
        Ok(())
    }

    // ----- references and parsing -----

    #[allow(clippy::too_many_arguments)]
    fn resolve_refs<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        context: &'a str,
        refs: &'a [Reference],
        allow_deleted: bool,
        out: &'a mut ResolvedRefs,
        seen: &'a mut HashSet<(String, String, i64)>,
        depth: usize,
    ) -> BoxFut<'a, Result<(), ApiError>> {
        Box::pin(async move {
            if depth > MAX_REFERENCE_DEPTH {
                return Err(ApiError::InvalidSchema(
                    "Invalid schema: references are nested too deeply".to_owned(),
                ));
            }
            for r in refs {
                let mut target = Qualified::parse(&r.subject);
                if !r.subject.starts_with(":.") {
                    target.context = context.to_owned();
                }
                let missing = || {
                    ApiError::InvalidSchema(format!(
                        "Invalid schema: could not resolve reference {} (subject '{}', version {})",
                        r.name, r.subject, r.version
                    ))
                };
                let versions = store::versions(conn, &target.context, &target.name).await?;
                let found = if r.version == -1 {
                    versions.iter().rev().find(|v| is_live(v))
                } else {
                    versions
                        .iter()
                        .find(|v| v.version == r.version && (allow_deleted || is_live(v)))
                }
                .ok_or_else(missing)?
                .clone();
                let key = (target.context.clone(), target.name.clone(), found.version);
                if depth == 0 {
                    out.references.push(Reference {
                        name: r.name.clone(),
                        subject: r.subject.clone(),
                        version: found.version,
                    });
                    out.targets.push(key.clone());
                }
                if !seen.insert(key) {
                    continue;
                }
                let row = self
                    .schema(conn, &target.context, found.schema_id)
                    .await?
                    .ok_or_else(missing)?;
                let nested = row.references.clone();
                self.resolve_refs(conn, &target.context, &nested, true, out, seen, depth + 1)
                    .await?;
                out.texts.push((r.name.clone(), row.schema.clone()));
            }
            Ok(())
        })
    }

    async fn resolve(
        &self,
        conn: &mut AnyConnection,
        context: &str,
        refs: &[Reference],
        allow_deleted: bool,
    ) -> Result<ResolvedRefs, ApiError> {
        let mut out = ResolvedRefs::default();
        let mut seen = HashSet::new();
        self.resolve_refs(conn, context, refs, allow_deleted, &mut out, &mut seen, 0)
            .await?;
        Ok(out)
    }

    /// Parses a stored schema (with its references) for a compatibility check.
    async fn prepared_of(
        &self,
        conn: &mut AnyConnection,
        row: &SchemaRow,
    ) -> Result<Prepared, ApiError> {
        let refs = self
            .resolve(conn, &row.context, &row.references, true)
            .await?;
        let ty = SchemaType::parse(Some(&row.schema_type))?;
        schema_types::prepare(
            ty,
            &row.schema,
            &refs.texts,
            Prepare {
                strict: false,
                normalize: false,
            },
        )
    }

    /// Confluent's `canLookup` without metadata: the same stored text, type and references; for Protobuf also
    /// the same normalized print, so a schema registered as a base64 descriptor is found by its `.proto` text
    /// (and differently qualified names or orders match). A stored schema that no longer reads never matches.
    async fn same_schema_as(
        &self,
        conn: &mut AnyConnection,
        row: &SchemaRow,
        prepared: &Prepared,
        references: &[Reference],
    ) -> bool {
        if same_schema(row, prepared, references) {
            return true;
        }
        let Some(wanted) = &prepared.equivalence else {
            return false;
        };
        if row.schema_type != prepared.schema_type.as_str() || row.references != references {
            return false;
        }
        match self.prepared_of(conn, row).await {
            Ok(stored) => stored.equivalence.as_ref() == Some(wanted),
            Err(_) => false,
        }
    }

    /// Reads a request's schema: type, references, canonical text, guid.
    async fn read_request(
        &self,
        conn: &mut AnyConnection,
        context: &str,
        req: &SchemaRequest,
        how: Prepare,
    ) -> Result<(Prepared, ResolvedRefs, String), ApiError> {
        let ty = SchemaType::parse(req.schema_type.as_deref())?;
        let text = req.schema.as_deref().unwrap_or("");
        if text.trim().is_empty() {
            return Err(ApiError::InvalidSchema("Empty schema".to_owned()));
        }
        let refs = self
            .resolve(
                conn,
                context,
                req.references.as_deref().unwrap_or(&[]),
                false,
            )
            .await?;
        let prepared = schema_types::prepare(ty, text, &refs.texts, how)?;
        let guid = schema_types::guid(
            &prepared.canonical,
            &refs.references,
            req.metadata.as_ref(),
            req.rule_set.as_ref(),
        );
        Ok((prepared, refs, guid))
    }

    async fn history(
        &self,
        conn: &mut AnyConnection,
        context: &str,
        live: &[VersionRow],
    ) -> Result<Vec<(i64, Prepared)>, ApiError> {
        let mut out = Vec::with_capacity(live.len());
        for v in live {
            let row = self
                .schema(conn, context, v.schema_id)
                .await?
                .ok_or_else(|| {
                    ApiError::Store(format!("schema {} of a version is missing", v.schema_id))
                })?;
            out.push((v.version, self.prepared_of(conn, &row).await?));
        }
        Ok(out)
    }

    /// With config `compatibilityGroup` = g, only versions whose `metadata.properties[g]` equals the new
    /// schema's value are compared.
    async fn in_group(
        &self,
        conn: &mut AnyConnection,
        context: &str,
        versions: &[VersionRow],
        cfg: &Map<String, Value>,
        metadata: Option<&Value>,
    ) -> Result<Vec<VersionRow>, ApiError> {
        let Some(group) = cfg.get("compatibilityGroup").and_then(Value::as_str) else {
            return Ok(versions.to_vec());
        };
        let value_of = |m: Option<&Value>| {
            m.and_then(|m| m.get("properties"))
                .and_then(|p| p.get(group))
                .cloned()
        };
        let wanted = value_of(metadata);
        let mut out = Vec::new();
        for v in versions {
            if let Some(row) = self.schema(conn, context, v.schema_id).await?
                && value_of(row.metadata.as_ref()) == wanted
            {
                out.push(v.clone());
            }
        }
        Ok(out)
    }

    // ----- entities -----

    fn schema_entity(
        row: &SchemaRow,
        subject: Option<&str>,
        version: Option<&VersionRow>,
    ) -> Value {
        let mut m = Map::new();
        if let Some(s) = subject {
            m.insert("subject".into(), json!(s));
        }
        if let Some(v) = version {
            m.insert("version".into(), json!(v.version));
        }
        m.insert("id".into(), json!(row.id));
        m.insert("guid".into(), json!(row.guid));
        m.insert("schemaType".into(), json!(row.schema_type));
        if !row.references.is_empty() {
            m.insert("references".into(), json!(row.references));
        }
        if let Some(md) = &row.metadata {
            m.insert("metadata".into(), md.clone());
        }
        if let Some(rs) = &row.rule_set {
            m.insert("ruleSet".into(), rs.clone());
        }
        m.insert("schema".into(), json!(row.schema));
        m.insert("ts".into(), json!(version.map_or(row.ts, |v| v.ts)));
        m.insert("deleted".into(), json!(version.is_some_and(|v| v.deleted)));
        Value::Object(m)
    }

    /// Applies the rendering parameters to an entity: `format=serialized` (Protobuf: base64
    /// FileDescriptorProto), `format=resolved` (Avro: the named types of references written in full where first
    /// used) and `referenceFormat=qualified` (reference subjects qualified with the schema's context).
    async fn apply_format(
        &self,
        conn: &mut AnyConnection,
        row: &SchemaRow,
        entity: &mut Value,
        rendering: Rendering<'_>,
    ) -> Result<(), ApiError> {
        let Some(obj) = entity.as_object_mut() else {
            return Ok(());
        };
        if rendering.qualified_references
            && row.context != DEFAULT_CONTEXT
            && !row.references.is_empty()
        {
            let qualified: Vec<Reference> = row
                .references
                .iter()
                .map(|r| Reference {
                    subject: if r.subject.starts_with(":.") {
                        r.subject.clone()
                    } else {
                        qualify(&row.context, &r.subject)
                    },
                    ..r.clone()
                })
                .collect();
            obj.insert("references".into(), json!(qualified));
        }
        match rendering.format {
            Some("serialized") if row.schema_type == SchemaType::Protobuf.as_str() => {
                let refs = self
                    .resolve(conn, &row.context, &row.references, true)
                    .await?;
                let name = format!("{}.proto", row.guid);
                if let Some(encoded) =
                    schema_types::serialized_protobuf(&row.schema, &refs.texts, &name)
                {
                    obj.insert("schema".into(), json!(encoded));
                }
            }
            Some("resolved")
                if row.schema_type == SchemaType::Avro.as_str() && !row.references.is_empty() =>
            {
                if let Some(avro) = self.prepared_of(conn, row).await?.avro {
                    obj.insert("schema".into(), json!(avro.to_java_json_resolved()));
                }
            }
            _ => {}
        }
        Ok(())
    }

    // ----- schemas by id -----

    /// `GET /schemas/ids/{id}` (`subject` scopes the context; a non-matching subject still finds the schema).
    pub async fn schema_by_id(
        &self,
        id: i64,
        subject: Option<&str>,
        fetch_max_id: bool,
        rendering: Rendering<'_>,
    ) -> Result<Value, ApiError> {
        let q = subject.map(Qualified::parse);
        let context = q.as_ref().map_or(DEFAULT_CONTEXT, |q| q.context.as_str());
        let row = self
            .schema_cached(context, id)
            .await?
            .ok_or_else(|| ApiError::SchemaIdNotFound(id.to_string()))?;
        let mut entity = Self::schema_entity(&row, None, None);
        let obj = entity.as_object_mut().ok_or(ApiError::SchemaNotFound)?;
        obj.remove("id");
        obj.remove("deleted");
        let scoped = q.as_ref().filter(|q| !q.name.is_empty());
        if scoped.is_none()
            && !fetch_max_id
            && rendering.format.is_none()
            && !rendering.qualified_references
        {
            // The hot path of every deserializer: answered from the cache without touching the database.
            return Ok(entity);
        }
        let mut conn = self.conn().await?;
        if let Some(q) = scoped {
            let versions = store::versions(&mut conn, &q.context, &q.name).await?;
            if let Some(v) = versions.iter().rev().find(|v| v.schema_id == id) {
                obj.insert("subject".into(), json!(q.display()));
                obj.insert("version".into(), json!(v.version));
            }
        }
        if fetch_max_id {
            obj.insert(
                "maxId".into(),
                json!(store::max_id(&mut conn, context).await?),
            );
        }
        self.apply_format(&mut conn, &row, &mut entity, rendering)
            .await?;
        Ok(entity)
    }

    /// A schema by id, from the cache or (on a miss) the database.
    async fn schema_cached(
        &self,
        context: &str,
        id: i64,
    ) -> Result<Option<Arc<SchemaRow>>, ApiError> {
        if let Some(hit) = self
            .cache
            .read()
            .map_err(|_| poisoned())?
            .get(&(context.to_owned(), id))
        {
            return Ok(Some(hit.clone()));
        }
        let mut conn = self.conn().await?;
        self.schema(&mut conn, context, id).await
    }

    /// Bare schema text of an id.
    pub async fn schema_text(&self, id: i64, subject: Option<&str>) -> Result<String, ApiError> {
        let context = subject
            .map(Qualified::parse)
            .map_or(DEFAULT_CONTEXT.to_owned(), |q| q.context);
        let row = self
            .schema_cached(&context, id)
            .await?
            .ok_or_else(|| ApiError::SchemaIdNotFound(id.to_string()))?;
        Ok(row.schema.clone())
    }

    /// `(subject, version)` pairs using an id.
    pub async fn id_versions(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
    ) -> Result<Vec<(String, i64)>, ApiError> {
        let mut conn = self.conn().await?;
        let q = subject.map(Qualified::parse);
        let context = q.as_ref().map_or(DEFAULT_CONTEXT, |q| q.context.as_str());
        if self.schema(&mut conn, context, id).await?.is_none() {
            return Err(ApiError::SchemaIdNotFound(id.to_string()));
        }
        let versions = store::versions_of_schema(&mut conn, context, id).await?;
        Ok(versions
            .into_iter()
            .filter(|v| deleted || is_live(v))
            .filter(|v| {
                q.as_ref()
                    .is_none_or(|q| q.name.is_empty() || q.name == v.subject)
            })
            .map(|v| (qualify(&v.context, &v.subject), v.version))
            .collect())
    }

    /// `GET /schemas/guids/{guid}`.
    pub async fn schema_by_guid(&self, guid: &str) -> Result<Value, ApiError> {
        let mut conn = self.conn().await?;
        let rows = store::schemas_by_guid(&mut conn, guid).await?;
        let row = rows
            .iter()
            .find(|r| r.context == DEFAULT_CONTEXT)
            .or(rows.first())
            .ok_or_else(|| ApiError::SchemaIdNotFound(guid.to_owned()))?;
        let mut entity = Self::schema_entity(row, None, None);
        if let Some(o) = entity.as_object_mut() {
            o.remove("deleted");
        }
        Ok(entity)
    }

    /// `GET /schemas/guids/{guid}/ids`.
    pub async fn guid_ids(&self, guid: &str) -> Result<Value, ApiError> {
        let mut conn = self.conn().await?;
        let rows = store::schemas_by_guid(&mut conn, guid).await?;
        Ok(Value::Array(
            rows.iter()
                .map(|r| json!({"context": r.context, "id": r.id}))
                .collect(),
        ))
    }

    /// `GET /schemas`.
    pub async fn list_schemas(
        &self,
        prefix: &str,
        deleted: bool,
        latest_only: bool,
    ) -> Result<Vec<Value>, ApiError> {
        let mut conn = self.conn().await?;
        let prefix = Prefix::parse(prefix);
        let all = store::all_versions(&mut conn).await?;
        let mut selected: Vec<VersionRow> = all
            .into_iter()
            .filter(|v| prefix.matches(&v.context, &v.subject) && (deleted || is_live(v)))
            .collect();
        if latest_only {
            let mut latest: HashMap<(String, String), VersionRow> = HashMap::new();
            for v in selected {
                latest.insert((v.context.clone(), v.subject.clone()), v);
            }
            selected = latest.into_values().collect();
        }
        selected.sort_by(|a, b| {
            (qualify(&a.context, &a.subject), a.version)
                .cmp(&(qualify(&b.context, &b.subject), b.version))
        });
        let mut out = Vec::new();
        for v in selected {
            if let Some(row) = self.schema(&mut conn, &v.context, v.schema_id).await? {
                out.push(Self::schema_entity(
                    &row,
                    Some(&qualify(&v.context, &v.subject)),
                    Some(&v),
                ));
            }
        }
        Ok(out)
    }

    // ----- subjects -----

    /// `GET /subjects`: sorted qualified names; a subject is deleted when all its versions are.
    pub async fn subjects(
        &self,
        prefix: &str,
        deleted: bool,
        deleted_only: bool,
    ) -> Result<Vec<String>, ApiError> {
        let mut conn = self.conn().await?;
        let prefix = Prefix::parse(prefix);
        let mut live: HashMap<String, bool> = HashMap::new();
        for v in store::all_versions(&mut conn).await? {
            if prefix.matches(&v.context, &v.subject) {
                *live.entry(qualify(&v.context, &v.subject)).or_insert(false) |= !v.deleted;
            }
        }
        let mut out: Vec<String> = live
            .into_iter()
            .filter(|(_, is_live)| {
                if deleted_only {
                    !is_live
                } else {
                    deleted || *is_live
                }
            })
            .map(|(s, _)| s)
            .collect();
        out.sort();
        Ok(out)
    }

    /// `GET /subjects/{s}/versions`.
    pub async fn list_versions(
        &self,
        subject: &str,
        deleted: bool,
        deleted_only: bool,
        as_negative: bool,
    ) -> Result<Vec<i64>, ApiError> {
        let mut conn = self.conn().await?;
        let q = Qualified::parse(subject);
        let versions = store::versions(&mut conn, &q.context, &q.name).await?;
        let selected: Vec<i64> = versions
            .iter()
            .filter(|v| {
                if deleted_only {
                    v.deleted
                } else {
                    deleted || !v.deleted
                }
            })
            .map(|v| {
                if as_negative && v.deleted {
                    -v.version
                } else {
                    v.version
                }
            })
            .collect();
        let any = if deleted || deleted_only {
            !versions.is_empty()
        } else {
            versions.iter().any(is_live)
        };
        if !any {
            return Err(ApiError::SubjectNotFound(subject.to_owned()));
        }
        Ok(selected)
    }

    /// Resolves a version of a subject for reading.
    async fn find_version(
        conn: &mut AnyConnection,
        subject: &str,
        version: VersionId,
        deleted: bool,
    ) -> Result<VersionRow, ApiError> {
        let (_, versions) = using_contexts(conn, subject).await?;
        if versions.is_empty() || (!deleted && !versions.iter().any(is_live)) {
            return Err(ApiError::SubjectNotFound(subject.to_owned()));
        }
        let found = match version {
            VersionId::Latest => versions.iter().rev().find(|v| deleted || is_live(v)),
            VersionId::Number(n) => versions
                .iter()
                .find(|v| v.version == n && (deleted || is_live(v))),
        };
        found.cloned().ok_or_else(|| {
            ApiError::VersionNotFound(match version {
                VersionId::Latest => "latest".to_owned(),
                VersionId::Number(n) => n.to_string(),
            })
        })
    }

    /// `GET /subjects/{s}/versions/{v}`.
    pub async fn get_version(
        &self,
        subject: &str,
        version: VersionId,
        deleted: bool,
        rendering: Rendering<'_>,
    ) -> Result<Value, ApiError> {
        let mut conn = self.conn().await?;
        let v = Self::find_version(&mut conn, subject, version, deleted).await?;
        let row = self
            .schema(&mut conn, &v.context, v.schema_id)
            .await?
            .ok_or_else(|| ApiError::SchemaIdNotFound(v.schema_id.to_string()))?;
        let mut entity =
            Self::schema_entity(&row, Some(&qualify(&v.context, &v.subject)), Some(&v));
        self.apply_format(&mut conn, &row, &mut entity, rendering)
            .await?;
        Ok(entity)
    }

    /// `GET /subjects/{s}/versions/{v}/referencedby`: ids of referrers, sorted.
    pub async fn referenced_by(
        &self,
        subject: &str,
        version: VersionId,
        deleted: bool,
    ) -> Result<Vec<i64>, ApiError> {
        let mut conn = self.conn().await?;
        let v = Self::find_version(&mut conn, subject, version, true).await?;
        let mut ids: Vec<i64> = store::referrers(&mut conn, &v.context, &v.subject, v.version)
            .await?
            .into_iter()
            .filter(|r| deleted || is_live(r))
            .map(|r| r.schema_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// `GET /subjects/{s}/metadata?key=..&value=..`: latest version whose metadata properties contain the pairs.
    pub async fn latest_with_metadata(
        &self,
        subject: &str,
        pairs: &[(String, String)],
        deleted: bool,
    ) -> Result<Value, ApiError> {
        let mut conn = self.conn().await?;
        let q = Qualified::parse(subject);
        let versions = store::versions(&mut conn, &q.context, &q.name).await?;
        if !versions.iter().any(|v| deleted || is_live(v)) {
            return Err(ApiError::SubjectNotFound(subject.to_owned()));
        }
        for v in versions.iter().rev().filter(|v| deleted || is_live(v)) {
            let Some(row) = self.schema(&mut conn, &v.context, v.schema_id).await? else {
                continue;
            };
            let props = row.metadata.as_ref().and_then(|m| m.get("properties"));
            let matches = pairs.iter().all(|(k, val)| {
                props.and_then(|p| p.get(k)).and_then(Value::as_str) == Some(val.as_str())
            });
            if matches {
                return Ok(Self::schema_entity(&row, Some(&q.display()), Some(v)));
            }
        }
        Err(ApiError::SchemaNotFound)
    }

    /// `POST /subjects/{s}`: the version of this subject holding this schema.
    pub async fn lookup(
        &self,
        subject: &str,
        req: &SchemaRequest,
        normalize: bool,
        deleted: bool,
    ) -> Result<Value, ApiError> {
        let mut conn = self.conn().await?;
        let (q, versions) = using_contexts(&mut conn, subject).await?;
        if !versions.iter().any(|v| deleted || is_live(v)) {
            return Err(ApiError::SubjectNotFound(subject.to_owned()));
        }
        let cfg = self.effective_config(&mut conn, &q).await?;
        let normalize = normalize || flag(&cfg, "normalize");
        let (prepared, refs, guid) = self
            .read_request(
                &mut conn,
                &q.context,
                req,
                Prepare {
                    strict: false,
                    normalize,
                },
            )
            .await?;
        let candidates: Vec<&VersionRow> = versions
            .iter()
            .rev()
            .filter(|v| deleted || is_live(v))
            .collect();
        for v in &candidates {
            if let Some(row) = self.schema(&mut conn, &v.context, v.schema_id).await?
                && row.guid == guid
            {
                return Ok(Self::schema_entity(&row, Some(&q.display()), Some(v)));
            }
        }
        // A request without metadata or rule set also matches a version that has them (Confluent's canLookup).
        if req.metadata.is_none() && req.rule_set.is_none() {
            for v in &candidates {
                if let Some(row) = self.schema(&mut conn, &v.context, v.schema_id).await?
                    && self
                        .same_schema_as(&mut conn, &row, &prepared, &refs.references)
                        .await
                {
                    return Ok(Self::schema_entity(&row, Some(&q.display()), Some(v)));
                }
            }
        }
        Err(ApiError::SchemaNotFound)
    }

    /// `POST /subjects/{s}/versions`.
    pub async fn register(
        &self,
        subject: &str,
        mut req: SchemaRequest,
        normalize: bool,
        force: bool,
    ) -> Result<Value, ApiError> {
        let q = Qualified::parse(subject);
        q.validate(subject, false)?;
        if let Some(rs) = &req.rule_set {
            validate_rule_set(rs)?;
        }
        let mut tx = self.store.write().await?;
        let conn = tx.conn();
        let versions = store::versions(conn, &q.context, &q.name).await?;
        let live: Vec<VersionRow> = versions.iter().filter(|v| is_live(v)).cloned().collect();
        let mode = self.effective_mode(conn, &q).await?;
        let importing = mode == "IMPORT" || mode == "FORWARD";
        let (level, cfg) = self.level(conn, &q).await?;
        let normalize = !importing && (normalize || flag(&cfg, "normalize"));
        if req.schema.as_deref().is_none_or(|s| s.trim().is_empty()) && !importing {
            // Confluent copies the latest version's schema when only metadata or a rule set is sent.
            let latest = live
                .last()
                .ok_or_else(|| ApiError::InvalidSchema("Empty schema".to_owned()))?;
            let row = self
                .schema(conn, &q.context, latest.schema_id)
                .await?
                .ok_or_else(|| ApiError::Store("latest schema is missing".to_owned()))?;
            req.schema = Some(row.schema.clone());
            req.schema_type = Some(row.schema_type.clone());
            req.references = Some(row.references.clone());
            if req.metadata.is_none() {
                req.metadata = row.metadata.clone();
            }
            if req.rule_set.is_none() {
                req.rule_set = row.rule_set.clone();
            }
        }
        let how = Prepare {
            strict: !importing,
            normalize,
        };
        let (prepared, refs, mut guid) = self.read_request(conn, &q.context, &req, how).await?;

        // Idempotent re-registration runs before the mode check, as in Confluent: the same content, or (for a
        // request without metadata and rule set) the same schema as a live version.
        if let Some(id) = store::id_by_guid(conn, &q.context, &guid).await?
            && req.id.is_none_or(|given| given == id)
            && let Some(v) = live.iter().rev().find(|v| v.schema_id == id)
        {
            let row = self
                .schema(conn, &q.context, id)
                .await?
                .ok_or_else(|| ApiError::Store("schema vanished".to_owned()))?;
            return Ok(Self::schema_entity(&row, Some(&q.display()), Some(v)));
        }
        let contract_config = [
            "defaultMetadata",
            "overrideMetadata",
            "defaultRuleSet",
            "overrideRuleSet",
        ]
        .iter()
        .any(|k| cfg.get(*k).is_some_and(|v| !v.is_null()));
        if req.id.is_none() && req.metadata.is_none() && req.rule_set.is_none() && !contract_config
        {
            for v in live.iter().rev() {
                if let Some(row) = self.schema(conn, &q.context, v.schema_id).await?
                    && self
                        .same_schema_as(conn, &row, &prepared, &refs.references)
                        .await
                {
                    return Ok(Self::schema_entity(&row, Some(&q.display()), Some(v)));
                }
            }
        }
        // Outside IMPORT, metadata and rule set are inherited from the latest live version when not given.
        if !importing
            && (req.metadata.is_none() || req.rule_set.is_none())
            && let Some(latest) = live.last()
            && let Some(row) = self.schema(conn, &q.context, latest.schema_id).await?
        {
            if req.metadata.is_none() {
                req.metadata = row.metadata.clone();
            }
            if req.rule_set.is_none() {
                req.rule_set = row.rule_set.clone();
            }
            guid = schema_types::guid(
                &prepared.canonical,
                &refs.references,
                req.metadata.as_ref(),
                req.rule_set.as_ref(),
            );
        }
        // Data-contract defaults and overrides from the config: default < request (or inherited) < override.
        if !importing && contract_config {
            req.metadata = merge_metadata(
                merge_metadata(cfg.get("defaultMetadata").cloned(), req.metadata.take()),
                cfg.get("overrideMetadata").cloned(),
            );
            req.rule_set = merge_rule_set(
                merge_rule_set(cfg.get("defaultRuleSet").cloned(), req.rule_set.take()),
                cfg.get("overrideRuleSet").cloned(),
            );
            guid = schema_types::guid(
                &prepared.canonical,
                &refs.references,
                req.metadata.as_ref(),
                req.rule_set.as_ref(),
            );
        }
        let existing_id = store::id_by_guid(conn, &q.context, &guid).await?;
        if let Some(id) = existing_id
            && req.id.is_none_or(|given| given == id)
            && let Some(v) = live.iter().rev().find(|v| v.schema_id == id)
        {
            let row = self
                .schema(conn, &q.context, id)
                .await?
                .ok_or_else(|| ApiError::Store("schema vanished".to_owned()))?;
            return Ok(Self::schema_entity(&row, Some(&q.display()), Some(v)));
        }

        match (mode.as_str(), req.id) {
            ("READONLY" | "READONLY_OVERRIDE", _) => {
                return Err(ApiError::OperationNotPermitted(format!(
                    "Subject {} in context {} is in read-only mode",
                    q.name, q.context
                )));
            }
            ("IMPORT" | "FORWARD", None) => {
                return Err(ApiError::OperationNotPermitted(format!(
                    "Subject {} in context {} is not in read-write mode",
                    q.name, q.context
                )));
            }
            ("READWRITE", Some(_)) => {
                return Err(ApiError::OperationNotPermitted(format!(
                    "Subject {} in context {} is not in import mode",
                    q.name, q.context
                )));
            }
            _ => {}
        }

        if !importing && !force {
            let grouped = self
                .in_group(conn, &q.context, &live, &cfg, req.metadata.as_ref())
                .await?;
            let history = self.history(conn, &q.context, &grouped).await?;
            let entries: Vec<HistoryEntry<'_>> = history
                .iter()
                .map(|(version, prepared)| HistoryEntry {
                    version: *version,
                    prepared,
                })
                .collect();
            let validate_fields = flag(&cfg, "validateFields");
            let reserved = self
                .reserved_fields(
                    conn,
                    &q.context,
                    validate_fields,
                    &prepared,
                    req.metadata.as_ref(),
                    &grouped,
                )
                .await?;
            let verdict =
                schema_types::check(level, &prepared, &entries, &reserved, validate_fields)?;
            if !verdict.compatible {
                self.metrics.compatibility_failure();
                return Err(ApiError::Incompatible(format!(
                    "Schema being registered is incompatible with an earlier schema for subject \"{}\", details: [{}]",
                    q.display(),
                    verdict.messages.join(", ")
                )));
            }
        }

        let next_version = versions.last().map_or(1, |v| v.version + 1);
        let version = match req.version {
            Some(v) if importing => {
                if versions.iter().any(|x| x.version == v) {
                    return Err(ApiError::OperationNotPermitted(format!(
                        "Version {v} already exists in subject {}",
                        q.display()
                    )));
                }
                if !(1..=i64::from(i32::MAX)).contains(&v) {
                    return Err(ApiError::InvalidSchema(format!("Invalid version {v}")));
                }
                v
            }
            Some(v) if v != next_version => {
                return Err(ApiError::InvalidSchema(
                    "Version is not one more than previous version".to_owned(),
                ));
            }
            _ => next_version,
        };

        let id = match req.id {
            Some(given) => {
                if given < 1 || given > i64::from(i32::MAX) {
                    return Err(ApiError::InvalidSchema(format!("Invalid id {given}")));
                }
                match store::schema_by_id(conn, &q.context, given).await? {
                    Some(row) if row.guid != guid => {
                        return Err(ApiError::OperationNotPermitted(format!(
                            "Overwrite new schema with id {given} in context {} is not permitted.",
                            q.context
                        )));
                    }
                    Some(_) => given,
                    None => {
                        self.insert_schema(conn, &q.context, given, &guid, &prepared, &refs, &req)
                            .await?;
                        given
                    }
                }
            }
            None => match existing_id {
                Some(id) => id,
                None => {
                    let id = store::max_id(conn, &q.context).await? + 1;
                    self.insert_schema(conn, &q.context, id, &guid, &prepared, &refs, &req)
                        .await?;
                    id
                }
            },
        };
        store::touch_context(conn, &q.context, id).await?;

        let row = VersionRow {
            context: q.context.clone(),
            subject: q.name.clone(),
            version,
            schema_id: id,
            deleted: false,
            ts: now_ms(),
        };
        store::insert_version(conn, &row).await?;
        // Older soft-deleted versions with the same id are tombstoned (unless something references them); the new
        // version keeps the schema row alive.
        for old in versions.iter().filter(|v| v.deleted && v.schema_id == id) {
            if store::referrers(conn, &q.context, &q.name, old.version)
                .await?
                .is_empty()
            {
                store::hard_delete_version(conn, &q.context, &q.name, old.version, id).await?;
            }
        }
        let schema = store::schema_by_id(conn, &q.context, id)
            .await?
            .ok_or_else(|| ApiError::Store("registered schema is missing".to_owned()))?;
        tx.commit().await?;
        self.metrics.registration();
        tracing::info!(subject = %q.display(), version, id, "registered schema");
        Ok(Self::schema_entity(&schema, Some(&q.display()), Some(&row)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_schema(
        &self,
        conn: &mut AnyConnection,
        context: &str,
        id: i64,
        guid: &str,
        prepared: &Prepared,
        refs: &ResolvedRefs,
        req: &SchemaRequest,
    ) -> Result<(), ApiError> {
        let row = SchemaRow {
            context: context.to_owned(),
            id,
            guid: guid.to_owned(),
            schema_type: prepared.schema_type.as_str().to_owned(),
            schema: prepared.canonical.clone(),
            references: refs.references.clone(),
            metadata: req.metadata.clone(),
            rule_set: req.rule_set.clone(),
            ts: now_ms(),
        };
        store::insert_schema(conn, &row, &refs.targets).await
    }

    /// With `validateFields`, the reserved-field messages of a new schema against the latest of `versions`.
    async fn reserved_fields(
        &self,
        conn: &mut AnyConnection,
        context: &str,
        validate_fields: bool,
        prepared: &Prepared,
        metadata: Option<&Value>,
        versions: &[VersionRow],
    ) -> Result<Vec<String>, ApiError> {
        if !validate_fields {
            return Ok(Vec::new());
        }
        let previous = match versions.last() {
            Some(v) => Some(
                self.schema(conn, context, v.schema_id)
                    .await?
                    .and_then(|row| row.metadata.clone()),
            ),
            None => None,
        };
        Ok(schema_types::reserved_fields(
            prepared,
            metadata,
            previous.as_ref().map(Option::as_ref),
        ))
    }

    // ----- compatibility -----

    /// `POST /compatibility/subjects/{s}/versions[/{v}]`; `version = None` checks what registration would.
    pub async fn check_compatibility(
        &self,
        subject: &str,
        version: Option<VersionId>,
        req: &SchemaRequest,
        normalize: bool,
        verbose: bool,
    ) -> Result<Verdict, ApiError> {
        let mut conn = self.conn().await?;
        let q = Qualified::parse(subject);
        let versions = store::versions(&mut conn, &q.context, &q.name).await?;
        let live: Vec<VersionRow> = versions.into_iter().filter(is_live).collect();
        let (mut level, cfg) = self.level(&mut conn, &q).await?;
        let selected: Vec<VersionRow> = match version {
            None => live,
            Some(VersionId::Latest) => live.last().cloned().into_iter().collect(),
            Some(VersionId::Number(n)) => {
                let v = live
                    .iter()
                    .find(|v| v.version == n)
                    .cloned()
                    .ok_or_else(|| ApiError::VersionNotFound(n.to_string()))?;
                vec![v]
            }
        };
        if version.is_some() {
            level = non_transitive(level);
        }
        let normalize = normalize || flag(&cfg, "normalize");
        let prepared = match self
            .read_request(
                &mut conn,
                &q.context,
                req,
                Prepare {
                    strict: true,
                    normalize,
                },
            )
            .await
        {
            Ok((p, _, _)) => p,
            Err(ApiError::InvalidSchema(msg)) if verbose => {
                return Ok(Verdict {
                    compatible: false,
                    messages: vec![msg],
                });
            }
            Err(e) => return Err(e),
        };
        let selected = self
            .in_group(
                &mut conn,
                &q.context,
                &selected,
                &cfg,
                req.metadata.as_ref(),
            )
            .await?;
        let history = self.history(&mut conn, &q.context, &selected).await?;
        let entries: Vec<HistoryEntry<'_>> = history
            .iter()
            .map(|(version, prepared)| HistoryEntry {
                version: *version,
                prepared,
            })
            .collect();
        let validate_fields = flag(&cfg, "validateFields");
        let reserved = self
            .reserved_fields(
                &mut conn,
                &q.context,
                validate_fields,
                &prepared,
                req.metadata.as_ref(),
                &selected,
            )
            .await?;
        let verdict = schema_types::check(level, &prepared, &entries, &reserved, validate_fields)?;
        if !verdict.compatible {
            self.metrics.compatibility_failure();
        }
        Ok(verdict)
    }

    // ----- deletes -----

    /// `DELETE /subjects/{s}`.
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<i64>, ApiError> {
        let q = Qualified::parse(subject);
        let mut tx = self.store.write().await?;
        let conn = tx.conn();
        self.ensure_writable(conn, &q).await?;
        let versions = store::versions(conn, &q.context, &q.name).await?;
        if versions.is_empty() {
            return Err(ApiError::SubjectNotFound(subject.to_owned()));
        }
        let any_live = versions.iter().any(is_live);
        let mut evicted = Vec::new();
        let deleted = if permanent {
            if any_live {
                return Err(ApiError::SubjectNotSoftDeleted(subject.to_owned()));
            }
            for v in versions.iter().rev() {
                Self::check_referrers(conn, &q, v, false, true).await?;
                if store::hard_delete_version(conn, &q.context, &q.name, v.version, v.schema_id)
                    .await?
                {
                    store::notify_evicted(conn, self.store.backend(), &q.context, v.schema_id)
                        .await?;
                    evicted.push(v.schema_id);
                }
            }
            store::delete_setting(conn, Setting::Config, &q.context, &q.name).await?;
            store::delete_setting(conn, Setting::Mode, &q.context, &q.name).await?;
            versions.iter().map(|v| v.version).collect()
        } else {
            if !any_live {
                return Err(ApiError::SubjectSoftDeleted(subject.to_owned()));
            }
            let mut out = Vec::new();
            for v in versions.iter().filter(|v| is_live(v)) {
                Self::check_referrers(conn, &q, v, true, true).await?;
                store::soft_delete_version(conn, &q.context, &q.name, v.version).await?;
                out.push(v.version);
            }
            out
        };
        tx.commit().await?;
        for id in evicted {
            self.evict(&q.context, id);
        }
        Ok(deleted)
    }

    /// 42206 when another (live, or any for hard deletes) schema references this version.
    async fn check_referrers(
        conn: &mut AnyConnection,
        q: &Qualified,
        v: &VersionRow,
        live_only: bool,
        ignore_same_subject: bool,
    ) -> Result<(), ApiError> {
        let referrers = store::referrers(conn, &q.context, &q.name, v.version).await?;
        let blocking = referrers.iter().any(|r| {
            (!live_only || is_live(r))
                && !(ignore_same_subject && r.context == q.context && r.subject == q.name)
        });
        if blocking {
            return Err(ApiError::ReferenceExists(q.display(), v.version));
        }
        Ok(())
    }

    /// `DELETE /subjects/{s}/versions/{v}`.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: VersionId,
        permanent: bool,
    ) -> Result<i64, ApiError> {
        let q = Qualified::parse(subject);
        let mut tx = self.store.write().await?;
        let conn = tx.conn();
        self.ensure_writable(conn, &q).await?;
        let versions = store::versions(conn, &q.context, &q.name).await?;
        if versions.is_empty() {
            return Err(ApiError::SubjectNotFound(subject.to_owned()));
        }
        let v = match version {
            VersionId::Latest => versions.iter().rev().find(|v| is_live(v)),
            VersionId::Number(n) => versions.iter().find(|v| v.version == n),
        }
        .cloned()
        .ok_or_else(|| {
            ApiError::VersionNotFound(match version {
                VersionId::Latest => "latest".to_owned(),
                VersionId::Number(n) => n.to_string(),
            })
        })?;
        let mut evicted = None;
        if permanent {
            if !v.deleted {
                return Err(ApiError::VersionNotSoftDeleted(q.display(), v.version));
            }
            Self::check_referrers(conn, &q, &v, false, false).await?;
            if store::hard_delete_version(conn, &q.context, &q.name, v.version, v.schema_id).await?
            {
                store::notify_evicted(conn, self.store.backend(), &q.context, v.schema_id).await?;
                evicted = Some(v.schema_id);
            }
            if versions.len() == 1 {
                store::delete_setting(conn, Setting::Config, &q.context, &q.name).await?;
                store::delete_setting(conn, Setting::Mode, &q.context, &q.name).await?;
            }
        } else {
            if v.deleted {
                return Err(ApiError::VersionSoftDeleted(q.display(), v.version));
            }
            Self::check_referrers(conn, &q, &v, true, false).await?;
            store::soft_delete_version(conn, &q.context, &q.name, v.version).await?;
        }
        tx.commit().await?;
        if let Some(id) = evicted {
            self.evict(&q.context, id);
        }
        Ok(v.version)
    }

    // ----- config -----

    /// `GET /config[/{s}]`. `subject = None` is the global (default context) config.
    pub async fn get_config(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<Value, ApiError> {
        let mut conn = self.conn().await?;
        let q = Qualified::parse(subject.unwrap_or(""));
        if subject.is_some() && !q.name.is_empty() && !default_to_global {
            return match Self::stored_config(&mut conn, &q.context, &q.name).await? {
                Some(c) => Ok(Value::Object(c)),
                None => Err(ApiError::SubjectConfigNotFound(
                    subject.unwrap_or("").to_owned(),
                )),
            };
        }
        if q.name.is_empty() && !default_to_global {
            let mut c = Self::stored_config(&mut conn, &q.context, "")
                .await?
                .unwrap_or_default();
            c.entry("compatibilityLevel")
                .or_insert_with(|| json!(self.config.default_compatibility.as_str()));
            return Ok(Value::Object(c));
        }
        Ok(Value::Object(self.effective_config(&mut conn, &q).await?))
    }

    /// `PUT /config[/{s}]` with a ConfigUpdateRequest; answers the merged stored config in request naming.
    pub async fn put_config(
        &self,
        subject: Option<&str>,
        body: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let raw = subject.unwrap_or("");
        let q = Qualified::parse(raw);
        if subject.is_some() {
            q.validate(raw, true)?;
        }
        let mut tx = self.store.write().await?;
        let conn = tx.conn();
        self.ensure_writable(conn, &q).await?;
        let mut stored = Self::stored_config(conn, &q.context, &q.name)
            .await?
            .unwrap_or_default();
        for (k, v) in body {
            let key = if k == "compatibility" {
                "compatibilityLevel"
            } else {
                k.as_str()
            };
            if !CONFIG_KEYS.contains(&key) {
                continue;
            }
            if v.is_null() {
                stored.remove(key);
                continue;
            }
            let value = match key {
                "compatibilityLevel" => {
                    let level: CompatibilityLevel = v
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .ok_or(ApiError::InvalidCompatibilityLevel)?;
                    json!(level.as_str())
                }
                "defaultRuleSet" | "overrideRuleSet" => {
                    validate_rule_set(v)?;
                    v.clone()
                }
                _ => v.clone(),
            };
            stored.insert(key.to_owned(), value);
        }
        store::put_setting(
            conn,
            Setting::Config,
            &q.context,
            &q.name,
            &Value::Object(stored.clone()).to_string(),
        )
        .await?;
        if q.context != DEFAULT_CONTEXT {
            store::touch_context(conn, &q.context, 0).await?;
        }
        tx.commit().await?;
        let mut out = Map::new();
        for (k, v) in stored {
            out.insert(
                if k == "compatibilityLevel" {
                    "compatibility".to_owned()
                } else {
                    k
                },
                v,
            );
        }
        Ok(Value::Object(out))
    }

    /// `DELETE /config[/{s}]`: answers the removed config.
    pub async fn delete_config(&self, subject: Option<&str>) -> Result<Value, ApiError> {
        let q = Qualified::parse(subject.unwrap_or(""));
        let mut tx = self.store.write().await?;
        let conn = tx.conn();
        self.ensure_writable(conn, &q).await?;
        let stored = Self::stored_config(conn, &q.context, &q.name).await?;
        let previous = match (stored, subject) {
            (Some(c), _) => c,
            (None, Some(s)) if !q.name.is_empty() => {
                return Err(ApiError::SubjectNotFound(s.to_owned()));
            }
            (None, _) => {
                let mut m = Map::new();
                m.insert(
                    "compatibilityLevel".into(),
                    json!(self.config.default_compatibility.as_str()),
                );
                m
            }
        };
        store::delete_setting(conn, Setting::Config, &q.context, &q.name).await?;
        tx.commit().await?;
        Ok(Value::Object(previous))
    }

    // ----- mode -----

    pub async fn get_mode(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<Value, ApiError> {
        let mut conn = self.conn().await?;
        let q = Qualified::parse(subject.unwrap_or(""));
        if let Some(s) = subject.filter(|_| !q.name.is_empty() && !default_to_global) {
            return match store::setting(&mut conn, Setting::Mode, &q.context, &q.name).await? {
                Some(m) => Ok(json!({ "mode": m })),
                None => Err(ApiError::SubjectModeNotFound(s.to_owned())),
            };
        }
        if q.name.is_empty() && !default_to_global {
            let m = store::setting(&mut conn, Setting::Mode, &q.context, "").await?;
            return Ok(json!({ "mode": m.unwrap_or_else(|| "READWRITE".to_owned()) }));
        }
        Ok(json!({ "mode": self.effective_mode(&mut conn, &q).await? }))
    }

    /// `PUT /mode[/{s}]`: `mode: null` clears; answers the request's mode as sent.
    pub async fn put_mode(
        &self,
        subject: Option<&str>,
        mode: Option<&str>,
        force: bool,
    ) -> Result<Value, ApiError> {
        let raw = subject.unwrap_or("");
        let q = Qualified::parse(raw);
        if subject.is_some() {
            q.validate(raw, true)?;
        }
        let Some(sent) = mode else {
            let mut tx = self.store.write().await?;
            store::delete_setting(tx.conn(), Setting::Mode, &q.context, &q.name).await?;
            tx.commit().await?;
            return Ok(json!({ "mode": Value::Null }));
        };
        let upper = sent.trim().to_ascii_uppercase();
        if !MODES.contains(&upper.as_str()) {
            return Err(ApiError::InvalidMode(
                "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD."
                    .to_owned(),
            ));
        }
        if upper == "FORWARD" && !(q.context == GLOBAL_CONTEXT && q.name.is_empty()) {
            return Err(ApiError::InvalidMode(
                "Forward mode only supported on global level".to_owned(),
            ));
        }
        let mut tx = self.store.write().await?;
        let conn = tx.conn();
        if upper == "IMPORT" && !force {
            let all = store::all_versions(conn).await?;
            let in_scope = all.iter().any(|v| {
                is_live(v)
                    && if q.name.is_empty() {
                        q.context == GLOBAL_CONTEXT || v.context == q.context
                    } else {
                        v.context == q.context && v.subject == q.name
                    }
            });
            if in_scope {
                return Err(ApiError::OperationNotPermitted(
                    "Cannot import since found existing subjects".to_owned(),
                ));
            }
        }
        store::put_setting(conn, Setting::Mode, &q.context, &q.name, &upper).await?;
        tx.commit().await?;
        Ok(json!({ "mode": sent }))
    }

    /// `DELETE /mode[/{s}]`; `recursive` on the global mode or a context (`:.ctx:`) also deletes the mode of
    /// every subject in that context (and then a scope without a mode of its own answers `{"mode": null}`
    /// instead of 40401, as Confluent does).
    pub async fn delete_mode(
        &self,
        subject: Option<&str>,
        recursive: bool,
    ) -> Result<Value, ApiError> {
        let q = Qualified::parse(subject.unwrap_or(""));
        let mut tx = self.store.write().await?;
        let conn = tx.conn();
        let previous = store::setting(conn, Setting::Mode, &q.context, &q.name).await?;
        let previous = match (previous, subject) {
            (Some(m), _) => Value::String(m),
            (None, Some(_)) if recursive => Value::Null,
            (None, Some(s)) if !q.name.is_empty() => {
                return Err(ApiError::SubjectNotFound(s.to_owned()));
            }
            (None, _) => Value::String("READWRITE".to_owned()),
        };
        store::delete_setting(conn, Setting::Mode, &q.context, &q.name).await?;
        if recursive && q.name.is_empty() {
            store::delete_settings_in_context(conn, Setting::Mode, &q.context).await?;
        }
        tx.commit().await?;
        Ok(json!({ "mode": previous }))
    }

    // ----- contexts -----

    pub async fn contexts(&self) -> Result<Vec<String>, ApiError> {
        let mut conn = self.conn().await?;
        let mut names: Vec<String> = store::contexts(&mut conn)
            .await?
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| n != DEFAULT_CONTEXT && n != GLOBAL_CONTEXT)
            .collect();
        names.sort();
        names.insert(0, DEFAULT_CONTEXT.to_owned());
        Ok(names)
    }

    pub async fn delete_context(&self, context: &str) -> Result<(), ApiError> {
        let mut tx = self.store.write().await?;
        let conn = tx.conn();
        let used = store::all_versions(conn)
            .await?
            .iter()
            .any(|v| v.context == context);
        if used {
            return Err(ApiError::ContextNotEmpty(context.to_owned()));
        }
        store::delete_context(conn, context).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The keys a config may hold (GET naming).
const CONFIG_KEYS: [&str; 13] = [
    "compatibilityLevel",
    "compatibilityPolicy",
    "compatibilityGroup",
    "normalize",
    "validateFields",
    "validateNewSchemas",
    "validateRules",
    "alias",
    "aliasForDeks",
    "defaultMetadata",
    "overrideMetadata",
    "defaultRuleSet",
    "overrideRuleSet",
];

fn non_null(v: Option<Value>) -> Option<Value> {
    v.filter(|v| !v.is_null())
}

/// Confluent's `Metadata.mergeMetadata`: `tags` and `properties` merged key by key (`over` wins), `sensitive`
/// united.
fn merge_metadata(base: Option<Value>, over: Option<Value>) -> Option<Value> {
    let (base, over) = match (non_null(base), non_null(over)) {
        (None, o) => return o,
        (b, None) => return b,
        (Some(b), Some(o)) => (b, o),
    };
    let mut out = Map::new();
    for key in ["tags", "properties"] {
        let mut merged = base
            .get(key)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(o) = over.get(key).and_then(Value::as_object) {
            for (k, v) in o {
                merged.insert(k.clone(), v.clone());
            }
        }
        if !merged.is_empty() {
            out.insert(key.to_owned(), Value::Object(merged));
        }
    }
    let mut sensitive: Vec<Value> = Vec::new();
    for m in [&base, &over] {
        for v in m
            .get("sensitive")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !sensitive.contains(v) {
                sensitive.push(v.clone());
            }
        }
    }
    if !sensitive.is_empty() {
        out.insert("sensitive".to_owned(), Value::Array(sensitive));
    }
    Some(Value::Object(out))
}

/// Confluent's `RuleSet.mergeRuleSets`: per rule kind, `over`'s rules replace `base`'s rules of the same name.
fn merge_rule_set(base: Option<Value>, over: Option<Value>) -> Option<Value> {
    let (base, over) = match (non_null(base), non_null(over)) {
        (None, o) => return o,
        (b, None) => return b,
        (Some(b), Some(o)) => (b, o),
    };
    let mut out = base.as_object().cloned().unwrap_or_default();
    for key in ["migrationRules", "domainRules", "encodingRules"] {
        let mut rules: Vec<Value> = base
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for rule in over
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            rules.retain(|r| r.get("name") != rule.get("name"));
            rules.push(rule.clone());
        }
        if !rules.is_empty() {
            out.insert(key.to_owned(), Value::Array(rules));
        }
    }
    Some(Value::Object(out))
}

/// A subject's versions; an unqualified subject unknown in the default context is looked up in the other
/// contexts (in name order), as Confluent's `getUsingContexts` does for reads and lookups.
async fn using_contexts(
    conn: &mut AnyConnection,
    subject: &str,
) -> Result<(Qualified, Vec<VersionRow>), ApiError> {
    let q = Qualified::parse(subject);
    let versions = store::versions(conn, &q.context, &q.name).await?;
    if !versions.is_empty() || subject.starts_with(":.") {
        return Ok((q, versions));
    }
    for (context, _) in store::contexts(conn).await? {
        if context == DEFAULT_CONTEXT || context == GLOBAL_CONTEXT {
            continue;
        }
        let found = store::versions(conn, &context, &q.name).await?;
        if !found.is_empty() {
            return Ok((
                Qualified {
                    context,
                    name: q.name,
                },
                found,
            ));
        }
    }
    Ok((q, versions))
}

/// Confluent's `canLookup` without metadata: same stored text, type and references.
fn same_schema(row: &SchemaRow, prepared: &Prepared, references: &[Reference]) -> bool {
    row.schema == prepared.canonical
        && row.schema_type == prepared.schema_type.as_str()
        && row.references == references
}

fn non_transitive(level: CompatibilityLevel) -> CompatibilityLevel {
    match level {
        CompatibilityLevel::BackwardTransitive => CompatibilityLevel::Backward,
        CompatibilityLevel::ForwardTransitive => CompatibilityLevel::Forward,
        CompatibilityLevel::FullTransitive => CompatibilityLevel::Full,
        other => other,
    }
}

fn poisoned() -> ApiError {
    ApiError::Store("schema cache lock poisoned".to_owned())
}

/// Confluent's `RuleSet.validate`: unique well-formed names, a type, and modes that fit the rule kind.
pub fn validate_rule_set(rs: &Value) -> Result<(), ApiError> {
    let Some(obj) = rs.as_object() else {
        return Err(ApiError::InvalidRuleSet(
            "ruleSet must be an object".to_owned(),
        ));
    };
    let mut names = HashSet::new();
    for (group, allowed) in [
        ("migrationRules", &["UPGRADE", "DOWNGRADE", "UPDOWN"][..]),
        ("domainRules", &["WRITE", "READ", "WRITEREAD"][..]),
        ("encodingRules", &["WRITE", "READ", "WRITEREAD"][..]),
    ] {
        let Some(rules) = obj.get(group) else {
            continue;
        };
        if rules.is_null() {
            continue;
        }
        let rules = rules
            .as_array()
            .ok_or_else(|| ApiError::InvalidRuleSet(format!("{group} must be a list")))?;
        for rule in rules {
            let name = rule.get("name").and_then(Value::as_str).unwrap_or("");
            let well_formed = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !well_formed {
                return Err(ApiError::InvalidRuleSet(format!(
                    "Invalid rule name {name:?}"
                )));
            }
            if !names.insert(name.to_owned()) {
                return Err(ApiError::InvalidRuleSet(format!(
                    "Found rule with duplicate name {name}"
                )));
            }
            if rule
                .get("type")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(ApiError::InvalidRuleSet(format!(
                    "Missing rule type for rule {name}"
                )));
            }
            if let Some(mode) = rule.get("mode").and_then(Value::as_str)
                && !allowed.contains(&mode.to_ascii_uppercase().as_str())
            {
                return Err(ApiError::InvalidRuleSet(format!(
                    "Invalid mode {mode} for rule {name} in {group}"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_follow_confluent() {
        assert_eq!(VersionId::parse("latest"), Ok(VersionId::Latest));
        assert_eq!(VersionId::parse(" LATEST "), Ok(VersionId::Latest));
        assert_eq!(VersionId::parse("-1"), Ok(VersionId::Latest));
        assert_eq!(VersionId::parse("7"), Ok(VersionId::Number(7)));
        for bad in ["0", "-2", "x", "2147483648", ""] {
            assert!(
                matches!(VersionId::parse(bad), Err(ApiError::InvalidVersion(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn metadata_and_rule_sets_merge_like_confluent() {
        let base = json!({"properties": {"a": "1", "b": "1"}, "sensitive": ["x"]});
        let over = json!({"properties": {"b": "2"}, "sensitive": ["y"], "tags": {"f": ["PII"]}});
        assert_eq!(
            merge_metadata(Some(base.clone()), Some(over)),
            Some(
                json!({"properties": {"a": "1", "b": "2"}, "sensitive": ["x", "y"], "tags": {"f": ["PII"]}})
            )
        );
        assert_eq!(merge_metadata(None, Some(base.clone())), Some(base.clone()));
        assert_eq!(merge_metadata(Some(base.clone()), None), Some(base));
        let r1 = json!({"domainRules": [{"name": "a", "type": "CEL", "expr": "1"}, {"name": "b", "type": "CEL"}]});
        let r2 = json!({"domainRules": [{"name": "a", "type": "CEL", "expr": "2"}]});
        let merged = merge_rule_set(Some(r1), Some(r2)).expect("merged");
        assert_eq!(merged["domainRules"][0]["name"], "b");
        assert_eq!(merged["domainRules"][1]["expr"], "2");
    }

    #[test]
    fn rule_sets_are_validated() {
        assert!(
            validate_rule_set(&json!({"domainRules":[{"name":"a","type":"CEL","mode":"WRITE"}]}))
                .is_ok()
        );
        assert!(
            validate_rule_set(&json!({"domainRules":[{"name":"a","type":"CEL","mode":"UPGRADE"}]}))
                .is_err()
        );
        assert!(validate_rule_set(&json!({"domainRules":[{"name":"1a","type":"CEL"}]})).is_err());
        assert!(validate_rule_set(&json!({"domainRules":[{"name":"a"}]})).is_err());
        assert!(
            validate_rule_set(&json!({"migrationRules":[{"name":"a","type":"X"}],"domainRules":[{"name":"a","type":"X"}]}))
                .is_err()
        );
    }
}
