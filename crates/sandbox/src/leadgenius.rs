//! The LeadGenius Pro API v1.1 simulation: the login (`POST /auth`) issuing
//! tokens that expire, answering `401 token_expired` once they have; API-key
//! headers; the `{success:false, error, errorType, details, recommendation}`
//! envelope; clients and leads (single and batch bodies on one route, cursor
//! pagination with nextToken); bulk extraction; company; search history;
//! webhooks; territory; settings; processing runs that complete after a
//! while; scrapes; email checks; Epsimo chat; Unipile accounts.
//!
//! Which credentials each route takes follows the reference's Auth columns:
//! clients, leads, company, territory, settings and the search-history list
//! and update take a Bearer JWT; bulk extraction takes only the API key;
//! search-history creation, webhooks and the routes the reference says
//! nothing about take either. All data is anonymized (example.com).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::{Map, Value, json};

use crate::kit::{
    self, BadQuery, CursorPaging, Failure, Param, Problem, Simulation, TokenCheck, Tokens, Vendor,
};

pub const SIMULATION: Simulation = Simulation {
    vendor: "leadgenius",
    base_path: "/api",
    env: |base| {
        vec![
            ("LEADGENIUS_BASE_URL".into(), base.to_string()),
            ("LEADGENIUS_EMAIL".into(), EMAIL.into()),
            ("LEADGENIUS_PASSWORD".into(), PASSWORD.into()),
            ("LEADGENIUS_API_KEY".into(), API_KEY.into()),
            ("LEADGENIUS_USER_ID".into(), USER_ID.into()),
        ]
    },
    router,
};

/// The sandbox user; its tokens last the reference's one hour.
pub const EMAIL: &str = "agent@example.com";
pub const PASSWORD: &str = "sandbox-password-example";
/// A user whose tokens last two minutes: less than the server's renewal
/// margin, so the server logs in again before every call.
pub const SHORT_LIVED_EMAIL: &str = "short-lived@example.com";
/// How long the short-lived user's tokens last.
pub const SHORT_LIFETIME_SECS: u64 = 120;
/// A Bearer token that is valid for the whole sandbox run.
pub const ACCESS_TOKEN: &str = "lgs_static_access_token_example";
/// A Bearer token that has already expired.
pub const EXPIRED_TOKEN: &str = "lgs_expired_access_token_example";
/// Issued tokens start with this.
pub const TOKEN_PREFIX: &str = "lgs_at_";
pub const API_KEY: &str = "lgs_api_key_example";
/// The user's Cognito sub, which `x-user-id` carries.
pub const USER_ID: &str = "4428a4f8-0000-4000-8000-000000000001";
pub const COMPANY_ID: &str = "company-1700000000-example";

/// Client A: record id and business client_id; five leads (1-5).
pub const CLIENT_A_ID: &str = "edd5c738-0000-4000-8000-00000000000a";
pub const CLIENT_A: &str = "5b9cb5db-0000-4000-8000-00000000000a";
/// Client B: two leads (6-7).
pub const CLIENT_B_ID: &str = "edd5c738-0000-4000-8000-00000000000b";
pub const CLIENT_B: &str = "5b9cb5db-0000-4000-8000-00000000000b";
/// The seeded leads of Client A and Client B.
pub const CLIENT_A_LEADS: usize = 5;
pub const CLIENT_B_LEADS: usize = 2;

/// The id of seeded lead `n` (1-based; 1-5 are Client A's, 6-7 Client B's).
pub fn lead_id(n: u64) -> String {
    format!("1ead0000-0000-4000-8000-{n:012}")
}

/// Status checks after which a run has completed (it also completes after
/// [`RUN_SECONDS`]).
pub const RUN_POLLS: u32 = 2;
pub const RUN_SECONDS: u64 = 5;

const LEAD_FIELDS: &[&str] = &[
    "firstName",
    "lastName",
    "email",
    "companyName",
    "companyDomain",
    "title",
    "linkedinUrl",
    "notes",
];
const ENRICH_SERVICES: &[&str] = &[
    "companyUrl",
    "emailFinder",
    "enrichment1",
    "enrichment2",
    "enrichment3",
    "enrichment4",
    "enrichment5",
    "enrichment6",
    "enrichment7",
    "enrichment8",
    "enrichment9",
    "enrichment10",
];
const SEARCH_FIELDS: &[&str] = &[
    "searchName",
    "searchDescription",
    "searchCriteria",
    "searchFilters",
    "client_id",
    "clientName",
    "icpId",
    "icpName",
    "apifyActorId",
    "category",
    "tags",
];
const SEARCH_STATUSES: &[&str] = &["initiated", "running", "completed", "failed"];

fn bad_search_status() -> ApiError {
    invalid(
        "status",
        "status must be initiated, running, completed or failed.",
    )
}
const PLATFORMS: &[&str] = &["heyreach", "woodpecker", "lemlist", "generic"];

/// A background run: a processing step, a submitted task or a scrape.
struct Run {
    id: String,
    task: String,
    created: Instant,
    created_at: String,
    polls: u32,
    /// What the run writes when it completes: (lead id, field, value).
    writes: Option<(String, String, Value)>,
    output: Value,
    completed: bool,
}

/// The run `runId` names, of `runs`.
fn find_run<'a>(runs: &'a mut [Run], q: &kit::Query, hint: &str) -> Result<&'a mut Run> {
    let id = q.get("runId").ok_or_else(|| missing("runId"))?;
    runs.iter_mut()
        .find(|r| &r.id == id)
        .ok_or_else(|| not_found("Run", hint))
}

impl Run {
    /// One status check: runs complete after [`RUN_POLLS`] checks or [`RUN_SECONDS`].
    fn check(&mut self) -> &'static str {
        self.polls += 1;
        if self.polls >= RUN_POLLS || self.created.elapsed() >= Duration::from_secs(RUN_SECONDS) {
            self.completed = true;
        }
        self.status()
    }

    fn status(&self) -> &'static str {
        match (self.completed, self.polls) {
            (true, _) => "COMPLETED",
            (false, 0) => "QUEUED",
            (false, _) => "EXECUTING",
        }
    }

    fn json(&self) -> Value {
        let mut v = json!({
            "runId": self.id,
            "taskIdentifier": self.task,
            "status": self.status(),
            "createdAt": self.created_at,
        });
        if self.completed {
            v["output"] = self.output.clone();
        }
        v
    }
}

type Obj = Map<String, Value>;

struct World {
    /// Issued access tokens.
    tokens: Tokens<()>,
    next_id: u64,
    clients: Vec<Obj>,
    leads: Vec<Obj>,
    source_leads: Vec<Obj>,
    company: Option<Obj>,
    searches: Vec<Obj>,
    webhooks: Vec<Obj>,
    territory: Vec<Obj>,
    settings: HashMap<&'static str, Obj>,
    runs: Vec<Run>,
    scrapes: Vec<Run>,
}

