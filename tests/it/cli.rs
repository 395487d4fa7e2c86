//! `leads-mcp tools` and the selection flags and env vars, as DESIGN.md states them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Output;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_leads-mcp");

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    std::process::Command::new(BIN)
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

fn names(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
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

const KEY: (&str, &str) = ("LEADPANTHER_API_KEY", "lp_test_key");

/// About how many tokens `leads-mcp tools` says the `tools/list` answer
/// takes with `env`, and its whole output.
fn tools_list_tokens(env: &[(&str, &str)]) -> (usize, String) {
    let out = run(&["tools"], env);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let tokens = stdout
        .lines()
        .find(|l| l.contains("tools/list answer"))
        .and_then(|line| line.split("about ").nth(1))
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    (tokens, stdout)
}

#[test]
fn tools_json_lists_the_twenty_leadpanther_routes() {
    let out = run(&["tools", "--json"], &[KEY]);
    assert!(out.status.success());
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 20);
    for row in &rows {
        for field in [
            "name",
            "vendor",
            "method",
            "path",
            "agency_path",
            "scope",
            "read_only",
            "destructive",
            "confirm",
            "sensitive",
        ] {
            assert!(row.get(field).is_some(), "{field} missing in {row}");
        }
    }
    let posts = rows
        .iter()
        .find(|r| r["name"] == "leadpanther_get_post")
        .unwrap();
    assert_eq!(posts["method"], "GET");
    assert_eq!(posts["path"], "/posts/{id}");
    assert_eq!(posts["agency_path"], "/clients/{client_id}/posts/{id}");
    assert_eq!(posts["scope"], "posts:read");
    assert_eq!(posts["read_only"], true);
    let leads = rows
        .iter()
        .find(|r| r["name"] == "leadpanther_list_leads")
        .unwrap();
    assert_eq!(leads["sensitive"], true);
    let delete = rows
        .iter()
        .find(|r| r["name"] == "leadpanther_delete_post")
        .unwrap();
    assert_eq!(delete["destructive"], true);
    // The key never shows, and the size goes to stderr so stdout stays JSON.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("lp_test_key"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tools/list answer"));
}

#[test]
fn the_leadpanther_tool_list_stays_under_5000_tokens() {
    let (tokens, stdout) = tools_list_tokens(&[KEY]);
    assert!(tokens < 5000, "{stdout}");
    assert!(stdout.contains("leadpanther_list_posts"));
}

