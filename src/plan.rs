//! When can the old server go? The earliest time from which the old share
//! stays under a tolerance (or fewer than N requests still arrive) to the
//! horizon, in 95 % of runs. How it is said lives in `export::text`.

use crate::duration::{self, Millis};
use crate::stats::{order, quantile_time, Results};

/// Default tolerance: one request in ten thousand.
pub const DEFAULT_TOLERANCE: f64 = 0.0001;
/// The share of runs that must have settled.
pub const CONFIDENCE: f64 = 0.95;

/// What the plan asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Criterion {
    /// The old share stays under this.
    Tolerance(f64),
    /// Fewer than this many requests per run reach the old address afterwards.
    MaxLost(u64),
}

impl Criterion {
    /// For each run, when it settles by this criterion (`None`: never
    /// within the horizon).
    pub fn times(&self, results: &Results) -> Vec<Option<Millis>> {
        match *self {
            Criterion::Tolerance(t) => results.settle_times(t),
            Criterion::MaxLost(n) => results.settle_times_lost(n),
        }
    }
}

impl Default for Criterion {
    fn default() -> Self {
        Criterion::Tolerance(DEFAULT_TOLERANCE)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub criterion: Criterion,
    pub horizon: Millis,
    /// `None`: the horizon is too short to answer.
    pub retire_after: Option<Millis>,
    /// A distribution-free upper bound, with 95 % confidence, on the 95th
    /// percentile `retire_after` estimates: `None` with fewer runs than
    /// [`Plan::runs_for_bound`] (or when the bounding run never settled).
    pub upper_bound: Option<Millis>,
    /// Runs that settled within the horizon.
    pub settled_runs: usize,
    pub runs: usize,
    /// Mean old requests per run after `retire_after`, and all requests then.
    pub old_requests_after: f64,
    pub requests_after: f64,
}

impl Plan {
    pub fn compute(results: &Results, criterion: Criterion, horizon: Millis) -> Plan {
        let times = criterion.times(results);
        let retire_after = quantile_time(&times, CONFIDENCE);
        let from = retire_after.unwrap_or(horizon);
        Plan {
            criterion,
            horizon,
            retire_after,
            upper_bound: order::quantile_upper_bound(&times, CONFIDENCE, CONFIDENCE),
            settled_runs: times.iter().flatten().count(),
            runs: times.len(),
            old_requests_after: results.old_requests_after(from),
            requests_after: results.requests_after(from),
        }
    }

    /// A horizon long enough to try next when this one was too short:
    /// double, rounded up to whole hours.
    pub fn longer_horizon(&self) -> Millis {
        let doubled = self.horizon.saturating_mul(2);
        (doubled + duration::HOUR - 1) / duration::HOUR * duration::HOUR
    }

    /// The fewest runs that give [`Plan::upper_bound`].
    pub fn runs_for_bound() -> usize {
        order::runs_for_bound(CONFIDENCE, CONFIDENCE)
    }

    /// The share of requests after `retire_after` that still reach an old address.
    pub fn old_share_after(&self) -> f64 {
        if self.requests_after > 0.0 {
            self.old_requests_after / self.requests_after
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_longer_horizon_doubles_to_whole_hours() {
        let plan = |horizon| Plan {
            criterion: Criterion::default(),
            horizon,
            retire_after: None,
            upper_bound: None,
            settled_runs: 0,
            runs: 1,
            old_requests_after: 0.0,
            requests_after: 0.0,
        };
        assert_eq!(plan(36 * duration::HOUR).longer_horizon(), 72 * duration::HOUR);
        assert_eq!(plan(90 * duration::MINUTE).longer_horizon(), 3 * duration::HOUR);
    }
}
