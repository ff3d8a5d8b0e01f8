//! A tiny glob matcher for name filters such as `nightly-*`: `*` matches any run of characters
//! (including none), `?` matches exactly one character, everything else matches itself, case
//! sensitively (Glue job names are case sensitive). There is no escaping and no character
//! class: a regex engine would make every plugin several times larger for features name
//! filters do not need.
//!
//! Matching works on characters, not bytes, and takes time proportional to the product of the
//! two lengths at worst, so hostile names cannot make it blow up.

/// Whether `text` matches `pattern` as a whole.
///
/// ```
/// use glue_rules_sdk::glob::matches;
/// assert!(matches("nightly-*", "nightly-orders"));
/// assert!(matches("job-??", "job-42"));
/// assert!(!matches("nightly-*", "hourly-orders"));
/// ```
pub fn matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it is currently assumed to stretch to.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                // Let the last `*` swallow one more character and retry from there.
                Some((star, swallowed)) => {
                    p = star + 1;
                    t = swallowed + 1;
                    backtrack = Some((star, swallowed + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Whether `text` matches any of `patterns` (e.g. a comma-separated list from a setting, split
/// by the caller). An empty list matches nothing.
pub fn matches_any<I, S>(patterns: I, text: &str) -> bool
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    patterns.into_iter().any(|p| matches(p.as_ref(), text))
}

/// The EventBridge pattern value (JSON text) that selects the same names as `glob`, for
/// turning a configured name filter into a host-side pattern, so the plugin is not even
/// entered for the names it filters out: an exact string when there is no `*` or `?`, a
/// `prefix` for a single trailing `*`, a `wildcard` for other `*`s. `None` when `glob` has a
/// `?`, which event patterns cannot express: keep the filter in `evaluate` alone then.
///
/// ```
/// use glue_rules_sdk::glob::pattern_value;
/// assert_eq!(pattern_value("MyJob").as_deref(), Some(r#""MyJob""#));
/// assert_eq!(pattern_value("nightly-*").as_deref(), Some(r#"{"prefix":"nightly-"}"#));
/// assert_eq!(pattern_value("*-etl-*").as_deref(), Some(r#"{"wildcard":"*-etl-*"}"#));
/// assert_eq!(pattern_value("job-??"), None);
/// ```
pub fn pattern_value(glob: &str) -> Option<String> {
    use crate::json::{Object, quote};
    if glob.contains('?') {
        return None;
    }
    if !glob.contains('*') {
        return Some(quote(glob));
    }
    // Runs of `*` mean one `*` (EventBridge refuses `**`).
    let mut collapsed = String::with_capacity(glob.len());
    for c in glob.chars() {
        if !(c == '*' && collapsed.ends_with('*')) {
            collapsed.push(c);
        }
    }
    if let Some(prefix) = collapsed.strip_suffix('*')
        && !prefix.contains('*')
    {
        return Some(Object::new().string("prefix", prefix).finish());
    }
    // In a wildcard, a backslash escapes: a literal one is written twice.
    let wildcard = collapsed.replace('\\', "\\\\");
    Some(Object::new().string("wildcard", &wildcard).finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_wildcards() {
        assert!(matches("", ""));
        assert!(!matches("", "a"));
        assert!(matches("*", ""));
        assert!(matches("*", "anything"));
        assert!(matches("MyJob", "MyJob"));
        assert!(!matches("MyJob", "myjob"));
        assert!(!matches("MyJob", "MyJob2"));
        assert!(matches("My?ob", "MyJob"));
        assert!(!matches("?", ""));
        assert!(matches("nightly-*", "nightly-"));
        assert!(matches("*-etl-*", "sales-etl-daily"));
        assert!(!matches("*-etl-*", "sales-etl"));
        assert!(matches("a*b*c", "aXXbYYbZc"));
        assert!(!matches("a*b*c", "aXXbYYbZ"));
        assert!(matches("**a**", "bab"));
        assert!(matches("j?b-é*", "job-été"));
        assert!(!matches("job", "jo"));
    }

    #[test]
    fn many_stars_stay_fast() {
        let text = "a".repeat(2_000);
        let pattern = format!("{}b", "*a".repeat(50));
        assert!(!matches(&pattern, &text));
    }

    #[test]
    fn pattern_values_select_what_the_glob_matches() {
        assert_eq!(
            pattern_value("a**b*").as_deref(),
            Some(r#"{"wildcard":"a*b*"}"#)
        );
        assert_eq!(pattern_value("*").as_deref(), Some(r#"{"prefix":""}"#));
        assert_eq!(
            pattern_value(r"a\b*c").as_deref(),
            Some(r#"{"wildcard":"a\\\\b*c"}"#)
        );
        assert_eq!(
            pattern_value(r#"q"*"#).as_deref(),
            Some(r#"{"prefix":"q\""}"#)
        );
        assert_eq!(pattern_value("My?ob*"), None);
    }

    #[test]
    fn any_of() {
        assert!(matches_any(["x", "My*"], "MyJob"));
        assert!(!matches_any(Vec::<String>::new(), "MyJob"));
    }
}
