//! `cachesim chart DIR`: draw a results folder again without simulating.
//! A run's folder with its runs (`runs.cachesim`) gets every file written
//! again, report.html included, exactly as the run wrote them; an older
//! folder gets its charts from its CSV files; a sweep's folder its chart.

use super::run::{write, Ask};
use crate::error::{Error, Result};
use crate::export::{self, charts, sweep};
use crate::plan::Criterion;
use std::path::Path;

/// Draws `dir` again; returns the files written (nothing else in the
/// folder is touched).
pub fn chart(dir: &Path) -> Result<Vec<String>> {
    let sweep_file = dir.join("sweep.json");
    if sweep_file.is_file() {
        return sweep_chart(dir, &sweep_file);
    }
    let runs = dir.join(export::RUNS_FILE);
    if !runs.is_file() {
        return export::redraw(dir);
    }
    let folder = export::folder::read(dir)?;
    let plan = &folder.summary.plan;
    let criterion = match (plan.max_lost, plan.tolerance) {
        (Some(n), _) => Criterion::MaxLost(n),
        (None, Some(t)) => Criterion::Tolerance(t),
        (None, None) => Criterion::default(),
    };
    let mut simulated = super::merge::merged(&[runs])?;
    simulated.wall_time_s = folder.summary.wall_time_s;
    // A traffic given on the command line when the folder was written is
    // kept; one from the scenario comes back with it.
    let traffic = (plan.traffic_stated && simulated.scenario.traffic.is_none()).then_some(plan.traffic_per_s);
    let ran = write(simulated, dir.to_path_buf(), Ask { criterion, traffic })?;
    let mut names = ran.written;
    names.sort();
    Ok(names)
}

fn sweep_chart(dir: &Path, file: &Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(file).map_err(|source| Error::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let sweep =
        sweep::read_file_json(&bytes).map_err(|e| Error::Usage(format!("{}: {e}", file.display())))?;
    let files = charts::render_sweep(&sweep.scenario, &sweep.keys, &sweep.points, sweep.criterion)
        .map_err(|e| Error::Internal(format!("cannot draw the sweep chart: {e}")))?;
    let names = files.iter().map(|(n, _)| n.clone()).collect();
    export::write_all(dir, &files)?;
    Ok(names)
}
