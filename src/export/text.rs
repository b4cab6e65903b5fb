//! What people read: the plan's answer as a sentence and the summary `run`
//! prints, the figures an SRE looks for first.

use super::hangs_on::HangsOn;
use super::{Report, TAIL_THRESHOLD, THRESHOLDS};
use crate::duration::{self, percent, significant, Millis};
use crate::plan::{Criterion, Plan};
use crate::stats::Settled;
use std::path::Path;

/// A time in seconds as people say it.
fn seconds(s: f64) -> String {
    duration::human((s * 1000.0) as Millis)
}

/// After a settle time: its interval, or why there is none, and whether the
/// runs disagree.
fn settle_detail(e: &Settled, runs: usize) -> String {
    let mut detail = match e.interval {
        Some((lo, hi)) => format!(" (95 % CI {} to {}", seconds(lo), seconds(hi)),
        None => format!(" ({} run: no interval", runs),
    };
    if let Some(((a, by_a), (b, by_b))) = e.groups {
        detail.push_str(&format!(
            "; runs disagree: {a} of {runs} settle by {}, {b} only by {}",
            seconds(by_a),
            seconds(by_b)
        ));
    }
    detail.push(')');
    detail
}

/// Named shares as "a 90 %, b 10 %", the largest first, none that is 0.
fn largest_first(parts: impl Iterator<Item = (String, f64)>) -> String {
    let mut parts: Vec<(String, f64)> = parts.filter(|(_, v)| *v > 0.0).collect();
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    let text: Vec<String> = parts
        .iter()
        .map(|(name, v)| format!("{name} {}", percent(*v)))
        .collect();
    text.join(", ")
}

/// The plan's answer in one or two sentences.
/// `unbounded`: what leaves an old answer's life without a bound (see
/// [`super::hangs_on::HangsOn`]); then a longer horizon is not offered as
/// the cure, since no horizon may be long enough.
pub fn plan_sentence(plan: &Plan, unbounded: Option<&str>) -> String {
    let what = match plan.criterion {
        Criterion::Tolerance(t) => format!("old share under {} in 95 % of runs", percent(t)),
        Criterion::MaxLost(n) => format!("fewer than {n} requests left for the old server in 95 % of runs"),
    };
    match plan.retire_after {
        Some(t) => {
            let tail = if plan.old_requests_after == 0.0 {
                "after that no simulated request reached it".to_string()
            } else {
                format!(
                    "after that about {} in a million requests still arrive there ({:.1} per run of this population)",
                    significant(plan.old_share_after() * 1e6),
                    plan.old_requests_after
                )
            };
            let bound = match plan.upper_bound {
                Some(b) => format!(
                    " With 95 % confidence that time is no later than {} (a bound from {} runs).",
                    duration::human_at_least(b),
                    plan.runs
                ),
                None => format!(
                    " That is an estimate from {} runs; a 95 % confidence bound on it needs at least {}.",
                    plan.runs,
                    Plan::runs_for_bound()
                ),
            };
            format!(
                "Keep the old server for at least {} after the change ({what}); {tail}.{bound}",
                duration::human_at_least(t)
            )
        }
        None => {
            let short = format!(
                "The horizon of {} is too short to answer: only {} of {} runs had settled ({what}).",
                duration::human(plan.horizon),
                plan.settled_runs,
                plan.runs,
            );
            match unbounded {
                Some(reason) => format!(
                    "{short} A longer horizon may never be enough: nothing bounds how long an old answer \
                     can live here ({reason}). Bound it and plan again, or accept a number of lost \
                     requests with --max-lost."
                ),
                None => format!(
                    "{short} Run again with a longer horizon, simulation.duration={}.",
                    duration::short(plan.longer_horizon())
                ),
            }
        }
    }
}

/// What `run` prints once the results are in `dir`.
/// Says that a run replaced a folder's earlier results of another scenario,
/// seed or number of runs (results of the same are not lost: they come back).
pub fn replaced_note(
    replaced: &super::Replaced,
    now: &crate::scenario::Scenario,
    dir: &Path,
) -> Option<String> {
    let same = replaced.content_hash == now.content_hash
        && replaced.seed == now.seed
        && replaced.runs == now.runs as usize;
    (!same).then(|| {
        format!(
            "Replaced the previous results in {}: scenario {} (content hash {}, seed {}, {} runs); use --out to keep results apart.",
            dir.display(),
            replaced.scenario,
            replaced.content_hash,
            replaced.seed,
            replaced.runs
        )
    })
}

