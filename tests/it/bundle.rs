//! The MCP Bundle end to end: unpack the `.mcpb` that `bundle/build.sh`
//! built (with mcpb's own `unpack`), launch the server exactly as its
//! `mcp_config` says with `user_config` values substituted (pointing at the
//! recording sandbox), list the tools and call one per vendor through rmcp's
//! client. The credentials given through `user_config` never show up in the
//! server's log or in a result.
//!
//! It needs the bundle: `LEADS_MCP_BUNDLE=target/bundle/leads-mcp-….mcpb`
//! (`.ci/run` sets it, with `LEADS_MCP_REQUIRE_BUNDLE=1`, after building
//! the bundle). Without it the test says by name that it did not run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use rmcp::ServiceExt;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::common::{Client, Human, TestClient, Upstream, call, is_error, text};

const NAME: &str = "bundle_launches_as_its_mcp_config_says";

/// The unpacked bundle, or `None` (after saying so) when none was built.
fn unpacked() -> Option<PathBuf> {
    let Some(file) = std::env::var_os("LEADS_MCP_BUNDLE") else {
        let required = std::env::var("LEADS_MCP_REQUIRE_BUNDLE").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{NAME}: LEADS_MCP_BUNDLE is not set, and LEADS_MCP_REQUIRE_BUNDLE=1 requires it"
        );
        // Straight to stderr, past the test harness's capture, so the skip
        // shows in a plain `cargo test` run.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {NAME}: LEADS_MCP_BUNDLE is not set (bash bundle/build.sh builds the bundle; .ci/run runs this test)"
        );
        return None;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mcpb = root.join("bundle/node_modules/.bin/mcpb");
    let dir = root.join("target/bundle/unpacked-for-test");
    let _ = std::fs::remove_dir_all(&dir);
    let out = std::process::Command::new(&mcpb)
        .arg("unpack")
        .arg(&file)
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", mcpb.display()));
    assert!(
        out.status.success(),
        "mcpb unpack: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(dir)
}

/// `${__dirname}` and `${user_config.key}` substituted as Claude Desktop
/// does: the user's value, else the declared default, else "".
fn substitute(
    template: &str,
    dir: &Path,
    user: &BTreeMap<String, Value>,
    declared: &Value,
) -> String {
    let mut out = template.replace("${__dirname}", &dir.display().to_string());
    while let Some(start) = out.find("${user_config.") {
        let end = start + out[start..].find('}').unwrap();
        let key = &out[start + "${user_config.".len()..end];
        let value = match user.get(key).or_else(|| declared[key].get("default")) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        out.replace_range(start..=end, &value);
    }
    out
}

/// The server as `manifest.json` launches it, given `user` values.
fn command(
    dir: &Path,
    manifest: &Value,
    user: &BTreeMap<String, Value>,
) -> tokio::process::Command {
    let config = &manifest["server"]["mcp_config"];
    let declared = &manifest["user_config"];
    let mut cmd = tokio::process::Command::new(substitute(
        config["command"].as_str().unwrap(),
        dir,
        user,
        declared,
    ));
    cmd.env_clear().kill_on_drop(true);
    for a in config["args"].as_array().unwrap() {
        cmd.arg(substitute(a.as_str().unwrap(), dir, user, declared));
    }
    for (k, v) in config["env"].as_object().unwrap() {
        cmd.env(k, substitute(v.as_str().unwrap(), dir, user, declared));
    }
    cmd
}

/// The user_config values that point every vendor at the sandbox with its
/// credentials, each through the user_config key the manifest declares.
fn sandbox_user_config(manifest: &Value, up: &Upstream) -> BTreeMap<String, Value> {
    let declared = manifest["user_config"].as_object().unwrap();
    let env_map = manifest["server"]["mcp_config"]["env"].as_object().unwrap();
    let mut user = BTreeMap::new();
    for (name, value) in up.env() {
        // The env var → its `${user_config.key}`.
        let template = env_map
            .get(&name)
            .unwrap_or_else(|| panic!("the bundle does not pass {name}"))
            .as_str()
            .unwrap();
        let key = template
            .strip_prefix("${user_config.")
            .and_then(|k| k.strip_suffix('}'))
            .unwrap();
        assert!(declared.contains_key(key), "{key}");
        user.insert(key.to_string(), Value::String(value));
    }
    user
}

