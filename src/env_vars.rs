//! Every environment variable the server reads, with what it is and where
//! a user gets its value: the one list that `leads-mcp config`, `leads-mcp
//! doctor`, the MCP Bundle manifest and `server.json` are written from.
//!
//! Vendor base URLs and their defaults come from the catalog; the vendor
//! credentials and how they combine are declared by each adapter's
//! registry entry.

pub use crate::vendors::adapter::CredentialMode;
use crate::vendors::{REGISTRY, adapter::VendorEntry};
use leads_mcp_catalog::Catalog;

/// What a variable is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A vendor credential (key, token, login).
    Credential,
    /// A vendor's API base URL.
    BaseUrl,
    /// A server setting.
    Setting,
}

/// One environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    /// The vendor it belongs to, for credentials and base URLs.
    pub vendor: Option<String>,
    pub kind: Kind,
    /// A key, password or token: never printed, shown as a placeholder.
    pub secret: bool,
    /// Needed for the vendor to be served at all (Leadmetrics' base URL).
    pub required_for_vendor: bool,
    /// What it is, and where the user gets the value.
    pub description: String,
    /// The default, where there is one worth showing.
    pub default: Option<String>,
}

/// (name, secret, default, description) of every server setting.
const SETTINGS: &[(&str, bool, Option<&str>, &str)] = &[
    (
        "LEADS_MCP_VENDORS",
        false,
        None,
        "Vendors to serve, comma-separated (default: those whose credentials are set).",
    ),
    (
        "LEADS_MCP_TOOLS",
        false,
        None,
        "Serve only these tools or groups (vendor:group), comma-separated.",
    ),
    (
        "LEADS_MCP_ADD_TOOLS",
        false,
        None,
        "Also serve these tools or groups, e.g. a privileged group such as leadmetrics:admin.",
    ),
    (
        "LEADS_MCP_EXCLUDE_TOOLS",
        false,
        None,
        "Never serve these tools or groups; wins over everything.",
    ),
    (
        "LEADS_MCP_READ_ONLY",
        false,
        Some("false"),
        "true serves only tools that change nothing; wins over everything.",
    ),
    (
        "LEADS_MCP_CONFIRM",
        false,
        Some("elicit"),
        "Who confirms sends and irreversible bulk actions: elicit (a human, through the client) or client (the client's own per-call approval).",
    ),
    (
        "LEADS_MCP_STATE_KEY",
        true,
        None,
        "Key (at least 32 characters) sealing 2026-07-28 confirmation rounds; set it when several instances serve the same clients.",
    ),
    (
        "LEADS_MCP_MAX_RESULT_BYTES",
        false,
        Some("100000"),
        "Bytes of any result, its text and structured content counted together, before it is cut with a note of what was cut (at least 1024).",
    ),
    (
        "LEADS_MCP_CALL_DEADLINE_SECS",
        false,
        Some("30"),
        "Seconds one tool call may spend on the vendor (1-600): requests, retries, rate-limit waits, logins and preflight reads; not the human's time to confirm.",
    ),
    (
        "LEADS_MCP_HEADER_TIMEOUT_SECS",
        false,
        Some("15"),
        "leads-mcp http only: seconds a client has to send a request's headers before the connection is closed.",
    ),
    (
        "LEADS_MCP_IDLE_TIMEOUT_SECS",
        false,
        Some("60"),
        "leads-mcp http only: seconds a connection with no request under way stays open.",
    ),
    (
        "LEADS_MCP_MAX_CONNECTIONS",
        false,
        Some("256"),
        "leads-mcp http only: open connections at most; past it the longest-idle one is closed.",
    ),
    (
        "LEADS_MCP_MAX_SESSIONS",
        false,
        Some("100"),
        "leads-mcp http only: Streamable HTTP sessions open at most; past it initialize gets 503 with a JSON-RPC error.",
    ),
    (
        "LEADS_MCP_SESSION_IDLE_SECS",
        false,
        Some("300"),
        "leads-mcp http only: seconds an unused Streamable HTTP session lives before it expires.",
    ),
    (
        "LEADS_MCP_HTTP_TOKEN",
        true,
        None,
        "leads-mcp http only: bearer token (at least 16 characters) every HTTP request must carry; required to listen beyond loopback.",
    ),
    (
        "LEADS_MCP_ALLOWED_HOSTS",
        false,
        None,
        "leads-mcp http only: extra Host values to accept besides loopback and the listen address.",
    ),
    (
        "LEADS_MCP_ALLOWED_ORIGINS",
        false,
        None,
        "leads-mcp http only: extra browser origins to accept besides loopback ones.",
    ),
    (
        "RUST_LOG",
        false,
        Some("leads_mcp=info,rmcp=warn"),
        "Log filter for stderr (tracing-subscriber syntax).",
    ),
];

