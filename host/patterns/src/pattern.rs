//! One compiled event pattern.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::compile::{ObjPat, compile};
use crate::error::PatternError;
use crate::eval::{Failure, NoSink, eval};

/// A validated, compiled EventBridge event pattern.
///
/// ```
/// use glue_rules_patterns::Pattern;
/// use serde_json::json;
///
/// let p = Pattern::parse(r#"{"source": ["aws.glue"], "detail": {"state": ["FAILED", "TIMEOUT"]}}"#)?;
/// assert!(p.matches(&json!({"source": "aws.glue", "detail": {"state": "TIMEOUT"}})));
/// assert!(!p.matches(&json!({"source": "aws.glue", "detail": {"state": "SUCCEEDED"}})));
/// # Ok::<(), glue_rules_patterns::PatternError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    /// The `$or` expansion: the pattern matches when any alternative does.
    pub(crate) alternatives: Vec<ObjPat>,
}

impl Pattern {
    /// Validates and compiles one pattern (JSON text).
    ///
    /// # Errors
    /// A [`PatternError`] naming the path in the pattern and the rule it breaks.
    pub fn parse(json: &str) -> Result<Pattern, PatternError> {
        Ok(Pattern {
            alternatives: compile(json)?,
            source: json.to_owned(),
        })
    }

    /// The pattern text this was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many `$or` alternatives the pattern expands to (1 without `$or`).
    pub fn alternatives(&self) -> usize {
        self.alternatives.len()
    }

    /// Whether `event` matches, with EventBridge's semantics (see `SEMANTICS.md`).
    pub fn matches(&self, event: &Value) -> bool {
        self.alternatives
            .iter()
            .any(|alt| eval(alt, event, &mut NoSink))
    }

    /// Like [`matches`](Self::matches), but on no match says, for each `$or` alternative, the
    /// first field that failed, what the pattern expected there and what the event has.
    pub fn explain(&self, event: &Value) -> Explanation {
        let mut failures = Vec::with_capacity(self.alternatives.len());
        for alt in &self.alternatives {
            let mut sink: Option<Failure> = None;
            if eval(alt, event, &mut sink) {
                return Explanation::Match;
            }
            failures.push(sink.unwrap_or_else(|| Failure {
                path: "<root>".to_owned(),
                expected: "an object".to_owned(),
                found: "something else".to_owned(),
            }));
        }
        Explanation::NoMatch(failures)
    }
}

impl FromStr for Pattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Pattern, PatternError> {
        Pattern::parse(s)
    }
}

/// The answer of [`Pattern::explain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Explanation {
    /// The event matches the pattern.
    Match,
    /// The event does not match: one [`Failure`] per `$or` alternative, in pattern order
    /// (a single one for a pattern without `$or`).
    NoMatch(Vec<Failure>),
}

impl Explanation {
    /// Whether this says "match".
    pub fn is_match(&self) -> bool {
        matches!(self, Explanation::Match)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: expected {}, found {}",
            self.path, self.expected, self.found
        )
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Explanation::Match => f.write_str("match"),
            Explanation::NoMatch(failures) if failures.len() == 1 => {
                write!(f, "no match: {}", failures[0])
            }
            Explanation::NoMatch(failures) => {
                write!(
                    f,
                    "no match: none of the {} `$or` alternatives matched",
                    failures.len()
                )?;
                const SHOWN: usize = 20;
                for (i, fail) in failures.iter().enumerate().take(SHOWN) {
                    write!(f, "\n  alternative {}: {fail}", i + 1)?;
                }
                if failures.len() > SHOWN {
                    write!(f, "\n  ... and {} more", failures.len() - SHOWN)?;
                }
                Ok(())
            }
        }
    }
}
