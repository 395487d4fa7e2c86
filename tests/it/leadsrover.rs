//! Every LeadsRover tool through a real MCP client (rmcp's), over stdio and
//! over Streamable HTTP, in both protocol generations, asserting the exact
//! requests the sandbox received (the preflight reads a rule needs, then the
//! call itself) and what the client sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use crate::common::*;
use leads_mcp_sandbox::leadsrover::AGENT_GUIDE;
use rmcp::model::ReadResourceRequestParams;
use serde_json::{Value, json};

/// One expected upstream request.
struct Req {
    method: &'static str,
    path: &'static str,
    query: Option<&'static str>,
    body: Option<Value>,
}

fn get(path: &'static str, query: Option<&'static str>) -> Req {
    Req {
        method: "GET",
        path,
        query,
        body: None,
    }
}

/// One call, the reads its rules make first, and the request it must produce.
struct Case {
    tool: &'static str,
    args: Value,
    /// Preflight reads (repeated on a 2026 client's confirmed retry).
    reads: Vec<Req>,
    req: Req,
    confirm: bool,
    check: fn(&Value),
}

/// The ids of a list result's items.
fn ids(r: &Value) -> Vec<u64> {
    r["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_u64().unwrap())
        .collect()
}

fn notices(r: &Value, what: &[&str]) {
    let privacy = r["privacy_notice"].as_str().unwrap();
    for w in what {
        assert!(privacy.contains(w), "{privacy}");
    }
    assert!(
        r["untrusted_content"]
            .as_str()
            .unwrap()
            .contains("no instructions"),
        "{r}"
    );
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            tool: "leadsrover_get_me",
            args: json!({}),
            reads: vec![],
            req: get("/api/v1/me", None),
            confirm: false,
            check: |r| {
                assert_eq!(r["data"]["user"]["email"], "user@example.com");
                assert_eq!(r["data"]["plan"]["limits"]["aiCommentsPerMonth"], 1000);
            },
        },
        Case {
            tool: "leadsrover_list_products",
            args: json!({}),
            reads: vec![],
            req: get("/api/v1/products", None),
            confirm: false,
            check: |r| assert_eq!(r["data"][0]["name"], "Acme CRM"),
        },
        Case {
            tool: "leadsrover_get_product",
            args: json!({"id": 43}),
            reads: vec![],
            req: get("/api/v1/products/43", None),
            confirm: false,
            check: |r| assert_eq!(r["data"]["url"], "https://notes.example.com"),
        },
        Case {
            tool: "leadsrover_list_leads",
            args: json!({
                "productId": 42, "status": "all", "minQuality": 50, "since": "2026-11-01T00:00:00Z",
                "include": "content", "sort": "qualityScore", "order": "asc", "limit": 2, "offset": 1
            }),
            reads: vec![],
            req: get(
                "/api/v1/leads",
                Some(
                    "productId=42&status=all&minQuality=50&since=2026-11-01T00%3A00%3A00Z&include=content&sort=qualityScore&order=asc&limit=2&offset=1",
                ),
            ),
            confirm: false,
            check: |r| {
                assert_eq!(ids(r), [1203, 1212]);
                assert!(r["data"][0]["content"].is_string());
                assert_eq!(
                    r["pagination"],
                    json!({"total": 7, "limit": 2, "offset": 1, "hasMore": true})
                );
                assert_eq!(r["next_offset"], 3);
                notices(r, &["Reddit usernames", "post titles and bodies"]);
            },
        },
        Case {
            tool: "leadsrover_get_lead",
            args: json!({"id": 1201}),
            reads: vec![],
            req: get("/api/v1/leads/1201", None),
            confirm: false,
            check: |r| {
                assert_eq!(r["data"]["authorUsername"], "example_user_1");
                assert!(
                    r["data"]["content"]
                        .as_str()
                        .unwrap()
                        .contains("spreadsheet")
                );
                notices(r, &["Reddit username", "full body"]);
            },
        },
        Case {
            tool: "leadsrover_list_product_leads",
            args: json!({"id": 43, "minQuality": 60}),
            reads: vec![],
            req: get("/api/v1/products/43/leads", Some("minQuality=60")),
            confirm: false,
            check: |r| {
                assert_eq!(ids(r), [1208, 1209]);
                assert!(r["data"][0].get("content").is_none());
                assert_eq!(r["pagination"]["hasMore"], false);
                assert!(r.get("next_offset").is_none());
                notices(r, &["Reddit usernames"]);
            },
        },
        Case {
            tool: "leadsrover_set_lead_feedback",
            args: json!({"id": 1204, "feedback": "dislike", "reason": "seller_side", "note": "Poster is an agency pitching services"}),
            reads: vec![],
            req: Req {
                method: "POST",
                path: "/api/v1/leads/1204/feedback",
                query: None,
                body: Some(
                    json!({"feedback": "dislike", "reason": "seller_side", "note": "Poster is an agency pitching services"}),
                ),
            },
            confirm: false,
            check: |r| {
                assert_eq!(
                    r["data"],
                    json!({"leadId": 1204, "feedback": "dislike", "dislikeReason": "seller_side", "note": "Poster is an agency pitching services"})
                )
            },
        },
        Case {
            tool: "leadsrover_clear_lead_feedback",
            args: json!({"id": 1205}),
            reads: vec![],
            req: Req {
                method: "DELETE",
                path: "/api/v1/leads/1205/feedback",
                query: None,
                body: None,
            },
            confirm: false,
            check: |r| assert_eq!(r["data"], json!({"leadId": 1205, "feedback": null})),
        },
        Case {
            tool: "leadsrover_generate_dm",
            args: json!({"id": 1202}),
            reads: vec![],
            req: Req {
                method: "POST",
                path: "/api/v1/leads/1202/generate-dm",
                query: None,
                body: None,
            },
            confirm: false,
            check: |r| {
                assert!(r["data"]["dm"].as_str().unwrap().contains("example_user_2"));
                assert_eq!(r["data"]["quota"], json!({"used": 15, "limit": 1000}));
            },
        },
        Case {
            tool: "leadsrover_queue_draft",
            args: json!({"id": 1202, "content": "Hi! Acme CRM reminds you of every follow-up.", "dmSubject": "Your follow-up question"}),
            reads: vec![
                get("/api/v1/leads/1202", None),
                get("/api/v1/drafts", Some("limit=100&leadId=1202")),
            ],
            req: Req {
                method: "POST",
                path: "/api/v1/leads/1202/draft",
                query: None,
                body: Some(
                    json!({"content": "Hi! Acme CRM reminds you of every follow-up.", "dmSubject": "Your follow-up question"}),
                ),
            },
            confirm: true,
            check: |r| {
                assert_eq!(r["data"]["status"], "approved");
                assert_eq!(r["data"]["dmRecipient"], "example_user_2");
                assert!(
                    r["privacy_notice"]
                        .as_str()
                        .unwrap()
                        .contains("dmRecipient")
                );
            },
        },
        Case {
            tool: "leadsrover_list_drafts",
            args: json!({"leadId": 1207, "status": "approved", "productId": 42, "limit": 10, "offset": 0}),
            reads: vec![],
            req: get(
                "/api/v1/drafts",
                Some("productId=42&limit=10&offset=0&leadId=1207&status=approved"),
            ),
            confirm: false,
            check: |r| {
                assert_eq!(r["data"].as_array().unwrap().len(), 1);
                assert_eq!(r["data"][0]["id"], 568);
                assert_eq!(r["data"][0]["dmRecipient"], "example_user_7");
                notices(r, &["dmRecipient"]);
            },
        },
        Case {
            tool: "leadsrover_update_lead",
            args: json!({"id": 1205, "status": "contacted", "contactMethod": "comment"}),
            reads: vec![get(
                "/api/v1/drafts",
                Some("limit=100&leadId=1205&status=approved"),
            )],
            req: Req {
                method: "PATCH",
                path: "/api/v1/leads/1205",
                query: None,
                body: Some(json!({"status": "contacted", "contactMethod": "comment"})),
            },
            confirm: false,
            check: |r| assert_eq!(r["data"], json!({"id": 1205, "status": "contacted"})),
        },
        Case {
            tool: "leadsrover_delete_lead",
            args: json!({"id": 1210}),
            reads: vec![],
            req: Req {
                method: "DELETE",
                path: "/api/v1/leads/1210",
                query: None,
                body: None,
            },
            confirm: false,
            check: |r| assert_eq!(r["data"], json!({"id": 1210, "deleted": true})),
        },
        Case {
            tool: "leadsrover_list_conversations",
            args: json!({"filter": "all", "limit": 3}),
            reads: vec![],
            req: get("/api/v1/conversations", Some("limit=3&filter=all")),
            confirm: false,
            check: |r| {
                assert_eq!(r["data"].as_array().unwrap().len(), 3);
                assert_eq!(
                    r["pagination"],
                    json!({"total": 9, "limit": 3, "offset": 0, "hasMore": true})
                );
                assert_eq!(r["next_offset"], 3);
                notices(r, &["recipientUsername", "last message"]);
            },
        },
        Case {
            tool: "leadsrover_get_conversation",
            args: json!({"id": 88}),
            reads: vec![],
            req: get("/api/v1/conversations/88", None),
            confirm: false,
            check: |r| {
                assert_eq!(
                    r["data"]["conversation"]["recipientUsername"],
                    "example_user_6"
                );
                assert_eq!(r["data"]["lead"]["id"], 1206);
                assert!(r["data"]["lead"]["content"].is_string());
                assert_eq!(
                    r["data"]["messages"][1]["body"],
                    "How much is the team plan?"
                );
                notices(r, &["full message history", "post body"]);
            },
        },
        Case {
            tool: "leadsrover_reply_conversation",
            args: json!({"id": 92, "message": "Yes: it logs every email to the lead automatically."}),
            reads: vec![get("/api/v1/conversations/92", None)],
            req: Req {
                method: "POST",
                path: "/api/v1/conversations/92/reply",
                query: None,
                body: Some(
                    json!({"message": "Yes: it logs every email to the lead automatically."}),
                ),
            },
            confirm: true,
            check: |r| assert_eq!(r["data"], json!({"conversationId": 92, "queued": true})),
        },
        Case {
            tool: "leadsrover_update_conversation",
            args: json!({"id": 89, "archived": true}),
            reads: vec![],
            req: Req {
                method: "PATCH",
                path: "/api/v1/conversations/89",
                query: None,
                body: Some(json!({"archived": true})),
            },
            confirm: false,
            check: |r| {
                assert_eq!(r["data"]["replyStateKey"], "archived");
                assert!(r["data"]["archivedAt"].is_string());
            },
        },
        Case {
            tool: "leadsrover_trigger_scan",
            args: json!({"id": 43}),
            reads: vec![],
            req: Req {
                method: "POST",
                path: "/api/v1/products/43/scan",
                query: None,
                body: None,
            },
            confirm: false,
            check: |r| {
                assert_eq!(
                    r["data"],
                    json!({"productId": 43, "status": "scanning", "message": "Scan enqueued successfully"})
                )
            },
        },
        Case {
            tool: "leadsrover_get_openapi_spec",
            args: json!({}),
            reads: vec![],
            req: get("/api/v1/openapi.json", None),
            confirm: false,
            check: |r| {
                assert_eq!(r["openapi"], "3.1.0");
                assert_eq!(r["paths"].as_object().unwrap().len(), 16);
            },
        },
        Case {
            tool: "leadsrover_get_agent_guide",
            args: json!({}),
            reads: vec![],
            req: get("/api/v1/agent-guide", None),
            confirm: false,
            check: |r| assert_eq!(r["text"], AGENT_GUIDE),
        },
    ]
}

