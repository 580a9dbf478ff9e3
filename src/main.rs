//! Start-up only: command line -> config -> tracing -> database + migrations -> router -> serve.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use todo_api::app::{self, StartError};
use todo_api::config::{self, Config};
use todo_api::settings::{Cli, Command, Settings};
use todo_api::{graphql, rest, server};

/// mimalloc instead of the system allocator: an answer is built from many small allocations
/// (values, strings, futures) freed together, where glibc's malloc and free took about a fifth
/// of a GraphQL request's CPU time in the profile (`perf`); measured with `scripts/bench.sh` f,
/// mimalloc cut CPU time per request by 15-25%.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before parsing: the `.env` file feeds the same environment variables clap reads.
    if let Err(e) = config::load_dotenv() {
        eprintln!("todo-api: {e}");
        return ExitCode::FAILURE;
    }
    Settings::unset_blank_env();
    // `--help`, `--version` and malformed settings end here, before any port or file is touched.
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::PrintSchema => {
            print!("{}", graphql::sdl());
            ExitCode::SUCCESS
        }
        Command::PrintOpenapi => {
            print!("{}", rest::openapi::json());
            ExitCode::SUCCESS
        }
        Command::CheckConfig => match Config::from_settings(cli.settings) {
            Ok(config) => {
                println!(
                    "configuration is valid: listen on {}, {} database{}",
                    config.bind_addr,
                    config.database_url.split(':').next().unwrap_or("unknown"),
                    if config.jwt_secret_generated {
                        " (JWT_SECRET not set: a random one per start)"
                    } else {
                        ""
                    }
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("todo-api: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Serve => serve(cli),
    }
}

fn serve(cli: Cli) -> ExitCode {
    let config = match Config::from_settings(cli.settings) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("todo-api: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _logs = match server::init_tracing(config.log_format, &config.log_filter) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("todo-api: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("todo-api: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("todo-api: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), StartError> {
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
        database = %config.database_url_redacted(),
        "todo-api listening: REST at /api/v1 (reference at /docs), GraphQL and playground at /graphql"
    );
    server::serve_until(
        listener,
        router,
        server::shutdown_signal(),
        config.shutdown_timeout,
    )
    .await?;
    maintenance.abort();
    svc.close().await;
    tracing::info!("stopped");
    Ok(())
}
