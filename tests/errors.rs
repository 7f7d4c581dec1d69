//! One reproducer per diagnostic code (`tests/errors/CODE-name.ledger`, or a
//! directory with a `fundledger.toml`), each checked and snapshotted.

use fundledger_core::{Code, Severity};

use crate::util::{root, run, run_in};

fn reproducers() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("tests/errors")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        out.push((name.clone(), format!("tests/errors/{name}")));
    }
    out.sort();
    out
}

#[test]
fn every_code_has_a_reproducer() {
    let names: Vec<String> = reproducers().into_iter().map(|(n, _)| n).collect();
    for code in Code::ALL {
        assert!(
            names.iter().any(|n| n.starts_with(code.as_str())),
            "no reproducer for {code} ({}) in tests/errors",
            code.title()
        );
    }
}

#[test]
fn each_reproducer_reports_its_code() {
    for (name, path) in reproducers() {
        let code_text = &name[..4];
        let code = Code::ALL
            .iter()
            .find(|c| c.as_str() == code_text)
            .unwrap_or_else(|| panic!("{name}: unknown code"));
        let dir = root().join(&path);
        let command = dir.join("command");
        let result = if command.is_file() {
            // A reproducer for a command other than check, run inside its
            // directory: `command` holds its arguments, one per line.
            let text = std::fs::read_to_string(&command).unwrap();
            let mut args = vec!["-C", "."];
            args.extend(text.lines().filter(|l| !l.is_empty()));
            let before = std::fs::read(dir.join("journal.ledger")).unwrap();
            let result = run_in(&dir, &args);
            let after = std::fs::read(dir.join("journal.ledger")).unwrap();
            assert_eq!(after, before, "{name}: the journal changed");
            result
        } else if dir.is_dir() {
            run(&["-C", &path, "check"])
        } else {
            run(&["-f", &path, "check"])
        };
        let marker = format!("[{code_text}]");
        assert!(
            result.stderr.contains(&marker),
            "{name}: expected {marker} in\n{}",
            result.stderr
        );
        let expected_exit = match code.severity() {
            Severity::Error => 1,
            Severity::Warning => 0,
        };
        assert_eq!(
            result.code, expected_exit,
            "{name}: exit code\n{}",
            result.stderr
        );
        // Every diagnostic line names the file and line it is about.
        for line in result
            .stderr
            .lines()
            .filter(|l| l.contains("error[") || l.contains("warning["))
        {
            let location = line.split(": ").next().unwrap();
            assert!(
                location
                    .rsplit_once(':')
                    .is_some_and(|(_, n)| n.parse::<u32>().is_ok()),
                "{name}: no file:line in {line:?}"
            );
        }
        insta::assert_snapshot!(name.clone(), result.transcript());
    }
}

#[test]
fn check_reports_every_error_not_only_the_first() {
    let text = std::fs::read_to_string(root().join("tests/errors/E201-unbalanced.ledger")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.ledger");
    let many = format!("{text}\n{text}\n2000-04-06 x\n    A  1 JPY\n    B  1 JPY\n\n2000-04-07 y\n    Assets:Cash  1 JPY\n    Income:Gifts\n");
    std::fs::write(&path, many).unwrap();
    let result = run(&["-f", path.to_str().unwrap(), "check"]);
    assert_eq!(result.code, 1);
    assert_eq!(
        result.stderr.matches("error[E201]").count(),
        3,
        "{}",
        result.stderr
    );
    assert!(
        result.stderr.contains("1 transactions"),
        "the good transaction still loads: {}",
        result.stderr
    );
}
