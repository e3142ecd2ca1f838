//! The structured answer asked of the model, and its validation.
//!
//! The model's message content must be exactly one JSON object, bare or inside one ```json
//! (or plain ```) fence, with:
//!
//! ```json
//! {"summary": "…", "root_cause": "…", "steps": ["…", "…"], "risk": "low" | "medium" | "high"}
//! ```
//!
//! Prose around the object, a missing, empty, over-long or wrongly typed field, or more than
//! [`MAX_STEPS`] steps is an [`AnswerError`]: the caller then keeps its rule-based explanation.
//! Extra fields are ignored (models like to add some); `risk` is read case-insensitively.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// Bounds on what is accepted, in characters (not bytes, so other scripts are not penalised).
pub const MAX_SUMMARY_CHARS: usize = 800;
pub const MAX_ROOT_CAUSE_CHARS: usize = 1500;
pub const MAX_STEP_CHARS: usize = 500;
pub const MAX_STEPS: usize = 10;
/// Content larger than this is refused before parsing.
pub const MAX_CONTENT_BYTES: usize = 64 * 1024;

/// The risk to the service if nothing is done, as the model judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated explanation. Coming out of [`crate::llm::LlmExplainer::explain`], its texts hold
/// the real names again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub summary: String,
    pub root_cause: String,
    pub steps: Vec<String>,
    pub risk: Risk,
}

impl Explanation {
    /// The same explanation with `f` applied to every text (used to restore placeholders).
    pub fn map_text(&self, f: impl Fn(&str) -> String) -> Explanation {
        Explanation {
            summary: f(&self.summary),
            root_cause: f(&self.root_cause),
            steps: self.steps.iter().map(|s| f(s)).collect(),
            risk: self.risk,
        }
    }
}

