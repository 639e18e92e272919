//! Passwords: strength rules, and argon2id hashing off the async workers.
//!
//! Hash and verify run on a small pool of dedicated threads
//! (`auth.hash_concurrency` of them, one per core by default, at a lower OS
//! priority), so a login flood queues up and takes idle CPU rather than
//! starving request handling, and only those few threads ever hold argon2's
//! work areas. Unknown accounts are verified against a dummy hash so a login
//! takes the same time whether or not the account exists.

use std::collections::HashSet;
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::oneshot;

use crate::config::AuthConfig;
use crate::error::{ApiError, ApiResult, FieldError};

static COMMON_TEXT: &str = include_str!("common_passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_TEXT.lines().map(str::trim).collect())
}

/// The contract's rules: 8..128 chars, a lower-case letter, an upper-case
/// letter and a digit, and not one of the 10,000 most common passwords.
pub fn check_strength(password: &str, field: &str) -> Result<(), FieldError> {
    let len = password.chars().count();
    let fail = |m: &str| Err(FieldError::new(field, m));
    if !(8..=128).contains(&len) {
        return fail("must be 8 to 128 characters long");
    }
    if !password.chars().any(|c| c.is_lowercase())
        || !password.chars().any(|c| c.is_uppercase())
        || !password.chars().any(|c| c.is_ascii_digit())
    {
        return fail("must contain a lower-case letter, an upper-case letter and a digit");
    }
    if common_passwords().contains(password.to_lowercase().as_str()) {
        return fail("is too common; choose another");
    }
    Ok(())
}

type HashJob = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct Hasher {
    params: Params,
    jobs: Arc<Mutex<mpsc::Sender<HashJob>>>,
    /// Made on a hashing thread when the pool starts (an argon2 hash takes
    /// tens of milliseconds: not on the startup path).
    dummy: Arc<OnceLock<String>>,
}

/// How much the hashing threads' OS priority is lowered (a nice value).
/// Linux's scheduler weighs a nice-10 thread about a tenth of a nice-0 one:
/// alone, hashes get whole cores; next to request handling, they mostly wait.
const HASH_NICENESS: i32 = 10;

/// Starts `n` hashing threads sharing one queue.
fn start_pool(n: usize) -> ApiResult<mpsc::Sender<HashJob>> {
    let (tx, rx) = mpsc::channel::<HashJob>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..n.max(1) {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("folio-hash-{i}"))
            .spawn(move || {
                if let Err(e) = folio_sys::priority::set_current_thread_niceness(HASH_NICENESS) {
                    tracing::debug!(error = %e, "could not lower the hashing thread's priority");
                }
                loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            })
            .map_err(ApiError::internal)?;
    }
    Ok(tx)
}

impl Hasher {
    pub fn new(cfg: &AuthConfig) -> ApiResult<Hasher> {
        let params = Params::new(
            cfg.argon2_memory_kib,
            cfg.argon2_iterations,
            cfg.argon2_parallelism,
            None,
        )
        .map_err(|e| ApiError::internal(format!("argon2 parameters: {e}")))?;
        let hasher = Hasher {
            params,
            jobs: Arc::new(Mutex::new(start_pool(cfg.hash_concurrency())?)),
            dummy: Arc::new(OnceLock::new()),
        };
        // The first job of the pool: nobody waits for it unless an unknown
        // account logs in within the first few milliseconds.
        let (dummy, params) = (hasher.dummy.clone(), hasher.params.clone());
        hasher.submit(Box::new(move || {
            dummy.get_or_init(|| dummy_hash(&params));
        }))?;
        Ok(hasher)
    }

    pub async fn hash(&self, password: String) -> ApiResult<String> {
        let params = self.params.clone();
        self.blocking(move || hash_with(&params, &password)).await
    }

