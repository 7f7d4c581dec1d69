//! The annual report: every statement and note of a fiscal year, the
//! previous year's key figures beside this year's, and the series the
//! charts are drawn from. Plain data; `crate::render::html` and
//! `crate::render::text` lay it out.

use chrono::NaiveDate;
use serde::Serialize;

use super::board;
use super::financial::{self, Standard};
use super::statement::{Cell, Language, RowKind, Statement};
use super::valued::{months, Valued};
use super::words::{self, pick};
use super::ReportError;
use crate::model::money::Decimal;
use crate::model::settings::AccountClass;

/// Where one restricted fund's money went in the year.
#[derive(Clone, Debug, Serialize)]
pub struct RestrictedUse {
    /// The fund's name in the report's language.
    pub fund: String,
    /// Held at the start of the year.
    pub opening: Decimal,
    /// Received in the year (income and transfers in).
    pub received: Decimal,
    /// Spent in the year (expenses and exchange losses).
    pub spent: Decimal,
    /// Held at the end of the year.
    pub closing: Decimal,
}

/// One fund's net assets at the start and the end of the year.
#[derive(Clone, Debug, Serialize)]
pub struct FundChange {
    /// The fund's name in the report's language.
    pub fund: String,
    /// Net assets at the start of the year.
    pub opening: Decimal,
    /// Net assets at the end of the year.
    pub closing: Decimal,
}

/// Month-end figures through the year.
#[derive(Clone, Debug, Serialize)]
pub struct FundSeries {
    /// The month labels (`Apr`, `4月`).
    pub months: Vec<String>,
    /// (fund name, net assets at the end of each month).
    pub funds: Vec<(String, Vec<Decimal>)>,
    /// Member loans outstanding at the end of each month.
    pub loans: Vec<Decimal>,
    /// Net assets of the unrestricted and board-designated funds at the end
    /// of each month.
    pub unrestricted: Vec<Decimal>,
}

/// Which journal and which program produced a report, and whether its year
/// is closed.
#[derive(Clone, Debug, Serialize)]
pub struct Provenance {
    /// fundledger's version.
    pub version: String,
    /// SHA-256 of the journal files' bytes, in load order (hex).
    pub digest: String,
    /// Whether the year has been closed (a transaction tagged `close:` with
    /// the year); an open year's report is a draft.
    pub closed: bool,
}

/// The whole annual report.
#[derive(Clone, Debug, Serialize)]
pub struct AnnualReport {
    /// The language of its words.
    pub language: Language,
    /// The organisation, in the report's language.
    pub organisation: String,
    /// The fiscal year (`FY2000`, `2000年度`).
    pub year: String,
    /// `FY2000 (2000-04-01 to 2001-03-31)`.
    pub period: String,
    /// Version, journal digest and whether the year is closed.
    pub provenance: Provenance,
    /// The base currency.
    pub currency: String,
    /// Key figures: this year and, when the ledger has it, last year.
    pub summary: Statement,
    /// The statements.
    pub statements: Vec<Statement>,
    /// The notes.
    pub notes: Vec<Statement>,
    /// Where each restricted fund's money went, for the chart.
    pub restricted: Vec<RestrictedUse>,
    /// Each fund's net assets at the start and the end of the year, for
    /// the chart.
    pub fund_changes: Vec<FundChange>,
    /// Fund balances, loans and unrestricted net assets through the year,
    /// for the charts.
    pub fund_balances: FundSeries,
    /// Outstanding member loans per lender at the year end, for the chart.
    pub loans: Vec<(String, Decimal)>,
}

/// The sum of the figures a statement printed under keys starting with
/// `prefix`.
fn tie_sum(s: &Statement, prefix: &str) -> Result<Decimal, ReportError> {
    Ok(crate::model::money::checked_sum(
        s.ties
            .iter()
            .filter(|t| t.key.starts_with(prefix))
            .map(|t| t.value),
    )?)
}

