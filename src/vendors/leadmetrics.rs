//! Leadmetrics: an access token from `LEADMETRICS_ACCESS_TOKEN`, or a login
//! session from `LEADMETRICS_EMAIL` + `LEADMETRICS_PASSWORD`.
//!
//! The reference documents the routes (`POST /auth/v1/login` → access and
//! refresh token, `POST /auth/v1/refresh` → new access token, `POST
//! /auth/v1/logout` → revoke refresh token) but not their payloads. The
//! shapes used here are assumptions, chosen to be tolerant:
//! - login sends `{"email", "password"}`; refresh and logout send
//!   `{"refreshToken"}` (camelCase, like the reference's path parameters);
//! - a token answer is read from `data` or the top level, in camelCase or
//!   snake_case: `accessToken`, `refreshToken` (kept when a refresh returns
//!   none), `expiresIn` in seconds (15 minutes when absent).
//!
//! Concurrent calls share one login ([`Session`]); the token is refreshed a
//! minute before it expires and after a 401, and a failed refresh falls back
//! to a login. Every credential stays in a [`SecretString`]: the password,
//! the tokens and the login answer never reach a log, a result or an error.

use std::time::Duration;

use futures::future::BoxFuture;
use http::HeaderMap;
use rmcp::model::JsonObject;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::adapter::{
    Adapter, AuthContext, CredentialMode, CredentialVar, Preflight, PreflightContext, VendorEntry,
};
use super::auth::{self, Grant, Session, Token};
use crate::config::VendorEnv;
use crate::route;
use crate::upstream::{Outgoing, new_request_id};
use leads_mcp_catalog::ConfirmKind;
use leads_mcp_catalog::vocab::Outcome;
use leads_mcp_catalog::vocab::Refusal;

pub const ENTRY: VendorEntry = VendorEntry {
    name: "leadmetrics",
    manifest: include_str!("../../tools/leadmetrics.toml"),
    env_prefix: "LEADMETRICS_",
    adapter: |env| Box::new(Leadmetrics::from_env(env)),
    preflight: Some(preflight),
    credentials: &[
        CredentialVar {
            name: TOKEN_ENV,
            secret: true,
            description: "A Leadmetrics access token (it wins over the email and password when both are set).",
        },
        CredentialVar {
            name: EMAIL_ENV,
            secret: false,
            description: "The email of your Leadmetrics login; with LEADMETRICS_PASSWORD the server logs in and refreshes itself.",
        },
        CredentialVar {
            name: PASSWORD_ENV,
            secret: true,
            description: "The password of your Leadmetrics login (with LEADMETRICS_EMAIL).",
        },
    ],
    credential_modes: &[
        CredentialMode {
            label: "access token",
            vars: &[TOKEN_ENV],
        },
        CredentialMode {
            label: "login",
            vars: &[EMAIL_ENV, PASSWORD_ENV],
        },
    ],
};

pub const TOKEN_ENV: &str = "LEADMETRICS_ACCESS_TOKEN";
pub const EMAIL_ENV: &str = "LEADMETRICS_EMAIL";
pub const PASSWORD_ENV: &str = "LEADMETRICS_PASSWORD";

/// The documented auth routes this adapter drives itself (the manifest's
/// `[[internal_route]]`s; a test checks they agree).
pub const LOGIN_PATH: &str = "/auth/v1/login";
pub const REFRESH_PATH: &str = "/auth/v1/refresh";

/// Renew this long before the access token expires.
const RENEW_MARGIN: Duration = Duration::from_secs(60);
/// The lifetime assumed when an answer gives none.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(15 * 60);

enum Credentials {
    None,
    /// A token the operator obtained; it can't be renewed here.
    AccessToken(SecretString),
    Login {
        email: SecretString,
        password: SecretString,
    },
}

pub struct Leadmetrics {
    credentials: Credentials,
    session: Session,
}

