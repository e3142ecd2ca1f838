//! Which CSV layout a file uses, decided once from its header line.

use super::legacy::LegacyLayout;
use super::line_split::LineSplitter;
use crate::metrics_row::{CSV_COLUMNS, CSV_HEADER};

/// The layout of a metrics CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// This project's own format, [`CSV_HEADER`] exactly.
    Canonical,
    /// The original Python system's `pod_metrics.csv` (see [`super::legacy`]).
    Legacy(Box<LegacyLayout>),
}

/// The header is neither layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{file}: unknown CSV header {found:?}; expected the canonical header {canonical:?} \
     or the legacy pod_metrics.csv header starting \"Timestamp,Pod Name,\""
)]
pub struct DetectLayoutError {
    pub file: String,
    pub found: String,
    pub canonical: &'static str,
}

impl Layout {
    /// Detects the layout from the header line of `file_label`. `default_namespace` is used
    /// for legacy rows, which carry none.
    pub fn detect(
        file_label: &str,
        header: &str,
        default_namespace: &str,
    ) -> Result<Layout, DetectLayoutError> {
        // Tolerate a UTF-8 byte-order mark and a CRLF ending (files edited on Windows).
        let header = header.strip_prefix('\u{feff}').unwrap_or(header);
        let header = header.strip_suffix('\r').unwrap_or(header);
        if header == CSV_HEADER {
            return Ok(Layout::Canonical);
        }
        let mut splitter = LineSplitter::new();
        if let Ok(fields) = splitter.split(header) {
            if let Some(legacy) = LegacyLayout::from_header(&fields, default_namespace) {
                return Ok(Layout::Legacy(Box::new(legacy)));
            }
        }
        Err(DetectLayoutError {
            file: file_label.to_string(),
            found: super::row_error::echo(header),
            canonical: CSV_HEADER,
        })
    }

    /// Number of fields every row must have.
    pub fn field_count(&self) -> usize {
        match self {
            Layout::Canonical => CSV_COLUMNS.len(),
            Layout::Legacy(l) => l.field_count(),
        }
    }

    /// The header's name for column `i` (for error messages).
    pub fn column_name(&self, i: usize) -> String {
        let name = match self {
            Layout::Canonical => CSV_COLUMNS.get(i).copied(),
            Layout::Legacy(l) => l.column_name(i),
        };
        name.map_or_else(|| format!("column {}", i + 1), str::to_string)
    }
}
