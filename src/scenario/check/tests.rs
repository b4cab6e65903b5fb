//! The checker on small scenarios: what it accepts becomes the right value,
//! and what it refuses is named by file, line and key.

use crate::duration::{DAY, HOUR, MINUTE, SECOND};
use crate::scenario::{parse, Override, Scenario, ScenarioError};

const BASE: &str = r#"
[record]
ttl = "5m"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = 10
requests_per_day = 20
"#;

fn check(extra: &str) -> Result<Scenario, ScenarioError> {
    parse(&format!("{BASE}{extra}"), "t.toml", &[])
}

fn refused(extra: &str) -> ScenarioError {
    check(extra).expect_err("refused")
}

#[test]
fn defaults_fill_what_is_not_written() {
    let s = check("").unwrap();
    assert_eq!(
        (s.duration, s.bucket, s.runs, s.seed, s.warmup),
        (48 * HOUR, 5 * MINUTE, 32, 1, None)
    );
    assert_eq!(s.record.versions.len(), 2);
    assert_eq!(s.record.versions[1].start, 0);
    assert!(s.resolvers.is_empty() && s.apps.is_empty());
}

#[test]
fn a_policy_starts_from_its_preset_and_the_table_changes_it() {
    let s = check(
        "[[resolver]]\nshare = 1.0\npolicy = { preset = \"unbound\", min_ttl = \"1h\", prefetch = 0.1 }\n",
    )
    .unwrap();
    let p = &s.resolvers[0].policy;
    assert_eq!((p.min_ttl, p.max_ttl), (HOUR, DAY));
    assert_eq!(p.prefetch.map(|p| p.fraction), Some(0.1));
    let stale =
        check("[[resolver]]\nshare = 1.0\npolicy = { serve_stale = { max_stale = \"1d\" } }\n").unwrap();
    let serve = stale.resolvers[0].policy.serve_stale.unwrap();
    assert_eq!((serve.max_stale, serve.reply_ttl), (DAY, 30 * SECOND));
    let none = check("[[router]]\nshare = 1.0\npolicy = { none = true }\n").unwrap();
    assert!(!none.routers[0].policy.caches);
}

#[test]
fn policy_refusals_name_the_key() {
    let e = refused("[[resolver]]\nshare = 1.0\npolicy = { min_ttl = \"2h\", max_ttl = \"1h\" }\n");
    assert!(
        e.to_string().contains("resolver.0.policy.min_ttl") && e.message.contains("above max_ttl"),
        "{e}"
    );
    let e = refused("[[resolver]]\nshare = 1.0\npolicy = { prefetch = 1.5 }\n");
    assert!(e.message.contains("fraction"), "{e}");
    let e = refused("[[resolver]]\nshare = 1.0\npolicy = { serve_stale = { reply_ttl = \"30s\" } }\n");
    assert!(e.message.contains("`max_stale` is missing"), "{e}");
    let e = refused("[[resolver]]\nshare = 1.0\npolicy = { tll = \"5m\" }\n");
    assert!(e.message.contains("unknown key `tll`"), "{e}");
    let e = refused("[[resolver]]\nshare = 1.0\npolicy = \"unbond\"\n");
    assert!(e.message.contains("did you mean \"unbound\""), "{e}");
    assert_eq!(e.line, Some(11));
    let e = refused("[[resolver]]\nshare = 1.0\npolicy = { shards = 0 }\n");
    assert!(e.message.contains("1 to 1024"), "{e}");
}

