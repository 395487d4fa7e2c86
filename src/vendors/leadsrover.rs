//! LeadsRover: a Bearer key from `LEADSROVER_API_KEY`, and the reference's
//! rules that need a look at other routes before a write:
//!
//! - queuing a draft (a send): the lead must not be contacted and must have
//!   no draft yet ("one draft per lead"); the human is shown the recipient
//!   and the lead's post;
//! - replying (a send): the conversation must be sendable with no reply
//!   queued; the human is shown the recipient, the thread and its last message;
//! - marking a lead contacted: never while it has an approved draft.
//!
//! Everything else (routes, bounds, enums, "a dislike needs a reason",
//! snoozes in the future, rate limits, error hints) is in
//! `tools/leadsrover.toml` and the shared mechanism.

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::adapter::{CredentialMode, CredentialVar, Preflight, PreflightContext, VendorEntry};
use super::auth::BearerKey;
use crate::output_guard;
use leads_mcp_catalog::vocab::Outcome;
use leads_mcp_catalog::vocab::Refusal;

pub const ENTRY: VendorEntry = VendorEntry {
    name: "leadsrover",
    manifest: include_str!("../../tools/leadsrover.toml"),
    env_prefix: "LEADSROVER_",
    adapter: |env| Box::new(BearerKey::from_env("LeadsRover", KEY_ENV, env)),
    preflight: Some(preflight),
    credentials: &[CredentialVar {
        name: KEY_ENV,
        secret: true,
        description: "LeadsRover API key (lr_sk_...), created in LeadsRover under Settings > API. The read scope serves reads, the write scope everything else.",
    }],
    credential_modes: &[CredentialMode {
        label: "API key",
        vars: &[KEY_ENV],
    }],
};

pub const KEY_ENV: &str = "LEADSROVER_API_KEY";

/// Longest quote of third-party text in a confirmation line.
const MAX_QUOTE: usize = 400;

fn preflight<'a>(ctx: &'a PreflightContext<'a>) -> BoxFuture<'a, Result<Preflight, Refusal>> {
    Box::pin(async move {
        match ctx.tool.name.as_str() {
            "leadsrover_queue_draft" => draft_rules(ctx).await,
            "leadsrover_reply_conversation" => reply_rules(ctx).await,
            "leadsrover_update_lead" if ctx.args.get("status") == Some(&json!("contacted")) => {
                contacted_rules(ctx).await
            }
            _ => Ok(Preflight::default()),
        }
    })
}

/// The `data` of a read another rule depends on; any failure stops the call.
async fn read_data(
    ctx: &PreflightContext<'_>,
    tool: &str,
    args: Value,
    purpose: &str,
) -> Result<Value, Refusal> {
    match ctx.read(tool, args).await {
        Outcome::Ok(success) => {
            let mut data = success.body.get("data").cloned().unwrap_or(Value::Null);
            output_guard::strip_hidden_text(&mut data);
            Ok(data)
        }
        Outcome::Failed(f) => {
            let status = f.status.map_or("unreachable".into(), |s| s.to_string());
            let code = f.code.map(|c| format!(" {c}")).unwrap_or_default();
            Err(Refusal::new(
                "preflight_failed",
                format!(
                    "{}: could not check {purpose} first ({status}{code}: {}; request_id {}). Nothing was sent.",
                    ctx.tool.name, f.message, f.request_id
                ),
                f.hints.join(" "),
            ))
        }
        Outcome::Refused(refusal) => Err(refusal),
    }
}

fn id_of(ctx: &PreflightContext<'_>) -> Value {
    ctx.args.get("id").cloned().unwrap_or(Value::Null)
}

fn text<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Third-party text on one line, cut to a readable length.
fn quote(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX_QUOTE {
        let cut: String = one_line.chars().take(MAX_QUOTE).collect();
        format!("\"{cut}…\"")
    } else {
        format!("\"{one_line}\"")
    }
}

