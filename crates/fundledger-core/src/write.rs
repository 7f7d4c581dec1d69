//! Writing to a journal without ever losing it.
//!
//! The only way fundledger changes a journal is [`append`]: under an
//! exclusive lock on a sidecar lock file (`JOURNAL.lock`; the journal itself
//! is replaced by rename, so a lock on it would guard the wrong inode), it
//!
//! 1. reads the journal's current bytes and checks they still are what the
//!    caller validated against (nothing changed since);
//! 2. builds the new bytes: the old ones, untouched, then the new entries;
//! 3. loads the new journal from memory and refuses to write it unless it
//!    loads without errors and has exactly the expected number of new
//!    transactions, every one balanced, every fund balanced;
//! 4. writes the new bytes to a temporary file in the same directory,
//!    flushes it to disk (`fsync`), renames it over the journal and flushes
//!    the directory.
//!
//! A crash at any point leaves the journal exactly old or exactly new; a
//! temporary file left behind by a crash is removed by the next write. Two
//! writers at once wait for each other; neither's entries are lost.
//!
//! `FUNDLEDGER_CRASH_AT=STEP` (a test hook, see `tests/write.rs`) aborts the
//! process at a named step: `locked`, `temp-written`, `temp-synced`,
//! `renamed`.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::load::{self, Loaded};
use crate::settings::Settings;

/// The prefix of the temporary files this module writes beside a journal.
const TEMP_PREFIX: &str = ".fundledger-write-";

/// Why an append did not happen.
#[derive(Debug)]
pub enum WriteError {
    /// Reading, writing, locking or renaming failed.
    Io {
        /// What was being done.
        action: String,
        /// The error.
        error: std::io::Error,
    },
    /// The journal changed between validation and writing (edited by hand
    /// meanwhile): nothing was written; run the command again.
    Changed(PathBuf),
    /// The new journal would not load cleanly: nothing was written.
    Invalid(Vec<Diagnostic>),
    /// The new journal has a different number of new transactions than
    /// expected (a fundledger bug, or injected journal syntax).
    WrongCount {
        /// Expected.
        expected: usize,
        /// Found.
        found: usize,
    },
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Io { action, error } => write!(f, "{action}: {error}"),
            WriteError::Changed(path) => write!(
                f,
                "{} changed while fundledger was preparing the write; nothing was written, run the command again",
                path.display()
            ),
            WriteError::Invalid(problems) => write!(
                f,
                "the journal would not load cleanly after this write ({} problem(s)); nothing was written",
                problems.len()
            ),
            WriteError::WrongCount { expected, found } => write!(
                f,
                "the new journal has {found} new transaction(s) where {expected} were written; nothing was written"
            ),
        }
    }
}

impl std::error::Error for WriteError {}

fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> WriteError {
    let action = action.into();
    move |error| WriteError::Io { action, error }
}

/// Aborts the process at `step` when `FUNDLEDGER_CRASH_AT` names it (a test
/// hook for crash safety; it never fires otherwise).
fn crash_point(step: &str) {
    if std::env::var_os("FUNDLEDGER_CRASH_AT").is_some_and(|at| at == step) {
        std::process::abort();
    }
}

/// An exclusive lock on `JOURNAL.lock`, released on drop.
pub struct JournalLock {
    file: File,
}

impl JournalLock {
    /// Waits for the lock of `journal`.
    ///
    /// # Errors
    /// When the lock file cannot be created or locked.
    pub fn acquire(journal: &Path) -> Result<JournalLock, WriteError> {
        let path = lock_path(journal);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(format!("cannot open the lock file {}", path.display())))?;
        file.lock()
            .map_err(io(format!("cannot lock {}", path.display())))?;
        Ok(JournalLock { file })
    }
}

impl Drop for JournalLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn lock_path(journal: &Path) -> PathBuf {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    journal.with_file_name(name)
}

/// What an append adds.
pub struct Append<'a> {
    /// The journal's bytes as the caller saw them when preparing `text`.
    pub expected_old: &'a [u8],
    /// The entries to add, each ending in `\n`.
    pub text: &'a str,
    /// How many transactions `text` holds.
    pub transactions: usize,
    /// How many transactions the journal held in `expected_old`.
    pub transactions_before: usize,
}

