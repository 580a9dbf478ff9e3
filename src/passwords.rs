//! Passwords: Argon2id PHC strings, hashed and verified on `concurrency` dedicated threads that
//! run below normal CPU priority, each reusing one preallocated work area.
//!
//! Why (measured in `bench/`): hashing on tokio's blocking pool allocated 19 MiB per hash, and
//! glibc kept the freed blocks per thread arena, so a login storm grew the process to ~270 MB;
//! and at normal priority a storm's hashes took the CPU from every other request (on one core,
//! the p99 of a plain GET went from 1.3 ms to 8 ms). Now hashing memory is `concurrency` x
//! `memory_kib`, and hashes use the CPU that requests leave over (at nice ~9 they still get about
//! a tenth of a busy core, so logins slow down rather than stop). Logins queue (at most
//! `QUEUE`, then 429); a job whose client went away is skipped.

use std::sync::{mpsc, Arc, Mutex};

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::config::HashCost;
use crate::error::{AppError, AppResult};

#[derive(Clone)]
pub struct Passwords(Arc<Inner>);

/// A hashing job: runs on a hashing thread with that thread's work area.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Hashing jobs that may wait at once; past it, signup and login answer 429 at once.
const QUEUE: usize = 1024;

struct Inner {
    params: Params,
    jobs: mpsc::SyncSender<Job>,
    /// A hash of a random password with our own cost: verified when the user does not exist, so
    /// an unknown user costs the same as a wrong password.
    dummy: String,
}

impl Passwords {
    pub async fn new(cost: HashCost, concurrency: usize) -> AppResult<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(AppError::internal)?;
        let jobs = spawn_hashers(concurrency)?;
        let (done, result) = oneshot::channel();
        let for_dummy = params.clone();
        jobs.try_send(Box::new(move |area| {
            let _ = done.send(hash(&for_dummy, Uuid::new_v4().as_bytes(), area));
        }))
        .map_err(AppError::internal)?;
        let dummy = result.await.map_err(AppError::internal)??;
        Ok(Self(Arc::new(Inner {
            params,
            jobs,
            dummy,
        })))
    }

    /// A PHC string with a fresh random salt.
    pub async fn hash(&self, password: String) -> AppResult<String> {
        self.run(move |inner, area| hash(&inner.params, password.as_bytes(), area))
            .await
    }

    /// True when `password` matches `stored`; with no stored hash, burns the same time and fails.
    pub async fn verify(&self, password: String, stored: Option<String>) -> AppResult<bool> {
        let exists = stored.is_some();
        let matched = self
            .run(move |inner, area| {
                let stored = stored.as_deref().unwrap_or(&inner.dummy);
                verify(password.as_bytes(), stored, area)
            })
            .await?;
        Ok(exists && matched)
    }

    /// Queues `work` for the hashing threads and waits for its result.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner, &mut Vec<Block>) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let (done, result) = oneshot::channel();
        let inner = self.0.clone();
        let job: Job = Box::new(move |area| {
            metrics::gauge!("password_hash_queue_depth").decrement(1.0);
            // Nobody waits any more (the client went away): skip the work.
            if !done.is_closed() {
                let _ = done.send(work(&inner, area));
            }
        });
        // Counted before sending: the job may start (and decrement) before try_send returns.
        metrics::gauge!("password_hash_queue_depth").increment(1.0);
        match self.0.jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(_)) => {
                metrics::gauge!("password_hash_queue_depth").decrement(1.0);
                metrics::counter!("password_hash_rejected_total").increment(1);
                return Err(AppError::RateLimited {
                    retry_after_secs: 1,
                });
            }
            Err(e) => {
                metrics::gauge!("password_hash_queue_depth").decrement(1.0);
                return Err(AppError::internal(e));
            }
        }
        result.await.map_err(AppError::internal)?
    }
}

/// Starts the hashing threads; they end when the last sender (the `Passwords`) is dropped.
fn spawn_hashers(count: usize) -> AppResult<mpsc::SyncSender<Job>> {
    let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE);
    let queue = Arc::new(Mutex::new(queue));
    for n in 0..count {
        let queue = queue.clone();
        std::thread::Builder::new()
            .name(format!("argon2-{n}"))
            .spawn(move || {
                lower_priority();
                let mut area = Vec::new();
                loop {
                    let next = queue
                        .lock()
                        .map_err(drop)
                        .and_then(|q| q.recv().map_err(drop));
                    match next {
                        Ok(job) => job(&mut area),
                        Err(()) => return,
                    }
                }
            })
            .map_err(AppError::internal)?;
    }
    Ok(jobs)
}

/// Nice ~9 for this thread: below requests, above nothing.
fn lower_priority() {
    use thread_priority::{ThreadPriority, ThreadPriorityValue};
    let priority = ThreadPriorityValue::try_from(25u8).map(ThreadPriority::Crossplatform);
    if let Err(e) = priority
        .map_err(|e| format!("{e:?}"))
        .and_then(|p| thread_priority::set_current_thread_priority(p).map_err(|e| format!("{e:?}")))
    {
        tracing::warn!(error = %e, "could not lower the priority of a hashing thread");
    }
}

fn hash(params: &Params, password: &[u8], area: &mut Vec<Block>) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let output = compute(
        &argon,
        password,
        salt.as_salt(),
        Params::DEFAULT_OUTPUT_LEN,
        area,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(AppError::internal)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Recomputes with the algorithm, version, cost and salt of `stored` and compares in
/// constant time (`Output`'s equality).
fn verify(password: &[u8], stored: &str, area: &mut Vec<Block>) -> AppResult<bool> {
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
    let computed = compute(&argon, password, salt, expected.len(), area)?;
    Ok(computed == expected)
}

/// Runs Argon2 in a reused work area (grown if a stored hash asks for more memory).
fn compute(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: argon2::password_hash::Salt<'_>,
    output_len: usize,
    area: &mut Vec<Block>,
) -> AppResult<Output> {
    let mut salt_bytes = [0u8; 64];
    let salt = salt
        .decode_b64(&mut salt_bytes)
        .map_err(AppError::internal)?;
    let blocks = argon.params().block_count();
    if area.len() < blocks {
        area.resize(blocks, Block::default());
    }
    let output = Output::init_with(output_len, |out| {
        argon
            .hash_password_into_with_memory(password, salt, out, &mut area[..blocks])
            .map_err(Into::into)
    });
    output.map_err(AppError::internal)
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