/// A lead as the confirmation names it: `#1234 "title" in r/sub (url)`.
fn describe_lead(id: &Value, lead: &Value) -> String {
    let mut s = format!("#{id}");
    if let Some(title) = text(lead, "/title") {
        s.push_str(&format!(" {}", quote(title)));
    }
    if let Some(sub) = text(lead, "/subreddit") {
        s.push_str(&format!(" in r/{sub}"));
    }
    if let Some(url) = text(lead, "/postUrl") {
        s.push_str(&format!(" ({url})"));
    }
    s
}

/// Queue a DM: one draft per lead, never to a contacted lead.
async fn draft_rules(ctx: &PreflightContext<'_>) -> Result<Preflight, Refusal> {
    let id = id_of(ctx);
    let lead = read_data(
        ctx,
        "leadsrover_get_lead",
        json!({"id": id}),
        "the lead's recipient and status",
    )
    .await?;
    if text(&lead, "/status") == Some("contacted") {
        let when = text(&lead, "/contactedAt")
            .map(|t| format!(" at {t}"))
            .unwrap_or_default();
        return Err(Refusal::new(
            "lead_already_contacted",
            format!(
                "{}: lead {id} was already contacted{when}. LeadsRover takes no draft for a contacted lead (409). Nothing was sent.",
                ctx.tool.name
            ),
            "Don't DM this lead again. If they answered, reply in the inbox (leadsrover_list_conversations).",
        ));
    }
    let drafts = read_data(
        ctx,
        "leadsrover_list_drafts",
        json!({"leadId": id, "limit": 100}),
        "whether the lead already has a draft",
    )
    .await?;
    if let Some(draft) = drafts.as_array().and_then(|d| d.first()) {
        let draft_id = draft.get("id").cloned().unwrap_or(Value::Null);
        let status = text(draft, "/status").unwrap_or("unknown");
        let next = match status {
            "approved" | "pending" => {
                "It is waiting for the browser extension to send it: track it with leadsrover_list_drafts (approved → posted or failed).".to_string()
            }
            "posted" => "It was sent: wait for the lead's answer in the inbox.".to_string(),
            "failed" => format!(
                "It failed ({}). A lead takes one draft: tell the user, who can act on it in the LeadsRover app.",
                text(draft, "/errorMessage").unwrap_or("no reason given")
            ),
            _ => "Tell the user; a lead takes one draft.".to_string(),
        };
        return Err(Refusal::new(
            "draft_exists",
            format!(
                "{}: one draft per lead, and lead {id} already has draft {draft_id} ({status}). LeadsRover would answer 409. Nothing was sent.",
                ctx.tool.name
            ),
            next,
        ));
    }
    let recipient = text(&lead, "/authorUsername").unwrap_or("(unknown)");
    Ok(Preflight {
        details: vec![
            format!("Recipient: u/{recipient} on Reddit, as a direct message."),
            format!("Lead: {}", describe_lead(&id, &lead)),
            "Your browser's LeadsRover extension sends it on its next poll; there is no later review.".into(),
        ],
    })
}

