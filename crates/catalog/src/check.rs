//! The checks of a manifest's parts that build nothing: tool names,
//! arguments, argument rules, routes, bodies, the envelope, error rules and
//! resources. Each says what is wrong with the part it checks; `build`
//! calls them in order and names the place.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::error::{
    ArgumentProblem, Problem, RouteProblem, RuleProblem, SurfaceProblem, ToolProblem,
};
use crate::manifest::ParamManifest;
use crate::spec::{
    ArgumentRule, Envelope, ErrorRule, Location, MAX_TOOL_NAME, Param, PathTemplate,
    ResourceManifest, ToolSpec,
};
use crate::vocab::{JsonObject, Method};

/// `<vendor>_<verb>_<noun>`, snake_case, and short enough for every client.
pub(crate) fn tool_name(vendor: &str, name: &str) -> Result<(), ToolProblem> {
    let prefix = format!("{vendor}_");
    let words: Vec<&str> = name
        .strip_prefix(&prefix)
        .unwrap_or("")
        .split('_')
        .collect();
    let snake = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !name.starts_with(&prefix) || words.len() < 2 || words.iter().any(|w| w.is_empty()) || !snake
    {
        return Err(ToolProblem::Name {
            vendor: vendor.to_string(),
        });
    }
    if name.len() > MAX_TOOL_NAME {
        return Err(ToolProblem::NameTooLong { max: MAX_TOOL_NAME });
    }
    Ok(())
}

/// The JSON Schema keywords an argument may use: draft-07, and portable.
const SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "enum",
    "default",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
];

/// Where a sub-schema (`items`, a property) is a bare boolean, which strict
/// clients reject; `additionalProperties: false` stays allowed.
fn bare_boolean_schema(schema: &Value, at: &str) -> Option<String> {
    if let Some(items) = schema.get("items") {
        if items.is_boolean() {
            return Some(format!("{at}.items"));
        }
        if let Some(found) = bare_boolean_schema(items, &format!("{at}[]")) {
            return Some(found);
        }
    }
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let here = format!("{at}.{name}");
        if property.is_boolean() {
            return Some(here);
        }
        if let Some(found) = bare_boolean_schema(property, &here) {
            return Some(found);
        }
    }
    None
}

/// One argument's name, description and schema: portable JSON Schema, the
/// guide's pagination, and path values a route can carry.
pub(crate) fn argument(name: &str, def: &ParamManifest) -> Result<(), ArgumentProblem> {
    let snake_or_wire = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() || !snake_or_wire {
        return Err(ArgumentProblem::Name(name.to_string()));
    }
    if def.description.trim().is_empty() {
        return Err(ArgumentProblem::NoDescription(name.to_string()));
    }
    if !def.schema.contains_key("type") {
        return Err(ArgumentProblem::NoType(name.to_string()));
    }
    if let Some(key) = def
        .schema
        .keys()
        .find(|key| !SCHEMA_KEYWORDS.contains(&key.as_str()))
    {
        return Err(ArgumentProblem::Keyword {
            argument: name.to_string(),
            keyword: key.clone(),
        });
    }
    if let Some(at) = bare_boolean_schema(&Value::Object(def.schema.clone()), name) {
        return Err(ArgumentProblem::BareBoolean { at });
    }
    // The guide's pagination rule: limit/offset, bounded; never page/page_size.
    match name {
        "page" | "page_size" | "per_page" | "pageSize" => {
            return Err(ArgumentProblem::PagePagination(name.to_string()));
        }
        "limit" => {
            let bounded =
                def.schema.get("minimum").is_some() && def.schema.get("maximum").is_some();
            if !bounded {
                return Err(ArgumentProblem::UnboundedLimit);
            }
        }
        "offset" if def.schema.get("minimum") != Some(&json!(0)) => {
            return Err(ArgumentProblem::OffsetMinimum);
        }
        _ => {}
    }
    if def.location == Location::Path
        && def.schema.get("type") != Some(&json!("string"))
        && def.schema.get("type") != Some(&json!("integer"))
    {
        return Err(ArgumentProblem::PathType(name.to_string()));
    }
    // An integer id has the vendor's range, so the schema itself refuses an
    // id no vendor issues (e.g. 2^63, beyond what JSON parsers hold exactly).
    if def.location == Location::Path
        && def.schema.get("type") == Some(&json!("integer"))
        && (def.schema.get("minimum").is_none() || def.schema.get("maximum").is_none())
    {
        return Err(ArgumentProblem::PathIdRange(name.to_string()));
    }
    if def.location == Location::BodyObject && (def.schema.get("type") != Some(&json!("object"))) {
        return Err(ArgumentProblem::BodyObjectType(name.to_string()));
    }
    Ok(())
}

/// A rule may only name arguments the tool has (or properties of the
/// array items it applies to), and must ask for something.
pub(crate) fn rule(rule: &ArgumentRule, properties: &JsonObject) -> Result<(), RuleProblem> {
    let scope = match &rule.each {
        Some(array) => properties
            .get(array)
            .filter(|p| p.get("type") == Some(&json!("array")))
            .and_then(|p| p.pointer("/items/properties"))
            .and_then(Value::as_object)
            .ok_or_else(|| RuleProblem::Each(array.clone()))?,
        None => properties,
    };
    if rule.require.is_empty() && rule.any_of.is_empty() && rule.future.is_empty() {
        return Err(RuleProblem::Empty);
    }
    let mut named = rule
        .when
        .keys()
        .chain(rule.require.iter())
        .chain(rule.any_of.iter().flatten())
        .chain(rule.future.iter());
    match named.find(|name| !scope.contains_key(*name)) {
        Some(unknown) => Err(RuleProblem::UnknownArgument(unknown.clone())),
        None => Ok(()),
    }
}

