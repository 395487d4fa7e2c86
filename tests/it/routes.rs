//! The catalog and each vendor's documented route table agree both ways:
//! every documented route is a tool, and every tool is a documented route.
//!
//! The tables are checked in (`tests/routes/<vendor>.tsv`: method, path,
//! the reference file and line, and what else the reference says about the
//! route), so the manifest tests run on a fresh clone. Where the vendor
//! references are checked out beside the repository (`../shared/vendor-docs`,
//! as in CI), `route_tables_match_the_references` re-reads every table from
//! its reference and compares both ways; without them it says by name that
//! it did not run, and `LEADS_MCP_REQUIRE_VENDOR_DOCS=1` (set by `.ci/run`)
//! makes their absence a failure. `LEADS_MCP_WRITE_ROUTE_TABLES=1` rewrites
//! the tables from the references.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use leads_mcp_catalog::{Location, ToolSpec};

const VENDORS: [&str; 5] = [
    "leadpanther",
    "leadspro",
    "leadgenius",
    "leadsrover",
    "leadmetrics",
];

/// One row of a route table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    /// An HTTP method, or a kind of fact: `UNDOCUMENTED` (a route the
    /// reference says not to guess), `CLI` (a command the reference offers
    /// only in its CLI), `BASE` (the documented base URL).
    method: String,
    /// The path as documented, with its query if the reference gives one.
    path: String,
    /// `<reference file>:<line>`.
    source: String,
    /// What else the reference says: `scope`, `agency`, `auth`, `batch`, `stream`, `internal`.
    extra: BTreeMap<String, String>,
}

impl Row {
    fn get(&self, key: &str) -> Option<&str> {
        self.extra.get(key).map(String::as_str)
    }

    fn is_route(&self) -> bool {
        METHODS.contains(&self.method.as_str())
    }

    fn render(&self) -> String {
        let mut line = format!("{}\t{}\t{}", self.method, self.path, self.source);
        for (k, v) in &self.extra {
            line.push_str(&format!("\t{k}={v}"));
        }
        line
    }
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn table_path(vendor: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/routes")
        .join(format!("{vendor}.tsv"))
}

fn parse_table(text: &str) -> Vec<Row> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let mut cells = line.split('\t');
            let method = cells.next().unwrap().to_string();
            let path = cells.next().unwrap_or_else(|| panic!("{line}")).to_string();
            let source = cells.next().unwrap_or_else(|| panic!("{line}")).to_string();
            let extra = cells
                .map(|c| {
                    let (k, v) = c.split_once('=').unwrap_or_else(|| panic!("{line}: {c}"));
                    (k.to_string(), v.to_string())
                })
                .collect();
            Row {
                method,
                path,
                source,
                extra,
            }
        })
        .collect()
}

/// The checked-in table of `vendor`.
fn table(vendor: &str) -> Vec<Row> {
    let path = table_path(vendor);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rows = parse_table(&text);
    let catalog = leads_mcp::vendors::load_catalog().unwrap();
    let doc = &catalog.vendor(vendor).unwrap().doc;
    for row in &rows {
        assert!(
            row.source.starts_with(&format!("{doc}:")),
            "{vendor}: {row:?} names another reference than the manifest's {doc}"
        );
    }
    rows
}

fn routes(rows: &[Row]) -> impl Iterator<Item = &Row> {
    rows.iter().filter(|r| r.is_route())
}

fn compare<T: Ord + std::fmt::Debug>(documented: &BTreeSet<T>, served: &BTreeSet<T>) {
    let missing: Vec<_> = documented.difference(served).collect();
    let extra: Vec<_> = served.difference(documented).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "documented but not served: {missing:#?}\nserved but not documented: {extra:#?}"
    );
}

// ---------------------------------------------------------------------------
// The manifests against the checked-in tables: these run everywhere.

