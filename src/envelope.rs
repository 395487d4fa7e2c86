//! Reading a vendor's answers, all in one place: an HTTP answer →
//! [`Outcome`] through the manifest's envelope pointers and error rules,
//! and where a success keeps its list, its next cursor, its "more pages"
//! flag and the fields every result repeats.

use serde_json::{Map, Value};

use crate::route::Route;
use crate::upstream::{Incoming, REQUEST_ID_HEADER, UpstreamError};
use leads_mcp_catalog::vocab::{Failure, Method, Outcome, Success};
use leads_mcp_catalog::{Envelope, SurfaceField, ToolSpec, VendorSpec};

/// No answer to read: the request failed, timed out, or was cut off.
pub fn unreachable(
    vendor: &VendorSpec,
    tool: &ToolSpec,
    route: &Route,
    request_id: &str,
    e: &UpstreamError,
) -> Failure {
    let write = tool.method != Method::Get;
    let title = &vendor.title;
    let maybe_sent = if !e.maybe_sent() {
        "Nothing was sent.".to_string()
    } else if write {
        format!(
            "The request may have reached {title}: check with a read tool whether it took effect before calling again."
        )
    } else {
        "It was a read: calling again is safe.".to_string()
    };
    let (code, advice) = match e {
        UpstreamError::Cancelled => ("cancelled", String::new()),
        UpstreamError::TooLarge(_) => (
            "too_large",
            "Ask for less: a smaller limit, or filters.".to_string(),
        ),
        UpstreamError::Timeout { .. } => (
            "timeout",
            format!("{title} did not answer in time; try again later."),
        ),
        UpstreamError::Connect(_) => (
            "unreachable",
            format!(
                "{title} could not be reached{}: if this persists, ask the operator to check {} and the network.",
                if write { "" } else { " (the read was retried)" },
                vendor.base_url_env
            ),
        ),
        UpstreamError::Network(_) if write => ("connection_failed", "Try again later.".into()),
        UpstreamError::Network(_) => (
            "connection_failed",
            "The read was retried; try again later.".into(),
        ),
        UpstreamError::Client(_) | UpstreamError::RateLimited(_) => {
            ("internal", "Report this as a bug in leads-mcp.".to_string())
        }
    };
    let hint = [maybe_sent, advice]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Failure {
        vendor: vendor.name.clone(),
        tool: tool.name.clone(),
        status: None,
        code: Some(code.into()),
        message: e.to_string(),
        details: Map::new(),
        request_id: request_id.to_string(),
        hints: vec![hint],
        retry_after: None,
        route: route.display(),
    }
}

/// A success status whose body is not the JSON the route documents:
/// half an answer must not read as a result.
pub fn malformed(
    vendor: &VendorSpec,
    tool: &ToolSpec,
    route: &Route,
    incoming: &Incoming,
    sent_request_id: &str,
) -> Failure {
    let status = incoming.status.as_u16();
    let title = &vendor.title;
    let request_id = header_request_id(incoming).unwrap_or_else(|| sent_request_id.into());
    let content_type = incoming
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    let hint = if tool.method == Method::Get {
        format!(
            "It was a read: call again; if it persists, report request_id {request_id} to {title}."
        )
    } else {
        format!(
            "The request reached {title}, which answered {status}: the change has probably been made. Check with a read tool before calling again; don't resend blindly."
        )
    };
    Failure {
        vendor: vendor.name.clone(),
        tool: tool.name.clone(),
        status: Some(status),
        code: Some("malformed_answer".into()),
        message: format!(
            "the answer was malformed: {} bytes that are not valid JSON (Content-Type {content_type})",
            incoming.body.len()
        ),
        details: Map::new(),
        request_id,
        hints: vec![hint],
        retry_after: None,
        route: route.display(),
    }
}

