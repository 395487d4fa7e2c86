//! A snapshot of every tool's schema as clients see it in `tools/list`, and
//! the portability rules every schema must follow.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

#[test]
fn every_tool_schema_is_snapshotted() {
    let catalog = leads_mcp::vendors::load_catalog().unwrap();
    // tests/snapshots/schemas__<tool>.snap, one file a tool.
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for tool in &catalog.tools {
            let served = serde_json::to_value(leads_mcp::result::tool_definition(tool)).unwrap();
            insta::assert_json_snapshot!(format!("schemas__{}", tool.name), served);
        }
    });
    // No snapshot outlives its tool.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if let Some(tool) = name
            .strip_prefix("schemas__")
            .and_then(|n| n.strip_suffix(".snap"))
        {
            assert!(catalog.tool(tool).is_some(), "stale snapshot {name}");
        }
    }
}

fn walk_properties(schema: &Value, at: &str, problems: &mut Vec<String>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, prop) in props {
        let here = format!("{at}.{name}");
        if prop
            .get("description")
            .and_then(Value::as_str)
            .is_none_or(|d| d.trim().is_empty())
        {
            problems.push(format!("{here} has no description"));
        }
        if prop.get("type").is_none() {
            problems.push(format!("{here} has no type"));
        }
        walk_properties(prop, &here, problems);
        if let Some(items) = prop.get("items") {
            walk_properties(items, &format!("{here}[]"), problems);
        }
    }
}

#[test]
fn schemas_are_portable_and_fully_described() {
    let catalog = leads_mcp::vendors::load_catalog().unwrap();
    let mut problems = Vec::new();
    for tool in &catalog.tools {
        let t = serde_json::to_value(leads_mcp::result::tool_definition(tool)).unwrap();
        let schema = &t["inputSchema"];
        assert_eq!(schema["type"], "object", "{}", tool.name);
        for key in ["anyOf", "oneOf", "allOf", "$ref", "$defs", "$schema", "not"] {
            assert!(schema.get(key).is_none(), "{}: top-level {key}", tool.name);
        }
        walk_properties(schema, &tool.name, &mut problems);
        let ann = &t["annotations"];
        for hint in [
            "readOnlyHint",
            "destructiveHint",
            "idempotentHint",
            "openWorldHint",
        ] {
            assert!(ann[hint].is_boolean(), "{}: {hint} unset", tool.name);
        }
        if tool.method.as_str() == "GET" {
            assert_eq!(ann["readOnlyHint"], true, "{}", tool.name);
        }
        assert!(!t["description"].as_str().unwrap().is_empty());
        assert!(t["title"].is_string());
        assert!(tool.name.len() <= 64);
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
