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

/// One operation of the LeadGenius reference's tables.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Operation {
    method: String,
    path: String,
    /// Query parameters of the documented route, with their example values.
    query: Vec<(String, String)>,
    /// `(with leads array)`: the body field that makes it a batch.
    batch: Option<String>,
    /// The Auth column, when the table has one: `jwt` and/or `api_key`.
    auth: Option<Vec<String>>,
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Every `METHOD /api/...` of the reference's operation sections, whether
/// the path is on the method's line or on the next one (the capture split
/// some table cells), with the batch note after it and the Auth cell below.
fn leadgenius_operations(text: &str) -> Vec<Operation> {
    let section = text
        .split("Core Workflows")
        .nth(1)
        .and_then(|rest| rest.split("Data Architecture").next())
        .unwrap();
    let lines: Vec<&str> = section.lines().map(str::trim).collect();
    let mut ops: Vec<Operation> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).copied().unwrap_or("");
        // The method ends this line and the path opens the next.
        let joined;
        let (routes_text, auth_line) = match line.split_whitespace().last() {
            Some(m) if METHODS.contains(&m) && next.starts_with("/api/") => {
                joined = format!("{line} {next}");
                (joined.as_str(), lines.get(i + 2).copied().unwrap_or(""))
            }
            _ => (*line, next),
        };
        if line.starts_with("/api/") {
            continue; // read with the line before it
        }
        let words: Vec<&str> = routes_text.split_whitespace().collect();
        for (w, word) in words.iter().enumerate() {
            let Some(route) = words.get(w + 1).filter(|r| r.starts_with("/api/")) else {
                continue;
            };
            if !METHODS.contains(word) {
                continue;
            }
            let route = route.trim_end_matches(',');
            let (path, query) = route.split_once('?').unwrap_or((route, ""));
            let query = query
                .split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (k.to_string(), v.to_string())
                })
                .collect();
            let batch = (words.get(w + 2) == Some(&"(with")).then(|| words[w + 3].to_string());
            let auth =
                (auth_line.starts_with("JWT") || auth_line.starts_with("API Key")).then(|| {
                    let mut kinds = Vec::new();
                    if auth_line.contains("JWT") {
                        kinds.push("jwt".to_string());
                    }
                    if auth_line.contains("API Key") {
                        kinds.push("api_key".to_string());
                    }
                    kinds
                });
            let op = Operation {
                method: word.to_string(),
                path: path.to_string(),
                query,
                batch,
                auth,
            };
            // The workflow lines repeat table rows without their Auth cell.
            match ops.iter_mut().find(|o| {
                (&o.method, &o.path, &o.query, &o.batch)
                    == (&op.method, &op.path, &op.query, &op.batch)
            }) {
                Some(seen) => {
                    if seen.auth.is_none() {
                        seen.auth = op.auth;
                    }
                }
                None => ops.push(op),
            }
        }
    }
    ops
}

/// Whether `tool` is the tool of documented operation `op`: same method and
/// path, and every documented query parameter is one of its arguments or
/// fixed values. Where the reference tells operations on one route apart
/// (`ops` has several for the method and path), the tool's required query
/// arguments and fixed values are exactly the ones `op` names, and its
/// batch body field is the one `op`'s note names.
fn serves(tool: &leads_mcp::catalog::ToolSpec, op: &Operation, ops: &[Operation]) -> bool {
    use leads_mcp::catalog::Location;
    if tool.method.as_str() != op.method || format!("/api{}", tool.path.raw) != op.path {
        return false;
    }
    let query_args: BTreeSet<&str> = tool
        .params
        .iter()
        .filter(|p| p.location == Location::Query)
        .map(|p| p.name.as_str())
        .collect();
    let documented = op.query.iter().all(|(k, v)| {
        query_args.contains(k.as_str())
            || tool.query_const.iter().any(|(ck, cv)| ck == k && cv == v)
    });
    let siblings: Vec<&Operation> = ops
        .iter()
        .filter(|o| o.method == op.method && o.path == op.path)
        .collect();
    if siblings.len() == 1 {
        return documented;
    }
    let doc_keys: BTreeSet<&str> = op.query.iter().map(|(k, _)| k.as_str()).collect();
    let required_named = tool
        .params
        .iter()
        .filter(|p| p.location == Location::Query && p.required)
        .all(|p| doc_keys.contains(p.name.as_str()));
    let consts_named = tool
        .query_const
        .iter()
        .all(|(k, v)| op.query.iter().any(|(dk, dv)| dk == k && dv == v));
    let batch_fields: Vec<&str> = siblings.iter().filter_map(|o| o.batch.as_deref()).collect();
    let batch_body = tool
        .params
        .iter()
        .find(|p| {
            p.location == Location::Body && p.required && batch_fields.contains(&p.name.as_str())
        })
        .map(|p| p.name.clone());
    documented && required_named && consts_named && batch_body == op.batch
}

