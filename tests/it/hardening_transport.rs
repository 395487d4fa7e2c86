//! Hostile and careless clients at the transport (issue 10, items 1, 2, 6,
//! 7, 8, 10): idle and slow sockets, the connection and session caps,
//! request ids reused while in flight, stray notifications before
//! `initialize`, the JSON-RPC error each malformed message calls for, and
//! the HTTP details. Raw sockets and raw JSON lines, loopback only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;
use std::time::Duration;

use crate::common::*;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const TOKEN: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn http() -> reqwest::Client {
    leads_mcp::upstream::install_crypto_provider();
    reqwest::Client::new()
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn addr(server: &HttpServer) -> String {
    server.base.trim_start_matches("http://").to_string()
}

fn initialize(id: i64, elicit: bool) -> Value {
    let capabilities = if elicit {
        json!({"elicitation": {}})
    } else {
        json!({})
    };
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": capabilities,
        "clientInfo": {"name": "raw", "version": "1"}}})
}

fn initialized() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

/// POSTs one body to `/mcp`, with the session when given.
async fn post(
    server: &HttpServer,
    session: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut req = http()
        .post(format!("{}/mcp", server.base))
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body);
    if let Some(s) = session {
        req = req.header("mcp-session-id", s);
    }
    req.send().await.unwrap()
}

/// The JSON-RPC messages of an SSE answer, as they come.
fn sse(response: reqwest::Response) -> futures::stream::BoxStream<'static, Value> {
    let (tx, rx) = futures::channel::mpsc::unbounded();
    let mut body = response.bytes_stream();
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find('\n') {
                let line = buffer[..end].trim_end_matches('\r').to_string();
                buffer.drain(..=end);
                if let Some(data) = line.strip_prefix("data:")
                    && let Ok(v) = serde_json::from_str::<Value>(data.trim_start())
                    && tx.unbounded_send(v).is_err()
                {
                    return;
                }
            }
        }
    });
    rx.boxed()
}

async fn next(stream: &mut futures::stream::BoxStream<'static, Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .expect("no message within 20 s")
        .expect("the stream ended")
}

/// Opens a session over raw HTTP and returns its id.
async fn open_session(server: &HttpServer, elicit: bool) -> String {
    let r = post(server, None, initialize(1, elicit).to_string()).await;
    assert_eq!(r.status(), 200);
    let id = r.headers()["mcp-session-id"].to_str().unwrap().to_string();
    let mut messages = sse(r);
    assert_eq!(next(&mut messages).await["id"], 1);
    let r = post(server, Some(&id), initialized().to_string()).await;
    assert_eq!(r.status(), 202);
    id
}

/// Whether the server closes `stream` within `within` (EOF or reset).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                // An error answer (e.g. 408) before the close is fine.
                Ok(_) => continue,
            }
        }
    })
    .await;
    read.is_ok()
}

// ---- item 1: idle sockets, slow headers, the connection cap ----

