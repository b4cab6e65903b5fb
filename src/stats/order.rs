//! Statistics of per-run times that assume no shape: an upper confidence
//! bound on a quantile from order statistics, a bootstrap interval for a
//! mean, and a check for runs that fall into two groups (where a mean and a
//! Student-t interval would describe no run at all).

use crate::duration::Millis;
use rand::{RngExt, SeedableRng};
use statrs::distribution::{Binomial, DiscreteCDF};

/// The rank (1-based) of the order statistic that bounds the `quantile` of
/// `n` runs from above with `confidence`: the smallest k with
/// P(Binomial(n, quantile) < k) ≥ confidence. `None` when even the largest
/// run is not enough (fewer runs than [`runs_for_bound`]).
pub fn upper_bound_rank(n: usize, quantile: f64, confidence: f64) -> Option<usize> {
    let law = Binomial::new(quantile, n as u64).ok()?;
    (1..=n).find(|&k| law.cdf(k as u64 - 1) >= confidence)
}

/// The fewest runs whose largest bounds the `quantile` with `confidence`:
/// the n with quantileⁿ ≤ 1 − confidence (59 for the 95th percentile at 95 %).
pub fn runs_for_bound(quantile: f64, confidence: f64) -> usize {
    ((1.0 - confidence).ln() / quantile.ln()).ceil() as usize
}

/// A distribution-free upper bound, with `confidence`, on the `quantile` of
/// the runs' `times` (`None` for a run that never got there): the order
/// statistic of [`upper_bound_rank`]. `None` when the runs are too few or
/// the bounding run never got there.
pub fn quantile_upper_bound(times: &[Option<Millis>], quantile: f64, confidence: f64) -> Option<Millis> {
    let k = upper_bound_rank(times.len(), quantile, confidence)?;
    let mut sorted: Vec<Millis> = times.iter().map(|t| t.unwrap_or(Millis::MAX)).collect();
    sorted.sort_unstable();
    let value = sorted[k - 1];
    (value != Millis::MAX).then_some(value)
}

/// A distribution-free two-sided interval, with `confidence`, on the
/// `quantile` of the runs' `times`: order statistics whose ranks bound it
/// with (1 − confidence)/2 on each side. Each end is `None` when the runs
/// are too few for it (or, above, when the bounding run never got there).
pub fn quantile_interval(
    times: &[Option<Millis>],
    quantile: f64,
    confidence: f64,
) -> (Option<Millis>, Option<Millis>) {
    let n = times.len();
    let side = 1.0 - (1.0 - confidence) / 2.0;
    let mut sorted: Vec<Millis> = times.iter().map(|t| t.unwrap_or(Millis::MAX)).collect();
    sorted.sort_unstable();
    let finite = |k: usize| Some(sorted[k - 1]).filter(|&v| v != Millis::MAX);
    let upper = upper_bound_rank(n, quantile, side).and_then(finite);
    // The largest rank k with P(Binomial(n, quantile) ≥ k) ≥ side.
    let lower = Binomial::new(quantile, n as u64).ok().and_then(|law| {
        (1..=n)
            .rev()
            .find(|&k| 1.0 - law.cdf(k as u64 - 1) >= side)
            .and_then(finite)
    });
    (lower, upper)
}

