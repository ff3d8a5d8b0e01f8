//! Pattern text → validated, `$or`-expanded conjunctions.
//!
//! The expansion follows event-ruler's `JsonRuleCompiler`: members are read in document order,
//! a `$or` array multiplies the rules built so far by its alternatives, and writing a leaf path
//! that a rule already has replaces it ("the last reference is the one used").

use serde_json::Number;

use crate::error::{JsonPath, PatternError, Rule};
use crate::json::Json;
use crate::limits::{self, PatternLimits};
use crate::matcher::{AnythingBut, Cidr, IgnoreCase, Matcher, Range, Wildcard, WildcardError};

/// EventBridge's documented range for numeric matching operands.
pub(crate) const NUMERIC_LIMIT: f64 = 5.0e9;

/// Field names that event-ruler reserves inside `$or` alternatives.
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// The values listed for one field: any of them may match.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub(crate) matchers: Vec<Matcher>,
    /// The field's value array as written in the pattern (compact JSON), for explanations.
    pub(crate) display: String,
    pub(crate) has_exists: bool,
    pub(crate) has_absent: bool,
}

/// One field of an object pattern: a list of values or a nested object.
#[derive(Debug, Clone)]
pub(crate) enum FieldPat {
    Leaf(Leaf),
    Object(ObjPat),
}

/// An object in a pattern, without `$or` (one alternative of the expansion).
#[derive(Debug, Clone, Default)]
pub(crate) struct ObjPat {
    /// In document order. A key may appear twice, once as a leaf and once as an object
    /// (possible only through `$or` merging).
    pub(crate) fields: Vec<(String, FieldPat)>,
    /// Whether every leaf below can be satisfied by absence (all contain `exists: false`).
    pub(crate) absence_ok: bool,
}

impl ObjPat {
    /// A deep copy made in one go, so that its pieces sit close together in memory, without the
    /// explanation texts (the candidate index never explains).
    pub(crate) fn compact_copy(&self) -> ObjPat {
        ObjPat {
            fields: self
                .fields
                .iter()
                .map(|(k, f)| {
                    let f = match f {
                        FieldPat::Leaf(l) => FieldPat::Leaf(Leaf {
                            matchers: l.matchers.clone(),
                            display: String::new(),
                            has_exists: l.has_exists,
                            has_absent: l.has_absent,
                        }),
                        FieldPat::Object(o) => FieldPat::Object(o.compact_copy()),
                    };
                    (k.clone(), f)
                })
                .collect(),
            absence_ok: self.absence_ok,
        }
    }
}

type FlatRule = Vec<(Vec<String>, Leaf)>;

/// Parses and validates `text`, returning its `$or` expansion (at least one alternative) and
/// its compiled size in values (see [`PatternLimits::pattern_max_compiled_values`]).
///
/// Every limit is checked before the expansion is built: the text's size and depth before it is
/// parsed, the rest by counting on the parsed tree (see [`crate::limits`]).
pub(crate) fn compile(
    text: &str,
    limits: &PatternLimits,
) -> Result<(Vec<ObjPat>, usize), PatternError> {
    let root = JsonPath::default();
    limits::check_text(text, limits)?;
    let json = Json::parse(text)
        .map_err(|e| PatternError::new(&root, Rule::InvalidJson(e.to_string())))?;
    let Json::Object(members) = &json else {
        return Err(PatternError::new(&root, Rule::NotAnObject));
    };
    let measure = limits::measure(members, limits)?;

    let mut rules: Vec<FlatRule> = Vec::new();
    parse_object(members, &root, &[], &mut rules, false)?;
    Ok((
        rules.into_iter().map(build_tree).collect(),
        measure.compiled_values,
    ))
}

fn parse_object(
    members: &[(String, Json)],
    path: &JsonPath,
    field_path: &[String],
    rules: &mut Vec<FlatRule>,
    inside_or: bool,
) -> Result<(), PatternError> {
    if members.is_empty() {
        return Err(PatternError::new(path, Rule::EmptyObject));
    }
    for (key, value) in members {
        let p = path.key(key);
        if key == "$or" {
            parse_or(value, &p, field_path, rules)?;
            continue;
        }
        if inside_or && RESERVED_IN_OR.contains(&key.as_str()) {
            return Err(PatternError::new(&p, Rule::OrReservedField(key.clone())));
        }
        let mut fp = field_path.to_vec();
        fp.push(key.clone());
        match value {
            Json::Object(m) => parse_object(m, &p, &fp, rules, inside_or)?,
            Json::Array(items) => {
                let leaf = parse_leaf(items, &p)?;
                if rules.is_empty() {
                    rules.push(Vec::new());
                }
                for rule in rules.iter_mut() {
                    match rule.iter_mut().find(|(k, _)| *k == fp) {
                        Some(slot) => slot.1 = leaf.clone(),
                        None => rule.push((fp.clone(), leaf.clone())),
                    }
                }
            }
            _ => return Err(PatternError::new(&p, Rule::FieldNotObjectOrArray)),
        }
    }
    Ok(())
}

