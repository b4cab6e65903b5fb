//! One independent piece of a replica: a resolver instance and the households
//! behind it (households behind different resolver caches never interact).
//! Requests arrive on the partition's merged Poisson stream, the device that
//! sends each drawn in proportion to its rate; busy devices run ahead on their
//! own streams instead (`run_ahead`). Caches and connections are checked
//! lazily when a request arrives: with no network latency in the model, expiry
//! needs no event of its own, so the loop needs no event queue beyond the busy
//! devices' next requests. Caches start in their stationary state (`seed`).

mod alias;
mod build;
mod cells;
mod clock;
mod count;
mod delegation;
mod events;
mod keepalive;
mod misses;
mod plain;
mod quiet;
mod reload;
mod ride;
mod run_ahead;
mod seed;
mod state;
mod stream;
mod tails;
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
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
pub(super) use run_ahead::own_window;
use run_ahead::Busy;
use state::{
    live, Answer, Device, Entry, Household, Reached, Served, Staleness, Stamps, NO_ADDRESS, NO_POOL,
    NO_VERSION,
};
pub use state::{BYTES_PER_DEVICE, BYTES_PER_HOUSEHOLD};
use std::sync::atomic::{AtomicBool, Ordering};
use stream::{thinned_out, Arrival, ArrivalKind, CycleSqueeze, SharedStream};
use upstream::{pick_address, VersionCursor};

/// Requests between checks of the stop flag.
const STOP_CHECK: u64 = 1 << 20;

/// A stretch of the shared stream served in one go: within the warm-up or
/// one bucket, and within one version of the record, so each arrival
/// checks one bound.
#[derive(Clone, Copy)]
struct Segment {
    /// Where it ends (time since the start).
    end: f64,
    bucket: usize,
    /// After the change: its requests are counted.
    counted: bool,
    /// The addresses the record serves in it.
    current: u64,
}

/// A partition to simulate: which resolver pool and how many households.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionPlan {
    /// Index into the scenario's resolvers; `None` when no resolver caches.
    pub resolver_pool: Option<usize>,
    pub households: u32,
}

/// The state of one partition while it runs: its caches, where its
/// requests come from and what counting them needs, kept apart so that each
/// can be borrowed on its own.
pub struct Partition<'m> {
    model: &'m Model,
    plan: PartitionPlan,
    /// When this partition's warm-up begins, and the conversions between
    /// arrival times and milliseconds.
    clock: Clock,
    streams: Streams,
    caches: Caches,
    arrivals: Arrivals,
    counting: Counting,
}

/// The partition's random streams, one per mechanism, so that a draw more
/// or less in one leaves every other's numbers alone. Its households and
/// devices are drawn from the partition's own seed, before these.
struct Streams {
    /// Where caches and connections stand when the warm-up begins.
    seeding: Xoshiro256PlusPlus,
    /// The shared stream's arrivals: when, and from which device.
    arrivals: Xoshiro256PlusPlus,
    /// Busy devices' own arrivals (and their app restarts).
    busy: Xoshiro256PlusPlus,
    /// Serving requests: resolver shards, secondaries, addresses, eviction.
    walk: Xoshiro256PlusPlus,
    /// Requests counted in bulk: under pinned answers, and once quiet.
    counts: Xoshiro256PlusPlus,
}

impl Streams {
    /// Every mechanism's stream, from the partition's seed.
    fn new(seed: u64) -> Streams {
        let stream =
            |mechanism: u64| Xoshiro256PlusPlus::seed_from_u64(super::stream_seed(seed, mechanism, 0));
        Streams {
            seeding: stream(1),
            arrivals: stream(2),
            busy: stream(3),
            walk: stream(4),
            counts: stream(5),
        }
    }
}

