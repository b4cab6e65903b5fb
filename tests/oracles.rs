//! The oracles: cases where mathematics knows the answer.
//! Tolerances come from the spread between runs, not from hand-picked numbers.

use crate::common::{check_series, simulate};
use cachesim::engine::Layer;

fn ttl_cache_share(ttl: f64, rate: f64) -> impl Fn(f64) -> f64 {
    move |t: f64| (ttl - t).max(0.0) / (ttl + 1.0 / rate)
}

/// Oracle 1: one shared cache honouring T = 60 s under Poisson traffic at
/// L = 0.05/s: S(t) = max(0, T − t)/(T + 1/L) and hit ratio L·T/(1 + L·T) = 0.75.
/// 2000 independent caches per run (one per resolver instance).
#[test]
fn oracle_1_single_shared_cache() {
    let r = simulate(
        r#"
[simulation]
duration = "80s"
bucket = "10s"
runs = 20
seed = 11
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 2000
requests_per_day = 4320        # 0.05 per second
[[resolver]]
share = 1.0
instances = 2000
policy = {}
"#,
    );
    check_series(&r, ttl_cache_share(60.0, 0.05), 0.0, "oracle 1");
    let hit = r.answered_at[Layer::Resolver];
    assert!(
        (hit - 0.75).abs() < 0.01,
        "hit ratio {hit}, expected 0.75 (0.95 would mean hits restart the timer)"
    );
}

/// Oracle 2: a fixed-lifetime app cache A = 60 s per device at l = 0.05/s,
/// nothing cached above: old share max(0, A − t)/(A + 1/l).
#[test]
fn oracle_2_fixed_app_cache() {
    let r = simulate(
        r#"
[simulation]
duration = "80s"
bucket = "10s"
runs = 20
seed = 12
[record]
ttl = "5m"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 2000
requests_per_day = 4320
[[app]]
share = 1.0
policy = { fixed_ttl = "60s" }
"#,
    );
    check_series(&r, ttl_cache_share(60.0, 0.05), 0.0, "oracle 2");
}

/// Oracle 3: OS caches that count the remaining TTL down add no staleness:
/// behind a resolver honouring T = 60 s, ten devices at 0.005/s each give the
/// old share of one cache at L = 0.05/s.
#[test]
fn oracle_3_countdown_caches_add_nothing() {
    let r = simulate(
        r#"
[simulation]
duration = "80s"
bucket = "10s"
runs = 20
seed = 13
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 10000
requests_per_day = 432          # 0.005 per second, ten households per resolver
[[resolver]]
share = 1.0
instances = 1000
policy = {}
[[os]]
share = 1.0
policy = {}
"#,
    );
    check_series(&r, ttl_cache_share(60.0, 0.05), 0.0, "oracle 3");
}

/// Oracle 3 again at the shortest warm-up cachesim accepts (twice the
/// longest lifetime, 2 min): the start is as exact as with a long one.
#[test]
fn oracle_3_holds_at_the_shortest_warmup_accepted() {
    let r = simulate(
        r#"
[simulation]
duration = "80s"
warmup = "2m"
bucket = "10s"
runs = 20
seed = 15
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 10000
requests_per_day = 432
[[resolver]]
share = 1.0
instances = 1000
policy = {}
[[os]]
share = 1.0
policy = {}
"#,
    );
    check_series(
        &r,
        ttl_cache_share(60.0, 0.05),
        0.0,
        "oracle 3 at the shortest warm-up",
    );
}

/// Oracle 3 with busy resolvers (L·T = 60) at the shortest warm-up: OS
/// caches seeded apart from their resolver would outlive its entry, delay
/// its renewal and leave every run's resolver late by the same few seconds
/// (2.5 % too many old requests in the first minute, for hours of warm-up).
#[test]
fn oracle_3_busy_resolvers_start_consistent_with_their_os_caches() {
    let r = simulate(
        r#"
[simulation]
duration = "6m"
warmup = "10m"
bucket = "1m"
runs = 20
seed = 16
[record]
ttl = "300s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 20000
requests_per_day = 864          # 0.01 per second, twenty households per resolver
[[resolver]]
share = 1.0
instances = 1000
policy = "honour"
[[os]]
share = 1.0
policy = "honour"
"#,
    );
    check_series(&r, ttl_cache_share(300.0, 0.2), 0.0, "oracle 3, busy resolvers");
}

