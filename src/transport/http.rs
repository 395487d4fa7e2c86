//! `leads-mcp http`: Streamable HTTP at `/mcp` (sessions for handshake
//! clients, stateless for 2026-07-28 clients), legacy HTTP+SSE at `/sse` +
//! `/message`, and `/health`.
//!
//! Every route checks `Host` and `Origin` (DNS-rebinding protection), and
//! all but `/health` the bearer token when one is set. A non-loopback
//! address is only served with a token. `POST /mcp` bodies are checked as
//! JSON-RPC first (400 with a JSON-RPC error for what can't be served), and
//! a new session needs a free slot.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use rmcp::model::{ClientJsonRpcMessage, ClientRequest, ErrorCode};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use secrecy::ExposeSecret;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::config::HttpConfig;
use crate::server::{LeadsServer, Served};
use crate::transport::jsonrpc::{self, Fault};
use crate::transport::sessions::{Sessions, Slots};
use crate::transport::{legacy_sse, listener};

/// The largest `POST /mcp` body read (rmcp's own limit).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Who may reach the server: the rules of the security middleware.
#[derive(Clone)]
pub struct Access {
    hosts: Arc<Vec<String>>,
    origins: Arc<Vec<String>>,
    token: Option<Arc<secrecy::SecretString>>,
}

impl Access {
    pub fn new(config: &HttpConfig) -> Self {
        let mut hosts = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        let ip = config.listen.ip();
        if !ip.is_loopback() && !ip.is_unspecified() {
            hosts.push(ip.to_string());
        }
        hosts.extend(config.allowed_hosts.iter().map(|h| h.to_ascii_lowercase()));
        let origins = config
            .allowed_origins
            .iter()
            .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
            .collect();
        Self {
            hosts: Arc::new(hosts),
            origins: Arc::new(origins),
            token: config.token.clone().map(Arc::new),
        }
    }

    /// The host name of a `Host` header, without port or IPv6 brackets.
    fn host_name(value: &str) -> String {
        let value = value.trim().to_ascii_lowercase();
        if let Some(rest) = value.strip_prefix('[') {
            return rest.split(']').next().unwrap_or("").to_string();
        }
        value.rsplit_once(':').map_or(value.clone(), |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                h.to_string()
            } else {
                value.clone()
            }
        })
    }

    fn host_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        self.hosts.contains(&Self::host_name(host))
    }

    /// No `Origin` (not a browser) passes; a browser origin must be loopback
    /// or configured.
    fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.origins.contains(&origin) {
            return true;
        }
        let Ok(url) = url::Url::parse(&origin) else {
            return false;
        };
        matches!(url.scheme(), "http" | "https")
            && match url.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            }
    }

    fn token_ok(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.token else {
            return true;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        constant_time_eq(given.as_bytes(), expected.expose_secret().as_bytes())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn check_access(State(access): State<Access>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if headers.get_all(header::HOST).iter().count() > 1 {
        return (StatusCode::BAD_REQUEST, "more than one Host header").into_response();
    }
    if !access.host_allowed(headers) {
        return (
            StatusCode::FORBIDDEN,
            "Host not allowed (DNS-rebinding protection); see LEADS_MCP_ALLOWED_HOSTS",
        )
            .into_response();
    }
    if !access.origin_allowed(headers) {
        return (
            StatusCode::FORBIDDEN,
            "Origin not allowed; see LEADS_MCP_ALLOWED_ORIGINS",
        )
            .into_response();
    }
    if request.uri().path() != "/health" && !access.token_ok(headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "missing or wrong bearer token (LEADS_MCP_HTTP_TOKEN)",
        )
            .into_response();
    }
    next.run(request).await
}

async fn health(State(served): State<Arc<Served>>) -> impl IntoResponse {
    let mut vendors: Vec<&String> = served.pipeline.vendor_names().collect();
    vendors.sort();
    axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "vendors": vendors,
        "tools": served.tools.len(),
    }))
}