/// Builds the annual report of the fiscal year `[begin, end)`.
///
/// # Errors
/// [`ReportError`] from any statement (a figure that cannot be valued or
/// does not tie).
pub fn annual(
    valued: &Valued<'_>,
    standard: Standard,
    year: i32,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<AnnualReport, ReportError> {
    let journal = valued.journal;
    // The provenance's digest reads the journal's files again: on a thread
    // of its own while the statements are built. A statement's error comes
    // first, as it would if the digest were taken after them.
    std::thread::scope(|scope| {
        let digest = scope.spawn(|| journal_digest(journal));
        let report = annual_statements(valued, standard, year, begin, end);
        let digest = digest.join();
        let mut report = report?;
        report.provenance.digest = match digest {
            Ok(Ok(digest)) => digest,
            Ok(Err(e)) => {
                return Err(ReportError::Request(format!(
                    "cannot read the journal again: {e}"
                )))
            }
            Err(_) => {
                return Err(ReportError::Request(
                    "cannot read the journal again: its digest failed".into(),
                ))
            }
        };
        Ok(report)
    })
}

/// [`annual`] with the journal's digest already taken: [`files_digest`] of
/// the journal's files (a program may take it while the journal loads, and
/// passes it only when the loaded journal's files are those it read).
///
/// # Errors
/// As [`annual`].
pub fn annual_digested(
    valued: &Valued<'_>,
    standard: Standard,
    year: i32,
    begin: NaiveDate,
    end: NaiveDate,
    digest: String,
) -> Result<AnnualReport, ReportError> {
    let mut report = annual_statements(valued, standard, year, begin, end)?;
    report.provenance.digest = digest;
    Ok(report)
}

/// [`annual`] but for the journal's digest (left empty).
fn annual_statements(
    valued: &Valued<'_>,
    standard: Standard,
    year: i32,
    begin: NaiveDate,
    end: NaiveDate,
) -> Result<AnnualReport, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    // The statements below cover this year, the year before and the one
    // before that (the comparatives of the year before's notes): one pass
    // over the postings sums all three.
    let boundaries: Vec<NaiveDate> = [24, 12]
        .into_iter()
        .filter_map(|months| begin.checked_sub_months(chrono::Months::new(months)))
        .chain([begin, end])
        .collect();
    valued.plan_periods(&boundaries);
    // This year's statements, and the year before's (which its notes
    // compare with) kept for the previous year's figures below.
    let before = financial::previous_year(valued, begin)
        .map(|b| financial::Built::new(valued, standard, b, begin).map(|built| (b, built)))
        .transpose()?;
    let current = financial::Built::new(valued, standard, begin, end)?;
    let filing_notes = current.notes(standard, before.as_ref().map(|(_, b)| &b.set))?;
    let financial::Built {
        classified: current,
        set,
    } = current;
    let (activities, position, functional, funds, outputs) = (
        set.activities,
        set.position,
        set.functional,
        set.funds,
        set.outputs,
    );
    let (inventory, cashflows) = (set.inventory, set.cashflows);
    let last_day = end.pred_opt().unwrap_or(end);
    let language = words::language_of(standard);
    let loans = board::loans(valued, last_day, begin, end, language)?;
    super::engine::reconcile(loans.iter().chain([&position]))?;
    let sales = board::sales(valued, begin, end, language)?;

    // Last year's figures, when the ledger has transactions then.
    let previous = settings.fiscal_year(year - 1);
    let has_previous = previous.is_some_and(|(b, e)| {
        journal
            .transactions()
            .iter()
            .any(|t| t.date >= b && t.date < e)
    });
    let previous_set = match (has_previous, previous, before) {
        // The year before this one's statements, built above: only its
        // notes are left to make.
        (true, Some((b, e)), Some((built_from, built))) if b == built_from && e == begin => {
            let earlier = match financial::previous_year(valued, b) {
                Some(earliest) => Some(financial::Built::new(valued, standard, earliest, b)?),
                None => None,
            };
            Some(built.with_notes(standard, earlier.map(|e| e.set).as_ref())?)
        }
        (true, Some((b, e)), _) => Some(financial::statements(valued, standard, b, e)?),
        _ => None,
    };
    let previous_activities = previous_set.as_ref().map(|p| p.activities.clone());
    // The key figures, read from what the statement of activities printed
    // (its ties), so they are the statement's own figures in any layout.
    let jp = standard == Standard::JpNpo;
    // Opening + revenue − expenses + exchange results = closing: the
    // year in figures adds up as the statement does, or is refused.
    let figures = |s: &Statement| -> Result<[Decimal; 6], ReportError> {
        use crate::model::money::{checked_add, checked_sub};
        let opening = tie_sum(s, "net-assets/opening/")?;
        let closing = tie_sum(s, "net-assets/closing/")?;
        let (revenue, expenses) = (tie_sum(s, "income/total/")?, tie_sum(s, "expenses/total")?);
        let exchange = tie_sum(s, "exchange/")?;
        let change = checked_sub(closing, opening)?;
        let added = checked_add(checked_sub(revenue, expenses)?, exchange)?;
        if added != change {
            return Err(ReportError::DoesNotTie(format!(
                "the year in figures: revenue {revenue} − expenses {expenses} + exchange results {exchange} = {added}, but net assets changed by {change}"
            )));
        }
        Ok([opening, revenue, expenses, exchange, change, closing])
    };
    let labels: [&str; 6] = if jp {
        [
            "前期繰越正味財産額",
            "収益の合計（一般・指定）",
            "費用の合計",
            "為替差損益（一般・指定）",
            "当期正味財産増減額",
            "次期繰越正味財産額",
        ]
    } else {
        [
            "Net assets, beginning of year",
            "Total revenue",
            "Total expenses",
            "Foreign exchange gains (losses)",
            "Change in net assets",
            "Net assets, end of year",
        ]
    };
    /// The row of exchange results, printed when there are any.
    const EXCHANGE: usize = 3;
    let mut columns = vec![words::fiscal_year(year, language)];
    if previous_activities.is_some() {
        columns.push(words::fiscal_year(year - 1, language));
    }
    let mut summary = Statement::new(
        "summary",
        if jp {
            "今年度の概要"
        } else {
            "The year in figures"
        },
        if jp {
            format!(
                "{}　{year}年度",
                super::words::organisation(settings, super::statement::Language::Ja)
            )
        } else {
            format!("{}, FY{year}", settings.organisation)
        },
        columns,
        &valued.base,
    );
    if jp {
        summary = summary.japanese();
    }
    let this_year = figures(&activities)?;
    let last_year = match &previous_activities {
        Some(p) => Some(figures(p)?),
        None => None,
    };
    for (k, label) in labels.iter().enumerate() {
        let mut values = vec![this_year[k]];
        if let Some(last) = &last_year {
            values.push(last[k]);
        }
        if k == EXCHANGE && values.iter().all(Decimal::is_zero) {
            continue;
        }
        let kind = if k == labels.len() - 1 {
            RowKind::Total
        } else {
            RowKind::Line
        };
        summary.amounts(*label, 1, kind, &values);
    }
    let loans_outstanding = loans[0]
        .rows
        .iter()
        .find(|r| r.kind == RowKind::Total)
        .and_then(|r| match r.cells.get(2) {
            Some(Cell::Amount(a)) => Some(*a),
            _ => None,
        })
        .unwrap_or_default();
    let mut loan_row = vec![Cell::Amount(loans_outstanding)];
    if previous_activities.is_some() {
        let previous_end = begin.pred_opt().unwrap_or(begin);
        let previous_loans = board::loans(
            valued,
            previous_end,
            previous.map(|p| p.0).unwrap_or(begin),
            begin,
            language,
        )?;
        let amount = previous_loans[0]
            .rows
            .iter()
            .find(|r| r.kind == RowKind::Total)
            .and_then(|r| r.cells.get(2).cloned())
            .unwrap_or(Cell::Empty);
        loan_row.push(amount);
    }
    summary.cells(
        if jp {
            "会員からの借入金（期末残高）"
        } else {
            "Loans from members outstanding at the year end"
        },
        1,
        RowKind::Line,
        loan_row,
    );

    let roll_forward = super::funds::funds_classified(&current, Some(begin), Some(end))?;
    let restricted = roll_forward
        .rows
        .iter()
        .filter(|r| r.restriction == crate::model::settings::Restriction::Restricted.as_str())
        .map(|r| {
            let opening = r.opening;
            let closing = r.closing;
            // Whatever left the fund in the year: expenses, exchange
            // losses and transfers out; what came in is the rest.
            let spent = crate::model::money::checked_sum([
                r.expenses,
                -r.exchange.min(Decimal::ZERO),
                -r.transfers.min(Decimal::ZERO),
            ])?;
            let received = crate::model::money::checked_sum([
                r.income,
                r.exchange.max(Decimal::ZERO),
                r.transfers.max(Decimal::ZERO),
            ])?;
            Ok(RestrictedUse {
                fund: words::fund(settings, &r.fund, language),
                opening,
                received,
                spent,
                closing,
            })
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    let fund_changes = roll_forward
        .rows
        .iter()
        .map(|r| FundChange {
            fund: words::fund(settings, &r.fund, language),
            opening: r.opening,
            closing: r.closing,
        })
        .collect();
    let fund_balances = fund_series(valued, begin, end, language)?;
    let loans_by_lender = loans[0]
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Line)
        .filter_map(|r| match r.cells.get(2) {
            Some(Cell::Amount(a)) => Some((r.label.clone(), *a)),
            _ => None,
        })
        .collect();
    let provenance = Provenance {
        version: env!("CARGO_PKG_VERSION").to_string(),
        digest: String::new(),
        closed: is_year_closed(journal, year),
    };
    // The notes the standard sets (under the NPO standard they hold the
    // programmes' expenses and the restricted funds), then the board's
    // reports.
    let mut notes = filing_notes;
    if standard == Standard::Asc958 {
        notes.push(funds);
    }
    notes.extend(loans);
    notes.push(sales);
    notes.extend(outputs);
    Ok(AnnualReport {
        language,
        organisation: words::organisation(settings, language),
        year: words::fiscal_year(year, language),
        period: match language {
            Language::En => format!("FY{year} ({begin} to {last_day})"),
            Language::Ja => format!(
                "{year}年度（{}から{}まで）",
                words::date(begin, language),
                words::date(last_day, language)
            ),
        },
        provenance,
        currency: valued.base.clone(),
        summary,
        statements: {
            // The previous year's totals beside this year's, when the ledger
            // has them.
            let (mut activities, mut position) = (activities, position);
            if let Some(previous) = &previous_set {
                let label = if standard == Standard::JpNpo {
                    format!("前年度（{}年度）", year - 1)
                } else {
                    format!("FY{} total", year - 1)
                };
                add_comparative(&mut activities, &previous.activities, &label);
                let previous_position = &previous.position;
                add_comparative(
                    &mut position,
                    previous_position,
                    &if standard == Standard::JpNpo {
                        format!("前年度末（{}年度）", year - 1)
                    } else {
                        format!("FY{} end", year - 1)
                    },
                );
            }
            let mut statements = vec![activities, position];
            if standard == Standard::JpNpo {
                statements.push(inventory);
            } else {
                statements.push(functional);
            }
            statements.push(cashflows);
            statements
        },
        notes,
        restricted,
        fund_changes,
        fund_balances,
        loans: loans_by_lender,
    })
}

/// A month on a chart's axis: `Apr`, `4月` (the year is in the caption).
fn month_label(month: NaiveDate, language: Language) -> String {
    use chrono::Datelike;
    match language {
        Language::En => month.format("%b").to_string(),
        Language::Ja => format!("{}月", month.month()),
    }
}

/// The SHA-256 digest of the journal: every file it was loaded from, in
/// load order, each file's bytes after its path's length and path
/// (relative to the ledger directory when inside it), as hex.
///
/// # Errors
/// When a file cannot be read again.
pub fn journal_digest(journal: &crate::Journal) -> std::io::Result<String> {
    files_digest(&journal.settings().root, journal.files())
}

/// The digest [`journal_digest`] gives for a journal loaded from `files`
/// (in load order) in the ledger directory `root`.
///
/// # Errors
/// When a file cannot be read.
pub fn files_digest(
    root: &std::path::Path,
    files: &[std::path::PathBuf],
) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for file in files {
        hash_file(&mut hasher, root, file)?;
    }
    Ok(crate::read::source::hex(&hasher.finalize()))
}

