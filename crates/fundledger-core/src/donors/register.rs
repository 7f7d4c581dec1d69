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

use crate::model::diagnostic::{Code, Diagnostic, Location};

/// The register's file name, beside `fundledger.toml`.
pub const DONORS_FILE_NAME: &str = "donors.csv";

/// The register's columns, in the order they are written. `officer`
/// (yes/no: an officer of the organisation, left out of the public support
/// test) and `reference` (the number a bank or post-office export shows for
/// the payer, matched by imports) are optional.
pub const DONOR_COLUMNS: [&str; 10] = [
    "id",
    "name",
    "kana",
    "address",
    "email",
    "category",
    "consent",
    "label",
    "officer",
    "reference",
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
    /// An officer (役員) of the organisation: the public support test leaves
    /// officers out.
    pub officer: bool,
    /// The payer's number in bank or post-office exports, matched by imports.
    pub reference: Option<String>,
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
    /// The header as the file has it (lower-cased), so rows added by an
    /// import are written in the file's own column order.
    header: Vec<String>,
    donors: Vec<Donor>,
    by_id: HashMap<String, usize>,
    by_reference: HashMap<String, usize>,
    by_folded_name: HashMap<String, Vec<usize>>,
    /// Donors added since the register was read (by an import).
    added: usize,
}

