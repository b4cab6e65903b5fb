//! `cachesim run`: simulate, write the results folder, print a short summary.

use super::{simulate, SimOptions, Simulated};
use crate::error::Result;
use crate::export::{self, text, Replaced, Report};
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
    /// What the folder held before, if anything: said, not silently lost.
    pub replaced: Option<Replaced>,
}

impl Ran {
    pub fn report(&self) -> Report<'_> {
        Report {
            scenario: &self.simulated.scenario,
            results: &self.simulated.results,
            tallies: &self.simulated.tallies,
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
    let replaced = Replaced::in_folder(&dir);
    let ran = Ran {
        simulated,
        plan,
        dir,
        replaced,
    };
    export::write_run(&ran.report(), &ran.dir)?;
    Ok(ran)
}

pub fn run(options: &RunOptions) -> Result<Ran> {
    let ran = simulate_and_write(&options.sim, options.out.as_deref(), options.criterion)?;
    let sim = &options.sim;
    ran.tell(sim.quiet, sim.json, |ran| {
        text::run_summary(&ran.report(), &ran.dir)
    });
    Ok(ran)
}

impl Ran {
    /// Says what happened as asked: `text` (and a note on replaced
    /// results), summary.json on stdout with `--json` (the note then on
    /// stderr), or nothing with `--quiet`.
    pub fn tell(&self, quiet: bool, json: bool, text: impl Fn(&Ran) -> String) {
        let note = self
            .replaced
            .as_ref()
            .and_then(|r| text::replaced_note(r, &self.simulated.scenario, &self.dir));
        if json {
            let summary = export::summary::Summary::of(&self.report());
            println!("{}", String::from_utf8_lossy(&summary.to_bytes()).trim_end());
            if let Some(note) = note {
                eprintln!("cachesim: {note}");
            }
        } else if !quiet {
            print!("{}", text(self));
            if let Some(note) = note {
                println!("{note}");
            }
        }
    }
}
