//! `cachesim sweep SCENARIO --vary KEY=V1,V2,...`: the plan's answer, the
//! early impact and the settle times, with their intervals, for each value
//! (several `--vary` make a grid), as a table, `sweep.csv` and a chart.

use super::SimOptions;
use crate::engine::Reuse;
use crate::error::{Error, Result};
use crate::export::sweep::{self, Point};
use crate::export::{charts, write_all};
use crate::plan::{Criterion, Plan, Traffic};
use crate::scenario::Override;
use crate::simulation::simulate_reusing;
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
            .map(|(v, value)| Override::parse(&format!("{}={value}", v.key)).map_err(Error::from))
            .collect::<Result<_>>()?;
        scenarios.push((combination, sim.load(&overrides)?));
    }
    let name = scenarios[0].1.name.clone();
    let dir = out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&name).join("sweep"));
    // A run's folder is what a change plan attaches: sweep.* and a folder per
    // value mixed into it would read as that run's.
    if dir.join(crate::export::RUNS_FILE).is_file() || dir.join("timeseries.csv").is_file() {
        return Err(Error::Usage(format!(
            "--out {}: that folder holds a run's results; a sweep writes sweep.csv, sweep.json, its chart and a              folder per value, so give it a folder of its own (e.g. --out {})",
            dir.display(),
            dir.join("sweep").display()
        )));
    }
    crate::export::prepare_dir(&dir)?;
    let keys: Vec<String> = varies.iter().map(|v| v.key.clone()).collect();
    // Values of one pool's keys leave the other pools' counts as they were.
    let reuse = Reuse::default();
    for (j, (combination, scenario)) in scenarios.into_iter().enumerate() {
        let simulated = match source {
            Source::Simulate => simulate_reusing(scenario, sim, &reuse)?,
            Source::Shards(root) => merged_for(&root.join(j.to_string()), &scenario)?,
        };
        let (s, r) = (&simulated.scenario, &simulated.results);
        let plan = Plan::compute(r, criterion, Traffic::of(s.traffic, r, s.duration), s.duration);
        points.push(Point::of(combination, r, &plan));
        sweep::mark_noise(&mut points);
        if !sim.quiet && !sim.json {
            println!("{}", sweep::row_text(&keys, points.last().expect("just pushed")));
        }
    }
    let mut files = vec![
        ("sweep.csv".to_string(), sweep::csv_bytes(&keys, &points)),
        (
            "sweep.json".to_string(),
            sweep::file_json(&name, &keys, &points, criterion),
        ),
    ];
    files.extend(
        charts::render_sweep(&name, &keys, &points, criterion)
            .map_err(|e| Error::Internal(format!("cannot draw the sweep chart: {e}")))?,
    );
    write_all(&dir, &files)?;
    if sim.json {
        println!("{:#}", sweep::json(&keys, &points));
    } else if !sim.quiet {
        println!("≈: within noise of the line above (their mean settle times' 95 % intervals overlap)");
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
