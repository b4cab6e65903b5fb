//! One independent piece of a replica: a resolver instance and the households
//! behind it (households behind different resolver caches never interact).
//! Requests arrive on the partition's merged Poisson stream, the device that
//! sends each drawn in proportion to its rate; busy devices run ahead on their
//! own streams instead (`run_ahead`). Caches and connections are checked
//! lazily when a request arrives: with no network latency in the model, expiry
//! needs no event of its own, so the loop needs no event queue beyond the busy
//! devices' next requests. Caches start in their stationary state (`seed`).

mod run_ahead;
mod seed;

use super::tally::{self, Tally};
use super::{table, Layer, Model, APP, OS, RESOLVER, ROUTER};
use crate::duration::Millis;
use crate::policy::Policy;
use crate::population::{AliasTable, DailyCycle};
use crate::scenario::Connection;
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::Exp1;
use rand_xoshiro::Xoshiro256PlusPlus;
pub(super) use run_ahead::own_window;
use run_ahead::Busy;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};

const NO_VERSION: u16 = u16::MAX;
const NO_ADDRESS: u8 = u8::MAX;
const NO_POOL: u8 = u8::MAX;
/// In [`Device::caches`]: every cache of the chain is plain (see
/// [`crate::policy::Policy::is_plain`]) and the resolver has one shard, so
/// requests take [`Partition::serve_plain`].
const PLAIN: u8 = 1 << 7;

/// One cached answer.
#[derive(Clone, Copy, Debug)]
struct Entry {
    expires: Millis,
    /// How long it was kept when stored (prefetch, restamp).
    lifetime: Millis,
    /// Early eviction (busy caches); `Millis::MAX` when the policy has none.
    evicted: Millis,
    version: u16,
    /// The answer's order as this cache received it (see [`Answer::first`]).
    first: u8,
}

impl Entry {
    const EMPTY: Entry = Entry {
        expires: Millis::MIN,
        lifetime: 0,
        evicted: Millis::MAX,
        version: NO_VERSION,
        first: 0,
    };

    /// Keeps version `version` (its order starting at `first`) for `kept`
    /// from `now` in a plain cache (see [`crate::policy::Policy::is_plain`]),
    /// writing only what such a cache reads: when it expires, the version and
    /// the order. Its `lifetime` is read only for prefetch and restamping,
    /// and its `evicted` stays `Millis::MAX` (a plain cache evicts nothing
    /// early), so both may stay as they are. The same entry as
    /// [`Entry::holding`] as far as any reader can tell.
    ///
    /// At a layer without a cache (`caches` false) the entry is written
    /// never to be live, so walks need not ask first whether a layer caches.
    /// A cache's `kept` is never negative, and a zero lifetime expires at
    /// once (`now` is not before `now`), as [`Entry::EMPTY`] would.
    #[inline(always)]
    fn keep_plain(&mut self, version: u16, first: u8, kept: Millis, caches: bool, now: Millis) {
        debug_assert!(kept >= 0 || !caches);
        self.expires = if caches { now + kept } else { Millis::MIN };
        self.version = version;
        self.first = first;
    }

    /// `answer` kept for `kept` from `now` (nothing kept if `kept` is not
    /// positive). Times and lifetimes are at most `FOREVER` (`i64::MAX / 8`)
    /// either way, so the sum cannot overflow.
    #[inline(always)]
    fn holding(answer: &Answer, kept: Millis, evicted: Millis, now: Millis) -> Entry {
        if kept > 0 {
            Entry {
                expires: now + kept,
                lifetime: kept,
                evicted,
                version: answer.version,
                first: answer.first,
            }
        } else {
            Entry::EMPTY
        }
    }
}

/// An answer on its way down the chain.
#[derive(Clone, Copy, Debug)]
struct Answer {
    version: u16,
    /// The TTL handed downstream.
    ttl: Millis,
    /// The layer whose cached copy produced it.
    held_at: Layer,
    /// Which of its addresses comes first (rank among them), for clients
    /// that take the first of a rotated answer.
    first: u8,
}

