//! Loading: files → entries → parsed blocks → a validated [`Journal`].
//!
//! The pipeline, each stage a function:
//!
//! 1. `crate::read::source::read_journal` reads and scans the files (sequential:
//!    includes must be followed in order);
//! 2. every transaction block is processed **in parallel**, in chunks, by
//!    `Context::process`: parsed (`crate::read::parse`: the fast path, else
//!    ledger-parser), its postings given funds and checked against the
//!    declarations, its elided amount filled, balanced per commodity and per
//!    fund, and its conversion and interfund postings made. Blocks are
//!    independent, so this needs nothing but read-only settings;
//! 3. `Builder` commits the processed transactions in order: it interns
//!    names and lays the postings out flat. This is the only sequential
//!    step per transaction;
//! 4. `crate::load::checks` runs the checks that need the whole journal in date
//!    order (balance assertions, restricted funds, date order);
//! 5. [`Journal::verify_invariants`] confirms the double-entry invariants.
//!
//! A transaction with an error is reported and left out of the journal, so
//! the journal handed back always balances; reports refuse to run while any
//! error is reported.

pub(crate) mod checks;
mod lane;
pub mod progress;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::load::progress::Step as Progress;
use crate::model::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::journal::index_u32;
use crate::model::journal::{
    AccountId, Assertion, BalanceCheck, CommodityId, Cost, CostKind, FundId, InvariantViolation,
    Journal, Names, Origin, Posting, PostingExtra, PostingKind, Price, Status, TagStore,
    Transaction, TransactionExtra, NO_EXTRA,
};
use crate::model::money::{self, Decimal, MultiAmount};
use crate::model::settings::Settings;
use crate::read::auto::{AutoAmount, AutoRule};
use crate::read::grammar::ReadContext;
use crate::read::parse::{self, BlockError};
use crate::read::raw::{RawAmount, RawAssertion, RawTag, RawTransaction};
use crate::read::source::{
    self, Digesting, Entry, Segment, SourceMap, SourcePos, TransactionBlock, View,
    POSTINGS_PER_TRANSACTION_MAX,
};

/// How many blocks are processed in parallel before they are committed:
/// bounds the memory held by processed-but-uncommitted transactions. A
/// segment holds about four chunks, so that the merge of each chunk but
/// the segment's last runs beside the processing of the next.
///
/// Small under test, so that names interned in one chunk are known in the
/// next and the common lane is exercised on small ledgers.
const CHUNK_BLOCKS: usize = if cfg!(test) { 64 } else { 4 * 1024 };

/// A loaded journal and everything found wrong with it.
#[derive(Debug)]
pub struct Loaded {
    /// The journal: every transaction that had no error.
    pub journal: Journal,
    /// The errors and warnings, in file and line order: the first
    /// [`crate::model::diagnostic::DIAGNOSTICS_MAX`] found.
    pub diagnostics: Vec<Diagnostic>,
    /// Errors found but not kept in `diagnostics` (past the limit).
    pub omitted_errors: usize,
    /// Warnings found but not kept in `diagnostics` (past the limit).
    pub omitted_warnings: usize,
    /// How long each loading phase took (for `--timings`).
    pub timings: Vec<(&'static str, Duration)>,
    /// The number of lines of the journal file when text appended to it
    /// can be loaded by [`load_continued`] instead of loading everything
    /// again: the journal was read from its file, reading it found nothing
    /// to report (the whole-journal checks may have: a continued load runs
    /// them again on all of it), and it was read to its end in the state
    /// it started in.
    pub(crate) continuable: Option<u32>,
    /// Where the journal file's segments start (line, byte), when it is
    /// [`Loaded::continuable`]: a continued load finds an old line for an
    /// excerpt from there, reading one segment, not the whole file.
    pub(crate) segment_starts: Vec<(u32, u64)>,
    /// The content digest (XXH3-128, `read::source::ContentHasher`) of the
    /// journal file's bytes as loaded, when asked for ([`load_digested`]).
    pub(crate) digest: Option<Vec<u8>>,
    /// The annual report's SHA-256 of the journal file, as read, when
    /// asked for ([`load_with_files_digest`]) and the file was read whole.
    files_digest: Option<String>,
    /// How many blocks the common lane laid out (the rest went the
    /// general way).
    pub(crate) common_lane_blocks: usize,
}

impl Loaded {
    /// The digest [`crate::reports::annual::files_digest`] gives of the
    /// journal file alone (in hexadecimal), taken as the file was read:
    /// when the load was asked for it ([`load_with_files_digest`]), read the
    /// journal from its file and read that file whole. The journal may
    /// include other files: the digest of the journal's files is this one
    /// only when [`Journal::files`] is the journal file alone.
    pub fn files_digest(&self) -> Option<&str> {
        self.files_digest.as_deref()
    }

    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.omitted_errors > 0 || self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The number of errors, kept or not.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count() + self.omitted_errors
    }

    /// The number of warnings, kept or not.
    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - (self.error_count() - self.omitted_errors) + self.omitted_warnings
    }

    /// How many transactions the loader's common lane read (the plain ones,
    /// checked with decisions made once per name; the rest went the
    /// general way): what `--timings` reports beside the phases.
    pub fn common_lane_blocks(&self) -> usize {
        self.common_lane_blocks
    }

    /// A line saying how many diagnostics were found but not kept, when any
    /// were.
    pub fn omitted_note(&self) -> Option<String> {
        let omitted = self.omitted_errors + self.omitted_warnings;
        (omitted > 0).then(|| {
            format!(
                "... and {} more error(s) and {} more warning(s) not shown (fundledger keeps the first {}); fix these and run it again",
                self.omitted_errors,
                self.omitted_warnings,
                crate::model::diagnostic::DIAGNOSTICS_MAX
            )
        })
    }
}

/// Why loading could not even start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The journal file named by the user cannot be read.
    #[error("cannot read {}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        error: std::io::Error,
    },
    /// A fundledger bug: the built journal broke an invariant.
    #[error(transparent)]
    Invariant(InvariantViolation),
}

/// Loads the journal named by `settings`.
///
/// # Errors
/// [`LoadError::Io`] when the journal file itself cannot be read. Problems in
/// the data are diagnostics in the [`Loaded`] value.
pub fn load(settings: Settings) -> Result<Loaded, LoadError> {
    load_file(settings, Digesting::Nothing)
}

/// Loads the journal file named by `settings`, taking the digest
/// `digesting` asks of its bytes as they are read.
fn load_file(settings: Settings, digesting: Digesting) -> Result<Loaded, LoadError> {
    let journal = settings.journal.clone();
    build(settings, &journal, None, Vec::new(), None, digesting)
}

/// As [`load`], keeping the content digest (XXH3-128) of the journal
/// file's bytes as they were read ([`Loaded::digest`]), so a writer can
/// tell that the file it fingerprints after the load holds the content it
/// loaded.
///
/// # Errors
/// As [`load`].
pub(crate) fn load_digested(settings: Settings) -> Result<Loaded, LoadError> {
    load_file(settings, Digesting::Content)
}

/// As [`load`], taking the SHA-256 the annual report prints of a journal
/// of one file ([`crate::reports::annual::files_digest`]) as the journal
/// file is read ([`Loaded::files_digest`]), so the report need not read the
/// file again: on a large journal that second read would run beside the
/// load and slow it.
///
/// # Errors
/// As [`load`].
pub fn load_with_files_digest(settings: Settings) -> Result<Loaded, LoadError> {
    load_file(settings, Digesting::Files)
}

/// Loads the journal of `loaded` with `text` appended to its file, whose
/// copy with the text appended is now at `path` (lines `first_line`... are
/// the text, from byte `first_byte` on), without reading the journal again:
/// the journal's entries are taken from `loaded` and only the text is read,
/// then the whole-journal checks run on all of it. The result is what [`load`] of `path` gives
/// (same transactions, same diagnostics), provided `loaded` is
/// [`Loaded::continuable`] and `path` holds exactly the bytes `loaded` was
/// read from, then the text; [`crate::write`] makes sure of both.
///
/// # Errors
/// As [`load`].
pub(crate) fn load_continued(
    settings: Settings,
    loaded: Loaded,
    path: &Path,
    first_line: u32,
    first_byte: u64,
    text: String,
) -> Result<Loaded, LoadError> {
    build(
        settings,
        path,
        Some(text),
        Vec::new(),
        Some(Continuing {
            journal: loaded.journal,
            first_line,
            first_byte,
            segment_starts: loaded.segment_starts,
        }),
        Digesting::Nothing,
    )
}

/// Loads journal text held in memory, as if read from `path` (which is only
/// used in messages and to resolve includes).
///
/// # Errors
/// Only [`LoadError::Invariant`], which would be a fundledger bug.
pub fn load_text(settings: Settings, path: &Path, text: String) -> Result<Loaded, LoadError> {
    build(
        settings,
        path,
        Some(text),
        Vec::new(),
        None,
        Digesting::Nothing,
    )
}

/// Loads journal bytes held in memory (checked as UTF-8 like a file).
///
/// # Errors
/// Only [`LoadError::Invariant`], which would be a fundledger bug.
pub fn load_bytes(settings: Settings, path: &Path, bytes: &[u8]) -> Result<Loaded, LoadError> {
    let mut diagnostics = Vec::new();
    let text = source::decode(path, bytes.to_vec(), 1, &mut diagnostics)
        .unwrap_or_else(|valid_prefix| valid_prefix);
    build(
        settings,
        path,
        Some(text),
        diagnostics,
        None,
        Digesting::Nothing,
    )
}

/// A loaded journal to go on from ([`load_continued`]): the text read
/// starts at `first_line`, byte `first_byte` of the journal's file, whose
/// lines before are found from `segment_starts`.
struct Continuing {
    journal: Journal,
    first_line: u32,
    first_byte: u64,
    segment_starts: Vec<(u32, u64)>,
}

/// A segment's entries, sent by the reader thread to the loader.
struct Batch {
    segment: Arc<Segment>,
    entries: Vec<Entry>,
    /// Every file read so far, when the reader opened one since the last
    /// batch.
    files: Option<Vec<PathBuf>>,
}

/// How many segments the reader may be ahead of the loader: bounds the
/// text held in memory (a few segments of [`source::SEGMENT_BYTES`]).
const SEGMENTS_AHEAD: usize = 1;

/// How long each loading phase took.
#[derive(Default)]
struct Phases {
    waiting: Duration,
    processing: Duration,
    merging: Duration,
}

