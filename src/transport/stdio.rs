//! MCP over stdin/stdout. stdout carries only protocol messages; logs go to
//! stderr. The server ends when stdin closes.
//!
//! The line transport is the project's own rather than rmcp's, so that every
//! line gets an answer it can act on: malformed JSON, invalid UTF-8, nesting
//! too deep and a line over the limit get -32700, a request reusing an id in
//! flight gets -32600 at once, and a notification before the session starts
//! is ignored with a log line (rmcp would end the session on it).

use std::borrow::Cow;
use std::sync::Arc;

use rmcp::model::{ClientJsonRpcMessage, ClientRequest, GetMeta, ProtocolVersion};
use rmcp::transport::Transport;
use rmcp::{RoleServer, ServerHandler, ServiceExt};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

use crate::server::{LeadsServer, Served};
use crate::transport::jsonrpc::{self, Fault, InFlight};

/// The longest line read; longer ones are answered -32700 and skipped.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

pub async fn serve(served: Arc<Served>) -> Result<(), String> {
    let server = LeadsServer::new(served);
    let versions = ServerHandler::supported_protocol_versions(&server);
    let (read, write) = rmcp::transport::stdio_pipes();
    let transport = LineTransport::new(read, write, versions);
    let running = match server.serve(transport).await {
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

/// One line to write, and who waits for it to be flushed.
type Outgoing = (Vec<u8>, Option<oneshot::Sender<std::io::Result<()>>>);

/// Newline-delimited JSON-RPC on a reader and a writer.
pub struct LineTransport<R> {
    reader: BufReader<R>,
    line: Vec<u8>,
    max_line: usize,
    /// Dropping the rest of a line that was too long.
    discarding: bool,
    /// Every line out goes through one writer task, so the answers this
    /// transport gives itself never interleave with rmcp's.
    out: mpsc::UnboundedSender<Outgoing>,
    in_flight: Arc<InFlight>,
    /// Whether rmcp has entered its session (after `initialize`, or a
    /// 2026-07-28 request with its metadata).
    started: bool,
    versions: Cow<'static, [ProtocolVersion]>,
}

impl<R: AsyncRead + Send + Unpin + 'static> LineTransport<R> {
    pub fn new<W: AsyncWrite + Send + Unpin + 'static>(
        read: R,
        write: W,
        versions: Cow<'static, [ProtocolVersion]>,
    ) -> Self {
        let (out, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_lines(write, rx));
        Self {
            reader: BufReader::new(read),
            line: Vec::new(),
            max_line: MAX_LINE_BYTES,
            discarding: false,
            out,
            in_flight: Arc::default(),
            started: false,
            versions,
        }
    }

    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    fn answer(&self, fault: &Fault) {
        let mut bytes = fault.to_json();
        bytes.push(b'\n');
        let _ = self.out.send((bytes, None));
    }

    /// Reads one line into `self.line`. Cancel-safe: `receive` is polled in a
    /// `select!`, so a partial line stays in `self.line` for the next call.
    async fn read_line(&mut self) -> Line {
        loop {
            let (consumed, step) = {
                let available = match self.reader.fill_buf().await {
                    Ok(available) => available,
                    Err(e) => return Line::Failed(e),
                };
                if available.is_empty() {
                    return Line::Eof;
                }
                let newline = available.iter().position(|b| *b == b'\n');
                let take = newline.map_or(available.len(), |i| i + 1);
                if self.discarding {
                    if newline.is_some() {
                        self.discarding = false;
                    }
                    (take, Step::More)
                } else if self.line.len().saturating_add(take) > self.max_line + 1 {
                    self.line.clear();
                    self.discarding = newline.is_none();
                    (take, Step::TooLong)
                } else {
                    self.line.extend_from_slice(&available[..take]);
                    (
                        take,
                        if newline.is_some() {
                            Step::Line
                        } else {
                            Step::More
                        },
                    )
                }
            };
            self.reader.consume(consumed);
            match step {
                Step::Line => return Line::Complete,
                Step::TooLong => return Line::TooLong,
                Step::More => {}
            }
        }
    }

    /// Whether rmcp takes this request as the start of its session.
    fn starts_session(&self, request: &ClientRequest) -> bool {
        match request {
            ClientRequest::InitializeRequest(_) => true,
            ClientRequest::PingRequest(_) | ClientRequest::DiscoverRequest(_) => false,
            other => {
                let meta = other.get_meta();
                meta.missing_required_keys(&ProtocolVersion::V_2026_07_28)
                    .is_empty()
                    && meta
                        .protocol_version()
                        .is_some_and(|v| self.versions.contains(&v))
            }
        }
    }
}

