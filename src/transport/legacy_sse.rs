//! Legacy HTTP+SSE (protocol 2024-11-05): `GET /sse` opens a stream whose
//! first event names the POST endpoint, `POST /message?sessionId=…` carries
//! the client's messages. rmcp 3.x dropped this transport, so it is rebuilt
//! on rmcp's (Sink, Stream) transport with one channel pair per session.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use futures::channel::mpsc;
use futures::{SinkExt, Stream, StreamExt};
use rmcp::ServiceExt;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use serde::Deserialize;

use crate::server::{LeadsServer, Served};

/// Open legacy sessions at most; more get 503 rather than unbounded memory.
const MAX_SESSIONS: usize = 256;

type Sessions = Arc<Mutex<HashMap<String, mpsc::Sender<ClientJsonRpcMessage>>>>;

#[derive(Clone)]
struct SseState {
    served: Arc<Served>,
    sessions: Sessions,
}

/// `/sse` and `/message`.
pub fn router(served: Arc<Served>) -> Router {
    let state = SseState {
        served,
        sessions: Arc::default(),
    };
    Router::new()
        .route("/sse", get(open_stream))
        .route("/message", post(client_message))
        .with_state(state)
}

/// Removes the session when its stream is dropped (the client went away),
/// which closes the client→server channel and so ends the MCP service.
struct SessionGuard {
    sessions: Sessions,
    id: String,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(&self.id);
        }
    }
}

async fn open_stream(State(state): State<SseState>) -> axum::response::Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (c2s_tx, c2s_rx) = mpsc::channel::<ClientJsonRpcMessage>(64);
    let (s2c_tx, s2c_rx) = mpsc::channel::<ServerJsonRpcMessage>(64);
    {
        let Ok(mut sessions) = state.sessions.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        if sessions.len() >= MAX_SESSIONS {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "too many open SSE sessions",
            )
                .into_response();
        }
        sessions.insert(id.clone(), c2s_tx);
    }
    let server = LeadsServer::new(state.served.clone());
    let session = id.clone();
    tokio::spawn(async move {
        // serve() waits for `initialize`, so it runs beside the stream.
        match server.serve((s2c_tx, c2s_rx)).await {
            Ok(running) => {
                let _ = running.waiting().await;
            }
            Err(e) => tracing::debug!(%session, "legacy SSE session ended before it started: {e}"),
        }
    });
    let guard = SessionGuard {
        sessions: state.sessions.clone(),
        id: id.clone(),
    };
    let endpoint = Event::default()
        .event("endpoint")
        .data(format!("/message?sessionId={id}"));
    let messages = s2c_rx.map(move |message| {
        let _keep = &guard;
        let data = serde_json::to_string(&message).unwrap_or_default();
        Ok::<_, Infallible>(Event::default().event("message").data(data))
    });
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(futures::stream::once(async move { Ok(endpoint) }).chain(messages));
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

#[derive(Deserialize)]
struct SessionQuery {
    #[serde(rename = "sessionId")]
    session_id: String,
}

async fn client_message(
    State(state): State<SseState>,
    Query(query): Query<SessionQuery>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let message: ClientJsonRpcMessage = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("not a JSON-RPC message: {e}"),
            )
                .into_response();
        }
    };
    let sender = state
        .sessions
        .lock()
        .ok()
        .and_then(|s| s.get(&query.session_id).cloned());
    let Some(mut sender) = sender else {
        return (StatusCode::NOT_FOUND, "unknown or closed session").into_response();
    };
    match sender.send(message).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(_) => (StatusCode::GONE, "session closed").into_response(),
    }
}