/// A 95 % percentile-bootstrap interval for the mean of `values`: resampled
/// from a fixed seed, so the same values always give the same interval; it
/// never leaves the values' range, as a Student-t interval can.
pub fn bootstrap_mean(values: &[f64]) -> (f64, f64) {
    const RESAMPLES: usize = 2000;
    let n = values.len();
    if n < 2 {
        let v = values.first().copied().unwrap_or(0.0);
        return (v, v);
    }
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0x5eed);
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| (0..n).map(|_| values[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    (means[RESAMPLES * 25 / 1000], means[RESAMPLES * 975 / 1000 - 1])
}

/// Runs that fall into two groups far apart: how many settle by the first
/// group's latest time, and how many only by the second's. Two groups when
/// the widest gap between neighbouring runs is more than half the whole
/// range and more than `resolution`, with at least two runs on each side.
pub fn two_groups(values: &[f64], resolution: f64) -> Option<((usize, f64), (usize, f64))> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let range = sorted.last()? - sorted.first()?;
    let (at, gap) = sorted
        .windows(2)
        .enumerate()
        .map(|(i, w)| (i + 1, w[1] - w[0]))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let both = at >= 2 && sorted.len() - at >= 2;
    (both && gap > range / 2.0 && gap > resolution).then(|| {
        (
            (at, sorted[at - 1]),
            (sorted.len() - at, sorted[sorted.len() - 1]),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interval_covers_the_true_quantile_at_least_as_often_as_promised() {
        // Runs uniform on 0..1,000,000 ms: the 95th percentile is 950,000.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let trials = 2000;
        let mut covered = 0;
        for _ in 0..trials {
            let times: Vec<Option<Millis>> = (0..120).map(|_| Some(rng.random_range(0..1_000_000))).collect();
            if let (Some(lo), Some(hi)) = quantile_interval(&times, 0.95, 0.95) {
                covered += usize::from(lo <= 950_000 && 950_000 <= hi);
            }
        }
        // At least 95 % (order statistics are conservative), less 3 standard
        // errors of a proportion over 2000 trials (0.0146).
        assert!(covered as f64 / trials as f64 >= 0.95 - 0.0146, "{covered}");
        let few: Vec<Option<Millis>> = (0..16).map(Some).collect();
        assert_eq!(
            quantile_interval(&few, 0.95, 0.95).1,
            None,
            "16 runs cannot bound the 95th percentile"
        );
        assert!(quantile_interval(&few, 0.95, 0.95).0.is_some());
    }

    #[test]
    fn the_95th_percentile_needs_59_runs_for_a_bound() {
        assert_eq!(runs_for_bound(0.95, 0.95), 59);
        assert_eq!(upper_bound_rank(32, 0.95, 0.95), None);
        assert_eq!(upper_bound_rank(58, 0.95, 0.95), None);
        assert_eq!(upper_bound_rank(59, 0.95, 0.95), Some(59));
        // With 200 runs the bound is the 195th: P(Bin(200, 0.95) ≤ 194) ≥ 0.95.
        let k = upper_bound_rank(200, 0.95, 0.95).unwrap();
        assert!((194..=197).contains(&k), "{k}");
    }

    #[test]
    fn the_bound_covers_the_quantile_as_often_as_promised() {
        // Uniform times on (0, 1000): the 95th percentile is 950; the bound
        // from 100 runs must lie above it in at least 95 % of trials.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
        let trials = 2000;
        let covered = (0..trials)
            .filter(|_| {
                let times: Vec<Option<Millis>> = (0..100).map(|_| Some(rng.random_range(0..1000))).collect();
                quantile_upper_bound(&times, 0.95, 0.95).is_some_and(|b| b >= 950)
            })
            .count();
        assert!(
            covered as f64 / trials as f64 >= 0.94,
            "covered {covered} of {trials}"
        );
    }

    #[test]
    fn a_bootstrap_interval_stays_within_the_runs() {
        let bimodal: Vec<f64> = (0..32).map(|i| if i < 16 { 0.0 } else { 45_600.0 }).collect();
        let (lo, hi) = bootstrap_mean(&bimodal);
        assert!(
            lo >= 0.0 && hi <= 45_600.0 && lo < 22_800.0 && hi > 22_800.0,
            "({lo}, {hi})"
        );
        assert_eq!(bootstrap_mean(&[5.0]), (5.0, 5.0));
    }

    #[test]
    fn two_groups_are_found_only_when_far_apart() {
        let bimodal: Vec<f64> = (0..32).map(|i| if i < 14 { 1200.0 } else { 45_600.0 }).collect();
        assert_eq!(two_groups(&bimodal, 300.0), Some(((14, 1200.0), (18, 45_600.0))));
        let spread: Vec<f64> = (0..32).map(|i| 1000.0 + 300.0 * i as f64).collect();
        assert_eq!(two_groups(&spread, 300.0), None);
    }
}
