//! Human confirmation for sends and irreversible bulk actions (part of step 2).
//!
//! Handshake clients (≤ 2025-11-25) get an `elicitation/create` request in
//! the middle of the call. 2026-07-28 clients get an `input_required` result
//! whose `requestState` is sealed to the exact arguments and used once, so a
//! "yes" can't be replayed or moved to another call. A client that cannot
//! elicit gets a refusal: an argument the model sets is never a confirmation.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction,
    ElicitationSchema, InputRequest, InputRequests, InputRequiredResult, JsonObject,
    ProtocolVersion,
};
use rmcp::model::{RequestStateCodec, SealOptions};
use rmcp::service::{RequestContext, RoleServer};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{Config, ConfirmMode};
use crate::route::Route;
use leads_mcp_catalog::vocab::Refusal;
use leads_mcp_catalog::{ConfirmKind, ToolSpec};

/// The key of the one input request a confirmation makes.
const INPUT_KEY: &str = "confirm";
/// The boolean the human sets in the form.
const FIELD: &str = "confirm";

/// What the pipeline does next.
#[derive(Debug)]
pub enum Gate {
    /// Confirmed (or no confirmation needed): send.
    Proceed,
    /// Ask a 2026-07-28 client; it retries the call with the answer.
    Ask(InputRequiredResult),
    /// Don't send; the refusal says why.
    Stop(Refusal),
}

#[derive(Serialize, Deserialize)]
struct SealedConfirm {
    tool: String,
    nonce: String,
}

pub struct Confirmer {
    mode: ConfirmMode,
    codec: RequestStateCodec,
    timeout: Duration,
    /// Nonces of confirmations already used, until they expire.
    used: Mutex<HashMap<String, Instant>>,
}

