//! `summary.json`: the run's key figures, and what produced them (version,
//! seed, the scenario's content hash) so any result can be traced. One typed
//! value, written by `run` and read back by `chart` and the report.

use super::{text, Report, THRESHOLDS};
use crate::engine::cause::code_names;
use crate::engine::PerLayer;
use crate::plan::decision::TAIL_THRESHOLD;
use crate::plan::mechanisms::{self, StepLag};
use crate::plan::{Criterion, Traffic};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Share per layer, keyed by the layer's name.
pub type ByLayer = BTreeMap<String, f64>;

/// Everything `summary.json` holds. Fields are in the file's (alphabetical)
/// order; a field missing from an older file reads as its default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Share of requests answered by each layer (hit ratios) in the first
    /// `answered_window_s` after the change.
    pub answered_at: ByLayer,
    /// The window the hit ratios cover: until the first partition goes
    /// quiet (no old answer can reach it), to the end of that bucket.
    pub answered_window_s: f64,
    /// Per threshold key, when the old share stays under it (`None`: some run never did).
    pub below: BTreeMap<String, Option<Settle>>,
    pub bucket_s: f64,
    pub cachesim_version: String,
    pub content_hash: String,
    /// The decision as `run` and `plan` print it and report.html opens
    /// with: the answer first, then what it hangs on.
    pub decision: Vec<String>,
    pub description: String,
    /// The engine that counted (see `engine::IDENTITY`).
    pub engine: String,
    pub devices: f64,
    pub duration_s: f64,
    pub file: String,
    pub last_old_request_s: Option<LastOld>,
    pub overrides: Vec<String>,
    pub plan: PlanSummary,
    pub requests: u64,
    pub requests_per_s: f64,
    pub requests_simulated: u64,
    pub runs: usize,
    pub scenario: String,
    pub seed: u64,
    pub tail: Option<Tail>,
    pub ttl_s: f64,
    /// The TTL as the charts' titles say it (each step of a schedule).
    pub ttl_text: String,
    pub wall_time_s: f64,
    pub warnings: Vec<String>,
    /// A weighted shift's steps, each with when the traffic reached its
    /// weight (only for a weighted record).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<StepLag>,
}

/// When the expected old share stays under a threshold: the estimate (an
/// end of a bucket, so known to `resolution_s`) and its 95 % interval
/// (`null` with one run; an end beyond the horizon is `null` too).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settle {
    pub hi_s: Option<f64>,
    pub lo_s: Option<f64>,
    /// The estimate (the key keeps its first name).
    pub mean_s: f64,
    pub resolution_s: f64,
}

impl Settle {
    /// `None` when the estimate is beyond the horizon.
    fn of(s: &crate::stats::Settle) -> Option<Settle> {
        Some(Settle {
            hi_s: s.interval.and_then(|i| i.1).map(seconds),
            lo_s: s.interval.and_then(|i| i.0).map(seconds),
            mean_s: seconds(s.estimate?),
            resolution_s: seconds(s.resolution),
        })
    }
}

/// The last request to an old address, over the runs that had one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LastOld {
    pub max_s: f64,
    pub mean_s: f64,
    pub runs_with_old_requests: usize,
}

/// Who causes and who holds the old requests once the mean old share stays
/// under `threshold`: each part of them, adding up to 1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tail {
    /// By cause: each layer, and `ttl` for answers still inside the record's TTL.
    pub caused_by: ByLayer,
    /// By cause, per pool: `resolver/pins-24h`, `connection/firefox`, `ttl`.
    pub caused_by_pool: ByLayer,
    pub from_s: f64,
    pub held_at: ByLayer,
    pub threshold: f64,
}

