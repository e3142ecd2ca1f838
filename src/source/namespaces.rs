//! How the sources name the namespaces that do have pods, when the configured one has none.

/// `shop (12), payments (3)`: most pods first, then by name; `none` when there are none.
pub fn namespaces_with_pods(counts: impl IntoIterator<Item = (String, usize)>) -> String {
    let mut counts: Vec<(String, usize)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
    if counts.is_empty() {
        return "none".to_string();
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
        .iter()
        .map(|(ns, n)| format!("{ns} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_pods_first_then_by_name() {
        let counts = [
            ("b".into(), 3),
            ("a".into(), 3),
            ("c".into(), 12),
            ("d".into(), 0),
        ];
        assert_eq!(namespaces_with_pods(counts), "c (12), a (3), b (3)");
        assert_eq!(namespaces_with_pods([]), "none");
    }
}
