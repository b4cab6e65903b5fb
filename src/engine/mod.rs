//! The simulation engine: replicas in parallel, each split into independent
//! partitions (one per resolver cache instance), each partition with its own
//! random stream derived from (seed, replica, partition). Counts are integers
//! merged by addition, so results are the same bytes on any thread count.

pub mod bound;
pub mod cause;
mod layer;
mod partition;
pub mod quiet;
mod reuse;
pub mod tally;

pub use layer::{Layer, LayerMask, PerLayer};
pub use partition::{PartitionPlan, BYTES_PER_DEVICE, BYTES_PER_HOUSEHOLD};
pub use reuse::{simulate_reusing, Reuse};
pub use tally::Tally;

use crate::duration::{Millis, DAY};
use crate::scenario::Scenario;
use partition::Partition;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The engine's identity: a fingerprint of its golden outputs' numbers
/// (see `build.rs`), the same for every build whose results are the same.
/// Shards and results folders record it; counts of different engines are
/// never merged or answered again as if they were this one's.
pub const IDENTITY: &str = env!("CACHESIM_ENGINE");

/// Indices of [`Model`]'s per-layer policy tables.
const APP: usize = 0;
const OS: usize = 1;
const ROUTER: usize = 2;
const RESOLVER: usize = 3;

/// The index of `layer`'s pools in [`Model`]'s per-layer tables (a layer
/// that has none, the connection or the authoritative, has no index).
#[inline(always)]
const fn table(layer: Layer) -> usize {
    match layer {
        Layer::App => APP,
        Layer::Os => OS,
        Layer::Router => ROUTER,
        Layer::Resolver => RESOLVER,
        Layer::Connection | Layer::Authoritative => panic!("a layer without pools"),
    }
}

/// Partitions hold at most this many households when no resolver caches (they
/// are independent anyway; smaller pieces spread better over threads).
const HOUSEHOLDS_PER_CHUNK: u64 = 512;

/// The scenario, prepared for the inner loop.
pub struct Model {
    pub scenario: Scenario,
    router_cumulative: Vec<f64>,
    os_cumulative: Vec<f64>,
    app_cumulative: Vec<f64>,
    count_addresses: bool,
    /// Per layer (APP, OS, ROUTER, RESOLVER), each pool's policy…
    policies: [Vec<crate::policy::Policy>; 4],
    /// …and its lifetime bounds, all plain chains need (a pool that does not
    /// cache, or no pool, passes TTLs through).
    bounds: [ByPool<crate::policy::Bounds>; 4],
    /// Each app pool's keep-alive connection.
    connections: ByPool<Option<crate::scenario::Connection>>,
    /// Per layer, what building a partition asks of each pool.
    facts: [ByPool<PoolFacts>; 4],
    /// Per layer, each pool's cause slot ([`cause::NONE`] past the pools)…
    cause_slots: [ByPool<u16>; 4],
    /// …and each app pool's connection's.
    connection_slots: ByPool<u16>,
    /// Every cause the scenario can have, by slot…
    pub causes: Vec<cause::Cause>,
    /// …and the slots of the record's mechanisms' causes, by code from
    /// [`cause::CODE_ALIAS`] and resolver pool (see [`cause::mechanism_slot`]).
    mechanism_slots: [ByPool<u16>; 3],
    /// Until when a weighted shift still answers old (its old requests are
    /// its doing): `Millis::MIN` for a record that is not weighted.
    weights_until: Millis,
    pub partitions: Vec<PartitionPlan>,
    pub buckets: usize,
    shortcuts: Shortcuts,
    /// When each resolver pool's partitions go quiet (the last entry: no
    /// resolver caches), `None` where nothing bounds it within the horizon…
    quiet_from: Vec<Option<Millis>>,
    /// …and from when requests that leave a device come back new (see
    /// [`quiet::upstream_quiet_from`]), `None` where they walk to the horizon.
    upstream_quiet_from: Vec<Option<Millis>>,
    /// The hit ratios count requests in buckets before this one.
    answered_buckets: usize,
    /// Each bucket's exposure: the expected requests in it of a device
    /// making one per ms, the daily cycle's factor integrated.
    bucket_exposures: Vec<f64>,
}

