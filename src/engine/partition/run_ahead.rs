//! Running busy devices ahead of the partition's time order. A device's
//! keep-alive connection and its app and OS caches are touched by no other
//! device, so the requests they answer can be served as soon as they are
//! drawn, on the device's own stream, and counted together; only requests
//! that need the router, the resolver or the authoritative wait their turn in
//! the queue. Under an answer pinned in the app cache, the requests are not
//! even drawn: their numbers per bucket are exact Poisson counts.
//! `tests/equivalence.rs` checks that the results' distribution is that of
//! the single-stream path.

use super::events::Event;
use super::ride::{rides_by_cells, Gap};
use super::tally::Tally;
use super::upstream::pick_address;
use super::{cause, exp1, live, poisson, thinned_out, Answer, Layer, Model, Partition, Served, APP, OS};
use crate::duration::Millis;
use rand::RngExt;

/// A device busy enough that its private hits (keep-alive connection, app
/// and OS caches) are worth running ahead: its requests come from its own
/// Poisson stream rather than the partition's, and only those that need a
/// router, resolver or authoritative join the partition's time order, through
/// the queue. Private state is touched by no other device, so serving its
/// private hits ahead of other devices' requests changes no outcome.
#[derive(Clone, Copy, Debug)]
pub(super) struct Busy {
    pub(super) device: u32,
    /// Requests per ms (before the daily cycle)…
    pub(super) rate: f64,
    /// …and app restarts per ms.
    restart_rate: f64,
    /// Mean time between arrivals (requests and restarts) at the daily peak, in ms.
    mean_gap: f64,
    /// The share of arrivals that are app restarts.
    restart_share: f64,
}

impl Busy {
    /// Device `device`, making `rate` requests and `restart_rate` app
    /// restarts per ms, runs ahead if its private state is expected to answer
    /// at least [`BUSY_THRESHOLD`] requests in a row (`None` otherwise).
    pub(super) fn new(
        model: &Model,
        device: u32,
        (app_pool, os_pool): (u8, u8),
        (rate, restart_rate): (f64, f64),
    ) -> Option<Busy> {
        let window = private_window(model, app_pool, os_pool) as f64;
        // An OS cache that reloads by itself asks the shared caches on its
        // own schedule, so its device keeps to the partition's time order.
        let reloads = model.facts[OS].get(os_pool).reloads;
        // A device whose connection's requests are counted by cells (see
        // `ride.rs`) runs ahead however few requests its caches answer.
        let by_cells = restart_rate == 0.0
            && model.scenario.population.daily_cycle.is_none()
            && model
                .connections
                .get(app_pool)
                .is_some_and(|c| rides_by_cells(c, rate));
        let busy = rate * window >= BUSY_THRESHOLD || by_cells;
        (model.shortcuts.run_ahead && !reloads && busy).then(|| Busy {
            device,
            rate,
            restart_rate,
            mean_gap: 1.0 / ((rate + restart_rate) * model.peak_factor()),
            restart_share: restart_rate / (rate + restart_rate),
        })
    }
}

/// A device's own arrivals: its requests and app restarts per ms (before
/// the daily cycle).
#[derive(Clone, Copy, Debug)]
pub(super) struct Pace {
    pub(super) device: u32,
    pub(super) rate: f64,
    pub(super) restart_rate: f64,
}

impl Busy {
    pub(super) fn pace(&self) -> Pace {
        Pace {
            device: self.device,
            rate: self.rate,
            restart_rate: self.restart_rate,
        }
    }
}

/// A busy device's requests under a pinned app answer are counted in bulk
/// when at least this many are expected (see [`Partition::count_pinned`]).
const PINNED_MIN_REQUESTS: f64 = 8.0;

/// Devices expected to make at least this many requests within their private
/// caches' lifetime run ahead on their own streams ([`Busy`]); below it, the
/// queue costs more than running ahead saves. Timed in pairs on every
/// shipped scenario, 6 took 0.95 of the time 3 took on `keepalive` and
/// `isp24h`, 0.96 on `jvm-backends`, 0.95 to 1.07 on the rest; on
/// `keepalive`, 1.5 took 1.11, 12 took 0.97 and 24 took 0.96.
const BUSY_THRESHOLD: f64 = 6.0;

