//! Selecting postings: by date range, account prefix and fund.

use chrono::NaiveDate;

use crate::model::journal::{FundId, Journal, Origin, Posting, PostingKind, Status, Transaction};

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

/// The query terms of a command line, read but not yet resolved against a
/// journal. A bare word is an account prefix (whole components, any case);
/// `acct:` says so explicitly; `desc:`/`payee:` match a case-insensitive
/// part of the payee; `fund:` names a fund; `date:` is a period
/// expression; `not:` negates an account, description or fund term.
/// `tag:`, `amt:` and any other `word:` prefix are refused, so that no
/// prefix is ever read as part of an account name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terms {
    /// Account prefixes, any of which selects a posting.
    pub accounts: Vec<String>,
    /// Account prefixes that exclude a posting.
    pub not_accounts: Vec<String>,
    /// Parts of payees (lower case), any of which selects a transaction.
    pub descriptions: Vec<String>,
    /// Parts of payees (lower case) that exclude a transaction.
    pub not_descriptions: Vec<String>,
    /// Fund names, any of which selects a posting.
    pub funds: Vec<String>,
    /// Fund names that exclude a posting.
    pub not_funds: Vec<String>,
    /// A `date:` period expression.
    pub date: Option<String>,
}

/// Reads query terms.
///
/// # Errors
/// A message naming the term and what is accepted, for `tag:`, `amt:`, an
/// unknown prefix, an empty term or a second `date:`.
pub fn terms(words: &[String]) -> Result<Terms, String> {
    let mut out = Terms::default();
    for word in words {
        let (negated, term) = match word.strip_prefix("not:") {
            Some(rest) => (true, rest),
            None => (false, word.as_str()),
        };
        let (prefix, value) = match term.split_once(':') {
            Some((p, v))
                if [
                    "acct", "desc", "payee", "fund", "date", "tag", "amt", "status", "cur",
                    "depth", "real", "code", "note",
                ]
                .contains(&p.to_ascii_lowercase().as_str()) =>
            {
                (Some(p.to_ascii_lowercase()), v)
            }
            _ => (None, term),
        };
        if value.is_empty() {
            return Err(format!("the query term {word:?} is empty after its prefix"));
        }
        let (yes, no) = match prefix.as_deref() {
            None | Some("acct") => (&mut out.accounts, &mut out.not_accounts),
            Some("desc") | Some("payee") => (&mut out.descriptions, &mut out.not_descriptions),
            Some("fund") => (&mut out.funds, &mut out.not_funds),
            Some("date") if !negated => {
                if out.date.replace(value.to_string()).is_some() {
                    return Err("only one date: term is allowed".into());
                }
                continue;
            }
            Some(other) => {
                let hint = match other {
                    "tag" if value.starts_with("fund=") => {
                        " (for a fund, use --fund NAME or fund:NAME)"
                    }
                    "status" => " (use --cleared, --pending or --unmarked)",
                    "real" => " (use --real)",
                    "depth" => " (use --depth N)",
                    _ => "",
                };
                return Err(format!(
                    "the query term {word:?} is not supported{hint}; the terms are ACCOUNT (a prefix), acct:, desc:, payee:, fund:, date: and not: before acct:, desc:, payee: or fund:"
                ));
            }
        };
        let value = if matches!(prefix.as_deref(), Some("desc") | Some("payee")) {
            value.to_lowercase()
        } else {
            value.to_string()
        };
        if negated {
            no.push(value)
        } else {
            yes.push(value)
        }
    }
    Ok(out)
}

/// Which postings a report looks at. Build one from [`Filter::default`]
/// (everything) with the `with_*` methods; fields may be added, so it
/// cannot be written as a struct literal outside this crate.
///
/// ```
/// use fundledger_core::query::Filter;
/// use chrono::NaiveDate;
///
/// let fy2000 = Filter::default()
///     .between(NaiveDate::from_ymd_opt(2000, 4, 1), NaiveDate::from_ymd_opt(2001, 4, 1))
///     .with_accounts(vec!["Expenses:FoodAid".into()])
///     .real_only(true);
/// assert_eq!(fy2000.accounts, ["Expenses:FoodAid"]);
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Filter {
    /// First date included.
    pub begin: Option<NaiveDate>,
    /// First date excluded.
    pub end: Option<NaiveDate>,
    /// Account prefixes; empty means every account.
    pub accounts: Vec<String>,
    /// Account prefixes left out.
    pub not_accounts: Vec<String>,
    /// Parts of payees (lower case); empty means every payee.
    pub descriptions: Vec<String>,
    /// Parts of payees (lower case) left out.
    pub not_descriptions: Vec<String>,
    /// Only these funds; empty means every fund.
    pub funds: Vec<FundId>,
    /// Funds left out.
    pub not_funds: Vec<FundId>,
    /// Only these statuses (a posting's own mark, else its transaction's);
    /// empty means every status.
    pub statuses: Vec<Status>,
    /// Leave out virtual postings.
    pub real_only: bool,
    /// Leave out the postings fundledger generates (interfund, conversion).
    pub no_generated: bool,
}

