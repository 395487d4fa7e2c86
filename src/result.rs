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
use crate::vendors::envelope::{first, surfaced};
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
    let items = vendor.envelope.items.as_deref().unwrap_or("/data");
    let trimmed = guard::cap_list(&mut body, items, max_bytes);
    let returned = body.pointer(items).and_then(Value::as_array).map(Vec::len);
    let next_offset = next_offset(vendor, &body, args, returned, trimmed.is_some());

    let mut lines = Vec::new();
    let mut extra = Map::new();
    extra.insert("request_id".into(), Value::String(s.request_id.clone()));
    // The envelope fields every result repeats (e.g. credits spent).
    let mut repeated = String::new();
    for (field, value) in surfaced(&vendor.envelope, &body) {
        let shown = match &value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        repeated.push_str(&format!(", {} {shown}", field.label));
        extra.insert(field.name.clone(), value);
    }
    if let Some(note) = &s.note {
        lines.push(note.clone());
        extra.insert("note".into(), Value::String(note.clone()));
    }
    if let Some(notice) = guard::privacy_notice(tool) {
        lines.push(notice.clone());
        extra.insert("privacy_notice".into(), Value::String(notice));
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
            "{} {}: {n} items, request_id {}{repeated}.",
            vendor.title, tool.title, s.request_id
        ),
        None => format!(
            "{} {}: done, request_id {}{repeated}.",
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
    body: &Value,
    args: &JsonObject,
    returned: Option<usize>,
    trimmed: bool,
) -> Option<u64> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn manifest() -> String {
        crate::catalog::test_manifest(
            r#"
[vendor.envelope]
request_id = ["/meta/request_id"]
items = "/results"
[[vendor.envelope.surface]]
name = "credits_used"
pointers = ["/meta/credits_used", "/credits_used"]
label = "credits used"
"#,
            r#"
[groups]
things = "Things"
[[tool]]
name = "acme_find_things"
title = "Find things"
group = "things"
description = "Find."
method = "POST"
path = "/find"
"#,
        )
    }

    fn shaped(body: Value) -> CallToolResult {
        let c = Catalog::from_sources([("acme", manifest().as_str())]).unwrap();
        let success = Success {
            status: 200,
            body,
            request_id: "req_1".into(),
            note: None,
        };
        shape(
            c.vendor("acme").unwrap(),
            c.tool("acme_find_things").unwrap(),
            &JsonObject::new(),
            Outcome::Ok(success),
            100_000,
        )
    }

    fn summary(r: &CallToolResult) -> String {
        r.content[0].as_text().unwrap().text.clone()
    }

    #[test]
    fn surfaced_fields_are_repeated_in_the_summary_and_at_the_top() {
        let r =
            shaped(json!({"results": [1, 2], "meta": {"request_id": "req_1", "credits_used": 3}}));
        assert_eq!(
            summary(&r),
            "Acme Find things: 2 items, request_id req_1, credits used 3."
        );
        let s = r.structured_content.unwrap();
        assert_eq!(s["credits_used"], 3);
        assert_eq!(s["meta"]["credits_used"], 3);
    }

    #[test]
    fn a_vendor_field_of_the_same_name_wins_and_absent_fields_say_nothing() {
        // The second pointer finds the top-level field; it is left as it is.
        let r = shaped(json!({"credits_used": 5}));
        assert_eq!(
            summary(&r),
            "Acme Find things: done, request_id req_1, credits used 5."
        );
        assert_eq!(r.structured_content.unwrap()["credits_used"], 5);
        let r = shaped(json!({"ok": true}));
        assert_eq!(summary(&r), "Acme Find things: done, request_id req_1.");
        assert!(r.structured_content.unwrap().get("credits_used").is_none());
    }
}
