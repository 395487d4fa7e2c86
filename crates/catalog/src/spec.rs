//! The runtime model: the checked specs of vendors and tools that the
//! server's layers read. The types a manifest spells out as they are served
//! (the envelope, error rules, argument rules, resources ...) are
//! deserialized straight into this model by `manifest`; `build` makes the
//! rest. The one check here is `PathTemplate::parse`'s.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::PathError;
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
    /// Limit/offset lists: where an answer says whether more pages follow
    /// (a boolean; the first pointer that holds one wins).
    #[serde(default, deserialize_with = "one_or_many")]
    pub has_more: Vec<String>,
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
    /// Splits `raw`, refusing what could leave the vendor's base path: it
    /// starts with `/` (or is empty, for the base URL itself), its
    /// placeholders are snake_case, and its literal text holds no `..`,
    /// `//`, query or other character a route must not carry.
    pub(crate) fn parse(raw: &str) -> Result<Self, PathError> {
        if !raw.is_empty() && !raw.starts_with('/') {
            return Err(PathError::NotAbsolute {
                raw: raw.to_string(),
            });
        }
        let mut parts = Vec::new();
        let mut rest = raw;
        while let Some(open) = rest.find('{') {
            let (literal, tail) = rest.split_at(open);
            let Some(close) = tail.find('}') else {
                return Err(PathError::Unclosed {
                    raw: raw.to_string(),
                });
            };
            let name = &tail[1..close];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
            {
                return Err(PathError::Placeholder {
                    raw: raw.to_string(),
                    name: name.to_string(),
                });
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
                    return Err(PathError::UnsafeLiteral {
                        raw: raw.to_string(),
                        text: text.clone(),
                    });
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

    #[test]
    fn unsafe_literal_paths_are_refused() {
        for path in ["/a/../b", "/a//b", "/a?b=1", "things"] {
            assert!(PathTemplate::parse(path).is_err(), "{path}");
        }
        assert!(PathTemplate::parse("").is_ok());
        assert_eq!(
            PathTemplate::parse("/a/../b"),
            Err(PathError::UnsafeLiteral {
                raw: "/a/../b".into(),
                text: "/a/../b".into()
            })
        );
        assert_eq!(
            PathTemplate::parse("things"),
            Err(PathError::NotAbsolute {
                raw: "things".into()
            })
        );
        assert_eq!(
            PathTemplate::parse("/things/{id}").map(|p| p.params().collect::<Vec<_>>().join(",")),
            Ok("id".to_string())
        );
    }
}
