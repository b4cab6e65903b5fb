//! The engine's shortcuts are exact: busy devices serving their private hits
//! ahead on their own streams (the default) give results with the same
//! distribution as the straightforward path, where every request is drawn
//! from one shared stream in time order. Compared run by run: every mean
//! must agree within the two samples' standard errors. So do requests
//! counted in bulk once a partition is quiet (no old answer can reach it)
//! and requests walked one by one to the horizon. The walk spelt out for
//! plain caches gives the very same counts as the general walk.

use crate::common::{run_tallies, run_tallies_with};
use cachesim::engine::{tally, Layer, Shortcuts, Tally};

/// Busy and quiet devices side by side: keep-alive connections, fixed app
/// caches with restarts, OS caches, routers, a prefetching resolver, a
/// daily cycle and two addresses per version picked at random.
fn scenario(idle_timeout: &str) -> String {
    scenario_with(
        idle_timeout,
        "daily_cycle = { amplitude = 0.5, peak_hour = 20, change_hour = 14 }",
        "random",
    )
}

/// The same population with `traffic_extra` in `[population]` and the
/// record's addresses picked as `pick` says.
fn scenario_with(idle_timeout: &str, traffic_extra: &str, pick: &str) -> String {
    format!(
        r#"
[simulation]
duration = "30m"
warmup = "30m"
bucket = "3m"
runs = 64
seed = 21
[record]
ttl = "60s"
old = ["203.0.113.10", "203.0.113.11"]
new = ["198.51.100.20", "198.51.100.21"]
pick = "{pick}"
[population]
households = 3000
devices_per_household = 2
requests_per_day = {{ lognormal = {{ median = 400, sigma = 1.2 }} }}
{traffic_extra}
[[resolver]]
share = 1.0
instances = 3
policy = "unbound-prefetch"
[[router]]
share = 0.5
policy = "dnsmasq"
[[router]]
share = 0.5
policy = "none"
[[os]]
share = 0.6
policy = "windows"
[[os]]
share = 0.4
policy = "none"
[[app]]
share = 0.5
policy = "chrome"
restarts_per_day = 48
connection = {{ idle_timeout = "{idle_timeout}", max_age = "10m" }}
[[app]]
share = 0.5
policy = "ie"
"#
    )
}

/// Per-run figures whose means the two paths must share.
fn figures(t: &Tally) -> Vec<(String, f64)> {
    let share = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mut out = vec![
        ("requests".to_string(), t.total(tally::REQUESTS) as f64),
        (
            "old share".to_string(),
            share(t.total(tally::OLD), t.total(tally::REQUESTS)),
        ),
        (
            "last old request (ms)".to_string(),
            t.last_old.map_or(-1.0, |ms| ms as f64),
        ),
    ];
    let answered: u64 = t.answered_at.values().sum();
    for layer in Layer::ALL {
        out.push((
            format!("answered at {}", layer.name()),
            share(t.answered_at[layer], answered),
        ));
    }
    for b in 0..t.buckets {
        let row = t.row(b);
        out.push((
            format!("old share, bucket {b}"),
            share(row[tally::OLD], row[tally::REQUESTS]),
        ));
        out.push((
            format!("active devices, bucket {b}"),
            row[tally::ACTIVE_DEVICES] as f64,
        ));
        out.push((format!("devices old, bucket {b}"), row[tally::DEVICES_OLD] as f64));
        out.push((
            format!("old via connection, bucket {b}"),
            share(row[tally::VIA + Layer::Connection as usize], row[tally::REQUESTS]),
        ));
        out.push((
            format!("first address, bucket {b}"),
            share(row[tally::ADDRESSES], row[tally::REQUESTS]),
        ));
        // Old requests by cause: the record's TTL, and each pool's.
        for c in 0..t.width - t.causes {
            out.push((
                format!("old by cause {c}, bucket {b}"),
                share(row[t.causes + c], row[tally::REQUESTS]),
            ));
        }
    }
    out
}

