//! The latest-old-answer bound (`engine::bound`), against the engine: no
//! old request ever comes at or after it, on random chains that use every
//! policy key, connection and server limit, daily cycles, restarts,
//! secondaries and schedules, walked request by request to the horizon;
//! and where chains are busy the latest old request comes close to it.
//! Counting a partition in bulk once it is quiet rests on this bound.

use crate::common::{check_series, run_tallies_with, simulate};
use cachesim::duration::Millis;
use cachesim::engine::bound::latest_old_answer;
use cachesim::engine::Shortcuts;
use proptest::prelude::*;

/// The bound of `text` over all of its resolver pools.
fn bound_of(text: &str) -> Millis {
    let s = cachesim::scenario::parse(text, "test.toml", &[]).expect("test scenario is valid");
    let all: Vec<usize> = (0..s.resolvers.len()).collect();
    latest_old_answer(&s, &all).expect("bounded")
}

/// A duration of `lo` to `hi` seconds, as TOML.
fn seconds(lo: u32, hi: u32) -> impl Strategy<Value = String> {
    (lo..hi).prop_map(|s| format!("\"{s}s\""))
}

/// Some keys of a policy table, each present or not: the lifetime rule
/// (fixed, or clamped and stretched), prefetch, serve-stale, shards,
/// restamping, early eviction, and reloading where `os`.
fn policy(layer: &'static str) -> impl Strategy<Value = String> {
    let lifetime = prop_oneof![
        seconds(1, 900).prop_map(|d| format!("fixed_ttl = {d}")),
        (
            proptest::option::of(seconds(1, 600)),
            proptest::option::of(seconds(600, 7200)),
            proptest::option::of(1u32..16),
            proptest::option::of(seconds(0, 30)),
        )
            .prop_map(|(min, max, factor, addend)| {
                let mut keys = Vec::new();
                keys.extend(min.map(|v| format!("min_ttl = {v}")));
                keys.extend(max.map(|v| format!("max_ttl = {v}")));
                keys.extend(factor.map(|f| format!("ttl_factor = {}", 1.0 + f as f64 / 8.0)));
                keys.extend(addend.map(|v| format!("ttl_addend = {v}")));
                keys.join(", ")
            }),
    ];
    let extras = (
        proptest::option::of(1u32..9),
        proptest::option::of((seconds(1, 1800), seconds(0, 60))),
        proptest::option::of(1u32..4),
        any::<bool>(),
        proptest::option::of(seconds(30, 1800)),
        proptest::option::of((seconds(1, 30), 0u32..6)),
    );
    (lifetime, extras, 0u32..12).prop_map(
        move |(lifetime, (prefetch, stale, shards, restamp, evict, reload), none)| {
            if none == 0 {
                return "{ none = true }".to_string();
            }
            let mut keys: Vec<String> = [lifetime].into_iter().filter(|k| !k.is_empty()).collect();
            keys.extend(prefetch.map(|f| format!("prefetch = 0.{f}")));
            keys.extend(stale.map(|(m, r)| format!("serve_stale = {{ max_stale = {m}, reply_ttl = {r} }}")));
            if layer == "resolver" {
                keys.extend(shards.map(|k| format!("shards = {k}")));
            }
            if restamp {
                keys.push("restamp = true".into());
            }
            keys.extend(evict.map(|e| format!("evict_after = {e}")));
            if layer == "os" {
                keys.extend(reload.map(|(w, c)| format!("reload = {{ within = {w}, count = {c} }}")));
            }
            format!("{{ {} }}", keys.join(", "))
        },
    )
}

/// A pool's keys at `layer`: its policy, and for apps a connection limited
/// by age or by the server, and restarts.
fn pool(name: &'static str) -> impl Strategy<Value = String> {
    let connection = (
        seconds(1, 300),
        proptest::option::of(seconds(60, 3600)),
        any::<bool>(),
    )
        .prop_map(|(idle, age, some)| match (some, age) {
            (false, _) => String::new(),
            (true, Some(age)) => format!("connection = {{ idle_timeout = {idle}, max_age = {age} }}\n"),
            (true, None) => format!("connection = {{ idle_timeout = {idle} }}\n"),
        });
    (policy(name), connection, 0u32..3).prop_map(move |(policy, connection, restarts)| {
        let mut text = format!("policy = {policy}\n");
        if name == "resolver" {
            text.push_str("instances = 3\n");
        }
        if name == "app" {
            text.push_str(&connection);
            text.push_str(&format!("restarts_per_day = {}\n", restarts * 6));
        }
        text
    })
}

