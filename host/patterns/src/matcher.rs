//! Value matchers: one per match expression, tested against one leaf value of an event.

use std::net::IpAddr;

use serde_json::Number;

use crate::document::Shape;

/// One alternative in a field's list of values.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// A string, compared exactly.
    String(String),
    /// A number, compared by value (see SEMANTICS.md).
    Number(Number),
    Bool(bool),
    Null,
    Prefix(String),
    PrefixIgnoreCase(IgnoreCase),
    Suffix(String),
    SuffixIgnoreCase(IgnoreCase),
    EqualsIgnoreCase(IgnoreCase),
    Wildcard(Wildcard),
    Numeric(Range),
    Cidr(Cidr),
    /// `exists: true`.
    Exists,
    /// `exists: false`.
    Absent,
    AnythingBut(AnythingBut),
}

#[derive(Debug, Clone)]
pub(crate) enum AnythingBut {
    Strings(Vec<String>),
    Numbers(Vec<Number>),
    Prefixes(Vec<String>),
    Suffixes(Vec<String>),
    IgnoreCase(Vec<IgnoreCase>),
    Wildcards(Vec<Wildcard>),
}

impl Matcher {
    /// Whether the leaf value `v` (a string, number, bool or null) satisfies this matcher.
    /// `Exists`/`Absent` are decided by the caller from the presence of leaf values.
    pub(crate) fn test(&self, v: Shape<'_>) -> bool {
        let text = match v {
            Shape::String(s) => Some(s),
            _ => None,
        };
        match self {
            Matcher::String(s) => text == Some(s.as_str()),
            Matcher::Number(n) => matches!(v, Shape::Number(m) if num_eq(n, m)),
            Matcher::Bool(b) => v == Shape::Bool(*b),
            Matcher::Null => v == Shape::Null,
            Matcher::Prefix(p) => text.is_some_and(|s| s.starts_with(p.as_str())),
            Matcher::Suffix(p) => text.is_some_and(|s| s.ends_with(p.as_str())),
            Matcher::PrefixIgnoreCase(p) => text.is_some_and(|s| p.is_prefix_of(s)),
            Matcher::SuffixIgnoreCase(p) => text.is_some_and(|s| p.is_suffix_of(s)),
            Matcher::EqualsIgnoreCase(p) => text.is_some_and(|s| p.equals(s)),
            Matcher::Wildcard(w) => text.is_some_and(|s| w.matches(s)),
            Matcher::Numeric(r) => {
                matches!(v, Shape::Number(n) if n.as_f64().is_some_and(|x| r.contains(x)))
            }
            Matcher::Cidr(c) => text.is_some_and(|s| c.contains(s)),
            Matcher::Exists | Matcher::Absent => false,
            Matcher::AnythingBut(ab) => !ab.excludes(v),
        }
    }
}

impl AnythingBut {
    /// Whether `v` is one of the excluded values. Values of another type are never excluded:
    /// `anything-but: "x"` matches the number 5, `anything-but: [1]` matches the string "1".
    fn excludes(&self, v: Shape<'_>) -> bool {
        match (self, v) {
            (AnythingBut::Strings(set), Shape::String(s)) => set.iter().any(|x| x == s),
            (AnythingBut::Numbers(set), Shape::Number(n)) => set.iter().any(|x| num_eq(x, n)),
            (AnythingBut::Prefixes(set), Shape::String(s)) => {
                set.iter().any(|p| s.starts_with(p.as_str()))
            }
            (AnythingBut::Suffixes(set), Shape::String(s)) => {
                set.iter().any(|p| s.ends_with(p.as_str()))
            }
            (AnythingBut::IgnoreCase(set), Shape::String(s)) => set.iter().any(|p| p.equals(s)),
            (AnythingBut::Wildcards(set), Shape::String(s)) => set.iter().any(|w| w.matches(s)),
            _ => false,
        }
    }
}

