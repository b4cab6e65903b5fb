//! A partition's state: cached answers, devices and households, and the
//! answers and counts that pass between them. Flat and small, so a
//! partition's devices sit close together in memory.

use super::run_ahead::Busy;
use crate::duration::Millis;
use crate::engine::{cause, Layer, LayerMask};
use crate::scenario::Connection;

pub(super) const NO_VERSION: u16 = u16::MAX;
pub(super) const NO_ADDRESS: u8 = u8::MAX;
pub(super) const NO_POOL: u8 = u8::MAX;

/// How an answer stands against the record's TTL: when the TTL the record
/// gave it retires it, and the cause slot of the cache nearest the
/// authoritative that has kept it (or handed it down) past that moment
/// ([`cause::NONE`] while none has). See [`crate::engine::cause`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Staleness {
    pub(super) retire: Millis,
    /// A cause code (see [`cause::CODE_TTL`]).
    pub(super) cause: u8,
}

impl Staleness {
    /// Fetched from the authoritative at `now` with the record's `ttl`.
    pub(super) const fn fetched(now: Millis, ttl: Millis) -> Staleness {
        Staleness {
            retire: now.saturating_add(ttl),
            cause: cause::CODE_NONE,
        }
    }

    /// An old answer a resolver fetched at `now` through a record set it
    /// still held from before the change (an alias, a delegation): retired
    /// already, that record set's doing (`code`) inside the TTL it came
    /// with (until `retire`), the resolver's that kept it longer past it.
    pub(super) fn through_held(now: Millis, retire: Millis, code: u8) -> Staleness {
        Staleness {
            retire: now,
            cause: if now < retire { code } else { Layer::Resolver as u8 },
        }
    }

    /// Kept (or handed down to be kept) until `until` by the cache at
    /// `layer`: that cache becomes the cause if it is the first to keep the
    /// answer past its retirement.
    #[inline(always)]
    pub(super) fn kept_until(self, until: Millis, layer: Layer) -> Staleness {
        let first = self.cause == cause::CODE_NONE && until > self.retire;
        Staleness {
            retire: self.retire,
            cause: if first { layer as u8 } else { self.cause },
        }
    }

    /// The cause code of a request at `now` answered with this answer by
    /// the cache at `holder`: the record's TTL while it lasts, else the
    /// cache that kept the answer past it (the holder if none is known).
    #[inline(always)]
    pub(super) fn cause_at(self, now: Millis, holder: Layer) -> u8 {
        if now < self.retire {
            cause::CODE_TTL
        } else if self.cause != cause::CODE_NONE {
            self.cause
        } else {
            holder as u8
        }
    }
}

/// One cached answer.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub(super) expires: Millis,
    /// How long it was kept when stored (prefetch, restamp).
    pub(super) lifetime: Millis,
    /// Early eviction (busy caches); `Millis::MAX` when the policy has none.
    pub(super) evicted: Millis,
    pub(super) retire: Millis,
    pub(super) version: u16,
    /// The cause code of [`Staleness`], kept beside `retire` in two
    /// fields so the entry packs into 40 bytes.
    pub(super) cause: u8,
    /// The answer's order as this cache received it (see [`Answer::first`]).
    pub(super) first: u8,
}

impl Entry {
    pub(super) const EMPTY: Entry = Entry {
        expires: Millis::MIN,
        lifetime: 0,
        evicted: Millis::MAX,
        retire: Millis::MIN,
        version: NO_VERSION,
        cause: cause::CODE_NONE,
        first: 0,
    };

    #[inline(always)]
    pub(super) fn staleness(&self) -> Staleness {
        Staleness {
            retire: self.retire,
            cause: self.cause,
        }
    }

    /// Keeps version `version` (its order starting at `first`) for `kept`
    /// from `now` in a plain cache (see [`crate::policy::Policy::is_plain`]),
    /// writing only what such a cache reads: when it expires, the version and
    /// the order. Its `lifetime` is read only for prefetch and restamping,
    /// and its `evicted` stays `Millis::MAX` (a plain cache evicts nothing
    /// early), so both may stay as they are. The same entry as
    /// [`Entry::holding`] as far as any reader can tell.
    ///
    /// At a layer without a cache (`caches` false) the entry is written
    /// never to be live, so walks need not ask first whether a layer caches.
    /// A cache's `kept` is never negative, and a zero lifetime expires at
    /// once (`now` is not before `now`), as [`Entry::EMPTY`] would.
    #[inline(always)]
    pub(super) fn keep_plain(
        &mut self,
        version: u16,
        first: u8,
        kept: Millis,
        caches: bool,
        now: Millis,
        stale: Staleness,
    ) {
        debug_assert!(kept >= 0 || !caches);
        self.expires = if caches { now + kept } else { Millis::MIN };
        self.version = version;
        self.first = first;
        self.retire = stale.retire;
        self.cause = stale.cause;
    }

    /// `answer` kept for `kept` from `now` (nothing kept if `kept` is not
    /// positive). Times and lifetimes are at most `FOREVER` (`i64::MAX / 8`)
    /// either way, so the sum cannot overflow.
    #[inline(always)]
    pub(super) fn holding(
        answer: &Answer,
        kept: Millis,
        evicted: Millis,
        now: Millis,
        stale: Staleness,
    ) -> Entry {
        if kept > 0 {
            Entry {
                expires: now + kept,
                lifetime: kept,
                evicted,
                retire: stale.retire,
                version: answer.version,
                cause: stale.cause,
                first: answer.first,
            }
        } else {
            Entry::EMPTY
        }
    }
}