/// Adds what comes before a file's bytes in a [`files_digest`]: its name
/// in the ledger directory `root` (the name's length, then its bytes), then
/// its size in bytes. The one place that says how, for the digest a load
/// takes as it reads the journal too.
pub(crate) fn digest_file_head(
    hasher: &mut sha2::Sha256,
    root: &std::path::Path,
    file: &std::path::Path,
    size_bytes: u64,
) {
    use sha2::Digest;
    let name = file.strip_prefix(root).unwrap_or(file).to_string_lossy();
    hasher.update((name.len() as u64).to_le_bytes());
    hasher.update(name.as_bytes());
    hasher.update(size_bytes.to_le_bytes());
}

/// Adds a file's head ([`digest_file_head`]) and bytes to `hasher`, read a
/// block at a time, so the journal is not held in memory a second time. The
/// size is the file's when opened; should the file change size while it is
/// read, it is hashed again from one whole read, as the size and bytes of
/// what that read gave.
fn hash_file(
    hasher: &mut sha2::Sha256,
    root: &std::path::Path,
    file: &std::path::Path,
) -> std::io::Result<()> {
    use sha2::Digest;
    let mut opened = std::fs::File::open(file)?;
    let size = opened.metadata()?.len();
    let mut streamed = hasher.clone();
    digest_file_head(&mut streamed, root, file, size);
    let read = crate::read::source::for_each_piece(
        &mut opened,
        |e| e,
        |piece| {
            streamed.update(piece);
            Ok(())
        },
    )?;
    if read == size {
        *hasher = streamed;
        return Ok(());
    }
    let bytes = std::fs::read(file)?;
    digest_file_head(hasher, root, file, bytes.len() as u64);
    hasher.update(&bytes);
    Ok(())
}

