//! The ledger-cli/hledger grammar, one minimal journal per construct, with
//! the balances asserted as numbers (and, when hledger is installed, equal
//! to `hledger bal`'s on the same file, with `--auto` where the journal
//! needs it). Also: what stays refused, with its located error, and what
//! hledger users type (`-f -`, several `-f`, `LEDGER_FILE`, `check --strict`).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::util::{run_in, tool_available, Run};

type Totals = BTreeMap<(String, String), Decimal>;

/// Accounts fundledger adds that hledger's report has no counterpart for.
const GENERATED: [&str; 2] = ["NetAssets:Conversion", "NetAssets:Rounding"];

/// Expected `account,commodity,amount` rows of fundledger's balance report.
type Rows = &'static [(&'static str, &'static str, &'static str)];

/// (construct, journal, extra arguments, expected rows).
const CASES: &[(&str, &str, &[&str], Rows)] = &[
    (
        "amounts with no commodity",
        "2018-01-01 x\n    Assets:A   10.00\n    Assets:B\n",
        &[],
        &[("Assets:A", "", "10.00"), ("Assets:B", "", "-10.00")],
    ),
    (
        "dates and prices without zero padding",
        "P 2015/1/1 EUR $1.10\n2018/1/2 x\n    a  5 EUR\n    b  -5 EUR\n",
        &[],
        &[("a", "EUR", "5"), ("b", "EUR", "-5")],
    ),
    (
        "periodic transactions are read, never posted",
        "~ monthly\n    expenses:food  $400\n    assets:cash\n\n2020-01-05 x\n    expenses:food  $10\n    assets:cash\n",
        &[],
        &[("assets:cash", "$", "-10"), ("expenses:food", "$", "10")],
    ),
    (
        "automated transactions under --auto",
        "= expenses:food\n    (budget:food)  *-1\n\n2020-01-05 x\n    expenses:food  $10\n    assets:cash\n",
        &["--auto"],
        &[("assets:cash", "$", "-10"), ("budget:food", "$", "-10"), ("expenses:food", "$", "10")],
    ),
    (
        "automated transactions without --auto",
        "= expenses:food\n    (budget:food)  *-1\n\n2020-01-05 x\n    expenses:food  $10\n    assets:cash\n",
        &[],
        &[("assets:cash", "$", "-10"), ("expenses:food", "$", "10")],
    ),
    (
        "implicit conversion: two commodities, no price",
        "2020-01-01 exchange\n    assets:usd  $-135\n    assets:eur  100 EUR\n",
        &[],
        &[("assets:eur", "EUR", "100"), ("assets:usd", "$", "-135")],
    ),
    (
        "balance assignments",
        "2020-01-01 x\n    assets:bank  £40.00\n    equity\n\n2020-01-02 y\n    assets:bank  = £100.00\n    income\n",
        &[],
        &[("assets:bank", "£", "100.00"), ("equity", "£", "-40.00"), ("income", "£", "-60.00")],
    ),
    (
        "a balance assignment after a posting to the same account",
        "2000/01/04 x\n    A  $2\n    A  = $25\n    D\n",
        &[],
        &[("A", "$", "25"), ("D", "$", "-25")],
    ),
    (
        "lot price on a purchase with an elided counter-posting",
        "2024-01-01 buy\n    assets:broker  10 AAPL {$100}\n    assets:cash\n",
        &[],
        &[("assets:broker", "AAPL", "10"), ("assets:cash", "AAPL", "-10")],
    ),
    (
        "lot annotations and a lot sale with a gain posting",
        "2024-01-01 buy\n    assets:broker  10 AAPL {=$100} [2024/01/01] @ $100\n    assets:cash  $-1000\n\n2024-02-01 sell\n    assets:broker  -10 AAPL {$100} [2024/01/01] @ $120\n    assets:cash  $1200\n    income:gains\n",
        &[],
        &[("assets:cash", "$", "200")],
    ),
    (
        "D default commodity",
        "D $1,000.00\n2020-01-01 x\n    a  10\n    b\n",
        &[],
        &[("a", "$", "10"), ("b", "$", "-10")],
    ),
    (
        "decimal comma",
        "2020-01-01 x\n    expenses:food  12,50 €\n    expenses:rent  EUR 1.000,00\n    assets:cash  -12,50 €\n    assets:bank  EUR -1.000,00\n",
        &[],
        &[
            ("assets:bank", "EUR", "-1000.00"),
            ("assets:cash", "€", "-12.50"),
            ("expenses:food", "€", "12.50"),
            ("expenses:rent", "EUR", "1000.00"),
        ],
    ),
    (
        "decimal-mark directive",
        "decimal-mark ,\n2020-01-01 x\n    a  1.000 EUR\n    b  -1.000,5 EUR\n    c\n",
        &[],
        &[("a", "EUR", "1000"), ("b", "EUR", "-1000.5"), ("c", "EUR", "0.5")],
    ),
    (
        "regular-expression aliases, Y without a space",
        "alias /a/ = b\nalias /\\./ = :\nY2014\n1/5 x\n    A.a  1\n    c\n",
        &[],
        &[("b:b", "", "1"), ("c", "", "-1")],
    ),
    (
        "dates without a year after Y",
        "Y 2012\n1/2 x\n    a  1 X\n    b\n",
        &[],
        &[("a", "X", "1"), ("b", "X", "-1")],
    ),
    (
        "alias, apply account",
        "alias personal:checking = assets:bank:checking\napply account personal\n2020-01-01 x\n    checking  $5\n    expenses:food  $3\n    assets:cash\nend apply account\n",
        &[],
        &[
            ("assets:bank:checking", "$", "5"),
            ("personal:expenses:food", "$", "3"),
            ("personal:assets:cash", "$", "-8"),
        ],
    ),
    (
        "bucket (ledger-cli only: hledger 1.25 refuses it; these are ledger's balances)",
        "bucket assets:cash\n2020-01-01 x\n    expenses:food  $3\n",
        &[],
        &[("assets:cash", "$", "-3"), ("expenses:food", "$", "3")],
    ),
    (
        "==, =* assertions and typed metadata",
        "2020-01-01 x\n    ; Due:: [2020/01/05]\n    a  $5 == $5\n    b  $-5 =* $-5  ; [2020-10-20] foo: bar\n",
        &[],
        &[("a", "$", "5"), ("b", "$", "-5")],
    ),
    (
        "a balance within display precision (bare journal tolerance)",
        "2020-01-01 x\n    assets:shares  3 X @ $0.333\n    assets:cash  $-1.00\n",
        &[],
        &[("assets:cash", "$", "-1.00"), ("assets:shares", "X", "3"), ("NetAssets:Rounding", "$", "0.001")],
    ),
    (
        "digit groups with spaces; a lone posting without an amount",
        "2021-01-01 x\n    assets:abc  $10 000.00\n    equity\n\n2021-01-02 y\n    assets:abc\n",
        &[],
        &[("assets:abc", "$", "10000.00"), ("equity", "$", "-10000.00")],
    ),
    (
        "transactions with no postings",
        "2020-01-01 nothing\n\n2020-01-02 x\n    a  1 X\n    b\n",
        &[],
        &[("a", "X", "1"), ("b", "X", "-1")],
    ),
];

