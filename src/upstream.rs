//! Step 5 of a call: the one shared HTTP client.
//!
//! Timeouts, a response-size bound, an `X-Request-Id` on every request,
//! bounded retries for safe reads (network faults, 502/503/504, and 429
//! within its `Retry-After`), never for writes, and cancellation.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::Limits;
use crate::rate_limit::{RateLimiter, Throttled};
use leads_mcp_catalog::vocab::Method;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A request as the vendor layer hands it over, authentication included.
pub struct Outgoing {
    pub method: Method,
    pub url: Url,
    /// Authentication and vendor headers; values are marked sensitive.
    pub headers: HeaderMap,
    pub body: Option<Value>,
    pub request_id: String,
    /// Safe to send again after a transient failure (reads only).
    pub retry_safe: bool,
}

/// Without the body: a login's body carries a password, and others personal
/// data. Header values built from secrets are marked sensitive and print
/// as such.
impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("method", &self.method)
            .field("path", &self.url.path())
            .field("headers", &self.headers)
            .field("body", &self.body.as_ref().map(|_| "<omitted>"))
            .field("request_id", &self.request_id)
            .field("retry_safe", &self.retry_safe)
            .finish()
    }
}

#[derive(Debug)]
pub struct Incoming {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// How many times the request was sent.
    pub attempts: u32,
}

impl Incoming {
    /// The `Retry-After` delay, in seconds or as an HTTP date.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The call's deadline passed. `attempts` requests had been sent by
    /// then (0: nothing was sent).
    #[error("no answer within the call's deadline: {:.1} s spent, {attempts} request(s) sent", .spent.as_secs_f64())]
    Timeout { spent: Duration, attempts: u32 },
    /// No connection could be made: nothing was sent.
    #[error("could not connect: {0}")]
    Connect(String),
    /// The connection failed after the request may have gone out.
    #[error("the connection failed: {0}")]
    Network(String),
    #[error("the answer was larger than {0} bytes")]
    TooLarge(usize),
    #[error("the call was cancelled")]
    Cancelled,
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
    /// The vendor's rate limit for this key leaves no slot within the wait
    /// the server allows itself; nothing was sent.
    #[error("the client-side rate limit ({}) would need a wait of {} s", .0.limit, .0.wait.as_secs().max(1))]
    RateLimited(Throttled),
}

impl UpstreamError {
    /// Whether the request may have reached the vendor.
    pub fn maybe_sent(&self) -> bool {
        match self {
            Self::Timeout { attempts, .. } => *attempts > 0,
            Self::Connect(_) | Self::Client(_) | Self::RateLimited(_) => false,
            Self::Network(_) | Self::TooLarge(_) | Self::Cancelled => true,
        }
    }
}

/// What bounds one call on its way to the vendor: the client's
/// cancellation and the call's deadline.
#[derive(Clone, Copy)]
pub struct CallScope<'a> {
    pub ct: &'a CancellationToken,
    pub deadline: Deadline,
}

/// How long one tool call may spend on the vendor: every request, retry,
/// rate-limit wait, login and preflight read of the call shares it.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    started: Instant,
    at: Instant,
}

impl Deadline {
    pub fn after(limit: Duration) -> Self {
        let started = Instant::now();
        Self {
            started,
            at: started + limit,
        }
    }

    /// The same budget, less `spent` already used (e.g. by preflight reads
    /// before the human was asked, whose thinking time doesn't count).
    pub fn resumed(limit: Duration, spent: Duration) -> Self {
        let now = Instant::now();
        Self {
            started: now.checked_sub(spent).unwrap_or(now),
            at: now + limit.saturating_sub(spent),
        }
    }

    pub fn at(&self) -> Instant {
        self.at
    }

