//! Real-world behaviours with expected values derived from the model, not
//! observed: serve-stale, prefetch, shards, keep-alive, failover, secondaries.

use crate::common::{bucket_mean, check_series, simulate, tolerance};
use cachesim::stats::Results;

const HEAD: &str = r#"
[simulation]
duration = "{duration}"
bucket = "{bucket}"
runs = {runs}
seed = 21
[record]
ttl = "{ttl}"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
"#;

fn head(duration: &str, bucket: &str, runs: u32, ttl: &str) -> String {
    HEAD.replace("{duration}", duration)
        .replace("{bucket}", bucket)
        .replace("{runs}", &runs.to_string())
        .replace("{ttl}", ttl)
}

/// Old requests per run, divided by `caches`, with its per-run values.
fn old_per_cache(r: &Results, caches: f64) -> (f64, Vec<f64>) {
    let per_run: Vec<f64> = r
        .run_old
        .iter()
        .map(|o| o.iter().sum::<u64>() as f64 / caches)
        .collect();
    (per_run.iter().sum::<f64>() / per_run.len() as f64, per_run)
}

/// RFC 8767 serve-stale on a cache honouring T under Poisson traffic at L:
/// the first request after each expiry gets the expired (old) entry while the
/// cache refreshes, so each cache gives exactly one old answer more than
/// without it: (LT/(1+LT))·(LT/2) old requests become that plus 1.
#[test]
fn serve_stale_adds_exactly_one_old_answer_per_cache() {
    let caches = 2000.0;
    let layers = |policy: &str| {
        format!(
            "{}\n[population]\nhouseholds = 2000\nrequests_per_day = 4320\n[[resolver]]\nshare = 1.0\ninstances = 2000\npolicy = {policy}\n",
            head("5m", "1m", 20, "60s")
        )
    };
    let lt: f64 = 0.05 * 60.0;
    let plain_expected = lt / (1.0 + lt) * lt / 2.0;
    let (plain, plain_runs) = old_per_cache(&simulate(&layers("{}")), caches);
    let (stale, stale_runs) = old_per_cache(
        &simulate(&layers(
            r#"{ serve_stale = { max_stale = "1d", reply_ttl = "30s" } }"#,
        )),
        caches,
    );
    eprintln!("old answers per cache: {plain:.4} plain (expected {plain_expected}), {stale:.4} with serve-stale (expected {})", plain_expected + 1.0);
    assert!(
        (plain - plain_expected).abs() <= tolerance(&plain_runs, 0.0),
        "plain {plain}"
    );
    assert!(
        (stale - (plain_expected + 1.0)).abs() <= tolerance(&stale_runs, 0.0),
        "serve-stale {stale}"
    );
}

/// Prefetch with fraction f renews a busy cache at (1 − f)·T, so its old
/// share falls as a cache with lifetime T' = (1 − f)·T: (T' − t)/(T' + 1/L).
#[test]
fn prefetch_shortens_a_busy_cache_to_its_prefetch_point() {
    let text = format!(
        "{}\n[population]\nhouseholds = 4000\nrequests_per_day = 86400\n[[resolver]]\nshare = 1.0\ninstances = 200\npolicy = {{ prefetch = 0.1 }}\n",
        head("110s", "10s", 10, "100s")
    );
    let r = simulate(&text);
    let (t_eff, rate) = (90.0, 20.0);
    check_series(
        &r,
        move |t: f64| (t_eff - t).max(0.0) / (t_eff + 1.0 / rate),
        0.0,
        "prefetch",
    );
    let last = r.last_old.iter().flatten().max().copied().unwrap_or(0) as f64 / 1000.0;
    assert!(
        last < 91.0,
        "last old request at {last} s: nothing old after the prefetch point (90 s) plus a request gap"
    );
}

