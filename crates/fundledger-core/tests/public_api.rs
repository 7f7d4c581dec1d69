//! The public API, recorded: a listing of every `pub` item (and enum
//! variant) of the public modules, from a scan of their source, compared
//! with `public-api.txt`. A change to the API shows up in review as a diff
//! of that file; regenerate it with
//! `UPDATE_PUBLIC_API=1 cargo test -p fundledger-core --test public_api`.
//!
//! The scan follows `lib.rs`: each `pub mod NAME;` (and every module
//! declared inside a public module, since its items may be re-exported),
//! skipping `#[cfg(test)]` modules. Each item is its first line up to `{`
//! or `;`, so a changed signature changes the listing. (`cargo
//! public-api` would read rustdoc's JSON, which needs a nightly compiler.)

use std::path::{Path, PathBuf};

/// The listing of one file, and of the modules it declares.
fn scan(file: &Path, public: bool, out: &mut String) {
    let Ok(text) = std::fs::read_to_string(file) else {
        return;
    };
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let relative = file.strip_prefix(&src).unwrap_or(file);
    out.push_str(&format!("## {}\n", relative.display()));
    let dir = if file
        .file_name()
        .is_some_and(|n| n == "mod.rs" || n == "lib.rs")
    {
        file.parent().unwrap().to_path_buf()
    } else {
        file.with_extension("")
    };
    let mut children: Vec<(PathBuf, bool)> = Vec::new();
    let mut in_enum = false;
    let mut skip_next_item = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]" {
            skip_next_item = true;
            continue;
        }
        if skip_next_item {
            if trimmed.starts_with("#[") {
                continue;
            }
            skip_next_item = false;
            if trimmed.starts_with("mod ") || trimmed.starts_with("pub mod ") {
                if trimmed.ends_with('{') {
                    break; // an inline test module: the end of the file
                }
                continue;
            }
        }
        let indent = line.len() - line.trim_start().len();
        if in_enum {
            if indent == 0 && trimmed.starts_with('}') {
                in_enum = false;
            } else if indent == 4
                && trimmed.starts_with(|c: char| c.is_ascii_uppercase())
                && !trimmed.starts_with("///")
            {
                let variant: String = trimmed
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push_str(&format!("    variant {variant}\n"));
            }
        }
        let Some(rest) = trimmed.strip_prefix("pub ") else {
            if indent == 0 {
                if let Some(name) = trimmed
                    .strip_prefix("mod ")
                    .and_then(|r| r.strip_suffix(';'))
                {
                    children.push((module_file(&dir, name), false));
                }
            }
            continue;
        };
        if indent == 0 {
            if let Some(name) = rest.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                children.push((module_file(&dir, name), true));
            }
            if rest.starts_with("enum ") {
                in_enum = true;
            }
            children.extend(
                reexported_modules(&dir, rest)
                    .into_iter()
                    .map(|file| (file, true)),
            );
        }
        let item = trimmed
            .split_once(" {")
            .map_or(trimmed, |(head, _)| head)
            .trim_end_matches([';', ',', '{', ' ']);
        out.push_str(&format!("{}{item}\n", " ".repeat(indent)));
    }
    for (child, child_public) in children {
        if public || child_public {
            scan(&child, true, out);
        }
    }
}

/// The files of the modules a `pub use FOLDER::{a, b};` (or `pub use
/// FOLDER::a;`) re-exports from a private folder module: `lib.rs` makes
/// public that way the modules that live in the pipeline's folders.
fn reexported_modules(dir: &Path, rest: &str) -> Vec<PathBuf> {
    let Some(path) = rest.strip_prefix("use ").map(|r| r.trim_end_matches(';')) else {
        return Vec::new();
    };
    let Some((folder, names)) = path.split_once("::") else {
        return Vec::new();
    };
    let folder = dir.join(folder);
    if !folder.join("mod.rs").is_file() {
        return Vec::new();
    }
    names
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty() && !name.contains("::"))
        .map(|name| module_file(&folder, name))
        .filter(|file| file.is_file())
        .collect()
}

fn module_file(dir: &Path, name: &str) -> PathBuf {
    let flat = dir.join(format!("{name}.rs"));
    if flat.is_file() {
        flat
    } else {
        dir.join(name).join("mod.rs")
    }
}

/// The listing of the public API.
fn listing() -> String {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let mut out = String::new();
    // lib.rs itself: its re-exports and public modules; private modules
    // are followed only from public ones.
    scan(&lib, false, &mut out);
    out
}

#[test]
fn the_public_api_is_the_recorded_one() {
    let recorded_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("public-api.txt");
    let current = listing();
    if std::env::var_os("UPDATE_PUBLIC_API").is_some() {
        std::fs::write(&recorded_path, &current).unwrap();
        return;
    }
    let recorded = std::fs::read_to_string(&recorded_path).unwrap_or_default();
    if recorded != current {
        let diff: Vec<String> = diff_lines(&recorded, &current);
        panic!(
            "the public API changed (regenerate public-api.txt with UPDATE_PUBLIC_API=1 and review the diff):\n{}",
            diff.join("\n")
        );
    }
}

/// Lines only in `old` (`-`) or only in `new` (`+`).
fn diff_lines(old: &str, new: &str) -> Vec<String> {
    let old_lines: std::collections::BTreeSet<&str> = old.lines().collect();
    let new_lines: std::collections::BTreeSet<&str> = new.lines().collect();
    old_lines
        .difference(&new_lines)
        .map(|l| format!("- {l}"))
        .chain(new_lines.difference(&old_lines).map(|l| format!("+ {l}")))
        .collect()
}

#[test]
fn the_listing_sees_the_entry_points_and_not_the_internals() {
    let listing = listing();
    for expected in [
        "pub use load::{load, load_text, LoadError, Loaded}",
        "pub fn statements(",
        "pub struct Filter",
        "## model/diagnostic.rs",
        "## write_path/import.rs",
        "## load/mod.rs",
        "    variant Activities",
    ] {
        assert!(listing.contains(expected), "{expected} missing");
    }
    for internal in [
        "## read/fastpath.rs",
        "## render/text.rs",
        "## read/source.rs",
        "## load/checks.rs",
    ] {
        assert!(!listing.contains(internal), "{internal} listed");
    }
}
