//! Embedded vendor manifests (`tools/*.toml`) → validated tool specs.
//!
//! A manifest is the whole documented surface of one vendor: its base URL, its
//! envelope, its error hints and one `[[tool]]` per documented route. Everything
//! here is checked when the catalog loads, at startup and in tests, so a bad
//! manifest never reaches a client.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};

pub mod vocab;

use crate::vocab::{JsonObject, Method};

/// Longest tool name clients accept (Gemini, Claude API).
pub const MAX_TOOL_NAME: usize = 64;

/// One documented rate limit: at most `requests` requests with one of
/// `methods` in any `window`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub methods: Vec<Method>,
    pub requests: usize,
    pub window: std::time::Duration,
}

impl RateLimit {
    /// "60 POST/PATCH/DELETE requests per 60 s", for messages.
    pub fn describe(&self) -> String {
        let methods: Vec<&str> = self.methods.iter().map(|m| m.as_str()).collect();
        format!(
            "{} {} requests per {} s",
            self.requests,
            methods.join("/"),
            self.window.as_secs()
        )
    }
}

/// The read bounds of a stream tool: arguments of this server, never sent
/// upstream, that every stream tool's schema gets.
pub mod stream_bounds {
    pub const MAX_EVENTS_ARG: &str = "max_events";
    pub const MAX_SECONDS_ARG: &str = "max_seconds";
    /// The most events one call collects, and the default.
    pub const EVENTS_CAP: u64 = 500;
    pub const DEFAULT_EVENTS: u64 = 50;
    /// The longest one call reads, and the default.
    pub const SECONDS_CAP: u64 = 120;
    pub const DEFAULT_SECONDS: u64 = 20;
}

/// The schema properties of [`stream_bounds`].
fn stream_controls() -> [(&'static str, Value); 2] {
    use stream_bounds::*;
    [
        (
            MAX_EVENTS_ARG,
            json!({
                "type": "integer", "minimum": 1, "maximum": EVENTS_CAP, "default": DEFAULT_EVENTS,
                "description": format!("Stop after this many events, 1-{EVENTS_CAP} (default {DEFAULT_EVENTS}).")
            }),
        ),
        (
            MAX_SECONDS_ARG,
            json!({
                "type": "integer", "minimum": 1, "maximum": SECONDS_CAP, "default": DEFAULT_SECONDS,
                "description": format!("Stop reading after this many seconds, 1-{SECONDS_CAP} (default {DEFAULT_SECONDS}).")
            }),
        ),
    ]
}

#[derive(Debug, thiserror::Error)]
#[error("manifest {vendor}: {message}")]
pub struct CatalogError {
    pub vendor: String,
    pub message: String,
}

fn err(vendor: &str, message: impl Into<String>) -> CatalogError {
    CatalogError {
        vendor: vendor.to_string(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------
// Manifest file format
// ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    vendor: VendorManifest,
    #[serde(default)]
    groups: BTreeMap<String, GroupManifest>,
    #[serde(default)]
    params: BTreeMap<String, ParamManifest>,
    #[serde(rename = "tool")]
    tools: Vec<ToolManifest>,
    #[serde(default, rename = "resource")]
    resources: Vec<ResourceManifest>,
    /// Documented routes that are not tools because the adapter drives them
    /// (e.g. a login endpoint), each with the reason.
    #[serde(default, rename = "internal_route")]
    internal_routes: Vec<InternalRoute>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorManifest {
    name: String,
    title: String,
    doc: String,
    /// The documented base URL; `None` when the vendor publishes none.
    base_url: Option<String>,
    base_url_env: String,
    instructions: String,
    #[serde(default, rename = "refused_host")]
    refused_hosts: Vec<RefusedHost>,
    #[serde(default)]
    envelope: Envelope,
    #[serde(default, rename = "error")]
    errors: Vec<ErrorRule>,
    /// The kinds of credentials the vendor accepts (e.g. `jwt`, `api_key`),
    /// when its routes differ in which they take; tools name them in `auth`.
    #[serde(default)]
    auth_kinds: Vec<String>,
    /// The vendor's documented rate limits, enforced client-side per key.
    #[serde(default, rename = "rate_limit")]
    rate_limits: Vec<RateLimitManifest>,
    /// Names of JSON fields that hold credentials (tokens the vendor hands
    /// out): their values are withheld from every result.
    #[serde(default)]
    secret_fields: Vec<String>,
}

/// `[[vendor.rate_limit]]`: at most `requests` requests with one of
/// `methods` in any `per_seconds` seconds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitManifest {
    methods: Vec<String>,
    requests: usize,
    per_seconds: u64,
}

/// A group is either a one-line description or a table with more settings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum GroupManifest {
    Description(String),
    Full {
        description: String,
        /// Privileged groups are served only when named in `--tools`.
        #[serde(default)]
        privileged: bool,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusedHost {
    pub host: String,
    /// The vendor's own rule, quoted in the startup error.
    pub rule: String,
}

/// Where the vendor puts things in its JSON responses, as JSON pointers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    #[serde(default)]
    pub request_id: Vec<String>,
    #[serde(default)]
    pub error_code: Vec<String>,
    #[serde(default)]
    pub error_message: Vec<String>,
    /// Extra error fields worth passing on (details, recommendation, ...).
    #[serde(default)]
    pub error_details: Vec<String>,
    /// A boolean that, when `false`, marks a failure even on HTTP 2xx.
    #[serde(default)]
    pub success_flag: Option<String>,
    #[serde(default)]
    pub pagination: Option<String>,
    /// Where a list response keeps its items (default `/data`): one pointer,
    /// or several when the vendor names each list's items differently (the
    /// first that holds an array is the list).
    #[serde(default, deserialize_with = "one_or_many")]
    pub items: Vec<String>,
    /// Cursor pagination: where a response gives the next page's cursor (the
    /// first non-empty string wins; absent or null means the last page).
    #[serde(default)]
    pub next_cursor: Vec<String>,
    /// The argument names that take that cursor back; a tool with one of
    /// them is cursor-paginated and never offered an offset.
    #[serde(default)]
    pub cursor_arguments: Vec<String>,
    /// Fields of every answer that a result repeats at its top level and in
    /// its summary line (e.g. the credits a call spent). Errors carry them in
    /// their details.
    #[serde(default)]
    pub surface: Vec<SurfaceField>,
}

/// One envelope field every result repeats, where the vendor gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurfaceField {
    /// Its key in structured content (snake_case), e.g. `credits_used`.
    pub name: String,
    /// Where the vendor puts it, as JSON pointers; the first that holds a
    /// value wins.
    pub pointers: Vec<String>,
    /// How the summary line names it, e.g. `credits used`.
    pub label: String,
}

impl Envelope {
    /// The pointer of the list in `body`: the first `items` pointer that
    /// holds an array, else the first pointer (or `/data`).
    pub fn items_pointer(&self, body: &Value) -> &str {
        self.items
            .iter()
            .find(|p| body.pointer(p).is_some_and(Value::is_array))
            .or(self.items.first())
            .map_or("/data", String::as_str)
    }

    /// The argument of `tool` that takes a cursor, if it is cursor-paginated.
    pub fn cursor_argument<'a>(&'a self, tool: &ToolSpec) -> Option<&'a str> {
        self.cursor_arguments
            .iter()
            .find(|name| tool.param(name).is_some())
            .map(String::as_str)
    }

    /// The cursor of the next page in `body`, if there is one.
    pub fn next_cursor<'a>(&self, body: &'a Value) -> Option<&'a str> {
        self.next_cursor
            .iter()
            .filter_map(|p| body.pointer(p).and_then(Value::as_str))
            .find(|c| !c.is_empty())
    }
}

