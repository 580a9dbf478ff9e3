//! Live events across instances: every write that makes an event sends `NOTIFY` in its own
//! transaction (PostgreSQL delivers notifications only on commit, in commit order), and each
//! instance keeps one `LISTEN` connection that publishes what arrives on its change feed.
//!
//! A payload carries ids only (`C <task> <list>`, `L <list>`, `R <jti>`...): a notification is
//! limited to 8000 bytes, which a task with a long description would exceed. The event hub loads
//! the task once per event for the whole instance.

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::records::TaskEventKind;
use crate::store::{Change, ChangeFeed};

/// The channel of one schema: instances sharing a database but not a schema (tests, several
/// deployments) must not hear each other. Identifiers are limited to 63 bytes.
pub(super) fn channel(schema: &str) -> String {
    let mut name = format!("todo_api_events_{schema}");
    let mut end = name.len().min(63);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name.truncate(end);
    name
}

/// The payload of a task change.
pub(super) fn task_payload(kind: TaskEventKind, task_id: Uuid, list_id: Uuid) -> String {
    let letter = match kind {
        TaskEventKind::Created => 'C',
        TaskEventKind::Updated => 'U',
        TaskEventKind::Deleted => 'D',
    };
    format!("{letter} {task_id} {list_id}")
}

/// The change a payload describes; `None` for a payload this version does not know.
fn decode(payload: &str) -> Option<Change> {
    let mut parts = payload.split(' ');
    let letter = parts.next()?;
    let first = Uuid::parse_str(parts.next()?).ok()?;
    let second = parts.next().map(Uuid::parse_str);
    let kind = match letter {
        "L" => return Some(Change::ListDeleted(first)),
        "R" => return Some(Change::Revoked(first)),
        "C" => TaskEventKind::Created,
        "U" => TaskEventKind::Updated,
        "D" => TaskEventKind::Deleted,
        _ => return None,
    };
    Some(Change::Task {
        kind,
        task_id: first,
        list_id: second?.ok()?,
        task: None,
    })
}

/// Listens on `channel` until the pool is closed, reconnecting after a lost connection (with a
/// growing pause while the database stays away). Whenever the connection was lost, notifications
/// may have been missed: the feed says so (`Gap`), and the streams it feeds end.
pub(super) fn spawn_listener(pool: PgPool, channel: String, feed: ChangeFeed) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut pause = PAUSE_MIN;
        let mut connected_before = false;
        while !pool.is_closed() {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, "event listener cannot connect; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(PAUSE_MAX);
                    continue;
                }
            };
            if let Err(e) = listener.listen(&channel).await {
                tracing::warn!(error = %e, "event listener cannot LISTEN; retrying");
                tokio::time::sleep(pause).await;
                continue;
            }
            if connected_before {
                tracing::info!("event listener reconnected");
            }
            feed.set_complete(true);
            connected_before = true;
            pause = PAUSE_MIN;
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => match decode(notification.payload()) {
                        Some(change) => feed.publish(change),
                        None => tracing::warn!(payload = notification.payload(), "unknown event"),
                    },
                    // Lost and already reconnected (it re-listens by itself).
                    Ok(None) => feed.publish(Change::Gap),
                    Err(_) if pool.is_closed() => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "event listener lost its connection");
                        // New watches are refused until it listens again: a change committed
                        // meanwhile would never reach them.
                        feed.set_complete(false);
                        feed.publish(Change::Gap);
                        break;
                    }
                }
            }
        }
    })
}

const PAUSE_MIN: Duration = Duration::from_millis(100);
const PAUSE_MAX: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_stay_small() {
        let (t, l) = (Uuid::new_v4(), Uuid::new_v4());
        let payload = task_payload(TaskEventKind::Deleted, t, l);
        assert!(payload.len() < 100);
        match decode(&payload) {
            Some(Change::Task {
                kind: TaskEventKind::Deleted,
                task_id,
                list_id,
                task: None,
            }) => assert_eq!((task_id, list_id), (t, l)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(decode(&format!("L {l}")), Some(Change::ListDeleted(id)) if id == l));
        assert!(decode("X 1 2").is_none() && decode("C nonsense").is_none());
    }

    #[test]
    fn channel_names_fit_an_identifier() {
        assert!(channel(&"s".repeat(100)).len() <= 63);
        assert_eq!(channel("public"), "todo_api_events_public");
    }
}
