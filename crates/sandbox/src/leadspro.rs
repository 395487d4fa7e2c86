//! The Leads Pro simulation: the reference's routes, its response model
//! (`person`, `company`, `meta.request_id`, `meta.credits_used`) and its
//! error codes, over a small anonymized dataset (example.com domains,
//! 555-01xx phone numbers). Each key is a workspace on a plan with monthly
//! credits that run down (one per matched lookup), batch access or not, and
//! a per-minute rate limit answered with 429 + `Retry-After`.
//!
//! What the reference doesn't show, the simulation chooses, and the README
//! says so: the error body `{"error": {"code", "message", "param"}, "meta"}`,
//! searches and no-matches spending no credits, and the usage body.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::kit::{self, BadQuery, Failure, Simulation, Vendor, request_id};

pub const SIMULATION: Simulation = Simulation {
    vendor: "leadspro",
    base_path: "/api",
    env: |base| {
        vec![
            ("LEADSPRO_BASE_URL".into(), base.to_string()),
            ("LEADSPRO_API_KEY".into(), GROWTH_KEY.into()),
        ]
    },
    router,
};

/// Growth plan: batch, 500 credits a month, 40 used.
pub const GROWTH_KEY: &str = "pl_sandbox_growth";
/// Starter plan: no batch, 100 credits a month, 10 used.
pub const STARTER_KEY: &str = "pl_sandbox_starter";
/// Growth plan with 3 credits left.
pub const LOW_KEY: &str = "pl_sandbox_low";
/// Growth plan with every credit of the month spent.
pub const SPENT_KEY: &str = "pl_sandbox_spent";
/// Trial plan: batch, 50 credits, 2 requests a minute.
pub const THROTTLED_KEY: &str = "pl_sandbox_throttled";

/// The most records one batch request takes (the server's own bound is lower).
const MAX_BATCH: usize = 100;
const RATE_WINDOW: Duration = Duration::from_secs(60);

struct Plan {
    name: &'static str,
    monthly_credits: u64,
    batch: bool,
    per_minute: u32,
}

const GROWTH: Plan = Plan {
    name: "Growth",
    monthly_credits: 500,
    batch: true,
    per_minute: 120,
};
const STARTER: Plan = Plan {
    name: "Starter",
    monthly_credits: 100,
    batch: false,
    per_minute: 30,
};
const TRIAL: Plan = Plan {
    name: "Trial",
    monthly_credits: 50,
    batch: true,
    per_minute: 2,
};

struct KeySeed {
    key: &'static str,
    id: &'static str,
    workspace: &'static str,
    plan: &'static Plan,
    used: u64,
}

const KEYS: &[KeySeed] = &[
    KeySeed {
        key: GROWTH_KEY,
        id: "key_growth",
        workspace: "Example Workspace",
        plan: &GROWTH,
        used: 40,
    },
    KeySeed {
        key: STARTER_KEY,
        id: "key_starter",
        workspace: "Example Starter Workspace",
        plan: &STARTER,
        used: 10,
    },
    KeySeed {
        key: LOW_KEY,
        id: "key_low",
        workspace: "Example Low Workspace",
        plan: &GROWTH,
        used: 497,
    },
    KeySeed {
        key: SPENT_KEY,
        id: "key_spent",
        workspace: "Example Spent Workspace",
        plan: &GROWTH,
        used: 500,
    },
    KeySeed {
        key: THROTTLED_KEY,
        id: "key_throttled",
        workspace: "Example Trial Workspace",
        plan: &TRIAL,
        used: 0,
    },
];

struct Company {
    name: &'static str,
    domain: &'static str,
    industry: &'static str,
    headcount: &'static str,
    technologies: &'static [&'static str],
    city: &'static str,
    country: &'static str,
    status: &'static str,
}

