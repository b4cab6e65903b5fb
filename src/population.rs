//! Who sends requests: households, their devices and each device's request
//! rate, drawn from distributions validated once when the scenario loads.

use rand_distr::{Distribution, Exp, LogNormal, Pareto};

/// The most requests a day one device makes: a billion, about 11,600 a
/// second. Draws above it (a Pareto shape near 0, a huge lognormal sigma)
/// are held there, so every count stays far inside 64 bits.
pub const MAX_REQUESTS_PER_DAY: f64 = 1e9;

/// A positive quantity that varies across devices or households.
#[derive(Clone, Debug)]
pub enum Spread {
    Fixed(f64),
    Exponential {
        mean: f64,
        dist: Exp<f64>,
    },
    Lognormal {
        median: f64,
        sigma: f64,
        dist: LogNormal<f64>,
    },
    Pareto {
        scale: f64,
        shape: f64,
        dist: Pareto<f64>,
    },
}

/// Why a distribution's parameters were refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SpreadError {
    #[error("{0} is not a positive number")]
    NotPositive(f64),
    #[error("{name} = {value} must be a positive number")]
    ParameterNotPositive { name: &'static str, value: f64 },
    #[error("sigma = {0} must be 0 or more")]
    NegativeSigma(f64),
}

/// `value` if it is a finite positive number.
fn positive(name: &'static str, value: f64) -> Result<f64, SpreadError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(SpreadError::ParameterNotPositive { name, value })
    }
}

impl Spread {
    pub fn fixed(value: f64) -> Result<Spread, SpreadError> {
        if value.is_finite() && value > 0.0 {
            Ok(Spread::Fixed(value))
        } else {
            Err(SpreadError::NotPositive(value))
        }
    }

    pub fn exponential(mean: f64) -> Result<Spread, SpreadError> {
        let dist = Exp::new(1.0 / positive("mean", mean)?).map_err(|_| SpreadError::NotPositive(mean))?;
        Ok(Spread::Exponential { mean, dist })
    }

    pub fn lognormal(median: f64, sigma: f64) -> Result<Spread, SpreadError> {
        positive("median", median)?;
        if !(sigma.is_finite() && sigma >= 0.0) {
            return Err(SpreadError::NegativeSigma(sigma));
        }
        let dist = LogNormal::new(median.ln(), sigma).map_err(|_| SpreadError::NegativeSigma(sigma))?;
        Ok(Spread::Lognormal { median, sigma, dist })
    }

    pub fn pareto(scale: f64, shape: f64) -> Result<Spread, SpreadError> {
        positive("scale", scale)?;
        positive("shape", shape)?;
        let dist = Pareto::new(scale, shape).map_err(|_| SpreadError::NotPositive(shape))?;
        Ok(Spread::Pareto { scale, shape, dist })
    }

    /// The distribution's mean (infinite for a Pareto with shape ≤ 1).
    pub fn mean(&self) -> f64 {
        match self {
            Spread::Fixed(v) => *v,
            Spread::Exponential { mean, .. } => *mean,
            Spread::Lognormal { median, sigma, .. } => median * (sigma * sigma / 2.0).exp(),
            Spread::Pareto { scale, shape, .. } if *shape > 1.0 => scale * shape / (shape - 1.0),
            Spread::Pareto { .. } => f64::INFINITY,
        }
    }

    /// A device's requests per day: the sample, at most
    /// [`MAX_REQUESTS_PER_DAY`] (very heavy tails draw rates no device has).
    pub fn sample_requests_per_day<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sample(rng).min(MAX_REQUESTS_PER_DAY)
    }

    /// A whole number of at least one (devices in a household): the sample,
    /// rounded, at most a thousand. (Rounded by adding a half and
    /// truncating, exact for these positive values, rather than by `round`,
    /// a library call on processors without SSE4.1.)
    pub fn sample_count<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        let value = self.sample(rng).clamp(1.0, 1_000.0);
        (value + 0.5) as u32
    }
}

impl Distribution<f64> for Spread {
    fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Spread::Fixed(v) => *v,
            Spread::Exponential { dist, .. } => dist.sample(rng),
            Spread::Lognormal { dist, .. } => dist.sample(rng),
            Spread::Pareto { dist, .. } => dist.sample(rng),
        }
    }
}

