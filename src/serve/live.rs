//! The live view of a migration in progress: the old and new servers' logs
//! followed as they grow, counted as `observe` counts them, drawn against
//! the band the scenario predicts; the keys named with `--free` refitted
//! every few minutes, and the projected time the old server can go, with
//! its interval and how much of it is still the model's extrapolation.

use super::base::Base;
use super::follow::Follower;
use crate::commands::fit::observed_against;
use crate::commands::observe::{self, ObserveOptions};
use crate::commands::run::{answer, Ask};
use crate::duration::{human, Millis};
use crate::error::{Error, Result};
use crate::export::charts;
use crate::observe::{Curve, Observed, Rules, Source};
use crate::scenario::Override;
use crate::simulation::{simulate, SimOptions, STOP};
use crate::stats::Results;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How often the logs are read.
const POLL: Duration = Duration::from_millis(500);

/// Buckets in a row outside the band before the page says the curve left it.
const OUTSIDE_IN_A_ROW: usize = 3;

/// What `serve --watch-…` was given.
pub struct WatchOptions {
    /// The logs, the change and the bucket, as `observe` takes them.
    pub logs: ObserveOptions,
    /// Keys to refit, as `fit --free` takes them.
    pub free: Vec<String>,
    pub refit_every: Millis,
}

/// The projection: when the old server can go, by the latest fit (or the
/// scenario as given, without `--free`).
#[derive(Clone, Debug)]
struct Projection {
    /// The answer and its range (earliest, latest); `None`: not within the horizon.
    at_fitted: Option<Millis>,
    range: (Option<Millis>, Option<Millis>),
    /// How far the logs reached when it was made.
    logs_end: Millis,
    lines: Vec<String>,
    /// Each freed key: value and its 95 % interval, in words.
    keys: Vec<String>,
    refitted: bool,
}

#[derive(Default)]
struct State {
    observed: Observed,
    /// Increases with every change shown.
    version: u64,
    /// The scenario simulated at the logs' bucket: the predicted band.
    predicted: Option<Arc<Results>>,
    projection: Option<Projection>,
    /// Why the last refit gave no projection.
    refit_failed: Option<String>,
    refitting: bool,
    /// The page's JSON for `version`.
    shown: Option<(u64, Arc<String>)>,
}

/// The live view's state, shared by the threads that follow the logs,
/// refit and answer the page.
pub struct Live {
    state: Mutex<State>,
    changed: Condvar,
    name: String,
}

