//! What every vendor's tests check the same way: refusals that send
//! nothing, confirmations without a yes, notices on results, logs free of
//! secrets, prompts and resources as a client reads them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use rmcp::model::{
    CallToolResult, GetPromptRequestParams, ReadResourceRequestParams, ResourceContents,
};
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::*;

/// The `error` of a result that must be a tool error.
pub fn error_of(r: &CallToolResult) -> Value {
    assert!(is_error(r), "expected an error, got {}", text(r));
    structured(r)["error"].clone()
}

/// The `error` of a result the vendor refused with `status` and `code`.
pub fn vendor_error(r: &CallToolResult, status: u16, code: &str) -> Value {
    let e = error_of(r);
    assert_eq!(e["status"], status, "{}", text(r));
    assert_eq!(e["code"], code, "{}", text(r));
    e
}

/// Refused here for its arguments, naming `mention`: nothing was sent.
pub fn assert_refused_unsent(r: &CallToolResult, mention: &str) {
    let e = error_of(r);
    let t = text(r);
    assert_eq!(e["code"], "invalid_arguments", "{t}");
    assert_eq!(e["sent"], false, "{t}");
    assert!(t.contains(mention), "{mention:?} not in {t}");
    assert!(t.contains("Nothing was sent"), "{t}");
}

/// How a call that needs the human's yes ends without one: refused, nothing
/// sent, and why. A client that cannot ask is offered
/// `LEADS_MCP_CONFIRM=client` exactly when `opt_out` applies to the tool.
pub fn assert_not_confirmed(human: Human, r: &CallToolResult, opt_out: bool) {
    let e = error_of(r);
    let t = text(r);
    assert_eq!(e["sent"], false, "{human:?}: {t}");
    assert!(t.contains("Nothing was sent"), "{human:?}: {t}");
    let (code, why) = match human {
        Human::CannotElicit => ("confirmation_unavailable", "cannot ask for one"),
        Human::Declines => ("not_confirmed", "the user declined"),
        Human::Unticks => ("not_confirmed", "the user did not confirm"),
        Human::Accepts => panic!("a human who accepts confirms"),
    };
    assert_eq!(e["code"], code, "{human:?}: {t}");
    assert!(t.contains(why), "{human:?}: {why:?} not in {t}");
    if human == Human::CannotElicit {
        assert_eq!(t.contains("LEADS_MCP_CONFIRM=client"), opt_out, "{t}");
    }
}

/// Runs `each` once per human in `humans`, in order, each with a fresh
/// stdio client of `era` that has that human behind it.
pub async fn for_each_human(
    args: &[&str],
    env: &[(String, String)],
    era: Era,
    humans: &[Human],
    each: impl AsyncFn(&Client, &TestClient, Human),
) {
    for &human in humans {
        let (client, handler) = stdio_as(args, env, human, era).await;
        each(&client, &handler, human).await;
        client.cancel().await.unwrap();
    }
}

/// The result's privacy notice names each of `what`.
pub fn assert_privacy(r: &Value, what: &[&str]) {
    let notice = r["privacy_notice"].as_str().unwrap_or_default();
    for w in what {
        assert!(notice.contains(w), "{w:?} not in the privacy notice: {r}");
    }
}

/// The result tells the model its content is data, not instructions.
pub fn assert_untrusted(r: &Value) {
    let note = r["untrusted_content"].as_str().unwrap_or_default();
    assert!(note.contains("no instructions"), "{r}");
}

/// The server over stdio for a handshake client with `human` behind it,
/// logging at trace level to the returned stderr.
pub async fn stdio_traced(
    args: &[&str],
    env: &[(String, String)],
    human: Human,
) -> (Client, Option<tokio::process::ChildStderr>) {
    let mut env = env.to_vec();
    env.push(("RUST_LOG".into(), "trace".into()));
    stdio_with(args, &env, TestClient::new(human), Era::Handshake, true).await
}

/// Everything the server wrote to stderr, once it has exited.
pub async fn read_log(stderr: Option<tokio::process::ChildStderr>) -> String {
    let mut log = String::new();
    stderr.unwrap().read_to_string(&mut log).await.unwrap();
    log
}

/// A trace-level log that shows none of `secrets`.
pub fn assert_traced_without(log: &str, secrets: &[&str]) {
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "trace logging was off"
    );
    for secret in secrets {
        assert!(!log.contains(secret), "{secret} leaked into stderr");
    }
}

/// The text of each message of prompt `name` with `arguments`, as the
/// client receives them.
pub async fn prompt_messages(client: &Client, name: &str, arguments: Value) -> Vec<String> {
    let mut params = GetPromptRequestParams::new(name);
    params.arguments = args(arguments);
    let prompt = client.get_prompt(params).await.unwrap();
    prompt
        .messages
        .iter()
        .map(|m| {
            let content = serde_json::to_value(&m.content).unwrap();
            content["text"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The text of resource `uri` and its MIME type.
pub async fn resource_text(client: &Client, uri: &str) -> (String, Option<String>) {
    let read = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap();
    match &read.contents[0] {
        ResourceContents::TextResourceContents {
            text, mime_type, ..
        } => (text.clone(), mime_type.clone()),
        other => panic!("{uri} is not text: {other:?}"),
    }
}

/// `n` calls at once, taking `tools` in turn, each without arguments.
pub async fn calls_at_once(client: &Client, tools: &[&str], n: usize) -> Vec<CallToolResult> {
    let calls = (0..n).map(|i| call(client, tools[i % tools.len()], serde_json::json!({})));
    futures::future::join_all(calls).await
}

/// Waits (at most 20 s) until `cond` holds.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting for {what}");
}
