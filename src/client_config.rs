//! `leads-mcp config <client>`: the ready-to-paste entry that launches this
//! binary (its absolute path) over stdio with the vendors and selection the
//! same flags and environment serve, in the client's own format. Secrets are
//! placeholders (`${input:…}` where the client prompts for them, else
//! `<your …>`); base URLs and plain settings that are set are copied.

use serde_json::{Map, Value, json};

use crate::config::{Flags, VendorEnv};
use crate::env_vars::{self, Kind};
use leads_mcp_catalog::Catalog;

/// The clients `leads-mcp config` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    ClaudeDesktop,
    ClaudeCode,
    Vscode,
    Cursor,
}

/// The server's name in the client's configuration.
pub const SERVER_NAME: &str = "leads-mcp";

/// An environment value in the printed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// Copied as set (a base URL, a plain setting).
    Plain(String),
    /// The user fills it in: a credential or secret, never printed.
    Placeholder { secret: bool, description: String },
}

/// How the client launches the server.
#[derive(Debug, Clone)]
pub struct Launch {
    pub command: String,
    pub args: Vec<String>,
    pub env: Vec<(String, EnvValue)>,
}

/// Settings copied into the entry when set (the selection travels as flags).
const COPIED_SETTINGS: &[&str] = &[
    "LEADS_MCP_CONFIRM",
    "LEADS_MCP_MAX_RESULT_BYTES",
    "LEADS_MCP_STATE_KEY",
];

/// The launch of `command` serving `vendors` (catalog names, in order).
pub fn launch(
    command: String,
    flags: &Flags,
    vendors: &[String],
    vendor_env: &VendorEnv,
    settings: &dyn crate::config::Env,
    catalog: &Catalog,
) -> Launch {
    let mut args = Vec::new();
    if flags.sandbox {
        args.push("--sandbox".to_string());
    }
    if !vendors.is_empty() {
        args.push("--vendors".to_string());
        args.push(vendors.join(","));
    }
    for (flag, values) in [
        ("--tools", &flags.tools),
        ("--add-tools", &flags.add_tools),
        ("--exclude-tools", &flags.exclude_tools),
    ] {
        let joined: Vec<&str> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if !joined.is_empty() {
            args.push(flag.to_string());
            args.push(joined.join(","));
        }
    }
    if flags.read_only {
        args.push("--read-only".to_string());
    }
    args.push("stdio".to_string());

    let vars = env_vars::all(catalog);
    let placeholder = |name: &str| {
        let var = vars.iter().find(|v| v.name == name);
        EnvValue::Placeholder {
            secret: var.is_some_and(|v| v.secret),
            description: var.map(|v| v.description.clone()).unwrap_or_default(),
        }
    };
    let mut env = Vec::new();
    if !flags.sandbox {
        for vendor in vendors {
            let modes: Vec<_> = env_vars::modes(vendor).collect();
            let set: Vec<&str> = modes
                .iter()
                .flat_map(|m| m.vars.iter().copied())
                .filter(|v| vendor_env.is_set(v))
                .collect();
            // None set (the vendor was named with --vendors): its first mode.
            let names: Vec<&str> = if set.is_empty() {
                modes.first().map(|m| m.vars.to_vec()).unwrap_or_default()
            } else {
                set
            };
            for name in names {
                if !env.iter().any(|(n, _)| n == name) {
                    env.push((name.to_string(), placeholder(name)));
                }
            }
            for var in vars
                .iter()
                .filter(|v| v.kind == Kind::BaseUrl && v.vendor.as_deref() == Some(vendor))
            {
                match vendor_env.plain(&var.name) {
                    Some(url) => env.push((var.name.clone(), EnvValue::Plain(url))),
                    None if var.required_for_vendor => {
                        env.push((var.name.clone(), placeholder(&var.name)));
                    }
                    None => {}
                }
            }
        }
    }
    for name in COPIED_SETTINGS {
        if let Some(value) = settings.var(name) {
            let secret = vars.iter().any(|v| v.name == *name && v.secret);
            env.push((
                (*name).to_string(),
                if secret {
                    placeholder(name)
                } else {
                    EnvValue::Plain(value)
                },
            ));
        }
    }
    Launch { command, args, env }
}

