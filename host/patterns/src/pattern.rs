//! One compiled event pattern.

use std::fmt;
use std::str::FromStr;

use crate::document::AsEvent;

use crate::compile::{ObjPat, compile};
use crate::error::PatternError;
use crate::eval::{Failure, NoSink, eval};
use crate::limits::{PatternLimits, PluginTotals};
use crate::set::is_unindexed;

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
    /// Values across the alternatives, as [`PatternLimits`] counts them.
    compiled_values: usize,
    /// Alternatives the index cannot look up.
    unindexed: usize,
}

impl Pattern {
    /// Validates and compiles one pattern (JSON text), within [`PatternLimits::default`].
    ///
    /// # Errors
    /// A [`PatternError`] naming the path in the pattern and the rule it breaks, or
    /// [`Rule::OverLimit`](crate::Rule::OverLimit) for a pattern over a limit.
    pub fn parse(json: &str) -> Result<Pattern, PatternError> {
        Pattern::parse_with_limits(json, &PatternLimits::default())
    }

    /// Like [`parse`](Self::parse) within `limits`: the per-pattern ones, and the per-plugin
    /// ones applied to this pattern alone (a pattern over those could never be loaded).
    /// Refusing a pattern over a limit costs at most one pass over its text.
    ///
    /// # Errors
    /// As [`parse`](Self::parse).
    pub fn parse_with_limits(json: &str, limits: &PatternLimits) -> Result<Pattern, PatternError> {
        let (alternatives, compiled_values) = compile(json, limits)?;
        let unindexed = alternatives.iter().filter(|a| is_unindexed(a)).count();
        let pattern = Pattern {
            alternatives,
            compiled_values,
            unindexed,
            source: json.to_owned(),
        };
        PluginTotals::default().admit(&pattern, None, limits)?;
        Ok(pattern)
    }

    /// Validates and compiles a plugin's list of patterns, within [`PatternLimits::default`]
    /// (per pattern and per plugin).
    ///
    /// # Errors
    /// As [`parse_list_with_limits`](Self::parse_list_with_limits).
    pub fn parse_list<S: AsRef<str>>(patterns: &[S]) -> Result<Vec<Pattern>, PatternError> {
        Pattern::parse_list_with_limits(patterns, &PatternLimits::default())
    }

    /// Validates and compiles a plugin's list of patterns within `limits`: the number of
    /// patterns is checked before any is parsed, each pattern as by
    /// [`parse_with_limits`](Self::parse_with_limits), and the plugin's totals after each one,
    /// so that a list over a limit is refused before more than one pattern past it is compiled.
    ///
    /// # Errors
    /// The first [`PatternError`], with [`PatternError::pattern`] set to the index of the pattern
    /// in `patterns` (`None` when the list is too long).
    pub fn parse_list_with_limits<S: AsRef<str>>(
        patterns: &[S],
        limits: &PatternLimits,
    ) -> Result<Vec<Pattern>, PatternError> {
        let mut totals = PluginTotals::default();
        totals.admit_count(patterns.len(), limits)?;
        patterns
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let p =
                    Pattern::parse_with_limits(text.as_ref(), limits).map_err(|e| e.in_list(i))?;
                totals.admit(&p, Some(i), limits)?;
                Ok(p)
            })
            .collect()
    }

    /// The pattern text this was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many `$or` alternatives the pattern expands to (1 without `$or`).
    pub fn alternatives(&self) -> usize {
        self.alternatives.len()
    }

    /// Values across all alternatives once the `$or` is expanded, as
    /// [`PatternLimits::pattern_max_compiled_values`] counts them: the pattern's compiled size.
    pub fn compiled_values(&self) -> usize {
        self.compiled_values
    }

    /// How many alternatives the candidate index cannot look up, as
    /// [`PatternLimits::plugin_max_unindexed`] counts them: a [`PatternSet`](crate::PatternSet)
    /// checks these against every event.
    pub fn unindexed_alternatives(&self) -> usize {
        self.unindexed
    }

    /// Whether `event` matches, with EventBridge's semantics (see `SEMANTICS.md`). The event
    /// is a [`Document`](crate::Document) or a `serde_json::Value`.
    pub fn matches<'a>(&self, event: impl AsEvent<'a>) -> bool {
        let event = event.into_event();
        self.alternatives
            .iter()
            .any(|alt| eval(alt, event, &mut NoSink))
    }

    /// Like [`matches`](Self::matches), but on no match says, for each `$or` alternative, the
    /// first field that failed, what the pattern expected there and what the event has.
    pub fn explain<'a>(&self, event: impl AsEvent<'a>) -> Explanation {
        let event = event.into_event();
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
