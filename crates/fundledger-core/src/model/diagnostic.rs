//! Located, coded diagnostics, as data and as text.
//!
//! Every problem fundledger finds in the data is a [`Diagnostic`]: a stable
//! [`Code`], a severity, the `file:line` it is about (and the columns, when
//! known), the offending source lines, what was found and what was
//! expected. Loading collects all of them instead of stopping at the first.
//!
//! **As text** ([`Diagnostic::render`], and `Display`), one grep-friendly
//! header line in the `FILE:LINE[:COLUMN]: error[CODE]: message` form that
//! editors and CI annotators understand, then the excerpt drawn by
//! `annotate-snippets` (the renderer rustc and cargo use): carets under the
//! offending span (the whole line when no column is known), the
//! transaction's header underlined with `-` when it is shown for context,
//! `...` for skipped lines, and the `found`/`expected` notes:
//!
//! ```text
//! journal.ledger:14:30: error[E303]: unknown fund "FodAid"
//!    |
//! 12 | 2000-04-03 * Rice purchase
//!    | --------------------------
//! ...
//! 14 |     Expenses:FoodAid:Rice  1000 JPY  ; fund: FodAid
//!    |                                             ^^^^^^
//!    |
//!    = expected: one of the funds in fundledger.toml: FoodAid, General
//! ```
//!
//! **As data**, a `Diagnostic` serialises (serde) to one flat object:
//! `code`, `severity` (`"error"`/`"warning"`), `title`, `file`, `line`,
//! `column_start`, `column_end` (1-based character columns, end exclusive;
//! `null` when unknown), `message`, `found`, `expected` and `excerpt`
//! (`[{"line": N, "text": "..."}]`). `fundledger check -O json` prints one
//! such object per line (JSON Lines).

use std::fmt;
use std::path::PathBuf;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// How serious a diagnostic is. Errors make `check` exit 1 and stop reports;
/// warnings are printed and do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The data is wrong; nothing is reported from it.
    Error,
    /// The data is suspicious but usable.
    Warning,
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $severity:ident, $title:literal;)*) => {
        /// The stable code of every diagnostic. Codes are never reused or
        /// renumbered; `fundledger` documents each one in the crate docs and
        /// each has a reproducer journal under `tests/errors/`. New codes
        /// are added, so matches on it need a wildcard arm.
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[$doc])* $name,)*
        }

        impl Code {
            /// Every code, in numeric order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// The code as printed, e.g. `E201`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$name => $code,)* }
            }

            /// The default severity of the code.
            pub fn severity(self) -> Severity {
                match self { $(Code::$name => Severity::$severity,)* }
            }

            /// A one-line title of the problem the code stands for.
            pub fn title(self) -> &'static str {
                match self { $(Code::$name => $title,)* }
            }
        }
    };
}