impl Leadmetrics {
    pub fn from_env(env: &VendorEnv) -> Self {
        let credentials = match (
            env.secret(TOKEN_ENV),
            env.secret(EMAIL_ENV),
            env.secret(PASSWORD_ENV),
        ) {
            (Some(token), _, _) => Credentials::AccessToken(token),
            (None, Some(email), Some(password)) => Credentials::Login { email, password },
            _ => Credentials::None,
        };
        Self {
            credentials,
            session: Session::new(RENEW_MARGIN),
        }
    }

    /// One login or refresh request; the answer's tokens, as secrets.
    async fn obtain(&self, grant: Grant, ctx: &AuthContext<'_>) -> Result<Token, Refusal> {
        let Credentials::Login { email, password } = &self.credentials else {
            return Err(auth::missing_credentials(
                &ctx.vendor.title,
                &self.credential_env(),
            ));
        };
        let (path, body, held_refresh) = match grant {
            Grant::Login => (
                LOGIN_PATH,
                json!({"email": email.expose_secret(), "password": password.expose_secret()}),
                None,
            ),
            Grant::Refresh(refresh) => (
                REFRESH_PATH,
                json!({"refreshToken": refresh.expose_secret()}),
                Some(refresh),
            ),
        };
        let what = if held_refresh.is_some() {
            "token refresh"
        } else {
            "login"
        };
        let route = route::internal(ctx.vendor, ctx.base, path, body)?;
        let request = Outgoing {
            method: route.method,
            url: route.url,
            headers: HeaderMap::new(),
            body: route.body,
            request_id: new_request_id(),
            retry_safe: false,
        };
        tracing::info!(path, request_id = %request.request_id, "Leadmetrics {what}");
        let answer = ctx.upstream.send(&request, ctx.ct, ctx.deadline).await.map_err(|e| {
            Refusal::new(
                "login_failed",
                format!(
                    "the Leadmetrics {what} could not be completed ({e}). The call was not sent."
                ),
                "Try again later; if it persists, ask the operator to check LEADMETRICS_BASE_URL.",
            )
        })?;
        if !answer.status.is_success() {
            // The answer's body is not repeated: it may echo the email.
            return Err(Refusal::new(
                "login_failed",
                format!(
                    "Leadmetrics refused the server's {what} (HTTP {}). The call was not sent.",
                    answer.status.as_u16()
                ),
                format!(
                    "Ask the operator to check {EMAIL_ENV} and {PASSWORD_ENV}. Never ask the user for a password."
                ),
            ));
        }
        read_token(&answer.json().unwrap_or(Value::Null), held_refresh).ok_or_else(|| {
            Refusal::new(
                "login_failed",
                format!(
                    "the Leadmetrics {what} answered without an access token. The call was not sent."
                ),
                "Report this to the operator: the deployment's auth answer is not in the expected shape.",
            )
        })
    }
}

/// The first string at any of these fields, in `data` or at the top level.
fn field<'a>(body: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|name| {
        body.get("data")
            .and_then(|d| d.get(*name))
            .or_else(|| body.get(*name))
            .filter(|v| !v.is_null())
    })
}

/// The tokens of a login or refresh answer (see the module comment).
fn read_token(body: &Value, held_refresh: Option<SecretString>) -> Option<Token> {
    let text = |names: &[&str]| {
        field(body, names)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| SecretString::from(s.to_string()))
    };
    let access = text(&["accessToken", "access_token"])?;
    let refresh = text(&["refreshToken", "refresh_token"]).or(held_refresh);
    let expires_in = field(body, &["expiresIn", "expires_in"])
        .and_then(Value::as_u64)
        .map_or(DEFAULT_LIFETIME, Duration::from_secs);
    Some(Token {
        access,
        refresh,
        expires_in,
    })
}

impl Adapter for Leadmetrics {
    fn has_credentials(&self) -> bool {
        !matches!(self.credentials, Credentials::None)
    }

    fn credential_env(&self) -> String {
        match self.credentials {
            Credentials::AccessToken(_) => TOKEN_ENV.to_string(),
            Credentials::Login { .. } => format!("{EMAIL_ENV} and {PASSWORD_ENV}"),
            Credentials::None => format!("{TOKEN_ENV} (or {EMAIL_ENV} and {PASSWORD_ENV})"),
        }
    }

