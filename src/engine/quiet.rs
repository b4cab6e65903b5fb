//! When a partition goes quiet. Once no old answer can reach any of its
//! devices (the latest-old-answer bound of its chain, counted from the last
//! switch of addresses), every request reaches a new address through
//! whichever cache: what is left to count is how many requests arrive in
//! each bucket and from how many devices, which the arrival streams alone
//! decide. Earlier still, once nothing above a device can hand it an old
//! answer, only devices holding one themselves can reach an old address:
//! the engine walks every request until then, then only those devices
//! (`partition/tails.rs`), and counts the rest in bulk
//! (`partition/quiet.rs`).
//!
//! Which layer answers is known only for requests walked in time order, so
//! the hit ratios (`answered_at`) cover a window every partition walks: the
//! change to the end of the bucket in which the first partition stops
//! walking every request.

use super::bound::{latest_old_answer, latest_old_upstream};
use crate::duration::{Millis, SECOND};
use crate::scenario::Scenario;

/// Added to the bound before counting in bulk: the bound is reasoned in
/// whole milliseconds, requests arrive in between.
const MARGIN: Millis = SECOND;

/// From when (ms after the change) no request behind resolver pool
/// `resolver` (`None`: no resolver caches) can reach an old address, if that
/// is within the horizon: from then on no device is walked alone. `None`
/// where nothing bounds it within the horizon (a keep-alive connection with
/// no bound on its life, a cache keeping answers forever) or addresses are
/// counted one request at a time (an answer with several addresses:
/// `addresses.csv`).
pub fn quiet_from(scenario: &Scenario, resolver: Option<usize>) -> Option<Millis> {
    if scenario.record.load_balanced() {
        return None;
    }
    let pools: Vec<usize> = resolver.into_iter().collect();
    let latest = latest_old_answer(scenario, &pools).ok()?;
    let quiet = latest.saturating_add(MARGIN);
    (quiet < scenario.duration).then_some(quiet)
}

/// From when (ms after the change) no request behind resolver pool
/// `resolver` that its device's own caches and keep-alive connection cannot
/// answer reaches an old address, if that is within the horizon: from then
/// on only devices still holding an old answer themselves are walked (see
/// `partition/tails.rs`), and the rest counted by bucket. `None` where the
/// engine walks every request to the horizon: a resolver or router that
/// keeps answers forever, or addresses counted one request at a time.
pub fn upstream_quiet_from(scenario: &Scenario, resolver: Option<usize>) -> Option<Millis> {
    if scenario.record.load_balanced() {
        return None;
    }
    let pools: Vec<usize> = resolver.into_iter().collect();
    let latest = latest_old_upstream(scenario, &pools).ok()?;
    let quiet = latest.saturating_add(MARGIN);
    (quiet < scenario.duration).then_some(quiet)
}

/// How long after the change every partition walks every request (the
/// horizon when one never stops), rounded up to a whole bucket: the window
/// the hit ratios (`answered_at`) are counted in. A partition walks every
/// request until no request that leaves a device can come back old.
pub fn answered_window(scenario: &Scenario) -> Millis {
    let pools: Vec<Option<usize>> = if scenario.resolvers.is_empty() {
        vec![None]
    } else {
        (0..scenario.resolvers.len()).map(Some).collect()
    };
    let first_quiet = pools
        .into_iter()
        .map(|p| upstream_quiet_from(scenario, p).unwrap_or(scenario.duration))
        .min()
        .unwrap_or(scenario.duration);
    let bucket = scenario.bucket;
    let buckets = (first_quiet + bucket - 1) / bucket;
    buckets.saturating_mul(bucket).min(scenario.duration)
}

