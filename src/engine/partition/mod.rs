//! One independent piece of a replica: a resolver instance and the households
//! behind it (households behind different resolver caches never interact).
//! Requests arrive on the partition's merged Poisson stream, the device that
//! sends each drawn in proportion to its rate; busy devices run ahead on their
//! own streams instead (`run_ahead`). Caches and connections are checked
//! lazily when a request arrives: with no network latency in the model, expiry
//! needs no event of its own, so the loop needs no event queue beyond the busy
//! devices' next requests. Caches start in their stationary state (`seed`).

mod clock;
mod count;
mod events;
mod keepalive;
mod plain;
mod quiet;
mod reload;
mod run_ahead;
mod seed;
mod state;
mod stream;
mod upstream;
mod walk;

use super::tally::{self, Tally};
use super::{cause, Layer, LayerMask, Model, APP, OS, RESOLVER, ROUTER};
use crate::duration::Millis;
use crate::policy::Policy;
use crate::population::AliasTable;
use crate::scenario::Connection;
use clock::Clock;
use events::{Event, Queue};
use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
pub(super) use run_ahead::own_window;
use run_ahead::Busy;
use state::{
    live, Answer, Device, Entry, Household, Reached, Served, Staleness, NO_ADDRESS, NO_POOL, NO_VERSION,
};
pub use state::{BYTES_PER_DEVICE, BYTES_PER_HOUSEHOLD};
use std::sync::atomic::{AtomicBool, Ordering};
use stream::{thinned_out, ArrivalKind, CycleSqueeze, SharedStream};
use upstream::{pick_address, VersionCursor};

/// Requests between checks of the stop flag.
const STOP_CHECK: u64 = 1 << 20;

/// A partition to simulate: which resolver pool and how many households.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionPlan {
    /// Index into the scenario's resolvers; `None` when no resolver caches.
    pub resolver_pool: Option<usize>,
    pub households: u32,
}

/// The state of one partition while it runs.
pub struct Partition<'m> {
    model: &'m Model,
    plan: PartitionPlan,
    rng: Xoshiro256PlusPlus,
    devices: Vec<Device>,
    households: Vec<Household>,
    shards: Vec<Entry>,
    requesters: AliasTable,
    restarters: Option<AliasTable>,
    /// Each device's requests per ms (before the daily cycle).
    rates: Vec<f64>,
    /// Request and restart rates of the partition's shared stream: every
    /// device but the busy ones.
    request_rate: f64,
    restart_rate: f64,
    /// Devices whose requests come from their own streams (see [`Busy`]).
    busy: Vec<Busy>,
    /// Each busy device's next request that needs more than its private
    /// state, by when it is due and busy index, and each reloading OS
    /// cache's next reload (see `reload.rs`).
    queue: Queue,
    /// When this partition's warm-up begins, and the conversions between
    /// arrival times and milliseconds.
    clock: Clock,
    /// Whether some device's OS cache reloads by itself (see `reload.rs`),
    /// and the key of its devices' prune phases, drawn only then.
    reloads: bool,
    prune_key: u64,
    /// Each secondary's SOA refresh phase, shared by the whole replica.
    secondary_phases: Vec<Millis>,
    /// Round-robin positions of each resolver shard and of the authoritative.
    rotations: Vec<u32>,
    authoritative_rotation: u32,
    /// The daily cycle where busy devices' streams last worked it out.
    busy_squeeze: CycleSqueeze,
    /// Whether the partition's resolver prefetches (the plain walk then
    /// checks each hit against its prefetch window).
    resolver_prefetches: bool,
    /// From when no old answer can reach the partition's devices
    /// (`Millis::MAX`: never within the horizon; see `engine::quiet`)…
    quiet_from: Millis,
    /// …and until when its requests are walked one by one (the horizon,
    /// or once it is quiet and the hit ratios' window is over).
    walk_until: Millis,
}

fn pick_pool<R: Rng>(rng: &mut R, cumulative: &[f64]) -> u8 {
    if cumulative.is_empty() {
        return NO_POOL;
    }
    let u: f64 = rng.random();
    cumulative
        .iter()
        .position(|&c| u < c)
        .unwrap_or(cumulative.len() - 1) as u8
}

