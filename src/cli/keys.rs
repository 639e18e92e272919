//! `folio apikey ...`: creating, listing and revoking API keys.

use super::offline::{api, offline};
use super::CliError;
use crate::config::Config;

/// `folio apikey create`.
pub fn apikey_create(config: &Config, name: &str, scopes: &str) -> Result<(), CliError> {
    let name = name.to_string();
    let scopes: Vec<String> = scopes.split(',').map(|s| s.trim().to_string()).collect();
    let (row, key) = offline(config, |ctx| {
        Box::pin(async move {
            crate::auth::apikeys::create(ctx, &crate::auth::Principal::System, &name, &scopes)
                .await
                .map_err(api)
        })
    })?;
    println!(
        "created API key {} ({}) scopes {}",
        row.name, row.id, row.scopes
    );
    println!("{key}");
    eprintln!("store it now: the key is shown only once");
    Ok(())
}

/// `folio apikey list`.
pub fn apikey_list(config: &Config) -> Result<(), CliError> {
    let rows = offline(config, |ctx| {
        Box::pin(async move {
            crate::auth::apikeys::list(ctx, &crate::auth::Principal::System)
                .await
                .map_err(api)
        })
    })?;
    if rows.is_empty() {
        println!("no API keys");
    }
    for r in rows {
        println!(
            "{}  {}…  {:<20} {:<16} created {} last used {}",
            r.id,
            r.prefix,
            r.name,
            r.scopes,
            r.created_at,
            r.last_used_at.as_deref().unwrap_or("never")
        );
    }
    Ok(())
}

/// `folio apikey revoke ID`.
pub fn apikey_revoke(config: &Config, id: &str) -> Result<(), CliError> {
    let id = id.to_string();
    offline(config, |ctx| {
        Box::pin(async move {
            crate::auth::apikeys::revoke(ctx, &crate::auth::Principal::System, &id)
                .await
                .map_err(api)
        })
    })?;
    println!("revoked");
    Ok(())
}