impl Live {
    /// Checks the options as `observe` and `fit` would, opens the logs, and
    /// starts following them and refitting.
    pub fn start(options: WatchOptions, sim: &SimOptions, base: &Base) -> Result<Arc<Live>> {
        let change_ms = observe::checked(&options.logs)?;
        if sim.scenario.is_dir() {
            return Err(Error::Usage(format!(
                "{}: the live view refits a scenario file; give the scenario file, not a results folder",
                sim.scenario.display()
            )));
        }
        if options.refit_every <= 0 {
            return Err(Error::Usage("--refit-every must be longer than 0".into()));
        }
        let table = crate::scenario::table_with(&base.text, &base.overrides)?;
        for free in &options.free {
            crate::fit::free::FreeKey::parse(free, &table)?;
        }
        let logs = &options.logs;
        let mut followers = Vec::new();
        for (path, source) in logs.logs() {
            let follower = Follower::new(path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            followers.push((follower, source, path.clone()));
        }
        let live = Arc::new(Live {
            state: Mutex::new(State {
                observed: Observed::new(logs.bucket),
                ..State::default()
            }),
            changed: Condvar::new(),
            name: base.scenario.name.clone(),
        });
        let rules = Rules {
            change_ms,
            host: logs.host.clone(),
            time_field: logs.time_field.clone(),
            old_address: logs.old_address.clone(),
        };
        let quiet = SimOptions {
            quiet: true,
            ..sim.clone()
        };
        let bucket = logs.bucket;
        {
            let (live, quiet) = (live.clone(), quiet.clone());
            std::thread::spawn(move || live.predict(&quiet, bucket));
        }
        {
            let live = live.clone();
            std::thread::spawn(move || live.follow(followers, &rules));
        }
        {
            let live = live.clone();
            let every = Duration::from_millis(options.refit_every as u64);
            std::thread::spawn(move || live.refit_loop(&quiet, &options.free, every));
        }
        Ok(live)
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        let mut state = self.state.lock().expect("not poisoned");
        change(&mut state);
        state.version += 1;
        self.changed.notify_all();
    }

    /// The scenario as given, simulated at the logs' bucket.
    fn predict(&self, sim: &SimOptions, bucket: Millis) {
        let predicted = Override::parse(&format!("simulation.bucket={bucket}ms"))
            .map_err(Error::from)
            .and_then(|o| sim.load(&[o]))
            .and_then(|s| simulate(s, sim));
        match predicted {
            Ok(simulated) => self.update(|s| s.predicted = Some(Arc::new(simulated.results))),
            Err(e) => {
                self.update(|s| s.refit_failed = Some(format!("the scenario cannot be simulated: {e}")))
            }
        }
    }

    /// Reads what the logs add, for as long as the server runs.
    fn follow(&self, mut followers: Vec<(Follower, Source, PathBuf)>, rules: &Rules) {
        while !STOP.load(Ordering::Relaxed) {
            let mut read = Vec::new();
            for (follower, source, path) in &mut followers {
                match follower.poll() {
                    Ok(lines) => read.extend(lines.into_iter().map(|l| (l, *source, path.clone()))),
                    Err(e) => eprintln!("cachesim serve: cannot read {}: {e}", path.display()),
                }
            }
            if !read.is_empty() {
                self.update(|s| {
                    for (line, source, path) in &read {
                        use crate::observe::Read;
                        if let Read::Bad | Read::Hostless = s.observed.read_line(line, *source, rules) {
                            s.observed.bad(&path.display().to_string(), 0);
                        }
                    }
                });
            }
            std::thread::sleep(POLL);
        }
    }

    /// Refits every `every` while the logs grow.
    fn refit_loop(&self, sim: &SimOptions, free: &[String], every: Duration) {
        let mut fitted_at_version = None;
        let mut last = Instant::now() - every;
        while !STOP.load(Ordering::Relaxed) {
            std::thread::sleep(POLL);
            let (curve, version, ready) = {
                let s = self.state.lock().expect("not poisoned");
                (
                    s.observed.curve(),
                    s.observed.requests.iter().sum::<u64>(),
                    s.predicted.is_some(),
                )
            };
            if !ready
                || curve.requests.len() < 2
                || last.elapsed() < every
                || fitted_at_version == Some(version)
            {
                continue;
            }
            last = Instant::now();
            fitted_at_version = Some(version);
            self.update(|s| s.refitting = true);
            let projection = project(sim, curve, free);
            self.update(|s| {
                s.refitting = false;
                match projection {
                    Ok(p) => {
                        s.projection = Some(p);
                        s.refit_failed = None;
                    }
                    Err(e) => s.refit_failed = Some(e.to_string()),
                }
            });
        }
    }

    /// The page's JSON, drawn once per change.
    pub fn shown(&self) -> Arc<String> {
        let mut s = self.state.lock().expect("not poisoned");
        if let Some((version, json)) = &s.shown {
            if *version == s.version {
                return json.clone();
            }
        }
        let json = Arc::new(snapshot(&s, &self.name).to_string());
        s.shown = Some((s.version, json.clone()));
        json
    }

    /// Waits until there is something newer than `seen` (or `timeout`
    /// passes); the version now.
    pub fn wait(&self, seen: u64, timeout: Duration) -> u64 {
        let s = self.state.lock().expect("not poisoned");
        let (s, _) = self
            .changed
            .wait_timeout_while(s, timeout, |s| s.version == seen)
            .expect("not poisoned");
        s.version
    }
}

/// The end of the last bucket whose observed old share is above the
/// plan's tolerance beyond chance (a one-sided 5 % Poisson test at the
/// tolerance): the logs themselves say the old server cannot go before it.
fn still_old_until(curve: &Curve, tolerance: f64) -> Option<Millis> {
    use statrs::distribution::{DiscreteCDF, Poisson};
    (0..curve.requests.len()).rev().find_map(|b| {
        let (n, k) = (curve.requests[b], curve.old[b]);
        let expected = Poisson::new((n * tolerance).max(1e-12)).ok()?;
        // P(K ≥ k) at the tolerance.
        let chance = if k >= 1.0 { expected.sf(k as u64 - 1) } else { 1.0 };
        (chance < 0.05).then_some((b as Millis + 1) * curve.bucket_ms)
    })
}

/// The fit of `free` to `curve` and its plan, no earlier than the logs
/// allow; without `--free`, the scenario's own plan.
fn project(sim: &SimOptions, curve: Curve, free: &[String]) -> Result<Projection> {
    let floor = still_old_until(&curve, crate::plan::DEFAULT_TOLERANCE);
    let mut projection = projected(sim, curve, free)?;
    if let Some(floor) = floor {
        let later = |t: Option<Millis>| t.map(|t| t.max(floor));
        if projection.range.0.is_some_and(|t| t < floor) {
            projection.lines.push(format!(
                "The logs still show old requests above the tolerance until {} after the change (beyond chance), \
                 so the projection starts there.",
                human(floor)
            ));
        }
        projection.range = (later(projection.range.0), later(projection.range.1));
        projection.at_fitted = later(projection.at_fitted);
    }
    Ok(projection)
}

fn projected(sim: &SimOptions, curve: Curve, free: &[String]) -> Result<Projection> {
    let logs_end = curve.bucket_ms * curve.requests.len() as Millis;
    if free.is_empty() {
        let simulated = simulate(sim.load(&[])?, sim)?;
        let ran = answer(simulated, PathBuf::new(), Ask::default());
        let settle = &ran.plan.settle;
        return Ok(Projection {
            at_fitted: ran.decision.retire_after,
            range: (
                settle.interval.and_then(|(lo, _)| lo).or(settle.estimate),
                ran.decision.retire_after,
            ),
            logs_end,
            lines: ran.decision.lines.clone(),
            keys: Vec::new(),
            refitted: false,
        });
    }
    let fitted = crate::fit::fit(sim, curve, free)?;
    let keys = fitted
        .keys
        .iter()
        .map(|k| {
            format!(
                "{} = {} (95 % interval {} to {})",
                k.key.key,
                k.key.human(k.value),
                k.key.human(k.lo),
                k.key.human(k.hi)
            )
        })
        .collect();
    let mut lines = fitted.warnings.clone();
    lines.splice(0..0, fitted.plan.lines.iter().cloned());
    Ok(Projection {
        at_fitted: fitted.plan.decision.retire_after,
        range: fitted.plan.range,
        logs_end,
        lines,
        keys,
        refitted: true,
    })
}

/// Where the observed curve stands against the predicted band: the last
/// buckets all above it or all below it, or within it.
fn band_status(residuals: &[Option<f64>], bucket_ms: Millis) -> (&'static str, String) {
    let last: Vec<f64> = residuals
        .iter()
        .rev()
        .flatten()
        .take(OUTSIDE_IN_A_ROW)
        .copied()
        .collect();
    let span = human(bucket_ms * OUTSIDE_IN_A_ROW as Millis);
    if last.len() == OUTSIDE_IN_A_ROW && last.iter().all(|z| *z > 1.96) {
        return (
            "above",
            format!(
                "The observed old share has been above the predicted band for the last {span}: more requests \
                 still reach the old server than the scenario predicts, so it may be needed longer."
            ),
        );
    }
    if last.len() == OUTSIDE_IN_A_ROW && last.iter().all(|z| *z < -1.96) {
        return (
            "below",
            format!(
                "The observed old share has been below the predicted band for the last {span}: the move goes \
                 faster than the scenario predicts."
            ),
        );
    }
    (
        "inside",
        "The observed old share is within the predicted band.".to_string(),
    )
}

/// The live view as the page shows it.
fn snapshot(s: &State, name: &str) -> Value {
    let o = &s.observed;
    let requests: u64 = o.requests.iter().sum();
    let old: u64 = o.old.iter().sum();
    let mut shown = json!({
        "version": s.version,
        "requests": requests,
        "old_requests": old,
        "before_change": o.before_change,
        "bad_lines": o.bad_lines,
        "logs_end_s": o.last_ms.map(|ms| ms as f64 / 1000.0),
        "logs_end": o.last_ms.map(human),
        "refitting": s.refitting,
        "refit_failed": s.refit_failed,
        "predicted": s.predicted.is_some(),
    });
    let mut curve = o.curve();
    if let (Some(predicted), true) = (&s.predicted, !curve.requests.is_empty()) {
        let buckets = curve.requests.len().min(predicted.old_share.len());
        curve.requests.truncate(buckets);
        curve.old.truncate(buckets);
        let series = observed_against(
            format!("{name}: observed against predicted"),
            "predicted",
            &curve,
            predicted,
        );
        let residuals: Vec<Option<f64>> = series.rows.iter().map(|r| r.residual).collect();
        let (status, text) = band_status(&residuals, curve.bucket_ms);
        shown["band"] = json!({"status": status, "text": text});
        if let Ok([linear, log]) = charts::fit_svgs(&series) {
            shown["charts"] = json!({
                "live": String::from_utf8_lossy(&linear),
                "live_log": String::from_utf8_lossy(&log),
            });
        }
    }
    if let Some(p) = &s.projection {
        let seconds = |ms: Option<Millis>| ms.map(|ms| ms as f64 / 1000.0);
        let latest = p.range.1;
        let extrapolated = latest.map(|go| ((go - p.logs_end) as f64 / go.max(1) as f64).clamp(0.0, 1.0));
        shown["projection"] = json!({
            "retire_after_s": seconds(latest),
            "earliest_s": seconds(p.range.0),
            "at_fitted_s": seconds(p.at_fitted),
            "logs_end_s": p.logs_end as f64 / 1000.0,
            "extrapolated_share": extrapolated,
            "refitted": p.refitted,
            "keys": p.keys,
            "lines": p.lines,
            "text": projection_text(p, extrapolated),
        });
    }
    shown
}

/// The projection in one sentence.
fn projection_text(p: &Projection, extrapolated: Option<f64>) -> String {
    let by = if p.refitted {
        "refitted to the logs so far"
    } else {
        "the scenario as given (no --free keys to refit)"
    };
    match (p.range, extrapolated) {
        ((earliest, Some(latest)), Some(share)) => format!(
            "The old server can go {} after the change (between {} and {}; {by}). The logs cover {} of it: {:.0} % \
             of that wait is still the model's extrapolation.",
            human(latest),
            earliest.map_or("?".to_string(), human),
            human(latest),
            human(p.logs_end.min(latest)),
            share * 100.0
        ),
        _ => format!(
            "Not within the simulated horizon ({by}): the old server cannot go yet by this projection; the logs \
             cover {} after the change.",
            human(p.logs_end)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_band_is_left_only_by_the_last_buckets_all_on_one_side() {
        let minute = 60_000;
        let above = [Some(0.0), Some(2.5), None, Some(3.0), Some(2.0)];
        assert_eq!(
            band_status(&above, minute).0,
            "above",
            "buckets with no request skipped"
        );
        assert!(band_status(&above, minute).1.contains("last 3 min"));
        assert_eq!(
            band_status(&[Some(-2.0), Some(-2.1), Some(-5.0)], minute).0,
            "below"
        );
        assert_eq!(
            band_status(&[Some(3.0), Some(-3.0), Some(3.0)], minute).0,
            "inside"
        );
        assert_eq!(
            band_status(&[Some(3.0), Some(3.0)], minute).0,
            "inside",
            "two are not enough"
        );
    }

    #[test]
    fn the_logs_rule_out_a_time_while_their_old_share_is_above_the_tolerance_beyond_chance() {
        // 10,000 requests a bucket at a tolerance of 0.01 % expect one old
        // request: 4 are beyond chance (P = 1.9 %), 3 are not (P = 8 %).
        let curve = |old: &[f64]| Curve {
            bucket_ms: 60_000,
            requests: vec![10_000.0; old.len()],
            old: old.to_vec(),
        };
        assert_eq!(
            still_old_until(&curve(&[500.0, 4.0, 3.0, 0.0]), 1e-4),
            Some(120_000)
        );
        assert_eq!(still_old_until(&curve(&[3.0, 1.0]), 1e-4), None);
    }
}
