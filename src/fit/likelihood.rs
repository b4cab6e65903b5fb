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

/// How far the observed curve is from anything the fitted model makes:
/// the sum of squared residuals over the observed buckets, against what a
/// population like the model's gives (about one per bucket and free key
/// left, spread by the buckets' correlation).
#[derive(Clone, Debug, serde::Serialize)]
pub struct LackOfFit {
    pub statistic: f64,
    pub buckets: usize,
    pub expected: f64,
    pub spread: f64,
    /// The largest residuals, in standard deviations, with their bucket's
    /// start (seconds after the change).
    pub worst: Vec<(f64, f64)>,
}

impl LackOfFit {
    pub fn of(curve: &Curve, results: &Results, dispersion: f64, free_keys: usize) -> LackOfFit {
        let bucket_s = curve.bucket_ms as f64 / 1000.0;
        let mut residuals: Vec<(f64, f64)> = per_bucket(curve, results)
            .iter()
            .enumerate()
            .filter_map(|(b, &(_, _, z))| Some((b as f64 * bucket_s, z?)))
            .collect();
        let statistic = residuals.iter().map(|(_, z)| z * z).sum();
        let buckets = residuals.len();
        let expected = buckets.saturating_sub(free_keys).max(1) as f64;
        residuals.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        residuals.truncate(3);
        LackOfFit {
            statistic,
            buckets,
            expected,
            spread: (2.0 * expected * dispersion).sqrt(),
            worst: residuals,
        }
    }

    /// Beyond 3.1 spreads over what is expected (one in a thousand for a
    /// model that fits): the model cannot make this curve.
    pub fn rejects(&self) -> bool {
        self.statistic > self.expected + 3.1 * self.spread
    }

    pub fn warning(&self) -> String {
        let worst: Vec<String> = self
            .worst
            .iter()
            .map(|(t, z)| format!("{z:+.1} at {}", crate::duration::human((t * 1000.0) as i64)))
            .collect();
        format!(
            "the fitted model does not explain the observed curve: its squared residuals add up to {:.0} over \
             {} buckets, where a population like the model's gives about {:.0} ± {:.0}; the largest, in standard \
             deviations: {}. Something the fit holds fixed differs from the logs (see fit.png's residuals); \
             the plan below is the model's, not the logs'",
            self.statistic,
            self.buckets,
            self.expected,
            self.spread,
            worst.join(", ")
        )
    }
}