/// `LEADPANTHER_API_KEY` → `leadpanther-api-key`.
fn input_id(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

fn angle(name: &str) -> String {
    format!("<your {name}>")
}

fn env_object(launch: &Launch, client: Client) -> Map<String, Value> {
    launch
        .env
        .iter()
        .map(|(name, value)| {
            let v = match value {
                EnvValue::Plain(s) => s.clone(),
                EnvValue::Placeholder { .. } if client == Client::Vscode => {
                    format!("${{input:{}}}", input_id(name))
                }
                EnvValue::Placeholder { .. } => angle(name),
            };
            (name.clone(), Value::String(v))
        })
        .collect()
}

/// Quotes `s` for a POSIX shell when it needs it.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:,=@+%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Where the entry goes, as a line the output starts with.
fn where_it_goes(client: Client) -> &'static str {
    match client {
        Client::ClaudeDesktop => {
            "# Claude Desktop: merge into claude_desktop_config.json (Settings > Developer > Edit Config), then fill in the <your ...> values."
        }
        Client::ClaudeCode => {
            "# Claude Code: run this, after replacing the <your ...> values (add --scope user to use it in every project)."
        }
        Client::Vscode => {
            "# VS Code: save as .vscode/mcp.json in the workspace (or merge its inputs and servers); VS Code asks for each ${input:...} once and stores it."
        }
        Client::Cursor => {
            "# Cursor: merge into ~/.cursor/mcp.json (or .cursor/mcp.json in a project), then fill in the <your ...> values."
        }
    }
}

/// The entry for `client`. JSON clients get a comment line first, then the JSON.
pub fn render(client: Client, launch: &Launch) -> String {
    let body = match client {
        Client::ClaudeDesktop | Client::Cursor => {
            let mut server = Map::new();
            server.insert("command".into(), json!(launch.command));
            server.insert("args".into(), json!(launch.args));
            if !launch.env.is_empty() {
                server.insert("env".into(), Value::Object(env_object(launch, client)));
            }
            let doc = json!({ "mcpServers": { SERVER_NAME: server } });
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        }
        Client::Vscode => {
            let inputs: Vec<Value> = launch
                .env
                .iter()
                .filter_map(|(name, value)| match value {
                    EnvValue::Placeholder {
                        secret,
                        description,
                    } => Some(json!({
                        "type": "promptString",
                        "id": input_id(name),
                        "description": format!("{name}: {description}"),
                        "password": secret,
                    })),
                    EnvValue::Plain(_) => None,
                })
                .collect();
            let mut server = Map::new();
            server.insert("type".into(), json!("stdio"));
            server.insert("command".into(), json!(launch.command));
            server.insert("args".into(), json!(launch.args));
            if !launch.env.is_empty() {
                server.insert("env".into(), Value::Object(env_object(launch, client)));
            }
            let doc = json!({ "inputs": inputs, "servers": { SERVER_NAME: server } });
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        }
        Client::ClaudeCode => {
            let mut words = vec![
                "claude".to_string(),
                "mcp".to_string(),
                "add".to_string(),
                SERVER_NAME.to_string(),
            ];
            for (name, value) in env_object(launch, client) {
                let value = value.as_str().unwrap_or_default().to_string();
                words.push("-e".into());
                words.push(shell_quote(&format!("{name}={value}")));
            }
            words.push("--".into());
            words.push(shell_quote(&launch.command));
            words.extend(launch.args.iter().map(|a| shell_quote(a)));
            words.join(" ")
        }
    };
    format!("{}\n{body}\n", where_it_goes(client))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn launch_for(pairs: &[(&str, &str)], vendors: &[&str]) -> Launch {
        let catalog = crate::vendors::load_catalog().unwrap();
        let env = VendorEnv::from_pairs(pairs.iter().copied());
        let vendors: Vec<String> = vendors.iter().map(|v| v.to_string()).collect();
        launch(
            "/opt/leads-mcp".into(),
            &Flags::default(),
            &vendors,
            &env,
            &BTreeMap::<String, String>::new(),
            &catalog,
        )
    }

    #[test]
    fn set_credentials_are_placeholders_and_base_urls_values() {
        let l = launch_for(
            &[
                ("LEADSPRO_API_KEY", "sentinel_key_value"),
                ("LEADSPRO_BASE_URL", "http://127.0.0.1:9/leadspro/api"),
            ],
            &["leadspro"],
        );
        for client in [
            Client::ClaudeDesktop,
            Client::ClaudeCode,
            Client::Vscode,
            Client::Cursor,
        ] {
            let out = render(client, &l);
            assert!(!out.contains("sentinel_key_value"), "{out}");
            assert!(out.contains("http://127.0.0.1:9/leadspro/api"), "{out}");
        }
        assert!(render(Client::Vscode, &l).contains("${input:leadspro-api-key}"));
        assert!(render(Client::ClaudeDesktop, &l).contains("<your LEADSPRO_API_KEY>"));
        assert!(
            render(Client::ClaudeCode, &l)
                .contains("-e 'LEADSPRO_API_KEY=<your LEADSPRO_API_KEY>'")
        );
    }

    #[test]
    fn a_named_vendor_without_credentials_gets_its_first_mode_and_required_base_url() {
        let l = launch_for(&[], &["leadmetrics"]);
        let names: Vec<&str> = l.env.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["LEADMETRICS_ACCESS_TOKEN", "LEADMETRICS_BASE_URL"]);
    }

    #[test]
    fn shell_quoting_keeps_words_whole() {
        assert_eq!(shell_quote("/usr/bin/leads-mcp"), "/usr/bin/leads-mcp");
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }
}
