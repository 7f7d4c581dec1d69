//! Reading journal files and cutting them into entries.
//!
//! This is the first half of the layer in front of ledger-parser. It reads
//! every file (following `include`), normalises what ledger-parser cannot
//! take (a UTF-8 byte-order mark, CRLF line ends, a missing final newline),
//! and scans lines into [`Entry`] values: transaction blocks (handed to
//! ledger-parser later, each on its own and in parallel), price lines, and the
//! declarations ledger-parser rejects (`account`, `commodity`, `payee`, `tag`,
//! comment blocks), which this module reads itself.
//!
//! Invariant: every [`SourceFile::text`] ends with `\n` and holds no `\r\n`,
//! so no ledger-parser input ends without a newline (the inputs on which
//! ledger-parser 7.0.0 panics).

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Location};

/// The largest journal file read, in bytes.
pub const FILE_SIZE_MAX_BYTES: u64 = 2 << 30;
/// The longest line read, in bytes.
pub const LINE_LENGTH_MAX_BYTES: usize = 64 * 1024;
/// The deepest chain of includes.
pub const INCLUDE_DEPTH_MAX: usize = 16;
/// The most postings one transaction may have.
pub const POSTINGS_PER_TRANSACTION_MAX: usize = 1000;

/// One file read into memory, normalised.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as reached from the path the user gave.
    pub path: PathBuf,
    /// The text: UTF-8, no BOM, `\n` line ends, ending in `\n`.
    pub text: String,
    /// Byte offset of the start of each line (index 0 is line 1), built the
    /// first time a line is asked for (only diagnostics need it).
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// Builds a source file from text, normalising it.
    pub fn new(path: PathBuf, text: String) -> SourceFile {
        let mut text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        };
        if text.contains('\r') {
            text = text.replace("\r\n", "\n");
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        SourceFile {
            path,
            text,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(
                self.text
                    .bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i + 1)
                    .filter(|&start| start < self.text.len()),
            );
            starts
        })
    }

    /// The text of 1-based `line`, without its newline ("" when out of range).
    pub fn line(&self, line: u32) -> &str {
        let index = (line as usize).saturating_sub(1);
        let line_starts = self.line_starts();
        let Some(&start) = line_starts.get(index) else {
            return "";
        };
        let end = line_starts
            .get(index + 1)
            .map(|&next| next - 1)
            .unwrap_or_else(|| self.text.len().saturating_sub(1).max(start));
        self.text.get(start..end).unwrap_or("")
    }

    /// Lines `first..=last` as an excerpt, at most `max_lines` of them.
    pub fn excerpt(&self, first: u32, last: u32, max_lines: u32) -> Vec<(u32, String)> {
        let last = last.min(first.saturating_add(max_lines.saturating_sub(1)));
        (first..=last)
            .map(|n| (n, self.line(n).to_string()))
            .collect()
    }
}

/// Where an entry is: the file's index in [`Sources::files`] and a 1-based line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourcePos {
    /// Index into [`Sources::files`].
    pub file: u32,
    /// 1-based line.
    pub line: u32,
}

/// A transaction's lines, not yet parsed.
#[derive(Clone, Debug)]
pub struct TransactionBlock {
    /// The header line.
    pub pos: SourcePos,
    /// The block's byte range in the file's text (ends after a `\n`).
    pub bytes: std::ops::Range<usize>,
    /// The last line of the block.
    pub last_line: u32,
}

/// A directive or transaction, in journal order (includes inlined).
#[derive(Clone, Debug)]
pub enum Entry {
    /// A transaction block.
    Transaction(TransactionBlock),
    /// A `P` price line.
    Price {
        /// Where it is.
        pos: SourcePos,
        /// The line's byte range in the file's text.
        bytes: std::ops::Range<usize>,
    },
    /// `account NAME`.
    Account {
        /// Where it is.
        pos: SourcePos,
        /// The account name.
        name: String,
    },
    /// `commodity SYMBOL` (or `commodity 1000.00 SYMBOL`).
    Commodity {
        /// Where it is.
        pos: SourcePos,
        /// The symbol.
        symbol: String,
        /// Decimal places when the directive shows a sample amount.
        precision: Option<u32>,
    },
}

/// All files of a journal and its entries in order.
#[derive(Debug, Default)]
pub struct Sources {
    /// Every file read, the journal first.
    pub files: Vec<SourceFile>,
    /// Entries in journal order.
    pub entries: Vec<Entry>,
}

