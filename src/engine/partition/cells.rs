//! The Poisson counts a ride draws per cell (see `ride.rs`): one law per
//! device, drawn from again and again, so each is set up once per
//! partition and kept by device. A count is one alias draw over the counts
//! that carry all but a millionth of the chance, the rest drawn by
//! inversion on the rare occasion it is needed; a mean too large for a
//! table takes rand_distr's rejection method, constant time too.

use crate::population::AliasTable;
use rand::RngExt;
use rand_distr::Poisson;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The chance of a count past the table, at most.
const TAIL: f64 = 1e-6;

/// The largest mean given a table (a column per count up to a little past
/// the mean); larger ones take rand_distr's rejection method.
const TABLE_MEAN: f64 = 200.0;

/// A Poisson law of one mean.
pub(super) struct CellCounts {
    mean: f64,
    law: Law,
}

enum Law {
    Table {
        /// Counts 0 to `last`, and one more column for any larger count.
        table: AliasTable,
        last: u64,
        /// The chance of `last + 1`, and of any count past `last`.
        after_last: f64,
        tail: f64,
    },
    Rejection(Poisson<f64>),
}

impl CellCounts {
    pub(super) fn new(mean: f64) -> CellCounts {
        assert!(mean > 0.0 && mean.is_finite(), "a finite positive mean");
        if mean > TABLE_MEAN {
            let law = Poisson::new(mean).expect("a finite positive mean");
            return CellCounts {
                mean,
                law: Law::Rejection(law),
            };
        }
        // The chances, until past the mean they no longer add anything.
        let mut chances = vec![(-mean).exp()];
        let mut p = chances[0];
        let mut k = 0.0;
        while k <= mean || p >= 1e-30 {
            k += 1.0;
            p *= mean / k;
            chances.push(p);
        }
        // The last count past the mean whose tail beyond carries under `TAIL`.
        let mut tail = 0.0;
        let mut last = chances.len() - 1;
        while last as f64 > mean + 1.0 && tail + chances[last] < TAIL {
            tail += chances[last];
            last -= 1;
        }
        let mut weights = chances[..=last].to_vec();
        weights.push(tail);
        CellCounts {
            mean,
            law: Law::Table {
                table: AliasTable::new(&weights),
                last: last as u64,
                after_last: chances.get(last + 1).copied().unwrap_or(0.0),
                tail,
            },
        }
    }

    /// The law's mean.
    pub(super) fn mean(&self) -> f64 {
        self.mean
    }

    #[inline]
    pub(super) fn sample(&self, rng: &mut Xoshiro256PlusPlus) -> u64 {
        match &self.law {
            Law::Table {
                table,
                last,
                after_last,
                tail,
            } => {
                let k = table.sample(rng) as u64;
                if k <= *last {
                    k
                } else {
                    past_last(rng, self.mean, *last, *after_last, *tail)
                }
            }
            Law::Rejection(law) => rng.sample::<f64, _>(*law) as u64,
        }
    }
}

/// Each device's law, set up when its first ride needs it (`None`: not yet).
#[derive(Default)]
pub(super) struct CellLaws {
    by_device: Vec<Option<CellCounts>>,
}

impl CellLaws {
    /// Device `d`'s law of mean `mean`: the one kept, or a new one.
    pub(super) fn of(&mut self, d: usize, mean: f64) -> &CellCounts {
        if self.by_device.len() <= d {
            self.by_device.resize_with(d + 1, || None);
        }
        let slot = &mut self.by_device[d];
        if slot.as_ref().is_none_or(|law| law.mean() != mean) {
            *slot = Some(CellCounts::new(mean));
        }
        slot.as_ref().expect("set just above")
    }
}

/// A count past `last` (whose next has chance `after_last`, all of them
/// `tail`), by inversion.
#[cold]
fn past_last(rng: &mut Xoshiro256PlusPlus, mean: f64, last: u64, after_last: f64, tail: f64) -> u64 {
    let u = rng.random::<f64>() * tail;
    let (mut k, mut p) = (last + 1, after_last);
    let mut cumulative = p;
    while u >= cumulative && p > 0.0 {
        k += 1;
        p *= mean / k as f64;
        cumulative += p;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The counts' frequencies against the Poisson chances (Pearson's
    /// chi-square over counts expected at least 20 times, the rest pooled),
    /// under the 99.99th percentile; and a law built for a mean 2 % off
    /// fails the same test.
    fn chi_square(law: &CellCounts, mean: f64, draws: usize) -> (f64, f64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut seen = vec![0u64; 1024];
        for _ in 0..draws {
            seen[(law.sample(&mut rng) as usize).min(1023)] += 1;
        }
        let (mut chi, mut cells) = (0.0, 0.0_f64);
        let (mut p, mut pooled_seen, mut pooled_expected) = ((-mean).exp(), 0.0, 0.0);
        for (k, &s) in seen.iter().enumerate() {
            if k > 0 {
                p *= mean / k as f64;
            }
            let expected = p * draws as f64;
            if expected >= 20.0 {
                chi += (s as f64 - expected).powi(2) / expected;
                cells += 1.0;
            } else {
                pooled_seen += s as f64;
                pooled_expected += expected;
            }
        }
        if pooled_expected > 0.0 {
            chi += (pooled_seen - pooled_expected).powi(2) / pooled_expected;
            cells += 1.0;
        }
        // Wilson–Hilferty: the 99.99th percentile of chi-square.
        let dof = cells - 1.0;
        let limit = dof * (1.0 - 2.0 / (9.0 * dof) + 3.719 * (2.0 / (9.0 * dof)).sqrt()).powi(3);
        (chi, limit)
    }

    #[test]
    fn counts_follow_the_poisson_law() {
        for mean in [1.5, 4.0, 17.3, 150.0, 450.0] {
            let (chi, limit) = chi_square(&CellCounts::new(mean), mean, 400_000);
            assert!(chi < limit, "mean {mean}: chi-square {chi:.1} over {limit:.1}");
            let (chi, limit) = chi_square(&CellCounts::new(mean * 1.02), mean, 400_000);
            assert!(chi > limit, "mean {mean}: a law 2 % off passes ({chi:.1})");
        }
    }

    #[test]
    fn counts_past_the_table_are_drawn_by_inversion() {
        let law = CellCounts::new(4.0);
        let Law::Table {
            last,
            after_last,
            tail,
            ..
        } = law.law
        else {
            panic!("a mean of 4 has a table");
        };
        assert!(tail < TAIL && tail > 0.0);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let past: Vec<u64> = (0..10_000)
            .map(|_| past_last(&mut rng, 4.0, last, after_last, tail))
            .collect();
        assert!(past.iter().all(|&k| k > last));
        // The first past the table carries most of the tail: its share is
        // its chance over the tail's.
        let share = past.iter().filter(|&&k| k == last + 1).count() as f64 / 1e4;
        let expected = after_last / tail;
        assert!((share - expected).abs() < 4.5 * (expected * (1.0 - expected) / 1e4).sqrt());
    }
}