#[test]
fn vendors_are_served_by_credentials_or_by_name() {
    assert!(names(&[], &[]).is_empty());
    assert_eq!(names(&[], &[KEY]).len(), 20);
    assert_eq!(names(&["--vendors", "leadpanther"], &[]).len(), 20);
    assert_eq!(
        names(&[], &[("LEADS_MCP_VENDORS", "leadpanther")]).len(),
        20
    );
    assert_eq!(
        names(&["--sandbox"], &[])
            .iter()
            .filter(|n| n.starts_with("leadpanther_"))
            .count(),
        20
    );
    let out = run(&["tools"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("LEADPANTHER_API_KEY is not set"));
}

#[test]
fn tools_groups_exclusions_and_read_only() {
    let picked = names(
        &["--tools", "leadpanther_list_posts,leadpanther:leads"],
        &[KEY],
    );
    assert_eq!(picked, ["leadpanther_list_posts", "leadpanther_list_leads"]);
    assert_eq!(
        names(
            &[],
            &[
                KEY,
                (
                    "LEADS_MCP_TOOLS",
                    "leadpanther_list_posts,leadpanther:leads"
                )
            ]
        ),
        picked
    );

    let without_posts = names(&["--exclude-tools", "leadpanther:posts"], &[KEY]);
    assert_eq!(without_posts.len(), 14);
    assert!(without_posts.iter().all(|n| !n.contains("_post")));
    assert_eq!(
        names(
            &[],
            &[KEY, ("LEADS_MCP_EXCLUDE_TOOLS", "leadpanther:posts")]
        ),
        without_posts
    );

    // Exclusions and read-only win over --tools.
    assert!(
        names(
            &[
                "--tools",
                "leadpanther_create_post",
                "--exclude-tools",
                "leadpanther_create_post"
            ],
            &[KEY]
        )
        .is_empty()
    );
    assert!(
        names(
            &["--tools", "leadpanther_create_post", "--read-only"],
            &[KEY]
        )
        .is_empty()
    );
    let read_only = names(&["--read-only"], &[KEY]);
    assert_eq!(read_only.len(), 12);
    assert_eq!(
        names(&[], &[KEY, ("LEADS_MCP_READ_ONLY", "true")]),
        read_only
    );
    assert_eq!(
        names(&[], &[KEY, ("LEADS_MCP_READ_ONLY", "false")]).len(),
        20
    );
}

#[test]
fn unknown_names_stop_the_server() {
    for (args, env, expect) in [
        (
            vec!["--vendors", "leadpanter"],
            vec![],
            "known vendors: leadpanther",
        ),
        (
            vec!["--tools", "leadpanther_list_post"],
            vec![KEY],
            "did you mean leadpanther_list_posts",
        ),
        (
            vec!["--exclude-tools", "leadpanther:nope"],
            vec![KEY],
            "unknown tool or group",
        ),
        (
            vec![],
            vec![KEY, ("LEADS_MCP_TOOLS", "nope")],
            "unknown tool or group",
        ),
    ] {
        for sub in ["tools", "stdio"] {
            let mut all = args.clone();
            all.push(sub);
            let out = run(&all, &env);
            assert_eq!(out.status.code(), Some(2), "{all:?}");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains(expect),
                "{all:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn leadsrover_is_served_by_its_key_with_a_lean_tool_list() {
    const ROVER_KEY: (&str, &str) = ("LEADSROVER_API_KEY", "lr_sk_test_key");
    let out = run(&["tools", "--json"], &[ROVER_KEY]);
    assert!(out.status.success());
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 20);
    assert!(rows.iter().all(|r| r["vendor"] == "leadsrover"));
    let confirmed: Vec<&str> = rows
        .iter()
        .filter(|r| r["confirm"] == "send")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        confirmed,
        ["leadsrover_queue_draft", "leadsrover_reply_conversation"]
    );
    let reply = rows
        .iter()
        .find(|r| r["name"] == "leadsrover_reply_conversation")
        .unwrap();
    assert_eq!(reply["path"], "/api/v1/conversations/{id}/reply");
    assert_eq!(reply["scope"], "write");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("lr_sk_test_key"));
    assert_eq!(names(&["--read-only"], &[ROVER_KEY]).len(), 11);

    let (tokens, stdout) = tools_list_tokens(&[ROVER_KEY]);
    assert!(tokens < 5000, "{stdout}");
}

const LM_URL: (&str, &str) = ("LEADMETRICS_BASE_URL", "https://leadmetrics.example.com");
const LM_EMAIL: (&str, &str) = ("LEADMETRICS_EMAIL", "someone@example.com");
const LM_PASSWORD: (&str, &str) = ("LEADMETRICS_PASSWORD", "example-password");