/// A string or a list of strings.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// One hint of the vendor's troubleshooting advice. Every rule whose
/// conditions match an error contributes its hint, in manifest order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorRule {
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub code: Option<String>,
    /// Only for calls that used the agency-client route (`true`) or not (`false`).
    #[serde(default)]
    pub agency: Option<bool>,
    /// Only for these tools.
    #[serde(default)]
    pub tools: Vec<String>,
    pub hint: String,
    /// The vendor documents this status as a normal answer, not a failure.
    #[serde(default)]
    pub not_an_error: bool,
}

// No `deny_unknown_fields`: serde can't combine it with `flatten`;
// `check_param` allows only known JSON Schema keywords instead.
#[derive(Debug, Clone, Deserialize)]
struct ParamManifest {
    /// Argument name when it differs from the table key.
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "in")]
    location: Location,
    #[serde(default)]
    required: bool,
    /// For an object argument: the properties it must have (its schema's
    /// `required`; the key `required` says whether the argument is needed).
    #[serde(default)]
    required_fields: Vec<String>,
    description: String,
    /// The rest is JSON Schema for the argument (type, bounds, enum, ...).
    #[serde(flatten)]
    schema: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// A `{placeholder}` of the path template.
    Path,
    /// A query-string parameter of the same name.
    Query,
    /// A field of the JSON body of the same name.
    Body,
    /// An object whose fields become the JSON body (for undocumented bodies).
    BodyObject,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolManifest {
    name: String,
    title: String,
    group: String,
    description: String,
    method: String,
    path: String,
    #[serde(default)]
    agency_path: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    /// Shared parameters (keys of `[params]`) this tool takes.
    #[serde(default, rename = "use")]
    uses: Vec<String>,
    /// Parameters of this tool only.
    #[serde(default)]
    params: BTreeMap<String, ParamManifest>,
    /// Arguments required by this tool even though their shared definition is optional.
    #[serde(default)]
    required: Vec<String>,
    /// Fixed query parameters the route always carries (e.g. `purge=true`).
    #[serde(default)]
    query_const: BTreeMap<String, String>,
    /// At least one body argument must be given (PATCH-style updates).
    #[serde(default)]
    body_required: bool,
    /// Rules between arguments that a portable schema can't express.
    #[serde(default, rename = "rule")]
    rules: Vec<ArgumentRule>,
    #[serde(default)]
    read_only: Option<bool>,
    #[serde(default)]
    destructive: Option<bool>,
    #[serde(default)]
    idempotent: Option<bool>,
    #[serde(default)]
    confirm: Option<ConfirmKind>,
    /// What personal data results can hold; makes the tool `sensitive`.
    #[serde(default)]
    privacy: Option<String>,
    /// Results carry text written by third parties.
    #[serde(default)]
    untrusted: bool,
    /// More field names whose values are withheld from this tool's results,
    /// besides the vendor's `secret_fields` (for names like `token` that
    /// are credentials on one route and ordinary data on another).
    #[serde(default)]
    secret_fields: Vec<String>,
    /// `false`: the route needs no credentials (they are still sent when set).
    /// A list of the vendor's `auth_kinds`: only these credentials are accepted.
    #[serde(default)]
    auth: AuthManifest,
    /// The route answers with a Server-Sent Events stream: the tool reads it
    /// for a bounded time and number of events (see `stream.rs`).
    #[serde(default)]
    stream: bool,
    /// The route ends the adapter's login session (a logout): the adapter
    /// adds the session's own credentials to the body and forgets them after
    /// the vendor accepts it.
    #[serde(default)]
    ends_session: bool,
    /// The vendor documents a text answer (e.g. markdown), not JSON: a body
    /// that doesn't parse is the answer itself, not a malformed one.
    #[serde(default)]
    text_answer: bool,
}

/// `auth = true | false`, or the kinds of credentials a route accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum AuthManifest {
    Needed(bool),
    Kinds(Vec<String>),
}

impl Default for AuthManifest {
    fn default() -> Self {
        Self::Needed(true)
    }
}

fn json_mime() -> String {
    "application/json".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmKind {
    /// Contacts a person (a DM, a reply).
    Send,
    /// An irreversible action on many records.
    Bulk,
    /// Acting as another user (impersonation). Always asked of a human,
    /// even when `LEADS_MCP_CONFIRM=client` trusts the client for the rest.
    Impersonate,
    /// A decision in a human approval queue (approve or reject agent work):
    /// the queue exists so that a person reviews it.
    Approval,
}

impl ConfirmKind {
    /// Whether only a human's answer through elicitation will do, whatever
    /// the operator's confirmation mode.
    pub fn always_asks_a_human(self) -> bool {
        matches!(self, Self::Impersonate)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Bulk => "bulk",
            Self::Impersonate => "impersonate",
            Self::Approval => "approval",
        }
    }
}

