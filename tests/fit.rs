//! `cachesim observe` and `cachesim fit`: logs into a curve, bad lines
//! counted and named; a fit that recovers values it was hidden from a
//! different seed and population, with 95 % intervals that hold them; "cannot
//! tell" for a key that changes nothing; bad input refused.

use crate::common::{assert_succeeded, cachesim};
use std::path::{Path, PathBuf};

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fit-example.toml")
}

/// One simulated run of the example with the truth set, as an observed
/// curve: the counts a team's logs would have given.
fn observed_from(dir: &Path, seed: u64, truth: &[&str]) -> PathBuf {
    let out = dir.join(format!("truth-{seed}"));
    let seed = seed.to_string();
    let scenario = example();
    let mut args = vec![
        "run",
        p(&scenario),
        "--quiet",
        "--runs",
        "1",
        "--seed",
        &seed,
        "--out",
        p(&out),
    ];
    for t in truth {
        args.extend_from_slice(&["--set", t]);
    }
    // 4: one run may not settle within the horizon; its curve is written.
    assert!(matches!(cachesim(&args).status.code(), Some(0 | 4)));
    let mut reader = csv::Reader::from_path(out.join("timeseries.csv")).unwrap();
    let mut text = String::from("time_s,requests,old_requests\n");
    for r in reader.records() {
        let r = r.unwrap();
        let n: f64 = r[1].parse().unwrap();
        let share: f64 = r[2].parse().unwrap();
        text.push_str(&format!("{},{},{}\n", &r[0], n, (n * share).round()));
    }
    let path = dir.join(format!("observed-{seed}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

fn fit_json(dir: &Path, observed: &Path, args: &[&str]) -> serde_json::Value {
    let out = dir.join("fit");
    let scenario = example();
    let mut all = vec![
        "fit",
        p(&scenario),
        "--quiet",
        "--observed",
        p(observed),
        "--out",
        p(&out),
    ];
    all.extend_from_slice(args);
    let output = cachesim(&all);
    assert_succeeded(&output);
    serde_json::from_slice(&std::fs::read(out.join("fit.json")).unwrap()).unwrap()
}

/// The truth: 5 % of households behind caches pinning 6 h, observed on
/// 12,000 households (30 pinning caches); the fit simulates 8,000 (20).
pub const TRUTH: [&str; 6] = [
    "population.households=12000",
    "resolver.0.share=0.95",
    "resolver.1.share=0.05",
    "resolver.1.instances=30",
    "resolver.1.policy.fixed_ttl=6h",
    "simulation.duration=8h",
];

#[test]
fn fit_recovers_a_hidden_share_and_its_intervals_hold_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut covered = 0;
    let mut errors = Vec::new();
    let trials = 6;
    for seed in 301..301 + trials {
        let observed = observed_from(dir.path(), seed, &TRUTH);
        let fit = fit_json(
            dir.path(),
            &observed,
            &[
                "--free",
                "resolver.1.share=0.01..0.3",
                "--set",
                "population.households=8000",
                "--set",
                "resolver.1.policy.fixed_ttl=6h",
            ],
        );
        let share = &fit["free"]["resolver.1.share"];
        let (v, lo, hi) = (
            share["value"].as_f64().unwrap(),
            share["lo"].as_f64().unwrap(),
            share["hi"].as_f64().unwrap(),
        );
        covered += usize::from(lo <= 0.05 && 0.05 <= hi);
        errors.push((v - 0.05).abs() / 0.05);
        assert!(fit["evaluations"].as_u64().unwrap() > 10);
    }
    let mean_error = errors.iter().sum::<f64>() / errors.len() as f64;
    eprintln!("share: {covered}/{trials} intervals hold 0.05; mean error {mean_error:.3}");
    // 95 % intervals: at least 5 of 6 (fewer has probability 3 % if they are right).
    assert!(covered >= 5, "{covered} of {trials}");
    assert!(mean_error < 0.15, "{errors:?}");
}

#[test]
fn fit_recovers_a_share_and_a_lifetime_together() {
    let dir = tempfile::tempdir().unwrap();
    let observed = observed_from(dir.path(), 401, &TRUTH);
    let fit = fit_json(
        dir.path(),
        &observed,
        &[
            "--free",
            "resolver.1.share=0.01..0.3",
            "--free",
            "resolver.1.policy.fixed_ttl=1h..12h",
            "--set",
            "population.households=8000",
        ],
    );
    let share = &fit["free"]["resolver.1.share"];
    assert!(
        share["lo"].as_f64().unwrap() <= 0.05 && 0.05 <= share["hi"].as_f64().unwrap(),
        "{share}"
    );
    let ttl = &fit["free"]["resolver.1.policy.fixed_ttl"];
    let hours = |v: &serde_json::Value| {
        cachesim::duration::parse_duration(v.as_str().unwrap()).unwrap() as f64 / 3.6e6
    };
    assert!(hours(&ttl["lo"]) <= 6.0 && 6.0 <= hours(&ttl["hi"]), "{ttl}");
    assert!((hours(&ttl["value"]) - 6.0).abs() < 0.6, "{ttl}");
    // The model fits: no lack-of-fit warning on a curve it made itself.
    assert!(
        !fit["warnings"].to_string().contains("does not explain"),
        "{}",
        fit["warnings"]
    );
    // The plan's range over the fit's intervals holds the truth's own plan.
    let truth_dir = dir.path().join("truth-plan");
    let scenario = example();
    let mut args = vec![
        "run",
        p(&scenario),
        "--quiet",
        "--runs",
        "16",
        "--out",
        p(&truth_dir),
    ];
    for t in TRUTH {
        args.extend_from_slice(&["--set", t]);
    }
    assert!(cachesim(&args).status.success());
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(truth_dir.join("summary.json")).unwrap()).unwrap();
    let truth_go = truth["plan"]["estimate_s"].as_f64().unwrap();
    let plan = &fit["plan"];
    let (earliest, latest) = (
        plan["earliest_s"].as_f64().unwrap(),
        plan["retire_after_s"].as_f64().unwrap(),
    );
    eprintln!("truth's plan {truth_go} s; fit's plan {earliest} s to {latest} s");
    assert!(
        earliest <= truth_go && truth_go <= latest,
        "truth {truth_go}, fit {plan}"
    );
    assert_eq!(plan["extrapolated"], false, "{plan}");
    // fitted.toml is the user's file with the fitted values: comments,
    // order and units kept, the logs' bucket and length not written in.
    let fitted = std::fs::read_to_string(dir.path().join("fit/fitted.toml")).unwrap();
    let original = std::fs::read_to_string(example()).unwrap();
    assert!(fitted.contains("# Fitted by cachesim fit"), "{fitted}");
    assert!(
        fitted.contains("policy = { fixed_ttl = \"") && fitted.contains("# free in the fit"),
        "{fitted}"
    );
    assert!(
        fitted.contains("bucket = \"5m\"") && fitted.contains("duration = \"12h\""),
        "{fitted}"
    );
    let kept = |text: &str| text.lines().filter(|l| l.trim_start().starts_with('#')).count();
    assert!(kept(&fitted) >= kept(&original), "comments dropped:\n{fitted}");
    for chart in ["fit.png", "fit_log.svg"] {
        assert!(dir.path().join("fit").join(chart).is_file(), "{chart}");
    }
}

/// One free key, a curve the truth made, cut or changed.
fn fit_share(dir: &Path, observed: &Path) -> serde_json::Value {
    fit_json(
        dir,
        observed,
        &[
            "--free",
            "resolver.1.share=0.01..0.1",
            "--set",
            "population.households=8000",
            "--set",
            "resolver.1.policy.fixed_ttl=6h",
        ],
    )
}

/// The observed curve at `path` with each row changed by `change(row, time_s, requests, old)`.
fn rewrite(path: &Path, to: &Path, change: impl Fn(f64, f64, f64) -> Option<(f64, f64)>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::from("time_s,requests,old_requests\n");
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        if let Some((n, k)) = change(v[0], v[1], v[2]) {
            out.push_str(&format!("{},{n},{k}\n", v[0]));
        }
    }
    std::fs::write(to, out).unwrap();
}

