//! Donation receipts (寄附金受領証明書): which gifts can be receipted, the
//! register of receipts issued, and the receipts as Markdown and A4 HTML.
//!
//! # What a gift is
//!
//! A gift is a credit to one of `[receipts] gift_accounts` (prefixes by
//! whole component; default `Income:Donations`) in a real posting written in
//! the journal: money given, in the base currency. Membership dues
//! (`Income:Membership`), sales and gifts in kind (`Income:InKind`) are not
//! under these accounts and are never receipted; a ledger that books them
//! elsewhere lists its own gift accounts. Its donor is the posting's
//! `donor:` tag, else the transaction's.
//!
//! # Never twice
//!
//! Each gift has an identity that does not change when the transaction is
//! reconciled or re-printed: `import:ID` for an imported transaction (the
//! import's own re-import guard keeps that id unique), otherwise the date
//! and a digest of the date, payee, donor, account and amount, with an
//! occurrence number for identical gifts (`2000-05-10:1a2b3c4d5e6f:1`); a
//! transaction holding several gifts adds `#N`, the gift's place in it.
//!
//! `receipts.csv` beside the journal lists every receipt issued: number,
//! date of issue, donor, fiscal year, the identities of the gifts it covers,
//! amount and currency. It is read and rewritten (temporary file, flush,
//! rename) under the journal's lock ([`crate::write_path::write::JournalLock`]), so two
//! runs at once never give one number twice or receipt one gift twice. A
//! gift already covered is refused ([`Code::AlreadyReceipted`], naming the
//! earlier receipt); `reissue` prints a copy of an issued receipt and
//! records nothing.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::donors::register::{Donor, DonorCategory, DonorRegister};
use crate::model::diagnostic::{Code, Diagnostic, Location};
use crate::model::journal::{Journal, Origin, PostingKind};
use crate::model::money::{self, Decimal};
use crate::model::settings::Settings;
use crate::reports::statement::Language;
use crate::reports::words;
use crate::write_path::write::{ChangeError, ChangeOptions};

/// The register of issued receipts, beside the journal.
pub const RECEIPTS_FILE_NAME: &str = "receipts.csv";

/// The register's columns, in the order they are written.
pub const RECEIPT_COLUMNS: [&str; 8] = [
    "number",
    "issued",
    "donor",
    "fiscal_year",
    "kind",
    "gifts",
    "amount",
    "currency",
];

/// The deduction statement a certified organisation prints when the
/// settings give none.
pub const DEFAULT_DEDUCTION_STATEMENT: &str = "当法人は、特定非営利活動促進法第44条第1項の規定により所轄庁の認定を受けた認定特定非営利活動法人です。上記の寄附金は、所得税の寄附金控除又は税額控除、法人税の損金算入等の税制上の優遇措置の対象となります。確定申告の際は、この証明書を添付してください。";

/// `[receipts]` in `fundledger.toml`: what counts as a gift and what the
/// receipts say about the organisation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptSettings {
    /// Accounts (prefixes by whole component) whose credits are gifts of
    /// money. Default: `Income:Donations`.
    #[serde(default = "default_gift_accounts")]
    pub gift_accounts: Vec<String>,
    /// The organisation's name on receipts (default:
    /// `report.organisation_ja`, else `organisation`).
    #[serde(default)]
    pub name: Option<String>,
    /// The organisation's address.
    #[serde(default)]
    pub address: Option<String>,
    /// Its representative (`理事長 加藤 博`).
    #[serde(default)]
    pub representative: Option<String>,
    /// Its telephone number.
    #[serde(default)]
    pub telephone: Option<String>,
    /// The authority that certified the organisation (所轄庁, `東京都知事`);
    /// with `certified_on`, `valid_from` and `valid_until`, receipts state
    /// the certified status and the deduction.
    #[serde(default)]
    pub certified_by: Option<String>,
    /// The date of certification (認定日).
    #[serde(default)]
    pub certified_on: Option<NaiveDate>,
    /// The first day of the certification's validity (有効期間).
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// The last day of the certification's validity.
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    /// The statement of deductibility (default:
    /// [`DEFAULT_DEDUCTION_STATEMENT`]).
    #[serde(default)]
    pub deduction_statement: Option<String>,
}

fn default_gift_accounts() -> Vec<String> {
    vec!["Income:Donations".to_string()]
}

impl Default for ReceiptSettings {
    fn default() -> Self {
        ReceiptSettings {
            gift_accounts: default_gift_accounts(),
            name: None,
            address: None,
            representative: None,
            telephone: None,
            certified_by: None,
            certified_on: None,
            valid_from: None,
            valid_until: None,
            deduction_statement: None,
        }
    }
}

/// The organisation's certification as a receipt states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Certification {
    /// 所轄庁.
    pub certified_by: String,
    /// 認定日.
    pub certified_on: NaiveDate,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// The statement of deductibility.
    pub statement: String,
}

/// The issuer as printed on a receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issuer {
    /// The organisation's name.
    pub name: String,
    /// Its address.
    pub address: String,
    /// Its representative.
    pub representative: String,
    /// Its telephone number.
    pub telephone: Option<String>,
    /// Its certification, when certified.
    pub certification: Option<Certification>,
}

impl Issuer {
    /// The issuer of `settings`; an error names each missing key.
    ///
    /// # Errors
    /// The text of a usage error naming the missing `[receipts]` keys.
    pub fn from_settings(settings: &Settings) -> Result<Issuer, String> {
        let r = &settings.receipts;
        let mut missing = Vec::new();
        if r.address.as_deref().is_none_or(|a| a.trim().is_empty()) {
            missing.push("address");
        }
        if r.representative
            .as_deref()
            .is_none_or(|a| a.trim().is_empty())
        {
            missing.push("representative");
        }
        let certification_keys = [
            ("certified_by", r.certified_by.is_some()),
            ("certified_on", r.certified_on.is_some()),
            ("valid_from", r.valid_from.is_some()),
            ("valid_until", r.valid_until.is_some()),
        ];
        let certification = match (&r.certified_by, r.certified_on, r.valid_from, r.valid_until) {
            (Some(by), Some(on), Some(from), Some(until)) => {
                if until < from {
                    return Err(format!(
                        "[receipts] valid_until {until} is before valid_from {from} in fundledger.toml"
                    ));
                }
                Some(Certification {
                    certified_by: by.clone(),
                    certified_on: on,
                    valid_from: from,
                    valid_until: until,
                    statement: r
                        .deduction_statement
                        .clone()
                        .unwrap_or_else(|| DEFAULT_DEDUCTION_STATEMENT.to_string()),
                })
            }
            _ => {
                if certification_keys.iter().any(|(_, set)| *set) {
                    missing.extend(
                        certification_keys
                            .iter()
                            .filter(|(_, set)| !set)
                            .map(|(key, _)| *key),
                    );
                }
                None
            }
        };
        if !missing.is_empty() {
            return Err(format!(
                "receipts need [receipts] {} in fundledger.toml (the organisation's address and representative; a certified organisation gives all of certified_by, certified_on, valid_from and valid_until)",
                missing.join(", ")
            ));
        }
        Ok(Issuer {
            name: r
                .name
                .clone()
                .or_else(|| settings.report.organisation_ja.clone())
                .unwrap_or_else(|| settings.organisation.clone()),
            address: r.address.clone().unwrap_or_default(),
            representative: r.representative.clone().unwrap_or_default(),
            telephone: r.telephone.clone(),
            certification,
        })
    }
}

