//! The catalog and each vendor's documented route table agree both ways:
//! every documented route is a tool, and every tool is a documented route.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use leads_mcp::catalog::Catalog;

/// The vendor reference, from `../shared/vendor-docs` beside the repository.
fn doc(vendor: &str) -> String {
    let catalog = Catalog::load().unwrap();
    let file = &catalog.vendor(vendor).unwrap().doc;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vendor-docs")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; the vendor docs must be checked out in ../shared beside the repo",
            path.display()
        )
    })
}

/// `{clientId}` and `{client_id}` name the same placeholder.
fn normalize(path: &str) -> String {
    path.replace("{clientId}", "{client_id}")
}

#[test]
fn leadpanther_matches_the_guides_route_table() {
    let text = doc("leadpanther");
    let table = text
        .split("Use only these current API v1 routes.")
        .nth(1)
        .and_then(|rest| rest.split("When constructing a URL").next())
        .unwrap();
    // (direct route, agency route or n/a, scope)
    let mut documented = BTreeSet::new();
    for line in table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Task") && !l.starts_with("|---"))
    {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 4, "{line}");
        documented.insert((
            normalize(cells[1]),
            normalize(cells[2]),
            cells[3].to_string(),
        ));
    }
    assert_eq!(documented.len(), 20, "the guide lists 20 routes");

    let catalog = Catalog::load().unwrap();
    let mut served = BTreeSet::new();
    for tool in catalog.tools.iter().filter(|t| t.vendor == "leadpanther") {
        let method = tool.method.as_str();
        let direct = format!("{method} /api/v1{}", tool.path.raw);
        let agency = tool
            .agency_path
            .as_ref()
            .map_or("n/a".to_string(), |a| format!("{method} /api/v1{}", a.raw));
        served.insert((direct, agency, tool.scope.clone().unwrap()));
    }
    let missing: Vec<_> = documented.difference(&served).collect();
    let extra: Vec<_> = served.difference(&documented).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "documented but not served: {missing:#?}\nserved but not documented: {extra:#?}"
    );
}

#[test]
fn leadpanther_serves_none_of_the_guessed_routes() {
    let text = doc("leadpanther");
    let guessed: Vec<&str> = text
        .split("Do not generate calls to these routes unless future docs explicitly add them:")
        .nth(1)
        .unwrap()
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with('/'))
        .collect();
    assert!(
        guessed.contains(&"/webhooks") && guessed.len() >= 9,
        "{guessed:?}"
    );
    let catalog = Catalog::load().unwrap();
    for tool in catalog.tools.iter().filter(|t| t.vendor == "leadpanther") {
        for route in std::iter::once(&tool.path).chain(tool.agency_path.as_ref()) {
            for g in &guessed {
                let segment = g.trim_start_matches('/');
                assert!(
                    !route.raw.split('/').any(|s| s == segment),
                    "{} uses guessed route {g}",
                    tool.name
                );
            }
        }
    }
}

/// `:runId` → `{run_id}`: the reference's Fastify parameters as manifest placeholders.
fn placeholder(segment: &str) -> String {
    match segment.strip_prefix(':') {
        None => segment.to_string(),
        Some(name) => {
            let mut snake = String::new();
            for c in name.chars() {
                if c.is_ascii_uppercase() {
                    snake.push('_');
                    snake.push(c.to_ascii_lowercase());
                } else {
                    snake.push(c);
                }
            }
            format!("{{{snake}}}")
        }
    }
}

#[test]
fn leadmetrics_matches_the_references_path_lists() {
    let text = doc("leadmetrics");
    let quick = text.split("Quick Reference").nth(1).unwrap();
    // Every `METHOD /path` pair of the quick reference's lists.
    let words: Vec<&str> = quick.split_whitespace().collect();
    let mut documented = BTreeSet::new();
    for pair in words.windows(2) {
        if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&pair[0]) && pair[1].starts_with('/')
        {
            let path: Vec<String> = pair[1].split('/').map(placeholder).collect();
            documented.insert(format!("{} {}", pair[0], path.join("/")));
        }
    }
    assert_eq!(documented.len(), 33, "the reference lists 33 paths");

    let catalog = Catalog::load().unwrap();
    let vendor = catalog.vendor("leadmetrics").unwrap();
    let mut served = BTreeSet::new();
    for tool in catalog.tools.iter().filter(|t| t.vendor == "leadmetrics") {
        assert!(tool.agency_path.is_none());
        assert!(
            served.insert(format!("{} {}", tool.method.as_str(), tool.path.raw)),
            "{} duplicates a route",
            tool.name
        );
    }
    assert_eq!(served.len(), 31);
    // Login and refresh are routes the adapter drives, each with its reason.
    for route in &vendor.internal_routes {
        assert!(!route.reason.trim().is_empty());
        assert!(served.insert(format!("{} {}", route.method, route.path)));
    }
    let missing: Vec<_> = documented.difference(&served).collect();
    let extra: Vec<_> = served.difference(&documented).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "documented but not served: {missing:#?}\nserved but not documented: {extra:#?}"
    );
}

#[test]
fn leadmetrics_cli_surface_lists_no_paths_and_gets_no_tools() {
    let text = doc("leadmetrics");
    assert!(
        text.contains("CLI API/cli/v1"),
        "the surfaces table names the CLI API"
    );
    let quick = text.split("Quick Reference").nth(1).unwrap();
    assert!(
        !quick.contains("/cli/"),
        "the reference now lists CLI paths"
    );
    let catalog = Catalog::load().unwrap();
    assert!(
        !catalog
            .tools
            .iter()
            .any(|t| t.vendor == "leadmetrics" && t.path.raw.starts_with("/cli/"))
    );
    // The stream routes are the two the reference marks as SSE.
    let streams: BTreeSet<&str> = catalog
        .tools
        .iter()
        .filter(|t| t.stream)
        .map(|t| t.path.raw.as_str())
        .collect();
    assert_eq!(
        streams,
        BTreeSet::from([
            "/dashboard/v1/activities/{id}/stream",
            "/dashboard/v1/events/stream"
        ])
    );
    assert_eq!(quick.matches("→ SSE").count(), 2);
}
