//! EventBridge input transformers, rendered in the rule: an `InputPathsMap` of names to JSON
//! paths into the event, and an `InputTemplate` with `<name>` placeholders, as EventBridge users
//! already write them for a rule's target.
//!
//! The placement of a placeholder decides how its value is written, as EventBridge does it:
//!
//! - in a JSON template (one that starts with `{`, `[` or `"`), a placeholder **inside** a JSON
//!   string gets the value's text escaped for that string (a string's contents; any other value
//!   as compact JSON), and a placeholder **outside** strings gets the value as JSON (a string
//!   with its quotes);
//! - in any other template (plain text), the value's text is written as it is.
//!
//! The predefined variables are `aws.events.event.json` (the whole event), `aws.events.event`
//! (the event without `detail`), both only usable as JSON values, and `aws.events.rule-name`,
//! `aws.events.rule-arn` and `aws.events.event.ingestion-time` from [`Predefined`]. A
//! placeholder whose name is neither a variable nor predefined is left as written; a path that
//! selects nothing gives JSON `null` outside strings and nothing inside them or in plain text.
//!
//! ```
//! use glue_rules_sdk::template::{Predefined, render};
//! let event = serde_json::json!({"detail": {"instance-id": "i-0123", "state": "RUNNING"}});
//! let paths = [("instance", "$.detail.instance-id"), ("state", "$.detail.state")];
//! let out = render(r#"{"instance": <instance>, "text": "<instance> is <state>"}"#, &paths, &event, &Predefined::default()).unwrap();
//! assert_eq!(out, r#"{"instance": "i-0123", "text": "i-0123 is RUNNING"}"#);
//! ```
//!
//! ## Compiled once, rendered per event
//!
//! [`render`] parses the paths and scans the template on every call. A rule that renders the
//! same template for every event [compiles](Template::compile) it once (a `static`
//! [`LazyLock`](std::sync::LazyLock) in the plugin: each component instance has its own
//! memory) and [renders](Template::render) it per event, which only looks values up and copies
//! text. What a template renders from is a [`Source`]: a `serde_json::Value` (the event, or part
//! of it) is one, and so is any type of the rule's own that answers the template's paths from
//! the typed event, which spares building JSON for each call and keeps `serde_json`'s value and
//! serializer out of the component.
//!
//! ```
//! use glue_rules_sdk::template::{Predefined, Selected, Source, Template, Variable};
//!
//! /// The fields the paths select, straight from the rule's typed values.
//! struct Instance<'a> { id: &'a str, state: &'a str }
//!
//! impl Source for Instance<'_> {
//!     fn select(&self, variable: &Variable<'_>) -> Selected<'_> {
//!         match variable.path() {
//!             "$.detail.instance-id" => Selected::String(self.id),
//!             "$.detail.state" => Selected::String(self.state),
//!             _ => Selected::Null,
//!         }
//!     }
//! }
//!
//! let paths = [("instance", "$.detail.instance-id"), ("state", "$.detail.state")];
//! let template = Template::compile(&paths, r#"{"instance": <instance>, "text": "<instance> is <state>"}"#)?;
//! let out = template.render(&Instance { id: "i-0123", state: "RUNNING" }, &Predefined::default())?;
//! assert_eq!(out, r#"{"instance": "i-0123", "text": "i-0123 is RUNNING"}"#);
//! # Ok::<(), glue_rules_sdk::template::TemplateError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

/// The values of the predefined variables that do not come from the event.
#[derive(Debug, Clone, Default)]
pub struct Predefined {
    /// `aws.events.rule-name`: in glue-rules, the plugin's name is the natural choice.
    pub rule_name: String,
    /// `aws.events.rule-arn`.
    pub rule_arn: String,
    /// `aws.events.event.ingestion-time`, ISO 8601; the event's `time` when not set.
    pub ingestion_time: Option<String>,
}

/// Most variables EventBridge allows in one `InputPathsMap`.
pub const MAX_VARIABLES: usize = 100;

/// Renders `template` with `paths` (name, JSON path) into `event`. Errors name the variable or
/// the path that cannot be used.
///
/// It compiles the template on every call: a rule that renders one template per event can
/// [`Template::compile`] it once instead.
pub fn render(
    template: &str,
    paths: &[(&str, &str)],
    event: &Value,
    predefined: &Predefined,
) -> Result<String, String> {
    Ok(Template::compile(paths, template)?.render(event, predefined)?)
}