codes! {
    /// A line ledger-parser (or our own scanner) cannot read.
    Unparsable = "E101", Error, "unparsable entry";
    /// A directive fundledger does not support (`alias`, automated entries...).
    UnsupportedDirective = "E102", Error, "unsupported directive";
    /// An `include` whose file does not exist or cannot be read.
    IncludeNotFound = "E103", Error, "included file not found";
    /// An `include` that includes itself, directly or not.
    IncludeCycle = "E104", Error, "include cycle";
    /// An `include` that leaves the ledger directory.
    IncludeOutsideLedger = "E105", Error, "include outside the ledger directory";
    /// A file that is not valid UTF-8.
    InvalidUtf8 = "E106", Error, "file is not valid UTF-8";
    /// A file, line, transaction or include chain beyond fundledger's limits.
    LimitExceeded = "E107", Error, "limit exceeded";
    /// A transaction whose postings do not sum to zero per commodity.
    Unbalanced = "E201", Error, "transaction does not balance";
    /// More than one posting of a transaction without an amount.
    MultipleElided = "E202", Error, "more than one posting without an amount";
    /// A cost conversion whose result is finer than its commodity allows.
    InexactCost = "E203", Error, "cost conversion is not exact";
    /// An amount with more decimals than its commodity's precision.
    TooPrecise = "E204", Error, "amount finer than its commodity's precision";
    /// Arithmetic beyond the 28-digit decimal range.
    Overflow = "E205", Error, "amount overflow";
    /// A commodity the ledger does not declare.
    UndeclaredCommodity = "E301", Error, "undeclared commodity";
    /// An account the ledger does not declare (when it declares accounts).
    UndeclaredAccount = "E302", Error, "undeclared account";
    /// A `fund:` tag naming a fund that `fundledger.toml` does not define.
    UnknownFund = "E303", Error, "unknown fund";
    /// A real posting to an account whose root has no class.
    UnclassifiedAccount = "E304", Error, "account root has no class";
    /// A fund that does not balance on its own, with `strict_funds = true`.
    FundUnbalanced = "E401", Error, "fund does not balance on its own";
    /// A restricted fund whose net assets fall below zero.
    RestrictedFundOverspent = "E402", Error, "restricted fund spent below zero";
    /// An expense charged to a fund outside the purposes the fund allows.
    FundPurpose = "E403", Error, "expense outside the fund's purpose";
    /// A gift its donor restricted (an income account that a restricted
    /// fund lists in `income_accounts`) booked to an unrestricted or
    /// board-designated fund.
    RestrictedGiftUnrestricted = "E404", Error, "donor-restricted gift in an unrestricted fund";
    /// A board-designated fund whose net assets fall below zero (a
    /// designation sets aside existing unrestricted net assets; a deficit
    /// is undesignated).
    DesignatedFundBelowZero = "E405", Error, "board-designated fund below zero";
    /// A balance assertion that does not hold.
    AssertionFailed = "E501", Error, "balance assertion failed";
    /// A CSV file that is not valid in its encoding.
    CsvEncoding = "E601", Error, "CSV file not valid in its encoding";
    /// A CSV date that does not match the date format.
    CsvDate = "E602", Error, "unreadable date";
    /// A CSV amount or count that cannot be read.
    CsvAmount = "E603", Error, "unreadable amount";
    /// A sales row naming a product not in the catalogue.
    UnknownProduct = "E604", Error, "unknown product";
    /// A required CSV column or value that is missing.
    CsvMissing = "E605", Error, "missing column or value";
    /// An import id already in the journal with different content.
    ImportConflict = "E606", Error, "import id already used for different content";
    /// An invalid import rules file.
    ImportRules = "E607", Error, "invalid import rules";
    /// A CSV row that cannot be read as CSV (wrong number of fields...).
    CsvMalformed = "E608", Error, "malformed CSV row";
    /// An entry dated inside a fiscal year that has been closed (added or
    /// changed after its close).
    ClosedYear = "E701", Error, "entry inside a closed year";
    /// A closed year whose transactions no longer match its close record.
    ClosedYearChanged = "E702", Error, "closed year changed after its close";
    /// A year that `close` cannot close yet (a missing cash count, closing
    /// rate, a suspense balance, statements that do not tie).
    NotReadyToClose = "E703", Error, "year not ready to close";
    /// A statement that does not reconcile with the books (nothing written).
    NotReconciled = "E801", Error, "statement does not reconcile";
    /// Spending without a receipt (`receipt: none`) that names no approver,
    /// or one not among `[advances] approvers`.
    UnapprovedUnreceipted = "E802", Error, "unreceipted spending without an approver";
    /// A `document:` tag naming a file that does not exist.
    DocumentMissing = "E803", Error, "document not found";
    /// A `document:` tag leading outside the ledger directory.
    DocumentOutside = "E804", Error, "document outside the ledger directory";
    /// A row of the donor register (`donors.csv`) that cannot be read.
    DonorRegister = "E901", Error, "invalid donor register";
    /// A gift already covered by an issued receipt (`receipts.csv`): a
    /// second receipt is refused, naming the first.
    AlreadyReceipted = "E911", Error, "gift already receipted";
    /// A receipt for a donor it cannot be addressed to: not in the donor
    /// register, anonymous, or without a name or address.
    DonorNotReceiptable = "E912", Error, "donor cannot be sent a receipt";
    /// A row of the receipts register (`receipts.csv`) that cannot be read.
    ReceiptRegister = "E913", Error, "invalid receipts register";
    /// A gift a receipt cannot state: not in the base currency, or no
    /// longer in the journal when a copy is printed.
    GiftNotReceiptable = "E914", Error, "gift cannot be receipted";
    /// A `donor:` tag naming an id the donor register does not hold.
    UnknownDonor = "E902", Error, "unknown donor";
    /// An import row naming a donor whom several donors of the register
    /// share a name with.
    AmbiguousDonor = "E903", Error, "ambiguous donor";
    /// A periodic entry (budget) whose period cannot be read, has no
    /// interval, depends on today or starts inside an interval; or an empty
    /// `budget:` tag.
    BudgetPeriod = "E111", Error, "budget period cannot be read";
    /// A budget naming an account the journal neither uses nor declares (or
    /// one without a class), or money in a currency other than the base.
    BudgetAccount = "E305", Error, "budget names an unknown account";
    /// Transactions out of date order within a file.
    DatesOutOfOrder = "W101", Warning, "dates out of order";
    /// A foreign-currency amount that cannot be valued in the base currency.
    NoPrice = "W102", Warning, "no price to value an amount";
    /// A bare journal's transaction balanced only to the display precision
    /// (as hledger accepts it): its residual is posted to the rounding account.
    RoundingResidual = "W103", Warning, "residual posted to the rounding account";
    /// A bank or cash account not reconciled within `[reconcile] max_days`.
    NotReconciledRecently = "W801", Warning, "account not reconciled recently";
    /// A suspense account holding a balance (a cash count difference).
    SuspenseBalance = "W802", Warning, "suspense account holds a balance";
    /// An advance open past `[advances] max_days`.
    AdvanceOpenTooLong = "W803", Warning, "advance open too long";
    /// A single remittance abroad over `[remittances] threshold`.
    LargeRemittance = "W804", Warning, "remittance over the threshold";
    /// An error in `fundledger.toml`.
    Settings = "E001", Error, "invalid settings";
}

