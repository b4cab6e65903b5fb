//! Devices that still hold an old answer once requests leaving a device
//! come back new (see `engine::quiet::upstream_quiet_from`). From then on
//! only a device's own keep-alive connection, app cache and OS cache can
//! send it to an old address, so it alone is walked, on its own Poisson
//! arrivals, until a request leaves it holding no old answer (the rest of
//! that bucket's requests are then one Poisson count); every other device,
//! and these from the next bucket, are counted in bulk (`quiet.rs`). A firefox-2 user whose connection
//! never idles long enough to close is walked to the horizon; the hundreds
//! of thousands of others are counted by bucket.
//!
//! Each walked device goes on its own, in the order of its index: what it
//! holds is its own, and a request it sends upstream comes back new, after
//! which it lets go, so the order in which devices refresh the router and
//! resolver entries above them changes no count. Their arrivals are the
//! streams the walk draws them from: a device's requests and app restarts
//! at their rates, drawn at the daily cycle's peak and thinned by it.

use super::ride::Gap;
use super::run_ahead::Pace;
use super::tally::{self, Tally};
use super::{exp1, poisson, thinned_out, CycleSqueeze, Entry, Layer, Partition, Served, APP, NO_VERSION};
use crate::duration::Millis;
use crate::engine::quiet::exposure;
use rand::RngExt;