    pub fn spent(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    fn timeout(&self, attempts: u32) -> UpstreamError {
        UpstreamError::Timeout {
            spent: self.spent(),
            attempts,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Upstream {
    client: reqwest::Client,
    limits: Limits,
}

/// Installs the process-wide rustls provider (ring); idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Upstream {
    pub fn new(limits: Limits) -> Result<Self, UpstreamError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .user_agent(concat!("leads-mcp/", env!("CARGO_PKG_VERSION")))
            // A redirect could carry the Authorization header to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| UpstreamError::Client(e.without_url().to_string()))?;
        Ok(Self { client, limits })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sends `req` within `deadline`, retrying a safe read a bounded number of times.
    pub async fn send(
        &self,
        req: &Outgoing,
        ct: &CancellationToken,
        deadline: Deadline,
    ) -> Result<Incoming, UpstreamError> {
        self.send_paced(req, ct, deadline, None).await
    }

    /// [`Self::send`], with every attempt (retries too) taking a slot of the
    /// key's `limiter` first, waiting at most `max_retry_wait` for it; a 429's
    /// `Retry-After` holds the limiter. A first attempt without a slot is
    /// [`UpstreamError::RateLimited`] and sends nothing. No attempt, wait or
    /// retry goes past `deadline`.
    pub async fn send_paced(
        &self,
        req: &Outgoing,
        ct: &CancellationToken,
        deadline: Deadline,
        limiter: Option<&RateLimiter>,
    ) -> Result<Incoming, UpstreamError> {
        let mut attempt = 0u32;
        let mut last: Option<Result<Incoming, UpstreamError>> = None;
        loop {
            if let Some(limiter) = limiter {
                let wait = self.limits.max_retry_wait.min(deadline.remaining());
                let paced = tokio::select! {
                    _ = ct.cancelled() => return Err(UpstreamError::Cancelled),
                    r = limiter.acquire(req.method, wait) => r,
                };
                if let Err(throttled) = paced {
                    return match last {
                        Some(result) => result.map(|r| Incoming {
                            attempts: attempt,
                            ..r
                        }),
                        // The wait the deadline leaves was the bound, not the server's own.
                        None if wait < self.limits.max_retry_wait
                            && throttled.wait <= self.limits.max_retry_wait =>
                        {
                            Err(deadline.timeout(0))
                        }
                        None => Err(UpstreamError::RateLimited(throttled)),
                    };
                }
            }
            if deadline.remaining().is_zero() {
                return Err(deadline.timeout(attempt));
            }
            attempt += 1;
            let result = tokio::select! {
                _ = ct.cancelled() => return Err(UpstreamError::Cancelled),
                _ = tokio::time::sleep_until(deadline.at()) => Err(deadline.timeout(attempt)),
                r = self.send_once(req, attempt, deadline) => r,
            };
            if let (Some(limiter), Ok(resp)) = (limiter, &result)
                && resp.status == StatusCode::TOO_MANY_REQUESTS
                && let Some(wait) = resp.retry_after()
            {
                limiter.hold(req.method, wait);
            }
            let may_retry = req.retry_safe && attempt <= self.limits.read_retries;
            let Some(wait) = may_retry
                .then(|| self.retry_wait(&result, attempt))
                .flatten()
                // A retry that could not start before the deadline is not made.
                .filter(|wait| *wait < deadline.remaining())
            else {
                return result.map(|r| Incoming {
                    attempts: attempt,
                    ..r
                });
            };
            tracing::debug!(attempt, ?wait, "retrying a safe read");
            tokio::select! {
                _ = ct.cancelled() => return Err(UpstreamError::Cancelled),
                _ = tokio::time::sleep(wait) => {}
            }
            last = Some(result);
        }
    }

    /// How long to wait before sending a read again, if it is worth it.
    fn retry_wait(
        &self,
        result: &Result<Incoming, UpstreamError>,
        attempt: u32,
    ) -> Option<Duration> {
        match result {
            Err(
                UpstreamError::Timeout { .. }
                | UpstreamError::Connect(_)
                | UpstreamError::Network(_),
            ) => Some(backoff(attempt)),
            Ok(resp) if is_transient(resp.status) => match resp.retry_after() {
                Some(wait) if wait > self.limits.max_retry_wait => None,
                Some(wait) => Some(wait),
                None => Some(backoff(attempt)),
            },
            _ => None,
        }
    }

    fn request(&self, req: &Outgoing) -> reqwest::RequestBuilder {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self
            .client
            .request(method, req.url.clone())
            .headers(req.headers.clone());
        if let Ok(id) = HeaderValue::from_str(&req.request_id) {
            builder = builder.header(REQUEST_ID_HEADER, id);
        }
        if let Some(body) = &req.body {
            builder = builder.json(body);
        }
        builder
    }

    async fn send_once(
        &self,
        req: &Outgoing,
        attempt: u32,
        deadline: Deadline,
    ) -> Result<Incoming, UpstreamError> {
        let response = self
            .request(req)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.classify(e, attempt, deadline))?;
        self.read_incoming(response, attempt, deadline).await
    }

    async fn read_incoming(
        &self,
        response: reqwest::Response,
        attempt: u32,
        deadline: Deadline,
    ) -> Result<Incoming, UpstreamError> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = self.read_body(response, attempt, deadline).await?;
        Ok(Incoming {
            status,
            headers,
            body,
            attempts: 1,
        })
    }

    async fn read_body(
        &self,
        mut response: reqwest::Response,
        attempt: u32,
        deadline: Deadline,
    ) -> Result<Bytes, UpstreamError> {
        let limit = self.limits.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|n| n as usize > limit)
        {
            return Err(UpstreamError::TooLarge(limit));
        }
        let mut buf = bytes::BytesMut::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.classify(e, attempt, deadline))?
        {
            if buf.len() + chunk.len() > limit {
                return Err(UpstreamError::TooLarge(limit));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }

    /// Opens a Server-Sent Events stream, within `deadline`, that will be
    /// read for up to `read_for` (the client's whole-request timeout would
    /// cut it short); sent once, never retried.
    pub async fn open_stream(
        &self,
        req: &Outgoing,
        read_for: Duration,
        ct: &CancellationToken,
        deadline: Deadline,
    ) -> Result<reqwest::Response, UpstreamError> {
        let request = self
            .request(req)
            .header(http::header::ACCEPT, "text/event-stream")
            .timeout(read_for + self.limits.request_timeout)
            .send();
        tokio::select! {
            _ = ct.cancelled() => Err(UpstreamError::Cancelled),
            _ = tokio::time::sleep_until(deadline.at()) => Err(deadline.timeout(1)),
            r = request => r.map_err(|e| self.classify(e, 1, deadline)),
        }
    }

    /// Reads the body of a response [`Self::open_stream`] opened that turned
    /// out not to be a stream (an error answer), under the usual size bound.
    pub async fn finish(
        &self,
        response: reqwest::Response,
        ct: &CancellationToken,
        deadline: Deadline,
    ) -> Result<Incoming, UpstreamError> {
        tokio::select! {
            _ = ct.cancelled() => Err(UpstreamError::Cancelled),
            _ = tokio::time::sleep_until(deadline.at()) => Err(deadline.timeout(1)),
            incoming = self.read_incoming(response, 1, deadline) => incoming,
        }
    }

    fn classify(&self, e: reqwest::Error, attempt: u32, deadline: Deadline) -> UpstreamError {
        if e.is_timeout() {
            deadline.timeout(attempt)
        } else if e.is_connect() {
            UpstreamError::Connect(describe(e))
        } else {
            UpstreamError::Network(describe(e))
        }
    }
}

/// The error and its causes, without the URL (queries can carry personal
/// data): "error sending request" alone says nothing an operator can act on.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn is_transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

fn backoff(attempt: u32) -> Duration {
    let base = 250u64.saturating_mul(1 << attempt.min(6));
    // Spread retries of concurrent calls a little (no rand dependency needed).
    let jitter = u64::from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_millis()),
    ) % 100;
    Duration::from_millis(base + jitter)
}