impl Serialize for Code {
    /// A code serialises as its text, e.g. `"E201"`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a source file: its path as the user named it and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct Location {
    /// The file, as reached from the path the user gave.
    pub path: PathBuf,
    /// The 1-based line number.
    pub line: u32,
}

impl Location {
    /// Line `line` (1-based) of `path`.
    pub fn new(path: impl Into<PathBuf>, line: u32) -> Location {
        Location {
            path: path.into(),
            line,
        }
    }
}

/// The columns of the offending text on the diagnostic's line: 1-based
/// character columns, `end` exclusive (`start == end` is a point).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Span {
    /// The first column (1-based, in characters).
    pub start: u32,
    /// The column after the last one.
    pub end: u32,
}

/// The most characters of one source line a diagnostic shows.
pub const EXCERPT_LINE_MAX_CHARS: usize = 240;

/// A character that must never reach a journal or a terminal from a name:
/// control characters (newline, tab, ESC, NUL...) and the invisible
/// bidirectional overrides and isolates that reorder displayed text.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// A diagnostic at `line` of `path`, with that line of `lines` (the file's
/// text, cut into lines) as its excerpt: how a CSV register (donors,
/// receipts) locates a bad row.
pub fn at_text_line(
    code: Code,
    message: impl Into<String>,
    path: &std::path::Path,
    lines: &[&str],
    line: u64,
) -> Diagnostic {
    let line = u32::try_from(line).unwrap_or(u32::MAX);
    let excerpt = lines
        .get((line as usize).saturating_sub(1))
        .map(|l| vec![(line, l.to_string())])
        .unwrap_or_default();
    Diagnostic::new(code, message)
        .at(Location {
            path: path.to_path_buf(),
            line,
        })
        .with_excerpt(excerpt)
}

