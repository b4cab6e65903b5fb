//! `cachesim chart DIR`: redraw every chart of a results folder from its
//! CSV and JSON files, without simulating.

use crate::engine::Layer;
use crate::error::{Error, Result};
use crate::export::charts::{self, ChartData};
use crate::export::write_all;
use std::path::Path;

pub fn chart(dir: &Path) -> Result<Vec<String>> {
    let data = read(dir)?;
    let files =
        charts::render_all(&data).map_err(|e| Error::Internal(format!("cannot draw the charts: {e}")))?;
    let names = files.iter().map(|(n, _)| n.clone()).collect();
    write_all(dir, &files)?;
    Ok(names)
}

fn bad(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{}: {what}", path.display()))
}

/// Reads a results folder back into chart data.
pub fn read(dir: &Path) -> Result<ChartData> {
    let summary_path = dir.join("summary.json");
    let text = std::fs::read(&summary_path).map_err(|e| {
        bad(
            &summary_path,
            format!("cannot read ({e}); is this a cachesim results folder?"),
        )
    })?;
    let summary: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| bad(&summary_path, format!("not valid JSON: {e}")))?;
    let series_path = dir.join("timeseries.csv");
    let mut reader =
        csv::Reader::from_path(&series_path).map_err(|e| bad(&series_path, format!("cannot read: {e}")))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(&series_path, e))?
        .iter()
        .map(String::from)
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(&series_path, format!("has no column `{name}`")))
    };
    let (time, old, lo, hi, clients) = (
        column("time_s")?,
        column("old_share")?,
        column("old_share_lo")?,
        column("old_share_hi")?,
        column("clients_old_share")?,
    );
    let via: Vec<usize> = Layer::ALL
        .iter()
        .map(|l| column(&format!("old_via_{}", l.name())))
        .collect::<Result<_>>()?;
    let mut data = ChartData {
        scenario: summary["scenario"].as_str().unwrap_or("results").to_string(),
        ttl: (summary["ttl_s"].as_f64().unwrap_or(0.0) * 1000.0) as i64,
        bucket_s: summary["bucket_s"].as_f64().unwrap_or(0.0),
        retire_after_s: summary["plan"]["retire_after_s"].as_f64(),
        ..ChartData::default()
    };
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(&series_path, e))?;
        let number = |i: usize| -> Result<f64> {
            record.get(i).and_then(|v| v.parse().ok()).ok_or_else(|| {
                bad(
                    &series_path,
                    format!("line {}: column {} is not a number", line + 2, header[i]),
                )
            })
        };
        data.time_s.push(number(time)?);
        data.old_share.push(number(old)?);
        data.lo.push(number(lo)?);
        data.hi.push(number(hi)?);
        data.clients_old_share.push(number(clients)?);
        let mut row = [0.0; Layer::COUNT];
        for (l, &i) in via.iter().enumerate() {
            row[l] = number(i)?;
        }
        data.old_via.push(row);
    }
    if data.bucket_s <= 0.0 {
        data.bucket_s =
            data.time_s.get(1).copied().unwrap_or(1.0) - data.time_s.first().copied().unwrap_or(0.0);
    }
    let addresses_path = dir.join("addresses.csv");
    if addresses_path.exists() {
        let mut reader = csv::Reader::from_path(&addresses_path).map_err(|e| bad(&addresses_path, e))?;
        for record in reader.records() {
            let record = record.map_err(|e| bad(&addresses_path, e))?;
            let (address, share) = (
                record.get(1).unwrap_or("").to_string(),
                record.get(2).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0),
            );
            match data.addresses.iter_mut().find(|(a, _)| *a == address) {
                Some((_, shares)) => shares.push(share),
                None => data.addresses.push((address, vec![share])),
            }
        }
    }
    Ok(data)
}
