//! LeadPanther: a Bearer key from `LEADPANTHER_API_KEY`. The guide's other
//! rules (pinned base URL, agency routes, privacy, the error decision tree)
//! live in `tools/leadpanther.toml` and the shared guard.

use futures::future::BoxFuture;
use http::HeaderMap;

use super::auth::BearerKey;
use super::{Adapter, AuthContext, VendorEntry};
use crate::config::VendorEnv;
use crate::guard::Refusal;

pub const ENTRY: VendorEntry = VendorEntry {
    name: "leadpanther",
    manifest: include_str!("../../tools/leadpanther.toml"),
    env_prefix: "LEADPANTHER_",
    adapter: |env| Box::new(LeadPanther::from_env(env)),
};

pub const KEY_ENV: &str = "LEADPANTHER_API_KEY";

pub struct LeadPanther {
    key: BearerKey,
}

impl LeadPanther {
    pub fn from_env(env: &VendorEnv) -> Self {
        Self {
            key: BearerKey::from_env("LeadPanther", KEY_ENV, env),
        }
    }
}

impl Adapter for LeadPanther {
    fn has_credentials(&self) -> bool {
        self.key.is_set()
    }

    fn credential_env(&self) -> String {
        KEY_ENV.to_string()
    }

    fn authorize<'a>(&'a self, _ctx: AuthContext<'a>) -> BoxFuture<'a, Result<HeaderMap, Refusal>> {
        Box::pin(async move { self.key.headers() })
    }
}