/// Numeric equality by value: exact for two integers, IEEE-754 binary64 otherwise.
pub(crate) fn num_eq(a: &Number, b: &Number) -> bool {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x == y;
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// A numeric range; `=` is a closed range with equal bounds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Range {
    /// (bound, inclusive)
    pub(crate) lower: Option<(f64, bool)>,
    pub(crate) upper: Option<(f64, bool)>,
}

impl Range {
    pub(crate) fn contains(&self, x: f64) -> bool {
        let above = match self.lower {
            None => true,
            Some((b, true)) => x >= b,
            Some((b, false)) => x > b,
        };
        let below = match self.upper {
            None => true,
            Some((b, true)) => x <= b,
            Some((b, false)) => x < b,
        };
        above && below
    }
}

/// A wildcard expression split at its unescaped `*`s.
#[derive(Debug, Clone)]
pub(crate) struct Wildcard {
    /// Literal pieces; `parts.len() - 1` is the number of `*`.
    parts: Vec<String>,
}

/// Why a wildcard expression is invalid, with the character position.
pub(crate) enum WildcardError {
    Consecutive(usize),
    Escape(usize),
}

impl Wildcard {
    /// Parses EventBridge wildcard syntax: `*` matches any run of characters, `\*` is a literal
    /// `*`, `\\` a literal `\`; any other escape and `**` are errors.
    pub(crate) fn parse(text: &str) -> Result<Wildcard, WildcardError> {
        let mut parts = vec![String::new()];
        let mut chars = text.chars().enumerate().peekable();
        let mut last_was_star = false;
        while let Some((i, c)) = chars.next() {
            match c {
                '*' => {
                    if last_was_star {
                        return Err(WildcardError::Consecutive(i - 1));
                    }
                    parts.push(String::new());
                    last_was_star = true;
                    continue;
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('*' | '\\'))) => parts.last_mut().expect("non-empty").push(e),
                    _ => return Err(WildcardError::Escape(i)),
                },
                c => parts.last_mut().expect("non-empty").push(c),
            }
            last_was_star = false;
        }
        Ok(Wildcard { parts })
    }

    pub(crate) fn matches(&self, s: &str) -> bool {
        let parts = &self.parts;
        if parts.len() == 1 {
            return s == parts[0];
        }
        let first = &parts[0];
        let last = &parts[parts.len() - 1];
        if s.len() < first.len() + last.len() || !s.starts_with(first.as_str()) {
            return false;
        }
        if !s.ends_with(last.as_str()) {
            return false;
        }
        // Greedy leftmost placement of the middle pieces is optimal for `*`-only globs.
        let mut rest = &s[first.len()..s.len() - last.len()];
        for part in &parts[1..parts.len() - 1] {
            match rest.find(part.as_str()) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        true
    }

    /// The literal text before the first `*` (all of it when there is no `*`).
    pub(crate) fn literal_prefix(&self) -> &str {
        &self.parts[0]
    }

    /// The literal text after the last `*` (all of it when there is no `*`).
    pub(crate) fn literal_suffix(&self) -> &str {
        &self.parts[self.parts.len() - 1]
    }

    /// Whether the pattern contains at least one `*`.
    pub(crate) fn has_star(&self) -> bool {
        self.parts.len() > 1
    }
}

/// Case-insensitive text, following event-ruler: each character of the pattern matches its
/// lower-case or its upper-case form (full Unicode mappings, so `ß` matches `ß` or `SS`).
#[derive(Debug, Clone)]
pub(crate) struct IgnoreCase {
    /// For each pattern character: (lower, upper).
    chars: Vec<(String, String)>,
    /// ASCII-only patterns take a fast path.
    ascii: Option<String>,
}

impl IgnoreCase {
    pub(crate) fn new(text: &str) -> IgnoreCase {
        let ascii = text.is_ascii().then(|| text.to_owned());
        let chars = text
            .chars()
            .map(|c| (c.to_lowercase().collect(), c.to_uppercase().collect()))
            .collect();
        IgnoreCase { chars, ascii }
    }

