//! Flags and environment → [`Config`].
//!
//! The CLI (`main.rs`) hands over the parsed flags; everything read from the
//! environment is read here, once. Vendor credentials go straight into
//! [`SecretString`]s and never leave them except to build a request header.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// The upstream request and result limits that a deployment may tune.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of one tool result before a list is cut short with a pagination hint.
    pub max_result_bytes: usize,
    /// Bytes of one upstream response body that the server reads at most.
    pub max_response_bytes: usize,
    pub connect_timeout: Duration,
    /// One request's own bound; the call's deadline usually ends it first.
    pub request_timeout: Duration,
    /// Everything one tool call spends on the vendor: requests, retries,
    /// rate-limit waits, logins and preflight reads (not the human's answer).
    pub call_deadline: Duration,
    /// Retries of a safe read after a transient failure (not counting the first try).
    pub read_retries: u32,
    /// The longest `Retry-After` the server waits out itself before reporting it.
    pub max_retry_wait: Duration,
    /// How long a human has to answer a confirmation.
    pub confirm_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_result_bytes: 100_000,
            max_response_bytes: 8 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            call_deadline: Duration::from_secs(30),
            read_retries: 2,
            max_retry_wait: Duration::from_secs(30),
            confirm_timeout: Duration::from_secs(300),
        }
    }
}

/// Who confirms sends and irreversible bulk actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmMode {
    /// A human, through MCP elicitation (the default).
    Elicit,
    /// The client's own per-call approval (`LEADS_MCP_CONFIRM=client`).
    Client,
}

/// Which tools to serve, as the flags and their env vars say.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub vendors: Option<Vec<String>>,
    pub tools: Option<Vec<String>>,
    /// Served in addition to the rest: the way to switch on a privileged
    /// group without listing every other tool.
    pub add_tools: Vec<String>,
    pub exclude_tools: Vec<String>,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// Bearer token every HTTP request must carry (`LEADS_MCP_HTTP_TOKEN`).
    pub token: Option<SecretString>,
    /// Extra `Host` values to accept besides loopback and the listen address.
    pub allowed_hosts: Vec<String>,
    /// Extra browser origins to accept besides loopback ones.
    pub allowed_origins: Vec<String>,
    pub limits: HttpLimits,
}

/// What one HTTP listener holds open at most, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// A request's headers must be complete this long after the connection
    /// opened or the previous answer ended (`LEADS_MCP_HEADER_TIMEOUT_SECS`).
    pub header_timeout: Duration,
    /// A connection with no request under way is closed after this long
    /// (`LEADS_MCP_IDLE_TIMEOUT_SECS`).
    pub idle_timeout: Duration,
    /// Open TCP connections at most; past it the longest-idle one is closed
    /// to make room (`LEADS_MCP_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Open Streamable HTTP sessions at most (`LEADS_MCP_MAX_SESSIONS`).
    pub max_sessions: usize,
    /// A Streamable HTTP session that sees no message this long ends
    /// (`LEADS_MCP_SESSION_IDLE_SECS`).
    pub session_idle: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(60),
            max_connections: 256,
            max_sessions: 100,
            session_idle: Duration::from_secs(300),
        }
    }
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";

/// `--listen`: an IP socket address, or `localhost:PORT` (bound on 127.0.0.1).
pub fn parse_listen(value: &str) -> Result<SocketAddr, String> {
    let value = value.trim();
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let hint = "use IP:PORT (e.g. 127.0.0.1:8765, [::1]:8765, 0.0.0.0:8765) or localhost:PORT";
    let Some((host, port)) = value.rsplit_once(':') else {
        return Err(format!("{value:?} has no port: {hint}"));
    };
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{value:?} has no valid port: {hint}"))?;
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    Err(format!(
        "{value:?}: only the name localhost is resolved; {hint}"
    ))
}

/// Why a bearer token is too weak to guard a listener, if it is.
fn weak_token(token: &str) -> Option<&'static str> {
    if token.trim().is_empty() {
        return Some("it is blank");
    }
    if token.chars().any(char::is_whitespace) {
        return Some("it contains whitespace");
    }
    if token.chars().count() < 16 {
        return Some("it is shorter than 16 characters");
    }
    let distinct: std::collections::BTreeSet<char> = token.chars().collect();
    if distinct.len() < 8 {
        return Some("it has fewer than 8 distinct characters");
    }
    None
}

