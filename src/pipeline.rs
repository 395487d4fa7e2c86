//! The one path of every vendor call: `tools/call`, `resources/read` and
//! the reads a vendor's preflight rules make all run through here.
//!
//! The steps, in order:
//! 1. the tool is served (the server looked it up);
//! 2. input guards: read-only mode, a base URL, the arguments
//!    ([`guard::check_arguments`]), credentials of a kind the tool accepts;
//! 3. the route ([`route::build`]) from the checked arguments;
//! 4. the vendor's preflight rules, which may read other routes;
//! 5. the human's yes, for sends and irreversible actions ([`Confirmer`]);
//! 6. the exchange: authenticate, send (or open the event stream), renew a
//!    rejected session once ([`Pipeline::exchange`]);
//! 7. the answer read through the manifest's envelope ([`envelope`]).
//!
//! What comes out is an [`Outcome`]; `result` turns it into an MCP shape.

use std::collections::HashMap;
use std::sync::Arc;

use futures::TryStreamExt;
use futures::future::BoxFuture;
use http::HeaderMap;
use rmcp::model::{CallToolRequestParams, InputRequiredResult, JsonObject};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::VendorEnv;
use crate::confirm::{Confirmer, Gate};
use crate::envelope;
use crate::guard::{self, CheckedArgs};
use crate::progress::Progress;
use crate::rate_limit::RateLimiter;
use crate::route::{self, Route};
use crate::selection::Availability;
use crate::stream::{self, StreamLimits};
use crate::upstream::{
    CallScope, Deadline, Incoming, Outgoing, REQUEST_ID_HEADER, Upstream, UpstreamError,
    new_request_id,
};
use crate::vendors;
use crate::vendors::adapter::{
    Adapter, AuthContext, Preflight, PreflightContext, PreflightRules, RouteReader,
};
use leads_mcp_catalog::vocab::{Method, Outcome, Refusal, Success};
use leads_mcp_catalog::{ToolSpec, VendorSpec};

/// A served vendor: its spec, its resolved base URL, its adapter, its rules
/// and the rate limiter of its one configured key.
pub struct VendorRuntime {
    pub spec: Arc<VendorSpec>,
    pub base_url: Result<Url, String>,
    adapter: Box<dyn Adapter>,
    preflight: Option<PreflightRules>,
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
    /// The runtime of a vendor the registry knows, configured from `env`.
    pub fn new(spec: Arc<VendorSpec>, env: &VendorEnv) -> Option<Self> {
        let entry = vendors::REGISTRY.iter().find(|e| e.name == spec.name)?;
        let base_url = guard::base_url(&spec, env.plain(&spec.base_url_env).as_deref());
        Some(Self {
            adapter: (entry.adapter)(env),
            preflight: entry.preflight,
            limiter: RateLimiter::new(&spec.rate_limits),
            spec,
            base_url,
        })
    }

    pub fn availability(&self) -> Availability {
        Availability {
            by_default: self.adapter.has_credentials(),
            unusable: self.base_url.as_ref().err().cloned(),
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

    /// Whether the call can be authenticated at all, checked before anyone
    /// is asked to confirm it.
    fn check_ready(&self, tool: &ToolSpec) -> Result<(), Refusal> {
        if !tool.auth {
            return Ok(());
        }
        if !self.adapter.has_credentials() {
            return Err(vendors::auth::missing_credentials(
                &self.spec.title,
                &self.adapter.credential_env(),
            ));
        }
        self.adapter.can_authorize(tool)
    }
}

/// What a `tools/call` comes to: an outcome, or a question for the client
/// (the confirmation form of a client that answers in a later request).
pub enum Answer {
    Done(Outcome),
    AskInput(InputRequiredResult),
}

/// How the answer of one exchange is received.
#[derive(Clone, Copy)]
enum Receive<'a> {
    /// One request, one complete answer.
    Whole,
    /// An event stream, read within `limits`, reporting progress.
    Stream {
        limits: &'a StreamLimits,
        progress: &'a dyn Progress,
    },
}

/// The answer of one attempt, before it is read.
enum Reply {
    Whole(Incoming),
    Stream(reqwest::Response),
}

impl Reply {
    fn status(&self) -> http::StatusCode {
        match self {
            Self::Whole(incoming) => incoming.status,
            Self::Stream(response) => response.status(),
        }
    }
}

/// Everything a call needs, built once and shared by every session.
pub struct Pipeline {
    vendors: HashMap<String, Arc<VendorRuntime>>,
    /// Every tool of the catalog, served or not: a preflight may read a
    /// documented route that the operator chose not to serve.
    catalog_tools: HashMap<String, Arc<ToolSpec>>,
    upstream: Upstream,
    confirmer: Confirmer,
    read_only: bool,
}

impl Pipeline {
    pub fn new(
        vendors: HashMap<String, Arc<VendorRuntime>>,
        catalog_tools: HashMap<String, Arc<ToolSpec>>,
        upstream: Upstream,
        confirmer: Confirmer,
        read_only: bool,
    ) -> Self {
        Self {
            vendors,
            catalog_tools,
            upstream,
            confirmer,
            read_only,
        }
    }

