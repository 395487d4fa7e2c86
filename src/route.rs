//! Step 3 of a call: method + URL + query + body, built from the manifest's
//! templates only. No argument can produce another URL: path values come
//! from the guard as single encoded segments ([`CheckedArgs`]), and the
//! finished path is checked against the template once more. The adapters'
//! own requests (a login) are built here too, from the manifest's
//! documented internal routes.

use serde_json::{Map, Value};
use url::Url;

use crate::guard::CheckedArgs;
use leads_mcp_catalog::vocab::{Method, Refusal};
use leads_mcp_catalog::{Location, PathPart, PathTemplate, ToolSpec, VendorSpec};

/// One upstream request, before authentication.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub method: Method,
    pub url: Url,
    pub body: Option<Value>,
    /// The agency-client id, when the agency route was taken.
    pub client_id: Option<String>,
}

impl Route {
    pub fn agency(&self) -> bool {
        self.client_id.is_some()
    }

    /// `METHOD /path?query`, relative to the host: for messages and logs.
    pub fn display(&self) -> String {
        match self.url.query() {
            Some(q) => format!("{} {}?{q}", self.method.as_str(), self.url.path()),
            None => format!("{} {}", self.method.as_str(), self.url.path()),
        }
    }
}

/// Builds the request for `tool` from checked arguments.
pub fn build(tool: &ToolSpec, base: &Url, args: &CheckedArgs) -> Result<Route, Refusal> {
    let client_id = args.get("client_id").filter(|_| tool.agency_path.is_some());
    let template = match (&tool.agency_path, client_id) {
        (Some(agency), Some(_)) => agency,
        _ => &tool.path,
    };
    let rendered = render(template, args)?;
    let (mut url, expected_path) = join(base, &rendered);
    let mut query: Vec<(String, String)> = Vec::new();
    for param in tool.params.iter().filter(|p| p.location == Location::Query) {
        if let Some(value) = args.get(&param.name) {
            query.push((param.name.clone(), query_value(value)));
        }
    }
    query.extend(tool.query_const.iter().cloned());
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(&query);
    }
    // The parser must not have resolved or re-encoded anything.
    if url.path() != expected_path {
        return Err(Refusal::new(
            "unsafe_path",
            format!("{}: the arguments would change the route", tool.name),
            "Pass plain ids as they appear in list results.",
        ));
    }

    let mut body = Map::new();
    let mut has_body = false;
    for param in &tool.params {
        match (param.location, args.get(&param.name)) {
            (Location::Body, Some(value)) => {
                body.insert(param.name.clone(), value.clone());
                has_body = true;
            }
            (Location::BodyObject, Some(Value::Object(fields))) => {
                for (k, v) in fields {
                    body.entry(k.clone()).or_insert_with(|| v.clone());
                }
                has_body = true;
            }
            _ => {}
        }
    }
    Ok(Route {
        method: tool.method,
        url,
        body: has_body.then_some(Value::Object(body)),
        client_id: client_id.map(query_value),
    })
}

/// A documented route the adapter drives itself (a login, a token
/// refresh): the manifest's `[[internal_route]]` of this path, at `base`,
/// with `body`. A path the manifest does not document is refused.
pub fn internal(
    vendor: &VendorSpec,
    base: &Url,
    path: &str,
    body: Value,
) -> Result<Route, Refusal> {
    let documented = vendor
        .internal_routes
        .iter()
        .find(|r| r.path == path)
        .and_then(|r| Method::parse(&r.method));
    let Some(method) = documented else {
        return Err(Refusal::new(
            "internal",
            format!("{} has no documented internal route {path}", vendor.title),
            "Report this as a bug in leads-mcp.",
        ));
    };
    Ok(Route {
        method,
        url: join(base, path).0,
        body: Some(body),
        client_id: None,
    })
}

/// `base` + a rendered path, keeping the base path exactly once; also the
/// path the URL must have, which the parser must not have changed.
fn join(base: &Url, path: &str) -> (Url, String) {
    let expected = format!("{}{path}", base.path().trim_end_matches('/'));
    let mut url = base.clone();
    url.set_path(&expected);
    url.set_query(None);
    (url, expected)
}