/// Why the model's answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is empty")]
    Empty,
    #[error("the answer is {0} bytes, more than the {MAX_CONTENT_BYTES} accepted")]
    TooLarge(usize),
    #[error("the answer is not a JSON object (bare or in one ```json fence)")]
    NotJson,
    #[error("the answer's JSON is malformed: {0}")]
    Malformed(String),
    #[error("the answer has no `{0}` field")]
    MissingField(&'static str),
    #[error("the answer's `{field}` is {found}, expected {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("the answer's `{0}` is empty")]
    EmptyField(&'static str),
    #[error("the answer's `{field}` has {chars} characters, more than the {max} accepted")]
    TooLong {
        field: &'static str,
        chars: usize,
        max: usize,
    },
    #[error("the answer has {0} steps, more than the {MAX_STEPS} accepted")]
    TooManySteps(usize),
    #[error("the answer's risk is {0:?}, expected low, medium or high")]
    BadRisk(String),
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The JSON text of the content: itself, or the inside of one surrounding code fence.
fn unfence(content: &str) -> Result<&str, AnswerError> {
    let trimmed = content.trim();
    if trimmed.starts_with('{') {
        return Ok(trimmed);
    }
    let Some(after) = trimmed.strip_prefix("```") else {
        return Err(AnswerError::NotJson);
    };
    let (tag, body) = after.split_once('\n').unwrap_or((after, ""));
    let tag = tag.trim();
    if !(tag.is_empty() || tag.eq_ignore_ascii_case("json")) {
        return Err(AnswerError::NotJson);
    }
    let inner = body
        .trim_end()
        .strip_suffix("```")
        .ok_or(AnswerError::NotJson)?
        .trim();
    if inner.starts_with('{') {
        Ok(inner)
    } else {
        Err(AnswerError::NotJson)
    }
}

fn text_field(
    map: &Map<String, Value>,
    field: &'static str,
    max: usize,
) -> Result<String, AnswerError> {
    let value = map.get(field).ok_or(AnswerError::MissingField(field))?;
    let Value::String(s) = value else {
        return Err(AnswerError::WrongType {
            field,
            expected: "a string",
            found: type_name(value),
        });
    };
    bounded(field, s, max)
}

fn bounded(field: &'static str, s: &str, max: usize) -> Result<String, AnswerError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AnswerError::EmptyField(field));
    }
    let chars = s.chars().count();
    if chars > max {
        return Err(AnswerError::TooLong { field, chars, max });
    }
    Ok(s.to_string())
}

/// Parses and validates the model's message content.
pub fn parse_answer(content: &str) -> Result<Explanation, AnswerError> {
    if content.len() > MAX_CONTENT_BYTES {
        return Err(AnswerError::TooLarge(content.len()));
    }
    if content.trim().is_empty() {
        return Err(AnswerError::Empty);
    }
    let json = unfence(content)?;
    let value: Value =
        serde_json::from_str(json).map_err(|e| AnswerError::Malformed(e.to_string()))?;
    // Cannot fail: the text starts with '{' and parsed.
    let Value::Object(map) = &value else {
        return Err(AnswerError::NotJson);
    };
    let summary = text_field(map, "summary", MAX_SUMMARY_CHARS)?;
    let root_cause = text_field(map, "root_cause", MAX_ROOT_CAUSE_CHARS)?;
    let steps_value = map.get("steps").ok_or(AnswerError::MissingField("steps"))?;
    let Value::Array(items) = steps_value else {
        return Err(AnswerError::WrongType {
            field: "steps",
            expected: "an array of strings",
            found: type_name(steps_value),
        });
    };
    if items.is_empty() {
        return Err(AnswerError::EmptyField("steps"));
    }
    if items.len() > MAX_STEPS {
        return Err(AnswerError::TooManySteps(items.len()));
    }
    let steps = items
        .iter()
        .map(|item| match item {
            Value::String(s) => bounded("steps", s, MAX_STEP_CHARS),
            other => Err(AnswerError::WrongType {
                field: "steps",
                expected: "an array of strings",
                found: type_name(other),
            }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let risk_value = map.get("risk").ok_or(AnswerError::MissingField("risk"))?;
    let Value::String(risk_text) = risk_value else {
        return Err(AnswerError::WrongType {
            field: "risk",
            expected: "a string",
            found: type_name(risk_value),
        });
    };
    let risk = match risk_text.trim().to_ascii_lowercase().as_str() {
        "low" => Risk::Low,
        "medium" => Risk::Medium,
        "high" => Risk::High,
        "" => return Err(AnswerError::EmptyField("risk")),
        _ => return Err(AnswerError::BadRisk(risk_text.chars().take(40).collect())),
    };
    Ok(Explanation {
        summary,
        root_cause,
        steps,
        risk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"summary":"<pod-1> runs out of memory.","root_cause":"A leak.","steps":["kubectl -n <namespace-1> describe pod <pod-1>","Raise the limit"],"risk":"High","extra":1}"#;

    fn expected() -> Explanation {
        Explanation {
            summary: "<pod-1> runs out of memory.".into(),
            root_cause: "A leak.".into(),
            steps: vec![
                "kubectl -n <namespace-1> describe pod <pod-1>".into(),
                "Raise the limit".into(),
            ],
            risk: Risk::High,
        }
    }

    #[test]
    fn bare_and_fenced_objects_are_accepted() {
        assert_eq!(parse_answer(GOOD), Ok(expected()));
        assert_eq!(parse_answer(&format!("  \n{GOOD}\n ")), Ok(expected()));
        assert_eq!(
            parse_answer(&format!("```json\n{GOOD}\n```")),
            Ok(expected())
        );
        assert_eq!(
            parse_answer(&format!("```JSON\n{GOOD}```\n")),
            Ok(expected())
        );
        assert_eq!(parse_answer(&format!("```\n{GOOD}\n```")), Ok(expected()));
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        use AnswerError::*;
        let cases: Vec<(String, AnswerError)> = vec![
            ("".into(), Empty),
            ("  \n".into(), Empty),
            ("The pod is out of memory.".into(), NotJson),
            (format!("Here you go: {GOOD}"), NotJson),
            (format!("```python\n{GOOD}\n```"), NotJson),
            (format!("```json\n{GOOD}"), NotJson),
            (format!("```json\n{GOOD}\n```\nHope this helps"), NotJson),
            ("[1,2]".into(), NotJson),
            (format!("{GOOD} and more"), Malformed(String::new())),
            ("{\"summary\": \"x\",".into(), Malformed(String::new())),
            (
                r#"{"root_cause":"x","steps":["a"],"risk":"low"}"#.into(),
                MissingField("summary"),
            ),
            (
                r#"{"summary":"x","root_cause":"x","risk":"low"}"#.into(),
                MissingField("steps"),
            ),
            (
                r#"{"summary":"x","root_cause":"x","steps":["a"]}"#.into(),
                MissingField("risk"),
            ),
            (
                r#"{"summary":1,"root_cause":"x","steps":["a"],"risk":"low"}"#.into(),
                WrongType {
                    field: "summary",
                    expected: "a string",
                    found: "a number",
                },
            ),
            (
                r#"{"summary":"x","root_cause":"x","steps":"do it","risk":"low"}"#.into(),
                WrongType {
                    field: "steps",
                    expected: "an array of strings",
                    found: "a string",
                },
            ),
            (
                r#"{"summary":"x","root_cause":"x","steps":["a",{"b":1}],"risk":"low"}"#.into(),
                WrongType {
                    field: "steps",
                    expected: "an array of strings",
                    found: "an object",
                },
            ),
            (
                r#"{"summary":"x","root_cause":"x","steps":["a"],"risk":3}"#.into(),
                WrongType {
                    field: "risk",
                    expected: "a string",
                    found: "a number",
                },
            ),
            (
                r#"{"summary":" ","root_cause":"x","steps":["a"],"risk":"low"}"#.into(),
                EmptyField("summary"),
            ),
            (
                r#"{"summary":"x","root_cause":"x","steps":[],"risk":"low"}"#.into(),
                EmptyField("steps"),
            ),
            (
                r#"{"summary":"x","root_cause":"x","steps":["a",""],"risk":"low"}"#.into(),
                EmptyField("steps"),
            ),
            (
                r#"{"summary":"x","root_cause":"x","steps":["a"],"risk":"severe"}"#.into(),
                BadRisk("severe".into()),
            ),
            (
                format!(
                    r#"{{"summary":"{}","root_cause":"x","steps":["a"],"risk":"low"}}"#,
                    "é".repeat(MAX_SUMMARY_CHARS + 1)
                ),
                TooLong {
                    field: "summary",
                    chars: MAX_SUMMARY_CHARS + 1,
                    max: MAX_SUMMARY_CHARS,
                },
            ),
            (
                format!(
                    r#"{{"summary":"x","root_cause":"x","steps":[{}],"risk":"low"}}"#,
                    ["\"s\""; MAX_STEPS + 1].join(",")
                ),
                TooManySteps(MAX_STEPS + 1),
            ),
            (
                "{".repeat(MAX_CONTENT_BYTES + 1),
                TooLarge(MAX_CONTENT_BYTES + 1),
            ),
        ];
        for (content, want) in cases {
            let got = parse_answer(&content);
            match (&got, &want) {
                (Err(Malformed(_)), Malformed(_)) => {}
                _ => assert_eq!(got, Err(want), "{content:.120}"),
            }
        }
        // Exactly at the bounds is fine, counted in characters.
        let at_bound = format!(
            r#"{{"summary":"{}","root_cause":"x","steps":["a"],"risk":"medium"}}"#,
            "名".repeat(MAX_SUMMARY_CHARS)
        );
        assert_eq!(parse_answer(&at_bound).unwrap().risk, Risk::Medium);
    }
}
