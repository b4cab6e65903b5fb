//! The partition's shared arrival stream: when the next request (or app
//! restart) arrives and from which device, thinned by the daily cycle.

use super::exp1;
use crate::duration::Millis;
use crate::population::{AliasTable, DailyCycle};
use rand::{Rng, RngExt};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The daily cycle's factor where it was last worked out. The factor moves
/// at most [`DailyCycle::slope`] per ms, so a draw clearly above or below
/// every value it can have taken since decides an arrival without a cosine:
/// the same decision, from the same draw, as working the factor out.
#[derive(Clone, Copy, Debug)]
pub(super) struct CycleSqueeze {
    at: f64,
    factor: f64,
}

impl CycleSqueeze {
    /// Nothing worked out yet: the first arrival computes the factor.
    pub(super) const UNKNOWN: CycleSqueeze = CycleSqueeze {
        at: f64::NAN,
        factor: f64::NAN,
    };
}

/// A margin far above the rounding error of a computed factor (about
/// 1e-16), so a decision outside the band is the one the computed factor gives.
const ROUNDING_MARGIN: f64 = 1e-9;

/// Whether the daily cycle drops an arrival at `now` from a stream drawn at
/// its peak rate (never without a cycle).
#[inline(always)]
pub(super) fn thinned_out<R: Rng>(
    cycle: Option<DailyCycle>,
    squeeze: &mut CycleSqueeze,
    rng: &mut R,
    now: Millis,
) -> bool {
    let Some(c) = cycle else {
        return false;
    };
    let draw = rng.random::<f64>() * c.peak_factor();
    let t = now as f64;
    // NaN before the first factor: neither test holds.
    let band = c.slope() * (t - squeeze.at).abs() + ROUNDING_MARGIN;
    if draw < squeeze.factor - band {
        return false;
    }
    if draw >= squeeze.factor + band {
        return true;
    }
    let factor = c.factor(t);
    *squeeze = CycleSqueeze { at: t, factor };
    draw >= factor
}

/// How the partition's shared stream draws its arrivals, from random
/// numbers of its own: which devices arrive when does not depend on what
/// serving them draws, so the draws need not wait for the serving, and the
/// stream's state stays in registers while the partition's changes.
pub(super) struct SharedStream {
    pub(super) rng: Xoshiro256PlusPlus,
    /// Mean time between arrivals (at the daily cycle's peak).
    pub(super) gap: f64,
    /// The chance an arrival is an app restart rather than a request.
    pub(super) restart_share: f64,
    pub(super) cycle: Option<DailyCycle>,
    pub(super) squeeze: CycleSqueeze,
    pub(super) clock: super::clock::Clock,
}

impl SharedStream {
    /// The next arrival after `elapsed`: a request from a device drawn from
    /// `requesters`, an app restart drawn from `restarters`, or one the daily
    /// cycle drops (only requests when `ONLY_REQUESTS`).
    #[inline(always)]
    pub(super) fn next<const ONLY_REQUESTS: bool>(
        &mut self,
        elapsed: f64,
        requesters: &AliasTable,
        restarters: Option<&AliasTable>,
    ) -> Arrival {
        let rng = &mut self.rng;
        let elapsed = elapsed + exp1(rng) * self.gap;
        let (kind, device) = if ONLY_REQUESTS {
            (ArrivalKind::Request, requesters.sample(rng))
        } else if thinned_out(self.cycle, &mut self.squeeze, rng, self.clock.at(elapsed)) {
            (ArrivalKind::Dropped, 0)
        } else if self.restart_share > 0.0 && rng.random::<f64>() < self.restart_share {
            let restarters = restarters.expect("restart rate > 0");
            (ArrivalKind::Restart, restarters.sample(rng))
        } else {
            (ArrivalKind::Request, requesters.sample(rng))
        };
        Arrival {
            elapsed,
            device: device as u32,
            kind,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ArrivalKind {
    Request,
    Restart,
    /// Thinned out by the daily cycle.
    Dropped,
}

/// One arrival of the shared stream.
#[derive(Clone, Copy, Debug)]
pub(super) struct Arrival {
    /// Time since the partition's start.
    pub(super) elapsed: f64,
    pub(super) device: u32,
    pub(super) kind: ArrivalKind,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The squeeze decides every arrival as working the factor out does,
    /// from the same draws, whatever the gaps between arrivals.
    #[test]
    fn the_squeeze_decides_as_the_cosine_does() {
        let cycle = DailyCycle {
            amplitude: 0.5,
            peak_hour: 20.0,
            change_hour: 14.0,
        };
        let (mut squeezed, mut direct) = (
            Xoshiro256PlusPlus::seed_from_u64(4),
            Xoshiro256PlusPlus::seed_from_u64(4),
        );
        let mut gaps = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut squeeze = CycleSqueeze::UNKNOWN;
        let (mut now, mut computed) = (-86_400_000i64, 0);
        for i in 0..200_000 {
            // Gaps from a millisecond to hours, so the band is narrow and wide.
            let scale = [1.0, 1e3, 1e5, 1e7][i % 4];
            now += (gaps.random::<f64>() * scale) as Millis;
            let before = squeeze.at;
            let thinned = thinned_out(Some(cycle), &mut squeeze, &mut squeezed, now);
            computed += usize::from(squeeze.at != before && !before.is_nan());
            let want = direct.random::<f64>() * cycle.peak_factor() >= cycle.factor(now as f64);
            assert_eq!(thinned, want, "arrival {i} at {now} ms");
        }
        assert!(
            computed < 100_000,
            "the squeeze spares most cosines ({computed} computed)"
        );
    }
}
