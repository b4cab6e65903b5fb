//! A parametric bootstrap along each key's profile: curves a population
//! like the fitted model's would show (fresh seeds: new cache phases, and
//! binomial sampling at the observed requests) are fitted again along the
//! profile the real curve was, reusing its simulations. The spread of those
//! estimates is the estimator's own, with the buckets' correlation and the
//! phases of the caches in it, which a likelihood treating buckets as
//! independent cannot see.

use super::likelihood;
use crate::observe::Curve;
use crate::stats::Results;
use rand::SeedableRng;
use rand_distr::{Binomial, Distribution};

/// How many pseudo-observed curves the bootstrap draws.
pub const CURVES: u32 = 24;

/// Each run of `results` as an observed curve with the real curve's
/// requests, old requests drawn binomially from the run's old share.
pub fn pseudo_curves(curve: &Curve, results: &Results, seed: u64) -> Vec<Curve> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    results
        .run_shares
        .iter()
        .map(|shares| Curve {
            bucket_ms: curve.bucket_ms,
            requests: curve.requests.clone(),
            old: curve
                .requests
                .iter()
                .zip(shares)
                .map(|(&n, &p)| {
                    Binomial::new(n as u64, p.clamp(0.0, 1.0)).map_or(n * p, |b| b.sample(&mut rng) as f64)
                })
                .collect(),
        })
        .collect()
}

/// Where along a profile (`path`: unit coordinate and that point's
/// results, sorted) `curve` fits best, refined by a parabola through the
/// best point and its neighbours.
pub fn best_along(curve: &Curve, path: &[(f64, &Results)]) -> f64 {
    let losses: Vec<f64> = path.iter().map(|(_, r)| likelihood::nll(curve, r)).collect();
    let j = losses
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(j, _)| j);
    if j == 0 || j + 1 == path.len() {
        return path[j].0;
    }
    parabola_minimum(
        [path[j - 1].0, path[j].0, path[j + 1].0],
        [losses[j - 1], losses[j], losses[j + 1]],
    )
}

/// The minimum of the parabola through three points (the middle one the
/// lowest), within their span; the middle point if they make no bowl.
fn parabola_minimum([x0, x1, x2]: [f64; 3], [y0, y1, y2]: [f64; 3]) -> f64 {
    let denom = (x0 - x1) * (x0 - x2) * (x1 - x2);
    let a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denom;
    let b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denom;
    if a > 0.0 && a.is_finite() {
        (-b / (2.0 * a)).clamp(x0, x2)
    } else {
        x1
    }
}

/// The standard deviation of the estimates.
pub fn spread(estimates: &[f64]) -> f64 {
    let n = estimates.len() as f64;
    let mean = estimates.iter().sum::<f64>() / n;
    (estimates.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parabola_finds_the_minimum_between_grid_points() {
        // Losses (x − 0.37)² at 0.3, 0.4, 0.5 give back 0.37.
        let loss = |x: f64| (x - 0.37).powi(2);
        let found = parabola_minimum([0.3, 0.4, 0.5], [loss(0.3), loss(0.4), loss(0.5)]);
        assert!((found - 0.37).abs() < 1e-9, "{found}");
        assert_eq!(
            parabola_minimum([0.3, 0.4, 0.5], [1.0, 1.0, 1.0]),
            0.4,
            "no bowl: the middle"
        );
        assert!((spread(&[1.0, 2.0, 3.0]) - 1.0).abs() < 1e-12);
    }
}
