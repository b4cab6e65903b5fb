//! `summary.json`: the run's key figures, and what produced them (version,
//! seed, the scenario's content hash) so any result can be traced. One typed
//! value, written by `run` and read back by `chart` and the report.

use super::hangs_on::HangsOn;
use super::{text, Report, TAIL_THRESHOLD, THRESHOLDS};
use crate::engine::cause::CODE_NAMES;
use crate::engine::PerLayer;
use crate::plan::{Criterion, Plan};
use crate::stats::Settled;
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
}

/// When the old share stays under a threshold: the mean over runs and its
/// 95 % interval (bootstrap; `null` with one run), to the resolution of a
/// bucket, and the two groups the runs fall into when they disagree.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settle {
    pub groups: Option<[Group; 2]>,
    pub hi_s: Option<f64>,
    pub lo_s: Option<f64>,
    pub mean_s: f64,
    pub resolution_s: f64,
}

/// Runs that settle together: how many, and by when.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub by_s: f64,
    pub runs: usize,
}

impl From<&Settled> for Settle {
    fn from(s: &Settled) -> Settle {
        let group = |(runs, by_s): (usize, f64)| Group { by_s, runs };
        Settle {
            groups: s.groups.map(|(a, b)| [group(a), group(b)]),
            hi_s: s.interval.map(|i| i.1),
            lo_s: s.interval.map(|i| i.0),
            mean_s: s.mean,
            resolution_s: s.resolution,
        }
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

/// The plan's answer, as figures and as a sentence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanSummary {
    pub answer: String,
    /// What to be careful of, such as a tail resting on a handful of caches.
    pub caveats: Vec<String>,
    /// The latest any old answer can reach a user, whatever the number of
    /// caches (`null` when nothing bounds it: see `unbounded_by`).
    pub longest_old_answer_s: Option<f64>,
    pub max_lost: Option<u64>,
    pub old_requests_after_per_run: f64,
    pub retire_after_s: Option<f64>,
    /// With 95 % confidence, the 95th percentile is no later than this
    /// (`null` with fewer runs than `runs_for_upper_bound`).
    pub retire_after_upper_s: Option<f64>,
    pub runs: usize,
    pub runs_for_upper_bound: usize,
    pub settled_runs: usize,
    /// The cause of the latest old requests.
    pub tail_set_by: Option<String>,
    pub tolerance: Option<f64>,
    pub unbounded_by: Option<String>,
}

impl PlanSummary {
    fn of(report: &Report) -> PlanSummary {
        let plan = &report.plan;
        let hangs_on = HangsOn::of(report);
        let (tolerance, max_lost) = match plan.criterion {
            Criterion::Tolerance(t) => (Some(t), None),
            Criterion::MaxLost(n) => (None, Some(n)),
        };
        PlanSummary {
            answer: text::plan_sentence(plan, hangs_on.unbounded().as_deref()),
            max_lost,
            old_requests_after_per_run: plan.old_requests_after,
            retire_after_s: plan.retire_after.map(seconds),
            retire_after_upper_s: plan.upper_bound.map(seconds),
            runs: plan.runs,
            runs_for_upper_bound: Plan::runs_for_bound(),
            longest_old_answer_s: hangs_on.bound.as_ref().ok().map(|b| seconds(*b)),
            unbounded_by: hangs_on.unbounded(),
            tail_set_by: hangs_on.tail_set_by,
            caveats: hangs_on.caveats,
            settled_runs: plan.settled_runs,
            tolerance,
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
            .map(|(key, threshold)| (key.to_string(), r.settle(*threshold).as_ref().map(Settle::from)))
            .collect();
        let last: Vec<f64> = r.last_old.iter().flatten().map(|&t| seconds(t)).collect();
        let last_old_request_s = (!last.is_empty()).then(|| LastOld {
            max_s: last.iter().cloned().fold(f64::MIN, f64::max),
            mean_s: last.iter().sum::<f64>() / last.len() as f64,
            runs_with_old_requests: last.len(),
        });
        let tail = r.tail_blame(TAIL_THRESHOLD).map(|tail| Tail {
            caused_by: CODE_NAMES
                .iter()
                .zip(tail.caused_by)
                .map(|(name, v)| (name.to_string(), v))
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
                        groups: None,
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
