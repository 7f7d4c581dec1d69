//! The donor register: who gives, kept apart from the journal.
//!
//! Donors live in `donors.csv` beside `fundledger.toml`, one row each:
//!
//! ```text
//! id,name,kana,address,email,category,consent,label
//! D001,佐藤 花子,サトウ ハナコ,東京都新宿区…,hanako@example.jp,foster-parent,yes,Foster parent 1
//! ```
//!
//! Transactions name a donor only by id (`; donor: D001`), so personal data
//! (name, address, email) never stands in the journal text, and a report
//! shows it only when asked ([`Donor::display_name`]). `label` is the public
//! name a report shows otherwise; without one, a donor who consented is
//! named, and any other is shown by id.
//!
//! Every error names the file, row and column ([`Code::DonorRegister`]).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

use crate::diagnostic::{Code, Diagnostic, Location};

/// The register's file name, beside `fundledger.toml`.
pub const DONORS_FILE_NAME: &str = "donors.csv";

/// The register's columns, in the order they are written.
pub const DONOR_COLUMNS: [&str; 8] = [
    "id", "name", "kana", "address", "email", "category", "consent", "label",
];

/// What kind of giver a donor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DonorCategory {
    /// A private person.
    Individual,
    /// A company or other body.
    Corporate,
    /// A member of the organisation (正会員).
    Member,
    /// A foster parent of the foster-parent scheme.
    FosterParent,
    /// A giver whose name the organisation does not hold.
    Anonymous,
}

impl DonorCategory {
    /// Every category, in the order reports list them.
    pub const ALL: [DonorCategory; 5] = [
        DonorCategory::Individual,
        DonorCategory::Corporate,
        DonorCategory::Member,
        DonorCategory::FosterParent,
        DonorCategory::Anonymous,
    ];