const COMPANIES: &[Company] = &[
    Company {
        name: "North Peak",
        domain: "northpeak.example.com",
        industry: "Software",
        headcount: "51-200",
        technologies: &["AWS", "Salesforce", "HubSpot"],
        city: "Denver",
        country: "United States",
        status: "verified",
    },
    Company {
        name: "Bluefin Analytics",
        domain: "bluefin.example.com",
        industry: "Analytics",
        headcount: "201-500",
        technologies: &["AWS", "Snowflake"],
        city: "Austin",
        country: "United States",
        status: "verified",
    },
    Company {
        name: "Cedar Row Logistics",
        domain: "cedarrow.example.org",
        industry: "Logistics",
        headcount: "1001-5000",
        technologies: &["Azure", "SAP"],
        city: "Hamburg",
        country: "Germany",
        status: "verified",
    },
    Company {
        name: "Harbor Lane Health",
        domain: "harborlane.example.net",
        industry: "Healthcare",
        headcount: "11-50",
        technologies: &["Google Cloud"],
        city: "Leeds",
        country: "United Kingdom",
        status: "unverified",
    },
    Company {
        name: "Quill and Pine",
        domain: "quillpine.example.com",
        industry: "Marketing",
        headcount: "11-50",
        technologies: &["AWS", "HubSpot"],
        city: "Toronto",
        country: "Canada",
        status: "unverified",
    },
];

struct Person {
    id: &'static str,
    full_name: &'static str,
    job_title: &'static str,
    department: &'static str,
    seniority: &'static str,
    email: &'static str,
    phone: Option<&'static str>,
    linkedin: &'static str,
    city: &'static str,
    country: &'static str,
    skills: &'static [&'static str],
    company: &'static str,
}

const PEOPLE: &[Person] = &[
    Person {
        id: "per_0001",
        full_name: "Amanda North",
        job_title: "VP Revenue Operations",
        department: "Revenue Operations",
        seniority: "vp",
        email: "amanda@northpeak.example.com",
        phone: Some("+1 415 555 0101"),
        linkedin: "amanda-north-revops",
        city: "Denver",
        country: "United States",
        skills: &["Revenue Operations", "Salesforce", "Forecasting"],
        company: "northpeak.example.com",
    },
    Person {
        id: "per_0002",
        full_name: "Priya Example",
        job_title: "Head of Growth",
        department: "Marketing",
        seniority: "director",
        email: "priya@bluefin.example.com",
        phone: Some("+1 415 555 0106"),
        linkedin: "priya-example-growth",
        city: "Austin",
        country: "United States",
        skills: &["Growth", "Lifecycle Marketing", "SQL"],
        company: "bluefin.example.com",
    },
    Person {
        id: "per_0003",
        full_name: "Jordan Sample",
        job_title: "Revenue Operations Manager",
        department: "Revenue Operations",
        seniority: "manager",
        email: "jordan.sample@bluefin.example.com",
        phone: Some("+1 512 555 0134"),
        linkedin: "jordan-sample-ops",
        city: "Austin",
        country: "United States",
        skills: &["Revenue Operations", "HubSpot"],
        company: "bluefin.example.com",
    },
    Person {
        id: "per_0004",
        full_name: "Lena Muster",
        job_title: "Head of Sales",
        department: "Sales",
        seniority: "director",
        email: "lena.muster@cedarrow.example.org",
        phone: None,
        linkedin: "lena-muster-sales",
        city: "Hamburg",
        country: "Germany",
        skills: &["Enterprise Sales", "Negotiation"],
        company: "cedarrow.example.org",
    },
    Person {
        id: "per_0005",
        full_name: "Sam Placeholder",
        job_title: "Chief Technology Officer",
        department: "Engineering",
        seniority: "c_level",
        email: "sam@harborlane.example.net",
        phone: None,
        linkedin: "sam-placeholder-cto",
        city: "Leeds",
        country: "United Kingdom",
        skills: &["Cloud Architecture", "Security"],
        company: "harborlane.example.net",
    },
    Person {
        id: "per_0006",
        full_name: "Taylor Demo",
        job_title: "Marketing Manager",
        department: "Marketing",
        seniority: "manager",
        email: "taylor@quillpine.example.com",
        phone: Some("+1 416 555 0177"),
        linkedin: "taylor-demo-marketing",
        city: "Toronto",
        country: "Canada",
        skills: &["Content Marketing", "SEO"],
        company: "quillpine.example.com",
    },
    Person {
        id: "per_0007",
        full_name: "Chris Example",
        job_title: "Sales Development Representative",
        department: "Sales",
        seniority: "entry",
        email: "chris@northpeak.example.com",
        phone: Some("+1 720 555 0150"),
        linkedin: "chris-example-sdr",
        city: "Denver",
        country: "United States",
        skills: &["Prospecting", "Outbound"],
        company: "northpeak.example.com",
    },
    Person {
        id: "per_0008",
        full_name: "Morgan Test",
        job_title: "Director of Revenue Operations",
        department: "Revenue Operations",
        seniority: "director",
        email: "morgan@cedarrow.example.org",
        phone: None,
        linkedin: "morgan-test-revops",
        city: "Hamburg",
        country: "Germany",
        skills: &["Revenue Operations", "SAP"],
        company: "cedarrow.example.org",
    },
];

