//! Automated transactions (`= QUERY` and the postings to add), applied under
//! `--auto` as `hledger --auto` does: to every transaction of the journal
//! (before or after the rule), once per posting the query matches, after the
//! transaction's elided amount is inferred. ledger-cli applies them always;
//! fundledger follows hledger.
//!
//! The query is hledger's: terms separated by spaces; a plain term or
//! `acct:RE` matches the account, `desc:RE` the description, `not:` negates;
//! terms of one kind are alternatives, kinds must all match. Regular
//! expressions are case-insensitive and unanchored, with `^ $ . * + ? |` and
//! `\` escapes; anything else is refused with the rule's line, never guessed.

use std::borrow::Cow;

use crate::model::journal::PostingKind;
use crate::model::money::Decimal;
use crate::read::grammar::{parse_amount, ReadContext};
use crate::read::parse::BlockError;
use crate::read::raw::RawAmount;

/// A regular expression of the small dialect above, lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    alternatives: Vec<Vec<Atom>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Atom {
    Start,
    End,
    /// A character (`None`: any), with how many times: (min, max).
    Char(Option<char>, u8, bool),
}

impl Pattern {
    /// Reads a pattern; an error names what is not read.
    ///
    /// # Errors
    /// Groups, classes, counts, or a repetition of nothing.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let lower = text.to_lowercase();
        let mut alternatives = vec![Vec::new()];
        let mut chars = lower.chars().peekable();
        while let Some(c) = chars.next() {
            let atoms = alternatives.last_mut().ok_or("empty pattern")?;
            let atom = match c {
                '|' => {
                    alternatives.push(Vec::new());
                    continue;
                }
                '^' => Atom::Start,
                '$' => Atom::End,
                '.' => Atom::Char(None, 1, false),
                '\\' => Atom::Char(
                    Some(chars.next().ok_or("a pattern ending in \\")?),
                    1,
                    false,
                ),
                '*' | '+' | '?' => {
                    let Some(Atom::Char(ch, 1, false)) = atoms.pop() else {
                        return Err(format!("`{c}` after nothing it can repeat"));
                    };
                    atoms.push(match c {
                        '*' => Atom::Char(ch, 0, true),
                        '+' => Atom::Char(ch, 1, true),
                        _ => Atom::Char(ch, 0, false),
                    });
                    continue;
                }
                '(' | ')' | '[' | ']' | '{' | '}' => {
                    return Err(format!("`{c}` (groups, classes and counts are not read)"));
                }
                other => Atom::Char(Some(other), 1, false),
            };
            atoms.push(atom);
        }
        Ok(Pattern { alternatives })
    }

    fn is_match(&self, text: &str) -> bool {
        let text: Vec<char> = text.to_lowercase().chars().collect();
        self.alternatives
            .iter()
            .any(|atoms| (0..=text.len()).any(|start| matches_at(atoms, &text, start)))
    }

    /// Every leftmost-longest match of the pattern in `text` replaced by
    /// `replacement` (case-insensitive, as hledger's regex aliases).
    pub fn replace_all(&self, text: &str, replacement: &str) -> String {
        let original: Vec<char> = text.chars().collect();
        let lower: Vec<char> = text.to_lowercase().chars().collect();
        if lower.len() != original.len() {
            return text.to_string();
        }
        let mut out = String::new();
        let mut at = 0;
        while at <= lower.len() {
            let end = self
                .alternatives
                .iter()
                .filter_map(|atoms| longest_at(atoms, &lower, at))
                .max();
            match end {
                Some(end) => {
                    out.push_str(replacement);
                    if end == at {
                        // An empty match: keep the character and move on.
                        if let Some(c) = original.get(at) {
                            out.push(*c);
                        }
                        at += 1;
                    } else {
                        at = end;
                    }
                }
                None => {
                    if let Some(c) = original.get(at) {
                        out.push(*c);
                    }
                    at += 1;
                }
            }
        }
        out
    }
}

/// The end of the longest match of `atoms` starting at `text[at..]`.
fn longest_at(atoms: &[Atom], text: &[char], at: usize) -> Option<usize> {
    (at..=text.len())
        .rev()
        .find(|&end| matches_at(&[atoms, &[Atom::End]].concat(), &text[..end], at))
}