/// `text` cut to [`EXCERPT_LINE_MAX_CHARS`] characters, with a note of the
/// bytes left out, and every control character but tab shown escaped
/// (`\u{1b}`), so an excerpt never acts on the terminal it is printed to.
pub fn cut_excerpt_line(mut text: String) -> String {
    if text.contains(|c: char| c != '\t' && is_forbidden_char(c)) {
        text = text
            .chars()
            .map(|c| {
                if c != '\t' && is_forbidden_char(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
    }
    if let Some((cut, _)) = text.char_indices().nth(EXCERPT_LINE_MAX_CHARS) {
        let left_out = text.len() - cut;
        text.truncate(cut);
        text.push_str(&format!(" … ({left_out} more bytes)"));
    }
    text
}

/// One problem found in the data.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// Where the problem is, when it is in a file.
    pub location: Option<Location>,
    /// The columns of the offending text on the location's line, when known.
    pub span: Option<Span>,
    /// One line saying what is wrong.
    pub message: String,
    /// The source lines to show: (1-based line number, text).
    pub excerpt: Vec<(u32, String)>,
    /// What was found, when there is more to say than the message.
    pub found: Option<String>,
    /// What was expected instead.
    pub expected: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a message and nothing else yet.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            location: None,
            span: None,
            message: message.into(),
            excerpt: Vec::new(),
            found: None,
            expected: None,
        }
    }

    /// Sets the location.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Sets the source excerpt; each line longer than
    /// [`EXCERPT_LINE_MAX_CHARS`] is cut (saying how much was left out), so a
    /// huge line is never echoed whole.
    pub fn with_excerpt(mut self, excerpt: Vec<(u32, String)>) -> Self {
        self.excerpt = excerpt
            .into_iter()
            .map(|(line, text)| (line, cut_excerpt_line(text)))
            .collect();
        self
    }

    /// Sets the columns of the offending text on the location's line.
    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Points at the first occurrence of `needle` on the location's line
    /// (as shown in the excerpt); unchanged when it is not there.
    pub fn pointing_at(self, needle: &str) -> Self {
        self.point(needle, |text, needle| text.find(needle))
    }

    /// Points at the last occurrence of `needle` on the location's line
    /// (a tag after the account and amount); unchanged when it is not there.
    pub fn pointing_at_last(self, needle: &str) -> Self {
        self.point(needle, |text, needle| text.rfind(needle))
    }

    fn point(self, needle: &str, search: fn(&str, &str) -> Option<usize>) -> Self {
        let Some(line) = self.location.as_ref().map(|l| l.line) else {
            return self;
        };
        let found = self
            .excerpt
            .iter()
            .find(|(n, _)| *n == line)
            .and_then(|(_, text)| {
                let at = search(text, needle).filter(|_| !needle.is_empty())?;
                let start = u32::try_from(text[..at].chars().count()).ok()? + 1;
                let width = u32::try_from(needle.chars().count()).ok()?;
                Some(Span {
                    start,
                    end: start.checked_add(width)?,
                })
            });
        match found {
            Some(span) => self.with_span(span),
            None => self,
        }
    }

    /// Sets what was found.
    pub fn found(mut self, found: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self
    }

    /// Sets what was expected.
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// The severity (that of its code).
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

impl Diagnostic {
    /// The diagnostic as text: the `FILE:LINE[:COLUMN]: error[CODE]:
    /// message` header, then the excerpt with carets under the offending
    /// span and the `found`/`expected` notes (see the module docs). With
    /// `colour`, ANSI colours as cargo's (bold red errors, yellow
    /// warnings, blue gutter); without, plain text.
    pub fn render(&self, colour: bool) -> String {
        let (severity, level, style) = match self.severity() {
            Severity::Error => ("error", Level::ERROR, "1;31"),
            Severity::Warning => ("warning", Level::WARNING, "1;33"),
        };
        let mut out = String::new();
        if let Some(location) = &self.location {
            out.push_str(&format!("{}:{}", location.path.display(), location.line));
            if let Some(span) = self.span {
                out.push_str(&format!(":{}", span.start));
            }
            out.push_str(": ");
        }
        if colour {
            out.push_str(&format!("\u{1b}[{style}m{severity}\u{1b}[0m"));
        } else {
            out.push_str(severity);
        }
        out.push_str(&format!("[{}]: {}\n", self.code, self.message));
        let source = self.excerpt_source();
        let mut group = Group::with_level(level);
        if let Some(ExcerptSource {
            first_line,
            text,
            annotations,
            fold,
        }) = &source
        {
            let mut snippet = Snippet::source(text.as_str())
                .line_start(*first_line as usize)
                .fold(*fold);
            for (primary, range) in annotations {
                let kind = if *primary {
                    AnnotationKind::Primary
                } else {
                    AnnotationKind::Context
                };
                snippet = snippet.annotation(kind.span(range.clone()));
            }
            group = group.element(snippet);
        }
        let found = self.found.as_deref().map(|f| ("found", f));
        let expected = self.expected.as_deref().map(|e| ("expected", e));
        for (name, text) in found.into_iter().chain(expected) {
            group = group.element(Level::NOTE.with_name(name).message(text));
        }
        if source.is_some() || self.found.is_some() || self.expected.is_some() {
            let renderer = if colour {
                Renderer::styled()
            } else {
                Renderer::plain()
            };
            // Never cut a line to a terminal's width: excerpt lines are
            // already cut at EXCERPT_LINE_MAX_CHARS.
            out.push_str(&renderer.term_width(usize::MAX / 4).render(&[group]));
            out.push('\n');
        }
        out
    }

    /// The diagnostic as one line of JSON (its serde form, see the module
    /// docs), without a newline: a line of `check -O json`'s JSON Lines.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// The excerpt as one source text for `annotate-snippets`: its first
    /// line number, the text (each line missing between two excerpt lines
    /// filled with `…`; the renderer folds two or more of them to `...`),
    /// the annotations (primary: the span on the location's line, or that
    /// line's text; context, when lines are skipped: the other lines, so
    /// that folding keeps them) and whether to fold.
    fn excerpt_source(&self) -> Option<ExcerptSource> {
        let mut lines: Vec<(u32, &str)> = self
            .excerpt
            .iter()
            .map(|(n, text)| (*n, text.as_str()))
            .collect();
        lines.sort_by_key(|(n, _)| *n);
        lines.dedup_by_key(|(n, _)| *n);
        let first = lines.first()?.0;
        let fold = lines.windows(2).any(|w| w[1].0 != w[0].0.saturating_add(1));
        let primary_line = self.location.as_ref().map(|l| l.line);
        let mut text = String::new();
        let mut annotations = Vec::new();
        let mut next = first;
        for (number, line) in lines {
            // Excerpt lines come from one file, so the filler is bounded
            // by its length.
            for _ in next..number {
                text.push_str("…\n");
            }
            let start = text.len();
            text.push_str(line);
            let content = start + (line.len() - line.trim_start().len())
                ..(start + line.trim_end().len()).max(start);
            if Some(number) == primary_line {
                let range = self
                    .span
                    .and_then(|span| char_range(line, span))
                    .map_or(content, |r| start + r.start..start + r.end);
                annotations.push((true, range));
            } else if fold {
                annotations.push((false, content));
            }
            text.push('\n');
            next = number.saturating_add(1);
        }
        Some(ExcerptSource {
            first_line: first,
            text,
            annotations,
            fold,
        })
    }
}

/// An excerpt prepared for `annotate-snippets`.
struct ExcerptSource {
    first_line: u32,
    text: String,
    /// (primary, byte range in `text`).
    annotations: Vec<(bool, std::ops::Range<usize>)>,
    fold: bool,
}

/// The byte range in `line` of the 1-based character columns of `span`.
fn char_range(line: &str, span: Span) -> Option<std::ops::Range<usize>> {
    let byte_at = |column: u32| {
        let index = usize::try_from(column.checked_sub(1)?).ok()?;
        line.char_indices()
            .map(|(at, _)| at)
            .chain(std::iter::once(line.len()))
            .nth(index)
    };
    let start = byte_at(span.start)?;
    let end = byte_at(span.end)?;
    (start <= end).then_some(start..end)
}

impl fmt::Display for Diagnostic {
    /// The plain text rendering ([`Diagnostic::render`] without colour).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl Serialize for Diagnostic {
    /// One flat object: `code`, `severity`, `title`, `file`, `line`,
    /// `column_start`, `column_end`, `message`, `found`, `expected`,
    /// `excerpt` (absent values are `null`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct ExcerptLine<'a> {
            line: u32,
            text: &'a str,
        }
        let mut map = serializer.serialize_map(Some(11))?;
        map.serialize_entry("code", &self.code)?;
        map.serialize_entry("severity", &self.severity())?;
        map.serialize_entry("title", self.code.title())?;
        map.serialize_entry("file", &self.location.as_ref().map(|l| &l.path))?;
        map.serialize_entry("line", &self.location.as_ref().map(|l| l.line))?;
        map.serialize_entry("column_start", &self.span.map(|s| s.start))?;
        map.serialize_entry("column_end", &self.span.map(|s| s.end))?;
        map.serialize_entry("message", &self.message)?;
        map.serialize_entry("found", &self.found)?;
        map.serialize_entry("expected", &self.expected)?;
        let excerpt: Vec<ExcerptLine<'_>> = self
            .excerpt
            .iter()
            .map(|(line, text)| ExcerptLine { line: *line, text })
            .collect();
        map.serialize_entry("excerpt", &excerpt)?;
        map.end()
    }
}

