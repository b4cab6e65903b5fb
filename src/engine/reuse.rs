//! Counts kept between simulations of scenarios that differ in one pool of
//! resolvers. A partition reads the scenario but only its own resolver
//! pool, so its counts are the same bytes whenever everything else it
//! reads is: a `fit` whose free keys are one pool's (its share held along
//! a profile, its policy searched), or a `sweep` of one pool's policy,
//! leaves the other pools' partitions as they were. Each pool's partitions
//! are simulated as a group, every run's counts kept under a key that
//! spells out everything the group reads; a later simulation with the same
//! key takes them instead. Counts merge by addition, so the totals are the
//! same bytes as simulating every partition again.

use super::{Interrupted, Model, Tally};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Kept counts take at most this many bytes; the least recently used go first.
const BUDGET_BYTES: usize = 32 << 20;

/// The counts of earlier simulations, by group key.
#[derive(Default)]
pub struct Reuse {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    groups: HashMap<String, (u64, Arc<Vec<Tally>>)>,
    bytes: usize,
    /// A clock for least-recently-used order.
    uses: u64,
    /// Groups taken from earlier simulations, and groups simulated.
    hits: u64,
    misses: u64,
}

impl Reuse {
    /// (groups reused, groups simulated) so far.
    pub fn counts(&self) -> (u64, u64) {
        let kept = self.kept.lock().expect("not poisoned");
        (kept.hits, kept.misses)
    }

    fn take(&self, key: &str) -> Option<Arc<Vec<Tally>>> {
        let mut kept = self.kept.lock().expect("not poisoned");
        kept.uses += 1;
        let now = kept.uses;
        let found = kept.groups.get_mut(key).map(|(used, tallies)| {
            *used = now;
            tallies.clone()
        });
        match found {
            Some(_) => kept.hits += 1,
            None => kept.misses += 1,
        }
        found
    }

    fn keep(&self, key: String, tallies: Arc<Vec<Tally>>) {
        let size = footprint(&key, &tallies);
        if size > BUDGET_BYTES {
            return;
        }
        let mut kept = self.kept.lock().expect("not poisoned");
        while kept.bytes + size > BUDGET_BYTES {
            let oldest = kept
                .groups
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone())
                .expect("over budget means something is kept");
            let (_, gone) = kept.groups.remove(&oldest).expect("just found");
            kept.bytes -= footprint(&oldest, &gone);
        }
        kept.uses += 1;
        let now = kept.uses;
        kept.bytes += size;
        // Two simulations in flight may both have simulated a group.
        if let Some((_, replaced)) = kept.groups.insert(key.clone(), (now, tallies)) {
            kept.bytes -= footprint(&key, &replaced);
        }
    }
}

/// About the bytes a kept group takes.
fn footprint(key: &str, tallies: &[Tally]) -> usize {
    key.len() + tallies.iter().map(|t| t.rows.len() * 8 + 128).sum::<usize>()
}

impl Model {
    /// Each resolver pool's partitions (one group when none caches): they
    /// are contiguous in the plan.
    fn pool_groups(&self) -> Vec<(Option<usize>, Range<usize>)> {
        let mut groups: Vec<(Option<usize>, Range<usize>)> = Vec::new();
        for (i, plan) in self.partitions.iter().enumerate() {
            match groups.last_mut() {
                Some((pool, range)) if *pool == plan.resolver_pool => range.end = i + 1,
                _ => groups.push((plan.resolver_pool, i..i + 1)),
            }
        }
        groups
    }

    /// Everything the partitions `parts` under resolver pool `pool` read:
    /// the scenario but for the other resolver pools' policies (their
    /// shares and instances stay, as they place the partitions), the
    /// partitions' plans and indices (their seeds), and what the model
    /// works out from every pool at once.
    fn group_key(&self, pool: Option<usize>, parts: &Range<usize>) -> String {
        let s = &self.scenario;
        let mut bare = s.clone();
        for text in [
            &mut bare.name,
            &mut bare.description,
            &mut bare.file,
            &mut bare.content_hash,
            &mut bare.text,
        ] {
            text.clear();
        }
        bare.overrides.clear();
        bare.warnings.clear();
        bare.resolvers.clear();
        let own = pool.map(|p| &s.resolvers[p]);
        let placing: Vec<(f64, u32)> = s.resolvers.iter().map(|r| (r.share, r.instances)).collect();
        format!(
            "{bare:?}\n{own:?}\n{placing:?}\n{parts:?} {:?}\n{} {} {:?} {:?}",
            &self.partitions[parts.clone()],
            self.buckets,
            self.answered_buckets,
            self.shortcuts,
            self.causes,
        )
    }
}

/// [`super::simulate`], taking each pool's counts from `reuse` where an
/// earlier simulation had the same key, and keeping the others there.
/// `progress` is called with the share of the runs simulated so far, in runs.
pub fn simulate_reusing(
    model: &Model,
    runs: u32,
    stop: &AtomicBool,
    reuse: &Reuse,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Tally>, Interrupted> {
    let groups: Vec<(String, Range<usize>)> = model
        .pool_groups()
        .into_iter()
        .map(|(pool, parts)| (model.group_key(pool, &parts), parts))
        .collect();
    let known: Vec<Option<Arc<Vec<Tally>>>> = groups.iter().map(|(key, _)| reuse.take(key)).collect();
    let missing: Vec<usize> = (0..groups.len()).filter(|&g| known[g].is_none()).collect();
    let pieces: Vec<(u32, Range<usize>)> = missing
        .iter()
        .flat_map(|&g| (0..runs).map(move |r| (r, g)))
        .map(|(r, g)| (r, groups[g].1.clone()))
        .collect();
    let pieces_done = |done: u64| progress(done * u64::from(runs) / pieces.len() as u64);
    let mut simulated = super::simulate_pieces(model, &pieces, stop, &pieces_done)?.into_iter();
    let mut by_group = known;
    for &g in &missing {
        let tallies: Arc<Vec<Tally>> = Arc::new(simulated.by_ref().take(runs as usize).collect());
        reuse.keep(groups[g].0.clone(), tallies.clone());
        by_group[g] = Some(tallies);
    }
    Ok((0..runs as usize)
        .map(|r| {
            let mut tally = model.new_tally();
            for group in by_group.iter().flatten() {
                tally.merge(&group[r]);
            }
            tally
        })
        .collect())
}
