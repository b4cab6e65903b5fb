//! The plan a fit hands over. The logs rarely last as long as the tail, so
//! the fitted scenario is simulated past their end (as far as the plan
//! needs), and the fit's own uncertainty is carried into the answer: the
//! plan is computed again with each fitted key at either end of its 95 %
//! interval, and the answer is the latest of those plans. Where the answer
//! lies past the logs' end, it is the model's extrapolation, and says so.

use super::{free, Context, KeyFit};
use crate::duration::{self, Millis};
use crate::engine::Tally;
use crate::error::{Error, Result};
use crate::observe::Curve;
use crate::plan::decision::{Decision, Evidence};
use crate::plan::{Criterion, Plan, Traffic};
use crate::scenario::{Override, Scenario};
use crate::stats::Results;

/// How many times a horizon too short for the plan is doubled.
const LONGER: usize = 2;

/// The fitted scenario's plan, its range over the fit's intervals, and
/// what it rests on.
pub struct FitPlan {
    /// The plan and decision at the fitted values.
    pub plan: Plan,
    pub decision: Decision,
    /// The earliest and latest answers over the fitted values and the ends
    /// of each key's interval; `None` for the latest where one of them is
    /// not met within the horizon.
    pub range: (Option<Millis>, Option<Millis>),
    /// How far the plan's simulations reach, and where the logs end.
    pub horizon: Millis,
    pub logs_end: Millis,
    pub warnings: Vec<String>,
    /// The decision lines, the answer with the fit's uncertainty first.
    pub lines: Vec<String>,
}

/// One simulation's plan at `overrides` (the horizon's set after them).
struct Point {
    scenario: Scenario,
    results: Results,
    tallies: Vec<Tally>,
    plan: Plan,
}

fn plan_at(ctx: &Context, overrides: &[Override], horizon: Millis) -> Result<Point> {
    let mut overrides = overrides.to_vec();
    overrides.push(Override::parse(&format!("simulation.duration={horizon}ms")).map_err(Error::from)?);
    let (scenario, results, tallies) = ctx.simulate(&overrides)?;
    let plan = Plan::compute(
        &results,
        Criterion::default(),
        Traffic::of(scenario.traffic, &results, horizon),
        horizon,
    );
    Ok(Point {
        scenario,
        results,
        tallies,
        plan,
    })
}

impl Point {
    /// The decision at this point: its plan, capped by its own latest old answer.
    fn decision(&self) -> Decision {
        Decision::of(&Evidence {
            scenario: &self.scenario,
            results: &self.results,
            tallies: &self.tallies,
            plan: &self.plan,
        })
    }
}

/// The plan for `fitted`, simulated from its file's horizon (or the logs',
/// when longer) and doubled while the criterion is not met.
pub fn plan(
    ctx: &Context,
    keys: &[KeyFit],
    fitted_overrides: &[Override],
    curve: &Curve,
    file_horizon: Millis,
) -> Result<FitPlan> {
    let logs_end = curve.bucket_ms * curve.requests.len() as i64;
    let mut horizon = file_horizon.max(logs_end);
    let mut at_fit = plan_at(ctx, fitted_overrides, horizon)?;
    for _ in 0..LONGER {
        if at_fit.plan.retire_after().is_some() {
            break;
        }
        horizon = at_fit.plan.longer_horizon();
        at_fit = plan_at(ctx, fitted_overrides, horizon)?;
    }
    let mut earliest = earliest_of(&at_fit.plan);
    let decision = at_fit.decision();
    let mut latest = decision.retire_after;
    let free_keys: Vec<free::FreeKey> = keys.iter().map(|k| k.key.clone()).collect();
    for (i, key) in keys.iter().enumerate() {
        for end in [key.lo, key.hi] {
            if end == key.value {
                continue;
            }
            let mut values: Vec<f64> = keys.iter().map(|k| k.value).collect();
            values[i] = end;
            let Some(moved) = free::overrides(&free_keys, &values, &ctx.base) else {
                continue;
            };
            let overrides = [&ctx.base_overrides[..], &moved[..]].concat();
            let p = plan_at(ctx, &overrides, horizon)?;
            earliest = match (earliest, earliest_of(&p.plan)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            latest = latest.zip(p.decision().retire_after).map(|(a, b)| a.max(b));
        }
    }
    let mut warnings = Vec::new();
    match latest {
        Some(go) if go > logs_end => warnings.push(format!(
            "the logs end {} after the change, before the tail does: past {} the answer is the fitted \
             model's extrapolation, not something the logs showed",
            duration::human(logs_end),
            duration::human(logs_end)
        )),
        None => warnings.push(format!(
            "not every plan within the fit's intervals is met within {} after the change; \
             the logs end {} after it",
            duration::human(horizon),
            duration::human(logs_end)
        )),
        _ => {}
    }
    let lines = lines(&decision, (earliest, latest));
    Ok(FitPlan {
        plan: at_fit.plan,
        decision,
        range: (earliest, latest),
        horizon,
        logs_end,
        warnings,
        lines,
    })
}

/// The answer with the fit's uncertainty, then the fitted decision's
/// caveats.
fn lines(decision: &Decision, (earliest, latest): (Option<Millis>, Option<Millis>)) -> Vec<String> {
    let at_fit = decision
        .retire_after
        .map_or_else(|| "beyond the horizon".to_string(), duration::human);
    let first = match (latest, earliest) {
        (Some(go), Some(from)) => format!(
            "Keep the old server {} after the change: the latest plan along the fitted values' 95 % intervals \
             (at the fitted values {at_fit}; from {} to {} as the values move within their intervals).",
            duration::human(go),
            duration::human(from),
            duration::human(go),
        ),
        _ => format!(
            "The old server cannot go within the simulated horizon for every value within the fit's intervals \
             (at the fitted values: {at_fit}); simulate longer or narrow the intervals with more logs."
        ),
    };
    let rest = decision.lines.iter().skip(1).cloned();
    let mut lines = vec![first];
    if rest.len() > 0 {
        lines.push("At the fitted values:".to_string());
    }
    lines.extend(rest);
    lines
}

/// The lower end of a plan's interval (its estimate from one run).
fn earliest_of(plan: &Plan) -> Option<Millis> {
    plan.settle
        .interval
        .and_then(|(lo, _)| lo)
        .or(plan.settle.estimate)
}
