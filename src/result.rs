//! Result shaping: every MCP shape the server answers with, and the output
//! guards applied to every one of them (`output_guard`, then the secret
//! redaction of `redact`).
//!
//! - A tool's definition in `tools/list`.
//! - An [`Outcome`] → the tool result: on success the vendor's body as
//!   `structuredContent`, with `request_id`, the privacy and
//!   untrusted-content notices that apply and a pagination hint, plus the
//!   same as text; on failure `isError` with status, vendor code, message,
//!   request id and what to do next.
//! - An [`Outcome`] → a resource's contents, through the same guards.

use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, JsonObject, MetaObject, ReadResourceResponse,
    ReadResourceResult, ResourceContents, Tool, ToolAnnotations,
};
use serde_json::{Map, Value, json};

use crate::envelope::{self, surfaced};
use crate::output_guard;
use crate::redact;
use leads_mcp_catalog::vocab::{Failure, Outcome, Refusal, Success};
use leads_mcp_catalog::{ResourceManifest, ToolSpec, VendorSpec};

/// The MCP tool definition of `tool`, as `tools/list` serves it.
pub fn tool_definition(tool: &ToolSpec) -> Tool {
    let annotations = ToolAnnotations::new()
        .read_only(tool.read_only)
        .destructive(tool.destructive)
        .idempotent(tool.idempotent)
        .open_world(true);
    Tool::new(
        tool.name.clone(),
        tool.description.clone(),
        tool.input_schema.clone(),
    )
    .with_title(tool.title.clone())
    .with_annotations(annotations)
}

/// A tool call's outcome → its result.
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
    let mut result = CallToolResult::structured_error(refusal_body(tool, refusal));
    result.content = vec![ContentBlock::text(text)];
    result
}

/// The structured body of a refusal, as tool results carry it.
pub fn refusal_body(tool: &str, refusal: &Refusal) -> Value {
    json!({
        "error": {
            "tool": tool,
            "code": refusal.code,
            "message": refusal.message,
            "next": refusal.next,
            "request_id": Value::Null,
            "sent": false,
        }
    })
}

/// The last guard of every `tools/call` answer, results and errors alike:
/// no configured secret leaves the server.
pub fn sealed(
    mut response: Result<CallToolResponse, McpError>,
) -> Result<CallToolResponse, McpError> {
    redact::scrub_response(&mut response);
    response
}