fn assert_req(actual: &leads_mcp_sandbox::Recorded, expected: &Req, tool: &str) {
    assert_eq!(actual.method, expected.method, "{tool}");
    assert_eq!(actual.path, expected.path, "{tool}");
    assert_eq!(actual.query.as_deref(), expected.query, "{tool}");
    assert_eq!(actual.body, expected.body, "{tool}");
    crate::rover::assert_headers(actual, expected.body.is_some());
}

async fn run_every_tool(client: &Client, handler: &TestClient, up: &Upstream, era: Era) {
    let mut seen = BTreeSet::new();
    for case in cases() {
        let asked_before = handler.asked().len();
        let result = call(client, case.tool, case.args.clone()).await;
        assert!(!is_error(&result), "{}: {}", case.tool, text(&result));
        let reqs = up.requests();
        let mut expected: Vec<&Req> = case.reads.iter().collect();
        if case.confirm && era == Era::Modern {
            // The retry that carries the answer checks the rules again.
            expected.extend(case.reads.iter());
        }
        expected.push(&case.req);
        assert_eq!(
            reqs.len(),
            expected.len(),
            "{}: {:#?}",
            case.tool,
            crate::rover::lines(&reqs)
        );
        for (actual, want) in reqs.iter().zip(&expected) {
            assert_req(actual, want, case.tool);
        }
        assert_eq!(
            handler.asked().len(),
            asked_before + usize::from(case.confirm),
            "{}",
            case.tool
        );
        let s = structured(&result);
        let request_id = s["request_id"].as_str().unwrap();
        assert_eq!(
            Some(request_id),
            reqs.last().unwrap().header("x-request-id")
        );
        assert!(text(&result).contains(request_id));
        (case.check)(&s);
        seen.insert(case.tool.to_string());
    }
    let listed: BTreeSet<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(listed, seen);
    assert_eq!(listed.len(), 20);
}

