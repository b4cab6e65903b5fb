//! Command-line arguments (clap). Only the binary parses arguments; the
//! library's commands take plain option structs.

use cachesim::commands::SimOptions;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "cachesim",
    version,
    about = "How long do users keep reaching the old IP address after a DNS change?",
    long_about = "cachesim simulates every DNS cache between users and the authoritative server \
                  (resolvers, home routers, operating systems, apps, keep-alive connections) as many \
                  Monte Carlo runs, and reports the share of requests still reaching the old address \
                  over time, which layer holds the stale answers, and when the old server can go."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario and write timeseries.csv, summary.json and charts.
    Run {
        #[command(flatten)]
        sim: SimArgs,
        /// Results folder (default: output/<scenario name>/; with --shard,
        /// output/<scenario name>/shards/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Simulate only shard I of N (0 ≤ I < N) of the (run, partition)
        /// pairs and write a shard file into --out; `cachesim merge` puts
        /// the shards together.
        #[arg(long, value_name = "I/N")]
        shard: Option<cachesim::shard::Shard>,
    },
    /// Merge shard files (from `run --shard`) into exactly the results one
    /// `run` writes.
    Merge {
        /// Folders holding the shard files (shard-*.cachesim), or the files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Results folder (default: output/<scenario name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write over a results folder that holds another scenario or what-if.
        #[arg(long)]
        replace: bool,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// When can the old server go? The time from which the expected old
    /// share stays under the tolerance, with its 95 % interval, and what the
    /// answer hangs on. SCENARIO may be a results folder: then it is
    /// answered again from the runs kept there and left as it was.
    Plan {
        #[command(flatten)]
        sim: SimArgs,
        /// Old share to stay under (0.0001 = 0.01 %).
        #[arg(long, default_value_t = cachesim::plan::DEFAULT_TOLERANCE, conflicts_with = "max_lost", value_parser = share)]
        tolerance: f64,
        /// Instead: fewer than this many requests in all, at the site's
        /// traffic, may still reach the old server afterwards.
        #[arg(long)]
        max_lost: Option<u64>,
        /// The site's requests to this name, averaged over a day ("2000/s",
        /// "1.7e8/d"; a number is per second): lost requests are counted at
        /// it. Default: the scenario's [plan] traffic, else the population's.
        #[arg(long, value_parser = rate)]
        traffic: Option<f64>,
        /// Where to write the results (default: output/<scenario name>/; for
        /// a results folder, nothing is written unless given).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The plan's answer across values of one or more keys (a grid), as a
    /// table, sweep.csv and a chart.
    Sweep(SweepArgs),
    /// Write DIR/submit.sh: a Slurm array job of the shards (for a sweep,
    /// every value times every shard) and a merge job that runs once they all
    /// succeed. `bash DIR/submit.sh --wait` blocks until the results are in DIR.
    Slurm(SlurmArgs),
    /// Draw a results folder again without simulating: every file, report.html
    /// included, from the runs it keeps (older folders: the charts from the
    /// CSV files); a sweep's folder: its chart.
    Chart {
        /// A results folder written by `cachesim run`, `plan` or `sweep`.
        dir: PathBuf,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Several results folders on one chart (linear and log) and one table of
    /// their key figures, with a small report.html.
    Compare {
        /// Results folders written by `cachesim run` or `plan` (two or more,
        /// or one with --observed).
        #[arg(required = true, num_args = 1..)]
        dirs: Vec<PathBuf>,
        /// A curve measured in a real migration (observed.csv from `cachesim
        /// observe`), drawn on the charts beside the simulated ones.
        #[arg(long, value_name = "FILE")]
        observed: Vec<PathBuf>,
        /// Folder for compare.csv, the charts and report.html (default: output/compare/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Print the table as JSON on stdout, one object per folder.
        #[arg(long, conflicts_with = "quiet")]
        json: bool,
    },
    /// Turn access logs of the old and new servers into observed.csv
    /// (time_s,requests,old_requests), the curve `cachesim fit` matches.
    Observe(ObserveArgs),
    /// Fit free keys so the simulated curve matches an observed one (from
    /// `cachesim observe`): values with 95 % intervals, fit.json, fitted.toml
    /// and a chart.
    Fit {
        #[command(flatten)]
        sim: SimArgs,
        /// The observed curve: time_s,requests,old_requests.
        #[arg(long)]
        observed: PathBuf,
        /// A key to fit and its range, e.g. resolver.1.share=0.01..0.2; repeatable.
        #[arg(long = "free", value_name = "KEY=LO..HI", required = true)]
        free: Vec<String>,
        /// Folder for the results (default: output/<scenario name>/fit/).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A local web page: controls that re-simulate and redraw the decision
    /// (what-ifs without writing TOML), and with --watch-old/--watch-new (or
    /// --watch) a live view of a migration in progress.
    Serve(ServeArgs),
    /// List the policy presets with their values and sources.
    Presets {
        /// As a Markdown table (docs/presets.md).
        #[arg(long)]
        markdown: bool,
        /// Print nothing (every command takes --quiet).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print a shell completion script: `cachesim completions bash >
    /// ~/.local/share/bash-completion/completions/cachesim`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
        /// Print nothing (every command takes --quiet).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the manual page (roff): `cachesim man > cachesim.1`; with
    /// --dir, write it and one page per command there.
    Man {
        /// Write cachesim.1 and cachesim-<command>.1 into this folder
        /// (e.g. ~/.local/share/man/man1).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Print nothing but errors (with --dir, not the pages written).
        #[arg(long, short)]
        quiet: bool,
    },
}

/// `cachesim observe`'s arguments.
#[derive(Args, Debug)]
pub struct ObserveArgs {
    /// Logs of the old server (combined format or JSON lines); repeatable.
    #[arg(long)]
    old: Vec<PathBuf>,
    /// Logs of the new server; repeatable.
    #[arg(long)]
    new: Vec<PathBuf>,
    /// Or: logs that record each request's server address (nginx
    /// `$server_addr` first on the line, or a JSON `server_addr` field).
    #[arg(long)]
    log: Vec<PathBuf>,
    /// With --log: the old server's address(es) as the log records them.
    #[arg(long, value_delimiter = ',')]
    old_address: Vec<String>,
    /// When the record changed: 2026-12-01T10:00:00Z, 01/Dec/2026:10:00:00 +0000 or epoch seconds.
    #[arg(long)]
    change_at: String,
    /// Bucket length, e.g. 1m.
    #[arg(long, default_value = "1m", value_parser = duration_arg)]
    bucket: i64,
    /// Keep only this site's requests (a vhost_combined host, or a JSON `host` field).
    #[arg(long)]
    host: Option<String>,
    /// The time field of JSON lines.
    #[arg(long, default_value = "time")]
    time_field: String,
    /// Where to write the curve.
    #[arg(long, default_value = "observed.csv")]
    out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

impl ObserveArgs {
    pub fn options(self) -> cachesim::commands::observe::ObserveOptions {
        cachesim::commands::observe::ObserveOptions {
            old: self.old,
            new: self.new,
            log: self.log,
            old_address: self.old_address,
            change_at: self.change_at,
            bucket: self.bucket,
            host: self.host,
            time_field: self.time_field,
            out: self.out,
            quiet: self.quiet,
            flags: &cachesim::commands::observe::OBSERVE_FLAGS,
        }
    }
}

/// `cachesim serve`'s arguments.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub sim: SimArgs,
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8750)]
    pub port: u16,
    /// Listen on this address instead of loopback (IP, or IP:PORT); the
    /// page is then open to anyone who can reach it, and serve warns so.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The live view: logs of the old server, followed as they grow; repeatable.
    #[arg(long, value_name = "LOG")]
    pub watch_old: Vec<PathBuf>,
    /// Logs of the new server; repeatable.
    #[arg(long, value_name = "LOG")]
    pub watch_new: Vec<PathBuf>,
    /// Or: logs that record each request's server address, with --old-address.
    #[arg(long, value_name = "LOG")]
    pub watch: Vec<PathBuf>,
    /// With --watch: the old server's address(es) as the log records them.
    #[arg(long, value_delimiter = ',')]
    pub old_address: Vec<String>,
    /// When the record changed (as `observe --change-at`); needed by the live view.
    #[arg(long)]
    pub change_at: Option<String>,
    /// The live view's bucket.
    #[arg(long, default_value = "1m", value_parser = duration_arg)]
    pub bucket: i64,
    /// Keep only this site's requests (as `observe --host`).
    #[arg(long)]
    pub host: Option<String>,
    /// The time field of JSON lines.
    #[arg(long, default_value = "time")]
    pub time_field: String,
    /// A key to refit as the logs grow, and its range (as `fit --free`); repeatable.
    #[arg(long = "free", value_name = "KEY=LO..HI")]
    pub free: Vec<String>,
    /// How often the live view refits.
    #[arg(long, default_value = "5m", value_parser = duration_arg)]
    pub refit_every: i64,
}

/// Where `serve` listens: loopback at `port`, or `--listen` (an IP, or
/// IP:PORT).
pub fn listen_address(listen: Option<&str>, port: u16) -> cachesim::error::Result<std::net::SocketAddr> {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    let Some(text) = listen else {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    };
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    text.parse().map_err(|_| {
        cachesim::error::Error::Usage(format!(
            "--listen {text}: not an address; give an IP (0.0.0.0, ::1) or IP:PORT (192.0.2.7:8750)"
        ))
    })
}

/// A duration such as 1m or 30s, in milliseconds.
fn duration_arg(text: &str) -> Result<i64, String> {
    cachesim::duration::parse_duration(text).map_err(|e| e.to_string())
}

/// A share between 0 and 1, as a fraction: "0.01%" is answered with the
/// fraction to write instead.
fn rate(text: &str) -> Result<f64, String> {
    cachesim::duration::parse_rate(text).map_err(|e| e.to_string())
}

fn share(text: &str) -> Result<f64, String> {
    let accepted = "give a share between 0 and 1, e.g. 0.0001 for 0.01 %";
    if let Some(number) = text.trim().strip_suffix('%') {
        return match number.trim().parse::<f64>() {
            Ok(percent) => Err(format!(
                "write shares as fractions: {percent} % is {}",
                percent / 100.0
            )),
            Err(_) => Err(accepted.to_string()),
        };
    }
    match text.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(accepted.to_string()),
    }
}

#[derive(Args, Debug)]
pub struct SimArgs {
    /// The scenario file (TOML); for `plan` and `serve`, also a results folder: its runs answered again (plan), the scenario it was run from (serve).
    pub scenario: PathBuf,
    /// Monte Carlo runs (overrides simulation.runs).
    #[arg(long)]
    pub runs: Option<u32>,
    /// Random seed (overrides simulation.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Override any scenario key by dotted path, e.g. --set record.ttl=60s.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the results as JSON on stdout (summary.json's content; for
    /// sweep, one object per value) instead of the text.
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,
    /// Simulate even when the estimate says it will not fit in memory.
    #[arg(long)]
    pub force: bool,
    /// Write over a results folder that holds another scenario or another
    /// what-if (other --set, --runs or --seed); without it such a folder is
    /// refused, and a what-if gets output/<name>--<its overrides>/.
    #[arg(long)]
    pub replace: bool,
}

impl SimArgs {
    pub fn options(&self) -> SimOptions {
        SimOptions {
            scenario: self.scenario.clone(),
            runs: self.runs,
            seed: self.seed,
            threads: self.threads,
            sets: self.sets.clone(),
            quiet: self.quiet,
            json: self.json,
            force: self.force,
            replace: self.replace,
        }
    }
}

/// `cachesim sweep`'s arguments.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    pub sim: SimArgs,
    /// A key and its values, e.g. --vary record.ttl=60s,300s,1h. Repeat for a grid.
    #[arg(long, value_name = "KEY=V1,V2,...", required = true)]
    pub vary: Vec<String>,
    /// Old share to stay under (0.0001 = 0.01 %).
    #[arg(long, default_value_t = cachesim::plan::DEFAULT_TOLERANCE, conflicts_with = "max_lost", value_parser = share)]
    pub tolerance: f64,
    /// Instead: fewer than this many requests (per run) may still reach the old server.
    #[arg(long)]
    pub max_lost: Option<u64>,
    /// Folder for sweep.csv and the chart (default: output/<scenario name>/sweep/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Merge shards simulated elsewhere instead of simulating: one folder
    /// per value, numbered in the grid's order (what `cachesim slurm` writes).
    #[arg(long, value_name = "DIR")]
    pub shards: Option<PathBuf>,
}

