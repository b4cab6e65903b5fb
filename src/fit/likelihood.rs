//! How well a simulated curve explains an observed one. Old requests are
//! not binomial around the model's mean: cache phases make whole groups of
//! requests old together, and the same groups stay old for a while. So each
//! bucket's variance is the runs' variance of the old share (scaled to the
//! observed requests) plus binomial sampling, and the buckets' correlation
//! over time is a dispersion factor read from the runs' own residuals
//! (quasi-likelihood): the intervals are as wide as the runs say they must be.

use crate::observe::Curve;
use crate::stats::Results;

/// Per bucket: the model's mean old share and the variance of one run's.
fn moments(results: &Results, buckets: usize) -> Vec<(f64, f64)> {
    let runs = results.run_shares.len().max(1) as f64;
    (0..buckets)
        .map(|b| {
            let shares = results
                .run_shares
                .iter()
                .map(|r| r.get(b).copied().unwrap_or(0.0));
            let mean = shares.clone().sum::<f64>() / runs;
            let var = shares.map(|s| (s - mean).powi(2)).sum::<f64>() / (runs - 1.0).max(1.0);
            (mean, var)
        })
        .collect()
}

/// The variance of an observed count of old requests out of `n`, for a
/// model mean `p` with run variance `v` over `runs` runs: the population's
/// own phases, the Monte Carlo error of the mean, and sampling; at least a
/// quarter of a request, so a bucket the model calls clean still counts.
fn variance(n: f64, p: f64, v: f64, runs: f64) -> f64 {
    n * n * v * (1.0 + 1.0 / runs) + n * p * (1.0 - p) + 0.25
}

/// The negative log-likelihood (Gaussian on counts), before dispersion.
pub fn nll(curve: &Curve, results: &Results) -> f64 {
    let runs = results.run_shares.len() as f64;
    let buckets = curve.requests.len();
    moments(results, buckets)
        .iter()
        .zip(curve.requests.iter().zip(&curve.old))
        .filter(|(_, (n, _))| **n > 0.0)
        .map(|(&(p, v), (&n, &k))| {
            let var = variance(n, p, v, runs);
            0.5 * ((k - n * p).powi(2) / var + var.ln())
        })
        .sum()
}

/// How much the buckets' correlation inflates the deviance: 1 + 2 Σ ρ_lag
/// over the lags where the runs' standardised residuals stay correlated
/// (an effective-sample-size factor), at least 1.
pub fn dispersion(curve: &Curve, results: &Results) -> f64 {
    let buckets = curve.requests.len();
    let m = moments(results, buckets);
    let residuals: Vec<Vec<f64>> = results
        .run_shares
        .iter()
        .map(|run| {
            (0..buckets)
                .map(|b| {
                    let (p, v) = m[b];
                    if v > 0.0 {
                        (run.get(b).copied().unwrap_or(0.0) - p) / v.sqrt()
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let lag_correlation = |lag: usize| -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for r in &residuals {
            for b in 0..buckets.saturating_sub(lag) {
                num += r[b] * r[b + lag];
            }
            den += r.iter().map(|x| x * x).sum::<f64>();
        }
        if den > 0.0 {
            num / den
        } else {
            0.0
        }
    };
    let mut factor = 1.0;
    for lag in 1..buckets {
        let rho = lag_correlation(lag);
        if rho < 0.05 {
            break;
        }
        factor += 2.0 * rho;
    }
    factor.max(1.0)
}

/// Per bucket: the model's mean share, the standard deviation of the share
/// a population like the model's would show with the observed requests,
/// and the observed count's residual in standard deviations (`None` where
/// nothing was observed).
pub fn per_bucket(curve: &Curve, results: &Results) -> Vec<(f64, f64, Option<f64>)> {
    let runs = results.run_shares.len() as f64;
    moments(results, curve.requests.len())
        .iter()
        .zip(curve.requests.iter().zip(&curve.old))
        .map(|(&(p, v), (&n, &k))| {
            if n > 0.0 {
                let var = variance(n, p, v, runs);
                (p, var.sqrt() / n, Some((k - n * p) / var.sqrt()))
            } else {
                (p, v.sqrt(), None)
            }
        })
        .collect()
}
