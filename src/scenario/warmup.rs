//! How long before the change a partition starts. Caches and keep-alive
//! connections start in their stationary state for the answer the record
//! gives at the start, and the warm-up lets nested caches agree with one
//! another by the change: it covers twice the longest lifetime any answer
//! can have in the partition's chain. A step of the record's schedule
//! before the start must lie far enough back that nothing can still hold
//! an answer from before it (the longest lifetime of any answer, and of a
//! connection where the step changed the addresses): then the caches at the
//! start hold only the answer the step gave, as the seeding says. Otherwise
//! the warm-up begins at the first step. Steps in between need no more:
//! every seeded entry expires within that lifetime, and from then on the
//! caches hold what the record's timeline handed them.
//! The automatic one also covers a connection's longest life once, so that
//! every connection open at the change was opened from caches that had
//! agreed, whatever its seeding.

use super::model::{Pool, Scenario};
use crate::duration::{Millis, DAY, MINUTE};
use crate::policy::Policy;

/// Warm-ups chosen automatically settle at least this long…
pub const WARMUP_MIN: Millis = 10 * MINUTE;
/// …and cover lifetimes up to this long. Longer ones ("forever") are capped:
/// caches start in their stationary state, so the warm-up only has to let
/// nested caches agree, and a day covers every real-world TTL cap.
pub const WARMUP_CAP: Millis = DAY;

/// The shortest warm-up for which the run starts exactly, whatever the
/// partition: every cache is seeded in its stationary state when the warm-up
/// begins, for the answer the record gives then (which it gave since the
/// dawn of time, or since a step whose earlier answers nothing can hold any
/// more), and twice the longest time an answer is kept lets nested caches
/// agree with one another by the change (a copy carries its upstream's
/// remaining TTL, which independent seeds cannot know). 0 when nothing
/// keeps answers.
pub fn shortest_exact(scenario: &Scenario) -> Millis {
    let resolvers = partition_resolvers(scenario);
    if resolvers
        .iter()
        .all(|r| settle(longest_chain_lifetime(scenario, *r), 0) <= 0)
    {
        return 0;
    }
    resolvers
        .into_iter()
        .map(|r| begun_after_steps(scenario, r, |chain| settle(chain, 0)))
        .max()
        .unwrap_or(0)
}

/// Why a warm-up of `given` cannot start the run exactly in some partition:
/// it begins after a step of the schedule while answers from before that
/// step can still be held (the seeding would know nothing of them), or it
/// is too short to let the caches agree by the change. `None`: it can.
pub fn inexact(scenario: &Scenario, given: Millis) -> Option<Inexact> {
    let record = &scenario.record;
    let start = -given;
    let mut need = 0;
    for resolver in partition_resolvers(scenario) {
        let step = (1..record.versions.len())
            .filter(|&v| record.versions[v].start < 0 && record.versions[v].start <= start)
            .max();
        let from = step.unwrap_or(0);
        if let Some(step) = step {
            let held = held_from_before(scenario, resolver, step);
            let at = record.versions[step].start;
            if start - at < held {
                return Some(Inexact::BeforeStepForgotten {
                    step_at: at,
                    held,
                    first_step: record.earliest_step(),
                });
            }
        }
        need = need.max(settle(
            chain_lifetime(scenario, resolver, from..record.versions.len()),
            0,
        ));
    }
    (given < need).then_some(Inexact::TooShort { need })
}

/// See [`inexact`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Inexact {
    /// It begins after the step at `step_at`, whose earlier answers can be
    /// held up to `held` after it; the record's first step is at `first_step`.
    BeforeStepForgotten {
        step_at: Millis,
        held: Millis,
        first_step: Millis,
    },
    /// It needs at least `need` to let nested caches agree.
    TooShort { need: Millis },
}

/// The shortest exact warm-up that begins by the record's first step:
/// twice the longest lifetime of any answer, in every partition.
pub fn from_first_step(scenario: &Scenario) -> Millis {
    let versions = 0..scenario.record.versions.len();
    partition_resolvers(scenario)
        .into_iter()
        .map(|r| settle(chain_lifetime(scenario, r, versions.clone()), 0))
        .max()
        .unwrap_or(0)
        .max(before_first_step(scenario))
}

/// Each partition's resolver policy (`None`: a partition with none).
fn partition_resolvers(scenario: &Scenario) -> Vec<Option<&Policy>> {
    if scenario.resolvers.is_empty() {
        vec![None]
    } else {
        scenario.resolvers.iter().map(|r| Some(&r.policy)).collect()
    }
}

/// How long after the step `step` something in a partition under
/// `resolver` can still hold an answer from before it: the longest lifetime
/// of those answers, and a connection's where the step moved the addresses.
fn held_from_before(scenario: &Scenario, resolver: Option<&Policy>, step: usize) -> Millis {
    let versions = &scenario.record.versions;
    let before = chain_lifetime(scenario, resolver, 0..step);
    if versions[step].addresses != versions[step - 1].addresses {
        before.max(longest_connection_life(scenario))
    } else {
        before
    }
}

