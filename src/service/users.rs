//! Users and sessions: signup, login, logout (token revocation), authentication, profile.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;
use uuid::Uuid;

use super::values::Timestamp;
use super::{AuthUser, Caller, Confirmation, Service};
use crate::auth::INVALID_TOKEN;
use crate::error::{AppError, AppResult, Details, Problems};
pub use crate::records::User;

pub struct SignupInput {
    pub username: String,
    pub email: String,
    pub password: String,
}

pub struct LoginInput {
    /// A username or an email address.
    pub username: String,
    pub password: String,
}

/// What signup and login answer: a fresh token and its user.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub token: String,
    pub user: User,
}

pub(super) const REVOKED: &str = "Token has been revoked";

impl Service {
    pub async fn signup(&self, client: IpAddr, input: SignupInput) -> AppResult<Session> {
        self.check_rate(client)?;
        let mut problems = Problems::default();
        problems.check("username", check_username(&input.username));
        let email = problems.check("email", check_email(&input.email));
        problems.check("password", check_password(&input.password));
        problems.finish()?;
        let email = email.unwrap_or_default();
        self.refuse_taken(&input.username, &email).await?;
        let user = User {
            id: Uuid::new_v4(),
            username: input.username,
            email,
            created_at: Timestamp::now(),
            updated_at: None,
        };
        let hash = self.0.passwords.hash(input.password).await?;
        if !self.store().insert_user(&user, &hash).await? {
            // Someone took the name between our check and the insert.
            self.refuse_taken(&user.username, &user.email).await?;
            return Err(AppError::Conflict(Details::from([(
                "username".into(),
                vec!["Username already taken".into()],
            )])));
        }
        let token = self.0.tokens.issue(user.id)?;
        Ok(Session { token, user })
    }

    /// 409 naming every field that is already taken.
    async fn refuse_taken(&self, username: &str, email: &str) -> AppResult<()> {
        let (name_taken, email_taken) = self.store().taken(username, email).await?;
        let mut details = Details::new();
        if name_taken {
            details.insert("username".into(), vec!["Username already taken".into()]);
        }
        if email_taken {
            details.insert("email".into(), vec!["Email already registered".into()]);
        }
        if details.is_empty() {
            Ok(())
        } else {
            Err(AppError::Conflict(details))
        }
    }

    pub async fn login(&self, client: IpAddr, input: LoginInput) -> AppResult<Session> {
        self.check_rate(client)?;
        let login = input.username.trim();
        let candidate = self.store().login_candidate(login).await?;
        // No account has a password over the signup limit: refuse it without hashing megabytes,
        // yet at the same cost (the dummy hash).
        let too_long = input.password.chars().count() > PASSWORD_MAX;
        let candidate = candidate.filter(|_| !too_long);
        let password = if too_long {
            String::new()
        } else {
            input.password
        };
        let (user, hash) = candidate.unzip();
        // Verify even for an unknown user (against a dummy hash) so both cost the same.
        let matched = self.0.passwords.verify(password, hash).await?;
        match user {
            Some(user) if matched => {
                let token = self.0.tokens.issue(user.id)?;
                Ok(Session { token, user })
            }
            _ => Err(AppError::InvalidCredentials),
        }
    }

    /// Revokes the caller's token until it would have expired anyway.
    pub async fn logout(&self, caller: &Caller) -> AppResult<()> {
        self.confirm(caller).await?;
        let me = caller.require_user()?;
        let expires_at = me.token.expires_at;
        // Remembered first, then stored: once logout answers, the token is refused; and a
        // logout dropped half-way (client gone) can store the revocation, but never leave this
        // process accepting a token the database says is revoked.
        self.0.sessions.revoke(me.token.jti, expires_at);
        self.store()
            .revoke(me.token.jti, me.user.id, expires_at)
            .await
    }

    /// Resolves a bearer token to its user, checked in full. Invalid, expired or revoked tokens
    /// and unknown users are all 401, never anonymous.
    pub async fn authenticate(&self, token: &str) -> AppResult<AuthUser> {
        let user = self.authenticate_deferred(token).await?;
        self.confirm_token(&user).await?;
        Ok(user)
    }

