//! ARCHITECTURE.md's code map and the tree of `src/` cannot drift apart:
//! every `.rs` file under `crates/fundledger-core/src` is named in the
//! code map of the library (`folder/file.rs` in backticks; a folder's
//! `mod.rs` may be named by its folder, `folder/`), and every
//! `folder/file.rs` the map names in a folder of `src/` exists.

use std::path::{Path, PathBuf};

/// The library's part of the code map: from its heading to the next
/// heading of the same level.
fn code_map(architecture: &str) -> &str {
    let start = architecture
        .find("### `crates/fundledger-core`")
        .expect("ARCHITECTURE.md has no code map for crates/fundledger-core");
    let rest = &architecture[start + 4..];
    let end = rest.find("\n### ").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

/// Every `.rs` file under `dir`, as a path relative to `root` with `/`.
fn rust_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap();
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
}

/// The files of `files` the map does not name.
fn unnamed<'f>(map: &str, files: &'f [String]) -> Vec<&'f str> {
    files
        .iter()
        .map(String::as_str)
        .filter(|file| {
            let by_folder = file
                .strip_suffix("mod.rs")
                .is_some_and(|folder| !folder.is_empty() && map.contains(&format!("`{folder}`")));
            !by_folder && !map.contains(&format!("`{file}`"))
        })
        .collect()
}

/// The `folder/file.rs` names in backticks that the map gives for a folder
/// in `folders` but that are not in `files`.
fn missing<'m>(map: &'m str, folders: &[String], files: &[String]) -> Vec<&'m str> {
    map.split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| {
            name.ends_with(".rs")
                && name
                    .split_once('/')
                    .is_some_and(|(folder, _)| folders.iter().any(|f| f == folder))
                && !files.iter().any(|f| f == name)
        })
        .collect()
}

#[test]
fn the_code_map_names_every_source_file() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let architecture =
        std::fs::read_to_string(manifest.join("../../ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let map = code_map(&architecture);
    let src = manifest.join("src");
    let mut files = Vec::new();
    rust_files(&src, &src, &mut files);
    assert!(files.len() > 40, "the scan found only {files:?}");
    let unnamed = unnamed(map, &files);
    assert!(
        unnamed.is_empty(),
        "ARCHITECTURE.md's code map does not name {unnamed:?}: add each, in its folder's section"
    );
    let folders: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let missing = missing(map, &folders, &files);
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map names files that do not exist: {missing:?}"
    );
}

#[test]
fn the_check_sees_a_file_left_out_and_a_file_gone() {
    let files = vec![
        "lib.rs".to_string(),
        "read/mod.rs".to_string(),
        "read/source.rs".to_string(),
        "model/mod.rs".to_string(),
        "model/money.rs".to_string(),
    ];
    let map = "- `lib.rs`: root\n#### `read/`: the reader\n- `read/source.rs`: files\n\
               - `model/mod.rs`\n- `model/gone.rs`: moved away\n";
    assert_eq!(unnamed(map, &files), ["model/money.rs"]);
    let folders = vec!["read".to_string(), "model".to_string()];
    assert_eq!(missing(map, &folders, &files), ["model/gone.rs"]);
    let section = code_map("# A\n### `crates/fundledger-core` (the library)\n- `lib.rs`\n### `crates/cli`\n- `main.rs`\n");
    assert!(section.contains("`lib.rs`") && !section.contains("main.rs"));
}
