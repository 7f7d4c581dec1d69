//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The run as one text for snapshots: exit code, stdout, stderr.
    pub fn transcript(&self) -> String {
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `fundledger ARGS` in `dir` with a clean environment.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_fundledger"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        // Reports say when they were generated: a fixed day, so that the
        // golden reports reproduce byte for byte.
        .env("SOURCE_DATE_EPOCH", "1796083200")
        .output()
        .expect("the fundledger binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `fundledger ARGS` from the repository root.
pub fn run(args: &[&str]) -> Run {
    run_in(&root(), args)
}

/// True when running under CI (`CI` is set), where tools the tests need must
/// be installed rather than skipped.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Whether an external tool is on PATH; in CI its absence fails the test.
pub fn tool_available(name: &str) -> bool {
    tool_runs(name, "--version")
}

/// Whether `name FLAG` runs (`pdftotext -v`: not every tool knows
/// `--version`); in CI its absence fails the test.
pub fn tool_runs(name: &str, flag: &str) -> bool {
    let found = Command::new(name)
        .arg(flag)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && in_ci() {
        panic!("{name} is not installed; .ci/run installs it (apt-get install {name})");
    }
    if !found {
        eprintln!("skipping: {name} is not installed (CI installs it and fails without it)");
    }
    found
}

/// A proptest configuration running `cases` cases that keeps the seed of
/// every failure in `tests/NAME.proptest-regressions` beside the test's
/// source (proptest's default looks for a `lib.rs` or `main.rs`, which an
/// integration test binary rooted at `tests/tests.rs` does not have, so
/// failures were not saved), to be re-run first on every later run.
pub fn proptest_config(cases: u32) -> proptest::prelude::ProptestConfig {
    proptest::prelude::ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..proptest::prelude::ProptestConfig::default()
    }
}
