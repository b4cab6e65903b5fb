//! `cachesim fit SCENARIO --observed observed.csv --free KEY=LO..HI ...`:
//! fit, then write fit.json, fitted.toml and the chart, and say the values,
//! their intervals and the plan for the fitted scenario.

use super::SimOptions;
use crate::error::{Error, Result};
use crate::export::charts::{self, FitRow, FitSeries};
use crate::export::write_all;
use crate::fit::{self, likelihood, Fitted};
use crate::plan::decision::{Decision, Evidence};
use crate::plan::{Criterion, Plan, Traffic};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

pub struct FitOptions {
    pub sim: SimOptions,
    pub observed: PathBuf,
    pub free: Vec<String>,
    pub out: Option<PathBuf>,
}

pub fn run_fit(options: &FitOptions) -> Result<Fitted> {
    let bytes = std::fs::read(&options.observed).map_err(|source| Error::Read {
        path: options.observed.clone(),
        source,
    })?;
    let curve = crate::observe::read_curve(&bytes)
        .map_err(|e| Error::Usage(format!("{}: {e}", options.observed.display())))?;
    let started = std::time::Instant::now();
    let fitted = fit::fit(&options.sim, curve, &options.free)?;
    let dir = options
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&fitted.scenario.name).join("fit"));
    let (s, r) = (&fitted.scenario, &fitted.results);
    let plan = Plan::compute(
        r,
        Criterion::default(),
        Traffic::of(s.traffic, r, s.duration),
        s.duration,
    );
    let decision = Decision::of(&Evidence {
        scenario: s,
        results: r,
        tallies: &[],
        plan: &plan,
    });
    write_all(&dir, &files(&fitted, options)?)?;
    if !options.sim.quiet {
        print!(
            "{}",
            summary(&fitted, &decision, started.elapsed().as_secs_f64(), &dir)
        );
    }
    Ok(fitted)
}

fn files(fitted: &Fitted, options: &FitOptions) -> Result<Vec<(String, Vec<u8>)>> {
    let mut free = Map::new();
    for k in &fitted.keys {
        free.insert(
            k.key.key.clone(),
            json!({
                "value": k.key.json_value(k.value),
                "lo": k.key.json_value(k.lo),
                "hi": k.key.json_value(k.hi),
                "bounded": [k.bounded.0, k.bounded.1],
            }),
        );
    }
    let fit_json = json!({
        "free": Value::Object(free),
        "loss": fitted.loss,
        "evaluations": fitted.evaluations,
        "dispersion": fitted.dispersion,
        "warnings": fitted.warnings,
        "observed": options.observed.display().to_string(),
        "scenario": fitted.scenario.file,
    });
    let mut json_bytes = serde_json::to_vec_pretty(&fit_json).expect("JSON serializes");
    json_bytes.push(b'\n');
    let table = crate::scenario::table_with(&fitted.scenario.text, &fitted.overrides).map_err(Error::from)?;
    let mut toml_text = format!(
        "# Fitted by cachesim fit to {} from {}:\n",
        options.observed.display(),
        fitted.scenario.file
    );
    for k in &fitted.keys {
        toml_text.push_str(&format!(
            "#   {} = {} (95 % interval {} to {})\n",
            k.key.key,
            k.key.toml_value(k.value),
            k.key.human(k.lo),
            k.key.human(k.hi)
        ));
    }
    toml_text.push_str(&toml::to_string(&table).map_err(|e| Error::Internal(e.to_string()))?);
    let buckets = likelihood::per_bucket(&fitted.curve, &fitted.results);
    let bucket_s = fitted.curve.bucket_ms as f64 / 1000.0;
    let series = FitSeries {
        title: format!("{}: observed against fitted", fitted.scenario.name),
        bucket_s,
        rows: buckets
            .iter()
            .enumerate()
            .map(|(b, &(p, sd, z))| {
                let (n, k) = (fitted.curve.requests[b], fitted.curve.old[b]);
                FitRow {
                    time_s: b as f64 * bucket_s,
                    observed: (n > 0.0).then(|| k / n),
                    mean: p,
                    band_lo: (p - 1.96 * sd).max(0.0),
                    band_hi: (p + 1.96 * sd).min(1.0),
                    residual: z,
                }
            })
            .collect(),
    };
    let mut files = vec![
        ("fit.json".to_string(), json_bytes),
        ("fitted.toml".to_string(), toml_text.into_bytes()),
    ];
    files.extend(
        charts::render_fit(&series).map_err(|e| Error::Internal(format!("cannot draw the fit: {e}")))?,
    );
    Ok(files)
}

fn summary(fitted: &Fitted, decision: &Decision, seconds: f64, dir: &Path) -> String {
    let mut out = format!(
        "fitted {} free key(s) in {} evaluations ({:.0} s); 95 % intervals: the wider of the profile likelihood's \
         (widened {:.2} times for the buckets' correlation) and a parametric bootstrap's\n",
        fitted.keys.len(),
        fitted.evaluations,
        seconds,
        fitted.dispersion.sqrt()
    );
    for k in &fitted.keys {
        let end = |v: f64, bounded: bool| {
            if bounded {
                k.key.human(v)
            } else {
                format!("{} (the range's end)", k.key.human(v))
            }
        };
        out.push_str(&format!(
            "  {} = {} (95 % interval {} to {})\n",
            k.key.key,
            k.key.human(k.value),
            end(k.lo, k.bounded.0),
            end(k.hi, k.bounded.1)
        ));
    }
    for w in &fitted.warnings {
        out.push_str(&format!("Warning: {w}\n"));
    }
    out.push_str(&format!(
        "Fitted to your last migration: {}\n",
        decision.lines.first().map_or("", String::as_str)
    ));
    out.push_str(&format!("results: {}\n", dir.display()));
    out
}