    /// For an ASCII pattern, its lower-case form: a string equals the pattern ignoring case
    /// exactly when it is ASCII and its lower-case form is this.
    pub(crate) fn ascii_key(&self) -> Option<String> {
        self.ascii.as_ref().map(|a| a.to_ascii_lowercase())
    }

    /// Event offsets reachable after consuming all pattern characters from the front of `s`.
    fn forward_ends(&self, s: &str) -> Vec<usize> {
        let mut offsets = vec![0usize];
        for (lo, up) in &self.chars {
            let mut next = Vec::with_capacity(2);
            for &o in &offsets {
                for alt in [lo, up] {
                    if s[o..].starts_with(alt.as_str()) && !next.contains(&(o + alt.len())) {
                        next.push(o + alt.len());
                    }
                }
            }
            if next.is_empty() {
                return next;
            }
            offsets = next;
        }
        offsets
    }

    pub(crate) fn equals(&self, s: &str) -> bool {
        if let Some(a) = &self.ascii {
            return s.len() == a.len() && s.eq_ignore_ascii_case(a);
        }
        self.forward_ends(s).contains(&s.len())
    }

    pub(crate) fn is_prefix_of(&self, s: &str) -> bool {
        if let Some(a) = &self.ascii {
            return s.len() >= a.len()
                && s.is_char_boundary(a.len())
                && s[..a.len()].eq_ignore_ascii_case(a);
        }
        !self.forward_ends(s).is_empty()
    }

    pub(crate) fn is_suffix_of(&self, s: &str) -> bool {
        if let Some(a) = &self.ascii {
            let start = s.len().wrapping_sub(a.len());
            return s.len() >= a.len()
                && s.is_char_boundary(start)
                && s[start..].eq_ignore_ascii_case(a);
        }
        let mut ends = vec![s.len()];
        for (lo, up) in self.chars.iter().rev() {
            let mut next = Vec::with_capacity(2);
            for &e in &ends {
                for alt in [lo, up] {
                    if s[..e].ends_with(alt.as_str()) && !next.contains(&(e - alt.len())) {
                        next.push(e - alt.len());
                    }
                }
            }
            if next.is_empty() {
                return false;
            }
            ends = next;
        }
        true
    }
}