/// The expected requests over `[from, to)` (ms after the change) of a
/// device making one per ms: the span, or the daily cycle's factor
/// integrated over it.
pub(super) fn exposure(scenario: &Scenario, from: f64, to: f64) -> f64 {
    scenario
        .population
        .daily_cycle
        .map_or(to - from, |c| c.integral(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::{HOUR, MINUTE};
    use crate::scenario::parse;

    fn scenario(record_extra: &str, body: &str) -> Scenario {
        let text = format!(
            "[simulation]\nduration = \"6h\"\nbucket = \"10m\"\n[record]\nttl = \"5m\"\nold = [\"192.0.2.1\"]\nnew = [\"192.0.2.2\"]\n{record_extra}\n[population]\nhouseholds = 10\nrequests_per_day = 10\n{body}"
        );
        parse(&text, "t.toml", &[]).unwrap()
    }

    const TWO_POOLS: &str = "[[resolver]]\nshare = 0.5\npolicy = \"honour\"\n[[resolver]]\nshare = 0.5\npolicy = { min_ttl = \"1h\" }\n";

    #[test]
    fn each_resolver_pool_goes_quiet_after_its_own_bound() {
        let s = scenario("", TWO_POOLS);
        assert_eq!(quiet_from(&s, Some(0)), Some(5 * MINUTE + MARGIN));
        // A 1 h floor keeps an answer fetched just before the change 1 h.
        assert_eq!(quiet_from(&s, Some(1)), Some(HOUR + MARGIN));
        // The hit ratios' window ends with the bucket the first goes quiet in.
        assert_eq!(answered_window(&s), 10 * MINUTE);
    }

    #[test]
    fn a_later_switch_of_addresses_delays_quiet() {
        let s = scenario(
            "schedule = [{ at = \"2h\", addresses = [\"192.0.2.3\"] }]",
            TWO_POOLS,
        );
        assert_eq!(quiet_from(&s, Some(0)), Some(2 * HOUR + 5 * MINUTE + MARGIN));
        // A step that changes only the TTL switches no address.
        let ttl_only = scenario("schedule = [{ at = \"2h\", ttl = \"1m\" }]", TWO_POOLS);
        assert_eq!(quiet_from(&ttl_only, Some(0)), Some(5 * MINUTE + MARGIN));
    }

    #[test]
    fn no_quiet_past_the_horizon_with_several_addresses_or_unbounded_connections() {
        let pinned = scenario(
            "",
            "[[resolver]]\nshare = 1.0\npolicy = { fixed_ttl = \"24h\" }\n",
        );
        assert_eq!(quiet_from(&pinned, Some(0)), None);
        assert_eq!(answered_window(&pinned), 6 * HOUR);
        let balanced = scenario("", TWO_POOLS).record.clone();
        let mut s = scenario("", TWO_POOLS);
        s.record = crate::scenario::Record {
            versions: balanced
                .versions
                .iter()
                .map(|v| crate::scenario::Version {
                    addresses: v.addresses | 0b100,
                    ..*v
                })
                .collect(),
            addresses: vec!["192.0.2.1".into(), "192.0.2.2".into(), "192.0.2.9".into()],
            ..balanced
        };
        assert_eq!(quiet_from(&s, Some(0)), None);
        let open = scenario(
            "",
            "[[app]]\nshare = 1.0\npolicy = \"none\"\nconnection = { idle_timeout = \"115s\" }\n",
        );
        assert_eq!(quiet_from(&open, None), None);
    }

    #[test]
    fn requests_leaving_a_device_come_back_new_before_its_own_state_lets_go() {
        // A connection with no maximum age leaves the chain without a bound,
        // but above the device only the record's TTL counts.
        let open = scenario(
            "",
            "[[app]]\nshare = 1.0\npolicy = { fixed_ttl = \"forever\" }\nconnection = { idle_timeout = \"115s\" }\n",
        );
        assert_eq!(quiet_from(&open, None), None);
        assert_eq!(upstream_quiet_from(&open, None), Some(MARGIN));
        // A 1 h floor at the resolver holds answers up there for an hour…
        let s = scenario("", TWO_POOLS);
        assert_eq!(upstream_quiet_from(&s, Some(1)), Some(HOUR + MARGIN));
        // …and a resolver pinning for a day, past the horizon, walks to it.
        let pinned = scenario(
            "",
            "[[resolver]]\nshare = 1.0\npolicy = { fixed_ttl = \"24h\" }\n",
        );
        assert_eq!(upstream_quiet_from(&pinned, Some(0)), None);
        // The hit ratios' window ends in the bucket the first chain stops
        // handing old answers to devices.
        assert_eq!(answered_window(&open), 10 * MINUTE);
    }
}