/// One gift of money, as the journal records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gift {
    /// Its identity (see the module documentation).
    pub id: String,
    /// The day it was received.
    pub date: NaiveDate,
    /// The donor id of its `donor:` tag.
    pub donor: Option<String>,
    /// The amount received (positive).
    pub amount: Decimal,
    /// Its commodity.
    pub commodity: String,
    /// The income account it was credited to.
    pub account: String,
    /// The fund it was given to.
    pub fund: String,
    /// The transaction's payee.
    pub payee: String,
    /// The transaction's code, when it has one.
    pub code: Option<String>,
    /// The transaction's import id, when it was imported.
    pub import_id: Option<String>,
    /// The file holding the posting.
    pub file: PathBuf,
    /// The posting's line.
    pub line: u32,
}

/// Every gift of money in the journal, in journal order.
pub fn gifts(journal: &Journal) -> Vec<Gift> {
    let settings = journal.settings();
    let gift_accounts = &settings.receipts.gift_accounts;
    let mut out = Vec::new();
    let mut occurrences: HashMap<String, u32> = HashMap::new();
    for t in journal.transactions() {
        let postings = journal.postings(t);
        let is_gift = |p: &crate::model::journal::Posting| {
            p.kind == PostingKind::Real
                && matches!(p.origin, Origin::Written | Origin::Elided)
                && p.quantity.is_sign_negative()
                && !p.quantity.is_zero()
                && gift_accounts.iter().any(|prefix| {
                    crate::model::query::account_matches(journal.account_name(p.account), prefix)
                })
        };
        let count = postings.iter().filter(|p| is_gift(p)).count();
        if count == 0 {
            continue;
        }
        let tags = journal.transaction_tags(t);
        let tag = |name: &str| {
            tags.iter()
                .find(|tag| tag.name == name)
                .map(|tag| tag.value.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let import_id = tag("import");
        let transaction_donor = tag("donor");
        let payee = journal.payee(t).to_string();
        for (ordinal, p) in postings.iter().filter(|p| is_gift(p)).enumerate() {
            let donor = journal
                .posting_tag(p, "donor")
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty())
                .or_else(|| transaction_donor.clone());
            let account = journal.account_name(p.account).to_string();
            let amount = -p.quantity;
            let commodity = journal.commodity_name(p.commodity).to_string();
            let mut id = match &import_id {
                Some(import) => format!("import:{import}"),
                None => {
                    let mut hasher = Sha256::new();
                    for field in [
                        t.date.to_string().as_str(),
                        &payee,
                        donor.as_deref().unwrap_or(""),
                        &account,
                        &amount.normalize().to_string(),
                        &commodity,
                    ] {
                        hasher.update((field.len() as u64).to_le_bytes());
                        hasher.update(field.as_bytes());
                    }
                    let digest = crate::read::source::hex(&hasher.finalize()[..6]);
                    let key = format!("{}:{digest}", t.date);
                    let n = occurrences.entry(key.clone()).or_insert(0);
                    *n += 1;
                    format!("{key}:{n}")
                }
            };
            if count > 1 {
                let _ = write!(id, "#{}", ordinal + 1);
            }
            out.push(Gift {
                id: encode_id(&id),
                date: t.date,
                donor,
                amount,
                commodity,
                account,
                fund: journal.fund_name(p.fund).to_string(),
                payee: payee.clone(),
                code: journal.code(t).map(str::to_string),
                import_id: import_id.clone(),
                file: journal
                    .files()
                    .get(t.file as usize)
                    .cloned()
                    .unwrap_or_default(),
                line: p.line,
            });
        }
    }
    out
}

/// A gift identity as the register writes it: no spaces (they separate
/// identities), `%` escaped.
fn encode_id(id: &str) -> String {
    id.replace('%', "%25").replace(' ', "%20")
}

/// One receipt in the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IssuedReceipt {
    /// Its number (`2000-0001`: the fiscal year and a sequence in it).
    pub number: String,
    /// The date it was issued.
    pub issued: NaiveDate,
    /// The donor's id.
    pub donor: String,
    /// The fiscal year of its gifts.
    pub fiscal_year: i32,
    /// A year's gifts or one gift.
    pub kind: ReceiptKind,
    /// The identities of the gifts it covers.
    pub gifts: Vec<String>,
    /// The total received.
    pub amount: Decimal,
    /// The currency.
    pub currency: String,
    /// Its line in `receipts.csv`.
    pub line: u32,
}

/// The register of issued receipts (`receipts.csv`).
#[derive(Clone, Debug, Default)]
pub struct ReceiptRegister {
    path: PathBuf,
    receipts: Vec<IssuedReceipt>,
    by_gift: HashMap<String, usize>,
}

impl ReceiptRegister {
    /// The register beside `journal`: empty when there is none; every bad
    /// row located otherwise ([`Code::ReceiptRegister`]).
    ///
    /// # Errors
    /// The problems found, each at its row and column.
    pub fn load(journal: &Path) -> Result<ReceiptRegister, Vec<Diagnostic>> {
        let path = register_path(journal);
        match super::read_register(&path, Code::ReceiptRegister, "receipts register")? {
            Some(text) => ReceiptRegister::parse(&path, &text),
            None => Ok(ReceiptRegister {
                path,
                ..ReceiptRegister::default()
            }),
        }
    }

