//! Issue 17: diagnostics as data (`check -O json`), completions and the
//! manual page, and no panic anywhere on untrusted text now that the
//! library catches none.

use crate::util::{root, run};

#[test]
fn check_json_prints_one_object_per_diagnostic_and_line() {
    let result = run(&[
        "-C",
        "tests/errors/E303-unknown-fund",
        "check",
        "-O",
        "json",
    ]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let objects: Vec<serde_json::Value> = result
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(objects.len(), 2, "{}", result.stdout);
    for (object, line) in objects.iter().zip([2, 3]) {
        assert_eq!(object["code"], "E303");
        assert_eq!(object["severity"], "error");
        assert_eq!(
            object["file"],
            "tests/errors/E303-unknown-fund/journal.ledger"
        );
        assert_eq!(object["line"], line);
        // The fund name `FoodAide` is at columns 51 to 58.
        assert_eq!(object["column_start"], 51);
        assert_eq!(object["column_end"], 59);
        assert_eq!(object["message"], "unknown fund \"FoodAide\"");
        assert!(object["expected"]
            .as_str()
            .unwrap()
            .starts_with("one of the funds"));
        assert!(object["found"].is_null());
        assert_eq!(object["excerpt"][0]["line"], 1);
    }
    assert!(
        result.stderr.contains("2 error(s), 0 warning(s)"),
        "{}",
        result.stderr
    );
    // A clean journal: no line at all, exit 0.
    let clean = run(&["-C", "ledgers/lifefunds", "check", "-O", "json"]);
    assert_eq!(
        (clean.code, clean.stdout.as_str()),
        (0, ""),
        "{}",
        clean.stderr
    );
    // check writes text or JSON only.
    assert_eq!(
        run(&["-C", "ledgers/lifefunds", "check", "-O", "csv"]).code,
        2
    );
}

#[test]
fn colour_follows_the_color_flag() {
    let args = |colour| {
        run(&[
            "-f",
            "tests/errors/E201-unbalanced.ledger",
            "--color",
            colour,
            "check",
        ])
    };
    let coloured = args("always");
    assert!(
        coloured.stderr.contains("\u{1b}[1;31merror\u{1b}[0m[E201]"),
        "{}",
        coloured.stderr
    );
    let plain = args("never");
    assert!(!plain.stderr.contains('\u{1b}'), "{}", plain.stderr);
    // Carets under the offending line.
    assert!(plain.stderr.contains("  | ^^^^"), "{}", plain.stderr);
}

#[test]
fn completions_and_the_manual_page() {
    for (shell, marker) in [
        ("bash", "_fundledger()"),
        ("zsh", "#compdef fundledger"),
        ("fish", "complete -c fundledger"),
    ] {
        let result = run(&["completions", shell]);
        assert_eq!(result.code, 0, "{}", result.stderr);
        assert!(result.stdout.contains(marker), "{shell}");
        assert!(
            result.stdout.contains("reconcile"),
            "{shell}: the subcommands"
        );
    }
    let man = run(&["man"]);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(man.stdout.contains(".TH fundledger 1"), "{}", man.stdout);
    assert!(man.stdout.contains("reconcile"));
}

/// The library catches no panic any more, so a panic anywhere in loading
/// (ledger-parser's included) would end the process with exit code 101,
/// as `panic = "abort"` would abort it. Every fuzz seed must load or fail
/// with diagnostics (exit 0 or 1).
#[test]
fn no_fuzz_seed_panics_the_uncaught_loader() {
    let mut seeds = Vec::new();
    for folder in ["fuzz/seeds/load", "fuzz/seeds/differential"] {
        for entry in std::fs::read_dir(root().join(folder)).unwrap() {
            seeds.push(entry.unwrap().path());
        }
    }
    assert!(seeds.len() > 30, "{} seeds", seeds.len());
    for seed in seeds {
        let result = run(&["-f", seed.to_str().unwrap(), "check"]);
        assert_fine_or_refused(&seed, &result);
    }
}

/// `result`, of a command given `seed`, ended well (0) or refused the data
/// (1), never by a panic.
fn assert_fine_or_refused(seed: &std::path::Path, result: &crate::util::Run) {
    assert!(
        matches!(result.code, 0 | 1),
        "{}: exit {}\n{}",
        seed.display(),
        result.code,
        result.stderr
    );
    assert!(!result.stderr.contains("panicked"), "{}", seed.display());
}

/// Every import seed (the first byte picks donations, even, or sales, odd;
/// the rest is the CSV file) imports, as a dry run under the example
/// ledger's settings and donor register, or is refused with located
/// problems (exit 0 or 1), never a panic; and writes nothing (the journal,
/// the register and the directory as they were).
#[test]
fn no_import_seed_panics_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let settings = std::fs::read_to_string(root().join("ledgers/lifefunds/fundledger.toml"))
        .unwrap()
        .replace("journal = \"main.ledger\"", "journal = \"journal.ledger\"");
    std::fs::write(dir.path().join("fundledger.toml"), settings).unwrap();
    std::fs::copy(
        root().join("ledgers/lifefunds/donors.csv"),
        dir.path().join("donors.csv"),
    )
    .unwrap();
    std::fs::write(dir.path().join("journal.ledger"), "").unwrap();
    let csv = dir.path().join("in.csv");
    let donors = std::fs::read(dir.path().join("donors.csv")).unwrap();
    let mut seeds = 0;
    let mut imported = 0;
    for entry in std::fs::read_dir(root().join("fuzz/seeds/import")).unwrap() {
        let seed = entry.unwrap().path();
        let bytes = std::fs::read(&seed).unwrap();
        let Some((&pick, file)) = bytes.split_first() else {
            continue;
        };
        seeds += 1;
        std::fs::write(&csv, file).unwrap();
        let kind = if pick % 2 == 0 { "donations" } else { "sales" };
        let result = run(&[
            "-C",
            dir.path().to_str().unwrap(),
            "import",
            kind,
            csv.to_str().unwrap(),
            "--dry-run",
        ]);
        assert_fine_or_refused(&seed, &result);
        if result.code == 0 {
            imported += 1;
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("journal.ledger")).unwrap(),
            ""
        );
        assert_eq!(
            std::fs::read(dir.path().join("donors.csv")).unwrap(),
            donors
        );
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["donors.csv", "fundledger.toml", "in.csv", "journal.ledger"],
            "{}",
            seed.display()
        );
    }
    assert!(
        seeds >= 4 && imported >= 3,
        "{seeds} seeds, {imported} imported"
    );
}

/// What the crate docs promise: no panic hook, and `catch_unwind` only
/// around std's directory handle in the write path.
#[test]
fn the_library_installs_no_panic_hook_and_catches_no_parser_panic() {
    let src = root().join("crates/fundledger-core/src");
    let mut files = vec![src.clone()];
    let mut catching = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for hook in ["set_hook", "take_hook"] {
            assert!(!code.contains(hook), "{}: {hook}", path.display());
        }
        // Tests may catch a panic to prove there is none.
        let before_tests = code.split("#[cfg(test)]").next().unwrap_or("");
        if before_tests.contains("catch_unwind") {
            catching.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert_eq!(catching, ["write.rs"]);
}
