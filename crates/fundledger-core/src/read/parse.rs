//! The adapter over ledger-parser: one transaction block or price line at a
//! time, never a panic.
//!
//! ledger-parser 7.0.0 is the reference grammar for transactions and prices,
//! but it gives no positions, panics on some inputs (nom's `finish()` on
//! `Incomplete`), and reports errors as one string. This module:
//!
//! - hands it one block at a time, always ending in `\n` (see
//!   [`crate::read::source`]), so errors point into one transaction and blocks can be
//!   parsed in parallel;
//! - never hands it text it could panic on: every call goes through
//!   [`ledger_parser_accepts_shape`], our check that the text is of a
//!   shape ledger-parser 7.0.0 parses without panicking (see below); text
//!   of any other shape is refused as an ordinary located parse error, and
//!   our own reader ([`crate::read::grammar`]) gets the block instead. No panic
//!   hook is installed and nothing is caught: the library is safe in a host
//!   built with `panic = "abort"`;
//! - translates its error into a line inside the block and a hint;
//! - refuses, before ledger-parser sees them, numbers that `Decimal` cannot
//!   hold exactly (ledger-parser would round them without a word).

use ledger_parser::{CommodityPrice, LedgerItem, Transaction};

use crate::model::diagnostic::Code;

use crate::read::raw::{from_ledger_parser, RawTransaction};

/// Why a block could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockError {
    /// 1-based line within the block where the parser stopped.
    pub line_in_block: u32,
    /// What went wrong, in words.
    pub message: String,
    /// A hint at the usual cause, when one is recognised.
    pub expected: String,
    /// The diagnostic code: [`Code::Unparsable`], or [`Code::Overflow`] for
    /// a number too long to keep exactly.
    pub code: Code,
}

/// Whether `text` is of a shape that ledger-parser 7.0.0 parses without
/// panicking.
///
/// ledger-parser's only panic is nom's `finish()` on `Err::Incomplete`,
/// which its readers answer when what they read would start at a line end:
/// the account name reader (`take_until_hard_separator`), when a name would
/// start at a line end (`\n` or `\r`) or the text ends inside the name;
/// and the payee reader, when the header line ends in a blank after the
/// date, mark or code (`2000-01-01 \n`, `2000-01-01 * \n`, `… (c) \n`).
/// (A carriage return inside the header line, `2000-01-01 \r\0\n`, is
/// a line end to the payee reader: found by the differential fuzz target.)
/// An unclosed `(` in a header makes its code reader run on into the next
/// lines (crash-e6ed9377). So the text must end in `\n`, no line that is
/// not indented (a header) may end in a blank, hold a control character
/// (a carriage return but as its line end) or an unclosed `(`,
/// and on every indented line (a posting, as ledger-parser reads one:
/// blanks, an optional `*`/`!` mark, blanks), an account name must start:
/// something other than the end of the line.
/// `parse::tests` and the differential fuzz target check it on random
/// text (whenever this answers true, ledger-parser does not panic).
pub fn ledger_parser_accepts_shape(text: &str) -> bool {
    text.ends_with('\n')
        && text.split('\n').all(|line| {
            let rest = line.trim_start_matches([' ', '\t']);
            if rest.len() == line.len() {
                // Not indented: a header (or directive) to ledger-parser.
                let line = line.strip_suffix('\r').unwrap_or(line);
                // The code, when there is one: `(` after the date and mark.
                let after_date = line
                    .split_once([' ', '\t'])
                    .map_or("", |(_, rest)| rest)
                    .trim_start_matches([' ', '\t']);
                let after_mark = after_date
                    .strip_prefix(['*', '!'])
                    .unwrap_or(after_date)
                    .trim_start_matches([' ', '\t']);
                let code_closed = !after_mark.starts_with('(') || after_mark.contains(')');
                return code_closed
                    && !line.contains(|c: char| c.is_control() && c != '\t')
                    && !line.ends_with([' ', '\t']);
            }
            let rest = rest
                .strip_prefix(['*', '!'])
                .unwrap_or(rest)
                .trim_start_matches([' ', '\t']);
            !(rest.is_empty() || rest.starts_with('\r'))
        })
}

