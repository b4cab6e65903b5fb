//! The site's real traffic, which turns simulated requests into real ones:
//! the rate the user states (`[plan] traffic`, `--traffic`), or, when none
//! is stated, the simulated population's own, said so wherever it is used.

use crate::duration::{self, Millis};
use crate::stats::Results;

/// Requests per second to the name being moved, averaged over a day.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Traffic {
    /// As the user stated it.
    Stated(f64),
    /// The simulated population's, taken as real.
    Simulated(f64),
}

impl Traffic {
    /// The stated rate if there is one, else the population's: its mean
    /// requests per second after the change, per run.
    pub fn of(stated: Option<f64>, results: &Results, horizon: Millis) -> Traffic {
        match stated {
            Some(rate) => Traffic::Stated(rate),
            None => Traffic::Simulated(simulated_rate(results, horizon)),
        }
    }

    pub fn per_second(self) -> f64 {
        match self {
            Traffic::Stated(r) | Traffic::Simulated(r) => r,
        }
    }

    /// How many real requests one simulated request stands for.
    pub fn scale(self, results: &Results, horizon: Millis) -> f64 {
        let simulated = simulated_rate(results, horizon);
        if simulated > 0.0 {
            self.per_second() / simulated
        } else {
            1.0
        }
    }

    /// "at the stated 2,000 requests/s", or the population's, said so.
    pub fn phrase(self) -> String {
        match self {
            Traffic::Stated(r) => format!("at the stated {}", duration::human_rate(r)),
            Traffic::Simulated(r) => format!(
                "at the simulated population's {}, as no plan.traffic states the site's",
                duration::human_rate(r)
            ),
        }
    }
}

fn simulated_rate(results: &Results, horizon: Millis) -> f64 {
    let seconds = horizon as f64 / 1000.0;
    if results.runs == 0 || seconds <= 0.0 {
        return 0.0;
    }
    results.requests_total as f64 / results.runs as f64 / seconds
}
