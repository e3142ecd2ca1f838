//! Redaction: before evidence leaves the machine, every sensitive name of the incident, every
//! IP address and every event message in it is replaced by a stable placeholder; the model's
//! answer is mapped back with [`Redactor::restore`].
//!
//! - Names (pod, namespace, node, container, workload) are given by the caller and replaced
//!   wherever they occur in any string of the document, object keys included, even inside a
//!   longer word (`shop` in `shopping` too: a partial leak is still a leak). At each position
//!   the longest matching name wins, and the text is scanned once, so `cart` never breaks the
//!   placeholder of `cart-7d9f8b6c5d-x2x9k` and a placeholder is never rescanned.
//! - IPv4 addresses (four dot-separated numbers 0-255) and IPv6 addresses (anything
//!   [`std::net::Ipv6Addr`] parses, standing alone) become `<ip-N>`.
//! - Every string under a key named in [`EVENT_MESSAGE_KEYS`] (at any depth, whatever the
//!   nesting below it) is replaced wholesale by `<event-message-N>`: free text can hold
//!   anything.
//!
//! Placeholders are numbered per kind from 1: names in the order given to [`Redactor::new`],
//! IPs and event messages in the order met. The same value always gets the same placeholder.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::net::Ipv6Addr;
use std::ops::Range;

/// JSON keys whose string values (at any depth below them) are event messages, replaced
/// wholesale. Matched exactly.
pub const EVENT_MESSAGE_KEYS: &[&str] = &["message", "messages", "event_message", "event_messages"];

/// What a sensitive name names; the placeholder says which (`<pod-1>`, `<node-2>`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    Pod,
    Namespace,
    Node,
    Container,
    /// The owner: Deployment, StatefulSet, DaemonSet, Job, …
    Workload,
}

impl NameKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Pod => "pod",
            NameKind::Namespace => "namespace",
            NameKind::Node => "node",
            NameKind::Container => "container",
            NameKind::Workload => "workload",
        }
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The placeholders of one incident. [`Redactor::redact`] learns the IPs and event messages it
/// meets, so redact the document before restoring the answer.
#[derive(Clone, Default)]
pub struct Redactor {
    /// (name, placeholder), longest name first.
    names: Vec<(String, String)>,
    ips: HashMap<String, String>,
    events: HashMap<String, String>,
    /// placeholder → original, for [`Redactor::restore`].
    originals: HashMap<String, String>,
    counts: HashMap<&'static str, usize>,
}

/// Never prints the names it holds.
impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("names", &self.names.len())
            .field("ips", &self.ips.len())
            .field("event_messages", &self.events.len())
            .finish()
    }
}

impl Redactor {
    /// The redactor of one incident's names. Empty names are ignored; a name given twice keeps
    /// its first placeholder (and kind).
    pub fn new<S: AsRef<str>>(names: &[(NameKind, S)]) -> Redactor {
        let mut r = Redactor::default();
        for (kind, name) in names {
            let name = name.as_ref();
            if name.is_empty() || r.names.iter().any(|(n, _)| n == name) {
                continue;
            }
            let placeholder = r.next_placeholder(kind.as_str());
            r.originals.insert(placeholder.clone(), name.to_string());
            r.names.push((name.to_string(), placeholder));
        }
        // Stable sort: equal lengths keep the caller's order.
        r.names
            .sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        r
    }

    fn next_placeholder(&mut self, kind: &'static str) -> String {
        let n = self.counts.entry(kind).or_insert(0);
        *n += 1;
        format!("<{kind}-{n}>")
    }

    /// The document with every name, IP and event message replaced (see the module doc).
    pub fn redact(&mut self, document: &Value) -> Value {
        self.redact_value(document, false)
    }

