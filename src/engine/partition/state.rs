//! A partition's state: cached answers, devices and households, and the
//! answers and counts that pass between them. Flat and small, so a
//! partition's devices sit close together in memory.

use super::run_ahead::Busy;
use crate::duration::Millis;
use crate::engine::{Layer, LayerMask};
use crate::scenario::Connection;

pub(super) const NO_VERSION: u16 = u16::MAX;
pub(super) const NO_ADDRESS: u8 = u8::MAX;
pub(super) const NO_POOL: u8 = u8::MAX;

/// One cached answer.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub(super) expires: Millis,
    /// How long it was kept when stored (prefetch, restamp).
    pub(super) lifetime: Millis,
    /// Early eviction (busy caches); `Millis::MAX` when the policy has none.
    pub(super) evicted: Millis,
    pub(super) version: u16,
    /// The answer's order as this cache received it (see [`Answer::first`]).
    pub(super) first: u8,
}

impl Entry {
    pub(super) const EMPTY: Entry = Entry {
        expires: Millis::MIN,
        lifetime: 0,
        evicted: Millis::MAX,
        version: NO_VERSION,
        first: 0,
    };

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
    pub(super) fn keep_plain(&mut self, version: u16, first: u8, kept: Millis, caches: bool, now: Millis) {
        debug_assert!(kept >= 0 || !caches);
        self.expires = if caches { now + kept } else { Millis::MIN };
        self.version = version;
        self.first = first;
    }

    /// `answer` kept for `kept` from `now` (nothing kept if `kept` is not
    /// positive). Times and lifetimes are at most `FOREVER` (`i64::MAX / 8`)
    /// either way, so the sum cannot overflow.
    #[inline(always)]
    pub(super) fn holding(answer: &Answer, kept: Millis, evicted: Millis, now: Millis) -> Entry {
        if kept > 0 {
            Entry {
                expires: now + kept,
                lifetime: kept,
                evicted,
                version: answer.version,
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
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Device {
    pub(super) app: Entry,
    pub(super) os: Entry,
    pub(super) conn_opened: Millis,
    pub(super) conn_last: Millis,
    pub(super) household: u32,
    /// Last bucket (+1) with a request, and with a request to an old address.
    pub(super) last_active: u32,
    pub(super) last_old: u32,
    pub(super) app_pool: u8,
    pub(super) os_pool: u8,
    pub(super) conn_address: u8,
    /// The layers of this device's chain that have a cache, and
    /// [`LayerMask::PLAIN`] when the plain walk serves it.
    pub(super) caches: LayerMask,
}

/// Memory per device while its partition runs, at most: its state, its
/// alias-table column (8 bytes), its three rates while the tables are built
/// (24 bytes), and, if it is busy, its stream and its place in the queue.
pub const BYTES_PER_DEVICE: usize =
    std::mem::size_of::<Device>() + 32 + std::mem::size_of::<Busy>() + std::mem::size_of::<(u64, u32)>();
/// Memory per household while its partition runs.
pub const BYTES_PER_HOUSEHOLD: usize = std::mem::size_of::<Household>();

impl Device {
    /// A request at `now` over this device's keep-alive connection (kept as
    /// `c` says), if it is open: the address it goes to.
    #[inline(always)]
    pub(super) fn connection_hit(&mut self, c: Connection, now: Millis) -> Option<u8> {
        let open = self.conn_address != NO_ADDRESS
            && now - self.conn_last <= c.idle_timeout
            && now - self.conn_opened < c.max_age;
        if !open {
            return None;
        }
        self.conn_last = now;
        Some(self.conn_address)
    }

    /// Opens a new keep-alive connection to `address` at `now`.
    #[inline(always)]
    pub(super) fn connect(&mut self, address: u8, now: Millis) {
        self.conn_address = address;
        self.conn_opened = now;
        self.conn_last = now;
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

/// Requests of one device that went the same way (same address, layer and
/// staleness) within one bucket, counted in one go.
#[derive(Clone, Copy, Debug)]
pub(super) struct Served {
    pub(super) requests: u64,
    pub(super) address: u8,
    pub(super) held_at: Layer,
    pub(super) old: bool,
    /// When the last of them was made.
    pub(super) last: Millis,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Per-device state stays small and flat (README's memory figures).
    #[test]
    fn state_is_small() {
        assert_eq!(std::mem::size_of::<Entry>(), 32);
        assert_eq!(std::mem::size_of::<Device>(), 96);
        assert_eq!(std::mem::size_of::<Household>(), 40);
        assert_eq!(std::mem::size_of::<Busy>(), 40);
        assert_eq!(BYTES_PER_DEVICE, 184);
    }
}
