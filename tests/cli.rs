//! The `cachesim` binary end to end: result files and their columns,
//! byte-identical results across thread counts, and bad input refused with
//! exit status 2 and a message that names the problem.

use crate::common::{assert_succeeded, cachesim, stable_summary, SMALL};
use std::path::{Path, PathBuf};

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
        "old_cause_connection",
        "old_cause_app",
        "old_cause_os",
        "old_cause_router",
        "old_cause_resolver",
        "old_cause_authoritative",
        "old_cause_ttl",
    ];
    assert_eq!(header, expected);
    let rows: Vec<Vec<f64>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 12, "2 h in 10 min buckets");
    for row in &rows {
        let via: f64 = row[6..12].iter().sum();
        assert!(
            (via - row[2]).abs() < 1e-12,
            "old_via_* add up to {via}, old_share is {}",
            row[2]
        );
        let cause: f64 = row[12..19].iter().sum();
        assert!(
            (cause - row[2]).abs() < 1e-12,
            "old_cause_* add up to {cause}, old_share is {}",
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
    assert_eq!(output.status.code(), Some(3), "cannot write: {stderr}");
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
instances = 200
policy = "isp-pin-24h"
"#;
    // 200 pins, refetched within seconds of expiring: over 8 runs the last
    // expires in the last 10 min before 24 h but with chance
    // (1 − 10/1440)^1600 < 2e-5.
    let path = scenario_file(dir.path(), "pin.toml", text);
    let out = dir.path().join("out");
    let output = cachesim(&["plan", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_succeeded(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("Keep the old server 24 h"), "{stdout}");
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
    assert_succeeded(&output);
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
        "--replace",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("The old server cannot go within the 12 h simulated")
            && stdout.contains("simulation.duration=24h"),
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
    assert_succeeded(&output);
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
    assert_succeeded(&output);
    let png = std::fs::read(results.join("old_share.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    let output = cachesim(&["chart", dir.path().join("nothing-here").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is this a cachesim results folder"));
}

#[test]
fn completions_and_the_manual_page_cover_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let output = cachesim(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        for command in [
            "run", "plan", "sweep", "chart", "presets", "merge", "slurm", "compare",
        ] {
            assert!(script.contains(command), "{shell} completions lack {command}");
        }
    }
    let output = cachesim(&["man"]);
    assert!(output.status.success());
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(page.contains(".TH cachesim 1") && page.contains("plan"), "{page}");
    let unknown = cachesim(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn docs_presets_is_what_the_presets_command_writes() {
    let output = cachesim(&["presets", "--markdown"]);
    assert!(output.status.success());
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/presets.md")).unwrap();
    assert!(
        docs == String::from_utf8_lossy(&output.stdout),
        "docs/presets.md is out of date: cargo run --release -- presets --markdown > docs/presets.md"
    );
}

/// A keep-alive connection with no maximum age leaves the tail without an
/// end: the plan names it instead of asking for a longer horizon again and
/// again; with a maximum age, a longer horizon is the cure it offers.
#[test]
fn an_unbounded_tail_is_named_not_chased() {
    let dir = tempfile::tempdir().unwrap();
    let text = |connection: &str| {
        format!(
            r#"
name = "busy"
[simulation]
duration = "1h"
bucket = "5m"
runs = 4
[record]
ttl = "5m"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 500
devices_per_household = 1
requests_per_day = 20000
[[resolver]]
share = 1.0
instances = 10
policy = "unbound"
[[app]]
share = 1.0
policy = "chrome"
connection = {connection}
"#
        )
    };
    let plan = |name: &str, connection: &str| {
        let path = scenario_file(dir.path(), name, &text(connection));
        let out = dir.path().join(format!("{name}-results"));
        let output = cachesim(&["plan", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        // An answer (0), or none within the horizon (4): both say why.
        assert!(matches!(output.status.code(), Some(0 | 4)), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let open = plan("open.toml", r#"{ idle_timeout = "300s" }"#);
    assert!(
        open.contains("a longer horizon may never be enough") && open.contains("connection.max_age"),
        "{open}"
    );
    assert!(!open.contains("simulate longer"), "{open}");
    let capped = plan("capped.toml", r#"{ idle_timeout = "300s", max_age = "3h" }"#);
    assert!(
        capped.contains("simulate longer, simulation.duration=2h"),
        "{capped}"
    );
}