/// An answer on its way down the chain.
#[derive(Clone, Copy, Debug)]
pub(super) struct Answer {
    pub(super) version: u16,
    /// The TTL handed downstream.
    pub(super) ttl: Millis,
    /// The layer whose cached copy produced it.
    pub(super) held_at: Layer,
    /// Which of its addresses comes first (rank among them), for clients
    /// that take the first of a rotated answer.
    pub(super) first: u8,
    /// How it stands against the record's TTL, as handed down.
    pub(super) stale: Staleness,
    /// The cause code of the request it answers (see [`Staleness::cause_at`]).
    pub(super) cause: u8,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Device {
    pub(super) app: Entry,
    pub(super) os: Entry,
    pub(super) conn_opened: Millis,
    pub(super) conn_last: Millis,
    /// How the answer the connection was opened with stands against the
    /// record's TTL (its cause slot beside `conn_address`).
    pub(super) conn_retire: Millis,
    pub(super) conn_cause: u8,
    /// Requests the open connection has carried (for a server's limit).
    pub(super) conn_requests: u32,
    pub(super) household: u32,
    pub(super) app_pool: u8,
    pub(super) os_pool: u8,
    pub(super) conn_address: u8,
    /// Reloads of the OS cache's entry since a lookup last used it (nscd).
    pub(super) os_reloads: u8,
    /// The layers of this device's chain that have a cache…
    pub(super) caches: LayerMask,
    /// …and whether every one of them only keeps answers (the resolver may
    /// prefetch and be sharded), so the plain walk serves it.
    pub(super) plain: bool,
}

/// The buckets (+1) in which a device was last active, and last reached an
/// old address: each counted once per bucket.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Stamps {
    pub(super) active: u32,
    pub(super) old: u32,
}

/// Memory per device while its partition runs, at most: its state and
/// stamps, its alias-table column (8 bytes), its three rates while the
/// tables are built (24 bytes), and, if it is busy, its stream and its
/// place in the queue.
pub const BYTES_PER_DEVICE: usize = std::mem::size_of::<Device>()
    + std::mem::size_of::<Stamps>()
    + 32
    + std::mem::size_of::<Busy>()
    + std::mem::size_of::<(u64, u64)>();
/// Memory per household while its partition runs.
pub const BYTES_PER_HOUSEHOLD: usize = std::mem::size_of::<Household>();

impl Device {
    /// A request at `now` over this device's keep-alive connection (kept as
    /// `c` says), if it is open: the address it goes to and the request's
    /// cause code.
    #[inline(always)]
    pub(super) fn connection_hit(&mut self, c: Connection, now: Millis) -> Option<(u8, u8)> {
        if !self.connection_open(c, now) {
            return None;
        }
        self.conn_last = now;
        self.conn_requests += 1;
        let stale = self.connection_staleness();
        Some((self.conn_address, stale.cause_at(now, Layer::Connection)))
    }

    /// How the answer the open connection was opened with stands against
    /// the record's TTL.
    #[inline(always)]
    pub(super) fn connection_staleness(&self) -> Staleness {
        Staleness {
            retire: self.conn_retire,
            cause: self.conn_cause,
        }
    }

    /// Whether the keep-alive connection (under `c`'s limits) can carry a
    /// request at `now`. Once it cannot, it never can again: it is closed,
    /// lazily, by the next request.
    #[inline(always)]
    pub(super) fn connection_open(&self, c: Connection, now: Millis) -> bool {
        self.conn_address != NO_ADDRESS
            && now - self.conn_last <= c.idle_timeout
            && now - self.conn_opened < c.max_age
            && self.conn_requests < c.max_requests
    }

    /// Opens a new keep-alive connection to `address` at `now`, with an
    /// answer that stands as `stale` says.
    #[inline(always)]
    pub(super) fn connect(&mut self, address: u8, now: Millis, stale: Staleness) {
        self.conn_address = address;
        self.conn_opened = now;
        self.conn_last = now;
        self.conn_requests = 1;
        self.conn_retire = stale.retire;
        self.conn_cause = stale.cause;
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Household {
    pub(super) router: Entry,
    pub(super) router_pool: u8,
}

/// Whether a cached entry still answers at `now` (not expired, not evicted).
#[inline(always)]
pub(super) fn live(entry: &Entry, now: Millis) -> bool {
    now < entry.expires && now < entry.evicted
}

/// Where one request went: the address, the layer whose held answer sent it
/// there, and its cause code (see [`crate::engine::cause`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Reached {
    pub(super) address: u8,
    pub(super) held_at: Layer,
    pub(super) cause: u8,
}

/// Requests of one device that went the same way (same address, layer and
/// staleness) within one bucket, counted in one go.
#[derive(Clone, Copy, Debug)]
pub(super) struct Served {
    pub(super) requests: u64,
    pub(super) address: u8,
    pub(super) held_at: Layer,
    pub(super) old: bool,
    /// Their cause code (see [`crate::engine::cause`]).
    pub(super) cause: u8,
    /// When the last of them was made.
    pub(super) last: Millis,
}

impl Served {
    /// Whether a request that `reached` there was served alike, so it can
    /// be counted with these (within one bucket).
    #[inline(always)]
    pub(super) fn alike(&self, reached: &Reached) -> bool {
        reached.address == self.address && reached.held_at == self.held_at && reached.cause == self.cause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Per-device state stays small and flat (README's memory figures).
    #[test]
    fn state_is_small() {
        assert_eq!(std::mem::size_of::<Entry>(), 40);
        assert_eq!(std::mem::size_of::<Device>(), 120);
        assert_eq!(std::mem::size_of::<Household>(), 48);
        assert_eq!(std::mem::size_of::<Busy>(), 40);
        assert_eq!(BYTES_PER_DEVICE, 216);
    }
}
