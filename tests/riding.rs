//! Requests riding keep-alive connections counted by cells of half the
//! idle timeout (`engine/partition/ride.rs`) keep the law of walking every
//! request in one stream.

use crate::common::run_tallies_with;
use crate::equivalence::assert_same_means_of;
use cachesim::engine::Shortcuts;

/// Busy clients on keep-alive connections with long idle timeouts, and no
/// daily cycle or app restart: their requests over the connection are
/// counted by cells of half the idle timeout (`ride.rs`), and lighter
/// devices run ahead for that. The connections close after 20 minutes, so
/// every figure moves within the half hour after the change; the server
/// closes them after 100 requests too (often within a cell).
const RIDING: &str = r#"
server = "nginx-1.18"
[simulation]
duration = "40m"
warmup = "30m"
bucket = "2m"
runs = 160
seed = 5
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 1500
requests_per_day = { lognormal = { median = 2000, sigma = 1.0 } }
[[resolver]]
share = 1.0
instances = 10
policy = "unbound"
[[os]]
share = 1.0
policy = "systemd-resolved"
[[app]]
share = 0.5
policy = "chrome"
connection = { idle_timeout = "170s", max_age = "20m" }
[[app]]
share = 0.5
policy = { none = true }
connection = { idle_timeout = "5s", max_age = "20m" }
"#;

/// Riding by cells, and the devices run ahead for it, keep every mean of
/// walking every request in one stream (with cells' counts 10 % too high,
/// the hit ratios differ by 5.9 standard errors).
#[test]
fn riding_connections_by_cells_keeps_every_mean() {
    let straight = Shortcuts {
        run_ahead: false,
        count_quietly: false,
        ..Shortcuts::default()
    };
    assert_same_means_of(
        run_tallies_with(RIDING, &[], Shortcuts::default()),
        run_tallies_with(RIDING, &[], straight),
    );
}
