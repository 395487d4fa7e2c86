//! MCP over stdin/stdout. stdout carries only protocol messages; logs go to
//! stderr. The server ends when stdin closes.

use std::sync::Arc;

use rmcp::ServiceExt;

use crate::server::{LeadsServer, Served};

pub async fn serve(served: Arc<Served>) -> Result<(), String> {
    let server = LeadsServer::new(served);
    let running = match server.serve(rmcp::transport::stdio_pipes()).await {
        Ok(running) => running,
        // stdin closed before a client spoke: nothing to serve.
        Err(e) => {
            tracing::info!("stdio session ended before it started: {e}");
            return Ok(());
        }
    };
    running
        .waiting()
        .await
        .map(|reason| tracing::info!(?reason, "stdio session ended"))
        .map_err(|e| format!("stdio session failed: {e}"))
}
