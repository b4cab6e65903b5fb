//! cachesim: how long users keep reaching the old IP address after a DNS
//! change. A Monte Carlo simulation of every cache between a user and the
//! authoritative server, with per-layer blame and confidence intervals.

pub mod client;
pub mod commands;
pub mod duration;
pub mod engine;
pub mod error;
pub mod export;
pub mod fit;
pub mod manual;
pub mod observe;
pub mod plan;
pub mod policy;
pub mod population;
pub mod resources;
pub mod scenario;
pub mod serve;
pub mod server;
pub mod shard;
pub mod simulation;
pub mod stats;
