//! Which tools this process serves: the catalog narrowed by `--vendors`,
//! `--tools`, `--exclude-tools`, `--read-only` and by which vendors can work.
//!
//! Exclusions and read-only always win; privileged groups are served only
//! when `--tools` or `--add-tools` names them (or one of their tools); an
//! unknown name is an error. `--add-tools` adds to whatever would be served
//! otherwise (the default set, or `--tools`), so an operator can switch on
//! one privileged group without listing every other tool.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::config::Selection;
use leads_mcp_catalog::{Catalog, ToolSpec, VendorSpec};

/// Whether a vendor can be served, and if not by default, why.
#[derive(Debug, Clone)]
pub struct Availability {
    /// Served when `--vendors` is not given (credentials set, or the sandbox).
    pub by_default: bool,
    /// Set when the vendor cannot be served at all (e.g. no base URL).
    pub unusable: Option<String>,
    /// Said in `leads-mcp tools` when it is not served by default.
    pub reason: String,
}

#[derive(Debug)]
pub struct Selected {
    pub vendors: Vec<Arc<VendorSpec>>,
    pub tools: Vec<Arc<ToolSpec>>,
    /// What an operator should know about the selection (printed on stderr).
    pub notes: Vec<String>,
    /// Every group of the vendors that are served, and how much of it is.
    pub groups: Vec<GroupState>,
}

/// One group of a served vendor, as `leads-mcp tools` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupState {
    /// `vendor:group`.
    pub id: String,
    pub description: String,
    pub privileged: bool,
    /// Tools of the group served, and in the catalog.
    pub served: usize,
    pub total: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SelectionError(pub String);

pub fn select(
    catalog: &Catalog,
    selection: &Selection,
    availability: &dyn Fn(&VendorSpec) -> Availability,
) -> Result<Selected, SelectionError> {
    let known_vendors: Vec<&str> = catalog.vendors.iter().map(|v| v.name.as_str()).collect();
    if let Some(vendors) = &selection.vendors {
        for name in vendors {
            if !known_vendors.contains(&name.as_str()) {
                return Err(SelectionError(format!(
                    "--vendors: unknown vendor {name:?}; known vendors: {}",
                    known_vendors.join(", ")
                )));
            }
        }
    }
    for (flag, names) in [
        ("--tools", selection.tools.clone().unwrap_or_default()),
        ("--add-tools", selection.add_tools.clone()),
        ("--exclude-tools", selection.exclude_tools.clone()),
    ] {
        for name in &names {
            if !names_tools(catalog, name) {
                return Err(SelectionError(format!(
                    "{flag}: unknown tool or group {name:?}{}. `leads-mcp tools` lists the names; groups are written vendor:group.",
                    suggestion(catalog, name)
                )));
            }
        }
    }

    let mut notes = Vec::new();
    let mut vendors = Vec::new();
    for vendor in &catalog.vendors {
        let avail = availability(vendor);
        let wanted = match &selection.vendors {
            Some(list) => list.contains(&vendor.name),
            None => avail.by_default,
        };
        if let Some(why) = &avail.unusable {
            // Named in --vendors: its tools are listed and each call says
            // what is missing (and sends nothing), as for missing keys.
            if wanted && selection.vendors.is_some() {
                notes.push(format!(
                    "{} is served, but every call is refused until this is fixed: {why}",
                    vendor.name
                ));
                vendors.push(vendor.clone());
            } else if selection.vendors.is_none() {
                notes.push(format!("{} is not served: {why}", vendor.name));
            }
            continue;
        }
        if wanted {
            vendors.push(vendor.clone());
        } else if selection.vendors.is_none() {
            notes.push(format!("{} is not served: {}", vendor.name, avail.reason));
        }
    }

    let named = |tool: &ToolSpec, names: &[String]| {
        names
            .iter()
            .any(|n| *n == tool.name || *n == tool.group_id())
    };
    let mut tools = Vec::new();
    for tool in &catalog.tools {
        let added = named(tool, &selection.add_tools);
        let Some(vendor) = vendors.iter().find(|v| v.name == tool.vendor) else {
            let flag = match &selection.tools {
                Some(list) if named(tool, list) => Some("--tools"),
                _ if added => Some("--add-tools"),
                _ => None,
            };
            if let Some(flag) = flag {
                notes.push(format!(
                    "{flag} names {} but vendor {} is not served",
                    tool.name, tool.vendor
                ));
            }
            continue;
        };
        let privileged = vendor.groups.get(&tool.group).is_some_and(|g| g.privileged);
        let listed = selection.tools.as_ref().map(|list| named(tool, list));
        let keep = added
            || match listed {
                Some(listed) => listed,
                None => !privileged,
            };
        if !keep || named(tool, &selection.exclude_tools) {
            continue;
        }
        if selection.read_only && !tool.read_only {
            continue;
        }
        tools.push(tool.clone());
    }
    let groups = vendors
        .iter()
        .flat_map(|v| {
            v.groups.iter().map(|(name, g)| {
                let of_group = |t: &&Arc<ToolSpec>| t.vendor == v.name && t.group == *name;
                GroupState {
                    id: format!("{}:{name}", v.name),
                    description: g.description.clone(),
                    privileged: g.privileged,
                    served: tools.iter().filter(of_group).count(),
                    total: catalog.tools.iter().filter(of_group).count(),
                }
            })
        })
        .collect();
    let served: BTreeSet<&str> = tools.iter().map(|t| t.vendor.as_str()).collect();
    vendors.retain(|v| served.contains(v.name.as_str()));
    Ok(Selected {
        vendors,
        tools,
        notes,
        groups,
    })
}

