//! A sweep's figures for each value: the plan's answer, the early impact
//! (old share 5 min, 30 min and 1 h after the change) and the times to 10 %,
//! 1 % and 0.1 %, each with its 95 % interval, and whether the answer can be
//! told apart from the previous value's. Written as `sweep.csv`, printed as
//! a table or as JSON.

use crate::duration::{self, Millis, HOUR, MINUTE};
use crate::plan::{Criterion, Plan};
use crate::stats::{Results, Settle};
use serde_json::{json, Map, Value};

/// When the early impact is read, and the column names it gets.
pub const EARLY: [(Millis, &str); 3] = [(5 * MINUTE, "5m"), (30 * MINUTE, "30m"), (HOUR, "1h")];

/// The settle thresholds reported, by column name.
pub const SETTLE: [(f64, &str); 3] = [(0.1, "0.1"), (0.01, "0.01"), (0.001, "0.001")];

/// A figure with its 95 % interval; either end is `None` where the runs
/// cannot give it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figure {
    pub value: Option<f64>,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
}

/// One point of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub values: Vec<String>,
    /// The plan's answer (seconds): the upper end of the interval of
    /// `settle_mean`, which it carries as its own.
    pub retire_after: Figure,
    /// When the plan's criterion is met (seconds): the estimate and its
    /// 95 % interval, what "within noise" compares.
    pub settle_mean: Figure,
    /// The mean old share at each [`EARLY`] time.
    pub early: Vec<Figure>,
    /// The mean time the old share stays under each [`SETTLE`] threshold.
    pub below: Vec<Figure>,
    /// Its answer cannot be told apart from the previous value's: their
    /// mean settle times' intervals overlap.
    pub within_noise: bool,
    /// How far the simulation reached (seconds): an answer beyond it is
    /// none. `None` from a sweep file written before it was kept.
    pub horizon_s: Option<f64>,
}

fn seconds(ms: Option<Millis>) -> Option<f64> {
    ms.map(|t| t as f64 / 1000.0)
}

impl Point {
    pub fn of(values: Vec<String>, results: &Results, plan: &Plan) -> Point {
        let settled = |s: &Settle| Figure {
            value: seconds(s.estimate),
            lo: seconds(s.interval.and_then(|i| i.0)),
            hi: seconds(s.interval.and_then(|i| i.1)),
        };
        let early = EARLY
            .iter()
            .map(|&(at, _)| {
                let bucket = (at / results.bucket) as usize;
                results
                    .old_share
                    .get(bucket)
                    .map_or(Figure::default(), |e| Figure {
                        value: Some(e.mean),
                        lo: Some(e.lo.max(0.0)),
                        hi: Some(e.hi.min(1.0)),
                    })
            })
            .collect();
        let settle_mean = settled(&plan.settle);
        Point {
            values,
            retire_after: Figure {
                value: seconds(plan.retire_after()),
                ..settle_mean
            },
            settle_mean,
            early,
            below: SETTLE.iter().map(|&(t, _)| settled(&results.settle(t))).collect(),
            within_noise: false,
            horizon_s: Some(plan.horizon as f64 / 1000.0),
        }
    }
}

/// Marks each point whose answer is within noise of the previous one's.
pub fn mark_noise(points: &mut [Point]) {
    for i in 1..points.len() {
        let (a, b) = (points[i - 1].settle_mean, points[i].settle_mean);
        points[i].within_noise = match (a.lo, a.hi, b.lo, b.hi) {
            (Some(alo), Some(ahi), Some(blo), Some(bhi)) => alo <= bhi && blo <= ahi,
            // Neither settled within the horizon: no difference to see.
            _ => a.value.is_none() && b.value.is_none(),
        };
    }
}

impl Point {
    /// The figures after the keys, named as their columns: the three that
    /// earlier sweeps wrote first, in their places, then the rest.
    pub fn named_cells(&self) -> Vec<(String, Value)> {
        let f = |x: Option<f64>| x.map_or(Value::Null, |v| json!(v));
        let mut c = vec![
            ("retire_after_s".to_string(), f(self.retire_after.value)),
            ("below_0.01_s".to_string(), f(self.below[1].value)),
            ("below_0.001_s".to_string(), f(self.below[2].value)),
            ("retire_after_lo_s".to_string(), f(self.retire_after.lo)),
            ("retire_after_hi_s".to_string(), f(self.retire_after.hi)),
            ("below_0.1_s".to_string(), f(self.below[0].value)),
        ];
        for ((_, name), b) in SETTLE.iter().zip(&self.below) {
            c.push((format!("below_{name}_lo_s"), f(b.lo)));
            c.push((format!("below_{name}_hi_s"), f(b.hi)));
        }
        for ((_, name), e) in EARLY.iter().zip(&self.early) {
            c.push((format!("old_share_{name}"), f(e.value)));
            c.push((format!("old_share_{name}_lo"), f(e.lo)));
            c.push((format!("old_share_{name}_hi"), f(e.hi)));
        }
        c.push(("within_noise".to_string(), json!(self.within_noise)));
        c.push(("estimate_s".to_string(), f(self.settle_mean.value)));
        c.push(("horizon_s".to_string(), f(self.horizon_s)));
        c
    }
}

/// `sweep.csv`: the keys, then [`Point::named_cells`]; an empty cell where
/// a figure cannot be given (beyond the horizon, too few runs).
pub fn csv_bytes(keys: &[String], points: &[Point]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let names = points.first().map(|p| p.named_cells()).unwrap_or_default();
    let header: Vec<String> = keys
        .iter()
        .cloned()
        .chain(names.into_iter().map(|(n, _)| n))
        .collect();
    w.write_record(&header).expect("writing to memory");
    for p in points {
        let mut row = p.values.clone();
        row.extend(p.named_cells().iter().map(|(_, v)| csv_cell(v)));
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// A JSON figure as a CSV cell: empty for null, numbers as Rust writes an
/// f64 (82800, not 82800.0), strings without quotes.
pub fn csv_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |x| x.to_string()),
        other => other.to_string(),
    }
}

