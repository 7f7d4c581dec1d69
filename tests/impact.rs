//! `report impact`: where each restricted gift went. Snapshots of every
//! format on a scratch ledger with donors (`tests/data/impact`), the
//! refusals, personal data kept out unless asked, the ties to `funds`, and a
//! property test on random journals: opening + gifts − spending ± transfers
//! ± exchange = closing for every fund and for the sum of its sources.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use fundledger_core::cli_support::donors::DonorRegister;
use fundledger_core::reports::impact::{self, ImpactOptions, Method};
use fundledger_core::reports::{financial::Standard, valued::Valued};
use fundledger_core::settings::{FundSettings, Restriction};
use fundledger_core::{load_text, Settings};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::util::{root, run, Run};

const SCRATCH: &str = "tests/data/impact";

fn impact(args: &[&str]) -> Run {
    let mut all = vec!["-C", SCRATCH, "report", "impact", "--fy", "2000"];
    all.extend_from_slice(args);
    run(&all)
}

fn ok(run: &Run) {
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn every_format_and_both_methods() {
    for (name, args) in [
        ("impact_fifo_text", &[][..]),
        ("impact_pro_rata_text", &["--method", "pro-rata"][..]),
        ("impact_csv", &["-O", "csv"][..]),
        ("impact_md", &["-O", "md"][..]),
        ("impact_json", &["-O", "json"][..]),
        ("impact_donor_html", &["-O", "html", "--donor", "D001"][..]),
        (
            "impact_donor_jp_personal",
            &[
                "--standard",
                "jp-npo",
                "--donor",
                "D001",
                "--with-personal-data",
            ][..],
        ),
        ("impact_fund_food_aid", &["--fund", "FoodAid"][..]),
    ] {
        let result = impact(args);
        ok(&result);
        insta::assert_snapshot!(name, result.transcript());
    }
}

#[test]
fn refusals_name_what_was_asked_and_what_exists() {
    let unknown = impact(&["--donor", "D999"]);
    assert_eq!(unknown.code, 2);
    insta::assert_snapshot!("impact_unknown_donor", unknown.transcript());
    let general = impact(&["--fund", "General"]);
    assert_eq!(general.code, 2);
    insta::assert_snapshot!("impact_unrestricted_fund", general.transcript());
    let nope = impact(&["--fund", "Nope"]);
    assert_eq!(nope.code, 2);
    assert!(
        nope.stderr.contains("FosterScheme, FoodAid"),
        "{}",
        nope.stderr
    );
    let no_period = run(&["-C", SCRATCH, "report", "impact"]);
    assert_eq!(no_period.code, 2);
}

/// An anonymous giver gets no statement addressed to nobody: the funds'
/// tables say so; asked for by id, the statement is still printed.
#[test]
fn anonymous_givers_get_no_statement_unless_asked_for() {
    let all = impact(&[]);
    ok(&all);
    assert!(
        !all.stdout
            .contains("Anonymous donor (D004): where your gifts went"),
        "{}",
        all.stdout
    );
    assert!(all
        .stdout
        .contains("1 anonymous donor has no statement of their own"));
    assert!(all
        .stdout
        .contains("Foster parent A: where your gifts went"));
    let asked = impact(&["--donor", "D004"]);
    ok(&asked);
    assert!(asked
        .stdout
        .contains("Anonymous donor (D004): where your gifts went"));
}

#[test]
fn personal_data_only_when_asked() {
    for format in ["text", "csv", "json", "md", "html"] {
        let public = impact(&["-O", format]);
        ok(&public);
        for personal in ["佐藤 花子", "東京都", "hanako@example.jp", "米の会"] {
            assert!(
                !public.stdout.contains(personal),
                "{format} shows {personal}"
            );
        }
        assert!(public.stdout.contains("Foster parent A"));
        let named = impact(&["-O", format, "--with-personal-data"]);
        ok(&named);
        assert!(named.stdout.contains("佐藤 花子"), "{format}");
        assert!(!named.stdout.contains("hanako@example.jp"));
    }
}

/// The fund totals equal `funds`, and the outputs attributed plus those
/// left unattributed equal the outputs booked.
#[test]
fn the_allocation_ties_to_the_funds_and_the_outputs() {
    let funds = run(&["-C", SCRATCH, "funds", "--fy", "2000", "-O", "csv"]);
    ok(&funds);
    for method in ["fifo", "pro-rata"] {
        let report = impact(&["-O", "json", "--method", method]);
        ok(&report);
        let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
        let dec = |v: &serde_json::Value| v.as_str().unwrap().parse::<Decimal>().unwrap();
        for fund in json["funds"].as_array().unwrap() {
            let name = fund["name"].as_str().unwrap();
            let id = if name == "Food supply" {
                "FoodAid"
            } else {
                "FosterScheme"
            };
            let row = funds
                .stdout
                .lines()
                .find(|l| l.starts_with(&format!("{id},")))
                .unwrap();
            let cells: Vec<Decimal> = row.split(',').skip(3).map(|c| c.parse().unwrap()).collect();
            let total = &fund["total"];
            // opening, income, expenses, exchange, transfers, closing
            assert_eq!(
                [
                    dec(&total["opening"]),
                    dec(&total["gifts"]),
                    dec(&total["spent"]),
                    dec(&total["exchange"]),
                    dec(&total["transfers"]),
                    dec(&total["unspent"]),
                ]
                .to_vec(),
                cells,
                "{name} ({method})"
            );
            // Sources add up to the fund, column by column.
            for column in [
                "opening",
                "gifts",
                "spent",
                "transfers",
                "exchange",
                "unspent",
            ] {
                let sum: Decimal = fund["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| dec(&r["figures"][column]))
                    .sum();
                assert_eq!(sum, dec(&total[column]), "{name} {column} ({method})");
            }
            // Outputs: every kg and child-month attributed once.
            let mut outputs: BTreeMap<String, Decimal> = BTreeMap::new();
            for row in fund["rows"].as_array().unwrap() {
                for o in row["outputs"].as_array().unwrap() {
                    *outputs
                        .entry(o["unit"].as_str().unwrap().into())
                        .or_default() += dec(&o["quantity"]);
                }
            }
            for o in fund["unattributed_outputs"].as_array().unwrap() {
                *outputs
                    .entry(o["unit"].as_str().unwrap().into())
                    .or_default() += dec(&o["quantity"]);
            }
            let expected: BTreeMap<String, Decimal> = if id == "FoodAid" {
                [("kg".to_string(), Decimal::from(1280))].into()
            } else {
                [("children".to_string(), Decimal::from(32))].into()
            };
            assert_eq!(outputs, expected, "{name} ({method})");
        }
    }
}

#[test]
fn an_overspent_fund_is_refused_before_any_allocation() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["fundledger.toml", "donors.csv", "main.ledger"] {
        std::fs::copy(root().join(SCRATCH).join(file), dir.path().join(file)).unwrap();
    }
    let mut journal = std::fs::read_to_string(dir.path().join("main.ledger")).unwrap();
    journal.push_str(
        "\n2000-07-01 * Rice bought beyond the gifts\n    ; fund: FoodAid\n    Expenses:FoodAid:Rice  90000 JPY\n    Assets:Bank:Postal\n",
    );
    std::fs::write(dir.path().join("main.ledger"), journal).unwrap();
    let result = crate::util::run_in(dir.path(), &["report", "impact", "--fy", "2000"]);
    assert_eq!(result.code, 1, "{}", result.transcript());
    assert!(result.stderr.contains("E402"), "{}", result.stderr);
    assert!(result.stdout.is_empty());
}

// ---- property test ----------------------------------------------------

#[derive(Debug, Clone)]
enum Extra {
    /// A transfer of `amount` yen from fund `from` to fund `to`.
    Transfer {
        day: u32,
        from: usize,
        to: usize,
        amount: i64,
    },
    /// An exchange result (positive: gain) in a fund.
    Exchange { day: u32, fund: usize, amount: i64 },
}

const FUNDS: [&str; 3] = ["General", "FoodAid", "Shelters"];

fn extra() -> impl Strategy<Value = Extra> {
    prop_oneof![
        (1u32..=28, 0..3usize, 0..3usize, 1i64..5_000_000).prop_map(|(day, from, to, amount)| {
            Extra::Transfer {
                day,
                from,
                to,
                amount,
            }
        }),
        (1u32..=28, 0..3usize, -500_000i64..500_000)
            .prop_map(|(day, fund, amount)| Extra::Exchange { day, fund, amount }),
    ]
}

fn render_extras(extras: &[Extra]) -> String {
    let mut text = String::new();
    for e in extras {
        match e {
            Extra::Transfer { day, from, to, amount } => text.push_str(&format!(
                "2000-05-{day:02} * Transfer\n    Assets:Bank  -{amount} JPY  ; fund: {}\n    NetAssets:Transfers  {amount} JPY  ; fund: {}\n    Assets:Bank  {amount} JPY  ; fund: {}\n    NetAssets:Transfers  -{amount} JPY  ; fund: {}\n\n",
                FUNDS[*from], FUNDS[*from], FUNDS[*to], FUNDS[*to]
            )),
            Extra::Exchange { day, fund, amount } => text.push_str(&format!(
                "2000-05-{day:02} * Exchange result\n    ; fund: {}\n    Assets:Bank  {amount} JPY\n    Income:ForeignExchange  {} JPY\n\n",
                FUNDS[*fund],
                -amount
            )),
        }
    }
    text
}

/// Gives each generated transaction a donor (or none): a `; donor:` line
/// after its header.
fn with_donors(text: &str, donors: &[Option<u8>]) -> String {
    let mut out = String::new();
    let mut k = 0;
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        if line.starts_with("2000-") {
            if let Some(Some(d)) = donors.get(k) {
                out.push_str(&format!("    ; donor: D{d}\n"));
            }
            k += 1;
        }
    }
    out
}

