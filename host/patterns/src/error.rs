//! Errors for invalid event patterns.

use std::fmt;

use crate::limits::Limit;

/// An event pattern that cannot be compiled.
///
/// `path` names where in the pattern the problem is, in the form `detail.state[1]`
/// (`<root>` for the pattern object itself); `rule` says which rule was broken.
/// A per-plugin limit ([`Rule::OverLimit`] with a `plugin-...` [`Limit`](crate::Limit)) is
/// about the plugin's list rather than a place in one pattern: its `path` is empty, and
/// `pattern` is the pattern that took the plugin over the limit (`None` when the list is too
/// long).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", describe(self))]
pub struct PatternError {
    /// Which pattern of a plugin's list, when the error comes from
    /// [`PatternSetBuilder::add`](crate::PatternSetBuilder::add) or
    /// [`Pattern::parse_list`](crate::Pattern::parse_list) (0-based).
    pub pattern: Option<usize>,
    /// Where the problem is, e.g. `detail.state[1].numeric[2]`; empty for a per-plugin limit.
    pub path: String,
    /// The rule that was broken.
    pub rule: Rule,
}

fn describe(e: &PatternError) -> String {
    let which = e.pattern.map(|i| format!(" #{i}")).unwrap_or_default();
    match (&e.pattern, e.path.is_empty()) {
        (None, true) => format!("invalid event patterns: {}", e.rule),
        (_, true) => format!("invalid event pattern{which}: {}", e.rule),
        _ => format!("invalid event pattern{which} at `{}`: {}", e.path, e.rule),
    }
}

impl PatternError {
    pub(crate) fn new(path: &JsonPath, rule: Rule) -> Self {
        PatternError {
            pattern: None,
            path: path.to_string(),
            rule,
        }
    }

    /// The same error about a plugin's list as a whole (no path).
    pub(crate) fn for_plugin(self) -> Self {
        PatternError {
            path: String::new(),
            ..self
        }
    }

    /// The same error for pattern number `i` of a list.
    pub(crate) fn in_list(self, i: usize) -> Self {
        PatternError {
            pattern: Some(i),
            ..self
        }
    }

    /// The limit broken, its value and what was found, if this is a [`Rule::OverLimit`].
    pub fn over_limit(&self) -> Option<(Limit, usize, usize)> {
        match self.rule {
            Rule::OverLimit { limit, max, found } => Some((limit, max, found)),
            _ => None,
        }
    }
}

