//! Requests riding an open keep-alive connection. A busy device (see
//! `run_ahead.rs`) or a device walked alone (see `tails.rs`) whose request
//! just went over its connection usually sends the next ones the same way:
//! they are served here in a loop of their own, each arrival one
//! exponential draw, until one is not alike (the connection closed, a
//! bucket or version ended, the cause changed). The draws and decisions
//! are those of serving each request the general way, so the counts are
//! the same bytes; it applies only where no daily cycle thins the arrivals
//! and no app restart is told apart from a request (those draw more).

use super::{exp1, Layer, Partition, Served};
use crate::duration::Millis;
use crate::scenario::Connection;

/// How the caller draws a gap between arrivals, kept bit for bit.
#[derive(Clone, Copy, Debug)]
pub(super) enum Gap {
    /// A busy device's stream: the exponential times its mean gap.
    Busy(f64),
    /// A device walked alone: the exponential over its arrival rate.
    Tail(f64),
}

/// What [`Partition::ride`] did: the requests it served, and the arrival
/// after them it left to the general path.
pub(super) struct Rode {
    pub(super) requests: u64,
    pub(super) next: Option<f64>,
}

impl Partition<'_> {
    /// Serves device `d`'s arrivals after `elapsed` (before `span`) that
    /// ride its open connection `c` as the request just served at `now`
    /// did: before the change, or before `until` (the end of its stretch)
    /// with the same cause, counted into `batch`. Returns the first
    /// arrival it leaves to the general path, if any before `span`.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn ride(
        &mut self,
        d: usize,
        c: Connection,
        gap: Gap,
        mut elapsed: f64,
        span: f64,
        (now, until): (Millis, Millis),
        batch: &mut Served,
    ) -> Rode {
        // Before the change nothing is counted, up to the change itself.
        let (counting, until) = if now < 0 { (false, 0) } else { (true, until) };
        let device = &mut self.caches.devices[d];
        let stale = device.connection_staleness();
        // Every limit but idleness is a time or a count known now: the
        // stretch's end, the connection's maximum age, the record's TTL
        // retiring the answer (the cause changes there), its request limit.
        let mut until = until.min(device.conn_opened.saturating_add(c.max_age));
        if counting && now < stale.retire {
            until = until.min(stale.retire);
        }
        debug_assert!(!counting || stale.cause_at(now, Layer::Connection) == batch.cause);
        let room = u64::from(c.max_requests.saturating_sub(device.conn_requests));
        let (mut last, mut requests) = (device.conn_last, 0);
        let rng = match gap {
            Gap::Busy(_) => &mut self.streams.busy,
            Gap::Tail(_) => &mut self.streams.counts,
        };
        let next = loop {
            let draw = exp1(rng);
            let next = elapsed
                + match gap {
                    Gap::Busy(mean_gap) => draw * mean_gap,
                    Gap::Tail(rate) => draw / rate,
                };
            if next >= span {
                break None;
            }
            let at = self.clock.at(next);
            if at >= until || at - last > c.idle_timeout || requests == room {
                break Some(next);
            }
            last = at;
            requests += 1;
            elapsed = next;
        };
        if requests > 0 {
            device.conn_last = last;
            device.conn_requests += requests as u32;
            if counting {
                batch.requests += requests;
                batch.last = last;
            }
        }
        Rode { requests, next }
    }
}