    pub fn vendor(&self, name: &str) -> Option<&Arc<VendorRuntime>> {
        self.vendors.get(name)
    }

    /// The names of the served vendors, in no order.
    pub fn vendor_names(&self) -> impl Iterator<Item = &String> {
        self.vendors.keys()
    }

    pub fn max_result_bytes(&self) -> usize {
        self.upstream.limits().max_result_bytes
    }

    fn vendor_of(&self, tool: &ToolSpec) -> Result<&VendorRuntime, Refusal> {
        self.vendors
            .get(&tool.vendor)
            .map(Arc::as_ref)
            .ok_or_else(|| {
                Refusal::new(
                    "internal",
                    format!("vendor {} is not served", tool.vendor),
                    "Report this as a bug in leads-mcp.",
                )
            })
    }

    /// One `tools/call` of a served tool, steps 2-7.
    pub async fn call(
        &self,
        tool: &ToolSpec,
        request: &CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
        progress: &dyn Progress,
    ) -> Answer {
        let args = request.arguments.clone().unwrap_or_default();
        let vendor = match self.vendor_of(tool) {
            Ok(vendor) => vendor,
            Err(refusal) => return Answer::Done(Outcome::Refused(refusal)),
        };
        // Steps 2-3: every check that needs no network, then the human.
        let (checked, route) = match self.prepare(vendor, tool, &args) {
            Ok(prepared) => prepared,
            Err(refusal) => return Answer::Done(Outcome::Refused(refusal)),
        };
        if let Some(refusal) = self.confirmer.unable_to_ask(tool, request, ctx) {
            return Answer::Done(Outcome::Refused(refusal));
        }
        // Step 4: the vendor's own rules, which may read, before the human is asked.
        let call_deadline = self.upstream.limits().call_deadline;
        let deadline = Deadline::after(call_deadline);
        let scope = CallScope {
            ct: &ctx.ct,
            deadline,
        };
        let preflight = match self.preflight(vendor, tool, &checked, &route, scope).await {
            Ok(preflight) => preflight,
            Err(refusal) => return Answer::Done(Outcome::Refused(refusal)),
        };
        let preflight_spent = deadline.spent();
        // Step 5.
        let gate = self
            .confirmer
            .check(
                tool,
                &vendor.spec.title,
                &route,
                &preflight.details,
                request,
                ctx,
            )
            .await;
        match gate {
            Gate::Proceed => {}
            Gate::Ask(input) => return Answer::AskInput(input),
            Gate::Stop(refusal) => return Answer::Done(Outcome::Refused(refusal)),
        }
        // Steps 6-7. The human's time to answer is not the vendor's: the
        // exchange gets what the preflight reads left of the deadline.
        let scope = CallScope {
            ct: &ctx.ct,
            deadline: Deadline::resumed(call_deadline, preflight_spent),
        };
        let limits;
        let receive = if tool.stream {
            limits = StreamLimits::from_args(checked.as_object(), self.max_result_bytes());
            Receive::Stream {
                limits: &limits,
                progress,
            }
        } else {
            Receive::Whole
        };
        Answer::Done(exchange(&self.upstream, vendor, tool, &route, receive, scope).await)
    }

    /// What a resource serves: its read-only, argument-free tool, read whole.
    pub async fn read(&self, tool: &ToolSpec, ct: &CancellationToken) -> Outcome {
        match self.vendor_of(tool) {
            Ok(vendor) => read(&self.upstream, vendor, tool, &JsonObject::new(), ct).await,
            Err(refusal) => Outcome::Refused(refusal),
        }
    }

    /// Steps 2-3: read-only mode, then [`prepare`].
    fn prepare(
        &self,
        vendor: &VendorRuntime,
        tool: &ToolSpec,
        args: &JsonObject,
    ) -> Result<(CheckedArgs, Route), Refusal> {
        guard::check_read_only(tool, self.read_only)?;
        prepare(vendor, tool, args)
    }