impl Filter {
    /// Only transactions dated from `begin` (included) to `end` (excluded);
    /// `None` leaves that end open.
    pub fn between(mut self, begin: Option<NaiveDate>, end: Option<NaiveDate>) -> Filter {
        self.begin = begin;
        self.end = end;
        self
    }

    /// Only these account prefixes (by whole component, any case).
    pub fn with_accounts(mut self, prefixes: Vec<String>) -> Filter {
        self.accounts = prefixes;
        self
    }

    /// Leave out these account prefixes.
    pub fn without_accounts(mut self, prefixes: Vec<String>) -> Filter {
        self.not_accounts = prefixes;
        self
    }

    /// Only transactions whose payee contains one of these (lower case).
    pub fn with_payees(mut self, parts: Vec<String>) -> Filter {
        self.descriptions = parts;
        self
    }

    /// Leave out transactions whose payee contains one of these (lower case).
    pub fn without_payees(mut self, parts: Vec<String>) -> Filter {
        self.not_descriptions = parts;
        self
    }

    /// Only these funds.
    pub fn with_funds(mut self, funds: Vec<FundId>) -> Filter {
        self.funds = funds;
        self
    }

    /// Leave out these funds.
    pub fn without_funds(mut self, funds: Vec<FundId>) -> Filter {
        self.not_funds = funds;
        self
    }

    /// Only postings with one of these statuses.
    pub fn with_statuses(mut self, statuses: Vec<Status>) -> Filter {
        self.statuses = statuses;
        self
    }

    /// Leave out virtual postings.
    pub fn real_only(mut self, real_only: bool) -> Filter {
        self.real_only = real_only;
        self
    }

    /// Leave out the postings fundledger generates (interfund, conversion).
    pub fn no_generated(mut self, no_generated: bool) -> Filter {
        self.no_generated = no_generated;
        self
    }

    /// True when the transaction's date is in range and its payee passes.
    pub fn date_matches(&self, transaction: &Transaction) -> bool {
        self.begin.is_none_or(|b| transaction.date >= b)
            && self.end.is_none_or(|e| transaction.date < e)
    }

    fn transaction_matches(&self, journal: &Journal, transaction: &Transaction) -> bool {
        if !self.date_matches(transaction) {
            return false;
        }
        if self.descriptions.is_empty() && self.not_descriptions.is_empty() {
            return true;
        }
        let payee = journal.payee(transaction).to_lowercase();
        (self.descriptions.is_empty()
            || self.descriptions.iter().any(|d| payee.contains(d.as_str())))
            && !self
                .not_descriptions
                .iter()
                .any(|d| payee.contains(d.as_str()))
    }

    /// True when the posting passes the account, fund and kind filters.
    pub fn posting_matches(&self, journal: &Journal, posting: &Posting) -> bool {
        if self.real_only && posting.kind != PostingKind::Real {
            return false;
        }
        if self.no_generated && matches!(posting.origin, Origin::Interfund | Origin::Conversion) {
            return false;
        }
        if !self.funds.is_empty() && !self.funds.contains(&posting.fund) {
            return false;
        }
        if self.not_funds.contains(&posting.fund) {
            return false;
        }
        if self.accounts.is_empty() && self.not_accounts.is_empty() {
            return true;
        }
        let name = journal.account_name(posting.account);
        (self.accounts.is_empty()
            || self
                .accounts
                .iter()
                .any(|prefix| account_matches(name, prefix)))
            && !self
                .not_accounts
                .iter()
                .any(|prefix| account_matches(name, prefix))
    }

