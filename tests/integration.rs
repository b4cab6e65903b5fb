//! Every integration test, in one binary: one link instead of one per
//! file. Run them with `cargo test`; one module with `cargo test oracles::`.

mod bad_input;
mod behaviours;
mod bound;
mod causes;
mod chain_lab;
mod chains;
mod charts;
mod cli;
mod clients;
mod common;
mod decision;
mod edges;
mod equivalence;
mod fit;
mod folders;
mod golden;
mod lab;
mod layers;
mod oracles;
mod properties;
mod report;
mod reuse;
mod riding;
mod serve;
mod serve_live;
mod serve_page;
mod shard;
mod slurm;
mod statistics;
mod sweep;
mod tails;
mod toolchain;
mod trust;
mod warmup;
