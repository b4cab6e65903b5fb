//! `cachesim compare DIR_A DIR_B ... --out DIR`: results folders side by
//! side, to answer "how much does lowering the TTL two days before help" in
//! one command: compare.csv, two charts and a small report.html.

use crate::error::{Error, Result};
use crate::export::{charts, compare, folder, write_all};
use std::path::{Path, PathBuf};

pub struct CompareOptions {
    pub dirs: Vec<PathBuf>,
    pub out: PathBuf,
    pub quiet: bool,
    pub json: bool,
}

/// Each folder's label: its scenario's name, or its folder's name where two
/// share a scenario name.
fn labels(dirs: &[PathBuf], names: &[String]) -> Vec<String> {
    names
        .iter()
        .zip(dirs)
        .map(|(name, dir)| {
            if names.iter().filter(|n| *n == name).count() > 1 {
                dir.file_name()
                    .map_or_else(|| dir.display().to_string(), |f| f.to_string_lossy().into_owned())
            } else {
                name.clone()
            }
        })
        .collect()
}

pub fn compare(options: &CompareOptions) -> Result<Vec<Vec<(String, serde_json::Value)>>> {
    if options.dirs.len() < 2 {
        return Err(Error::Usage("compare needs two results folders or more".into()));
    }
    crate::export::prepare_dir(&options.out)?;
    let folders = options
        .dirs
        .iter()
        .map(|d| folder::read(d))
        .collect::<Result<Vec<_>>>()?;
    let names: Vec<String> = folders.iter().map(|f| f.summary.scenario.clone()).collect();
    let labels = labels(&options.dirs, &names);
    let rows: Vec<_> = labels
        .iter()
        .zip(&folders)
        .map(|(label, f)| compare::figures(label, f))
        .collect();
    let series: Vec<_> = labels
        .iter()
        .cloned()
        .zip(folders.into_iter().map(|f| f.charts))
        .collect();
    let mut files = charts::render_compare(&series)
        .map_err(|e| Error::Internal(format!("cannot draw the comparison: {e}")))?;
    files.push(("report.html".to_string(), compare::report_html(&rows, &files)));
    files.push(("compare.csv".to_string(), compare::csv_bytes(&rows)));
    write_all(&options.out, &files)?;
    if options.json {
        println!("{:#}", compare::json_rows(&rows));
    } else if !options.quiet {
        print!("{}", compare::table_text(&rows));
        println!("results: {}", options.out.display());
    }
    Ok(rows)
}

/// The default folder for a comparison: `output/compare/`.
pub fn default_dir() -> PathBuf {
    Path::new("output").join("compare")
}
