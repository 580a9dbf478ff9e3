//! Users and revoked tokens on SQLite (the mirror of `postgres/users.rs`).

use std::collections::HashMap;

use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

use super::{json_ids, uuid_column, SqliteStore};
use crate::error::AppResult;
use crate::records::{Timestamp, User};
use crate::store::Change;

const USER_COLUMNS: &str = "id, username, email, created_at, updated_at";

impl SqliteStore {
    /// Inserts a user; `false` when the username or email is taken (a unique index says so).
    pub async fn insert_user(&self, user: &User, password_hash: &str) -> AppResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO users (id, username, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(user.id.hyphenated())
        .bind(&user.username)
        .bind(&user.email)
        .bind(password_hash)
        .bind(user.created_at.micros())
        .execute(&mut self.writer().await?)
        .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the username (without regard to case) and the email are taken.
    pub async fn taken(&self, username: &str, email: &str) -> AppResult<(bool, bool)> {
        let rows = sqlx::query(
            "SELECT lower(username) = lower(?1) AS same_name, email = ?2 AS same_email \
             FROM users WHERE lower(username) = lower(?1) OR email = ?2",
        )
        .bind(username)
        .bind(email)
        .fetch_all(&mut self.reader().await?)
        .await?;
        let mut taken = (false, false);
        for row in rows {
            taken.0 |= row.try_get::<bool, _>("same_name")?;
            taken.1 |= row.try_get::<bool, _>("same_email")?;
        }
        Ok(taken)
    }

    /// The user a login names (username without regard to case, or email) and their hash.
    /// Emails are stored lowercased by the service (all of Unicode); lower() here folds ASCII,
    /// which covers usernames.
    pub async fn login_candidate(&self, login: &str) -> AppResult<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users \
             WHERE lower(username) = lower(?1) OR email = ?2 LIMIT 1"
        ))
        .bind(login)
        .bind(login.to_lowercase())
        .fetch_optional(&mut self.reader().await?)
        .await?;
        row.map(|r| Ok((user_from_row(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    /// A user and whether `jti` is revoked, in one statement.
    pub async fn user_and_revocation(
        &self,
        user_id: Uuid,
        jti: Uuid,
    ) -> AppResult<Option<(User, bool)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, EXISTS (SELECT 1 FROM token_blacklist WHERE jti = ?2) AS revoked \
             FROM users WHERE id = ?1"
        ))
        .bind(user_id.hyphenated())
        .bind(jti.hyphenated())
        .fetch_optional(&mut self.reader().await?)
        .await?;
        row.map(|r| Ok((user_from_row(&r)?, r.try_get("revoked")?)))
            .transpose()
    }

    /// For the reads given an unconfirmed token (`Checked`): the service never gives one on
    /// SQLite, where it knows every revocation itself, but the answer is exact anyway.
    pub(super) async fn check_token(&self, unconfirmed: Option<Uuid>) -> AppResult<bool> {
        match unconfirmed {
            Some(jti) => self.is_revoked(jti).await,
            None => Ok(false),
        }
    }

    /// Whether `jti` is revoked.
    pub async fn is_revoked(&self, jti: Uuid) -> AppResult<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM token_blacklist WHERE jti = ?)")
                .bind(jti.hyphenated())
                .fetch_one(&mut self.reader().await?)
                .await?,
        )
    }

    pub async fn revoke(&self, jti: Uuid, user_id: Uuid, expires_at: Timestamp) -> AppResult<()> {
        let mut conn = self.writer().await?;
        sqlx::query(
            "INSERT INTO token_blacklist (jti, user_id, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti.hyphenated())
        .bind(user_id.hyphenated())
        .bind(expires_at.micros())
        .execute(&mut conn)
        .await?;
        self.feed.publish(Change::Revoked(jti));
        Ok(())
    }

    /// The revocations of tokens that have not expired by `now`.
    pub async fn revocations(&self, now: Timestamp) -> AppResult<Vec<(Uuid, Timestamp)>> {
        let rows = sqlx::query("SELECT jti, expires_at FROM token_blacklist WHERE expires_at >= ?")
            .bind(now.micros())
            .fetch_all(&mut self.reader().await?)
            .await?;
        rows.iter()
            .map(|r| {
                let expires_at = Timestamp::from_micros(r.try_get("expires_at")?);
                Ok((uuid_column(r, "jti")?, expires_at))
            })
            .collect()
    }

    pub async fn purge_revocations(&self, now: Timestamp) -> AppResult<u64> {
        let done = sqlx::query("DELETE FROM token_blacklist WHERE expires_at < ?")
            .bind(now.micros())
            .execute(&mut self.writer().await?)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn users_by_ids(&self, ids: &[Uuid]) -> AppResult<HashMap<Uuid, User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN (SELECT value FROM json_each(?))"
        ))
        .bind(json_ids(ids))
        .fetch_all(&mut self.reader().await?)
        .await?;
        rows.iter()
            .map(|r| user_from_row(r).map(|u| (u.id, u)))
            .collect()
    }
}

fn user_from_row(row: &SqliteRow) -> AppResult<User> {
    Ok(User {
        id: uuid_column(row, "id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        created_at: Timestamp::from_micros(row.try_get("created_at")?),
        updated_at: row
            .try_get::<Option<i64>, _>("updated_at")?
            .map(Timestamp::from_micros),
    })
}
