//! Selecting postings: by date range, account prefix and fund.

use chrono::NaiveDate;

use crate::journal::{FundId, Journal, Posting, PostingKind, Transaction};

/// True when `account` is `prefix` or below it, compared component by
/// component and ignoring ASCII case (`assets:bank` matches
/// `Assets:Bank:Postal`, not `Assets:Banking`).
pub fn account_matches(account: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches(':');
    if prefix.is_empty() {
        return true;
    }
    if account.len() < prefix.len() || !account.is_char_boundary(prefix.len()) {
        return false;
    }
    let (head, tail) = account.split_at(prefix.len());
    head.eq_ignore_ascii_case(prefix) && (tail.is_empty() || tail.starts_with(':'))
}

/// Which postings a report looks at.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// First date included.
    pub begin: Option<NaiveDate>,
    /// First date excluded.
    pub end: Option<NaiveDate>,
    /// Account prefixes; empty means every account.
    pub accounts: Vec<String>,
    /// Only this fund.
    pub fund: Option<FundId>,
    /// Leave out virtual postings.
    pub real_only: bool,
}

impl Filter {
    /// True when the transaction's date is in range.
    pub fn date_matches(&self, transaction: &Transaction) -> bool {
        self.begin.is_none_or(|b| transaction.date >= b)
            && self.end.is_none_or(|e| transaction.date < e)
    }

    /// True when the posting passes the account, fund and kind filters.
    pub fn posting_matches(&self, journal: &Journal, posting: &Posting) -> bool {
        if self.real_only && posting.kind != PostingKind::Real {
            return false;
        }
        if self.fund.is_some_and(|f| f != posting.fund) {
            return false;
        }
        self.accounts.is_empty() || {
            let name = journal.account_name(posting.account);
            self.accounts
                .iter()
                .any(|prefix| account_matches(name, prefix))
        }
    }

    /// Every (transaction, posting) the filter selects, in journal order.
    pub fn select<'j>(
        &'j self,
        journal: &'j Journal,
    ) -> impl Iterator<Item = (&'j Transaction, &'j Posting)> + 'j {
        journal
            .transactions()
            .iter()
            .filter(move |t| self.date_matches(t))
            .flat_map(move |t| journal.postings(t).iter().map(move |p| (t, p)))
            .filter(move |(_, p)| self.posting_matches(journal, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_whole_components() {
        assert!(account_matches("Assets:Bank:Postal", "Assets:Bank"));
        assert!(account_matches("Assets:Bank:Postal", "assets:bank"));
        assert!(account_matches("Assets:Bank", "Assets:Bank"));
        assert!(!account_matches("Assets:Banking", "Assets:Bank"));
        assert!(account_matches("Assets", ""));
        assert!(
            !account_matches("収入", "収"),
            "no match inside a character"
        );
        assert!(account_matches("収入:寄付", "収入"));
    }
}
