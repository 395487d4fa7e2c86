//! End to end: a scripted agent (deterministic code in the agent's seat)
//! fetches the `leadsrover-triage-inbox` prompt and follows it over MCP
//! against the sandbox until the needs_reply queue is empty: it reads each
//! thread with its lead, drafts an answer the human confirms and replies,
//! archives a dead end, snoozes, or marks converted. The inbox keeps living
//! meanwhile (the extension sends queued replies, a lead answers), so the
//! agent runs again until nothing is left. Every reply it sent is checked
//! against what the sandbox received and what the human was shown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::common::*;
use leads_mcp_sandbox::leadsrover::{ANSWER_DELAY, SEND_DELAY};
use serde_json::{Value, json};

/// What the agent did to one thread.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Replied(String),
    Archived,
    Snoozed { days: i64 },
    Converted,
}

struct Agent<'a> {
    client: &'a Client,
    /// The tools the prompt names: the only ones the agent may call.
    allowed: BTreeSet<String>,
    snooze_days: i64,
    done: Vec<(u64, Action)>,
}

impl<'a> Agent<'a> {
    /// Reads the prompt the way an agent would: which tools it names, and its settings.
    async fn from_prompt(client: &'a Client, snooze_days: i64) -> Self {
        let arguments = json!({"snooze_days": snooze_days.to_string()});
        let messages = prompt_messages(client, "leadsrover-triage-inbox", arguments).await;
        let body = messages[0].clone();
        for step in [
            "filter=needs_reply",
            "leadsrover_get_conversation",
            "The user confirms it.",
            "archived=true",
            &format!("snoozedUntil set {snooze_days} days from now"),
            "converted=true",
            "sendable is false",
            "repeat until it\n   is empty",
        ] {
            assert!(body.contains(step), "the prompt lost {step:?}:\n{body}");
        }
        let allowed = body
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("leadsrover_"))
            .map(str::to_string)
            .collect();
        Self {
            client,
            allowed,
            snooze_days,
            done: Vec::new(),
        }
    }

    async fn call(&self, tool: &str, arguments: Value) -> Value {
        assert!(
            self.allowed.contains(tool),
            "the prompt does not name {tool}"
        );
        let r = call(self.client, tool, arguments.clone()).await;
        assert!(!is_error(&r), "{tool} {arguments}: {}", text(&r));
        structured(&r)
    }

    /// Step 1: the whole needs_reply queue, page by page.
    async fn queue(&self) -> Vec<Value> {
        let mut threads = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .call(
                    "leadsrover_list_conversations",
                    json!({"filter": "needs_reply", "limit": 2, "offset": offset}),
                )
                .await;
            threads.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_offset"].as_u64() {
                Some(next) => offset = next,
                None => return threads,
            }
        }
    }

    /// Steps 1-4 until the queue is empty.
    async fn triage(&mut self) {
        for _pass in 0..10 {
            let queue = self.queue().await;
            if queue.is_empty() {
                return;
            }
            for summary in queue {
                let id = summary["id"].as_u64().unwrap();
                // Step 2: the thread and the lead's post.
                let thread = self
                    .call("leadsrover_get_conversation", json!({"id": id}))
                    .await;
                let data = &thread["data"];
                let action = decide(data, self.snooze_days);
                self.act(id, &action).await;
                self.done.push((id, action));
            }
        }
        panic!("the needs_reply queue never emptied");
    }

    /// Step 3: exactly one action per thread.
    async fn act(&self, id: u64, action: &Action) {
        let update = |body: Value| {
            let mut args = body;
            args["id"] = json!(id);
            args
        };
        match action {
            Action::Replied(message) => {
                let r = self
                    .call(
                        "leadsrover_reply_conversation",
                        json!({"id": id, "message": message}),
                    )
                    .await;
                assert_eq!(r["data"]["queued"], true);
            }
            Action::Archived => {
                let r = self
                    .call(
                        "leadsrover_update_conversation",
                        update(json!({"archived": true})),
                    )
                    .await;
                assert_eq!(r["data"]["replyStateKey"], "archived");
            }
            Action::Snoozed { days } => {
                let until = (chrono::Utc::now() + chrono::Duration::days(*days))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let r = self
                    .call(
                        "leadsrover_update_conversation",
                        update(json!({"snoozedUntil": until})),
                    )
                    .await;
                assert_eq!(r["data"]["snoozedUntil"], until);
            }
            Action::Converted => {
                let r = self
                    .call(
                        "leadsrover_update_conversation",
                        update(json!({"converted": true})),
                    )
                    .await;
                assert!(r["data"]["convertedAt"].is_string());
            }
        }
    }
}

