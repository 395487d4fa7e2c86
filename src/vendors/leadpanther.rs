//! LeadPanther: a Bearer key from `LEADPANTHER_API_KEY`. The guide's other
//! rules (pinned base URL, agency routes, privacy, the error decision tree)
//! live in `tools/leadpanther.toml` and the shared guard.

use super::adapter::{CredentialMode, CredentialVar, VendorEntry};
use super::auth::BearerKey;

pub const ENTRY: VendorEntry = VendorEntry {
    name: "leadpanther",
    manifest: include_str!("../../tools/leadpanther.toml"),
    env_prefix: "LEADPANTHER_",
    adapter: |env| Box::new(BearerKey::from_env("LeadPanther", KEY_ENV, env)),
    preflight: None,
    credentials: &[CredentialVar {
        name: KEY_ENV,
        secret: true,
        description: "LeadPanther API key, from your LeadPanther account's API keys. Its scopes decide which tools work; agency-client tools also need a client grant.",
    }],
    credential_modes: &[CredentialMode {
        label: "API key",
        vars: &[KEY_ENV],
    }],
};

pub const KEY_ENV: &str = "LEADPANTHER_API_KEY";
