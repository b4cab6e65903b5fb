//! `cachesim plan`: when can the old server go? From a scenario (simulated)
//! or from a results folder (answered again from the runs it keeps).

use super::run::{simulate_and_write, write, Ran};
use super::SimOptions;
use crate::error::{Error, Result};
use crate::export::hangs_on::HangsOn;
use crate::export::{self, text};
use crate::plan::{Criterion, Plan};
use std::path::Path;

/// Simulates, prints the answer, and records it in the results folder.
pub fn plan(sim: &SimOptions, criterion: Criterion, out: Option<&Path>) -> Result<Plan> {
    let ran = if sim.scenario.is_dir() {
        from_folder(sim, criterion, out)?
    } else {
        simulate_and_write(sim, out, criterion)?
    };
    ran.tell(sim.quiet, sim.json, answer_text);
    Ok(ran.plan)
}

/// The plan's sentence and what the tail hangs on.
fn answer_text(ran: &Ran) -> String {
    let hangs_on = HangsOn::of(&ran.report());
    let unbounded = hangs_on.unbounded();
    let unbounded = unbounded.as_deref();
    let mut text = format!("{}\n", text::plan_sentence(&ran.plan, unbounded));
    for sentence in hangs_on.sentences() {
        text.push_str(&sentence);
        text.push('\n');
    }
    text
}

/// Answers again from a results folder's `runs.cachesim`: every run's counts
/// as they were simulated, so the answer is the one a new simulation of the
/// same scenario, seed and runs would give. The folder's results are
/// rewritten with the new answer (or written to `out`).
fn from_folder(sim: &SimOptions, criterion: Criterion, out: Option<&Path>) -> Result<Ran> {
    let dir = &sim.scenario;
    if !sim.sets.is_empty() || sim.runs.is_some() || sim.seed.is_some() {
        return Err(Error::Usage(format!(
            "{}: a results folder answers for the scenario, seed and runs it holds; \
             to change them (--set, --runs, --seed), plan the scenario file instead",
            dir.display()
        )));
    }
    let runs_file = dir.join(export::RUNS_FILE);
    if !runs_file.is_file() {
        return Err(Error::Usage(format!(
            "{}: no {} here, so the runs cannot be answered again (a folder written by an older \
             cachesim, or not a results folder); plan the scenario file instead",
            dir.display(),
            export::RUNS_FILE
        )));
    }
    let mut simulated = super::merge::merged(&[runs_file])?;
    // The runs were simulated when the folder was written: keep that run's time.
    if let Ok(folder) = export::folder::read(dir) {
        simulated.wall_time_s = folder.summary.wall_time_s;
    }
    write(simulated, out.unwrap_or(dir).to_path_buf(), criterion)
}