/// Whether the fiscal year that starts in `year` has been closed: the
/// year-close records its closing entries as a transaction tagged
/// `close:` with the year (`close: 2000` or `close: FY2000`).
pub fn is_year_closed(journal: &crate::Journal, year: i32) -> bool {
    let wanted = year.to_string();
    journal.transactions().iter().any(|t| {
        journal
            .transaction_tags(t)
            .iter()
            .any(|tag| tag.name == "close" && tag.value.trim().trim_start_matches("FY") == wanted)
    })
}

/// Where each row of a statement stands: the labels of the headings above
/// it (each less indented than the row), then its own label. Rows with the
/// same words in different sections (地代家賃 under 事業費 and under 管理費)
/// have different paths.
fn row_paths(s: &Statement) -> Vec<Vec<String>> {
    let mut headings: Vec<(u8, &str)> = Vec::new();
    s.rows
        .iter()
        .map(|r| {
            headings.retain(|(level, _)| *level < r.level);
            let mut path: Vec<String> = headings.iter().map(|(_, l)| l.to_string()).collect();
            path.push(r.label.clone());
            if r.kind == RowKind::Heading {
                headings.push((r.level, &r.label));
            }
            path
        })
        .collect()
}

/// Adds a column with last year's figure of each row, the row found by its
/// path (section and label). A line last year had and this year lacks is
/// inserted at the end of its section, empty in this year's columns, so the
/// comparative column still adds up.
fn add_comparative(current: &mut Statement, previous: &Statement, header: &str) {
    let previous_paths = row_paths(previous);
    let earlier = |path: &[String]| {
        previous_paths
            .iter()
            .position(|p| p.as_slice() == path)
            .and_then(|k| previous.rows[k].cells.last().cloned())
    };
    let paths = row_paths(current);
    current.columns.push(header.to_string());
    for (row, path) in current.rows.iter_mut().zip(&paths) {
        let cell = match row.kind {
            RowKind::Heading => Cell::Empty,
            _ => earlier(path).unwrap_or(Cell::Empty),
        };
        row.cells.push(cell);
    }
    let width = current.columns.len();
    for (k, path) in previous_paths.iter().enumerate() {
        let row = &previous.rows[k];
        let paths = row_paths(current);
        if row.kind != RowKind::Line || paths.contains(path) {
            continue;
        }
        let section = &path[..path.len() - 1];
        // After the last row of the same section (or its heading).
        let Some(at) = paths.iter().rposition(|p| {
            p.len() >= path.len() && p[..section.len()] == *section || p.as_slice() == section
        }) else {
            // Its whole section is gone this year: say so under the table.
            if let Some(Cell::Amount(value)) = row.cells.last() {
                current.notes.push(format!(
                    "{header}: {} {}",
                    row.label,
                    crate::render::text::grouped(*value)
                ));
            }
            continue;
        };
        let mut cells = vec![Cell::Empty; width - 1];
        cells.push(row.cells.last().cloned().unwrap_or(Cell::Empty));
        current.rows.insert(
            at + 1,
            super::statement::Row {
                label: row.label.clone(),
                level: row.level,
                kind: RowKind::Line,
                cells,
            },
        );
    }
}