/// Streams the journal through the parallel processing, segment by
/// segment, then runs the whole-journal checks.
///
/// The files are read and scanned on a thread of their own, a few
/// segments ahead, while this thread hands each segment's blocks to the
/// parallel processing (parse, check, balance and lay out, in runs of
/// [`RUN_BLOCKS`]) and merges the laid-out runs in journal order.
///
/// With `continuing` (a journal and a line), `text` is read as lines of the
/// journal's file from that line on, after the journal's own entries (see
/// [`load_continued`]).
fn build(
    settings: Settings,
    path: &Path,
    text: Option<String>,
    decoded: Vec<Diagnostic>,
    continuing: Option<Continuing>,
    digesting: Digesting,
) -> Result<Loaded, LoadError> {
    let started = Instant::now();
    let mut scanned = Diagnostics::default();
    scanned.extend(decoded);
    let from_file = text.is_none();
    // A typical journal line is about 60 bytes, a transaction four lines.
    let expected_bytes = match &text {
        Some(t) => t.len() as u64,
        None => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
    };
    let expected_transactions = usize::try_from(expected_bytes / 260).unwrap_or(0);
    let (mut builder, continued) = match continuing {
        Some(Continuing {
            journal,
            first_line,
            first_byte,
            segment_starts,
        }) => {
            let files = journal.files.clone();
            let mut builder = Builder::resume(&settings, journal);
            builder.reserve(expected_transactions);
            (
                builder,
                Some((files, first_line, first_byte, segment_starts)),
            )
        }
        None => {
            let mut builder = Builder::new(&settings);
            builder.reserve(expected_transactions);
            (builder, None)
        }
    };
    let rules = if settings.auto {
        automated_rules(&settings, path, text.clone(), &mut scanned)
    } else {
        Vec::new()
    };
    let initial = ReadContext {
        refuse_ambiguous_comma: settings.from_file,
        ..ReadContext::plain()
    };
    let root = settings.root.clone();
    let mut phases = Phases::default();
    let what = format!(
        "loading {}",
        path.file_name()
            .unwrap_or(path.as_os_str())
            .to_string_lossy()
    );
    settings.progress.tell(Progress::Begin {
        what: &what,
        total: expected_bytes,
    });
    let (streamed, scanned, reading) = std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Batch>(SEGMENTS_AHEAD);
        // A thread that cannot be started is an I/O error (exit 2), not a
        // panic.
        let reader = std::thread::Builder::new().spawn_scoped(scope, move || {
            let reading_started = Instant::now();
            let mut blocked = Duration::ZERO;
            let mut files_sent = 0;
            let mut sink = |view: &View<'_>, entries: Vec<Entry>| {
                let paths = view.map.paths();
                let files = (paths.len() > files_sent).then(|| {
                    files_sent = paths.len();
                    paths.to_vec()
                });
                let lap = Instant::now();
                // The loader only stops receiving when it panicked; the
                // panic is what the caller sees.
                let _ = sender.send(Batch {
                    segment: Arc::clone(view.segment),
                    entries,
                    files,
                });
                blocked += lap.elapsed();
            };
            let streamed = match (continued, text) {
                (Some((files, first_line, first_byte, segment_starts)), Some(text)) => {
                    source::stream_continued(
                        &source::Continuation {
                            files: &files,
                            journal: path,
                            first_line,
                            first_byte,
                            segment_starts: &segment_starts,
                        },
                        &root,
                        text,
                        &mut scanned,
                        &mut sink,
                        initial,
                    )
                }
                (_, text) => source::stream_from(
                    path,
                    &root,
                    text,
                    &mut scanned,
                    &mut sink,
                    initial,
                    digesting,
                ),
            };
            let reading = reading_started.elapsed().saturating_sub(blocked);
            (streamed, scanned, reading)
        });
        let reader = match reader {
            Ok(reader) => reader,
            Err(error) => return (Err(error), Diagnostics::default(), Duration::ZERO),
        };
        let mut files = SourceMap::default();
        loop {
            let lap = Instant::now();
            let Ok(batch) = receiver.recv() else {
                break;
            };
            phases.waiting += lap.elapsed();
            if let Some(paths) = &batch.files {
                files.follow(paths);
            }
            let view = View {
                map: &files,
                segment: &batch.segment,
            };
            settings
                .progress
                .tell(Progress::Advance(batch.segment.text.len() as u64));
            consume(
                &settings,
                &rules,
                &view,
                batch.entries,
                &mut builder,
                &mut phases,
            );
        }
        match reader.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    let map = streamed.map_err(|error| LoadError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let mut timings = vec![
        ("read and scan files (reader thread, overlapped)", reading),
        ("wait for the reader", phases.waiting),
        (
            "parse, check, balance and lay out (runs of 256 blocks, side by side when there are several; the merge beside it)",
            phases.processing,
        ),
        (
            "merge into the journal, verifying it (overlapped but the last chunk's)",
            phases.merging,
        ),
    ];
    builder.diagnostics.absorb(scanned);
    let common_lane_blocks = builder.common_lane_blocks;
    let (journal, mut diagnostics, violation) = builder.finish(&map);
    // Whether reading found nothing to report: what a continued load
    // needs, as it reads only the text after the journal (the whole-journal
    // checks below it runs again on all of it, so what they report does not
    // stand in its way).
    let read_clean =
        diagnostics.as_slice().is_empty() && diagnostics.omitted() == (0, 0) && violation.is_none();
    let lap = Instant::now();
    diagnostics.extend(crate::load::checks::run(&journal, &map));
    timings.push((
        if crate::parallel::worth_it(journal.transactions().len()) {
            "whole-journal checks (parallel)"
        } else {
            "whole-journal checks (a small journal: the closed years' digests on a second thread)"
        },
        lap.elapsed(),
    ));
    settings.progress.tell(Progress::End);
    // A journal with amounts too long to sum (E205, reported above) may
    // overflow when summed too: that is the data's fault, already located.
    let overflow_reported = diagnostics.omitted().0 > 0
        || diagnostics
            .as_slice()
            .iter()
            .any(|d| d.code == Code::Overflow);
    match violation {
        Some(_) if overflow_reported => {}
        Some(violation) => return Err(LoadError::Invariant(violation)),
        None => {}
    }
    timings.push(("total", started.elapsed()));
    let (omitted_errors, omitted_warnings) = diagnostics.omitted();
    let continuable = map
        .ended_plain()
        .filter(|_| from_file && rules.is_empty() && read_clean);
    let segment_starts = if continuable.is_some() {
        map.segment_starts_of(0).to_vec()
    } else {
        Vec::new()
    };
    Ok(Loaded {
        journal,
        diagnostics: diagnostics.sorted(),
        omitted_errors,
        omitted_warnings,
        timings,
        continuable,
        segment_starts,
        digest: map
            .digest()
            .filter(|_| digesting == Digesting::Content)
            .map(<[u8]>::to_vec),
        files_digest: map
            .digest()
            .filter(|_| digesting == Digesting::Files)
            .map(source::hex),
        common_lane_blocks,
    })
}

