//! Sharded runs: `run --shard I/N` then `merge` gives the bytes of one `run`
//! on every shipped scenario, a shard run again gives the same bytes, and
//! merge refuses what does not make one complete run.

use crate::common::{assert_succeeded, cachesim, stable_summary, SMALL};
use std::path::{Path, PathBuf};

fn ok(args: &[&str]) -> String {
    let output = cachesim(args);
    assert!(
        output.status.success(),
        "cachesim {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `merge` expecting a refusal (exit 2); returns its message.
fn refused(args: &[&str]) -> String {
    let output = cachesim(args);
    assert_eq!(
        output.status.code(),
        Some(2),
        "cachesim {args:?} should refuse: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Every result file but summary.json, byte for byte; summary.json without
/// the machine's timings.
fn assert_same_results(single: &Path, merged: &Path, what: &str) {
    let mut names: Vec<_> = std::fs::read_dir(single)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(names.contains(&"timeseries.csv".to_string()));
    for name in names {
        let (a, b) = (single.join(&name), merged.join(&name));
        if name == "summary.json" {
            assert_eq!(stable_summary(&a), stable_summary(&b), "{what}: summary.json");
        } else {
            assert!(
                std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
                "{what}: {name} differs"
            );
        }
    }
}

/// Simulates `scenario` whole and in `count` shards, and compares.
fn check_sharded(dir: &Path, scenario: &str, sets: &[&str], count: u32) {
    let name = Path::new(scenario).file_stem().unwrap().to_str().unwrap();
    let single = dir.join(format!("{name}-single-{count}"));
    let mut args = vec!["run", scenario, "--quiet", "--out", p(&single)];
    args.extend_from_slice(sets);
    ok(&args);
    let shards = dir.join(format!("{name}-shards-{count}"));
    for index in 0..count {
        let shard = format!("{index}/{count}");
        let threads = (1 + index % 2).to_string();
        let mut args = vec!["run", scenario, "--quiet", "--out", p(&shards), "--shard", &shard];
        args.extend_from_slice(&["--threads", &threads]);
        args.extend_from_slice(sets);
        ok(&args);
    }
    let merged = dir.join(format!("{name}-merged-{count}"));
    ok(&["merge", p(&shards), "--quiet", "--out", p(&merged)]);
    assert_same_results(&single, &merged, &format!("{name} in {count} shards"));
}

#[test]
fn shards_merge_to_the_bytes_of_one_run_on_every_shipped_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 10);
    for scenario in &scenarios {
        // Smaller than shipped, to stay quick; the partitions stay as many.
        let households = if p(scenario).contains("jvm-backends") {
            "200"
        } else {
            "3000"
        };
        let set = format!("population.households={households}");
        let sets = ["--runs", "3", "--set", &set];
        check_sharded(dir.path(), p(scenario), &sets, 4);
    }
    // More shards than a run has partitions, and one shard for everything.
    let isp = root.join("isp24h.toml");
    check_sharded(
        dir.path(),
        p(&isp),
        &["--runs", "2", "--set", "population.households=2000"],
        45,
    );
    check_sharded(
        dir.path(),
        p(&isp),
        &["--runs", "2", "--set", "population.households=2000"],
        1,
    );
}

/// Simulates shard `shard` (`I/N`) of `scenario` into `shards`.
fn run_shard(scenario: &Path, shards: &Path, shard: &str, extra: &[&str]) {
    let args = [
        "run",
        p(scenario),
        "--quiet",
        "--out",
        p(shards),
        "--shard",
        shard,
    ];
    ok(&[&args[..], extra].concat());
}

/// Writes the small scenario and simulates its shards into `dir/shards`.
fn small_shards(dir: &Path, count: u32, extra: &[&str]) -> (PathBuf, PathBuf) {
    let scenario = dir.join("small.toml");
    std::fs::write(&scenario, SMALL).unwrap();
    let shards = dir.join("shards");
    for index in 0..count {
        run_shard(&scenario, &shards, &format!("{index}/{count}"), extra);
    }
    (scenario, shards)
}

#[test]
fn a_shard_run_again_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (scenario, shards) = small_shards(dir.path(), 3, &[]);
    let file = shards.join("shard-0001-of-0003.cachesim");
    let before = std::fs::read(&file).unwrap();
    run_shard(&scenario, &shards, "1/3", &["--threads", "1"]);
    assert!(before == std::fs::read(&file).unwrap());
}

#[test]
fn merge_refuses_a_missing_shard() {
    let dir = tempfile::tempdir().unwrap();
    let (_, shards) = small_shards(dir.path(), 4, &[]);
    std::fs::remove_file(shards.join("shard-0002-of-0004.cachesim")).unwrap();
    let message = refused(&["merge", p(&shards), "--out", p(&dir.path().join("m"))]);
    assert!(message.contains("1 of 4 shards missing (index 2)"), "{message}");
    assert!(!dir.path().join("m").join("timeseries.csv").exists());
}

#[test]
fn merge_refuses_a_duplicate_shard() {
    let dir = tempfile::tempdir().unwrap();
    let (_, shards) = small_shards(dir.path(), 2, &[]);
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(
        shards.join("shard-0001-of-0002.cachesim"),
        copy.join("shard-0001-of-0002.cachesim"),
    )
    .unwrap();
    let message = refused(&["merge", p(&shards), p(&copy)]);
    assert!(message.contains("shard 1/2 is here twice"), "{message}");
}

/// Shard 0 from the small scenario as given, shard 1 as `extra` changes it.
fn mixed(extra: &[&str], count_of_second: u32) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (scenario, shards) = small_shards(dir.path(), 1, &[]);
    std::fs::remove_file(shards.join("shard-0000-of-0001.cachesim")).unwrap();
    run_shard(&scenario, &shards, "0/2", &[]);
    run_shard(&scenario, &shards, &format!("1/{count_of_second}"), extra);
    refused(&["merge", p(&shards), "--out", p(&dir.path().join("m"))])
}