#[test]
fn leadmetrics_without_a_base_url_is_not_served_and_tools_says_why() {
    let out = run(&["tools"], &[LM_EMAIL, LM_PASSWORD]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("leadmetrics_"), "{stdout}");
    assert!(
        stdout.contains(
            "note: leadmetrics is not served: Leadmetrics publishes no base URL: set LEADMETRICS_BASE_URL"
        ),
        "{stdout}"
    );
    // Named in --vendors: its tools are served, and the note says each call
    // is refused until the base URL is set.
    let out = run(
        &["--vendors", "leadmetrics", "tools"],
        &[LM_EMAIL, LM_PASSWORD],
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("leadmetrics_list_approvals"), "{stdout}");
    assert!(
        stdout.contains("note: leadmetrics is served, but every call is refused until this is fixed: Leadmetrics publishes no base URL: set LEADMETRICS_BASE_URL"),
        "{stdout}"
    );
    // --json keeps stdout JSON and says it on stderr.
    let out = run(&["--vendors", "leadmetrics", "tools", "--json"], &[]);
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 22);
    assert!(String::from_utf8_lossy(&out.stderr).contains("LEADMETRICS_BASE_URL"));
    // A base URL that is set but wrong stops the server instead.
    let out = run(
        &["tools"],
        &[
            ("LEADMETRICS_BASE_URL", "http://leadmetrics.example.com"),
            LM_EMAIL,
            LM_PASSWORD,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https"));
}

#[test]
fn leadmetrics_is_served_with_a_base_url_and_either_credential() {
    assert_eq!(names(&[], &[LM_URL, LM_EMAIL, LM_PASSWORD]).len(), 22);
    assert_eq!(
        names(&[], &[LM_URL, ("LEADMETRICS_ACCESS_TOKEN", "t")]).len(),
        22
    );
    // An email alone is not a credential.
    assert!(names(&[], &[LM_URL, LM_EMAIL]).is_empty());
    assert_eq!(names(&["--vendors", "leadmetrics"], &[LM_URL]).len(), 22);
}

#[test]
fn privileged_groups_are_listed_as_off_and_added_with_add_tools() {
    let env = [LM_URL, LM_EMAIL, LM_PASSWORD];
    let out = run(&["tools"], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name} in {stdout}"))
            .to_string()
    };
    assert!(row("leadmetrics_list_campaigns").contains("leadmetrics:dashboard"));
    assert!(
        row("leadmetrics:admin")
            .contains("0/5     privileged, off: enable with --add-tools leadmetrics:admin"),
        "{stdout}"
    );
    assert!(row("leadmetrics:dm").contains("privileged, off"));
    assert!(row("leadmetrics:dashboard").contains("6/6     on"));

    // One privileged group besides the default set, by flag or env var.
    let admin = names(&["--add-tools", "leadmetrics:admin"], &env);
    assert_eq!(admin.len(), 27);
    assert!(admin.contains(&"leadmetrics_impersonate_tenant".to_string()));
    assert!(!admin.contains(&"leadmetrics_get_dm_overview".to_string()));
    let mut with_env = env.to_vec();
    with_env.push(("LEADS_MCP_ADD_TOOLS", "leadmetrics:admin"));
    assert_eq!(names(&[], &with_env), admin);
    let out = run(&["--add-tools", "leadmetrics:admin", "tools"], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("privileged, enabled"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("leadmetrics_list_tenants") && l.contains("privileged"))
    );
    // Both, and exclusions and read-only still win.
    assert_eq!(
        names(&["--add-tools", "leadmetrics:admin,leadmetrics:dm"], &env).len(),
        31
    );
    let some = names(
        &[
            "--add-tools",
            "leadmetrics:admin",
            "--exclude-tools",
            "leadmetrics_impersonate_tenant",
            "--read-only",
        ],
        &env,
    );
    assert!(some.contains(&"leadmetrics_list_tenants".to_string()));
    assert!(!some.contains(&"leadmetrics_impersonate_tenant".to_string()));
    assert!(!some.contains(&"leadmetrics_create_campaign".to_string()));
    // --tools alone narrows to what it names, privileged groups included.
    assert_eq!(
        names(&["--tools", "leadmetrics:dm"], &env),
        [
            "leadmetrics_get_dm_overview",
            "leadmetrics_list_dm_approvals",
            "leadmetrics_bulk_resolve_approvals",
            "leadmetrics_pause_activity"
        ]
    );
    // The JSON rows carry the group and whether it is privileged.
    let out = run(&["--add-tools", "leadmetrics:dm", "tools", "--json"], &env);
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let bulk = rows
        .iter()
        .find(|r| r["name"] == "leadmetrics_bulk_resolve_approvals")
        .unwrap();
    assert_eq!(bulk["group"], "leadmetrics:dm");
    assert_eq!(bulk["privileged"], true);
    assert_eq!(bulk["confirm"], "bulk");
    let stream = rows
        .iter()
        .find(|r| r["name"] == "leadmetrics_stream_events")
        .unwrap();
    assert_eq!(
        (stream["stream"].clone(), stream["privileged"].clone()),
        (Value::Bool(true), Value::Bool(false))
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "privileged group leadmetrics:admin is off: enable it with --add-tools leadmetrics:admin"
    ));
    // Unknown names are refused as for the other flags.
    let out = run(&["--add-tools", "leadmetrics:admn", "tools"], &env);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--add-tools") && stderr.contains("did you mean leadmetrics:admin"),
        "{stderr}"
    );
}
