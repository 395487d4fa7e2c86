//! The Leadmetrics simulation: login with expiring access tokens and
//! rotating refresh tokens, three tenants with campaigns, approval queues and
//! activities whose output streams over SSE, platform events over SSE, the
//! cross-tenant DM portal, the admin surface, mobile extras and agent-run
//! callbacks. Anonymized example data.
//!
//! The reference publishes no payloads, so the envelope here is the
//! assumption the manifest reads (see `tools/leadmetrics.toml`): `data` (+
//! `pagination`) and `request_id` on success; Fastify-style `statusCode`,
//! `code`, `error`, `message` on failure. Bodies use the fields the adapter
//! and the manifest send.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use futures::Stream;
use serde_json::{Map, Value, json};

use crate::kit::{
    self, BadQuery, Failure, OffsetPaging, Param, Problem, Simulation, TokenCheck, Tokens, Vendor,
    request_id,
};

pub const SIMULATION: Simulation = Simulation {
    vendor: "leadmetrics",
    // No base URL is published; the sandbox serves the routes at its root.
    base_path: "",
    env: |base| {
        vec![
            ("LEADMETRICS_BASE_URL".into(), base.to_string()),
            ("LEADMETRICS_EMAIL".into(), OPERATOR_EMAIL.into()),
            ("LEADMETRICS_PASSWORD".into(), PASSWORD.into()),
        ]
    },
    router,
};

/// Every sandbox user's password.
pub const PASSWORD: &str = "sandbox-password";
/// A user of tenant A who is also a DM reviewer and a super-admin.
pub const OPERATOR_EMAIL: &str = "operator@example.com";
/// A user of tenant B with no other role.
pub const MARKETER_EMAIL: &str = "marketer@example.com";
/// The operator's powers, with access tokens that live 30 seconds.
pub const SHORT_SESSION_EMAIL: &str = "short-session@example.com";
/// An access token an operator obtained elsewhere: the operator's, no expiry.
pub const STATIC_TOKEN: &str = "lm_sandbox_static_access_token";
/// Access tokens are `lm_access_<n>`, refresh tokens `lm_refresh_<n>`, with
/// `n` counted per sandbox from 1.
pub const ACCESS_PREFIX: &str = "lm_access_";
pub const REFRESH_PREFIX: &str = "lm_refresh_";

pub const TENANT_A: &str = "ten_0001";
pub const TENANT_B: &str = "ten_0002";
pub const TENANT_C: &str = "ten_0003";
/// Tenant A's campaign.
pub const CAMPAIGN_A: &str = "cmp_0001";
/// Pending approvals of tenant A, B and C; and one of A already approved.
pub const APPROVAL_A1: &str = "apr_0001";
pub const APPROVAL_A2: &str = "apr_0002";
pub const APPROVAL_B: &str = "apr_0003";
pub const APPROVAL_C: &str = "apr_0004";
pub const APPROVAL_A_DONE: &str = "apr_0005";
/// Tenant A's finished activity: its stream replays the output and ends.
pub const ACTIVITY_DONE: &str = "act_0001";
/// Tenant A's activity that keeps producing: a token every 50 ms, for good.
pub const ACTIVITY_LIVE: &str = "act_0002";
/// Tenant A's activity of the agent run [`RUN`].
pub const ACTIVITY_RUN: &str = "act_0003";
/// Tenant B's running activity.
pub const ACTIVITY_B: &str = "act_0004";
/// A running agent run of tenant A (copywriter).
pub const RUN: &str = "run_0001";
/// The finished activity's output, token by token (one carries a hidden
/// zero-width character, as scraped text can).
pub const DONE_OUTPUT: &[&str] = &["Draft: ", "Three ", "ways ", "to\u{200B} ", "grow."];
pub const ROLES: &[&str] = &["copywriter", "researcher", "sdr"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Tenant,
    DmReviewer,
    SuperAdmin,
}

struct User {
    email: &'static str,
    name: &'static str,
    tenant: &'static str,
    roles: &'static [Role],
    token_secs: u64,
}

const ALL_ROLES: &[Role] = &[Role::Tenant, Role::DmReviewer, Role::SuperAdmin];

const USERS: &[User] = &[
    User {
        email: OPERATOR_EMAIL,
        name: "Example Operator",
        tenant: TENANT_A,
        roles: ALL_ROLES,
        token_secs: 900,
    },
    User {
        email: MARKETER_EMAIL,
        name: "Example Marketer",
        tenant: TENANT_B,
        roles: &[Role::Tenant],
        token_secs: 900,
    },
    User {
        email: SHORT_SESSION_EMAIL,
        name: "Example Short Session",
        tenant: TENANT_A,
        roles: ALL_ROLES,
        token_secs: 30,
    },
];

