//! Requests riding an open keep-alive connection. A busy device (see
//! `run_ahead.rs`) or a device walked alone (see `tails.rs`) whose request
//! just went over its connection usually sends the next ones the same way:
//! they are served here in a loop of their own until one is not alike (the
//! connection closed, a bucket or version ended, the cause changed). It
//! applies only where no daily cycle thins the arrivals and no app restart
//! is told apart from a request (those draw more), so arrivals are a
//! Poisson stream of one rate.
//!
//! Where a device sends many requests within half its connection's idle
//! timeout, they are counted by cells of that length, one Poisson count
//! each, rather than one exponential gap each: while every cell holds an
//! arrival, no gap reaches the idle timeout (two arrivals in neighbouring
//! cells are less than two cells apart), so only a cell's count matters.
//! An empty cell is where the connection may have gone idle: the last
//! arrival before it is drawn (the largest of its cell's uniform
//! positions), and the arrivals after it are drawn one by one again until a
//! cell holds one. The arrivals after a fixed moment are a fresh Poisson
//! stream whatever came before, so switching between the two at cell
//! bounds draws the same law (the tests below, and `tests/riding.rs`).

use super::cells::CellLaws;
use super::clock::Clock;
use super::{exp1, Layer, Partition, Served};
use crate::duration::Millis;
use crate::scenario::Connection;
use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

/// A cell's expected arrivals from which a ride counts them by cell. An
/// empty cell (chance e^-1.5, 22 %, here) costs a draw for the last arrival
/// before it and a cell's arrivals one by one after it. Timed in pairs on
/// `keepalive` with the devices that ride by cells running ahead (five
/// pairs each): 1.5 took 0.90 of the time of the build before, 1 took 0.91
/// and 2 took 0.90; with only busy devices riding by cells, 3 took 0.96.
const CELL_MEAN: f64 = 1.5;

/// Whether the rides of a device making `rate` requests per ms over
/// connection `c` count its requests by cells: enough to a cell, and a
/// request limit (if any) that lets a connection carry two cells' worth.
pub(super) fn rides_by_cells(c: Connection, rate: f64) -> bool {
    by_cells(rate * c.idle_timeout as f64 / 2.0, u64::from(c.max_requests))
}

/// Whether cells expecting `mean` arrivals pay with `room` requests left:
/// below two cells' worth they would mostly be placed one by one.
fn by_cells(mean: f64, room: u64) -> bool {
    mean >= CELL_MEAN && room as f64 >= 2.0 * mean
}

/// How the caller draws a gap between arrivals, kept bit for bit.
#[derive(Clone, Copy, Debug)]
pub(super) enum Gap {
    /// A busy device's stream: the exponential times its mean gap.
    Busy(f64),
    /// A device walked alone: the exponential over its arrival rate.
    Tail(f64),
}

