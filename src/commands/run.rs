//! `cachesim run`: simulate, write the results folder, print a short summary.

use super::{simulate, SimOptions, Simulated};
use crate::error::Result;
use crate::export::{self, text, Report};
use crate::plan::{Criterion, Plan};
use std::path::{Path, PathBuf};

pub struct RunOptions {
    pub sim: SimOptions,
    pub out: Option<PathBuf>,
    pub criterion: Criterion,
}

/// A finished run: what was simulated, the plan's answer and where the
/// results were written.
pub struct Ran {
    pub simulated: Simulated,
    pub plan: Plan,
    pub dir: PathBuf,
}

impl Ran {
    pub fn report(&self) -> Report<'_> {
        Report {
            scenario: &self.simulated.scenario,
            results: &self.simulated.results,
            wall_time_s: self.simulated.wall_time_s,
            plan: self.plan.clone(),
        }
    }
}

/// Simulates and writes every result file; `run` and `plan` both start here.
pub fn simulate_and_write(sim: &SimOptions, out: Option<&Path>, criterion: Criterion) -> Result<Ran> {
    let scenario = sim.load(&[])?;
    let dir = export::results_dir(out, &scenario.name);
    export::prepare_dir(&dir)?;
    let simulated = simulate(scenario, sim)?;
    write(simulated, dir, criterion)
}

/// Answers the plan and writes every result file of a finished simulation
/// (one run's, or merged shards').
pub fn write(simulated: Simulated, dir: PathBuf, criterion: Criterion) -> Result<Ran> {
    let plan = Plan::compute(&simulated.results, criterion, simulated.scenario.duration);
    let ran = Ran { simulated, plan, dir };
    export::write_run(&ran.report(), &ran.dir)?;
    Ok(ran)
}

pub fn run(options: &RunOptions) -> Result<Ran> {
    let ran = simulate_and_write(&options.sim, options.out.as_deref(), options.criterion)?;
    if !options.sim.quiet {
        print!("{}", text::run_summary(&ran.report(), &ran.dir));
    }
    Ok(ran)
}
