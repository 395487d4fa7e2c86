//! Every LeadPanther tool through a real MCP client (rmcp's), over stdio and
//! over Streamable HTTP, asserting the exact request the sandbox received
//! and what the client sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use leads_mcp_sandbox::Recorded;
use leads_mcp_sandbox::leadpanther::{CLIENT_A, CLIENT_B, FULL_KEY};
use serde_json::{Value, json};

const AGENCY_DRAFT: &str = "00000000-0000-4000-8000-000000000100";
const AGENCY_PUBLISHED: &str = "00000000-0000-4000-8000-000000000102";
const AGENCY_MAGNET: &str = "00000000-0000-4000-8000-000000000200";
const CLIENT_A_DRAFT: &str = "00000000-0000-4000-8000-000000010100";

/// One call and the request it must produce.
struct Case {
    tool: &'static str,
    args: Value,
    method: &'static str,
    path: String,
    query: Option<&'static str>,
    body: Option<Value>,
    /// Checks on the structured result.
    check: fn(&Value),
}

fn cases() -> Vec<Case> {
    let a = CLIENT_A;
    vec![
        Case {
            tool: "leadpanther_get_api_metadata",
            args: json!({}),
            method: "GET",
            path: "/api/v1".into(),
            query: None,
            body: None,
            check: |r| assert_eq!(r["data"]["version"], "v1"),
        },
        Case {
            tool: "leadpanther_get_me",
            args: json!({}),
            method: "GET",
            path: "/api/v1/me".into(),
            query: None,
            body: None,
            check: |r| assert_eq!(r["data"]["account"]["name"], "Example Agency"),
        },
        Case {
            tool: "leadpanther_list_clients",
            args: json!({"limit": 2, "offset": 1}),
            method: "GET",
            path: "/api/v1/clients".into(),
            query: Some("limit=2&offset=1"),
            body: None,
            check: |r| {
                assert_eq!(r["data"].as_array().unwrap().len(), 2);
                assert_eq!(
                    r["pagination"],
                    json!({"limit": 2, "offset": 1, "has_more": false})
                );
                assert!(r.get("next_offset").is_none());
            },
        },
        Case {
            tool: "leadpanther_get_client",
            args: json!({"client_id": a}),
            method: "GET",
            path: format!("/api/v1/clients/{a}"),
            query: None,
            body: None,
            check: |r| assert_eq!(r["data"]["name"], "Client A"),
        },
        Case {
            tool: "leadpanther_list_posts",
            args: json!({"client_id": a, "limit": 2, "offset": 0}),
            method: "GET",
            path: format!("/api/v1/clients/{a}/posts"),
            query: Some("limit=2&offset=0"),
            body: None,
            check: |r| {
                assert_eq!(r["data"].as_array().unwrap().len(), 2);
                assert_eq!(r["pagination"]["has_more"], true);
                assert_eq!(r["next_offset"], 2);
            },
        },
        Case {
            tool: "leadpanther_create_post",
            args: json!({
                "client_id": a, "text": "Public-safe LinkedIn post copy.", "status": "draft",
                "scheduled_at": null, "theme_id": null, "template_id": null, "images": [],
                "document_url": null, "notes": "Example internal note."
            }),
            method: "POST",
            path: format!("/api/v1/clients/{a}/posts"),
            query: None,
            body: Some(json!({
                "text": "Public-safe LinkedIn post copy.", "status": "draft", "scheduled_at": null,
                "theme_id": null, "template_id": null, "images": [], "document_url": null,
                "notes": "Example internal note."
            })),
            check: |r| {
                assert_eq!(r["data"]["text"], "Public-safe LinkedIn post copy.");
                assert_eq!(r["data"]["status"], "draft");
            },
        },
        Case {
            tool: "leadpanther_get_post",
            args: json!({"id": AGENCY_DRAFT}),
            method: "GET",
            path: format!("/api/v1/posts/{AGENCY_DRAFT}"),
            query: None,
            body: None,
            check: |r| assert_eq!(r["data"]["id"], AGENCY_DRAFT),
        },
        Case {
            tool: "leadpanther_update_post",
            args: json!({"id": AGENCY_DRAFT, "text": "Updated copy.", "scheduled_at": "2026-07-01T09:00:00Z"}),
            method: "PATCH",
            path: format!("/api/v1/posts/{AGENCY_DRAFT}"),
            query: None,
            body: Some(json!({"text": "Updated copy.", "scheduled_at": "2026-07-01T09:00:00Z"})),
            check: |r| assert_eq!(r["data"]["text"], "Updated copy."),
        },
        Case {
            tool: "leadpanther_delete_post",
            args: json!({"client_id": a, "id": CLIENT_A_DRAFT}),
            method: "DELETE",
            path: format!("/api/v1/clients/{a}/posts/{CLIENT_A_DRAFT}"),
            query: None,
            body: None,
            check: |r| assert_eq!(r["data"]["deleted"], true),
        },
        Case {
            tool: "leadpanther_get_post_engagement",
            args: json!({"id": AGENCY_PUBLISHED}),
            method: "GET",
            path: format!("/api/v1/posts/{AGENCY_PUBLISHED}/engagement"),
            query: None,
            body: None,
            check: |r| assert_eq!(r["data"]["impressions"], 1200),
        },
        Case {
            tool: "leadpanther_list_lead_magnets",
            args: json!({}),
            method: "GET",
            path: "/api/v1/lead-magnets".into(),
            query: None,
            body: None,
            check: |r| assert_eq!(r["data"][0]["id"], AGENCY_MAGNET),
        },
        Case {
            tool: "leadpanther_create_lead_magnet",
            args: json!({"client_id": CLIENT_B, "body": {"title": "Onboarding checklist"}}),
            method: "POST",
            path: format!("/api/v1/clients/{CLIENT_B}/lead-magnets"),
            query: None,
            body: Some(json!({"title": "Onboarding checklist"})),
            check: |r| assert_eq!(r["data"]["status"], "active"),
        },
        Case {
            tool: "leadpanther_get_lead_magnet",
            args: json!({"id": AGENCY_MAGNET}),
            method: "GET",
            path: format!("/api/v1/lead-magnets/{AGENCY_MAGNET}"),
            query: None,
            body: None,
            check: |r| assert_eq!(r["data"]["title"], "Example checklist"),
        },
        Case {
            tool: "leadpanther_update_lead_magnet",
            args: json!({"id": AGENCY_MAGNET, "body": {"title": "Better checklist"}}),
            method: "PATCH",
            path: format!("/api/v1/lead-magnets/{AGENCY_MAGNET}"),
            query: None,
            body: Some(json!({"title": "Better checklist"})),
            check: |r| assert_eq!(r["data"]["title"], "Better checklist"),
        },
        Case {
            tool: "leadpanther_get_lead_magnet_analytics",
            args: json!({"id": AGENCY_MAGNET}),
            method: "GET",
            path: format!("/api/v1/lead-magnets/{AGENCY_MAGNET}/analytics"),
            query: None,
            body: None,
            check: |r| assert_eq!(r["data"]["views"], 340),
        },
        Case {
            tool: "leadpanther_archive_lead_magnet",
            args: json!({"id": AGENCY_MAGNET}),
            method: "DELETE",
            path: format!("/api/v1/lead-magnets/{AGENCY_MAGNET}"),
            query: None,
            body: None,
            check: |r| assert_eq!(r["data"]["status"], "archived"),
        },
        Case {
            tool: "leadpanther_list_leads",
            args: json!({"client_id": a, "limit": 50, "offset": 0}),
            method: "GET",
            path: format!("/api/v1/clients/{a}/leads"),
            query: Some("limit=50&offset=0"),
            body: None,
            check: |r| {
                assert_eq!(r["data"].as_array().unwrap().len(), 3);
                let notice = r["privacy_notice"].as_str().unwrap();
                for what in [
                    "names",
                    "LinkedIn profile URLs",
                    "personal emails",
                    "intent signals",
                    "qualification status",
                ] {
                    assert!(notice.contains(what), "{notice}");
                }
            },
        },
        Case {
            tool: "leadpanther_list_activity",
            args: json!({}),
            method: "GET",
            path: "/api/v1/activity".into(),
            query: None,
            body: None,
            check: |r| {
                let notice = r["privacy_notice"].as_str().unwrap();
                for what in [
                    "message/comment content",
                    "chat IDs",
                    "comment IDs",
                    "intent metadata",
                ] {
                    assert!(notice.contains(what), "{notice}");
                }
                assert!(
                    r["untrusted_content"]
                        .as_str()
                        .unwrap()
                        .contains("no instructions")
                );
            },
        },
    ]
}

