//! Every tool of a vendor, over every transport and protocol generation,
//! from one table.
//!
//! A vendor's test file gives a [`Vendor`]: how to start the server for it,
//! the headers its requests carry, and its table of [`Case`]s, each a tool
//! call with the exact upstream requests it must produce and what its result
//! must hold. [`every_tool_tests!`](crate::every_tool_tests) turns that into
//! five tests, one per transport × generation: stdio and Streamable HTTP,
//! each as a handshake (2025-11-25) and as a 2026-07-28 client, and legacy
//! HTTP+SSE (handshake only). Each run has a fresh sandbox and a fresh
//! server, plays the table in order, and ends by checking that every tool the
//! server lists had a case, so a tool added without one fails here.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use leads_mcp_sandbox::Recorded;
use rmcp::model::CallToolResult;
use serde_json::Value;

use super::*;

/// Values a run keeps between cases: a `${name}` inside a case's arguments,
/// expected path, query, body, header or confirmation text stands for one.
pub type Vars = BTreeMap<String, Value>;

/// What one header of a request must be.
#[derive(Clone, Debug)]
pub enum Header {
    /// Exactly this value (after `${var}` substitution).
    Is(String),
    Absent,
    /// A value starting with `prefix`, different from what `var` held (a
    /// renewed credential), saved into `var`.
    New {
        prefix: String,
        var: &'static str,
    },
}

pub fn is(value: impl Into<String>) -> Header {
    Header::Is(value.into())
}

/// `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> (&'static str, Header) {
    ("authorization", is(format!("Bearer {token}")))
}

/// The headers every request of this server may carry; a vendor adds its own.
pub const STANDARD_HEADERS: &[&str] = &[
    "accept",
    "authorization",
    "content-length",
    "content-type",
    "host",
    "user-agent",
    "x-request-id",
];

/// One upstream request, exactly.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub query: Option<String>,
    pub body: Option<Value>,
    /// Overrides the vendor's [`Vendor::headers`] for this request.
    pub headers: Vec<(&'static str, Header)>,
}

