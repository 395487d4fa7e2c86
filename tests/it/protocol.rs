//! MCP features beside tools that generic clients and the conformance suites
//! rely on: logging (`logging/setLevel`, `_meta` logLevel) and the error a
//! client gets for an unknown resource.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// MCP logging is deprecated by SEP-2577; handshake clients still use it.
#![allow(deprecated)]

use std::time::Duration;

use crate::common::*;
use rmcp::ServiceError;
use rmcp::model::{
    CallToolRequestParams, LoggingLevel, LoggingMessageNotificationParam,
    ReadResourceRequestParams, RequestMetaObject, SetLevelRequestParams,
};
use serde_json::{Value, json};

/// Waits until the client has heard `n` log messages, and returns them all.
async fn logs_when(client: &TestClient, n: usize) -> Vec<LoggingMessageNotificationParam> {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let logs = client.logs.lock().unwrap().clone();
            if logs.len() >= n {
                return logs;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "expected {n} log messages, got {:?}",
            client.logs.lock().unwrap()
        )
    })
}

/// A call whose request `_meta` asks for log messages at `level` (2026-07-28).
async fn call_with_log_level(
    client: &Client,
    name: &str,
    arguments: Value,
    level: LoggingLevel,
) -> rmcp::model::CallToolResult {
    let mut params = CallToolRequestParams::new(name.to_string());
    params.arguments = args(arguments);
    let mut meta = RequestMetaObject::new();
    meta.set_log_level(level);
    params.meta = Some(meta);
    client.call_tool(params).await.unwrap()
}

#[tokio::test]
async fn set_level_chooses_which_calls_a_handshake_client_hears_about() {
    let human = TestClient::new(Human::CannotElicit);
    let client = stdio(&["--sandbox"], &[], human.clone(), Era::Handshake).await;
    // No level chosen yet, then one above both outcomes: nothing is sent.
    assert!(!is_error(
        &call(&client, "leadpanther_get_api_metadata", json!({})).await
    ));
    client
        .set_level(SetLevelRequestParams::new(LoggingLevel::Error))
        .await
        .unwrap();
    assert!(!is_error(
        &call(&client, "leadpanther_get_api_metadata", json!({})).await
    ));
    assert!(is_error(
        &call(&client, "leadpanther_get_api_metadata", json!({"nope": 1})).await
    ));
    // At info, a success is heard; the earlier calls were not.
    client
        .set_level(SetLevelRequestParams::new(LoggingLevel::Info))
        .await
        .unwrap();
    let r = call(&client, "leadpanther_get_me", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
    let logs = logs_when(&human, 1).await;
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0].level, LoggingLevel::Info);
    assert_eq!(logs[0].logger.as_deref(), Some("leads-mcp"));
    assert_eq!(logs[0].data["tool"], "leadpanther_get_me");
    assert_eq!(logs[0].data["outcome"], "ok");
    let first_line = text(&r).lines().next().unwrap().to_string();
    assert_eq!(logs[0].data["message"], first_line.as_str());
    // A refused call is a warning.
    let r = call(&client, "leadpanther_get_me", json!({"nope": 1})).await;
    assert!(is_error(&r));
    let logs = logs_when(&human, 2).await;
    assert_eq!(logs[1].level, LoggingLevel::Warning);
    assert_eq!(logs[1].data["outcome"], "error");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_modern_request_hears_only_what_its_meta_asks_for() {
    let server = http_server(&["--sandbox"], &[]).await;
    for transport in ["stdio", "http"] {
        let human = TestClient::new(Human::CannotElicit);
        let client = match transport {
            "stdio" => stdio(&["--sandbox"], &[], human.clone(), Era::Modern).await,
            _ => http_client(&server, human.clone(), Era::Modern).await,
        };
        // No logLevel in _meta: no message.
        assert!(!is_error(
            &call(&client, "leadpanther_get_api_metadata", json!({})).await
        ));
        // Above the outcome's level: no message.
        let r = call_with_log_level(
            &client,
            "leadpanther_get_api_metadata",
            json!({}),
            LoggingLevel::Warning,
        )
        .await;
        assert!(!is_error(&r), "{}", text(&r));
        let r = call_with_log_level(
            &client,
            "leadpanther_get_me",
            json!({}),
            LoggingLevel::Debug,
        )
        .await;
        assert!(!is_error(&r), "{transport}: {}", text(&r));
        let logs = logs_when(&human, 1).await;
        assert_eq!(logs.len(), 1, "{transport}: {logs:?}");
        assert_eq!(logs[0].level, LoggingLevel::Info);
        assert_eq!(logs[0].data["tool"], "leadpanther_get_me");
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn an_unknown_resource_names_its_uri() {
    for era in [Era::Handshake, Era::Modern] {
        let client = stdio(
            &["--sandbox"],
            &[],
            TestClient::new(Human::CannotElicit),
            era,
        )
        .await;
        let uri = "leadpanther://no-such-resource";
        let err = client
            .read_resource(ReadResourceRequestParams::new(uri))
            .await
            .unwrap_err();
        let ServiceError::McpError(err) = err else {
            panic!("{era:?}: expected an MCP error, got {err:?}");
        };
        assert_eq!(err.data, Some(json!({"uri": uri})), "{era:?}");
        assert!(err.message.contains(uri), "{era:?}: {}", err.message);
        client.cancel().await.unwrap();
    }
}
