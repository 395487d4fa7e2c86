//! LeadsRover's two sends (queuing a DM draft, replying in a conversation)
//! run only on a human's explicit yes, shown the exact text, the recipient
//! and the lead or thread: for a client that accepts, declines, unticks the
//! box or cannot elicit, in both protocol generations, over stdio and
//! Streamable HTTP. A 2026 confirmation can't be replayed or moved to other
//! arguments.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use leads_mcp_sandbox::leadsrover::FULL_KEY;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, InputResponses};
use serde_json::{Value, json};

const DM: &str = "Hi! Saw your post about follow-ups.\nAcme CRM reminds your team of every one.";
const SUBJECT: &str = "Your follow-up question";
const REPLY: &str = "The team plan is $49/mo for 5 seats.\nWant a trial link?";

async fn both_sends(client: &Client) -> (CallToolResult, CallToolResult) {
    let draft = call(
        client,
        "leadsrover_queue_draft",
        json!({"id": 1202, "content": DM, "dmSubject": SUBJECT}),
    )
    .await;
    let reply = call(
        client,
        "leadsrover_reply_conversation",
        json!({"id": 88, "message": REPLY}),
    )
    .await;
    (draft, reply)
}

fn assert_outcome(
    up: &Upstream,
    handler: &TestClient,
    human: Human,
    draft: &CallToolResult,
    reply: &CallToolResult,
) {
    let reqs = up.requests();
    let writes = crate::rover::writes(&reqs);
    let asked = handler.asked();
    match human {
        Human::Accepts => {
            assert!(!is_error(draft), "{}", text(draft));
            assert!(!is_error(reply), "{}", text(reply));
            assert_eq!(writes.len(), 2, "{:?}", lines(&reqs));
            assert_eq!(writes[0].path, "/api/v1/leads/1202/draft");
            assert_eq!(
                writes[0].body,
                Some(json!({"content": DM, "dmSubject": SUBJECT}))
            );
            assert_eq!(writes[1].path, "/api/v1/conversations/88/reply");
            assert_eq!(writes[1].body, Some(json!({"message": REPLY})));
            crate::rover::assert_headers(writes[0]);
            assert_eq!(asked.len(), 2);
            let (d, r) = (&asked[0], &asked[1]);
            for needle in [
                "LeadsRover: Queue DM to lead. This sends a message to a person.\nPOST /",
                "/api/v1/leads/1202/draft\n",
                "Recipient: u/example_user_2 on Reddit, as a direct message.",
                "Lead: #1202 \"How do you keep track of follow-ups?\" in r/startups (https://reddit.example.com/r/startups/comments/ex1202/)",
                &format!("content:\n{DM}\n"),
                &format!("dmSubject:\n{SUBJECT}\n"),
                "Confirm to send exactly this",
            ] {
                assert!(d.contains(needle), "missing {needle:?} in:\n{d}");
            }
            for needle in [
                "LeadsRover: Reply in conversation. This sends a message to a person.\nPOST /",
                "/api/v1/conversations/88/reply\n",
                "Recipient: u/example_user_6 on Reddit, in your DM thread.",
                "Thread: conversation #88 (Acme CRM), from lead #1206 \"What CRM did you switch to?\" in r/startups",
                "Last message (from u/example_user_6, 2026-11-13T09:30:00.000Z): \"How much is the team plan?\"",
                &format!("message:\n{REPLY}\n"),
            ] {
                assert!(r.contains(needle), "missing {needle:?} in:\n{r}");
            }
        }
        _ => {
            assert_not_confirmed(human, draft, true);
            assert_not_confirmed(human, reply, true);
            assert!(writes.is_empty(), "sent without a yes: {:?}", lines(&reqs));
            let expected = if human == Human::CannotElicit { 0 } else { 2 };
            assert_eq!(asked.len(), expected, "{asked:?}");
        }
    }
}