impl Sources {
    /// The location of a position, for diagnostics.
    pub fn location(&self, pos: SourcePos) -> Location {
        Location {
            path: self.files[pos.file as usize].path.clone(),
            line: pos.line,
        }
    }

    /// A diagnostic located at `pos` with that line as its excerpt.
    pub fn diagnostic_at(
        &self,
        code: Code,
        pos: SourcePos,
        message: impl Into<String>,
    ) -> Diagnostic {
        let file = &self.files[pos.file as usize];
        Diagnostic::new(code, message)
            .at(self.location(pos))
            .with_excerpt(vec![(pos.line, file.line(pos.line).to_string())])
    }

    /// A diagnostic about a whole transaction block, showing its lines.
    pub fn diagnostic_for_block(
        &self,
        code: Code,
        block: &TransactionBlock,
        message: impl Into<String>,
    ) -> Diagnostic {
        let file = &self.files[block.pos.file as usize];
        Diagnostic::new(code, message)
            .at(self.location(block.pos))
            .with_excerpt(file.excerpt(block.pos.line, block.last_line, 12))
    }

    /// The text of an entry's line.
    pub fn line_text(&self, pos: SourcePos) -> &str {
        self.files[pos.file as usize].line(pos.line)
    }

    /// The text of a transaction block.
    pub fn block_text(&self, block: &TransactionBlock) -> &str {
        self.text(block.pos.file, block.bytes.clone())
    }

    /// A byte range of a file's text.
    pub fn text(&self, file: u32, bytes: std::ops::Range<usize>) -> &str {
        self.files[file as usize].text.get(bytes).unwrap_or("")
    }
}

/// Reads `journal` and everything it includes, confined to `root`.
///
/// # Errors
/// An I/O error reading the top journal itself is returned as `Err` (a usage
/// problem: the user named a file that is not there). Every problem inside the
/// data, including includes that cannot be read, is a diagnostic.
pub fn read_journal(
    journal: &Path,
    root: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> std::io::Result<Sources> {
    let mut reader = Reader {
        sources: Sources::default(),
        stack: Vec::new(),
        root: normalize(&absolute(root)),
        root_shown: root.to_path_buf(),
        diagnostics,
    };
    let text = read_text(journal, None, reader.diagnostics)?;
    reader.scan_file(journal.to_path_buf(), text);
    Ok(reader.sources)
}

/// Builds sources from in-memory text (for tests, fuzzing and imports).
pub fn read_text_journal(path: &Path, text: String, diagnostics: &mut Vec<Diagnostic>) -> Sources {
    let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut reader = Reader {
        sources: Sources::default(),
        stack: Vec::new(),
        root: normalize(&absolute(&root)),
        root_shown: root.clone(),
        diagnostics,
    };
    reader.scan_file(path.to_path_buf(), text);
    reader.sources
}

/// Reads a file as UTF-8. Invalid UTF-8 becomes a located diagnostic and the
/// file's valid prefix is used (so later lines still get checked).
fn read_text(
    path: &Path,
    included_from: Option<Location>,
    diagnostics: &mut Vec<Diagnostic>,
) -> std::io::Result<String> {
    let metadata = std::fs::metadata(path)?;
    if metadata.len() > FILE_SIZE_MAX_BYTES {
        let mut d = Diagnostic::new(
            Code::LimitExceeded,
            format!(
                "{} is {} bytes; fundledger reads journal files of at most {} bytes",
                path.display(),
                metadata.len(),
                FILE_SIZE_MAX_BYTES
            ),
        );
        d.location = included_from;
        diagnostics.push(d);
        return Ok(String::new());
    }
    let bytes = std::fs::read(path)?;
    Ok(decode(path, bytes, diagnostics))
}

/// Decodes journal bytes as UTF-8. Invalid UTF-8 becomes a located E106
/// diagnostic and the complete lines before the bad byte are kept, so the
/// rest of the file's problems are still reported.
pub fn decode(path: &Path, bytes: Vec<u8>, diagnostics: &mut Vec<Diagnostic>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid_up_to = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let line = bytes[..valid_up_to].iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = bytes[..valid_up_to]
                .iter()
                .rposition(|&b| b == b'\n')
                .map(|i| i + 1)
                .unwrap_or(0);
            let bad: Vec<String> = bytes[valid_up_to..]
                .iter()
                .take(4)
                .map(|b| format!("{b:02X}"))
                .collect();
            let line_number = u32::try_from(line).unwrap_or(u32::MAX);
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
                        "byte {} (column {}) is not valid UTF-8",
                        valid_up_to,
                        valid_up_to - line_start + 1
                    ),
                )
                .at(Location {
                    path: path.to_path_buf(),
                    line: line_number,
                })
                .with_excerpt(vec![(line_number, shown)])
                .found(format!("the bytes {}", bad.join(" ")))
                .expected(
                    "a UTF-8 journal; convert Shift_JIS files with `iconv -f CP932 -t UTF-8`",
                ),
            );
            String::from_utf8_lossy(&bytes[..line_start]).into_owned()
        }
    }
}

