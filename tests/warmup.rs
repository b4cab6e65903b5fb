//! The automatic warm-up begins at the record's first step, not
//! twice the longest lifetime before it: a TTL of a day lowered to 60 s two
//! days before the move starts 48 hours before the move instead of 96, with
//! the same distribution of every count. Seeded entries all expire within a
//! day, whatever the schedule does meanwhile, and by the move the caches
//! hold only what the record's timeline handed them.

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
fn the_automatic_warm_up_begins_at_the_first_step() {
    let s = cachesim::scenario::parse(LOWERED, "test.toml", &[]).expect("valid");
    let hour = 3_600_000;
    assert_eq!(cachesim::scenario::warmup::warmup(&s, None), 48 * hour);
    assert_eq!(cachesim::scenario::warmup::shortest_exact(&s), 48 * hour);
}

/// Every mean agrees with a start twice a day before the step (96 hours
/// before the move, the rule before), and 10 % more households behind the
/// resolver keeping answers an hour (33 % instead of 30 %) are told apart:
/// the comparison can see a 10 % error in the old share its caches make.
#[test]
fn starting_at_the_first_step_keeps_every_mean() {
    let short = run(&[]);
    // Other seeds, so the two samples are independent.
    let long = run(&["simulation.warmup=96h", "simulation.seed=52"]);
    let simulated = |runs: &[Tally]| runs.iter().map(|t| t.simulated).sum::<u64>();
    assert!(
        simulated(&short) * 3 < simulated(&long) * 2,
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
