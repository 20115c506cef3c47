//! The database: one storage model for SQLite and PostgreSQL through sqlx's `Any` driver, migrations, the
//! serialised write transaction and the row-level queries the registry uses.
//!
//! Writers are serialised so that ids and versions are allocated without races: on SQLite by a process-wide
//! mutex plus `BEGIN IMMEDIATE` (which also guards against other processes on the same file); on PostgreSQL by
//! a transaction-scoped advisory lock, so any number of server processes can share one database. The primary
//! key on `(context, subject, version)` is a second line of defence against duplicate versions.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Executor, Row, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use crate::error::{ApiError, Error};
use crate::schema_types::Reference;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Key of the PostgreSQL advisory lock that serialises registry writes.
const WRITE_LOCK_KEY: i64 = 0x4845_5241_4C44; // "HERALD"

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL channel on which a hard delete names, at commit, the schema id every replica must drop from
/// its caches (payload: JSON `[context, id]`).
pub const EVICT_CHANNEL: &str = "herald_evict";

/// A connection pool and the write serialisation.
#[derive(Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    url: String,
    write_lock: Mutex<()>,
}

/// An open write transaction; commit it or drop it to roll back.
#[derive(Debug)]
pub struct WriteTx<'a> {
    pub tx: Transaction<'static, Any>,
    _guard: Option<MutexGuard<'a, ()>>,
}

impl WriteTx<'_> {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), ApiError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Adds `mode=rwc` to a SQLite URL so the file is created on first start.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

impl Store {
    /// Connects and runs the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::Config(format!(
                "unsupported database URL {url:?}: expected sqlite://... or postgres://..."
            )));
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url(url),
            Backend::Postgres => url.to_owned(),
        };
        let options: AnyConnectOptions = url.parse()?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Store {
            pool,
            backend,
            url,
            write_lock: Mutex::new(()),
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database URL (PostgreSQL: the eviction listener opens its own connection with it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Begins the one serialised write transaction.
    pub async fn write(&self) -> Result<WriteTx<'_>, ApiError> {
        match self.backend {
            Backend::Sqlite => {
                let guard = self.write_lock.lock().await;
                let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(WriteTx {
                    tx,
                    _guard: Some(guard),
                })
            }
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK_KEY)
                    .fetch_all(&mut *tx)
                    .await?;
                Ok(WriteTx { tx, _guard: None })
            }
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// On PostgreSQL, tells every replica (when the transaction commits, and only then) that schema `id` of
/// `context` is gone, so they drop it from their caches; nothing to do on SQLite (one process).
pub async fn notify_evicted(
    conn: &mut AnyConnection,
    backend: Backend,
    context: &str,
    id: i64,
) -> Result<(), ApiError> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    let payload = serde_json::json!([context, id]).to_string();
    sqlx::query("SELECT 1 AS notified FROM (SELECT pg_notify($1, $2)) AS n")
        .bind(EVICT_CHANNEL)
        .bind(payload)
        .fetch_all(conn)
        .await?;
    Ok(())
}

/// PostgreSQL text cannot hold NUL; such a name matches nothing (and is rejected where names are written).
fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A stored schema (immutable for its `(context, id)`).
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaRow {
    pub context: String,
    pub id: i64,
    pub guid: String,
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<Reference>,
    pub metadata: Option<serde_json::Value>,
    pub rule_set: Option<serde_json::Value>,
    pub ts: i64,
}

/// One subject version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub context: String,
    pub subject: String,
    pub version: i64,
    pub schema_id: i64,
    pub deleted: bool,
    pub ts: i64,
}

fn json_opt(s: Option<String>) -> Option<serde_json::Value> {
    s.and_then(|t| serde_json::from_str(&t).ok())
}

fn schema_from_row(row: &sqlx::any::AnyRow) -> Result<SchemaRow, sqlx::Error> {
    let refs: String = row.try_get("refs")?;
    Ok(SchemaRow {
        context: row.try_get("context")?,
        id: row.try_get("id")?,
        guid: row.try_get("guid")?,
        schema_type: row.try_get("schema_type")?,
        schema: row.try_get("schema_text")?,
        references: serde_json::from_str(&refs).unwrap_or_default(),
        metadata: json_opt(row.try_get("metadata")?),
        rule_set: json_opt(row.try_get("rule_set")?),
        ts: row.try_get("ts")?,
    })
}

fn version_from_row(row: &sqlx::any::AnyRow) -> Result<VersionRow, sqlx::Error> {
    Ok(VersionRow {
        context: row.try_get("context")?,
        subject: row.try_get("subject")?,
        version: row.try_get("version")?,
        schema_id: row.try_get("schema_id")?,
        deleted: row.try_get::<i64, _>("deleted")? != 0,
        ts: row.try_get("ts")?,
    })
}

const SCHEMA_COLUMNS: &str =
    "context, id, guid, schema_type, schema_text, refs, metadata, rule_set, ts";
