//! The partition's queue of events that need shared state, in time order:
//! a busy device's next request that its own state cannot serve (see
//! `run_ahead.rs`), and a reloading OS cache's next prune (`reload.rs`).
//! Equal times come out in a stated order, busy requests before reloads,
//! each by index, so runs repeat to the byte.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What comes due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Event {
    /// The next request of busy device `i` (its index among the busy).
    Busy(u32),
    /// The prune of device `d`'s OS cache that reloads or drops its entry.
    Reload(u32),
}

/// Events by when they are due, earliest first. Each is one integer
/// whose order is the queue's: the due time's bits above (times are never
/// negative, so their bits order as the times do) and the event's code
/// below (busy requests, then reloads, each by index), one comparison of
/// integers per step of the heap.
#[derive(Debug, Default)]
pub(super) struct Queue(BinaryHeap<Reverse<u128>>);

/// Reloads' codes come after every busy request's.
const RELOADS: u64 = 1 << 32;

impl Queue {
    pub(super) fn push(&mut self, due: f64, event: Event) {
        debug_assert!(due >= 0.0, "a time since the partition's start");
        let code = match event {
            Event::Busy(i) => u64::from(i),
            Event::Reload(d) => RELOADS + u64::from(d),
        };
        self.0
            .push(Reverse((u128::from(due.to_bits()) << 64) | u128::from(code)));
    }

    /// When the earliest event is due (infinity if none is).
    #[inline]
    pub(super) fn head(&self) -> f64 {
        self.0
            .peek()
            .map_or(f64::INFINITY, |Reverse(key)| f64::from_bits((key >> 64) as u64))
    }

    /// The earliest event, if any.
    pub(super) fn pop(&mut self) -> Option<Event> {
        self.0.pop().map(|Reverse(key)| {
            let code = key as u64;
            if code < RELOADS {
                Event::Busy(code as u32)
            } else {
                Event::Reload((code - RELOADS) as u32)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_busy_requests_first_then_by_index() {
        let mut q = Queue::default();
        q.push(5.0, Event::Reload(1));
        q.push(5.0, Event::Busy(7));
        q.push(5.0, Event::Busy(2));
        q.push(1.0, Event::Reload(9));
        assert_eq!(q.head(), 1.0);
        let order: Vec<Event> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            [Event::Reload(9), Event::Busy(2), Event::Busy(7), Event::Reload(1)]
        );
        assert_eq!(q.head(), f64::INFINITY);
    }
}