/// What an import's donor cell names in the register.
#[derive(Debug)]
pub enum DonorMatch<'a> {
    /// One donor, by id, reference or folded name.
    Found(&'a Donor),
    /// Several donors with this name: the import asks for the id.
    Namesakes(Vec<&'a Donor>),
    /// Nobody: the import adds the donor.
    Unknown,
}

impl DonorRegister {
    /// The register beside `settings_dir`'s `fundledger.toml`: empty when
    /// there is no `donors.csv`; every error in it, located, otherwise.
    pub fn load(settings_dir: &Path) -> Result<DonorRegister, Vec<Diagnostic>> {
        let path = settings_dir.join(DONORS_FILE_NAME);
        match super::read_register(&path, Code::DonorRegister, "donor register")? {
            Some(text) => DonorRegister::parse(&path, &text),
            None => Ok(DonorRegister {
                path,
                ..DonorRegister::default()
            }),
        }
    }

    /// A register with no donors, to be kept in `path`.
    pub fn empty(path: &Path) -> DonorRegister {
        DonorRegister {
            path: path.to_path_buf(),
            ..DonorRegister::default()
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
            header: header.clone(),
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
                c.is_whitespace() || crate::model::diagnostic::is_forbidden_char(*c) || *c == ','
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
            let Some(consents_to_be_named) = yes_or_no(&consent_text) else {
                problems.push(
                    at_column("consent", format!("{consent_text:?} is not yes or no"))
                        .expected("yes (the donor may be named in public reports) or no"),
                );
                continue;
            };
            let officer_text = field("officer").unwrap_or_default();
            let Some(officer) = yes_or_no(&officer_text) else {
                problems.push(
                    at_column("officer", format!("{officer_text:?} is not yes or no"))
                        .expected("yes (an officer of the organisation) or no"),
                );
                continue;
            };
            let reference = field("reference");
            if let Some(&earlier) = reference
                .as_ref()
                .and_then(|r| register.by_reference.get(r))
            {
                problems.push(
                    at_column(
                        "reference",
                        format!(
                            "reference {:?} is used twice",
                            reference.as_deref().unwrap_or("")
                        ),
                    )
                    .found(format!(
                        "the same reference on line {}",
                        register.donors[earlier].line
                    ))
                    .expected("one donor per payer reference"),
                );
                continue;
            }
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
                officer,
                reference,
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
        if let Some(reference) = &donor.reference {
            self.by_reference.insert(reference.clone(), index);
        }
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

impl DonorRegister {
    /// What `key` (an import's donor cell) names: a donor id first, then a
    /// payer reference, then a name or reading once folded. Namesakes are
    /// returned as such, never chosen between.
    pub fn find(&self, key: &str) -> DonorMatch<'_> {
        let key = key.trim();
        if let Some(donor) = self.get(key) {
            return DonorMatch::Found(donor);
        }
        if let Some(&i) = self.by_reference.get(key) {
            return DonorMatch::Found(&self.donors[i]);
        }
        let mut named = self.find_by_name(key);
        match named.len() {
            0 => DonorMatch::Unknown,
            1 => DonorMatch::Found(named.remove(0)),
            _ => DonorMatch::Namesakes(named),
        }
    }

    /// Adds a donor known only by the name an import gave (category
    /// `individual`, not named in public), with the next free id `D0001`,
    /// `D0002`...; returns it.
    pub fn add_named(&mut self, name: &str) -> &Donor {
        let mut n = self.donors.len() + 1;
        let id = loop {
            let candidate = format!("D{n:04}");
            if !self.by_id.contains_key(&candidate) {
                break candidate;
            }
            n += 1;
        };
        let line = u32::try_from(self.donors.len() + 2).unwrap_or(u32::MAX);
        self.insert(Donor {
            id,
            name: name.trim().to_string(),
            kana: None,
            address: None,
            email: None,
            category: DonorCategory::Individual,
            consents_to_be_named: false,
            label: None,
            officer: false,
            reference: None,
            line,
        });
        self.added += 1;
        self.donors.last().expect("a donor was just inserted")
    }

    /// The donors added since the register was read.
    pub fn added(&self) -> &[Donor] {
        &self.donors[self.donors.len() - self.added..]
    }

    /// The register's file with the added donors appended: `old` (the file
    /// as read, possibly empty or absent) and one row per added donor, in the
    /// file's column order (a new file gets [`DONOR_COLUMNS`]).
    pub fn appended_text(&self, old: &str) -> String {
        let mut out = String::from(old);
        let header: Vec<String> = if self.header.is_empty() || old.trim().is_empty() {
            out.clear();
            let header: Vec<String> = DONOR_COLUMNS.iter().map(|c| c.to_string()).collect();
            out.push_str(&header.join(","));
            out.push('\n');
            header
        } else {
            self.header.clone()
        };
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        for donor in self.added() {
            let cells: Vec<String> = header
                .iter()
                .map(|column| match column.as_str() {
                    "id" => donor.id.clone(),
                    "name" => donor.name.clone(),
                    "kana" => donor.kana.clone().unwrap_or_default(),
                    "address" => donor.address.clone().unwrap_or_default(),
                    "email" => donor.email.clone().unwrap_or_default(),
                    "category" => donor.category.as_str().to_string(),
                    "consent" => if donor.consents_to_be_named {
                        "yes"
                    } else {
                        "no"
                    }
                    .into(),
                    "label" => donor.label.clone().unwrap_or_default(),
                    "officer" => if donor.officer { "yes" } else { "no" }.into(),
                    "reference" => donor.reference.clone().unwrap_or_default(),
                    _ => String::new(),
                })
                .collect();
            // Writing to a Vec cannot fail.
            let _ = writer.write_record(&cells);
        }
        let rows = writer.into_inner().unwrap_or_default();
        out.push_str(&String::from_utf8_lossy(&rows));
        out
    }
}

/// The donor of a posting: its own `donor:` tag, else its transaction's.
pub fn donor_of<'j>(
    journal: &'j crate::Journal,
    transaction: &crate::model::journal::Transaction,
    posting: &crate::model::journal::Posting,
) -> Option<&'j str> {
    journal.posting_tag(posting, "donor").or_else(|| {
        journal
            .transaction_tags(transaction)
            .iter()
            .find(|t| t.name == "donor")
            .map(|t| t.value)
    })
}

/// The register a check or report of `settings` uses: the one an import is
/// about to write ([`crate::model::settings::Settings::donors`]), else `donors.csv`
/// beside `fundledger.toml`; `None` for a bare journal (no ledger directory).
pub fn register_of(
    settings: &crate::model::settings::Settings,
) -> Option<Result<std::sync::Arc<DonorRegister>, Vec<Diagnostic>>> {
    if let Some(register) = &settings.donors {
        return Some(Ok(register.clone()));
    }
    settings
        .from_file
        .then(|| DonorRegister::load(&settings.root).map(std::sync::Arc::new))
}

/// `check`'s donor problems: every error of `donors.csv` (E901), and every
/// `donor:` tag naming an id the register does not hold (E902, at the tag's
/// posting or transaction). A bare journal has no register and no check.
pub fn problems(journal: &crate::Journal) -> Vec<Diagnostic> {
    let register = match register_of(journal.settings()) {
        None => return Vec::new(),
        Some(Err(problems)) => return problems,
        Some(Ok(register)) => register,
    };
    let files = journal.files();
    // Side by side in chunks of the journal, joined in order.
    crate::load::checks::per_transaction(journal, |t, out| {
        let path = &files[t.file as usize];
        let unknown = |id: &str, line: u32| {
            Diagnostic::new(
                Code::UnknownDonor,
                format!("donor {id:?} is not in the donor register"),
            )
            .at(Location {
                path: path.clone(),
                line,
            })
            .found(format!("`donor: {id}`"))
            .expected(format!(
                "the id of a donor in {} (add the donor there, or correct the id)",
                register.path().display()
            ))
        };
        if let Some(id) = journal
            .transaction_tags(t)
            .iter()
            .find(|tag| tag.name == "donor")
            .map(|tag| tag.value)
        {
            if register.get(id).is_none() {
                out.push(unknown(id, t.line));
            }
        }
        for p in journal.postings(t) {
            if let Some(id) = journal.posting_tag(p, "donor") {
                if register.get(id).is_none() {
                    out.push(unknown(id, if p.line > 0 { p.line } else { t.line }));
                }
            }
        }
    })
}

fn yes_or_no(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" => Some(true),
        "" | "no" | "n" | "false" => Some(false),
        _ => None,
    }
}