/// How long a device's own state can go on serving its requests: the longer
/// of what its app pool and its OS pool can serve alone ([`own_window`]).
fn private_window(model: &Model, app_pool: u8, os_pool: u8) -> Millis {
    let facts = &model.facts;
    facts[APP]
        .get(app_pool)
        .own_window
        .max(facts[OS].get(os_pool).own_window)
}

/// How long a pool can go on serving a device's requests alone: its
/// keep-alive connection's idle timeout, or the longest its cache keeps the
/// record (a cache that may refresh upstream on a hit counts for nothing).
pub(in crate::engine) fn own_window(
    pool: &crate::scenario::Pool,
    record: &crate::scenario::Record,
) -> Millis {
    let idle = pool.connection.map_or(0, |c| c.idle_timeout.min(c.max_age));
    let kept = if pool.policy.caches && !pool.policy.hit_asks_upstream() {
        pool.policy.lifetime(record.longest_address_ttl())
    } else {
        0
    };
    idle.max(kept)
}

/// A stretch of time within one bucket and one version of the record, so
/// requests in it are counted without a division or a search.
#[derive(Clone, Copy, Debug)]
struct Stretch {
    until: Millis,
    bucket: usize,
    addresses: u64,
}

impl Stretch {
    const EMPTY: Stretch = Stretch {
        until: Millis::MIN,
        bucket: 0,
        addresses: 0,
    };

    /// The stretch holding `now` (at or after the change).
    fn at(model: &Model, now: Millis) -> Stretch {
        let record = &model.scenario.record;
        let length = model.scenario.bucket;
        let bucket = now / length;
        let version = record.version_at(now);
        let next_version = record.versions.get(version + 1).map_or(Millis::MAX, |v| v.start);
        Stretch {
            until: ((bucket + 1) * length).min(next_version),
            bucket: bucket as usize,
            addresses: record.versions[version].addresses,
        }
    }
}

impl<'m> Partition<'m> {
    /// Serves busy device `b`'s request at `elapsed` (one that needed shared
    /// state, now in its turn), then every following request its private
    /// state answers, and queues the first one it does not. Returns the
    /// number of requests served.
    pub(super) fn run_busy(&mut self, b: usize, mut elapsed: f64, span: f64, tally: &mut Tally) -> u64 {
        let d = self.arrivals.busy[b].device as usize;
        let may_pin = self.may_pin(d);
        // Requests over an open connection are served in a loop of their own
        // where each arrival is one exponential draw (no daily cycle to
        // thin it, no restart to tell apart).
        let connection = self
            .connection(d)
            .filter(|_| self.model.scenario.population.daily_cycle.is_none())
            .filter(|_| self.arrivals.busy[b].restart_share == 0.0);
        let mut requests = 0;
        let mut now = self.clock.at(elapsed);
        let mut stretch = Stretch::EMPTY;
        // Requests served alike since the last count, counted together.
        let mut batch = Served {
            requests: 0,
            address: 0,
            held_at: Layer::Connection,
            old: false,
            cause: cause::CODE_NONE,
            last: now,
        };
        let mut reached = self.request(now, d);
        loop {
            requests += 1;
            if now >= 0 {
                let same = now < stretch.until && batch.alike(&reached);
                if !same {
                    if batch.requests > 0 {
                        self.count(tally, stretch.bucket, d, batch);
                    }
                    if now >= stretch.until {
                        stretch = Stretch::at(self.model, now);
                    }
                    batch = Served {
                        requests: 0,
                        address: reached.address,
                        held_at: reached.held_at,
                        old: stretch.addresses & (1u64 << reached.address) == 0,
                        cause: reached.cause,
                        last: now,
                    };
                }
                batch.requests += 1;
                batch.last = now;
            }
            let pace = self.arrivals.busy[b].pace();
            let pinned_until = if may_pin {
                self.pinned_until(pace, now, self.counting.walk_until)
            } else {
                None
            };
            if let Some(until) = pinned_until {
                if batch.requests > 0 {
                    self.count(tally, stretch.bucket, d, batch);
                    batch.requests = 0;
                }
                let (pinned, end) = self.count_pinned(pace, elapsed, until, tally);
                requests += pinned;
                elapsed = end;
            }
            let next = match connection {
                Some(c) if reached.held_at == Layer::Connection => {
                    let gap = Gap::Busy(self.arrivals.busy[b].mean_gap);
                    let rode = self.ride(d, c, gap, elapsed, span, (now, stretch.until), &mut batch);
                    requests += rode.requests;
                    rode.next
                }
                _ => self.next_busy_request(b, elapsed, span),
            };
            if let Some(next) = next {
                elapsed = next;
                now = self.clock.at(next);
                if let Some(open) = self.connection_hit(now, d) {
                    reached = open;
                    continue;
                }
                if self.privately_served(now, d) {
                    reached = self.request(now, d);
                    continue;
                }
                self.arrivals.queue.push(elapsed, Event::Busy(b as u32));
            }
            if batch.requests > 0 {
                self.count(tally, stretch.bucket, d, batch);
            }
            return requests;
        }
    }

