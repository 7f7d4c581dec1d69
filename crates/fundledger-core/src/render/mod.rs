//! Presentation: report data as text, CSV, JSON, Markdown, HTML and
//! spreadsheet sheets, and the hledger-style listings. Pure functions from
//! data to output; planned to become a crate of its own
//! (`fundledger-render`).

pub mod html;
pub mod lists;
pub mod sheet;
pub mod text;
