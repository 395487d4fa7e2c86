//! Shared test harness: the real binary, driven by rmcp's own client over
//! stdio, Streamable HTTP or legacy SSE, against the in-process sandbox,
//! which records every upstream request. Loopback only.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// MCP logging is deprecated by SEP-2577; handshake clients still use it.
#![allow(deprecated)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leads_mcp_sandbox::{Recorded, Sandbox};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, Implementation, LoggingMessageNotificationParam,
    ProgressNotificationParam, ProtocolVersion,
};
use rmcp::service::{
    ClientLifecycleMode, ClientServiceExt, NotificationContext, RequestContext, RunningService,
};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, ErrorData as McpError, RoleClient};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub mod checks;
pub mod every_tool;

pub use checks::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_leads-mcp");

/// What the simulated human answers to a confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Human {
    /// The client does not declare elicitation.
    CannotElicit,
    Accepts,
    Declines,
    /// Accepts the form but leaves `confirm` false.
    Unticks,
}

/// An MCP client with a scripted human behind it.
#[derive(Clone)]
pub struct TestClient {
    pub human: Human,
    /// Every confirmation message the human was shown.
    pub asked: Arc<Mutex<Vec<String>>>,
    pub progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    /// Every `notifications/message` the server sent.
    pub logs: Arc<Mutex<Vec<LoggingMessageNotificationParam>>>,
}

impl TestClient {
    pub fn new(human: Human) -> Self {
        Self {
            human,
            asked: Arc::default(),
            progress: Arc::default(),
            logs: Arc::default(),
        }
    }

    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl ClientHandler for TestClient {
    fn get_info(&self) -> ClientConfig {
        let caps = match self.human {
            Human::CannotElicit => ClientCapabilities::default(),
            _ => ClientCapabilities::builder().enable_elicitation().build(),
        };
        ClientConfig::new(caps, Implementation::new("leads-mcp-tests", "1.0.0"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _ctx: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            self.asked.lock().unwrap().push(message.clone());
        }
        let (action, content) = match self.human {
            Human::Accepts => (ElicitationAction::Accept, Some(json!({"confirm": true}))),
            Human::Unticks => (ElicitationAction::Accept, Some(json!({"confirm": false}))),
            Human::Declines | Human::CannotElicit => (ElicitationAction::Decline, None),
        };
        let mut result = ElicitResult::new(action);
        result.content = content;
        Ok(result)
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _ctx: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _ctx: NotificationContext<RoleClient>,
    ) {
        self.logs.lock().unwrap().push(params);
    }
}

/// Which protocol generation the client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// `initialize` handshake (2025-11-25).
    Handshake,
    /// No handshake: `_meta` on every request (2026-07-28).
    Modern,
}

fn lifecycle(era: Era) -> ClientLifecycleMode {
    match era {
        Era::Handshake => ClientLifecycleMode::Initialize,
        Era::Modern => ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    }
}

pub type Client = RunningService<RoleClient, TestClient>;

/// The sandbox as the upstream, and the env that points the server at it.
pub struct Upstream {
    pub sandbox: Sandbox,
}

impl Upstream {
    pub async fn start() -> Self {
        Self {
            sandbox: Sandbox::start().await.unwrap(),
        }
    }

    /// `<VENDOR>_BASE_URL` + the sandbox's full key for every vendor.
    pub fn env(&self) -> Vec<(String, String)> {
        self.sandbox.env()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.sandbox.take_requests()
    }

