//! A name that is an alias (CNAME): resolvers cache the alias and its
//! target's addresses as two record sets, each with its own TTL, and build
//! answers from them. The alias names the target, so it decides which
//! addresses come back: while a resolver holds the alias fetched before the
//! change, it fetches the old target's addresses again whenever they expire
//! (the old provider keeps answering), whatever their TTL. What it hands
//! downstream lives as long as the shorter of the two: its cached answer
//! expires with the alias. Only resolvers keep the alias apart; the caches
//! below keep the answer they are handed, chain and all, for its TTL.

use super::{live, Answer, Entry, Partition, Staleness};
use crate::duration::Millis;
use crate::engine::{cause, Layer};

impl Partition<'_> {
    /// The answer resolver shard `shard` builds at `now` once its cached
    /// answer has expired: from the alias it holds, else one fetched now
    /// and kept there if the resolver `caches`. The target's addresses come
    /// with their own TTL when the resolver caches them (it keeps them no
    /// longer than the alias, see [`Self::alias_cap`]), else with the
    /// chain's shorter TTL, passed through.
    pub(super) fn follow_alias(&mut self, shard: usize, caches: bool, now: Millis) -> Answer {
        let m = self.model;
        let record = &m.scenario.record;
        let alias_ttl = record.alias.expect("the record is an alias").ttl;
        let held = match self.caches.aliases.get(shard) {
            Some(entry) if caches && live(entry, now) => *entry,
            _ => {
                // The provider's alias: which target, as the record (or its
                // weights) says at `now`, or the old one from an old provider.
                let fetched = self.ask_provider(shard, caches, now);
                let policy = &m.policies[crate::engine::RESOLVER][self.plan.resolver_pool.unwrap_or(0)];
                let kept = if caches {
                    policy.lifetime(alias_ttl)
                } else {
                    alias_ttl
                };
                let entry = Entry {
                    expires: now.saturating_add(kept),
                    lifetime: kept,
                    evicted: Millis::MAX,
                    retire: now.saturating_add(alias_ttl),
                    version: fetched.version,
                    cause: fetched.stale.cause,
                    first: fetched.first,
                };
                if caches {
                    self.caches.aliases[shard] = entry;
                }
                entry
            }
        };
        let version = held.version;
        let target_ttl = record.versions[version as usize].ttl;
        let stale = if held.cause != cause::CODE_NONE {
            // The authoritative side handed an old alias (weights, a late secondary).
            Staleness {
                retire: now,
                cause: held.cause,
            }
        } else if record.version_at(now) as u16 == version {
            Staleness::fetched(now, target_ttl.min(held.retire - now))
        } else {
            // The alias names the old target.
            Staleness::through_held(now, held.retire, cause::CODE_ALIAS)
        };
        Answer {
            version,
            ttl: if caches {
                target_ttl
            } else {
                target_ttl.min(held.expires - now)
            },
            held_at: Layer::Authoritative,
            first: held.first,
            stale,
            cause: stale.cause_at(now, Layer::Authoritative),
        }
    }

    /// The latest resolver shard `shard` may keep an answer stored at
    /// `now`: while it holds the alias the answer came through (`None`:
    /// the name is no alias, or the resolver holds none).
    #[inline]
    pub(super) fn alias_cap(&self, shard: usize, now: Millis) -> Option<Millis> {
        self.caches
            .aliases
            .get(shard)
            .filter(|entry| live(entry, now))
            .map(|entry| entry.expires)
    }
}
