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

/// The Leads Pro reference's "Available endpoints": `METHOD /api/...`
/// lines, some naming two paths joined by ` + `.
fn leadspro_documented_routes(text: &str) -> BTreeSet<(String, String)> {
    let section = text
        .split("Available endpoints")
        .nth(1)
        .and_then(|rest| rest.split("Single enrichment example").next())
        .unwrap();
    let mut routes = BTreeSet::new();
    for line in section.lines().map(str::trim) {
        let Some((method, paths)) = line.split_once(' ') else {
            continue;
        };
        if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method) {
            continue;
        }
        for path in paths.split(" + ") {
            assert!(path.starts_with("/api/"), "{line}");
            routes.insert((method.to_string(), path.trim().to_string()));
        }
    }
    routes
}

#[test]
fn leadspro_matches_the_available_endpoints() {
    let text = doc("leadspro");
    let documented = leadspro_documented_routes(&text);
    assert_eq!(documented.len(), 7, "{documented:#?}");

    let catalog = Catalog::load().unwrap();
    let vendor = catalog.vendor("leadspro").unwrap();
    let base = url::Url::parse(vendor.base_url.as_deref().unwrap()).unwrap();
    assert_eq!(base.as_str(), "https://leads-pro.co/api");
    assert!(text.contains("Base URLhttps://leads-pro.co/api"));
    let served: BTreeSet<(String, String)> = catalog
        .tools
        .iter()
        .filter(|t| t.vendor == "leadspro")
        .map(|t| {
            assert!(t.agency_path.is_none(), "{}", t.name);
            (
                t.method.as_str().to_string(),
                format!("{}{}", base.path(), t.path.raw),
            )
        })
        .collect();
    let missing: Vec<_> = documented.difference(&served).collect();
    let extra: Vec<_> = served.difference(&documented).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "documented but not served: {missing:#?}\nserved but not documented: {extra:#?}"
    );

    // Every curl example calls a served route.
    for line in text.lines().filter(|l| l.starts_with("curl -X ")) {
        let mut words = line.split_whitespace().skip(2);
        let method = words.next().unwrap();
        let url = url::Url::parse(words.next().unwrap()).unwrap();
        assert_eq!(url.host_str(), base.host_str(), "{line}");
        assert!(
            served.contains(&(method.to_string(), url.path().to_string())),
            "{line}"
        );
    }
}
