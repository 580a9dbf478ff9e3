//! Passwords: Argon2id PHC strings, hashed and verified on the blocking pool, at most
//! `concurrency` at once, each computation reusing one of `concurrency` preallocated work areas.
//!
//! Reusing the work areas matters: a fresh 19 MiB allocation per hash costs page faults, and
//! glibc keeps the freed blocks per thread arena, so a login storm grew the process to ~270 MB
//! (`bench/`). Now memory for hashing is bounded by `concurrency` x `memory_kib`.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::config::HashCost;
use crate::error::{AppError, AppResult};

#[derive(Clone)]
pub struct Passwords(Arc<Inner>);

struct Inner {
    params: Params,
    permits: Arc<Semaphore>,
    /// Work areas, one per permit at most (allocated on first use, then reused).
    areas: Mutex<Vec<Vec<Block>>>,
    /// A hash of a random password with our own cost: verified when the user does not exist, so
    /// an unknown user costs the same as a wrong password.
    dummy: String,
}

impl Passwords {
    pub async fn new(cost: HashCost, concurrency: usize) -> AppResult<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(AppError::internal)?;
        let inner = Inner {
            params,
            permits: Arc::new(Semaphore::new(concurrency)),
            areas: Mutex::new(Vec::with_capacity(concurrency)),
            dummy: String::new(),
        };
        let (mut inner, dummy) = tokio::task::spawn_blocking(move || {
            let dummy = inner.hash(Uuid::new_v4().as_bytes());
            (inner, dummy)
        })
        .await
        .map_err(AppError::internal)?;
        inner.dummy = dummy?;
        Ok(Self(Arc::new(inner)))
    }

    /// A PHC string with a fresh random salt.
    pub async fn hash(&self, password: String) -> AppResult<String> {
        self.blocking(move |inner| inner.hash(password.as_bytes()))
            .await
    }

    /// True when `password` matches `stored`; with no stored hash, burns the same time and fails.
    pub async fn verify(&self, password: String, stored: Option<String>) -> AppResult<bool> {
        let exists = stored.is_some();
        let matched = self
            .blocking(move |inner| {
                let stored = stored.as_deref().unwrap_or(&inner.dummy);
                inner.verify(password.as_bytes(), stored)
            })
            .await?;
        Ok(exists && matched)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let permits = self.0.permits.clone();
        let permit = permits.acquire_owned().await.map_err(AppError::internal)?;
        let inner = self.0.clone();
        // The permit moves into the blocking task: a cancelled request cannot free its slot
        // while its hash is still running.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&inner)
        })
        .await
        .map_err(AppError::internal)?
    }
}

impl Inner {
    fn hash(&self, password: &[u8]) -> AppResult<String> {
        let salt = SaltString::generate(&mut OsRng);
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone());
        let output = self.compute(&argon, password, salt.as_salt(), Params::DEFAULT_OUTPUT_LEN)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(AppError::internal)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    /// Recomputes with the algorithm, version, cost and salt of `stored` and compares in
    /// constant time (`Output`'s equality).
    fn verify(&self, password: &[u8], stored: &str) -> AppResult<bool> {
        let hash = PasswordHash::new(stored).map_err(AppError::internal)?;
        let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(hash.algorithm).map_err(AppError::internal)?;
        let version = hash
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(AppError::internal)?;
        let params = Params::try_from(&hash).map_err(AppError::internal)?;
        let argon = Argon2::new(algorithm, version.unwrap_or_default(), params);
        let computed = self.compute(&argon, password, salt, expected.len())?;
        Ok(computed == expected)
    }

    /// Runs Argon2 in a reused work area (grown if a stored hash asks for more memory).
    fn compute(
        &self,
        argon: &Argon2<'_>,
        password: &[u8],
        salt: argon2::password_hash::Salt<'_>,
        output_len: usize,
    ) -> AppResult<Output> {
        let mut salt_bytes = [0u8; 64];
        let salt = salt
            .decode_b64(&mut salt_bytes)
            .map_err(AppError::internal)?;
        let blocks = argon.params().block_count();
        let mut area = self.take_area();
        if area.len() < blocks {
            area.resize(blocks, Block::default());
        }
        let output = Output::init_with(output_len, |out| {
            argon
                .hash_password_into_with_memory(password, salt, out, &mut area[..blocks])
                .map_err(Into::into)
        });
        self.return_area(area);
        output.map_err(AppError::internal)
    }

    fn take_area(&self) -> Vec<Block> {
        self.areas
            .lock()
            .ok()
            .and_then(|mut a| a.pop())
            .unwrap_or_default()
    }

    fn return_area(&self, area: Vec<Block>) {
        if let Ok(mut areas) = self.areas.lock() {
            areas.push(area);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    const CHEAP: HashCost = HashCost {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[tokio::test]
    async fn passwords_verify_only_with_the_right_password() {
        let p = Passwords::new(CHEAP, 2).await.unwrap();
        let hash = p.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(p
            .verify("correct horse".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!p.verify("wrong horse".into(), Some(hash)).await.unwrap());
        assert!(!p.verify("correct horse".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own_hashing() {
        let p = Passwords::new(CHEAP, 1).await.unwrap();
        let ours = p.hash("pässwörd".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password("pässwörd".as_bytes(), &parsed)
            .is_ok());
        // A hash made elsewhere, with another cost, verifies here (and grows the work area).
        let params = Params::new(256, 2, 1, None).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"other", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(p
            .verify("other".into(), Some(theirs.clone()))
            .await
            .unwrap());
        assert!(!p.verify("others".into(), Some(theirs)).await.unwrap());
    }
}