impl<'m> Partition<'m> {
    /// Draws the partition's households and devices from its own random stream.
    pub fn new(
        model: &'m Model,
        plan: PartitionPlan,
        seed: u64,
        secondary_phases: Vec<Millis>,
    ) -> Partition<'m> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let s = &model.scenario;
        let mut households = Vec::with_capacity(plan.households as usize);
        // Room for the devices expected, so the tables rarely grow (a
        // heavy-tailed count may have no finite mean: then a guess).
        let per_household = s.population.devices_per_household.mean().min(8.0);
        let expected = (plan.households as f64 * per_household * 1.1) as usize + 16;
        let mut devices = Vec::with_capacity(expected);
        let mut rates = Vec::with_capacity(expected);
        let mut shared_rates = Vec::with_capacity(expected);
        let mut restart_weights = Vec::with_capacity(expected);
        let mut busy = Vec::new();
        // Which layers cache, as bits by layer: a pool that caches nothing, or
        // no pool at all, leaves its bit clear.
        let caching = |table: usize, pool: u8, layer: Layer| -> LayerMask {
            LayerMask::of_if(layer, model.facts[table].get(pool).caches)
        };
        // Whether a pool's cache, if any, is plain.
        let plain = |table: usize, pool: u8| !model.facts[table].get(pool).elaborate;
        let resolver_bit = plan
            .resolver_pool
            .map_or(LayerMask::EMPTY, |p| caching(RESOLVER, p as u8, Layer::Resolver));
        // The plain walk also draws a resolver's shard and prefetches there.
        let resolver_plain = plan.resolver_pool.is_none_or(|p| {
            let policy = &s.resolvers[p].policy;
            !policy.caches || policy.keeps_or_prefetches()
        });
        for h in 0..plan.households {
            let router_pool = pick_pool(&mut rng, &model.router_cumulative);
            households.push(Household {
                router: Entry::EMPTY,
                router_pool,
            });
            let household_bits = resolver_bit | caching(ROUTER, router_pool, Layer::Router);
            let household_plain = model.shortcuts.plain_walk && resolver_plain && plain(ROUTER, router_pool);
            let count = s.population.devices_per_household.sample_count(&mut rng);
            for _ in 0..count {
                let app_pool = pick_pool(&mut rng, &model.app_cumulative);
                // A device profile is one draw for both layers.
                let os_pool = if s.profiles {
                    app_pool
                } else {
                    pick_pool(&mut rng, &model.os_cumulative)
                };
                let device_plain = household_plain && plain(OS, os_pool) && plain(APP, app_pool);
                let caches = household_bits
                    | caching(OS, os_pool, Layer::Os)
                    | caching(APP, app_pool, Layer::App)
                    | if device_plain {
                        LayerMask::PLAIN
                    } else {
                        LayerMask::EMPTY
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
                    last_active: 0,
                    last_old: 0,
                    app_pool,
                    os_pool,
                    conn_address: NO_ADDRESS,
                    os_reloads: 0,
                    caches,
                };
                let per_day = s.population.requests_per_day.sample_requests_per_day(&mut rng);
                let rate = per_day / crate::duration::DAY as f64;
                let restart_rate = model.facts[APP].get(app_pool).restart_rate;
                let pools = (app_pool, os_pool);
                let rates_of_device = (rate, restart_rate);
                if let Some(b) = Busy::new(model, devices.len() as u32, pools, rates_of_device) {
                    busy.push(b);
                    shared_rates.push(0.0);
                    restart_weights.push(0.0);
                } else {
                    shared_rates.push(rate);
                    restart_weights.push(restart_rate);
                }
                rates.push(rate);
                devices.push(device);
            }
        }
        let request_rate: f64 = shared_rates.iter().sum();
        let restart_rate: f64 = restart_weights.iter().sum();
        // Drawn only where a cache reloads, so other scenarios draw as before.
        let reloads = model.facts[OS].0.iter().any(|f| f.reloads);
        let prune_key = if reloads { rng.random() } else { 0 };
        let quiet_from =
            model.quiet_from[plan.resolver_pool.unwrap_or(s.resolvers.len())].unwrap_or(Millis::MAX);
        let shards = plan
            .resolver_pool
            .map_or(0, |p| s.resolvers[p].policy.shards as usize);
        let mut partition = Partition {
            model,
            plan,
            rng,
            requesters: AliasTable::new(&shared_rates),
            rates: Vec::new(),
            restarters: (restart_rate > 0.0).then(|| AliasTable::new(&restart_weights)),
            devices,
            households,
            shards: vec![Entry::EMPTY; shards],
            request_rate,
            restart_rate,
            busy,
            queue: Queue::default(),
            clock: Clock::new(0),
            reloads,
            prune_key,
            secondary_phases,
            rotations: vec![0; shards],
            authoritative_rotation: 0,
            busy_squeeze: CycleSqueeze::UNKNOWN,
            quiet_from,
            walk_until: walk_until(model, quiet_from),
            resolver_prefetches: plan.resolver_pool.is_some_and(|p| {
                let policy = &s.resolvers[p].policy;
                policy.caches && policy.prefetch.is_some()
            }),
        };
        partition.clock = Clock::new(-partition.warmup());
        partition.seed_caches(partition.clock.start(), &rates);
        partition.rates = rates;
        partition.schedule_seeded_reloads();
        partition
    }

    /// How far before the change this partition starts.
    fn warmup(&self) -> Millis {
        let s = &self.model.scenario;
        super::warmup::warmup(s, self.plan.resolver_pool.map(|p| &s.resolvers[p].policy))
    }

    /// Runs the partition from its warm-up start to the horizon, adding to `tally`.
    /// Events come in time order from two sources: the partition's shared
    /// stream (devices drawn in proportion to their rate) and the queue of
    /// busy devices' next requests that need shared state. Checks `stop`
    /// every million requests, so even a huge partition ends promptly on
    /// Ctrl-C (its counts are then discarded).
    #[inline(always)]
    pub fn run(&mut self, tally: &mut Tally, stop: &AtomicBool) {
        let only_requests = self.restart_rate == 0.0 && self.model.scenario.population.daily_cycle.is_none();
        match (only_requests, self.reloads) {
            (true, false) => self.run_streams::<true, false>(tally, stop),
            (false, false) => self.run_streams::<false, false>(tally, stop),
            (true, true) => self.run_streams::<true, true>(tally, stop),
            (false, true) => self.run_streams::<false, true>(tally, stop),
        }
    }

    /// [`Self::run`], compiled apart for a shared stream that is only requests
    /// (`ONLY_REQUESTS`: no app restarts in it, no daily cycle): its loop then
    /// has no test for the other kinds of arrival, the common case's loop
    /// made shorter. Both draw the same random numbers for the same stream.
    /// Only where OS caches reload by themselves (`RELOADS`) can serving a
    /// request queue an event, which then ends the segment it falls in.
    fn run_streams<const ONLY_REQUESTS: bool, const RELOADS: bool>(
        &mut self,
        tally: &mut Tally,
        stop: &AtomicBool,
    ) {
        let clock = self.clock;
        tally.devices += self.devices.len() as u64;
        // The horizon, and where walking requests one by one ends.
        let horizon = clock.elapsed(self.model.scenario.duration);
        let span = clock.elapsed(self.walk_until);
        for b in 0..self.busy.len() {
            if let Some(first) = self.next_busy_request(b, 0.0, span) {
                self.queue.push(first, Event::Busy(b as u32));
            }
        }
        let total_rate = self.request_rate + self.restart_rate;
        let shared_gap = 1.0 / (total_rate * self.model.peak_factor());
        let restart_share = self.restart_rate / total_rate;
        let bucket_len = self.model.scenario.bucket;
        let mut versions = VersionCursor::new(&self.model.scenario.record, clock.start());
        let mut simulated = 0u64;
        let mut check_stop_at = STOP_CHECK;
        // The current bucket, tracked as time moves on (no division per request).
        let (mut bucket, mut bucket_end) = (0usize, bucket_len);
        let mut stream = SharedStream {
            rng: {
                // 2^128 draws on: never overlaps the partition's own stream.
                let mut rng = self.rng.clone();
                rng.jump();
                rng
            },
            gap: if total_rate > 0.0 {
                shared_gap
            } else {
                f64::INFINITY
            },
            restart_share,
            cycle: self.model.scenario.population.daily_cycle,
            squeeze: CycleSqueeze::UNKNOWN,
            clock,
        };
        let mut next = stream.next::<ONLY_REQUESTS>(0.0, &self.requesters, self.restarters.as_ref());
        let mut next_busy = self.queue.head();
        loop {
            if RELOADS {
                next_busy = self.queue.head();
            }
            if simulated >= check_stop_at {
                check_stop_at += STOP_CHECK;
                if stop.load(Ordering::Relaxed) {
                    break;
                }
            }
            if next_busy < next.elapsed {
                if next_busy >= span {
                    break;
                }
                match self.queue.pop().expect("the queue has a head") {
                    Event::Reload(d) => self.reload(d as usize, clock.at(next_busy)),
                    Event::Busy(b) => simulated += self.run_busy(b as usize, next_busy, span, tally),
                }
                next_busy = self.queue.head();
                continue;
            }
            if next.elapsed >= span {
                break;
            }
            // A segment of the shared stream: its arrivals up to the busy
            // queue's head, within the warm-up or one bucket, and within one
            // version of the record, so each arrival checks one bound.
            let now = clock.at(next.elapsed);
            let current = versions.addresses_at(now);
            while now >= bucket_end {
                bucket += 1;
                bucket_end += bucket_len;
            }
            let counted = now >= 0;
            let boundary = if counted { bucket_end } else { 0 }.min(versions.next_change());
            let segment_end = clock.elapsed(boundary).min(next_busy).min(span);
            loop {
                // Drawn one ahead from a stream of its own: the draws do not
                // wait on serving this arrival, so the processor overlaps them.
                let arrival = next;
                next =
                    stream.next::<ONLY_REQUESTS>(arrival.elapsed, &self.requesters, self.restarters.as_ref());
                let d = arrival.device as usize;
                let now = clock.at(arrival.elapsed);
                match arrival.kind {
                    ArrivalKind::Request => {
                        simulated += 1;
                        let reached = self.request(now, d);
                        if counted {
                            let served = Served {
                                requests: 1,
                                address: reached.address,
                                held_at: reached.held_at,
                                old: current & (1u64 << reached.address) == 0,
                                cause: reached.cause,
                                last: now,
                            };
                            self.count(tally, bucket, d, served);
                        }
                    }
                    ArrivalKind::Restart => self.restart(d),
                    ArrivalKind::Dropped => {}
                }
                // A reload queued while serving the segment ends it at its time.
                let ends = if RELOADS {
                    segment_end.min(self.queue.head())
                } else {
                    segment_end
                };
                if next.elapsed >= ends || simulated >= check_stop_at {
                    break;
                }
            }
        }
        if span < horizon && !stop.load(Ordering::Relaxed) {
            simulated += self.count_quiet(span, horizon, tally, stop);
        }
        tally.simulated += simulated;
    }

    /// An app restart clears the app's cache and closes its connection.
    fn restart(&mut self, d: usize) {
        let device = &mut self.devices[d];
        device.app = Entry::EMPTY;
        device.conn_address = NO_ADDRESS;
    }

    /// One request from device `d` at `now`: the address it reaches, the
    /// layer whose held answer sent it there, and why.
    #[inline(always)]
    fn request(&mut self, now: Millis, d: usize) -> Reached {
        if self.devices[d].caches.contains(LayerMask::PLAIN) {
            return self.serve_plain(now, d);
        }
        self.serve_general(now, d)
    }

    /// A request from device `d` at `now` whose chain is not plain: its
    /// connection, its app's cache, else [`Self::resolve`]'s general walk.
    /// Kept out of line so the plain path's loop keeps its registers.
    #[inline(never)]
    fn serve_general(&mut self, now: Millis, d: usize) -> Reached {
        if let Some(reached) = self.connection_hit(now, d) {
            return reached;
        }
        let answer = self
            .app_hit(now, d)
            .unwrap_or_else(|| self.resolve(Layer::App, now, d));
        let address = self.pick_address(&answer);
        if self.connection(d).is_some() {
            self.devices[d].connect(address, now, answer.stale);
        }
        Reached {
            address,
            held_at: answer.held_at,
            cause: answer.cause,
        }
    }

    /// A request from device `d` at `now` over its open keep-alive
    /// connection, if it has one.
    #[inline(always)]
    fn connection_hit(&mut self, now: Millis, d: usize) -> Option<Reached> {
        let c = self.connection(d)?;
        let (address, cause) = self.devices[d].connection_hit(c, now)?;
        Some(Reached {
            address,
            held_at: Layer::Connection,
            cause,
        })
    }

    /// The keep-alive connection device `d`'s app keeps, if any.
    #[inline]
    fn connection(&self, d: usize) -> Option<Connection> {
        self.model.connections.get(self.devices[d].app_pool)
    }

    /// The common case, inline: a live answer in the app's own cache, under a
    /// policy with nothing to do on a hit (no prefetch).
    #[inline]
    fn app_hit(&self, now: Millis, d: usize) -> Option<Answer> {
        let device = &self.devices[d];
        let entry = &device.app;
        let live = device.caches.has(Layer::App) && live(entry, now);
        if live && !self.model.policies[APP][device.app_pool as usize].hit_asks_upstream() {
            let stale = entry.staleness();
            return Some(Answer {
                version: entry.version,
                ttl: 0,
                held_at: Layer::App,
                first: entry.first,
                stale,
                cause: stale.cause_at(now, Layer::App),
            });
        }
        None
    }

    /// One address of `answer` (see [`pick_address`]).
    #[inline(always)]
    fn pick_address(&mut self, answer: &Answer) -> u8 {
        pick_address(
            &self.model.scenario.record,
            &mut self.rng,
            answer.version,
            answer.first,
        )
    }

    #[inline(always)]
    fn slot(&mut self, layer: Layer, d: usize, shard: usize) -> &mut Entry {
        match layer {
            Layer::App => &mut self.devices[d].app,
            Layer::Os => &mut self.devices[d].os,
            Layer::Router => {
                let h = self.devices[d].household as usize;
                &mut self.households[h].router
            }
            _ => &mut self.shards[shard],
        }
    }

    /// The policy of the cache at `layer` for device `d` (one that caches:
    /// see the device's `caches` mask).
    #[inline(always)]
    fn policy(&self, layer: Layer, d: usize) -> &'m Policy {
        let m = self.model;
        let device = &self.devices[d];
        match layer {
            Layer::App => &m.policies[APP][device.app_pool as usize],
            Layer::Os => &m.policies[OS][device.os_pool as usize],
            Layer::Router => {
                &m.policies[ROUTER][self.households[device.household as usize].router_pool as usize]
            }
            _ => &m.policies[RESOLVER][self.plan.resolver_pool.unwrap_or(0)],
        }
    }
}

/// A Poisson count with the given mean (none for a mean of 0).
fn poisson(rng: &mut Xoshiro256PlusPlus, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    let law = rand_distr::Poisson::new(mean).expect("a finite positive mean");
    rng.sample::<f64, _>(law) as u64
}

/// Until when a partition that goes quiet at `quiet_from` walks its requests
/// one by one: the horizon, or once it is quiet and the hit ratios' window
/// is over (when the model counts quiet requests in bulk).
fn walk_until(model: &Model, quiet_from: Millis) -> Millis {
    let s = &model.scenario;
    let window = model.answered_buckets as Millis * s.bucket;
    if model.shortcuts.count_quietly {
        quiet_from.max(window).min(s.duration)
    } else {
        s.duration
    }
}

/// The lifetime a cache in `pool` gives an answer handed to it with `ttl`
/// (a layer with no cache passes the TTL through).
fn pass(pool: Option<&crate::scenario::Pool>, ttl: Millis) -> Millis {
    match pool {
        Some(p) if p.policy.caches => p.policy.lifetime(ttl),
        _ => ttl,
    }
}
