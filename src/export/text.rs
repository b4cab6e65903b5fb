//! What people read: the summary `run` prints, the decision first, then
//! the details behind it, each labelled so none reads as a second answer.

use super::{Report, THRESHOLDS};
use crate::duration::{self, human, percent, significant, Millis};
use crate::plan::decision::{largest_first, TAIL_THRESHOLD};
use crate::stats::Settle;
use std::path::Path;

/// After a settle time: its 95 % interval, or why there is none.
fn settle_detail(e: &Settle) -> String {
    format!(" ({})", interval_words(e.within_first_bucket(), e.interval))
}

/// A settle time's interval in words, for the printed details and
/// report.html alike: within the first bucket (which cannot tell when),
/// that same bucket, a range (an end beyond the horizon said so), or none
/// from one run (`interval` is `None`).
pub fn interval_words(first_bucket: bool, interval: Option<(Option<Millis>, Option<Millis>)>) -> String {
    let end = |t: Option<Millis>| t.map_or("beyond the horizon".into(), human);
    match interval {
        _ if first_bucket => "within the first bucket: a finer simulation.bucket tells when".to_string(),
        Some((lo, hi)) if lo == hi && lo.is_some() => "95 % interval: that same bucket".to_string(),
        Some((None, None)) => "95 % interval beyond the horizon".to_string(),
        Some((lo, hi)) => format!("95 % interval {} to {}", end(lo), end(hi)),
        None => "one run: no interval".to_string(),
    }
}

/// The decision's lines, one per line.
pub fn decision_text(report: &Report) -> String {
    report.decision.lines.iter().map(|l| format!("{l}\n")).collect()
}

/// What `run` prints once the results are in `dir`.
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
    let mut out = decision_text(report);
    out.push_str(&format!(
        "\nDetails. {}: {} devices, {} runs, {} after the change (TTL {})\n",
        s.name,
        duration::grouped(r.devices_mean.round() as u64),
        r.runs,
        human(s.duration),
        ttl_text(&s.record),
    ));
    out.push_str(&format!(
        "when the expected old share stays under each share (best estimate; times are ends of {} buckets):\n",
        human(s.bucket)
    ));
    let pooled_per_bucket = r.requests.iter().sum::<f64>() / r.requests.len().max(1) as f64 * r.runs as f64;
    for (_, threshold) in THRESHOLDS {
        let settle = r.settle(threshold);
        let mut line = match settle.estimate {
            Some(t) => format!(
                "  {:>7}  {}{}",
                percent(threshold),
                human(t),
                settle_detail(&settle)
            ),
            None => format!("  {:>7}  not within the horizon", percent(threshold)),
        };
        if threshold * pooled_per_bucket < 1.0 {
            line.push_str(&format!(
                " (under one request in a bucket of all {} runs: it marks the last old request)",
                r.runs
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
            "old requests from {} on (under {}), by the cache that kept the old answer too long: {}\n  \
             by the cache nearest the user that handed it over: {}\n",
            human(tail.from),
            percent(TAIL_THRESHOLD),
            largest_first(causes, usize::MAX),
            largest_first(held, usize::MAX),
        ));
    }
    out.push_str(&format!(
        "simulated {} requests ({} after the change) in {:.2} s: {} million requests/s\n",
        duration::grouped(r.simulated_total),
        duration::grouped(r.requests_total),
        report.wall_time_s,
        significant(r.simulated_total as f64 / report.wall_time_s.max(1e-9) / 1e6)
    ));
    out.push_str(&format!("results: {}\n", dir.display()));
    out
}
