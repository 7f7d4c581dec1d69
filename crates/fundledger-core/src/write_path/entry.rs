//! One transaction recorded by hand (`fundledger add`).
//!
//! The entry is written in the canonical form and read back with the same
//! parser as any journal before it is appended, so it is validated like any
//! other transaction (and then the whole journal is, by
//! [`crate::write_path::write::append`]).

use chrono::NaiveDate;

use crate::model::diagnostic::{Code, Diagnostic, Location};
use crate::model::journal::Status;
use crate::write_path::import::clean_text;
use crate::write_path::print;

/// A transaction given on the command line.
#[derive(Clone, Debug)]
pub struct NewEntry {
    /// The date.
    pub date: NaiveDate,
    /// The payee or description.
    pub payee: String,
    /// `(CODE)`.
    pub code: Option<String>,
    /// The fund of every posting without a `; fund:` of its own.
    pub fund: String,
    /// A comment for the transaction.
    pub memo: Option<String>,
    /// The postings: `ACCOUNT  AMOUNT`, `ACCOUNT AMOUNT COMMODITY`, or
    /// `ACCOUNT` alone for the one amount fundledger infers.
    pub postings: Vec<String>,
}

/// Splits `Account Name 1000 JPY` into the account and `1000 JPY` when it
/// ends in a number and a commodity; otherwise leaves it (two spaces or a
/// tab already separate an amount, and an account alone has none).
fn split_posting(text: &str) -> (String, String) {
    let text = text.trim();
    let gap = text
        .char_indices()
        .find(|&(i, c)| c == '\t' || (c == ' ' && text[i + 1..].starts_with(' ')))
        .map(|(i, _)| i);
    if let Some(i) = gap {
        return (text[..i].trim().to_string(), text[i..].trim().to_string());
    }
    let words: Vec<&str> = text.split(' ').collect();
    if words.len() >= 3 {
        let number = words[words.len() - 2];
        if number
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
            && number.chars().any(|c| c.is_ascii_digit())
        {
            let account = words[..words.len() - 2].join(" ");
            return (account, format!("{number} {}", words[words.len() - 1]));
        }
    }
    (text.to_string(), String::new())
}

/// The entry as journal text, checked by the journal parser.
///
/// # Errors
/// Located diagnostics (the file is shown as `<add>`) for anything the
/// parser cannot read.
pub fn render(entry: &NewEntry) -> Result<String, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let at = |line: u32| Location {
        path: "<add>".into(),
        line,
    };
    if entry.postings.len() < 2 {
        problems.push(
            Diagnostic::new(Code::Unparsable, format!("{} posting(s) given", entry.postings.len()))
                .at(at(1))
                .expected("at least two --posting options, e.g. --posting \"Expenses:Office  3000 JPY\" --posting Assets:Bank"),
        );
        return Err(problems);
    }
    let mut text = String::new();
    let payee = clean_text(&entry.payee);
    print::write_header(
        &mut text,
        &print::HeaderText {
            date: entry.date,
            status: Status::Cleared,
            code: entry.code.as_deref(),
            payee: &payee,
        },
    );
    if let Some(memo) = &entry.memo {
        print::write_tag_line(&mut text, 4, "memo", &clean_text(memo));
    }
    for posting in &entry.postings {
        // `ACCOUNT AMOUNT ; fund: NAME` gives one posting its own fund.
        let (body, fund) = match posting.split_once(';') {
            None => (posting.as_str(), clean_text(&entry.fund)),
            Some((body, comment)) => match comment.trim().strip_prefix("fund:") {
                Some(name) if !name.trim().is_empty() => (body, clean_text(name)),
                _ => {
                    problems.push(
                        Diagnostic::new(
                            Code::Unparsable,
                            format!("posting {posting:?} has a comment other than `; fund: NAME`"),
                        )
                        .at(at(1))
                        .expected("`ACCOUNT AMOUNT`, optionally followed by `; fund: NAME`"),
                    );
                    continue;
                }
            },
        };
        if body.contains(['\n', '\r']) {
            problems.push(
                Diagnostic::new(
                    Code::Unparsable,
                    format!("posting {posting:?} contains a line break"),
                )
                .at(at(1))
                .expected("one posting per --posting"),
            );
            continue;
        }
        let (account, amount) = split_posting(body);
        print::write_posting_line(&mut text, &account, &amount, "", &fund);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if let Err(error) = crate::read::parse::parse_transaction(&text) {
        let line = error.line_in_block;
        problems.push(
            Diagnostic::new(Code::Unparsable, error.message)
                .at(at(line))
                .with_excerpt(vec![(
                    line,
                    text.lines()
                        .nth(line as usize - 1)
                        .unwrap_or("")
                        .to_string(),
                )])
                .expected(error.expected),
        );
        return Err(problems);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_split_into_account_and_amount() {
        assert_eq!(
            split_posting("Expenses:Office Supplies 3000 JPY"),
            ("Expenses:Office Supplies".into(), "3000 JPY".into())
        );
        assert_eq!(
            split_posting("Expenses:Office  3000 JPY"),
            ("Expenses:Office".into(), "3000 JPY".into())
        );
        assert_eq!(
            split_posting("Assets:Bank"),
            ("Assets:Bank".into(), String::new())
        );
        assert_eq!(
            split_posting("Assets:Cash:CNY -12.50 CNY"),
            ("Assets:Cash:CNY".into(), "-12.50 CNY".into())
        );
    }

    #[test]
    fn renders_a_checked_entry() {
        let entry = NewEntry {
            date: NaiveDate::from_ymd_opt(2000, 5, 1).unwrap(),
            payee: "Stamps\nfor the newsletter; urgent".into(),
            code: None,
            fund: "General".into(),
            memo: Some("bought at the post office".into()),
            postings: vec!["Expenses:Postage 820 JPY".into(), "Assets:Cash:JPY".into()],
        };
        let text = render(&entry).unwrap();
        assert!(
            text.starts_with("2000-05-01 * Stamps for the newsletter, urgent\n"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 4);
        let split = NewEntry {
            postings: vec![
                "Expenses:FoodAid:Rice 500 JPY ; fund: FoodAid".into(),
                "Assets:Cash:JPY".into(),
            ],
            ..entry.clone()
        };
        let text = render(&split).unwrap();
        assert!(text.contains("500 JPY  ; fund: FoodAid\n"), "{text}");
        assert!(
            text.contains("Assets:Cash:JPY  ; fund: General\n"),
            "{text}"
        );
        let bad = NewEntry {
            postings: vec!["A 1 JPY ; note".into(), "B".into()],
            ..entry.clone()
        };
        assert!(render(&bad).is_err());
        assert!(render(&NewEntry {
            postings: vec!["A".into()],
            ..entry
        })
        .is_err());
    }
}