    /// The category as written in `donors.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            DonorCategory::Individual => "individual",
            DonorCategory::Corporate => "corporate",
            DonorCategory::Member => "member",
            DonorCategory::FosterParent => "foster-parent",
            DonorCategory::Anonymous => "anonymous",
        }
    }

    /// Reads a category as written in `donors.csv` (case-insensitive).
    pub fn parse(text: &str) -> Option<DonorCategory> {
        let text = text.trim();
        DonorCategory::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for DonorCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One donor.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Donor {
    /// The id transactions name in their `donor:` tag.
    pub id: String,
    /// The donor's name (personal data).
    pub name: String,
    /// The name's reading in katakana or hiragana, when known.
    pub kana: Option<String>,
    /// The postal address (personal data).
    pub address: Option<String>,
    /// The e-mail address (personal data).
    pub email: Option<String>,
    /// What kind of giver the donor is.
    pub category: DonorCategory,
    /// Whether the donor agreed to be named in public reports.
    pub consents_to_be_named: bool,
    /// The name a public report shows instead of the donor's own.
    pub label: Option<String>,
    /// The 1-based line of the donor's row in `donors.csv`.
    pub line: u32,
}

impl Donor {
    /// The name a report shows: the donor's own name with personal data,
    /// otherwise the declared label, the name when the donor consented to be
    /// named, or else the id.
    pub fn display_name(&self, with_personal_data: bool) -> &str {
        if with_personal_data {
            return &self.name;
        }
        match &self.label {
            Some(label) => label,
            None if self.consents_to_be_named && self.category != DonorCategory::Anonymous => {
                &self.name
            }
            None => &self.id,
        }
    }

    /// True when the register holds the donor's name and address, which the
    /// public support test requires to count a donor.
    pub fn is_identified(&self) -> bool {
        self.category != DonorCategory::Anonymous
            && !self.name.trim().is_empty()
            && self
                .address
                .as_deref()
                .is_some_and(|a| !a.trim().is_empty())
    }
}

/// The donors of a ledger, in the order of their rows.
#[derive(Clone, Debug, Default)]
pub struct DonorRegister {
    /// The file the register was read from (it may not exist yet).
    path: PathBuf,
    donors: Vec<Donor>,
    by_id: HashMap<String, usize>,
    by_folded_name: HashMap<String, Vec<usize>>,
}

impl DonorRegister {
    /// The register beside `settings_dir`'s `fundledger.toml`: empty when
    /// there is no `donors.csv`; every error in it, located, otherwise.
    pub fn load(settings_dir: &Path) -> Result<DonorRegister, Vec<Diagnostic>> {
        let path = settings_dir.join(DONORS_FILE_NAME);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|e| {
                    let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count();
                    vec![
                        Diagnostic::new(Code::DonorRegister, "the donor register is not UTF-8")
                            .at(Location {
                                path: path.clone(),
                                line: u32::try_from(line).unwrap_or(u32::MAX),
                            })
                            .expected("a UTF-8 CSV file (save it as \"CSV UTF-8\")"),
                    ]
                })?;
                DonorRegister::parse(&path, &text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DonorRegister {
                path,
                ..DonorRegister::default()
            }),
            Err(e) => Err(vec![Diagnostic::new(
                Code::DonorRegister,
                format!("cannot read the donor register: {e}"),
            )
            .at(Location { path, line: 1 })]),
        }
    }

    /// Reads a register from the text of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<DonorRegister, Vec<Diagnostic>> {
        let lines: Vec<&str> = text.lines().collect();
        let problem = |line: u64, message: String| {
            let line = u32::try_from(line).unwrap_or(u32::MAX);
            let excerpt = lines
                .get((line as usize).saturating_sub(1))
                .map(|l| vec![(line, l.to_string())])
                .unwrap_or_default();
            Diagnostic::new(Code::DonorRegister, message)
                .at(Location {
                    path: path.to_path_buf(),
                    line,
                })
                .with_excerpt(excerpt)
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header: Vec<String> = match records.next() {
            Some(Ok(header)) => header
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
                .collect(),
            Some(Err(e)) => {
                let line = e.position().map(|p| p.line()).unwrap_or(1);
                return Err(vec![problem(
                    line,
                    format!("cannot read the header row: {e}"),
                )]);
            }
            None => {
                return Err(vec![problem(
                    1,
                    "the donor register has no header row".into(),
                )
                .expected(format!("a header row: {}", DONOR_COLUMNS.join(",")))])
            }
        };
        let column = |name: &str| header.iter().position(|h| h == name);
        let mut problems = Vec::new();
        for name in ["id", "name", "category"] {
            if column(name).is_none() {
                problems.push(
                    problem(1, format!("no column `{name}`"))
                        .found(format!("the columns {}", header.join(",")))
                        .expected(format!("a header row: {}", DONOR_COLUMNS.join(","))),
                );
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut register = DonorRegister {
            path: path.to_path_buf(),
            ..DonorRegister::default()
        };
        for record in records {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(1);
                    problems.push(problem(line, format!("cannot read the row: {e}")));
                    continue;
                }
            };
            let line = record.position().map(|p| p.line()).unwrap_or(1);
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let field = |name: &str| {
                column(name)
                    .and_then(|c| record.get(c))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            let at_column =
                |name: &str, message: String| problem(line, format!("column `{name}`: {message}"));
            let Some(id) = field("id") else {
                problems.push(
                    at_column("id", "no donor id".into()).expected(
                        "an id that transactions name in their `donor:` tag, such as D001",
                    ),
                );
                continue;
            };
            if let Some(bad) = id.chars().find(|c| {
                c.is_whitespace() || crate::diagnostic::is_forbidden_char(*c) || *c == ','
            }) {
                problems.push(
                    at_column("id", format!("the id {id:?} holds {bad:?}"))
                        .expected("an id without spaces, commas or control characters"),
                );
                continue;
            }
            let category_text = field("category").unwrap_or_default();
            let Some(category) = DonorCategory::parse(&category_text) else {
                problems.push(
                    at_column("category", format!("unknown category {category_text:?}")).expected(
                        format!(
                            "one of {}",
                            DonorCategory::ALL.map(|c| c.as_str()).join(", ")
                        ),
                    ),
                );
                continue;
            };
            let name = field("name").unwrap_or_default();
            if name.is_empty() && category != DonorCategory::Anonymous {
                problems.push(
                    at_column("name", format!("donor {id} has no name"))
                        .expected("the donor's name, or the category `anonymous`"),
                );
                continue;
            }
            let consent_text = field("consent").unwrap_or_default();
            let consents_to_be_named = match consent_text.to_ascii_lowercase().as_str() {
                "yes" | "y" | "true" => true,
                "" | "no" | "n" | "false" => false,
                other => {
                    problems.push(
                        at_column("consent", format!("{other:?} is not yes or no"))
                            .expected("yes (the donor may be named in public reports) or no"),
                    );
                    continue;
                }
            };
            if let Some(&earlier) = register.by_id.get(&id) {
                problems.push(
                    at_column("id", format!("donor id {id} is used twice")).found(format!(
                        "the same id on line {}",
                        register.donors[earlier].line
                    )),
                );
                continue;
            }
            register.insert(Donor {
                id,
                name,
                kana: field("kana"),
                address: field("address"),
                email: field("email"),
                category,
                consents_to_be_named,
                label: field("label"),
                line: u32::try_from(line).unwrap_or(u32::MAX),
            });
        }
        if problems.is_empty() {
            Ok(register)
        } else {
            Err(problems)
        }
    }

    fn insert(&mut self, donor: Donor) {
        let index = self.donors.len();
        self.by_id.insert(donor.id.clone(), index);
        for name in std::iter::once(&donor.name).chain(donor.kana.as_ref()) {
            let folded = fold_name(name);
            if !folded.is_empty() {
                let entry = self.by_folded_name.entry(folded).or_default();
                if !entry.contains(&index) {
                    entry.push(index);
                }
            }
        }
        self.donors.push(donor);
    }

    /// The file the register is kept in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every donor, in the order of the file.
    pub fn donors(&self) -> &[Donor] {
        &self.donors
    }

    /// The donor with this id.
    pub fn get(&self, id: &str) -> Option<&Donor> {
        self.by_id.get(id).map(|&i| &self.donors[i])
    }

    /// The donors whose name or reading is `name` once folded
    /// ([`fold_name`]): none, one, or several namesakes (never guessed).
    pub fn find_by_name(&self, name: &str) -> Vec<&Donor> {
        self.by_folded_name
            .get(&fold_name(name))
            .map(|indices| indices.iter().map(|&i| &self.donors[i]).collect())
            .unwrap_or_default()
    }
}