#[test]
fn merge_refuses_a_shard_of_another_scenario_seed_runs_or_count() {
    let message = mixed(&["--set", "record.ttl=60s"], 2);
    assert!(
        message.contains("a shard of another run: its scenario"),
        "{message}"
    );
    let message = mixed(&["--seed", "99"], 2);
    assert!(
        message.contains("scenario (file and --set overrides)"),
        "{message}"
    );
    let message = mixed(&[], 3);
    assert!(message.contains("its shard count is 3"), "{message}");
}

#[test]
fn merge_refuses_a_truncated_or_damaged_shard_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, shards) = small_shards(dir.path(), 2, &[]);
    let file = shards.join("shard-0001-of-0002.cachesim");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 10]).unwrap();
    let message = refused(&["merge", p(&shards)]);
    assert!(
        message.contains("shard-0001-of-0002.cachesim: truncated"),
        "{message}"
    );
    assert!(message.contains("run shard 1/2 again"), "{message}");
    let mut damaged = bytes.clone();
    damaged[bytes.len() - 40] ^= 0x10;
    std::fs::write(&file, &damaged).unwrap();
    let message = refused(&["merge", p(&shards)]);
    assert!(message.contains("checksum does not match"), "{message}");
    std::fs::write(&file, b"not a shard").unwrap();
    assert!(refused(&["merge", p(&shards)]).contains("not a cachesim shard file"));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(refused(&["merge", p(&empty)]).contains("no shard files"));
}

/// Rewrites the manifest's engine of the shard file at `file` (keeping its
/// checksum right), as a shard of another build would have it.
fn counted_by(file: &Path, engine: &str) {
    let bytes = std::fs::read(file).unwrap();
    let len = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    let mut manifest: serde_json::Value = serde_json::from_slice(&bytes[20..20 + len]).unwrap();
    manifest["engine"] = serde_json::json!(engine);
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let mut out = bytes[..16].to_vec();
    out.extend((manifest.len() as u32).to_le_bytes());
    out.extend(manifest);
    out.extend_from_slice(&bytes[20 + len..bytes.len() - 4]);
    let crc = crc32fast::hash(&out);
    out.extend(crc.to_le_bytes());
    std::fs::write(file, out).unwrap();
}

/// Counts of another engine (another build whose numbers differ) are
/// never merged with this one's, nor answered again by `plan DIR`.
#[test]
fn counts_of_another_engine_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, shards) = small_shards(dir.path(), 2, &[]);
    counted_by(&shards.join("shard-0001-of-0002.cachesim"), "0123456789abcdef");
    let message = refused(&["merge", p(&shards)]);
    assert!(
        message.contains("shard-0001-of-0002.cachesim: counted by another engine (0123456789abcdef"),
        "{message}"
    );
    let scenario = dir.path().join("small.toml");
    let out = dir.path().join("out");
    ok(&["run", p(&scenario), "--quiet", "--out", p(&out)]);
    counted_by(&out.join("runs.cachesim"), "0123456789abcdef");
    let message = refused(&["plan", p(&out)]);
    assert!(message.contains("counted by another engine"), "{message}");
}

#[test]
fn a_bad_shard_argument_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("small.toml");
    std::fs::write(&scenario, SMALL).unwrap();
    let output = cachesim(&["run", p(&scenario), "--shard", "4/4"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("0 ≤ I < N"));
}

