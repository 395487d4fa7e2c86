//! Simulated vendor APIs, in memory, on a loopback port: what `leads-mcp
//! --sandbox` serves and what the tests call. Each vendor's simulation is an
//! axum router mounted under `/<vendor>` + its documented base path.
//!
//! Every request is recorded (method, path, query, headers, body) so tests
//! can assert exactly what went upstream, and tests can inject faults.
//!
//! The modules import downward only: [`kit`] at the bottom (imports nothing
//! of this crate), the five simulations above it (each imports only the
//! kit), and [`server`] on top (the kit and the simulations).

pub mod kit;
pub mod server;

pub mod leadgenius;
pub mod leadmetrics;
pub mod leadpanther;
pub mod leadspro;
pub mod leadsrover;

pub use kit::{Simulation, request_id};
pub use server::{Fault, Recorded, SIMULATIONS, Sandbox};
