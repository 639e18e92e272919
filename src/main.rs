//! The `folio` command line: parsing only; the work is in `folio::cli`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use folio::cli::{self, CliError};
use folio::config::Source;

/// Rust's allocations go to mimalloc, whose per-thread heaps take no lock:
/// glibc's arenas are shared (see `tune_malloc`), so the async workers and
/// reader threads waited on each other. SQLite still allocates through glibc.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::GraphqlSchema { out } => cli::graphql_schema(&config, &out),
        Command::Seed {
            users,
            posts,
            published_percent,
            vocabulary,
            words,
        } => {
            let shape = cli::SeedShape {
                vocabulary: vocabulary.map(|n| n as usize),
                words: words as usize,
            };
            cli::seed_shaped(&config, users, posts, published_percent, shape)
        }
        Command::Backup { file } => cli::backup(&config, file.as_deref()),
        Command::Restore { file } => cli::restore(&config, &file),
        Command::Export { out, with_secrets } => cli::export(&config, &out, with_secrets),
        Command::Import { dir } => cli::import(&config, &dir),
        Command::Admin(cmd) => match cmd {
            AdminCommand::Create {
                email, username, ..
            } => cli::admin_create(&config, &email, &username, cli::read_password_stdin()?),
            AdminCommand::List => cli::admin_list(&config),
            AdminCommand::Promote { user } => cli::admin_promote(&config, &user),
            AdminCommand::ResetPassword { user, .. } => {
                cli::admin_reset_password(&config, &user, cli::read_password_stdin()?)
            }
        },
        Command::Apikey(cmd) => match cmd {
            ApikeyCommand::Create { name, scopes } => cli::apikey_create(&config, &name, &scopes),
            ApikeyCommand::List => cli::apikey_list(&config),
            ApikeyCommand::Revoke { id } => cli::apikey_revoke(&config, &id),
        },
    }
}

fn main() -> ExitCode {
    tune_mimalloc();
    tune_malloc();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("folio: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Tunes glibc's allocator, which SQLite uses (see `ALLOC`): large blocks
/// are mapped directly, so freeing one returns it to the OS, and few arenas
/// mean few per-thread heaps holding on to freed fragments.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn tune_malloc() {
    // SAFETY: mallopt only changes allocator settings; it runs first thing
    // in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 4);
        // Keep up to 2 MiB free at the top of a heap, so the statement
        // journal's 128 KiB block per write job (`db::STATEMENT_JOURNAL_SPILL`)
        // does not shrink and regrow the heap, with page faults, every time.
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (libmimalloc-sys
/// names only some of the options); a test checks it by its default.
const MI_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// `mi_option_arena_eager_commit`, likewise.
#[cfg(test)]
const MI_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// How long mimalloc keeps a freed page before returning it to the OS (ms).
const PURGE_DELAY_MS: std::os::raw::c_long = 20;

/// Freed pages go back to the OS after [`PURGE_DELAY_MS`], not mimalloc's
/// default second, so RSS follows the live heap; not at once, so the pages of
/// the requests in flight (allocated on a reader thread, freed on an async
/// worker) are reused rather than returned and faulted in again, each return
/// an `madvise` and a TLB shootdown. `MIMALLOC_PURGE_DELAY` in the
/// environment wins.
#[allow(unsafe_code)]
fn tune_mimalloc() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: sets a process-wide option; mimalloc reads it on every purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_PURGE_DELAY, PURGE_DELAY_MS) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option numbers are mimalloc's enum positions: if an update moved
    /// them, these defaults would no longer read back.
    #[test]
    #[allow(unsafe_code)]
    fn mimalloc_options_are_the_ones_meant() {
        // SAFETY: reads process-wide options.
        let (delay, eager) = unsafe {
            (
                libmimalloc_sys::mi_option_get(MI_PURGE_DELAY),
                libmimalloc_sys::mi_option_get(MI_ARENA_EAGER_COMMIT),
            )
        };
        assert_eq!(delay, 1000, "mimalloc's default purge delay (ms)");
        // 2 (commit arenas up front on Linux) unless `.cargo/config.toml`'s
        // CFLAGS reached mimalloc's build.
        assert_eq!(eager, 0, "arenas are committed on demand");
        // Here, not in a test of its own: tests run in parallel, and the
        // default above must be read before this changes it.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            tune_mimalloc();
            // SAFETY: reads a process-wide option.
            let tuned = unsafe { libmimalloc_sys::mi_option_get(MI_PURGE_DELAY) };
            assert_eq!(tuned, PURGE_DELAY_MS, "Folio's purge delay took effect");
        }
    }
}