/// Backtracking match of `atoms` at `text[at..]` (bounded: the patterns and
/// account names are short, and each repetition consumes a character).
fn matches_at(atoms: &[Atom], text: &[char], at: usize) -> bool {
    let Some((first, rest)) = atoms.split_first() else {
        return true;
    };
    let fits =
        |i: usize, ch: &Option<char>| text.get(i).is_some_and(|t| ch.is_none_or(|c| c == *t));
    match first {
        Atom::Start => at == 0 && matches_at(rest, text, at),
        Atom::End => at == text.len() && matches_at(rest, text, at),
        Atom::Char(ch, min, many) => {
            let mut end = at;
            let max = if *many { usize::MAX } else { 1 };
            let mut count = 0usize;
            while count < max && fits(end, ch) {
                end += 1;
                count += 1;
            }
            let min = usize::from(*min);
            (min..=count).rev().any(|n| matches_at(rest, text, at + n))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Account(Pattern),
    Description(Pattern),
}

/// What an automated posting's amount is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AutoAmount {
    /// `*N`: the matched posting's amount times N, in its commodity (or in
    /// the commodity written after N).
    Multiplier(Decimal, Option<String>),
    /// A fixed amount.
    Fixed(RawAmount<'static>),
    /// No amount: hledger reads such a rule, and refuses it only when it
    /// applies (ledger-cli's `assert`/`check` lines inside a rule read so).
    Missing,
}

/// A posting an automated transaction adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoPosting {
    /// The account.
    pub account: String,
    /// Real or virtual.
    pub kind: PostingKind,
    /// Its amount.
    pub amount: AutoAmount,
}

/// One `= QUERY` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoRule {
    terms: Vec<(bool, Term)>,
    /// The postings it adds per matched posting.
    pub postings: Vec<AutoPosting>,
}

impl AutoRule {
    /// Whether a posting to `account` in a transaction described `payee`
    /// matches the query.
    pub fn matches(&self, account: &str, payee: &str) -> bool {
        let mut accounts = self
            .terms
            .iter()
            .filter(|(negated, t)| !negated && matches!(t, Term::Account(_)))
            .peekable();
        let account_ok = accounts.peek().is_none()
            || accounts.any(|(_, t)| matches!(t, Term::Account(p) if p.is_match(account)));
        let mut descriptions = self
            .terms
            .iter()
            .filter(|(negated, t)| !negated && matches!(t, Term::Description(_)))
            .peekable();
        let description_ok = descriptions.peek().is_none()
            || descriptions.any(|(_, t)| matches!(t, Term::Description(p) if p.is_match(payee)));
        let negations_ok =
            self.terms
                .iter()
                .filter(|(negated, _)| *negated)
                .all(|(_, t)| match t {
                    Term::Account(p) => !p.is_match(account),
                    Term::Description(p) => !p.is_match(payee),
                });
        account_ok && description_ok && negations_ok
    }
}

fn error(line_in_block: u32, message: String, expected: &str) -> BlockError {
    BlockError {
        line_in_block,
        message,
        expected: expected.to_string(),
        code: crate::model::diagnostic::Code::UnsupportedDirective,
    }
}

const QUERY_EXPECTED: &str = "`= QUERY` with account patterns (`expenses:food`, `acct:^income`), `desc:PATTERN` and `not:` terms, as hledger reads them";

