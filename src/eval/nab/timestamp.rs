//! NAB timestamps: `YYYY-MM-DD HH:MM:SS`, with optional fractional seconds (the labels file
//! writes `.ffffff`). Naive: NAB compares them as written, with no time zone.

use chrono::NaiveDateTime;

/// The format both data rows and label windows parse with (`%.f` makes the fraction optional).
const FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

/// Parses one NAB timestamp; `None` if it is not one.
pub fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), FORMAT).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_label_spellings_are_the_same_instant() {
        let row = parse_timestamp("2014-04-10 07:15:00").unwrap();
        let label = parse_timestamp("2014-04-10 07:15:00.000000").unwrap();
        assert_eq!(row, label);
        assert!(parse_timestamp("2014-04-10T07:15:00").is_none());
        assert!(parse_timestamp("10/04/2014 07:15").is_none());
        assert!(parse_timestamp("").is_none());
    }
}
