//! Odd vendor answers and slow vendors, through rmcp's client against the
//! recording sandbox: malformed JSON, echoed secrets, hung upstreams,
//! oversized results, redirects and unreachable hosts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// MCP logging is deprecated by SEP-2577; handshake clients still use it.
#![allow(deprecated)]

use std::time::{Duration, Instant};

use crate::common::*;
use leads_mcp_sandbox::Fault;
use rmcp::model::{
    LoggingLevel, ReadResourceRequestParams, ResourceContents, SetLevelRequestParams,
};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

/// A fault whose body is sent as it is, with the given Content-Type.
fn raw(vendor: &str, method: &str, path: &str, status: u16, body: &str, ct: &str) -> Fault {
    Fault {
        raw_body: Some(body.into()),
        ..vendor_fault(
            vendor,
            method,
            path,
            status,
            Value::Null,
            &[("content-type", ct)],
            1,
        )
    }
}

async fn every_vendor(up: &Upstream, extra_env: &[(&str, &str)]) -> Client {
    let mut env = up.env();
    env.extend(
        extra_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    stdio(&[], &env, TestClient::new(Human::Accepts), Era::Handshake).await
}

/// One read and one write of every vendor, with arguments that pass every
/// check, and the upstream request each makes.
fn read_and_write_cases() -> Vec<(
    &'static str,
    &'static str,
    Value,
    &'static str,
    &'static str,
)> {
    vec![
        (
            "leadpanther",
            "leadpanther_get_me",
            json!({}),
            "GET",
            "/api/v1/me",
        ),
        (
            "leadpanther",
            "leadpanther_create_post",
            json!({"text": "Hello"}),
            "POST",
            "/api/v1/posts",
        ),
        (
            "leadsrover",
            "leadsrover_get_me",
            json!({}),
            "GET",
            "/api/v1/me",
        ),
        (
            "leadsrover",
            "leadsrover_update_conversation",
            json!({"id": 89, "archived": true}),
            "PATCH",
            "/api/v1/conversations/89",
        ),
        (
            "leadgenius",
            "leadgenius_get_company",
            json!({}),
            "GET",
            "/api/company",
        ),
        (
            "leadgenius",
            "leadgenius_create_client",
            json!({"clientName": "Example Client C"}),
            "POST",
            "/api/clients",
        ),
        (
            "leadspro",
            "leadspro_get_me",
            json!({}),
            "GET",
            "/api/v1/me",
        ),
        (
            "leadspro",
            "leadspro_enrich_contact",
            json!({"email": "amanda@northpeak.example.com"}),
            "POST",
            "/api/v1/enrich",
        ),
        (
            "leadmetrics",
            "leadmetrics_list_campaigns",
            json!({}),
            "GET",
            "/dashboard/v1/campaigns",
        ),
        (
            "leadmetrics",
            "leadmetrics_create_campaign",
            json!({"body": {"brief": "Example brief for a spring webinar."}}),
            "POST",
            "/dashboard/v1/campaigns",
        ),
    ]
}

#[tokio::test]
async fn a_malformed_answer_is_an_error_that_says_whether_the_write_arrived() {
    let up = Upstream::start().await;
    let client = every_vendor(&up, &[]).await;
    for (vendor, tool, arguments, method, path) in read_and_write_cases() {
        for content_type in ["application/json", "text/html"] {
            up.sandbox.inject(Fault {
                headers: vec![
                    ("content-type".into(), content_type.into()),
                    ("x-request-id".into(), "req_broken_1".into()),
                ],
                ..raw(vendor, method, path, 200, r#"{"data": {"id": "lead_"#, "")
            });
            let r = call(&client, tool, arguments.clone()).await;
            let t = text(&r);
            let e = &structured(&r)["error"];
            assert!(is_error(&r), "{tool} ({content_type}): {t}");
            assert_eq!(e["code"], "malformed_answer", "{tool}: {t}");
            assert_eq!(e["status"], 200, "{tool}: {t}");
            assert_eq!(e["request_id"], "req_broken_1", "{tool}: {t}");
            assert!(t.contains("malformed") && t.contains("200"), "{tool}: {t}");
            if method == "GET" {
                assert!(t.contains("It was a read"), "{tool}: {t}");
            } else {
                assert!(
                    t.contains("The request reached") && t.contains("don't resend blindly"),
                    "{tool}: {t}"
                );
            }
        }
    }
    // A documented text answer stays text.
    let r = call(&client, "leadsrover_get_agent_guide", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(structured(&r)["text"].as_str().unwrap().contains('#'));
    // Unless it announces JSON and isn't.
    up.sandbox.inject(raw(
        "leadsrover",
        "GET",
        "/api/v1/agent-guide",
        200,
        "# not json",
        "application/json",
    ));
    let r = call(&client, "leadsrover_get_agent_guide", json!({})).await;
    assert_eq!(structured(&r)["error"]["code"], "malformed_answer");
    client.cancel().await.unwrap();
}

const SENTINEL_KEY: &str = "lp_live_SENTINEL_7f3a9c21e5";
const SENTINEL_HTTP_TOKEN: &str = "tok_SENTINEL_b81d44e0c9aa1234";

#[tokio::test]
async fn a_secret_the_vendor_echoes_is_redacted_everywhere() {
    let up = Upstream::start().await;
    let mut env = with_key(&up, Some(SENTINEL_KEY));
    env.push(("RUST_LOG".into(), "leads_mcp=debug".into()));
    env.push(("LEADS_MCP_HTTP_TOKEN".into(), SENTINEL_HTTP_TOKEN.into()));
    let test_client = TestClient::new(Human::CannotElicit);
    let (client, stderr) = stdio_with(
        &["--vendors", "leadpanther"],
        &env,
        test_client.clone(),
        Era::Handshake,
        true,
    )
    .await;
    client
        .set_level(SetLevelRequestParams::new(LoggingLevel::Debug))
        .await
        .unwrap();
    let echo = format!("Invalid API key {SENTINEL_KEY} (token {SENTINEL_HTTP_TOKEN})");
    up.sandbox.inject(vendor_fault(
        "leadpanther",
        "GET",
        "/api/v1/me",
        401,
        json!({"error": {"code": "unauthorized", "message": echo, "key": SENTINEL_KEY}, "request_id": "req_echo"}),
        &[],
        1,
    ));
    let r = call(&client, "leadpanther_get_me", json!({})).await;
    assert!(is_error(&r));
    // The vendor did get the key: it is the request's credential.
    assert_eq!(
        up.only_request().header("authorization"),
        Some(format!("Bearer {SENTINEL_KEY}").as_str())
    );
    // And a success that quotes it.
    up.sandbox.inject(vendor_fault(
        "leadpanther",
        "GET",
        "/api/v1/me",
        200,
        json!({"data": {"note": format!("your key is {SENTINEL_KEY}")}, "request_id": "req_echo2"}),
        &[],
        1,
    ));
    let ok = call(&client, "leadpanther_get_me", json!({})).await;
    assert!(!is_error(&ok));
    // Give the log notification a moment to arrive before looking.
    tokio::time::sleep(Duration::from_millis(300)).await;
    client.cancel().await.unwrap();
    let mut logs = String::new();
    stderr.unwrap().read_to_string(&mut logs).await.unwrap();

    let results = format!(
        "{} {} {} {}",
        text(&r),
        structured(&r),
        text(&ok),
        structured(&ok)
    );
    let notifications = format!("{:?}", test_client.logs.lock().unwrap());
    for (what, seen) in [
        ("results", &results),
        ("MCP log messages", &notifications),
        ("stderr", &logs),
    ] {
        for secret in [SENTINEL_KEY, SENTINEL_HTTP_TOKEN] {
            assert!(!seen.contains(secret), "{what} carry {secret}: {seen}");
        }
    }
    assert!(results.contains("[redacted]"), "{results}");
    assert!(
        notifications.contains("leadpanther"),
        "no log message was sent: {notifications}"
    );
}

#[tokio::test]
async fn a_hung_vendor_ends_at_the_call_deadline_without_a_late_retry() {
    let up = Upstream::start().await;
    let client = every_vendor(&up, &[("LEADS_MCP_CALL_DEADLINE_SECS", "2")]).await;
    let hang = |method: &str, path: &str| Fault {
        delay: Some(Duration::from_secs(20)),
        ..vendor_fault("leadpanther", method, path, 200, json!({}), &[], 5)
    };
    up.sandbox.inject(hang("GET", "/api/v1/me"));
    let started = Instant::now();
    let r = call(&client, "leadpanther_get_me", json!({})).await;
    let spent = started.elapsed();
    let t = text(&r);
    assert!(is_error(&r), "{t}");
    assert_eq!(structured(&r)["error"]["code"], "timeout");
    assert!(t.contains("deadline") && t.contains("2.0 s spent"), "{t}");
    assert!(t.contains("calling again is safe"), "{t}");
    // Bounded by the deadline (2 s), not by retries of 60 s attempts.
    assert!(spent < Duration::from_secs(10), "{spent:?}");
    assert_eq!(
        up.requests().len(),
        1,
        "no retry may start past the deadline"
    );

    up.sandbox.inject(hang("POST", "/api/v1/posts"));
    let r = call(&client, "leadpanther_create_post", json!({"text": "Hi"})).await;
    let t = text(&r);
    assert!(is_error(&r) && t.contains("may have reached"), "{t}");
    assert_eq!(up.requests().len(), 1);

    // The server keeps serving.
    let r = call(&client, "leadsrover_get_me", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    client.cancel().await.unwrap();
}

/// Bytes a client receives for a result: every text block and the structured content.
fn result_bytes(r: &rmcp::model::CallToolResult) -> usize {
    let blocks: usize = r
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.len()))
        .sum();
    blocks
        + r.structured_content
            .as_ref()
            .map_or(0, |s| s.to_string().len())
}

#[tokio::test]
async fn every_result_is_bounded_with_a_note_of_what_was_cut() {
    let up = Upstream::start().await;
    let client = every_vendor(&up, &[("LEADS_MCP_MAX_RESULT_BYTES", "50000")]).await;
    // A 5.5 MB object, not a list.
    let huge =
        json!({"data": {"id": "acct_1", "bio": "x".repeat(5_500_000)}, "request_id": "req_big"});
    up.sandbox.inject(vendor_fault(
        "leadpanther",
        "GET",
        "/api/v1/me",
        200,
        huge,
        &[],
        1,
    ));
    let r = call(&client, "leadpanther_get_me", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(result_bytes(&r) <= 50_000, "{} bytes", result_bytes(&r));
    let s = structured(&r);
    assert_eq!(s["data"]["id"], "acct_1");
    assert!(
        s["cut"][0].as_str().unwrap().starts_with("/data/bio"),
        "{}",
        s["cut"]
    );
    assert!(text(&r).contains("Cut to stay under 50000 bytes"));
    // A list counts its text block and structured content together.
    let items: Vec<Value> = (0..400)
        .map(|i| json!({"id": format!("post_{i}"), "text": "y".repeat(400)}))
        .collect();
    up.sandbox.inject(vendor_fault(
        "leadpanther",
        "GET",
        "/api/v1/posts",
        200,
        json!({"data": items, "pagination": {"has_more": true}, "request_id": "req_list"}),
        &[],
        1,
    ));
    let r = call(&client, "leadpanther_list_posts", json!({})).await;
    assert!(result_bytes(&r) <= 50_000, "{} bytes", result_bytes(&r));
    assert!(structured(&r)["truncated"]["dropped"].as_u64().unwrap() > 0);
    // An error message is bounded too.
    up.sandbox.inject(vendor_fault(
        "leadpanther",
        "GET",
        "/api/v1/me",
        500,
        json!({"error": {"code": "internal_error", "message": "z".repeat(3_000_000)}}),
        &[],
        1,
    ));
    let r = call(&client, "leadpanther_get_me", json!({})).await;
    assert!(
        is_error(&r) && result_bytes(&r) <= 50_000,
        "{}",
        result_bytes(&r)
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn unreachable_oversized_and_redirected_answers_say_what_happened() {
    let up = Upstream::start().await;
    // A loopback port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut env = up.env();
    env.retain(|(k, _)| k != "LEADSROVER_BASE_URL");
    env.push((
        "LEADSROVER_BASE_URL".into(),
        format!("http://127.0.0.1:{port}"),
    ));
    let client = stdio(&[], &env, TestClient::new(Human::Accepts), Era::Handshake).await;
    let r = call(
        &client,
        "leadsrover_update_conversation",
        json!({"id": 89, "archived": true}),
    )
    .await;
    let t = text(&r);
    assert!(is_error(&r), "{t}");
    assert_eq!(t.matches("unreachable").count(), 1, "{t}");
    assert!(
        t.contains("Nothing was sent") && t.contains("LEADSROVER_BASE_URL"),
        "{t}"
    );

    // Larger than the 8 MiB the server reads: not "unreachable".
    up.sandbox.inject(vendor_fault(
        "leadpanther",
        "GET",
        "/api/v1/me",
        200,
        json!({"data": "w".repeat(9 * 1024 * 1024)}),
        &[],
        1,
    ));
    let r = call(&client, "leadpanther_get_me", json!({})).await;
    let t = text(&r);
    assert_eq!(structured(&r)["error"]["code"], "too_large", "{t}");
    assert!(
        !t.contains("unreachable") && t.contains("larger than"),
        "{t}"
    );

    // A redirect is refused, never followed.
    up.requests();
    up.sandbox.inject(vendor_fault(
        "leadpanther",
        "GET",
        "/api/v1/me",
        302,
        json!({}),
        &[("location", "/api/v1/posts")],
        1,
    ));
    let r = call(&client, "leadpanther_get_me", json!({})).await;
    let t = text(&r);
    assert!(is_error(&r), "{t}");
    assert!(t.contains("redirect refused: check the base URL"), "{t}");
    assert!(
        t.contains("LEADPANTHER_BASE_URL") && !t.contains("retry later"),
        "{t}"
    );
    let requests = up.requests();
    assert_eq!(
        requests.len(),
        1,
        "the redirect was followed: {requests:#?}"
    );
    client.cancel().await.unwrap();
}

/// `resources/read` passes the output guards every tool result passes: a
/// credential field in the resource's body is withheld (and said so in the
/// contents' `_meta`), and a configured secret the vendor echoes is redacted.
#[tokio::test]
async fn a_resource_passes_the_same_output_guards_as_a_tool_result() {
    let up = Upstream::start().await;
    let echoed = up
        .env()
        .into_iter()
        .find(|(k, _)| k == "LEADSPRO_API_KEY")
        .map(|(_, v)| v)
        .unwrap();
    let body = json!({
        "plan": "growth",
        "key": {"id": "key_growth", "apiKey": "pl_live_other_workspace_key", "echo": echoed},
        "credits": {"remaining": 460},
    });
    up.sandbox.inject(vendor_fault(
        "leadspro",
        "GET",
        "/api/v1/usage",
        200,
        body,
        &[],
        2,
    ));
    let client = every_vendor(&up, &[]).await;

    let read = client
        .read_resource(ReadResourceRequestParams::new("leadspro://usage"))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents { text, meta, .. } = &read.contents[0] else {
        panic!("{read:?}")
    };
    assert!(!text.contains("pl_live_other_workspace_key"), "{text}");
    assert!(!text.contains(&echoed), "{text}");
    let usage: Value = serde_json::from_str(text).unwrap();
    assert_eq!(usage["key"]["apiKey"], leads_mcp::output_guard::WITHHELD);
    assert_eq!(usage["credits"]["remaining"], 460);
    let meta = serde_json::to_value(meta).unwrap();
    assert!(
        meta["withheld"].as_str().unwrap().contains("apiKey"),
        "{meta}"
    );

    // The tool behind it says the same.
    let result = call(&client, "leadspro_get_usage", json!({})).await;
    let shown = serde_json::to_string(&result).unwrap();
    assert!(!shown.contains("pl_live_other_workspace_key") && !shown.contains(&echoed));
    assert_eq!(
        result.structured_content.unwrap()["key"]["apiKey"],
        leads_mcp::output_guard::WITHHELD
    );
    client.cancel().await.unwrap();
}