/// Loads one segment's entries: declarations first, then the transaction
/// blocks in chunks (each processed and laid out in parallel runs, the runs
/// merged in order), then the prices.
fn consume(
    settings: &Settings,
    rules: &[AutoRule],
    view: &View<'_>,
    entries: Vec<Entry>,
    builder: &mut Builder<'_>,
    phases: &mut Phases,
) {
    builder.declare(&entries);
    let context = Context::new(settings, view, rules);
    let blocks: Vec<&TransactionBlock> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Transaction(b) => Some(b),
            _ => None,
        })
        .collect();
    // Each chunk is processed on the cores while the one before it is
    // merged: the merge is sequential, so it runs beside the processing
    // (which reads a snapshot of the name tables taken before it).
    let mut processed: Option<Vec<Vec<Step<'_>>>> = None;
    for chunk in blocks.chunks(CHUNK_BLOCKS) {
        let lap = Instant::now();
        let snapshot = builder.snapshot(&context);
        let tables = snapshot.tables();
        let context = &context;
        let earlier = processed.take();
        let merging = &mut phases.merging;
        let merge_earlier = || {
            if let Some(steps) = earlier {
                let lap = Instant::now();
                merge(context, builder, steps);
                *merging += lap.elapsed();
            }
        };
        let steps = if chunk.len() <= RUN_BLOCKS {
            // One run: done here, without waking the thread pool (a small
            // ledger loads without starting it).
            merge_earlier();
            vec![context.lay_out(chunk, &tables, &snapshot.verdicts)]
        } else {
            rayon::join(
                || {
                    chunk
                        .par_chunks(RUN_BLOCKS)
                        .map(|run| context.lay_out(run, &tables, &snapshot.verdicts))
                        .collect::<Vec<_>>()
                },
                merge_earlier,
            )
            .0
        };
        phases.processing += lap.elapsed();
        processed = Some(steps);
    }
    if let Some(steps) = processed {
        let lap = Instant::now();
        merge(&context, builder, steps);
        phases.merging += lap.elapsed();
    }
    for entry in &entries {
        match entry {
            Entry::Price {
                pos,
                bytes,
                context,
            } => {
                let context = context.as_deref().unwrap_or(&PLAIN_CONTEXT);
                builder.add_price(view, *pos, view.text(bytes.clone()), context);
            }
            Entry::Periodic(block) => {
                let context = block.context.as_deref().unwrap_or(&PLAIN_CONTEXT);
                match crate::model::budget::read_entry(
                    view.block_text(block),
                    context,
                    block.pos,
                    settings,
                ) {
                    Ok(budget) => builder.budget.push(budget),
                    Err(error) => {
                        let pos = SourcePos {
                            file: block.pos.file,
                            line: block
                                .pos
                                .line
                                .saturating_add(error.line_in_block.saturating_sub(1)),
                        };
                        builder.diagnostics.push(
                            view.diagnostic_at(error.code, pos, error.message)
                                .expected(error.expected),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// Commits processed transactions in order: lays out the runs, and
/// balances each transaction with balance assignments against the journal
/// before it.
fn merge<'a>(context: &Context<'_>, builder: &mut Builder<'_>, steps: Vec<Vec<Step<'a>>>) {
    for step in steps.into_iter().flatten() {
        match step {
            Step::Laid(run) => builder.append_run(run),
            Step::Assigning(mut transaction) => {
                match context.resolve_assignments(&mut transaction, builder) {
                    Ok(()) => {
                        let mut run = Run::default();
                        run.add(transaction, &builder.name_tables());
                        builder.append_run(run);
                    }
                    Err(problems) => builder.diagnostics.extend(problems),
                }
            }
        }
    }
}

/// Reads every automated transaction of the journal (a first pass, made
/// only under `--auto`, since a rule applies to the transactions before it
/// too). A rule that cannot be read is a diagnostic at its line; the other
/// problems of this pass are the main pass's to report.
fn automated_rules(
    settings: &Settings,
    path: &Path,
    text: Option<String>,
    diagnostics: &mut Diagnostics,
) -> Vec<AutoRule> {
    let mut rules = Vec::new();
    let mut ignored = Diagnostics::default();
    let mut sink = |view: &View<'_>, entries: Vec<Entry>| {
        for entry in &entries {
            let Entry::Automated(block) = entry else {
                continue;
            };
            let context = block.context.as_deref().unwrap_or(&PLAIN_CONTEXT);
            match crate::read::auto::parse_rule(view.block_text(block), context) {
                Ok(rule) => rules.push(rule),
                Err(error) => {
                    let pos = SourcePos {
                        file: block.pos.file,
                        line: block
                            .pos
                            .line
                            .saturating_add(error.line_in_block.saturating_sub(1)),
                    };
                    diagnostics.push(
                        view.diagnostic_at(error.code, pos, error.message)
                            .expected(error.expected),
                    );
                }
            }
        }
    };
    // An I/O error here is the main pass's to report.
    let _ = source::stream(path, &settings.root, text, &mut ignored, &mut sink);
    rules
}

/// Each account's own balance per commodity (for balance assignments).
type RunningBalances = HashMap<(AccountId, CommodityId), Decimal>;

/// The context of a block no directive changes.
static PLAIN_CONTEXT: ReadContext = ReadContext::plain();

/// What is left over per commodity: (symbol, amount).
type Residuals = Vec<(String, Decimal)>;

/// What every transaction is checked against: read-only, shared by the
/// threads that process blocks.
struct Context<'s> {
    settings: &'s Settings,
    /// The segment being processed.
    view: &'s View<'s>,
    /// The precision `fundledger.toml` declares per commodity symbol
    /// (precisions from `commodity` directives, which may come later in the
    /// journal, are checked after loading, with the declarations).
    precisions: HashMap<&'s str, u32>,
    /// Declared fund ids, if the settings declare funds.
    declared_funds: Option<HashSet<&'s str>>,
    /// Automated transactions to apply (`--auto`).
    rules: &'s [AutoRule],
}

/// A posting ready to commit: names as text, and their ids when the names
/// were already known before this chunk (looked up in parallel).
struct ProcessedPosting<'a> {
    known_ids: Option<(AccountId, FundId, CommodityId)>,
    account: Cow<'a, str>,
    fund: Cow<'a, str>,
    quantity: Decimal,
    commodity: Cow<'a, str>,
    kind: PostingKind,
    origin: Origin,
    status: Status,
    line: u32,
    cost: Option<Box<(CostKind, RawAmount<'a>, Decimal)>>,
    assertion: Option<Box<RawAssertion<'a>>>,
    tags: Vec<RawTag<'a>>,
    comment: Option<Cow<'a, str>>,
}

/// A transaction with balance assignments (`ACCOUNT  = AMOUNT`): the
/// postings whose amount is what brings the account to the amount, and the
/// elided postings to fill after them.
struct PendingAssignments<'a> {
    /// Posting index and the balance it assigns (`None`: `= 0`).
    assignments: Vec<(usize, Option<RawAmount<'a>>)>,
    elided: Vec<usize>,
}

/// A transaction that balances, ready to commit.
struct Processed<'a> {
    block: &'a TransactionBlock,
    /// Balance assignments still to resolve against the running balances
    /// (so balancing waits until the transactions before it are committed).
    pending: Option<Box<PendingAssignments<'a>>>,
    /// Warnings about the transaction (rounding residuals).
    warnings: Vec<Diagnostic>,
    raw_header: RawTransaction<'a>,
    postings: Vec<ProcessedPosting<'a>>,
}

impl<'s> Context<'s> {
    fn new(settings: &'s Settings, view: &'s View<'s>, rules: &'s [AutoRule]) -> Self {
        Context {
            settings,
            view,
            rules,
            precisions: settings
                .commodities
                .iter()
                .map(|c| (c.symbol.as_str(), c.precision))
                .collect(),
            declared_funds: (!settings.funds.is_empty())
                .then(|| settings.funds.iter().map(|f| f.id.as_str()).collect()),
        }
    }

    /// A diagnostic about one posting line, shown under its header.
    fn posting_diagnostic(
        &self,
        block: &TransactionBlock,
        line: u32,
        code: Code,
        message: String,
    ) -> Diagnostic {
        let pos = SourcePos {
            file: block.pos.file,
            line,
        };
        let mut excerpt = vec![(block.pos.line, self.view.line_text(block.pos).to_string())];
        if line != block.pos.line {
            excerpt.push((line, self.view.line_text(pos).to_string()));
        }
        Diagnostic::new(code, message)
            .at(self.view.location(pos))
            .with_excerpt(excerpt)
    }

    fn block_diagnostic(
        &self,
        block: &TransactionBlock,
        code: Code,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.view.diagnostic_for_block(code, block, message)
    }

    fn parse_error(&self, block: &TransactionBlock, error: BlockError) -> Diagnostic {
        let line = block
            .pos
            .line
            .saturating_add(error.line_in_block.saturating_sub(1));
        self.posting_diagnostic(block, line, error.code, error.message)
            .expected(error.expected)
    }

    /// Processes consecutive blocks and lays them out, in order: runs of
    /// laid-out transactions, broken by each transaction with balance
    /// assignments (which the merge balances against the journal before
    /// it).
    fn lay_out<'a>(
        &'a self,
        blocks: &[&'a TransactionBlock],
        known: &NameTables<'_>,
        verdicts: &lane::Verdicts,
    ) -> Vec<Step<'a>> {
        let mut steps = Vec::new();
        let mut run = Run::for_blocks(blocks);
        let mut scratch = lane::Scratch::default();
        let lane = self.rules.is_empty() && common_lane_enabled();
        for block in blocks {
            if lane && self.lay_out_common(block, known, verdicts, &mut scratch, &mut run) {
                run.common_lane_blocks += 1;
                continue;
            }
            match self.process(block, known) {
                Ok(processed) if processed.pending.is_some() => {
                    steps.push(Step::Laid(std::mem::take(&mut run)));
                    steps.push(Step::Assigning(processed));
                }
                Ok(processed) => run.add(processed, known),
                Err(problems) => run.diagnostics.extend(problems),
            }
        }
        steps.push(Step::Laid(run));
        steps
    }

    /// Parses, checks and balances one transaction block.
    fn process<'a>(
        &'a self,
        block: &'a TransactionBlock,
        known: &NameTables<'_>,
    ) -> Result<Processed<'a>, Vec<Diagnostic>> {
        let context = block.context.as_deref().unwrap_or(&PLAIN_CONTEXT);
        let mut raw = parse::parse_in_context(self.view.block_text(block), context)
            .map_err(|e| vec![self.parse_error(block, e)])?;
        // The limit counts the postings a person wrote; the interfund
        // postings `print` writes out (tagged `fundledger: interfund`, at
        // most one per fund, so per posting) may come on top, so that
        // whatever loads also loads once printed.
        let printed_interfund = raw
            .postings
            .iter()
            .filter(|p| {
                p.tags
                    .iter()
                    .any(|t| t.name == "fundledger" && t.value == "interfund")
            })
            .count();
        let written = raw.postings.len() - printed_interfund;
        if written > POSTINGS_PER_TRANSACTION_MAX
            || printed_interfund > POSTINGS_PER_TRANSACTION_MAX
        {
            return Err(vec![self.block_diagnostic(
                block,
                Code::LimitExceeded,
                if printed_interfund == 0 {
                    format!("transaction has {written} postings; fundledger reads at most {POSTINGS_PER_TRANSACTION_MAX}")
                } else {
                    format!("transaction has {written} postings and {printed_interfund} interfund postings written by `print`; fundledger reads at most {POSTINGS_PER_TRANSACTION_MAX} of each")
                },
            )]);
        }
        let mut problems = Vec::new();
        let header_fund = raw.fund.take();
        if let Some(message) = name_problem("payee", &raw.payee) {
            problems.push(
                self.block_diagnostic(block, Code::Unparsable, message)
                    .expected("a payee of printable characters (tabs allowed; no ESC, NUL, bidirectional overrides...)"),
            );
        }
        if let Some(problem) = fund_tag_problem(&raw.tags, raw.comment.as_deref()) {
            problems.push(
                self.block_diagnostic(block, Code::UnknownFund, problem.to_string())
                    .expected("at most one `; fund: NAME` tag, with a fund id"),
            );
        }
        let mut postings = Vec::with_capacity(raw.postings.len() + 2);
        let mut elided = Vec::new();
        let mut assignments = Vec::new();
        for p in std::mem::take(&mut raw.postings) {
            let line = block.pos.line.saturating_add(p.line_in_block.max(1) - 1);
            if let Some(problem) = fund_tag_problem(&p.tags, p.comment.as_deref()) {
                problems.push(
                    self.posting_diagnostic(block, line, Code::UnknownFund, problem.into())
                        .expected("at most one `; fund: NAME` tag, with a fund id"),
                );
            }
            let fund = match p.fund.or_else(|| header_fund.clone()) {
                Some(name) => self.check_fund(block, line, name, &mut problems),
                None => Cow::Borrowed(self.settings.default_fund.as_str()),
            };
            self.check_account(block, line, &p.account, p.kind, &mut problems);
            let tags = p.tags;
            let (quantity, commodity, cost, origin) = match p.amount {
                None if p.assertion.is_some() => {
                    let target = match p.assertion.as_deref() {
                        Some(RawAssertion::Amount(a)) => Some(a.clone()),
                        _ => None,
                    };
                    assignments.push((postings.len(), target));
                    (Decimal::ZERO, Cow::Borrowed(""), None, Origin::Elided)
                }
                None => {
                    if p.kind == PostingKind::UnbalancedVirtual {
                        let d = self.posting_diagnostic(
                            block,
                            line,
                            Code::Unparsable,
                            "a virtual posting in ( ) has no amount".into(),
                        );
                        problems.push(d.expected(
                            "an amount: ( ) postings are never balanced, so none can be inferred",
                        ));
                        continue;
                    }
                    elided.push(postings.len());
                    (Decimal::ZERO, Cow::Borrowed(""), None, Origin::Elided)
                }
                Some(amount) => {
                    self.check_precision(
                        block,
                        line,
                        amount.quantity,
                        &amount.commodity,
                        &mut problems,
                    );
                    let cost = match p.cost.map(|c| *c) {
                        None => None,
                        Some(cost) if cost.amount.commodity == amount.commodity => {
                            let d = self.posting_diagnostic(
                                block,
                                line,
                                Code::Unparsable,
                                format!(
                                    "a cost in {}, the posting's own commodity",
                                    amount.commodity
                                ),
                            );
                            problems.push(d.expected("a cost (`@`/`@@`) in another commodity than the amount, or no cost"));
                            continue;
                        }
                        Some(cost) if cost.amount.quantity.is_sign_negative() => {
                            let d = self.posting_diagnostic(
                                block,
                                line,
                                Code::Unparsable,
                                format!(
                                    "a negative cost ({} {})",
                                    cost.amount.quantity, cost.amount.commodity
                                ),
                            );
                            problems.push(d.expected(
                                "a cost (`@`/`@@`) of zero or more; the sign belongs on the amount",
                            ));
                            continue;
                        }
                        Some(cost) => {
                            let weight = match cost.kind {
                                CostKind::PerUnit => {
                                    money::checked_mul_exact(amount.quantity, cost.amount.quantity)
                                }
                                CostKind::Total => Ok(if amount.quantity.is_sign_negative() {
                                    -cost.amount.quantity.abs()
                                } else {
                                    cost.amount.quantity.abs()
                                }),
                            };
                            match weight {
                                Ok(weight) => Some((cost.kind, cost.amount, weight)),
                                Err(_) => {
                                    let d = self.posting_diagnostic(
                                        block,
                                        line,
                                        Code::Overflow,
                                        "the cost of this posting overflows".into(),
                                    );
                                    problems
                                        .push(d.expected("amounts within 28 significant digits"));
                                    continue;
                                }
                            }
                        }
                    };
                    (amount.quantity, amount.commodity, cost, Origin::Written)
                }
            };
            postings.push(ProcessedPosting {
                known_ids: None,
                account: p.account,
                fund,
                quantity,
                commodity,
                kind: p.kind,
                origin,
                status: p.status,
                line,
                cost: cost.map(Box::new),
                assertion: p.assertion,
                tags,
                comment: p.comment,
            });
        }
        let mut warnings = Vec::new();
        if problems.is_empty() && !assignments.is_empty() {
            return Ok(Processed {
                block,
                pending: Some(Box::new(PendingAssignments {
                    assignments,
                    elided,
                })),
                warnings,
                raw_header: raw,
                postings,
            });
        }
        if problems.is_empty() {
            if let Err(d) = self.balance(block, &mut postings, &elided, &mut warnings) {
                problems.push(*d);
            }
        }
        if problems.is_empty() && !self.rules.is_empty() {
            if let Err(d) = self.apply_rules(block, &raw.payee, &mut postings) {
                problems.push(*d);
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        for p in &mut postings {
            p.known_ids = known.ids(&p.account, &p.fund, &p.commodity);
        }
        Ok(Processed {
            block,
            pending: None,
            warnings,
            raw_header: raw,
            postings,
        })
    }

    fn check_fund<'a>(
        &'a self,
        block: &TransactionBlock,
        line: u32,
        name: Cow<'a, str>,
        problems: &mut Vec<Diagnostic>,
    ) -> Cow<'a, str> {
        if self.fund_known(&name) {
            return name;
        }
        let d = self.posting_diagnostic(
            block,
            line,
            Code::UnknownFund,
            format!("unknown fund {name:?}"),
        );
        let expected = match &self.declared_funds {
            Some(_) => {
                let ids: Vec<&str> = self.settings.funds.iter().map(|f| f.id.as_str()).collect();
                format!("one of the funds in fundledger.toml: {}", ids.join(", "))
            }
            None => "`; fund: NAME`".to_string(),
        };
        problems.push(d.pointing_at_last(&name).expected(expected));
        Cow::Borrowed(self.settings.default_fund.as_str())
    }

    fn check_account(
        &self,
        block: &TransactionBlock,
        line: u32,
        account: &str,
        kind: PostingKind,
        problems: &mut Vec<Diagnostic>,
    ) {
        let Some(trouble) = self.account_trouble(account, kind) else {
            return;
        };
        let d = self.posting_diagnostic(block, line, trouble.code(), trouble.message(account));
        let d = match trouble {
            AccountTrouble::Unclassified => d.pointing_at(account),
            _ => d,
        };
        problems.push(d.expected(trouble.expected(self.settings)));
    }

    /// What is wrong with an account name on a posting of `kind`, if
    /// anything: the one rule both the general path and the common lane
    /// (through its verdicts) apply.
    fn account_trouble(&self, account: &str, kind: PostingKind) -> Option<AccountTrouble> {
        if account.is_empty() {
            return Some(AccountTrouble::Empty);
        }
        if let Some(message) = name_problem("account name", account) {
            return Some(AccountTrouble::Control(message));
        }
        let depth = memchr::memchr_iter(b':', account.as_bytes()).count() + 1;
        if depth > ACCOUNT_DEPTH_MAX {
            return Some(AccountTrouble::TooDeep(depth));
        }
        (kind == PostingKind::Real
            && self.settings.from_file
            && self.settings.class_of(account).is_none())
        .then_some(AccountTrouble::Unclassified)
    }

    /// Whether `name` is a fund a posting may name: one of the declared
    /// funds, or any name when none are declared.
    fn fund_known(&self, name: &str) -> bool {
        match &self.declared_funds {
            Some(declared) => declared.contains(name),
            None => !name.is_empty(),
        }
    }

    fn check_precision(
        &self,
        block: &TransactionBlock,
        line: u32,
        quantity: Decimal,
        symbol: &str,
        problems: &mut Vec<Diagnostic>,
    ) {
        let Some(&allowed) = self.precisions.get(symbol) else {
            return;
        };
        if within_precision(Some(allowed), quantity) {
            return;
        }
        let decimals = money::significant_decimals(quantity);
        let d = self
            .posting_diagnostic(
                block,
                line,
                Code::TooPrecise,
                format!(
                    "{quantity} {symbol} has {decimals} decimal places; {symbol} allows {allowed}"
                ),
            )
            .pointing_at(&quantity.to_string());
        problems.push(d.expected(format!(
                "an amount in whole multiples of {symbol}'s smallest unit ({allowed} decimal places); fundledger never rounds it for you"
            )));
    }

    /// Fills the elided amount, checks the sum is zero per commodity, adds
    /// conversion postings for costs and interfund postings for funds.
    fn balance<'a>(
        &self,
        block: &TransactionBlock,
        postings: &mut Vec<ProcessedPosting<'a>>,
        elided: &[usize],
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<(), Box<Diagnostic>> {
        let overflow = || {
            Box::new(
                self.block_diagnostic(
                    block,
                    Code::Overflow,
                    "the amounts of this transaction overflow when summed",
                )
                .expected("amounts within 28 significant digits"),
            )
        };
        for kind in [PostingKind::Real, PostingKind::BalancedVirtual] {
            let mut residual: MultiAmount<&str> = MultiAmount::new();
            let mut has_cost = false;
            for p in postings
                .iter()
                .filter(|p| p.kind == kind && p.origin != Origin::Elided)
            {
                has_cost |= p.cost.is_some();
                let (weight, commodity) = match p.cost.as_deref() {
                    Some((_, amount, weight)) => (*weight, amount.commodity.as_ref()),
                    None => (p.quantity, p.commodity.as_ref()),
                };
                residual.add(commodity, weight).map_err(|_| overflow())?;
            }
            let elided_here: Vec<usize> = elided
                .iter()
                .copied()
                .filter(|&i| postings[i].kind == kind)
                .collect();
            if elided_here.len() > 1 {
                let lines: Vec<String> = elided_here
                    .iter()
                    .map(|&i| postings[i].line.to_string())
                    .collect();
                return Err(Box::new(
                    self.block_diagnostic(block, Code::MultipleElided, "more than one posting has no amount")
                        .found(format!("postings without an amount on lines {}", lines.join(", ")))
                        .expected("at most one posting without an amount; fundledger fills it with what balances the others"),
                ));
            }
            let nonzero: Vec<(String, Decimal)> = residual
                .trimmed()
                .map(|(c, q)| (c.to_string(), q))
                .collect();
            if let Some(&index) = elided_here.first() {
                let fills: Vec<(Cow<'a, str>, Decimal)> = if nonzero.is_empty() {
                    match postings.iter().find(|p| p.origin != Origin::Elided) {
                        Some(p) => vec![(p.commodity.clone(), Decimal::ZERO)],
                        // A bare journal's lone posting without an amount is
                        // zero, as hledger reads it.
                        None if !self.settings.from_file => vec![(Cow::Borrowed(""), Decimal::ZERO)],
                        None => {
                            return Err(Box::new(
                                self.block_diagnostic(block, Code::Unbalanced, "no posting of this transaction has an amount")
                                    .expected("at least one posting with an amount; fundledger infers at most one"),
                            ))
                        }
                    }
                } else {
                    nonzero
                        .iter()
                        .map(|(c, q)| (Cow::Owned(c.clone()), *q))
                        .collect()
                };
                for (n, (commodity, amount)) in fills.into_iter().enumerate() {
                    let quantity = money::negate(amount);
                    self.check_filled_precision(
                        block,
                        postings[index].line,
                        quantity,
                        &commodity,
                        has_cost,
                    )?;
                    if n == 0 {
                        postings[index].quantity = quantity;
                        postings[index].commodity = commodity;
                    } else {
                        let template = &postings[index];
                        let extra = ProcessedPosting {
                            known_ids: None,
                            account: template.account.clone(),
                            fund: template.fund.clone(),
                            quantity,
                            commodity,
                            kind: template.kind,
                            origin: Origin::Elided,
                            status: template.status,
                            line: template.line,
                            cost: None,
                            assertion: None,
                            tags: template.tags.clone(),
                            comment: template.comment.clone(),
                        };
                        postings.push(extra);
                    }
                }
            } else if !nonzero.is_empty() && !has_cost && nonzero.len() == 2 {
                // Two commodities and no price: a conversion, as hledger
                // infers it (the first commodity bought with the second).
                self.add_residual_postings(postings, kind, &nonzero, Origin::Conversion);
            } else if !nonzero.is_empty() && self.tolerated(postings, kind, &nonzero) {
                self.add_residual_postings(postings, kind, &nonzero, Origin::Rounding);
                let sums: Vec<String> = nonzero.iter().map(|(c, q)| format!("{q} {c}")).collect();
                let posted: Vec<String> = nonzero
                    .iter()
                    .map(|(c, q)| format!("{} {c}", money::negate(*q)))
                    .collect();
                warnings.push(
                    self.block_diagnostic(
                        block,
                        Code::RoundingResidual,
                        format!(
                            "transaction balances only to the display precision; {} posted to {}",
                            posted.join(", "),
                            self.settings.generated_accounts.rounding
                        ),
                    )
                    .found(format!("the postings sum to {}", sums.join(", ")))
                    .expected("postings that sum to exactly zero (a ledger with fundledger.toml accepts nothing else)"),
                );
            } else if !nonzero.is_empty() {
                let sums: Vec<String> = nonzero.iter().map(|(c, q)| format!("{q} {c}")).collect();
                let fractional_cost = has_cost
                    && nonzero.iter().any(|(c, q)| {
                        self.precisions
                            .get(c.as_str())
                            .is_some_and(|&allowed| money::significant_decimals(*q) > allowed)
                    });
                let what = if kind == PostingKind::Real {
                    "postings"
                } else {
                    "[virtual] postings"
                };
                let (code, message, expected) = if fractional_cost {
                    (
                        Code::InexactCost,
                        "transaction does not balance: a per-unit cost converts to an amount finer than its commodity allows".to_string(),
                        "write the total cost with `@@ TOTAL` so the conversion is exact".to_string(),
                    )
                } else {
                    (
                        Code::Unbalanced,
                        "transaction does not balance".to_string(),
                        format!("the {what} of each commodity (after cost conversion) sum to exactly zero; no tolerance is applied"),
                    )
                };
                return Err(Box::new(
                    self.block_diagnostic(block, code, message)
                        .found(format!("the {what} sum to {}", sums.join(", ")))
                        .expected(expected),
                ));
            }
        }
        self.add_conversions(postings);
        self.add_interfund(block, postings)
            .map_err(|d| d.unwrap_or_else(overflow))
    }

    /// Resolves the balance assignments of a transaction against the
    /// balances of the transactions committed before it (journal order, as
    /// ledger-cli does; hledger uses date order, the same for a journal in
    /// date order), then balances it.
    fn resolve_assignments<'a>(
        &self,
        transaction: &mut Processed<'a>,
        builder: &mut Builder<'_>,
    ) -> Result<(), Vec<Diagnostic>> {
        let Some(pending) = transaction.pending.take() else {
            return Ok(());
        };
        let block = transaction.block;
        let overflow = || {
            vec![self
                .block_diagnostic(block, Code::Overflow, "a balance assignment overflows")
                .expected("amounts within 28 significant digits")]
        };
        for (index, target) in pending.assignments {
            let account = transaction.postings[index].account.clone();
            // The account's balance includes this transaction's postings
            // to it above the assignment.
            let earlier = |commodity: &str| {
                money::checked_sum(
                    transaction.postings[..index]
                        .iter()
                        .filter(|p| p.account == account && p.commodity == commodity)
                        .map(|p| p.quantity),
                )
            };
            let (target_quantity, commodity) = match target {
                Some(amount) => (amount.quantity, amount.commodity),
                // `= 0` with no commodity: hledger assigns the balance in no
                // commodity (so the posting's amount is zero whatever else the
                // account holds); ledger-cli would empty the account.
                None => (Decimal::ZERO, Cow::Borrowed("")),
            };
            let current = builder
                .running_balance(&account, &commodity)
                .and_then(|b| money::checked_add(b, earlier(&commodity)?))
                .map_err(|_| overflow())?;
            let quantity = money::checked_sub(target_quantity, current).map_err(|_| overflow())?;
            let p = &mut transaction.postings[index];
            p.quantity = quantity;
            p.commodity = commodity;
            // Its amount is now known, as if written.
            p.origin = Origin::Written;
        }
        let mut warnings = std::mem::take(&mut transaction.warnings);
        self.balance(
            block,
            &mut transaction.postings,
            &pending.elided,
            &mut warnings,
        )
        .map_err(|d| vec![*d])?;
        if !self.rules.is_empty() {
            self.apply_rules(
                block,
                &transaction.raw_header.payee,
                &mut transaction.postings,
            )
            .map_err(|d| vec![*d])?;
        }
        transaction.warnings = warnings;
        Ok(())
    }

    /// Adds the postings of every automated transaction whose query matches
    /// a posting (after the elided amount is inferred, as hledger does), then
    /// checks that what was added balances on its own.
    fn apply_rules<'a>(
        &self,
        block: &TransactionBlock,
        payee: &str,
        postings: &mut Vec<ProcessedPosting<'a>>,
    ) -> Result<(), Box<Diagnostic>> {
        let overflow = || {
            Box::new(
                self.block_diagnostic(block, Code::Overflow, "an automated posting overflows")
                    .expected("amounts within 28 significant digits"),
            )
        };
        let mut added = Vec::new();
        for p in postings
            .iter()
            .filter(|p| matches!(p.origin, Origin::Written | Origin::Elided))
        {
            for rule in self.rules.iter().filter(|r| r.matches(&p.account, payee)) {
                for auto in &rule.postings {
                    let (quantity, commodity) = match &auto.amount {
                        AutoAmount::Multiplier(factor, commodity) => (
                            money::checked_mul_exact(p.quantity, *factor).map_err(|_| overflow())?,
                            commodity.clone().map_or_else(|| p.commodity.clone(), Cow::Owned),
                        ),
                        AutoAmount::Fixed(amount) => (amount.quantity, Cow::Owned(amount.commodity.to_string())),
                        AutoAmount::Missing => {
                            return Err(Box::new(
                                self.posting_diagnostic(block, p.line, Code::UnsupportedDirective, format!("an automated transaction adds a posting to {} without an amount", auto.account))
                                    .expected("automated postings with an amount (`*N` or a fixed amount), as hledger requires"),
                            ))
                        }
                    };
                    added.push(ProcessedPosting {
                        known_ids: None,
                        account: Cow::Owned(auto.account.clone()),
                        fund: p.fund.clone(),
                        quantity,
                        commodity,
                        kind: auto.kind,
                        origin: Origin::Written,
                        status: p.status,
                        line: p.line,
                        cost: None,
                        assertion: None,
                        tags: vec![RawTag {
                            name: Cow::Borrowed("_generated-posting"),
                            value: Cow::Borrowed("auto"),
                        }],
                        comment: None,
                    });
                }
            }
        }
        for kind in [PostingKind::Real, PostingKind::BalancedVirtual] {
            let mut sum: MultiAmount<&str> = MultiAmount::new();
            for p in added.iter().filter(|p| p.kind == kind) {
                sum.add(p.commodity.as_ref(), p.quantity)
                    .map_err(|_| overflow())?;
            }
            let left: Vec<String> = sum.trimmed().map(|(c, q)| format!("{q} {c}")).collect();
            if !left.is_empty() {
                return Err(Box::new(
                    self.block_diagnostic(block, Code::Unbalanced, "the automated postings added to this transaction do not balance")
                        .found(format!("the added postings sum to {}", left.join(", ")))
                        .expected("automated transactions whose real and [ ] postings sum to zero (as hledger requires)"),
                ));
            }
        }
        postings.extend(added);
        Ok(())
    }

    /// A bare journal's residual that hledger accepts: each commodity's
    /// residual rounds to zero at the most decimals its posting amounts in
    /// the transaction show (its display precision there; from the prices
    /// when no posting amount is in that commodity).
    fn tolerated(
        &self,
        postings: &[ProcessedPosting<'_>],
        kind: PostingKind,
        residuals: &[(String, Decimal)],
    ) -> bool {
        if self.settings.from_file {
            return false;
        }
        residuals.iter().all(|(commodity, residual)| {
            let written = postings
                .iter()
                .filter(|p| p.kind == kind && p.origin == Origin::Written);
            // Posting amounts set the display precision (as hledger infers
            // a commodity's style); prices only when no posting shows it.
            let in_amounts = written
                .clone()
                .filter(|p| p.commodity == *commodity)
                .map(|p| p.quantity.scale())
                .max();
            let in_costs = || {
                written
                    .clone()
                    .filter_map(|p| p.cost.as_deref())
                    .filter(|(_, amount, _)| amount.commodity == *commodity)
                    .map(|(_, amount, _)| amount.quantity.scale())
                    .max()
            };
            let precision = in_amounts.or_else(in_costs).unwrap_or(0);
            money::round(
                *residual,
                precision,
                money::RoundingStrategy::MidpointNearestEven,
            )
            .is_zero()
        })
    }

    /// Postings that take up what is left per commodity (`-residual`), on
    /// the conversion or the rounding account, in the fund of the first
    /// posting of that commodity.
    fn add_residual_postings<'a>(
        &self,
        postings: &mut Vec<ProcessedPosting<'a>>,
        kind: PostingKind,
        residuals: &[(String, Decimal)],
        origin: Origin,
    ) {
        let generated = &self.settings.generated_accounts;
        let account = if origin == Origin::Rounding {
            &generated.rounding
        } else {
            &generated.conversion
        };
        for (commodity, residual) in residuals {
            let first = postings
                .iter()
                .find(|p| p.kind == kind && p.commodity == *commodity)
                .or_else(|| postings.iter().find(|p| p.kind == kind));
            let (fund, line) = first.map_or_else(
                || (Cow::Owned(self.settings.default_fund.clone()), 0),
                |p| (p.fund.clone(), p.line),
            );
            postings.push(ProcessedPosting {
                known_ids: None,
                account: Cow::Owned(account.clone()),
                fund,
                quantity: money::negate(*residual),
                commodity: Cow::Owned(commodity.clone()),
                kind,
                origin,
                status: Status::Unmarked,
                line,
                cost: None,
                assertion: None,
                tags: Vec::new(),
                comment: None,
            });
        }
    }

    fn check_filled_precision(
        &self,
        block: &TransactionBlock,
        line: u32,
        quantity: Decimal,
        symbol: &str,
        has_cost: bool,
    ) -> Result<(), Box<Diagnostic>> {
        let Some(&allowed) = self.precisions.get(symbol) else {
            return Ok(());
        };
        if within_precision(Some(allowed), quantity) {
            return Ok(());
        }
        let (code, expected) = if has_cost {
            (
                Code::InexactCost,
                "write the total cost with `@@ TOTAL` so the conversion is exact".to_string(),
            )
        } else {
            (
                Code::TooPrecise,
                format!("amounts in {symbol} with at most {allowed} decimal places"),
            )
        };
        Err(Box::new(
            self.posting_diagnostic(
                block,
                line,
                code,
                format!("the amount inferred for this posting, {quantity} {symbol}, is finer than {symbol} allows ({allowed} decimal places)"),
            )
            .expected(expected),
        ))
    }

    /// For every real posting with a cost in another commodity, two postings
    /// to the conversion account (in the posting's fund) so that the
    /// transaction also sums to zero per commodity.
    fn add_conversions<'a>(&self, postings: &mut Vec<ProcessedPosting<'a>>) {
        let account: &str = &self.settings.generated_accounts.conversion;
        let mut added = Vec::new();
        for p in postings.iter() {
            let Some((_, cost, weight)) = p.cost.as_deref() else {
                continue;
            };
            if p.kind != PostingKind::Real || cost.commodity == p.commodity {
                continue;
            }
            for (quantity, commodity) in [
                (money::negate(p.quantity), p.commodity.clone()),
                (*weight, cost.commodity.clone()),
            ] {
                added.push(ProcessedPosting {
                    known_ids: None,
                    account: Cow::Owned(account.to_string()),
                    fund: p.fund.clone(),
                    quantity,
                    commodity,
                    kind: PostingKind::Real,
                    origin: Origin::Conversion,
                    status: Status::Unmarked,
                    line: p.line,
                    cost: None,
                    assertion: None,
                    tags: Vec::new(),
                    comment: None,
                });
            }
        }
        postings.extend(added);
    }

    /// Adds due-to/due-from postings for every fund that does not balance on
    /// its own (or reports it, with `strict_funds`).
    fn add_interfund<'a>(
        &self,
        block: &TransactionBlock,
        postings: &mut Vec<ProcessedPosting<'a>>,
    ) -> Result<(), Option<Box<Diagnostic>>> {
        // The common case: one fund, which balances because the whole does.
        let mut real = postings.iter().filter(|p| p.kind == PostingKind::Real);
        if let Some(first) = real.next() {
            if real.all(|p| p.fund == first.fund) {
                return Ok(());
            }
        }
        let mut by_fund: Vec<(Cow<'a, str>, MultiAmount<&str>)> = Vec::new();
        for p in postings.iter().filter(|p| p.kind == PostingKind::Real) {
            let slot = match by_fund.iter().position(|(f, _)| *f == p.fund) {
                Some(i) => i,
                None => {
                    by_fund.push((p.fund.clone(), MultiAmount::new()));
                    by_fund.len() - 1
                }
            };
            by_fund[slot]
                .1
                .add(p.commodity.as_ref(), p.quantity)
                .map_err(|_| None)?;
        }
        let unbalanced: Vec<(Cow<'a, str>, Residuals)> = by_fund
            .into_iter()
            .map(|(f, sum)| {
                (
                    f,
                    sum.trimmed()
                        .map(|(c, q)| (c.to_string(), q))
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, sums)| !sums.is_empty())
            .collect();
        if unbalanced.is_empty() {
            return Ok(());
        }
        if self.settings.strict_funds {
            let found: Vec<String> = unbalanced
                .iter()
                .map(|(f, sums)| {
                    let amounts: Vec<String> =
                        sums.iter().map(|(c, q)| format!("{q} {c}")).collect();
                    format!("fund {f} sums to {}", amounts.join(", "))
                })
                .collect();
            return Err(Some(Box::new(
                self.block_diagnostic(block, Code::FundUnbalanced, "transaction does not balance within each fund")
                    .found(found.join("; "))
                    .expected("each fund's postings sum to zero; move money between funds with explicit transfer postings, or set strict_funds = false to have fundledger add due-to/due-from postings"),
            )));
        }
        let generated = &self.settings.generated_accounts;
        for (fund, sums) in unbalanced {
            for (commodity, residual) in sums {
                // A fund whose postings sum above zero received value from
                // the others: it owes (due to). One below zero is owed.
                let account = if residual.is_sign_positive() {
                    &generated.due_to
                } else {
                    &generated.due_from
                };
                postings.push(ProcessedPosting {
                    known_ids: None,
                    account: Cow::Owned(account.clone()),
                    fund: fund.clone(),
                    quantity: money::negate(residual),
                    commodity: Cow::Owned(commodity),
                    kind: PostingKind::Real,
                    origin: Origin::Interfund,
                    status: Status::Unmarked,
                    line: block.pos.line,
                    cost: None,
                    assertion: None,
                    tags: Vec::new(),
                    comment: None,
                });
            }
        }
        Ok(())
    }
}

/// Read-only views of the name tables, shared by the threads of a chunk.
struct NameTables<'n> {
    accounts: &'n Names,
    funds: &'n Names,
    commodities: &'n Names,
    /// Per commodity id: true when its precision is declared.
    declared_precision: &'n [bool],
}

impl NameTables<'_> {
    /// The ids of a posting's names, when all three are already known.
    fn ids(
        &self,
        account: &str,
        fund: &str,
        commodity: &str,
    ) -> Option<(AccountId, FundId, CommodityId)> {
        Some((
            AccountId(self.accounts.get(account)?),
            FundId(self.funds.get(fund)?),
            self.commodity(commodity)?,
        ))
    }

    /// The id of a commodity, when already known.
    fn commodity(&self, symbol: &str) -> Option<CommodityId> {
        self.commodities.get(symbol).map(CommodityId)
    }
}

