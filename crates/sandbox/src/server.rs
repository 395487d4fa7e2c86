//! The sandbox server: every simulation mounted on one loopback port, with
//! each request recorded (method, path, query, headers, body) so tests can
//! assert exactly what went upstream, and faults injected where tests ask.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::kit::Simulation;
use crate::{leadgenius, leadmetrics, leadpanther, leadspro, leadsrover};

/// The simulations, one per vendor that has one.
pub static SIMULATIONS: &[Simulation] = &[
    leadpanther::SIMULATION,
    leadsrover::SIMULATION,
    leadgenius::SIMULATION,
    leadspro::SIMULATION,
    leadmetrics::SIMULATION,
];

/// One request as the sandbox received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub vendor: String,
    pub method: String,
    /// The path below the vendor's mount, e.g. `/api/v1/posts`.
    pub path: String,
    pub query: Option<String>,
    /// Lower-case names; the last value of each.
    pub headers: BTreeMap<String, String>,
    pub body: Option<Value>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// A canned answer for the next `times` requests matching `method` + `path`.
#[derive(Debug, Clone, Default)]
pub struct Fault {
    pub vendor: String,
    pub method: String,
    /// The path below the vendor's mount, as in [`Recorded::path`].
    pub path: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub times: usize,
    /// Sent as it is instead of `body` (a broken or non-JSON answer);
    /// the headers say its Content-Type, if any.
    pub raw_body: Option<String>,
    /// Waited out before answering (a slow or hung vendor).
    pub delay: Option<std::time::Duration>,
}

#[derive(Default)]
struct Shared {
    recorded: Mutex<Vec<Recorded>>,
    faults: Mutex<Vec<Fault>>,
    /// `vendor path` of every event-stream response whose body ended:
    /// finished, or dropped because the client went away.
    closed_streams: Mutex<Vec<String>>,
}

/// Notes the end of an event-stream response body when dropped.
struct StreamEnd {
    shared: Arc<Shared>,
    what: String,
}

impl Drop for StreamEnd {
    fn drop(&mut self) {
        if let Ok(mut closed) = self.shared.closed_streams.lock() {
            closed.push(std::mem::take(&mut self.what));
        }
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Largest request body the sandbox reads.
const MAX_BODY: usize = 4 * 1024 * 1024;

impl Sandbox {
    /// Starts every simulation on `127.0.0.1` with a free port.
    pub async fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let mut app = Router::new();
        for sim in SIMULATIONS {
            app = app.nest(&format!("/{}{}", sim.vendor, sim.base_path), (sim.router)());
        }
        let app = app
            .fallback(|| async { (StatusCode::NOT_FOUND, "no such vendor in the sandbox") })
            .layer(middleware::from_fn_with_state(
                shared.clone(),
                record_and_inject,
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                // Under the server's target, which its default log filter
                // (`leads_mcp=…`, documented for RUST_LOG) lets through.
                tracing::error!(target: "leads_mcp::sandbox", "sandbox stopped: {e}");
            }
        });
        Ok(Self { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL that points `vendor` at this sandbox.
    pub fn base_url(&self, vendor: &str) -> Option<String> {
        SIMULATIONS
            .iter()
            .find(|s| s.vendor == vendor)
            .map(|s| format!("http://{}/{}{}", self.addr, s.vendor, s.base_path))
    }

    /// Every vendor variable `--sandbox` sets: base URLs and sandbox keys.
    pub fn env(&self) -> Vec<(String, String)> {
        SIMULATIONS
            .iter()
            .flat_map(|s| (s.env)(&format!("http://{}/{}{}", self.addr, s.vendor, s.base_path)))
            .collect()
    }

    /// The requests received so far, oldest first; clears the record.
    pub fn take_requests(&self) -> Vec<Recorded> {
        self.shared
            .recorded
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }

    /// `vendor path` of the event streams that have ended so far (the
    /// vendor closed them, or the client dropped the connection).
    pub fn closed_streams(&self) -> Vec<String> {
        self.shared
            .closed_streams
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    pub fn inject(&self, fault: Fault) {
        if let Ok(mut faults) = self.shared.faults.lock() {
            faults.push(fault);
        }
    }
}

async fn record_and_inject(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
    };
    let full_path = parts.uri.path().to_string();
    let mut segments = full_path.trim_start_matches('/').splitn(2, '/');
    let vendor = segments.next().unwrap_or("").to_string();
    let path = format!("/{}", segments.next().unwrap_or(""));
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).to_string(),
            )
        })
        .collect();
    let body = if bytes.is_empty() {
        None
    } else {
        Some(
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).to_string())),
        )
    };
    let method = parts.method.as_str().to_string();
    if let Ok(mut recorded) = shared.recorded.lock() {
        recorded.push(Recorded {
            vendor: vendor.clone(),
            method: method.clone(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_string),
            headers,
            body,
        });
    }
    let fault = shared.faults.lock().ok().and_then(|mut faults| {
        let i = faults.iter().position(|f| {
            f.vendor == vendor && f.method == method && f.path == path && f.times > 0
        })?;
        faults[i].times -= 1;
        let fault = faults[i].clone();
        if faults[i].times == 0 {
            faults.remove(i);
        }
        Some(fault)
    });
    if let Some(fault) = fault {
        if let Some(delay) = fault.delay {
            tokio::time::sleep(delay).await;
        }
        let status =
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = match fault.raw_body {
            Some(raw) => (status, raw).into_response(),
            None => (status, axum::Json(fault.body)).into_response(),
        };
        for (k, v) in fault.headers {
            if let (Ok(name), Ok(value)) = (
                k.parse::<axum::http::HeaderName>(),
                HeaderValue::from_str(&v),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        return response;
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let is_stream = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if !is_stream {
        return response;
    }
    let end = StreamEnd {
        shared,
        what: format!("{vendor} {path}"),
    };
    let (parts, body) = response.into_parts();
    let body = futures::StreamExt::map(body.into_data_stream(), move |chunk| {
        let _ = &end;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}
