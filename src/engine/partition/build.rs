//! Building a partition: its households and devices drawn from its own
//! random stream (router, OS and app pools, request rates), which of them run
//! ahead on streams of their own, and the tables its shared stream draws from;
//! then every cache seeded in its stationary state.

use super::{
    cause, walk_until, Arrivals, Busy, Caches, Clock, Counting, CycleSqueeze, Device, Entry, Household,
    Layer, LayerMask, Model, Partition, PartitionPlan, Queue, Stamps, Streams, APP, NO_ADDRESS, NO_POOL, OS,
    RESOLVER, ROUTER,
};
use crate::duration::{Millis, DAY};
use crate::population::AliasTable;
use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A pool drawn by its share (`cumulative`: the shares summed), or none.
fn pick_pool<R: Rng>(rng: &mut R, cumulative: &[f64]) -> u8 {
    if cumulative.is_empty() {
        return NO_POOL;
    }
    let u: f64 = rng.random();
    // The first pool whose running share exceeds `u` (the last if rounding
    // leaves none). Running shares only grow, so its index is the number
    // of them at or below `u`: counted without a branch, since which pool
    // a device draws is a coin toss the processor would guess wrong.
    let passed = cumulative.iter().map(|&c| usize::from(c <= u)).sum::<usize>();
    passed.min(cumulative.len() - 1) as u8
}

/// The devices drawn for a partition, with what its arrivals need.
struct Drawn {
    households: Vec<Household>,
    devices: Vec<Device>,
    /// Every device's request rate, the shared stream's (0 for a busy
    /// device) and its restart rate in the shared stream.
    rates: Vec<f64>,
    shared_rates: Vec<f64>,
    restart_weights: Vec<f64>,
    busy: Vec<Busy>,
}

/// Which layers of a device's chain cache, and whether the plain walk serves
/// it, from the facts of its pools.
struct Chains<'m> {
    model: &'m Model,
    resolver_bit: LayerMask,
    /// The plain walk also draws a resolver's shard and prefetches there.
    resolver_plain: bool,
}

impl Chains<'_> {
    /// `layer`'s bit if the pool at `table` caches (no pool caches nothing).
    fn caching(&self, table: usize, pool: u8, layer: Layer) -> LayerMask {
        LayerMask::of_if(layer, self.model.facts[table].get(pool).caches)
    }

    /// Whether the pool's cache, if any, is plain.
    fn plain(&self, table: usize, pool: u8) -> bool {
        !self.model.facts[table].get(pool).elaborate
    }
}

impl<'m> Partition<'m> {
    /// Draws the partition's households and devices from its own random
    /// stream and seeds its caches.
    pub fn new(
        model: &'m Model,
        plan: PartitionPlan,
        seed: u64,
        secondary_phases: Vec<Millis>,
    ) -> Partition<'m> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let s = &model.scenario;
        let drawn = draw(model, plan, &mut rng);
        let request_rate: f64 = drawn.shared_rates.iter().sum();
        let restart_rate: f64 = drawn.restart_weights.iter().sum();
        // Drawn only where a cache reloads, so other scenarios draw as before.
        let reloads = model.facts[OS].0.iter().any(|f| f.reloads);
        let prune_key = if reloads { rng.random() } else { 0 };
        let pool = plan.resolver_pool.unwrap_or(s.resolvers.len());
        let quiet_from = model.quiet_from[pool].unwrap_or(Millis::MAX);
        let upstream_quiet = model.upstream_quiet_from[pool].unwrap_or(Millis::MAX);
        let walk_until = walk_until(model, upstream_quiet);
        let shards = plan
            .resolver_pool
            .map_or(0, |p| s.resolvers[p].policy.shards as usize);
        let stamps = vec![Stamps::default(); drawn.devices.len()];
        let mut partition = Partition {
            model,
            plan,
            clock: Clock::new(0),
            streams: Streams::new(seed),
            caches: Caches {
                devices: drawn.devices,
                households: drawn.households,
                shards: vec![Entry::EMPTY; shards],
                aliases: vec![Entry::EMPTY; if s.record.alias.is_some() { shards } else { 0 }],
                delegations: vec![Entry::EMPTY; if s.record.delegation.is_some() { shards } else { 0 }],
                rotations: vec![0; shards],
                authoritative_rotation: 0,
                secondary_phases,
                reloads,
                prune_key,
                resolver_prefetches: plan.resolver_pool.is_some_and(|p| {
                    let policy = &s.resolvers[p].policy;
                    policy.caches && policy.hit_asks_upstream()
                }),
            },
            arrivals: Arrivals {
                requesters: AliasTable::new(&drawn.shared_rates),
                restarters: (restart_rate > 0.0).then(|| AliasTable::new(&drawn.restart_weights)),
                rates: Vec::new(),
                request_rate,
                restart_rate,
                busy: drawn.busy,
                queue: Queue::default(),
                busy_squeeze: CycleSqueeze::UNKNOWN,
            },
            counting: Counting {
                stamps,
                quiet_from,
                upstream_quiet,
                walk_until,
                tails: quiet_from > walk_until,
                cell_laws: Default::default(),
            },
        };
        partition.clock = Clock::new(-partition.warmup());
        partition.seed_caches(partition.clock.start(), &drawn.rates);
        partition.arrivals.rates = drawn.rates;
        partition.schedule_seeded_reloads();
        partition
    }

    /// How far before the change this partition starts.
    fn warmup(&self) -> Millis {
        let s = &self.model.scenario;
        crate::scenario::warmup::warmup(s, self.plan.resolver_pool.map(|p| &s.resolvers[p].policy))
    }
}