#[derive(Debug, Clone)]
pub struct Config {
    pub sandbox: bool,
    pub selection: Selection,
    pub confirm: ConfirmMode,
    pub limits: Limits,
    /// Key that seals the state of a 2026-07-28 confirmation round.
    pub state_key: Option<SecretString>,
    pub vendor_env: VendorEnv,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}={value:?} is not valid: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: String,
    },
}

/// Reads an environment variable; empty counts as unset.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// The vendor variables (`LEADPANTHER_*`, ...) read once at startup. All of
/// them are held as secrets: base URLs are not, but keeping one kind keeps
/// the rule simple: nothing from here is printed.
#[derive(Clone, Default)]
pub struct VendorEnv {
    values: BTreeMap<String, SecretString>,
}

impl std::fmt::Debug for VendorEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: which variables are set is useful, their values never are.
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl VendorEnv {
    /// Snapshots the named variables that are set.
    pub fn capture(env: &dyn Env, names: impl IntoIterator<Item = String>) -> Self {
        let values = names
            .into_iter()
            .filter_map(|name| env.var(&name).map(|v| (name, SecretString::from(v))))
            .collect();
        Self::registered(values)
    }

    /// Keys, passwords and tokens join the set every output is scrubbed of.
    fn registered(values: BTreeMap<String, SecretString>) -> Self {
        for (name, value) in &values {
            if crate::redact::is_secret_name(name) {
                crate::redact::register(value);
            }
        }
        Self { values }
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let values = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), SecretString::from(v.into())))
            .collect();
        Self::registered(values)
    }

    pub fn secret(&self, name: &str) -> Option<SecretString> {
        self.values.get(name).cloned()
    }

    pub fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The same variables, restricted to `names`: one credential mode's.
    pub fn only(&self, names: &[&str]) -> Self {
        let values = self
            .values
            .iter()
            .filter(|(k, _)| names.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Self { values }
    }

    /// For values that are not secrets, like base URLs.
    pub fn plain(&self, name: &str) -> Option<String> {
        self.values.get(name).map(|v| v.expose_secret().to_string())
    }
}

/// The flags `main.rs` parsed; each falls back to its env var there (clap).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub sandbox: bool,
    pub vendors: Vec<String>,
    pub tools: Vec<String>,
    pub add_tools: Vec<String>,
    pub exclude_tools: Vec<String>,
    pub read_only: bool,
}

impl Config {
    pub fn from_flags(
        flags: &Flags,
        env: &dyn Env,
        vendor_env: VendorEnv,
    ) -> Result<Self, ConfigError> {
        let list = |v: &Vec<String>| -> Option<Vec<String>> {
            let items: Vec<String> = v
                .iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            (!items.is_empty()).then_some(items)
        };
        let confirm = match env.var("LEADS_MCP_CONFIRM").as_deref() {
            None | Some("elicit") => ConfirmMode::Elicit,
            Some("client") => ConfirmMode::Client,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "LEADS_MCP_CONFIRM",
                    value: other.to_string(),
                    reason: "use `elicit` (default) or `client`".into(),
                });
            }
        };
        let mut limits = Limits::default();
        if let Some(v) = env.var("LEADS_MCP_MAX_RESULT_BYTES") {
            limits.max_result_bytes =
                v.parse()
                    .ok()
                    .filter(|n| *n >= 1024)
                    .ok_or_else(|| ConfigError::Invalid {
                        name: "LEADS_MCP_MAX_RESULT_BYTES",
                        value: v.clone(),
                        reason: "a number of bytes, at least 1024".into(),
                    })?;
        }
        if let Some(v) = env.var("LEADS_MCP_CALL_DEADLINE_SECS") {
            let secs: u64 = v
                .parse()
                .ok()
                .filter(|n| (1..=600).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "LEADS_MCP_CALL_DEADLINE_SECS",
                    value: v.clone(),
                    reason: "a number of seconds from 1 to 600".into(),
                })?;
            limits.call_deadline = Duration::from_secs(secs);
        }
        let state_key = env.var("LEADS_MCP_STATE_KEY").map(SecretString::from);
        if let Some(key) = &state_key {
            crate::redact::register(key);
        }
        // Whatever the transport: a vendor could echo it as well as any key.
        if let Some(token) = env.var("LEADS_MCP_HTTP_TOKEN") {
            crate::redact::register(&SecretString::from(token));
        }
        if let Some(key) = &state_key
            && key.expose_secret().len() < 32
        {
            return Err(ConfigError::Invalid {
                name: "LEADS_MCP_STATE_KEY",
                value: "(hidden)".into(),
                reason: "at least 32 characters".into(),
            });
        }
        Ok(Self {
            sandbox: flags.sandbox,
            selection: Selection {
                vendors: list(&flags.vendors),
                tools: list(&flags.tools),
                add_tools: list(&flags.add_tools).unwrap_or_default(),
                exclude_tools: list(&flags.exclude_tools).unwrap_or_default(),
                read_only: flags.read_only,
            },
            confirm,
            limits,
            state_key,
            vendor_env,
        })
    }
}

