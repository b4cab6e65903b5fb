//! cachesim against real software: the lab (lab/run.sh) ran Unbound,
//! dnsmasq, two nginx servers and Chromium, Java and curl clients on
//! loopback, flipping names many times; its per-flip figures are committed
//! in lab/data/. Here cachesim runs lab/lab.toml with each configuration's
//! TTL and keep-alive timeout, and its stale seconds per flip (the integral
//! of the old share over the time between flips) must agree with the lab's
//! within the noise of both: the standard error of the difference (the
//! lab's from the spread over its flips, cachesim's from its runs) times
//! 2.50, the 95 % level for the four configurations as one family
//! (Bonferroni: 1 − 0.05/4 two-sided).

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

/// The normal quantile for a 95 % family-wise level over the four
/// configurations: Φ⁻¹(1 − 0.05 / 8).
const FAMILY_Z: f64 = 2.498;

/// Each run's stale seconds: the old share integrated over the horizon of
/// the lab scenario at `path` with `overrides` (as `--set` takes them).
pub fn simulated_stale_seconds(path: &str, overrides: &[String]) -> Vec<f64> {
    let text = std::fs::read_to_string(path).unwrap();
    let overrides: Vec<Override> = overrides.iter().map(|o| Override::parse(o).unwrap()).collect();
    let s = scenario::parse(&text, path, &overrides).expect("the lab's scenario is valid");
    let (runs, bucket_s) = (s.runs, s.bucket as f64 / 1000.0);
    let model = Model::new(s);
    let tallies = engine::simulate(&model, runs, &AtomicBool::new(false), &|_| {}).unwrap();
    let results = cachesim::stats::Results::of(&model, &tallies);
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
        let overrides = [
            format!("record.ttl=\"{ttl}\""),
            format!("server.idle_timeout=\"{keepalive}\""),
        ];
        simulated_stale_seconds("lab/lab.toml", &overrides)
            .iter()
            .for_each(|&x| sim.add(x));
        let sim_se = sim.std_dev() / (sim.n as f64).sqrt();
        let se = (lab_se * lab_se + sim_se * sim_se).sqrt();
        let tolerance = FAMILY_Z * se;
        let gap = sim.mean() - lab_mean;
        let line = format!(
            "{config}: lab {lab_mean:.1} ± {lab_se:.1} s over {flips} flips, cachesim {:.1} ± {sim_se:.1} s: \
             gap {gap:+.1} s ({:+.1} %, {:.2} standard errors), allowed ± {tolerance:.1} s",
            sim.mean(),
            100.0 * gap / lab_mean,
            gap.abs() / se
        );
        if gap.abs() > tolerance {
            misses.push(line.clone());
        }
        report.push(line);
    }
    eprintln!("{}", report.join("\n"));
    assert!(misses.is_empty(), "outside the noise:\n{}", misses.join("\n"));
}