#[derive(Clone, Copy, Debug)]
struct Device {
    app: Entry,
    os: Entry,
    conn_opened: Millis,
    conn_last: Millis,
    household: u32,
    /// Last bucket (+1) with a request, and with a request to an old address.
    last_active: u32,
    last_old: u32,
    app_pool: u8,
    os_pool: u8,
    conn_address: u8,
    /// Bit `layer as u8` set: this device's chain has a cache at that layer;
    /// and the [`PLAIN`] bit.
    caches: u8,
}

/// Memory per device while its partition runs, at most: its state, its
/// alias-table column (8 bytes), its three rates while the tables are built
/// (24 bytes), and, if it is busy, its stream and its place in the queue.
pub const BYTES_PER_DEVICE: usize =
    std::mem::size_of::<Device>() + 32 + std::mem::size_of::<Busy>() + std::mem::size_of::<(u64, u32)>();
/// Memory per household while its partition runs.
pub const BYTES_PER_HOUSEHOLD: usize = std::mem::size_of::<Household>();

impl Device {
    /// A request at `now` over this device's keep-alive connection (kept as
    /// `c` says), if it is open: the address it goes to.
    #[inline(always)]
    fn connection_hit(&mut self, c: Connection, now: Millis) -> Option<u8> {
        let open = self.conn_address != NO_ADDRESS
            && now - self.conn_last <= c.idle_timeout
            && now - self.conn_opened < c.max_age;
        if !open {
            return None;
        }
        self.conn_last = now;
        Some(self.conn_address)
    }

    /// Opens a new keep-alive connection to `address` at `now`.
    #[inline(always)]
    fn connect(&mut self, address: u8, now: Millis) {
        self.conn_address = address;
        self.conn_opened = now;
        self.conn_last = now;
    }
}