/// The bytes of the journal with `text` appended, separated by one blank line.
pub fn appended(old: &[u8], text: &str) -> Vec<u8> {
    let mut bytes = old.to_vec();
    if !bytes.is_empty() {
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        if !bytes.ends_with(b"\n\n") {
            bytes.push(b'\n');
        }
    }
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// Appends entries to the journal of `settings`, as described in the module
/// documentation. Call it while holding the journal's [`JournalLock`].
///
/// # Errors
/// [`WriteError`]; in every case the journal is unchanged.
pub fn append(
    settings: &Settings,
    _lock: &JournalLock,
    append: Append<'_>,
) -> Result<Loaded, WriteError> {
    let journal = &settings.journal;
    remove_stale_temporaries(journal);
    crash_point("locked");
    let old = fs::read(journal).map_err(io(format!("cannot read {}", journal.display())))?;
    if old != append.expected_old {
        return Err(WriteError::Changed(journal.clone()));
    }
    let new = appended(&old, append.text);
    let loaded = load::load_bytes(settings.clone(), journal, &new).map_err(|e| {
        WriteError::Invalid(vec![Diagnostic::new(crate::Code::Settings, e.to_string())])
    })?;
    if loaded.has_errors() {
        return Err(WriteError::Invalid(
            loaded
                .diagnostics
                .into_iter()
                .filter(|d| d.is_error())
                .collect(),
        ));
    }
    let found = loaded
        .journal
        .transactions()
        .len()
        .saturating_sub(append.transactions_before);
    if found != append.transactions {
        return Err(WriteError::WrongCount {
            expected: append.transactions,
            found,
        });
    }
    replace(journal, &new)?;
    Ok(loaded)
}

/// Replaces `path` by `bytes` atomically: temporary file in the same
/// directory, fsync, rename, fsync of the directory.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io(format!(
            "cannot create a temporary file in {}",
            dir.display()
        )))?;
    // Keep the journal's permissions.
    if let Ok(metadata) = fs::metadata(path) {
        let _ = fs::set_permissions(temp.path(), metadata.permissions());
    }
    temp.write_all(bytes)
        .map_err(io("cannot write the temporary file"))?;
    temp.flush()
        .map_err(io("cannot write the temporary file"))?;
    crash_point("temp-written");
    temp.as_file()
        .sync_all()
        .map_err(io("cannot flush the temporary file to disk"))?;
    crash_point("temp-synced");
    temp.persist(path).map_err(|e| WriteError::Io {
        action: format!("cannot rename the temporary file over {}", path.display()),
        error: e.error,
    })?;
    crash_point("renamed");
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("cannot flush the directory {}", dir.display())))?;
    Ok(())
}

fn temp_prefix(journal: &Path) -> String {
    format!(
        "{TEMP_PREFIX}{}-",
        journal.file_name().unwrap_or_default().to_string_lossy()
    )
}

/// Removes temporary files a crashed write left beside the journal. Only
/// called under the lock, so no live write owns them.
fn remove_stale_temporaries(journal: &Path) {
    let dir = match journal.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = temp_prefix(journal);
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Why a change to the journal was not made.
#[derive(Debug)]
pub enum ChangeError {
    /// The input (a CSV file, an entry) has problems; nothing was written.
    Input(Vec<Diagnostic>),
    /// The journal already has errors; fix them before adding to it.
    JournalInvalid(Vec<Diagnostic>),
    /// Reading or writing failed, or the journal changed meanwhile.
    Write(WriteError),
    /// An input file could not be read.
    Io(String),
}

impl From<WriteError> for ChangeError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Invalid(problems) => ChangeError::Input(problems),
            other => ChangeError::Write(other),
        }
    }
}

/// What a change adds.
pub struct Addition<T> {
    /// The entries, each ending in `\n`, separated by blank lines.
    pub text: String,
    /// How many transactions `text` holds.
    pub transactions: usize,
    /// Anything else the caller wants back (an import summary).
    pub value: T,
}

/// Adds to the journal of `settings` what `prepare` makes from the current
/// journal, all under the journal's lock: read the bytes, load them (refusing
/// a journal that already has errors), prepare, then [`append`]. With
/// `dry_run` nothing is locked or written.
///
/// # Errors
/// [`ChangeError`]; in every case the journal is unchanged.
pub fn change<T>(
    settings: &Settings,
    dry_run: bool,
    prepare: impl FnOnce(&crate::Journal) -> Result<Addition<T>, ChangeError>,
) -> Result<Addition<T>, ChangeError> {
    let journal = &settings.journal;
    let lock = if dry_run {
        None
    } else {
        Some(JournalLock::acquire(journal)?)
    };
    let old = fs::read(journal).map_err(io(format!("cannot read {}", journal.display())))?;
    let loaded = load::load_bytes(settings.clone(), journal, &old)
        .map_err(|e| ChangeError::Io(e.to_string()))?;
    if loaded.has_errors() {
        return Err(ChangeError::JournalInvalid(
            loaded
                .diagnostics
                .into_iter()
                .filter(|d| d.is_error())
                .collect(),
        ));
    }
    let addition = prepare(&loaded.journal)?;
    if let Some(lock) = &lock {
        if addition.transactions > 0 {
            append(
                settings,
                lock,
                Append {
                    expected_old: &old,
                    text: &addition.text,
                    transactions: addition.transactions,
                    transactions_before: loaded.journal.transactions().len(),
                },
            )?;
        }
    }
    Ok(addition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_separates_with_one_blank_line() {
        assert_eq!(appended(b"a\n", "b\n"), b"a\n\nb\n");
        assert_eq!(appended(b"a", "b\n"), b"a\n\nb\n");
        assert_eq!(appended(b"a\n\n", "b\n"), b"a\n\nb\n");
        assert_eq!(appended(b"", "b\n"), b"b\n");
    }
}
