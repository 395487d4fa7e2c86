//! Every LeadPanther tool through a real MCP client (rmcp's), over every
//! transport and protocol generation, asserting the exact request the
//! sandbox received and what the client sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::every_tool::*;
use crate::common::*;
use leads_mcp_sandbox::leadpanther::{CLIENT_A, CLIENT_B, FULL_KEY};
use serde_json::json;

const AGENCY_DRAFT: &str = "00000000-0000-4000-8000-000000000100";
const AGENCY_PUBLISHED: &str = "00000000-0000-4000-8000-000000000102";
const AGENCY_MAGNET: &str = "00000000-0000-4000-8000-000000000200";
const CLIENT_A_DRAFT: &str = "00000000-0000-4000-8000-000000010100";

fn vendor() -> Vendor {
    Vendor {
        headers: vec![bearer(FULL_KEY)],
        ..Vendor::new("leadpanther", Upstream::env, 20, cases)
    }
}

crate::every_tool_tests!(vendor);

fn cases() -> Vec<Case> {
    let a = CLIENT_A;
    vec![
        Case::call("leadpanther_get_api_metadata", json!({}))
            .sends(get("/api/v1"))
            .check(|r| assert_eq!(r["data"]["version"], "v1")),
        Case::call("leadpanther_get_me", json!({}))
            .sends(get("/api/v1/me"))
            .check(|r| assert_eq!(r["data"]["account"]["name"], "Example Agency")),
        Case::call("leadpanther_list_clients", json!({"limit": 2, "offset": 1}))
            .sends(get("/api/v1/clients").query("limit=2&offset=1"))
            .check(|r| {
                assert_eq!(r["data"].as_array().unwrap().len(), 2);
                assert_eq!(
                    r["pagination"],
                    json!({"limit": 2, "offset": 1, "has_more": false})
                );
                assert!(r.get("next_offset").is_none());
            }),
        Case::call("leadpanther_get_client", json!({"client_id": a}))
            .sends(get(format!("/api/v1/clients/{a}")))
            .check(|r| assert_eq!(r["data"]["name"], "Client A")),
        Case::call(
            "leadpanther_list_posts",
            json!({"client_id": a, "limit": 2, "offset": 0}),
        )
        .sends(get(format!("/api/v1/clients/{a}/posts")).query("limit=2&offset=0"))
        .check(|r| {
            assert_eq!(r["data"].as_array().unwrap().len(), 2);
            assert_eq!(r["pagination"]["has_more"], true);
            assert_eq!(r["next_offset"], 2);
        }),
        // Without an offset, the next one is the limit.
        Case::call("leadpanther_list_posts", json!({"client_id": a, "limit": 1}))
            .sends(get(format!("/api/v1/clients/{a}/posts")).query("limit=1"))
            .check(|r| assert_eq!(r["next_offset"], 1)),
        Case::call(
            "leadpanther_create_post",
            json!({
                "client_id": a, "text": "Public-safe LinkedIn post copy.", "status": "draft",
                "scheduled_at": null, "theme_id": null, "template_id": null, "images": [],
                "document_url": null, "notes": "Example internal note."
            }),
        )
        .sends(post(format!("/api/v1/clients/{a}/posts")).body(json!({
            "text": "Public-safe LinkedIn post copy.", "status": "draft", "scheduled_at": null,
            "theme_id": null, "template_id": null, "images": [], "document_url": null,
            "notes": "Example internal note."
        })))
        .check(|r| {
            assert_eq!(r["data"]["text"], "Public-safe LinkedIn post copy.");
            assert_eq!(r["data"]["status"], "draft");
        }),
        Case::call("leadpanther_get_post", json!({"id": AGENCY_DRAFT}))
            .sends(get(format!("/api/v1/posts/{AGENCY_DRAFT}")))
            .check(|r| assert_eq!(r["data"]["id"], AGENCY_DRAFT)),
        Case::call(
            "leadpanther_update_post",
            json!({"id": AGENCY_DRAFT, "text": "Updated copy.", "scheduled_at": "2026-07-01T09:00:00Z"}),
        )
        .sends(
            patch(format!("/api/v1/posts/{AGENCY_DRAFT}"))
                .body(json!({"text": "Updated copy.", "scheduled_at": "2026-07-01T09:00:00Z"})),
        )
        .check(|r| assert_eq!(r["data"]["text"], "Updated copy.")),
        Case::call(
            "leadpanther_delete_post",
            json!({"client_id": a, "id": CLIENT_A_DRAFT}),
        )
        .sends(delete(format!("/api/v1/clients/{a}/posts/{CLIENT_A_DRAFT}")))
        .check(|r| assert_eq!(r["data"]["deleted"], true)),
        Case::call(
            "leadpanther_get_post_engagement",
            json!({"id": AGENCY_PUBLISHED}),
        )
        .sends(get(format!("/api/v1/posts/{AGENCY_PUBLISHED}/engagement")))
        .check(|r| assert_eq!(r["data"]["impressions"], 1200)),
        Case::call("leadpanther_list_lead_magnets", json!({}))
            .sends(get("/api/v1/lead-magnets"))
            .check(|r| assert_eq!(r["data"][0]["id"], AGENCY_MAGNET)),
        Case::call(
            "leadpanther_create_lead_magnet",
            json!({"client_id": CLIENT_B, "body": {"title": "Onboarding checklist"}}),
        )
        .sends(
            post(format!("/api/v1/clients/{CLIENT_B}/lead-magnets"))
                .body(json!({"title": "Onboarding checklist"})),
        )
        .check(|r| assert_eq!(r["data"]["status"], "active")),
        Case::call("leadpanther_get_lead_magnet", json!({"id": AGENCY_MAGNET}))
            .sends(get(format!("/api/v1/lead-magnets/{AGENCY_MAGNET}")))
            .check(|r| assert_eq!(r["data"]["title"], "Example checklist")),
        Case::call(
            "leadpanther_update_lead_magnet",
            json!({"id": AGENCY_MAGNET, "body": {"title": "Better checklist"}}),
        )
        .sends(
            patch(format!("/api/v1/lead-magnets/{AGENCY_MAGNET}"))
                .body(json!({"title": "Better checklist"})),
        )
        .check(|r| assert_eq!(r["data"]["title"], "Better checklist")),
        Case::call(
            "leadpanther_get_lead_magnet_analytics",
            json!({"id": AGENCY_MAGNET}),
        )
        .sends(get(format!("/api/v1/lead-magnets/{AGENCY_MAGNET}/analytics")))
        .check(|r| assert_eq!(r["data"]["views"], 340)),
        Case::call(
            "leadpanther_archive_lead_magnet",
            json!({"id": AGENCY_MAGNET}),
        )
        .sends(delete(format!("/api/v1/lead-magnets/{AGENCY_MAGNET}")))
        .check(|r| assert_eq!(r["data"]["status"], "archived")),
        Case::call(
            "leadpanther_list_leads",
            json!({"client_id": a, "limit": 50, "offset": 0}),
        )
        .sends(get(format!("/api/v1/clients/{a}/leads")).query("limit=50&offset=0"))
        .check(|r| {
            assert_eq!(r["data"].as_array().unwrap().len(), 3);
            assert_privacy(
                r,
                &[
                    "names",
                    "LinkedIn profile URLs",
                    "personal emails",
                    "intent signals",
                    "qualification status",
                ],
            );
        }),
        Case::call("leadpanther_list_activity", json!({}))
            .sends(get("/api/v1/activity"))
            .check(|r| {
                assert_privacy(
                    r,
                    &[
                        "message/comment content",
                        "chat IDs",
                        "comment IDs",
                        "intent metadata",
                    ],
                );
                assert_untrusted(r);
            }),
        // The media pair: the path the first call returns is what the second deletes.
        Case::call(
            "leadpanther_create_media_upload_url",
            json!({"body": {"file_name": "banner.png", "content_type": "image/png"}}),
        )
        .sends(
            post("/api/v1/media/upload-url")
                .body(json!({"file_name": "banner.png", "content_type": "image/png"})),
        )
        .saves("path", "/data/path"),
        Case::call(
            "leadpanther_delete_media",
            json!({"body": {"path": "${path}"}}),
        )
        .sends(delete("/api/v1/media").body(json!({"path": "${path}"}))),
    ]
}
