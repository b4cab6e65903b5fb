//! Counting a quiet partition's requests in bulk (see `engine::quiet`):
//! once no old answer can reach its devices, a bucket's requests are a
//! Poisson count whose mean is the devices' rates summed over the bucket
//! (the daily cycle's factor integrated), which is exactly the law of the
//! thinned streams the walk draws them from; which devices sent them is
//! drawn only to count the active devices. App restarts and reloads change
//! caches alone, so they are not drawn at all.

use super::tally::{self, Tally};
use super::Partition;
use crate::duration::Millis;
use std::sync::atomic::{AtomicBool, Ordering};

impl Partition<'_> {
    /// Counts the requests from `from` to `to` (time since the partition's
    /// start, after it went quiet) into `tally`; returns how many there were.
    pub(super) fn count_quiet(&mut self, from: f64, to: f64, tally: &mut Tally, stop: &AtomicBool) -> u64 {
        let s = &self.model.scenario;
        let (start, length, cycle) = (self.start, s.bucket, s.population.daily_cycle);
        let mut requests = 0;
        let mut a = from;
        while a < to && !stop.load(Ordering::Relaxed) {
            let now = start + a as Millis;
            let bucket = (now / length) as usize;
            let end = to.min(((bucket as Millis + 1) * length - start) as f64);
            // The expected requests of a device making one per ms.
            let exposure = cycle.map_or(end - a, |c| c.integral(a + start as f64, end + start as f64));
            let stamp = bucket as u32 + 1;
            let mut active = 0;
            // The shared stream's devices, drawn in proportion to their rates…
            let shared = self.poisson(self.request_rate * exposure);
            for _ in 0..shared {
                let d = self.requesters.sample(&mut self.rng);
                let device = &mut self.devices[d];
                active += u64::from(device.last_active != stamp);
                device.last_active = stamp;
            }
            // …and each busy device's own.
            let mut busy_requests = 0;
            for b in 0..self.busy.len() {
                let n = self.poisson(self.busy[b].rate * exposure);
                if n > 0 {
                    let device = &mut self.devices[self.busy[b].device as usize];
                    active += u64::from(device.last_active != stamp);
                    device.last_active = stamp;
                    busy_requests += n;
                }
            }
            let row = tally.row_mut(bucket);
            row[tally::REQUESTS] += shared + busy_requests;
            row[tally::ACTIVE_DEVICES] += active;
            requests += shared + busy_requests;
            a = end;
        }
        requests
    }
}
