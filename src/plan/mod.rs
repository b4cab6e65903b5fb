//! When can the old server go? The time from which the expected old share
//! stays under a tolerance (or fewer than N requests, at the site's
//! traffic, still arrive), with its 95 % interval; the plan relies on the
//! interval's upper end. The figures live here; [`decision`] says them.

pub mod decision;
pub mod mechanisms;
mod traffic;

use crate::duration::{self, Millis, HOUR};
use crate::stats::{Results, Rule, Settle};
pub use traffic::Traffic;

/// Default tolerance: one request in ten thousand.
pub const DEFAULT_TOLERANCE: f64 = 0.0001;

/// What the plan asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Criterion {
    /// The expected old share stays under this.
    Tolerance(f64),
    /// Fewer than this many requests, at the stated traffic, reach the old
    /// address afterwards (within the horizon).
    MaxLost(u64),
}

impl Default for Criterion {
    fn default() -> Self {
        Criterion::Tolerance(DEFAULT_TOLERANCE)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub criterion: Criterion,
    pub traffic: Traffic,
    pub horizon: Millis,
    /// When the criterion is met: estimate and 95 % interval.
    pub settle: Settle,
    /// Each simulated request stands for this many of the stated traffic's.
    pub scale: f64,
    /// Old requests per hour at the stated traffic: in the hour after the
    /// old server goes, and in the horizon's last hour.
    pub lost_first_hour: f64,
    pub lost_last_hour: f64,
    /// The simulated old requests (all runs) `lost_first_hour` rests on,
    /// and its 95 % interval (none from one run).
    pub seen_first_hour: u64,
    pub lost_first_hour_interval: Option<(f64, f64)>,
}

impl Plan {
    pub fn compute(results: &Results, criterion: Criterion, traffic: Traffic, horizon: Millis) -> Plan {
        let scale = traffic.scale(results, horizon);
        let rule = match criterion {
            Criterion::Tolerance(t) => Rule::Share(t),
            Criterion::MaxLost(n) => Rule::Lost {
                requests: n as f64,
                scale,
            },
        };
        let settle = results.settle_by(rule);
        let per_hour = |from: Millis| scale * results.old_requests_per_hour(from, HOUR);
        Plan {
            criterion,
            traffic,
            horizon,
            lost_first_hour: settle.bound().map_or(0.0, per_hour),
            seen_first_hour: settle
                .bound()
                .map_or(0, |from| results.old_requests_in(from, HOUR)),
            lost_first_hour_interval: settle
                .bound()
                .and_then(|from| results.old_requests_per_hour_interval(from, HOUR))
                .map(|(lo, hi)| (scale * lo, scale * hi)),
            lost_last_hour: per_hour((horizon - HOUR).max(0)),
            settle,
            scale,
        }
    }

    /// When the old server can go: the upper end of the 95 % interval
    /// (the estimate from one run); `None` beyond the horizon.
    pub fn retire_after(&self) -> Option<Millis> {
        self.settle.bound()
    }

    /// A horizon long enough to try next when this one was too short:
    /// double, rounded up to whole hours.
    pub fn longer_horizon(&self) -> Millis {
        let doubled = self.horizon.saturating_mul(2);
        (doubled + duration::HOUR - 1) / duration::HOUR * duration::HOUR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_longer_horizon_doubles_to_whole_hours() {
        let plan = |horizon| Plan {
            criterion: Criterion::default(),
            traffic: Traffic::Simulated(1.0),
            horizon,
            settle: Settle {
                estimate: None,
                interval: None,
                resolution: 1,
            },
            scale: 1.0,
            lost_first_hour: 0.0,
            lost_last_hour: 0.0,
            seen_first_hour: 0,
            lost_first_hour_interval: None,
        };
        assert_eq!(plan(36 * duration::HOUR).longer_horizon(), 72 * duration::HOUR);
        assert_eq!(plan(90 * duration::MINUTE).longer_horizon(), 3 * duration::HOUR);
    }
}
