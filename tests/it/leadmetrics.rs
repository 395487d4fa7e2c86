//! Every Leadmetrics tool through a real MCP client (rmcp's), over every
//! transport and protocol generation, asserting the exact request the
//! sandbox received:
//! the login session, privileged groups, impersonation confirmation, event
//! streams with progress and cancellation, and the missing base URL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use crate::common::every_tool::*;
use crate::common::*;
use leads_mcp::output_guard::WITHHELD;
use leads_mcp_sandbox::leadmetrics::*;
use leads_mcp_sandbox::{Fault, Recorded};
use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest};
use rmcp::service::PeerRequestOptions;
use serde_json::{Value, json};

const ARGS: &[&str] = &["--vendors", "leadmetrics"];

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
    let env = env(up, overrides);
    stdio_as(ARGS, &env, Human::CannotElicit, Era::Handshake)
        .await
        .0
}

/// Runs `check` with a fresh server and client of its own over every
/// transport in every protocol generation.
async fn over_each_transport(up: &Upstream, check: impl AsyncFn(&Client, &TestClient)) {
    for (transport, era) in EVERY_TRANSPORT {
        let tc = TestClient::new(Human::CannotElicit);
        let (client, _server) = connect(transport, era, ARGS, &env(up, &[]), tc.clone()).await;
        check(&client, &tc).await;
        client.cancel().await.unwrap();
    }
}

/// Leadmetrics with its privileged groups, signed in as the operator: every
/// request carries the session's access token unless it says otherwise.
fn vendor() -> Vendor {
    Vendor {
        args: PRIVILEGED.to_vec(),
        human: Human::Accepts,
        headers: vec![("authorization", is("${access}"))],
        request_id: RequestId::VendorOrSent,
        vars: vec![("access", json!(format!("Bearer {ACCESS_PREFIX}1")))],
        ..Vendor::new("leadmetrics", |up| env(up, &[]), 31, cases)
    }
}

crate::every_tool_tests!(vendor);

/// `got` is `want`, sent with the access token `token`.
fn assert_request(got: &Recorded, want: &Req, token: &str) {
    vendor().assert_request(got, &want.clone().bearer(token));
}

/// The login the adapter sends: no Authorization, the configured email and password.
fn login(email: &str) -> Req {
    post("/auth/v1/login")
        .body(json!({"email": email, "password": PASSWORD}))
        .header("authorization", Header::Absent)
}

fn assert_login(got: &Recorded, email: &str) {
    vendor().assert_request(got, &login(email));
}

fn assert_refresh(got: &Recorded, refresh: &str) {
    let refresh = post("/auth/v1/refresh")
        .body(json!({"refreshToken": refresh}))
        .header("authorization", Header::Absent);
    vendor().assert_request(got, &refresh);
}

/// An event stream: read as `text/event-stream`.
fn stream(path: impl Into<String>) -> Req {
    get(path).header("accept", is("text/event-stream"))
}

fn case(tool: &'static str, args: Value, requests: Vec<Req>, check: fn(&Value)) -> Case {
    requests
        .into_iter()
        .fold(Case::call(tool, args), Case::sends)
        .check(check)
}