    /// Reads a register from the text of `path`.
    ///
    /// # Errors
    /// The problems found, each at its row and column.
    pub fn parse(path: &Path, text: &str) -> Result<ReceiptRegister, Vec<Diagnostic>> {
        let lines: Vec<&str> = text.lines().collect();
        let problem = |line: u64, message: String| {
            crate::model::diagnostic::at_text_line(
                Code::ReceiptRegister,
                message,
                path,
                &lines,
                line,
            )
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        match records.next() {
            Some(Ok(header)) if header.iter().eq(RECEIPT_COLUMNS.iter().copied()) => {}
            Some(Ok(header)) => {
                return Err(vec![problem(1, "unexpected header row".into())
                    .found(header.iter().collect::<Vec<_>>().join(","))
                    .expected(RECEIPT_COLUMNS.join(","))])
            }
            Some(Err(e)) => {
                let line = e.position().map(|p| p.line()).unwrap_or(1);
                return Err(vec![problem(line, format!("cannot read the row: {e}"))]);
            }
            None => {
                return Ok(ReceiptRegister {
                    path: path.to_path_buf(),
                    ..ReceiptRegister::default()
                })
            }
        }
        let mut register = ReceiptRegister {
            path: path.to_path_buf(),
            ..ReceiptRegister::default()
        };
        let mut problems = Vec::new();
        for record in records {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(1);
                    problems.push(problem(line, format!("cannot read the row: {e}")));
                    continue;
                }
            };
            let line = record.position().map(|p| p.line()).unwrap_or(1);
            let field = |i: usize| record.get(i).unwrap_or("").trim();
            let bad = |column: &str, found: &str, expected: &str| {
                problem(line, format!("column `{column}`: {found:?} cannot be read"))
                    .expected(expected.to_string())
            };
            let number = field(0).to_string();
            if number.is_empty() {
                problems.push(bad("number", "", "the receipt's number, such as 2000-0001"));
                continue;
            }
            let Ok(issued) = NaiveDate::parse_from_str(field(1), "%Y-%m-%d") else {
                problems.push(bad("issued", field(1), "a date YYYY-MM-DD"));
                continue;
            };
            let Ok(fiscal_year) = field(3).parse::<i32>() else {
                problems.push(bad("fiscal_year", field(3), "a year such as 2000"));
                continue;
            };
            let kind = match field(4) {
                "year" => ReceiptKind::Year,
                "gift" => ReceiptKind::Gift,
                other => {
                    problems.push(bad("kind", other, "year or gift"));
                    continue;
                }
            };
            let Ok(amount) = Decimal::from_str_exact(field(6)) else {
                problems.push(bad("amount", field(6), "an amount such as 30000"));
                continue;
            };
            let gifts: Vec<String> = field(5).split_whitespace().map(str::to_string).collect();
            if gifts.is_empty() {
                problems.push(bad("gifts", "", "the identities of the gifts receipted"));
                continue;
            }
            if let Some(earlier) = register.receipts.iter().find(|r| r.number == number) {
                problems.push(
                    problem(line, format!("receipt number {number} is used twice"))
                        .found(format!("the same number on line {}", earlier.line)),
                );
                continue;
            }
            let index = register.receipts.len();
            for gift in &gifts {
                if let Some(&earlier) = register.by_gift.get(gift) {
                    problems.push(
                        problem(
                            line,
                            format!(
                                "gift {gift} is covered by receipts {} and {number}",
                                register.receipts[earlier].number
                            ),
                        )
                        .expected("each gift in one receipt only"),
                    );
                }
                register.by_gift.insert(gift.clone(), index);
            }
            register.receipts.push(IssuedReceipt {
                number,
                issued,
                donor: field(2).to_string(),
                fiscal_year,
                kind,
                gifts,
                amount,
                currency: field(7).to_string(),
                line: u32::try_from(line).unwrap_or(u32::MAX),
            });
        }
        if problems.is_empty() {
            Ok(register)
        } else {
            Err(problems)
        }
    }

    /// The file the register is kept in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every receipt issued, in the order of the file.
    pub fn receipts(&self) -> &[IssuedReceipt] {
        &self.receipts
    }

    /// The receipt covering a gift, if any.
    pub fn covering(&self, gift: &str) -> Option<&IssuedReceipt> {
        self.by_gift.get(gift).map(|&i| &self.receipts[i])
    }

    /// The next number in `fiscal_year`: `YEAR-NNNN`, one more than the
    /// highest issued in that year.
    fn next_number(&self, fiscal_year: i32, taken: &[String]) -> String {
        let prefix = format!("{fiscal_year}-");
        let highest = self
            .receipts
            .iter()
            .map(|r| r.number.as_str())
            .chain(taken.iter().map(String::as_str))
            .filter_map(|n| n.strip_prefix(&prefix)?.parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        format!("{prefix}{:04}", highest.saturating_add(1))
    }

    /// The register's text with `new` receipts added.
    fn text_with(&self, new: &[IssuedReceipt]) -> String {
        let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
        let _ = writer.write_record(RECEIPT_COLUMNS);
        for r in self.receipts.iter().chain(new) {
            let _ = writer.write_record([
                r.number.as_str(),
                &r.issued.to_string(),
                &r.donor,
                &r.fiscal_year.to_string(),
                r.kind.as_str(),
                &r.gifts.join(" "),
                &r.amount.to_string(),
                &r.currency,
            ]);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// Where the register of the journal `journal` is kept.
pub fn register_path(journal: &Path) -> PathBuf {
    journal.with_file_name(RECEIPTS_FILE_NAME)
}

/// Whether a receipt covers one fiscal year of a donor's gifts or one gift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptKind {
    /// Every gift of a donor in a fiscal year (not yet receipted).
    Year,
    /// One gift.
    Gift,
}

impl ReceiptKind {
    /// As the register writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::Year => "year",
            ReceiptKind::Gift => "gift",
        }
    }
}

/// How a printed receipt stands to the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Printing {
    /// The original, recorded in the register.
    Original,
    /// A copy of a receipt already issued (再発行 / COPY).
    Copy {
        /// The day the copy was printed.
        reissued: NaiveDate,
    },
    /// What a dry run would issue: not recorded, not valid (見本 / SPECIMEN).
    Specimen,
}

/// A receipt, ready to render.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// Its number.
    pub number: String,
    /// The date of issue.
    pub issued: NaiveDate,
    /// The fiscal year of its gifts.
    pub fiscal_year: i32,
    /// The fiscal year's first day.
    pub year_begin: NaiveDate,
    /// The fiscal year's last day.
    pub year_end: NaiveDate,
    /// Year or gift.
    pub kind: ReceiptKind,
    /// The donor it is addressed to.
    pub donor: Donor,
    /// The gifts it covers, in date order, each with its fund's name.
    pub gifts: Vec<(Gift, String)>,
    /// Their total.
    pub total: Decimal,
    /// The currency.
    pub currency: String,
    /// Original, copy or specimen.
    pub printing: Printing,
    /// The issuer.
    pub issuer: Issuer,
}

/// What to receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// One donor's gifts in a fiscal year.
    Donor {
        /// The fiscal year.
        fiscal_year: i32,
        /// The donor's id.
        donor: String,
    },
    /// Every donor's gifts of a fiscal year not yet receipted.
    All {
        /// The fiscal year.
        fiscal_year: i32,
    },
    /// One gift, by its identity, import id, `DATE`, `DATE/CODE` or code;
    /// `donor` narrows the search.
    Gift {
        /// What names the gift.
        selector: String,
        /// The donor, when given.
        donor: Option<String>,
    },
}

/// What `issue` did or, in a dry run, would do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issued {
    /// The receipts, in number order.
    pub receipts: Vec<Receipt>,
    /// What was left out and why (anonymous donors, gifts without a
    /// donor, donors whose gifts are all receipted), for the summary.
    pub notes: Vec<String>,
    /// False for a dry run.
    pub recorded: bool,
}

fn usage(message: impl Into<String>) -> ChangeError {
    ChangeError::io("", message.into())
}

/// A diagnostic at `line` of the file `path`, showing that line.
fn at_line(diagnostic: Diagnostic, path: &Path, line: u32) -> Diagnostic {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let located =
        crate::model::diagnostic::at_text_line(diagnostic.code, "", path, &lines, u64::from(line));
    diagnostic
        .at(located.location.unwrap_or(Location {
            path: path.to_path_buf(),
            line,
        }))
        .with_excerpt(located.excerpt)
}

