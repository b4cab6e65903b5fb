//! `cachesim run`: simulate, write the results folder, print a short summary.

use super::{simulate, SimOptions, Simulated};
use crate::error::{Error, Result};
use crate::export::{self, text, Report};
use crate::plan::decision::{Decision, Evidence};
use crate::plan::{Criterion, Plan, Traffic};
use std::path::{Path, PathBuf};

pub struct RunOptions {
    pub sim: SimOptions,
    pub out: Option<PathBuf>,
    pub ask: Ask,
}

/// What the plan is asked: its criterion, and the traffic to count lost
/// requests at when not the scenario's `[plan] traffic` (requests per second).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Ask {
    pub criterion: Criterion,
    pub traffic: Option<f64>,
}

/// A finished run: what was simulated, the plan's answer and where the
/// results were written.
pub struct Ran {
    pub simulated: Simulated,
    pub plan: Plan,
    pub decision: Decision,
    pub dir: PathBuf,
    /// The files written to `dir` (none: `plan DIR` only reads).
    pub written: Vec<String>,
}

impl Ran {
    /// Done, or [`Error::NoAnswer`] when the criterion is not met within
    /// the horizon (the results are written all the same): a script can
    /// tell "no answer" from an answer by the exit status.
    pub fn answered(self) -> Result<Ran> {
        if self.decision.retire_after.is_some() {
            return Ok(self);
        }
        let hours = self.plan.longer_horizon() / crate::duration::HOUR;
        Err(Error::NoAnswer {
            horizon: crate::duration::human(self.plan.horizon),
            longer: format!("{hours}h"),
            dir: self.dir,
        })
    }

    pub fn report(&self) -> Report<'_> {
        Report {
            scenario: &self.simulated.scenario,
            results: &self.simulated.results,
            tallies: &self.simulated.tallies,
            wall_time_s: self.simulated.wall_time_s,
            plan: &self.plan,
            decision: &self.decision,
        }
    }
}

/// Simulates and writes every result file; `run` and `plan` both start here.
pub fn simulate_and_write(sim: &SimOptions, out: Option<&Path>, ask: Ask) -> Result<Ran> {
    let scenario = sim.load(&[])?;
    let dir = export::results_dir(out, &scenario);
    if let Some(note) = export::folder::claim(&dir, &scenario, sim.replace)? {
        if !sim.quiet {
            eprintln!("cachesim: {note}");
        }
    }
    export::prepare_dir(&dir)?;
    let simulated = simulate(scenario, sim)?;
    write(simulated, dir, ask)
}

/// Answers the plan and writes every result file of a finished simulation
/// (one run's, or merged shards').
pub fn write(simulated: Simulated, dir: PathBuf, ask: Ask) -> Result<Ran> {
    let mut ran = answer(simulated, dir, ask);
    ran.written = export::write_run(&ran.report(), &ran.dir)?;
    Ok(ran)
}

/// The plan and its decision for a finished simulation, to be written to `dir`.
pub fn answer(simulated: Simulated, dir: PathBuf, ask: Ask) -> Ran {
    let (s, r) = (&simulated.scenario, &simulated.results);
    let traffic = Traffic::of(ask.traffic.or(s.traffic), r, s.duration);
    let plan = Plan::compute(r, ask.criterion, traffic, s.duration);
    let decision = Decision::of(&Evidence {
        scenario: s,
        results: r,
        tallies: &simulated.tallies,
        plan: &plan,
    });
    Ran {
        written: Vec::new(),
        simulated,
        plan,
        decision,
        dir,
    }
}

pub fn run(options: &RunOptions) -> Result<Ran> {
    let ran = simulate_and_write(&options.sim, options.out.as_deref(), options.ask)?;
    let sim = &options.sim;
    ran.tell(sim.quiet, sim.json, |ran| {
        text::run_summary(&ran.report(), &ran.dir)
    });
    Ok(ran)
}

impl Ran {
    /// Says what happened as asked: `text`, summary.json on stdout with
    /// `--json`, or nothing with `--quiet`.
    pub fn tell(&self, quiet: bool, json: bool, text: impl Fn(&Ran) -> String) {
        if json {
            let summary = export::summary::Summary::of(&self.report());
            println!("{}", String::from_utf8_lossy(&summary.to_bytes()).trim_end());
        } else if !quiet {
            print!("{}", text(self));
        }
    }
}