/// A name folded for matching: compatibility-normalised (full-width letters
/// and half-width katakana become their ordinary forms), hiragana turned to
/// katakana, spaces (ASCII and ideographic) removed, letters lower-cased.
/// 「さとう　はなこ」, 「サトウ ハナコ」 and 「ｻﾄｳﾊﾅｺ」 fold alike.
pub fn fold_name(name: &str) -> String {
    name.nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            // Hiragana ぁ..ゖ and the iteration marks ゝゞ sit 0x60 below
            // their katakana.
            '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
                char::from_u32(c as u32 + 0x60).unwrap_or(c)
            }
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DonorRegister, Vec<Diagnostic>> {
        DonorRegister::parse(Path::new("donors.csv"), text)
    }

    const HEADER: &str = "id,name,kana,address,email,category,consent,label\n";

    #[test]
    fn reads_donors_and_finds_them_by_id_and_folded_name() {
        let register = parse(&format!(
            "{HEADER}D001,佐藤 花子,さとう はなこ,東京都,h@example.jp,foster-parent,yes,\n\
             D002,Acme Corp,,Osaka,,corporate,no,A company\n\
             ,,,,,,,\n\
             D003,,,,,anonymous,,\n"
        ))
        .unwrap();
        assert_eq!(register.donors().len(), 3);
        let sato = register.get("D001").unwrap();
        assert_eq!(sato.category, DonorCategory::FosterParent);
        assert_eq!(sato.line, 2);
        assert_eq!(register.find_by_name("ｻﾄｳﾊﾅｺ")[0].id, "D001");
        assert_eq!(register.find_by_name("佐藤　花子")[0].id, "D001");
        assert_eq!(register.find_by_name("ACME  corp")[0].id, "D002");
        assert!(register.find_by_name("Sato").is_empty());
        assert_eq!(register.get("D003").unwrap().line, 5);
    }

    #[test]
    fn public_names_keep_personal_data_out_unless_asked() {
        let register = parse(&format!(
            "{HEADER}D001,佐藤 花子,,東京都,,foster-parent,yes,\n\
             D002,鈴木 一郎,,大阪府,,individual,no,\n\
             D003,田中 次郎,,,,member,no,Member A\n"
        ))
        .unwrap();
        let name = |id: &str, personal: bool| register.get(id).unwrap().display_name(personal);
        assert_eq!(name("D001", false), "佐藤 花子");
        assert_eq!(name("D002", false), "D002");
        assert_eq!(name("D003", false), "Member A");
        assert_eq!(name("D003", true), "田中 次郎");
        assert!(register.get("D001").unwrap().is_identified());
        assert!(!register.get("D003").unwrap().is_identified());
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line_and_column() {
        let errors = parse(&format!(
            "{HEADER}D001,A,,,,friend,yes,\n\
             D 2,B,,,,individual,no,\n\
             D003,,,,,individual,no,\n\
             D004,C,,,,member,maybe,\n\
             D005,D,,,,member,no,\n\
             D005,E,,,,member,no,\n"
        ))
        .unwrap_err();
        let lines: Vec<(u32, &str)> = errors
            .iter()
            .map(|d| (d.location.as_ref().unwrap().line, d.message.as_str()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (2, "column `category`: unknown category \"friend\""),
                (3, "column `id`: the id \"D 2\" holds ' '"),
                (4, "column `name`: donor D003 has no name"),
                (5, "column `consent`: \"maybe\" is not yes or no"),
                (7, "column `id`: donor id D005 is used twice"),
            ]
        );
        assert!(errors.iter().all(|d| d.code == Code::DonorRegister));
        assert_eq!(
            errors[0].excerpt,
            vec![(2, "D001,A,,,,friend,yes,".to_string())]
        );
    }

    #[test]
    fn a_register_without_required_columns_is_refused() {
        let errors = parse("id,name\nD1,A\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "no column `category`");
        assert!(parse("").is_err());
    }

    #[test]
    fn a_missing_file_is_an_empty_register() {
        let dir = tempfile::tempdir().unwrap();
        let register = DonorRegister::load(dir.path()).unwrap();
        assert!(register.donors().is_empty());
        assert_eq!(register.path(), dir.path().join(DONORS_FILE_NAME));
    }

    #[test]
    fn folding_covers_width_kana_case_and_spaces() {
        assert_eq!(fold_name("ｻﾄｳ ﾊﾅｺ"), fold_name("さとう　はなこ"));
        assert_eq!(fold_name("ＡＣＭＥ Corp"), "acmecorp");
    }
}