impl World {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-0000-4000-8000-{:012}", self.next_id)
    }

    fn timestamp(&self) -> String {
        format!(
            "2026-02-{:02}T{:02}:{:02}:00.000Z",
            1 + (self.next_id / 1440) % 28,
            (self.next_id / 60) % 24,
            self.next_id % 60
        )
    }

    fn has_client(&self, client_id: &str) -> bool {
        self.clients
            .iter()
            .any(|c| kit::str_field(c, "client_id") == Some(client_id))
    }

    /// Checks that the client `client_id` (its business id) exists; `hint`
    /// goes in the 404.
    fn client(&self, client_id: &str, hint: &str) -> Result<()> {
        if self.has_client(client_id) {
            Ok(())
        } else {
            Err(not_found("Client", hint))
        }
    }

    fn lead_mut(&mut self, id: &str) -> Option<&mut Obj> {
        kit::find_by(&mut self.leads, "id", id)
    }

    /// Starts a run; `writes` is applied to the lead when it completes.
    fn start_run(&mut self, task: &str, writes: Option<(String, String, Value)>) -> String {
        self.next_id += 1;
        let id = format!("run_{:08x}{:04}", 0x5eed_u32, self.next_id);
        let output = match &writes {
            Some((lead, field, value)) => json!({"leadId": lead, "field": field, "value": value}),
            None => json!({"ok": true}),
        };
        let created_at = self.timestamp();
        self.runs.push(Run {
            id: id.clone(),
            task: task.to_string(),
            created: Instant::now(),
            created_at,
            polls: 0,
            writes,
            output,
            completed: false,
        });
        id
    }

    /// Applies what completed runs write to their leads (once).
    fn settle_runs(&mut self) {
        let mut writes = Vec::new();
        for run in &mut self.runs {
            if run.completed
                && let Some(w) = run.writes.take()
            {
                writes.push(w);
            }
        }
        for (lead, field, value) in writes {
            if let Some(l) = self.lead_mut(&lead) {
                l.insert(field, value);
            }
        }
    }
}

type Db = kit::Store<LeadGenius, World>;

fn seed() -> World {
    let mut tokens = Tokens::default();
    tokens.issue(ACCESS_TOKEN, (), Duration::from_secs(10 * 365 * 24 * 3600));
    tokens.issue(EXPIRED_TOKEN, (), Duration::ZERO);
    let client = |id: &str, client_id: &str, name: &str, url: &str| {
        kit::obj(json!({
            "id": id, "client_id": client_id, "clientName": name, "companyURL": url,
            "description": format!("{name}, an anonymized example client."),
            "owner": USER_ID, "company_id": COMPANY_ID, "createdAt": "2026-01-05T09:00:00.000Z"
        }))
    };
    let companies = [
        ("Example Corp", "example.com", "Technology"),
        ("Example Corp", "example.com", "Technology"),
        ("Sample Labs", "example.org", "Biotech"),
        ("Example Corp", "example.com", "Technology"),
        ("Demo Industries", "example.net", "Manufacturing"),
        ("Sample Labs", "example.org", "Biotech"),
        ("Demo Industries", "example.net", "Manufacturing"),
    ];
    let titles = [
        "CTO",
        "VP Sales",
        "Head of Research",
        "Engineer",
        "COO",
        "CEO",
        "Buyer",
    ];
    let mut leads = Vec::new();
    for (i, ((company, domain, _), title)) in companies.iter().zip(titles).enumerate() {
        let n = i as u64 + 1;
        let client_id = if (n as usize) <= CLIENT_A_LEADS {
            CLIENT_A
        } else {
            CLIENT_B
        };
        leads.push(kit::obj(json!({
            "id": lead_id(n), "client_id": client_id, "company_id": COMPANY_ID, "owner": USER_ID,
            "firstName": "Example", "lastName": format!("Person {n}"),
            "email": format!("person{n}@{domain}"), "companyName": company,
            "companyDomain": domain, "title": title,
            "linkedinUrl": format!("https://www.linkedin.com/in/example-person-{n}"),
            "createdAt": format!("2026-01-{:02}T10:00:00.000Z", 10 + n)
        })));
    }
    let source_leads = (1..=4u64)
        .map(|n| {
            kit::obj(json!({
                "id": format!("50c0000-0000-4000-8000-{n:012}"),
                "client_id": if n <= 3 { CLIENT_A } else { CLIENT_B },
                "company_id": COMPANY_ID,
                "fullName": format!("Example Prospect {n}"),
                "email": format!("prospect{n}@example.com"),
                "companyName": "Example Corp", "source": "apify",
                "createdAt": format!("2026-01-{:02}T08:00:00.000Z", n)
            }))
        })
        .collect();
    let searches = vec![
        kit::obj(json!({
            "id": "5ea4c000-0000-4000-8000-000000000001", "searchName": "SaaS in Example City",
            "client_id": CLIENT_A, "status": "completed", "category": "prospecting",
            "icpId": "icp-example-1", "createdAt": "2026-01-08T09:00:00.000Z"
        })),
        kit::obj(json!({
            "id": "5ea4c000-0000-4000-8000-000000000002", "searchName": "Biotech buyers",
            "client_id": CLIENT_B, "status": "running", "category": "prospecting",
            "icpId": "icp-example-2", "createdAt": "2026-01-09T09:00:00.000Z"
        })),
    ];
    let webhooks = vec![kit::obj(json!({
        "id": "00b00000-0000-4000-8000-000000000001", "name": "Example lemlist replies",
        "platform": "lemlist", "client_id": CLIENT_A,
        "webhookUrl": "https://hooks.example.com/leadgenius/00b00000-0000-4000-8000-000000000001?key=REDACTED_WEBHOOK_SECRET",
        "createdAt": "2026-01-07T09:00:00.000Z"
    }))];
    let mut world = World {
        tokens,
        next_id: 100,
        clients: vec![
            client(
                CLIENT_A_ID,
                CLIENT_A,
                "Example Client A",
                "https://client-a.example.com",
            ),
            client(
                CLIENT_B_ID,
                CLIENT_B,
                "Example Client B",
                "https://client-b.example.com",
            ),
        ],
        leads,
        source_leads,
        company: None,
        searches,
        webhooks,
        territory: Vec::new(),
        settings: seeded_settings(),
        runs: Vec::new(),
        scrapes: Vec::new(),
    };
    let seeded = world.start_run("lead-enrich", None);
    if let Some(run) = world.runs.iter_mut().find(|r| r.id == seeded) {
        run.completed = true;
    }
    world
}

// ---------------------------------------------------------------------------
// The reference's error envelope

/// `{"success": false, "error", "errorType", "details", "recommendation"}`.
struct LeadGenius;

