//! Reading journal files and cutting them into entries, one segment at a
//! time.
//!
//! This is the first half of the layer in front of ledger-parser. It reads
//! every file (following `include`) in **segments** of a few megabytes, each
//! cut at the start of an entry, so a transaction never spans two segments
//! and a large journal is never held in memory whole: each segment is
//! scanned, handed to the caller (who parses and keeps what it needs), and
//! dropped. It normalises what ledger-parser cannot take (a UTF-8 byte-order
//! mark, CRLF line ends, a missing final newline) and scans lines into
//! [`Entry`] values: transaction blocks (parsed later, each on its own and in
//! parallel), price lines, and the declarations ledger-parser rejects
//! (`account`, `commodity`, `payee`, `tag`, comment blocks), which this
//! module reads itself.
//!
//! Invariant: every [`Segment::text`] is whole lines, ends with `\n` and
//! holds no `\r\n`, so no ledger-parser input ends without a newline (the
//! inputs on which ledger-parser 7.0.0 panics).
//!
//! Diagnostics made after a segment is gone (the whole-journal checks) get
//! their excerpts from [`SourceMap::line_text`], which reads a file back only
//! when a diagnostic needs one of its lines.

use std::io::Read as _;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::model::diagnostic::{Code, Diagnostic, Diagnostics, Location};
use crate::read::grammar::ReadContext;

/// The largest journal file read, in bytes: as much as one load reads
/// (ten million transactions of the benchmark's shape are 2.7 GB).
pub const FILE_SIZE_MAX_BYTES: u64 = 4 << 30;
/// The longest line read, in bytes.
pub const LINE_LENGTH_MAX_BYTES: usize = 64 * 1024;
/// The deepest chain of includes.
pub const INCLUDE_DEPTH_MAX: usize = 16;
/// The most postings one transaction may have.
pub const POSTINGS_PER_TRANSACTION_MAX: usize = 1000;
/// How much of a file is read at a time (a segment is cut at the last
/// entry that starts within it).
pub const SEGMENT_BYTES: usize = 4 << 20;
/// The longest entry (a transaction block with its postings) read, in bytes.
pub const ENTRY_BYTES_MAX: usize = 128 << 20;
/// The most `include`s followed in one load (a file included four times
/// counts four times).
pub const INCLUDED_FILES_MAX: usize = 1024;
/// The most bytes read in one load, over the journal and all its includes.
pub const TOTAL_BYTES_MAX: u64 = 4 << 30;

/// Opens `path` for reading only if it is a regular file: a FIFO would
/// block, and a character device (`/dev/zero`) never ends. Checked before
/// opening (opening a FIFO waits for a writer) and again on the file opened.
///
/// # Errors
/// The open error, or `InvalidInput` for anything but a regular file.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let not_regular = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, a device or a directory); fundledger reads only regular files",
        )
    };
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

/// Reads a whole regular file of at most `max_bytes` (counting the bytes
/// actually read, not the size the file claims).
///
/// # Errors
/// As [`open_regular`], a read error, or `FileTooLarge` past `max_bytes`.
pub fn read_regular(path: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {max_bytes} bytes, the most fundledger reads"),
        ));
    }
    Ok(bytes)
}

/// Where an entry is: the file's index in the [`SourceMap`] and a 1-based
/// line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourcePos {
    /// Index into [`SourceMap::paths`].
    pub file: u32,
    /// 1-based line.
    pub line: u32,
}

/// A transaction's lines, not yet parsed.
#[derive(Clone, Debug)]
pub struct TransactionBlock {
    /// The header line.
    pub pos: SourcePos,
    /// The block's byte range in its segment's text (ends after a `\n`).
    pub bytes: Range<usize>,
    /// The last line of the block.
    pub last_line: u32,
    /// What the directives before it say about reading it (`Y`, `D`,
    /// `alias`, `apply account`, `bucket`, `decimal-mark`); `None` when
    /// nothing does.
    pub context: Option<Arc<ReadContext>>,
}

/// A directive or transaction, in journal order (includes inlined).
#[derive(Clone, Debug)]
pub enum Entry {
    /// A transaction block.
    Transaction(TransactionBlock),
    /// An automated transaction (`= QUERY` and its postings), applied under
    /// `--auto`.
    Automated(TransactionBlock),
    /// A periodic transaction (`~ PERIOD` and its postings): a budget entry,
    /// read by [`crate::model::budget`], never posted.
    Periodic(TransactionBlock),
    /// A `P` price line.
    Price {
        /// Where it is.
        pos: SourcePos,
        /// The line's byte range in its segment's text.
        bytes: Range<usize>,
        /// What the directives before it say about reading it.
        context: Option<Arc<ReadContext>>,
    },
    /// `account NAME`.
    Account {
        /// The account name.
        name: String,
    },
    /// `commodity SYMBOL` (or `commodity 1000.00 SYMBOL`).
    Commodity {
        /// The symbol.
        symbol: String,
        /// Decimal places when the directive shows a sample amount.
        precision: Option<u32>,
    },
}

/// Whole lines of one file, normalised.
#[derive(Debug)]
pub struct Segment {
    /// The line number of the segment's first line.
    pub first_line: u32,
    /// The text: whole lines, each ending in `\n`.
    pub text: String,
    line_starts: OnceLock<Vec<usize>>,
    /// Where the text's buffer goes back when the segment is dropped, so
    /// the reader reads the next segment into memory already mapped.
    pool: Option<Arc<BufferPool>>,
}

impl Drop for Segment {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            pool.give(std::mem::take(&mut self.text).into_bytes());
        }
    }
}

/// The buffers of dropped segments, for the reader to read the next ones
/// into: reading into fresh memory costs a page fault per page (the kernel
/// zeroes it, then copies the file over it), and a few buffers used in turn
/// stay in the cache for the scan and the parse that follow.
#[derive(Debug, Default)]
struct BufferPool {
    free: std::sync::Mutex<Vec<Vec<u8>>>,
}

/// The most buffers a [`BufferPool`] keeps: the reader's, one waiting in
/// the channel, and the loader's, with one to spare.
const POOL_BUFFERS_MAX: usize = 4;

impl BufferPool {
    /// An empty buffer with room for `capacity` bytes.
    fn take(&self, capacity: usize) -> Vec<u8> {
        let recycled = self.free.lock().ok().and_then(|mut free| free.pop());
        let mut buffer = recycled.unwrap_or_default();
        buffer.clear();
        buffer.reserve(capacity);
        buffer
    }

    /// Keeps `buffer` for a later [`BufferPool::take`], unless the pool is
    /// full or the buffer grew past twice a segment (an entry longer than a
    /// segment), which is dropped so the pool's memory stays bounded.
    fn give(&self, buffer: Vec<u8>) {
        if buffer.capacity() > 2 * SEGMENT_BYTES + ENTRY_CARRY_BYTES {
            return;
        }
        if let Ok(mut free) = self.free.lock() {
            if free.len() < POOL_BUFFERS_MAX {
                free.push(buffer);
            }
        }
    }
}

/// Room kept in a segment's buffer beyond [`SEGMENT_BYTES`] for the start of
/// an entry carried over from the segment before (the rest of the buffer
/// before, past its cut) and a final newline.
const ENTRY_CARRY_BYTES: usize = 64 << 10;

impl Segment {
    fn new(first_line: u32, text: String) -> Segment {
        Segment {
            first_line,
            text,
            line_starts: OnceLock::new(),
            pool: None,
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(
                memchr::memchr_iter(b'\n', self.text.as_bytes())
                    .map(|i| i + 1)
                    .filter(|&start| start < self.text.len()),
            );
            starts
        })
    }

    /// The text of (file-wide) line `line`, without its newline; "" when the
    /// line is not in this segment.
    pub fn line(&self, line: u32) -> &str {
        let Some(index) = line.checked_sub(self.first_line) else {
            return "";
        };
        let starts = self.line_starts();
        let Some(&start) = starts.get(index as usize) else {
            return "";
        };
        let end = starts
            .get(index as usize + 1)
            .map(|&next| next - 1)
            .unwrap_or_else(|| self.text.len().saturating_sub(1).max(start));
        self.text.get(start..end).unwrap_or("")
    }

    /// Lines `first..=last` (at most `max_lines`) as an excerpt.
    pub fn excerpt(&self, first: u32, last: u32, max_lines: u32) -> Vec<(u32, String)> {
        let last = last.min(first.saturating_add(max_lines.saturating_sub(1)));
        (first..=last)
            .map(|n| (n, self.line(n).to_string()))
            .collect()
    }

    /// A byte range of the text.
    pub fn text(&self, bytes: Range<usize>) -> &str {
        self.text.get(bytes).unwrap_or("")
    }

    /// The text of a transaction block.
    pub fn block_text(&self, block: &TransactionBlock) -> &str {
        self.text(block.bytes.clone())
    }
}