#[test]
fn logs_that_end_before_the_tail_make_an_extrapolated_plan() {
    let dir = tempfile::tempdir().unwrap();
    let observed = observed_from(dir.path(), 601, &TRUTH);
    let cut = dir.path().join("first-3h.csv");
    rewrite(&observed, &cut, |t, n, k| (t < 3.0 * 3600.0).then_some((n, k)));
    let fit = fit_share(dir.path(), &cut);
    let warnings = fit["warnings"].to_string();
    assert!(
        warnings.contains("the logs end 3 h after the change"),
        "{warnings}"
    );
    assert_eq!(fit["plan"]["extrapolated"], true);
    assert_eq!(fit["plan"]["logs_end_s"], 10800.0);
    assert!(
        fit["plan"]["horizon_s"].as_f64().unwrap() >= 12.0 * 3600.0,
        "{}",
        fit["plan"]
    );
    assert!(!warnings.contains("does not explain"), "{warnings}");
}

#[test]
fn a_curve_the_model_cannot_make_is_called_so() {
    let dir = tempfile::tempdir().unwrap();
    let observed = observed_from(dir.path(), 701, &TRUTH);
    // 40 % of requests old for the first 40 minutes: no share of 6 h pins
    // within the range makes that, and the TTL's 5 min cannot.
    let bent = dir.path().join("bent.csv");
    rewrite(&observed, &bent, |t, n, k| {
        Some((n, if t < 2400.0 { (0.4 * n).round() } else { k }))
    });
    let fit = fit_share(dir.path(), &bent);
    let warnings = fit["warnings"].to_string();
    assert!(
        warnings.contains("does not explain the observed curve"),
        "{warnings}"
    );
    let lack = &fit["lack_of_fit"];
    assert!(
        lack["statistic"].as_f64().unwrap()
            > lack["expected"].as_f64().unwrap() + 3.1 * lack["spread"].as_f64().unwrap(),
        "{lack}"
    );
}

