//! When the old share settles, as an estimate with its uncertainty.
//!
//! The question is about the migration, not about one simulated sample of
//! it: the time from which the *expected* old share (the mean over runs,
//! the `old_share` column of timeseries.csv) stays under a threshold, or
//! from which fewer than N requests, at a stated traffic, still arrive.
//! Asked of the expectation, the answer does not move with the number of
//! households or runs simulated; more of either only narrows its interval,
//! a percentile bootstrap that resamples whole runs.

use crate::duration::Millis;
use rand::{RngExt, SeedableRng};

/// Resamples of the bootstrap: the 2.5 % and 97.5 % ends are the 25th and
/// the 975th of them.
const RESAMPLES: usize = 1000;

/// What settling means.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// The expected old share stays under this share.
    Share(f64),
    /// Fewer than `requests` old requests arrive afterwards, each simulated
    /// one standing for `scale` real ones (see `plan::Traffic`).
    Lost { requests: f64, scale: f64 },
}

/// When the old share settles: ends of buckets after the change; `None`
/// for "not within the horizon".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settle {
    pub estimate: Option<Millis>,
    /// The 95 % interval (`None` from one run); an end beyond the horizon is `None`.
    pub interval: Option<(Option<Millis>, Option<Millis>)>,
    /// The bucket: every time is the end of one, so known to this.
    pub resolution: Millis,
}

impl Settle {
    /// The interval's upper end: what a plan can rely on with 95 %
    /// confidence (the estimate itself from one run). `None`: beyond the horizon.
    pub fn bound(&self) -> Option<Millis> {
        match self.interval {
            Some((_, hi)) => hi,
            None => self.estimate,
        }
    }

    /// Whether the whole interval lies in the first bucket: the threshold
    /// is crossed before the bucket can tell when.
    pub fn within_first_bucket(&self) -> bool {
        self.bound().is_some_and(|b| b <= self.resolution)
    }
}

/// A 95 % percentile-bootstrap interval for the mean of `values` (one per
/// run), resampled with the same fixed seed as the settle times.
pub fn bootstrap_mean(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0x5e771e);
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| (0..n).map(|_| values[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    (means[RESAMPLES * 25 / 1000], means[RESAMPLES * 975 / 1000 - 1])
}

/// Per-run counts per bucket: old requests and all requests.
pub struct RunCounts<'a> {
    pub old: &'a [Vec<u64>],
    pub requests: &'a [Vec<u64>],
    pub bucket: Millis,
}