fn header_request_id(incoming: &Incoming) -> Option<String> {
    incoming
        .headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// What an answer's body turned out to be.
enum Body {
    /// JSON, or nothing at all (`Null`).
    Json(Value),
    /// Text the vendor documents for this route (e.g. markdown).
    Text(String),
    /// Not JSON, where JSON was documented or announced.
    Malformed,
}

fn lossy_text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

/// `application/json` or a `+json` type.
fn announces_json(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

/// Every route answers JSON unless its manifest documents text; a body
/// that announces JSON must be JSON whatever the manifest says.
fn read_body(tool: &ToolSpec, incoming: &Incoming) -> Body {
    if incoming.body.iter().all(u8::is_ascii_whitespace) {
        return Body::Json(Value::Null);
    }
    if let Ok(value) = serde_json::from_slice(&incoming.body) {
        return Body::Json(value);
    }
    if tool.text_answer && !announces_json(&incoming.headers) {
        return Body::Text(lossy_text(&incoming.body));
    }
    Body::Malformed
}

/// Reads the first JSON pointer of `pointers` that holds a value.
/// The pointer of the list in `body`: the first `items` pointer that holds
/// an array, else the first pointer (or `/data`).
pub fn items_pointer<'a>(envelope: &'a Envelope, body: &Value) -> &'a str {
    envelope
        .items
        .iter()
        .find(|p| body.pointer(p).is_some_and(Value::is_array))
        .or(envelope.items.first())
        .map_or("/data", String::as_str)
}

/// The argument of `tool` that takes a cursor, if it is cursor-paginated.
pub fn cursor_argument<'a>(envelope: &'a Envelope, tool: &ToolSpec) -> Option<&'a str> {
    envelope
        .cursor_arguments
        .iter()
        .find(|name| tool.param(name).is_some())
        .map(String::as_str)
}

/// The cursor of the next page in `body`, if there is one.
pub fn next_cursor<'a>(envelope: &Envelope, body: &'a Value) -> Option<&'a str> {
    envelope
        .next_cursor
        .iter()
        .filter_map(|p| body.pointer(p).and_then(Value::as_str))
        .find(|c| !c.is_empty())
}

/// Whether a limit/offset answer says that more pages follow.
pub fn has_more(envelope: &Envelope, body: &Value) -> bool {
    envelope
        .has_more
        .iter()
        .find_map(|p| body.pointer(p).and_then(Value::as_bool))
        .unwrap_or(false)
}

pub fn first<'a>(body: &'a Value, pointers: &[String]) -> Option<&'a Value> {
    pointers
        .iter()
        .find_map(|p| body.pointer(p))
        .filter(|v| !v.is_null())
}

/// Reads the first JSON pointer of `pointers` that holds a string or a
/// number: ids, codes and messages. An object or array where a vendor whose
/// error shape is undocumented keeps something else is skipped, so several
/// likely places can be listed.
pub fn first_scalar<'a>(body: &'a Value, pointers: &[String]) -> Option<&'a Value> {
    pointers
        .iter()
        .filter_map(|p| body.pointer(p))
        .find(|v| v.is_string() || v.is_number())
}

