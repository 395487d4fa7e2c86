//! A spec as the command line lists it: the row of `leads-mcp tools --json`.
//! (The MCP tool definition is the server's: `src/result.rs`.)

use serde_json::{Value, json};

use crate::spec::ToolSpec;

impl ToolSpec {
    /// The row `leads-mcp tools --json` prints for this tool.
    pub fn summary(&self) -> Value {
        json!({
            "name": self.name,
            "vendor": self.vendor,
            "group": self.group_id(),
            "title": self.title,
            "method": self.method.as_str(),
            "path": self.path.raw,
            "agency_path": self.agency_path.as_ref().map(|p| p.raw.clone()),
            "scope": self.scope,
            "read_only": self.read_only,
            "destructive": self.destructive,
            "confirm": self.confirm,
            "sensitive": self.sensitive(),
            "privileged": self.privileged,
            "stream": self.stream,
        })
    }
}