/// [`render`] over the event being evaluated, as [`event_json`](crate::event_json) gives it:
/// what a rule calls in `evaluate` to build a payload or a message from a template.
///
/// It asks the host for the whole envelope and parses it on every call; a rule that only needs
/// fields of the typed view can render a compiled [`Template`] from a [`Source`] of its own
/// instead.
pub fn render_event(
    template: &str,
    paths: &[(&str, &str)],
    predefined: &Predefined,
) -> Result<String, String> {
    let event: Value =
        serde_json::from_str(&crate::event_json()).map_err(|e| format!("the event's JSON: {e}"))?;
    render(template, paths, &event, predefined)
}

/// Why a template cannot be compiled or rendered: its text names the variable, the path or the
/// placeholder concerned. A rule's `evaluate` can return it with `?` (it converts to `String`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

impl From<TemplateError> for String {
    fn from(error: TemplateError) -> Self {
        error.0
    }
}

/// What a variable's path selects, as a [`Source`] answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selected<'a> {
    /// Nothing, or JSON `null`: `null` outside strings, nothing inside them or in plain text.
    Null,
    /// A JSON string, by its contents (unescaped: the template escapes what it must).
    String(&'a str),
    /// Any other JSON value (a number, a boolean, an object, an array) as compact JSON text.
    Json(Cow<'a, str>),
}

impl<'a> From<&'a str> for Selected<'a> {
    fn from(text: &'a str) -> Self {
        Selected::String(text)
    }
}

impl<'a> From<Option<&'a str>> for Selected<'a> {
    /// A string, or [`Selected::Null`] for `None`.
    fn from(text: Option<&'a str>) -> Self {
        text.map_or(Selected::Null, Selected::String)
    }
}

/// What a compiled [`Template`] renders from: the values its variables' paths select.
///
/// A `serde_json::Value` is a source (the event, or a part of it shaped like it). A rule's own
/// type can be one too, answering the paths its templates use from typed fields: it must answer
/// what the path would select in the event's JSON (a test can hold it to that by rendering over
/// [`event_json`](crate::event_json) as well), and [`Selected::Null`] for what it does not have.
pub trait Source {
    /// What `variable`'s path selects; [`Selected::Null`] when it selects nothing.
    fn select(&self, variable: &Variable<'_>) -> Selected<'_>;

    /// The whole event as JSON, for `<aws.events.event.json>` (`with_detail`) and
    /// `<aws.events.event>` (without its `detail` member). `None`, the default, when the source
    /// does not have it: rendering a template that uses either then fails.
    fn whole_event(&self, with_detail: bool) -> Option<Selected<'_>> {
        let _ = with_detail;
        None
    }
}

/// One variable of a template's `InputPathsMap`, as a [`Source`] is asked for it.
#[derive(Debug, Clone, Copy)]
pub struct Variable<'t> {
    text: &'t str,
    name: Span,
    path: Span,
    steps: &'t [RawStep],
}

impl<'t> Variable<'t> {
    /// The variable's name, as the placeholders write it.
    pub fn name(&self) -> &'t str {
        self.text.get(self.name.range()).unwrap_or_default()
    }

    /// The variable's JSON path, as written (`$.detail.jobName`).
    pub fn path(&self) -> &'t str {
        self.text.get(self.path.range()).unwrap_or_default()
    }

    /// The path's steps, parsed: `$.resources[0]` is `Member("resources")`, `Index(0)`; `$` has
    /// none.
    pub fn steps(&self) -> impl Iterator<Item = Step<'t>> + 't {
        let text = self.text;
        self.steps.iter().map(move |step| match *step {
            RawStep::Member(span) => Step::Member(text.get(span.range()).unwrap_or_default()),
            RawStep::Index(index) => Step::Index(index),
        })
    }
}

/// One step of a path: a member or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// `.name`: an object's member.
    Member(&'a str),
    /// `[n]`: an array's element.
    Index(usize),
}

/// A template compiled once: its paths parsed and its text split into literal pieces and
/// placeholders, so that [`render`](Template::render) only looks values up and copies text.
/// Rendering is exactly what [`render`] (the function) gives for the same paths and template.
#[derive(Debug, Clone)]
pub struct Template {
    /// The template, then every variable's name and path: what the spans index.
    text: String,
    pieces: Vec<Piece>,
    /// The `InputPathsMap`'s variables, in order, then the event's `time` when
    /// `<aws.events.event.ingestion-time>` needs it.
    variables: Vec<VariableSpans>,
    steps: Vec<RawStep>,
    /// Bytes of literal text, to size the output.
    literal_len: usize,
    placeholders: usize,
}

