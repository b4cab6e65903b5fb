//! What can go wrong in a command, and the exit status each maps to:
//! 2 for bad input (the user can fix it), 1 for internal or I/O failures,
//! 130 when interrupted.

use crate::scenario::{OverrideError, ScenarioError, TableError};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Scenario(Box<ScenarioError>),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Override(#[from] OverrideError),
    #[error(transparent)]
    Table(#[from] TableError),
    /// Bad input found by a module above this one, typed there.
    #[error(transparent)]
    Input(Box<dyn std::error::Error + Send + Sync>),
    /// The results folder cannot be created or written: found before simulating.
    #[error("cannot create the results folder {}: {source}", dir.display())]
    ResultsFolder { dir: PathBuf, source: std::io::Error },
    /// The scenario would need more memory than the machine has.
    #[error("{file}: this scenario needs about {:.1} GiB of memory and {:.1} GiB are available", gib(*need), gib(*available))]
    TooBig { file: String, need: u64, available: u64 },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// A shard file that cannot be merged: missing, duplicate, foreign or damaged.
    #[error("{}: {message}", path.display())]
    Shard { path: PathBuf, message: String },
    /// A shard file that cannot be read as one.
    #[error("{}: {source}", path.display())]
    ShardFile {
        path: PathBuf,
        source: crate::shard::file::ShardFileError,
    },
    #[error("interrupted: stopped before the simulation finished; no results were written")]
    Interrupted,
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Scenario(_)
            | Error::Usage(_)
            | Error::Override(_)
            | Error::Table(_)
            | Error::Input(_)
            | Error::ResultsFolder { .. }
            | Error::TooBig { .. }
            | Error::Shard { .. }
            | Error::ShardFile { .. } => 2,
            Error::Interrupted => 130,
            Error::Write { .. } | Error::Read { .. } | Error::Internal(_) => 1,
        }
    }
}

/// Bytes in GiB, for messages.
pub fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

impl From<ScenarioError> for Error {
    fn from(e: ScenarioError) -> Self {
        Error::Scenario(Box::new(e))
    }
}

pub type Result<T> = std::result::Result<T, Error>;
