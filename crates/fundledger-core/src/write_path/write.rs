//! Writing to a journal without ever losing it.
//!
//! The only way fundledger changes a journal is [`append`]: under an
//! exclusive lock on a sidecar lock file (`JOURNAL.lock`; the journal itself
//! is replaced by rename, so a lock on it would guard the wrong inode), it
//!
//! 1. checks the journal's [`Fingerprint`] (size, modification and status
//!    change times, device and inode, and content digest, XXH3-128) is
//!    still what the caller validated against (nothing changed since);
//! 2. writes the new journal to a temporary file in the same directory: the
//!    old bytes, untouched (their digest checked again as they are copied;
//!    a quiet journal, step 4, is copied by the kernel, its state standing
//!    for its bytes), then the new entries, with the journal's mode, group and (as root)
//!    owner; flushes it to disk (`fsync`). In [`change_with`] the copy of
//!    the old bytes is made beside the load for a quiet journal (step 4),
//!    else on a thread of its own while the caller prepares its entries (it
//!    needs only the bytes the load was tied to); the entries are then
//!    written after it and the whole file flushed. A change that turns out
//!    to add nothing stops the copy (or drops the one made beside the load)
//!    and removes it before it reaches the disk;
//! 3. loads the temporary file (streaming, like any journal) and refuses to
//!    go on unless it loads without errors and has exactly the expected
//!    number of new transactions, every one balanced, every fund balanced;
//! 4. takes the fingerprint once more, immediately before the rename, and
//!    refuses if the journal changed during steps 2-3 (an editor saving, a
//!    script appending with `>>`: they do not take the lock); a dry run
//!    takes this last look too. For a *quiet* journal (on a local Linux
//!    file system, last changed before the write began by that file
//!    system's clock) the fingerprints after the load and here are its
//!    state alone: any write since changed its status change time, which
//!    no program sets back (git's "racily clean" rule). A writer through a
//!    shared memory map can change a page already dirty without a new
//!    status change time; that is accepted, as git accepts it. Elsewhere
//!    (network and FUSE file systems, a journal written within the
//!    clock's last tick) the journal is read again;
//! 5. renames it over the journal and flushes the directory (on Unix).
//!
//! The journal written is the file itself: a symbolic link is resolved (its
//! target must be inside the ledger directory) and the target replaced, so
//! the link stays a link. A journal with several hard links, a journal that
//! is not a regular file, and a journal without write permission are refused
//! (replacing one of those by rename would silently break the link or ignore
//! the permission).
//!
//! A crash at any point leaves the journal exactly old or exactly new; a
//! temporary file left behind by a crash is removed by the next write. Two
//! writers at once wait for each other; neither's entries are lost.
//!
//! `FUNDLEDGER_CRASH_AT=STEP` (a test hook, see `tests/import.rs`) aborts the
//! process at a named step: `locked`, `temp-written`, `temp-synced`,
//! `renamed`. `FUNDLEDGER_PAUSE_AT=validated` (a test hook, see
//! `tests/hardening.rs`) stops after the new journal is validated (a dry
//! run's too), says so
//! on stderr and waits for a line on stdin, so a test can change the journal
//! inside the window that step 4 closes.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::load::{self, Loaded};
use crate::model::diagnostic::Diagnostic;
use crate::model::settings::Settings;
use crate::read::source::{content_digest, for_each_piece, ContentHasher};

/// How much of the journal the kernel copies between two looks at `stop`
/// ([`copy_by_kernel`]).
const KERNEL_COPY_PIECE_BYTES: u64 = 8 << 20;

/// The prefix of the temporary files this module writes beside a journal.
const TEMP_PREFIX: &str = ".fundledger-write-";

/// How many random characters follow the prefix of a temporary file's name
/// (then `.tmp`): fixed, so that the temporaries of `donors.csv` are told
/// apart from those of a journal named `donors.csv-books.ledger`.
const TEMP_RANDOM_CHARS: usize = 6;

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Reading, writing, locking or renaming failed.
    #[error("{action}: {error}")]
    Io {
        /// What was being done.
        action: String,
        /// The error.
        #[source]
        error: std::io::Error,
    },
    /// The journal changed between validation and writing (edited by hand
    /// meanwhile): nothing was written; run the command again.
    #[error("{} changed while fundledger was preparing the write; nothing was written, run the command again", .0.display())]
    Changed(PathBuf),
    /// The journal cannot be replaced safely (not writable, several hard
    /// links, not a regular file, a link out of the ledger directory):
    /// nothing was written. The text says why.
    #[error("{0}; nothing was written")]
    Refused(String),
    /// Another process held the lock longer than `--lock-timeout`.
    #[error("gave up waiting for the lock {} after {} s{}; nothing was written", path.display(), waited.as_secs(), holder_note(holder))]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long fundledger waited.
        waited: Duration,
        /// Who holds it, when the operating system says.
        holder: Option<String>,
    },
    /// The new journal would not load cleanly: nothing was written.
    #[error("the journal would not load cleanly after this write ({} problem(s)); nothing was written", .0.len())]
    Invalid(Vec<Diagnostic>),
    /// The new journal has a different number of new transactions than
    /// expected (a fundledger bug, or injected journal syntax).
    #[error("the new journal has {found} new transaction(s) where {expected} were written; nothing was written")]
    WrongCount {
        /// Expected.
        expected: usize,
        /// Found.
        found: usize,
    },
}

/// ` (held by HOLDER)` when the holder of a lock is known.
fn holder_note(holder: &Option<String>) -> String {
    holder
        .as_ref()
        .map(|h| format!(" (held by {h})"))
        .unwrap_or_default()
}

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
    /// Waits for the lock of `journal`, as long as it takes, silently.
    ///
    /// # Errors
    /// When the lock file cannot be created or locked.
    pub fn acquire(journal: &Path) -> Result<JournalLock, WriteError> {
        JournalLock::acquire_with(journal, None, &|_| {})
    }

    /// Takes the lock of `journal`. When another process holds it, calls
    /// `on_wait` once with a message saying so (and who holds it, when the
    /// operating system says), then waits: forever, or until `timeout`.
    ///
    /// The lock file is never followed through a symbolic link, and a user
    /// who may not write it (a lock file created by another user of a
    /// shared ledger directory) locks it read-only, which `flock` allows.
    ///
    /// # Errors
    /// When the lock file cannot be opened or locked, or
    /// [`WriteError::LockTimeout`].
    pub fn acquire_with(
        journal: &Path,
        timeout: Option<Duration>,
        on_wait: &dyn Fn(&str),
    ) -> Result<JournalLock, WriteError> {
        let path = lock_path(journal);
        let file = open_lock_file(&path)?;
        let cannot_lock = || io(format!("cannot lock {}", path.display()));
        match file.try_lock() {
            Ok(()) => return Ok(JournalLock { file }),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(error)) => return Err(cannot_lock()(error)),
        }
        let holder = lock_holder(&file);
        let mut message = format!("waiting for the lock {}", path.display());
        if let Some(holder) = &holder {
            message.push_str(&format!(" (held by {holder})"));
        }
        match timeout {
            Some(timeout) => message.push_str(&format!(
                "; giving up after {} s (--lock-timeout)",
                timeout.as_secs()
            )),
            None => message.push_str("; --lock-timeout SECONDS gives up after a while"),
        }
        on_wait(&message);
        let Some(timeout) = timeout else {
            file.lock().map_err(cannot_lock())?;
            return Ok(JournalLock { file });
        };
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(JournalLock { file }),
                Err(fs::TryLockError::WouldBlock) => {}
                Err(fs::TryLockError::Error(error)) => return Err(cannot_lock()(error)),
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(WriteError::LockTimeout {
                    path,
                    waited,
                    holder: lock_holder(&file),
                });
            }
            std::thread::sleep((timeout - waited).min(Duration::from_millis(100)));
        }
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

/// Opens (creating it when missing) the lock file at `path` without
/// following a symbolic link; read-only when the user may not write it.
fn open_lock_file(path: &Path) -> Result<File, WriteError> {
    let refuse_link = || {
        WriteError::Refused(format!(
            "the lock file {} is not a regular file (a symbolic link?); remove it",
            path.display()
        ))
    };
    if fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
        return Err(refuse_link());
    }
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Readable and writable by everyone the umask allows: in a shared
        // (setgid) ledger directory the group can then lock it too.
        options.mode(0o666).custom_flags(libc::O_NOFOLLOW);
    }
    let opened = match options.open(path) {
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
            let mut read_only = OpenOptions::new();
            read_only.read(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                read_only.custom_flags(libc::O_NOFOLLOW);
            }
            read_only.open(path)
        }
        other => other,
    };
    #[cfg(unix)]
    if let Err(error) = &opened {
        if error.raw_os_error() == Some(libc::ELOOP) {
            return Err(refuse_link());
        }
    }
    opened.map_err(io(format!("cannot open the lock file {}", path.display())))
}

