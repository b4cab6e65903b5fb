//! Cache policies: how long one cache keeps an answer it received with a
//! given TTL, and what it hands downstream. Each feature of a policy is a
//! module of its own, owning its rules wherever the engine needs them (the
//! lifetime, the stationary start, the latest-old-answer bound, whether a
//! hit can ask upstream, what a hit does): the engine's walks, seeding,
//! warm-up and bound call into them. Presets describe real software, each
//! with the source its values come from, so `cachesim presets` can cite it.

mod evict;
mod lifetime;
mod prefetch;
mod presets;
mod reload;
pub mod restamp;
mod serve_stale;

pub use evict::evicted_at;
pub use lifetime::{Bounds, Stores};
pub use prefetch::{ceil, stationary_remaining, Prefetch};
pub use presets::{preset, Preset, PresetKind, PRESETS, PUBLIC_RESOLVER_SHARDS};
pub use reload::Reload;
pub use serve_stale::ServeStale;

use crate::duration::{Millis, FOREVER};

/// How one cache treats answers. `Policy::default()` honours every TTL exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// `false`: no cache at this layer, queries pass through.
    pub caches: bool,
    /// Keep every answer this long whatever its TTL.
    pub fixed_ttl: Option<Millis>,
    pub min_ttl: Millis,
    pub max_ttl: Millis,
    pub prefetch: Option<Prefetch>,
    pub serve_stale: Option<ServeStale>,
    /// Independent caches behind one address; each query reaches one at random.
    pub shards: u32,
    /// Hand downstream the full lifetime instead of the remaining one.
    pub restamp: bool,
    /// Mean time an entry survives before early eviction (busy caches).
    pub evict_after: Option<Millis>,
    /// After clamping, keep this many times the TTL (at least 1)…
    pub ttl_factor: f64,
    /// …plus this long.
    pub ttl_addend: Millis,
    /// Reload expired entries by itself (nscd; OS caches only).
    pub reload: Option<Reload>,
    /// Which NS TTL a resolver keeps for a delegation (resolvers only).
    pub ns: Ns,
}

/// Which TTL a resolver keeps a delegation (NS records) for: the one in
/// the provider's own zone, which replaces the parent's once the provider
/// answers (child-centric, about 90 % of resolvers per RFC 9199), or the
/// parent's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ns {
    #[default]
    Child,
    Parent,
}

impl Ns {
    pub fn name(self) -> &'static str {
        match self {
            Ns::Child => "child",
            Ns::Parent => "parent",
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::HONOUR
    }
}

impl Policy {
    /// Honours every TTL exactly (the default, and an empty policy table).
    pub const HONOUR: Policy = Policy {
        caches: true,
        fixed_ttl: None,
        min_ttl: 0,
        max_ttl: FOREVER,
        prefetch: None,
        serve_stale: None,
        shards: 1,
        restamp: false,
        evict_after: None,
        ttl_factor: 1.0,
        ttl_addend: 0,
        reload: None,
        ns: Ns::Child,
    };

    /// No cache at this layer.
    pub const NONE: Policy = Policy {
        caches: false,
        ..Policy::HONOUR
    };

    /// How long this cache keeps an answer received with `ttl`.
    #[inline]
    pub fn lifetime(&self, ttl: Millis) -> Millis {
        self.bounds().keep(ttl)
    }

    /// The lifetime rule as two bounds (a fixed lifetime is both).
    #[inline]
    pub fn bounds(&self) -> Bounds {
        match self.fixed_ttl {
            Some(fixed) => Bounds::fixed(fixed),
            None => Bounds::clamped(self.min_ttl, self.max_ttl, self.ttl_factor, self.ttl_addend),
        }
    }

    /// A cache that only keeps answers: no prefetch, serve-stale, early
    /// eviction or restamping, so a hit changes nothing and draws nothing.
    pub fn is_plain(&self) -> bool {
        self.prefetch.is_none() && self.keeps_or_prefetches()
    }

    /// Whether this cache only relays what it is handed: it keeps the TTL
    /// as counted down (no fixed or minimum lifetime, no stretching,
    /// nothing cut below `handed`) and does nothing else, so its copy of an
    /// upstream entry expires with that entry.
    pub fn relays(&self, handed: Millis) -> bool {
        self.caches
            && self.is_plain()
            && self.fixed_ttl.is_none()
            && self.min_ttl == 0
            && self.ttl_factor == 1.0
            && self.ttl_addend == 0
            && self.max_ttl >= handed
    }

    /// A cache that keeps answers and at most prefetches them: a hit draws
    /// nothing and changes nothing but, late in an answer's life, the entry
    /// itself. The plain walk handles such a resolver too.
    pub fn keeps_or_prefetches(&self) -> bool {
        self.serve_stale.is_none() && self.evict_after.is_none() && !self.restamp && self.reload.is_none()
    }

    /// A hit may ask upstream (a prefetch refresh), so the cache never
    /// serves a device on its own.
    #[inline]
    pub fn hit_asks_upstream(&self) -> bool {
        self.prefetch.is_some()
    }

    /// An expired entry may still answer (serve-stale), asking upstream as
    /// it does.
    #[inline]
    pub fn expired_answers(&self) -> bool {
        self.serve_stale.is_some()
    }

    /// How much of an entry's `lifetime` is left when a hit triggers a
    /// prefetch (0: never prefetched).
    #[inline]
    pub fn prefetch_point(&self, lifetime: Millis) -> Millis {
        self.prefetch.map_or(0, |p| p.point(lifetime))
    }

    /// The longest an answer can stay here when upstream hands at most `upstream_max`.
    pub fn longest_lifetime(&self, upstream_max: Millis) -> Millis {
        if !self.caches {
            return upstream_max;
        }
        let kept = self.lifetime(upstream_max) + self.reload.map_or(0, |r| r.within);
        let stale = self.serve_stale.map_or(0, |s| s.reply_ttl);
        kept.max(stale)
    }

    /// How long this cache's state can remember a start from its seeded
    /// state when upstream hands at most `upstream_max`: the longest
    /// lifetime, and with reload, every reload an unused entry still gets.
    pub fn memory(&self, upstream_max: Millis) -> Millis {
        let longest = self.longest_lifetime(upstream_max);
        match self.reload {
            Some(r) if self.caches => r.memory(longest),
            _ => longest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::{DAY, HOUR, SECOND};

    #[test]
    fn lifetime_applies_fixed_and_clamps() {
        let fixed = Policy {
            fixed_ttl: Some(60 * SECOND),
            ..Policy::HONOUR
        };
        assert_eq!(fixed.lifetime(DAY), 60 * SECOND);
        let clamp = Policy {
            min_ttl: HOUR,
            max_ttl: DAY,
            ..Policy::HONOUR
        };
        assert_eq!(clamp.lifetime(60 * SECOND), HOUR);
        assert_eq!(clamp.lifetime(7 * DAY), DAY);
        assert_eq!(clamp.lifetime(2 * HOUR), 2 * HOUR);
        assert_eq!(Policy::default().lifetime(5), 5);
        assert_eq!(Policy::default().lifetime(FOREVER), FOREVER);
        let macos = &preset("macos").unwrap().policy;
        assert_eq!(macos.lifetime(300 * SECOND), 377 * SECOND);
        assert_eq!(macos.lifetime(DAY), 4502 * SECOND);
        assert_eq!(macos.lifetime(0), 15 * SECOND);
        assert_eq!(macos.lifetime(20 * SECOND), 27 * SECOND);
    }
}
