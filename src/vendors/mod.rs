//! Steps 4 and 6 of a call: a vendor's authentication and how its answers read.
//!
//! A vendor is its manifest plus an [`Adapter`] that only knows how to
//! authenticate. Everything else (routing, envelopes, error hints) is shared
//! code driven by the manifest.

pub mod auth;
pub mod envelope;
pub mod leadgenius;
pub mod leadmetrics;
pub mod leadpanther;
pub mod leadspro;
pub mod leadsrover;

use std::sync::Arc;

use futures::TryStreamExt;
use futures::future::BoxFuture;
use http::HeaderMap;
use rmcp::model::JsonObject;
use tokio_util::sync::CancellationToken;
use url::Url;

use serde_json::Value;

use crate::config::VendorEnv;
use crate::guard;
use crate::progress::Progress;
use crate::rate_limit::RateLimiter;
use crate::route::{self, Route};
use crate::selection::Availability;
use crate::stream::{self, StreamLimits};
use crate::upstream::{
    CallScope, Deadline, Outgoing, REQUEST_ID_HEADER, Upstream, UpstreamError, new_request_id,
};
use leads_mcp_catalog::vocab::Method;
use leads_mcp_catalog::vocab::Refusal;
use leads_mcp_catalog::{Catalog, CatalogError, ToolSpec, VendorSpec};

pub use leads_mcp_catalog::vocab::{Failure, Outcome, Success};

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

/// Finds any tool of the catalog by name, served or not: a preflight may
/// read a documented route that the operator chose not to serve.
pub type ToolLookup<'a> = &'a (dyn Fn(&str) -> Option<Arc<ToolSpec>> + Send + Sync);

/// The call under check, and reads of the same vendor's other routes.
pub struct PreflightContext<'a> {
    pub tool: &'a ToolSpec,
    pub args: &'a JsonObject,
    pub route: &'a Route,
    pub ct: &'a CancellationToken,
    /// The call's deadline, which the reads share.
    pub deadline: Deadline,
    runtime: &'a VendorRuntime,
    upstream: &'a Upstream,
    lookup: ToolLookup<'a>,
}

impl PreflightContext<'_> {
    /// The vendor's manifest data (envelope pointers, ...).
    pub fn vendor(&self) -> &VendorSpec {
        &self.runtime.spec
    }

    /// Runs one read-only tool of the same vendor through the usual steps
    /// (arguments, route, authentication, upstream, envelope). Never writes.
    pub async fn read(&self, tool: &str, args: serde_json::Value) -> Outcome {
        let Some(spec) =
            (self.lookup)(tool).filter(|t| t.vendor == self.runtime.spec.name && t.read_only)
        else {
            return Outcome::Refused(Refusal::new(
                "internal",
                format!(
                    "preflight of {} named {tool}, not a read of this vendor",
                    self.tool.name
                ),
                "Report this as a bug in leads-mcp.",
            ));
        };
        let args = args.as_object().cloned().unwrap_or_default();
        let route = match guard::check_arguments(&spec, &args)
            .and_then(|()| self.runtime.route(&spec, &args))
        {
            Ok(route) => route,
            Err(refusal) => return Outcome::Refused(refusal),
        };
        self.runtime
            .send(
                self.upstream,
                &spec,
                &route,
                CallScope {
                    ct: self.ct,
                    deadline: self.deadline,
                },
            )
            .await
    }
}

/// A served vendor: its spec, its resolved base URL and its adapter.
pub struct VendorRuntime {
    pub spec: Arc<VendorSpec>,
    pub base_url: Result<Url, String>,
    adapter: Box<dyn Adapter>,
    preflight: Option<PreflightRules>,
    /// The manifest's rate limits for the one configured key.
    limiter: RateLimiter,
}