/// The plan's answer, as figures and as its first sentence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanSummary {
    /// The decision's first line.
    pub answer: String,
    /// Assumed pools the tail rests on (`assumed` in the scenario).
    pub assumed: Vec<AssumedPool>,
    /// What to be careful of, such as a tail resting on a handful of caches.
    pub caveats: Vec<String>,
    /// The best estimate of when the criterion is met, and its 95 % interval.
    pub estimate_s: Option<f64>,
    pub hi_s: Option<f64>,
    pub lo_s: Option<f64>,
    /// The latest any old answer can reach a user, whatever the number of
    /// caches (`null` when nothing bounds it: see `unbounded_by`).
    pub longest_old_answer_s: Option<f64>,
    /// Old requests per hour at `traffic_per_s`: in the hour after
    /// `retire_after_s`, and in the horizon's last hour.
    pub lost_per_hour_after: f64,
    /// The simulated old requests (all runs) that figure rests on, and its
    /// 95 % interval (none from one run).
    #[serde(default)]
    pub lost_per_hour_after_from: u64,
    #[serde(default)]
    pub lost_per_hour_after_lo: Option<f64>,
    #[serde(default)]
    pub lost_per_hour_after_hi: Option<f64>,
    pub lost_per_hour_at_horizon: f64,
    pub max_lost: Option<u64>,
    /// When the old server can go: the 95 % interval's upper end, or the
    /// longest old answer where that comes first (`null`: not within the horizon).
    pub retire_after_s: Option<f64>,
    pub runs: usize,
    /// The cause of the latest old requests.
    pub tail_set_by: Option<String>,
    pub tolerance: Option<f64>,
    /// Requests per second the lost requests are counted at, and whether
    /// the user stated it (`plan.traffic`) or it is the population's.
    pub traffic_per_s: f64,
    pub traffic_stated: bool,
    pub unbounded_by: Option<String>,
    /// `retire_after_s` without the assumed pools' old requests.
    pub without_assumed_s: Option<f64>,
}

/// A pool the answer rests on that the scenario marks as assumed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssumedPool {
    pub cause: String,
    pub tail_share: f64,
    pub why: String,
}

impl PlanSummary {
    fn of(report: &Report) -> PlanSummary {
        let plan = &report.plan;
        let decision = report.decision;
        let (tolerance, max_lost) = match plan.criterion {
            Criterion::Tolerance(t) => (Some(t), None),
            Criterion::MaxLost(n) => (None, Some(n)),
        };
        PlanSummary {
            answer: decision.lines.first().cloned().unwrap_or_default(),
            assumed: decision
                .assumed
                .iter()
                .map(|a| AssumedPool {
                    cause: a.cause.clone(),
                    tail_share: a.tail_share,
                    why: a.why.clone(),
                })
                .collect(),
            caveats: decision.caveats.clone(),
            estimate_s: plan.settle.estimate.map(seconds),
            hi_s: plan.settle.interval.and_then(|i| i.1).map(seconds),
            lo_s: plan.settle.interval.and_then(|i| i.0).map(seconds),
            longest_old_answer_s: decision.latest_old_answer.as_ref().ok().map(|b| seconds(*b)),
            lost_per_hour_after: plan.lost_first_hour,
            lost_per_hour_after_from: plan.seen_first_hour,
            lost_per_hour_after_lo: plan.lost_first_hour_interval.map(|i| i.0),
            lost_per_hour_after_hi: plan.lost_first_hour_interval.map(|i| i.1),
            lost_per_hour_at_horizon: plan.lost_last_hour,
            max_lost,
            retire_after_s: decision.retire_after.map(seconds),
            runs: report.results.runs,
            tail_set_by: decision.tail_set_by.clone(),
            tolerance,
            traffic_per_s: plan.traffic.per_second(),
            traffic_stated: matches!(plan.traffic, Traffic::Stated(_)),
            unbounded_by: decision.latest_old_answer.as_ref().err().map(ToString::to_string),
            without_assumed_s: decision.without_assumed.and_then(|w| w.bound()).map(seconds),
        }
    }
}

fn seconds(ms: crate::duration::Millis) -> f64 {
    ms as f64 / 1000.0
}

fn by_layer(values: &PerLayer<f64>) -> ByLayer {
    values.iter().map(|(l, v)| (l.name().to_string(), *v)).collect()
}

