//! `GET /graphql/ws`: GraphQL subscriptions over a WebSocket, in both subprotocols
//! (`graphql-transport-ws` and the legacy `graphql-ws`), on the main runtime: a subscription
//! mostly waits, unlike the CPU-bound queries of `runner.rs`.
//!
//! The token comes in the `connection_init` payload (`{"authorization": "Bearer ..."}`), or else
//! from the upgrade request's cookie when that request is from this origin. A bad or revoked
//! token is refused (the socket is closed), never taken as anonymous. Only subscriptions run
//! here: queries and mutations go to `POST /graphql`, with its deadline and threads.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::futures_util::stream::BoxStream;
use async_graphql::http::{
    WebSocket as GqlSocket, WebSocketProtocols as Protocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS,
};
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use uuid::Uuid;

use super::events::Connection;
use super::http::chosen_operation;
use super::limits::DocumentLimits;
use super::loaders::Loaders;
use super::{answer, GraphQl, TodoSchema};
use crate::error::AppError;
use crate::http::bearer_token;
use crate::service::Caller;

/// How long one message may take to reach the client before the connection is given up.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Client messages waiting to be handled; a client that floods past it is disconnected.
const INBOX: usize = 64;

/// The WebSocket settings and the open connections per user, shared by every connection.
#[derive(Clone)]
pub struct WsLimits {
    pub init_timeout: Duration,
    pub max_subscriptions: usize,
    pub max_connections_per_user: usize,
    open: Arc<Mutex<HashMap<Uuid, usize>>>,
}

impl WsLimits {
    pub fn new(config: &crate::config::Config) -> Self {
        Self {
            init_timeout: config.ws_init_timeout,
            max_subscriptions: config.ws_max_subscriptions,
            max_connections_per_user: config.ws_max_connections_per_user,
            open: Arc::default(),
        }
    }

    /// Counts a connection of `user`, or refuses past the cap.
    fn open_for(&self, user: Uuid) -> Option<UserConnection> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(user).or_default();
        if *count >= self.max_connections_per_user {
            return None;
        }
        *count += 1;
        Some(UserConnection {
            user,
            open: self.open.clone(),
        })
    }
}

/// One counted connection of a user, uncounted when dropped.
struct UserConnection {
    user: Uuid,
    open: Arc<Mutex<HashMap<Uuid, usize>>>,
}

impl Drop for UserConnection {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// GET /graphql/ws
pub async fn upgrade(
    State(gql): State<GraphQl>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let offered = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| Protocols::from_str(p.trim()).ok());
    let Some(protocol) = offered else {
        let details = [(
            "Sec-WebSocket-Protocol".to_owned(),
            vec!["Must offer graphql-transport-ws or graphql-ws".to_owned()],
        )];
        return AppError::bad_request(details.into()).into_response();
    };
    let cookie = same_origin(&headers)
        .then(|| bearer_token(&headers).map(str::to_owned))
        .flatten();
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(gql, socket, protocol, cookie))
}

/// True when the upgrade comes from a page of this origin (or from no page at all): only then
/// may its cookie stand for the user, so another site cannot subscribe in a visitor's name.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    host.is_some() && origin_host == host
}

/// The token of a `connection_init` payload: `authorization` (any case), `Bearer ` optional.
fn payload_token(payload: &serde_json::Value) -> Option<String> {
    let value = payload
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))?
        .1;
    let text = value.as_str().unwrap_or("");
    Some(match text.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim().to_owned(),
        _ => text.trim().to_owned(),
    })
}