/// Normalises text for the parsers: no BOM (at a file's start), `\n` line
/// ends, a final `\n` (at a file's end).
///
/// The text is changed in place: nothing is copied when nothing changes,
/// which is the common case.
fn normalise(mut text: String, file_start: bool, file_end: bool) -> String {
    if file_start && text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    if memchr::memchr(b'\r', text.as_bytes()).is_some() {
        text = without_crlf(text);
    }
    if file_end && !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// `text` with each `\r\n` made `\n`, in place (a lone `\r` is kept).
fn without_crlf(text: String) -> String {
    let mut bytes = text.into_bytes();
    let (mut read, mut write) = (0, 0);
    while let Some(found) = memchr::memchr(b'\r', &bytes[read..]) {
        let at = read + found;
        bytes.copy_within(read..at, write);
        write += at - read;
        read = at + 1;
        if bytes.get(read) != Some(&b'\n') {
            bytes[write] = b'\r';
            write += 1;
        }
    }
    bytes.copy_within(read.., write);
    write += bytes.len() - read;
    bytes.truncate(write);
    // Removing ASCII bytes from UTF-8 leaves UTF-8: the lossy branch is
    // never taken.
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// The files of a journal, for locations and for excerpts after loading.
#[derive(Debug, Default)]
pub struct SourceMap {
    paths: Vec<PathBuf>,
    /// The text of each file: held for in-memory journals; for files on
    /// disk, an index of line offsets made the first time a line of it is
    /// asked for, so that a line is read back without holding the file.
    texts: Vec<OnceLock<FileText>>,
    /// The number of lines of the journal file, when it was read to its end
    /// in the state it started in (no directive in force, no block comment
    /// open), so that text appended to it reads as it would on its own.
    ended_plain: Option<u32>,
    /// The content digest ([`ContentHasher`]) of the journal file's bytes
    /// as read, when asked for ([`stream_from`]).
    digest: Option<Vec<u8>>,
    /// Per file: where each segment the reader read starts, as (line, byte
    /// offset in the file), in order; empty when the file was not read in
    /// segments. A line is then read back by indexing only its segment.
    segment_starts: Vec<Vec<(u32, u64)>>,
}

/// How a file's lines are found after loading.
#[derive(Debug)]
enum FileText {
    /// The text itself (an in-memory journal), normalised: the segment
    /// it was scanned as.
    Held(Arc<Segment>),
    /// A file on disk, in parts: one per segment read (or one for the
    /// whole file), each indexed the first time a line of it is asked for.
    OnDisk(Vec<FilePart>),
}

/// Lines of a file on disk from `line`, which starts at byte `offset`, to
/// byte `end` (the next part's offset; the file's end when `None`).
#[derive(Debug)]
struct FilePart {
    line: u32,
    offset: u64,
    end: Option<u64>,
    /// The byte offset of every [`LINE_INDEX_STRIDE`]th line of the part
    /// (`line`, `line` + stride...), made on first use.
    index: OnceLock<Vec<u64>>,
}

/// How many lines apart the read-back index of a file keeps offsets: a
/// line is found by reading at most this many lines, and the index of a
/// file of N lines holds N / stride offsets.
const LINE_INDEX_STRIDE: u32 = 256;

impl SourceMap {
    fn add(&mut self, path: PathBuf, text: Option<Arc<Segment>>) -> u32 {
        let index = u32::try_from(self.paths.len()).unwrap_or(u32::MAX);
        self.paths.push(path);
        let cell = OnceLock::new();
        if let Some(text) = text {
            let _ = cell.set(FileText::Held(text));
        }
        self.texts.push(cell);
        self.segment_starts.push(Vec::new());
        index
    }

    /// Adds the files of `paths` this map does not have yet (the map of a
    /// reader on another thread, as far as it got): their locations only,
    /// for the diagnostics made while its entries are processed.
    pub(crate) fn follow(&mut self, paths: &[PathBuf]) {
        for path in paths.iter().skip(self.paths.len()) {
            self.add(path.clone(), None);
        }
    }

    /// The number of lines of the journal file, when it was read to its end
    /// in the state it started in, so [`stream_continued`] reads text after
    /// it as reading the two together would.
    pub(crate) fn ended_plain(&self) -> Option<u32> {
        self.ended_plain
    }

    /// The content digest ([`ContentHasher`]) of the journal file's bytes as read, when asked
    /// for and the file was read to its end.
    pub(crate) fn digest(&self) -> Option<&[u8]> {
        self.digest.as_deref()
    }

    /// Every file read, the journal first.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// The location of a position, for diagnostics.
    pub fn location(&self, pos: SourcePos) -> Location {
        Location {
            path: self
                .paths
                .get(pos.file as usize)
                .cloned()
                .unwrap_or_default(),
            line: pos.line,
        }
    }

    /// How to find the lines of a file (its parts indexed on first use).
    fn file(&self, file: u32) -> Option<&FileText> {
        let cell = self.texts.get(file as usize)?;
        Some(cell.get_or_init(|| {
            let starts = match self.segment_starts.get(file as usize) {
                Some(starts) if starts.first() == Some(&(1, 0)) => starts.as_slice(),
                _ => &[(1, 0)],
            };
            let parts = starts
                .iter()
                .enumerate()
                .map(|(i, &(line, offset))| FilePart {
                    line,
                    offset,
                    end: starts.get(i + 1).map(|&(_, next)| next),
                    index: OnceLock::new(),
                })
                .collect();
            FileText::OnDisk(parts)
        }))
    }

    /// Where the segments of `file` start (line, byte), in order, as noted
    /// while it was read.
    pub(crate) fn segment_starts_of(&self, file: u32) -> &[(u32, u64)] {
        self.segment_starts
            .get(file as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// Notes that a segment of `file` starting at `line` starts at byte
    /// `offset` of the file.
    fn note_segment_start(&mut self, file: u32, line: u32, offset: u64) {
        if let Some(starts) = self.segment_starts.get_mut(file as usize) {
            starts.push((line, offset));
        }
    }

    /// The text of a line, normalised as the journal was read (no BOM, no
    /// `\r` before the newline); "" when there is no such line, and a
    /// parenthesised note when the file can no longer be read.
    pub fn line_text(&self, pos: SourcePos) -> String {
        match self.file(pos.file) {
            Some(FileText::Held(segment)) => segment.line(pos.line).to_string(),
            Some(FileText::OnDisk(parts)) => {
                let path = &self.paths[pos.file as usize];
                let after = parts.partition_point(|part| part.line <= pos.line);
                let Some(part) = after.checked_sub(1).and_then(|i| parts.get(i)) else {
                    return String::new();
                };
                // The file was read once already: a failure now (removed,
                // unreadable) is said in the excerpt, and not kept, so a
                // later excerpt tries again.
                let unreadable = |error: std::io::Error| format!("(line not readable: {error})");
                let index = match part.index.get() {
                    Some(index) => index,
                    None => match line_index(path, part.offset, part.end) {
                        Ok(index) => part.index.get_or_init(|| index),
                        Err(error) => return unreadable(error),
                    },
                };
                read_line(path, index, part.line, pos.line).unwrap_or_else(unreadable)
            }
            None => String::new(),
        }
    }

    /// A diagnostic located at `pos` with that line as its excerpt.
    pub fn diagnostic_at(
        &self,
        code: Code,
        pos: SourcePos,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(code, message)
            .at(self.location(pos))
            .with_excerpt(vec![(pos.line, self.line_text(pos))])
    }
}

/// The byte offsets of the lines 0, [`LINE_INDEX_STRIDE`], ... after byte
/// `start` of a file, up to byte `end` (the file's end when `None`).
fn line_index(path: &Path, start: u64, end: Option<u64>) -> std::io::Result<Vec<u64>> {
    use std::io::Seek as _;
    let mut file = open_regular(path)?;
    file.seek(std::io::SeekFrom::Start(start))?;
    let mut file = file.take(end.map_or(u64::MAX, |end| end.saturating_sub(start)));
    let mut offsets = vec![start];
    let mut buffer = vec![0u8; 1 << 20];
    let (mut offset, mut line) = (start, 1u32);
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(offsets);
        }
        for newline in memchr::memchr_iter(b'\n', &buffer[..read]) {
            line = line.saturating_add(1);
            if (line - 1) % LINE_INDEX_STRIDE == 0 {
                offsets.push(offset + newline as u64 + 1);
            }
        }
        offset += read as u64;
    }
}

/// Line `line` of a file, found from the [`line_index`] of the part of it
/// that starts at line `first_line`.
fn read_line(path: &Path, index: &[u64], first_line: u32, line: u32) -> std::io::Result<String> {
    use std::io::{BufRead as _, Seek as _};
    let Some(slot) = line.checked_sub(first_line) else {
        return Ok(String::new());
    };
    let Some(&start) = index.get((slot / LINE_INDEX_STRIDE) as usize) else {
        return Ok(String::new());
    };
    let mut file = open_regular(path)?;
    file.seek(std::io::SeekFrom::Start(start))?;
    let mut reader = std::io::BufReader::new(file.take(ENTRY_BYTES_MAX as u64));
    let mut bytes = Vec::new();
    for _ in 0..=slot % LINE_INDEX_STRIDE {
        bytes.clear();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(String::new());
        }
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) if line == 1 => rest.to_string(),
        _ => text.into_owned(),
    })
}

/// A segment and the map of files, as the consumer of entries sees them.
pub struct View<'a> {
    /// The files.
    pub map: &'a SourceMap,
    /// The segment the entries are in (shared, so a consumer on another
    /// thread can keep it while the next one is read).
    pub segment: &'a Arc<Segment>,
}