const TENANTS: &[(&str, &str, &str)] = &[
    (TENANT_A, "Example Tenant A", "owner-a@example.com"),
    (TENANT_B, "Example Tenant B", "owner-b@example.com"),
    (TENANT_C, "Example Tenant C", "owner-c@example.com"),
];

struct Activity {
    id: String,
    tenant: &'static str,
    status: &'static str,
    agent_role: String,
    output: Vec<String>,
    /// Keeps producing output for as long as anyone reads.
    endless: bool,
}

struct Run {
    id: &'static str,
    tenant: &'static str,
    activity: &'static str,
    status: &'static str,
}

struct World {
    counter: u64,
    /// access token → the user (an index into [`USERS`])
    access: Tokens<usize>,
    /// refresh token → user
    refresh: HashMap<String, usize>,
    campaigns: Vec<Map<String, Value>>,
    approvals: Vec<Map<String, Value>>,
    activities: Vec<Activity>,
    runs: Vec<Run>,
    configs: BTreeMap<String, Map<String, Value>>,
    devices: Vec<Value>,
}

type Db = kit::Store<Leadmetrics, World>;

fn approval(
    id: &str,
    tenant: &str,
    activity: &str,
    status: &str,
    title: &str,
) -> Map<String, Value> {
    kit::obj(json!({
        "id": id, "tenantId": tenant, "activityId": activity, "status": status,
        "title": title, "content": "Example draft written by an agent.",
        "createdAt": "2026-06-01T09:00:00.000Z"
    }))
}

fn seed() -> World {
    let activity = |id: &str, tenant, status, output: &[&str], endless| Activity {
        id: id.into(),
        tenant,
        status,
        agent_role: "copywriter".into(),
        output: output.iter().map(|s| s.to_string()).collect(),
        endless,
    };
    let configs = ROLES
        .iter()
        .map(|r| {
            let c = json!({"role": r, "model": "example-model", "temperature": 0.4, "version": 1});
            (r.to_string(), kit::obj(c))
        })
        .collect();
    World {
        counter: 0,
        access: Tokens::default(),
        refresh: HashMap::new(),
        campaigns: TENANTS
            .iter()
            .enumerate()
            .map(|(i, (tenant, _, _))| {
                kit::obj(json!({
                    "id": format!("cmp_{:04}", i + 1), "tenantId": tenant, "status": "active",
                    "brief": "Example brief: reach marketing leads at mid-size companies.",
                    "createdAt": "2026-05-01T09:00:00.000Z"
                }))
            })
            .collect(),
        approvals: vec![
            approval(
                APPROVAL_A1,
                TENANT_A,
                ACTIVITY_DONE,
                "pending",
                "LinkedIn post draft",
            ),
            approval(
                APPROVAL_A2,
                TENANT_A,
                ACTIVITY_RUN,
                "pending",
                "Email sequence draft",
            ),
            approval(
                APPROVAL_B,
                TENANT_B,
                ACTIVITY_B,
                "pending",
                "LinkedIn post draft",
            ),
            approval(
                APPROVAL_C,
                TENANT_C,
                "act_0005",
                "pending",
                "Landing page copy",
            ),
            approval(
                APPROVAL_A_DONE,
                TENANT_A,
                ACTIVITY_DONE,
                "approved",
                "Earlier post",
            ),
        ],
        activities: vec![
            activity(ACTIVITY_DONE, TENANT_A, "completed", DONE_OUTPUT, false),
            activity(ACTIVITY_LIVE, TENANT_A, "running", &["Researching "], true),
            activity(ACTIVITY_RUN, TENANT_A, "running", &["Outline: "], false),
            activity(ACTIVITY_B, TENANT_B, "running", &["Drafting "], false),
        ],
        runs: vec![Run {
            id: RUN,
            tenant: TENANT_A,
            activity: ACTIVITY_RUN,
            status: "running",
        }],
        configs,
        devices: Vec::new(),
    }
}

/// Failures in the assumed (Fastify-style) envelope.
struct Leadmetrics;

impl Vendor for Leadmetrics {
    fn envelope(f: &ApiError) -> Value {
        json!({
            "statusCode": f.status.as_u16(), "code": f.code,
            "error": f.status.canonical_reason().unwrap_or("Error"),
            "message": f.message, "request_id": request_id()
        })
    }

    fn internal() -> ApiError {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Internal error.",
        )
    }

    fn bad_body() -> ApiError {
        bad("body must be an object.")
    }

    fn bad_query(q: &BadQuery) -> ApiError {
        match q.problem {
            Problem::OutOfRange => bad(&format!("{} must be {}-{}.", q.name, q.min, q.max)),
            _ => bad("Invalid pagination."),
        }
    }
}

