//! `cachesim merge DIR...`: shards back into exactly what one `run` writes.
//! Every shard must come from the same scenario, overrides, seed, runs,
//! shard count and cachesim, each exactly once; anything else is refused
//! with the file to blame, before anything is written.

use super::run::{write, Ask, Ran};
use super::Simulated;
use crate::engine::{Model, Tally};
use crate::error::{Error, Result};
use crate::export::{self, text};
use crate::scenario::{self, Override};
use crate::shard::file::{self, ShardFile};
use crate::shard::Work;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct MergeOptions {
    /// Folders of shard files, or shard files.
    pub inputs: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    pub ask: Ask,
    /// Replace results of another scenario or what-if in `out`.
    pub replace: bool,
    pub quiet: bool,
}

fn refuse(path: &Path, message: impl Into<String>) -> Error {
    Error::Shard {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Every shard file named or inside a named folder, in name order.
fn shard_paths(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let entries = std::fs::read_dir(input).map_err(|source| Error::Read {
                path: input.clone(),
                source,
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(file::is_shard_name)
                })
                .collect();
            if found.is_empty() {
                return Err(refuse(input, "no shard files (shard-*.cachesim) in this folder"));
            }
            found.sort();
            paths.extend(found);
        } else if input.is_file() {
            paths.push(input.clone());
        } else {
            return Err(refuse(input, "no such file or folder"));
        }
    }
    Ok(paths)
}

/// Reads every shard and checks that they are the complete set of one run.
fn read_complete_set(paths: &[PathBuf]) -> Result<Vec<(PathBuf, ShardFile)>> {
    let mut shards: Vec<(PathBuf, ShardFile)> = Vec::new();
    for path in paths {
        let shard = ShardFile::read(path).map_err(|source| Error::ShardFile {
            path: path.clone(),
            source,
        })?;
        shards.push((path.clone(), shard));
    }
    let (first_path, first) = (&shards[0].0, &shards[0].1.manifest);
    let mut by_index: BTreeMap<u32, &Path> = BTreeMap::new();
    for (path, shard) in &shards {
        let m = &shard.manifest;
        let differs = |what: &str, here: String, there: String| {
            refuse(
                path,
                format!(
                    "a shard of another run: its {what} is {here}, but {} has {there}",
                    first_path.display()
                ),
            )
        };
        if m.format != first.format {
            return Err(differs(
                "shard format",
                m.format.to_string(),
                first.format.to_string(),
            ));
        }
        if m.cachesim_version != first.cachesim_version {
            return Err(differs(
                "cachesim version",
                m.cachesim_version.clone(),
                first.cachesim_version.clone(),
            ));
        }
        if m.content_hash != first.content_hash {
            let what = if m.scenario == first.scenario {
                format!("scenario {} with content hash {}", m.scenario, m.content_hash)
            } else {
                format!("scenario {}", m.scenario)
            };
            return Err(differs(
                "scenario (file and --set overrides)",
                what,
                format!(
                    "scenario {} with content hash {}",
                    first.scenario, first.content_hash
                ),
            ));
        }
        if m.seed != first.seed {
            return Err(differs("seed", m.seed.to_string(), first.seed.to_string()));
        }
        if m.runs != first.runs {
            return Err(differs(
                "number of runs",
                m.runs.to_string(),
                first.runs.to_string(),
            ));
        }
        if m.shard.count != first.shard.count {
            return Err(differs(
                "shard count",
                m.shard.count.to_string(),
                first.shard.count.to_string(),
            ));
        }
        if let Some(other) = by_index.insert(m.shard.index, path) {
            return Err(refuse(
                path,
                format!("shard {} is here twice: also {}", m.shard, other.display()),
            ));
        }
    }
    let count = first.shard.count;
    let missing: Vec<String> = (0..count)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        let shown = missing.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
        let more = if missing.len() > 10 { ", …" } else { "" };
        return Err(refuse(
            first_path.parent().unwrap_or(first_path),
            format!(
                "{} of {count} shards missing (index {shown}{more}); run them with --shard I/{count}",
                missing.len()
            ),
        ));
    }
    Ok(shards)
}

/// Reads and checks the shards, and puts their counts together into what
/// one run of their scenario simulated.
pub fn merged(inputs: &[PathBuf]) -> Result<Simulated> {
    let shards = read_complete_set(&shard_paths(inputs)?)?;
    let first = &shards[0].1.manifest;
    let overrides: Vec<Override> = first
        .overrides
        .iter()
        .map(|o| Override::parse(o).map_err(Error::from))
        .collect::<Result<_>>()?;
    let scenario = scenario::parse(&first.text, &first.file, &overrides)?;
    if scenario.content_hash != first.content_hash {
        return Err(refuse(
            &shards[0].0,
            "its scenario does not hash to its recorded content hash; the file was altered",
        ));
    }
    let model = Model::new(scenario);
    let work = Work::of(&model);
    let mut replicas: Vec<Option<Tally>> = vec![None; model.scenario.runs as usize];
    for (path, shard) in &shards {
        let m = &shard.manifest;
        let expected = work.range(m.shard);
        let runs: Vec<u32> = shard.tallies.iter().map(|(run, _)| *run).collect();
        let expected_runs: Vec<u32> = work.pieces(&expected).iter().map(|(run, _)| *run).collect();
        if m.pairs != expected || runs != expected_runs {
            return Err(refuse(
                path,
                format!(
                    "shard {} holds pairs {:?} but this scenario's shard {} is {expected:?}; run it again",
                    m.shard, m.pairs, m.shard
                ),
            ));
        }
        for (run, tally) in &shard.tallies {
            if (tally.buckets, tally.width) != (model.buckets, model.new_tally().width) {
                return Err(refuse(path, "its counts do not fit this scenario; run it again"));
            }
            match &mut replicas[*run as usize] {
                Some(sum) => sum.merge(tally),
                slot => *slot = Some(tally.clone()),
            }
        }
    }
    let tallies: Vec<Tally> = replicas
        .into_iter()
        .map(|t| t.ok_or_else(|| Error::Internal("a run no shard covers".into())))
        .collect::<Result<_>>()?;
    let results = crate::stats::Results::of(&model, &tallies);
    Ok(Simulated {
        scenario: model.scenario,
        results,
        tallies,
        wall_time_s: shards
            .iter()
            .map(|(path, s)| shard_time(path, s.manifest.shard))
            .sum(),
    })
}

/// The wall time recorded beside a shard (0 if that file is gone): the
/// merged run's wall time is the sum over its shards.
fn shard_time(path: &Path, shard: crate::shard::Shard) -> f64 {
    std::fs::read(path.with_file_name(file::timing_name(shard)))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<file::Timing>(&bytes).ok())
        .map_or(0.0, |t| t.wall_time_s)
}

pub fn merge(options: &MergeOptions) -> Result<Ran> {
    let simulated = merged(&options.inputs)?;
    let dir = export::results_dir(options.out.as_deref(), &simulated.scenario);
    if let Some(note) = export::folder::claim(&dir, &simulated.scenario, options.replace)? {
        eprintln!("cachesim: {note}");
    }
    export::prepare_dir(&dir)?;
    let ran = write(simulated, dir, options.ask)?;
    if !options.quiet {
        print!("{}", text::run_summary(&ran.report(), &ran.dir));
    }
    Ok(ran)
}
