//! A partition's two clocks, and the one place that converts between them.
//! Arrivals are drawn as time elapsed since the partition's start (sums of
//! exponential gaps, as `f64`); caches, buckets and the record keep integer
//! milliseconds since the change. Elapsed time is never negative, so
//! truncating it is taking its floor.

use crate::duration::Millis;

/// Where a partition's warm-up begins, in ms since the change (negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Clock {
    start: Millis,
}

impl Clock {
    pub(super) const fn new(start: Millis) -> Clock {
        Clock { start }
    }

    /// The warm-up's start, in ms since the change.
    #[inline(always)]
    pub(super) const fn start(self) -> Millis {
        self.start
    }

    /// The millisecond (since the change) of a moment `elapsed` after the start.
    #[inline(always)]
    pub(super) fn at(self, elapsed: f64) -> Millis {
        self.start + elapsed as Millis
    }

    /// The time elapsed since the start at millisecond `t` (since the change).
    #[inline(always)]
    pub(super) fn elapsed(self, t: Millis) -> f64 {
        (t - self.start) as f64
    }

    /// A moment `elapsed` after the start, in ms since the change, unrounded
    /// (for integrals over the daily cycle).
    #[inline(always)]
    pub(super) fn since_change(self, elapsed: f64) -> f64 {
        elapsed + self.start as f64
    }
}