async fn over(transport: Transport, human: Human, era: Era) {
    let up = Upstream::start().await;
    let (client, handler, _server) = crate::rover::client_over(&up, transport, human, era).await;
    let (draft, reply) = both_sends(&client).await;
    assert_outcome(&up, &handler, human, &draft, &reply);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn handshake_stdio_accepts() {
    over(Transport::Stdio, Human::Accepts, Era::Handshake).await;
}

#[tokio::test]
async fn handshake_stdio_declines() {
    over(Transport::Stdio, Human::Declines, Era::Handshake).await;
}

#[tokio::test]
async fn handshake_stdio_unticks() {
    over(Transport::Stdio, Human::Unticks, Era::Handshake).await;
}

#[tokio::test]
async fn handshake_stdio_cannot_elicit() {
    over(Transport::Stdio, Human::CannotElicit, Era::Handshake).await;
}

#[tokio::test]
async fn modern_stdio_accepts() {
    over(Transport::Stdio, Human::Accepts, Era::Modern).await;
}

#[tokio::test]
async fn modern_stdio_declines() {
    over(Transport::Stdio, Human::Declines, Era::Modern).await;
}

#[tokio::test]
async fn modern_stdio_unticks() {
    over(Transport::Stdio, Human::Unticks, Era::Modern).await;
}

#[tokio::test]
async fn modern_stdio_cannot_elicit() {
    over(Transport::Stdio, Human::CannotElicit, Era::Modern).await;
}

#[tokio::test]
async fn handshake_http_accepts() {
    over(Transport::StreamableHttp, Human::Accepts, Era::Handshake).await;
}

#[tokio::test]
async fn handshake_http_declines() {
    over(Transport::StreamableHttp, Human::Declines, Era::Handshake).await;
}

#[tokio::test]
async fn modern_http_accepts() {
    over(Transport::StreamableHttp, Human::Accepts, Era::Modern).await;
}

#[tokio::test]
async fn modern_http_unticks() {
    over(Transport::StreamableHttp, Human::Unticks, Era::Modern).await;
}

#[tokio::test]
async fn modern_http_cannot_elicit() {
    over(Transport::StreamableHttp, Human::CannotElicit, Era::Modern).await;
}

#[tokio::test]
async fn the_operator_can_trust_the_clients_own_approval() {
    let up = Upstream::start().await;
    let (client, handler) = crate::rover::stdio_keyed(
        &up,
        FULL_KEY,
        &[("LEADS_MCP_CONFIRM", "client")],
        Human::CannotElicit,
        Era::Handshake,
    )
    .await;
    let (draft, reply) = both_sends(&client).await;
    assert!(!is_error(&draft) && !is_error(&reply), "{}", text(&draft));
    assert_eq!(crate::rover::writes(&up.requests()).len(), 2);
    assert!(handler.asked().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_model_cannot_confirm_by_itself() {
    let up = Upstream::start().await;
    let (client, _) = crate::rover::stdio_client(&up, Human::CannotElicit, Era::Handshake).await;
    let r = call(
        &client,
        "leadsrover_reply_conversation",
        json!({"id": 88, "message": REPLY, "confirm": true}),
    )
    .await;
    assert!(is_error(&r));
    assert!(up.requests().is_empty());
    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------
// 2026 rounds driven by hand
// ---------------------------------------------------------------------------

fn params(
    tool: &str,
    arguments: Value,
    state: Option<&str>,
    answer: Option<Value>,
) -> CallToolRequestParams {
    let mut p = CallToolRequestParams::new(tool.to_string());
    p.arguments = args(arguments);
    p.request_state = state.map(str::to_string);
    p.input_responses = answer.map(|a| InputResponses::from([("confirm".to_string(), a)]));
    p
}

fn yes() -> Value {
    json!({"action": "accept", "content": {"confirm": true}})
}

async fn once(client: &Client, p: CallToolRequestParams) -> CallToolResponse {
    client.call_tool_once(p).await.unwrap()
}

fn complete(r: CallToolResponse) -> CallToolResult {
    match r {
        CallToolResponse::Complete(result) => result,
        other => panic!("expected a complete result, got {other:?}"),
    }
}

#[tokio::test]
async fn a_2026_confirmation_cannot_be_replayed_or_reused() {
    let up = Upstream::start().await;
    let (client, handler) = crate::rover::stdio_client(&up, Human::Accepts, Era::Modern).await;
    let tool = "leadsrover_reply_conversation";
    let asked = json!({"id": 88, "message": REPLY});

    // Round one: the question, with a sealed state; nothing sent.
    let CallToolResponse::InputRequired(question) =
        once(&client, params(tool, asked.clone(), None, None)).await
    else {
        panic!("expected input_required");
    };
    let state = question.request_state.clone().unwrap();
    let request = serde_json::to_value(&question.input_requests.unwrap()["confirm"]).unwrap();
    let message = request["params"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains(REPLY) && message.contains("u/example_user_6"),
        "{request}"
    );
    assert!(crate::rover::writes(&up.requests()).is_empty());

    // The yes, moved to other arguments, another thread or the other send
    // tool: refused, nothing sent.
    for (other_tool, other_args) in [
        (
            tool,
            json!({"id": 88, "message": "Something the user never saw."}),
        ),
        (tool, json!({"id": 92, "message": REPLY})),
        (
            "leadsrover_queue_draft",
            json!({"id": 1202, "content": REPLY}),
        ),
    ] {
        let p = params(other_tool, other_args, Some(&state), Some(yes()));
        let r = complete(once(&client, p).await);
        assert!(is_error(&r));
        let t = text(&r);
        assert!(t.contains("does not match these arguments"), "{t}");
    }
    // An altered state.
    let mut altered = state.clone();
    altered.insert(4, 'x');
    let r = complete(
        once(
            &client,
            params(tool, asked.clone(), Some(&altered), Some(yes())),
        )
        .await,
    );
    assert!(is_error(&r));
    assert!(crate::rover::writes(&up.requests()).is_empty());

    // The yes for exactly what was shown: sent once.
    let r = complete(
        once(
            &client,
            params(tool, asked.clone(), Some(&state), Some(yes())),
        )
        .await,
    );
    assert!(!is_error(&r), "{}", text(&r));
    let reqs = up.requests();
    let writes = crate::rover::writes(&reqs);
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].body, Some(json!({"message": REPLY})));

    // Clear the queued reply so only the confirmation can stop a replay.
    let r = call(
        &client,
        "leadsrover_update_conversation",
        json!({"id": 88, "cancelQueuedReply": true}),
    )
    .await;
    assert!(!is_error(&r));
    up.requests();
    let r = complete(
        once(
            &client,
            params(tool, asked.clone(), Some(&state), Some(yes())),
        )
        .await,
    );
    assert!(is_error(&r));
    assert!(text(&r).contains("already used"), "{}", text(&r));
    assert!(
        crate::rover::writes(&up.requests()).is_empty(),
        "a replayed yes sent again"
    );
    assert!(
        handler.asked().is_empty(),
        "these rounds were driven by hand"
    );
    client.cancel().await.unwrap();
}