/// The most diagnostics kept in one load; the rest are only counted, so a
/// file of millions of bad lines is reported in bounded memory.
pub const DIAGNOSTICS_MAX: usize = 1000;

/// Diagnostics collected while loading, with helpers to ask what they hold.
/// Only the first [`DIAGNOSTICS_MAX`] are kept; the others are counted.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    omitted_errors: usize,
    omitted_warnings: usize,
}

impl Diagnostics {
    /// Adds one (or counts it, past [`DIAGNOSTICS_MAX`]).
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if self.items.len() < DIAGNOSTICS_MAX {
            self.items.push(diagnostic);
        } else if diagnostic.is_error() {
            self.omitted_errors += 1;
        } else {
            self.omitted_warnings += 1;
        }
    }

    /// Adds many.
    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        for diagnostic in diagnostics {
            self.push(diagnostic);
        }
    }

    /// Counts `diagnostic` as found but not kept.
    pub fn omit(&mut self, diagnostic: &Diagnostic) {
        if diagnostic.is_error() {
            self.omitted_errors += 1;
        } else {
            self.omitted_warnings += 1;
        }
    }

    /// Adds the diagnostics of `other`, and its counts of those left out.
    pub fn absorb(&mut self, other: Diagnostics) {
        self.omitted_errors += other.omitted_errors;
        self.omitted_warnings += other.omitted_warnings;
        self.extend(other.items);
    }

    /// True when there is at least one error.
    pub fn has_errors(&self) -> bool {
        self.omitted_errors > 0 || self.items.iter().any(Diagnostic::is_error)
    }

    /// The number of errors, kept or not.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count() + self.omitted_errors
    }

    /// The number of warnings, kept or not.
    pub fn warning_count(&self) -> usize {
        self.items.len() + self.omitted_errors + self.omitted_warnings - self.error_count()
    }

    /// How many errors and warnings were counted but not kept.
    pub fn omitted(&self) -> (usize, usize) {
        (self.omitted_errors, self.omitted_warnings)
    }

    /// All diagnostics, sorted by file, line and code so output is stable.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (&a.location, a.code, &a.message).cmp(&(&b.location, b.code, &b.message))
        });
        self.items
    }

    /// All diagnostics in the order found.
    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
            let text = code.as_str();
            assert_eq!(text.len(), 4);
            let expected_prefix = match code.severity() {
                Severity::Error => 'E',
                Severity::Warning => 'W',
            };
            assert!(text.starts_with(expected_prefix), "{text} severity prefix");
        }
    }

    #[test]
    fn renders_header_excerpt_and_notes() {
        let d = Diagnostic::new(Code::Unbalanced, "transaction does not balance")
            .at(Location::new("j.ledger", 9))
            .with_excerpt(vec![(9, "2000-01-01 x".into()), (10, "  A  1 JPY".into())])
            .found("the postings sum to 1 JPY")
            .expected("zero");
        let text = d.to_string();
        assert_eq!(
            text,
            "j.ledger:9: error[E201]: transaction does not balance\n   |\n 9 | 2000-01-01 x\n   | ^^^^^^^^^^^^\n10 |   A  1 JPY\n   |\n   = found: the postings sum to 1 JPY\n   = expected: zero\n"
        );
    }

    #[test]
    fn renders_a_span_with_carets_and_skipped_lines_as_dots() {
        let d = Diagnostic::new(Code::UnknownFund, "unknown fund \"FodAid\"")
            .at(Location::new("j.ledger", 14))
            .with_excerpt(vec![
                (9, "2000-04-03 * Rice".into()),
                (14, "    Expenses:Rice  1 JPY  ; fund: FodAid".into()),
            ])
            .pointing_at("FodAid")
            .expected("a fund of fundledger.toml");
        assert_eq!(d.span, Some(Span { start: 35, end: 41 }));
        assert_eq!(
            d.to_string(),
            "j.ledger:14:35: error[E303]: unknown fund \"FodAid\"\n   |\n 9 | 2000-04-03 * Rice\n   | -----------------\n...\n14 |     Expenses:Rice  1 JPY  ; fund: FodAid\n   |                                   ^^^^^^\n   |\n   = expected: a fund of fundledger.toml\n"
        );
        // A single skipped line is shown as `…`, never as an empty line.
        let d = Diagnostic::new(Code::Unbalanced, "x")
            .at(Location::new("j.ledger", 3))
            .with_excerpt(vec![(1, "a".into()), (3, "  b".into())]);
        assert!(d.to_string().contains("2 | …\n"), "{d}");
        // Colour: the severity word and the gutter, as cargo's.
        let coloured = d.render(true);
        assert!(
            coloured.contains("\u{1b}[1;31merror\u{1b}[0m[E201]"),
            "{coloured:?}"
        );
        assert!(!d.render(false).contains('\u{1b}'));
    }

    #[test]
    fn serialises_to_one_flat_object() {
        let d = Diagnostic::new(Code::UnknownFund, "unknown fund")
            .at(Location::new("j.ledger", 2))
            .with_excerpt(vec![(2, "  A  1 JPY ; fund: X".into())])
            .pointing_at("X")
            .found("X")
            .expected("General");
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "E303", "severity": "error", "title": "unknown fund",
                "file": "j.ledger", "line": 2, "column_start": 20, "column_end": 21,
                "message": "unknown fund", "found": "X", "expected": "General",
                "excerpt": [{"line": 2, "text": "  A  1 JPY ; fund: X"}]
            })
        );
        let bare = serde_json::to_value(Diagnostic::new(Code::NoPrice, "no price")).unwrap();
        assert_eq!(bare["severity"], "warning");
        assert!(bare["file"].is_null() && bare["column_start"].is_null());
    }
}
