//! Results out: every format turns one [`Report`] into bytes, and one
//! function writes files whole or not at all (temporary file, then rename).

pub mod charts;
pub mod html;
pub mod json;
pub mod timeseries;

use crate::error::{Error, Result};
use crate::scenario::Scenario;
use crate::stats::Results;
use std::path::{Path, PathBuf};

/// Everything a run produced, as the exporters see it.
pub struct Report<'a> {
    pub scenario: &'a Scenario,
    pub results: &'a Results,
    pub wall_time_s: f64,
    pub plan: crate::plan::Plan,
}

/// Makes sure the results folder exists and can be written, before any
/// simulating: a bad `--out` is bad input, found in a second, not after a run.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    let refuse = |e: std::io::Error| {
        Error::Usage(format!(
            "cannot create the results folder {}: {e}; choose another with --out",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(refuse)?;
    let probe = dir.join(format!(".cachesim-probe.{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(refuse)?;
    drop(std::fs::remove_file(probe));
    Ok(())
}

/// Writes `files` (name, bytes) into `dir`: each to a temporary name first,
/// renamed into place only once all are written, so an interrupted or failed
/// run leaves the folder as it was.
pub fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    prepare_dir(dir)?;
    let pid = std::process::id();
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup =
        |staged: &[(PathBuf, PathBuf)]| staged.iter().for_each(|(tmp, _)| drop(std::fs::remove_file(tmp)));
    for (name, bytes) in files {
        let target = dir.join(name);
        let tmp = dir.join(format!(".{name}.{pid}.tmp"));
        if let Err(source) = std::fs::write(&tmp, bytes) {
            cleanup(&staged);
            drop(std::fs::remove_file(&tmp));
            return Err(Error::Write { path: target, source });
        }
        staged.push((tmp, target));
    }
    for (tmp, target) in &staged {
        std::fs::rename(tmp, target).map_err(|source| Error::Write {
            path: target.clone(),
            source,
        })?;
    }
    Ok(())
}