/// One or two pools at `layer`, or none.
fn layer(name: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (pool(name), pool(name), 1u32..9).prop_map(move |(a, b, split)| {
            let share = split as f64 / 10.0;
            format!(
                "[[{name}]]\nshare = {share}\n{a}[[{name}]]\nshare = {}\n{b}",
                1.0 - share
            )
        }),
    ]
}

/// The record, the authoritative side, the server and the traffic.
fn setting() -> impl Strategy<Value = String> {
    let schedule = prop_oneof![
        Just(String::new()),
        (1u32..120).prop_map(|m| format!("schedule = [{{ at = \"-{m}m\", ttl = \"30s\" }}]")),
        (1u32..20).prop_map(|m| format!("schedule = [{{ at = \"{m}m\", addresses = [\"198.51.100.21\"] }}]")),
    ];
    let authoritative = prop_oneof![
        Just(String::new()),
        Just("[authoritative]\nsecondaries = 2\n".to_string()),
        (1u32..30)
            .prop_map(|m| format!("[authoritative]\nsecondaries = 1\nnotify = false\nrefresh = \"{m}m\"\n")),
    ];
    let server = prop_oneof![
        Just(String::new()),
        Just("server = \"nginx\"\n".to_string()),
        Just("server = \"apache\"\n".to_string()),
        (seconds(5, 120), seconds(60, 3600), 2u32..200).prop_map(|(idle, age, n)| format!(
            "[server]\nidle_timeout = {idle}\nmax_age = {age}\nmax_requests = {n}\n"
        )),
    ];
    let cycle = prop_oneof![
        Just(String::new()),
        Just("daily_cycle = { amplitude = 0.5, peak_hour = 20, change_hour = 14 }\n".to_string()),
    ];
    (
        seconds(1, 600),
        schedule,
        authoritative,
        server,
        cycle,
        50u32..2000,
        0..i64::MAX as u64,
    )
        .prop_map(|(ttl, schedule, authoritative, server, cycle, per_day, seed)| {
            format!(
                r#"{server}
[simulation]
duration = "45m"
bucket = "1m"
runs = 2
seed = {seed}
[record]
ttl = {ttl}
old = ["192.0.2.1"]
new = ["198.51.100.20"]
{schedule}
{authoritative}
[population]
households = 40
devices_per_household = 2
requests_per_day = {{ lognormal = {{ median = {per_day}, sigma = 1.0 }} }}
{cycle}"#
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Walked request by request to the horizon, no old request comes at
    /// or after the bound (and none after its partition went quiet: the
    /// engine asserts that while walking everything).
    #[test]
    fn no_old_request_reaches_past_the_bound(
        head in setting(),
        (r, ro, o, a) in (layer("resolver"), layer("router"), layer("os"), layer("app")),
    ) {
        let text = format!("{head}{r}{ro}{o}{a}");
        let s = cachesim::scenario::parse(&text, "test.toml", &[]);
        prop_assume!(s.is_ok(), "{:?}", s.err().map(|e| e.to_string()));
        let s = s.unwrap();
        let all: Vec<usize> = (0..s.resolvers.len()).collect();
        let Ok(bound) = latest_old_answer(&s, &all) else {
            return Ok(()); // unbounded: nothing to check
        };
        let tallies = run_tallies_with(&text, &[], Shortcuts { count_quietly: false, ..Shortcuts::default() });
        for t in &tallies {
            if let Some(last) = t.last_old {
                prop_assert!(last < bound, "old request at {} ms, bound {} ms\n{}", last, bound, text);
            }
        }
    }
}

/// A resolver that holds every answer at least 5 min and then stretches
/// it by half keeps TTL-20 s answers 450 s: the old share is that of one
/// cache with a fixed lifetime of 450 s (closed form), with counting in
/// bulk on as shipped, up to the end.
#[test]
fn a_stretch_over_a_clamped_minimum_is_counted() {
    let text = r#"
[simulation]
duration = "10m"
bucket = "1m"
runs = 12
seed = 5
[record]
ttl = "20s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 600
requests_per_day = 2880
[[resolver]]
share = 1.0
instances = 20
policy = { min_ttl = "5m", ttl_factor = 1.5 }
"#;
    assert_eq!(bound_of(text), 450_000);
    let rate = 30.0 * 2880.0 / 86_400.0; // requests per second at each resolver
    let lifetime = 450.0;
    let r = simulate(text);
    check_series(
        &r,
        |t| (lifetime - t).max(0.0) / (lifetime + 1.0 / rate),
        0.0,
        "stretched over a minimum",
    );
    assert!(r.old_share[6].mean > 0.1, "old at 6-7 min: {:?}", r.old_share[6]);
}

/// macOS holds a 1 s TTL for its 15 s floor: behind an honouring resolver,
/// a copy taken as the resolver's answer runs out lives until 16 s. With
/// counting in bulk on (as shipped) the old requests at 15-16 s are there,
/// as many as walking every request finds.
#[test]
fn macos_holds_a_one_second_ttl_for_its_floor() {
    let text = r#"
[simulation]
duration = "30s"
bucket = "1s"
runs = 24
seed = 11
[record]
ttl = "1s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 1000
requests_per_day = 20000
[[resolver]]
share = 1.0
instances = 1
policy = "honour"
[[os]]
share = 1.0
policy = "macos"
"#;
    assert_eq!(bound_of(text), 16_000);
    let old_at = |count_quietly: bool| -> Vec<f64> {
        run_tallies_with(
            text,
            &[],
            Shortcuts {
                count_quietly,
                ..Shortcuts::default()
            },
        )
        .iter()
        .map(|t| t.get(15, cachesim::engine::tally::OLD) as f64)
        .collect()
    };
    let (shipped, walked) = (old_at(true), old_at(false));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(
        mean(&walked) > 1.0,
        "old requests at 15-16 s when walked: {walked:?}"
    );
    let tol = crate::common::tolerance(&shipped, 0.0) + crate::common::tolerance(&walked, 0.0);
    assert!(
        (mean(&shipped) - mean(&walked)).abs() <= tol,
        "old requests at 15-16 s: shipped {} vs walked {} ± {tol}",
        mean(&shipped),
        mean(&walked)
    );
}

/// Where every cache is busy and the resolver has many instances, the
/// latest old request comes within one mean gap between a device's
/// requests (17 s at 5,000 a day) of the bound: the bound is tight, not
/// merely safe. The latest old request is some device's last request
/// before the copy it holds runs out; with 200 instances' phases spread
/// over the lifetime, some chain's copy runs out close to the bound.
#[test]
fn the_bound_is_tight_where_chains_are_busy() {
    let margin_s = 86_400.0 / 5000.0;
    for (resolver, os, app) in [
        (r#""honour""#, r#""macos""#, r#""chrome""#),
        (
            r#"{ min_ttl = "5m", ttl_factor = 1.5 }"#,
            r#""windows""#,
            r#""none""#,
        ),
        (r#""isp-min-1h""#, r#""nscd""#, r#""none""#),
    ] {
        let text = format!(
            r#"
[simulation]
duration = "2h"
bucket = "1m"
runs = 2
seed = 3
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 2000
requests_per_day = 5000
[[resolver]]
share = 1.0
instances = 200
policy = {resolver}
[[os]]
share = 1.0
policy = {os}
[[app]]
share = 1.0
policy = {app}
"#
        );
        let bound = bound_of(&text);
        let tallies = run_tallies_with(
            &text,
            &[],
            Shortcuts {
                count_quietly: false,
                ..Shortcuts::default()
            },
        );
        let latest = tallies
            .iter()
            .filter_map(|t| t.last_old)
            .max()
            .expect("old requests");
        let gap = (bound - latest) as f64 / 1000.0;
        eprintln!("{resolver} / {os} / {app}: bound {bound} ms, latest old request {latest} ms");
        assert!(
            gap > 0.0 && gap <= margin_s,
            "{resolver} / {os} / {app}: {gap} s under the bound"
        );
    }
}