/// The manifest's surfaced fields (`envelope.surface`) that `body` holds,
/// in manifest order: what every result repeats.
pub fn surfaced<'a>(envelope: &'a Envelope, body: &Value) -> Vec<(&'a SurfaceField, Value)> {
    envelope
        .surface
        .iter()
        .filter_map(|field| first(body, &field.pointers).map(|v| (field, v.clone())))
        .collect()
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Interprets one answer of the vendor to `tool`.
pub fn interpret(
    vendor: &VendorSpec,
    tool: &ToolSpec,
    route: &Route,
    incoming: &Incoming,
    sent_request_id: &str,
    key_env: &str,
) -> Outcome {
    let env = &vendor.envelope;
    let status = incoming.status.as_u16();
    let body = match read_body(tool, incoming) {
        Body::Json(body) => body,
        Body::Malformed if incoming.status.is_success() => {
            return Outcome::Failed(malformed(vendor, tool, route, incoming, sent_request_id));
        }
        // An error answer whose body isn't JSON (a proxy's HTML page, say)
        // is still an error: its text is the message.
        Body::Malformed => Value::String(lossy_text(&incoming.body)),
        Body::Text(text) => Value::String(text),
    };
    let request_id = first_scalar(&body, &env.request_id)
        .map(as_text)
        .or_else(|| header_request_id(incoming))
        .unwrap_or_else(|| sent_request_id.to_string());
    let flagged_failure = env
        .success_flag
        .as_deref()
        .and_then(|p| body.pointer(p))
        .is_some_and(|v| v == &Value::Bool(false));
    let failed = !incoming.status.is_success() || flagged_failure;
    let code = first_scalar(&body, &env.error_code).map(as_text);
    let retry_after = incoming.retry_after().map(|d| d.as_secs());

    let vars = HintVars {
        scope: tool.scope.as_deref().unwrap_or("documented"),
        key_env,
        client_id: route.client_id.as_deref().unwrap_or(""),
        request_id: &request_id,
        retry_after: &retry_after
            .map(|s| format!("{s} seconds"))
            .unwrap_or_else(|| "a minute".into()),
        tool: &tool.name,
    };
    let matching: Vec<_> = vendor
        .errors
        .iter()
        .filter(|rule| {
            failed
                && rule.status.is_none_or(|s| s == status)
                && rule
                    .code
                    .as_deref()
                    .is_none_or(|c| Some(c) == code.as_deref())
                && rule.agency.is_none_or(|a| a == route.agency())
                && (rule.tools.is_empty() || rule.tools.contains(&tool.name))
        })
        .collect();
    let hints: Vec<String> = matching.iter().map(|r| vars.fill(&r.hint)).collect();

    if !failed || (!matching.is_empty() && matching.iter().all(|r| r.not_an_error)) {
        return Outcome::Ok(Success {
            status,
            body,
            request_id,
            note: (!hints.is_empty()).then(|| hints.join(" ")),
        });
    }

    let redirect = incoming.status.is_redirection();
    let message = first_scalar(&body, &env.error_message)
        .map(as_text)
        .filter(|_| !redirect)
        .or_else(|| redirect.then(|| "redirect refused: check the base URL".to_string()))
        .or_else(|| body.as_str().map(|s| s.chars().take(300).collect()))
        .unwrap_or_else(|| {
            incoming
                .status
                .canonical_reason()
                .unwrap_or("error")
                .to_string()
        });
    let mut details = Map::new();
    for pointer in &env.error_details {
        if let Some(v) = body.pointer(pointer).filter(|v| !v.is_null()) {
            let name = pointer.rsplit('/').next().unwrap_or(pointer).to_string();
            details.insert(name, v.clone());
        }
    }
    for (field, value) in surfaced(env, &body) {
        details.insert(field.name.clone(), value);
    }
    let mut hints = hints;
    if hints.is_empty() {
        hints.push(generic_hint(status, &vars, vendor));
    }
    Outcome::Failed(Failure {
        vendor: vendor.name.clone(),
        tool: tool.name.clone(),
        status: Some(status),
        code,
        message,
        details,
        request_id,
        hints,
        retry_after,
        route: route.display(),
    })
}

/// Advice for a status the manifest has no rule for.
fn generic_hint(status: u16, vars: &HintVars<'_>, vendor: &VendorSpec) -> String {
    match status {
        // Never followed: a redirect could carry the key to another host.
        300..=399 => format!(
            "{} answered with a redirect, which this server never follows. Ask the operator to check {}: the base URL is probably wrong (http instead of https, or a moved host).",
            vendor.title, vendor.base_url_env
        ),
        400..=499 => {
            "Check the arguments against the tool's description; don't retry unchanged.".into()
        }
        _ => format!(
            "The vendor failed. Retry later if appropriate; quote request_id {} when reporting it.",
            vars.request_id
        ),
    }
}

struct HintVars<'a> {
    scope: &'a str,
    key_env: &'a str,
    client_id: &'a str,
    request_id: &'a str,
    retry_after: &'a str,
    tool: &'a str,
}