/// Bytes reserved in the output for each placeholder's value: enough for the identifiers,
/// states, times and names of Glue events without growing the output, which costs more than the
/// memory reserved (longer values make it grow once or twice, no more).
const VALUE_ESTIMATE: usize = 32;

#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

#[derive(Debug, Clone, Copy)]
enum RawStep {
    Member(Span),
    Index(usize),
}

#[derive(Debug, Clone, Copy)]
struct VariableSpans {
    name: Span,
    path: Span,
    /// Into `Template::steps`.
    steps: Span,
}

#[derive(Debug, Clone, Copy)]
enum Piece {
    Literal(Span),
    Value(Slot, Mode),
}

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// The variable at this index.
    Variable(usize),
    RuleName,
    RuleArn,
    /// The predefined value, or what the variable at this index (`$.time`) selects.
    IngestionTime(usize),
    /// `aws.events.event.json`.
    Event,
    /// `aws.events.event`.
    EventWithoutDetail,
}

/// How a placeholder's value is written, decided by where it stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Outside strings in a JSON template: as JSON.
    Json,
    /// Inside a string in a JSON template: escaped for it.
    InString,
    /// In a plain-text template: as it is.
    Text,
}

impl Template {
    /// Compiles `template` with `paths` (name, JSON path), as [`render`] would use them. Errors
    /// are [`render`]'s, with the same text: a reserved name, a path that cannot be parsed, a
    /// whole-event variable where it would need escaping, more than [`MAX_VARIABLES`].
    pub fn compile(paths: &[(&str, &str)], template: &str) -> Result<Template, TemplateError> {
        if paths.len() > MAX_VARIABLES {
            return Err(TemplateError(format!(
                "{} variables: an input transformer has at most {MAX_VARIABLES}",
                paths.len()
            )));
        }
        let names: usize = paths
            .iter()
            .map(|(name, path)| name.len() + path.len())
            .sum();
        let mut text = String::with_capacity(template.len() + names);
        text.push_str(template);
        let mut steps = Vec::with_capacity(2 * paths.len());
        let mut variables = Vec::with_capacity(paths.len());
        for (name, path) in paths {
            if matches!(name.as_bytes().get(..4), Some(b"aws." | b"AWS.")) {
                return Err(TemplateError(format!(
                    "variable {name:?}: names starting with aws. are reserved"
                )));
            }
            let variable = push_variable(&mut text, &mut steps, name, path)
                .map_err(|e| TemplateError(format!("variable {name:?}: {e}")))?;
            variables.push(variable);
        }
        let declared = variables.len();
        let json = matches!(template.trim_start().chars().next(), Some('{' | '[' | '"'));
        let mut pieces = Vec::with_capacity(2 * paths.len() + 1);
        let mut literal_len = 0;
        let mut placeholders = 0;
        let mut literal = |pieces: &mut Vec<Piece>, start: usize, end: usize| {
            if start < end {
                literal_len += end - start;
                pieces.push(Piece::Literal(Span { start, end }));
            }
        };
        let mut in_string = false;
        let mut escaped = false;
        // Scanned byte by byte: every byte that matters (`<`, `>`, `"`, `\`) is ASCII, so it
        // never falls inside a multi-byte character, and the text between placeholders is one
        // literal piece.
        let bytes = template.as_bytes();
        let mut copied = 0;
        let mut at = 0;
        while at < bytes.len() {
            if !json {
                // In plain text only `<` matters: straight to the next one.
                match template.get(at..).and_then(|rest| rest.find('<')) {
                    Some(next) => at += next,
                    None => break,
                }
            }
            let byte = bytes[at];
            if byte == b'<'
                && let Some(length) = bytes[at + 1..].iter().position(|&b| b == b'>')
            {
                // Between two ASCII bytes: on character boundaries.
                let name = template.get(at + 1..at + 1 + length).unwrap_or_default();
                let slot = match name {
                    "aws.events.event.json" => Some(Slot::Event),
                    "aws.events.event" => Some(Slot::EventWithoutDetail),
                    "aws.events.rule-name" => Some(Slot::RuleName),
                    "aws.events.rule-arn" => Some(Slot::RuleArn),
                    "aws.events.event.ingestion-time" => {
                        let time = match variables.get(declared) {
                            Some(_) => declared,
                            None => {
                                let time = push_variable(&mut text, &mut steps, name, "$.time")
                                    .map_err(TemplateError)?;
                                variables.push(time);
                                declared
                            }
                        };
                        Some(Slot::IngestionTime(time))
                    }
                    _ => variables[..declared]
                        .iter()
                        .position(|v| text.get(v.name.range()) == Some(name))
                        .map(Slot::Variable),
                };
                if let Some(slot) = slot {
                    let mode = match (json, in_string) {
                        (true, false) => Mode::Json,
                        (true, true) => Mode::InString,
                        (false, _) => Mode::Text,
                    };
                    if matches!(slot, Slot::Event | Slot::EventWithoutDetail) && mode != Mode::Json
                    {
                        return Err(TemplateError(format!(
                            "<{name}> can only stand as a JSON value, outside quotes (its contents are not escaped)"
                        )));
                    }
                    literal(&mut pieces, copied, at);
                    pieces.push(Piece::Value(slot, mode));
                    placeholders += 1;
                    at += length + 2;
                    copied = at;
                    continue;
                }
            }
            if json {
                if in_string && escaped {
                    escaped = false;
                } else if in_string && byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = !in_string;
                }
            }
            at += 1;
        }
        literal(&mut pieces, copied, template.len());
        Ok(Template {
            text,
            pieces,
            variables,
            steps,
            literal_len,
            placeholders,
        })
    }

    /// Renders the template over `source`: each placeholder's value looked up and written where
    /// it stands, the text between copied. It fails only for `<aws.events.event>` or
    /// `<aws.events.event.json>` over a source without the whole event.
    pub fn render<S: Source + ?Sized>(
        &self,
        source: &S,
        predefined: &Predefined,
    ) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.literal_len + VALUE_ESTIMATE * self.placeholders);
        for piece in &self.pieces {
            match *piece {
                Piece::Literal(span) => {
                    out.push_str(self.text.get(span.range()).unwrap_or_default())
                }
                Piece::Value(slot, mode) => {
                    let value = match slot {
                        Slot::Variable(index) => source.select(&self.variable(index)),
                        Slot::RuleName => Selected::String(&predefined.rule_name),
                        Slot::RuleArn => Selected::String(&predefined.rule_arn),
                        Slot::IngestionTime(index) => match &predefined.ingestion_time {
                            Some(time) => Selected::String(time),
                            None => match source.select(&self.variable(index)) {
                                Selected::String(time) => Selected::String(time),
                                _ => Selected::String(""),
                            },
                        },
                        Slot::Event | Slot::EventWithoutDetail => {
                            whole_event(source, matches!(slot, Slot::Event))?
                        }
                    };
                    write_value(&mut out, &value, mode);
                }
            }
        }
        Ok(out)
    }

    fn variable(&self, index: usize) -> Variable<'_> {
        let spans = self.variables[index];
        Variable {
            text: &self.text,
            name: spans.name,
            path: spans.path,
            steps: self.steps.get(spans.steps.range()).unwrap_or_default(),
        }
    }
}