    /// The one request recorded since the last look.
    pub fn only_request(&self) -> Recorded {
        let mut all = self.requests();
        assert_eq!(
            all.len(),
            1,
            "expected exactly one upstream request, got {all:#?}"
        );
        all.remove(0)
    }
}

fn command(args: &[&str], env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(BIN);
    // Only what the test gives: a developer's real keys must never leak in.
    cmd.env_clear().args(args).kill_on_drop(true);
    if !env.iter().any(|(k, _)| k == "RUST_LOG") {
        cmd.env("RUST_LOG", "warn");
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// The server over stdio, with `args` before `stdio`, and its stderr when `capture_stderr`.
pub async fn stdio_with(
    args: &[&str],
    env: &[(String, String)],
    client: TestClient,
    era: Era,
    capture_stderr: bool,
) -> (Client, Option<tokio::process::ChildStderr>) {
    let mut all_args: Vec<&str> = args.to_vec();
    all_args.push("stdio");
    let (transport, stderr) = TokioChildProcess::builder(command(&all_args, env))
        .stderr(if capture_stderr {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .unwrap();
    let service = client
        .serve_with_lifecycle(transport, lifecycle(era))
        .await
        .unwrap();
    (service, stderr)
}

pub async fn stdio(
    args: &[&str],
    env: &[(String, String)],
    client: TestClient,
    era: Era,
) -> Client {
    stdio_with(args, env, client, era, false).await.0
}

/// The server over stdio for a client with `human` behind it, and that client's handler.
pub async fn stdio_as(
    args: &[&str],
    env: &[(String, String)],
    human: Human,
    era: Era,
) -> (Client, TestClient) {
    let handler = TestClient::new(human);
    (stdio(args, env, handler.clone(), era).await, handler)
}

/// A running `leads-mcp http` and its address.
pub struct HttpServer {
    pub child: Child,
    pub base: String,
}

/// Starts `leads-mcp http --listen 127.0.0.1:0` and waits for its address.
pub async fn http_server(args: &[&str], env: &[(String, String)]) -> HttpServer {
    http_server_on(args, env, "127.0.0.1:0").await
}

/// Starts `leads-mcp http --listen <listen>` and waits for its address.
pub async fn http_server_on(args: &[&str], env: &[(String, String)], listen: &str) -> HttpServer {
    let mut all_args: Vec<&str> = args.to_vec();
    all_args.extend(["http", "--listen", listen]);
    let mut child = command(&all_args, env)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let base = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("listening on ").nth(1) {
                return rest.split_whitespace().next().unwrap().to_string();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .unwrap();
    // Keep draining stderr so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    HttpServer { child, base }
}

pub async fn http_client(server: &HttpServer, client: TestClient, era: Era) -> Client {
    leads_mcp::upstream::install_crypto_provider();
    let transport = StreamableHttpClientTransport::from_uri(format!("{}/mcp", server.base));
    client
        .serve_with_lifecycle(transport, lifecycle(era))
        .await
        .unwrap()
}

pub fn args(v: Value) -> Option<serde_json::Map<String, Value>> {
    v.as_object().cloned()
}

/// Calls a tool (driving 2026 input_required rounds) and returns the result.
pub async fn call(client: &Client, name: &str, arguments: Value) -> CallToolResult {
    let mut params = CallToolRequestParams::new(name.to_string());
    params.arguments = args(arguments);
    client.call_tool(params).await.unwrap()
}

/// The structured content of a result.
pub fn structured(r: &CallToolResult) -> Value {
    r.structured_content.clone().unwrap_or(Value::Null)
}

/// Every text block of a result, joined.
pub fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn is_error(r: &CallToolResult) -> bool {
    r.is_error == Some(true)
}

/// Env with the sandbox's base URLs but the given LeadPanther key, and no
/// other vendor's credentials.
pub fn with_key(up: &Upstream, key: Option<&str>) -> Vec<(String, String)> {
    with_credential(up, "LEADPANTHER_API_KEY", key)
}

/// Env with the sandbox's base URLs, and of all credentials only `name`
/// (when `value` is given).
pub fn with_credential(up: &Upstream, name: &str, value: Option<&str>) -> Vec<(String, String)> {
    let pairs: Vec<(&str, &str)> = value.map(|v| (name, v)).into_iter().collect();
    with_credentials(up, &pairs)
}

/// Env with the sandbox's base URLs, and of all credentials only `pairs`.
pub fn with_credentials(up: &Upstream, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = base_urls(up);
    env.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

/// Only the sandbox's `<VENDOR>_BASE_URL` variables: no vendor is configured.
pub fn base_urls(up: &Upstream) -> Vec<(String, String)> {
    up.env()
        .into_iter()
        .filter(|(k, _)| k.ends_with("_BASE_URL"))
        .collect()
}

/// How the client reaches the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Stdio,
    StreamableHttp,
    /// HTTP+SSE (2024-11-05): a handshake client only.
    LegacySse,
}

/// Every transport in every protocol generation it speaks.
pub const EVERY_TRANSPORT: [(Transport, Era); 5] = [
    (Transport::Stdio, Era::Handshake),
    (Transport::Stdio, Era::Modern),
    (Transport::StreamableHttp, Era::Handshake),
    (Transport::StreamableHttp, Era::Modern),
    (Transport::LegacySse, Era::Handshake),
];

/// A fresh server with `args` and `env`, and a client of `era` with
/// `handler` connected to it over `transport`. The HTTP server, when there
/// is one, runs as long as it is kept.
pub async fn connect(
    transport: Transport,
    era: Era,
    args: &[&str],
    env: &[(String, String)],
    handler: TestClient,
) -> (Client, Option<HttpServer>) {
    assert!(
        transport != Transport::LegacySse || era == Era::Handshake,
        "legacy SSE has no 2026 generation"
    );
    match transport {
        Transport::Stdio => (stdio(args, env, handler, era).await, None),
        Transport::StreamableHttp => {
            let server = http_server(args, env).await;
            (http_client(&server, handler, era).await, Some(server))
        }
        Transport::LegacySse => {
            let server = http_server(args, env).await;
            let client = legacy_sse_client(&server.base, handler, &[]).await;
            (client, Some(server))
        }
    }
}

/// A legacy HTTP+SSE (2024-11-05) client transport, since rmcp 3.x has none:
/// `GET /sse`, wait for the `endpoint` event, then POST every message there.
pub async fn legacy_sse_client(base: &str, client: TestClient, headers: &[(&str, &str)]) -> Client {
    use futures::{SinkExt, StreamExt};
    use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};

    leads_mcp::upstream::install_crypto_provider();
    let mut default_headers = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        default_headers.insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            reqwest::header::HeaderValue::from_str(v).unwrap(),
        );
    }
    let http = reqwest::Client::builder()
        .default_headers(default_headers)
        .build()
        .unwrap();
    let response = http
        .get(format!("{base}/sse"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (event_tx, mut events) = futures::channel::mpsc::unbounded::<(String, String)>();
    let mut body = response.bytes_stream();
    tokio::spawn(async move {
        let mut buffer = String::new();
        let (mut event, mut data) = (String::new(), String::new());
        while let Some(Ok(chunk)) = body.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find('\n') {
                let line = buffer[..end].trim_end_matches('\r').to_string();
                buffer.drain(..=end);
                if line.is_empty() {
                    if !data.is_empty()
                        && event_tx
                            .unbounded_send((std::mem::take(&mut event), std::mem::take(&mut data)))
                            .is_err()
                    {
                        return;
                    }
                } else if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
        }
    });
    let (kind, endpoint) = events.next().await.unwrap();
    assert_eq!(kind, "endpoint");
    let post_url = format!("{base}{endpoint}");
    let incoming = events
        .filter_map(|(kind, data)| async move {
            (kind == "message")
                .then(|| serde_json::from_str::<ServerJsonRpcMessage>(&data).ok())
                .flatten()
        })
        .boxed();
    let (outgoing, mut to_post) = futures::channel::mpsc::channel::<ClientJsonRpcMessage>(16);
    tokio::spawn(async move {
        while let Some(message) = to_post.next().await {
            let status = http
                .post(&post_url)
                .json(&message)
                .send()
                .await
                .map(|r| r.status());
            assert_eq!(status.unwrap(), 202);
        }
    });
    let sink = outgoing.sink_map_err(|e| std::io::Error::other(e.to_string()));
    use rmcp::ServiceExt;
    client.serve((sink, incoming)).await.unwrap()
}

/// A canned answer of `vendor`'s simulation for the next `times` requests
/// matching `method` + `path`.
pub fn vendor_fault(
    vendor: &str,
    method: &str,
    path: &str,
    status: u16,
    body: Value,
    headers: &[(&str, &str)],
    times: usize,
) -> leads_mcp_sandbox::Fault {
    leads_mcp_sandbox::Fault {
        vendor: vendor.into(),
        method: method.into(),
        path: path.into(),
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body,
        times,
        ..Default::default()
    }
}

/// The names of the tools the server lists, in its order.
pub async fn tool_names(client: &Client) -> Vec<String> {
    client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect()
}

/// `METHOD /path?query` of each request, for messages.
pub fn lines(reqs: &[Recorded]) -> Vec<String> {
    reqs.iter()
        .map(|r| match &r.query {
            Some(q) => format!("{} {}?{q}", r.method, r.path),
            None => format!("{} {}", r.method, r.path),
        })
        .collect()
}
