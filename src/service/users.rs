//! Users and sessions: signup, login, logout (token revocation), authentication, profile.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use super::values::Timestamp;
use super::{AuthUser, Caller, Service};
use crate::auth::INVALID_TOKEN;
use crate::error::{AppError, AppResult, Details, Problems};

/// A user as both faces show it; the password hash never leaves this module.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
    pub username: String,
    #[schema(format = Email)]
    pub email: String,
    pub created_at: Timestamp,
    /// `null` until the user is first changed.
    #[schema(required = true)]
    pub updated_at: Option<Timestamp>,
}

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
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    pub token: String,
    pub user: User,
}

const REVOKED: &str = "Token has been revoked";

const USER_COLUMNS: &str = "id, username, email, created_at, updated_at";

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
        let inserted = sqlx::query(
            "INSERT INTO users (id, username, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(user.id.hyphenated())
        .bind(&user.username)
        .bind(&user.email)
        .bind(&hash)
        .bind(user.created_at.micros())
        .execute(&mut *self.db().writer().await?)
        .await;
        match inserted {
            Ok(_) => {}
            // Someone took the name between our check and the insert.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                self.refuse_taken(&user.username, &user.email).await?;
                return Err(AppError::Conflict(Details::from([(
                    "username".into(),
                    vec!["Username already taken".into()],
                )])));
            }
            Err(e) => return Err(e.into()),
        }
        let token = self.0.tokens.issue(user.id)?;
        Ok(Session { token, user })
    }

    /// 409 naming every field that is already taken.
    async fn refuse_taken(&self, username: &str, email: &str) -> AppResult<()> {
        let rows = sqlx::query(
            "SELECT lower(username) = lower(?1) AS same_name, email = ?2 AS same_email \
             FROM users WHERE lower(username) = lower(?1) OR email = ?2",
        )
        .bind(username)
        .bind(email)
        .fetch_all(&mut *self.db().reader().await?)
        .await?;
        let mut details = Details::new();
        for row in rows {
            if row.try_get::<bool, _>("same_name")? {
                details.insert("username".into(), vec!["Username already taken".into()]);
            }
            if row.try_get::<bool, _>("same_email")? {
                details.insert("email".into(), vec!["Email already registered".into()]);
            }
        }
        if details.is_empty() {
            Ok(())
        } else {
            Err(AppError::Conflict(details))
        }
    }

    pub async fn login(&self, client: IpAddr, input: LoginInput) -> AppResult<Session> {
        self.check_rate(client)?;
        // Emails are stored lowercased by Rust (all of Unicode); SQLite's lower() folds ASCII only.
        let login = input.username.trim();
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users \
             WHERE lower(username) = lower(?1) OR email = ?2 LIMIT 1"
        ))
        .bind(login)
        .bind(login.to_lowercase())
        .fetch_optional(&mut *self.db().reader().await?)
        .await?;
        // No account has a password over the signup limit: refuse it without hashing megabytes,
        // yet at the same cost (the dummy hash).
        let too_long = input.password.chars().count() > PASSWORD_MAX;
        let row = row.filter(|_| !too_long);
        let password = if too_long {
            String::new()
        } else {
            input.password
        };
        let (user, hash) = match row {
            Some(row) => (
                Some(user_from_row(&row)?),
                Some(row.try_get("password_hash")?),
            ),
            None => (None, None),
        };
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
        let me = caller.require_user()?;
        sqlx::query(
            "INSERT INTO token_blacklist (jti, user_id, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(me.token.jti.hyphenated())
        .bind(me.user.id.hyphenated())
        .bind(me.token.expires_at.saturating_mul(1_000_000))
        .execute(&mut *self.db().writer().await?)
        .await?;
        // Stored first, then remembered: once logout answers, the token is refused.
        let expires_at = me.token.expires_at.saturating_mul(1_000_000);
        self.0.sessions.revoke(me.token.jti, expires_at);
        Ok(())
    }

    /// Resolves a bearer token to its user: from memory when the user is known (no SQL), else in
    /// one statement (user row plus revocation check). Invalid, expired or revoked tokens and
    /// unknown users are all 401, never anonymous.
    pub async fn authenticate(&self, token: &str) -> AppResult<AuthUser> {
        let id = self.0.tokens.verify(token)?;
        if self.0.sessions.is_revoked(id.jti) {
            return Err(AppError::Unauthorized(REVOKED));
        }
        if let Some(user) = self.0.sessions.user(id.user_id) {
            return Ok(AuthUser { user, token: id });
        }
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, EXISTS (SELECT 1 FROM token_blacklist WHERE jti = ?2) AS revoked \
             FROM users WHERE id = ?1"
        ))
        .bind(id.user_id.hyphenated())
        .bind(id.jti.hyphenated())
        .fetch_optional(&mut *self.db().reader().await?)
        .await?
        .ok_or(AppError::Unauthorized(INVALID_TOKEN))?;
        if row.try_get::<bool, _>("revoked")? {
            return Err(AppError::Unauthorized(REVOKED));
        }
        let user = user_from_row(&row)?;
        self.0.sessions.remember(&user);
        Ok(AuthUser { user, token: id })
    }

    pub fn profile(&self, caller: &Caller) -> AppResult<User> {
        Ok(caller.require_user()?.user.clone())
    }

    /// Users by id, for batch loading (GraphQL's `TodoList.owner`).
    pub async fn users_by_ids(&self, ids: &[Uuid]) -> AppResult<HashMap<Uuid, User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN (SELECT value FROM json_each(?))"
        ))
        .bind(super::sql::json_ids(ids))
        .fetch_all(&mut *self.db().reader().await?)
        .await?;
        rows.iter()
            .map(|r| user_from_row(r).map(|u| (u.id, u)))
            .collect()
    }

    pub(super) async fn purge_expired_revocations(&self) -> AppResult<u64> {
        let now = Timestamp::now().micros();
        self.0.sessions.purge(now);
        let done = sqlx::query("DELETE FROM token_blacklist WHERE expires_at < ?")
            .bind(now)
            .execute(&mut *self.db().writer().await?)
            .await?;
        Ok(done.rows_affected())
    }
}

/// The revocations that still matter (their tokens have not expired), loaded at start.
pub(super) async fn load_revocations(db: &crate::db::Db) -> AppResult<Vec<(Uuid, i64)>> {
    let rows = sqlx::query("SELECT jti, expires_at FROM token_blacklist WHERE expires_at >= ?")
        .bind(Timestamp::now().micros())
        .fetch_all(&mut *db.reader().await?)
        .await?;
    rows.iter()
        .map(|r| Ok((super::sql::uuid_column(r, "jti")?, r.try_get("expires_at")?)))
        .collect()
}

fn user_from_row(row: &SqliteRow) -> AppResult<User> {
    Ok(User {
        id: super::sql::uuid_column(row, "id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        created_at: Timestamp::from_micros(row.try_get("created_at")?),
        updated_at: row
            .try_get::<Option<i64>, _>("updated_at")?
            .map(Timestamp::from_micros),
    })
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
