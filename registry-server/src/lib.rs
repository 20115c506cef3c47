//! Herald's schema registry server: the Confluent Schema Registry REST API on axum, stored with sqlx in SQLite
//! (embedded default) or PostgreSQL (any number of replicas on one database).
//!
//! Start it with [`run`] on a bound listener, a [`Config`] and a shutdown future; the `herald serve` command and
//! the tests do exactly that:
//!
//! ```no_run
//! # async fn demo() -> Result<(), herald_registry_server::Error> {
//! let config = herald_registry_server::Config::load(None)?;
//! let listener = tokio::net::TcpListener::bind(&config.listen).await?;
//! herald_registry_server::run(listener, config, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```
//!
//! Storage: one SQL model (`migrations/0001_init.sql`, run at start) for both databases, through sqlx's `Any`
//! driver. Writes are single transactions serialised per database (SQLite: `BEGIN IMMEDIATE` plus an in-process
//! mutex; PostgreSQL: a transaction-scoped advisory lock), so concurrent writers, in one process or in many
//! processes sharing a PostgreSQL database, never produce duplicate ids or lost versions. Schemas by id are
//! immutable and cached per process.
//!
//! Known differences from Confluent Schema Registry 8.x (see `shared/research/registry-api.md`):
//! * Protobuf schemas are validated with Herald's `.proto` front end (imports resolved through the references) and
//!   stored in Confluent's canonical print (`herald_schema::proto::print`; base64 descriptors converted to it,
//!   see that module for where the text deliberately differs from Confluent's). Lookups and idempotent
//!   registrations also match a version with the same normalized print, which Confluent does not do (there a
//!   schema sent as a descriptor and as `.proto` text are two schemas). Compatibility uses `herald-compat`'s
//!   `CONFLUENT` rules. JSON Schema subjects are stored compacted and compatibility checks of them are refused
//!   with 422/42201 (no verdict is guessed), as no JSON Schema engine exists yet.
//! * Avro schemas with references are stored as the request's JSON, compacted (key order kept), not re-printed.
//! * Not implemented, deliberately: `/dek-registry` (client-side field encryption keys), `/exporters` (Confluent
//!   Platform schema linking), associations and `POST /subjects/{s}/versions/{v}/tags` (the data-catalog
//!   families): none is used by the serializers, and each is a subsystem of its own (ARCHITECTURE.md says why).
//!   Also not done: hard-deleting soft-deleted leftovers when switching to IMPORT.
//! * Implemented as Confluent describes them: subject aliases (config `alias`, resolved like `AliasFilter`),
//!   `validateFields` (reserved-field checks from `confluent:reserved`), `DELETE /mode?recursive`,
//!   `format=resolved` (Avro) and `referenceFormat=qualified`.
//! * The id cache is per process; on PostgreSQL a hard delete notifies every replica at commit
//!   (`LISTEN`/`NOTIFY`), which then drops the id, so another replica may answer a hard-deleted id only for the
//!   moment the notification takes to arrive.
//!
//! Module map: [`config`] (settings), `api` (routes), `http` (media types, rewriting, error bodies), `registry`
//! (Confluent's semantics), `store` (SQL and migrations), `schema_types` (parsing, canonical forms and
//! compatibility via `herald-schema`/`herald-compat`), `subject` (contexts), `metrics`, `openapi`.

mod api;
pub mod config;
mod error;
mod http;
mod metrics;
mod openapi;
mod registry;
mod schema_types;
mod store;
mod subject;

use std::future::Future;
use std::sync::Arc;

use axum::ServiceExt;
use axum::extract::{DefaultBodyLimit, Request};
use tower::Layer as _;

pub use config::Config;
pub use error::{ApiError, Error};

/// Resolves on SIGINT (Ctrl-C) or SIGTERM: the shutdown future `herald serve` passes to [`run`].
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received");
}

/// Connects to the database, runs the migrations and serves the API on `listener` until `shutdown` resolves;
/// in-flight requests are finished before it returns.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let store = store::Store::connect(&config.database_url, config.max_connections).await?;
    let limit = config.max_body_bytes;
    let registry = Arc::new(registry::Registry::new(store, config));
    // Replicas on one PostgreSQL database learn of each other's hard deletes (their id caches drop the ids).
    let follower = (registry.store.backend() == store::Backend::Postgres)
        .then(|| tokio::spawn(registry.clone().follow_evictions()));
    let router = api::router(registry.clone()).layer(DefaultBodyLimit::max(limit));
    let router =
        axum::middleware::from_fn_with_state(registry.clone(), http::aliases).layer(router);
    let app = axum::middleware::from_fn(http::rewrite).layer(router);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "herald registry listening");
    }
    axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
        .with_graceful_shutdown(shutdown)
        .await?;
    if let Some(task) = follower {
        task.abort();
    }
    registry.store.close().await;
    Ok(())
}
