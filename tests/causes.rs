//! Who causes the old requests: the cache nearest the authoritative that
//! kept the old answer past the moment the record's TTL would have retired
//! it, or the TTL itself while the answer is inside it. Each case is built
//! so that only one cause is possible past the record's TTL, and the old
//! requests there must all be blamed on it.

use crate::common::simulate;
use cachesim::engine::cause::{ByCause, CODE_TTL};
use cachesim::engine::Layer;
use cachesim::stats::Results;

/// A scenario with TTL `ttl`, `body` after the record.
fn scenario(ttl: &str, duration: &str, body: &str) -> String {
    format!(
        "[simulation]\nduration = \"{duration}\"\nbucket = \"10s\"\nruns = 8\nseed = 31\n\
         [record]\nttl = \"{ttl}\"\nold = [\"203.0.113.10\"]\nnew = [\"198.51.100.20\"]\n{body}"
    )
}

/// Summed over buckets starting at `from_s` or later: each cause code's
/// old share, and the old share.
fn after(r: &Results, from_s: f64) -> (ByCause, f64) {
    let causes = r.old_cause();
    let mut sums: ByCause = Default::default();
    let mut old = 0.0;
    for (b, _) in r.time_s.iter().enumerate().filter(|(_, t)| **t >= from_s) {
        for (s, v) in sums.iter_mut().zip(causes[b]) {
            *s += v;
        }
        old += r.old_share[b].mean;
    }
    (sums, old)
}

/// The share of old requests from `from_s` on caused by the pool named `name`.
fn pool_share(r: &Results, from_s: f64, name: &str) -> f64 {
    let slot = r
        .causes
        .iter()
        .position(|c| c.name() == name)
        .expect("a cause of that name");
    let (mut pool, mut all) = (0.0, 0.0);
    for (b, _) in r.time_s.iter().enumerate().filter(|(_, t)| **t >= from_s) {
        pool += r.old_by_cause[b][slot];
        all += r.old_by_cause[b].iter().sum::<f64>();
    }
    pool / all
}

/// Every bucket's causes add up to its old share.
fn causes_add_up(r: &Results) {
    for (b, row) in r.old_cause().iter().enumerate() {
        let sum: f64 = row.iter().sum();
        assert!(
            (sum - r.old_share[b].mean).abs() < 1e-12,
            "bucket {b}: causes {sum}, old share {}",
            r.old_share[b].mean
        );
    }
}

/// After `from_s`, all old requests are caused by `code`, and there are some.
fn all_caused_by(r: &Results, from_s: f64, code: u8) {
    causes_add_up(r);
    let (sums, old) = after(r, from_s);
    assert!(
        old > 0.0,
        "no old request after {from_s} s: the case tests nothing"
    );
    assert!(
        (sums[code as usize] - old).abs() < 1e-9 * old.max(1.0),
        "by cause {sums:?}, old {old}"
    );
}

#[test]
fn honoured_ttls_cause_everything_old() {
    let r = simulate(&scenario(
        "60s",
        "2m",
        "[population]\nhouseholds = 400\nrequests_per_day = 2000\n[[resolver]]\nshare = 1.0\ninstances = 4\npolicy = \"honour\"\n[[os]]\nshare = 1.0\npolicy = \"honour\"\n",
    ));
    all_caused_by(&r, 0.0, CODE_TTL);
}

#[test]
fn a_pinning_resolver_causes_what_its_clients_hold() {
    // Half the households behind a resolver pinning 1 h, with OS caches
    // that only relay what it hands them: past the 60 s TTL the OS holds
    // most old answers, but the resolver is their cause.
    let r = simulate(&scenario(
        "60s",
        "5m",
        "[population]\nhouseholds = 400\nrequests_per_day = 2000\n\
         [[resolver]]\nname = \"honours\"\nshare = 0.5\ninstances = 4\npolicy = \"honour\"\n\
         [[resolver]]\nname = \"pins-1h\"\nshare = 0.5\ninstances = 4\npolicy = { fixed_ttl = \"1h\" }\n\
         [[os]]\nshare = 1.0\npolicy = \"honour\"\n",
    ));
    all_caused_by(&r, 60.0, Layer::Resolver as u8);
    assert!((pool_share(&r, 60.0, "resolver/pins-1h") - 1.0).abs() < 1e-9);
    let tail = r.tail_blame(0.55).expect("a tail");
    assert!(
        tail.held_at[Layer::Os] > 0.5,
        "the OS holds most of them: {:?}",
        tail.held_at
    );
}

#[test]
fn an_app_that_ignores_ttls_causes_its_own_staleness() {
    let r = simulate(&scenario(
        "20s",
        "90s",
        "[population]\nhouseholds = 400\nrequests_per_day = 20000\n[[app]]\nshare = 1.0\npolicy = { fixed_ttl = \"60s\" }\n",
    ));
    all_caused_by(&r, 20.0, Layer::App as u8);
}

#[test]
fn an_open_connection_causes_what_it_keeps_sending() {
    let r = simulate(&scenario(
        "20s",
        "2m",
        "[population]\nhouseholds = 400\nrequests_per_day = 20000\n[[app]]\nname = \"browser\"\nshare = 1.0\npolicy = \"none\"\nconnection = { idle_timeout = \"115s\" }\n",
    ));
    all_caused_by(&r, 20.0, Layer::Connection as u8);
    assert!((pool_share(&r, 20.0, "connection/browser") - 1.0).abs() < 1e-9);
}

#[test]
fn serving_stale_answers_causes_them() {
    // Stale answers go out only after the entry expired, past the TTL.
    let r = simulate(&scenario(
        "60s",
        "3m",
        "[population]\nhouseholds = 2000\nrequests_per_day = 60\n[[resolver]]\nshare = 1.0\ninstances = 2000\npolicy = { serve_stale = { max_stale = \"1d\" } }\n",
    ));
    all_caused_by(&r, 60.0, Layer::Resolver as u8);
}

#[test]
fn secondaries_serving_an_old_zone_cause_it() {
    let r = simulate(&scenario(
        "60s",
        "30m",
        "[population]\nhouseholds = 2000\nrequests_per_day = 1000\n[authoritative]\nsecondaries = 3\nrefresh = \"1h\"\nnotify = false\n",
    ));
    all_caused_by(&r, 0.0, Layer::Authoritative as u8);
}

#[test]
fn macos_keeping_a_quarter_longer_causes_what_it_keeps() {
    // mDNSResponder keeps 1.25 × TTL + 2 s: from 60 s to 77 s after a
    // fetch, its old answers are its own doing.
    let r = simulate(&scenario(
        "60s",
        "2m",
        "[population]\nhouseholds = 400\nrequests_per_day = 20000\n[[os]]\nshare = 1.0\npolicy = \"macos\"\n",
    ));
    all_caused_by(&r, 60.0, Layer::Os as u8);
    let (_, after_77) = after(&r, 80.0);
    assert_eq!(after_77, 0.0, "nothing old once 77 s have passed");
}
