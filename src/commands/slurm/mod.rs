//! `cachesim slurm SCENARIO --tasks N --out DIR`: writes `DIR/submit.sh`,
//! which submits an array job of the shards (every value of a sweep times
//! every shard, one task each) and a merge job that runs once every task
//! succeeded. `submit.sh --wait` blocks until the results are in DIR.

use super::sweep::{grid, Vary};
use super::SimOptions;
use crate::error::{Error, Result};
use crate::resources;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub struct SlurmOptions {
    pub sim: SimOptions,
    pub tasks: u32,
    pub out: PathBuf,
    pub varies: Vec<Vary>,
    /// Passed to the sweep's merge (`--tolerance` or `--max-lost`), if given.
    pub tolerance: Option<f64>,
    pub max_lost: Option<u64>,
    pub partition: Option<String>,
    /// `--time` as Slurm takes it; estimated when absent.
    pub time: Option<String>,
    /// `--mem` as Slurm takes it; estimated when absent.
    pub mem: Option<String>,
    pub cpus_per_task: u32,
}

/// What the script asks Slurm for, per task.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub array_tasks: u64,
    pub minutes: u64,
    pub mem_mib: u64,
}

/// Slurm's default largest array index is 1000 (`MaxArraySize=1001`).
const DEFAULT_MAX_ARRAY_SIZE: u64 = 1001;

