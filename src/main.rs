//! The `cachesim` binary: parse arguments, run a command, map errors to exit
//! statuses (2 bad input, 1 internal or I/O, 130 interrupted).

mod cli;

use cachesim::commands::{
    self,
    run::{Ask, RunOptions},
    sweep::Source,
};
use cachesim::error::{Error, Result};
use cachesim::plan::Criterion;
use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

fn main() {
    // A bug must still end in a message, not a Rust panic trace.
    std::panic::set_hook(Box::new(|info| {
        // A reader that went away (`cachesim … | head`) is not a bug: end
        // quietly, with the status a shell gives a process killed by SIGPIPE.
        if info.to_string().contains("failed printing to stdout") {
            std::process::exit(141);
        }
        eprintln!("cachesim: internal error: {info}\nPlease report this with the scenario that caused it.");
    }));
    let cli = Cli::parse();
    if let Err(e) = ctrlc::set_handler(|| {
        commands::STOP.store(true, Ordering::SeqCst);
        eprintln!("\ncachesim: stopping (interrupted); results folder left as it was");
    }) {
        eprintln!("cachesim: warning: cannot catch Ctrl-C: {e}");
    }
    let status = match std::panic::catch_unwind(|| execute(cli)) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            eprintln!("cachesim: {}", message(&e));
            e.exit_code()
        }
        Err(_) => 1,
    };
    std::process::exit(status);
}

/// An error as the command line says it: the library's facts, and the flag
/// that would help where there is one.
fn message(e: &Error) -> String {
    match e {
        Error::ResultsFolder { .. } => format!("{e}; choose another with --out"),
        Error::TooBig { .. } => format!(
            "{e}; use more resolver instances, fewer households or a longer bucket, or --force to try anyway"
        ),
        _ => e.to_string(),
    }
}

/// `--out -` would be a folder named "-": results are several files, not
/// one stream.
fn results_folder(out: Option<PathBuf>) -> Result<Option<PathBuf>> {
    if out.as_deref() == Some(std::path::Path::new("-")) {
        return Err(Error::Usage(
            "--out -: the results are a folder of files (CSV, JSON, charts), not one stream; give a folder name"
                .into(),
        ));
    }
    Ok(out)
}

fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            sim,
            out,
            shard: Some(shard),
        } => commands::shard::run_shard(&sim.options(), shard, results_folder(out)?.as_deref()).map(|_| ()),
        Command::Run {
            sim,
            out,
            shard: None,
        } => {
            let options = RunOptions {
                sim: sim.options(),
                out: results_folder(out)?,
                ask: Ask::default(),
            };
            commands::run::run(&options).map(|_| ())
        }
        Command::Merge {
            inputs,
            out,
            replace,
            quiet,
        } => {
            let options = commands::merge::MergeOptions {
                inputs,
                out: results_folder(out)?,
                ask: Ask::default(),
                replace,
                quiet,
            };
            commands::merge::merge(&options).map(|_| ())
        }
        Command::Plan {
            sim,
            tolerance,
            max_lost,
            traffic,
            out,
        } => {
            let criterion = max_lost.map_or(Criterion::Tolerance(tolerance), Criterion::MaxLost);
            let ask = Ask { criterion, traffic };
            commands::plan::plan(&sim.options(), ask, results_folder(out)?.as_deref()).map(|_| ())
        }
        Command::Sweep(args) => sweep(args),
        Command::Slurm(args) => slurm(args),
        Command::Chart { dir, quiet } => {
            let names = commands::chart::chart(&dir)?;
            if !quiet {
                for name in names {
                    println!("{}", dir.join(name).display());
                }
            }
            Ok(())
        }
        Command::Compare {
            dirs,
            observed,
            out,
            quiet,
            json,
        } => {
            let options = commands::compare::CompareOptions {
                dirs,
                observed,
                out: results_folder(out)?.unwrap_or_else(commands::compare::default_dir),
                quiet,
                json,
            };
            commands::compare::compare(&options).map(|_| ())
        }
        Command::Fit {
            sim,
            observed,
            free,
            out,
        } => {
            let options = commands::fit::FitOptions {
                sim: sim.options(),
                observed,
                free,
                out: results_folder(out)?,
            };
            commands::fit::run_fit(&options).map(|_| ())
        }
        Command::Observe(args) => commands::observe::observe(&args.options()).map(|_| ()),
        Command::Presets { markdown } => {
            if markdown {
                print!("{}", commands::presets::markdown());
            } else {
                print!("{}", commands::presets::table());
            }
            Ok(())
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "cachesim", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(|e| Error::Internal(format!("cannot write the manual page: {e}"))),
    }
}

/// `cachesim sweep`.
fn sweep(args: cli::SweepArgs) -> Result<()> {
    let cli::SweepArgs {
        sim,
        vary,
        tolerance,
        max_lost,
        out,
        shards,
    } = args;
    let varies: Vec<_> = vary
        .iter()
        .map(|v| commands::sweep::Vary::parse(v))
        .collect::<Result<_>>()?;
    let criterion = max_lost.map_or(Criterion::Tolerance(tolerance), Criterion::MaxLost);
    let source = shards.map_or(Source::Simulate, Source::Shards);
    commands::sweep::sweep(&sim.options(), &varies, criterion, &results_folder(out)?, &source).map(|_| ())
}

/// `cachesim slurm`.
fn slurm(args: cli::SlurmArgs) -> Result<()> {
    let cli::SlurmArgs {
        sim,
        tasks,
        out,
        vary,
        tolerance,
        max_lost,
        partition,
        time,
        mem,
        cpus_per_task,
    } = args;
    let options = commands::slurm::SlurmOptions {
        sim: sim.options(),
        tasks,
        out,
        varies: vary
            .iter()
            .map(|v| commands::sweep::Vary::parse(v))
            .collect::<Result<_>>()?,
        tolerance,
        max_lost,
        partition,
        time,
        mem,
        cpus_per_task,
    };
    let (path, request) = commands::slurm::slurm(&options)?;
    if !options.sim.quiet {
        println!(
            "{}: {} array tasks, each {} CPU(s), {} MiB and {} min (estimated); submit with: bash {} --wait",
            path.display(),
            request.array_tasks,
            cpus_per_task.max(1),
            request.mem_mib,
            request.minutes,
            path.display()
        );
    }
    Ok(())
}