/// Locating a diagnostic at a gift's posting.
trait AtGift {
    /// The diagnostic at the gift's posting, showing its line.
    fn at_gift(self, gift: &Gift) -> Diagnostic;
}

impl AtGift for Diagnostic {
    fn at_gift(self, gift: &Gift) -> Diagnostic {
        at_line(self, &gift.file, gift.line)
    }
}

/// The donor a receipt can be addressed to, or why not
/// ([`Code::DonorNotReceiptable`] at the donor's row, or at the gift naming
/// an unknown donor).
fn addressable<'r>(
    donors: &'r DonorRegister,
    id: &str,
    gift: &Gift,
) -> Result<&'r Donor, Box<Diagnostic>> {
    let Some(donor) = donors.get(id) else {
        return Err(Box::new(
            Diagnostic::new(
                Code::DonorNotReceiptable,
                format!("the gift names donor {id}, who is not in the donor register"),
            )
            .at_gift(gift)
            .expected(format!(
                "a donor id listed in {} (id,name,kana,address,...)",
                donors.path().display()
            )),
        ));
    };
    let missing: Vec<&str> = [
        ("name", donor.name.trim().is_empty()),
        (
            "address",
            donor.address.as_deref().is_none_or(|a| a.trim().is_empty()),
        ),
    ]
    .into_iter()
    .filter(|(_, absent)| *absent)
    .map(|(column, _)| column)
    .collect();
    if donor.category == DonorCategory::Anonymous || !missing.is_empty() {
        let why = if donor.category == DonorCategory::Anonymous {
            "is anonymous".to_string()
        } else {
            format!("has no {}", missing.join(" and no "))
        };
        return Err(Box::new(
            at_line(
                Diagnostic::new(
                    Code::DonorNotReceiptable,
                    format!(
                        "donor {id} {why}: a receipt is addressed to the donor by name and address"
                    ),
                ),
                donors.path(),
                donor.line,
            )
            .expected("the donor's name and postal address in the register"),
        ));
    }
    Ok(donor)
}

/// The gifts a selection covers, grouped by donor (in id order), and the
/// notes on what it leaves out.
type Planned = (BTreeMap<String, (ReceiptKind, i32, Vec<Gift>)>, Vec<String>);

fn plan(
    settings: &Settings,
    all_gifts: Vec<Gift>,
    donors: &DonorRegister,
    issued: &ReceiptRegister,
    selection: &Selection,
) -> Result<Planned, ChangeError> {
    let year_of = |gift: &Gift| settings.fiscal_year_start.year_of(gift.date);
    let mut notes = Vec::new();
    let mut problems = Vec::new();
    let mut by_donor: BTreeMap<String, (ReceiptKind, i32, Vec<Gift>)> = BTreeMap::new();
    let already = |gift: &Gift, problems: &mut Vec<Diagnostic>| -> bool {
        match issued.covering(&gift.id) {
            None => false,
            Some(earlier) => {
                problems.push(
                    Diagnostic::new(
                        Code::AlreadyReceipted,
                        format!(
                            "the gift of {} {} on {} is already receipted by receipt {} (issued {})",
                            crate::render::text::grouped(gift.amount),
                            gift.commodity,
                            gift.date,
                            earlier.number,
                            earlier.issued
                        ),
                    )
                    .at_gift(gift)
                    .found(format!(
                        "receipt {} at {}:{}",
                        earlier.number,
                        issued.path().display(),
                        earlier.line
                    ))
                    .expected(format!(
                        "a gift not yet receipted; print a copy with `receipt --reissue {}`{}",
                        earlier.number,
                        if matches!(selection, Selection::Donor { .. }) {
                            ", or the year's other gifts with `--all`"
                        } else {
                            ""
                        }
                    )),
                );
                true
            }
        }
    };
    match selection {
        Selection::Donor { fiscal_year, donor } => {
            if donors.get(donor).is_none() {
                return Err(usage(format!(
                    "no donor {donor} in {}",
                    donors.path().display()
                )));
            }
            let chosen: Vec<Gift> = all_gifts
                .into_iter()
                .filter(|g| {
                    g.donor.as_deref() == Some(donor.as_str()) && year_of(g) == *fiscal_year
                })
                .collect();
            if chosen.is_empty() {
                return Err(usage(format!(
                    "donor {donor} gave no gift of money in fiscal year {fiscal_year} (gift accounts: {})",
                    settings.receipts.gift_accounts.join(", ")
                )));
            }
            for gift in &chosen {
                already(gift, &mut problems);
            }
            by_donor.insert(donor.clone(), (ReceiptKind::Year, *fiscal_year, chosen));
        }
        Selection::All { fiscal_year } => {
            let mut untagged = 0usize;
            let mut covered = 0usize;
            for gift in all_gifts.into_iter().filter(|g| year_of(g) == *fiscal_year) {
                let Some(donor) = gift.donor.clone() else {
                    untagged += 1;
                    continue;
                };
                if issued.covering(&gift.id).is_some() {
                    covered += 1;
                    continue;
                }
                if donors
                    .get(&donor)
                    .is_some_and(|d| d.category == DonorCategory::Anonymous)
                {
                    notes.push(format!(
                        "the gift of {} {} on {} is from anonymous donor {donor}: no receipt",
                        crate::render::text::grouped(gift.amount),
                        gift.commodity,
                        gift.date
                    ));
                    continue;
                }
                by_donor
                    .entry(donor)
                    .or_insert_with(|| (ReceiptKind::Year, *fiscal_year, Vec::new()))
                    .2
                    .push(gift);
            }
            if untagged > 0 {
                notes.push(format!(
                    "{untagged} gift(s) of fiscal year {fiscal_year} name no donor (no `donor:` tag): no receipt"
                ));
            }
            if covered > 0 {
                notes.push(format!(
                    "{covered} gift(s) of fiscal year {fiscal_year} are already receipted"
                ));
            }
        }
        Selection::Gift { selector, donor } => {
            let matches: Vec<Gift> = all_gifts
                .into_iter()
                .filter(|g| donor.is_none() || g.donor == *donor)
                .filter(|g| gift_matches(g, selector))
                .collect();
            let gift = match matches.as_slice() {
                [] => {
                    return Err(usage(format!(
                        "no gift of money matches --gift {selector}{} (give the gift's date YYYY-MM-DD, DATE/CODE, its code, or its import id)",
                        donor.as_deref().map(|d| format!(" --donor {d}")).unwrap_or_default()
                    )))
                }
                [one] => one.clone(),
                many => {
                    let listed: Vec<String> = many
                        .iter()
                        .map(|g| {
                            format!(
                                "{} {} {} ({}, {}:{})",
                                g.date,
                                crate::render::text::grouped(g.amount),
                                g.commodity,
                                g.donor.as_deref().unwrap_or("no donor"),
                                g.file.display(),
                                g.line
                            )
                        })
                        .collect();
                    return Err(usage(format!(
                        "--gift {selector} matches {} gifts: {}; add --donor ID or name it by DATE/CODE or import id",
                        many.len(),
                        listed.join("; ")
                    )));
                }
            };
            let Some(donor) = gift.donor.clone() else {
                return Err(usage(format!(
                    "the gift at {}:{} names no donor: tag it `; donor: ID` (an id of the donor register)",
                    gift.file.display(),
                    gift.line
                )));
            };
            already(&gift, &mut problems);
            let year = year_of(&gift);
            by_donor.insert(donor, (ReceiptKind::Gift, year, vec![gift]));
        }
    }
    for (donor, (_, _, gifts)) in &by_donor {
        let Some(first) = gifts.first() else {
            continue;
        };
        if let Err(mut problem) = addressable(donors, donor, first) {
            if matches!(selection, Selection::All { .. }) {
                problem.expected = problem.expected.map(|e| {
                    format!("{e} (--all issues nothing until every donor can be addressed; --donor ID issues one donor's)")
                });
            }
            problems.push(*problem);
        }
        let base = settings.base_currency.as_deref().unwrap_or("");
        for gift in gifts.iter().filter(|g| g.commodity != base) {
            problems.push(
                Diagnostic::new(
                    Code::GiftNotReceiptable,
                    format!(
                        "a gift of {} {} cannot be receipted: receipts state amounts in {base}",
                        gift.amount, gift.commodity
                    ),
                )
                .at_gift(gift)
                .expected(format!(
                    "a gift booked in {base} (book the yen actually received)"
                )),
            );
        }
    }
    if !problems.is_empty() {
        return Err(ChangeError::Input(problems));
    }
    Ok((by_donor, notes))
}