#[derive(Clone, Copy, Debug)]
struct Household {
    router: Entry,
    router_pool: u8,
}

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
    /// Request and restart rates of the partition's shared stream: every
    /// device but the busy ones.
    request_rate: f64,
    restart_rate: f64,
    /// Devices whose requests come from their own streams (see [`Busy`]).
    busy: Vec<Busy>,
    /// Each busy device's next request that needs more than its private
    /// state, by time (elapsed since `start`, as f64 bits) and busy index.
    queue: BinaryHeap<Reverse<(u64, u32)>>,
    /// When this partition's warm-up begins (before the change, so negative).
    start: Millis,
    /// Each secondary's SOA refresh phase, shared by the whole replica.
    secondary_phases: Vec<Millis>,
    /// Round-robin positions of each resolver shard and of the authoritative.
    rotations: Vec<u32>,
    authoritative_rotation: u32,
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
        let caching = |table: usize, pool: u8, layer: Layer| -> u8 {
            u8::from(model.traits[table].get(pool).caches) << layer as u8
        };
        // Whether a pool's cache, if any, is plain.
        let plain = |table: usize, pool: u8| !model.traits[table].get(pool).elaborate;
        let resolver_bit = plan
            .resolver_pool
            .map_or(0, |p| caching(RESOLVER, p as u8, Layer::Resolver));
        let resolver_plain = plan.resolver_pool.is_none_or(|p| {
            let policy = &s.resolvers[p].policy;
            !policy.caches || (policy.is_plain() && policy.shards == 1)
        });
        for h in 0..plan.households {
            let router_pool = pick_pool(&mut rng, &model.router_cumulative);
            households.push(Household {
                router: Entry::EMPTY,
                router_pool,
            });
            let household_bits = resolver_bit | caching(ROUTER, router_pool, Layer::Router);
            let household_plain = model.plain_walk && resolver_plain && plain(ROUTER, router_pool);
            let count = s.population.devices_per_household.sample_count(&mut rng);
            for _ in 0..count {
                let app_pool = pick_pool(&mut rng, &model.app_cumulative);
                let os_pool = pick_pool(&mut rng, &model.os_cumulative);
                let device_plain = household_plain && plain(OS, os_pool) && plain(APP, app_pool);
                let caches = household_bits
                    | caching(OS, os_pool, Layer::Os)
                    | caching(APP, app_pool, Layer::App)
                    | if device_plain { PLAIN } else { 0 };
                let device = Device {
                    app: Entry::EMPTY,
                    os: Entry::EMPTY,
                    conn_opened: 0,
                    conn_last: 0,
                    household: h,
                    last_active: 0,
                    last_old: 0,
                    app_pool,
                    os_pool,
                    conn_address: NO_ADDRESS,
                    caches,
                };
                let per_day = s.population.requests_per_day.sample_requests_per_day(&mut rng);
                let rate = per_day / crate::duration::DAY as f64;
                let restart_rate = model.traits[APP].get(app_pool).restart_rate;
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
        let shards = plan
            .resolver_pool
            .map_or(0, |p| s.resolvers[p].policy.shards as usize);
        let mut partition = Partition {
            model,
            plan,
            rng,
            requesters: AliasTable::new(&shared_rates),
            restarters: (restart_rate > 0.0).then(|| AliasTable::new(&restart_weights)),
            devices,
            households,
            shards: vec![Entry::EMPTY; shards],
            request_rate,
            restart_rate,
            busy,
            queue: BinaryHeap::new(),
            start: 0,
            secondary_phases,
            rotations: vec![0; shards],
            authoritative_rotation: 0,
        };
        partition.start = -partition.warmup();
        partition.seed_caches(partition.start, &rates);
        partition
    }

    /// How far before the change this partition starts.
    fn warmup(&self) -> Millis {
        let s = &self.model.scenario;
        s.warmup.unwrap_or_else(|| {
            let policy = self.plan.resolver_pool.map(|p| &s.resolvers[p].policy);
            let chain = crate::scenario::longest_chain_lifetime(s, policy);
            let settle = chain
                .min(super::WARMUP_CAP)
                .saturating_mul(2)
                .max(super::WARMUP_MIN);
            settle - s.record.earliest_step()
        })
    }

    /// Runs the partition from its warm-up start to the horizon, adding to `tally`.
    /// Events come in time order from two sources: the partition's shared
    /// stream (devices drawn in proportion to their rate) and the queue of
    /// busy devices' next requests that need shared state. Checks `stop`
    /// every million requests, so even a huge partition ends promptly on
    /// Ctrl-C (its counts are then discarded).
    pub fn run(&mut self, tally: &mut Tally, stop: &AtomicBool) {
        if self.restart_rate > 0.0 || self.model.scenario.population.daily_cycle.is_some() {
            self.run_streams::<false>(tally, stop)
        } else {
            self.run_streams::<true>(tally, stop)
        }
    }

    /// [`Self::run`], compiled apart for a shared stream that is only requests
    /// (`ONLY_REQUESTS`: no app restarts in it, no daily cycle): its loop then
    /// has no test for the other kinds of arrival, which made the common case
    /// a tenth faster. Both draw the same random numbers for the same stream.
    fn run_streams<const ONLY_REQUESTS: bool>(&mut self, tally: &mut Tally, stop: &AtomicBool) {
        let start = self.start;
        tally.devices += self.devices.len() as u64;
        let end = self.model.scenario.duration;
        // Time since the start, always positive, so truncation is floor.
        let span = (end - start) as f64;
        for b in 0..self.busy.len() {
            if let Some(first) = self.next_busy_request(b, 0.0, span) {
                self.queue.push(Reverse((first.to_bits(), b as u32)));
            }
        }
        let total_rate = self.request_rate + self.restart_rate;
        let shared_gap = 1.0 / (total_rate * self.model.peak_factor());
        let restart_share = self.restart_rate / total_rate;
        let bucket_len = self.model.scenario.bucket;
        let mut clock = Clock::new(&self.model.scenario.record, start);
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
            start,
        };
        let mut next = stream.next::<ONLY_REQUESTS>(0.0, &self.requesters, self.restarters.as_ref());
        let mut next_busy = self.queue_head();
        loop {
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
                let Reverse((_, b)) = self.queue.pop().expect("the queue has a head");
                simulated += self.run_busy(b as usize, next_busy, span, tally);
                next_busy = self.queue_head();
                continue;
            }
            if next.elapsed >= span {
                break;
            }
            // A segment of the shared stream: its arrivals up to the busy
            // queue's head, within the warm-up or one bucket, and within one
            // version of the record, so each arrival checks one bound.
            let now = start + next.elapsed as Millis;
            let current = clock.addresses_at(now);
            while now >= bucket_end {
                bucket += 1;
                bucket_end += bucket_len;
            }
            let counted = now >= 0;
            let boundary = if counted { bucket_end } else { 0 }.min(clock.next_change());
            let segment_end = ((boundary - start) as f64).min(next_busy).min(span);
            loop {
                // Drawn one ahead from a stream of its own: the draws do not
                // wait on serving this arrival, so the processor overlaps them.
                let arrival = next;
                next =
                    stream.next::<ONLY_REQUESTS>(arrival.elapsed, &self.requesters, self.restarters.as_ref());
                let d = arrival.device as usize;
                let now = start + arrival.elapsed as Millis;
                match arrival.kind {
                    ArrivalKind::Request => {
                        simulated += 1;
                        let (address, held_at) = self.request(now, d);
                        if counted {
                            let served = Served {
                                requests: 1,
                                address,
                                held_at,
                                old: current & (1u64 << address) == 0,
                                last: now,
                            };
                            self.count(tally, bucket, d, served);
                        }
                    }
                    ArrivalKind::Restart => self.restart(d),
                    ArrivalKind::Dropped => {}
                }
                if next.elapsed >= segment_end || simulated >= check_stop_at {
                    break;
                }
            }
        }
        tally.simulated += simulated;
    }

    /// Adds `served` (requests of device `d` in `bucket`) to the tally.
    #[inline(always)]
    fn count(&mut self, tally: &mut Tally, bucket: usize, d: usize, served: Served) {
        let stamp = bucket as u32 + 1;
        let device = &mut self.devices[d];
        let row = tally.row_mut(bucket);
        row[tally::REQUESTS] += served.requests;
        if device.last_active != stamp {
            device.last_active = stamp;
            row[tally::ACTIVE_DEVICES] += 1;
        }
        if self.model.count_addresses {
            row[tally::ADDRESSES + served.address as usize] += served.requests;
        }
        if served.old {
            row[tally::OLD] += served.requests;
            row[tally::VIA + served.held_at as usize] += served.requests;
            if device.last_old != stamp {
                device.last_old = stamp;
                row[tally::DEVICES_OLD] += 1;
            }
            tally.last_old = tally.last_old.max(Some(served.last));
        }
        tally.answered_at[served.held_at as usize] += served.requests;
    }

    /// An app restart clears the app's cache and closes its connection.
    fn restart(&mut self, d: usize) {
        let device = &mut self.devices[d];
        device.app = Entry::EMPTY;
        device.conn_address = NO_ADDRESS;
    }

    /// One request from device `d` at `now`: the address it reaches and the
    /// layer whose held answer sent it there.
    #[inline(always)]
    fn request(&mut self, now: Millis, d: usize) -> (u8, Layer) {
        if self.devices[d].caches & PLAIN != 0 {
            return self.serve_plain(now, d);
        }
        self.serve_general(now, d)
    }

    /// A request from device `d` at `now` whose chain is not plain: its
    /// connection, its app's cache, else [`Self::resolve`]'s general walk.
    /// Kept out of line so the plain path's loop keeps its registers.
    #[inline(never)]
    fn serve_general(&mut self, now: Millis, d: usize) -> (u8, Layer) {
        let connection = self.connection(d);
        if let Some(address) = connection.and_then(|c| self.devices[d].connection_hit(c, now)) {
            return (address, Layer::Connection);
        }
        let answer = self
            .app_hit(now, d)
            .unwrap_or_else(|| self.resolve(Layer::App, now, d));
        let address = self.pick_address(&answer);
        if connection.is_some() {
            self.devices[d].connect(address, now);
        }
        (address, answer.held_at)
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
        let live = device.caches & (1 << Layer::App as u8) != 0 && live(entry, now);
        if live
            && self.model.policies[APP][device.app_pool as usize]
                .prefetch
                .is_none()
        {
            return Some(Answer {
                version: entry.version,
                ttl: 0,
                held_at: Layer::App,
                first: entry.first,
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

    /// Asks the caches from `from` up, stopping at the first that holds a
    /// live answer (or the authoritative), then stores the answer in every
    /// cache that missed on the way back down. The device's `caches` mask
    /// says which layers of its chain cache at all. The walk is spelt out
    /// layer by layer so each step compiles to that layer's own code.
    fn resolve(&mut self, from: Layer, now: Millis, d: usize) -> Answer {
        let caches = self.devices[d].caches & (u8::MAX << from as u8);
        let mut missed = 0u8;
        let mut shard = 0;
        let found = 'walk: {
            for layer in [Layer::App, Layer::Os, Layer::Router] {
                if let Some(answer) = self.ask(layer, caches, &mut missed, 0, now, d) {
                    break 'walk Some(answer);
                }
            }
            if caches & (1 << Layer::Resolver as u8) != 0 && self.shards.len() > 1 {
                shard = self.rng.random_range(0..self.shards.len());
            }
            self.ask(Layer::Resolver, caches, &mut missed, shard, now, d)
        };
        let mut answer = found.unwrap_or_else(|| self.authoritative(now));
        if missed & (1 << Layer::Resolver as u8) != 0 {
            answer.ttl = self.store(Layer::Resolver, d, shard, answer, now);
            answer.first = self.next_first(Some(shard), answer.version);
        }
        for layer in [Layer::Router, Layer::Os, Layer::App] {
            if missed & (1 << layer as u8) != 0 {
                answer.ttl = self.store(layer, d, shard, answer, now);
            }
        }
        answer
    }

    /// A request from device `d`, whose chain is plain ([`PLAIN`]), at
    /// `now`: its connection, else [`Self::resolve`]'s walk from the app up
    /// and back down, spelt out for caches that only keep answers. It is the
    /// walk most requests take, so it reads each layer's lifetime bounds
    /// instead of its policy and borrows each piece of state once. Same
    /// answers and same random draws as the general walk, so the same results
    /// to the byte (tests/equivalence.rs).
    #[inline(always)]
    fn serve_plain(&mut self, now: Millis, d: usize) -> (u8, Layer) {
        let m = self.model;
        let device = &mut self.devices[d];
        let connection = m.connections.get(device.app_pool);
        if let Some(address) = connection.and_then(|c| device.connection_hit(c, now)) {
            return (address, Layer::Connection);
        }
        let caches = device.caches;
        let has = |layer: Layer| caches & (1 << layer as u8) != 0;
        let household = &mut self.households[device.household as usize];
        let shard = self.shards.first_mut();
        // Up: the first cache with a live answer (plain caches evict nothing
        // early, so an answer is live until it expires). The entry of a layer
        // without a cache is never live (see [`Entry::keep_plain`]), so the
        // walk asks every layer and takes no branch on which layers cache.
        let live_at = |entry: &Entry| now < entry.expires;
        let held = if live_at(&device.app) {
            Some((device.app, Layer::App))
        } else if live_at(&device.os) {
            Some((device.os, Layer::Os))
        } else if live_at(&household.router) {
            Some((household.router, Layer::Router))
        } else {
            shard
                .as_deref()
                .filter(|entry| has(Layer::Resolver) && live_at(entry))
                .map(|entry| (*entry, Layer::Resolver))
        };
        // The answer's fields as plain locals: updated one by one, they stay
        // in registers (a struct updated field by field in memory and then
        // copied whole stalls the copy).
        let record = &m.scenario.record;
        let (version, mut ttl, held_at, mut first) = match held {
            Some((entry, Layer::Resolver)) => {
                let first = next_in_rotation(record, &mut self.rotations[0], entry.version);
                (entry.version, entry.expires - now, Layer::Resolver, first)
            }
            Some((entry, held_at)) => (entry.version, entry.expires - now, held_at, entry.first),
            None => {
                let upstream = Upstream {
                    model: m,
                    rng: &mut self.rng,
                    secondary_phases: &self.secondary_phases,
                    rotation: &mut self.authoritative_rotation,
                };
                let a = upstream.answer(now);
                (a.version, a.ttl, a.held_at, a.first)
            }
        };
        // Down: kept by every cache below the one that held it. A plain
        // cache reads only when its answer expires, so only that, the
        // version and the order are written (see [`Entry::keep_plain`]).
        let keep = |entry: &mut Entry, layer: Layer, pool: u8, ttl: &mut Millis, first: u8| {
            let kept = m.bounds[table(layer)].get(pool).keep(*ttl);
            *ttl = kept;
            entry.keep_plain(version, first, kept, has(layer), now);
        };
        if held_at > Layer::Resolver && has(Layer::Resolver) {
            if let Some(entry) = shard {
                let pool = self.plan.resolver_pool.unwrap_or(0) as u8;
                keep(entry, Layer::Resolver, pool, &mut ttl, first);
                first = next_in_rotation(record, &mut self.rotations[0], version);
            }
        }
        let router_pool = household.router_pool;
        if held_at > Layer::Router {
            keep(&mut household.router, Layer::Router, router_pool, &mut ttl, first);
        }
        if held_at > Layer::Os {
            keep(&mut device.os, Layer::Os, device.os_pool, &mut ttl, first);
        }
        if held_at > Layer::App {
            keep(&mut device.app, Layer::App, device.app_pool, &mut ttl, first);
        }
        let address = pick_address(record, &mut self.rng, version, first);
        if connection.is_some() {
            device.connect(address, now);
        }
        (address, held_at)
    }

    /// One step of [`Self::resolve`]'s walk up: the answer of the cache at
    /// `layer` if the chain has one there and it hits; a miss is added to `missed`.
    #[inline(always)]
    fn ask(
        &mut self,
        layer: Layer,
        caches: u8,
        missed: &mut u8,
        shard: usize,
        now: Millis,
        d: usize,
    ) -> Option<Answer> {
        let bit = 1 << layer as u8;
        if caches & bit == 0 {
            return None;
        }
        let answer = self.lookup(layer, shard, now, d);
        if answer.is_none() {
            *missed |= bit;
        }
        answer
    }

    /// The answer the authoritative server gives at `now`.
    fn authoritative(&mut self, now: Millis) -> Answer {
        let upstream = Upstream {
            model: self.model,
            rng: &mut self.rng,
            secondary_phases: &self.secondary_phases,
            rotation: &mut self.authoritative_rotation,
        };
        upstream.answer(now)
    }

    /// The next position in the round robin of a resolver shard, or of the
    /// authoritative when `None` (see [`next_in_rotation`]).
    #[inline]
    fn next_first(&mut self, shard: Option<usize>, version: u16) -> u8 {
        let counter = match shard {
            Some(i) => &mut self.rotations[i],
            None => &mut self.authoritative_rotation,
        };
        next_in_rotation(&self.model.scenario.record, counter, version)
    }

    /// A hit at one cache: its answer, after any prefetch or serve-stale
    /// refresh it triggers. `None` on a miss.
    #[inline(always)]
    fn lookup(&mut self, layer: Layer, shard: usize, now: Millis, d: usize) -> Option<Answer> {
        let policy = self.policy(layer, d);
        let entry = *self.slot(layer, d, shard);
        if live(&entry, now) {
            let remaining = entry.expires - now;
            let first = if layer == Layer::Resolver {
                self.next_first(Some(shard), entry.version)
            } else {
                entry.first
            };
            let answer = Answer {
                version: entry.version,
                ttl: if policy.restamp { entry.lifetime } else { remaining },
                held_at: layer,
                first,
            };
            if policy.prefetch.is_some() && remaining <= policy.prefetch_point(entry.lifetime) {
                let fresh = self.resolve(layer.up(), now, d);
                self.store(layer, d, shard, fresh, now);
            }
            return Some(answer);
        }
        let stale = policy.serve_stale?;
        if entry.version != NO_VERSION
            && now < entry.expires.saturating_add(stale.max_stale)
            && now < entry.evicted
        {
            let fresh = self.resolve(layer.up(), now, d);
            self.store(layer, d, shard, fresh, now);
            return Some(Answer {
                version: entry.version,
                ttl: stale.reply_ttl,
                held_at: layer,
                first: entry.first,
            });
        }
        None
    }

    /// Keeps `answer` at `layer` as its policy says; returns the lifetime kept,
    /// which is also the TTL this cache hands downstream.
    #[inline(always)]
    fn store(&mut self, layer: Layer, d: usize, shard: usize, answer: Answer, now: Millis) -> Millis {
        let policy = self.policy(layer, d);
        let kept = policy.lifetime(answer.ttl);
        let evicted = match policy.evict_after {
            Some(mean) => now.saturating_add((self.rng.sample::<f64, _>(Exp1) * mean as f64) as Millis),
            None => Millis::MAX,
        };
        *self.slot(layer, d, shard) = Entry::holding(&answer, kept, evicted, now);
        kept
    }
}

/// One address of version `version`'s answer: at random among several, or
/// the `first` of the answer's order when servers rotate it (`record.pick =
/// "rotate"`).
#[inline(always)]
fn pick_address<R: Rng>(record: &crate::scenario::Record, rng: &mut R, version: u16, first: u8) -> u8 {
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
fn next_in_rotation(record: &crate::scenario::Record, counter: &mut u32, version: u16) -> u8 {
    if !record.rotate {
        return 0;
    }
    let count = record.versions[version as usize].addresses.count_ones();
    *counter = counter.wrapping_add(1);
    (*counter % count) as u8
}

/// What the authoritative servers' answers need from a partition, borrowed
/// apart from its caches.
struct Upstream<'a, 'm> {
    model: &'m Model,
    rng: &'a mut Xoshiro256PlusPlus,
    secondary_phases: &'a [Millis],
    rotation: &'a mut u32,
}

impl Upstream<'_, '_> {
    /// The answer the authoritative server gives at `now`.
    fn answer(self, now: Millis) -> Answer {
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
        let version = record.version_at(loaded);
        let first = next_in_rotation(record, self.rotation, version as u16);
        Answer {
            version: version as u16,
            ttl: record.versions[version].ttl,
            held_at: Layer::Authoritative,
            first,
        }
    }
}

/// Whether a cached entry still answers at `now` (not expired, not evicted).
#[inline(always)]
fn live(entry: &Entry, now: Millis) -> bool {
    now < entry.expires && now < entry.evicted
}

/// The lifetime a cache in `pool` gives an answer handed to it with `ttl`
/// (a layer with no cache passes the TTL through).
fn pass(pool: Option<&crate::scenario::Pool>, ttl: Millis) -> Millis {
    match pool {
        Some(p) if p.policy.caches => p.policy.lifetime(ttl),
        _ => ttl,
    }
}

/// Whether the daily cycle drops an arrival at `now` from a stream drawn at
/// its peak rate (never without a cycle).
#[inline(always)]
fn thinned_out<R: Rng>(cycle: Option<DailyCycle>, rng: &mut R, now: Millis) -> bool {
    let Some(c) = cycle else {
        return false;
    };
    rng.random::<f64>() * c.peak_factor() >= c.factor(now as f64)
}

/// How the partition's shared stream draws its arrivals, from random
/// numbers of its own: which devices arrive when does not depend on what
/// serving them draws, so the draws need not wait for the serving, and the
/// stream's state stays in registers while the partition's changes.
struct SharedStream {
    rng: Xoshiro256PlusPlus,
    /// Mean time between arrivals (at the daily cycle's peak).
    gap: f64,
    /// The chance an arrival is an app restart rather than a request.
    restart_share: f64,
    cycle: Option<DailyCycle>,
    start: Millis,
}

impl SharedStream {
    /// The next arrival after `elapsed`: a request from a device drawn from
    /// `requesters`, an app restart drawn from `restarters`, or one the daily
    /// cycle drops (only requests when `ONLY_REQUESTS`).
    #[inline(always)]
    fn next<const ONLY_REQUESTS: bool>(
        &mut self,
        elapsed: f64,
        requesters: &AliasTable,
        restarters: Option<&AliasTable>,
    ) -> Arrival {
        let rng = &mut self.rng;
        let elapsed = elapsed + rng.sample::<f64, _>(Exp1) * self.gap;
        let (kind, device) = if ONLY_REQUESTS {
            (ArrivalKind::Request, requesters.sample(rng))
        } else if thinned_out(self.cycle, rng, self.start + elapsed as Millis) {
            (ArrivalKind::Dropped, 0)
        } else if self.restart_share > 0.0 && rng.random::<f64>() < self.restart_share {
            let restarters = restarters.expect("restart rate > 0");
            (ArrivalKind::Restart, restarters.sample(rng))
        } else {
            (ArrivalKind::Request, requesters.sample(rng))
        };
        Arrival {
            elapsed,
            device: device as u32,
            kind,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ArrivalKind {
    Request,
    Restart,
    /// Thinned out by the daily cycle.
    Dropped,
}

/// One arrival of the shared stream.
#[derive(Clone, Copy, Debug)]
struct Arrival {
    /// Time since the partition's start.
    elapsed: f64,
    device: u32,
    kind: ArrivalKind,
}

/// Requests of one device that went the same way (same address, layer and
/// staleness) within one bucket, counted in one go.
#[derive(Clone, Copy, Debug)]
struct Served {
    requests: u64,
    address: u8,
    held_at: Layer,
    old: bool,
    /// When the last of them was made.
    last: Millis,
}

/// The addresses the authoritative serves, tracked as time moves forward.
struct Clock<'r> {
    record: &'r crate::scenario::Record,
    next: usize,
    addresses: u64,
}

impl<'r> Clock<'r> {
    fn new(record: &'r crate::scenario::Record, start: Millis) -> Clock<'r> {
        let current = record.version_at(start);
        Clock {
            record,
            next: current + 1,
            addresses: record.versions[current].addresses,
        }
    }

    /// When the authoritative next changes what it serves (`Millis::MAX`: never).
    fn next_change(&self) -> Millis {
        self.record
            .versions
            .get(self.next)
            .map_or(Millis::MAX, |v| v.start)
    }

    #[inline]
    fn addresses_at(&mut self, now: Millis) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Per-device state stays small and flat (README's memory figures).
    #[test]
    fn state_is_small() {
        assert_eq!(std::mem::size_of::<Entry>(), 32);
        assert_eq!(std::mem::size_of::<Device>(), 96);
        assert_eq!(std::mem::size_of::<Household>(), 40);
        assert_eq!(std::mem::size_of::<Busy>(), 40);
        assert_eq!(BYTES_PER_DEVICE, 184);
    }
}
