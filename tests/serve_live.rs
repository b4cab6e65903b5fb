//! `cachesim serve --watch-old/--watch-new`: lines appended to the logs are
//! counted within seconds, through a rotation; and on logs simulated from a
//! known scenario, played back faster than real time, the projection holds
//! the true plan within its interval once half the tail has been observed,
//! while the page says the curve left the file's predicted band, upwards.

use crate::common::{assert_succeeded, cachesim};
// The truth: 5 % of households behind caches pinning 6 h.
use crate::fit::TRUTH;
use crate::serve::Server;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// When the record changed in these logs (seconds since the epoch).
const CHANGE: i64 = 1_700_000_000;

fn append(path: &Path, lines: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(lines.as_bytes()).unwrap();
}

/// JSON lines at these seconds after the change.
fn lines(at: impl Iterator<Item = f64>) -> String {
    at.map(|t| format!("{{\"time\": {:.3}}}\n", CHANGE as f64 + t))
        .collect()
}

/// `cachesim serve SCENARIO_ARGS` watching two empty logs in `dir` (the
/// old server's and the new one's) changed at [`CHANGE`], with `watch_args`.
fn watching(dir: &Path, scenario_args: &[&str], watch_args: &[&str]) -> (Server, PathBuf, PathBuf) {
    let (old, new) = (dir.join("old.log"), dir.join("new.log"));
    append(&old, "");
    append(&new, "");
    let change = CHANGE.to_string();
    let logs = [
        "--watch-old",
        old.to_str().unwrap(),
        "--watch-new",
        new.to_str().unwrap(),
        "--change-at",
        &change,
    ];
    let server = Server::start(&[scenario_args, &logs, watch_args].concat());
    (server, old, new)
}

/// Polls the live view until `done` holds (or panics after `within`).
fn wait_for(server: &Server, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let (status, text) = server.get("/api/live");
        assert_eq!(status, 200, "{text}");
        let view: Value = serde_json::from_str(&text).unwrap();
        if done(&view) {
            return view;
        }
        assert!(started.elapsed() < within, "not within {within:?}: {view:#}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn lines_appended_to_the_logs_are_counted_within_seconds_through_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = [
        "scenarios/api-migration.toml",
        "--set",
        "population.households=2000",
        "--runs",
        "4",
    ];
    let (server, old, new) = watching(dir.path(), &scenario, &["--bucket", "10s"]);
    append(&old, &lines([-10.0].into_iter()));
    // Seconds, with room for a machine busy with other tests.
    let soon = Duration::from_secs(15);
    let view = wait_for(&server, soon, |v| v["before_change"] == 1);
    assert_eq!(view["requests"], 0);
    append(&old, &lines((0..30).map(|i| i as f64)));
    append(&new, &lines((0..70).map(|i| i as f64 * 0.5)));
    let view = wait_for(&server, soon, |v| v["requests"] == 100);
    assert_eq!(view["old_requests"], 30);
    // logrotate: the old log renamed, a new one in its place.
    append(&old, &lines([31.0, 32.0].into_iter()));
    std::fs::rename(&old, dir.path().join("old.log.1")).unwrap();
    append(&old, &lines([33.0].into_iter()));
    append(&old, "not a log line\n");
    let view = wait_for(&server, soon, |v| v["requests"] == 103 && v["bad_lines"] == 1);
    assert_eq!(view["old_requests"], 33);
    // The predicted band and its chart come once the scenario is simulated.
    let view = wait_for(&server, Duration::from_secs(60), |v| {
        v["charts"]["live"].is_string()
    });
    assert!(
        view["band"]["text"].as_str().unwrap().contains("band"),
        "{view:#}"
    );
}

