//! The golden reports in `reports/`, regenerated from `ledgers/` and compared
//! byte for byte. After an intended change, update them with
//! `UPDATE_GOLDEN=1 cargo test --test integration golden` and review the diff.

use crate::util::{root, run};

/// The formats a statement is kept in (`-O` value, file extension).
const STATEMENT_FORMATS: [(&str, &str); 5] = [
    ("text", "txt"),
    ("csv", "csv"),
    ("json", "json"),
    ("md", "md"),
    ("html", "html"),
];

/// (file under reports/LEDGER/, arguments after `-C ledgers/LEDGER`).
const REPORTS: &[(&str, &[&str])] = &[
    ("check.txt", &["check"]),
    ("balance.txt", &["balance", "--real"]),
    ("balance.csv", &["balance", "-O", "csv"]),
    ("balance.json", &["balance", "-O", "json", "--depth", "2"]),
    (
        "balance-by-fund.csv",
        &["balance", "--by-fund", "-O", "csv"],
    ),
    ("balance-fy2000.txt", &["balance", "--fy", "2000"]),
    (
        "balance-fy2000-by-fund.txt",
        &[
            "balance",
            "--fy",
            "2000",
            "--by-fund",
            "--depth",
            "2",
            "--real",
        ],
    ),
    ("accounts.csv", &["accounts", "-O", "csv"]),
    ("funds-fy2000.txt", &["funds", "--fy", "2000"]),
    ("funds-fy2000.csv", &["funds", "--fy", "2000", "-O", "csv"]),
    (
        "funds-fy2000-quarterly.txt",
        &["funds", "--fy", "2000", "-Q"],
    ),
    (
        "funds-fy2000-quarterly.csv",
        &["funds", "--fy", "2000", "-Q", "-O", "csv"],
    ),
    (
        "funds-fy2000-quarterly.html",
        &["funds", "--fy", "2000", "-Q", "-O", "html"],
    ),
    (
        "funds-fy2000.json",
        &["funds", "--fy", "2000", "-O", "json"],
    ),
    ("funds-fy1999.txt", &["funds", "--fy", "1999"]),
    (
        "register-member-loans.txt",
        &["register", "Liabilities:MemberLoans"],
    ),
    (
        "register-fy2000.csv",
        &["register", "--fy", "2000", "-O", "csv"],
    ),
    ("print.ledger", &["print"]),
    (
        "balance-quarterly-fy2000-expenses.txt",
        &["balance", "-Q", "--fy", "2000", "Expenses"],
    ),
    (
        "balance-quarterly-fy2000-expenses.csv",
        &["balance", "-Q", "--fy", "2000", "Expenses", "-O", "csv"],
    ),
    (
        "balance-quarterly-fy2000-expenses.json",
        &["balance", "-Q", "--fy", "2000", "Expenses", "-O", "json"],
    ),
    (
        "balance-quarterly-fy2000-expenses.md",
        &["balance", "-Q", "--fy", "2000", "Expenses", "-O", "md"],
    ),
    (
        "balance-quarterly-fy2000-expenses.html",
        &["balance", "-Q", "--fy", "2000", "Expenses", "-O", "html"],
    ),
    (
        "balance-quarterly-fy2000-expenses-valued.txt",
        &[
            "balance", "-Q", "--fy", "2000", "Expenses", "-V", "--depth", "2",
        ],
    ),
    (
        "reconciliation-2001-03-31.txt",
        &["report", "reconciliation", "--as-of", "2001-03-31"],
    ),
    (
        "reconciliation-2000-05-31.txt",
        &["report", "reconciliation", "--as-of", "2000-05-31"],
    ),
    (
        "advances-2001-03-31.txt",
        &["report", "advances", "--as-of", "2001-03-31"],
    ),
    (
        "documents-fy2000.csv",
        &["report", "documents", "--fy", "2000"],
    ),
    (
        "remittances-fy2000.txt",
        &["report", "remittances", "--fy", "2000"],
    ),
];

/// Every report in every format and standard, under `reports/LEDGER/statements/`.
fn statement_reports() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for name in [
        "activities",
        "position",
        "funds",
        "functional",
        "inventory",
        "cashflows",
        "notes",
        "loans",
        "sales",
        "outputs",
        "impact",
        "donors",
        "annual",
    ] {
        for standard in ["asc958", "jp-npo", "sorp"] {
            // The board's reports depend on the standard only for their
            // language (English under ASC 958 and the SORP, Japanese under
            // the NPO standard): they are kept in ASC 958 and the NPO
            // standard.
            let standard_matters = true;
            let board_report = matches!(name, "loans" | "sales" | "outputs" | "impact" | "donors");
            if board_report && standard == "sorp" {
                continue;
            }
            for (format, extension) in STATEMENT_FORMATS {
                let file = if standard_matters {
                    format!("statements/{name}-{standard}.{extension}")
                } else {
                    format!("statements/{name}.{extension}")
                };
                let args = vec![
                    "report",
                    name,
                    "--fy",
                    "2000",
                    "--standard",
                    standard,
                    "-O",
                    format,
                ]
                .into_iter()
                .map(String::from)
                .collect();
                out.push((file, args));
            }
        }
    }
    out.extend(interim_reports());
    out.extend(budget_reports());
    out.extend(column_reports());
    out
}