fn parse_or(
    value: &Json,
    path: &JsonPath,
    field_path: &[String],
    rules: &mut Vec<FlatRule>,
) -> Result<(), PatternError> {
    let Json::Array(items) = value else {
        return Err(PatternError::new(path, Rule::OrNotArray));
    };
    let current = std::mem::take(rules);
    for (i, item) in items.iter().enumerate() {
        let Json::Object(m) = item else {
            return Err(PatternError::new(&path.index(i), Rule::OrElementNotObject));
        };
        let mut alternative = current.clone();
        if alternative.is_empty() {
            alternative.push(Vec::new());
        }
        parse_object(m, &path.index(i), field_path, &mut alternative, true)?;
        rules.extend(alternative);
    }
    if items.len() < 2 {
        return Err(PatternError::new(path, Rule::OrTooFew));
    }
    Ok(())
}

fn build_tree(rule: FlatRule) -> ObjPat {
    let mut root = ObjPat::default();
    for (path, leaf) in rule {
        insert(&mut root, &path, leaf);
    }
    set_absence_ok(&mut root);
    root
}

fn insert(obj: &mut ObjPat, path: &[String], leaf: Leaf) {
    let (key, rest) = path.split_first().expect("paths are never empty");
    if rest.is_empty() {
        obj.fields.push((key.clone(), FieldPat::Leaf(leaf)));
        return;
    }
    let existing = obj
        .fields
        .iter_mut()
        .position(|(k, f)| k == key && matches!(f, FieldPat::Object(_)));
    let idx = existing.unwrap_or_else(|| {
        obj.fields
            .push((key.clone(), FieldPat::Object(ObjPat::default())));
        obj.fields.len() - 1
    });
    if let FieldPat::Object(child) = &mut obj.fields[idx].1 {
        insert(child, rest, leaf);
    }
}

fn set_absence_ok(obj: &mut ObjPat) -> bool {
    let mut ok = true;
    for (_, f) in &mut obj.fields {
        ok &= match f {
            FieldPat::Leaf(l) => l.has_absent,
            FieldPat::Object(o) => set_absence_ok(o),
        };
    }
    obj.absence_ok = ok;
    ok
}

fn parse_leaf(items: &[Json], path: &JsonPath) -> Result<Leaf, PatternError> {
    if items.is_empty() {
        return Err(PatternError::new(path, Rule::EmptyArray));
    }
    let mut matchers = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        matchers.push(match item {
            Json::String(s) => Matcher::String(s.clone()),
            Json::Number(n) => Matcher::Number(n.clone()),
            Json::Bool(b) => Matcher::Bool(*b),
            Json::Null => Matcher::Null,
            Json::Object(m) => parse_expression(m, &p)?,
            Json::Array(_) => return Err(PatternError::new(&p, Rule::BadMatchValue)),
        });
    }
    Ok(Leaf {
        has_exists: matchers.iter().any(|m| matches!(m, Matcher::Exists)),
        has_absent: matchers.iter().any(|m| matches!(m, Matcher::Absent)),
        matchers,
        display: serde_json::to_string(&Json::Array(items.to_vec()).to_value()).unwrap_or_default(),
    })
}

fn string_operand<'a>(
    value: &'a Json,
    path: &JsonPath,
    operator: &str,
) -> Result<&'a str, PatternError> {
    match value {
        Json::String(s) => Ok(s),
        _ => Err(PatternError::new(
            path,
            Rule::OperandType {
                operator: operator.to_owned(),
                expected: "a string",
            },
        )),
    }
}

fn single_member<'a>(
    members: &'a [(String, Json)],
    path: &JsonPath,
) -> Result<(&'a str, &'a Json), PatternError> {
    match members {
        [] => Err(PatternError::new(path, Rule::EmptyObject)),
        [(k, v)] => Ok((k, v)),
        _ => Err(PatternError::new(path, Rule::OneKeyPerExpression)),
    }
}