#[tokio::test]
async fn every_tool_over_stdio() {
    let up = Upstream::start().await;
    let (client, handler) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    run_every_tool(&client, &handler, &up, Era::Handshake).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_tool_over_streamable_http() {
    let up = Upstream::start().await;
    let (_server, client, handler) =
        crate::rover::http_client_for(&up, Human::Accepts, Era::Handshake).await;
    run_every_tool(&client, &handler, &up, Era::Handshake).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_tool_from_a_2026_client_over_streamable_http() {
    let up = Upstream::start().await;
    let (_server, client, handler) =
        crate::rover::http_client_for(&up, Human::Accepts, Era::Modern).await;
    run_every_tool(&client, &handler, &up, Era::Modern).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_tool_from_a_2026_client_over_stdio() {
    let up = Upstream::start().await;
    let (client, handler) = crate::rover::stdio_client(&up, Human::Accepts, Era::Modern).await;
    run_every_tool(&client, &handler, &up, Era::Modern).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_agent_guide_is_a_resource_and_the_prompts_are_served() {
    let up = Upstream::start().await;
    let (client, _) = crate::rover::stdio_client(&up, Human::CannotElicit, Era::Handshake).await;
    let resources = client.list_all_resources().await.unwrap();
    let guide = resources
        .iter()
        .find(|r| r.uri == "leadsrover://agent-guide")
        .unwrap();
    assert_eq!(guide.mime_type.as_deref(), Some("text/markdown"));
    let read = client
        .read_resource(ReadResourceRequestParams::new("leadsrover://agent-guide"))
        .await
        .unwrap();
    let body = serde_json::to_value(&read.contents[0]).unwrap();
    assert_eq!(body["text"], AGENT_GUIDE);
    assert_eq!(body["mimeType"], "text/markdown");
    assert_eq!(
        crate::rover::lines(&up.requests()),
        ["GET /api/v1/agent-guide"]
    );
    let read = client
        .read_resource(ReadResourceRequestParams::new("leadsrover://openapi"))
        .await
        .unwrap();
    let body = serde_json::to_value(&read.contents[0]).unwrap();
    let doc: Value = serde_json::from_str(body["text"].as_str().unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    up.requests();

    let prompts: BTreeSet<String> = client
        .list_all_prompts()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(
        prompts,
        BTreeSet::from([
            "leadsrover-triage-inbox".to_string(),
            "leadsrover-triage-leads".to_string()
        ])
    );
    let mut params = rmcp::model::GetPromptRequestParams::new("leadsrover-triage-leads");
    params.arguments = args(json!({"product": "42", "min_quality": "75"}));
    let prompt = client.get_prompt(params).await.unwrap();
    let body = serde_json::to_value(&prompt.messages[0].content).unwrap();
    let body = body["text"].as_str().unwrap();
    assert!(
        body.contains("leadsrover_list_product_leads with id=42")
            && body.contains("minQuality=75")
            && body.contains("dislike")
            && body.contains("status=contacted while the lead's draft is approved"),
        "{body}"
    );
    assert!(up.requests().is_empty(), "prompts call nothing upstream");
    client.cancel().await.unwrap();
}
