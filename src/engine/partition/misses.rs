//! The requests that reach each shared cache when a partition starts, for
//! seeding it (`seed.rs`): a cache that keeps answers longer than its
//! upstream passes on only its misses (its renewals, at rate l / (1 + l·H)
//! for a holding time H); one that only relays passes on every request. Its
//! upstream is seeded with that rate: at the first request after expiry,
//! the requests still answered below do not count.

use super::{pass, Partition, APP, OS, ROUTER};
use crate::duration::Millis;
use crate::engine::Model;

/// The rates of requests reaching each layer.
pub(super) struct Misses {
    /// Per device, past its app to its OS, and past its OS to its router.
    pub(super) to_os: Vec<f64>,
    pub(super) to_router: Vec<f64>,
    pub(super) to_resolver: f64,
}

/// What the cache of one pool passes on of the requests reaching it, given
/// the TTL it is handed.
#[derive(Clone, Copy, Debug)]
enum Passes {
    /// Every request: it caches nothing, or only relays what it is handed.
    All,
    /// Its misses: it holds each answer `holds` ms on average (less than
    /// its lifetime where app restarts clear it).
    Misses { holds: f64 },
}

impl Passes {
    fn of(m: &Model, (table, index): (usize, u8), handed: Millis) -> Passes {
        match m.policies[table].get(index as usize) {
            Some(policy) if policy.caches && !policy.relays(handed) => {
                let lifetime = pass(m, table, index, handed);
                let clear = m.facts[table].get(index).restart_rate;
                let holds = if clear > 0.0 {
                    -(-clear * lifetime as f64).exp_m1() / clear
                } else {
                    lifetime as f64
                };
                Passes::Misses { holds }
            }
            _ => Passes::All,
        }
    }

    /// The rate passed on of `rate` reaching the cache.
    #[inline]
    fn rate(self, rate: f64) -> f64 {
        match self {
            Passes::All => rate,
            Passes::Misses { holds } => rate / (1.0 + rate * holds),
        }
    }
}

/// Combinations of pools a table is kept for, at most: every partition's
/// devices share a few, and past this many they are worked out each time.
const MOST_COMBINATIONS: usize = 4096;

/// What a device's app and OS caches pass on, by its router, OS and app
/// pools: worked out at the first device with those pools.
struct ByPools {
    /// Pools per layer, counting "none" (every index past a layer's pools).
    sizes: [usize; 3],
    table: Vec<Option<(Passes, Passes)>>,
}

impl ByPools {
    fn new(m: &Model) -> ByPools {
        let sizes = [ROUTER, OS, APP].map(|table| m.policies[table].len() + 1);
        let combinations: usize = sizes.iter().product();
        let table = if combinations <= MOST_COMBINATIONS {
            vec![None; combinations]
        } else {
            Vec::new()
        };
        ByPools { sizes, table }
    }

    /// The app's and the OS's, under a router handed `handed`.
    fn get(&mut self, m: &Model, (router, os, app): (u8, u8, u8), handed: Millis) -> (Passes, Passes) {
        let work_out = || {
            let at_router = pass(m, ROUTER, router, handed);
            let at_os = pass(m, OS, os, at_router);
            (
                Passes::of(m, (APP, app), at_os),
                Passes::of(m, (OS, os), at_router),
            )
        };
        if self.table.is_empty() {
            return work_out();
        }
        let index = |pool: u8, size: usize| (pool as usize).min(size - 1);
        let [r, o, a] = self.sizes;
        let slot = (index(router, r) * o + index(os, o)) * a + index(app, a);
        *self.table[slot].get_or_insert_with(work_out)
    }
}

impl Partition<'_> {
    /// The requests that reach each shared layer (see the module's doc),
    /// the resolver being handed `handed`.
    pub(super) fn misses(&self, rates: &[f64], handed: Millis) -> Misses {
        let m = self.model;
        let mut by_pools = ByPools::new(m);
        let mut misses = Misses {
            to_os: vec![0.0; rates.len()],
            to_router: vec![0.0; rates.len()],
            to_resolver: 0.0,
        };
        let mut household = 0.0;
        for (d, &rate) in rates.iter().enumerate() {
            let device = &self.caches.devices[d];
            let h = device.household as usize;
            let router = self.caches.households[h].router_pool;
            let (app, os) = by_pools.get(m, (router, device.os_pool, device.app_pool), handed);
            misses.to_os[d] = app.rate(rate);
            misses.to_router[d] = os.rate(misses.to_os[d]);
            // Households' devices are contiguous: add each household's
            // router misses once its last device is in.
            let first = d == 0 || self.caches.devices[d - 1].household as usize != h;
            household = if first { 0.0 } else { household } + misses.to_router[d];
            let last = rates.len() == d + 1 || self.caches.devices[d + 1].household as usize != h;
            if last {
                misses.to_resolver += Passes::of(m, (ROUTER, router), handed).rate(household);
            }
        }
        misses
    }
}