fn names_tools(catalog: &Catalog, name: &str) -> bool {
    catalog
        .tools
        .iter()
        .any(|t| t.name == name || t.group_id() == name)
}

/// " (did you mean x?)" for the closest known name sharing a prefix, if any.
fn suggestion(catalog: &Catalog, name: &str) -> String {
    let common = |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let candidates = catalog
        .tools
        .iter()
        .flat_map(|t| [t.name.clone(), t.group_id()]);
    candidates
        .map(|c| (common(&c, name), c))
        .filter(|(n, _)| *n >= 4)
        .max_by_key(|(n, _)| *n)
        .map(|(_, c)| format!(" (did you mean {c}?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[vendor]
name = "acme"
title = "Acme"
doc = "x.txt"
base_url = "https://acme.example/api"
base_url_env = "ACME_BASE_URL"
instructions = "Acme."
[groups]
things = "Things"
admin = { description = "Admin", privileged = true }
[[tool]]
name = "acme_list_things"
title = "List"
group = "things"
description = "List."
method = "GET"
path = "/things"
[[tool]]
name = "acme_create_thing"
title = "Create"
group = "things"
description = "Create."
method = "POST"
path = "/things"
[[tool]]
name = "acme_list_tenants"
title = "Tenants"
group = "admin"
description = "Tenants."
method = "GET"
path = "/tenants"
"#;

    fn catalog() -> Catalog {
        Catalog::from_sources([("acme", MANIFEST)]).unwrap()
    }

    fn available(_: &VendorSpec) -> Availability {
        Availability {
            by_default: true,
            unusable: None,
            reason: String::new(),
        }
    }

    fn names(s: &Selected) -> Vec<&str> {
        s.tools.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn privileged_groups_are_off_by_default() {
        let s = select(&catalog(), &Selection::default(), &available).unwrap();
        assert_eq!(names(&s), ["acme_list_things", "acme_create_thing"]);
    }

    #[test]
    fn naming_a_privileged_group_serves_it() {
        let sel = Selection {
            tools: Some(vec!["acme:admin".into(), "acme_list_things".into()]),
            ..Selection::default()
        };
        let s = select(&catalog(), &sel, &available).unwrap();
        assert_eq!(names(&s), ["acme_list_things", "acme_list_tenants"]);
    }

    #[test]
    fn add_tools_enables_a_privileged_group_besides_the_default_set() {
        let sel = Selection {
            add_tools: vec!["acme:admin".into()],
            ..Selection::default()
        };
        let s = select(&catalog(), &sel, &available).unwrap();
        assert_eq!(
            names(&s),
            ["acme_list_things", "acme_create_thing", "acme_list_tenants"]
        );
        // ... or besides an explicit --tools list.
        let sel = Selection {
            tools: Some(vec!["acme_list_things".into()]),
            add_tools: vec!["acme_list_tenants".into()],
            ..Selection::default()
        };
        let s = select(&catalog(), &sel, &available).unwrap();
        assert_eq!(names(&s), ["acme_list_things", "acme_list_tenants"]);
    }

    #[test]
    fn exclusions_and_read_only_win_over_add_tools() {
        let sel = Selection {
            add_tools: vec!["acme:admin".into()],
            exclude_tools: vec!["acme_list_tenants".into()],
            ..Selection::default()
        };
        let s = select(&catalog(), &sel, &available).unwrap();
        assert_eq!(names(&s), ["acme_list_things", "acme_create_thing"]);
        let sel = Selection {
            add_tools: vec!["acme:admin".into()],
            read_only: true,
            ..Selection::default()
        };
        let s = select(&catalog(), &sel, &available).unwrap();
        assert_eq!(names(&s), ["acme_list_things", "acme_list_tenants"]);
        let sel = Selection {
            add_tools: vec!["acme:admn".into()],
            ..Selection::default()
        };
        let e = select(&catalog(), &sel, &available).unwrap_err().0;
        assert!(e.contains("--add-tools") && e.contains("acme:admin"), "{e}");
    }

    #[test]
    fn group_states_say_what_is_served_and_what_is_privileged() {
        let s = select(&catalog(), &Selection::default(), &available).unwrap();
        assert_eq!(
            s.groups,
            [
                GroupState {
                    id: "acme:admin".into(),
                    description: "Admin".into(),
                    privileged: true,
                    served: 0,
                    total: 1
                },
                GroupState {
                    id: "acme:things".into(),
                    description: "Things".into(),
                    privileged: false,
                    served: 2,
                    total: 2
                },
            ]
        );
    }

    #[test]
    fn unusable_vendors_are_served_only_when_named() {
        let unusable = |_: &VendorSpec| Availability {
            by_default: true,
            unusable: Some("Acme publishes no base URL: set ACME_BASE_URL".into()),
            reason: String::new(),
        };
        let sel = Selection {
            add_tools: vec!["acme:admin".into()],
            ..Selection::default()
        };
        let s = select(&catalog(), &sel, &unusable).unwrap();
        assert!(s.tools.is_empty() && s.vendors.is_empty());
        assert!(
            s.notes[0].contains("acme is not served") && s.notes[0].contains("ACME_BASE_URL"),
            "{:?}",
            s.notes
        );
        assert!(s.notes.iter().any(|n| n.contains("--add-tools names")));
        // Named in --vendors: served, and the note says its calls are refused.
        let sel = Selection {
            vendors: Some(vec!["acme".to_string()]),
            ..Selection::default()
        };
        let s = select(&catalog(), &sel, &unusable).unwrap();
        assert_eq!(names(&s), ["acme_list_things", "acme_create_thing"]);
        assert!(
            s.notes[0].contains("acme is served, but every call is refused")
                && s.notes[0].contains("ACME_BASE_URL"),
            "{:?}",
            s.notes
        );
    }

    #[test]
    fn exclusions_and_read_only_win() {
        let sel = Selection {
            tools: Some(vec!["acme:things".into()]),
            exclude_tools: vec!["acme_list_things".into()],
            ..Selection::default()
        };
        let s = select(&catalog(), &sel, &available).unwrap();
        assert_eq!(names(&s), ["acme_create_thing"]);
        let sel = Selection {
            tools: Some(vec!["acme_create_thing".into()]),
            read_only: true,
            ..Selection::default()
        };
        assert!(
            select(&catalog(), &sel, &available)
                .unwrap()
                .tools
                .is_empty()
        );
    }

    #[test]
    fn unknown_names_are_errors() {
        let sel = Selection {
            tools: Some(vec!["acme_list_thing".into()]),
            ..Selection::default()
        };
        let e = select(&catalog(), &sel, &available).unwrap_err().0;
        assert!(e.contains("did you mean acme_list_things"), "{e}");
        let sel = Selection {
            vendors: Some(vec!["nope".into()]),
            ..Selection::default()
        };
        assert!(select(&catalog(), &sel, &available).is_err());
        let sel = Selection {
            exclude_tools: vec!["acme:nope".into()],
            ..Selection::default()
        };
        assert!(select(&catalog(), &sel, &available).is_err());
    }

    #[test]
    fn vendors_without_credentials_are_not_served_unless_named() {
        let unavailable = |_: &VendorSpec| Availability {
            by_default: false,
            unusable: None,
            reason: "ACME_API_KEY is not set".into(),
        };
        let s = select(&catalog(), &Selection::default(), &unavailable).unwrap();
        assert!(s.tools.is_empty());
        assert!(s.notes[0].contains("ACME_API_KEY"));
        let sel = Selection {
            vendors: Some(vec!["acme".into()]),
            ..Selection::default()
        };
        assert_eq!(
            select(&catalog(), &sel, &unavailable).unwrap().tools.len(),
            2
        );
    }
}