impl Req {
    pub fn new(method: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: None,
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// The JSON body; `Content-Type: application/json` comes with it.
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// `Authorization: Bearer <token>` instead of the vendor's.
    pub fn bearer(self, token: &str) -> Self {
        let (name, value) = bearer(token);
        self.header(name, value)
    }

    /// `Authorization: Bearer <a new token starting with prefix>`, kept as `${var}`.
    pub fn new_bearer(self, prefix: &str, var: &'static str) -> Self {
        let prefix = format!("Bearer {prefix}");
        self.header("authorization", Header::New { prefix, var })
    }

    pub fn header(mut self, name: &'static str, value: Header) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value));
        self
    }
}

pub fn get(path: impl Into<String>) -> Req {
    Req::new("GET", path)
}

pub fn post(path: impl Into<String>) -> Req {
    Req::new("POST", path)
}

pub fn put(path: impl Into<String>) -> Req {
    Req::new("PUT", path)
}

pub fn patch(path: impl Into<String>) -> Req {
    Req::new("PATCH", path)
}

pub fn delete(path: impl Into<String>) -> Req {
    Req::new("DELETE", path)
}

type Check = Box<dyn Fn(&CallToolResult)>;

/// One tool call, the requests it must send and what its result must hold.
pub struct Case {
    pub tool: String,
    pub args: Value,
    /// Every request the call sends, in order. A `read` is a preflight read
    /// a rule needs; a 2026 client's confirmed retry makes those again.
    pub upstream: Vec<(Req, bool)>,
    /// The human is asked once, and shown each of these.
    pub asks: Option<Vec<String>>,
    /// The result is a tool error.
    pub fails: bool,
    /// `(var, JSON pointer)`: values of the structured result kept for later cases.
    pub saves: Vec<(&'static str, &'static str)>,
    pub checks: Vec<Check>,
}

impl Case {
    pub fn call(tool: impl Into<String>, args: Value) -> Self {
        Self {
            tool: tool.into(),
            args,
            upstream: Vec::new(),
            asks: None,
            fails: false,
            saves: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// The next request the call sends.
    pub fn sends(mut self, req: Req) -> Self {
        self.upstream.push((req, false));
        self
    }

    /// The next request is a read the server makes before deciding.
    pub fn reads(mut self, req: Req) -> Self {
        self.upstream.push((req, true));
        self
    }

    /// The call asks the human once, showing each of `shown`.
    pub fn asks<S: ToString>(mut self, shown: &[S]) -> Self {
        self.asks = Some(shown.iter().map(ToString::to_string).collect());
        self
    }

    pub fn fails(mut self) -> Self {
        self.fails = true;
        self
    }

    /// Keeps the structured result's value at `pointer` as `${var}`.
    pub fn saves(mut self, var: &'static str, pointer: &'static str) -> Self {
        self.saves.push((var, pointer));
        self
    }

    /// A check on the structured result.
    pub fn check(self, check: impl Fn(&Value) + 'static) -> Self {
        self.check_result(move |r| check(&structured(r)))
    }

    /// A check on the whole result.
    pub fn check_result(mut self, check: impl Fn(&CallToolResult) + 'static) -> Self {
        self.checks.push(Box::new(check));
        self
    }
}

/// Where a successful result's `request_id` comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestId {
    /// The vendor's own (`req_…`).
    Vendor,
    /// The `X-Request-Id` this server sent on the call's last request.
    Sent,
    /// The vendor's when it gives one, else the one sent.
    VendorOrSent,
}

/// A vendor as the table runner sees it.
pub struct Vendor {
    /// As the sandbox records it.
    pub name: &'static str,
    /// The server's arguments before the transport's.
    pub args: Vec<&'static str>,
    pub env: fn(&Upstream) -> Vec<(String, String)>,
    pub human: Human,
    /// How many tools the server lists.
    pub tools: usize,
    /// What each request carries unless its [`Req`] says otherwise.
    /// `Accept: application/json` is the default.
    pub headers: Vec<(&'static str, Header)>,
    /// Header names beyond [`STANDARD_HEADERS`].
    pub extra_headers: &'static [&'static str],
    pub request_id: RequestId,
    /// Checked on every successful result.
    pub every_result: fn(&CallToolResult),
    /// What a run starts with.
    pub vars: Vec<(&'static str, Value)>,
    pub cases: fn() -> Vec<Case>,
}

impl Vendor {
    /// `--vendors <name>` with `env`, for a client that cannot elicit, whose
    /// results carry the vendor's own request ids; what differs goes in with
    /// struct update syntax.
    pub fn new(
        name: &'static str,
        env: fn(&Upstream) -> Vec<(String, String)>,
        tools: usize,
        cases: fn() -> Vec<Case>,
    ) -> Self {
        Self {
            name,
            args: vec!["--vendors", name],
            env,
            human: Human::CannotElicit,
            tools,
            headers: Vec::new(),
            extra_headers: &[],
            request_id: RequestId::Vendor,
            every_result: |_| {},
            vars: Vec::new(),
            cases,
        }
    }

    /// `got` is `want`: vendor, method, path, query, body and headers.
    pub fn assert_request(&self, got: &Recorded, want: &Req) {
        self.assert_request_with(got, want, &mut Vars::new(), "");
    }

