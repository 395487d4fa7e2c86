//! The three transports and the HTTP front door: legacy SSE, Host/Origin
//! checks, the bearer token, /health, and stdio's prompt exit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use crate::common::*;
use leads_mcp_sandbox::leadpanther::CLIENT_A;
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123456789abcdef";

fn http() -> reqwest::Client {
    leads_mcp::upstream::install_crypto_provider();
    reqwest::Client::new()
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
}

async fn post_mcp(base: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = http()
        .post(format!("{base}/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&initialize());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn one_call_over_legacy_sse() {
    let up = Upstream::start().await;
    let server = http_server(&["--vendors", "leadpanther"], &up.env()).await;
    let client = legacy_sse_client(&server.base, TestClient::new(Human::CannotElicit), &[]).await;
    assert_eq!(client.list_all_tools().await.unwrap().len(), 20);
    let r = call(
        &client,
        "leadpanther_list_leads",
        json!({"client_id": CLIENT_A, "limit": 2}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    let req = up.only_request();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("GET", format!("/api/v1/clients/{CLIENT_A}/leads").as_str())
    );
    assert_eq!(req.query.as_deref(), Some("limit=2"));
    assert!(structured(&r)["privacy_notice"].is_string());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn legacy_sse_rejects_unknown_sessions() {
    let up = Upstream::start().await;
    let server = http_server(&["--vendors", "leadpanther"], &up.env()).await;
    let r = http()
        .post(format!("{}/message?sessionId=nope", server.base))
        .json(&initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn foreign_hosts_and_origins_are_refused() {
    let up = Upstream::start().await;
    let server = http_server(&["--vendors", "leadpanther"], &up.env()).await;
    assert_eq!(post_mcp(&server.base, &[]).await.status(), 200);
    assert_eq!(
        post_mcp(&server.base, &[("origin", "http://localhost:6274")])
            .await
            .status(),
        200
    );
    assert_eq!(
        post_mcp(&server.base, &[("host", "evil.example")])
            .await
            .status(),
        403
    );
    assert_eq!(
        post_mcp(&server.base, &[("origin", "http://evil.example")])
            .await
            .status(),
        403
    );
    for path in ["/sse", "/health"] {
        let r = http()
            .get(format!("{}{path}", server.base))
            .header("host", "evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
}

#[tokio::test]
async fn the_bearer_token_guards_every_mcp_endpoint() {
    let up = Upstream::start().await;
    let mut env = up.env();
    env.push(("LEADS_MCP_HTTP_TOKEN".into(), TOKEN.into()));
    let server = http_server(&["--vendors", "leadpanther"], &env).await;
    assert_eq!(post_mcp(&server.base, &[]).await.status(), 401);
    assert_eq!(
        post_mcp(
            &server.base,
            &[("authorization", "Bearer wrong-token-0123456789")]
        )
        .await
        .status(),
        401
    );
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(
        post_mcp(&server.base, &[("authorization", &bearer)])
            .await
            .status(),
        200
    );
    let r = http()
        .get(format!("{}/sse", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http()
        .post(format!("{}/message?sessionId=x", server.base))
        .json(&initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // /health stays open for probes.
    let r = http()
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // With the token, a legacy SSE client works end to end.
    let client = legacy_sse_client(
        &server.base,
        TestClient::new(Human::CannotElicit),
        &[("authorization", &bearer)],
    )
    .await;
    let r = call(&client, "leadpanther_get_me", json!({})).await;
    assert!(!is_error(&r));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn health_reports_what_is_served() {
    let up = Upstream::start().await;
    let server = http_server(&["--vendors", "leadpanther"], &up.env()).await;
    let body: Value = http()
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["vendors"], json!(["leadpanther"]));
    assert_eq!(body["tools"], 20);
}

#[tokio::test]
async fn a_non_loopback_address_needs_a_token() {
    let out = tokio::process::Command::new(BIN)
        .env_clear()
        .args(["--sandbox", "http", "--listen", "0.0.0.0:0"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("LEADS_MCP_HTTP_TOKEN"));
}

#[tokio::test]
async fn stdio_exits_promptly_on_eof() {
    use tokio::io::AsyncWriteExt;
    // EOF before anything was said.
    let started = Instant::now();
    let out = tokio::process::Command::new(BIN)
        .env_clear()
        .args(["--sandbox", "stdio"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "stdout must carry only protocol messages"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // EOF after a session started.
    let mut child = tokio::process::Command::new(BIN)
        .env_clear()
        .args(["--sandbox", "stdio"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{}\n", initialize()).as_bytes())
        .await
        .unwrap();
    stdin.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(stdin);
    let started = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn the_sandbox_serves_with_no_keys() {
    let client = stdio(
        &["--sandbox"],
        &[],
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
    )
    .await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "leadpanther_list_posts"));
    let r = call(&client, "leadpanther_list_clients", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(structured(&r)["data"][2]["name"], "Client C");
    let prompts = client.list_all_prompts().await.unwrap();
    assert!(
        prompts
            .iter()
            .any(|p| p.name == "leadpanther-client-review")
    );
    let resources = client.list_all_resources().await.unwrap();
    assert!(resources.iter().any(|r| r.uri == "leadpanther://api"));
    client.cancel().await.unwrap();
}
