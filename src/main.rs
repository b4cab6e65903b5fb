//! The `cachesim` binary: parse arguments, run a command, map errors to exit
//! statuses (the table in `cachesim::error::EXIT_STATUSES`).

mod cli;

use cachesim::commands::{
    self,
    run::{Ask, RunOptions},
    sweep::Source,
};
use cachesim::error::{Error, Result};
use cachesim::plan::Criterion;
use clap::{CommandFactory, FromArgMatches};
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
    let cli = match Cli::from_arg_matches(&command().get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
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
            commands::run::run(&options)?.answered().map(|_| ())
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
            commands::merge::merge(&options)?.answered().map(|_| ())
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
            commands::plan::plan(&sim.options(), ask, results_folder(out)?.as_deref())?
                .answered()
                .map(|_| ())
        }
        Command::Sweep(args) => sweep(args),
        Command::Slurm(args) => slurm(args),
        Command::Chart { dir, quiet } => {
            let names = commands::chart::chart(&dir)?;
            let list: String = names
                .iter()
                .map(|n| format!("{}\n", dir.join(n).display()))
                .collect();
            if quiet {
                return Ok(());
            }
            print_all(list.as_bytes())
        }
        Command::Compare {
            dirs,
            observed,
            out,
            quiet,
            json,
        } => compare(dirs, observed, out, quiet, json),
        Command::Fit {
            sim,
            observed,
            free,
            out,
        } => fit(sim, observed, free, out),
        Command::Observe(args) => commands::observe::observe(&args.options()).map(|_| ()),
        Command::Serve(args) => serve(args),
        Command::Presets { quiet: true, .. } | Command::Completions { quiet: true, .. } => Ok(()),
        Command::Presets { markdown, .. } => {
            let text = if markdown {
                commands::presets::markdown()
            } else {
                commands::presets::table()
            };
            print_all(text.as_bytes())
        }
        Command::Completions { shell, .. } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "cachesim", &mut script);
            print_all(&script)
        }
        Command::Man { dir, quiet } => man(dir, quiet),
    }
}

/// `cachesim fit`.
fn fit(sim: cli::SimArgs, observed: PathBuf, free: Vec<String>, out: Option<PathBuf>) -> Result<()> {
    let options = commands::fit::FitOptions {
        sim: sim.options(),
        observed,
        free,
        out: results_folder(out)?,
    };
    commands::fit::run_fit(&options).map(|_| ())
}

/// `cachesim serve`.
fn serve(args: cli::ServeArgs) -> Result<()> {
    let listen = cli::listen_address(args.listen.as_deref(), args.port)?;
    let watching = !(args.watch_old.is_empty() && args.watch_new.is_empty() && args.watch.is_empty());
    let watch = match (watching, args.change_at) {
        (false, None) if args.free.is_empty() => None,
        (false, _) => {
            return Err(Error::Usage(
                "--change-at and --free are for the live view: give the logs with --watch-old LOG --watch-new LOG \
                 (or --watch LOG --old-address IP)"
                    .into(),
            ))
        }
        (true, None) => {
            return Err(Error::Usage(
                "the live view needs --change-at: when the record changed, e.g. 2026-12-01T10:00:00Z".into(),
            ))
        }
        (true, Some(change_at)) => Some(cachesim::serve::WatchOptions {
            logs: commands::observe::ObserveOptions {
                old: args.watch_old,
                new: args.watch_new,
                log: args.watch,
                old_address: args.old_address,
                change_at,
                bucket: args.bucket,
                host: args.host,
                time_field: args.time_field,
                out: PathBuf::new(),
                quiet: true,
                flags: &cachesim::serve::WATCH_FLAGS,
            },
            free: args.free,
            refit_every: args.refit_every,
        }),
    };
    cachesim::serve::serve(cachesim::serve::ServeOptions {
        sim: args.sim.options(),
        listen,
        watch,
    })
}

/// `cachesim compare`.
fn compare(
    dirs: Vec<PathBuf>,
    observed: Vec<PathBuf>,
    out: Option<PathBuf>,
    quiet: bool,
    json: bool,
) -> Result<()> {
    let options = commands::compare::CompareOptions {
        dirs,
        observed,
        out: results_folder(out)?.unwrap_or_else(commands::compare::default_dir),
        quiet,
        json,
    };
    commands::compare::compare(&options).map(|_| ())
}

/// `cachesim man`: the main page on stdout, or every page into `dir`.
fn man(dir: Option<PathBuf>, quiet: bool) -> Result<()> {
    let Some(dir) = dir else {
        let mut page = Vec::new();
        cachesim::manual::main_page(Cli::command(), &mut page)
            .map_err(|e| Error::Internal(format!("cannot render the manual page: {e}")))?;
        return if quiet { Ok(()) } else { print_all(&page) };
    };
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| cachesim::manual::write_pages(Cli::command(), &dir));
    let pages = written.map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    if quiet {
        return Ok(());
    }
    let list: String = pages.iter().map(|p| format!("{}\n", p.display())).collect();
    print_all(list.as_bytes())
}

/// The command line's definition, with the exit statuses after `--help`.
fn command() -> clap::Command {
    Cli::command().after_help(format!(
        "Exit status (every command):\n{}",
        cachesim::error::exit_status_text()
    ))
}

/// Prints `bytes` to stdout; a reader that went away (`… | head`, `… |
/// true`) ends the program quietly with the status a shell gives a tool
/// ended by SIGPIPE.
fn print_all(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(141),
        other => other.map_err(|e| Error::Internal(format!("cannot print: {e}"))),
    }
}

/// Every `--vary KEY=V1,V2,...`.
fn parse_varies(vary: &[String]) -> Result<Vec<commands::sweep::Vary>> {
    vary.iter().map(|v| commands::sweep::Vary::parse(v)).collect()
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
    let varies = parse_varies(&vary)?;
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
        varies: parse_varies(&vary)?,
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
