//! Records a migration changes besides one address record: an alias whose
//! target is swapped (a CDN switch) and a weighted shift. Closed forms
//! behind one resolver honouring TTLs, at request rate L per resolver.

use crate::common::{check_series, run_shares, simulate};
use cachesim::engine::bound::{latest_old_answer, Open};
use cachesim::scenario;

/// The old share behind one cache keeping answers `ttl` s under Poisson
/// requests at `rate` per s: (ttl − t)⁺ / (ttl + 1/rate).
fn cache_share(ttl: f64, rate: f64) -> impl Fn(f64) -> f64 {
    move |t: f64| (ttl - t).max(0.0) / (ttl + 1.0 / rate)
}

/// 2,000 resolver instances, one household each, at L = 0.05/s, no cache
/// below them: each run has 2,000 independent resolvers.
fn behind_one_resolver(record: &str) -> String {
    format!(
        r#"
[simulation]
duration = "80s"
bucket = "10s"
runs = 20
seed = 31
[record]
old = ["203.0.113.10"]
new = ["198.51.100.20"]
{record}
[population]
households = 2000
requests_per_day = 4320        # 0.05 per second
[[resolver]]
share = 1.0
instances = 2000
policy = {{}}
"#
    )
}

/// An alias over short-lived addresses: the alias's TTL C sets the tail,
/// (C − t)⁺ / (C + 1/L), however short the target's TTL (the resolver keeps
/// fetching the old target's addresses while it holds the alias).
#[test]
fn an_alias_over_short_lived_addresses_lasts_as_long_as_the_alias() {
    let r = simulate(&behind_one_resolver("ttl = \"5s\"\ncname = { ttl = \"60s\" }"));
    check_series(&r, cache_share(60.0, 0.05), 0.0, "alias 60 s over 5 s");
    // Past the first seconds the old answers are the alias's doing (cause
    // code 7; the TTL's, 6, only while the old target's addresses fetched
    // before the change last).
    let causes = r.old_cause();
    let alias: f64 = causes.iter().map(|c| c[7]).sum();
    let ttl: f64 = causes.iter().map(|c| c[6]).sum();
    let all: f64 = causes.iter().map(|c| c.iter().sum::<f64>()).sum();
    assert!(
        alias / all > 0.8 && (alias + ttl - all).abs() < 1e-9,
        "alias {alias}, ttl {ttl}, all {all}"
    );
}

/// An alias over long-lived addresses: the resolver keeps its answer no
/// longer than the alias, so again (C − t)⁺ / (C + 1/L).
#[test]
fn an_alias_over_long_lived_addresses_ends_with_the_alias() {
    let r = simulate(&behind_one_resolver("ttl = \"300s\"\ncname = { ttl = \"60s\" }"));
    check_series(&r, cache_share(60.0, 0.05), 0.0, "alias 60 s over 300 s");
}

/// A weighted step to w at the change, TTL T: old share
/// 1 − w·(1 − (T − t)⁺ / (T + 1/L)).
#[test]
fn a_weighted_step_lags_its_weight_by_the_ttl() {
    for (w, seed) in [(0.1, 32), (0.5, 33)] {
        let text = behind_one_resolver(&format!(
            "ttl = \"60s\"\nweights = [{{ at = \"0s\", new = {w} }}]"
        ))
        .replace("seed = 31", &format!("seed = {seed}"));
        let r = simulate(&text);
        let cached = cache_share(60.0, 0.05);
        check_series(&r, |t| 1.0 - w * (1.0 - cached(t)), 0.0, &format!("weight {w}"));
        // Once the old answers cached before the change are gone, every old
        // request is the weights' doing (cause code 8).
        for (b, causes) in r
            .old_cause()
            .iter()
            .enumerate()
            .filter(|(b, _)| r.time_s[*b] >= 60.0)
        {
            let old = r.old_share[b].mean;
            assert!((causes[8] - old).abs() < 1e-9, "bucket {b}: {causes:?} of {old}");
        }
    }
}

/// Weights that reach 1 end like a switch at that step.
#[test]
fn weights_that_reach_one_end_like_a_switch_then() {
    let text = behind_one_resolver(
        "ttl = \"60s\"\nweights = [{ at = \"0s\", new = 0.0 }, { at = \"20s\", new = 1.0 }]",
    );
    let r = simulate(&text);
    let cached = cache_share(60.0, 0.05);
    check_series(
        &r,
        |t| if t <= 20.0 { 1.0 } else { cached(t - 20.0) },
        0.0,
        "switch at 20 s",
    );
    // The first bucket is all old.
    let first = run_shares(&r, 0);
    assert!(first.iter().all(|&s| s == 1.0), "{first:?}");
}

fn parse(text: &str) -> scenario::Scenario {
    scenario::parse(text, "t.toml", &[]).expect("valid")
}