    /// Like `authenticate`, except that where only the database knows revocations (several
    /// instances share it) and the user is known, the revocation check is left to the
    /// request's first statement (`read_scope`) or to `confirm`: one round trip instead of two
    /// for a read. A caller from here must be confirmed before anything but 401 is answered.
    /// On an SQLite file this process owns, a known token costs no SQL at all.
    pub async fn authenticate_deferred(&self, token: &str) -> AppResult<AuthUser> {
        let id = self.0.tokens.verify(token)?;
        let sessions = &self.0.sessions;
        let known = sessions.is_revoked(id.jti);
        if known == Some(true) {
            return Err(AppError::Unauthorized(REVOKED));
        }
        let confirmation = match known {
            Some(_) => Confirmation::done(),
            None => Confirmation::pending(),
        };
        if let Some(user) = sessions.user(id.user_id) {
            return Ok(AuthUser {
                user,
                token: id,
                confirmation,
            });
        }
        let (user, revoked) = self
            .store()
            .user_and_revocation(id.user_id, id.jti)
            .await?
            .ok_or(AppError::Unauthorized(INVALID_TOKEN))?;
        if revoked {
            return Err(AppError::Unauthorized(REVOKED));
        }
        sessions.remember(&user);
        Ok(AuthUser {
            user,
            token: id,
            confirmation: Confirmation::done(),
        })
    }

    /// Settles whether the caller's token is revoked, asking the database if still open: 401
    /// when it is.
    pub async fn confirm(&self, caller: &Caller) -> AppResult<()> {
        match caller {
            Caller::User(user) => self.confirm_token(user).await,
            Caller::Anonymous => Ok(()),
        }
    }

    async fn confirm_token(&self, user: &AuthUser) -> AppResult<()> {
        if user.confirmation.is_done() {
            return Ok(());
        }
        if self.store().is_revoked(user.token.jti).await? {
            return Err(AppError::Unauthorized(REVOKED));
        }
        user.confirmation.settle();
        Ok(())
    }

    /// Checks the caller's token again, however it was checked before: for a watch, whose
    /// stream must end on a revocation it would otherwise only hear of once registered.
    pub(super) async fn recheck(&self, caller: &Caller) -> AppResult<()> {
        let Caller::User(user) = caller else {
            return Ok(());
        };
        let revoked = match self.0.sessions.is_revoked(user.token.jti) {
            Some(known) => known,
            None => self.store().is_revoked(user.token.jti).await?,
        };
        if revoked {
            return Err(AppError::Unauthorized(REVOKED));
        }
        user.confirmation.settle();
        Ok(())
    }

    pub async fn profile(&self, caller: &Caller) -> AppResult<User> {
        self.confirm(caller).await?;
        Ok(caller.require_user()?.user.clone())
    }

    /// Users by id, for batch loading (GraphQL's `TodoList.owner`).
    pub async fn users_by_ids(&self, ids: &[Uuid]) -> AppResult<HashMap<Uuid, User>> {
        self.store().users_by_ids(ids).await
    }

    pub(super) async fn purge_expired_revocations(&self) -> AppResult<u64> {
        let now = Timestamp::now();
        self.0.sessions.purge(now);
        self.store().purge_revocations(now).await
    }
}

pub fn check_username(raw: &str) -> Result<(), String> {
    let ok_chars = raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if (3..=50).contains(&raw.chars().count()) && ok_chars {
        Ok(())
    } else {
        Err("Username must be 3 to 50 characters: letters, digits, '_', '.' or '-'".into())
    }
}

/// A practical address check (one `@`, a sane local part, a dotted domain); returns it lowercased.
pub fn check_email(raw: &str) -> Result<String, String> {
    let invalid = || "Must be a valid email address".to_owned();
    if raw.chars().count() > 254 {
        return Err("Email must be at most 254 characters".into());
    }
    let (local, domain) = raw.split_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2);
    if local_ok && domain_ok {
        Ok(raw.to_lowercase())
    } else {
        Err(invalid())
    }
}

const PASSWORD_MAX: usize = 4096;

pub fn check_password(raw: &str) -> Result<(), String> {
    match raw.chars().count() {
        n if n < 8 => Err("Password must be at least 8 characters".into()),
        n if n > PASSWORD_MAX => Err(format!(
            "Password must be at most {PASSWORD_MAX} characters"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_contract() {
        assert!(check_username("alice_b.c-d").is_ok());
        assert!(check_username("al").is_err());
        assert!(check_username(&"a".repeat(51)).is_err());
        assert!(check_username("al ice").is_err());
        assert!(check_username("älice").is_err());
    }

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(
            check_email("Alice@Example.COM").unwrap(),
            "alice@example.com"
        );
        for bad in [
            "alice", "alice@", "@x.io", "a@b", "a b@x.io", "a@x..io", "a@-x.io",
        ] {
            assert!(check_email(bad).is_err(), "{bad} should be refused");
        }
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(190));
        assert!(check_email(&long).is_err());
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(check_password("ééééééé").is_err());
        assert!(check_password("éééééééé").is_ok());
        assert!(check_password(&"x".repeat(4097)).is_err());
    }
}
