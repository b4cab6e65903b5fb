//! Counting a quiet partition's requests in bulk (see `engine::quiet`):
//! once no old answer can reach its devices, each device's requests in a
//! bucket are a Poisson count whose mean is its rate times the bucket's
//! exposure (the daily cycle's factor integrated over it), independent of
//! every other device's: exactly the law of the thinned streams the walk
//! draws them from. A device busy enough to expect several requests a
//! bucket gets a count of its own (active when it is not 0); the others
//! are drawn as one stream, whose count per bucket (or, where buckets hold
//! few requests, gaps between arrivals on the exposure's scale) is spread
//! over its devices by rate, to count the active ones. So the cost follows
//! the devices, not the requests. App restarts and reloads change caches
//! alone, so they are not drawn at all.

use super::tally::{self, Tally};
use super::{exp1, law, Partition, Stamps};
use crate::duration::Millis;
use crate::engine::quiet::exposure;
use crate::population::AliasTable;
use rand::RngExt;
use rand_distr::Poisson;
use std::sync::atomic::{AtomicBool, Ordering};

/// A stream expecting at least this many requests per bucket gets one
/// Poisson count per bucket; a sparser one is drawn gap by gap (a count
/// costs about as much as this many gaps).
const DENSE_BUCKET: f64 = 8.0;

/// A device expecting at least this many requests per bucket gets a
/// Poisson count of its own, rather than a share of the stream's (a count
/// costs about as much as spreading this many requests).
const DENSE_DEVICE: f64 = 8.0;

/// Poisson laws of one bucket's exposure (NaN: none yet): the shared
/// stream's, and each dense device's.
struct Laws {
    exposure: f64,
    stream: Option<Poisson<f64>>,
    dense: Vec<Option<Poisson<f64>>>,
}

impl Default for Laws {
    fn default() -> Laws {
        Laws {
            exposure: f64::NAN,
            stream: None,
            dense: Vec::new(),
        }
    }
}

