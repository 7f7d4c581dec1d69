//! The listings hledger users type: `payees`, `tags`, `commodities`,
//! `prices` and `stats`, as plain serde data (no accounting beyond counting),
//! and their text, CSV and JSON renderings.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::journal::Journal;
use crate::model::money::{self, Decimal};
use crate::render::text::{self as render, Format, RenderError};

/// Which names a [`NameList`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NameKind {
    /// Transaction descriptions.
    Payees,
    /// Tag names of transactions and postings.
    Tags,
    /// Commodity symbols used or declared.
    Commodities,
}

impl NameKind {
    fn column(self) -> &'static str {
        match self {
            NameKind::Payees => "payee",
            NameKind::Tags => "tag",
            NameKind::Commodities => "commodity",
        }
    }
}

/// Distinct names, sorted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NameList {
    /// What the names are.
    pub kind: NameKind,
    /// The names.
    pub names: Vec<String>,
}

/// The distinct payees, tags or commodities of a journal.
pub fn names(journal: &Journal, kind: NameKind) -> NameList {
    let mut found: BTreeSet<&str> = BTreeSet::new();
    match kind {
        NameKind::Payees => {
            found.extend(journal.transactions().iter().map(|t| journal.payee(t)));
        }
        NameKind::Tags => {
            for t in journal.transactions() {
                found.extend(journal.transaction_tags(t).iter().map(|tag| tag.name));
                for p in journal.postings(t) {
                    found.extend(journal.posting_tags(p).iter().map(|tag| tag.name));
                }
            }
        }
        NameKind::Commodities => {
            found.extend(journal.commodity_ids().map(|c| journal.commodity_name(c)));
        }
    }
    found.remove("");
    NameList {
        kind,
        names: found.into_iter().map(str::to_string).collect(),
    }
}

/// One `P` price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PriceRow {
    /// Its date.
    pub date: NaiveDate,
    /// The commodity priced.
    pub commodity: String,
    /// The price of one unit.
    pub price: Decimal,
    /// The commodity of the price.
    pub price_commodity: String,
}

/// The `P` prices, in date order (journal order within a date).
pub fn prices(journal: &Journal) -> Vec<PriceRow> {
    let mut rows: Vec<PriceRow> = journal
        .prices()
        .iter()
        .map(|p| PriceRow {
            date: p.date,
            commodity: journal.commodity_name(p.commodity).to_string(),
            price: p.price,
            price_commodity: journal.commodity_name(p.price_commodity).to_string(),
        })
        .collect();
    rows.sort_by_key(|r| r.date);
    rows
}

/// What a journal holds, in counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// The files read.
    pub files: Vec<String>,
    /// The first and last transaction dates.
    pub first_date: Option<NaiveDate>,
    /// The last transaction date.
    pub last_date: Option<NaiveDate>,
    /// Transactions.
    pub transactions: usize,
    /// Postings, written and generated.
    pub postings: usize,
    /// Distinct payees.
    pub payees: usize,
    /// Accounts.
    pub accounts: usize,
    /// Funds.
    pub funds: usize,
    /// Commodities.
    pub commodities: usize,
    /// `P` prices.
    pub prices: usize,
}

/// Counts of a journal's contents.
pub fn stats(journal: &Journal) -> Stats {
    let dates = journal.transactions().iter().map(|t| t.date);
    Stats {
        files: journal
            .files()
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        first_date: dates.clone().min(),
        last_date: dates.max(),
        transactions: journal.transactions().len(),
        postings: journal.all_postings().len(),
        payees: names(journal, NameKind::Payees).names.len(),
        accounts: journal.account_ids().count(),
        funds: journal.fund_ids().count(),
        commodities: journal.commodity_ids().count(),
        prices: journal.prices().len(),
    }
}

