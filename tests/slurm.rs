//! On a real single-node Slurm cluster (`scripts/slurm-local.sh start`, which
//! `.ci/run` does): `cachesim slurm … && bash DIR/submit.sh --wait` gives the
//! bytes of one machine's run, for a run and for a sweep, and a failing task
//! makes `--wait` fail. They need the cluster, so they are ignored by a
//! plain `cargo test` (which says so); CI starts one and runs them with
//! `cargo test -- --ignored`.

use crate::common::{assert_succeeded, cachesim, stable_summary, SMALL};
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
        .env("CACHESIM_POLL", "1")
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
    assert_succeeded(&output);
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

/// Fake `sbatch` and `squeue` for `submit.sh`, in `bin`: sbatch prints a
/// job number; squeue fails once (as a busy controller's does), then lists
/// the jobs once, then lists nothing and marks the merge done, as if it had
/// just finished.
fn fake_slurm(bin: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    let write = |name: &str, text: &str| {
        let path = bin.join(name);
        std::fs::write(&path, text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write("sbatch", "#!/bin/bash\ncat > /dev/null\necho $((RANDOM + 1))\n");
    write(
        "squeue",
        &format!(
            "#!/bin/bash\ncalls={0}/calls\nn=$(( $(cat \"$calls\" 2>/dev/null || echo 0) + 1 ))\necho $n > \"$calls\"\n\
             case $n in\n  1) echo 'slurm_load_jobs error: Socket timed out on send/recv operation' >&2; exit 1 ;;\n\
             2) echo '  123 debug cachesim  root  R  0:01  1 node' ;;\n  *) touch \"$OUT/.merged\" ;;\nesac\n",
            bin.display()
        ),
    );
}

/// `--wait` asks squeue again when it fails, instead of taking a failed
/// call for the jobs' end (and saying a task failed while they run).
#[test]
fn wait_rides_out_a_failing_squeue() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let job = dir.path().join("job");
    ok(&[
        "slurm",
        &scenario,
        "--tasks",
        "2",
        "--out",
        job.to_str().unwrap(),
        "--quiet",
    ]);
    let bin = dir.path().join("bin");
    fake_slurm(&bin);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let output = Command::new("bash")
        .args([job.join("submit.sh").to_str().unwrap(), "--wait"])
        .env("PATH", path)
        .env("CACHESIM_POLL", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("merged results"));
    assert_eq!(std::fs::read_to_string(bin.join("calls")).unwrap().trim(), "3");
}

/// The script polls every 30 s unless told otherwise, clears an earlier
/// submission's shards and logs, and passes an empty list of sets in a way
/// bash 4.3 and older accept under `set -u`.
#[test]
fn the_script_is_kind_to_sites_and_old_shells() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let job = dir.path().join("job");
    ok(&[
        "slurm",
        &scenario,
        "--tasks",
        "2",
        "--out",
        job.to_str().unwrap(),
        "--quiet",
    ]);
    let script = std::fs::read_to_string(job.join("submit.sh")).unwrap();
    assert!(script.contains("poll=${CACHESIM_POLL:-30}"), "{script}");
    assert!(
        script.contains("rm -rf \"$OUT/shards\" \"$OUT/logs\""),
        "{script}"
    );
    assert!(script.contains("${sets[@]+\"${sets[@]}\"}"), "{script}");
    assert!(
        !script.contains(" \"${sets[@]}\" "),
        "an unguarded empty array: {script}"
    );
}

/// A second submission into the same folder, with another number of
/// shards, merges its own shards only (an earlier submission's are cleared
/// first, or the merge would refuse the mixed set).
#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm-local.sh start, then cargo test slurm:: -- --ignored"]
fn a_second_submission_into_the_same_folder_merges_its_own_shards() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let job = dir.path().join("job");
    for tasks in ["3", "2"] {
        ok(&[
            "slurm",
            &scenario,
            "--tasks",
            tasks,
            "--out",
            job.to_str().unwrap(),
            "--quiet",
        ]);
        let output = submit(&job, env!("CARGO_BIN_EXE_cachesim"));
        assert!(
            output.status.success(),
            "submission with {tasks} tasks: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let shards = std::fs::read_dir(job.join("shards")).unwrap().count();
    assert_eq!(shards, 4, "2 shards and their timings");
}