fn render(template: &PathTemplate, args: &CheckedArgs) -> Result<String, Refusal> {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            PathPart::Literal(text) => out.push_str(text),
            PathPart::Param(name) => {
                let segment = args.segment(name).ok_or_else(|| {
                    Refusal::new(
                        "invalid_arguments",
                        format!("missing path argument `{name}`"),
                        "Give every required argument.",
                    )
                })?;
                out.push_str(segment);
            }
        }
    }
    Ok(out)
}

fn query_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build_for(tool: &str, args: Value) -> Result<Route, Refusal> {
        let c = crate::vendors::load_catalog().unwrap();
        let t = c.tool(tool).unwrap();
        let base = Url::parse("https://app.leadpanther.ai/api/v1").unwrap();
        let checked = crate::guard::check_arguments(t, args.as_object().unwrap())?;
        build(t, &base, &checked)
    }

    const CLIENT: &str = "00000000-0000-4000-8000-000000000001";

    #[test]
    fn direct_route_without_client_id() {
        let r = build_for("leadpanther_list_posts", json!({"limit": 10, "offset": 0})).unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://app.leadpanther.ai/api/v1/posts?limit=10&offset=0"
        );
        assert!(!r.agency() && r.body.is_none());
    }

    #[test]
    fn agency_route_with_client_id() {
        let r = build_for(
            "leadpanther_get_post",
            json!({"client_id": CLIENT, "id": "p-1"}),
        )
        .unwrap();
        assert_eq!(
            r.url.as_str(),
            format!("https://app.leadpanther.ai/api/v1/clients/{CLIENT}/posts/p-1")
        );
        assert_eq!(r.client_id.as_deref(), Some(CLIENT));
    }

    #[test]
    fn base_itself_and_no_doubled_prefix() {
        let r = build_for("leadpanther_get_api_metadata", json!({})).unwrap();
        assert_eq!(r.url.as_str(), "https://app.leadpanther.ai/api/v1");
        let r = build_for("leadpanther_get_me", json!({})).unwrap();
        assert_eq!(r.url.as_str(), "https://app.leadpanther.ai/api/v1/me");
    }

    #[test]
    fn ids_cannot_escape_their_segment() {
        for id in ["../../clients", "x?admin=1", "x#f", "a\\b", "..%2Fme", ".."] {
            let e = build_for("leadpanther_get_post", json!({ "id": id })).unwrap_err();
            assert_eq!(e.code, "invalid_arguments", "{id}");
        }
        let r = build_for("leadpanther_get_post", json!({"id": "p 1"})).unwrap();
        assert_eq!(r.url.path(), "/api/v1/posts/p%201");
        assert!(r.url.query().is_none() && r.url.fragment().is_none());
    }

    #[test]
    fn internal_routes_are_the_documented_ones_only() {
        let c = crate::vendors::load_catalog().unwrap();
        let lm = c.vendor("leadmetrics").unwrap();
        let base = Url::parse("https://lm.example.com/api/").unwrap();
        let login = internal(lm, &base, "/auth/v1/login", json!({})).unwrap();
        assert_eq!(login.method, Method::Post);
        assert_eq!(
            login.url.as_str(),
            "https://lm.example.com/api/auth/v1/login"
        );
        let e = internal(lm, &base, "/auth/v1/guess", json!({})).unwrap_err();
        assert_eq!(e.code, "internal");
    }

    #[test]
    fn body_fields_and_body_objects() {
        let r = build_for(
            "leadpanther_create_post",
            json!({"client_id": CLIENT, "text": "Hello", "status": "draft", "scheduled_at": null, "images": []}),
        )
        .unwrap();
        assert_eq!(
            r.body.unwrap(),
            json!({"text": "Hello", "status": "draft", "scheduled_at": null, "images": []})
        );
        let r = build_for(
            "leadpanther_create_lead_magnet",
            json!({"body": {"title": "Guide"}}),
        )
        .unwrap();
        assert_eq!(r.body.unwrap(), json!({"title": "Guide"}));
        assert_eq!(r.url.path(), "/api/v1/lead-magnets");
    }
}