/// The FY2000 statement of activities by quarter (and the functional
/// expenses by quarter) in every format, under each standard, under
/// `reports/LEDGER/columns/`.
fn column_reports() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for name in ["activities", "functional"] {
        for standard in ["asc958", "jp-npo", "sorp"] {
            for (format, extension) in STATEMENT_FORMATS {
                let file = format!("columns/{name}-fy2000-quarterly-{standard}.{extension}");
                let args = [
                    "report",
                    name,
                    "--fy",
                    "2000",
                    "-Q",
                    "--standard",
                    standard,
                    "-O",
                    format,
                ]
                .into_iter()
                .map(String::from)
                .collect();
                out.push((file, args));
            }
        }
    }
    out
}

/// The FY2000 budget against actual, in every format, in English and
/// Japanese, by quarter and against the original plan; and `balance
/// --budget`, under `reports/LEDGER/budget/`.
fn budget_reports() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (tag, extra) in [
        ("", &[][..]),
        ("-quarterly", &["-Q"][..]),
        ("-plan", &["--budget-name", "plan"][..]),
    ] {
        for standard in ["asc958", "jp-npo"] {
            for (format, extension) in STATEMENT_FORMATS {
                let file = format!("budget/budget-fy2000{tag}-{standard}.{extension}");
                let mut args: Vec<String> = [
                    "report",
                    "budget",
                    "--fy",
                    "2000",
                    "--standard",
                    standard,
                    "-O",
                    format,
                ]
                .into_iter()
                .map(String::from)
                .collect();
                args.extend(extra.iter().map(|a| a.to_string()));
                out.push((file, args));
            }
        }
    }
    for (format, extension) in [("text", "txt"), ("csv", "csv")] {
        out.push((
            format!("budget/balance-budget-fy2000.{extension}"),
            ["balance", "--budget", "--fy", "2000", "-V", "-O", format]
                .into_iter()
                .map(String::from)
                .collect(),
        ));
    }
    out
}

/// Interim statements (a quarter's activities, a half-year's position, each
/// with its comparative) in every format and standard, under
/// `reports/LEDGER/interim/`.
fn interim_reports() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (name, period, tag) in [
        ("activities", ["-p", "2000q2"], "2000q2"),
        ("position", ["--as-of", "2000-09-30"], "2000-09-30"),
    ] {
        for standard in ["asc958", "jp-npo", "sorp"] {
            for (format, extension) in STATEMENT_FORMATS {
                let file = format!("interim/{name}-{tag}-{standard}.{extension}");
                let args = [
                    "report",
                    name,
                    period[0],
                    period[1],
                    "--standard",
                    standard,
                    "-O",
                    format,
                ]
                .into_iter()
                .map(String::from)
                .collect();
                out.push((file, args));
            }
        }
    }
    out
}

#[test]
fn golden_reports_match() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for ledger in std::fs::read_dir(root().join("ledgers")).unwrap() {
        let ledger = ledger.unwrap();
        if !ledger.path().join("fundledger.toml").is_file() {
            continue;
        }
        let name = ledger.file_name().to_string_lossy().into_owned();
        let dir = format!("ledgers/{name}");
        let out_dir = root().join("reports").join(&name);
        std::fs::create_dir_all(&out_dir).unwrap();
        let mut all: Vec<(String, Vec<String>)> = REPORTS
            .iter()
            .map(|(f, a)| (f.to_string(), a.iter().map(|s| s.to_string()).collect()))
            .collect();
        all.extend(statement_reports());
        std::fs::create_dir_all(out_dir.join("statements")).unwrap();
        for (file, args) in &all {
            let mut full = vec!["-C", dir.as_str()];
            full.extend(args.iter().map(String::as_str));
            let result = run(&full);
            assert_eq!(result.code, 0, "{name}/{file}: {}", result.stderr);
            let path = out_dir.join(file);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current != result.stdout {
                if update {
                    std::fs::write(&path, &result.stdout).unwrap();
                } else {
                    stale.push(format!("reports/{name}/{file}"));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "golden reports differ from what the ledgers give now: {stale:?}\nreview, then run `UPDATE_GOLDEN=1 cargo test --test integration golden`"
    );
}