impl Vendor for LeadGenius {
    fn envelope(f: &ApiError) -> Value {
        json!({
            "success": false,
            "error": f.message,
            "errorType": f.code,
            "details": f.field("details").unwrap_or_default(),
            "recommendation": f.field("recommendation").unwrap_or_default(),
        })
    }

    fn internal() -> ApiError {
        fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal error",
            "The sandbox's state is unavailable.",
            "Try again later.",
        )
    }

    fn bad_body() -> ApiError {
        fail(
            StatusCode::BAD_REQUEST,
            "invalid_format",
            "Invalid JSON body",
            "The body must be a JSON object.",
            "Send a JSON object with Content-Type: application/json.",
        )
    }

    fn bad_query(q: &BadQuery) -> ApiError {
        match q.problem {
            Problem::UnknownCursor => fail(
                StatusCode::BAD_REQUEST,
                "invalid_format",
                "Invalid pagination token",
                "The token was not issued by this list.",
                "Start again without a token, then pass the one each page gives.",
            ),
            _ => invalid(
                q.name,
                format!("{} must be {} to {}.", q.name, q.min, q.max),
            ),
        }
    }
}

type ApiError = Failure<LeadGenius>;
type Result<T> = kit::Result<T, LeadGenius>;
type Body = kit::Body<LeadGenius>;

/// A failure: `error_type` is the envelope's `errorType`, `error` its `error`.
fn fail(
    status: StatusCode,
    error_type: &'static str,
    error: impl Into<String>,
    details: impl Into<String>,
    recommendation: impl Into<String>,
) -> ApiError {
    Failure::new(status, error_type, error)
        .with("details", details)
        .with("recommendation", recommendation)
}

fn missing(field: &str) -> ApiError {
    fail(
        StatusCode::BAD_REQUEST,
        "missing_required_field",
        format!("Missing required field: {field}"),
        format!("The request has no {field}."),
        format!("Add {field} and try again."),
    )
}

fn invalid(field: &str, why: impl Into<String>) -> ApiError {
    fail(
        StatusCode::BAD_REQUEST,
        "invalid_value",
        format!("Invalid value for {field}"),
        why,
        format!("Correct {field} and try again."),
    )
}

fn not_found(what: &str, hint: &str) -> ApiError {
    fail(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("{what} not found"),
        format!("No {what} with this id is visible to this account."),
        hint,
    )
}

/// The record `id` of `items`; a 404 naming `what`, with `hint`, otherwise.
fn record<'a>(items: &'a mut [Obj], id: &str, what: &str, hint: &str) -> Result<&'a mut Obj> {
    kit::find_by(items, "id", id).ok_or_else(|| not_found(what, hint))
}

fn ok(value: Value) -> Response {
    let mut body = kit::obj(value);
    body.insert("success".into(), Value::Bool(true));
    axum::Json(Value::Object(body)).into_response()
}

fn created(value: Value) -> Response {
    (StatusCode::CREATED, ok(value)).into_response()
}

/// The world, for a caller with credentials of a kind the route accepts.
fn open<'a>(
    db: &'a Db,
    headers: &HeaderMap,
    accept: Accept,
) -> Result<std::sync::MutexGuard<'a, World>> {
    let w = db.lock()?;
    authenticate(&w, headers, accept)?;
    Ok(w)
}

fn required_str<'a>(map: &'a Obj, field: &str) -> Result<&'a str> {
    kit::nonblank(map, field).ok_or_else(|| missing(field))
}

