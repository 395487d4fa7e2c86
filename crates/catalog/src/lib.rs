//! Embedded vendor manifests (`tools/*.toml`) → validated tool specs.
//!
//! A manifest is the whole documented surface of one vendor: its base URL, its
//! envelope, its error hints and one `[[tool]]` per documented route. Everything
//! here is checked when the catalog loads, at startup and in tests, so a bad
//! manifest never reaches a client.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value, json};

mod cli_row;
mod manifest;
mod spec;
pub mod vocab;

pub use crate::manifest::test_manifest;
use crate::manifest::{AuthManifest, GroupManifest, Manifest, ParamManifest, ToolManifest};
pub use crate::spec::{
    ArgumentRule, ConfirmKind, Envelope, ErrorRule, GroupSpec, InternalRoute, Location,
    MAX_TOOL_NAME, Param, PathPart, PathTemplate, RateLimit, RefusedHost, ResourceManifest,
    SurfaceField, ToolSpec, VendorSpec, index_by_name, split_group_id, stream_bounds,
};
use crate::vocab::Method;

/// The schema properties of [`stream_bounds`].
fn stream_controls() -> [(&'static str, Value); 2] {
    use stream_bounds::*;
    [
        (
            MAX_EVENTS_ARG,
            json!({
                "type": "integer", "minimum": 1, "maximum": EVENTS_CAP, "default": DEFAULT_EVENTS,
                "description": format!("Stop after this many events, 1-{EVENTS_CAP} (default {DEFAULT_EVENTS}).")
            }),
        ),
        (
            MAX_SECONDS_ARG,
            json!({
                "type": "integer", "minimum": 1, "maximum": SECONDS_CAP, "default": DEFAULT_SECONDS,
                "description": format!("Stop reading after this many seconds, 1-{SECONDS_CAP} (default {DEFAULT_SECONDS}).")
            }),
        ),
    ]
}

#[derive(Debug, thiserror::Error)]
#[error("manifest {vendor}: {message}")]
pub struct CatalogError {
    pub vendor: String,
    pub message: String,
}

fn err(vendor: &str, message: impl Into<String>) -> CatalogError {
    CatalogError {
        vendor: vendor.to_string(),
        message: message.into(),
    }
}

/// All vendors and tools the binary knows, before any selection.
#[derive(Debug)]
pub struct Catalog {
    pub vendors: Vec<Arc<VendorSpec>>,
    pub tools: Vec<Arc<ToolSpec>>,
}

impl Catalog {
    /// Reads and checks the manifests, each given with the vendor name it
    /// must declare.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, CatalogError> {
        let mut vendors = Vec::new();
        let mut tools = Vec::new();
        let mut names = BTreeSet::new();
        for (expected, text) in sources {
            let manifest: Manifest =
                toml::from_str(text).map_err(|e| err(expected, format!("not valid: {e}")))?;
            let (vendor, vendor_tools) = build_vendor(expected, manifest)?;
            for tool in &vendor_tools {
                if !names.insert(tool.name.clone()) {
                    return Err(err(
                        expected,
                        format!("tool {} is defined twice", tool.name),
                    ));
                }
            }
            vendors.push(Arc::new(vendor));
            tools.extend(vendor_tools.into_iter().map(Arc::new));
        }
        Ok(Self { vendors, tools })
    }

    pub fn vendor(&self, name: &str) -> Option<&Arc<VendorSpec>> {
        self.vendors.iter().find(|v| v.name == name)
    }

    pub fn tool(&self, name: &str) -> Option<&Arc<ToolSpec>> {
        self.tools.iter().find(|t| t.name == name)
    }
}

