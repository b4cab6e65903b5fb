//! Reading a results folder back (`cachesim chart`): the summary and the
//! time series, checked, so charts and the report can be drawn again
//! without simulating.

use super::charts::ChartData;
use super::summary::Summary;
use crate::engine::cause::{CODE_NAMES, CODE_TTL};
use crate::engine::{Layer, PerLayer};
use crate::error::{Error, Result};
use crate::scenario::Scenario;
use std::path::Path;

/// A results folder as `run` wrote it.
pub struct Folder {
    pub summary: Summary,
    pub charts: ChartData,
}

/// Whose results a folder holds: enough to tell a re-run from a what-if.
#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub scenario: String,
    pub content_hash: String,
    /// The `--set` arguments (`--runs` and `--seed` among them).
    pub overrides: Vec<String>,
    pub seed: u64,
    pub runs: usize,
}

impl Held {
    /// The results in `dir`, if it holds any.
    pub fn in_folder(dir: &Path) -> Option<Held> {
        let bytes = std::fs::read(dir.join("summary.json")).ok()?;
        let s: Summary = serde_json::from_slice(&bytes).ok()?;
        Some(Held {
            scenario: s.scenario,
            content_hash: s.content_hash,
            overrides: s.overrides,
            seed: s.seed,
            runs: s.runs,
        })
    }

    fn of(s: &Scenario) -> Held {
        Held {
            scenario: s.name.clone(),
            content_hash: s.content_hash.clone(),
            overrides: s.overrides.clone(),
            seed: s.seed,
            runs: s.runs as usize,
        }
    }

    /// "isp24h with --set record.ttl=30s (seed 7, 32 runs)".
    fn describe(&self) -> String {
        let overrides = if self.overrides.is_empty() {
            "without overrides".to_string()
        } else {
            format!("with --set {}", self.overrides.join(" --set "))
        };
        format!(
            "{} {overrides} (seed {}, {} runs)",
            self.scenario, self.seed, self.runs
        )
    }
}

/// May results of `scenario` be written into `dir`? Yes into a folder with
/// no results, or one holding the same scenario with the same overrides,
/// seed and runs: a re-run, of an edited file too, which the returned note
/// says before anything is written. No into a folder holding another
/// scenario or another what-if, unless `replace`: a what-if never destroys
/// results it was not asked to.
pub fn claim(dir: &Path, scenario: &Scenario, replace: bool) -> Result<Option<String>> {
    let Some(held) = Held::in_folder(dir) else {
        return Ok(None);
    };
    let now = Held::of(scenario);
    let same_question = Held {
        content_hash: now.content_hash.clone(),
        ..held.clone()
    } == now;
    if same_question {
        return Ok((held.content_hash != now.content_hash).then(|| {
            format!(
                "{} holds results of an earlier version of {}; replacing them",
                dir.display(),
                now.scenario
            )
        }));
    }
    if replace {
        return Ok(Some(format!(
            "replacing the results of {} in {} (--replace)",
            held.describe(),
            dir.display()
        )));
    }
    Err(Error::Usage(format!(
        "{} holds the results of {}; this is {}. Give --out DIR for a folder of its own, \
         or --replace to replace them",
        dir.display(),
        held.describe(),
        now.describe()
    )))
}

fn bad(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{}: {what}", path.display()))
}

/// Reads `dir`'s summary.json, timeseries.csv and, if present, addresses.csv.
pub fn read(dir: &Path) -> Result<Folder> {
    let summary_path = dir.join("summary.json");
    let text = std::fs::read(&summary_path).map_err(|e| {
        bad(
            &summary_path,
            format!("cannot read ({e}); is this a cachesim results folder?"),
        )
    })?;
    let summary: Summary =
        serde_json::from_slice(&text).map_err(|e| bad(&summary_path, format!("not valid JSON: {e}")))?;
    let mut charts = ChartData {
        scenario: if summary.scenario.is_empty() {
            "results".to_string()
        } else {
            summary.scenario.clone()
        },
        // Folders written before the TTL was described carry only the number.
        ttl_text: if summary.ttl_text.is_empty() {
            crate::duration::human((summary.ttl_s * 1000.0) as i64)
        } else {
            summary.ttl_text.clone()
        },
        bucket_s: summary.bucket_s,
        retire_after_s: summary.plan.retire_after_s,
        ..ChartData::default()
    };
    read_series(&dir.join("timeseries.csv"), &mut charts)?;
    if charts.bucket_s <= 0.0 {
        charts.bucket_s =
            charts.time_s.get(1).copied().unwrap_or(1.0) - charts.time_s.first().copied().unwrap_or(0.0);
    }
    let addresses_path = dir.join("addresses.csv");
    if addresses_path.exists() {
        read_addresses(&addresses_path, &mut charts)?;
    }
    Ok(Folder { summary, charts })
}

fn read_series(path: &Path, data: &mut ChartData) -> Result<()> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(path, e))?
        .iter()
        .map(String::from)
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(path, format!("has no column `{name}`")))
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
    // Folders written before causes were counted have none.
    // Folders written before causes were counted have none, and a
    // mechanism's column is there only for a record that has it.
    let causes: Option<Vec<(usize, usize)>> = CODE_NAMES[..=CODE_TTL as usize]
        .iter()
        .enumerate()
        .map(|(code, c)| column(&format!("old_cause_{c}")).ok().map(|i| (code, i)))
        .collect();
    let mechanisms: Vec<(usize, usize)> = CODE_NAMES
        .iter()
        .enumerate()
        .skip(CODE_TTL as usize + 1)
        .filter_map(|(code, c)| column(&format!("old_cause_{c}")).ok().map(|i| (code, i)))
        .collect();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(path, e))?;
        let number = |i: usize| -> Result<f64> {
            record.get(i).and_then(|v| v.parse().ok()).ok_or_else(|| {
                bad(
                    path,
                    format!("line {}: column {} is not a number", line + 2, header[i]),
                )
            })
        };
        data.time_s.push(number(time)?);
        data.old_share.push(number(old)?);
        data.lo.push(number(lo)?);
        data.hi.push(number(hi)?);
        data.clients_old_share.push(number(clients)?);
        let mut row = PerLayer::default();
        for (value, &i) in row.values_mut().zip(&via) {
            *value = number(i)?;
        }
        data.old_via.push(row);
        if let Some(causes) = &causes {
            let mut row = [0.0; CODE_NAMES.len()];
            for &(code, i) in causes.iter().chain(&mechanisms) {
                row[code] = number(i)?;
            }
            data.old_cause.push(row);
        }
    }
    Ok(())
}

fn read_addresses(path: &Path, data: &mut ChartData) -> Result<()> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(path, e))?;
    for record in reader.records() {
        let record = record.map_err(|e| bad(path, e))?;
        let (address, share) = (
            record.get(1).unwrap_or("").to_string(),
            record.get(2).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0),
        );
        match data.addresses.iter_mut().find(|(a, _)| *a == address) {
            Some((_, shares)) => shares.push(share),
            None => data.addresses.push((address, vec![share])),
        }
    }
    Ok(())
}