#[tokio::test]
async fn idle_sockets_and_slow_headers_are_cut_off() {
    let server = http_server(
        &["--sandbox"],
        &env(&[
            ("LEADS_MCP_HEADER_TIMEOUT_SECS", "1"),
            ("LEADS_MCP_IDLE_TIMEOUT_SECS", "2"),
        ]),
    )
    .await;
    // A socket that never says anything.
    let mut idle = TcpStream::connect(addr(&server)).await.unwrap();
    // A slowloris: a header line every 300 ms, never the blank line.
    let mut slow = TcpStream::connect(addr(&server)).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let drip = tokio::spawn(async move {
        for i in 0..40 {
            if slow
                .write_all(format!("X-Drip-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                return (slow, true);
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        (slow, false)
    });
    assert!(
        closed_within(&mut idle, Duration::from_secs(8)).await,
        "an idle socket stayed open"
    );
    let (mut slow, write_failed) = drip.await.unwrap();
    assert!(
        write_failed || closed_within(&mut slow, Duration::from_secs(1)).await,
        "a slowloris header was not cut off"
    );
    // A kept-alive connection is closed once idle, after its answer.
    let mut kept = TcpStream::connect(addr(&server)).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut kept, Duration::from_secs(8)).await);
}

#[tokio::test]
async fn an_open_stream_is_not_idle() {
    let server = http_server(
        &["--sandbox"],
        &env(&[
            ("LEADS_MCP_HEADER_TIMEOUT_SECS", "1"),
            ("LEADS_MCP_IDLE_TIMEOUT_SECS", "1"),
        ]),
    )
    .await;
    let client = legacy_sse_client(&server.base, TestClient::new(Human::CannotElicit), &[]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The SSE stream outlived both timeouts: answers still reach the client.
    let r = call(&client, "leadpanther_list_clients", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_client_is_served_while_idle_sockets_pile_up() {
    let server = http_server(
        &["--sandbox"],
        &env(&[
            ("LEADS_MCP_HTTP_TOKEN", TOKEN),
            ("LEADS_MCP_MAX_CONNECTIONS", "20"),
        ]),
    )
    .await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(addr(&server)).await.unwrap());
    }
    // The authenticated client gets a session and a tool answer.
    let r = http()
        .post(format!("{}/mcp", server.base))
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {TOKEN}"))
        .json(&initialize(1, false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut messages = sse(r);
    assert_eq!(
        next(&mut messages).await["result"]["serverInfo"]["name"],
        "leads-mcp"
    );
    // Past the cap the server closed the older idle sockets to make room.
    let closed = futures::future::join_all(
        idle.iter_mut()
            .map(|s| closed_within(s, Duration::from_secs(3))),
    )
    .await;
    let closed = closed.iter().filter(|c| **c).count();
    assert!(
        closed >= 170,
        "only {closed} of 200 idle sockets were closed"
    );
}

#[tokio::test]
async fn sigterm_still_shuts_down_gracefully() {
    let mut server = http_server(&["--sandbox"], &[]).await;
    let client = http_client(
        &server,
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
    )
    .await;
    assert!(!client.list_all_tools().await.unwrap().is_empty());
    let _idle = TcpStream::connect(addr(&server)).await.unwrap();
    let mut half = TcpStream::connect(addr(&server)).await.unwrap();
    half.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    let pid = server.child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    // Idle and half-sent connections don't hold the shutdown for its grace period.
    let status = tokio::time::timeout(Duration::from_secs(5), server.child.wait())
        .await
        .expect("the server did not stop within 5 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

// ---- item 2: the session cap and idle expiry ----

#[tokio::test]
async fn the_session_cap_answers_an_error_and_delete_frees_a_slot() {
    let server = http_server(&["--sandbox"], &env(&[("LEADS_MCP_MAX_SESSIONS", "2")])).await;
    let first = open_session(&server, false).await;
    let _second = open_session(&server, false).await;
    let r = post(&server, None, initialize(7, false).to_string()).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("mcp-session-id").is_none());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], 7);
    assert_eq!(body["error"]["code"], -32000);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("LEADS_MCP_MAX_SESSIONS"), "{message}");
    assert!(message.contains("DELETE /mcp"), "{message}");
    // Ending a session frees its slot.
    let r = http()
        .delete(format!("{}/mcp", server.base))
        .header("mcp-session-id", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let _third = open_session(&server, false).await;
    // The ended session is gone.
    let r = post(
        &server,
        Some(&first),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).to_string(),
    )
    .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn idle_sessions_expire_after_the_configured_time() {
    let server = http_server(
        &["--sandbox"],
        &env(&[
            ("LEADS_MCP_MAX_SESSIONS", "1"),
            ("LEADS_MCP_SESSION_IDLE_SECS", "1"),
        ]),
    )
    .await;
    let session = open_session(&server, false).await;
    let tools = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).to_string();
    assert_eq!(
        post(&server, Some(&session), tools.clone()).await.status(),
        200
    );
    // Full while it lives...
    assert_eq!(
        post(&server, None, initialize(3, false).to_string())
            .await
            .status(),
        503
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    // ...gone after a second without a message, and its slot is free.
    assert_eq!(post(&server, Some(&session), tools).await.status(), 404);
    let _next = open_session(&server, false).await;
}

// ---- item 6: request ids reused while in flight ----

fn reply_call(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
        "name": "leadsrover_reply_conversation",
        "arguments": {"id": 88, "message": "The team plan is $49/mo."}}})
}

#[tokio::test]
async fn a_reused_id_in_flight_is_refused_on_an_http_session() {
    let server = http_server(&["--sandbox"], &[]).await;
    let session = open_session(&server, true).await;
    // The call waits for the human: it stays in flight.
    let mut first = sse(post(&server, Some(&session), reply_call(5).to_string()).await);
    let ask = next(&mut first).await;
    assert_eq!(ask["method"], "elicitation/create", "{ask}");
    // Ten more with the same id: each gets its own error at once.
    let dups = futures::future::join_all((0..10).map(|_| async {
        let r = post(&server, Some(&session), reply_call(5).to_string()).await;
        assert_eq!(r.status(), 200);
        let all: Vec<Value> = sse(r).collect().await;
        all
    }))
    .await;
    for answers in dups {
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert_eq!(answers[0]["id"], 5);
        assert_eq!(answers[0]["error"]["code"], -32600);
        assert!(
            answers[0]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("in flight")
        );
    }
    // The human declines; the first call gets its own answer, once.
    let decline = json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "decline"}});
    assert_eq!(
        post(&server, Some(&session), decline.to_string())
            .await
            .status(),
        202
    );
    let answer = next(&mut first).await;
    assert_eq!(answer["id"], 5);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let end = tokio::time::timeout(Duration::from_secs(10), first.next()).await;
    assert!(
        matches!(end, Ok(None)),
        "the first stream stayed open: {end:?}"
    );
    // Answered, the id may be used again.
    let again: Vec<Value> = sse(post(
        &server,
        Some(&session),
        json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list"}).to_string(),
    )
    .await)
    .collect()
    .await;
    assert!(again[0]["result"]["tools"].is_array(), "{again:?}");
}

