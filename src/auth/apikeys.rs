//! API keys: `folio_` + 43 base62 characters (256 random bits), shown once,
//! stored as a SHA-256 hash and looked up by a stored prefix.

use rand::Rng;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::principal::Principal;
use super::repo::ApiKeyRow;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, FieldError, Problems};

pub const KEY_PREFIX: &str = "folio_";
const RANDOM_CHARS: usize = 43;
const PREFIX_CHARS: usize = 8;
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Scopes, normalised: `admin` implies `write` implies `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Scopes {
    pub read: bool,
    pub write: bool,
    pub admin: bool,
}

impl Scopes {
    pub fn new(read: bool, write: bool, admin: bool) -> Scopes {
        let write = write || admin;
        Scopes {
            read: read || write,
            write,
            admin,
        }
    }

    pub fn parse(list: &[String]) -> Result<Scopes, FieldError> {
        if list.is_empty() {
            return Err(FieldError::new("scopes", "must name at least one scope"));
        }
        let mut s = (false, false, false);
        for item in list {
            match item.trim() {
                "read" => s.0 = true,
                "write" => s.1 = true,
                "admin" => s.2 = true,
                other => {
                    return Err(FieldError::new(
                        "scopes",
                        format!("unknown scope \"{other}\" (use read, write, admin)"),
                    ))
                }
            }
        }
        Ok(Scopes::new(s.0, s.1, s.2))
    }

    pub fn parse_stored(text: &str) -> Scopes {
        let list: Vec<String> = text.split(',').map(str::to_string).collect();
        Scopes::parse(&list).unwrap_or_default()
    }

    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.read {
            v.push("read");
        }
        if self.write {
            v.push("write");
        }
        if self.admin {
            v.push("admin");
        }
        v
    }
}

/// The stored lookup prefix of a presented key, when it has our shape.
pub fn prefix_of(key: &str) -> Option<String> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    (rest.len() == RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| key[..KEY_PREFIX.len() + PREFIX_CHARS].to_string())
}

fn generate() -> String {
    let mut rng = rand::rngs::OsRng;
    let random: String = (0..RANDOM_CHARS)
        .map(|_| BASE62[rng.gen_range(0..BASE62.len())] as char)
        .collect();
    format!("{KEY_PREFIX}{random}")
}

pub fn to_json(row: &ApiKeyRow) -> Value {
    json!({
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "scopes": Scopes::parse_stored(&row.scopes).names(),
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
    })
}

/// Creates a key; returns its row and the key itself (shown once).
pub async fn create(
    ctx: &Ctx,
    who: &Principal,
    name: &str,
    scopes: &[String],
) -> ApiResult<(ApiKeyRow, String)> {
    if !who.is_admin() {
        return Err(ApiError::forbidden());
    }
    let mut problems = Problems::new();
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push(FieldError::new("name", "must be 1 to 100 characters"));
    }
    let scopes = problems.check(Scopes::parse(scopes));
    let scopes = problems.into_value(scopes)?;
    let key = generate();
    let row = ApiKeyRow {
        id: crate::ids::new_uuid(),
        name,
        prefix: key[..KEY_PREFIX.len() + PREFIX_CHARS].to_string(),
        key_hash: hex::encode(Sha256::digest(key.as_bytes())),
        scopes: scopes.names().join(","),
        created_at: String::new(),
        last_used_at: None,
    };
    let row = ctx.db.write(move |c| c.auth().insert_api_key(&row)).await?;
    tracing::info!(api_key_id = %row.id, prefix = %row.prefix, "API key created");
    Ok((row, key))
}

pub async fn list(ctx: &Ctx, who: &Principal) -> ApiResult<Vec<ApiKeyRow>> {
    if !who.is_admin() {
        return Err(ApiError::forbidden());
    }
    Ok(ctx.db.read(|c| c.auth().active_api_keys()).await?)
}

pub async fn revoke(ctx: &Ctx, who: &Principal, id: &str) -> ApiResult<()> {
    if !who.is_admin() {
        return Err(ApiError::forbidden());
    }
    let id = id.to_string();
    let prefix = ctx
        .db
        .write(move |c| c.auth().revoke_api_key(&id))
        .await?
        .ok_or_else(|| ApiError::not_found("API key"))?;
    ctx.caches.api_keys.invalidate(&prefix);
    tracing::info!(prefix = %prefix, "API key revoked");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_shape_and_prefix() {
        let k = generate();
        assert_eq!(k.len(), KEY_PREFIX.len() + RANDOM_CHARS);
        assert_eq!(prefix_of(&k).unwrap(), &k[..14]);
        assert!(prefix_of("folio_short").is_none());
        assert_ne!(generate(), generate());
    }

    #[test]
    fn scopes_imply() {
        let s = Scopes::parse(&["admin".into()]).unwrap();
        assert_eq!(s.names(), vec!["read", "write", "admin"]);
        assert_eq!(
            Scopes::parse(&["write".into()]).unwrap().names(),
            vec!["read", "write"]
        );
        assert!(Scopes::parse(&["root".into()]).is_err());
        assert!(Scopes::parse(&[]).is_err());
        assert_eq!(
            Scopes::parse_stored("read,write"),
            Scopes::new(true, true, false)
        );
    }
}
