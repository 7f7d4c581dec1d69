//! Property tests: random balanced journals always load, their real postings
//! sum to zero per commodity and per fund, and the library's balances equal a
//! naive recomputation from the generated postings.

use std::collections::BTreeMap;
use std::path::Path;

use fundledger_core::query::Filter;
use fundledger_core::reports::{self, BalanceOptions};
use fundledger_core::{load_text, Settings};
use proptest::prelude::*;
use rust_decimal::Decimal;

const ACCOUNTS: &[&str] = &[
    "Assets:Bank",
    "Assets:Cash:現金",
    "Expenses:Food",
    "Expenses:Rent",
    "Income:Gifts",
    "Liabilities:Loans",
];
const FUNDS: &[&str] = &["General", "FoodAid", "Shelters"];
const COMMODITIES: &[(&str, u32)] = &[("JPY", 0), ("CNY", 2), ("USD", 2)];

#[derive(Debug, Clone)]
struct GenPosting {
    account: usize,
    fund: usize,
    minor_units: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct GenTransaction {
    day: u32,
    commodity: usize,
    postings: Vec<GenPosting>,
    elide_last: bool,
}

pub(crate) fn transaction() -> impl Strategy<Value = GenTransaction> {
    (
        1u32..=28,
        0..COMMODITIES.len(),
        prop::collection::vec(
            (
                0..ACCOUNTS.len(),
                0..FUNDS.len(),
                -1_000_000_000i64..1_000_000_000,
            ),
            1..5,
        ),
        any::<bool>(),
        0..ACCOUNTS.len(),
        0..FUNDS.len(),
    )
        .prop_map(
            |(day, commodity, raw, elide_last, last_account, last_fund)| {
                let mut postings: Vec<GenPosting> = raw
                    .into_iter()
                    .map(|(account, fund, minor_units)| GenPosting {
                        account,
                        fund,
                        minor_units,
                    })
                    .collect();
                let sum: i64 = postings.iter().map(|p| p.minor_units).sum();
                postings.push(GenPosting {
                    account: last_account,
                    fund: last_fund,
                    minor_units: -sum,
                });
                GenTransaction {
                    day,
                    commodity,
                    postings,
                    elide_last,
                }
            },
        )
}

fn decimal(minor_units: i64, commodity: usize) -> Decimal {
    Decimal::new(minor_units, COMMODITIES[commodity].1)
}

pub(crate) fn render(transactions: &[GenTransaction]) -> String {
    let mut text = String::new();
    for (i, t) in transactions.iter().enumerate() {
        text.push_str(&format!("2000-05-{:02} * Generated {i}\n", t.day));
        let (symbol, decimals) = COMMODITIES[t.commodity];
        for (j, p) in t.postings.iter().enumerate() {
            let account = ACCOUNTS[p.account];
            let fund = FUNDS[p.fund];
            if j + 1 == t.postings.len() && t.elide_last {
                text.push_str(&format!("    {account}  ; fund: {fund}\n"));
            } else {
                let amount = Decimal::new(p.minor_units, decimals);
                text.push_str(&format!(
                    "    {account}  {amount} {symbol}  ; fund: {fund}\n"
                ));
            }
        }
        text.push('\n');
    }
    text
}

proptest! {
    #![proptest_config(crate::util::proptest_config(256))]

    #[test]
    fn balanced_journals_sum_to_zero_and_match_a_naive_model(transactions in prop::collection::vec(transaction(), 1..40)) {
        let text = render(&transactions);
        let path = Path::new("generated.ledger");
        let loaded = load_text(Settings::for_bare_journal(path), path, text.clone()).unwrap();
        prop_assert!(!loaded.has_errors(), "{:?}\n{}", loaded.diagnostics, text);
        let journal = &loaded.journal;
        prop_assert_eq!(journal.transactions().len(), transactions.len());
        journal.verify_invariants().unwrap();

        // Naive model: per (account, fund, commodity), written amounts only.
        let mut naive: BTreeMap<(String, String, String), Decimal> = BTreeMap::new();
        for t in &transactions {
            for p in &t.postings {
                let key = (ACCOUNTS[p.account].to_string(), FUNDS[p.fund].to_string(), COMMODITIES[t.commodity].0.to_string());
                *naive.entry(key).or_default() += decimal(p.minor_units, t.commodity);
            }
        }
        naive.retain(|_, v| !v.is_zero());
        let report = reports::balance(journal, &Filter::default(), BalanceOptions::default().by_fund(true)).unwrap();
        let interfund = ["Assets:Interfund:DueFrom", "Liabilities:Interfund:DueTo"];
        let mut library: BTreeMap<(String, String, String), Decimal> = BTreeMap::new();
        let mut per_commodity: BTreeMap<String, Decimal> = BTreeMap::new();
        for row in &report.rows {
            *per_commodity.entry(row.commodity.clone()).or_default() += row.amount;
            if interfund.contains(&row.account.as_str()) {
                continue;
            }
            library.insert((row.account.clone(), row.fund.clone().unwrap(), row.commodity.clone()), row.amount.normalize());
        }
        let naive: BTreeMap<_, _> = naive.into_iter().map(|(k, v)| (k, v.normalize())).collect();
        prop_assert_eq!(library, naive);
        // The trial balance is zero in every commodity.
        prop_assert!(per_commodity.values().all(|v| v.is_zero()), "{:?}", per_commodity);
        prop_assert!(report.total.is_empty(), "{:?}", report.total);
        // Every fund balances on its own after the interfund postings.
        let mut by_fund: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        for row in &report.rows {
            *by_fund.entry((row.fund.clone().unwrap(), row.commodity.clone())).or_default() += row.amount;
        }
        prop_assert!(by_fund.values().all(|v| v.is_zero()), "{:?}", by_fund);
        // The fund roll-forward ties (it errors otherwise) and sums to net assets.
        reports::funds(journal, None, None).unwrap();
    }

    #[test]
    fn unbalanced_journals_are_rejected(mut t in transaction(), delta in 1i64..1000) {
        t.elide_last = false;
        t.postings[0].minor_units += delta;
        let text = render(&[t]);
        let path = Path::new("generated.ledger");
        let loaded = load_text(Settings::for_bare_journal(path), path, text).unwrap();
        prop_assert!(loaded.diagnostics.iter().any(|d| d.code == fundledger_core::Code::Unbalanced));
        prop_assert!(loaded.journal.transactions().is_empty());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}", suffix in prop::sample::select(vec!["", "\n", "\r\n", " ", "  収入:寄付", "  B", "  *"])) {
        let path = Path::new("fuzz.ledger");
        let input = format!("2000-01-01 x\n  A  1 JPY\n{text}{suffix}");
        let _ = load_text(Settings::for_bare_journal(path), path, input);
        let _ = load_text(Settings::for_bare_journal(path), path, format!("{text}{suffix}"));
    }
}