    /// The headers of `got` are the vendor's, with `overrides`; see
    /// [`Vendor::assert_headers_with`].
    pub fn assert_headers(&self, got: &Recorded, overrides: &[(&'static str, Header)]) {
        self.assert_headers_with(got, overrides, &mut Vars::new(), "");
    }

    /// [`Vendor::assert_request`] within a run that keeps `vars`; `context`
    /// leads every failure message.
    pub fn assert_request_with(&self, got: &Recorded, want: &Req, vars: &mut Vars, context: &str) {
        let what = format!("{context} {} {}: got {got:?}", want.method, want.path);
        assert_eq!(got.vendor, self.name, "{what}");
        assert_eq!(got.method, want.method, "{what}");
        assert_eq!(got.path, fill_str(&want.path, vars), "{what}");
        let query = want.query.as_deref().map(|q| fill_str(q, vars));
        assert_eq!(got.query, query, "{what}");
        assert_eq!(
            got.body,
            want.body.as_ref().map(|b| fill(b, vars)),
            "{what}"
        );
        self.assert_headers_with(got, &want.headers, vars, context);
    }

    /// The headers of `got`: the vendor's, with `overrides`, a request id,
    /// this server's user agent, a JSON content type exactly when there is
    /// a body, and nothing else.
    pub fn assert_headers_with(
        &self,
        got: &Recorded,
        overrides: &[(&'static str, Header)],
        vars: &mut Vars,
        context: &str,
    ) {
        let what = format!("{context} {} {}: got {got:?}", got.method, got.path);
        let id = got.header("x-request-id").unwrap_or_default();
        assert!(
            id.starts_with("lmcp_") && id.len() > 20,
            "x-request-id: {what}"
        );
        let agent = got.header("user-agent").unwrap_or_default();
        assert!(agent.starts_with("leads-mcp/"), "user-agent: {what}");
        let json = got.body.is_some().then_some("application/json");
        assert_eq!(got.header("content-type"), json, "content-type: {what}");
        let mut expected: BTreeMap<&str, &Header> = BTreeMap::new();
        let json = is("application/json");
        expected.insert("accept", &json);
        for (name, h) in self.headers.iter().chain(overrides) {
            expected.insert(name, h);
        }
        for (name, h) in expected {
            let value = got.header(name);
            match h {
                Header::Is(v) => {
                    assert_eq!(value, Some(fill_str(v, vars).as_str()), "{name}: {what}")
                }
                Header::Absent => assert_eq!(value, None, "{name}: {what}"),
                Header::New { prefix, var } => {
                    let value = value.unwrap_or_default();
                    assert!(value.starts_with(prefix.as_str()), "{name}: {what}");
                    if let Some(old) = vars.get(*var) {
                        assert_ne!(old.as_str(), Some(value), "{name} not renewed: {what}");
                    }
                    vars.insert(var.to_string(), Value::String(value.to_string()));
                }
            }
        }
        for name in got.headers.keys() {
            let known = STANDARD_HEADERS.contains(&name.as_str())
                || self.extra_headers.contains(&name.as_str());
            assert!(known, "unexpected header {name}: {what}");
        }
    }

    /// The vars a run starts with.
    pub fn start_vars(&self) -> Vars {
        self.vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }
}

/// `text` with every `${var}` replaced by its value.
pub fn fill_str(text: &str, vars: &Vars) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .unwrap_or_else(|| panic!("unclosed ${{ in {text}"));
        let name = &rest[start + 2..start + end];
        match vars.get(name) {
            Some(Value::String(s)) => out.push_str(s),
            Some(v) => out.push_str(&v.to_string()),
            None => panic!("${{{name}}} is not set before {text}"),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// `value` with every `${var}` filled in; a string that is only `${var}`
/// becomes the value itself, whatever its type.
pub fn fill(value: &Value, vars: &Vars) -> Value {
    match value {
        Value::String(s) => match s.strip_prefix("${").and_then(|n| n.strip_suffix('}')) {
            Some(name) if !name.contains('}') => vars
                .get(name)
                .cloned()
                .unwrap_or_else(|| panic!("${{{name}}} is not set")),
            _ => Value::String(fill_str(s, vars)),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, vars)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// How long one run of a table may take: far more than it needs, so that a
/// server that stops answering fails the run instead of hanging it.
const RUN_BOUND: Duration = Duration::from_secs(120);

/// Plays `vendor`'s table over `transport` as an `era` client, against a
/// fresh sandbox, within [`RUN_BOUND`].
pub async fn run(vendor: &Vendor, transport: Transport, era: Era) {
    let played = tokio::time::timeout(RUN_BOUND, play(vendor, transport, era)).await;
    assert!(
        played.is_ok(),
        "{} over {transport:?} {era:?} did not finish within {RUN_BOUND:?}",
        vendor.name
    );
}

async fn play(vendor: &Vendor, transport: Transport, era: Era) {
    let up = Upstream::start().await;
    let env = (vendor.env)(&up);
    let handler = TestClient::new(vendor.human);
    let (client, server) = connect(transport, era, &vendor.args, &env, handler.clone()).await;
    let mut vars = vendor.start_vars();
    let mut covered = BTreeSet::new();
    for (n, case) in (vendor.cases)().into_iter().enumerate() {
        let what = format!("{transport:?} {era:?}, case {n}: {}", case.tool);
        let asked_before = handler.asked().len();
        let result = call(&client, &case.tool, fill(&case.args, &vars)).await;
        assert_eq!(is_error(&result), case.fails, "{what}: {}", text(&result));

        let reqs = up.requests();
        let reads = case.upstream.iter().filter(|(_, read)| *read);
        let mut expected: Vec<&Req> = Vec::new();
        if case.asks.is_some() && era == Era::Modern {
            // The retry that carries the answer checks the rules again.
            expected.extend(reads.map(|(r, _)| r));
        }
        expected.extend(case.upstream.iter().map(|(r, _)| r));
        assert_eq!(
            reqs.len(),
            expected.len(),
            "{what}: sent {:#?}",
            lines(&reqs)
        );
        for (got, want) in reqs.iter().zip(expected) {
            vendor.assert_request_with(got, want, &mut vars, &what);
        }

        let asked = handler.asked();
        match &case.asks {
            None => assert_eq!(asked.len(), asked_before, "{what}: asked {asked:#?}"),
            Some(shown) => {
                assert_eq!(asked.len(), asked_before + 1, "{what}: asked {asked:#?}");
                let message = asked.last().unwrap();
                for s in shown {
                    let s = fill_str(s, &vars);
                    assert!(message.contains(&s), "{what}: {s:?} not in {message}");
                }
            }
        }

        let s = structured(&result);
        if !case.fails {
            let id = s["request_id"].as_str().unwrap_or_default();
            let sent = reqs.last().and_then(|r| r.header("x-request-id"));
            let from_vendor = id.starts_with("req_");
            match vendor.request_id {
                RequestId::Vendor => assert!(from_vendor, "{what}: {s}"),
                RequestId::Sent => assert_eq!(Some(id), sent, "{what}: {s}"),
                RequestId::VendorOrSent => {
                    assert!(from_vendor || Some(id) == sent, "{what}: {s}")
                }
            }
            assert!(text(&result).contains(id), "{what}: {}", text(&result));
            (vendor.every_result)(&result);
        }
        for check in &case.checks {
            check(&result);
        }
        for (var, pointer) in &case.saves {
            let value = s
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{what}: no {pointer} in {s}"));
            vars.insert(var.to_string(), value.clone());
        }
        covered.insert(case.tool.clone());
    }

    let names = tool_names(&client).await;
    assert_eq!(names.len(), vendor.tools, "{names:?}");
    let listed: BTreeSet<String> = names.into_iter().collect();
    assert_eq!(listed.len(), vendor.tools, "a tool is listed twice");
    assert_eq!(
        listed, covered,
        "{transport:?} {era:?}: tools without a case"
    );
    client.cancel().await.unwrap();
    drop(server);
}

/// A vendor's table as five tests in a module `every_tool`, one per
/// transport × protocol generation. `$vendor` names a `fn() -> Vendor` of
/// the calling module.
#[macro_export]
macro_rules! every_tool_tests {
    ($vendor:ident) => {
        mod every_tool {
            use $crate::common::every_tool::run;
            use $crate::common::{Era, Transport};

            #[tokio::test]
            async fn stdio_handshake() {
                run(&super::$vendor(), Transport::Stdio, Era::Handshake).await;
            }

            #[tokio::test]
            async fn stdio_2026() {
                run(&super::$vendor(), Transport::Stdio, Era::Modern).await;
            }

            #[tokio::test]
            async fn streamable_http_handshake() {
                run(&super::$vendor(), Transport::StreamableHttp, Era::Handshake).await;
            }

            #[tokio::test]
            async fn streamable_http_2026() {
                run(&super::$vendor(), Transport::StreamableHttp, Era::Modern).await;
            }

            #[tokio::test]
            async fn legacy_sse() {
                run(&super::$vendor(), Transport::LegacySse, Era::Handshake).await;
            }
        }
    };
}
