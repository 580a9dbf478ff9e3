//! Access tokens: JWT, HS256 only, with every claim required and no leeway.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Secret;
use crate::error::{AppError, AppResult};
use crate::records::Timestamp;

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
    pub expires_at: Timestamp,
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
            expires_at: Timestamp::from_unix_seconds(claims.exp),
        })
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
}