/// Who holds the lock on `file`, from `/proc/locks` (Linux): "process PID
/// (NAME)". `None` where the operating system does not say.
fn lock_holder(file: &File) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let inode = file.metadata().ok()?.ino();
        let locks = fs::read_to_string("/proc/locks").ok()?;
        let pid = locks.lines().find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // `1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF`; waiters
            // have `->` after the number.
            if fields.get(1) == Some(&"->") {
                return None;
            }
            let device_inode = fields.get(5)?;
            let line_inode: u64 = device_inode.rsplit(':').next()?.parse().ok()?;
            (line_inode == inode).then(|| fields.get(4).map(|p| p.to_string()))?
        })?;
        let name = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        Some(format!("process {pid} ({})", name.trim()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}

/// What identifies a journal's content at one moment: its state on the file
/// system (its length, modification and status change times, device
/// and inode) and its content digest (XXH3-128: it detects change, it is not
/// a seal). Two equal fingerprints mean nobody wrote the file in between
/// (whether one was taken from a quiet file is how it was taken, not what
/// it says: equality leaves it out).
#[derive(Clone, Debug)]
pub struct Fingerprint {
    stat: Stat,
    /// The content digest (XXH3-128, big-endian): for telling whether the
    /// file changed, never equal to [`digest_file`]'s SHA-256.
    pub digest: Vec<u8>,
    /// The file had last changed before a moment its lock holder took from
    /// the file system's own clock ([`file_system_now`]), so any later
    /// write changes its status change time: its [`Stat`] alone then tells
    /// whether it changed, without reading it again (the "racily clean"
    /// test of git's index).
    quiet: bool,
}

impl PartialEq for Fingerprint {
    fn eq(&self, other: &Fingerprint) -> bool {
        self.stat == other.stat && self.digest == other.digest
    }
}

impl Eq for Fingerprint {}

impl Fingerprint {
    /// The fingerprint of the file at `path` (its content read in pieces).
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn of(path: &Path) -> Result<Fingerprint, WriteError> {
        let mut file = File::open(path).map_err(io(format!("cannot read {}", path.display())))?;
        let mut hasher = ContentHasher::new();
        for_each_piece(
            &mut file,
            io(format!("cannot read {}", path.display())),
            |piece| {
                hasher.update(piece);
                Ok(())
            },
        )?;
        let digest = content_digest(&hasher);
        Ok(Fingerprint {
            stat: stat_of(path)?,
            digest,
            quiet: false,
        })
    }

    /// True when the file at `path` still has the length, times and
    /// identity of this fingerprint (no content read).
    fn same_stat(&self, path: &Path) -> Result<bool, WriteError> {
        Ok(stat_of(path)? == self.stat)
    }

    /// True when the file at `path` still has this fingerprint: its state
    /// alone for a quiet file, its content and state (taken after reading)
    /// for another.
    fn still(&self, path: &Path) -> Result<bool, WriteError> {
        if self.quiet {
            return self.same_stat(path);
        }
        Ok(Fingerprint::of(path)? == *self)
    }
}

/// A file's state as the file system reports it (no content read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stat {
    length_bytes: u64,
    modified: Option<SystemTime>,
    /// The status change time (seconds and nanoseconds since 1970): every
    /// write sets it from the file system's clock, and no program can set
    /// it back. Unix only.
    changed: Option<(i64, i64)>,
    /// Device and inode (Unix; zero elsewhere).
    identity: (u64, u64),
}

fn stat_of(path: &Path) -> Result<Stat, WriteError> {
    let metadata = fs::metadata(path).map_err(io(format!("cannot read {}", path.display())))?;
    Ok(stat_of_metadata(&metadata))
}

fn stat_of_metadata(metadata: &fs::Metadata) -> Stat {
    #[cfg(unix)]
    let (identity, changed) = {
        use std::os::unix::fs::MetadataExt;
        (
            (metadata.dev(), metadata.ino()),
            Some((metadata.ctime(), metadata.ctime_nsec())),
        )
    };
    #[cfg(not(unix))]
    let (identity, changed) = ((0, 0), None);
    Stat {
        length_bytes: metadata.len(),
        modified: metadata.modified().ok(),
        changed,
        identity,
    }
}

/// The time now by the clock of the file system holding `path`: the status
/// change time of a new file created beside it (and removed at once), with
/// that file system's device. `None` when no file can be created there, or
/// when the file system is not one whose status change times can be
/// trusted ([`keeps_its_own_ctime`]); the caller then reads the journal
/// again instead of trusting its state.
///
/// The kernel stamps files from a coarse clock, which can lag the system
/// clock by a few milliseconds: only a time from the same clock orders
/// writes to the journal.
fn file_system_now(path: &Path) -> Option<(u64, (i64, i64))> {
    let probe = temporary_named_for(path).ok()?;
    if !keeps_its_own_ctime(probe.as_file()) {
        return None;
    }
    let stat = stat_of_metadata(&probe.as_file().metadata().ok()?);
    Some((stat.identity.0, stat.changed?))
}

/// True when `file` is on a local Linux file system, whose status change
/// times the kernel sets on every write from its own clock and no program
/// can set back: ext2/3/4, XFS, Btrfs, F2FS, ZFS, tmpfs, overlayfs. Not a
/// network file system (NFS and SMB cache attributes, or let a program
/// set the change time) nor FUSE (sshfs reports the modification time);
/// nothing off Linux.
#[cfg(target_os = "linux")]
fn keeps_its_own_ctime(file: &File) -> bool {
    const LOCAL_MAGIC: [i64; 7] = [
        0xEF53,      // ext2, ext3, ext4
        0x5846_5342, // XFS
        0x9123_683E, // Btrfs
        0xF2F5_2010, // F2FS
        0x2FC1_2FC1, // ZFS
        0x0102_1994, // tmpfs
        0x794C_7630, // overlayfs
    ];
    // `f_type` is an i64 on 64-bit Linux, an i32 or u32 elsewhere.
    #[allow(clippy::useless_conversion)]
    let local = |magic| LOCAL_MAGIC.contains(&i64::from(magic));
    rustix::fs::fstatfs(file).is_ok_and(|found| local(found.f_type))
}

