//! `cachesim fit`: the values of free keys that make the simulated curve
//! best match an observed one, each with a 95 % profile-likelihood interval.
//! Every candidate is simulated with the same seeds (common random
//! numbers), so the objective is smooth; the likelihood is on the counts,
//! with the runs' own variance and correlation (see [`likelihood`]).

pub mod bootstrap;
pub mod fitted_file;
pub mod free;

pub use free::FreeKeyError;
pub mod likelihood;
pub mod plan;
pub mod search;

use crate::engine::{self, Model};
use crate::error::{Error, Result};
use crate::observe::Curve;
use crate::scenario::{self, Override, Scenario};
use crate::simulation::{SimOptions, STOP};
use crate::stats::Results;
use free::FreeKey;
use std::collections::HashMap;

/// χ² with one degree of freedom at 95 %: the profile's cut.
const CHI2_95: f64 = 3.841_458_820_694_124;

/// Profile points across each key's range (plus the best point).
const PROFILE_POINTS: usize = 13;

/// One key's answer.
#[derive(Clone, Debug)]
pub struct KeyFit {
    pub key: FreeKey,
    pub value: f64,
    /// The 95 % interval; an end the data do not bound is the range's end,
    /// and `bounded` says so.
    pub lo: f64,
    pub hi: f64,
    pub bounded: (bool, bool),
}

/// What a fit found.
pub struct Fitted {
    pub keys: Vec<KeyFit>,
    pub loss: f64,
    pub evaluations: usize,
    /// How much the buckets' correlation widens the intervals.
    pub dispersion: f64,
    pub warnings: Vec<String>,
    /// The scenario with the fitted values, and its simulated results.
    pub scenario: Scenario,
    pub results: Results,
    /// Overrides that make the fitted scenario from the file: the base
    /// ones, then the fitted values.
    pub overrides: Vec<Override>,
    /// The overrides fitted.toml writes into the user's file: their own
    /// `--set` values and the fitted ones (not the logs' bucket and length).
    pub file_overrides: Vec<Override>,
    pub curve: Curve,
    pub lack_of_fit: likelihood::LackOfFit,
    /// The plan at the fitted values, past the logs' end, with its range.
    pub plan: plan::FitPlan,
}

/// The fitted values as overrides (with the shares they move).
fn fitted_only(free: &[FreeKey], keys: &[KeyFit], base: &Scenario) -> Vec<Override> {
    let values: Vec<f64> = keys.iter().map(|k| k.value).collect();
    free::overrides(free, &values, base).unwrap_or_default()
}

/// What every simulation of a fit starts from: the scenario covering the
/// observed curve, the overrides that made it, and the threads.
pub struct Context {
    pub base: Scenario,
    pub base_overrides: Vec<Override>,
    pub pool: rayon::ThreadPool,
    /// Candidates differ in a pool or two: the other pools' counts are
    /// taken from the simulation before (the same bytes).
    pub reuse: engine::Reuse,
}

impl Context {
    /// The base scenario's file with `overrides`, simulated.
    pub fn simulate(&self, overrides: &[Override]) -> Result<(Scenario, Results, Vec<engine::Tally>)> {
        let s = scenario::parse(&self.base.text, &self.base.file, overrides)?;
        let runs = s.runs;
        let model = Model::new(s);
        let tallies = self
            .pool
            .install(|| engine::simulate_reusing(&model, runs, &STOP, &self.reuse, &|_| {}))
            .map_err(|_| Error::Interrupted)?;
        let results = crate::stats::Results::of(&model, &tallies);
        Ok((model.scenario, results, tallies))
    }
}

/// Simulates candidates, remembering each one's loss.
struct Objective<'a> {
    ctx: &'a Context,
    free: &'a [FreeKey],
    curve: &'a Curve,
    /// Every candidate's loss and results (the bootstrap fits again along
    /// the profiles from them).
    seen: HashMap<Vec<u64>, (f64, Option<std::sync::Arc<Results>>)>,
    first_error: Option<Error>,
}

