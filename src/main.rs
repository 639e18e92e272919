//! The `folio` command line: parsing only; the work is in `folio::cli`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use folio::cli::{self, CliError};
use folio::config::Source;

/// Folio: a complete users-and-posts backend in one binary and one SQLite file.
///
/// With no subcommand, `folio` serves (same as `folio serve`). Configuration
/// is layered: built-in defaults < config.toml < FOLIO_* environment variables
/// (e.g. FOLIO_SERVER__PORT=9000, FOLIO_DATA_DIR=/var/lib/folio).
#[derive(Parser)]
#[command(name = "folio", version, about, long_about)]
struct Cli {
    /// Configuration file (default: ./config.toml when it exists).
    #[arg(long, short, global = true, env = "FOLIO_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API, GraphQL and the admin UI (the default).
    ///
    /// Listens on server.address:server.port (127.0.0.1:8000 by default),
    /// creates the data directory and database when missing, applies pending
    /// migrations, and stops gracefully on SIGTERM or Ctrl-C.
    Serve,
    /// Apply pending database migrations, or show their state.
    Migrate {
        /// Only list every migration as applied or pending; change nothing.
        #[arg(long)]
        status: bool,
    },
    /// Print the effective configuration as TOML, every secret masked.
    Config,
    /// Exit 0 when the server's /health answers 200 (for container health checks).
    Healthcheck {
        /// URL to check (default: http://<server.address>:<server.port>/health).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
}

fn run(cli: Cli) -> Result<(), CliError> {
    let source = match cli.config {
        Some(path) => Source::File(path),
        None => Source::Default,
    };
    let config = cli::load_config(&source)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => cli::serve(config),
        Command::Migrate { status } => cli::migrate(&config, status),
        Command::Config => {
            cli::print_config(&config);
            Ok(())
        }
        Command::Healthcheck { url } => cli::healthcheck(&config, url.as_deref()),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("folio: error: {e}");
            ExitCode::FAILURE
        }
    }
}
