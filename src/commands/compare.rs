//! `cachesim compare DIR_A DIR_B ... --out DIR`: results folders side by
//! side, to answer "how much does lowering the TTL two days before help" in
//! one command: compare.csv, two charts and a small report.html.

use crate::error::{Error, Result};
use crate::export::{charts, compare, folder, write_all};
use std::path::{Path, PathBuf};

pub struct CompareOptions {
    pub dirs: Vec<PathBuf>,
    /// Measured curves (observed.csv) drawn beside the folders' charts.
    pub observed: Vec<PathBuf>,
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
    if options.dirs.len() + options.observed.len() < 2 {
        return Err(Error::Usage(
            "compare needs two results folders or more, or a folder and an --observed curve".into(),
        ));
    }
    let measured = options
        .observed
        .iter()
        .map(|path| observed_chart(path))
        .collect::<Result<Vec<_>>>()?;
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
        .chain(measured)
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

/// A measured curve as the charts take it: its old share per bucket (none
/// where no request came), labelled "observed" and its file (or folder,
/// for a file called observed.csv).
fn observed_chart(path: &Path) -> Result<(String, charts::ChartData)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let curve = crate::observe::read_curve(&bytes)
        .map_err(|e| Error::Usage(format!("--observed {}: {e}", path.display())))?;
    let bucket_s = curve.bucket_ms as f64 / 1000.0;
    let named = if path.file_stem().is_some_and(|s| s == "observed") {
        path.parent().and_then(|p| p.file_name())
    } else {
        path.file_stem()
    };
    let label = format!(
        "observed {}",
        named.map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        )
    );
    let data = charts::ChartData {
        scenario: label.clone(),
        time_s: (0..curve.requests.len()).map(|i| i as f64 * bucket_s).collect(),
        bucket_s,
        old_share: curve
            .requests
            .iter()
            .zip(&curve.old)
            .map(|(n, k)| if *n > 0.0 { k / n } else { f64::NAN })
            .collect(),
        measured: true,
        ..Default::default()
    };
    Ok((label, data))
}

/// The default folder for a comparison: `output/compare/`.
pub fn default_dir() -> PathBuf {
    Path::new("output").join("compare")
}