/// ledger-parser on `text`, or `None` when the text is not of a shape it
/// parses without panicking ([`ledger_parser_accepts_shape`]). The only
/// way this crate calls ledger-parser.
///
/// Blanks ending the header line mean nothing (a payee does not end in a
/// blank), so they are cut first: `2000-01-01 * \n` reads as
/// `2000-01-01 *\n`.
fn ledger_parser(text: &str) -> Option<Result<ledger_parser::Ledger, ledger_parser::ParseError>> {
    let (header, rest) = text.split_once('\n').unwrap_or((text, ""));
    let (line, cr) = match header.strip_suffix('\r') {
        Some(line) => (line, "\r"),
        None => (header, ""),
    };
    let text: std::borrow::Cow<'_, str> = if line.ends_with([' ', '\t']) && text.contains('\n') {
        format!("{}{cr}\n{rest}", line.trim_end_matches([' ', '\t'])).into()
    } else {
        text.into()
    };
    ledger_parser_accepts_shape(&text).then(|| ledger_parser::parse(&text))
}

/// Parses one transaction block (a header and its indented lines, ending in
/// `\n`): the fast path for the common shape, ledger-parser for the rest.
pub fn parse_transaction(block: &str) -> Result<RawTransaction<'_>, BlockError> {
    match crate::read::fastpath::parse(block) {
        Some(transaction) => Ok(transaction),
        None => parse_slow(block),
    }
}

/// Parses a block in the context of the directives before it: the fast
/// path and ledger-parser first (unless a `decimal-mark ,` makes every
/// number read differently), then our own reader of the grammar they lack
/// (`crate::read::grammar`); then `alias`, `apply account` and `bucket` apply.
/// When every reader refuses, the error is our reader's, which names the
/// construct (or ledger-parser's for a number too long to keep exactly).
pub fn parse_in_context<'b>(
    block: &'b str,
    context: &crate::read::grammar::ReadContext,
) -> Result<RawTransaction<'b>, BlockError> {
    // ledger-parser reads `1,000` as a thousand; hledger (and our reader)
    // as 1.000, or refuse it in a ledger directory.
    let parsed = if context.decimal_comma || has_lone_comma_number(block) {
        crate::read::grammar::parse_block(block, context)
    } else {
        match parse_transaction(block) {
            Ok(transaction) => Ok(transaction),
            Err(error) if error.code == Code::Overflow => Err(error),
            Err(_) => crate::read::grammar::parse_block(block, context),
        }
    };
    let mut transaction = parsed?;
    context.apply(&mut transaction);
    Ok(transaction)
}

/// Whether a posting line of `block` has a number with one `,` and no `.`
/// (`1,000`, `0,075`): ledger-cli and hledger read it differently.
pub(crate) fn has_lone_comma_number(block: &str) -> bool {
    // Such a number has a `,` between two digits: most blocks with a `,`
    // have it in words only, and are answered without splitting lines.
    let bytes = block.as_bytes();
    let between_digits = memchr::memchr_iter(b',', bytes).any(|i| {
        i > 0 && bytes[i - 1].is_ascii_digit() && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
    });
    if !between_digits {
        return false;
    }
    block.lines().skip(1).any(|line| {
        let content = line.split(';').next().unwrap_or("");
        content
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .any(|token| {
                token.matches(',').count() == 1
                    && !token.contains('.')
                    && !token.starts_with(',')
                    && !token.ends_with(',')
            })
    })
}

