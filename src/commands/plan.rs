//! `cachesim plan`: when can the old server go?

use super::run::{results_dir, write_results};
use super::{simulate, SimOptions};
use crate::error::Result;
use crate::plan::{Criterion, Plan};
use std::path::PathBuf;

/// Simulates, prints the answer, and records it in the results folder.
pub fn plan(sim: &SimOptions, criterion: Criterion, out: &Option<PathBuf>) -> Result<Plan> {
    let scenario = sim.load(&[])?;
    let dir = results_dir(out, &scenario.name);
    crate::export::prepare_dir(&dir)?;
    let simulated = simulate(scenario, sim)?;
    let plan = Plan::compute(&simulated.results, criterion, simulated.scenario.duration);
    write_results(&simulated, &plan, &dir)?;
    println!("{}", plan.sentence());
    Ok(plan)
}
