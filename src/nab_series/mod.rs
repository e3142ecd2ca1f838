//! Files of the Numenta Anomaly Benchmark layout: a series `timestamp,value` in, the same rows
//! with an `anomaly_score` column out. Only I/O lives here; the detector is
//! [`crate::detector::series`].

pub mod score_file;
pub mod series_file;

pub use score_file::{write_scores, WriteScoresError};
pub use series_file::{read_series, ReadSeriesError, SeriesRow};
