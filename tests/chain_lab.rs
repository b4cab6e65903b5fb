//! cachesim against a real Unbound on record chains: the record-chain lab
//! (lab/chains/run.sh) moved names that are aliases (a CDN switch) or whole
//! zones (a move to a new DNS provider) behind Unbound, once each, with a
//! parent zone and two providers as authoritative servers on loopback; its
//! figures are committed in lab/chains/data/. Here cachesim runs
//! lab/chains/lab.toml with each configuration's record and the `unbound`
//! preset, and its stale seconds per move (the old share integrated over
//! the window the lab measured) must come within 10 % of the lab's.

use cachesim::stats::Moments;
use std::path::Path;

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
    let overrides: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
    let mut runs = Moments::default();
    crate::lab::simulated_stale_seconds("lab/chains/lab.toml", &overrides)
        .iter()
        .for_each(|&x| runs.add(x));
    (runs.mean(), runs.std_dev() / (runs.n as f64).sqrt())
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