/// Every cache and connection of a partition, and what the authoritative
/// side keeps for it.
struct Caches {
    devices: Vec<Device>,
    households: Vec<Household>,
    /// The resolver instance's independent caches (one unless sharded).
    shards: Vec<Entry>,
    /// Each shard's cached alias when the name is one (empty otherwise):
    /// its version is the target it names (see `alias.rs`).
    aliases: Vec<Entry>,
    /// Each shard's cached delegation when the zone moves provider (empty
    /// otherwise): its version is the provider (see `delegation.rs`).
    delegations: Vec<Entry>,
    /// Round-robin positions of each resolver shard and of the authoritative.
    rotations: Vec<u32>,
    authoritative_rotation: u32,
    /// Each secondary's SOA refresh phase, shared by the whole replica.
    secondary_phases: Vec<Millis>,
    /// Whether some device's OS cache reloads by itself (see `reload.rs`),
    /// and the key of its devices' prune phases, drawn only then.
    reloads: bool,
    prune_key: u64,
    /// Whether the partition's resolver prefetches (the plain walk then
    /// checks each hit against its prefetch window).
    resolver_prefetches: bool,
}

/// Where a partition's requests come from: its shared stream's devices,
/// drawn in proportion to their rates, and the busy devices that run ahead
/// on streams of their own.
struct Arrivals {
    requesters: AliasTable,
    restarters: Option<AliasTable>,
    /// Each device's requests per ms (before the daily cycle).
    rates: Vec<f64>,
    /// Request and restart rates of the shared stream: every device but
    /// the busy ones.
    request_rate: f64,
    restart_rate: f64,
    /// Devices whose requests come from their own streams (see [`Busy`]).
    busy: Vec<Busy>,
    /// Each busy device's next request that needs more than its private
    /// state, and each reloading OS cache's next reload.
    queue: Queue,
    /// The daily cycle where busy devices' streams last worked it out.
    busy_squeeze: CycleSqueeze,
}

/// What counting a partition's requests needs beyond the tally.
struct Counting {
    /// Per device, the buckets it was last active and last old in.
    stamps: Vec<Stamps>,
    /// From when no old answer can reach the partition's devices
    /// (`Millis::MAX`: never within the horizon; see `engine::quiet`)…
    quiet_from: Millis,
    /// …from when no request leaving a device comes back old…
    upstream_quiet: Millis,
    /// …until when every request is walked one by one (the horizon, or
    /// once requests that leave a device come back new and the hit ratios'
    /// window is over)…
    walk_until: Millis,
    /// …and whether devices can still hold old answers then, so those are
    /// walked on alone (`tails.rs`).
    tails: bool,
    /// The Poisson laws rides count cells by (`ride.rs`).
    cell_laws: cells::CellLaws,
}

