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
    pub request_timeout: Duration,
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
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";

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
        Self { values }
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let values = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), SecretString::from(v.into())))
            .collect();
        Self { values }
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
        let state_key = env.var("LEADS_MCP_STATE_KEY").map(SecretString::from);
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
            && t.len() < 16
        {
            return Err(ConfigError::Invalid {
                name: "LEADS_MCP_HTTP_TOKEN",
                value: "(hidden)".into(),
                reason: "use at least 16 random characters".into(),
            });
        }
        Ok(Self {
            listen,
            token: token.map(SecretString::from),
            allowed_hosts: split("LEADS_MCP_ALLOWED_HOSTS"),
            allowed_origins: split("LEADS_MCP_ALLOWED_ORIGINS"),
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
        assert!(!err.contains("short"), "the token value leaked: {err}");
    }
}