/// `{clientId}` and `{client_id}` name the same placeholder.
fn normalize(path: &str) -> String {
    path.replace("{clientId}", "{client_id}")
}

#[test]
fn leadpanther_matches_the_guides_route_table() {
    let rows = table("leadpanther");
    // (direct route, agency route or n/a, scope)
    let documented: BTreeSet<(String, String, String)> = routes(&rows)
        .map(|r| {
            (
                format!("{} {}", r.method, normalize(&r.path)),
                normalize(r.get("agency").unwrap()),
                r.get("scope").unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(documented.len(), 20, "the guide lists 20 routes");

    let catalog = leads_mcp::vendors::load_catalog().unwrap();
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
    compare(&documented, &served);
}

#[test]
fn leadpanther_serves_none_of_the_guessed_routes() {
    let rows = table("leadpanther");
    let guessed: Vec<&str> = rows
        .iter()
        .filter(|r| r.method == "UNDOCUMENTED")
        .map(|r| r.path.as_str())
        .collect();
    assert!(
        guessed.contains(&"/webhooks") && guessed.len() >= 9,
        "{guessed:?}"
    );
    let catalog = leads_mcp::vendors::load_catalog().unwrap();
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

fn base_url(rows: &[Row]) -> &str {
    rows.iter()
        .find(|r| r.method == "BASE")
        .map(|r| r.path.as_str())
        .unwrap()
}

#[test]
fn leadspro_matches_the_available_endpoints() {
    let rows = table("leadspro");
    let documented: BTreeSet<(String, String)> = routes(&rows)
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(documented.len(), 7, "{documented:#?}");

    let catalog = leads_mcp::vendors::load_catalog().unwrap();
    let vendor = catalog.vendor("leadspro").unwrap();
    let base = url::Url::parse(vendor.base_url.as_deref().unwrap()).unwrap();
    assert_eq!(base.as_str(), base_url(&rows));
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
    compare(&documented, &served);
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
    /// The Auth column, or the prose, where the reference states it: `jwt` and/or `api_key`.
    auth: Option<Vec<String>>,
}

impl Operation {
    fn from_row(row: &Row) -> Self {
        let (path, query) = row.path.split_once('?').unwrap_or((&row.path, ""));
        let query = query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        Self {
            method: row.method.clone(),
            path: path.to_string(),
            query,
            batch: row.get("batch").map(str::to_string),
            auth: row
                .get("auth")
                .map(|a| a.split(',').map(str::to_string).collect()),
        }
    }
}

/// Whether `tool` is the tool of documented operation `op`: same method and
/// path, and every documented query parameter is one of its arguments or
/// fixed values. Where the reference tells operations on one route apart
/// (`ops` has several for the method and path), the tool's required query
/// arguments and fixed values are exactly the ones `op` names, and its
/// batch body field is the one `op`'s note names.
fn serves(tool: &ToolSpec, op: &Operation, ops: &[Operation]) -> bool {
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
    let rows = table("leadgenius");
    let ops: Vec<Operation> = routes(&rows)
        .filter(|r| r.get("internal").is_none())
        .map(Operation::from_row)
        .collect();
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

    let catalog = leads_mcp::vendors::load_catalog().unwrap();
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
        // The Auth the reference states, where it does, is the tool's `auth`.
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

    // The login is documented, and driven by the adapter instead of a tool.
    let vendor = catalog.vendor("leadgenius").unwrap();
    let internal: BTreeSet<(String, String)> = routes(&rows)
        .filter(|r| r.get("internal").is_some())
        .map(|r| {
            (
                r.method.clone(),
                r.path.strip_prefix("/api").unwrap().to_string(),
            )
        })
        .collect();
    let driven: BTreeSet<(String, String)> = vendor
        .internal_routes
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert!(internal.contains(&("POST".into(), "/auth".into())));
    compare(&internal, &driven);
    assert_eq!(vendor.base_url.as_deref(), Some(base_url(&rows)));
}

#[test]
fn leadgenius_serves_none_of_the_cli_only_commands() {
    let rows = table("leadgenius");
    let commands: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.method == "CLI")
        .map(|r| r.path.as_str())
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
    let catalog = leads_mcp::vendors::load_catalog().unwrap();
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
    let rows = table("leadsrover");
    let documented: BTreeSet<(String, String)> = routes(&rows)
        .map(|r| (r.method.clone(), leadsrover_path(&r.path)))
        .collect();
    assert_eq!(documented.len(), 20, "{documented:#?}");
    assert!(documented.contains(&("GET".into(), "/api/v1/openapi.json".into())));
    assert!(documented.contains(&("GET".into(), "/api/v1/agent-guide".into())));

    let catalog = leads_mcp::vendors::load_catalog().unwrap();
    let served: BTreeSet<(String, String)> = catalog
        .tools
        .iter()
        .filter(|t| t.vendor == "leadsrover")
        .map(|t| (t.method.as_str().to_string(), t.path.raw.clone()))
        .collect();
    compare(&documented, &served);
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

fn leadmetrics_route(method: &str, path: &str) -> String {
    let path: Vec<String> = path.split('/').map(placeholder).collect();
    format!("{method} {}", path.join("/"))
}

#[test]
fn leadmetrics_matches_the_references_path_lists() {
    let rows = table("leadmetrics");
    let documented: BTreeSet<String> = routes(&rows)
        .map(|r| leadmetrics_route(&r.method, &r.path))
        .collect();
    assert_eq!(documented.len(), 33, "the reference lists 33 paths");

    let catalog = leads_mcp::vendors::load_catalog().unwrap();
    let vendor = catalog.vendor("leadmetrics").unwrap();
    let mut served = BTreeSet::new();
    for tool in catalog.tools.iter().filter(|t| t.vendor == "leadmetrics") {
        assert!(tool.agency_path.is_none());
        assert!(
            served.insert(format!("{} {}", tool.method.as_str(), tool.path.raw)),
            "{} is a second tool for one route",
            tool.name
        );
    }
    assert_eq!(served.len(), 31);
    // Login and refresh are routes the adapter drives, each with its reason.
    for route in &vendor.internal_routes {
        assert!(!route.reason.trim().is_empty());
        assert!(served.insert(format!("{} {}", route.method, route.path)));
    }
    compare(&documented, &served);
    assert!(
        !catalog
            .tools
            .iter()
            .any(|t| t.vendor == "leadmetrics" && t.path.raw.starts_with("/cli/"))
    );
    // The stream routes are the two the reference marks as SSE.
    let documented_streams: BTreeSet<String> = routes(&rows)
        .filter(|r| r.get("stream") == Some("sse"))
        .map(|r| leadmetrics_route(&r.method, &r.path))
        .collect();
    assert_eq!(documented_streams.len(), 2);
    let streams: BTreeSet<String> = catalog
        .tools
        .iter()
        .filter(|t| t.vendor == "leadmetrics" && t.stream)
        .map(|t| format!("{} {}", t.method.as_str(), t.path.raw))
        .collect();
    compare(&documented_streams, &streams);
}

// ---------------------------------------------------------------------------
// The checked-in tables against the references, where they are present.

/// The lines of `text` (numbered from 1) between the first `start` and the
/// first `end` after it; the first line is the rest of `start`'s line.
fn section<'a>(text: &'a str, start: &str, end: Option<&str>) -> Vec<(usize, &'a str)> {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found"))
        + start.len();
    let first = text[..at].matches('\n').count() + 1;
    let rest = &text[at..];
    let rest = match end {
        Some(end) => {
            &rest[..rest
                .find(end)
                .unwrap_or_else(|| panic!("{end:?} not found"))]
        }
        None => rest,
    };
    rest.lines()
        .enumerate()
        .map(|(i, l)| (first + i, l.trim()))
        .collect()
}

fn numbered(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l))
}

struct Reader<'a> {
    doc: &'a str,
    rows: Vec<Row>,
}