/// Parses a block with ledger-parser and converts it to the raw form, with
/// the line of each posting (the n-th line that is not a comment).
pub fn parse_slow(block: &str) -> Result<RawTransaction<'static>, BlockError> {
    for (text, line_in_block) in block.lines().zip(1u32..).skip(1) {
        let content = text.trim_start();
        if content.starts_with(';') {
            continue;
        }
        // The amount and what follows start after the account (after any
        // status mark), which ends at two spaces or a tab.
        let content = content
            .strip_prefix(['*', '!'])
            .map_or(content, str::trim_start);
        let amount_at = content
            .find("  ")
            .into_iter()
            .chain(content.find('\t'))
            .min();
        if let Some(number) = amount_at.and_then(|at| inexact_number(&content[at..])) {
            return Err(BlockError {
                line_in_block,
                message: format!("the number {number} cannot be kept exactly"),
                expected: INEXACT_EXPECTED.to_string(),
                code: Code::Overflow,
            });
        }
    }
    let mut transaction = parse_with_ledger_parser(block).map(from_ledger_parser)?;
    let posting_lines = block
        .lines()
        .zip(1u32..)
        .skip(1)
        .filter(|(text, _)| !text.trim_start().starts_with(';'))
        .map(|(_, line)| line);
    for (posting, line) in transaction.postings.iter_mut().zip(posting_lines) {
        posting.line_in_block = line;
    }
    Ok(transaction)
}

/// Parses one transaction block with ledger-parser alone.
pub fn parse_with_ledger_parser(block: &str) -> Result<Transaction, BlockError> {
    let parsed = ledger_parser(block);
    let ledger = match parsed {
        None => {
            return Err(BlockError {
                line_in_block: 1,
                message: "ledger-parser cannot read this transaction".to_string(),
                expected: hint_for_block(block),
                code: Code::Unparsable,
            })
        }
        Some(Err(error)) => {
            let text = error.to_string();
            let line_in_block = culprit_line(block)
                .or_else(|| line_from_parser_message(&text))
                .unwrap_or(1);
            let expected =
                hint_for_line(block, line_in_block).unwrap_or_else(|| hint_for_block(block));
            return Err(BlockError {
                line_in_block,
                message: "ledger-parser cannot read this transaction".to_string(),
                expected,
                code: Code::Unparsable,
            });
        }
        Some(Ok(ledger)) => ledger,
    };
    let mut transactions = ledger.items.into_iter().filter_map(|item| match item {
        LedgerItem::Transaction(t) => Some(t),
        _ => None,
    });
    match (transactions.next(), transactions.next()) {
        (Some(t), None) => Ok(t),
        _ => Err(BlockError {
            line_in_block: 1,
            message: "this block is not exactly one transaction".to_string(),
            expected: hint_for_block(block),
            code: Code::Unparsable,
        }),
    }
}

/// Parses a `P DATE [TIME] SYMBOL AMOUNT` line. ledger-parser requires the
/// time; a line without one is given `00:00:00` first.
pub fn parse_price(line: &str) -> Result<CommodityPrice, String> {
    if let Some(number) = inexact_number(line) {
        return Err(format!(
            "the number {number} cannot be kept exactly: {INEXACT_EXPECTED}"
        ));
    }
    let mut text = line.trim_end().to_string();
    let words: Vec<&str> = text.split_whitespace().collect();
    let has_time = words
        .get(2)
        .is_some_and(|w| w.len() == 8 && w.as_bytes().get(2) == Some(&b':'));
    if !has_time && words.len() >= 2 {
        // Insert the time after the date.
        if let Some(date_at) = text.find(words[1]) {
            let after_date = date_at + words[1].len();
            text.insert_str(after_date, " 00:00:00");
        }
    }
    text.push('\n');
    match ledger_parser(&text) {
        Some(Ok(ledger)) => ledger
            .items
            .into_iter()
            .find_map(|item| match item {
                LedgerItem::CommodityPrice(p) => Some(p),
                _ => None,
            })
            .ok_or_else(|| "not a price line".to_string()),
        _ => Err(
            "expected `P YYYY-MM-DD [HH:MM:SS] SYMBOL AMOUNT`, e.g. `P 2000-04-01 CNY 13.10 JPY`"
                .to_string(),
        ),
    }
}

const INEXACT_EXPECTED: &str = "a number with at most 28 decimal places and at most \
     79228162514264337593543950335 without its point (fundledger keeps amounts exact \
     and never rounds what it reads)";