/// How many blocks one parallel task processes and lays out, in order.
const RUN_BLOCKS: usize = 256;

/// What the parallel processing of a few blocks hands to the merge.
enum Step<'a> {
    /// Transactions laid out, with the diagnostics of their blocks.
    Laid(Run<'a>),
    /// A transaction with balance assignments: balanced when merged,
    /// against the journal before it.
    Assigning(Processed<'a>),
}

/// A name a run met that was not in the tables when its chunk started: the
/// merge interns it, in the order the postings met them, and patches the
/// posting (and its cost or assertion).
struct Unknown<'a> {
    /// The posting, counted from the run's start.
    posting: usize,
    account: Cow<'a, str>,
    fund: Cow<'a, str>,
    commodity: Cow<'a, str>,
    cost: Option<Cow<'a, str>>,
    assertion: Option<Cow<'a, str>>,
}

/// Consecutive transactions laid out as the journal holds them, with every
/// index (postings, extras, payee text) counted from the run's start; the
/// merge adds where the journal stands. Each transaction whose names are
/// all known is checked to balance as it is laid out.
#[derive(Default)]
struct Run<'a> {
    transactions: Vec<Transaction>,
    postings: Vec<Posting>,
    posting_extras: Vec<PostingExtra>,
    transaction_extras: Vec<TransactionExtra>,
    tags: TagStore,
    payees: String,
    diagnostics: Vec<Diagnostic>,
    unknown: Vec<Unknown<'a>>,
    /// The largest scale written per commodity whose precision is inferred.
    scales: Vec<(CommodityId, u32)>,
    /// The double-entry check of the transactions checked so far.
    check: BalanceCheck,
    /// The first transaction (of this run) that broke an invariant.
    violation: Option<(usize, Violation)>,
    /// Transactions with unknown names, checked once they are interned.
    check_later: Vec<usize>,
    /// How many of its blocks took the common lane.
    common_lane_blocks: usize,
}