/// A resolver address backed by k independent caches, each query to one at
/// random, is k caches at rate L/k: (T − t)/(T + k/L), hit ratio LT/(k + LT).
#[test]
fn sharded_resolver_is_k_independent_caches() {
    let text = format!(
        "{}\n[population]\nhouseholds = 2000\nrequests_per_day = 17280\n[[resolver]]\nshare = 1.0\ninstances = 500\npolicy = {{ shards = 4 }}\n",
        head("70s", "10s", 20, "60s")
    );
    let r = simulate(&text);
    // Four households per instance at 0.2/s: L = 0.8/s, so each shard sees 0.2/s.
    check_series(
        &r,
        |t: f64| (60.0 - t).max(0.0) / (60.0 + 4.0 / 0.8),
        0.0,
        "shards",
    );
    let hit = r.answered_at[cachesim::engine::Layer::Resolver];
    let expected = 0.8 * 60.0 / (4.0 + 0.8 * 60.0);
    assert!(
        (hit - expected).abs() < 0.01,
        "hit ratio {hit}, expected {expected}"
    );
}

/// Keep-alive whose idle timeout is longer than every gap keeps a device on
/// the address its connection was opened to until `max_age`: connections'
/// ages at the change are uniform over a cycle of M plus one request gap, so
/// the old share is (M − t)/(M + 1/l), and nothing is old after M plus a gap.
#[test]
fn keep_alive_holds_the_old_address_until_max_age() {
    let text = format!(
        r#"{}
[population]
households = 3000
requests_per_day = 1440          # one a minute
[[app]]
share = 1.0
policy = {{ none = true }}
connection = {{ idle_timeout = "1d", max_age = "30m" }}
"#,
        head("40m", "5m", 10, "60s")
    );
    let r = simulate(&text);
    check_series(
        &r,
        |t: f64| (1800.0 - t).max(0.0) / (1800.0 + 60.0),
        0.0,
        "keep-alive",
    );
    let via_connection: f64 = r
        .old_via
        .iter()
        .map(|v| v[cachesim::engine::Layer::Connection])
        .sum();
    let old: f64 = r.old_share.iter().map(|e| e.mean).sum();
    assert!(
        (via_connection - old).abs() < 1e-12,
        "every old request is the connection's doing"
    );
}

/// Four A records, one removed at the change: the removed address's share
/// decays to 0 by the longest lifetime in the chain (resolver 60 s, then an
/// app that keeps answers a fixed 60 s: 120 s), the others share the rest.
#[test]
fn failover_drains_the_removed_address_by_the_longest_lifetime() {
    let text = r#"
[simulation]
duration = "10m"
bucket = "30s"
runs = 8
seed = 22
[record]
ttl = "60s"
old = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
new = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
[population]
households = 4000
requests_per_day = 2880
[[resolver]]
share = 1.0
instances = 100
policy = "honour"
[[app]]
share = 1.0
policy = "firefox-legacy"
"#;
    let r = simulate(text);
    assert_eq!(r.addresses.len(), 4);
    let removed = r.addresses.iter().position(|a| a == "192.0.2.4").unwrap();
    assert!(
        r.address_share[0][removed] > 0.05,
        "right after the change the removed node still gets traffic"
    );
    for b in 0..r.time_s.len() {
        let share = r.address_share[b][removed];
        assert!(
            (share - r.old_share[b].mean).abs() < 1e-12,
            "old means the removed address"
        );
        if r.time_s[b] >= 120.0 {
            assert_eq!(
                share, 0.0,
                "at {} s the removed node still gets {share}",
                r.time_s[b]
            );
            for a in (0..4).filter(|&a| a != removed) {
                let s = r.address_share[b][a];
                assert!(
                    (s - 1.0 / 3.0).abs() < 0.02,
                    "address {a} gets {s} at {} s",
                    r.time_s[b]
                );
            }
        }
    }
}

