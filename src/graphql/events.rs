//! `Subscription.taskEvents`, `TaskEvent` and `TaskEventKind`: a list's live task events, the
//! same ones REST streams at `/lists/{id}/events`. Served on the WebSocket of `ws.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, Object, Subscription, ID};
use futures_util::Stream;

use super::error::GqlResult;
use super::scalars::{id, uuid_arg};
use super::service;
use super::tasks::TaskObject;
use crate::error::AppError;
use crate::service::events::{Ended, Published, TaskEventKind};
use crate::service::{Caller, Service};

/// What happened to the task.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "TaskEventKind")]
pub enum EventKind {
    Created,
    Updated,
    /// Deleted, or moved to another list (which gets `CREATED`).
    Deleted,
}

impl From<TaskEventKind> for EventKind {
    fn from(kind: TaskEventKind) -> Self {
        match kind {
            TaskEventKind::Created => Self::Created,
            TaskEventKind::Updated => Self::Updated,
            TaskEventKind::Deleted => Self::Deleted,
        }
    }
}

/// One committed change to a task of the watched list.
pub struct TaskEventObject(Arc<Published>);

#[Object(name = "TaskEvent")]
impl TaskEventObject {
    async fn kind(&self) -> EventKind {
        self.0.event.kind.into()
    }
    async fn task_id(&self) -> ID {
        id(self.0.event.task_id)
    }
    async fn list_id(&self) -> ID {
        id(self.0.event.list_id)
    }
    /// The task after the change; null for `DELETED`.
    async fn task(&self) -> Option<TaskObject> {
        self.0.event.task.clone().map(TaskObject)
    }
}

/// What one WebSocket connection holds: its token (checked again for every subscription, so a
/// revoked one starts nothing) and its count of subscriptions.
pub(super) struct Connection {
    pub token: Option<String>,
    pub active: Arc<AtomicUsize>,
    pub max_subscriptions: usize,
}

impl Connection {
    async fn caller(&self, svc: &Service) -> Result<Caller, AppError> {
        match &self.token {
            Some(token) => svc.authenticate(token).await.map(Caller::User),
            None => Ok(Caller::Anonymous),
        }
    }

    /// Takes one of the connection's subscription places, or refuses past the cap.
    fn take_place(&self) -> async_graphql::Result<Place> {
        if self.active.fetch_add(1, Ordering::SeqCst) >= self.max_subscriptions {
            self.active.fetch_sub(1, Ordering::SeqCst);
            let message = format!(
                "At most {} subscriptions per connection; stop one first",
                self.max_subscriptions
            );
            return Err(async_graphql::Error::new(message)
                .extend_with(|_, ext| ext.set("code", "RATE_LIMITED")));
        }
        metrics::gauge!("graphql_subscriptions_active").increment(1.0);
        Ok(Place(self.active.clone()))
    }
}

/// A subscription's place on its connection, given back (and uncounted) when it ends.
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
        metrics::gauge!("graphql_subscriptions_active").decrement(1.0);
    }
}

#[derive(Default)]
pub struct EventSubscription;

#[Subscription(name = "Subscription")]
impl EventSubscription {
    /// The task events of a list, from now on, in commit order: the same as REST's
    /// `GET /lists/{id}/events`, with the same visibility (`NOT_FOUND` for a list the caller
    /// cannot see). Completes when the list is deleted; ends with an error when the token is
    /// revoked or expires (`UNAUTHORIZED`) or when the client fell too far behind
    /// (`SERVICE_UNAVAILABLE`).
    async fn task_events(
        &self,
        ctx: &Context<'_>,
        list_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<TaskEventObject>>> {
        let list = uuid_arg("listId", &list_id)?;
        let connection = ctx.data::<Connection>()?;
        let place = connection.take_place()?;
        let svc = service(ctx)?;
        let caller = connection.caller(svc).await.gql()?;
        let watch = svc.watch_list(&caller, list).await.gql()?;
        Ok(futures_util::stream::unfold(
            Some((watch, place)),
            |state| async move {
                let (mut watch, place) = state?;
                match watch.next().await {
                    Ok(event) => Some((Ok(TaskEventObject(event)), Some((watch, place)))),
                    Err(Ended::ListDeleted) => None,
                    Err(why) => Some((Err(ended(why)), None)),
                }
            },
        ))
    }
}

fn ended(why: Ended) -> async_graphql::Error {
    let code = match why {
        Ended::Revoked | Ended::Expired => "UNAUTHORIZED",
        _ => "SERVICE_UNAVAILABLE",
    };
    async_graphql::Error::new(why.reason()).extend_with(move |_, ext| ext.set("code", code))
}