/// What a transaction broke.
enum Violation {
    /// It does not balance in this fund.
    Unbalanced(FundId),
    /// Summing overflowed, or the journal does not sum to zero.
    Other(InvariantViolation),
}

/// Placeholder ids of a posting whose names the merge interns.
const UNKNOWN_IDS: (AccountId, FundId, CommodityId) =
    (AccountId(u32::MAX), FundId(u32::MAX), CommodityId(u32::MAX));

impl<'a> Run<'a> {
    /// An empty run with room for the transactions of `blocks` (about a
    /// posting per line, a payee of 32 bytes): laying them out seldom
    /// grows a vector.
    fn for_blocks(blocks: &[&TransactionBlock]) -> Run<'a> {
        let lines: usize = blocks
            .iter()
            .map(|b| b.last_line.saturating_sub(b.pos.line) as usize)
            .sum();
        Run {
            transactions: Vec::with_capacity(blocks.len()),
            postings: Vec::with_capacity(lines),
            payees: String::with_capacity(blocks.len() * 32),
            ..Run::default()
        }
    }

    /// Lays one processed transaction out (it must have no balance
    /// assignment left to resolve).
    fn add(&mut self, processed: Processed<'a>, tables: &NameTables<'_>) {
        self.diagnostics.extend(processed.warnings);
        let first = self.postings.len();
        let mut known = true;
        for p in processed.postings {
            let cost_commodity = p.cost.as_ref().map(|c| tables.commodity(&c.1.commodity));
            let assertion_commodity = match p.assertion.as_deref() {
                Some(RawAssertion::Amount(a)) => Some(tables.commodity(&a.commodity)),
                _ => None,
            };
            let ids = p.known_ids.filter(|_| {
                !matches!(cost_commodity, Some(None)) && !matches!(assertion_commodity, Some(None))
            });
            let (account, fund, commodity) = match ids {
                Some(ids) => {
                    if p.origin == Origin::Written && !tables.declared_precision[ids.2.index()] {
                        self.note_scale(ids.2, p.quantity.scale());
                    }
                    ids
                }
                None => {
                    known = false;
                    self.unknown.push(Unknown {
                        posting: self.postings.len(),
                        account: p.account,
                        fund: p.fund,
                        commodity: p.commodity,
                        cost: p.cost.as_ref().map(|c| c.1.commodity.clone()),
                        assertion: match p.assertion.as_deref() {
                            Some(RawAssertion::Amount(a)) => Some(a.commodity.clone()),
                            _ => None,
                        },
                    });
                    UNKNOWN_IDS
                }
            };
            let cost = p.cost.map(|boxed| {
                let (kind, amount, weight) = *boxed;
                Cost {
                    kind,
                    written: amount.quantity,
                    commodity: cost_commodity.flatten().unwrap_or(UNKNOWN_IDS.2),
                    weight,
                }
            });
            let assertion = p.assertion.map(|a| match *a {
                RawAssertion::Zero => Assertion::Zero,
                RawAssertion::Amount(a) => Assertion::Amount(
                    a.quantity,
                    assertion_commodity.flatten().unwrap_or(UNKNOWN_IDS.2),
                ),
            });
            let extra = if cost.is_none()
                && assertion.is_none()
                && p.tags.is_empty()
                && p.comment.is_none()
            {
                NO_EXTRA
            } else {
                self.posting_extras.push(PostingExtra {
                    cost,
                    assertion,
                    tags: store_tags(&mut self.tags, &p.tags),
                    comment: p.comment.map(|c| c.as_ref().into()),
                });
                index_u32(self.posting_extras.len() - 1)
            };
            self.postings.push(Posting {
                quantity: p.quantity,
                account,
                fund,
                commodity,
                line: p.line,
                kind: p.kind,
                origin: p.origin,
                status: p.status,
                extra,
            });
        }
        let header = processed.raw_header;
        let extra = (header.code.is_some()
            || header.comment.is_some()
            || !header.tags.is_empty()
            || header.aux_date.is_some())
        .then(|| TransactionExtra {
            aux_date: header.aux_date,
            code: header.code.map(|c| c.as_ref().into()),
            comment: header.comment.map(|c| c.as_ref().into()),
            tags: store_tags(&mut self.tags, &header.tags),
        });
        self.push_transaction(
            processed.block,
            header.date,
            header.status,
            &header.payee,
            extra,
            first,
            known,
        );
    }

    /// Notes the scale of an amount written in a commodity whose precision
    /// is inferred (the largest written shows them all).
    fn note_scale(&mut self, commodity: CommodityId, scale: u32) {
        match self.scales.iter_mut().find(|(c, _)| *c == commodity) {
            Some((_, known)) => *known = (*known).max(scale),
            None => self.scales.push((commodity, scale)),
        }
    }

    /// Lays out the transaction of `block`, whose postings are laid out
    /// from `first` on, and checks that it balances (now when its names are
    /// `known`, else once the merge has interned them).
    #[allow(clippy::too_many_arguments)]
    fn push_transaction(
        &mut self,
        block: &TransactionBlock,
        date: chrono::NaiveDate,
        status: Status,
        payee: &str,
        extra: Option<TransactionExtra>,
        first: usize,
        known: bool,
    ) {
        let extra = match extra {
            None => NO_EXTRA,
            Some(extra) => {
                self.transaction_extras.push(extra);
                index_u32(self.transaction_extras.len() - 1)
            }
        };
        let payee_start = index_u32(self.payees.len());
        self.payees.push_str(payee);
        let payee = payee_start..index_u32(self.payees.len());
        let index = self.transactions.len();
        self.transactions.push(Transaction {
            date,
            status,
            file: block.pos.file,
            line: block.pos.line,
            postings: index_u32(first)..index_u32(self.postings.len()),
            payee,
            extra,
        });
        if !known {
            self.check_later.push(index);
        } else if self.violation.is_none() {
            match self.check.transaction(&self.postings[first..]) {
                Ok(None) => {}
                Ok(Some(fund)) => self.violation = Some((index, Violation::Unbalanced(fund))),
                Err(other) => self.violation = Some((index, Violation::Other(other))),
            }
        }
    }
}

