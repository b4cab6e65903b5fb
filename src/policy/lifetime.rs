//! Clamping, stretching and fixed TTLs: how long a cache keeps an answer
//! handed to it with a TTL. A fixed lifetime keeps every answer that long
//! whatever its TTL (browsers, pinning ISPs); otherwise the TTL is clamped
//! between a minimum and a maximum, then stretched (macOS keeps the TTL
//! × 1.25, plus 2 s). The rule is monotone in the TTL, which the
//! latest-old-answer bound relies on; its part of that bound is
//! [`Bounds::stores`].

use crate::duration::Millis;

/// How long a cache keeps an answer received with a TTL: the TTL clamped
/// between `min` and `max` (`min <= max`), then stretched by `stretch`/1024
/// of itself and `add`. A fixed lifetime is a clamp with `min == max`. The
/// default keeps every TTL as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub min: Millis,
    pub max: Millis,
    pub stretch: Millis,
    pub add: Millis,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            min: Millis::MIN,
            max: Millis::MAX,
            stretch: 0,
            add: 0,
        }
    }
}

/// Lifetimes stretched are held below this first, so the product cannot
/// overflow (2^50 ms is 35,000 years).
const STRETCH_CAP: Millis = 1 << 50;

/// Store times of answers running down towards `expires` (see
/// [`Bounds::stores`]): kept as if handed `ttl` throughout, or for a
/// lifetime that falls as what is left runs down (the first store then
/// lives longest).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stores {
    Steady { from: Millis, to: Millis, ttl: Millis },
    RunningDown { from: Millis, expires: Millis },
}

impl Bounds {
    /// Keeps every answer `lifetime`, whatever its TTL.
    pub const fn fixed(lifetime: Millis) -> Bounds {
        Bounds {
            min: lifetime,
            max: lifetime,
            stretch: 0,
            add: 0,
        }
    }

    /// Clamps the TTL to `min ..= max`, then keeps `factor` times it plus
    /// `add` (the factor as 1024ths, as the engine computes it).
    pub fn clamped(min: Millis, max: Millis, factor: f64, add: Millis) -> Bounds {
        Bounds {
            min,
            max: max.max(min),
            stretch: ((factor - 1.0) * 1024.0).round() as Millis,
            add,
        }
    }

    /// How long an answer handed with `ttl` is kept. Exact for the default
    /// (no stretch, nothing added): "forever" stays forever, and a layer
    /// without a cache passes any TTL through.
    #[inline(always)]
    pub fn keep(self, ttl: Millis) -> Millis {
        let kept = ttl.max(self.min).min(self.max);
        kept + ((kept.min(STRETCH_CAP) * self.stretch) >> 10) + self.add
    }

    /// The rule's part of the latest-old-answer bound: answers stored from
    /// `from` until `expires` from an upstream copy that hands what is left
    /// of its life, split where the rule changes form. While more than the
    /// maximum is left the lifetime is the maximum's, once less than the
    /// minimum is left the minimum's, and in between it falls with what is
    /// left (so the first store of the stretch lives longest).
    pub fn stores(self, from: Millis, expires: Millis) -> Vec<Stores> {
        let max = self.max.max(self.min);
        let min = self.min.max(0);
        let capped_until = expires.saturating_sub(max).clamp(from, expires);
        let floored_from = expires.saturating_sub(min).clamp(capped_until, expires);
        let mut out = Vec::with_capacity(3);
        if capped_until > from {
            out.push(Stores::Steady {
                from,
                to: capped_until,
                ttl: max,
            });
        }
        if floored_from > capped_until {
            out.push(Stores::RunningDown {
                from: capped_until,
                expires,
            });
        }
        if expires > floored_from {
            out.push(Stores::Steady {
                from: floored_from,
                to: expires,
                ttl: min,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::{DAY, HOUR, SECOND};

    #[test]
    fn fixed_keeps_and_clamps_then_stretches() {
        assert_eq!(Bounds::fixed(60 * SECOND).keep(DAY), 60 * SECOND);
        let clamp = Bounds::clamped(HOUR, DAY, 1.0, 0);
        assert_eq!(clamp.keep(60 * SECOND), HOUR);
        assert_eq!(clamp.keep(7 * DAY), DAY);
        // Stretched after clamping: a 20 s TTL under a 5 min floor, × 1.5.
        assert_eq!(
            Bounds::clamped(300 * SECOND, Millis::MAX, 1.5, 0).keep(20 * SECOND),
            450 * SECOND
        );
    }

    #[test]
    fn stores_split_where_the_rule_changes_form() {
        let b = Bounds::clamped(10 * SECOND, HOUR, 1.25, 2 * SECOND);
        let stores = b.stores(0, 2 * HOUR);
        assert_eq!(
            stores,
            vec![
                Stores::Steady {
                    from: 0,
                    to: HOUR,
                    ttl: HOUR
                },
                Stores::RunningDown {
                    from: HOUR,
                    expires: 2 * HOUR
                },
                Stores::Steady {
                    from: 2 * HOUR - 10 * SECOND,
                    to: 2 * HOUR,
                    ttl: 10 * SECOND
                },
            ]
        );
    }
}
