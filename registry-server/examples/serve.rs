//! Runs the registry the way `herald serve` does, for local experiments before the CLI is wired:
//! `cargo run -p herald-registry-server --example serve [config.toml]` (settings also from `HERALD_*`).

#[tokio::main]
async fn main() -> Result<(), herald_registry_server::Error> {
    let file = std::env::args().nth(1).map(std::path::PathBuf::from);
    let config = herald_registry_server::Config::load(file.as_deref())?;
    let listener = tokio::net::TcpListener::bind(&config.listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    herald_registry_server::run(listener, config, herald_registry_server::shutdown_signal()).await
}