fn wildcard(text: &str, path: &JsonPath) -> Result<Wildcard, PatternError> {
    Wildcard::parse(text).map_err(|e| {
        PatternError::new(
            path,
            match e {
                WildcardError::Consecutive(i) => Rule::ConsecutiveWildcards(i),
                WildcardError::Escape(i) => Rule::InvalidWildcardEscape(i),
            },
        )
    })
}

/// `{"prefix": "x"}` / `{"prefix": {"equals-ignore-case": "x"}}` and the same for suffix.
/// Returns (text, ignore_case).
fn affix_operand(
    value: &Json,
    path: &JsonPath,
    operator: &str,
) -> Result<(String, bool), PatternError> {
    match value {
        Json::String(s) => Ok((s.clone(), false)),
        Json::Object(m) => {
            let (inner, v) = single_member(m, path)?;
            let p = path.key(inner);
            if inner != "equals-ignore-case" {
                return Err(PatternError::new(
                    &p,
                    Rule::UnsupportedNesting {
                        outer: operator.to_owned(),
                        inner: inner.to_owned(),
                    },
                ));
            }
            let s = string_operand(v, &p, &format!("{operator}/equals-ignore-case"))?;
            Ok((s.to_owned(), true))
        }
        _ => Err(PatternError::new(
            path,
            Rule::OperandType {
                operator: operator.to_owned(),
                expected: "a string or {\"equals-ignore-case\": string}",
            },
        )),
    }
}

fn parse_expression(members: &[(String, Json)], path: &JsonPath) -> Result<Matcher, PatternError> {
    let (op, value) = single_member(members, path)?;
    let p = path.key(op);
    Ok(match op {
        "prefix" => match affix_operand(value, &p, op)? {
            (s, false) => Matcher::Prefix(s),
            (s, true) => Matcher::PrefixIgnoreCase(IgnoreCase::new(&s)),
        },
        "suffix" => match affix_operand(value, &p, op)? {
            (s, false) => Matcher::Suffix(s),
            (s, true) => Matcher::SuffixIgnoreCase(IgnoreCase::new(&s)),
        },
        "equals-ignore-case" => {
            Matcher::EqualsIgnoreCase(IgnoreCase::new(string_operand(value, &p, op)?))
        }
        "wildcard" => Matcher::Wildcard(wildcard(string_operand(value, &p, op)?, &p)?),
        "numeric" => Matcher::Numeric(parse_numeric(value, &p)?),
        "cidr" => {
            let s = string_operand(value, &p, op)?;
            Matcher::Cidr(Cidr::parse(s).map_err(|e| PatternError::new(&p, Rule::Cidr(e)))?)
        }
        "exists" => match value {
            Json::Bool(true) => Matcher::Exists,
            Json::Bool(false) => Matcher::Absent,
            _ => return Err(PatternError::new(&p, Rule::ExistsNotBool)),
        },
        "anything-but" => Matcher::AnythingBut(parse_anything_but(value, &p)?),
        other => {
            return Err(PatternError::new(
                &p,
                Rule::UnknownOperator(other.to_owned()),
            ));
        }
    })
}