    /// Whether device `d`'s app answers can be pinned at all: its app caches
    /// with nothing to do on a hit (no prefetch), no keep-alive connection
    /// sits in front, and no daily cycle thins its stream.
    pub(super) fn may_pin(&self, d: usize) -> bool {
        self.caches.devices[d].caches.has(Layer::App)
            && self.model.scenario.population.daily_cycle.is_none()
            && self.connection(d).is_none()
            && !self.policy(Layer::App, d).hit_asks_upstream()
    }

    /// When the app cache of the device `pace` is of stops answering on its
    /// own (or at `limit`), if it holds a live answer at `now` (on a device
    /// that [may pin](Self::may_pin), every request until then is an app hit
    /// with that answer). `None` too when fewer than [`PINNED_MIN_REQUESTS`]
    /// are expected, where drawing them one by one is cheaper.
    #[inline]
    pub(super) fn pinned_until(&self, pace: Pace, now: Millis, limit: Millis) -> Option<Millis> {
        let Pace { device, rate, .. } = pace;
        let app = &self.caches.devices[device as usize].app;
        let until = app.expires.min(app.evicted).min(limit);
        let pinned = live(app, now) && rate * (until - now) as f64 >= PINNED_MIN_REQUESTS;
        pinned.then_some(until)
    }