/// Secondary authoritative servers without NOTIFY serve the old zone until
/// their next SOA refresh (phase uniform over the refresh interval R), and
/// every query goes to one of 1 + n servers at random: with no caches at all,
/// the old share is (n/(n+1))·(1 − t/R). With NOTIFY they follow within seconds.
#[test]
fn secondaries_without_notify_serve_the_old_zone_until_refresh() {
    let body = |notify: &str| {
        format!(
            "{}\n[population]\nhouseholds = 2000\nrequests_per_day = 1000\n[authoritative]\nsecondaries = 3\nrefresh = \"1h\"\nnotify = {notify}\n",
            head("70m", "10m", 200, "60s")
        )
    };
    let r = simulate(&body("false"));
    // Each run draws only 3 refresh phases, so runs differ a lot: 200 runs.
    check_series(
        &r,
        |t: f64| 0.75 * (1.0 - t / 3600.0).max(0.0),
        0.0,
        "secondaries without NOTIFY",
    );
    let r = simulate(&body("true"));
    check_series(
        &r,
        |t: f64| if t < 5.0 { 0.75 } else { 0.0 },
        0.0,
        "secondaries with NOTIFY (5 s delay)",
    );
}

/// An app that caches forever (the JVM under a security manager) is cured
/// only by restarts at rate r: it holds an answer a fraction l/(l + r) of the
/// time, and a restart-free stretch of t has probability e^(−rt), so the old
/// share is l/(l + r)·e^(−rt).
#[test]
fn restarts_cure_a_forever_cache_exponentially() {
    let text = format!(
        r#"{}
[population]
households = 3000
requests_per_day = 96            # l = 4 per hour
[[app]]
share = 1.0
policy = "java-security-manager"
restarts_per_day = 24            # r = 1 per hour
"#,
        head("4h", "20m", 10, "60s")
    );
    let r = simulate(&text);
    let (l, rate) = (4.0, 1.0);
    check_series(
        &r,
        move |t: f64| l / (l + rate) * (-rate * t / 3600.0).exp(),
        0.0,
        "restarts",
    );
}

/// A daily cycle multiplies every device's rate by 1 + a·cos(2π(h − peak)/24).
#[test]
fn daily_cycle_shapes_the_request_rate() {
    let text = format!(
        r#"{}
[population]
households = 2000
requests_per_day = 240
daily_cycle = {{ amplitude = 0.6, peak_hour = 20, change_hour = 14 }}
"#,
        head("24h", "1h", 6, "60s")
    );
    let r = simulate(&text);
    let cycle = cachesim::population::DailyCycle {
        amplitude: 0.6,
        peak_hour: 20.0,
        change_hour: 14.0,
    };
    for b in 0..r.time_s.len() {
        let want = 2000.0 * 10.0 * bucket_mean(|t| cycle.factor(t * 1000.0), r.time_s[b], 3600.0);
        let got = r.requests[b];
        // Poisson counts: sd √want per run, 6 runs; 4 standard errors.
        let tol = 4.0 * (want / 6.0).sqrt();
        assert!(
            (got - want).abs() <= tol,
            "hour {b}: {got} requests, expected {want:.0} ± {tol:.0}"
        );
    }
}

/// Early eviction with mean lifetime m on a cache honouring T under Poisson
/// traffic at L: an entry lives H = min(T, Exp(m)), so the old share is
/// E[(H − t)+]/(E[H] + 1/L) = m(e^(−t/m) − e^(−T/m)) / (m(1 − e^(−T/m)) + 1/L).
#[test]
fn eviction_shortens_entries_as_derived() {
    let text = format!(
        "{}\n[population]\nhouseholds = 2000\nrequests_per_day = 4320\n[[resolver]]\nshare = 1.0\ninstances = 2000\npolicy = {{ evict_after = \"30s\" }}\n",
        head("80s", "10s", 20, "60s")
    );
    let r = simulate(&text);
    let (ttl, mean, rate) = (60.0f64, 30.0f64, 0.05);
    let held = mean * (1.0 - (-ttl / mean).exp()) + 1.0 / rate;
    check_series(
        &r,
        move |t: f64| {
            if t >= ttl {
                0.0
            } else {
                mean * ((-t / mean).exp() - (-ttl / mean).exp()) / held
            }
        },
        0.0,
        "eviction",
    );
}