    fn redact_value(&mut self, value: &Value, in_event: bool) -> Value {
        match value {
            Value::String(s) if in_event => Value::String(self.event_placeholder(s)),
            Value::String(s) => Value::String(self.redact_text(s)),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.redact_value(v, in_event))
                    .collect(),
            ),
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, v) in map {
                    let event = in_event || EVENT_MESSAGE_KEYS.contains(&key.as_str());
                    let v = self.redact_value(v, event);
                    out.insert(self.redact_text(key), v);
                }
                Value::Object(out)
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
        }
    }

    fn event_placeholder(&mut self, message: &str) -> String {
        if let Some(p) = self.events.get(message) {
            return p.clone();
        }
        let p = self.next_placeholder("event-message");
        self.events.insert(message.to_string(), p.clone());
        self.originals.insert(p.clone(), message.to_string());
        p
    }

    fn ip_placeholder(&mut self, ip: &str) -> String {
        if let Some(p) = self.ips.get(ip) {
            return p.clone();
        }
        let p = self.next_placeholder("ip");
        self.ips.insert(ip.to_string(), p.clone());
        self.originals.insert(p.clone(), ip.to_string());
        p
    }

    /// One string: names first (one pass, longest match at each position), then IPs in the
    /// text between the name placeholders.
    pub fn redact_text(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut plain_start = 0;
        let mut i = 0;
        while i < text.len() {
            let rest = &text[i..];
            let hit = self
                .names
                .iter()
                .find(|(name, _)| rest.starts_with(name.as_str()));
            if let Some((name, placeholder)) = hit {
                let (len, placeholder) = (name.len(), placeholder.clone());
                let plain = &text[plain_start..i];
                out.push_str(&self.redact_ips(plain));
                out.push_str(&placeholder);
                i += len;
                plain_start = i;
            } else {
                i += rest.chars().next().map_or(1, char::len_utf8);
            }
        }
        let plain = &text[plain_start..];
        out.push_str(&self.redact_ips(plain));
        out
    }

    fn redact_ips(&mut self, text: &str) -> String {
        let ranges = find_ips(text);
        if ranges.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for r in ranges {
            out.push_str(&text[last..r.start]);
            out.push_str(&self.ip_placeholder(&text[r.clone()]));
            last = r.end;
        }
        out.push_str(&text[last..]);
        out
    }

    /// `text` with every placeholder this redactor made replaced by its original. Placeholders
    /// it did not make (the model invented them) stay as they are. Matching ignores ASCII case
    /// (`<Pod-1>`), as models sometimes capitalise.
    pub fn restore(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            out.push_str(&rest[..open]);
            let candidate = &rest[open..];
            // The longest placeholder is `<event-message-N>`; 40 bytes leave room for N.
            let close = candidate
                .char_indices()
                .take(40)
                .skip(1)
                .find(|(_, c)| *c == '>' || *c == '<')
                .filter(|(_, c)| *c == '>')
                .map(|(j, _)| j);
            match close.and_then(|j| self.original(&candidate[..=j]).map(|o| (j, o))) {
                Some((j, original)) => {
                    out.push_str(original);
                    rest = &candidate[j + 1..];
                }
                None => {
                    out.push('<');
                    rest = &candidate[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn original(&self, placeholder: &str) -> Option<&str> {
        self.originals
            .get(placeholder)
            .or_else(|| self.originals.get(&placeholder.to_ascii_lowercase()))
            .map(String::as_str)
    }

    /// Whether any string of `document` (keys included) still holds one of this redactor's
    /// names or an IP address, outside the placeholders: a last check before anything is sent.
    pub fn leaks(&self, document: &Value) -> bool {
        match document {
            Value::String(s) => self.text_leaks(s),
            Value::Array(items) => items.iter().any(|v| self.leaks(v)),
            Value::Object(map) => map.iter().any(|(k, v)| self.text_leaks(k) || self.leaks(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }

    fn text_leaks(&self, text: &str) -> bool {
        // Cut the placeholders out (a name may be a word of one, like `pod`), leaving a
        // separator so that the text around one cannot join into a name.
        let mut stripped = text.to_string();
        for placeholder in self.originals.keys() {
            stripped = stripped.replace(placeholder.as_str(), "\u{0}");
        }
        self.names
            .iter()
            .any(|(name, _)| stripped.contains(name.as_str()))
            || !find_ips(&stripped).is_empty()
    }
}

/// The byte ranges of the IP addresses in `text`, in order, not overlapping.
fn find_ips(text: &str) -> Vec<Range<usize>> {
    let mut found = find_ipv6(text);
    let v4: Vec<_> = find_ipv4(text)
        .into_iter()
        .filter(|r| !found.iter().any(|f| f.start < r.end && r.start < f.end))
        .collect();
    found.extend(v4);
    found.sort_by_key(|r| r.start);
    found
}

/// Maximal runs of the bytes accepted by `in_run`.
fn runs(text: &str, in_run: impl Fn(u8) -> bool) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if in_run(bytes[i]) {
            let start = i;
            while i < bytes.len() && in_run(bytes[i]) {
                i += 1;
            }
            out.push(start..i);
        } else {
            i += 1;
        }
    }
    out
}

/// Four consecutive dot-separated groups of 1-3 digits, each at most 255 (leading zeros
/// allowed: `010.0.0.1` is still an address to some parsers). In a longer dotted run
/// (`1.2.3.4.5`) the first four groups match.
fn find_ipv4(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for run in runs(text, |b| b.is_ascii_digit() || b == b'.') {
        // Groups of the run with their byte ranges.
        let mut groups = Vec::new();
        let mut start = run.start;
        for (offset, b) in text[run.clone()].bytes().enumerate() {
            if b == b'.' {
                groups.push(start..run.start + offset);
                start = run.start + offset + 1;
            }
        }
        groups.push(start..run.end);
        let octet = |r: &Range<usize>| {
            (1..=3).contains(&r.len()) && text[r.clone()].parse::<u16>().is_ok_and(|n| n <= 255)
        };
        let mut g = 0;
        while g + 4 <= groups.len() {
            if groups[g..g + 4].iter().all(octet) {
                out.push(groups[g].start..groups[g + 3].end);
                g += 4;
            } else {
                g += 1;
            }
        }
    }
    out
}

/// Runs of hex digits, colons and dots with at least two colons that parse as an IPv6
/// address and are not glued to a word (`std::fmt` is not `d::f`).
fn find_ipv6(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    runs(text, |b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        .into_iter()
        .filter_map(|run| {
            let before = run.start.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(run.end).copied();
            if before.is_some_and(word) || after.is_some_and(word) {
                return None;
            }
            // A sentence may end right after an address.
            let end = run.start + text[run.clone()].trim_end_matches('.').len();
            let candidate = &text[run.start..end];
            let colons = candidate.bytes().filter(|b| *b == b':').count();
            (colons >= 2 && candidate != "::" && candidate.parse::<Ipv6Addr>().is_ok())
                .then_some(run.start..end)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all_strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|v| all_strings(v, out)),
            Value::Object(m) => {
                for (k, v) in m {
                    out.push(k.clone());
                    all_strings(v, out);
                }
            }
            _ => {}
        }
    }

    /// The property: no input name, IP or event text survives anywhere in the document.
    fn assert_clean(redacted: &Value, secrets: &[&str]) {
        let text = serde_json::to_string(redacted).unwrap();
        let mut strings = Vec::new();
        all_strings(redacted, &mut strings);
        for secret in secrets {
            for s in &strings {
                assert!(!s.contains(secret), "{secret:?} leaked in {s:?}\n{text}");
            }
        }
    }

    fn incident() -> (Vec<(NameKind, &'static str)>, Value) {
        let names = vec![
            (NameKind::Pod, "cart-7d9f8b6c5d-x2x9k"),
            (NameKind::Namespace, "shop"),
            (NameKind::Node, "ip-10-0-3-17.ec2.internal"),
            (NameKind::Container, "cart"),
            (NameKind::Workload, "cart-7d9f8b6c5d"),
        ];
        let doc = json!({
            "pod": "cart-7d9f8b6c5d-x2x9k",
            "namespace": "shop",
            "node": "ip-10-0-3-17.ec2.internal",
            "workload": "Deployment/cart-7d9f8b6c5d",
            "evidence": [
                {"feature": "memory_bytes", "value": 512.0,
                 "detail": "container cart of shop/cart-7d9f8b6c5d-x2x9k at 98% of its limit"},
                {"feature": "restarts", "value": 3, "detail": "pod IP 10.42.0.17, host fd00::1:17"}
            ],
            "events": [
                {"reason": "OOMKilled", "message": "Container cart in pod cart-7d9f8b6c5d-x2x9k was OOM killed; secret=hunter2"},
                {"reason": "BackOff", "message": "Back-off restarting failed container"}
            ],
            "event_messages": ["Readiness probe failed: Get http://10.42.0.17:8080/healthz"],
            "shop": {"shopping": "cart"}
        });
        (names, doc)
    }

    #[test]
    fn names_ips_and_event_messages_do_not_survive() {
        let (names, doc) = incident();
        let mut r = Redactor::new(&names);
        let out = r.redact(&doc);
        let secrets = [
            "cart",
            "shop",
            "ip-10-0-3-17",
            "10.42.0.17",
            "fd00::1:17",
            "hunter2",
            "OOM killed",
            "Back-off restarting",
            "Readiness probe",
        ];
        assert_clean(&out, &secrets);
        assert!(!r.leaks(&out));
        assert!(r.leaks(&doc));
        // Structure and non-sensitive values stay.
        assert_eq!(out["pod"], "<pod-1>");
        assert_eq!(out["namespace"], "<namespace-1>");
        assert_eq!(out["node"], "<node-1>");
        assert_eq!(out["workload"], "Deployment/<workload-1>");
        assert_eq!(out["evidence"][0]["feature"], "memory_bytes");
        assert_eq!(out["evidence"][0]["value"], 512.0);
        assert_eq!(
            out["evidence"][0]["detail"],
            "container <container-1> of <namespace-1>/<pod-1> at 98% of its limit"
        );
        // IPs and event messages are numbered in the order met, which depends on the map's key
        // order: check them through restore.
        let detail = out["evidence"][1]["detail"].as_str().unwrap();
        assert!(detail.starts_with("pod IP <ip-"), "{detail}");
        assert_eq!(r.restore(detail), doc["evidence"][1]["detail"]);
        assert_eq!(out["events"][0]["reason"], "OOMKilled");
        let messages = [
            &out["events"][0]["message"],
            &out["events"][1]["message"],
            &out["event_messages"][0],
        ];
        for m in messages {
            assert!(m.as_str().unwrap().starts_with("<event-message-"), "{m}");
        }
        assert_ne!(messages[0], messages[1]);
        assert_eq!(
            r.restore(messages[2].as_str().unwrap()),
            doc["event_messages"][0]
        );
        // Keys are redacted too, and a name inside a longer word is still cut out.
        assert_eq!(out["<namespace-1>"]["<namespace-1>ping"], "<container-1>");
    }

    #[test]
    fn placeholders_are_stable_and_restore_maps_them_back() {
        let (names, _) = incident();
        let doc = json!({
            "a": "10.42.0.17 then fd00::1",
            "message": "Container cart in pod cart-7d9f8b6c5d-x2x9k was OOM killed; secret=hunter2"
        });
        let mut r = Redactor::new(&names);
        let first = r.redact(&doc);
        let second = r.redact(&doc);
        assert_eq!(first, second, "the same value gets the same placeholder");
        let answer = "<Pod-1> in <namespace-1> on <node-1> (<ip-1>) ran out of memory: \
                      <event-message-1>; raise the limit of <container-1> in <workload-1>. \
                      <pod-9> and <notaplaceholder> and a < b > c stay.";
        assert_eq!(
            r.restore(answer),
            "cart-7d9f8b6c5d-x2x9k in shop on ip-10-0-3-17.ec2.internal (10.42.0.17) ran out of \
             memory: Container cart in pod cart-7d9f8b6c5d-x2x9k was OOM killed; secret=hunter2; \
             raise the limit of cart in cart-7d9f8b6c5d. <pod-9> and <notaplaceholder> and a < b \
             > c stay."
        );
        // Restoring an original that itself looks like a placeholder does not recurse.
        let mut r = Redactor::new(&[(NameKind::Pod, "q")]);
        let out = r.redact(&json!({"message": "<pod-1>"}));
        assert_eq!(out["message"], "<event-message-1>");
        assert_eq!(r.restore("<event-message-1> <pod-1>"), "<pod-1> q");
    }

    #[test]
    fn substrings_regex_metacharacters_and_unicode() {
        let names = [
            (NameKind::Workload, "api"),
            (NameKind::Pod, "api-v2.*+?(x)[y]{z}|^$\\-0"),
            (NameKind::Container, "api-v2"),
            (NameKind::Namespace, "café-ünïcode-名前"),
            (NameKind::Node, "n\"ode'1"),
            (NameKind::Pod, "api"), // a duplicate keeps its first placeholder
            (NameKind::Pod, ""),    // ignored
        ];
        let doc = json!({
            "a": "api-v2.*+?(x)[y]{z}|^$\\-0 runs api-v2 of api in café-ünïcode-名前 on n\"ode'1",
            "b": ["apiapi-v2api", "名前 café-ünïcode-名前!", "xn\"ode'1y"],
            "api-v2": 1
        });
        let mut r = Redactor::new(&names);
        let out = r.redact(&doc);
        assert_clean(&out, &["api", "café", "ünïcode", "n\"ode"]);
        assert!(!r.leaks(&out));
        assert_eq!(
            out["a"],
            "<pod-1> runs <container-1> of <workload-1> in <namespace-1> on <node-1>"
        );
        assert_eq!(
            out["b"],
            json!([
                "<workload-1><container-1><workload-1>",
                "名前 <namespace-1>!",
                "x<node-1>y"
            ])
        );
        assert_eq!(out["<container-1>"], 1);
        // Everything maps back exactly.
        for (orig, red) in [(&doc["a"], &out["a"]), (&doc["b"][1], &out["b"][1])] {
            assert_eq!(r.restore(red.as_str().unwrap()), orig.as_str().unwrap());
        }
    }

    #[test]
    fn names_that_look_like_placeholder_words_do_not_confuse_the_check() {
        // A pod named `pod` or `ip` appears inside every placeholder's text.
        let mut r = Redactor::new(&[(NameKind::Pod, "pod"), (NameKind::Container, "ip")]);
        let out = r.redact(&json!({"x": "pod pod-ip 1.2.3.4 ip"}));
        assert_eq!(
            out["x"],
            "<pod-1> <pod-1>-<container-1> <ip-1> <container-1>"
        );
        assert!(!r.leaks(&out));
        assert_eq!(
            r.restore(out["x"].as_str().unwrap()),
            "pod pod-ip 1.2.3.4 ip"
        );
    }

    #[test]
    fn ip_addresses_are_found_and_lookalikes_are_not() {
        let mut r = Redactor::new::<&str>(&[]);
        let cases = [
            ("10.0.0.1", "<ip-1>"),
            ("to 10.0.0.1:8080/x", "to <ip-1>:8080/x"),
            ("cidr 10.0.0.0/16.", "cidr <ip-2>/16."),
            ("010.000.000.001", "<ip-3>"),
            ("1.2.3.4.5", "<ip-4>.5"),
            ("ver 1.2.3 and 256.1.1.1", "ver 1.2.3 and 256.1.1.1"),
            ("[2001:db8::1]:443", "[<ip-5>]:443"),
            ("::1 and ::ffff:10.0.0.1.", "<ip-6> and <ip-7>."),
            ("fe80::1%eth0", "<ip-8>%eth0"),
            (
                "std::fmt at 12:30:45, mac aa:bb:cc:dd:ee:ff",
                "std::fmt at 12:30:45, mac aa:bb:cc:dd:ee:ff",
            ),
            ("again 10.0.0.1", "again <ip-1>"),
        ];
        for (input, expected) in cases {
            assert_eq!(r.redact_text(input), expected, "{input}");
        }
        assert_eq!(r.restore("<ip-5> <ip-7>"), "2001:db8::1 ::ffff:10.0.0.1");
    }

    #[test]
    fn generated_documents_never_leak() {
        // A small deterministic generator of names that overlap each other and the text.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let alphabet: Vec<char> = "ab-.1é名*(".chars().collect();
        let kinds = [
            NameKind::Pod,
            NameKind::Namespace,
            NameKind::Node,
            NameKind::Container,
            NameKind::Workload,
        ];
        for _ in 0..300 {
            let word = |rng: &mut rand_chacha::ChaCha8Rng, max: usize| -> String {
                let len = rng.random_range(1..=max);
                (0..len)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                    .collect()
            };
            let names: Vec<(NameKind, String)> = (0..rng.random_range(1..5))
                .map(|i| (kinds[i % kinds.len()], word(&mut rng, 4)))
                .collect();
            let mut text = String::new();
            for _ in 0..rng.random_range(1..8) {
                if rng.random_bool(0.5) {
                    text.push_str(&names[rng.random_range(0..names.len())].1);
                } else {
                    text.push_str(&word(&mut rng, 3));
                }
                if rng.random_bool(0.2) {
                    text.push_str(" 192.168.1.20 ");
                }
            }
            let doc = json!({ "text": text, "list": [text.clone()], text.clone(): 1 });
            let mut r = Redactor::new(&names);
            let out = r.redact(&doc);
            let secrets: Vec<&str> = names.iter().map(|(_, n)| n.as_str()).collect();
            let mut strings = Vec::new();
            all_strings(&out, &mut strings);
            for s in &strings {
                let mut stripped = s.clone();
                for p in r.originals.keys() {
                    stripped = stripped.replace(p.as_str(), "\u{0}");
                }
                for secret in &secrets {
                    assert!(
                        !stripped.contains(secret),
                        "{secret:?} in {s:?} from {text:?}"
                    );
                }
                assert!(!stripped.contains("192.168.1.20"));
            }
            assert!(!r.leaks(&out));
            assert_eq!(r.restore(out["text"].as_str().unwrap()), text);
        }
    }
}