    fn authorize<'a>(&'a self, ctx: AuthContext<'a>) -> BoxFuture<'a, Result<HeaderMap, Refusal>> {
        Box::pin(async move {
            match &self.credentials {
                Credentials::AccessToken(token) => auth::bearer(token),
                Credentials::Login { .. } => {
                    let token = self.session.token(|grant| self.obtain(grant, &ctx)).await?;
                    auth::bearer(&token)
                }
                Credentials::None => Err(auth::missing_credentials(
                    &ctx.vendor.title,
                    &self.credential_env(),
                )),
            }
        })
    }

    fn unauthorized<'a>(&'a self, _tool: &'a leads_mcp_catalog::ToolSpec) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            match self.credentials {
                Credentials::Login { .. } => {
                    self.session.expire().await;
                    true
                }
                _ => false,
            }
        })
    }

    /// A logout revokes the session's refresh token: it goes in the body.
    /// With an operator's access token there is none to send.
    fn session_end_body(&self) -> BoxFuture<'_, Option<JsonObject>> {
        Box::pin(async move {
            let refresh = self.session.refresh_token().await?;
            let mut body = JsonObject::new();
            body.insert(
                "refreshToken".into(),
                Value::String(refresh.expose_secret().to_string()),
            );
            Some(body)
        })
    }

    fn session_ended(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.session.clear().await })
    }
}

/// What the human is shown before a confirmed call: for impersonation,
/// which tenant it is, by name; for an approval decision, the item itself.
fn preflight<'a>(ctx: &'a PreflightContext<'a>) -> BoxFuture<'a, Result<Preflight, Refusal>> {
    Box::pin(async move {
        let details = match ctx.tool.confirm {
            Some(ConfirmKind::Impersonate) => vec![tenant_line(ctx).await],
            Some(ConfirmKind::Approval) => approval_lines(ctx).await,
            _ => Vec::new(),
        };
        Ok(Preflight { details })
    })
}

async fn tenant_line(ctx: &PreflightContext<'_>) -> String {
    let id = ctx.args.get("id").and_then(Value::as_str).unwrap_or("");
    let name = match ctx
        .read("leadmetrics_list_tenants", json!({"limit": 100}))
        .await
    {
        Outcome::Ok(tenants) => tenants
            .body
            .get("data")
            .and_then(Value::as_array)
            .and_then(|all| {
                all.iter()
                    .find(|t| t.get("id").and_then(Value::as_str) == Some(id))
            })
            .and_then(|t| t.get("name").and_then(Value::as_str))
            .map(|name| name.chars().take(120).collect::<String>()),
        _ => None,
    };
    match name {
        Some(name) => format!("Tenant: {name} ({id})"),
        None => format!("Tenant {id}: its name could not be looked up."),
    }
}

/// Pages of the approval queue read to find the item (100 items each).
const QUEUE_PAGES: usize = 5;
const QUEUE_PAGE: usize = 100;
/// Characters of an item's content the confirmation shows.
const SHOWN_CONTENT: usize = 2_000;