type ApiError = Failure<Leadmetrics>;
type Result<T> = kit::Result<T, Leadmetrics>;
type Body = kit::Body<Leadmetrics>;

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    Failure::new(status, code, message)
}

fn data(value: Value) -> Response {
    axum::Json(json!({"data": value, "request_id": request_id()})).into_response()
}

fn created(value: Value) -> Response {
    (StatusCode::CREATED, data(value)).into_response()
}

fn bad(message: &str) -> ApiError {
    error(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
}

fn not_found(what: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("{what} not found."),
    )
}

fn conflict(message: &str) -> ApiError {
    error(StatusCode::CONFLICT, "CONFLICT", message)
}

/// Limit/offset pagination: 50 by default, at most 100.
const PAGING: OffsetPaging = OffsetPaging::new(Param::limit(50, 100));

fn list(items: Vec<Value>, q: &kit::Query) -> Result<Response> {
    let page = PAGING.page(items, q)?;
    Ok(axum::Json(json!({
        "data": page.items,
        "pagination": {"limit": page.limit, "offset": page.offset, "total": page.total, "hasMore": page.has_more},
        "request_id": request_id()
    }))
    .into_response())
}

fn text_field(body: &Map<String, Value>, name: &str) -> Result<String> {
    kit::nonblank(body, name)
        .map(str::to_string)
        .ok_or_else(|| bad(&format!("body must have required property '{name}'")))
}

fn decision(body: &Map<String, Value>) -> Result<&'static str> {
    match kit::str_field(body, "decision") {
        Some("approve") => Ok("approved"),
        Some("reject") => Ok("rejected"),
        _ => Err(bad("decision must be approve or reject.")),
    }
}

fn next_id(world: &mut World, prefix: &str) -> String {
    world.counter += 1;
    format!("{prefix}{}", world.counter)
}

/// Issues an access + refresh token pair for `user`.
fn issue(world: &mut World, user: usize) -> Value {
    let access = next_id(world, ACCESS_PREFIX);
    let n = access.trim_start_matches(ACCESS_PREFIX).to_string();
    let refresh = format!("{REFRESH_PREFIX}{n}");
    let secs = USERS[user].token_secs;
    world
        .access
        .issue(access.clone(), user, Duration::from_secs(secs));
    world.refresh.insert(refresh.clone(), user);
    json!({"accessToken": access, "refreshToken": refresh, "expiresIn": secs, "tokenType": "Bearer"})
}

/// The signed-in user of a request, or 401.
fn user(db: &Db, headers: &HeaderMap) -> Result<&'static User> {
    let token = kit::bearer(headers).ok_or_else(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Missing access token.",
        )
    })?;
    if token == STATIC_TOKEN {
        return Ok(&USERS[0]);
    }
    let world = db.lock()?;
    match world.access.check(token) {
        TokenCheck::Valid(user) => Ok(&USERS[*user]),
        TokenCheck::Expired => Err(error(
            StatusCode::UNAUTHORIZED,
            "TOKEN_EXPIRED",
            "Access token expired.",
        )),
        TokenCheck::Unknown => Err(error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Invalid access token.",
        )),
    }
}

fn with_role(db: &Db, headers: &HeaderMap, role: Role) -> Result<&'static User> {
    let u = user(db, headers)?;
    if u.roles.contains(&role) {
        Ok(u)
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "This surface needs another role.",
        ))
    }
}

// --- auth --------------------------------------------------------------------

async fn login(State(db): State<Db>, body: Body) -> Result<Response> {
    let body = body.object_or_empty()?;
    let email = text_field(&body, "email")?;
    let password = text_field(&body, "password")?;
    let Some(i) = USERS
        .iter()
        .position(|u| u.email == email && password == PASSWORD)
    else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Wrong email or password.",
        ));
    };
    let mut world = db.lock()?;
    Ok(data(issue(&mut world, i)))
}

async fn refresh(State(db): State<Db>, body: Body) -> Result<Response> {
    let body = body.object_or_empty()?;
    let token = text_field(&body, "refreshToken")?;
    let mut world = db.lock()?;
    // Rotation: a refresh token works once.
    let Some(user) = world.refresh.remove(&token) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "INVALID_REFRESH_TOKEN",
            "Refresh token revoked or unknown.",
        ));
    };
    Ok(data(issue(&mut world, user)))
}