/// Reads an automated transaction block (`= QUERY` and indented postings).
pub fn parse_rule(block: &str, context: &ReadContext) -> Result<AutoRule, BlockError> {
    let mut lines = block.lines().zip(1u32..);
    let (header, _) = lines
        .next()
        .ok_or_else(|| error(1, "empty rule".into(), QUERY_EXPECTED))?;
    let query = header.strip_prefix('=').unwrap_or(header);
    let query = query.split(';').next().unwrap_or("").trim();
    let mut terms = Vec::new();
    for word in query.split_whitespace() {
        let word = word.trim_matches(|c| c == '\'' || c == '"');
        let (negated, word) = match word.strip_prefix("not:") {
            Some(rest) => (true, rest),
            None => (false, word),
        };
        let term = if let Some(p) = word.strip_prefix("acct:") {
            Term::Account(Pattern::parse(p).map_err(|m| {
                error(
                    1,
                    format!("cannot read the pattern {p:?}: {m}"),
                    QUERY_EXPECTED,
                )
            })?)
        } else if let Some(p) = word.strip_prefix("desc:") {
            Term::Description(Pattern::parse(p).map_err(|m| {
                error(
                    1,
                    format!("cannot read the pattern {p:?}: {m}"),
                    QUERY_EXPECTED,
                )
            })?)
        } else if word.contains(':')
            && word.split(':').next().is_some_and(|k| {
                matches!(
                    k,
                    "amt"
                        | "cur"
                        | "tag"
                        | "date"
                        | "date2"
                        | "status"
                        | "real"
                        | "depth"
                        | "payee"
                        | "note"
                        | "code"
                        | "expr"
                )
            })
        {
            return Err(error(
                1,
                format!("the query term {word:?} is not read in automated transactions"),
                QUERY_EXPECTED,
            ));
        } else {
            Term::Account(Pattern::parse(word).map_err(|m| {
                error(
                    1,
                    format!("cannot read the pattern {word:?}: {m}"),
                    QUERY_EXPECTED,
                )
            })?)
        };
        terms.push((negated, term));
    }
    let mut postings = Vec::new();
    for (line, number) in lines {
        let content = line.split(';').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let (account, kind, amount) = crate::read::grammar::split_posting(content);
        const AMOUNT_EXPECTED: &str =
            "`ACCOUNT  *N` (the matched amount times N) or `ACCOUNT  AMOUNT`";
        let amount = if let Some(factor) = amount.strip_prefix('*') {
            let (parsed, rest) = parse_amount(factor, &ReadContext::default())
                .map_err(|m| error(number, m, AMOUNT_EXPECTED))?;
            if !rest.trim().is_empty() {
                return Err(error(
                    number,
                    format!("cannot read {rest:?}"),
                    AMOUNT_EXPECTED,
                ));
            }
            let commodity = (!parsed.commodity.is_empty()).then(|| parsed.commodity.into_owned());
            AutoAmount::Multiplier(parsed.quantity, commodity)
        } else if amount.is_empty() {
            AutoAmount::Missing
        } else {
            let (parsed, rest) =
                parse_amount(amount, context).map_err(|m| error(number, m, AMOUNT_EXPECTED))?;
            if !rest.trim().is_empty() {
                return Err(error(
                    number,
                    format!("cannot read {rest:?}"),
                    AMOUNT_EXPECTED,
                ));
            }
            AutoAmount::Fixed(RawAmount {
                quantity: parsed.quantity,
                commodity: Cow::Owned(parsed.commodity.into_owned()),
            })
        };
        postings.push(AutoPosting {
            account: context.account_name(account),
            kind,
            amount,
        });
    }
    Ok(AutoRule { terms, postings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p = Pattern::parse("^expenses:f.*d$|gifts").unwrap();
        assert!(p.is_match("Expenses:Food"));
        assert!(!p.is_match("expenses:fuel:x"));
        assert!(p.is_match("income:gifts:cash"));
        assert!(Pattern::parse("(a|b)").is_err());
        assert!(Pattern::parse("*a").is_err());
    }

    #[test]
    fn rules() {
        let rule = parse_rule(
            "= expenses:food not:desc:party\n    (budget:food)  *-1\n    [x]  $5\n",
            &ReadContext::default(),
        )
        .unwrap();
        assert!(rule.matches("expenses:food:veg", "market"));
        assert!(!rule.matches("expenses:food", "office party"));
        assert!(!rule.matches("assets:cash", "market"));
        assert_eq!(rule.postings.len(), 2);
        assert_eq!(rule.postings[0].kind, PostingKind::UnbalancedVirtual);
        assert!(
            matches!(rule.postings[0].amount, AutoAmount::Multiplier(n, None) if n == Decimal::NEGATIVE_ONE)
        );
        let e = parse_rule("= amt:>10\n  a  *1\n", &ReadContext::default()).unwrap_err();
        assert_eq!(e.line_in_block, 1);
    }
}
