//! What every simulation shares: how a vendor fails (its error envelope as a
//! [`Vendor`] implementation the kit calls), the state lock, JSON request
//! bodies, query numbers and pagination (limit/offset and cursors, each
//! vendor's bounds as data), bearer keys and expiring tokens.
//!
//! The bottom of the crate: it imports nothing else from it. Each simulation
//! holds only its vendor's rules and calls this kit for the rest.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// One vendor's simulation.
pub struct Simulation {
    pub vendor: &'static str,
    /// The documented base URL's path (`/api/v1`), kept so base URLs validate.
    pub base_path: &'static str,
    /// The variables that point the vendor at the sandbox, given its base URL.
    pub env: fn(base_url: &str) -> Vec<(String, String)>,
    pub router: fn() -> Router,
}

/// A request id in the vendors' `req_` + 24 hex characters style.
pub fn request_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("req_{}", &hex[..24])
}

// ---------------------------------------------------------------------------
// Failures

/// How one vendor fails: its error envelope, and its answers to the failures
/// the kit itself finds.
pub trait Vendor: Sized + 'static {
    /// `failure` in the vendor's error envelope.
    fn envelope(failure: &Failure<Self>) -> Value;
    /// The simulation's state is unavailable: a handler panicked holding its lock.
    fn internal() -> Failure<Self>;
    /// A request body that is not JSON, or not the JSON object a route takes.
    fn bad_body() -> Failure<Self>;
    /// A query parameter that is not a whole number within its bounds, or a
    /// cursor the list did not issue.
    fn bad_query(bad: &BadQuery) -> Failure<Self>;
}

/// A failed answer of vendor `V`, sent in `V`'s envelope.
pub struct Failure<V> {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Further members of the envelope, by name (Leads Pro's `param`,
    /// LeadGenius's `details` and `recommendation`); where they go is `V`'s.
    pub fields: Vec<(&'static str, String)>,
    /// Sent as `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
    vendor: PhantomData<fn() -> V>,
}

pub type Result<T, V> = std::result::Result<T, Failure<V>>;

impl<V> Failure<V> {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
            vendor: PhantomData,
        }
    }

    /// With the envelope member `name`.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.fields.push((name, value.into()));
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// The envelope member `name`, if the failure has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl<V> std::fmt::Debug for Failure<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Failure")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("fields", &self.fields)
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl<V: Vendor> IntoResponse for Failure<V> {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(V::envelope(&self))).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

// ---------------------------------------------------------------------------
// State

/// A simulation's state behind one lock, shared by its handlers.
pub struct Store<V, T> {
    state: Arc<Mutex<T>>,
    vendor: PhantomData<fn() -> V>,
}

impl<V, T> Clone for Store<V, T> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            vendor: PhantomData,
        }
    }
}

impl<V: Vendor, T> Store<V, T> {
    pub fn new(state: T) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
            vendor: PhantomData,
        }
    }

    /// The state, or the vendor's internal error when a handler panicked
    /// while holding it (the lock is poisoned: the state may be half-changed).
    pub fn lock(&self) -> Result<MutexGuard<'_, T>, V> {
        self.state.lock().map_err(|_| V::internal())
    }
}

// ---------------------------------------------------------------------------
// Request bodies

/// A request's JSON body, read whatever its Content-Type says. Whether it is
/// JSON is looked at only when the handler asks ([`Body::object`]), so the
/// vendor's own checks (its key, its rate limit) come first; a body too large
/// for the sandbox is 413 at once.
pub struct Body<V> {
    /// `Ok(None)` when the request has no body, `Err` when it isn't JSON.
    parsed: std::result::Result<Option<Value>, ()>,
    vendor: PhantomData<fn() -> V>,
}

impl<V: Vendor, S: Send + Sync> FromRequest<S> for Body<V> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> std::result::Result<Self, Response> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let parsed = if bytes.is_empty() {
            Ok(None)
        } else {
            serde_json::from_slice(&bytes).map(Some).map_err(|_| ())
        };
        Ok(Self {
            parsed,
            vendor: PhantomData,
        })
    }
}

impl<V: Vendor> Body<V> {
    /// The body's JSON object; no body, or anything else, is [`Vendor::bad_body`].
    pub fn object(self) -> Result<Map<String, Value>, V> {
        match self.parsed {
            Ok(Some(Value::Object(map))) => Ok(map),
            _ => Err(V::bad_body()),
        }
    }