async fn me(State(db): State<Db>, headers: HeaderMap) -> Result<Response> {
    let u = user(&db, &headers)?;
    let roles: Vec<&str> = u
        .roles
        .iter()
        .map(|r| match r {
            Role::Tenant => "tenant_user",
            Role::DmReviewer => "dm_reviewer",
            Role::SuperAdmin => "super_admin",
        })
        .collect();
    Ok(data(
        json!({"id": format!("usr_{}", u.email.split('@').next().unwrap_or("x")), "name": u.name, "email": u.email, "tenantId": u.tenant, "roles": roles}),
    ))
}

async fn logout(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let u = user(&db, &headers)?;
    let body = body.object_or_empty()?;
    let mut world = db.lock()?;
    let revoked = match kit::str_field(&body, "refreshToken") {
        Some(token) => {
            let owner = world.refresh.get(token).map(|i| USERS[*i].email);
            if owner != Some(u.email) {
                return Err(bad("refreshToken is not this user's."));
            }
            world.refresh.remove(token);
            true
        }
        None => false,
    };
    Ok(data(
        json!({"loggedOut": true, "refreshTokenRevoked": revoked}),
    ))
}

// --- dashboard -----------------------------------------------------------------

async fn list_campaigns(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let u = with_role(&db, &headers, Role::Tenant)?;
    let world = db.lock()?;
    let items = kit::objects(
        world
            .campaigns
            .iter()
            .filter(|c| kit::str_field(c, "tenantId") == Some(u.tenant)),
    );
    list(items, &q)
}

async fn create_campaign(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let u = with_role(&db, &headers, Role::Tenant)?;
    let body = body.object_or_empty()?;
    let brief = text_field(&body, "brief")?;
    let mut world = db.lock()?;
    let id = next_id(&mut world, "cmp_new_");
    let campaign = json!({"id": id, "tenantId": u.tenant, "status": "draft", "brief": brief, "createdAt": "2026-06-02T09:00:00.000Z"});
    world.campaigns.push(kit::obj(campaign.clone()));
    Ok(created(campaign))
}

fn approvals_where(world: &World, tenant: Option<&str>) -> Vec<Value> {
    kit::objects(
        world
            .approvals
            .iter()
            .filter(|a| tenant.is_none_or(|t| kit::str_field(a, "tenantId") == Some(t))),
    )
}

async fn list_approvals(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let u = with_role(&db, &headers, Role::Tenant)?;
    let items = approvals_where(&*db.lock()?, Some(u.tenant));
    list(items, &q)
}

/// Resolves one approval; `Err` when it isn't there or isn't pending.
fn resolve_one(
    world: &mut World,
    id: &str,
    tenant: Option<&str>,
    status: &str,
    comment: Option<&Value>,
    by: &str,
) -> std::result::Result<Value, &'static str> {
    let Some(a) = world.approvals.iter_mut().find(|a| {
        kit::str_field(a, "id") == Some(id)
            && tenant.is_none_or(|t| kit::str_field(a, "tenantId") == Some(t))
    }) else {
        return Err("not found");
    };
    if kit::str_field(a, "status") != Some("pending") {
        return Err("already resolved");
    }
    a.insert("status".into(), json!(status));
    a.insert("resolvedBy".into(), json!(by));
    if let Some(c) = comment {
        a.insert("comment".into(), c.clone());
    }
    Ok(Value::Object(a.clone()))
}

async fn resolve_approval(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response> {
    let u = with_role(&db, &headers, Role::Tenant)?;
    let body = body.object_or_empty()?;
    let status = decision(&body)?;
    let mut world = db.lock()?;
    match resolve_one(
        &mut world,
        &id,
        Some(u.tenant),
        status,
        body.get("comment"),
        u.name,
    ) {
        Ok(a) => Ok(data(a)),
        Err("not found") => Err(not_found("Approval")),
        Err(_) => Err(conflict("Approval already resolved.")),
    }
}

/// An event-stream response, with keep-alive comments.
fn sse(stream: impl Stream<Item = Event> + Send + 'static) -> Response {
    let stream = futures::StreamExt::map(stream, Ok::<Event, Infallible>);
    Sse::new(stream)
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(5))
                .text("keep-alive"),
        )
        .into_response()
}

fn token_event(n: usize, activity: &str, text: &str) -> Event {
    Event::default()
        .event("token")
        .id(n.to_string())
        .data(json!({"activityId": activity, "token": text}).to_string())
}

