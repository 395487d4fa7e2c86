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

/// `:id` in the reference is the tool's `{id}` placeholder.
fn leadsrover_path(path: &str) -> String {
    path.split('/')
        .map(|s| match s.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn leadsrover_matches_the_references_endpoints() {
    let text = doc("leadsrover");
    let mut documented = BTreeSet::new();
    // Endpoint headings, as captured: `GET/api/v1/me`, `PATCH/api/v1/leads/:id`.
    for line in text.lines().map(str::trim) {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if let Some(path) = line.strip_prefix(method)
                && path.starts_with("/api/")
                && !path.contains(' ')
            {
                documented.insert((method.to_string(), leadsrover_path(path)));
            }
        }
    }
    assert_eq!(documented.len(), 18, "{documented:#?}");
    // The OpenAPI document and the agent guide are documented as curl lines.
    for line in text.lines().filter(|l| l.trim_start().starts_with("curl ")) {
        for url in line
            .split_whitespace()
            .filter(|w| w.starts_with("https://"))
        {
            let path = url
                .trim_start_matches("https://leadsrover.io")
                .split('?')
                .next()
                .unwrap()
                .trim_end_matches(['"', '\\']);
            documented.insert(("GET".to_string(), leadsrover_path(path)));
        }
    }
    assert!(documented.contains(&("GET".into(), "/api/v1/openapi.json".into())));
    assert!(documented.contains(&("GET".into(), "/api/v1/agent-guide".into())));

    let catalog = Catalog::load().unwrap();
    let served: BTreeSet<(String, String)> = catalog
        .tools
        .iter()
        .filter(|t| t.vendor == "leadsrover")
        .map(|t| (t.method.as_str().to_string(), t.path.raw.clone()))
        .collect();
    let missing: Vec<_> = documented.difference(&served).collect();
    let extra: Vec<_> = served.difference(&documented).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "documented but not served: {missing:#?}\nserved but not documented: {extra:#?}"
    );
    assert_eq!(served.len(), 20);
    // Scopes as the reference states them: read for GET, write for mutations.
    for tool in catalog.tools.iter().filter(|t| t.vendor == "leadsrover") {
        let want = if tool.method.as_str() == "GET" {
            "read"
        } else {
            "write"
        };
        assert_eq!(tool.scope.as_deref(), Some(want), "{}", tool.name);
    }
}