/// The engine's shortcuts, each on by default. Every combination gives
/// results with the same distribution; turned off, a shortcut leaves the
/// straightforward path tests compare against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shortcuts {
    /// Busy devices serve their private hits ahead on their own streams;
    /// off, every request comes from one stream in time order.
    pub run_ahead: bool,
    /// Devices whose caches only keep answers (no prefetch, serve-stale,
    /// eviction or restamping; the resolver may prefetch and be sharded)
    /// take a walk spelt out for them, to the same bytes; off, every
    /// request takes the general walk.
    pub plain_walk: bool,
    /// Requests after a partition goes quiet (see [`quiet`]) are counted in
    /// bulk, by bucket; off, every request is walked to the horizon, and the
    /// engine checks there that no old answer comes after quiet.
    pub count_quietly: bool,
}

impl Default for Shortcuts {
    fn default() -> Self {
        Shortcuts {
            run_ahead: true,
            plain_walk: true,
            count_quietly: true,
        }
    }
}

/// One value per pool of a layer, read by the pool's byte index. It has a
/// slot for every byte (a scenario has at most [`crate::scenario::MAX_POOLS`]
/// pools, and the index past them means none), so reading it in the inner
/// loop needs no bounds check; slots past the pools hold `T::default()`.
/// Held in the model itself, not behind a pointer: one load less per read.
struct ByPool<T>([T; 256]);

impl<T: Copy + Default> ByPool<T> {
    fn new(values: impl Iterator<Item = T>) -> ByPool<T> {
        ByPool::with_default(values, T::default())
    }
}

impl<T: Copy> ByPool<T> {
    /// `values`, then `default` in the slots past them.
    fn with_default(values: impl Iterator<Item = T>, default: T) -> ByPool<T> {
        let mut table = [default; 256];
        for (slot, value) in table.iter_mut().zip(values) {
            *slot = value;
        }
        ByPool(table)
    }

    #[inline(always)]
    fn get(&self, pool: u8) -> T {
        self.0[pool as usize]
    }
}

/// What building a partition asks of a pool, for each of its devices:
/// worked out once. The default is that of no pool at all.
#[derive(Clone, Copy, Debug, Default)]
struct PoolFacts {
    /// Its cache keeps answers at all.
    caches: bool,
    /// Its cache does more than keep answers (see
    /// [`crate::policy::Policy::is_plain`]), so its devices take the general walk.
    elaborate: bool,
    /// How long it can serve a device's requests alone (run-ahead).
    own_window: Millis,
    /// Its cache reloads expired entries by itself (nscd), on events of its own.
    reloads: bool,
    /// App restarts per millisecond.
    restart_rate: f64,
}

impl PoolFacts {
    fn of(pool: &crate::scenario::Pool, record: &crate::scenario::Record) -> PoolFacts {
        PoolFacts {
            caches: pool.policy.caches,
            elaborate: pool.policy.caches && !pool.policy.is_plain(),
            own_window: partition::own_window(pool, record),
            reloads: pool.policy.caches && pool.policy.reload.is_some(),
            restart_rate: pool.restarts_per_day / DAY as f64,
        }
    }
}

fn cumulative(pools: &[crate::scenario::Pool]) -> Vec<f64> {
    let mut sum = 0.0;
    pools
        .iter()
        .map(|p| {
            sum += p.share;
            sum
        })
        .collect()
}