fn company_of(person: &Person) -> Option<&'static Company> {
    COMPANIES.iter().find(|c| c.domain == person.company)
}

fn company_json(c: &Company) -> Value {
    json!({
        "name": c.name,
        "domain": c.domain,
        "website": format!("https://{}", c.domain),
        "industry": c.industry,
        "headcount": c.headcount,
        "technologies": c.technologies,
        "location": {"city": c.city, "country": c.country},
        "status": c.status,
    })
}

/// A person as enrichment returns them: the profile with contact details.
fn person_json(p: &Person) -> Value {
    let mut person = profile_json(p);
    if let Value::Object(fields) = &mut person {
        fields.insert("email".into(), json!(p.email));
        fields.insert("phone".into(), json!(p.phone));
    }
    person
}

/// A person as search returns them: the profile, without contact details.
fn profile_json(p: &Person) -> Value {
    json!({
        "id": p.id,
        "full_name": p.full_name,
        "job_title": p.job_title,
        "department": p.department,
        "management_level": p.seniority,
        "linkedin": p.linkedin,
        "location": {"city": p.city, "country": p.country},
        "skills": p.skills,
    })
}

/// One key's month: credits spent, and its current rate-limit window.
struct KeyState {
    used: u64,
    window_start: Instant,
    window_count: u32,
}

type Db = kit::Store<LeadsPro, HashMap<&'static str, KeyState>>;

fn seed() -> HashMap<&'static str, KeyState> {
    KEYS.iter()
        .map(|k| {
            (
                k.key,
                KeyState {
                    used: k.used,
                    window_start: Instant::now(),
                    window_count: 0,
                },
            )
        })
        .collect()
}

/// A failed answer: `{"error": {"code", "message", "param"?}, "meta": {...}}`.
struct LeadsPro;

impl Vendor for LeadsPro {
    fn envelope(f: &ApiError) -> Value {
        json!({
            "error": error_json(f.code, &f.message, f.field("param")),
            "meta": {"request_id": request_id(), "credits_used": 0},
        })
    }

    fn internal() -> ApiError {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal error.",
        )
    }

    fn bad_body() -> ApiError {
        invalid("body", "The body must be a JSON object.")
    }

    fn bad_query(bad: &BadQuery) -> ApiError {
        invalid(bad.name, format!("Invalid value for {}.", bad.name))
    }
}

type ApiError = Failure<LeadsPro>;
type Result<T> = kit::Result<T, LeadsPro>;
type Body = kit::Body<LeadsPro>;

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    Failure::new(status, code, message)
}

fn invalid(param: impl Into<String>, message: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, "invalid_request", message).with("param", param)
}

fn error_json(code: &str, message: &str, param: Option<&str>) -> Value {
    let mut e = Map::new();
    e.insert("code".into(), json!(code));
    e.insert("message".into(), json!(message));
    if let Some(param) = param {
        e.insert("param".into(), json!(param));
    }
    Value::Object(e)
}

/// An answer with the reference's `meta`.
fn answer(mut body: Map<String, Value>, credits_used: u64) -> Response {
    body.insert(
        "meta".into(),
        json!({"request_id": request_id(), "credits_used": credits_used}),
    );
    axum::Json(Value::Object(body)).into_response()
}

/// The key of a request (`Authorization: Bearer` or `x-api-key`), admitted
/// by its plan's rate limit. Returns its seed.
fn admit(db: &Db, headers: &HeaderMap) -> Result<&'static KeySeed> {
    let presented = kit::bearer(headers).or_else(|| kit::header(headers, "x-api-key"));
    let Some(seed) = presented.and_then(|k| KEYS.iter().find(|s| s.key == k)) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or invalid API key.",
        ));
    };
    with_state(db, seed, |state| {
        if state.window_start.elapsed() >= RATE_WINDOW {
            state.window_start = Instant::now();
            state.window_count = 0;
        }
        if state.window_count >= seed.plan.per_minute {
            let left = RATE_WINDOW.saturating_sub(state.window_start.elapsed());
            return Err(error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Rate limit exceeded for the current key.",
            )
            .retry_after(left.as_secs().max(1)));
        }
        state.window_count += 1;
        Ok(())
    })?;
    Ok(seed)
}

