//! Tokens (JWT, HS256 only) and passwords (Argon2id off the async runtime, bounded concurrency).

use std::sync::Arc;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::config::{HashCost, Secret};
use crate::error::{AppError, AppResult};

/// The claims of our access tokens; every one is required.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// A verified token: whose it is, which one, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenId {
    pub user_id: Uuid,
    pub jti: Uuid,
    pub expires_at: i64,
}

pub const INVALID_TOKEN: &str = "Invalid or expired token";

/// Issues and verifies HS256 tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime_secs: i64,
}

impl Tokens {
    pub fn new(secret: &Secret, lifetime_secs: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // No grace period: an expired token is refused the second it expires.
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            validation,
            lifetime_secs,
        }
    }

    pub fn lifetime_secs(&self) -> i64 {
        self.lifetime_secs
    }

    /// A fresh token for `user_id`, with a unique `jti`.
    pub fn issue(&self, user_id: Uuid) -> AppResult<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + self.lifetime_secs,
            jti: Uuid::new_v4().to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)
    }

    /// Checks signature, algorithm, expiry and claim shapes; revocation is checked by the caller.
    pub fn verify(&self, token: &str) -> AppResult<TokenId> {
        let unauthorized = || AppError::Unauthorized(INVALID_TOKEN);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| unauthorized())?;
        let claims = data.claims;
        if claims.exp <= chrono::Utc::now().timestamp() || claims.iat > claims.exp {
            return Err(unauthorized());
        }
        Ok(TokenId {
            user_id: Uuid::parse_str(&claims.sub).map_err(|_| unauthorized())?,
            jti: Uuid::parse_str(&claims.jti).map_err(|_| unauthorized())?,
            expires_at: claims.exp,
        })
    }
}

/// Argon2id hashing and verification on the blocking pool, at most `concurrency` at once, so a
/// login storm queues instead of exhausting memory or starving the async workers.
#[derive(Clone)]
pub struct Passwords {
    hasher: Arc<Argon2<'static>>,
    permits: Arc<Semaphore>,
    /// A hash of a random password with our own cost: verified when the user does not exist, so
    /// an unknown user costs the same as a wrong password.
    dummy: Arc<str>,
}

impl Passwords {
    pub async fn new(cost: HashCost, concurrency: usize) -> AppResult<Self> {
        let params = argon2::Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(AppError::internal)?;
        let hasher = Arc::new(Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ));
        let mut passwords = Self {
            hasher,
            permits: Arc::new(Semaphore::new(concurrency)),
            dummy: Arc::from(""),
        };
        passwords.dummy = Arc::from(passwords.hash(Uuid::new_v4().to_string()).await?);
        Ok(passwords)
    }

    /// A PHC string with a fresh random salt.
    pub async fn hash(&self, password: String) -> AppResult<String> {
        let hasher = self.hasher.clone();
        self.blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            hasher
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(AppError::internal)
        })
        .await
    }

    /// True when `password` matches `stored`; with no stored hash, burns the same time and fails.
    pub async fn verify(&self, password: String, stored: Option<String>) -> AppResult<bool> {
        let exists = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy.to_string());
        let hasher = self.hasher.clone();
        let matched = self
            .blocking(move || {
                let parsed = PasswordHash::new(&stored).map_err(AppError::internal)?;
                Ok(hasher.verify_password(password.as_bytes(), &parsed).is_ok())
            })
            .await?;
        Ok(exists && matched)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(AppError::internal)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(secret: &str, lifetime: i64) -> Tokens {
        Tokens::new(&Secret::new(secret.as_bytes().to_vec()), lifetime)
    }

    #[test]
    fn issued_tokens_verify_and_carry_every_claim() {
        let t = tokens("s3cret", 60);
        let user = Uuid::new_v4();
        let token = t.issue(user).unwrap();
        let id = t.verify(&token).unwrap();
        assert_eq!(id.user_id, user);
        assert_ne!(t.verify(&t.issue(user).unwrap()).unwrap().jti, id.jti);
    }

    #[test]
    fn tokens_from_another_secret_or_garbage_are_refused() {
        let token = tokens("one", 60).issue(Uuid::new_v4()).unwrap();
        assert!(tokens("two", 60).verify(&token).is_err());
        assert!(tokens("two", 60).verify("garbage").is_err());
    }

    #[tokio::test]
    async fn passwords_verify_only_with_the_right_password() {
        let cost = HashCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let p = Passwords::new(cost, 2).await.unwrap();
        let hash = p.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(p
            .verify("correct horse".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!p.verify("wrong horse".into(), Some(hash)).await.unwrap());
        assert!(!p.verify("correct horse".into(), None).await.unwrap());
    }
}
