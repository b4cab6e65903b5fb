//! Counts kept between simulations (`fit`, `sweep`) are the very bytes a
//! fresh simulation gives: a pool's partitions are taken from an earlier
//! simulation only where nothing they read has changed.

use cachesim::engine::{self, simulate_reusing, Model, Reuse, Tally};
use cachesim::scenario::{self, Override};
use std::sync::atomic::AtomicBool;

/// `text` with `overrides`, simulated afresh and through `reuse`: the
/// tallies must be equal; returns them.
fn both_ways(text: &str, file: &str, settings: &[String], reuse: &Reuse) -> Vec<Tally> {
    let overrides: Vec<Override> = settings
        .iter()
        .map(|o| Override::parse(o).expect("test override is valid"))
        .collect();
    let model = |o: &[Override]| Model::new(scenario::parse(text, file, o).expect("valid scenario"));
    let stop = AtomicBool::new(false);
    let fresh_model = model(&overrides);
    let runs = fresh_model.scenario.runs;
    let fresh = engine::simulate(&fresh_model, runs, &stop, &|_| {}).expect("not stopped");
    let reused = simulate_reusing(&model(&overrides), runs, &stop, reuse, &|_| {}).expect("not stopped");
    assert!(
        fresh == reused,
        "{file} with {settings:?}: kept counts differ from a fresh simulation"
    );
    fresh
}

/// A policy for the last resolver pool unlike the one it has.
fn another_policy(text: &str, file: &str) -> &'static str {
    let s = scenario::parse(text, file, &[]).expect("valid scenario");
    let last = s.resolvers.last().expect("a resolver pool");
    if last.policy.fixed_ttl == Some(2 * cachesim::duration::HOUR) {
        "\"honour\""
    } else {
        "{ fixed_ttl = \"2h\" }"
    }
}

#[test]
fn every_shipped_scenario_reuses_its_other_pools_to_the_same_bytes() {
    let mut reused = 0;
    for entry in std::fs::read_dir("scenarios").expect("scenarios/") {
        let path = entry.expect("readable").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let pools = text.matches("[[resolver]]").count();
        if pools < 2 {
            continue;
        }
        let file = path.display().to_string();
        let small = [
            "population.households=1500".to_string(),
            "simulation.runs=2".into(),
        ];
        let reuse = Reuse::default();
        both_ways(&text, &file, &small, &reuse);
        let before = reuse.counts();
        // The last pool's policy changes: the other pools' counts may be taken.
        let changed = [
            &small[..],
            &[format!(
                "resolver.{}.policy={}",
                pools - 1,
                another_policy(&text, &file)
            )],
        ]
        .concat();
        both_ways(&text, &file, &changed, &reuse);
        let after = reuse.counts();
        reused += after.0 - before.0;
        // Households move between pools: nothing is taken, and still the same bytes.
        let moved = [&changed[..], &["population.households=1499".to_string()]].concat();
        let hits = reuse.counts().0;
        both_ways(&text, &file, &moved, &reuse);
        assert_eq!(
            reuse.counts().0,
            hits,
            "{file}: nothing to reuse once households move"
        );
    }
    assert!(reused >= 20, "only {reused} pools' counts were reused");
}

#[test]
fn another_pool_that_moves_the_hit_ratio_window_is_not_reused() {
    // Pool 0 keeps answers an hour; pool 1 honours the 5-minute TTL, so the
    // hit ratios are counted over the first 10 minutes. Pinning pool 1
    // moves the window to pool 0's hour: pool 0's own counts of where
    // answers came from change, though nothing of its own did.
    let text = r#"
[simulation]
duration = "3h"
bucket = "10m"
runs = 4
seed = 3
[record]
ttl = "5m"
old = ["192.0.2.1"]
new = ["192.0.2.2"]
[population]
households = 400
requests_per_day = 200
[[resolver]]
share = 0.5
instances = 2
policy = { min_ttl = "1h" }
[[resolver]]
share = 0.5
instances = 2
policy = "honour"
"#;
    let reuse = Reuse::default();
    let first = both_ways(text, "t.toml", &[], &reuse);
    let pinned = both_ways(
        text,
        "t.toml",
        &["resolver.1.policy={ fixed_ttl = \"2h\" }".into()],
        &reuse,
    );
    assert_ne!(first[0].answered_at, pinned[0].answered_at);
    assert_eq!(reuse.counts(), (0, 4), "pool 0 was simulated again");
    // A change that leaves the window where it was reuses pool 0.
    both_ways(
        text,
        "t.toml",
        &["resolver.1.policy={ fixed_ttl = \"3h\" }".into()],
        &reuse,
    );
    assert_eq!(reuse.counts(), (1, 5));
}
