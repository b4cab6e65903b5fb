//! A move to a new DNS provider: from the change the parent's NS records
//! point at the new provider, but a resolver that cached the delegation
//! before keeps asking the old one, which answers with the old addresses,
//! until the NS records it keeps expire (the provider's own TTL for a
//! child-centric resolver, the parent's for a parent-centric one) or the
//! old provider stops answering. Then it asks the parent again. Its cached
//! addresses are kept for their own TTL either way: the delegation only
//! says where the next fetch goes.

use super::upstream::next_in_rotation;
use super::{live, Answer, Entry, Partition, Staleness};
use crate::duration::Millis;
use crate::engine::{cause, Layer, RESOLVER};

/// Which provider a delegation points at ([`Entry::version`] of a cached one).
pub(super) const OLD_PROVIDER: u16 = 0;
pub(super) const NEW_PROVIDER: u16 = 1;

impl Partition<'_> {
    /// The answer resolver shard `shard` gets at `now` from the provider
    /// its delegation names: the one it holds, else one fetched from the
    /// parent now and kept if the resolver `caches`. For a record without
    /// a delegation, the authoritative's answer.
    pub(super) fn ask_provider(&mut self, shard: usize, caches: bool, now: Millis) -> Answer {
        let m = self.model;
        let record = &m.scenario.record;
        let Some(delegation) = record.delegation else {
            return self.authoritative(now);
        };
        let held = match self.caches.delegations.get(shard) {
            // An old provider that stopped answering sends it back to the parent.
            Some(entry)
                if caches
                    && live(entry, now)
                    && (entry.version == NEW_PROVIDER || delegation.old_provider_answers(now)) =>
            {
                *entry
            }
            _ => {
                let policy = &m.policies[RESOLVER][self.plan.resolver_pool.unwrap_or(0)];
                let ttl = delegation.ns_ttl(policy.ns);
                let kept = policy.lifetime(ttl);
                let entry = Entry {
                    expires: now.saturating_add(kept),
                    lifetime: kept,
                    evicted: Millis::MAX,
                    retire: now.saturating_add(ttl),
                    version: if now < 0 { OLD_PROVIDER } else { NEW_PROVIDER },
                    cause: cause::CODE_NONE,
                    first: 0,
                };
                if caches {
                    self.caches.delegations[shard] = entry;
                }
                entry
            }
        };
        if held.version == NEW_PROVIDER {
            return self.authoritative(now);
        }
        // The old provider: the old addresses with their TTL, for good.
        let version = 0u16;
        let ttl = record.versions[0].ttl;
        let stale = if now < 0 {
            Staleness::fetched(now, ttl)
        } else {
            Staleness::through_held(now, held.retire, cause::CODE_DELEGATION)
        };
        Answer {
            version,
            ttl,
            held_at: Layer::Authoritative,
            first: next_in_rotation(record, &mut self.caches.authoritative_rotation, version),
            stale,
            cause: stale.cause_at(now, Layer::Authoritative),
        }
    }
}