fn json_rpc_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// What `/mcp` checks before rmcp: the body is one JSON-RPC message rmcp
/// can serve, a new session has a free slot, a DELETE names a session.
async fn mcp_gate(State(slots): State<Arc<Slots>>, request: Request, next: Next) -> Response {
    let session = request
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if request.method() == Method::DELETE {
        if let Some(id) = &session
            && !slots.contains(id)
        {
            return (StatusCode::NOT_FOUND, "Not Found: Session not found").into_response();
        }
        return next.run(request).await;
    }
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if request.method() != Method::POST || !is_json {
        // rmcp answers these (405, 406, 415).
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) if bytes.len() + chunk.len() <= MAX_BODY_BYTES => {
                bytes.extend_from_slice(&chunk);
            }
            Ok(_) => {
                return (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("Payload Too Large: request body exceeds {MAX_BODY_BYTES} bytes"),
                )
                    .into_response();
            }
            Err(e) => {
                return (
                    StatusCode::BAD_REQUEST,
                    format!("cannot read the request body: {e}"),
                )
                    .into_response();
            }
        }
    }
    let known_session = session.as_deref().is_some_and(|id| slots.contains(id));
    let message = match jsonrpc::classify(&bytes) {
        Ok(message) => message,
        Err(fault) if fault.is_bad_request() => {
            return json_rpc_response(StatusCode::BAD_REQUEST, fault.to_json());
        }
        // A request for an unknown session is rmcp's to answer (404).
        Err(fault) if session.is_none() || known_session => {
            return json_rpc_response(StatusCode::OK, fault.to_json());
        }
        Err(_) => None,
    };
    let mut _reservation = None;
    if session.is_none()
        && let Some(ClientJsonRpcMessage::Request(request)) = &message
        && let ClientRequest::InitializeRequest(_) = &request.request
    {
        match slots.reserve() {
            Some(slot) => _reservation = Some(slot),
            None => {
                tracing::warn!(cap = slots.cap(), "refused a session: every slot is taken");
                let fault = Fault {
                    id: Some(request.id.clone()),
                    code: ErrorCode(-32000),
                    message: format!(
                        "too many open sessions ({} at most, LEADS_MCP_MAX_SESSIONS): end one with DELETE /mcp, or retry once an idle one expires ({} s without a message, LEADS_MCP_SESSION_IDLE_SECS)",
                        slots.cap(),
                        slots.idle().as_secs()
                    ),
                };
                let mut response =
                    json_rpc_response(StatusCode::SERVICE_UNAVAILABLE, fault.to_json());
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
                return response;
            }
        }
    }
    // The slot stays held until rmcp has made the session (or failed to).
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The whole HTTP app.
pub fn app(served: Arc<Served>, config: &HttpConfig, shutdown: CancellationToken) -> Router {
    let factory_served = served.clone();
    let mcp_config = StreamableHttpServerConfig::default()
        // Host and Origin are checked by `check_access` for every route.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(MAX_BODY_BYTES)
        .with_cancellation_token(shutdown);
    let slots = Slots::new(config.limits.max_sessions, config.limits.session_idle);
    let mcp = StreamableHttpService::new(
        move || Ok(LeadsServer::new(factory_served.clone())),
        Sessions::new(slots.clone()).into(),
        mcp_config,
    );
    let mcp = Router::new()
        .fallback_service(mcp)
        .layer(middleware::from_fn_with_state(slots, mcp_gate));
    Router::new()
        .route("/health", get(health))
        .with_state(served.clone())
        .nest_service("/mcp", mcp)
        .merge(legacy_sse::router(served))
        .layer(middleware::from_fn_with_state(
            Access::new(config),
            check_access,
        ))
}

fn is_loopback(ip: IpAddr) -> bool {
    ip.is_loopback()
}

pub async fn serve(served: Arc<Served>, config: HttpConfig) -> Result<(), String> {
    if !is_loopback(config.listen.ip()) && config.token.is_none() {
        return Err(format!(
            "listening on {} (not loopback) needs LEADS_MCP_HTTP_TOKEN: set it to a long random string and send it as `Authorization: Bearer …`",
            config.listen
        ));
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
    let shutdown = CancellationToken::new();
    let app = app(served, &config, shutdown.clone());
    eprintln!(
        "leads-mcp: listening on http://{addr} (Streamable HTTP /mcp, legacy SSE /sse, health /health)"
    );
    let signal = shutdown.clone();
    listener::serve(listener, app, &config.limits, async move {
        wait_for_signal().await;
        signal.cancel();
    })
    .await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn access(token: Option<&str>) -> Access {
        let config = HttpConfig {
            listen: "127.0.0.1:8765".parse().unwrap(),
            token: token.map(|t| secrecy::SecretString::from(t.to_string())),
            allowed_hosts: vec!["mcp.example.com".into()],
            allowed_origins: vec!["https://app.example.com".into()],
            limits: Default::default(),
        };
        Access::new(&config)
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn hosts() {
        let a = access(None);
        for ok in [
            "localhost:8765",
            "127.0.0.1:8765",
            "[::1]:8765",
            "mcp.example.com",
            "LOCALHOST",
        ] {
            assert!(a.host_allowed(&headers(&[(header::HOST, ok)])), "{ok}");
        }
        for bad in [
            "evil.example:8765",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
        ] {
            assert!(!a.host_allowed(&headers(&[(header::HOST, bad)])), "{bad}");
        }
        assert!(!a.host_allowed(&HeaderMap::new()));
    }

    #[test]
    fn origins() {
        let a = access(None);
        assert!(a.origin_allowed(&HeaderMap::new()));
        for ok in [
            "http://localhost:6274",
            "http://127.0.0.1",
            "https://app.example.com",
        ] {
            assert!(a.origin_allowed(&headers(&[(header::ORIGIN, ok)])), "{ok}");
        }
        for bad in [
            "http://evil.example",
            "null",
            "https://app.example.com.evil.example",
            "file://localhost",
        ] {
            assert!(
                !a.origin_allowed(&headers(&[(header::ORIGIN, bad)])),
                "{bad}"
            );
        }
    }

    #[test]
    fn bearer_token() {
        let a = access(Some("0123456789abcdef0123"));
        assert!(a.token_ok(&headers(&[(
            header::AUTHORIZATION,
            "Bearer 0123456789abcdef0123"
        )])));
        assert!(!a.token_ok(&headers(&[(
            header::AUTHORIZATION,
            "Bearer 0123456789abcdef0124"
        )])));
        assert!(!a.token_ok(&HeaderMap::new()));
        assert!(access(None).token_ok(&HeaderMap::new()));
    }
}
