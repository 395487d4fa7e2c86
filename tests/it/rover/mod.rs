//! What the LeadsRover test files share: a server serving only LeadsRover
//! against the recording sandbox, LeadsRover as the table runner sees it,
//! and what every LeadsRover request must look like.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use leads_mcp_sandbox::leadsrover::FULL_KEY;
use leads_mcp_sandbox::{Fault, Recorded};
use serde_json::Value;

use crate::common::every_tool::{RequestId, Vendor, bearer};
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
    stdio_as(ARGS, &env(up, key, extra), human, era).await
}

/// A server serving LeadsRover with the full key, and a client of `era`
/// with `human` behind it over `transport`; the HTTP server, when there is
/// one, runs as long as it is kept.
pub async fn client_over(
    up: &Upstream,
    transport: Transport,
    human: Human,
    era: Era,
) -> (Client, TestClient, Option<HttpServer>) {
    let handler = TestClient::new(human);
    let env = env(up, FULL_KEY, &[]);
    let (client, server) = connect(transport, era, ARGS, &env, handler.clone()).await;
    (client, handler, server)
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

/// LeadsRover as the table runner sees it: every request carries the full
/// key as a bearer token; a result's request id is the one sent.
pub fn vendor() -> Vendor {
    Vendor {
        human: Human::Accepts,
        headers: vec![bearer(FULL_KEY)],
        request_id: RequestId::Sent,
        ..Vendor::new(
            "leadsrover",
            |up| env(up, FULL_KEY, &[]),
            20,
            crate::leadsrover::cases,
        )
    }
}

/// The headers every LeadsRover request carries, and nothing else.
pub fn assert_headers(req: &Recorded) {
    vendor().assert_headers(req, &[]);
}

/// Requests that change something.
pub fn writes(reqs: &[Recorded]) -> Vec<&Recorded> {
    reqs.iter().filter(|r| r.method != "GET").collect()
}