const VERSION_COLUMNS: &str = "context, subject, version, schema_id, deleted, ts";

pub async fn schema_by_id(
    conn: &mut AnyConnection,
    context: &str,
    id: i64,
) -> Result<Option<SchemaRow>, ApiError> {
    if has_nul(context) {
        return Ok(None);
    }
    let row = sqlx::query(&format!(
        "SELECT {SCHEMA_COLUMNS} FROM schemas WHERE context = $1 AND id = $2"
    ))
    .bind(context)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(schema_from_row).transpose()?)
}

/// Every schema with this guid, in any context (lowest id first within a context).
pub async fn schemas_by_guid(
    conn: &mut AnyConnection,
    guid: &str,
) -> Result<Vec<SchemaRow>, ApiError> {
    if has_nul(guid) {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT {SCHEMA_COLUMNS} FROM schemas WHERE guid = $1 ORDER BY context, id"
    ))
    .bind(guid)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(schema_from_row).collect::<Result<_, _>>()?)
}

/// The lowest id bound to this content hash in a context.
pub async fn id_by_guid(
    conn: &mut AnyConnection,
    context: &str,
    guid: &str,
) -> Result<Option<i64>, ApiError> {
    if has_nul(context) {
        return Ok(None);
    }
    let row =
        sqlx::query("SELECT id FROM schemas WHERE context = $1 AND guid = $2 ORDER BY id LIMIT 1")
            .bind(context)
            .bind(guid)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// All versions of a subject (soft-deleted included), ascending.
pub async fn versions(
    conn: &mut AnyConnection,
    context: &str,
    subject: &str,
) -> Result<Vec<VersionRow>, ApiError> {
    if has_nul(context) || has_nul(subject) {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM versions WHERE context = $1 AND subject = $2 ORDER BY version"
    ))
    .bind(context)
    .bind(subject)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(version_from_row)
        .collect::<Result<_, _>>()?)
}

/// Every version using a schema id in a context, ordered by subject and version.
pub async fn versions_of_schema(
    conn: &mut AnyConnection,
    context: &str,
    id: i64,
) -> Result<Vec<VersionRow>, ApiError> {
    if has_nul(context) {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM versions WHERE context = $1 AND schema_id = $2 ORDER BY subject, version"
    ))
    .bind(context)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(version_from_row)
        .collect::<Result<_, _>>()?)
}

/// Every version of every subject, ordered by context, subject and version.
pub async fn all_versions(conn: &mut AnyConnection) -> Result<Vec<VersionRow>, ApiError> {
    let rows = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM versions ORDER BY context, subject, version"
    ))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(version_from_row)
        .collect::<Result<_, _>>()?)
}

/// Ids of schemas that reference `(context, subject, version)`, with whether each referrer version is deleted,
/// excluding referrers registered under `exclude_subject` (self-references of a subject being deleted).
pub async fn referrers(
    conn: &mut AnyConnection,
    context: &str,
    subject: &str,
    version: i64,
) -> Result<Vec<VersionRow>, ApiError> {
    let rows = sqlx::query(
        "SELECT v.context, v.subject, v.version, v.schema_id, v.deleted, v.ts FROM schema_refs r \
         JOIN versions v ON v.context = r.context AND v.schema_id = r.schema_id \
         WHERE r.ref_context = $1 AND r.ref_subject = $2 AND r.ref_version = $3 \
         ORDER BY v.schema_id, v.context, v.subject, v.version",
    )
    .bind(context)
    .bind(subject)
    .bind(version)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(version_from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn contexts(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>, ApiError> {
    let rows = sqlx::query("SELECT name, max_id FROM contexts ORDER BY name")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("max_id")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ApiError::from)
}

pub async fn max_id(conn: &mut AnyConnection, context: &str) -> Result<i64, ApiError> {
    if has_nul(context) {
        return Ok(0);
    }
    let row = sqlx::query("SELECT max_id FROM contexts WHERE name = $1")
        .bind(context)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get("max_id")).transpose()?.unwrap_or(0))
}

/// Makes sure a context row exists and its high-water mark is at least `at_least`.
pub async fn touch_context(
    conn: &mut AnyConnection,
    context: &str,
    at_least: i64,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO contexts (name, max_id) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET max_id = \
         CASE WHEN contexts.max_id < excluded.max_id THEN excluded.max_id ELSE contexts.max_id END",
    )
    .bind(context)
    .bind(at_least)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts a schema row and its resolved references: `(ref_context, ref_subject, ref_version)`.
