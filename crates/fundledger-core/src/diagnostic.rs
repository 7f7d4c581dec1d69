//! Located, coded diagnostics.
//!
//! Every problem fundledger finds in the data is a [`Diagnostic`]: a stable
//! [`Code`], a severity, the `file:line` it is about, the offending source
//! lines, what was found and what was expected. Loading collects all of them
//! instead of stopping at the first.
//!
//! The rendering is deliberately plain and grep-friendly, one header line in
//! the `FILE:LINE: error[CODE]: message` form that editors and CI annotators
//! understand, then a numbered excerpt and `found`/`expected` notes:
//!
//! ```text
//! journal.ledger:12: error[E201]: transaction does not balance
//!    |
//! 12 | 2000-04-03 * Rice purchase
//! 13 |     Expenses:FoodAid:Rice  1000 JPY
//!    |
//!    = found: the postings sum to 10 JPY
//!    = expected: the postings of each commodity sum to exactly zero
//! ```

use std::fmt;
use std::path::PathBuf;

/// How serious a diagnostic is. Errors make `check` exit 1 and stop reports;
/// warnings are printed and do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
        /// each has a reproducer journal under `tests/errors/`.
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

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a source file: its path as the user named it and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file, as reached from the path the user gave.
    pub path: PathBuf,
    /// The 1-based line number.
    pub line: u32,
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
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// Where the problem is, when it is in a file.
    pub location: Option<Location>,
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

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if let Some(location) = &self.location {
            write!(f, "{}:{}: ", location.path.display(), location.line)?;
        }
        writeln!(f, "{severity}[{}]: {}", self.code, self.message)?;
        let gutter_width = self
            .excerpt
            .iter()
            .map(|(n, _)| n.to_string().len())
            .max()
            .unwrap_or(0);
        let blank = " ".repeat(gutter_width);
        if !self.excerpt.is_empty() {
            writeln!(f, "{blank} |")?;
            for (number, text) in &self.excerpt {
                writeln!(f, "{number:>gutter_width$} | {text}")?;
            }
            writeln!(f, "{blank} |")?;
        }
        if let Some(found) = &self.found {
            writeln!(f, "{blank} = found: {found}")?;
        }
        if let Some(expected) = &self.expected {
            writeln!(f, "{blank} = expected: {expected}")?;
        }
        Ok(())
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
            .at(Location {
                path: "j.ledger".into(),
                line: 9,
            })
            .with_excerpt(vec![(9, "2000-01-01 x".into()), (10, "  A  1 JPY".into())])
            .found("the postings sum to 1 JPY")
            .expected("zero");
        let text = d.to_string();
        assert_eq!(
            text,
            "j.ledger:9: error[E201]: transaction does not balance\n   |\n 9 | 2000-01-01 x\n10 |   A  1 JPY\n   |\n   = found: the postings sum to 1 JPY\n   = expected: zero\n"
        );
    }
}
