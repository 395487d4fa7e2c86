//! LeadGenius Pro: three credential modes, all from the environment.
//!
//! - `LEADGENIUS_EMAIL` + `LEADGENIUS_PASSWORD`: the server logs in once
//!   (`POST /auth`, the manifest's internal route), shares the access token
//!   between concurrent calls, renews it before its one-hour expiry and once
//!   after a 401.
//! - `LEADGENIUS_ACCESS_TOKEN`: a Bearer JWT used as given.
//! - `LEADGENIUS_API_KEY` + `LEADGENIUS_USER_ID`: `x-api-key` + `x-user-id`.
//!
//! Which of them a call uses follows the tool's `auth` kinds in the manifest
//! (`jwt`, `api_key`): a Bearer JWT first, as the reference's getAuthContext
//! tries it first, then the API key. The purge and batch-delete
//! confirmations show what will be deleted (preflight).

use std::time::Duration;

use futures::future::BoxFuture;
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::adapter::{
    Adapter, AuthContext, CredentialMode, CredentialVar, Preflight, PreflightContext, VendorEntry,
};
use super::auth::{self, Grant, Session, Token};
use crate::config::VendorEnv;
use crate::route;
use crate::upstream::{Outgoing, new_request_id};
use leads_mcp_catalog::ToolSpec;
use leads_mcp_catalog::vocab::Outcome;
use leads_mcp_catalog::vocab::Refusal;

pub const ENTRY: VendorEntry = VendorEntry {
    name: "leadgenius",
    manifest: include_str!("../../tools/leadgenius.toml"),
    env_prefix: "LEADGENIUS_",
    adapter: |env| Box::new(LeadGenius::from_env(env)),
    preflight: Some(preflight),
    credentials: &[
        CredentialVar {
            name: EMAIL_ENV,
            secret: false,
            description: "The email you sign in to LeadGenius Pro with; with LEADGENIUS_PASSWORD the server logs in itself (POST /api/auth).",
        },
        CredentialVar {
            name: PASSWORD_ENV,
            secret: true,
            description: "The password you sign in to LeadGenius Pro with (with LEADGENIUS_EMAIL).",
        },
        CredentialVar {
            name: TOKEN_ENV,
            secret: true,
            description: "A LeadGenius Pro JWT access token, used as given (instead of the email and password).",
        },
        CredentialVar {
            name: API_KEY_ENV,
            secret: true,
            description: "LeadGenius Pro API key (sent as x-api-key, with LEADGENIUS_USER_ID), from your LeadGenius Pro account; the bulk extraction tools need it.",
        },
        CredentialVar {
            name: USER_ID_ENV,
            secret: false,
            description: "Your LeadGenius Pro user id, sent as x-user-id with LEADGENIUS_API_KEY.",
        },
    ],
    credential_modes: &[
        CredentialMode {
            label: "login",
            vars: &[EMAIL_ENV, PASSWORD_ENV],
        },
        CredentialMode {
            label: "access token",
            vars: &[TOKEN_ENV],
        },
        CredentialMode {
            label: "API key",
            vars: &[API_KEY_ENV, USER_ID_ENV],
        },
    ],
};

pub const EMAIL_ENV: &str = "LEADGENIUS_EMAIL";
pub const PASSWORD_ENV: &str = "LEADGENIUS_PASSWORD";
pub const TOKEN_ENV: &str = "LEADGENIUS_ACCESS_TOKEN";
pub const API_KEY_ENV: &str = "LEADGENIUS_API_KEY";
pub const USER_ID_ENV: &str = "LEADGENIUS_USER_ID";

/// The manifest's credential kinds.
pub const JWT: &str = "jwt";
pub const API_KEY: &str = "api_key";

/// The login route (the manifest's `[[internal_route]]`), below the base URL.
pub const LOGIN_PATH: &str = "/auth";
/// The lifetime the reference gives tokens, when a login does not say.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// A token is renewed this long before it expires.
pub const RENEW_MARGIN: Duration = Duration::from_secs(300);

/// The tools whose confirmation shows what they delete.
const PURGE_CLIENT: &str = "leadgenius_purge_client";
const DELETE_LEAD_BATCH: &str = "leadgenius_delete_lead_batch";
/// Pages of leads counted for a purge's confirmation (1000 each).
const MAX_COUNT_PAGES: usize = 20;

