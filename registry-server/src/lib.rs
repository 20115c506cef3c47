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
    let router = api::router(registry.clone()).layer(DefaultBodyLimit::max(limit));
    let app = axum::middleware::from_fn(http::rewrite).layer(router);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "herald registry listening");
    }
    axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
        .with_graceful_shutdown(shutdown)
        .await?;
    registry.store.close().await;
    Ok(())
}
