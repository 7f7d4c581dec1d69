//! Donors, kept apart from the journal: the donor register
//! (`donors.csv`) and the donation receipts issued from it.

pub mod receipts;
pub mod register;

use std::path::Path;

use crate::model::diagnostic::{Code, Diagnostic, Location};

/// The text of a register kept beside the journal (`donors.csv`,
/// `receipts.csv`): `None` when the file does not exist yet; otherwise read
/// through the reader's bounded [`crate::read::source::read_regular`] (a
/// regular file of at most [`crate::write_path::import::CSV_SIZE_MAX_BYTES`]),
/// in UTF-8. Every failure is one diagnostic of `code` naming `what` (a
/// byte that is not UTF-8 at its line).
pub(crate) fn read_register(
    path: &Path,
    code: Code,
    what: &str,
) -> Result<Option<String>, Vec<Diagnostic>> {
    let at = |line: usize| Location {
        path: path.to_path_buf(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
    };
    let bytes = match crate::read::source::read_regular(
        path,
        crate::write_path::import::CSV_SIZE_MAX_BYTES,
    ) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(vec![Diagnostic::new(
                code,
                format!("cannot read the {what}: {e}"),
            )
            .at(at(1))])
        }
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        vec![Diagnostic::new(code, format!("the {what} is not UTF-8"))
            .at(at(line))
            .expected("a UTF-8 CSV file (save it as \"CSV UTF-8\")")]
    })
}