/// Renders a [`NameList`]: one name a line (text), a one-column CSV, or JSON.
///
/// # Errors
/// When CSV or JSON serialisation fails.
pub fn render_names(list: &NameList, format: Format) -> Result<String, RenderError> {
    match format {
        Format::Json => render::json(list),
        Format::Csv => render::csv_of(
            &[list.kind.column()],
            list.names.iter().map(|n| vec![n.clone()]),
        ),
        Format::Text => Ok(list.names.iter().map(|n| format!("{n}\n")).collect()),
    }
}

/// Renders prices as `P DATE COMMODITY PRICE` lines (text), CSV or JSON.
///
/// # Errors
/// When CSV or JSON serialisation fails.
pub fn render_prices(rows: &[PriceRow], format: Format) -> Result<String, RenderError> {
    let plain = |q: Decimal| money::format_plain(q, q.scale());
    match format {
        Format::Json => render::json(&rows),
        Format::Csv => render::csv_of(
            &["date", "commodity", "price", "price_commodity"],
            rows.iter().map(|r| {
                vec![
                    r.date.to_string(),
                    r.commodity.clone(),
                    plain(r.price),
                    r.price_commodity.clone(),
                ]
            }),
        ),
        Format::Text => Ok(rows
            .iter()
            .map(|r| {
                format!(
                    "P {} {} {} {}\n",
                    r.date,
                    r.commodity,
                    plain(r.price),
                    r.price_commodity
                )
            })
            .collect()),
    }
}

/// Renders [`Stats`] as `name: value` lines (text), a two-column CSV, or JSON.
///
/// # Errors
/// When CSV or JSON serialisation fails.
pub fn render_stats(stats: &Stats, format: Format) -> Result<String, RenderError> {
    let date = |d: Option<NaiveDate>| d.map_or_else(String::new, |d| d.to_string());
    let rows = vec![
        ("files", stats.files.join(", ")),
        ("first date", date(stats.first_date)),
        ("last date", date(stats.last_date)),
        ("transactions", stats.transactions.to_string()),
        ("postings", stats.postings.to_string()),
        ("payees", stats.payees.to_string()),
        ("accounts", stats.accounts.to_string()),
        ("funds", stats.funds.to_string()),
        ("commodities", stats.commodities.to_string()),
        ("prices", stats.prices.to_string()),
    ];
    match format {
        Format::Json => render::json(stats),
        Format::Csv => render::csv_of(
            &["statistic", "value"],
            rows.into_iter().map(|(k, v)| vec![k.to_string(), v]),
        ),
        Format::Text => {
            let table: Vec<Vec<String>> = rows
                .into_iter()
                .map(|(k, v)| vec![format!("{k}:"), v])
                .collect();
            let text = render::table(&["", ""], &table, &[false, false]);
            // The blank header row and its rule are not wanted here.
            Ok(text
                .lines()
                .skip(2)
                .map(|l| format!("{}\n", l.trim_end()))
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::settings::Settings;

    #[test]
    fn lists_of_a_journal() {
        let text = "P 2020-01-02 EUR $1.10\n2020-01-01 Shop  ; kind: food\n    a  1 EUR  ; fund: X\n    b\n2020-01-03 Bank\n    a  $2 ; ref: 7\n    b\n";
        let loaded = crate::load_text(
            Settings::for_bare_journal(std::path::Path::new("j")),
            std::path::Path::new("j"),
            text.to_string(),
        )
        .unwrap();
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let journal = &loaded.journal;
        assert_eq!(names(journal, NameKind::Payees).names, ["Bank", "Shop"]);
        assert_eq!(names(journal, NameKind::Tags).names, ["kind", "ref"]);
        assert_eq!(names(journal, NameKind::Commodities).names, ["$", "EUR"]);
        assert_eq!(
            render_prices(&prices(journal), Format::Text).unwrap(),
            "P 2020-01-02 EUR 1.10 $\n"
        );
        let s = stats(journal);
        assert_eq!((s.transactions, s.payees, s.prices), (2, 2, 1));
        assert!(render_stats(&s, Format::Text)
            .unwrap()
            .contains("transactions:"));
        assert_eq!(
            render_names(&names(journal, NameKind::Payees), Format::Csv).unwrap(),
            "payee\nBank\nShop\n"
        );
    }
}