fn cases() -> Vec<Case> {
    let run = |action: &str| format!("/agent/v1/runs/{RUN}/actions/{action}");
    vec![
        // The first call signs in, then carries the session's access token.
        case(
            "leadmetrics_get_me",
            json!({}),
            vec![login(OPERATOR_EMAIL), get("/auth/v1/me")],
            |r| {
                assert_eq!(r["data"]["email"], OPERATOR_EMAIL);
                assert!(r["privacy_notice"].is_string());
            },
        ),
        case(
            "leadmetrics_list_campaigns",
            json!({"limit": 2, "offset": 0}),
            vec![get("/dashboard/v1/campaigns").query("limit=2&offset=0")],
            |r| {
                assert_eq!(r["data"][0]["id"], CAMPAIGN_A);
                assert_eq!(r["data"].as_array().unwrap().len(), 1);
            },
        ),
        case(
            "leadmetrics_create_campaign",
            json!({"body": {"brief": "Example brief for a spring webinar."}}),
            vec![post("/dashboard/v1/campaigns").body(json!({"brief": "Example brief for a spring webinar."}))],
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
        // The item is read from the queue first, to show the human.
        Case::call(
            "leadmetrics_resolve_approval",
            json!({"id": APPROVAL_A1, "body": {"decision": "approve", "comment": "Looks good."}}),
        )
        .reads(get("/dashboard/v1/approvals").query("limit=100&offset=0"))
        .sends(
            post(format!("/dashboard/v1/approvals/{APPROVAL_A1}/resolve"))
                .body(json!({"decision": "approve", "comment": "Looks good."})),
        )
        .asks(&[
            "approval queue".to_string(),
            "Decision: approve".to_string(),
            format!("Item: LinkedIn post draft ({APPROVAL_A1})"),
        ])
        .check(|r| assert_eq!(r["data"]["status"], "approved")),
        case(
            "leadmetrics_stream_activity",
            json!({"id": ACTIVITY_DONE, "max_events": 20, "max_seconds": 30}),
            vec![stream(format!(
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
            vec![stream("/dashboard/v1/events/stream")],
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
            vec![get("/dm/v1/approvals").query("limit=10")],
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
            vec![post("/dm/v1/approvals/bulk/resolve").body(json!({"approvalIds": [APPROVAL_B, APPROVAL_C], "decision": "reject", "comment": "Off-brand."}))],
            |r| assert_eq!(r["data"]["resolved"], json!([APPROVAL_B, APPROVAL_C])),
        )
        .asks(&["irreversible", APPROVAL_C]),
        case(
            "leadmetrics_pause_activity",
            json!({"id": ACTIVITY_B}),
            vec![post(format!("/dm/v1/activities/{ACTIVITY_B}/pause"))],
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
        // The preflight read names the tenant for the human.
        Case::call("leadmetrics_impersonate_tenant", json!({"id": TENANT_B}))
            .reads(get("/admin/v1/tenants").query("limit=100"))
            .sends(post(format!("/admin/v1/tenants/{TENANT_B}/impersonate")))
            .asks(&[
                "impersonation".to_string(),
                "Tenant: Example Tenant B (ten_0002)".to_string(),
                format!("/admin/v1/tenants/{TENANT_B}/impersonate"),
            ])
            .check(|r| {
                assert_eq!(r["data"]["tenantId"], TENANT_B);
                assert_eq!(r["data"]["token"], WITHHELD);
                assert!(r["withheld"].as_str().unwrap().contains("token"));
                assert!(!r.to_string().contains("lm_impersonation_"));
            }),
        case(
            "leadmetrics_update_agent_config",
            json!({"role": "copywriter", "changes": {"temperature": 0.2}}),
            vec![patch("/admin/v1/agent-configs/copywriter").body(json!({"temperature": 0.2}))],
            |r| {
                assert_eq!(r["data"]["temperature"], 0.2);
                assert_eq!(r["data"]["version"], 2);
            },
        ),
        case(
            "leadmetrics_push_agent_config",
            json!({"role": "copywriter", "body": {"tenantIds": [TENANT_A]}}),
            vec![post("/admin/v1/agent-configs/copywriter/push").body(json!({"tenantIds": [TENANT_A]}))],
            |r| assert_eq!(r["data"]["pushedTo"], json!([TENANT_A])),
        )
        .asks(&["tenantIds", TENANT_A]),
        case(
            "leadmetrics_get_system_health",
            json!({}),
            vec![get("/admin/v1/system/health")],
            |r| assert_eq!(r["data"]["status"], "ok"),
        ),
        case(
            "leadmetrics_register_push_device",
            json!({"body": {"token": "example-device-push-token", "platform": "ios"}}),
            vec![post("/mobile/v1/push/devices").body(json!({"token": "example-device-push-token", "platform": "ios"}))],
            |r| assert_eq!(r["data"]["platform"], "ios"),
        ),
        case(
            "leadmetrics_list_notifications",
            json!({"limit": 2}),
            vec![get("/mobile/v1/notifications").query("limit=2")],
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
            vec![post(format!("/agent/v1/runs/{RUN}/stream")).body(json!({"output": "Subject: hello", "done": false}))],
            |r| assert_eq!(r["data"]["tokens"], 2),
        ),
        case(
            "leadmetrics_create_run_subtask",
            json!({"run_id": RUN, "body": {"agentRole": "researcher", "instructions": "Find three example companies."}}),
            vec![post(run("create-subtask")).body(json!({"agentRole": "researcher", "instructions": "Find three example companies."}),)],
            |r| assert_eq!(r["data"]["status"], "queued"),
        ),
        case(
            "leadmetrics_create_run_approval",
            json!({"run_id": RUN, "body": {"title": "Email sequence v1", "details": "Three emails."}}),
            vec![post(run("create-approval")).body(json!({"title": "Email sequence v1", "details": "Three emails."}))],
            |r| assert_eq!(r["data"]["status"], "pending"),
        ),
        case(
            "leadmetrics_request_run_review",
            json!({"run_id": RUN, "body": {"message": "Check the tone of email two."}}),
            vec![post(run("request-review")).body(json!({"message": "Check the tone of email two."}))],
            |r| assert_eq!(r["data"]["status"], "requested"),
        ),
        case(
            "leadmetrics_reassign_run",
            json!({"run_id": RUN, "body": {"agentRole": "sdr", "reason": "Needs outreach."}}),
            vec![post(run("reassign")).body(json!({"agentRole": "sdr", "reason": "Needs outreach."}))],
            |r| assert_eq!(r["data"]["agentRole"], "sdr"),
        ),
        case(
            "leadmetrics_report_run_blocker",
            json!({"run_id": RUN, "body": {"reason": "Waiting for the brand guide."}}),
            vec![post(run("report-blocker")).body(json!({"reason": "Waiting for the brand guide."}))],
            |r| assert_eq!(r["data"]["status"], "blocked"),
        ),
        case(
            "leadmetrics_deliver_run_result",
            json!({"run_id": RUN, "body": {"result": "Three emails drafted."}}),
            vec![post(format!("/agent/v1/runs/{RUN}/result")).body(json!({"result": "Three emails drafted."}))],
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
        // Logout revokes the held refresh token (never shown), and the next
        // call signs in again, with a new access token.
        case(
            "leadmetrics_logout_session",
            json!({}),
            vec![post("/auth/v1/logout").body(json!({"refreshToken": format!("{REFRESH_PREFIX}1")}))],
            |r| {
                assert_eq!(r["data"]["refreshTokenRevoked"], true);
                assert!(!r.to_string().contains(REFRESH_PREFIX));
            },
        )
        .check_result(|r| assert!(!serde_json::to_string(r).unwrap().contains(REFRESH_PREFIX))),
        Case::call("leadmetrics_get_me", json!({}))
            .sends(login(OPERATOR_EMAIL))
            .sends(get("/auth/v1/me").new_bearer(ACCESS_PREFIX, "access"))
            .check(|r| assert_eq!(r["data"]["email"], OPERATOR_EMAIL)),
    ]
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
    assert!(names.iter().any(|n| n == "leadmetrics_get_dm_overview"));
    assert!(!names.iter().any(|n| n == "leadmetrics_list_tenants"));
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
        assert_request(&up.only_request(), &get("/auth/v1/me"), STATIC_TOKEN);
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
    let tools = ["leadmetrics_get_me", "leadmetrics_list_campaigns"];
    for r in calls_at_once(&client, &tools, 8).await {
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
    assert_request(&reqs[1], &get("/auth/v1/me"), &format!("{ACCESS_PREFIX}1"));
    // Refresh tokens rotate: each refresh uses the one the last answer gave.
    assert_refresh(&reqs[2], &format!("{REFRESH_PREFIX}1"));
    assert_request(&reqs[3], &get("/auth/v1/me"), &format!("{ACCESS_PREFIX}2"));
    assert_refresh(&reqs[4], &format!("{REFRESH_PREFIX}2"));
    assert_request(&reqs[5], &get("/auth/v1/me"), &format!("{ACCESS_PREFIX}3"));
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
    assert_request(&reqs[0], &campaigns, &format!("{ACCESS_PREFIX}1"));
    assert_refresh(&reqs[1], &format!("{REFRESH_PREFIX}1"));
    assert_request(&reqs[2], &campaigns, &format!("{ACCESS_PREFIX}2"));
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
    let env = env(&up, &[("LEADMETRICS_PASSWORD", "wrong-password-value")]);
    let (client, stderr) = stdio_traced(ARGS, &env, Human::CannotElicit).await;
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
    assert_traced_without(&read_log(stderr).await, &["wrong-password-value"]);
}

#[tokio::test]
async fn no_credential_appears_in_results_or_logs() {
    let up = Upstream::start().await;
    let (client, stderr) = stdio_traced(PRIVILEGED, &env(&up, &[]), Human::Accepts).await;
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
    let secrets = [PASSWORD, ACCESS_PREFIX, REFRESH_PREFIX, "lm_impersonation_"];
    assert_traced_without(&read_log(stderr).await, &secrets);
    for secret in secrets {
        assert!(!results.contains(secret), "{secret} in a result");
    }
    assert!(up.requests().iter().any(|r| r.path == "/auth/v1/logout"));
}

#[tokio::test]
async fn impersonation_always_needs_a_human_yes() {
    let up = Upstream::start().await;
    let humans = [
        Human::Accepts,
        Human::Declines,
        Human::Unticks,
        Human::CannotElicit,
    ];
    for era in [Era::Handshake, Era::Modern] {
        for confirm in ["elicit", "client"] {
            let e = env(&up, &[("LEADS_MCP_CONFIRM", confirm)]);
            let impersonate = async |client: &Client, tc: &TestClient, human| {
                let r = call(
                    client,
                    "leadmetrics_impersonate_tenant",
                    json!({"id": TENANT_B}),
                )
                .await;
                let sent: Vec<String> = up
                    .requests()
                    .into_iter()
                    .filter(|r| r.path.ends_with("/impersonate"))
                    .map(|r| r.path)
                    .collect();
                let what = format!("{era:?} {confirm} {human:?}");
                let asked = tc.asked();
                if human == Human::Accepts {
                    assert!(!is_error(&r), "{what}: {}", text(&r));
                    assert_eq!(sent.len(), 1, "{what}");
                    assert_eq!(structured(&r)["data"]["token"], WITHHELD);
                } else {
                    // The opt-out does not apply here, so it is not offered.
                    assert_not_confirmed(human, &r, false);
                    assert!(sent.is_empty(), "{what}: sent without a yes");
                }
                if human == Human::CannotElicit {
                    assert!(asked.is_empty(), "{what}");
                } else {
                    assert_eq!(asked.len(), 1, "{what}");
                    assert!(asked[0].contains("Tenant: Example Tenant B"), "{what}");
                }
            };
            for_each_human(PRIVILEGED, &e, era, &humans, impersonate).await;
        }
    }
}

#[tokio::test]
async fn bulk_resolve_is_confirmed_unless_the_operator_trusts_the_client() {
    let up = Upstream::start().await;
    let bulk = json!({"body": {"approvalIds": [APPROVAL_B], "decision": "approve"}});
    let (client, _) = stdio_as(PRIVILEGED, &env(&up, &[]), Human::Declines, Era::Handshake).await;
    let r = call(&client, "leadmetrics_bulk_resolve_approvals", bulk.clone()).await;
    assert_not_confirmed(Human::Declines, &r, true);
    assert!(
        !up.requests()
            .iter()
            .any(|r| r.path == "/dm/v1/approvals/bulk/resolve")
    );
    client.cancel().await.unwrap();

    let e = env(&up, &[("LEADS_MCP_CONFIRM", "client")]);
    let (client, tc) = stdio_as(PRIVILEGED, &e, Human::CannotElicit, Era::Handshake).await;
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
    let humans = [Human::Declines, Human::Unticks, Human::CannotElicit];
    for era in [Era::Handshake, Era::Modern] {
        let refused = async |client: &Client, tc: &TestClient, human| {
            let what = format!("{era:?} {human:?}");
            let r = call(
                client,
                "leadmetrics_resolve_approval",
                resolve(APPROVAL_A2, "approve"),
            )
            .await;
            assert_not_confirmed(human, &r, true);
            assert!(resolved(&up).is_empty(), "{what}: resolved without a yes");
            if human == Human::CannotElicit {
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
        };
        for_each_human(ARGS, &env(&up, &[]), era, &humans, refused).await;
        // A yes resolves it, exactly as asked.
        let (client, tc) = stdio_as(ARGS, &env(&up, &[]), Human::Accepts, era).await;
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
    let (client, tc) = stdio_as(ARGS, &env(&up, &[]), Human::Declines, Era::Handshake).await;
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
    let e = env(&up, &[("LEADS_MCP_CONFIRM", "client")]);
    let (client, tc) = stdio_as(ARGS, &e, Human::CannotElicit, Era::Handshake).await;
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
    for (a, bound) in [
        (json!({"max_events": 501}), "max_events"),
        (json!({"max_seconds": 121}), "max_seconds"),
        (json!({"max_events": 0}), "max_events"),
    ] {
        let r = call(&client, "leadmetrics_stream_events", a).await;
        assert_refused_unsent(&r, bound);
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
    vendor_error(&r, 404, "NOT_FOUND");
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
    let log = read_log(stderr).await;
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
        let log = read_log(stderr).await;
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
    let body = prompt_messages(
        &client,
        "leadmetrics-approval-review",
        json!({"focus": "claims that need sources"}),
    )
    .await
    .join("\n");
    assert!(
        body.contains("focusing on claims that need sources"),
        "{body}"
    );
    assert!(body.contains("leadmetrics_stream_activity"));
    client.cancel().await.unwrap();
}