fn with_state<T>(db: &Db, seed: &KeySeed, f: impl FnOnce(&mut KeyState) -> Result<T>) -> Result<T> {
    let mut states = db.lock()?;
    let state = states.get_mut(seed.key).ok_or_else(LeadsPro::internal)?;
    f(state)
}

fn remaining(seed: &KeySeed, state: &KeyState) -> u64 {
    seed.plan.monthly_credits.saturating_sub(state.used)
}

fn quota_exceeded() -> ApiError {
    error(
        StatusCode::FORBIDDEN,
        "quota_exceeded",
        "Monthly credit limit reached.",
    )
}

/// The JSON object of a request body, with only `allowed` fields, each a string
/// (or, for `limit`, an integer).
fn object(body: Body, allowed: &[&str]) -> Result<Map<String, Value>> {
    let map = body.object()?;
    fields(&map, allowed, "")?;
    Ok(map)
}

fn fields(map: &Map<String, Value>, allowed: &[&str], at: &str) -> Result<()> {
    for (k, v) in map {
        let name = format!("{at}{k}");
        if !allowed.contains(&k.as_str()) {
            return Err(invalid(name, format!("Unknown parameter {k}.")));
        }
        let ok = match k.as_str() {
            "limit" => v.as_u64().is_some_and(|n| (1..=100).contains(&n)),
            "items" => v.is_array(),
            _ => v.as_str().is_some_and(|s| !s.trim().is_empty()),
        };
        if !ok {
            return Err(invalid(name, format!("Invalid value for {k}.")));
        }
    }
    Ok(())
}

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    kit::str_field(map, key).map(str::trim)
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b.trim())
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack
        .to_ascii_lowercase()
        .contains(&needle.trim().to_ascii_lowercase())
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

const IDENTIFIERS: &[&str] = &[
    "email",
    "phone",
    "linkedin",
    "full_name",
    "company",
    "domain",
];

/// The person one lookup names, `Ok(None)` for no match, or why the input is invalid.
fn lookup(input: &Map<String, Value>, at: &str) -> Result<Option<&'static Person>> {
    fields(input, IDENTIFIERS, at)?;
    let email = text(input, "email");
    let phone = text(input, "phone");
    let linkedin = text(input, "linkedin").map(|l| {
        l.trim_end_matches('/')
            .rsplit("linkedin.com/in/")
            .next()
            .unwrap_or(l)
    });
    let name = text(input, "full_name");
    let company = text(input, "company");
    let domain = text(input, "domain");
    if email.is_none()
        && phone.is_none()
        && linkedin.is_none()
        && (name.is_none() || (company.is_none() && domain.is_none()))
    {
        return Err(invalid(
            format!("{at}email"),
            "Provide email, phone, linkedin, or full_name with company or domain.",
        ));
    }
    if let Some(e) = email
        && !e.contains('@')
    {
        return Err(invalid(format!("{at}email"), "Invalid email address."));
    }
    if let Some(p) = phone
        && !(7..=15).contains(&digits(p).len())
    {
        return Err(invalid(
            format!("{at}phone"),
            "Invalid phone number: give 7 to 15 digits with the country code.",
        ));
    }
    let found = PEOPLE.iter().find(|p| {
        email.is_some_and(|e| same(p.email, e))
            || phone.is_some_and(|n| p.phone.is_some_and(|own| digits(own) == digits(n)))
            || linkedin.is_some_and(|l| same(p.linkedin, l))
            || name.is_some_and(|n| {
                same(p.full_name, n)
                    && company_of(p).is_some_and(|c| {
                        company.is_some_and(|x| same(c.name, x))
                            || domain.is_some_and(|d| same(c.domain, d))
                    })
            })
    });
    Ok(found)
}

fn matched(p: &Person) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("person".into(), person_json(p));
    body.insert(
        "company".into(),
        company_of(p).map_or(Value::Null, company_json),
    );
    body
}

/// A search's answer: its results, no credits spent.
fn results(found: Vec<Value>) -> Response {
    let mut body = Map::new();
    body.insert("results".into(), Value::Array(found));
    answer(body, 0)
}