/// The warm-up of a partition under `resolver` whose answers live up to
/// `chain` in it: the latest step before the change such that a warm-up
/// settled for the answers from that step on (`settled_from`) begins after
/// everything from before the step is gone (from its longest lifetime, and a
/// connection's where the step moved the addresses); where none is, the
/// warm-up settled for every answer, begun by the record's first step.
fn begun_after_steps(
    scenario: &Scenario,
    resolver: Option<&Policy>,
    settled_from: impl Fn(Millis) -> Millis,
) -> Millis {
    let record = &scenario.record;
    let steps = (1..record.versions.len()).filter(|&v| record.versions[v].start < 0);
    for step in steps.rev() {
        let settled = settled_from(chain_lifetime(scenario, resolver, step..record.versions.len()));
        let start = -settled;
        let at = record.versions[step].start;
        if at <= start && start - at >= held_from_before(scenario, resolver, step) {
            return settled;
        }
    }
    settled_from(chain_lifetime(scenario, resolver, 0..record.versions.len()))
        .max(before_first_step(scenario))
}

/// The shortest warm-up that begins no later than the record's first
/// step, so caches are seeded with the answer the record gave before it
/// (the engine seeds with the answer of the moment just before its start).
fn before_first_step(scenario: &Scenario) -> Millis {
    -scenario.record.earliest_step()
}

/// How long nested state takes to agree: twice the chain's longest
/// lifetime, and, where asked, a connection's longest life once (each
/// within [`WARMUP_CAP`]).
fn settle(chain: Millis, connection: Millis) -> Millis {
    chain
        .min(WARMUP_CAP)
        .saturating_mul(2)
        .max(connection.min(WARMUP_CAP))
}

/// The longest a keep-alive connection lives (its maximum age, or the
/// idle timeouts between its requests up to its limit), or where nothing
/// but idleness ends it, its idle timeout: its seeding draws how long it
/// has been open.
fn longest_connection_life(scenario: &Scenario) -> Millis {
    scenario
        .apps
        .iter()
        .filter_map(|a| a.connection)
        .map(|c| c.longest_life().unwrap_or(c.idle_timeout))
        .max()
        .unwrap_or(0)
}

/// The warm-up of a partition under `resolver` (`None`: no resolver cache):
/// the scenario's own, or what nested caches and connections take to agree
/// by the change (see [`settle`]; at least [`WARMUP_MIN`]), begun before
/// the record's first step.
pub fn warmup(scenario: &Scenario, resolver: Option<&Policy>) -> Millis {
    scenario.warmup.unwrap_or_else(|| {
        let connection = longest_connection_life(scenario);
        begun_after_steps(scenario, resolver, |chain| {
            settle(chain, connection).max(WARMUP_MIN)
        })
    })
}

/// The longest warm-up of any partition: the time simulated before the
/// change, for estimating a run's cost.
pub fn longest_warmup(scenario: &Scenario) -> Millis {
    let mut longest = warmup(scenario, None);
    for r in &scenario.resolvers {
        longest = longest.max(warmup(scenario, Some(&r.policy)));
    }
    longest
}

/// The longest any cache can hold an answer in a chain under `resolver`
/// (`None`: no resolver cache), given the record, or an OS cache that
/// reloads by itself remember its seeding: how long a warm-up must be for
/// every cache below to reach its steady state.
pub fn longest_chain_lifetime(scenario: &Scenario, resolver: Option<&Policy>) -> Millis {
    chain_lifetime(scenario, resolver, 0..scenario.record.versions.len())
}

/// [`longest_chain_lifetime`] of the answers of `versions` alone.
fn chain_lifetime(
    scenario: &Scenario,
    resolver: Option<&Policy>,
    versions: std::ops::Range<usize>,
) -> Millis {
    let longest = |pools: &[Pool], upstream: Millis| -> Millis {
        if pools.is_empty() {
            return upstream;
        }
        pools
            .iter()
            .map(|p| p.policy.longest_lifetime(upstream))
            .max()
            .unwrap_or(upstream)
    };
    let record = &scenario.record;
    let at_resolver = resolver.map_or(record.longest_ttl_among(None, versions.clone()), |p| {
        p.longest_lifetime(record.longest_ttl_among(Some(p.ns), versions))
    });
    let at_router = longest(&scenario.routers, at_resolver);
    let at_os = longest(&scenario.oses, at_router);
    let at_app = longest(&scenario.apps, at_os);
    // An OS cache that reloads by itself (nscd) remembers its seeded state
    // until every reload an unused entry gets has run.
    let reloading = scenario
        .oses
        .iter()
        .map(|p| p.policy.memory(at_router))
        .max()
        .unwrap_or(0);
    at_resolver.max(at_router).max(at_os).max(at_app).max(reloading)
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use crate::duration::{MINUTE, SECOND};

    #[test]
    fn a_reloading_os_cache_is_remembered_for_every_reload() {
        let text = "[record]\nttl = \"5m\"\nold = [\"192.0.2.1\"]\nnew = [\"192.0.2.2\"]\n[population]\nhouseholds = 10\nrequests_per_day = 10\n[[resolver]]\nshare = 1.0\npolicy = \"honour\"\n[[os]]\nshare = 1.0\npolicy = \"nscd\"\n";
        let s = parse(text, "t.toml", &[]).unwrap();
        // An unused entry is reloaded 5 times before it goes: the warm-up
        // covers those 6 lifetimes of 5 min 15 s.
        let resolver = &s.resolvers[0].policy;
        assert_eq!(
            longest_chain_lifetime(&s, Some(resolver)),
            6 * (5 * MINUTE + 15 * SECOND)
        );
    }
}
