//! `summary.json`: the run's key figures, and what produced them (version,
//! seed, the scenario's content hash) so any result can be traced.

use super::Report;
use crate::engine::Layer;
use crate::stats::Results;
use serde_json::{json, Map, Value};

/// The thresholds `below` reports, as SPEC §5 names them.
pub const THRESHOLDS: [(&str, f64); 4] = [("0.1", 0.1), ("0.01", 0.01), ("0.001", 0.001), ("0.0001", 0.0001)];

/// A JSON value as written to disk: pretty, with a final newline.
pub fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("JSON of plain values");
    bytes.push(b'\n');
    bytes
}

/// The summary as a JSON value (also read by the HTML report).
pub fn summary(report: &Report) -> Value {
    let s = report.scenario;
    let r = report.results;
    let mut below = Map::new();
    for (key, threshold) in THRESHOLDS {
        let value = Results::settle_estimate(&r.settle_times(threshold)).map_or(
            Value::Null,
            |e| json!({ "mean_s": e.mean, "lo_s": e.lo, "hi_s": e.hi }),
        );
        below.insert(key.to_string(), value);
    }
    let last: Vec<f64> = r.last_old.iter().flatten().map(|&t| t as f64 / 1000.0).collect();
    let last_old = if last.is_empty() {
        Value::Null
    } else {
        json!({
            "mean_s": last.iter().sum::<f64>() / last.len() as f64,
            "max_s": last.iter().cloned().fold(f64::MIN, f64::max),
            "runs_with_old_requests": last.len(),
        })
    };
    let tail = r.tail_blame(crate::commands::run::TAIL_THRESHOLD).map_or(Value::Null, |(from, parts)| {
        let held: Map<String, Value> =
            Layer::ALL.iter().map(|l| (l.name().to_string(), json!(parts[*l as usize]))).collect();
        json!({ "threshold": crate::commands::run::TAIL_THRESHOLD, "from_s": from as f64 / 1000.0, "held_at": held })
    });
    let answered: Map<String, Value> = Layer::ALL
        .iter()
        .map(|l| (l.name().to_string(), json!(r.answered_at[*l as usize])))
        .collect();
    json!({
        "scenario": s.name,
        "description": s.description,
        "file": s.file,
        "content_hash": s.content_hash,
        "cachesim_version": env!("CARGO_PKG_VERSION"),
        "seed": s.seed,
        "runs": r.runs,
        "devices": r.devices_mean,
        "requests": r.requests_total,
        "requests_simulated": r.simulated_total,
        "wall_time_s": report.wall_time_s,
        "requests_per_s": r.simulated_total as f64 / report.wall_time_s.max(1e-9),
        "duration_s": s.duration as f64 / 1000.0,
        "bucket_s": s.bucket as f64 / 1000.0,
        "ttl_s": s.record.versions.last().map_or(0.0, |v| v.ttl as f64 / 1000.0),
        "below": below,
        "last_old_request_s": last_old,
        "answered_at": answered,
        "tail": tail,
        "plan": report.plan.to_json(),
        "overrides": s.overrides,
        "warnings": s.warnings,
    })
}
