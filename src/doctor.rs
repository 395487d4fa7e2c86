//! `leads-mcp doctor`: one live, read-only check per served vendor (per
//! credential mode for LeadGenius Pro) through the vendor's documented
//! identity route, sent the way a tool call is (same routing, base-URL
//! rules, authentication and envelope), and one row per check saying what
//! works or what to fix. Nothing it prints carries a configured secret.

use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::config::{Limits, VendorEnv};
use crate::env_vars::{self, CredentialMode};
use crate::pipeline::{self, VendorRuntime};
use crate::upstream::Upstream;
use leads_mcp_catalog::vocab::Outcome;
use leads_mcp_catalog::{Catalog, ToolSpec, VendorSpec};

/// The documented read-only routes a vendor is checked with: (credential
/// mode label or `None` for any, tools in order).
fn checks(vendor: &str) -> &'static [(Option<&'static str>, &'static [&'static str])] {
    match vendor {
        "leadpanther" => &[(None, &["leadpanther_get_me"])],
        "leadsrover" => &[(None, &["leadsrover_get_me"])],
        // The login is checked by the first JWT read; the API key by a read
        // that accepts it.
        "leadgenius" => &[
            (Some("login"), &["leadgenius_list_clients"]),
            (Some("access token"), &["leadgenius_list_clients"]),
            (Some("API key"), &["leadgenius_list_webhooks"]),
        ],
        "leadspro" => &[(None, &["leadspro_get_me", "leadspro_get_usage"])],
        "leadmetrics" => &[(None, &["leadmetrics_get_me"])],
        _ => &[],
    }
}

/// What the doctor found for one vendor (and credential mode).
#[derive(Debug)]
pub struct Row {
    pub vendor: String,
    pub mode: Option<String>,
    pub ok: bool,
    /// Reachable, credentials accepted, plan/scopes/credits, request ids;
    /// or what to fix.
    pub detail: String,
}

/// Facts worth showing from an identity answer, by JSON pointer.
const FACTS: &[(&str, &[&str])] = &[
    (
        "plan",
        &[
            "/plan/type",
            "/data/plan/type",
            "/plan/name",
            "/data/plan/name",
            "/plan",
            "/data/plan",
        ],
    ),
    (
        "scopes",
        &[
            "/subject/scopes",
            "/data/subject/scopes",
            "/scopes",
            "/data/scopes",
        ],
    ),
    ("roles", &["/roles", "/data/roles", "/data/user/roles"]),
    (
        "credits left",
        &[
            "/credits/remaining",
            "/data/credits/remaining",
            "/credits_remaining",
        ],
    ),
];

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(scalar).collect();
            Some(if parts.is_empty() {
                "none".to_string()
            } else {
                parts.join(" ")
            })
        }
        _ => None,
    }
}

fn facts(body: &Value) -> Vec<String> {
    FACTS
        .iter()
        .filter_map(|(label, pointers)| {
            pointers
                .iter()
                .find_map(|p| body.pointer(p).and_then(scalar))
                .map(|v| format!("{label}: {v}"))
        })
        .collect()
}

/// Checks every vendor in `vendors` (catalog names) with `env`; each
/// request waits at most `timeout` and is not retried.
pub async fn run(
    catalog: &Catalog,
    vendors: &[String],
    env: &VendorEnv,
    limits: &Limits,
    timeout: Duration,
) -> Result<Vec<Row>, String> {
    let limits = Limits {
        connect_timeout: timeout,
        request_timeout: timeout,
        call_deadline: timeout,
        read_retries: 0,
        max_retry_wait: Duration::ZERO,
        ..limits.clone()
    };
    let upstream = Upstream::new(limits).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for spec in catalog.vendors.iter().filter(|v| vendors.contains(&v.name)) {
        for row in check_vendor(catalog, spec, env, &upstream).await {
            rows.push(Row {
                // The env's keys were registered when it was captured.
                detail: crate::redact::scrub(&row.detail).into_owned(),
                ..row
            });
        }
    }
    Ok(rows)
}

