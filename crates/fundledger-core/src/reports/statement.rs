//! A statement: a titled table of labelled rows and columns, the plain data
//! every financial statement and board report is made of. The renderers in
//! `crate::render::text` turn any statement into text, CSV, JSON, Markdown or
//! HTML, so a new report is only a function that fills one.

use serde::Serialize;

use crate::model::money::Decimal;

/// What a row is, for layout (indent, rules, bold).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowKind {
    /// A section heading, no values.
    Heading,
    /// An ordinary line.
    Line,
    /// A subtotal of the lines above it.
    Subtotal,
    /// A total.
    Total,
}

/// How a language writes a currency code after an amount (`円` for JPY
/// in Japanese); other codes and units stay as they are.
pub fn currency_word(code: &str, language: Language) -> &str {
    match (language, code) {
        (Language::Ja, "JPY") => "円",
        (Language::Ja, "USD") => "米ドル",
        (Language::Ja, "CNY") => "人民元",
        (_, other) => other,
    }
}

/// The language a statement is written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    /// English.
    #[default]
    En,
    /// Japanese.
    Ja,
}

/// One cell of a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// An amount in the statement's currency or unit.
    Amount(Decimal),
    /// Text (a date, a name, "yes").
    Text(String),
    /// Nothing.
    Empty,
}

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The label.
    pub label: String,
    /// Indentation level (0 = top).
    pub level: u8,
    /// Heading, line, subtotal or total.
    pub kind: RowKind,
    /// One cell per column.
    pub cells: Vec<Cell>,
}

/// A titled table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// A stable identifier (`activities`, `position`...).
    pub id: String,
    /// The title.
    pub title: String,
    /// The organisation and period.
    pub subtitle: String,
    /// The header of the label column.
    pub label_header: String,
    /// The headers of the value columns.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Row>,
    /// Notes printed under the table.
    pub notes: Vec<String>,
    /// The currency or unit amounts are in (for the renderers).
    pub unit: String,
    /// The language of its words (`ja` under the NPO standard).
    pub language: Language,
    /// The figures this statement printed, keyed by what they measure, for
    /// [`super::engine::reconcile`] (not rendered).
    #[serde(skip)]
    pub ties: Vec<super::engine::Tie>,
    /// The rows (by index) that are balances at a date rather than flows
    /// over the period, for [`super::columns`] (not rendered).
    #[serde(skip)]
    pub stocks: Vec<(usize, Stock)>,
}

/// A row that is a balance at a date: in multi-period columns it is the
/// first period's (opening) or the last period's (closing), not a sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stock {
    /// The balance at the period's beginning.
    Opening,
    /// The balance at the period's end.
    Closing,
}

impl Statement {
    /// An empty statement.
    pub fn new(
        id: &str,
        title: impl Into<String>,
        subtitle: impl Into<String>,
        columns: Vec<String>,
        unit: &str,
    ) -> Statement {
        Statement {
            id: id.to_string(),
            title: title.into(),
            subtitle: subtitle.into(),
            label_header: String::new(),
            columns,
            rows: Vec::new(),
            notes: Vec::new(),
            unit: unit.to_string(),
            language: Language::En,
            ties: Vec::new(),
            stocks: Vec::new(),
        }
    }

    /// Marks the last row added as a balance at a date ([`Stock`]).
    pub fn stock(&mut self, stock: Stock) {
        if let Some(last) = self.rows.len().checked_sub(1) {
            self.stocks.push((last, stock));
        }
    }

    /// The statement in Japanese (its words are the caller's).
    pub fn japanese(mut self) -> Statement {
        self.language = Language::Ja;
        self
    }

    /// "amounts in JPY" in the statement's language (`単位：円`).
    pub fn unit_phrase(&self) -> String {
        match self.language {
            Language::En => format!("amounts in {}", self.unit),
            Language::Ja => format!("単位：{}", currency_word(&self.unit, self.language)),
        }
    }

    /// The currency or unit after a number in the statement's language
    /// (`円` for JPY in Japanese).
    pub fn unit_word(&self) -> String {
        currency_word(&self.unit, self.language).to_string()
    }

    /// "Note: " in the statement's language.
    pub fn note_prefix(&self) -> &'static str {
        match self.language {
            Language::En => "Note: ",
            Language::Ja => "注記：",
        }
    }

    /// Records that this statement printed `value` for `key` on `line`.
    pub fn tie(&mut self, key: impl Into<String>, line: impl Into<String>, value: Decimal) {
        self.ties.push(super::engine::Tie {
            key: key.into(),
            value,
            line: line.into(),
        });
    }

    /// Adds a heading.
    pub fn heading(&mut self, label: impl Into<String>, level: u8) {
        self.rows.push(Row {
            label: label.into(),
            level,
            kind: RowKind::Heading,
            cells: vec![Cell::Empty; self.columns.len()],
        });
    }

    /// Adds a row of amounts.
    pub fn amounts(
        &mut self,
        label: impl Into<String>,
        level: u8,
        kind: RowKind,
        values: &[Decimal],
    ) {
        self.rows.push(Row {
            label: label.into(),
            level,
            kind,
            cells: values.iter().map(|v| Cell::Amount(*v)).collect(),
        });
    }

    /// Adds a row of cells.
    pub fn cells(&mut self, label: impl Into<String>, level: u8, kind: RowKind, cells: Vec<Cell>) {
        self.rows.push(Row {
            label: label.into(),
            level,
            kind,
            cells,
        });
    }
}

/// An account name as people read it: the root dropped, the programme part
/// named through `program_names`, CamelCase split into words
/// (`Outputs:FoodAid:RiceDelivered` → `Food supply: rice delivered`).
pub fn humanize(
    account: &str,
    program_names: &std::collections::BTreeMap<String, String>,
) -> String {
    let parts: Vec<&str> = account.split(':').collect();
    let rest = if parts.len() > 1 {
        &parts[1..]
    } else {
        &parts[..]
    };
    rest.iter()
        .enumerate()
        .map(|(i, part)| match program_names.get(*part) {
            Some(name) if i == 0 => name.clone(),
            _ => split_camel(part, i > 0),
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// `ChildSupport` → `Child support` (`lowercase` lowers the words after
/// the first; all-capital words such as `JPY` stay).
pub fn split_camel(part: &str, lowercase: bool) -> String {
    let mut out = String::new();
    let chars: Vec<char> = part.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_uppercase()
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if boundary {
            out.push(' ');
        }
        out.push(c);
    }
    // All-capital words (JPY, RN) stay as they are.
    if lowercase {
        out.split(' ')
            .enumerate()
            .map(|(i, w)| {
                if w.chars().all(|c| c.is_uppercase() || !c.is_alphabetic())
                    || i > 0 && w.len() > 1 && w.chars().nth(1).is_some_and(char::is_uppercase)
                {
                    w.to_string()
                } else {
                    w.to_lowercase()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::humanize;

    #[test]
    fn accounts_read_as_words() {
        let mut names = std::collections::BTreeMap::new();
        names.insert("FoodAid".to_string(), "Food supply".to_string());
        assert_eq!(
            humanize("Outputs:FoodAid:RiceDelivered", &names),
            "Food supply: rice delivered"
        );
        assert_eq!(humanize("Assets:Bank:Postal", &names), "Bank: postal");
        assert_eq!(humanize("Assets:Cash:JPY", &names), "Cash: JPY");
        assert_eq!(
            humanize("Outputs:Shelters:PeopleSheltered", &names),
            "Shelters: people sheltered"
        );
    }
}