impl std::fmt::Debug for VendorRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorRuntime")
            .field("vendor", &self.spec.name)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl VendorRuntime {
    pub fn new(spec: Arc<VendorSpec>, env: &VendorEnv) -> Option<Self> {
        let entry = REGISTRY.iter().find(|e| e.name == spec.name)?;
        let adapter = (entry.adapter)(env);
        let base_url = guard::base_url(&spec, env.plain(&spec.base_url_env).as_deref());
        Some(Self {
            limiter: RateLimiter::new(&spec.rate_limits),
            spec,
            base_url,
            adapter,
            preflight: entry.preflight,
        })
    }

    pub fn availability(&self) -> Availability {
        let unusable = self.base_url.as_ref().err().cloned();
        Availability {
            by_default: self.adapter.has_credentials(),
            unusable,
            reason: format!(
                "{} is not set (set it, or name the vendor in --vendors)",
                self.adapter.credential_env()
            ),
        }
    }

    pub fn credential_env(&self) -> String {
        self.adapter.credential_env()
    }

    /// The base URL, or the refusal every call gets without one (a vendor
    /// named in `--vendors` is served without it so that its calls say so).
    pub fn base(&self) -> Result<&Url, Refusal> {
        self.base_url.as_ref().map_err(|why| {
            Refusal::new(
                "no_base_url",
                format!("{why}. Nothing was sent."),
                format!(
                    "Ask the operator to set {} and restart the server.",
                    self.spec.base_url_env
                ),
            )
        })
    }

    /// Step 3: the request for these (checked) arguments.
    pub fn route(&self, tool: &ToolSpec, args: &JsonObject) -> Result<Route, Refusal> {
        route::build(tool, self.base()?, args)
    }

    /// Whether the call can be sent at all, checked before anyone is asked to confirm it.
    pub fn check_ready(&self, tool: &ToolSpec) -> Result<(), Refusal> {
        if tool.auth && !self.adapter.has_credentials() {
            return Err(auth::missing_credentials(
                &self.spec.title,
                &self.adapter.credential_env(),
            ));
        }
        if tool.auth {
            self.adapter.can_authorize(tool)?;
        }
        Ok(())
    }

    /// The vendor's own rules about this call (see [`Adapter::preflight`]).
    pub async fn preflight(
        &self,
        upstream: &Upstream,
        lookup: ToolLookup<'_>,
        tool: &ToolSpec,
        args: &JsonObject,
        route: &Route,
        scope: CallScope<'_>,
    ) -> Result<Preflight, Refusal> {
        let ctx = PreflightContext {
            tool,
            args,
            route,
            ct: scope.ct,
            deadline: scope.deadline,
            runtime: self,
            upstream,
            lookup,
        };
        match self.preflight {
            Some(rules) => rules(&ctx).await,
            None => Ok(Preflight::default()),
        }
    }

    /// Steps 4-6 of any tool: a stream tool reads its event stream within
    /// the bounds its arguments set, reporting progress; every other tool is
    /// one request.
    pub async fn call(
        &self,
        upstream: &Upstream,
        tool: &ToolSpec,
        route: &Route,
        args: &JsonObject,
        progress: &dyn Progress,
        scope: CallScope<'_>,
    ) -> Outcome {
        if tool.stream {
            let limits = StreamLimits::from_args(args, upstream.limits().max_result_bytes);
            self.read_stream(upstream, tool, route, &limits, progress, scope)
                .await
        } else {
            self.send(upstream, tool, route, scope).await
        }
    }

    /// Step 4: the request for `route`, authenticated. Only a plain read
    /// may be sent again after a transient failure (not a stream).
    async fn authorized(
        &self,
        upstream: &Upstream,
        tool: &ToolSpec,
        route: &Route,
        request_id: &str,
        scope: CallScope<'_>,
    ) -> Result<Outgoing, Refusal> {
        let base = self
            .base_url
            .as_ref()
            .map_err(|_| Refusal::new("no_base_url", "no base URL", "Set the base URL."))?;
        let headers = if !tool.auth && !self.adapter.has_credentials() {
            HeaderMap::new()
        } else {
            let ctx = AuthContext {
                vendor: &self.spec,
                tool,
                base,
                upstream,
                ct: scope.ct,
                deadline: scope.deadline,
            };
            self.adapter.authorize(ctx).await?
        };
        Ok(Outgoing {
            method: route.method,
            url: route.url.clone(),
            headers,
            body: self.body(tool, route).await,
            request_id: request_id.to_string(),
            retry_safe: route.method == Method::Get && !tool.stream,
        })
    }

    /// The body sent for `route`: the route's own, plus the adapter's
    /// session credentials for a call that ends the session.
    async fn body(&self, tool: &ToolSpec, route: &Route) -> Option<Value> {
        if !tool.ends_session {
            return route.body.clone();
        }
        let Some(secret) = self.adapter.session_end_body().await else {
            return route.body.clone();
        };
        let mut body = match route.body.clone() {
            Some(Value::Object(map)) => map,
            _ => JsonObject::new(),
        };
        body.extend(secret);
        Some(Value::Object(body))
    }

    /// Steps 4-6: authenticates, sends and interprets one request of `tool`.
    pub async fn send(
        &self,
        upstream: &Upstream,
        tool: &ToolSpec,
        route: &Route,
        scope: CallScope<'_>,
    ) -> Outcome {
        let request_id = new_request_id();
        let mut renewed = false;
        loop {
            let outgoing = match self
                .authorized(upstream, tool, route, &request_id, scope)
                .await
            {
                Ok(outgoing) => outgoing,
                Err(refusal) => return Outcome::Refused(refusal),
            };
            tracing::info!(tool = %tool.name, method = route.method.as_str(), path = %route.url.path(), %request_id, "calling upstream");
            let incoming = match upstream
                .send_paced(&outgoing, scope.ct, scope.deadline, Some(&self.limiter))
                .await
            {
                Ok(incoming) => incoming,
                Err(UpstreamError::RateLimited(throttled)) => {
                    let secs = throttled.wait.as_secs().max(1);
                    return Outcome::Refused(Refusal::new(
                        "rate_limited",
                        format!(
                            "{}: {}'s rate limit for this key ({}) has no free slot for {secs} seconds, longer than this server waits. Nothing was sent.",
                            tool.name, self.spec.title, throttled.limit
                        ),
                        format!("Wait {secs} seconds, then call again."),
                    ));
                }
                Err(e) => {
                    return Outcome::Failed(envelope::unreachable(
                        &self.spec,
                        tool,
                        route,
                        &request_id,
                        &e,
                    ));
                }
            };
            tracing::info!(tool = %tool.name, status = incoming.status.as_u16(), attempts = incoming.attempts, "upstream answered");
            // A rejected session token is renewed once; a static key is not retried.
            if incoming.status == http::StatusCode::UNAUTHORIZED
                && !renewed
                && self.adapter.unauthorized(tool).await
            {
                renewed = true;
                continue;
            }
            if tool.ends_session && incoming.status.is_success() {
                self.adapter.session_ended().await;
            }
            return envelope::interpret(
                &self.spec,
                tool,
                route,
                &incoming,
                &request_id,
                &self.adapter.credential_env(),
            );
        }
    }

    /// Steps 4-6 of a stream tool: opens the event stream (renewing a
    /// rejected session once, like [`Self::send`]), reads it within
    /// `limits`, and hands back the events. A refusal to open the stream is
    /// interpreted like any other answer.
    pub async fn read_stream(
        &self,
        upstream: &Upstream,
        tool: &ToolSpec,
        route: &Route,
        limits: &StreamLimits,
        progress: &dyn Progress,
        scope: CallScope<'_>,
    ) -> Outcome {
        let request_id = new_request_id();
        let mut renewed = false;
        loop {
            let outgoing = match self
                .authorized(upstream, tool, route, &request_id, scope)
                .await
            {
                Ok(outgoing) => outgoing,
                Err(refusal) => return Outcome::Refused(refusal),
            };
            tracing::info!(tool = %tool.name, path = %route.url.path(), %request_id, "opening event stream");
            let unreachable = |e: &crate::upstream::UpstreamError| {
                Outcome::Failed(envelope::unreachable(
                    &self.spec,
                    tool,
                    route,
                    &request_id,
                    e,
                ))
            };
            let response = match upstream
                .open_stream(&outgoing, limits.max_duration, scope.ct, scope.deadline)
                .await
            {
                Ok(response) => response,
                Err(e) => return unreachable(&e),
            };
            let status = response.status();
            if status == http::StatusCode::UNAUTHORIZED
                && !renewed
                && self.adapter.unauthorized(tool).await
            {
                renewed = true;
                continue;
            }
            if !status.is_success() || !is_event_stream(response.headers()) {
                // An error, or an answer that is not a stream: read it as usual.
                let incoming = match upstream.finish(response, scope.ct, scope.deadline).await {
                    Ok(incoming) => incoming,
                    Err(e) => return unreachable(&e),
                };
                return envelope::interpret(
                    &self.spec,
                    tool,
                    route,
                    &incoming,
                    &request_id,
                    &self.adapter.credential_env(),
                );
            }
            let vendor_request_id = response
                .headers()
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            // Errors without the URL: queries can carry personal data.
            let body = response
                .bytes_stream()
                .map_err(|e| e.without_url().to_string());
            let collected = stream::collect(body, limits, progress, scope.ct).await;
            tracing::info!(tool = %tool.name, events = collected.events.len(), ended = collected.ended.code(), "event stream read");
            let note = collected.note(&tool.name);
            return Outcome::Ok(Success {
                status: status.as_u16(),
                body: collected.into_body(limits),
                request_id: vendor_request_id.unwrap_or(request_id),
                note: Some(note),
            });
        }
    }
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

/// The embedded manifests themselves: what the catalog checks in general,
/// here for the documented surfaces.
#[cfg(test)]
mod tests {
    use super::*;
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
