//! The commands of the `cachesim` binary. Each takes plain options (the CLI
//! parsing lives in the binary) and returns what it wrote or printed.

pub mod chart;
pub mod compare;
pub mod fit;
pub mod merge;
pub mod observe;
pub mod plan;
pub mod presets;
pub mod run;
pub mod shard;
pub mod slurm;
pub mod sweep;

pub use crate::simulation::{simulate, SimOptions, Simulated, STOP};
