//! Writing to a journal without ever losing it.
//!
//! The only way fundledger changes a journal is [`append`]: under an
//! exclusive lock on a sidecar lock file (`JOURNAL.lock`; the journal itself
//! is replaced by rename, so a lock on it would guard the wrong inode), it
//!
//! 1. checks the journal's digest is still what the caller validated
//!    against (nothing changed since);
//! 2. writes the new journal to a temporary file in the same directory: the
//!    old bytes, untouched, then the new entries; flushes it to disk
//!    (`fsync`);
//! 3. loads the temporary file (streaming, like any journal) and refuses to
//!    go on unless it loads without errors and has exactly the expected
//!    number of new transactions, every one balanced, every fund balanced;
//! 4. renames it over the journal and flushes the directory.
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
    /// The digest of the journal as the caller saw it when preparing `text`
    /// ([`digest_file`]).
    pub expected_digest: &'a [u8],
    /// The entries to add, each ending in `\n`.
    pub text: &'a str,
    /// How many transactions `text` holds.
    pub transactions: usize,
    /// How many transactions the journal held when it had that digest.
    pub transactions_before: usize,
}

/// The SHA-256 digest of a file, read in pieces.
///
/// # Errors
/// When the file cannot be read.
pub fn digest_file(path: &Path) -> Result<Vec<u8>, WriteError> {
    use sha2::{Digest, Sha256};
    let mut file = File::open(path).map_err(io(format!("cannot read {}", path.display())))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(io(format!("cannot read {}", path.display())))?;
    Ok(hasher.finalize().to_vec())
}

/// What goes between the journal's last byte and appended entries: enough
/// newlines for one blank line.
fn separator(journal: &Path) -> Result<&'static str, WriteError> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(journal).map_err(io(format!("cannot read {}", journal.display())))?;
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    if length == 0 {
        return Ok("");
    }
    let tail_length = length.min(2);
    let mut tail = vec![0u8; tail_length as usize];
    file.seek(SeekFrom::End(-(tail_length as i64)))
        .and_then(|_| std::io::Read::read_exact(&mut file, &mut tail))
        .map_err(io(format!("cannot read {}", journal.display())))?;
    Ok(match tail.as_slice() {
        [.., b'\n', b'\n'] => "",
        [b'\n'] | [_, b'\n'] => "\n",
        _ => "\n\n",
    })
}

/// Appends entries to the journal of `settings`, as described in the module
/// documentation. Call it while holding the journal's [`JournalLock`]. The
/// new journal is written to a temporary file beside the old one (a copy of
/// it, then the entries), which is loaded and checked by streaming, so
/// neither journal is held in memory whole.
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
    if digest_file(journal)? != append.expected_digest {
        return Err(WriteError::Changed(journal.clone()));
    }
    let dir = parent_dir(journal);
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(journal))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io(format!(
            "cannot create a temporary file in {}",
            dir.display()
        )))?;
    if let Ok(metadata) = fs::metadata(journal) {
        let _ = fs::set_permissions(temp.path(), metadata.permissions());
    }
    {
        let mut old =
            File::open(journal).map_err(io(format!("cannot read {}", journal.display())))?;
        std::io::copy(&mut old, temp.as_file_mut())
            .map_err(io("cannot write the temporary file"))?;
        temp.write_all(separator(journal)?.as_bytes())
            .map_err(io("cannot write the temporary file"))?;
        temp.write_all(append.text.as_bytes())
            .map_err(io("cannot write the temporary file"))?;
        temp.flush()
            .map_err(io("cannot write the temporary file"))?;
    }
    crash_point("temp-written");
    temp.as_file()
        .sync_all()
        .map_err(io("cannot flush the temporary file to disk"))?;
    crash_point("temp-synced");
    // Load the new journal as it will be, from the temporary file; its
    // includes resolve from the same directory.
    let mut check_settings = settings.clone();
    check_settings.journal = temp.path().to_path_buf();
    let loaded = load::load(check_settings).map_err(|e| {
        WriteError::Invalid(vec![Diagnostic::new(crate::Code::Settings, e.to_string())])
    })?;
    if loaded.has_errors() {
        let temp_path = temp.path().to_path_buf();
        let problems = loaded
            .diagnostics
            .into_iter()
            .filter(|d| d.is_error())
            .map(|mut d| {
                if let Some(location) = &mut d.location {
                    if location.path == temp_path {
                        location.path = journal.clone();
                    }
                }
                d
            })
            .collect();
        return Err(WriteError::Invalid(problems));
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
    temp.persist(journal).map_err(|e| WriteError::Io {
        action: format!(
            "cannot rename the temporary file over {}",
            journal.display()
        ),
        error: e.error,
    })?;
    crash_point("renamed");
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("cannot flush the directory {}", dir.display())))?;
    Ok(loaded)
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
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
    let dir = parent_dir(journal);
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
    let digest = digest_file(journal)?;
    let loaded = load::load(settings.clone()).map_err(|e| ChangeError::Io(e.to_string()))?;
    if digest_file(journal)? != digest {
        return Err(ChangeError::Write(WriteError::Changed(journal.clone())));
    }
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
    // Nothing goes into a closed year (not even in a dry run).
    crate::close::refuse_closed(&loaded.journal, &addition.text).map_err(ChangeError::Input)?;
    let transactions_before = loaded.journal.transactions().len();
    drop(loaded);
    if let Some(lock) = &lock {
        if addition.transactions > 0 {
            append(
                settings,
                lock,
                Append {
                    expected_digest: &digest,
                    text: &addition.text,
                    transactions: addition.transactions,
                    transactions_before,
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
    fn one_blank_line_separates_appended_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ledger");
        for (old, expected) in [("a\n", "\n"), ("a", "\n\n"), ("a\n\n", ""), ("", "")] {
            std::fs::write(&path, old).unwrap();
            assert_eq!(separator(&path).unwrap(), expected, "after {old:?}");
        }
    }
}