/// A TTL of 1 d lowered to 60 s only 2 h before the switch: caches that
/// fetched before the step still hold day-long answers, expiring uniformly
/// over the day after their fetch, so after the first minute the old share is
/// about max(0, 1 − (t + 2 h)/24 h): lowering the TTL too late buys little.
#[test]
fn lowering_the_ttl_too_late_leaves_day_long_answers() {
    let text = r#"
[simulation]
duration = "24h"
bucket = "2h"
runs = 6
seed = 23
[record]
ttl = "1d"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
schedule = [ { at = "-2h", ttl = "60s" } ]
[population]
households = 2000
requests_per_day = 2000
[[resolver]]
share = 1.0
instances = 1000
policy = "honour"
"#;
    let r = simulate(text);
    let day = 86_400.0;
    // Busy caches: a request arrives within about 20 s of any expiry; the
    // first minute (60 s TTL answers) weighs 60/7200 of the first bucket.
    let bias = 60.0 / 7200.0;
    check_series(
        &r,
        move |t: f64| (1.0 - (t + 7200.0) / day).max(0.0),
        bias,
        "TTL lowered 2 h before",
    );
}

/// Resolvers that rotate the answer round robin, with clients taking the
/// first address, spread each resolver's clients exactly evenly: per bucket,
/// each address gets N/k requests give or take one per resolver cache, far
/// tighter than random picks (whose spread is about √N).
#[test]
fn rotating_resolvers_balance_exactly() {
    let text = r#"
[simulation]
duration = "10m"
bucket = "2m"
runs = 1
seed = 24
[record]
ttl = "60s"
old = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
new = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
pick = "rotate"
[population]
households = 1000
requests_per_day = 100000
[[resolver]]
share = 1.0
instances = 10
policy = "honour"
"#;
    let r = simulate(text);
    let removed = r.addresses.iter().position(|a| a == "192.0.2.4").unwrap();
    for b in 1..r.time_s.len() {
        let n = r.requests[b];
        for a in (0..4).filter(|&a| a != removed) {
            let count = r.address_share[b][a] * n;
            assert!(
                (count - n / 3.0).abs() <= 10.0 + 1e-6,
                "bucket {b}: address {a} got {count} of {n}"
            );
        }
    }
    // Random picks on the same scenario are not that even.
    let random = simulate(&text.replace("pick = \"rotate\"", "pick = \"random\""));
    let n = random.requests[2];
    let spread = (0..4)
        .filter(|&a| a != removed)
        .map(|a| (random.address_share[2][a] * n - n / 3.0).abs())
        .fold(0.0, f64::max);
    assert!(spread > 10.0, "random picks spread {spread}");
}

/// A tail heavier than any real traffic (Pareto shape 0.02 draws rates up
/// to 10^80 a day) runs: each device's rate is held at the documented
/// maximum, so no count overflows and bulk counts stay within their law.
#[test]
fn absurdly_heavy_tails_are_held_at_the_maximum_rate() {
    let text = head("1h", "10m", 2, "5m")
        + r#"
[population]
households = 1000
requests_per_day = { pareto = { scale = 1, shape = 0.02 } }
[[app]]
share = 1.0
policy = "ie"
"#;
    let r = simulate(&text);
    let per_device_day = r.requests_total as f64 / r.runs as f64 / r.devices_mean * 24.0;
    let max = cachesim::population::MAX_REQUESTS_PER_DAY;
    assert!(
        per_device_day > max / 100.0,
        "the heavy tail shows: {per_device_day:e}"
    );
    assert!(
        per_device_day <= max * 1.001,
        "held at {max:e}: {per_device_day:e}"
    );
}