impl HintVars<'_> {
    fn fill(&self, template: &str) -> String {
        template
            .replace("{scope}", self.scope)
            .replace("{key_env}", self.key_env)
            .replace("{client_id}", self.client_id)
            .replace("{request_id}", self.request_id)
            .replace("{retry_after}", self.retry_after)
            .replace("{tool}", self.tool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_cursors_and_more_pages_are_read_where_the_envelope_says() {
        let envelope = Envelope {
            items: vec!["/clients".into(), "/leads".into()],
            next_cursor: vec!["/nextToken".into()],
            has_more: vec!["/pagination/hasMore".into(), "/pagination/has_more".into()],
            ..Envelope::default()
        };
        assert_eq!(
            items_pointer(&envelope, &json!({"leads": [], "clients": 1})),
            "/leads"
        );
        assert_eq!(items_pointer(&envelope, &json!({})), "/clients");
        assert_eq!(items_pointer(&Envelope::default(), &json!({})), "/data");
        assert_eq!(
            next_cursor(&envelope, &json!({"nextToken": "t1"})),
            Some("t1")
        );
        assert_eq!(next_cursor(&envelope, &json!({"nextToken": ""})), None);
        assert_eq!(next_cursor(&envelope, &json!({"nextToken": null})), None);
        assert!(has_more(
            &envelope,
            &json!({"pagination": {"has_more": true}})
        ));
        assert!(!has_more(
            &envelope,
            &json!({"pagination": {"hasMore": false, "has_more": true}})
        ));
        assert!(!has_more(&envelope, &json!({"pagination": {}})));
        assert!(!has_more(
            &Envelope::default(),
            &json!({"pagination": {"hasMore": true}})
        ));
    }
    use bytes::Bytes;
    use http::{HeaderMap, StatusCode};
    use leads_mcp_catalog::Catalog;
    use serde_json::json;
    use url::Url;

    /// The route of `t` at `base` for `args`, checked as a call's would be.
    fn route_of(t: &ToolSpec, base: &str, args: Value) -> Route {
        let checked = crate::guard::check_arguments(t, args.as_object().unwrap()).unwrap();
        crate::route::build(t, &Url::parse(base).unwrap(), &checked).unwrap()
    }

    fn answer(tool: &str, args: Value, status: u16, body: Value) -> Outcome {
        let c = crate::vendors::load_catalog().unwrap();
        let v = c.vendor("leadpanther").unwrap();
        let t = c.tool(tool).unwrap();
        let route = route_of(t, "https://app.leadpanther.ai/api/v1", args);
        let incoming = Incoming {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_string()),
            attempts: 1,
        };
        interpret(v, t, &route, &incoming, "lmcp_sent", "LEADPANTHER_API_KEY")
    }

    fn failure(o: Outcome) -> Failure {
        match o {
            Outcome::Failed(f) => f,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    fn err_body(code: &str) -> Value {
        json!({"error": {"code": code, "message": "Nope."}, "request_id": "req_1"})
    }

    #[test]
    fn success_keeps_the_vendor_request_id() {
        let o = answer(
            "leadpanther_get_me",
            json!({}),
            200,
            json!({"data": {}, "request_id": "req_9"}),
        );
        let Outcome::Ok(s) = o else { panic!("{o:?}") };
        assert_eq!(s.request_id, "req_9");
    }

    #[test]
    fn request_id_falls_back_to_the_one_sent() {
        let o = answer("leadpanther_get_me", json!({}), 200, json!({"data": {}}));
        let Outcome::Ok(s) = o else { panic!("{o:?}") };
        assert_eq!(s.request_id, "lmcp_sent");
    }

    #[test]
    fn hint_401_names_the_key_variable() {
        let f = failure(answer(
            "leadpanther_get_me",
            json!({}),
            401,
            err_body("unauthorized"),
        ));
        assert_eq!(f.code.as_deref(), Some("unauthorized"));
        assert_eq!(f.request_id, "req_1");
        assert!(
            f.hints.join(" ").contains("LEADPANTHER_API_KEY"),
            "{:?}",
            f.hints
        );
    }

    #[test]
    fn hint_403_names_the_scope_and_for_agency_calls_the_grant() {
        let f = failure(answer(
            "leadpanther_create_post",
            json!({"text": "x"}),
            403,
            err_body("forbidden"),
        ));
        let h = f.hints.join(" ");
        assert!(h.contains("`posts:write`") && !h.contains("grant"), "{h}");
        let client = "00000000-0000-4000-8000-000000000003";
        let f = failure(answer(
            "leadpanther_create_post",
            json!({"text": "x", "client_id": client}),
            403,
            err_body("forbidden"),
        ));
        let h = f.hints.join(" ");
        assert!(
            h.contains("`posts:write`") && h.contains("agency-client grant") && h.contains(client),
            "{h}"
        );
    }

    #[test]
    fn hint_404_does_not_suggest_routes() {
        let f = failure(answer(
            "leadpanther_get_post",
            json!({"id": "x"}),
            404,
            err_body("not_found"),
        ));
        let h = f.hints.join(" ");
        assert!(h.contains("Don't try other routes"), "{h}");
        assert!(!h.contains("/api/"), "{h}");
    }

    #[test]
    fn hint_409_and_500() {
        let f = failure(answer(
            "leadpanther_delete_post",
            json!({"id": "x"}),
            409,
            err_body("conflict"),
        ));
        assert!(f.hints.join(" ").contains("published or publishing"));
        let f = failure(answer(
            "leadpanther_get_me",
            json!({}),
            500,
            err_body("internal_error"),
        ));
        let h = f.hints.join(" ");
        assert!(h.contains("Retry later") && h.contains("req_1"), "{h}");
    }

    /// A vendor whose error body is undocumented: several likely places for
    /// code and message, and a surfaced `credits_used`.
    fn loose_manifest() -> String {
        leads_mcp_catalog::test_manifest(
            r#"
[vendor.envelope]
request_id = ["/meta/request_id", "/request_id"]
error_code = ["/error/code", "/code", "/error"]
error_message = ["/error/message", "/message"]
error_details = ["/error/param", "/param"]
[[vendor.envelope.surface]]
name = "credits_used"
pointers = ["/meta/credits_used"]
label = "credits used"
[[vendor.error]]
status = 404
code = "no_match"
not_an_error = true
hint = "No match."
"#,
            r#"
[groups]
things = "Things"
[[tool]]
name = "acme_find_thing"
title = "Find"
group = "things"
description = "Find."
method = "POST"
path = "/find"
"#,
        )
    }

    fn loose(status: u16, body: Value) -> Outcome {
        let c = Catalog::from_sources([("acme", loose_manifest().as_str())]).unwrap();
        let v = c.vendor("acme").unwrap();
        let t = c.tool("acme_find_thing").unwrap();
        let route = route_of(t, "https://acme.example/api", json!({}));
        let incoming = Incoming {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_string()),
            attempts: 1,
        };
        interpret(v, t, &route, &incoming, "lmcp_sent", "ACME_KEY")
    }

    #[test]
    fn codes_and_messages_are_read_from_the_first_place_that_holds_text() {
        // Nested, as the sandbox answers.
        let f = failure(loose(
            403,
            json!({"error": {"code": "quota_exceeded", "message": "Limit.", "param": "items"}, "meta": {"request_id": "req_a", "credits_used": 0}}),
        ));
        assert_eq!(f.code.as_deref(), Some("quota_exceeded"));
        assert_eq!(f.message, "Limit.");
        assert_eq!(f.request_id, "req_a");
        assert_eq!(f.details["param"], "items");
        assert_eq!(f.details["credits_used"], 0);
        // Flat: `error` is the code itself.
        let f = failure(loose(
            403,
            json!({"error": "batch_not_available", "message": "No batch.", "request_id": "req_b"}),
        ));
        assert_eq!(f.code.as_deref(), Some("batch_not_available"));
        assert_eq!(f.message, "No batch.");
        assert_eq!(f.request_id, "req_b");
        assert!(!f.details.contains_key("credits_used"));
        // An object where a code could be is not a code.
        let f = failure(loose(400, json!({"error": {"message": "Bad."}})));
        assert_eq!(f.code, None);
        assert_eq!(f.message, "Bad.");
        assert_eq!(f.request_id, "lmcp_sent");
    }

    #[test]
    fn a_documented_not_found_is_an_answer_with_its_note() {
        let o = loose(
            404,
            json!({"error": {"code": "no_match"}, "meta": {"request_id": "req_c", "credits_used": 0}}),
        );
        let Outcome::Ok(s) = o else { panic!("{o:?}") };
        assert_eq!(s.status, 404);
        assert_eq!(s.request_id, "req_c");
        assert_eq!(s.note.as_deref(), Some("No match."));
        // Another 404 is still a failure.
        assert!(matches!(
            loose(404, json!({"error": {"code": "not_found"}})),
            Outcome::Failed(_)
        ));
    }

    #[test]
    fn surfaced_fields_are_read_in_manifest_order() {
        let c = Catalog::from_sources([("acme", loose_manifest().as_str())]).unwrap();
        let env = &c.vendor("acme").unwrap().envelope;
        let found = surfaced(env, &json!({"meta": {"credits_used": 2}}));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].0.name.as_str(), &found[0].1),
            ("credits_used", &json!(2))
        );
        assert!(surfaced(env, &json!({"meta": {"credits_used": null}})).is_empty());
        assert!(surfaced(env, &json!("text")).is_empty());
    }

    #[test]
    fn non_json_errors_still_read() {
        let c = crate::vendors::load_catalog().unwrap();
        let v = c.vendor("leadpanther").unwrap();
        let t = c.tool("leadpanther_get_me").unwrap();
        let route = route_of(t, "https://app.leadpanther.ai/api/v1", json!({}));
        let incoming = Incoming {
            status: StatusCode::BAD_GATEWAY,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"<html>bad gateway</html>"),
            attempts: 3,
        };
        let f = failure(interpret(v, t, &route, &incoming, "lmcp_x", "K"));
        assert_eq!(f.status, Some(502));
        assert!(f.message.contains("bad gateway"));
        assert_eq!(f.request_id, "lmcp_x");
    }
}