/// For each figure, how many standard errors of the difference apart the
/// two sets of runs' means are.
pub fn gaps(a: &[Tally], b: &[Tally]) -> Vec<(String, f64)> {
    let fa: Vec<_> = a.iter().map(figures).collect();
    let fb: Vec<_> = b.iter().map(figures).collect();
    let moments = |runs: &[Vec<(String, f64)>], i: usize| {
        let n = runs.len() as f64;
        let mean = runs.iter().map(|f| f[i].1).sum::<f64>() / n;
        let var = runs.iter().map(|f| (f[i].1 - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var / n)
    };
    (0..fa[0].len())
        .map(|i| {
            let (ma, va) = moments(&fa, i);
            let (mb, vb) = moments(&fb, i);
            let se = (va + vb).sqrt();
            let z = if se == 0.0 {
                if ma == mb {
                    0.0
                } else {
                    f64::INFINITY
                }
            } else {
                (ma - mb).abs() / se
            };
            (fa[0][i].0.clone(), z)
        })
        .collect()
}

/// About 60 comparisons: at 4.5 standard errors, the chance that any one
/// of them fails while the distributions agree is under 0.1 %.
pub const Z: f64 = 4.5;

fn assert_same_means(text: &str) {
    assert_same_means_of(run_tallies(text, true), run_tallies(text, false));
}

/// Every figure's mean agrees between the runs of two paths.
pub fn assert_same_means_of(ahead: Vec<Tally>, straight: Vec<Tally>) {
    assert!(
        ahead.iter().zip(&straight).any(|(a, b)| a != b),
        "the two paths should draw different samples"
    );
    let gaps = gaps(&ahead, &straight);
    let worst = gaps.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    eprintln!("largest gap: {} at {:.2} standard errors", worst.0, worst.1);
    for (what, z) in gaps {
        assert!(z <= Z, "{what}: the means differ by {z:.2} standard errors");
    }
}

#[test]
fn running_busy_devices_ahead_keeps_every_mean() {
    assert_same_means(&scenario("115s"));
}

/// Without a daily cycle, requests under a pinned app answer (IE's fixed
/// 15 minutes, no keep-alive) are counted as Poisson counts per stretch.
#[test]
fn counting_pinned_answers_in_bulk_keeps_every_mean() {
    assert_same_means(&scenario_with("115s", "", "random"));
}

/// The same when clients take the first of a rotated answer.
#[test]
fn counting_rotated_pinned_answers_in_bulk_keeps_every_mean() {
    assert_same_means(&scenario_with("115s", "", "rotate"));
}

/// Busy devices behind a fixed 20-minute app cache and nothing else, each
/// counted in bulk from its first request after a refresh: when the last
/// old request arrives comes from the bulk counts' arrival times.
#[test]
fn the_last_old_request_is_timed_alike_in_bulk() {
    assert_same_means(
        r#"
[simulation]
duration = "30m"
warmup = "40m"
bucket = "5m"
runs = 64
seed = 22
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 50
requests_per_day = 1000
[[app]]
share = 1.0
policy = { fixed_ttl = "20m" }
"#,
    );
}

/// The comparison has the power to see a real difference: a connection
/// idle timeout of 60 s instead of 115 s is caught.
#[test]
fn the_comparison_tells_a_different_scenario_apart() {
    let ahead = run_tallies(&scenario("115s"), true);
    let other = run_tallies(&scenario("60s"), false);
    let caught = gaps(&ahead, &other).into_iter().filter(|(_, z)| *z > Z).count();
    assert!(caught > 0, "no figure told idle timeouts of 115 s and 60 s apart");
}

/// Every shipped scenario, shrunk, counts the same with the walk for plain
/// caches as with the general walk: same answers, same random draws. Between
/// them they have clamping, pinning and prefetching resolvers, several
/// addresses picked at random or rotated, secondaries, connections and
/// restarts, so both chains that take the plain walk and chains that cannot
/// are covered.
#[test]
fn the_plain_walk_counts_exactly_as_the_general_walk() {
    let mut plain_requests = 0;
    for entry in std::fs::read_dir("scenarios").expect("scenarios/ is there") {
        let path = entry.expect("readable").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue; // an observed curve beside the scenarios
        }
        let text = std::fs::read_to_string(&path).expect("readable scenario");
        let shrink = [
            "population.households=400",
            "simulation.runs=2",
            "simulation.duration=6h",
        ];
        let plain = run_tallies_with(&text, &shrink, Shortcuts::default());
        let general = run_tallies_with(
            &text,
            &shrink,
            Shortcuts {
                plain_walk: false,
                ..Shortcuts::default()
            },
        );
        assert!(
            plain == general,
            "{}: the two walks counted differently",
            path.display()
        );
        plain_requests += plain.iter().map(|t| t.simulated).sum::<u64>();
    }
    assert!(
        plain_requests > 100_000,
        "too few requests to compare: {plain_requests}"
    );
}

