//! RFC 4180 field splitting for one CSV line.
//!
//! One record is always one line (the writer folds line breaks inside text to spaces), so this
//! splitter never looks past the line it is given. It is on the ingest hot path: fields are
//! returned as slices of the line, and only a quoted field containing `""` escapes is copied,
//! into a buffer that is reused from line to line.

use std::ops::Range;

/// Why a line could not be split into fields. `field` is the 0-based column index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitLineError {
    #[error("column {field}: quoted field has no closing quote")]
    UnterminatedQuote { field: usize },
    #[error("column {field}: text after the closing quote")]
    TextAfterQuote { field: usize },
    #[error("column {field}: quote inside an unquoted field")]
    QuoteInUnquotedField { field: usize },
}

impl SplitLineError {
    /// The 0-based column index at which splitting failed.
    pub fn field(&self) -> usize {
        match self {
            SplitLineError::UnterminatedQuote { field }
            | SplitLineError::TextAfterQuote { field }
            | SplitLineError::QuoteInUnquotedField { field } => *field,
        }
    }
}

/// Where one field's text lives: in the line itself, or (after unescaping) in the buffer.
#[derive(Debug, Clone)]
enum Span {
    Line(Range<usize>),
    Unescaped(Range<usize>),
}

/// Reusable splitter: keeps its buffers between lines so that steady-state splitting does not
/// allocate.
#[derive(Debug, Default)]
pub struct LineSplitter {
    spans: Vec<Span>,
    unescaped: String,
}

/// The fields of one split line, borrowed from the line and the splitter.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    line: &'a str,
    spans: &'a [Span],
    unescaped: &'a str,
}

impl<'a> Fields<'a> {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The unquoted, unescaped text of field `i`.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        self.spans.get(i).map(|s| match s {
            Span::Line(r) => &self.line[r.clone()],
            Span::Unescaped(r) => &self.unescaped[r.clone()],
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl LineSplitter {
    pub fn new() -> LineSplitter {
        LineSplitter::default()
    }

    /// Splits `line` (without its line terminator) into fields.
    ///
    /// An empty line is one empty field; a trailing comma ends with an empty field.
    pub fn split<'a>(&'a mut self, line: &'a str) -> Result<Fields<'a>, SplitLineError> {
        self.spans.clear();
        self.unescaped.clear();
        // Scanning bytes is safe on UTF-8: '"' and ',' never occur inside a multi-byte char.
        let b = line.as_bytes();
        let mut i = 0;
        loop {
            let field = self.spans.len();
            if i < b.len() && b[i] == b'"' {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                let end = loop {
                    match b[j..].iter().position(|&c| c == b'"') {
                        None => return Err(SplitLineError::UnterminatedQuote { field }),
                        Some(q) if b.get(j + q + 1) == Some(&b'"') => {
                            escaped = true;
                            j += q + 2;
                        }
                        Some(q) => break j + q,
                    }
                };
                if escaped {
                    let from = self.unescaped.len();
                    for (k, part) in line[start..end].split("\"\"").enumerate() {
                        if k > 0 {
                            self.unescaped.push('"');
                        }
                        self.unescaped.push_str(part);
                    }
                    self.spans.push(Span::Unescaped(from..self.unescaped.len()));
                } else {
                    self.spans.push(Span::Line(start..end));
                }
                i = end + 1;
                match b.get(i) {
                    None => break,
                    Some(b',') => i += 1,
                    Some(_) => return Err(SplitLineError::TextAfterQuote { field }),
                }
            } else {
                let start = i;
                while i < b.len() && b[i] != b',' {
                    if b[i] == b'"' {
                        return Err(SplitLineError::QuoteInUnquotedField { field });
                    }
                    i += 1;
                }
                self.spans.push(Span::Line(start..i));
                if i == b.len() {
                    break;
                }
                i += 1;
            }
        }
        Ok(Fields {
            line,
            spans: &self.spans,
            unescaped: &self.unescaped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, SplitLineError> {
        let mut s = LineSplitter::new();
        let f = s.split(line)?;
        Ok(f.iter().map(str::to_string).collect())
    }

    #[test]
    fn plain_and_empty_fields() {
        assert_eq!(split("a,b,c").unwrap(), ["a", "b", "c"]);
        assert_eq!(split("").unwrap(), [""]);
        assert_eq!(split("a,,").unwrap(), ["a", "", ""]);
        assert_eq!(split(",x").unwrap(), ["", "x"]);
    }

    #[test]
    fn quoted_fields_with_commas_and_escaped_quotes() {
        assert_eq!(
            split(r#"x,"a, b","say ""hi""","""#).unwrap(),
            ["x", "a, b", r#"say "hi""#, ""]
        );
        assert_eq!(split(r#""""""#).unwrap(), [r#"""#]);
        assert_eq!(split(r#""é,ü""#).unwrap(), ["é,ü"]);
    }

    #[test]
    fn splitter_reuse_does_not_leak_previous_line() {
        let mut s = LineSplitter::new();
        {
            let f = s.split(r#""a""b",c"#).unwrap();
            assert_eq!(f.get(0), Some(r#"a"b"#));
        }
        let f = s.split(r#""x""y""#).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f.get(0), Some(r#"x"y"#));
        assert_eq!(f.get(1), None);
    }

    #[test]
    fn malformed_quoting_names_the_column() {
        assert_eq!(
            split(r#"a,"open"#),
            Err(SplitLineError::UnterminatedQuote { field: 1 })
        );
        assert_eq!(
            split(r#"a,b,"q"x"#),
            Err(SplitLineError::TextAfterQuote { field: 2 })
        );
        assert_eq!(
            split(r#"a"b,c"#),
            Err(SplitLineError::QuoteInUnquotedField { field: 0 })
        );
    }
}
