//! The ways a client reaches the server: stdio, Streamable HTTP and legacy
//! HTTP+SSE, plus the `tools` listing of what they would serve.

pub mod http;
pub mod jsonrpc;
pub mod legacy_sse;
pub mod listener;
pub mod sessions;
pub mod stdio;

use crate::server::Served;

/// Bytes of the `tools/list` answer and an approximate token count
/// (four bytes a token, the usual rule of thumb for English and JSON).
pub fn tools_list_size(served: &Served) -> (usize, usize) {
    let bytes = serde_json::to_vec(&served.tools_list())
        .map(|b| b.len())
        .unwrap_or(0);
    (bytes, bytes.div_ceil(4))
}

/// `leads-mcp tools [--json]`.
pub fn print_tools(served: &Served, json: bool) -> Result<(), String> {
    let (bytes, tokens) = tools_list_size(served);
    let size = format!("tools/list answer: {bytes} bytes, about {tokens} tokens");
    if json {
        let rows: Vec<_> = served.tools.iter().map(|t| t.summary()).collect();
        let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        println!("{text}");
        eprintln!("{} tools; {size}", served.tools.len());
        for line in group_notes(served) {
            eprintln!("note: {line}");
        }
        for note in &served.notes {
            eprintln!("note: {note}");
        }
        return Ok(());
    }
    let width = served.tools.iter().map(|t| t.name.len()).max().unwrap_or(4);
    let group_width = served
        .tools
        .iter()
        .map(|t| t.group_id().len())
        .max()
        .unwrap_or(5);
    println!(
        "{:width$}  {:group_width$}  {:6}  {:50}  {:18}  FLAGS",
        "NAME", "GROUP", "METHOD", "PATH (AGENCY PATH)", "SCOPE"
    );
    for t in &served.tools {
        let mut path = if t.path.raw.is_empty() {
            "(the base URL)".to_string()
        } else {
            t.path.raw.clone()
        };
        // Routes that differ only by a fixed query (e.g. `purge=true`) show it.
        let fixed: Vec<String> = t
            .query_const
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !fixed.is_empty() {
            path = format!("{path}?{}", fixed.join("&"));
        }
        if let Some(agency) = &t.agency_path {
            path = format!("{path} ({})", agency.raw);
        }
        let mut flags = Vec::new();
        if t.read_only {
            flags.push("read-only".to_string());
        }
        if t.destructive {
            flags.push("destructive".to_string());
        }
        if let Some(kind) = t.confirm {
            flags.push(format!("confirm:{}", kind.as_str()));
        }
        if t.sensitive() {
            flags.push("personal-data".to_string());
        }
        if t.stream {
            flags.push("stream".to_string());
        }
        if t.privileged {
            flags.push("privileged".to_string());
        }
        println!(
            "{:width$}  {:group_width$}  {:6}  {:50}  {:18}  {}",
            t.name,
            t.group_id(),
            t.method.as_str(),
            path,
            t.scope.as_deref().unwrap_or("-"),
            flags.join(",")
        );
    }
    if !served.groups.is_empty() {
        let width = served.groups.iter().map(|g| g.id.len()).max().unwrap_or(5);
        println!();
        println!("{:width$}  SERVED  STATUS", "GROUP");
        for g in &served.groups {
            let status = match (g.privileged, g.served) {
                (true, 0) => format!("privileged, off: enable with --add-tools {}", g.id),
                (true, _) => "privileged, enabled".to_string(),
                (false, 0) => "off".to_string(),
                (false, _) => "on".to_string(),
            };
            let counts = format!("{}/{}", g.served, g.total);
            println!("{:width$}  {counts:6}  {status}. {}", g.id, g.description);
        }
    }
    println!();
    println!(
        "{} tools from {} vendor(s); {size}.",
        served.tools.len(),
        served.pipeline.vendor_names().count()
    );
    for note in &served.notes {
        println!("note: {note}");
    }
    Ok(())
}

/// The privileged groups left off, and how to serve them.
fn group_notes(served: &Served) -> Vec<String> {
    served
        .groups
        .iter()
        .filter(|g| g.privileged && g.served == 0)
        .map(|g| {
            format!(
                "privileged group {} is off: enable it with --add-tools {}",
                g.id, g.id
            )
        })
        .collect()
}
