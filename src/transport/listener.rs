//! The TCP front of `leads-mcp http`: every connection served by hyper with
//! a header-read timeout, closed once idle, and at most so many open.
//!
//! All of this happens before the token check, so it is what keeps an
//! unauthenticated peer from holding the listener: past the cap, the
//! longest-idle connection is closed to make room for the new one, so
//! sockets left open by others never lock a real client out.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::config::HttpLimits;

/// How long a shutdown waits for answers under way before it closes anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// One open connection.
struct Conn {
    /// Requests under way (their answer bodies not yet finished).
    busy: AtomicUsize,
    idle_since: Mutex<Instant>,
    /// Woken when the connection turns idle or is told to close.
    changed: Notify,
    close: CancellationToken,
}

impl Conn {
    fn idle_since(&self) -> Option<Instant> {
        if self.busy.load(Ordering::SeqCst) > 0 {
            return None;
        }
        Some(*self.idle_since.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Marks its connection busy while a request and its answer last.
struct Busy(Arc<Conn>);

impl Busy {
    fn new(conn: Arc<Conn>) -> Self {
        conn.busy.fetch_add(1, Ordering::SeqCst);
        Self(conn)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        if self.0.busy.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.changed.notify_one();
        }
    }
}

/// An answer body that keeps its connection busy until it is done.
struct Tracked {
    inner: axum::body::Body,
    _busy: Busy,
}

impl hyper::body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[derive(Default)]
struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next: AtomicU64,
    emptied: Notify,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self) -> (u64, Arc<Conn>) {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let conn = Arc::new(Conn {
            busy: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            changed: Notify::new(),
            close: CancellationToken::new(),
        });
        self.lock().insert(id, conn.clone());
        (id, conn)
    }

    fn remove(&self, id: u64) {
        let mut conns = self.lock();
        conns.remove(&id);
        if conns.is_empty() {
            self.emptied.notify_waiters();
        }
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    /// Closes the connection idle the longest; false when all are busy.
    fn evict_longest_idle(&self) -> bool {
        let mut conns = self.lock();
        let oldest = conns
            .iter()
            .filter_map(|(id, c)| c.idle_since().map(|since| (since, *id)))
            .min();
        let Some((_, id)) = oldest else {
            return false;
        };
        if let Some(conn) = conns.remove(&id) {
            conn.close.cancel();
        }
        true
    }

    async fn wait_empty(&self) {
        loop {
            let emptied = self.emptied.notified();
            if self.len() == 0 {
                return;
            }
            emptied.await;
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// answers under way finish (for up to [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &HttpLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let registry = Arc::new(Registry::default());
    let graceful = CancellationToken::new();
    let idle_timeout = limits.idle_timeout;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: let some close.
                    tracing::warn!("cannot accept a connection: {e}");
                    registry.evict_longest_idle();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if registry.len() >= limits.max_connections && !registry.evict_longest_idle() {
            tracing::warn!(
                %peer,
                max = limits.max_connections,
                "connection refused: every connection is busy (LEADS_MCP_MAX_CONNECTIONS)"
            );
            drop(stream);
            continue;
        }
        let (id, conn) = registry.add();
        let builder = builder.clone();
        let registry = registry.clone();
        let graceful = graceful.clone();
        let app = app.clone();
        tokio::spawn(async move {
            serve_connection(&builder, stream, app, &conn, &graceful, idle_timeout).await;
            registry.remove(id);
        });
    }
    drop(listener);
    graceful.cancel();
    if tokio::time::timeout(SHUTDOWN_GRACE, registry.wait_empty())
        .await
        .is_err()
    {
        tracing::warn!(
            open = registry.len(),
            "closing connections still open after the shutdown grace period"
        );
    }
}

async fn serve_connection(
    builder: &auto::Builder<TokioExecutor>,
    stream: tokio::net::TcpStream,
    app: Router,
    conn: &Arc<Conn>,
    graceful: &CancellationToken,
    idle_timeout: Duration,
) {
    let state = conn.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let busy = Busy::new(state.clone());
        let app = app.clone();
        async move {
            let response = match app.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|inner| Tracked { inner, _busy: busy }))
        }
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut shutting_down = false;
    loop {
        // Shutting down, an idle connection (or one still sending its
        // headers) has nothing to finish: close it now.
        if shutting_down && conn.idle_since().is_some() {
            return;
        }
        // An idle connection closes `idle_timeout` after its last answer
        // (or its opening); a busy one is looked at again when it turns idle.
        let deadline = conn
            .idle_since()
            .map_or(Instant::now() + idle_timeout, |since| since + idle_timeout);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("connection ended: {e}");
                }
                return;
            }
            () = conn.close.cancelled() => {
                tracing::debug!("closed an idle connection to make room for a new one");
                return;
            }
            () = graceful.cancelled(), if !shutting_down => {
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
            () = conn.changed.notified() => {}
            () = tokio::time::sleep_until(deadline) => {
                if conn.idle_since().is_some_and(|since| since.elapsed() >= idle_timeout) {
                    tracing::debug!("closed a connection idle for {idle_timeout:?}");
                    return;
                }
            }
        }
    }
}
