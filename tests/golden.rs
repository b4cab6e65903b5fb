//! Golden outputs: every shipped scenario, run at a reduced size, and the
//! test scenarios of `tests/scenarios/` (which reach what the shipped ones
//! do not) must give exactly the committed bytes (`tests/golden/<scenario>/`): what `run`
//! prints, `timeseries.csv`, `summary.json` and a SHA-256 of every other
//! file of the results folder (charts, report.html, runs.cachesim). Only the
//! figures that measure the machine (wall time, requests per second, the
//! folder's path) are blanked.
//!
//! A change meant to alter results regenerates them in the same commit,
//! where the diff is reviewed:
//!
//! ```sh
//! CACHESIM_BLESS=1 cargo test golden::
//! ```

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Households simulated: the shipped size divided by this (at least
/// [`MIN_HOUSEHOLDS`]), so every scenario runs in about a second.
const SHRINK: u64 = 10;
const MIN_HOUSEHOLDS: u64 = 40;
/// Runs simulated (fewer where the scenario has fewer).
const RUNS: u32 = 4;

/// The files kept whole in the golden folder (readable diffs); every other
/// file of the results is kept as its digest.
const WHOLE: [&str; 3] = ["timeseries.csv", "summary.json", "addresses.csv"];

fn golden_dir(name: &str) -> PathBuf {
    Path::new("tests/golden").join(name)
}

/// Runs `scenarios/<name>.toml` at the reduced size; returns what the
/// golden folder holds, as (file name, bytes).
fn outputs(name: &str) -> Vec<(String, Vec<u8>)> {
    let shipped = format!("scenarios/{name}.toml");
    let path = if Path::new(&shipped).exists() {
        shipped
    } else {
        format!("tests/scenarios/{name}.toml")
    };
    let scenario = cachesim::scenario::load(Path::new(&path), &[]).expect("a shipped scenario loads");
    let households = (scenario.population.households / SHRINK).max(MIN_HOUSEHOLDS);
    let runs = scenario.runs.min(RUNS);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(name);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cachesim"))
        .args(["run", &path, "--threads", "2", "--out"])
        .arg(&out)
        .args([
            "--set",
            &format!("population.households={households}"),
            "--set",
            &format!("simulation.runs={runs}"),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut files = vec![(
        "printed.txt".to_string(),
        redact_printed(&printed, &out).into_bytes(),
    )];
    let mut digests = String::new();
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for file in names {
        let bytes = std::fs::read(out.join(&file)).unwrap();
        if file == "summary.json" {
            files.push((file, redact_summary(&bytes)));
        } else if file == "runs.cachesim" {
            writeln!(
                digests,
                "{:x}  {file} (engine left out)",
                Sha256::digest(without_engine(&bytes))
            )
            .unwrap();
        } else if WHOLE.contains(&file.as_str()) {
            files.push((file, bytes));
        } else {
            writeln!(digests, "{:x}  {file}", Sha256::digest(&bytes)).unwrap();
        }
    }
    files.push(("digests.txt".to_string(), digests.into_bytes()));
    files
}

/// What `run` printed, with the machine's speed and the folder's path blanked.
fn redact_printed(printed: &str, out: &Path) -> String {
    printed
        .lines()
        .map(|line| {
            if line.starts_with("simulated ") && line.contains(" requests/s") {
                let upto = line.find(" in ").map_or(line.len(), |i| i);
                format!("{} in (wall time)", &line[..upto])
            } else {
                line.replace(&out.display().to_string(), "OUT")
            }
        })
        .map(|line| line + "\n")
        .collect()
}

/// A runs.cachesim (shard file) without the engine's identity in its
/// manifest: the identity is made from these goldens' numbers, so it cannot
/// be part of them. Its header, its manifest as JSON behind its length, its
/// counts, and a checksum (left out too, as it covers the identity).
fn without_engine(bytes: &[u8]) -> Vec<u8> {
    let len = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    let mut manifest: serde_json::Value = serde_json::from_slice(&bytes[20..20 + len]).unwrap();
    manifest["engine"] = serde_json::json!("");
    let mut out = bytes[..16].to_vec();
    out.extend(serde_json::to_vec(&manifest).unwrap());
    out.extend_from_slice(&bytes[20 + len..bytes.len() - 4]);
    out
}

/// summary.json with the figures that measure the machine set to 0.
fn redact_summary(bytes: &[u8]) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    for key in ["wall_time_s", "requests_per_s"] {
        v[key] = serde_json::json!(0);
    }
    // Made from these goldens' numbers, so it cannot be part of them.
    v["engine"] = serde_json::json!("");
    let mut text = serde_json::to_string_pretty(&v).unwrap();
    text.push('\n');
    text.into_bytes()
}

/// Compares `name`'s outputs with its golden folder, or writes them there
/// with `CACHESIM_BLESS=1`.
fn check(name: &str) {
    let dir = golden_dir(name);
    let files = outputs(name);
    if std::env::var_os("CACHESIM_BLESS").is_some() {
        drop(std::fs::remove_dir_all(&dir));
        std::fs::create_dir_all(&dir).unwrap();
        for (file, bytes) in &files {
            std::fs::write(dir.join(file), bytes).unwrap();
        }
        return;
    }
    let mut kept: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|_| panic!("no golden outputs for {name}: {}", bless_hint()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    let mut made: Vec<String> = files.iter().map(|(f, _)| f.clone()).collect();
    made.sort();
    assert_eq!(made, kept, "{name}: the files differ; {}", bless_hint());
    for (file, bytes) in &files {
        let want = std::fs::read(dir.join(file)).unwrap();
        if &want != bytes {
            let first = first_difference(&want, bytes);
            panic!(
                "{name}/{file} differs from its golden output (first at {first}); {}",
                bless_hint()
            );
        }
    }
}

/// Where two texts first differ, as "line N: golden … / now …".
fn first_difference(want: &[u8], got: &[u8]) -> String {
    let (want, got) = (String::from_utf8_lossy(want), String::from_utf8_lossy(got));
    let mut now = got.lines();
    for (i, line) in want.lines().enumerate() {
        let other = now.next().unwrap_or("(nothing)");
        if line != other {
            return format!("line {}: golden {line:?} / now {other:?}", i + 1);
        }
    }
    format!("line {}: the output is longer", want.lines().count() + 1)
}

fn bless_hint() -> &'static str {
    "if the change is meant to alter results, regenerate with `CACHESIM_BLESS=1 cargo test golden::` \
     and commit the diff, saying so in the commit"
}

/// Every shipped and test scenario has a golden test below, and every
/// golden folder a scenario.
#[test]
fn every_shipped_scenario_has_golden_outputs() {
    let mut shipped: Vec<String> = ["scenarios", "tests/scenarios"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    shipped.sort();
    let mut tested: Vec<String> = SCENARIOS.iter().map(|s| s.to_string()).collect();
    tested.sort();
    assert_eq!(shipped, tested, "add a golden! line for each shipped scenario");
    if std::env::var_os("CACHESIM_BLESS").is_none() {
        let mut kept: Vec<String> = std::fs::read_dir("tests/golden")
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        kept.sort();
        assert_eq!(kept, tested, "a golden folder without its scenario");
    }
}

macro_rules! golden {
    ($($name:ident => $file:literal),* $(,)?) => {
        const SCENARIOS: &[&str] = &[$($file),*];
        $(
            #[test]
            fn $name() {
                check($file);
            }
        )*
    };
}

golden! {
    all_honour => "all-honour",
    api_migration => "api-migration",
    amazon60 => "amazon60",
    bbc360 => "bbc360",
    bench_1m => "bench-1m",
    cdn_switch => "cdn-switch",
    cnn300 => "cnn300",
    dns_provider_move => "dns-provider-move",
    every_feature => "every-feature",
    failover_4x => "failover-4x",
    fit_example => "fit-example",
    isp24h => "isp24h",
    jvm_backends => "jvm-backends",
    keepalive => "keepalive",
    low_ttl_5m => "low-ttl-5m",
    low_ttl_60m => "low-ttl-60m",
    lower_ttl_first => "lower-ttl-first",
    public_resolvers => "public-resolvers",
    realistic_internet => "realistic-internet",
    weighted_rollout => "weighted-rollout",
}
