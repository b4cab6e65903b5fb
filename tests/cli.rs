//! The `cachesim` binary end to end: result files and their columns,
//! byte-identical results across thread counts, and bad input refused with
//! exit status 2 and a message that names the problem.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cachesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cachesim"))
        .args(args)
        .output()
        .expect("runs")
}

const SMALL: &str = r#"
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

fn scenario_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn run_to(dir: &Path, scenario: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join(format!("out-{}", extra.join("-").replace(['=', '.'], "_")));
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let output = cachesim(&args);
    assert!(
        output.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

#[test]
fn run_writes_every_column_and_the_layers_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_file(dir.path(), "small.toml", SMALL);
    let out = run_to(dir.path(), &scenario, &[]);
    let mut reader = csv::Reader::from_path(out.join("timeseries.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let expected = [
        "time_s",
        "requests",
        "old_share",
        "old_share_lo",
        "old_share_hi",
        "clients_old_share",
        "old_via_connection",
        "old_via_app",
        "old_via_os",
        "old_via_router",
        "old_via_resolver",
        "old_via_authoritative",
    ];
    assert_eq!(header, expected);
    let rows: Vec<Vec<f64>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 12, "2 h in 10 min buckets");
    for row in &rows {
        let via: f64 = row[6..].iter().sum();
        assert!(
            (via - row[2]).abs() < 1e-12,
            "old_via_* add up to {via}, old_share is {}",
            row[2]
        );
        assert!(row[3] <= row[2] && row[2] <= row[4], "mean inside its interval");
        for v in &row[2..] {
            assert!((0.0..=1.0).contains(v), "share {v} outside [0, 1]");
        }
    }
    assert!(
        rows[0][2] > 0.01,
        "right after the change some requests still go to the old address"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    for key in [
        "scenario",
        "seed",
        "runs",
        "devices",
        "requests",
        "wall_time_s",
        "requests_per_s",
        "below",
        "last_old_request_s",
        "plan",
        "content_hash",
        "cachesim_version",
        "tail",
        "answered_at",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    for threshold in ["0.1", "0.01", "0.001", "0.0001"] {
        assert!(summary["below"].get(threshold).is_some(), "below.{threshold}");
    }
    assert_eq!(summary["runs"], 6);
    let requests: f64 = rows.iter().map(|r| r[1]).sum::<f64>() * 6.0;
    assert!(
        (requests - summary["requests"].as_f64().unwrap()).abs() < 0.5,
        "requests column sums to the total"
    );
    assert!(
        !out.join("addresses.csv").exists(),
        "one address each: no addresses.csv"
    );
}

/// summary.json without the fields that measure the machine, not the model.
fn stable_summary(path: &Path) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let map = v.as_object_mut().unwrap();
    map.remove("wall_time_s");
    map.remove("requests_per_s");
    v
}

#[test]
fn same_seed_same_bytes_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_file(dir.path(), "small.toml", SMALL);
    let one = run_to(dir.path(), &scenario, &["--threads", "1"]);
    let two = run_to(dir.path(), &scenario, &["--threads", "2"]);
    let again = run_to(dir.path(), &scenario, &["--threads", "3"]);
    let csv = |d: &Path| std::fs::read(d.join("timeseries.csv")).unwrap();
    assert_eq!(csv(&one), csv(&two));
    assert_eq!(csv(&one), csv(&again));
    assert_eq!(
        stable_summary(&one.join("summary.json")),
        stable_summary(&two.join("summary.json"))
    );
    let other_seed = run_to(dir.path(), &scenario, &["--seed", "4"]);
    assert_ne!(
        csv(&one),
        csv(&other_seed),
        "a different seed gives different runs"
    );
}

#[test]
fn set_overrides_keys_and_changes_the_content_hash() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_file(dir.path(), "small.toml", SMALL);
    let base = run_to(dir.path(), &scenario, &[]);
    let longer = run_to(
        dir.path(),
        &scenario,
        &["--set", "simulation.bucket=20m", "--set", "resolver.1.share=0.1"],
    );
    let rows = std::fs::read_to_string(longer.join("timeseries.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 1 + 6, "2 h in 20 min buckets");
    let hash = |d: &Path| stable_summary(&d.join("summary.json"))["content_hash"].clone();
    assert_ne!(hash(&base), hash(&longer));
}

/// Each bad input: the scenario text, extra arguments, and what the message must say.
#[test]
fn bad_input_is_refused_with_a_located_message() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, String, Vec<&str>, Vec<&str>)> = vec![
        (
            "toml syntax",
            SMALL.replace("runs = 6", "runs = = 6"),
            vec![],
            vec!["bad.toml:6", "not valid TOML"],
        ),
        (
            "unknown key",
            SMALL.replace("runs = 6", "runz = 6"),
            vec![],
            vec!["bad.toml:6", "unknown key `runz`", "did you mean `runs`"],
        ),
        (
            "unknown nested key",
            SMALL.replace("share = 0.9", "sahre = 0.9"),
            vec![],
            vec!["bad.toml:", "resolver.0.sahre", "did you mean `share`"],
        ),
        (
            "wrong type",
            SMALL.replace("runs = 6", "runs = \"six\""),
            vec![],
            vec!["bad.toml:6", "simulation.runs", "expected"],
        ),
        (
            "missing key",
            SMALL.replace("ttl = \"5m\"\n", ""),
            vec![],
            vec!["required key `record.ttl` is missing"],
        ),
        (
            "duration without unit",
            SMALL.replace("ttl = \"5m\"", "ttl = 300"),
            vec![],
            vec!["bad.toml:9", "record.ttl", "no unit", "\"300s\""],
        ),
        (
            "negative duration",
            SMALL.replace("duration = \"2h\"", "duration = \"-2h\""),
            vec![],
            vec!["simulation.duration", "positive"],
        ),
        (
            "zero bucket",
            SMALL.replace("bucket = \"10m\"", "bucket = \"0s\""),
            vec![],
            vec!["simulation.bucket", "longer than 0"],
        ),
        (
            "bucket beyond horizon",
            SMALL.replace("bucket = \"10m\"", "bucket = \"3h\""),
            vec![],
            vec!["simulation.bucket", "longer than simulation.duration"],
        ),
        (
            "share outside [0, 1]",
            SMALL.replace("share = 0.9", "share = 1.9"),
            vec![],
            vec!["resolver.0.share", "1.9", "0 to 1"],
        ),
        (
            "shares not adding up",
            SMALL.replace("share = 0.9", "share = 0.8"),
            vec![],
            vec!["add up to 0.9", "must add up to 1"],
        ),
        (
            "unknown preset",
            SMALL.replace("\"unbound\"", "\"unbond\""),
            vec![],
            vec![
                "bad.toml:",
                "unknown preset \"unbond\"",
                "did you mean \"unbound\"",
                "known presets:",
            ],
        ),
        (
            "empty address list",
            SMALL.replace("old = [\"203.0.113.10\"]", "old = []"),
            vec![],
            vec!["record.old", "is empty"],
        ),
        (
            "invalid address",
            SMALL.replace("203.0.113.10", "203.0.113.300"),
            vec![],
            vec!["record.old.0", "not an IPv4 or IPv6 address"],
        ),
        (
            "nothing changes",
            SMALL.replace("198.51.100.20", "203.0.113.10"),
            vec![],
            vec!["record.new", "nothing would change"],
        ),
        (
            "zero runs",
            SMALL.replace("runs = 6", "runs = 0"),
            vec![],
            vec!["simulation.runs", "1 to 100000"],
        ),
        (
            "zero households",
            SMALL.replace("households = 2000", "households = 0"),
            vec![],
            vec!["population.households"],
        ),
        (
            "unknown distribution",
            SMALL.replace("lognormal = {", "lognormol = {"),
            vec![],
            vec!["unknown distribution `lognormol`", "did you mean `lognormal`"],
        ),
        (
            "bad override",
            SMALL.to_string(),
            vec!["--set", "record.ttl=5"],
            vec!["--set record.ttl=5", "no unit"],
        ),
        (
            "too many pools",
            SMALL.replace(
                "[[os]]\nshare = 1.0\npolicy = \"windows\"\n",
                &"[[os]]\nshare = 0.00390625\npolicy = \"windows\"\n".repeat(256),
            ),
            vec![],
            vec!["bad.toml:", "256 [[os]] entries", "at most 255"],
        ),
        (
            "override index out of range",
            SMALL.to_string(),
            vec!["--set", "resolver.5.share=1"],
            vec!["resolver", "out of range"],
        ),
        (
            "bad tolerance",
            SMALL.to_string(),
            vec!["--tolerance", "2"],
            vec!["--tolerance 2"],
        ),
    ];
    for (what, text, extra, needles) in cases {
        let path = scenario_file(dir.path(), "bad.toml", &text);
        let command = if extra.first() == Some(&"--tolerance") {
            "plan"
        } else {
            "run"
        };
        let mut args = vec![
            command,
            path.to_str().unwrap(),
            "--quiet",
            "--out",
            dir.path().to_str().unwrap(),
        ];
        args.extend_from_slice(&extra);
        let output = cachesim(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{what}: exit status; stderr: {stderr}"
        );
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{what}: message lacks {needle:?}: {stderr}"
            );
        }
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    }
}