impl View<'_> {
    /// The location of a position.
    pub fn location(&self, pos: SourcePos) -> Location {
        self.map.location(pos)
    }

    /// The text of a line of this segment.
    pub fn line_text(&self, pos: SourcePos) -> &str {
        self.segment.line(pos.line)
    }

    /// The text of a transaction block.
    pub fn block_text(&self, block: &TransactionBlock) -> &str {
        self.segment.block_text(block)
    }

    /// A byte range of the segment.
    pub fn text(&self, bytes: Range<usize>) -> &str {
        self.segment.text(bytes)
    }

    /// A diagnostic located at `pos` with that line as its excerpt.
    pub fn diagnostic_at(
        &self,
        code: Code,
        pos: SourcePos,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(code, message)
            .at(self.location(pos))
            .with_excerpt(vec![(pos.line, self.line_text(pos).to_string())])
    }

    /// A diagnostic about a whole transaction block, showing its lines.
    pub fn diagnostic_for_block(
        &self,
        code: Code,
        block: &TransactionBlock,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(code, message)
            .at(self.location(block.pos))
            .with_excerpt(self.segment.excerpt(block.pos.line, block.last_line, 12))
    }
}

/// What receives the entries of each segment, in journal order.
pub type Sink<'s> = dyn FnMut(&View<'_>, Vec<Entry>) + 's;

/// Reads `journal` (or `text`, when given, as if it were that file) and
/// everything it includes, confined to `root`, handing the entries of each
/// segment to `sink` in journal order.
///
/// # Errors
/// An I/O error opening the top journal itself (a usage problem: the user
/// named a file that is not there), or reading any file that opened (a
/// failing disk). Every problem inside the data, including includes that
/// cannot be opened, is a diagnostic.
pub fn stream(
    journal: &Path,
    root: &Path,
    text: Option<String>,
    diagnostics: &mut Diagnostics,
    sink: &mut Sink<'_>,
) -> std::io::Result<SourceMap> {
    stream_in_context(journal, root, text, diagnostics, sink, ReadContext::plain())
}

/// As [`stream`], starting from `context` instead of a plain one.
///
/// # Errors
/// As [`stream`].
pub fn stream_in_context(
    journal: &Path,
    root: &Path,
    text: Option<String>,
    diagnostics: &mut Diagnostics,
    sink: &mut Sink<'_>,
    context: ReadContext,
) -> std::io::Result<SourceMap> {
    stream_from(
        journal,
        root,
        text,
        diagnostics,
        sink,
        context,
        Digesting::Nothing,
    )
}

/// What tells whether a file's content changed between two reads (the
/// write path's fingerprints, [`stream_from`]'s digest): XXH3 with a 128-bit
/// result. It guards against accidental change (an editor saving, a script
/// appending), not against forgery, and reads at memory speed, where
/// SHA-256 took a fifth of an import of a large journal; the digests an
/// auditor sees (the annual report, the audit package) stay SHA-256.
pub(crate) type ContentHasher = xxhash_rust::xxh3::Xxh3;

/// Which digest of the journal file's bytes a load takes as it reads them
/// (kept in the map: [`SourceMap::digest`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Digesting {
    /// None.
    Nothing,
    /// The content digest ([`ContentHasher`]), which the write path checks
    /// its copy of the journal against.
    Content,
    /// The SHA-256 the annual report prints
    /// ([`crate::reports::annual::files_digest`] of the journal file alone),
    /// so the report need not read the journal a second time.
    Files,
}

/// A digest being taken of the journal file's bytes as they are read.
enum FileHasher {
    /// [`Digesting::Content`] (boxed: XXH3's state is large, and there is
    /// one hasher per load).
    Content(Box<ContentHasher>),
    /// [`Digesting::Files`]: the hasher, fed the file's name and size, and
    /// the size (the digest stands only if that many bytes are read).
    Files {
        hasher: sha2::Sha256,
        size_bytes: u64,
    },
}

impl FileHasher {
    /// Adds bytes read.
    fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest;
        match self {
            FileHasher::Content(hasher) => hasher.update(bytes),
            FileHasher::Files { hasher, .. } => hasher.update(bytes),
        }
    }

    /// The digest of a file read whole, `read_bytes` long.
    fn finish(self, read_bytes: u64) -> Option<Vec<u8>> {
        use sha2::Digest;
        match self {
            FileHasher::Content(hasher) => Some(content_digest(&hasher)),
            FileHasher::Files { hasher, size_bytes } => {
                (read_bytes == size_bytes).then(|| hasher.finalize().to_vec())
            }
        }
    }
}

/// How much of a file is read at once when it is streamed through a digest
/// or a copy (the write path's fingerprints and copy, the annual report's
/// SHA-256).
pub(crate) const PIECE_BYTES: usize = 1 << 20;

/// Reads `reader` to its end a piece of [`PIECE_BYTES`] at a time
/// (retrying interrupted reads), handing each piece to `each`, and returns
/// how many bytes it read; a read error becomes `read_failed`'s error.
pub(crate) fn for_each_piece<E>(
    reader: &mut impl std::io::Read,
    read_failed: impl FnOnce(std::io::Error) -> E,
    mut each: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<u64, E> {
    let mut piece = vec![0u8; PIECE_BYTES];
    let mut total: u64 = 0;
    loop {
        match reader.read(&mut piece) {
            Ok(0) => return Ok(total),
            Ok(read) => {
                each(&piece[..read])?;
                total = total.saturating_add(read as u64);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_failed(e)),
        }
    }
}

/// `bytes` as lower-case hexadecimal, two digits a byte: the one way a
/// digest is written as text (close records, the annual report's and the
/// audit package's SHA-256, import and receipt hashes).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The digest a [`ContentHasher`] has reached.
pub(crate) fn content_digest(hasher: &ContentHasher) -> Vec<u8> {
    hasher.digest128().to_be_bytes().to_vec()
}

/// As [`stream_in_context`], taking the digest `digesting` asks of the
/// journal file's bytes as read ([`SourceMap::digest`]).
///
/// # Errors
/// As [`stream`].
pub(crate) fn stream_from(
    journal: &Path,
    root: &Path,
    text: Option<String>,
    diagnostics: &mut Diagnostics,
    sink: &mut Sink<'_>,
    context: ReadContext,
    digesting: Digesting,
) -> std::io::Result<SourceMap> {
    let mut reader = Reader::new(root, diagnostics, sink, context);
    reader.digesting = digesting;
    match text {
        Some(text) => reader.scan_text(journal.to_path_buf(), text),
        None => {
            let file = open_regular(journal)?;
            reader.stream_file(journal.to_path_buf(), file, None);
        }
    }
    match reader.read_failure {
        Some(error) => Err(error),
        None => Ok(reader.map),
    }
}

/// Where text read by [`stream_continued`] goes: after the journal file
/// of a load that read `files` (the journal file first, now at `journal`,
/// and the files it includes) to its end in the state it started in
/// ([`SourceMap::ended_plain`]), as its lines `first_line`...
pub(crate) struct Continuation<'a> {
    /// The files the load read.
    pub(crate) files: &'a [PathBuf],
    /// Where the journal file is now (with the text after it).
    pub(crate) journal: &'a Path,
    /// The line the text starts at.
    pub(crate) first_line: u32,
    /// The byte of the file the text starts at: where a diagnostic's
    /// excerpt of one of its lines is looked for (not from the file's
    /// start, which on a large journal meant reading it all again).
    pub(crate) first_byte: u64,
    /// Where the journal file's segments started when the load read it
    /// ([`SourceMap::segment_starts_of`]): an excerpt of one of its lines
    /// reads that line's segment (none: the file is one part up to the
    /// text).
    pub(crate) segment_starts: &'a [(u32, u64)],
}

/// Reads `text` as the lines after the journal file of a load
/// ([`Continuation`]), starting from `context` as that load did: what a
/// load of the journal with `text` appended would read after the journal's
/// own entries, without reading the journal again.
///
/// # Errors
/// As [`stream`].
pub(crate) fn stream_continued(
    after: &Continuation<'_>,
    root: &Path,
    text: String,
    diagnostics: &mut Diagnostics,
    sink: &mut Sink<'_>,
    context: ReadContext,
) -> std::io::Result<SourceMap> {
    let Continuation {
        files,
        journal,
        first_line,
        first_byte,
        segment_starts,
    } = *after;
    let mut reader = Reader::new(root, diagnostics, sink, context);
    reader
        .stack
        .push((normalize(&absolute(journal)), journal.to_path_buf()));
    reader.map.add(journal.to_path_buf(), None);
    reader.map.follow(files);
    // The parts of the file: the journal's segments as the load read them,
    // then the text.
    let journal_starts = segment_starts
        .iter()
        .copied()
        .filter(|&(line, offset)| line < first_line && offset < first_byte);
    if segment_starts.first() != Some(&(1, 0)) {
        reader.map.note_segment_start(0, 1, 0);
    }
    for (line, offset) in journal_starts {
        reader.map.note_segment_start(0, line, offset);
    }
    if first_line > 1 {
        reader.map.note_segment_start(0, first_line, first_byte);
    }
    let mut state = ScanState {
        next_line: first_line,
        block_comment_end: None,
    };
    let segment = Arc::new(Segment::new(first_line, normalise(text, false, true)));
    reader.scan_segment(0, &mut state, segment);
    reader.map.ended_plain = reader
        .in_initial_state(&state)
        .then(|| state.next_line.saturating_sub(1));
    match reader.read_failure {
        Some(error) => Err(error),
        None => Ok(reader.map),
    }
}

