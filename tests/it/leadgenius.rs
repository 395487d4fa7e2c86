//! Every LeadGenius Pro tool through a real MCP client (rmcp's), over every
//! transport and protocol generation, asserting the exact requests the
//! sandbox received, with the right credentials in each of the three auth modes;
//! the login's caching and renewal; cursor pagination; the purge and
//! batch-delete confirmations; the `success:false` error envelope.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use crate::common::every_tool::*;
use crate::common::*;
use leads_mcp_sandbox::leadgenius::{
    ACCESS_TOKEN, API_KEY, CLIENT_A, CLIENT_A_ID, CLIENT_A_LEADS, CLIENT_B, CLIENT_B_ID,
    CLIENT_B_LEADS, COMPANY_ID, EMAIL, EXPIRED_TOKEN, PASSWORD, SHORT_LIVED_EMAIL, TOKEN_PREFIX,
    USER_ID, lead_id,
};
use leads_mcp_sandbox::{Fault, Recorded};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Credentials of each mode

const ARGS: &[&str] = &["--vendors", "leadgenius"];

const LOGIN: [(&str, &str); 2] = [
    ("LEADGENIUS_EMAIL", EMAIL),
    ("LEADGENIUS_PASSWORD", PASSWORD),
];

const API_KEY_PAIR: [(&str, &str); 2] = [
    ("LEADGENIUS_API_KEY", API_KEY),
    ("LEADGENIUS_USER_ID", USER_ID),
];

fn login_env(up: &Upstream) -> Vec<(String, String)> {
    with_credentials(up, &LOGIN)
}

fn api_key_env(up: &Upstream) -> Vec<(String, String)> {
    with_credentials(up, &API_KEY_PAIR)
}

fn token_env(up: &Upstream, token: &str) -> Vec<(String, String)> {
    with_credentials(up, &[("LEADGENIUS_ACCESS_TOKEN", token)])
}

/// The login and the API key: what `--sandbox` configures.
fn all_env(up: &Upstream) -> Vec<(String, String)> {
    with_credentials(up, &[LOGIN, API_KEY_PAIR].concat())
}

async fn leadgenius(env: &[(String, String)], human: Human, era: Era) -> (Client, TestClient) {
    stdio_as(ARGS, env, human, era).await
}

fn is_login(r: &Recorded) -> bool {
    r.method == "POST" && r.path == "/api/auth"
}

/// The login request: the configured email and password, no credentials.
fn login(email: &str) -> Req {
    post("/api/auth")
        .body(json!({"username": email, "password": PASSWORD}))
        .header("authorization", Header::Absent)
}

fn assert_login(r: &Recorded, email: &str) {
    vendor().assert_request(r, &login(email));
}