async fn serve(cmd: tokio::process::Command) -> (Client, tokio::process::ChildStderr) {
    let (transport, stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = TestClient::new(Human::CannotElicit)
        .serve(transport)
        .await
        .unwrap();
    (client, stderr.unwrap())
}

async fn drain(mut stderr: tokio::process::ChildStderr) -> String {
    let mut log = String::new();
    let _ = stderr.read_to_string(&mut log).await;
    log
}

#[tokio::test]
async fn bundle_launches_as_its_mcp_config_says() {
    let Some(dir) = unpacked() else {
        return;
    };
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["server"]["type"], "binary");
    let up = Upstream::start().await;
    let user = sandbox_user_config(&manifest, &up);
    let secrets: Vec<String> = manifest["user_config"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, spec)| spec["sensitive"] == true)
        .filter_map(|(key, _)| user.get(key).and_then(Value::as_str).map(str::to_string))
        .collect();
    assert!(secrets.len() >= 5, "{secrets:?}");

    // Every vendor, all tools, one call each.
    let (client, stderr) = serve(command(&dir, &manifest, &user)).await;
    let tools = client.list_all_tools().await.unwrap();
    let listed: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    let declared: Vec<&str> = manifest["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // The bundle declares the whole catalog; by default it serves all but
    // the privileged groups.
    let catalog = leads_mcp::vendors::load_catalog().unwrap();
    let all: Vec<&str> = catalog.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(declared, all);
    let unprivileged: Vec<&str> = catalog
        .tools
        .iter()
        .filter(|t| !t.privileged)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(listed, unprivileged);
    let mut results = String::new();
    for tool in [
        "leadpanther_get_me",
        "leadsrover_get_me",
        "leadgenius_list_clients",
        "leadspro_get_me",
        "leadmetrics_get_me",
    ] {
        let r = call(&client, tool, json!({})).await;
        assert!(!is_error(&r), "{tool}: {}", text(&r));
        results.push_str(&serde_json::to_string(&r).unwrap());
    }
    let asked: Vec<(String, String, String)> = up
        .requests()
        .into_iter()
        .map(|r| (r.vendor, r.method, r.path))
        .collect();
    for want in [
        ("leadpanther", "GET", "/api/v1/me"),
        ("leadsrover", "GET", "/api/v1/me"),
        ("leadgenius", "GET", "/api/clients"),
        ("leadspro", "GET", "/api/v1/me"),
        ("leadmetrics", "GET", "/auth/v1/me"),
    ] {
        let n = asked
            .iter()
            .filter(|(v, m, p)| (v.as_str(), m.as_str(), p.as_str()) == want)
            .count();
        assert_eq!(n, 1, "{want:?} in {asked:#?}");
    }
    client.cancel().await.unwrap();
    let log = drain(stderr).await;
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "the log shows a secret:\n{log}");
        assert!(!results.contains(s.as_str()), "a result shows a secret");
    }

    // A sentinel key the vendor refuses, read-only mode and one vendor,
    // all chosen through user_config.
    const SENTINEL: &str = "lp_live_sentinel_9f3a1c77d2";
    let mut user = user.clone();
    user.insert("leadpanther_api_key".into(), json!(SENTINEL));
    user.insert("leads_mcp_vendors".into(), json!("leadpanther"));
    user.insert("leads_mcp_read_only".into(), json!(true));
    let (client, stderr) = serve(command(&dir, &manifest, &user)).await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(!tools.is_empty());
    for t in &tools {
        assert!(t.name.starts_with("leadpanther_"), "{}", t.name);
        assert_eq!(
            t.annotations.as_ref().and_then(|a| a.read_only_hint),
            Some(true),
            "{}",
            t.name
        );
    }
    let r = call(&client, "leadpanther_get_me", json!({})).await;
    assert!(is_error(&r));
    let shown = serde_json::to_string(&r).unwrap();
    assert!(shown.contains("LEADPANTHER_API_KEY"), "{shown}");
    assert!(!shown.contains(SENTINEL), "{shown}");
    client.cancel().await.unwrap();
    let log = drain(stderr).await;
    assert!(!log.contains(SENTINEL), "{log}");
}
