//! Why a manifest can't be served: which manifest, where in it, and what is
//! wrong. Each layer of a manifest has its own enum (the vendor's tables, a
//! tool, an argument, a route, a rule ...), and the outer one names the place
//! of the inner one, so [`CatalogError`]'s message reads as it always has:
//! `manifest acme: tool acme_list_things: limit needs a minimum and a maximum`.
//!
//! This module imports nothing of the crate.

/// A manifest that the catalog refuses to load.
#[derive(Debug, thiserror::Error)]
#[error("manifest {vendor}: {problem}")]
pub struct CatalogError {
    /// The vendor whose manifest it is (the name it was given under).
    pub vendor: String,
    pub problem: Problem,
}

/// What is wrong with one vendor's manifest, and where.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The text is not TOML of the manifest format.
    #[error("not valid: {0}")]
    Syntax(Box<toml::de::Error>),
    /// `vendor.name` is not the name the manifest was given under.
    #[error("vendor.name is {0:?}")]
    VendorName(String),
    /// Two tools, in this manifest or an earlier one, have the same name.
    #[error("tool {0} is defined twice")]
    DuplicateTool(String),
    #[error("envelope: next_cursor and cursor_arguments go together")]
    CursorHalf,
    #[error(transparent)]
    Surface(#[from] SurfaceProblem),
    #[error("rate_limit: unknown method {0}")]
    RateLimitMethod(String),
    #[error("rate_limit needs methods, requests > 0 and per_seconds > 0")]
    RateLimitBounds,
    #[error("error rule names unknown tool {0}")]
    ErrorRuleTool(String),
    #[error("resource {uri} names unknown tool {tool}")]
    ResourceTool { uri: String, tool: String },
    #[error(
        "resource {uri}: tool {tool} must be a read-only, argument-free request (not a stream)"
    )]
    ResourceNotPlainRead { uri: String, tool: String },
    #[error("resource {uri} must use the {vendor}:// scheme")]
    ResourceScheme { uri: String, vendor: String },
    /// One `[[tool]]` table.
    #[error("tool {tool}: {problem}")]
    Tool { tool: String, problem: ToolProblem },
}

/// What is wrong with one `[[vendor.envelope.surface]]` field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurfaceProblem {
    #[error("envelope.surface: {0:?} must be a snake_case name, used once")]
    Name(String),
    #[error("envelope.surface: {0} is a name results already use")]
    Taken(String),
    #[error("envelope.surface.{0}: give JSON pointers starting with '/'")]
    Pointers(String),
    #[error("envelope.surface.{0}: give a label")]
    Label(String),
}