/// The item, as the queue lists it (the reference has no route for one
/// approval), and the decision. The item's text was written by an agent.
async fn approval_lines(ctx: &PreflightContext<'_>) -> Vec<String> {
    let id = ctx.args.get("id").and_then(Value::as_str).unwrap_or("");
    let body = ctx.args.get("body");
    let decision = body
        .and_then(|b| b.get("decision"))
        .and_then(Value::as_str)
        .unwrap_or("?");
    let mut lines = vec![format!("Decision: {decision}")];
    let mut item = None;
    let mut unreadable = false;
    for page in 0..QUEUE_PAGES {
        let offset = page * QUEUE_PAGE;
        let args = json!({"limit": QUEUE_PAGE, "offset": offset});
        let Outcome::Ok(answer) = ctx.read("leadmetrics_list_approvals", args).await else {
            unreadable = true;
            break;
        };
        let items = answer
            .body
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        item = items
            .iter()
            .find(|a| a.get("id").and_then(Value::as_str) == Some(id))
            .cloned();
        if item.is_some() || items.len() < QUEUE_PAGE {
            break;
        }
    }
    let Some(mut item) = item else {
        lines.push(if unreadable {
            format!(
                "Approval {id}: the approval queue could not be read, so the item can't be shown."
            )
        } else {
            format!("Approval {id}: not found in the approval queue, so the item can't be shown.")
        });
        return lines;
    };
    crate::output_guard::strip_hidden_text(&mut item);
    let field = |name: &str, max: usize| {
        item.get(name)
            .and_then(Value::as_str)
            .map(|v| v.chars().take(max).collect::<String>())
    };
    let mut head = format!(
        "Item: {} ({id})",
        field("title", 200).unwrap_or_else(|| "untitled".into())
    );
    for (name, label) in [
        ("status", "status"),
        ("activityId", "activity"),
        ("createdAt", "created"),
    ] {
        if let Some(v) = field(name, 120) {
            head.push_str(&format!(", {label} {v}"));
        }
    }
    lines.push(head);
    if let Some(content) = field("content", SHOWN_CONTENT + 1) {
        let cut = content.chars().count() > SHOWN_CONTENT;
        let shown: String = content.chars().take(SHOWN_CONTENT).collect();
        lines.push(format!(
            "Content (written by an agent){}:\n{shown}",
            if cut { ", first 2,000 characters" } else { "" }
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auth_routes_driven_here_are_the_manifests_internal_routes() {
        let catalog = crate::vendors::load_catalog().unwrap();
        let vendor = catalog.vendor("leadmetrics").unwrap();
        let internal: Vec<(&str, &str)> = vendor
            .internal_routes
            .iter()
            .map(|r| (r.method.as_str(), r.path.as_str()))
            .collect();
        assert_eq!(internal, [("POST", LOGIN_PATH), ("POST", REFRESH_PATH)]);
        assert!(vendor.base_url.is_none());
    }

    #[test]
    fn token_answers_are_read_in_either_case_and_place() {
        let t = read_token(
            &json!({"data": {"accessToken": "a1", "refreshToken": "r1", "expiresIn": 120}}),
            None,
        )
        .unwrap();
        assert_eq!(t.access.expose_secret(), "a1");
        assert_eq!(t.refresh.unwrap().expose_secret(), "r1");
        assert_eq!(t.expires_in, Duration::from_secs(120));
        let t = read_token(&json!({"access_token": "a2"}), None).unwrap();
        assert_eq!(t.expires_in, DEFAULT_LIFETIME);
        assert!(t.refresh.is_none());
        // A refresh that returns no new refresh token keeps the one held.
        let held = SecretString::from("r0".to_string());
        let t = read_token(&json!({"data": {"accessToken": "a3"}}), Some(held)).unwrap();
        assert_eq!(t.refresh.unwrap().expose_secret(), "r0");
        assert!(read_token(&json!({"data": {}}), None).is_none());
        assert!(read_token(&json!({"data": {"accessToken": ""}}), None).is_none());
    }

    #[test]
    fn credentials_come_from_a_token_or_a_login() {
        let env = |pairs: &[(&str, &str)]| VendorEnv::from_pairs(pairs.iter().copied());
        let none = Leadmetrics::from_env(&env(&[(EMAIL_ENV, "a@example.com")]));
        assert!(!none.has_credentials());
        assert!(none.credential_env().contains(TOKEN_ENV));
        let login =
            Leadmetrics::from_env(&env(&[(EMAIL_ENV, "a@example.com"), (PASSWORD_ENV, "pw")]));
        assert!(login.has_credentials());
        assert_eq!(
            login.credential_env(),
            "LEADMETRICS_EMAIL and LEADMETRICS_PASSWORD"
        );
        let token = Leadmetrics::from_env(&env(&[
            (TOKEN_ENV, "t"),
            (EMAIL_ENV, "a@example.com"),
            (PASSWORD_ENV, "pw"),
        ]));
        assert_eq!(token.credential_env(), TOKEN_ENV);
    }
}