const JWT_VARS: &str = "LEADGENIUS_EMAIL + LEADGENIUS_PASSWORD, or LEADGENIUS_ACCESS_TOKEN";
const API_KEY_VARS: &str = "LEADGENIUS_API_KEY + LEADGENIUS_USER_ID";

struct Login {
    email: SecretString,
    password: SecretString,
    session: Session,
}

pub struct LeadGenius {
    login: Option<Login>,
    token: Option<SecretString>,
    api_key: Option<(SecretString, SecretString)>,
}

/// How one call is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Login,
    Token,
    ApiKey,
}

impl LeadGenius {
    pub fn from_env(env: &VendorEnv) -> Self {
        let login = match (env.secret(EMAIL_ENV), env.secret(PASSWORD_ENV)) {
            (Some(email), Some(password)) => Some(Login {
                email,
                password,
                session: Session::new(RENEW_MARGIN),
            }),
            _ => None,
        };
        let api_key = match (env.secret(API_KEY_ENV), env.secret(USER_ID_ENV)) {
            (Some(key), Some(user)) => Some((key, user)),
            _ => None,
        };
        Self {
            login,
            token: env.secret(TOKEN_ENV),
            api_key,
        }
    }

    /// The mode for `tool`: the first of its accepted kinds that is
    /// configured, a login before a given token.
    fn mode_for(&self, tool: &ToolSpec) -> Option<Mode> {
        let accepts =
            |kind: &str| tool.auth_kinds.is_empty() || tool.auth_kinds.iter().any(|k| k == kind);
        if accepts(JWT) {
            if self.login.is_some() {
                return Some(Mode::Login);
            }
            if self.token.is_some() {
                return Some(Mode::Token);
            }
        }
        if accepts(API_KEY) && self.api_key.is_some() {
            return Some(Mode::ApiKey);
        }
        None
    }

    /// Why `tool` can't be authenticated: what it accepts, and the variables.
    fn not_accepted(tool: &ToolSpec) -> Refusal {
        let kinds: Vec<&str> = if tool.auth_kinds.is_empty() {
            vec![JWT, API_KEY]
        } else {
            tool.auth_kinds.iter().map(String::as_str).collect()
        };
        let wanted: Vec<String> = kinds
            .iter()
            .map(|k| match *k {
                JWT => format!("a Bearer JWT ({JWT_VARS})"),
                API_KEY => format!("API-key credentials ({API_KEY_VARS})"),
                other => other.to_string(),
            })
            .collect();
        let wanted = wanted.join(" or ");
        Refusal::new(
            "missing_credentials",
            format!(
                "{} accepts only {wanted}, and the server has none configured. Nothing was sent.",
                tool.name
            ),
            format!(
                "Ask the operator to set {} in the MCP server's environment and restart it. Never ask the user to paste a password, token or key into the chat.",
                kinds
                    .iter()
                    .map(|k| if *k == API_KEY {
                        API_KEY_VARS
                    } else {
                        JWT_VARS
                    })
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        )
    }

    /// `POST /auth` with the configured email and password.
    async fn log_in(&self, login: &Login, ctx: &AuthContext<'_>) -> Result<Token, Refusal> {
        let body = json!({
            "username": login.email.expose_secret(),
            "password": login.password.expose_secret(),
        });
        let route = route::internal(ctx.vendor, ctx.base, LOGIN_PATH, body)?;
        let outgoing = Outgoing {
            method: route.method,
            url: route.url,
            headers: HeaderMap::new(),
            body: route.body,
            request_id: new_request_id(),
            retry_safe: false,
        };
        tracing::info!(tool = %ctx.tool.name, "logging in to LeadGenius Pro");
        let incoming = ctx.upstream.send(&outgoing, ctx.ct, ctx.deadline).await.map_err(|e| {
            Refusal::new(
                "login_failed",
                format!(
                    "the LeadGenius Pro login could not be completed ({e}); the call was not sent."
                ),
                "Try again later; if it keeps failing, ask the operator to check LEADGENIUS_BASE_URL and the network.",
            )
        })?;
        let body = incoming.json().unwrap_or(Value::Null);
        let access = body
            .pointer("/tokens/accessToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty());
        match access {
            Some(access)
                if incoming.status.is_success() && body.get("success") != Some(&json!(false)) =>
            {
                let lifetime = body
                    .pointer("/tokens/expiresIn")
                    .and_then(Value::as_u64)
                    .map_or(DEFAULT_LIFETIME, Duration::from_secs);
                Ok(Token {
                    access: SecretString::from(access.to_string()),
                    // The reference documents no refresh route: renewing is a new login.
                    refresh: None,
                    expires_in: lifetime,
                })
            }
            _ => {
                let code = body
                    .get("errorType")
                    .and_then(Value::as_str)
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default();
                Err(Refusal::new(
                    "login_failed",
                    format!(
                        "LeadGenius Pro refused the login of {EMAIL_ENV} ({}{code}); the call was not sent.",
                        incoming.status.as_u16()
                    ),
                    format!(
                        "Ask the operator to check {EMAIL_ENV} and {PASSWORD_ENV} on the server. Never ask the user for a password in the chat."
                    ),
                ))
            }
        }
    }
}

impl Adapter for LeadGenius {
    fn has_credentials(&self) -> bool {
        self.login.is_some() || self.token.is_some() || self.api_key.is_some()
    }

    fn credential_env(&self) -> String {
        format!("{EMAIL_ENV} + {PASSWORD_ENV}, {TOKEN_ENV}, or {API_KEY_VARS}")
    }

    fn can_authorize(&self, tool: &ToolSpec) -> Result<(), Refusal> {
        self.mode_for(tool)
            .map(|_| ())
            .ok_or_else(|| Self::not_accepted(tool))
    }

    fn authorize<'a>(&'a self, ctx: AuthContext<'a>) -> BoxFuture<'a, Result<HeaderMap, Refusal>> {
        Box::pin(async move {
            match (
                self.mode_for(ctx.tool),
                &self.login,
                &self.token,
                &self.api_key,
            ) {
                (Some(Mode::Login), Some(login), _, _) => {
                    let token = login
                        .session
                        .token(|_grant: Grant| self.log_in(login, &ctx))
                        .await?;
                    auth::bearer(&token)
                }
                (Some(Mode::Token), _, Some(token), _) => auth::bearer(token),
                (Some(Mode::ApiKey), _, _, Some((key, user))) => {
                    auth::secret_headers(&[("x-api-key", key), ("x-user-id", user)])
                }
                _ => Err(Self::not_accepted(ctx.tool)),
            }
        })
    }

    fn unauthorized<'a>(&'a self, tool: &'a ToolSpec) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            match (&self.login, self.mode_for(tool)) {
                (Some(login), Some(Mode::Login)) => {
                    login.session.expire().await;
                    true
                }
                _ => false,
            }
        })
    }
}

