//! An [`Outcome`] → the MCP tool result the client sees.
//!
//! Success: the vendor's body as `structuredContent`, with `request_id`, the
//! privacy and untrusted-content notices that apply (step 7) and a
//! pagination hint, plus the same as text. Failure: `isError` with status,
//! vendor code, message, request id and what to do next.

use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use serde_json::{Map, Value, json};

use crate::catalog::{ToolSpec, VendorSpec};
use crate::guard::{self, Refusal};
use crate::vendors::envelope::first;
use crate::vendors::{Failure, Outcome, Success};

pub fn shape(
    vendor: &VendorSpec,
    tool: &ToolSpec,
    args: &JsonObject,
    outcome: Outcome,
    max_bytes: usize,
) -> CallToolResult {
    match outcome {
        Outcome::Ok(success) => shape_success(vendor, tool, args, success, max_bytes),
        Outcome::Failed(failure) => shape_failure(vendor, &failure),
        Outcome::Refused(refusal) => refused(&tool.name, &refusal),
    }
}

/// A call refused before anything was sent.
pub fn refused(tool: &str, refusal: &Refusal) -> CallToolResult {
    let text = format!("{} Next: {}", refusal.message, refusal.next);
    let mut result = CallToolResult::structured_error(guard::refusal_body(tool, refusal));
    result.content = vec![ContentBlock::text(text)];
    result
}

fn shape_success(
    vendor: &VendorSpec,
    tool: &ToolSpec,
    args: &JsonObject,
    s: Success,
    max_bytes: usize,
) -> CallToolResult {
    let mut body = match s.body {
        Value::Object(map) => Value::Object(map),
        Value::Null => json!({}),
        Value::String(text) => json!({ "text": text }),
        other => json!({ "data": other }),
    };
    if tool.untrusted {
        guard::strip_hidden_text(&mut body);
    }
    let withheld = guard::withhold_secrets(&mut body, &tool.secret_fields);
    let items = vendor.envelope.items.as_deref().unwrap_or("/data");
    let trimmed = guard::cap_list(&mut body, items, max_bytes);
    let returned = body.pointer(items).and_then(Value::as_array).map(Vec::len);
    let next_offset = next_offset(vendor, tool, &body, args, returned, trimmed.is_some());

    let mut lines = Vec::new();
    let mut extra = Map::new();
    extra.insert("request_id".into(), Value::String(s.request_id.clone()));
    if let Some(note) = &s.note {
        lines.push(note.clone());
        extra.insert("note".into(), Value::String(note.clone()));
    }
    if let Some(notice) = guard::privacy_notice(tool) {
        lines.push(notice.clone());
        extra.insert("privacy_notice".into(), Value::String(notice));
    }
    if !withheld.is_empty() {
        let notice = format!(
            "Credentials withheld: {} (the server keeps tokens out of the conversation).",
            withheld.join(", ")
        );
        lines.push(notice.clone());
        extra.insert("withheld".into(), Value::String(notice));
    }
    if let Some(notice) = guard::untrusted_notice(tool, &vendor.title) {
        lines.push(notice.clone());
        extra.insert("untrusted_content".into(), Value::String(notice));
    }
    if let Some(t) = &trimmed {
        lines.push(format!(
            "Cut to {} items to stay under {max_bytes} bytes ({} more not shown).",
            t.returned, t.dropped
        ));
        extra.insert(
            "truncated".into(),
            json!({"returned": t.returned, "dropped": t.dropped}),
        );
    }
    if let Some(offset) = next_offset {
        lines.push(format!(
            "More results: call {} again with offset={offset}.",
            tool.name
        ));
        extra.insert("next_offset".into(), json!(offset));
    }
    let summary = match returned {
        Some(n) => format!(
            "{} {}: {n} items, request_id {}.",
            vendor.title, tool.title, s.request_id
        ),
        None => format!(
            "{} {}: done, request_id {}.",
            vendor.title, tool.title, s.request_id
        ),
    };
    lines.insert(0, summary);

    if let Value::Object(map) = &mut body {
        for (k, v) in extra {
            // The vendor's own fields win (e.g. its request_id).
            map.entry(k).or_insert(v);
        }
    }
    let json_text = serde_json::to_string(&body).unwrap_or_default();
    let mut result = CallToolResult::structured(body);
    result.content = vec![
        ContentBlock::text(lines.join("\n")),
        ContentBlock::text(json_text),
    ];
    result
}

/// The offset of the next page, when the vendor says there is one or the
/// list was cut short here.
fn next_offset(
    vendor: &VendorSpec,
    tool: &ToolSpec,
    body: &Value,
    args: &JsonObject,
    returned: Option<usize>,
    trimmed: bool,
) -> Option<u64> {
    // Only a tool that takes an offset can continue from one.
    tool.param("offset")?;
    let returned = returned? as u64;
    let offset = args.get("offset").and_then(Value::as_u64).unwrap_or(0);
    let pagination = vendor
        .envelope
        .pagination
        .as_deref()
        .and_then(|p| body.pointer(p));
    let has_more = pagination
        .and_then(|p| first(p, &["/has_more".into(), "/hasMore".into()]))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    (has_more || trimmed).then_some(offset + returned)
}

fn shape_failure(vendor: &VendorSpec, f: &Failure) -> CallToolResult {
    let status = f
        .status
        .map_or("unreachable".to_string(), |s| s.to_string());
    let code = f
        .code
        .as_deref()
        .map(|c| format!(" {c}"))
        .unwrap_or_default();
    let mut text = format!(
        "{} {status}{code} on {}: {} (request_id {}).",
        vendor.title, f.route, f.message, f.request_id
    );
    for (k, v) in &f.details {
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        text.push_str(&format!(" {k}: {v}."));
    }
    text.push_str(&format!(" Next: {}", f.hints.join(" ")));
    let body = json!({
        "error": {
            "vendor": f.vendor,
            "tool": f.tool,
            "status": f.status,
            "code": f.code,
            "message": f.message,
            "details": f.details,
            "request_id": f.request_id,
            "retry_after_seconds": f.retry_after,
            "next": f.hints.join(" "),
        }
    });
    let mut result = CallToolResult::structured_error(body);
    result.content = vec![ContentBlock::text(text)];
    result
}
