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

/// When an event is due (time since the partition's start), ordered by
/// `total_cmp`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Due(f64);

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Due) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    fn cmp(&self, other: &Due) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Events by when they are due, earliest first.
#[derive(Debug, Default)]
pub(super) struct Queue(BinaryHeap<Reverse<(Due, Event)>>);

impl Queue {
    pub(super) fn push(&mut self, due: f64, event: Event) {
        self.0.push(Reverse((Due(due), event)));
    }

    /// When the earliest event is due (infinity if none is).
    #[inline]
    pub(super) fn head(&self) -> f64 {
        self.0.peek().map_or(f64::INFINITY, |Reverse((due, _))| due.0)
    }

    /// The earliest event, if any.
    pub(super) fn pop(&mut self) -> Option<Event> {
        self.0.pop().map(|Reverse((_, event))| event)
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
