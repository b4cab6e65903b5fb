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
    let at_resolver = resolver.map_or(scenario.record.longest_ttl(), |p| {
        p.longest_lifetime(scenario.record.longest_ttl())
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
    // A connection without a maximum age lives as long as its device stays
    // busy (or carries its maximum requests, which the seeding draws in
    // their stationary law); its idle timeout is the part a warm-up can cover.
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
    at_resolver
        .max(at_router)
        .max(at_os)
        .max(at_app)
        .max(connection)
        .max(reloading)
}

/// The latest an old answer can still reach a user after the change, whatever
/// the number of caches and however unlucky their phases: an upper bound on
/// the last old request. `Err` names what leaves it unbounded (a keep-alive
/// connection with no maximum age stays open as long as its client is busy).
///
/// Followed down the chain, a layer's copies live at most until its
/// upstream's could (count-down caches), or that plus a fixed or minimum
/// lifetime; serve-stale adds its stale window, and what a cache hands down
/// past its own expiry (a restamped lifetime, a stale reply's TTL) lets the
/// next layer's copies live that much longer. Each layer takes its longest
/// pool.
pub fn longest_old_answer(scenario: &Scenario) -> Result<Millis, String> {
    longest_old_answer_behind(scenario, &scenario.resolvers)
}

/// [`longest_old_answer`] for the devices behind the resolver pools
/// `resolvers` (all of them, or one partition's).
pub fn longest_old_answer_behind(scenario: &Scenario, resolvers: &[Pool]) -> Result<Millis, String> {
    let record = &scenario.record;
    let auth = &scenario.authoritative;
    // Secondaries serve the old zone until NOTIFY or their next refresh.
    let lag = match (auth.secondaries, auth.notify_delay) {
        (0, _) => 0,
        (_, Some(delay)) => delay,
        (_, None) => auth.refresh,
    };
    let ttl = record.longest_ttl();
    // (until when a copy can answer, how far past that what it hands down
    // can live, the longest TTL it hands down)
    // Counted from the last switch of addresses: answers from before it are
    // the ones that can be old.
    let mut reach = (
        record.last_switch().saturating_add(lag).saturating_add(ttl),
        0,
        ttl,
    );
    for pools in [resolvers, &scenario.routers, &scenario.oses, &scenario.apps] {
        if pools.is_empty() {
            continue;
        }
        reach = pools
            .iter()
            .map(|p| layer_reach(&p.policy, reach))
            .fold((Millis::MIN, 0, 0), |a, b| {
                (a.0.max(b.0), a.1.max(b.1), a.2.max(b.2))
            });
    }
    let (until, handed_past, _) = reach;
    let mut latest = until.saturating_add(handed_past);
    for app in &scenario.apps {
        if let Some(c) = app.connection {
            let Some(life) = c.longest_life() else {
                let (entry, key) = if scenario.profiles {
                    ("device profile", "device.N.connection.max_age")
                } else {
                    ("app", "app.N.connection.max_age")
                };
                return Err(format!(
                    "{entry} `{}` keeps connections open with no maximum age ({key}), and no server \
                     limit closes them ([server] max_age or max_requests)",
                    app.name
                ));
            };
            latest = latest.max(until.saturating_add(handed_past).saturating_add(life));
        }
    }
    Ok(latest.min(FOREVER))
}

/// [`longest_old_answer`]'s step through one cache: from its upstream's
/// (until, handed past, longest TTL handed) to its own.
fn layer_reach(policy: &Policy, (until, past, ttl): (Millis, Millis, Millis)) -> (Millis, Millis, Millis) {
    if !policy.caches {
        return (until, past, ttl);
    }
    let longest = policy.longest_lifetime(ttl);
    // A stretching cache (macOS: 1.25 × TTL + 2 s) keeps even a count-down
    // copy past its upstream, by its stretch of the longest TTL it is handed.
    let bounds = policy.bounds();
    let kept_past = match policy.fixed_ttl {
        Some(fixed) => fixed,
        None => {
            past.max(policy.min_ttl)
                + ((ttl.saturating_add(past).min(1 << 50) * bounds.stretch) >> 10)
                + bounds.add
        }
    };
    // A reloading cache (nscd) answers until its next prune after expiry,
    // and a reload then can fetch an answer its upstream still holds.
    let pruned = policy.reload.map_or(0, |r| r.within);
    let mut reach = until.saturating_add(kept_past).saturating_add(pruned);
    let mut hands_past = if policy.restamp { longest } else { 0 };
    if let Some(stale) = policy.serve_stale {
        reach = reach.saturating_add(stale.max_stale);
        hands_past = hands_past.max(stale.reply_ttl);
    }
    (reach.min(FOREVER), hands_past, longest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::{HOUR, MINUTE, SECOND};
    use crate::scenario::parse;

    fn scenario(body: &str) -> Scenario {
        let text = format!(
            "[record]\nttl = \"5m\"\nold = [\"192.0.2.1\"]\nnew = [\"192.0.2.2\"]\n[population]\nhouseholds = 10\nrequests_per_day = 10\n{body}"
        );
        parse(&text, "t.toml", &[]).unwrap()
    }

    #[test]
    fn count_down_caches_add_nothing_and_pins_add_their_lifetime() {
        let honour =
            "[[resolver]]\nshare = 1.0\npolicy = \"honour\"\n[[os]]\nshare = 1.0\npolicy = \"honour\"\n";
        assert_eq!(longest_old_answer(&scenario(honour)), Ok(5 * MINUTE));
        let pinned = "[[resolver]]\nshare = 1.0\npolicy = { fixed_ttl = \"24h\" }\n[[os]]\nshare = 1.0\npolicy = \"honour\"\n[[app]]\nshare = 1.0\npolicy = { fixed_ttl = \"60s\" }\n";
        assert_eq!(
            longest_old_answer(&scenario(pinned)),
            Ok(5 * MINUTE + 24 * HOUR + 60 * SECOND)
        );
        let restamp = "[[resolver]]\nshare = 1.0\npolicy = { restamp = true }\n[[os]]\nshare = 1.0\npolicy = \"honour\"\n";
        assert_eq!(longest_old_answer(&scenario(restamp)), Ok(10 * MINUTE));
    }

    #[test]
    fn a_reloading_os_cache_adds_its_prune_and_its_memory() {
        let nscd = "[[resolver]]\nshare = 1.0\npolicy = \"honour\"\n[[os]]\nshare = 1.0\npolicy = \"nscd\"\n";
        let s = scenario(nscd);
        // The last reload can fetch the resolver's old answer just before
        // it expires, and answers until the next prune, 15 s later at most.
        assert_eq!(longest_old_answer(&s), Ok(5 * MINUTE + 15 * SECOND));
        // An unused entry is reloaded 5 times before it goes: the warm-up
        // covers those 6 lifetimes of 5 min 15 s.
        let resolver = &s.resolvers[0].policy;
        assert_eq!(
            longest_chain_lifetime(&s, Some(resolver)),
            6 * (5 * MINUTE + 15 * SECOND)
        );
    }

    #[test]
    fn a_connection_without_a_maximum_age_has_no_bound() {
        let open = "[[app]]\nname = \"browser\"\nshare = 1.0\npolicy = \"none\"\nconnection = { idle_timeout = \"115s\" }\n";
        let reason = longest_old_answer(&scenario(open)).unwrap_err();
        assert!(
            reason.contains("`browser`") && reason.contains("max_age"),
            "{reason}"
        );
        let capped = open.replace("115s\" }", "115s\", max_age = \"1h\" }");
        assert_eq!(longest_old_answer(&scenario(&capped)), Ok(5 * MINUTE + HOUR));
    }
}