/// The latest an old answer can come: the alias's lifetime at the resolver
/// (a minimum TTL stretches it), not the target's TTL, and caches below
/// keep what they are handed no longer than the resolver's copy.
#[test]
fn the_bound_follows_the_alias() {
    let base = behind_one_resolver("ttl = \"20s\"\ncname = { ttl = \"5m\" }");
    let all = [0];
    assert_eq!(latest_old_answer(&parse(&base), &all), Ok(300_000));
    let with_os = format!("{base}\n[[os]]\nshare = 1.0\npolicy = {{}}\n");
    assert_eq!(latest_old_answer(&parse(&with_os), &all), Ok(300_000));
    // An OS cache with a 15 s floor (macOS) may keep the last copy 15 s.
    let macos = format!("{base}\n[[os]]\nshare = 1.0\npolicy = \"macos\"\n");
    let bound = latest_old_answer(&parse(&macos), &all).unwrap();
    assert!((300_000..=300_000 + 27_000).contains(&bound), "{bound}");
    let floor = base.replace("policy = {}", "policy = { min_ttl = \"10m\" }");
    assert_eq!(latest_old_answer(&parse(&floor), &all), Ok(600_000));
}

/// Weights ending below 1 leave old answers for good: no bound, and why.
#[test]
fn weights_ending_below_one_have_no_bound() {
    let s = parse(&behind_one_resolver(
        "ttl = \"60s\"\nweights = [{ at = \"0s\", new = 0.5 }]",
    ));
    let open = latest_old_answer(&s, &[0]).unwrap_err();
    assert_eq!(open, Open::Split { new: 0.5 });
    assert!(open.to_string().contains("50% of answers new"), "{open}");
    let s = parse(&behind_one_resolver(
        "ttl = \"60s\"\nweights = [{ at = \"0s\", new = 0.5 }, { at = \"30m\", new = 1.0 }]",
    ));
    assert_eq!(latest_old_answer(&s, &[0]), Ok(30 * 60_000 + 60_000));
}

/// Counting quiet partitions in bulk, and walking devices alone once
/// nothing above them can hand an old answer, keep every mean behind an
/// alias (with resolvers that serve stale, prefetch, clamp and pin, and
/// secondaries that load the change late) and under a weighted shift.
#[test]
fn counting_in_bulk_keeps_every_mean_behind_an_alias() {
    crate::equivalence::assert_quiet_counts_keep_every_mean(&["record.cname={ ttl = \"10m\" }"]);
}

#[test]
fn counting_in_bulk_keeps_every_mean_under_a_weighted_shift() {
    crate::equivalence::assert_quiet_counts_keep_every_mean(&[
        "record.weights=[{ at = \"0s\", new = 0.3 }, { at = \"20m\", new = 1.0 }]",
    ]);
}

/// The bound behind an alias holds where chains are busy enough to come
/// near it: walking every request to the horizon checks that no old
/// answer comes after its partition went quiet.
#[test]
fn no_old_answer_comes_after_the_bound_behind_an_alias() {
    use cachesim::engine::Shortcuts;
    let walk = |overrides: &[&str]| {
        crate::common::run_tallies_with(
            crate::equivalence::QUIETING,
            overrides,
            Shortcuts {
                count_quietly: false,
                ..Shortcuts::default()
            },
        )
    };
    for record in [
        &["record.cname={ ttl = \"10m\" }"][..],
        &["record.cname={ ttl = \"30s\" }"],
        &["record.delegation={ parent_ttl = \"2h\", child_ttl = \"20m\" }"],
        // The old provider serves the old alias: both at once.
        &[
            "record.cname={ ttl = \"5m\" }",
            "record.delegation={ parent_ttl = \"2h\", child_ttl = \"20m\", old_provider = \"1h\" }",
        ],
    ] {
        let mut overrides = record.to_vec();
        overrides.extend(["simulation.runs=6", "population.requests_per_day=3000"]);
        let tallies = walk(&overrides);
        assert!(tallies.iter().all(|t| t.last_old.is_some()));
    }
    // Busy honouring resolvers come near the bound of a delegation: every
    // shard fetches its answer again each minute through the delegation it
    // holds, until that expires (10 min 30 s, so the last answer fetched
    // through it outlives it by 30 s; the bound allows the answer's whole
    // minute).
    let busy = crate::common::run_tallies_with(
        &behind_one_resolver("ttl = \"60s\"\n[record.delegation]\nparent_ttl = \"1h\"\nchild_ttl = \"630s\"")
            .replace("duration = \"80s\"", "duration = \"30m\"")
            .replace("instances = 2000", "instances = 20"),
        &["simulation.runs=4"],
        Shortcuts {
            count_quietly: false,
            ..Shortcuts::default()
        },
    );
    let last = busy
        .iter()
        .filter_map(|t| t.last_old)
        .max()
        .expect("old requests");
    assert!(
        last > 630_000,
        "the latest old request at {last} ms, past the delegation's life"
    );
}

