//! How long before the change a partition starts. Caches and keep-alive
//! connections start in their stationary state for the answer the record
//! gives before its first step, so a warm-up has to begin by that step
//! and let nested caches agree with one another by the change: cover twice
//! the longest lifetime any answer can have in the partition's chain. Steps
//! in between need no more: every seeded entry expires within that lifetime,
//! and from then on the caches hold what the record's timeline handed them.
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
/// begins, before the record's first step (so with the answer the record
/// gave then, which it had given since the dawn of time), and twice the
/// longest time an answer is kept lets nested caches agree with one another
/// by the change (a copy carries its upstream's remaining TTL, which
/// independent seeds cannot know). 0 when nothing keeps answers.
pub fn shortest_exact(scenario: &Scenario) -> Millis {
    let chain = if scenario.resolvers.is_empty() {
        longest_chain_lifetime(scenario, None)
    } else {
        scenario
            .resolvers
            .iter()
            .map(|r| longest_chain_lifetime(scenario, Some(&r.policy)))
            .max()
            .unwrap_or(0)
    };
    let settle = settle(chain, 0);
    if settle <= 0 {
        return 0;
    }
    settle.max(before_first_step(scenario))
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
        let chain = longest_chain_lifetime(scenario, resolver);
        settle(chain, longest_connection_life(scenario))
            .max(WARMUP_MIN)
            .max(before_first_step(scenario))
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
    let at_resolver = resolver.map_or(record.longest_ttl_for(None), |p| {
        p.longest_lifetime(record.longest_ttl_for(Some(p.ns)))
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