/// The API-key credentials instead of the JWT.
fn api_key_headers() -> [(&'static str, Header); 3] {
    [
        ("authorization", Header::Absent),
        ("x-api-key", is(API_KEY)),
        ("x-user-id", is(USER_ID)),
    ]
}

/// `req`, sent with the API key instead of the JWT.
fn keyed(req: Req) -> Req {
    api_key_headers()
        .into_iter()
        .fold(req, |req, (name, value)| req.header(name, value))
}

/// LeadGenius with both the login and the API key, as `--sandbox` configures
/// it: every request carries the login's JWT unless it says otherwise.
fn vendor() -> Vendor {
    Vendor {
        human: Human::Accepts,
        headers: vec![
            ("authorization", is("${jwt}")),
            ("x-api-key", Header::Absent),
            ("x-user-id", Header::Absent),
        ],
        extra_headers: &["x-api-key", "x-user-id"],
        request_id: RequestId::VendorOrSent,
        every_result: |r| assert_eq!(structured(r)["success"], true, "{}", text(r)),
        ..Vendor::new("leadgenius", all_env, 46, cases)
    }
}

crate::every_tool_tests!(vendor);

/// A call whose arguments are the request body.
fn write(tool: &'static str, req: Req, body: Value) -> Case {
    Case::call(tool, body.clone()).sends(req.body(body))
}

/// A call whose `body` argument is the request body.
fn write_body(tool: &'static str, req: Req, body: Value) -> Case {
    Case::call(tool, json!({ "body": body })).sends(req.body(body))
}

/// A call without arguments: a GET.
fn read(tool: impl Into<String>, path: &str) -> Case {
    Case::call(tool, json!({})).sends(get(path))
}

fn cases() -> Vec<Case> {
    let mut cases = vec![
        // Clients. The first call logs in; that one login serves every call.
        Case::call("leadgenius_list_clients", json!({}))
            .sends(login(EMAIL))
            .sends(get("/api/clients").new_bearer(TOKEN_PREFIX, "jwt"))
            .check(|r| {
                assert_eq!(r["clients"][0]["id"], CLIENT_A_ID);
                assert_eq!(r["clients"][0]["client_id"], CLIENT_A);
            }),
        Case::call("leadgenius_get_client", json!({"clientId": CLIENT_A_ID}))
            .sends(get("/api/clients").query(format!("clientId={CLIENT_A_ID}")))
            .check(|r| assert_eq!(r["client"]["clientName"], "Example Client A")),
        write(
            "leadgenius_create_client",
            post("/api/clients"),
            json!({"clientName": "Example Client C", "companyURL": "https://client-c.example.com", "description": "Enterprise client for B2B leads"}),
        )
        .saves("new_client", "/client/id")
        .check(|r| assert_ne!(r["client"]["client_id"], r["client"]["id"])),
        write(
            "leadgenius_update_client",
            put("/api/clients"),
            json!({"id": CLIENT_B_ID, "clientName": "Example Client B (renamed)"}),
        ),
        // Leads: single and batch.
        Case::call(
            "leadgenius_list_leads",
            json!({"client_id": CLIENT_A, "limit": 2}),
        )
        .sends(get("/api/leads").query(format!("client_id={CLIENT_A}&limit=2")))
        .check(|r| {
            assert_eq!(r["leads"].as_array().unwrap().len(), 2);
            assert_eq!(r["next_page"], json!({"nextToken": "lgs_nt_2"}));
            assert_privacy(r, &["LinkedIn profile URLs"]);
        }),
        write(
            "leadgenius_create_lead",
            post("/api/leads"),
            json!({
                "client_id": CLIENT_A, "firstName": "Jane", "lastName": "Doe", "email": "jane.doe@example.com",
                "companyName": "Example Corp", "companyDomain": "example.com", "title": "VP Engineering",
                "linkedinUrl": "https://www.linkedin.com/in/example-jane-doe"
            }),
        )
        .check(|r| {
            assert_eq!(r["lead"]["email"], "jane.doe@example.com");
            assert_privacy(r, &["email"]);
        }),
        write(
            "leadgenius_create_lead_batch",
            post("/api/leads"),
            json!({"leads": [
                {"client_id": CLIENT_A, "firstName": "Bob", "lastName": "Wilson", "email": "bob@example.com", "companyName": "BatchCorp", "title": "VP Sales"},
                {"client_id": CLIENT_A, "firstName": "Jane", "lastName": "Doe", "email": "jane.doe@example.com"}
            ]}),
        )
        .check(|r| {
            assert_eq!(r["created"], 1);
            assert_eq!(r["skipped"][0]["index"], 1);
            assert_eq!(r["skipped"][0]["reason"], "already_exists");
        }),
        write(
            "leadgenius_update_lead",
            put("/api/leads"),
            json!({"id": lead_id(1), "title": "Senior VP Engineering", "notes": "Updated via API"}),
        )
        .check(|r| assert_eq!(r["lead"]["notes"], "Updated via API")),
        write(
            "leadgenius_update_lead_batch",
            put("/api/leads"),
            json!({"leads": [
                {"id": lead_id(2), "notes": "Updated lead 2"},
                {"id": "1ead0000-0000-4000-8000-999999999999", "notes": "No such lead"}
            ]}),
        )
        .check(|r| {
            assert_eq!(r["updated"], 1);
            assert_eq!(r["skipped"][0]["reason"], "not_found");
        }),
        Case::call("leadgenius_delete_lead", json!({"id": lead_id(5)}))
            .sends(delete("/api/leads").query(format!("id={}", lead_id(5)))),
        Case::call(
            "leadgenius_delete_lead_batch",
            json!({"ids": [lead_id(3), lead_id(4)]}),
        )
        .sends(delete("/api/leads").body(json!({"ids": [lead_id(3), lead_id(4)]})))
        .asks(&["Leads deleted: 2".to_string(), lead_id(3), lead_id(4)])
        .check(|r| assert_eq!(r["deleted"], 2)),
        // Bulk extraction, with the API key.
        Case::call(
            "leadgenius_list_enrich_leads",
            json!({"companyId": COMPANY_ID, "clientId": CLIENT_A, "limit": 2, "fields": "id,email"}),
        )
        .sends(keyed(get("/api/enrich-leads/list").query(format!(
            "companyId={COMPANY_ID}&clientId={CLIENT_A}&limit=2&fields=id%2Cemail"
        ))))
        .check(|r| {
            let items = r["items"].as_array().unwrap();
            assert_eq!(items.len(), 2);
            for item in items {
                let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
                assert_eq!(keys, ["email", "id"], "the projection");
            }
            assert_eq!(r["next_page"], json!({"nextToken": "lgs_bt_2"}));
        }),
        Case::call(
            "leadgenius_list_source_leads",
            json!({"companyId": COMPANY_ID}),
        )
        .sends(keyed(
            get("/api/source-leads/list").query(format!("companyId={COMPANY_ID}")),
        ))
        .check(|r| {
            assert_eq!(r["items"].as_array().unwrap().len(), 4);
            assert!(r.get("next_page").is_none());
        }),
        // Company.
        write_body(
            "leadgenius_create_company",
            post("/api/company"),
            json!({"name": "Example Agency", "website": "https://agency.example.com"}),
        ),
        read("leadgenius_get_company", "/api/company")
            .check(|r| assert_eq!(r["company"]["company_id"], COMPANY_ID)),
        write_body(
            "leadgenius_update_company",
            put("/api/company"),
            json!({"website": "https://www.agency.example.com"}),
        ),
        // Search history.
        write(
            "leadgenius_create_search_history",
            post("/api/search-history"),
            json!({
                "searchName": "Tech Companies in SF", "searchDescription": "Looking for SaaS companies",
                "searchCriteria": {"industry": "Technology", "location": "San Francisco"},
                "searchFilters": {"companySize": "50-200"}, "client_id": CLIENT_A, "clientName": "Example Client A",
                "icpId": "icp-456", "icpName": "Enterprise SaaS", "apifyActorId": "actor-789",
                "category": "prospecting", "tags": ["enterprise", "saas"]
            }),
        )
        .saves("search", "/searchHistory/id"),
        Case::call(
            "leadgenius_list_search_history",
            json!({"client_id": CLIENT_A, "limit": 1}),
        )
        .sends(get("/api/search-history").query(format!("client_id={CLIENT_A}&limit=1")))
        .check(|r| {
            assert_eq!(
                r["next_page"],
                json!({"cursor": "lgs_sc_1"}),
                "the cursor goes to `cursor`"
            )
        }),
        write_body(
            "leadgenius_update_search_history",
            put("/api/search-history"),
            json!({"id": "${search}", "status": "running"}),
        ),
        // Webhooks.
        read("leadgenius_list_webhooks", "/api/webhook-workbench")
            .check(|r| assert_eq!(r["webhooks"].as_array().unwrap().len(), 1)),
        write(
            "leadgenius_create_webhook",
            post("/api/webhook-workbench"),
            json!({"name": "My Webhook", "platform": "heyreach", "description": "Webhook for lead capture", "platformConfig": "{\"field_mapping\": {}}", "client_id": CLIENT_A}),
        )
        .check(|r| {
            assert!(
                r["webhook"]["webhookUrl"]
                    .as_str()
                    .unwrap()
                    .starts_with("https://hooks.example.com/")
            )
        }),
        // Territory.
        Case::call(
            "leadgenius_list_territory_companies",
            json!({"client_id": CLIENT_A, "sortBy": "leadCount", "sortDirection": "desc", "minLeads": 1}),
        )
        .sends(get("/api/territory-workbench/companies").query(format!(
            "client_id={CLIENT_A}&minLeads=1&sortBy=leadCount&sortDirection=desc"
        )))
        .check(|r| {
            assert_eq!(r["companies"][0]["companyName"], "Example Corp");
            assert_eq!(r["companies"][0]["leadCount"], 3);
        }),
        write_body(
            "leadgenius_upsert_territory_company",
            post("/api/territory-workbench/companies"),
            json!({"client_id": CLIENT_A, "companyName": "Example Corp", "industry": "Technology"}),
        ),
    ];

    // Settings: the sandbox company comes configured, so the first read of
    // each of the three answers; creating them again is the vendor's 409;
    // an update adds to them.
    for (kind, path, seeded, update) in [
        (
            "url",
            "/api/settings/url",
            json!({"companyUrl": "https://enrich.example.com/company", "companyUrl_Apikey": "sk_example_company", "enrichment1": "https://enrich.example.com/e1", "enrichment1_Apikey": "sk_example_e1"}),
            json!({"enrichment3": "https://enrich.example.com/e3", "enrichment3_Apikey": "sk_example_e3"}),
        ),
        (
            "agent",
            "/api/settings/agent",
            json!({"projectId": "project-example", "enrichment1AgentId": "agent-example-1"}),
            json!({"enrichment3AgentId": "agent-example-3"}),
        ),
        (
            "sdr_ai",
            "/api/settings/sdr-ai",
            json!({"projectId": "project-example", "message1AgentId": "agent-example-m1"}),
            json!({"aiLeadScoreAgentId": "agent-example-score-2"}),
        ),
    ] {
        let tool = |verb: &str| format!("leadgenius_{verb}_{kind}_settings");
        let holds = |settings: Vec<Value>| {
            move |r: &Value| {
                for part in &settings {
                    for (k, v) in part.as_object().unwrap() {
                        assert_eq!(&r["settings"][k], v, "{kind}");
                    }
                }
            }
        };
        cases.extend([
            read(tool("get"), path).check(holds(vec![seeded.clone()])),
            Case::call(tool("create"), json!({"settings": seeded}))
                .sends(post(path).body(seeded.clone()))
                .fails()
                .check(move |r| {
                    assert_eq!(r["error"]["status"], 409, "{kind}: {r}");
                    assert_eq!(r["error"]["code"], "already_exists", "{kind}: {r}");
                }),
            Case::call(tool("update"), json!({"settings": update}))
                .sends(put(path).body(update.clone())),
            read(tool("get"), path).check(holds(vec![seeded, update])),
        ]);
    }

    cases.extend([
        // Processing, tracked to completion.
        write(
            "leadgenius_process_lead_enrichment",
            post("/api/leads/process/enrich"),
            json!({"leadId": lead_id(1), "services": ["companyUrl", "enrichment1", "enrichment3", "enrichment5"], "overwrite": false}),
        )
        .saves("run", "/runIds/0")
        .check(|r| {
            assert_eq!(
                r["triggered"],
                json!(["companyUrl", "enrichment1", "enrichment3"])
            );
            assert_eq!(r["skipped"], json!(["enrichment5"]));
            assert_eq!(r["leadId"], lead_id(1));
        }),
        write(
            "leadgenius_process_lead_copyright",
            post("/api/leads/process/copyright"),
            json!({"leadId": lead_id(1), "processes": [1, 2]}),
        )
        .check(|r| {
            assert_eq!(
                (r["triggered"].clone(), r["skipped"].clone()),
                (json!(["1"]), json!(["2"]))
            )
        }),
        write(
            "leadgenius_process_lead_sdr",
            post("/api/leads/process/sdr"),
            json!({"leadId": lead_id(1), "fields": ["message1", "aiLeadScore", "aiQualification"], "overwrite": true}),
        )
        .check(|r| assert_eq!(r["triggered"], json!(["message1", "aiLeadScore"]))),
    ]);
    for status in ["EXECUTING", "COMPLETED"] {
        cases.push(
            Case::call("leadgenius_get_task_status", json!({"runId": "${run}"}))
                .sends(get("/api/trigger-task-status").query("runId=${run}"))
                .check(move |r| assert_eq!(r["status"], status)),
        );
    }
    cases.extend([
        // Background tasks.
        write_body(
            "leadgenius_submit_task",
            post("/api/trigger"),
            json!({"task": "refresh-territory", "payload": {"client_id": CLIENT_A}}),
        )
        .check(|r| assert!(r["runId"].as_str().unwrap().starts_with("run_"))),
        Case::call("leadgenius_list_recent_runs", json!({"limit": 5}))
            .sends(get("/api/trigger-recent-runs").query("limit=5"))
            .check(|r| {
                assert_eq!(r["runs"].as_array().unwrap().len(), 5);
                assert_eq!(r["runs"][0]["taskIdentifier"], "refresh-territory");
            }),
        // Email.
        write_body(
            "leadgenius_validate_email",
            post("/api/email-validate"),
            json!({"email": "jane.doe@example.com"}),
        )
        .check(|r| {
            assert_eq!(r["valid"], true);
            assert_privacy(r, &["email address"]);
        }),
        write_body(
            "leadgenius_verify_email",
            post("/api/email-verify"),
            json!({"email": "jane.doe@example.com"}),
        )
        .check(|r| assert_eq!(r["result"], "deliverable")),
        // Integrations.
        write_body(
            "leadgenius_start_lead_scrape",
            post("/api/start-lead-scrape-complete"),
            json!({"searchName": "Tech Companies in SF", "actorId": "actor-789"}),
        )
        .saves("scrape", "/runId"),
        Case::call(
            "leadgenius_get_lead_scrape_status",
            json!({"runId": "${scrape}"}),
        )
        .sends(get("/api/lead-generation-status").query("runId=${scrape}"))
        .check(|r| assert_eq!(r["status"], "RUNNING")),
        write_body(
            "leadgenius_chat_epsimo_ai",
            post("/api/epsimo-chat"),
            json!({"message": "Summarise Example Corp."}),
        )
        .check(|r| assert!(r["reply"].as_str().unwrap().contains("23 characters"))),
        read("leadgenius_list_unipile_accounts", "/api/unipile-accounts").check(|r| {
            assert_eq!(r["accounts"].as_array().unwrap().len(), 2);
            assert_privacy(r, &["messaging accounts"]);
        }),
        // Deleting a client, and purging one with its leads (confirmed).
        Case::call("leadgenius_delete_client", json!({"id": "${new_client}"}))
            .sends(delete("/api/clients").query("id=${new_client}")),
        Case::call("leadgenius_purge_client", json!({"id": CLIENT_B_ID}))
            .reads(get("/api/clients").query(format!("clientId={CLIENT_B_ID}")))
            .reads(get("/api/leads").query(format!("client_id={CLIENT_B}&limit=1000")))
            .sends(delete("/api/clients").query(format!("id={CLIENT_B_ID}&purge=true")))
            .asks(&[
                "Example Client B (renamed)".to_string(),
                CLIENT_B.to_string(),
                format!("Leads deleted with it: {CLIENT_B_LEADS}."),
                "purge=true".to_string(),
            ])
            .check(|r| assert_eq!(r["deleted"]["leads"], CLIENT_B_LEADS)),
    ]);
    cases
}

// ---------------------------------------------------------------------------
// Auth modes

fn bearers(requests: &[Recorded]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| !is_login(r))
        .map(|r| r.header("authorization").unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn one_login_serves_many_calls_and_concurrent_ones() {
    let up = Upstream::start().await;
    let (client, _) = leadgenius(&login_env(&up), Human::CannotElicit, Era::Handshake).await;
    for tool in [
        "leadgenius_list_clients",
        "leadgenius_list_webhooks",
        "leadgenius_list_unipile_accounts",
    ] {
        for _ in 0..2 {
            let r = call(&client, tool, json!({})).await;
            assert!(!is_error(&r), "{}", text(&r));
        }
    }
    let requests = up.requests();
    assert_eq!(requests.iter().filter(|r| is_login(r)).count(), 1);
    assert_login(&requests[0], EMAIL);
    let tokens: BTreeSet<String> = bearers(&requests).into_iter().collect();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    client.cancel().await.unwrap();

    // A fresh server, and many calls at once: still one login.
    let (client, _) = leadgenius(&login_env(&up), Human::CannotElicit, Era::Handshake).await;
    let tools = ["leadgenius_list_clients", "leadgenius_get_company"];
    let results = calls_at_once(&client, &tools, 8).await;
    assert_eq!(results.len(), 8);
    let requests = up.requests();
    assert_eq!(
        requests.iter().filter(|r| is_login(r)).count(),
        1,
        "{requests:#?}"
    );
    assert_eq!(requests.len(), 9);
    let tokens: BTreeSet<String> = bearers(&requests).into_iter().collect();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires() {
    // This user's tokens last less than the renewal margin: each call logs
    // in again before the vendor could ever answer token_expired.
    let up = Upstream::start().await;
    let env = with_credentials(
        &up,
        &[
            ("LEADGENIUS_EMAIL", SHORT_LIVED_EMAIL),
            ("LEADGENIUS_PASSWORD", PASSWORD),
        ],
    );
    let (client, _) = leadgenius(&env, Human::CannotElicit, Era::Handshake).await;
    for _ in 0..3 {
        let r = call(&client, "leadgenius_list_clients", json!({})).await;
        assert!(!is_error(&r), "{}", text(&r));
    }
    let requests = up.requests();
    let logins: Vec<&Recorded> = requests.iter().filter(|r| is_login(r)).collect();
    assert_eq!(logins.len(), 3);
    for login in logins {
        assert_login(login, SHORT_LIVED_EMAIL);
    }
    let tokens: BTreeSet<String> = bearers(&requests).into_iter().collect();
    assert_eq!(tokens.len(), 3, "a new token each time");
    client.cancel().await.unwrap();
}

fn token_expired(path: &str, times: usize) -> Fault {
    let body = json!({"success": false, "error": "Token expired", "errorType": "token_expired", "details": "The access token has expired.", "recommendation": "Get a new token with POST /api/auth."});
    vendor_fault("leadgenius", "GET", path, 401, body, &[], times)
}

#[tokio::test]
async fn a_token_expired_401_logs_in_again_once() {
    let up = Upstream::start().await;
    let (client, _) = leadgenius(&login_env(&up), Human::CannotElicit, Era::Handshake).await;
    assert!(!is_error(
        &call(&client, "leadgenius_list_clients", json!({})).await
    ));
    let first = bearers(&up.requests());

    up.sandbox.inject(token_expired("/api/clients", 1));
    let r = call(&client, "leadgenius_list_clients", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    let requests = up.requests();
    let shape: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        shape,
        [
            ("GET", "/api/clients"),
            ("POST", "/api/auth"),
            ("GET", "/api/clients")
        ]
    );
    assert_eq!(requests[0].header("authorization"), Some(first[0].as_str()));
    assert_ne!(requests[2].header("authorization"), Some(first[0].as_str()));

    // Rejected again after the renewal: reported, not retried forever.
    up.sandbox.inject(token_expired("/api/clients", 2));
    let r = call(&client, "leadgenius_list_clients", json!({})).await;
    assert!(is_error(&r));
    assert_eq!(structured(&r)["error"]["code"], "token_expired");
    assert!(text(&r).contains("expired"), "{}", text(&r));
    assert_eq!(up.requests().len(), 3, "one renewal only");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_access_token_is_used_as_given() {
    let up = Upstream::start().await;
    let (client, _) = leadgenius(
        &token_env(&up, ACCESS_TOKEN),
        Human::CannotElicit,
        Era::Handshake,
    )
    .await;
    let r = call(
        &client,
        "leadgenius_get_client",
        json!({"clientId": CLIENT_A_ID}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    let req = up.only_request();
    vendor().assert_headers(&req, &[bearer(ACCESS_TOKEN)]);
    // Tools that take either credential use it too.
    let r = call(&client, "leadgenius_list_webhooks", json!({})).await;
    assert!(!is_error(&r));
    vendor().assert_headers(&up.only_request(), &[bearer(ACCESS_TOKEN)]);
    client.cancel().await.unwrap();

    // An expired token: the vendor's 401 token_expired, no login, no retry.
    let (client, _) = leadgenius(
        &token_env(&up, EXPIRED_TOKEN),
        Human::CannotElicit,
        Era::Handshake,
    )
    .await;
    let r = call(&client, "leadgenius_list_clients", json!({})).await;
    vendor_error(&r, 401, "token_expired");
    let t = text(&r);
    assert!(
        t.contains("LEADGENIUS_ACCESS_TOKEN must be replaced by the operator"),
        "{t}"
    );
    assert!(!t.contains(EXPIRED_TOKEN));
    assert_eq!(
        up.only_request().header("authorization"),
        Some(format!("Bearer {EXPIRED_TOKEN}").as_str())
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn api_key_mode_sends_the_key_headers_and_refuses_jwt_only_tools() {
    let up = Upstream::start().await;
    let (client, test_client) = leadgenius(&api_key_env(&up), Human::Accepts, Era::Handshake).await;
    for (tool, args, path) in [
        (
            "leadgenius_list_webhooks",
            json!({}),
            "/api/webhook-workbench",
        ),
        (
            "leadgenius_list_enrich_leads",
            json!({"companyId": COMPANY_ID}),
            "/api/enrich-leads/list",
        ),
        (
            "leadgenius_create_search_history",
            json!({"searchName": "Example"}),
            "/api/search-history",
        ),
        (
            "leadgenius_list_recent_runs",
            json!({}),
            "/api/trigger-recent-runs",
        ),
    ] {
        let r = call(&client, tool, args).await;
        assert!(!is_error(&r), "{tool}: {}", text(&r));
        let req = up.only_request();
        assert_eq!(req.path, path);
        vendor().assert_headers(&req, &api_key_headers());
    }
    // Routes the reference gives to JWT only: refused, nothing sent, nobody asked.
    for (tool, args) in [
        ("leadgenius_list_clients", json!({})),
        ("leadgenius_list_search_history", json!({})),
        ("leadgenius_purge_client", json!({"id": CLIENT_A_ID})),
        // Refused before the human is asked, not after they said yes.
        ("leadgenius_delete_lead_batch", json!({"ids": [lead_id(1)]})),
    ] {
        let r = call(&client, tool, args).await;
        assert!(is_error(&r), "{tool}");
        let s = structured(&r);
        assert_eq!(s["error"]["code"], "missing_credentials");
        assert_eq!(s["error"]["sent"], false);
        let t = text(&r);
        assert!(
            t.contains("a Bearer JWT")
                && t.contains("LEADGENIUS_EMAIL")
                && t.contains("LEADGENIUS_ACCESS_TOKEN"),
            "{t}"
        );
    }
    assert!(up.requests().is_empty());
    assert!(test_client.asked().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn bulk_extraction_needs_the_api_key_and_sends_nothing_without_it() {
    let up = Upstream::start().await;
    for env in [login_env(&up), token_env(&up, ACCESS_TOKEN)] {
        let (client, _) = leadgenius(&env, Human::CannotElicit, Era::Handshake).await;
        for tool in [
            "leadgenius_list_enrich_leads",
            "leadgenius_list_source_leads",
        ] {
            let r = call(&client, tool, json!({"companyId": COMPANY_ID})).await;
            assert!(is_error(&r), "{tool}");
            let s = structured(&r);
            assert_eq!(s["error"]["code"], "missing_credentials");
            let t = text(&r);
            assert!(
                t.contains("API-key credentials")
                    && t.contains("LEADGENIUS_API_KEY")
                    && t.contains("LEADGENIUS_USER_ID"),
                "{t}"
            );
        }
        assert!(up.requests().is_empty(), "not even a login");
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn passwords_tokens_and_keys_never_appear_in_logs_or_results() {
    let up = Upstream::start().await;
    let wrong = "Wrong-Password-DO-NOT-LEAK-42";
    let mut results = Vec::new();
    let mut tokens = Vec::new();
    for env in [
        all_env(&up),
        with_credentials(
            &up,
            &[("LEADGENIUS_EMAIL", EMAIL), ("LEADGENIUS_PASSWORD", wrong)],
        ),
        token_env(&up, EXPIRED_TOKEN),
    ] {
        let (client, stderr) = stdio_traced(ARGS, &env, Human::CannotElicit).await;
        for (tool, args) in [
            ("leadgenius_list_clients", json!({})),
            (
                "leadgenius_list_enrich_leads",
                json!({"companyId": COMPANY_ID}),
            ),
            (
                "leadgenius_create_lead",
                json!({"client_id": "no-such-client"}),
            ),
        ] {
            results.push(serde_json::to_string(&call(&client, tool, args).await).unwrap());
        }
        client.cancel().await.unwrap();
        tokens.extend(
            bearers(&up.requests())
                .into_iter()
                .filter(|b| !b.is_empty()),
        );
        let mut secrets = vec![PASSWORD, wrong, API_KEY, EXPIRED_TOKEN];
        secrets.extend(tokens.iter().map(|t| t.trim_start_matches("Bearer ")));
        assert_traced_without(&read_log(stderr).await, &secrets);
    }
    let joined = results.join("\n");
    // (The user id is the records' `owner` too, so results may show it.)
    for secret in [PASSWORD, wrong, API_KEY, EXPIRED_TOKEN] {
        assert!(!joined.contains(secret), "{secret} leaked into a result");
    }
    assert!(tokens.len() >= 2);
    for token in &tokens {
        assert!(!joined.contains(token.trim_start_matches("Bearer ")));
    }
    // The wrong password: the login failed, naming the variables.
    assert!(
        joined.contains("login_failed") && joined.contains("LEADGENIUS_PASSWORD"),
        "{joined}"
    );
}

// ---------------------------------------------------------------------------
// Cursor pagination

/// Calls `tool` from the first page to the last, passing each result's
/// next_page back; returns every item and the cursors sent.
async fn every_page(
    client: &Client,
    tool: &str,
    args: Value,
    items: &str,
) -> (Vec<Value>, Vec<Option<String>>) {
    let mut all = Vec::new();
    let mut sent = Vec::new();
    let mut args = args;
    for _ in 0..20 {
        let r = call(client, tool, args.clone()).await;
        assert!(!is_error(&r), "{}", text(&r));
        let s = structured(&r);
        all.extend(s[items].as_array().unwrap().iter().cloned());
        sent.push(
            args.get("nextToken")
                .and_then(Value::as_str)
                .map(str::to_string),
        );
        match s.get("next_page") {
            Some(Value::Object(next)) => {
                assert!(
                    text(&r).contains("again with the same arguments and nextToken=\""),
                    "{}",
                    text(&r)
                );
                for (k, v) in next {
                    args[k] = v.clone();
                }
            }
            _ => return (all, sent),
        }
    }
    panic!("more than 20 pages");
}

#[tokio::test]
async fn cursor_pagination_follows_next_token_to_the_end() {
    let up = Upstream::start().await;
    let (client, _) = leadgenius(&all_env(&up), Human::CannotElicit, Era::Handshake).await;
    let (leads, sent) = every_page(
        &client,
        "leadgenius_list_leads",
        json!({"client_id": CLIENT_A, "limit": 2}),
        "leads",
    )
    .await;
    let ids: BTreeSet<String> = leads
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = (1..=CLIENT_A_LEADS as u64).map(lead_id).collect();
    assert_eq!(ids, expected);
    assert_eq!(
        sent,
        [None, Some("lgs_nt_2".into()), Some("lgs_nt_4".into())]
    );
    let queries: Vec<String> = up
        .requests()
        .into_iter()
        .filter(|r| !is_login(r))
        .map(|r| r.query.unwrap())
        .collect();
    assert_eq!(
        queries,
        [
            format!("client_id={CLIENT_A}&limit=2"),
            format!("client_id={CLIENT_A}&nextToken=lgs_nt_2&limit=2"),
            format!("client_id={CLIENT_A}&nextToken=lgs_nt_4&limit=2"),
        ]
    );

    // The bulk list pages the same way, with the API key.
    let (items, sent) = every_page(
        &client,
        "leadgenius_list_enrich_leads",
        json!({"companyId": COMPANY_ID, "limit": 3, "fields": "id"}),
        "items",
    )
    .await;
    assert_eq!(items.len(), CLIENT_A_LEADS + CLIENT_B_LEADS);
    assert_eq!(sent.len(), 3);
    for r in up.requests() {
        vendor().assert_headers(&r, &api_key_headers());
    }
    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------
// Confirmations

fn deletes(requests: &[Recorded]) -> Vec<&Recorded> {
    requests.iter().filter(|r| r.method == "DELETE").collect()
}

#[tokio::test]
async fn purging_a_client_needs_the_humans_yes() {
    for era in [Era::Handshake, Era::Modern] {
        let up = Upstream::start().await;
        // The human who accepts comes last: the purge removes Client A.
        let humans = [
            Human::Declines,
            Human::Unticks,
            Human::CannotElicit,
            Human::Accepts,
        ];
        let purge = async |client: &Client, test_client: &TestClient, human| {
            let r = call(
                client,
                "leadgenius_purge_client",
                json!({"id": CLIENT_A_ID}),
            )
            .await;
            let requests: Vec<Recorded> =
                up.requests().into_iter().filter(|r| !is_login(r)).collect();
            // Before anyone is asked: the reads that show what goes; a
            // client that can't ask anyone is refused before any of them.
            let reads: Vec<&Recorded> = requests.iter().filter(|r| r.method == "GET").collect();
            assert_eq!(reads.is_empty(), human == Human::CannotElicit, "{reads:?}");
            for read in reads {
                assert!(
                    (read.path == "/api/clients"
                        && read.query == Some(format!("clientId={CLIENT_A_ID}")))
                        || (read.path == "/api/leads"
                            && read.query == Some(format!("client_id={CLIENT_A}&limit=1000"))),
                    "{read:?}"
                );
            }
            let deleted = deletes(&requests);
            if human == Human::Accepts {
                assert!(!is_error(&r), "{era:?}: {}", text(&r));
                assert_eq!(deleted.len(), 1);
                assert_eq!(deleted[0].path, "/api/clients");
                assert_eq!(
                    deleted[0].query,
                    Some(format!("id={CLIENT_A_ID}&purge=true"))
                );
                assert_eq!(deleted[0].body, None);
                assert_eq!(structured(&r)["deleted"]["leads"], CLIENT_A_LEADS);
            } else {
                assert_not_confirmed(human, &r, true);
                assert!(deleted.is_empty(), "{era:?} {human:?}: {deleted:?}");
            }
            let asked = test_client.asked();
            if human == Human::CannotElicit {
                assert!(asked.is_empty());
            } else {
                assert_eq!(asked.len(), 1, "{era:?} {human:?}");
                for shown in [
                    "Purge client and its leads",
                    "irreversible",
                    &format!(
                        "Client: Example Client A (record id {CLIENT_A_ID}, client_id {CLIENT_A})."
                    ),
                    &format!("Leads deleted with it: {CLIENT_A_LEADS}."),
                    &format!("/api/clients?id={CLIENT_A_ID}&purge=true"),
                ] {
                    assert!(asked[0].contains(shown), "{shown} not in {}", asked[0]);
                }
            }
        };
        for_each_human(ARGS, &login_env(&up), era, &humans, purge).await;
    }
}

#[tokio::test]
async fn purging_an_unknown_client_asks_nobody_and_deletes_nothing() {
    let up = Upstream::start().await;
    let (client, test_client) = leadgenius(&login_env(&up), Human::Accepts, Era::Handshake).await;
    // The business client_id where the record id belongs.
    let r = call(&client, "leadgenius_purge_client", json!({"id": CLIENT_A})).await;
    assert!(is_error(&r));
    let t = text(&r);
    assert!(
        t.contains("record `id`") && t.contains("leadgenius_list_clients"),
        "{t}"
    );
    assert!(test_client.asked().is_empty());
    let requests: Vec<Recorded> = up.requests().into_iter().filter(|r| !is_login(r)).collect();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].query, Some(format!("clientId={CLIENT_A}")));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn batch_deleting_leads_needs_the_humans_yes() {
    for era in [Era::Handshake, Era::Modern] {
        let up = Upstream::start().await;
        let humans = [Human::Declines, Human::CannotElicit, Human::Accepts];
        let delete = async |client: &Client, test_client: &TestClient, human| {
            let ids = json!([lead_id(1), lead_id(2), lead_id(6)]);
            let r = call(client, "leadgenius_delete_lead_batch", json!({"ids": ids})).await;
            let requests: Vec<Recorded> =
                up.requests().into_iter().filter(|r| !is_login(r)).collect();
            if human == Human::Accepts {
                assert!(!is_error(&r), "{era:?}: {}", text(&r));
                assert_eq!(requests.len(), 1);
                assert_eq!(requests[0].method, "DELETE");
                assert_eq!(requests[0].path, "/api/leads");
                assert_eq!(requests[0].query, None);
                assert_eq!(requests[0].body, Some(json!({"ids": ids})));
                assert_eq!(structured(&r)["deleted"], 3);
            } else {
                assert_not_confirmed(human, &r, true);
                assert!(requests.is_empty(), "{era:?} {human:?}: {requests:?}");
            }
            let asked = test_client.asked();
            if human == Human::CannotElicit {
                assert!(asked.is_empty());
            } else {
                assert_eq!(asked.len(), 1);
                assert!(asked[0].contains("Leads deleted: 3"), "{}", asked[0]);
                for id in [lead_id(1), lead_id(2), lead_id(6)] {
                    assert!(asked[0].contains(&id), "{}", asked[0]);
                }
            }
        };
        for_each_human(ARGS, &login_env(&up), era, &humans, delete).await;
    }
}

// ---------------------------------------------------------------------------
// Results

#[tokio::test]
async fn the_error_envelope_becomes_an_is_error_result() {
    let up = Upstream::start().await;
    let (client, _) = leadgenius(&login_env(&up), Human::CannotElicit, Era::Handshake).await;

    // 404: the business client_id is wrong.
    let r = call(
        &client,
        "leadgenius_create_lead",
        json!({"client_id": CLIENT_A_ID, "firstName": "X"}),
    )
    .await;
    let e = vendor_error(&r, 404, "not_found");
    assert_eq!(e["message"], "Client not found");
    assert_eq!(
        e["details"]["recommendation"],
        "Leads take the client's client_id (not its record id)."
    );
    assert!(
        e["details"]["details"]
            .as_str()
            .unwrap()
            .contains("No Client")
    );
    let t = text(&r);
    assert!(
        t.contains("404 not_found")
            && t.contains("recommendation: Leads take the client's client_id")
            && t.contains("Next: Check the id"),
        "{t}"
    );

    // 400: a missing field, with the vendor's recommendation.
    let r = call(
        &client,
        "leadgenius_validate_email",
        json!({"body": {"address": "jane@example.com"}}),
    )
    .await;
    assert!(is_error(&r));
    let e = &structured(&r)["error"];
    assert_eq!(e["code"], "missing_required_field");
    assert_eq!(e["details"]["recommendation"], "Add email and try again.");

    // success:false on HTTP 200 is a failure too.
    up.requests();
    let body = json!({"success": false, "error": "Insufficient permissions", "errorType": "insufficient_permissions", "details": "Only the owner or an admin may do this.", "recommendation": "Ask the company owner."});
    up.sandbox.inject(vendor_fault(
        "leadgenius",
        "GET",
        "/api/company",
        200,
        body,
        &[],
        1,
    ));
    let r = call(&client, "leadgenius_get_company", json!({})).await;
    vendor_error(&r, 200, "insufficient_permissions");
    assert!(
        text(&r).contains("recommendation: Ask the company owner."),
        "{}",
        text(&r)
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn processing_runs_complete_and_change_the_lead() {
    let up = Upstream::start().await;
    let (client, _) = leadgenius(&login_env(&up), Human::CannotElicit, Era::Handshake).await;
    let ok = |r: &rmcp::model::CallToolResult| assert!(!is_error(r), "{}", text(r));
    // A service the company's URL settings don't configure is skipped.
    let r = call(
        &client,
        "leadgenius_process_lead_enrichment",
        json!({"leadId": lead_id(2), "services": ["enrichment3"]}),
    )
    .await;
    ok(&r);
    assert_eq!(structured(&r)["skipped"], json!(["enrichment3"]));
    assert_eq!(structured(&r)["runIds"], json!([]));
    ok(&call(
        &client,
        "leadgenius_update_url_settings",
        json!({"settings": {"enrichment3": "https://enrich.example.com/e3"}}),
    )
    .await);
    let r = call(
        &client,
        "leadgenius_process_lead_enrichment",
        json!({"leadId": lead_id(2), "services": ["enrichment3"]}),
    )
    .await;
    ok(&r);
    let run = structured(&r)["runIds"][0].as_str().unwrap().to_string();
    let mut polls = 0;
    loop {
        polls += 1;
        let r = call(&client, "leadgenius_get_task_status", json!({"runId": run})).await;
        ok(&r);
        if structured(&r)["status"] == "COMPLETED" {
            assert_eq!(structured(&r)["output"]["field"], "enrichment3");
            break;
        }
        assert!(polls < 5, "the run never completed");
    }
    let r = call(
        &client,
        "leadgenius_list_leads",
        json!({"client_id": CLIENT_A}),
    )
    .await;
    ok(&r);
    let lead = structured(&r)["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == lead_id(2))
        .cloned()
        .unwrap();
    assert!(
        lead["enrichment3"]
            .as_str()
            .unwrap()
            .starts_with("Example enrich result")
    );
    // Processing it again skips what the lead already has.
    let r = call(
        &client,
        "leadgenius_process_lead_enrichment",
        json!({"leadId": lead_id(2), "services": ["enrichment3"]}),
    )
    .await;
    ok(&r);
    assert_eq!(structured(&r)["skipped"], json!(["enrichment3"]));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_enrich_leads_prompt_is_served() {
    let up = Upstream::start().await;
    let (client, _) = leadgenius(&login_env(&up), Human::CannotElicit, Era::Handshake).await;
    let prompts = client.list_all_prompts().await.unwrap();
    assert!(prompts.iter().any(|p| p.name == "leadgenius-enrich-leads"));
    let body = prompt_messages(
        &client,
        "leadgenius-enrich-leads",
        json!({"client_id": CLIENT_A}),
    )
    .await
    .join("\n");
    for expected in [
        CLIENT_A,
        "leadgenius_get_url_settings",
        "leadgenius_process_lead_enrichment",
        "leadgenius_get_task_status",
        "next_page",
    ] {
        assert!(body.contains(expected), "{expected}");
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_settings_read_answers_on_a_fresh_sandbox() {
    let client = stdio(
        &["--sandbox", "--vendors", "leadgenius"],
        &[],
        TestClient::new(Human::CannotElicit),
        Era::Handshake,
    )
    .await;
    let reads: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .filter(|n| n.starts_with("leadgenius_get_") && n.ends_with("_settings"))
        .collect();
    assert_eq!(
        reads,
        [
            "leadgenius_get_url_settings",
            "leadgenius_get_agent_settings",
            "leadgenius_get_sdr_ai_settings"
        ]
    );
    for tool in &reads {
        let r = call(&client, tool, json!({})).await;
        assert!(!is_error(&r), "{tool}: {}", text(&r));
        let s = structured(&r);
        assert_eq!(s["success"], true, "{tool}: {s}");
        assert!(
            s["settings"].as_object().is_some_and(|o| !o.is_empty()),
            "{tool}: {s}"
        );
    }
    client.cancel().await.unwrap();
}