fn only_fields(map: &Obj, allowed: &[&str]) -> Result<()> {
    match kit::unknown_field(map, allowed) {
        Some(k) => Err(invalid(k, format!("{k} is not a field of this resource."))),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// Authentication

#[derive(Clone, Copy, PartialEq, Eq)]
enum Accept {
    Jwt,
    ApiKey,
    Either,
}

fn authenticate(world: &World, headers: &HeaderMap, accept: Accept) -> Result<()> {
    let header = |name: &str| kit::header(headers, name);
    if accept != Accept::ApiKey
        && let Some(token) = kit::bearer(headers)
    {
        return match world.tokens.check(token) {
            TokenCheck::Valid(()) => Ok(()),
            TokenCheck::Expired => Err(fail(
                StatusCode::UNAUTHORIZED,
                "token_expired",
                "Token expired",
                "The access token has expired; tokens last one hour.",
                "Get a new token with POST /api/auth.",
            )),
            TokenCheck::Unknown => Err(fail(
                StatusCode::UNAUTHORIZED,
                "no_valid_tokens",
                "Invalid token",
                "The Bearer token is not a valid LeadGenius access token.",
                "Get a new token with POST /api/auth.",
            )),
        };
    }
    if accept != Accept::Jwt
        && let Some(key) = header("x-api-key")
    {
        return if key == API_KEY && header("x-user-id") == Some(USER_ID) {
            Ok(())
        } else {
            Err(fail(
                StatusCode::UNAUTHORIZED,
                "no_valid_credentials",
                "Invalid API key",
                "The x-api-key and x-user-id headers do not match an API key of this user.",
                "Check the API key and the user id (the Cognito sub).",
            ))
        };
    }
    let needed = match accept {
        Accept::Jwt => "a Bearer JWT (Authorization: Bearer <accessToken>)",
        Accept::ApiKey => "an API key (x-api-key and x-user-id headers)",
        Accept::Either => "a Bearer JWT or an API key",
    };
    Err(fail(
        StatusCode::UNAUTHORIZED,
        "no_valid_credentials",
        "Authentication required",
        format!("This route needs {needed}."),
        "Authenticate and try again.",
    ))
}

/// `POST /auth`: `{username, password}` → tokens.
async fn login(State(db): State<Db>, body: Body) -> Result<Response> {
    let fields = body.object()?;
    let username = required_str(&fields, "username")?;
    let password = required_str(&fields, "password")?;
    let lifetime = match (username, password) {
        (EMAIL, PASSWORD) => 3600,
        (SHORT_LIVED_EMAIL, PASSWORD) => SHORT_LIFETIME_SECS,
        _ => {
            return Err(fail(
                StatusCode::UNAUTHORIZED,
                "no_valid_credentials",
                "Incorrect username or password.",
                "The login was refused.",
                "Check the email and password.",
            ));
        }
    };
    let mut w = db.lock()?;
    w.next_id += 1;
    let token = format!("{TOKEN_PREFIX}{}_{}", w.next_id, &uuid_hex()[..12]);
    w.tokens
        .issue(token.clone(), (), Duration::from_secs(lifetime));
    Ok(ok(json!({
        "tokens": {
            "accessToken": token,
            "idToken": format!("lgs_id_{}", w.next_id),
            "refreshToken": format!("lgs_rt_{}", w.next_id),
            "expiresIn": lifetime
        }
    })))
}

fn uuid_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

// ---------------------------------------------------------------------------
// Pagination: cursors are the list's prefix + an offset

/// Leads of a client: 100 a page by default, at most 1,000.
const LEAD_PAGES: CursorPaging = CursorPaging {
    limit: Param::limit(100, 1000),
    cursor: "nextToken",
    prefix: "lgs_nt_",
};
/// Bulk extraction: 1,000 a page by default, at most 5,000.
const BULK_PAGES: CursorPaging = CursorPaging {
    limit: Param::limit(1000, 5000),
    cursor: "nextToken",
    prefix: "lgs_bt_",
};
/// Search history: 50 a page by default, at most 1,000.
const SEARCH_PAGES: CursorPaging = CursorPaging {
    limit: Param::limit(50, 1000),
    cursor: "cursor",
    prefix: "lgs_sc_",
};
/// Recent runs: 20 by default, at most 100 (one page).
const RECENT_RUNS: Param = Param::limit(20, 100);

// ---------------------------------------------------------------------------
// Clients

async fn clients_get(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    if let Some(id) = q.get("clientId") {
        let client = record(
            &mut w.clients,
            id,
            "Client",
            "Use the client's record id (id) from GET /api/clients.",
        )?;
        return Ok(ok(json!({ "client": client })));
    }
    Ok(ok(
        json!({ "clients": w.clients, "count": w.clients.len() }),
    ))
}

async fn clients_create(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    let fields = body.object()?;
    only_fields(&fields, &["clientName", "companyURL", "description"])?;
    required_str(&fields, "clientName")?;
    let id = w.id("edd5c738");
    let client_id = w.id("5b9cb5db");
    let mut client = fields;
    client.insert("id".into(), json!(id));
    client.insert("client_id".into(), json!(client_id));
    client.insert("owner".into(), json!(USER_ID));
    client.insert("company_id".into(), json!(COMPANY_ID));
    client.insert("createdAt".into(), json!(w.timestamp()));
    w.clients.push(client.clone());
    Ok(created(json!({ "client": client })))
}

async fn clients_update(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    let fields = body.object()?;
    only_fields(&fields, &["id", "clientName", "companyURL", "description"])?;
    let id = required_str(&fields, "id")?.to_string();
    let client = record(
        &mut w.clients,
        &id,
        "Client",
        "Updates take the client's record id (id), not its client_id.",
    )?;
    client.extend(fields);
    Ok(ok(json!({ "client": client })))
}

async fn clients_delete(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    let id = q.get("id").ok_or_else(|| missing("id"))?;
    let Some(index) = w
        .clients
        .iter()
        .position(|c| kit::str_field(c, "id") == Some(id))
    else {
        return Err(not_found(
            "Client",
            "Deletes take the client's record id (id), not its client_id.",
        ));
    };
    let client = w.clients.remove(index);
    if q.get("purge").map(String::as_str) == Some("true") {
        let client_id = client.get("client_id").cloned().unwrap_or(Value::Null);
        let before = w.leads.len();
        w.leads.retain(|l| l.get("client_id") != Some(&client_id));
        let purged = before - w.leads.len();
        return Ok(ok(
            json!({ "deleted": { "client": id, "leads": purged }, "purged": true }),
        ));
    }
    Ok(ok(json!({ "deleted": { "client": id } })))
}

// ---------------------------------------------------------------------------
// Leads

async fn leads_list(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    w.settle_runs();
    let client_id = q.get("client_id").ok_or_else(|| missing("client_id"))?;
    w.client(
        client_id,
        "Leads are listed by the client's client_id (not its record id).",
    )?;
    let items = kit::objects(
        w.leads
            .iter()
            .filter(|l| kit::str_field(l, "client_id") == Some(client_id)),
    );
    let (leads, next) = LEAD_PAGES.page(items, &q)?;
    Ok(ok(
        json!({ "leads": leads, "count": leads.len(), "nextToken": next }),
    ))
}

/// One lead written, or why not: (errorType, message).
type LeadResult = std::result::Result<Obj, (&'static str, String)>;

/// Applies `one` to each lead of a batch body: how many went through, and
/// which were skipped (by index) and why.
fn batch(
    w: &mut World,
    leads: &Value,
    one: fn(&mut World, Obj) -> LeadResult,
) -> Result<(usize, Vec<Value>)> {
    let items = leads
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| invalid("leads", "leads must be a non-empty array."))?;
    let mut count = 0;
    let mut skipped = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match one(w, kit::obj(item.clone())) {
            Ok(_) => count += 1,
            Err((reason, message)) => {
                let mut entry = json!({"index": index, "reason": reason, "message": message});
                if let Some(id) = item.get("id") {
                    entry["id"] = id.clone();
                }
                skipped.push(entry);
            }
        }
    }
    Ok((count, skipped))
}

/// Checks and stores one new lead; the reason it was skipped otherwise.
fn add_lead(w: &mut World, fields: Obj) -> LeadResult {
    let mut allowed = LEAD_FIELDS.to_vec();
    allowed.push("client_id");
    if let Some(k) = kit::unknown_field(&fields, &allowed) {
        return Err(("invalid_value", format!("{k} is not a lead field")));
    }
    let Some(client_id) = kit::str_field(&fields, "client_id") else {
        return Err(("missing_required_field", "client_id is required".into()));
    };
    if !w.has_client(client_id) {
        return Err(("not_found", "no client with this client_id".into()));
    }
    if let Some(email) = kit::str_field(&fields, "email") {
        let duplicate = w.leads.iter().any(|l| {
            kit::str_field(l, "client_id") == Some(client_id)
                && kit::str_field(l, "email") == Some(email)
        });
        if duplicate {
            return Err((
                "already_exists",
                "a lead with this email exists for this client".into(),
            ));
        }
    }
    let mut lead = fields;
    lead.insert("id".into(), json!(w.id("1ead0000")));
    lead.insert("company_id".into(), json!(COMPANY_ID));
    lead.insert("owner".into(), json!(USER_ID));
    lead.insert("createdAt".into(), json!(w.timestamp()));
    w.leads.push(lead.clone());
    Ok(lead)
}

async fn leads_create(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    let fields = body.object()?;
    if let Some(leads) = fields.get("leads") {
        let (count, skipped) = batch(&mut w, leads, add_lead)?;
        return Ok(created(json!({ "created": count, "skipped": skipped })));
    }
    match add_lead(&mut w, fields) {
        Ok(lead) => Ok(created(json!({ "lead": lead }))),
        Err(("not_found", _)) => Err(not_found(
            "Client",
            "Leads take the client's client_id (not its record id).",
        )),
        Err(("already_exists", message)) => Err(fail(
            StatusCode::CONFLICT,
            "already_exists",
            "Lead already exists",
            message,
            "Update the existing lead instead.",
        )),
        Err(("missing_required_field", _)) => Err(missing("client_id")),
        Err((_, message)) => Err(invalid("lead", message)),
    }
}

/// Applies one change to a lead; the reason it was skipped otherwise.
fn change_lead(w: &mut World, fields: Obj) -> LeadResult {
    let Some(id) = kit::str_field(&fields, "id") else {
        return Err(("missing_required_field", "id is required".into()));
    };
    if let Some(k) = fields
        .keys()
        .find(|k| *k != "id" && !LEAD_FIELDS.contains(&k.as_str()))
    {
        return Err(("invalid_value", format!("{k} is not a lead field")));
    }
    let Some(lead) = w.lead_mut(id) else {
        return Err(("not_found", "no lead with this id".into()));
    };
    for (k, v) in fields.iter().filter(|(k, _)| *k != "id") {
        lead.insert(k.clone(), v.clone());
    }
    Ok(lead.clone())
}

async fn leads_update(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    let fields = body.object()?;
    if let Some(leads) = fields.get("leads") {
        let (count, skipped) = batch(&mut w, leads, change_lead)?;
        return Ok(ok(json!({ "updated": count, "skipped": skipped })));
    }
    match change_lead(&mut w, fields) {
        Ok(lead) => Ok(ok(json!({ "lead": lead }))),
        Err(("not_found", _)) => Err(not_found("Lead", "Use the lead's id from GET /api/leads.")),
        Err(("missing_required_field", _)) => Err(missing("id")),
        Err((_, message)) => Err(invalid("lead", message)),
    }
}

async fn leads_delete(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
    body: Body,
) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    if let Some(id) = q.get("id") {
        let before = w.leads.len();
        w.leads
            .retain(|l| kit::str_field(l, "id") != Some(id.as_str()));
        if w.leads.len() == before {
            return Err(not_found("Lead", "Use the lead's id from GET /api/leads."));
        }
        return Ok(ok(json!({ "deleted": 1, "id": id })));
    }
    let fields = body.object().map_err(|_| missing("id or ids"))?;
    let ids = fields
        .get("ids")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| missing("ids"))?;
    let mut deleted = 0;
    let mut skipped = Vec::new();
    for id in ids {
        let before = w.leads.len();
        w.leads.retain(|l| l.get("id") != Some(id));
        if w.leads.len() == before {
            skipped.push(json!({"id": id, "reason": "not_found"}));
        } else {
            deleted += 1;
        }
    }
    Ok(ok(json!({ "deleted": deleted, "skipped": skipped })))
}

