//! The board pack and the accountant's spreadsheet, checked the way their
//! readers meet them: the HTML annual report printed to A4 by Chromium
//! (page numbers, the journal's digest, no heading stranded at the foot
//! of a page), every report's `.xlsx` opened by LibreOffice with the same
//! figures as `-O json`, and no internal name (account path, fund id,
//! settings key) in any golden report a board reads.
//!
//! The Chromium and LibreOffice tests skip on a machine without them and
//! fail under CI (`CI` set), where `.ci/run` installs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{root, run, tool_runs as have};

/// The golden reports that are journal views (they show the journal's own
/// account paths and fund ids on purpose) or the journal itself.
fn is_journal_view(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    name == "print.ledger"
        || name == "check.txt"
        || name.starts_with("balance")
        || name.starts_with("register")
        || name.starts_with("accounts")
        // The roll-forward's CSV and JSON keep the fund id as the key a
        // spreadsheet or a program joins on (beside the name).
        || (name.starts_with("funds-") && !name.ends_with(".txt"))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// `Word:Word` (an account path such as `Expenses:Management:Office`).
fn account_path(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let word_at = |start: usize| -> usize {
        // A capital then at least one more letter.
        if start < chars.len() && chars[start].is_ascii_uppercase() {
            let mut end = start + 1;
            while end < chars.len() && chars[end].is_ascii_alphabetic() {
                end += 1;
            }
            if end > start + 1 {
                return end;
            }
        }
        start
    };
    for i in 0..chars.len() {
        if i > 0 && chars[i - 1].is_ascii_alphabetic() {
            continue;
        }
        let end = word_at(i);
        if end > i && end < chars.len() && chars[end] == ':' && word_at(end + 1) > end + 1 {
            return Some(chars[i..word_at(end + 1)].iter().collect());
        }
    }
    None
}

#[test]
fn account_paths_are_recognised() {
    assert_eq!(
        account_path("see Expenses:Management:Office here").as_deref(),
        Some("Expenses:Management")
    );
    assert_eq!(account_path("Note: Food supply"), None);
    assert_eq!(account_path("Food supply: Rice"), None);
    assert_eq!(account_path("12:30"), None);
}

#[test]
fn no_internal_names_reach_the_board_reports() {
    const FUND_IDS: [&str; 5] = [
        "FoodAid",
        "RescueRoutes",
        "SelfReliance",
        "FosterScheme",
        "MedicalAid",
    ];
    const KEYS: [&str; 4] = ["report.", "_accounts", "rice_kg_per_unit", "[["];
    let mut files = Vec::new();
    files_under(&root().join("reports"), &mut files);
    let mut leaks = Vec::new();
    let mut scanned = 0;
    for path in files {
        let shown = path.strip_prefix(root()).unwrap().display().to_string();
        if is_journal_view(&shown) {
            continue;
        }
        scanned += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let mut found: Vec<String> = Vec::new();
            found.extend(account_path(line));
            found.extend(
                FUND_IDS
                    .iter()
                    .chain(&KEYS)
                    .filter(|needle| line.contains(*needle))
                    .map(|s| s.to_string()),
            );
            for what in found {
                leaks.push(format!("{shown}:{}: {what}", n + 1));
            }
        }
    }
    assert!(scanned > 50, "only {scanned} golden reports were scanned");
    assert!(
        leaks.is_empty(),
        "internal names in reports a board reads:\n{}",
        leaks.join("\n")
    );
}

/// A line of text on a printed page, with its vertical position (points
/// from the top).
struct PageLine {
    text: String,
    top: f64,
    bottom: f64,
}

/// One printed page: its height and its lines.
struct Page {
    height: f64,
    lines: Vec<PageLine>,
}

