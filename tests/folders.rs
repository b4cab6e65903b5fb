//! What a results folder keeps and says: `plan DIR` answers again from the
//! runs it holds, exactly as a new simulation would; results of another
//! scenario replaced in a folder are said, not silently lost; `--json`
//! prints summary.json and nothing else; `--quiet` prints nothing.

use crate::common::{assert_succeeded, cachesim, digests, stable_summary, SMALL};
use std::path::Path;

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn ok(args: &[&str]) -> std::process::Output {
    let output = cachesim(args);
    assert!(
        output.status.success(),
        "cachesim {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn small(dir: &Path) -> std::path::PathBuf {
    let scenario = dir.join("small.toml");
    std::fs::write(&scenario, SMALL).unwrap();
    scenario
}

#[test]
fn plan_from_a_folder_gives_what_planning_the_scenario_gives() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let folder = dir.path().join("folder");
    let fresh = dir.path().join("fresh");
    ok(&["run", p(&scenario), "--quiet", "--out", p(&folder)]);
    assert!(folder.join("runs.cachesim").is_file());
    let before = digests(&folder);
    let again = ok(&["plan", p(&folder), "--tolerance", "0.002"]);
    assert_eq!(
        digests(&folder),
        before,
        "plan DIR answers without rewriting the folder"
    );
    let answered = dir.path().join("answered");
    ok(&["plan", p(&folder), "--tolerance", "0.002", "--out", p(&answered)]);
    let simulated = ok(&["plan", p(&scenario), "--tolerance", "0.002", "--out", p(&fresh)]);
    let decision = |out: &std::process::Output| {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let last = text.lines().count() - 1;
        text.lines().take(last).map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(decision(&again), decision(&simulated), "the same decision");
    assert!(String::from_utf8_lossy(&again.stdout).contains("under 0.2 %"));
    assert_eq!(
        stable_summary(&answered.join("summary.json")),
        stable_summary(&fresh.join("summary.json"))
    );
    for file in ["timeseries.csv", "report.html", "old_share.svg"] {
        assert!(
            std::fs::read(answered.join(file)).unwrap() == std::fs::read(fresh.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn plan_from_a_folder_refuses_what_it_cannot_answer() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let folder = dir.path().join("folder");
    ok(&["run", p(&scenario), "--quiet", "--out", p(&folder)]);
    let changed = cachesim(&["plan", p(&folder), "--runs", "50"]);
    assert_eq!(changed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&changed.stderr).contains("plan the scenario file instead"));
    std::fs::remove_file(folder.join("runs.cachesim")).unwrap();
    let old = cachesim(&["plan", p(&folder)]);
    assert_eq!(old.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&old.stderr).contains("no runs.cachesim here"));
}

#[test]
fn a_what_if_never_replaces_other_results() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let folder = dir.path().join("folder");
    ok(&["run", p(&scenario), "--quiet", "--out", p(&folder)]);
    // The same scenario again: its own folder, updated without a word.
    let same = ok(&["run", p(&scenario), "--out", p(&folder)]);
    assert!(String::from_utf8_lossy(&same.stderr).is_empty());
    let before = digests(&folder);
    // A what-if into that folder: refused, the folder untouched.
    for what_if in [
        vec![
            "run",
            p(&scenario),
            "--out",
            p(&folder),
            "--set",
            "record.ttl=60s",
        ],
        vec!["plan", p(&scenario), "--out", p(&folder), "--seed", "9"],
        vec!["plan", p(&scenario), "--out", p(&folder), "--runs", "3"],
    ] {
        let refused = cachesim(&what_if);
        assert_eq!(refused.status.code(), Some(2), "{what_if:?}");
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(
            said.contains("holds the results of small without overrides") && said.contains("--replace"),
            "{said}"
        );
        assert_eq!(digests(&folder), before, "{what_if:?} left the folder as it was");
    }
    // An edited scenario is still a re-run of its own folder, said before writing.
    std::fs::write(&scenario, SMALL.replace("seed = ", "# edited\nseed = ")).unwrap();
    let edited = ok(&["run", p(&scenario), "--out", p(&folder)]);
    assert!(String::from_utf8_lossy(&edited.stderr)
        .contains("holds results of an earlier version of small; replacing them"));
    // Told to, a what-if replaces them.
    let replaced = ok(&[
        "run",
        p(&scenario),
        "--out",
        p(&folder),
        "--set",
        "record.ttl=60s",
        "--replace",
    ]);
    assert!(String::from_utf8_lossy(&replaced.stderr).contains("replacing the results of small"));
}

#[test]
fn a_what_if_without_out_gets_a_folder_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let run = |extra: &[&str]| {
        let mut args = vec!["run", p(&scenario), "--quiet"];
        args.extend_from_slice(extra);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cachesim"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_succeeded(&output);
    };
    run(&[]);
    let base = digests(&dir.path().join("output/small"));
    run(&["--set", "record.ttl=60s", "--runs", "3"]);
    assert_eq!(digests(&dir.path().join("output/small")), base);
    assert!(dir
        .path()
        .join("output/small--record.ttl=60s,simulation.runs=3/summary.json")
        .is_file());
}

