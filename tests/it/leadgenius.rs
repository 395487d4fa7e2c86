//! Every LeadGenius Pro tool through a real MCP client (rmcp's), over stdio
//! and over Streamable HTTP, asserting the exact requests the sandbox
//! received, with the right credentials in each of the three auth modes;
//! the login's caching and renewal; cursor pagination; the purge and
//! batch-delete confirmations; the `success:false` error envelope.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use crate::common::*;
use leads_mcp_sandbox::leadgenius::{
    ACCESS_TOKEN, API_KEY, CLIENT_A, CLIENT_A_ID, CLIENT_A_LEADS, CLIENT_B, CLIENT_B_ID,
    CLIENT_B_LEADS, COMPANY_ID, EMAIL, EXPIRED_TOKEN, PASSWORD, SHORT_LIVED_EMAIL, TOKEN_PREFIX,
    USER_ID, lead_id,
};
use leads_mcp_sandbox::{Fault, Recorded};
use rmcp::model::GetPromptRequestParams;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

// ---------------------------------------------------------------------------
// Credentials of each mode

fn with(up: &Upstream, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = base_urls(up);
    env.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

fn login_env(up: &Upstream) -> Vec<(String, String)> {
    with(
        up,
        &[
            ("LEADGENIUS_EMAIL", EMAIL),
            ("LEADGENIUS_PASSWORD", PASSWORD),
        ],
    )
}

fn api_key_env(up: &Upstream) -> Vec<(String, String)> {
    with(
        up,
        &[
            ("LEADGENIUS_API_KEY", API_KEY),
            ("LEADGENIUS_USER_ID", USER_ID),
        ],
    )
}

fn token_env(up: &Upstream, token: &str) -> Vec<(String, String)> {
    with(up, &[("LEADGENIUS_ACCESS_TOKEN", token)])
}

/// The login and the API key: what `--sandbox` configures.
fn all_env(up: &Upstream) -> Vec<(String, String)> {
    let mut env = login_env(up);
    env.extend(
        api_key_env(up)
            .into_iter()
            .filter(|(k, _)| !k.ends_with("_BASE_URL")),
    );
    env
}

async fn leadgenius(env: &[(String, String)], human: Human, era: Era) -> (Client, TestClient) {
    let test_client = TestClient::new(human);
    let client = stdio(&["--vendors", "leadgenius"], env, test_client.clone(), era).await;
    (client, test_client)
}

fn is_login(r: &Recorded) -> bool {
    r.method == "POST" && r.path == "/api/auth"
}

/// The login request, exactly: the configured email and password, no credentials.
fn assert_login(r: &Recorded, email: &str) {
    assert!(is_login(r), "{r:?}");
    assert_eq!(r.query, None);
    assert_eq!(
        r.body,
        Some(json!({"username": email, "password": PASSWORD}))
    );
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.header("x-api-key"), None);
    assert_eq!(r.header("content-type"), Some("application/json"));
}

/// Which credentials a request must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    /// `Authorization: Bearer <the login's token>`.
    Jwt,
    /// `x-api-key` + `x-user-id`.
    ApiKey,
}

/// One upstream request a call must produce.
struct Req {
    method: &'static str,
    path: &'static str,
    query: Option<String>,
    body: Option<Value>,
    auth: Auth,
}

fn req(
    method: &'static str,
    path: &'static str,
    query: Option<&str>,
    body: Option<Value>,
    auth: Auth,
) -> Req {
    Req {
        method,
        path,
        query: query.map(str::to_string),
        body,
        auth,
    }
}

fn jwt(method: &'static str, path: &'static str, query: Option<&str>, body: Option<Value>) -> Req {
    req(method, path, query, body, Auth::Jwt)
}

fn keyed(
    method: &'static str,
    path: &'static str,
    query: Option<&str>,
    body: Option<Value>,
) -> Req {
    req(method, path, query, body, Auth::ApiKey)
}