/// Whether `selector` names `gift`: its identity, import id, date, code, or
/// `DATE/CODE`.
fn gift_matches(gift: &Gift, selector: &str) -> bool {
    let selector = selector.trim();
    let date = gift.date.to_string();
    selector == gift.id
        || gift.import_id.as_deref() == Some(selector)
        || (gift.import_id.is_some()
            && selector.strip_prefix("import:") == gift.import_id.as_deref())
        || selector == date
        || gift.code.as_deref() == Some(selector)
        || gift
            .code
            .as_deref()
            .is_some_and(|code| selector == format!("{date}/{code}"))
}

/// Issues the receipts `selection` calls for, dated `issued`: under the
/// journal's lock (none for a dry run), reads the journal, the donor
/// register and the receipts register, refuses a gift already receipted,
/// numbers the new receipts and records them, atomically.
///
/// # Errors
/// [`ChangeError::Input`] with every problem (E901, E911–E914); a usage
/// problem as [`ChangeError::Io`]; nothing is recorded.
pub fn issue(
    settings: &Settings,
    options: ChangeOptions<'_>,
    selection: &Selection,
    issued_on: NaiveDate,
) -> Result<Issued, ChangeError> {
    let issuer = Issuer::from_settings(settings).map_err(usage)?;
    if let Selection::Donor { fiscal_year, .. } | Selection::All { fiscal_year } = selection {
        if settings.fiscal_year(*fiscal_year).is_none() {
            return Err(usage(format!("fiscal year {fiscal_year} is out of range")));
        }
    }
    let dry_run = options.dry_run;
    let locked = crate::write_path::write::lock_and_load(settings, &options)?;
    let journal = &locked.loaded.journal;
    let donors = DonorRegister::load(&settings.root).map_err(ChangeError::Input)?;
    let register = ReceiptRegister::load(&settings.journal).map_err(ChangeError::Input)?;
    let (planned, mut notes) = plan(settings, gifts(journal), &donors, &register, selection)?;
    let mut receipts = Vec::new();
    let mut rows = Vec::new();
    let mut numbers: Vec<String> = Vec::new();
    for (donor_id, (kind, fiscal_year, mut chosen)) in planned {
        let Some(donor) = donors.get(&donor_id) else {
            continue;
        };
        chosen.sort_by_key(|g| g.date);
        if let Some(last) = chosen.last() {
            if last.date > issued_on {
                return Err(usage(format!(
                    "the receipt cannot be dated {issued_on}, before the gift it covers received on {} (--date)",
                    last.date
                )));
            }
        }
        let total = money::checked_sum(chosen.iter().map(|g| g.amount))
            .map_err(|_| usage(format!("the gifts of donor {donor_id} overflow when added")))?;
        let number = register.next_number(fiscal_year, &numbers);
        numbers.push(number.clone());
        let (year_begin, year_end) = fiscal_bounds(settings, fiscal_year)?;
        let currency = chosen
            .first()
            .map(|g| g.commodity.clone())
            .unwrap_or_default();
        rows.push(IssuedReceipt {
            number: number.clone(),
            issued: issued_on,
            donor: donor_id.clone(),
            fiscal_year,
            kind,
            gifts: chosen.iter().map(|g| g.id.clone()).collect(),
            amount: total,
            currency: currency.clone(),
            line: 0,
        });
        receipts.push(Receipt {
            number,
            issued: issued_on,
            fiscal_year,
            year_begin,
            year_end,
            kind,
            donor: donor.clone(),
            gifts: with_fund_names(settings, chosen),
            total,
            currency,
            printing: if dry_run {
                Printing::Specimen
            } else {
                Printing::Original
            },
            issuer: issuer.clone(),
        });
    }
    if receipts.is_empty() {
        notes.push("nothing to issue".into());
    }
    if let (Some(lock), false) = (&locked.lock, rows.is_empty()) {
        crate::write_path::write::replace_or_create(
            lock,
            register.path(),
            &locked.target,
            &register.text_with(&rows),
        )
        .map_err(ChangeError::Write)?;
    }
    Ok(Issued {
        receipts,
        notes,
        recorded: !dry_run,
    })
}

/// Each gift with the Japanese name of its fund (the 使途 column).
fn with_fund_names(settings: &Settings, gifts: Vec<Gift>) -> Vec<(Gift, String)> {
    gifts
        .into_iter()
        .map(|g| {
            let fund = words::fund(settings, &g.fund, Language::Ja);
            (g, fund)
        })
        .collect()
}

fn fiscal_bounds(settings: &Settings, year: i32) -> Result<(NaiveDate, NaiveDate), ChangeError> {
    let (begin, end) = settings
        .fiscal_year(year)
        .ok_or_else(|| usage(format!("fiscal year {year} is out of range")))?;
    Ok((begin, end.pred_opt().unwrap_or(end)))
}