/// What is wrong with one tool.
#[derive(Debug, thiserror::Error)]
pub enum ToolProblem {
    #[error("name must be {vendor}_<verb>_<noun> in snake_case")]
    Name { vendor: String },
    #[error("name is longer than {max} characters")]
    NameTooLong { max: usize },
    #[error("group {0:?} is not declared in [groups]")]
    UnknownGroup(String),
    #[error("title and description must not be empty")]
    EmptyText,
    #[error("unknown method {0}")]
    UnknownMethod(String),
    /// Its `path` or `agency_path`.
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("uses unknown shared param {0:?}")]
    UnknownSharedParam(String),
    #[error("argument {0:?} is declared twice")]
    DuplicateArgument(String),
    #[error("`required` names unknown argument {0:?}")]
    RequiredUnknown(String),
    #[error(transparent)]
    Argument(#[from] ArgumentProblem),
    /// Its paths and its path arguments don't match.
    #[error(transparent)]
    Route(#[from] RouteProblem),
    #[error("a stream tool reads an event stream: its method must be GET")]
    StreamNotGet,
    #[error("argument {0} is reserved for stream tools' read bounds")]
    ReservedArgument(&'static str),
    /// One of its `[[tool.rule]]` tables.
    #[error(transparent)]
    Rule(#[from] RuleProblem),
    #[error("at most one body_object argument")]
    TwoBodyObjects,
    #[error("body_required without body arguments")]
    BodyRequiredWithoutBody,
    #[error("GET routes take no body")]
    GetWithBody,
    #[error("a GET tool cannot be marked read_only = false")]
    GetNotReadOnly,
    #[error("a DELETE tool cannot be marked destructive = false")]
    DeleteNotDestructive,
    #[error("a read-only tool cannot be destructive or need confirmation")]
    ReadOnlyWrites,
    #[error("a tool that ends the session is not read-only")]
    ReadOnlyEndsSession,
    #[error("auth = [] accepts nothing; write auth = false for a public route")]
    EmptyAuth,
    #[error("auth names {kind:?}, not one of the vendor's auth_kinds {known:?}")]
    UnknownAuthKind { kind: String, known: Vec<String> },
    #[error(
        "body_required: give the body_object argument {0} minProperties = 1, so its schema says it"
    )]
    BodyMinProperties(String),
    /// The input schema the arguments make up doesn't compile.
    #[error("input schema is not valid JSON Schema: {0}")]
    Schema(Box<jsonschema::ValidationError<'static>>),
}

/// What is wrong with a path template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("path {raw:?} must start with '/' (or be empty for the base URL)")]
    NotAbsolute { raw: String },
    #[error("path {raw:?} has an unclosed '{{'")]
    Unclosed { raw: String },
    #[error("path {raw:?}: placeholder {{{name}}} must be snake_case")]
    Placeholder { raw: String, name: String },
    #[error("path {raw:?} has unsafe literal text {text:?}")]
    UnsafeLiteral { raw: String, text: String },
}

/// What is wrong with one argument of a tool.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgumentProblem {
    #[error("argument name {0:?} must be alphanumeric")]
    Name(String),
    #[error("argument {0} has no description")]
    NoDescription(String),
    #[error("argument {0} has no type")]
    NoType(String),
    #[error(
        "argument {argument}: `{keyword}` is not an allowed schema keyword (no combinators or references: they are not portable across clients)"
    )]
    Keyword { argument: String, keyword: String },
    /// `at` is where in the argument's schema, e.g. `tags.items`.
    #[error(
        "{at}: a bare `true`/`false` where a schema object belongs is not portable; write the schema"
    )]
    BareBoolean { at: String },
    #[error("argument {0}: use limit/offset pagination")]
    PagePagination(String),
    #[error("limit needs a minimum and a maximum")]
    UnboundedLimit,
    #[error("offset needs minimum = 0")]
    OffsetMinimum,
    #[error("path argument {0} must be a string or an integer")]
    PathType(String),
    #[error("integer path argument {0} needs a minimum and a maximum (the vendor's id range)")]
    PathIdRange(String),
    #[error("body_object argument {0} must be an object")]
    BodyObjectType(String),
    #[error("argument {argument}: required field {field:?} is not one of its properties")]
    RequiredField { argument: String, field: String },
}

/// Where a tool's paths and its path arguments disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteProblem {
    #[error("path placeholder {{{0}}} has no argument")]
    NoArgument(String),
    #[error("path placeholder {{{0}}} needs a required path argument")]
    NotRequiredPath(String),
    #[error("agency_path must keep every placeholder of path")]
    AgencyDropsPlaceholder,
    #[error("agency_path must add exactly the {{client_id}} placeholder")]
    AgencyExtra,
    #[error("client_id must be an optional path argument when agency_path is set")]
    ClientIdNotOptional,
    #[error("path argument {0} appears in no path")]
    Unused(String),
}

/// What is wrong with one `[[tool.rule]]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    #[error("rule: `each` names {0:?}, not an array of objects with properties")]
    Each(String),
    #[error("rule: give `require`, `any_of` or `future`")]
    Empty,
    #[error("rule names unknown argument {0:?}")]
    UnknownArgument(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages are the ones operators and tests have always read,
    /// braces included.
    #[test]
    fn messages_name_the_manifest_and_the_place() {
        let e = CatalogError {
            vendor: "acme".into(),
            problem: Problem::Tool {
                tool: "acme_get_thing".into(),
                problem: RouteProblem::NoArgument("id".into()).into(),
            },
        };
        assert_eq!(
            e.to_string(),
            "manifest acme: tool acme_get_thing: path placeholder {id} has no argument"
        );
        assert_eq!(
            RouteProblem::AgencyExtra.to_string(),
            "agency_path must add exactly the {client_id} placeholder"
        );
        assert_eq!(
            PathError::Unclosed {
                raw: "/a/{b".into()
            }
            .to_string(),
            "path \"/a/{b\" has an unclosed '{'"
        );
        assert_eq!(
            PathError::Placeholder {
                raw: "/a/{B}".into(),
                name: "B".into()
            }
            .to_string(),
            "path \"/a/{B}\": placeholder {B} must be snake_case"
        );
        assert_eq!(
            Problem::from(SurfaceProblem::Name("Credits".into())).to_string(),
            "envelope.surface: \"Credits\" must be a snake_case name, used once"
        );
    }
}
