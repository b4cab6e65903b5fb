//! Serve-stale (RFC 8767): after expiry a cache answers once more from the
//! expired entry, with a short reply TTL, while it refreshes from upstream;
//! for up to `max_stale` past expiry. An expired entry can thus answer, so
//! a cache that serves stale never serves a device on its own when expired
//! (run-ahead), its stationary state keeps expired entries, and in the
//! latest-old-answer bound every old copy can answer once more until
//! `max_stale` after the last expires.

use crate::duration::Millis;
use rand::{Rng, RngExt};
use rand_distr::Exp1;

/// After expiry, answer from the expired entry with TTL `reply_ttl` while
/// refreshing, for up to `max_stale` past expiry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServeStale {
    pub max_stale: Millis,
    pub reply_ttl: Millis,
}

impl ServeStale {
    /// Whether an entry that expired at `expires` still answers at `now`.
    #[inline]
    pub fn answers(&self, expires: Millis, now: Millis) -> bool {
        now < expires.saturating_add(self.max_stale)
    }

    /// When an entry of a cache under Poisson requests at `rate` (per ms),
    /// found expired at `start`, expired: as long before as the wait for
    /// the next request has lasted, exponential (memoryless).
    pub fn seeded_expiry<R: Rng>(rng: &mut R, start: Millis, rate: f64) -> Millis {
        start - super::prefetch::ceil(rng.sample::<f64, _>(Exp1) / rate)
    }

    /// Its part of the latest-old-answer bound: with old copies expiring as
    /// late as `latest`, an old answer can be handed until this, with the
    /// reply TTL.
    pub fn answers_until(&self, latest: Millis) -> Millis {
        latest.saturating_add(self.max_stale)
    }
}
