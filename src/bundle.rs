//! The MCP Bundle (`.mcpb`) manifest for Claude Desktop, written from the
//! catalog by the binary itself (`leads-mcp bundle-manifest`, used by
//! `bundle/build.sh`): its `tools` and `prompts` are the catalog's, its
//! `user_config` is every vendor credential and base URL plus the choice of
//! vendors and tools, and `mcp_config.env` passes each to the server.

use serde_json::{Map, Value, json};

use crate::env_vars::{self, Kind};
use crate::prompts;
use leads_mcp_catalog::Catalog;

/// The manifest version `@anthropic-ai/mcpb` 2.1.2 validates.
pub const MANIFEST_VERSION: &str = "0.3";

/// The repository, as Cargo.toml, server.json and the README name it.
pub const REPOSITORY: &str = "https://github.com/leads-mcp/leads-mcp";

/// Settings a bundle user chooses, besides credentials and base URLs:
/// (variable, user_config type, title).
const CHOICES: &[(&str, &str, &str)] = &[
    ("LEADS_MCP_VENDORS", "string", "Vendors"),
    ("LEADS_MCP_TOOLS", "string", "Tools"),
    ("LEADS_MCP_READ_ONLY", "boolean", "Read-only"),
];

/// The binary's path inside the bundle, for this platform.
pub fn entry_point() -> &'static str {
    if cfg!(windows) {
        "server/leads-mcp.exe"
    } else {
        "server/leads-mcp"
    }
}

/// The MCPB name of this platform.
fn platform() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        _ => "linux",
    }
}

/// `LEADPANTHER_API_KEY` → `leadpanther_api_key`.
pub fn user_config_key(env_name: &str) -> String {
    env_name.to_ascii_lowercase()
}

/// `{{contacts}}` (the server's prompt placeholders) → `${arguments.contacts}`.
fn mcpb_prompt_text(body: &str, arguments: &[String]) -> String {
    let mut text = body.to_string();
    for a in arguments {
        text = text.replace(&format!("{{{{{a}}}}}"), &format!("${{arguments.{a}}}"));
    }
    text
}

fn title_of(catalog: &Catalog, vendor: &str) -> String {
    catalog
        .vendor(vendor)
        .map_or_else(|| vendor.to_string(), |v| v.title.clone())
}