/// `cachesim slurm`'s arguments.
#[derive(clap::Args, Debug)]
pub struct SlurmArgs {
    #[command(flatten)]
    pub sim: SimArgs,
    /// Shards (array tasks) per scenario or per value of a sweep.
    #[arg(long)]
    pub tasks: u32,
    /// Folder for submit.sh, the shards, the logs and the merged results.
    #[arg(long)]
    pub out: PathBuf,
    /// Make it a sweep: a key and its values, as `cachesim sweep --vary`.
    #[arg(long, value_name = "KEY=V1,V2,...")]
    pub vary: Vec<String>,
    /// The sweep's tolerance (as `cachesim sweep --tolerance`).
    #[arg(long, value_parser = share, requires = "vary", conflicts_with = "max_lost")]
    pub tolerance: Option<f64>,
    /// The sweep's --max-lost (as `cachesim sweep --max-lost`).
    #[arg(long, requires = "vary")]
    pub max_lost: Option<u64>,
    /// Slurm partition to submit to (default: the cluster's default).
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task as Slurm takes it (default: estimated).
    #[arg(long)]
    pub time: Option<String>,
    /// Memory per task as Slurm takes it, e.g. 4G (default: estimated).
    #[arg(long)]
    pub mem: Option<String>,
    /// CPUs per task; each task simulates on that many threads.
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: u32,
}