#[test]
fn fit_json_prints_what_fit_json_holds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fit");
    let output = cachesim(&[
        "fit",
        p(&example()),
        "--json",
        "--observed",
        p(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fit-example-observed.csv")),
        "--free",
        "resolver.1.share=0.01..0.3",
        "--runs",
        "4",
        "--out",
        p(&out),
    ]);
    assert_succeeded(&output);
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("fit.json")).unwrap()).unwrap();
    assert_eq!(printed, written);
    assert!(
        printed["decision"][0]
            .as_str()
            .unwrap()
            .starts_with("Keep the old server"),
        "{printed}"
    );
}

#[test]
fn a_key_that_changes_nothing_is_called_so() {
    let dir = tempfile::tempdir().unwrap();
    let observed = observed_from(dir.path(), 501, &TRUTH);
    let fit = fit_json(
        dir.path(),
        &observed,
        &[
            "--free",
            "authoritative.notify_delay=1s..60s",
            "--set",
            "authoritative.notify_delay=5s",
            "--set",
            "population.households=4000",
            "--set",
            "resolver.0.share=0.95",
            "--set",
            "resolver.1.share=0.05",
            "--set",
            "resolver.1.policy.fixed_ttl=6h",
        ],
    );
    let warnings = fit["warnings"].to_string();
    assert!(
        warnings.contains("cannot tell authoritative.notify_delay"),
        "{warnings}"
    );
}

fn refused(args: &[&str], needle: &str) {
    let output = cachesim(args);
    assert_eq!(output.status.code(), Some(2), "{args:?}");
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains(needle), "{args:?}: {message}");
}

#[test]
fn fit_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let observed = observed_from(dir.path(), 601, &["simulation.duration=1h"]);
    let (s, o) = (p(&example()).to_string(), p(&observed).to_string());
    let fit = |free: &str| {
        vec![
            "fit".to_string(),
            s.clone(),
            "--observed".into(),
            o.clone(),
            "--free".into(),
            free.into(),
        ]
    };
    for (free, needle) in [
        ("resolver.7.share=0..1", "no key resolver.7.share"),
        ("record.old=1..2", "not a number or a duration"),
        ("resolver.1.share=0.3..0.1", "LO < HI"),
    ] {
        let args = fit(free);
        refused(&args.iter().map(String::as_str).collect::<Vec<_>>(), needle);
    }
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "time_s,requests,old_requests\n0,10,2\n60,x,1\n").unwrap();
    refused(
        &[
            "fit",
            &s,
            "--observed",
            p(&bad),
            "--free",
            "resolver.1.share=0..1",
        ],
        "line 3",
    );
    std::fs::write(&bad, "").unwrap();
    refused(
        &[
            "fit",
            &s,
            "--observed",
            p(&bad),
            "--free",
            "resolver.1.share=0..1",
        ],
        "bad.csv",
    );
}