/// The labs' scripts at least parse (running them needs root and minutes:
/// `sudo lab/run.sh`, `sudo lab/chains/run.sh`).
#[test]
fn the_lab_and_demo_scripts_parse() {
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    for script in [
        "lab/run.sh",
        "lab/inside.sh",
        "lab/compare.sh",
        "lab/chains/run.sh",
        "scripts/serve-demo.sh",
    ] {
        run("bash", &["-n", script]);
    }
    for script in [
        "lab/authoritative.py",
        "lab/analyse.py",
        "lab/netlog.py",
        "lab/chain.py",
        "lab/curl_clients.py",
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

/// The lab's Java client compiles (it needs a JDK, so a plain `cargo test`
/// ignores it; `.ci/run` installs one and runs it).
#[test]
#[ignore = "needs javac (apt-get install default-jdk-headless), then cargo test lab:: -- --ignored"]
fn the_lab_java_client_compiles() {
    let classes = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("javac")
        .args(["-d", classes.path().to_str().unwrap(), "lab/LabClient.java"])
        .output()
        .expect("javac runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs one of the lab's Python scripts, which must succeed.
fn run_python(args: &[&str]) {
    let out = std::process::Command::new("python3").args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The analysis counts what it should: one flip of one name, three
/// requests in its window (two to the replaced address, one of them from
/// curl), one before it and one after the window; every sitting pooled.
#[test]
fn the_lab_analysis_counts_old_requests_per_flip() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    std::fs::create_dir(&runs).unwrap();
    let at = 1_000_000.0;
    std::fs::write(
        runs.join("flips.csv"),
        format!("name,at,from,to\nn0.lab.test,{at:.3},127.0.1.1,127.0.1.2\n"),
    )
    .unwrap();
    let line = |t: f64, address: &str, client: &str| format!("{t:.3} {address} n0.lab.test 1 1 {client}\n");
    std::fs::write(
        runs.join("requests-old.log"),
        [
            line(at - 5.0, "127.0.1.1", "java-0"),
            line(at + 1.5, "127.0.1.1", "chromium-0"),
            line(at + 12.0, "127.0.1.1", "curl-1"),
        ]
        .concat(),
    )
    .unwrap();
    std::fs::write(
        runs.join("requests-new.log"),
        [
            line(at + 30.0, "127.0.1.2", "chromium-1"),
            line(at + 200.0, "127.0.1.2", "java-1"),
        ]
        .concat(),
    )
    .unwrap();
    let out = dir.path().join("data");
    run_python(&[
        "lab/analyse.py",
        "--runs",
        runs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--period",
        "60",
        "--ttl",
        "20",
        "--keepalive",
        "10",
        "--gap",
        "60",
        "--names",
        "1",
    ]);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["flips"], 1);
    // Pooled share per 10 s bucket: all old in 0–10 s and 10–20 s, none
    // in 30–40 s: 20 stale seconds (curl: only 10–20 s, 10).
    assert_eq!(summary["stale_s"]["all"]["mean"], 20.0);
    assert_eq!(summary["stale_s"]["curl"]["mean"], 10.0);
    // The flip's own figure: 2 old of 3 requests in a 60 s window, 2 / (3 / 60) = 40.
    assert_eq!(summary["stale_s_per_flip"]["all"]["mean"], 40.0);
    assert_eq!(summary["stale_s_per_flip"]["curl"]["mean"], 60.0);
    let observed = std::fs::read_to_string(out.join("observed.csv")).unwrap();
    assert!(
        observed.starts_with("time_s,requests,old_requests\n0,1,1\n10,1,1\n20,0,0\n30,1,0\n"),
        "{observed}"
    );
}

/// What the chain held at each flip, from the authoritative's log of
/// Unbound's fetches: two flips (TTL 20 s), one 5 s after a fetch (held, 15 s
/// left), one 30 s after the last (not held); a sitting without the log is
/// skipped.
#[test]
fn the_chain_analysis_reads_what_unbound_held_at_each_flip() {
    let dir = tempfile::tempdir().unwrap();
    let (logged, unlogged) = (dir.path().join("1"), dir.path().join("2"));
    std::fs::create_dir(&logged).unwrap();
    std::fs::create_dir(&unlogged).unwrap();
    let at = 1_000_000.0;
    std::fs::write(
        logged.join("flips.csv"),
        format!(
            "name,at,from,to\nn0.lab.test,{:.3},127.0.1.1,127.0.1.2\nn1.lab.test,{:.3},127.0.1.1,127.0.1.2\n",
            at, at
        ),
    )
    .unwrap();
    let fetch = |t: f64, name: &str| format!("{t:.3},{name},127.0.1.1\n");
    std::fs::write(
        logged.join("queries.csv"),
        [
            "at,name,address\n".to_string(),
            fetch(at - 27.0, "n0.lab.test"),
            fetch(at - 5.0, "n0.lab.test"),
            fetch(at - 56.0, "n1.lab.test"),
            fetch(at - 30.0, "n1.lab.test"),
            fetch(at + 100.0, "n1.lab.test"),
        ]
        .concat(),
    )
    .unwrap();
    let out = dir.path().join("chain.json");
    run_python(&[
        "lab/chain.py",
        "--ttl",
        "20",
        "--period",
        "60",
        "--out",
        out.to_str().unwrap(),
        logged.to_str().unwrap(),
        unlogged.to_str().unwrap(),
    ]);
    let chain: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(chain["sittings"], 1);
    assert_eq!(chain["flips"], 2);
    assert_eq!(chain["held_at_flip"], 0.5);
    assert_eq!(chain["mean_remaining_s"], 15.0);
    // n0: 22 s apart (idle 2), n1: 26 s (idle 6), then 130 s (idle 110): mean 118 / 3.
    assert_eq!(chain["mean_idle_s"], 39.33);
    assert_eq!(chain["uncached_stale_s"], 7.5);
}