fn build_vendor(expected: &str, m: Manifest) -> Result<(VendorSpec, Vec<ToolSpec>), CatalogError> {
    let v = &m.vendor;
    if v.name != expected {
        return Err(err(expected, format!("vendor.name is {:?}", v.name)));
    }
    let mut groups = BTreeMap::new();
    for (name, group) in m.groups {
        let spec = match group {
            GroupManifest::Description(description) => GroupSpec {
                description,
                privileged: false,
            },
            GroupManifest::Full {
                description,
                privileged,
            } => GroupSpec {
                description,
                privileged,
            },
        };
        groups.insert(name, spec);
    }
    if v.envelope.next_cursor.is_empty() != v.envelope.cursor_arguments.is_empty() {
        return Err(err(
            expected,
            "envelope: next_cursor and cursor_arguments go together",
        ));
    }
    let mut tools = Vec::new();
    for t in &m.tools {
        let tool = build_tool(
            &v.name,
            t,
            &m.params,
            &groups,
            &v.auth_kinds,
            &v.secret_fields,
        )
        .map_err(|e| err(expected, format!("tool {}: {e}", t.name)))?;
        tools.push(tool);
    }
    for rule in &v.errors {
        for name in &rule.tools {
            if !tools.iter().any(|t| &t.name == name) {
                return Err(err(
                    expected,
                    format!("error rule names unknown tool {name}"),
                ));
            }
        }
    }
    for r in &m.resources {
        let Some(tool) = tools.iter().find(|t| t.name == r.tool) else {
            return Err(err(
                expected,
                format!("resource {} names unknown tool {}", r.uri, r.tool),
            ));
        };
        if !tool.read_only || tool.stream || tool.params.iter().any(|p| p.required) {
            return Err(err(
                expected,
                format!(
                    "resource {}: tool {} must be a read-only, argument-free request (not a stream)",
                    r.uri, r.tool
                ),
            ));
        }
        if !r.uri.starts_with(&format!("{}://", v.name)) {
            return Err(err(
                expected,
                format!("resource {} must use the {}:// scheme", r.uri, v.name),
            ));
        }
    }
    check_surface(&v.envelope).map_err(|e| err(expected, e))?;
    let mut rate_limits = Vec::new();
    for r in &v.rate_limits {
        let methods = r
            .methods
            .iter()
            .map(|m| {
                Method::parse(m)
                    .ok_or_else(|| err(expected, format!("rate_limit: unknown method {m}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if methods.is_empty() || r.requests == 0 || r.per_seconds == 0 {
            return Err(err(
                expected,
                "rate_limit needs methods, requests > 0 and per_seconds > 0",
            ));
        }
        rate_limits.push(RateLimit {
            methods,
            requests: r.requests,
            window: std::time::Duration::from_secs(r.per_seconds),
        });
    }
    let spec = VendorSpec {
        name: v.name.clone(),
        title: v.title.clone(),
        doc: v.doc.clone(),
        base_url: v.base_url.clone(),
        base_url_env: v.base_url_env.clone(),
        instructions: v.instructions.trim().to_string(),
        refused_hosts: v.refused_hosts.clone(),
        envelope: v.envelope.clone(),
        errors: v.errors.clone(),
        rate_limits,
        secret_fields: v.secret_fields.clone(),
        groups,
        resources: m.resources,
        internal_routes: m.internal_routes,
        auth_kinds: v.auth_kinds.clone(),
    };
    Ok((spec, tools))
}

fn build_tool(
    vendor: &str,
    t: &ToolManifest,
    shared: &BTreeMap<String, ParamManifest>,
    groups: &BTreeMap<String, GroupSpec>,
    vendor_auth_kinds: &[String],
    vendor_secrets: &[String],
) -> Result<ToolSpec, String> {
    check_tool_name(vendor, &t.name)?;
    if !groups.contains_key(&t.group) {
        return Err(format!("group {:?} is not declared in [groups]", t.group));
    }
    if t.description.trim().is_empty() || t.title.trim().is_empty() {
        return Err("title and description must not be empty".into());
    }
    let method = Method::parse(&t.method).ok_or_else(|| format!("unknown method {}", t.method))?;
    let path = PathTemplate::parse(&t.path)?;
    let agency_path = t
        .agency_path
        .as_deref()
        .map(PathTemplate::parse)
        .transpose()?;

    // Collect the arguments: shared ones first, in the order `use` lists them.
    let mut defs: Vec<(String, ParamManifest)> = Vec::new();
    for key in &t.uses {
        let def = shared
            .get(key)
            .ok_or_else(|| format!("uses unknown shared param {key:?}"))?;
        let name = def.name.clone().unwrap_or_else(|| key.clone());
        defs.push((name, def.clone()));
    }
    for (key, def) in &t.params {
        let name = def.name.clone().unwrap_or_else(|| key.clone());
        defs.push((name, def.clone()));
    }
    let mut seen = BTreeSet::new();
    for (name, _) in &defs {
        if !seen.insert(name.clone()) {
            return Err(format!("argument {name:?} is declared twice"));
        }
    }
    for name in &t.required {
        if !seen.contains(name) {
            return Err(format!("`required` names unknown argument {name:?}"));
        }
    }

    let mut params = Vec::new();
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, def) in &defs {
        let is_required = def.required || t.required.contains(name);
        check_param(name, def, is_required)?;
        let mut schema = def.schema.clone();
        schema.insert("description".into(), Value::String(def.description.clone()));
        if !def.required_fields.is_empty() {
            let declared = schema.get("properties").and_then(Value::as_object);
            for field in &def.required_fields {
                if !declared.is_some_and(|p| p.contains_key(field)) {
                    return Err(format!(
                        "argument {name}: required field {field:?} is not one of its properties"
                    ));
                }
            }
            schema.insert("required".into(), json!(def.required_fields));
        }
        properties.insert(name.clone(), Value::Object(schema));
        if is_required {
            required.push(Value::String(name.clone()));
        }
        params.push(Param {
            name: name.clone(),
            location: def.location,
            required: is_required,
        });
    }

    check_routes(&path, agency_path.as_ref(), &params)?;
    if t.stream {
        if method != Method::Get {
            return Err("a stream tool reads an event stream: its method must be GET".into());
        }
        // The bounds of the read: this server's arguments, never sent upstream.
        for (name, schema) in stream_controls() {
            if properties.insert(name.to_string(), schema).is_some() {
                return Err(format!(
                    "argument {name} is reserved for stream tools' read bounds"
                ));
            }
        }
    }
    for rule in &t.rules {
        check_rule(rule, &properties)?;
    }
    if params
        .iter()
        .filter(|p| p.location == Location::BodyObject)
        .count()
        > 1
    {
        return Err("at most one body_object argument".into());
    }
    let has_body = params
        .iter()
        .any(|p| matches!(p.location, Location::Body | Location::BodyObject));
    if t.body_required && !has_body {
        return Err("body_required without body arguments".into());
    }
    if has_body && method == Method::Get {
        return Err("GET routes take no body".into());
    }

    // Annotations: GET is read-only; DELETE is destructive; the manifest may
    // only make a tool more careful than its method suggests, or mark a
    // documented read (e.g. a POST search) as read-only.
    let read_only = match (method, t.read_only) {
        (Method::Get, Some(false)) => {
            return Err("a GET tool cannot be marked read_only = false".into());
        }
        (Method::Get, _) => true,
        (_, Some(v)) => v,
        _ => false,
    };
    let destructive = match (method, t.destructive) {
        (Method::Delete, Some(false)) => {
            return Err("a DELETE tool cannot be marked destructive = false".into());
        }
        (_, Some(v)) => v,
        (m, None) => m == Method::Delete,
    };
    if read_only && (destructive || t.confirm.is_some()) {
        return Err("a read-only tool cannot be destructive or need confirmation".into());
    }
    let (auth, auth_kinds) = match &t.auth {
        AuthManifest::Needed(needed) => (*needed, Vec::new()),
        AuthManifest::Kinds(kinds) => {
            if kinds.is_empty() {
                return Err(
                    "auth = [] accepts nothing; write auth = false for a public route".into(),
                );
            }
            if let Some(unknown) = kinds.iter().find(|k| !vendor_auth_kinds.contains(k)) {
                return Err(format!(
                    "auth names {unknown:?}, not one of the vendor's auth_kinds {vendor_auth_kinds:?}"
                ));
            }
            (true, kinds.clone())
        }
    };
    if read_only && t.ends_session {
        return Err("a tool that ends the session is not read-only".into());
    }
    let idempotent = t
        .idempotent
        .unwrap_or(matches!(method, Method::Get | Method::Put | Method::Delete));

    let min_properties = stated_minimum(t, &params, &properties)?;
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    if let Some(min) = min_properties {
        schema.insert("minProperties".into(), json!(min));
    }
    schema.insert("additionalProperties".into(), Value::Bool(false));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        // Draft 7 has no `uuid` format; ids like LeadPanther's clientId need one.
        .with_format("uuid", is_uuid)
        .build(&Value::Object(schema.clone()))
        .map_err(|e| format!("input schema is not valid JSON Schema: {e}"))?;

    Ok(ToolSpec {
        name: t.name.clone(),
        vendor: vendor.to_string(),
        group: t.group.clone(),
        title: t.title.clone(),
        description: t.description.trim().to_string(),
        method,
        path,
        agency_path,
        scope: t.scope.clone(),
        params,
        query_const: t.query_const.clone().into_iter().collect(),
        body_required: t.body_required,
        rules: t.rules.clone(),
        read_only,
        destructive,
        idempotent,
        confirm: t.confirm,
        privacy: t.privacy.clone(),
        untrusted: t.untrusted,
        auth,
        auth_kinds,
        secret_fields: vendor_secrets
            .iter()
            .chain(&t.secret_fields)
            .cloned()
            .collect(),
        stream: t.stream,
        ends_session: t.ends_session,
        text_answer: t.text_answer,
        privileged: groups.get(&t.group).is_some_and(|g| g.privileged),
        input_schema: Arc::new(schema),
        validator,
    })
}

/// "Give at least one field" in the schema, where a portable schema can
/// say it (the server checks it too, with a clearer message):
/// - a `body_required` tool whose body is one `body_object` argument must
///   give that object `minProperties = 1`;
/// - when the fields of which at least one is needed (the body of a
///   `body_required` tool, or an unconditional `any_of` rule of single
///   arguments) are exactly the optional arguments, the input itself gets
///   `minProperties` = its required arguments + 1: with no other properties
///   allowed, that is the same rule.
fn stated_minimum(
    t: &ToolManifest,
    params: &[Param],
    properties: &Map<String, Value>,
) -> Result<Option<usize>, String> {
    let is_body = |p: &Param| matches!(p.location, Location::Body | Location::BodyObject);
    let mut at_least_one: Vec<BTreeSet<&str>> = Vec::new();
    if t.body_required {
        let body: Vec<&Param> = params.iter().filter(|p| is_body(p)).collect();
        if let [only] = body.as_slice()
            && only.location == Location::BodyObject
        {
            let min = properties
                .get(&only.name)
                .and_then(|p| p.get("minProperties"))
                .and_then(Value::as_u64);
            if min.is_none_or(|m| m < 1) {
                return Err(format!(
                    "body_required: give the body_object argument {} minProperties = 1, so its schema says it",
                    only.name
                ));
            }
        }
        at_least_one.push(body.iter().map(|p| p.name.as_str()).collect());
    }
    for rule in &t.rules {
        let plain = rule.when.is_empty()
            && rule.each.is_none()
            && rule.require.is_empty()
            && rule.future.is_empty();
        if plain && rule.any_of.iter().all(|group| group.len() == 1) {
            at_least_one.push(rule.any_of.iter().flatten().map(String::as_str).collect());
        }
    }
    if t.stream {
        return Ok(None);
    }
    let optional: BTreeSet<&str> = params
        .iter()
        .filter(|p| !p.required)
        .map(|p| p.name.as_str())
        .collect();
    let required = params.len() - optional.len();
    Ok(at_least_one
        .iter()
        .any(|names| !names.is_empty() && *names == optional)
        .then_some(required + 1))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn check_tool_name(vendor: &str, name: &str) -> Result<(), String> {
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
        return Err(format!("name must be {vendor}_<verb>_<noun> in snake_case"));
    }
    if name.len() > MAX_TOOL_NAME {
        return Err(format!("name is longer than {MAX_TOOL_NAME} characters"));
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

fn check_param(name: &str, def: &ParamManifest, required: bool) -> Result<(), String> {
    let snake_or_wire = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() || !snake_or_wire {
        return Err(format!("argument name {name:?} must be alphanumeric"));
    }
    if def.description.trim().is_empty() {
        return Err(format!("argument {name} has no description"));
    }
    if !def.schema.contains_key("type") {
        return Err(format!("argument {name} has no type"));
    }
    for key in def.schema.keys() {
        if !SCHEMA_KEYWORDS.contains(&key.as_str()) {
            return Err(format!(
                "argument {name}: `{key}` is not an allowed schema keyword (no combinators or references: they are not portable across clients)"
            ));
        }
    }
    if let Some(at) = bare_boolean_schema(&Value::Object(def.schema.clone()), name) {
        return Err(format!(
            "{at}: a bare `true`/`false` where a schema object belongs is not portable; write the schema"
        ));
    }
    // The guide's pagination rule: limit/offset, bounded; never page/page_size.
    match name {
        "page" | "page_size" | "per_page" | "pageSize" => {
            return Err(format!("argument {name}: use limit/offset pagination"));
        }
        "limit" => {
            let bounded =
                def.schema.get("minimum").is_some() && def.schema.get("maximum").is_some();
            if !bounded {
                return Err("limit needs a minimum and a maximum".into());
            }
        }
        "offset" if def.schema.get("minimum") != Some(&json!(0)) => {
            return Err("offset needs minimum = 0".into());
        }
        _ => {}
    }
    if def.location == Location::Path
        && def.schema.get("type") != Some(&json!("string"))
        && def.schema.get("type") != Some(&json!("integer"))
    {
        return Err(format!(
            "path argument {name} must be a string or an integer"
        ));
    }
    // An integer id has the vendor's range, so the schema itself refuses an
    // id no vendor issues (e.g. 2^63, beyond what JSON parsers hold exactly).
    if def.location == Location::Path
        && def.schema.get("type") == Some(&json!("integer"))
        && (def.schema.get("minimum").is_none() || def.schema.get("maximum").is_none())
    {
        return Err(format!(
            "integer path argument {name} needs a minimum and a maximum (the vendor's id range)"
        ));
    }
    if def.location == Location::BodyObject && (def.schema.get("type") != Some(&json!("object"))) {
        return Err(format!("body_object argument {name} must be an object"));
    }
    let _ = required;
    Ok(())
}

/// A rule may only name arguments the tool has (or properties of the
/// array items it applies to), and must ask for something.
fn check_rule(rule: &ArgumentRule, properties: &Map<String, Value>) -> Result<(), String> {
    let scope = match &rule.each {
        Some(array) => properties
            .get(array)
            .filter(|p| p.get("type") == Some(&json!("array")))
            .and_then(|p| p.pointer("/items/properties"))
            .and_then(Value::as_object)
            .ok_or_else(|| {
                format!("rule: `each` names {array:?}, not an array of objects with properties")
            })?,
        None => properties,
    };
    if rule.require.is_empty() && rule.any_of.is_empty() && rule.future.is_empty() {
        return Err("rule: give `require`, `any_of` or `future`".into());
    }
    let named = rule
        .when
        .keys()
        .chain(rule.require.iter())
        .chain(rule.any_of.iter().flatten())
        .chain(rule.future.iter());
    for name in named {
        if !scope.contains_key(name) {
            return Err(format!("rule names unknown argument {name:?}"));
        }
    }
    Ok(())
}

/// Every placeholder is a path argument, every path argument is used, and the
/// only thing that selects the agency route is `client_id`.
fn check_routes(
    path: &PathTemplate,
    agency: Option<&PathTemplate>,
    params: &[Param],
) -> Result<(), String> {
    let path_args: BTreeSet<&str> = params
        .iter()
        .filter(|p| p.location == Location::Path)
        .map(|p| p.name.as_str())
        .collect();
    let direct: BTreeSet<&str> = path.params().collect();
    for name in &direct {
        let Some(p) = params.iter().find(|p| p.name == *name) else {
            return Err(format!("path placeholder {{{name}}} has no argument"));
        };
        if p.location != Location::Path || !p.required {
            return Err(format!(
                "path placeholder {{{name}}} needs a required path argument"
            ));
        }
    }
    let mut used = direct.clone();
    if let Some(agency) = agency {
        let agency_params: BTreeSet<&str> = agency.params().collect();
        if !direct.is_subset(&agency_params) {
            return Err("agency_path must keep every placeholder of path".into());
        }
        let extra: Vec<&&str> = agency_params.difference(&direct).collect();
        if extra.as_slice() != [&"client_id"] {
            return Err("agency_path must add exactly the {client_id} placeholder".into());
        }
        match params.iter().find(|p| p.name == "client_id") {
            Some(p) if p.location == Location::Path && !p.required => {}
            _ => {
                return Err(
                    "client_id must be an optional path argument when agency_path is set".into(),
                );
            }
        }
        used.extend(agency_params);
    }
    if let Some(unused) = path_args.difference(&used).next() {
        return Err(format!("path argument {unused} appears in no path"));
    }
    Ok(())
}

/// Surfaced fields have snake_case names of their own, pointers and a label.
fn check_surface(envelope: &Envelope) -> Result<(), String> {
    let mut names = BTreeSet::new();
    for field in &envelope.surface {
        let snake = !field.name.is_empty()
            && field
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !snake || !names.insert(field.name.as_str()) {
            return Err(format!(
                "envelope.surface: {:?} must be a snake_case name, used once",
                field.name
            ));
        }
        if [
            "request_id",
            "note",
            "privacy_notice",
            "untrusted_content",
            "truncated",
            "next_offset",
            "next_page",
            "withheld",
            "error",
        ]
        .contains(&field.name.as_str())
        {
            return Err(format!(
                "envelope.surface: {} is a name results already use",
                field.name
            ));
        }
        if field.pointers.is_empty() || field.pointers.iter().any(|p| !p.starts_with('/')) {
            return Err(format!(
                "envelope.surface.{}: give JSON pointers starting with '/'",
                field.name
            ));
        }
        if field.label.trim().is_empty() {
            return Err(format!("envelope.surface.{}: give a label", field.name));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `test_manifest` with a `things` group and a shared `limit`.
    fn minimal(tool: &str) -> String {
        test_manifest(
            "",
            &format!(
                "[groups]\nthings = \"Things\"\n[params.limit]\nin = \"query\"\ntype = \"integer\"\nminimum = 1\nmaximum = 100\ndescription = \"Page size.\"\n{tool}"
            ),
        )
    }

    fn load(tool: &str) -> Result<Catalog, CatalogError> {
        let text = minimal(tool);
        Catalog::from_sources([("acme", text.as_str())])
    }

    #[test]
    fn a_valid_tool_loads() {
        let c = load(
            r#"
[[tool]]
name = "acme_list_things"
title = "List things"
group = "things"
description = "List things."
method = "GET"
path = "/things"
use = ["limit"]
"#,
        )
        .unwrap();
        let t = c.tool("acme_list_things").unwrap();
        assert_eq!(t.input_schema["properties"]["limit"]["maximum"], 100);
        assert_eq!(t.input_schema["additionalProperties"], false);
    }

    #[test]
    fn page_pagination_is_refused() {
        let e = load(
            r#"
[[tool]]
name = "acme_list_things"
title = "List things"
group = "things"
description = "List things."
method = "GET"
path = "/things"
[tool.params.page]
in = "query"
type = "integer"
description = "Page."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("limit/offset"), "{e}");
    }

    #[test]
    fn unbounded_limit_is_refused() {
        let e = load(
            r#"
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
description = "Page size."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("maximum"), "{e}");
    }

    #[test]
    fn placeholder_without_argument_is_refused() {
        let e = load(
            r#"
[[tool]]
name = "acme_get_thing"
title = "Get thing"
group = "things"
description = "Get a thing."
method = "GET"
path = "/things/{id}"
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("{id}"), "{e}");
    }

    #[test]
    fn agency_path_must_only_add_client_id() {
        let e = load(
            r#"
[[tool]]
name = "acme_get_thing"
title = "Get thing"
group = "things"
description = "Get a thing."
method = "GET"
path = "/things"
agency_path = "/tenants/{tenant}/things"
[tool.params.tenant]
in = "path"
type = "string"
description = "Tenant."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("client_id"), "{e}");
    }

    #[test]
    fn get_cannot_claim_to_write_and_delete_is_destructive() {
        let e = load(
            r#"
[[tool]]
name = "acme_get_thing"
title = "Get"
group = "things"
description = "Get."
method = "GET"
path = "/things"
read_only = false
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("read_only"), "{e}");
        let c = load(
            r#"
[[tool]]
name = "acme_delete_things"
title = "Delete"
group = "things"
description = "Delete."
method = "DELETE"
path = "/things"
"#,
        )
        .unwrap();
        let t = c.tool("acme_delete_things").unwrap();
        assert!(t.destructive && !t.read_only && t.idempotent);
    }

    #[test]
    fn bad_names_are_refused() {
        for name in [
            "acme_things",
            "other_list_things",
            "acme_List_things",
            &format!("acme_list_{}", "x".repeat(70)),
        ] {
            let tool = format!(
                "[[tool]]\nname = \"{name}\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n"
            );
            assert!(load(&tool).is_err(), "{name} was accepted");
        }
    }

    #[test]
    fn undescribed_or_untyped_arguments_are_refused() {
        let e = load(
            r#"
[[tool]]
name = "acme_list_things"
title = "List"
group = "things"
description = "List."
method = "GET"
path = "/things"
[tool.params.q]
in = "query"
description = "Query."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("no type"), "{e}");
    }

    #[test]
    fn surfaced_fields_are_checked() {
        let with = |surface: &str| {
            let text = test_manifest(
                surface,
                "[groups]\nthings = \"Things\"\n[[tool]]\nname = \"acme_get_thing\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n",
            );
            Catalog::from_sources([("acme", text.as_str())])
        };
        let ok = with(
            "[[vendor.envelope.surface]]\nname = \"credits_used\"\npointers = [\"/meta/credits_used\"]\nlabel = \"credits used\"",
        )
        .unwrap();
        let v = ok.vendor("acme").unwrap();
        assert_eq!(v.envelope.surface[0].name, "credits_used");
        for bad in [
            "name = \"Credits\"\npointers = [\"/c\"]\nlabel = \"c\"",
            "name = \"request_id\"\npointers = [\"/c\"]\nlabel = \"c\"",
            "name = \"c\"\npointers = [\"c\"]\nlabel = \"c\"",
            "name = \"c\"\npointers = []\nlabel = \"c\"",
            "name = \"c\"\npointers = [\"/c\"]\nlabel = \" \"",
        ] {
            let e = with(&format!("[[vendor.envelope.surface]]\n{bad}")).unwrap_err();
            assert!(e.message.contains("envelope.surface"), "{e}");
        }
    }

    #[test]
    fn auth_kinds_must_be_the_vendors() {
        let with_kinds = |auth: &str| {
            let text = minimal(&format!(
                "[[tool]]\nname = \"acme_list_things\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n{auth}\n"
            ))
            .replace("[groups]", "auth_kinds = [\"jwt\", \"api_key\"]\n[groups]");
            Catalog::from_sources([("acme", text.as_str())])
        };
        let c = with_kinds("auth = [\"api_key\"]").unwrap();
        let t = c.tool("acme_list_things").unwrap();
        assert!(t.auth);
        assert_eq!(t.auth_kinds, ["api_key"]);
        let c = with_kinds("auth = false").unwrap();
        let t = c.tool("acme_list_things").unwrap();
        assert!(!t.auth && t.auth_kinds.is_empty());
        let c = with_kinds("").unwrap();
        let t = c.tool("acme_list_things").unwrap();
        assert!(t.auth && t.auth_kinds.is_empty());
        let e = with_kinds("auth = [\"cookie\"]").unwrap_err();
        assert!(e.message.contains("cookie"), "{e}");
        assert!(with_kinds("auth = []").is_err());
    }

    #[test]
    fn envelope_items_may_be_one_pointer_or_several() {
        let text = minimal(
            "[[tool]]\nname = \"acme_list_things\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n",
        );
        let one = text.replace(
            "[groups]",
            "[vendor.envelope]\nitems = \"/results\"\n[groups]",
        );
        let c = Catalog::from_sources([("acme", one.as_str())]).unwrap();
        let env = &c.vendor("acme").unwrap().envelope;
        assert_eq!(env.items_pointer(&json!({})), "/results");
        let many = text.replace(
            "[groups]",
            "[vendor.envelope]\nitems = [\"/clients\", \"/leads\"]\nnext_cursor = [\"/nextToken\"]\ncursor_arguments = [\"nextToken\"]\n[groups]",
        );
        let c = Catalog::from_sources([("acme", many.as_str())]).unwrap();
        let env = &c.vendor("acme").unwrap().envelope;
        assert_eq!(
            env.items_pointer(&json!({"leads": [], "clients": 1})),
            "/leads"
        );
        assert_eq!(env.items_pointer(&json!({})), "/clients");
        assert_eq!(env.next_cursor(&json!({"nextToken": "t1"})), Some("t1"));
        assert_eq!(env.next_cursor(&json!({"nextToken": ""})), None);
        assert_eq!(env.next_cursor(&json!({"nextToken": null})), None);
        assert_eq!(Envelope::default().items_pointer(&json!({})), "/data");
        let half = text.replace(
            "[groups]",
            "[vendor.envelope]\nnext_cursor = [\"/nextToken\"]\n[groups]",
        );
        assert!(Catalog::from_sources([("acme", half.as_str())]).is_err());
    }

    #[test]
    fn rate_limits_are_read_and_checked() {
        let with = |rule: &str| {
            let text = test_manifest(
                &format!("[[vendor.rate_limit]]\n{rule}"),
                "[groups]\nthings = \"Things\"\n[[tool]]\nname = \"acme_list_things\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n",
            );
            Catalog::from_sources([("acme", text.as_str())]).map(|c| {
                c.vendors[0]
                    .rate_limits
                    .iter()
                    .map(|r| r.describe())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            with("methods = [\"GET\", \"POST\"]\nrequests = 5\nper_seconds = 1").unwrap(),
            ["5 GET/POST requests per 1 s"]
        );
        assert!(with("methods = [\"FETCH\"]\nrequests = 5\nper_seconds = 1").is_err());
        assert!(with("methods = [\"GET\"]\nrequests = 0\nper_seconds = 1").is_err());
        assert!(with("methods = []\nrequests = 5\nper_seconds = 1").is_err());
    }

    #[test]
    fn stream_tools_get_capped_read_bounds_and_must_be_gets() {
        let c = load(
            r#"
[[tool]]
name = "acme_stream_events"
title = "Events"
group = "things"
description = "Events."
method = "GET"
path = "/events/stream"
stream = true
"#,
        )
        .unwrap();
        let t = c.tool("acme_stream_events").unwrap();
        assert!(t.stream && t.read_only);
        let props = &t.input_schema["properties"];
        assert_eq!(props["max_events"]["maximum"], stream_bounds::EVENTS_CAP);
        assert_eq!(props["max_seconds"]["maximum"], stream_bounds::SECONDS_CAP);
        assert!(
            t.validator
                .is_valid(&json!({"max_events": 5, "max_seconds": 2}))
        );
        assert!(!t.validator.is_valid(&json!({"max_events": 100_000})));
        assert!(!t.validator.is_valid(&json!({"max_seconds": 0})));
        assert!(t.params.is_empty(), "read bounds are never sent upstream");

        let e = load(
            r#"
[[tool]]
name = "acme_stream_events"
title = "Events"
group = "things"
description = "Events."
method = "POST"
path = "/events/stream"
stream = true
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("GET"), "{e}");
        let e = load(
            r#"
[[tool]]
name = "acme_stream_events"
title = "Events"
group = "things"
description = "Events."
method = "GET"
path = "/events/stream"
stream = true
[tool.params.max_events]
in = "query"
type = "integer"
description = "Mine."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("reserved"), "{e}");
    }

    #[test]
    fn object_arguments_can_require_fields() {
        let c = load(
            r#"
[[tool]]
name = "acme_resolve_thing"
title = "Resolve"
group = "things"
description = "Resolve."
method = "POST"
path = "/things/resolve"
[tool.params.body]
in = "body_object"
type = "object"
required = true
required_fields = ["decision"]
description = "Body."
properties.decision = { type = "string", enum = ["approve", "reject"], description = "D." }
"#,
        )
        .unwrap();
        let t = c.tool("acme_resolve_thing").unwrap();
        assert_eq!(t.input_schema["required"], json!(["body"]));
        assert_eq!(
            t.input_schema["properties"]["body"]["required"],
            json!(["decision"])
        );
        assert!(
            t.validator
                .is_valid(&json!({"body": {"decision": "approve"}}))
        );
        assert!(!t.validator.is_valid(&json!({"body": {}})));
        let e = load(
            r#"
[[tool]]
name = "acme_resolve_thing"
title = "Resolve"
group = "things"
description = "Resolve."
method = "POST"
path = "/things/resolve"
[tool.params.body]
in = "body_object"
type = "object"
required_fields = ["nope"]
description = "Body."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("nope"), "{e}");
    }

    #[test]
    fn session_ending_tools_are_writes_and_privilege_comes_from_the_group() {
        let e = load(
            r#"
[[tool]]
name = "acme_get_logout"
title = "Logout"
group = "things"
description = "Logout."
method = "GET"
path = "/logout"
ends_session = true
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("session"), "{e}");
    }

    #[test]
    fn bare_boolean_sub_schemas_are_refused() {
        for schema in [
            "type = \"array\"\nitems = true",
            "type = \"object\"\nproperties = { a = false }",
            "type = \"array\"\nitems = { type = \"object\", properties = { a = true } }",
        ] {
            let tool = format!(
                "[[tool]]\nname = \"acme_create_thing\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"POST\"\npath = \"/things\"\n[tool.params.x]\nin = \"body\"\ndescription = \"X.\"\n{schema}\n"
            );
            let e = load(&tool).unwrap_err();
            assert!(e.message.contains("bare"), "{schema}: {e}");
        }
        let ok = "[[tool]]\nname = \"acme_create_thing\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"POST\"\npath = \"/things\"\n[tool.params.x]\nin = \"body\"\ndescription = \"X.\"\ntype = \"object\"\nadditionalProperties = false\n";
        assert!(load(ok).is_ok());
    }

    #[test]
    fn body_required_objects_must_say_min_properties() {
        let e = load(
            r#"
[[tool]]
name = "acme_update_thing"
title = "Update"
group = "things"
description = "Update."
method = "PATCH"
path = "/things"
body_required = true
[tool.params.body]
in = "body_object"
type = "object"
required = true
description = "Body."
"#,
        )
        .unwrap_err();
        assert!(e.message.contains("minProperties = 1"), "{e}");
    }

    #[test]
    fn integer_path_ids_need_a_range() {
        let tool = |bounds: &str| {
            format!(
                "[[tool]]\nname = \"acme_get_thing\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things/{{id}}\"\n[tool.params.id]\nin = \"path\"\ntype = \"integer\"\nrequired = true\ndescription = \"Id.\"\n{bounds}\n"
            )
        };
        for bounds in ["", "minimum = 1", "maximum = 9007199254740991"] {
            let e = load(&tool(bounds)).unwrap_err();
            assert!(e.message.contains("minimum and a maximum"), "{bounds}: {e}");
        }
        let c = load(&tool("minimum = 1\nmaximum = 9007199254740991")).unwrap();
        let t = c.tool("acme_get_thing").unwrap();
        assert!(
            t.validator
                .is_valid(&json!({"id": 9_007_199_254_740_991_u64}))
        );
        assert!(
            !t.validator
                .is_valid(&json!({"id": 9_007_199_254_740_992_u64}))
        );
    }

    #[test]
    fn unsafe_literal_paths_are_refused() {
        for path in ["/a/../b", "/a//b", "/a?b=1", "things"] {
            assert!(PathTemplate::parse(path).is_err(), "{path}");
        }
        assert!(PathTemplate::parse("").is_ok());
    }
}
