//! What can go wrong in a command, and the exit status each maps to:
//! 2 for bad input (the user can fix it), 1 for internal or I/O failures,
//! 130 when interrupted.

use crate::scenario::ScenarioError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Scenario(Box<ScenarioError>),
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("interrupted: stopped before the simulation finished; no results were written")]
    Interrupted,
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Scenario(_) | Error::Usage(_) => 2,
            Error::Interrupted => 130,
            Error::Write { .. } | Error::Read { .. } | Error::Internal(_) => 1,
        }
    }
}

impl From<ScenarioError> for Error {
    fn from(e: ScenarioError) -> Self {
        Error::Scenario(Box::new(e))
    }
}

pub type Result<T> = std::result::Result<T, Error>;
