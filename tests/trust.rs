//! Trust: interrupted runs leave results as they were, impossible scenarios
//! are refused before simulating, and every shipped scenario is valid.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn cachesim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cachesim"))
}

fn signal_stops_the_run_and_writes_nothing(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = cachesim()
        .args([
            "run",
            "scenarios/isp24h.toml",
            "--runs",
            "500",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The results folder is made just before simulating starts: wait for it
    // (the 500 runs then take far longer than the wait).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !out.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before simulating"
        );
        assert!(Instant::now() < deadline, "the run never started simulating");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run should still be going"
    );
    let sent = Instant::now();
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(took < Duration::from_secs(5), "stopping took {took:?}");
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "the results folder should be left as it was: {left:?}"
    );
}

#[test]
fn sigint_stops_promptly_and_leaves_no_results() {
    signal_stops_the_run_and_writes_nothing("-INT");
}

#[test]
fn sigterm_stops_promptly_and_leaves_no_results() {
    signal_stops_the_run_and_writes_nothing("-TERM");
}

#[test]
fn a_scenario_too_big_for_memory_is_refused_before_simulating() {
    let output = cachesim()
        .args([
            "run",
            "scenarios/isp24h.toml",
            "--set",
            "population.households=1000000000",
            "--set",
            "resolver.0.instances=1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("GiB of memory") && stderr.contains("--force"),
        "{stderr}"
    );
}

#[test]
fn every_shipped_scenario_is_valid_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with('#'),
            "{} should open with a comment saying what it shows",
            path.display()
        );
        let out = dir.path().join(path.file_stem().unwrap());
        let output = cachesim()
            .args([
                "run",
                path.to_str().unwrap(),
                "--quiet",
                "--out",
                out.to_str().unwrap(),
                "--runs",
                "2",
                "--set",
                "population.households=300",
                "--set",
                "simulation.duration=2h",
            ])
            .output()
            .unwrap();
        // 4: no answer within the 2 h simulated here; results written.
        assert!(
            matches!(output.status.code(), Some(0 | 4)),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(out.join("report.html").exists());
    }
}