fn preflight<'a>(ctx: &'a PreflightContext<'a>) -> BoxFuture<'a, Result<Preflight, Refusal>> {
    Box::pin(async move {
        match ctx.tool.name.as_str() {
            PURGE_CLIENT => purge_details(ctx).await,
            DELETE_LEAD_BATCH => Ok(batch_delete_details(ctx)),
            _ => Ok(Preflight::default()),
        }
    })
}

/// What a purge deletes: the client (read by its record id) and its leads
/// (counted through the leads list). A client that can't be read is not
/// purged, and nobody is asked.
async fn purge_details(ctx: &PreflightContext<'_>) -> Result<Preflight, Refusal> {
    let id = ctx
        .args
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let client = match ctx
        .read("leadgenius_get_client", json!({ "clientId": id }))
        .await
    {
        Outcome::Ok(success) => success.body.get("client").cloned().unwrap_or(Value::Null),
        Outcome::Failed(failure) => {
            return Err(Refusal::new(
                "not_confirmed",
                format!(
                    "{PURGE_CLIENT}: the client with record id {id:?} could not be read ({} {}: {}), so nobody was asked and nothing was deleted.",
                    failure
                        .status
                        .map_or("unreachable".into(), |s| s.to_string()),
                    failure.code.as_deref().unwrap_or(""),
                    failure.message
                ),
                "The purge takes the client's record `id` (not its client_id): check it with leadgenius_list_clients.",
            ));
        }
        Outcome::Refused(refusal) => return Err(refusal),
    };
    let name = client
        .get("clientName")
        .and_then(Value::as_str)
        .unwrap_or("(no name)");
    let mut details = Vec::new();
    let Some(client_id) = client.get("client_id").and_then(Value::as_str) else {
        details.push(format!("Client: {name} (record id {id})."));
        details.push("Its leads could not be counted: the client has no client_id.".into());
        return Ok(Preflight { details });
    };
    details.push(format!(
        "Client: {name} (record id {id}, client_id {client_id})."
    ));
    details.push(count_leads(ctx, client_id).await);
    Ok(Preflight { details })
}