#[test]
fn leadgenius_matches_the_references_operation_tables() {
    let text = doc("leadgenius");
    let ops = leadgenius_operations(&text);
    // The reference's sections: clients 6, leads 7, bulk 2, company 3,
    // search history 3, webhooks 2, territory 2, settings 9, processing 3,
    // tasks 3, email 2, integrations 4.
    assert_eq!(ops.len(), 46, "{ops:#?}");
    assert!(
        ops.iter()
            .any(|o| o.batch.as_deref() == Some("leads") && o.method == "PUT")
    );
    assert!(ops.iter().any(|o| o.batch.as_deref() == Some("ids")));
    assert!(
        ops.iter()
            .any(|o| o.query.contains(&("purge".into(), "true".into())))
    );

    let catalog = Catalog::load().unwrap();
    let tools: Vec<_> = catalog
        .tools
        .iter()
        .filter(|t| t.vendor == "leadgenius")
        .collect();
    let mut problems = Vec::new();
    for op in &ops {
        let matching: Vec<&str> = tools
            .iter()
            .filter(|t| serves(t, op, &ops))
            .map(|t| t.name.as_str())
            .collect();
        if matching.len() != 1 {
            problems.push(format!("{op:?} is served by {matching:?}"));
            continue;
        }
        // The Auth column, where there is one, is the tool's `auth`.
        if let Some(kinds) = &op.auth {
            let tool = catalog.tool(matching[0]).unwrap();
            if &tool.auth_kinds != kinds {
                problems.push(format!(
                    "{}: documented auth {kinds:?}, manifest {:?}",
                    tool.name, tool.auth_kinds
                ));
            }
        }
    }
    for tool in &tools {
        let matching = ops.iter().filter(|op| serves(tool, op, &ops)).count();
        if matching != 1 {
            problems.push(format!(
                "{} serves {matching} documented operations",
                tool.name
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // Sections whose Auth is stated in prose: "resolved from JWT" for
    // clients and leads, "require JWT auth" for settings.
    assert!(
        text.contains("(resolved from JWT)")
            && text.contains("All settings endpoints require JWT auth")
    );
    for tool in &tools {
        let path = &tool.path.raw;
        let prose_jwt = path == "/clients" || path == "/leads" || path.starts_with("/settings/");
        if prose_jwt {
            assert_eq!(tool.auth_kinds, ["jwt"], "{}", tool.name);
        }
    }

    // The login is documented, and driven by the adapter instead of a tool.
    assert!(text.contains("curl -X POST https://last.leadgenius.app/api/auth"));
    let vendor = catalog.vendor("leadgenius").unwrap();
    assert!(
        vendor
            .internal_routes
            .iter()
            .any(|r| r.method == "POST" && r.path == "/auth")
    );
    assert_eq!(
        vendor.base_url.as_deref(),
        text.lines()
            .find_map(|l| l.strip_prefix("Base URL: "))
            .map(str::trim)
    );
}

#[test]
fn leadgenius_serves_none_of_the_cli_only_commands() {
    let text = doc("leadgenius");
    let cli = text.split("CLI Usage").nth(1).unwrap();
    let commands: BTreeSet<&str> = cli
        .lines()
        .filter_map(|l| l.trim().strip_prefix("python3 scripts/lgp.py "))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    for expected in [
        "campaigns",
        "pipeline",
        "maintenance",
        "generate-key",
        "admin",
    ] {
        assert!(commands.contains(expected), "{commands:?}");
    }
    let catalog = Catalog::load().unwrap();
    for tool in catalog.tools.iter().filter(|t| t.vendor == "leadgenius") {
        for command in [
            "campaigns",
            "pipeline",
            "maintenance",
            "generate-key",
            "admin",
        ] {
            let word = command.replace('-', "_");
            assert!(
                !tool.name.contains(&word) && !tool.path.raw.contains(command),
                "{} looks like the CLI-only command {command}",
                tool.name
            );
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
