//! Input guards, as pure functions: what may be sent (arguments, path
//! values, base URLs, writes in read-only mode). What a result must say is
//! `output_guard`'s job.
//!
//! They apply the LeadPanther LLM guide's rules to every vendor they fit.

use rmcp::model::JsonObject;
use serde_json::Value;
use url::{Host, Url};

use leads_mcp_catalog::vocab::Refusal;
use leads_mcp_catalog::{ArgumentRule, Location, ToolSpec, VendorSpec};

/// Arguments that passed [`check_arguments`]: the only input
/// `route::build` takes, so a path value is checked exactly once.
#[derive(Debug, Clone)]
pub struct CheckedArgs {
    args: JsonObject,
    /// Each path argument given, as the one encoded segment it becomes.
    segments: Vec<(String, String)>,
}

impl CheckedArgs {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.args.get(name)
    }

    /// The encoded path segment of path argument `name`, if it was given.
    pub fn segment(&self, name: &str) -> Option<&str> {
        self.segments
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.as_str())
    }

    pub fn as_object(&self) -> &JsonObject {
        &self.args
    }
}

/// Validates the arguments against the tool's schema and the rules a schema
/// can't express. Every problem is listed, with the argument it concerns.
pub fn check_arguments(tool: &ToolSpec, args: &JsonObject) -> Result<CheckedArgs, Refusal> {
    let instance = Value::Object(args.clone());
    // "At least one field" stated in the schema (a `minProperties` on the
    // input, or on the body object of a body_required tool) is reported
    // below by the rule it states, which names the fields.
    let stated_rule = |e: &jsonschema::ValidationError<'_>| {
        matches!(
            e.kind(),
            jsonschema::error::ValidationErrorKind::MinProperties { .. }
        ) && {
            let at = e.instance_path().to_string();
            at.is_empty()
                || (tool.body_required
                    && tool.params.iter().any(|p| {
                        p.location == Location::BodyObject && at == format!("/{}", p.name)
                    }))
        }
    };
    let mut problems: Vec<String> = tool
        .validator
        .iter_errors(&instance)
        .filter(|e| !stated_rule(e))
        .map(|e| {
            let at = e.instance_path().to_string();
            // `masked` leaves the value out: arguments may hold personal data.
            let what = e.masked().to_string();
            if at.is_empty() {
                what
            } else {
                format!("`{}`: {what}", at.trim_start_matches('/'))
            }
        })
        .collect();
    let mut segments = Vec::new();
    if problems.is_empty() {
        for param in tool.params.iter().filter(|p| p.location == Location::Path) {
            if let Some(value) = args.get(&param.name) {
                match path_segment(value) {
                    Ok(segment) => segments.push((param.name.clone(), segment)),
                    Err(why) => problems.push(format!("`{}`: {why}", param.name)),
                }
            }
        }
        for rule in &tool.rules {
            problems.extend(broken_rule(rule, args));
        }
        if tool.body_required {
            let any_body = tool.params.iter().any(|p| {
                matches!(p.location, Location::Body | Location::BodyObject)
                    && args.get(&p.name).is_some_and(|v| match v {
                        Value::Object(o) => !o.is_empty(),
                        _ => true,
                    })
            });
            if !any_body {
                let fields: Vec<&str> = tool
                    .params
                    .iter()
                    .filter(|p| matches!(p.location, Location::Body | Location::BodyObject))
                    .map(|p| p.name.as_str())
                    .collect();
                problems.push(format!(
                    "give at least one field to change ({})",
                    fields.join(", ")
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(CheckedArgs {
            args: args.clone(),
            segments,
        })
    } else {
        Err(Refusal::new(
            "invalid_arguments",
            format!("{}: invalid arguments: {}", tool.name, problems.join("; ")),
            "Fix the arguments named above (see the tool's input schema) and call again. Nothing was sent.",
        ))
    }
}

/// The message of `rule` if `args` break it (for `each`, once per item).
fn broken_rule(rule: &ArgumentRule, args: &JsonObject) -> Option<String> {
    let broken_in = |scope: &JsonObject| {
        let given = |name: &String| scope.get(name).is_some_and(|v| !v.is_null());
        let past = |name: &String| {
            scope
                .get(name)
                .and_then(Value::as_str)
                .is_some_and(|t| !is_future_timestamp(t, chrono::Utc::now()))
        };
        let applies = rule.when.iter().all(|(k, v)| scope.get(k) == Some(v));
        applies
            && (!rule.require.iter().all(given)
                || (!rule.any_of.is_empty()
                    && !rule.any_of.iter().any(|group| group.iter().all(given)))
                || rule.future.iter().any(past))
    };
    match &rule.each {
        None => broken_in(args).then(|| rule.message.clone()),
        Some(array) => {
            let items = args.get(array).and_then(Value::as_array)?;
            let bad: Vec<String> = items
                .iter()
                .enumerate()
                .filter(|(_, item)| item.as_object().is_some_and(&broken_in))
                .map(|(i, _)| i.to_string())
                .collect();
            (!bad.is_empty())
                .then(|| format!("`{array}` items {}: {}", bad.join(", "), rule.message))
        }
    }
}

/// Whether `text` is an RFC 3339 timestamp (the ISO 8601 profile with a
/// date, a time and an offset, e.g. `2026-07-01T09:00:00Z`) later than `now`.
/// Anything else (no offset, week dates, garbage) is not.
pub fn is_future_timestamp(text: &str, now: chrono::DateTime<chrono::Utc>) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok_and(|t| t > now)
}

/// Characters a path segment may carry unencoded: RFC 3986 unreserved ones.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Characters no id may hold. No vendor documents an id with one, and each
/// could change the route somewhere: `/` and `\` split segments (a proxy or
/// framework that decodes `%2F` would turn `..%2Fme` into another route), `?`
/// and `#` start a query or a fragment, `%` starts an escape.
const REFUSED_IN_ID: &[char] = &['/', '\\', '?', '#', '%'];

/// Longest id accepted in a path.
const MAX_SEGMENT: usize = 256;

/// One path value, checked and percent-encoded so that it stays one segment.
/// Ids holding `/`, `\`, `?`, `#` or `%` are refused rather than encoded (see
/// [`REFUSED_IN_ID`]), and so are `.`/`..`, which URL parsers resolve; what
/// is left outside RFC 3986's unreserved set (spaces inside, non-ASCII) is
/// percent-encoded.
fn path_segment(value: &Value) -> Result<String, String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        _ => return Err("must be a string or an integer".into()),
    };
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.len() > MAX_SEGMENT {
        return Err(format!("longer than {MAX_SEGMENT} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if text.contains(REFUSED_IN_ID) {
        return Err(
            "must not contain `/`, `\\`, `?`, `#` or `%`: an id is one path segment, passed as list results give it"
                .into(),
        );
    }
    let trimmed = text.trim();
    if trimmed != text {
        return Err("must not start or end with spaces".into());
    }
    if text == "." || text == ".." {
        return Err("is not an id".into());
    }
    Ok(percent_encoding::utf8_percent_encode(&text, SEGMENT).to_string())
}

/// Resolves a vendor's base URL: the documented one, or `<VENDOR>_BASE_URL`.
///
/// An override must be https (http only on loopback, for the sandbox and
/// tests), carry no credentials, query or fragment, avoid refused hosts,
/// and keep the documented base path exactly once, so no route is doubled.
pub fn base_url(vendor: &VendorSpec, override_url: Option<&str>) -> Result<Url, String> {
    let env = &vendor.base_url_env;
    let Some(raw) = override_url.or(vendor.base_url.as_deref()) else {
        return Err(format!(
            "{} publishes no base URL: set {env} to your deployment's URL",
            vendor.title
        ));
    };
    let url = Url::parse(raw.trim()).map_err(|e| format!("{env}: {raw:?} is not a URL ({e})"))?;
    let host = url
        .host()
        .ok_or_else(|| format!("{env}: {raw:?} has no host"))?;
    let host_text = match &host {
        Host::Domain(d) => d.to_ascii_lowercase(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => ip.to_string(),
    };
    for refused in &vendor.refused_hosts {
        if host_text == refused.host || host_text.ends_with(&format!(".{}", refused.host)) {
            return Err(format!(
                "{env}: {} is refused. The {} guide says: \"{}\"",
                refused.host, vendor.title, refused.rule
            ));
        }
    }
    let loopback = match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        other => return Err(format!("{env}: scheme {other} is refused; use https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{env}: credentials in the URL are refused; keys come from their own env vars"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{env}: a base URL takes no query or fragment"));
    }
    let path = url.path().trim_end_matches('/').to_string();
    if let Some(documented) = vendor.base_url.as_deref().and_then(|d| Url::parse(d).ok()) {
        let doc_path = documented.path().trim_end_matches('/');
        if !doc_path.is_empty() {
            let doubled = format!("{doc_path}{doc_path}");
            if !path.ends_with(doc_path) || path.ends_with(&doubled) {
                return Err(format!(
                    "{env}: the path must end with {doc_path} exactly once (documented base URL {documented}); got {path:?}"
                ));
            }
        }
    }
    let mut url = url;
    url.set_path(&path);
    Ok(url)
}

/// A read-only server never runs a tool that writes, even if asked by name.
pub fn check_read_only(tool: &ToolSpec, read_only_mode: bool) -> Result<(), Refusal> {
    if read_only_mode && !tool.read_only {
        return Err(Refusal::new(
            "read_only_mode",
            format!(
                "{} changes data and this server runs in read-only mode",
                tool.name
            ),
            "Use a read-only tool, or ask the operator to restart without --read-only.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use leads_mcp_catalog::Catalog;
    use serde_json::json;

    fn leadpanther() -> (Catalog, std::sync::Arc<VendorSpec>) {
        let c = crate::vendors::load_catalog().unwrap();
        let v = c.vendor("leadpanther").unwrap().clone();
        (c, v)
    }

    fn args(v: Value) -> JsonObject {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn path_values_stay_one_segment() {
        assert_eq!(
            path_segment(&json!("abc-123_x.y~z")).unwrap(),
            "abc-123_x.y~z"
        );
        assert_eq!(path_segment(&json!(1234)).unwrap(), "1234");
        assert_eq!(path_segment(&json!("é")).unwrap(), "%C3%A9");
        assert_eq!(path_segment(&json!("a b")).unwrap(), "a%20b");
        assert_eq!(path_segment(&json!("..a")).unwrap(), "..a");
        // Refused, not encoded: none of these is an id, and a proxy that
        // decodes `%2F` would make `..%2Fme` another route.
        for bad in [
            "a/b", "../admin", "a\\b", "x?y=1", "x#z", "%2F", "%2e%2e", "100%",
        ] {
            let e = path_segment(&json!(bad)).unwrap_err();
            assert!(e.contains("must not contain"), "{bad}: {e}");
        }
        for bad in [
            json!(""),
            json!("."),
            json!(".."),
            json!("%2e%2E"),
            json!("a\nb"),
            json!(" a"),
            json!(1.5),
            json!(true),
            json!({"a": 1}),
        ] {
            assert!(path_segment(&bad).is_err(), "{bad} was accepted");
        }
        assert!(path_segment(&json!("x".repeat(300))).is_err());
    }

    #[test]
    fn arguments_are_validated_against_the_schema() {
        let (c, _) = leadpanther();
        let list = c.tool("leadpanther_list_posts").unwrap();
        assert!(check_arguments(list, &args(json!({"limit": 10, "offset": 0}))).is_ok());
        let e = check_arguments(list, &args(json!({"limit": 500}))).unwrap_err();
        assert!(e.message.contains("`limit`"), "{}", e.message);
        let e = check_arguments(list, &args(json!({"page": 1}))).unwrap_err();
        assert!(e.message.contains("page"), "{}", e.message);
        assert!(check_arguments(list, &args(json!({"offset": -1}))).is_err());
        let e = check_arguments(list, &args(json!({"client_id": "not-a-uuid"}))).unwrap_err();
        assert!(e.message.contains("client_id"), "{}", e.message);
        assert!(
            check_arguments(
                list,
                &args(json!({"client_id": "00000000-0000-4000-8000-000000000001"}))
            )
            .is_ok()
        );
    }

    #[test]
    fn refusals_do_not_echo_argument_values() {
        let (c, _) = leadpanther();
        let list = c.tool("leadpanther_list_posts").unwrap();
        let e =
            check_arguments(list, &args(json!({"client_id": "person@example.com"}))).unwrap_err();
        assert!(!e.message.contains("person@example.com"), "{}", e.message);
    }

    #[test]
    fn updates_need_a_field() {
        let (c, _) = leadpanther();
        let update = c.tool("leadpanther_update_post").unwrap();
        let e = check_arguments(update, &args(json!({"id": "p1"}))).unwrap_err();
        assert!(e.message.contains("at least one field"), "{}", e.message);
        assert!(check_arguments(update, &args(json!({"id": "p1", "text": "New"}))).is_ok());
        let e = check_arguments(update, &args(json!({"id": "..", "text": "New"}))).unwrap_err();
        assert!(e.message.contains("`id`"), "{}", e.message);
    }

    #[test]
    fn base_url_rules() {
        let (_, v) = leadpanther();
        assert_eq!(
            base_url(&v, None).unwrap().as_str(),
            "https://app.leadpanther.ai/api/v1"
        );
        assert_eq!(
            base_url(&v, Some("https://app.leadpanther.ai/api/v1/"))
                .unwrap()
                .as_str(),
            "https://app.leadpanther.ai/api/v1"
        );
        let e = base_url(&v, Some("https://api.leadpanther.ai/v1")).unwrap_err();
        assert!(
            e.contains("Do not use this host as the app API base URL"),
            "{e}"
        );
        assert!(base_url(&v, Some("https://api.leadpanther.ai/api/v1")).is_err());
        assert!(
            base_url(&v, Some("https://app.leadpanther.ai/api/v1/api/v1"))
                .unwrap_err()
                .contains("exactly once")
        );
        assert!(base_url(&v, Some("https://app.leadpanther.ai")).is_err());
        assert!(base_url(&v, Some("http://app.leadpanther.ai/api/v1")).is_err());
        assert!(base_url(&v, Some("https://u:p@app.leadpanther.ai/api/v1")).is_err());
        assert!(base_url(&v, Some("https://app.leadpanther.ai/api/v1?x=1")).is_err());
        assert!(base_url(&v, Some("http://127.0.0.1:9/leadpanther/api/v1")).is_ok());
    }

    #[test]
    fn argument_rules_between_fields_and_per_item() {
        let manifest = leads_mcp_catalog::test_manifest(
            "",
            r#"
[groups]
things = "Things"
[[tool]]
name = "acme_rate_thing"
title = "Rate"
group = "things"
description = "Rate."
method = "POST"
path = "/rate"
[tool.params.feedback]
in = "body"
type = "string"
enum = ["like", "dislike"]
required = true
description = "Like or dislike."
[tool.params.reason]
in = "body"
type = "string"
description = "Why."
[tool.params.items]
in = "body"
type = "array"
items = { type = "object", properties = { email = { type = "string", description = "E" }, name = { type = "string", description = "N" }, company = { type = "string", description = "C" } } }
description = "Items."
[[tool.rule]]
when = { feedback = "dislike" }
require = ["reason"]
message = "a dislike needs a reason"
[[tool.rule]]
each = "items"
any_of = [["email"], ["name", "company"]]
message = "give an email, or a name and a company"
"#,
        );
        let c = leads_mcp_catalog::Catalog::from_sources([("acme", manifest.as_str())]).unwrap();
        let t = c.tool("acme_rate_thing").unwrap();
        assert!(check_arguments(t, &args(json!({"feedback": "like"}))).is_ok());
        let e = check_arguments(t, &args(json!({"feedback": "dislike"}))).unwrap_err();
        assert!(
            e.message.contains("a dislike needs a reason"),
            "{}",
            e.message
        );
        assert!(check_arguments(t, &args(json!({"feedback": "dislike", "reason": null}))).is_err());
        assert!(
            check_arguments(t, &args(json!({"feedback": "dislike", "reason": "other"}))).is_ok()
        );
        let items = json!({"feedback": "like", "items": [{"email": "a@example.com"}, {"name": "A"}, {"name": "B", "company": "C"}]});
        let e = check_arguments(t, &args(items)).unwrap_err();
        assert!(
            e.message.contains("`items` items 1: give an email"),
            "{}",
            e.message
        );
    }

    #[test]
    fn future_timestamps() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .unwrap()
            .to_utc();
        for ok in [
            "2026-06-01T12:00:01Z",
            "2026-06-01T13:30:00+01:00",
            "2027-01-01T00:00:00.000Z",
            "2026-06-01T08:00:01-04:00",
        ] {
            assert!(is_future_timestamp(ok, now), "{ok}");
        }
        for no in [
            "2026-06-01T12:00:00Z",
            "2026-06-01T13:00:00+01:00",
            "2020-01-01T00:00:00Z",
            "2027-01-01T00:00:00",
            "2027-01-01",
            "2027-W01-1T00:00:00Z",
            "tomorrow",
            "",
        ] {
            assert!(!is_future_timestamp(no, now), "{no}");
        }
    }

    #[test]
    fn a_future_rule_refuses_past_timestamps_and_allows_null() {
        let manifest = leads_mcp_catalog::test_manifest(
            "",
            r#"
[groups]
things = "Things"
[[tool]]
name = "acme_snooze_thing"
title = "Snooze"
group = "things"
description = "Snooze."
method = "PATCH"
path = "/things"
[tool.params.until]
in = "body"
type = ["string", "null"]
format = "date-time"
description = "Until when."
[[tool.rule]]
future = ["until"]
message = "`until` must be in the future"
"#,
        );
        let c = leads_mcp_catalog::Catalog::from_sources([("acme", manifest.as_str())]).unwrap();
        let t = c.tool("acme_snooze_thing").unwrap();
        let e = check_arguments(t, &args(json!({"until": "2020-01-01T00:00:00Z"}))).unwrap_err();
        assert!(e.message.contains("must be in the future"), "{}", e.message);
        let later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
        assert!(check_arguments(t, &args(json!({"until": later}))).is_ok());
        assert!(check_arguments(t, &args(json!({"until": null}))).is_ok());
        assert!(check_arguments(t, &args(json!({}))).is_ok());
        // No offset: the schema's date-time format already refuses it.
        assert!(check_arguments(t, &args(json!({"until": "2099-01-01T00:00:00"}))).is_err());
    }

    #[test]
    fn rules_naming_unknown_arguments_are_refused() {
        let manifest = leads_mcp_catalog::test_manifest(
            "",
            r#"
[groups]
things = "Things"
[[tool]]
name = "acme_rate_thing"
title = "Rate"
group = "things"
description = "Rate."
method = "POST"
path = "/rate"
[[tool.rule]]
require = ["reason"]
message = "x"
"#,
        );
        assert!(leads_mcp_catalog::Catalog::from_sources([("acme", manifest.as_str())]).is_err());
    }

    #[test]
    fn read_only_mode_refuses_writes() {
        let (c, _) = leadpanther();
        assert!(check_read_only(c.tool("leadpanther_create_post").unwrap(), true).is_err());
        assert!(check_read_only(c.tool("leadpanther_create_post").unwrap(), false).is_ok());
        assert!(check_read_only(c.tool("leadpanther_list_posts").unwrap(), true).is_ok());
    }
}
