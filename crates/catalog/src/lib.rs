//! Embedded vendor manifests (`tools/*.toml`) → validated tool specs.
//!
//! A manifest is the whole documented surface of one vendor: its base URL, its
//! envelope, its error hints and one `[[tool]]` per documented route. Everything
//! here is checked when the catalog loads, at startup and in tests, so a bad
//! manifest never reaches a client. The manifests reach the catalog as input
//! ([`Catalog::from_sources`]): it knows no vendor of its own.
//!
//! One job per module, each importing only the ones below it:
//!
//! - [`vocab`]: the words every layer shares (method, refusal, outcome);
//! - `error`: what is wrong with a manifest, and where ([`CatalogError`]);
//! - `spec`: the runtime model the server reads ([`ToolSpec`], [`VendorSpec`] ...);
//! - `cli_row`: a spec as `leads-mcp tools --json` lists it;
//! - `manifest`: the TOML file format, as serde reads it;
//! - `check`: the checks of a manifest's parts;
//! - `build`: a manifest → its checked specs;
//! - this file: the [`Catalog`] of every vendor.

use std::collections::BTreeSet;
use std::sync::Arc;

mod build;
mod check;
mod cli_row;
mod error;
mod manifest;
mod spec;
pub mod vocab;

pub use crate::error::{
    ArgumentProblem, CatalogError, PathError, Problem, RouteProblem, RuleProblem, SurfaceProblem,
    ToolProblem,
};
pub use crate::manifest::test_manifest;
pub use crate::spec::{
    ArgumentRule, ConfirmKind, Envelope, ErrorRule, GroupSpec, InternalRoute, Location,
    MAX_TOOL_NAME, Param, PathPart, PathTemplate, RateLimit, RefusedHost, ResourceManifest,
    SurfaceField, ToolSpec, VendorSpec, index_by_name, split_group_id, stream_bounds,
};

/// All vendors and tools the binary knows, before any selection.
#[derive(Debug)]
pub struct Catalog {
    pub vendors: Vec<Arc<VendorSpec>>,
    pub tools: Vec<Arc<ToolSpec>>,
}

impl Catalog {
    /// Reads and checks the manifests, each given with the vendor name it
    /// must declare.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, CatalogError> {
        let mut vendors = Vec::new();
        let mut tools = Vec::new();
        let mut names = BTreeSet::new();
        for (expected, text) in sources {
            let in_manifest = |problem| CatalogError {
                vendor: expected.to_string(),
                problem,
            };
            let manifest = manifest::parse(text).map_err(in_manifest)?;
            let (vendor, vendor_tools) = build::vendor(expected, manifest).map_err(in_manifest)?;
            for tool in &vendor_tools {
                if !names.insert(tool.name.clone()) {
                    return Err(in_manifest(Problem::DuplicateTool(tool.name.clone())));
                }
            }
            vendors.push(Arc::new(vendor));
            tools.extend(vendor_tools.into_iter().map(Arc::new));
        }
        Ok(Self { vendors, tools })
    }

    pub fn vendor(&self, name: &str) -> Option<&Arc<VendorSpec>> {
        self.vendors.iter().find(|v| v.name == name)
    }

    pub fn tool(&self, name: &str) -> Option<&Arc<ToolSpec>> {
        self.tools.iter().find(|t| t.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme(tool: &str) -> String {
        test_manifest(
            "",
            &format!(
                "[groups]\nthings = \"Things\"\n[[tool]]\nname = \"{tool}\"\ntitle = \"T\"\ngroup = \"things\"\ndescription = \"D.\"\nmethod = \"GET\"\npath = \"/things\"\n"
            ),
        )
    }

    #[test]
    fn every_manifest_is_read_and_names_are_unique_across_them() {
        let a = acme("acme_list_things");
        let c = Catalog::from_sources([("acme", a.as_str())]).unwrap();
        assert_eq!(c.vendors.len(), 1);
        assert!(c.tool("acme_list_things").is_some());
        assert!(c.vendor("acme").is_some() && c.vendor("other").is_none());

        let table = &a[a.find("[[tool]]").unwrap()..];
        let twice = format!("{a}{table}");
        let e = Catalog::from_sources([("acme", twice.as_str())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "manifest acme: tool acme_list_things is defined twice"
        );
        // The same tool in a later manifest.
        let e = Catalog::from_sources([("acme", a.as_str()), ("acme", a.as_str())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "manifest acme: tool acme_list_things is defined twice"
        );
    }

    #[test]
    fn a_manifest_is_named_in_its_error() {
        let e = Catalog::from_sources([("acme", "[vendor")]).unwrap_err();
        assert_eq!(e.vendor, "acme");
        assert!(matches!(e.problem, Problem::Syntax(_)), "{e:?}");
        assert!(
            e.to_string().starts_with("manifest acme: not valid: "),
            "{e}"
        );
        let a = acme("acme_list_things");
        let e = Catalog::from_sources([("other", a.as_str())]).unwrap_err();
        assert_eq!(e.to_string(), "manifest other: vendor.name is \"acme\"");
    }
}