#[test]
fn json_prints_the_summary_and_quiet_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let folder = dir.path().join("folder");
    for command in ["run", "plan"] {
        let output = ok(&[command, p(&scenario), "--out", p(&folder), "--json"]);
        let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(folder.join("summary.json")).unwrap()).unwrap();
        assert_eq!(printed, written, "{command} --json");
        let quiet = ok(&[command, p(&scenario), "--out", p(&folder), "--quiet"]);
        assert!(
            quiet.stdout.is_empty() && quiet.stderr.is_empty(),
            "{command} --quiet"
        );
    }
    let both = cachesim(&["run", p(&scenario), "--json", "--quiet"]);
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn chart_writes_a_folder_again_byte_for_byte_report_included() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let folder = dir.path().join("folder");
    ok(&[
        "plan",
        p(&scenario),
        "--quiet",
        "--max-lost",
        "3",
        "--out",
        p(&folder),
    ]);
    let read = |name: &str| std::fs::read(folder.join(name)).unwrap();
    let (report, chart, summary) = (read("report.html"), read("causes.svg"), read("summary.json"));
    for name in ["report.html", "causes.svg", "old_share.png"] {
        std::fs::remove_file(folder.join(name)).unwrap();
    }
    let output = ok(&["chart", p(&folder)]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("report.html"));
    assert!(
        read("report.html") == report,
        "report.html drawn again, the same bytes"
    );
    assert!(read("causes.svg") == chart);
    assert!(read("summary.json") == summary, "the plan by --max-lost kept");
    let quiet = ok(&["chart", p(&folder), "--quiet"]);
    assert!(quiet.stdout.is_empty());
}

#[test]
fn chart_draws_a_sweep_folder_again() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let folder = dir.path().join("sweep");
    ok(&[
        "sweep",
        p(&scenario),
        "--quiet",
        "--vary",
        "record.ttl=1m,5m",
        "--out",
        p(&folder),
    ]);
    let svg = std::fs::read(folder.join("sweep.svg")).unwrap();
    std::fs::remove_file(folder.join("sweep.svg")).unwrap();
    ok(&["chart", p(&folder), "--quiet"]);
    assert!(std::fs::read(folder.join("sweep.svg")).unwrap() == svg);
}

#[test]
fn report_groups_digits_and_captions_charts_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let folder = dir.path().join("folder");
    ok(&["run", p(&scenario), "--quiet", "--out", p(&folder)]);
    let html = std::fs::read_to_string(folder.join("report.html")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("summary.json")).unwrap()).unwrap();
    let requests = summary["requests"].as_u64().unwrap();
    assert!(requests >= 1000);
    assert!(!html.contains(&format!(">{requests}<")), "a raw count");
    assert!(html.contains(&cachesim::duration::grouped(requests)));
    assert!(html.contains("<figcaption>The share of requests still reaching the old address"));
    assert!(html.contains("id=\"caused_by\""), "the tail's causes");
}

#[test]
fn compare_puts_folders_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let (short, long) = (dir.path().join("short"), dir.path().join("long"));
    ok(&[
        "run",
        p(&scenario),
        "--quiet",
        "--out",
        p(&short),
        "--set",
        "record.ttl=1m",
    ]);
    ok(&[
        "run",
        p(&scenario),
        "--quiet",
        "--out",
        p(&long),
        "--set",
        "record.ttl=40m",
    ]);
    let out = dir.path().join("compared");
    let output = ok(&["compare", p(&short), p(&long), "--out", p(&out)]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("folder") && table.contains("short") && table.contains("long"),
        "{table}"
    );
    let mut reader = csv::Reader::from_path(out.join("compare.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let below = |r: &csv::StringRecord| r[column("below_0.1_s")].parse::<f64>().unwrap();
    assert!(
        below(&rows[0]) < below(&rows[1]),
        "a 1 min TTL falls under 10 % sooner"
    );
    for file in ["compare.png", "compare_log.svg", "report.html"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let json = ok(&["compare", p(&short), p(&long), "--out", p(&out), "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows[1]["folder"], "long");
    let missing = cachesim(&[
        "compare",
        p(&short),
        p(&dir.path().join("nothing")),
        "--out",
        p(&out),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("is this a cachesim results folder"));
    assert_eq!(
        cachesim(&["compare", p(&short)]).status.code(),
        Some(2),
        "one folder is no comparison"
    );
    // A measured curve beside one folder: the short TTL's own counts, as
    // `cachesim observe` writes them, drawn as a second series.
    let mut reader = csv::Reader::from_path(short.join("timeseries.csv")).unwrap();
    let mut observed = String::from("time_s,requests,old_requests\n");
    for r in reader.records().map(Result::unwrap) {
        let (n, share): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap_or(0.0));
        observed.push_str(&format!("{},{},{}\n", &r[0], n.round(), (n * share).round()));
    }
    let curve = dir.path().join("past.csv");
    std::fs::write(&curve, observed).unwrap();
    let beside = dir.path().join("beside");
    ok(&[
        "compare",
        p(&long),
        "--observed",
        p(&curve),
        "--out",
        p(&beside),
        "--quiet",
    ]);
    let svg = std::fs::read_to_string(beside.join("compare.svg")).unwrap();
    assert!(svg.contains("observed past"), "the measured curve is labelled");
    std::fs::write(&curve, "time_s,requests\n0,3\n").unwrap();
    let bad = cachesim(&["compare", p(&long), "--observed", p(&curve), "--out", p(&beside)]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("past.csv"));
}