fn is_set(env: &VendorEnv, mode: &CredentialMode) -> bool {
    mode.vars.iter().all(|v| env.is_set(v))
}

fn mode_vars(mode: &CredentialMode) -> String {
    mode.vars.join(" + ")
}

async fn check_vendor(
    catalog: &Catalog,
    spec: &std::sync::Arc<VendorSpec>,
    env: &VendorEnv,
    upstream: &Upstream,
) -> Vec<Row> {
    let modes: Vec<&CredentialMode> = env_vars::modes(&spec.name).collect();
    let configured: Vec<&CredentialMode> =
        modes.iter().copied().filter(|m| is_set(env, m)).collect();
    let row = |mode: Option<&str>, ok: bool, detail: String| Row {
        vendor: spec.title.clone(),
        mode: mode.map(str::to_string),
        ok,
        detail,
    };
    if configured.is_empty() {
        let wanted: Vec<String> = modes.iter().map(|m| mode_vars(m)).collect();
        return vec![row(
            None,
            false,
            format!("no credentials: set {}", wanted.join(", or ")),
        )];
    }
    let mut rows = Vec::new();
    for (mode_label, tools) in checks(&spec.name) {
        // Which variables this check runs with: one mode's, or all set.
        let (label, names): (Option<&str>, Vec<&str>) = match mode_label {
            Some(label) => {
                let Some(mode) = configured.iter().find(|m| m.label == *label) else {
                    continue;
                };
                (Some(label), mode.vars.to_vec())
            }
            None => (
                (modes.len() > 1).then(|| configured[0].label),
                configured
                    .iter()
                    .flat_map(|m| m.vars.iter().copied())
                    .collect(),
            ),
        };
        let mut only: Vec<&str> = names.clone();
        only.push(&spec.base_url_env);
        let subset = env.only(&only);
        let Some(runtime) = VendorRuntime::new(spec.clone(), &subset) else {
            rows.push(row(label, false, "no adapter for this vendor".into()));
            continue;
        };
        let base = match &runtime.base_url {
            Ok(url) => url.clone(),
            Err(why) => {
                rows.push(row(
                    label,
                    false,
                    format!("base URL refused: {why}; fix {}", spec.base_url_env),
                ));
                continue;
            }
        };
        let mut found = Vec::new();
        let mut problem = None;
        for name in *tools {
            let Some(tool) = catalog.tool(name) else {
                problem = Some(format!("{name} is not in the catalog"));
                break;
            };
            match check_one(&runtime, upstream, tool).await {
                Ok(facts) => {
                    for f in facts {
                        if !found.contains(&f) {
                            found.push(f);
                        }
                    }
                }
                Err(why) => {
                    problem = Some(explain(spec, tool, &base, &names, why));
                    break;
                }
            }
        }
        rows.push(match problem {
            Some(p) => row(label, false, p),
            None => row(
                label,
                true,
                format!(
                    "reachable at {base}; credentials accepted; {}",
                    found.join("; ")
                ),
            ),
        });
    }
    rows
}

/// Why one check failed.
enum Why {
    Status {
        status: u16,
        message: String,
        hint: Option<String>,
        request_id: String,
    },
    Unreachable {
        message: String,
        request_id: String,
    },
    Refused {
        message: String,
        next: String,
    },
}

async fn check_one(
    runtime: &VendorRuntime,
    upstream: &Upstream,
    tool: &ToolSpec,
) -> Result<Vec<String>, Why> {
    let ct = CancellationToken::new();
    match pipeline::read(upstream, runtime, tool, &serde_json::Map::new(), &ct).await {
        Outcome::Ok(success) => {
            let mut out = facts(&success.body);
            out.push(format!("{} request id {}", tool.name, success.request_id));
            Ok(out)
        }
        Outcome::Failed(f) => match f.status {
            Some(status) => Err(Why::Status {
                status,
                message: f.message,
                hint: f.hints.into_iter().next(),
                request_id: f.request_id,
            }),
            None => Err(Why::Unreachable {
                message: f.message,
                request_id: f.request_id,
            }),
        },
        Outcome::Refused(r) => Err(Why::Refused {
            message: r.message,
            next: r.next,
        }),
    }
}