/// Draws the households and devices of partition `plan`.
fn draw(model: &Model, plan: PartitionPlan, rng: &mut Xoshiro256PlusPlus) -> Drawn {
    let s = &model.scenario;
    // Room for the devices expected, so the tables rarely grow (a
    // heavy-tailed count may have no finite mean: then a guess).
    let per_household = s.population.devices_per_household.mean().min(8.0);
    let expected = (plan.households as f64 * per_household * 1.1) as usize + 16;
    let mut drawn = Drawn {
        households: Vec::with_capacity(plan.households as usize),
        devices: Vec::with_capacity(expected),
        rates: Vec::with_capacity(expected),
        shared_rates: Vec::with_capacity(expected),
        restart_weights: Vec::with_capacity(expected),
        busy: Vec::new(),
    };
    let mut chains = Chains {
        model,
        resolver_bit: LayerMask::EMPTY,
        // A resolver following an alias or a delegation keeps more than one
        // record set: the general walk's.
        resolver_plain: s.record.alias.is_none()
            && s.record.delegation.is_none()
            && plan.resolver_pool.is_none_or(|p| {
                let policy = &s.resolvers[p].policy;
                !policy.caches || policy.keeps_or_prefetches()
            }),
    };
    chains.resolver_bit = plan.resolver_pool.map_or(LayerMask::EMPTY, |p| {
        chains.caching(RESOLVER, p as u8, Layer::Resolver)
    });
    for h in 0..plan.households {
        let router_pool = pick_pool(rng, &model.router_cumulative);
        drawn.households.push(Household {
            router: Entry::EMPTY,
            router_pool,
        });
        let household_bits = chains.resolver_bit | chains.caching(ROUTER, router_pool, Layer::Router);
        let household_plain =
            model.shortcuts.plain_walk && chains.resolver_plain && chains.plain(ROUTER, router_pool);
        let count = s.population.devices_per_household.sample_count(rng);
        for _ in 0..count {
            let app_pool = pick_pool(rng, &model.app_cumulative);
            // A device profile is one draw for both layers.
            let os_pool = if s.profiles {
                app_pool
            } else {
                pick_pool(rng, &model.os_cumulative)
            };
            let device = Device {
                app: Entry::EMPTY,
                os: Entry::EMPTY,
                conn_opened: 0,
                conn_last: 0,
                conn_retire: Millis::MIN,
                conn_cause: cause::CODE_NONE,
                conn_requests: 0,
                household: h,
                app_pool,
                os_pool,
                conn_address: NO_ADDRESS,
                os_reloads: 0,
                caches: household_bits
                    | chains.caching(OS, os_pool, Layer::Os)
                    | chains.caching(APP, app_pool, Layer::App),
                plain: household_plain && chains.plain(OS, os_pool) && chains.plain(APP, app_pool),
            };
            let rate = s.population.requests_per_day.sample_requests_per_day(rng) / DAY as f64;
            let restart_rate = model.facts[APP].get(app_pool).restart_rate;
            let index = drawn.devices.len() as u32;
            if let Some(b) = Busy::new(model, index, (app_pool, os_pool), (rate, restart_rate)) {
                drawn.busy.push(b);
                drawn.shared_rates.push(0.0);
                drawn.restart_weights.push(0.0);
            } else {
                drawn.shared_rates.push(rate);
                drawn.restart_weights.push(restart_rate);
            }
            drawn.rates.push(rate);
            drawn.devices.push(device);
        }
    }
    drawn
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counting the running shares passed picks the pool the first share
    /// above the draw names, as a search would: with pools of no share and
    /// shares that round short of 1.
    #[test]
    fn pools_are_picked_as_a_search_would() {
        for cumulative in [
            vec![1.0],
            vec![0.6, 1.0],
            vec![0.6, 0.85, 1.0],
            vec![0.0, 0.5, 0.5, 0.999_999],
            vec![0.3, 0.3, 0.3],
        ] {
            let (mut a, mut b) = (
                Xoshiro256PlusPlus::seed_from_u64(4),
                Xoshiro256PlusPlus::seed_from_u64(4),
            );
            for _ in 0..100_000 {
                let u: f64 = b.random();
                let searched = cumulative
                    .iter()
                    .position(|&c| u < c)
                    .unwrap_or(cumulative.len() - 1) as u8;
                assert_eq!(pick_pool(&mut a, &cumulative), searched, "{cumulative:?} at {u}");
            }
        }
    }
}