async fn health() -> Response {
    let mut body = Map::new();
    body.insert("status".into(), json!("ok"));
    body.insert("version".into(), json!("sandbox-2026.06"));
    body.insert(
        "features".into(),
        json!({"enrich": true, "batch": true, "search_people": true, "search_companies": true}),
    );
    body.insert(
        "dataset".into(),
        json!({"people": PEOPLE.len(), "companies": COMPANIES.len(), "updated_at": "2026-06-01T00:00:00Z"}),
    );
    answer(body, 0)
}

async fn enrich(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let seed = admit(&db, &headers)?;
    let input = object(body, IDENTIFIERS)?;
    let found = lookup(&input, "")?;
    if with_state(&db, seed, |s| Ok(remaining(seed, s)))? == 0 {
        return Err(quota_exceeded());
    }
    let Some(person) = found else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "no_match",
            "No enrichment record matched the input.",
        ));
    };
    with_state(&db, seed, |s| {
        s.used += 1;
        Ok(())
    })?;
    Ok(answer(matched(person), 1))
}

async fn enrich_batch(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    let seed = admit(&db, &headers)?;
    if !seed.plan.batch {
        return Err(error(
            StatusCode::FORBIDDEN,
            "batch_not_available",
            "Batch access is not enabled on the current plan.",
        ));
    }
    let body = object(body, &["items"])?;
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .filter(|a| (1..=MAX_BATCH).contains(&a.len()))
        .ok_or_else(|| {
            invalid(
                "items",
                format!("items must hold 1 to {MAX_BATCH} records."),
            )
        })?;
    if with_state(&db, seed, |s| Ok(remaining(seed, s)))? == 0 {
        return Err(quota_exceeded());
    }
    let mut results = Vec::new();
    let mut spent = 0;
    for (i, item) in items.iter().enumerate() {
        let at = format!("items[{i}].");
        let outcome = match item.as_object() {
            None => Err(invalid(
                format!("items[{i}]"),
                "Each item must be an object.",
            )),
            Some(input) => lookup(input, &at),
        };
        let mut entry = Map::new();
        entry.insert("index".into(), json!(i));
        match outcome {
            Ok(Some(person)) => {
                let charged = with_state(&db, seed, |s| {
                    if remaining(seed, s) == 0 {
                        return Ok(false);
                    }
                    s.used += 1;
                    Ok(true)
                })?;
                if charged {
                    spent += 1;
                    entry.insert("success".into(), json!(true));
                    entry.extend(matched(person));
                } else {
                    entry.insert("success".into(), json!(false));
                    entry.insert(
                        "error".into(),
                        error_json("quota_exceeded", "Monthly credit limit reached.", None),
                    );
                }
            }
            Ok(None) => {
                entry.insert("success".into(), json!(false));
                entry.insert(
                    "error".into(),
                    error_json("no_match", "No enrichment record matched the input.", None),
                );
            }
            Err(e) => {
                entry.insert("success".into(), json!(false));
                entry.insert(
                    "error".into(),
                    error_json(e.code, &e.message, e.field("param")),
                );
            }
        }
        results.push(Value::Object(entry));
    }
    let mut out = Map::new();
    out.insert("results".into(), Value::Array(results));
    Ok(answer(out, spent))
}

async fn search_people(State(db): State<Db>, headers: HeaderMap, body: Body) -> Result<Response> {
    admit(&db, &headers)?;
    let q = object(
        body,
        &[
            "job_title",
            "seniority",
            "company",
            "country",
            "skills",
            "keywords",
            "limit",
        ],
    )?;
    let limit = q.get("limit").and_then(Value::as_u64).unwrap_or(10) as usize;
    let found: Vec<Value> = PEOPLE
        .iter()
        .filter(|p| {
            let company = company_of(p);
            let haystack = format!(
                "{} {} {} {} {}",
                p.full_name,
                p.job_title,
                p.skills.join(" "),
                company.map_or("", |c| c.name),
                company.map_or("", |c| c.industry)
            );
            text(&q, "job_title").is_none_or(|t| contains(p.job_title, t))
                && text(&q, "seniority").is_none_or(|s| same(p.seniority, s))
                && text(&q, "company").is_none_or(|x| {
                    company.is_some_and(|c| contains(c.name, x) || same(c.domain, x))
                })
                && text(&q, "country").is_none_or(|c| same(p.country, c))
                && text(&q, "skills").is_none_or(|s| {
                    s.split(',')
                        .filter(|w| !w.trim().is_empty())
                        .all(|w| p.skills.iter().any(|own| same(own, w)))
                })
                && text(&q, "keywords")
                    .is_none_or(|k| k.split_whitespace().all(|w| contains(&haystack, w)))
        })
        .take(limit)
        .map(|p| {
            json!({
                "person": profile_json(p),
                "company": company_of(p).map_or(Value::Null, company_json),
            })
        })
        .collect();
    Ok(results(found))
}