/// `<aws.events.event.json>` (`with_detail`) or `<aws.events.event>` from `source`.
fn whole_event<S: Source + ?Sized>(
    source: &S,
    with_detail: bool,
) -> Result<Selected<'_>, TemplateError> {
    source.whole_event(with_detail).ok_or_else(|| {
        let name = if with_detail {
            "aws.events.event.json"
        } else {
            "aws.events.event"
        };
        TemplateError(format!(
            "<{name}>: this source does not have the whole event"
        ))
    })
}

/// Appends `name` and `path` to `text` and the path's steps to `steps`.
fn push_variable(
    text: &mut String,
    steps: &mut Vec<RawStep>,
    name: &str,
    path: &str,
) -> Result<VariableSpans, String> {
    let name_start = text.len();
    text.push_str(name);
    let path_start = text.len();
    text.push_str(path);
    let first = steps.len();
    parse_path(path, path_start, steps)?;
    Ok(VariableSpans {
        name: Span {
            start: name_start,
            end: path_start,
        },
        path: Span {
            start: path_start,
            end: text.len(),
        },
        steps: Span {
            start: first,
            end: steps.len(),
        },
    })
}

fn write_value(out: &mut String, value: &Selected<'_>, mode: Mode) {
    match (mode, value) {
        (Mode::Json, Selected::Null) => out.push_str("null"),
        (Mode::Json, Selected::String(text)) => {
            out.push('"');
            push_escaped(out, text);
            out.push('"');
        }
        (Mode::Json, Selected::Json(json)) => out.push_str(json),
        (Mode::InString | Mode::Text, Selected::Null) => {}
        (Mode::InString, Selected::String(text)) => push_escaped(out, text),
        (Mode::InString, Selected::Json(json)) => push_escaped(out, json),
        (Mode::Text, Selected::String(text)) => out.push_str(text),
        (Mode::Text, Selected::Json(json)) => out.push_str(json),
    }
}