/// The record's TTL as people say it: "5 min", or with a schedule each step,
/// "1 d, 60 s from 48 h before the change".
pub fn ttl_text(record: &crate::scenario::Record) -> String {
    let mut steps: Vec<String> = Vec::new();
    let mut last = None;
    for v in &record.versions {
        if last == Some(v.ttl) {
            continue;
        }
        let ttl = duration::human(v.ttl);
        steps.push(match (last, v.start) {
            (None, _) => ttl,
            (Some(_), 0) => format!("{ttl} from the change"),
            (Some(_), t) if t < 0 => format!("{ttl} from {} before the change", duration::human(-t)),
            (Some(_), t) => format!("{ttl} from {} after the change", duration::human(t)),
        });
        last = Some(v.ttl);
    }
    steps.join(", ")
}

pub fn run_summary(report: &Report, dir: &Path) -> String {
    let s = report.scenario;
    let r = report.results;
    let mut out = String::new();
    out.push_str(&format!(
        "{}: {:.0} devices, {} runs, {} after the change (TTL {})\n",
        s.name,
        r.devices_mean,
        r.runs,
        duration::human(s.duration),
        ttl_text(&s.record),
    ));
    out.push_str(&format!(
        "simulated {} requests ({} after the change) in {:.2} s: {:.3e} requests/s\n",
        r.simulated_total,
        r.requests_total,
        report.wall_time_s,
        r.simulated_total as f64 / report.wall_time_s.max(1e-9)
    ));
    out.push_str(&format!(
        "old share stays under (times are ends of {} buckets)\n",
        duration::human(s.bucket)
    ));
    let requests_per_bucket = r.requests.iter().sum::<f64>() / r.requests.len().max(1) as f64;
    for (_, threshold) in THRESHOLDS {
        let mut line = match r.settle(threshold) {
            Some(e) => format!(
                "  {:>7} after {}{}",
                percent(threshold),
                seconds(e.mean),
                settle_detail(&e, r.runs)
            ),
            None => format!("  {:>7} not within the horizon in every run", percent(threshold)),
        };
        if threshold * requests_per_bucket < 1.0 {
            line.push_str(&format!(
                " (finer than one request in a bucket of about {}: it marks the last old request)",
                significant(requests_per_bucket)
            ));
        }
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(tail) = r.tail_blame(TAIL_THRESHOLD) {
        let causes = r
            .causes
            .iter()
            .map(|c| c.name())
            .zip(tail.by_cause.iter().copied());
        let held = tail.held_at.iter().map(|(l, v)| (l.name().to_string(), *v));
        out.push_str(&format!(
            "the tail (from {}, under {}) is caused by: {}\n  held at: {}\n",
            duration::human(tail.from),
            percent(TAIL_THRESHOLD),
            largest_first(causes),
            largest_first(held),
        ));
    }
    let hangs_on = HangsOn::of(report);
    out.push_str(&format!(
        "{}\n",
        plan_sentence(&report.plan, hangs_on.unbounded().as_deref())
    ));
    for sentence in hangs_on.sentences() {
        out.push_str(&format!("{sentence}\n"));
    }
    out.push_str(&format!("results: {}\n", dir.display()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::SECOND;

    fn plan(retire_after: Option<Millis>) -> Plan {
        Plan {
            criterion: Criterion::default(),
            horizon: 72 * duration::HOUR,
            retire_after,
            upper_bound: None,
            settled_runs: 32,
            runs: 32,
            old_requests_after: 0.0,
            requests_after: 1e6,
        }
    }

    #[test]
    fn the_plan_never_says_less_than_it_computed() {
        let said = plan_sentence(&plan(Some(176_100 * SECOND)), None);
        assert!(said.contains("at least 2 d 1 h after the change"), "{said}");
        let said = plan_sentence(&plan(Some(86_700 * SECOND)), None);
        assert!(said.contains("at least 24 h 5 min after"), "{said}");
    }
}
