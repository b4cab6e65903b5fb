//! From per-replica counts to what users read: means over runs with 95 %
//! confidence intervals (Student's t on the n−1 variance), the time from which
//! the old share stays under a threshold, and when the old server can go.

use crate::duration::Millis;
use crate::engine::cause::{self, ByCause, Cause};
use crate::engine::tally::{self, Tally};
use crate::engine::PerLayer;
pub mod order;

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
    /// Each run's old requests per bucket.
    pub run_old: Vec<Vec<u64>>,
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

    /// For each run, the time from which its old share stays under `threshold`
    /// to the horizon; `None` for a run where it never does.
    pub fn settle_times(&self, threshold: f64) -> Vec<Option<Millis>> {
        self.run_shares
            .iter()
            .map(|shares| settle_bucket(shares, |s| s >= threshold).map(|b| b as Millis * self.bucket))
            .collect()
    }

    /// For each run, the time after which fewer than `requests` old requests arrive.
    pub fn settle_times_lost(&self, requests: u64) -> Vec<Option<Millis>> {
        self.run_old
            .iter()
            .map(|old| {
                let mut tail = 0u64;
                let mut from = old.len();
                for (b, n) in old.iter().enumerate().rev() {
                    tail += n;
                    if tail >= requests {
                        break;
                    }
                    from = b;
                }
                (from < old.len() || tail < requests).then_some(from as Millis * self.bucket)
            })
            .collect()
    }

    /// When the old share stays under `threshold`, over the runs: `None`
    /// if some run never gets there.
    pub fn settle(&self, threshold: f64) -> Option<Settled> {
        self.settle_of(&self.settle_times(threshold))
    }

    /// The runs' settle `times` as a mean with its interval: `None` if
    /// some run never settled.
    pub fn settle_of(&self, times: &[Option<Millis>]) -> Option<Settled> {
        let seconds: Vec<f64> = times
            .iter()
            .map(|t| t.map(|ms| ms as f64 / 1000.0))
            .collect::<Option<_>>()?;
        let mean = seconds.iter().sum::<f64>() / seconds.len() as f64;
        let bucket_s = self.bucket as f64 / 1000.0;
        Some(Settled {
            mean,
            interval: (seconds.len() > 1).then(|| order::bootstrap_mean(&seconds)),
            groups: order::two_groups(&seconds, bucket_s),
            resolution: bucket_s,
        })
    }

    /// Old requests per run, on average, from `from` on.
    pub fn old_requests_after(&self, from: Millis) -> f64 {
        let first = (from / self.bucket) as usize;
        let total: u64 = self
            .run_old
            .iter()
            .map(|o| o.iter().skip(first).sum::<u64>())
            .sum();
        total as f64 / self.runs.max(1) as f64
    }

    /// Mean requests per run from `from` on.
    pub fn requests_after(&self, from: Millis) -> f64 {
        let first = (from / self.bucket) as usize;
        self.requests.iter().skip(first).sum()
    }
}

impl Results {
    /// Who holds the tail: from the time the mean old share stays under
    /// `threshold`, each layer's part of the requests still reaching an old
    /// address. `None` when nothing old is left by then (or it never settles).
    pub fn tail_blame(&self, threshold: f64) -> Option<Tail> {
        let means: Vec<f64> = self.old_share.iter().map(|e| e.mean).collect();
        let from = settle_bucket(&means, |s| s >= threshold)?;
        let mut held_at = PerLayer::<f64>::default();
        for row in &self.old_via[from..] {
            for (p, v) in held_at.values_mut().zip(row.values()) {
                *p += v;
            }
        }
        let total: f64 = held_at.values().sum();
        if total <= 0.0 {
            return None;
        }
        held_at.values_mut().for_each(|p| *p /= total);
        let mut by_cause = vec![0.0; self.causes.len()];
        for row in &self.old_by_cause[from..] {
            for (p, v) in by_cause.iter_mut().zip(row) {
                *p += v;
            }
        }
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

/// When the old share stays under a threshold, over the runs, in seconds
/// after the change. Each run's time is the end of a bucket, so it is known
/// to `resolution` (it may have settled up to a bucket earlier).
#[derive(Clone, Debug, PartialEq)]
pub struct Settled {
    pub mean: f64,
    /// A 95 % percentile-bootstrap interval for the mean (`None` for one run).
    pub interval: Option<(f64, f64)>,
    /// Runs that fall into two groups far apart: (runs, latest time) of each.
    pub groups: Option<((usize, f64), (usize, f64))>,
    pub resolution: f64,
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

/// The index after the last bucket where `offends` holds, or 0 when none does;
/// `None` if the last bucket itself offends (never settles within the horizon).
fn settle_bucket(shares: &[f64], offends: impl Fn(f64) -> bool) -> Option<usize> {
    match shares.iter().rposition(|&s| offends(s)) {
        None => Some(0),
        Some(last) if last + 1 == shares.len() => None,
        Some(last) => Some(last + 1),
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The value at or below which `quantile` of `times` fall (nearest rank);
/// `None` when more than `1 − quantile` of them never settle.
pub fn quantile_time(times: &[Option<Millis>], quantile: f64) -> Option<Millis> {
    if times.is_empty() {
        return None;
    }
    let mut sorted: Vec<Millis> = times.iter().map(|t| t.unwrap_or(Millis::MAX)).collect();
    sorted.sort_unstable();
    let rank = ((quantile * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    let value = sorted[rank - 1];
    (value != Millis::MAX).then_some(value)
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

    #[test]
    fn settle_bucket_finds_the_last_offender() {
        assert_eq!(settle_bucket(&[0.5, 0.2, 0.0, 0.0], |s| s >= 0.1), Some(2));
        assert_eq!(settle_bucket(&[0.5, 0.0, 0.2, 0.0], |s| s >= 0.1), Some(3));
        assert_eq!(settle_bucket(&[0.0, 0.0], |s| s >= 0.1), Some(0));
        assert_eq!(settle_bucket(&[0.5, 0.5], |s| s >= 0.1), None);
    }

    #[test]
    fn quantile_needs_enough_settled_runs() {
        let times: Vec<Option<Millis>> = (1..=20).map(Some).collect();
        assert_eq!(quantile_time(&times, 0.95), Some(19));
        let mut some_never = times.clone();
        some_never[0] = None;
        some_never[1] = None;
        assert_eq!(quantile_time(&some_never, 0.95), None);
        some_never[1] = Some(1);
        assert_eq!(quantile_time(&some_never, 0.95), Some(20));
    }
}
