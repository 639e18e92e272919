//! The `folio` command line: its clap types, the dispatch to each command,
//! and the error they all return.
//!
//! `main.rs` parses the arguments and calls [`run`]; each command group has
//! a file of its own. Every command returns a [`CliError`] that `main`
//! prints as one clear line before exiting 1.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, Source};
use crate::db::migrate::MigrationError;

mod admin;
mod backup;
mod keys;
mod migrate;
mod offline;
mod print;
mod seed;
mod serve;

pub use admin::{
    admin_create, admin_list, admin_promote, admin_reset_password, read_password_stdin,
};
pub use backup::{backup, export, import, restore};
pub use keys::{apikey_create, apikey_list, apikey_revoke};
pub use migrate::migrate;
pub(crate) use offline::api;
pub use print::{graphql_schema, print_config};
pub use seed::{seed, seed_shaped, SeedShape};
pub use serve::{healthcheck, serve};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Lock(#[from] crate::db::lock::LockError),
    #[error(transparent)]
    Build(#[from] crate::app::BuildError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error("{0}")]
    Message(String),
}

impl CliError {
    pub fn msg(m: impl Into<String>) -> Self {
        CliError::Message(m.into())
    }
}

pub fn load_config(source: &Source) -> Result<Config, CliError> {
    Ok(Config::load(source)?)
}

/// Folio: a complete users-and-posts backend in one binary and one SQLite file.
///
/// With no subcommand, `folio` serves (same as `folio serve`). Configuration
/// is layered: built-in defaults < config.toml < FOLIO_* environment variables
/// (e.g. FOLIO_SERVER__PORT=9000, FOLIO_DATA_DIR=/var/lib/folio).
#[derive(Parser)]
#[command(name = "folio", version, about, long_about)]
pub struct Cli {
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
    /// Write the GraphQL schema (SDL) to a file, docs/schema.graphql by default.
    GraphqlSchema {
        /// Where to write it; `-` prints it.
        #[arg(long, default_value = "docs/schema.graphql", value_name = "PATH")]
        out: PathBuf,
    },
    /// Fill the database with demo or benchmark data (no events are recorded).
    Seed {
        /// Authors to create (password: Seed-Password-1).
        #[arg(long, default_value_t = 10)]
        users: u32,
        /// Posts to create.
        #[arg(long, default_value_t = 1000)]
        posts: u64,
        /// Percentage of posts that are published.
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u8).range(0..=100))]
        published_percent: u8,
        /// Draw the words of every post from only the first N words of the
        /// seed vocabulary (at most 40), without the "folio"/"centum" marker
        /// words: the common-word search benchmark.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=40))]
        vocabulary: Option<u32>,
        /// Words of content per post.
        #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(3..=10_000))]
        words: u32,
    },
    /// Write a consistent, verified snapshot of the database (works while the
    /// server runs). Default: <data_dir>/backups/folio-<timestamp>.db.
    Backup {
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Replace the database with a backup (stop the server first). The current
    /// database is kept aside as <name>.before-restore-<timestamp>.
    Restore {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Export users and posts as JSON Lines (users.jsonl, posts.jsonl).
    Export {
        /// Directory to write into (created when missing).
        #[arg(long, default_value = "export", value_name = "DIR")]
        out: PathBuf,
        /// Include password hashes (keep the export as safe as the database).
        #[arg(long)]
        with_secrets: bool,
    },
    /// Load an export (users.jsonl, posts.jsonl) into an empty database.
    Import {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Manage administrators (works while the server runs).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage API keys for service-to-service calls.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin account; the password is read from standard input.
    ///
    /// Example: echo "$ADMIN_PASSWORD" | folio admin create --email a@example.com --username admin --password-stdin
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: String,
        /// Read the password from stdin (required: passwords never go in arguments).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List admin accounts.
    List,
    /// Make an existing user (id, username or email) an admin.
    Promote {
        #[arg(value_name = "USER")]
        user: String,
    },
    /// Set a user's password (read from stdin) and end all their sessions.
    ResetPassword {
        #[arg(value_name = "USER")]
        user: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum ApikeyCommand {
    /// Create a key and print it once.
    Create {
        /// A name to recognise the key by.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes: read, write, admin (write implies read, admin implies both).
        #[arg(long, default_value = "read")]
        scopes: String,
    },
    /// List active keys (prefix, scopes, created, last used).
    List,
    /// Revoke a key by id; it stops working at once.
    Revoke {
        #[arg(value_name = "ID")]
        id: String,
    },
}

/// Runs the command `cli` names (`serve` when it names none).
pub fn run(cli: Cli) -> Result<(), CliError> {
    let source = match cli.config {
        Some(path) => Source::File(path),
        None => Source::Default,
    };
    let config = load_config(&source)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate { status } => migrate(&config, status),
        Command::Config => {
            print_config(&config);
            Ok(())
        }
        Command::Healthcheck { url } => healthcheck(&config, url.as_deref()),
        Command::GraphqlSchema { out } => graphql_schema(&config, &out),
        Command::Seed {
            users,
            posts,
            published_percent,
            vocabulary,
            words,
        } => {
            let shape = SeedShape {
                vocabulary: vocabulary.map(|n| n as usize),
                words: words as usize,
            };
            seed_shaped(&config, users, posts, published_percent, shape)
        }
        Command::Backup { file } => backup(&config, file.as_deref()),
        Command::Restore { file } => restore(&config, &file),
        Command::Export { out, with_secrets } => export(&config, &out, with_secrets),
        Command::Import { dir } => import(&config, &dir),
        Command::Admin(cmd) => match cmd {
            AdminCommand::Create {
                email, username, ..
            } => admin_create(&config, &email, &username, read_password_stdin()?),
            AdminCommand::List => admin_list(&config),
            AdminCommand::Promote { user } => admin_promote(&config, &user),
            AdminCommand::ResetPassword { user, .. } => {
                admin_reset_password(&config, &user, read_password_stdin()?)
            }
        },
        Command::Apikey(cmd) => match cmd {
            ApikeyCommand::Create { name, scopes } => apikey_create(&config, &name, &scopes),
            ApikeyCommand::List => apikey_list(&config),
            ApikeyCommand::Revoke { id } => apikey_revoke(&config, &id),
        },
    }
}
