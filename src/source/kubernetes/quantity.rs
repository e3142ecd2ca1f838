//! Kubernetes resource quantities (`500m`, `1.5`, `128Mi`, `1G`, `1e3`, `250000n`) as numbers.
//!
//! The grammar is the API server's (`k8s.io/apimachinery/pkg/api/resource`): a signed decimal
//! number followed by one suffix, either binary SI (`Ki Mi Gi Ti Pi Ei`, powers of 1024),
//! decimal SI (`n u m` and `k M G T P E`, powers of 1000) or a decimal exponent (`e3`, `E-2`).
//! Anything else is not a quantity and gives `None`, never a guess.

/// The value of a quantity string in base units (cores for CPU, bytes for memory).
pub fn parse_quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    let number_end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-'))))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(number_end);
    let digits = number.trim_start_matches(['+', '-']);
    // At least one digit, at most one decimal point ("5." and ".5" are accepted, as upstream).
    if !digits.chars().any(|c| c.is_ascii_digit()) || digits.matches('.').count() > 1 {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let scale = suffix_scale(suffix)?;
    let v = value * scale;
    v.is_finite().then_some(v)
}

/// CPU in millicores (`"500m"` → 500, `"2"` → 2000).
pub fn millicores(text: &str) -> Option<f64> {
    parse_quantity(text).map(|cores| cores * 1000.0)
}

/// Memory in bytes (`"128Mi"` → 134217728).
pub fn bytes(text: &str) -> Option<f64> {
    parse_quantity(text)
}

fn suffix_scale(suffix: &str) -> Option<f64> {
    Some(match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        // A decimal exponent: e or E, then a signed integer ("E" alone is exa, above).
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            let digits = exponent.trim_start_matches(['+', '-']);
            if digits.is_empty()
                || !digits.chars().all(|c| c.is_ascii_digit())
                || exponent.len() - digits.len() > 1
            {
                return None;
            }
            10f64.powi(exponent.parse::<i32>().ok()?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
    }

    #[test]
    fn cpu_quantities_in_millicores() {
        for (text, want) in [
            ("500m", 500.0),
            ("1", 1000.0),
            ("1.5", 1500.0),
            ("0.1", 100.0),
            ("2", 2000.0),
            ("100m", 100.0),
            ("250000000n", 250.0),
            ("1500u", 1.5),
            ("1e3", 1_000_000.0),
            ("1e-3", 1.0),
            ("1E3", 1_000_000.0),
            ("+2", 2000.0),
            (".5", 500.0),
            ("5.", 5000.0),
            ("0", 0.0),
        ] {
            assert!(
                close(millicores(text), want),
                "{text}: {:?}",
                millicores(text)
            );
        }
    }

    #[test]
    fn memory_quantities_in_bytes() {
        for (text, want) in [
            ("128Mi", 134_217_728.0),
            ("1Gi", 1_073_741_824.0),
            ("1G", 1e9),
            ("1k", 1000.0),
            ("64Ki", 65_536.0),
            ("1.5Gi", 1_610_612_736.0),
            ("1e3", 1000.0),
            ("12345", 12345.0),
            ("1Ti", 1024f64.powi(4)),
            ("1E", 1e18),
            ("1Ei", 1024f64.powi(6)),
            ("129M", 129e6),
        ] {
            assert!(close(bytes(text), want), "{text}: {:?}", bytes(text));
        }
    }

    #[test]
    fn malformed_quantities_are_none() {
        for text in [
            "", "m", "Mi", "1.2.3", "1MB", "1mi", "1K", "abc", "1e", "1e+", "1e1.5", "1 Mi",
            "1ee3", "--1", "1e--3", "NaN", "inf",
        ] {
            assert_eq!(parse_quantity(text), None, "{text:?}");
        }
    }
}