// ---------------------------------------------------------------------------
// Bulk extraction

fn bulk(world: &World, items: &[Obj], q: &kit::Query) -> Result<Response> {
    let company = q.get("companyId").ok_or_else(|| missing("companyId"))?;
    if company != COMPANY_ID {
        return Err(fail(
            StatusCode::FORBIDDEN,
            "owner_mismatch",
            "Company mismatch",
            "companyId is not the company of this API key's user.",
            "Use your own company_id (GET /api/company).",
        ));
    }
    let _ = world;
    let client = q
        .get("clientId")
        .filter(|c| !matches!(c.as_str(), "ALL" | "DEFAULT" | ""));
    let fields: Option<Vec<&str>> = q.get("fields").map(|f| {
        f.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    });
    let selected: Vec<Value> = items
        .iter()
        .filter(|l| client.is_none_or(|c| kit::str_field(l, "client_id") == Some(c)))
        .map(|l| match &fields {
            Some(f) => Value::Object(
                l.iter()
                    .filter(|(k, _)| f.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            None => Value::Object(l.clone()),
        })
        .collect();
    let (items, next) = BULK_PAGES.page(selected, q)?;
    Ok(ok(
        json!({ "items": items, "count": items.len(), "nextToken": next }),
    ))
}

async fn enrich_leads_list(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::ApiKey)?;
    w.settle_runs();
    bulk(&w, &w.leads, &q)
}

async fn source_leads_list(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let w = open(&db, &headers, Accept::ApiKey)?;
    bulk(&w, &w.source_leads, &q)
}

// ---------------------------------------------------------------------------
// Company

async fn company_get(State(db): State<Db>, headers: HeaderMap) -> Result<Response> {
    let w = open(&db, &headers, Accept::Jwt)?;
    match &w.company {
        Some(c) => Ok(ok(json!({ "company": c }))),
        None => Err(not_found(
            "Company",
            "Create the company with POST /api/company.",
        )),
    }
}

async fn company_create(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    let fields = body.object()?;
    if w.company.is_some() {
        return Err(fail(
            StatusCode::CONFLICT,
            "already_exists",
            "Company already exists",
            "This user already belongs to a company.",
            "Update it with PUT /api/company.",
        ));
    }
    let mut company = fields;
    company.insert("company_id".into(), json!(COMPANY_ID));
    company.insert("owner".into(), json!(USER_ID));
    company.insert("role".into(), json!("owner"));
    company.insert("createdAt".into(), json!(w.timestamp()));
    w.company = Some(company.clone());
    Ok(created(json!({ "company": company })))
}

async fn company_update(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    let fields = body.object()?;
    if fields.contains_key("company_id") || fields.contains_key("owner") {
        return Err(invalid(
            "company_id",
            "company_id and owner can't be changed.",
        ));
    }
    let Some(company) = w.company.as_mut() else {
        return Err(not_found(
            "Company",
            "Create the company with POST /api/company.",
        ));
    };
    company.extend(fields);
    Ok(ok(json!({ "company": company })))
}

// ---------------------------------------------------------------------------
// Search history

async fn search_create(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Either)?;
    let fields = body.object()?;
    only_fields(&fields, SEARCH_FIELDS)?;
    required_str(&fields, "searchName")?;
    let mut record = fields;
    record.insert("id".into(), json!(w.id("5ea4c000")));
    record.insert("status".into(), json!("initiated"));
    record.insert("owner".into(), json!(USER_ID));
    record.insert("createdAt".into(), json!(w.timestamp()));
    w.searches.push(record.clone());
    Ok(created(json!({ "searchHistory": record })))
}

async fn search_list(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let w = open(&db, &headers, Accept::Jwt)?;
    if let Some(s) = q.get("status")
        && !SEARCH_STATUSES.contains(&s.as_str())
    {
        return Err(bad_search_status());
    }
    let items = kit::objects(w.searches.iter().filter(|s| {
        ["client_id", "status", "icpId", "category"]
            .iter()
            .all(|f| {
                q.get(*f)
                    .is_none_or(|want| kit::str_field(s, f) == Some(want))
            })
    }));
    let (records, next) = SEARCH_PAGES.page(items, &q)?;
    Ok(ok(
        json!({ "searchHistory": records, "count": records.len(), "nextCursor": next }),
    ))
}

