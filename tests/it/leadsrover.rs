//! Every LeadsRover tool through a real MCP client (rmcp's), over every
//! transport and protocol generation, asserting the exact requests the
//! sandbox received (the preflight reads a rule needs, then the call itself)
//! and what the client sees; the agent guide, the resources and the prompts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use crate::common::every_tool::*;
use crate::common::*;
use crate::rover::vendor;
use leads_mcp_sandbox::leadsrover::AGENT_GUIDE;
use serde_json::{Value, json};

crate::every_tool_tests!(vendor);

/// The ids of a list result's items.
fn ids(r: &Value) -> Vec<u64> {
    r["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_u64().unwrap())
        .collect()
}

/// The privacy notice names each of `what`, and the content is marked untrusted.
fn notices(r: &Value, what: &[&str]) {
    assert_privacy(r, what);
    assert_untrusted(r);
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::call("leadsrover_get_me", json!({}))
            .sends(get("/api/v1/me"))
            .check(|r| {
                assert_eq!(r["data"]["user"]["email"], "user@example.com");
                assert_eq!(r["data"]["plan"]["limits"]["aiCommentsPerMonth"], 1000);
            }),
        Case::call("leadsrover_list_products", json!({}))
            .sends(get("/api/v1/products"))
            .check(|r| assert_eq!(r["data"][0]["name"], "Acme CRM")),
        Case::call("leadsrover_get_product", json!({"id": 43}))
            .sends(get("/api/v1/products/43"))
            .check(|r| assert_eq!(r["data"]["url"], "https://notes.example.com")),
        Case::call(
            "leadsrover_list_leads",
            json!({
                "productId": 42, "status": "all", "minQuality": 50, "since": "2026-11-01T00:00:00Z",
                "include": "content", "sort": "qualityScore", "order": "asc", "limit": 2, "offset": 1
            }),
        )
        .sends(get("/api/v1/leads").query(
            "productId=42&status=all&minQuality=50&since=2026-11-01T00%3A00%3A00Z&include=content&sort=qualityScore&order=asc&limit=2&offset=1",
        ))
        .check(|r| {
            assert_eq!(ids(r), [1203, 1212]);
            assert!(r["data"][0]["content"].is_string());
            assert_eq!(
                r["pagination"],
                json!({"total": 7, "limit": 2, "offset": 1, "hasMore": true})
            );
            assert_eq!(r["next_offset"], 3);
            notices(r, &["Reddit usernames", "post titles and bodies"]);
        }),
        Case::call("leadsrover_get_lead", json!({"id": 1201}))
            .sends(get("/api/v1/leads/1201"))
            .check(|r| {
                assert_eq!(r["data"]["authorUsername"], "example_user_1");
                assert!(
                    r["data"]["content"]
                        .as_str()
                        .unwrap()
                        .contains("spreadsheet")
                );
                notices(r, &["Reddit username", "full body"]);
            }),
        Case::call(
            "leadsrover_list_product_leads",
            json!({"id": 43, "minQuality": 60}),
        )
        .sends(get("/api/v1/products/43/leads").query("minQuality=60"))
        .check(|r| {
            assert_eq!(ids(r), [1208, 1209]);
            assert!(r["data"][0].get("content").is_none());
            assert_eq!(r["pagination"]["hasMore"], false);
            assert!(r.get("next_offset").is_none());
            notices(r, &["Reddit usernames"]);
        }),
        Case::call(
            "leadsrover_set_lead_feedback",
            json!({"id": 1204, "feedback": "dislike", "reason": "seller_side", "note": "Poster is an agency pitching services"}),
        )
        .sends(post("/api/v1/leads/1204/feedback").body(
            json!({"feedback": "dislike", "reason": "seller_side", "note": "Poster is an agency pitching services"}),
        ))
        .check(|r| {
            assert_eq!(
                r["data"],
                json!({"leadId": 1204, "feedback": "dislike", "dislikeReason": "seller_side", "note": "Poster is an agency pitching services"})
            )
        }),
        Case::call("leadsrover_clear_lead_feedback", json!({"id": 1205}))
            .sends(delete("/api/v1/leads/1205/feedback"))
            .check(|r| assert_eq!(r["data"], json!({"leadId": 1205, "feedback": null}))),
        Case::call("leadsrover_generate_dm", json!({"id": 1202}))
            .sends(post("/api/v1/leads/1202/generate-dm"))
            .check(|r| {
                assert!(r["data"]["dm"].as_str().unwrap().contains("example_user_2"));
                assert_eq!(r["data"]["quota"], json!({"used": 15, "limit": 1000}));
            }),
        Case::call(
            "leadsrover_queue_draft",
            json!({"id": 1202, "content": "Hi! Acme CRM reminds you of every follow-up.", "dmSubject": "Your follow-up question"}),
        )
        .reads(get("/api/v1/leads/1202"))
        .reads(get("/api/v1/drafts").query("limit=100&leadId=1202"))
        .sends(post("/api/v1/leads/1202/draft").body(
            json!({"content": "Hi! Acme CRM reminds you of every follow-up.", "dmSubject": "Your follow-up question"}),
        ))
        .asks(&[
            "Recipient: u/example_user_2",
            "content:\nHi! Acme CRM reminds you of every follow-up.\n",
        ])
        .check(|r| {
            assert_eq!(r["data"]["status"], "approved");
            assert_eq!(r["data"]["dmRecipient"], "example_user_2");
            assert_privacy(r, &["dmRecipient"]);
        }),
        Case::call(
            "leadsrover_list_drafts",
            json!({"leadId": 1207, "status": "approved", "productId": 42, "limit": 10, "offset": 0}),
        )
        .sends(
            get("/api/v1/drafts").query("productId=42&limit=10&offset=0&leadId=1207&status=approved"),
        )
        .check(|r| {
            assert_eq!(r["data"].as_array().unwrap().len(), 1);
            assert_eq!(r["data"][0]["id"], 568);
            assert_eq!(r["data"][0]["dmRecipient"], "example_user_7");
            notices(r, &["dmRecipient"]);
        }),
        Case::call(
            "leadsrover_update_lead",
            json!({"id": 1205, "status": "contacted", "contactMethod": "comment"}),
        )
        .reads(get("/api/v1/drafts").query("limit=100&leadId=1205&status=approved"))
        .sends(
            patch("/api/v1/leads/1205")
                .body(json!({"status": "contacted", "contactMethod": "comment"})),
        )
        .check(|r| assert_eq!(r["data"], json!({"id": 1205, "status": "contacted"}))),
        Case::call("leadsrover_delete_lead", json!({"id": 1210}))
            .sends(delete("/api/v1/leads/1210"))
            .check(|r| assert_eq!(r["data"], json!({"id": 1210, "deleted": true}))),
        Case::call(
            "leadsrover_list_conversations",
            json!({"filter": "all", "limit": 3}),
        )
        .sends(get("/api/v1/conversations").query("limit=3&filter=all"))
        .check(|r| {
            assert_eq!(r["data"].as_array().unwrap().len(), 3);
            assert_eq!(
                r["pagination"],
                json!({"total": 9, "limit": 3, "offset": 0, "hasMore": true})
            );
            assert_eq!(r["next_offset"], 3);
            notices(r, &["recipientUsername", "last message"]);
        }),
        Case::call("leadsrover_get_conversation", json!({"id": 88}))
            .sends(get("/api/v1/conversations/88"))
            .check(|r| {
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
            }),
        Case::call(
            "leadsrover_reply_conversation",
            json!({"id": 92, "message": "Yes: it logs every email to the lead automatically."}),
        )
        .reads(get("/api/v1/conversations/92"))
        .sends(
            post("/api/v1/conversations/92/reply")
                .body(json!({"message": "Yes: it logs every email to the lead automatically."})),
        )
        .asks(&["message:\nYes: it logs every email to the lead automatically.\n"])
        .check(|r| assert_eq!(r["data"], json!({"conversationId": 92, "queued": true}))),
        Case::call(
            "leadsrover_update_conversation",
            json!({"id": 89, "archived": true}),
        )
        .sends(patch("/api/v1/conversations/89").body(json!({"archived": true})))
        .check(|r| {
            assert_eq!(r["data"]["replyStateKey"], "archived");
            assert!(r["data"]["archivedAt"].is_string());
        }),
        Case::call("leadsrover_trigger_scan", json!({"id": 43}))
            .sends(post("/api/v1/products/43/scan"))
            .check(|r| {
                assert_eq!(
                    r["data"],
                    json!({"productId": 43, "status": "scanning", "message": "Scan enqueued successfully"})
                )
            }),
        Case::call("leadsrover_get_openapi_spec", json!({}))
            .sends(get("/api/v1/openapi.json"))
            .check(|r| {
                assert_eq!(r["openapi"], "3.1.0");
                assert_eq!(r["paths"].as_object().unwrap().len(), 16);
            }),
        Case::call("leadsrover_get_agent_guide", json!({}))
            .sends(get("/api/v1/agent-guide"))
            .check(|r| assert_eq!(r["text"], AGENT_GUIDE)),
    ]
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
    let (guide, mime) = resource_text(&client, "leadsrover://agent-guide").await;
    assert_eq!(guide, AGENT_GUIDE);
    assert_eq!(mime.as_deref(), Some("text/markdown"));
    assert_eq!(lines(&up.requests()), ["GET /api/v1/agent-guide"]);
    let (openapi, _) = resource_text(&client, "leadsrover://openapi").await;
    let doc: Value = serde_json::from_str(&openapi).unwrap();
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
    let messages = prompt_messages(
        &client,
        "leadsrover-triage-leads",
        json!({"product": "42", "min_quality": "75"}),
    )
    .await;
    let body = &messages[0];
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