/// A name folded for matching: compatibility-normalised (full-width letters
/// and half-width katakana become their ordinary forms), hiragana turned to
/// katakana, spaces (ASCII and ideographic) removed, letters lower-cased.
/// 「さとう　はなこ」, 「サトウ ハナコ」 and 「ｻﾄｳﾊﾅｺ」 fold alike.
pub fn fold_name(name: &str) -> String {
    // ASCII is its own compatibility form and has no kana: the same result
    // without the normaliser (most names an import meets).
    if name.is_ascii() {
        return name
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_lowercase())
            .collect();
    }
    fold_name_in_general(name)
}

/// [`fold_name`] for any text.
fn fold_name_in_general(name: &str) -> String {
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

    #[test]
    fn ascii_names_fold_as_the_normaliser_folds_them() {
        let mut samples: Vec<String> = (0u8..128).map(|b| char::from(b).to_string()).collect();
        samples.extend(
            [
                "Tanaka  Hiroshi",
                "St. Mary's Church",
                "A01",
                " X\tY\u{b}Z\r\n",
                "",
            ]
            .map(String::from),
        );
        for s in samples {
            assert_eq!(fold_name(&s), fold_name_in_general(&s), "{s:?}");
        }
    }

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
    fn imports_match_by_id_then_reference_then_name_and_never_guess() {
        let mut register = parse(
            "id,name,kana,category,officer,reference\n\
             D001,佐藤 花子,さとう はなこ,individual,no,00120-1\n\
             D002,Sato Hanako,サトウ ハナコ,member,yes,\n\
             00120-1,Tanaka,,individual,no,\n",
        )
        .unwrap();
        assert!(register.get("D002").unwrap().officer);
        let id = |m: DonorMatch<'_>| match m {
            DonorMatch::Found(d) => d.id.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(id(register.find("D002")), "D002");
        // An id wins over a reference that reads the same.
        assert_eq!(id(register.find("00120-1")), "00120-1");
        assert_eq!(id(register.find("tanaka")), "00120-1");
        match register.find("ｻﾄｳ ﾊﾅｺ") {
            DonorMatch::Namesakes(d) => assert_eq!(d.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(matches!(register.find("Nobody"), DonorMatch::Unknown));
        let added = register.add_named("Nobody").id.clone();
        assert_eq!(added, "D0004");
        assert_eq!(id(register.find("nobody")), "D0004");
        // Appended in the file's own column order, the old text untouched.
        let old = "id,name,kana,category,officer,reference\nD001,A,,individual,no,\n";
        assert_eq!(
            register.appended_text(old),
            format!("{old}D0004,Nobody,,individual,no,\n")
        );
        // A new file gets the full header.
        let mut fresh = DonorRegister::empty(Path::new("donors.csv"));
        fresh.add_named("=cmd|' /C calc'!A0, \"quoted\"");
        let text = fresh.appended_text("");
        assert!(text.starts_with(&DONOR_COLUMNS.join(",")));
        let reread = parse(&text).unwrap();
        assert_eq!(
            reread.get("D0001").unwrap().name,
            "=cmd|' /C calc'!A0, \"quoted\""
        );
    }

    #[test]
    fn a_reference_used_twice_and_a_bad_officer_flag_are_located() {
        let errors = parse(
            "id,name,category,officer,reference\n\
             D1,A,individual,maybe,\n\
             D2,B,individual,no,R1\n\
             D3,C,individual,no,R1\n",
        )
        .unwrap_err();
        let lines: Vec<u32> = errors
            .iter()
            .map(|d| d.location.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, vec![2, 4]);
        assert!(errors[0].message.contains("officer"));
        assert!(errors[1].message.contains("reference"));
    }

    #[test]
    fn folding_covers_width_kana_case_and_spaces() {
        assert_eq!(fold_name("ｻﾄｳ ﾊﾅｺ"), fold_name("さとう　はなこ"));
        assert_eq!(fold_name("ＡＣＭＥ Corp"), "acmecorp");
    }
}
