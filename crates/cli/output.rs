//! The output layer every command writes through: it picks the format
//! (`-O`, else the extension of `-o FILE`, else text), adds a byte-order
//! mark to CSV when asked, and writes to standard output or, with
//! `-o FILE`, atomically to the file (a temporary file in the target's
//! directory, flushed and renamed over it, so a reader never sees half a
//! report and a failed run leaves the old file as it was). Spreadsheets
//! (`.xlsx`) are built here from the library's [`Sheet`]s.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use fundledger_core::cli_support::sheet::{Sheet, SheetCell};

use crate::args::OutputFormat;
use crate::Failure;

/// The UTF-8 byte-order mark, which Excel needs to read UTF-8 CSV as such
/// (without it, Japanese Excel reads Shift_JIS and shows mojibake).
const BOM: &str = "\u{feff}";

/// Where and how a command's output goes.
pub struct Output {
    /// The format to render.
    pub format: OutputFormat,
    /// The file to write, or standard output.
    file: Option<PathBuf>,
    /// Whether CSV starts with a byte-order mark.
    bom: bool,
}

/// A rendered report: text (of any text format) or sheets for `.xlsx`.
pub enum Rendered {
    /// Text, CSV, JSON, Markdown or HTML.
    Text(String),
    /// Sheets for a workbook.
    Sheets(Vec<Sheet>),
}

impl OutputFormat {
    /// The format a file's extension names, if any.
    fn from_extension(path: &Path) -> Option<OutputFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match extension.as_str() {
            "txt" | "text" => OutputFormat::Text,
            "csv" => OutputFormat::Csv,
            "json" => OutputFormat::Json,
            "md" | "markdown" => OutputFormat::Md,
            "html" | "htm" => OutputFormat::Html,
            "xlsx" => OutputFormat::Xlsx,
            _ => return None,
        })
    }

    /// The name `-O` takes.
    fn name(self) -> &'static str {
        match self {
            OutputFormat::Text => "text",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Md => "md",
            OutputFormat::Html => "html",
            OutputFormat::Xlsx => "xlsx",
        }
    }
}

impl Output {
    /// Resolves the format: `-O` when given, else `-o`'s extension, else
    /// text; refuses a format the command cannot write. `bom` is
    /// `--bom`/`--no-bom` (None: `default_bom`).
    pub fn new(
        explicit: Option<OutputFormat>,
        file: Option<&Path>,
        bom: Option<bool>,
        default_bom: bool,
        supported: &[OutputFormat],
    ) -> Result<Output, Failure> {
        let format = explicit
            .or_else(|| file.and_then(OutputFormat::from_extension))
            .unwrap_or(OutputFormat::Text);
        if !supported.contains(&format) {
            let names: Vec<&str> = supported.iter().map(|f| f.name()).collect();
            return Err(Failure::Usage(format!(
                "this command cannot write {}; it writes {}",
                format.name(),
                names.join(", ")
            )));
        }
        Ok(Output {
            format,
            file: file.map(Path::to_path_buf),
            bom: bom.unwrap_or(default_bom),
        })
    }