async fn stream_activity(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let u = with_role(&db, &headers, Role::Tenant)?;
    let world = db.lock()?;
    let Some(a) = world
        .activities
        .iter()
        .find(|a| a.id == id && a.tenant == u.tenant)
    else {
        return Err(not_found("Activity"));
    };
    let replay: Vec<Event> = a
        .output
        .iter()
        .enumerate()
        .map(|(i, t)| token_event(i + 1, &a.id, t))
        .collect();
    let start = replay.len();
    let replay = futures::stream::iter(replay);
    let status = a.status;
    let activity = a.id.clone();
    if a.endless {
        // A token every 50 ms for as long as the client reads.
        let live = futures::stream::unfold(start, move |n| {
            let activity = activity.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let event = token_event(n + 1, &activity, &format!("finding{} ", n + 1));
                Some((event, n + 1))
            }
        });
        return Ok(sse(futures::StreamExt::chain(replay, live)));
    }
    // Otherwise the output so far, then the status, then the end.
    let last = Event::default()
        .event(if status == "completed" {
            "done"
        } else {
            "status"
        })
        .id((start + 1).to_string())
        .data(json!({"activityId": activity, "status": status}).to_string());
    Ok(sse(futures::StreamExt::chain(
        replay,
        futures::stream::once(async move { last }),
    )))
}

async fn stream_events(State(db): State<Db>, headers: HeaderMap) -> Result<Response> {
    let u = with_role(&db, &headers, Role::Tenant)?;
    let tenant = u.tenant;
    let seeded = vec![
        (
            "approval.created",
            json!({"tenantId": tenant, "approvalId": APPROVAL_A2}),
        ),
        (
            "activity.started",
            json!({"tenantId": tenant, "activityId": ACTIVITY_LIVE}),
        ),
        (
            "campaign.updated",
            json!({"tenantId": tenant, "campaignId": CAMPAIGN_A, "status": "active"}),
        ),
    ];
    let count = seeded.len();
    let seeded = futures::stream::iter(seeded.into_iter().enumerate().map(|(i, (name, v))| {
        Event::default()
            .event(name)
            .id((i + 1).to_string())
            .data(v.to_string())
    }));
    // Then progress of the live activity every 200 ms, for good.
    let live = futures::stream::unfold(count, move |n| async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let event = Event::default()
            .event("activity.progress")
            .id((n + 1).to_string())
            .data(
                json!({"tenantId": tenant, "activityId": ACTIVITY_LIVE, "tokens": n + 1})
                    .to_string(),
            );
        Some((event, n + 1))
    });
    Ok(sse(futures::StreamExt::chain(seeded, live)))
}

// --- DM portal -------------------------------------------------------------------

async fn dm_overview(State(db): State<Db>, headers: HeaderMap) -> Result<Response> {
    with_role(&db, &headers, Role::DmReviewer)?;
    let world = db.lock()?;
    let tenants: Vec<Value> = TENANTS
        .iter()
        .map(|(id, name, _)| {
            let pending = world
                .approvals
                .iter()
                .filter(|a| {
                    kit::str_field(a, "tenantId") == Some(id)
                        && kit::str_field(a, "status") == Some("pending")
                })
                .count();
            let running: Vec<&str> = world
                .activities
                .iter()
                .filter(|a| a.tenant == *id && a.status == "running")
                .map(|a| a.id.as_str())
                .collect();
            json!({"tenantId": id, "name": name, "pendingApprovals": pending, "runningActivities": running})
        })
        .collect();
    Ok(data(json!({"tenants": tenants})))
}

async fn dm_approvals(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    with_role(&db, &headers, Role::DmReviewer)?;
    let items = approvals_where(&*db.lock()?, None);
    list(items, &q)
}

async fn dm_bulk_resolve(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let u = with_role(&db, &headers, Role::DmReviewer)?;
    let body = body.object_or_empty()?;
    let status = decision(&body)?;
    let ids: Vec<String> = body
        .get("approvalIds")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect())
        .ok_or_else(|| bad("approvalIds must be a non-empty array of ids."))?;
    let mut world = db.lock()?;
    let (mut resolved, mut skipped) = (Vec::new(), Vec::new());
    for id in ids {
        match resolve_one(&mut world, &id, None, status, body.get("comment"), u.name) {
            Ok(_) => resolved.push(json!(id)),
            Err(why) => skipped.push(json!({"id": id, "reason": why})),
        }
    }
    Ok(data(
        json!({"decision": status, "resolved": resolved, "skipped": skipped}),
    ))
}

async fn dm_pause(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    with_role(&db, &headers, Role::DmReviewer)?;
    let mut world = db.lock()?;
    let a = world
        .activities
        .iter_mut()
        .find(|a| a.id == id)
        .ok_or_else(|| not_found("Activity"))?;
    if a.status != "running" && a.status != "paused" {
        return Err(conflict("Only a running activity can be paused."));
    }
    a.status = "paused";
    Ok(data(
        json!({"id": a.id, "tenantId": a.tenant, "status": a.status}),
    ))
}

