//! Every Leads Pro tool through a real MCP client (rmcp's), over stdio and
//! over Streamable HTTP, asserting the exact request the sandbox received
//! and what the client sees; then each error and credit case of the issue.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use leads_mcp_sandbox::leadspro::{GROWTH_KEY, LOW_KEY, SPENT_KEY, STARTER_KEY, THROTTLED_KEY};
use leads_mcp_sandbox::{Fault, Recorded};
use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

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
    stdio(
        &["--vendors", "leadspro"],
        &env_with(up, key),
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
    )
    .await
}

fn fault(method: &str, path: &str, status: u16, body: Value, headers: &[(&str, &str)]) -> Fault {
    vendor_fault("leadspro", method, path, status, body, headers, 1)
}

/// One call and the request it must produce.
struct Case {
    tool: &'static str,
    args: Value,
    method: &'static str,
    path: &'static str,
    /// The JSON body sent: the arguments themselves for every POST.
    body: Option<Value>,
    /// A read the server makes first (the batch's credit check).
    reads_first: Option<&'static str>,
    credits_used: u64,
    /// Checks on the structured result.
    check: fn(&Value),
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            tool: "leadspro_get_health",
            args: json!({}),
            method: "GET",
            path: "/api/health",
            body: None,
            reads_first: None,
            credits_used: 0,
            check: |r| {
                assert_eq!(r["status"], "ok");
                assert_eq!(r["dataset"]["people"], 8);
            },
        },
        Case {
            tool: "leadspro_get_me",
            args: json!({}),
            method: "GET",
            path: "/api/v1/me",
            body: None,
            reads_first: None,
            credits_used: 0,
            check: |r| {
                assert_eq!(r["plan"]["name"], "Growth");
                assert_eq!(r["plan"]["batch_enabled"], true);
                assert_eq!(r["credits"]["remaining"], 460);
                assert!(!r.to_string().contains(GROWTH_KEY));
            },
        },
        Case {
            tool: "leadspro_get_usage",
            args: json!({}),
            method: "GET",
            path: "/api/v1/usage",
            body: None,
            reads_first: None,
            credits_used: 0,
            check: |r| {
                assert_eq!(
                    r["credits"],
                    json!({"limit": 500, "used": 40, "remaining": 460, "period": {"start": "2026-06-01", "end": "2026-06-30"}})
                );
                assert_eq!(r["rate_limit"]["limit_per_minute"], 120);
            },
        },
        // The reference's single-enrichment example, with anonymized values.
        Case {
            tool: "leadspro_enrich_contact",
            args: json!({"email": "amanda@northpeak.example.com", "company": "North Peak"}),
            method: "POST",
            path: "/api/v1/enrich",
            body: Some(json!({"email": "amanda@northpeak.example.com", "company": "North Peak"})),
            reads_first: None,
            credits_used: 1,
            check: |r| {
                assert_eq!(r["person"]["full_name"], "Amanda North");
                assert_eq!(r["person"]["job_title"], "VP Revenue Operations");
                assert_eq!(r["person"]["phone"], "+1 415 555 0101");
                assert_eq!(r["company"]["domain"], "northpeak.example.com");
                assert!(
                    r["privacy_notice"]
                        .as_str()
                        .unwrap()
                        .contains("phone numbers")
                );
            },
        },
        // The reference's batch example, with anonymized values, plus one
        // contact that matches nobody.
        Case {
            tool: "leadspro_enrich_batch",
            args: json!({"items": [
                {"email": "amanda@northpeak.example.com"},
                {"phone": "+1 415 555 0106"},
                {"linkedin": "priya-example-growth"},
                {"full_name": "Nobody Known", "domain": "example.com"}
            ]}),
            method: "POST",
            path: "/api/v1/enrich/batch",
            body: Some(json!({"items": [
                {"email": "amanda@northpeak.example.com"},
                {"phone": "+1 415 555 0106"},
                {"linkedin": "priya-example-growth"},
                {"full_name": "Nobody Known", "domain": "example.com"}
            ]})),
            reads_first: Some("/api/v1/usage"),
            credits_used: 3,
            check: |r| {
                let results = r["results"].as_array().unwrap();
                assert_eq!(results.len(), 4);
                assert_eq!(results[0]["success"], true);
                assert_eq!(results[0]["person"]["full_name"], "Amanda North");
                assert_eq!(results[1]["person"]["full_name"], "Priya Example");
                assert_eq!(results[2]["company"]["name"], "Bluefin Analytics");
                assert_eq!(results[3]["success"], false);
                assert_eq!(results[3]["error"]["code"], "no_match");
                assert!(r["privacy_notice"].is_string());
            },
        },
        // The reference's people-search example, exactly.
        Case {
            tool: "leadspro_search_people",
            args: json!({"job_title": "Revenue Operations", "country": "United States", "limit": 5}),
            method: "POST",
            path: "/api/v1/search/people",
            body: Some(
                json!({"job_title": "Revenue Operations", "country": "United States", "limit": 5}),
            ),
            reads_first: None,
            credits_used: 0,
            check: |r| {
                let names: Vec<&str> = r["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["person"]["full_name"].as_str().unwrap())
                    .collect();
                assert_eq!(names, ["Amanda North", "Jordan Sample"]);
                assert!(r["results"][0]["person"].get("email").is_none());
                assert!(r["privacy_notice"].is_string());
            },
        },
        // The reference's company-search example, exactly.
        Case {
            tool: "leadspro_search_companies",
            args: json!({"technology": "AWS", "country": "United States", "status": "verified"}),
            method: "POST",
            path: "/api/v1/search/companies",
            body: Some(
                json!({"technology": "AWS", "country": "United States", "status": "verified"}),
            ),
            reads_first: None,
            credits_used: 0,
            check: |r| {
                let names: Vec<&str> = r["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["company"]["name"].as_str().unwrap())
                    .collect();
                assert_eq!(names, ["North Peak", "Bluefin Analytics"]);
                assert!(r.get("privacy_notice").is_none());
            },
        },
    ]
}