    /// The width text should fit: the terminal's, when writing text to
    /// one (`COLUMNS` overrides it); none for a file or a pipe.
    pub fn terminal_width(&self) -> Option<usize> {
        if self.file.is_some() || self.format != OutputFormat::Text {
            return None;
        }
        if let Some(columns) = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|c| *c > 0)
        {
            return Some(columns);
        }
        if !std::io::stdout().is_terminal() {
            return None;
        }
        terminal_size::terminal_size().map(|(width, _)| usize::from(width.0))
    }

    /// Writes what a command rendered.
    pub fn write(&self, rendered: Rendered) -> Result<(), Failure> {
        let bytes = match rendered {
            Rendered::Text(text) if self.format == OutputFormat::Csv && self.bom => {
                format!("{BOM}{text}").into_bytes()
            }
            Rendered::Text(text) => text.into_bytes(),
            Rendered::Sheets(sheets) => {
                if self.file.is_none() && std::io::stdout().is_terminal() {
                    return Err(Failure::Usage(
                        "a spreadsheet is binary: write it to a file with -o FILE.xlsx".into(),
                    ));
                }
                workbook(&sheets)
                    .map_err(|e| Failure::Usage(format!("cannot build the spreadsheet: {e}")))?
            }
        };
        match &self.file {
            None => {
                let stdout = std::io::stdout();
                let mut stdout = stdout.lock();
                stdout.write_all(&bytes)?;
                stdout.flush()?;
                Ok(())
            }
            Some(path) => write_atomically(path, &bytes)
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display()))),
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same
/// directory, flushed to disk and renamed over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".fundledger-")
        .suffix(".tmp")
        .tempfile_in(directory)?;
    temporary.write_all(bytes)?;
    // A temporary file is private (0600); the report gets the permissions
    // of the file it replaces, or those of a newly created file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode())
            .unwrap_or(0o644);
        temporary
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// An amount as a spreadsheet number. Excel stores numbers as binary
/// floating point, so this is where exact decimals leave fundledger: the
/// number format shows them with their own decimal places.
fn number(value: fundledger_core::money::Decimal) -> f64 {
    value.to_string().parse::<f64>().unwrap_or(0.0)
}

/// `#,##0` or `#,##0.00`: digit grouping with the amount's decimals.
fn number_format(value: fundledger_core::money::Decimal) -> String {
    match value.scale() {
        0 => "#,##0".to_string(),
        places => format!("#,##0.{}", "0".repeat(places as usize)),
    }
}

/// The sheets as an `.xlsx` workbook: a title block, a bold header row
/// frozen with the label column, amounts as numbers with grouping formats,
/// headings and totals in bold, notes under the table.
pub(crate) fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, FormatBorder, Workbook};
    let mut book = Workbook::new();
    let title_format = Format::new().set_bold().set_font_size(13);
    let header_format = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_border_bottom(FormatBorder::Thin);
    for sheet in sheets {
        let page = book.add_worksheet();
        page.set_name(&sheet.name)?;
        let mut row: u32 = 0;
        for (k, line) in sheet.title.iter().enumerate() {
            if k == 0 {
                page.write_string_with_format(row, 0, line, &title_format)?;
            } else {
                page.write_string(row, 0, line)?;
            }
            row += 1;
        }
        // A note of text only has no table: its paragraphs follow the
        // title.
        let text_only = sheet.rows.is_empty() && sheet.header.iter().all(String::is_empty);
        if !sheet.title.is_empty() && !text_only {
            row += 1;
        }
        if !text_only {
            for (column, name) in sheet.header.iter().enumerate() {
                page.write_string_with_format(row, column as u16, name, &header_format)?;
            }
            page.set_freeze_panes(row + 1, 1)?;
            row += 1;
        }
        for line in &sheet.rows {
            for (column, cell) in line.cells.iter().enumerate() {
                let mut format = Format::new();
                if line.strong {
                    format = format.set_bold();
                }
                if column == 0 && line.level > 0 {
                    format = format.set_indent(line.level);
                }
                let column = column as u16;
                match cell {
                    SheetCell::Number(value) => {
                        format = format.set_num_format(number_format(*value));
                        page.write_number_with_format(row, column, number(*value), &format)?;
                    }
                    SheetCell::Text(text) => {
                        page.write_string_with_format(row, column, text, &format)?;
                    }
                    SheetCell::Empty if line.strong => {
                        page.write_blank(row, column, &format)?;
                    }
                    SheetCell::Empty => {}
                }
            }
            row += 1;
        }
        if !text_only {
            row += 1;
        }
        for note in &sheet.notes {
            page.write_string(row, 0, note)?;
            row += 1;
        }
        page.set_column_width(0, 44)?;
        for column in 1..sheet.header.len().max(1) {
            page.set_column_width(column as u16, 16)?;
        }
    }
    book.save_to_buffer()
}
