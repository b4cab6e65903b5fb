//! cachesim against a real Unbound on record chains: the record-chain lab
//! (lab/chains/run.sh) moved names that are aliases (a CDN switch) or whole
//! zones (a move to a new DNS provider) behind Unbound, once each, with a
//! parent zone and two providers as authoritative servers on loopback; its
//! figures are committed in lab/chains/data/. Here cachesim runs
//! lab/chains/lab.toml with each configuration's record and the `unbound`
//! preset, and its stale seconds per move (the old share integrated over
//! the window the lab measured) must come within 10 % of the lab's.

use cachesim::engine::{self, Model};
use cachesim::scenario::{self, Override};
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// (configuration, the scenario's overrides, the window after a move)
const CONFIGS: [(&str, &[&str]); 4] = [
    (
        "alias60-ttl20",
        &["record.ttl=\"20s\"", "record.cname={ ttl = \"60s\" }"],
    ),
    (
        "alias20-ttl300",
        &["record.ttl=\"300s\"", "record.cname={ ttl = \"20s\" }"],
    ),
    (
        "parent120-child600",
        &[
            "record.delegation={ parent_ttl = \"120s\", child_ttl = \"600s\" }",
            "simulation.duration=\"700s\"",
        ],
    ),
    (
        "parent600-child120",
        &[
            "record.delegation={ parent_ttl = \"600s\", child_ttl = \"120s\" }",
            "simulation.duration=\"700s\"",
        ],
    ),
];

/// How far cachesim may be from the lab: 10 % of its stale seconds.
const WITHIN: f64 = 0.10;

/// The mean over runs of the stale seconds per move, and their standard error.
fn simulated(overrides: &[&str]) -> (f64, f64) {
    let text = std::fs::read_to_string("lab/chains/lab.toml").unwrap();
    let overrides: Vec<Override> = overrides.iter().map(|o| Override::parse(o).unwrap()).collect();
    let s = scenario::parse(&text, "lab/chains/lab.toml", &overrides).expect("lab/chains/lab.toml is valid");
    let (runs, bucket_s) = (s.runs, s.bucket as f64 / 1000.0);
    let model = Model::new(s);
    let tallies = engine::simulate(&model, runs, &AtomicBool::new(false), &|_| {}).unwrap();
    let results = cachesim::stats::Results::of(&model, &tallies);
    let per_run: Vec<f64> = results
        .run_shares
        .iter()
        .map(|shares| shares.iter().sum::<f64>() * bucket_s)
        .collect();
    let n = per_run.len() as f64;
    let mean = per_run.iter().sum::<f64>() / n;
    let var = per_run.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn cachesim_reproduces_unbound_on_aliases_and_delegations() {
    let mut report = Vec::new();
    let mut misses = Vec::new();
    for (config, overrides) in CONFIGS {
        let path = Path::new("lab/chains/data").join(config).join("summary.json");
        let lab: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let moves = lab["moves"].as_u64().unwrap();
        let (lab_mean, lab_se) = (
            lab["stale_seconds_mean"].as_f64().unwrap(),
            lab["stale_seconds_se"].as_f64().unwrap(),
        );
        assert!(moves >= 100, "{config}: {moves} moves are too few to compare");
        let (sim, sim_se) = simulated(overrides);
        let gap = sim - lab_mean;
        let line = format!(
            "{config}: lab {lab_mean:.1} ± {lab_se:.1} s over {moves} moves, cachesim {sim:.1} ± {sim_se:.1} s: \
             {:+.1} % ({:.2} standard errors of the difference)",
            100.0 * gap / lab_mean,
            gap.abs() / (lab_se * lab_se + sim_se * sim_se).sqrt()
        );
        if gap.abs() > WITHIN * lab_mean {
            misses.push(line.clone());
        }
        report.push(line);
    }
    eprintln!("{}", report.join("\n"));
    assert!(misses.is_empty(), "more than 10 % apart:\n{}", misses.join("\n"));
}

/// The record-chain lab's scripts at least parse (running them needs root
/// and 45 minutes: `sudo lab/chains/run.sh`).
#[test]
fn the_chain_lab_scripts_parse() {
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run("bash", &["-n", "lab/chains/run.sh"]);
    for script in [
        "lab/chains/zones.py",
        "lab/chains/client.py",
        "lab/chains/analyse.py",
    ] {
        run(
            "python3",
            &[
                "-c",
                "import ast, sys; ast.parse(open(sys.argv[1]).read())",
                script,
            ],
        );
    }
}