/// The agent's judgement, as the prompt's step 3 lists the cases.
fn decide(data: &Value, snooze_days: i64) -> Action {
    let conversation = &data["conversation"];
    let last = data["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(
        last["isFromUs"], false,
        "needs_reply ends with their message"
    );
    let said = last["body"].as_str().unwrap().to_lowercase();
    if said.contains("not interested") || said.contains("no thanks") {
        Action::Archived
    } else if said.contains("signed up") {
        Action::Converted
    } else if said.contains("next month") || said.contains("later") {
        Action::Snoozed { days: snooze_days }
    } else if conversation["sendable"] == false {
        Action::Snoozed { days: 1 }
    } else {
        let name = conversation["recipientUsername"].as_str().unwrap();
        let mut answer = format!("Hi {name}, thanks for asking!");
        if said.contains("team plan") || said.contains("how much") {
            answer.push_str(" The team plan is $49/mo for 5 seats.");
        } else if said.contains("email") {
            answer.push_str(" Yes: it logs every email from Gmail and Outlook to the lead.");
        } else {
            answer.push_str(" Happy to go through it on a short call.");
        }
        // Grounded in the post that started the thread.
        if let Some(title) = data["lead"]["title"].as_str() {
            answer.push_str(&format!(
                "\nYou asked \"{title}\" on Reddit: a trial would show you in a day."
            ));
        }
        Action::Replied(answer)
    }
}

/// Waits until the simulated extension has sent every queued reply, and
/// any scripted answer has had time to arrive.
async fn let_the_inbox_live(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = call(
            client,
            "leadsrover_list_conversations",
            json!({"filter": "all", "limit": 100}),
        )
        .await;
        let queued = structured(&r)["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| !c["queuedReply"].is_null());
        if !queued {
            break;
        }
        assert!(Instant::now() < deadline, "queued replies were never sent");
        tokio::time::sleep(SEND_DELAY / 3).await;
    }
    tokio::time::sleep(ANSWER_DELAY + Duration::from_millis(500)).await;
}

