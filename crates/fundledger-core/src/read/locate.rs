//! Finding the ledger to work on.
//!
//! In order: an explicit directory (`-C DIR`, or `FUNDLEDGER_DIR`, which the
//! binary passes in the same way), else the nearest directory at or above the
//! working directory that holds a `fundledger.toml`, as cargo finds
//! `Cargo.toml`. A bare journal (`-f FILE`) needs no settings at all.

use std::path::{Path, PathBuf};

use crate::model::diagnostic::Diagnostic;
use crate::model::settings::{Settings, SETTINGS_FILE_NAME};

/// Why no ledger could be opened.
#[derive(Debug)]
pub enum LocateError {
    /// No `fundledger.toml` at or above the starting directory.
    NotFound {
        /// Where the search started.
        start: PathBuf,
    },
    /// The settings file exists but cannot be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// The settings file has errors (data errors, with locations).
    Invalid(Vec<Diagnostic>),
}

impl std::fmt::Display for LocateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocateError::NotFound { start } => write!(
                f,
                "no {SETTINGS_FILE_NAME} in {} or any directory above it; pass -C DIR for a ledger directory or -f FILE for a bare journal",
                start.display()
            ),
            LocateError::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            LocateError::Invalid(problems) => write!(f, "{} problem(s) in {SETTINGS_FILE_NAME}", problems.len()),
        }
    }
}

impl std::error::Error for LocateError {}

/// The nearest directory at or above `start` holding a `fundledger.toml`.
pub fn find_ledger_dir(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(SETTINGS_FILE_NAME).is_file())
        .map(Path::to_path_buf)
}

/// Reads the settings of the ledger in `dir`.
///
/// # Errors
/// [`LocateError::Io`] when the file cannot be read, [`LocateError::Invalid`]
/// with every problem found in it.
pub fn open_ledger_dir(dir: &Path) -> Result<Settings, LocateError> {
    let path = dir.join(SETTINGS_FILE_NAME);
    match Settings::read(dir) {
        Err(error) => Err(LocateError::Io { path, error }),
        Ok(Err(problems)) => Err(LocateError::Invalid(problems)),
        Ok(Ok(settings)) => Ok(settings),
    }
}

/// Settings for an explicit directory, or for the nearest one found upward
/// from `working_dir`.
///
/// # Errors
/// As [`open_ledger_dir`], or [`LocateError::NotFound`].
pub fn resolve(explicit_dir: Option<&Path>, working_dir: &Path) -> Result<Settings, LocateError> {
    let dir = match explicit_dir {
        Some(dir) => dir.to_path_buf(),
        None => {
            let found = find_ledger_dir(working_dir).ok_or_else(|| LocateError::NotFound {
                start: working_dir.to_path_buf(),
            })?;
            // Name it relative to the working directory, so messages show
            // short paths (`journal.ledger`, `../journal.ledger`).
            let levels_up = working_dir
                .components()
                .count()
                .saturating_sub(found.components().count());
            if levels_up == 0 {
                PathBuf::from(".")
            } else {
                PathBuf::from("../".repeat(levels_up))
            }
        }
    };
    open_ledger_dir(&dir)
}