/// Settings for the import property: one fund, yen only.
fn import_settings(dir: &Path) -> Settings {
    let text = "organisation = \"P\"\nbase_currency = \"JPY\"\njournal = \"j.ledger\"\n[[commodities]]\nsymbol = \"JPY\"\nprecision = 0\n[[funds]]\nid = \"General\"\nname = \"G\"\nrestriction = \"unrestricted\"\ndefault = true\n[import.donations]\nasset_account = \"Assets:Bank\"\nincome_account = \"Income:Donations\"\n";
    Settings::parse(text, &dir.join("fundledger.toml"), dir).unwrap()
}

proptest! {
    #![proptest_config(crate::util::proptest_config(64))]

    /// N rows always give exactly N transactions, whatever the cells hold:
    /// newlines, `;`, runs of spaces, directive words, brackets.
    #[test]
    fn csv_cells_cannot_inject_journal_syntax(
        cells in prop::collection::vec(
            (
                "(\\PC|[\\n\\r\\t ;()\\[\\]=~@]|include |account |  ){0,24}",
                "(\\PC|[\\n\\r\\t ;]|  ){0,24}",
                1u32..1_000_000,
            ),
            1..20,
        )
    ) {
        let dir = tempfile::tempdir().unwrap();
        let settings = import_settings(dir.path());
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(["date", "donor", "amount", "currency", "designation", "reference", "memo"]).unwrap();
        for (donor, memo, amount) in &cells {
            writer.write_record(["2001-04-02", donor.as_str(), &amount.to_string(), "JPY", "", "", memo.as_str()]).unwrap();
        }
        let csv_path = dir.path().join("d.csv");
        std::fs::write(&csv_path, writer.into_inner().unwrap()).unwrap();
        let journal_path = dir.path().join("j.ledger");
        let empty = load_text(settings.clone(), &journal_path, String::new()).unwrap();
        let request = fundledger_core::import::ImportRequest::new(fundledger_core::import::ImportKind::Donations, &csv_path);
        let prepared = fundledger_core::import::prepare(&settings, &empty.journal, &request).unwrap().unwrap();
        prop_assert_eq!(prepared.transactions, cells.len());
        // The new journal is read with the donors the import adds, as the
        // write validates it.
        let mut settings = settings;
        settings.donors = prepared.donors.as_ref().map(|d| d.register.clone());
        let loaded = load_text(settings, &journal_path, prepared.text.clone()).unwrap();
        prop_assert!(!loaded.has_errors(), "{:?}\n{}", loaded.diagnostics, prepared.text);
        prop_assert_eq!(loaded.journal.transactions().len(), cells.len(), "{}", prepared.text);
        for t in loaded.journal.transactions() {
            prop_assert_eq!(loaded.journal.postings(t).len(), 2);
        }
    }
}