/// `leads-mcp --sandbox stdio` driven by raw lines.
struct RawStdio {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl RawStdio {
    fn start() -> Self {
        let mut child = tokio::process::Command::new(BIN)
            .env_clear()
            .env("RUST_LOG", "warn")
            .args(["--sandbox", "stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            stdout,
        }
    }

    async fn send_bytes(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).await.unwrap();
        self.stdin.write_all(b"\n").await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn send(&mut self, message: &Value) {
        self.send_bytes(message.to_string().as_bytes()).await;
    }

    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(20), self.stdout.next_line())
            .await
            .expect("no answer within 20 s")
            .unwrap()
            .expect("the server ended");
        serde_json::from_str(&line).unwrap()
    }

    async fn initialize(&mut self, elicit: bool) {
        self.send(&initialize(1, elicit)).await;
        let r = self.recv().await;
        assert_eq!(r["id"], 1, "{r}");
        assert!(r["result"]["serverInfo"].is_object(), "{r}");
        self.send(&initialized()).await;
    }

    async fn ping(&mut self, id: i64) {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "ping"}))
            .await;
        let r = self.recv().await;
        assert_eq!(
            (r["id"].clone(), r["result"].clone()),
            (json!(id), json!({}))
        );
    }
}

#[tokio::test]
async fn a_reused_id_in_flight_is_refused_on_stdio() {
    let mut s = RawStdio::start();
    s.initialize(true).await;
    s.send(&reply_call(5)).await;
    let ask = s.recv().await;
    assert_eq!(ask["method"], "elicitation/create", "{ask}");
    s.send(&reply_call(5)).await;
    let dup = s.recv().await;
    assert_eq!(
        (dup["id"].clone(), dup["error"]["code"].clone()),
        (json!(5), json!(-32600))
    );
    s.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "decline"}}))
        .await;
    let answer = s.recv().await;
    assert_eq!(answer["id"], 5);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    // Nothing else was answered for id 5; the id is free again.
    s.ping(5).await;
    drop(s.stdin);
    let _ = s.child.wait().await;
}

// ---- item 7: notifications before initialize ----

#[tokio::test]
async fn stray_notifications_before_initialize_are_ignored() {
    for first in [
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}),
        initialized(),
        json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": 1, "progress": 1}}),
    ] {
        let mut s = RawStdio::start();
        s.send(&first).await;
        s.initialize(false).await;
        s.send(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
            .await;
        let tools = s.recv().await;
        assert_eq!(tools["id"], 2);
        assert!(
            tools["result"]["tools"].as_array().unwrap().len() > 50,
            "after {first}"
        );
    }
}

// ---- item 8: the JSON-RPC error each fault calls for ----

#[tokio::test]
async fn stdio_answers_every_malformed_line_and_keeps_serving() {
    let mut s = RawStdio::start();
    s.initialize(false).await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let mut huge = b"{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"ping\",\"x\":\"".to_vec();
    huge.resize(16 * 1024 * 1024 + 100, b'a');
    huge.extend_from_slice(b"\"}");
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        (
            "malformed JSON",
            b"{\"jsonrpc\": \"2.0\", \"id\": 3,".to_vec(),
        ),
        (
            "invalid UTF-8",
            b"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"p\xc3\x28ng\"}".to_vec(),
        ),
        ("nesting too deep", deep.into_bytes()),
        ("a line over 16 MiB", huge),
    ];
    for (what, line) in malformed {
        s.send_bytes(&line).await;
        let e = s.recv().await;
        assert_eq!(e["error"]["code"], -32700, "{what}: {e}");
        assert_eq!(e["id"], Value::Null, "{what}");
        s.ping(10).await;
    }
    for (what, line, code) in [
        (
            "a batch",
            json!([{"jsonrpc": "2.0", "id": 5, "method": "ping"}]),
            -32600,
        ),
        (
            "a null id",
            json!({"jsonrpc": "2.0", "id": null, "method": "ping"}),
            -32600,
        ),
    ] {
        s.send(&line).await;
        let e = s.recv().await;
        assert_eq!(e["error"]["code"], code, "{what}: {e}");
    }
    for params in [
        json!({"name": 5, "arguments": {}}),
        json!({"name": "leadpanther_get_me", "arguments": "all"}),
    ] {
        s.send(&json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": params}))
            .await;
        let e = s.recv().await;
        assert_eq!(
            (e["id"].clone(), e["error"]["code"].clone()),
            (json!(6), json!(-32602)),
            "{e}"
        );
    }
    // An unknown method is still -32601.
    s.send(&json!({"jsonrpc": "2.0", "id": 8, "method": "no/such"}))
        .await;
    assert_eq!(s.recv().await["error"]["code"], -32601);
    s.ping(11).await;
}

