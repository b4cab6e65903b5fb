//! Counting a quiet partition's requests in bulk (see `engine::quiet`):
//! once no old answer can reach its devices, its requests are Poisson
//! streams whose rate is the devices' summed over time (the daily cycle's
//! factor integrated: a bucket's "exposure"), which is exactly the law of
//! the thinned streams the walk draws them from. Each bucket's count is
//! drawn whole, or, where buckets hold few requests, as gaps between
//! arrivals on the exposure's scale (the cost then follows the requests,
//! not the buckets); which devices sent them is drawn only to count the
//! active devices. App restarts and reloads change caches alone, so they
//! are not drawn at all.

use super::tally::{self, Tally};
use super::{poisson, Partition};
use crate::duration::Millis;
use crate::engine::quiet::exposure;
use crate::population::AliasTable;
use rand::RngExt;
use rand_distr::Exp1;
use std::sync::atomic::{AtomicBool, Ordering};

/// Partitions expecting at least this many requests per bucket get one
/// Poisson count per bucket; sparser ones are drawn gap by gap (a count
/// costs about as much as this many gaps).
const DENSE_BUCKET: f64 = 8.0;

impl Partition<'_> {
    /// Counts the requests from `from` to `to` (time since the partition's
    /// start, after it went quiet) into `tally`; returns how many there were.
    pub(super) fn count_quiet(&mut self, from: f64, to: f64, tally: &mut Tally, stop: &AtomicBool) -> u64 {
        let m = self.model;
        let (start, length) = (self.start, m.scenario.bucket);
        // The shared stream's devices, and the busy ones' own streams.
        let busy_rates: Vec<f64> = self.busy.iter().map(|b| b.rate).collect();
        let busy_table = AliasTable::new(&busy_rates);
        let busy_rate: f64 = busy_rates.iter().sum();
        let rate = self.request_rate + busy_rate;
        if rate <= 0.0 {
            return 0;
        }
        let dense = rate * length as f64 >= DENSE_BUCKET;
        // Drawn gap by gap: the exposure left until the next arrival, and
        // the chance that a busy device sends it.
        let mut until_next = self.rng.sample::<f64, _>(Exp1) / rate;
        let busy_share = busy_rate / rate;
        let mut requests = 0;
        let mut a = from;
        while a < to && !stop.load(Ordering::Relaxed) {
            let bucket = ((start + a as Millis) / length) as usize;
            // The bucket's bounds, as time since the start.
            let bounds = [bucket as Millis, bucket as Millis + 1].map(|b| (b * length - start) as f64);
            let end = to.min(bounds[1]);
            let exposure = if a == bounds[0] && end == bounds[1] {
                m.bucket_exposures[bucket]
            } else {
                exposure(&m.scenario, a + start as f64, end + start as f64)
            };
            a = end;
            if !dense && until_next >= exposure {
                until_next -= exposure;
                continue;
            }
            let stamp = bucket as u32 + 1;
            let mut active = 0;
            let mut mark = |d: usize| {
                let device = &mut self.devices[d];
                active += u64::from(device.last_active != stamp);
                device.last_active = stamp;
            };
            let (mut shared, mut busy) = (0, 0);
            if dense {
                shared = poisson(&mut self.rng, self.request_rate * exposure);
                busy = poisson(&mut self.rng, busy_rate * exposure);
            } else {
                while until_next < exposure {
                    if busy_rate > 0.0 && self.rng.random::<f64>() < busy_share {
                        busy += 1;
                        mark(self.busy[busy_table.sample(&mut self.rng)].device as usize);
                    } else {
                        shared += 1;
                        mark(self.requesters.sample(&mut self.rng));
                    }
                    until_next += self.rng.sample::<f64, _>(Exp1) / rate;
                }
                until_next -= exposure;
            }
            if dense {
                for _ in 0..shared {
                    mark(self.requesters.sample(&mut self.rng));
                }
                for _ in 0..busy {
                    mark(self.busy[busy_table.sample(&mut self.rng)].device as usize);
                }
            }
            let row = tally.row_mut(bucket);
            row[tally::REQUESTS] += shared + busy;
            row[tally::ACTIVE_DEVICES] += active;
            requests += shared + busy;
        }
        requests
    }
}