impl Reader<'_> {
    fn push(&mut self, method: &str, path: &str, line: usize, extra: &[(&str, &str)]) {
        self.rows.push(Row {
            method: method.to_string(),
            path: path.to_string(),
            source: format!("{}:{line}", self.doc),
            extra: extra
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
    }
}

fn leadpanther_from_reference(text: &str, r: &mut Reader) {
    let table = section(
        text,
        "Use only these current API v1 routes.",
        Some("When constructing a URL"),
    );
    for (n, line) in table
        .iter()
        .filter(|(_, l)| l.starts_with("| ") && !l.starts_with("| Task") && !l.starts_with("|---"))
    {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 4, "{line}");
        let (method, path) = cells[1].split_once(' ').unwrap();
        r.push(
            method,
            path,
            *n,
            &[("agency", cells[2]), ("scope", cells[3])],
        );
    }
    let guessed = section(
        text,
        "Do not generate calls to these routes unless future docs explicitly add them:",
        None,
    );
    for (n, line) in guessed
        .iter()
        .skip_while(|(_, l)| l.is_empty())
        .take_while(|(_, l)| l.starts_with('/'))
    {
        r.push("UNDOCUMENTED", line, *n, &[]);
    }
}

fn leadspro_from_reference(text: &str, r: &mut Reader) {
    let (n, base) = numbered(text)
        .find_map(|(n, l)| l.strip_prefix("Base URL").map(|b| (n, b.trim())))
        .unwrap();
    r.push("BASE", base, n, &[]);
    for (n, line) in section(
        text,
        "Available endpoints",
        Some("Single enrichment example"),
    ) {
        let Some((method, paths)) = line.split_once(' ') else {
            continue;
        };
        if !METHODS.contains(&method) {
            continue;
        }
        for path in paths.split(" + ") {
            assert!(path.starts_with("/api/"), "{line}");
            r.push(method, path.trim(), n, &[]);
        }
    }
    // Every curl example calls a documented route.
    let documented: BTreeSet<(String, String)> = r
        .rows
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let base = url::Url::parse(base).unwrap();
    for line in text.lines().filter(|l| l.starts_with("curl -X ")) {
        let mut words = line.split_whitespace().skip(2);
        let method = words.next().unwrap();
        let url = url::Url::parse(words.next().unwrap()).unwrap();
        assert_eq!(url.host_str(), base.host_str(), "{line}");
        assert!(
            documented.contains(&(method.to_string(), url.path().to_string())),
            "{line}"
        );
    }
}

