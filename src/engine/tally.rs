//! What one replica (or one partition of it) counted, bucket by bucket, as
//! plain integer sums: merging is addition, so partitions and replicas can be
//! combined in any order, on any thread or machine, to the same bytes.

use super::{Layer, PerLayer};
use crate::duration::Millis;

/// Column offsets inside a bucket's row.
pub const REQUESTS: usize = 0;
pub const OLD: usize = 1;
pub const VIA: usize = 2; // one column per layer, Layer::ALL order
pub const ACTIVE_DEVICES: usize = VIA + Layer::COUNT;
pub const DEVICES_OLD: usize = ACTIVE_DEVICES + 1;
pub const ADDRESSES: usize = DEVICES_OLD + 1; // one column per address, then one per cause slot

/// Integer counts per bucket, plus totals over the horizon after the change.
/// Serializable, so a shard's counts can travel to the merge.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    pub buckets: usize,
    pub width: usize,
    /// Where the old requests by cause slot start in a row (after the addresses).
    pub causes: usize,
    pub rows: Vec<u64>,
    /// Requests after the change answered at each layer (hit ratios).
    pub answered_at: PerLayer<u64>,
    /// Time of the last request that reached an old address; `None` if none did.
    pub last_old: Option<Millis>,
    /// Every request simulated, warm-up included (the engine's throughput).
    pub simulated: u64,
    pub devices: u64,
}

impl Tally {
    pub fn new(buckets: usize, addresses: usize, causes: usize) -> Tally {
        let width = ADDRESSES + addresses + causes;
        Tally {
            buckets,
            width,
            causes: ADDRESSES + addresses,
            rows: vec![0; buckets * width],
            answered_at: PerLayer::default(),
            last_old: None,
            simulated: 0,
            devices: 0,
        }
    }

    #[inline]
    pub fn get(&self, bucket: usize, column: usize) -> u64 {
        self.rows[bucket * self.width + column]
    }

    #[inline]
    pub fn row_mut(&mut self, bucket: usize) -> &mut [u64] {
        &mut self.rows[bucket * self.width..(bucket + 1) * self.width]
    }

    pub fn row(&self, bucket: usize) -> &[u64] {
        &self.rows[bucket * self.width..(bucket + 1) * self.width]
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Tally) {
        debug_assert_eq!((self.buckets, self.width), (other.buckets, other.width));
        for (a, b) in self.rows.iter_mut().zip(&other.rows) {
            *a += b;
        }
        for (a, b) in self.answered_at.values_mut().zip(other.answered_at.values()) {
            *a += b;
        }
        self.last_old = self.last_old.max(other.last_old);
        self.simulated += other.simulated;
        self.devices += other.devices;
    }

    pub fn total(&self, column: usize) -> u64 {
        (0..self.buckets).map(|b| self.get(b, column)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_counts_and_keeps_the_latest_old_request() {
        let mut a = Tally::new(2, 1, 2);
        let mut b = Tally::new(2, 1, 2);
        a.row_mut(0)[REQUESTS] = 3;
        b.row_mut(0)[REQUESTS] = 4;
        b.row_mut(1)[OLD] = 1;
        a.last_old = Some(5);
        b.last_old = Some(9);
        a.merge(&b);
        assert_eq!(a.get(0, REQUESTS), 7);
        assert_eq!(a.get(1, OLD), 1);
        assert_eq!(a.last_old, Some(9));
    }
}
