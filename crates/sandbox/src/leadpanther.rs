//! The LeadPanther API v1 simulation: the guide's envelopes, limit/offset
//! pagination, key scopes, agency-client grants (Client A and B granted,
//! Client C not), 409 on published posts, and the guide's placeholder data.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use serde_json::{Map, Value, json};

use crate::kit::{self, BadQuery, Failure, OffsetPaging, Param, Simulation, Vendor, request_id};

pub const SIMULATION: Simulation = Simulation {
    vendor: "leadpanther",
    base_path: "/api/v1",
    env: |base| {
        vec![
            ("LEADPANTHER_BASE_URL".into(), base.to_string()),
            ("LEADPANTHER_API_KEY".into(), FULL_KEY.into()),
        ]
    },
    router,
};

/// A key with every scope.
pub const FULL_KEY: &str = "lp_sandbox_full_access";
/// A key with the read scopes only.
pub const READ_KEY: &str = "lp_sandbox_read_only";

pub const AGENCY: &str = "00000000-0000-4000-8000-000000000000";
pub const CLIENT_A: &str = "00000000-0000-4000-8000-000000000001";
pub const CLIENT_B: &str = "00000000-0000-4000-8000-000000000002";
/// A client of the agency without an active grant.
pub const CLIENT_C: &str = "00000000-0000-4000-8000-000000000003";

const READ_SCOPES: &[&str] = &[
    "clients:read",
    "posts:read",
    "lead_magnets:read",
    "analytics:read",
    "leads:read",
    "activity:read",
];
const WRITE_SCOPES: &[&str] = &["posts:write", "lead_magnets:write", "media:write"];

struct Client {
    id: &'static str,
    name: &'static str,
    granted: bool,
}

const CLIENTS: &[Client] = &[
    Client {
        id: CLIENT_A,
        name: "Client A",
        granted: true,
    },
    Client {
        id: CLIENT_B,
        name: "Client B",
        granted: true,
    },
    Client {
        id: CLIENT_C,
        name: "Client C",
        granted: false,
    },
];

#[derive(Default)]
struct Account {
    posts: Vec<Map<String, Value>>,
    lead_magnets: Vec<Map<String, Value>>,
    leads: Vec<Value>,
    activity: Vec<Value>,
    media: Vec<String>,
}

struct World {
    accounts: HashMap<String, Account>,
    next_id: u64,
}

fn new_id(next_id: &mut u64) -> String {
    *next_id += 1;
    format!("00000000-0000-4000-8000-{:012}", *next_id)
}

type Db = kit::Store<LeadPanther, World>;

fn seed() -> World {
    let mut world = World {
        accounts: HashMap::new(),
        next_id: 1000,
    };
    for (n, account) in [AGENCY, CLIENT_A, CLIENT_B, CLIENT_C]
        .into_iter()
        .enumerate()
    {
        let mut a = Account::default();
        for (i, status) in ["draft", "scheduled", "published"].into_iter().enumerate() {
            let id = format!("00000000-0000-4000-8000-0000000{n}01{i:02}");
            let mut post = Map::new();
            post.insert("id".into(), json!(id));
            post.insert(
                "text".into(),
                json!(format!("Public-safe LinkedIn post copy {}.", i + 1)),
            );
            post.insert("status".into(), json!(status));
            post.insert(
                "scheduled_at".into(),
                if status == "draft" {
                    Value::Null
                } else {
                    json!("2026-06-01T09:00:00.000Z")
                },
            );
            post.insert("theme_id".into(), Value::Null);
            post.insert("template_id".into(), Value::Null);
            post.insert("images".into(), json!([]));
            post.insert("document_url".into(), Value::Null);
            post.insert("notes".into(), json!("Example internal note."));
            post.insert("created_at".into(), json!("2026-05-20T10:00:00.000Z"));
            a.posts.push(post);
        }
        let mut magnet = Map::new();
        magnet.insert(
            "id".into(),
            json!(format!("00000000-0000-4000-8000-0000000{n}0200")),
        );
        magnet.insert("title".into(), json!("Example checklist"));
        magnet.insert("status".into(), json!("active"));
        magnet.insert("created_at".into(), json!("2026-05-10T10:00:00.000Z"));
        a.lead_magnets.push(magnet);
        for i in 1..=3 {
            a.leads.push(json!({
                "id": format!("00000000-0000-4000-8000-0000000{n}03{i:02}"),
                "name": format!("Example Person {i}"),
                "linkedin_url": format!("https://www.linkedin.com/in/example-person-{i}"),
                "submitted_email": "person@example.com",
                "work_email": "person@example.com",
                "personal_email": null,
                "source": "lead_magnet",
                "intent_signals": ["downloaded lead magnet"],
                "qualification_status": if i == 1 { "qualified" } else { "new" },
                "created_at": "2026-05-21T10:00:00.000Z"
            }));
            a.activity.push(json!({
                "id": format!("00000000-0000-4000-8000-0000000{n}04{i:02}"),
                "type": if i % 2 == 0 { "comment" } else { "message" },
                "content": "REDACTED_MESSAGE_CONTENT",
                "author": {"name": format!("Example Person {i}"), "linkedin_url": format!("https://www.linkedin.com/in/example-person-{i}")},
                "message_id": "REDACTED_PLATFORM_MESSAGE_ID",
                "chat_id": "REDACTED_PLATFORM_MESSAGE_ID",
                "comment_id": null,
                "source": "linkedin",
                "intent": {"label": "interested"},
                "created_at": "2026-05-22T10:00:00.000Z"
            }));
        }
        world.accounts.insert(account.to_string(), a);
    }
    world
}