/// Every `METHOD /api/...` of the reference's operation sections, whether
/// the path is on the method's line or on the next one (the capture split
/// some table cells), with the batch note after it and the Auth cell below.
fn leadgenius_from_reference(text: &str, r: &mut Reader) {
    let (n, base) = numbered(text)
        .find_map(|(n, l)| l.strip_prefix("Base URL: ").map(|b| (n, b.trim())))
        .unwrap();
    r.push("BASE", base, n, &[]);
    let login = format!("curl -X POST {base}/auth");
    let (n, _) = numbered(text).find(|(_, l)| l.trim() == login).unwrap();
    r.push("POST", "/api/auth", n, &[("internal", "login")]);

    // Sections whose Auth is stated in prose.
    let prose = |phrase: &str| {
        numbered(text)
            .find(|(_, l)| l.contains(phrase))
            .map(|(n, _)| n)
            .unwrap()
    };
    let resolved_from_jwt = prose("(resolved from JWT)");
    let settings_jwt = prose("All settings endpoints require JWT auth");

    let lines = section(text, "Core Workflows", Some("Data Architecture"));
    // (method, path with query, batch, auth, line)
    type Op = (String, String, Option<String>, Option<String>, usize);
    let mut ops: Vec<Op> = Vec::new();
    for (i, (n, line)) in lines.iter().enumerate() {
        let next = lines.get(i + 1).map_or("", |(_, l)| l);
        let joined;
        let (routes_text, auth_line) = match line.split_whitespace().last() {
            Some(m) if METHODS.contains(&m) && next.starts_with("/api/") => {
                joined = format!("{line} {next}");
                (joined.as_str(), lines.get(i + 2).map_or("", |(_, l)| l))
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
            let batch = (words.get(w + 2) == Some(&"(with")).then(|| words[w + 3].to_string());
            let auth =
                (auth_line.starts_with("JWT") || auth_line.starts_with("API Key")).then(|| {
                    let mut kinds = Vec::new();
                    if auth_line.contains("JWT") {
                        kinds.push("jwt");
                    }
                    if auth_line.contains("API Key") {
                        kinds.push("api_key");
                    }
                    kinds.join(",")
                });
            // The workflow lines repeat table rows without their Auth cell.
            match ops
                .iter_mut()
                .find(|o| (o.0.as_str(), o.1.as_str(), &o.2) == (*word, route, &batch))
            {
                Some(seen) => {
                    if seen.3.is_none() {
                        seen.3 = auth;
                    }
                }
                None => ops.push((word.to_string(), route.to_string(), batch, auth, *n)),
            }
        }
    }
    for (method, route, batch, auth, n) in ops {
        let path = route.split('?').next().unwrap();
        let prose_line = if path == "/api/clients" || path == "/api/leads" {
            Some(resolved_from_jwt)
        } else if path.starts_with("/api/settings/") {
            Some(settings_jwt)
        } else {
            None
        };
        let mut extra: Vec<(&str, String)> = Vec::new();
        if let Some(b) = batch {
            extra.push(("batch", b));
        }
        match (auth, prose_line) {
            (Some(a), _) => extra.push(("auth", a)),
            (None, Some(line)) => {
                extra.push(("auth", "jwt".into()));
                extra.push(("auth_line", line.to_string()));
            }
            (None, None) => {}
        }
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        r.push(&method, &route, n, &extra);
    }

    let cli = section(text, "CLI Usage", None);
    let mut seen = BTreeSet::new();
    for (n, line) in cli {
        if let Some(command) = line
            .strip_prefix("python3 scripts/lgp.py ")
            .and_then(|rest| rest.split_whitespace().next())
            && seen.insert(command.to_string())
        {
            r.push("CLI", command, n, &[]);
        }
    }
}

fn leadsrover_from_reference(text: &str, r: &mut Reader) {
    // Endpoint headings, as captured: `GET/api/v1/me`, `PATCH/api/v1/leads/:id`.
    for (n, line) in numbered(text) {
        let line = line.trim();
        for method in METHODS {
            if let Some(path) = line.strip_prefix(method)
                && path.starts_with("/api/")
                && !path.contains(' ')
            {
                r.push(method, path, n, &[]);
            }
        }
    }
    // The OpenAPI document and the agent guide are documented as curl lines.
    for (n, line) in numbered(text).filter(|(_, l)| l.trim_start().starts_with("curl ")) {
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
            if !r
                .rows
                .iter()
                .any(|row| row.method == "GET" && row.path == path)
            {
                r.push("GET", path, n, &[]);
            }
        }
    }
}