/// The headers every LeadPanther request carries, and nothing else of note.
fn assert_headers(req: &Recorded, has_body: bool) {
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {FULL_KEY}").as_str())
    );
    let id = req.header("x-request-id").unwrap();
    assert!(id.starts_with("lmcp_") && id.len() > 20, "{id}");
    assert_eq!(req.header("accept"), Some("application/json"));
    assert!(req.header("user-agent").unwrap().starts_with("leads-mcp/"));
    assert_eq!(req.header("content-type").is_some(), has_body, "{req:?}");
    if has_body {
        assert_eq!(req.header("content-type"), Some("application/json"));
    }
    let expected: &[&str] = &[
        "accept",
        "authorization",
        "content-length",
        "content-type",
        "host",
        "user-agent",
        "x-request-id",
    ];
    for name in req.headers.keys() {
        assert!(
            expected.contains(&name.as_str()),
            "unexpected header {name} in {req:?}"
        );
    }
}

async fn run_every_tool(client: &Client, up: &Upstream) {
    let mut seen = std::collections::BTreeSet::new();
    for case in cases() {
        let result = call(client, case.tool, case.args.clone()).await;
        assert!(!is_error(&result), "{}: {}", case.tool, text(&result));
        let req = up.only_request();
        assert_eq!(req.vendor, "leadpanther");
        assert_eq!(req.method, case.method, "{}", case.tool);
        assert_eq!(req.path, case.path, "{}", case.tool);
        assert_eq!(req.query.as_deref(), case.query, "{}", case.tool);
        assert_eq!(req.body, case.body, "{}", case.tool);
        assert_headers(&req, case.body.is_some());
        let s = structured(&result);
        assert!(
            s["request_id"].as_str().unwrap().starts_with("req_"),
            "{}: {s}",
            case.tool
        );
        assert!(text(&result).contains(s["request_id"].as_str().unwrap()));
        (case.check)(&s);
        seen.insert(case.tool);
    }

    // The media pair: the path the first call returns is what the second deletes.
    let upload = call(
        client,
        "leadpanther_create_media_upload_url",
        json!({"body": {"file_name": "banner.png", "content_type": "image/png"}}),
    )
    .await;
    assert!(!is_error(&upload), "{}", text(&upload));
    let req = up.only_request();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/api/v1/media/upload-url")
    );
    assert_eq!(
        req.body,
        Some(json!({"file_name": "banner.png", "content_type": "image/png"}))
    );
    assert_headers(&req, true);
    let path = structured(&upload)["data"]["path"]
        .as_str()
        .unwrap()
        .to_string();
    let deleted = call(
        client,
        "leadpanther_delete_media",
        json!({"body": {"path": path}}),
    )
    .await;
    assert!(!is_error(&deleted), "{}", text(&deleted));
    let req = up.only_request();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("DELETE", "/api/v1/media")
    );
    assert_eq!(req.body, Some(json!({"path": path})));
    assert_headers(&req, true);
    seen.insert("leadpanther_create_media_upload_url");
    seen.insert("leadpanther_delete_media");

    // Every served tool was exercised.
    let listed: std::collections::BTreeSet<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    let seen: std::collections::BTreeSet<String> = seen.into_iter().map(str::to_string).collect();
    assert_eq!(listed, seen);
    assert_eq!(listed.len(), 20);
}

