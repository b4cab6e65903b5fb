//! On a real single-node Slurm cluster (`scripts/slurm-local.sh start`, which
//! `.ci/run` does): `cachesim slurm … && bash DIR/submit.sh --wait` gives the
//! bytes of one machine's run, for a run and for a sweep, and a failing task
//! makes `--wait` fail. They need the cluster, so they are ignored by a
//! plain `cargo test` (which says so); CI starts one and runs them with
//! `cargo test -- --ignored`.

use crate::common::{cachesim, stable_summary, SMALL};
use std::path::Path;
use std::process::Command;

fn ok(args: &[&str]) {
    let output = cachesim(args);
    assert!(
        output.status.success(),
        "cachesim {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `DIR/submit.sh --wait` against the local cluster, the tasks running
/// `program` as cachesim.
fn submit(dir: &Path, program: &str) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm-local.sh");
    Command::new(script)
        .args(["exec", "bash", dir.join("submit.sh").to_str().unwrap(), "--wait"])
        .env("CACHESIM", program)
        .output()
        .expect("runs")
}

fn small(dir: &Path) -> String {
    let scenario = dir.join("small.toml");
    std::fs::write(&scenario, SMALL).unwrap();
    scenario.to_str().unwrap().to_string()
}

#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm-local.sh start, then cargo test slurm:: -- --ignored"]
fn an_array_job_and_its_merge_give_the_bytes_of_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let job = dir.path().join("job");
    let single = dir.path().join("single");
    let sets = ["--set", "record.ttl=90s", "--runs", "5"];
    ok(&[
        &[
            "slurm",
            &scenario,
            "--tasks",
            "4",
            "--quiet",
            "--out",
            job.to_str().unwrap(),
        ],
        &sets[..],
    ]
    .concat());
    let output = submit(&job, env!("CARGO_BIN_EXE_cachesim"));
    assert!(
        output.status.success(),
        "submit.sh --wait failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    ok(&[
        &["run", &scenario, "--quiet", "--out", single.to_str().unwrap()],
        &sets[..],
    ]
    .concat());
    assert!(
        std::fs::read(job.join("timeseries.csv")).unwrap()
            == std::fs::read(single.join("timeseries.csv")).unwrap()
    );
    assert_eq!(
        stable_summary(&job.join("summary.json")),
        stable_summary(&single.join("summary.json"))
    );
    assert_eq!(
        std::fs::read_dir(job.join("shards")).unwrap().count(),
        8,
        "4 shards and their timings"
    );
}

#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm-local.sh start, then cargo test slurm:: -- --ignored"]
fn a_sweep_on_slurm_gives_the_bytes_of_one_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let job = dir.path().join("sweep-job");
    let single = dir.path().join("sweep-single");
    let vary = ["--vary", "record.ttl=60s,20m", "--runs", "3"];
    ok(&[
        &[
            "slurm",
            &scenario,
            "--tasks",
            "2",
            "--quiet",
            "--out",
            job.to_str().unwrap(),
        ],
        &vary[..],
    ]
    .concat());
    let output = submit(&job, env!("CARGO_BIN_EXE_cachesim"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    ok(&[
        &["sweep", &scenario, "--quiet", "--out", single.to_str().unwrap()],
        &vary[..],
    ]
    .concat());
    let csv = |d: &Path| std::fs::read_to_string(d.join("sweep.csv")).unwrap();
    assert_eq!(csv(&job), csv(&single));
    assert_eq!(csv(&job).lines().count(), 3);
}

#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm-local.sh start, then cargo test slurm:: -- --ignored"]
fn a_failing_task_makes_wait_fail_and_no_merge_runs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let job = dir.path().join("failing");
    ok(&[
        "slurm",
        &scenario,
        "--tasks",
        "2",
        "--quiet",
        "--out",
        job.to_str().unwrap(),
    ]);
    // Every task's program fails; the merge job never runs.
    let output = submit(&job, "/bin/false");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("a task or the merge failed"));
    assert!(!job.join("timeseries.csv").exists());
}