    /// Counts the requests of the device `pace` is of from `from` (elapsed) until its app
    /// cache's answer lapses at `until`, or an app restart clears it first,
    /// without drawing them one by one: on each stretch of one bucket and
    /// one record version, the requests to each of the answer's addresses
    /// are independent Poisson counts (a Poisson stream split at random),
    /// which is exactly the law of drawing them one by one. Returns the
    /// number of requests and when (elapsed) the pinned answer ended.
    pub(super) fn count_pinned(
        &mut self,
        pace: Pace,
        from: f64,
        until: Millis,
        tally: &mut Tally,
    ) -> (u64, f64) {
        let Pace {
            device,
            rate,
            restart_rate,
        } = pace;
        let d = device as usize;
        let mut to = self.clock.elapsed(until);
        let mut restart = false;
        if restart_rate > 0.0 {
            let at = from + exp1(&mut self.streams.counts) / restart_rate;
            if at < to {
                (to, restart) = (at, true);
            }
        }
        let app = self.caches.devices[d].app;
        let record = &self.model.scenario.record;
        let mask = record.versions[app.version as usize].addresses;
        // The addresses requests go to, as bits: with several picked at
        // random, each gets its own share; else the one the client takes.
        let targets = if mask.count_ones() > 1 && !record.rotate {
            mask
        } else {
            let answer = Answer {
                version: app.version,
                ttl: 0,
                held_at: Layer::App,
                first: app.first,
                stale: app.staleness(),
                cause: cause::CODE_NONE,
            };
            1u64 << pick_address(record, &mut self.streams.counts, answer.version, answer.first)
        };
        let per_address = rate / targets.count_ones() as f64;
        // Requests before the answer's retirement are the record's TTL's;
        // after it, the cause's (the app's own, when nothing upstream kept it).
        let stale = app.staleness();
        let retire = self.clock.elapsed(stale.retire);
        let mut requests = 0;
        let mut a = from;
        while a < to {
            let now = self.clock.at(a);
            // The stretch [a, end): warm-up, or one bucket and one version,
            // on one side of the answer's retirement.
            let (stretch, mut end) = if now < 0 {
                (None, to.min(self.clock.elapsed(0)))
            } else {
                let stretch = Stretch::at(self.model, now);
                (Some(stretch), to.min(self.clock.elapsed(stretch.until)))
            };
            if a < retire {
                end = end.min(retire);
            }
            let cause = stale.cause_at(now, Layer::App);
            let mut rest = targets;
            while rest != 0 {
                let address = rest.trailing_zeros() as u8;
                rest &= rest - 1;
                let n = poisson(&mut self.streams.counts, per_address * (end - a));
                requests += n;
                let Some(stretch) = stretch.filter(|_| n > 0) else {
                    continue;
                };
                let old = stretch.addresses & (1u64 << address) == 0;
                // The last of n arrivals on [a, end): end less an exponential
                // gap at the address's rate, given that it falls inside.
                let last = if old {
                    let u: f64 = self.streams.counts.random();
                    let inside = -(-per_address * (end - a)).exp_m1();
                    let gap = -(-u * inside).ln_1p() / per_address;
                    self.clock.at((end - gap).max(a))
                } else {
                    now
                };
                let served = Served {
                    requests: n,
                    address,
                    held_at: Layer::App,
                    old,
                    cause,
                    last,
                };
                self.count(tally, stretch.bucket, d, served);
            }
            a = end;
        }
        if restart {
            self.restart(d);
        }
        (requests, to)
    }

    /// Busy device `b`'s next request after `elapsed`, before `span`: its
    /// stream's arrivals, thinned by the daily cycle, with restarts applied
    /// on the way (they touch only the device).
    #[inline(always)]
    pub(super) fn next_busy_request(&mut self, b: usize, mut elapsed: f64, span: f64) -> Option<f64> {
        let Busy {
            device,
            mean_gap,
            restart_share,
            ..
        } = self.arrivals.busy[b];
        loop {
            elapsed += exp1(&mut self.streams.busy) * mean_gap;
            if elapsed >= span {
                return None;
            }
            let cycle = self.model.scenario.population.daily_cycle;
            if thinned_out(
                cycle,
                &mut self.arrivals.busy_squeeze,
                &mut self.streams.busy,
                self.clock.at(elapsed),
            ) {
                continue;
            }
            if restart_share > 0.0 && self.streams.busy.random::<f64>() < restart_share {
                self.restart(device as usize);
                continue;
            }
            return Some(elapsed);
        }
    }

    /// Whether device `d`'s app or OS cache answers a request at `now` with
    /// nothing shared involved: no router, resolver or authoritative, no
    /// prefetch or serve-stale refresh upstream (its connection, if open,
    /// comes first). Such requests may be served ahead of other devices'
    /// earlier ones. `false` when unsure, which is always exact: the request
    /// then waits its turn.
    fn privately_served(&self, now: Millis, d: usize) -> bool {
        let device = &self.caches.devices[d];
        if device.caches.has(Layer::App) {
            let policy = self.policy(Layer::App, d);
            if live(&device.app, now) {
                return !policy.hit_asks_upstream();
            }
            if policy.expired_answers() {
                return false;
            }
        }
        device.caches.has(Layer::Os)
            && live(&device.os, now)
            && !self.policy(Layer::Os, d).hit_asks_upstream()
    }
}