struct Reader<'d> {
    sources: Sources,
    /// Canonical paths of the files being read (for cycle detection), with
    /// the paths as the user reaches them (for messages).
    stack: Vec<(PathBuf, PathBuf)>,
    root: PathBuf,
    /// The root as the user named it.
    root_shown: PathBuf,
    diagnostics: &'d mut Vec<Diagnostic>,
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
    let (word, rest) = match line.find([' ', '\t']) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line.trim_end(), ""),
    };
    match word {
        "P" => LineKind::Price,
        "include" => LineKind::Include(rest),
        "account" => LineKind::Account(strip_inline_comment(rest)),
        "commodity" => LineKind::Commodity(strip_inline_comment(rest)),
        "payee" | "tag" => LineKind::IgnoredDeclaration,
        "comment" | "test" => LineKind::BlockComment(word),
        "decimal-mark" if rest == "." => LineKind::IgnoredDeclaration,
        "alias" | "apply" | "end" | "D" | "Y" | "year" | "bucket" | "A" | "N" | "C" | "define"
        | "def" | "assert" | "check" | "expr" | "eval" | "value" | "decimal-mark" | "=" | "~"
        | "i" | "o" | "I" | "O" | "h" | "b" | "python" | "import" => LineKind::Unsupported(word),
        _ if first == '=' || first == '~' => LineKind::Unsupported(&line[..first.len_utf8()]),
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
    if text.is_empty() {
        return None;
    }
    let is_number_char = |c: char| c.is_ascii_digit() || c == '.' || c == ',' || c == '-';
    if let Some((before, quoted)) = text.split_once('"') {
        // A quoted symbol (`"1"`, `1000.00 "A B"`): the number, if any, is
        // outside the quotes.
        let (symbol, after) = quoted.split_once('"')?;
        if symbol.is_empty() {
            return None;
        }
        let number = format!("{before}{after}");
        let number = number.trim();
        let precision = match number.rsplit_once('.') {
            _ if number.is_empty() => None,
            Some((_, fraction)) => u32::try_from(fraction.len()).ok(),
            None => Some(0),
        };
        return Some((symbol.to_string(), precision));
    }
    if !text.contains(|c: char| c.is_ascii_digit()) {
        return Some((text.trim_matches('"').to_string(), None));
    }
    let number_start = text.find(|c: char| c.is_ascii_digit() || c == '-')?;
    let number_end = number_start
        + text[number_start..]
            .find(|c: char| !is_number_char(c))
            .unwrap_or(text.len() - number_start);
    let number = &text[number_start..number_end];
    let symbol = format!("{}{}", &text[..number_start], &text[number_end..]);
    let symbol = symbol.trim().trim_matches('"').to_string();
    if symbol.is_empty() {
        return None;
    }
    let precision = match number.rsplit_once('.') {
        Some((_, fraction)) => u32::try_from(fraction.len()).ok(),
        None => Some(0),
    };
    Some((symbol, precision))
}