    /// Step 4: the vendor's own rules about this call, if it has any.
    async fn preflight(
        &self,
        vendor: &VendorRuntime,
        tool: &ToolSpec,
        args: &CheckedArgs,
        route: &Route,
        scope: CallScope<'_>,
    ) -> Result<Preflight, Refusal> {
        let Some(rules) = vendor.preflight else {
            return Ok(Preflight::default());
        };
        let reader = PreflightReader {
            upstream: &self.upstream,
            catalog_tools: &self.catalog_tools,
            vendor,
            asking: tool,
        };
        let ctx = PreflightContext {
            vendor: &vendor.spec,
            tool,
            args: args.as_object(),
            route,
            ct: scope.ct,
            deadline: scope.deadline,
            reader: &reader,
        };
        rules(&ctx).await
    }
}

/// A whole read of `tool` with `args`, needing no confirmation: steps 2-3
/// (without read-only mode, which a read passes) and 6-7. What resources
/// and `leads-mcp doctor` send.
pub async fn read(
    upstream: &Upstream,
    vendor: &VendorRuntime,
    tool: &ToolSpec,
    args: &JsonObject,
    ct: &CancellationToken,
) -> Outcome {
    let scope = CallScope {
        ct,
        deadline: Deadline::after(upstream.limits().call_deadline),
    };
    match prepare(vendor, tool, args) {
        Ok((_, route)) => exchange(upstream, vendor, tool, &route, Receive::Whole, scope).await,
        Err(refusal) => Outcome::Refused(refusal),
    }
}

/// Steps 2-3: a base URL, the arguments, the route, credentials the tool accepts.
fn prepare(
    vendor: &VendorRuntime,
    tool: &ToolSpec,
    args: &JsonObject,
) -> Result<(CheckedArgs, Route), Refusal> {
    // Without a base URL no call can work, whatever its arguments.
    let base = vendor.base()?;
    let checked = guard::check_arguments(tool, args)?;
    let route = route::build(tool, base, &checked)?;
    vendor.check_ready(tool)?;
    Ok((checked, route))
}

/// Steps 6-7: authenticates and sends the request (or opens the event
/// stream), renews a rejected session once, and reads the answer.
async fn exchange(
    upstream: &Upstream,
    vendor: &VendorRuntime,
    tool: &ToolSpec,
    route: &Route,
    receive: Receive<'_>,
    scope: CallScope<'_>,
) -> Outcome {
    let request_id = new_request_id();
    let unreachable = |e: &UpstreamError| {
        Outcome::Failed(envelope::unreachable(
            &vendor.spec,
            tool,
            route,
            &request_id,
            e,
        ))
    };
    let mut renewed = false;
    loop {
        let outgoing = match authorized(upstream, vendor, tool, route, &request_id, scope).await {
            Ok(outgoing) => outgoing,
            Err(refusal) => return Outcome::Refused(refusal),
        };
        let reply = match receive {
            Receive::Whole => {
                tracing::info!(tool = %tool.name, method = route.method.as_str(), path = %route.url.path(), %request_id, "calling upstream");
                let sent = upstream
                    .send_paced(&outgoing, scope.ct, scope.deadline, Some(&vendor.limiter))
                    .await;
                match sent {
                    Ok(incoming) => {
                        tracing::info!(tool = %tool.name, status = incoming.status.as_u16(), attempts = incoming.attempts, "upstream answered");
                        Reply::Whole(incoming)
                    }
                    Err(UpstreamError::RateLimited(throttled)) => {
                        let secs = throttled.wait.as_secs().max(1);
                        return Outcome::Refused(Refusal::new(
                            "rate_limited",
                            format!(
                                "{}: {}'s rate limit for this key ({}) has no free slot for {secs} seconds, longer than this server waits. Nothing was sent.",
                                tool.name, vendor.spec.title, throttled.limit
                            ),
                            format!("Wait {secs} seconds, then call again."),
                        ));
                    }
                    Err(e) => return unreachable(&e),
                }
            }
            Receive::Stream { limits, .. } => {
                tracing::info!(tool = %tool.name, path = %route.url.path(), %request_id, "opening event stream");
                match upstream
                    .open_stream(&outgoing, limits.max_duration, scope.ct, scope.deadline)
                    .await
                {
                    Ok(response) => Reply::Stream(response),
                    Err(e) => return unreachable(&e),
                }
            }
        };
        let status = reply.status();
        // A rejected session token is renewed once; a static key is not retried.
        if status == http::StatusCode::UNAUTHORIZED
            && !renewed
            && vendor.adapter.unauthorized(tool).await
        {
            renewed = true;
            continue;
        }
        if tool.ends_session && status.is_success() {
            vendor.adapter.session_ended().await;
        }
        let incoming = match (reply, receive) {
            (Reply::Whole(incoming), _) => incoming,
            (Reply::Stream(response), Receive::Stream { limits, progress })
                if status.is_success() && is_event_stream(response.headers()) =>
            {
                return read_events(tool, response, limits, progress, scope, request_id).await;
            }
            // An error, or an answer that is not a stream: read it as usual.
            (Reply::Stream(response), _) => {
                match upstream.finish(response, scope.ct, scope.deadline).await {
                    Ok(incoming) => incoming,
                    Err(e) => return unreachable(&e),
                }
            }
        };
        return envelope::interpret(
            &vendor.spec,
            tool,
            route,
            &incoming,
            &request_id,
            &vendor.adapter.credential_env(),
        );
    }
}

/// Step 6's request for `route`, authenticated. Only a plain read may be
/// sent again after a transient failure (not a stream).
async fn authorized(
    upstream: &Upstream,
    vendor: &VendorRuntime,
    tool: &ToolSpec,
    route: &Route,
    request_id: &str,
    scope: CallScope<'_>,
) -> Result<Outgoing, Refusal> {
    let base = vendor.base()?;
    let headers = if !tool.auth && !vendor.adapter.has_credentials() {
        HeaderMap::new()
    } else {
        let ctx = AuthContext {
            vendor: &vendor.spec,
            tool,
            base,
            upstream,
            ct: scope.ct,
            deadline: scope.deadline,
        };
        vendor.adapter.authorize(ctx).await?
    };
    Ok(Outgoing {
        method: route.method,
        url: route.url.clone(),
        headers,
        body: session_body(vendor, tool, route).await,
        request_id: request_id.to_string(),
        retry_safe: route.method == Method::Get && !tool.stream,
    })
}

/// The body sent for `route`: the route's own, plus the adapter's session
/// credentials for a call that ends the session.
async fn session_body(vendor: &VendorRuntime, tool: &ToolSpec, route: &Route) -> Option<Value> {
    if !tool.ends_session {
        return route.body.clone();
    }
    let Some(secret) = vendor.adapter.session_end_body().await else {
        return route.body.clone();
    };
    let mut body = match route.body.clone() {
        Some(Value::Object(map)) => map,
        _ => JsonObject::new(),
    };
    body.extend(secret);
    Some(Value::Object(body))
}

/// An open event stream, read within `limits`: the collected events are the result.
async fn read_events(
    tool: &ToolSpec,
    response: reqwest::Response,
    limits: &StreamLimits,
    progress: &dyn Progress,
    scope: CallScope<'_>,
    request_id: String,
) -> Outcome {
    let status = response.status();
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
    Outcome::Ok(Success {
        status: status.as_u16(),
        body: collected.into_body(limits),
        request_id: vendor_request_id.unwrap_or(request_id),
        note: Some(note),
    })
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

/// The reads a vendor's preflight rules make: read-only tools of the same
/// vendor, served or not, through steps 2-3 (arguments, route) and 6-7.
struct PreflightReader<'a> {
    upstream: &'a Upstream,
    catalog_tools: &'a HashMap<String, Arc<ToolSpec>>,
    vendor: &'a VendorRuntime,
    /// The tool whose preflight reads, for messages.
    asking: &'a ToolSpec,
}

impl RouteReader for PreflightReader<'_> {
    fn read<'a>(
        &'a self,
        tool: &'a str,
        args: Value,
        scope: CallScope<'a>,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let spec = self
                .catalog_tools
                .get(tool)
                .filter(|t| t.vendor == self.vendor.spec.name && t.read_only);
            let Some(spec) = spec else {
                return Outcome::Refused(Refusal::new(
                    "internal",
                    format!(
                        "preflight of {} named {tool}, not a read of this vendor",
                        self.asking.name
                    ),
                    "Report this as a bug in leads-mcp.",
                ));
            };
            let args = args.as_object().cloned().unwrap_or_default();
            let route = self.vendor.base().and_then(|base| {
                let checked = guard::check_arguments(spec, &args)?;
                route::build(spec, base, &checked)
            });
            match route {
                Ok(route) => {
                    exchange(
                        self.upstream,
                        self.vendor,
                        spec,
                        &route,
                        Receive::Whole,
                        scope,
                    )
                    .await
                }
                Err(refusal) => Outcome::Refused(refusal),
            }
        })
    }
}
