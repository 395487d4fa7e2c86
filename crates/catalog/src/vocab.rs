//! The words every layer of the server shares: the HTTP method of a route,
//! a refusal (a call stopped before anything was sent), and how a call ended.
//!
//! This is the bottom of the house: it imports nothing of the project.

use serde_json::{Map, Value};

/// A JSON object: tool arguments, bodies, schemas.
pub type JsonObject = Map<String, Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "GET" => Self::Get,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "PATCH" => Self::Patch,
            "DELETE" => Self::Delete,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// A call refused before anything was sent: what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// Stable machine-readable reason, e.g. `invalid_arguments`.
    pub code: &'static str,
    pub message: String,
    pub next: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>, next: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            next: next.into(),
        }
    }
}

/// How one call ended.
#[derive(Debug)]
pub enum Outcome {
    /// The vendor answered with data.
    Ok(Success),
    /// The vendor answered with an error, or could not be reached.
    Failed(Failure),
    /// Nothing was sent: the call was refused here.
    Refused(Refusal),
}

#[derive(Debug)]
pub struct Success {
    pub status: u16,
    pub body: Value,
    pub request_id: String,
    /// The documented "not found is an answer" case (e.g. no match), with its hint.
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub vendor: String,
    pub tool: String,
    /// `None` when the vendor could not be reached.
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: String,
    /// Extra fields the vendor documents for errors (details, recommendation).
    pub details: Map<String, Value>,
    pub request_id: String,
    pub hints: Vec<String>,
    /// Seconds the vendor asked to wait (429).
    pub retry_after: Option<u64>,
    pub route: String,
}