impl Reader<'_> {
    fn scan_file(&mut self, path: PathBuf, text: String) {
        let file_index = u32::try_from(self.sources.files.len()).unwrap_or(u32::MAX);
        self.sources.files.push(SourceFile::new(path.clone(), text));
        self.stack.push((normalize(&absolute(&path)), path.clone()));
        self.scan_lines(file_index);
        self.stack.pop();
    }

    fn scan_lines(&mut self, file_index: u32) {
        let mut offset = 0usize;
        let mut line_number = 0u32;
        let mut block: Option<TransactionBlock> = None;
        // Indented lines after a declaration belong to it and are skipped.
        let mut in_declaration = false;
        let mut block_comment_end: Option<&'static str> = None;
        let mut includes: Vec<(SourcePos, String)> = Vec::new();
        // Lines are read from the file's own text; entries that need the
        // file (includes) are handled after its lines, in order, by
        // recording where they go.
        let mut pending_entries: Vec<PendingEntry> = Vec::new();
        {
            let text = &self.sources.files[file_index as usize].text;
            while offset < text.len() {
                line_number = line_number.saturating_add(1);
                let end = text[offset..]
                    .find('\n')
                    .map(|i| offset + i)
                    .unwrap_or(text.len());
                let line = &text[offset..end];
                let next_offset = (end + 1).min(text.len());
                let pos = SourcePos {
                    file: file_index,
                    line: line_number,
                };
                if line.len() > LINE_LENGTH_MAX_BYTES {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::LimitExceeded,
                            format!(
                                "line is {} bytes long; fundledger reads lines of at most {} bytes",
                                line.len(),
                                LINE_LENGTH_MAX_BYTES
                            ),
                        )
                        .at(Location {
                            path: self.sources.files[file_index as usize].path.clone(),
                            line: line_number,
                        }),
                    );
                    if let Some(b) = block.take() {
                        pending_entries.push(PendingEntry::Entry(Entry::Transaction(b)));
                    }
                    offset = next_offset;
                    continue;
                }
                if let Some(end_word) = block_comment_end {
                    if line.trim_end() == end_word {
                        block_comment_end = None;
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
                            pending_entries.push(PendingEntry::Diagnostic(
                                Diagnostic::new(
                                    Code::Unparsable,
                                    "indented line outside a transaction",
                                )
                                .found("a line starting with a space that follows no transaction header")
                                .expected("a transaction header (a date) before posting lines, or no indentation"),
                                pos,
                            ));
                        }
                    }
                    other => {
                        if let Some(b) = block.take() {
                            pending_entries.push(PendingEntry::Entry(Entry::Transaction(b)));
                        }
                        match other {
                            LineKind::Blank | LineKind::Comment | LineKind::Indented => {}
                            LineKind::TransactionHeader => {
                                block = Some(TransactionBlock {
                                    pos,
                                    bytes: offset..next_offset,
                                    last_line: line_number,
                                });
                            }
                            LineKind::Price => {
                                pending_entries.push(PendingEntry::Entry(Entry::Price { pos, bytes: offset..end }))
                            }
                            LineKind::Include(target) => {
                                includes.push((pos, target.to_string()));
                                pending_entries.push(PendingEntry::Include(includes.len() - 1));
                            }
                            LineKind::Account(name) => {
                                in_declaration = true;
                                if name.is_empty() {
                                    pending_entries.push(PendingEntry::Diagnostic(
                                        Diagnostic::new(Code::Unparsable, "account directive without an account name")
                                            .expected("`account NAME`"),
                                        pos,
                                    ));
                                } else {
                                    pending_entries.push(PendingEntry::Entry(Entry::Account {
                                        pos,
                                        name: name.to_string(),
                                    }));
                                }
                            }
                            LineKind::Commodity(argument) => {
                                in_declaration = true;
                                match parse_commodity_directive(argument) {
                                    Some((symbol, precision)) => pending_entries.push(PendingEntry::Entry(
                                        Entry::Commodity { pos, symbol, precision },
                                    )),
                                    None => pending_entries.push(PendingEntry::Diagnostic(
                                        Diagnostic::new(Code::Unparsable, "commodity directive without a commodity")
                                            .expected("`commodity SYMBOL` or `commodity 1000.00 SYMBOL`"),
                                        pos,
                                    )),
                                }
                            }
                            LineKind::IgnoredDeclaration => in_declaration = true,
                            LineKind::BlockComment(word) => {
                                block_comment_end = Some(if word == "test" { "end test" } else { "end comment" });
                            }
                            LineKind::Unsupported(word) => {
                                in_declaration = true;
                                pending_entries.push(PendingEntry::Diagnostic(
                                    Diagnostic::new(
                                        Code::UnsupportedDirective,
                                        format!("fundledger does not support the `{word}` directive"),
                                    )
                                    .expected("transactions, `P` prices, `include`, `account`, `commodity`, `payee`, `tag` and comments; rewrite the entries it produces as plain transactions"),
                                    pos,
                                ));
                            }
                            LineKind::Unknown => pending_entries.push(PendingEntry::Diagnostic(
                                Diagnostic::new(Code::Unparsable, "line is not a transaction, price, directive or comment")
                                    .expected("a transaction header starting with a date (2000-04-01), `P`, a directive, or a comment starting with `;`"),
                                pos,
                            )),
                        }
                    }
                }
                offset = next_offset;
            }
        }
        if let Some(b) = block.take() {
            pending_entries.push(PendingEntry::Entry(Entry::Transaction(b)));
        }
        for pending in pending_entries {
            match pending {
                PendingEntry::Entry(entry) => self.sources.entries.push(entry),
                PendingEntry::Diagnostic(d, pos) => {
                    let excerpt = vec![(pos.line, self.sources.line_text(pos).to_string())];
                    self.diagnostics
                        .push(d.at(self.sources.location(pos)).with_excerpt(excerpt));
                }
                PendingEntry::Include(index) => {
                    let (pos, target) = &includes[index];
                    self.include(*pos, target);
                }
            }
        }
    }

    fn include(&mut self, pos: SourcePos, target: &str) {
        let target = strip_inline_comment(target).trim_matches('"');
        let diagnostic = |sources: &Sources, code: Code, message: String| {
            sources.diagnostic_at(code, pos, message)
        };
        if target.is_empty() {
            let d = diagnostic(
                &self.sources,
                Code::Unparsable,
                "include without a file name".into(),
            );
            self.diagnostics
                .push(d.expected("`include FILE`, relative to the including file"));
            return;
        }
        if target.contains(['*', '?', '[']) || target.starts_with('~') {
            let d = diagnostic(
                &self.sources,
                Code::UnsupportedDirective,
                format!("include of {target:?}: glob patterns and `~` are not supported"),
            );
            self.diagnostics.push(d.expected("a plain relative path"));
            return;
        }
        let including = &self.sources.files[pos.file as usize].path;
        let base = including.parent().unwrap_or(Path::new(""));
        let path = base.join(target);
        let canonical = normalize(&absolute(&path));
        if Path::new(target).is_absolute() || !canonical.starts_with(&self.root) {
            let d = diagnostic(
                &self.sources,
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
            let d = diagnostic(
                &self.sources,
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
        if self.stack.len() >= INCLUDE_DEPTH_MAX {
            let d = diagnostic(
                &self.sources,
                Code::LimitExceeded,
                format!("include of {target:?} is nested more than {INCLUDE_DEPTH_MAX} deep"),
            );
            self.diagnostics.push(d);
            return;
        }
        let included_from = Some(self.sources.location(pos));
        match read_text(&path, included_from, self.diagnostics) {
            Ok(text) => self.scan_file(path, text),
            Err(error) => {
                let d = diagnostic(
                    &self.sources,
                    Code::IncludeNotFound,
                    format!("cannot read included file {}: {error}", path.display()),
                );
                self.diagnostics
                    .push(d.expected("an existing, readable file"));
            }
        }
    }
}

enum PendingEntry {
    Entry(Entry),
    Include(usize),
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

/// Names declared by `account` directives, gathered for the declaration check.
pub fn declared_accounts(sources: &Sources) -> HashSet<&str> {
    sources
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Account { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> (Sources, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let sources = read_text_journal(Path::new("t.ledger"), text.to_string(), &mut diagnostics);
        (sources, diagnostics)
    }

    #[test]
    fn normalises_bom_crlf_and_final_newline() {
        let file = SourceFile::new("x".into(), "\u{feff}a\r\nb".into());
        assert_eq!(file.text, "a\nb\n");
        assert_eq!(file.line(1), "a");
        assert_eq!(file.line(2), "b");
        assert_eq!(file.line(3), "");
    }

    #[test]
    fn cuts_blocks_and_declarations() {
        let (sources, diagnostics) = scan(
            "; comment\naccount Assets:Bank\n  note the bank\ncommodity 1000.00 CNY\n\n2000-04-01 * Payee\n    ; header comment\n    Assets:Bank  10 JPY\n    Income:Gift\nP 2000-04-01 CNY 13 JPY\n",
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(sources.entries.len(), 4);
        match &sources.entries[2] {
            Entry::Transaction(b) => {
                assert_eq!(b.pos.line, 6);
                assert_eq!(b.last_line, 9);
                assert!(sources.block_text(b).ends_with("Income:Gift\n"));
            }
            other => panic!("expected a transaction, got {other:?}"),
        }
        match &sources.entries[1] {
            Entry::Commodity {
                symbol, precision, ..
            } => {
                assert_eq!(symbol, "CNY");
                assert_eq!(*precision, Some(2));
            }
            other => panic!("expected a commodity, got {other:?}"),
        }
    }

    #[test]
    fn unsupported_and_unknown_lines_are_located() {
        let (_, diagnostics) = scan("alias a=b\nnonsense here\n  stray posting\n");
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
    }
}
