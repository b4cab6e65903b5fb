//! Results out: every format turns one [`Report`] into bytes, and one
//! function writes files whole or not at all (temporary file, then rename).

pub mod charts;
pub mod compare;
pub mod folder;
pub mod html;
pub mod summary;
pub mod sweep;
pub mod text;
pub mod timeseries;

use crate::error::{Error, Result};
use crate::plan::decision::Decision;
use crate::plan::Plan;
use crate::scenario::Scenario;
use crate::stats::Results;
use charts::ChartData;
use std::path::{Path, PathBuf};
use summary::Summary;

/// The thresholds `below` reports, by the key they are written under.
pub const THRESHOLDS: [(&str, f64); 4] = [("0.1", 0.1), ("0.01", 0.01), ("0.001", 0.001), ("0.0001", 0.0001)];

/// Everything a run produced, as the exporters see it.
pub struct Report<'a> {
    pub scenario: &'a Scenario,
    pub results: &'a Results,
    /// Every run's counts: written as `runs.cachesim`, from which `plan DIR`
    /// and `chart DIR` answer again without simulating.
    pub tallies: &'a [crate::engine::Tally],
    pub wall_time_s: f64,
    pub plan: &'a Plan,
    pub decision: &'a Decision,
}

/// Every run's counts in a results folder: a shard file holding all of the
/// work (shard 0 of 1).
pub const RUNS_FILE: &str = "runs.cachesim";

/// The results folder: the one asked for, or `output/<scenario name>/`;
/// a what-if (`--set`, `--runs`, `--seed`) gets a folder of its own beside
/// it, named by its overrides, so it never replaces the scenario's results.
pub fn results_dir(out: Option<&Path>, scenario: &Scenario) -> PathBuf {
    match out {
        Some(dir) => dir.to_path_buf(),
        None if scenario.overrides.is_empty() => Path::new("output").join(&scenario.name),
        None => Path::new("output").join(format!("{}--{}", scenario.name, slug(&scenario.overrides))),
    }
}

/// Overrides as part of a folder name: `record.ttl=30s,simulation.runs=4`,
/// other characters as `_`; a long one shortened and told apart by a hash.
fn slug(overrides: &[String]) -> String {
    let joined = overrides.join(",");
    let safe: String = joined
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._=-,".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.len() <= 64 {
        safe
    } else {
        let cut: String = safe.chars().take(48).collect();
        format!("{cut}-{:016x}", crate::scenario::fnv1a(joined.as_bytes()))
    }
}

/// Every result file of a run, written whole or not at all; their names.
pub fn write_run(report: &Report, dir: &Path) -> Result<Vec<String>> {
    let files = run_files(report)?;
    write_all(dir, &files)?;
    Ok(files.into_iter().map(|(name, _)| name).collect())
}

/// Every result file of a run as (name, bytes), in the order written.
pub fn run_files(report: &Report) -> Result<Vec<(String, Vec<u8>)>> {
    let summary = Summary::of(report);
    let mut files = vec![
        ("timeseries.csv".to_string(), timeseries::timeseries_csv(report)),
        ("summary.json".to_string(), summary.to_bytes()),
    ];
    if report.scenario.record.load_balanced() {
        files.push(("addresses.csv".to_string(), timeseries::addresses_csv(report)));
    }
    files.push((
        RUNS_FILE.to_string(),
        crate::shard::file::ShardFile::of_runs(report.scenario, report.tallies).to_bytes(),
    ));
    let data = ChartData::from_report(report);
    let charts = charts::render_all(&data).map_err(chart_error)?;
    files.push((
        "report.html".to_string(),
        report_page(report, &data, &summary, &charts),
    ));
    files.extend(charts);
    Ok(files)
}

/// report.html alone, for `serve`'s button.
pub fn report_html(report: &Report) -> Result<Vec<u8>> {
    let data = ChartData::from_report(report);
    let charts = charts::render_all(&data).map_err(chart_error)?;
    Ok(report_page(report, &data, &Summary::of(report), &charts))
}

fn report_page(
    report: &Report,
    data: &ChartData,
    summary: &Summary,
    charts: &[(String, Vec<u8>)],
) -> Vec<u8> {
    let mut text = report.scenario.text.clone();
    for o in &report.scenario.overrides {
        text.push_str(&format!("\n# --set {o}"));
    }
    html::report_html(data, summary, &text, charts)
}