async fn serve(gql: GraphQl, mut socket: WebSocket, protocol: Protocols, cookie: Option<String>) {
    metrics::gauge!("graphql_ws_connections_active").increment(1.0);
    let (inbox, messages) = tokio::sync::mpsc::channel::<String>(INBOX);
    let incoming = futures_util::stream::unfold(messages, |mut rx| async move {
        rx.recv().await.map(|message| (message, rx))
    });
    // Held for the connection's life once `connection_init` is accepted.
    let counted: Arc<Mutex<Option<UserConnection>>> = Arc::default();
    let init = {
        let (gql, counted) = (gql.clone(), counted.clone());
        move |payload: serde_json::Value| async move { init(&gql, payload, cookie, &counted).await }
    };
    let executor = SubscriptionsOnly {
        schema: gql.schema.clone(),
        limits: gql.limits,
    };
    let mut session =
        Box::pin(GqlSocket::new(executor, incoming, protocol).on_connection_init(init));
    let deadline = tokio::time::Instant::now() + gql.ws.init_timeout;
    let mut acked = false;
    loop {
        tokio::select! {
            received = socket.recv() => {
                let text = match received {
                    Some(Ok(Message::Text(text))) => text.to_string(),
                    Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                };
                if inbox.try_send(text).is_err() {
                    close(&mut socket, 4429, "Too many messages at once").await;
                    break;
                }
            }
            sent = session.next() => match sent {
                Some(WsMessage::Text(text)) => {
                    acked |= text.contains(r#""type":"connection_ack""#);
                    let send = socket.send(Message::Text(text.into()));
                    if !matches!(tokio::time::timeout(SEND_TIMEOUT, send).await, Ok(Ok(()))) {
                        break;
                    }
                }
                // An init refused (bad token, too many connections): "forbidden" in the protocol.
                Some(WsMessage::Close(code, reason)) => {
                    let code = if acked { code } else { 4403 };
                    close(&mut socket, code, &reason).await;
                    break;
                }
                None => break,
            },
            () = tokio::time::sleep_until(deadline), if !acked => {
                close(&mut socket, 4408, "Connection initialisation timeout").await;
                break;
            }
        }
    }
    drop(session);
    metrics::gauge!("graphql_ws_connections_active").decrement(1.0);
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    // A close reason is at most 123 bytes.
    let reason: String = reason.chars().take(100).collect();
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

/// Accepts or refuses `connection_init`: the caller (never anonymous for a bad token) and what
/// every subscription of the connection sees.
async fn init(
    gql: &GraphQl,
    payload: serde_json::Value,
    cookie: Option<String>,
    counted: &Mutex<Option<UserConnection>>,
) -> async_graphql::Result<Data> {
    let token = payload_token(&payload).or(cookie);
    let caller = match &token {
        Some(token) => Caller::User(
            gql.svc
                .authenticate(token)
                .await
                .map_err(|e| async_graphql::Error::new(e.to_string()))?,
        ),
        None => Caller::Anonymous,
    };
    if let Caller::User(user) = &caller {
        let Some(connection) = gql.ws.open_for(user.user.id) else {
            return Err(async_graphql::Error::new(format!(
                "Too many connections for this user (at most {})",
                gql.ws.max_connections_per_user
            )));
        };
        *counted.lock().unwrap_or_else(|e| e.into_inner()) = Some(connection);
    }
    let loaders = Loaders::for_shared_runtime(&gql.svc, &caller);
    // A subscription lives long: its `Task.list` must not come from a cache filled long ago.
    loaders.lists.enable_all_cache(false);
    let mut data = Data::default();
    data.insert(Connection {
        token,
        active: Arc::new(AtomicUsize::new(0)),
        max_subscriptions: gql.ws.max_subscriptions,
    });
    data.insert(loaders);
    data.insert(caller);
    data.insert(gql.svc.clone());
    Ok(data)
}

/// Runs subscriptions only, after the same document checks as `POST /graphql`.
#[derive(Clone)]
struct SubscriptionsOnly {
    schema: TodoSchema,
    limits: DocumentLimits,
}

impl Executor for SubscriptionsOnly {
    async fn execute(&self, _request: async_graphql::Request) -> async_graphql::Response {
        refused("Send queries and mutations to POST /graphql")
    }

    fn execute_stream(
        &self,
        mut request: async_graphql::Request,
        session: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        let operation = request.operation_name.clone();
        if let Ok(doc) = request.parsed_query() {
            let kind = chosen_operation(doc, operation.as_deref());
            metrics::counter!("graphql_operations_total", "type" => super::http::kind_label(kind))
                .increment(1);
            if kind.is_some_and(|k| k != OperationType::Subscription) {
                let message = "Only subscriptions run on /graphql/ws; send queries and mutations \
                               to POST /graphql";
                return futures_util::stream::once(async move { refused(message) }).boxed();
            }
            if let Err(message) = self.limits.check(doc, operation.as_deref()) {
                let refusal = answer::coded(message, "VALIDATION_ERROR");
                return futures_util::stream::once(async move { refusal }).boxed();
            }
        }
        let limits = self.limits;
        Executor::execute_stream(&self.schema, request, session)
            .map(move |mut response| {
                answer::tag_errors(&mut response, &limits);
                response
            })
            .boxed()
    }
}

fn refused(message: &str) -> async_graphql::Response {
    answer::coded(message.to_owned(), "VALIDATION_ERROR")
}