impl Objective<'_> {
    fn overrides(&self, u: &[f64]) -> Option<Vec<Override>> {
        let values: Vec<f64> = self.free.iter().zip(u).map(|(k, &u)| k.at(u)).collect();
        let fitted = free::overrides(self.free, &values, &self.ctx.base)?;
        Some([&self.ctx.base_overrides[..], &fitted[..]].concat())
    }

    /// The scenario and results at `u`, or why there are none.
    fn simulate(&self, u: &[f64]) -> Result<(Scenario, Results, Vec<Override>)> {
        let overrides = self
            .overrides(u)
            .ok_or_else(|| Error::Usage("the freed shares add up to more than 1".into()))?;
        let (scenario, results, _) = self.ctx.simulate(&overrides)?;
        Ok((scenario, results, overrides))
    }

    fn loss(&mut self, u: &[f64]) -> f64 {
        let key: Vec<u64> = u.iter().map(|x| x.to_bits()).collect();
        if let Some((v, _)) = self.seen.get(&key) {
            return *v;
        }
        let (v, results) = match self.simulate(u) {
            Ok((_, results, _)) => (
                likelihood::nll(self.curve, &results),
                Some(std::sync::Arc::new(results)),
            ),
            Err(e) => {
                self.first_error.get_or_insert(e);
                (f64::INFINITY, None)
            }
        };
        self.seen.insert(key, (v, results));
        v
    }

    /// The results simulated at `u`, if it was.
    fn results_at(&self, u: &[f64]) -> Option<std::sync::Arc<Results>> {
        let key: Vec<u64> = u.iter().map(|x| x.to_bits()).collect();
        self.seen.get(&key).and_then(|(_, r)| r.clone())
    }
}

/// The overrides that make the simulation cover the observed curve: its
/// bucket and its length.
fn covering(curve: &Curve) -> Result<Vec<Override>> {
    let length = curve.bucket_ms * curve.requests.len() as i64;
    ["simulation.bucket", "simulation.duration"]
        .iter()
        .zip([curve.bucket_ms, length])
        .map(|(key, ms)| Override::parse(&format!("{key}={ms}ms")).map_err(Error::from))
        .collect()
}

pub fn fit(sim: &SimOptions, curve: Curve, free_args: &[String]) -> Result<Fitted> {
    if free_args.is_empty() {
        return Err(Error::Usage("fit needs at least one --free KEY=LO..HI".into()));
    }
    let cover = covering(&curve)?;
    let file_horizon = sim.load(&[])?.duration;
    let user_overrides = sim.overrides()?;
    let base = sim.load(&cover)?;
    let base_overrides: Vec<Override> = [user_overrides.clone(), cover].concat();
    let table = scenario::table_with(&base.text, &base_overrides).map_err(Error::from)?;
    let free: Vec<FreeKey> = free_args
        .iter()
        .map(|a| FreeKey::parse(a, &table).map_err(Error::from))
        .collect::<Result<_>>()?;
    let ctx = Context {
        base,
        base_overrides,
        pool: sim.thread_pool()?,
        reuse: engine::Reuse::default(),
    };
    let mut objective = Objective {
        ctx: &ctx,
        free: &free,
        curve: &curve,
        seen: HashMap::new(),
        first_error: None,
    };
    let dims = free.len();
    let (best, loss) = search::minimize(&mut |u| objective.loss(u), dims, None);
    if STOP.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Error::Interrupted);
    }
    if !loss.is_finite() {
        return Err(Error::Usage(format!(
            "no value in the ranges gives a scenario cachesim can simulate: {}",
            objective
                .first_error
                .as_ref()
                .map(Error::to_string)
                .unwrap_or_default()
        )));
    }
    let (scenario, results, overrides) = objective.simulate(&best)?;
    let dispersion = likelihood::dispersion(&curve, &results);
    let pseudo = pseudo_curves(&objective, &best, &curve)?;
    let level = loss + 0.5 * CHI2_95 * dispersion;
    let (keys, mut warnings) = key_fits(&mut objective, &free, &best, &pseudo, level, scenario.runs);
    warnings.dedup();
    let lack_of_fit = likelihood::LackOfFit::of(&curve, &results, dispersion, dims);
    if lack_of_fit.rejects() {
        warnings.push(lack_of_fit.warning());
    }
    let plan = plan::plan(&ctx, &keys, &overrides, &curve, file_horizon)?;
    warnings.extend(plan.warnings.iter().cloned());
    let file_overrides = [user_overrides, fitted_only(&free, &keys, &ctx.base)].concat();
    Ok(Fitted {
        lack_of_fit,
        plan,
        file_overrides,
        keys,
        loss,
        evaluations: objective.seen.len(),
        dispersion,
        warnings,
        scenario,
        results,
        overrides,
        curve,
    })
}