async fn search_update(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    let fields = body.object()?;
    let id = required_str(&fields, "id")?.to_string();
    let mut allowed = SEARCH_FIELDS.to_vec();
    allowed.extend(["id", "status", "resultsCount"]);
    only_fields(&fields, &allowed)?;
    if let Some(s) = fields.get("status")
        && !s.as_str().is_some_and(|s| SEARCH_STATUSES.contains(&s))
    {
        return Err(bad_search_status());
    }
    let search = record(
        &mut w.searches,
        &id,
        "Search history",
        "Use the id from GET /api/search-history.",
    )?;
    search.extend(fields);
    Ok(ok(json!({ "searchHistory": search })))
}

// ---------------------------------------------------------------------------
// Webhooks

async fn webhooks_list(State(db): State<Db>, headers: HeaderMap) -> Result<Response> {
    let w = open(&db, &headers, Accept::Either)?;
    Ok(ok(json!({ "webhooks": w.webhooks })))
}

async fn webhooks_create(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Either)?;
    let fields = body.object()?;
    only_fields(
        &fields,
        &[
            "name",
            "platform",
            "description",
            "platformConfig",
            "client_id",
        ],
    )?;
    required_str(&fields, "name")?;
    let platform = required_str(&fields, "platform")?;
    if !PLATFORMS.contains(&platform) {
        return Err(invalid(
            "platform",
            "Supported platforms: heyreach, woodpecker, lemlist, generic.",
        ));
    }
    if let Some(config) = fields.get("platformConfig") {
        let parses = config
            .as_str()
            .is_some_and(|c| serde_json::from_str::<Value>(c).is_ok());
        if !parses {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "invalid_format",
                "Invalid platformConfig",
                "platformConfig must be JSON text.",
                "Send platformConfig as a JSON string, e.g. \"{\\\"field_mapping\\\": {}}\".",
            ));
        }
    }
    let id = w.id("00b00000");
    let mut webhook = fields;
    webhook.insert("id".into(), json!(id));
    webhook.insert(
        "webhookUrl".into(),
        json!(format!(
            "https://hooks.example.com/leadgenius/{id}?key=REDACTED_WEBHOOK_SECRET"
        )),
    );
    webhook.insert("createdAt".into(), json!(w.timestamp()));
    w.webhooks.push(webhook.clone());
    Ok(created(json!({ "webhook": webhook })))
}

// ---------------------------------------------------------------------------
// Territory workbench

const TERRITORY_CLIENT: &str = "Territory takes the client's client_id (not its record id).";

async fn territory_list(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let w = open(&db, &headers, Accept::Jwt)?;
    let client_id = q.get("client_id").ok_or_else(|| missing("client_id"))?;
    w.client(client_id, TERRITORY_CLIENT)?;
    let number = |name: &'static str| -> Result<Option<u64>> {
        kit::number(&q, name, 0, u64::MAX).map_err(|_| {
            fail(
                StatusCode::BAD_REQUEST,
                "invalid_format",
                format!("Invalid {name}"),
                format!("{name} must be a whole number."),
                format!("Correct {name}."),
            )
        })
    };
    let (min, max) = (number("minLeads")?, number("maxLeads")?);
    let mut companies: Vec<Obj> = Vec::new();
    for lead in w
        .leads
        .iter()
        .filter(|l| kit::str_field(l, "client_id") == Some(client_id.as_str()))
    {
        let day = lead
            .get("createdAt")
            .and_then(Value::as_str)
            .map(|d| d.chars().take(10).collect::<String>())
            .unwrap_or_default();
        if q.get("startDate").is_some_and(|s| day < *s)
            || q.get("endDate").is_some_and(|e| day > *e)
        {
            continue;
        }
        let name = lead.get("companyName").cloned().unwrap_or(Value::Null);
        match companies
            .iter_mut()
            .find(|c| c.get("companyName") == Some(&name))
        {
            Some(c) => {
                let n = c.get("leadCount").and_then(Value::as_u64).unwrap_or(0);
                c.insert("leadCount".into(), json!(n + 1));
                c.insert("lastLeadAt".into(), json!(day));
            }
            None => companies.push(kit::obj(json!({
                "companyName": name,
                "companyDomain": lead.get("companyDomain"),
                "leadCount": 1,
                "industry": "Unknown",
                "firstLeadAt": day,
                "lastLeadAt": day,
            }))),
        }
    }
    for extra in w
        .territory
        .iter()
        .filter(|t| kit::str_field(t, "client_id") == Some(client_id.as_str()))
    {
        let name = extra.get("companyName");
        let target = match companies.iter_mut().find(|c| c.get("companyName") == name) {
            Some(c) => c,
            None => {
                companies.push(kit::obj(json!({"companyName": name, "leadCount": 0})));
                let last = companies.len() - 1;
                &mut companies[last]
            }
        };
        for (k, v) in extra.iter().filter(|(k, _)| *k != "client_id") {
            target.insert(k.clone(), v.clone());
        }
    }
    let text = |c: &Obj, f: &str| {
        c.get(f)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_lowercase()
    };
    companies.retain(|c| {
        let n = c.get("leadCount").and_then(Value::as_u64).unwrap_or(0);
        q.get("industry")
            .is_none_or(|i| text(c, "industry") == i.to_lowercase())
            && q.get("search")
                .is_none_or(|s| text(c, "companyName").contains(&s.to_lowercase()))
            && min.is_none_or(|m| n >= m)
            && max.is_none_or(|m| n <= m)
    });
    let sort_by = q.get("sortBy").map_or("leadCount", String::as_str);
    if !["leadCount", "companyName", "lastLeadAt"].contains(&sort_by) {
        return Err(invalid(
            "sortBy",
            "sortBy must be leadCount, companyName or lastLeadAt.",
        ));
    }
    let descending = match q.get("sortDirection").map(String::as_str) {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => {
            return Err(invalid(
                "sortDirection",
                "sortDirection must be asc or desc.",
            ));
        }
    };
    companies.sort_by(|a, b| {
        let order = if sort_by == "leadCount" {
            let n = |c: &Obj| c.get("leadCount").and_then(Value::as_u64).unwrap_or(0);
            n(a).cmp(&n(b))
        } else {
            text(a, sort_by).cmp(&text(b, sort_by))
        };
        if descending { order.reverse() } else { order }
    });
    Ok(ok(
        json!({ "companies": companies, "count": companies.len() }),
    ))
}

async fn territory_upsert(
    State(db): State<Db>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Jwt)?;
    let fields = body.object()?;
    let client_id = required_str(&fields, "client_id")?.to_string();
    let name = required_str(&fields, "companyName")?.to_string();
    w.client(&client_id, TERRITORY_CLIENT)?;
    let existing = w.territory.iter_mut().find(|t| {
        kit::str_field(t, "client_id") == Some(client_id.as_str())
            && kit::str_field(t, "companyName") == Some(name.as_str())
    });
    if let Some(record) = existing {
        record.extend(fields);
        return Ok(ok(json!({ "company": record, "created": false })));
    }
    w.territory.push(fields.clone());
    Ok(created(json!({ "company": fields, "created": true })))
}

// ---------------------------------------------------------------------------
// Settings