/// A copy (再発行) of the issued receipt `number`, from the register and
/// the journal as they stand; records nothing.
///
/// # Errors
/// A usage error when no receipt has that number; [`ChangeError::Input`]
/// when a gift it covers is no longer in the journal
/// ([`Code::GiftNotReceiptable`]) or a register cannot be read.
pub fn reissue(
    settings: &Settings,
    journal: &Journal,
    number: &str,
    reissued: NaiveDate,
) -> Result<Receipt, ChangeError> {
    let issuer = Issuer::from_settings(settings).map_err(usage)?;
    let donors = DonorRegister::load(&settings.root).map_err(ChangeError::Input)?;
    let register = ReceiptRegister::load(&settings.journal).map_err(ChangeError::Input)?;
    let Some(row) = register.receipts().iter().find(|r| r.number == number) else {
        return Err(usage(format!(
            "no receipt {number} in {}",
            register.path().display()
        )));
    };
    let by_id: HashMap<String, Gift> = gifts(journal)
        .into_iter()
        .map(|g| (g.id.clone(), g))
        .collect();
    let mut chosen = Vec::new();
    let mut problems = Vec::new();
    for id in &row.gifts {
        match by_id.get(id) {
            Some(g) => chosen.push(g.clone()),
            None => problems.push(
                at_line(
                    Diagnostic::new(
                        Code::GiftNotReceiptable,
                        format!(
                            "receipt {number} covers gift {id}, which is no longer in the journal"
                        ),
                    ),
                    register.path(),
                    row.line,
                )
                .expected("the gift as it was when the receipt was issued"),
            ),
        }
    }
    let donor = match donors.get(&row.donor) {
        Some(d) => d.clone(),
        None => {
            problems.push(at_line(
                Diagnostic::new(
                    Code::DonorNotReceiptable,
                    format!(
                        "receipt {number} is addressed to donor {}, who is not in the donor register",
                        row.donor
                    ),
                ),
                register.path(),
                row.line,
            ));
            return Err(ChangeError::Input(problems));
        }
    };
    if !problems.is_empty() {
        return Err(ChangeError::Input(problems));
    }
    chosen.sort_by_key(|g| g.date);
    let (year_begin, year_end) = fiscal_bounds(settings, row.fiscal_year)?;
    Ok(Receipt {
        number: row.number.clone(),
        issued: row.issued,
        fiscal_year: row.fiscal_year,
        year_begin,
        year_end,
        kind: row.kind,
        donor,
        gifts: with_fund_names(settings, chosen),
        total: row.amount,
        currency: row.currency.clone(),
        printing: Printing::Copy { reissued },
        issuer,
    })
}

/// An amount as a receipt writes it: `￥30,000` for yen, else the amount
/// and its currency; digits grouped, no sign.
fn money_text(amount: Decimal, currency: &str) -> String {
    let digits = crate::render::text::grouped(amount);
    if currency == "JPY" {
        format!("￥{digits}")
    } else {
        format!("{digits} {currency}")
    }
}

/// The amount in the words-safe form of a receipt: `￥30,000円` (nothing
/// can be written before the ￥ or after the 円).
fn amount_safe(amount: Decimal, currency: &str) -> String {
    if currency == "JPY" {
        format!("{}円", money_text(amount, currency))
    } else {
        money_text(amount, currency)
    }
}

fn date_ja(day: NaiveDate) -> String {
    words::date(day, Language::Ja)
}