/// The first number in `text` (before any `;` comment) that `Decimal`
/// cannot hold exactly: more than 28 decimal places, or a mantissa beyond
/// 79228162514264337593543950335. Digit-group commas are skipped.
fn inexact_number(text: &str) -> Option<&str> {
    const MAX_MANTISSA: &str = "79228162514264337593543950335";
    let text = text.split(';').next().unwrap_or("");
    let is_number_byte = |b: u8| b.is_ascii_digit() || b == b'.' || b == b',';
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_digit() {
            start += 1;
            continue;
        }
        let end = (start..bytes.len())
            .find(|&i| !is_number_byte(bytes[i]))
            .unwrap_or(bytes.len());
        let number = &text[start..end];
        let decimals = number
            .split_once('.')
            .map_or(0, |(_, f)| f.bytes().filter(u8::is_ascii_digit).count());
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let mantissa = digits.trim_start_matches('0');
        let too_long = mantissa.len() > MAX_MANTISSA.len()
            || (mantissa.len() == MAX_MANTISSA.len() && mantissa > MAX_MANTISSA);
        if decimals > 28 || too_long {
            return Some(number);
        }
        start = end;
    }
    None
}

/// The first line of a failing block that ledger-parser rejects on its own:
/// the header with a known-good posting, or a posting under a known-good
/// header. ledger-parser's own message points at the start of the
/// transaction, which is not where a bad amount is.
fn culprit_line(block: &str) -> Option<u32> {
    let mut lines = block.lines();
    let header = lines.next()?;
    let header_probe = format!("{header}\n    Probe:Account  1 PROBE\n    Probe:Other\n");
    if !matches!(ledger_parser(&header_probe), Some(Ok(_))) {
        return Some(1);
    }
    for (index, line) in lines.enumerate() {
        if line.trim_start().starts_with(';') {
            continue;
        }
        let posting_probe = format!("2000-01-01 probe\n{line}\n");
        if !matches!(ledger_parser(&posting_probe), Some(Ok(_))) {
            return u32::try_from(index + 2).ok();
        }
    }
    None
}

/// ledger-parser's messages say `at line N`; that N is the line in the block.
fn line_from_parser_message(message: &str) -> Option<u32> {
    let after = message.split("at line ").nth(1)?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn hint_for_block(block: &str) -> String {
    let header = block.lines().next().unwrap_or("");
    if let Some(hint) = date_hint(header) {
        return hint;
    }
    for (index, _) in block.lines().enumerate().skip(1) {
        if let Some(hint) = hint_for_line(block, u32::try_from(index + 1).unwrap_or(1)) {
            return hint;
        }
    }
    "a header `YYYY-MM-DD [*|!] [(CODE)] PAYEE` and postings `  ACCOUNT  AMOUNT  ; fund: FUND`, with two spaces between account and amount".to_string()
}

fn date_hint(header: &str) -> Option<String> {
    let date: String = header
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '=')
        .collect();
    let bytes = date.as_bytes();
    let well_formed = bytes.len() == 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && matches!(bytes[4], b'-' | b'/' | b'.')
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == bytes[4]
        && bytes[8..].iter().all(u8::is_ascii_digit);
    if well_formed {
        let valid = crate::read::grammar::parse_date(&date, None).is_some();
        return (!valid).then(|| format!("a real calendar date; {date} does not exist"));
    }
    Some(format!(
        "a date written YYYY-MM-DD with zero-padded month and day (found {date:?})"
    ))
}

