//! The one-time setup token that lets the first admin be created from the
//! admin UI: printed in the startup log while no admin exists, valid one hour,
//! single use. Only its hash is kept, in memory.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

const VALID_FOR: Duration = Duration::from_secs(3600);

#[derive(Default)]
pub struct SetupSlot(Mutex<Option<(String, Instant)>>);

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl SetupSlot {
    /// Makes a fresh token (replacing any earlier one) and returns it.
    pub fn issue(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((digest(&token), Instant::now() + VALID_FOR));
        }
        token
    }

    /// True when `token` is the live one.
    pub fn check(&self, token: &str) -> bool {
        let Ok(slot) = self.0.lock() else {
            return false;
        };
        match slot.as_ref() {
            Some((hash, until)) => {
                Instant::now() < *until
                    && super::principal::constant_time_eq(hash.as_bytes(), digest(token).as_bytes())
            }
            None => false,
        }
    }

    /// Uses the token up.
    pub fn consume(&self) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_use() {
        let s = SetupSlot::default();
        let t = s.issue();
        assert!(s.check(&t));
        assert!(!s.check("other"));
        s.consume();
        assert!(!s.check(&t));
    }
}