/// A documented rule between arguments, e.g. "a dislike needs a reason" or
/// "give at least one identifier". Checked before anything is sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgumentRule {
    /// Applies when every named argument has exactly this value.
    #[serde(default)]
    pub when: Map<String, Value>,
    /// These arguments must then be given (and not null).
    #[serde(default)]
    pub require: Vec<String>,
    /// At least one of these groups must then be given in full.
    #[serde(default)]
    pub any_of: Vec<Vec<String>>,
    /// These arguments, when given as strings, must be RFC 3339 (ISO 8601
    /// with an offset) timestamps later than now.
    #[serde(default)]
    pub future: Vec<String>,
    /// Apply the rule to each object of this array argument instead.
    #[serde(default)]
    pub each: Option<String>,
    /// What the caller is told when the rule is broken.
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceManifest {
    pub uri: String,
    pub name: String,
    pub title: String,
    pub description: String,
    /// The content's type (default `application/json`).
    #[serde(default = "json_mime")]
    pub mime_type: String,
    /// The read-only, argument-free tool whose result is the resource's content.
    pub tool: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternalRoute {
    pub method: String,
    pub path: String,
    pub reason: String,
}

// ---------------------------------------------------------------------------
// Runtime specs
// ---------------------------------------------------------------------------

/// One vendor as its manifest describes it.
#[derive(Debug)]
pub struct VendorSpec {
    pub name: String,
    pub title: String,
    pub doc: String,
    pub base_url: Option<String>,
    pub base_url_env: String,
    pub instructions: String,
    pub refused_hosts: Vec<RefusedHost>,
    pub envelope: Envelope,
    pub errors: Vec<ErrorRule>,
    pub rate_limits: Vec<RateLimit>,
    pub secret_fields: Vec<String>,
    pub groups: BTreeMap<String, GroupSpec>,
    pub resources: Vec<ResourceManifest>,
    pub internal_routes: Vec<InternalRoute>,
    pub auth_kinds: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct GroupSpec {
    pub description: String,
    pub privileged: bool,
}

/// A path template split into literal text and `{placeholders}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    pub raw: String,
    pub parts: Vec<PathPart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPart {
    Literal(String),
    Param(String),
}

impl PathTemplate {
    fn parse(raw: &str) -> Result<Self, String> {
        if !raw.is_empty() && !raw.starts_with('/') {
            return Err(format!(
                "path {raw:?} must start with '/' (or be empty for the base URL)"
            ));
        }
        let mut parts = Vec::new();
        let mut rest = raw;
        while let Some(open) = rest.find('{') {
            let (literal, tail) = rest.split_at(open);
            let Some(close) = tail.find('}') else {
                return Err(format!("path {raw:?} has an unclosed '{{'"));
            };
            let name = &tail[1..close];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
            {
                return Err(format!(
                    "path {raw:?}: placeholder {{{name}}} must be snake_case"
                ));
            }
            if !literal.is_empty() {
                parts.push(PathPart::Literal(literal.to_string()));
            }
            parts.push(PathPart::Param(name.to_string()));
            rest = &tail[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(PathPart::Literal(rest.to_string()));
        }
        for part in &parts {
            if let PathPart::Literal(text) = part {
                let ok = text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | ':'));
                if !ok || text.contains("//") || text.split('/').any(|s| s == "." || s == "..") {
                    return Err(format!("path {raw:?} has unsafe literal text {text:?}"));
                }
            }
        }
        Ok(Self {
            raw: raw.to_string(),
            parts,
        })
    }

    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            PathPart::Param(name) => Some(name.as_str()),
            PathPart::Literal(_) => None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub location: Location,
    pub required: bool,
}

/// Everything the pipeline needs to know about one tool.
#[derive(Debug)]
pub struct ToolSpec {
    pub name: String,
    pub vendor: String,
    pub group: String,
    pub title: String,
    pub description: String,
    pub method: Method,
    pub path: PathTemplate,
    pub agency_path: Option<PathTemplate>,
    pub scope: Option<String>,
    pub params: Vec<Param>,
    pub query_const: Vec<(String, String)>,
    pub body_required: bool,
    pub rules: Vec<ArgumentRule>,
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub confirm: Option<ConfirmKind>,
    pub privacy: Option<String>,
    pub untrusted: bool,
    /// Field names withheld from results: the vendor's and the tool's own.
    pub secret_fields: Vec<String>,
    pub auth: bool,
    /// The kinds of credentials the route accepts, in the vendor's terms
    /// (its `auth_kinds`); empty: whatever the adapter has.
    pub auth_kinds: Vec<String>,
    /// Reads a Server-Sent Events stream (see `stream.rs`).
    pub stream: bool,
    /// Ends the adapter's login session (see `Adapter::session_end_body`).
    pub ends_session: bool,
    /// The vendor documents a text answer, not JSON (see `ToolManifest::text_answer`).
    pub text_answer: bool,
    /// Its group is privileged: served only when named.
    pub privileged: bool,
    pub input_schema: Arc<JsonObject>,
    pub validator: jsonschema::Validator,
}

impl ToolSpec {
    pub fn sensitive(&self) -> bool {
        self.privacy.is_some()
    }

    /// `vendor:group`, the name `--tools` and `--exclude-tools` accept for the group.
    pub fn group_id(&self) -> String {
        format!("{}:{}", self.vendor, self.group)
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The row `leads-mcp tools --json` prints for this tool.
    pub fn summary(&self) -> Value {
        json!({
            "name": self.name,
            "vendor": self.vendor,
            "group": self.group_id(),
            "title": self.title,
            "method": self.method.as_str(),
            "path": self.path.raw,
            "agency_path": self.agency_path.as_ref().map(|p| p.raw.clone()),
            "scope": self.scope,
            "read_only": self.read_only,
            "destructive": self.destructive,
            "confirm": self.confirm,
            "sensitive": self.sensitive(),
            "privileged": self.privileged,
            "stream": self.stream,
        })
    }
}

/// All vendors and tools the binary knows, before any selection.
#[derive(Debug)]
pub struct Catalog {
    pub vendors: Vec<Arc<VendorSpec>>,
    pub tools: Vec<Arc<ToolSpec>>,
}

impl Catalog {
    /// Reads and checks the manifests, each given with the vendor name it
    /// must declare.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, CatalogError> {
        let mut vendors = Vec::new();
        let mut tools = Vec::new();
        let mut names = BTreeSet::new();
        for (expected, text) in sources {
            let manifest: Manifest =
                toml::from_str(text).map_err(|e| err(expected, format!("not valid: {e}")))?;
            let (vendor, vendor_tools) = build_vendor(expected, manifest)?;
            for tool in &vendor_tools {
                if !names.insert(tool.name.clone()) {
                    return Err(err(
                        expected,
                        format!("tool {} is defined twice", tool.name),
                    ));
                }
            }
            vendors.push(Arc::new(vendor));
            tools.extend(vendor_tools.into_iter().map(Arc::new));
        }
        Ok(Self { vendors, tools })
    }

    pub fn vendor(&self, name: &str) -> Option<&Arc<VendorSpec>> {
        self.vendors.iter().find(|v| v.name == name)
    }

    pub fn tool(&self, name: &str) -> Option<&Arc<ToolSpec>> {
        self.tools.iter().find(|t| t.name == name)
    }
}

fn build_vendor(expected: &str, m: Manifest) -> Result<(VendorSpec, Vec<ToolSpec>), CatalogError> {
    let v = &m.vendor;
    if v.name != expected {
        return Err(err(expected, format!("vendor.name is {:?}", v.name)));
    }
    let mut groups = BTreeMap::new();
    for (name, group) in m.groups {
        let spec = match group {
            GroupManifest::Description(description) => GroupSpec {
                description,
                privileged: false,
            },
            GroupManifest::Full {
                description,
                privileged,
            } => GroupSpec {
                description,
                privileged,
            },
        };
        groups.insert(name, spec);
    }
    if v.envelope.next_cursor.is_empty() != v.envelope.cursor_arguments.is_empty() {
        return Err(err(
            expected,
            "envelope: next_cursor and cursor_arguments go together",
        ));
    }
    let mut tools = Vec::new();
    for t in &m.tools {
        let tool = build_tool(
            &v.name,
            t,
            &m.params,
            &groups,
            &v.auth_kinds,
            &v.secret_fields,
        )
        .map_err(|e| err(expected, format!("tool {}: {e}", t.name)))?;
        tools.push(tool);
    }
    for rule in &v.errors {
        for name in &rule.tools {
            if !tools.iter().any(|t| &t.name == name) {
                return Err(err(
                    expected,
                    format!("error rule names unknown tool {name}"),
                ));
            }
        }
    }
    for r in &m.resources {
        let Some(tool) = tools.iter().find(|t| t.name == r.tool) else {
            return Err(err(
                expected,
                format!("resource {} names unknown tool {}", r.uri, r.tool),
            ));
        };
        if !tool.read_only || tool.stream || tool.params.iter().any(|p| p.required) {
            return Err(err(
                expected,
                format!(
                    "resource {}: tool {} must be a read-only, argument-free request (not a stream)",
                    r.uri, r.tool
                ),
            ));
        }
        if !r.uri.starts_with(&format!("{}://", v.name)) {
            return Err(err(
                expected,
                format!("resource {} must use the {}:// scheme", r.uri, v.name),
            ));
        }
    }
    check_surface(&v.envelope).map_err(|e| err(expected, e))?;
    let mut rate_limits = Vec::new();
    for r in &v.rate_limits {
        let methods = r
            .methods
            .iter()
            .map(|m| {
                Method::parse(m)
                    .ok_or_else(|| err(expected, format!("rate_limit: unknown method {m}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if methods.is_empty() || r.requests == 0 || r.per_seconds == 0 {
            return Err(err(
                expected,
                "rate_limit needs methods, requests > 0 and per_seconds > 0",
            ));
        }
        rate_limits.push(RateLimit {
            methods,
            requests: r.requests,
            window: std::time::Duration::from_secs(r.per_seconds),
        });
    }
    let spec = VendorSpec {
        name: v.name.clone(),
        title: v.title.clone(),
        doc: v.doc.clone(),
        base_url: v.base_url.clone(),
        base_url_env: v.base_url_env.clone(),
        instructions: v.instructions.trim().to_string(),
        refused_hosts: v.refused_hosts.clone(),
        envelope: v.envelope.clone(),
        errors: v.errors.clone(),
        rate_limits,
        secret_fields: v.secret_fields.clone(),
        groups,
        resources: m.resources,
        internal_routes: m.internal_routes,
        auth_kinds: v.auth_kinds.clone(),
    };
    Ok((spec, tools))
}

fn build_tool(
    vendor: &str,
    t: &ToolManifest,
    shared: &BTreeMap<String, ParamManifest>,
    groups: &BTreeMap<String, GroupSpec>,
    vendor_auth_kinds: &[String],
    vendor_secrets: &[String],
) -> Result<ToolSpec, String> {
    check_tool_name(vendor, &t.name)?;
    if !groups.contains_key(&t.group) {
        return Err(format!("group {:?} is not declared in [groups]", t.group));
    }
    if t.description.trim().is_empty() || t.title.trim().is_empty() {
        return Err("title and description must not be empty".into());
    }
    let method = Method::parse(&t.method).ok_or_else(|| format!("unknown method {}", t.method))?;
    let path = PathTemplate::parse(&t.path)?;
    let agency_path = t
        .agency_path
        .as_deref()
        .map(PathTemplate::parse)
        .transpose()?;

    // Collect the arguments: shared ones first, in the order `use` lists them.
    let mut defs: Vec<(String, ParamManifest)> = Vec::new();
    for key in &t.uses {
        let def = shared
            .get(key)
            .ok_or_else(|| format!("uses unknown shared param {key:?}"))?;
        let name = def.name.clone().unwrap_or_else(|| key.clone());
        defs.push((name, def.clone()));
    }
    for (key, def) in &t.params {
        let name = def.name.clone().unwrap_or_else(|| key.clone());
        defs.push((name, def.clone()));
    }
    let mut seen = BTreeSet::new();
    for (name, _) in &defs {
        if !seen.insert(name.clone()) {
            return Err(format!("argument {name:?} is declared twice"));
        }
    }
    for name in &t.required {
        if !seen.contains(name) {
            return Err(format!("`required` names unknown argument {name:?}"));
        }
    }

    let mut params = Vec::new();
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, def) in &defs {
        let is_required = def.required || t.required.contains(name);
        check_param(name, def, is_required)?;
        let mut schema = def.schema.clone();
        schema.insert("description".into(), Value::String(def.description.clone()));
        if !def.required_fields.is_empty() {
            let declared = schema.get("properties").and_then(Value::as_object);
            for field in &def.required_fields {
                if !declared.is_some_and(|p| p.contains_key(field)) {
                    return Err(format!(
                        "argument {name}: required field {field:?} is not one of its properties"
                    ));
                }
            }
            schema.insert("required".into(), json!(def.required_fields));
        }
        properties.insert(name.clone(), Value::Object(schema));
        if is_required {
            required.push(Value::String(name.clone()));
        }
        params.push(Param {
            name: name.clone(),
            location: def.location,
            required: is_required,
        });
    }

    check_routes(&path, agency_path.as_ref(), &params)?;
    if t.stream {
        if method != Method::Get {
            return Err("a stream tool reads an event stream: its method must be GET".into());
        }
        // The bounds of the read: this server's arguments, never sent upstream.
        for (name, schema) in stream_controls() {
            if properties.insert(name.to_string(), schema).is_some() {
                return Err(format!(
                    "argument {name} is reserved for stream tools' read bounds"
                ));
            }
        }
    }
    for rule in &t.rules {
        check_rule(rule, &properties)?;
    }
    if params
        .iter()
        .filter(|p| p.location == Location::BodyObject)
        .count()
        > 1
    {
        return Err("at most one body_object argument".into());
    }
    let has_body = params
        .iter()
        .any(|p| matches!(p.location, Location::Body | Location::BodyObject));
    if t.body_required && !has_body {
        return Err("body_required without body arguments".into());
    }
    if has_body && method == Method::Get {
        return Err("GET routes take no body".into());
    }

    // Annotations: GET is read-only; DELETE is destructive; the manifest may
    // only make a tool more careful than its method suggests, or mark a
    // documented read (e.g. a POST search) as read-only.
    let read_only = match (method, t.read_only) {
        (Method::Get, Some(false)) => {
            return Err("a GET tool cannot be marked read_only = false".into());
        }
        (Method::Get, _) => true,
        (_, Some(v)) => v,
        _ => false,
    };
    let destructive = match (method, t.destructive) {
        (Method::Delete, Some(false)) => {
            return Err("a DELETE tool cannot be marked destructive = false".into());
        }
        (_, Some(v)) => v,
        (m, None) => m == Method::Delete,
    };
    if read_only && (destructive || t.confirm.is_some()) {
        return Err("a read-only tool cannot be destructive or need confirmation".into());
    }
    let (auth, auth_kinds) = match &t.auth {
        AuthManifest::Needed(needed) => (*needed, Vec::new()),
        AuthManifest::Kinds(kinds) => {
            if kinds.is_empty() {
                return Err(
                    "auth = [] accepts nothing; write auth = false for a public route".into(),
                );
            }
            if let Some(unknown) = kinds.iter().find(|k| !vendor_auth_kinds.contains(k)) {
                return Err(format!(
                    "auth names {unknown:?}, not one of the vendor's auth_kinds {vendor_auth_kinds:?}"
                ));
            }
            (true, kinds.clone())
        }
    };
    if read_only && t.ends_session {
        return Err("a tool that ends the session is not read-only".into());
    }
    let idempotent = t
        .idempotent
        .unwrap_or(matches!(method, Method::Get | Method::Put | Method::Delete));

    let min_properties = stated_minimum(t, &params, &properties)?;
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    if let Some(min) = min_properties {
        schema.insert("minProperties".into(), json!(min));
    }
    schema.insert("additionalProperties".into(), Value::Bool(false));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        // Draft 7 has no `uuid` format; ids like LeadPanther's clientId need one.
        .with_format("uuid", is_uuid)
        .build(&Value::Object(schema.clone()))
        .map_err(|e| format!("input schema is not valid JSON Schema: {e}"))?;

    Ok(ToolSpec {
        name: t.name.clone(),
        vendor: vendor.to_string(),
        group: t.group.clone(),
        title: t.title.clone(),
        description: t.description.trim().to_string(),
        method,
        path,
        agency_path,
        scope: t.scope.clone(),
        params,
        query_const: t.query_const.clone().into_iter().collect(),
        body_required: t.body_required,
        rules: t.rules.clone(),
        read_only,
        destructive,
        idempotent,
        confirm: t.confirm,
        privacy: t.privacy.clone(),
        untrusted: t.untrusted,
        auth,
        auth_kinds,
        secret_fields: vendor_secrets
            .iter()
            .chain(&t.secret_fields)
            .cloned()
            .collect(),
        stream: t.stream,
        ends_session: t.ends_session,
        text_answer: t.text_answer,
        privileged: groups.get(&t.group).is_some_and(|g| g.privileged),
        input_schema: Arc::new(schema),
        validator,
    })
}

/// "Give at least one field" in the schema, where a portable schema can
/// say it (the server checks it too, with a clearer message):
/// - a `body_required` tool whose body is one `body_object` argument must
///   give that object `minProperties = 1`;
/// - when the fields of which at least one is needed (the body of a
///   `body_required` tool, or an unconditional `any_of` rule of single
///   arguments) are exactly the optional arguments, the input itself gets
///   `minProperties` = its required arguments + 1: with no other properties
///   allowed, that is the same rule.
fn stated_minimum(
    t: &ToolManifest,
    params: &[Param],
    properties: &Map<String, Value>,
) -> Result<Option<usize>, String> {
    let is_body = |p: &Param| matches!(p.location, Location::Body | Location::BodyObject);
    let mut at_least_one: Vec<BTreeSet<&str>> = Vec::new();
    if t.body_required {
        let body: Vec<&Param> = params.iter().filter(|p| is_body(p)).collect();
        if let [only] = body.as_slice()
            && only.location == Location::BodyObject
        {
            let min = properties
                .get(&only.name)
                .and_then(|p| p.get("minProperties"))
                .and_then(Value::as_u64);
            if min.is_none_or(|m| m < 1) {
                return Err(format!(
                    "body_required: give the body_object argument {} minProperties = 1, so its schema says it",
                    only.name
                ));
            }
        }
        at_least_one.push(body.iter().map(|p| p.name.as_str()).collect());
    }
    for rule in &t.rules {
        let plain = rule.when.is_empty()
            && rule.each.is_none()
            && rule.require.is_empty()
            && rule.future.is_empty();
        if plain && rule.any_of.iter().all(|group| group.len() == 1) {
            at_least_one.push(rule.any_of.iter().flatten().map(String::as_str).collect());
        }
    }
    if t.stream {
        return Ok(None);
    }
    let optional: BTreeSet<&str> = params
        .iter()
        .filter(|p| !p.required)
        .map(|p| p.name.as_str())
        .collect();
    let required = params.len() - optional.len();
    Ok(at_least_one
        .iter()
        .any(|names| !names.is_empty() && *names == optional)
        .then_some(required + 1))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn check_tool_name(vendor: &str, name: &str) -> Result<(), String> {
    let prefix = format!("{vendor}_");
    let words: Vec<&str> = name
        .strip_prefix(&prefix)
        .unwrap_or("")
        .split('_')
        .collect();
    let snake = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !name.starts_with(&prefix) || words.len() < 2 || words.iter().any(|w| w.is_empty()) || !snake
    {
        return Err(format!("name must be {vendor}_<verb>_<noun> in snake_case"));
    }
    if name.len() > MAX_TOOL_NAME {
        return Err(format!("name is longer than {MAX_TOOL_NAME} characters"));
    }
    Ok(())
}

/// The JSON Schema keywords an argument may use: draft-07, and portable.
const SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "enum",
    "default",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
];

/// Where a sub-schema (`items`, a property) is a bare boolean, which strict
/// clients reject; `additionalProperties: false` stays allowed.
fn bare_boolean_schema(schema: &Value, at: &str) -> Option<String> {
    if let Some(items) = schema.get("items") {
        if items.is_boolean() {
            return Some(format!("{at}.items"));
        }
        if let Some(found) = bare_boolean_schema(items, &format!("{at}[]")) {
            return Some(found);
        }
    }
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let here = format!("{at}.{name}");
        if property.is_boolean() {
            return Some(here);
        }
        if let Some(found) = bare_boolean_schema(property, &here) {
            return Some(found);
        }
    }
    None
}

fn check_param(name: &str, def: &ParamManifest, required: bool) -> Result<(), String> {
    let snake_or_wire = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() || !snake_or_wire {
        return Err(format!("argument name {name:?} must be alphanumeric"));
    }
    if def.description.trim().is_empty() {
        return Err(format!("argument {name} has no description"));
    }
    if !def.schema.contains_key("type") {
        return Err(format!("argument {name} has no type"));
    }
    for key in def.schema.keys() {
        if !SCHEMA_KEYWORDS.contains(&key.as_str()) {
            return Err(format!(
                "argument {name}: `{key}` is not an allowed schema keyword (no combinators or references: they are not portable across clients)"
            ));
        }
    }
    if let Some(at) = bare_boolean_schema(&Value::Object(def.schema.clone()), name) {
        return Err(format!(
            "{at}: a bare `true`/`false` where a schema object belongs is not portable; write the schema"
        ));
    }
    // The guide's pagination rule: limit/offset, bounded; never page/page_size.
    match name {
        "page" | "page_size" | "per_page" | "pageSize" => {
            return Err(format!("argument {name}: use limit/offset pagination"));
        }
        "limit" => {
            let bounded =
                def.schema.get("minimum").is_some() && def.schema.get("maximum").is_some();
            if !bounded {
                return Err("limit needs a minimum and a maximum".into());
            }
        }
        "offset" if def.schema.get("minimum") != Some(&json!(0)) => {
            return Err("offset needs minimum = 0".into());
        }
        _ => {}
    }
    if def.location == Location::Path
        && def.schema.get("type") != Some(&json!("string"))
        && def.schema.get("type") != Some(&json!("integer"))
    {
        return Err(format!(
            "path argument {name} must be a string or an integer"
        ));
    }
    // An integer id has the vendor's range, so the schema itself refuses an
    // id no vendor issues (e.g. 2^63, beyond what JSON parsers hold exactly).
    if def.location == Location::Path
        && def.schema.get("type") == Some(&json!("integer"))
        && (def.schema.get("minimum").is_none() || def.schema.get("maximum").is_none())
    {
        return Err(format!(
            "integer path argument {name} needs a minimum and a maximum (the vendor's id range)"
        ));
    }
    if def.location == Location::BodyObject && (def.schema.get("type") != Some(&json!("object"))) {
        return Err(format!("body_object argument {name} must be an object"));
    }
    let _ = required;
    Ok(())
}

/// A rule may only name arguments the tool has (or properties of the
/// array items it applies to), and must ask for something.
fn check_rule(rule: &ArgumentRule, properties: &Map<String, Value>) -> Result<(), String> {
    let scope = match &rule.each {
        Some(array) => properties
            .get(array)
            .filter(|p| p.get("type") == Some(&json!("array")))
            .and_then(|p| p.pointer("/items/properties"))
            .and_then(Value::as_object)
            .ok_or_else(|| {
                format!("rule: `each` names {array:?}, not an array of objects with properties")
            })?,
        None => properties,
    };
    if rule.require.is_empty() && rule.any_of.is_empty() && rule.future.is_empty() {
        return Err("rule: give `require`, `any_of` or `future`".into());
    }
    let named = rule
        .when
        .keys()
        .chain(rule.require.iter())
        .chain(rule.any_of.iter().flatten())
        .chain(rule.future.iter());
    for name in named {
        if !scope.contains_key(name) {
            return Err(format!("rule names unknown argument {name:?}"));
        }
    }
    Ok(())
}

/// Every placeholder is a path argument, every path argument is used, and the
/// only thing that selects the agency route is `client_id`.
fn check_routes(
    path: &PathTemplate,
    agency: Option<&PathTemplate>,
    params: &[Param],
) -> Result<(), String> {
    let path_args: BTreeSet<&str> = params
        .iter()
        .filter(|p| p.location == Location::Path)
        .map(|p| p.name.as_str())
        .collect();
    let direct: BTreeSet<&str> = path.params().collect();
    for name in &direct {
        let Some(p) = params.iter().find(|p| p.name == *name) else {
            return Err(format!("path placeholder {{{name}}} has no argument"));
        };
        if p.location != Location::Path || !p.required {
            return Err(format!(
                "path placeholder {{{name}}} needs a required path argument"
            ));
        }
    }
    let mut used = direct.clone();
    if let Some(agency) = agency {
        let agency_params: BTreeSet<&str> = agency.params().collect();
        if !direct.is_subset(&agency_params) {
            return Err("agency_path must keep every placeholder of path".into());
        }
        let extra: Vec<&&str> = agency_params.difference(&direct).collect();
        if extra.as_slice() != [&"client_id"] {
            return Err("agency_path must add exactly the {client_id} placeholder".into());
        }
        match params.iter().find(|p| p.name == "client_id") {
            Some(p) if p.location == Location::Path && !p.required => {}
            _ => {
                return Err(
                    "client_id must be an optional path argument when agency_path is set".into(),
                );
            }
        }
        used.extend(agency_params);
    }
    if let Some(unused) = path_args.difference(&used).next() {
        return Err(format!("path argument {unused} appears in no path"));
    }
    Ok(())
}

/// Surfaced fields have snake_case names of their own, pointers and a label.
fn check_surface(envelope: &Envelope) -> Result<(), String> {
    let mut names = BTreeSet::new();
    for field in &envelope.surface {
        let snake = !field.name.is_empty()
            && field
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !snake || !names.insert(field.name.as_str()) {
            return Err(format!(
                "envelope.surface: {:?} must be a snake_case name, used once",
                field.name
            ));
        }
        if [
            "request_id",
            "note",
            "privacy_notice",
            "untrusted_content",
            "truncated",
            "next_offset",
            "next_page",
            "withheld",
            "error",
        ]
        .contains(&field.name.as_str())
        {
            return Err(format!(
                "envelope.surface: {} is a name results already use",
                field.name
            ));
        }
        if field.pointers.is_empty() || field.pointers.iter().any(|p| !p.starts_with('/')) {
            return Err(format!(
                "envelope.surface.{}: give JSON pointers starting with '/'",
                field.name
            ));
        }
        if field.label.trim().is_empty() {
            return Err(format!("envelope.surface.{}: give a label", field.name));
        }
    }
    Ok(())
}

/// A one-vendor manifest ("acme") for unit tests: `vendor_tables` go into
/// `[vendor]` (envelope, error rules), `rest` after it (groups, tools).
pub fn test_manifest(vendor_tables: &str, rest: &str) -> String {
    format!(
        "[vendor]\nname = \"acme\"\ntitle = \"Acme\"\ndoc = \"x.txt\"\nbase_url = \"https://acme.example/api\"\nbase_url_env = \"ACME_BASE_URL\"\ninstructions = \"Acme.\"\n{vendor_tables}\n{rest}"
    )
}

/// `vendor:group` → (vendor, group), when it names a declared group.
pub fn split_group_id(id: &str) -> Option<(&str, &str)> {
    id.split_once(':')
}

/// Maps each tool name to its index, for the selection code and the server.
pub fn index_by_name(tools: &[Arc<ToolSpec>]) -> HashMap<String, usize> {
    tools
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `test_manifest` with a `things` group and a shared `limit`.
    fn minimal(tool: &str) -> String {
        test_manifest(
            "",
            &format!(
                "[groups]\nthings = \"Things\"\n[params.limit]\nin = \"query\"\ntype = \"integer\"\nminimum = 1\nmaximum = 100\ndescription = \"Page size.\"\n{tool}"
            ),
        )
    }

    fn load(tool: &str) -> Result<Catalog, CatalogError> {
        let text = minimal(tool);
        Catalog::from_sources([("acme", text.as_str())])
    }

    #[test]
    fn a_valid_tool_loads() {
        let c = load(
            r#"
[[tool]]
name = "acme_list_things"
title = "List things"
group = "things"
description = "List things."
method = "GET"
path = "/things"
use = ["limit"]
"#,
        )
        .unwrap();
        let t = c.tool("acme_list_things").unwrap();
        assert_eq!(t.input_schema["properties"]["limit"]["maximum"], 100);
        assert_eq!(t.input_schema["additionalProperties"], false);
    }

    #[test]
    fn page_pagination_is_refused() {
        let e = load(
            r#"
[[tool]]
name = "acme_list_things"
title = "List things"
group = "things"
description = "List things."
method = "GET"
path = "/things"
[tool.params.page]
in = "query"
type = "integer"
description = "Page."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("limit/offset"), "{e}");
    }

    #[test]
    fn unbounded_limit_is_refused() {
        let e = load(
            r#"
[[tool]]
name = "acme_list_things"
title = "List things"
group = "things"
description = "List things."
method = "GET"
path = "/things"
[tool.params.limit]
in = "query"
type = "integer"
description = "Page size."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("maximum"), "{e}");
    }

    #[test]
    fn placeholder_without_argument_is_refused() {
        let e = load(
            r#"
[[tool]]
name = "acme_get_thing"
title = "Get thing"
group = "things"
description = "Get a thing."
method = "GET"
path = "/things/{id}"
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("{id}"), "{e}");
    }

    #[test]
    fn agency_path_must_only_add_client_id() {
        let e = load(
            r#"
[[tool]]
name = "acme_get_thing"
title = "Get thing"
group = "things"
description = "Get a thing."
method = "GET"
path = "/things"
agency_path = "/tenants/{tenant}/things"
[tool.params.tenant]
in = "path"
type = "string"
description = "Tenant."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("client_id"), "{e}");
    }

    #[test]
    fn get_cannot_claim_to_write_and_delete_is_destructive() {
        let e = load(
            r#"
[[tool]]
name = "acme_get_thing"
title = "Get"
group = "things"
description = "Get."
method = "GET"
path = "/things"
read_only = false
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("read_only"), "{e}");
        let c = load(
            r#"
[[tool]]
name = "acme_delete_things"
title = "Delete"
group = "things"
description = "Delete."
method = "DELETE"
path = "/things"
"#,
        )
        .unwrap();
        let t = c.tool("acme_delete_things").unwrap();
        assert!(t.destructive && !t.read_only && t.idempotent);
    }

    #[test]
    fn bad_names_are_refused() {
        for name in [
            "acme_things",
            "other_list_things",
            "acme_List_things",
            &format!("acme_list_{}", "x".repeat(70)),
        ] {
            let tool = format!(
                "[[tool]]\nname = \"{name}\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n"
            );
            assert!(load(&tool).is_err(), "{name} was accepted");
        }
    }

    #[test]
    fn undescribed_or_untyped_arguments_are_refused() {
        let e = load(
            r#"
[[tool]]
name = "acme_list_things"
title = "List"
group = "things"
description = "List."
method = "GET"
path = "/things"
[tool.params.q]
in = "query"
description = "Query."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("no type"), "{e}");
    }

    #[test]
    fn surfaced_fields_are_checked() {
        let with = |surface: &str| {
            let text = test_manifest(
                surface,
                "[groups]\nthings = \"Things\"\n[[tool]]\nname = \"acme_get_thing\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n",
            );
            Catalog::from_sources([("acme", text.as_str())])
        };
        let ok = with(
            "[[vendor.envelope.surface]]\nname = \"credits_used\"\npointers = [\"/meta/credits_used\"]\nlabel = \"credits used\"",
        )
        .unwrap();
        let v = ok.vendor("acme").unwrap();
        assert_eq!(v.envelope.surface[0].name, "credits_used");
        for bad in [
            "name = \"Credits\"\npointers = [\"/c\"]\nlabel = \"c\"",
            "name = \"request_id\"\npointers = [\"/c\"]\nlabel = \"c\"",
            "name = \"c\"\npointers = [\"c\"]\nlabel = \"c\"",
            "name = \"c\"\npointers = []\nlabel = \"c\"",
            "name = \"c\"\npointers = [\"/c\"]\nlabel = \" \"",
        ] {
            let e = with(&format!("[[vendor.envelope.surface]]\n{bad}")).unwrap_err();
            assert!(e.message.contains("envelope.surface"), "{e}");
        }
    }

    #[test]
    fn auth_kinds_must_be_the_vendors() {
        let with_kinds = |auth: &str| {
            let text = minimal(&format!(
                "[[tool]]\nname = \"acme_list_things\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n{auth}\n"
            ))
            .replace("[groups]", "auth_kinds = [\"jwt\", \"api_key\"]\n[groups]");
            Catalog::from_sources([("acme", text.as_str())])
        };
        let c = with_kinds("auth = [\"api_key\"]").unwrap();
        let t = c.tool("acme_list_things").unwrap();
        assert!(t.auth);
        assert_eq!(t.auth_kinds, ["api_key"]);
        let c = with_kinds("auth = false").unwrap();
        let t = c.tool("acme_list_things").unwrap();
        assert!(!t.auth && t.auth_kinds.is_empty());
        let c = with_kinds("").unwrap();
        let t = c.tool("acme_list_things").unwrap();
        assert!(t.auth && t.auth_kinds.is_empty());
        let e = with_kinds("auth = [\"cookie\"]").unwrap_err();
        assert!(e.message.contains("cookie"), "{e}");
        assert!(with_kinds("auth = []").is_err());
    }

    #[test]
    fn envelope_items_may_be_one_pointer_or_several() {
        let text = minimal(
            "[[tool]]\nname = \"acme_list_things\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n",
        );
        let one = text.replace(
            "[groups]",
            "[vendor.envelope]\nitems = \"/results\"\n[groups]",
        );
        let c = Catalog::from_sources([("acme", one.as_str())]).unwrap();
        let env = &c.vendor("acme").unwrap().envelope;
        assert_eq!(env.items_pointer(&json!({})), "/results");
        let many = text.replace(
            "[groups]",
            "[vendor.envelope]\nitems = [\"/clients\", \"/leads\"]\nnext_cursor = [\"/nextToken\"]\ncursor_arguments = [\"nextToken\"]\n[groups]",
        );
        let c = Catalog::from_sources([("acme", many.as_str())]).unwrap();
        let env = &c.vendor("acme").unwrap().envelope;
        assert_eq!(
            env.items_pointer(&json!({"leads": [], "clients": 1})),
            "/leads"
        );
        assert_eq!(env.items_pointer(&json!({})), "/clients");
        assert_eq!(env.next_cursor(&json!({"nextToken": "t1"})), Some("t1"));
        assert_eq!(env.next_cursor(&json!({"nextToken": ""})), None);
        assert_eq!(env.next_cursor(&json!({"nextToken": null})), None);
        assert_eq!(Envelope::default().items_pointer(&json!({})), "/data");
        let half = text.replace(
            "[groups]",
            "[vendor.envelope]\nnext_cursor = [\"/nextToken\"]\n[groups]",
        );
        assert!(Catalog::from_sources([("acme", half.as_str())]).is_err());
    }

    #[test]
    fn rate_limits_are_read_and_checked() {
        let with = |rule: &str| {
            let text = test_manifest(
                &format!("[[vendor.rate_limit]]\n{rule}"),
                "[groups]\nthings = \"Things\"\n[[tool]]\nname = \"acme_list_things\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n",
            );
            Catalog::from_sources([("acme", text.as_str())]).map(|c| {
                c.vendors[0]
                    .rate_limits
                    .iter()
                    .map(|r| r.describe())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            with("methods = [\"GET\", \"POST\"]\nrequests = 5\nper_seconds = 1").unwrap(),
            ["5 GET/POST requests per 1 s"]
        );
        assert!(with("methods = [\"FETCH\"]\nrequests = 5\nper_seconds = 1").is_err());
        assert!(with("methods = [\"GET\"]\nrequests = 0\nper_seconds = 1").is_err());
        assert!(with("methods = []\nrequests = 5\nper_seconds = 1").is_err());
    }

    #[test]
    fn stream_tools_get_capped_read_bounds_and_must_be_gets() {
        let c = load(
            r#"
[[tool]]
name = "acme_stream_events"
title = "Events"
group = "things"
description = "Events."
method = "GET"
path = "/events/stream"
stream = true
"#,
        )
        .unwrap();
        let t = c.tool("acme_stream_events").unwrap();
        assert!(t.stream && t.read_only);
        let props = &t.input_schema["properties"];
        assert_eq!(props["max_events"]["maximum"], stream_bounds::EVENTS_CAP);
        assert_eq!(props["max_seconds"]["maximum"], stream_bounds::SECONDS_CAP);
        assert!(
            t.validator
                .is_valid(&json!({"max_events": 5, "max_seconds": 2}))
        );
        assert!(!t.validator.is_valid(&json!({"max_events": 100_000})));
        assert!(!t.validator.is_valid(&json!({"max_seconds": 0})));
        assert!(t.params.is_empty(), "read bounds are never sent upstream");

        let e = load(
            r#"
[[tool]]
name = "acme_stream_events"
title = "Events"
group = "things"
description = "Events."
method = "POST"
path = "/events/stream"
stream = true
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("GET"), "{e}");
        let e = load(
            r#"
[[tool]]
name = "acme_stream_events"
title = "Events"
group = "things"
description = "Events."
method = "GET"
path = "/events/stream"
stream = true
[tool.params.max_events]
in = "query"
type = "integer"
description = "Mine."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("reserved"), "{e}");
    }

    #[test]
    fn object_arguments_can_require_fields() {
        let c = load(
            r#"
[[tool]]
name = "acme_resolve_thing"
title = "Resolve"
group = "things"
description = "Resolve."
method = "POST"
path = "/things/resolve"
[tool.params.body]
in = "body_object"
type = "object"
required = true
required_fields = ["decision"]
description = "Body."
properties.decision = { type = "string", enum = ["approve", "reject"], description = "D." }
"#,
        )
        .unwrap();
        let t = c.tool("acme_resolve_thing").unwrap();
        assert_eq!(t.input_schema["required"], json!(["body"]));
        assert_eq!(
            t.input_schema["properties"]["body"]["required"],
            json!(["decision"])
        );
        assert!(
            t.validator
                .is_valid(&json!({"body": {"decision": "approve"}}))
        );
        assert!(!t.validator.is_valid(&json!({"body": {}})));
        let e = load(
            r#"
[[tool]]
name = "acme_resolve_thing"
title = "Resolve"
group = "things"
description = "Resolve."
method = "POST"
path = "/things/resolve"
[tool.params.body]
in = "body_object"
type = "object"
required_fields = ["nope"]
description = "Body."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("nope"), "{e}");
    }

    #[test]
    fn session_ending_tools_are_writes_and_privilege_comes_from_the_group() {
        let e = load(
            r#"
[[tool]]
name = "acme_get_logout"
title = "Logout"
group = "things"
description = "Logout."
method = "GET"
path = "/logout"
ends_session = true
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("session"), "{e}");
    }

    #[test]
    fn bare_boolean_sub_schemas_are_refused() {
        for schema in [
            "type = \"array\"\nitems = true",
            "type = \"object\"\nproperties = { a = false }",
            "type = \"array\"\nitems = { type = \"object\", properties = { a = true } }",
        ] {
            let tool = format!(
                "[[tool]]\nname = \"acme_create_thing\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"POST\"\npath = \"/things\"\n[tool.params.x]\nin = \"body\"\ndescription = \"X.\"\n{schema}\n"
            );
            let e = load(&tool).unwrap_err();
            assert!(e.message.contains("bare"), "{schema}: {e}");
        }
        let ok = "[[tool]]\nname = \"acme_create_thing\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"POST\"\npath = \"/things\"\n[tool.params.x]\nin = \"body\"\ndescription = \"X.\"\ntype = \"object\"\nadditionalProperties = false\n";
        assert!(load(ok).is_ok());
    }

    #[test]
    fn body_required_objects_must_say_min_properties() {
        let e = load(
            r#"
[[tool]]
name = "acme_update_thing"
title = "Update"
group = "things"
description = "Update."
method = "PATCH"
path = "/things"
body_required = true
[tool.params.body]
in = "body_object"
type = "object"
required = true
description = "Body."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("minProperties = 1"), "{e}");
    }

    #[test]
    fn integer_path_ids_need_a_range() {
        let tool = |bounds: &str| {
            format!(
                "[[tool]]\nname = \"acme_get_thing\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things/{{id}}\"\n[tool.params.id]\nin = \"path\"\ntype = \"integer\"\nrequired = true\ndescription = \"Id.\"\n{bounds}\n"
            )
        };
        for bounds in ["", "minimum = 1", "maximum = 9007199254740991"] {
            let e = load(&tool(bounds)).unwrap_err();
            assert!(e.message.contains("minimum and a maximum"), "{bounds}: {e}");
        }
        let c = load(&tool("minimum = 1\nmaximum = 9007199254740991")).unwrap();
        let t = c.tool("acme_get_thing").unwrap();
        assert!(
            t.validator
                .is_valid(&json!({"id": 9_007_199_254_740_991_u64}))
        );
        assert!(
            !t.validator
                .is_valid(&json!({"id": 9_007_199_254_740_992_u64}))
        );
    }

    #[test]
    fn unsafe_literal_paths_are_refused() {
        for path in ["/a/../b", "/a//b", "/a?b=1", "things"] {
            assert!(PathTemplate::parse(path).is_err(), "{path}");
        }
        assert!(PathTemplate::parse("").is_ok());
    }
}