enum Line {
    Complete,
    TooLong,
    Eof,
    Failed(std::io::Error),
}

enum Step {
    Line,
    More,
    TooLong,
}

async fn write_lines<W: AsyncWrite + Unpin>(
    mut write: W,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
) {
    while let Some((bytes, done)) = rx.recv().await {
        let result = async {
            write.write_all(&bytes).await?;
            write.flush().await
        }
        .await;
        let failed = result.is_err();
        if let Some(done) = done {
            let _ = done.send(result);
        }
        if failed {
            return;
        }
    }
}

impl<R: AsyncRead + Send + Unpin + 'static> Transport<RoleServer> for LineTransport<R> {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: rmcp::model::ServerJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        // rmcp has forgotten the request by now; the pipe keeps order, so
        // the client cannot reuse the id before this answer reaches it.
        self.in_flight.on_outgoing(&item);
        let queued = serde_json::to_vec(&item).map(|mut bytes| {
            bytes.push(b'\n');
            let (done, wait) = oneshot::channel();
            (self.out.send((bytes, Some(done))).is_ok(), wait)
        });
        async move {
            let (sent, wait) = queued.map_err(std::io::Error::other)?;
            if !sent {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "stdout is closed",
                ));
            }
            wait.await.unwrap_or_else(|_| {
                Err(std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "stdout is closed",
                ))
            })
        }
    }

    async fn receive(&mut self) -> Option<ClientJsonRpcMessage> {
        loop {
            match self.read_line().await {
                Line::Complete => {}
                Line::TooLong => {
                    tracing::warn!(
                        max_bytes = self.max_line,
                        "a line over the limit was skipped"
                    );
                    self.answer(&Fault {
                        id: None,
                        code: rmcp::model::ErrorCode::PARSE_ERROR,
                        message: format!(
                            "Parse error: the message is longer than the {} MiB limit of one line",
                            self.max_line / (1024 * 1024)
                        ),
                    });
                    continue;
                }
                // A partial last line without its newline is not a message.
                Line::Eof => return None,
                Line::Failed(e) => {
                    tracing::error!("cannot read stdin: {e}");
                    return None;
                }
            }
            let line = std::mem::take(&mut self.line);
            let body = line.strip_suffix(b"\n").unwrap_or(&line);
            let body = body.strip_suffix(b"\r").unwrap_or(body);
            if body.iter().all(u8::is_ascii_whitespace) {
                self.line = line;
                self.line.clear();
                continue;
            }
            let parsed = jsonrpc::classify(body);
            // Keep the buffer's capacity for the next line.
            self.line = line;
            self.line.clear();
            let message = match parsed {
                Ok(Some(message)) => message,
                Ok(None) => continue,
                Err(fault) => {
                    tracing::debug!(
                        code = fault.code.0,
                        "answered a faulty message: {}",
                        fault.message
                    );
                    self.answer(&fault);
                    continue;
                }
            };
            match &message {
                ClientJsonRpcMessage::Request(request) => {
                    if !self.in_flight.begin(&request.id) {
                        tracing::warn!(id = %request.id, "refused a request reusing an id still in flight");
                        let mut bytes = serde_json::to_vec(&InFlight::duplicate(&request.id))
                            .unwrap_or_default();
                        bytes.push(b'\n');
                        let _ = self.out.send((bytes, None));
                        continue;
                    }
                    if !self.started && self.starts_session(&request.request) {
                        self.started = true;
                    }
                }
                ClientJsonRpcMessage::Notification(notification) => {
                    if !self.started {
                        let method = serde_json::to_value(&notification.notification)
                            .ok()
                            .and_then(|v| {
                                v.get("method").and_then(|m| m.as_str()).map(str::to_string)
                            })
                            .unwrap_or_default();
                        tracing::info!(%method, "ignored a notification sent before initialize");
                        continue;
                    }
                    self.in_flight.on_incoming_notification(&message);
                }
                ClientJsonRpcMessage::Response(_) | ClientJsonRpcMessage::Error(_) => {
                    if !self.started {
                        tracing::info!("ignored a response sent before initialize");
                        continue;
                    }
                }
            }
            return Some(message);
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

    /// A transport on in-memory pipes: what the test writes is stdin, what
    /// it reads is stdout.
    fn pipes(
        max_line: usize,
    ) -> (
        LineTransport<tokio::io::DuplexStream>,
        tokio::io::DuplexStream,
        tokio::io::Lines<BufReader<tokio::io::DuplexStream>>,
    ) {
        let (stdin_w, stdin_r) = tokio::io::duplex(1 << 20);
        let (stdout_w, stdout_r) = tokio::io::duplex(1 << 20);
        let t = LineTransport::new(
            stdin_r,
            stdout_w,
            Cow::Borrowed(ProtocolVersion::KNOWN_VERSIONS),
        )
        .with_max_line(max_line);
        (t, stdin_w, BufReader::new(stdout_r).lines())
    }

    async fn next_out(out: &mut tokio::io::Lines<BufReader<tokio::io::DuplexStream>>) -> Value {
        let line = out.next_line().await.unwrap().unwrap();
        serde_json::from_str(&line).unwrap()
    }

    #[tokio::test]
    async fn a_line_over_the_limit_is_answered_and_skipped() {
        let (mut t, mut stdin, mut out) = pipes(64);
        let long = format!("{{\"x\":\"{}\"}}\n", "a".repeat(200));
        stdin.write_all(long.as_bytes()).await.unwrap();
        stdin
            .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n")
            .await
            .unwrap();
        let m = t.receive().await.unwrap();
        assert!(matches!(m, ClientJsonRpcMessage::Request(_)));
        let e = next_out(&mut out).await;
        assert_eq!(e["error"]["code"], -32700);
        assert_eq!(e["id"], Value::Null);
    }

    #[tokio::test]
    async fn notifications_before_the_session_are_dropped() {
        let (mut t, mut stdin, _out) = pipes(MAX_LINE_BYTES);
        for line in [
            json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
            json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}),
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
                "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}),
            json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        ] {
            stdin
                .write_all(format!("{line}\n").as_bytes())
                .await
                .unwrap();
        }
        let first = t.receive().await.unwrap();
        assert!(
            matches!(first, ClientJsonRpcMessage::Request(_)),
            "{first:?}"
        );
        let second = t.receive().await.unwrap();
        assert!(
            matches!(second, ClientJsonRpcMessage::Notification(_)),
            "{second:?}"
        );
    }

    #[tokio::test]
    async fn a_reused_id_in_flight_is_refused_at_once() {
        let (mut t, mut stdin, mut out) = pipes(MAX_LINE_BYTES);
        let ping = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}\n";
        stdin.write_all(ping.as_bytes()).await.unwrap();
        stdin.write_all(ping.as_bytes()).await.unwrap();
        stdin.write_all(ping.as_bytes()).await.unwrap();
        assert!(t.receive().await.is_some());
        let dup = {
            // The second and third are answered without being handed on.
            stdin.shutdown().await.unwrap();
            assert!(t.receive().await.is_none());
            next_out(&mut out).await
        };
        assert_eq!(dup["id"], 9);
        assert_eq!(dup["error"]["code"], -32600);
        assert_eq!(next_out(&mut out).await["error"]["code"], -32600);
        // Once answered, the id is free again.
        t.send(rmcp::model::ServerJsonRpcMessage::response(
            rmcp::model::ServerResult::empty(()),
            rmcp::model::RequestId::Number(9),
        ))
        .await
        .unwrap();
        assert_eq!(next_out(&mut out).await["result"], json!({}));
        assert!(t.in_flight.is_empty());
    }
}