#[test]
fn unwritable_results_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_file(dir.path(), "small.toml", SMALL);
    let blocker = scenario_file(dir.path(), "a-file", "");
    let out = blocker.join("results");
    let output = cachesim(&[
        "run",
        scenario.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot create the results folder") && stderr.contains("--out"),
        "{stderr}"
    );
}

/// RFC 2181 §8: a TTL with the top bit set is treated as 0; say so.
#[test]
fn ttl_beyond_rfc_2181_is_treated_as_zero_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let text = SMALL.replace("ttl = \"5m\"", "ttl = \"3000000000s\"");
    let scenario = scenario_file(dir.path(), "big-ttl.toml", &text);
    let out = dir.path().join("out");
    let output = cachesim(&[
        "run",
        scenario.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("RFC 2181") && stderr.contains("big-ttl.toml:9"),
        "{stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["ttl_s"], 0.0);
    assert_eq!(summary["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn missing_scenario_file_is_refused() {
    let output = cachesim(&["run", "no/such/scenario.toml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no/such/scenario.toml") && stderr.contains("cannot read"),
        "{stderr}"
    );
}

#[test]
fn presets_lists_every_preset_with_its_source() {
    let output = cachesim(&["presets"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for p in cachesim::policy::PRESETS {
        assert!(text.contains(p.name), "{} missing", p.name);
        assert!(text.contains(p.source), "{} source missing", p.name);
    }
}

/// One pool pinning answers 24 h and nothing else caching: the plan's answer
/// is 24 h (plus at most the time a cache waits for its next request), within
/// one bucket.
#[test]
fn plan_answers_24h_for_a_24h_pin() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
name = "pin"
[simulation]
duration = "30h"
bucket = "10m"
runs = 8
seed = 5
[record]
ttl = "5m"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 2000
requests_per_day = 500
[[resolver]]
share = 1.0
instances = 20
policy = "isp-pin-24h"
"#;
    let path = scenario_file(dir.path(), "pin.toml", text);
    let out = dir.path().join("out");
    let output = cachesim(&["plan", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Keep the old server for at least"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let retire = summary["plan"]["retire_after_s"].as_f64().unwrap();
    assert!(
        (86_400.0..=86_400.0 + 600.0).contains(&retire),
        "retire after {retire} s, expected 24 h within one 10 min bucket"
    );
    // Fewer than one lost request: the bucket after the last old request of the slowest runs.
    let output = cachesim(&[
        "plan",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--max-lost",
        "1",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let lossless = summary["plan"]["retire_after_s"].as_f64().unwrap();
    let last_old = summary["last_old_request_s"]["max_s"].as_f64().unwrap();
    assert!(
        lossless > last_old - 600.0 && lossless >= retire,
        "no-loss answer {lossless} s, last old request {last_old} s"
    );
    assert_eq!(summary["plan"]["max_lost"], 1);
    // A horizon shorter than the answer: say so and name a duration to try, never guess.
    let output = cachesim(&[
        "plan",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--set",
        "simulation.duration=12h",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("too short") && stdout.contains("simulation.duration=24h"),
        "{stdout}"
    );
}

#[test]
fn sweep_over_ttl_grows_the_answer_and_chart_redraws() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("sweep");
    let output = cachesim(&[
        "sweep",
        path.to_str().unwrap(),
        "--vary",
        "record.ttl=1m,10m,40m",
        "--quiet",
        "--set",
        "resolver.1.policy=honour",
        "--set",
        "simulation.duration=3h",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut reader = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let retire: Vec<f64> = reader.records().map(|r| r.unwrap()[1].parse().unwrap()).collect();
    assert_eq!(retire.len(), 3);
    assert!(
        retire[0] < retire[1] && retire[1] < retire[2],
        "retirement grows with the TTL: {retire:?}"
    );
    assert!(out.join("sweep.png").exists() && out.join("sweep.svg").exists());

    // A bad value anywhere in the sweep is refused before anything is simulated.
    let bad_out = dir.path().join("bad-sweep");
    let output = cachesim(&[
        "sweep",
        path.to_str().unwrap(),
        "--vary",
        "record.ttl=1m,10,40m",
        "--quiet",
        "--out",
        bad_out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no unit"));
    assert!(!bad_out.join("sweep.csv").exists());

    // `chart` redraws a results folder from its files.
    let results = run_to(dir.path(), &path, &[]);
    std::fs::remove_file(results.join("old_share.png")).unwrap();
    let output = cachesim(&["chart", results.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let png = std::fs::read(results.join("old_share.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    let output = cachesim(&["chart", dir.path().join("nothing-here").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is this a cachesim results folder"));
}