/// The guide's way of failing: `{"error": {"code", "message"}, "request_id"}`.
struct LeadPanther;

impl Vendor for LeadPanther {
    fn envelope(f: &ApiError) -> Value {
        json!({"error": {"code": f.code, "message": f.message}, "request_id": request_id()})
    }

    fn internal() -> ApiError {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal error.",
        )
    }

    fn bad_body() -> ApiError {
        invalid_payload()
    }

    fn bad_query(_: &BadQuery) -> ApiError {
        error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Invalid query parameters.",
        )
    }
}

type ApiError = Failure<LeadPanther>;
type Result<T> = kit::Result<T, LeadPanther>;
type Body = kit::Body<LeadPanther>;

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    Failure::new(status, code, message)
}

fn invalid_payload() -> ApiError {
    error(StatusCode::BAD_REQUEST, "bad_request", "Invalid payload.")
}

fn data(value: Value) -> Response {
    axum::Json(json!({"data": value, "request_id": request_id()})).into_response()
}

fn scopes(headers: &HeaderMap) -> Result<Vec<&'static str>> {
    match kit::bearer(headers) {
        Some(FULL_KEY) => Ok(READ_SCOPES.iter().chain(WRITE_SCOPES).copied().collect()),
        Some(READ_KEY) => Ok(READ_SCOPES.to_vec()),
        _ => Err(error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or invalid API key.",
        )),
    }
}

/// The account a call acts on: the key owner's, or an agency client's
/// when the route is under `/clients/{clientId}` (which needs a grant).
fn account(headers: &HeaderMap, params: &HashMap<String, String>, scope: &str) -> Result<String> {
    let granted = scopes(headers)?;
    if !granted.contains(&scope) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("API key is missing the {scope} scope."),
        ));
    }
    match params.get("client_id") {
        None => Ok(AGENCY.to_string()),
        Some(id) => match CLIENTS.iter().find(|c| c.id == id) {
            None => Err(error(
                StatusCode::NOT_FOUND,
                "not_found",
                "Client not found.",
            )),
            Some(c) if !c.granted => Err(error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "No active agency-client grant for this client.",
            )),
            Some(c) => Ok(c.id.to_string()),
        },
    }
}

/// Limit/offset pagination: 50 by default, at most 100.
const PAGING: OffsetPaging = OffsetPaging::new(Param::limit(50, 100));

fn list(items: Vec<Value>, query: &kit::Query) -> Result<Response> {
    let page = PAGING.page(items, query)?;
    Ok(axum::Json(json!({
        "data": page.items,
        "pagination": {"limit": page.limit, "offset": page.offset, "has_more": page.has_more},
        "request_id": request_id()
    }))
    .into_response())
}