    /// The body's JSON object, an empty one when there is no body.
    pub fn object_or_empty(self) -> Result<Map<String, Value>, V> {
        match self.parsed {
            Ok(None) => Ok(Map::new()),
            _ => self.object(),
        }
    }
}

/// The string member `name` of `map`.
pub fn str_field<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Value::as_str)
}

/// The string member `name` of `map`, unless it is missing or blank.
pub fn nonblank<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    str_field(map, name).filter(|s| !s.trim().is_empty())
}

/// The first member of `map` whose name is not in `allowed`.
pub fn unknown_field<'a>(map: &'a Map<String, Value>, allowed: &[&str]) -> Option<&'a str> {
    map.keys()
        .map(String::as_str)
        .find(|k| !allowed.contains(k))
}

/// The members of `value`, an object (none for anything else): for
/// building records with `json!`.
pub fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `items` as JSON values.
pub fn objects<'a>(items: impl IntoIterator<Item = &'a Map<String, Value>>) -> Vec<Value> {
    items.into_iter().cloned().map(Value::Object).collect()
}

/// The object of `items` whose member `key` is the string `value`.
pub fn find_by<'a>(
    items: &'a mut [Map<String, Value>],
    key: &str,
    value: &str,
) -> Option<&'a mut Map<String, Value>> {
    items
        .iter_mut()
        .find(|item| str_field(item, key) == Some(value))
}

// ---------------------------------------------------------------------------
// Query numbers and pagination

/// A request's query parameters.
pub type Query = HashMap<String, String>;

/// A whole-number query parameter as a vendor bounds it.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    /// Its value when the query doesn't give it.
    pub default: u64,
    pub min: u64,
    pub max: u64,
}

/// The offset parameter of the vendors that take one: any whole number, 0 by default.
pub const OFFSET: Param = Param {
    name: "offset",
    default: 0,
    min: 0,
    max: u64::MAX,
};

/// What is wrong with a query parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    NotANumber,
    OutOfRange,
    /// A pagination cursor the list did not issue.
    UnknownCursor,
}

/// A query parameter [`Vendor::bad_query`] answers.
#[derive(Clone, Copy, Debug)]
pub struct BadQuery {
    pub name: &'static str,
    pub min: u64,
    pub max: u64,
    pub problem: Problem,
}

/// The whole number `name` of `q` within `min..=max`; `None` when absent.
pub fn number(
    q: &Query,
    name: &'static str,
    min: u64,
    max: u64,
) -> std::result::Result<Option<u64>, BadQuery> {
    let bad = |problem| BadQuery {
        name,
        min,
        max,
        problem,
    };
    match q.get(name) {
        None => Ok(None),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            Ok(_) => Err(bad(Problem::OutOfRange)),
            Err(_) => Err(bad(Problem::NotANumber)),
        },
    }
}

impl Param {
    /// A page size: `limit`, 1 to `max`, `default` when not given.
    pub const fn limit(default: u64, max: u64) -> Self {
        Self {
            name: "limit",
            default,
            min: 1,
            max,
        }
    }

    /// The parameter's value in `q`, its default when absent.
    pub fn read<V: Vendor>(&self, q: &Query) -> Result<u64, V> {
        number(q, self.name, self.min, self.max)
            .map(|n| n.unwrap_or(self.default))
            .map_err(|bad| V::bad_query(&bad))
    }
}

/// Limit/offset pagination: the bounds of both parameters.
pub struct OffsetPaging {
    pub limit: Param,
    pub offset: Param,
}

/// One page of a list, for the vendor to put in its envelope.
pub struct Page {
    pub items: Vec<Value>,
    pub limit: u64,
    pub offset: u64,
    /// How many items the whole list holds.
    pub total: usize,
    pub has_more: bool,
}

impl OffsetPaging {
    /// Pages of at most `limit.max` items, at any offset.
    pub const fn new(limit: Param) -> Self {
        Self {
            limit,
            offset: OFFSET,
        }
    }

    /// The page of `items` the query's limit and offset ask for.
    pub fn page<V: Vendor>(&self, items: Vec<Value>, q: &Query) -> Result<Page, V> {
        let limit = self.limit.read(q)?;
        let offset = self.offset.read(q)?;
        let total = items.len();
        let end = offset.saturating_add(limit);
        Ok(Page {
            items: window(items, offset, limit),
            limit,
            offset,
            total,
            has_more: (total as u64) > end,
        })
    }
}

