//! How a long call tells the client it is getting somewhere: MCP progress
//! notifications, sent only when the client asked for them (a progress token
//! in the request's `_meta`).

use futures::future::BoxFuture;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::{Peer, RequestContext, RoleServer};

/// Where a call reports progress. `total` is the most it can reach, if known.
pub trait Progress: Send + Sync {
    fn report(&self, progress: u64, total: Option<u64>, message: String) -> BoxFuture<'_, ()>;
}

/// For calls nobody watches (resources, preflight reads, unit tests).
pub struct NoProgress;

impl Progress for NoProgress {
    fn report(&self, _: u64, _: Option<u64>, _: String) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// `notifications/progress` to the client that made the request.
pub struct McpProgress {
    peer: Peer<RoleServer>,
    token: Option<ProgressToken>,
}

impl McpProgress {
    pub fn of(ctx: &RequestContext<RoleServer>) -> Self {
        Self {
            peer: ctx.peer.clone(),
            token: ctx.meta.get_progress_token(),
        }
    }
}

impl Progress for McpProgress {
    fn report(&self, progress: u64, total: Option<u64>, message: String) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let Some(token) = &self.token else {
                return;
            };
            let mut param = ProgressNotificationParam::new(token.clone(), progress as f64)
                .with_message(message);
            if let Some(total) = total {
                param = param.with_total(total as f64);
            }
            // A client that went away is not the call's failure.
            if let Err(e) = self.peer.notify_progress(param).await {
                tracing::debug!(error = %e, "progress notification not delivered");
            }
        })
    }
}
