//! What can go wrong in a command, and the exit status each maps to (the
//! table [`EXIT_STATUSES`] that `--help`, the manual and README print).

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
    #[error("{} the results folder {}: {source}", if *exists { "cannot write into" } else { "cannot create" }, dir.display())]
    ResultsFolder {
        dir: PathBuf,
        /// It exists (so it could not be written into, not made).
        exists: bool,
        source: std::io::Error,
    },
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
    /// The results are written, but the criterion is not met within the
    /// horizon: no answer to act on.
    #[error("no answer within the {horizon} simulated (results in {}); try --set simulation.duration={longer}", dir.display())]
    NoAnswer {
        horizon: String,
        longer: String,
        dir: PathBuf,
    },
    #[error("{0}")]
    Internal(String),
}

/// Every exit status, what it means and what to do: one table for every
/// command.
pub const EXIT_STATUSES: [(i32, &str); 7] = [
    (0, "done: the answer is printed and its results written"),
    (1, "internal error: a bug in cachesim; please report it with the scenario"),
    (2, "bad input: the command line, a scenario, a log or a results folder as given (a file that does not exist included); the message names the file, line, key and what is accepted"),
    (3, "cannot read or write: a file or folder exists but cannot be read or written (permission denied, disk full, a read-only folder)"),
    (4, "no answer within the horizon: the results are written, but the old server cannot go within the time simulated; the message names the duration to try"),
    (130, "interrupted (Ctrl-C or SIGTERM): stopped promptly, every results folder left as it was"),
    (141, "the output's reader went away (cachesim … | head): printing stopped, as for a tool ended by SIGPIPE"),
];

/// The table as text, for `--help` and the manual.
pub fn exit_status_text() -> String {
    EXIT_STATUSES
        .iter()
        .map(|(code, what)| format!("  {code:>3}  {what}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Scenario(_)
            | Error::Usage(_)
            | Error::Override(_)
            | Error::Table(_)
            | Error::Input(_)
            | Error::TooBig { .. }
            | Error::Shard { .. }
            | Error::ShardFile { .. } => 2,
            // A path that does not exist was given wrong: bad input.
            Error::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => 2,
            Error::Read { .. } | Error::Write { .. } | Error::ResultsFolder { .. } => 3,
            Error::NoAnswer { .. } => 4,
            Error::Interrupted => 130,
            Error::Internal(_) => 1,
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