#[tokio::test]
async fn http_answers_json_rpc_errors_with_the_status_the_spec_wants() {
    let server = http_server(&["--sandbox"], &[]).await;
    for (what, body, code) in [
        (
            "malformed JSON",
            "{\"jsonrpc\": \"2.0\", \"id\": 3,".to_string(),
            -32700,
        ),
        ("a batch", json!([initialize(1, false)]).to_string(), -32600),
        (
            "a null id",
            json!({"jsonrpc": "2.0", "id": null, "method": "ping"}).to_string(),
            -32600,
        ),
    ] {
        let r = post(&server, None, body).await;
        assert_eq!(r.status(), 400, "{what}");
        assert_eq!(r.headers()["content-type"], "application/json", "{what}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["jsonrpc"], "2.0", "{what}");
        assert_eq!(e["id"], Value::Null, "{what}");
        assert_eq!(e["error"]["code"], code, "{what}: {e}");
    }
    let r = post(&server, None, b"{\"id\":1,\"x\":\"\xff\"}".to_vec()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], -32700);
    // A wrongly typed name, in a session: -32602, not -32601.
    let session = open_session(&server, false).await;
    for params in [
        json!({"name": 5}),
        json!({"name": "leadpanther_get_me", "arguments": [1]}),
    ] {
        let r = post(
            &server,
            Some(&session),
            json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": params})
                .to_string(),
        )
        .await;
        let e: Value = r.json().await.unwrap();
        assert_eq!(
            (e["id"].clone(), e["error"]["code"].clone()),
            (json!(9), json!(-32602)),
            "{e}"
        );
    }
    // The session still serves.
    let ok: Vec<Value> = sse(post(
        &server,
        Some(&session),
        json!({"jsonrpc": "2.0", "id": 10, "method": "tools/list"}).to_string(),
    )
    .await)
    .collect()
    .await;
    assert!(ok[0]["result"]["tools"].is_array());
}

// ---- item 10: HTTP details ----

#[tokio::test]
async fn duplicate_host_headers_are_refused() {
    let server = http_server(&["--sandbox"], &[]).await;
    let send = |request: &'static str| {
        let addr = addr(&server);
        async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(request.as_bytes()).await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            String::from_utf8_lossy(&buf[..n]).to_string()
        }
    };
    let one = send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await;
    assert!(one.starts_with("HTTP/1.1 200"), "{one}");
    let two = send(
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(two.starts_with("HTTP/1.1 400"), "{two}");
}

#[tokio::test]
async fn deleting_an_unknown_session_is_404() {
    let server = http_server(&["--sandbox"], &[]).await;
    let r = http()
        .delete(format!("{}/mcp", server.base))
        .header("mcp-session-id", "no-such-session")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn listen_accepts_localhost() {
    let server = http_server_on(&["--sandbox"], &[], "localhost:0").await;
    let base = &server.base;
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let r = http().get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn blank_and_low_entropy_tokens_are_refused() {
    for weak in [
        "                ",
        "aaaaaaaaaaaaaaaa",
        "abcabcabcabcabcabcabc",
    ] {
        let run = tokio::process::Command::new(BIN)
            .env_clear()
            .env("LEADS_MCP_HTTP_TOKEN", weak)
            .args(["--sandbox", "http", "--listen", "0.0.0.0:0"])
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(20), run)
            .await
            .unwrap_or_else(|_| panic!("a {weak:?} token started a listener"))
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{weak:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("LEADS_MCP_HTTP_TOKEN"), "{stderr}");
        assert!(stderr.contains("openssl rand -hex 32"), "{stderr}");
        assert!(!stderr.contains(weak), "the token was echoed: {stderr}");
    }
}
