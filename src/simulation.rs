//! Running a scenario's simulation, for every command that simulates (and
//! `fit`, which simulates many times): the options they share, the flag
//! Ctrl-C sets, a progress bar on a terminal, and the finished runs.

use crate::engine::{self, Model};
use crate::error::{Error, Result};
use crate::scenario::{self, Override, Scenario};
use crate::stats::Results;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Set by the Ctrl-C / SIGTERM handler; the engine checks it between partitions.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Options shared by every command that simulates.
#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    pub scenario: PathBuf,
    pub runs: Option<u32>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub sets: Vec<String>,
    pub quiet: bool,
    /// Print summary.json on stdout instead of the text.
    pub json: bool,
    pub force: bool,
    /// Write over a results folder holding another scenario or what-if.
    pub replace: bool,
}

impl SimOptions {
    /// `--runs` and `--seed` are overrides like any `--set`, so they are
    /// validated the same way and recorded in the content hash.
    pub fn overrides(&self) -> Result<Vec<Override>> {
        let mut overrides: Vec<Override> = self
            .sets
            .iter()
            .map(|a| Override::parse(a).map_err(Error::from))
            .collect::<Result<_>>()?;
        if let Some(runs) = self.runs {
            overrides.push(
                Override::from_flag("--runs", "simulation.runs", &runs.to_string()).map_err(Error::from)?,
            );
        }
        if let Some(seed) = self.seed {
            overrides.push(
                Override::from_flag("--seed", "simulation.seed", &seed.to_string()).map_err(Error::from)?,
            );
        }
        Ok(overrides)
    }

    /// The worker threads asked for (default: one per core).
    pub fn thread_pool(&self) -> Result<rayon::ThreadPool> {
        let threads = self.threads.unwrap_or(0);
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::Internal(format!("cannot start {threads} threads: {e}")))
    }

    pub fn load(&self, extra: &[Override]) -> Result<Scenario> {
        let mut overrides = self.overrides()?;
        overrides.extend_from_slice(extra);
        // A file that exists but cannot be read is not bad input (exit 3);
        // one that does not exist is (the scenario's own message, exit 2).
        if let Err(source) = std::fs::File::open(&self.scenario) {
            if source.kind() != std::io::ErrorKind::NotFound {
                return Err(Error::Read {
                    path: self.scenario.clone(),
                    source,
                });
            }
        }
        let scenario = scenario::load(&self.scenario, &overrides)?;
        // Warnings go to stderr even with --quiet: they change what was simulated.
        for w in &scenario.warnings {
            eprintln!("cachesim: warning: {w}");
        }
        Ok(scenario)
    }
}

/// A finished simulation.
pub struct Simulated {
    pub scenario: Scenario,
    pub results: Results,
    /// Every run's counts, kept in the results folder (`runs.cachesim`).
    pub tallies: Vec<engine::Tally>,
    pub wall_time_s: f64,
}

/// Runs every replica of `scenario`, with a progress bar on a terminal.
pub fn simulate(scenario: Scenario, options: &SimOptions) -> Result<Simulated> {
    simulate_until(scenario, options, &STOP)
}

/// [`simulate`], given up ([`Error::Interrupted`]) once `stop` is set:
/// `serve` stops a what-if that a newer one supersedes.
pub fn simulate_until(scenario: Scenario, options: &SimOptions, stop: &AtomicBool) -> Result<Simulated> {
    simulate_with(scenario, options, stop, None)
}

/// [`simulate`], taking each resolver pool's counts from `reuse` where an
/// earlier simulation's partitions read the same (`sweep` over one pool's
/// keys): the same bytes.
pub fn simulate_reusing(
    scenario: Scenario,
    options: &SimOptions,
    reuse: &engine::Reuse,
) -> Result<Simulated> {
    simulate_with(scenario, options, &STOP, Some(reuse))
}

fn simulate_with(
    scenario: Scenario,
    options: &SimOptions,
    stop: &AtomicBool,
    reuse: Option<&engine::Reuse>,
) -> Result<Simulated> {
    let runs = scenario.runs;
    let model = Model::new(scenario);
    let pool = options.thread_pool()?;
    let cost = pool.install(|| crate::resources::check(&model.scenario, options.force))?;
    if !options.quiet && cost.seconds > 30.0 {
        eprintln!(
            "cachesim: about {:.2e} requests to simulate: expect about {} on {} threads",
            cost.requests,
            crate::duration::human((cost.seconds * 1000.0) as i64),
            cost.threads
        );
    }
    let bar = if !options.quiet && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(runs as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {pos}/{len} runs, {elapsed} (eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(model.scenario.name.clone());
        Some(bar)
    } else {
        None
    };
    let started = Instant::now();
    let progress = |done: u64| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    };
    let tallies = pool
        .install(|| match reuse {
            Some(reuse) => engine::simulate_reusing(&model, runs, stop, reuse, &progress),
            None => engine::simulate(&model, runs, stop, &progress),
        })
        .map_err(|_| Error::Interrupted)?;
    let wall_time_s = started.elapsed().as_secs_f64();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let results = Results::of(&model, &tallies);
    Ok(Simulated {
        scenario: model.scenario,
        results,
        tallies,
        wall_time_s,
    })
}