/// The company comes configured, so a first settings read answers 200:
/// URL settings for companyUrl and enrichment1 and 2, agent settings for
/// copyright 1, SDR AI settings for message1 and aiLeadScore. Other
/// services are not configured: processing them is skipped until an update
/// adds them (creating settings that exist is a 409).
fn seeded_settings() -> HashMap<&'static str, Obj> {
    HashMap::from([
        (
            "url",
            kit::obj(json!({
                "companyUrl": "https://enrich.example.com/company",
                "companyUrl_Apikey": "sk_example_company",
                "enrichment1": "https://enrich.example.com/e1",
                "enrichment1_Apikey": "sk_example_e1",
                "enrichment2": "https://enrich.example.com/e2",
                "enrichment2_Apikey": "sk_example_e2"
            })),
        ),
        (
            "agent",
            kit::obj(json!({
                "projectId": "project-example",
                "enrichment1AgentId": "agent-example-1"
            })),
        ),
        (
            "sdr-ai",
            kit::obj(json!({
                "projectId": "project-example",
                "message1AgentId": "agent-example-m1",
                "aiLeadScoreAgentId": "agent-example-score"
            })),
        ),
    ])
}

fn settings_field_ok(kind: &str, field: &str) -> bool {
    match kind {
        "url" => ENRICH_SERVICES
            .iter()
            .any(|s| field == *s || field.strip_suffix("_Apikey") == Some(*s)),
        "agent" => {
            field == "projectId" || (1..=10).any(|n| field == format!("enrichment{n}AgentId"))
        }
        _ => field == "projectId" || (field.ends_with("AgentId") && field.len() > 7),
    }
}

fn settings_label(kind: &str) -> &'static str {
    match kind {
        "url" => "URL settings",
        "agent" => "Agent settings",
        _ => "SDR AI settings",
    }
}

fn settings_fields(kind: &str, body: Body) -> Result<Obj> {
    let fields = body.object()?;
    if let Some(k) = fields.keys().find(|k| !settings_field_ok(kind, k)) {
        return Err(invalid(k, format!("{k} is not a field of these settings.")));
    }
    if let Some((k, _)) = fields.iter().find(|(_, v)| !v.is_string()) {
        return Err(invalid(k, format!("{k} must be a string.")));
    }
    Ok(fields)
}

fn settings_get(db: &Db, headers: &HeaderMap, kind: &'static str) -> Result<Response> {
    let w = open(db, headers, Accept::Jwt)?;
    match w.settings.get(kind) {
        Some(s) => Ok(ok(json!({ "settings": s }))),
        None => Err(not_found(
            settings_label(kind),
            &format!("Create them with POST /api/settings/{kind}."),
        )),
    }
}

fn settings_create(
    db: &Db,
    headers: &HeaderMap,
    kind: &'static str,
    body: Body,
) -> Result<Response> {
    let mut w = open(db, headers, Accept::Jwt)?;
    let fields = settings_fields(kind, body)?;
    if w.settings.contains_key(kind) {
        return Err(fail(
            StatusCode::CONFLICT,
            "already_exists",
            format!("{} already exist", settings_label(kind)),
            "This company has them already.",
            format!("Change them with PUT /api/settings/{kind}."),
        ));
    }
    w.settings.insert(kind, fields.clone());
    Ok(created(json!({ "settings": fields })))
}

fn settings_update(
    db: &Db,
    headers: &HeaderMap,
    kind: &'static str,
    body: Body,
) -> Result<Response> {
    let mut w = open(db, headers, Accept::Jwt)?;
    let fields = settings_fields(kind, body)?;
    let Some(settings) = w.settings.get_mut(kind) else {
        return Err(not_found(
            settings_label(kind),
            &format!("Create them with POST /api/settings/{kind}."),
        ));
    };
    settings.extend(fields);
    Ok(ok(json!({ "settings": settings })))
}

fn settings_routes(kind: &'static str) -> MethodRouter<Db> {
    get(move |State(db): State<Db>, headers: HeaderMap| async move {
        settings_get(&db, &headers, kind)
    })
    .post(
        move |State(db): State<Db>, headers: HeaderMap, body: Body| async move {
            settings_create(&db, &headers, kind, body)
        },
    )
    .put(
        move |State(db): State<Db>, headers: HeaderMap, body: Body| async move {
            settings_update(&db, &headers, kind, body)
        },
    )
}

// ---------------------------------------------------------------------------
// Lead processing

/// Which processing route: the settings it reads and how it names its steps.
#[derive(Clone, Copy)]
enum Process {
    Enrich,
    Copyright,
    Sdr,
}

fn process(db: &Db, headers: &HeaderMap, kind: Process, body: Body) -> Result<Response> {
    let mut w = open(db, headers, Accept::Either)?;
    w.settle_runs();
    let fields = body.object()?;
    let (list, settings, tag) = match kind {
        Process::Enrich => ("services", "url", "enrich"),
        Process::Copyright => ("processes", "agent", "copyright"),
        Process::Sdr => ("fields", "sdr-ai", "sdr"),
    };
    only_fields(&fields, &["leadId", list, "overwrite"])?;
    let lead_id = required_str(&fields, "leadId")?.to_string();
    let overwrite = fields
        .get("overwrite")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let steps = fields
        .get(list)
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| missing(list))?;
    let Some(lead) = w.lead_mut(&lead_id).map(|l| l.clone()) else {
        return Err(not_found("Lead", "Use the lead's id from GET /api/leads."));
    };
    let Some(config) = w.settings.get(settings).cloned() else {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "missing_required_field",
            format!("{} are not configured", settings_label(settings)),
            "Processing reads its settings, and there are none yet.",
            format!("Configure them first with POST /api/settings/{settings}."),
        ));
    };
    let mut run_ids = Vec::new();
    let mut triggered = Vec::new();
    let mut skipped = Vec::new();
    for step in steps {
        // (the step's name, the setting it needs, the lead field it writes)
        let (name, setting, field) = match (kind, step) {
            (Process::Enrich, Value::String(s)) if ENRICH_SERVICES.contains(&s.as_str()) => {
                (s.clone(), s.clone(), s.clone())
            }
            (Process::Copyright, Value::Number(n))
                if n.as_u64().is_some_and(|n| (1..=10).contains(&n)) =>
            {
                let n = n.as_u64().unwrap_or(0);
                (
                    n.to_string(),
                    format!("enrichment{n}AgentId"),
                    format!("copyright{n}"),
                )
            }
            (Process::Sdr, Value::String(s)) if !s.is_empty() => {
                (s.clone(), format!("{s}AgentId"), s.clone())
            }
            _ => {
                return Err(invalid(
                    list,
                    format!("{step} is not a valid {list} entry."),
                ));
            }
        };
        let configured = config
            .get(&setting)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty());
        let present = lead.get(&field).is_some_and(|v| !v.is_null() && v != "");
        if !configured || (present && !overwrite) {
            skipped.push(json!(name));
            continue;
        }
        let value = json!(format!(
            "Example {tag} result ({name}) for {}",
            kit::str_field(&lead, "lastName").unwrap_or("the lead")
        ));
        let run = w.start_run(
            &format!("lead-{tag}"),
            Some((lead_id.clone(), field, value)),
        );
        run_ids.push(json!(run));
        triggered.push(json!(name));
    }
    let batch_tag = format!("{tag}-process-1707654321-{:06x}", w.next_id);
    Ok(ok(json!({
        "runIds": run_ids, "batchTag": batch_tag, "triggered": triggered,
        "skipped": skipped, "leadId": lead_id
    })))
}

