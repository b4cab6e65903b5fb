//! The automatic warm-up starts after a step of the record's schedule
//! when nothing can hold an answer from before the step any more: a TTL of
//! a day lowered to 60 s two days before the move starts 2 hours before the
//! move (twice the hour the slowest resolver keeps a 60 s answer) instead of
//! 48 (the first step, the rule before) or 96 (twice a day before it, the
//! rule before that), with the same distribution of every count. A step
//! too close to the change for that still begins the warm-up at the first
//! step: seeded entries all expire within a day, whatever the schedule does
//! meanwhile, and by the move the caches hold only what the record's
//! timeline handed them.

use crate::common::run_tallies_with;
use crate::equivalence::{assert_same_means_of, gaps, Z};
use cachesim::engine::{Shortcuts, Tally};

/// `lower-ttl-first` in small: the record's TTL, a day, lowered to 60 s two
/// days before the move, behind Unbound (caps at a day), a resolver that
/// keeps answers at least an hour, Windows' cache and Chrome's.
const LOWERED: &str = r#"
[simulation]
duration = "90m"
bucket = "5m"
runs = 64
seed = 51
[record]
ttl = "1d"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
schedule = [ { at = "-48h", ttl = "60s" } ]
[population]
households = 500
devices_per_household = 2
requests_per_day = { lognormal = { median = 200, sigma = 1.0 } }
[[resolver]]
share = 0.7
instances = 20
policy = "unbound"
[[resolver]]
share = 0.3
instances = 20
policy = "isp-min-1h"
[[os]]
share = 1.0
policy = "windows"
[[app]]
share = 1.0
policy = "chrome"
"#;

fn run(overrides: &[&str]) -> Vec<Tally> {
    run_tallies_with(LOWERED, overrides, Shortcuts::default())
}

#[test]
fn the_automatic_warm_up_starts_after_a_step_nothing_from_before_survives() {
    use cachesim::scenario::warmup::{inexact, shortest_exact, warmup};
    let at = |overrides: &[&str]| {
        let overrides: Vec<_> = overrides
            .iter()
            .map(|o| cachesim::scenario::Override::parse(o).unwrap())
            .collect();
        cachesim::scenario::parse(LOWERED, "test.toml", &overrides).expect("valid")
    };
    let (minute, hour) = (60_000, 3_600_000);
    let s = at(&[]);
    let keeps_an_hour = Some(&s.resolvers[1].policy);
    assert_eq!(
        warmup(&s, keeps_an_hour),
        2 * hour,
        "twice the hour it keeps a 60 s answer"
    );
    assert_eq!(
        warmup(&s, Some(&s.resolvers[0].policy)),
        10 * minute,
        "Unbound: the least warm-up"
    );
    assert_eq!(shortest_exact(&s), 2 * hour);
    // 20 hours before the move, a day's answer from before the step can
    // still be held 2 hours before it: the warm-up settles every answer
    // (twice a day), and begins by the step.
    let close = at(&["record.schedule.0.at=-20h"]);
    assert_eq!(warmup(&close, keeps_an_hour), 48 * hour);
    assert_eq!(shortest_exact(&close), 48 * hour);
    // A step that moves the addresses counts a connection's life too: one
    // that lives 30 hours may still reach the old addresses of before it.
    let moved = at(&[
        "record.schedule.0.addresses=[\"203.0.113.11\"]",
        "app.0.connection={ idle_timeout = \"1h\", max_age = \"30h\" }",
    ]);
    assert_eq!(warmup(&moved, keeps_an_hour), 48 * hour);
    let kept = at(&["app.0.connection={ idle_timeout = \"1h\", max_age = \"30h\" }"]);
    assert_eq!(
        warmup(&kept, keeps_an_hour),
        24 * hour,
        "the addresses kept: a connection's day"
    );
    // The shortest exact warm-up is accepted when given, a minute less is not.
    for s in [&s, &close, &moved, &kept] {
        assert_eq!(inexact(s, shortest_exact(s)), None);
        assert!(inexact(s, shortest_exact(s) - minute).is_some());
    }
}

/// Every mean agrees with a start twice a day before the step (96 hours
/// before the move), and 10 % more households behind the resolver keeping
/// answers an hour (33 % instead of 30 %) are told apart: the comparison
/// can see a 10 % error in the old share its caches make.
#[test]
fn starting_after_the_step_keeps_every_mean() {
    let short = run(&[]);
    // Other seeds, so the two samples are independent.
    let long = run(&["simulation.warmup=96h", "simulation.seed=52"]);
    let simulated = |runs: &[Tally]| runs.iter().map(|t| t.simulated).sum::<u64>();
    assert!(
        simulated(&short) * 10 < simulated(&long),
        "the shorter warm-up simulates fewer requests"
    );
    let other = run(&[
        "resolver.0.share=0.67",
        "resolver.1.share=0.33",
        "simulation.warmup=96h",
        "simulation.seed=53",
    ]);
    let caught = gaps(&short, &other).into_iter().filter(|(_, z)| *z > Z).count();
    eprintln!("33 % told apart by {caught} figures");
    assert!(caught > 0, "no figure told 30 % and 33 % apart");
    assert_same_means_of(short, long);
}