impl Partition<'_> {
    /// Counts the requests from `from` to `to` (time since the partition's
    /// start, after it went quiet) into `tally`; returns how many there were.
    /// A device walked on alone (see `tails.rs`) is counted from bucket
    /// `joins[d]` (every device from the first, when `joins` is empty): the
    /// shared stream's arrivals from it before then are dropped, which
    /// leaves every other device's stream as it was (a Poisson stream split
    /// at random).
    pub(super) fn count_quiet(
        &mut self,
        from: f64,
        to: f64,
        tally: &mut Tally,
        stop: &AtomicBool,
        joins: &[u32],
    ) -> u64 {
        let m = self.model;
        let (clock, length) = (self.clock, m.scenario.bucket);
        let (dense, sparse): (Vec<u32>, Vec<u32>) = (0..self.arrivals.rates.len() as u32)
            .filter(|&d| self.arrivals.rates[d as usize] > 0.0)
            .partition(|&d| self.arrivals.rates[d as usize] * length as f64 >= DENSE_DEVICE);
        let sparse_rates: Vec<f64> = sparse.iter().map(|&d| self.arrivals.rates[d as usize]).collect();
        let rate: f64 = sparse_rates.iter().sum();
        // The shared stream's table serves when it holds the same devices.
        let own_table =
            (!dense.is_empty() || !self.arrivals.busy.is_empty()).then(|| AliasTable::new(&sparse_rates));
        let requesters = &self.arrivals.requesters;
        let pick = |rng: &mut _| match &own_table {
            Some(table) => sparse[table.sample(rng)] as usize,
            None => requesters.sample(rng),
        };
        let stream_dense = rate * length as f64 >= DENSE_BUCKET;
        // Drawn gap by gap: the exposure left until the stream's next arrival.
        let mut until_next = if rate > 0.0 {
            exp1(&mut self.streams.counts) / rate
        } else {
            f64::INFINITY
        };
        // Poisson laws take an exponential, or square roots and a dozen
        // divisions, to set up: the stream's and the dense devices' are set
        // up again only when a bucket's exposure differs from the one
        // before (a partial bucket, a daily cycle), and drawn from as they were.
        let mut laws = Laws::default();
        // From this bucket on no device is walked alone.
        let last_walked = joins.iter().max().map_or(0, |&j| j as usize);
        let mut requests = 0;
        let mut a = from;
        while a < to && !stop.load(Ordering::Relaxed) {
            let bucket = (clock.at(a) / length) as usize;
            // The bucket's bounds, as time since the start.
            let bounds = [bucket as Millis, bucket as Millis + 1].map(|b| clock.elapsed(b * length));
            let end = to.min(bounds[1]);
            let exposure = if a == bounds[0] && end == bounds[1] {
                m.bucket_exposures[bucket]
            } else {
                exposure(&m.scenario, clock.since_change(a), clock.since_change(end))
            };
            a = end;
            // A bucket the sparse stream skips, with no dense device to count.
            if dense.is_empty() && !stream_dense && until_next >= exposure {
                until_next -= exposure;
                continue;
            }
            let stamp = bucket as u32 + 1;
            let (mut count, mut active) = (0, 0);
            let stamps = &mut self.counting.stamps;
            let walked = |d: usize| joins.get(d).is_some_and(|&j| bucket < j as usize);
            // Counts one request of device `d`, unless it is walked then.
            let mut mark = |d: usize| {
                if walked(d) {
                    return 0;
                }
                active += activate(&mut stamps[d], stamp);
                1
            };
            if laws.exposure != exposure {
                let rates = &self.arrivals.rates;
                laws = Laws {
                    exposure,
                    stream: if stream_dense { law(rate * exposure) } else { None },
                    dense: dense.iter().map(|&d| law(rates[d as usize] * exposure)).collect(),
                };
            }
            let counts = &mut self.streams.counts;
            let mut draw =
                |law: Option<Poisson<f64>>| law.map_or(0, |law| counts.sample::<f64, _>(law) as u64);
            for (&d, &law) in dense.iter().zip(&laws.dense) {
                if walked(d as usize) {
                    continue;
                }
                let n = draw(law);
                if n > 0 {
                    count += n;
                    mark(d as usize);
                }
            }
            if stream_dense {
                let n = draw(laws.stream);
                // The loop keeps the stream in registers.
                let mut rng = self.streams.counts.clone();
                // Once no device is walked, the loop need not ask.
                let anyone_walked = bucket < last_walked;
                let (counted, activated) = match &own_table {
                    Some(table) => spread_asking(
                        anyone_walked,
                        n,
                        &mut rng,
                        (stamps, stamp),
                        |r| sparse[table.sample(r)] as usize,
                        walked,
                    ),
                    None => spread_asking(
                        anyone_walked,
                        n,
                        &mut rng,
                        (stamps, stamp),
                        |r| requesters.sample(r),
                        walked,
                    ),
                };
                self.streams.counts = rng;
                count += counted;
                active += activated;
            } else {
                while until_next < exposure {
                    count += mark(pick(&mut self.streams.counts));
                    until_next += exp1(&mut self.streams.counts) / rate;
                }
                until_next -= exposure;
            }
            if count > 0 {
                let row = tally.row_mut(bucket);
                row[tally::REQUESTS] += count;
                row[tally::ACTIVE_DEVICES] += active;
                requests += count;
            }
        }
        requests
    }
}

/// Spreads `n` of the shared stream's requests over its devices, each drawn
/// by `pick`, and stamps each device's activity in bucket `stamp` (+1),
/// leaving out the requests of devices `walked` then; returns how many
/// requests were counted and how many devices became active.
#[inline(always)]
fn spread<R>(
    n: u64,
    rng: &mut R,
    stamps: &mut [Stamps],
    stamp: u32,
    pick: impl Fn(&mut R) -> usize,
    walked: impl Fn(usize) -> bool,
) -> (u64, u64) {
    let (mut counted, mut active) = (0, 0);
    for _ in 0..n {
        let d = pick(rng);
        if walked(d) {
            continue;
        }
        active += activate(&mut stamps[d], stamp);
        counted += 1;
    }
    (counted, active)
}

/// [`spread`], asking of each request's device whether it is `walked`
/// only while `anyone_walked` (a loop of its own either way).
#[inline(always)]
fn spread_asking<R>(
    anyone_walked: bool,
    n: u64,
    rng: &mut R,
    (stamps, stamp): (&mut [Stamps], u32),
    pick: impl Fn(&mut R) -> usize,
    walked: impl Fn(usize) -> bool,
) -> (u64, u64) {
    if anyone_walked {
        spread(n, rng, stamps, stamp, pick, walked)
    } else {
        spread(n, rng, stamps, stamp, pick, |_| false)
    }
}

/// Stamps a device active in bucket `stamp` (+1): 1 if it was not yet.
#[inline(always)]
fn activate(stamps: &mut Stamps, stamp: u32) -> u64 {
    let first = u64::from(stamps.active != stamp);
    stamps.active = stamp;
    first
}