// --- admin ------------------------------------------------------------------------

async fn tenants(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    with_role(&db, &headers, Role::SuperAdmin)?;
    let items = TENANTS
        .iter()
        .map(|(id, name, owner)| {
            json!({"id": id, "name": name, "plan": "growth", "ownerName": format!("Owner of {name}"), "ownerEmail": owner})
        })
        .collect();
    list(items, &q)
}

async fn impersonate(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    with_role(&db, &headers, Role::SuperAdmin)?;
    let Some((tenant, name, _)) = TENANTS.iter().find(|(t, _, _)| *t == id) else {
        return Err(not_found("Tenant"));
    };
    let mut world = db.lock()?;
    let token = next_id(&mut world, "lm_impersonation_");
    Ok(created(json!({
        "tenantId": tenant, "tenantName": name, "token": token, "expiresIn": 900
    })))
}

fn role_config<'a>(world: &'a mut World, role: &str) -> Result<&'a mut Map<String, Value>> {
    world
        .configs
        .get_mut(role)
        .ok_or_else(|| not_found("Agent config"))
}

async fn update_config(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(role): Path<String>,
    body: Body,
) -> Result<Response> {
    with_role(&db, &headers, Role::SuperAdmin)?;
    let body = body.object_or_empty()?;
    if body.is_empty() || body.contains_key("role") || body.contains_key("version") {
        return Err(bad(
            "Give the config fields to change (not role or version).",
        ));
    }
    let mut world = db.lock()?;
    let config = role_config(&mut world, &role)?;
    config.extend(body);
    let version = config.get("version").and_then(Value::as_u64).unwrap_or(0) + 1;
    config.insert("version".into(), json!(version));
    Ok(data(Value::Object(config.clone())))
}

async fn push_config(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(role): Path<String>,
    body: Body,
) -> Result<Response> {
    with_role(&db, &headers, Role::SuperAdmin)?;
    let body = body.object_or_empty()?;
    let targets: Vec<String> = match body.get("tenantIds") {
        None => TENANTS.iter().map(|t| t.0.to_string()).collect(),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|v| {
                v.as_str()
                    .filter(|id| TENANTS.iter().any(|t| t.0 == *id))
                    .map(str::to_string)
                    .ok_or_else(|| bad("tenantIds names an unknown tenant."))
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(bad("tenantIds must be an array.")),
    };
    let mut world = db.lock()?;
    let version = role_config(&mut world, &role)?
        .get("version")
        .cloned()
        .unwrap_or(Value::Null);
    Ok(data(
        json!({"role": role, "version": version, "pushedTo": targets}),
    ))
}

async fn system_health(State(db): State<Db>, headers: HeaderMap) -> Result<Response> {
    with_role(&db, &headers, Role::SuperAdmin)?;
    Ok(data(json!({
        "status": "ok", "version": "sandbox",
        "services": {"api": "ok", "database": "ok", "queue": "ok", "agents": "ok"}
    })))
}

// --- mobile -----------------------------------------------------------------------

async fn register_device(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let u = with_role(&db, &headers, Role::Tenant)?;
    let body = body.object_or_empty()?;
    text_field(&body, "token")?;
    let platform = match body.get("platform") {
        None => Value::Null,
        Some(p) if p == "ios" || p == "android" => p.clone(),
        Some(_) => return Err(bad("platform must be ios or android.")),
    };
    let mut world = db.lock()?;
    let id = next_id(&mut world, "dev_");
    let device = json!({"id": id, "userEmail": u.email, "platform": platform, "registeredAt": "2026-06-02T09:00:00.000Z"});
    world.devices.push(device.clone());
    Ok(created(
        json!({"id": id, "platform": platform, "registeredAt": "2026-06-02T09:00:00.000Z"}),
    ))
}

fn notifications_of(u: &User) -> Vec<Value> {
    (1..=3)
        .map(|i| {
            json!({
                "id": format!("ntf_{i:04}"), "tenantId": u.tenant, "read": i > 1,
                "title": "Approval waiting", "body": "An agent finished a draft for review.",
                "createdAt": format!("2026-06-0{i}T09:00:00.000Z")
            })
        })
        .collect()
}

async fn notifications(
    State(db): State<Db>,
    headers: HeaderMap,
    Query(q): Query<kit::Query>,
) -> Result<Response> {
    let u = with_role(&db, &headers, Role::Tenant)?;
    list(notifications_of(u), &q)
}

async fn home(State(db): State<Db>, headers: HeaderMap) -> Result<Response> {
    let u = with_role(&db, &headers, Role::Tenant)?;
    let world = db.lock()?;
    let pending = approvals_where(&world, Some(u.tenant))
        .into_iter()
        .filter(|a| a["status"] == "pending")
        .count();
    let campaigns: Vec<Value> = world
        .campaigns
        .iter()
        .filter(|c| kit::str_field(c, "tenantId") == Some(u.tenant))
        .map(|c| json!({"id": c.get("id"), "status": c.get("status")}))
        .collect();
    let running: Vec<&str> = world
        .activities
        .iter()
        .filter(|a| a.tenant == u.tenant && a.status == "running")
        .map(|a| a.id.as_str())
        .collect();
    let latest: Vec<Value> = notifications_of(u).into_iter().take(2).collect();
    Ok(data(json!({
        "pendingApprovals": pending, "campaigns": campaigns,
        "runningActivities": running, "latestNotifications": latest
    })))
}

// --- agent callbacks ------------------------------------------------------------------

/// The run, checked against the caller's tenant (a super-admin sees all).
fn run_of<'a>(world: &'a mut World, u: &User, run_id: &str) -> Result<&'a mut Run> {
    world
        .runs
        .iter_mut()
        .find(|r| r.id == run_id && (r.tenant == u.tenant || u.roles.contains(&Role::SuperAdmin)))
        .ok_or_else(|| not_found("Run"))
}

