//! Authentication building blocks adapters compose: a static key sent in a
//! header, and a login session whose token is shared by concurrent calls.

use std::future::Future;
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use crate::config::VendorEnv;
use leads_mcp_catalog::vocab::Refusal;

/// The refusal for a call whose credentials are not configured: it names
/// the variables and says where they belong. Nothing is sent.
pub fn missing_credentials(vendor_title: &str, env: &str) -> Refusal {
    Refusal::new(
        "missing_credentials",
        format!(
            "{vendor_title} credentials are not configured: {env} is not set. Nothing was sent."
        ),
        format!(
            "Ask the operator to set {env} in the MCP server's environment and restart it. Never ask the user to paste a key into the chat."
        ),
    )
}

/// A header value built from a secret, marked sensitive so that no Debug
/// output of the request shows it.
pub fn secret_header(value: &str) -> Result<HeaderValue, Refusal> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        Refusal::new(
            "bad_credentials",
            "the configured credential has characters a header can't carry",
            "Ask the operator to check the credential's value.",
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// `Authorization: Bearer <token>`.
pub fn bearer(token: &SecretString) -> Result<HeaderMap, Refusal> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        secret_header(&format!("Bearer {}", token.expose_secret()))?,
    );
    Ok(headers)
}

/// Headers whose values are secrets from the environment, like
/// `x-api-key` + `x-user-id`.
pub fn secret_headers(pairs: &[(&'static str, &SecretString)]) -> Result<HeaderMap, Refusal> {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.insert(
            HeaderName::from_static(name),
            secret_header(value.expose_secret())?,
        );
    }
    Ok(headers)
}

/// A static key from one environment variable, sent as a Bearer token.
pub struct BearerKey {
    pub vendor_title: &'static str,
    pub env: &'static str,
    key: Option<SecretString>,
}

impl BearerKey {
    pub fn from_env(vendor_title: &'static str, env_name: &'static str, env: &VendorEnv) -> Self {
        Self {
            vendor_title,
            env: env_name,
            key: env.secret(env_name),
        }
    }

    pub fn is_set(&self) -> bool {
        self.key.is_some()
    }

    pub fn headers(&self) -> Result<HeaderMap, Refusal> {
        match &self.key {
            Some(key) => bearer(key),
            None => Err(missing_credentials(self.vendor_title, self.env)),
        }
    }
}

/// A vendor whose only credential is one Bearer key needs no adapter of its own.
impl super::adapter::Adapter for BearerKey {
    fn has_credentials(&self) -> bool {
        self.is_set()
    }

    fn credential_env(&self) -> String {
        self.env.to_string()
    }

    fn authorize<'a>(
        &'a self,
        _ctx: super::adapter::AuthContext<'a>,
    ) -> futures::future::BoxFuture<'a, Result<HeaderMap, Refusal>> {
        Box::pin(std::future::ready(self.headers()))
    }
}

/// A token a login returned, with when it stops working.
pub struct Token {
    pub access: SecretString,
    pub refresh: Option<SecretString>,
    pub expires_in: Duration,
}

struct Cached {
    access: SecretString,
    refresh: Option<SecretString>,
    renew_at: Instant,
}

/// One login shared by every call: the first call that needs a token logs
/// in while the others wait for it; the token is renewed a margin before it
/// expires, or after the vendor rejects it.
pub struct Session {
    state: Mutex<Option<Cached>>,
    margin: Duration,
}

/// How a session gets a token: a fresh login, or a refresh with the refresh
/// token the last login returned.
pub enum Grant {
    Login,
    Refresh(SecretString),
}

impl Session {
    pub fn new(margin: Duration) -> Self {
        Self {
            state: Mutex::new(None),
            margin,
        }
    }

    /// The current access token, logging in (or refreshing) first when needed.
    /// `obtain` is called with [`Grant::Refresh`] when a refresh token is held;
    /// if that fails it is called once more with [`Grant::Login`].
    pub async fn token<F, Fut>(&self, obtain: F) -> Result<SecretString, Refusal>
    where
        F: Fn(Grant) -> Fut,
        Fut: Future<Output = Result<Token, Refusal>>,
    {
        // Held across the login on purpose: concurrent calls share one login.
        let mut state = self.state.lock().await;
        if let Some(cached) = state.as_ref()
            && Instant::now() < cached.renew_at
        {
            return Ok(cached.access.clone());
        }
        let refresh = state.as_ref().and_then(|c| c.refresh.clone());
        let token = match refresh {
            Some(r) => match obtain(Grant::Refresh(r)).await {
                Ok(token) => token,
                Err(_) => obtain(Grant::Login).await?,
            },
            None => obtain(Grant::Login).await?,
        };
        // Issued tokens are secrets too, wherever a vendor might echo them.
        crate::redact::register(&token.access);
        if let Some(refresh) = &token.refresh {
            crate::redact::register(refresh);
        }
        let lifetime = token.expires_in.saturating_sub(self.margin);
        let access = token.access.clone();
        *state = Some(Cached {
            access: token.access,
            refresh: token.refresh,
            renew_at: Instant::now() + lifetime,
        });
        Ok(access)
    }

    /// Marks the current token as rejected, so the next call renews it.
    pub async fn expire(&self) {
        if let Some(cached) = self.state.lock().await.as_mut() {
            cached.renew_at = Instant::now();
        }
    }