    fn status_matches(&self, transaction: &Transaction, posting: &Posting) -> bool {
        if self.statuses.is_empty() {
            return true;
        }
        let status = if posting.status == Status::Unmarked {
            transaction.status
        } else {
            posting.status
        };
        self.statuses.contains(&status)
    }

    /// Whether the filter selects this posting of this transaction (what
    /// [`Filter::select`] tests for each).
    pub fn selects(&self, journal: &Journal, transaction: &Transaction, posting: &Posting) -> bool {
        self.transaction_matches(journal, transaction)
            && self.status_matches(transaction, posting)
            && self.posting_matches(journal, posting)
    }

    /// Whether an account name passes the account terms.
    pub fn accounts_match(&self, name: &str) -> bool {
        (self.accounts.is_empty() || self.accounts.iter().any(|p| account_matches(name, p)))
            && !self.not_accounts.iter().any(|p| account_matches(name, p))
    }

    /// Every (transaction, posting) the filter selects, in journal order.
    pub fn select<'j>(
        &'j self,
        journal: &'j Journal,
    ) -> impl Iterator<Item = (&'j Transaction, &'j Posting)> + 'j {
        self.select_indexed(journal).map(|(t, _, p)| (t, p))
    }

    /// As [`Filter::select`], with each posting's index in
    /// [`Journal::all_postings`] (to find its value).
    pub fn select_indexed<'j>(
        &'j self,
        journal: &'j Journal,
    ) -> impl Iterator<Item = (&'j Transaction, usize, &'j Posting)> + 'j {
        journal
            .transactions()
            .iter()
            .filter(move |t| self.transaction_matches(journal, t))
            .flat_map(move |t| {
                let start = t.posting_range().start;
                journal
                    .postings(t)
                    .iter()
                    .enumerate()
                    .map(move |(offset, p)| (t, start + offset, p))
            })
            .filter(move |(t, _, p)| self.status_matches(t, p) && self.posting_matches(journal, p))
    }

    /// What in the filter matches nothing in the whole journal (any date):
    /// each account prefix no account has, each payee part no payee has,
    /// as sentences for a warning. A filter that selects nothing is never
    /// a silent zero.
    pub fn unmatched(&self, journal: &Journal) -> Vec<String> {
        let mut out = Vec::new();
        for prefix in self.accounts.iter().chain(&self.not_accounts) {
            let known = journal
                .account_ids()
                .any(|a| account_matches(journal.account_name(a), prefix));
            if !known {
                out.push(format!(
                    "no account is {prefix:?} or below it (account arguments are prefixes by whole component, any case: \"assets:bank\" matches Assets:Bank:Postal, not Assets:Banking)"
                ));
            }
        }
        for part in self.descriptions.iter().chain(&self.not_descriptions) {
            let known = journal
                .transactions()
                .iter()
                .any(|t| journal.payee(t).to_lowercase().contains(part.as_str()));
            if !known {
                out.push(format!("no payee contains {part:?}"));
            }
        }
        out
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

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn query_terms_are_read_or_refused() {
        let t = terms(&words(&[
            "Assets",
            "acct:Expenses",
            "not:acct:Expenses:Fees",
            "desc:Rice",
            "not:payee:bank",
            "fund:FoodAid",
            "date:2000q2",
        ]))
        .unwrap();
        assert_eq!(t.accounts, words(&["Assets", "Expenses"]));
        assert_eq!(t.not_accounts, words(&["Expenses:Fees"]));
        assert_eq!(t.descriptions, words(&["rice"]));
        assert_eq!(t.not_descriptions, words(&["bank"]));
        assert_eq!(t.funds, words(&["FoodAid"]));
        assert_eq!(t.date.as_deref(), Some("2000q2"));
        for refused in [
            "tag:fund=FoodAid",
            "amt:>100",
            "status:*",
            "acct:",
            "date:2000 date:2001",
        ] {
            let list: Vec<String> = refused.split(' ').map(String::from).collect();
            assert!(terms(&list).is_err(), "{refused}");
        }
        assert!(terms(&words(&["tag:fund=FoodAid"]))
            .unwrap_err()
            .contains("--fund"));
        // An account name with a colon is an account, not a prefix.
        assert_eq!(
            terms(&words(&["Assets:Bank"])).unwrap().accounts,
            words(&["Assets:Bank"])
        );
    }
}
