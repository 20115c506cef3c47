//! `herald serve`: runs the schema registry (the Confluent REST API) until SIGINT or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use herald_registry_server::Config;

pub const EXAMPLES: &str = "Examples:
  herald serve                                   # 127.0.0.1:8081, SQLite file ./herald.db
  herald serve --listen 0.0.0.0:8081 --database-url postgres://registry@db/registry
  HERALD_DATABASE_URL=sqlite:///var/lib/herald/registry.db herald serve --config herald.toml

Settings come from the defaults, then the config file, then HERALD_* environment variables
(HERALD_LISTEN, HERALD_DATABASE_URL, HERALD_MAX_BODY_BYTES, HERALD_MAX_CONNECTIONS,
HERALD_DEFAULT_COMPATIBILITY, HERALD_CLUSTER_ID), then these flags.";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8081, or HERALD_LISTEN].
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,

    /// sqlite://FILE (created on first start) or postgres://... [default: sqlite://herald.db, or HERALD_DATABASE_URL].
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,

    /// A TOML file with any of: listen, database_url, max_body_bytes, max_connections, default_compatibility,
    /// cluster_id.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(args.config.as_deref()).context("invalid configuration")?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(url) = args.database_url {
        config.database_url = url;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr().context("no local address")?;
        eprintln!(
            "herald registry listening on http://{addr} (database {})",
            config.database_url
        );
        herald_registry_server::run(listener, config, shutdown_signal())
            .await
            .context("the registry stopped with an error")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
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
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
