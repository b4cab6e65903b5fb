//! `cachesim sweep`'s figures: every figure with its 95 % interval, the
//! early impact, the within-noise mark, --max-lost and --json.

use crate::common::{assert_succeeded, cachesim, SMALL};
use std::collections::HashMap;
use std::path::Path;

fn sweep(dir: &Path, args: &[&str]) -> (Vec<HashMap<String, String>>, std::process::Output) {
    let scenario = dir.join("small.toml");
    std::fs::write(&scenario, SMALL).unwrap();
    let out = dir.join("out");
    let mut all = vec![
        "sweep",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let output = cachesim(&all);
    assert_succeeded(&output);
    let mut reader = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect();
    (rows, output)
}

fn number(row: &HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column}: {:?}", row[column]))
}

#[test]
fn every_figure_has_its_interval_and_the_early_impact_falls_with_the_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, _) = sweep(
        dir.path(),
        &[
            "--vary",
            "record.ttl=1m,40m",
            "--quiet",
            "--set",
            "resolver.1.policy=honour",
        ],
    );
    assert_eq!(rows.len(), 2);
    for row in &rows {
        for (figure, lo, hi) in [
            ("below_0.1_s", "below_0.1_lo_s", "below_0.1_hi_s"),
            ("below_0.01_s", "below_0.01_lo_s", "below_0.01_hi_s"),
            ("old_share_5m", "old_share_5m_lo", "old_share_5m_hi"),
            ("old_share_30m", "old_share_30m_lo", "old_share_30m_hi"),
            ("old_share_1h", "old_share_1h_lo", "old_share_1h_hi"),
        ] {
            let (v, l, h) = (number(row, figure), number(row, lo), number(row, hi));
            assert!(l <= v && v <= h, "{figure}: {l} ≤ {v} ≤ {h}");
        }
        // The plan relies on the upper end of the interval of its estimate.
        assert_eq!(number(row, "retire_after_hi_s"), number(row, "retire_after_s"));
        assert!(number(row, "retire_after_lo_s") <= number(row, "retire_after_s"));
    }
    // With a 1 min TTL far fewer requests are old at +30 min than with 40 min.
    assert!(number(&rows[0], "old_share_30m_hi") < number(&rows[1], "old_share_30m_lo"));
    assert_eq!(
        rows[1]["within_noise"], "false",
        "40 min settles much later than 1 min"
    );
}

#[test]
fn the_same_value_twice_is_within_noise() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, output) = sweep(dir.path(), &["--vary", "record.ttl=5m,5m"]);
    assert_eq!(rows[0]["within_noise"], "false");
    assert_eq!(rows[1]["within_noise"], "true");
    assert!(String::from_utf8_lossy(&output.stdout).contains('≈'));
}

#[test]
fn max_lost_answers_by_requests_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (loose, _) = sweep(
        dir.path(),
        &["--vary", "record.ttl=5m", "--quiet", "--max-lost", "100000"],
    );
    let (strict, _) = sweep(
        dir.path(),
        &["--vary", "record.ttl=5m", "--quiet", "--max-lost", "1"],
    );
    assert!(number(&loose[0], "retire_after_s") < number(&strict[0], "retire_after_s"));
}

#[test]
fn json_prints_one_object_per_value() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, output) = sweep(dir.path(), &["--vary", "record.ttl=1m,5m", "--json"]);
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let printed = printed.as_array().unwrap();
    assert_eq!(printed.len(), 2);
    assert_eq!(printed[1]["values"]["record.ttl"], "5m");
    assert_eq!(
        printed[0]["retire_after_s"].as_f64().unwrap(),
        number(&rows[0], "retire_after_s")
    );
}

#[test]
fn policy_names_sweep_as_categories() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, _) = sweep(
        dir.path(),
        &[
            "--vary",
            "resolver.1.policy=honour,isp-pin-24h",
            "--quiet",
            "--set",
            "simulation.duration=3h",
        ],
    );
    assert_eq!(
        rows[1]["retire_after_s"], "",
        "a 24 h pin is beyond a 3 h horizon"
    );
    let svg = std::fs::read_to_string(dir.path().join("out/sweep.svg")).unwrap();
    assert!(
        svg.contains("isp-pin-24h")
            && svg.contains("the horizon simulated, 3 h: triangles on it are answers beyond it"),
        "{svg}"
    );
}

#[test]
fn a_value_swept_after_another_is_what_it_is_alone() {
    // The second value reuses the other pools' counts from the first.
    let (both, alone) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let vary = |values: &str| format!("resolver.1.policy={values}");
    let (after, _) = sweep(both.path(), &["--vary", &vary("honour,isp-pin-24h"), "--quiet"]);
    let (first, _) = sweep(alone.path(), &["--vary", &vary("isp-pin-24h"), "--quiet"]);
    let without_mark = |row: &HashMap<String, String>| {
        let mut row = row.clone();
        row.remove("within_noise");
        row
    };
    assert_eq!(without_mark(&after[1]), without_mark(&first[0]));
}