pub async fn insert_schema(
    conn: &mut AnyConnection,
    row: &SchemaRow,
    resolved_refs: &[(String, String, i64)],
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO schemas (context, id, guid, schema_type, schema_text, refs, metadata, rule_set, ts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&row.context)
    .bind(row.id)
    .bind(&row.guid)
    .bind(&row.schema_type)
    .bind(&row.schema)
    .bind(serde_json::to_string(&row.references).unwrap_or_else(|_| "[]".to_owned()))
    .bind(row.metadata.as_ref().map(|m| m.to_string()))
    .bind(row.rule_set.as_ref().map(|m| m.to_string()))
    .bind(row.ts)
    .execute(&mut *conn)
    .await?;
    for (i, (ctx, subject, version)) in resolved_refs.iter().enumerate() {
        sqlx::query(
            "INSERT INTO schema_refs (context, schema_id, ordinal, ref_context, ref_subject, ref_version) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.context)
        .bind(row.id)
        .bind(i as i64)
        .bind(ctx)
        .bind(subject)
        .bind(*version)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn insert_version(conn: &mut AnyConnection, v: &VersionRow) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO versions (context, subject, version, schema_id, deleted, ts) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&v.context)
    .bind(&v.subject)
    .bind(v.version)
    .bind(v.schema_id)
    .bind(i64::from(v.deleted))
    .bind(v.ts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn soft_delete_version(
    conn: &mut AnyConnection,
    context: &str,
    subject: &str,
    version: i64,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE versions SET deleted = 1 WHERE context = $1 AND subject = $2 AND version = $3",
    )
    .bind(context)
    .bind(subject)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes a version; removes its schema too when no version uses it any more. Returns whether the schema went.
pub async fn hard_delete_version(
    conn: &mut AnyConnection,
    context: &str,
    subject: &str,
    version: i64,
    schema_id: i64,
) -> Result<bool, ApiError> {
    sqlx::query("DELETE FROM versions WHERE context = $1 AND subject = $2 AND version = $3")
        .bind(context)
        .bind(subject)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    let still_used =
        sqlx::query("SELECT 1 AS used FROM versions WHERE context = $1 AND schema_id = $2 LIMIT 1")
            .bind(context)
            .bind(schema_id)
            .fetch_optional(&mut *conn)
            .await?
            .is_some();
    if !still_used {
        for table in [
            "schema_refs WHERE context = $1 AND schema_id = $2",
            "schemas WHERE context = $1 AND id = $2",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .bind(context)
                .bind(schema_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(!still_used)
}

/// Reads a config (`kind` = "configs") or mode (`kind` = "modes") value.
pub async fn setting(
    conn: &mut AnyConnection,
    kind: Setting,
    context: &str,
    subject: &str,
) -> Result<Option<String>, ApiError> {
    if has_nul(context) || has_nul(subject) {
        return Ok(None);
    }
    let (table, column) = kind.table();
    let row = sqlx::query(&format!(
        "SELECT {column} AS value FROM {table} WHERE context = $1 AND subject = $2"
    ))
    .bind(context)
    .bind(subject)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("value")).transpose()?)
}

pub async fn put_setting(
    conn: &mut AnyConnection,
    kind: Setting,
    context: &str,
    subject: &str,
    value: &str,
) -> Result<(), ApiError> {
    let (table, column) = kind.table();
    sqlx::query(&format!(
        "INSERT INTO {table} (context, subject, {column}) VALUES ($1, $2, $3) \
         ON CONFLICT (context, subject) DO UPDATE SET {column} = excluded.{column}"
    ))
    .bind(context)
    .bind(subject)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn delete_setting(
    conn: &mut AnyConnection,
    kind: Setting,
    context: &str,
    subject: &str,
) -> Result<(), ApiError> {
    if has_nul(context) || has_nul(subject) {
        return Ok(());
    }
    let (table, _) = kind.table();
    sqlx::query(&format!(
        "DELETE FROM {table} WHERE context = $1 AND subject = $2"
    ))
    .bind(context)
    .bind(subject)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes every setting of a kind in a context: the context-level one and every subject's.
pub async fn delete_settings_in_context(
    conn: &mut AnyConnection,
    kind: Setting,
    context: &str,
) -> Result<(), ApiError> {
    if has_nul(context) {
        return Ok(());
    }
    let (table, _) = kind.table();
    sqlx::query(&format!("DELETE FROM {table} WHERE context = $1"))
        .bind(context)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes a context's row and its context-level settings.
pub async fn delete_context(conn: &mut AnyConnection, context: &str) -> Result<(), ApiError> {
    if has_nul(context) {
        return Ok(());
    }
    for sql in [
        "DELETE FROM contexts WHERE name = $1",
        "DELETE FROM configs WHERE context = $1",
        "DELETE FROM modes WHERE context = $1",
    ] {
        sqlx::query(sql).bind(context).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Which settings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Config,
    Mode,
}

impl Setting {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Setting::Config => ("configs", "config"),
            Setting::Mode => ("modes", "mode"),
        }
    }
}

/// Runs a trivial query (readiness).
pub async fn ping(pool: &AnyPool) -> Result<(), ApiError> {
    sqlx::query("SELECT 1 AS ok").fetch_one(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(
            sqlite_url("sqlite://herald.db"),
            "sqlite://herald.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(sqlite_url("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
    }
}