    /// The refresh token the session holds, e.g. for a logout to revoke.
    pub async fn refresh_token(&self) -> Option<SecretString> {
        self.state
            .lock()
            .await
            .as_ref()
            .and_then(|c| c.refresh.clone())
    }

    /// Forgets every token (after a logout): the next call logs in afresh.
    pub async fn clear(&self) {
        *self.state.lock().await = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn token(s: &str, secs: u64) -> Token {
        Token {
            access: SecretString::from(s.to_string()),
            refresh: Some(SecretString::from(format!("{s}-refresh"))),
            expires_in: Duration::from_secs(secs),
        }
    }

    #[tokio::test]
    async fn concurrent_calls_share_one_login() {
        let session = Arc::new(Session::new(Duration::from_secs(60)));
        let logins = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let session = session.clone();
            let logins = logins.clone();
            tasks.push(tokio::spawn(async move {
                session
                    .token(|_| {
                        let logins = logins.clone();
                        async move {
                            logins.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok(token("t1", 3600))
                        }
                    })
                    .await
                    .map(|t| t.expose_secret().to_string())
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "t1");
        }
        assert_eq!(logins.load(Ordering::SeqCst), 1);
    }

    /// Polled by hand: while the first caller's login is under way, a
    /// second caller waits for it (pending) rather than logging in again.
    #[test]
    fn a_second_caller_waits_for_the_login_under_way() {
        use tokio_test::{assert_pending, assert_ready, task};
        let session = Session::new(Duration::from_secs(60));
        let (done, answer) = tokio::sync::oneshot::channel::<()>();
        let answer = std::sync::Mutex::new(Some(answer));
        let logins = AtomicUsize::new(0);
        let obtain = |_: Grant| {
            logins.fetch_add(1, Ordering::SeqCst);
            let answer = answer.lock().unwrap().take();
            async move {
                if let Some(answer) = answer {
                    let _ = answer.await;
                }
                Ok(token("shared", 3600))
            }
        };
        let mut first = task::spawn(session.token(&obtain));
        let mut second = task::spawn(session.token(&obtain));
        assert_pending!(first.poll());
        assert_pending!(second.poll());
        assert_eq!(logins.load(Ordering::SeqCst), 1);
        done.send(()).unwrap();
        assert!(first.is_woken());
        let a = assert_ready!(first.poll()).unwrap();
        let b = assert_ready!(second.poll()).unwrap();
        assert_eq!((a.expose_secret(), b.expose_secret()), ("shared", "shared"));
        assert_eq!(logins.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn renews_before_expiry_with_the_refresh_token() {
        // Lifetime shorter than the margin: every call renews.
        let session = Session::new(Duration::from_secs(60));
        let grants = std::sync::Mutex::new(Vec::new());
        let obtain = |g: Grant| {
            let label = match &g {
                Grant::Login => "login".to_string(),
                Grant::Refresh(r) => format!("refresh:{}", r.expose_secret()),
            };
            grants.lock().unwrap().push(label);
            async { Ok(token("t", 30)) }
        };
        session.token(&obtain).await.unwrap();
        session.token(&obtain).await.unwrap();
        assert_eq!(*grants.lock().unwrap(), ["login", "refresh:t-refresh"]);
    }

    #[tokio::test]
    async fn expire_forces_a_new_token_and_failed_refresh_logs_in() {
        let session = Session::new(Duration::from_secs(60));
        let calls = AtomicUsize::new(0);
        let obtain = |g: Grant| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                match g {
                    Grant::Refresh(_) => Err(Refusal::new("x", "refresh refused", "")),
                    Grant::Login => Ok(token(&format!("t{n}"), 3600)),
                }
            }
        };
        assert_eq!(session.token(&obtain).await.unwrap().expose_secret(), "t0");
        assert_eq!(session.token(&obtain).await.unwrap().expose_secret(), "t0");
        session.expire().await;
        // refresh (call 1) fails, login (call 2) succeeds
        assert_eq!(session.token(&obtain).await.unwrap().expose_secret(), "t2");
    }

    #[tokio::test]
    async fn clear_forgets_the_tokens_and_the_next_call_logs_in() {
        let session = Session::new(Duration::from_secs(60));
        let grants = std::sync::Mutex::new(Vec::new());
        let obtain = |g: Grant| {
            grants.lock().unwrap().push(matches!(g, Grant::Login));
            async { Ok(token("t", 3600)) }
        };
        assert!(session.refresh_token().await.is_none());
        session.token(&obtain).await.unwrap();
        assert_eq!(
            session.refresh_token().await.unwrap().expose_secret(),
            "t-refresh"
        );
        session.clear().await;
        assert!(session.refresh_token().await.is_none());
        session.token(&obtain).await.unwrap();
        assert_eq!(
            *grants.lock().unwrap(),
            [true, true],
            "two logins, no refresh"
        );
    }

    #[test]
    fn bearer_headers_are_sensitive_and_missing_keys_name_the_variable() {
        let env = VendorEnv::from_pairs([("ACME_KEY", "sk_123")]);
        let key = BearerKey::from_env("Acme", "ACME_KEY", &env);
        let h = key.headers().unwrap();
        let v = h.get(http::header::AUTHORIZATION).unwrap();
        assert!(v.is_sensitive());
        assert!(!format!("{h:?}").contains("sk_123"));
        let none = BearerKey::from_env("Acme", "OTHER_KEY", &env);
        let r = none.headers().unwrap_err();
        assert!(r.message.contains("OTHER_KEY") && r.next.contains("OTHER_KEY"));
    }
}
