//! Sharded runs: a scenario's work is a row of (run, partition) pairs; shard
//! I of N simulates one stretch of that row, chosen so that every shard has
//! about the same work (households times the time simulated). Counts are integers
//! merged by addition, so the merged shards are exactly one run's counts.

pub mod file;

use crate::engine::Model;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// Which shard: `index` of `count`, written `I/N` with 0 ≤ I < N.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A `--shard` argument that names no shard.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardArgError {
    #[error("{ACCEPTED}")]
    Form,
    #[error("{0} is not a shard: {ACCEPTED}")]
    OutOfRange(String),
}

const ACCEPTED: &str = "write I/N with 0 ≤ I < N, e.g. 3/16 for the fourth of 16 shards";

impl FromStr for Shard {
    type Err = ShardArgError;

    fn from_str(text: &str) -> Result<Shard, ShardArgError> {
        let (index, count) = text.split_once('/').ok_or(ShardArgError::Form)?;
        let number = |s: &str| s.trim().parse::<u32>().map_err(|_| ShardArgError::Form);
        let shard = Shard {
            index: number(index)?,
            count: number(count)?,
        };
        if shard.count == 0 || shard.index >= shard.count {
            return Err(ShardArgError::OutOfRange(text.to_string()));
        }
        Ok(shard)
    }
}

/// A scenario's work as a row of (run, partition) pairs, run by run, each
/// weighed by its partition's households times the time it simulates, its
/// warm-up included (every household has the same devices and request rates
/// to expect, and a pool that pins answers for a day warms up for two).
#[derive(Clone, Debug)]
pub struct Work {
    runs: u32,
    /// The work of the partitions before each partition, and the total last
    /// (household-seconds).
    before: Vec<u64>,
}

impl Work {
    pub fn of(model: &Model) -> Work {
        let s = &model.scenario;
        let mut before = vec![0];
        for p in &model.partitions {
            let warmup = crate::scenario::warmup::warmup(s, p.resolver_pool.map(|r| &s.resolvers[r].policy));
            let seconds = ((warmup + s.duration) / crate::duration::SECOND).max(1) as u64;
            before.push(before.last().copied().unwrap_or(0) + u64::from(p.households) * seconds);
        }
        Work {
            runs: model.scenario.runs,
            before,
        }
    }

    fn partitions(&self) -> u64 {
        self.before.len() as u64 - 1
    }

    /// How many (run, partition) pairs there are.
    pub fn pairs(&self) -> u64 {
        u64::from(self.runs) * self.partitions()
    }

    fn total(&self) -> u128 {
        u128::from(self.runs) * u128::from(self.before[self.before.len() - 1])
    }

    /// The work before pair `k` (`k` may be one past the last pair).
    fn before(&self, k: u64) -> u128 {
        let (run, partition) = (k / self.partitions(), (k % self.partitions()) as usize);
        u128::from(run) * u128::from(self.before[self.before.len() - 1]) + u128::from(self.before[partition])
    }

    /// Twice the work before pair `k`'s middle (twice, to stay in integers).
    fn middle_twice(&self, k: u64) -> u128 {
        let partition = (k % self.partitions()) as usize;
        2 * self.before(k) + u128::from(self.before[partition + 1] - self.before[partition])
    }

    /// The first pair whose middle lies at or past `index`/`count` of the work.
    fn first_pair(&self, index: u32, count: u32) -> u64 {
        let target = 2 * self.total() * u128::from(index);
        let (mut lo, mut hi) = (0, self.pairs());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.middle_twice(mid) * u128::from(count) >= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The pairs of `shard`: a pair belongs to the shard in whose stretch of
    /// the work its middle lies, so shards differ by at most one pair's work.
    pub fn range(&self, shard: Shard) -> Range<u64> {
        self.first_pair(shard.index, shard.count)..self.first_pair(shard.index + 1, shard.count)
    }

    /// The work (household-seconds) of a range of pairs, for balance figures.
    pub fn amount(&self, pairs: &Range<u64>) -> u64 {
        (self.before(pairs.end) - self.before(pairs.start)) as u64
    }

    /// A range of pairs as pieces of replicas: each replica it touches, with
    /// the range of that replica's partitions.
    pub fn pieces(&self, pairs: &Range<u64>) -> Vec<(u32, Range<usize>)> {
        let per_run = self.partitions();
        let mut pieces = Vec::new();
        let mut k = pairs.start;
        while k < pairs.end {
            let run = k / per_run;
            let end = pairs.end.min((run + 1) * per_run);
            pieces.push((run as u32, (k % per_run) as usize..(end - run * per_run) as usize));
            k = end;
        }
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(runs: u32, households: &[u64]) -> Work {
        let mut before = vec![0];
        for h in households {
            before.push(before.last().unwrap() + h);
        }
        Work { runs, before }
    }

    #[test]
    fn shards_cover_every_pair_once_in_order() {
        let w = work(3, &[10, 500, 7, 7, 90]);
        for count in [1, 2, 3, 7, 15, 40] {
            let mut next = 0;
            for index in 0..count {
                let r = w.range(Shard { index, count });
                assert_eq!(r.start, next, "{index}/{count}");
                next = r.end;
            }
            assert_eq!(next, w.pairs());
        }
    }

    #[test]
    fn shards_differ_by_at_most_one_pair_of_work() {
        let w = work(8, &[64; 50]);
        let count = 16;
        let households: Vec<u64> = (0..count)
            .map(|index| w.amount(&w.range(Shard { index, count })))
            .collect();
        let (min, max) = (households.iter().min().unwrap(), households.iter().max().unwrap());
        assert!(max - min <= 64, "{households:?}");
        assert_eq!(households.iter().sum::<u64>(), 8 * 64 * 50);
    }

    #[test]
    fn pieces_split_at_run_boundaries() {
        let w = work(3, &[1, 1, 1, 1]);
        assert_eq!(w.pieces(&(2..9)), vec![(0, 2..4), (1, 0..4), (2, 0..1)]);
        assert_eq!(w.pieces(&(4..4)), vec![]);
    }

    #[test]
    fn shard_parses_and_refuses() {
        assert_eq!("3/16".parse::<Shard>(), Ok(Shard { index: 3, count: 16 }));
        for bad in ["16/16", "1/0", "3", "-1/4", "a/b"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