/// `text`'s JSON string literal without its quotes, escaped for the string it lands in exactly
/// as `serde_json` escapes it: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\u00xx` for the
/// other control characters; everything else as it is.
fn push_escaped(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut copied = 0;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Every byte escaped is ASCII: `at` is on a character boundary.
        out.push_str(text.get(copied..at).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(escape);
        }
        copied = at + 1;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
}

/// `$`, `$.a.b-c`, `$.a[0].b`: the dot notation EventBridge supports. Appends its steps to
/// `steps`, members as spans of `path` moved by `offset` (where `path` is in the template's
/// text).
fn parse_path(path: &str, offset: usize, steps: &mut Vec<RawStep>) -> Result<(), String> {
    // Scanned byte by byte: `$`, `.`, `[` and `]` are ASCII, so every position compared or cut
    // at is on a character boundary.
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'$') {
        return Err(format!("path {path:?} must start with $"));
    }
    let mut at = 1;
    while at < bytes.len() {
        let start = at + 1;
        match bytes[at] {
            b'.' => {
                let mut end = start;
                while end < bytes.len() && !matches!(bytes[end], b'.' | b'[') {
                    end += 1;
                }
                if end == start {
                    return Err(format!("path {path:?} has an empty member"));
                }
                steps.push(RawStep::Member(Span {
                    start: offset + start,
                    end: offset + end,
                }));
                at = end;
            }
            b'[' => {
                let mut end = start;
                while end < bytes.len() && bytes[end] != b']' {
                    end += 1;
                }
                if end == bytes.len() {
                    return Err(format!("path {path:?}: unclosed ["));
                }
                let digits = path.get(start..end).unwrap_or_default();
                let index = digits
                    .parse()
                    .map_err(|_| format!("path {path:?}: {digits:?} is not an array index"))?;
                steps.push(RawStep::Index(index));
                at = end + 1;
            }
            _ => {
                let rest = path.get(at..).unwrap_or_default();
                return Err(format!("path {path:?}: expected . or [ at {rest:?}"));
            }
        }
    }
    Ok(())
}

/// The event's JSON, or a value shaped like it: paths select into it.
impl Source for Value {
    fn select(&self, variable: &Variable<'_>) -> Selected<'_> {
        let mut at = self;
        for step in variable.steps() {
            let next = match step {
                Step::Member(name) => at.get(name),
                Step::Index(index) => at.get(index),
            };
            match next {
                Some(next) => at = next,
                None => return Selected::Null,
            }
        }
        selected(at)
    }

    fn whole_event(&self, with_detail: bool) -> Option<Selected<'_>> {
        let Value::Object(members) = self else {
            return Some(selected(self));
        };
        if with_detail {
            return Some(selected(self));
        }
        // The object without `detail`, written as `serde_json` writes an object, without
        // copying the rest of the event first.
        let mut json = String::from("{");
        for (key, value) in members.iter().filter(|(key, _)| *key != "detail") {
            if json.len() > 1 {
                json.push(',');
            }
            json.push('"');
            push_escaped(&mut json, key);
            json.push_str("\":");
            json.push_str(&value.to_string());
        }
        json.push('}');
        Some(Selected::Json(Cow::Owned(json)))
    }
}