/// The credentials and the other headers of a request, and nothing else.
fn assert_headers(r: &Recorded, auth: Auth, bearer: &str) {
    match auth {
        Auth::Jwt => {
            assert_eq!(r.header("authorization"), Some(bearer), "{r:?}");
            assert_eq!(r.header("x-api-key"), None);
            assert_eq!(r.header("x-user-id"), None);
        }
        Auth::ApiKey => {
            assert_eq!(r.header("x-api-key"), Some(API_KEY), "{r:?}");
            assert_eq!(r.header("x-user-id"), Some(USER_ID));
            assert_eq!(r.header("authorization"), None);
        }
    }
    let id = r.header("x-request-id").unwrap();
    assert!(id.starts_with("lmcp_"), "{id}");
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(
        r.header("content-type").is_some(),
        r.body.is_some(),
        "{r:?}"
    );
    for name in r.headers.keys() {
        assert!(
            [
                "accept",
                "authorization",
                "content-length",
                "content-type",
                "host",
                "user-agent",
                "x-api-key",
                "x-request-id",
                "x-user-id",
            ]
            .contains(&name.as_str()),
            "unexpected header {name} in {r:?}"
        );
    }
}

/// Drives one client through calls, checking each call's upstream requests.
struct Session<'a> {
    client: &'a Client,
    up: &'a Upstream,
    /// The `Authorization` value of the one login.
    bearer: Option<String>,
    logins: usize,
    seen: BTreeSet<String>,
}

impl<'a> Session<'a> {
    fn new(client: &'a Client, up: &'a Upstream) -> Self {
        Self {
            client,
            up,
            bearer: None,
            logins: 0,
            seen: BTreeSet::new(),
        }
    }

    /// Calls `tool`, which must succeed with exactly `expected` upstream.
    async fn step(&mut self, tool: &str, args: Value, expected: &[Req]) -> Value {
        let result = self.exchange(tool, args, expected).await;
        assert!(!is_error(&result), "{tool}: {}", text(&result));
        let s = structured(&result);
        assert_eq!(s["success"], true, "{tool}: {s}");
        assert!(s["request_id"].is_string(), "{tool}");
        s
    }

    /// Calls `tool`, which the vendor must refuse after exactly `expected`
    /// upstream; returns the result's `error`.
    async fn refused(&mut self, tool: &str, args: Value, expected: &[Req]) -> Value {
        let result = self.exchange(tool, args, expected).await;
        assert!(is_error(&result), "{tool}: {}", text(&result));
        structured(&result)["error"].clone()
    }

    /// Calls `tool` and checks that exactly `expected` went upstream.
    async fn exchange(
        &mut self,
        tool: &str,
        args: Value,
        expected: &[Req],
    ) -> rmcp::model::CallToolResult {
        let result = call(self.client, tool, args).await;
        let mut requests = self.up.requests();
        for login in requests.iter().filter(|r| is_login(r)) {
            assert_login(login, EMAIL);
            self.logins += 1;
        }
        requests.retain(|r| !is_login(r));
        assert_eq!(requests.len(), expected.len(), "{tool}: {requests:#?}");
        for (got, want) in requests.iter().zip(expected) {
            assert_eq!(got.vendor, "leadgenius");
            assert_eq!(got.method, want.method, "{tool}");
            assert_eq!(got.path, want.path, "{tool}");
            assert_eq!(got.query, want.query, "{tool}");
            assert_eq!(got.body, want.body, "{tool}");
            if want.auth == Auth::Jwt && self.bearer.is_none() {
                let value = got.header("authorization").unwrap().to_string();
                assert!(
                    value.starts_with(&format!("Bearer {TOKEN_PREFIX}")),
                    "{value}"
                );
                self.bearer = Some(value);
            }
            assert_headers(got, want.auth, self.bearer.as_deref().unwrap_or(""));
        }
        self.seen.insert(tool.to_string());
        result
    }

