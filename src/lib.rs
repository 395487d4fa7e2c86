//! leads-mcp: an MCP server for the documented APIs of five lead-generation
//! vendors. ARCHITECTURE.md in the repository walks the layers and a call.

pub mod bundle;
pub mod client_config;
pub mod config;
pub mod confirm;
pub mod doctor;
pub mod env_vars;
pub mod envelope;
pub mod guard;
pub mod mcp_log;
pub mod output_guard;
pub mod pipeline;
pub mod progress;
pub mod prompts;
pub mod rate_limit;
pub mod redact;
pub mod result;
pub mod route;
pub mod selection;
pub mod server;
pub mod sse;
pub mod stream;
pub mod transport;
pub mod upstream;
pub mod vendors;