/// Runs `f` on one account's data and the id counter, under the lock.
fn with_account<T>(
    db: &Db,
    account: &str,
    f: impl FnOnce(&mut Account, &mut u64) -> Result<T>,
) -> Result<T> {
    let mut world = db.lock()?;
    let World { accounts, next_id } = &mut *world;
    f(accounts.entry(account.to_string()).or_default(), next_id)
}

const POST_FIELDS: &[&str] = &[
    "text",
    "status",
    "scheduled_at",
    "theme_id",
    "template_id",
    "images",
    "document_url",
    "notes",
];
const POST_STATUSES: &[&str] = &["draft", "scheduled"];

fn check_post_fields(fields: &Map<String, Value>) -> Result<()> {
    for (k, v) in fields {
        let ok = match k.as_str() {
            "text" | "notes" => v.is_string(),
            "status" => v.as_str().is_some_and(|s| POST_STATUSES.contains(&s)),
            "scheduled_at" | "theme_id" | "template_id" | "document_url" => {
                v.is_string() || v.is_null()
            }
            "images" => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            _ => false,
        };
        if !ok {
            return Err(invalid_payload());
        }
    }
    Ok(())
}

async fn metadata() -> Response {
    data(
        json!({"name": "LeadPanther API", "version": "v1", "base_url": "https://app.leadpanther.ai/api/v1", "environment": "sandbox"}),
    )
}

async fn me(headers: HeaderMap) -> Result<Response> {
    let granted = scopes(&headers)?;
    Ok(data(json!({
        "subject": {"type": "api_key", "name": "Sandbox key", "scopes": granted},
        "account": {"id": AGENCY, "name": "Example Agency", "type": "agency"}
    })))
}

fn client_json(c: &Client) -> Value {
    json!({"id": c.id, "user_id": c.id, "name": c.name, "grant_status": if c.granted { "active" } else { "none" }})
}

/// The path parameters of a route: `client_id` under `/clients/{client_id}`, and `id`.
type Params = HashMap<String, String>;

fn path_id(p: &Params) -> String {
    p.get("id").cloned().unwrap_or_default()
}

async fn list_clients(headers: HeaderMap, Query(q): Query<kit::Query>) -> Result<Response> {
    account(&headers, &HashMap::new(), "clients:read")?;
    list(CLIENTS.iter().map(client_json).collect(), &q)
}

async fn get_client(headers: HeaderMap, Path(p): Path<Params>) -> Result<Response> {
    account(&headers, &HashMap::new(), "clients:read")?;
    let id = p.get("client_id").cloned().unwrap_or_default();
    CLIENTS
        .iter()
        .find(|c| c.id == id)
        .map(|c| data(client_json(c)))
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "not_found", "Client not found."))
}

/// An account's posts or lead magnets, which share the shape of their routes.
type Collection = fn(&mut Account) -> &mut Vec<Map<String, Value>>;

fn posts(a: &mut Account) -> &mut Vec<Map<String, Value>> {
    &mut a.posts
}

fn magnets(a: &mut Account) -> &mut Vec<Map<String, Value>> {
    &mut a.lead_magnets
}

/// The item `id` of a collection; `what` names it in the 404.
fn find<'a>(
    items: &'a mut [Map<String, Value>],
    id: &str,
    what: &str,
) -> Result<&'a mut Map<String, Value>> {
    kit::find_by(items, "id", id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found."),
        )
    })
}

/// `GET` of a list of the account scope: the scope it needs and what it lists.
fn listing(scope: &'static str, items: fn(&mut Account) -> Vec<Value>) -> MethodRouter<Db> {
    get(
        move |State(db): State<Db>,
              headers: HeaderMap,
              Path(p): Path<Params>,
              Query(q): Query<kit::Query>| async move {
            let acc = account(&headers, &p, scope)?;
            let items = with_account(&db, &acc, |a, _| Ok(items(a)))?;
            list(items, &q)
        },
    )
}

/// `GET` of one post or lead magnet.
fn fetching(scope: &'static str, items: Collection, what: &'static str) -> MethodRouter<Db> {
    get(
        move |State(db): State<Db>, headers: HeaderMap, Path(p): Path<Params>| async move {
            let acc = account(&headers, &p, scope)?;
            let id = path_id(&p);
            let item = with_account(&db, &acc, |a, _| find(items(a), &id, what).cloned())?;
            Ok::<_, ApiError>(data(Value::Object(item)))
        },
    )
}

