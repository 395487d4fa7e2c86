//! The integration tests, in one binary: the real `leads-mcp` driven through
//! MCP clients against the recording sandbox. One binary links the
//! dependencies once, which keeps the release build CI runs short.

mod bundle;
mod common;
mod rover;

mod answers;
mod cli;
mod guardrails;
mod hardening_transport;
mod install;
mod layers;
mod leadgenius;
mod leadmetrics;
mod leadpanther;
mod leadspro;
mod leadsrover;
mod leadsrover_confirm;
mod leadsrover_rules;
mod leadsrover_triage;
mod protocol;
mod routes;
mod schemas;
mod transports;