/// The points as JSON: one object per value, `values` keyed by the swept
/// keys and the figures by their columns' names.
pub fn json(keys: &[String], points: &[Point]) -> Value {
    let rows = points
        .iter()
        .map(|p| {
            let mut row = Map::new();
            let values: Map<String, Value> = keys
                .iter()
                .cloned()
                .zip(p.values.iter().map(|v| json!(v)))
                .collect();
            row.insert("values".into(), Value::Object(values));
            for (name, cell) in p.named_cells() {
                row.insert(name, cell);
            }
            Value::Object(row)
        })
        .collect();
    Value::Array(rows)
}

/// "after <time>", or "beyond horizon" when the runs never got there.
fn after(seconds: Option<f64>, human: fn(Millis) -> String) -> String {
    seconds.map_or("beyond horizon".to_string(), |s| {
        format!("after {}", human((s * 1000.0) as Millis))
    })
}

/// One line of the printed table; `≈` marks an answer within noise of the
/// previous line's.
pub fn row_text(keys: &[String], p: &Point) -> String {
    let values: Vec<String> = keys
        .iter()
        .zip(&p.values)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let share = |f: &Figure| f.value.map_or("-".to_string(), duration::percent);
    format!(
        "{:<32} {} go {:<20} 10 % {:<20} 1 % {:<20} at +5 min {:<8} +1 h {}",
        values.join(" "),
        if p.within_noise { "≈" } else { " " },
        after(p.retire_after.value, duration::human_at_least),
        after(p.below[0].value, duration::human),
        after(p.below[1].value, duration::human),
        share(&p.early[0]),
        share(&p.early[2]),
    )
}

/// `sweep.json`: what the sweep chart is drawn from, so `cachesim chart`
/// can draw it again.
pub fn file_json(scenario: &str, keys: &[String], points: &[Point], criterion: Criterion) -> Vec<u8> {
    let criterion = match criterion {
        Criterion::Tolerance(t) => json!({ "tolerance": t }),
        Criterion::MaxLost(n) => json!({ "max_lost": n }),
    };
    let value = json!({
        "scenario": scenario,
        "keys": keys,
        "criterion": criterion,
        "points": json(keys, points),
    });
    let mut bytes = serde_json::to_vec_pretty(&value).expect("JSON serializes");
    bytes.push(b'\n');
    bytes
}

/// A sweep read back from `sweep.json`.
pub struct SweepFile {
    pub scenario: String,
    pub keys: Vec<String>,
    pub criterion: Criterion,
    pub points: Vec<Point>,
}

/// What is wrong with a `sweep.json`.
#[derive(Debug, thiserror::Error)]
pub enum SweepFileError {
    #[error("not valid JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("no \"{0}\"")]
    Missing(&'static str),
    #[error("a key that is not a string")]
    KeyNotAString,
    #[error("no value of {0}")]
    NoValue(String),
}

/// Reads `sweep.json` back; the error says what is wrong with it.
pub fn read_file_json(bytes: &[u8]) -> Result<SweepFile, SweepFileError> {
    let v: Value = serde_json::from_slice(bytes)?;
    let keys: Vec<String> = v["keys"]
        .as_array()
        .ok_or(SweepFileError::Missing("keys"))?
        .iter()
        .map(|k| k.as_str().map(String::from).ok_or(SweepFileError::KeyNotAString))
        .collect::<Result<_, _>>()?;
    let criterion = match (
        v["criterion"]["tolerance"].as_f64(),
        v["criterion"]["max_lost"].as_u64(),
    ) {
        (Some(t), _) => Criterion::Tolerance(t),
        (None, Some(n)) => Criterion::MaxLost(n),
        _ => return Err(SweepFileError::Missing("criterion")),
    };
    let rows = v["points"].as_array().ok_or(SweepFileError::Missing("points"))?;
    let points = rows
        .iter()
        .map(|row| {
            let values = keys
                .iter()
                .map(|k| {
                    row["values"][k]
                        .as_str()
                        .map(String::from)
                        .ok_or_else(|| SweepFileError::NoValue(k.clone()))
                })
                .collect::<Result<_, _>>()?;
            let n = |name: &str| row[name].as_f64();
            let figure = |v: &str, lo: &str, hi: &str| Figure {
                value: n(v),
                lo: n(lo),
                hi: n(hi),
            };
            let retire_after = figure("retire_after_s", "retire_after_lo_s", "retire_after_hi_s");
            Ok(Point {
                values,
                retire_after,
                settle_mean: Figure {
                    value: n("estimate_s"),
                    ..retire_after
                },
                early: EARLY
                    .iter()
                    .map(|(_, e)| {
                        figure(
                            &format!("old_share_{e}"),
                            &format!("old_share_{e}_lo"),
                            &format!("old_share_{e}_hi"),
                        )
                    })
                    .collect(),
                below: SETTLE
                    .iter()
                    .map(|(_, t)| {
                        figure(
                            &format!("below_{t}_s"),
                            &format!("below_{t}_lo_s"),
                            &format!("below_{t}_hi_s"),
                        )
                    })
                    .collect(),
                within_noise: row["within_noise"].as_bool().unwrap_or(false),
                horizon_s: n("horizon_s"),
            })
        })
        .collect::<Result<_, SweepFileError>>()?;
    Ok(SweepFile {
        scenario: v["scenario"].as_str().unwrap_or("sweep").to_string(),
        keys,
        criterion,
        points,
    })
}