fn explain(spec: &VendorSpec, tool: &ToolSpec, base: &url::Url, vars: &[&str], why: Why) -> String {
    let route = format!("{} {}", tool.method.as_str(), tool.path.raw);
    match why {
        Why::Status {
            status: 401,
            request_id,
            ..
        } => format!(
            "reachable; credentials refused (401 on {route}): check {}; request id {request_id}",
            vars.join(" + ")
        ),
        Why::Status {
            status: 403,
            message,
            hint,
            request_id,
        } => {
            let scope = tool
                .scope
                .as_deref()
                .map(|s| format!(" (this route needs: {s})"))
                .unwrap_or_default();
            format!(
                "reachable; credentials accepted but refused for {route}{scope} (403): {message}; {}; request id {request_id}",
                hint.unwrap_or_else(|| format!("give {} the access it needs", vars.join(" + ")))
            )
        }
        Why::Status {
            status,
            message,
            request_id,
            ..
        } if status >= 500 => format!(
            "reachable, but {} failed ({status} on {route}): {message}; a vendor fault, try again later; request id {request_id}",
            spec.title
        ),
        Why::Status {
            status,
            message,
            hint,
            request_id,
        } => format!(
            "{route} answered {status}: {message}; {}; request id {request_id}",
            hint.unwrap_or_default()
        ),
        Why::Unreachable {
            message,
            request_id,
        } => format!(
            "unreachable: {base}: {message}; check {} and the network; request id {request_id}",
            spec.base_url_env
        ),
        Why::Refused { message, next } => format!("not sent: {message} {next}"),
    }
}

/// The report, one row per check, as `leads-mcp doctor` prints it.
pub fn render(rows: &[Row]) -> String {
    let name = |r: &Row| match &r.mode {
        Some(m) => format!("{} ({m})", r.vendor),
        None => r.vendor.clone(),
    };
    let width = rows.iter().map(|r| name(r).len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "{:<width$}  {}  {}\n",
            name(r),
            if r.ok { "ok  " } else { "FAIL" },
            r.detail
        ));
    }
    let failed = rows.iter().filter(|r| !r.ok).count();
    if failed == 0 {
        out.push_str(&format!("all {} checks passed\n", rows.len()));
    } else {
        out.push_str(&format!("{failed} of {} checks failed\n", rows.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_show_plan_scopes_and_credits_but_not_identities() {
        let body = serde_json::json!({
            "subject": {"name": "Jane", "scopes": ["posts:read", "leads:read"]},
            "plan": {"name": "growth"},
            "credits": {"remaining": 460},
            "email": "jane@example.com"
        });
        let f = facts(&body).join("; ");
        assert_eq!(
            f,
            "plan: growth; scopes: posts:read leads:read; credits left: 460"
        );
    }

    #[test]
    fn every_check_is_a_read_only_catalog_tool_of_its_vendor() {
        let catalog = crate::vendors::load_catalog().unwrap();
        for spec in &catalog.vendors {
            let list = checks(&spec.name);
            assert!(!list.is_empty(), "{} has no check", spec.name);
            for (mode, tools) in list {
                if let Some(mode) = mode {
                    assert!(env_vars::modes(&spec.name).any(|m| m.label == *mode));
                }
                for name in *tools {
                    let tool = catalog.tool(name).unwrap();
                    assert_eq!(tool.vendor, spec.name);
                    assert!(tool.read_only && tool.method.as_str() == "GET", "{name}");
                    assert!(!tool.params.iter().any(|p| p.required), "{name}");
                }
            }
        }
    }

    #[test]
    fn configured_secrets_are_hidden_from_rows() {
        let _env = VendorEnv::from_pairs([("LEADSPRO_API_KEY", "sentinel-value-123")]);
        assert_eq!(
            crate::redact::scrub("bad key sentinel-value-123 given"),
            "bad key [redacted] given"
        );
    }
}