    /// A call whose arguments are the request body, sent with the JWT.
    async fn write(
        &mut self,
        tool: &str,
        method: &'static str,
        path: &'static str,
        body: Value,
    ) -> Value {
        self.step(tool, body.clone(), &[jwt(method, path, None, Some(body))])
            .await
    }

    /// A call whose `body` argument is the request body, sent with the JWT.
    async fn write_body(
        &mut self,
        tool: &str,
        method: &'static str,
        path: &'static str,
        body: Value,
    ) -> Value {
        let args = json!({ "body": body });
        self.step(tool, args, &[jwt(method, path, None, Some(body))])
            .await
    }

    /// A GET with the JWT and this query.
    async fn get(&mut self, tool: &str, args: Value, path: &'static str, query: &str) -> Value {
        self.step(tool, args, &[jwt("GET", path, Some(query), None)])
            .await
    }

    /// A call without arguments: a GET with the JWT.
    async fn read(&mut self, tool: &str, path: &'static str) -> Value {
        self.step(tool, json!({}), &[jwt("GET", path, None, None)])
            .await
    }
}

fn privacy(s: &Value) -> &str {
    s["privacy_notice"].as_str().unwrap_or("")
}

async fn run_every_tool(client: &Client, test_client: &TestClient, up: &Upstream) {
    let mut s = Session::new(client, up);

    // Clients.
    let r = s.read("leadgenius_list_clients", "/api/clients").await;
    assert_eq!(s.logins, 1, "the first call logs in");
    assert_eq!(r["clients"][0]["id"], CLIENT_A_ID);
    assert_eq!(r["clients"][0]["client_id"], CLIENT_A);
    let r = s
        .get(
            "leadgenius_get_client",
            json!({"clientId": CLIENT_A_ID}),
            "/api/clients",
            &format!("clientId={CLIENT_A_ID}"),
        )
        .await;
    assert_eq!(r["client"]["clientName"], "Example Client A");
    let body = json!({"clientName": "Example Client C", "companyURL": "https://client-c.example.com", "description": "Enterprise client for B2B leads"});
    let r = s
        .write("leadgenius_create_client", "POST", "/api/clients", body)
        .await;
    let new_client = r["client"]["id"].as_str().unwrap().to_string();
    assert_ne!(r["client"]["client_id"], r["client"]["id"]);
    let body = json!({"id": CLIENT_B_ID, "clientName": "Example Client B (renamed)"});
    s.write("leadgenius_update_client", "PUT", "/api/clients", body)
        .await;

    // Leads: single and batch.
    let r = s
        .get(
            "leadgenius_list_leads",
            json!({"client_id": CLIENT_A, "limit": 2}),
            "/api/leads",
            &format!("client_id={CLIENT_A}&limit=2"),
        )
        .await;
    assert_eq!(r["leads"].as_array().unwrap().len(), 2);
    assert_eq!(r["next_page"], json!({"nextToken": "lgs_nt_2"}));
    assert!(privacy(&r).contains("LinkedIn profile URLs"), "{r}");
    let body = json!({
        "client_id": CLIENT_A, "firstName": "Jane", "lastName": "Doe", "email": "jane.doe@example.com",
        "companyName": "Example Corp", "companyDomain": "example.com", "title": "VP Engineering",
        "linkedinUrl": "https://www.linkedin.com/in/example-jane-doe"
    });
    let r = s
        .write("leadgenius_create_lead", "POST", "/api/leads", body)
        .await;
    assert_eq!(r["lead"]["email"], "jane.doe@example.com");
    assert!(privacy(&r).contains("email"));
    let body = json!({"leads": [
        {"client_id": CLIENT_A, "firstName": "Bob", "lastName": "Wilson", "email": "bob@example.com", "companyName": "BatchCorp", "title": "VP Sales"},
        {"client_id": CLIENT_A, "firstName": "Jane", "lastName": "Doe", "email": "jane.doe@example.com"}
    ]});
    let r = s
        .write("leadgenius_create_lead_batch", "POST", "/api/leads", body)
        .await;
    assert_eq!(r["created"], 1);
    assert_eq!(r["skipped"][0]["index"], 1);
    assert_eq!(r["skipped"][0]["reason"], "already_exists");
    let body =
        json!({"id": lead_id(1), "title": "Senior VP Engineering", "notes": "Updated via API"});
    let r = s
        .write("leadgenius_update_lead", "PUT", "/api/leads", body)
        .await;
    assert_eq!(r["lead"]["notes"], "Updated via API");
    let body = json!({"leads": [
        {"id": lead_id(2), "notes": "Updated lead 2"},
        {"id": "1ead0000-0000-4000-8000-999999999999", "notes": "No such lead"}
    ]});
    let r = s
        .write("leadgenius_update_lead_batch", "PUT", "/api/leads", body)
        .await;
    assert_eq!(r["updated"], 1);
    assert_eq!(r["skipped"][0]["reason"], "not_found");
    s.step(
        "leadgenius_delete_lead",
        json!({"id": lead_id(5)}),
        &[jwt(
            "DELETE",
            "/api/leads",
            Some(&format!("id={}", lead_id(5))),
            None,
        )],
    )
    .await;
    let ids = json!([lead_id(3), lead_id(4)]);
    let r = s
        .step(
            "leadgenius_delete_lead_batch",
            json!({"ids": ids}),
            &[jwt("DELETE", "/api/leads", None, Some(json!({"ids": ids})))],
        )
        .await;
    assert_eq!(r["deleted"], 2);
    let asked = test_client.asked();
    let last = asked.last().unwrap();
    assert!(
        last.contains("Leads deleted: 2")
            && last.contains(&lead_id(3))
            && last.contains(&lead_id(4)),
        "{last}"
    );

    // Bulk extraction, with the API key.
    let r = s
        .step(
            "leadgenius_list_enrich_leads",
            json!({"companyId": COMPANY_ID, "clientId": CLIENT_A, "limit": 2, "fields": "id,email"}),
            &[keyed(
                "GET",
                "/api/enrich-leads/list",
                Some(&format!("companyId={COMPANY_ID}&clientId={CLIENT_A}&limit=2&fields=id%2Cemail")),
                None,
            )],
        )
        .await;
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["email", "id"], "the projection");
    }
    assert_eq!(r["next_page"], json!({"nextToken": "lgs_bt_2"}));
    let r = s
        .step(
            "leadgenius_list_source_leads",
            json!({"companyId": COMPANY_ID}),
            &[keyed(
                "GET",
                "/api/source-leads/list",
                Some(&format!("companyId={COMPANY_ID}")),
                None,
            )],
        )
        .await;
    assert_eq!(r["items"].as_array().unwrap().len(), 4);
    assert!(r.get("next_page").is_none());

    // Company.
    let body = json!({"name": "Example Agency", "website": "https://agency.example.com"});
    s.write_body("leadgenius_create_company", "POST", "/api/company", body)
        .await;
    let r = s.read("leadgenius_get_company", "/api/company").await;
    assert_eq!(r["company"]["company_id"], COMPANY_ID);
    let body = json!({"website": "https://www.agency.example.com"});
    s.write_body("leadgenius_update_company", "PUT", "/api/company", body)
        .await;

    // Search history.
    let body = json!({
        "searchName": "Tech Companies in SF", "searchDescription": "Looking for SaaS companies",
        "searchCriteria": {"industry": "Technology", "location": "San Francisco"},
        "searchFilters": {"companySize": "50-200"}, "client_id": CLIENT_A, "clientName": "Example Client A",
        "icpId": "icp-456", "icpName": "Enterprise SaaS", "apifyActorId": "actor-789",
        "category": "prospecting", "tags": ["enterprise", "saas"]
    });
    let r = s
        .write(
            "leadgenius_create_search_history",
            "POST",
            "/api/search-history",
            body,
        )
        .await;
    let search = r["searchHistory"]["id"].as_str().unwrap().to_string();
    let r = s
        .get(
            "leadgenius_list_search_history",
            json!({"client_id": CLIENT_A, "limit": 1}),
            "/api/search-history",
            &format!("client_id={CLIENT_A}&limit=1"),
        )
        .await;
    assert_eq!(
        r["next_page"],
        json!({"cursor": "lgs_sc_1"}),
        "the cursor goes to `cursor`"
    );
    let body = json!({"id": search, "status": "running"});
    s.write_body(
        "leadgenius_update_search_history",
        "PUT",
        "/api/search-history",
        body,
    )
    .await;

    // Webhooks.
    let r = s
        .read("leadgenius_list_webhooks", "/api/webhook-workbench")
        .await;
    assert_eq!(r["webhooks"].as_array().unwrap().len(), 1);
    let body = json!({"name": "My Webhook", "platform": "heyreach", "description": "Webhook for lead capture", "platformConfig": "{\"field_mapping\": {}}", "client_id": CLIENT_A});
    let r = s
        .write(
            "leadgenius_create_webhook",
            "POST",
            "/api/webhook-workbench",
            body,
        )
        .await;
    assert!(
        r["webhook"]["webhookUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://hooks.example.com/")
    );

    // Territory.
    let r = s.get("leadgenius_list_territory_companies", json!({"client_id": CLIENT_A, "sortBy": "leadCount", "sortDirection": "desc", "minLeads": 1}), "/api/territory-workbench/companies", &format!("client_id={CLIENT_A}&minLeads=1&sortBy=leadCount&sortDirection=desc")).await;
    assert_eq!(r["companies"][0]["companyName"], "Example Corp");
    assert_eq!(r["companies"][0]["leadCount"], 3);
    let body =
        json!({"client_id": CLIENT_A, "companyName": "Example Corp", "industry": "Technology"});
    s.step(
        "leadgenius_upsert_territory_company",
        json!({"body": body}),
        &[jwt(
            "POST",
            "/api/territory-workbench/companies",
            None,
            Some(body),
        )],
    )
    .await;

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
        let get = format!("leadgenius_get_{kind}_settings");
        let r = s
            .step(&get, json!({}), &[jwt("GET", path, None, None)])
            .await;
        for (k, v) in seeded.as_object().unwrap() {
            assert_eq!(&r["settings"][k], v, "{kind}");
        }
        let e = s
            .refused(
                &format!("leadgenius_create_{kind}_settings"),
                json!({"settings": seeded}),
                &[jwt("POST", path, None, Some(seeded.clone()))],
            )
            .await;
        assert_eq!(e["status"], 409, "{kind}: {e}");
        assert_eq!(e["code"], "already_exists", "{kind}: {e}");
        s.step(
            &format!("leadgenius_update_{kind}_settings"),
            json!({"settings": update}),
            &[jwt("PUT", path, None, Some(update.clone()))],
        )
        .await;
        let r = s
            .step(&get, json!({}), &[jwt("GET", path, None, None)])
            .await;
        for (k, v) in seeded
            .as_object()
            .unwrap()
            .iter()
            .chain(update.as_object().unwrap())
        {
            assert_eq!(&r["settings"][k], v, "{kind}");
        }
    }

    // Processing, tracked to completion.
    let body = json!({"leadId": lead_id(1), "services": ["companyUrl", "enrichment1", "enrichment3", "enrichment5"], "overwrite": false});
    let r = s
        .write(
            "leadgenius_process_lead_enrichment",
            "POST",
            "/api/leads/process/enrich",
            body,
        )
        .await;
    assert_eq!(
        r["triggered"],
        json!(["companyUrl", "enrichment1", "enrichment3"])
    );
    assert_eq!(r["skipped"], json!(["enrichment5"]));
    assert_eq!(r["leadId"], lead_id(1));
    let run = r["runIds"][0].as_str().unwrap().to_string();
    let body = json!({"leadId": lead_id(1), "processes": [1, 2]});
    let r = s
        .step(
            "leadgenius_process_lead_copyright",
            body.clone(),
            &[jwt(
                "POST",
                "/api/leads/process/copyright",
                None,
                Some(body),
            )],
        )
        .await;
    assert_eq!(
        (r["triggered"].clone(), r["skipped"].clone()),
        (json!(["1"]), json!(["2"]))
    );
    let body = json!({"leadId": lead_id(1), "fields": ["message1", "aiLeadScore", "aiQualification"], "overwrite": true});
    let r = s
        .write(
            "leadgenius_process_lead_sdr",
            "POST",
            "/api/leads/process/sdr",
            body,
        )
        .await;
    assert_eq!(r["triggered"], json!(["message1", "aiLeadScore"]));
    let status_query = format!("runId={run}");
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let r = s
            .get(
                "leadgenius_get_task_status",
                json!({"runId": run}),
                "/api/trigger-task-status",
                &status_query,
            )
            .await;
        statuses.push(r["status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses, ["EXECUTING", "COMPLETED"]);

    // Background tasks.
    let body = json!({"task": "refresh-territory", "payload": {"client_id": CLIENT_A}});
    let r = s
        .write_body("leadgenius_submit_task", "POST", "/api/trigger", body)
        .await;
    assert!(r["runId"].as_str().unwrap().starts_with("run_"));
    let r = s
        .get(
            "leadgenius_list_recent_runs",
            json!({"limit": 5}),
            "/api/trigger-recent-runs",
            "limit=5",
        )
        .await;
    assert_eq!(r["runs"].as_array().unwrap().len(), 5);
    assert_eq!(r["runs"][0]["taskIdentifier"], "refresh-territory");

    // Email.
    let body = json!({"email": "jane.doe@example.com"});
    let r = s
        .write_body(
            "leadgenius_validate_email",
            "POST",
            "/api/email-validate",
            body.clone(),
        )
        .await;
    assert_eq!(r["valid"], true);
    assert!(privacy(&r).contains("email address"));
    let r = s
        .write_body("leadgenius_verify_email", "POST", "/api/email-verify", body)
        .await;
    assert_eq!(r["result"], "deliverable");

    // Integrations.
    let body = json!({"searchName": "Tech Companies in SF", "actorId": "actor-789"});
    let r = s
        .step(
            "leadgenius_start_lead_scrape",
            json!({"body": body}),
            &[jwt(
                "POST",
                "/api/start-lead-scrape-complete",
                None,
                Some(body),
            )],
        )
        .await;
    let scrape = r["runId"].as_str().unwrap().to_string();
    let r = s
        .get(
            "leadgenius_get_lead_scrape_status",
            json!({"runId": scrape}),
            "/api/lead-generation-status",
            &format!("runId={scrape}"),
        )
        .await;
    assert_eq!(r["status"], "RUNNING");
    let body = json!({"message": "Summarise Example Corp."});
    let r = s
        .write_body(
            "leadgenius_chat_epsimo_ai",
            "POST",
            "/api/epsimo-chat",
            body,
        )
        .await;
    assert!(r["reply"].as_str().unwrap().contains("23 characters"));
    let r = s
        .read("leadgenius_list_unipile_accounts", "/api/unipile-accounts")
        .await;
    assert_eq!(r["accounts"].as_array().unwrap().len(), 2);
    assert!(privacy(&r).contains("messaging accounts"));

    // Deleting a client, and purging one with its leads (confirmed).
    s.step(
        "leadgenius_delete_client",
        json!({"id": new_client}),
        &[jwt(
            "DELETE",
            "/api/clients",
            Some(&format!("id={new_client}")),
            None,
        )],
    )
    .await;
    let r = s
        .step(
            "leadgenius_purge_client",
            json!({"id": CLIENT_B_ID}),
            &[
                jwt(
                    "GET",
                    "/api/clients",
                    Some(&format!("clientId={CLIENT_B_ID}")),
                    None,
                ),
                jwt(
                    "GET",
                    "/api/leads",
                    Some(&format!("client_id={CLIENT_B}&limit=1000")),
                    None,
                ),
                jwt(
                    "DELETE",
                    "/api/clients",
                    Some(&format!("id={CLIENT_B_ID}&purge=true")),
                    None,
                ),
            ],
        )
        .await;
    assert_eq!(r["deleted"]["leads"], CLIENT_B_LEADS);
    let asked = test_client.asked();
    let last = asked.last().unwrap();
    assert!(
        last.contains("Example Client B (renamed)")
            && last.contains(CLIENT_B)
            && last.contains(&format!("Leads deleted with it: {CLIENT_B_LEADS}."))
            && last.contains("purge=true"),
        "{last}"
    );
    assert_eq!(asked.len(), 2, "only the purge and the batch delete ask");

    // One login served every call; every served tool was exercised.
    assert_eq!(s.logins, 1);
    let listed: BTreeSet<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(listed, s.seen);
    assert_eq!(listed.len(), 46);
}

#[tokio::test]
async fn every_tool_over_stdio() {
    let up = Upstream::start().await;
    let (client, test_client) = leadgenius(&all_env(&up), Human::Accepts, Era::Handshake).await;
    run_every_tool(&client, &test_client, &up).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_tool_over_streamable_http() {
    let up = Upstream::start().await;
    let server = http_server(&["--vendors", "leadgenius"], &all_env(&up)).await;
    let test_client = TestClient::new(Human::Accepts);
    let client = http_client(&server, test_client.clone(), Era::Handshake).await;
    run_every_tool(&client, &test_client, &up).await;
    client.cancel().await.unwrap();
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
    let calls = (0..8).map(|i| {
        let tool = if i % 2 == 0 {
            "leadgenius_list_clients"
        } else {
            "leadgenius_get_company"
        };
        call(&client, tool, json!({}))
    });
    let results = futures::future::join_all(calls).await;
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
    let env = with(
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
    Fault {
        vendor: "leadgenius".into(),
        method: "GET".into(),
        path: path.into(),
        status: 401,
        headers: vec![],
        body: json!({"success": false, "error": "Token expired", "errorType": "token_expired", "details": "The access token has expired.", "recommendation": "Get a new token with POST /api/auth."}),
        times,
        ..Default::default()
    }
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
    assert_headers(&req, Auth::Jwt, &format!("Bearer {ACCESS_TOKEN}"));
    // Tools that take either credential use it too.
    let r = call(&client, "leadgenius_list_webhooks", json!({})).await;
    assert!(!is_error(&r));
    assert_headers(
        &up.only_request(),
        Auth::Jwt,
        &format!("Bearer {ACCESS_TOKEN}"),
    );
    client.cancel().await.unwrap();

    // An expired token: the vendor's 401 token_expired, no login, no retry.
    let (client, _) = leadgenius(
        &token_env(&up, EXPIRED_TOKEN),
        Human::CannotElicit,
        Era::Handshake,
    )
    .await;
    let r = call(&client, "leadgenius_list_clients", json!({})).await;
    assert!(is_error(&r));
    let s = structured(&r);
    assert_eq!(s["error"]["status"], 401);
    assert_eq!(s["error"]["code"], "token_expired");
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
        assert_headers(&req, Auth::ApiKey, "");
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
        with(
            &up,
            &[("LEADGENIUS_EMAIL", EMAIL), ("LEADGENIUS_PASSWORD", wrong)],
        ),
        token_env(&up, EXPIRED_TOKEN),
    ] {
        let mut env = env;
        env.push(("RUST_LOG".into(), "trace".into()));
        let (client, stderr) = stdio_with(
            &["--vendors", "leadgenius"],
            &env,
            TestClient::new(Human::CannotElicit),
            Era::Handshake,
            true,
        )
        .await;
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
        let mut log = String::new();
        stderr.unwrap().read_to_string(&mut log).await.unwrap();
        assert!(
            log.contains("TRACE") || log.contains("DEBUG"),
            "trace logging was not on"
        );
        for secret in [PASSWORD, wrong, API_KEY, EXPIRED_TOKEN] {
            assert!(!log.contains(secret), "{secret} leaked into stderr");
        }
        for token in &tokens {
            let token = token.trim_start_matches("Bearer ");
            assert!(!log.contains(token), "a token leaked into stderr");
        }
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
        assert_headers(&r, Auth::ApiKey, "");
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
        for human in [
            Human::Declines,
            Human::Unticks,
            Human::CannotElicit,
            Human::Accepts,
        ] {
            let (client, test_client) = leadgenius(&login_env(&up), human, era).await;
            let r = call(
                &client,
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
                assert!(is_error(&r), "{era:?} {human:?}");
                assert!(deleted.is_empty(), "{era:?} {human:?}: {deleted:?}");
                let e = &structured(&r)["error"];
                assert_eq!(e["sent"], false);
                let expected = if human == Human::CannotElicit {
                    "confirmation_unavailable"
                } else {
                    "not_confirmed"
                };
                assert_eq!(e["code"], expected, "{era:?} {human:?}");
            }
            let asked = test_client.asked();
            if human == Human::CannotElicit {
                assert!(asked.is_empty());
                assert!(text(&r).contains("LEADS_MCP_CONFIRM=client"));
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
            client.cancel().await.unwrap();
        }
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
        for human in [Human::Declines, Human::CannotElicit, Human::Accepts] {
            let (client, test_client) = leadgenius(&login_env(&up), human, era).await;
            let ids = json!([lead_id(1), lead_id(2), lead_id(6)]);
            let r = call(&client, "leadgenius_delete_lead_batch", json!({"ids": ids})).await;
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
                assert!(is_error(&r), "{era:?} {human:?}");
                assert!(requests.is_empty(), "{era:?} {human:?}: {requests:?}");
            }
            if human != Human::CannotElicit {
                let asked = test_client.asked();
                assert_eq!(asked.len(), 1);
                assert!(asked[0].contains("Leads deleted: 3"), "{}", asked[0]);
                for id in [lead_id(1), lead_id(2), lead_id(6)] {
                    assert!(asked[0].contains(&id), "{}", asked[0]);
                }
            }
            client.cancel().await.unwrap();
        }
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
    assert!(is_error(&r));
    let e = &structured(&r)["error"];
    assert_eq!(e["status"], 404);
    assert_eq!(e["code"], "not_found");
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
    up.sandbox.inject(Fault {
        vendor: "leadgenius".into(),
        method: "GET".into(),
        path: "/api/company".into(),
        status: 200,
        headers: vec![],
        body: json!({"success": false, "error": "Insufficient permissions", "errorType": "insufficient_permissions", "details": "Only the owner or an admin may do this.", "recommendation": "Ask the company owner."}),
        times: 1,
        ..Default::default()
    });
    let r = call(&client, "leadgenius_get_company", json!({})).await;
    assert!(is_error(&r));
    let e = &structured(&r)["error"];
    assert_eq!(e["status"], 200);
    assert_eq!(e["code"], "insufficient_permissions");
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
    let mut params = GetPromptRequestParams::new("leadgenius-enrich-leads");
    params.arguments = args(json!({"client_id": CLIENT_A}));
    let prompt = client.get_prompt(params).await.unwrap();
    let body = serde_json::to_string(&prompt).unwrap();
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