/// The rule an invalid pattern breaks. The `Display` text is the message shown to users.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Rule {
    /// The text is not JSON.
    #[error("not valid JSON: {0}")]
    InvalidJson(String),
    /// The pattern (or a value that must be one) is not a JSON object.
    #[error("an event pattern must be a JSON object")]
    NotAnObject,
    /// `{}` anywhere in a pattern.
    #[error("empty objects are not allowed")]
    EmptyObject,
    /// `[]` as a field's list of values.
    #[error("empty arrays are not allowed")]
    EmptyArray,
    /// A field whose value is neither an object (nesting) nor an array (values to match).
    #[error("a field's value must be an object (a nested field) or an array of values to match")]
    FieldNotObjectOrArray,
    /// Something in a value array that is neither a JSON scalar nor a match expression.
    #[error(
        "a value to match must be a string, number, true, false, null or a match expression object"
    )]
    BadMatchValue,
    /// `{"prefix": "a", "suffix": "b"}` and the like.
    #[error("only one key is allowed in a match expression")]
    OneKeyPerExpression,
    /// `{"contains": ...}`, `{"regexp": ...}` and other unknown operators.
    #[error("unrecognized match type `{0}`")]
    UnknownOperator(String),
    /// An operator whose operand has the wrong JSON type.
    #[error("`{operator}` needs {expected}")]
    OperandType {
        /// The operator, e.g. `prefix` or `anything-but/equals-ignore-case`.
        operator: String,
        /// What it needs, e.g. "a string".
        expected: &'static str,
    },
    /// A nested operator that is not allowed where it is, e.g. `{"prefix": {"suffix": "x"}}`.
    #[error("`{inner}` is not supported inside `{outer}`")]
    UnsupportedNesting {
        /// The enclosing operator.
        outer: String,
        /// The operator inside it.
        inner: String,
    },
    /// `**` in a wildcard.
    #[error("consecutive `*` in wildcard (at character {0})")]
    ConsecutiveWildcards(usize),
    /// A backslash in a wildcard not followed by `*` or `\`.
    #[error("invalid escape in wildcard (at character {0}): only `\\*` and `\\\\` are allowed")]
    InvalidWildcardEscape(usize),
    /// `{"numeric": [...]}` operand that is not a number.
    #[error("numeric operator needs a number")]
    NumericNeedsNumber,
    /// An unknown or misplaced comparison operator in `numeric`.
    #[error(
        "bad numeric operator `{0}`: use `=`, `<`, `<=`, `>`, `>=`, or `>`/`>=` followed by `<`/`<=`"
    )]
    NumericOperator(String),
    /// `numeric` with the wrong number of elements.
    #[error(
        "numeric expression must be [op, number] or [\">\"|\">=\", number, \"<\"|\"<=\", number]"
    )]
    NumericShape,
    /// A numeric operand outside EventBridge's documented range.
    #[error("numeric value {0} is outside EventBridge's range -5.0e9 to 5.0e9")]
    NumericOutOfRange(f64),
    /// A numeric operand with more than six digits after the decimal point.
    #[error("numeric value {0} has more than six digits after the decimal point")]
    NumericTooPrecise(f64),
    /// A range whose lower bound is not below its upper bound.
    #[error("numeric range bottom must be less than top")]
    NumericEmptyRange,
    /// `anything-but` list mixing strings and numbers, or holding null/booleans.
    #[error(
        "anything-but list must be all strings or all numbers (no null, booleans or mixed types)"
    )]
    AnythingButMixed,
    /// An empty prefix or suffix inside `anything-but`.
    #[error("anything-but prefix/suffix must not be empty")]
    AnythingButEmptyAffix,
    /// A malformed CIDR block.
    #[error("invalid CIDR: {0}")]
    Cidr(String),
    /// `exists` with something other than `true`/`false`.
    #[error("exists needs true or false")]
    ExistsNotBool,
    /// `$or` not followed by an array.
    #[error("`$or` must be followed by an array of objects")]
    OrNotArray,
    /// `$or` element that is not an object.
    #[error("only JSON objects are allowed in a `$or` array")]
    OrElementNotObject,
    /// `$or` with fewer than two alternatives.
    #[error("`$or` needs at least 2 objects")]
    OrTooFew,
    /// An operator keyword used as a field name inside `$or`.
    #[error("`{0}` is a reserved keyword and cannot be a field name inside `$or`")]
    OrReservedField(String),
    /// Too many `$or` combinations. No longer produced: the limit is configurable and reported
    /// as [`Rule::OverLimit`] with [`Limit::PatternMaxAlternatives`]; kept so that code naming
    /// it still compiles.
    #[error("$or expands to more than 1000 combinations ({0})")]
    OrTooManyCombinations(u64),
    /// A pattern, or a plugin's list of patterns, is over one of the [`PatternLimits`]
    /// (`limit`, whose value is `max`); `found` is the size counted when the limit was passed
    /// (for a count made in one pass, the whole may be larger).
    ///
    /// [`PatternLimits`]: crate::PatternLimits
    #[error("{}", over_limit(.limit, .max, .found))]
    OverLimit {
        /// Which limit.
        limit: Limit,
        /// Its value.
        max: usize,
        /// The size found.
        found: usize,
    },
}

fn over_limit(limit: &Limit, max: &usize, found: &usize) -> String {
    limit.describe(*max, *found)
}

/// A path inside a pattern document, rendered like `detail.state[1]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct JsonPath(Vec<Step>);

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

impl JsonPath {
    pub(crate) fn key(&self, key: &str) -> JsonPath {
        let mut p = self.clone();
        p.0.push(Step::Key(key.to_owned()));
        p
    }

    pub(crate) fn index(&self, i: usize) -> JsonPath {
        let mut p = self.clone();
        p.0.push(Step::Index(i));
        p
    }
}

/// Writes `key` as a path step: bare when it is a plain identifier-like name, quoted otherwise.
pub(crate) fn write_key(f: &mut impl fmt::Write, key: &str, first: bool) -> fmt::Result {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '$' | '@' | ':' | '/'));
    if plain {
        if !first {
            f.write_char('.')?;
        }
        f.write_str(key)
    } else {
        write!(f, "[{}]", serde_json::Value::String(key.to_owned()))
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<root>");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) => write_key(f, k, i == 0)?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}
