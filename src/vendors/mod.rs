//! The vendor adapters: how each vendor authenticates, and the rules about
//! a call that need a read first. Nothing else: routing, sending and
//! reading answers are shared code driven by the manifest (see `pipeline`).

pub mod auth;
pub mod leadgenius;
pub mod leadmetrics;
pub mod leadpanther;
pub mod leadspro;
pub mod leadsrover;

use futures::future::BoxFuture;
use http::HeaderMap;
use rmcp::model::JsonObject;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::VendorEnv;
use crate::route::Route;
use crate::upstream::{CallScope, Deadline, Upstream};
use leads_mcp_catalog::vocab::{Outcome, Refusal};
use leads_mcp_catalog::{Catalog, CatalogError, ToolSpec, VendorSpec};

/// One vendor the binary knows: where its manifest is, how to build its
/// adapter, and the vendor's own rules, if it has any.
pub struct VendorEntry {
    pub name: &'static str,
    pub manifest: &'static str,
    /// Every environment variable of the vendor starts with this.
    pub env_prefix: &'static str,
    pub adapter: fn(&VendorEnv) -> Box<dyn Adapter>,
    /// The vendor's documented rules about a call that a schema can't
    /// express, checked before anyone is asked to confirm it or it is sent.
    /// They may read other documented routes through `ctx.read`.
    pub preflight: Option<PreflightRules>,
}

/// See [`VendorEntry::preflight`].
pub type PreflightRules =
    for<'a> fn(&'a PreflightContext<'a>) -> BoxFuture<'a, Result<Preflight, Refusal>>;

/// The vendors, in the order they are listed and served.
pub static REGISTRY: &[VendorEntry] = &[
    leadpanther::ENTRY,
    leadsrover::ENTRY,
    leadgenius::ENTRY,
    leadspro::ENTRY,
    leadmetrics::ENTRY,
];

/// The catalog of every vendor the binary knows, from their embedded manifests.
pub fn load_catalog() -> Result<Catalog, CatalogError> {
    Catalog::from_sources(REGISTRY.iter().map(|v| (v.name, v.manifest)))
}

/// What a request needs to be authenticated.
pub struct AuthContext<'a> {
    pub vendor: &'a VendorSpec,
    pub tool: &'a ToolSpec,
    pub base: &'a Url,
    pub upstream: &'a Upstream,
    pub ct: &'a CancellationToken,
    /// The call's deadline, which a login shares.
    pub deadline: Deadline,
}

pub trait Adapter: Send + Sync {
    /// Whether credentials are configured; without them the vendor is not
    /// served by default, and its calls say which variable to set.
    fn has_credentials(&self) -> bool;

    /// The variable(s) an operator sets, as messages name them.
    fn credential_env(&self) -> String;

    /// Headers that authenticate one request to `ctx.tool`, or why it can't be sent.
    fn authorize<'a>(&'a self, ctx: AuthContext<'a>) -> BoxFuture<'a, Result<HeaderMap, Refusal>>;

    /// After a 401 to `tool`: forget the cached token that authenticated
    /// it. `true` when one retry with fresh credentials can help (a login
    /// session), `false` for a static key.
    fn unauthorized<'a>(&'a self, tool: &'a ToolSpec) -> BoxFuture<'a, bool> {
        let _ = tool;
        Box::pin(async { false })
    }

    /// Whether the configured credentials are of a kind `tool` accepts
    /// (its `auth_kinds`); checked before anything is confirmed or sent.
    fn can_authorize(&self, tool: &ToolSpec) -> Result<(), Refusal> {
        let _ = tool;
        Ok(())
    }

    /// Body fields for a call that ends the login session (a manifest tool
    /// with `ends_session`), taken from the adapter's own secrets, e.g. the
    /// refresh token a logout revokes. They are added to the request only:
    /// never to what the model or the human sees.
    fn session_end_body(&self) -> BoxFuture<'_, Option<JsonObject>> {
        Box::pin(async { None })
    }

    /// The vendor accepted a call that ends the login session: forget the
    /// tokens, so the next call starts a new session.
    fn session_ended(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// What a vendor's rules add to a call before it is confirmed and sent.
#[derive(Debug, Default)]
pub struct Preflight {
    /// Lines the confirmation shows besides the request itself (the
    /// recipient, the thread, what the numbers will be afterwards).
    pub details: Vec<String>,
}

/// Reads of a vendor's other documented routes, which the pipeline runs
/// for preflight rules through its usual steps. Never writes.
pub trait RouteReader: Send + Sync {
    /// Runs the read-only tool `tool` of the same vendor with `args`.
    fn read<'a>(
        &'a self,
        tool: &'a str,
        args: Value,
        scope: CallScope<'a>,
    ) -> BoxFuture<'a, Outcome>;
}

