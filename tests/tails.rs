//! Devices walked alone once requests leaving a device come back new
//! (`engine/partition/tails.rs`), and every other device counted in bulk,
//! give results with the same distribution as walking every request to the
//! horizon: keep-alive connections with no bound on their life (a user who
//! never pauses long enough keeps reaching the old address), apps that keep
//! answers until they restart, connections the server ages out, caches that
//! stretch the TTL, a daily cycle, busy devices among quiet ones.

use crate::common::run_tallies_with;
use crate::equivalence::{assert_same_means_of, gaps, Z};
use cachesim::engine::{Shortcuts, Tally};

const TAILING: &str = r#"
[simulation]
duration = "3h"
bucket = "10m"
runs = 64
seed = 41
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 400
devices_per_household = 2
requests_per_day = { lognormal = { median = 300, sigma = 1.5 } }
daily_cycle = { amplitude = 0.5, peak_hour = 20, change_hour = 14 }
[[resolver]]
share = 0.7
instances = 2
policy = "unbound"
[[resolver]]
share = 0.3
instances = 2
policy = { min_ttl = "20m" }
[[router]]
share = 0.5
policy = "dnsmasq"
[[router]]
share = 0.5
policy = "none"
[[os]]
share = 0.5
policy = "windows"
[[os]]
share = 0.5
policy = "macos"
[[app]]
name = "firefox-2"
share = 0.35
policy = "firefox-legacy"
connection = { idle_timeout = "115s" }
[[app]]
name = "security-manager"
share = 0.25
policy = "java-security-manager"
restarts_per_day = 12
connection = { idle_timeout = "60s" }
[[app]]
name = "chrome"
share = 0.2
policy = "chrome"
connection = { idle_timeout = "170s", max_age = "30m" }
[[app]]
share = 0.2
policy = "ie"
"#;

fn run(overrides: &[&str], count_quietly: bool) -> Vec<Tally> {
    let shortcuts = Shortcuts {
        count_quietly,
        ..Shortcuts::default()
    };
    run_tallies_with(TAILING, overrides, shortcuts)
}

/// Every mean agrees (requests, active devices, old share, devices old,
/// old requests by cause and over connections, bucket by bucket, the hit
/// ratios and the last old request), and the shortcut walks far fewer
/// requests.
#[test]
fn walking_devices_that_hold_old_answers_alone_keeps_every_mean() {
    let (tails, walked) = (run(&[], true), run(&[], false));
    assert!(tails
        .iter()
        .all(|t| t.last_old.is_some_and(|ms| ms > 2 * 3_600_000)));
    assert_same_means_of(tails, walked);
}

/// The comparison has the power to see a 10 % error in the walked tails:
/// apps under the security manager restarting 10 % more often (so their old
/// answers go 10 % sooner) are told apart.
#[test]
fn the_comparison_sees_a_tail_ten_percent_shorter() {
    let tails = run(&["population.households=1000"], true);
    let other = run(
        &["population.households=1000", "app.1.restarts_per_day=13.2"],
        false,
    );
    let caught: Vec<String> = gaps(&tails, &other)
        .into_iter()
        .filter(|(_, z)| *z > Z)
        .map(|(what, _)| what)
        .collect();
    eprintln!("told apart by: {caught:?}");
    assert!(!caught.is_empty(), "no figure told restart rates 10 % apart");
}
