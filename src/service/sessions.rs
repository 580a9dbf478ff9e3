//! What authentication reads on every request, kept in memory where that is exact: the user
//! rows, and on an SQLite file this process owns, the revoked token ids. Each saves a statement
//! per authenticated request.
//!
//! Users are exact on both backends: a user row never changes after signup and is never
//! deleted (there is no update or delete), so a row once read stays true. Revocations are exact
//! only where this process is the database's only writer: every revocation is written to the
//! database and then here before logout answers, and they are loaded from the database at start.
//! Where other instances share the database, a logout through one of them is only written there,
//! so each request asks the database (`Confirmation`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use super::users::User;
use crate::records::Timestamp;

/// Users remembered at most; past it, lookups simply go to the database.
const MAX_USERS: usize = 100_000;

pub(super) struct Sessions {
    /// jti -> when the token expires; `None` where other instances may revoke tokens.
    revoked: Option<RwLock<HashMap<Uuid, Timestamp>>>,
    users: RwLock<HashMap<Uuid, User>>,
}

impl Sessions {
    /// For a database other instances share: users only.
    pub(super) fn shared() -> Self {
        Self {
            revoked: None,
            users: RwLock::default(),
        }
    }

    /// For a database this process is the only user of, with its current revocations.
    pub(super) fn exclusive(revoked: impl IntoIterator<Item = (Uuid, Timestamp)>) -> Self {
        Self {
            revoked: Some(RwLock::new(revoked.into_iter().collect())),
            users: RwLock::default(),
        }
    }

    /// Whether `jti` is revoked, or `None` when only the database knows.
    pub(super) fn is_revoked(&self, jti: Uuid) -> Option<bool> {
        let revoked = self.revoked.as_ref()?;
        Some(revoked.read().map_or(true, |r| r.contains_key(&jti)))
    }

    pub(super) fn revoke(&self, jti: Uuid, expires_at: Timestamp) {
        if let Some(Ok(mut revoked)) = self.revoked.as_ref().map(RwLock::write) {
            revoked.insert(jti, expires_at);
        }
    }

    /// Forgets revocations of tokens that have expired anyway (they fail verification now).
    pub(super) fn purge(&self, now: Timestamp) {
        if let Some(Ok(mut revoked)) = self.revoked.as_ref().map(RwLock::write) {
            revoked.retain(|_, expires_at| *expires_at >= now);
        }
    }

    pub(super) fn user(&self, id: Uuid) -> Option<User> {
        self.users.read().ok()?.get(&id).cloned()
    }

    pub(super) fn remember(&self, user: &User) {
        if let Ok(mut users) = self.users.write() {
            if users.len() < MAX_USERS {
                users.insert(user.id, user.clone());
            }
        }
    }
}

/// Whether a caller's token is known not to be revoked. Shared by the clones of one caller, so
/// that the first statement of a request that checks it settles it for the rest of the request.
#[derive(Debug, Clone)]
pub struct Confirmation(Option<Arc<AtomicBool>>);

impl Confirmation {
    /// Checked already, while authenticating.
    pub(super) fn done() -> Self {
        Self(None)
    }

    /// Still to be checked against the database.
    pub(super) fn pending() -> Self {
        Self(Some(Arc::new(AtomicBool::new(false))))
    }

    pub fn is_done(&self) -> bool {
        self.0
            .as_ref()
            .is_none_or(|flag| flag.load(Ordering::Acquire))
    }

    pub(super) fn settle(&self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocations_are_remembered_until_they_expire() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let at = Timestamp::from_micros;
        let s = Sessions::exclusive([(a, at(100))]);
        assert_eq!(
            (s.is_revoked(a), s.is_revoked(b)),
            (Some(true), Some(false))
        );
        s.revoke(b, at(300));
        s.purge(at(200));
        assert_eq!(
            (s.is_revoked(a), s.is_revoked(b)),
            (Some(false), Some(true))
        );
    }

    #[test]
    fn a_shared_database_leaves_revocations_to_it() {
        let jti = Uuid::new_v4();
        let s = Sessions::shared();
        s.revoke(jti, Timestamp::from_micros(100));
        assert_eq!(s.is_revoked(jti), None);
    }

    #[test]
    fn a_confirmation_is_shared_by_the_clones_of_a_caller() {
        let pending = Confirmation::pending();
        let clone = pending.clone();
        assert!(!clone.is_done());
        pending.settle();
        assert!(clone.is_done() && Confirmation::done().is_done());
    }
}