impl Partition<'_> {
    /// Walks, from `from` to `to` (time since the start), every device that
    /// holds an old answer at `from`, each until it stops holding one (the
    /// rest of that bucket counted at once). Sets `joins[d]` to the first bucket
    /// device `d`'s requests are counted in bulk (left empty when no device
    /// is walked); returns the requests walked.
    pub(super) fn walk_tails(&mut self, from: f64, to: f64, tally: &mut Tally, joins: &mut Vec<u32>) -> u64 {
        let at = self.clock.at(from);
        let walked: Vec<usize> = (0..self.caches.devices.len())
            .filter(|&d| self.holds_old(d, at))
            .collect();
        if walked.is_empty() {
            return 0;
        }
        joins.resize(self.caches.devices.len(), 0);
        let mut requests = 0;
        for d in walked {
            let (walked, join) = self.walk_tail(d, from, to, tally);
            requests += walked;
            joins[d] = join;
        }
        requests
    }

    /// Walks device `d` alone from `from` until a request leaves it holding
    /// no old answer (the rest of that bucket counted at once) or until `to`.
    /// Returns its requests and the first bucket bulk counting takes it in
    /// (`u32::MAX`: none). Requests served alike in one bucket are counted
    /// together.
    fn walk_tail(&mut self, d: usize, from: f64, to: f64, tally: &mut Tally) -> (u64, u32) {
        let final_addresses = self.final_addresses();
        let bucket_len = self.model.scenario.bucket;
        let cycle = self.model.scenario.population.daily_cycle;
        let may_pin = self.may_pin(d);
        let pace = Pace {
            device: d as u32,
            rate: self.arrivals.rates[d],
            restart_rate: self.model.facts[APP]
                .get(self.caches.devices[d].app_pool)
                .restart_rate,
        };
        // Requests and restarts are drawn at the daily cycle's peak, then thinned.
        let arrival_rate = (pace.rate + pace.restart_rate) * self.model.peak_factor();
        let mut squeeze = CycleSqueeze::UNKNOWN;
        let (mut elapsed, mut requests) = (from, 0);
        let mut batch: Option<(usize, Served)> = None;
        let flush = |partition: &mut Self, batch: &mut Option<(usize, Served)>, tally: &mut Tally| {
            if let Some((bucket, served)) = batch.take() {
                partition.count(tally, bucket, d, served);
            }
        };
        if arrival_rate <= 0.0 {
            return (0, u32::MAX);
        }
        // Requests over an open connection ride it in a loop of their own
        // (`ride.rs`) where nothing but a gap is drawn between them.
        let connection = self
            .connection(d)
            .filter(|_| cycle.is_none() && pace.restart_rate == 0.0);
        // An arrival drawn by that loop and left to this one.
        let mut pending = None;
        loop {
            elapsed = match pending.take() {
                Some(next) => next,
                None => elapsed + exp1(&mut self.streams.counts) / arrival_rate,
            };
            if elapsed >= to {
                break;
            }
            let now = self.clock.at(elapsed);
            if thinned_out(cycle, &mut squeeze, &mut self.streams.counts, now) {
                continue;
            }
            let restarts = pace.restart_rate > 0.0
                && self.streams.counts.random::<f64>() * (pace.rate + pace.restart_rate) < pace.restart_rate;
            if restarts {
                self.restart(d);
                continue;
            }
            requests += 1;
            let reached = self.request(now, d);
            let bucket = (now / bucket_len) as usize;
            match &mut batch {
                Some((b, served)) if *b == bucket && served.alike(&reached) => {
                    served.requests += 1;
                    served.last = now;
                }
                _ => {
                    flush(self, &mut batch, tally);
                    let served = Served {
                        requests: 1,
                        address: reached.address,
                        held_at: reached.held_at,
                        old: final_addresses & (1u64 << reached.address) == 0,
                        cause: reached.cause,
                        last: now,
                    };
                    batch = Some((bucket, served));
                }
            }
            if !self.holds_old(d, now) {
                // Let go: the rest of its bucket's requests are new, a
                // Poisson count; bulk counting takes the next.
                flush(self, &mut batch, tally);
                requests += self.count_rest_of_bucket(d, elapsed, bucket, to, tally);
                return (requests, bucket as u32 + 1);
            }
            if let (Some(c), Some((b, served))) = (connection, &mut batch) {
                // An old connection holds the device until it closes.
                if reached.held_at == Layer::Connection && served.old {
                    let until = (*b as Millis + 1) * bucket_len;
                    let rode = self.ride(d, c, Gap::Tail(arrival_rate), elapsed, to, (now, until), served);
                    requests += rode.requests;
                    match rode.next {
                        Some(next) => pending = Some(next),
                        None => break,
                    }
                }
            }
            // A pinned app answer's requests are counted by stretch, as a
            // busy device's are.
            if may_pin {
                if let Some(until) = self.pinned_until(pace, now, self.model.scenario.duration) {
                    flush(self, &mut batch, tally);
                    let (pinned, end) = self.count_pinned(pace, elapsed, until, tally);
                    requests += pinned;
                    elapsed = end;
                }
            }
        }
        flush(self, &mut batch, tally);
        (requests, u32::MAX)
    }

    /// Counts device `d`'s requests from `from` (time since the start) to the
    /// end of `bucket` (or `to`), all reaching new addresses, as one Poisson
    /// count at its rate over the daily cycle's exposure; returns it. The
    /// device is already counted active in the bucket.
    fn count_rest_of_bucket(
        &mut self,
        d: usize,
        from: f64,
        bucket: usize,
        to: f64,
        tally: &mut Tally,
    ) -> u64 {
        let bucket_len = self.model.scenario.bucket;
        let end = self.clock.elapsed((bucket as Millis + 1) * bucket_len).min(to);
        if end <= from {
            return 0;
        }
        let (a, b) = (self.clock.since_change(from), self.clock.since_change(end));
        let mean = self.arrivals.rates[d] * exposure(&self.model.scenario, a, b);
        let n = poisson(&mut self.streams.counts, mean);
        tally.row_mut(bucket)[tally::REQUESTS] += n;
        n
    }

    /// The addresses of the record's last version, as bits: any other is old.
    fn final_addresses(&self) -> u64 {
        let versions = &self.model.scenario.record.versions;
        versions.last().map_or(0, |v| v.addresses)
    }

    /// Whether device `d`'s keep-alive connection, app cache or OS cache
    /// holds an answer without an address of the record's final version
    /// that may still answer at `now` or later: an open connection, or an
    /// entry before its expiry, or past it while it may be served stale or
    /// wait for a reloading cache's next prune.
    fn holds_old(&self, d: usize, now: Millis) -> bool {
        let record = &self.model.scenario.record;
        let final_addresses = self.final_addresses();
        let device = &self.caches.devices[d];
        let old_entry = |layer: Layer, entry: &Entry| {
            if !device.caches.has(layer)
                || entry.version == NO_VERSION
                || record.versions[entry.version as usize].addresses & final_addresses != 0
            {
                return false;
            }
            let policy = self.policy(layer, d);
            let stale = policy.serve_stale.map_or(0, |s| s.max_stale);
            let prune = policy.reload.map_or(0, |r| r.within);
            now < entry.evicted && now < entry.expires.saturating_add(stale.max(prune))
        };
        let old_connection = self.connection(d).is_some_and(|c| device.connection_open(c, now))
            && final_addresses & (1u64 << device.conn_address) == 0;
        old_connection || old_entry(Layer::App, &device.app) || old_entry(Layer::Os, &device.os)
    }
}