fn attribute(tag: &str, name: &str) -> f64 {
    let key = format!("{name}=\"");
    tag.split(&key)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The pages of `pdftotext -bbox-layout` output: lines and their words.
fn pages_of(xhtml: &str) -> Vec<Page> {
    let mut pages = Vec::new();
    for page in xhtml.split("<page ").skip(1) {
        let height = attribute(page.split('>').next().unwrap_or(""), "height");
        let mut lines = Vec::new();
        for line in page.split("<line ").skip(1) {
            let head = line.split('>').next().unwrap_or("");
            let words: Vec<String> = line
                .split("<word ")
                .skip(1)
                .map(|w| {
                    let text = w.split('>').nth(1).unwrap_or("");
                    unescape(text.split("</word").next().unwrap_or(""))
                })
                .collect();
            lines.push(PageLine {
                text: words.join(" "),
                top: attribute(head, "yMin"),
                bottom: attribute(head, "yMax"),
            });
        }
        pages.push(Page { height, lines });
    }
    pages
}

/// The headings (`h2`, `h3`) of an HTML page, as text.
fn headings(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for level in ["<h2", "<h3"] {
        for part in html.split(level).skip(1) {
            let inner = part.split_once('>').map(|(_, rest)| rest).unwrap_or("");
            let text = inner.split("</h").next().unwrap_or("");
            out.push(unescape(text));
        }
    }
    out
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Prints the annual report of `standard` to PDF with Chromium and checks
/// the pages: A4, numbered `k / n`, the digest in the footer, and every
/// heading followed on its own page by at least two lines of what it
/// heads.
fn check_printed_pack(standard: &str) {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("annual.html");
    let pdf = dir.path().join("annual.pdf");
    let result = run(&[
        "-C",
        "ledgers/lifefunds",
        "report",
        "annual",
        "--fy",
        "2000",
        "--standard",
        standard,
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let page = std::fs::read_to_string(&html).unwrap();
    let printed = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(&html)
        .output()
        .expect("chromium runs");
    assert!(pdf.is_file(), "chromium printed nothing: {printed:?}");
    let layout = Command::new("pdftotext")
        .arg("-bbox-layout")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let pages = pages_of(&String::from_utf8_lossy(&layout.stdout));
    assert!(pages.len() >= 8, "{standard}: only {} pages", pages.len());
    let json = run(&[
        "-C",
        "ledgers/lifefunds",
        "report",
        "annual",
        "--fy",
        "2000",
        "--standard",
        standard,
        "-O",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let digest = report["provenance"]["digest"].as_str().unwrap();
    assert_eq!(digest.len(), 64);
    let wanted: Vec<String> = headings(&page).iter().map(|h| squeeze(h)).collect();
    let mut problems = Vec::new();
    let mut found_headings = 0;
    for (k, page) in pages.iter().enumerate() {
        // A4 is 842 points high.
        assert!(
            (page.height - 841.9).abs() < 1.0,
            "page {} is not A4",
            k + 1
        );
        let all: String = page.lines.iter().map(|l| squeeze(&l.text)).collect();
        let number = format!("{}/{}", k + 1, pages.len());
        if !all.contains(&number) {
            problems.push(format!("page {} has no page number {number}", k + 1));
        }
        if !all.contains(&digest[..12]) {
            problems.push(format!("page {} does not name the journal's digest", k + 1));
        }
        // The page's body: below the running header (whose line box ends
        // about 32 points down) and above the footer (which starts about
        // 37 points from the foot; the margins are 16 and 18 mm).
        let body: Vec<&PageLine> = page
            .lines
            .iter()
            .filter(|l| l.top > 34.0 && l.top < page.height - 45.0)
            .collect();
        // The cover's table of contents repeats every heading's words;
        // the cover is one block, so only later pages are checked.
        if k == 0 {
            continue;
        }
        for (i, line) in body.iter().enumerate() {
            let text = squeeze(&line.text);
            if text.is_empty() || !wanted.contains(&text) {
                continue;
            }
            found_headings += 1;
            let below = body[i + 1..]
                .iter()
                .filter(|l| l.top >= line.bottom - 1.0)
                .count();
            if below < 2 {
                problems.push(format!(
                    "page {}: the heading {:?} is left alone at the foot of the page",
                    k + 1,
                    line.text
                ));
            }
        }
    }
    assert!(
        found_headings * 2 >= wanted.len(),
        "{standard}: only {found_headings} of {} headings were found in the PDF's text",
        wanted.len()
    );
    assert!(problems.is_empty(), "{standard}:\n{}", problems.join("\n"));
}

#[test]
fn board_pack_prints_on_a4_without_stranded_headings() {
    if !(have("chromium", "--version") && have("pdftotext", "-v")) {
        return;
    }
    check_printed_pack("asc958");
    check_printed_pack("jp-npo");
}

/// Reads a CSV file LibreOffice wrote (one sheet).
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// `1,234.50` → `1234.5`; `-0` → `0`: a number as LibreOffice shows it,
/// made comparable with JSON's decimal strings.
fn normal_number(text: &str) -> Option<String> {
    let plain: String = text.chars().filter(|c| *c != ',').collect();
    let value: rust_decimal::Decimal = plain.trim().parse().ok()?;
    Some(value.normalize().to_string())
}

/// The cells of a statement's JSON rows, as text to compare: amounts
/// normalised, text as is, empty as "".
fn json_rows(statement: &serde_json::Value) -> Vec<Vec<String>> {
    statement["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let heading = row["kind"] == "heading";
            let mut cells = vec![row["label"].as_str().unwrap().to_string()];
            for cell in row["cells"].as_array().unwrap() {
                cells.push(match cell.as_str() {
                    _ if heading => String::new(),
                    Some(text) => normal_number(text).unwrap_or_else(|| text.to_string()),
                    None => String::new(),
                });
            }
            cells
        })
        .collect()
}

/// Converts every sheet of `xlsx` to CSV with LibreOffice; returns the
/// sheets' rows.
fn sheets_via_libreoffice(xlsx: &Path, work: &Path) -> Vec<Vec<Vec<String>>> {
    let out = work.join("csv");
    std::fs::create_dir_all(&out).unwrap();
    let converted = Command::new("soffice")
        .arg("--headless")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            work.join("profile").display()
        ))
        // Comma, double quotes, UTF-8, from line 1, ..., every sheet (-1).
        .args([
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1",
            "--outdir",
        ])
        .arg(&out)
        .arg(xlsx)
        .output()
        .expect("soffice runs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "LibreOffice converted nothing: {}",
        String::from_utf8_lossy(&converted.stderr)
    );
    files.iter().map(|f| csv_rows(f)).collect()
}

/// The rows of a converted sheet from its header row on, numbers
/// normalised; `None` when the sheet is not this statement's.
fn table_of(sheet: &[Vec<String>], statement: &serde_json::Value) -> Option<Vec<Vec<String>>> {
    let title = statement["title"].as_str().unwrap();
    let subtitle = statement["subtitle"].as_str().unwrap();
    if sheet.first()?.first()? != title || sheet.get(1)?.first()? != subtitle {
        return None;
    }
    if statement["rows"].as_array()?.is_empty() && statement["columns"].as_array()?.is_empty() {
        // A note of text only: its paragraphs, under the title.
        let paragraphs: Vec<&str> = sheet[2..]
            .iter()
            .filter_map(|r| r.first())
            .map(String::as_str)
            .collect();
        let notes: Vec<&str> = statement["notes"]
            .as_array()?
            .iter()
            .filter_map(|n| n.as_str())
            .collect();
        return (paragraphs == notes).then(Vec::new);
    }
    // The header row follows the title block and its blank line.
    let blank = sheet.iter().position(|r| r.iter().all(String::is_empty))?;
    let header_at = blank + 1;
    if sheet.get(header_at)?.first().map(String::as_str) != statement["label_header"].as_str() {
        return None;
    }
    let width = statement["columns"].as_array()?.len() + 1;
    let rows = statement["rows"].as_array()?.len();
    Some(
        sheet
            .iter()
            .skip(header_at + 1)
            .take(rows)
            .map(|r| {
                let mut cells: Vec<String> = r
                    .iter()
                    .map(|c| normal_number(c).unwrap_or_else(|| c.clone()))
                    .collect();
                cells.resize(width, String::new());
                cells
            })
            .collect(),
    )
}

fn xlsx_matches_json(args: &[&str], statements: &[serde_json::Value]) {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("report.xlsx");
    let mut full = vec!["-C", "ledgers/lifefunds"];
    full.extend(args);
    full.extend(["-o", xlsx.to_str().unwrap()]);
    let result = run(&full);
    assert_eq!(result.code, 0, "{args:?}: {}", result.stderr);
    let sheets = sheets_via_libreoffice(&xlsx, dir.path());
    assert_eq!(
        sheets.len(),
        statements.len(),
        "{args:?}: one sheet per statement"
    );
    let mut unused: Vec<&Vec<Vec<String>>> = sheets.iter().collect();
    for statement in statements {
        let expected = json_rows(statement);
        let position = unused
            .iter()
            .position(|sheet| table_of(sheet, statement).as_ref() == Some(&expected));
        match position {
            Some(k) => {
                unused.remove(k);
            }
            None => panic!(
                "{args:?}: no sheet shows {:?} with the JSON's figures; expected rows {:?}; sheets with that title: {:?}",
                statement["title"],
                expected,
                sheets
                    .iter()
                    .filter(|s| s.first().and_then(|r| r.first()).map(String::as_str)
                        == statement["title"].as_str())
                    .collect::<Vec<_>>()
            ),
        }
    }
}

#[test]
fn every_report_opens_in_libreoffice_with_the_json_figures() {
    if !have("soffice", "--version") {
        return;
    }
    let mut cases: Vec<(&str, Vec<&str>)> = Vec::new();
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
        "donors",
        "annual",
    ] {
        for standard in ["asc958", "jp-npo"] {
            cases.push((
                name,
                vec!["report", name, "--fy", "2000", "--standard", standard],
            ));
        }
    }
    // The statement of activities by quarter: one sheet of period columns.
    for standard in ["asc958", "jp-npo"] {
        cases.push((
            "activities",
            vec![
                "report",
                "activities",
                "--fy",
                "2000",
                "-Q",
                "--standard",
                standard,
            ],
        ));
    }
    for (name, args) in cases {
        let mut json_args = vec!["-C", "ledgers/lifefunds"];
        json_args.extend(&args);
        json_args.extend(["-O", "json"]);
        let json = run(&json_args);
        assert_eq!(json.code, 0, "{}", json.stderr);
        let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        let statements: Vec<serde_json::Value> = if name == "annual" {
            std::iter::once(value["summary"].clone())
                .chain(value["statements"].as_array().unwrap().iter().cloned())
                .chain(value["notes"].as_array().unwrap().iter().cloned())
                .collect()
        } else {
            value.as_array().unwrap().clone()
        };
        xlsx_matches_json(&args, &statements);
    }
}

#[test]
fn output_file_takes_its_format_from_the_extension_and_is_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("funds.csv");
    std::fs::write(&csv, "old contents").unwrap();
    let result = run(&[
        "-C",
        "ledgers/lifefunds",
        "funds",
        "--fy",
        "2000",
        "-o",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stdout.is_empty());
    let written = std::fs::read_to_string(&csv).unwrap();
    let expected = run(&[
        "-C",
        "ledgers/lifefunds",
        "funds",
        "--fy",
        "2000",
        "-O",
        "csv",
    ]);
    assert_eq!(written, expected.stdout);
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1);
    // -O wins over the extension.
    let result = run(&[
        "-C",
        "ledgers/lifefunds",
        "funds",
        "--fy",
        "2000",
        "-O",
        "json",
        "-o",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(result.code, 0);
    assert!(std::fs::read_to_string(&csv).unwrap().starts_with('{'));
    // A format the command cannot write is a usage error, and the file
    // stays as it was.
    let result = run(&[
        "-C",
        "ledgers/lifefunds",
        "balance",
        "-o",
        dir.path().join("b.html").to_str().unwrap(),
    ]);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("cannot write html"),
        "{}",
        result.stderr
    );
    assert!(!dir.path().join("b.html").exists());
    // A missing directory is an I/O error (exit 2).
    let result = run(&[
        "-C",
        "ledgers/lifefunds",
        "balance",
        "-o",
        dir.path().join("no/such/dir.txt").to_str().unwrap(),
    ]);
    assert_eq!(result.code, 2);
}

#[test]
fn japanese_csv_starts_with_a_byte_order_mark_unless_refused() {
    let args = [
        "-C",
        "ledgers/lifefunds",
        "report",
        "activities",
        "--fy",
        "2000",
        "--standard",
        "jp-npo",
        "-O",
        "csv",
    ];
    let with = run(&args);
    assert!(with.stdout.starts_with('\u{feff}'));
    let mut refused = args.to_vec();
    refused.push("--no-bom");
    assert!(!run(&refused).stdout.starts_with('\u{feff}'));
    let english = run(&[
        "-C",
        "ledgers/lifefunds",
        "report",
        "activities",
        "--fy",
        "2000",
        "-O",
        "csv",
    ]);
    assert!(!english.stdout.starts_with('\u{feff}'));
    let asked = run(&[
        "-C",
        "ledgers/lifefunds",
        "report",
        "activities",
        "--fy",
        "2000",
        "-O",
        "csv",
        "--bom",
    ]);
    assert!(asked.stdout.starts_with('\u{feff}'));
}

#[test]
fn a_closed_year_is_not_marked_draft() {
    // A ledger of its own (the example's years may be closed).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fundledger.toml"),
        "organisation = \"Mini\"\nbase_currency = \"JPY\"\nfiscal_year_start = \"04-01\"\njournal = \"main.ledger\"\n\n[account_classes]\nAssets = \"assets\"\nIncome = \"income\"\nExpenses = \"expenses\"\nNetAssets = \"net-assets\"\n\n[[commodities]]\nsymbol = \"JPY\"\nprecision = 0\n\n[[funds]]\nid = \"General\"\nname = \"General fund\"\nrestriction = \"unrestricted\"\ndefault = true\n",
    )
    .unwrap();
    let gift = "2000-04-01 Gift\n    Assets:Cash  100 JPY\n    Income:Gifts\n";
    std::fs::write(dir.path().join("main.ledger"), gift).unwrap();
    let annual = |format: &str| {
        crate::util::run_in(
            dir.path(),
            &["report", "annual", "--fy", "2000", "-O", format],
        )
    };
    let draft = annual("json");
    assert_eq!(draft.code, 0, "{}", draft.stderr);
    let before: serde_json::Value = serde_json::from_str(&draft.stdout).unwrap();
    assert_eq!(before["provenance"]["closed"], false);
    // The binary takes the digest of this one-file journal while it loads
    // it: the same digest the library takes of the loaded journal.
    let loaded =
        fundledger_core::load(fundledger_core::open_ledger_dir(dir.path()).unwrap()).unwrap();
    assert_eq!(
        before["provenance"]["digest"],
        fundledger_core::reports::annual::journal_digest(&loaded.journal).unwrap()
    );
    assert!(annual("html").stdout.contains("not audited"));
    // `fundledger close` records the close as a transaction tagged with
    // the year it closes (`close: FY2000`).
    let close = crate::util::run_in(
        dir.path(),
        &["close", "--fy", "2000", "--force", "--on", "2001-04-30"],
    );
    assert_eq!(close.code, 0, "{}", close.stderr);
    let closed = annual("json");
    assert_eq!(closed.code, 0, "{}", closed.stderr);
    let after: serde_json::Value = serde_json::from_str(&closed.stdout).unwrap();
    assert_eq!(after["provenance"]["closed"], true);
    // The digest names the journal as it now is.
    assert_ne!(
        after["provenance"]["digest"],
        before["provenance"]["digest"]
    );
    assert!(!annual("html").stdout.contains("not audited"));
    // It closes FY2000 only.
    let fy2001 = crate::util::run_in(
        dir.path(),
        &["report", "annual", "--fy", "2001", "-O", "json"],
    );
    if fy2001.code == 0 {
        let value: serde_json::Value = serde_json::from_str(&fy2001.stdout).unwrap();
        assert_eq!(value["provenance"]["closed"], false);
    }
}

#[test]
fn colour_is_asked_for_or_refused() {
    let bad = root().join("tests/errors/E201-unbalanced.ledger");
    let bad = bad.to_str().unwrap();
    let always = run(&["-f", bad, "--color", "always", "check"]);
    assert_eq!(always.code, 1);
    assert!(
        always.stderr.contains("\u{1b}[1;31merror\u{1b}[0m["),
        "{}",
        always.stderr
    );
    // Not a terminal (auto), or never: plain text.
    for args in [
        vec!["-f", bad, "check"],
        vec!["-f", bad, "--color", "never", "check"],
    ] {
        let plain = run(&args);
        assert_eq!(plain.code, 1);
        assert!(!plain.stderr.contains('\u{1b}'), "{}", plain.stderr);
    }
}

#[test]
fn register_fits_the_width_it_is_given() {
    // Not a terminal and no COLUMNS: nothing is cut.
    let wide = run(&[
        "-C",
        "ledgers/lifefunds",
        "register",
        "Liabilities:MemberLoans",
    ]);
    assert!(!wide.stdout.contains('…'));
    let fitted = Command::new(env!("CARGO_BIN_EXE_fundledger"))
        .args([
            "-C",
            "ledgers/lifefunds",
            "register",
            "Liabilities:MemberLoans",
        ])
        .current_dir(root())
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let text = String::from_utf8(fitted.stdout).unwrap();
    let longest = wide
        .stdout
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap();
    assert!(longest > 100, "the example's register is {longest} wide");
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "{line:?} is wider than 100");
    }
    assert!(text.contains('…'));
    assert!(
        text.contains("-1,400,000"),
        "amounts keep their digits grouped"
    );
}