/// A resource's contents: the answer of its tool, through the same output
/// guards as a tool result (hidden text stripped from third-party text,
/// credentials withheld, configured secrets redacted, the size cap). Its
/// notices go in the contents' `_meta`, so that the text stays the
/// vendor's document. A failed read is an MCP error with the same message
/// a tool result would carry.
pub fn resource(
    vendor: &VendorSpec,
    tool: &ToolSpec,
    resource: &ResourceManifest,
    outcome: Outcome,
    max_bytes: usize,
) -> Result<ReadResourceResponse, McpError> {
    let success = match outcome {
        Outcome::Ok(success) => success,
        other => {
            let shaped = shape(vendor, tool, &JsonObject::new(), other, max_bytes);
            let message = shaped
                .content
                .first()
                .and_then(|c| c.as_text())
                .map(|t| t.text.clone())
                .unwrap_or_else(|| "the vendor call failed".into());
            return Err(McpError::internal_error(
                redact::scrub(&message).into_owned(),
                None,
            ));
        }
    };
    let mut body = success.body;
    let withheld = output_guard::guard_body(tool, &mut body);
    let text = match body {
        Value::String(s) => s,
        other => serde_json::to_string_pretty(&other).unwrap_or_default(),
    };
    let text = output_guard::cap_text(redact::scrub(&text).into_owned(), max_bytes);
    let notices: Map<String, Value> = output_guard::notices(tool, &vendor.title, &withheld)
        .into_iter()
        .map(|(key, text)| (key.to_string(), Value::String(text)))
        .collect();
    let mut contents = ResourceContents::text(text, resource.uri.clone())
        .with_mime_type(resource.mime_type.clone());
    if !notices.is_empty() {
        contents = contents.with_meta(MetaObject(notices));
    }
    Ok(ReadResourceResult::new(vec![contents]).into())
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
    let withheld = output_guard::guard_body(tool, &mut body);
    let items = envelope::items_pointer(&vendor.envelope, &body).to_string();
    let budget = body_budget(max_bytes);
    let trimmed = output_guard::cap_list(&mut body, &items, budget);
    // Whatever a list cut could not bound (not a list, or one huge item).
    let cuts = output_guard::cap_value(&mut body, budget);
    let returned = body.pointer(&items).and_then(Value::as_array).map(Vec::len);
    let next = next_page(vendor, tool, &body, args, returned, trimmed.is_some());

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
    for (key, notice) in output_guard::notices(tool, &vendor.title, &withheld) {
        lines.push(notice.clone());
        extra.insert(key.into(), Value::String(notice));
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
    if !cuts.is_empty() {
        lines.push(format!(
            "Cut to stay under {max_bytes} bytes: {} kept. Ask for less (filters, a smaller limit) to see the rest.",
            cuts.join("; ")
        ));
        extra.insert("cut".into(), json!(cuts));
    }
    match next {
        Some(NextPage::Offset(offset)) => {
            lines.push(format!(
                "More results: call {} again with offset={offset}.",
                tool.name
            ));
            extra.insert("next_offset".into(), json!(offset));
        }
        Some(NextPage::Cursor { argument, value }) => {
            lines.push(format!(
                "More results: call {} again with the same arguments and {argument}={}.",
                tool.name,
                Value::String(value.clone())
            ));
            extra.insert("next_page".into(), json!({ argument: value }));
        }
        None => {}
    }
    if trimmed.is_some() && envelope::cursor_argument(&vendor.envelope, tool).is_some() {
        lines.push(
            "The items cut here are not on the next page: to see them, call again with a smaller limit."
                .into(),
        );
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

/// The bytes a result's body may take: the JSON text block and
/// `structuredContent` both carry it and both reach the client, so each
/// gets half the cap, less room for the summary and notices.
fn body_budget(max_bytes: usize) -> usize {
    (max_bytes / 2).saturating_sub(1_500).max(max_bytes / 4)
}

/// How to ask for the next page.
#[derive(Debug, PartialEq, Eq)]
enum NextPage {
    /// Limit/offset lists: skip what was returned.
    Offset(u64),
    /// Cursor lists: pass the vendor's cursor back in `argument`.
    Cursor { argument: String, value: String },
}

/// The next page, when the vendor says there is one. A cursor-paginated
/// tool (one with an envelope `cursor_arguments` argument) gets the
/// vendor's cursor; other lists get an offset, also when the list was cut
/// short here.
fn next_page(
    vendor: &VendorSpec,
    tool: &ToolSpec,
    body: &Value,
    args: &JsonObject,
    returned: Option<usize>,
    trimmed: bool,
) -> Option<NextPage> {
    if let Some(argument) = envelope::cursor_argument(&vendor.envelope, tool) {
        return envelope::next_cursor(&vendor.envelope, body).map(|value| NextPage::Cursor {
            argument: argument.to_string(),
            value: value.to_string(),
        });
    }
    // Only a tool that takes an offset can continue from one.
    tool.param("offset")?;
    let returned = returned? as u64;
    let offset = args.get("offset").and_then(Value::as_u64).unwrap_or(0);
    let has_more = envelope::has_more(&vendor.envelope, body);
    (has_more || trimmed).then_some(NextPage::Offset(offset + returned))
}

/// A vendor's error message longer than this is cut: errors are advice, not data.
const MAX_ERROR_MESSAGE_CHARS: usize = 2_000;
/// The bytes of an error's details, at most.
const MAX_ERROR_DETAILS_BYTES: usize = 4_000;

fn shape_failure(vendor: &VendorSpec, f: &Failure) -> CallToolResult {
    let mut f = f.clone();
    if f.message.chars().count() > MAX_ERROR_MESSAGE_CHARS {
        let total = f.message.chars().count();
        f.message = f.message.chars().take(MAX_ERROR_MESSAGE_CHARS).collect();
        f.message.push_str(&format!(
            " [cut: {MAX_ERROR_MESSAGE_CHARS} of {total} characters shown]"
        ));
    }
    let mut details = Value::Object(std::mem::take(&mut f.details));
    output_guard::cap_value(&mut details, MAX_ERROR_DETAILS_BYTES);
    if let Value::Object(map) = details {
        f.details = map;
    }
    let f = &f;
    let outcome: Vec<String> = f
        .status
        .map(|s| s.to_string())
        .into_iter()
        .chain(f.code.clone())
        .collect();
    let mut text = format!(
        "{} {} on {}: {} (request_id {}).",
        vendor.title,
        outcome.join(" "),
        f.route,
        f.message,
        f.request_id
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
    use leads_mcp_catalog::Catalog;

    fn surface_manifest() -> String {
        leads_mcp_catalog::test_manifest(
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

    fn shaped_surface(body: Value) -> CallToolResult {
        let c = Catalog::from_sources([("acme", surface_manifest().as_str())]).unwrap();
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
        let r = shaped_surface(
            json!({"results": [1, 2], "meta": {"request_id": "req_1", "credits_used": 3}}),
        );
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
        let r = shaped_surface(json!({"credits_used": 5}));
        assert_eq!(
            summary(&r),
            "Acme Find things: done, request_id req_1, credits used 5."
        );
        assert_eq!(r.structured_content.unwrap()["credits_used"], 5);
        let r = shaped_surface(json!({"ok": true}));
        assert_eq!(summary(&r), "Acme Find things: done, request_id req_1.");
        assert!(r.structured_content.unwrap().get("credits_used").is_none());
    }

    const CURSOR_VENDOR: &str = r#"
[vendor]
name = "acme"
title = "Acme"
doc = "x.txt"
base_url = "https://acme.example/api"
base_url_env = "ACME_BASE_URL"
instructions = "Acme."
[vendor.envelope]
items = ["/things", "/others"]
next_cursor = ["/nextToken", "/nextCursor"]
cursor_arguments = ["nextToken", "cursor"]
has_more = "/pagination/has_more"
[groups]
things = "Things"
[[tool]]
name = "acme_list_things"
title = "List things"
group = "things"
description = "List things."
method = "GET"
path = "/things"
[tool.params.limit]
in = "query"
type = "integer"
minimum = 1
maximum = 100
description = "Page size."
[tool.params.cursor]
in = "query"
type = "string"
description = "Cursor."
[[tool]]
name = "acme_list_others"
title = "List others"
group = "things"
description = "List others."
method = "GET"
path = "/others"
[tool.params.offset]
in = "query"
type = "integer"
minimum = 0
description = "Offset."
"#;

    fn shaped(tool: &str, args: Value, body: Value, max_bytes: usize) -> Value {
        let c = Catalog::from_sources([("acme", CURSOR_VENDOR)]).unwrap();
        let v = c.vendor("acme").unwrap();
        let t = c.tool(tool).unwrap();
        let success = Success {
            status: 200,
            body,
            request_id: "r1".into(),
            note: None,
        };
        let r = shape_success(v, t, args.as_object().unwrap(), success, max_bytes);
        let text = r.content[0].as_text().unwrap().text.clone();
        let mut s = r.structured_content.unwrap();
        s["__text"] = Value::String(text);
        s
    }

    #[test]
    fn cursor_lists_say_which_argument_takes_the_next_cursor() {
        let s = shaped(
            "acme_list_things",
            json!({"limit": 2}),
            json!({"things": [1, 2], "nextCursor": "c-2"}),
            100_000,
        );
        assert_eq!(s["next_page"], json!({"cursor": "c-2"}));
        assert!(s.get("next_offset").is_none());
        let text = s["__text"].as_str().unwrap();
        assert!(text.contains("2 items"), "{text}");
        assert!(
            text.contains("call acme_list_things again with the same arguments and cursor=\"c-2\""),
            "{text}"
        );
        // The last page: no cursor, no hint.
        for last in [
            json!({"things": [1]}),
            json!({"things": [1], "nextToken": null}),
        ] {
            let s = shaped("acme_list_things", json!({}), last, 100_000);
            assert!(s.get("next_page").is_none() && s.get("next_offset").is_none());
        }
    }

    #[test]
    fn a_cut_cursor_page_says_to_ask_for_less_not_for_an_offset() {
        let items: Vec<Value> = (0..50)
            .map(|i| json!({"id": i, "text": "x".repeat(80)}))
            .collect();
        let s = shaped(
            "acme_list_things",
            json!({"limit": 50}),
            json!({"things": items, "nextToken": "t-50"}),
            2_000,
        );
        assert!(s["truncated"]["dropped"].as_u64().unwrap() > 0);
        assert!(s.get("next_offset").is_none());
        assert_eq!(s["next_page"], json!({"cursor": "t-50"}));
        assert!(s["__text"].as_str().unwrap().contains("smaller limit"));
    }

    #[test]
    fn offset_lists_keep_their_offset_hint() {
        let s = shaped(
            "acme_list_others",
            json!({"offset": 10}),
            json!({"others": [1, 2, 3], "pagination": {"has_more": true}}),
            100_000,
        );
        assert_eq!(s["next_offset"], 13);
        assert!(s.get("next_page").is_none());
        assert!(s["__text"].as_str().unwrap().contains("offset=13"));
        let s = shaped(
            "acme_list_others",
            json!({}),
            json!({"others": [1], "pagination": {"has_more": false}}),
            100_000,
        );
        assert!(s.get("next_offset").is_none());
    }
}
