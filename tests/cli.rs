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