/// Parses `Retry-After`: delta-seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A fresh id for the `X-Request-Id` header of one call.
pub fn new_request_id() -> String {
    format!("lmcp_{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let later = SystemTime::now() + Duration::from_secs(120);
        h.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap(),
        );
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn outgoing_debug_shows_no_body_and_no_secret_header() {
        let mut headers = HeaderMap::new();
        let mut v = HeaderValue::from_static("Bearer sk_secret_1");
        v.set_sensitive(true);
        headers.insert(http::header::AUTHORIZATION, v);
        let req = Outgoing {
            method: Method::Post,
            url: Url::parse("https://x.example/auth/v1/login").unwrap(),
            headers,
            body: Some(serde_json::json!({"password": "pw_secret_2"})),
            request_id: "lmcp_1".into(),
            retry_safe: false,
        };
        let debug = format!("{req:?}");
        assert!(debug.contains("/auth/v1/login"), "{debug}");
        assert!(
            !debug.contains("sk_secret_1") && !debug.contains("pw_secret_2"),
            "{debug}"
        );
    }

    #[test]
    fn request_ids_are_unique() {
        let a = new_request_id();
        assert!(a.starts_with("lmcp_") && a != new_request_id());
    }

    #[test]
    fn transient_statuses() {
        for s in [429, 502, 503, 504] {
            assert!(is_transient(StatusCode::from_u16(s).unwrap()));
        }
        for s in [400, 401, 403, 404, 409, 500] {
            assert!(!is_transient(StatusCode::from_u16(s).unwrap()));
        }
    }
}
