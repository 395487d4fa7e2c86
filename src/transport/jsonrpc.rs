//! One incoming JSON-RPC message, checked before rmcp sees it: the error
//! each fault calls for (JSON-RPC 2.0 §5.1), on stdio and HTTP alike, and
//! the request ids still in flight on one connection or session.
// Legacy methods (logging, resources/subscribe) are still served to handshake clients.
#![allow(deprecated)]

use std::collections::HashSet;
use std::sync::Mutex;

use rmcp::model::{
    CallToolRequest, ClientJsonRpcMessage, ClientRequest, CompleteRequest, ConstString,
    DiscoverRequest, DiscoverRequestMethod, ErrorCode, ErrorData, GetPromptRequest,
    InitializeRequest, ListPromptsRequest, ListResourceTemplatesRequest, ListResourcesRequest,
    ListToolsRequest, PingRequest, ReadResourceRequest, RequestId, ServerJsonRpcMessage,
    SetLevelRequest, SubscribeRequest, UnsubscribeRequest,
};
use serde_json::Value;

/// A message that must be answered with an error instead of being served.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// The request's id when one could be read; `null` otherwise.
    pub id: Option<RequestId>,
    pub code: ErrorCode,
    pub message: String,
}

impl Fault {
    fn parse(message: impl Into<String>) -> Self {
        Self {
            id: None,
            code: ErrorCode::PARSE_ERROR,
            message: message.into(),
        }
    }

    fn invalid_request(id: Option<RequestId>, message: impl Into<String>) -> Self {
        Self {
            id,
            code: ErrorCode::INVALID_REQUEST,
            message: message.into(),
        }
    }

    /// A parse error or an invalid request, which HTTP answers with 400.
    pub fn is_bad_request(&self) -> bool {
        self.code == ErrorCode::PARSE_ERROR || self.code == ErrorCode::INVALID_REQUEST
    }

    pub fn to_message(&self) -> ServerJsonRpcMessage {
        ServerJsonRpcMessage::error(
            ErrorData::new(self.code, self.message.clone(), None),
            self.id.clone(),
        )
    }

    /// The JSON-RPC error object as bytes (for an HTTP body or a stdio line).
    pub fn to_json(&self) -> Vec<u8> {
        // `ServerJsonRpcMessage::error` leaves out a missing id; JSON-RPC
        // wants `"id": null` when the id could not be read.
        let mut value = serde_json::to_value(self.to_message()).unwrap_or(Value::Null);
        if let Some(object) = value.as_object_mut() {
            object.entry("id").or_insert(Value::Null);
        }
        serde_json::to_vec(&value).unwrap_or_default()
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses one message. `Ok(None)`: a notification outside MCP, which is
/// ignored (as rmcp does) rather than answered.
pub fn classify(bytes: &[u8]) -> Result<Option<ClientJsonRpcMessage>, Fault> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(Fault::parse("Parse error: the message is not valid UTF-8"));
    }
    // serde_json refuses nesting deeper than 128 levels.
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| Fault::parse(format!("Parse error: not valid JSON ({e})")))?;
    let object = match value {
        Value::Object(object) => object,
        Value::Array(_) => {
            return Err(Fault::invalid_request(
                None,
                "Invalid Request: batches are not supported; send one JSON-RPC message at a time",
            ));
        }
        _ => {
            return Err(Fault::invalid_request(
                None,
                "Invalid Request: a JSON-RPC message is a JSON object",
            ));
        }
    };
    let id = match object.get("id") {
        None => None,
        Some(Value::Null) => {
            return Err(Fault::invalid_request(
                None,
                "Invalid Request: `id` must be a string or a number, not null",
            ));
        }
        Some(raw) => match serde_json::from_value::<RequestId>(raw.clone()) {
            Ok(id) => Some(id),
            Err(_) => {
                return Err(Fault::invalid_request(
                    None,
                    "Invalid Request: `id` must be a string or an integer",
                ));
            }
        },
    };
    let method = object
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_string);
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(Fault::invalid_request(
            id,
            "Invalid Request: `jsonrpc` must be \"2.0\"",
        ));
    }
    let value = Value::Object(object);
    let message: ClientJsonRpcMessage = match serde_json::from_value(value.clone()) {
        Ok(message) => message,
        Err(e) => {
            if id.is_none() && method.is_some() {
                // A notification is never answered: one that does not fit is dropped.
                tracing::debug!("ignoring a notification that does not fit: {e}");
                return Ok(None);
            }
            return Err(Fault::invalid_request(
                id,
                format!("Invalid Request: not a JSON-RPC request, notification or response ({e})"),
            ));
        }
    };
    if let ClientJsonRpcMessage::Request(request) = &message
        && let ClientRequest::CustomRequest(custom) = &request.request
        && !removed_for_its_generation(&custom.method, &value)
        && let Some(reason) = params_error(&custom.method, &value)
    {
        return Err(Fault {
            id,
            code: ErrorCode::INVALID_PARAMS,
            message: format!("Invalid params for {}: {reason}", custom.method),
        });
    }
    Ok(Some(message))
}

