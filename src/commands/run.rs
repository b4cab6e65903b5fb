//! `cachesim run`: simulate, write the results folder, print a short summary.

use super::{simulate, SimOptions, Simulated};
use crate::duration;
use crate::engine::Layer;
use crate::error::{Error, Result};
use crate::export::charts::{self, ChartData};
use crate::export::html;
use crate::export::{self, json::THRESHOLDS, Report};
use crate::plan::{percent, Criterion, Plan, DEFAULT_TOLERANCE};
use crate::stats::Results;
use std::path::{Path, PathBuf};

/// Where "the tail" starts: once the mean old share stays under 1 %.
pub const TAIL_THRESHOLD: f64 = 0.01;

pub struct RunOptions {
    pub sim: SimOptions,
    pub out: Option<PathBuf>,
    pub criterion: Criterion,
}

/// The results folder: `--out`, or `output/<scenario name>/`.
pub fn results_dir(out: &Option<PathBuf>, name: &str) -> PathBuf {
    out.clone().unwrap_or_else(|| Path::new("output").join(name))
}

pub fn run(options: &RunOptions) -> Result<(Simulated, Plan, PathBuf)> {
    let scenario = options.sim.load(&[])?;
    let dir = results_dir(&options.out, &scenario.name);
    export::prepare_dir(&dir)?;
    let simulated = simulate(scenario, &options.sim)?;
    let plan = Plan::compute(&simulated.results, options.criterion, simulated.scenario.duration);
    write_results(&simulated, &plan, &dir)?;
    if !options.sim.quiet {
        print!("{}", summary_text(&simulated, &plan, &dir));
    }
    Ok((simulated, plan, dir))
}

/// Every result file of a run, written whole or not at all.
pub fn write_results(simulated: &Simulated, plan: &Plan, dir: &Path) -> Result<()> {
    let report = Report {
        scenario: &simulated.scenario,
        results: &simulated.results,
        wall_time_s: simulated.wall_time_s,
        plan: plan.clone(),
    };
    let summary = export::json::summary(&report);
    let mut files = vec![
        (
            "timeseries.csv".to_string(),
            export::timeseries::timeseries_csv(&report),
        ),
        ("summary.json".to_string(), export::json::pretty(&summary)),
    ];
    if simulated.scenario.record.load_balanced() {
        files.push((
            "addresses.csv".to_string(),
            export::timeseries::addresses_csv(&report),
        ));
    }
    let data = ChartData::from_report(&report);
    let charts =
        charts::render_all(&data).map_err(|e| Error::Internal(format!("cannot draw the charts: {e}")))?;
    let mut text = simulated.scenario.text.clone();
    for o in &simulated.scenario.overrides {
        text.push_str(&format!("\n# --set {o}"));
    }
    files.push((
        "report.html".to_string(),
        html::report_html(&data, &summary, &text, &charts),
    ));
    files.extend(charts);
    export::write_all(dir, &files)
}

/// What `run` prints: the figures an SRE looks for first.
pub fn summary_text(simulated: &Simulated, plan: &Plan, dir: &Path) -> String {
    let s = &simulated.scenario;
    let r = &simulated.results;
    let mut out = String::new();
    out.push_str(&format!(
        "{}: {:.0} devices, {} runs, {} after the change (TTL {})\n",
        s.name,
        r.devices_mean,
        r.runs,
        duration::human(s.duration),
        duration::human(s.record.versions.last().map_or(0, |v| v.ttl)),
    ));
    out.push_str(&format!(
        "simulated {} requests ({} after the change) in {:.2} s: {:.3e} requests/s\n",
        r.simulated_total,
        r.requests_total,
        simulated.wall_time_s,
        r.simulated_total as f64 / simulated.wall_time_s.max(1e-9)
    ));
    out.push_str("old share stays under\n");
    for (_, threshold) in THRESHOLDS {
        let line = match Results::settle_estimate(&r.settle_times(threshold)) {
            Some(e) => format!(
                "  {:>7} after {} (95 % CI {} to {})\n",
                percent(threshold),
                duration::human((e.mean * 1000.0) as i64),
                duration::human((e.lo.max(0.0) * 1000.0) as i64),
                duration::human((e.hi * 1000.0) as i64)
            ),
            None => format!(
                "  {:>7} not within the horizon in every run\n",
                percent(threshold)
            ),
        };
        out.push_str(&line);
    }
    if let Some((from, parts)) = r.tail_blame(TAIL_THRESHOLD) {
        let mut blame: Vec<(Layer, f64)> = Layer::ALL
            .iter()
            .map(|l| (*l, parts[*l as usize]))
            .filter(|(_, v)| *v > 0.0)
            .collect();
        blame.sort_by(|a, b| b.1.total_cmp(&a.1));
        let text: Vec<String> = blame
            .iter()
            .map(|(l, v)| format!("{} {}", l.name(), percent(*v)))
            .collect();
        out.push_str(&format!(
            "the tail (from {}, under {}) is held at: {}\n",
            duration::human(from),
            percent(TAIL_THRESHOLD),
            text.join(", ")
        ));
    }
    out.push_str(&format!("{}\n", plan.sentence()));
    out.push_str(&format!("results: {}\n", dir.display()));
    out
}

/// The tolerance `run` records in summary.json when none is given.
pub fn default_criterion() -> Criterion {
    Criterion::Tolerance(DEFAULT_TOLERANCE)
}