async fn create_post(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(p): Path<Params>,
    body: Body,
) -> Result<Response> {
    let acc = account(&headers, &p, "posts:write")?;
    let fields = body.object()?;
    check_post_fields(&fields)?;
    if kit::nonblank(&fields, "text").is_none() {
        return Err(invalid_payload());
    }
    let post = with_account(&db, &acc, |a, world| {
        let mut post = Map::new();
        post.insert("id".into(), json!(new_id(world)));
        for f in POST_FIELDS {
            post.insert(
                (*f).into(),
                fields.get(*f).cloned().unwrap_or(match *f {
                    "status" => json!("draft"),
                    "images" => json!([]),
                    _ => Value::Null,
                }),
            );
        }
        post.insert("created_at".into(), json!("2026-06-01T00:00:00.000Z"));
        a.posts.push(post.clone());
        Ok(post)
    })?;
    Ok((StatusCode::CREATED, data(Value::Object(post))).into_response())
}

/// Published and publishing posts can't be changed (409).
fn locked(post: &Map<String, Value>) -> bool {
    matches!(
        kit::str_field(post, "status"),
        Some("published" | "publishing")
    )
}

async fn update_post(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(p): Path<Params>,
    body: Body,
) -> Result<Response> {
    let acc = account(&headers, &p, "posts:write")?;
    let fields = body.object()?;
    check_post_fields(&fields)?;
    let id = path_id(&p);
    let post = with_account(&db, &acc, |a, _| {
        let post = find(&mut a.posts, &id, "Post")?;
        if locked(post) {
            return Err(error(
                StatusCode::CONFLICT,
                "conflict",
                "Published or publishing posts cannot be updated.",
            ));
        }
        post.extend(fields);
        Ok(post.clone())
    })?;
    Ok(data(Value::Object(post)))
}

async fn delete_post(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(p): Path<Params>,
) -> Result<Response> {
    let acc = account(&headers, &p, "posts:write")?;
    let id = path_id(&p);
    with_account(&db, &acc, |a, _| {
        if locked(find(&mut a.posts, &id, "Post")?) {
            return Err(error(
                StatusCode::CONFLICT,
                "conflict",
                "Published or publishing posts cannot be deleted.",
            ));
        }
        a.posts
            .retain(|p| kit::str_field(p, "id") != Some(id.as_str()));
        Ok(())
    })?;
    Ok(data(json!({"id": id, "deleted": true})))
}

async fn post_engagement(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(p): Path<Params>,
) -> Result<Response> {
    let acc = account(&headers, &p, "analytics:read")?;
    let id = path_id(&p);
    let published = with_account(&db, &acc, |a, _| {
        find(&mut a.posts, &id, "Post").map(|p| locked(p))
    })?;
    let (impressions, reactions, comments) = if published { (1200, 48, 9) } else { (0, 0, 0) };
    Ok(data(
        json!({"post_id": id, "impressions": impressions, "reactions": reactions, "comments": comments, "reposts": 2 * comments / 9}),
    ))
}

async fn create_magnet(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(p): Path<Params>,
    body: Body,
) -> Result<Response> {
    let acc = account(&headers, &p, "lead_magnets:write")?;
    let fields = body.object()?;
    if kit::nonblank(&fields, "title").is_none() {
        return Err(invalid_payload());
    }
    let magnet = with_account(&db, &acc, |a, world| {
        let mut m = fields.clone();
        m.insert("id".into(), json!(new_id(world)));
        m.insert("status".into(), json!("active"));
        a.lead_magnets.push(m.clone());
        Ok(m)
    })?;
    Ok((StatusCode::CREATED, data(Value::Object(magnet))).into_response())
}

async fn update_magnet(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(p): Path<Params>,
    body: Body,
) -> Result<Response> {
    let acc = account(&headers, &p, "lead_magnets:write")?;
    let fields = body.object()?;
    if fields.is_empty() || fields.contains_key("id") {
        return Err(invalid_payload());
    }
    let id = path_id(&p);
    let m = with_account(&db, &acc, |a, _| {
        let m = find(&mut a.lead_magnets, &id, "Lead magnet")?;
        m.extend(fields);
        Ok(m.clone())
    })?;
    Ok(data(Value::Object(m)))
}