impl Gap {
    /// Arrivals per ms.
    fn rate(self) -> f64 {
        match self {
            Gap::Busy(mean_gap) => 1.0 / mean_gap,
            Gap::Tail(rate) => rate,
        }
    }
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
        elapsed: f64,
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
        let mut rider = Rider {
            clock: self.clock,
            gap,
            idle: c.idle_timeout,
            until,
            span,
            room: u64::from(c.max_requests.saturating_sub(device.conn_requests)),
            last: device.conn_last,
            requests: 0,
        };
        let rng = match gap {
            Gap::Busy(_) => &mut self.streams.busy,
            Gap::Tail(_) => &mut self.streams.counts,
        };
        let next = rider.ride((rng, &mut self.counting.cell_laws, d), elapsed);
        let (last, requests) = (rider.last, rider.requests);
        if requests > 0 {
            let device = &mut self.caches.devices[d];
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

/// A ride in progress: its limits, and the requests it carried so far.
struct Rider {
    clock: Clock,
    gap: Gap,
    idle: Millis,
    /// The first millisecond (since the change) the ride cannot reach.
    until: Millis,
    /// The end of the partition's time, as time since its start.
    span: f64,
    /// How many more requests the connection may carry.
    room: u64,
    /// The millisecond of the last request carried.
    last: Millis,
    requests: u64,
}

/// How arrivals drawn one by one up to a bound went.
enum Walked {
    /// None ended the ride; whether one was carried.
    Passed { carried: bool },
    /// The arrival that ended it (`None`: none before the span's end).
    Ended(Option<f64>),
}

impl Rider {
    /// Carries the arrivals after `elapsed` (an arrival) until one cannot
    /// ride; returns that one, if any before the span's end.
    fn ride(
        &mut self,
        (rng, laws, d): (&mut Xoshiro256PlusPlus, &mut CellLaws, usize),
        elapsed: f64,
    ) -> Option<f64> {
        let cell = self.idle as f64 / 2.0;
        let mean = cell * self.gap.rate();
        // Within `limit`, no arrival reaches the span's end or `until`.
        let limit = self
            .span
            .min(self.until.saturating_sub(self.clock.start()) as f64);
        // Cells need the last request carried at `elapsed`: the request the
        // caller just served over the connection.
        debug_assert_eq!(self.last, self.clock.at(elapsed));
        if !(by_cells(mean, self.room - self.requests) && elapsed + cell <= limit) {
            return self.walk_to_end(rng, elapsed);
        }
        let law = laws.of(d, mean);
        // Cells start at `x`. `pending`: the cell before it holds that many
        // arrivals, the last one not drawn yet (0: `last` is it). The last
        // request carried is in that cell or at `x`, so within two cells of
        // any arrival in the next: no gap there reaches the idle timeout.
        let (mut x, mut pending) = (elapsed, 0);
        loop {
            // The last cell before the limit, or the last the request
            // limit is expected to leave room for, is walked one by one.
            if x + cell > limit || ((self.room - self.requests) as f64) < mean {
                self.draw_last(rng, x - cell, cell, pending);
                return self.walk_to_end(rng, x);
            }
            let n = law.sample(rng);
            if n > 0 && n <= self.room - self.requests {
                self.requests += n;
                (x, pending) = (x + cell, n);
                continue;
            }
            self.draw_last(rng, x - cell, cell, pending);
            pending = 0;
            if n > 0 {
                return Some(self.run_out(rng, x, cell, n));
            }
            // An empty cell: arrivals one by one after it, until a cell
            // holds one (then the last request is close enough again).
            loop {
                x += cell;
                if x + cell > limit {
                    return self.walk_to_end(rng, x);
                }
                match self.walk(rng, x, x + cell) {
                    Walked::Ended(next) => return next,
                    Walked::Passed { carried: true } => break,
                    Walked::Passed { carried: false } => {}
                }
            }
            x += cell;
        }
    }

    /// The arrivals after `from` one by one until one ends the ride.
    fn walk_to_end(&mut self, rng: &mut Xoshiro256PlusPlus, from: f64) -> Option<f64> {
        match self.walk(rng, from, f64::INFINITY) {
            Walked::Ended(next) => next,
            Walked::Passed { .. } => unreachable!("no arrival passes an infinite bound"),
        }
    }

    /// Carries the arrivals after `from` (an arrival, or a moment the
    /// arrivals after are fresh from) one exponential gap each, until one
    /// ends the ride or one comes at `bound` or later (left undrawn: the
    /// arrivals after `bound` are fresh again).
    #[inline]
    fn walk(&mut self, rng: &mut Xoshiro256PlusPlus, mut from: f64, bound: f64) -> Walked {
        let mut carried = false;
        loop {
            let draw = exp1(rng);
            let next = from
                + match self.gap {
                    Gap::Busy(mean_gap) => draw * mean_gap,
                    Gap::Tail(rate) => draw / rate,
                };
            if next >= bound {
                return Walked::Passed { carried };
            }
            if !self.carries(next) {
                return Walked::Ended((next < self.span).then_some(next));
            }
            carried = true;
            from = next;
        }
    }

    /// Carries the arrival at `t` if it can ride: before the span's end and
    /// `until`, within the idle timeout of the last, with room left.
    #[inline(always)]
    fn carries(&mut self, t: f64) -> bool {
        if t >= self.span {
            return false;
        }
        let at = self.clock.at(t);
        if at >= self.until || at - self.last > self.idle || self.requests == self.room {
            return false;
        }
        self.last = at;
        self.requests += 1;
        true
    }

    /// Where the cell from `start` holds `n` arrivals already counted, the
    /// last of them, now that it matters (nothing when `n` is 0): the
    /// largest of `n` uniform positions.
    fn draw_last(&mut self, rng: &mut Xoshiro256PlusPlus, start: f64, cell: f64, n: u64) {
        if n > 0 {
            let largest = rng.random::<f64>().powf(1.0 / n as f64);
            self.last = self.clock.at(start + cell * largest);
        }
    }

    /// The cell from `start` holds `n` arrivals, more than the connection
    /// has room for: they are placed (sorted uniform positions) and carried
    /// in order up to the one the room runs out at, which is returned.
    #[cold]
    fn run_out(&mut self, rng: &mut Xoshiro256PlusPlus, start: f64, cell: f64, n: u64) -> f64 {
        let mut arrivals: Vec<f64> = (0..n).map(|_| start + cell * rng.random::<f64>()).collect();
        arrivals.sort_by(f64::total_cmp);
        arrivals
            .into_iter()
            .find(|&t| !self.carries(t))
            .expect("the room runs out within the cell")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Per ride: requests carried, the last one's millisecond, and the
    /// arrival that ended it (-1: none before the span's end).
    fn rides(by_cells: bool, rider: &Rider, trials: u32) -> Vec<[f64; 4]> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(u64::from(by_cells) + 11);
        let mut laws = CellLaws::default();
        (0..trials)
            .map(|_| {
                let mut r = Rider { ..*rider };
                let next = if by_cells {
                    r.ride((&mut rng, &mut laws, 0), 0.0)
                } else {
                    r.walk_to_end(&mut rng, 0.0)
                };
                let requests = r.requests as f64;
                [requests, requests * requests, r.last as f64, next.unwrap_or(-1.0)]
            })
            .collect()
    }

    /// Rides counted by cells and arrival by arrival agree in the mean of
    /// each figure (and the square of the count) within 4.5 standard errors.
    fn assert_alike(rider: Rider) {
        let (cells, walked) = (rides(true, &rider, 40_000), rides(false, &rider, 40_000));
        for i in 0..4 {
            let moments = |rows: &[[f64; 4]]| {
                let n = rows.len() as f64;
                let mean = rows.iter().map(|r| r[i]).sum::<f64>() / n;
                let var = rows.iter().map(|r| (r[i] - mean).powi(2)).sum::<f64>() / (n - 1.0);
                (mean, var / n)
            };
            let ((a, va), (b, vb)) = (moments(&cells), moments(&walked));
            let z = (a - b).abs() / (va + vb).sqrt().max(1e-12);
            assert!(
                z < 4.5,
                "figure {i}: {a} by cells, {b} one by one ({z:.1} standard errors)"
            );
        }
    }

    fn rider(rate_per_s: f64, idle: Millis, until: Millis, span: f64, room: u64) -> Rider {
        Rider {
            clock: Clock::new(0),
            gap: Gap::Tail(rate_per_s / 1000.0),
            idle,
            until,
            span,
            room,
            last: 0,
            requests: 0,
        }
    }

    #[test]
    fn a_ride_by_cells_draws_what_one_by_one_draws() {
        // Sparse cells (1.5 a cell): idle gaps end most rides.
        assert_alike(rider(0.3, 10_000, 600_000, f64::INFINITY, u64::MAX));
        // Dense cells: rides end at `until`, or the span's end before it.
        assert_alike(rider(1.0, 20_000, 300_000, f64::INFINITY, u64::MAX));
        assert_alike(rider(1.0, 20_000, 300_000, 250_000.0, u64::MAX));
        // The connection's request limit runs out within a cell.
        assert_alike(rider(1.0, 20_000, 300_000, f64::INFINITY, 95));
    }
}
