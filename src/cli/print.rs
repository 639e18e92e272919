//! `folio config` and `folio graphql-schema`: print what this build and
//! configuration serve, without touching the database.

use super::CliError;
use crate::config::Config;

/// `folio config`: the effective configuration, secrets masked.
pub fn print_config(config: &Config) {
    print!("{}", config.to_masked_toml());
}

/// `folio graphql-schema`: the SDL of the running schema.
pub fn graphql_schema(config: &Config, out: &std::path::Path) -> Result<(), CliError> {
    let sdl = crate::graphql::build_schema(&config.graphql).sdl();
    if out.as_os_str() == "-" {
        print!("{sdl}");
        return Ok(());
    }
    std::fs::write(out, &sdl)
        .map_err(|e| CliError::msg(format!("cannot write {}: {e}", out.display())))?;
    println!("wrote {} ({} bytes)", out.display(), sdl.len());
    Ok(())
}