async fn archive_magnet(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(p): Path<Params>,
) -> Result<Response> {
    let acc = account(&headers, &p, "lead_magnets:write")?;
    let id = path_id(&p);
    let m = with_account(&db, &acc, |a, _| {
        let m = find(&mut a.lead_magnets, &id, "Lead magnet")?;
        m.insert("status".into(), json!("archived"));
        Ok(m.clone())
    })?;
    Ok(data(Value::Object(m)))
}

async fn magnet_analytics(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(p): Path<Params>,
) -> Result<Response> {
    let acc = account(&headers, &p, "analytics:read")?;
    let id = path_id(&p);
    with_account(&db, &acc, |a, _| {
        find(&mut a.lead_magnets, &id, "Lead magnet").map(|_| ())
    })?;
    Ok(data(
        json!({"lead_magnet_id": id, "views": 340, "leads": 3, "conversion_rate": 0.0088}),
    ))
}

async fn upload_url(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(p): Path<Params>,
    body: Body,
) -> Result<Response> {
    let acc = account(&headers, &p, "media:write")?;
    let fields = body.object()?;
    let Some(name) = kit::str_field(&fields, "file_name").filter(|n| !n.is_empty()) else {
        return Err(invalid_payload());
    };
    let path = with_account(&db, &acc, |a, world| {
        let path = format!("media/{}/{name}", new_id(world));
        a.media.push(path.clone());
        Ok(path)
    })?;
    Ok(data(
        json!({"upload_url": "REDACTED_SIGNED_UPLOAD_URL", "upload_token": "REDACTED_UPLOAD_TOKEN", "path": path, "expires_in": 900}),
    ))
}

async fn delete_media(
    State(db): State<Db>,
    headers: HeaderMap,
    Path(p): Path<Params>,
    body: Body,
) -> Result<Response> {
    let acc = account(&headers, &p, "media:write")?;
    let fields = body.object()?;
    let Some(path) = kit::str_field(&fields, "path").map(str::to_string) else {
        return Err(invalid_payload());
    };
    with_account(&db, &acc, |a, _| {
        let before = a.media.len();
        a.media.retain(|m| *m != path);
        if a.media.len() == before {
            return Err(error(
                StatusCode::NOT_FOUND,
                "not_found",
                "Media not found.",
            ));
        }
        Ok(())
    })?;
    Ok(data(json!({"path": path, "deleted": true})))
}

async fn not_found() -> ApiError {
    error(StatusCode::NOT_FOUND, "not_found", "Not found.")
}

/// The routes of one account scope, mounted at `/` and `/clients/{client_id}`.
fn account_routes() -> Router<Db> {
    Router::new()
        .route(
            "/posts",
            listing("posts:read", |a| kit::objects(&a.posts)).post(create_post),
        )
        .route(
            "/posts/{id}",
            fetching("posts:read", posts, "Post")
                .patch(update_post)
                .delete(delete_post),
        )
        .route("/posts/{id}/engagement", get(post_engagement))
        .route(
            "/lead-magnets",
            listing("lead_magnets:read", |a| kit::objects(&a.lead_magnets)).post(create_magnet),
        )
        .route(
            "/lead-magnets/{id}",
            fetching("lead_magnets:read", magnets, "Lead magnet")
                .patch(update_magnet)
                .delete(archive_magnet),
        )
        .route("/lead-magnets/{id}/analytics", get(magnet_analytics))
        .route("/media/upload-url", post(upload_url))
        .route("/media", delete(delete_media))
        .route("/leads", listing("leads:read", |a| a.leads.clone()))
        .route(
            "/activity",
            listing("activity:read", |a| a.activity.clone()),
        )
}

pub fn router() -> Router {
    let db = Db::new(seed());
    Router::new()
        .route("/", get(metadata))
        .route("/me", get(me))
        .route("/clients", get(list_clients))
        .route("/clients/{client_id}", get(get_client))
        .merge(account_routes())
        .nest("/clients/{client_id}", account_routes())
        .fallback(not_found)
        .with_state(db)
}