/// The lag the decision reports: behind honouring resolvers (TTL 60 s,
/// L = 0.05/s) the share of requests on the new addresses after a step
/// from w₀ to w is w₀ + (w − w₀)·(1 − (60 − t)⁺/80). It comes within one
/// point of 50 % only in the bucket [60 s, 70 s) (in [50 s, 60 s) its mean
/// is 46.9 %), and of 100 % in the bucket starting 60 s after the step at
/// 5 min (95 % the bucket before): ends of 10 s buckets, a bucket's noise
/// allowed.
#[test]
fn the_lag_is_where_the_closed_form_reaches_each_weight() {
    let text = behind_one_resolver(
        "ttl = \"60s\"\nweights = [{ at = \"0s\", new = 0.5 }, { at = \"5m\", new = 1.0 }]",
    )
    .replace("duration = \"80s\"", "duration = \"8m\"");
    let s = parse(&text);
    let r = simulate(&text);
    let lags = cachesim::plan::mechanisms::step_lags(&s, &r);
    assert_eq!(lags.len(), 2);
    let first = lags[0].reached_s.expect("reached");
    assert!([70.0, 80.0].contains(&first), "50 % reached at {first} s");
    assert_eq!(lags[1].reached_s, Some(370.0), "100 % reached");
}

/// A move to a new DNS provider behind child-centric resolvers, with the
/// addresses' TTL 0 (never cached, so every request asks the provider the
/// delegation names): the delegation is a cache of its own lifetime N, the
/// NS TTL the resolver keeps, and the old share is (N − t)⁺ / (N + 1/L),
/// the child's N or the parent's as the resolver's `ns` says; an old
/// provider that stops answering at D ends it there.
#[test]
fn a_cached_delegation_is_a_cache_of_the_ns_ttl_it_keeps() {
    let moved = |delegation: &str, ns: &str, seed: u32| {
        behind_one_resolver(&format!("ttl = \"0s\"\n[record.delegation]\n{delegation}"))
            .replace("policy = {}", &format!("policy = {{ ns = \"{ns}\" }}"))
            .replace("seed = 31", &format!("seed = {seed}"))
    };
    let r = simulate(&moved("parent_ttl = \"10m\"\nchild_ttl = \"60s\"", "child", 34));
    check_series(&r, cache_share(60.0, 0.05), 0.0, "child NS 60 s");
    // The old requests are the delegation's doing (cause code 9).
    let causes = r.old_cause();
    let delegation: f64 = causes.iter().map(|c| c[9]).sum();
    let all: f64 = causes.iter().map(|c| c.iter().sum::<f64>()).sum();
    assert!(
        (delegation - all).abs() < 1e-9 && all > 0.0,
        "{delegation} of {all}"
    );
    let r = simulate(&moved("parent_ttl = \"60s\"\nchild_ttl = \"10m\"", "parent", 35));
    check_series(&r, cache_share(60.0, 0.05), 0.0, "parent NS 60 s");
    let r = simulate(&moved(
        "parent_ttl = \"10m\"\nchild_ttl = \"60s\"\nold_provider = \"30s\"",
        "child",
        36,
    ));
    let cached = cache_share(60.0, 0.05);
    check_series(
        &r,
        |t| if t < 30.0 { cached(t) } else { 0.0 },
        0.0,
        "old provider gone at 30 s",
    );
}

/// A delegation that lives no longer than the addresses' TTL T changes
/// nothing: each fetch after an answer expires finds it expired too, so the
/// old share is the plain (T − t)⁺ / (T + 1/L).
#[test]
fn a_delegation_shorter_than_the_ttl_adds_nothing() {
    let text =
        behind_one_resolver("ttl = \"60s\"\n[record.delegation]\nparent_ttl = \"2d\"\nchild_ttl = \"30s\"")
            .replace("seed = 31", "seed = 37");
    check_series(
        &simulate(&text),
        cache_share(60.0, 0.05),
        0.0,
        "child NS 30 s under TTL 60 s",
    );
}

/// The bound: the delegation the resolver keeps (child's or parent's TTL,
/// under its lifetime rule), or the old provider's end if sooner, then the
/// addresses' TTL.
#[test]
fn the_bound_follows_the_delegation() {
    let text = |extra: &str, policy: &str| {
        behind_one_resolver(&format!(
            "ttl = \"5m\"\n[record.delegation]\nparent_ttl = \"2d\"\nchild_ttl = \"1h\"\n{extra}"
        ))
        .replace("policy = {}", policy)
    };
    let bound = |extra: &str, policy: &str| latest_old_answer(&parse(&text(extra, policy)), &[0]);
    let minutes = |m: i64| Ok(m * 60_000);
    assert_eq!(bound("", "policy = {}"), minutes(65));
    assert_eq!(bound("", "policy = { ns = \"parent\" }"), minutes(48 * 60 + 5));
    assert_eq!(bound("old_provider = \"30m\"", "policy = {}"), minutes(35));
    assert_eq!(bound("", "policy = { min_ttl = \"2h\" }"), minutes(240));
}

#[test]
fn counting_in_bulk_keeps_every_mean_across_a_provider_move() {
    crate::equivalence::assert_quiet_counts_keep_every_mean(&[
        "record.delegation={ parent_ttl = \"2h\", child_ttl = \"20m\", old_provider = \"1h\" }",
        "resolver.1.policy={ preset = \"bind\", ns = \"parent\" }",
    ]);
}