fn running_run<'a>(world: &'a mut World, u: &User, run_id: &str) -> Result<&'a mut Run> {
    let run = run_of(world, u, run_id)?;
    if run.status != "running" {
        return Err(conflict("The run is not running."));
    }
    Ok(run)
}

fn activity_mut<'a>(world: &'a mut World, id: &str) -> Result<&'a mut Activity> {
    world
        .activities
        .iter_mut()
        .find(|a| a.id == id)
        .ok_or_else(|| not_found("Activity"))
}

async fn run_result(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(run_id): Path<String>,
    body: Body,
) -> Result<Response> {
    let u = user(&db, &headers)?;
    let body = body.object_or_empty()?;
    if !body
        .get("result")
        .is_some_and(|r| r.is_string() || r.is_object())
    {
        return Err(bad("body must have required property 'result'"));
    }
    let mut world = db.lock()?;
    let run = running_run(&mut world, u, &run_id)?;
    run.status = "completed";
    let activity = run.activity;
    activity_mut(&mut world, activity)?.status = "completed";
    Ok(data(
        json!({"runId": run_id, "status": "completed", "activityId": activity}),
    ))
}

async fn run_stream(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(run_id): Path<String>,
    body: Body,
) -> Result<Response> {
    let u = user(&db, &headers)?;
    let body = body.object_or_empty()?;
    let output = body
        .get("output")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("body must have required property 'output'"))?
        .to_string();
    let done = body.get("done").and_then(Value::as_bool).unwrap_or(false);
    let mut world = db.lock()?;
    let activity = running_run(&mut world, u, &run_id)?.activity;
    let a = activity_mut(&mut world, activity)?;
    a.output.push(output.clone());
    Ok(data(json!({
        "runId": run_id, "activityId": activity, "received": output.chars().count(),
        "tokens": a.output.len(), "done": done
    })))
}

async fn run_context(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(run_id): Path<String>,
) -> Result<Response> {
    let u = user(&db, &headers)?;
    let mut world = db.lock()?;
    let run = run_of(&mut world, u, &run_id)?;
    let (tenant, activity, status) = (run.tenant, run.activity, run.status);
    let role = activity_mut(&mut world, activity)?.agent_role.clone();
    Ok(data(json!({
        "runId": run_id, "status": status, "tenantId": tenant, "agentRole": role,
        "activity": {"id": activity},
        "campaign": {"id": CAMPAIGN_A, "brief": "Example brief: reach marketing leads at mid-size companies."},
        "instructions": "Write a three-part email sequence for the campaign."
    })))
}