/// Decodes journal bytes as UTF-8. Invalid UTF-8 becomes a located E106
/// diagnostic and the complete lines before the bad byte are kept, so the
/// rest of the file's problems are still reported. `first_line` is the line
/// number of the first byte.
pub fn decode(
    path: &Path,
    bytes: Vec<u8>,
    first_line: u32,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<String, String> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) => {
            let valid_up_to = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let newlines = memchr::memchr_iter(b'\n', &bytes[..valid_up_to]).count();
            let line = first_line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
            let line_start = memchr::memrchr(b'\n', &bytes[..valid_up_to])
                .map(|i| i + 1)
                .unwrap_or(0);
            let bad: Vec<String> = bytes[valid_up_to..]
                .iter()
                .take(4)
                .map(|b| format!("{b:02X}"))
                .collect();
            let shown = String::from_utf8_lossy(
                bytes[line_start..]
                    .split(|&b| b == b'\n')
                    .next()
                    .unwrap_or(&[]),
            )
            .into_owned();
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidUtf8,
                    format!(
                        "byte {} of the line (column {}) is not valid UTF-8",
                        valid_up_to - line_start,
                        valid_up_to - line_start + 1
                    ),
                )
                .at(Location {
                    path: path.to_path_buf(),
                    line,
                })
                .with_excerpt(vec![(line, shown)])
                .found(format!("the bytes {}", bad.join(" ")))
                .expected(
                    "a UTF-8 journal; convert Shift_JIS files with `iconv -f CP932 -t UTF-8`",
                ),
            );
            // The lines before the bad byte are valid UTF-8: kept without
            // a copy (the lossy branch is never taken).
            let mut valid = bytes;
            valid.truncate(line_start);
            Err(String::from_utf8(valid)
                .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()))
        }
    }
}

/// The end of the last whole entry in `bytes`: just after a `\n` that is
/// followed by a line starting with something other than white space.
fn entry_cut(bytes: &[u8]) -> Option<usize> {
    let mut end = bytes.len();
    while let Some(i) = memchr::memrchr(b'\n', &bytes[..end]) {
        if let Some(&next) = bytes.get(i + 1) {
            if !matches!(next, b' ' | b'\t' | b'\n' | b'\r') && i + 1 < bytes.len() {
                return Some(i + 1);
            }
        }
        end = i;
    }
    None
}

struct Reader<'d, 's> {
    map: SourceMap,
    /// The first error reading a file that opened (EIO...): it ends the load.
    read_failure: Option<std::io::Error>,
    /// How many includes were followed so far ([`INCLUDED_FILES_MAX`]).
    includes_followed: usize,
    /// How many bytes were read so far, over all files ([`TOTAL_BYTES_MAX`]).
    bytes_read: u64,
    /// Canonical paths of the files being read (for cycle detection), with
    /// the paths as the user reaches them (for messages).
    stack: Vec<(PathBuf, PathBuf)>,
    root: PathBuf,
    /// The root as the user named it.
    root_shown: PathBuf,
    diagnostics: &'d mut Diagnostics,
    sink: &'d mut Sink<'s>,
    /// What the directives read so far say about reading the next entries.
    context: ReadContext,
    /// `context`, shared with the blocks read under it (`None` while it is
    /// plain, so the common journal pays nothing).
    shared_context: Option<Arc<ReadContext>>,
    /// `apply account`/`apply tag`/`apply …` blocks open, innermost last:
    /// true for an `apply account`.
    applies: Vec<bool>,
    /// The context the load started from.
    initial: ReadContext,
    /// Which digest of the journal file's bytes to take.
    digesting: Digesting,
    /// That digest, while the journal file is read.
    digest: Option<FileHasher>,
    /// The buffers of segments dropped, to read the next ones into.
    pool: Arc<BufferPool>,
}

/// What is carried from one segment of a file to the next.
struct ScanState {
    /// The line number of the next segment's first line.
    next_line: u32,
    /// Inside `comment` ... `end comment`: the end word.
    block_comment_end: Option<&'static str>,
}
/// What kind of line a line is.
#[derive(Debug, PartialEq, Eq)]
enum LineKind<'a> {
    Blank,
    Comment,
    Indented,
    TransactionHeader,
    Price,
    Include(&'a str),
    Account(&'a str),
    Commodity(&'a str),
    /// `payee`, `tag`: declarations with no effect here.
    IgnoredDeclaration,
    /// `comment` or `test`: a block comment up to `end comment`/`end test`.
    BlockComment(&'a str),
    /// A directive that changes how later entries read (`Y`, `D`, `alias`,
    /// `apply`, `end`, `bucket`, `decimal-mark`): the word and the rest.
    Context(&'a str, &'a str),
    /// A periodic (`~`) or automated (`=`) transaction: never posted by
    /// itself.
    RuleBlock,
    Unsupported(&'a str),
    Unknown,
}

fn classify(line: &str) -> LineKind<'_> {
    let Some(first) = line.chars().next() else {
        return LineKind::Blank;
    };
    if first == ' ' || first == '\t' {
        return if line.trim_start().is_empty() {
            LineKind::Blank
        } else {
            LineKind::Indented
        };
    }
    if line.trim_end().is_empty() {
        return LineKind::Blank;
    }
    if matches!(first, ';' | '#' | '%' | '|' | '*') {
        return LineKind::Comment;
    }
    if first.is_ascii_digit() {
        return LineKind::TransactionHeader;
    }
    // ledger-cli's `!account` / `@account` spell directives with a prefix.
    let line = match line.strip_prefix(['!', '@']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase()) => rest,
        _ => line,
    };
    let (word, rest) = match line.find([' ', '\t']) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line.trim_end(), ""),
    };
    // `Y2014`: the year directive without a space.
    if let Some(year) = word.strip_prefix('Y') {
        if !year.is_empty() && year.bytes().all(|b| b.is_ascii_digit()) {
            return LineKind::Context("Y", year);
        }
    }
    match word {
        "P" => LineKind::Price,
        "include" => LineKind::Include(rest),
        "account" => LineKind::Account(strip_inline_comment(rest)),
        "commodity" => LineKind::Commodity(rest),
        "payee" | "tag" | "N" | "C" => LineKind::IgnoredDeclaration,
        "comment" | "test" => LineKind::BlockComment(word),
        "alias" | "apply" | "end" | "D" | "Y" | "year" | "bucket" | "A" | "decimal-mark" => {
            LineKind::Context(word, rest)
        }
        "define" | "def" | "assert" | "check" | "expr" | "eval" | "value" | "i" | "o" | "I"
        | "O" | "h" | "b" | "python" | "import" => LineKind::Unsupported(word),
        _ if first == '=' || first == '~' => LineKind::RuleBlock,
        _ => LineKind::Unknown,
    }
}

/// `name  ; comment` → `name`. Declarations end at two spaces, a tab, or `;`.
fn strip_inline_comment(text: &str) -> &str {
    let end = [text.find("  "), text.find('\t'), text.find(';')]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(text.len());
    text[..end].trim()
}

