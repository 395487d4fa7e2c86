//! The manifest file format (`tools/*.toml`): what serde reads, before any
//! check. `build` turns it into the runtime model of `spec`; the parts a
//! manifest gives as they are served (the envelope, error rules, argument
//! rules, resources ...) are types of that model.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Problem;
use crate::spec::{
    ArgumentRule, ConfirmKind, Envelope, ErrorRule, InternalRoute, Location, RefusedHost,
    ResourceManifest,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    pub(crate) vendor: VendorManifest,
    #[serde(default)]
    pub(crate) groups: BTreeMap<String, GroupManifest>,
    #[serde(default)]
    pub(crate) params: BTreeMap<String, ParamManifest>,
    #[serde(rename = "tool")]
    pub(crate) tools: Vec<ToolManifest>,
    #[serde(default, rename = "resource")]
    pub(crate) resources: Vec<ResourceManifest>,
    /// Documented routes that are not tools because the adapter drives them
    /// (e.g. a login endpoint), each with the reason.
    #[serde(default, rename = "internal_route")]
    pub(crate) internal_routes: Vec<InternalRoute>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VendorManifest {
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) doc: String,
    /// The documented base URL; `None` when the vendor publishes none.
    pub(crate) base_url: Option<String>,
    pub(crate) base_url_env: String,
    pub(crate) instructions: String,
    #[serde(default, rename = "refused_host")]
    pub(crate) refused_hosts: Vec<RefusedHost>,
    #[serde(default)]
    pub(crate) envelope: Envelope,
    #[serde(default, rename = "error")]
    pub(crate) errors: Vec<ErrorRule>,
    /// The kinds of credentials the vendor accepts (e.g. `jwt`, `api_key`),
    /// when its routes differ in which they take; tools name them in `auth`.
    #[serde(default)]
    pub(crate) auth_kinds: Vec<String>,
    /// The vendor's documented rate limits, enforced client-side per key.
    #[serde(default, rename = "rate_limit")]
    pub(crate) rate_limits: Vec<RateLimitManifest>,
    /// Names of JSON fields that hold credentials (tokens the vendor hands
    /// out): their values are withheld from every result.
    #[serde(default)]
    pub(crate) secret_fields: Vec<String>,
}

/// `[[vendor.rate_limit]]`: at most `requests` requests with one of
/// `methods` in any `per_seconds` seconds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateLimitManifest {
    pub(crate) methods: Vec<String>,
    pub(crate) requests: usize,
    pub(crate) per_seconds: u64,
}

/// A group is either a one-line description or a table with more settings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum GroupManifest {
    Description(String),
    Full {
        description: String,
        /// Privileged groups are served only when named in `--tools`.
        #[serde(default)]
        privileged: bool,
    },
}

// No `deny_unknown_fields`: serde can't combine it with `flatten`;
// `check::argument` allows only known JSON Schema keywords instead.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ParamManifest {
    /// Argument name when it differs from the table key.
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(rename = "in")]
    pub(crate) location: Location,
    #[serde(default)]
    pub(crate) required: bool,
    /// For an object argument: the properties it must have (its schema's
    /// `required`; the key `required` says whether the argument is needed).
    #[serde(default)]
    pub(crate) required_fields: Vec<String>,
    pub(crate) description: String,
    /// The rest is JSON Schema for the argument (type, bounds, enum, ...).
    #[serde(flatten)]
    pub(crate) schema: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToolManifest {
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) group: String,
    pub(crate) description: String,
    pub(crate) method: String,
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) agency_path: Option<String>,
    #[serde(default)]
    pub(crate) scope: Option<String>,
    /// Shared parameters (keys of `[params]`) this tool takes.
    #[serde(default, rename = "use")]
    pub(crate) uses: Vec<String>,
    /// Parameters of this tool only.
    #[serde(default)]
    pub(crate) params: BTreeMap<String, ParamManifest>,
    /// Arguments required by this tool even though their shared definition is optional.
    #[serde(default)]
    pub(crate) required: Vec<String>,
    /// Fixed query parameters the route always carries (e.g. `purge=true`).
    #[serde(default)]
    pub(crate) query_const: BTreeMap<String, String>,
    /// At least one body argument must be given (PATCH-style updates).
    #[serde(default)]
    pub(crate) body_required: bool,
    /// Rules between arguments that a portable schema can't express.
    #[serde(default, rename = "rule")]
    pub(crate) rules: Vec<ArgumentRule>,
    #[serde(default)]
    pub(crate) read_only: Option<bool>,
    #[serde(default)]
    pub(crate) destructive: Option<bool>,
    #[serde(default)]
    pub(crate) idempotent: Option<bool>,
    #[serde(default)]
    pub(crate) confirm: Option<ConfirmKind>,
    /// What personal data results can hold; makes the tool `sensitive`.
    #[serde(default)]
    pub(crate) privacy: Option<String>,
    /// Results carry text written by third parties.
    #[serde(default)]
    pub(crate) untrusted: bool,
    /// More field names whose values are withheld from this tool's results,
    /// besides the vendor's `secret_fields` (for names like `token` that
    /// are credentials on one route and ordinary data on another).
    #[serde(default)]
    pub(crate) secret_fields: Vec<String>,
    /// `false`: the route needs no credentials (they are still sent when set).
    /// A list of the vendor's `auth_kinds`: only these credentials are accepted.
    #[serde(default)]
    pub(crate) auth: AuthManifest,
    /// The route answers with a Server-Sent Events stream: the tool reads it
    /// for a bounded time and number of events (see `stream.rs`).
    #[serde(default)]
    pub(crate) stream: bool,
    /// The route ends the adapter's login session (a logout): the adapter
    /// adds the session's own credentials to the body and forgets them after
    /// the vendor accepts it.
    #[serde(default)]
    pub(crate) ends_session: bool,
    /// The vendor documents a text answer (e.g. markdown), not JSON: a body
    /// that doesn't parse is the answer itself, not a malformed one.
    #[serde(default)]
    pub(crate) text_answer: bool,
}

/// `auth = true | false`, or the kinds of credentials a route accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum AuthManifest {
    Needed(bool),
    Kinds(Vec<String>),
}

impl Default for AuthManifest {
    fn default() -> Self {
        Self::Needed(true)
    }
}

/// Reads one manifest's text; nothing is checked yet but its shape.
pub(crate) fn parse(text: &str) -> Result<Manifest, Problem> {
    toml::from_str(text).map_err(|e| Problem::Syntax(Box::new(e)))
}

/// A one-vendor manifest ("acme") for unit tests: `vendor_tables` go into
/// `[vendor]` (envelope, error rules), `rest` after it (groups, tools).
pub fn test_manifest(vendor_tables: &str, rest: &str) -> String {
    format!(
        "[vendor]\nname = \"acme\"\ntitle = \"Acme\"\ndoc = \"x.txt\"\nbase_url = \"https://acme.example/api\"\nbase_url_env = \"ACME_BASE_URL\"\ninstructions = \"Acme.\"\n{vendor_tables}\n{rest}"
    )
}
