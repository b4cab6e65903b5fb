//! `cachesim compare`: several results folders side by side. One table of
//! their key figures (compare.csv, the printed table, JSON), one chart of
//! their old shares (linear and log), and a small report.html.

use super::folder::Folder;
use super::sweep::{csv_cell, EARLY};
use super::THRESHOLDS;
use crate::duration::{self, percent};
use serde_json::{json, Map, Value};

/// One folder's key figures, named as compare.csv's columns, in order.
pub fn figures(label: &str, folder: &Folder) -> Vec<(String, Value)> {
    let s = &folder.summary;
    let c = &folder.charts;
    let mut row = vec![
        ("folder".to_string(), json!(label)),
        ("scenario".to_string(), json!(s.scenario)),
        ("ttl".to_string(), json!(c.ttl_text)),
        ("runs".to_string(), json!(s.runs)),
        ("devices".to_string(), json!(s.devices)),
        ("retire_after_s".to_string(), json!(s.plan.retire_after_s)),
        ("estimate_s".to_string(), json!(s.plan.estimate_s)),
    ];
    for (key, _) in THRESHOLDS {
        row.push((format!("below_{key}_s"), json!(s.below(key).map(|b| b.mean_s))));
    }
    for (at, name) in EARLY {
        let at = at as f64 / 1000.0;
        let bucket = c.time_s.iter().rposition(|t| *t <= at);
        let share = bucket.filter(|_| at < c.time_s.last().map_or(0.0, |t| t + c.bucket_s));
        row.push((format!("old_share_{name}"), json!(share.map(|b| c.old_share[b]))));
    }
    let tail = s.tail.as_ref().and_then(|t| {
        t.caused_by_pool
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(pool, share)| format!("{pool} {}", percent(*share)))
    });
    row.push(("tail_caused_by".to_string(), json!(tail)));
    row.push(("content_hash".to_string(), json!(s.content_hash)));
    row
}

/// compare.csv: one row per folder.
pub fn csv_bytes(rows: &[Vec<(String, Value)>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if let Some(first) = rows.first() {
        w.write_record(first.iter().map(|(n, _)| n))
            .expect("writing to memory");
    }
    for row in rows {
        w.write_record(row.iter().map(|(_, v)| csv_cell(v)))
            .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// The rows as JSON: one object per folder.
pub fn json_rows(rows: &[Vec<(String, Value)>]) -> Value {
    Value::Array(
        rows.iter()
            .map(|row| Value::Object(row.iter().cloned().collect::<Map<String, Value>>()))
            .collect(),
    )
}

/// The table people read: one column per folder, one line per figure.
pub fn table_text(rows: &[Vec<(String, Value)>]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let human = |name: &str, v: &Value| -> String {
        match v {
            Value::Null => "-".into(),
            Value::Number(n) if name.ends_with("_s") => {
                duration::human((n.as_f64().unwrap_or(0.0) * 1000.0) as i64)
            }
            Value::Number(n) if name.starts_with("old_share") => percent(n.as_f64().unwrap_or(0.0)),
            Value::Number(n) if name == "devices" => duration::grouped(n.as_f64().unwrap_or(0.0) as u64),
            other => csv_cell(other),
        }
    };
    let mut lines: Vec<Vec<String>> = first
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            // Durations are printed as durations, so their names lose the
            // "_s" that says seconds in compare.csv.
            let title = name
                .strip_suffix("_s")
                .map_or_else(|| name.clone(), |n| n.replace('_', " "));
            std::iter::once(title)
                .chain(rows.iter().map(|r| human(name, &r[i].1)))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..=rows.len())
        .map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for line in lines.iter_mut() {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}", w = *w))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// A small page: the table and the two charts, inline.
pub fn report_html(rows: &[Vec<(String, Value)>], charts: &[(String, Vec<u8>)]) -> Vec<u8> {
    use base64::Engine;
    let escape = super::html::escape;
    let table: String = table_text(rows)
        .lines()
        .map(|l| format!("{}\n", escape(l)))
        .collect();
    let images: String = charts
        .iter()
        .filter(|(f, _)| f.ends_with(".png"))
        .map(|(f, bytes)| {
            format!(
                "<figure><img alt=\"{f}\" src=\"data:image/png;base64,{}\"></figure>\n",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        })
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cachesim: comparison</title>
<style>
body {{ font-family: sans-serif; max-width: 1240px; margin: 2em auto; color: #222; }}
pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; }}
img {{ max-width: 100%; border: 1px solid #ddd; }}
</style>
</head>
<body>
<h1>cachesim: comparison</h1>
<pre id="table">{table}</pre>
{images}</body>
</html>
"#
    )
    .into_bytes()
}
