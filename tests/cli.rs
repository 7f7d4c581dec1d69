//! Snapshots of every command on the example ledger, and usage errors.

use crate::util::{root, run, run_in};

const LEDGER: &str = "ledgers/lifefunds";

fn snapshot(name: &str, args: &[&str]) {
    let result = run(args);
    insta::assert_snapshot!(name, result.transcript());
}

#[test]
fn check_example_ledger() {
    let result = run(&["-C", LEDGER, "check"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    insta::assert_snapshot!("check", result.transcript());
}

#[test]
fn balance_commands() {
    snapshot(
        "balance_tree",
        &["-C", LEDGER, "balance", "--fy", "2000", "--real"],
    );
    snapshot(
        "balance_depth2",
        &["-C", LEDGER, "balance", "--depth", "2", "-e", "2001-04-01"],
    );
    snapshot(
        "balance_csv",
        &["-C", LEDGER, "balance", "-O", "csv", "--fy", "2000"],
    );
    snapshot(
        "balance_by_fund_csv",
        &[
            "-C",
            LEDGER,
            "balance",
            "--by-fund",
            "-O",
            "csv",
            "Assets",
            "Liabilities",
        ],
    );
    snapshot(
        "balance_fund_json",
        &[
            "-C", LEDGER, "balance", "--fund", "FoodAid", "-O", "json", "--fy", "2000", "--depth",
            "2",
        ],
    );
    snapshot(
        "balance_by_fund_text",
        &[
            "-C",
            LEDGER,
            "bal",
            "--by-fund",
            "--depth",
            "1",
            "-b",
            "2000-04-01",
            "-e",
            "2000-05-01",
        ],
    );
    snapshot(
        "balance_outputs",
        &["-C", LEDGER, "balance", "Outputs", "--fy", "2000"],
    );
}

#[test]
fn register_accounts_print_funds() {
    snapshot(
        "register_member_loans",
        &["-C", LEDGER, "register", "Liabilities:MemberLoans"],
    );
    snapshot(
        "register_rice_csv",
        &[
            "-C",
            LEDGER,
            "register",
            "Expenses:FoodAid",
            "--fy",
            "2000",
            "-O",
            "csv",
        ],
    );
    snapshot("accounts", &["-C", LEDGER, "accounts", "-O", "csv"]);
    snapshot("funds_fy2000", &["-C", LEDGER, "funds", "--fy", "2000"]);
    snapshot(
        "funds_fy1999_csv",
        &["-C", LEDGER, "funds", "--fy", "1999", "-O", "csv"],
    );
    snapshot(
        "funds_fy2000_json",
        &["-C", LEDGER, "funds", "--fy", "2000", "-O", "json"],
    );
}

#[test]
fn print_is_canonical_and_reloads_to_the_same_balances() {
    let printed = run(&["-C", LEDGER, "print"]);
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("printed.ledger");
    std::fs::write(&path, &printed.stdout).unwrap();
    let path = path.to_str().unwrap();
    // Re-printing the printed journal gives the same text.
    let again = run(&["-f", path, "print"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, printed.stdout, "print is not a fixed point");
    // Balances agree (bare settings: no declared funds; same accounts).
    let original = run(&["-C", LEDGER, "balance", "-O", "csv", "--by-fund"]);
    let reloaded = run(&["-f", path, "balance", "-O", "csv", "--by-fund"]);
    assert_eq!(original.stdout, reloaded.stdout);
    // A transaction with interfund postings, and one with a cost, as printed.
    let interfund = printed
        .stdout
        .split("\n\n")
        .find(|t| t.contains("Rice sacks and scales"))
        .unwrap();
    insta::assert_snapshot!("print_interfund", interfund);
    let exchange = printed
        .stdout
        .split("\n\n")
        .find(|t| t.contains("2000-04-07 * Yen exchanged for yuan"))
        .unwrap();
    insta::assert_snapshot!("print_exchange", exchange);
}

#[test]
fn ledger_is_found_upward_and_through_the_environment() {
    let nested = root().join(LEDGER);
    let from_inside = run_in(&nested, &["check"]);
    assert_eq!(from_inside.code, 0, "{}", from_inside.stderr);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fundledger"))
        .arg("check")
        .current_dir(std::env::temp_dir())
        .env("FUNDLEDGER_DIR", root().join(LEDGER))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let no_ledger = run_in(dir.path(), &["check"]);
    assert_eq!(no_ledger.code, 2);
    assert!(
        no_ledger.stderr.contains("no fundledger.toml"),
        "{}",
        no_ledger.stderr
    );
    let missing = run(&["-f", "no/such/file.ledger", "check"]);
    assert_eq!(missing.code, 2);
    insta::assert_snapshot!("missing_file", missing.transcript());
    let bad_fund = run(&["-C", LEDGER, "balance", "--fund", "Nope"]);
    assert_eq!(bad_fund.code, 2);
    insta::assert_snapshot!("unknown_fund_flag", bad_fund.transcript());
    let bad_date = run(&["-C", LEDGER, "balance", "-b", "2000/04/31"]);
    assert_eq!(bad_date.code, 2);
    assert!(
        bad_date.stderr.contains("is not a date"),
        "{}",
        bad_date.stderr
    );
    let bad_quarter = run(&["-C", LEDGER, "balance", "-p", "2000q5"]);
    assert_eq!(bad_quarter.code, 2);
    assert!(
        bad_quarter.stderr.contains("q1 to q4"),
        "{}",
        bad_quarter.stderr
    );
    let p_and_b = run(&["-C", LEDGER, "balance", "-p", "2000q2", "-b", "2000"]);
    assert_eq!(p_and_b.code, 2);
    let both = run(&["-C", LEDGER, "funds", "--fy", "2000", "-b", "2000-01-01"]);
    assert_eq!(both.code, 2);
}

#[test]
fn reports_refuse_data_with_errors() {
    let result = run(&["-f", "tests/errors/E201-unbalanced.ledger", "balance"]);
    assert_eq!(result.code, 1);
    assert!(result.stdout.is_empty(), "no report from bad data");
    insta::assert_snapshot!("balance_on_bad_data", result.transcript());
}

#[test]
fn bare_generated_journal_loads() {
    let path = root().join("tests/data/gen-200.ledger");
    let result = run(&["-f", path.to_str().unwrap(), "check"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(
        result.stdout.starts_with("200 transactions"),
        "{}",
        result.stdout
    );
}

/// A ledger directory of a general fund, JPY the base currency (no
/// decimals) and CNY (2 decimals), whose journal `main.ledger` is `journal`.
fn yen_and_yuan_ledger(journal: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fundledger.toml"),
        "organisation = \"Overflow\"\nbase_currency = \"JPY\"\njournal = \"main.ledger\"\n\
         [[commodities]]\nsymbol = \"JPY\"\nprecision = 0\n\
         [[commodities]]\nsymbol = \"CNY\"\nprecision = 2\n\
         [[funds]]\nid = \"General\"\nname = \"General\"\nrestriction = \"unrestricted\"\ndefault = true\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("main.ledger"), journal).unwrap();
    dir
}

#[test]
fn a_value_too_large_to_report_is_a_located_data_error() {
    // Every account total fits (18 integer digits and CNY's 2 decimals);
    // the yen value of the yuan at 10^12 does not. `check` says so at the
    // posting (E205, exit 1): it used to pass, and every report then
    // refused with "a report total overflows", naming no line.
    let dir = yen_and_yuan_ledger(
        "P 2000-04-01 CNY 1000000000000 JPY\n\n2000-05-01 * Huge gift\n    Assets:Cash:CNY  100000000000000000 CNY\n    Income:Donations\n",
    );
    let check = run_in(dir.path(), &["-C", ".", "check"]);
    assert_eq!(check.code, 1, "{}", check.transcript());
    assert!(
        check.stderr.contains(
            "main.ledger:4: error[E205]: the value of this posting in JPY cannot be held exactly"
        ),
        "{}",
        check.stderr
    );
    assert!(
        check
            .stderr
            .contains("found: 100000000000000000.00 CNY at 1000000000000 JPY each"),
        "{}",
        check.stderr
    );
    let report = run_in(
        dir.path(),
        &["-C", ".", "report", "activities", "--fy", "2000"],
    );
    assert_eq!(report.code, 1, "{}", report.transcript());
    assert!(
        report.stderr.contains("main.ledger:4: error[E205]"),
        "{}",
        report.stderr
    );
}

/// A value `check` cannot see, at another day's price (`balance
/// --value=end` values every posting at the report's last day): the
/// refusal names the posting and the price, exit 1.
#[test]
fn a_value_too_large_at_the_last_days_price_is_named() {
    let dir = yen_and_yuan_ledger(
        "P 2000-04-01 CNY 1 JPY\nP 2000-12-01 CNY 1000000000000 JPY\n\n\
         2000-05-01 * Gift\n    Assets:Cash:CNY  100000000000000000 CNY\n    Income:Gifts  -100000000000000000 CNY\n\n\
         2000-12-02 * Other\n    Assets:Bank  1 JPY\n    Income:Gifts  -1 JPY\n",
    );
    assert_eq!(run_in(dir.path(), &["-C", ".", "check"]).code, 0);
    let valued = run_in(dir.path(), &["-C", ".", "balance", "--value=end"]);
    assert_eq!(valued.code, 1, "{}", valued.transcript());
    assert!(
        valued.stderr.contains(
            "cannot value 100000000000000000.00 CNY on 2000-12-02 (main.ledger:5) at 1000000000000 JPY"
        ),
        "{}",
        valued.stderr
    );
}

/// `fundledger funds` and `report funds` tell one story: the same figures
/// per fund, in yen, for every standard's fund analysis of the example.
#[test]
fn funds_command_and_fund_analysis_agree() {
    let cli = run(&["-C", LEDGER, "funds", "--fy", "2000", "-O", "json"]);
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    let cli: serde_json::Value = serde_json::from_str(&cli.stdout).unwrap();
    let report = run(&[
        "-C", LEDGER, "report", "funds", "--fy", "2000", "-O", "json",
    ]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    let report: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    let rows = cli["rows"].as_array().unwrap();
    let lines: Vec<&serde_json::Value> = report[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "line")
        .collect();
    assert_eq!(rows.len(), lines.len());
    assert_eq!(rows.len(), 7);
    for (row, line) in rows.iter().zip(lines) {
        let expected: Vec<String> = [
            "opening",
            "income",
            "expenses",
            "exchange",
            "transfers",
            "closing",
        ]
        .iter()
        .map(|k| row[k].as_str().unwrap().to_string())
        .collect();
        let printed: Vec<String> = line["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert_eq!(expected, printed, "{}", row["fund"]);
    }
}

/// An import rule that would send donor-restricted gifts to an unrestricted
/// fund is refused when the settings are read, at the rule's line.
#[test]
fn restricted_gifts_cannot_be_routed_to_unrestricted_funds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fundledger.toml"),
        "organisation = \"O\"\nbase_currency = \"JPY\"\njournal = \"j.ledger\"\n\
         [[commodities]]\nsymbol = \"JPY\"\nprecision = 0\n\
         [[funds]]\nid = \"General\"\nname = \"G\"\nrestriction = \"unrestricted\"\ndefault = true\n\
         [[funds]]\nid = \"Rescue\"\nname = \"R\"\nrestriction = \"restricted\"\nincome_accounts = [\"Income:Donations:Rescue\"]\n\
         [import.donations]\nasset_account = \"Assets:Bank\"\nincome_account = \"Income:Donations:General\"\n\
         [[import.donations.designations]]\ncontains = [\"rescue\"]\nfund = \"General\"\nincome_account = \"Income:Donations:Rescue\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("j.ledger"), "").unwrap();
    let result = crate::util::run_in(dir.path(), &["-C", ".", "check"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stderr.contains("error[E001]"), "{}", result.stderr);
    assert!(
        result.stderr.contains("sends donor-restricted gifts (Income:Donations:Rescue, restricted to fund Rescue) to the unrestricted fund General"),
        "{}",
        result.stderr
    );
}

/// Period expressions: the spellings of one range give one answer; `-e` is
/// exclusive and `--as-of` inclusive; a period outside the journal is an
/// error; a quiet one says so; `--as-of` reaches the position statement.
#[test]
fn periods_are_read_like_hledger_and_never_ignored() {
    let same = [
        vec!["balance", "-p", "2000q2", "-O", "csv"],
        vec!["balance", "-b", "2000-04", "-e", "2000-07", "-O", "csv"],
        vec![
            "balance",
            "-b",
            "2000/04/01",
            "-e",
            "2000/07/01",
            "-O",
            "csv",
        ],
        vec!["balance", "-p", "from 2000-04 to 2000-07", "-O", "csv"],
    ];
    let outputs: Vec<String> = same
        .iter()
        .map(|args| {
            let mut full = vec!["-C", LEDGER];
            full.extend(args);
            let result = run(&full);
            assert_eq!(result.code, 0, "{args:?}: {}", result.stderr);
            result.stdout
        })
        .collect();
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "{outputs:?}");
    assert!(outputs[0].lines().count() > 2, "{}", outputs[0]);

    let as_of = run(&[
        "-C",
        LEDGER,
        "balance",
        "--as-of",
        "2000-09-30",
        "-O",
        "csv",
    ]);
    let to = run(&["-C", LEDGER, "balance", "-e", "2000-10-01", "-O", "csv"]);
    assert_eq!(
        as_of.stdout, to.stdout,
        "--as-of includes its day, -e excludes it"
    );

    let outside = run(&["-C", LEDGER, "report", "annual", "--fy", "1990"]);
    assert_eq!(outside.code, 2);
    assert!(
        outside.stderr.contains("outside the journal"),
        "{}",
        outside.stderr
    );

    let quiet = run(&["-C", LEDGER, "balance", "-p", "2000-05-02"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert!(
        quiet.stderr.contains("no transaction falls in 2000-05-02"),
        "{}",
        quiet.stderr
    );

    let position = run(&[
        "-C",
        LEDGER,
        "report",
        "position",
        "--fy",
        "2000",
        "--as-of",
        "2000-09-30",
    ]);
    assert_eq!(position.code, 0, "{}", position.stderr);
    assert!(
        position.stdout.contains("at 2000-09-30 (interim)"),
        "{}",
        position.stdout
    );
    assert!(
        !position.stdout.contains("2001-03-31"),
        "{}",
        position.stdout
    );
    let past_year = run(&[
        "-C",
        LEDGER,
        "report",
        "position",
        "--fy",
        "1999",
        "--as-of",
        "2000-09-30",
    ]);
    assert_eq!(past_year.code, 2, "{}", past_year.stdout);
    let interval = run(&[
        "-C",
        LEDGER,
        "report",
        "position",
        "-p",
        "monthly in fy2000",
    ]);
    assert_eq!(interval.code, 2);
    let annual = run(&["-C", LEDGER, "report", "annual", "-p", "2000q2"]);
    assert_eq!(annual.code, 2);
    assert!(
        annual.stderr.contains("whole fiscal year"),
        "{}",
        annual.stderr
    );
}

/// Every filter that matches nothing says so on stderr (exit 0), and query
/// prefixes are read or refused, never taken for part of an account name.
#[test]
fn filters_that_match_nothing_say_so() {
    for (args, expected) in [
        (vec!["balance", "Expences"], "no account is \"Expences\""),
        (vec!["balance", "bank"], "no account is \"bank\""),
        (vec!["register", "acct:Asets"], "no account is \"Asets\""),
        (vec!["balance", "desc:no such payee"], "no payee contains"),
        (vec!["balance", "--pending"], "no posting matches"),
    ] {
        let mut full = vec!["-C", LEDGER];
        full.extend(&args);
        let result = run(&full);
        assert_eq!(result.code, 0, "{args:?}: {}", result.stderr);
        assert!(
            result.stderr.contains(expected),
            "{args:?}: {}",
            result.stderr
        );
    }
    for refused in ["tag:fund=FoodAid", "amt:>100", "status:*"] {
        let result = run(&["-C", LEDGER, "balance", refused]);
        assert_eq!(result.code, 2, "{refused}");
        assert!(result.stderr.contains("not supported"), "{}", result.stderr);
    }
    // acct: is the bare prefix; fund: is --fund; not: excludes.
    let same = |a: &[&str], b: &[&str]| {
        let mut x = vec!["-C", LEDGER, "balance", "-O", "csv"];
        x.extend(a);
        let mut y = vec!["-C", LEDGER, "balance", "-O", "csv"];
        y.extend(b);
        let (x, y) = (run(&x), run(&y));
        assert_eq!(x.code, 0, "{}", x.stderr);
        assert_eq!(x.stdout, y.stdout, "{a:?} vs {b:?}");
    };
    same(&["acct:Assets"], &["Assets"]);
    same(&["fund:FoodAid"], &["--fund", "FoodAid"]);
    same(&["date:2000q2", "Expenses"], &["-p", "2000q2", "Expenses"]);
    let without = run(&[
        "-C",
        LEDGER,
        "balance",
        "Assets",
        "not:Assets:Bank",
        "-O",
        "csv",
    ]);
    assert!(
        !without.stdout.contains("Assets:Bank"),
        "{}",
        without.stdout
    );
    assert!(without.stdout.contains("Assets:Cash"), "{}", without.stdout);
}

/// Status marks and generated postings filter: cleared, pending and
/// unmarked postings add up to all of them; --no-generated leaves out the
/// interfund and conversion legs only.
#[test]
fn status_and_generated_filters_partition_the_postings() {
    let count = |extra: &[&str]| {
        let mut args = vec!["-C", LEDGER, "register", "-O", "csv"];
        args.extend(extra);
        let result = run(&args);
        assert_eq!(result.code, 0, "{}", result.stderr);
        result.stdout.lines().count() - 1
    };
    let all = count(&[]);
    let parts = count(&["--cleared"]) + count(&["--pending"]) + count(&["--unmarked"]);
    assert_eq!(all, parts);
    assert_eq!(count(&["--cleared", "--pending", "--unmarked"]), all);
    let real_only = count(&["--no-generated"]);
    assert!(real_only < all, "{real_only} of {all}");
}

/// `balance -V --no-generated` at the year-end is the position statement's
/// total assets (the same values, at each posting's date); the register's
/// valued running total is one sum; `-X` other than the base is refused.
#[test]
fn valued_balance_equals_the_position_statement() {
    let result = run(&[
        "-C",
        LEDGER,
        "balance",
        "Assets",
        "-V",
        "--no-generated",
        "--as-of",
        "2001-03-31",
        "-O",
        "csv",
    ]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let mut total = rust_decimal::Decimal::ZERO;
    for line in result.stdout.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[1], "JPY", "{line}");
        total += fields[2].parse::<rust_decimal::Decimal>().unwrap();
    }
    let position = run(&[
        "-C", LEDGER, "report", "position", "--fy", "2000", "-O", "csv",
    ]);
    let line = position
        .stdout
        .lines()
        .find(|l| l.starts_with("Total assets"))
        .unwrap();
    let stated: rust_decimal::Decimal = line
        .rsplit(',')
        .next()
        .unwrap()
        .trim_matches('"')
        .parse()
        .unwrap();
    assert_eq!(total, stated);
    let register = run(&[
        "-C",
        LEDGER,
        "register",
        "Assets:Cash",
        "-X",
        "JPY",
        "-O",
        "csv",
    ]);
    assert_eq!(register.code, 0, "{}", register.stderr);
    assert!(
        register.stdout.lines().skip(1).all(|l| l.contains(",JPY,")),
        "{}",
        register.stdout
    );
    let other = run(&["-C", LEDGER, "balance", "-X", "USD"]);
    assert_eq!(other.code, 2);
    assert!(
        other.stderr.contains("base currency only"),
        "{}",
        other.stderr
    );
}

/// `balance -p "quarterly in fy2000"` is `balance -Q --fy 2000`.
#[test]
fn an_interval_in_the_period_gives_columns() {
    let a = run(&[
        "-C",
        LEDGER,
        "balance",
        "-p",
        "quarterly in fy2000",
        "Expenses",
        "-O",
        "csv",
    ]);
    let b = run(&[
        "-C", LEDGER, "balance", "-Q", "--fy", "2000", "Expenses", "-O", "csv",
    ]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
    assert!(
        a.stdout.starts_with("account,2000-04-01..2000-06-30,"),
        "{}",
        a.stdout
    );
}

/// Reports a board or the public reads name member lenders by their
/// declared labels; the names (which the loan accounts also hold) only with
/// `--with-personal-data`.
#[test]
fn lenders_are_named_only_with_personal_data() {
    for (standard, label, name) in [("asc958", "Member A", "Sato"), ("jp-npo", "会員A", "佐藤")]
    {
        for report in ["loans", "annual"] {
            let public = run(&[
                "-C",
                LEDGER,
                "report",
                report,
                "--fy",
                "2000",
                "--standard",
                standard,
            ]);
            assert_eq!(public.code, 0, "{}", public.stderr);
            assert!(public.stdout.contains(label), "{report} {standard}");
            for lender in ["Sato", "Kato", "Yamada", "Mori", "佐藤", "加藤", "山田"] {
                assert!(
                    !public.stdout.contains(lender),
                    "{report} {standard} shows {lender}"
                );
            }
            let named = run(&[
                "-C",
                LEDGER,
                "report",
                report,
                "--fy",
                "2000",
                "--standard",
                standard,
                "--with-personal-data",
            ]);
            assert_eq!(named.code, 0, "{}", named.stderr);
            assert!(named.stdout.contains(name), "{report} {standard}");
            assert!(!named.stdout.contains(label), "{report} {standard}");
        }
    }
}

/// Budgets: the report by quarter and against the plan, `balance --budget`,
/// and the requests it refuses.
#[test]
fn budget_commands() {
    snapshot(
        "budget_fund_quarterly",
        &[
            "-C", LEDGER, "report", "budget", "--fy", "2000", "-Q", "--fund", "FoodAid",
        ],
    );
    snapshot(
        "budget_plan_csv",
        &[
            "-C",
            LEDGER,
            "report",
            "budget",
            "--fy",
            "2000",
            "--budget-name",
            "plan",
            "--fund",
            "FoodAid",
            "-O",
            "csv",
        ],
    );
    snapshot(
        "balance_budget_foodaid",
        &[
            "-C",
            LEDGER,
            "balance",
            "--budget",
            "--fy",
            "2000",
            "Expenses:FoodAid",
            "Outputs",
        ],
    );
    // The revised budget's 5 t a month against the plan's 10 t, beside the
    // 60 t delivered and FY1999's 36 t.
    let json = run(&[
        "-C", LEDGER, "report", "budget", "--fy", "2000", "-O", "json",
    ]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let rows = value[0]["rows"].as_array().unwrap();
    let rice = rows
        .iter()
        .find(|r| r["label"].as_str().unwrap().starts_with("Rice delivered"))
        .unwrap();
    let cells: Vec<&str> = rice["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap_or(""))
        .collect();
    assert_eq!(cells, ["60000", "60000", "0", "100", "120000", "36000"]);
    // Errors: an unknown version, options other reports do not take.
    let unknown = run(&[
        "-C",
        LEDGER,
        "report",
        "budget",
        "--fy",
        "2000",
        "--budget-name",
        "final",
    ]);
    assert_eq!(unknown.code, 2);
    insta::assert_snapshot!("budget_unknown_version", unknown.transcript());
    let columns = run(&["-C", LEDGER, "report", "position", "--fy", "2000", "-Q"]);
    assert_eq!(columns.code, 2, "{}", columns.stderr);
    let no_budget = run(&[
        "-f",
        "tests/errors/E201-unbalanced.ledger",
        "report",
        "budget",
        "--fy",
        "2000",
    ]);
    assert_ne!(no_budget.code, 0);
    let bare = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("tests/errors/E111-budget-period/fundledger.toml"),
        bare.path().join("fundledger.toml"),
    )
    .unwrap();
    std::fs::write(
        bare.path().join("journal.ledger"),
        "2000-04-05 * Rice\n    Expenses:Rice  10 JPY\n    Assets:Bank\n",
    )
    .unwrap();
    let none = run(&[
        "-C",
        bare.path().to_str().unwrap(),
        "report",
        "budget",
        "--fy",
        "2000",
    ]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(none.stderr.contains("no budget"), "{}", none.stderr);
}

#[test]
fn activities_by_quarter_and_refusals() {
    snapshot(
        "activities_fy2000_quarterly",
        &["-C", LEDGER, "report", "activities", "--fy", "2000", "-Q"],
    );
    // The SORP's support costs are shared out by the year's direct costs
    // in every quarter, so the activities add up (and the note says how).
    snapshot(
        "activities_fy2000_quarterly_sorp",
        &[
            "-C",
            LEDGER,
            "report",
            "activities",
            "--fy",
            "2000",
            "-Q",
            "--standard",
            "sorp",
        ],
    );
    let monthly = run(&[
        "-C",
        LEDGER,
        "report",
        "activities",
        "--fy",
        "2000",
        "-M",
        "--standard",
        "sorp",
    ]);
    assert_eq!(monthly.code, 0, "{}", monthly.stderr);
    assert!(monthly.stdout.contains("by month"), "{}", monthly.stdout);
    // Five centuries of months: refused before any statement is built.
    let too_many = run(&[
        "-C",
        LEDGER,
        "report",
        "activities",
        "-b",
        "1900-01-01",
        "-e",
        "2400-01-01",
        "-M",
        "--standard",
        "sorp",
    ]);
    assert_eq!(too_many.code, 2, "{}", too_many.stderr);
    assert!(
        too_many.stderr.contains("6000 periods") && too_many.stderr.contains("at most 1200"),
        "{}",
        too_many.stderr
    );
    snapshot(
        "functional_fy2000_quarterly_jp_csv",
        &[
            "-C",
            LEDGER,
            "report",
            "functional",
            "--fy",
            "2000",
            "-Q",
            "--standard",
            "jp-npo",
            "-O",
            "csv",
        ],
    );
    snapshot(
        "position_quarterly_refused",
        &["-C", LEDGER, "report", "position", "--fy", "2000", "-Q"],
    );
    snapshot(
        "cashflows_monthly_refused",
        &["-C", LEDGER, "report", "cashflows", "--fy", "2000", "-M"],
    );
}

/// The quarterly statement of activities against the FY2000 statement,
/// line by line: each line's total column is the FY figure, and its
/// quarters add up to it (opening net assets are the first quarter's,
/// closing the last quarter's).
#[test]
fn quarterly_activities_add_up_to_the_fiscal_year() {
    for standard in ["asc958", "jp-npo", "sorp"] {
        let json = |extra: &[&str]| -> serde_json::Value {
            let mut args = vec![
                "-C",
                LEDGER,
                "report",
                "activities",
                "--fy",
                "2000",
                "--standard",
                standard,
                "-O",
                "json",
            ];
            args.extend(extra);
            let result = run(&args);
            assert_eq!(result.code, 0, "{}", result.stderr);
            serde_json::from_str(&result.stdout).unwrap()
        };
        let year = json(&[]);
        let quarters = json(&["-Q"]);
        let year_rows = year[0]["rows"].as_array().unwrap();
        let quarter_rows = quarters[0]["rows"].as_array().unwrap();
        assert_eq!(quarters[0]["columns"].as_array().unwrap().len(), 5);
        let number = |v: &serde_json::Value| -> rust_decimal::Decimal {
            v.as_str().unwrap().parse().unwrap()
        };
        let mut compared = 0;
        for row in year_rows {
            let cells = row["cells"].as_array().unwrap();
            let Some(fy_total) = cells.last().filter(|c| c.is_string()) else {
                continue;
            };
            let label = row["label"].as_str().unwrap();
            let matching: Vec<_> = quarter_rows
                .iter()
                .filter(|q| q["label"] == row["label"])
                .collect();
            assert!(
                !matching.is_empty(),
                "{standard}: {label} has no quarterly row"
            );
            let found = matching.iter().any(|q| {
                let cells: Vec<_> = q["cells"].as_array().unwrap().iter().map(number).collect();
                let (parts, total) = cells.split_at(4);
                let opening = label.contains("beginning")
                    || label.contains("期首")
                    || label.contains("brought forward");
                let closing = label.contains("end of year")
                    || label.contains("期末")
                    || label.contains("carried forward");
                let expected = if opening {
                    parts[0]
                } else if closing {
                    parts[3]
                } else {
                    parts.iter().copied().sum()
                };
                total[0] == number(fy_total) && expected == total[0]
            });
            assert!(
                found,
                "{standard}: {label}: no quarterly row adds up to {fy_total}"
            );
            compared += 1;
        }
        assert!(compared > 10, "{standard}: only {compared} lines compared");
    }
}

#[test]
fn value_at_the_end_date() {
    snapshot(
        "balance_value_end_cash",
        &[
            "-C",
            LEDGER,
            "balance",
            "--fy",
            "2000",
            "Assets:Cash",
            "--value=end",
        ],
    );
    snapshot(
        "register_value_end_yanji",
        &[
            "-C",
            LEDGER,
            "register",
            "--fy",
            "2000",
            "Assets:Cash:Yanji",
            "--value=end",
            "-O",
            "csv",
        ],
    );
    // `-V ACCOUNT` still reads the account as a filter.
    let then = run(&["-C", LEDGER, "balance", "--fy", "2000", "-V", "Assets:Cash"]);
    assert_eq!(then.code, 0, "{}", then.stderr);
    assert!(then.stdout.contains("101,930 JPY"), "{}", then.stdout);
    snapshot(
        "value_end_with_a_space_refused",
        &["-C", LEDGER, "balance", "--fy", "2000", "--value", "end"],
    );
}

#[test]
fn columns_through_the_period_expression_and_refused_where_they_would_be_ignored() {
    let flags = run(&["-C", LEDGER, "report", "activities", "--fy", "2000", "-Q"]);
    let expression = run(&[
        "-C",
        LEDGER,
        "report",
        "activities",
        "-p",
        "quarterly in fy2000",
    ]);
    assert_eq!(expression.code, 0, "{}", expression.stderr);
    assert_eq!(flags.stdout, expression.stdout);
    for args in [
        &["report", "annual", "--fy", "2000", "-Q"][..],
        &["report", "annual", "-p", "quarterly in fy2000"][..],
        &["report", "impact", "--fy", "2000", "-M"][..],
    ] {
        let mut full = vec!["-C", LEDGER];
        full.extend(args);
        let refused = run(&full);
        assert_eq!(refused.code, 2, "{args:?}: {}", refused.stderr);
        assert!(
            refused
                .stderr
                .contains("-M, -Q, -Y and --fy-columns are options of report activities"),
            "{args:?}: {}",
            refused.stderr
        );
    }
}

/// `funds -Q`: each fund's quarters carry its opening to its closing, the
/// same figures as the single-period roll-forward; columns need values in
/// the base currency.
#[test]
fn funds_in_columns_roll_each_fund_forward() {
    let columns = run(&["-C", LEDGER, "funds", "--fy", "2000", "-Q", "-O", "json"]);
    assert_eq!(columns.code, 0, "{}", columns.stderr);
    let columns: serde_json::Value = serde_json::from_str(&columns.stdout).unwrap();
    let single = run(&["-C", LEDGER, "funds", "--fy", "2000", "-O", "json"]);
    assert_eq!(single.code, 0, "{}", single.stderr);
    let single: serde_json::Value = serde_json::from_str(&single.stdout).unwrap();
    let amount = |v: &serde_json::Value| -> i64 { v.as_str().unwrap().parse().unwrap() };
    let rows = columns[0]["rows"].as_array().unwrap();
    let funds = single["rows"].as_array().unwrap();
    assert_eq!(rows.len(), funds.len() + 1, "one row per fund and a total");
    for (row, fund) in rows.iter().zip(funds) {
        let cells: Vec<i64> = row["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(amount)
            .collect();
        assert_eq!(cells.len(), 6, "opening, four quarters, closing");
        assert_eq!(cells[0], amount(&fund["opening"]));
        assert_eq!(cells[5], amount(&fund["closing"]));
        assert_eq!(cells[0] + cells[1..5].iter().sum::<i64>(), cells[5]);
    }
    let refused = run(&[
        "-C",
        LEDGER,
        "funds",
        "--fy",
        "2000",
        "-Q",
        "--by-commodity",
    ]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("base currency"),
        "{}",
        refused.stderr
    );
}

/// A date flag takes only the years a journal date can have: chrono reads
/// `-001-04-15` (a year before 0000), which is refused as a usage error
/// (exit 2) naming the flag, before anything is loaded or written.
#[test]
fn date_flags_refuse_years_a_journal_cannot_hold() {
    let result = run(&[
        "-C",
        "ledgers/lifefunds",
        "add",
        "--date=-001-04-15",
        "--payee",
        "x",
        "--posting",
        "Assets:Cash:JPY  1 JPY",
        "--posting",
        "Income:Donations:General",
        "--dry-run",
    ]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(
        result.stderr.contains("'--date <DATE>'")
            && result.stderr.contains("outside the years 0000 to 9999"),
        "{}",
        result.stderr
    );
}