/// Lays processed transactions out in the journal, interning names.
struct Builder<'s> {
    settings: &'s Settings,
    accounts: Names,
    account_classes: Vec<Option<crate::model::settings::AccountClass>>,
    funds: Names,
    commodities: Names,
    precisions: Vec<Option<u32>>,
    /// Commodities whose precision is declared (not inferred), by id.
    declared_precision: Vec<bool>,
    transactions: Vec<Transaction>,
    postings: Vec<Posting>,
    posting_extras: Vec<PostingExtra>,
    transaction_extras: Vec<TransactionExtra>,
    tags: TagStore,
    payees: String,
    prices: Vec<Price>,
    account_directives: Vec<AccountId>,
    commodity_directives: Vec<CommodityId>,
    /// The periodic entries (budgets), read.
    budget: Vec<crate::model::budget::BudgetEntry>,
    diagnostics: Diagnostics,
    /// Each account's own balance per commodity over `postings[..n]`, built
    /// at the first balance assignment and brought up to date at the next
    /// (so the journal is summed once however many assignments it has).
    running: Option<(usize, RunningBalances)>,
    /// The real postings of the journal per commodity, as laid out.
    total: MultiAmount<CommodityId>,
    /// The first transaction laid out that broke an invariant (a bug).
    violation: Option<(usize, Violation)>,
    /// The name tables as the processing of the current chunk reads them.
    snapshot: Option<Arc<Snapshot>>,
    /// How many blocks the common lane laid out.
    common_lane_blocks: usize,
}

/// A copy of the name tables, with the common lane's verdicts on them.
#[derive(Clone)]
struct Snapshot {
    accounts: Names,
    funds: Names,
    commodities: Names,
    declared_precision: Vec<bool>,
    verdicts: lane::Verdicts,
}

impl Snapshot {
    fn tables(&self) -> NameTables<'_> {
        NameTables {
            accounts: &self.accounts,
            funds: &self.funds,
            commodities: &self.commodities,
            declared_precision: &self.declared_precision,
        }
    }
}

/// Keeps tags in `store`; answers their range.
fn store_tags(store: &mut TagStore, tags: &[RawTag<'_>]) -> Range<u32> {
    store.push_all(tags.iter().map(|t| (t.name.as_ref(), t.value.as_ref())))
}

impl<'s> Builder<'s> {
    fn new(settings: &'s Settings) -> Self {
        let mut builder = Builder {
            settings,
            accounts: Names::default(),
            account_classes: Vec::new(),
            funds: Names::default(),
            commodities: Names::default(),
            precisions: Vec::new(),
            declared_precision: Vec::new(),
            transactions: Vec::new(),
            postings: Vec::new(),
            posting_extras: Vec::new(),
            transaction_extras: Vec::new(),
            tags: TagStore::default(),
            payees: String::new(),
            prices: Vec::new(),
            account_directives: Vec::new(),
            commodity_directives: Vec::new(),
            budget: Vec::new(),
            diagnostics: Diagnostics::default(),
            running: None,
            total: MultiAmount::new(),
            violation: None,
            snapshot: None,
            common_lane_blocks: 0,
        };
        for fund in &settings.funds {
            builder.funds.intern(&fund.id);
        }
        builder.funds.intern(&settings.default_fund);
        for commodity in &settings.commodities {
            let id = builder.commodity(&commodity.symbol);
            builder.precisions[id.index()] = Some(commodity.precision);
            builder.declared_precision[id.index()] = true;
        }
        builder
    }

    /// A builder that goes on from a loaded journal (which balances, so the
    /// journal's total starts at zero).
    fn resume(settings: &'s Settings, journal: Journal) -> Self {
        Builder {
            settings,
            accounts: journal.accounts,
            account_classes: journal.account_classes,
            funds: journal.funds,
            commodities: journal.commodities,
            precisions: journal.precisions,
            declared_precision: journal.declared_precision,
            transactions: journal.transactions,
            postings: journal.postings,
            posting_extras: journal.posting_extras,
            transaction_extras: journal.transaction_extras,
            tags: journal.tags,
            payees: journal.payees,
            prices: journal.prices,
            account_directives: journal.account_directives,
            commodity_directives: journal.commodity_directives,
            budget: journal.budget,
            diagnostics: Diagnostics::default(),
            running: None,
            total: MultiAmount::new(),
            violation: None,
            snapshot: None,
            common_lane_blocks: 0,
        }
    }

    /// Records the `account` and `commodity` directives among `entries`.
    fn declare(&mut self, entries: &[Entry]) {
        for entry in entries {
            match entry {
                Entry::Account { name, .. } => {
                    let id = self.account(name);
                    self.account_directives.push(id);
                }
                Entry::Commodity {
                    symbol, precision, ..
                } => {
                    let id = self.commodity(symbol);
                    self.commodity_directives.push(id);
                    if let (Some(p), false) = (precision, self.declared_precision[id.index()]) {
                        self.precisions[id.index()] = Some(*p);
                        self.declared_precision[id.index()] = true;
                    }
                }
                _ => {}
            }
        }
    }

    fn account(&mut self, name: &str) -> AccountId {
        let id = self.accounts.intern(name);
        if id as usize == self.account_classes.len() {
            self.account_classes.push(self.settings.class_of(name));
        }
        AccountId(id)
    }

    fn commodity(&mut self, symbol: &str) -> CommodityId {
        let id = self.commodities.intern(symbol);
        if id as usize == self.precisions.len() {
            self.precisions.push(None);
            self.declared_precision.push(false);
        }
        CommodityId(id)
    }

    fn add_price(&mut self, view: &View<'_>, pos: SourcePos, line: &str, context: &ReadContext) {
        let parsed = match parse::parse_price(line) {
            Ok(p) => Ok((
                p.datetime.date(),
                p.datetime.time(),
                p.commodity_name,
                p.amount.quantity,
                p.amount.commodity.name,
            )),
            Err(expected) => crate::read::grammar::parse_price_line(line, context)
                .map(|(date, symbol, amount)| {
                    (
                        date,
                        chrono::NaiveTime::MIN,
                        symbol,
                        amount.quantity,
                        amount.commodity.into_owned(),
                    )
                })
                .map_err(|_| expected),
        };
        match parsed {
            Ok((_, _, symbol, price, price_symbol)) if price <= Decimal::ZERO => {
                let d = view
                    .diagnostic_at(
                        Code::Unparsable,
                        pos,
                        format!("the price of {symbol} is not positive"),
                    )
                    .found(format!("{price} {price_symbol}"))
                    .expected("a price above zero (ledger-cli refuses the others too)");
                self.diagnostics.push(d);
            }
            Ok((date, time, symbol, price, price_symbol)) => {
                let commodity = self.commodity(&symbol);
                let price_commodity = self.commodity(&price_symbol);
                self.prices.push(Price {
                    date,
                    time,
                    commodity,
                    price,
                    price_commodity,
                });
            }
            Err(expected) => {
                let d = view
                    .diagnostic_at(Code::Unparsable, pos, "cannot read this price line")
                    .expected(expected);
                self.diagnostics.push(d);
            }
        }
    }

    /// Makes room for `transactions` transactions of a typical size, so the
    /// big vectors are not copied as they grow.
    fn reserve(&mut self, transactions: usize) {
        self.transactions.reserve_exact(transactions);
        self.postings.reserve(transactions.saturating_mul(3));
        self.payees.reserve(transactions.saturating_mul(32));
    }

    /// The name tables as they stand, with the common lane's verdicts on
    /// every name: a copy the processing reads while the merge interns
    /// names (taken again only when a name or a declaration was added).
    fn snapshot(&mut self, context: &Context<'_>) -> Arc<Snapshot> {
        let current = self.snapshot.as_ref().filter(|s| {
            s.accounts.len() == self.accounts.len()
                && s.funds.len() == self.funds.len()
                && s.commodities.len() == self.commodities.len()
                && s.declared_precision == self.declared_precision
        });
        if let Some(current) = current {
            return Arc::clone(current);
        }
        let mut verdicts = self
            .snapshot
            .take()
            .map(|s| Arc::unwrap_or_clone(s).verdicts)
            .unwrap_or_default();
        verdicts.extend(context, &self.name_tables());
        let snapshot = Arc::new(Snapshot {
            accounts: self.accounts.clone(),
            funds: self.funds.clone(),
            commodities: self.commodities.clone(),
            declared_precision: self.declared_precision.clone(),
            verdicts,
        });
        self.snapshot = Some(Arc::clone(&snapshot));
        snapshot
    }

    /// The name tables as they stand, for lookups in the parallel phase.
    fn name_tables(&self) -> NameTables<'_> {
        NameTables {
            accounts: &self.accounts,
            funds: &self.funds,
            commodities: &self.commodities,
            declared_precision: &self.declared_precision,
        }
    }

    /// Brings the running balances up to the postings committed so far.
    fn update_running(
        &mut self,
    ) -> Result<&HashMap<(AccountId, CommodityId), Decimal>, money::Overflow> {
        let (done, balances) = self.running.get_or_insert_with(|| (0, HashMap::new()));
        for p in &self.postings[*done..] {
            let slot = balances
                .entry((p.account, p.commodity))
                .or_insert(Decimal::ZERO);
            *slot = money::checked_add(*slot, p.quantity)?;
        }
        *done = self.postings.len();
        Ok(balances)
    }

    /// The balance of `account` (its own postings) in `commodity` so far.
    fn running_balance(
        &mut self,
        account: &str,
        commodity: &str,
    ) -> Result<Decimal, money::Overflow> {
        let ids = (self.accounts.get(account), self.commodities.get(commodity));
        let balances = self.update_running()?;
        Ok(match ids {
            (Some(a), Some(c)) => balances
                .get(&(AccountId(a), CommodityId(c)))
                .copied()
                .unwrap_or(Decimal::ZERO),
            _ => Decimal::ZERO,
        })
    }

    /// Appends a laid-out run: its diagnostics, then its transactions,
    /// their postings and details, with indices moved to where the journal
    /// stands; interns the names it met first (in the order met) and checks
    /// the transactions that held them.
    fn append_run(&mut self, run: Run<'_>) {
        self.common_lane_blocks += run.common_lane_blocks;
        self.diagnostics.extend(run.diagnostics);
        let first_transaction = self.transactions.len();
        let posting_base = self.postings.len();
        let (posting_offset, posting_extra_offset, transaction_extra_offset, payee_offset) = (
            index_u32(posting_base),
            index_u32(self.posting_extras.len()),
            index_u32(self.transaction_extras.len()),
            index_u32(self.payees.len()),
        );
        let moved = |extra: u32, offset: u32| {
            if extra == NO_EXTRA {
                NO_EXTRA
            } else {
                extra.saturating_add(offset)
            }
        };
        self.postings.extend(run.postings.into_iter().map(|mut p| {
            p.extra = moved(p.extra, posting_extra_offset);
            p
        }));
        let tag_offset = self.tags.append(run.tags);
        let moved_tags = |tags: Range<u32>| {
            tags.start.saturating_add(tag_offset)..tags.end.saturating_add(tag_offset)
        };
        self.posting_extras
            .extend(run.posting_extras.into_iter().map(|mut e| {
                e.tags = moved_tags(e.tags);
                e
            }));
        self.transaction_extras
            .extend(run.transaction_extras.into_iter().map(|mut e| {
                e.tags = moved_tags(e.tags);
                e
            }));
        self.payees.push_str(&run.payees);
        self.transactions
            .extend(run.transactions.into_iter().map(|mut t| {
                t.postings = t.postings.start.saturating_add(posting_offset)
                    ..t.postings.end.saturating_add(posting_offset);
                t.payee = t.payee.start.saturating_add(payee_offset)
                    ..t.payee.end.saturating_add(payee_offset);
                t.extra = moved(t.extra, transaction_extra_offset);
                t
            }));
        for (commodity, scale) in run.scales {
            let known = &mut self.precisions[commodity.index()];
            *known = Some(known.unwrap_or(0).max(scale));
        }
        for unknown in run.unknown {
            let index = posting_base + unknown.posting;
            let account = self.account(&unknown.account);
            let fund = FundId(self.funds.intern(&unknown.fund));
            let commodity = self.commodity(&unknown.commodity);
            let cost = unknown.cost.map(|symbol| self.commodity(&symbol));
            let assertion = unknown.assertion.map(|symbol| self.commodity(&symbol));
            let posting = &mut self.postings[index];
            posting.account = account;
            posting.fund = fund;
            posting.commodity = commodity;
            if posting.origin == Origin::Written && !self.declared_precision[commodity.index()] {
                // Undeclared: show as many decimals as written (as hledger
                // infers a display style), never fewer.
                let known = &mut self.precisions[commodity.index()];
                *known = Some(known.unwrap_or(0).max(posting.quantity.scale()));
            }
            if let Some(extra) = self.posting_extras.get_mut(posting.extra as usize) {
                if let (Some(c), Some(cost)) = (cost, extra.cost.as_mut()) {
                    cost.commodity = c;
                }
                if let (Some(c), Some(Assertion::Amount(_, slot))) =
                    (assertion, extra.assertion.as_mut())
                {
                    *slot = c;
                }
            }
        }
        // The double-entry invariants, as each transaction is laid out.
        let mut violation = run.violation;
        if let Err(overflow) = self.total.add_all(&run.check.total) {
            let _ = overflow;
            violation.get_or_insert((
                0,
                Violation::Other(crate::model::journal::summing_overflow()),
            ));
        }
        let mut check = BalanceCheck::default();
        for local in run.check_later {
            if violation.as_ref().is_some_and(|(first, _)| *first < local) {
                break;
            }
            let t = &self.transactions[first_transaction + local];
            let found = match check.transaction(&self.postings[t.posting_range()]) {
                Ok(None) => None,
                Ok(Some(fund)) => Some(Violation::Unbalanced(fund)),
                Err(other) => Some(Violation::Other(other)),
            };
            if let Some(found) = found {
                violation = Some((local, found));
                break;
            }
        }
        if self.total.add_all(&check.total).is_err() {
            violation.get_or_insert((
                0,
                Violation::Other(crate::model::journal::summing_overflow()),
            ));
        }
        if self.violation.is_none() {
            self.violation = violation.map(|(local, v)| (first_transaction + local, v));
        }
    }

    /// The journal, its diagnostics, and the first broken invariant (a
    /// fundledger bug) if any.
    fn finish(self, map: &SourceMap) -> (Journal, Diagnostics, Option<InvariantViolation>) {
        let sums_to_zero = self.total.is_zero();
        let violation = self.violation;
        let journal = Journal {
            settings: self.settings.clone(),
            accounts: self.accounts,
            account_classes: self.account_classes,
            funds: self.funds,
            commodities: self.commodities,
            precisions: self.precisions,
            transactions: self.transactions,
            postings: self.postings,
            posting_extras: self.posting_extras,
            transaction_extras: self.transaction_extras,
            tags: self.tags,
            payees: self.payees,
            prices: self.prices,
            files: map.paths().to_vec(),
            declared_precision: self.declared_precision,
            account_directives: self.account_directives,
            commodity_directives: self.commodity_directives,
            budget: self.budget,
        };
        let violation = match violation {
            Some((index, Violation::Unbalanced(fund))) => {
                Some(journal.unbalanced(&journal.transactions[index], fund))
            }
            Some((_, Violation::Other(other))) => Some(other),
            None => (!sums_to_zero).then(crate::model::journal::not_summing_to_zero),
        };
        (journal, self.diagnostics, violation)
    }
}