/// Reads a `commodity` directive's argument: `JPY`, `1000 JPY`, `1000.00 CNY`,
/// `$1,000.00`. Returns the symbol and, when a sample amount is shown, its
/// decimal places.
fn parse_commodity_directive(text: &str) -> Option<(String, Option<u32>)> {
    let text = text.trim();
    // A quoted symbol may hold spaces; the comment (if any) comes after it.
    if let Some(quoted) = text.strip_prefix('"') {
        let (symbol, after) = quoted.split_once('"')?;
        let after = strip_inline_comment(after);
        if symbol.is_empty() || !after.is_empty() {
            return None;
        }
        return Some((symbol.to_string(), None));
    }
    let text = strip_inline_comment(text);
    if let Some((before, quoted)) = text.split_once('"') {
        // `1000.00 "A B"`: the number before the quoted symbol.
        let (symbol, after) = quoted.split_once('"')?;
        if symbol.is_empty() || !after.trim().is_empty() {
            return None;
        }
        let number = before.trim();
        let precision = match number.rsplit_once('.') {
            _ if number.is_empty() => None,
            Some((_, fraction)) => u32::try_from(fraction.len()).ok(),
            None => Some(0),
        };
        return Some((symbol.to_string(), precision));
    }
    if text.is_empty()
        || text.contains(char::is_whitespace) && !text.contains(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    if !text.contains(|c: char| c.is_ascii_digit()) {
        return Some((text.to_string(), None));
    }
    let is_number_char = |c: char| c.is_ascii_digit() || c == '.' || c == ',' || c == '-';
    let number_start = text.find(|c: char| c.is_ascii_digit() || c == '-')?;
    let number_end = number_start
        + text[number_start..]
            .find(|c: char| !is_number_char(c))
            .unwrap_or(text.len() - number_start);
    let number = &text[number_start..number_end];
    let (before, after) = (text[..number_start].trim(), text[number_end..].trim());
    // The symbol is on one side of the number, a single word.
    let symbol = match (before.is_empty(), after.is_empty()) {
        (false, true) => before,
        (true, false) => after,
        _ => return None,
    };
    if symbol.contains(char::is_whitespace) {
        return None;
    }
    // The decimal mark is the last of `.` and `,` (`1.000,00 EUR`).
    let precision = match number.rfind(['.', ',']) {
        Some(at)
            if number[at..].starts_with(',')
                && !number.contains('.')
                && number.len() - at - 1 == 3 =>
        {
            Some(0)
        }
        Some(at) => u32::try_from(number.len() - at - 1).ok(),
        None => Some(0),
    };
    Some((symbol.to_string(), precision))
}

impl<'d, 's> Reader<'d, 's> {
    fn new(
        root: &Path,
        diagnostics: &'d mut Diagnostics,
        sink: &'d mut Sink<'s>,
        context: ReadContext,
    ) -> Self {
        Reader {
            map: SourceMap::default(),
            read_failure: None,
            includes_followed: 0,
            bytes_read: 0,
            stack: Vec::new(),
            root: normalize(&absolute(root)),
            root_shown: root.to_path_buf(),
            diagnostics,
            sink,
            shared_context: (!context.is_plain()).then(|| Arc::new(context.clone())),
            initial: context.clone(),
            context,
            applies: Vec::new(),
            digesting: Digesting::Nothing,
            digest: None,
            pool: Arc::default(),
        }
    }

    /// Reads a directive that changes how later entries read.
    fn read_context_directive(&mut self, word: &str, rest: &str) -> Result<(), String> {
        let raw = rest;
        let rest = strip_inline_comment(rest);
        let context = &mut self.context;
        match word {
            "Y" | "year" => {
                context.year = Some(
                    rest.parse()
                        .map_err(|_| "`Y YEAR`, e.g. `Y 2020`".to_string())?,
                );
            }
            "D" => {
                let (amount, _) = crate::read::grammar::parse_amount(rest, &ReadContext::default())
                    .map_err(|_| "`D AMOUNT`, e.g. `D $1,000.00`".to_string())?;
                context.default_commodity = Some(amount.commodity.into_owned());
                self.note_commodity_format(rest);
            }
            "bucket" | "A" if !rest.is_empty() => context.bucket = Some(rest.to_string()),
            "decimal-mark" if rest == "," || rest == "." => context.decimal_comma = rest == ",",
            "alias" => {
                // Not cut at a tab or two spaces: `alias a\t= b` is common.
                let text = raw.split(';').next().unwrap_or("");
                let (from, to) = text
                    .split_once('=')
                    .map(|(f, t)| (f.trim(), t.trim()))
                    .filter(|(f, _)| !f.is_empty())
                    .ok_or("`alias FROM = TO`")?;
                let position = context.aliases.len() + context.regex_aliases.len();
                match from.strip_prefix('/').and_then(|f| f.strip_suffix('/')) {
                    Some(regex) => {
                        if to.contains('\\') {
                            return Err("a regular-expression alias without back-references (`\\1`): groups are not read".to_string());
                        }
                        let pattern = crate::read::auto::Pattern::parse(regex).map_err(|m| {
                            format!("a regular-expression alias fundledger can read: {m}")
                        })?;
                        context
                            .regex_aliases
                            .push((position, pattern, to.to_string()));
                    }
                    None => context.aliases.push((from.to_string(), to.to_string())),
                }
            }
            "apply" => {
                let (kind, argument) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                let is_account = kind == "account";
                if is_account {
                    context.account_prefixes.push(argument.trim().to_string());
                } else if kind == "year" {
                    context.year = Some(
                        argument
                            .trim()
                            .parse()
                            .map_err(|_| "`apply year YEAR`".to_string())?,
                    );
                }
                self.applies.push(is_account);
            }
            "end" => match rest {
                "aliases" => {
                    context.aliases.clear();
                    context.regex_aliases.clear();
                }
                _ if rest.is_empty() || rest.starts_with("apply") || rest == "tag" => {
                    if self.applies.pop() == Some(true) {
                        context.account_prefixes.pop();
                    }
                }
                _ => return Err("`end`, `end apply …` or `end aliases`".to_string()),
            },
            _ => return Err(format!("`{word}` with an argument")),
        }
        self.shared_context = (!self.context.is_plain()).then(|| Arc::new(self.context.clone()));
        Ok(())
    }

    /// `commodity 1.000,00 EUR`: amounts of EUR use a decimal comma;
    /// `commodity $1,000.00` (or `D $1,000.00`): `,` groups digits in `$`.
    fn note_commodity_format(&mut self, argument: &str) {
        let argument = strip_inline_comment(argument);
        let Some(last_mark) = argument.rfind(['.', ',']) else {
            return;
        };
        let after = &argument[last_mark + 1..];
        let decimals = after.chars().take_while(char::is_ascii_digit).count();
        if decimals == 0 {
            return;
        }
        let decimal_comma =
            argument[last_mark..].starts_with(',') && (argument.contains('.') || decimals != 3);
        let symbol: String = argument
            .chars()
            .filter(|c| !c.is_ascii_digit() && !matches!(c, '.' | ',' | '-' | ' ' | '"'))
            .collect();
        let list = if decimal_comma {
            &mut self.context.comma_commodities
        } else {
            &mut self.context.point_commodities
        };
        if !symbol.is_empty() && !list.contains(&symbol) {
            list.push(symbol);
            self.shared_context = Some(Arc::new(self.context.clone()));
        }
    }

    /// A whole file given as text (an in-memory journal).
    fn scan_text(&mut self, path: PathBuf, text: String) {
        let segment = Arc::new(Segment::new(1, normalise(text, true, true)));
        let file = self.map.add(path.clone(), Some(Arc::clone(&segment)));
        self.stack.push((normalize(&absolute(&path)), path));
        let mut state = ScanState {
            next_line: 1,
            block_comment_end: None,
        };
        self.scan_segment(file, &mut state, segment);
        self.stack.pop();
    }

    /// A file read segment by segment.
    fn stream_file(&mut self, path: PathBuf, file: std::fs::File, included_from: Option<Location>) {
        let index = self.map.add(path.clone(), None);
        let size_bytes = file.metadata().map(|m| m.len());
        let too_big = size_bytes
            .as_ref()
            .is_ok_and(|&size| size > FILE_SIZE_MAX_BYTES);
        if too_big {
            let mut d = Diagnostic::new(
                Code::LimitExceeded,
                format!(
                    "{} is larger than {FILE_SIZE_MAX_BYTES} bytes, the most fundledger reads",
                    path.display()
                ),
            );
            d.location = included_from;
            self.diagnostics.push(d);
            return;
        }
        self.stack.push((normalize(&absolute(&path)), path.clone()));
        if self.stack.len() == 1 {
            self.digest = match (self.digesting, size_bytes) {
                (Digesting::Nothing, _) | (Digesting::Files, Err(_)) => None,
                (Digesting::Content, _) => {
                    Some(FileHasher::Content(Box::new(ContentHasher::new())))
                }
                (Digesting::Files, Ok(size_bytes)) => {
                    use sha2::Digest;
                    let mut hasher = sha2::Sha256::new();
                    crate::reports::annual::digest_file_head(
                        &mut hasher,
                        &self.root_shown,
                        &path,
                        size_bytes,
                    );
                    Some(FileHasher::Files { hasher, size_bytes })
                }
            };
        }
        let mut state = ScanState {
            next_line: 1,
            block_comment_end: None,
        };
        let mut source = file;
        // The segment being read: what was left after the last cut, then
        // what is read after it.
        let mut carry: Vec<u8> = self.pool.take(SEGMENT_BYTES + ENTRY_CARRY_BYTES);
        let mut at_end = false;
        let mut first = true;
        let mut wanted = SEGMENT_BYTES;
        let mut file_bytes: u64 = 0;
        // Where in the file the segment being read starts.
        let mut segment_offset: u64 = 0;
        loop {
            while !at_end && carry.len() < wanted {
                let missing = (wanted - carry.len()) as u64;
                let before = carry.len();
                // Room for all of it (and a final newline), so the buffer is
                // never copied to grow while it is read into.
                carry.reserve(wanted - before + 1);
                match (&mut source).take(missing).read_to_end(&mut carry) {
                    Ok(0) => at_end = true,
                    Ok(read) => {
                        if let (Some(digest), 1) = (self.digest.as_mut(), self.stack.len()) {
                            digest.update(&carry[before..]);
                        }
                        file_bytes = file_bytes.saturating_add(read as u64);
                        self.bytes_read = self.bytes_read.saturating_add(read as u64);
                        let over = if file_bytes > FILE_SIZE_MAX_BYTES {
                            Some(format!(
                                "{} is larger than {FILE_SIZE_MAX_BYTES} bytes, the most fundledger reads",
                                path.display()
                            ))
                        } else if self.bytes_read > TOTAL_BYTES_MAX {
                            Some(format!(
                                "the journal and its includes pass {TOTAL_BYTES_MAX} bytes, the most fundledger reads in one load"
                            ))
                        } else {
                            None
                        };
                        if let Some(message) = over {
                            let mut d = Diagnostic::new(Code::LimitExceeded, message);
                            d.location = included_from.clone().or_else(|| {
                                Some(Location {
                                    path: path.clone(),
                                    line: state.next_line,
                                })
                            });
                            self.diagnostics.push(d);
                            self.stack.pop();
                            return;
                        }
                    }
                    Err(error) => {
                        // A failing disk is not a fact about the data: the
                        // load stops with an I/O error (exit 2).
                        self.read_failure.get_or_insert(std::io::Error::new(
                            error.kind(),
                            format!("{}: {error}", path.display()),
                        ));
                        self.stack.pop();
                        return;
                    }
                }
            }
            if carry.is_empty() {
                break;
            }
            let cut = if at_end {
                carry.len()
            } else {
                match entry_cut(&carry) {
                    Some(cut) => cut,
                    None if carry.len() >= ENTRY_BYTES_MAX => {
                        let d = Diagnostic::new(
                            Code::LimitExceeded,
                            format!(
                                "an entry of {} is longer than {ENTRY_BYTES_MAX} bytes, the most fundledger reads",
                                path.display()
                            ),
                        )
                        .at(Location {
                            path: path.clone(),
                            line: state.next_line,
                        });
                        self.diagnostics.push(d);
                        self.stack.pop();
                        return;
                    }
                    None => {
                        // One entry longer than a segment: read more.
                        wanted = wanted.saturating_mul(2).min(ENTRY_BYTES_MAX);
                        continue;
                    }
                }
            };
            // The entry after the cut starts the next segment's buffer.
            let rest = carry.len() - cut;
            let next = if rest == 0 && at_end {
                Vec::new()
            } else {
                let mut next = self.pool.take(SEGMENT_BYTES + rest.max(ENTRY_CARRY_BYTES));
                next.extend_from_slice(&carry[cut..]);
                next
            };
            carry.truncate(cut);
            let bytes = std::mem::replace(&mut carry, next);
            self.map
                .note_segment_start(index, state.next_line, segment_offset);
            segment_offset = segment_offset.saturating_add(cut as u64);
            let last = at_end && carry.is_empty();
            let mut decoding = Vec::new();
            let (text, stop) = match decode(&path, bytes, state.next_line, &mut decoding) {
                Ok(text) => (text, false),
                Err(valid_prefix) => (valid_prefix, true),
            };
            self.diagnostics.extend(decoding);
            let text = normalise(text, first, last || stop);
            first = false;
            let mut segment = Segment::new(state.next_line, text);
            segment.pool = Some(Arc::clone(&self.pool));
            let segment = Arc::new(segment);
            self.scan_segment(index, &mut state, segment);
            if stop {
                // Not read to its end: no digest stands for what was read.
                self.digest = None;
            }
            if stop || last {
                break;
            }
            wanted = SEGMENT_BYTES;
        }
        if self.stack.len() == 1 {
            if let Some(digest) = self.digest.take() {
                self.map.digest = digest.finish(file_bytes);
            }
            self.map.ended_plain = self
                .in_initial_state(&state)
                .then(|| state.next_line.saturating_sub(1));
        }
        self.stack.pop();
    }

    /// Whether the reading of the journal file is back where it started: the
    /// starting context, no `apply` open, no block comment open.
    fn in_initial_state(&self, state: &ScanState) -> bool {
        self.context == self.initial && self.applies.is_empty() && state.block_comment_end.is_none()
    }

    fn scan_segment(&mut self, file_index: u32, state: &mut ScanState, segment: Arc<Segment>) {
        let text = &segment.text;
        let mut offset = 0usize;
        let mut line_number = state.next_line.saturating_sub(1);
        let mut block: Option<TransactionBlock> = None;
        // Whether `block` is a transaction, an automated transaction
        // (`= QUERY`) or a periodic one (`~ PERIOD`).
        let mut automated = BlockKind::Transaction;
        // Indented lines after a declaration belong to it and are skipped.
        let mut in_declaration = false;
        // The entries, in order (a transaction takes about 260 bytes), and
        // what comes between them: includes and line diagnostics, each
        // with the number of entries before it.
        let mut pending = Pending {
            entries: Vec::with_capacity(text.len() / 256 + 1),
            between: Vec::new(),
            waiting: 0,
        };
        while offset < text.len() {
            // The common case: posting lines only extend the block before
            // them (and lines indented under a declaration only belong to
            // it); one cheap pass finds where they end.
            if (block.is_some() || in_declaration) && state.block_comment_end.is_none() {
                let (after, lines) = indented_run(text.as_bytes(), offset);
                if lines > 0 {
                    line_number = line_number.saturating_add(lines);
                    if let Some(b) = block.as_mut() {
                        b.bytes.end = after;
                        b.last_line = line_number;
                    }
                    offset = after;
                    if offset >= text.len() {
                        break;
                    }
                }
            }
            line_number = line_number.saturating_add(1);
            let end = memchr::memchr(b'\n', &text.as_bytes()[offset..])
                .map(|i| offset + i)
                .unwrap_or(text.len());
            let line = &text[offset..end];
            let next_offset = (end + 1).min(text.len());
            let pos = SourcePos {
                file: file_index,
                line: line_number,
            };
            if line.len() > LINE_LENGTH_MAX_BYTES {
                if let Some(b) = block.take() {
                    pending.entries.push(block_entry(b, automated));
                }
                pending.defer(self.diagnostics, Between::Diagnostic(
                    Diagnostic::new(
                        Code::LimitExceeded,
                        format!("line is {} bytes long; fundledger reads lines of at most {LINE_LENGTH_MAX_BYTES} bytes", line.len()),
                    ),
                    pos,
                ));
                offset = next_offset;
                continue;
            }
            if let Some(end_word) = state.block_comment_end {
                if line.trim_end() == end_word {
                    state.block_comment_end = None;
                }
                offset = next_offset;
                continue;
            }
            let kind = classify(line);
            if kind != LineKind::Indented {
                in_declaration = false;
            }
            match kind {
                LineKind::Indented => {
                    if let Some(b) = block.as_mut() {
                        b.bytes.end = next_offset;
                        b.last_line = line_number;
                    } else if !in_declaration {
                        pending.defer(self.diagnostics, Between::Diagnostic(
                            Diagnostic::new(Code::Unparsable, "indented line outside a transaction")
                                .found("a line starting with a space that follows no transaction header")
                                .expected("a transaction header (a date) before posting lines, or no indentation"),
                            pos,
                        ));
                    }
                }
                other => {
                    if let Some(b) = block.take() {
                        pending.entries.push(block_entry(b, automated));
                    }
                    match other {
                        LineKind::Blank | LineKind::Comment | LineKind::Indented => {}
                        LineKind::TransactionHeader => {
                            automated = BlockKind::Transaction;
                            block = Some(TransactionBlock {
                                pos,
                                bytes: offset..next_offset,
                                last_line: line_number,
                                context: self.shared_context.clone(),
                            });
                        }
                        LineKind::RuleBlock => {
                            automated = if line.starts_with('=') {
                                BlockKind::Automated
                            } else {
                                BlockKind::Periodic
                            };
                            block = Some(TransactionBlock {
                                pos,
                                bytes: offset..next_offset,
                                last_line: line_number,
                                context: self.shared_context.clone(),
                            });
                        }
                        LineKind::Price => pending.entries.push(Entry::Price { pos, bytes: offset..end, context: self.shared_context.clone() }),
                        LineKind::Context(word, rest) => {
                            if let Err(expected) = self.read_context_directive(word, rest) {
                                pending.between.push((pending.entries.len(), Between::Diagnostic(
                                    Diagnostic::new(Code::UnsupportedDirective, format!("fundledger cannot read this `{word}` directive"))
                                        .expected(expected),
                                    pos,
                                )));
                            }
                        }
                        LineKind::Include(target) => pending.between.push((pending.entries.len(), Between::Include(pos, target.to_string()))),
                        LineKind::Account(name) => {
                            in_declaration = true;
                            if name.is_empty() {
                                pending.defer(self.diagnostics, Between::Diagnostic(
                                    Diagnostic::new(Code::Unparsable, "account directive without an account name").expected("`account NAME`"),
                                    pos,
                                ));
                            } else {
                                pending.entries.push(Entry::Account {
                                    name: name.to_string(),
                                });
                            }
                        }
                        LineKind::Commodity(argument) => {
                            in_declaration = true;
                            self.note_commodity_format(argument);
                            match parse_commodity_directive(argument) {
                                Some((symbol, precision)) => pending.entries.push(Entry::Commodity { symbol, precision }),
                                None => pending.defer(self.diagnostics, Between::Diagnostic(
                                    Diagnostic::new(Code::Unparsable, "commodity directive without a commodity")
                                        .expected("`commodity SYMBOL` or `commodity 1000.00 SYMBOL`"),
                                    pos,
                                )),
                            }
                        }
                        LineKind::IgnoredDeclaration => in_declaration = true,
                        LineKind::BlockComment(word) => {
                            state.block_comment_end = Some(if word == "test" { "end test" } else { "end comment" });
                        }
                        LineKind::Unsupported(word) => {
                            in_declaration = true;
                            pending.defer(self.diagnostics, Between::Diagnostic(
                                Diagnostic::new(Code::UnsupportedDirective, format!("fundledger does not support the `{word}` directive"))
                                    .expected("transactions, `P` prices, `include`, `account`, `commodity`, `payee`, `tag` and comments; rewrite the entries it produces as plain transactions"),
                                pos,
                            ));
                        }
                        LineKind::Unknown => pending.defer(self.diagnostics, Between::Diagnostic(
                            Diagnostic::new(Code::Unparsable, "line is not a transaction, price, directive or comment")
                                .expected("a transaction header starting with a date (2000-04-01), `P`, a directive, or a comment starting with `;`"),
                            pos,
                        )),
                    }
                }
            }
            offset = next_offset;
        }
        if let Some(b) = block.take() {
            pending.entries.push(block_entry(b, automated));
        }
        state.next_line = line_number.saturating_add(1);
        // Hand the entries on in order; an include is read where it stands.
        let Pending {
            mut entries,
            between,
            ..
        } = pending;
        let mut handed_on = 0;
        for (before, item) in between {
            match item {
                Between::Diagnostic(d, pos) => {
                    let excerpt = vec![(pos.line, segment.line(pos.line).to_string())];
                    self.diagnostics
                        .push(d.at(self.map.location(pos)).with_excerpt(excerpt));
                }
                Between::Include(pos, target) => {
                    let batch: Vec<Entry> = entries.drain(..before - handed_on).collect();
                    handed_on = before;
                    self.flush(&segment, batch);
                    self.include(&segment, pos, &target);
                }
            }
        }
        self.flush(&segment, entries);
    }

    fn flush(&mut self, segment: &Arc<Segment>, batch: Vec<Entry>) {
        if batch.is_empty() {
            return;
        }
        let view = View {
            map: &self.map,
            segment,
        };
        (self.sink)(&view, batch);
    }

    fn include(&mut self, segment: &Segment, pos: SourcePos, target: &str) {
        let target = strip_inline_comment(target).trim_matches('"');
        let located = |map: &SourceMap, code: Code, message: String| {
            Diagnostic::new(code, message)
                .at(map.location(pos))
                .with_excerpt(vec![(pos.line, segment.line(pos.line).to_string())])
        };
        if target.is_empty() {
            let d = located(
                &self.map,
                Code::Unparsable,
                "include without a file name".into(),
            );
            self.diagnostics
                .push(d.expected("`include FILE`, relative to the including file"));
            return;
        }
        if target.contains(['*', '?', '[']) || target.starts_with('~') {
            let d = located(
                &self.map,
                Code::UnsupportedDirective,
                format!("include of {target:?}: glob patterns and `~` are not supported"),
            );
            self.diagnostics.push(d.expected("a plain relative path"));
            return;
        }
        let including = &self.map.paths[pos.file as usize];
        let base = including.parent().unwrap_or(Path::new(""));
        let path = base.join(target);
        let canonical = normalize(&absolute(&path));
        if Path::new(target).is_absolute() || !canonical.starts_with(&self.root) {
            let d = located(
                &self.map,
                Code::IncludeOutsideLedger,
                format!("include of {target:?} leaves the ledger directory"),
            );
            self.diagnostics.push(d.expected(format!(
                "a relative path to a file inside the ledger directory {}",
                self.root_shown.display()
            )));
            return;
        }
        if self.stack.iter().any(|(c, _)| *c == canonical) {
            let chain: Vec<String> = self
                .stack
                .iter()
                .map(|(_, shown)| shown.display().to_string())
                .collect();
            let d = located(
                &self.map,
                Code::IncludeCycle,
                format!("include of {target:?} includes a file that is already being read"),
            );
            self.diagnostics.push(
                d.found(format!(
                    "the chain {} → {}",
                    chain.join(" → "),
                    path.display()
                ))
                .expected("each file included once along any chain"),
            );
            return;
        }
        if self.includes_followed >= INCLUDED_FILES_MAX {
            let d = located(
                &self.map,
                Code::LimitExceeded,
                format!("include of {target:?} passes {INCLUDED_FILES_MAX} includes in one load"),
            );
            self.diagnostics.push(d.expected(format!(
                "at most {INCLUDED_FILES_MAX} includes in all (a file included twice counts twice)"
            )));
            return;
        }
        self.includes_followed += 1;
        if self.stack.len() >= INCLUDE_DEPTH_MAX {
            let d = located(
                &self.map,
                Code::LimitExceeded,
                format!("include of {target:?} is nested more than {INCLUDE_DEPTH_MAX} deep"),
            );
            self.diagnostics.push(d);
            return;
        }
        match open_regular(&path) {
            Ok(file) => self.stream_file(path, file, Some(self.map.location(pos))),
            Err(error) => {
                let d = located(
                    &self.map,
                    Code::IncludeNotFound,
                    format!("cannot read included file {}: {error}", path.display()),
                );
                self.diagnostics
                    .push(d.expected("an existing, readable file"));
            }
        }
    }
}

/// What a segment's scan hands on after it: the entries, and what comes
/// between them.
struct Pending {
    entries: Vec<Entry>,
    /// Includes and line diagnostics, each with the number of entries
    /// before it.
    between: Vec<(usize, Between)>,
    /// Line diagnostics waiting in `between` (see [`Pending::defer`]).
    waiting: usize,
}

impl Pending {
    /// Queues `item` for after the segment. A line diagnostic waits only
    /// while fewer than [`crate::model::diagnostic::DIAGNOSTICS_MAX`] do;
    /// past that it is counted as left out at once, so a segment of bad
    /// lines holds bounded memory.
    fn defer(&mut self, diagnostics: &mut Diagnostics, item: Between) {
        if let Between::Diagnostic(d, _) = &item {
            if self.waiting >= crate::model::diagnostic::DIAGNOSTICS_MAX {
                diagnostics.omit(d);
                return;
            }
            self.waiting += 1;
        }
        self.between.push((self.entries.len(), item));
    }
}

/// From `offset`, a line start, the lines that only extend the block or
/// declaration before them: indented (a space or a tab first) with a
/// printable ASCII character after the indentation, and within
/// [`LINE_LENGTH_MAX_BYTES`]. Returns where the first other line starts and
/// how many lines were passed. Every line it passes, [`classify`] calls
/// [`LineKind::Indented`]; the lines it stops at (blank, non-ASCII after the
/// indentation, too long, not indented) are left to the line-by-line scan.
fn indented_run(bytes: &[u8], mut offset: usize) -> (usize, u32) {
    let mut lines = 0u32;
    while let Some(b' ' | b'\t') = bytes.get(offset) {
        let mut content = offset + 1;
        while let Some(b' ' | b'\t') = bytes.get(content) {
            content += 1;
        }
        if !bytes.get(content).is_some_and(u8::is_ascii_graphic) {
            break;
        }
        let end = memchr::memchr(b'\n', &bytes[content..]).map_or(bytes.len(), |i| content + i);
        if end - offset > LINE_LENGTH_MAX_BYTES {
            break;
        }
        offset = (end + 1).min(bytes.len());
        lines = lines.saturating_add(1);
    }
    (offset, lines)
}

/// A finished block as the entry it is.
/// What a block of lines is.
#[derive(Clone, Copy)]
enum BlockKind {
    Transaction,
    Automated,
    Periodic,
}

fn block_entry(block: TransactionBlock, kind: BlockKind) -> Entry {
    match kind {
        BlockKind::Transaction => Entry::Transaction(block),
        BlockKind::Automated => Entry::Automated(block),
        BlockKind::Periodic => Entry::Periodic(block),
    }
}

/// What comes between a segment's entries.
enum Between {
    Include(SourcePos, String),
    Diagnostic(Diagnostic, SourcePos),
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|dir| dir.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Resolves `.` and `..` lexically and follows symlinks of the parts that
/// exist, so that `a/../../x` cannot slip out of the root.
fn normalize(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_writes_two_lower_case_digits_a_byte_as_format_does() {
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), expected);
        assert_eq!(hex(&[]), "");
    }

    /// Scans text; returns the entries with their texts, and the diagnostics.
    fn scan(text: &str) -> (Vec<(Entry, String)>, Vec<Diagnostic>) {
        let mut diagnostics = Diagnostics::default();
        let mut entries = Vec::new();
        let mut sink = |view: &View<'_>, batch: Vec<Entry>| {
            for e in &batch {
                let text = match e {
                    Entry::Transaction(b) => view.block_text(b).to_string(),
                    Entry::Price { bytes, .. } => view.text(bytes.clone()).to_string(),
                    _ => String::new(),
                };
                entries.push((e.clone(), text));
            }
        };
        stream(
            Path::new("t.ledger"),
            Path::new("."),
            Some(text.to_string()),
            &mut diagnostics,
            &mut sink,
        )
        .unwrap();
        (entries, diagnostics.sorted())
    }

    #[test]
    fn normalises_bom_crlf_and_final_newline() {
        let text = normalise("\u{feff}a\r\nb".into(), true, true);
        assert_eq!(text, "a\nb\n");
        let segment = Segment::new(7, text);
        assert_eq!(segment.line(7), "a");
        assert_eq!(segment.line(8), "b");
        assert_eq!(segment.line(9), "");
        assert_eq!(segment.line(6), "");
    }

    #[test]
    fn crlf_is_removed_in_place_and_a_lone_cr_kept() {
        for (text, expected) in [
            ("a\r\nb\r\n", "a\nb\n"),
            ("a\rb\r\n\r", "a\rb\n\r"),
            ("\r\r\n\r\n", "\r\n\n"),
            ("é\r\n日本\r\n", "é\n日本\n"),
            ("no cr\n", "no cr\n"),
        ] {
            assert_eq!(without_crlf(text.to_string()), expected, "{text:?}");
            assert_eq!(without_crlf(text.to_string()), text.replace("\r\n", "\n"));
        }
    }

    #[test]
    fn the_indented_run_passes_only_lines_classify_calls_indented() {
        let lines = [
            "    Assets:Bank  10 JPY",
            "\tExpenses:Food",
            "  ; comment",
            "    ",
            "  \u{3000}",
            "  \u{3000}Assets",
            " \x0c x",
            "",
            "2000-01-01 x",
            "; top comment",
            "  \x7f",
        ];
        // Every sequence of three of them: the run stops at the first line
        // that is not plainly indented, and passes only Indented lines.
        for a in lines {
            for b in lines {
                for c in lines {
                    let text = format!("{a}\n{b}\n{c}\n");
                    let (after, passed) = indented_run(text.as_bytes(), 0);
                    let kinds: Vec<bool> = [a, b, c]
                        .iter()
                        .map(|l| classify(l) == LineKind::Indented)
                        .collect();
                    assert!(kinds[..passed as usize].iter().all(|&k| k), "{text:?}");
                    let starts = [0, a.len() + 1, a.len() + b.len() + 2, text.len()];
                    assert_eq!(after, starts[passed as usize], "{text:?}");
                }
            }
        }
        let long = format!("  {}\n  B\n", "x".repeat(LINE_LENGTH_MAX_BYTES));
        assert_eq!(indented_run(long.as_bytes(), 0), (0, 0));
        assert_eq!(indented_run(b"  A\n  B", 0), (7, 2));
    }

    #[test]
    fn a_dropped_segment_gives_its_buffer_back() {
        let pool = Arc::new(BufferPool::default());
        let buffer = pool.take(100);
        let address = buffer.as_ptr();
        let mut segment = Segment::new(1, String::from_utf8(buffer).unwrap());
        segment.text.push_str("2000-01-01 x\n");
        segment.pool = Some(Arc::clone(&pool));
        drop(segment);
        let again = pool.take(10);
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), address, "the buffer is used again");
        // A buffer grown past twice a segment is not kept.
        pool.give(Vec::with_capacity(3 * SEGMENT_BYTES));
        assert!(pool.free.lock().unwrap().is_empty());
    }

    #[test]
    fn entries_before_an_include_are_handed_on_before_its_entries() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("inner.ledger"),
            "2000-01-02 inner\n  A  1 X\n  B\n",
        )
        .unwrap();
        let main = dir.path().join("main.ledger");
        std::fs::write(
            &main,
            "2000-01-01 first\n  A  1 X\n  B\nnonsense\ninclude inner.ledger\n2000-01-03 last\n  A  1 X\n  B\n",
        )
        .unwrap();
        let mut diagnostics = Diagnostics::default();
        let mut order = Vec::new();
        let mut sink = |view: &View<'_>, batch: Vec<Entry>| {
            for e in &batch {
                if let Entry::Transaction(b) = e {
                    order.push(view.block_text(b).lines().next().unwrap().to_string());
                }
            }
        };
        stream(&main, dir.path(), None, &mut diagnostics, &mut sink).unwrap();
        assert_eq!(
            order,
            ["2000-01-01 first", "2000-01-02 inner", "2000-01-03 last"]
        );
        let lines: Vec<u32> = diagnostics
            .sorted()
            .iter()
            .map(|d| d.location.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, [4]);
    }

    #[test]
    fn cuts_segments_at_entry_starts() {
        assert_eq!(
            entry_cut(b"2000-01-01 x\n  A  1 X\n  B\n2000-01-02 y\n  A"),
            Some(26)
        );
        assert_eq!(entry_cut(b"2000-01-01 x\n  A  1 X\n  B"), None);
        assert_eq!(entry_cut(b"P 2000 X 1 Y\n\n\nP 2000"), Some(15));
    }

    #[test]
    fn cuts_blocks_and_declarations() {
        let (entries, diagnostics) = scan(
            "; comment\naccount Assets:Bank\n  note the bank\ncommodity 1000.00 CNY\n\n2000-04-01 * Payee\n    ; header comment\n    Assets:Bank  10 JPY\n    Income:Gift\nP 2000-04-01 CNY 13 JPY\n",
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(entries.len(), 4);
        match &entries[2] {
            (Entry::Transaction(b), text) => {
                assert_eq!(b.pos.line, 6);
                assert_eq!(b.last_line, 9);
                assert!(text.ends_with("Income:Gift\n"));
            }
            other => panic!("expected a transaction, got {other:?}"),
        }
        match &entries[1].0 {
            Entry::Commodity {
                symbol, precision, ..
            } => {
                assert_eq!(symbol, "CNY");
                assert_eq!(*precision, Some(2));
            }
            other => panic!("expected a commodity, got {other:?}"),
        }
        assert_eq!(entries[3].1, "P 2000-04-01 CNY 13 JPY");
    }

    #[test]
    fn large_files_stream_in_segments_with_the_right_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.ledger");
        let mut text = String::new();
        let count = SEGMENT_BYTES / 60 + 5000;
        for i in 0..count {
            text.push_str(&format!(
                "2000-01-01 * Payee {i}\n    Expenses:Food  1 JPY\n    Assets:Bank\n\n"
            ));
        }
        std::fs::write(&path, &text).unwrap();
        let mut diagnostics = Diagnostics::default();
        let (mut blocks, mut segments) = (0usize, std::collections::HashSet::new());
        let mut sink = |view: &View<'_>, batch: Vec<Entry>| {
            for e in &batch {
                if let Entry::Transaction(b) = e {
                    assert_eq!(b.pos.line as usize, blocks * 4 + 1);
                    assert!(view.block_text(b).starts_with("2000-01-01 * Payee"));
                    blocks += 1;
                }
            }
            segments.insert(view.segment.first_line);
        };
        stream(&path, dir.path(), None, &mut diagnostics, &mut sink).unwrap();
        assert!(diagnostics.as_slice().is_empty());
        assert_eq!(blocks, count);
        assert!(segments.len() > 1, "one segment only");
    }

    #[test]
    fn lines_are_read_back_from_the_segment_they_are_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.ledger");
        let mut lines = vec!["; first line".to_string()];
        let count = 2 * SEGMENT_BYTES / 70 + 3000;
        for i in 0..count {
            lines.push(format!("2000-01-01 * Payee {i}"));
            lines.push(format!("    Expenses:Food  {i} JPY"));
            lines.push("    Assets:Bank".to_string());
            lines.push(String::new());
        }
        // A byte-order mark and CRLF line ends: neither is in a line read back.
        let text = format!("\u{feff}{}\r\n", lines.join("\r\n"));
        std::fs::write(&path, &text).unwrap();
        let mut diagnostics = Diagnostics::default();
        let mut segments = std::collections::HashSet::new();
        let mut sink = |view: &View<'_>, _: Vec<Entry>| {
            segments.insert(view.segment.first_line);
        };
        let map = stream(&path, dir.path(), None, &mut diagnostics, &mut sink).unwrap();
        assert!(segments.len() > 2, "{segments:?}");
        let mut wanted: Vec<u32> = vec![1, 2, 3, lines.len() as u32];
        for &first in &segments {
            wanted.extend([first.saturating_sub(1), first, first + 1, first + 300]);
        }
        for line in wanted.into_iter().filter(|&line| line > 0) {
            let expected = lines.get(line as usize - 1).cloned().unwrap_or_default();
            assert_eq!(
                map.line_text(SourcePos { file: 0, line }),
                expected,
                "line {line}"
            );
        }
        assert_eq!(
            map.line_text(SourcePos {
                file: 0,
                line: lines.len() as u32 + 5
            }),
            ""
        );
        assert_eq!(map.line_text(SourcePos { file: 0, line: 0 }), "");
    }

    #[test]
    fn unsupported_and_unknown_lines_are_located() {
        let (_, diagnostics) = scan("define x=1\nnonsense here\n  stray posting\n");
        let codes: Vec<(Code, u32)> = diagnostics
            .iter()
            .map(|d| (d.code, d.location.as_ref().unwrap().line))
            .collect();
        assert_eq!(
            codes,
            vec![
                (Code::UnsupportedDirective, 1),
                (Code::Unparsable, 2),
                (Code::Unparsable, 3)
            ]
        );
    }

    #[test]
    fn commodity_directive_forms() {
        assert_eq!(parse_commodity_directive("JPY"), Some(("JPY".into(), None)));
        assert_eq!(
            parse_commodity_directive("1000 JPY"),
            Some(("JPY".into(), Some(0)))
        );
        assert_eq!(
            parse_commodity_directive("$1,000.00"),
            Some(("$".into(), Some(2)))
        );
        assert_eq!(parse_commodity_directive("1000."), None);
        assert_eq!(parse_commodity_directive("\"1\""), Some(("1".into(), None)));
        assert_eq!(
            parse_commodity_directive("1000.00 \"A B\""),
            Some(("A B".into(), Some(2)))
        );
        assert_eq!(
            parse_commodity_directive("\"A  B\"  ; comment"),
            Some(("A  B".into(), None))
        );
        assert_eq!(
            parse_commodity_directive("modity 1000.00 CN:C"),
            None,
            "a symbol on both sides of the number"
        );
        assert_eq!(
            parse_commodity_directive("CNY  ; yuan"),
            Some(("CNY".into(), None))
        );
    }
}