/// Settings with a base currency, prices, funds of every restriction, a
/// shared cost, declared natures and a member loan.
fn statement_settings(dir: &Path) -> Settings {
    let text = "organisation = \"P\"\nbase_currency = \"JPY\"\njournal = \"j.ledger\"\n\
        [[commodities]]\nsymbol = \"JPY\"\nprecision = 0\n[[commodities]]\nsymbol = \"CNY\"\nprecision = 2\n\
        [[funds]]\nid = \"General\"\nname = \"G\"\nrestriction = \"unrestricted\"\ndefault = true\n\
        [[funds]]\nid = \"Designated\"\nname = \"D\"\nrestriction = \"board-designated\"\n\
        [[funds]]\nid = \"Restricted\"\nname = \"R\"\nrestriction = \"restricted\"\nincome_accounts = [\"Income:Gifts:Restricted\"]\n\
        [[funds]]\nid = \"Endowment\"\nname = \"E\"\nrestriction = \"endowment\"\nincome_accounts = [\"Income:Gifts:Endowment\"]\n\
        [[loans]]\nlender = \"L\"\naccount = \"Liabilities:Loans:L\"\n\
        [report]\nfx_accounts = [\"Income:Revaluation\"]\n\
        [[report.natures]]\nid = \"food\"\nlabel = \"Food\"\nlabel_ja = \"食料費\"\naccounts = [\"Expenses:Food\"]\n\
        [[report.natures]]\nid = \"staff\"\nlabel = \"Staff\"\ngroup = \"personnel\"\naccounts = [\"Expenses:Travel:Staff\"]\n\
        [[report.allocations]]\naccount = \"Expenses:Office\"\nshares = { \"Management and general\" = 33, \"Food\" = 33, \"Fundraising\" = 34 }\n";
    Settings::parse(text, &dir.join("fundledger.toml"), dir).unwrap()
}

/// A random valid ledger ([`valid_ledger`]) loaded with
/// [`statement_settings`], its text (for failure messages) and the
/// directory it stands in (kept while the ledger is used).
fn load_statement_ledger(events: &[Event]) -> (tempfile::TempDir, fundledger_core::Loaded, String) {
    let dir = tempfile::tempdir().unwrap();
    let settings = statement_settings(dir.path());
    let text = valid_ledger(events);
    let loaded = load_text(settings, &dir.path().join("j.ledger"), text.clone()).unwrap();
    (dir, loaded, text)
}

/// One random event of a fund-accounting year: (kind, fund, size in
/// thousandths, day offset).
type Event = (u8, usize, i64, u32);

const STATEMENT_FUNDS: &[&str] = &["General", "Designated", "Restricted", "Endowment"];

