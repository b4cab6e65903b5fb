//! The partition's shared arrival stream: when the next request (or app
//! restart) arrives and from which device, thinned by the daily cycle.

use crate::duration::Millis;
use crate::population::{AliasTable, DailyCycle};
use rand::{Rng, RngExt};
use rand_distr::Exp1;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Whether the daily cycle drops an arrival at `now` from a stream drawn at
/// its peak rate (never without a cycle).
#[inline(always)]
pub(super) fn thinned_out<R: Rng>(cycle: Option<DailyCycle>, rng: &mut R, now: Millis) -> bool {
    let Some(c) = cycle else {
        return false;
    };
    rng.random::<f64>() * c.peak_factor() >= c.factor(now as f64)
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
    pub(super) start: Millis,
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
        let elapsed = elapsed + rng.sample::<f64, _>(Exp1) * self.gap;
        let (kind, device) = if ONLY_REQUESTS {
            (ArrivalKind::Request, requesters.sample(rng))
        } else if thinned_out(self.cycle, rng, self.start + elapsed as Millis) {
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
