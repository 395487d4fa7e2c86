//! What an adapter is: the contract between the pipeline and one vendor's
//! code (authentication, and preflight rules that may read first), and the
//! registry entry that names them.

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
use leads_mcp_catalog::{ToolSpec, VendorSpec};

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
    /// Every credential variable the adapter reads.
    pub credentials: &'static [CredentialVar],
    /// The ways to authenticate, the first being the one `leads-mcp config`
    /// offers when none is set.
    pub credential_modes: &'static [CredentialMode],
}

/// One credential variable of a vendor, as `leads-mcp config`, the bundle
/// and `server.json` describe it.
#[derive(Debug)]
pub struct CredentialVar {
    pub name: &'static str,
    /// A key, password or token: never printed.
    pub secret: bool,
    /// What it is, and where the user gets the value.
    pub description: &'static str,
}

/// One way to authenticate to a vendor: the variables that make it up.
#[derive(Debug)]
pub struct CredentialMode {
    pub label: &'static str,
    pub vars: &'static [&'static str],
}

/// See [`VendorEntry::preflight`].
pub type PreflightRules =
    for<'a> fn(&'a PreflightContext<'a>) -> BoxFuture<'a, Result<Preflight, Refusal>>;

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
