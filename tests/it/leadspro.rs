//! Every Leads Pro tool through a real MCP client (rmcp's), over every
//! transport and protocol generation, asserting the exact request the
//! sandbox received and what the client sees; then each error and credit
//! case of the reference.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::every_tool::*;
use crate::common::*;
use leads_mcp_sandbox::Fault;
use leads_mcp_sandbox::leadspro::{GROWTH_KEY, LOW_KEY, SPENT_KEY, STARTER_KEY, THROTTLED_KEY};
use serde_json::{Value, json};

const ARGS: &[&str] = &["--vendors", "leadspro"];

/// The sandbox's base URLs and the given Leads Pro key, no other credentials.
fn env_with(up: &Upstream, key: Option<&str>) -> Vec<(String, String)> {
    with_credential(up, "LEADSPRO_API_KEY", key)
}

/// `METHOD /path` of every request the sandbox received since the last look.
fn routes(up: &Upstream) -> Vec<String> {
    up.requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

async fn leadspro(up: &Upstream, key: Option<&str>) -> Client {
    let env = env_with(up, key);
    stdio_as(ARGS, &env, Human::CannotElicit, Era::Handshake)
        .await
        .0
}

fn fault(method: &str, path: &str, status: u16, body: Value, headers: &[(&str, &str)]) -> Fault {
    vendor_fault("leadspro", method, path, status, body, headers, 1)
}

fn vendor() -> Vendor {
    let env = |up: &Upstream| env_with(up, Some(GROWTH_KEY));
    Vendor {
        headers: vec![bearer(GROWTH_KEY)],
        ..Vendor::new("leadspro", env, 7, cases)
    }
}

crate::every_tool_tests!(vendor);

/// `meta.request_id` is the result's request id, and `meta.credits_used`
/// is repeated at the top and in the summary line.
fn assert_meta_surfaced(result: &rmcp::model::CallToolResult, credits_used: u64) {
    let s = structured(result);
    let id = s["meta"]["request_id"].as_str().unwrap();
    assert!(id.starts_with("req_"), "{s}");
    assert_eq!(s["request_id"], id);
    assert_eq!(s["credits_used"], credits_used, "{s}");
    assert_eq!(s["meta"]["credits_used"], credits_used);
    let summary = text(result);
    let first = summary.lines().next().unwrap();
    assert!(
        first.contains(&format!("request_id {id}"))
            && first.contains(&format!("credits used {credits_used}")),
        "{first}"
    );
}

/// A Leads Pro call: the arguments are the body of every POST, and the
/// result surfaces the credits it used.
fn case(tool: &'static str, args: Value, req: Req, credits_used: u64) -> Case {
    let req = match req.method {
        "POST" => req.body(args.clone()),
        _ => req,
    };
    Case::call(tool, args)
        .sends(req)
        .check_result(move |r| assert_meta_surfaced(r, credits_used))
}

fn cases() -> Vec<Case> {
    let batch = json!({"items": [
        {"email": "amanda@northpeak.example.com"},
        {"phone": "+1 415 555 0106"},
        {"linkedin": "priya-example-growth"},
        {"full_name": "Nobody Known", "domain": "example.com"}
    ]});
    vec![
        case("leadspro_get_health", json!({}), get("/api/health"), 0).check(|r| {
            assert_eq!(r["status"], "ok");
            assert_eq!(r["dataset"]["people"], 8);
        }),
        case("leadspro_get_me", json!({}), get("/api/v1/me"), 0).check(|r| {
            assert_eq!(r["plan"]["name"], "Growth");
            assert_eq!(r["plan"]["batch_enabled"], true);
            assert_eq!(r["credits"]["remaining"], 460);
            assert!(!r.to_string().contains(GROWTH_KEY));
        }),
        case("leadspro_get_usage", json!({}), get("/api/v1/usage"), 0).check(|r| {
            assert_eq!(
                r["credits"],
                json!({"limit": 500, "used": 40, "remaining": 460, "period": {"start": "2026-06-01", "end": "2026-06-30"}})
            );
            assert_eq!(r["rate_limit"]["limit_per_minute"], 120);
        }),
        // The reference's single-enrichment example, with anonymized values.
        case(
            "leadspro_enrich_contact",
            json!({"email": "amanda@northpeak.example.com", "company": "North Peak"}),
            post("/api/v1/enrich"),
            1,
        )
        .check(|r| {
            assert_eq!(r["person"]["full_name"], "Amanda North");
            assert_eq!(r["person"]["job_title"], "VP Revenue Operations");
            assert_eq!(r["person"]["phone"], "+1 415 555 0101");
            assert_eq!(r["company"]["domain"], "northpeak.example.com");
            assert_privacy(r, &["phone numbers"]);
        }),
        case(
            "leadspro_enrich_contact",
            json!({"linkedin": "jordan-sample-ops"}),
            post("/api/v1/enrich"),
            1,
        )
        .check(|r| assert_eq!(r["person"]["full_name"], "Jordan Sample")),
        // The reference's batch example, with anonymized values, plus one
        // contact that matches nobody; the remaining credits are read first.
        Case::call("leadspro_enrich_batch", batch.clone())
            .reads(get("/api/v1/usage"))
            .sends(post("/api/v1/enrich/batch").body(batch))
            .check_result(|r| assert_meta_surfaced(r, 3))
            .check(|r| {
                let results = r["results"].as_array().unwrap();
                assert_eq!(results.len(), 4);
                assert_eq!(results[0]["success"], true);
                assert_eq!(results[0]["person"]["full_name"], "Amanda North");
                assert_eq!(results[1]["person"]["full_name"], "Priya Example");
                assert_eq!(results[2]["company"]["name"], "Bluefin Analytics");
                assert_eq!(results[3]["success"], false);
                assert_eq!(results[3]["error"]["code"], "no_match");
                assert!(r["privacy_notice"].is_string());
            }),
        // The reference's people-search example, exactly.
        case(
            "leadspro_search_people",
            json!({"job_title": "Revenue Operations", "country": "United States", "limit": 5}),
            post("/api/v1/search/people"),
            0,
        )
        .check(|r| {
            let names: Vec<&str> = r["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["person"]["full_name"].as_str().unwrap())
                .collect();
            assert_eq!(names, ["Amanda North", "Jordan Sample"]);
            assert!(r["results"][0]["person"].get("email").is_none());
            assert!(r["privacy_notice"].is_string());
        }),
        // The reference's company-search example, exactly.
        case(
            "leadspro_search_companies",
            json!({"technology": "AWS", "country": "United States", "status": "verified"}),
            post("/api/v1/search/companies"),
            0,
        )
        .check(|r| {
            let names: Vec<&str> = r["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["company"]["name"].as_str().unwrap())
                .collect();
            assert_eq!(names, ["North Peak", "Bluefin Analytics"]);
            assert!(r.get("privacy_notice").is_none());
        }),
        // Five matches ran the month's credits down from 460.
        case("leadspro_get_usage", json!({}), get("/api/v1/usage"), 0)
            .check(|r| assert_eq!(r["credits"]["remaining"], 455)),
    ]
}

#[tokio::test]
async fn the_identifier_rules_refuse_and_send_nothing() {
    let up = Upstream::start().await;
    let client = leadspro(&up, Some(GROWTH_KEY)).await;
    let many: Vec<Value> = (0..26)
        .map(|i| json!({"email": format!("person{i}@example.com")}))
        .collect();
    for (tool, a, mentions) in [
        (
            "leadspro_enrich_contact",
            json!({}),
            "give at least one identifier",
        ),
        (
            "leadspro_enrich_contact",
            json!({"full_name": "Amanda North"}),
            "full_name plus company or domain",
        ),
        (
            "leadspro_enrich_contact",
            json!({"company": "North Peak"}),
            "give at least one identifier",
        ),
        (
            "leadspro_enrich_contact",
            json!({"email": null, "full_name": "Amanda North"}),
            "email",
        ),
        (
            "leadspro_enrich_contact",
            json!({"email": "not an email"}),
            "email",
        ),
        (
            "leadspro_enrich_contact",
            json!({"email": "amanda@northpeak.example.com", "title": "VP"}),
            "title",
        ),
        (
            "leadspro_enrich_batch",
            json!({"items": [{"email": "amanda@northpeak.example.com"}, {"full_name": "Amanda North"}, {}]}),
            "`items` items 1, 2: give each contact at least one identifier",
        ),
        ("leadspro_enrich_batch", json!({"items": many}), "items"),
        ("leadspro_enrich_batch", json!({"items": []}), "items"),
        ("leadspro_enrich_batch", json!({}), "items"),
        (
            "leadspro_enrich_batch",
            json!({"items": [{"email": "a@example.com", "notes": "x"}]}),
            "items/0",
        ),
        (
            "leadspro_search_people",
            json!({"limit": 5}),
            "give at least one filter",
        ),
        (
            "leadspro_search_people",
            json!({"job_title": "CTO", "limit": 101}),
            "limit",
        ),
        (
            "leadspro_search_companies",
            json!({}),
            "give at least one filter",
        ),
    ] {
        let r = call(&client, tool, a.clone()).await;
        assert_refused_unsent(&r, mentions);
        let t = text(&r);
        assert!(!t.contains("not an email"), "the value was echoed: {t}");
    }
    // The bound is stated where the model reads it.
    let tools = client.list_all_tools().await.unwrap();
    let batch = tools
        .iter()
        .find(|t| t.name == "leadspro_enrich_batch")
        .unwrap();
    assert!(batch.description.as_deref().unwrap().contains("1-25"));
    assert_eq!(batch.input_schema["properties"]["items"]["maxItems"], 25);
    assert!(up.requests().is_empty(), "a refused call reached Leads Pro");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_batch_over_the_remaining_credits_is_refused_before_sending() {
    let up = Upstream::start().await;
    let client = leadspro(&up, Some(LOW_KEY)).await;
    let items = |n: usize| -> Value {
        let all = [
            json!({"email": "amanda@northpeak.example.com"}),
            json!({"linkedin": "jordan-sample-ops"}),
            json!({"full_name": "Taylor Demo", "company": "Quill and Pine"}),
            json!({"email": "chris@northpeak.example.com"}),
        ];
        json!({"items": all[..n]})
    };

    // 4 contacts, 3 credits left: refused with the numbers; only usage was read.
    let r = call(&client, "leadspro_enrich_batch", items(4)).await;
    assert!(is_error(&r));
    let t = text(&r);
    assert!(
        t.contains("4 contacts can spend up to 4 credits")
            && t.contains("only 3 of this month's 500 credits remain")
            && t.contains("Nothing was sent")
            && t.contains("Send at most 3 contacts"),
        "{t}"
    );
    let s = structured(&r);
    assert_eq!(s["error"]["code"], "insufficient_credits");
    assert_eq!(s["error"]["sent"], false);
    vendor().assert_request(&up.only_request(), &get("/api/v1/usage").bearer(LOW_KEY));

    // 3 contacts fit: usage, then the batch; all three credits are spent.
    let r = call(&client, "leadspro_enrich_batch", items(3)).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_meta_surfaced(&r, 3);
    let reqs = up.requests();
    let sent: Vec<(&str, &str)> = reqs
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        sent,
        [("GET", "/api/v1/usage"), ("POST", "/api/v1/enrich/batch")]
    );
    assert_eq!(reqs[1].body, Some(items(3)));

    // Nothing left: even one contact is refused before sending.
    let r = call(&client, "leadspro_enrich_batch", items(1)).await;
    assert!(
        text(&r).contains("only 0 of this month's 500 credits"),
        "{}",
        text(&r)
    );
    assert_eq!(up.only_request().path, "/api/v1/usage");

    // A single lookup has no such check: Leads Pro's own quota answers 403.
    let r = call(
        &client,
        "leadspro_enrich_contact",
        json!({"email": "amanda@northpeak.example.com"}),
    )
    .await;
    let e = vendor_error(&r, 403, "quota_exceeded");
    assert_eq!(e["details"]["credits_used"], 0);
    let t = text(&r);
    assert!(
        t.contains("monthly credits are used up") && t.contains("leadspro_get_usage"),
        "{t}"
    );
    assert_eq!(up.only_request().path, "/api/v1/enrich");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_batch_goes_ahead_when_usage_cannot_be_read() {
    let up = Upstream::start().await;
    let client = leadspro(&up, Some(GROWTH_KEY)).await;
    let batch = json!({"items": [{"email": "sam@harborlane.example.net"}]});
    for usage in [
        (
            500,
            json!({"error": {"code": "internal_error", "message": "Down."}}),
        ),
        (200, json!({"meta": {"request_id": "req_nocredits"}})),
    ] {
        up.sandbox
            .inject(fault("GET", "/api/v1/usage", usage.0, usage.1, &[]));
        let r = call(&client, "leadspro_enrich_batch", batch.clone()).await;
        assert!(!is_error(&r), "{}", text(&r));
        assert_eq!(
            structured(&r)["results"][0]["person"]["full_name"],
            "Sam Placeholder"
        );
        assert_eq!(
            routes(&up),
            ["GET /api/v1/usage", "POST /api/v1/enrich/batch"]
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn quota_exceeded_and_batch_not_available_say_what_to_do() {
    let up = Upstream::start().await;
    let client = leadspro(&up, Some(SPENT_KEY)).await;
    let r = call(
        &client,
        "leadspro_enrich_contact",
        json!({"phone": "+1 720 555 0150"}),
    )
    .await;
    assert!(is_error(&r));
    let t = text(&r);
    assert!(
        t.contains("403 quota_exceeded") && t.contains("monthly credits are used up"),
        "{t}"
    );
    assert!(t.contains("request_id req_"), "{t}");
    // Searches still answer: they spend nothing in the sandbox.
    let r = call(
        &client,
        "leadspro_search_companies",
        json!({"industry": "Software"}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    client.cancel().await.unwrap();
    up.requests();

    let client = leadspro(&up, Some(STARTER_KEY)).await;
    let r = call(
        &client,
        "leadspro_enrich_batch",
        json!({"items": [{"email": "amanda@northpeak.example.com"}]}),
    )
    .await;
    vendor_error(&r, 403, "batch_not_available");
    let t = text(&r);
    assert!(
        t.contains("not enabled on this workspace's plan")
            && t.contains("leadspro_enrich_contact")
            && t.contains("only if the user agrees"),
        "{t}"
    );
    assert_eq!(
        routes(&up),
        ["GET /api/v1/usage", "POST /api/v1/enrich/batch"]
    );
    // me says why.
    let r = call(&client, "leadspro_get_me", json!({})).await;
    assert_eq!(structured(&r)["plan"]["batch_enabled"], false);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn no_match_is_an_answer_not_an_error() {
    let up = Upstream::start().await;
    let client = leadspro(&up, Some(GROWTH_KEY)).await;
    let r = call(
        &client,
        "leadspro_enrich_contact",
        json!({"email": "nobody@example.com"}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    let s = structured(&r);
    assert_eq!(s["error"]["code"], "no_match");
    assert!(s["note"].as_str().unwrap().contains("No match"), "{s}");
    assert_meta_surfaced(&r, 0);
    assert!(text(&r).contains("don't retry the same input"));
    assert_eq!(
        up.only_request().body,
        Some(json!({"email": "nobody@example.com"}))
    );
    // No credit was spent on it.
    let usage = call(&client, "leadspro_get_usage", json!({})).await;
    assert_eq!(structured(&usage)["credits"]["remaining"], 460);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn invalid_request_names_the_parameter() {
    let up = Upstream::start().await;
    let client = leadspro(&up, Some(GROWTH_KEY)).await;
    for (tool, a, param) in [
        ("leadspro_enrich_contact", json!({"phone": "555"}), "phone"),
        (
            "leadspro_search_companies",
            json!({"status": "pending"}),
            "status",
        ),
    ] {
        let r = call(&client, tool, a.clone()).await;
        let e = vendor_error(&r, 400, "invalid_request");
        assert_eq!(e["details"]["param"], param);
        let t = text(&r);
        assert!(
            t.contains(&format!("param: {param}.")) && t.contains("fix the one it names"),
            "{t}"
        );
        assert_eq!(up.only_request().body, Some(a));
    }

    // The error body is not documented: other likely shapes read as well.
    up.sandbox.inject(fault(
        "POST",
        "/api/v1/enrich",
        400,
        json!({"error": "invalid_request", "message": "email is malformed", "field": "email", "request_id": "req_flat"}),
        &[],
    ));
    let r = call(
        &client,
        "leadspro_enrich_contact",
        json!({"email": "x@example.com"}),
    )
    .await;
    let s = structured(&r);
    assert_eq!(s["error"]["code"], "invalid_request");
    assert_eq!(s["error"]["message"], "email is malformed");
    assert_eq!(s["error"]["request_id"], "req_flat");
    assert!(text(&r).contains("field: email."), "{}", text(&r));
    up.sandbox.inject(fault(
        "POST",
        "/api/v1/enrich",
        403,
        json!({"code": "quota_exceeded", "message": "Monthly credit limit reached"}),
        &[],
    ));
    let r = call(
        &client,
        "leadspro_enrich_contact",
        json!({"email": "x@example.com"}),
    )
    .await;
    assert!(
        text(&r).contains("monthly credits are used up"),
        "{}",
        text(&r)
    );
    // Not even JSON: the status and the text, with the id that was sent.
    up.sandbox.inject(Fault {
        body: Value::String("Forbidden".into()),
        ..fault("POST", "/api/v1/enrich", 403, Value::Null, &[])
    });
    let r = call(
        &client,
        "leadspro_enrich_contact",
        json!({"email": "x@example.com"}),
    )
    .await;
    let s = structured(&r);
    assert!(is_error(&r));
    assert_eq!(s["error"]["status"], 403);
    assert_eq!(s["error"]["code"], Value::Null);
    assert!(
        s["error"]["request_id"]
            .as_str()
            .unwrap()
            .starts_with("lmcp_")
    );
    up.requests();
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_rate_limited_key_is_told_how_long_to_wait() {
    let up = Upstream::start().await;
    let client = leadspro(&up, Some(THROTTLED_KEY)).await;
    let lookup = json!({"email": "taylor@quillpine.example.com"});
    for _ in 0..2 {
        let r = call(&client, "leadspro_enrich_contact", lookup.clone()).await;
        assert!(!is_error(&r), "{}", text(&r));
    }
    let r = call(&client, "leadspro_enrich_contact", lookup.clone()).await;
    let e = vendor_error(&r, 429, "rate_limited");
    let wait = e["retry_after_seconds"].as_u64().unwrap();
    assert!((1..=60).contains(&wait), "{e}");
    let t = text(&r);
    assert!(t.contains(&format!("wait {wait} seconds")), "{t}");
    // The enrichment was sent once each time: never retried.
    assert_eq!(up.requests().len(), 3);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_wrong_key_names_the_variable_and_the_public_sandbox_key() {
    let up = Upstream::start().await;
    let wrong = "pl_live_DO_NOT_LEAK_42";
    let client = leadspro(&up, Some(wrong)).await;
    let r = call(&client, "leadspro_get_me", json!({})).await;
    vendor_error(&r, 401, "unauthorized");
    let t = text(&r);
    assert!(
        t.contains("LEADSPRO_API_KEY") && t.contains("pl_demo_public"),
        "{t}"
    );
    assert!(!serde_json::to_string(&r).unwrap().contains(wrong));
    assert_eq!(
        up.only_request().header("authorization"),
        Some(format!("Bearer {wrong}").as_str())
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn without_a_key_only_health_is_sent() {
    let up = Upstream::start().await;
    let client = leadspro(&up, None).await;
    assert_eq!(client.list_all_tools().await.unwrap().len(), 7);
    let r = call(&client, "leadspro_get_health", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    let req = up.only_request();
    assert_eq!(req.path, "/api/health");
    assert_eq!(req.header("authorization"), None);
    for (tool, a) in [
        ("leadspro_get_usage", json!({})),
        ("leadspro_search_people", json!({"keywords": "growth"})),
    ] {
        let r = call(&client, tool, a).await;
        assert!(is_error(&r));
        assert_eq!(structured(&r)["error"]["code"], "missing_credentials");
        assert!(text(&r).contains("LEADSPRO_API_KEY"));
    }
    assert!(up.requests().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn read_only_mode_serves_the_searches_but_not_enrichment() {
    let up = Upstream::start().await;
    let env = env_with(&up, Some(GROWTH_KEY));
    let args = ["--vendors", "leadspro", "--read-only"];
    let (client, _) = stdio_as(&args, &env, Human::CannotElicit, Era::Handshake).await;
    let mut names = tool_names(&client).await;
    names.sort();
    assert_eq!(
        names,
        [
            "leadspro_get_health",
            "leadspro_get_me",
            "leadspro_get_usage",
            "leadspro_search_companies",
            "leadspro_search_people"
        ]
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_prompt_and_the_usage_resource() {
    let up = Upstream::start().await;
    let client = leadspro(&up, Some(GROWTH_KEY)).await;
    let prompts = client.list_all_prompts().await.unwrap();
    assert_eq!(
        prompts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["leadspro-enrich-contacts"]
    );
    let contacts = "amanda@northpeak.example.com\nJordan Sample, Bluefin Analytics";
    let body = prompt_messages(
        &client,
        "leadspro-enrich-contacts",
        json!({ "contacts": contacts }),
    )
    .await
    .join("\n");
    for needle in [
        "amanda@northpeak.example.com",
        "leadspro_get_usage",
        "leadspro_enrich_batch",
        "at most 25",
        "no_match",
        "credits_used",
        "batch_not_available",
    ] {
        assert!(body.contains(needle), "{needle}: {body}");
    }

    let (usage, _) = resource_text(&client, "leadspro://usage").await;
    let usage: Value = serde_json::from_str(&usage).unwrap();
    assert_eq!(usage["credits"]["remaining"], 460);
    assert_eq!(up.only_request().path, "/api/v1/usage");
    client.cancel().await.unwrap();
}