/// Request rates that follow the time of day: the rate at hour `h` (0–24) is
/// multiplied by `1 + amplitude × cos(2π (h − peak_hour) / 24)`. The change
/// happens at `change_hour` local time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DailyCycle {
    pub amplitude: f64,
    pub peak_hour: f64,
    pub change_hour: f64,
}

impl DailyCycle {
    /// The rate multiplier at `t_ms` after the change; at most `1 + amplitude`.
    pub fn factor(&self, t_ms: f64) -> f64 {
        let hour = self.change_hour + t_ms / 3_600_000.0;
        1.0 + self.amplitude * (std::f64::consts::TAU * (hour - self.peak_hour) / 24.0).cos()
    }

    /// The factor summed over `[a_ms, b_ms)` after the change (ms times
    /// factor): the expected requests there of a device making one per ms.
    pub fn integral(&self, a_ms: f64, b_ms: f64) -> f64 {
        let angle = |t_ms: f64| {
            let hour = self.change_hour + t_ms / 3_600_000.0;
            std::f64::consts::TAU * (hour - self.peak_hour) / 24.0
        };
        let per_radian = 86_400_000.0 / std::f64::consts::TAU;
        (b_ms - a_ms) + self.amplitude * per_radian * (angle(b_ms).sin() - angle(a_ms).sin())
    }

    pub fn peak_factor(&self) -> f64 {
        1.0 + self.amplitude
    }

    /// The most the factor changes per ms (the cosine's steepest slope).
    pub fn slope(&self) -> f64 {
        self.amplitude * std::f64::consts::TAU / 86_400_000.0
    }
}

/// Picks an index with probability proportional to its weight in O(1)
/// (Walker's alias method): how a partition chooses which device sends the
/// next request from the merged Poisson stream of all its devices.
#[derive(Clone, Debug, Default)]
pub struct AliasTable {
    /// Per column: the threshold under which the column itself is drawn,
    /// and its alias; side by side, so a draw reads one cache line.
    columns: Vec<(u32, u32)>,
}

impl AliasTable {
    pub fn new(weights: &[f64]) -> AliasTable {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut columns: Vec<(u32, u32)> = (0..n as u32).map(|i| (u32::MAX, i)).collect();
        // Two stacks in one buffer: columns under 1 from the front (`small`
        // on top at `small - 1`), the others from the back (top at `large`).
        let mut stacks = vec![0u32; n];
        let (mut small, mut large) = (0, n);
        // Without branches (whether a weight is under 1 is a coin toss): the
        // index goes to both free ends, and only the stack it joins grows;
        // the other copy is overwritten before it is read.
        for (i, &w) in scaled.iter().enumerate() {
            let under = w < 1.0;
            stacks[small] = i as u32;
            stacks[large - 1] = i as u32;
            small += usize::from(under);
            large -= usize::from(!under);
        }
        while small > 0 && large < n {
            small -= 1;
            let (s, l) = (stacks[small] as usize, stacks[large] as usize);
            columns[s] = ((scaled[s] * u32::MAX as f64) as u32, l as u32);
            scaled[l] -= 1.0 - scaled[s];
            // A column fallen under 1 moves to the small stack, into the
            // slot just freed (written either way).
            let under = scaled[l] < 1.0;
            stacks[small] = l as u32;
            small += usize::from(under);
            large += usize::from(under);
        }
        AliasTable { columns }
    }