fn selected(value: &Value) -> Selected<'_> {
    match value {
        Value::Null => Selected::Null,
        Value::String(text) => Selected::String(text),
        other => Selected::Json(Cow::Owned(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The EC2 state-change event of EventBridge's input transformation guide.
    fn ec2() -> Value {
        json!({
            "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
            "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
            "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
            "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}
        })
    }

    const PATHS: [(&str, &str); 2] = [
        ("instance", "$.detail.instance-id"),
        ("state", "$.detail.state"),
    ];

    fn r(template: &str) -> String {
        render(template, &PATHS, &ec2(), &Predefined::default()).unwrap()
    }

    #[test]
    fn the_guides_examples_render_as_eventbridge_renders_them() {
        // A JSON string template: the values inside the string.
        assert_eq!(
            r(r#""instance <instance> is in <state>""#),
            r#""instance i-0123456789 is in RUNNING""#
        );
        // Plain text.
        assert_eq!(
            r("instance <instance> is in <state>"),
            "instance i-0123456789 is in RUNNING"
        );
        // Outside quotes in a JSON template: the values as JSON.
        assert_eq!(
            r(r#"{"instance" : <instance>, "state": [9, <state>, true]}"#),
            r#"{"instance" : "i-0123456789", "state": [9, "RUNNING", true]}"#
        );
        // Inside quotes.
        assert_eq!(
            r(r#"{"instance" : "<instance>", "state": "<state>"}"#),
            r#"{"instance" : "i-0123456789", "state": "RUNNING"}"#
        );
        // The API reference's mixed example.
        assert_eq!(
            r(r#"{"myInstance": <instance>,"myStatus": "<instance> is in state \"<state>\""}"#),
            r#"{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \"RUNNING\""}"#
        );
    }

    #[test]
    fn values_are_quoted_safely_for_json_strings() {
        let event = json!({"detail": {"message": "a \"quoted\"\nline", "n": 3, "o": {"k": [1]}}});
        let paths = [
            ("m", "$.detail.message"),
            ("n", "$.detail.n"),
            ("o", "$.detail.o"),
        ];
        let out = render(
            r#"{"text": "<m> / <n> / <o>", "o": <o>, "m": <m>}"#,
            &paths,
            &event,
            &Predefined::default(),
        )
        .unwrap();
        let parsed: Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(parsed["text"], "a \"quoted\"\nline / 3 / {\"k\":[1]}");
        assert_eq!(parsed["o"], json!({"k": [1]}));
        assert_eq!(parsed["m"], "a \"quoted\"\nline");
    }

    #[test]
    fn text_around_placeholders_is_copied_as_written_multibyte_and_all() {
        let event = json!({"v": "x\"y", "n": [1]});
        let paths = [("v", "$.v"), ("n", "$.n[0]"), ("gone", "$.n[5]")];
        let render = |template: &str| render(template, &paths, &event, &Predefined::default());
        assert_eq!(
            render(r#"{"a": "ö<v>ß", "b": <v>, "c": "1 < 2 > 0", "d": "<nope>", "e": <n>}"#)
                .unwrap(),
            r#"{"a": "öx\"yß", "b": "x\"y", "c": "1 < 2 > 0", "d": "<nope>", "e": 1}"#
        );
        assert_eq!(render("ü <v> é <gone>|<v").unwrap(), "ü x\"y é |<v");
        // An escaped quote does not end the string: the placeholder after it is still inside.
        assert_eq!(
            render(r#"["\"<v>", <v>]"#).unwrap(),
            r#"["\"x\"y", "x\"y"]"#
        );
    }

    #[test]
    fn predefined_variables_and_the_whole_event() {
        let predefined = Predefined {
            rule_name: "sns-on-failure".into(),
            rule_arn: "arn:aws:events:us-east-1:123456789012:rule/x".into(),
            ingestion_time: None,
        };
        let out = render(
            r#"{"rule": "<aws.events.rule-name>", "at": "<aws.events.event.ingestion-time>", "event": <aws.events.event>, "all": <aws.events.event.json>}"#,
            &PATHS,
            &ec2(),
            &predefined,
        )
        .unwrap();
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["rule"], "sns-on-failure");
        assert_eq!(parsed["at"], "2015-11-11T21:29:54Z");
        assert!(parsed["event"].get("detail").is_none());
        assert_eq!(parsed["all"], ec2());
        // The whole event cannot go where it would need escaping.
        let err = render(r#""<aws.events.event.json>""#, &[], &ec2(), &predefined).unwrap_err();
        assert!(err.contains("only stand as a JSON value"), "{err}");
    }

    #[test]
    fn arrays_missing_paths_unknown_names_and_bad_paths() {
        let paths = [("arn", "$.resources[0]"), ("nope", "$.detail.missing")];
        let out = render(
            r#"{"arn": <arn>, "missing": <nope>, "text": "[<nope>]", "other": "<other>"}"#,
            &paths,
            &ec2(),
            &Predefined::default(),
        )
        .unwrap();
        assert_eq!(
            out,
            r#"{"arn": "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111", "missing": null, "text": "[]", "other": "<other>"}"#
        );
        let err = render(
            "x",
            &[("v", "detail.state")],
            &ec2(),
            &Predefined::default(),
        )
        .unwrap_err();
        assert!(
            err.contains("\"v\"") && err.contains("must start with $"),
            "{err}"
        );
        let err = render("x", &[("aws.x", "$")], &ec2(), &Predefined::default()).unwrap_err();
        assert!(err.contains("reserved"), "{err}");
    }

    #[test]
    fn a_compiled_template_renders_the_guides_examples_for_event_after_event() {
        // The guide's templates, compiled once each and rendered over two events in turn.
        let cases = [
            (
                r#""instance <instance> is in <state>""#,
                r#""instance i-0123456789 is in RUNNING""#,
                r#""instance i-9 is in STOPPED \"now\"""#,
            ),
            (
                "instance <instance> is in <state>",
                "instance i-0123456789 is in RUNNING",
                "instance i-9 is in STOPPED \"now\"",
            ),
            (
                r#"{"instance" : <instance>, "state": [9, <state>, true]}"#,
                r#"{"instance" : "i-0123456789", "state": [9, "RUNNING", true]}"#,
                r#"{"instance" : "i-9", "state": [9, "STOPPED \"now\"", true]}"#,
            ),
            (
                r#"{"instance" : "<instance>", "state": "<state>"}"#,
                r#"{"instance" : "i-0123456789", "state": "RUNNING"}"#,
                r#"{"instance" : "i-9", "state": "STOPPED \"now\""}"#,
            ),
            (
                r#"{"myInstance": <instance>,"myStatus": "<instance> is in state \"<state>\""}"#,
                r#"{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \"RUNNING\""}"#,
                r#"{"myInstance": "i-9","myStatus": "i-9 is in state \"STOPPED \"now\"\""}"#,
            ),
        ];
        let mut other = ec2();
        other["detail"] = json!({"instance-id": "i-9", "state": "STOPPED \"now\""});
        for (template, first, second) in cases {
            let compiled = Template::compile(&PATHS, template).unwrap();
            for (event, expected) in [(ec2(), first), (other.clone(), second), (ec2(), first)] {
                let out = compiled.render(&event, &Predefined::default()).unwrap();
                assert_eq!(out, expected, "{template}");
            }
        }
    }

    /// A source of the rule's own: the EC2 event's fields, typed, no JSON.
    struct Typed<'a> {
        instance: &'a str,
        state: Option<&'a str>,
        count: u32,
    }

    impl Source for Typed<'_> {
        fn select(&self, variable: &Variable<'_>) -> Selected<'_> {
            match variable.path() {
                "$.detail.instance-id" => self.instance.into(),
                "$.detail.state" => self.state.into(),
                "$.detail.count" => Selected::Json(Cow::Owned(self.count.to_string())),
                _ => Selected::Null,
            }
        }
    }

    #[test]
    fn a_typed_source_renders_what_the_json_it_stands_for_renders() {
        let paths = [
            ("instance", "$.detail.instance-id"),
            ("state", "$.detail.state"),
            ("count", "$.detail.count"),
            ("gone", "$.detail.gone"),
        ];
        let templates = [
            r#"{"i": <instance>, "s": <state>, "c": <count>, "g": <gone>, "t": "<instance>/<state>/<count>/<gone>"}"#,
            "<instance> is <state> (<count>, <gone>) <unknown>",
            r#"["\"<instance>\"", <count>]"#,
        ];
        for (instance, state) in [
            ("i-1", Some("RUNNING")),
            ("a \"b\"\\\n\u{1}\u{8}\u{c}\u{7f}é", None),
        ] {
            let typed = Typed {
                instance,
                state,
                count: 3,
            };
            let json = json!({"detail": {"instance-id": instance, "state": state, "count": 3}});
            for template in templates {
                let compiled = Template::compile(&paths, template).unwrap();
                let predefined = Predefined::default();
                let out = compiled.render(&typed, &predefined).unwrap();
                assert_eq!(out, compiled.render(&json, &predefined).unwrap());
                assert_eq!(out, render(template, &paths, &json, &predefined).unwrap());
            }
        }
    }

    #[test]
    fn compile_fails_as_render_fails_with_the_same_words() {
        let too_many: Vec<(String, String)> = (0..=MAX_VARIABLES)
            .map(|i| (format!("v{i}"), "$".to_owned()))
            .collect();
        let too_many: Vec<(&str, &str)> = too_many
            .iter()
            .map(|(n, p)| (n.as_str(), p.as_str()))
            .collect();
        for (paths, template) in [
            (&[("v", "detail.state")][..], "x"),
            (&[("aws.x", "$")], "x"),
            (&[("AWS.x", "$")], "x"),
            (&[("v", "$.a..b")], "x"),
            (&[("v", "$.a[1")], "x"),
            (&[("v", "$.a[x]")], "x"),
            (&[("v", "$a")], "x"),
            (&[], r#""<aws.events.event.json>""#),
            (&[], r#"{"a": "<aws.events.event>"}"#),
            (&[], "plain <aws.events.event>"),
            (&too_many, "x"),
        ] {
            let compiled = Template::compile(paths, template).unwrap_err();
            let rendered = render(template, paths, &ec2(), &Predefined::default()).unwrap_err();
            assert_eq!(compiled.to_string(), rendered);
            assert_eq!(String::from(compiled), rendered);
        }
        // The placement of a whole-event variable is checked once, at compile.
        assert!(Template::compile(&[], r#"{"e": <aws.events.event>}"#).is_ok());
        // A source without the whole event cannot render it.
        let typed = Typed {
            instance: "i",
            state: None,
            count: 0,
        };
        let template = Template::compile(&[], r#"{"e": <aws.events.event.json>}"#).unwrap();
        let err = template.render(&typed, &Predefined::default()).unwrap_err();
        assert!(err.to_string().contains("whole event"), "{err}");
    }

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let mut every: String = (0u8..0x80).map(char::from).collect();
        every.push_str("é ß 😀 \u{2028}");
        for text in [every.as_str(), "", "plain", "\"", "end\\"] {
            let quoted = serde_json::to_string(text).unwrap();
            let mut escaped = String::new();
            push_escaped(&mut escaped, text);
            assert_eq!(escaped, quoted[1..quoted.len() - 1]);
        }
    }

    #[test]
    fn the_event_without_detail_is_written_as_serde_json_writes_it() {
        let mut event = ec2();
        event["k\"ey"] = json!({"n": [1, 2.5, null, true]});
        for event in [
            event,
            json!({"detail": 1}),
            json!({}),
            json!("text"),
            json!([1]),
        ] {
            let mut envelope = event.clone();
            if let Some(object) = envelope.as_object_mut() {
                object.remove("detail");
            }
            let template =
                Template::compile(&[], "[<aws.events.event>, <aws.events.event.json>]").unwrap();
            assert_eq!(
                template.render(&event, &Predefined::default()).unwrap(),
                format!("[{envelope}, {event}]")
            );
        }
    }

    #[test]
    fn ingestion_time_rule_name_and_arn_from_the_source_or_predefined() {
        let template = Template::compile(
            &PATHS,
            "<aws.events.rule-name> <aws.events.rule-arn> <aws.events.event.ingestion-time> <state> <aws.events.event.ingestion-time>",
        )
        .unwrap();
        let mut predefined = Predefined {
            rule_name: "r".into(),
            rule_arn: "arn:r".into(),
            ingestion_time: None,
        };
        assert_eq!(
            template.render(&ec2(), &predefined).unwrap(),
            "r arn:r 2015-11-11T21:29:54Z RUNNING 2015-11-11T21:29:54Z"
        );
        // Not a string, or no time at all: empty.
        let untimed = json!({"time": 5, "detail": {"state": "S"}});
        assert_eq!(
            template.render(&untimed, &predefined).unwrap(),
            "r arn:r  S "
        );
        predefined.ingestion_time = Some("2020-01-01T00:00:00Z".into());
        assert_eq!(
            template.render(&untimed, &predefined).unwrap(),
            "r arn:r 2020-01-01T00:00:00Z S 2020-01-01T00:00:00Z"
        );
        // A source is asked for the event's time by its path.
        let typed = Typed {
            instance: "i",
            state: Some("S"),
            count: 0,
        };
        predefined.ingestion_time = None;
        assert_eq!(template.render(&typed, &predefined).unwrap(), "r arn:r  S ");
    }

    #[test]
    fn variables_tell_their_name_path_and_steps() {
        struct Probe(std::cell::RefCell<Vec<String>>);
        impl Source for Probe {
            fn select(&self, variable: &Variable<'_>) -> Selected<'_> {
                self.0.borrow_mut().push(format!(
                    "{} {} {:?}",
                    variable.name(),
                    variable.path(),
                    variable.steps().collect::<Vec<_>>()
                ));
                Selected::Null
            }
        }
        let paths = [("a", "$.resources[0].x-y"), ("b", "$"), ("a", "$.shadowed")];
        let template =
            Template::compile(&paths, "<a><b><aws.events.event.ingestion-time>").unwrap();
        let probe = Probe(Default::default());
        assert_eq!(template.render(&probe, &Predefined::default()).unwrap(), "");
        assert_eq!(
            probe.0.into_inner(),
            [
                r#"a $.resources[0].x-y [Member("resources"), Index(0), Member("x-y")]"#,
                "b $ []",
                r#"aws.events.event.ingestion-time $.time [Member("time")]"#,
            ]
        );
    }
}
