//! Access tokens: HS256/384/512 JWTs with explicit, strict validation
//! (RFC 8725): algorithm pinned, `exp`/`nbf`/`iat`/`iss`/`aud`/`sub` required,
//! small leeway. Header fields such as `jku`, `x5u` or `jwk` are never used.

use std::path::Path;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{ApiError, ApiResult, AuthFailure};

pub const SECRET_FILE: &str = "jwt_secret";

/// How many verified access tokens are remembered (about 0.5 KiB each).
const VERIFIED_TOKENS: u64 = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
    /// The user's token version when issued; a bump revokes the token.
    pub ver: i64,
}

pub struct JwtKeys {
    /// Tokens that passed every check, by their whole text (signature
    /// included, so only the exact token ever matches), with their claims.
    /// A repeat of a token — every request of a session — then costs a map
    /// lookup and the expiry check instead of base64, HMAC and two JSON
    /// parses. Revocation is not decided here (see `principal`).
    verified: moka::sync::Cache<String, Claims>,
    leeway: i64,
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: i64,
}

/// Reads `<data_dir>/jwt_secret`, creating it (64 random bytes, hex, mode
/// 0600) on first start.
pub fn load_or_create_secret(data_dir: &Path) -> ApiResult<Vec<u8>> {
    let path = data_dir.join(SECRET_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let bytes = hex::decode(text.trim())
            .map_err(|e| ApiError::internal(format!("{} is not hex: {e}", path.display())))?;
        if bytes.len() < 32 {
            return Err(ApiError::internal(format!(
                "{} holds fewer than 32 bytes",
                path.display()
            )));
        }
        return Ok(bytes);
    }
    let mut bytes = vec![0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    crate::db::create_private_dir(data_dir).map_err(ApiError::internal)?;
    crate::db::create_private_file(&path).map_err(ApiError::internal)?;
    std::fs::write(&path, hex::encode(&bytes)).map_err(ApiError::internal)?;
    tracing::info!(path = %path.display(), "generated a new access-token secret");
    Ok(bytes)
}

impl JwtKeys {
    pub fn from_config(config: &Config) -> ApiResult<JwtKeys> {
        let secret = if config.auth.jwt_secret.is_empty() {
            load_or_create_secret(&config.data_dir)?
        } else {
            config.auth.jwt_secret.expose().as_bytes().to_vec()
        };
        let algorithm = match config.auth.jwt_algorithm.as_str() {
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            _ => Algorithm::HS256,
        };
        Ok(Self::new(
            &secret,
            algorithm,
            &config.auth.issuer,
            &config.auth.audience,
            config.auth.access_token_ttl_seconds as i64,
            config.auth.leeway_seconds,
        ))
    }

    pub fn new(
        secret: &[u8],
        algorithm: Algorithm,
        issuer: &str,
        audience: &str,
        ttl: i64,
        leeway: u64,
    ) -> JwtKeys {
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = leeway;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.reject_tokens_expiring_in_less_than = 0;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        JwtKeys {
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_TOKENS)
                .time_to_live(std::time::Duration::from_secs(
                    u64::try_from(ttl).unwrap_or(0).max(1),
                ))
                .build(),
            leeway: i64::try_from(leeway).unwrap_or(i64::MAX / 2),
            algorithm,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            ttl,
        }
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl
    }

    /// Issues an access token; returns it with its lifetime in seconds.
    pub fn issue(&self, user_id: &str, token_version: i64) -> ApiResult<(String, i64)> {
        let now = crate::clock::unix_seconds();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            nbf: now,
            exp: now + self.ttl,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: uuid::Uuid::new_v4().to_string(),
            ver: token_version,
        };
        let token = encode(&Header::new(self.algorithm), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("signing a token failed: {e}")))?;
        Ok((token, self.ttl))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AuthFailure> {
        self.verify_at(token, crate::clock::unix_seconds())
    }

    /// `verify` as of `now` (Unix seconds) for tokens already verified once;
    /// a new token is checked by `jsonwebtoken` against the real clock.
    fn verify_at(&self, token: &str, now: i64) -> Result<Claims, AuthFailure> {
        if let Some(claims) = self.verified.get(token) {
            // The same test as jsonwebtoken's: expired once exp < now - leeway.
            if claims.exp < now.saturating_sub(self.leeway) {
                self.verified.invalidate(token);
                return Err(AuthFailure::TokenExpired);
            }
            return Ok(claims);
        }
        match decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => {
                self.verified.insert(token.to_string(), data.claims.clone());
                Ok(data.claims)
            }
            Err(e) => match e.kind() {
                ErrorKind::ExpiredSignature => Err(AuthFailure::TokenExpired),
                _ => Err(AuthFailure::InvalidToken),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(&[7u8; 32], Algorithm::HS256, "folio", "folio", 900, 2)
    }

    #[test]
    fn round_trip_and_rejections() {
        let k = keys();
        let (token, ttl) = k.issue("u1", 3).unwrap();
        assert_eq!(ttl, 900);
        let claims = k.verify(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.ver), ("u1", 3));
        let other = JwtKeys::new(&[8u8; 32], Algorithm::HS256, "folio", "folio", 900, 2);
        assert_eq!(other.verify(&token), Err(AuthFailure::InvalidToken));
        let wrong_aud = JwtKeys::new(&[7u8; 32], Algorithm::HS256, "folio", "other", 900, 2);
        assert_eq!(wrong_aud.verify(&token), Err(AuthFailure::InvalidToken));
        let expired = JwtKeys::new(&[7u8; 32], Algorithm::HS256, "folio", "folio", -60, 2);
        let (old, _) = expired.issue("u1", 0).unwrap();
        assert_eq!(k.verify(&old), Err(AuthFailure::TokenExpired));
    }

    #[test]
    fn a_remembered_token_still_expires_and_a_tampered_one_never_matches() {
        let k = keys();
        let (token, _) = k.issue("u1", 3).unwrap();
        let first = k.verify(&token).unwrap();
        // The second answer comes from the remembered claims.
        assert_eq!(k.verify(&token).unwrap(), first);
        assert_eq!(k.verified.get(&token), Some(first.clone()));
        // Past exp + leeway it is expired, remembered or not.
        assert_eq!(k.verify_at(&token, first.exp + 2), Ok(first.clone()));
        assert_eq!(
            k.verify_at(&token, first.exp + 3),
            Err(AuthFailure::TokenExpired)
        );
        assert_eq!(k.verified.get(&token), None);
        // A token differing in its signature is checked afresh and refused.
        let (token, _) = k.issue("u1", 3).unwrap();
        k.verify(&token).unwrap();
        let mut forged = token.into_bytes();
        let at = forged.len() - 10;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(k.verify(&forged), Err(AuthFailure::InvalidToken));
    }
}