    /// One index from one random word: the high 32 bits pick a column, the
    /// low 32 bits decide between it and its alias.
    #[inline]
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let word = rng.next_u64();
        let n = self.columns.len() as u64;
        let i = (((word >> 32) * n) >> 32) as usize;
        let (threshold, alias) = self.columns[i];
        // Column or alias is a coin toss: a branch would be mispredicted often.
        std::hint::select_unpredictable((word as u32) < threshold, i, alias as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn the_cycles_integral_sums_its_factor() {
        let cycle = DailyCycle {
            amplitude: 0.5,
            peak_hour: 20.0,
            change_hour: 14.0,
        };
        // Midpoint sums over 1 s steps, across a peak and a whole day.
        for (a, b) in [(-3.6e6, 0.0), (0.0, 3e5), (5.0e6, 3.0e7), (0.0, 8.64e7)] {
            let steps = ((b - a) / 1000.0) as usize;
            let sum: f64 = (0..steps)
                .map(|i| cycle.factor(a + (i as f64 + 0.5) * 1000.0) * 1000.0)
                .sum();
            let exact = cycle.integral(a, b);
            assert!(
                (exact - sum).abs() < 1e-6 * (b - a),
                "[{a}, {b}): {exact} vs {sum}"
            );
        }
        // A whole day averages 1.
        assert!((cycle.integral(1.0e6, 1.0e6 + 8.64e7) - 8.64e7).abs() < 1e-3);
    }

    #[test]
    fn alias_table_matches_weights() {
        let weights = [1.0, 2.0, 3.0, 4.0];
        let table = AliasTable::new(&weights);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let draws = 400_000;
        let mut counts = [0u32; 4];
        for _ in 0..draws {
            counts[table.sample(&mut rng)] += 1;
        }
        for (i, w) in weights.iter().enumerate() {
            let p = w / 10.0;
            let sd = (p * (1.0 - p) / draws as f64).sqrt();
            let got = counts[i] as f64 / draws as f64;
            assert!((got - p).abs() < 5.0 * sd, "index {i}: {got} vs {p}");
        }
    }

    /// The table as built with a branch per column (Vose's method as first
    /// written): the branchless build must give the same columns, bit for
    /// bit, so every draw stays the same.
    fn built_with_branches(weights: &[f64]) -> Vec<(u32, u32)> {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut columns: Vec<(u32, u32)> = (0..n as u32).map(|i| (u32::MAX, i)).collect();
        let (mut small, mut large) = (Vec::new(), Vec::new());
        for (i, &w) in scaled.iter().enumerate() {
            if w < 1.0 {
                small.push(i);
            } else {
                large.push(i);
            }
        }
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            columns[s] = ((scaled[s] * u32::MAX as f64) as u32, l as u32);
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        columns
    }

    #[test]
    fn the_branchless_build_gives_the_same_columns() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        for n in [1usize, 2, 3, 7, 64, 450, 2000] {
            for _ in 0..20 {
                let weights: Vec<f64> = (0..n)
                    .map(|_| match rng.random_range(0..4) {
                        0 => 0.0,
                        1 => 1.0,
                        _ => (rng.random::<f64>() * 6.0).exp(),
                    })
                    .collect();
                if weights.iter().sum::<f64>() == 0.0 {
                    continue;
                }
                assert_eq!(
                    AliasTable::new(&weights).columns,
                    built_with_branches(&weights),
                    "{n} weights"
                );
            }
        }
    }

    #[test]
    fn counts_round_as_the_library_does() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for value in [0.2f64, 1.0, 1.49999, 1.5, 2.4999999999999996, 2.5, 999.5, 1e6] {
            let want = value.round().clamp(1.0, 1_000.0) as u32;
            assert_eq!(
                Spread::fixed(value).unwrap().sample_count(&mut rng),
                want,
                "{value}"
            );
        }
    }

    #[test]
    fn means_are_right_and_bad_parameters_refused() {
        assert!((Spread::lognormal(20.0, 1.0).unwrap().mean() - 20.0 * 0.5f64.exp()).abs() < 1e-9);
        assert_eq!(Spread::pareto(1.0, 2.0).unwrap().mean(), 2.0);
        assert_eq!(
            Spread::exponential(-1.0).unwrap_err(),
            SpreadError::ParameterNotPositive {
                name: "mean",
                value: -1.0
            }
        );
        assert_eq!(
            Spread::lognormal(1.0, -1.0).unwrap_err().to_string(),
            "sigma = -1 must be 0 or more"
        );
        assert!(Spread::lognormal(0.0, 1.0).is_err());
        assert!(Spread::pareto(1.0, 0.0).is_err());
        assert!(Spread::fixed(f64::NAN).is_err());
    }

    #[test]
    fn daily_cycle_peaks_at_peak_hour() {
        let cycle = DailyCycle {
            amplitude: 0.5,
            peak_hour: 20.0,
            change_hour: 14.0,
        };
        assert!((cycle.factor(6.0 * 3_600_000.0) - 1.5).abs() < 1e-12);
        assert!((cycle.factor(-6.0 * 3_600_000.0) - 0.5).abs() < 1e-12);
    }
}
