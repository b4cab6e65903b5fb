//! When can the old server go? The earliest time from which the old share
//! stays under a tolerance (or fewer than N requests still arrive) to the
//! horizon, in 95 % of runs, said as a person would say it.

use crate::duration::{self, Millis};
use crate::stats::{quantile_time, Results};
use serde_json::{json, Value};

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

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub criterion: Criterion,
    pub horizon: Millis,
    /// `None`: the horizon is too short to answer.
    pub retire_after: Option<Millis>,
    /// Runs that settled within the horizon.
    pub settled_runs: usize,
    pub runs: usize,
    /// Mean old requests per run after `retire_after`, and all requests then.
    pub old_requests_after: f64,
    pub requests_after: f64,
}

impl Plan {
    pub fn compute(results: &Results, criterion: Criterion, horizon: Millis) -> Plan {
        let times = match criterion {
            Criterion::Tolerance(t) => results.settle_times(t),
            Criterion::MaxLost(n) => results.settle_times_lost(n),
        };
        let retire_after = quantile_time(&times, CONFIDENCE);
        let from = retire_after.unwrap_or(horizon);
        Plan {
            criterion,
            horizon,
            retire_after,
            settled_runs: times.iter().flatten().count(),
            runs: times.len(),
            old_requests_after: results.old_requests_after(from),
            requests_after: results.requests_after(from),
        }
    }

    /// The answer in one or two sentences.
    pub fn sentence(&self) -> String {
        match self.retire_after {
            Some(t) => {
                let share = if self.requests_after > 0.0 { self.old_requests_after / self.requests_after } else { 0.0 };
                let tail = if self.old_requests_after == 0.0 {
                    "after that no simulated request reached it".to_string()
                } else {
                    format!(
                        "after that about {} in a million requests still arrive there ({:.1} per run of this population)",
                        significant(share * 1e6),
                        self.old_requests_after
                    )
                };
                format!("Keep the old server for at least {} after the change ({}); {tail}.", duration::human(t), self.what())
            }
            None => format!(
                "The horizon of {} is too short to answer: only {} of {} runs had settled ({}). Run again with --set simulation.duration={}.",
                duration::human(self.horizon),
                self.settled_runs,
                self.runs,
                self.what(),
                duration::short(suggest_horizon(self.horizon)),
            ),
        }
    }

    fn what(&self) -> String {
        match self.criterion {
            Criterion::Tolerance(t) => format!("old share under {} in 95 % of runs", percent(t)),
            Criterion::MaxLost(n) => {
                format!("fewer than {n} requests left for the old server in 95 % of runs")
            }
        }
    }

    pub fn to_json(&self) -> Value {
        let (tolerance, max_lost) = match self.criterion {
            Criterion::Tolerance(t) => (json!(t), Value::Null),
            Criterion::MaxLost(n) => (Value::Null, json!(n)),
        };
        json!({
            "tolerance": tolerance,
            "max_lost": max_lost,
            "retire_after_s": self.retire_after.map(|t| t as f64 / 1000.0),
            "settled_runs": self.settled_runs,
            "runs": self.runs,
            "old_requests_after_per_run": self.old_requests_after,
            "answer": self.sentence(),
        })
    }
}

/// A horizon long enough to try next: double, rounded up to whole hours.
fn suggest_horizon(horizon: Millis) -> Millis {
    let doubled = horizon.saturating_mul(2);
    (doubled + duration::HOUR - 1) / duration::HOUR * duration::HOUR
}

/// A share as a percentage people read: "1 %", "0.01 %".
pub fn percent(share: f64) -> String {
    format!("{} %", significant(share * 100.0))
}

/// At most three significant digits, no trailing zeros.
pub fn significant(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(percent(0.0001), "0.01 %");
        assert_eq!(percent(0.1), "10 %");
        assert_eq!(significant(1.23456), "1.23");
        assert_eq!(significant(1234.6), "1235");
        assert_eq!(suggest_horizon(36 * duration::HOUR), 72 * duration::HOUR);
    }
}
