//! MCP logging (`logging/setLevel`, `notifications/message`): which calls a
//! client hears about.
//!
//! A client picks a level: a handshake session with `logging/setLevel`, a
//! 2026-07-28 request with `_meta` `io.modelcontextprotocol/logLevel`. It then
//! hears one message per finished tool call at or above that level: `info`
//! when the call succeeded, `warning` when it ended in a tool error. A client
//! that picked no level hears nothing. The message is the result's first
//! line (vendor, tool, outcome, request id), which the client has anyway.
// SEP-2577 deprecates logging for 2026-07-28; handshake clients still use it.
#![allow(deprecated)]

use std::sync::{Arc, Mutex};

use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolResponse, LoggingLevel, LoggingMessageNotificationParam, SetLevelRequestParams,
};
use rmcp::service::{Peer, RequestContext, RoleServer};
use serde_json::json;

/// The logger name on every message.
pub const LOGGER: &str = "leads-mcp";

/// The level a handshake session chose with `logging/setLevel`.
#[derive(Clone, Default)]
pub struct SessionLevel(Arc<Mutex<Option<LoggingLevel>>>);

impl SessionLevel {
    /// `logging/setLevel`.
    pub fn set_from(&self, request: SetLevelRequestParams) {
        self.set(request.level);
    }

    pub fn set(&self, level: LoggingLevel) {
        if let Ok(mut chosen) = self.0.lock() {
            *chosen = Some(level);
        }
    }

    pub fn get(&self) -> Option<LoggingLevel> {
        self.0.lock().ok().and_then(|chosen| *chosen)
    }
}

/// The level that applies to one request: its own `_meta` level, else the session's.
pub fn threshold(
    request: Option<LoggingLevel>,
    session: Option<LoggingLevel>,
) -> Option<LoggingLevel> {
    request.or(session)
}

/// `level` is at or above `threshold` (debug < info < … < emergency).
fn reaches(level: LoggingLevel, threshold: LoggingLevel) -> bool {
    level as u8 >= threshold as u8
}

/// Who hears about one call, and from which level: taken before the call runs.
pub struct CallListener {
    peer: Peer<RoleServer>,
    threshold: Option<LoggingLevel>,
}

impl CallListener {
    pub fn of(ctx: &RequestContext<RoleServer>, session: &SessionLevel) -> Self {
        Self {
            peer: ctx.peer.clone(),
            threshold: threshold(ctx.meta.log_level(), session.get()),
        }
    }

    /// Tells the client about the finished call when its level asks for it.
    pub async fn after_call(&self, tool: &str, response: &Result<CallToolResponse, McpError>) {
        let Ok(answer) = response else {
            return;
        };
        if let Some(message) = call_message(tool, answer, self.threshold) {
            // A client that went away can't hear it; the call's answer is what matters.
            let _ = self.peer.notify_logging_message(message).await;
        }
    }
}

/// What to tell the client about a finished call, if anything. Calls that
/// wait for the human (input required) or run as tasks are not finished.
pub fn call_message(
    tool: &str,
    response: &CallToolResponse,
    threshold: Option<LoggingLevel>,
) -> Option<LoggingMessageNotificationParam> {
    let threshold = threshold?;
    let CallToolResponse::Complete(result) = response else {
        return None;
    };
    let failed = result.is_error == Some(true);
    let level = if failed {
        LoggingLevel::Warning
    } else {
        LoggingLevel::Info
    };
    if !reaches(level, threshold) {
        return None;
    }
    let first_line = result
        .content
        .first()
        .and_then(|c| c.as_text())
        .and_then(|t| t.text.lines().next())
        .unwrap_or("");
    let data = json!({
        "tool": tool,
        "outcome": if failed { "error" } else { "ok" },
        "message": first_line,
    });
    Some(LoggingMessageNotificationParam::new(level, data).with_logger(LOGGER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::{CallToolResult, ContentBlock};

    fn ok() -> CallToolResponse {
        CallToolResult::success(vec![ContentBlock::text(
            "LeadPanther Current API subject: done, request_id r1.\nmore",
        )])
        .into()
    }

    fn failed() -> CallToolResponse {
        CallToolResult::error(vec![ContentBlock::text("LeadPanther 404 on GET /x: gone.")]).into()
    }

    #[test]
    fn nothing_without_a_level() {
        assert!(call_message("t", &ok(), None).is_none());
        assert!(call_message("t", &failed(), None).is_none());
    }

    #[test]
    fn success_is_info_and_failure_is_warning() {
        let m = call_message("t", &ok(), Some(LoggingLevel::Debug)).unwrap();
        assert_eq!(m.level, LoggingLevel::Info);
        assert_eq!(m.logger.as_deref(), Some(LOGGER));
        assert_eq!(
            m.data,
            json!({"tool": "t", "outcome": "ok", "message": "LeadPanther Current API subject: done, request_id r1."})
        );
        let m = call_message("t", &failed(), Some(LoggingLevel::Info)).unwrap();
        assert_eq!(m.level, LoggingLevel::Warning);
        assert_eq!(m.data["outcome"], "error");
    }

    #[test]
    fn the_threshold_filters() {
        assert!(call_message("t", &ok(), Some(LoggingLevel::Info)).is_some());
        assert!(call_message("t", &ok(), Some(LoggingLevel::Warning)).is_none());
        assert!(call_message("t", &failed(), Some(LoggingLevel::Warning)).is_some());
        assert!(call_message("t", &failed(), Some(LoggingLevel::Error)).is_none());
    }

    #[test]
    fn the_request_level_wins_over_the_session_level() {
        assert_eq!(
            threshold(Some(LoggingLevel::Error), Some(LoggingLevel::Debug)),
            Some(LoggingLevel::Error)
        );
        assert_eq!(
            threshold(None, Some(LoggingLevel::Debug)),
            Some(LoggingLevel::Debug)
        );
        assert_eq!(threshold(None, None), None);
        let session = SessionLevel::default();
        assert_eq!(session.get(), None);
        session.set(LoggingLevel::Notice);
        assert_eq!(session.get(), Some(LoggingLevel::Notice));
    }
}