#[cfg(not(target_os = "linux"))]
fn keeps_its_own_ctime(_: &File) -> bool {
    false
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

/// The file a write replaces: the journal of `settings`, or, when that is a
/// symbolic link, its target (which must be inside the ledger directory).
/// Refused: a target that is not a regular file, has more than one hard
/// link, or is not writable (no write permission bit, or none for this
/// user).
///
/// # Errors
/// [`WriteError::Refused`], or an I/O error reading the file's metadata.
pub fn write_target(settings: &Settings) -> Result<PathBuf, WriteError> {
    let journal = &settings.journal;
    let cannot_read = || io(format!("cannot read {}", journal.display()));
    let link = fs::symlink_metadata(journal).map_err(cannot_read())?;
    let target = if link.file_type().is_symlink() {
        let target = fs::canonicalize(journal).map_err(cannot_read())?;
        let root = fs::canonicalize(&settings.root).map_err(io(format!(
            "cannot read the ledger directory {}",
            settings.root.display()
        )))?;
        if !target.starts_with(&root) {
            return Err(WriteError::Refused(format!(
                "{} is a symbolic link to {}, outside the ledger directory {}",
                journal.display(),
                target.display(),
                root.display()
            )));
        }
        target
    } else {
        journal.clone()
    };
    let metadata = fs::metadata(&target).map_err(cannot_read())?;
    if !metadata.is_file() {
        return Err(WriteError::Refused(format!(
            "{} is not a regular file",
            target.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if metadata.nlink() > 1 {
            return Err(WriteError::Refused(format!(
                "{} has {} hard links; replacing it would leave the other names with the old content (use a symbolic link instead)",
                target.display(),
                metadata.nlink()
            )));
        }
    }
    if metadata.permissions().readonly() || !writable(&target) {
        return Err(WriteError::Refused(format!(
            "{} is not writable (read-only file); make it writable to add to it",
            target.display()
        )));
    }
    Ok(target)
}

/// Whether this process may write `path`, by the operating system's rules
/// (opening it for appending, which changes nothing).
fn writable(path: &Path) -> bool {
    OpenOptions::new().append(true).open(path).is_ok()
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

/// A file beside the journal written with it, under its lock (the donor
/// register an import adds donors to): replaced by a temporary file renamed
/// over it just before the journal, only when the journal is, and refused if
/// it changed since it was read.
#[derive(Clone, Debug)]
pub struct SideFile {
    /// The file.
    pub path: PathBuf,
    /// Its fingerprint when it was read (`None`: it did not exist).
    pub expected: Option<Fingerprint>,
    /// The new content.
    pub text: String,
    /// The file whose mode, group and (as root) owner a new file takes (the
    /// journal), so that whoever may write the journal may write it too.
    pub like: PathBuf,
}

impl SideFile {
    /// Reads `path` (absent: empty) with its fingerprint, to be changed; a
    /// new file will take the mode and owner of `like`.
    ///
    /// # Errors
    /// When the file exists but cannot be read.
    pub fn read(path: &Path, like: &Path) -> Result<(SideFile, String), WriteError> {
        let expected = match fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            _ => Some(Fingerprint::of(path)?),
        };
        let old = match &expected {
            None => String::new(),
            Some(_) => {
                fs::read_to_string(path).map_err(io(format!("cannot read {}", path.display())))?
            }
        };
        Ok((
            SideFile {
                path: path.to_path_buf(),
                expected,
                text: old.clone(),
                like: like.to_path_buf(),
            },
            old,
        ))
    }

    /// True when the file is still as it was read.
    fn unchanged(&self) -> Result<bool, WriteError> {
        match &self.expected {
            None => Ok(fs::symlink_metadata(&self.path).is_err()),
            Some(expected) => expected.still(&self.path),
        }
    }

    /// Writes the new content to a flushed temporary file beside the file.
    fn write_temporary(&self) -> Result<tempfile::NamedTempFile, WriteError> {
        if self.expected.is_some() {
            refuse_unsafe_target(&self.path)?;
            synced_temporary(&self.path, &self.path, &self.text)
        } else {
            synced_temporary(&self.path, &self.like, &self.text)
        }
    }
}

/// What an append adds.
pub struct Append<'a> {
    /// The journal as the caller saw it when preparing `text`.
    pub expected: &'a Fingerprint,
    /// The entries to add, each ending in `\n`.
    pub text: &'a str,
    /// How many transactions `text` holds.
    pub transactions: usize,
    /// How many transactions the journal held when it had that fingerprint.
    pub transactions_before: usize,
    /// The journal as loaded when it had that fingerprint, when that load
    /// can be continued: the new journal is then checked by reading only
    /// the entries added after the journal's own (see
    /// `load::load_continued`), which gives what loading the whole new
    /// file would.
    pub previous: Option<Loaded>,
    /// Files written with the journal (renamed just before it).
    pub side_files: &'a [SideFile],
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
    mut append: Append<'_>,
) -> Result<Loaded, WriteError> {
    let target = write_target(settings)?;
    remove_stale_temporaries(&target)?;
    for side in append.side_files {
        remove_stale_temporaries(&side.path)?;
    }
    crash_point("locked");
    let (temp, loaded) = write_and_validate(settings, &target, &mut append)?;
    commit(settings, &target, temp, &append)?;
    Ok(loaded)
}

/// Step 4 of an append: the last look before the rename. A writer that
/// ignored the lock (an editor saving, `>>`) during the copy and validation
/// is caught here; a dry run takes it too, so that it fails when a real
/// run would.
fn last_look(settings: &Settings, target: &Path, append: &Append<'_>) -> Result<(), WriteError> {
    if !append.expected.still(target)? {
        return Err(WriteError::Changed(settings.journal.clone()));
    }
    for side in append.side_files {
        if !side.unchanged()? {
            return Err(WriteError::Changed(side.path.clone()));
        }
    }
    Ok(())
}

/// Steps 4 and 5 of an append, once the new journal in `temp` is validated:
/// the side files written, the last look, the renames.
fn commit(
    settings: &Settings,
    target: &Path,
    temp: tempfile::NamedTempFile,
    append: &Append<'_>,
) -> Result<(), WriteError> {
    let side_temps = append
        .side_files
        .iter()
        .map(SideFile::write_temporary)
        .collect::<Result<Vec<_>, _>>()?;
    if !side_temps.is_empty() {
        crash_point("side-temp-written");
    }
    pause_point("validated");
    last_look(settings, target, append)?;
    // The side files first: a crash before the journal's rename leaves them
    // new and the journal old, which a re-run finds and completes (an
    // import finds the donors it added by name).
    for (side, side_temp) in append.side_files.iter().zip(side_temps) {
        side_temp.persist(&side.path).map_err(|e| WriteError::Io {
            action: format!(
                "cannot rename the temporary file over {}",
                side.path.display()
            ),
            error: e.error,
        })?;
    }
    crash_point("side-files-renamed");
    temp.persist(target).map_err(|e| WriteError::Io {
        action: format!("cannot rename the temporary file over {}", target.display()),
        error: e.error,
    })?;
    crash_point("renamed");
    sync_directory(&parent_dir(target))?;
    Ok(())
}

/// A file of the journal (the journal itself or an included file) replaced
/// whole by [`replace_files`].
pub struct Replacement {
    /// The file, as the journal names it.
    pub path: PathBuf,
    /// Its fingerprint when the caller read the text it changed.
    pub expected: Fingerprint,
    /// The new content.
    pub text: String,
}

/// Replaces several files of a journal (status marks written into included
/// files, an entry appended to the journal), each the way [`append`] replaces
/// the journal: a temporary file beside it with its mode, flushed to disk;
/// then, once every temporary file is written, each file's fingerprint is
/// checked again and the files are renamed over, the last one given last
/// (put the journal itself last). Call it while holding the journal's
/// [`JournalLock`]. A file that is a symbolic link, has several hard links
/// or is not writable is refused before anything is written.
///
/// Each file is always exactly old or exactly new; a crash between two
/// renames leaves the earlier files new and the later ones old, which the
/// caller must make harmless (reconcile: marks already written are found
/// again by a re-run).
///
/// # Errors
/// [`WriteError`]; unless a rename itself fails, no file is changed.
pub fn replace_files(_lock: &JournalLock, replacements: &[Replacement]) -> Result<(), WriteError> {
    for r in replacements {
        refuse_unsafe_target(&r.path)?;
    }
    let mut temps = Vec::with_capacity(replacements.len());
    for r in replacements {
        temps.push(synced_temporary(&r.path, &r.path, &r.text)?);
    }
    crash_point("temp-synced");
    pause_point("validated");
    for r in replacements {
        if !r.expected.still(&r.path)? {
            return Err(WriteError::Changed(r.path.clone()));
        }
    }
    for (r, temp) in replacements.iter().zip(temps) {
        temp.persist(&r.path).map_err(|e| WriteError::Io {
            action: format!("cannot rename the temporary file over {}", r.path.display()),
            error: e.error,
        })?;
        sync_directory(&parent_dir(&r.path))?;
    }
    crash_point("renamed");
    Ok(())
}

/// Writes `text` as the whole of `path`, a file kept beside the journal
/// (the receipts register), the way [`replace_files`] replaces a file: a
/// temporary file in the same directory, flushed to disk, renamed over,
/// the directory flushed. A new file takes the mode and group of `like`
/// (the journal); an existing one keeps its own. Call it while holding
/// the journal's [`JournalLock`], which is what makes read-modify-write
/// of such a file safe against a second fundledger.
///
/// # Errors
/// [`WriteError`]; the file is then unchanged.
pub fn replace_or_create(
    _lock: &JournalLock,
    path: &Path,
    like: &Path,
    text: &str,
) -> Result<(), WriteError> {
    let exists = fs::symlink_metadata(path).is_ok();
    if exists {
        refuse_unsafe_target(path)?;
    }
    let temp = synced_temporary(path, if exists { path } else { like }, text)?;
    crash_point("temp-synced");
    temp.persist(path).map_err(|e| WriteError::Io {
        action: format!("cannot rename the temporary file over {}", path.display()),
        error: e.error,
    })?;
    sync_directory(&parent_dir(path))?;
    crash_point("renamed");
    Ok(())
}

/// An empty temporary file beside `path` (`.fundledger-write-NAME-*.tmp`),
/// with the mode and group of `like`.
fn temporary_beside(path: &Path, like: &Path) -> Result<tempfile::NamedTempFile, WriteError> {
    let temp = temporary_named_for(path)?;
    keep_ownership_and_mode(like, temp.as_file());
    Ok(temp)
}

/// A new temporary file beside `path`, named as its temporaries are (so a
/// sweep finds one a crash left), with the default mode; on Unix, locked
/// (`flock`) as long as it is open, so a sweep by another process (a write
/// beside a dry run, which takes no journal lock) leaves it alone. Best
/// effort: a file system without `flock` leaves it unlocked, and a sweep
/// between its creation and its lock can still remove it (the dry run then
/// fails to read it, and writes nothing). Not on Windows, whose locks
/// forbid other handles to read the file, as the check of the new journal
/// does by its path.
fn temporary_named_for(path: &Path) -> Result<tempfile::NamedTempFile, WriteError> {
    let dir = parent_dir(path);
    let temp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .rand_bytes(TEMP_RANDOM_CHARS)
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io(format!(
            "cannot create a temporary file in {}",
            dir.display()
        )))?;
    #[cfg(unix)]
    let _ = temp.as_file().try_lock();
    Ok(temp)
}

/// A temporary file beside `path` holding `text`, with the mode and group
/// of `like`, flushed to disk: what is renamed over `path`.
fn synced_temporary(
    path: &Path,
    like: &Path,
    text: &str,
) -> Result<tempfile::NamedTempFile, WriteError> {
    let mut temp = temporary_beside(path, like)?;
    write_out(&mut temp, text.as_bytes())?;
    temp.as_file()
        .sync_all()
        .map_err(io("cannot flush the temporary file to disk"))?;
    Ok(temp)
}

/// Writes `bytes` at the end of a temporary file and hands them to the
/// system (not yet to the disk: the caller flushes with `sync_all`).
fn write_out(temp: &mut tempfile::NamedTempFile, bytes: &[u8]) -> Result<(), WriteError> {
    temp.write_all(bytes)
        .and_then(|()| temp.flush())
        .map_err(io("cannot write the temporary file"))
}

/// Refuses a file that cannot be replaced by rename without harm: a symbolic
/// link, a file with several hard links, a file that is not regular or not
/// writable.
fn refuse_unsafe_target(path: &Path) -> Result<(), WriteError> {
    let metadata =
        fs::symlink_metadata(path).map_err(io(format!("cannot read {}", path.display())))?;
    if metadata.file_type().is_symlink() || !metadata.is_file() {
        return Err(WriteError::Refused(format!(
            "{} is not a regular file (a symbolic link or special file is not rewritten)",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if metadata.nlink() > 1 {
            return Err(WriteError::Refused(format!(
                "{} has {} hard links; replacing it would leave the other names with the old content",
                path.display(),
                metadata.nlink()
            )));
        }
    }
    if metadata.permissions().readonly() || !writable(path) {
        return Err(WriteError::Refused(format!(
            "{} is not writable (read-only file)",
            path.display()
        )));
    }
    Ok(())
}

/// The first part of step 2 of an append: the journal's bytes copied into
/// a temporary file beside it (their digest checked against the one the
/// caller loaded, or, for a quiet journal, copied by the kernel, its state
/// standing for them), then the separator the new entries need. It needs
/// nothing from the new entries, so a change makes it beside the load (a
/// quiet journal) or on a thread of its own while the entries are prepared
/// ([`change_with`]).
struct Copied {
    /// The temporary file: the old journal and the separator.
    temp: tempfile::NamedTempFile,
    /// How many lines of the new journal are the old one's.
    old_lines: usize,
    /// How many bytes of the new journal are the old one's (with the
    /// separator).
    old_bytes: u64,
}

/// Copies the journal at `target` into a temporary file beside it
/// ([`Copied`]). With `stop` set meanwhile (the change turned out to add
/// nothing, or failed), it stops early and gives `Ok(None)`; the temporary
/// file is removed.
///
/// A quiet journal (`expected.quiet`) whose lines the load counted
/// (`loaded_lines`, [`Loaded::continuable`](load::Loaded)) is copied by the
/// kernel (`copy_file_range`: no pass through this process's memory, no
/// digest, no line count): any write to it since it was loaded changes its
/// state, which the last look before the rename compares, so its bytes are
/// those loaded and its lines those counted. Another is read and written
/// here, each byte checked against the digest of what was loaded and each
/// line counted.
///
/// # Errors
/// [`WriteError::Changed`] when the bytes are not those `expected` was
/// taken from; an I/O error.
fn copy_journal(
    journal: &Path,
    target: &Path,
    expected: &Fingerprint,
    loaded_lines: Option<u32>,
    stop: &AtomicBool,
) -> Result<Option<Copied>, WriteError> {
    if !expected.same_stat(target)? {
        return Err(WriteError::Changed(journal.to_path_buf()));
    }
    if let Some(lines) = loaded_lines.filter(|_| expected.quiet) {
        return match copy_by_kernel(journal, target, &expected.stat, stop)? {
            Some(early) => early.completed(target, lines, stop),
            None => Ok(None),
        };
    }
    let mut temp = temporary_beside(target, target)?;
    let mut old_lines = 0;
    let mut old_bytes = 0u64;
    {
        // The old bytes pass through one buffer: digested (they must be
        // what was loaded), their lines counted, then written.
        let mut old =
            File::open(target).map_err(io(format!("cannot read {}", target.display())))?;
        let mut hasher = ContentHasher::new();
        let written = temp.as_file_mut();
        // The pieces' error: `None` when told to stop.
        let copied = for_each_piece(
            &mut old,
            |e| Some(io(format!("cannot read {}", target.display()))(e)),
            |piece| {
                if stop.load(Ordering::Relaxed) {
                    return Err(None);
                }
                hasher.update(piece);
                old_lines += memchr::memchr_iter(b'\n', piece).count();
                old_bytes += piece.len() as u64;
                written
                    .write_all(piece)
                    .map_err(|e| Some(io("cannot write the temporary file")(e)))
            },
        );
        match copied {
            Ok(_) => {}
            Err(None) => return Ok(None),
            Err(Some(e)) => return Err(e),
        }
        if content_digest(&hasher) != expected.digest {
            return Err(WriteError::Changed(journal.to_path_buf()));
        }
    }
    with_separator(target, temp, old_lines, old_bytes, stop)
}

/// A copy of the journal's bytes, with the separator after them when it
/// needs one ([`separator`]): `old_lines` is how many `\n` the bytes hold.
fn with_separator(
    target: &Path,
    mut temp: tempfile::NamedTempFile,
    mut old_lines: usize,
    mut old_bytes: u64,
    stop: &AtomicBool,
) -> Result<Option<Copied>, WriteError> {
    let separator = separator(target)?;
    // A last line without `\n` gets one from the separator.
    old_lines += separator.matches('\n').count();
    // Not flushed to disk here: a change that adds nothing (a file imported
    // again) removes the copy before the system writes it back, so it never
    // reaches the disk; the `fsync` after the entries covers it all.
    if stop.load(Ordering::Relaxed) {
        return Ok(None);
    }
    write_out(&mut temp, separator.as_bytes())?;
    old_bytes += separator.len() as u64;
    Ok(Some(Copied {
        temp,
        old_lines,
        old_bytes,
    }))
}

/// Where the copy of a change's journal is while its entries are prepared.
enum Copying<'scope> {
    /// Made beside the load.
    Done(Copied),
    /// Being made on a thread of its own.
    Beside(std::thread::ScopedJoinHandle<'scope, Result<Option<Copied>, WriteError>>),
    /// No thread could start: made here once the entries are ready.
    Here,
}

/// The bytes of a quiet journal copied by the kernel into a temporary file
/// beside it ([`copy_by_kernel`]), its lines not yet counted.
struct EarlyCopy {
    temp: tempfile::NamedTempFile,
    old_bytes: u64,
}

impl EarlyCopy {
    /// The copy of a journal whose load counted `lines` lines, with its
    /// separator.
    fn completed(
        self,
        target: &Path,
        lines: u32,
        stop: &AtomicBool,
    ) -> Result<Option<Copied>, WriteError> {
        // The loader counts a last line without `\n` as a line.
        let unended = self.old_bytes > 0 && separator(target)? == "\n\n";
        let newlines = (lines as usize).saturating_sub(usize::from(unended));
        with_separator(target, self.temp, newlines, self.old_bytes, stop)
    }
}

/// Copies the journal at `target`, whose state must be `stat`, into a
/// temporary file beside it by the kernel (`copy_file_range`: nothing
/// passes through this process's memory, nothing is digested or counted).
/// Only for a quiet journal ([`Fingerprint`]): any write to it since `stat`
/// was taken changes its state, which the last look before the rename
/// compares, so the bytes copied are those `stat` describes. With `stop`
/// set meanwhile it gives `Ok(None)`; the temporary file is removed.
///
/// # Errors
/// [`WriteError::Changed`] when the file's state or length is not `stat`'s;
/// an I/O error.
fn copy_by_kernel(
    journal: &Path,
    target: &Path,
    stat: &Stat,
    stop: &AtomicBool,
) -> Result<Option<EarlyCopy>, WriteError> {
    let mut temp = temporary_beside(target, target)?;
    let old = File::open(target).map_err(io(format!("cannot read {}", target.display())))?;
    let opened = old
        .metadata()
        .map_err(io(format!("cannot read {}", target.display())))?;
    if stat_of_metadata(&opened) != *stat {
        return Err(WriteError::Changed(journal.to_path_buf()));
    }
    let mut old_bytes = 0u64;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        // `std::io::copy` between two files is `copy_file_range` on Linux
        // (a plain read and write elsewhere).
        let piece = std::io::copy(
            &mut std::io::Read::take(&old, KERNEL_COPY_PIECE_BYTES),
            temp.as_file_mut(),
        )
        .map_err(io("cannot copy the journal into the temporary file"))?;
        if piece == 0 {
            break;
        }
        old_bytes += piece;
    }
    if old_bytes != stat.length_bytes {
        return Err(WriteError::Changed(journal.to_path_buf()));
    }
    Ok(Some(EarlyCopy { temp, old_bytes }))
}

/// Steps 1-3 of an append: the temporary file holding the new journal,
/// flushed, loaded and checked. A dry run stops here (and drops the file).
fn write_and_validate(
    settings: &Settings,
    target: &Path,
    append: &mut Append<'_>,
) -> Result<(tempfile::NamedTempFile, Loaded), WriteError> {
    let never = AtomicBool::new(false);
    let loaded_lines = append.previous.as_ref().and_then(|p| p.continuable);
    let copied = copy_journal(
        &settings.journal,
        target,
        append.expected,
        loaded_lines,
        &never,
    )?
    .ok_or_else(|| io("cannot copy the journal")(std::io::Error::other("the copy stopped")))?;
    finish_and_validate(settings, copied, append)
}

/// Steps 2 (the new entries after the copy) and 3 of an append.
fn finish_and_validate(
    settings: &Settings,
    copied: Copied,
    append: &mut Append<'_>,
) -> Result<(tempfile::NamedTempFile, Loaded), WriteError> {
    let journal = &settings.journal;
    let Copied {
        mut temp,
        old_lines,
        old_bytes,
    } = copied;
    write_out(&mut temp, append.text.as_bytes())?;
    crash_point("temp-written");
    // Load the new journal as it will be, from the temporary file; its
    // includes resolve from the same directory. The file is flushed to
    // disk meanwhile, on a thread of its own (the flush waits on the disk,
    // the check on the processor); nothing is renamed before both end.
    let mut check_settings = settings.clone();
    check_settings.journal = temp.path().to_path_buf();
    let flush = || {
        temp.as_file()
            .sync_all()
            .map_err(io("cannot flush the temporary file to disk"))
    };
    let (flushed, loaded) = std::thread::scope(|scope| {
        let flushing = std::thread::Builder::new().spawn_scoped(scope, flush).ok();
        let loaded = validate_new_journal(check_settings, append, old_lines, old_bytes);
        let flushed = match flushing {
            Some(flushing) => flushing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread could start: the flush is made here.
            None => flush(),
        };
        (flushed, loaded)
    });
    flushed?;
    crash_point("temp-synced");
    let loaded = loaded.map_err(|e| {
        let told = retell_places(&e.to_string(), temp.path(), journal, old_lines);
        WriteError::Invalid(vec![Diagnostic::new(crate::Code::Settings, told)])
    })?;
    if loaded.has_errors() {
        let temp_path = temp.path().to_path_buf();
        let problems = loaded
            .diagnostics
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| locate_in_old_or_new(d, &temp_path, journal, old_lines))
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
    Ok((temp, loaded))
}

/// Loads the new journal from the temporary file of `settings`, which holds
/// the journal (`old_lines` lines, `old_bytes` bytes, with the separator)
/// and then `append.text`: by reading only the text after the journal as
/// loaded before, when that load can be continued and the copy has the
/// lines that load counted (the journal's bytes were checked against its
/// digest as they were copied, or its state against the fingerprint's);
/// otherwise by loading the whole file.
fn validate_new_journal(
    settings: Settings,
    append: &mut Append<'_>,
    old_lines: usize,
    old_bytes: u64,
) -> Result<Loaded, load::LoadError> {
    let old_lines = u32::try_from(old_lines).ok();
    match (append.previous.take(), old_lines) {
        (Some(previous), Some(old_lines))
            if previous
                .continuable
                .is_some_and(|lines| lines <= old_lines && old_lines - lines <= 2) =>
        {
            let path = settings.journal.clone();
            load::load_continued(
                settings,
                previous,
                &path,
                old_lines.saturating_add(1),
                old_bytes,
                append.text.to_string(),
            )
        }
        _ => load::load(settings),
    }
}

/// What a problem found in the temporary journal is about: a line of the
/// old journal keeps its place there; a line of the new entries is cited in
/// [`NEW_ENTRIES`], counted from their first line, since the journal has no
/// such line (nothing was written). A place the message, what was found or
/// what was expected names (`PATH:LINE`) is told the same way, so the
/// temporary file's name never reaches the user.
fn locate_in_old_or_new(
    mut d: Diagnostic,
    temp_path: &Path,
    journal: &Path,
    old_lines: usize,
) -> Diagnostic {
    for text in std::iter::once(&mut d.message)
        .chain(d.found.as_mut())
        .chain(d.expected.as_mut())
    {
        *text = retell_places(text, temp_path, journal, old_lines);
    }
    let old_lines = u32::try_from(old_lines).unwrap_or(u32::MAX);
    let Some(location) = &mut d.location else {
        return d;
    };
    if location.path != temp_path {
        return d;
    }
    if location.line <= old_lines {
        location.path = journal.to_path_buf();
        return d;
    }
    location.path = PathBuf::from(NEW_ENTRIES);
    location.line -= old_lines;
    for (line, _) in &mut d.excerpt {
        *line = line.saturating_sub(old_lines);
    }
    d.excerpt.retain(|(line, _)| *line > 0);
    d
}

/// `text` with each `PATH:LINE` of the temporary file `temp_path` (which
/// holds the journal's `old_lines` lines, then the new entries) told as the
/// journal's line or `<new entries>:LINE`, and the path alone as the
/// journal's.
fn retell_places(text: &str, temp_path: &Path, journal: &Path, old_lines: usize) -> String {
    use std::fmt::Write as _;
    let temp = temp_path.display().to_string();
    if !text.contains(&temp) {
        return text.to_string();
    }
    let old_lines = u32::try_from(old_lines).unwrap_or(u32::MAX);
    let temp_text = format!("{temp}:");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&temp_text) {
        out.push_str(&rest[..at]);
        let after = &rest[at + temp_text.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<u32>() {
            Ok(line) if line <= old_lines => {
                let _ = write!(out, "{}:{line}", journal.display());
            }
            Ok(line) => {
                let _ = write!(out, "{NEW_ENTRIES}:{}", line - old_lines);
            }
            Err(_) => out.push_str(&rest[at..at + temp_text.len() + digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out.replace(&temp, &journal.display().to_string())
}

/// How problems in the entries being added are located: `<new entries>:LINE`,
/// the line counted in the text `add` or `import` shows.
pub const NEW_ENTRIES: &str = "<new entries>";

/// Gives the replacement file the journal's group (and owner, which only
/// root may), then its mode (after the owner: `chown` clears set-id bits).
/// Best effort: what the system refuses stays as created.
fn keep_ownership_and_mode(journal: &Path, replacement: &File) {
    let Ok(metadata) = fs::metadata(journal) else {
        return;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if std::os::unix::fs::fchown(replacement, Some(metadata.uid()), Some(metadata.gid()))
            .is_err()
        {
            let _ = std::os::unix::fs::fchown(replacement, None, Some(metadata.gid()));
        }
    }
    let _ = replacement.set_permissions(metadata.permissions());
}

/// Flushes a directory's entries to disk after a rename. Unix only: Windows
/// cannot open a directory as a file, and its rename is already durable
/// enough for NTFS's journal.
fn sync_directory(dir: &Path) -> Result<(), WriteError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(format!("cannot flush the directory {}", dir.display())))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Stops at `step` when `FUNDLEDGER_PAUSE_AT` names it: says so on stderr and
/// waits for a line on stdin (a test hook; it never fires otherwise).
fn pause_point(step: &str) {
    if std::env::var_os("FUNDLEDGER_PAUSE_AT").is_some_and(|at| at == step) {
        eprintln!("fundledger: paused at {step}");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }
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

/// True when `name` is a temporary file's whose prefix is `prefix`: the
/// prefix, [`TEMP_RANDOM_CHARS`] letters or digits, `.tmp`.
fn is_temporary_of(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|random| {
            random.len() == TEMP_RANDOM_CHARS && random.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// Removes temporary files a crashed write left beside the journal. Only
/// called under the journal's lock, so no live write owns them; a dry run
/// (which takes no journal lock) holds its temporary file's own lock
/// ([`temporary_named_for`]), and a file locked so is left alone (best
/// effort, as that lock is). A directory that cannot be listed is an I/O
/// error; std's directory handle panics when `closedir` fails (EIO), which
/// is caught and reported the same way.
fn remove_stale_temporaries(journal: &Path) -> Result<(), WriteError> {
    let dir = parent_dir(journal);
    let prefix = temp_prefix(journal);
    let listing_failed = |detail: String| WriteError::Io {
        action: format!("cannot list {}", dir.display()),
        error: std::io::Error::other(detail),
    };
    let removal = std::panic::catch_unwind(|| -> std::io::Result<()> {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let regular = entry.file_type().is_ok_and(|t| t.is_file());
            if is_temporary_of(&name, &prefix)
                && !(regular && held_by_a_live_process(&entry.path()))
            {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    });
    match removal {
        Ok(result) => result.map_err(|error| listing_failed(error.to_string())),
        Err(panic) => {
            let detail = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the directory could not be closed".into());
            Err(listing_failed(detail))
        }
    }
}

/// Whether a temporary file (a regular file, not followed if it is a link)
/// is locked by the process writing it ([`temporary_named_for`]); one that
/// cannot be opened or tested counts as not (a crash's leftover, as before
/// temporaries were locked). A shared lock is asked for, which a read-only
/// handle may take on every file system (NFS refuses an exclusive one) and
/// the writer's exclusive lock still refuses. Opened without blocking and
/// without following a link, so a FIFO or a link put in its place cannot
/// hang the sweep under the journal's lock.
#[cfg(unix)]
fn held_by_a_live_process(path: &Path) -> bool {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .is_ok_and(|file| matches!(file.try_lock_shared(), Err(fs::TryLockError::WouldBlock)))
}

/// Temporary files are not locked where locks forbid reading
/// ([`temporary_named_for`]).
#[cfg(not(unix))]
fn held_by_a_live_process(_path: &Path) -> bool {
    false
}

/// Why a change to the journal was not made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// The input (a CSV file, an entry) has problems; nothing was written.
    #[error("{} problem(s) in the input; nothing was written", .0.len())]
    Input(Vec<Diagnostic>),
    /// The journal already has errors; fix them before adding to it.
    #[error("the journal has {} error(s); nothing was written", .0.len())]
    JournalInvalid(Vec<Diagnostic>),
    /// Reading or writing failed, or the journal changed meanwhile.
    #[error(transparent)]
    Write(WriteError),
    /// An input file could not be read, or what to add could not be
    /// worked out; `source` is the error underneath.
    #[error("{}", io_message(context, source.as_ref()))]
    Io {
        /// What was being done (may be empty).
        context: String,
        /// The error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ChangeError {
    /// [`ChangeError::Io`]: `context` (e.g. `cannot read donations.csv`,
    /// or empty) and the error underneath, kept as the source.
    pub fn io(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> ChangeError {
        ChangeError::Io {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// `CONTEXT: SOURCE`, or the source alone without a context.
fn io_message(context: &str, source: &(dyn std::error::Error + Send + Sync)) -> String {
    if context.is_empty() {
        source.to_string()
    } else {
        format!("{context}: {source}")
    }
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
    /// The donor register with the donors the change adds (an import's new
    /// donors), written with the journal; the new journal is validated
    /// against it.
    pub donors: Option<DonorsUpdate>,
}

/// The donors a change adds: the register with them, and its file's new text.
#[derive(Clone, Debug)]
pub struct DonorsUpdate {
    /// The register with the added donors.
    pub register: std::sync::Arc<crate::donors::register::DonorRegister>,
    /// `donors.csv`, with its new text.
    pub file: SideFile,
}

/// How a change runs.
pub struct ChangeOptions<'a> {
    /// Validate everything a real run would, write nothing, take no lock.
    pub dry_run: bool,
    /// How long to wait for another writer's lock (`None`: as long as it takes).
    pub lock_timeout: Option<Duration>,
    /// Told once when the lock is held by another process.
    pub on_wait: &'a dyn Fn(&str),
    /// Told how long each phase of the change took (the load's phases,
    /// then the write's), each measured from the end of the one before:
    /// what `--timings` prints.
    pub on_phase: &'a dyn Fn(&str, Duration),
}

/// The phases of a change as they end, told to
/// [`ChangeOptions::on_phase`].
struct Phases<'a> {
    on_phase: &'a dyn Fn(&str, Duration),
    since: Instant,
}

impl<'a> Phases<'a> {
    fn new(on_phase: &'a dyn Fn(&str, Duration)) -> Phases<'a> {
        Phases {
            on_phase,
            since: Instant::now(),
        }
    }

    /// Tells how long `phase` took; the next phase starts now.
    fn end(&mut self, phase: &str) {
        let now = Instant::now();
        (self.on_phase)(phase, now.duration_since(self.since));
        self.since = now;
    }

    /// Tells the phases of a load, which ran since the last phase ended
    /// and ended now.
    fn load(&mut self, loaded: &Loaded) {
        for (phase, took) in &loaded.timings {
            (self.on_phase)(phase, *took);
        }
        self.since = Instant::now();
    }
}

/// [`change_with`] waiting silently for the lock as long as it takes.
///
/// # Errors
/// [`ChangeError`]; in every case the journal is unchanged.
pub fn change<T>(
    settings: &Settings,
    dry_run: bool,
    prepare: impl FnOnce(&crate::Journal) -> Result<Addition<T>, ChangeError>,
) -> Result<Addition<T>, ChangeError> {
    let options = ChangeOptions {
        dry_run,
        lock_timeout: None,
        on_wait: &|_| {},
        on_phase: &|_, _| {},
    };
    change_with(settings, options, prepare)
}

/// The journal of a change, locked (no lock for a dry run) and loaded:
/// what [`change_with`] and other rewriting changes start from.
pub(crate) struct Locked {
    /// The lock, held until the change is written (`None` for a dry run).
    pub(crate) lock: Option<JournalLock>,
    /// The file the journal is written to ([`write_target`]).
    pub(crate) target: PathBuf,
    /// The journal's fingerprint: the content that was loaded.
    pub(crate) before: Fingerprint,
    /// The loaded journal, without errors.
    pub(crate) loaded: Loaded,
}

/// Takes the journal's lock (none for a dry run), fingerprints and loads the
/// journal, refusing one that changed while it was read or has errors.
///
/// # Errors
/// [`ChangeError`]; nothing is written.
pub(crate) fn lock_and_load(
    settings: &Settings,
    options: &ChangeOptions<'_>,
) -> Result<Locked, ChangeError> {
    lock_and_load_copying(settings, options, false).map(|(locked, _)| locked)
}

/// [`lock_and_load`], copying the journal beside the load when `copy` is
/// asked and the journal is quiet ([`Fingerprint`]): the kernel copies it
/// into a temporary file while the load keeps the cores busy (the copy
/// needs only the file, whose state then stands for its bytes; the last
/// look before the rename compares that state). Any write since the state
/// was taken changes it, which the state taken after the load (and the
/// last look) refuses. Stale temporary files are removed first (under the
/// lock), so that the copy is not taken for one.
fn lock_and_load_copying(
    settings: &Settings,
    options: &ChangeOptions<'_>,
    copy: bool,
) -> Result<(Locked, Option<Copied>), ChangeError> {
    let mut phases = Phases::new(options.on_phase);
    let target = write_target(settings)?;
    let lock = if options.dry_run {
        None
    } else {
        Some(JournalLock::acquire_with(
            &target,
            options.lock_timeout,
            options.on_wait,
        )?)
    };
    phases.end("lock (waiting for another writer included; none in a dry run)");
    if copy && lock.is_some() {
        remove_stale_temporaries(&target)?;
    }
    // The loader keeps the digest of the bytes it read; the fingerprint
    // taken after the load must have that digest and the file's state from
    // before the load: then the journal loaded is the journal as it is.
    // Every change built on `Locked` relies on this, not only those that
    // copy the journal. The fingerprint reads the journal again, unless it
    // is quiet: last changed before `now` by the clock of its own file
    // system (the journal can be a file mounted from another), and still
    // the file `settings.journal` leads to (a symbolic link moved meanwhile
    // would have had the loader read another file). Any write after `now`
    // changes a quiet journal's state, so equal states before and after
    // the load tie the loaded digest to it (and the last look before the
    // rename compares states only); a same-size edit within the clock's
    // last tick, which the state alone would miss, is why a journal
    // written then is read again.
    let now = file_system_now(&target);
    let stat_before = stat_of(&target)?;
    let quiet_before = matches!(
        (stat_before.changed, now),
        (Some(changed), Some((device, now))) if changed < now && device == stat_before.identity.0
    );
    phases.end("the file system's clock, the journal's state");
    // Not when automated transactions are read (`--auto`): that load
    // cannot be continued, so the copy's lines would not be known.
    let copy_beside = copy && quiet_before && !settings.auto;
    let stop = AtomicBool::new(false);
    let (loaded, early) = std::thread::scope(|scope| {
        let copying = copy_beside
            .then(|| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, || {
                        copy_by_kernel(&target, &target, &stat_before, &stop)
                    })
                    .ok()
            })
            .flatten();
        let loaded = load::load_digested(settings.clone());
        // A load that failed, found errors or cannot be continued stops
        // the copy; a copy that failed is made again after the load, the
        // usual way (which reports its error).
        if !matches!(&loaded, Ok(loaded) if loaded.continuable.is_some() && !loaded.has_errors()) {
            stop.store(true, Ordering::Relaxed);
        }
        let early = copying.and_then(|copying| copying.join().ok()?.ok().flatten());
        (loaded, early)
    });
    // A copy that cannot be used is dropped (and its file removed) below.
    let loaded = loaded.map_err(|e| ChangeError::io("", e))?;
    phases.load(&loaded);
    let leads_to_target = || {
        fs::metadata(&settings.journal)
            .is_ok_and(|metadata| stat_of_metadata(&metadata).identity == stat_before.identity)
    };
    let quiet = quiet_before && leads_to_target();
    let before = match &loaded.digest {
        Some(digest) if quiet => Fingerprint {
            stat: stat_of(&target)?,
            digest: digest.clone(),
            quiet,
        },
        _ => Fingerprint::of(&target)?,
    };
    let unchanged =
        before.stat == stat_before && loaded.digest.as_deref() == Some(before.digest.as_slice());
    phases.end(if quiet {
        "journal unchanged by the load (its state)"
    } else {
        "journal unchanged by the load (read again)"
    });
    // A journal not read to its end has errors, which are refused below.
    let refused_anyway = loaded.digest.is_none() && loaded.has_errors();
    if !(unchanged || refused_anyway) {
        return Err(ChangeError::Write(WriteError::Changed(
            settings.journal.clone(),
        )));
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
    // The copy is the journal loaded when the journal is still quiet (the
    // state after the load is the state the copy was made from), and its
    // lines are those the load counted.
    let copied = match (early, loaded.continuable) {
        (Some(early), Some(lines)) if before.quiet => {
            early.completed(&target, lines, &AtomicBool::new(false))?
        }
        _ => None,
    };
    let locked = Locked {
        lock,
        target,
        before,
        loaded,
    };
    Ok((locked, copied))
}

/// Adds to the journal of `settings` what `prepare` makes from the current
/// journal, all under the journal's lock: read the bytes, load them (refusing
/// a journal that already has errors), prepare, then [`append`]. A dry run
/// takes no lock and renames nothing, but writes and validates the new
/// journal in a temporary file exactly as a real run does, so it fails
/// exactly when a real run would.
///
/// # Errors
/// [`ChangeError`]; in every case the journal is unchanged.
pub fn change_with<T>(
    settings: &Settings,
    options: ChangeOptions<'_>,
    prepare: impl FnOnce(&crate::Journal) -> Result<Addition<T>, ChangeError>,
) -> Result<Addition<T>, ChangeError> {
    // (Stale temporary files are removed under the lock before the load.)
    let (locked, copied_beside_the_load) = lock_and_load_copying(settings, &options, true)?;
    let Locked {
        lock,
        target,
        before,
        loaded,
    } = locked;
    let mut phases = Phases::new(options.on_phase);
    // The journal was copied beside the load when it is quiet; otherwise
    // it is copied into the temporary file on a thread of its own while
    // `prepare` runs: the copy needs only the journal's bytes, which the
    // fingerprint just tied to the journal loaded.
    let stop = AtomicBool::new(false);
    let loaded_lines = loaded.continuable;
    let beside_the_load = copied_beside_the_load.is_some();
    std::thread::scope(|scope| {
        let copying = match copied_beside_the_load {
            Some(copied) => Copying::Done(copied),
            None => std::thread::Builder::new()
                .spawn_scoped(scope, || {
                    copy_journal(&settings.journal, &target, &before, loaded_lines, &stop)
                })
                .map_or(Copying::Here, Copying::Beside),
        };
        let prepared = prepare(&loaded.journal).and_then(|addition| {
            // Nothing goes into a closed year (not even in a dry run).
            crate::write_path::close::refuse_closed(&loaded.journal, &addition.text)
                .map_err(ChangeError::Input)?;
            Ok(addition)
        });
        phases.end(if beside_the_load {
            "prepare the entries (the journal was copied beside the load)"
        } else {
            "prepare the entries (the copy beside it)"
        });
        let addition = match prepared {
            Ok(addition) if addition.transactions > 0 => addition,
            // Nothing to write: the copy stops (the scope waits for it) and
            // its temporary file is removed.
            other => {
                stop.store(true, Ordering::Relaxed);
                return other;
            }
        };
        if lock.is_some() {
            crash_point("locked");
        }
        let copy_failed =
            |why: &str| io("cannot copy the journal")(std::io::Error::other(why.to_string()));
        let copied = match copying {
            Copying::Done(copied) => Some(copied),
            Copying::Beside(copying) => copying
                .join()
                .map_err(|_| copy_failed("the copying thread panicked (a fundledger bug)"))??,
            Copying::Here => {
                copy_journal(&settings.journal, &target, &before, loaded_lines, &stop)?
            }
        }
        .ok_or_else(|| copy_failed("the copy stopped"))?;
        phases.end("copy the journal (what was left)");
        let transactions_before = loaded.journal.transactions().len();
        // Kept only when the check of the new journal can go on from it.
        let previous = loaded.continuable.is_some().then_some(loaded);
        // The new journal is checked against the register it will be read
        // with.
        let mut validating = settings.clone();
        let mut side_files = Vec::new();
        if let Some(update) = &addition.donors {
            validating.donors = Some(update.register.clone());
            side_files.push(update.file.clone());
        }
        if lock.is_some() {
            for side in &side_files {
                remove_stale_temporaries(&side.path)?;
            }
        }
        let mut request = Append {
            expected: &before,
            text: &addition.text,
            transactions: addition.transactions,
            transactions_before,
            previous,
            side_files: &side_files,
        };
        let (temp, _) = finish_and_validate(&validating, copied, &mut request)?;
        phases.end("write the entries, check the new journal (the flush beside it)");
        if lock.is_some() {
            commit(&validating, &target, temp, &request)?;
            phases.end("last look, rename, flush the directory");
        } else {
            pause_point("validated");
            last_look(&validating, &target, &request)?;
            phases.end("last look");
        }
        Ok(addition)
    })
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

    fn temporaries(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(TEMP_PREFIX))
            .collect()
    }

    #[test]
    fn a_file_s_temporaries_are_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let donors = dir.path().join("donors.csv");
        let books = dir.path().join("donors.csv-books.ledger");
        let of_books = temporary_beside(&books, &books).unwrap();
        let name = of_books.path().file_name().unwrap().to_string_lossy();
        assert!(is_temporary_of(&name, &temp_prefix(&books)), "{name}");
        assert!(!is_temporary_of(&name, &temp_prefix(&donors)), "{name}");
        // Sweeping the register's leaves the journal's in place.
        remove_stale_temporaries(&donors).unwrap();
        assert!(of_books.path().exists());
        let of_donors = temporary_beside(&donors, &donors)
            .unwrap()
            .keep()
            .unwrap()
            .1;
        remove_stale_temporaries(&donors).unwrap();
        assert!(!of_donors.exists());
        assert!(of_books.path().exists());
    }

    /// The temporary file's name never reaches the user: a place a
    /// problem's text names in it is told in the journal or the new entries.
    #[test]
    fn places_in_the_temporary_file_are_told_in_the_journal_or_the_new_entries() {
        let temp = Path::new("/l/.fundledger-write-j.ledger-abc123.tmp");
        let journal = Path::new("/l/j.ledger");
        let d = Diagnostic::new(crate::Code::Overflow, "x")
            .at(crate::Location {
                path: temp.to_path_buf(),
                line: 12,
            })
            .found(format!(
                "2 decimal places here, and 19 integer digits at {}:4; see {}:x",
                temp.display(),
                temp.display()
            ));
        let d = locate_in_old_or_new(d, temp, journal, 10);
        assert_eq!(
            d.found.as_deref(),
            Some(
                "2 decimal places here, and 19 integer digits at /l/j.ledger:4; see /l/j.ledger:x"
            )
        );
        let location = d.location.unwrap();
        assert_eq!(
            (location.path, location.line),
            (PathBuf::from(NEW_ENTRIES), 2)
        );
        let d = Diagnostic::new(crate::Code::Overflow, "x").found(format!(
            "at {}:15 and {}:3",
            temp.display(),
            temp.display()
        ));
        let d = locate_in_old_or_new(d, temp, journal, 10);
        assert_eq!(
            d.found.as_deref(),
            Some("at <new entries>:5 and /l/j.ledger:3")
        );
        let told = retell_places(
            &format!("{} is larger than 4294967296 bytes", temp.display()),
            temp,
            journal,
            10,
        );
        assert_eq!(told, "/l/j.ledger is larger than 4294967296 bytes");
    }

    /// A sweep removes what a crashed write left, never a temporary file
    /// another run (a dry run, which takes no journal lock) still has open.
    #[test]
    fn a_sweep_leaves_a_temporary_file_its_writer_still_holds() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.ledger");
        std::fs::write(&journal, "").unwrap();
        let held = temporary_beside(&journal, &journal).unwrap();
        let left = temporary_beside(&journal, &journal)
            .unwrap()
            .keep()
            .unwrap()
            .1;
        remove_stale_temporaries(&journal).unwrap();
        assert!(held.path().exists(), "a live writer's file was swept");
        assert!(!left.exists(), "a crash's leftover was kept");
        // Once its writer is gone without renaming it, it is a leftover.
        let (file, path) = held.keep().unwrap();
        drop(file);
        remove_stale_temporaries(&journal).unwrap();
        assert!(!path.exists());
        // A FIFO with a temporary's name is not opened (which would wait
        // for a writer, under the journal's lock): it is removed.
        #[cfg(unix)]
        {
            let fifo = dir
                .path()
                .join(format!("{}abc123.tmp", temp_prefix(&journal)));
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|status| status.success()) {
                remove_stale_temporaries(&journal).unwrap();
                assert!(!fifo.exists());
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_quiet_file_is_known_by_its_state_and_any_write_changes_that() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ledger");
        std::fs::write(&path, "2000-04-01 * x\n    a  1 JPY\n    b\n").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        // The file system's clock has moved past the file's last change;
        // the probe leaves nothing behind.
        let stat = stat_of(&path).unwrap();
        // Where the file system keeps its own status change times (a local
        // one on Linux: this test's temporary directory on the machines
        // that run it).
        if let Some((device, now)) = file_system_now(&path) {
            assert_eq!(device, stat.identity.0);
            assert!(stat.changed.unwrap() < now);
        }
        assert_eq!(temporaries(dir.path()), Vec::<String>::new());
        let quiet = Fingerprint {
            quiet: true,
            ..Fingerprint::of(&path).unwrap()
        };
        assert!(quiet.still(&path).unwrap());
        // One byte changed in place, the modification time set back: size,
        // time and inode are as before; the status change time is not.
        let modified = stat.modified.unwrap();
        {
            let mut file = OpenOptions::new().write(true).open(&path).unwrap();
            file.write_all(b"2000-04-01 ! x").unwrap();
            file.set_modified(modified).unwrap();
        }
        let after = stat_of(&path).unwrap();
        assert_eq!(
            (after.length_bytes, after.modified, after.identity),
            (stat.length_bytes, stat.modified, stat.identity)
        );
        assert!(!quiet.still(&path).unwrap());
        // A file changed after the probe is not quiet.
        if let Some((_, now)) = file_system_now(&path) {
            std::fs::write(&path, "changed").unwrap();
            assert!(stat_of(&path).unwrap().changed.unwrap() >= now);
        }
    }

    #[test]
    fn a_journal_last_changed_before_the_write_is_known_by_its_state_where_ctimes_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ledger");
        std::fs::write(
            &path,
            "2000-04-01 * x\n    Assets:Bank  1 JPY\n    Income:Gift\n",
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let options = ChangeOptions {
            dry_run: false,
            lock_timeout: None,
            on_wait: &|_| {},
            on_phase: &|_, _| {},
        };
        let locked = lock_and_load(&Settings::for_bare_journal(&path), &options).unwrap();
        // Quiet exactly where the file system keeps its own ctimes (on the
        // machines that run the tests, a local Linux one): the journal is
        // then not read a second time.
        let keeps = keeps_its_own_ctime(&File::open(&path).unwrap());
        assert_eq!(locked.before.quiet, keeps);
        // Either way, the fingerprint of the journal as it is.
        assert_eq!(locked.before, Fingerprint::of(&path).unwrap());
        assert!(locked.before.still(&path).unwrap());
    }

    /// A change to a quiet journal uses the copy made beside the load (where
    /// the file system keeps its own ctimes) and writes the journal with
    /// the entries after it; one that adds nothing leaves no temporary file.
    #[test]
    fn a_change_to_a_quiet_journal_uses_the_copy_made_beside_the_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ledger");
        // No newline at the end: the separator ends the last line.
        let old = "2000-04-01 * x\n    Assets:Bank  1 JPY\n    Income:Gift";
        std::fs::write(&path, old).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let phases = std::sync::Mutex::new(Vec::new());
        let on_phase = |phase: &str, _| phases.lock().unwrap().push(phase.to_string());
        let options = || ChangeOptions {
            dry_run: false,
            lock_timeout: None,
            on_wait: &|_| {},
            on_phase: &on_phase,
        };
        let settings = Settings::for_bare_journal(&path);
        let entry = "2000-04-02 * y\n    Assets:Bank  2 JPY\n    Income:Gift\n";
        let nothing = change_with(&settings, options(), |_| {
            Ok(Addition {
                text: String::new(),
                transactions: 0,
                value: (),
                donors: None,
            })
        });
        assert!(nothing.is_ok());
        assert_eq!(temporaries(dir.path()), Vec::<String>::new());
        std::thread::sleep(Duration::from_millis(50));
        phases.lock().unwrap().clear();
        change_with(&settings, options(), |_| {
            Ok(Addition {
                text: entry.to_string(),
                transactions: 1,
                value: (),
                donors: None,
            })
        })
        .unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{old}\n\n{entry}")
        );
        assert_eq!(temporaries(dir.path()), Vec::<String>::new());
        let beside = phases
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.contains("the journal was copied beside the load"));
        assert_eq!(beside, keeps_its_own_ctime(&File::open(&path).unwrap()));
    }

    /// A quiet journal copied by the kernel, its lines taken from the
    /// load, gives the copy the checked one gives (bytes, lines and
    /// separator) whatever its end: none, one or two newlines, a last
    /// line without one, CRLF, a lone CR, nothing at all.
    #[test]
    fn the_kernel_copy_of_a_quiet_journal_is_the_checked_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ledger");
        let entry = "2000-04-01 * x\n    a  1 JPY\n    b\n";
        for text in [
            entry.repeat(2),
            format!("{entry}\n"),
            format!("{entry}; last"),
            entry.replace('\n', "\r\n"),
            format!("{entry}; a lone\rcarriage return"),
            String::new(),
            entry.repeat(200_000),
        ] {
            std::fs::write(&path, &text).unwrap();
            let loaded = load::load_digested(Settings::for_bare_journal(&path)).unwrap();
            let lines = loaded
                .continuable
                .expect("a clean journal can be continued");
            let expected = Fingerprint::of(&path).unwrap();
            let quiet = Fingerprint {
                quiet: true,
                ..expected.clone()
            };
            let go_on = AtomicBool::new(false);
            let checked = copy_journal(&path, &path, &expected, None, &go_on)
                .unwrap()
                .unwrap();
            let by_kernel = copy_journal(&path, &path, &quiet, Some(lines), &go_on)
                .unwrap()
                .unwrap();
            let early = copy_by_kernel(&path, &path, &quiet.stat, &go_on)
                .unwrap()
                .unwrap()
                .completed(&path, lines, &go_on)
                .unwrap()
                .unwrap();
            for copy in [&by_kernel, &early] {
                assert_eq!(
                    (copy.old_lines, copy.old_bytes),
                    (checked.old_lines, checked.old_bytes),
                    "{text:?}"
                );
                assert_eq!(
                    fs::read(copy.temp.path()).unwrap(),
                    fs::read(checked.temp.path()).unwrap()
                );
            }
            // Another state than the one loaded: refused.
            let moved = Stat {
                length_bytes: quiet.stat.length_bytes + 1,
                ..quiet.stat
            };
            assert!(matches!(
                copy_by_kernel(&path, &path, &moved, &go_on),
                Err(WriteError::Changed(_))
            ));
            let stop = AtomicBool::new(true);
            assert!(copy_by_kernel(&path, &path, &quiet.stat, &stop)
                .unwrap()
                .is_none());
        }
        drop(dir);
    }

    #[test]
    fn the_copy_holds_the_journal_and_its_separator_or_nothing_when_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ledger");
        // More than one piece, and no newline at the end.
        let mut old = "2000-04-01 * x\n    a  1 JPY\n    b\n".repeat(60_000);
        old.push_str("; last");
        std::fs::write(&path, &old).unwrap();
        let expected = Fingerprint::of(&path).unwrap();
        let go_on = AtomicBool::new(false);
        let copied = copy_journal(&path, &path, &expected, None, &go_on)
            .unwrap()
            .unwrap();
        // The journal's newlines and the separator's two.
        assert_eq!(copied.old_lines, 180_000 + 2);
        let mut want = old.clone().into_bytes();
        want.extend_from_slice(b"\n\n");
        assert_eq!(fs::read(copied.temp.path()).unwrap(), want);
        drop(copied);
        assert_eq!(temporaries(dir.path()), Vec::<String>::new());

        let stop = AtomicBool::new(true);
        assert!(copy_journal(&path, &path, &expected, None, &stop)
            .unwrap()
            .is_none());
        assert_eq!(temporaries(dir.path()), Vec::<String>::new());

        // Other bytes than those fingerprinted, same size and time: refused.
        let other = old.replacen("x", "y", 1);
        std::fs::write(&path, &other).unwrap();
        let same_stat = Fingerprint {
            digest: expected.digest.clone(),
            ..Fingerprint::of(&path).unwrap()
        };
        assert!(matches!(
            copy_journal(&path, &path, &same_stat, None, &go_on),
            Err(WriteError::Changed(_))
        ));
        assert_eq!(temporaries(dir.path()), Vec::<String>::new());
    }
}
