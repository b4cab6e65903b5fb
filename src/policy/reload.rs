//! nscd's reload: the cache prunes every `within`, at a phase of its own,
//! and an expired entry keeps answering until the next prune; that prune
//! fetches the answer again from upstream, unless the entry has been
//! reloaded `count` times since a lookup last used it (then it is dropped).
//! So a cache used now and then keeps its entries fresh by itself and asks
//! upstream on its own schedule: its device keeps to the partition's time
//! order (no run-ahead), an entry lives until the prune after it expires
//! (up to `within` more, its part of the latest-old-answer bound), and the
//! warm-up covers every reload an unused entry still gets.

use crate::duration::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reload {
    pub within: Millis,
    pub count: u8,
}

impl Reload {
    /// The first prune strictly after `t` of a cache that prunes every
    /// `within` at `phase` (0 ≤ phase < within).
    #[inline]
    pub fn next_prune(&self, phase: Millis, t: Millis) -> Millis {
        phase + self.within * ((t - phase).div_euclid(self.within) + 1)
    }

    /// How often an unused entry kept `lifetime` is reloaded under a
    /// steady TTL: a whole number of prunes.
    pub fn cycle(&self, lifetime: Millis) -> Millis {
        self.within * (lifetime.div_euclid(self.within) + 1)
    }

    /// How long the cache's state remembers its start when answers live at
    /// most `longest`: every reload an unused entry still gets.
    pub fn memory(&self, longest: Millis) -> Millis {
        longest.saturating_mul(Millis::from(self.count) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prunes_come_every_within_at_the_phase() {
        let nscd = Reload {
            within: 15_000,
            count: 5,
        };
        assert_eq!(nscd.next_prune(4_000, 0), 4_000);
        assert_eq!(nscd.next_prune(4_000, 4_000), 19_000);
        assert_eq!(nscd.next_prune(4_000, -1), 4_000);
        assert_eq!(nscd.cycle(20_000), 30_000);
        assert_eq!(nscd.memory(315_000), 6 * 315_000);
    }
}