    /// Verifies `password` against `hash`, or against the dummy hash when
    /// there is no account, so both take the same time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> ApiResult<bool> {
        let real = hash.is_some();
        let (dummy, params) = (self.dummy.clone(), self.params.clone());
        let ok = self
            .blocking(move || {
                let hash = match &hash {
                    Some(h) => h.as_str(),
                    None => dummy.get_or_init(|| dummy_hash(&params)).as_str(),
                };
                Ok(verify_with(&password, hash))
            })
            .await?;
        Ok(ok && real)
    }

    /// True when `hash` was made with other parameters than the configured.
    pub fn needs_rehash(&self, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm.as_str() != "argon2id"
            || params.m_cost() != self.params.m_cost()
            || params.t_cost() != self.params.t_cost()
            || params.p_cost() != self.params.p_cost()
    }

    /// Blocking variant for CLI commands.
    pub fn hash_blocking(&self, password: &str) -> ApiResult<String> {
        hash_with(&self.params, password)
    }

    /// Queues a job for the hashing threads.
    fn submit(&self, job: HashJob) -> ApiResult<()> {
        self.jobs
            .lock()
            .map_err(|_| ApiError::internal("hashing queue lock poisoned"))?
            .send(job)
            .map_err(|_| ApiError::internal("the hashing threads stopped"))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let (reply, answer) = oneshot::channel();
        let span = tracing::Span::current();
        self.submit(Box::new(move || {
            let _ = reply.send(span.in_scope(f));
        }))?;
        answer
            .await
            .map_err(|_| ApiError::internal("a hashing job was dropped"))?
    }
}

fn argon(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

/// The hash unknown accounts are verified against. Hashing only fails on
/// parameters `Params::new` already refused; an empty string then still
/// answers "no" (without the equal timing).
fn dummy_hash(params: &Params) -> String {
    hash_with(params, "dummy password for timing equality").unwrap_or_default()
}

fn hash_with(params: &Params, password: &str) -> ApiResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon(params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("hashing failed: {e}")))
}

/// Verifies with the parameters stored in the hash itself, reusing the
/// thread's argon2 work area: allocating 19 MiB per login costs page faults
/// each time (the allocator maps and unmaps blocks that large).
fn verify_with(password: &str, hash: &str) -> bool {
    thread_local!(static WORK: std::cell::RefCell<Vec<argon2::Block>> = const {
        std::cell::RefCell::new(Vec::new())
    });
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let blocks = params.block_count();
    let mut out = vec![0u8; expected.len()];
    let computed = WORK.with(|work| {
        let Ok(mut work) = work.try_borrow_mut() else {
            return false;
        };
        if work.len() < blocks {
            work.resize(blocks, argon2::Block::default());
        }
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                &mut work[..blocks],
            )
            .is_ok()
    });
    // Output's equality is constant-time.
    computed && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rules() {
        assert!(check_strength("Tr0ub4dor&3x", "password").is_ok());
        assert!(check_strength("Short1A", "password").is_err());
        assert!(check_strength("alllowercase1", "password").is_err());
        assert!(check_strength("NoDigitsHere", "password").is_err());
        assert!(check_strength("Password1", "password").is_err(), "common");
        assert!(check_strength(&format!("Aa1{}", "x".repeat(126)), "password").is_err());
        assert!(common_passwords().len() >= 1000);
    }

    #[tokio::test]
    async fn hash_verify_rehash() {
        let cfg = AuthConfig {
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            ..AuthConfig::default()
        };
        let h = Hasher::new(&cfg).unwrap();
        let hash = h.hash("Secret123x".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        assert!(h
            .verify("Secret123x".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!h.verify("wrong".into(), Some(hash.clone())).await.unwrap());
        assert!(!h
            .verify("dummy password for timing equality".into(), None)
            .await
            .unwrap());
        assert!(!h.needs_rehash(&hash));
        let stronger = Hasher::new(&AuthConfig {
            argon2_memory_kib: 2048,
            argon2_iterations: 1,
            ..AuthConfig::default()
        })
        .unwrap();
        assert!(stronger.needs_rehash(&hash));
        // The reused work area: a larger hash after a smaller one on the same
        // thread, then the smaller again; other algorithms and garbage.
        let big = stronger.hash_blocking("Secret123x").unwrap();
        for (candidate, want) in [(&big, true), (&hash, true)] {
            assert_eq!(verify_with("Secret123x", candidate), want);
            assert!(!verify_with("Secret123y", candidate));
        }
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"Secret123x", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(verify_with("Secret123x", &argon2i));
        assert!(!verify_with(
            "Secret123x",
            "$argon2id$v=19$m=1024,t=1,p=1$bad"
        ));
        assert!(!verify_with("Secret123x", "not a hash"));
    }
}
