//! Every Leadmetrics tool through a real MCP client (rmcp's), over stdio and
//! over Streamable HTTP, asserting the exact request the sandbox received:
//! the login session, privileged groups, impersonation confirmation, event
//! streams with progress and cancellation, and the missing base URL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use crate::common::*;
use leads_mcp::guard::WITHHELD;
use leads_mcp_sandbox::leadmetrics::*;
use leads_mcp_sandbox::{Fault, Recorded};
use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest};
use rmcp::service::PeerRequestOptions;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

const PRIVILEGED: &[&str] = &[
    "--vendors",
    "leadmetrics",
    "--add-tools",
    "leadmetrics:admin,leadmetrics:dm",
];

/// The sandbox's env for Leadmetrics only, with `overrides` adding,
/// replacing or removing (empty value) variables.
fn env(up: &Upstream, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = up
        .env()
        .into_iter()
        .filter(|(k, _)| k.starts_with("LEADMETRICS_"))
        .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
        .collect();
    for (k, v) in overrides {
        if !v.is_empty() {
            env.push((k.to_string(), v.to_string()));
        }
    }
    env
}

/// Leadmetrics alone over stdio (handshake), against the sandbox with
/// `overrides`, for a client that cannot elicit.
async fn leadmetrics(up: &Upstream, overrides: &[(&str, &str)]) -> Client {
    stdio(
        &["--vendors", "leadmetrics"],
        &env(up, overrides),
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
    )
    .await
}

/// Runs `check` with a fresh client of its own over stdio and over
/// Streamable HTTP, each in both protocol generations.
async fn over_each_transport(up: &Upstream, check: impl AsyncFn(&Client, &TestClient)) {
    let args = ["--vendors", "leadmetrics"];
    for era in [Era::Handshake, Era::Modern] {
        let tc = TestClient::new(Human::CannotElicit);
        let client = stdio(&args, &env(up, &[]), tc.clone(), era).await;
        check(&client, &tc).await;
        client.cancel().await.unwrap();
    }
    let server = http_server(&args, &env(up, &[])).await;
    for era in [Era::Handshake, Era::Modern] {
        let tc = TestClient::new(Human::CannotElicit);
        let client = http_client(&server, tc.clone(), era).await;
        check(&client, &tc).await;
        client.cancel().await.unwrap();
    }
}

/// One expected upstream request.
#[derive(Clone)]
struct Req {
    method: &'static str,
    path: String,
    query: Option<&'static str>,
    body: Option<Value>,
}

fn get(path: impl Into<String>) -> Req {
    Req {
        method: "GET",
        path: path.into(),
        query: None,
        body: None,
    }
}

fn post(path: impl Into<String>, body: Option<Value>) -> Req {
    Req {
        method: "POST",
        path: path.into(),
        query: None,
        body,
    }
}

fn with_query(mut r: Req, q: &'static str) -> Req {
    r.query = Some(q);
    r
}

/// Checks one recorded request against the expected one, headers included:
/// the session's access token, a request id, the right Accept.
fn assert_request(got: &Recorded, want: &Req, token: &str, tool: &str) {
    assert_eq!(got.vendor, "leadmetrics", "{tool}");
    assert_eq!(got.method, want.method, "{tool}");
    assert_eq!(got.path, want.path, "{tool}");
    assert_eq!(got.query.as_deref(), want.query, "{tool}");
    assert_eq!(got.body, want.body, "{tool}");
    assert_eq!(
        got.header("authorization"),
        Some(format!("Bearer {token}").as_str()),
        "{tool}"
    );
    assert!(
        got.header("x-request-id").unwrap().starts_with("lmcp_"),
        "{tool}"
    );
    let accept = if want.path.ends_with("/stream") && want.method == "GET" {
        "text/event-stream"
    } else {
        "application/json"
    };
    assert_eq!(got.header("accept"), Some(accept), "{tool}");
    assert_eq!(
        got.header("content-type"),
        want.body.as_ref().map(|_| "application/json"),
        "{tool}"
    );
    for name in got.headers.keys() {
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
            "{tool}: unexpected header {name}"
        );
    }
}

/// The login the adapter sends: no Authorization, the configured email and password.
fn assert_login(got: &Recorded, email: &str) {
    assert_eq!(
        (got.method.as_str(), got.path.as_str()),
        ("POST", "/auth/v1/login")
    );
    assert_eq!(
        got.body,
        Some(json!({"email": email, "password": PASSWORD}))
    );
    assert_eq!(got.header("authorization"), None);
    assert!(got.header("x-request-id").unwrap().starts_with("lmcp_"));
}

fn assert_refresh(got: &Recorded, refresh: &str) {
    assert_eq!(
        (got.method.as_str(), got.path.as_str()),
        ("POST", "/auth/v1/refresh")
    );
    assert_eq!(got.body, Some(json!({"refreshToken": refresh})));
    assert_eq!(got.header("authorization"), None);
}

struct Case {
    tool: &'static str,
    args: Value,
    requests: Vec<Req>,
    check: fn(&Value),
}

fn case(tool: &'static str, args: Value, requests: Vec<Req>, check: fn(&Value)) -> Case {
    Case {
        tool,
        args,
        requests,
        check,
    }
}