impl<'m> Partition<'m> {
    /// Runs the partition from its warm-up start to the horizon, adding to `tally`.
    /// Events come in time order from two sources: the partition's shared
    /// stream (devices drawn in proportion to their rate) and the queue of
    /// busy devices' next requests that need shared state. Checks `stop`
    /// every million requests, so even a huge partition ends promptly on
    /// Ctrl-C (its counts are then discarded).
    #[inline(always)]
    pub fn run(&mut self, tally: &mut Tally, stop: &AtomicBool) {
        let only_requests =
            self.arrivals.restart_rate == 0.0 && self.model.scenario.population.daily_cycle.is_none();
        match (only_requests, self.caches.reloads) {
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
        tally.devices += self.caches.devices.len() as u64;
        // The horizon, and where walking requests one by one ends.
        let horizon = clock.elapsed(self.model.scenario.duration);
        let span = clock.elapsed(self.counting.walk_until);
        for b in 0..self.arrivals.busy.len() {
            if let Some(first) = self.next_busy_request(b, 0.0, span) {
                self.arrivals.queue.push(first, Event::Busy(b as u32));
            }
        }
        let bucket_len = self.model.scenario.bucket;
        let mut versions = VersionCursor::new(&self.model.scenario.record, clock.start());
        let mut simulated = 0u64;
        let mut check_stop_at = STOP_CHECK;
        // The current bucket, tracked as time moves on (no division per request).
        let (mut bucket, mut bucket_end) = (0usize, bucket_len);
        let mut stream = self.shared_stream();
        let mut next =
            stream.next::<ONLY_REQUESTS>(0.0, &self.arrivals.requesters, self.arrivals.restarters.as_ref());
        let mut next_busy = self.arrivals.queue.head();
        loop {
            if RELOADS {
                next_busy = self.arrivals.queue.head();
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
                match self.arrivals.queue.pop().expect("the queue has a head") {
                    Event::Reload(d) => self.reload(d as usize, clock.at(next_busy)),
                    Event::Busy(b) => simulated += self.run_busy(b as usize, next_busy, span, tally),
                }
                next_busy = self.arrivals.queue.head();
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
            let segment = Segment {
                end: clock.elapsed(boundary).min(next_busy).min(span),
                bucket,
                counted,
                current,
            };
            let counts = (&mut simulated, check_stop_at);
            next = self.serve_segment::<ONLY_REQUESTS, RELOADS>(&mut stream, next, segment, tally, counts);
        }
        if span < horizon && !stop.load(Ordering::Relaxed) {
            let mut joins = Vec::new();
            if self.counting.tails {
                simulated += self.walk_tails(span, horizon, tally, &mut joins);
            }
            simulated += self.count_quiet(span, horizon, tally, stop, &joins);
        }
        tally.simulated += simulated;
    }

    /// The partition's shared stream, from its arrivals' own random stream.
    fn shared_stream(&self) -> SharedStream {
        let arrivals = &self.arrivals;
        let total_rate = arrivals.request_rate + arrivals.restart_rate;
        SharedStream {
            rng: self.streams.arrivals.clone(),
            gap: if total_rate > 0.0 {
                1.0 / (total_rate * self.model.peak_factor())
            } else {
                f64::INFINITY
            },
            restart_share: arrivals.restart_rate / total_rate,
            cycle: self.model.scenario.population.daily_cycle,
            squeeze: CycleSqueeze::UNKNOWN,
            clock: self.clock,
        }
    }

    /// Serves the shared stream's arrivals from `next` up to the end of
    /// `segment` (or a reload queued on the way, or the next check of the
    /// stop flag, when `simulated` reaches `check_stop_at`); returns the
    /// first arrival after them. Each is drawn one
    /// ahead from a stream of its own: the draws do not wait on serving
    /// the arrival before, so the processor overlaps them.
    #[inline(always)]
    fn serve_segment<const ONLY_REQUESTS: bool, const RELOADS: bool>(
        &mut self,
        stream: &mut SharedStream,
        mut next: Arrival,
        segment: Segment,
        tally: &mut Tally,
        (simulated, check_stop_at): (&mut u64, u64),
    ) -> Arrival {
        loop {
            let arrival = next;
            next = stream.next::<ONLY_REQUESTS>(
                arrival.elapsed,
                &self.arrivals.requesters,
                self.arrivals.restarters.as_ref(),
            );
            let d = arrival.device as usize;
            let now = self.clock.at(arrival.elapsed);
            match arrival.kind {
                ArrivalKind::Request => {
                    *simulated += 1;
                    let reached = self.request(now, d);
                    if segment.counted {
                        let served = Served {
                            requests: 1,
                            address: reached.address,
                            held_at: reached.held_at,
                            old: segment.current & (1u64 << reached.address) == 0,
                            cause: reached.cause,
                            last: now,
                        };
                        self.count(tally, segment.bucket, d, served);
                    }
                }
                ArrivalKind::Restart => self.restart(d),
                ArrivalKind::Dropped => {}
            }
            // A reload queued while serving the segment ends it at its time.
            let ends = if RELOADS {
                segment.end.min(self.arrivals.queue.head())
            } else {
                segment.end
            };
            if next.elapsed >= ends || *simulated >= check_stop_at {
                return next;
            }
        }
    }

    /// An app restart clears the app's cache and closes its connection.
    fn restart(&mut self, d: usize) {
        let device = &mut self.caches.devices[d];
        device.app = Entry::EMPTY;
        device.conn_address = NO_ADDRESS;
    }

    /// One request from device `d` at `now`: the address it reaches, the
    /// layer whose held answer sent it there, and why.
    #[inline(always)]
    fn request(&mut self, now: Millis, d: usize) -> Reached {
        if self.caches.devices[d].plain {
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
            self.caches.devices[d].connect(address, now, answer.stale);
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
        let (address, cause) = self.caches.devices[d].connection_hit(c, now)?;
        Some(Reached {
            address,
            held_at: Layer::Connection,
            cause,
        })
    }

    /// The keep-alive connection device `d`'s app keeps, if any.
    #[inline]
    fn connection(&self, d: usize) -> Option<Connection> {
        self.model.connections.get(self.caches.devices[d].app_pool)
    }

    /// The common case, inline: a live answer in the app's own cache, under a
    /// policy with nothing to do on a hit (no prefetch).
    #[inline]
    fn app_hit(&self, now: Millis, d: usize) -> Option<Answer> {
        let device = &self.caches.devices[d];
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
            &mut self.streams.walk,
            answer.version,
            answer.first,
        )
    }

    #[inline(always)]
    fn slot(&mut self, layer: Layer, d: usize, shard: usize) -> &mut Entry {
        match layer {
            Layer::App => &mut self.caches.devices[d].app,
            Layer::Os => &mut self.caches.devices[d].os,
            Layer::Router => {
                let h = self.caches.devices[d].household as usize;
                &mut self.caches.households[h].router
            }
            _ => &mut self.caches.shards[shard],
        }
    }

    /// The policy of the cache at `layer` for device `d` (one that caches:
    /// see the device's `caches` mask).
    #[inline(always)]
    fn policy(&self, layer: Layer, d: usize) -> &'m Policy {
        let m = self.model;
        let device = &self.caches.devices[d];
        match layer {
            Layer::App => &m.policies[APP][device.app_pool as usize],
            Layer::Os => &m.policies[OS][device.os_pool as usize],
            Layer::Router => {
                &m.policies[ROUTER][self.caches.households[device.household as usize].router_pool as usize]
            }
            _ => &m.policies[RESOLVER][self.plan.resolver_pool.unwrap_or(0)],
        }
    }
}

/// A Poisson count with the given mean (none for a mean of 0).
fn poisson(rng: &mut Xoshiro256PlusPlus, mean: f64) -> u64 {
    law(mean).map_or(0, |law| rng.sample::<f64, _>(law) as u64)
}

/// The Poisson law of the given mean, to draw from again and again
/// (`None` for a mean of 0: no draw, a count of 0).
fn law(mean: f64) -> Option<rand_distr::Poisson<f64>> {
    (mean > 0.0).then(|| rand_distr::Poisson::new(mean).expect("a finite positive mean"))
}

/// Until when a partition whose requests leaving a device come back new
/// from `upstream_quiet` walks every request one by one: the horizon, or
/// from then once the hit ratios' window is over (when the model counts
/// quiet requests in bulk).
fn walk_until(model: &Model, upstream_quiet: Millis) -> Millis {
    let s = &model.scenario;
    let window = model.answered_buckets as Millis * s.bucket;
    if model.shortcuts.count_quietly {
        upstream_quiet.max(window).min(s.duration)
    } else {
        s.duration
    }
}

/// The lifetime a cache of pool `pool` at layer table `table` gives an
/// answer handed to it with `ttl` (no cache, or no pool, passes the TTL
/// through): the model's bounds, worked out once per pool.
fn pass(model: &Model, table: usize, pool: u8, ttl: Millis) -> Millis {
    model.bounds[table].get(pool).keep(ttl)
}

/// An exponential draw of mean 1 from `rng`: the ziggurat's, called as a
/// distribution rather than through `Rng::sample`, so that it inlines into
/// the loops drawing arrivals (the same draws either way).
#[inline(always)]
fn exp1<R: rand::Rng + ?Sized>(rng: &mut R) -> f64 {
    rand_distr::Distribution::<f64>::sample(&rand_distr::Exp1, rng)
}