/// Net assets of every fund at the end of each month of the period.
fn fund_series(
    valued: &Valued<'_>,
    begin: NaiveDate,
    end: NaiveDate,
    language: Language,
) -> Result<FundSeries, ReportError> {
    let journal = valued.journal;
    let settings = journal.settings();
    let is_loan = super::engine::accounts_where(journal, |_, name| {
        super::engine::is_member_loan(settings, name)
    });
    let moves_net_assets = super::engine::accounts_where(journal, |id, _| {
        journal
            .account_class(id)
            .is_some_and(AccountClass::changes_net_assets)
    });
    let month_starts = months(begin, end);
    let mut month_ends: Vec<NaiveDate> = month_starts.iter().skip(1).copied().collect();
    month_ends.push(end);
    let funds: Vec<_> = journal.fund_ids().collect();
    // Each posting's change in the month it falls in (the first month for
    // those before the year), then each month's balance is the sum of the
    // changes up to it.
    // In parallel chunks of transactions, then added up.
    type Changes = (Vec<Vec<Decimal>>, Vec<Decimal>);
    let (mut balances, mut loans): Changes = valued.fold_before(
        end,
        || {
            (
                vec![vec![Decimal::ZERO; month_ends.len()]; funds.len()],
                vec![Decimal::ZERO; month_ends.len()],
            )
        },
        |(balances, loans): &mut Changes, t, real| {
            let month = month_ends.partition_point(|&e| e <= t.date);
            for (p, value) in real {
                if is_loan[p.account.index()] {
                    super::acc(&mut loans[month], -value)?;
                }
                if !moves_net_assets[p.account.index()] {
                    continue;
                }
                if let Some(series) = balances.get_mut(p.fund.index()) {
                    super::acc(&mut series[month], -value)?;
                }
            }
            Ok(())
        },
        |(mut balances, mut loans), (later_balances, later_loans)| {
            for (series, later) in balances
                .iter_mut()
                .chain([&mut loans])
                .zip(later_balances.iter().chain([&later_loans]))
            {
                for (month, change) in series.iter_mut().zip(later) {
                    super::acc(month, *change)?;
                }
            }
            Ok((balances, loans))
        },
    )?;
    for series in balances.iter_mut().chain([&mut loans]) {
        let mut running = Decimal::ZERO;
        for month in series.iter_mut() {
            super::acc(&mut running, *month)?;
            *month = running;
        }
    }
    let mut unrestricted = vec![Decimal::ZERO; month_ends.len()];
    for (f, series) in funds.iter().zip(&balances) {
        if journal.fund_restriction(*f).is_donor_restricted() {
            continue;
        }
        for (total, v) in unrestricted.iter_mut().zip(series) {
            super::acc(total, *v)?;
        }
    }
    Ok(FundSeries {
        months: month_starts
            .iter()
            .map(|m| month_label(*m, language))
            .collect(),
        funds: funds
            .iter()
            .zip(balances)
            .filter(|(_, series)| series.iter().any(|v| !v.is_zero()))
            .map(|(f, series)| {
                (
                    words::fund(settings, journal.fund_name(*f), language),
                    series,
                )
            })
            .collect(),
        loans,
        unrestricted,
    })
}

/// The annual report as Markdown.
pub fn markdown(report: &AnnualReport) -> String {
    let language = report.language;
    let mut out = match language {
        Language::En => format!(
            "# {} — annual report, {}\n\nAmounts in {}.\n\n",
            report.organisation, report.period, report.currency
        ),
        Language::Ja => format!(
            "# {}　年次報告書　{}\n\n{}\n\n",
            report.organisation,
            report.period,
            report.summary.unit_phrase()
        ),
    };
    out.push_str(&format!("## {}\n\n", pick(language, "Summary", "概要")));
    out.push_str(&crate::render::text::statement_markdown(&report.summary));
    out.push_str(&format!(
        "## {}\n\n",
        pick(language, "Financial statements", "財務諸表")
    ));
    for s in &report.statements {
        out.push_str(&crate::render::text::statement_markdown(s));
    }
    out.push_str(&format!("## {}\n\n", pick(language, "Notes", "注記")));
    for s in &report.notes {
        out.push_str(&crate::render::text::statement_markdown(s));
    }
    out
}