impl Summary {
    pub fn of(report: &Report) -> Summary {
        let s = report.scenario;
        let r = report.results;
        let below = THRESHOLDS
            .iter()
            .map(|(key, threshold)| (key.to_string(), Settle::of(&r.settle(*threshold))))
            .collect();
        let last: Vec<f64> = r.last_old.iter().flatten().map(|&t| seconds(t)).collect();
        let last_old_request_s = (!last.is_empty()).then(|| LastOld {
            max_s: last.iter().cloned().fold(f64::MIN, f64::max),
            mean_s: last.iter().sum::<f64>() / last.len() as f64,
            runs_with_old_requests: last.len(),
        });
        let tail = r.tail_blame(TAIL_THRESHOLD).map(|tail| Tail {
            caused_by: code_names(&r.causes)
                .into_iter()
                .map(|(code, name)| (name.to_string(), tail.caused_by[code]))
                .collect(),
            caused_by_pool: r
                .causes
                .iter()
                .zip(&tail.by_cause)
                .filter(|(_, v)| **v > 0.0)
                .map(|(c, v)| (c.name(), *v))
                .collect(),
            from_s: seconds(tail.from),
            held_at: by_layer(&tail.held_at),
            threshold: TAIL_THRESHOLD,
        });
        Summary {
            answered_at: by_layer(&r.answered_at),
            answered_window_s: seconds(crate::engine::quiet::answered_window(s)),
            below,
            bucket_s: seconds(s.bucket),
            cachesim_version: env!("CARGO_PKG_VERSION").to_string(),
            engine: crate::engine::IDENTITY.to_string(),
            content_hash: s.content_hash.clone(),
            decision: report.decision.lines.clone(),
            description: s.description.clone(),
            devices: r.devices_mean,
            duration_s: seconds(s.duration),
            file: s.file.clone(),
            last_old_request_s,
            overrides: s.overrides.clone(),
            plan: PlanSummary::of(report),
            requests: r.requests_total,
            requests_per_s: r.simulated_total as f64 / report.wall_time_s.max(1e-9),
            requests_simulated: r.simulated_total,
            runs: r.runs,
            scenario: s.name.clone(),
            seed: s.seed,
            tail,
            ttl_s: s.record.versions.last().map_or(0.0, |v| seconds(v.ttl)),
            ttl_text: text::ttl_text(&s.record),
            wall_time_s: report.wall_time_s,
            warnings: s.warnings.clone(),
            weights: mechanisms::step_lags(s, r),
        }
    }

    /// The file's bytes: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("JSON of plain values");
        bytes.push(b'\n');
        bytes
    }

    /// The settle time under `threshold`'s key, if every run got there.
    pub fn below(&self, key: &str) -> Option<&Settle> {
        self.below.get(key)?.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_writes() {
        let summary = Summary {
            answered_at: by_layer(&PerLayer([0.1, 0.2, 0.3, 0.1, 0.2, 0.1])),
            below: BTreeMap::from([
                (
                    "0.1".to_string(),
                    Some(Settle {
                        hi_s: Some(3.0),
                        lo_s: Some(1.0),
                        mean_s: 2.0,
                        resolution_s: 300.0,
                    }),
                ),
                ("0.0001".to_string(), None),
            ]),
            plan: PlanSummary {
                answer: "Keep it.".into(),
                tolerance: Some(0.0001),
                ..PlanSummary::default()
            },
            scenario: "s".into(),
            ..Summary::default()
        };
        let bytes = summary.to_bytes();
        let back: Summary = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, summary);
        let text = String::from_utf8(bytes).unwrap();
        // Keys in alphabetical order, as every earlier summary.json had them.
        let answered = text.find("\"answered_at\"").unwrap();
        let warnings = text.find("\"warnings\"").unwrap();
        assert!(answered < text.find("\"below\"").unwrap() && warnings > answered);
        assert!(text.contains("\"0.0001\": null"));
        assert!(text.contains("\"max_lost\": null"));
    }
}
