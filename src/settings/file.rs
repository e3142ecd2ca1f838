//! Reads `agents.toml` into located raw values. The spanned `toml::de::DeTable` is used rather
//! than a serde struct so every key and value keeps its line for error messages, and so unknown
//! sections and keys are reported with the same wording as unknown environment variables.

use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::error::{Origin, Problem, SettingsError};
use super::schema::{self, Layers, Located, RawValue};

/// Adds the file's values to `layers`; unknown sections/keys go to `problems`. Malformed TOML is
/// an immediate error because nothing after the syntax error can be read reliably.
pub(crate) fn read_into(
    path: &Path,
    text: &str,
    layers: &mut Layers,
    problems: &mut Vec<Problem>,
) -> Result<(), SettingsError> {
    let document = DeTable::parse(text).map_err(|e| {
        let (line, column) = match e.span() {
            Some(span) => {
                let (line, column) = line_and_column(text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        SettingsError::ParseConfigFile {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().replace('\n', "; "),
        }
    })?;

    let at = |offset: usize| Origin::File {
        path: path.to_path_buf(),
        line: line_and_column(text, offset).0,
    };
    for (name, value) in document.get_ref().iter() {
        let name_str: &str = name.get_ref();
        let origin = at(name.span().start);
        let Some((section, keys)) = schema::section(name_str) else {
            let message = match value.get_ref() {
                DeValue::Table(_) => format!(
                    "unknown section [{name_str}]; allowed sections: {}",
                    schema::section_names()
                ),
                _ => format!(
                    "key `{name_str}` is outside any section; allowed sections: {}",
                    schema::section_names()
                ),
            };
            problems.push(Problem {
                origin,
                section: name_str.to_string(),
                key: None,
                message,
            });
            continue;
        };
        let DeValue::Table(table) = value.get_ref() else {
            problems.push(Problem {
                origin,
                section: section.to_string(),
                key: None,
                message: format!(
                    "`{section}` must be a section ([{section}]), found {}",
                    raw(value).type_name()
                ),
            });
            continue;
        };
        for (key_name, value) in table.iter() {
            let key_str: &str = key_name.get_ref();
            match schema::key(section, key_str) {
                Some(id) => layers.entry(id).or_default().push(Located {
                    value: raw(value),
                    origin: at(value.span().start),
                }),
                None => problems.push(Problem {
                    origin: at(key_name.span().start),
                    section: section.to_string(),
                    key: Some(key_str.to_string()),
                    message: format!(
                        "unknown key `{key_str}` in [{section}]; allowed keys: {}",
                        schema::key_names(keys)
                    ),
                }),
            }
        }
    }
    Ok(())
}

fn raw(value: &Spanned<DeValue<'_>>) -> RawValue {
    match value.get_ref() {
        DeValue::String(s) => RawValue::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => RawValue::Int(n),
            // The parser accepted it, so it only fails by overflowing i64; no key accepts that.
            Err(_) => RawValue::Other {
                type_name: "an integer too large for 64 bits",
                text: i.to_string(),
            },
        },
        DeValue::Float(f) => match f.as_str().parse::<f64>() {
            Ok(x) => RawValue::Float(x),
            Err(_) => RawValue::Other {
                type_name: "a float",
                text: f.to_string(),
            },
        },
        DeValue::Boolean(b) => RawValue::Other {
            type_name: "a boolean",
            text: b.to_string(),
        },
        DeValue::Datetime(d) => RawValue::Other {
            type_name: "a datetime",
            text: d.to_string(),
        },
        DeValue::Array(_) => RawValue::Other {
            type_name: "an array",
            text: "[...]".to_string(),
        },
        DeValue::Table(_) => RawValue::Other {
            type_name: "a table",
            text: "{...}".to_string(),
        },
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.as_bytes()[..offset].split(|b| *b == b'\n');
    let mut line = 0;
    let mut last: &[u8] = &[];
    for part in before {
        line += 1;
        last = part;
    }
    let column = String::from_utf8_lossy(last).chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_and_column(text, 10), (2, 4));
    }
}
