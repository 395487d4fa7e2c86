//! The LeadsRover reference's rules, each proven through rmcp's client
//! against the recording sandbox: refused before anything is sent (argument
//! rules, the draft and contact rules that need reads), the error envelope
//! with its hints, the AI quota, and the rate limits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use crate::common::*;
use leads_mcp_sandbox::leadsrover::{QUOTA_SPENT_KEY, READ_KEY};
use serde_json::{Value, json};

#[tokio::test]
async fn documented_argument_rules_are_refused_before_sending() {
    let up = Upstream::start().await;
    let (client, handler) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    let past = "2020-01-01T00:00:00Z";
    let refused = [
        (
            "leadsrover_set_lead_feedback",
            json!({"id": 1202, "feedback": "dislike"}),
            "a dislike needs a reason",
        ),
        (
            "leadsrover_set_lead_feedback",
            json!({"id": 1202, "feedback": "dislike", "reason": "boring"}),
            "`reason`",
        ),
        (
            "leadsrover_set_lead_feedback",
            json!({"id": 1202, "feedback": "dislike", "reason": "other", "note": "n".repeat(241)}),
            "`note`",
        ),
        (
            "leadsrover_set_lead_feedback",
            json!({"id": 1202, "feedback": "meh"}),
            "`feedback`",
        ),
        (
            "leadsrover_queue_draft",
            json!({"id": 1202, "content": "x".repeat(10_001)}),
            "`content`",
        ),
        (
            "leadsrover_queue_draft",
            json!({"id": 1202, "content": ""}),
            "`content`",
        ),
        (
            "leadsrover_queue_draft",
            json!({"id": 1202, "content": "Hi", "dmSubject": "s".repeat(201)}),
            "`dmSubject`",
        ),
        ("leadsrover_queue_draft", json!({"id": 1202}), "content"),
        (
            "leadsrover_update_lead",
            json!({"id": 1202, "status": "archived"}),
            "`status`",
        ),
        (
            "leadsrover_update_lead",
            json!({"id": 1202, "status": "contacted", "contactMethod": "email"}),
            "`contactMethod`",
        ),
        (
            "leadsrover_update_lead",
            json!({"id": 1202}),
            "at least one field",
        ),
        (
            "leadsrover_update_conversation",
            json!({"id": 90, "snoozedUntil": past}),
            "snoozedUntil must be a future ISO 8601 timestamp",
        ),
        (
            "leadsrover_update_conversation",
            json!({"id": 90, "snoozedUntil": "2099-01-01T00:00:00"}),
            "`snoozedUntil`",
        ),
        (
            "leadsrover_update_conversation",
            json!({"id": 90, "snoozedUntil": "next week"}),
            "`snoozedUntil`",
        ),
        (
            "leadsrover_update_conversation",
            json!({"id": 90}),
            "at least one field",
        ),
        (
            "leadsrover_list_leads",
            json!({"minQuality": 101}),
            "`minQuality`",
        ),
        (
            "leadsrover_list_leads",
            json!({"status": "liked"}),
            "`status`",
        ),
        ("leadsrover_list_leads", json!({"limit": 0}), "`limit`"),
        (
            "leadsrover_list_leads",
            json!({"since": "yesterday"}),
            "`since`",
        ),
        (
            "leadsrover_list_leads",
            json!({"sort": "upvotes"}),
            "`sort`",
        ),
        (
            "leadsrover_list_product_leads",
            json!({"id": 42, "productId": 43}),
            "productId",
        ),
        (
            "leadsrover_list_conversations",
            json!({"filter": "unread"}),
            "`filter`",
        ),
        (
            "leadsrover_list_drafts",
            json!({"status": "sent"}),
            "`status`",
        ),
        ("leadsrover_get_lead", json!({"id": "../me"}), "`id`"),
        // Ids are integers in 1..=2^53-1 (the JSON-safe range): 2^63 and
        // 2^53 are refused by the schema.
        (
            "leadsrover_get_lead",
            json!({"id": 9_223_372_036_854_775_808_u64}),
            "`id`",
        ),
        (
            "leadsrover_delete_lead",
            json!({"id": 9_007_199_254_740_992_u64}),
            "`id`",
        ),
        ("leadsrover_get_product", json!({"id": 0}), "`id`"),
        (
            "leadsrover_list_leads",
            json!({"productId": 9_007_199_254_740_992_u64}),
            "productId",
        ),
        (
            "leadsrover_list_drafts",
            json!({"leadId": 9_223_372_036_854_775_808_u64}),
            "leadId",
        ),
        (
            "leadsrover_reply_conversation",
            json!({"id": 92, "message": ""}),
            "`message`",
        ),
    ];
    for (tool, args, why) in refused {
        let r = call(&client, tool, args.clone()).await;
        assert_refused_unsent(&r, why);
    }
    assert!(
        up.requests().is_empty(),
        "a refused call reached LeadsRover"
    );
    assert!(handler.asked().is_empty(), "a refused call asked the human");

    // Their valid neighbours go through.
    let later = (chrono::Utc::now() + chrono::Duration::days(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let r = call(
        &client,
        "leadsrover_update_conversation",
        json!({"id": 90, "snoozedUntil": later}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(structured(&r)["data"]["snoozedUntil"], later);
    let r = call(
        &client,
        "leadsrover_update_conversation",
        json!({"id": 90, "snoozedUntil": null}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    let r = call(
        &client,
        "leadsrover_set_lead_feedback",
        json!({"id": 1202, "feedback": "dislike", "reason": "other", "note": "n".repeat(240)}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    // The largest id in range is sent (and not found).
    let r = call(
        &client,
        "leadsrover_get_lead",
        json!({"id": 9_007_199_254_740_991_u64}),
    )
    .await;
    assert_eq!(error_of(&r)["status"], 404, "{}", text(&r));
    let reqs = up.requests();
    assert_eq!(
        lines(&reqs),
        [
            "PATCH /api/v1/conversations/90",
            "PATCH /api/v1/conversations/90",
            "POST /api/v1/leads/1202/feedback",
            "GET /api/v1/leads/9007199254740991"
        ]
    );
    assert_eq!(reqs[1].body, Some(json!({"snoozedUntil": null})));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_lead_with_an_approved_draft_is_never_marked_contacted() {
    let up = Upstream::start().await;
    let (client, _) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    // Lead 1207 has draft 568, approved, not yet sent by the extension.
    let r = call(
        &client,
        "leadsrover_update_lead",
        json!({"id": 1207, "status": "contacted", "contactMethod": "dm"}),
    )
    .await;
    let e = error_of(&r);
    assert_eq!(e["code"], "approved_draft_pending");
    let t = text(&r);
    assert!(
        t.contains("approved draft (568)") && t.contains("stale"),
        "{t}"
    );
    assert!(t.contains("leadsrover_list_drafts"), "{t}");
    assert_eq!(
        lines(&up.requests()),
        ["GET /api/v1/drafts?limit=100&leadId=1207&status=approved"]
    );
    // The draft is untouched.
    let r = call(&client, "leadsrover_list_drafts", json!({"leadId": 1207})).await;
    assert_eq!(structured(&r)["data"][0]["status"], "approved");
    up.requests();
    // Setting it back to new needs no check.
    let r = call(
        &client,
        "leadsrover_update_lead",
        json!({"id": 1207, "status": "new"}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(lines(&up.requests()), ["PATCH /api/v1/leads/1207"]);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn one_draft_per_lead_and_none_for_a_contacted_lead() {
    let up = Upstream::start().await;
    let (client, handler) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    let draft = |id: u64| json!({"id": id, "content": "Hello from the test."});

    let r = call(&client, "leadsrover_queue_draft", draft(1207)).await;
    assert_eq!(error_of(&r)["code"], "draft_exists");
    assert!(
        text(&r).contains("already has draft 568 (approved)"),
        "{}",
        text(&r)
    );
    assert_eq!(
        lines(&up.requests()),
        [
            "GET /api/v1/leads/1207",
            "GET /api/v1/drafts?limit=100&leadId=1207"
        ]
    );

    let r = call(&client, "leadsrover_queue_draft", draft(1206)).await;
    assert_eq!(error_of(&r)["code"], "lead_already_contacted");
    assert!(text(&r).contains("already contacted"), "{}", text(&r));
    assert_eq!(lines(&up.requests()), ["GET /api/v1/leads/1206"]);
    assert!(handler.asked().is_empty(), "refused before asking");

    // A fresh lead: asked once, sent once; a second draft is refused.
    let r = call(&client, "leadsrover_queue_draft", draft(1208)).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(handler.asked().len(), 1);
    assert_eq!(crate::rover::writes(&up.requests()).len(), 1);
    let r = call(&client, "leadsrover_queue_draft", draft(1208)).await;
    assert_eq!(error_of(&r)["code"], "draft_exists");
    assert!(crate::rover::writes(&up.requests()).is_empty());
    assert_eq!(handler.asked().len(), 1);

    // The author doesn't take DMs: only LeadsRover knows; its 409 is explained.
    let r = call(&client, "leadsrover_queue_draft", draft(1203)).await;
    let e = vendor_error(&r, 409, "CONFLICT");
    assert_eq!(e["message"], "The author cannot receive DMs");
    assert_eq!(
        e["details"]["doc_url"],
        "https://leadsrover.io/docs/api#errors"
    );
    assert!(
        e["next"].as_str().unwrap().contains("One draft per lead"),
        "{e}"
    );
    assert!(text(&r).contains("doc_url: https://leadsrover.io/docs/api#errors"));
    client.cancel().await.unwrap();
}

/// Calls `tool` until `found` picks something out of its result (the
/// simulated extension and leads act a moment later), within 20 s.
async fn wait_for(
    client: &Client,
    tool: &str,
    arguments: Value,
    found: impl Fn(&Value) -> Option<Value>,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = call(client, tool, arguments.clone()).await;
        if let Some(hit) = found(&structured(&r)["data"]) {
            return hit;
        }
        assert!(
            Instant::now() < deadline,
            "{tool} {arguments}: never happened"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn the_draft_lifecycle_marks_the_lead_contacted() {
    let up = Upstream::start().await;
    let (client, _) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    let queue = |id: u64, content: &str| {
        call(
            &client,
            "leadsrover_queue_draft",
            json!({"id": id, "content": content}),
        )
    };
    let r = queue(1201, "Hi! Acme CRM is built for three-person teams.").await;
    assert!(!is_error(&r), "{}", text(&r));
    let draft_id = structured(&r)["data"]["id"].clone();
    // The simulated extension sends it a moment later...
    let posted = wait_for(
        &client,
        "leadsrover_list_drafts",
        json!({"leadId": 1201}),
        |d| (d[0]["status"] == "posted").then(|| d[0].clone()),
    )
    .await;
    assert_eq!(posted["id"], draft_id);
    assert!(posted["postedAt"].is_string());
    // ...which marks the lead contacted.
    let r = call(&client, "leadsrover_get_lead", json!({"id": 1201})).await;
    assert_eq!(structured(&r)["data"]["status"], "contacted");
    // Lead 1201 answers: a new conversation enters the needs_reply queue.
    let thread = wait_for(
        &client,
        "leadsrover_list_conversations",
        json!({"filter": "needs_reply"}),
        |d| d.as_array()?.iter().find(|t| t["leadId"] == 1201).cloned(),
    )
    .await;
    assert_eq!(thread["recipientUsername"], "example_user_1");
    let said = thread["lastMessage"]["body"].as_str().unwrap();
    assert!(said.contains("team plan"), "{said}");
    // A send that fails: lead 1209's account refuses new contacts.
    let r = queue(1209, "Hi! Example Notes tracks action items.").await;
    assert!(!is_error(&r), "{}", text(&r));
    let failed = wait_for(
        &client,
        "leadsrover_list_drafts",
        json!({"status": "failed"}),
        |d| d.as_array()?.first().cloned(),
    )
    .await;
    assert_eq!(failed["leadId"], 1209);
    let why = failed["errorMessage"].as_str().unwrap();
    assert!(why.contains("does not accept"), "{why}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn replies_need_a_ready_thread_without_a_queued_reply() {
    let up = Upstream::start().await;
    let (client, handler) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    let r = call(
        &client,
        "leadsrover_reply_conversation",
        json!({"id": 93, "message": "Here is the demo link."}),
    )
    .await;
    assert_eq!(error_of(&r)["code"], "conversation_not_sendable");
    assert_eq!(lines(&up.requests()), ["GET /api/v1/conversations/93"]);

    let r = call(
        &client,
        "leadsrover_reply_conversation",
        json!({"id": 92, "message": "Yes, Gmail and Outlook."}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    up.requests();
    let r = call(
        &client,
        "leadsrover_reply_conversation",
        json!({"id": 92, "message": "Also: calendars."}),
    )
    .await;
    assert_eq!(error_of(&r)["code"], "reply_already_queued");
    assert!(
        text(&r).contains("\"Yes, Gmail and Outlook.\""),
        "{}",
        text(&r)
    );
    assert!(text(&r).contains("cancelQueuedReply"), "{}", text(&r));
    assert!(crate::rover::writes(&up.requests()).is_empty());
    assert_eq!(handler.asked().len(), 1, "refused before asking");

    // Cancel the queued reply, then the new one can go.
    let r = call(
        &client,
        "leadsrover_update_conversation",
        json!({"id": 92, "cancelQueuedReply": true}),
    )
    .await;
    assert!(
        structured(&r)["data"]["queuedReply"].is_null(),
        "{}",
        text(&r)
    );
    let r = call(
        &client,
        "leadsrover_reply_conversation",
        json!({"id": 92, "message": "Also: calendars."}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(handler.asked().len(), 2);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn errors_carry_code_message_doc_url_and_what_to_do() {
    let up = Upstream::start().await;
    let (client, _) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    let r = call(&client, "leadsrover_get_lead", json!({"id": 9999})).await;
    let e = error_of(&r);
    assert_eq!(e["status"], 404);
    assert_eq!(e["code"], "NOT_FOUND");
    assert_eq!(e["message"], "Lead not found");
    assert_eq!(
        e["details"]["doc_url"],
        "https://leadsrover.io/docs/api#errors"
    );
    assert!(e["next"].as_str().unwrap().contains("list tool"));

    let r = call(&client, "leadsrover_delete_lead", json!({"id": 1204})).await;
    assert!(!is_error(&r));
    let r = call(&client, "leadsrover_delete_lead", json!({"id": 1204})).await;
    assert_eq!(error_of(&r)["status"], 404);

    let r = call(&client, "leadsrover_trigger_scan", json!({"id": 42})).await;
    assert!(!is_error(&r));
    let r = call(&client, "leadsrover_trigger_scan", json!({"id": 42})).await;
    let e = error_of(&r);
    assert_eq!(e["code"], "CONFLICT");
    assert!(
        e["next"].as_str().unwrap().contains("already running"),
        "{e}"
    );
    client.cancel().await.unwrap();

    // A read-only key: writes are 403 FORBIDDEN, with the scope named.
    let (client, _) =
        crate::rover::stdio_keyed(&up, READ_KEY, &[], Human::Accepts, Era::Handshake).await;
    let r = call(
        &client,
        "leadsrover_clear_lead_feedback",
        json!({"id": 1202}),
    )
    .await;
    let e = vendor_error(&r, 403, "FORBIDDEN");
    assert!(e["next"].as_str().unwrap().contains("`write` scope"), "{e}");
    assert!(!text(&r).contains(READ_KEY));
    client.cancel().await.unwrap();

    // A wrong key: 401 names the variable, never the key.
    let (client, _) =
        crate::rover::stdio_keyed(&up, "lr_sk_not_a_key", &[], Human::Accepts, Era::Handshake)
            .await;
    let r = call(&client, "leadsrover_get_me", json!({})).await;
    let e = error_of(&r);
    assert_eq!(e["code"], "UNAUTHORIZED");
    assert!(e["next"].as_str().unwrap().contains("LEADSROVER_API_KEY"));
    assert!(!text(&r).contains("lr_sk_not_a_key"));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn generate_dm_spends_quota_and_an_empty_quota_is_explained() {
    let up = Upstream::start().await;
    let (client, _) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    let tools = client.list_all_tools().await.unwrap();
    let generate = tools
        .iter()
        .find(|t| t.name == "leadsrover_generate_dm")
        .unwrap();
    assert!(
        generate
            .description
            .as_deref()
            .unwrap()
            .contains("Spends one AI generation from the plan's quota")
    );
    client.cancel().await.unwrap();

    let (client, _) =
        crate::rover::stdio_keyed(&up, QUOTA_SPENT_KEY, &[], Human::Accepts, Era::Handshake).await;
    let r = call(&client, "leadsrover_generate_dm", json!({"id": 1202})).await;
    let e = vendor_error(&r, 403, "LIMIT_REACHED");
    let next = e["next"].as_str().unwrap();
    assert!(
        next.contains("AI generation quota is used up") && next.contains("leadsrover_queue_draft"),
        "{next}"
    );
    assert!(
        !next.contains("scope"),
        "a quota is not a scope problem: {next}"
    );
    assert_eq!(crate::rover::writes(&up.requests()).len(), 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_write_limit_waits_or_refuses_and_never_oversends() {
    let up = Upstream::start().await;
    let (client, _) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    // The documented 60 writes a minute go through at once...
    for _ in 0..60 {
        let r = call(
            &client,
            "leadsrover_clear_lead_feedback",
            json!({"id": 1202}),
        )
        .await;
        assert!(!is_error(&r), "{}", text(&r));
    }
    assert_eq!(up.requests().len(), 60);
    // ...the 61st would wait about a minute, beyond the server's 30 s bound:
    // refused with the wait, and not sent.
    let r = call(
        &client,
        "leadsrover_clear_lead_feedback",
        json!({"id": 1202}),
    )
    .await;
    let e = error_of(&r);
    assert_eq!(e["code"], "rate_limited");
    let t = text(&r);
    assert!(
        t.contains("60 POST/PATCH/DELETE requests per 60 s") && t.contains("Nothing was sent"),
        "{t}"
    );
    let wait: u64 = e["next"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!((31..=60).contains(&wait), "{e}");
    assert!(
        up.requests().is_empty(),
        "the client-side limit let a write through"
    );
    // Reads have their own budget.
    let r = call(&client, "leadsrover_get_me", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_429_read_is_retried_after_retry_after() {
    let up = Upstream::start().await;
    let (client, _) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    up.sandbox
        .inject(crate::rover::rate_limited_once("GET", "/api/v1/leads", 1));
    let started = Instant::now();
    let r = call(&client, "leadsrover_list_leads", json!({"limit": 5})).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was not honoured"
    );
    let reqs = up.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].header("x-request-id"),
        reqs[1].header("x-request-id")
    );
    assert_eq!(reqs[0].query, reqs[1].query);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_429_write_is_reported_with_the_wait_and_never_sent_twice() {
    let up = Upstream::start().await;
    let (client, handler) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    up.sandbox.inject(crate::rover::rate_limited_once(
        "POST",
        "/api/v1/conversations/92/reply",
        45,
    ));
    let r = call(
        &client,
        "leadsrover_reply_conversation",
        json!({"id": 92, "message": "Yes, Gmail and Outlook."}),
    )
    .await;
    let e = vendor_error(&r, 429, "RATE_LIMITED");
    assert_eq!(e["retry_after_seconds"], 45);
    assert!(text(&r).contains("Wait 45 seconds"), "{}", text(&r));
    assert!(text(&r).contains("not sent again"), "{}", text(&r));
    let reqs = up.requests();
    assert_eq!(crate::rover::writes(&reqs).len(), 1, "{:?}", lines(&reqs));
    assert_eq!(handler.asked().len(), 1);
    // Retry-After holds the key's writes: the next one is refused here,
    // with the wait, instead of being sent into the limit.
    let r = call(
        &client,
        "leadsrover_set_lead_feedback",
        json!({"id": 1202, "feedback": "like"}),
    )
    .await;
    let e = error_of(&r);
    assert_eq!(e["code"], "rate_limited");
    assert!(e["next"].as_str().unwrap().starts_with("Wait 4"), "{e}");
    assert!(up.requests().is_empty());
    // Reads are not held.
    let r = call(&client, "leadsrover_get_conversation", json!({"id": 92})).await;
    assert!(structured(&r)["data"]["conversation"]["queuedReply"].is_null());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_plain_http_base_url_stops_the_server() {
    let out = tokio::process::Command::new(BIN)
        .env_clear()
        .env("LEADSROVER_API_KEY", "lr_sk_x")
        .env("LEADSROVER_BASE_URL", "http://leadsrover.io")
        .args(["tools"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("LEADSROVER_BASE_URL") && err.contains("use https"),
        "{err}"
    );
    assert!(!err.contains("lr_sk_x"));
}
