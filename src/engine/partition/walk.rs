//! The general walk: up the device's chain to the first cache holding a
//! live answer (or the authoritative), and back down storing the answer in
//! every cache that missed, with prefetch, serve-stale, shards, eviction
//! and restamping as each cache's policy says.

use super::upstream::{next_in_rotation, Upstream};
use super::{live, Answer, Entry, Partition, NO_VERSION};
use crate::duration::Millis;
use crate::engine::{Layer, LayerMask};
use crate::policy::{evicted_at, restamp};
use rand::RngExt;

impl Partition<'_> {
    /// Asks the caches from `from` up, stopping at the first that holds a
    /// live answer (or the authoritative), then stores the answer in every
    /// cache that missed on the way back down. The device's `caches` mask
    /// says which layers of its chain cache at all. The walk is spelt out
    /// layer by layer so each step compiles to that layer's own code.
    pub(super) fn resolve(&mut self, from: Layer, now: Millis, d: usize) -> Answer {
        let caches = self.caches.devices[d].caches & LayerMask::from(from);
        let mut missed = LayerMask::EMPTY;
        let mut shard = 0;
        let found = 'walk: {
            for layer in [Layer::App, Layer::Os, Layer::Router] {
                if let Some(answer) = self.ask(layer, caches, &mut missed, 0, now, d) {
                    break 'walk Some(answer);
                }
            }
            if caches.has(Layer::Resolver) && self.caches.shards.len() > 1 {
                shard = self.streams.walk.random_range(0..self.caches.shards.len());
            }
            self.ask(Layer::Resolver, caches, &mut missed, shard, now, d)
        };
        let mut answer = match found {
            Some(answer) => answer,
            None => self.upstream_of_resolver(shard, missed.has(Layer::Resolver), now),
        };
        if missed.has(Layer::Resolver) {
            answer = self.store(Layer::Resolver, d, shard, answer, now);
            answer.first = self.next_first(Some(shard), answer.version);
        }
        for layer in [Layer::Router, Layer::Os, Layer::App] {
            if missed.has(layer) {
                answer = self.store(layer, d, shard, answer, now);
            }
        }
        answer
    }
    /// One step of [`Self::resolve`]'s walk up: the answer of the cache at
    /// `layer` if the chain has one there and it hits; a miss is added to `missed`.
    #[inline(always)]
    pub(super) fn ask(
        &mut self,
        layer: Layer,
        caches: LayerMask,
        missed: &mut LayerMask,
        shard: usize,
        now: Millis,
        d: usize,
    ) -> Option<Answer> {
        if !caches.has(layer) {
            return None;
        }
        let answer = self.lookup(layer, shard, now, d);
        if answer.is_none() {
            *missed |= LayerMask::of(layer);
        }
        answer
    }

    /// What a resolver shard that `caches` (or requests passing a layer
    /// without one) gets from upstream at `now`: the authoritative's answer,
    /// or for an alias, the answer built from it (see `alias.rs`).
    #[inline(always)]
    fn upstream_of_resolver(&mut self, shard: usize, caches: bool, now: Millis) -> Answer {
        if self.model.scenario.record.alias.is_some() {
            self.follow_alias(shard, caches, now)
        } else {
            self.ask_provider(shard, caches, now)
        }
    }

    /// A cache's refresh while it answers (prefetch, serve-stale): what its
    /// upstream hands at `now`.
    fn refresh(&mut self, layer: Layer, shard: usize, now: Millis, d: usize) -> Answer {
        if layer == Layer::Resolver {
            self.upstream_of_resolver(shard, true, now)
        } else {
            self.resolve(layer.up(), now, d)
        }
    }

    /// The answer the authoritative server gives at `now`.
    pub(super) fn authoritative(&mut self, now: Millis) -> Answer {
        let upstream = Upstream {
            model: self.model,
            rng: &mut self.streams.walk,
            secondary_phases: &self.caches.secondary_phases,
            rotation: &mut self.caches.authoritative_rotation,
        };
        upstream.answer(now)
    }

    /// The next position in the round robin of a resolver shard, or of the
    /// authoritative when `None` (see [`next_in_rotation`]).
    #[inline]
    pub(super) fn next_first(&mut self, shard: Option<usize>, version: u16) -> u8 {
        let counter = match shard {
            Some(i) => &mut self.caches.rotations[i],
            None => &mut self.caches.authoritative_rotation,
        };
        next_in_rotation(&self.model.scenario.record, counter, version)
    }

    /// A hit at one cache: its answer, after any prefetch or serve-stale
    /// refresh it triggers. `None` on a miss.
    #[inline(always)]
    pub(super) fn lookup(&mut self, layer: Layer, shard: usize, now: Millis, d: usize) -> Option<Answer> {
        let policy = self.policy(layer, d);
        let entry = *self.slot(layer, d, shard);
        let stale = entry.staleness();
        if live(&entry, now) {
            if layer == Layer::Os && policy.reload.is_some() {
                self.caches.devices[d].os_reloads = 0; // used: reloads count from here
            }
            let remaining = entry.expires - now;
            let first = if layer == Layer::Resolver {
                self.next_first(Some(shard), entry.version)
            } else {
                entry.first
            };
            let ttl = restamp::handed(policy.restamp, remaining, entry.lifetime);
            let answer = Answer {
                version: entry.version,
                ttl,
                held_at: layer,
                first,
                // Restamping hands down more than is left: past the record's TTL, its doing.
                stale: stale.kept_until(now + ttl, layer),
                cause: stale.cause_at(now, layer),
            };
            if policy.hit_asks_upstream() && remaining <= policy.prefetch_point(entry.lifetime) {
                let fresh = self.refresh(layer, shard, now, d);
                self.store(layer, d, shard, fresh, now);
            }
            return Some(answer);
        }
        let serve = policy.serve_stale?;
        if entry.version != NO_VERSION && serve.answers(entry.expires, now) && now < entry.evicted {
            let fresh = self.refresh(layer, shard, now, d);
            self.store(layer, d, shard, fresh, now);
            return Some(Answer {
                version: entry.version,
                ttl: serve.reply_ttl,
                held_at: layer,
                first: entry.first,
                stale: stale.kept_until(now + serve.reply_ttl, layer),
                // Past the record's TTL, a stale answer is this cache's doing.
                cause: stale.cause_at(now, layer),
            });
        }
        None
    }

    /// Keeps `answer` at `layer` as its policy says; returns the answer as
    /// this cache hands it downstream: the lifetime kept as its TTL, and
    /// this cache as the cause if it keeps it past the record's TTL.
    #[inline(always)]
    pub(super) fn store(
        &mut self,
        layer: Layer,
        d: usize,
        shard: usize,
        answer: Answer,
        now: Millis,
    ) -> Answer {
        let policy = self.policy(layer, d);
        let mut kept = policy.lifetime(answer.ttl);
        // A resolver keeps what an alias led it to no longer than the alias.
        if layer == Layer::Resolver {
            if let Some(cap) = self.alias_cap(shard, now) {
                kept = kept.min(cap - now);
            }
        }
        // A reloading OS cache answers until its next prune after the
        // answer expires (see `reload.rs`).
        let reload = policy.reload.filter(|_| layer == Layer::Os);
        if let Some(r) = reload {
            kept = self.next_prune(d, now + kept, r) - now;
        }
        let evicted = evicted_at(&mut self.streams.walk, now, policy.evict_after);
        let stale = answer.stale.kept_until(now + kept, layer);
        *self.slot(layer, d, shard) = Entry::holding(&answer, kept, evicted, now, stale);
        if reload.is_some() {
            // Fetched for a request: reloads count from here.
            self.caches.devices[d].os_reloads = 0;
            self.schedule_reload(d, now + kept);
        }
        Answer {
            ttl: kept,
            stale,
            ..answer
        }
    }
}
