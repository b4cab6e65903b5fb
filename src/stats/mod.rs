//! From per-replica counts to what users read: means over runs with 95 %
//! confidence intervals (Student's t on the n−1 variance), the time from which
//! the old share stays under a threshold, and when the old server can go.

use crate::duration::Millis;
use crate::engine::cause::{self, ByCause, Cause};
use crate::engine::tally::{self, Tally};
use crate::engine::PerLayer;
pub mod settle;

pub use settle::{Rule, Settle};

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mergeable moments of a quantity across runs: count, sum, sum of squares.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub sum: f64,
    pub sum_sq: f64,
}

/// A mean and its 95 % confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Moments {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sum_sq += x * x;
    }

    pub fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64
        }
    }

    /// Sample standard deviation (n − 1).
    pub fn std_dev(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as f64;
        ((self.sum_sq - self.sum * self.sum / n) / (n - 1.0))
            .max(0.0)
            .sqrt()
    }

    /// Half-width of the 95 % confidence interval of the mean.
    pub fn half_width(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        t_975(self.n - 1) * self.std_dev() / (self.n as f64).sqrt()
    }

    pub fn estimate(&self) -> Estimate {
        let (mean, h) = (self.mean(), self.half_width());
        Estimate {
            mean,
            lo: mean - h,
            hi: mean + h,
        }
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom.
pub fn t_975(df: u64) -> f64 {
    StudentsT::new(0.0, 1.0, df.max(1) as f64).map_or(1.96, |t| t.inverse_cdf(0.975))
}

/// Per-bucket results over all runs, and per-run figures for planning.
#[derive(Clone, Debug)]
pub struct Results {
    pub bucket: Millis,
    pub runs: usize,
    pub addresses: Vec<String>,
    pub time_s: Vec<f64>,
    pub requests: Vec<f64>,
    pub old_share: Vec<Estimate>,
    pub clients_old_share: Vec<f64>,
    /// Per bucket, the mean share of all requests that were old because of each layer.
    pub old_via: Vec<PerLayer<f64>>,
    /// Every cause the scenario can have, by slot (see [`crate::engine::cause`])…
    pub causes: Vec<Cause>,
    /// …and per bucket, the mean share of all requests that were old by each.
    pub old_by_cause: Vec<Vec<f64>>,
    /// Per bucket, each address's mean share of the requests.
    pub address_share: Vec<Vec<f64>>,
    /// Each run's old share per bucket (0 where a bucket had no request).
    pub run_shares: Vec<Vec<f64>>,
    /// Each run's old requests per bucket…
    pub run_old: Vec<Vec<u64>>,
    /// …and all its requests per bucket.
    pub run_requests: Vec<Vec<u64>>,
    /// Share of requests after the change answered by each layer.
    pub answered_at: PerLayer<f64>,
    pub requests_total: u64,
    pub simulated_total: u64,
    pub devices_mean: f64,
    /// Each run's last request to an old address (ms after the change).
    pub last_old: Vec<Option<Millis>>,
}

impl Results {
    /// The runs' tallies of `model` (in run order) as results: means,
    /// intervals, causes.
    pub fn of(model: &crate::engine::Model, tallies: &[Tally]) -> Results {
        let s = &model.scenario;
        Results::from_tallies(
            tallies,
            s.bucket,
            s.record.addresses.clone(),
            model.causes.clone(),
        )
    }

    pub fn from_tallies(
        tallies: &[Tally],
        bucket: Millis,
        addresses: Vec<String>,
        causes: Vec<Cause>,
    ) -> Results {
        let buckets = tallies.first().map_or(0, |t| t.buckets);
        let runs = tallies.len();
        let mut results = Results {
            bucket,
            runs,
            time_s: (0..buckets)
                .map(|b| (b as Millis * bucket) as f64 / 1000.0)
                .collect(),
            requests: vec![0.0; buckets],
            old_share: Vec::with_capacity(buckets),
            clients_old_share: vec![0.0; buckets],
            old_via: vec![PerLayer::default(); buckets],
            old_by_cause: vec![vec![0.0; causes.len()]; buckets],
            causes,
            address_share: vec![vec![0.0; addresses.len()]; buckets],
            addresses,
            run_shares: tallies
                .iter()
                .map(|t| {
                    (0..buckets)
                        .map(|b| ratio(t.get(b, tally::OLD), t.get(b, tally::REQUESTS)))
                        .collect()
                })
                .collect(),
            run_old: tallies
                .iter()
                .map(|t| (0..buckets).map(|b| t.get(b, tally::OLD)).collect())
                .collect(),
            run_requests: tallies
                .iter()
                .map(|t| (0..buckets).map(|b| t.get(b, tally::REQUESTS)).collect())
                .collect(),
            answered_at: PerLayer::default(),
            requests_total: tallies.iter().map(|t| t.total(tally::REQUESTS)).sum(),
            simulated_total: tallies.iter().map(|t| t.simulated).sum(),
            devices_mean: tallies.iter().map(|t| t.devices as f64).sum::<f64>() / runs.max(1) as f64,
            last_old: tallies.iter().map(|t| t.last_old).collect(),
        };
        for b in 0..buckets {
            let mut share = Moments::default();
            let mut requests = Moments::default();
            for t in tallies {
                let row = t.row(b);
                requests.add(row[tally::REQUESTS] as f64);
                if row[tally::REQUESTS] == 0 {
                    continue;
                }
                let n = row[tally::REQUESTS] as f64;
                share.add(row[tally::OLD] as f64 / n);
                for (l, v) in results.old_via[b].values_mut().enumerate() {
                    *v += row[tally::VIA + l] as f64 / n;
                }
                for (a, v) in results.address_share[b].iter_mut().enumerate() {
                    *v += row[tally::ADDRESSES + a] as f64 / n;
                }
                for (c, v) in results.old_by_cause[b].iter_mut().enumerate() {
                    *v += row[t.causes + c] as f64 / n;
                }
                results.clients_old_share[b] += ratio(row[tally::DEVICES_OLD], row[tally::ACTIVE_DEVICES]);
            }
            let counted = share.n.max(1) as f64;
            results.old_via[b].values_mut().for_each(|v| *v /= counted);
            results.address_share[b].iter_mut().for_each(|v| *v /= counted);
            results.old_by_cause[b].iter_mut().for_each(|v| *v /= counted);
            results.clients_old_share[b] /= counted;
            results.requests[b] = requests.mean();
            results.old_share.push(share.estimate());
        }
        let mut answered = PerLayer::<u64>::default();
        for t in tallies {
            for (layer, a) in t.answered_at.iter() {
                answered[layer] += a;
            }
        }
        let all: u64 = answered.values().sum();
        for (layer, a) in answered.iter() {
            results.answered_at[layer] = ratio(*a, all);
        }
        results
    }

    /// When the expected old share stays under `threshold` (see [`settle`]).
    pub fn settle(&self, threshold: f64) -> Settle {
        self.settle_by(Rule::Share(threshold))
    }

    /// When the runs settle by `rule`, with its 95 % interval.
    pub fn settle_by(&self, rule: Rule) -> Settle {
        settle::RunCounts {
            old: &self.run_old,
            requests: &self.run_requests,
            bucket: self.bucket,
        }
        .settle(rule)
    }

    /// Old requests per hour, mean over runs, in the `span` from `from`
    /// (as much of it as the horizon holds; 0 when none of it does).
    pub fn old_requests_per_hour(&self, from: Millis, span: Millis) -> f64 {
        match self.window(from, span) {
            Some(hours) if self.runs > 0 => {
                self.old_requests_in(from, span) as f64 / self.runs as f64 / hours
            }
            _ => 0.0,
        }
    }

    /// A 95 % percentile-bootstrap interval (runs resampled, a fixed seed)
    /// for [`Results::old_requests_per_hour`]; `None` from one run.
    pub fn old_requests_per_hour_interval(&self, from: Millis, span: Millis) -> Option<(f64, f64)> {
        let hours = self.window(from, span).filter(|_| self.runs > 1)?;
        let per_run: Vec<f64> = self
            .old_per_run(from, span)
            .map(|old| old as f64 / hours)
            .collect();
        Some(settle::bootstrap_mean(&per_run))
    }

    /// The simulated old requests from `from` for `span`, all runs together:
    /// how many a rate from that window rests on.
    pub fn old_requests_in(&self, from: Millis, span: Millis) -> u64 {
        self.old_per_run(from, span).sum()
    }

    /// Each run's old requests from `from` for `span`.
    fn old_per_run(&self, from: Millis, span: Millis) -> impl Iterator<Item = u64> + '_ {
        let (first, last) = self.buckets_of(from, span);
        self.run_old
            .iter()
            .map(move |o| o.get(first..last).map_or(0, |b| b.iter().sum::<u64>()))
    }

    /// The hours of the window the horizon holds; `None` when it holds none.
    fn window(&self, from: Millis, span: Millis) -> Option<f64> {
        let (first, last) = self.buckets_of(from, span);
        (first < last).then(|| ((last - first) as Millis * self.bucket) as f64 / crate::duration::HOUR as f64)
    }

    /// The buckets a window covers (empty when it is past the end).
    fn buckets_of(&self, from: Millis, span: Millis) -> (usize, usize) {
        let first = (from / self.bucket).max(0) as usize;
        let last = (((from + span) / self.bucket) as usize).min(self.requests.len());
        (first, last.max(first))
    }
}

