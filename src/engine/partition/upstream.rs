//! What the authoritative side answers: the record's version at a time
//! (from the primary or a secondary), the address a client picks from an
//! answer, and the round robin of servers that rotate their answers.

use super::{Answer, Staleness};
use crate::duration::Millis;
use crate::engine::{Layer, Model};
use rand::{Rng, RngExt};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One address of version `version`'s answer: at random among several, or
/// the `first` of the answer's order when servers rotate it (`record.pick =
/// "rotate"`).
#[inline(always)]
pub(super) fn pick_address<R: Rng>(
    record: &crate::scenario::Record,
    rng: &mut R,
    version: u16,
    first: u8,
) -> u8 {
    let mask = record.versions[version as usize].addresses;
    let count = mask.count_ones();
    if count == 1 {
        return mask.trailing_zeros() as u8;
    }
    let mut nth = if record.rotate {
        u32::from(first) % count
    } else {
        rng.random_range(0..count)
    };
    let mut rest = mask;
    loop {
        let bit = rest.trailing_zeros();
        if nth == 0 {
            return bit as u8;
        }
        nth -= 1;
        rest &= rest - 1;
    }
}

/// With `record.pick = "rotate"`, the next position in a server's round
/// robin kept in `counter` (a resolver shard's or the authoritative's), as
/// BIND's default cyclic rrset-order does; 0 otherwise.
#[inline]
pub(super) fn next_in_rotation(record: &crate::scenario::Record, counter: &mut u32, version: u16) -> u8 {
    if !record.rotate {
        return 0;
    }
    let count = record.versions[version as usize].addresses.count_ones();
    *counter = counter.wrapping_add(1);
    (*counter % count) as u8
}

/// What the authoritative servers' answers need from a partition, borrowed
/// apart from its caches.
pub(super) struct Upstream<'a, 'm> {
    pub(super) model: &'m Model,
    pub(super) rng: &'a mut Xoshiro256PlusPlus,
    pub(super) secondary_phases: &'a [Millis],
    pub(super) rotation: &'a mut u32,
}

impl Upstream<'_, '_> {
    /// The answer the authoritative server gives at `now`.
    pub(super) fn answer(self, now: Millis) -> Answer {
        let record = &self.model.scenario.record;
        let auth = &self.model.scenario.authoritative;
        // Which server answers: the primary (0) or one of the secondaries.
        let server = if auth.secondaries > 0 {
            self.rng.random_range(0..=auth.secondaries as usize)
        } else {
            0
        };
        let loaded = match (server, auth.notify_delay) {
            (0, _) => now,
            (_, Some(delay)) => now - delay,
            (s, None) => {
                let phase = self.secondary_phases[s - 1];
                phase + (now - phase).div_euclid(auth.refresh) * auth.refresh
            }
        };
        let mut version = record.version_at(loaded);
        // A weighted shift: the old answer with the weight's odds (its old
        // requests are the weights' doing until every answer is new, see
        // `count.rs`).
        if let Some(new) = record.new_weight_at(loaded).filter(|_| loaded >= 0) {
            let old = self.rng.random::<f64>() >= new;
            version = if old { 0 } else { record.versions.len() - 1 };
        }
        let first = next_in_rotation(record, self.rotation, version as u16);
        let ttl = record.versions[version].ttl;
        // A secondary still serving an older zone: the answer is retired
        // already, the authoritative side's doing.
        // (Under weights a late secondary's answer is drawn like any other.)
        let stale = if record.weights.is_empty() && loaded < now && version != record.version_at(now) {
            Staleness {
                retire: now,
                cause: Layer::Authoritative as u8,
            }
        } else {
            Staleness::fetched(now, ttl)
        };
        Answer {
            version: version as u16,
            ttl,
            held_at: Layer::Authoritative,
            first,
            stale,
            cause: stale.cause_at(now, Layer::Authoritative),
        }
    }
}

/// Which addresses the record serves, followed through its versions as
/// time moves forward (one step per version, no search per request).
pub(super) struct VersionCursor<'r> {
    pub(super) record: &'r crate::scenario::Record,
    pub(super) next: usize,
    pub(super) addresses: u64,
}

impl<'r> VersionCursor<'r> {
    pub(super) fn new(record: &'r crate::scenario::Record, start: Millis) -> VersionCursor<'r> {
        let current = record.version_at(start);
        VersionCursor {
            record,
            next: current + 1,
            addresses: record.versions[current].addresses,
        }
    }

    /// When the authoritative next changes what it serves (`Millis::MAX`: never).
    pub(super) fn next_change(&self) -> Millis {
        self.record
            .versions
            .get(self.next)
            .map_or(Millis::MAX, |v| v.start)
    }

    #[inline]
    pub(super) fn addresses_at(&mut self, now: Millis) -> u64 {
        while let Some(v) = self.record.versions.get(self.next) {
            if v.start > now {
                break;
            }
            self.addresses = v.addresses;
            self.next += 1;
        }
        self.addresses
    }
}