fn hint_for_line(block: &str, line_in_block: u32) -> Option<String> {
    let line = block
        .lines()
        .nth(line_in_block.saturating_sub(1) as usize)?;
    if line_in_block == 1 {
        return date_hint(line);
    }
    let content = line.trim();
    if content.starts_with(';') || content.is_empty() {
        return None;
    }
    let body = content.split(';').next()?;
    let body = body.trim_end();
    let has_gap = body.contains("  ") || body.contains('\t');
    let has_digit = body.chars().any(|c| c.is_ascii_digit());
    if !has_gap && has_digit && body.contains(' ') {
        return Some(
            "two spaces (or a tab) between the account name and the amount: with one space the amount is read as part of the account name".to_string(),
        );
    }
    if has_gap {
        let amount = body.split(['\t']).next_back().unwrap_or(body);
        let amount = amount.rsplit("  ").next().unwrap_or(amount).trim();
        if amount.contains(',') {
            return Some(format!(
                "an amount with one decimal mark: `1000.50` or `1.000,50` (found {amount:?}; a lone `,` is read as the decimal mark, as hledger does)"
            ));
        }
        return Some(format!(
            "an amount such as `1000 JPY` or `-12.50 CNY`, optionally with `@ PRICE`, `@@ TOTAL` or `= BALANCE` (found {amount:?})"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_comma_numbers_are_found_on_posting_lines_only() {
        for (block, lone) in [
            ("2000-01-01 x\n    A  1,000 JPY\n    B\n", true),
            ("2000-01-01 x\n    A  0,075 JPY\n    B\n", true),
            ("2000-01-01 x\n    A  1,000.50 JPY\n    B\n", false),
            ("2000-01-01 x\n    A  1,000,000 JPY\n    B\n", false),
            (
                "2000-01-01 x\n    ; rice, beans and 1, 2 or 3 sacks\n    A  1 JPY\n    B\n",
                false,
            ),
            ("2000-01-01 x\n    A  1 JPY  ; ref 1,5\n    B\n", false),
            ("2000-01-01 1,000 sacks\n    A  1 JPY\n    B\n", false),
            ("2000-01-01 x\n    A  ,5 JPY\n    B\n", false),
        ] {
            assert_eq!(has_lone_comma_number(block), lone, "{block:?}");
        }
    }

    #[test]
    fn parses_a_transaction_block() {
        let t = parse_transaction(
            "2000-04-01 * Rice\n    Expenses:Food  100 JPY  ; fund: FoodAid\n    Assets:Bank\n",
        )
        .unwrap();
        assert_eq!(t.postings.len(), 2);
        assert_eq!(t.postings[0].fund.as_deref(), Some("FoodAid"));
    }

    #[test]
    fn text_ledger_parser_panics_on_never_reaches_it() {
        // Each of these makes ledger-parser 7.0.0 panic when given directly.
        for input in [
            "2000-01-01 x\n  *\n",
            "2000-01-01 x\n  A  1 JPY\n  !\n",
            "2000-01-01 x\n  A  1 JPY\n  \r\n",
        ] {
            assert!(!ledger_parser_accepts_shape(input), "{input:?}");
            let error = parse_transaction(input).unwrap_err();
            assert!(
                error.message.contains("cannot read"),
                "{input:?}: {error:?}"
            );
        }
        // Blocks end in `\n`; text that ends inside an account name is
        // refused too (ledger-parser panics on it).
        for input in [
            "2000-01-01 x\n  A  1 JPY\n  B",
            "2000-01-01 x\n  A  1 JPY\n  Income:D ",
        ] {
            assert!(!ledger_parser_accepts_shape(input), "{input:?}");
        }
        assert!(ledger_parser_accepts_shape(
            "2000-01-01 x\n  A  1 JPY\n  B\n"
        ));
        // A header ending in a blank after the date, mark or code makes
        // ledger-parser's payee reader panic; the blank means nothing, so
        // it is cut before ledger-parser reads the block (found when budget
        // entries without a description reached it).
        for input in [
            "2000-01-01 \n  A  1 JPY\n  B\n",
            "2000-01-01 * \n  A  1 JPY\n  B\n",
            "2000-01-01 (c) \t\n  A  1 JPY\n  B\n",
            "2000-01-01 \r\n  A  1 JPY\r\n  B\r\n",
        ] {
            assert!(!ledger_parser_accepts_shape(input), "{input:?}");
            let transaction = parse_slow(input).unwrap();
            assert_eq!(transaction.postings.len(), 2, "{input:?}");
        }
        // A carriage return inside the header (differential fuzz target,
        // crash-944e6a79): refused, never handed to ledger-parser.
        let input = "2000-09-07 \r\0\n";
        assert!(!ledger_parser_accepts_shape(input));
        assert!(parse_slow(input).is_err());
        // ...and in any header of a text of several transactions
        // (crash-fe069802).
        assert!(!ledger_parser_accepts_shape(
            "2000-01-01 x\n  A  1 JPY\n  B\n2000-01-01 * \n  A  1 JPY\n  B\n"
        ));
        // An unclosed code or a control character in a header
        // (crash-e6ed9377): refused; our own reader reads such a block.
        assert!(!ledger_parser_accepts_shape(
            "2000-09-07 ( Ex\n    A  1 JPY\n    B\n"
        ));
        assert!(!ledger_parser_accepts_shape(
            "2000-09-07 x\n    A  1 JPY\n\0 B\n"
        ));
        assert!(ledger_parser_accepts_shape(
            "2000-09-07 (c) x\n    A  1 JPY\n    B\n"
        ));
        assert!(ledger_parser_accepts_shape(
            "2000-09-07 1,000( x\n    A  1 JPY\n    B\n"
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// Whenever the shape check passes, ledger-parser does not panic
        /// (the test, not the library, catches the unwind).
        #[test]
        fn ledger_parser_never_panics_on_accepted_shapes(
            text in "(2000-01-01( [*!])?( \\(c\\))?( x)?[ \t\r]{0,2}|P 2000-01-01 A 1 B|[ \t]{0,2}[*!]?[ \t]{0,2}[A-Z:(\\[]{0,3}[ \t]{0,3}(1|-2\\.5)?[ ]?(JPY|\"x y\")?[ \t]{0,2}(@ 2 B|= 1 A)?[ \t]*(; fund: F|;)?[ \r]?)(\n[ \t]{0,2}[*!]?[ \t]{0,2}[A-Za-z:(\\[]{0,3}[ \t]{0,3}(1|-2\\.5)?[ ]?(JPY)?[ \t]{0,2}(;[a-z: ]{0,4})?\r?){0,4}\n?"
        ) {
            let accepted = ledger_parser_accepts_shape(&text);
            let outcome = std::panic::catch_unwind(|| ledger_parser::parse(&text).is_ok());
            proptest::prop_assert!(!accepted || outcome.is_ok(), "ledger-parser panicked on {:?}", text);
        }
    }

    #[test]
    fn errors_point_at_the_line_and_hint() {
        let error = parse_transaction("2000-04-01 x\n  A  1 JPY\n  B  1,00 JPY\n").unwrap_err();
        assert_eq!(error.line_in_block, 3, "{error:?}");
        assert!(
            error.expected.contains("decimal mark"),
            "{}",
            error.expected
        );
        let error = parse_transaction("2000/4/1 x\n  A  1 JPY\n  B\n").unwrap_err();
        assert!(error.expected.contains("zero-padded"), "{}", error.expected);
    }

    #[test]
    fn numbers_that_would_be_rounded_are_refused() {
        assert_eq!(
            inexact_number("  0.123456789012345678901234567891 JPY"),
            Some("0.123456789012345678901234567891")
        );
        assert_eq!(
            inexact_number("  1 JPY @ 79228162514264337593543950336 USD"),
            Some("79228162514264337593543950336")
        );
        assert_eq!(inexact_number("  79228162514264337593543950335 JPY"), None);
        assert_eq!(inexact_number("  0.1234567890123456789012345678 JPY"), None);
        assert_eq!(
            inexact_number("  1,000.50 JPY ; ref 123456789012345678901234567890"),
            None
        );
        let error =
            parse_slow("2000-01-01 a\n    A  0.123456789012345678901234567891 JPY\n    B\n")
                .unwrap_err();
        assert_eq!((error.line_in_block, error.code), (2, Code::Overflow));
        // Digits in an account name after a status mark are not an amount
        // (found by the differential fuzz target).
        let block = "2000-01-01 a\n    !\t33333333333333333333333333333333  1 JPY\n    B\n";
        assert!(parse_slow(block).is_ok());
        assert!(parse_price("P 2000-01-01 CNY 0.123456789012345678901234567891 JPY").is_err());
    }

    #[test]
    fn prices_with_and_without_time() {
        let p = parse_price("P 2000-04-01 CNY 13.10 JPY").unwrap();
        assert_eq!(p.commodity_name, "CNY");
        assert_eq!(p.amount.quantity.to_string(), "13.10");
        let p = parse_price("P 2000-04-01 12:00:00 USD 107 JPY  ; rate").unwrap();
        assert_eq!(p.amount.commodity.name, "JPY");
        assert!(parse_price("P yesterday USD 1").is_err());
    }
}