/// Turns random events into a valid ledger by construction: restricted,
/// endowment and designated funds only spend what they hold (so E402 and
/// E405 never fire), with gifts, sales, expenses in yen and yuan, currency
/// exchanges at a bank rate, shared costs, transfers between funds, costs
/// of one fund paid from another's bank (interfund), yuan spread over funds
/// in one transaction (a gift received in General's cash, with interfund
/// legs in yuan; spending by two funds at once), member loans and
/// restricted funds spent exactly to zero.
fn valid_ledger(events: &[Event]) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(1999, 10, 1).unwrap();
    let mut text = String::new();
    // The yuan falls a little every month. (While a fund holds yuan that
    // has risen, `check` values its spending at the day's price but not the
    // holding's gain, so a fund spending all its yuan can look overspent:
    // a known limit of E402/E405 with appreciating foreign holdings, not
    // what this test is about.)
    let price = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        Decimal::new(
            1450 - ((d.year() - 1999) * 12 + d.month() as i32) as i64 * 7,
            2,
        )
    };
    for m in 0..19 {
        let d = start.checked_add_months(chrono::Months::new(m)).unwrap();
        text.push_str(&format!("P {d} CNY {} JPY\n", price(d)));
    }
    text.push('\n');
    let mut yen = [0i64; 4];
    let mut cny = [0i64; 4]; // hundredths
    let mut due = [0i64; 4];
    let mut loan = 0i64;
    let mut events = events.to_vec();
    events.sort_by_key(|e| e.3);
    for (i, &(kind, fund, size, day)) in events.iter().enumerate() {
        let date = start + chrono::Days::new(day as u64);
        let f = STATEMENT_FUNDS[fund];
        let spendable = (yen[fund] - due[fund]).max(0);
        let mut tx = |body: String| {
            text.push_str(&format!("{date} * Event {i}\n{body}\n"));
        };
        match kind {
            0 => {
                let amount = 1000 + size * 1000;
                let income = match fund {
                    2 => "Income:Gifts:Restricted",
                    3 => "Income:Gifts:Endowment",
                    _ => "Income:Gifts",
                };
                tx(format!("    Assets:Bank  {amount} JPY  ; fund: {f}\n    {income}  -{amount} JPY  ; fund: {f}\n"));
                yen[fund] += amount;
            }
            1 => {
                let amount = spendable * size / 1000;
                if amount > 0 {
                    tx(format!("    Expenses:Food  {amount} JPY  ; fund: {f}\n    Assets:Bank  -{amount} JPY  ; fund: {f}\n"));
                    yen[fund] -= amount;
                }
            }
            2 => {
                let rate = price(date) + Decimal::new(30, 2);
                let yuan = (Decimal::from(spendable * size / 1000) / rate)
                    .floor()
                    .to_string()
                    .parse::<i64>()
                    .unwrap()
                    / 100
                    * 100;
                if yuan > 0 {
                    let cost = (Decimal::from(yuan) * rate)
                        .to_string()
                        .parse::<Decimal>()
                        .unwrap();
                    tx(format!("    Assets:Cash:CNY  {yuan}.00 CNY @ {rate} JPY  ; fund: {f}\n    Assets:Bank  -{cost} JPY  ; fund: {f}\n"));
                    yen[fund] -= cost.trunc().to_string().parse::<i64>().unwrap();
                    cny[fund] += yuan * 100;
                }
            }
            3 => {
                let amount = cny[fund] * size / 1000;
                if amount > 0 {
                    let account = if size % 2 == 0 {
                        "Expenses:Travel:Staff"
                    } else {
                        "Expenses:Travel"
                    };
                    tx(format!(
                        "    {account}  {} CNY  ; fund: {f}\n    Assets:Cash:CNY  -{} CNY  ; fund: {f}\n",
                        Decimal::new(amount, 2),
                        Decimal::new(amount, 2)
                    ));
                    cny[fund] -= amount;
                }
            }
            4 => {
                // The board designates general money (or undoes part of it).
                let (from, to) = if size % 2 == 0 { (0, 1) } else { (1, 0) };
                let amount = (yen[from] - due[from]).max(0) * size / 1000;
                if amount > 0 {
                    let (a, b) = (STATEMENT_FUNDS[from], STATEMENT_FUNDS[to]);
                    tx(format!("    Assets:Bank  -{amount} JPY  ; fund: {a}\n    NetAssets:Transfers  {amount} JPY  ; fund: {a}\n    Assets:Bank  {amount} JPY  ; fund: {b}\n    NetAssets:Transfers  -{amount} JPY  ; fund: {b}\n"));
                    yen[from] -= amount;
                    yen[to] += amount;
                }
            }
            5 => {
                let amount = 100 + size * 37;
                tx(format!(
                    "    Expenses:Office:Rent  {amount} JPY\n    Assets:Bank  -{amount} JPY\n"
                ));
                yen[0] -= amount;
            }
            6 => {
                if size % 3 == 0 && loan > 0 {
                    let amount = loan.min(yen[0].max(0));
                    if amount > 0 {
                        tx(format!("    Liabilities:Loans:L  {amount} JPY\n    Assets:Bank  -{amount} JPY\n"));
                        loan -= amount;
                        yen[0] -= amount;
                    }
                } else {
                    let amount = 10_000 + size * 500;
                    tx(format!(
                        "    Assets:Bank  {amount} JPY\n    Liabilities:Loans:L  -{amount} JPY\n"
                    ));
                    loan += amount;
                    yen[0] += amount;
                }
            }
            7 => {
                // A restricted fund spent exactly to zero.
                if fund != 0 && cny[fund] == 0 && due[fund] == 0 && yen[fund] > 0 {
                    let amount = yen[fund];
                    tx(format!("    Expenses:Food  {amount} JPY  ; fund: {f}\n    Assets:Bank  -{amount} JPY  ; fund: {f}\n"));
                    yen[fund] = 0;
                }
            }
            8 => {
                let amount = 500 * (1 + size % 20);
                tx(format!("    Assets:Cash:JPY  {amount} JPY  ; fund: Designated\n    Income:Sales  -{amount} JPY  ; fund: Designated\n"));
                yen[1] += amount;
            }
            10 => {
                // Yuan spread over funds in one transaction, each fund with
                // three or more postings, so that rounding their yen values
                // one by one can leave a fund a yen off.
                if size % 2 == 0 {
                    // A yuan gift for a fund, in two lines, received in
                    // General's cash: interfund legs in yuan.
                    let amount = 101 + size * 37;
                    let (first, second) = (amount / 3, amount - amount / 3);
                    let income = match fund {
                        2 => "Income:Gifts:Restricted",
                        3 => "Income:Gifts:Endowment",
                        _ => "Income:Gifts",
                    };
                    tx(format!(
                        "    Assets:Cash:CNY  {} CNY  ; fund: General\n    {income}  -{} CNY  ; fund: {f}\n    {income}:Matched  -{} CNY  ; fund: {f}\n",
                        Decimal::new(amount, 2),
                        Decimal::new(first, 2),
                        Decimal::new(second, 2)
                    ));
                    cny[0] += amount;
                } else {
                    // General and another fund each spend some of their own
                    // yuan, on two lines each, in one transaction.
                    let general = cny[0] * size / 1000;
                    let other = cny[fund] * size / 1000;
                    if fund != 0 && general > 0 && other > 0 {
                        let mut body = String::new();
                        for (spent, name) in [(general, "General"), (other, f)] {
                            let (staff, rest) = (spent / 3, spent - spent / 3);
                            body.push_str(&format!(
                                "    Expenses:Travel:Staff  {} CNY  ; fund: {name}\n    Expenses:Travel  {} CNY  ; fund: {name}\n    Assets:Cash:CNY  -{} CNY  ; fund: {name}\n",
                                Decimal::new(staff, 2),
                                Decimal::new(rest, 2),
                                Decimal::new(spent, 2)
                            ));
                        }
                        tx(body);
                        cny[0] -= general;
                        cny[fund] -= other;
                    }
                }
            }
            _ => {
                // A fund's cost paid from the general bank account: the
                // fund owes General (interfund postings).
                let amount = spendable * size / 1000;
                if fund != 0 && amount > 0 {
                    tx(format!("    Expenses:Food  {amount} JPY  ; fund: {f}\n    Assets:Bank  -{amount} JPY  ; fund: General\n"));
                    due[fund] += amount;
                    yen[0] -= amount;
                }
            }
        }
    }
    text
}

