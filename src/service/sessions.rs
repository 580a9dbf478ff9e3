//! An exact in-memory view of what authentication reads on every request: the revoked token
//! ids and the (immutable) user rows. It saves one SQL statement per authenticated request.
//!
//! Exact because this process is the only writer of its SQLite file: every revocation is
//! written to the database and then here before logout answers, and users never change after
//! signup (there is no update or delete). Revocations are loaded from the database at start.

use std::collections::HashMap;
use std::sync::RwLock;

use uuid::Uuid;

use super::users::User;
use crate::records::Timestamp;

/// Users remembered at most; past it, lookups simply go to the database.
const MAX_USERS: usize = 100_000;

#[derive(Default)]
pub(super) struct Sessions {
    /// jti -> when the token expires.
    revoked: RwLock<HashMap<Uuid, Timestamp>>,
    users: RwLock<HashMap<Uuid, User>>,
}

impl Sessions {
    pub(super) fn with_revoked(revoked: impl IntoIterator<Item = (Uuid, Timestamp)>) -> Self {
        Self {
            revoked: RwLock::new(revoked.into_iter().collect()),
            users: RwLock::default(),
        }
    }

    pub(super) fn is_revoked(&self, jti: Uuid) -> bool {
        self.revoked.read().map_or(true, |r| r.contains_key(&jti))
    }

    pub(super) fn revoke(&self, jti: Uuid, expires_at: Timestamp) {
        if let Ok(mut revoked) = self.revoked.write() {
            revoked.insert(jti, expires_at);
        }
    }

    /// Forgets revocations of tokens that have expired anyway (they fail verification now).
    pub(super) fn purge(&self, now: Timestamp) {
        if let Ok(mut revoked) = self.revoked.write() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocations_are_remembered_until_they_expire() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let at = Timestamp::from_micros;
        let s = Sessions::with_revoked([(a, at(100))]);
        assert!(s.is_revoked(a) && !s.is_revoked(b));
        s.revoke(b, at(300));
        s.purge(at(200));
        assert!(!s.is_revoked(a) && s.is_revoked(b));
    }
}
