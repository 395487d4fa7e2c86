//! Leads Pro: a Bearer key from `LEADSPRO_API_KEY`, and one rule of its
//! own: a batch larger than the month's remaining credits is refused before
//! it is sent, with the numbers read from the usage route. Everything else
//! (routes, identifier rules, error hints, `credits_used`) is the manifest's.

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::adapter::{CredentialMode, CredentialVar, Preflight, PreflightContext, VendorEntry};
use super::auth::BearerKey;
use leads_mcp_catalog::vocab::Outcome;
use leads_mcp_catalog::vocab::Refusal;

pub const ENTRY: VendorEntry = VendorEntry {
    name: "leadspro",
    manifest: include_str!("../../tools/leadspro.toml"),
    env_prefix: "LEADSPRO_",
    adapter: |env| Box::new(BearerKey::from_env("Leads Pro", KEY_ENV, env)),
    preflight: Some(preflight),
    credentials: &[CredentialVar {
        name: KEY_ENV,
        secret: true,
        description: "Leads Pro API key, generated in the Leads Pro workspace dashboard; pl_demo_public is the vendor's public sandbox key.",
    }],
    credential_modes: &[CredentialMode {
        label: "API key",
        vars: &[KEY_ENV],
    }],
};

pub const KEY_ENV: &str = "LEADSPRO_API_KEY";

/// The tool whose size is checked against the remaining credits.
const BATCH_TOOL: &str = "leadspro_enrich_batch";
/// The read that says how many credits remain.
const USAGE_TOOL: &str = "leadspro_get_usage";

/// Where a usage answer may keep the month's credits. The reference names
/// "monthly credits" but shows no body: the likely places, first found wins.
const REMAINING: &[&str] = &[
    "/credits/remaining",
    "/monthly_credits/remaining",
    "/usage/credits/remaining",
    "/credits_remaining",
];
const LIMIT: &[&str] = &[
    "/credits/limit",
    "/monthly_credits/limit",
    "/usage/credits/limit",
    "/credits_limit",
];
const USED: &[&str] = &[
    "/credits/used",
    "/monthly_credits/used",
    "/usage/credits/used",
];

/// The month's credits as a usage answer gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credits {
    pub remaining: u64,
    pub limit: Option<u64>,
}

fn number(body: &Value, pointers: &[&str]) -> Option<u64> {
    pointers
        .iter()
        .find_map(|p| body.pointer(p).and_then(Value::as_u64))
}

/// The remaining credits of a usage answer: given outright, or the limit
/// less what was used. `None` when the answer says neither.
pub fn credits(usage: &Value) -> Option<Credits> {
    let limit = number(usage, LIMIT);
    let remaining = number(usage, REMAINING).or_else(|| {
        let used = number(usage, USED)?;
        Some(limit?.saturating_sub(used))
    })?;
    Some(Credits { remaining, limit })
}

/// The refusal for a batch of `items` contacts when only `credits` remain.
fn over_budget(items: u64, credits: Credits, request_id: &str) -> Refusal {
    let of_limit = credits
        .limit
        .map(|l| format!(" of this month's {l}"))
        .unwrap_or_default();
    Refusal::new(
        "insufficient_credits",
        format!(
            "{BATCH_TOOL}: {items} contacts can spend up to {items} credits, but only {}{of_limit} credits remain ({USAGE_TOOL}, request_id {request_id}). Nothing was sent.",
            credits.remaining
        ),
        format!(
            "Send at most {} contacts, or tell the user: credits come back with the monthly reset or a plan upgrade.",
            credits.remaining
        ),
    )
}

/// A batch may not ask for more lookups than the month's credits allow.
/// When usage can't be read (an error, or a body without credit
/// numbers), the batch goes ahead and Leads Pro's own quota applies.
fn preflight<'a>(ctx: &'a PreflightContext<'a>) -> BoxFuture<'a, Result<Preflight, Refusal>> {
    Box::pin(async move {
        if ctx.tool.name != BATCH_TOOL {
            return Ok(Preflight::default());
        }
        let items = ctx
            .args
            .get("items")
            .and_then(Value::as_array)
            .map_or(0, |a| a.len() as u64);
        match ctx.read(USAGE_TOOL, json!({})).await {
            Outcome::Ok(usage) => match credits(&usage.body) {
                Some(c) if items > c.remaining => Err(over_budget(items, c, &usage.request_id)),
                Some(_) => Ok(Preflight::default()),
                None => {
                    tracing::warn!(
                        "{USAGE_TOOL} gave no credit numbers; sending the batch unchecked"
                    );
                    Ok(Preflight::default())
                }
            },
            _ => {
                tracing::warn!("{USAGE_TOOL} could not be read; sending the batch unchecked");
                Ok(Preflight::default())
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_are_read_from_the_likely_places() {
        assert_eq!(
            credits(&json!({"credits": {"limit": 500, "used": 40, "remaining": 460}})),
            Some(Credits {
                remaining: 460,
                limit: Some(500)
            })
        );
        assert_eq!(
            credits(&json!({"monthly_credits": {"limit": 100, "used": 100}})),
            Some(Credits {
                remaining: 0,
                limit: Some(100)
            })
        );
        assert_eq!(
            credits(&json!({"credits_remaining": 7})),
            Some(Credits {
                remaining: 7,
                limit: None
            })
        );
        // Used more than the limit: none left, not an overflow.
        assert_eq!(
            credits(&json!({"credits": {"limit": 10, "used": 12}})).map(|c| c.remaining),
            Some(0)
        );
        for unknown in [
            json!({}),
            json!({"credits": {"used": 3}}),
            json!({"credits": "plenty"}),
            json!({"credits": {"remaining": -1}}),
        ] {
            assert_eq!(credits(&unknown), None, "{unknown}");
        }
    }

    #[test]
    fn the_refusal_gives_the_numbers() {
        let r = over_budget(
            12,
            Credits {
                remaining: 5,
                limit: Some(500),
            },
            "req_1",
        );
        assert_eq!(r.code, "insufficient_credits");
        assert!(
            r.message.contains("12 contacts")
                && r.message.contains("only 5 of this month's 500 credits")
                && r.message.contains("req_1")
                && r.message.contains("Nothing was sent"),
            "{}",
            r.message
        );
        assert!(r.next.contains("at most 5"), "{}", r.next);
    }
}