/// The plain walk's resolver shortcuts on a scenario made to use them
/// often: few resolver caches under many households, so hits land in
/// Unbound's prefetch window (the last 10 % of a 20 s TTL) and BIND's
/// (the last 2 s), a public resolver's eight shards drawn per query, three
/// addresses rotated by every shard and by the authoritative, and
/// secondaries that draw which server answers each refresh.
#[test]
fn the_plain_walk_prefetches_and_draws_shards_as_the_general_walk() {
    let text = r#"
[simulation]
duration = "2h"
warmup = "30m"
bucket = "5m"
runs = 2
seed = 5
[record]
ttl = "20s"
old = ["203.0.113.10", "203.0.113.11", "203.0.113.12"]
new = ["198.51.100.20", "198.51.100.21", "198.51.100.22"]
pick = "rotate"
[authoritative]
secondaries = 2
refresh = "1h"
notify = false
[population]
households = 1500
devices_per_household = 2
requests_per_day = 2000
[[resolver]]
share = 0.4
instances = 2
policy = "unbound-prefetch"
[[resolver]]
share = 0.3
instances = 2
policy = "bind"
[[resolver]]
share = 0.3
instances = 1
policy = "google-public-dns"
[[router]]
share = 0.5
policy = "dnsmasq"
[[router]]
share = 0.5
policy = "none"
[[os]]
share = 1.0
policy = "android"
[[app]]
share = 1.0
policy = "none"
"#;
    let plain = run_tallies_with(text, &[], Shortcuts::default());
    let general = run_tallies_with(
        text,
        &[],
        Shortcuts {
            plain_walk: false,
            ..Shortcuts::default()
        },
    );
    assert!(plain == general, "the two walks counted differently");
    let simulated: u64 = plain.iter().map(|t| t.simulated).sum();
    assert!(simulated > 500_000, "too few requests to compare: {simulated}");
}

/// Pools that go quiet early, late and never (a day's pin), behind routers,
/// OS caches that stretch, reload or honour, apps with a grace period or a
/// fixed lifetime, keep-alive connections capped at 20 minutes or at 20
/// requests by the server, secondaries
/// that lag, a daily cycle, restarts, and busy devices among quiet ones.
pub const QUIETING: &str = r#"
[server]
max_requests = 20
[simulation]
duration = "3h"
bucket = "10m"
runs = 48
seed = 31
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[authoritative]
secondaries = 2
refresh = "10m"
notify = false
[population]
households = 600
devices_per_household = 2
requests_per_day = { lognormal = { median = 300, sigma = 1.5 } }
daily_cycle = { amplitude = 0.5, peak_hour = 20, change_hour = 14 }
[[resolver]]
share = 0.5
instances = 3
policy = "unbound-serve-expired"
[[resolver]]
share = 0.3
instances = 2
policy = "bind"
[[resolver]]
share = 0.15
instances = 2
policy = { min_ttl = "40m" }
[[resolver]]
share = 0.05
instances = 1
policy = "isp-pin-24h"
[[router]]
share = 0.5
policy = "dnsmasq"
[[router]]
share = 0.5
policy = "none"
[[os]]
share = 0.4
policy = "macos"
[[os]]
share = 0.3
policy = "nscd"
[[os]]
share = 0.3
policy = "windows"
[[app]]
share = 0.4
policy = "firefox"
restarts_per_day = 24
connection = { idle_timeout = "115s", max_age = "20m" }
[[app]]
share = 0.3
policy = "ie"
[[app]]
share = 0.3
policy = "java"
connection = { idle_timeout = "60s" }
"#;

/// Counting a quiet partition's requests in bulk keeps every mean: the
/// requests and active devices of every bucket, the hit ratios, and the
/// old share up to the pool pinned for a day.
#[test]
fn counting_quiet_partitions_in_bulk_keeps_every_mean() {
    assert_quiet_counts_keep_every_mean(&[]);
}

/// The same where buckets hold a few requests each, drawn gap by gap.
#[test]
fn counting_sparse_quiet_partitions_in_bulk_keeps_every_mean() {
    assert_quiet_counts_keep_every_mean(&[
        "population.households=2000",
        "population.requests_per_day={ lognormal = { median = 10, sigma = 1.5 } }",
        "resolver.0.instances=100",
        "resolver.1.instances=60",
        "resolver.2.instances=30",
    ]);
}

