//! MCP prompts from `prompts/*.md`: TOML front matter between `+++` lines
//! (name, vendor, title, description, arguments), then the body, where
//! `{{argument}}` is replaced by the argument's value.

use std::collections::BTreeMap;

use serde::Deserialize;

use leads_mcp_catalog::Catalog;

/// Every prompt file, embedded. A test checks this list against `prompts/`.
pub static SOURCES: &[(&str, &str)] = &[
    (
        "leadpanther-client-review.md",
        include_str!("../prompts/leadpanther-client-review.md"),
    ),
    (
        "leadspro-enrich-contacts.md",
        include_str!("../prompts/leadspro-enrich-contacts.md"),
    ),
    (
        "leadgenius-enrich-leads.md",
        include_str!("../prompts/leadgenius-enrich-leads.md"),
    ),
    (
        "leadsrover-triage-inbox.md",
        include_str!("../prompts/leadsrover-triage-inbox.md"),
    ),
    (
        "leadsrover-triage-leads.md",
        include_str!("../prompts/leadsrover-triage-leads.md"),
    ),
    (
        "leadmetrics-approval-review.md",
        include_str!("../prompts/leadmetrics-approval-review.md"),
    ),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptSpec {
    pub name: String,
    pub vendor: String,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub arguments: Vec<PromptArgumentSpec>,
    #[serde(skip)]
    pub body: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptArgumentSpec {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub required: bool,
    /// Text used when an optional argument is not given.
    #[serde(default)]
    pub default: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("prompt {file}: {message}")]
pub struct PromptError {
    pub file: String,
    pub message: String,
}

/// Parses and checks every embedded prompt against the catalog: its vendor
/// exists, every placeholder is an argument, and every tool it names exists.
pub fn load(catalog: &Catalog) -> Result<Vec<PromptSpec>, PromptError> {
    SOURCES
        .iter()
        .map(|(file, text)| parse(file, text, catalog))
        .collect()
}

fn parse(file: &str, text: &str, catalog: &Catalog) -> Result<PromptSpec, PromptError> {
    let fail = |message: String| PromptError {
        file: file.to_string(),
        message,
    };
    let rest = text
        .strip_prefix("+++\n")
        .ok_or_else(|| fail("must start with a +++ front matter line".into()))?;
    let end = rest
        .find("\n+++\n")
        .ok_or_else(|| fail("front matter is not closed by +++".into()))?;
    let mut spec: PromptSpec =
        toml::from_str(&rest[..end]).map_err(|e| fail(format!("front matter: {e}")))?;
    spec.body = rest[end + 5..].trim().to_string();
    if catalog.vendor(&spec.vendor).is_none() {
        return Err(fail(format!("unknown vendor {}", spec.vendor)));
    }
    if !spec.name.starts_with(&format!("{}-", spec.vendor)) || file != format!("{}.md", spec.name) {
        return Err(fail(
            "the name must start with the vendor's name and match the file name".into(),
        ));
    }
    for placeholder in placeholders(&spec.body) {
        if !spec.arguments.iter().any(|a| a.name == placeholder) {
            return Err(fail(format!("{{{{{placeholder}}}}} is not an argument")));
        }
    }
    for arg in &spec.arguments {
        if !spec.body.contains(&format!("{{{{{}}}}}", arg.name)) {
            return Err(fail(format!("argument {} is never used", arg.name)));
        }
        if !arg.required && arg.default.is_none() {
            return Err(fail(format!(
                "optional argument {} needs a default",
                arg.name
            )));
        }
    }
    let prefix = format!("{}_", spec.vendor);
    for word in spec
        .body
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
    {
        if word.starts_with(&prefix) && catalog.tool(word).is_none() {
            return Err(fail(format!("names unknown tool {word}")));
        }
    }
    Ok(spec)
}

fn placeholders(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        out.push(rest[start + 2..start + 2 + len].trim().to_string());
        rest = &rest[start + 2 + len + 2..];
    }
    out
}

impl PromptSpec {
    /// The prompt's text for these arguments, or which required one is missing.
    pub fn render(&self, args: &BTreeMap<String, String>) -> Result<String, String> {
        let mut text = self.body.clone();
        for arg in &self.arguments {
            let value = match (
                args.get(&arg.name).filter(|v| !v.trim().is_empty()),
                &arg.default,
            ) {
                (Some(v), _) => v.trim().to_string(),
                (None, Some(default)) => default.clone(),
                (None, None) => return Err(format!("missing required argument `{}`", arg.name)),
            };
            text = text.replace(&format!("{{{{{}}}}}", arg.name), &value);
        }
        if let Some(unknown) = args
            .keys()
            .find(|k| !self.arguments.iter().any(|a| &a.name == *k))
        {
            return Err(format!("unknown argument `{unknown}`"));
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_file_is_embedded_and_valid() {
        let catalog = crate::vendors::load_catalog().unwrap();
        let prompts = load(&catalog).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".md"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = SOURCES.iter().map(|(f, _)| f.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "prompts/ and prompts::SOURCES differ");
        assert_eq!(prompts.len(), SOURCES.len());
    }

    fn catalog() -> Catalog {
        crate::vendors::load_catalog().unwrap()
    }

    #[test]
    fn unknown_tools_and_placeholders_are_refused() {
        let c = catalog();
        let head = "+++\nname = \"leadpanther-x\"\nvendor = \"leadpanther\"\ntitle = \"X\"\ndescription = \"X\"\n";
        let bad_tool = format!("{head}+++\nCall leadpanther_list_everything.\n");
        assert!(
            parse("leadpanther-x.md", &bad_tool, &c)
                .unwrap_err()
                .message
                .contains("leadpanther_list_everything")
        );
        let bad_placeholder = format!("{head}+++\nFor {{{{client}}}}.\n");
        assert!(parse("leadpanther-x.md", &bad_placeholder, &c).is_err());
        let ok = format!(
            "{head}[[arguments]]\nname = \"client\"\ndescription = \"C\"\nrequired = true\n+++\nCall leadpanther_list_posts for {{{{client}}}}.\n"
        );
        let p = parse("leadpanther-x.md", &ok, &c).unwrap();
        let args = BTreeMap::from([("client".to_string(), "c1".to_string())]);
        assert_eq!(
            p.render(&args).unwrap(),
            "Call leadpanther_list_posts for c1."
        );
        assert!(p.render(&BTreeMap::new()).is_err());
        let extra = BTreeMap::from([
            ("client".to_string(), "c1".to_string()),
            ("x".to_string(), "y".to_string()),
        ]);
        assert!(p.render(&extra).is_err());
    }
}
