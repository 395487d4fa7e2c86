//! What a new user meets: `leads-mcp config <client>` (its printed launch
//! really starts the server), `leads-mcp doctor` (against the sandbox, and
//! against loopback upstreams that answer 401, 403, 500, time out, or are
//! not there), and `server.json` (every variable the server reads, no other).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leads_mcp::env_vars;
use rmcp::ServiceExt;
use rmcp::transport::TokioChildProcess;
use serde_json::Value;
use tokio::io::AsyncReadExt;

use crate::common::{BIN, Upstream};

fn run(args: &[&str], env: &[(String, String)]) -> Output {
    std::process::Command::new(BIN)
        .env_clear()
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(args)
        .output()
        .unwrap()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ---------------------------------------------------------------------------
// config

/// A printed launch: command, arguments, environment.
#[derive(Debug)]
struct Printed {
    command: String,
    args: Vec<String>,
    env: BTreeMap<String, String>,
}

/// POSIX shell words, single quotes only (what `config claude-code` prints).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn parse_printed(client: &str, stdout: &str) -> Printed {
    let (comment, body) = stdout.split_once('\n').unwrap();
    assert!(comment.starts_with("# "), "{stdout}");
    let strings = |v: &Value| -> BTreeMap<String, String> {
        v.as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let from_json = |server: &Value| Printed {
        command: server["command"].as_str().unwrap().to_string(),
        args: server["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect(),
        env: strings(&server["env"]),
    };
    match client {
        "claude-desktop" | "cursor" => {
            let doc: Value = serde_json::from_str(body).unwrap();
            assert_eq!(doc["mcpServers"].as_object().unwrap().len(), 1);
            from_json(&doc["mcpServers"]["leads-mcp"])
        }
        "vscode" => {
            let doc: Value = serde_json::from_str(body).unwrap();
            let server = &doc["servers"]["leads-mcp"];
            assert_eq!(server["type"], "stdio");
            let mut printed = from_json(server);
            // Every ${input:id} is declared, as a password when it is a secret.
            let inputs = doc["inputs"].as_array().unwrap();
            for (name, value) in &mut printed.env {
                if let Some(id) = value
                    .strip_prefix("${input:")
                    .and_then(|v| v.strip_suffix('}'))
                {
                    let input = inputs.iter().find(|i| i["id"] == id).unwrap();
                    assert_eq!(input["type"], "promptString");
                    let secret = env_vars::all(&leads_mcp::vendors::load_catalog().unwrap())
                        .iter()
                        .any(|v| &v.name == name && v.secret);
                    assert_eq!(input["password"], secret, "{name}");
                    *value = format!("<your {name}>");
                }
            }
            printed
        }
        "claude-code" => {
            let words = shell_words(body.trim_end());
            assert_eq!(words[..4], ["claude", "mcp", "add", "leads-mcp"]);
            let mut env = BTreeMap::new();
            let mut i = 4;
            while words[i] == "-e" {
                let (k, v) = words[i + 1].split_once('=').unwrap();
                env.insert(k.to_string(), v.to_string());
                i += 2;
            }
            assert_eq!(words[i], "--");
            Printed {
                command: words[i + 1].clone(),
                args: words[i + 2..].to_vec(),
                env,
            }
        }
        other => panic!("{other}"),
    }
}

/// Launches what `printed` says, with every `<your NAME>` replaced by the
/// value in `fill`, and lists its tools through rmcp's client.
async fn launch_and_list(printed: &Printed, fill: &BTreeMap<String, String>) -> Vec<String> {
    let mut cmd = tokio::process::Command::new(&printed.command);
    cmd.env_clear()
        .env("RUST_LOG", "warn")
        .args(&printed.args)
        .kill_on_drop(true);
    for (k, v) in &printed.env {
        let value = match v.strip_prefix("<your ").and_then(|r| r.strip_suffix('>')) {
            Some(name) => {
                assert_eq!(name, k);
                fill.get(name).unwrap().clone()
            }
            None => v.clone(),
        };
        cmd.env(k, value);
    }
    let transport = TokioChildProcess::new(cmd).unwrap();
    let client = ().serve(transport).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    client.cancel().await.unwrap();
    tools.into_iter().map(|t| t.name.to_string()).collect()
}

fn tool_names(args: &[&str], env: &[(String, String)]) -> Vec<String> {
    let mut all = args.to_vec();
    all.extend(["tools", "--json"]);
    let out = run(&all, env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn config_prints_a_launch_each_client_starts_with_the_served_vendors() {
    let up = Upstream::start().await;
    let sandbox: BTreeMap<String, String> = up.env().into_iter().collect();
    // Leads Pro and LeadsRover configured, with sentinel-free real sandbox
    // keys; the rest of the sandbox env is not given.
    let env: Vec<(String, String)> = [
        "LEADSPRO_API_KEY",
        "LEADSPRO_BASE_URL",
        "LEADSROVER_API_KEY",
        "LEADSROVER_BASE_URL",
    ]
    .iter()
    .map(|k| (k.to_string(), sandbox[*k].clone()))
    .collect();
    let want = tool_names(&[], &env);
    assert!(
        want.iter()
            .all(|t| t.starts_with("leadsrover_") || t.starts_with("leadspro_"))
    );
    let exe = std::fs::canonicalize(BIN).unwrap();
    for client in ["claude-desktop", "claude-code", "vscode", "cursor"] {
        let out = run(&["config", client], &env);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{client}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for key in ["LEADSPRO_API_KEY", "LEADSROVER_API_KEY"] {
            assert!(
                !stdout.contains(&sandbox[key]),
                "{client} printed {key}: {stdout}"
            );
        }
        let printed = parse_printed(client, &stdout);
        assert_eq!(PathBuf::from(&printed.command), exe, "{client}");
        assert_eq!(
            printed.args,
            ["--vendors", "leadsrover,leadspro", "stdio"],
            "{client}"
        );
        assert_eq!(printed.env["LEADSPRO_API_KEY"], "<your LEADSPRO_API_KEY>");
        assert_eq!(
            printed.env["LEADSPRO_BASE_URL"],
            sandbox["LEADSPRO_BASE_URL"]
        );
        let mut got = launch_and_list(&printed, &sandbox).await;
        got.sort();
        let mut want = want.clone();
        want.sort();
        assert_eq!(got, want, "{client}");
    }
}

#[tokio::test]
async fn config_on_the_sandbox_launches_the_sandbox_with_every_vendor() {
    let out = run(&["--sandbox", "--read-only", "config", "cursor"], &[]);
    assert!(out.status.success());
    let printed = parse_printed("cursor", &String::from_utf8_lossy(&out.stdout));
    assert_eq!(printed.args[0], "--sandbox");
    assert!(printed.args.contains(&"--read-only".to_string()));
    assert!(printed.env.is_empty());
    let got = launch_and_list(&printed, &BTreeMap::new()).await;
    let want = tool_names(&["--sandbox", "--read-only"], &[]);
    assert_eq!(got.len(), want.len());
    let vendors: BTreeSet<&str> = got.iter().map(|t| t.split('_').next().unwrap()).collect();
    assert_eq!(vendors.len(), 5, "{vendors:?}");
}

#[test]
fn config_without_a_served_vendor_says_what_to_set() {
    let out = run(&["config", "claude-desktop"], &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no vendor is served") && stderr.contains("--sandbox"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------------------
// doctor

#[test]
fn doctor_passes_on_the_sandbox_with_plan_scopes_credits_and_request_ids() {
    let out = run(&["--sandbox", "doctor"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<&str> = stdout.lines().filter(|l| l.contains("  ok  ")).collect();
    for vendor in [
        "LeadPanther",
        "LeadsRover",
        "LeadGenius Pro (login)",
        "LeadGenius Pro (API key)",
        "Leads Pro",
        "Leadmetrics",
    ] {
        assert!(
            rows.iter().any(|r| r.starts_with(vendor)),
            "{vendor} missing:\n{stdout}"
        );
    }
    for r in &rows {
        assert!(
            r.contains("credentials accepted") && r.contains(" request id "),
            "{r}"
        );
    }
    let row = |v: &str| rows.iter().find(|r| r.starts_with(v)).unwrap().to_string();
    assert!(row("LeadPanther").contains("scopes: "), "{stdout}");
    assert!(row("LeadsRover").contains("plan: pro"), "{stdout}");
    assert!(row("Leads Pro").contains("credits left: "), "{stdout}");
    assert!(row("Leads Pro").contains("plan: "), "{stdout}");
    assert!(row("Leadmetrics").contains("roles: "), "{stdout}");
    assert!(stdout.contains("all 6 checks passed"), "{stdout}");
}

/// A loopback upstream that reads each request, records it, and never answers.
async fn silent_upstream() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                if let Ok(n) = socket.read(&mut buf).await {
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    record.lock().unwrap().push(head);
                }
                // Hold the connection open, silent, until the client gives up.
                tokio::time::sleep(Duration::from_secs(30)).await;
                drop(socket);
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// A loopback port with nothing listening on it.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/api")
}

#[tokio::test]
async fn doctor_says_what_to_fix_for_401_403_500_a_timeout_and_no_listener() {
    use crate::common::vendor_fault;
    let up = Upstream::start().await;
    let sandbox: BTreeMap<String, String> = up.env().into_iter().collect();
    let (silent, seen) = silent_upstream().await;
    const SENTINELS: [&str; 4] = [
        "sentinel-lp-key-0000",
        "sentinel-lm-token-0000",
        "sentinel-lg-key-0000",
        "sentinel-lg-user-0000",
    ];
    let env = pairs(&[
        // LeadPanther: a key the simulation doesn't know → its own 401.
        ("LEADPANTHER_API_KEY", SENTINELS[0]),
        ("LEADPANTHER_BASE_URL", &sandbox["LEADPANTHER_BASE_URL"]),
        // LeadsRover: a valid key, and the simulation answers 403.
        ("LEADSROVER_API_KEY", &sandbox["LEADSROVER_API_KEY"]),
        ("LEADSROVER_BASE_URL", &sandbox["LEADSROVER_BASE_URL"]),
        // Leads Pro: 500.
        ("LEADSPRO_API_KEY", &sandbox["LEADSPRO_API_KEY"]),
        ("LEADSPRO_BASE_URL", &sandbox["LEADSPRO_BASE_URL"]),
        // Leadmetrics: an upstream that never answers.
        ("LEADMETRICS_ACCESS_TOKEN", SENTINELS[1]),
        ("LEADMETRICS_BASE_URL", &silent),
        // LeadGenius Pro: nothing listens.
        ("LEADGENIUS_API_KEY", SENTINELS[2]),
        ("LEADGENIUS_USER_ID", SENTINELS[3]),
        ("LEADGENIUS_BASE_URL", &closed_port()),
    ]);
    up.sandbox.inject(vendor_fault(
        "leadsrover",
        "GET",
        "/api/v1/me",
        403,
        serde_json::json!({"error": {"code": "FORBIDDEN", "message": "This key lacks the read scope"}}),
        &[],
        1,
    ));
    up.sandbox.inject(vendor_fault(
        "leadspro",
        "GET",
        "/api/v1/me",
        500,
        serde_json::json!({"error": {"code": "internal_error", "message": "boom"}}),
        &[],
        1,
    ));
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || run(&["doctor", "--timeout", "2"], &env))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    for s in SENTINELS {
        assert!(
            !stdout.contains(s) && !stderr.contains(s),
            "{s} leaked:\n{stdout}\n{stderr}"
        );
    }
    let row = |v: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(v))
            .unwrap_or_else(|| panic!("no {v} row:\n{stdout}"))
            .to_string()
    };
    let lp = row("LeadPanther");
    assert!(
        lp.contains("FAIL")
            && lp.contains("credentials refused (401")
            && lp.contains("check LEADPANTHER_API_KEY"),
        "{lp}"
    );
    let lr = row("LeadsRover");
    assert!(
        lr.contains("FAIL") && lr.contains("(403)") && lr.contains("read"),
        "{lr}"
    );
    let pro = row("Leads Pro");
    assert!(
        pro.contains("FAIL") && pro.contains("500") && pro.contains("vendor fault"),
        "{pro}"
    );
    let lm = row("Leadmetrics");
    assert!(
        lm.contains("FAIL")
            && lm.contains("unreachable")
            && lm.contains("no answer within")
            && lm.contains("LEADMETRICS_BASE_URL"),
        "{lm}"
    );
    let lg = row("LeadGenius Pro");
    assert!(
        lg.contains("FAIL") && lg.contains("unreachable") && lg.contains("LEADGENIUS_BASE_URL"),
        "{lg}"
    );
    assert!(stdout.contains("5 of 5 checks failed"), "{stdout}");
    // Not retried: the whole run waits about one timeout, not three.
    assert!(started.elapsed() < Duration::from_secs(20));

    // Exactly the identity routes were asked, once each, nothing else.
    let asked: BTreeSet<(String, String, String)> = up
        .requests()
        .into_iter()
        .map(|r| (r.vendor, r.method, r.path))
        .collect();
    assert_eq!(
        asked,
        BTreeSet::from([
            ("leadpanther".into(), "GET".into(), "/api/v1/me".into()),
            ("leadsrover".into(), "GET".into(), "/api/v1/me".into()),
            ("leadspro".into(), "GET".into(), "/api/v1/me".into()),
        ])
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("GET /auth/v1/me HTTP/1.1"),
        "{}",
        seen[0]
    );
}

#[test]
fn doctor_names_a_refused_base_url() {
    let env = pairs(&[
        ("LEADPANTHER_API_KEY", "sentinel-lp-key-1111"),
        ("LEADPANTHER_BASE_URL", "https://api.leadpanther.ai/v1"),
    ]);
    let out = run(&["doctor"], &env);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success());
    assert!(
        all.contains("LEADPANTHER_BASE_URL") && all.contains("api.leadpanther.ai"),
        "{all}"
    );
    assert!(!all.contains("sentinel-lp-key-1111"), "{all}");
}

#[test]
fn doctor_without_credentials_names_the_variables() {
    let out = run(&["--vendors", "leadgenius", "doctor"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("no credentials: set LEADGENIUS_EMAIL + LEADGENIUS_PASSWORD, or LEADGENIUS_ACCESS_TOKEN, or LEADGENIUS_API_KEY + LEADGENIUS_USER_ID"),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------
// server.json

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Every environment variable name the server's source reads: string
/// literals that are whole variable names, the manifests' base-URL
/// variables, and `RUST_LOG` where the log filter is read from the
/// environment. The modules that only describe variables are left out.
fn variables_in_the_source() -> BTreeSet<String> {
    const DESCRIBE_ONLY: [&str; 4] = ["env_vars.rs", "bundle.rs", "client_config.rs", "doctor.rs"];
    fn walk(dir: &std::path::Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "toml") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&repo_file("src"), &mut files);
    walk(&repo_file("tools"), &mut files);
    let mut names = BTreeSet::new();
    for file in files {
        if DESCRIBE_ONLY.iter().any(|d| file.ends_with(d)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        if text.contains("try_from_default_env") {
            names.insert("RUST_LOG".to_string());
        }
        for literal in text.split('"').skip(1).step_by(2) {
            let is_name = literal.len() > 4
                && literal.starts_with("LEAD")
                && !literal.ends_with('_')
                && literal.contains('_')
                && literal
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if is_name {
                names.insert(literal.to_string());
            }
        }
    }
    names
}

#[test]
fn the_variable_list_is_exactly_what_the_source_reads() {
    let catalog = leads_mcp::vendors::load_catalog().unwrap();
    let listed: BTreeSet<String> = env_vars::all(&catalog)
        .into_iter()
        .map(|v| v.name)
        .collect();
    let read = variables_in_the_source();
    let missing: Vec<_> = read.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&read).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "read but not listed in src/env_vars.rs: {missing:?}\nlisted but never read: {extra:?}"
    );
}

/// `server.json`'s environmentVariables for the catalog's variables.
fn expected_environment_variables() -> Value {
    let catalog = leads_mcp::vendors::load_catalog().unwrap();
    Value::Array(
        env_vars::all(&catalog)
            .into_iter()
            .map(|v| {
                let mut entry = serde_json::json!({
                    "name": v.name,
                    "description": v.description,
                    "isRequired": false,
                    "isSecret": v.secret,
                    "format": if v.name == "LEADS_MCP_READ_ONLY" {
                        "boolean"
                    } else if v.name.ends_with("_SECS")
                        || v.name.ends_with("_BYTES")
                        || v.name.starts_with("LEADS_MCP_MAX_")
                    {
                        "number"
                    } else {
                        "string"
                    },
                });
                if let Some(d) = v.default {
                    entry["default"] = Value::String(d);
                }
                entry
            })
            .collect(),
    )
}

#[test]
fn server_json_declares_every_variable_the_server_reads_and_no_other() {
    let path = repo_file("server.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let expected = expected_environment_variables();
    if std::env::var("LEADS_MCP_WRITE_SERVER_JSON").is_ok_and(|v| v == "1") {
        for p in doc["packages"].as_array_mut().unwrap() {
            p["environmentVariables"] = expected.clone();
        }
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
    assert_eq!(
        doc["$schema"],
        "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
    );
    assert_eq!(doc["name"], "io.github.leads-mcp/leads-mcp");
    assert_eq!(doc["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["description"].as_str().unwrap().len() <= 100);
    let packages = doc["packages"].as_array().unwrap();
    let types: Vec<&str> = packages
        .iter()
        .map(|p| p["registryType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["cargo", "mcpb"]);
    let read = variables_in_the_source();
    for p in packages {
        assert_eq!(p["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(p["transport"]["type"], "stdio");
        let declared: BTreeSet<String> = p["environmentVariables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(declared, read, "{}", p["registryType"]);
        assert_eq!(
            p["environmentVariables"], expected,
            "{}: rewrite with LEADS_MCP_WRITE_SERVER_JSON=1",
            p["registryType"]
        );
    }
    let secrets: BTreeSet<&str> = packages[0]["environmentVariables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["isSecret"] == true)
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for key in [
        "LEADPANTHER_API_KEY",
        "LEADGENIUS_PASSWORD",
        "LEADMETRICS_ACCESS_TOKEN",
        "LEADS_MCP_HTTP_TOKEN",
    ] {
        assert!(secrets.contains(key), "{key}");
    }
    // The cargo package installs the crate this is.
    assert_eq!(packages[0]["identifier"], env!("CARGO_PKG_NAME"));
    // The README carries the registry's ownership line.
    let readme = std::fs::read_to_string(repo_file("README.md")).unwrap();
    assert!(readme.contains(&format!("mcp-name: {}", doc["name"].as_str().unwrap())));
}
