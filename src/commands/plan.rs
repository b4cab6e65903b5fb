//! `cachesim plan`: when can the old server go?

use super::run::simulate_and_write;
use super::SimOptions;
use crate::error::Result;
use crate::export::hangs_on::HangsOn;
use crate::export::text;
use crate::plan::{Criterion, Plan};
use std::path::Path;

/// Simulates, prints the answer, and records it in the results folder.
pub fn plan(sim: &SimOptions, criterion: Criterion, out: Option<&Path>) -> Result<Plan> {
    let ran = simulate_and_write(sim, out, criterion)?;
    if !sim.quiet {
        println!("{}", text::plan_sentence(&ran.plan));
        for sentence in HangsOn::of(&ran.report()).sentences() {
            println!("{sentence}");
        }
    }
    Ok(ran.plan)
}
