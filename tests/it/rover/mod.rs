//! LeadsRover helpers shared by the LeadsRover test files: a server serving
//! only LeadsRover against the recording sandbox, and what every LeadsRover
//! request must look like.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use leads_mcp_sandbox::leadsrover::FULL_KEY;
use leads_mcp_sandbox::{Fault, Recorded};
use serde_json::Value;

use crate::common::*;

pub const ARGS: &[&str] = &["--vendors", "leadsrover"];

/// The sandbox env, with `key` as the only credential, plus `extra`.
pub fn env(up: &Upstream, key: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = with_credential(up, "LEADSROVER_API_KEY", Some(key));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

pub async fn stdio_client(up: &Upstream, human: Human, era: Era) -> (Client, TestClient) {
    stdio_keyed(up, FULL_KEY, &[], human, era).await
}

pub async fn stdio_keyed(
    up: &Upstream,
    key: &str,
    extra: &[(&str, &str)],
    human: Human,
    era: Era,
) -> (Client, TestClient) {
    let handler = TestClient::new(human);
    let client = stdio(ARGS, &env(up, key, extra), handler.clone(), era).await;
    (client, handler)
}

pub async fn http_client_for(
    up: &Upstream,
    human: Human,
    era: Era,
) -> (HttpServer, Client, TestClient) {
    let server = http_server(ARGS, &env(up, FULL_KEY, &[])).await;
    let handler = TestClient::new(human);
    let client = http_client(&server, handler.clone(), era).await;
    (server, client, handler)
}

/// A canned LeadsRover answer for the next `times` matching requests.
pub fn fault(
    method: &str,
    path: &str,
    status: u16,
    body: Value,
    headers: &[(&str, &str)],
    times: usize,
) -> Fault {
    vendor_fault("leadsrover", method, path, status, body, headers, times)
}

/// The next `method path` request answered `429 RATE_LIMITED` with `Retry-After`.
pub fn rate_limited_once(method: &str, path: &str, retry_after: u64) -> Fault {
    fault(
        method,
        path,
        429,
        serde_json::json!({"error": {
            "code": "RATE_LIMITED",
            "message": "Too many requests",
            "doc_url": "https://leadsrover.io/docs/api#errors"
        }}),
        &[("retry-after", &retry_after.to_string())],
        1,
    )
}

/// The headers every LeadsRover request carries, and nothing else.
pub fn assert_headers(req: &Recorded, has_body: bool) {
    assert_eq!(req.vendor, "leadsrover");
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {FULL_KEY}").as_str())
    );
    let id = req.header("x-request-id").unwrap();
    assert!(id.starts_with("lmcp_") && id.len() > 20, "{id}");
    assert_eq!(req.header("accept"), Some("application/json"));
    assert!(req.header("user-agent").unwrap().starts_with("leads-mcp/"));
    assert_eq!(
        req.header("content-type"),
        has_body.then_some("application/json"),
        "{req:?}"
    );
    for name in req.headers.keys() {
        assert!(
            [
                "accept",
                "authorization",
                "content-length",
                "content-type",
                "host",
                "user-agent",
                "x-request-id",
            ]
            .contains(&name.as_str()),
            "unexpected header {name} in {req:?}"
        );
    }
}

/// `(method, path?query)` of each request, for compact assertions.
pub fn lines(reqs: &[Recorded]) -> Vec<String> {
    reqs.iter()
        .map(|r| match &r.query {
            Some(q) => format!("{} {}?{q}", r.method, r.path),
            None => format!("{} {}", r.method, r.path),
        })
        .collect()
}

/// Requests that change something.
pub fn writes(reqs: &[Recorded]) -> Vec<&Recorded> {
    reqs.iter().filter(|r| r.method != "GET").collect()
}