#[test]
fn journal_views_open_in_libreoffice_with_the_json_figures() {
    if !have("soffice", "--version") {
        return;
    }
    for args in [
        vec!["balance", "--by-fund"],
        vec!["register", "--fy", "2000"],
        vec!["accounts"],
        vec!["funds", "--fy", "2000"],
    ] {
        let mut json_args = vec!["-C", "ledgers/lifefunds"];
        json_args.extend(&args);
        json_args.extend(["-O", "json"]);
        let json = run(&json_args);
        assert_eq!(json.code, 0, "{}", json.stderr);
        let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        let rows = value["rows"].as_array().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let xlsx = dir.path().join("view.xlsx");
        let mut xlsx_args = vec!["-C", "ledgers/lifefunds"];
        xlsx_args.extend(&args);
        xlsx_args.extend(["-o", xlsx.to_str().unwrap()]);
        let written = run(&xlsx_args);
        assert_eq!(written.code, 0, "{}", written.stderr);
        let sheets = sheets_via_libreoffice(&xlsx, dir.path());
        assert_eq!(sheets.len(), 1);
        let (header, body) = sheets[0].split_first().unwrap();
        assert_eq!(body.len(), rows.len(), "{args:?}: one line per JSON row");
        for (line, row) in body.iter().zip(rows) {
            for (column, key) in header.iter().enumerate() {
                let expected = match &row[key] {
                    serde_json::Value::String(s) => normal_number(s).unwrap_or_else(|| s.clone()),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    serde_json::Value::Null => String::new(),
                    other => panic!("{args:?}: {key} is {other}"),
                };
                let cell = line.get(column).cloned().unwrap_or_default();
                let shown = normal_number(&cell).unwrap_or(cell);
                assert_eq!(shown, expected, "{args:?}: {key} of {row}");
            }
        }
    }
}