/// Every placeholder is a path argument, every path argument is used, and the
/// only thing that selects the agency route is `client_id`.
pub(crate) fn routes(
    path: &PathTemplate,
    agency: Option<&PathTemplate>,
    params: &[Param],
) -> Result<(), RouteProblem> {
    let path_args: BTreeSet<&str> = params
        .iter()
        .filter(|p| p.location == Location::Path)
        .map(|p| p.name.as_str())
        .collect();
    let direct: BTreeSet<&str> = path.params().collect();
    for name in &direct {
        let Some(p) = params.iter().find(|p| p.name == *name) else {
            return Err(RouteProblem::NoArgument(name.to_string()));
        };
        if p.location != Location::Path || !p.required {
            return Err(RouteProblem::NotRequiredPath(name.to_string()));
        }
    }
    let mut used = direct.clone();
    if let Some(agency) = agency {
        let agency_params: BTreeSet<&str> = agency.params().collect();
        if !direct.is_subset(&agency_params) {
            return Err(RouteProblem::AgencyDropsPlaceholder);
        }
        let extra: Vec<&&str> = agency_params.difference(&direct).collect();
        if extra.as_slice() != [&"client_id"] {
            return Err(RouteProblem::AgencyExtra);
        }
        match params.iter().find(|p| p.name == "client_id") {
            Some(p) if p.location == Location::Path && !p.required => {}
            _ => return Err(RouteProblem::ClientIdNotOptional),
        }
        used.extend(agency_params);
    }
    match path_args.difference(&used).next() {
        Some(unused) => Err(RouteProblem::Unused(unused.to_string())),
        None => Ok(()),
    }
}

/// A body is one `body_object` at most, `body_required` needs one, and a GET
/// has none.
pub(crate) fn body(
    body_required: bool,
    method: Method,
    params: &[Param],
) -> Result<(), ToolProblem> {
    if params
        .iter()
        .filter(|p| p.location == Location::BodyObject)
        .count()
        > 1
    {
        return Err(ToolProblem::TwoBodyObjects);
    }
    let has_body = params
        .iter()
        .any(|p| matches!(p.location, Location::Body | Location::BodyObject));
    if body_required && !has_body {
        return Err(ToolProblem::BodyRequiredWithoutBody);
    }
    if has_body && method == Method::Get {
        return Err(ToolProblem::GetWithBody);
    }
    Ok(())
}

/// Cursor pagination needs both where the cursor is and what takes it back.
pub(crate) fn cursor(envelope: &Envelope) -> Result<(), Problem> {
    if envelope.next_cursor.is_empty() != envelope.cursor_arguments.is_empty() {
        return Err(Problem::CursorHalf);
    }
    Ok(())
}

/// The keys results already have, which a surfaced field can't take.
const RESULT_KEYS: &[&str] = &[
    "request_id",
    "note",
    "privacy_notice",
    "untrusted_content",
    "truncated",
    "next_offset",
    "next_page",
    "withheld",
    "error",
];

/// Surfaced fields have snake_case names of their own, pointers and a label.
pub(crate) fn surface(envelope: &Envelope) -> Result<(), SurfaceProblem> {
    let mut names = BTreeSet::new();
    for field in &envelope.surface {
        let snake = !field.name.is_empty()
            && field
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !snake || !names.insert(field.name.as_str()) {
            return Err(SurfaceProblem::Name(field.name.clone()));
        }
        if RESULT_KEYS.contains(&field.name.as_str()) {
            return Err(SurfaceProblem::Taken(field.name.clone()));
        }
        if field.pointers.is_empty() || field.pointers.iter().any(|p| !p.starts_with('/')) {
            return Err(SurfaceProblem::Pointers(field.name.clone()));
        }
        if field.label.trim().is_empty() {
            return Err(SurfaceProblem::Label(field.name.clone()));
        }
    }
    Ok(())
}

/// An error rule names only tools of its vendor.
pub(crate) fn error_rules(rules: &[ErrorRule], tools: &[ToolSpec]) -> Result<(), Problem> {
    let unknown = rules
        .iter()
        .flat_map(|rule| &rule.tools)
        .find(|name| !tools.iter().any(|t| &t.name == *name));
    match unknown {
        Some(name) => Err(Problem::ErrorRuleTool(name.clone())),
        None => Ok(()),
    }
}

/// A resource is the result of a read-only, argument-free, non-stream tool
/// of its vendor, under the vendor's URI scheme.
pub(crate) fn resources(
    vendor: &str,
    resources: &[ResourceManifest],
    tools: &[ToolSpec],
) -> Result<(), Problem> {
    for r in resources {
        let Some(tool) = tools.iter().find(|t| t.name == r.tool) else {
            return Err(Problem::ResourceTool {
                uri: r.uri.clone(),
                tool: r.tool.clone(),
            });
        };
        if !tool.read_only || tool.stream || tool.params.iter().any(|p| p.required) {
            return Err(Problem::ResourceNotPlainRead {
                uri: r.uri.clone(),
                tool: r.tool.clone(),
            });
        }
        if !r.uri.starts_with(&format!("{vendor}://")) {
            return Err(Problem::ResourceScheme {
                uri: r.uri.clone(),
                vendor: vendor.to_string(),
            });
        }
    }
    Ok(())
}
