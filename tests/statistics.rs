//! What the printed summary and summary.json say about how much the runs
//! know: no interval from one run, a confidence bound on the plan only from
//! enough runs, and the resolution of settle times.

use crate::common::{assert_succeeded, cachesim, SMALL};

/// Runs `command` on the scenario `text` with `extra` arguments: what it
/// printed and the summary.json it wrote.
fn simulate(command: &str, text: &str, extra: &[&str]) -> (String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("out");
    let mut args = vec![command, path.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = cachesim(&args);
    assert_succeeded(&output);
    let summary = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    (String::from_utf8_lossy(&output.stdout).into_owned(), summary)
}

/// Runs SMALL with `extra` arguments.
fn run(extra: &[&str]) -> (String, serde_json::Value) {
    simulate("run", SMALL, extra)
}

#[test]
fn one_run_gives_no_interval() {
    let (printed, summary) = run(&["--runs", "1"]);
    assert!(printed.contains("(one run: no interval)"), "{printed}");
    assert!(printed.contains("One run gives no interval"), "{printed}");
    assert!(!printed.contains("95 % interval"), "{printed}");
    let below = &summary["below"]["0.01"];
    assert!(below["lo_s"].is_null() && below["hi_s"].is_null(), "{below}");
    assert_eq!(below["resolution_s"], 600.0);
}

#[test]
fn the_plan_relies_on_the_upper_end_of_its_interval() {
    let (printed, summary) = run(&["--runs", "6"]);
    assert!(
        printed.contains("the upper end of its 95 % interval") || printed.contains("every resample"),
        "{printed}"
    );
    let plan = &summary["plan"];
    let (estimate, lo, hi, retire) = (
        plan["estimate_s"].as_f64().unwrap(),
        plan["lo_s"].as_f64().unwrap(),
        plan["hi_s"].as_f64().unwrap(),
        plan["retire_after_s"].as_f64().unwrap(),
    );
    assert!(lo <= estimate && estimate <= hi, "{lo} ≤ {estimate} ≤ {hi}");
    assert_eq!(retire, hi, "the plan's time is the interval's upper end");
    assert_eq!(summary["decision"][0], plan["answer"]);
}

#[test]
fn settle_times_say_their_resolution() {
    let (printed, _) = run(&[]);
    assert!(printed.contains("times are ends of 10 min buckets"), "{printed}");
}

/// Half the households behind 4 resolver caches pinning answers for 2 h.
const PINNED: &str = r#"
[simulation]
duration = "3h"
bucket = "5m"
runs = 4
[record]
ttl = "60s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 400
requests_per_day = 2000
[[resolver]]
name = "honours"
share = 0.5
instances = 4
policy = "honour"
[[resolver]]
name = "pins-2h"
share = 0.5
instances = 4
policy = { fixed_ttl = "2h" }
[[app]]
name = "browser"
share = 1.0
policy = "none"
connection = { idle_timeout = "30s" }
"#;

#[test]
fn the_plan_says_what_it_hangs_on() {
    let plan = |extra: &[&str]| simulate("plan", PINNED, extra);
    let (said, summary) = plan(&[]);
    assert!(said.contains("is caused by resolver/pins-2h"), "{said}");
    assert!(
        said.contains("hangs on the 4 instances of resolver/pins-2h"),
        "{said}"
    );
    assert!(
        said.contains("app `browser` keeps connections open with no maximum age"),
        "{said}"
    );
    assert_eq!(summary["plan"]["tail_set_by"], "resolver/pins-2h");
    assert!(summary["plan"]["longest_old_answer_s"].is_null());
    let (said, summary) = plan(&["--set", "app.0.connection.max_age=10m"]);
    // Pinned 2 h from a fetch just before the change, then a connection
    // open for up to 10 min.
    assert!(said.contains("later than 2 h 10 min after the change"), "{said}");
    assert_eq!(summary["plan"]["longest_old_answer_s"], 7800.0);
    let retire = summary["plan"]["retire_after_s"].as_f64().unwrap();
    assert!(
        retire <= 7800.0 + 300.0,
        "the plan ({retire} s) lies within the bound, to a bucket"
    );
}

#[test]
fn plan_quiet_prints_nothing() {
    let (printed, summary) = simulate("plan", SMALL, &["--quiet"]);
    assert!(printed.is_empty(), "{printed}");
    assert!(
        summary["plan"]["answer"].is_string(),
        "the answer is still written"
    );
}
