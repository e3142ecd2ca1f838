//! The JSON of Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`), parsed into
//! samples keyed by pod.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The envelope every API answer shares.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    pub status: String,
    #[serde(default)]
    pub data: Option<Data>,
    #[serde(default, rename = "errorType")]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub(crate) enum Data {
    Vector(Vec<VectorSample>),
    Matrix(Vec<MatrixSeries>),
    Scalar(serde::de::IgnoredAny),
    String(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
pub(crate) struct VectorSample {
    pub metric: BTreeMap<String, String>,
    /// `[unix seconds, "value"]`
    pub value: (f64, String),
}

#[derive(Debug, Deserialize)]
pub(crate) struct MatrixSeries {
    pub metric: BTreeMap<String, String>,
    pub values: Vec<(f64, String)>,
}

/// One series of an answer: its labels and its (unix seconds, value) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// The (namespace, pod) the series belongs to, if it names one.
    pub fn pod(&self) -> Option<(&str, &str)> {
        let namespace = self.labels.get("namespace")?;
        let pod = self.labels.get("pod")?;
        (!namespace.is_empty() && !pod.is_empty()).then_some((namespace.as_str(), pod.as_str()))
    }
}

/// Prometheus writes values as strings, including `NaN` and `+Inf`; those are not measurements.
fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Why an answer could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnswerError {
    #[error("Prometheus answered {error_type}: {message}")]
    Refused { error_type: String, message: String },
    #[error("the answer is not Prometheus API JSON: {0}")]
    Malformed(String),
    #[error("the query gives a {0}, not an instant vector or range matrix by (namespace, pod)")]
    WrongType(&'static str),
}

/// The series of an answer body; non-finite values are dropped (no guess, no NaN in the CSV).
pub fn parse(body: &[u8]) -> Result<Vec<Series>, AnswerError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| AnswerError::Malformed(e.to_string()))?;
    if envelope.status != "success" {
        return Err(AnswerError::Refused {
            error_type: envelope.error_type.unwrap_or_else(|| "an error".into()),
            message: envelope.error.unwrap_or_default(),
        });
    }
    match envelope.data {
        Some(Data::Vector(samples)) => Ok(samples
            .into_iter()
            .map(|s| Series {
                points: number(&s.value.1)
                    .map(|v| (s.value.0, v))
                    .into_iter()
                    .collect(),
                labels: s.metric,
            })
            .collect()),
        Some(Data::Matrix(series)) => Ok(series
            .into_iter()
            .map(|s| Series {
                points: s
                    .values
                    .iter()
                    .filter_map(|(t, v)| number(v).map(|v| (*t, v)))
                    .collect(),
                labels: s.metric,
            })
            .collect()),
        Some(Data::Scalar(_)) => Err(AnswerError::WrongType("scalar")),
        Some(Data::String(_)) => Err(AnswerError::WrongType("string")),
        None => Err(AnswerError::Malformed("no `data`".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_matrices_and_errors() {
        let v = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"namespace":"shop","pod":"cart-1"},"value":[1700000000.5,"250"]},
            {"metric":{"namespace":"shop","pod":"cart-2"},"value":[1700000000.5,"NaN"]}]}}"#;
        let s = parse(v).unwrap();
        assert_eq!(s[0].pod(), Some(("shop", "cart-1")));
        assert_eq!(s[0].points, vec![(1700000000.5, 250.0)]);
        assert!(s[1].points.is_empty(), "NaN is not a measurement");

        let m = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"namespace":"shop","pod":"cart-1"},"values":[[10,"1"],[15,"+Inf"],[20,"3"]]}]}}"#;
        assert_eq!(parse(m).unwrap()[0].points, vec![(10.0, 1.0), (20.0, 3.0)]);

        let e = br#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#;
        assert_eq!(
            parse(e).unwrap_err().to_string(),
            "Prometheus answered bad_data: parse error at char 5"
        );
        let scalar = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}"#;
        assert!(matches!(
            parse(scalar),
            Err(AnswerError::WrongType("scalar"))
        ));
        assert!(matches!(parse(b"<html>"), Err(AnswerError::Malformed(_))));
    }
}
