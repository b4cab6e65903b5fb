//! `cachesim sweep SCENARIO --vary KEY=V1,V2,...`: the plan's answer and the
//! times to 1 % and 0.1 % for each value (several `--vary` make a grid), as a
//! table, `sweep.csv` and a chart of the answer against the value.

use super::{simulate, SimOptions};
use crate::duration::{self, Millis};
use crate::error::{Error, Result};
use crate::export::{charts, write_all};
use crate::plan::{Criterion, Plan};
use crate::scenario::Override;
use std::path::{Path, PathBuf};

/// One `--vary` argument: a key and the values it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    pub key: String,
    pub values: Vec<String>,
}

impl Vary {
    pub fn parse(argument: &str) -> Result<Vary> {
        let (key, values) = argument.split_once('=').ok_or_else(|| {
            Error::Usage(format!(
                "--vary {argument}: expected KEY=V1,V2,..., e.g. record.ttl=60s,300s,1h"
            ))
        })?;
        let values: Vec<String> = values
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if key.trim().is_empty() || values.is_empty() {
            return Err(Error::Usage(format!(
                "--vary {argument}: give a key and at least one value"
            )));
        }
        Ok(Vary {
            key: key.trim().to_string(),
            values,
        })
    }
}

/// One point of the sweep.
#[derive(Clone, Debug)]
pub struct Point {
    pub values: Vec<String>,
    pub retire_after: Option<Millis>,
    pub below_1_percent: Option<f64>,
    pub below_0_1_percent: Option<f64>,
}

/// Where a sweep's results come from: simulated here, or merged from the
/// shards `cachesim slurm` had simulated (one folder per value, numbered in
/// the grid's order).
#[derive(Clone, Debug, Default)]
pub enum Source {
    #[default]
    Simulate,
    Shards(PathBuf),
}

pub fn sweep(
    sim: &SimOptions,
    varies: &[Vary],
    criterion: Criterion,
    out: &Option<PathBuf>,
    source: &Source,
) -> Result<Vec<Point>> {
    if varies.is_empty() {
        return Err(Error::Usage(
            "sweep needs at least one --vary KEY=V1,V2,...".into(),
        ));
    }
    let mut points = Vec::new();
    // Validate every combination and the results folder before simulating
    // any: a bad value or --out should fail in a second, not after hours.
    let mut scenarios = Vec::new();
    for combination in grid(varies) {
        let overrides: Vec<Override> = varies
            .iter()
            .zip(&combination)
            .map(|(v, value)| Override::parse(&format!("{}={value}", v.key)).map_err(Error::Usage))
            .collect::<Result<_>>()?;
        scenarios.push((combination, sim.load(&overrides)?));
    }
    let name = scenarios[0].1.name.clone();
    let dir = out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&name).join("sweep"));
    crate::export::prepare_dir(&dir)?;
    for (j, (combination, scenario)) in scenarios.into_iter().enumerate() {
        let simulated = match source {
            Source::Simulate => simulate(scenario, sim)?,
            Source::Shards(root) => merged_for(&root.join(j.to_string()), &scenario)?,
        };
        let plan = Plan::compute(&simulated.results, criterion, simulated.scenario.duration);
        let settle = |t| simulated.results.settle(t).map(|e| e.mean);
        let point = Point {
            values: combination,
            retire_after: plan.retire_after,
            below_1_percent: settle(0.01),
            below_0_1_percent: settle(0.001),
        };
        if !sim.quiet {
            println!("{}", row_text(varies, &point));
        }
        points.push(point);
    }
    let mut files = vec![("sweep.csv".to_string(), csv_bytes(varies, &points))];
    files.extend(
        charts::render_sweep(
            &name,
            varies.iter().map(|v| v.key.as_str()).collect(),
            &points_for_chart(&points),
        )
        .map_err(|e| Error::Internal(format!("cannot draw the sweep chart: {e}")))?,
    );
    write_all(&dir, &files)?;
    if !sim.quiet {
        println!("results: {}", dir.display());
    }
    Ok(points)
}

/// The shards of one value, merged; they must be of exactly that scenario.
fn merged_for(dir: &Path, scenario: &crate::scenario::Scenario) -> Result<super::Simulated> {
    let simulated = super::merge::merged(&[dir.to_path_buf()])?;
    if simulated.scenario.content_hash != scenario.content_hash {
        return Err(Error::Shard {
            path: dir.to_path_buf(),
            message: format!(
                "these shards are of another scenario or value (content hash {}, expected {} for {})",
                simulated.scenario.content_hash,
                scenario.content_hash,
                scenario.overrides.join(" ")
            ),
        });
    }
    Ok(simulated)
}

/// Every combination of the values, the first key varying slowest.
pub fn grid(varies: &[Vary]) -> Vec<Vec<String>> {
    varies.iter().fold(vec![Vec::new()], |acc, v| {
        acc.iter()
            .flat_map(|prefix| {
                v.values
                    .iter()
                    .map(move |value| [prefix.clone(), vec![value.clone()]].concat())
            })
            .collect()
    })
}

/// A settle time (seconds) as people read it, or that it lies beyond the horizon.
fn settle_text(t: Option<f64>) -> String {
    t.map_or("beyond horizon".to_string(), |s| {
        duration::human((s * 1000.0) as Millis)
    })
}

fn row_text(varies: &[Vary], p: &Point) -> String {
    let keys: Vec<String> = varies
        .iter()
        .zip(&p.values)
        .map(|(v, value)| format!("{}={value}", v.key))
        .collect();
    format!(
        "{:<40} old server can go after {:<16} 1 % after {:<16} 0.1 % after {}",
        keys.join(" "),
        p.retire_after
            .map_or("beyond horizon".to_string(), duration::human_at_least),
        settle_text(p.below_1_percent),
        settle_text(p.below_0_1_percent)
    )
}

fn csv_bytes(varies: &[Vary], points: &[Point]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = varies.iter().map(|v| v.key.clone()).collect();
    header.extend(["retire_after_s", "below_0.01_s", "below_0.001_s"].map(String::from));
    w.write_record(&header).expect("writing to memory");
    let cell = |v: Option<f64>| v.map_or(String::new(), |x| x.to_string());
    for p in points {
        let mut row = p.values.clone();
        row.push(cell(p.retire_after.map(|t| t as f64 / 1000.0)));
        row.push(cell(p.below_1_percent));
        row.push(cell(p.below_0_1_percent));
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// (values, retire time in seconds) for the chart.
fn points_for_chart(points: &[Point]) -> Vec<(Vec<String>, Option<f64>)> {
    points
        .iter()
        .map(|p| (p.values.clone(), p.retire_after.map(|t| t as f64 / 1000.0)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_covers_every_combination() {
        let varies = vec![Vary::parse("a=1,2").unwrap(), Vary::parse("b=x,y,z").unwrap()];
        let g = grid(&varies);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], vec!["1", "x"]);
        assert_eq!(g[5], vec!["2", "z"]);
        assert!(Vary::parse("novalues").is_err());
        assert!(Vary::parse("a=").is_err());
    }
}