impl RunCounts<'_> {
    /// When the runs settle by `rule`: the estimate from all of them, the
    /// interval from resampled runs (a fixed seed, so the same counts give
    /// the same interval).
    pub fn settle(&self, rule: Rule) -> Settle {
        let runs = self.old.len();
        let shares: Vec<Vec<f64>> = self
            .old
            .iter()
            .zip(self.requests)
            .map(|(old, requests)| {
                old.iter()
                    .zip(requests)
                    .map(|(&o, &n)| if n == 0 { f64::NAN } else { o as f64 / n as f64 })
                    .collect()
            })
            .collect();
        let at = |index: Option<usize>| index.map(|b| b as Millis * self.bucket);
        let all = vec![1u32; runs];
        let estimate = at(self.settle_index(&shares, &all, rule));
        let interval = (runs > 1).then(|| {
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0x5e771e);
            let mut times: Vec<usize> = (0..RESAMPLES)
                .map(|_| {
                    let mut weights = vec![0u32; runs];
                    for _ in 0..runs {
                        weights[rng.random_range(0..runs)] += 1;
                    }
                    self.settle_index(&shares, &weights, rule).unwrap_or(usize::MAX)
                })
                .collect();
            times.sort_unstable();
            let end = |i: usize| at(Some(times[i]).filter(|&b| b != usize::MAX));
            (end(RESAMPLES * 25 / 1000), end(RESAMPLES * 975 / 1000 - 1))
        });
        Settle {
            estimate,
            interval,
            resolution: self.bucket,
        }
    }

    /// The first bucket from which the runs, each counted `weights[r]`
    /// times, stay settled; `None` when the last bucket is not.
    fn settle_index(&self, shares: &[Vec<f64>], weights: &[u32], rule: Rule) -> Option<usize> {
        let buckets = shares.first().map_or(0, Vec::len);
        let runs_weight: f64 = weights.iter().map(|&w| f64::from(w)).sum();
        let mut lost = 0.0;
        for b in (0..buckets).rev() {
            let offends = match rule {
                Rule::Share(threshold) => {
                    let (mut sum, mut weight) = (0.0, 0.0);
                    for (run, &w) in shares.iter().zip(weights) {
                        if w > 0 && !run[b].is_nan() {
                            sum += f64::from(w) * run[b];
                            weight += f64::from(w);
                        }
                    }
                    weight > 0.0 && sum / weight >= threshold
                }
                Rule::Lost { requests, scale } => {
                    let old: f64 = self
                        .old
                        .iter()
                        .zip(weights)
                        .map(|(run, &w)| f64::from(w) * run[b] as f64)
                        .sum();
                    lost += scale * old / runs_weight;
                    lost >= requests
                }
            };
            if offends {
                return (b + 1 < buckets).then_some(b + 1);
            }
        }
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(old: Vec<Vec<u64>>, requests: u64) -> (Vec<Vec<u64>>, Vec<Vec<u64>>) {
        let n = old.iter().map(|r| vec![requests; r.len()]).collect();
        (old, n)
    }

    #[test]
    fn the_mean_share_settles_after_its_last_offending_bucket() {
        let (old, requests) = counts(vec![vec![50, 20, 0, 0], vec![50, 0, 0, 0]], 100);
        let runs = RunCounts {
            old: &old,
            requests: &requests,
            bucket: 10,
        };
        // Mean shares 0.5, 0.1, 0, 0: under 0.2 from bucket 1, under 0.1 from 2.
        assert_eq!(runs.settle(Rule::Share(0.2)).estimate, Some(10));
        assert_eq!(runs.settle(Rule::Share(0.1)).estimate, Some(20));
        assert_eq!(runs.settle(Rule::Share(0.6)).estimate, Some(0));
        let (old, requests) = counts(vec![vec![50, 50]], 100);
        let runs = RunCounts {
            old: &old,
            requests: &requests,
            bucket: 10,
        };
        let never = runs.settle(Rule::Share(0.1));
        assert_eq!((never.estimate, never.interval), (None, None));
    }

    #[test]
    fn lost_requests_count_from_the_end_at_the_stated_scale() {
        let (old, requests) = counts(vec![vec![9, 3, 1, 1]], 100);
        let runs = RunCounts {
            old: &old,
            requests: &requests,
            bucket: 10,
        };
        let lost = |requests, scale| runs.settle(Rule::Lost { requests, scale }).estimate;
        assert_eq!(lost(3.0, 1.0), Some(20));
        assert_eq!(lost(6.0, 1.0), Some(10));
        assert_eq!(lost(6.0, 2.0), Some(20));
        assert_eq!(lost(1.0, 1.0), None);
    }

    #[test]
    fn a_bootstrap_mean_interval_holds_the_mean_and_no_more_than_the_values() {
        let (lo, hi) = bootstrap_mean(&[0.0, 0.0, 0.0, 2.0]);
        assert!(
            (0.0..=0.5).contains(&lo) && (0.5..=2.0).contains(&hi),
            "{lo} {hi}"
        );
        assert_eq!(bootstrap_mean(&[3.0, 3.0]), (3.0, 3.0));
    }

    #[test]
    fn the_interval_holds_the_estimate_and_narrows_with_more_runs() {
        // Runs that settle at buckets 3 and 5 in turn.
        let run = |late: bool| {
            let mut r = vec![0u64; 10];
            r[if late { 4 } else { 2 }] = 10;
            r
        };
        let few: Vec<Vec<u64>> = (0..4).map(|i| run(i % 2 == 0)).collect();
        let (old, requests) = counts(few, 100);
        let settle = RunCounts {
            old: &old,
            requests: &requests,
            bucket: 1,
        }
        .settle(Rule::Share(0.001));
        let (lo, hi) = settle.interval.unwrap();
        assert!(lo <= settle.estimate && settle.estimate <= hi, "{settle:?}");
        assert_eq!(settle.bound(), hi);
    }
}