async fn run_action(
    State(db): State<Db>,
    headers: HeaderMap,
    Path((run_id, action)): Path<(String, String)>,
    body: Body,
) -> Result<Response> {
    let u = user(&db, &headers)?;
    let body = body.object_or_empty()?;
    let mut world = db.lock()?;
    let run = running_run(&mut world, u, &run_id)?;
    let (tenant, activity) = (run.tenant, run.activity);
    let answer = match action.as_str() {
        "create-subtask" => {
            let role = text_field(&body, "agentRole")?;
            text_field(&body, "instructions")?;
            if !ROLES.contains(&role.as_str()) {
                return Err(bad("agentRole is not a known agent role."));
            }
            let id = next_id(&mut world, "run_sub_");
            json!({"subtaskRunId": id, "parentRunId": run_id, "agentRole": role, "status": "queued"})
        }
        "create-approval" => {
            let title = text_field(&body, "title")?;
            let id = next_id(&mut world, "apr_new_");
            let mut a = approval(&id, tenant, activity, "pending", &title);
            if let Some(d) = body.get("details") {
                a.insert("content".into(), d.clone());
            }
            world.approvals.push(a);
            json!({"approvalId": id, "status": "pending"})
        }
        "request-review" => {
            text_field(&body, "message")?;
            let id = next_id(&mut world, "rev_");
            json!({"reviewId": id, "runId": run_id, "status": "requested"})
        }
        "report-blocker" => {
            text_field(&body, "reason")?;
            activity_mut(&mut world, activity)?.status = "blocked";
            json!({"activityId": activity, "status": "blocked"})
        }
        "reassign" => {
            let role = text_field(&body, "agentRole")?;
            if !ROLES.contains(&role.as_str()) {
                return Err(bad("agentRole is not a known agent role."));
            }
            activity_mut(&mut world, activity)?.agent_role = role.clone();
            json!({"activityId": activity, "agentRole": role})
        }
        _ => return Err(not_found("Route")),
    };
    Ok(data(answer))
}

fn known_role(role: &str) -> Result<()> {
    if ROLES.contains(&role) {
        Ok(())
    } else {
        Err(not_found("Agent role"))
    }
}

async fn adapter_health(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(role): Path<String>,
) -> Result<Response> {
    user(&db, &headers)?;
    known_role(&role)?;
    Ok(data(
        json!({"agentRole": role, "status": "healthy", "adapter": "sandbox", "latencyMs": 42}),
    ))
}

async fn skills(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(role): Path<String>,
) -> Result<Response> {
    user(&db, &headers)?;
    known_role(&role)?;
    Ok(data(json!({"agentRole": role, "skills": [
        {"name": "linkedin-post", "version": "1.2.0", "description": "Write a LinkedIn post from a brief."},
        {"name": "email-sequence", "version": "0.9.1", "description": "Write a short email sequence."}
    ]})))
}

async fn skill_content(
    State(db): State<Db>,
    headers: HeaderMap,
    Path((role, skill)): Path<(String, String)>,
) -> Result<Response> {
    user(&db, &headers)?;
    known_role(&role)?;
    if skill != "linkedin-post" && skill != "email-sequence" {
        return Err(not_found("Skill"));
    }
    Ok(data(json!({
        "agentRole": role, "name": skill, "version": "1.2.0",
        "content": format!("# {skill}\n\nExample skill text: steps an agent follows.")
    })))
}

async fn fallback() -> ApiError {
    not_found("Route")
}

pub fn router() -> Router {
    let db = Db::new(seed());
    Router::new()
        .route("/auth/v1/login", post(login))
        .route("/auth/v1/refresh", post(refresh))
        .route("/auth/v1/me", get(me))
        .route("/auth/v1/logout", post(logout))
        .route(
            "/dashboard/v1/campaigns",
            get(list_campaigns).post(create_campaign),
        )
        .route("/dashboard/v1/approvals", get(list_approvals))
        .route(
            "/dashboard/v1/approvals/{id}/resolve",
            post(resolve_approval),
        )
        .route("/dashboard/v1/activities/{id}/stream", get(stream_activity))
        .route("/dashboard/v1/events/stream", get(stream_events))
        .route("/dm/v1/overview", get(dm_overview))
        .route("/dm/v1/approvals", get(dm_approvals))
        .route("/dm/v1/approvals/bulk/resolve", post(dm_bulk_resolve))
        .route("/dm/v1/activities/{id}/pause", post(dm_pause))
        .route("/admin/v1/tenants", get(tenants))
        .route("/admin/v1/tenants/{id}/impersonate", post(impersonate))
        .route("/admin/v1/agent-configs/{role}", patch(update_config))
        .route("/admin/v1/agent-configs/{role}/push", post(push_config))
        .route("/admin/v1/system/health", get(system_health))
        .route("/mobile/v1/push/devices", post(register_device))
        .route("/mobile/v1/notifications", get(notifications))
        .route("/mobile/v1/home", get(home))
        .route("/agent/v1/runs/{run_id}/result", post(run_result))
        .route("/agent/v1/runs/{run_id}/stream", post(run_stream))
        .route("/agent/v1/runs/{run_id}/context", get(run_context))
        .route("/agent/v1/runs/{run_id}/actions/{action}", post(run_action))
        .route("/agent/v1/health/{role}", get(adapter_health))
        .route("/agent/v1/skills/{role}", get(skills))
        .route("/agent/v1/skills/{role}/{skill}", get(skill_content))
        .fallback(fallback)
        .with_state(db)
}
