//! Prefetch: a hit late in an answer's life refreshes it from upstream in
//! the background (Unbound `prefetch`, BIND `prefetch 2 9`), while the hit
//! itself gets the answer it found. A refresh is a store like any other, so
//! prefetch adds nothing to the latest-old-answer bound; but a hit can ask
//! upstream, so a prefetching cache never serves a device on its own
//! (run-ahead), and its stationary state spends part of each cycle in the
//! prefetch window.

use crate::duration::Millis;
use rand::{Rng, RngExt};
use rand_distr::Open01;

/// A hit that finds less than `max(fraction × lifetime, trigger)` left
/// triggers a refresh, for entries whose lifetime is at least `eligible`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prefetch {
    pub fraction: f64,
    pub trigger: Millis,
    pub eligible: Millis,
}

impl Prefetch {
    /// How much of an entry's `lifetime` is left when a hit triggers a
    /// refresh (0: never refreshed).
    #[inline]
    pub fn point(&self, lifetime: Millis) -> Millis {
        if lifetime < self.eligible {
            return 0;
        }
        ((self.fraction * lifetime as f64) as Millis)
            .max(self.trigger)
            .min(lifetime)
    }
}

/// How long a cache entry stationary at a random moment has left, for a
/// cache under Poisson requests at `rate` (per ms) that keeps answers
/// `lifetime` and refreshes on a hit in the last `window` of it (0: no
/// prefetch); `None` when it is expired, waiting for the next request. A
/// cycle is fresh for the lifetime less the window, then in the window
/// until a hit renews it (mean (1 − e^(−λw))/λ), else expired until the
/// next request (mean e^(−λw)/λ): 1/λ in all after the fresh part.
pub fn stationary_remaining<R: Rng>(
    rng: &mut R,
    lifetime: Millis,
    window: Millis,
    rate: f64,
) -> Option<Millis> {
    let renewed_after = lifetime - window;
    let fresh = renewed_after as f64 * rate;
    // Most caches have no window: no library call for it.
    let in_window = if window != 0 {
        -(-rate * window as f64).exp_m1()
    } else {
        0.0
    };
    let u = rng.random::<f64>() * (fresh + 1.0);
    if u < fresh {
        let until_renewal = ceil(rng.sample::<f64, _>(Open01) * renewed_after as f64).max(1);
        return Some(until_renewal + window);
    }
    if u < fresh + in_window {
        // In the window with no hit yet: the time spent there has density
        // ∝ e^(−λs) on (0, w).
        let spent = -(-rng.random::<f64>() * in_window).ln_1p() / rate;
        return Some((window - ceil(spent)).max(1));
    }
    None
}

/// The least whole number of milliseconds at or above `x` (0 ≤ `x` < 2⁶³),
/// computed inline: `f64::ceil` is a library call on processors without SSE4.1.
#[inline]
pub fn ceil(x: f64) -> Millis {
    let whole = x as Millis;
    if (whole as f64) < x {
        whole + 1
    } else {
        whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_point_is_a_fraction_or_a_trigger_for_eligible_lifetimes() {
        let unbound = Prefetch {
            fraction: 0.1,
            trigger: 0,
            eligible: 0,
        };
        assert_eq!(unbound.point(60_000), 6_000);
        let bind = Prefetch {
            fraction: 0.0,
            trigger: 2_000,
            eligible: 9_000,
        };
        assert_eq!(bind.point(60_000), 2_000);
        assert_eq!(bind.point(8_000), 0);
    }

    #[test]
    fn ceil_matches_the_library() {
        for x in [
            0.0f64,
            1e-12,
            0.5,
            1.0,
            1.0000001,
            2.5,
            299_999.99,
            4.0e15 + 0.5,
            9.0e17,
        ] {
            assert_eq!(ceil(x), x.ceil() as i64, "{x}");
        }
    }
}