/// The manifest.
pub fn manifest(catalog: &Catalog) -> Result<Value, String> {
    let vars = env_vars::all(catalog);
    let mut user_config = Map::new();
    let mut env = Map::new();
    let vendor_names: Vec<&str> = catalog.vendors.iter().map(|v| v.name.as_str()).collect();
    for (name, kind, title) in CHOICES {
        let var = vars
            .iter()
            .find(|v| v.name == *name)
            .ok_or_else(|| format!("{name} is not a known variable"))?;
        let key = user_config_key(name);
        let mut entry = Map::new();
        entry.insert("type".into(), json!(kind));
        entry.insert("title".into(), json!(title));
        let description = match *name {
            "LEADS_MCP_VENDORS" => format!(
                "{} One or more of: {}. Empty: every vendor whose credentials you enter below.",
                var.description,
                vendor_names.join(", ")
            ),
            _ => var.description.clone(),
        };
        entry.insert("description".into(), json!(description));
        entry.insert("required".into(), json!(false));
        if *kind == "boolean" {
            entry.insert("default".into(), json!(false));
        }
        user_config.insert(key.clone(), Value::Object(entry));
        env.insert((*name).into(), json!(format!("${{user_config.{key}}}")));
    }
    for var in vars.iter().filter(|v| v.kind != Kind::Setting) {
        let vendor = var.vendor.as_deref().unwrap_or_default();
        let vendor_title = title_of(catalog, vendor);
        let title = match var.kind {
            Kind::BaseUrl => format!("{vendor_title}: base URL"),
            _ => format!(
                "{vendor_title}: {}",
                var.name
                    .trim_start_matches(&format!("{}_", vendor.to_ascii_uppercase()))
                    .replace('_', " ")
                    .to_ascii_lowercase()
            ),
        };
        let key = user_config_key(&var.name);
        let mut entry = Map::new();
        entry.insert("type".into(), json!("string"));
        entry.insert("title".into(), json!(title));
        entry.insert("description".into(), json!(var.description));
        entry.insert("required".into(), json!(false));
        if var.secret {
            entry.insert("sensitive".into(), json!(true));
        }
        user_config.insert(key.clone(), Value::Object(entry));
        env.insert(var.name.clone(), json!(format!("${{user_config.{key}}}")));
    }

    let tools: Vec<Value> = catalog
        .tools
        .iter()
        .map(|t| json!({"name": t.name, "description": t.description}))
        .collect();
    let prompts: Vec<Value> = prompts::load(catalog)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|p| {
            let arguments: Vec<String> = p.arguments.iter().map(|a| a.name.clone()).collect();
            json!({
                "name": p.name,
                "description": p.description,
                "arguments": arguments,
                "text": mcpb_prompt_text(&p.body, &arguments),
            })
        })
        .collect();
    let titles: Vec<String> = catalog.vendors.iter().map(|v| v.title.clone()).collect();
    Ok(json!({
        "$schema": "https://raw.githubusercontent.com/modelcontextprotocol/mcpb/main/dist/mcpb-manifest-v0.3.schema.json",
        "manifest_version": MANIFEST_VERSION,
        "name": "leads-mcp",
        "display_name": "Lead-generation APIs (leads-mcp)",
        "version": env!("CARGO_PKG_VERSION"),
        "description": env!("CARGO_PKG_DESCRIPTION"),
        "long_description": format!(
            "One tool per documented endpoint of {}, with guardrails: confirmations before sends and irreversible bulk actions, privacy notes on personal data, bounded results. Enter the credentials of the vendors you use; the others are not served.",
            titles.join(", ")
        ),
        "author": {"name": "leads-mcp contributors", "url": REPOSITORY},
        "repository": {"type": "git", "url": REPOSITORY},
        "homepage": REPOSITORY,
        "documentation": format!("{REPOSITORY}#readme"),
        "support": format!("{REPOSITORY}/issues"),
        "license": env!("CARGO_PKG_LICENSE"),
        "keywords": ["mcp", "lead-generation", "sales", "crm", "enrichment"],
        "server": {
            "type": "binary",
            "entry_point": entry_point(),
            "mcp_config": {
                "command": format!("${{__dirname}}/{}", entry_point()),
                "args": ["stdio"],
                "env": env,
            }
        },
        "tools": tools,
        "prompts": prompts,
        "compatibility": {"platforms": [platform()]},
        "user_config": user_config,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_credential_and_base_url_is_user_config_passed_to_the_server() {
        let catalog = crate::vendors::load_catalog().unwrap();
        let m = manifest(&catalog).unwrap();
        let env = m["server"]["mcp_config"]["env"].as_object().unwrap();
        let user_config = m["user_config"].as_object().unwrap();
        for var in env_vars::all(&catalog)
            .iter()
            .filter(|v| v.kind != Kind::Setting)
        {
            let key = user_config_key(&var.name);
            assert_eq!(env[&var.name], format!("${{user_config.{key}}}"));
            let entry = &user_config[&key];
            assert_eq!(entry["sensitive"] == true, var.secret, "{}", var.name);
            assert!(!entry["description"].as_str().unwrap().is_empty());
        }
        assert_eq!(m["tools"].as_array().unwrap().len(), catalog.tools.len());
    }

    #[test]
    fn prompt_placeholders_become_mcpb_arguments() {
        assert_eq!(
            mcpb_prompt_text(
                "Enrich {{contacts}} ({{report}})",
                &["contacts".into(), "report".into()]
            ),
            "Enrich ${arguments.contacts} (${arguments.report})"
        );
    }
}