#[test]
fn observe_turns_logs_into_a_curve_and_names_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let line =
        |t: &str| format!("192.0.2.1 - - [01/Dec/2026:{t} +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"x\"\n");
    let old = dir.path().join("old.log");
    let new = dir.path().join("new.log");
    std::fs::write(
        &old,
        [
            line("09:59:00"),
            line("10:00:10"),
            "not a log line\n".into(),
            line("10:01:30"),
        ]
        .concat(),
    )
    .unwrap();
    std::fs::write(
        &new,
        [line("10:00:20"), line("10:01:10"), line("10:01:50")].concat(),
    )
    .unwrap();
    let out = dir.path().join("observed.csv");
    let args = [
        "observe",
        "--old",
        p(&old),
        "--new",
        p(&new),
        "--change-at",
        "2026-12-01T10:00:00Z",
        "--out",
        p(&out),
    ];
    let output = cachesim(&args);
    assert_succeeded(&output);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "time_s,requests,old_requests\n0,2,1\n60,3,1\n"
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("1 lines could not be read") && said.contains("old.log:3"),
        "{said}"
    );
    assert!(said.contains("1 requests before the change"), "{said}");

    // One log with the server address first, one site kept by --host.
    let both = dir.path().join("both.log");
    let json = |t: &str, host: &str, addr: &str| {
        format!("{{\"time\":\"2026-12-01T{t}Z\",\"host\":\"{host}\",\"server_addr\":\"{addr}\"}}\n")
    };
    std::fs::write(
        &both,
        [
            json("10:00:01", "a.example", "203.0.113.10"),
            json("10:00:02", "b.example", "203.0.113.10"),
            json("10:00:03", "a.example", "198.51.100.20"),
        ]
        .concat(),
    )
    .unwrap();
    let args = [
        "observe",
        "--log",
        p(&both),
        "--old-address",
        "203.0.113.10",
        "--host",
        "a.example",
        "--change-at",
        "2026-12-01T10:00:00Z",
        "--out",
        p(&out),
        "--quiet",
    ];
    assert!(cachesim(&args).status.success());
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "time_s,requests,old_requests\n0,2,1\n"
    );

    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "garbage\nmore garbage\n").unwrap();
    refused(
        &[
            "observe",
            "--old",
            p(&empty),
            "--new",
            p(&new),
            "--change-at",
            "2026-12-01T10:00:00Z",
            "--out",
            p(&out),
        ],
        "empty.log: no usable line",
    );
    refused(
        &[
            "observe",
            "--old",
            p(&old),
            "--change-at",
            "yesterday",
            "--out",
            p(&out),
        ],
        "--change-at yesterday",
    );
    refused(
        &[
            "observe",
            "--old",
            p(&old),
            "--new",
            p(&new),
            "--change-at",
            "2027-01-01T00:00:00Z",
            "--out",
            p(&out),
        ],
        "no request at or after",
    );
}

/// docs/fit.md's "how the example was made" commands, run as written there,
/// give scenarios/fit-example-observed.csv byte for byte.
#[test]
fn the_fit_example_is_made_as_docs_fit_md_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/fit.md")).unwrap();
    let block = doc
        .split("## The example, and how it was made")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the example's commands");
    let joined = block.replace("\\\n", " ");
    let run = joined
        .lines()
        .find(|l| l.trim_start().starts_with("cachesim run"))
        .expect("a cachesim run command");
    assert!(
        joined.contains("int($2*$3+0.5)") && joined.contains("truth/timeseries.csv"),
        "the doc's conversion changed: update this test with it\n{block}"
    );
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<String> = run
        .split_whitespace()
        .skip(1)
        .map(|a| match a {
            "truth" => p(&dir.path().join("truth")).to_string(),
            a if a.starts_with("scenarios/") => p(&root.join(a)).to_string(),
            a => a.to_string(),
        })
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(matches!(cachesim(&args).status.code(), Some(0 | 4)));
    // The awk line: time and requests as integers, old = int(n × share + 0.5).
    let mut made = String::from("time_s,requests,old_requests\n");
    let mut reader = csv::Reader::from_path(dir.path().join("truth/timeseries.csv")).unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        let (t, n, share): (f64, f64, f64) = (
            r[0].parse().unwrap(),
            r[1].parse().unwrap(),
            r[2].parse().unwrap(),
        );
        made.push_str(&format!(
            "{},{},{}\n",
            t as i64,
            n as i64,
            (n * share + 0.5).floor() as i64
        ));
    }
    let shipped = std::fs::read_to_string(root.join("scenarios/fit-example-observed.csv")).unwrap();
    assert!(
        made == shipped,
        "scenarios/fit-example-observed.csv is not what docs/fit.md's commands make"
    );
}
