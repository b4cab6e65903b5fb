//! What a served request adds to the partition's tally: its bucket's
//! requests and active devices, and for an old one the layer that held it,
//! its cause's column and the devices that reached the old address.

use super::tally::{self, Tally};
use super::{cause, Layer, Partition, Served, APP, NO_POOL, OS, RESOLVER, ROUTER};

impl Partition<'_> {
    /// Adds `served` (requests of device `d` in `bucket`) to the tally.
    #[inline(always)]
    pub(super) fn count(&mut self, tally: &mut Tally, bucket: usize, d: usize, served: Served) {
        let stamp = bucket as u32 + 1;
        // The cause's column, looked up for old requests only.
        let cause = if served.old {
            // Until a weighted shift makes every answer new, old answers are its doing.
            let code = if served.last < self.model.weights_until {
                cause::CODE_WEIGHTS
            } else {
                served.cause
            };
            tally.causes + self.cause_slot(code, d) as usize
        } else {
            0
        };
        let stamps = &mut self.counting.stamps[d];
        if bucket < self.model.answered_buckets {
            tally.answered_at[served.held_at] += served.requests;
        }
        let row = tally.row_mut(bucket);
        row[tally::REQUESTS] += served.requests;
        if stamps.active != stamp {
            stamps.active = stamp;
            row[tally::ACTIVE_DEVICES] += 1;
        }
        if self.model.count_addresses {
            row[tally::ADDRESSES + served.address as usize] += served.requests;
        }
        if served.old {
            row[tally::OLD] += served.requests;
            row[tally::VIA + served.held_at as usize] += served.requests;
            row[cause] += served.requests;
            if stamps.old != stamp {
                stamps.old = stamp;
                row[tally::DEVICES_OLD] += 1;
            }
            tally.last_old = tally.last_old.max(Some(served.last));
            // Walking every request checks the bounds bulk counting and
            // the devices walked alone rest on: no old request after the
            // partition is quiet, and none that left its device after
            // nothing above the device could hand an old answer.
            let walked = !self.model.shortcuts.count_quietly;
            assert!(
                !walked || served.last < self.counting.quiet_from,
                "an old request at {} ms, after its partition went quiet at {} ms",
                served.last,
                self.counting.quiet_from
            );
            let upstream = served.held_at >= Layer::Router;
            assert!(
                !walked || !upstream || served.last < self.counting.upstream_quiet,
                "an old answer from the {} at {} ms, after nothing above a device could hand one at {} ms",
                served.held_at.name(),
                served.last,
                self.counting.upstream_quiet
            );
        }
    }

    /// The tally's cause slot of cause code `code` for device `d`: the
    /// record's TTL, or the pool of the layer it names in `d`'s chain.
    fn cause_slot(&self, code: u8, d: usize) -> u16 {
        let m = self.model;
        let device = &self.caches.devices[d];
        let slot = match code {
            cause::CODE_TTL => cause::TTL,
            cause::CODE_ALIAS | cause::CODE_WEIGHTS | cause::CODE_DELEGATION => m.mechanism_slots
                [(code - cause::CODE_ALIAS) as usize]
                .get(self.plan.resolver_pool.map_or(NO_POOL, |p| p as u8)),
            c if c == Layer::Connection as u8 => m.connection_slots.get(device.app_pool),
            c if c == Layer::App as u8 => m.cause_slots[APP].get(device.app_pool),
            c if c == Layer::Os as u8 => m.cause_slots[OS].get(device.os_pool),
            c if c == Layer::Router as u8 => {
                m.cause_slots[ROUTER].get(self.caches.households[device.household as usize].router_pool)
            }
            c if c == Layer::Resolver as u8 => {
                m.cause_slots[RESOLVER].get(self.plan.resolver_pool.map_or(NO_POOL, |p| p as u8))
            }
            _ => cause::AUTHORITATIVE,
        };
        // A layer without a pool in this chain cannot hold an answer; were
        // one blamed, the record's TTL is the safe reading.
        if slot == cause::NONE {
            cause::TTL
        } else {
            slot
        }
    }
}
