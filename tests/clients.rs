//! The client side against what mathematics knows: a server's keep-alive
//! limits close client connections, and device profiles draw a device's OS
//! and app together.

use crate::common::{cachesim, check_series, run_tallies, simulate};

const RECORD: &str = r#"
[record]
ttl = "5m"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
"#;

/// A server that closes a connection after N requests: a busy device's
/// connection at the change has carried any of 1 … N requests alike, so its
/// k-th request after the change still goes to the old address with
/// probability (N − k)/N. With requests at rate λ, the old share at t is the
/// Poisson(λt) mixture of that.
#[test]
fn a_server_request_limit_drains_connections_as_counted() {
    let n = 20.0;
    let rate = 1.0;
    let r = simulate(&format!(
        r#"
[simulation]
duration = "60s"
bucket = "5s"
runs = 24
seed = 5
{RECORD}
[population]
households = 3000
requests_per_day = 86400
[[app]]
share = 1.0
policy = "none"
connection = {{ idle_timeout = "10m" }}
[server]
max_requests = 20
"#
    ));
    let expected = |t: f64| {
        // P(request at t is old) = Σ_j Pois(j; λt) · max(0, N − (j + 1)) / N
        let mean = rate * t;
        let mut p = (-mean).exp();
        let mut share = 0.0;
        for j in 0..(n as usize) {
            share += p * (n - (j as f64 + 1.0)).max(0.0) / n;
            p *= mean / (j as f64 + 1.0);
        }
        share
    };
    // Past 40 s the expected share is below 1e-4, where no run sees any.
    check_series(&r, expected, 1e-4, "server max_requests");
}

/// The effective idle timeout is the shorter of client and server: a client
/// keeping connections 300 s behind a server closing them after 10 s gives
/// exactly the counts of a client keeping them 10 s.
#[test]
fn the_shorter_idle_timeout_wins() {
    let scenario = |connection: &str, server: &str| {
        format!(
            r#"
[simulation]
duration = "10m"
bucket = "1m"
runs = 4
seed = 9
{RECORD}
[population]
households = 500
requests_per_day = {{ lognormal = {{ median = 2000, sigma = 1.0 }} }}
[[resolver]]
share = 1.0
policy = "honour"
[[app]]
share = 1.0
policy = "chrome"
connection = {connection}
{server}
"#
        )
    };
    let client_only = run_tallies(&scenario(r#"{ idle_timeout = "10s", max_age = "1h" }"#, ""), true);
    let both = run_tallies(
        &scenario(
            r#"{ idle_timeout = "300s" }"#,
            "[server]\nidle_timeout = \"10s\"\nmax_age = \"1h\"",
        ),
        true,
    );
    assert_eq!(format!("{client_only:?}"), format!("{both:?}"));
    let longer = run_tallies(
        &scenario(r#"{ idle_timeout = "300s", max_age = "1h" }"#, ""),
        true,
    );
    assert_ne!(
        format!("{client_only:?}"),
        format!("{longer:?}"),
        "the server's limit matters"
    );
}

/// Profiles draw OS and app together: with half the devices caching 60 s in
/// the OS only and half in the app only, every device has exactly one
/// private 60 s cache, so the old share is oracle 2's,
/// max(0, A − t)/(A + 1/l), and nothing is old after 60 s. Drawn
/// independently, a quarter would have both caches in series, old for up
/// to 120 s.
#[test]
fn a_profile_draws_os_and_app_together() {
    let r = simulate(&format!(
        r#"
[simulation]
duration = "150s"
bucket = "10s"
runs = 20
seed = 3
{RECORD}
[population]
households = 3000
requests_per_day = 4320
[[device]]
name = "os-caches"
share = 0.5
os = {{ fixed_ttl = "60s" }}
[[device]]
name = "app-caches"
share = 0.5
app = {{ fixed_ttl = "60s" }}
"#
    ));
    let (a, l) = (60.0, 0.05);
    check_series(&r, |t| (a - t).max(0.0) / (a + 1.0 / l), 0.0, "profiles");
    let after: f64 = r.old_share[7..].iter().map(|s| s.mean).sum();
    assert_eq!(after, 0.0, "no device has two caches in series");
}

/// Writes `text` as `name` in `dir` and runs `cachesim COMMAND` on it.
fn run_on(dir: &std::path::Path, command: &str, name: &str, text: &str) -> std::process::Output {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let out = dir.join(format!("{name}.results"));
    cachesim(&[command, path.to_str().unwrap(), "--out", out.to_str().unwrap()])
}

#[test]
fn profiles_beside_os_or_app_entries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_on(
        dir.path(),
        "run",
        "both.toml",
        &format!(
            "{RECORD}\n[population]\nhouseholds = 10\nrequests_per_day = 10\n\
             [[os]]\nshare = 1.0\npolicy = \"windows\"\n\
             [[device]]\nname = \"laptop\"\nshare = 1.0\nos = \"windows\"\napp = \"chrome\"\n"
        ),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("both.toml") && err.contains("[[os]] and [[device]] cannot be used together"),
        "{err}"
    );
    let out = run_on(
        dir.path(),
        "run",
        "typo.toml",
        &format!("server = \"ngnix\"\n{RECORD}\n[population]\nhouseholds = 10\nrequests_per_day = 10\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown server preset \"ngnix\"") && err.contains("did you mean \"nginx\""),
        "{err}"
    );
}

/// A connection with no maximum age is bounded by the server's: the plan
/// then has a latest old request, where without the server it names the
/// setting that leaves the tail open.
#[test]
fn a_server_bounds_what_the_client_leaves_open() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = |server: &str| {
        format!(
            "{server}\n[simulation]\nduration = \"2h\"\nruns = 4\n{RECORD}\n[population]\nhouseholds = 200\n\
             requests_per_day = 20000\n[[device]]\nname = \"browser\"\nshare = 1.0\napp = \"chrome\"\n\
             connection = {{ idle_timeout = \"300s\" }}\n"
        )
    };
    let out = run_on(dir.path(), "plan", "open.toml", &scenario(""));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("device.0.connection.max_age") && text.contains("[server] max_age or max_requests"),
        "{text}"
    );
    let out = run_on(
        dir.path(),
        "plan",
        "bounded.toml",
        &scenario("server = \"nginx\""),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("no maximum age"), "{text}");
}