fn write_journal(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn totals_of_csv(csv_text: &str) -> Totals {
    let mut totals = Totals::new();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    for record in reader.records() {
        let record = record.unwrap();
        let amount = Decimal::from_str(&record[2]).unwrap();
        if !amount.is_zero() {
            totals.insert(
                (record[0].to_string(), record[1].to_string()),
                amount.normalize(),
            );
        }
    }
    totals
}

fn expected_totals(rows: &[(&str, &str, &str)]) -> Totals {
    rows.iter()
        .map(|(a, c, q)| {
            (
                (a.to_string(), c.to_string()),
                Decimal::from_str(q).unwrap().normalize(),
            )
        })
        .collect()
}

fn hledger_totals(file: &str, args: &[&str]) -> Totals {
    let output = Command::new("hledger")
        .args(["-f", file, "bal", "--flat", "-N", "-O", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "hledger: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut totals = Totals::new();
    for row in report[0].as_array().unwrap() {
        for amount in row[3].as_array().unwrap() {
            let q = &amount["aquantity"];
            let value = Decimal::from_i128_with_scale(
                q["decimalMantissa"].as_i64().unwrap().into(),
                u32::try_from(q["decimalPlaces"].as_u64().unwrap()).unwrap(),
            );
            let key = (
                row[0].as_str().unwrap().to_string(),
                amount["acommodity"].as_str().unwrap().to_string(),
            );
            let slot = totals.entry(key).or_insert(Decimal::ZERO);
            *slot += value;
        }
    }
    totals.retain(|_, v| !v.is_zero());
    totals.values_mut().for_each(|v| *v = v.normalize());
    totals
}

#[test]
fn each_construct_reads_with_the_expected_balances() {
    let dir = tempfile::tempdir().unwrap();
    let hledger = tool_available("hledger");
    for (number, (construct, journal, args, expected)) in CASES.iter().enumerate() {
        let file = write_journal(dir.path(), &format!("case{number}.journal"), journal);
        let mut full = vec!["-f", file.as_str()];
        full.extend_from_slice(args);
        full.extend(["balance", "-O", "csv"]);
        let result = run_in(dir.path(), &full);
        assert_eq!(result.code, 0, "{construct}: {}", result.stderr);
        let ours = totals_of_csv(&result.stdout);
        let mut ours_without_conversion = ours.clone();
        ours_without_conversion.retain(|(account, _), _| account != GENERATED[0]);
        assert_eq!(
            ours_without_conversion,
            expected_totals(expected),
            "{construct}"
        );
        // `print` writes it back in a form that loads to the same balances.
        let mut print_args = vec!["-f", file.as_str()];
        print_args.extend_from_slice(args);
        print_args.push("print");
        let printed = run_in(dir.path(), &print_args);
        assert_eq!(printed.code, 0, "{construct}: {}", printed.stderr);
        let reprinted = write_journal(
            dir.path(),
            &format!("case{number}.printed"),
            &printed.stdout,
        );
        let again = run_in(dir.path(), &["-f", &reprinted, "balance", "-O", "csv"]);
        assert_eq!(
            again.code, 0,
            "{construct}: printed:\n{}\n{}",
            printed.stdout, again.stderr
        );
        assert_eq!(
            totals_of_csv(&again.stdout),
            ours,
            "{construct}: print round trip"
        );
        if hledger && !construct.contains("ledger-cli only") {
            let mut comparable = ours.clone();
            comparable.retain(|(account, _), _| !GENERATED.contains(&account.as_str()));
            assert_eq!(
                comparable,
                hledger_totals(&file, args),
                "{construct}: hledger disagrees"
            );
        }
    }
}

#[test]
fn a_rounding_residual_is_a_warning_with_its_amount() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_journal(
        dir.path(),
        "j.journal",
        "2020-01-01 x\n    Assets:Shares  3 X @ $0.333\n    Assets:Cash  $-1.00\n",
    );
    let result = run_in(dir.path(), &["-f", &file, "check"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stderr.contains("warning[W103]"), "{}", result.stderr);
    assert!(
        result.stderr.contains("-0.001 $") || result.stderr.contains("0.001"),
        "{}",
        result.stderr
    );
    // A ledger directory stays exact.
    std::fs::write(
        dir.path().join("fundledger.toml"),
        "organisation = \"x\"\nbase_currency = \"$\"\njournal = \"j.journal\"\n",
    )
    .unwrap();
    let result = run_in(dir.path(), &["-C", ".", "check"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stderr.contains("error[E201]"), "{}", result.stderr);
}

#[test]
fn declarations_matter_only_under_strict() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_journal(
        dir.path(),
        "j.journal",
        "commodity $\naccount assets:cash\n2020-01-01 x\n    expenses:food  10 EUR\n    assets:cash\n",
    );
    assert_eq!(run_in(dir.path(), &["-f", &file, "check"]).code, 0);
    let strict = run_in(dir.path(), &["-f", &file, "check", "--strict"]);
    assert_eq!(strict.code, 1);
    assert!(
        strict
            .stderr
            .contains("error[E301]: commodity EUR is not declared"),
        "{}",
        strict.stderr
    );
    assert!(
        strict
            .stderr
            .contains("error[E302]: account expenses:food is not declared"),
        "{}",
        strict.stderr
    );
}

#[test]
fn refused_constructs_are_located_and_named() {
    let dir = tempfile::tempdir().unwrap();
    for (journal, line, words) in [
        (
            "2020-01-01 x\n    a  1 A @@ -5 B\n    b\n",
            2,
            "a negative cost (-5 B)",
        ),
        (
            "2020-01-01 x\n    a  ($1 * 2)\n    b\n",
            2,
            "value expressions",
        ),
        ("alias /^(a)/ = \\1\n", 1, "back-references"),
        ("= amt:>10\n    (b)  *1\n", 1, "amt:>10"),
    ] {
        let file = write_journal(dir.path(), "r.journal", journal);
        let result = run_in(dir.path(), &["-f", &file, "--auto", "check"]);
        assert_eq!(result.code, 1, "{journal}");
        assert!(
            result.stderr.contains(&format!("r.journal:{line}: error[")),
            "{journal}: {}",
            result.stderr
        );
        assert!(
            result.stderr.contains(words),
            "{journal}: {}",
            result.stderr
        );
    }
}

fn run_with_stdin(dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fundledger"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn what_hledger_users_type() {
    let dir = tempfile::tempdir().unwrap();
    let one = "2020/1/1 x\n    a  1 X\n    b\n";
    let stdin = run_with_stdin(dir.path(), &["-f", "-", "balance", "-O", "csv"], one, &[]);
    assert_eq!(stdin.code, 0, "{}", stdin.stderr);
    assert_eq!(stdin.stdout, "account,commodity,amount\na,X,1\nb,X,-1\n");
    let bad = run_with_stdin(
        dir.path(),
        &["-f", "-", "check"],
        "2020/1/1 x\n    a  1 X @@ -1 Y\n    b\n",
        &[],
    );
    assert!(bad.stderr.contains("-:2: error[E101]"), "{}", bad.stderr);

    let first = write_journal(dir.path(), "first.journal", one);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let second = write_journal(
        &dir.path().join("sub"),
        "second.journal",
        "2020/1/2 y\n    a  2 X\n    c\n",
    );
    let both = run_in(
        dir.path(),
        &["-f", &first, "-f", &second, "balance", "-O", "csv"],
    );
    assert_eq!(both.code, 0, "{}", both.stderr);
    assert_eq!(
        both.stdout,
        "account,commodity,amount\na,X,3\nb,X,-1\nc,X,-2\n"
    );

    let env = run_with_stdin(
        dir.path(),
        &["balance", "-O", "csv"],
        "",
        &[("LEDGER_FILE", &first)],
    );
    assert_eq!(env.code, 0, "{}", env.stderr);
    assert_eq!(env.stdout, "account,commodity,amount\na,X,1\nb,X,-1\n");
}

#[test]
fn an_ambiguous_comma_follows_hledger_in_a_bare_journal_and_is_refused_in_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_journal(
        dir.path(),
        "j.journal",
        "2000-04-05 x\n    Assets:Cash  1,000 JPY\n    Income:Donations\n",
    );
    let bare = run_in(dir.path(), &["-f", &file, "balance", "-O", "csv"]);
    assert_eq!(bare.code, 0, "{}", bare.stderr);
    assert!(
        bare.stdout.contains("Assets:Cash,JPY,1.000"),
        "{}",
        bare.stdout
    );
    std::fs::write(
        dir.path().join("fundledger.toml"),
        "organisation = \"x\"\nbase_currency = \"JPY\"\njournal = \"j.journal\"\n",
    )
    .unwrap();
    let ledger = run_in(dir.path(), &["-C", ".", "check"]);
    assert_eq!(ledger.code, 1, "{}", ledger.stderr);
    assert!(
        ledger.stderr.contains("j.journal:2: error[E101]"),
        "{}",
        ledger.stderr
    );
    assert!(ledger.stderr.contains("ambiguous"), "{}", ledger.stderr);
}

#[test]
fn listings_and_filtered_print() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_journal(
        dir.path(),
        "j.journal",
        "P 2020/1/2 EUR $1.10\n2020/1/1 Shop ; kind: food\n    expenses:food  1 EUR\n    assets:cash\n2020/1/3 Bank\n    assets:bank  $2 ; ref: 7\n    income\n",
    );
    let out = |args: &[&str]| {
        let mut full = vec!["-f", file.as_str()];
        full.extend_from_slice(args);
        let result = run_in(dir.path(), &full);
        assert_eq!(result.code, 0, "{args:?}: {}", result.stderr);
        result.stdout
    };
    assert_eq!(out(&["payees"]), "Bank\nShop\n");
    assert_eq!(out(&["tags"]), "kind\nref\n");
    assert_eq!(out(&["commodities", "-O", "csv"]), "commodity\n$\nEUR\n");
    assert_eq!(out(&["prices"]), "P 2020-01-02 EUR 1.10 $\n");
    let stats = out(&["stats"]);
    assert!(stats.starts_with("files:"), "{stats}");
    assert!(stats.contains("transactions:  2\n"), "{stats}");
    let printed = out(&["print", "assets:cash"]);
    assert!(
        printed.contains("Shop") && !printed.contains("Bank"),
        "{printed}"
    );
    assert_eq!(
        out(&["print", "-b", "2020-01-02", "-O", "csv"]),
        "txnidx,date,status,code,description,account,amount,commodity,fund,kind,origin\n\
         1,2020-01-03,,,Bank,assets:bank,2,$,General,real,written\n\
         1,2020-01-03,,,Bank,income,-2,$,General,real,elided\n"
    );
    let json: serde_json::Value = serde_json::from_str(&out(&["print", "-O", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
}