/// The lines every rendering shows, in order: (label, value).
struct Parts {
    mark: Option<(&'static str, String)>,
    address_lines: Vec<String>,
    what: String,
    certification: Vec<(String, String)>,
    eligible: Option<String>,
    outside_validity: bool,
}

fn parts(receipt: &Receipt) -> Parts {
    let mark = match receipt.printing {
        Printing::Original => None,
        Printing::Copy { reissued } => Some((
            "再発行",
            format!(
                "再発行 / COPY — 原本 第{}号（{}発行）の写し、{}再発行",
                receipt.number,
                date_ja(receipt.issued),
                date_ja(reissued)
            ),
        )),
        Printing::Specimen => Some((
            "見本",
            "見本 / SPECIMEN — dry run: not issued, not recorded, not valid".to_string(),
        )),
    };
    let what = match receipt.kind {
        ReceiptKind::Year => format!(
            "{}（{}から{}まで）に",
            words::fiscal_year(receipt.fiscal_year, Language::Ja),
            date_ja(receipt.year_begin),
            date_ja(receipt.year_end)
        ),
        ReceiptKind::Gift => String::new(),
    };
    let mut certification = Vec::new();
    let mut eligible = None;
    let mut outside_validity = false;
    if let Some(c) = &receipt.issuer.certification {
        certification.push((
            "法人の区分".into(),
            "認定特定非営利活動法人（認定NPO法人）".into(),
        ));
        certification.push(("所轄庁".into(), c.certified_by.clone()));
        certification.push(("認定日".into(), date_ja(c.certified_on)));
        certification.push((
            "認定の有効期間".into(),
            format!(
                "{}から{}まで",
                date_ja(c.valid_from),
                date_ja(c.valid_until)
            ),
        ));
        outside_validity = receipt
            .gifts
            .iter()
            .any(|(g, _)| g.date < c.valid_from || g.date > c.valid_until);
        eligible = Some(c.statement.clone());
    }
    Parts {
        mark,
        address_lines: receipt
            .donor
            .address
            .as_deref()
            .unwrap_or("")
            .split('\n')
            .map(str::to_string)
            .collect(),
        what,
        certification,
        eligible,
        outside_validity,
    }
}

fn outside(receipt: &Receipt, gift: &Gift) -> bool {
    receipt
        .issuer
        .certification
        .as_ref()
        .is_some_and(|c| gift.date < c.valid_from || gift.date > c.valid_until)
}

const OUTSIDE_NOTE: &str =
    "※印の寄附金は認定の有効期間外に受領したもので、寄附金控除の対象となりません。";

/// The receipts as Markdown, one after another, separated by rules.
pub fn markdown(receipts: &[Receipt]) -> String {
    let mut out = String::new();
    for (i, receipt) in receipts.iter().enumerate() {
        if i > 0 {
            out.push_str("\n---\n\n");
        }
        let p = parts(receipt);
        let _ = writeln!(out, "# 寄附金受領証明書\n");
        if let Some((_, text)) = &p.mark {
            let _ = writeln!(out, "**{text}**\n");
        }
        let _ = writeln!(out, "第{}号  ", receipt.number);
        let _ = writeln!(out, "発行日：{}\n", date_ja(receipt.issued));
        for line in &p.address_lines {
            let _ = writeln!(out, "{line}  ");
        }
        let _ = writeln!(out, "**{} 様**\n", receipt.donor.name);
        let _ = writeln!(
            out,
            "金額：**{}**\n",
            amount_safe(receipt.total, &receipt.currency)
        );
        let _ = writeln!(
            out,
            "{}寄附金として上記の金額を受領したことを証明します。\n",
            p.what
        );
        let _ = writeln!(out, "| 受領日 | 金額 | 寄附の使途 |\n|---|---:|---|");
        for (gift, fund) in &receipt.gifts {
            let star = if outside(receipt, gift) { "※" } else { "" };
            let _ = writeln!(
                out,
                "| {star}{} | {} | {} |",
                date_ja(gift.date),
                money_text(gift.amount, &gift.commodity),
                fund
            );
        }
        let _ = writeln!(
            out,
            "| 合計 | {} | |\n",
            money_text(receipt.total, &receipt.currency)
        );
        if let Some(statement) = &p.eligible {
            let _ = writeln!(out, "{statement}\n");
            if p.outside_validity {
                let _ = writeln!(out, "{OUTSIDE_NOTE}\n");
            }
        }
        let issuer = &receipt.issuer;
        let _ = writeln!(out, "**{}**  ", issuer.name);
        let _ = writeln!(out, "所在地：{}  ", issuer.address);
        let _ = writeln!(out, "代表者：{}  ", issuer.representative);
        if let Some(tel) = &issuer.telephone {
            let _ = writeln!(out, "電話：{tel}  ");
        }
        for (label, value) in &p.certification {
            let _ = writeln!(out, "{label}：{value}  ");
        }
        out.push('\n');
    }
    out
}

const RECEIPT_STYLE: &str = r#"
@page { size: A4; margin: 16mm 16mm 14mm; }
* { box-sizing: border-box; }
html { color: #1d2733; font-family: FONTS; font-size: 10pt; line-height: 1.5; }
body { margin: 0; }
.receipt { break-after: page; page-break-after: always; }
.receipt:last-child { break-after: auto; page-break-after: auto; }
.top { display: flex; justify-content: space-between; align-items: flex-start; min-height: 10mm; }
.number { text-align: right; line-height: 1.6; }
.mark { display: inline-block; border: 2px solid #b03a2e; color: #b03a2e; padding: 0.5mm 3mm; font-weight: bold; margin-right: 2mm; }
h1 { text-align: center; font-size: 20pt; letter-spacing: 0.35em; margin: 4mm 0 7mm; font-weight: bold; }
.parties { display: flex; justify-content: space-between; align-items: flex-start; gap: 8mm; margin: 0 0 7mm; }
.donor { flex: 1; padding-top: 2mm; }
.donor .name { font-size: 15pt; border-bottom: 1px solid #1d2733; padding: 0 2mm 1mm 0; margin-top: 1mm; }
.issuer { width: 100mm; font-size: 9pt; line-height: 1.45; }
.issuer .head { display: flex; align-items: center; gap: 3mm; margin-bottom: 1mm; }
.issuer .org { flex: 1; font-size: 11pt; font-weight: bold; }
.issuer dl { display: grid; grid-template-columns: auto 1fr; gap: 0 2.5mm; margin: 0; }
.issuer dt { color: #5b6773; white-space: nowrap; }
.issuer dd { margin: 0; }
.seal { flex: none; width: 15mm; height: 15mm; border: 1px dashed #9aa5b1; color: #5b6773; display: flex; align-items: center; justify-content: center; }
.amount { margin: 0 auto 4mm; width: 120mm; border: 1.5px solid #1d2733; display: flex; align-items: stretch; }
.amount .label { padding: 0 5mm; border-right: 1px solid #1d2733; font-size: 11pt; display: flex; align-items: center; }
.amount .value { flex: 1; text-align: center; font-size: 19pt; font-weight: bold; letter-spacing: 0.04em; padding: 2mm 4mm; font-variant-numeric: tabular-nums; }
.statement { margin: 0 0 4mm; }
table { border-collapse: collapse; width: 100%; margin: 0 0 4mm; font-size: 9.5pt; line-height: 1.35; }
th, td { border: 1px solid #9aa5b1; padding: 0.9mm 2.5mm; }
th { background: #eef1f4; font-weight: bold; text-align: center; }
th.date { width: 32%; } th.money { width: 24%; }
td.money { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.date { white-space: nowrap; }
tr { break-inside: avoid; }
tr.total td { font-weight: bold; border-top: 1.5px solid #1d2733; }
.deduction { border: 1px solid #9aa5b1; background: #f7f8fa; padding: 2mm 3.5mm; font-size: 9pt; break-inside: avoid; }
@media screen { body { background: #e5e8eb; } .receipt { background: #fff; width: 210mm; min-height: 297mm; margin: 8mm auto; padding: 16mm; box-shadow: 0 1px 4px rgba(0,0,0,.2); } }
"#;

/// The receipts as one self-contained HTML page, each receipt on its own
/// A4 page when printed.
pub fn html(receipts: &[Receipt]) -> String {
    use crate::render::html::escape;
    let mut body = String::new();
    for receipt in receipts {
        let p = parts(receipt);
        body.push_str("<section class=\"receipt\">\n<div class=\"top\"><div>");
        if let Some((short, text)) = &p.mark {
            let _ = write!(
                body,
                "<span class=\"mark\" title=\"{}\">{}</span>",
                escape(text),
                escape(short)
            );
            let english = if *short == "再発行" {
                "COPY"
            } else {
                "SPECIMEN"
            };
            let _ = write!(body, " <span class=\"mark\">{english}</span>");
        }
        let _ = write!(
            body,
            "</div><div class=\"number\">第 {} 号<br>発行日 {}",
            escape(&receipt.number),
            escape(&date_ja(receipt.issued))
        );
        if let Printing::Copy { reissued } = receipt.printing {
            let _ = write!(body, "<br>再発行日 {}", escape(&date_ja(reissued)));
        }
        body.push_str(
            "</div></div>\n<h1>寄附金受領証明書</h1>\n<div class=\"parties\"><div class=\"donor\">",
        );
        for line in &p.address_lines {
            let _ = write!(body, "<div class=\"address\">{}</div>", escape(line));
        }
        let _ = writeln!(
            body,
            "<div class=\"name\">{}　様</div></div>",
            escape(&receipt.donor.name)
        );
        let issuer = &receipt.issuer;
        let _ = write!(
            body,
            "<div class=\"issuer\"><div class=\"head\"><div class=\"org\">{}</div><div class=\"seal\">印</div></div><dl>",
            escape(&issuer.name)
        );
        let mut rows = vec![
            ("所在地".to_string(), issuer.address.clone()),
            ("代表者".to_string(), issuer.representative.clone()),
        ];
        if let Some(tel) = &issuer.telephone {
            rows.push(("電話".into(), tel.clone()));
        }
        rows.extend(p.certification.iter().cloned());
        for (label, value) in rows {
            let _ = write!(
                body,
                "<dt>{}</dt><dd>{}</dd>",
                escape(&label),
                escape(&value)
            );
        }
        body.push_str("</dl></div></div>\n");
        let _ = writeln!(
            body,
            "<div class=\"amount\"><span class=\"label\">金額</span><span class=\"value\">{}</span></div>",
            escape(&amount_safe(receipt.total, &receipt.currency))
        );
        let _ = writeln!(
            body,
            "<p class=\"statement\">{}寄附金として上記の金額を受領したことを証明します。</p>",
            escape(&p.what)
        );
        body.push_str(
            "<table><thead><tr><th class=\"date\">受領日</th><th class=\"money\">金額</th><th>寄附の使途</th></tr></thead><tbody>\n",
        );
        for (gift, fund) in &receipt.gifts {
            let star = if outside(receipt, gift) { "※" } else { "" };
            let _ = writeln!(
                body,
                "<tr><td class=\"date\">{star}{}</td><td class=\"money\">{}</td><td>{}</td></tr>",
                escape(&date_ja(gift.date)),
                escape(&money_text(gift.amount, &gift.commodity)),
                escape(fund)
            );
        }
        let _ = writeln!(
            body,
            "<tr class=\"total\"><td>合計</td><td class=\"money\">{}</td><td></td></tr></tbody></table>",
            escape(&money_text(receipt.total, &receipt.currency))
        );
        if let Some(statement) = &p.eligible {
            let _ = write!(body, "<div class=\"deduction\">{}", escape(statement));
            if p.outside_validity {
                let _ = write!(body, "<br>{}", escape(OUTSIDE_NOTE));
            }
            body.push_str("</div>\n");
        }
        body.push_str("</section>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n<title>寄附金受領証明書</title>\n<style>{}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        RECEIPT_STYLE.replace("FONTS", crate::render::html::FONTS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register(text: &str) -> Result<ReceiptRegister, Vec<Diagnostic>> {
        ReceiptRegister::parse(Path::new("receipts.csv"), text)
    }

    const HEADER: &str = "number,issued,donor,fiscal_year,kind,gifts,amount,currency\n";

    #[test]
    fn the_register_reads_back_what_it_writes_and_numbers_per_year() {
        let empty = register("").unwrap();
        assert_eq!(empty.next_number(2000, &[]), "2000-0001");
        let row = IssuedReceipt {
            number: "2000-0001".into(),
            issued: NaiveDate::from_ymd_opt(2001, 4, 10).unwrap(),
            donor: "D001".into(),
            fiscal_year: 2000,
            kind: ReceiptKind::Year,
            gifts: vec![
                "import:donations:ab%20c:1".into(),
                "2000-05-01:00ff:1".into(),
            ],
            amount: Decimal::from(30000),
            currency: "JPY".into(),
            line: 0,
        };
        let text = empty.text_with(std::slice::from_ref(&row));
        let read = register(&text).unwrap();
        assert_eq!(read.receipts().len(), 1);
        assert_eq!(read.receipts()[0].gifts, row.gifts);
        assert_eq!(read.receipts()[0].line, 2);
        assert_eq!(
            read.covering("2000-05-01:00ff:1").unwrap().number,
            "2000-0001"
        );
        assert_eq!(read.next_number(2000, &[]), "2000-0002");
        assert_eq!(
            read.next_number(2000, &["2000-0002".to_string()]),
            "2000-0003"
        );
        assert_eq!(read.next_number(2001, &[]), "2001-0001");
    }

    #[test]
    fn a_bad_register_row_is_located() {
        let errors = register(&format!(
            "{HEADER}2000-0001,2001-04-10,D001,2000,year,g1,30000,JPY\n\
             2000-0002,10 April,D002,2000,year,g2,1000,JPY\n\
             2000-0003,2001-04-10,D003,2000,gift,g1,1000,JPY\n\
             2000-0001,2001-04-10,D004,2000,gift,g4,1000,JPY\n"
        ))
        .unwrap_err();
        let found: Vec<(u32, &str)> = errors
            .iter()
            .map(|d| (d.location.as_ref().unwrap().line, d.message.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (3, "column `issued`: \"10 April\" cannot be read"),
                (4, "gift g1 is covered by receipts 2000-0001 and 2000-0003"),
                (5, "receipt number 2000-0001 is used twice"),
            ]
        );
        assert!(errors.iter().all(|d| d.code == Code::ReceiptRegister));
        assert!(register("no,header\n").is_err());
    }

    fn journal(text: &str) -> Journal {
        let path = Path::new("gifts.ledger");
        let mut settings = Settings::for_bare_journal(path);
        settings.base_currency = Some("JPY".into());
        let loaded = crate::load::load_text(settings, path, text.to_string()).unwrap();
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded.journal
    }

    const GIFTS: &str = "\
2000-04-20 Dues
    ; donor: D001
    Assets:Bank  5000 JPY
    Income:Membership

2000-05-10 Gift and a sale
    ; donor: D001
    Assets:Bank  31000 JPY
    Income:Donations:General  -20000 JPY
    Income:Donations:General  -10000 JPY  ; donor: D002
    Income:Sales  -1000 JPY

2000-06-10 Refund of a gift
    ; donor: D001
    Income:Donations:General  500 JPY
    Assets:Bank

2000-07-10 Gift
    Assets:Bank  3000 JPY
    Income:Donations:General  -3000 JPY  ; donor: D003

2000-07-10 Gift
    Assets:Bank  3000 JPY
    Income:Donations:General  -3000 JPY  ; donor: D003
";

    #[test]
    fn gifts_are_credits_to_gift_accounts_with_their_donor() {
        let found = gifts(&journal(GIFTS));
        let summary: Vec<(String, Option<&str>, String)> = found
            .iter()
            .map(|g| (g.date.to_string(), g.donor.as_deref(), g.amount.to_string()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("2000-05-10".into(), Some("D001"), "20000".into()),
                // The posting's donor wins over the transaction's.
                ("2000-05-10".into(), Some("D002"), "10000".into()),
                ("2000-07-10".into(), Some("D003"), "3000".into()),
                ("2000-07-10".into(), Some("D003"), "3000".into()),
            ]
        );
        // Two gifts in one transaction are told apart by their place;
        // identical gifts by their occurrence.
        assert!(found[0].id.ends_with("#1") && found[1].id.ends_with("#2"));
        assert!(found[2].id.ends_with(":1") && found[3].id.ends_with(":2"));
        let ids: std::collections::HashSet<&str> = found.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids.len(), 4);
    }

    #[test]
    fn a_gifts_identity_survives_reconciliation_and_layout() {
        let before: Vec<String> = gifts(&journal(GIFTS)).into_iter().map(|g| g.id).collect();
        // Cleared marks, a comment, other spacing: the same gifts.
        let edited = GIFTS
            .replace("2000-07-10 Gift", "2000-07-10 * Gift  ; reconciled")
            .replace(
                "    Assets:Bank  3000 JPY",
                "    * Assets:Bank      3000 JPY",
            );
        let after: Vec<String> = gifts(&journal(&edited)).into_iter().map(|g| g.id).collect();
        assert_eq!(before, after);
        // A different amount is a different gift.
        let changed = GIFTS.replacen("-3000 JPY", "-3001 JPY", 1).replacen(
            "Assets:Bank  3000 JPY",
            "Assets:Bank  3001 JPY",
            1,
        );
        let other: Vec<String> = gifts(&journal(&changed))
            .into_iter()
            .map(|g| g.id)
            .collect();
        assert_ne!(before[2], other[2]);
    }

    #[test]
    fn gift_identities_escape_spaces() {
        assert_eq!(encode_id("a b%c"), "a%20b%25c");
    }

    #[test]
    fn the_amount_is_closed_on_both_sides() {
        assert_eq!(amount_safe(Decimal::from(1234567), "JPY"), "￥1,234,567円");
        assert_eq!(amount_safe(Decimal::new(1050, 2), "USD"), "10.50 USD");
    }
}