proptest! {
    #![proptest_config(crate::util::proptest_config(96))]

    /// On random valid fund-accounting ledgers (allocations, restricted
    /// funds spent to zero, designated funds, foreign currency, exchanges,
    /// transfers, interfund, loans) every statement of every standard ties
    /// on every line: `statements` builds them from one classification and
    /// refuses them otherwise. Checked here independently too: activities
    /// close at the position's net assets, the funds add up to them, the
    /// functional statement adds up to the expenses, and `fundledger funds`
    /// tells the analysis of funds' story. Tampering with one shared figure
    /// makes the reconciliation fail, so the check can fail.
    #[test]
    fn statements_tie_on_random_ledgers(
        events in prop::collection::vec((0u8..11, 0usize..4, 1i64..1000, 0u32..548), 1..80)
    ) {
        use fundledger_core::reports::{board, engine, financial::{self, Standard}, statement::{Cell, RowKind, Statement}, valued::Valued};
        let (_dir, loaded, text) = load_statement_ledger(&events);
        prop_assert!(!loaded.has_errors(), "{:?}\n{}", loaded.diagnostics, text);
        let journal = &loaded.journal;
        let valued = Valued::new(journal).unwrap();
        let begin = chrono::NaiveDate::from_ymd_opt(2000, 4, 1).unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2001, 4, 1).unwrap();
        let last = |s: &Statement, pred: &dyn Fn(&str) -> bool| s.rows.iter().rev()
            .find(|r| pred(&r.label)).and_then(|r| match r.cells.last() { Some(Cell::Amount(a)) => Some(*a), _ => None });
        for standard in [Standard::Asc958, Standard::JpNpo, Standard::Sorp] {
            let set = financial::statements(&valued, standard, begin, end);
            prop_assert!(set.is_ok(), "{:?}\n{}", set.err(), text);
            let set = set.unwrap();
            // The last total: net assets at the end (the NPO layout's Ⅲ).
            let closing = set.activities.rows.iter().rev().find(|r| r.kind == RowKind::Total)
                .and_then(|r| match r.cells.last() { Some(Cell::Amount(a)) => Some(*a), _ => None }).unwrap();
            let net_assets = last(&set.position, &|l| l == "Total net assets" || l == "正味財産合計" || l == "Total funds").unwrap();
            prop_assert_eq!(closing, net_assets);
            // The NPO layout counts a net exchange loss among 経常費用.
            let fx_loss = last(&set.activities, &|l| l == "為替差損").unwrap_or_default();
            let expenses = last(&set.activities, &|l| l == "Total expenses" || l == "経常費用計" || l == "Total expenditure").unwrap() - fx_loss;
            let functional = set.functional.rows.iter().find(|r| r.kind == RowKind::Total)
                .and_then(|r| match r.cells.last() { Some(Cell::Amount(a)) => Some(*a), _ => None }).unwrap();
            prop_assert_eq!(expenses, functional);
            if standard != Standard::JpNpo {
                let funds_closing = set.funds.rows.last().and_then(|r| match r.cells.last() { Some(Cell::Amount(a)) => Some(*a), _ => None }).unwrap();
                prop_assert_eq!(funds_closing, net_assets);
                // `fundledger funds` (base currency) gives the same rows.
                let cli = fundledger_core::reports::funds_valued(&valued, Some(begin), Some(end)).unwrap();
                let expected: Vec<Vec<Decimal>> = set.funds.rows.iter().filter(|r| r.kind == RowKind::Line)
                    .map(|r| r.cells.iter().map(|c| match c { Cell::Amount(a) => *a, _ => Decimal::ZERO }).collect()).collect();
                let actual: Vec<Vec<Decimal>> = cli.rows.iter()
                    .map(|r| vec![r.opening, r.income, r.expenses, r.exchange, r.transfers, r.closing]).collect();
                prop_assert_eq!(expected, actual);
            }
            // Figures shared by two statements exist, and tampering with one
            // is caught.
            let mut shared = BTreeMap::new();
            for s in [&set.activities, &set.position, &set.funds, &set.functional] {
                for t in &s.ties {
                    *shared.entry(t.key.clone()).or_insert(0) += 1;
                }
            }
            prop_assert!(shared.values().filter(|&&n| n > 1).count() >= 4, "{:?}", shared);
            let mut tampered = set.position.clone();
            if let Some(t) = tampered.ties.iter_mut().find(|t| t.key.starts_with("net-assets/closing/")) {
                t.value += Decimal::ONE;
            }
            prop_assert!(engine::reconcile([&set.activities, &tampered]).is_err());
        }
        board::loans(&valued, chrono::NaiveDate::from_ymd_opt(2001, 3, 31).unwrap(), begin, end, fundledger_core::reports::statement::Language::En).unwrap();
        // Every transaction's values still sum to zero after rounding, in
        // every fund.
        for t in journal.transactions() {
            let mut per_fund: BTreeMap<_, Decimal> = BTreeMap::new();
            for i in t.posting_range() {
                *per_fund.entry(journal.all_postings()[i].fund).or_default() += valued.value(i);
            }
            prop_assert!(per_fund.values().all(|v| v.is_zero()), "line {}: {:?}\n{}", t.line, per_fund, text);
        }
    }
}