async fn run_triage(client: &Client, handler: &TestClient, up: &Upstream) {
    let mut agent = Agent::from_prompt(client, 7).await;
    assert!(
        [
            "leadsrover_list_conversations",
            "leadsrover_get_conversation",
            "leadsrover_reply_conversation",
            "leadsrover_update_conversation"
        ]
        .iter()
        .all(|t| agent.allowed.contains(*t)),
        "{:?}",
        agent.allowed
    );
    // Until a pass finds nothing to do, even after the inbox had time to move.
    for round in 0.. {
        assert!(round < 5, "the inbox never settled");
        let before = agent.done.len();
        agent.triage().await;
        let_the_inbox_live(client).await;
        if agent.done.len() == before && agent.queue().await.is_empty() {
            break;
        }
    }

    let done: BTreeMap<u64, Vec<Action>> =
        agent.done.iter().fold(BTreeMap::new(), |mut m, (id, a)| {
            m.entry(*id).or_default().push(a.clone());
            m
        });
    let kinds: BTreeMap<u64, Vec<&str>> = done
        .iter()
        .map(|(id, actions)| {
            let k = actions
                .iter()
                .map(|a| match a {
                    Action::Replied(_) => "reply",
                    Action::Archived => "archive",
                    Action::Snoozed { .. } => "snooze",
                    Action::Converted => "convert",
                })
                .collect();
            (*id, k)
        })
        .collect();
    // 88 asked the price (answered), then signed up; 89 said no; 90 asked for
    // next month; 91 signed up; 92 asked about email; 93's chat isn't ready.
    assert_eq!(
        kinds,
        BTreeMap::from([
            (88, vec!["reply", "convert"]),
            (89, vec!["archive"]),
            (90, vec!["snooze"]),
            (91, vec!["convert"]),
            (92, vec!["reply"]),
            (93, vec!["snooze"]),
        ])
    );
    assert_eq!(done[&90], [Action::Snoozed { days: 7 }]);
    assert_eq!(done[&93], [Action::Snoozed { days: 1 }]);

    // Every reply the agent sent is exactly what LeadsRover received, once,
    // in order, and what the human confirmed.
    let sent: Vec<(String, Value)> = agent
        .done
        .iter()
        .filter_map(|(id, a)| match a {
            Action::Replied(m) => Some((
                format!("/api/v1/conversations/{id}/reply"),
                json!({"message": m}),
            )),
            _ => None,
        })
        .collect();
    let reqs = up.requests();
    let received: Vec<(String, Value)> = reqs
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| (r.path.clone(), r.body.clone().unwrap()))
        .collect();
    assert_eq!(received, sent);
    for r in reqs.iter().filter(|r| r.method == "POST") {
        crate::rover::assert_headers(r);
    }
    let asked = handler.asked();
    assert_eq!(asked.len(), sent.len(), "one confirmation per reply");
    for ((path, body), shown) in sent.iter().zip(&asked) {
        let message = body["message"].as_str().unwrap();
        assert!(shown.contains(&format!("message:\n{message}\n")), "{shown}");
        assert!(shown.contains(path.as_str()), "{shown}");
        assert!(shown.contains("Recipient: u/example_user_"), "{shown}");
        assert!(shown.contains("Last message (from u/"), "{shown}");
    }
    let shown_for = |id: u64| {
        let path = format!("/api/v1/conversations/{id}/reply\n");
        asked.iter().find(|a| a.contains(&path)).unwrap().clone()
    };
    assert!(shown_for(88).contains("from lead #1206 \"What CRM did you switch to?\""));
    assert!(shown_for(92).contains("from lead #1212 \"CRM that works with our email?\""));
    let Action::Replied(to_88) = &done[&88][0] else {
        panic!("88 was not answered first")
    };
    assert!(to_88.contains("$49/mo") && to_88.contains("What CRM did you switch to?"));

    // The replies went out, and the threads ended where the agent put them.
    for (id, actions) in &done {
        let r = call(client, "leadsrover_get_conversation", json!({"id": id})).await;
        let data = structured(&r)["data"].clone();
        let ours: Vec<&str> = data["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["isFromUs"] == true && m["source"] == "api")
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        let replied: Vec<&str> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Replied(m) => Some(m.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(ours, replied, "conversation {id}");
        let state = data["conversation"]["replyStateKey"].as_str().unwrap();
        let expected = match actions.last().unwrap() {
            Action::Replied(_) => "waiting",
            Action::Archived => "archived",
            Action::Snoozed { .. } => "snoozed",
            Action::Converted => "converted",
        };
        assert_eq!(state, expected, "conversation {id}");
    }
    assert!(agent.queue().await.is_empty());
}

#[tokio::test]
async fn the_inbox_triage_over_stdio() {
    let up = Upstream::start().await;
    let (client, handler) = crate::rover::stdio_client(&up, Human::Accepts, Era::Handshake).await;
    run_triage(&client, &handler, &up).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_inbox_triage_over_streamable_http() {
    let up = Upstream::start().await;
    let (client, handler, _server) = crate::rover::client_over(
        &up,
        Transport::StreamableHttp,
        Human::Accepts,
        Era::Handshake,
    )
    .await;
    run_triage(&client, &handler, &up).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_inbox_triage_from_a_2026_client_over_streamable_http() {
    let up = Upstream::start().await;
    let (client, handler, _server) =
        crate::rover::client_over(&up, Transport::StreamableHttp, Human::Accepts, Era::Modern)
            .await;
    run_triage(&client, &handler, &up).await;
    client.cancel().await.unwrap();
}