/// Oracle 4: a busy resolver that restamps (hands the full lifetime T) over
/// busy OS caches: S(t) = 1 − t²/(2T²) up to T, (2T − t)²/(2T²) up to 2T.
/// "Busy" is approximate: an OS refreshes 1/l after its expiry on average and
/// the resolver 1/L after its own (L: the OS misses it sees, N/T for N caches
/// below it); those delays shift the curve, whose slope is at most 1/T, by at
/// most (1/l + 1/L)/T: that is the oracle's own bias.
#[test]
fn oracle_4_restamping_resolver_doubles_staleness() {
    let ttl = 60.0;
    let device_rate = 5.0;
    let r = simulate(
        r#"
[simulation]
duration = "130s"
warmup = "3m"
bucket = "10s"
runs = 30
seed = 14
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 6000
requests_per_day = 432000       # 5 per second
[[resolver]]
share = 1.0
instances = 15                  # 400 OS caches below each
policy = { restamp = true }
[[os]]
share = 1.0
policy = {}
"#,
    );
    let expected = move |t: f64| {
        if t <= ttl {
            1.0 - t * t / (2.0 * ttl * ttl)
        } else if t <= 2.0 * ttl {
            (2.0 * ttl - t).powi(2) / (2.0 * ttl * ttl)
        } else {
            0.0
        }
    };
    let resolver_rate = 400.0 / ttl;
    let bias = (1.0 / device_rate + 1.0 / resolver_rate) / ttl;
    check_series(&r, expected, bias, "oracle 4");
}

/// Oracle 5: a pool pinning answers 24 h with share s = 0.05, the rest
/// honouring a 60 s TTL, at high load: after the short TTL the old share is
/// about s·(1 − t/24h), and 0 after 24 h plus downstream lifetimes.
#[test]
fn oracle_5_pinning_pool_drains_linearly() {
    let r = simulate(
        r#"
[simulation]
duration = "26h"
bucket = "1h"
runs = 8
seed = 15
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 20000
requests_per_day = 2000
[[resolver]]
name = "honours"
share = 0.95
instances = 95
policy = {}
[[resolver]]
name = "pins"
share = 0.05
instances = 100
policy = { fixed_ttl = "24h" }
"#,
    );
    let day = 86_400.0;
    // Ten households per pinning cache at 2000 requests a day: the cache
    // refills within about 1/(10·2000/day) = 4.3 s of expiry, a bias of
    // s·4.3/86400 in share; negligible next to the sampling error.
    // The honouring caches (200 households each, 4.6 requests/s) add oracle
    // 1's share in the first minute.
    let honouring = ttl_cache_share(60.0, 200.0 * 2000.0 / day);
    let expected = move |t: f64| 0.05 * (1.0 - t / day).max(0.0) + 0.95 * honouring(t);
    let worst = check_series(&r, expected, 0.0, "oracle 5");
    assert!(worst < 0.005, "largest error {worst}");
    let last = r.old_share.last().unwrap().mean;
    assert_eq!(last, 0.0, "nothing is old after 24 h plus the 60 s TTL");
}

/// Oracle 6: an OS cache that reloads by itself (nscd), straight under the
/// authoritative, T = 20 s, pruning every I = 15 s at a phase of its own.
/// A device asking twice a second keeps its entry in use, so every prune
/// after expiry reloads it: a reload at a prune expires T later and is
/// fetched again at the first prune strictly after, so answers change every
/// C = 15 s × (⌊20/15⌋ + 1) = 30 s and the old share is max(0, C − t)/C.
/// (Keeping answers 15 s past the TTL without reloading would give 35 s.)
#[test]
fn oracle_6_reloading_os_cache_refreshes_on_its_prunes() {
    let r = simulate(
        r#"
[simulation]
duration = "40s"
bucket = "5s"
runs = 20
seed = 16
[record]
ttl = "20s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 1000
requests_per_day = 172800      # 2 per second
[[os]]
share = 1.0
policy = { reload = { within = "15s", count = 5 } }
"#,
    );
    check_series(&r, |t: f64| (30.0 - t).max(0.0) / 30.0, 0.0, "oracle 6");
}

/// Oracle 7: the same cache with `count = 0` never reloads: an entry
/// fetched by a request answers until the first prune after its TTL, a
/// holding time H = T + D with D uniform on (0, I], then waits for the next
/// request (rate l = 1/60 s). By renewal-reward the old share is
/// E[(H − t)⁺] / (E[H] + 1/l): (27.5 − t)/87.5 up to T, then
/// (T + I − t)² / (2 I) / 87.5.
#[test]
fn oracle_7_an_unreloaded_entry_answers_until_its_prune() {
    let r = simulate(
        r#"
[simulation]
duration = "40s"
bucket = "5s"
runs = 20
seed = 17
[record]
ttl = "20s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 4000
requests_per_day = 1440        # one a minute
[[os]]
share = 1.0
policy = { reload = { within = "15s", count = 0 } }
"#,
    );
    let (ttl, within, cycle) = (20.0, 15.0, 27.5 + 60.0);
    let share = move |t: f64| {
        let held = if t <= ttl {
            27.5 - t
        } else {
            (ttl + within - t).max(0.0).powi(2) / (2.0 * within)
        };
        held / cycle
    };
    check_series(&r, share, 0.0, "oracle 7");
}