/// Connections limited by requests, not by age, with clients busy enough
/// to reuse them (a request every 15 s, idle 75 s, 100 requests: up to 2 h
/// open): started from their stationary law, they give the same old share
/// with the shortest warm-up the checker accepts here (with no
/// DNS cache: twice the record's TTL), with the automatic one (which
/// covers their longest life) and with a long one, bucket by bucket within
/// 3 standard errors of the difference.
#[test]
fn request_limited_connections_start_stationary_whatever_the_warmup() {
    let scenario = |warmup: &str| {
        format!(
            r#"
[simulation]
duration = "30m"
warmup = "{warmup}"
bucket = "2m"
runs = 32
seed = 9
{RECORD}
[population]
households = 2000
requests_per_day = 5760
[[app]]
share = 1.0
policy = "none"
connection = {{ idle_timeout = "75s" }}
[server]
max_requests = 100
"#
        )
    };
    let long = simulate(&scenario("6h"));
    let parsed = cachesim::scenario::parse(&scenario("auto"), "t.toml", &[]).unwrap();
    let shortest = format!("{}ms", cachesim::scenario::warmup::shortest_exact(&parsed));
    assert_eq!(shortest, "600000ms");
    for warmup in [shortest.as_str(), "auto"] {
        let r = simulate(&scenario(warmup));
        for b in 0..r.time_s.len() {
            let (a, c) = (r.old_share[b], long.old_share[b]);
            // Each interval is mean ± t·se: the difference's se from both.
            let se = |e: cachesim::stats::Estimate| (e.hi - e.mean) / cachesim::stats::t_975(31);
            let z = (a.mean - c.mean) / (se(a).powi(2) + se(c).powi(2)).sqrt();
            assert!(
                z.abs() <= 3.0,
                "warm-up {warmup}, bucket at {} s: old share {:.5} against {:.5} with a 6 h warm-up (z = {z:.1})",
                r.time_s[b],
                a.mean,
                c.mean
            );
        }
    }
    assert!(
        long.old_share[5].mean > 0.3,
        "connections hold the old address at 10 min: {:?}",
        long.old_share[5]
    );
}