#[test]
fn reload_is_an_os_cache_s_and_takes_both_settings() {
    let s = check("[[os]]\nshare = 1.0\npolicy = \"nscd\"\n").unwrap();
    let r = s.oses[0].policy.reload.expect("nscd reloads");
    assert_eq!((r.within, r.count), (15 * SECOND, 5));
    let off = check("[[os]]\nshare = 1.0\npolicy = { preset = \"nscd\", reload = false }\n").unwrap();
    assert_eq!(off.oses[0].policy.reload, None);
    let e = refused("[[router]]\nshare = 1.0\npolicy = \"nscd\"\n");
    assert!(
        e.to_string().contains("router.0.policy.reload") && e.message.contains("OS caches only"),
        "{e}"
    );
    let e = refused("[[os]]\nshare = 1.0\npolicy = { reload = { within = \"15s\" } }\n");
    assert!(e.message.contains("`count` is missing"), "{e}");
    let e = refused("[[os]]\nshare = 1.0\npolicy = { reload = { within = \"15s\", count = 300 } }\n");
    assert!(
        e.to_string().contains("os.0.policy.reload.count") && e.message.contains("0 to 255"),
        "{e}"
    );
    let e = refused("[[os]]\nshare = 1.0\npolicy = { reload = { within = \"0s\", count = 5 } }\n");
    assert!(e.to_string().contains("os.0.policy.reload.within"), "{e}");
}

#[test]
fn distributions_are_checked_with_their_parameters() {
    let e = parse(
        &BASE.replace(
            "requests_per_day = 20",
            "requests_per_day = { lognormal = { median = -1, sigma = 1 } }",
        ),
        "t.toml",
        &[],
    )
    .unwrap_err();
    assert!(e.message.contains("median = -1 must be a positive number"), "{e}");
    assert_eq!(e.key.as_deref(), Some("population.requests_per_day"));
    let s = parse(
        &BASE.replace(
            "requests_per_day = 20",
            "requests_per_day = { pareto = { scale = 2, shape = 3 } }",
        ),
        "t.toml",
        &[],
    )
    .unwrap();
    assert_eq!(s.population.requests_per_day.mean(), 3.0);
}

#[test]
fn pools_must_add_up_and_stay_at_their_layer() {
    let e = refused("[[os]]\nshare = 0.5\n[[os]]\nshare = 0.4\n");
    assert!(e.message.contains("add up to 0.9"), "{e}");
    let e = refused("[[os]]\nshare = 1.0\ninstances = 4\n");
    assert!(e.message.contains("only resolvers are shared"), "{e}");
    let e = refused("[[os]]\nshare = 1.0\nconnection = { idle_timeout = \"60s\" }\n");
    assert!(e.message.contains("belong to apps"), "{e}");
    let e = refused("[[resolver]]\nshare = 1.0\nrestarts_per_day = 2\n");
    assert!(e.message.contains("[[app]]"), "{e}");
}

#[test]
fn schedules_build_versions_in_time_order() {
    let s = check("").unwrap();
    assert_eq!(s.record.versions[0].ttl, 5 * MINUTE);
    let text = BASE.replace(
        "new = [\"198.51.100.20\"]",
        "new = [\"198.51.100.20\"]\nschedule = [ { at = \"-48h\", ttl = \"60s\" } ]",
    );
    let s = parse(&text, "t.toml", &[]).unwrap();
    let starts: Vec<_> = s.record.versions.iter().map(|v| (v.start, v.ttl)).collect();
    assert_eq!(starts[1..], [(-48 * HOUR, 60 * SECOND), (0, 60 * SECOND)]);
    assert_eq!(s.record.earliest_step(), -48 * HOUR);
}

#[test]
fn a_ttl_beyond_rfc_2181_becomes_0_with_a_warning() {
    let s = parse(
        &BASE.replace("ttl = \"5m\"", "ttl = \"3000000000s\""),
        "t.toml",
        &[],
    )
    .unwrap();
    assert_eq!(s.record.versions[0].ttl, 0);
    assert_eq!(s.warnings.len(), 1);
}

#[test]
fn an_override_is_blamed_when_its_value_is_bad() {
    let set = Override::parse("simulation.bucket=0s").unwrap();
    let e = parse(BASE, "t.toml", &[set]).unwrap_err();
    assert_eq!(e.from_override.as_deref(), Some("--set simulation.bucket=0s"));
    assert!(e.message.contains("longer than 0"), "{e}");
}