proptest! {
    #![proptest_config(crate::util::proptest_config(64))]

    /// On random journals (gifts with and without donors, spending beyond
    /// what a fund holds, foreign currencies, transfers, exchange results,
    /// an opening balance from FY1999): under both methods every fund's
    /// layers roll forward, add up to the fund, and the fund ties to the
    /// statement engine (or `impact` refuses, which it must not).
    #[test]
    fn every_fund_and_every_source_rolls_forward(
        before in prop::collection::vec(crate::properties::transaction(), 0..6),
        transactions in prop::collection::vec(crate::properties::transaction(), 1..20),
        donors in prop::collection::vec(prop::option::of(0u8..4), 20),
        extras in prop::collection::vec(extra(), 0..6),
    ) {
        let path = Path::new("random.ledger");
        let mut settings = Settings::for_bare_journal(path);
        settings.base_currency = Some("JPY".into());
        settings.report.fx_accounts = vec!["Income:ForeignExchange".into()];
        for fund in ["FoodAid", "Shelters"] {
            settings.funds.push(FundSettings {
                id: fund.into(),
                name: fund.into(),
                restriction: Restriction::Restricted,
                purpose: None,
                default: false,
                expense_accounts: None,
                name_ja: None,
                purpose_ja: None,
                income_accounts: Vec::new(),
            });
        }
        let earlier = crate::properties::render(&before).replace("2000-05-", "2000-02-");
        let text = format!(
            "P 2000-01-01 CNY 13.37 JPY\nP 2000-01-01 USD 107.5 JPY\nP 2000-05-10 CNY 14.11 JPY\nP 2000-05-10 USD 111.9 JPY\n\n{earlier}{}{}",
            with_donors(&crate::properties::render(&transactions), &donors),
            render_extras(&extras)
        );
        let loaded = load_text(settings, path, text.clone()).unwrap();
        let journal = &loaded.journal;
        let valued = Valued::new(journal).unwrap();
        let register = DonorRegister::default();
        let (begin, end) = (
            NaiveDate::from_ymd_opt(2000, 4, 1).unwrap(),
            NaiveDate::from_ymd_opt(2001, 4, 1).unwrap(),
        );
        // Foreign transactions spread over funds (with interfund legs) are
        // rounded per transaction and fund, so every fund ties to the yen
        // and the statement engine never refuses these journals.
        let classified = fundledger_core::reports::engine::Classified::new(&valued, begin, end);
        prop_assert!(classified.is_ok(), "{:?}\n{text}", classified.err());
        for method in [Method::Fifo, Method::ProRata] {
            let options = ImpactOptions { method, ..ImpactOptions::default() };
            let report = impact::impact(&valued, Standard::Asc958, begin, end, &register, &options);
            prop_assert!(report.is_ok(), "{:?}\n{text}", report.err());
            let report = report.unwrap();
            prop_assert_eq!(report.funds.len(), 2);
            for fund in &report.funds {
                let t = &fund.total;
                prop_assert_eq!(t.rolled_forward().unwrap(), t.unspent, "{}", fund.name);
                let mut sum = impact::Figures::default();
                for row in &fund.rows {
                    let f = &row.figures;
                    prop_assert_eq!(f.rolled_forward().unwrap(), f.unspent, "{:?}", row.source);
                    sum.opening += f.opening;
                    sum.gifts += f.gifts;
                    sum.spent += f.spent;
                    sum.transfers += f.transfers;
                    sum.exchange += f.exchange;
                    sum.unspent += f.unspent;
                }
                prop_assert_eq!(&sum, t, "{} ({:?})\n{}", fund.name, method, text);
            }
        }
    }
}