/// Cursor pagination: cursors are `prefix` + the offset of the next page.
pub struct CursorPaging {
    pub limit: Param,
    /// The query parameter that carries the cursor.
    pub cursor: &'static str,
    pub prefix: &'static str,
}

impl CursorPaging {
    /// The page of `items` after the query's cursor, and the next page's cursor.
    pub fn page<V: Vendor>(
        &self,
        items: Vec<Value>,
        q: &Query,
    ) -> Result<(Vec<Value>, Option<String>), V> {
        let limit = self.limit.read(q)?;
        let offset = match q.get(self.cursor).filter(|t| !t.is_empty()) {
            None => 0,
            Some(t) => t
                .strip_prefix(self.prefix)
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| {
                    V::bad_query(&BadQuery {
                        name: self.cursor,
                        min: 0,
                        max: u64::MAX,
                        problem: Problem::UnknownCursor,
                    })
                })?,
        };
        let end = offset.saturating_add(limit);
        let next = ((items.len() as u64) > end).then(|| format!("{}{end}", self.prefix));
        Ok((window(items, offset, limit), next))
    }
}

fn window(items: Vec<Value>, offset: u64, limit: u64) -> Vec<Value> {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    items.into_iter().skip(offset).take(limit).collect()
}

// ---------------------------------------------------------------------------
// Credentials

/// The value of header `name`, if it is text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    header(headers, "authorization").and_then(|v| v.strip_prefix("Bearer "))
}

/// Access tokens a simulated login issued: each one's holder and expiry.
pub struct Tokens<T> {
    issued: HashMap<String, (T, Instant)>,
}

/// What an access token is worth now.
pub enum TokenCheck<'a, T> {
    Valid(&'a T),
    Expired,
    Unknown,
}

impl<T> Default for Tokens<T> {
    fn default() -> Self {
        Self {
            issued: HashMap::new(),
        }
    }
}

impl<T> Tokens<T> {
    pub fn issue(&mut self, token: impl Into<String>, holder: T, lifetime: Duration) {
        self.issued
            .insert(token.into(), (holder, Instant::now() + lifetime));
    }

    pub fn check(&self, token: &str) -> TokenCheck<'_, T> {
        match self.issued.get(token) {
            Some((holder, expires)) if Instant::now() < *expires => TokenCheck::Valid(holder),
            Some(_) => TokenCheck::Expired,
            None => TokenCheck::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A vendor whose envelope shows what the kit handed it.
    struct Test;

    impl Vendor for Test {
        fn envelope(f: &Failure<Self>) -> Value {
            json!({"code": f.code, "message": f.message, "param": f.field("param")})
        }

        fn internal() -> Failure<Self> {
            Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unavailable")
        }

        fn bad_body() -> Failure<Self> {
            Failure::new(StatusCode::BAD_REQUEST, "bad_body", "not a JSON object")
        }

        fn bad_query(q: &BadQuery) -> Failure<Self> {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("{} {:?} {}..={}", q.name, q.problem, q.min, q.max),
            )
        }
    }

