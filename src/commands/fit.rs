//! `cachesim fit SCENARIO --observed observed.csv --free KEY=LO..HI ...`:
//! fit, then write fit.json, fitted.toml and the chart, and say the values,
//! their intervals and the plan for the fitted scenario.

use super::SimOptions;
use crate::error::{Error, Result};
use crate::export::charts::{self, FitRow, FitSeries};
use crate::export::write_all;
use crate::fit::{self, fitted_file, likelihood, Fitted};
use crate::observe::Curve;
use crate::stats::Results;
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
    let fit_json = fit_json(&fitted, options);
    let mut files = files(&fitted, options)?;
    let mut json_bytes = serde_json::to_vec_pretty(&fit_json).expect("JSON serializes");
    json_bytes.push(b'\n');
    if options.sim.json {
        print!("{}", String::from_utf8_lossy(&json_bytes));
    }
    files.insert(0, ("fit.json".to_string(), json_bytes));
    write_all(&dir, &files)?;
    if !options.sim.quiet && !options.sim.json {
        print!("{}", summary(&fitted, started.elapsed().as_secs_f64(), &dir));
    }
    Ok(fitted)
}

/// fit.json: the values with their intervals, the checks, and the plan.
fn fit_json(fitted: &Fitted, options: &FitOptions) -> Value {
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
    let p = &fitted.plan;
    let seconds = |ms: Option<i64>| ms.map(|ms| ms as f64 / 1000.0);
    json!({
        "free": Value::Object(free),
        "loss": fitted.loss,
        "evaluations": fitted.evaluations,
        "dispersion": fitted.dispersion,
        "lack_of_fit": fitted.lack_of_fit,
        "warnings": fitted.warnings,
        "decision": p.lines,
        "plan": {
            "retire_after_s": seconds(p.range.1),
            "at_fitted_s": seconds(p.decision.retire_after),
            "earliest_s": seconds(p.range.0),
            "horizon_s": p.horizon as f64 / 1000.0,
            "logs_end_s": p.logs_end as f64 / 1000.0,
            "extrapolated": p.range.1.is_none_or(|go| go > p.logs_end),
        },
        "observed": options.observed.display().to_string(),
        "scenario": fitted.scenario.file,
    })
}

fn files(fitted: &Fitted, options: &FitOptions) -> Result<Vec<(String, Vec<u8>)>> {
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
    let edited = fitted_file::edited(&fitted.scenario.text, &fitted.file_overrides)
        .map_err(|e| Error::Internal(e.to_string()))?;
    toml_text.push_str(&edited);
    let series = observed_against(
        format!("{}: observed against fitted", fitted.scenario.name),
        "fitted model",
        &fitted.curve,
        &fitted.results,
    );
    let mut files = vec![("fitted.toml".to_string(), toml_text.into_bytes())];
    files.extend(
        charts::render_fit(&series).map_err(|e| Error::Internal(format!("cannot draw the fit: {e}")))?,
    );
    Ok(files)
}

/// The observed curve against a model's mean and the band a population
/// like the model's would show with the observed requests, bucket by
/// bucket: the fit's chart, and `serve`'s live view.
pub fn observed_against(title: String, model: &'static str, curve: &Curve, results: &Results) -> FitSeries {
    let bucket_s = curve.bucket_ms as f64 / 1000.0;
    let rows = likelihood::per_bucket(curve, results)
        .iter()
        .enumerate()
        .map(|(b, &(p, sd, z))| {
            let (n, k) = (curve.requests[b], curve.old[b]);
            FitRow {
                time_s: b as f64 * bucket_s,
                observed: (n > 0.0).then(|| k / n),
                mean: p,
                band_lo: (p - 1.96 * sd).max(0.0),
                band_hi: (p + 1.96 * sd).min(1.0),
                residual: z,
            }
        })
        .collect();
    FitSeries {
        title,
        model,
        bucket_s,
        rows,
    }
}

fn summary(fitted: &Fitted, seconds: f64, dir: &Path) -> String {
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
    out.push_str("Fitted to your last migration:\n");
    for line in &fitted.plan.lines {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(&format!("results: {}\n", dir.display()));
    out
}