fn leadmetrics_from_reference(text: &str, r: &mut Reader) {
    assert!(
        text.contains("CLI API/cli/v1"),
        "the surfaces table names the CLI API"
    );
    let quick = section(text, "Quick Reference", None);
    for (n, line) in quick {
        assert!(!line.contains("/cli/"), "the reference now lists CLI paths");
        let words: Vec<&str> = line.split_whitespace().collect();
        for (w, pair) in words.windows(2).enumerate() {
            if METHODS.contains(&pair[0]) && pair[1].starts_with('/') {
                let sse = words.get(w + 2) == Some(&"→") && words.get(w + 3) == Some(&"SSE");
                let extra: &[(&str, &str)] = if sse { &[("stream", "sse")] } else { &[] };
                r.push(pair[0], pair[1], n, extra);
            }
        }
    }
}

fn from_reference(vendor: &str, doc: &str, text: &str) -> Vec<Row> {
    let mut reader = Reader {
        doc,
        rows: Vec::new(),
    };
    match vendor {
        "leadpanther" => leadpanther_from_reference(text, &mut reader),
        "leadspro" => leadspro_from_reference(text, &mut reader),
        "leadgenius" => leadgenius_from_reference(text, &mut reader),
        "leadsrover" => leadsrover_from_reference(text, &mut reader),
        "leadmetrics" => leadmetrics_from_reference(text, &mut reader),
        other => panic!("no reader for {other}"),
    }
    reader.rows
}