fn process_route(kind: Process) -> MethodRouter<Db> {
    post(
        move |State(db): State<Db>, headers: HeaderMap, body: Body| async move {
            process(&db, &headers, kind, body)
        },
    )
}

// ---------------------------------------------------------------------------
// Background tasks

async fn trigger_submit(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Either)?;
    let fields = body.object()?;
    let task = required_str(&fields, "task")?.to_string();
    let run = w.start_run(&task, None);
    Ok(ok(json!({ "runId": run, "status": "QUEUED" })))
}

async fn trigger_status(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Either)?;
    let run = find_run(&mut w.runs, &q, "Use a runId a trigger returned.")?;
    run.check();
    let answer = run.json();
    w.settle_runs();
    Ok(ok(answer))
}

async fn trigger_recent(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let w = open(&db, &headers, Accept::Either)?;
    let limit = RECENT_RUNS.read(&q)?;
    let runs: Vec<Value> = w
        .runs
        .iter()
        .rev()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(Run::json)
        .collect();
    Ok(ok(json!({ "runs": runs })))
}

// ---------------------------------------------------------------------------
// Email

fn email_of(body: Body) -> Result<String> {
    let fields = body.object()?;
    Ok(required_str(&fields, "email")?.trim().to_string())
}

fn well_formed(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }
        None => false,
    }
}

async fn email_validate(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    drop(open(&db, &headers, Accept::Either)?);
    let email = email_of(body)?;
    let valid = well_formed(&email);
    Ok(ok(json!({
        "email": email, "valid": valid,
        "reason": if valid { "ok" } else { "invalid_format" }
    })))
}

async fn email_verify(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    drop(open(&db, &headers, Accept::Either)?);
    let email = email_of(body)?;
    let result = if !well_formed(&email) {
        "undeliverable"
    } else if email.ends_with("@example.com") || email.ends_with("@example.org") {
        "deliverable"
    } else {
        "unknown"
    };
    Ok(ok(json!({
        "email": email, "result": result, "mxFound": well_formed(&email)
    })))
}

// ---------------------------------------------------------------------------
// Integrations

async fn scrape_start(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Either)?;
    let fields = body.object()?;
    if fields.is_empty() {
        return Err(missing("scrape parameters"));
    }
    w.next_id += 1;
    let id = format!("scrape_{:010}", w.next_id);
    let created_at = w.timestamp();
    w.scrapes.push(Run {
        id: id.clone(),
        task: "apify-lead-scrape".into(),
        created: Instant::now(),
        created_at,
        polls: 0,
        writes: None,
        output: json!({"leadsFound": 3, "input": fields}),
        completed: false,
    });
    Ok(ok(json!({ "runId": id, "status": "RUNNING" })))
}

async fn scrape_status(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let mut w = open(&db, &headers, Accept::Either)?;
    let run = find_run(
        &mut w.scrapes,
        &q,
        "Use the runId the scrape start returned.",
    )?;
    run.check();
    let status = if run.completed {
        "SUCCEEDED"
    } else {
        "RUNNING"
    };
    let mut answer = json!({ "runId": run.id, "status": status, "startedAt": run.created_at });
    if run.completed {
        answer["leadsFound"] = run.output["leadsFound"].clone();
    }
    Ok(ok(answer))
}

async fn epsimo_chat(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    drop(open(&db, &headers, Accept::Either)?);
    let fields = body.object()?;
    let message = required_str(&fields, "message")?;
    Ok(ok(json!({
        "reply": format!("Sandbox Epsimo AI received your message ({} characters).", message.chars().count()),
        "threadId": fields.get("threadId").cloned().unwrap_or(json!("thread_example_1"))
    })))
}

async fn unipile_accounts(State(db): State<Db>, headers: HeaderMap) -> Result<Response> {
    drop(open(&db, &headers, Accept::Either)?);
    Ok(ok(json!({
        "accounts": [
            {"id": "acc_example_linkedin", "provider": "LINKEDIN", "name": "Example Sender", "status": "OK"},
            {"id": "acc_example_mail", "provider": "MAIL", "name": "sender@example.com", "status": "OK"}
        ]
    })))
}

async fn no_route() -> ApiError {
    fail(
        StatusCode::NOT_FOUND,
        "not_found",
        "Not found",
        "No such route.",
        "Use a documented endpoint.",
    )
}

pub fn router() -> Router {
    let db = Db::new(seed());
    Router::new()
        .route("/auth", post(login))
        .route(
            "/clients",
            get(clients_get)
                .post(clients_create)
                .put(clients_update)
                .delete(clients_delete),
        )
        .route(
            "/leads",
            get(leads_list)
                .post(leads_create)
                .put(leads_update)
                .delete(leads_delete),
        )
        .route("/enrich-leads/list", get(enrich_leads_list))
        .route("/source-leads/list", get(source_leads_list))
        .route(
            "/company",
            get(company_get).post(company_create).put(company_update),
        )
        .route(
            "/search-history",
            get(search_list).post(search_create).put(search_update),
        )
        .route(
            "/webhook-workbench",
            get(webhooks_list).post(webhooks_create),
        )
        .route(
            "/territory-workbench/companies",
            get(territory_list).post(territory_upsert),
        )
        .route("/settings/url", settings_routes("url"))
        .route("/settings/agent", settings_routes("agent"))
        .route("/settings/sdr-ai", settings_routes("sdr-ai"))
        .route("/leads/process/enrich", process_route(Process::Enrich))
        .route(
            "/leads/process/copyright",
            process_route(Process::Copyright),
        )
        .route("/leads/process/sdr", process_route(Process::Sdr))
        .route("/trigger", post(trigger_submit))
        .route("/trigger-task-status", get(trigger_status))
        .route("/trigger-recent-runs", get(trigger_recent))
        .route("/email-validate", post(email_validate))
        .route("/email-verify", post(email_verify))
        .route("/start-lead-scrape-complete", post(scrape_start))
        .route("/lead-generation-status", get(scrape_status))
        .route("/epsimo-chat", post(epsimo_chat))
        .route("/unipile-accounts", get(unipile_accounts))
        .fallback(no_route)
        .with_state(db)
}
