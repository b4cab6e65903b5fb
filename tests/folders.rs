//! What a results folder keeps and says: `plan DIR` answers again from the
//! runs it holds, exactly as a new simulation would; results of another
//! scenario replaced in a folder are said, not silently lost; `--json`
//! prints summary.json and nothing else; `--quiet` prints nothing.

mod common;

use common::{cachesim, stable_summary, SMALL};
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
    let again = ok(&["plan", p(&folder), "--tolerance", "0.002"]);
    let simulated = ok(&["plan", p(&scenario), "--tolerance", "0.002", "--out", p(&fresh)]);
    assert_eq!(again.stdout, simulated.stdout, "the same sentences");
    assert!(String::from_utf8_lossy(&again.stdout).contains("under 0.2 %"));
    assert_eq!(
        stable_summary(&folder.join("summary.json")),
        stable_summary(&fresh.join("summary.json"))
    );
    for file in ["timeseries.csv", "report.html", "old_share.svg"] {
        assert!(
            std::fs::read(folder.join(file)).unwrap() == std::fs::read(fresh.join(file)).unwrap(),
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
fn results_of_another_scenario_replaced_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let folder = dir.path().join("folder");
    let first = ok(&["run", p(&scenario), "--out", p(&folder)]);
    assert!(!String::from_utf8_lossy(&first.stdout).contains("Replaced"));
    let same = ok(&["run", p(&scenario), "--out", p(&folder)]);
    assert!(
        !String::from_utf8_lossy(&same.stdout).contains("Replaced"),
        "same scenario: nothing lost"
    );
    let other = ok(&[
        "run",
        p(&scenario),
        "--out",
        p(&folder),
        "--set",
        "record.ttl=60s",
    ]);
    let said = String::from_utf8_lossy(&other.stdout);
    assert!(
        said.contains("Replaced the previous results") && said.contains("scenario small (content hash"),
        "{said}"
    );
    let seed = ok(&["plan", p(&scenario), "--out", p(&folder), "--seed", "9", "--json"]);
    assert!(String::from_utf8_lossy(&seed.stderr).contains("Replaced the previous results"));
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
