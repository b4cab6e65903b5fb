//! The walk most requests take: for a chain of caches that only keep
//! answers (no prefetch, serve-stale, eviction or restamping), but for a
//! resolver that may prefetch and be sharded, spelt out with each layer's
//! lifetime bounds instead of its policy. Same answers and random draws as
//! the general walk.

use super::upstream::{next_in_rotation, pick_address, Upstream};
use super::{Answer, Entry, Partition, Reached, Staleness, NO_POOL, RESOLVER};
use crate::duration::Millis;
use crate::engine::{table, Layer};
use rand::RngExt;

impl Partition<'_> {
    /// A request from device `d`, whose chain is plain ([`PLAIN`]), at
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
        // The answer's fields as plain locals: updated one by one, they stay
        // in registers (a struct updated field by field in memory and then
        // copied whole stalls the copy).
        let record = &m.scenario.record;
        let resolver_pool = self.plan.resolver_pool.map_or(NO_POOL, |p| p as u8);
        // What a prefetching resolver keeps of an answer from upstream:
        // written whole, since it reads the lifetime back.
        let resolver_keeps = |answer: &Answer| {
            let kept = m.bounds[table(Layer::Resolver)]
                .get(resolver_pool)
                .keep(answer.ttl);
            let stale = answer.stale.kept_until(now + kept, Layer::Resolver);
            (Entry::holding(answer, kept, Millis::MAX, now, stale), kept, stale)
        };
        let (version, mut ttl, held_at, mut first, mut stale) = match held {
            Some((entry, Layer::Resolver)) => {
                let first = next_in_rotation(record, &mut self.caches.rotations[shard], entry.version);
                let remaining = entry.expires - now;
                let policy = &m.policies[RESOLVER];
                if self.caches.resolver_prefetches
                    && remaining <= policy[resolver_pool as usize].prefetch_point(entry.lifetime)
                {
                    // A hit late in the answer's life refreshes the shard;
                    // this request still gets the answer it hit.
                    let upstream = Upstream {
                        model: m,
                        rng: &mut self.streams.walk,
                        secondary_phases: &self.caches.secondary_phases,
                        rotation: &mut self.caches.authoritative_rotation,
                    };
                    self.caches.shards[shard] = resolver_keeps(&upstream.answer(now)).0;
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
                let upstream = Upstream {
                    model: m,
                    rng: &mut self.streams.walk,
                    secondary_phases: &self.caches.secondary_phases,
                    rotation: &mut self.caches.authoritative_rotation,
                };
                let a = upstream.answer(now);
                (a.version, a.ttl, a.held_at, a.first, a.stale)
            }
        };
        let cause = stale.cause_at(now, held_at);
        // Down: kept by every cache below the one that held it. A plain
        // cache reads only when its answer expires, so only that, the
        // version and the order are written (see [`Entry::keep_plain`]).
        // Each cache that keeps it past the record's TTL may be the cause
        // of later old requests (see [`Staleness::kept_until`]).
        let keep = |entry: &mut Entry,
                    layer: Layer,
                    pool: u8,
                    ttl: &mut Millis,
                    first: u8,
                    stale: &mut Staleness| {
            let t = table(layer);
            let kept = m.bounds[t].get(pool).keep(*ttl);
            *ttl = kept;
            *stale = stale.kept_until(now + kept, layer);
            entry.keep_plain(version, first, kept, has(layer), now, *stale);
        };
        if held_at > Layer::Resolver && has(Layer::Resolver) {
            if self.caches.resolver_prefetches {
                let answer = Answer {
                    version,
                    ttl,
                    held_at,
                    first,
                    stale,
                    cause,
                };
                (self.caches.shards[shard], ttl, stale) = resolver_keeps(&answer);
            } else {
                let entry = &mut self.caches.shards[shard];
                keep(entry, Layer::Resolver, resolver_pool, &mut ttl, first, &mut stale);
            }
            first = next_in_rotation(record, &mut self.caches.rotations[shard], version);
        }
        let router_pool = household.router_pool;
        if held_at > Layer::Router {
            keep(
                &mut household.router,
                Layer::Router,
                router_pool,
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
        if connection.is_some() {
            device.connect(address, now, stale);
        }
        Reached {
            address,
            held_at,
            cause,
        }
    }
}
