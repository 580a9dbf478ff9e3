//! GET /lists/{id}/events: a list's live task events as Server-Sent Events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use super::extract::ResourceId;
use super::openapi::{Always, AuthErrors, IdErrors};
use crate::error::AppError;
use crate::http::HttpSettings;
use crate::service::events::{Ended, Watch};
use crate::service::{Caller, Service};

/// One change to a task of the list, as each `data:` line of the event stream carries it.
// For the document only: the service writes the events (`service::events::TaskEvent`).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
#[schema(as = TaskEvent)]
pub struct TaskEventDoc {
    /// `CREATED`, `UPDATED` or `DELETED`.
    kind: crate::records::TaskEventKind,
    task_id: uuid::Uuid,
    list_id: uuid::Uuid,
    /// The task as `GET /tasks/{id}` shows it; `null` for `DELETED`.
    #[schema(required = true)]
    task: Option<crate::records::Task>,
}

/// GET /api/v1/lists/{id}/events
#[utoipa::path(
    get, path = "/api/v1/lists/{id}/events", tag = "lists", operation_id = "listEvents",
    summary = "The list's task changes, live, as Server-Sent Events",
    description = "Answers `200 text/event-stream`, then one `event: task` per committed change to \
        a task of the list, whichever face or instance made it, in commit order; its `data:` line \
        is a `TaskEvent`. A task moved away is `DELETED` here and `CREATED` in its new list. A \
        `: keep-alive` comment comes every 15 seconds on a quiet stream. The stream ends when the \
        list is deleted, when the token is revoked or expires, and when the client falls too far \
        behind. Visibility is that of `GET /lists/{id}`: 404 before any stream.",
    params(("id" = uuid::Uuid, Path, description = "The list's id")),
    responses(
        (status = 200, description = "The event stream (never ends by itself while the list exists)",
         body = TaskEventDoc, content_type = "text/event-stream"),
        AuthErrors, IdErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn stream(
    State(svc): State<Service>,
    State(http): State<HttpSettings>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let watch = svc.watch_list(&caller, id).await?;
    Ok(Sse::new(events(watch)).keep_alive(keep_alive(http.events_keep_alive)))
}

fn keep_alive(every: Duration) -> KeepAlive {
    KeepAlive::new().interval(every).text("keep-alive")
}

/// The watch as SSE events; the last one, a comment, says why the stream ends.
fn events(watch: Watch) -> impl Stream<Item = Result<Event, Infallible>> {
    let open = Some((watch, StreamGauge::open()));
    futures_util::stream::unfold(open, |state| async move {
        let (mut watch, gauge) = state?;
        match watch.next().await {
            Ok(published) => {
                let event = Event::default().event("task").data(&published.json);
                Some((Ok(event), Some((watch, gauge))))
            }
            Err(why) => Some((Ok(closing(why)), None)),
        }
    })
}

fn closing(why: Ended) -> Event {
    Event::default().comment(format!("closed: {}", why.reason()))
}

/// Counts an open stream in `sse_streams_active` for as long as it lives.
struct StreamGauge;

impl StreamGauge {
    fn open() -> Self {
        metrics::gauge!("sse_streams_active").increment(1.0);
        Self
    }
}

impl Drop for StreamGauge {
    fn drop(&mut self) {
        metrics::gauge!("sse_streams_active").decrement(1.0);
    }
}