/// What is wrong with the `fund:` tags of a posting or header, after the
/// first was taken as its fund: a second `fund:` tag (the readers leave
/// later ones among the tags), or a `fund:` with no value (which the
/// readers leave in the comment).
fn fund_tag_problem(
    tags: &[crate::read::raw::RawTag<'_>],
    comment: Option<&str>,
) -> Option<&'static str> {
    if has_second_fund_tag(tags) {
        return Some("more than one `fund:` tag");
    }
    let empty = comment
        .unwrap_or("")
        .lines()
        .any(|line| line.trim().trim_start_matches(';').trim() == "fund:");
    empty.then_some("a `fund:` tag without a fund")
}

/// True when a `fund:` tag is among `tags`: the readers take the first as
/// the fund and leave the others there, so this is a second one.
fn has_second_fund_tag(tags: &[crate::read::raw::RawTag<'_>]) -> bool {
    tags.iter().any(|t| t.name == "fund")
}

/// True when `quantity` has no more decimal places than `allowed` (or
/// the commodity's precision is not declared): the one precision rule of
/// written and inferred amounts, on either path.
fn within_precision(allowed: Option<u32>, quantity: Decimal) -> bool {
    allowed.is_none_or(|allowed| money::significant_decimals(quantity) <= allowed)
}

/// The most `:`-separated levels an account name may have.
pub const ACCOUNT_DEPTH_MAX: usize = 64;

/// A message when `text` (a payee or an account name) holds a character
/// that would act on a terminal instead of being shown: a control character
/// other than tab (ESC starts escape sequences, NUL cuts text) or a
/// bidirectional override that reorders what is displayed. Refused rather
/// than escaped on output, so every report, export and `print` shows the
/// names exactly as the journal holds them.
fn name_problem(what: &str, text: &str) -> Option<String> {
    // Printable ASCII and tabs, the common case, in one pass over the bytes.
    if text
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        return None;
    }
    let bad = text
        .chars()
        .find(|&c| c != '\t' && crate::write_path::print::is_forbidden_char(c))?;
    Some(format!(
        "the {what} contains the control character U+{:04X}",
        u32::from(bad)
    ))
}

/// What is wrong with an account name on a posting.
enum AccountTrouble {
    /// No name.
    Empty,
    /// A control character (the message says which).
    Control(String),
    /// Too many `:`-separated levels (this many).
    TooDeep(usize),
    /// A real posting under a root with no class (in a ledger directory).
    Unclassified,
}

impl AccountTrouble {
    fn code(&self) -> Code {
        match self {
            AccountTrouble::Empty | AccountTrouble::Control(_) => Code::Unparsable,
            AccountTrouble::TooDeep(_) => Code::LimitExceeded,
            AccountTrouble::Unclassified => Code::UnclassifiedAccount,
        }
    }

    fn message(&self, account: &str) -> String {
        match self {
            AccountTrouble::Empty => "posting without an account name".into(),
            AccountTrouble::Control(message) => message.clone(),
            AccountTrouble::TooDeep(depth) => format!(
                "account name has {depth} levels; fundledger reads at most {ACCOUNT_DEPTH_MAX}"
            ),
            AccountTrouble::Unclassified => format!("account {account} has a root with no class"),
        }
    }

    fn expected(&self, settings: &Settings) -> String {
        match self {
            AccountTrouble::Empty => "`  ACCOUNT  AMOUNT`".into(),
            AccountTrouble::Control(_) => {
                "an account name of printable characters (no ESC, NUL, bidirectional overrides...)"
                    .into()
            }
            AccountTrouble::TooDeep(_) => {
                format!("at most {ACCOUNT_DEPTH_MAX} `:`-separated parts")
            }
            AccountTrouble::Unclassified => {
                let roots: Vec<&str> = settings
                    .account_classes
                    .keys()
                    .map(String::as_str)
                    .collect();
                format!(
                    "a real posting under one of the classified roots ({}); use ( ) for memo quantities",
                    roots.join(", ")
                )
            }
        }
    }
}

/// Whether blocks of the common shape take the common lane (always, but in
/// the test that holds the lane to the general path's results).
#[cfg(not(test))]
fn common_lane_enabled() -> bool {
    true
}