/// "Leads deleted with it: N", counted page by page.
async fn count_leads(ctx: &PreflightContext<'_>, client_id: &str) -> String {
    let envelope = &ctx.vendor.envelope;
    let mut count = 0usize;
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_COUNT_PAGES {
        let mut args = json!({ "client_id": client_id, "limit": 1000 });
        if let Some(c) = &cursor {
            args["nextToken"] = json!(c);
        }
        let body = match ctx.read("leadgenius_list_leads", args).await {
            Outcome::Ok(success) => success.body,
            Outcome::Failed(f) => {
                return format!("Its leads could not be counted ({}).", f.message);
            }
            Outcome::Refused(r) => {
                return format!("Its leads could not be counted ({}).", r.message);
            }
        };
        count += body
            .pointer(crate::envelope::items_pointer(envelope, &body))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        match crate::envelope::next_cursor(envelope, &body) {
            Some(next) => cursor = Some(next.to_string()),
            None => return format!("Leads deleted with it: {count}."),
        }
    }
    format!("Leads deleted with it: at least {count}.")
}

/// How many leads a batch delete removes; the ids are listed below it.
fn batch_delete_details(ctx: &PreflightContext<'_>) -> Preflight {
    let n = ctx
        .args
        .get("ids")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    Preflight {
        details: vec![format!(
            "Leads deleted: {n} (their ids are below; the reference has no route to read a lead by id, so names can't be shown)."
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(pairs: &[(&str, &str)]) -> LeadGenius {
        LeadGenius::from_env(&VendorEnv::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn the_login_route_is_the_manifests_internal_route() {
        let c = crate::vendors::load_catalog().unwrap();
        let v = c.vendor("leadgenius").unwrap();
        assert!(
            v.internal_routes
                .iter()
                .any(|r| r.method == "POST" && r.path == LOGIN_PATH && !r.reason.is_empty())
        );
    }

    #[test]
    fn modes_follow_the_tools_auth_kinds() {
        let c = crate::vendors::load_catalog().unwrap();
        let jwt_only = c.tool("leadgenius_list_clients").unwrap();
        let key_only = c.tool("leadgenius_list_enrich_leads").unwrap();
        let either = c.tool("leadgenius_create_webhook").unwrap();
        let unspecified = c.tool("leadgenius_get_task_status").unwrap();
        let login = [(EMAIL_ENV, "a@example.com"), (PASSWORD_ENV, "pw")];
        let key = [(API_KEY_ENV, "k"), (USER_ID_ENV, "u")];

        let a = adapter(&login);
        assert_eq!(a.mode_for(jwt_only), Some(Mode::Login));
        assert_eq!(a.mode_for(key_only), None);
        assert!(
            a.can_authorize(key_only)
                .unwrap_err()
                .message
                .contains(API_KEY_VARS)
        );

        let a = adapter(&key);
        assert_eq!(a.mode_for(key_only), Some(Mode::ApiKey));
        assert_eq!(a.mode_for(either), Some(Mode::ApiKey));
        assert_eq!(a.mode_for(unspecified), Some(Mode::ApiKey));
        let r = a.can_authorize(jwt_only).unwrap_err();
        assert!(
            r.message.contains(TOKEN_ENV) && r.next.contains(EMAIL_ENV),
            "{r:?}"
        );

        let both: Vec<_> = login.iter().chain(key.iter()).copied().collect();
        let a = adapter(&both);
        assert_eq!(a.mode_for(either), Some(Mode::Login));
        assert_eq!(a.mode_for(key_only), Some(Mode::ApiKey));

        let a = adapter(&[(TOKEN_ENV, "t")]);
        assert_eq!(a.mode_for(jwt_only), Some(Mode::Token));
        // Half a pair is no credential.
        let a = adapter(&[(EMAIL_ENV, "a@example.com"), (API_KEY_ENV, "k")]);
        assert!(!a.has_credentials());
    }

    #[test]
    fn credential_messages_name_variables_not_values() {
        let a = adapter(&[(TOKEN_ENV, "secret-token-value")]);
        let env = a.credential_env();
        for var in [EMAIL_ENV, PASSWORD_ENV, TOKEN_ENV, API_KEY_ENV, USER_ID_ENV] {
            assert!(env.contains(var), "{env}");
        }
        let c = crate::vendors::load_catalog().unwrap();
        let r = a
            .can_authorize(c.tool("leadgenius_list_source_leads").unwrap())
            .unwrap_err();
        assert!(!format!("{r:?}").contains("secret-token-value"));
    }
}