/// A stand-in for kubectl: `apply` of a Job runs its pods' command lines
/// here, one pod after another (JOB_COMPLETION_INDEX, SHARDS and RUN set,
/// the scenario and the volume at other paths), and records Complete or
/// Failed for `get`; `cp` copies from the volume's folder.
const FAKE_KUBECTL: &str = r#"#!/bin/bash
set -u
state=$FAKE_K8S/state
mkdir -p "$state"
echo "$*" >> "$FAKE_K8S/calls"
case "$1" in
  create) echo "kind: ConfigMap" ;;
  apply)
    [ "$2 $3" = "-f -" ] || exit 0
    yaml=$(cat)
    case "$yaml" in
      *"name: cachesim-shards"*) job=cachesim-shards ;;
      *"name: cachesim-merge"*) job=cachesim-merge ;;
      *) exit 0 ;;
    esac
    cmd=$(printf '%s\n' "$yaml" | grep -E '^ *- (exec )?cachesim ' | sed -E 's/^ *- //')
    run=$(printf '%s\n' "$yaml" | grep -A1 'name: RUN' | sed -n 's/.*value: "\(.*\)"/\1/p')
    n=$(printf '%s\n' "$yaml" | sed -n 's/^ *completions: //p')
    n=${n:-1}
    cmd=${cmd//\/scenario\/scenario.toml/$FAKE_SCENARIO}
    cmd=${cmd//\/data/$FAKE_K8S/data}
    result=Complete
    for ((i = 0; i < n; i++)); do
      if [ "$job" = cachesim-shards ] && [ "${FAKE_FAIL_INDEX:-}" = "$i" ]; then
        result=Failed
        continue
      fi
      JOB_COMPLETION_INDEX=$i SHARDS=$n RUN=$run sh -c "$cmd" >> "$state/$job.log" 2>&1 || result=Failed
    done
    echo "$result" > "$state/$job" ;;
  get) cat "$state/${2#job/}" 2>/dev/null ;;
  logs) cat "$state/cachesim-merge.log" 2>/dev/null || true ;;
  cp) src=${2#cachesim-fetch:}; cp -r "$FAKE_K8S/data${src#/data}" "$3" ;;
  *) : ;;
esac
"#;

/// deploy/k8s/run.sh with `kubectl` standing in: its Jobs' command lines
/// give one run's bytes, copied back here; a second submission merges its
/// own shards; a failing shard stops it at once, before any merge.
#[test]
fn the_kubernetes_script_runs_merges_copies_back_and_stops_on_a_failure() {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/k8s");
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("bin");
    std::fs::create_dir(&fake).unwrap();
    let kubectl = fake.join("kubectl");
    std::fs::write(&kubectl, FAKE_KUBECTL).unwrap();
    let mut perms = std::fs::metadata(&kubectl).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&kubectl, perms).unwrap();
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(&scenario, SMALL).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_cachesim")).parent().unwrap();
    let path = format!(
        "{}:{}:{}",
        fake.display(),
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let k8s = dir.path().join("k8s");
    let submit = |run: &str, out: &Path, fail: Option<&str>| {
        let mut command = std::process::Command::new("bash");
        command
            .arg(deploy.join("run.sh"))
            .args([p(&scenario), "3", "cachesim:test", p(out)])
            .env("PATH", &path)
            .env("FAKE_K8S", &k8s)
            .env("FAKE_SCENARIO", &scenario)
            .env("CACHESIM_POLL", "0")
            .env("CACHESIM_RUN", run);
        if let Some(index) = fail {
            command.env("FAKE_FAIL_INDEX", index);
        }
        command.output().unwrap()
    };
    let single = dir.path().join("single");
    ok(&["run", p(&scenario), "--quiet", "--out", p(&single)]);
    let first = dir.path().join("first");
    let output = submit("one", &first, None);
    assert_succeeded(&output);
    assert_same_results(&single, &first, "the Kubernetes jobs' results, copied back");
    // A second submission: its own folder on the volume, its own shards.
    let second = dir.path().join("second");
    let output = submit("two", &second, None);
    assert_succeeded(&output);
    assert_same_results(&single, &second, "a second submission");
    assert!(k8s.join("data/runs/one/shards").is_dir() && k8s.join("data/runs/two/results").is_dir());
    // A failing shard: stopped at once, no merge applied, its reason said.
    std::fs::remove_file(k8s.join("calls")).unwrap();
    let started = std::time::Instant::now();
    let output = submit("three", &dir.path().join("third"), Some("1"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("job cachesim-shards failed"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let calls = std::fs::read_to_string(k8s.join("calls")).unwrap();
    assert_eq!(
        calls.matches("apply -f -").count(),
        2,
        "configmap and shards only:\n{calls}"
    );
    assert!(!dir.path().join("third").exists());
}