/// Reply in a conversation: it must be sendable, with no reply queued.
async fn reply_rules(ctx: &PreflightContext<'_>) -> Result<Preflight, Refusal> {
    let id = id_of(ctx);
    let thread = read_data(
        ctx,
        "leadsrover_get_conversation",
        json!({"id": id}),
        "the conversation's recipient and state",
    )
    .await?;
    let conversation = thread.get("conversation").cloned().unwrap_or(Value::Null);
    if conversation.get("sendable") == Some(&Value::Bool(false)) {
        return Err(Refusal::new(
            "conversation_not_sendable",
            format!(
                "{}: the chat room of conversation {id} is not ready (sendable: false). LeadsRover would answer 409. Nothing was sent.",
                ctx.tool.name
            ),
            "Try again later, or snooze the conversation with leadsrover_update_conversation.",
        ));
    }
    if let Some(queued) = conversation.get("queuedReply").filter(|q| !q.is_null()) {
        let what = text(queued, "/message")
            .map(|m| format!(": {}", quote(m)))
            .unwrap_or_default();
        return Err(Refusal::new(
            "reply_already_queued",
            format!(
                "{}: a reply is already queued for conversation {id}{what}. LeadsRover takes one queued reply at a time (409). Nothing was sent.",
                ctx.tool.name
            ),
            "Wait for it to go out, or cancel it with leadsrover_update_conversation (cancelQueuedReply: true) and reply again.",
        ));
    }
    let recipient = text(&conversation, "/recipientUsername").unwrap_or("(unknown)");
    let mut thread_line = format!("Thread: conversation #{id}");
    if let Some(product) = text(&conversation, "/productName") {
        thread_line.push_str(&format!(" ({product})"));
    }
    let lead = thread.get("lead").filter(|l| !l.is_null());
    if let Some(lead) = lead {
        let lead_id = lead.get("id").cloned().unwrap_or(Value::Null);
        thread_line.push_str(&format!(", from lead {}", describe_lead(&lead_id, lead)));
    }
    let mut details = vec![
        format!("Recipient: u/{recipient} on Reddit, in your DM thread."),
        thread_line,
    ];
    let last = thread
        .get("messages")
        .and_then(Value::as_array)
        .and_then(|m| m.last())
        .or_else(|| conversation.get("lastMessage").filter(|m| !m.is_null()));
    if let Some(message) = last {
        let who = if message.get("isFromUs") == Some(&Value::Bool(true)) {
            "you".to_string()
        } else {
            format!("u/{recipient}")
        };
        let when = text(message, "/sentAt")
            .map(|t| format!(", {t}"))
            .unwrap_or_default();
        details.push(format!(
            "Last message (from {who}{when}): {}",
            quote(text(message, "/body").unwrap_or(""))
        ));
    }
    details.push(
        "Your browser's LeadsRover extension sends it on its next poll (about 5 minutes); there is no later review.".into(),
    );
    Ok(Preflight { details })
}

/// Never mark a lead contacted while it has an approved draft.
async fn contacted_rules(ctx: &PreflightContext<'_>) -> Result<Preflight, Refusal> {
    let id = id_of(ctx);
    let drafts = read_data(
        ctx,
        "leadsrover_list_drafts",
        json!({"leadId": id, "status": "approved", "limit": 100}),
        "whether the lead has an approved draft",
    )
    .await?;
    if let Some(draft) = drafts.as_array().and_then(|d| d.first()) {
        let draft_id = draft.get("id").cloned().unwrap_or(Value::Null);
        return Err(Refusal::new(
            "approved_draft_pending",
            format!(
                "{}: lead {id} has an approved draft ({draft_id}) that the browser extension has not sent yet. The send marks the lead contacted by itself; marking it contacted now would reject the draft as stale. Nothing was sent.",
                ctx.tool.name
            ),
            "Leave the status alone and follow the draft with leadsrover_list_drafts (approved → posted or failed).",
        ));
    }
    Ok(Preflight::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_one_line_and_bounded() {
        assert_eq!(quote("a\n b\tc"), "\"a b c\"");
        let long = "x".repeat(1000);
        let q = quote(&long);
        assert!(q.chars().count() < 410 && q.ends_with("…\""), "{q}");
    }

    #[test]
    fn leads_are_named_with_their_post() {
        let lead = json!({"title": "Need a CRM", "subreddit": "smallbusiness", "postUrl": "https://reddit.example.com/r/x/1"});
        assert_eq!(
            describe_lead(&json!(1234), &lead),
            "#1234 \"Need a CRM\" in r/smallbusiness (https://reddit.example.com/r/x/1)"
        );
        assert_eq!(describe_lead(&json!(7), &Value::Null), "#7");
    }
}