/// The call under check, and reads of the same vendor's other routes.
pub struct PreflightContext<'a> {
    /// The vendor's manifest data (envelope pointers, ...).
    pub vendor: &'a VendorSpec,
    pub tool: &'a ToolSpec,
    pub args: &'a JsonObject,
    pub route: &'a Route,
    pub ct: &'a CancellationToken,
    /// The call's deadline, which the reads share.
    pub deadline: Deadline,
    pub reader: &'a dyn RouteReader,
}

impl PreflightContext<'_> {
    /// Runs one read-only tool of the same vendor through the usual steps
    /// (arguments, route, authentication, upstream, envelope).
    pub async fn read(&self, tool: &str, args: Value) -> Outcome {
        let scope = CallScope {
            ct: self.ct,
            deadline: self.deadline,
        };
        self.reader.read(tool, args, scope).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leads_mcp_catalog::vocab::Method;
    use leads_mcp_catalog::{ConfirmKind, MAX_TOOL_NAME};
    use serde_json::json;

    #[test]
    fn every_embedded_manifest_loads() {
        let catalog = load_catalog().unwrap();
        assert!(!catalog.tools.is_empty());
        for tool in &catalog.tools {
            assert!(tool.name.len() <= MAX_TOOL_NAME);
            if tool.method == Method::Get {
                assert!(tool.read_only, "{}", tool.name);
            }
            if tool.method == Method::Delete {
                assert!(tool.destructive, "{}", tool.name);
            }
        }
    }

    #[test]
    fn privilege_comes_from_the_group_and_secret_fields_add_up() {
        let c = load_catalog().unwrap();
        assert!(c.tool("leadmetrics_list_tenants").unwrap().privileged);
        assert!(!c.tool("leadmetrics_list_campaigns").unwrap().privileged);
        let impersonate = c.tool("leadmetrics_impersonate_tenant").unwrap();
        assert_eq!(impersonate.confirm, Some(ConfirmKind::Impersonate));
        // The vendor's credential names, plus the tool's own.
        for name in ["accessToken", "refreshToken", "token"] {
            assert!(
                impersonate.secret_fields.iter().any(|f| f == name),
                "{name}"
            );
        }
        let stream = c.tool("leadmetrics_stream_activity").unwrap();
        assert!(stream.secret_fields.iter().any(|f| f == "accessToken"));
        assert!(!stream.secret_fields.iter().any(|f| f == "token"));
    }

    #[test]
    fn at_least_one_field_is_in_the_schema_where_it_can_be() {
        let c = load_catalog().unwrap();
        let min = |name: &str| {
            c.tool(name)
                .unwrap()
                .input_schema
                .get("minProperties")
                .cloned()
        };
        // id + at least one of the fields, every other argument optional.
        for name in [
            "leadsrover_update_lead",
            "leadsrover_update_conversation",
            "leadgenius_update_client",
            "leadgenius_update_lead",
        ] {
            assert_eq!(min(name), Some(json!(2)), "{name}");
        }
        // An optional client_id besides the fields: the server's rule only.
        assert_eq!(min("leadpanther_update_post"), None);
        let magnet = c.tool("leadpanther_update_lead_magnet").unwrap();
        assert_eq!(
            magnet.input_schema["properties"]["body"]["minProperties"],
            1
        );
        assert!(!magnet.validator.is_valid(&json!({"id": "m1", "body": {}})));
        assert!(
            magnet
                .validator
                .is_valid(&json!({"id": "m1", "body": {"title": "T"}}))
        );
        let lead = c.tool("leadsrover_update_lead").unwrap();
        assert!(!lead.validator.is_valid(&json!({"id": 1})));
        assert!(lead.validator.is_valid(&json!({"id": 1, "status": "new"})));
    }

    #[test]
    fn leadsrover_ids_are_integers_in_the_json_safe_range() {
        let c = load_catalog().unwrap();
        let max = 9_007_199_254_740_991_u64;
        for t in c.tools.iter().filter(|t| t.vendor == "leadsrover") {
            for (name, p) in t.input_schema["properties"].as_object().unwrap() {
                let is_id = name == "id" || name == "productId" || name == "leadId";
                if is_id {
                    assert_eq!(p["type"], "integer", "{} {name}", t.name);
                    assert_eq!(p["minimum"], 1, "{} {name}", t.name);
                    assert_eq!(p["maximum"], max, "{} {name}", t.name);
                }
            }
        }
    }
}