impl std::fmt::Debug for Confirmer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Confirmer")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Confirmer {
    pub fn new(config: &Config) -> Self {
        let key: Vec<u8> = match &config.state_key {
            Some(k) => k.expose_secret().as_bytes().to_vec(),
            // A fresh key per process: pending confirmations end with it.
            None => [
                uuid::Uuid::new_v4().into_bytes(),
                uuid::Uuid::new_v4().into_bytes(),
            ]
            .concat(),
        };
        Self {
            mode: config.confirm,
            codec: RequestStateCodec::new_unchecked(key),
            timeout: config.limits.confirm_timeout,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// A call that needs a human, from a client that cannot ask one, is
    /// refused before anything else is done for it (no preflight reads).
    pub fn unable_to_ask(
        &self,
        tool: &ToolSpec,
        request: &CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> Option<Refusal> {
        let kind = tool.confirm?;
        (needs_human(self.mode, kind) && request.request_state.is_none() && !can_elicit(ctx))
            .then(|| cannot_elicit(tool, kind))
    }

    /// Decides whether `route` may be sent for this call.
    pub async fn check(
        &self,
        tool: &ToolSpec,
        vendor_title: &str,
        route: &Route,
        details: &[String],
        request: &CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> Gate {
        let Some(kind) = tool.confirm else {
            return Gate::Proceed;
        };
        if !needs_human(self.mode, kind) {
            return Gate::Proceed;
        }
        let args = request.arguments.clone().unwrap_or_default();
        // The details come from vendor reads, which may echo a secret.
        let message =
            crate::redact::scrub(&describe(tool, kind, vendor_title, route, details)).into_owned();
        let can_elicit = can_elicit(ctx);
        let modern = ctx
            .protocol_version()
            .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str());

        if modern {
            if let Some(state) = &request.request_state {
                return self.answer_of_retry(
                    tool,
                    &args,
                    state,
                    request
                        .input_responses
                        .as_ref()
                        .and_then(|r| r.get(INPUT_KEY)),
                );
            }
            if !can_elicit {
                return Gate::Stop(cannot_elicit(tool, kind));
            }
            return match self.seal(tool, &args) {
                Ok(state) => {
                    let mut input = InputRequests::new();
                    input.insert(
                        INPUT_KEY.into(),
                        InputRequest::Elicitation(ElicitRequest::new(form(message))),
                    );
                    Gate::Ask(InputRequiredResult::new(Some(input), Some(state)))
                }
                Err(e) => Gate::Stop(Refusal::new("confirmation_failed", e, "Try again.")),
            };
        }
        if !can_elicit {
            return Gate::Stop(cannot_elicit(tool, kind));
        }
        match ctx
            .peer
            .create_elicitation_with_timeout(form(message), Some(self.timeout))
            .await
        {
            Ok(answer) => decide(tool, &answer),
            Err(e) => {
                tracing::warn!(tool = %tool.name, error = %e, "confirmation request failed");
                Gate::Stop(Refusal::new(
                    "not_confirmed",
                    format!(
                        "{}: the confirmation request got no answer ({e}). Nothing was sent.",
                        tool.name
                    ),
                    "Call the tool again when the user can answer the confirmation.",
                ))
            }
        }
    }

    fn associated_data(tool: &ToolSpec, args: &JsonObject) -> Vec<u8> {
        // serde_json's Map is ordered by key, so this is canonical.
        let mut data = tool.name.as_bytes().to_vec();
        data.push(0);
        data.extend(serde_json::to_vec(args).unwrap_or_default());
        data
    }

    fn seal(&self, tool: &ToolSpec, args: &JsonObject) -> Result<String, String> {
        let payload = SealedConfirm {
            tool: tool.name.clone(),
            nonce: uuid::Uuid::new_v4().to_string(),
        };
        let ad = Self::associated_data(tool, args);
        self.codec
            .seal_json_with(
                &payload,
                &SealOptions::new().associated_data(&ad).ttl(self.timeout),
            )
            .map_err(|e| format!("could not seal the confirmation: {e}"))
    }

    fn answer_of_retry(
        &self,
        tool: &ToolSpec,
        args: &JsonObject,
        state: &str,
        answer: Option<&Value>,
    ) -> Gate {
        let ad = Self::associated_data(tool, args);
        let opened: Result<SealedConfirm, _> = self.codec.open_json_with(state, &ad);
        let Ok(sealed) = opened.map_err(
            |e| tracing::warn!(tool = %tool.name, error = %e, "confirmation state refused"),
        ) else {
            return Gate::Stop(Refusal::new(
                "not_confirmed",
                format!(
                    "{}: the confirmation does not match these arguments, has expired, or was altered. Nothing was sent.",
                    tool.name
                ),
                "Call the tool again without requestState so the user is asked about exactly these arguments.",
            ));
        };
        if sealed.tool != tool.name || !self.first_use(&sealed.nonce) {
            return Gate::Stop(Refusal::new(
                "not_confirmed",
                format!(
                    "{}: this confirmation was already used. Nothing was sent again.",
                    tool.name
                ),
                "A confirmation covers one call. To send again, call the tool afresh and let the user confirm.",
            ));
        }
        match answer.map(ElicitResult::deserialize) {
            Some(Ok(answer)) => decide(tool, &answer),
            _ => Gate::Stop(Refusal::new(
                "not_confirmed",
                format!(
                    "{}: the retry carried no answer to the confirmation. Nothing was sent.",
                    tool.name
                ),
                "Answer the confirmation request and retry with its response.",
            )),
        }
    }

    fn first_use(&self, nonce: &str) -> bool {
        let Ok(mut used) = self.used.lock() else {
            return false;
        };
        let now = Instant::now();
        let ttl = self.timeout;
        used.retain(|_, at| now.duration_since(*at) < ttl * 2);
        used.insert(nonce.to_string(), now).is_none()
    }
}

/// Every confirmation waits for a human in `elicit` mode; in `client` mode
/// the client's own approval stands in for one, except for the kinds that
/// always need a human (impersonation).
fn needs_human(mode: ConfirmMode, kind: ConfirmKind) -> bool {
    mode == ConfirmMode::Elicit || kind.always_asks_a_human()
}

/// Whether the client declared form elicitation (for 2026-07-28 clients,
/// in this request's `_meta`).
fn can_elicit(ctx: &RequestContext<RoleServer>) -> bool {
    ctx.client_capabilities()
        .and_then(|c| c.elicitation)
        .is_some_and(|e| e.form.is_some() || e.url.is_none())
}

fn form(message: String) -> ElicitRequestParams {
    let schema = ElicitationSchema::builder()
        .required_bool(FIELD)
        .build()
        .unwrap_or_else(|_| ElicitationSchema::new(Default::default()));
    ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema: schema,
    }
}

/// Accept with `confirm: true` is a yes; anything else is a no.
fn decide(tool: &ToolSpec, answer: &ElicitResult) -> Gate {
    let yes = answer.action == ElicitationAction::Accept
        && answer
            .content
            .as_ref()
            .and_then(|c| c.get(FIELD))
            .and_then(Value::as_bool)
            == Some(true);
    if yes {
        return Gate::Proceed;
    }
    let how = match answer.action {
        ElicitationAction::Accept => "did not confirm",
        ElicitationAction::Decline => "declined",
        ElicitationAction::Cancel => "cancelled",
        _ => "did not confirm",
    };
    Gate::Stop(Refusal::new(
        "not_confirmed",
        format!("{}: the user {how}. Nothing was sent.", tool.name),
        "Don't retry unless the user asks; ask them what to change.",
    ))
}

fn cannot_elicit(tool: &ToolSpec, kind: ConfirmKind) -> Refusal {
    let next = if kind.always_asks_a_human() {
        "Use a client that supports MCP elicitation: this action always needs a human's yes, whatever LEADS_MCP_CONFIRM says."
    } else {
        "Use a client that supports MCP elicitation. An operator who trusts their client's own per-call approval can start the server with LEADS_MCP_CONFIRM=client."
    };
    Refusal::new(
        "confirmation_unavailable",
        format!(
            "{} needs a human's confirmation, and this client cannot ask for one (no form elicitation). Nothing was sent.",
            tool.name
        ),
        next,
    )
}

/// What the human sees: the action, the exact request and its full text.
pub fn describe(
    tool: &ToolSpec,
    kind: ConfirmKind,
    vendor_title: &str,
    route: &Route,
    details: &[String],
) -> String {
    let what = match kind {
        ConfirmKind::Send => "This sends a message to a person.",
        ConfirmKind::Bulk => "This is irreversible and affects many records.",
        ConfirmKind::Impersonate => {
            "This acts as another user (impersonation), with that user's access; the vendor records it."
        }
        ConfirmKind::Approval => {
            "This decides an item of the human approval queue, which exists so that a person reviews agent work: only you should approve or reject it."
        }
    };
    let mut text = format!(
        "{vendor_title}: {}. {what}\n{}\n",
        tool.title,
        route.display()
    );
    for line in details {
        text.push_str(line);
        text.push('\n');
    }
    if let Some(Value::Object(body)) = &route.body {
        for (field, value) in body {
            match value {
                Value::String(s) => text.push_str(&format!("\n{field}:\n{s}\n")),
                other => text.push_str(&format!("\n{field}: {other}\n")),
            }
        }
    }
    text.push_str("\nConfirm to send exactly this; decline to send nothing.");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Flags, VendorEnv};
    use serde_json::json;
    use std::collections::BTreeMap;

    fn confirmer() -> Confirmer {
        let config =
            Config::from_flags(&Flags::default(), &BTreeMap::new(), VendorEnv::default()).unwrap();
        Confirmer::new(&config)
    }

    fn args(v: Value) -> JsonObject {
        v.as_object().unwrap().clone()
    }

    fn yes() -> Value {
        json!({"action": "accept", "content": {"confirm": true}})
    }

    fn is_proceed(g: &Gate) -> bool {
        matches!(g, Gate::Proceed)
    }

    #[test]
    fn a_sealed_yes_works_once_and_only_for_its_arguments() {
        let c = confirmer();
        let catalog = crate::vendors::load_catalog().unwrap();
        let tool = catalog.tool("leadpanther_create_post").unwrap();
        let a = args(json!({"text": "Hello"}));
        let state = c.seal(tool, &a).unwrap();
        // Other arguments: refused, and the state stays unused.
        let other = args(json!({"text": "Goodbye"}));
        let g = c.answer_of_retry(tool, &other, &state, Some(&yes()));
        assert!(
            matches!(&g, Gate::Stop(r) if r.message.contains("does not match")),
            "{g:?}"
        );
        // Another tool: refused.
        let delete = catalog.tool("leadpanther_delete_post").unwrap();
        assert!(!is_proceed(&c.answer_of_retry(
            delete,
            &a,
            &state,
            Some(&yes())
        )));
        // The right arguments: a yes proceeds, once.
        assert!(is_proceed(&c.answer_of_retry(
            tool,
            &a,
            &state,
            Some(&yes())
        )));
        let g = c.answer_of_retry(tool, &a, &state, Some(&yes()));
        assert!(
            matches!(&g, Gate::Stop(r) if r.message.contains("already used")),
            "{g:?}"
        );
    }

    #[test]
    fn altered_state_and_missing_answers_are_refused() {
        let c = confirmer();
        let catalog = crate::vendors::load_catalog().unwrap();
        let tool = catalog.tool("leadpanther_create_post").unwrap();
        let a = args(json!({"text": "Hello"}));
        let state = c.seal(tool, &a).unwrap();
        let mut altered = state.clone();
        altered.push('x');
        assert!(!is_proceed(&c.answer_of_retry(
            tool,
            &a,
            &altered,
            Some(&yes())
        )));
        assert!(!is_proceed(&c.answer_of_retry(
            tool,
            &a,
            "not-a-state",
            Some(&yes())
        )));
        let fresh = c.seal(tool, &a).unwrap();
        assert!(!is_proceed(&c.answer_of_retry(tool, &a, &fresh, None)));
        // A state sealed by another process (another key) is refused.
        let other = confirmer().seal(tool, &a).unwrap();
        assert!(!is_proceed(&c.answer_of_retry(
            tool,
            &a,
            &other,
            Some(&yes())
        )));
    }

    #[test]
    fn only_accept_with_confirm_true_is_a_yes() {
        let catalog = crate::vendors::load_catalog().unwrap();
        let tool = catalog.tool("leadpanther_create_post").unwrap();
        let answer = |v: Value| ElicitResult::deserialize(&v).unwrap();
        assert!(is_proceed(&decide(tool, &answer(yes()))));
        for no in [
            json!({"action": "accept", "content": {"confirm": false}}),
            json!({"action": "accept"}),
            json!({"action": "accept", "content": {"confirm": "true"}}),
            json!({"action": "decline"}),
            json!({"action": "cancel"}),
        ] {
            let g = decide(tool, &answer(no.clone()));
            assert!(
                matches!(&g, Gate::Stop(r) if r.message.contains("Nothing was sent")),
                "{no}"
            );
        }
    }

    #[test]
    fn client_mode_never_skips_a_human_for_impersonation() {
        for kind in [
            ConfirmKind::Send,
            ConfirmKind::Bulk,
            ConfirmKind::Impersonate,
        ] {
            assert!(needs_human(ConfirmMode::Elicit, kind));
        }
        assert!(!needs_human(ConfirmMode::Client, ConfirmKind::Send));
        assert!(!needs_human(ConfirmMode::Client, ConfirmKind::Bulk));
        assert!(needs_human(ConfirmMode::Client, ConfirmKind::Impersonate));
    }

    #[test]
    fn the_human_sees_the_exact_request_and_details() {
        let catalog = crate::vendors::load_catalog().unwrap();
        let tool = catalog.tool("leadpanther_create_post").unwrap();
        let base = url::Url::parse("https://app.leadpanther.ai/api/v1").unwrap();
        let route = crate::route::build(
            tool,
            &base,
            &crate::guard::check_arguments(tool, &args(json!({"text": "Line one\nLine two"})))
                .unwrap(),
        )
        .unwrap();
        let text = describe(
            tool,
            ConfirmKind::Send,
            "LeadPanther",
            &route,
            &["Recipient: someone".into()],
        );
        assert!(text.contains("POST /api/v1/posts"));
        assert!(text.contains("Line one\nLine two"));
        assert!(text.contains("Recipient: someone"));
    }
}