fn entry(vendor: &str) -> Option<&'static VendorEntry> {
    REGISTRY.iter().find(|e| e.name == vendor)
}

/// Every variable the server reads: per vendor its credentials and base
/// URL (in the catalog's order), then the server settings.
pub fn all(catalog: &Catalog) -> Vec<EnvVar> {
    let mut vars = Vec::new();
    for spec in &catalog.vendors {
        for var in entry(&spec.name).map_or(&[][..], |e| e.credentials) {
            vars.push(EnvVar {
                name: var.name.to_string(),
                vendor: Some(spec.name.clone()),
                kind: Kind::Credential,
                secret: var.secret,
                required_for_vendor: false,
                description: var.description.to_string(),
                default: None,
            });
        }
        let description = match &spec.base_url {
            Some(url) => format!(
                "{} API base URL; leave it unset for the documented {url}. The server refuses a URL the vendor's reference rules out.",
                spec.title
            ),
            None => format!(
                "{} API base URL. The vendor publishes none: ask your {} administrator. Required to serve {}.",
                spec.title, spec.title, spec.title
            ),
        };
        vars.push(EnvVar {
            name: spec.base_url_env.clone(),
            vendor: Some(spec.name.clone()),
            kind: Kind::BaseUrl,
            secret: false,
            required_for_vendor: spec.base_url.is_none(),
            description,
            default: spec.base_url.clone(),
        });
    }
    for (name, secret, default, description) in SETTINGS {
        vars.push(EnvVar {
            name: (*name).to_string(),
            vendor: None,
            kind: Kind::Setting,
            secret: *secret,
            required_for_vendor: false,
            description: (*description).to_string(),
            default: default.map(str::to_string),
        });
    }
    vars
}

/// The credential modes of `vendor`.
pub fn modes(vendor: &str) -> impl Iterator<Item = &'static CredentialMode> {
    entry(vendor).map_or(&[][..], |e| e.credential_modes).iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_credential_belongs_to_a_mode_and_a_vendor() {
        let catalog = crate::vendors::load_catalog().unwrap();
        let vars = all(&catalog);
        for var in vars.iter().filter(|v| v.kind == Kind::Credential) {
            let vendor = var.vendor.as_deref().unwrap();
            assert!(
                modes(vendor).any(|m| m.vars.contains(&var.name.as_str())),
                "{} is in no credential mode",
                var.name
            );
            let prefix = entry(vendor).unwrap().env_prefix;
            assert!(var.name.starts_with(prefix), "{} lacks {prefix}", var.name);
        }
        for entry in REGISTRY {
            for mode in entry.credential_modes {
                for name in mode.vars {
                    let var = vars.iter().find(|v| v.name == *name).unwrap();
                    assert_eq!(var.vendor.as_deref(), Some(entry.name));
                }
            }
        }
        let names: std::collections::BTreeSet<&str> =
            vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names.len(), vars.len(), "a variable is listed twice");
    }
}
