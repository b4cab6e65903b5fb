//! `cachesim plan`: when can the old server go? From a scenario (simulated)
//! or from a results folder (answered again from the runs it keeps, which
//! leaves the folder as it is unless `--out` names where to write).

use super::run::{answer, simulate_and_write, write, Ask, Ran};
use super::SimOptions;
use crate::error::{Error, Result};
use crate::export::{self, text};
use std::path::Path;

/// Simulates (or reads the runs), prints the decision, and writes the
/// results where asked.
pub fn plan(sim: &SimOptions, ask: Ask, out: Option<&Path>) -> Result<Ran> {
    let ran = if sim.scenario.is_dir() {
        from_folder(sim, ask, out)?
    } else {
        simulate_and_write(sim, out, ask)?
    };
    ran.tell(sim.quiet, sim.json, |ran| {
        let place = if !ran.written.is_empty() {
            format!("results: {}", ran.dir.display())
        } else {
            format!(
                "answered from the runs in {}, which is left as it was (--out DIR writes these results)",
                ran.dir.display()
            )
        };
        format!("{}{place}\n", text::decision_text(&ran.report()))
    });
    Ok(ran)
}

/// Answers again from a results folder's `runs.cachesim`: every run's counts
/// as they were simulated, so the answer is the one a new simulation of the
/// same scenario, seed and runs would give.
fn from_folder(sim: &SimOptions, ask: Ask, out: Option<&Path>) -> Result<Ran> {
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
    match out {
        Some(out) => write(simulated, out.to_path_buf(), ask),
        None => Ok(answer(simulated, dir.to_path_buf(), ask)),
    }
}