/// The headers every Leads Pro request carries, and nothing else of note.
fn assert_headers(req: &Recorded, key: &str, has_body: bool) {
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {key}").as_str())
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
                "x-request-id"
            ]
            .contains(&name.as_str()),
            "unexpected header {name} in {req:?}"
        );
    }
}

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

async fn run_every_tool(client: &Client, up: &Upstream) {
    let mut seen = std::collections::BTreeSet::new();
    for case in cases() {
        let result = call(client, case.tool, case.args.clone()).await;
        assert!(!is_error(&result), "{}: {}", case.tool, text(&result));
        let mut reqs = up.requests();
        if let Some(path) = case.reads_first {
            let read = reqs.remove(0);
            assert_eq!((read.method.as_str(), read.path.as_str()), ("GET", path));
            assert_headers(&read, GROWTH_KEY, false);
        }
        assert_eq!(reqs.len(), 1, "{}: {reqs:#?}", case.tool);
        let req = reqs.remove(0);
        assert_eq!(req.vendor, "leadspro");
        assert_eq!(req.method, case.method, "{}", case.tool);
        assert_eq!(req.path, case.path, "{}", case.tool);
        assert_eq!(req.query, None, "{}", case.tool);
        assert_eq!(req.body, case.body, "{}", case.tool);
        assert_headers(&req, GROWTH_KEY, case.body.is_some());
        assert_meta_surfaced(&result, case.credits_used);
        (case.check)(&structured(&result));
        seen.insert(case.tool.to_string());
    }
    // Four matches ran the month's credits down from 460.
    let usage = call(client, "leadspro_get_usage", json!({})).await;
    assert_eq!(structured(&usage)["credits"]["remaining"], 456);
    up.only_request();

    let listed: std::collections::BTreeSet<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(listed, seen);
    assert_eq!(listed.len(), 7);
}

#[tokio::test]
async fn every_tool_over_stdio() {
    let up = Upstream::start().await;
    let client = leadspro(&up, Some(GROWTH_KEY)).await;
    run_every_tool(&client, &up).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_tool_over_streamable_http() {
    let up = Upstream::start().await;
    let server = http_server(&["--vendors", "leadspro"], &env_with(&up, Some(GROWTH_KEY))).await;
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
    let server = http_server(&["--vendors", "leadspro"], &env_with(&up, Some(GROWTH_KEY))).await;
    let client = http_client(&server, TestClient::new(Human::CannotElicit), Era::Modern).await;
    let r = call(
        &client,
        "leadspro_enrich_contact",
        json!({"linkedin": "jordan-sample-ops"}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(structured(&r)["person"]["full_name"], "Jordan Sample");
    assert_meta_surfaced(&r, 1);
    let req = up.only_request();
    assert_eq!(req.body, Some(json!({"linkedin": "jordan-sample-ops"})));
    client.cancel().await.unwrap();
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
        assert!(is_error(&r), "{tool} {a}");
        let t = text(&r);
        assert!(t.contains(mentions), "{tool} {a}: {t}");
        assert!(t.contains("Nothing was sent"), "{t}");
        assert!(!t.contains("not an email"), "the value was echoed: {t}");
        let s = structured(&r);
        assert_eq!(s["error"]["code"], "invalid_arguments");
        assert_eq!(s["error"]["sent"], false);
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
    let req = up.only_request();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("GET", "/api/v1/usage")
    );
    assert_headers(&req, LOW_KEY, false);

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
    assert!(is_error(&r));
    let s = structured(&r);
    assert_eq!(s["error"]["status"], 403);
    assert_eq!(s["error"]["code"], "quota_exceeded");
    assert_eq!(s["error"]["details"]["credits_used"], 0);
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
    assert!(is_error(&r));
    let s = structured(&r);
    assert_eq!(s["error"]["status"], 403);
    assert_eq!(s["error"]["code"], "batch_not_available");
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
        assert!(is_error(&r));
        let s = structured(&r);
        assert_eq!(s["error"]["status"], 400);
        assert_eq!(s["error"]["code"], "invalid_request");
        assert_eq!(s["error"]["details"]["param"], param);
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
    assert!(is_error(&r));
    let s = structured(&r);
    assert_eq!(s["error"]["status"], 429);
    assert_eq!(s["error"]["code"], "rate_limited");
    let wait = s["error"]["retry_after_seconds"].as_u64().unwrap();
    assert!((1..=60).contains(&wait), "{s}");
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
    assert!(is_error(&r));
    let s = structured(&r);
    assert_eq!(s["error"]["status"], 401);
    assert_eq!(s["error"]["code"], "unauthorized");
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
    let client = stdio(
        &["--vendors", "leadspro", "--read-only"],
        &env_with(&up, Some(GROWTH_KEY)),
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
    )
    .await;
    let mut names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
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
    let mut params = GetPromptRequestParams::new("leadspro-enrich-contacts");
    params.arguments =
        args(json!({"contacts": "amanda@northpeak.example.com\nJordan Sample, Bluefin Analytics"}));
    let prompt = client.get_prompt(params).await.unwrap();
    let body = serde_json::to_string(&prompt.messages).unwrap();
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

    let read = client
        .read_resource(ReadResourceRequestParams::new("leadspro://usage"))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else {
        panic!("{read:?}")
    };
    let usage: Value = serde_json::from_str(text).unwrap();
    assert_eq!(usage["credits"]["remaining"], 460);
    assert_eq!(up.only_request().path, "/api/v1/usage");
    client.cancel().await.unwrap();
}
