//! `cachesim run SCENARIO --shard I/N`: simulate one shard of the work and
//! write its counts, with a manifest, into a shard file for `merge`.

use super::{SimOptions, STOP};
use crate::engine::{self, Model};
use crate::error::{Error, Result};
use crate::export;
use crate::shard::file::{self, Manifest, ShardFile};
use crate::shard::{Shard, Work};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A shard simulated and written.
pub struct ShardRan {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub timing: file::Timing,
    /// The shard's share of the scenario's work.
    pub share_of_work: f64,
}

/// The folder shards go to by default: `shards/` in the scenario's
/// results folder.
pub fn default_dir(scenario: &crate::scenario::Scenario) -> PathBuf {
    export::results_dir(None, scenario).join("shards")
}

pub fn run_shard(sim: &SimOptions, shard: Shard, out: Option<&Path>) -> Result<ShardRan> {
    let scenario = sim.load(&[])?;
    let dir = out.map_or_else(|| default_dir(&scenario), Path::to_path_buf);
    export::prepare_dir(&dir)?;
    let model = Model::new(scenario);
    let work = Work::of(&model);
    let pairs = work.range(shard);
    let pool = sim.thread_pool()?;
    pool.install(|| crate::resources::check(&model.scenario, sim.force))?;
    let pieces = work.pieces(&pairs);
    let started = Instant::now();
    let tallies = pool
        .install(|| engine::simulate_pieces(&model, &pieces, &STOP, &|_| {}))
        .map_err(|_| Error::Interrupted)?;
    let manifest = Manifest::of(&model.scenario, shard, pairs.clone());
    let timing = file::Timing {
        wall_time_s: started.elapsed().as_secs_f64(),
    };
    let shard_file = ShardFile {
        manifest: manifest.clone(),
        tallies: pieces.iter().map(|(run, _)| *run).zip(tallies).collect(),
    };
    let name = file::name(shard);
    let timing_bytes = serde_json::to_vec(&timing).expect("a timing serializes");
    export::write_all(
        &dir,
        &[
            (name.clone(), shard_file.to_bytes()),
            (file::timing_name(shard), timing_bytes),
        ],
    )?;
    let share_of_work = work.amount(&pairs) as f64 / work.amount(&(0..work.pairs())).max(1) as f64;
    let ran = ShardRan {
        path: dir.join(name),
        manifest,
        timing,
        share_of_work,
    };
    if !sim.quiet {
        println!("{}", summary_line(&ran, work.pairs()));
    }
    Ok(ran)
}

/// One line: which shard, how much of the work, how long, where.
fn summary_line(ran: &ShardRan, pairs: u64) -> String {
    let m = &ran.manifest;
    format!(
        "{}: shard {} ({} of {} (run, partition) pairs, {} of the work) in {:.1} s: {}",
        m.scenario,
        m.shard,
        m.pairs.end - m.pairs.start,
        pairs,
        crate::duration::percent(ran.share_of_work),
        ran.timing.wall_time_s,
        ran.path.display()
    )
}
