//! Helpers shared by the integration tests: run a scenario given as text
//! through the library, and compare means with tolerances from the runs.

#![allow(dead_code)]

use cachesim::engine::{self, Model, Shortcuts};
use cachesim::scenario;
use cachesim::stats::{t_975, Moments, Results};
use std::sync::atomic::AtomicBool;

pub fn simulate(text: &str) -> Results {
    let s = scenario::parse(text, "test.toml", &[]).expect("test scenario is valid");
    let runs = s.runs;
    let bucket = s.bucket;
    let addresses = s.record.addresses.clone();
    let model = Model::new(s);
    let tallies = engine::simulate(&model, runs, &AtomicBool::new(false), &|_| {}).expect("not interrupted");
    Results::from_tallies(&tallies, bucket, addresses, model.causes.clone())
}

/// Each run's raw counts, with busy devices run ahead (`run_ahead`, the
/// default) or every request in one stream.
pub fn run_tallies(text: &str, run_ahead: bool) -> Vec<engine::Tally> {
    run_tallies_with(
        text,
        &[],
        Shortcuts {
            run_ahead,
            ..Shortcuts::default()
        },
    )
}

/// Each run's raw counts, with `overrides` (as `--set` takes them) applied
/// to the scenario, simulated with `shortcuts`.
pub fn run_tallies_with(text: &str, overrides: &[&str], shortcuts: Shortcuts) -> Vec<engine::Tally> {
    let overrides: Vec<scenario::Override> = overrides
        .iter()
        .map(|o| scenario::Override::parse(o).expect("test override is valid"))
        .collect();
    let s = scenario::parse(text, "test.toml", &overrides).expect("test scenario is valid");
    let runs = s.runs;
    let model = Model::with(s, shortcuts);
    engine::simulate(&model, runs, &AtomicBool::new(false), &|_| {}).expect("not interrupted")
}

/// The allowed gap between a mean over runs and its expected value: `z`
/// times the standard error estimated from the runs (Student's t at 95 %
/// scaled up so that a whole table of comparisons rarely fails by chance),
/// plus `bias` where the oracle itself is an approximation.
pub fn tolerance(per_run: &[f64], bias: f64) -> f64 {
    let mut m = Moments::default();
    per_run.iter().for_each(|&x| m.add(x));
    let standard_error = m.std_dev() / (m.n as f64).sqrt();
    // t(0.975) ≈ 2 for our run counts; doubling it gives ~4 standard errors.
    2.0 * t_975(m.n - 1) * standard_error + bias
}

/// Each run's old share in bucket `b`.
pub fn run_shares(r: &Results, b: usize) -> Vec<f64> {
    r.run_shares.iter().map(|s| s[b]).collect()
}

/// The mean of `f` over the bucket `[a, a + len)`, by Simpson's rule on a fine grid.
pub fn bucket_mean(f: impl Fn(f64) -> f64, a: f64, len: f64) -> f64 {
    let n = 1000;
    let h = len / n as f64;
    let mut sum = f(a) + f(a + len);
    for i in 1..n {
        sum += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0 / len
}

/// Checks every bucket's mean old share against `expected(t)` (t in seconds,
/// averaged over the bucket), within the tolerance from the runs plus `bias`
/// where the expectation is itself an approximation. Returns the largest error.
pub fn check_series(r: &Results, expected: impl Fn(f64) -> f64, bias: f64, what: &str) -> f64 {
    let bucket_s = r.bucket as f64 / 1000.0;
    let mut worst: f64 = 0.0;
    for b in 0..r.time_s.len() {
        let want = bucket_mean(&expected, r.time_s[b], bucket_s);
        let got = r.old_share[b].mean;
        let tol = tolerance(&run_shares(r, b), bias);
        worst = worst.max((got - want).abs());
        assert!(
            (got - want).abs() <= tol,
            "{what}: bucket at {} s: old share {got:.5}, expected {want:.5} ± {tol:.5}",
            r.time_s[b]
        );
    }
    eprintln!("{what}: largest error {worst:.5}");
    worst
}

/// summary.json without the fields that measure the machine, not the model.
pub fn stable_summary(path: &std::path::Path) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let map = v.as_object_mut().unwrap();
    map.remove("wall_time_s");
    map.remove("requests_per_s");
    v
}

/// Every file of a folder (and its subfolders) with the SHA-256 of its bytes:
/// what a command that must not touch the folder leaves the same.
pub fn digests(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, String> {
    use sha2::{Digest, Sha256};
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let digest = Sha256::digest(std::fs::read(&path).unwrap());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), hex);
            }
        }
    }
    out
}

/// Runs the `cachesim` binary with `args`.
pub fn cachesim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cachesim"))
        .args(args)
        .output()
        .expect("runs")
}

/// Asserts that a cachesim process exited 0, showing what it said if not.
pub fn assert_succeeded(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A small valid scenario the command-line tests edit.
pub const SMALL: &str = r#"
name = "small"
[simulation]
duration = "2h"
bucket = "10m"
runs = 6
seed = 3
[record]
ttl = "5m"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 2000
devices_per_household = 2
requests_per_day = { lognormal = { median = 40, sigma = 1.0 } }
[[resolver]]
share = 0.9
instances = 20
policy = "unbound"
[[resolver]]
share = 0.1
instances = 4
policy = "isp-min-1h"
[[router]]
share = 1.0
policy = "dnsmasq"
[[os]]
share = 1.0
policy = "windows"
[[app]]
share = 0.5
policy = "firefox-legacy"
connection = { idle_timeout = "115s" }
[[app]]
share = 0.5
policy = "ie"
"#;

/// Headless Chromium as it runs on a machine with no network: no sandbox
/// (root in CI), no GPU, and none of its background connections.
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];