fn parse_anything_but(value: &Json, path: &JsonPath) -> Result<AnythingBut, PatternError> {
    match value {
        Json::String(s) => Ok(AnythingBut::Strings(vec![s.clone()])),
        Json::Number(n) => Ok(AnythingBut::Numbers(vec![n.clone()])),
        Json::Array(items) => {
            if items.is_empty() {
                return Err(PatternError::new(path, Rule::EmptyArray));
            }
            if let Json::String(_) = items[0] {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Json::String(s) => out.push(s.clone()),
                        _ => return Err(PatternError::new(&path.index(i), Rule::AnythingButMixed)),
                    }
                }
                Ok(AnythingBut::Strings(out))
            } else {
                let mut out: Vec<Number> = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Json::Number(n) => out.push(n.clone()),
                        _ => return Err(PatternError::new(&path.index(i), Rule::AnythingButMixed)),
                    }
                }
                Ok(AnythingBut::Numbers(out))
            }
        }
        Json::Object(m) => {
            let (inner, v) = single_member(m, path)?;
            let p = path.key(inner);
            let operator = format!("anything-but/{inner}");
            if !matches!(
                inner,
                "prefix" | "suffix" | "equals-ignore-case" | "wildcard"
            ) {
                return Err(PatternError::new(
                    &p,
                    Rule::UnsupportedNesting {
                        outer: "anything-but".to_owned(),
                        inner: inner.to_owned(),
                    },
                ));
            }
            let texts: Vec<(JsonPath, &str)> = match v {
                Json::String(s) => vec![(p.clone(), s.as_str())],
                Json::Array(items) if !items.is_empty() => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Json::String(s) => Ok((p.index(i), s.as_str())),
                        _ => Err(PatternError::new(
                            &p.index(i),
                            Rule::OperandType {
                                operator: operator.clone(),
                                expected: "a string or a non-empty list of strings",
                            },
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                _ => {
                    return Err(PatternError::new(
                        &p,
                        Rule::OperandType {
                            operator,
                            expected: "a string or a non-empty list of strings",
                        },
                    ));
                }
            };
            let affix = |texts: Vec<(JsonPath, &str)>| {
                texts
                    .into_iter()
                    .map(|(p, s)| {
                        if s.is_empty() {
                            Err(PatternError::new(&p, Rule::AnythingButEmptyAffix))
                        } else {
                            Ok(s.to_owned())
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()
            };
            Ok(match inner {
                "prefix" => AnythingBut::Prefixes(affix(texts)?),
                "suffix" => AnythingBut::Suffixes(affix(texts)?),
                "equals-ignore-case" => {
                    AnythingBut::IgnoreCase(texts.iter().map(|(_, s)| IgnoreCase::new(s)).collect())
                }
                _ => AnythingBut::Wildcards(
                    texts
                        .iter()
                        .map(|(p, s)| wildcard(s, p))
                        .collect::<Result<_, _>>()?,
                ),
            })
        }
        _ => Err(PatternError::new(
            path,
            Rule::OperandType {
                operator: "anything-but".to_owned(),
                expected: "a string, a number, a list of strings or of numbers, or an object",
            },
        )),
    }
}

fn numeric_operand(value: &Json, path: &JsonPath) -> Result<f64, PatternError> {
    let Json::Number(n) = value else {
        return Err(PatternError::new(path, Rule::NumericNeedsNumber));
    };
    let x = n.as_f64().unwrap_or(f64::NAN);
    if !(-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&x) {
        return Err(PatternError::new(path, Rule::NumericOutOfRange(x)));
    }
    if n.is_f64() {
        // Rust prints the shortest representation that round-trips, never in exponent form.
        let text = format!("{x}");
        if text.split_once('.').is_some_and(|(_, frac)| frac.len() > 6) {
            return Err(PatternError::new(path, Rule::NumericTooPrecise(x)));
        }
    }
    Ok(x)
}

fn numeric_op<'a>(value: &'a Json, path: &JsonPath) -> Result<&'a str, PatternError> {
    match value {
        Json::String(s) => Ok(s),
        _ => Err(PatternError::new(path, Rule::NumericShape)),
    }
}

fn parse_numeric(value: &Json, path: &JsonPath) -> Result<Range, PatternError> {
    let Json::Array(items) = value else {
        return Err(PatternError::new(path, Rule::NumericShape));
    };
    if items.len() != 2 && items.len() != 4 {
        return Err(PatternError::new(path, Rule::NumericShape));
    }
    let op = numeric_op(&items[0], &path.index(0))?;
    let x = numeric_operand(&items[1], &path.index(1))?;
    let mut range = match op {
        "=" => Range {
            lower: Some((x, true)),
            upper: Some((x, true)),
        },
        "<" | "<=" => Range {
            lower: None,
            upper: Some((x, op == "<=")),
        },
        ">" | ">=" => Range {
            lower: Some((x, op == ">=")),
            upper: None,
        },
        other => {
            return Err(PatternError::new(
                &path.index(0),
                Rule::NumericOperator(other.to_owned()),
            ));
        }
    };
    if items.len() == 4 {
        if range.upper.is_some() {
            // `=`, `<` and `<=` take a single operand.
            return Err(PatternError::new(&path.index(2), Rule::NumericShape));
        }
        let op2 = numeric_op(&items[2], &path.index(2))?;
        if op2 != "<" && op2 != "<=" {
            return Err(PatternError::new(
                &path.index(2),
                Rule::NumericOperator(op2.to_owned()),
            ));
        }
        let top = numeric_operand(&items[3], &path.index(3))?;
        if top <= x {
            return Err(PatternError::new(path, Rule::NumericEmptyRange));
        }
        range.upper = Some((top, op2 == "<="));
    }
    Ok(range)
}
