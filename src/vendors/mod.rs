//! The vendors the binary knows: the registry of their manifests and
//! adapters. An adapter ([`adapter`]) is how a vendor authenticates and the
//! rules about a call that need a read first; nothing else: routing,
//! sending and reading answers are shared code driven by the manifest (see
//! `pipeline`).

pub mod adapter;
pub mod auth;
pub mod leadgenius;
pub mod leadmetrics;
pub mod leadpanther;
pub mod leadspro;
pub mod leadsrover;

use adapter::VendorEntry;
use leads_mcp_catalog::{Catalog, CatalogError};

/// The vendors, in the order they are listed and served.
pub static REGISTRY: &[VendorEntry] = &[
    leadpanther::ENTRY,
    leadsrover::ENTRY,
    leadgenius::ENTRY,
    leadspro::ENTRY,
    leadmetrics::ENTRY,
];

/// The catalog of every vendor the binary knows, from their embedded manifests.
pub fn load_catalog() -> Result<Catalog, CatalogError> {
    Catalog::from_sources(REGISTRY.iter().map(|v| (v.name, v.manifest)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use leads_mcp_catalog::vocab::Method;
    use leads_mcp_catalog::{ConfirmKind, MAX_TOOL_NAME};
    use serde_json::json;

    #[test]
    fn every_embedded_manifest_loads() {
        let catalog = load_catalog().unwrap();
        assert!(!catalog.tools.is_empty());
        for tool in &catalog.tools {
            assert!(tool.name.len() <= MAX_TOOL_NAME);
            if tool.method == Method::Get {
                assert!(tool.read_only, "{}", tool.name);
            }
            if tool.method == Method::Delete {
                assert!(tool.destructive, "{}", tool.name);
            }
        }
    }

    #[test]
    fn privilege_comes_from_the_group_and_secret_fields_add_up() {
        let c = load_catalog().unwrap();
        assert!(c.tool("leadmetrics_list_tenants").unwrap().privileged);
        assert!(!c.tool("leadmetrics_list_campaigns").unwrap().privileged);
        let impersonate = c.tool("leadmetrics_impersonate_tenant").unwrap();
        assert_eq!(impersonate.confirm, Some(ConfirmKind::Impersonate));
        // The vendor's credential names, plus the tool's own.
        for name in ["accessToken", "refreshToken", "token"] {
            assert!(
                impersonate.secret_fields.iter().any(|f| f == name),
                "{name}"
            );
        }
        let stream = c.tool("leadmetrics_stream_activity").unwrap();
        assert!(stream.secret_fields.iter().any(|f| f == "accessToken"));
        assert!(!stream.secret_fields.iter().any(|f| f == "token"));
    }

    #[test]
    fn at_least_one_field_is_in_the_schema_where_it_can_be() {
        let c = load_catalog().unwrap();
        let min = |name: &str| {
            c.tool(name)
                .unwrap()
                .input_schema
                .get("minProperties")
                .cloned()
        };
        // id + at least one of the fields, every other argument optional.
        for name in [
            "leadsrover_update_lead",
            "leadsrover_update_conversation",
            "leadgenius_update_client",
            "leadgenius_update_lead",
        ] {
            assert_eq!(min(name), Some(json!(2)), "{name}");
        }
        // An optional client_id besides the fields: the server's rule only.
        assert_eq!(min("leadpanther_update_post"), None);
        let magnet = c.tool("leadpanther_update_lead_magnet").unwrap();
        assert_eq!(
            magnet.input_schema["properties"]["body"]["minProperties"],
            1
        );
        assert!(!magnet.validator.is_valid(&json!({"id": "m1", "body": {}})));
        assert!(
            magnet
                .validator
                .is_valid(&json!({"id": "m1", "body": {"title": "T"}}))
        );
        let lead = c.tool("leadsrover_update_lead").unwrap();
        assert!(!lead.validator.is_valid(&json!({"id": 1})));
        assert!(lead.validator.is_valid(&json!({"id": 1, "status": "new"})));
    }

    #[test]
    fn leadsrover_ids_are_integers_in_the_json_safe_range() {
        let c = load_catalog().unwrap();
        let max = 9_007_199_254_740_991_u64;
        for t in c.tools.iter().filter(|t| t.vendor == "leadsrover") {
            for (name, p) in t.input_schema["properties"].as_object().unwrap() {
                let is_id = name == "id" || name == "productId" || name == "leadId";
                if is_id {
                    assert_eq!(p["type"], "integer", "{} {name}", t.name);
                    assert_eq!(p["minimum"], 1, "{} {name}", t.name);
                    assert_eq!(p["maximum"], max, "{} {name}", t.name);
                }
            }
        }
    }
}
