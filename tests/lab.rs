//! cachesim against real software: the lab (lab/run.sh) ran Unbound,
//! dnsmasq, two nginx servers and Chromium, Java and curl clients on
//! loopback, flipping names many times; its per-flip figures are committed
//! in lab/data/. Here cachesim runs lab/lab.toml with each configuration's
//! TTL and keep-alive timeout, and its stale seconds per flip (the integral
//! of the old share over the time between flips) must agree with the lab's
//! within the noise of both: 1.96 standard errors of the difference, the
//! lab's from the spread over its flips, cachesim's from its runs.

use cachesim::engine::{self, Model};
use cachesim::scenario::{self, Override};
use cachesim::stats::Moments;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// (configuration, record TTL, nginx keepalive_timeout)
const CONFIGS: [(&str, &str, &str); 4] = [
    ("ttl20-ka75", "20s", "75s"),
    ("ttl20-ka10", "20s", "10s"),
    ("ttl60-ka75", "60s", "75s"),
    ("ttl60-ka10", "60s", "10s"),
];

/// Each run's stale seconds: the old share integrated over the horizon.
fn simulated_stale_seconds(ttl: &str, keepalive: &str) -> Vec<f64> {
    let text = std::fs::read_to_string("lab/lab.toml").unwrap();
    let overrides: Vec<Override> = [
        format!("record.ttl=\"{ttl}\""),
        format!("server.idle_timeout=\"{keepalive}\""),
    ]
    .iter()
    .map(|o| Override::parse(o).unwrap())
    .collect();
    let s = scenario::parse(&text, "lab/lab.toml", &overrides).expect("lab/lab.toml is valid");
    let (runs, bucket_s) = (s.runs, s.bucket as f64 / 1000.0);
    let model = Model::new(s);
    let tallies = engine::simulate(&model, runs, &AtomicBool::new(false), &|_| {}).unwrap();
    let results = model.results(&tallies);
    results
        .run_shares
        .iter()
        .map(|shares| shares.iter().sum::<f64>() * bucket_s)
        .collect()
}

#[test]
fn cachesim_reproduces_the_labs_stale_seconds() {
    let mut report = Vec::new();
    let mut misses = Vec::new();
    for (config, ttl, keepalive) in CONFIGS {
        let path = Path::new("lab/data").join(config).join("summary.json");
        let lab: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let flips = lab["flips"].as_u64().unwrap();
        let (lab_mean, lab_se) = (
            lab["stale_s"]["all"]["mean"].as_f64().unwrap(),
            lab["stale_s"]["all"]["se"].as_f64().unwrap(),
        );
        assert!(flips >= 10, "{config}: {flips} flips are too few to compare");
        let mut sim = Moments::default();
        simulated_stale_seconds(ttl, keepalive)
            .iter()
            .for_each(|&x| sim.add(x));
        let sim_se = sim.std_dev() / (sim.n as f64).sqrt();
        let tolerance = 1.96 * (lab_se * lab_se + sim_se * sim_se).sqrt();
        let gap = sim.mean() - lab_mean;
        let line = format!(
            "{config}: lab {lab_mean:.1} ± {lab_se:.1} s over {flips} flips, cachesim {:.1} ± {sim_se:.1} s: \
             gap {gap:+.1} s ({:+.1} %), allowed ± {tolerance:.1} s",
            sim.mean(),
            100.0 * gap / lab_mean
        );
        if gap.abs() > tolerance {
            misses.push(line.clone());
        }
        report.push(line);
    }
    eprintln!("{}", report.join("\n"));
    assert!(misses.is_empty(), "outside the noise:\n{}", misses.join("\n"));
}
