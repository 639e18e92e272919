//! The `folio` binary: the command line, whose types and commands are in
//! `folio::cli`.

use std::process::ExitCode;

use clap::Parser;
use folio::cli::{self, Cli};

/// mimalloc, at its defaults: faster than the system allocator on every target (bench/alloc).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("folio: error: {e}");
            ExitCode::FAILURE
        }
    }
}
