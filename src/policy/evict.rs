//! Early eviction: a busy cache drops entries before they expire, after an
//! exponential time with the policy's mean. Eviction only shortens an
//! answer's life, so it adds nothing to the latest-old-answer bound; the
//! stationary state leaves entries unevicted, and an evicting cache never
//! serves a device on its own (run-ahead).

use crate::duration::Millis;
use rand::{Rng, RngExt};
use rand_distr::Exp1;

/// When an entry stored at `now` is evicted, for a mean survival of
/// `mean` (`Millis::MAX` when the policy evicts nothing early).
#[inline]
pub fn evicted_at<R: Rng>(rng: &mut R, now: Millis, mean: Option<Millis>) -> Millis {
    match mean {
        Some(mean) => now.saturating_add((rng.sample::<f64, _>(Exp1) * mean as f64) as Millis),
        None => Millis::MAX,
    }
}