impl HttpConfig {
    pub fn from_env(listen: SocketAddr, env: &dyn Env) -> Result<Self, ConfigError> {
        let split = |name: &str| -> Vec<String> {
            env.var(name)
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let token = env.var("LEADS_MCP_HTTP_TOKEN");
        if let Some(t) = &token
            && let Some(why) = weak_token(t)
        {
            return Err(ConfigError::Invalid {
                name: "LEADS_MCP_HTTP_TOKEN",
                value: "(hidden)".into(),
                reason: format!("too weak: {why}; make a random one with `openssl rand -hex 32`"),
            });
        }
        let token = token.map(SecretString::from);
        if let Some(token) = &token {
            crate::redact::register(token);
        }
        let defaults = HttpLimits::default();
        let secs = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            let Some(v) = env.var(name) else {
                return Ok(default);
            };
            v.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=86_400).contains(n))
                .map(Duration::from_secs)
                .ok_or_else(|| ConfigError::Invalid {
                    name,
                    value: v.clone(),
                    reason: "a whole number of seconds from 1 to 86400".into(),
                })
        };
        let count = |name: &'static str, default: usize| -> Result<usize, ConfigError> {
            let Some(v) = env.var(name) else {
                return Ok(default);
            };
            v.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    name,
                    value: v.clone(),
                    reason: "a whole number from 1 to 100000".into(),
                })
        };
        let limits = HttpLimits {
            header_timeout: secs("LEADS_MCP_HEADER_TIMEOUT_SECS", defaults.header_timeout)?,
            idle_timeout: secs("LEADS_MCP_IDLE_TIMEOUT_SECS", defaults.idle_timeout)?,
            max_connections: count("LEADS_MCP_MAX_CONNECTIONS", defaults.max_connections)?,
            max_sessions: count("LEADS_MCP_MAX_SESSIONS", defaults.max_sessions)?,
            session_idle: secs("LEADS_MCP_SESSION_IDLE_SECS", defaults.session_idle)?,
        };
        Ok(Self {
            listen,
            token,
            allowed_hosts: split("LEADS_MCP_ALLOWED_HOSTS"),
            allowed_origins: split("LEADS_MCP_ALLOWED_ORIGINS"),
            limits,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn lists_split_on_commas_and_drop_blanks() {
        let flags = Flags {
            tools: vec!["a, b".into(), "".into(), "c".into()],
            ..Flags::default()
        };
        let c = Config::from_flags(&flags, &env(&[]), VendorEnv::default()).unwrap();
        assert_eq!(c.selection.tools.unwrap(), ["a", "b", "c"]);
        assert!(c.selection.vendors.is_none());
    }

    #[test]
    fn confirm_mode_is_elicit_unless_client() {
        let c = Config::from_flags(&Flags::default(), &env(&[]), VendorEnv::default()).unwrap();
        assert_eq!(c.confirm, ConfirmMode::Elicit);
        let c = Config::from_flags(
            &Flags::default(),
            &env(&[("LEADS_MCP_CONFIRM", "client")]),
            VendorEnv::default(),
        )
        .unwrap();
        assert_eq!(c.confirm, ConfirmMode::Client);
        assert!(
            Config::from_flags(
                &Flags::default(),
                &env(&[("LEADS_MCP_CONFIRM", "yes")]),
                VendorEnv::default()
            )
            .is_err()
        );
    }

    #[test]
    fn vendor_env_debug_shows_names_not_values() {
        let e = env(&[("LEADPANTHER_API_KEY", "lp_live_secret_value")]);
        let v = VendorEnv::capture(&e, vec!["LEADPANTHER_API_KEY".into(), "OTHER".into()]);
        let debug = format!("{v:?}");
        assert!(debug.contains("LEADPANTHER_API_KEY"));
        assert!(!debug.contains("lp_live_secret_value"));
        assert!(v.is_set("LEADPANTHER_API_KEY") && !v.is_set("OTHER"));
    }

    #[test]
    fn short_http_token_is_refused() {
        let e = env(&[("LEADS_MCP_HTTP_TOKEN", "short")]);
        let listen: SocketAddr = DEFAULT_LISTEN.parse().unwrap();
        let err = HttpConfig::from_env(listen, &e).unwrap_err().to_string();
        assert!(!err.contains("\"short\""), "the token value leaked: {err}");
    }

    #[test]
    fn blank_and_low_entropy_http_tokens_are_refused() {
        let listen: SocketAddr = DEFAULT_LISTEN.parse().unwrap();
        for weak in [
            "                ",
            "aaaaaaaaaaaaaaaa",
            "abababababababababababab",
            "abc def ghi jkl mno pqr",
            "0123456",
        ] {
            let e = env(&[("LEADS_MCP_HTTP_TOKEN", weak)]);
            let err = HttpConfig::from_env(listen, &e).unwrap_err().to_string();
            assert!(err.contains("openssl rand -hex 32"), "{weak:?}: {err}");
            assert!(!err.contains(weak), "the token value leaked: {err}");
        }
        let e = env(&[(
            "LEADS_MCP_HTTP_TOKEN",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        )]);
        assert!(HttpConfig::from_env(listen, &e).unwrap().token.is_some());
    }

    #[test]
    fn http_limits_have_defaults_and_are_checked() {
        let listen: SocketAddr = DEFAULT_LISTEN.parse().unwrap();
        let c = HttpConfig::from_env(listen, &env(&[])).unwrap();
        assert_eq!(c.limits, HttpLimits::default());
        let c = HttpConfig::from_env(
            listen,
            &env(&[
                ("LEADS_MCP_HEADER_TIMEOUT_SECS", "3"),
                ("LEADS_MCP_IDLE_TIMEOUT_SECS", "4"),
                ("LEADS_MCP_MAX_CONNECTIONS", "5"),
                ("LEADS_MCP_MAX_SESSIONS", "6"),
                ("LEADS_MCP_SESSION_IDLE_SECS", "7"),
            ]),
        )
        .unwrap();
        assert_eq!(
            c.limits,
            HttpLimits {
                header_timeout: Duration::from_secs(3),
                idle_timeout: Duration::from_secs(4),
                max_connections: 5,
                max_sessions: 6,
                session_idle: Duration::from_secs(7),
            }
        );
        for (name, bad) in [
            ("LEADS_MCP_HEADER_TIMEOUT_SECS", "0"),
            ("LEADS_MCP_IDLE_TIMEOUT_SECS", "soon"),
            ("LEADS_MCP_MAX_CONNECTIONS", "-1"),
            ("LEADS_MCP_MAX_SESSIONS", "0"),
        ] {
            let err = HttpConfig::from_env(listen, &env(&[(name, bad)])).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn listen_accepts_ip_literals_and_localhost() {
        assert_eq!(
            parse_listen("127.0.0.1:8765").unwrap(),
            "127.0.0.1:8765".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_listen("[::1]:9").unwrap(),
            "[::1]:9".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_listen("localhost:8765").unwrap(),
            "127.0.0.1:8765".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_listen("LOCALHOST:0").unwrap(),
            "127.0.0.1:0".parse::<SocketAddr>().unwrap()
        );
        for bad in ["localhost", "localhost:http", "example.com:80", ":80"] {
            assert!(parse_listen(bad).is_err(), "{bad}");
        }
    }
}
