//! `folio admin ...`: creating, listing and promoting administrators and
//! resetting passwords, from the command line.

use super::offline::{api, offline};
use super::CliError;
use crate::config::Config;

/// Reads one line (the password) from standard input.
pub fn read_password_stdin() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::msg(format!("cannot read the password from stdin: {e}")))?;
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    if pw.is_empty() {
        return Err(CliError::msg(
            "no password on stdin (pipe it in: echo \"$PW\" | folio ...)",
        ));
    }
    Ok(pw)
}

/// `folio admin create`.
pub fn admin_create(
    config: &Config,
    email: &str,
    username: &str,
    password: String,
) -> Result<(), CliError> {
    let (email, username) = (email.to_string(), username.to_string());
    let user = offline(config, |ctx| {
        Box::pin(async move {
            crate::auth::service::create_admin(
                ctx,
                crate::auth::service::NewAccount {
                    email,
                    username,
                    password,
                },
            )
            .await
            .map_err(api)
        })
    })?;
    println!(
        "created admin {} ({}) id {}",
        user.username, user.email, user.id
    );
    Ok(())
}

/// `folio admin list`.
pub fn admin_list(config: &Config) -> Result<(), CliError> {
    let admins = offline(config, |ctx| {
        Box::pin(async move {
            ctx.db
                .read(|c| c.users().admins())
                .await
                .map_err(|e| api(e.into()))
        })
    })?;
    if admins.is_empty() {
        println!("no admins yet (create one with `folio admin create`)");
    }
    for u in admins {
        let state = if u.disabled { " (disabled)" } else { "" };
        println!("{}  {:<30} {}{state}", u.id, u.username, u.email);
    }
    Ok(())
}

/// `folio admin promote USER`.
pub fn admin_promote(config: &Config, user: &str) -> Result<(), CliError> {
    let user = user.to_string();
    let u = offline(config, |ctx| {
        Box::pin(async move {
            crate::users::service::promote(ctx, &user)
                .await
                .map_err(api)
        })
    })?;
    println!("{} ({}) is now an admin", u.username, u.id);
    Ok(())
}

/// `folio admin reset-password USER`: also ends the user's sessions.
pub fn admin_reset_password(config: &Config, user: &str, password: String) -> Result<(), CliError> {
    let user = user.to_string();
    let name = offline(config, |ctx| {
        Box::pin(async move {
            let key = user.clone();
            let found = ctx
                .db
                .read(move |c| c.users().find(&key))
                .await
                .map_err(|e| api(e.into()))?
                .ok_or_else(|| CliError::msg(format!("no user {user}")))?;
            crate::auth::service::reset_password(ctx, &found.id, password)
                .await
                .map_err(api)?;
            Ok(found.username)
        })
    })?;
    println!("password of {name} reset; their sessions were ended");
    Ok(())
}
