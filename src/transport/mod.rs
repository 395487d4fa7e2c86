//! The ways a client reaches the server: stdio, Streamable HTTP and legacy
//! HTTP+SSE, plus the `tools` listing of what they would serve.

pub mod http;
pub mod legacy_sse;
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
        return Ok(());
    }
    let width = served.tools.iter().map(|t| t.name.len()).max().unwrap_or(4);
    println!(
        "{:width$}  {:6}  {:50}  {:18}  FLAGS",
        "NAME", "METHOD", "PATH (AGENCY PATH)", "SCOPE"
    );
    for t in &served.tools {
        let path = match &t.agency_path {
            Some(agency) => format!("{} ({})", t.path.raw, agency.raw),
            None => t.path.raw.clone(),
        };
        let mut flags = Vec::new();
        if t.read_only {
            flags.push("read-only".to_string());
        }
        if t.destructive {
            flags.push("destructive".to_string());
        }
        if let Some(kind) = t.confirm {
            flags.push(format!(
                "confirm:{}",
                serde_json::to_value(kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ));
        }
        if t.sensitive() {
            flags.push("personal-data".to_string());
        }
        println!(
            "{:width$}  {:6}  {:50}  {:18}  {}",
            t.name,
            t.method.as_str(),
            path,
            t.scope.as_deref().unwrap_or("-"),
            flags.join(",")
        );
    }
    println!();
    println!(
        "{} tools from {} vendor(s); {size}.",
        served.tools.len(),
        served.vendors.len()
    );
    for note in &served.notes {
        println!("note: {note}");
    }
    Ok(())
}
