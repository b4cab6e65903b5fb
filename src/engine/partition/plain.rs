//! The walk most requests take: for a chain of caches that only keep
//! answers (no prefetch, serve-stale, eviction or restamping), but for a
//! resolver that may prefetch and be sharded, spelt out with each layer's
//! lifetime bounds instead of its policy. Same answers and random draws as
//! the general walk.

use super::upstream::{next_in_rotation, pick_address, Upstream};
use super::{Answer, Entry, Partition, Reached, Staleness, NO_POOL, RESOLVER};
use crate::duration::Millis;
use crate::engine::{table, Layer, Model};
use rand::RngExt;

impl Partition<'_> {
    /// A request from device `d`, whose chain is plain (`Device::plain`), at
    /// `now`: its connection, else [`Self::resolve`]'s walk from the app up
    /// and back down, spelt out for caches that only keep answers. It is the
    /// walk most requests take, so it reads each layer's lifetime bounds
    /// instead of its policy and borrows each piece of state once. Same
    /// answers and same random draws as the general walk, so the same results
    /// to the byte (tests/equivalence.rs).
    #[inline(always)]
    pub(super) fn serve_plain(&mut self, now: Millis, d: usize) -> Reached {
        let m = self.model;
        let device = &mut self.caches.devices[d];
        let connection = m.connections.get(device.app_pool);
        if let Some(c) = connection {
            if let Some((address, cause)) = device.connection_hit(c, now) {
                return Reached {
                    address,
                    held_at: Layer::Connection,
                    cause,
                };
            }
        }
        let caches = device.caches;
        let has = |layer: Layer| caches.has(layer);
        let household = &mut self.caches.households[device.household as usize];
        // The resolver shard this request would reach, drawn (as the general
        // walk draws it) only once the layers below have missed.
        let mut shard = 0;
        // Up: the first cache with a live answer (plain caches evict nothing
        // early, so an answer is live until it expires). The entry of a layer
        // without a cache is never live (see [`Entry::keep_plain`]), so the
        // walk asks every layer and takes no branch on which layers cache.
        let live_at = |entry: &Entry| now < entry.expires;
        let held = if live_at(&device.app) {
            Some((device.app, Layer::App))
        } else if live_at(&device.os) {
            Some((device.os, Layer::Os))
        } else if live_at(&household.router) {
            Some((household.router, Layer::Router))
        } else {
            if has(Layer::Resolver) && self.caches.shards.len() > 1 {
                shard = self.streams.walk.random_range(0..self.caches.shards.len());
            }
            self.caches
                .shards
                .get(shard)
                .filter(|entry| has(Layer::Resolver) && live_at(entry))
                .map(|entry| (*entry, Layer::Resolver))
        };
        let (version, ttl, held_at, first, stale) = self.plain_answer(now, held, shard);
        let cause = stale.cause_at(now, held_at);
        let held = (version, ttl, held_at, first, stale);
        let address = self.plain_down(now, d, shard, held, connection.is_some());
        Reached {
            address,
            held_at,
            cause,
        }
    }

    /// The answer the plain walk found `held` (an entry and its layer; the
    /// authoritative's when none), with a prefetching resolver refreshed
    /// late in its answer's life: (version, TTL handed, layer, order,
    /// staleness). The fields travel as plain locals: updated one by one,
    /// they stay in registers (a struct updated field by field in memory
    /// and then copied whole stalls the copy).
    #[inline(always)]
    fn plain_answer(
        &mut self,
        now: Millis,
        held: Option<(Entry, Layer)>,
        shard: usize,
    ) -> (u16, Millis, Layer, u8, Staleness) {
        let m = self.model;
        let upstream = Upstream {
            model: m,
            rng: &mut self.streams.walk,
            secondary_phases: &self.caches.secondary_phases,
            rotation: &mut self.caches.authoritative_rotation,
        };
        match held {
            Some((entry, Layer::Resolver)) => {
                let record = &m.scenario.record;
                let first = next_in_rotation(record, &mut self.caches.rotations[shard], entry.version);
                let remaining = entry.expires - now;
                let pool = self.plan.resolver_pool.map_or(NO_POOL, |p| p as u8);
                if self.caches.resolver_prefetches
                    && remaining <= m.policies[RESOLVER][pool as usize].prefetch_point(entry.lifetime)
                {
                    // A hit late in the answer's life refreshes the shard;
                    // this request still gets the answer it hit.
                    let fresh = upstream.answer(now);
                    self.caches.shards[shard] = resolver_keeps(m, pool, now, &fresh).0;
                }
                (
                    entry.version,
                    remaining,
                    Layer::Resolver,
                    first,
                    entry.staleness(),
                )
            }
            Some((entry, held_at)) => (
                entry.version,
                entry.expires - now,
                held_at,
                entry.first,
                entry.staleness(),
            ),
            None => {
                let a = upstream.answer(now);
                (a.version, a.ttl, a.held_at, a.first, a.stale)
            }
        }
    }

    /// Down device `d`'s plain chain: the answer `held` (as
    /// [`Self::plain_answer`] gives it) kept by every cache below the one
    /// that held it. A plain cache reads only when its answer expires, so
    /// only that, the version and the order are written (see
    /// [`Entry::keep_plain`]); each cache that keeps it past the record's
    /// TTL may be the cause of later old requests (see
    /// [`Staleness::kept_until`]). Then the address the request reaches,
    /// and the connection it opens (`connects`).
    #[inline(always)]
    fn plain_down(
        &mut self,
        now: Millis,
        d: usize,
        shard: usize,
        (version, mut ttl, held_at, mut first, mut stale): (u16, Millis, Layer, u8, Staleness),
        connects: bool,
    ) -> u8 {
        let m = self.model;
        let record = &m.scenario.record;
        let device = &mut self.caches.devices[d];
        let has = device.caches;
        let keep = |entry: &mut Entry,
                    layer: Layer,
                    pool: u8,
                    ttl: &mut Millis,
                    first: u8,
                    stale: &mut Staleness| {
            let kept = m.bounds[table(layer)].get(pool).keep(*ttl);
            *ttl = kept;
            *stale = stale.kept_until(now + kept, layer);
            entry.keep_plain(version, first, kept, has.has(layer), now, *stale);
        };
        if held_at > Layer::Resolver && has.has(Layer::Resolver) {
            let pool = self.plan.resolver_pool.map_or(NO_POOL, |p| p as u8);
            if self.caches.resolver_prefetches {
                let answer = Answer {
                    version,
                    ttl,
                    held_at,
                    first,
                    stale,
                    cause: 0,
                };
                (self.caches.shards[shard], ttl, stale) = resolver_keeps(m, pool, now, &answer);
            } else {
                keep(
                    &mut self.caches.shards[shard],
                    Layer::Resolver,
                    pool,
                    &mut ttl,
                    first,
                    &mut stale,
                );
            }
            first = next_in_rotation(record, &mut self.caches.rotations[shard], version);
        }
        let household = &mut self.caches.households[device.household as usize];
        if held_at > Layer::Router {
            let pool = household.router_pool;
            keep(
                &mut household.router,
                Layer::Router,
                pool,
                &mut ttl,
                first,
                &mut stale,
            );
        }
        if held_at > Layer::Os {
            keep(
                &mut device.os,
                Layer::Os,
                device.os_pool,
                &mut ttl,
                first,
                &mut stale,
            );
        }
        if held_at > Layer::App {
            keep(
                &mut device.app,
                Layer::App,
                device.app_pool,
                &mut ttl,
                first,
                &mut stale,
            );
        }
        let address = pick_address(record, &mut self.streams.walk, version, first);
        if connects {
            device.connect(address, now, stale);
        }
        address
    }
}

/// What a prefetching resolver (of pool `pool`) keeps of an answer from
/// upstream at `now`: written whole, since it reads the lifetime back; with
/// the TTL it hands down and how it then stands against the record's TTL.
#[inline(always)]
fn resolver_keeps(m: &Model, pool: u8, now: Millis, answer: &Answer) -> (Entry, Millis, Staleness) {
    let kept = m.bounds[table(Layer::Resolver)].get(pool).keep(answer.ttl);
    let stale = answer.stale.kept_until(now + kept, Layer::Resolver);
    (Entry::holding(answer, kept, Millis::MAX, now, stale), kept, stale)
}
