//! How long before the change a partition starts. Caches start in their
//! stationary state, so a warm-up only has to let nested caches agree with
//! one another; the automatic one covers twice the longest lifetime any
//! answer can have in the partition's chain.

use crate::duration::{Millis, DAY, FOREVER, MINUTE};
use crate::policy::Policy;
use crate::scenario::{Pool, Scenario};

/// Warm-ups chosen automatically settle at least this long…
pub const WARMUP_MIN: Millis = 10 * MINUTE;
/// …and cover lifetimes up to this long. Longer ones ("forever") are capped:
/// caches start in their stationary state, so the warm-up only has to let
/// nested caches agree, and a day covers every real-world TTL cap.
pub const WARMUP_CAP: Millis = DAY;

/// The shortest warm-up for which the run starts exactly, whatever the
/// partition: every cache is seeded in its stationary state when the warm-up
/// begins, before the record's first change (so with the answer the record
/// gave then), and twice the longest time an answer is kept lets nested
/// caches agree with one another (a copy carries its upstream's remaining
/// TTL, which independent seeds cannot know). 0 when nothing keeps answers.
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
    if chain <= 0 {
        return 0;
    }
    chain.min(WARMUP_CAP).saturating_mul(2) - scenario.record.earliest_step()
}

/// The warm-up of a partition under `resolver` (`None`: no resolver cache):
/// the scenario's own, or twice the chain's longest lifetime (within
/// [`WARMUP_MIN`] and twice [`WARMUP_CAP`]) before the record's first step.
pub fn warmup(scenario: &Scenario, resolver: Option<&Policy>) -> Millis {
    scenario.warmup.unwrap_or_else(|| {
        let settle = longest_chain_lifetime(scenario, resolver)
            .min(WARMUP_CAP)
            .saturating_mul(2)
            .max(WARMUP_MIN);
        settle - scenario.record.earliest_step()
    })
}

/// The longest any cache can hold an answer in a chain under `resolver`
/// (`None`: no resolver cache), given the record: how long a warm-up must be
/// for every cache below to reach its steady state.
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
    let at_resolver = resolver.map_or(scenario.record.longest_ttl(), |p| {
        p.longest_lifetime(scenario.record.longest_ttl())
    });
    let at_router = longest(&scenario.routers, at_resolver);
    let at_os = longest(&scenario.oses, at_router);
    let at_app = longest(&scenario.apps, at_os);
    // A connection without a maximum age lives as long as its device stays
    // busy; its idle timeout is the part a warm-up can cover.
    let connection = scenario
        .apps
        .iter()
        .filter_map(|a| a.connection)
        .map(|c| {
            if c.max_age >= FOREVER {
                c.idle_timeout
            } else {
                c.max_age
            }
        })
        .max()
        .unwrap_or(0);
    at_resolver.max(at_router).max(at_os).max(at_app).max(connection)
}