#[cfg(test)]
static COMMON_LANE_OFF: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(test)]
fn common_lane_enabled() -> bool {
    !COMMON_LANE_OFF.load(std::sync::atomic::Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest a load takes as it reads the journal file is the one the
    /// annual report takes of the file afterwards, whatever the bytes (line
    /// ends, a byte-order mark, segments, no final newline); a load not
    /// asked for it, or of text, has none, and a journal file that includes
    /// another still has the digest of its own bytes.
    #[test]
    fn the_digest_taken_while_reading_is_the_reports() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("books").join("main.ledger");
        std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
        let block = "2000-04-01 * Gift\n    Assets:Bank  1000 JPY\n    Income:Gifts\n\n";
        let long = block.repeat(source::SEGMENT_BYTES / block.len() + 100);
        let texts = [
            block.to_string(),
            block.replace('\n', "\r\n"),
            format!("\u{feff}{block}"),
            block.trim_end().to_string(),
            long,
        ];
        for text in texts {
            std::fs::write(&journal, &text).unwrap();
            let mut settings = Settings::for_bare_journal(&journal);
            settings.root = dir.path().to_path_buf();
            let expected = crate::reports::annual::files_digest(
                &settings.root,
                std::slice::from_ref(&journal),
            )
            .unwrap();
            let loaded = load_with_files_digest(settings.clone()).unwrap();
            assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
            assert_eq!(loaded.files_digest(), Some(expected.as_str()));
            assert_eq!(load(settings.clone()).unwrap().files_digest(), None);
            assert_eq!(
                load_text(settings, &journal, text).unwrap().files_digest(),
                None
            );
        }
        let other = journal.with_file_name("other.ledger");
        std::fs::write(
            &other,
            "2000-05-01 * Gift\n    Assets:Bank  5 JPY\n    Income:Gifts\n",
        )
        .unwrap();
        std::fs::write(&journal, "include other.ledger\n").unwrap();
        let mut settings = Settings::for_bare_journal(&journal);
        settings.root = dir.path().to_path_buf();
        let loaded = load_with_files_digest(settings.clone()).unwrap();
        assert_eq!(loaded.journal.files().len(), 2);
        let own =
            crate::reports::annual::files_digest(&settings.root, std::slice::from_ref(&journal))
                .unwrap();
        assert_eq!(loaded.files_digest(), Some(own.as_str()));
    }

    /// What two loads must agree on: every transaction and posting as laid
    /// out, the name tables in id order, and the diagnostics.
    fn shape(loaded: &Loaded) -> String {
        let journal = &loaded.journal;
        let names = |count: usize, name: &dyn Fn(u32) -> String| -> Vec<String> {
            (0..count as u32).map(name).collect()
        };
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            journal.transactions(),
            journal.all_postings(),
            journal.posting_extras,
            journal.transaction_extras,
            journal.tags,
            names(journal.accounts.len(), &|i| journal.accounts.name(i).into()),
            names(journal.funds.len(), &|i| journal.funds.name(i).into()),
            names(journal.commodities.len(), &|i| journal
                .commodities
                .name(i)
                .into()),
            journal.precisions,
            journal.payees,
            loaded.diagnostics,
        )
    }

    #[test]
    fn a_continued_load_is_a_load_of_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ledger");
        let clean = "2000-01-01 * A\n    Assets:Bank  10 JPY  ; fund: F\n    Income:Gift\n\n2000-01-02 B\n    Expenses:Food  5.5 USD\n    Assets:Bank\n";
        // What only the whole-journal checks find (a date out of order, a
        // commodity without a price) does not stop a continued load: it
        // runs them again on all of it.
        let checked = "2000-01-02 * A\n    Assets:Bank  10 JPY  ; fund: F\n    Income:Gift\n\n2000-01-01 B\n    Expenses:Food  5.5 USD\n    Assets:Bank\n";
        // New names, a new commodity, a balance assignment, a date out of
        // order (a warning whose excerpt is read back from the file) and a
        // transaction that does not balance.
        let new = "2000-01-03 * C\n    Assets:Cash  1 EUR\n    Income:Gift  ; fund: G\n\n2000-01-01 * D\n    Assets:Bank  = 99 JPY\n    Income:Gift\n\n2000-01-04 E\n    Assets:Bank  1 JPY\n    Income:Gift  -2 JPY\n";
        for old in [clean, checked] {
            std::fs::write(&path, old).unwrap();
            let settings = Settings::for_bare_journal(&path);
            let loaded = load(settings.clone()).unwrap();
            if old == checked {
                assert!(!loaded.diagnostics.is_empty(), "the checks found something");
            }
            let lines = loaded
                .continuable
                .expect("a journal read without a problem can be continued");
            assert_eq!(lines, 7);
            // One blank line between the journal and the new entries.
            std::fs::write(&path, format!("{old}\n{new}")).unwrap();
            let first_byte = old.len() as u64 + 1;
            let continued = load_continued(
                settings.clone(),
                loaded,
                &path,
                lines + 2,
                first_byte,
                new.to_string(),
            )
            .unwrap();
            let whole = load(settings).unwrap();
            assert!(whole.diagnostics.len() >= 2, "{:?}", whole.diagnostics);
            assert_eq!(shape(&continued), shape(&whole));
        }
    }

    /// A journal of several segments with dates out of order deep in it
    /// (warnings of the whole-journal checks, quoting old lines): the
    /// continued load quotes them as the whole load does, each from its
    /// segment.
    #[test]
    fn a_continued_load_quotes_old_lines_from_their_segments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ledger");
        let mut old = String::new();
        for i in 0..200_000u32 {
            // About 3 segments; every 10,000th entry is dated before the
            // one above it.
            let day = if i % 10_000 == 9_999 {
                1
            } else {
                2 + i / 8_000
            };
            old.push_str(&format!(
                "2000-01-{:02} * Gift {i}\n    Assets:Bank  {i} JPY\n    Income:Gift\n",
                day.min(28)
            ));
        }
        assert!(old.len() > 2 * crate::read::source::SEGMENT_BYTES);
        std::fs::write(&path, &old).unwrap();
        let settings = Settings::for_bare_journal(&path);
        let loaded = load(settings.clone()).unwrap();
        assert!(!loaded.diagnostics.is_empty(), "dates out of order");
        assert!(
            loaded.segment_starts.len() > 2,
            "{:?}",
            loaded.segment_starts
        );
        let lines = loaded
            .continuable
            .expect("a journal read without a problem");
        let new = "2000-02-01 * New\n    Assets:Bank  1 JPY\n    Income:Gift\n";
        std::fs::write(&path, format!("{old}\n{new}")).unwrap();
        let continued = load_continued(
            settings.clone(),
            loaded,
            &path,
            lines + 2,
            old.len() as u64 + 1,
            new.to_string(),
        )
        .unwrap();
        let whole = load(settings).unwrap();
        assert_eq!(shape(&continued), shape(&whole));
        let quoted: Vec<_> = whole
            .diagnostics
            .iter()
            .flat_map(|d| d.excerpt.clone())
            .collect();
        assert!(
            quoted
                .iter()
                .any(|(line, text)| *line > 300_000 && text.starts_with("2000-01-01")),
            "{quoted:?}"
        );
    }

    #[test]
    fn a_journal_ending_in_a_directive_s_scope_is_not_continued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ledger");
        for text in [
            "apply account Sub\n2000-01-01 A\n    Assets:Bank  1 JPY\n    Income:Gift\n",
            "2000-01-01 A\n    Assets:Bank  1 JPY\n    Income:Gift\ncomment\nstill a comment\n",
            "Y 2001\n",
        ] {
            std::fs::write(&path, text).unwrap();
            let loaded = load(Settings::for_bare_journal(&path)).unwrap();
            assert_eq!(loaded.continuable, None, "{text:?}");
        }
    }

    /// A journal of `count` transactions drawn from shapes near and off the
    /// common one: known and new names, bad names, funds declared or not,
    /// elided amounts, several commodities, costs, virtual postings, tags,
    /// codes, commas, directives, and transactions that do not balance (as
    /// a whole or per fund).
    fn assorted_journal(seed: u64, count: usize) -> String {
        let mut state = seed | 1;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let accounts = [
            "Assets:Bank",
            "Assets:Cash:CNY",
            "Income:Gifts",
            "Expenses:Food:Rice",
            "Expenses:Shelter",
            "Liabilities:MemberLoans:Kim",
            "Odd:Root",
            "Assets:Bank\u{1b}",
            "Assets:Bank:New",
            "(Outputs:Rice)",
            "[Budget:Food]",
        ];
        let funds = [
            "",
            "",
            "  ; fund: General",
            "  ; fund: FoodAid",
            "  ; fund: Shelters",
            "  ; fund: Unknown",
            "  ; fund: General\n    ; fund: FoodAid",
            "  ; route: RN-01",
            "  ; fund:",
            "  ; paid in cash",
            "\n    ; small gifts without the giver's name\n    ; and a second line",
            "  ; fund: General\n    ; a note",
        ];
        let amounts = [
            "100 JPY",
            "2602.50 CNY",
            "12.505 CNY",
            "0.5 JPY",
            "7 USD",
            "1,000 JPY",
            "3 CNY @ 13.05 JPY",
            "14 CNY @@ 190 JPY",
            "5 kg",
        ];
        let payees = [
            "Donation",
            "Rice for RN-01",
            "収入 寄付",
            "Bad\u{1b}[31m payee",
            "",
            "Rice, beans and oil for 1,000 people",
        ];
        let mut text = String::new();
        for i in 0..count {
            if next(97) == 0 {
                text.push_str(
                    [
                        "alias Assets:Bank = Assets:Cash:CNY\n",
                        "end aliases\n",
                        "apply account Sub\n",
                        "end apply account\n",
                        "Y 2001\n",
                    ][next(5)],
                );
            }
            let day = 1 + i % 28;
            let status = [" *", " !", ""][next(3)];
            let code = if next(9) == 0 { " (C1)" } else { "" };
            let payee = payees[next(payees.len())];
            text.push_str(&format!("2000-04-{day:02}{status}{code} {payee}\n"));
            if next(7) == 0 {
                text.push_str(
                    [
                        "    ; fund: FoodAid\n",
                        "    ; note: x\n",
                        "    ; fund: Nowhere\n",
                        "    ; the board sets aside general funds\n",
                    ][next(4)],
                );
            }
            // Mostly two or three postings that balance, per fund too.
            let fund = funds[next(funds.len())];
            let (a, b) = (accounts[next(4)], accounts[next(5)]);
            match next(6) {
                0 => {
                    let amount = amounts[next(amounts.len())];
                    let other = accounts[next(accounts.len())];
                    let elide = if next(2) == 0 {
                        String::new()
                    } else {
                        format!("  -{amount}")
                    };
                    text.push_str(&format!(
                        "    {other}  {amount}{fund}\n    {b}{elide}{}\n",
                        funds[next(funds.len())]
                    ));
                }
                1 => {
                    // Two funds: balanced in each, or not (interfund).
                    let q = 1 + next(5000);
                    let r = if next(3) == 0 { q + 1 } else { q };
                    text.push_str(&format!("    {a}  {q} JPY  ; fund: General\n    {a}  {r} JPY  ; fund: FoodAid\n    {b}  -{q} JPY  ; fund: General\n    {b}  -{r} JPY  ; fund: FoodAid\n"));
                }
                2 => {
                    // An elided posting filled in two commodities, or in
                    // one from amounts of several scales.
                    let (x, y) = [
                        ("10 JPY", "2.50 CNY"),
                        ("1.5 CNY", "2.25 CNY"),
                        ("7 CNY", "-7.00 CNY"),
                        ("12 USD", "0.125 USD"),
                    ][next(4)];
                    text.push_str(&format!(
                        "    {a}  {x}{fund}\n    {a}  {y}{fund}\n    {b}{fund}\n"
                    ));
                }
                _ => {
                    let q = next(100_000);
                    let cents = next(100);
                    let form = [
                        format!("{q} JPY"),
                        format!("{q}.{cents:02} CNY"),
                        format!("-{q} JPY"),
                    ][next(3)]
                    .clone();
                    let elide = next(3) == 0;
                    let second = if elide {
                        String::new()
                    } else if let Some(positive) = form.strip_prefix('-') {
                        format!("  {positive}")
                    } else {
                        format!("  -{form}")
                    };
                    text.push_str(&format!("    {a}  {form}{fund}\n    {b}{second}{fund}\n"));
                    if next(5) == 0 {
                        text.push_str("    ; route: RR-02\n");
                    }
                }
            }
            text.push('\n');
        }
        text
    }

    /// Settings for [`assorted_journal`]'s ledgers: yen the base currency,
    /// yuan with two decimals, three funds.
    const ASSORTED_SETTINGS: &str = "organisation = \"Test\"\nbase_currency = \"JPY\"\njournal = \"main.ledger\"\n\
            strict_funds = false\n\
            [account_classes]\nAssets = \"assets\"\nLiabilities = \"liabilities\"\nIncome = \"income\"\nExpenses = \"expenses\"\n\
            [[funds]]\nid = \"General\"\nname = \"General\"\nrestriction = \"unrestricted\"\ndefault = true\n\
            [[funds]]\nid = \"FoodAid\"\nname = \"FoodAid\"\nrestriction = \"restricted\"\n\
            [[funds]]\nid = \"Shelters\"\nname = \"Shelters\"\nrestriction = \"restricted\"\n\
            [[commodities]]\nsymbol = \"JPY\"\nprecision = 0\n\
            [[commodities]]\nsymbol = \"CNY\"\nprecision = 2\n";

    /// Above `parallel::TRANSACTIONS_MIN` the loader, the checks, the
    /// invariant check and the valuation run on the pool; forced onto the calling thread
    /// they must find the same problems in the same order and give the
    /// same values.
    #[test]
    fn the_pool_and_the_calling_thread_give_the_same_results() {
        use std::sync::atomic::Ordering::Relaxed;
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("fundledger.toml");
        std::fs::write(&toml_path, ASSORTED_SETTINGS).unwrap();
        let journal_path = dir.path().join("main.ledger");
        // Several chunks of each parallel step (16,384 transactions the
        // largest): 40,000 valid transactions of a few shapes, then
        // assorted ones with problems to report.
        let mut text = String::from(
            "P 2000-01-01 CNY 13.05 JPY\nP 2000-01-01 USD 105 JPY\nP 2000-01-01 kg 300 JPY\n",
        );
        for i in 0..40_000u32 {
            let day = 1 + i % 28;
            text.push_str(
                &match i % 4 {
                    0 => format!("2000-04-{day:02} * Gift {i}\n    Assets:Bank  {} JPY  ; fund: FoodAid\n    Income:Gifts\n", 100 + i),
                    1 => format!("2000-05-{day:02} * Rice {i}\n    Expenses:Food:Rice  {}.25 CNY @ 13.20 JPY  ; fund: FoodAid\n    Assets:Bank  ; fund: FoodAid\n", i % 500),
                    2 => format!("2000-06-{day:02} * Cash {i}\n    Assets:Cash:CNY  {}.50 CNY\n    Assets:Bank  -{}.50 CNY\n", i % 90, i % 90),
                    _ => format!("2000-07-{day:02} * Two funds {i}\n    Expenses:Shelter  {i} JPY  ; fund: Shelters\n    Assets:Bank  -{i} JPY  ; fund: Shelters\n    Expenses:Shelter  7 JPY\n    Assets:Bank\n"),
                },
            );
        }
        text.push_str(&assorted_journal(7, 700));
        std::fs::write(&journal_path, text).unwrap();
        let run = |sequential: bool| {
            crate::parallel::SEQUENTIAL.store(sequential, Relaxed);
            let settings = Settings::parse(ASSORTED_SETTINGS, &toml_path, dir.path())
                .unwrap_or_else(|e| panic!("{e:?}"));
            let loaded = load(settings).unwrap();
            let valued = crate::reports::valued::Valued::new(&loaded.journal).map(|v| {
                format!(
                    "{:?}",
                    v.real_postings(None, chrono::NaiveDate::MAX)
                        .collect::<Vec<_>>()
                )
            });
            crate::parallel::SEQUENTIAL.store(false, Relaxed);
            (shape(&loaded), format!("{:?}", loaded.diagnostics), valued)
        };
        let (pool, calling_thread) = (run(false), run(true));
        assert!(pool.1.len() > 100, "the journal has problems to report");
        assert!(pool.0.len() > 1_000_000, "the journal has its transactions");
        assert!(pool.2.is_ok(), "the journal is valued: {:?}", pool.2);
        assert_eq!(pool, calling_thread);
    }

    #[test]
    fn the_common_lane_lays_out_what_the_general_path_does() {
        use std::sync::atomic::Ordering::Relaxed;
        let dir = tempfile::tempdir().unwrap();
        let toml = ASSORTED_SETTINGS;
        let toml_path = dir.path().join("fundledger.toml");
        std::fs::write(&toml_path, toml).unwrap();
        let journal_path = dir.path().join("main.ledger");
        let (mut taken, mut compared) = (0, 0);
        for seed in 1..=6u64 {
            std::fs::write(&journal_path, assorted_journal(seed, 700)).unwrap();
            let in_dir =
                Settings::parse(toml, &toml_path, dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
            for settings in [in_dir, Settings::for_bare_journal(&journal_path)] {
                COMMON_LANE_OFF.store(true, Relaxed);
                let general = load(settings.clone());
                COMMON_LANE_OFF.store(false, Relaxed);
                let lane = load(settings);
                match (general, lane) {
                    (Ok(general), Ok(lane)) => {
                        assert!(
                            !general.diagnostics.is_empty(),
                            "the journal has errors to report"
                        );
                        assert_eq!(shape(&general), shape(&lane), "seed {seed}");
                        assert_eq!(general.common_lane_blocks, 0);
                        taken += lane.common_lane_blocks;
                        compared += 1;
                    }
                    (general, lane) => assert_eq!(format!("{general:?}"), format!("{lane:?}")),
                }
            }
        }
        assert_eq!(compared, 12);
        // Both outcomes well exercised, or the test proves nothing.
        assert!(
            (1_000..7_000).contains(&taken),
            "the common lane took {taken} of 8,400 blocks"
        );
    }
}