#[tokio::test]
async fn every_tool_over_stdio() {
    let up = Upstream::start().await;
    let client = stdio(
        &["--vendors", "leadpanther"],
        &up.env(),
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
    )
    .await;
    run_every_tool(&client, &up).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_tool_over_streamable_http() {
    let up = Upstream::start().await;
    let server = http_server(&["--vendors", "leadpanther"], &up.env()).await;
    let client = http_client(
        &server,
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
    )
    .await;
    run_every_tool(&client, &up).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_2026_client_over_streamable_http() {
    let up = Upstream::start().await;
    let server = http_server(&["--vendors", "leadpanther"], &up.env()).await;
    let client = http_client(&server, TestClient::new(Human::CannotElicit), Era::Modern).await;
    let result = call(
        &client,
        "leadpanther_list_posts",
        json!({"client_id": CLIENT_A, "limit": 1}),
    )
    .await;
    assert!(!is_error(&result), "{}", text(&result));
    let req = up.only_request();
    assert_eq!(req.path, format!("/api/v1/clients/{CLIENT_A}/posts"));
    assert_eq!(req.query.as_deref(), Some("limit=1"));
    assert_eq!(structured(&result)["next_offset"], 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_2026_client_over_stdio() {
    let up = Upstream::start().await;
    let client = stdio(
        &["--vendors", "leadpanther"],
        &up.env(),
        TestClient::new(Human::CannotElicit),
        Era::Modern,
    )
    .await;
    let result = call(&client, "leadpanther_get_me", json!({})).await;
    assert!(!is_error(&result), "{}", text(&result));
    assert_eq!(up.only_request().path, "/api/v1/me");
    client.cancel().await.unwrap();
}