fn cases() -> Vec<Case> {
    let run = |action: &str| format!("/agent/v1/runs/{RUN}/actions/{action}");
    vec![
        case(
            "leadmetrics_list_campaigns",
            json!({"limit": 2, "offset": 0}),
            vec![with_query(
                get("/dashboard/v1/campaigns"),
                "limit=2&offset=0",
            )],
            |r| {
                assert_eq!(r["data"][0]["id"], CAMPAIGN_A);
                assert_eq!(r["data"].as_array().unwrap().len(), 1);
            },
        ),
        case(
            "leadmetrics_create_campaign",
            json!({"body": {"brief": "Example brief for a spring webinar."}}),
            vec![post(
                "/dashboard/v1/campaigns",
                Some(json!({"brief": "Example brief for a spring webinar."})),
            )],
            |r| assert_eq!(r["data"]["status"], "draft"),
        ),
        case(
            "leadmetrics_list_approvals",
            json!({}),
            vec![get("/dashboard/v1/approvals")],
            |r| {
                assert_eq!(r["data"].as_array().unwrap().len(), 3);
                assert!(r["untrusted_content"].is_string());
            },
        ),
        case(
            "leadmetrics_resolve_approval",
            json!({"id": APPROVAL_A1, "body": {"decision": "approve", "comment": "Looks good."}}),
            // The item is read from the queue first, to show the human.
            vec![
                with_query(get("/dashboard/v1/approvals"), "limit=100&offset=0"),
                post(
                    format!("/dashboard/v1/approvals/{APPROVAL_A1}/resolve"),
                    Some(json!({"decision": "approve", "comment": "Looks good."})),
                ),
            ],
            |r| assert_eq!(r["data"]["status"], "approved"),
        ),
        case(
            "leadmetrics_stream_activity",
            json!({"id": ACTIVITY_DONE, "max_events": 20, "max_seconds": 30}),
            vec![get(format!(
                "/dashboard/v1/activities/{ACTIVITY_DONE}/stream"
            ))],
            |r| {
                let events = r["data"].as_array().unwrap();
                assert_eq!(events.len(), DONE_OUTPUT.len() + 1);
                assert_eq!(events[0]["event"], "token");
                assert_eq!(events[0]["id"], "1");
                // An LLM token is data, not a credential: it is not withheld.
                assert_eq!(events[0]["data"]["token"], DONE_OUTPUT[0]);
                assert!(r.get("withheld").is_none());
                // The hidden character of the agent's output is gone.
                assert_eq!(events[3]["data"]["token"], "to ");
                assert_eq!(events.last().unwrap()["event"], "done");
                assert_eq!(r["stream"]["ended"], "closed");
                assert_eq!(r["stream"]["max_events"], 20);
                assert!(r["untrusted_content"].is_string());
                assert!(r["note"].as_str().unwrap().contains("ended the stream"));
            },
        ),
        case(
            "leadmetrics_stream_events",
            json!({"max_events": 3}),
            vec![get("/dashboard/v1/events/stream")],
            |r| {
                let names: Vec<&str> = r["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["event"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    names,
                    ["approval.created", "activity.started", "campaign.updated"]
                );
                assert_eq!(r["stream"]["ended"], "max_events");
                assert_eq!(r["stream"]["last_event_id"], "3");
                assert!(r.get("next_offset").is_none());
            },
        ),
        case(
            "leadmetrics_get_dm_overview",
            json!({}),
            vec![get("/dm/v1/overview")],
            |r| assert_eq!(r["data"]["tenants"].as_array().unwrap().len(), 3),
        ),
        case(
            "leadmetrics_list_dm_approvals",
            json!({"limit": 10}),
            vec![with_query(get("/dm/v1/approvals"), "limit=10")],
            |r| {
                let tenants: Vec<&str> = r["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["tenantId"].as_str().unwrap())
                    .collect();
                assert!(tenants.contains(&TENANT_B) && tenants.contains(&TENANT_C));
            },
        ),
        case(
            "leadmetrics_bulk_resolve_approvals",
            json!({"body": {"approvalIds": [APPROVAL_B, APPROVAL_C], "decision": "reject", "comment": "Off-brand."}}),
            vec![post(
                "/dm/v1/approvals/bulk/resolve",
                Some(
                    json!({"approvalIds": [APPROVAL_B, APPROVAL_C], "decision": "reject", "comment": "Off-brand."}),
                ),
            )],
            |r| assert_eq!(r["data"]["resolved"], json!([APPROVAL_B, APPROVAL_C])),
        ),
        case(
            "leadmetrics_pause_activity",
            json!({"id": ACTIVITY_B}),
            vec![post(format!("/dm/v1/activities/{ACTIVITY_B}/pause"), None)],
            |r| assert_eq!(r["data"]["status"], "paused"),
        ),
        case(
            "leadmetrics_list_tenants",
            json!({}),
            vec![get("/admin/v1/tenants")],
            |r| {
                assert_eq!(r["data"].as_array().unwrap().len(), 3);
                assert!(r["privacy_notice"].as_str().unwrap().contains("emails"));
            },
        ),
        case(
            "leadmetrics_impersonate_tenant",
            json!({"id": TENANT_B}),
            vec![
                // The preflight read that names the tenant for the human.
                with_query(get("/admin/v1/tenants"), "limit=100"),
                post(format!("/admin/v1/tenants/{TENANT_B}/impersonate"), None),
            ],
            |r| {
                assert_eq!(r["data"]["tenantId"], TENANT_B);
                assert_eq!(r["data"]["token"], WITHHELD);
                assert!(r["withheld"].as_str().unwrap().contains("token"));
                assert!(!r.to_string().contains("lm_impersonation_"));
            },
        ),
        case(
            "leadmetrics_update_agent_config",
            json!({"role": "copywriter", "changes": {"temperature": 0.2}}),
            vec![Req {
                method: "PATCH",
                path: "/admin/v1/agent-configs/copywriter".into(),
                query: None,
                body: Some(json!({"temperature": 0.2})),
            }],
            |r| {
                assert_eq!(r["data"]["temperature"], 0.2);
                assert_eq!(r["data"]["version"], 2);
            },
        ),
        case(
            "leadmetrics_push_agent_config",
            json!({"role": "copywriter", "body": {"tenantIds": [TENANT_A]}}),
            vec![post(
                "/admin/v1/agent-configs/copywriter/push",
                Some(json!({"tenantIds": [TENANT_A]})),
            )],
            |r| assert_eq!(r["data"]["pushedTo"], json!([TENANT_A])),
        ),
        case(
            "leadmetrics_get_system_health",
            json!({}),
            vec![get("/admin/v1/system/health")],
            |r| assert_eq!(r["data"]["status"], "ok"),
        ),
        case(
            "leadmetrics_register_push_device",
            json!({"body": {"token": "example-device-push-token", "platform": "ios"}}),
            vec![post(
                "/mobile/v1/push/devices",
                Some(json!({"token": "example-device-push-token", "platform": "ios"})),
            )],
            |r| assert_eq!(r["data"]["platform"], "ios"),
        ),
        case(
            "leadmetrics_list_notifications",
            json!({"limit": 2}),
            vec![with_query(get("/mobile/v1/notifications"), "limit=2")],
            |r| {
                assert_eq!(r["data"].as_array().unwrap().len(), 2);
                assert_eq!(r["pagination"]["hasMore"], true);
                assert_eq!(r["next_offset"], 2);
            },
        ),
        case(
            "leadmetrics_get_mobile_home",
            json!({}),
            vec![get("/mobile/v1/home")],
            |r| assert_eq!(r["data"]["pendingApprovals"], 1),
        ),
        case(
            "leadmetrics_get_run_context",
            json!({"run_id": RUN}),
            vec![get(format!("/agent/v1/runs/{RUN}/context"))],
            |r| assert_eq!(r["data"]["activity"]["id"], ACTIVITY_RUN),
        ),
        case(
            "leadmetrics_post_run_output",
            json!({"run_id": RUN, "body": {"output": "Subject: hello", "done": false}}),
            vec![post(
                format!("/agent/v1/runs/{RUN}/stream"),
                Some(json!({"output": "Subject: hello", "done": false})),
            )],
            |r| assert_eq!(r["data"]["tokens"], 2),
        ),
        case(
            "leadmetrics_create_run_subtask",
            json!({"run_id": RUN, "body": {"agentRole": "researcher", "instructions": "Find three example companies."}}),
            vec![post(
                run("create-subtask"),
                Some(
                    json!({"agentRole": "researcher", "instructions": "Find three example companies."}),
                ),
            )],
            |r| assert_eq!(r["data"]["status"], "queued"),
        ),
        case(
            "leadmetrics_create_run_approval",
            json!({"run_id": RUN, "body": {"title": "Email sequence v1", "details": "Three emails."}}),
            vec![post(
                run("create-approval"),
                Some(json!({"title": "Email sequence v1", "details": "Three emails."})),
            )],
            |r| assert_eq!(r["data"]["status"], "pending"),
        ),
        case(
            "leadmetrics_request_run_review",
            json!({"run_id": RUN, "body": {"message": "Check the tone of email two."}}),
            vec![post(
                run("request-review"),
                Some(json!({"message": "Check the tone of email two."})),
            )],
            |r| assert_eq!(r["data"]["status"], "requested"),
        ),
        case(
            "leadmetrics_reassign_run",
            json!({"run_id": RUN, "body": {"agentRole": "sdr", "reason": "Needs outreach."}}),
            vec![post(
                run("reassign"),
                Some(json!({"agentRole": "sdr", "reason": "Needs outreach."})),
            )],
            |r| assert_eq!(r["data"]["agentRole"], "sdr"),
        ),
        case(
            "leadmetrics_report_run_blocker",
            json!({"run_id": RUN, "body": {"reason": "Waiting for the brand guide."}}),
            vec![post(
                run("report-blocker"),
                Some(json!({"reason": "Waiting for the brand guide."})),
            )],
            |r| assert_eq!(r["data"]["status"], "blocked"),
        ),
        case(
            "leadmetrics_deliver_run_result",
            json!({"run_id": RUN, "body": {"result": "Three emails drafted."}}),
            vec![post(
                format!("/agent/v1/runs/{RUN}/result"),
                Some(json!({"result": "Three emails drafted."})),
            )],
            |r| assert_eq!(r["data"]["status"], "completed"),
        ),
        case(
            "leadmetrics_get_adapter_health",
            json!({"agent_role": "copywriter"}),
            vec![get("/agent/v1/health/copywriter")],
            |r| assert_eq!(r["data"]["status"], "healthy"),
        ),
        case(
            "leadmetrics_get_skill_manifest",
            json!({"agent_role": "copywriter"}),
            vec![get("/agent/v1/skills/copywriter")],
            |r| assert_eq!(r["data"]["skills"][0]["name"], "linkedin-post"),
        ),
        case(
            "leadmetrics_get_skill_content",
            json!({"agent_role": "copywriter", "skill_name": "linkedin-post"}),
            vec![get("/agent/v1/skills/copywriter/linkedin-post")],
            |r| {
                assert!(r["data"]["content"].as_str().unwrap().starts_with("# "));
                assert!(r["untrusted_content"].is_string());
            },
        ),
    ]
}

async fn run_every_tool(client: &Client, up: &Upstream, human: &TestClient) {
    let access = format!("{ACCESS_PREFIX}1");
    let mut seen = std::collections::BTreeSet::new();

    // The first call signs in, then carries the session's access token.
    let me = call(client, "leadmetrics_get_me", json!({})).await;
    assert!(!is_error(&me), "{}", text(&me));
    let reqs = up.requests();
    assert_eq!(reqs.len(), 2, "{reqs:#?}");
    assert_login(&reqs[0], OPERATOR_EMAIL);
    assert_request(&reqs[1], &get("/auth/v1/me"), &access, "leadmetrics_get_me");
    assert_eq!(structured(&me)["data"]["email"], OPERATOR_EMAIL);
    assert!(structured(&me)["privacy_notice"].is_string());
    seen.insert("leadmetrics_get_me".to_string());

    for case in cases() {
        let result = call(client, case.tool, case.args.clone()).await;
        assert!(!is_error(&result), "{}: {}", case.tool, text(&result));
        let got = up.requests();
        assert_eq!(got.len(), case.requests.len(), "{}: {got:#?}", case.tool);
        for (got, want) in got.iter().zip(&case.requests) {
            assert_request(got, want, &access, case.tool);
        }
        let s = structured(&result);
        assert!(
            s["request_id"].as_str().unwrap().starts_with("req_")
                || s["request_id"].as_str().unwrap().starts_with("lmcp_"),
            "{}: {s}",
            case.tool
        );
        (case.check)(&s);
        seen.insert(case.tool.to_string());
    }

    // Each confirmation showed the human the exact action.
    let asked = human.asked();
    assert_eq!(asked.len(), 4, "{asked:#?}");
    assert!(
        asked[0].contains("approval queue")
            && asked[0].contains("Decision: approve")
            && asked[0].contains(&format!("Item: LinkedIn post draft ({APPROVAL_A1})")),
        "{}",
        asked[0]
    );
    assert!(asked[1].contains("irreversible") && asked[1].contains(APPROVAL_C));
    assert!(
        asked[2].contains("impersonation")
            && asked[2].contains("Tenant: Example Tenant B (ten_0002)")
            && asked[2].contains(&format!("/admin/v1/tenants/{TENANT_B}/impersonate")),
        "{}",
        asked[2]
    );
    assert!(asked[3].contains("tenantIds") && asked[3].contains(TENANT_A));

    // Logout revokes the held refresh token (never shown), and the next call
    // signs in again.
    let out = call(client, "leadmetrics_logout_session", json!({})).await;
    assert!(!is_error(&out), "{}", text(&out));
    let got = up.only_request();
    assert_request(
        &got,
        &post(
            "/auth/v1/logout",
            Some(json!({"refreshToken": format!("{REFRESH_PREFIX}1")})),
        ),
        &access,
        "leadmetrics_logout_session",
    );
    assert_eq!(structured(&out)["data"]["refreshTokenRevoked"], true);
    assert!(
        !serde_json::to_string(&out)
            .unwrap()
            .contains(REFRESH_PREFIX)
    );
    seen.insert("leadmetrics_logout_session".to_string());
    let again = call(client, "leadmetrics_get_me", json!({})).await;
    assert!(!is_error(&again));
    let reqs = up.requests();
    assert_eq!(reqs.len(), 2);
    assert_login(&reqs[0], OPERATOR_EMAIL);
    let token = reqs[1].header("authorization").unwrap();
    assert!(
        token.starts_with(&format!("Bearer {ACCESS_PREFIX}"))
            && token != format!("Bearer {access}")
    );

    // Every served tool was exercised.
    let listed: std::collections::BTreeSet<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(listed, seen);
    assert_eq!(listed.len(), 31);
}

#[tokio::test]
async fn every_tool_over_stdio() {
    let up = Upstream::start().await;
    let human = TestClient::new(Human::Accepts);
    let client = stdio(PRIVILEGED, &env(&up, &[]), human.clone(), Era::Handshake).await;
    run_every_tool(&client, &up, &human).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_tool_over_streamable_http() {
    let up = Upstream::start().await;
    let server = http_server(PRIVILEGED, &env(&up, &[])).await;
    let human = TestClient::new(Human::Accepts);
    let client = http_client(&server, human.clone(), Era::Handshake).await;
    run_every_tool(&client, &up, &human).await;
    client.cancel().await.unwrap();
}

async fn tool_names(client: &Client) -> Vec<String> {
    client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect()
}

fn is_privileged(name: &str) -> bool {
    [
        "leadmetrics_get_dm_overview",
        "leadmetrics_list_dm_approvals",
        "leadmetrics_bulk_resolve_approvals",
        "leadmetrics_pause_activity",
        "leadmetrics_list_tenants",
        "leadmetrics_impersonate_tenant",
        "leadmetrics_update_agent_config",
        "leadmetrics_push_agent_config",
        "leadmetrics_get_system_health",
    ]
    .contains(&name)
}

#[tokio::test]
async fn admin_and_dm_tools_are_absent_by_default_and_served_when_enabled() {
    let up = Upstream::start().await;
    let client = leadmetrics(&up, &[]).await;
    let names = tool_names(&client).await;
    assert_eq!(names.len(), 22);
    assert!(!names.iter().any(|n| is_privileged(n)), "{names:?}");
    // Not served means not callable, even by name.
    for tool in [
        "leadmetrics_list_tenants",
        "leadmetrics_bulk_resolve_approvals",
    ] {
        let mut params = CallToolRequestParams::new(tool);
        params.arguments = args(json!({}));
        let err = client.call_tool(params).await.unwrap_err().to_string();
        assert!(
            err.contains("-32602") || err.contains("unknown tool"),
            "{err}"
        );
    }
    assert!(up.requests().is_empty());
    client.cancel().await.unwrap();

    // One group by env var: the rest stays as it was.
    let client = leadmetrics(&up, &[("LEADS_MCP_ADD_TOOLS", "leadmetrics:dm")]).await;
    let names = tool_names(&client).await;
    assert_eq!(names.len(), 26);
    assert!(names.contains(&"leadmetrics_get_dm_overview".to_string()));
    assert!(!names.contains(&"leadmetrics_list_tenants".to_string()));
    let r = call(&client, "leadmetrics_get_dm_overview", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_access_token_is_used_as_is_without_login() {
    let up = Upstream::start().await;
    let client = leadmetrics(
        &up,
        &[
            ("LEADMETRICS_EMAIL", ""),
            ("LEADMETRICS_PASSWORD", ""),
            ("LEADMETRICS_ACCESS_TOKEN", STATIC_TOKEN),
        ],
    )
    .await;
    for _ in 0..2 {
        let r = call(&client, "leadmetrics_get_me", json!({})).await;
        assert!(!is_error(&r), "{}", text(&r));
        assert_request(
            &up.only_request(),
            &get("/auth/v1/me"),
            STATIC_TOKEN,
            "leadmetrics_get_me",
        );
    }
    // A rejected static token is not retried (nothing to renew) and names its variable.
    up.sandbox
        .inject(fault("GET", "/auth/v1/me", 401, "UNAUTHORIZED"));
    let r = call(&client, "leadmetrics_get_me", json!({})).await;
    assert!(is_error(&r));
    assert!(
        text(&r).contains("LEADMETRICS_ACCESS_TOKEN"),
        "{}",
        text(&r)
    );
    assert!(!text(&r).contains(STATIC_TOKEN));
    assert_eq!(up.requests().len(), 1);
    client.cancel().await.unwrap();
}

fn fault(method: &str, path: &str, status: u16, code: &str) -> Fault {
    let body = json!({"statusCode": status, "code": code, "error": "Unauthorized", "message": "Rejected.", "request_id": "req_fault"});
    vendor_fault("leadmetrics", method, path, status, body, &[], 1)
}

#[tokio::test]
async fn concurrent_calls_share_one_login() {
    let up = Upstream::start().await;
    let client = leadmetrics(&up, &[]).await;
    let calls = (0..8).map(|i| {
        let tool = if i % 2 == 0 {
            "leadmetrics_get_me"
        } else {
            "leadmetrics_list_campaigns"
        };
        call(&client, tool, json!({}))
    });
    for r in futures::future::join_all(calls).await {
        assert!(!is_error(&r), "{}", text(&r));
    }
    let reqs = up.requests();
    assert_eq!(reqs.len(), 9, "{reqs:#?}");
    assert_login(&reqs[0], OPERATOR_EMAIL);
    let access = format!("Bearer {ACCESS_PREFIX}1");
    assert!(
        reqs[1..]
            .iter()
            .all(|r| r.header("authorization") == Some(access.as_str()))
    );
    // And many more calls later still use the same login.
    for _ in 0..3 {
        call(&client, "leadmetrics_get_mobile_home", json!({})).await;
    }
    assert!(
        up.requests()
            .iter()
            .all(|r| r.path != "/auth/v1/login"
                && r.header("authorization") == Some(access.as_str()))
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_token_is_refreshed_before_it_expires() {
    let up = Upstream::start().await;
    // This user's tokens live 30 s, less than the renewal margin: every
    // call after the first refreshes first.
    let client = leadmetrics(&up, &[("LEADMETRICS_EMAIL", SHORT_SESSION_EMAIL)]).await;
    for _ in 0..3 {
        let r = call(&client, "leadmetrics_get_me", json!({})).await;
        assert!(!is_error(&r), "{}", text(&r));
    }
    let reqs = up.requests();
    assert_eq!(reqs.len(), 6, "{reqs:#?}");
    assert_login(&reqs[0], SHORT_SESSION_EMAIL);
    assert_request(
        &reqs[1],
        &get("/auth/v1/me"),
        &format!("{ACCESS_PREFIX}1"),
        "me",
    );
    // Refresh tokens rotate: each refresh uses the one the last answer gave.
    assert_refresh(&reqs[2], &format!("{REFRESH_PREFIX}1"));
    assert_request(
        &reqs[3],
        &get("/auth/v1/me"),
        &format!("{ACCESS_PREFIX}2"),
        "me",
    );
    assert_refresh(&reqs[4], &format!("{REFRESH_PREFIX}2"));
    assert_request(
        &reqs[5],
        &get("/auth/v1/me"),
        &format!("{ACCESS_PREFIX}3"),
        "me",
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_401_refreshes_once_and_a_failed_refresh_logs_in_again() {
    let up = Upstream::start().await;
    let client = leadmetrics(&up, &[]).await;
    assert!(!is_error(
        &call(&client, "leadmetrics_get_me", json!({})).await
    ));
    assert_eq!(up.requests().len(), 2);

    // The vendor rejects the token once: refresh, then the same call again.
    up.sandbox.inject(fault(
        "GET",
        "/dashboard/v1/campaigns",
        401,
        "TOKEN_EXPIRED",
    ));
    let r = call(&client, "leadmetrics_list_campaigns", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    let reqs = up.requests();
    assert_eq!(reqs.len(), 3, "{reqs:#?}");
    let campaigns = get("/dashboard/v1/campaigns");
    assert_request(&reqs[0], &campaigns, &format!("{ACCESS_PREFIX}1"), "1st");
    assert_refresh(&reqs[1], &format!("{REFRESH_PREFIX}1"));
    assert_request(&reqs[2], &campaigns, &format!("{ACCESS_PREFIX}2"), "2nd");
    assert_eq!(
        reqs[0].header("x-request-id"),
        reqs[2].header("x-request-id"),
        "a retry of the same call"
    );

    // A rejected refresh falls back to a login.
    up.sandbox.inject(fault(
        "GET",
        "/dashboard/v1/campaigns",
        401,
        "TOKEN_EXPIRED",
    ));
    up.sandbox.inject(fault(
        "POST",
        "/auth/v1/refresh",
        401,
        "INVALID_REFRESH_TOKEN",
    ));
    let r = call(&client, "leadmetrics_list_campaigns", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    let reqs = up.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/dashboard/v1/campaigns",
            "/auth/v1/refresh",
            "/auth/v1/login",
            "/dashboard/v1/campaigns"
        ]
    );
    assert_login(&reqs[2], OPERATOR_EMAIL);

    // A 401 that persists is reported once renewed, not retried forever.
    up.sandbox.inject(Fault {
        times: 2,
        ..fault("GET", "/dashboard/v1/campaigns", 401, "UNAUTHORIZED")
    });
    let r = call(&client, "leadmetrics_list_campaigns", json!({})).await;
    assert!(is_error(&r));
    assert!(
        text(&r).contains("LEADMETRICS_EMAIL and LEADMETRICS_PASSWORD"),
        "{}",
        text(&r)
    );
    assert_eq!(up.requests().len(), 3, "call, refresh, call again");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_is_a_tool_error_that_sends_nothing_else() {
    let up = Upstream::start().await;
    let (client, stderr) = stdio_with(
        &["--vendors", "leadmetrics"],
        &env(&up, &[("LEADMETRICS_PASSWORD", "wrong-password-value")]),
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
        true,
    )
    .await;
    let r = call(&client, "leadmetrics_list_campaigns", json!({})).await;
    assert!(is_error(&r));
    let t = text(&r);
    assert!(t.contains("refused the server's login (HTTP 401)"), "{t}");
    assert!(
        t.contains("LEADMETRICS_PASSWORD") && !t.contains("wrong-password-value"),
        "{t}"
    );
    assert_eq!(structured(&r)["error"]["code"], "login_failed");
    let reqs = up.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/auth/v1/login");
    client.cancel().await.unwrap();
    let mut log = String::new();
    stderr.unwrap().read_to_string(&mut log).await.unwrap();
    assert!(!log.contains("wrong-password-value"));
}

#[tokio::test]
async fn no_credential_appears_in_results_or_logs() {
    let up = Upstream::start().await;
    let mut e = env(&up, &[]);
    e.push(("RUST_LOG".into(), "trace".into()));
    let (client, stderr) = stdio_with(
        PRIVILEGED,
        &e,
        TestClient::new(Human::Accepts),
        Era::Handshake,
        true,
    )
    .await;
    let mut results = String::new();
    for (tool, a) in [
        ("leadmetrics_get_me", json!({})),
        ("leadmetrics_impersonate_tenant", json!({"id": TENANT_C})),
        ("leadmetrics_logout_session", json!({})),
        ("leadmetrics_get_me", json!({})),
    ] {
        let r = call(&client, tool, a).await;
        assert!(!is_error(&r), "{tool}: {}", text(&r));
        results.push_str(&serde_json::to_string(&r).unwrap());
    }
    client.cancel().await.unwrap();
    let mut log = String::new();
    stderr.unwrap().read_to_string(&mut log).await.unwrap();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "trace logging was off"
    );
    for secret in [PASSWORD, ACCESS_PREFIX, REFRESH_PREFIX, "lm_impersonation_"] {
        assert!(!results.contains(secret), "{secret} in a result");
        assert!(!log.contains(secret), "{secret} in the log");
    }
    assert!(up.requests().iter().any(|r| r.path == "/auth/v1/logout"));
}

async fn impersonate(client: &Client) -> rmcp::model::CallToolResult {
    call(
        client,
        "leadmetrics_impersonate_tenant",
        json!({"id": TENANT_B}),
    )
    .await
}

#[tokio::test]
async fn impersonation_always_needs_a_human_yes() {
    let up = Upstream::start().await;
    for era in [Era::Handshake, Era::Modern] {
        for confirm in ["elicit", "client"] {
            let mut e = env(&up, &[]);
            e.push(("LEADS_MCP_CONFIRM".into(), confirm.into()));
            for human in [
                Human::Accepts,
                Human::Declines,
                Human::Unticks,
                Human::CannotElicit,
            ] {
                let tc = TestClient::new(human);
                let client = stdio(PRIVILEGED, &e, tc.clone(), era).await;
                let r = impersonate(&client).await;
                let sent: Vec<String> = up
                    .requests()
                    .into_iter()
                    .filter(|r| r.path.ends_with("/impersonate"))
                    .map(|r| r.path)
                    .collect();
                let what = format!("{era:?} {confirm} {human:?}");
                if human == Human::Accepts {
                    assert!(!is_error(&r), "{what}: {}", text(&r));
                    assert_eq!(sent.len(), 1, "{what}");
                    assert_eq!(structured(&r)["data"]["token"], WITHHELD);
                } else {
                    assert!(is_error(&r), "{what}");
                    assert!(sent.is_empty(), "{what}: sent without a yes");
                    assert_eq!(structured(&r)["error"]["sent"], false);
                }
                if human == Human::CannotElicit {
                    assert_eq!(
                        structured(&r)["error"]["code"],
                        "confirmation_unavailable",
                        "{what}"
                    );
                    // The opt-out does not apply here, so it is not offered.
                    assert!(!text(&r).contains("LEADS_MCP_CONFIRM=client"), "{what}");
                    assert!(tc.asked().is_empty());
                } else {
                    let asked = tc.asked();
                    assert_eq!(asked.len(), 1, "{what}");
                    assert!(asked[0].contains("Tenant: Example Tenant B"), "{what}");
                }
                client.cancel().await.unwrap();
            }
        }
    }
}

#[tokio::test]
async fn bulk_resolve_is_confirmed_unless_the_operator_trusts_the_client() {
    let up = Upstream::start().await;
    let bulk = json!({"body": {"approvalIds": [APPROVAL_B], "decision": "approve"}});
    let client = stdio(
        PRIVILEGED,
        &env(&up, &[]),
        TestClient::new(Human::Declines),
        Era::Handshake,
    )
    .await;
    let r = call(&client, "leadmetrics_bulk_resolve_approvals", bulk.clone()).await;
    assert!(
        is_error(&r) && text(&r).contains("declined"),
        "{}",
        text(&r)
    );
    assert!(
        !up.requests()
            .iter()
            .any(|r| r.path == "/dm/v1/approvals/bulk/resolve")
    );
    client.cancel().await.unwrap();

    let mut e = env(&up, &[]);
    e.push(("LEADS_MCP_CONFIRM".into(), "client".into()));
    let tc = TestClient::new(Human::CannotElicit);
    let client = stdio(PRIVILEGED, &e, tc.clone(), Era::Handshake).await;
    let r = call(&client, "leadmetrics_bulk_resolve_approvals", bulk).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(tc.asked().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn resolving_an_approval_asks_the_human_with_the_item_and_the_decision() {
    let up = Upstream::start().await;
    let resolve = |id: &str, decision: &str| json!({"id": id, "body": {"decision": decision, "comment": "Reviewed."}});
    let resolved = |up: &Upstream| {
        up.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/resolve"))
            .map(|r| (r.path, r.body))
            .collect::<Vec<_>>()
    };
    for era in [Era::Handshake, Era::Modern] {
        for human in [Human::Declines, Human::Unticks, Human::CannotElicit] {
            let what = format!("{era:?} {human:?}");
            let tc = TestClient::new(human);
            let client = stdio(
                &["--vendors", "leadmetrics"],
                &env(&up, &[]),
                tc.clone(),
                era,
            )
            .await;
            let r = call(
                &client,
                "leadmetrics_resolve_approval",
                resolve(APPROVAL_A2, "approve"),
            )
            .await;
            assert!(is_error(&r), "{what}: {}", text(&r));
            assert_eq!(structured(&r)["error"]["sent"], false, "{what}");
            assert!(resolved(&up).is_empty(), "{what}: resolved without a yes");
            if human == Human::CannotElicit {
                assert_eq!(structured(&r)["error"]["code"], "confirmation_unavailable");
                assert!(text(&r).contains("LEADS_MCP_CONFIRM=client"), "{what}");
                assert!(tc.asked().is_empty());
            } else {
                let asked = tc.asked();
                assert_eq!(asked.len(), 1, "{what}");
                assert!(
                    !asked[0].contains("Decision: reject")
                        && asked[0].contains("Decision: approve")
                        && asked[0].contains(&format!(
                            "Item: Email sequence draft ({APPROVAL_A2}), status pending, activity {ACTIVITY_RUN}"
                        ))
                        && asked[0].contains("Example draft written by an agent."),
                    "{what}: {}",
                    asked[0]
                );
            }
            client.cancel().await.unwrap();
        }
        // A yes resolves it, exactly as asked.
        let tc = TestClient::new(Human::Accepts);
        let client = stdio(
            &["--vendors", "leadmetrics"],
            &env(&up, &[]),
            tc.clone(),
            era,
        )
        .await;
        let id = if era == Era::Handshake {
            APPROVAL_A1
        } else {
            APPROVAL_A2
        };
        let r = call(
            &client,
            "leadmetrics_resolve_approval",
            resolve(id, "reject"),
        )
        .await;
        assert!(!is_error(&r), "{era:?}: {}", text(&r));
        assert_eq!(structured(&r)["data"]["status"], "rejected");
        assert_eq!(
            resolved(&up),
            [(
                format!("/dashboard/v1/approvals/{id}/resolve"),
                Some(json!({"decision": "reject", "comment": "Reviewed."}))
            )]
        );
        assert!(
            tc.asked()[0].contains("Decision: reject"),
            "{:?}",
            tc.asked()
        );
        client.cancel().await.unwrap();
    }
    // An id the queue doesn't list is said so; the human still decides.
    let tc = TestClient::new(Human::Declines);
    let client = stdio(
        &["--vendors", "leadmetrics"],
        &env(&up, &[]),
        tc.clone(),
        Era::Handshake,
    )
    .await;
    let r = call(
        &client,
        "leadmetrics_resolve_approval",
        resolve("apr_9999", "approve"),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        tc.asked()[0].contains("Approval apr_9999: not found in the approval queue"),
        "{:?}",
        tc.asked()
    );
    client.cancel().await.unwrap();

    // LEADS_MCP_CONFIRM=client trusts the client's own approval, as elsewhere.
    let mut e = env(&up, &[]);
    e.push(("LEADS_MCP_CONFIRM".into(), "client".into()));
    let tc = TestClient::new(Human::CannotElicit);
    let client = stdio(
        &["--vendors", "leadmetrics"],
        &e,
        tc.clone(),
        Era::Handshake,
    )
    .await;
    up.requests();
    let r = call(
        &client,
        "leadmetrics_create_run_approval",
        json!({"run_id": RUN, "body": {"title": "Check"}}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    let created = structured(&r)["data"]["approvalId"]
        .as_str()
        .unwrap()
        .to_string();
    let r = call(
        &client,
        "leadmetrics_resolve_approval",
        resolve(&created, "approve"),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(tc.asked().is_empty());
    assert_eq!(resolved(&up).len(), 1);
    client.cancel().await.unwrap();
}

/// Waits (bounded) until `cond` holds.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting for {what}");
}

async fn stream_with_progress(client: &Client, tc: &TestClient, up: &Upstream) {
    let path = format!("leadmetrics /dashboard/v1/activities/{ACTIVITY_LIVE}/stream");
    let closed = || {
        up.sandbox
            .closed_streams()
            .iter()
            .filter(|p| **p == path)
            .count()
    };
    let closed_before = closed();
    let r = call(
        client,
        "leadmetrics_stream_activity",
        json!({"id": ACTIVITY_LIVE, "max_events": 8, "max_seconds": 60}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    let s = structured(&r);
    let events = s["data"].as_array().unwrap();
    assert_eq!(events.len(), 8);
    assert_eq!(s["stream"]["ended"], "max_events");
    assert_eq!(events[7]["data"]["token"], "finding8 ");
    assert!(text(&r).contains("Stopped at max_events"));
    // One progress notification per event, as they arrived.
    let progress = tc.progress.lock().unwrap().clone();
    let steps: Vec<f64> = progress.iter().map(|p| p.progress).collect();
    assert_eq!(steps, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    assert!(progress.iter().all(|p| p.total == Some(8.0)));
    assert!(
        progress[0]
            .message
            .as_deref()
            .unwrap()
            .contains("1 event(s) received; last: token")
    );
    // The read bounds are this server's: they never reach the vendor.
    let reqs: Vec<Recorded> = up
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/stream"))
        .collect();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].query, None);
    // Reading stopped: the endless stream's connection was closed.
    eventually("the stream to close", || closed() > closed_before).await;
}

#[tokio::test]
async fn a_stream_reports_progress_over_stdio_and_http() {
    let up = Upstream::start().await;
    over_each_transport(&up, async |client, tc| {
        stream_with_progress(client, tc, &up).await
    })
    .await;
}

#[tokio::test]
async fn a_silent_stream_stops_at_max_seconds() {
    let up = Upstream::start().await;
    let client = leadmetrics(&up, &[]).await;
    // The platform events stream sends three events, then one every 200 ms.
    let r = call(
        &client,
        "leadmetrics_stream_events",
        json!({"max_events": 500, "max_seconds": 1}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    let s = structured(&r);
    assert_eq!(s["stream"]["ended"], "max_seconds");
    let n = s["data"].as_array().unwrap().len();
    assert!((3..500).contains(&n), "{n}");
    // Bounds beyond the caps are refused before anything is sent.
    up.requests();
    for a in [
        json!({"max_events": 501}),
        json!({"max_seconds": 121}),
        json!({"max_events": 0}),
    ] {
        let r = call(&client, "leadmetrics_stream_events", a.clone()).await;
        assert!(is_error(&r), "{a}");
        assert_eq!(structured(&r)["error"]["code"], "invalid_arguments");
    }
    assert!(up.requests().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_stream_error_is_an_ordinary_tool_error() {
    let up = Upstream::start().await;
    let client = leadmetrics(&up, &[("LEADMETRICS_EMAIL", MARKETER_EMAIL)]).await;
    // Tenant A's activity is not visible to tenant B's user.
    let r = call(
        &client,
        "leadmetrics_stream_activity",
        json!({"id": ACTIVITY_DONE}),
    )
    .await;
    assert!(is_error(&r));
    let s = structured(&r);
    assert_eq!(s["error"]["status"], 404);
    assert_eq!(s["error"]["code"], "NOT_FOUND");
    assert!(text(&r).contains("Don't try other routes"), "{}", text(&r));
    // A 401 on opening the stream renews the session once, like any call.
    up.requests();
    up.sandbox.inject(fault(
        "GET",
        &format!("/dashboard/v1/activities/{ACTIVITY_B}/stream"),
        401,
        "TOKEN_EXPIRED",
    ));
    let r = call(
        &client,
        "leadmetrics_stream_activity",
        json!({"id": ACTIVITY_B}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    let paths: Vec<String> = up.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths[1], "/auth/v1/refresh");
    assert_eq!(structured(&r)["stream"]["ended"], "closed");
    client.cancel().await.unwrap();
}

/// Starts the endless stream, waits for its first progress, cancels the
/// request, and checks the upstream connection closes well before the
/// stream's own 120-second bound.
async fn cancel_a_stream(client: &Client, tc: &TestClient, up: &Upstream) {
    let mut params = CallToolRequestParams::new("leadmetrics_stream_activity");
    params.arguments = args(json!({"id": ACTIVITY_LIVE, "max_events": 500, "max_seconds": 120}));
    let handle = client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(CallToolRequest::new(params)),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    eventually("the first progress notification", || {
        !tc.progress.lock().unwrap().is_empty()
    })
    .await;
    let path = format!("leadmetrics /dashboard/v1/activities/{ACTIVITY_LIVE}/stream");
    let closed_before = up
        .sandbox
        .closed_streams()
        .iter()
        .filter(|p| **p == path)
        .count();
    handle
        .cancel(Some("the user moved on".into()))
        .await
        .unwrap();
    eventually("the upstream stream to close after cancellation", || {
        up.sandbox
            .closed_streams()
            .iter()
            .filter(|p| **p == path)
            .count()
            > closed_before
    })
    .await;
    // No more progress once reading stopped (notifications already on
    // their way are let through first).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let settled = tc.progress.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(tc.progress.lock().unwrap().len(), settled);
    assert!(settled < 500);
    // The server goes on serving.
    let r = call(client, "leadmetrics_get_me", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
}

#[tokio::test]
async fn a_cancelled_stream_stops_promptly() {
    let up = Upstream::start().await;
    over_each_transport(&up, async |client, tc| {
        cancel_a_stream(client, tc, &up).await
    })
    .await;
}

#[tokio::test]
async fn without_a_base_url_leadmetrics_is_not_served_and_startup_says_why() {
    let up = Upstream::start().await;
    let e = env(&up, &[("LEADMETRICS_BASE_URL", "")]);
    let (client, stderr) = stdio_with(
        &[],
        &e,
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
        true,
    )
    .await;
    assert!(tool_names(&client).await.is_empty());
    client.cancel().await.unwrap();
    let mut log = String::new();
    stderr.unwrap().read_to_string(&mut log).await.unwrap();
    assert!(
        log.contains("leadmetrics is not served")
            && log.contains("publishes no base URL: set LEADMETRICS_BASE_URL"),
        "{log}"
    );
    assert!(up.requests().is_empty());
}

#[tokio::test]
async fn named_without_a_base_url_leadmetrics_lists_its_tools_and_each_call_names_the_variable() {
    let up = Upstream::start().await;
    let e = env(&up, &[("LEADMETRICS_BASE_URL", "")]);
    for era in [Era::Handshake, Era::Modern] {
        let (client, stderr) = stdio_with(
            &["--vendors", "leadmetrics"],
            &e,
            TestClient::new(Human::Accepts),
            era,
            true,
        )
        .await;
        let names = tool_names(&client).await;
        assert_eq!(names.len(), 22, "{era:?}: {names:?}");
        for name in &names {
            // With or without its arguments: no call can work without the URL.
            for arguments in [json!({}), json!({"id": APPROVAL_A1, "run_id": RUN})] {
                let r = call(&client, name, arguments).await;
                assert!(is_error(&r), "{era:?} {name}");
                let s = structured(&r);
                assert_eq!(s["error"]["code"], "no_base_url", "{era:?} {name}: {s}");
                assert_eq!(s["error"]["sent"], false);
                assert!(
                    text(&r).contains("set LEADMETRICS_BASE_URL"),
                    "{era:?} {name}: {}",
                    text(&r)
                );
            }
        }
        client.cancel().await.unwrap();
        let mut log = String::new();
        stderr.unwrap().read_to_string(&mut log).await.unwrap();
        assert!(
            log.contains("leadmetrics is served, but every call is refused")
                && log.contains("LEADMETRICS_BASE_URL"),
            "{log}"
        );
    }
    assert!(up.requests().is_empty());
}

#[tokio::test]
async fn the_sandbox_serves_leadmetrics_and_its_prompt_with_no_keys() {
    let client = stdio(
        &["--sandbox"],
        &[],
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
    )
    .await;
    let names = tool_names(&client).await;
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("leadmetrics_"))
            .count(),
        22,
        "privileged groups stay off in the sandbox too"
    );
    let r = call(&client, "leadmetrics_get_me", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(structured(&r)["data"]["email"], OPERATOR_EMAIL);
    let mut params = rmcp::model::GetPromptRequestParams::new("leadmetrics-approval-review");
    params.arguments = args(json!({"focus": "claims that need sources"}));
    let prompt = client.get_prompt(params).await.unwrap();
    let body = serde_json::to_string(&prompt.messages).unwrap();
    assert!(
        body.contains("focusing on claims that need sources"),
        "{body}"
    );
    assert!(body.contains("leadmetrics_stream_activity"));
    client.cancel().await.unwrap();
}