    fn query(pairs: &[(&str, &str)]) -> Query {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn numbers(n: u64) -> Vec<Value> {
        (0..n).map(|i| json!(i)).collect()
    }

    fn refusal<T>(r: Result<T, Test>) -> (&'static str, String) {
        match r {
            Ok(_) => panic!("expected a failure"),
            Err(f) => (f.code, f.message),
        }
    }

    #[test]
    fn offset_pages_follow_the_bounds() {
        let paging = OffsetPaging::new(Param::limit(3, 5));
        let page = paging.page::<Test>(numbers(7), &query(&[])).unwrap();
        assert_eq!(page.items, numbers(3));
        assert_eq!((page.limit, page.offset, page.total), (3, 0, 7));
        assert!(page.has_more);
        let page = paging
            .page::<Test>(numbers(7), &query(&[("limit", "5"), ("offset", "5")]))
            .unwrap();
        assert_eq!(page.items, vec![json!(5), json!(6)]);
        assert!(!page.has_more);
        let far = u64::MAX.to_string();
        let page = paging
            .page::<Test>(numbers(7), &query(&[("offset", far.as_str())]))
            .unwrap();
        assert!(page.items.is_empty() && !page.has_more);
        for (pairs, message) in [
            (&[("limit", "0")][..], "limit OutOfRange 1..=5"),
            (&[("limit", "6")][..], "limit OutOfRange 1..=5"),
            (&[("limit", "x")][..], "limit NotANumber 1..=5"),
            (
                &[("offset", "-1")][..],
                "offset NotANumber 0..=18446744073709551615",
            ),
        ] {
            let refused = refusal(paging.page::<Test>(numbers(7), &query(pairs)));
            assert_eq!(refused, ("bad_query", message.to_string()), "{pairs:?}");
        }
    }

    #[test]
    fn cursor_pages_hand_out_the_next_cursor() {
        let paging = CursorPaging {
            limit: Param::limit(2, 3),
            cursor: "next",
            prefix: "c_",
        };
        let page = |pairs: &[(&str, &str)]| paging.page::<Test>(numbers(5), &query(pairs));
        assert_eq!(page(&[]).unwrap(), (numbers(2), Some("c_2".to_string())));
        assert_eq!(page(&[("next", "")]).unwrap(), page(&[]).unwrap());
        assert_eq!(
            page(&[("next", "c_2")]).unwrap(),
            (vec![json!(2), json!(3)], Some("c_4".to_string()))
        );
        assert_eq!(page(&[("next", "c_4")]).unwrap(), (vec![json!(4)], None));
        assert_eq!(
            page(&[("next", "c_3"), ("limit", "3")]).unwrap(),
            (vec![json!(3), json!(4)], None)
        );
        for bad in ["x_2", "c_x", "c_-1"] {
            assert_eq!(
                refusal(page(&[("next", bad)])),
                (
                    "bad_query",
                    "next UnknownCursor 0..=18446744073709551615".into()
                ),
                "{bad}"
            );
        }
        assert_eq!(refusal(page(&[("limit", "4")])).0, "bad_query");
    }

    async fn body(text: &'static str) -> Body<Test> {
        let request = Request::new(axum::body::Body::from(text));
        match Body::<Test>::from_request(request, &()).await {
            Ok(body) => body,
            Err(_) => panic!("the body was refused before the handler asked"),
        }
    }

    #[tokio::test]
    async fn bodies_are_judged_when_the_handler_asks() {
        assert_eq!(body("").await.object_or_empty().unwrap(), Map::new());
        assert_eq!(refusal(body("").await.object()).0, "bad_body");
        let object = body(r#"{"a": 1}"#).await.object().unwrap();
        assert_eq!(Value::Object(object), json!({"a": 1}));
        for text in ["[1]", "\"text\"", "{not json"] {
            assert_eq!(refusal(body(text).await.object()).0, "bad_body", "{text}");
            assert_eq!(
                refusal(body(text).await.object_or_empty()).0,
                "bad_body",
                "{text}"
            );
        }
    }

    #[test]
    fn a_poisoned_lock_is_the_vendors_internal_error() {
        let store = Store::<Test, u32>::new(0);
        let holder = store.clone();
        let crashed = std::thread::spawn(move || {
            let _guard = holder.lock().map_err(|_| ()).unwrap();
            panic!("a handler panics holding the state");
        })
        .join();
        assert!(crashed.is_err());
        let refused = refusal(store.lock().map(|_| ()));
        assert_eq!(refused, ("internal", "unavailable".to_string()));
    }

    #[tokio::test]
    async fn a_failure_is_sent_in_the_vendors_envelope() {
        let response = Failure::<Test>::new(StatusCode::TOO_MANY_REQUESTS, "slow", "wait")
            .with("param", "limit")
            .retry_after(7)
            .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            body,
            json!({"code": "slow", "message": "wait", "param": "limit"})
        );
        let plain = Failure::<Test>::new(StatusCode::NOT_FOUND, "gone", "no").into_response();
        assert!(plain.headers().get(header::RETRY_AFTER).is_none());
    }

    #[test]
    fn tokens_expire() {
        let mut tokens = Tokens::default();
        tokens.issue("live", 1, Duration::from_secs(60));
        tokens.issue("dead", 2, Duration::ZERO);
        assert!(matches!(tokens.check("live"), TokenCheck::Valid(1)));
        assert!(matches!(tokens.check("dead"), TokenCheck::Expired));
        assert!(matches!(tokens.check("other"), TokenCheck::Unknown));
    }
}
