//! Bad input, one test per case: the command, the scenario as edited from a
//! small valid one, and what the refusal must say. Every case must exit with
//! status 2 and a message that names the problem, never a panic.

use crate::common::{cachesim, SMALL};

/// Runs `command` on `text` with `extra` arguments and checks the refusal.
fn refused(command: &str, text: &str, extra: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let mut args = vec![
        command,
        path.to_str().unwrap(),
        "--quiet",
        "--out",
        dir.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = cachesim(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "exit status; stderr: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "message lacks {needle:?}: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn toml_syntax() {
    refused(
        "run",
        &SMALL.replace("runs = 6", "runs = = 6"),
        &[],
        &["bad.toml:6", "not valid TOML"],
    );
}

#[test]
fn unknown_key() {
    refused(
        "run",
        &SMALL.replace("runs = 6", "runz = 6"),
        &[],
        &["bad.toml:6", "unknown key `runz`", "did you mean `runs`"],
    );
}

#[test]
fn reload_away_from_the_os() {
    refused(
        "run",
        &SMALL.replace("policy = \"dnsmasq\"", "policy = \"nscd\""),
        &[],
        &[
            "bad.toml:",
            "router.0.policy.reload",
            "OS caches only",
            "reload = false",
        ],
    );
}

#[test]
fn unknown_nested_key() {
    refused(
        "run",
        &SMALL.replace("share = 0.9", "sahre = 0.9"),
        &[],
        &["bad.toml:", "resolver.0.sahre", "did you mean `share`"],
    );
}

#[test]
fn wrong_type() {
    refused(
        "run",
        &SMALL.replace("runs = 6", "runs = \"six\""),
        &[],
        &["bad.toml:6", "simulation.runs", "expected"],
    );
}

#[test]
fn missing_key() {
    refused(
        "run",
        &SMALL.replace("ttl = \"5m\"\n", ""),
        &[],
        &["required key `record.ttl` is missing"],
    );
}

#[test]
fn duration_without_unit() {
    refused(
        "run",
        &SMALL.replace("ttl = \"5m\"", "ttl = 300"),
        &[],
        &["bad.toml:9", "record.ttl", "no unit", "\"300s\""],
    );
}

#[test]
fn negative_duration() {
    refused(
        "run",
        &SMALL.replace("duration = \"2h\"", "duration = \"-2h\""),
        &[],
        &["simulation.duration", "positive"],
    );
}

#[test]
fn zero_bucket() {
    refused(
        "run",
        &SMALL.replace("bucket = \"10m\"", "bucket = \"0s\""),
        &[],
        &["simulation.bucket", "longer than 0"],
    );
}

#[test]
fn bucket_beyond_horizon() {
    refused(
        "run",
        &SMALL.replace("bucket = \"10m\"", "bucket = \"3h\""),
        &[],
        &["simulation.bucket", "longer than simulation.duration"],
    );
}

#[test]
fn share_outside_0_1() {
    refused(
        "run",
        &SMALL.replace("share = 0.9", "share = 1.9"),
        &[],
        &["resolver.0.share", "1.9", "0 to 1"],
    );
}

#[test]
fn shares_not_adding_up() {
    refused(
        "run",
        &SMALL.replace("share = 0.9", "share = 0.8"),
        &[],
        &["add up to 0.9", "must add up to 1"],
    );
}

#[test]
fn unknown_preset() {
    refused(
        "run",
        &SMALL.replace("\"unbound\"", "\"unbond\""),
        &[],
        &[
            "bad.toml:",
            "unknown preset \"unbond\"",
            "did you mean \"unbound\"",
            "known presets:",
        ],
    );
}

#[test]
fn empty_address_list() {
    refused(
        "run",
        &SMALL.replace("old = [\"203.0.113.10\"]", "old = []"),
        &[],
        &["record.old", "is empty"],
    );
}

#[test]
fn invalid_address() {
    refused(
        "run",
        &SMALL.replace("203.0.113.10", "203.0.113.300"),
        &[],
        &["record.old.0", "not an IPv4 or IPv6 address"],
    );
}

#[test]
fn nothing_changes() {
    refused(
        "run",
        &SMALL.replace("198.51.100.20", "203.0.113.10"),
        &[],
        &["record.new", "nothing would change"],
    );
}

#[test]
fn zero_runs() {
    refused(
        "run",
        &SMALL.replace("runs = 6", "runs = 0"),
        &[],
        &["simulation.runs", "1 to 100000"],
    );
}

#[test]
fn zero_households() {
    refused(
        "run",
        &SMALL.replace("households = 2000", "households = 0"),
        &[],
        &["population.households"],
    );
}

#[test]
fn unknown_distribution() {
    refused(
        "run",
        &SMALL.replace("lognormal = {", "lognormol = {"),
        &[],
        &["unknown distribution `lognormol`", "did you mean `lognormal`"],
    );
}

#[test]
fn bad_override() {
    refused(
        "run",
        SMALL,
        &["--set", "record.ttl=5"],
        &["--set record.ttl=5", "no unit"],
    );
}

#[test]
fn too_many_pools() {
    refused(
        "run",
        &SMALL.replace(
            "[[os]]\nshare = 1.0\npolicy = \"windows\"\n",
            &"[[os]]\nshare = 0.00390625\npolicy = \"windows\"\n".repeat(256),
        ),
        &[],
        &["bad.toml:", "256 [[os]] entries", "at most 255"],
    );
}

#[test]
fn override_index_out_of_range() {
    refused(
        "run",
        SMALL,
        &["--set", "resolver.5.share=1"],
        &["resolver", "out of range"],
    );
}

#[test]
fn bad_tolerance() {
    refused(
        "plan",
        SMALL,
        &["--tolerance", "2"],
        &["'2' for '--tolerance", "between 0 and 1"],
    );
}
/// OS caches behind resolvers honouring TTL 300 s: seeded independently at
/// the change, they would hold the new answer (warm-up 0) or outlive their
/// resolver's copy (1 ms); 10 min lets them agree.
const COUNTDOWN: &str = r#"
[simulation]
duration = "10m"
warmup = "WARMUP"
bucket = "1m"
runs = 2
[record]
ttl = "300s"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
SCHEDULE
[population]
households = 100
requests_per_day = 2000
[[resolver]]
share = 1.0
instances = 2
policy = "honour"
[[os]]
share = 1.0
policy = "honour"
"#;

fn countdown(warmup: &str, schedule: &str) -> String {
    COUNTDOWN.replace("WARMUP", warmup).replace("SCHEDULE", schedule)
}

#[test]
fn warmup_of_zero() {
    refused(
        "run",
        &countdown("0s", ""),
        &[],
        &["bad.toml:4", "simulation.warmup", "too short", "\"10m\""],
    );
}

#[test]
fn warmup_of_one_millisecond() {
    refused(
        "run",
        &countdown("1ms", ""),
        &[],
        &["simulation.warmup", "1 ms is too short", "\"10m\""],
    );
}

#[test]
fn warmup_shorter_than_a_schedule() {
    // A TTL of 1 d lowered to 60 s two hours before the change: answers
    // fetched up to a day before hold the old TTL, so a warm-up that
    // begins after the step would know nothing of them, and one from
    // before it needs two days for nested caches to agree by the change.
    let text = countdown("1h", "schedule = [ { at = \"-2h\", ttl = \"60s\" } ]").replace("300s", "1d");
    refused(
        "run",
        &text,
        &[],
        &[
            "simulation.warmup",
            "1 h after the record's step at 2 h",
            "up to 24 h",
            "\"2d\"",
        ],
    );
    let refused_too_short = &["--set", "simulation.warmup=36h"];
    refused(
        "run",
        &text,
        refused_too_short,
        &["simulation.warmup", "too short", "\"2d\""],
    );
    // Lowered three days before: beginning 12 hours after the step, a
    // day's answers from before it may still be held.
    let text = countdown("1h", "schedule = [ { at = \"-72h\", ttl = \"60s\" } ]").replace("300s", "1d");
    refused(
        "run",
        &text,
        &["--set", "simulation.warmup=60h"],
        &[
            "simulation.warmup",
            "by the first step",
            "\"3d\"",
            "at least 24 h after the step",
        ],
    );
    // Beginning two days after it, nothing from before is left: accepted.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.toml");
    std::fs::write(&path, &text).unwrap();
    let out = dir.path().join("out");
    let ran = cachesim(&[
        "run",
        path.to_str().unwrap(),
        "--quiet",
        "--runs",
        "1",
        "--set",
        "simulation.warmup=47h",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        matches!(ran.status.code(), Some(0 | 4)),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
}
#[test]
fn zero_runs_by_flag_names_the_flag() {
    refused(
        "run",
        SMALL,
        &["--runs", "0"],
        &["in --runs 0:", "simulation.runs", "1 to 100000"],
    );
}

#[test]
fn tolerance_as_a_percentage() {
    refused(
        "plan",
        SMALL,
        &["--tolerance", "0.01%"],
        &["write shares as fractions", "0.01 % is 0.0001"],
    );
}

#[test]
fn results_to_a_dash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.toml");
    std::fs::write(&path, SMALL).unwrap();
    let output = cachesim(&["run", path.to_str().unwrap(), "--out", "-"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--out -") && stderr.contains("give a folder name"),
        "{stderr}"
    );
    assert!(!std::path::Path::new("-").exists(), "no folder named -");
}

#[test]
fn misspelt_short_key() {
    refused(
        "run",
        &SMALL.replace("ttl = \"5m\"", "tll = \"5m\""),
        &[],
        &["unknown key `tll`", "did you mean `ttl`"],
    );
}

#[test]
fn share_written_as_a_percentage() {
    refused(
        "run",
        &SMALL.replace("share = 0.9", "share = \"90 %\""),
        &[],
        &["resolver.0.share", "a fraction such as 0.7"],
    );
}

#[test]
fn missing_record_table() {
    let text = SMALL[SMALL.find("[population]").unwrap()..].to_string();
    refused(
        "run",
        &text,
        &[],
        &["bad.toml:1", "`record` is missing", "add a [record] table"],
    );
}

#[test]
fn unknown_client_preset() {
    refused(
        "run",
        &SMALL.replace(
            r#"connection = { idle_timeout = "115s" }"#,
            r#"connection = "okhtp""#,
        ),
        &[],
        &[
            "app.0.connection",
            "unknown client preset \"okhtp\"",
            "did you mean \"okhttp\"",
        ],
    );
}

#[test]
fn traffic_in_an_unknown_unit() {
    refused(
        "run",
        &format!("{SMALL}\n[plan]\ntraffic = \"2000/week\"\n"),
        &[],
        &["plan.traffic", "unknown unit \"/week\"", "2000/s"],
    );
}

#[test]
fn assumed_without_a_reason() {
    refused(
        "run",
        &SMALL.replace(r#"policy = "isp-min-1h""#, "policy = \"isp-min-1h\"\nassumed = 3"),
        &[],
        &["resolver.1.assumed"],
    );
}

/// The record's alias and weights: each refusal located, with what works.
#[test]
fn alias_and_weights_refused_where_they_cannot_be_answered() {
    let with = |extra: &str| {
        SMALL.replace(
            "new = [\"198.51.100.20\"]",
            &format!("new = [\"198.51.100.20\"]\n{extra}"),
        )
    };
    refused(
        "run",
        &with("cname = { ttl = \"1h\" }\nschedule = [ { at = \"-2h\", ttl = \"60s\" } ]"),
        &[],
        &["bad.toml:", "record.schedule", "record.cname.ttl"],
    );
    refused(
        "run",
        &with("cname = { ttl = \"5\" }"),
        &[],
        &["record.cname.ttl", "\"5\""],
    );
    refused(
        "run",
        &with("weights = [ { at = \"1h\", new = 0.5 }, { at = \"30m\", new = 1.0 } ]"),
        &[],
        &["record.weights.1.at", "time order", "step 0"],
    );
    refused(
        "run",
        &with("weights = [ { at = \"0s\", new = 1.5 } ]"),
        &[],
        &["record.weights.0.new", "1.5", "from 0 to 1"],
    );
    refused(
        "run",
        &with("weights = [ { at = \"-10m\", new = 0.5 } ]"),
        &[],
        &["record.weights.0.at", "at the change"],
    );
    refused(
        "run",
        &with("weights = []"),
        &[],
        &["record.weights", "at least one step"],
    );
    refused(
        "run",
        &with("weights = [ { at = \"0s\", new = 0.5 } ]\nschedule = [ { at = \"-2h\", ttl = \"60s\" } ]"),
        &[],
        &["record.weights", "schedule"],
    );
}

/// A delegation and the resolver key that goes with it: each refusal
/// located, with what works.
#[test]
fn delegation_refused_where_it_cannot_be_answered() {
    let with = |extra: &str| SMALL.replace("[population]", &format!("{extra}\n[population]"));
    let delegation = "[record.delegation]\nparent_ttl = \"2d\"\nchild_ttl = \"1h\"";
    refused(
        "run",
        &with(&format!("{delegation}\nold_provider = \"soon\"")),
        &[],
        &["record.delegation.old_provider", "\"soon\""],
    );
    refused(
        "run",
        &with("[record.delegation]\nparent_ttl = \"2d\""),
        &[],
        &["child_ttl"],
    );
    refused(
        "run",
        &SMALL.replace(
            "policy = \"unbound\"",
            "policy = { preset = \"unbound\", ns = \"grandparent\" }",
        ),
        &[],
        &[
            "resolver.0.policy.ns",
            "\"grandparent\"",
            "\"child\"",
            "\"parent\"",
        ],
    );
    refused(
        "run",
        &SMALL.replace(
            "policy = \"dnsmasq\"",
            "policy = { preset = \"dnsmasq\", ns = \"parent\" }",
        ),
        &[],
        &["router.0.policy.ns", "only resolvers"],
    );
    refused(
        "run",
        &SMALL
            .replace(
                "new = [\"198.51.100.20\"]",
                "new = [\"198.51.100.20\"]\nweights = [ { at = \"0s\", new = 1.0 } ]",
            )
            .replace("[population]", &format!("{delegation}\n[population]")),
        &[],
        &["record.weights", "scenario of its own"],
    );
}