/// Methods the 2026-07-28 generation removed. A request of that generation
/// (its `_meta` names the protocol version) calling one is rmcp's to answer
/// "method not found" (404 over HTTP), not an invalid-params error.
const REMOVED_IN_2026_07_28: &[&str] = &[
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
];

fn removed_for_its_generation(method: &str, message: &Value) -> bool {
    REMOVED_IN_2026_07_28.contains(&method)
        && message
            .pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion")
            .is_some()
}

/// rmcp reads a standard method whose params do not fit as a custom
/// request, which would be answered "method not found". Says why the
/// params do not fit, for a standard method.
fn params_error(method: &str, message: &Value) -> Option<String> {
    let request = serde_json::json!({
        "method": method,
        "params": message.get("params").cloned().unwrap_or(Value::Null),
    });
    fn check<T: serde::de::DeserializeOwned>(request: Value) -> Option<String> {
        serde_json::from_value::<T>(request)
            .err()
            .map(|e| e.to_string())
    }
    match method {
        m if m == <rmcp::model::CallToolRequestMethod as ConstString>::VALUE => {
            check::<CallToolRequest>(request)
        }
        m if m == <rmcp::model::ListToolsRequestMethod as ConstString>::VALUE => {
            check::<ListToolsRequest>(request)
        }
        m if m == <rmcp::model::InitializeResultMethod as ConstString>::VALUE => {
            check::<InitializeRequest>(request)
        }
        m if m == <rmcp::model::PingRequestMethod as ConstString>::VALUE => {
            check::<PingRequest>(request)
        }
        m if m == <rmcp::model::GetPromptRequestMethod as ConstString>::VALUE => {
            check::<GetPromptRequest>(request)
        }
        m if m == <rmcp::model::ListPromptsRequestMethod as ConstString>::VALUE => {
            check::<ListPromptsRequest>(request)
        }
        m if m == <rmcp::model::ListResourcesRequestMethod as ConstString>::VALUE => {
            check::<ListResourcesRequest>(request)
        }
        m if m == <rmcp::model::ListResourceTemplatesRequestMethod as ConstString>::VALUE => {
            check::<ListResourceTemplatesRequest>(request)
        }
        m if m == <rmcp::model::ReadResourceRequestMethod as ConstString>::VALUE => {
            check::<ReadResourceRequest>(request)
        }
        m if m == <rmcp::model::SubscribeRequestMethod as ConstString>::VALUE => {
            check::<SubscribeRequest>(request)
        }
        m if m == <rmcp::model::UnsubscribeRequestMethod as ConstString>::VALUE => {
            check::<UnsubscribeRequest>(request)
        }
        m if m == <rmcp::model::SetLevelRequestMethod as ConstString>::VALUE => {
            check::<SetLevelRequest>(request)
        }
        m if m == <rmcp::model::CompleteRequestMethod as ConstString>::VALUE => {
            check::<CompleteRequest>(request)
        }
        m if m == <DiscoverRequestMethod as ConstString>::VALUE => {
            check::<DiscoverRequest>(request)
        }
        _ => None,
    }
}

/// The request ids of one connection or session that await their answer.
#[derive(Debug, Default)]
pub struct InFlight {
    ids: Mutex<HashSet<RequestId>>,
}

impl InFlight {
    /// Records `id`; false when it is already in flight.
    pub fn begin(&self, id: &RequestId) -> bool {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        ids.insert(id.clone())
    }

    pub fn end(&self, id: &RequestId) {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        ids.remove(id);
    }