fn quote(text: &str) -> Result<String> {
    shlex::try_quote(text)
        .map(|q| q.into_owned())
        .map_err(|_| Error::Usage(format!("{text:?} cannot be passed through a shell script")))
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Per task: time from the engine's speed on realistic mixes, three times
/// over (a cluster core may be slower than this one) plus a minute to
/// start; memory from the engine's estimate plus room for the program.
fn estimate(options: &SlurmOptions, scenarios: &[crate::scenario::Scenario]) -> Request {
    let threads = options.cpus_per_task.max(1) as usize;
    let per_task_s = scenarios
        .iter()
        .map(|s| {
            let warmup = crate::scenario::warmup::longest_warmup(s);
            let warmup_factor = 1.0 + warmup as f64 / s.duration.max(1) as f64;
            resources::estimate_requests(s) * warmup_factor
                / (resources::REQUESTS_PER_THREAD_SECOND * threads as f64)
                / f64::from(options.tasks)
        })
        .fold(0.0, f64::max);
    let mem = scenarios
        .iter()
        .map(|s| resources::estimate_memory(s, threads))
        .max()
        .unwrap_or(0);
    Request {
        array_tasks: scenarios.len() as u64 * u64::from(options.tasks),
        minutes: (per_task_s * 3.0 / 60.0).ceil() as u64 + 1,
        mem_mib: mem / (1 << 20) + 256,
    }
}

/// Writes `DIR/submit.sh`; returns its path and what each task asks for.
pub fn slurm(options: &SlurmOptions) -> Result<(PathBuf, Request)> {
    if options.tasks == 0 {
        return Err(Error::Usage("--tasks 0: give at least one task".into()));
    }
    let combinations = if options.varies.is_empty() {
        vec![Vec::new()]
    } else {
        grid(&options.varies)
    };
    // Load every scenario now: bad input fails here, not on the cluster.
    let sets_of = |combination: &[String]| -> Vec<String> {
        options
            .varies
            .iter()
            .zip(combination)
            .map(|(v, value)| format!("{}={value}", v.key))
            .collect()
    };
    let scenarios = combinations
        .iter()
        .map(|c| {
            let extra = sets_of(c)
                .iter()
                .map(|s| crate::scenario::Override::parse(s).map_err(Error::from))
                .collect::<Result<Vec<_>>>()?;
            options.sim.load(&extra)
        })
        .collect::<Result<Vec<_>>>()?;
    let request = estimate(options, &scenarios);
    crate::export::prepare_dir(&options.out)?;
    let script = script(
        options,
        &request,
        &combinations.iter().map(|c| sets_of(c)).collect::<Vec<_>>(),
    )?;
    let path = options.out.join("submit.sh");
    crate::export::write_all(&options.out, &[("submit.sh".to_string(), script.into_bytes())])?;
    make_executable(&path)?;
    Ok((path, request))
}

fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The script's text, with `@NAME@` placeholders (see [`script`]).
const TEMPLATE: &str = include_str!("submit.sh");

/// The script itself: [`TEMPLATE`] with every value written in, quoted, so
/// it needs nothing from the shell that runs it but Slurm's commands.
fn script(options: &SlurmOptions, request: &Request, combination_sets: &[Vec<String>]) -> Result<String> {
    let exe =
        std::env::current_exe().map_err(|e| Error::Internal(format!("cannot find this program: {e}")))?;
    let sweep = !options.varies.is_empty();
    // Every override as --set, in the order `run` records them, so each
    // shard has the content hash a single run would.
    let common = sets_text(options.sim.overrides()?.iter().map(|o| o.argument.as_str()))?;
    let mut cases = String::new();
    for (j, sets) in combination_sets.iter().enumerate() {
        let sets = sets_text(sets.iter().map(String::as_str))?;
        writeln!(cases, "  {j}) sets=({sets}) ;;").expect("writing to a string");
    }
    let warning = if request.array_tasks > DEFAULT_MAX_ARRAY_SIZE {
        format!(
            "# Note: {} array tasks; Slurm's default MaxArraySize allows 1001. Raise it or use fewer --tasks.\n",
            request.array_tasks
        )
    } else {
        String::new()
    };
    let partition = match &options.partition {
        Some(p) => format!(" --partition={}", quote(p)?),
        None => String::new(),
    };
    let values: [(&str, String); 18] = [
        ("MERGE", merge_command(options, &common)?),
        ("NAME", options.sim.scenario.display().to_string()),
        ("ARRAY", request.array_tasks.to_string()),
        ("COMBOS", combination_sets.len().to_string()),
        ("TASKS", options.tasks.to_string()),
        ("CPUS", options.cpus_per_task.max(1).to_string()),
        (
            "MEM",
            options
                .mem
                .clone()
                .unwrap_or_else(|| format!("{}M", request.mem_mib)),
        ),
        (
            "TIME",
            options
                .time
                .clone()
                .unwrap_or_else(|| request.minutes.to_string()),
        ),
        ("WARNING", warning),
        ("EXE", quote(&exe.to_string_lossy())?),
        ("OUT", quote(&absolute(&options.out)?.to_string_lossy())?),
        ("WORKDIR", quote(&absolute(Path::new("."))?.to_string_lossy())?),
        ("LAST", (request.array_tasks - 1).to_string()),
        ("PARTITION", partition),
        ("CASES", cases),
        ("SCENARIO", quote(&options.sim.scenario.to_string_lossy())?),
        ("COMMON", common.clone()),
        (
            "SHARD_DIR",
            if sweep {
                "$OUT/shards/$value"
            } else {
                "$OUT/shards"
            }
            .to_string(),
        ),
    ];
    Ok(fill(TEMPLATE, &values))
}

/// `template` with each `@NAME@` replaced by its value, in one pass (a
/// value is never read again for placeholders).
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(after.len());
        match values.iter().find(|(n, _)| *n == &after[..name_len]) {
            Some((_, value)) if after[name_len..].starts_with('@') => {
                out.push_str(value);
                rest = &after[name_len + 1..];
            }
            _ => {
                out.push('@');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `--set` arguments for `sets`, each quoted.
fn sets_text<'a>(sets: impl Iterator<Item = &'a str>) -> Result<String> {
    let sets: Vec<String> = sets
        .map(|s| Ok(format!("--set {}", quote(s)?)))
        .collect::<Result<_>>()?;
    Ok(sets.join(" "))
}

/// What the merge job runs: `merge`, or for a sweep `sweep --shards`.
fn merge_command(options: &SlurmOptions, common: &str) -> Result<String> {
    if options.varies.is_empty() {
        return Ok("\"$CACHESIM\" merge \"$OUT/shards\" --out \"$OUT\" --quiet".to_string());
    }
    let mut varies = Vec::new();
    for v in &options.varies {
        varies.push(format!(
            "--vary {}",
            quote(&format!("{}={}", v.key, v.values.join(",")))?
        ));
    }
    let tolerance = match (options.tolerance, options.max_lost) {
        (_, Some(n)) => format!(" --max-lost {n}"),
        (Some(t), None) => format!(" --tolerance {t}"),
        (None, None) => String::new(),
    };
    Ok(format!(
        "\"$CACHESIM\" sweep {} {common} {}{tolerance} --shards \"$OUT/shards\" --out \"$OUT\" --quiet",
        quote(&options.sim.scenario.to_string_lossy())?,
        varies.join(" ")
    ))
}
