//! The account list.

use serde::Serialize;

use super::ReportError;
use crate::model::journal::Journal;

/// One account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountRow {
    /// The full name.
    pub account: String,
    /// Its class (`assets`, `expenses`...), when its root has one.
    pub class: Option<&'static str>,
    /// How many postings it has.
    pub postings: usize,
    /// True when declared (settings `accounts` or an `account` directive).
    pub declared: bool,
}

/// The account list report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountsReport {
    /// Accounts sorted by name.
    pub rows: Vec<AccountRow>,
}

/// Lists every account that is used or declared.
///
/// # Errors
/// [`ReportError`] on an invariant violation.
pub fn accounts(journal: &Journal) -> Result<AccountsReport, ReportError> {
    journal.verify_invariants()?;
    let mut counts = vec![0usize; journal.account_ids().count()];
    for p in journal.all_postings() {
        counts[p.account.index()] += 1;
    }
    let declared_in_settings = journal.settings().declared_accounts.as_ref();
    let mut rows: Vec<AccountRow> = journal
        .account_ids()
        .map(|id| {
            let name = journal.account_name(id);
            AccountRow {
                account: name.to_string(),
                class: journal.account_class(id).map(|c| c.as_str()),
                postings: counts[id.index()],
                declared: journal.account_directives().contains(&id)
                    || declared_in_settings.is_some_and(|d| d.contains(name)),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.account.split(':').cmp(b.account.split(':')));
    Ok(AccountsReport { rows })
}