/// The same where about half the devices expect at least 8 requests a
/// bucket (counted device by device) and the rest are drawn as one stream;
/// rates spread less than above, so a 10 % error in either shows.
#[test]
fn counting_dense_and_sparse_devices_in_bulk_keeps_every_mean() {
    assert_quiet_counts_keep_every_mean(&["population.requests_per_day={ exponential = { mean = 1500 } }"]);
}

pub fn assert_quiet_counts_keep_every_mean(overrides: &[&str]) {
    let bulk = run_tallies_with(QUIETING, overrides, Shortcuts::default());
    let walked = run_tallies_with(
        QUIETING,
        overrides,
        Shortcuts {
            count_quietly: false,
            ..Shortcuts::default()
        },
    );
    let (b, w): (u64, u64) = (
        bulk.iter().map(|t| t.simulated).sum(),
        walked.iter().map(|t| t.simulated).sum(),
    );
    eprintln!("simulated: {b} counted in bulk or walked, {w} walked");
    assert_same_means_of(bulk, walked);
}

/// With every request in one stream, counting in bulk leaves what was
/// walked as it was: the same draws until the first partition stops
/// walking every request (the hit ratios' window), so the same counts in
/// every column there and the same hit ratios, run by run; after it,
/// devices still holding an old answer are walked on their own arrivals
/// and the rest counted in bulk, all drawn anew.
#[test]
fn quiet_counting_leaves_the_walked_requests_as_they_were() {
    let single = |quietly: bool| {
        run_tallies_with(
            QUIETING,
            &["simulation.runs=6"],
            Shortcuts {
                run_ahead: false,
                count_quietly: quietly,
                ..Shortcuts::default()
            },
        )
    };
    let scenario = cachesim::scenario::parse(QUIETING, "test.toml", &[]).expect("valid");
    let window = (cachesim::engine::quiet::answered_window(&scenario) / scenario.bucket) as usize;
    assert!(
        window > 0 && window < 18,
        "the window covers some buckets, not all"
    );
    let (bulk, walked) = (single(true), single(false));
    let mut redrawn = 0;
    for (b, w) in bulk.iter().zip(&walked) {
        assert_eq!(b.answered_at, w.answered_at);
        for bucket in 0..b.buckets {
            let (rb, rw) = (b.row(bucket), w.row(bucket));
            if bucket >= window {
                redrawn += usize::from(rb != rw);
                continue;
            }
            assert_eq!(rb, rw, "bucket {bucket}");
        }
    }
    assert!(redrawn > 0, "no bucket was counted in bulk");
}

/// The bound counting in bulk rests on holds: walking every request to the
/// horizon (which checks that no old request comes after its partition
/// went quiet) on the scenario above, made busier, and on every shipped
/// scenario, shrunk to a few hundred households.
#[test]
fn no_old_answer_comes_after_its_partition_goes_quiet() {
    let walk = |text: &str, overrides: &[&str]| {
        run_tallies_with(
            text,
            overrides,
            Shortcuts {
                count_quietly: false,
                ..Shortcuts::default()
            },
        )
    };
    let busy = walk(
        QUIETING,
        &["simulation.runs=8", "population.requests_per_day=3000"],
    );
    assert!(busy.iter().all(|t| t.last_old.is_some()));
    // Chains busy enough to come near their bound, so an early one shows
    // (resolver, OS cache and connection, as TOML values).
    for (resolver, os, connection) in [
        (
            r#""honour""#,
            r#""none""#,
            r#"{ idle_timeout = "30s", max_age = "10m" }"#,
        ),
        (
            r#""unbound-serve-expired""#,
            r#""macos""#,
            r#"{ idle_timeout = "1s" }"#,
        ),
        (r#"{ min_ttl = "5m" }"#, r#""nscd""#, r#"{ idle_timeout = "1s" }"#),
    ] {
        let text = format!(
            r#"
[simulation]
duration = "1h"
bucket = "1m"
runs = 4
seed = 3
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 200
requests_per_day = 20000
[[resolver]]
share = 1.0
instances = 2
policy = {resolver}
[[os]]
share = 1.0
policy = {os}
[[app]]
share = 1.0
policy = "none"
connection = {connection}
"#
        );
        walk(&text, &[]);
    }
    for entry in std::fs::read_dir("scenarios").expect("scenarios/ is there") {
        let path = entry.expect("readable").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable scenario");
        walk(&text, &["population.households=300", "simulation.runs=2"]);
    }
}
