//! Users and revoked tokens on PostgreSQL (the mirror of `sqlite/users.rs`).

use std::collections::HashMap;

use sqlx::postgres::PgRow;
use sqlx::Row;
use uuid::Uuid;

use super::{opt_timestamp, timestamp, uuid, PgStore};
use crate::error::AppResult;
use crate::records::{Timestamp, User};

const USER_COLUMNS: &str = "id, username, email, created_at, updated_at";

impl PgStore {
    /// Inserts a user; `false` when the username or email is taken (a unique index says so).
    pub async fn insert_user(&self, user: &User, password_hash: &str) -> AppResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO users (id, username, email, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user.id)
        .bind(&user.username)
        .bind(&user.email)
        .bind(password_hash)
        .bind(user.created_at.to_datetime())
        .execute(&self.pool)
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
            "SELECT lower(username) = lower($1) AS same_name, email = $2 AS same_email \
             FROM users WHERE lower(username) = lower($1) OR email = $2",
        )
        .bind(username)
        .bind(email)
        .fetch_all(&self.pool)
        .await?;
        let mut taken = (false, false);
        for row in rows {
            taken.0 |= row.try_get::<bool, _>("same_name")?;
            taken.1 |= row.try_get::<bool, _>("same_email")?;
        }
        Ok(taken)
    }

    /// The user a login names (username without regard to case, or email) and their hash.
    pub async fn login_candidate(&self, login: &str) -> AppResult<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users \
             WHERE lower(username) = lower($1) OR email = $2 LIMIT 1"
        ))
        .bind(login)
        .bind(login.to_lowercase())
        .fetch_optional(&self.pool)
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
            "SELECT {USER_COLUMNS}, EXISTS (SELECT 1 FROM token_blacklist WHERE jti = $2) AS revoked \
             FROM users WHERE id = $1"
        ))
        .bind(user_id)
        .bind(jti)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((user_from_row(&r)?, r.try_get("revoked")?)))
            .transpose()
    }

    /// Whether `jti` is revoked.
    pub async fn is_revoked(&self, jti: Uuid) -> AppResult<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM token_blacklist WHERE jti = $1)")
                .bind(jti)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn revoke(&self, jti: Uuid, user_id: Uuid, expires_at: Timestamp) -> AppResult<()> {
        sqlx::query(
            "WITH ins AS (INSERT INTO token_blacklist (jti, user_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (jti) DO NOTHING RETURNING jti) SELECT pg_notify($4, 'R ' || jti) FROM ins",
        )
        .bind(jti)
        .bind(user_id)
        .bind(expires_at.to_datetime())
        .bind(&self.channel)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The revocations of tokens that have not expired by `now`.
    pub async fn revocations(&self, now: Timestamp) -> AppResult<Vec<(Uuid, Timestamp)>> {
        let rows =
            sqlx::query("SELECT jti, expires_at FROM token_blacklist WHERE expires_at >= $1")
                .bind(now.to_datetime())
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((uuid(r, "jti")?, timestamp(r, "expires_at")?)))
            .collect()
    }

    pub async fn purge_revocations(&self, now: Timestamp) -> AppResult<u64> {
        let done = sqlx::query("DELETE FROM token_blacklist WHERE expires_at < $1")
            .bind(now.to_datetime())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn users_by_ids(&self, ids: &[Uuid]) -> AppResult<HashMap<Uuid, User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = ANY($1)"
        ))
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| user_from_row(r).map(|u| (u.id, u)))
            .collect()
    }
}

fn user_from_row(row: &PgRow) -> AppResult<User> {
    Ok(User {
        id: uuid(row, "id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        created_at: timestamp(row, "created_at")?,
        updated_at: opt_timestamp(row, "updated_at")?,
    })
}