/// Each key's value and interval (its profile, widened to the bootstrap's),
/// and what the profiles say is wrong: flat, unbounded, trading off.
fn key_fits(
    objective: &mut Objective,
    free: &[FreeKey],
    best: &[f64],
    pseudo: &[Curve],
    level: f64,
    runs: u32,
) -> (Vec<KeyFit>, Vec<String>) {
    let dims = free.len();
    let mut keys = Vec::new();
    let mut warnings = Vec::new();
    for (i, key) in free.iter().enumerate() {
        let mut grid: Vec<f64> = (0..PROFILE_POINTS)
            .map(|j| j as f64 / (PROFILE_POINTS - 1) as f64)
            .collect();
        grid.push(best[i]);
        grid.sort_by(f64::total_cmp);
        grid.dedup();
        let points = search::profile(&mut |u| objective.loss(u), dims, i, best, &grid);
        let (lo, hi) = search::crossings(&points, best[i], level);
        let (lo, hi) = widened(objective, key, &points, pseudo, best[i], (lo, hi), runs);
        let range = format!("{}..{}", key.human(key.lo), key.human(key.hi));
        match (lo, hi) {
            (None, None) => warnings.push(format!(
                "cannot tell {}: the observed curve does not pin it down within {range} (its profile is flat)",
                key.key
            )),
            (None, Some(_)) => warnings.push(format!("{}: not bounded below within {range}", key.key)),
            (Some(_), None) => warnings.push(format!("{}: not bounded above within {range}", key.key)),
            _ => {}
        }
        trade_offs(free, i, &points, level, &mut warnings);
        keys.push(KeyFit {
            key: key.clone(),
            value: key.at(best[i]),
            lo: key.at(lo.unwrap_or(0.0)),
            hi: key.at(hi.unwrap_or(1.0)),
            bounded: (lo.is_some(), hi.is_some()),
        });
    }
    (keys, warnings)
}

/// Curves a population like the fitted model's would show: the best
/// candidate simulated again with other seeds (new cache phases), each run
/// one curve.
fn pseudo_curves(objective: &Objective, best: &[f64], curve: &Curve) -> Result<Vec<Curve>> {
    let mut overrides = objective
        .overrides(best)
        .ok_or(Error::Internal("the best point has no scenario".into()))?;
    let seed = objective.ctx.base.seed ^ 0x5eed_b007;
    for (key, value) in [
        ("simulation.seed", seed),
        ("simulation.runs", u64::from(bootstrap::CURVES)),
    ] {
        overrides.push(Override::parse(&format!("{key}={value}")).map_err(Error::from)?);
    }
    let (_, results, _) = objective.ctx.simulate(&overrides)?;
    Ok(bootstrap::pseudo_curves(curve, &results, seed))
}

/// The profile interval (`lo`, `hi` in unit coordinates, `None` where
/// unbounded), widened to the bootstrap's: the pseudo-curves fitted again
/// along the profile give the estimator's spread, made wider still by the
/// Monte Carlo error of a model mean over `runs` runs; the interval is
/// the estimate ± t·spread where that is wider.
fn widened(
    objective: &Objective,
    key: &FreeKey,
    points: &[(f64, f64, Vec<f64>)],
    pseudo: &[Curve],
    at: f64,
    (lo, hi): (Option<f64>, Option<f64>),
    runs: u32,
) -> (Option<f64>, Option<f64>) {
    let mut path: Vec<(f64, std::sync::Arc<Results>)> = points
        .iter()
        .filter_map(|(u, _, point)| Some((*u, objective.results_at(point)?)))
        .collect();
    path.sort_by(|a, b| a.0.total_cmp(&b.0));
    let path: Vec<(f64, &Results)> = path.iter().map(|(u, r)| (*u, r.as_ref())).collect();
    if path.len() < 3 || pseudo.len() < 3 {
        return (lo, hi);
    }
    let estimates: Vec<f64> = pseudo
        .iter()
        .map(|c| key.at(bootstrap::best_along(c, &path)))
        .collect();
    let t = crate::stats::t_975(pseudo.len() as u64 - 1);
    let half = t * bootstrap::spread(&estimates) * (1.0 + 1.0 / f64::from(runs.max(1))).sqrt();
    // Back to unit coordinates.
    let half_u = half / (key.hi - key.lo);
    let lo = lo.map(|l| l.min(at - half_u)).filter(|l| *l > 0.0);
    let hi = hi.map(|h| h.max(at + half_u)).filter(|h| *h < 1.0);
    (lo, hi)
}

/// Warns when, inside key `i`'s interval, another key's best value moves
/// across more than half its range: the two trade off against each other.
fn trade_offs(
    free: &[FreeKey],
    i: usize,
    points: &[(f64, f64, Vec<f64>)],
    level: f64,
    warnings: &mut Vec<String>,
) {
    let inside: Vec<&Vec<f64>> = points
        .iter()
        .filter(|(_, v, _)| *v <= level)
        .map(|(_, _, p)| p)
        .collect();
    for j in 0..free.len() {
        if j == i {
            continue;
        }
        let (lo, hi) = inside
            .iter()
            .fold((1.0f64, 0.0f64), |(a, b), p| (a.min(p[j]), b.max(p[j])));
        if hi - lo > 0.5 {
            let (a, b) = if i < j { (i, j) } else { (j, i) };
            warnings.push(format!(
                "{} and {} trade off: the curve fits about as well with more of one and less of the other",
                free[a].key, free[b].key
            ));
        }
    }
}