/// Splits `total` into parts proportional to `shares`, summing exactly to
/// `total` (largest remainder), so a pool's share of households is exact.
pub fn apportion(total: u64, shares: &[f64]) -> Vec<u64> {
    let exact: Vec<f64> = shares.iter().map(|s| s * total as f64).collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut left = total.saturating_sub(parts.iter().sum());
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for &i in order.iter().cycle().take(shares.len() * 2) {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

/// The partitions of a run: one per resolver cache instance (households
/// split between a pool's instances as evenly as whole households allow),
/// or chunks of households when no resolver caches.
pub fn partition_plans(scenario: &Scenario) -> Vec<PartitionPlan> {
    let households = scenario.population.households;
    let mut partitions = Vec::new();
    if scenario.resolvers.is_empty() {
        let mut left = households;
        while left > 0 {
            let n = left.min(HOUSEHOLDS_PER_CHUNK);
            partitions.push(PartitionPlan {
                resolver_pool: None,
                households: n as u32,
            });
            left -= n;
        }
    } else {
        let shares: Vec<f64> = scenario.resolvers.iter().map(|r| r.share).collect();
        for (pool, count) in apportion(households, &shares).into_iter().enumerate() {
            let instances = scenario.resolvers[pool].instances as u64;
            for i in 0..instances {
                let n = count / instances + u64::from(i < count % instances);
                if n > 0 {
                    partitions.push(PartitionPlan {
                        resolver_pool: Some(pool),
                        households: n as u32,
                    });
                }
            }
        }
    }
    partitions
}

impl Model {
    /// How much the daily cycle raises the request rate at its peak (1
    /// without a cycle): streams are drawn at the peak rate, then thinned.
    fn peak_factor(&self) -> f64 {
        self.scenario
            .population
            .daily_cycle
            .map_or(1.0, |c| c.peak_factor())
    }

    pub fn new(scenario: Scenario) -> Model {
        Model::with(scenario, Shortcuts::default())
    }

    /// The model of `scenario`, simulated with `shortcuts`.
    pub fn with(scenario: Scenario, shortcuts: Shortcuts) -> Model {
        let partitions = partition_plans(&scenario);
        let buckets = ((scenario.duration + scenario.bucket - 1) / scenario.bucket) as usize;
        let first_slots = cause::first_slots(&scenario);
        let slots = |first: u16, count: usize| {
            ByPool::with_default((0..count as u16).map(|p| first + p), cause::NONE)
        };
        Model {
            cause_slots: [
                slots(first_slots[1], scenario.apps.len()),
                slots(first_slots[2], scenario.oses.len()),
                slots(first_slots[3], scenario.routers.len()),
                slots(first_slots[4], scenario.resolvers.len()),
            ],
            connection_slots: slots(first_slots[0], scenario.apps.len()),
            causes: cause::causes(&scenario),
            mechanism_slots: [
                cause::Mechanism::Alias,
                cause::Mechanism::Weights,
                cause::Mechanism::Delegation,
            ]
            .map(|m| {
                ByPool::with_default(
                    (0..scenario.resolvers.len()).map(|p| cause::mechanism_slot(&scenario, m, Some(p))),
                    cause::mechanism_slot(&scenario, m, None),
                )
            }),
            weights_until: if scenario.record.weights.is_empty() {
                Millis::MIN
            } else {
                scenario.record.all_new_from().unwrap_or(Millis::MAX)
            },
            router_cumulative: cumulative(&scenario.routers),
            os_cumulative: cumulative(&scenario.oses),
            app_cumulative: cumulative(&scenario.apps),
            count_addresses: scenario.record.load_balanced(),
            policies: [
                &scenario.apps,
                &scenario.oses,
                &scenario.routers,
                &scenario.resolvers,
            ]
            .map(|pools| pools.iter().map(|p| p.policy.clone()).collect()),
            bounds: [
                &scenario.apps,
                &scenario.oses,
                &scenario.routers,
                &scenario.resolvers,
            ]
            .map(|pools| {
                // A layer with no cache passes the TTL through.
                let bounds = |p: &crate::scenario::Pool| p.policy.caches.then(|| p.policy.bounds());
                ByPool::new(pools.iter().map(|p| bounds(p).unwrap_or_default()))
            }),
            connections: ByPool::new(scenario.apps.iter().map(|a| a.connection)),
            facts: [
                &scenario.apps,
                &scenario.oses,
                &scenario.routers,
                &scenario.resolvers,
            ]
            .map(|pools| ByPool::new(pools.iter().map(|p| PoolFacts::of(p, &scenario.record)))),
            partitions,
            buckets,
            shortcuts,
            quiet_from: (0..scenario.resolvers.len())
                .map(Some)
                .chain([None])
                .map(|pool| quiet::quiet_from(&scenario, pool))
                .collect(),
            upstream_quiet_from: (0..scenario.resolvers.len())
                .map(Some)
                .chain([None])
                .map(|pool| quiet::upstream_quiet_from(&scenario, pool))
                .collect(),
            answered_buckets: ((quiet::answered_window(&scenario) + scenario.bucket - 1) / scenario.bucket)
                as usize,
            bucket_exposures: (0..buckets as Millis)
                .map(|b| {
                    let from = b * scenario.bucket;
                    quiet::exposure(
                        &scenario,
                        from as f64,
                        (from + scenario.bucket).min(scenario.duration) as f64,
                    )
                })
                .collect(),
            scenario,
        }
    }

    pub fn new_tally(&self) -> Tally {
        Tally::new(
            self.buckets,
            self.scenario.record.addresses.len(),
            self.causes.len(),
        )
    }

    /// Simulates one partition of one replica, adding its counts to `tally`.
    fn run_partition_into(&self, tally: &mut Tally, replica: u32, partition: usize, stop: &AtomicBool) {
        let seed = stream_seed(self.scenario.seed, replica as u64, partition as u64);
        let plan = self.partitions[partition];
        Partition::new(self, plan, seed, self.secondary_phases(replica)).run(tally, stop);
    }

    /// The SOA refresh phase of each secondary server in `replica`: drawn from
    /// the replica's own stream, so every partition sees the same servers.
    fn secondary_phases(&self, replica: u32) -> Vec<Millis> {
        use rand::{RngExt, SeedableRng};
        let auth = &self.scenario.authoritative;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(stream_seed(
            self.scenario.seed,
            replica as u64,
            u64::MAX,
        ));
        (0..auth.secondaries)
            .map(|_| rng.random_range(0..auth.refresh))
            .collect()
    }

    /// Simulates one whole replica. Each worker adds its partitions into its
    /// own tally (integer sums: any grouping gives the same counts); `None`
    /// when stopped, since a partition cut short has partial counts.
    pub fn run_replica(&self, replica: u32, stop: &AtomicBool) -> Option<Tally> {
        self.run_partitions(replica, 0..self.partitions.len(), stop)
    }

    /// Simulates partitions `parts` of `replica` (all of them, or a shard's
    /// share), summed into one tally.
    pub fn run_partitions(&self, replica: u32, parts: Range<usize>, stop: &AtomicBool) -> Option<Tally> {
        let tally = parts
            .into_par_iter()
            .fold(
                || self.new_tally(),
                |mut tally, p| {
                    if !stop.load(Ordering::Relaxed) {
                        self.run_partition_into(&mut tally, replica, p, stop);
                    }
                    tally
                },
            )
            .reduce(
                || self.new_tally(),
                |mut a, b| {
                    a.merge(&b);
                    a
                },
            );
        (!stop.load(Ordering::Relaxed)).then_some(tally)
    }
}

/// A replica's or partition's random stream, from (seed, replica, partition):
/// SplitMix64 steps over the three, so neighbouring indices give unrelated streams.
pub fn stream_seed(seed: u64, replica: u64, partition: u64) -> u64 {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    mix(mix(mix(seed) ^ replica) ^ partition.wrapping_mul(0x2545_f491_4f6c_dd1d))
}

/// The simulation was stopped (Ctrl-C) before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

/// Runs every replica; tallies come back in replica order. `progress` is
/// called with the number of finished replicas.
pub fn simulate(
    model: &Model,
    runs: u32,
    stop: &AtomicBool,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Tally>, Interrupted> {
    let done = AtomicU64::new(0);
    let tallies: Vec<Option<Tally>> = (0..runs)
        .into_par_iter()
        .map(|r| {
            let tally = model.run_replica(r, stop);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            tally
        })
        .collect();
    if stop.load(Ordering::Relaxed) {
        return Err(Interrupted);
    }
    tallies.into_iter().map(|t| t.ok_or(Interrupted)).collect()
}

/// Simulates pieces of replicas (a shard's share of the work): each piece is
/// a replica and a range of its partitions. Tallies come back in the pieces'
/// order. `progress` is called with the number of finished pieces.
pub fn simulate_pieces(
    model: &Model,
    pieces: &[(u32, Range<usize>)],
    stop: &AtomicBool,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Tally>, Interrupted> {
    let done = AtomicU64::new(0);
    let tallies: Vec<Option<Tally>> = pieces
        .par_iter()
        .map(|(replica, parts)| {
            let tally = model.run_partitions(*replica, parts.clone(), stop);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            tally
        })
        .collect();
    tallies.into_iter().map(|t| t.ok_or(Interrupted)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_is_exact_and_proportional() {
        assert_eq!(apportion(100, &[0.95, 0.05]), vec![95, 5]);
        assert_eq!(
            apportion(10, &[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0])
                .iter()
                .sum::<u64>(),
            10
        );
        assert_eq!(apportion(7, &[0.5, 0.5]), vec![4, 3]);
    }

    #[test]
    fn streams_differ_by_replica_and_partition() {
        let a = stream_seed(7, 0, 0);
        assert_ne!(a, stream_seed(7, 1, 0));
        assert_ne!(a, stream_seed(7, 0, 1));
        assert_ne!(stream_seed(7, 1, 0), stream_seed(7, 0, 1));
        assert_eq!(a, stream_seed(7, 0, 0));
    }
}
