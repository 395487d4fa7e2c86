//! Every environment variable the server reads, with what it is and where
//! a user gets its value: the one list that `leads-mcp config`, `leads-mcp
//! doctor`, the MCP Bundle manifest and `server.json` are written from.
//!
//! Vendor base URLs and their defaults come from the catalog; the vendor
//! credentials are named by the vendor modules' own constants.

use crate::vendors::{leadgenius, leadmetrics, leadpanther, leadspro, leadsrover};
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

/// One way to authenticate to a vendor: the variables that make it up.
#[derive(Debug, Clone, Copy)]
pub struct CredentialMode {
    pub vendor: &'static str,
    pub label: &'static str,
    pub vars: &'static [&'static str],
}

/// The credential modes of every vendor, the first of a vendor being the one
/// `leads-mcp config` offers when none is set.
pub static CREDENTIAL_MODES: &[CredentialMode] = &[
    CredentialMode {
        vendor: "leadpanther",
        label: "API key",
        vars: &[leadpanther::KEY_ENV],
    },
    CredentialMode {
        vendor: "leadsrover",
        label: "API key",
        vars: &[leadsrover::KEY_ENV],
    },
    CredentialMode {
        vendor: "leadgenius",
        label: "login",
        vars: &[leadgenius::EMAIL_ENV, leadgenius::PASSWORD_ENV],
    },
    CredentialMode {
        vendor: "leadgenius",
        label: "access token",
        vars: &[leadgenius::TOKEN_ENV],
    },
    CredentialMode {
        vendor: "leadgenius",
        label: "API key",
        vars: &[leadgenius::API_KEY_ENV, leadgenius::USER_ID_ENV],
    },
    CredentialMode {
        vendor: "leadspro",
        label: "API key",
        vars: &[leadspro::KEY_ENV],
    },
    CredentialMode {
        vendor: "leadmetrics",
        label: "access token",
        vars: &[leadmetrics::TOKEN_ENV],
    },
    CredentialMode {
        vendor: "leadmetrics",
        label: "login",
        vars: &[leadmetrics::EMAIL_ENV, leadmetrics::PASSWORD_ENV],
    },
];

/// (name, secret, description) of every vendor credential.
const CREDENTIALS: &[(&str, bool, &str)] = &[
    (
        leadpanther::KEY_ENV,
        true,
        "LeadPanther API key, from your LeadPanther account's API keys. Its scopes decide which tools work; agency-client tools also need a client grant.",
    ),
    (
        leadsrover::KEY_ENV,
        true,
        "LeadsRover API key (lr_sk_...), created in LeadsRover under Settings > API. The read scope serves reads, the write scope everything else.",
    ),
    (
        leadgenius::EMAIL_ENV,
        false,
        "The email you sign in to LeadGenius Pro with; with LEADGENIUS_PASSWORD the server logs in itself (POST /api/auth).",
    ),
    (
        leadgenius::PASSWORD_ENV,
        true,
        "The password you sign in to LeadGenius Pro with (with LEADGENIUS_EMAIL).",
    ),
    (
        leadgenius::TOKEN_ENV,
        true,
        "A LeadGenius Pro JWT access token, used as given (instead of the email and password).",
    ),
    (
        leadgenius::API_KEY_ENV,
        true,
        "LeadGenius Pro API key (sent as x-api-key, with LEADGENIUS_USER_ID), from your LeadGenius Pro account; the bulk extraction tools need it.",
    ),
    (
        leadgenius::USER_ID_ENV,
        false,
        "Your LeadGenius Pro user id, sent as x-user-id with LEADGENIUS_API_KEY.",
    ),
    (
        leadspro::KEY_ENV,
        true,
        "Leads Pro API key, generated in the Leads Pro workspace dashboard; pl_demo_public is the vendor's public sandbox key.",
    ),
    (
        leadmetrics::TOKEN_ENV,
        true,
        "A Leadmetrics access token (it wins over the email and password when both are set).",
    ),
    (
        leadmetrics::EMAIL_ENV,
        false,
        "The email of your Leadmetrics login; with LEADMETRICS_PASSWORD the server logs in and refreshes itself.",
    ),
    (
        leadmetrics::PASSWORD_ENV,
        true,
        "The password of your Leadmetrics login (with LEADMETRICS_EMAIL).",
    ),
];

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

/// The vendor an environment variable name belongs to, by its prefix.
fn vendor_of(name: &str) -> Option<&'static str> {
    crate::vendors::REGISTRY
        .iter()
        .find(|v| name.starts_with(v.env_prefix))
        .map(|v| v.name)
}

/// Every variable the server reads: per vendor its credentials and base
/// URL (in the catalog's order), then the server settings.
pub fn all(catalog: &Catalog) -> Vec<EnvVar> {
    let mut vars = Vec::new();
    for spec in &catalog.vendors {
        for (name, secret, description) in CREDENTIALS {
            if vendor_of(name) == Some(spec.name.as_str()) {
                vars.push(EnvVar {
                    name: (*name).to_string(),
                    vendor: Some(spec.name.clone()),
                    kind: Kind::Credential,
                    secret: *secret,
                    required_for_vendor: false,
                    description: (*description).to_string(),
                    default: None,
                });
            }
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
    CREDENTIAL_MODES.iter().filter(move |m| m.vendor == vendor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_credential_belongs_to_a_mode_and_a_vendor() {
        let catalog = crate::vendors::load_catalog().unwrap();
        let vars = all(&catalog);
        for var in vars.iter().filter(|v| v.kind == Kind::Credential) {
            assert!(
                CREDENTIAL_MODES
                    .iter()
                    .any(|m| m.vars.contains(&var.name.as_str())),
                "{} is in no credential mode",
                var.name
            );
        }
        for mode in CREDENTIAL_MODES {
            for name in mode.vars {
                let var = vars.iter().find(|v| v.name == *name).unwrap();
                assert_eq!(var.vendor.as_deref(), Some(mode.vendor));
            }
        }
        let names: std::collections::BTreeSet<&str> =
            vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names.len(), vars.len(), "a variable is listed twice");
    }
}