proptest! {
    #![proptest_config(crate::util::proptest_config(48))]

    /// On random valid ledgers (with shared costs, so support costs in most
    /// periods), the SORP statement of financial activities by quarter and
    /// by month always prints: each charitable activity's periods add up to
    /// its figure in the statement of the whole year, and in every period
    /// column the expenditure lines add up to the total expenditure (every
    /// unit of the period's support costs is shared out). Checked here
    /// from the printed cells, beside `statement_columns`' own check.
    #[test]
    fn sorp_activities_in_columns_always_tie(
        events in prop::collection::vec((0u8..11, 0usize..4, 1i64..1000, 0u32..548), 1..80)
    ) {
        use fundledger_core::period::{self, Interval};
        use fundledger_core::reports::{columns, financial::{self, Standard}, statement::{Cell, RowKind, Statement}, valued::Valued, Report};
        let (_dir, loaded, text) = load_statement_ledger(&events);
        prop_assert!(!loaded.has_errors(), "{:?}\n{}", loaded.diagnostics, text);
        let journal = &loaded.journal;
        let valued = Valued::new(journal).unwrap();
        let begin = chrono::NaiveDate::from_ymd_opt(2000, 4, 1).unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2001, 4, 1).unwrap();
        let amounts = |cells: &[Cell]| -> Vec<Decimal> {
            cells.iter().map(|c| match c { Cell::Amount(a) => *a, _ => Decimal::ZERO }).collect()
        };
        // The expenditure lines (under "Expenditure on") and the total.
        let expenditure = |s: &Statement| {
            let at = s.rows.iter().position(|r| r.label == "Expenditure on").unwrap();
            let lines: Vec<(String, Vec<Decimal>)> = s.rows[at + 1..].iter()
                .take_while(|r| r.label != "Total expenditure")
                .filter(|r| r.kind == RowKind::Line)
                .map(|r| (r.label.clone(), amounts(&r.cells)))
                .collect();
            let total = s.rows.iter().find(|r| r.label == "Total expenditure").map(|r| amounts(&r.cells)).unwrap();
            (lines, total)
        };
        let year = financial::statements(&valued, Standard::Sorp, begin, end).unwrap().activities;
        let (year_lines, _) = expenditure(&year);
        for interval in [Interval::Quarterly, Interval::Monthly] {
            let periods = period::split(interval, begin, end, journal.settings().fiscal_year_start);
            let s = columns::statement_columns(&valued, Report::Activities, Standard::Sorp, interval, &periods);
            prop_assert!(s.is_ok(), "{:?}\n{}", s.err(), text);
            let s = s.unwrap();
            // The note says how support costs were shared, when the year's
            // statement shares some.
            let year_shares = year.notes.iter().any(|n| n.starts_with("Support costs (management and governance) are allocated"));
            let column_note = s.notes.iter().any(|n| n.contains("in proportion to their direct costs over the whole range"));
            prop_assert_eq!(year_shares, column_note);
            let (lines, total) = expenditure(&s);
            for (label, cells) in &lines {
                let (parts, whole) = cells.split_at(periods.len());
                prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), whole[0], "{}", label);
                let in_year = year_lines.iter().find(|(l, _)| l == label).map(|(_, c)| *c.last().unwrap()).unwrap_or_default();
                prop_assert_eq!(whole[0], in_year, "{}", label);
            }
            for (k, expected) in total.iter().enumerate() {
                let sum: Decimal = lines.iter().map(|(_, c)| c[k]).sum();
                prop_assert_eq!(sum, *expected, "column {}", k);
            }
        }
        // The functional analysis by month prints too.
        let periods = period::split(Interval::Monthly, begin, end, journal.settings().fiscal_year_start);
        prop_assert!(columns::statement_columns(&valued, Report::Functional, Standard::Sorp, Interval::Monthly, &periods).is_ok());
    }
}