impl Results {
    /// Who holds the tail: from the time the expected old share stays under
    /// `threshold`, each layer's part of the requests still reaching an old
    /// address, each bucket weighed by its requests. `None` when nothing
    /// old is left by then (or it never settles).
    pub fn tail_blame(&self, threshold: f64) -> Option<Tail> {
        let from = (self.settle(threshold).estimate? / self.bucket) as usize;
        let mut held_at = PerLayer::<f64>::default();
        let mut by_cause = vec![0.0; self.causes.len()];
        for b in from..self.requests.len() {
            let requests = self.requests[b];
            for (p, v) in held_at.values_mut().zip(self.old_via[b].values()) {
                *p += v * requests;
            }
            for (p, v) in by_cause.iter_mut().zip(&self.old_by_cause[b]) {
                *p += v * requests;
            }
        }
        let total: f64 = held_at.values().sum();
        if total <= 0.0 {
            return None;
        }
        held_at.values_mut().for_each(|p| *p /= total);
        by_cause.iter_mut().for_each(|p| *p /= total);
        Some(Tail {
            from: from as Millis * self.bucket,
            held_at,
            caused_by: cause::by_code(&self.causes, &by_cause),
            by_cause,
        })
    }

    /// Per bucket, the mean share of all requests that were old because of
    /// each cause, by cause code (the `old_cause_*` columns).
    pub fn old_cause(&self) -> Vec<ByCause> {
        self.old_by_cause
            .iter()
            .map(|row| cause::by_code(&self.causes, row))
            .collect()
    }
}

/// Who holds and who causes the old requests once the mean old share stays
/// under a threshold: each part of them, adding up to 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Tail {
    /// When the tail starts (ms after the change).
    pub from: Millis,
    pub held_at: PerLayer<f64>,
    /// By cause code (see [`cause::CODE_TTL`]).
    pub caused_by: ByCause,
    /// By cause slot, as [`Results::causes`] names them.
    pub by_cause: Vec<f64>,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_give_t_interval() {
        let mut m = Moments::default();
        for x in [1.0, 2.0, 3.0, 4.0, 5.0] {
            m.add(x);
        }
        assert_eq!(m.mean(), 3.0);
        assert!((m.std_dev() - 2.5f64.sqrt()).abs() < 1e-12);
        // t(0.975, 4) = 2.776
        assert!((m.half_width() - 2.776 * 2.5f64.sqrt() / 5f64.sqrt()).abs() < 1e-3);
        let mut a = Moments::default();
        let mut b = Moments::default();
        [1.0, 2.0].iter().for_each(|&x| a.add(x));
        [3.0, 4.0, 5.0].iter().for_each(|&x| b.add(x));
        a.merge(&b);
        assert_eq!(a, m);
    }
}