/// An IPv4 or IPv6 address block.
#[derive(Debug, Clone)]
pub(crate) enum Cidr {
    V4 { net: u32, mask: u32 },
    V6 { net: u128, mask: u128 },
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Result<Cidr, String> {
        let (addr, bits) = text
            .split_once('/')
            .ok_or_else(|| "one `/` is required, as in 10.0.0.0/24".to_owned())?;
        let bits: u32 = bits
            .parse()
            .map_err(|_| format!("mask bits `{bits}` must be an integer"))?;
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IPv4 or IPv6 address"))?;
        match normalize(ip) {
            IpAddr::V4(a) => {
                if bits > 32 {
                    return Err(format!("IPv4 mask bits must be 0..=32, not {bits}"));
                }
                let mask = if bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - bits)
                };
                Ok(Cidr::V4 {
                    net: u32::from(a) & mask,
                    mask,
                })
            }
            IpAddr::V6(a) => {
                if bits > 128 {
                    return Err(format!("IPv6 mask bits must be 0..=128, not {bits}"));
                }
                let mask = if bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - bits)
                };
                Ok(Cidr::V6 {
                    net: u128::from(a) & mask,
                    mask,
                })
            }
        }
    }

    pub(crate) fn contains(&self, s: &str) -> bool {
        let Ok(ip) = s.parse::<IpAddr>() else {
            return false;
        };
        match (self, normalize(ip)) {
            (Cidr::V4 { net, mask }, IpAddr::V4(a)) => u32::from(a) & mask == *net,
            (Cidr::V6 { net, mask }, IpAddr::V6(a)) => u128::from(a) & mask == *net,
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are IPv4 addresses, as in Java's `InetAddress`.
fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wc(p: &str) -> Wildcard {
        Wildcard::parse(p).unwrap_or_else(|_| panic!("bad wildcard {p}"))
    }

    #[test]
    fn wildcard_matching() {
        assert!(wc("*").matches(""));
        assert!(wc("*").matches("anything"));
        assert!(wc("a*").matches("a"));
        assert!(wc("*a").matches("ba"));
        assert!(!wc("a*a").matches("a"));
        assert!(wc("a*a").matches("aa"));
        assert!(wc("a*b*c").matches("abc"));
        assert!(wc("a*b*c").matches("aXbYbZc"));
        assert!(!wc("a*b*c").matches("acb"));
        assert!(wc("*/lib/*").matches("/usr/lib/x.so"));
        assert!(wc("a\\*b").matches("a*b"));
        assert!(!wc("a\\*b").matches("aXb"));
        assert!(wc("a\\\\b").matches("a\\b"));
        assert!(wc("\\**").matches("*tail"));
        assert!(!wc("\\**").matches("tail"));
        assert!(wc("é*é").matches("éxé"));
        assert!(!wc("plain").has_star());
    }

    #[test]
    fn wildcard_errors() {
        assert!(matches!(
            Wildcard::parse("a**b"),
            Err(WildcardError::Consecutive(1))
        ));
        assert!(matches!(
            Wildcard::parse("a\\b"),
            Err(WildcardError::Escape(1))
        ));
        assert!(matches!(
            Wildcard::parse("a\\"),
            Err(WildcardError::Escape(1))
        ));
        assert!(Wildcard::parse("a\\**").is_ok());
    }

    #[test]
    fn ignore_case() {
        let p = IgnoreCase::new("EventB");
        assert!(p.equals("eventb"));
        assert!(p.is_prefix_of("EVENTBRIDGE"));
        assert!(!p.is_prefix_of("Event"));
        assert!(IgnoreCase::new(".PNG").is_suffix_of("a.png"));
        let s = IgnoreCase::new("straße");
        assert!(s.equals("STRASSE"));
        assert!(s.equals("Straße"));
        assert!(s.is_prefix_of("STRASSENBAHN"));
        assert!(IgnoreCase::new("ße").is_suffix_of("STRASSE"));
        assert!(!IgnoreCase::new("é").equals("e"));
        assert!(IgnoreCase::new("É").equals("é"));
        // ASCII patterns never match non-ASCII look-alikes (Kelvin sign).
        assert!(!IgnoreCase::new("k").equals("\u{212A}"));
        assert!(!IgnoreCase::new("ab").is_suffix_of("é"));
    }

    #[test]
    fn cidr() {
        let c = Cidr::parse("10.0.0.0/24").ok().unwrap();
        assert!(c.contains("10.0.0.255"));
        assert!(!c.contains("10.0.1.0"));
        assert!(c.contains("::ffff:10.0.0.7"));
        assert!(!c.contains("not an ip"));
        let c6 = Cidr::parse("2001:db8::/32").ok().unwrap();
        assert!(c6.contains("2001:DB8:0:0::1"));
        assert!(!c6.contains("2001:db9::1"));
        assert!(!c6.contains("10.0.0.1"));
        assert!(Cidr::parse("10.0.0.1/33").is_err());
        assert!(Cidr::parse("10.0.0.1").is_err());
        assert!(Cidr::parse("10.0.0.1/x").is_err());
        let all = Cidr::parse("0.0.0.0/0").ok().unwrap();
        assert!(all.contains("255.255.255.255"));
        // host bits are ignored
        let host = Cidr::parse("10.0.0.7/24").ok().unwrap();
        assert!(host.contains("10.0.0.200"));
        let one = Cidr::parse("10.0.0.5/32").ok().unwrap();
        assert!(one.contains("10.0.0.5") && !one.contains("10.0.0.4"));
    }
}