fn render(title: &str, doc: &str, rows: &[Row]) -> String {
    let mut out = format!(
        "# {title}: the routes its reference ({doc}) documents, one per row.\n\
         # Generated from the reference by tests/it/routes.rs (LEADS_MCP_WRITE_ROUTE_TABLES=1);\n\
         # route_tables_match_the_references checks it against the reference where that is present.\n\
         # method\tpath\treference:line\t[key=value: what else the reference says]\n"
    );
    for row in rows {
        out.push_str(&row.render());
        out.push('\n');
    }
    out
}

#[test]
fn route_tables_match_the_references() {
    const NAME: &str = "route_tables_match_the_references";
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vendor-docs");
    if !docs.is_dir() {
        let required = std::env::var("LEADS_MCP_REQUIRE_VENDOR_DOCS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{NAME}: ../shared/vendor-docs not found, and LEADS_MCP_REQUIRE_VENDOR_DOCS=1 requires it"
        );
        // Straight to stderr, past the test harness's capture, so the skip
        // shows in a plain `cargo test` run.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {NAME}: ../shared/vendor-docs not found; the checked-in tables were not compared with the references"
        );
        return;
    }
    let write = std::env::var("LEADS_MCP_WRITE_ROUTE_TABLES").is_ok_and(|v| v == "1");
    let catalog = leads_mcp::vendors::load_catalog().unwrap();
    let mut problems = Vec::new();
    for vendor in VENDORS {
        let spec = catalog.vendor(vendor).unwrap();
        let text = std::fs::read_to_string(docs.join(&spec.doc)).unwrap();
        let read = from_reference(vendor, &spec.doc, &text);
        assert!(!read.is_empty(), "{vendor}: nothing read from {}", spec.doc);
        if write {
            std::fs::create_dir_all(table_path(vendor).parent().unwrap()).unwrap();
            std::fs::write(table_path(vendor), render(&spec.title, &spec.doc, &read)).unwrap();
            continue;
        }
        let checked_in: BTreeSet<Row> = table(vendor).into_iter().collect();
        let read: BTreeSet<Row> = read.into_iter().collect();
        for row in read.difference(&checked_in) {
            problems.push(format!(
                "{vendor}: in the reference, not in the table: {}",
                row.render()
            ));
        }
        for row in checked_in.difference(&read) {
            problems.push(format!(
                "{vendor}: in the table, not in the reference: {}",
                row.render()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{problems:#?}\n(rewrite the tables with LEADS_MCP_WRITE_ROUTE_TABLES=1 once the manifests agree)"
    );
}

#[test]
fn a_table_row_that_the_reference_lacks_is_found() {
    // The comparison is a set difference both ways; a table parser that
    // dropped extras would make it pass vacuously.
    let rows = parse_table("GET\t/a\tf.txt:3\tscope=read\n# comment\nCLI\tadmin\tf.txt:9\n");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get("scope"), Some("read"));
    assert_eq!(parse_table(&rows[0].render()), vec![rows[0].clone()]);
}