async fn search_companies(
    State(db): State<Db>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    admit(&db, &headers)?;
    let q = object(
        body,
        &[
            "domain",
            "industry",
            "headcount",
            "technology",
            "country",
            "status",
        ],
    )?;
    if let Some(status) = text(&q, "status")
        && !["verified", "unverified"].contains(&status)
    {
        return Err(invalid(
            "status",
            "Invalid value for status: use verified or unverified.",
        ));
    }
    let found: Vec<Value> = COMPANIES
        .iter()
        .filter(|c| {
            text(&q, "domain").is_none_or(|d| same(c.domain, d))
                && text(&q, "industry").is_none_or(|i| contains(c.industry, i))
                && text(&q, "headcount").is_none_or(|h| same(c.headcount, h))
                && text(&q, "technology")
                    .is_none_or(|t| c.technologies.iter().any(|own| same(own, t)))
                && text(&q, "country").is_none_or(|x| same(c.country, x))
                && text(&q, "status").is_none_or(|s| c.status == s)
        })
        .map(|c| json!({"company": company_json(c)}))
        .collect();
    Ok(results(found))
}

fn credits_json(seed: &KeySeed, state: &KeyState) -> Value {
    json!({
        "limit": seed.plan.monthly_credits,
        "used": state.used,
        "remaining": remaining(seed, state),
        "period": {"start": "2026-06-01", "end": "2026-06-30"},
    })
}

async fn me(State(db): State<Db>, headers: HeaderMap) -> Result<Response> {
    let seed = admit(&db, &headers)?;
    let credits = with_state(&db, seed, |s| Ok(credits_json(seed, s)))?;
    let mut body = Map::new();
    body.insert(
        "workspace".into(),
        json!({"id": format!("ws_{}", seed.id.trim_start_matches("key_")), "name": seed.workspace}),
    );
    body.insert(
        "plan".into(),
        json!({
            "name": seed.plan.name,
            "monthly_credits": seed.plan.monthly_credits,
            "batch_enabled": seed.plan.batch,
            "rate_limit_per_minute": seed.plan.per_minute,
        }),
    );
    body.insert(
        "key".into(),
        json!({"id": seed.id, "name": "Sandbox key", "created_at": "2026-05-01T00:00:00Z"}),
    );
    body.insert("credits".into(), credits);
    Ok(answer(body, 0))
}

async fn usage(State(db): State<Db>, headers: HeaderMap) -> Result<Response> {
    let seed = admit(&db, &headers)?;
    let (credits, rate) = with_state(&db, seed, |s| {
        let reset = RATE_WINDOW.saturating_sub(s.window_start.elapsed());
        Ok((
            credits_json(seed, s),
            json!({
                "limit_per_minute": seed.plan.per_minute,
                "used": s.window_count,
                "remaining": seed.plan.per_minute.saturating_sub(s.window_count),
                "reset_seconds": reset.as_secs(),
            }),
        ))
    })?;
    let mut body = Map::new();
    body.insert("credits".into(), credits);
    body.insert("rate_limit".into(), rate);
    Ok(answer(body, 0))
}

async fn not_found() -> ApiError {
    error(StatusCode::NOT_FOUND, "not_found", "Not found.")
}

pub fn router() -> Router {
    let db = Db::new(seed());
    Router::new()
        .route("/health", get(health))
        .route("/v1/enrich", post(enrich))
        .route("/v1/enrich/batch", post(enrich_batch))
        .route("/v1/search/people", post(search_people))
        .route("/v1/search/companies", post(search_companies))
        .route("/v1/me", get(me))
        .route("/v1/usage", get(usage))
        .fallback(not_found)
        .with_state(db)
}