/// Draws every chart of a results folder again from its files.
pub fn redraw(dir: &Path) -> Result<Vec<String>> {
    let folder = folder::read(dir)?;
    let files = charts::render_all(&folder.charts).map_err(chart_error)?;
    let names = files.iter().map(|(n, _)| n.clone()).collect();
    write_all(dir, &files)?;
    Ok(names)
}

fn chart_error(e: charts::ChartError) -> Error {
    Error::Internal(format!("cannot draw the charts: {e}"))
}

/// Makes sure the results folder exists and can be written, before any
/// simulating: a bad folder is bad input, found in a second, not after a run.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    let refuse = |source: std::io::Error| Error::ResultsFolder {
        dir: dir.to_path_buf(),
        exists: dir.is_dir(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(refuse)?;
    let probe = dir.join(format!(".cachesim-probe.{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(refuse)?;
    drop(std::fs::remove_file(probe));
    Ok(())
}

/// Writes one file whole or not at all (into its folder, made if needed).
pub fn write_all_to_file(path: &Path, bytes: Vec<u8>) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Usage(format!("{}: not a file name", path.display())))?;
    write_all(&dir, &[(name, bytes)])
}

/// Writes `files` (name, bytes) into `dir` so that the folder is never
/// half updated: each file goes to a temporary name first; only once all are
/// written do they replace the old files, each old file set aside until the
/// last rename succeeded and put back if one fails. An interrupted or failed
/// run leaves the folder as it was, with no temporary file behind.
pub fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    prepare_dir(dir)?;
    let pid = std::process::id();
    let staged: Vec<Staged> = files
        .iter()
        .map(|(name, _)| Staged {
            tmp: dir.join(format!(".{name}.{pid}.tmp")),
            old: dir.join(format!(".{name}.{pid}.old")),
            target: dir.join(name),
        })
        .collect();
    let result = stage(&staged, files).and_then(|()| swap_in(&staged));
    for s in &staged {
        drop(std::fs::remove_file(&s.tmp));
        if result.is_ok() {
            drop(std::fs::remove_file(&s.old));
        }
    }
    result
}

/// One file on its way in: its temporary name, where the file it replaces
/// waits, and its final name.
struct Staged {
    tmp: PathBuf,
    old: PathBuf,
    target: PathBuf,
}

/// Writes every file under its temporary name; refuses a target that is not
/// a file (a folder in the way) before anything is replaced.
fn stage(staged: &[Staged], files: &[(String, Vec<u8>)]) -> Result<()> {
    for (s, (_, bytes)) in staged.iter().zip(files) {
        if std::fs::symlink_metadata(&s.target).is_ok_and(|m| !m.is_file()) {
            let source = std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "something other than a file is there",
            );
            return Err(Error::Write {
                path: s.target.clone(),
                source,
            });
        }
        std::fs::write(&s.tmp, bytes).map_err(|source| Error::Write {
            path: s.target.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Replaces each target by its temporary file; on a failure, puts back
/// every file already replaced.
fn swap_in(staged: &[Staged]) -> Result<()> {
    for (i, s) in staged.iter().enumerate() {
        let had_old = s.target.exists();
        let swapped = (if had_old {
            std::fs::rename(&s.target, &s.old)
        } else {
            Ok(())
        })
        .and_then(|()| std::fs::rename(&s.tmp, &s.target));
        if let Err(source) = swapped {
            for done in staged[..=i].iter().rev() {
                if done.old.exists() {
                    drop(std::fs::rename(&done.old, &done.target));
                } else if done.target != s.target {
                    drop(std::fs::remove_file(&done.target));
                }
            }
            return Err(Error::Write {
                path: s.target.clone(),
                source,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_folder_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where a file should go: nothing may be replaced.
        std::fs::create_dir(dir.path().join("b.txt")).unwrap();
        std::fs::write(dir.path().join("b.txt").join("keep"), b"x").unwrap();
        let files = vec![
            ("a.txt".to_string(), b"a".to_vec()),
            ("b.txt".to_string(), b"b".to_vec()),
        ];
        std::fs::write(dir.path().join("a.txt"), b"before").unwrap();
        assert!(write_all(dir.path(), &files).is_err());
        assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"before");
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }
}