    pub fn len(&self) -> usize {
        self.ids.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What a duplicate is answered with, at once.
    pub fn duplicate(id: &RequestId) -> ServerJsonRpcMessage {
        ServerJsonRpcMessage::error(
            ErrorData::invalid_request(
                format!(
                    "Invalid Request: request id {id} is already in use by a request still in flight; send each request with a new id"
                ),
                None,
            ),
            Some(id.clone()),
        )
    }

    /// Ends the request an outgoing response or error answers.
    pub fn on_outgoing(&self, message: &ServerJsonRpcMessage) {
        if let Some(id) = answered_id(message) {
            self.end(id);
        }
    }

    /// A cancelled request gets no answer from rmcp: it ends here.
    pub fn on_incoming_notification(&self, message: &ClientJsonRpcMessage) {
        if let ClientJsonRpcMessage::Notification(n) = message
            && let rmcp::model::ClientNotification::CancelledNotification(c) = &n.notification
            && let Some(id) = &c.params.request_id
        {
            self.end(id);
        }
    }
}

/// The request id a response or error answers.
pub fn answered_id(message: &ServerJsonRpcMessage) -> Option<&RequestId> {
    match message {
        ServerJsonRpcMessage::Response(r) => Some(&r.id),
        ServerJsonRpcMessage::Error(e) => e.id.as_ref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(bytes: &[u8]) -> Fault {
        classify(bytes).unwrap_err()
    }

    #[test]
    fn parse_errors_are_32700_with_a_null_id() {
        for bad in [
            &b"{not json"[..],
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"",
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xffng\"}",
        ] {
            let f = fault(bad);
            assert_eq!(f.code, ErrorCode::PARSE_ERROR);
            assert_eq!(f.id, None);
            let json: Value = serde_json::from_slice(&f.to_json()).unwrap();
            assert_eq!(json["id"], Value::Null);
            assert_eq!(json["error"]["code"], -32700);
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(fault(deep.as_bytes()).code, ErrorCode::PARSE_ERROR);
    }

    #[test]
    fn batches_null_ids_and_non_objects_are_invalid_requests() {
        for bad in [
            &br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#[..],
            br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            br#"42"#,
            br#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#,
        ] {
            let f = fault(bad);
            assert_eq!(f.code, ErrorCode::INVALID_REQUEST, "{f:?}");
            assert_eq!(f.id, None);
        }
        let f = fault(br#"{"jsonrpc":"1.0","id":7,"method":"ping"}"#);
        assert_eq!(
            (f.code, f.id),
            (ErrorCode::INVALID_REQUEST, Some(RequestId::Number(7)))
        );
    }

    #[test]
    fn wrongly_typed_tool_call_params_are_32602() {
        for bad in [
            &br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":5}}"#[..],
            br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"x","arguments":"no"}}"#,
            br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"arguments":{}}}"#,
        ] {
            let f = fault(bad);
            assert_eq!(f.code, ErrorCode::INVALID_PARAMS, "{f:?}");
            assert_eq!(f.id, Some(RequestId::Number(3)));
            assert!(f.message.contains("tools/call"), "{}", f.message);
        }
    }

    #[test]
    fn methods_removed_in_2026_are_left_to_rmcp_for_that_generation() {
        let modern = br#"{"jsonrpc":"2.0","id":5,"method":"initialize","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
        assert!(classify(modern).is_ok());
        // The same params from a handshake client are invalid params.
        let handshake =
            br#"{"jsonrpc":"2.0","id":5,"method":"initialize","params":{"protocolVersion":7}}"#;
        assert_eq!(fault(handshake).code, ErrorCode::INVALID_PARAMS);
    }

    #[test]
    fn good_messages_and_unknown_methods_pass() {
        let ok = classify(
            br#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","arguments":{}}}"#,
        )
        .unwrap();
        assert!(matches!(ok, Some(ClientJsonRpcMessage::Request(_))));
        // An unknown method is rmcp's to answer (-32601).
        let custom = classify(br#"{"jsonrpc":"2.0","id":1,"method":"no/such"}"#).unwrap();
        assert!(matches!(custom, Some(ClientJsonRpcMessage::Request(_))));
        // A BOM is allowed.
        assert!(
            classify(b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").is_ok()
        );
        let n = classify(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert!(matches!(n, Some(ClientJsonRpcMessage::Notification(_))));
    }

    #[test]
    fn in_flight_ids_are_refused_until_answered_or_cancelled() {
        let f = InFlight::default();
        let id = RequestId::Number(1);
        assert!(f.begin(&id));
        assert!(!f.begin(&id));
        f.on_outgoing(&InFlight::duplicate(&RequestId::Number(2)));
        assert!(!f.begin(&id));
        f.on_outgoing(&ServerJsonRpcMessage::error(
            ErrorData::internal_error("x", None),
            Some(id.clone()),
        ));
        assert!(f.begin(&id));
        let cancel = classify(
            br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#,
        )
        .unwrap()
        .unwrap();
        f.on_incoming_notification(&cancel);
        assert!(f.is_empty());
    }
}
