//! Start-up only: config -> tracing -> database + migrations -> router -> serve.

use std::process::ExitCode;
use std::time::Duration;

use todo_api::app::{self, StartError};
use todo_api::config::Config;
use todo_api::{graphql, rest, server};

#[tokio::main]
async fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("print-schema") => {
            print!("{}", graphql::sdl());
            return ExitCode::SUCCESS;
        }
        Some("print-openapi") => {
            print!("{}", rest::openapi::json());
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    server::init_tracing();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("todo-api: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), StartError> {
    let config = Config::from_env()?;
    if config.jwt_secret_generated {
        tracing::warn!(
            "JWT_SECRET is not set: using a random secret; tokens will not survive a restart \
             (set JWT_SECRET, at least 32 bytes, for anything but development)"
        );
    }
    let (router, svc) = app::build(&config).await?;
    let maintenance = svc.spawn_maintenance(Duration::from_secs(60));
    let listener = tokio::net::TcpListener::bind(config.bind_addr).await?;
    tracing::info!(
        addr = %listener.local_addr()?,
        database = %config.database_url,
        "todo-api listening: REST at /api/v1 (reference at /docs), GraphQL and playground at /graphql"
    );
    server::serve(listener, router, server::shutdown_signal()).await?;
    maintenance.abort();
    svc.close().await;
    tracing::info!("stopped");
    Ok(())
}
