//! OS caches that reload expired entries by themselves (nscd). The cache
//! prunes every `within` (nscd: 15 s, as long as some entry of the many a
//! machine looks up expires in each stretch), at a phase of its own. An
//! entry answers until the first prune after it expires; there the cache
//! fetches it again from upstream, unless it has done so `count` times since
//! a lookup last used it. A reload is an event in the partition's queue, at
//! the moment the entry stops answering: it reads and refreshes the shared
//! caches then, in time order with every request.

use super::events::Event;
use super::{Layer, Partition};
use crate::duration::Millis;
use crate::policy::Reload;
use rand::RngExt;

/// A well-mixed 64-bit value of `x` (SplitMix64's finaliser): each
/// device's prune phase, from the partition's key and the device's index,
/// with no state per device and no draw from the random streams.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Partition<'_> {
    /// Device `d`'s first prune strictly after `t`: its cache prunes every
    /// `within` of `reload`, at a phase drawn uniformly for the device.
    pub(super) fn next_prune(&self, d: usize, t: Millis, reload: Reload) -> Millis {
        let phase = (mix(self.caches.prune_key ^ d as u64) % reload.within as u64) as Millis;
        reload.next_prune(phase, t)
    }

    /// Queues the reload of device `d`'s OS entry when it stops answering, `at`.
    pub(super) fn schedule_reload(&mut self, d: usize, at: Millis) {
        self.arrivals
            .queue
            .push(self.clock.elapsed(at), Event::Reload(d as u32));
    }

    /// Device `d`'s OS cache prunes its entry at `now`: it fetches the answer
    /// again from upstream, or drops the entry once it has been reloaded its
    /// `count` times since its last use. An event left behind by an entry
    /// that was replaced since does nothing.
    pub(super) fn reload(&mut self, d: usize, now: Millis) {
        let device = &self.caches.devices[d];
        if device.os.expires != now {
            return;
        }
        let Some(reload) = self.policy(Layer::Os, d).reload else {
            return;
        };
        if device.os_reloads >= reload.count {
            return; // dropped: the entry stopped answering at `now`
        }
        let reloads = device.os_reloads + 1;
        let answer = self.resolve(Layer::Os.up(), now, d);
        self.store(Layer::Os, d, 0, answer, now);
        self.caches.devices[d].os_reloads = reloads;
    }

    /// Queues the reload of every OS entry the seeding left answering, at a
    /// prune drawn uniformly over one reload cycle. A cache reloaded by
    /// itself under a steady TTL reloads every `within × (⌊lifetime /
    /// within⌋ + 1)`, a whole number of prunes: which of them it reloads at
    /// never mixes by itself, so the seeding draws it, as it draws every
    /// other cache's phase.
    pub(super) fn schedule_seeded_reloads(&mut self) {
        if !self.caches.reloads {
            return;
        }
        for d in 0..self.caches.devices.len() {
            let device = &self.caches.devices[d];
            if !device.caches.has(Layer::Os) || device.os.expires <= self.clock.start() {
                continue;
            }
            let Some(reload) = self.policy(Layer::Os, d).reload else {
                continue;
            };
            let cycle = reload.cycle(device.os.lifetime);
            let at = self.clock.start() + self.streams.seeding.random_range(0..cycle);
            let expires = self.next_prune(d, at, reload);
            self.caches.devices[d].os.expires = expires;
            self.schedule_reload(d, expires);
        }
    }
}
