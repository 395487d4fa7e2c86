//! One vendor's manifest → its checked specs: the vendor, and one tool spec
//! per `[[tool]]` with its input schema, annotations, credentials and
//! validator. Every check runs here (those that build nothing are in
//! `check`), in a fixed order, and the first problem found is the
//! answer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::check;
use crate::error::{ArgumentProblem, Problem, ToolProblem};
use crate::manifest::{
    AuthManifest, GroupManifest, Manifest, ParamManifest, RateLimitManifest, ToolManifest,
};
use crate::spec::{
    GroupSpec, Location, Param, PathTemplate, RateLimit, ToolSpec, VendorSpec, stream_bounds,
};
use crate::vocab::{JsonObject, Method};

/// The vendor and its tools, checked, from the manifest given under the
/// name `expected`.
pub(crate) fn vendor(expected: &str, m: Manifest) -> Result<(VendorSpec, Vec<ToolSpec>), Problem> {
    let v = m.vendor;
    if v.name != expected {
        return Err(Problem::VendorName(v.name));
    }
    let groups = groups(m.groups);
    check::cursor(&v.envelope)?;
    let context = VendorContext {
        name: &v.name,
        shared: &m.params,
        groups: &groups,
        auth_kinds: &v.auth_kinds,
        secret_fields: &v.secret_fields,
    };
    let tools = m
        .tools
        .iter()
        .map(|t| {
            tool(&context, t).map_err(|problem| Problem::Tool {
                tool: t.name.clone(),
                problem,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check::error_rules(&v.errors, &tools)?;
    check::resources(&v.name, &m.resources, &tools)?;
    check::surface(&v.envelope)?;
    let rate_limits = rate_limits(&v.rate_limits)?;
    let spec = VendorSpec {
        name: v.name,
        title: v.title,
        doc: v.doc,
        base_url: v.base_url,
        base_url_env: v.base_url_env,
        instructions: v.instructions.trim().to_string(),
        refused_hosts: v.refused_hosts,
        envelope: v.envelope,
        errors: v.errors,
        rate_limits,
        secret_fields: v.secret_fields,
        groups,
        resources: m.resources,
        internal_routes: m.internal_routes,
        auth_kinds: v.auth_kinds,
    };
    Ok((spec, tools))
}

fn groups(groups: BTreeMap<String, GroupManifest>) -> BTreeMap<String, GroupSpec> {
    groups
        .into_iter()
        .map(|(name, group)| {
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
            (name, spec)
        })
        .collect()
}

fn rate_limits(rules: &[RateLimitManifest]) -> Result<Vec<RateLimit>, Problem> {
    rules
        .iter()
        .map(|r| {
            let methods = r
                .methods
                .iter()
                .map(|m| Method::parse(m).ok_or_else(|| Problem::RateLimitMethod(m.clone())))
                .collect::<Result<Vec<_>, _>>()?;
            if methods.is_empty() || r.requests == 0 || r.per_seconds == 0 {
                return Err(Problem::RateLimitBounds);
            }
            Ok(RateLimit {
                methods,
                requests: r.requests,
                window: Duration::from_secs(r.per_seconds),
            })
        })
        .collect()
}

/// What a tool takes from the rest of its vendor's manifest.
struct VendorContext<'m> {
    name: &'m str,
    /// `[params]`, the arguments tools share through `use`.
    shared: &'m BTreeMap<String, ParamManifest>,
    groups: &'m BTreeMap<String, GroupSpec>,
    auth_kinds: &'m [String],
    secret_fields: &'m [String],
}

fn tool(vendor: &VendorContext<'_>, t: &ToolManifest) -> Result<ToolSpec, ToolProblem> {
    check::tool_name(vendor.name, &t.name)?;
    let Some(group) = vendor.groups.get(&t.group) else {
        return Err(ToolProblem::UnknownGroup(t.group.clone()));
    };
    if t.description.trim().is_empty() || t.title.trim().is_empty() {
        return Err(ToolProblem::EmptyText);
    }
    let method =
        Method::parse(&t.method).ok_or_else(|| ToolProblem::UnknownMethod(t.method.clone()))?;
    let path = PathTemplate::parse(&t.path)?;
    let agency_path = t
        .agency_path
        .as_deref()
        .map(PathTemplate::parse)
        .transpose()?;

    let Arguments {
        params,
        mut properties,
        required,
    } = arguments(t, &declared_arguments(t, vendor.shared)?)?;
    check::routes(&path, agency_path.as_ref(), &params)?;
    if t.stream {
        add_read_bounds(method, &mut properties)?;
    }
    for rule in &t.rules {
        check::rule(rule, &properties)?;
    }
    check::body(t.body_required, method, &params)?;
    let Annotations {
        read_only,
        destructive,
        idempotent,
    } = annotations(method, t)?;
    let (auth, auth_kinds) = credentials(&t.auth, vendor.auth_kinds)?;
    let min_properties = stated_minimum(t, &params, &properties)?;
    let schema = input_schema(properties, required, min_properties);
    let validator = validator(&schema)?;

    Ok(ToolSpec {
        name: t.name.clone(),
        vendor: vendor.name.to_string(),
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
        secret_fields: vendor
            .secret_fields
            .iter()
            .chain(&t.secret_fields)
            .cloned()
            .collect(),
        stream: t.stream,
        ends_session: t.ends_session,
        text_answer: t.text_answer,
        privileged: group.privileged,
        input_schema: Arc::new(schema),
        validator,
    })
}

/// The tool's arguments by name, shared ones first in the order `use` lists
/// them, then its own; each name once, and `required` names only them.
fn declared_arguments<'m>(
    t: &'m ToolManifest,
    shared: &'m BTreeMap<String, ParamManifest>,
) -> Result<Vec<(String, &'m ParamManifest)>, ToolProblem> {
    let mut defs = Vec::new();
    for key in &t.uses {
        let def = shared
            .get(key)
            .ok_or_else(|| ToolProblem::UnknownSharedParam(key.clone()))?;
        defs.push((def.name.clone().unwrap_or_else(|| key.clone()), def));
    }
    for (key, def) in &t.params {
        defs.push((def.name.clone().unwrap_or_else(|| key.clone()), def));
    }
    let mut seen = BTreeSet::new();
    for (name, _) in &defs {
        if !seen.insert(name.as_str()) {
            return Err(ToolProblem::DuplicateArgument(name.clone()));
        }
    }
    if let Some(unknown) = t.required.iter().find(|name| !seen.contains(name.as_str())) {
        return Err(ToolProblem::RequiredUnknown(unknown.clone()));
    }
    Ok(defs)
}

/// A tool's arguments as the pipeline sends them and as its schema states them.
struct Arguments {
    params: Vec<Param>,
    /// The input schema's `properties`.
    properties: JsonObject,
    /// The input schema's `required`.
    required: Vec<Value>,
}

fn arguments(
    t: &ToolManifest,
    defs: &[(String, &ParamManifest)],
) -> Result<Arguments, ToolProblem> {
    let mut params = Vec::new();
    let mut properties = JsonObject::new();
    let mut required = Vec::new();
    for (name, def) in defs {
        let is_required = def.required || t.required.contains(name);
        check::argument(name, def)?;
        properties.insert(name.clone(), Value::Object(argument_schema(name, def)?));
        if is_required {
            required.push(Value::String(name.clone()));
        }
        params.push(Param {
            name: name.clone(),
            location: def.location,
            required: is_required,
        });
    }
    Ok(Arguments {
        params,
        properties,
        required,
    })
}

/// One argument's schema: the manifest's, with its description and the
/// fields an object argument must have.
fn argument_schema(name: &str, def: &ParamManifest) -> Result<JsonObject, ArgumentProblem> {
    let mut schema = def.schema.clone();
    schema.insert("description".into(), Value::String(def.description.clone()));
    if !def.required_fields.is_empty() {
        let declared = schema.get("properties").and_then(Value::as_object);
        if let Some(field) = def
            .required_fields
            .iter()
            .find(|field| !declared.is_some_and(|p| p.contains_key(*field)))
        {
            return Err(ArgumentProblem::RequiredField {
                argument: name.to_string(),
                field: field.clone(),
            });
        }
        schema.insert("required".into(), json!(def.required_fields));
    }
    Ok(schema)
}

/// A stream tool is a GET, and its schema gets the bounds of the read:
/// this server's arguments, never sent upstream.
fn add_read_bounds(method: Method, properties: &mut JsonObject) -> Result<(), ToolProblem> {
    if method != Method::Get {
        return Err(ToolProblem::StreamNotGet);
    }
    for (name, schema) in read_bounds() {
        if properties.insert(name.to_string(), schema).is_some() {
            return Err(ToolProblem::ReservedArgument(name));
        }
    }
    Ok(())
}

/// The schema properties of [`stream_bounds`].
fn read_bounds() -> [(&'static str, Value); 2] {
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

/// The MCP annotations of a tool.
struct Annotations {
    read_only: bool,
    destructive: bool,
    idempotent: bool,
}

/// GET is read-only; DELETE is destructive; the manifest may only make a
/// tool more careful than its method suggests, or mark a documented read
/// (e.g. a POST search) as read-only.
fn annotations(method: Method, t: &ToolManifest) -> Result<Annotations, ToolProblem> {
    let read_only = match (method, t.read_only) {
        (Method::Get, Some(false)) => return Err(ToolProblem::GetNotReadOnly),
        (Method::Get, _) => true,
        (_, Some(v)) => v,
        _ => false,
    };
    let destructive = match (method, t.destructive) {
        (Method::Delete, Some(false)) => return Err(ToolProblem::DeleteNotDestructive),
        (_, Some(v)) => v,
        (m, None) => m == Method::Delete,
    };
    if read_only && (destructive || t.confirm.is_some()) {
        return Err(ToolProblem::ReadOnlyWrites);
    }
    if read_only && t.ends_session {
        return Err(ToolProblem::ReadOnlyEndsSession);
    }
    let idempotent = t
        .idempotent
        .unwrap_or(matches!(method, Method::Get | Method::Put | Method::Delete));
    Ok(Annotations {
        read_only,
        destructive,
        idempotent,
    })
}

/// Whether the route needs credentials, and which of the vendor's kinds it
/// accepts (empty: whatever the adapter has).
fn credentials(
    auth: &AuthManifest,
    vendor_kinds: &[String],
) -> Result<(bool, Vec<String>), ToolProblem> {
    match auth {
        AuthManifest::Needed(needed) => Ok((*needed, Vec::new())),
        AuthManifest::Kinds(kinds) => {
            if kinds.is_empty() {
                return Err(ToolProblem::EmptyAuth);
            }
            if let Some(unknown) = kinds.iter().find(|k| !vendor_kinds.contains(k)) {
                return Err(ToolProblem::UnknownAuthKind {
                    kind: unknown.clone(),
                    known: vendor_kinds.to_vec(),
                });
            }
            Ok((true, kinds.clone()))
        }
    }
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
    properties: &JsonObject,
) -> Result<Option<usize>, ToolProblem> {
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
                return Err(ToolProblem::BodyMinProperties(only.name.clone()));
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

/// The tool's input schema: its arguments and nothing else.
fn input_schema(
    properties: JsonObject,
    required: Vec<Value>,
    min_properties: Option<usize>,
) -> JsonObject {
    let mut schema = JsonObject::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    if let Some(min) = min_properties {
        schema.insert("minProperties".into(), json!(min));
    }
    schema.insert("additionalProperties".into(), Value::Bool(false));
    schema
}

/// The validator the guard runs the arguments through: draft 7, with
/// formats checked.
fn validator(schema: &JsonObject) -> Result<jsonschema::Validator, ToolProblem> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        // Draft 7 has no `uuid` format; ids like LeadPanther's clientId need one.
        .with_format("uuid", is_uuid)
        .build(&Value::Object(schema.clone()))
        .map_err(|e| ToolProblem::Schema(Box::new(e)))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::error::{ArgumentProblem, Problem, RouteProblem, ToolProblem};
    use crate::{Catalog, CatalogError, stream_bounds, test_manifest};

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
        assert!(e.problem.to_string().contains("limit/offset"), "{e}");
        assert!(
            matches!(
                &e.problem,
                Problem::Tool {
                    problem: ToolProblem::Argument(ArgumentProblem::PagePagination(name)),
                    ..
                } if name == "page"
            ),
            "{e:?}"
        );
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
        assert!(e.problem.to_string().contains("maximum"), "{e}");
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
        assert!(e.problem.to_string().contains("{id}"), "{e}");
        // The error names the manifest, the tool and the problem as data.
        assert_eq!(e.vendor, "acme");
        assert!(
            matches!(
                &e.problem,
                Problem::Tool {
                    tool,
                    problem: ToolProblem::Route(RouteProblem::NoArgument(name)),
                } if tool == "acme_get_thing" && name == "id"
            ),
            "{e:?}"
        );
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
        assert!(e.problem.to_string().contains("client_id"), "{e}");
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
        assert!(e.problem.to_string().contains("read_only"), "{e}");
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
        assert!(e.problem.to_string().contains("no type"), "{e}");
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
            assert!(e.problem.to_string().contains("envelope.surface"), "{e}");
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
        assert!(e.problem.to_string().contains("cookie"), "{e}");
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
        assert_eq!(env.items, ["/results"]);
        let many = text.replace(
            "[groups]",
            "[vendor.envelope]\nitems = [\"/clients\", \"/leads\"]\nnext_cursor = [\"/nextToken\"]\ncursor_arguments = [\"nextToken\"]\n[groups]",
        );
        let c = Catalog::from_sources([("acme", many.as_str())]).unwrap();
        let env = &c.vendor("acme").unwrap().envelope;
        assert_eq!(env.items, ["/clients", "/leads"]);
        assert_eq!(env.next_cursor, ["/nextToken"]);
        assert_eq!(env.cursor_arguments, ["nextToken"]);
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
        assert!(e.problem.to_string().contains("GET"), "{e}");
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
        assert!(e.problem.to_string().contains("reserved"), "{e}");
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
        assert!(e.problem.to_string().contains("nope"), "{e}");
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
        assert!(e.problem.to_string().contains("session"), "{e}");
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
            assert!(e.problem.to_string().contains("bare"), "{schema}: {e}");
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
        assert!(e.problem.to_string().contains("minProperties = 1"), "{e}");
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
            assert!(
                e.problem.to_string().contains("minimum and a maximum"),
                "{bounds}: {e}"
            );
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
}