#[test]
fn the_projection_holds_the_true_plan_once_half_the_tail_is_observed() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fit-example.toml");
    let example = example.to_str().unwrap();
    let sets: Vec<&str> = TRUTH.iter().flat_map(|t| ["--set", t]).collect();
    // The true plan: the truth simulated over many runs.
    let truth_dir = dir.path().join("truth");
    let mut args = vec!["plan", example, "--quiet", "--out", truth_dir.to_str().unwrap()];
    args.extend(&sets);
    assert_succeeded(&cachesim(&args));
    let summary: Value =
        serde_json::from_slice(&std::fs::read(truth_dir.join("summary.json")).unwrap()).unwrap();
    let truth = summary["plan"]["retire_after_s"].as_f64().unwrap();
    // One run of it: the requests a team's logs would show, bucket by bucket.
    let run_dir = dir.path().join("run");
    let mut args = vec![
        "run",
        example,
        "--quiet",
        "--runs",
        "1",
        "--seed",
        "801",
        "--out",
        run_dir.to_str().unwrap(),
    ];
    args.extend(&sets);
    assert!(matches!(cachesim(&args).status.code(), Some(0 | 4)));
    let mut buckets = Vec::new();
    for r in csv::Reader::from_path(run_dir.join("timeseries.csv"))
        .unwrap()
        .records()
    {
        let r = r.unwrap();
        let (t, n, share): (f64, f64, f64) = (
            r[0].parse().unwrap(),
            r[1].parse().unwrap(),
            r[2].parse().unwrap(),
        );
        buckets.push((t, n as usize, (n * share).round() as usize));
    }
    let believed = [
        example,
        "--set",
        "population.households=8000",
        "--set",
        "resolver.0.share=0.95",
        "--set",
        "resolver.1.share=0.05",
        "--set",
        "resolver.1.instances=20",
    ];
    let refit = [
        "--bucket",
        "5m",
        "--free",
        "resolver.1.policy.fixed_ttl=1h..12h",
        "--refit-every",
        "1s",
    ];
    let (server, old, new) = watching(dir.path(), &believed, &refit);
    // Played back half an hour of logs at a time, each bucket's requests
    // spread over it: up to half the tail (the true plan's half), then on
    // to three quarters of it.
    let mut played = buckets.iter().peekable();
    let mut widths = Vec::new();
    for part in [0.5, 0.75] {
        let upto = truth * part;
        while let Some((t, n, k)) = played.next_if(|(t, _, _)| *t < upto) {
            let at = |of: usize| (0..of).map(move |j| t + 300.0 * (j as f64 + 0.5) / of as f64);
            append(&old, &lines(at(*k)));
            append(&new, &lines(at(n - k)));
            if (*t as i64) % 1800 == 1500 {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        // One request past it, so the last bucket before it is complete.
        append(&new, &lines([upto + 1.0].into_iter()));
        let view = wait_for(&server, Duration::from_secs(300), |v| {
            v["projection"]["logs_end_s"]
                .as_f64()
                .is_some_and(|end| end >= upto - 300.0)
                && v["refitting"] == false
        });
        let p = &view["projection"];
        let (lo, hi) = (
            p["earliest_s"].as_f64().unwrap(),
            p["retire_after_s"].as_f64().unwrap(),
        );
        eprintln!(
            "true plan {truth} s; projected {lo}..{hi} s from logs to {} s",
            p["logs_end_s"]
        );
        assert!(
            lo <= truth && truth <= hi,
            "the projection's interval holds the true plan: {p:#}"
        );
        assert!(lo >= upto - 600.0, "not before the logs' old requests end: {p:#}");
        assert_eq!(p["refitted"], true);
        // The share of the wait (to the interval's end) the logs do not cover.
        let extrapolated = p["extrapolated_share"].as_f64().unwrap();
        let end = p["logs_end_s"].as_f64().unwrap();
        assert!((extrapolated - (hi - end) / hi).abs() < 1e-9, "{extrapolated}");
        assert!(p["text"].as_str().unwrap().contains("extrapolation"), "{p:#}");
        // The file's pins last 3 h, the truth's 6 h: past 3 h the logs show
        // more old requests than the file predicts, and the page says so.
        assert_eq!(view["band"]["status"], "above", "{:#}", view["band"]);
        widths.push((hi - lo, extrapolated));
    }
    assert!(
        widths[1].0 < widths[0].0,
        "more of the tail observed, a narrower projection: {widths:?}"
    );
    assert!(
        widths[1].1 < widths[0].1,
        "and less of it extrapolated: {widths:?}"
    );
}
