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

use std::borrow::Cow;
use std::ops::Range;

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
pub fn render(
    template: &str,
    paths: &[(&str, &str)],
    event: &Value,
    predefined: &Predefined,
) -> Result<String, String> {
    if paths.len() > MAX_VARIABLES {
        return Err(format!(
            "{} variables: an input transformer has at most {MAX_VARIABLES}",
            paths.len()
        ));
    }
    // Each path is parsed once, here, however many placeholders use it: every variable's
    // steps in one list, borrowed from the paths, so rendering allocates little.
    let mut steps = Vec::new();
    let mut variables = Vec::with_capacity(paths.len());
    for (name, path) in paths {
        if name.starts_with("aws.") || name.starts_with("AWS.") {
            return Err(format!(
                "variable {name:?}: names starting with aws. are reserved"
            ));
        }
        let start = steps.len();
        parse_path(path, &mut steps).map_err(|e| format!("variable {name:?}: {e}"))?;
        variables.push((*name, start..steps.len()));
    }
    let json = matches!(template.trim_start().chars().next(), Some('{' | '[' | '"'));
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut escaped = false;
    // Scanned byte by byte: every byte that matters (`<`, `>`, `"`, `\`) is ASCII, so it never
    // falls inside a multi-byte character, and the text between placeholders is copied whole.
    let bytes = template.as_bytes();
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if byte == b'<'
            && let Some(length) = template[at + 1..].find('>')
        {
            let name = &template[at + 1..at + 1 + length];
            if let Some(value) = lookup(name, &variables, &steps, event, predefined) {
                out.push_str(&template[copied..at]);
                write_value(&mut out, name, &value, json, in_string)?;
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
    out.push_str(&template[copied..]);
    Ok(out)
}

/// [`render`] over the event being evaluated, as [`event_json`](crate::event_json) gives it:
/// what a rule calls in `evaluate` to build a payload or a message from a template.
///
/// It asks the host for the whole envelope and parses it on every call; a rule that only needs
/// fields of the typed view can [`render`] over a small value built from them instead.
pub fn render_event(
    template: &str,
    paths: &[(&str, &str)],
    predefined: &Predefined,
) -> Result<String, String> {
    let event: Value =
        serde_json::from_str(&crate::event_json()).map_err(|e| format!("the event's JSON: {e}"))?;
    render(template, paths, &event, predefined)
}

/// The value a placeholder stands for, `None` when the name is no variable (left as written).
/// Borrowed from the event when a path selects it; a path that selects nothing is `null`.
fn lookup<'a>(
    name: &str,
    variables: &[(&str, Range<usize>)],
    steps: &[Step<'_>],
    event: &'a Value,
    predefined: &Predefined,
) -> Option<Cow<'a, Value>> {
    Some(match name {
        "aws.events.event.json" => Cow::Borrowed(event),
        "aws.events.event" => {
            let mut envelope = event.clone();
            if let Some(object) = envelope.as_object_mut() {
                object.remove("detail");
            }
            Cow::Owned(envelope)
        }
        "aws.events.rule-name" => Cow::Owned(Value::String(predefined.rule_name.clone())),
        "aws.events.rule-arn" => Cow::Owned(Value::String(predefined.rule_arn.clone())),
        "aws.events.event.ingestion-time" => Cow::Owned(Value::String(
            predefined
                .ingestion_time
                .clone()
                .or_else(|| event["time"].as_str().map(str::to_owned))
                .unwrap_or_default(),
        )),
        _ => {
            let (_, range) = variables.iter().find(|(n, _)| *n == name)?;
            select(event, &steps[range.clone()]).map_or(Cow::Owned(Value::Null), Cow::Borrowed)
        }
    })
}

fn write_value(
    out: &mut String,
    name: &str,
    value: &Value,
    json: bool,
    in_string: bool,
) -> Result<(), String> {
    let whole_event = name == "aws.events.event" || name == "aws.events.event.json";
    if whole_event && (in_string || !json) {
        return Err(format!(
            "<{name}> can only stand as a JSON value, outside quotes (its contents are not escaped)"
        ));
    }
    match (json, in_string, value) {
        (true, false, value) => out.push_str(&value.to_string()),
        (true, true, Value::String(s)) => push_escaped(out, s),
        (true, true, Value::Null) | (false, _, Value::Null) => {}
        (true, true, other) => push_escaped(out, &other.to_string()),
        (false, _, Value::String(s)) => out.push_str(s),
        (false, _, other) => out.push_str(&other.to_string()),
    }
    Ok(())
}

/// `text`'s JSON string literal without its quotes: escaped for the string it lands in.
fn push_escaped(out: &mut String, text: &str) {
    // Serialising a string cannot fail.
    let quoted = serde_json::to_string(text).unwrap_or_default();
    out.push_str(&quoted[1..quoted.len() - 1]);
}

/// One step of a path: a member or an array index.
#[derive(Debug, PartialEq)]
enum Step<'a> {
    Member(&'a str),
    Index(usize),
}

/// `$`, `$.a.b-c`, `$.a[0].b`: the dot notation EventBridge supports. Appends its steps to
/// `steps`.
fn parse_path<'a>(path: &'a str, steps: &mut Vec<Step<'a>>) -> Result<(), String> {
    let Some(rest) = path.strip_prefix('$') else {
        return Err(format!("path {path:?} must start with $"));
    };
    let mut rest = rest;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let member = &after[..end];
            if member.is_empty() {
                return Err(format!("path {path:?} has an empty member"));
            }
            steps.push(Step::Member(member));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let Some(end) = after.find(']') else {
                return Err(format!("path {path:?}: unclosed ["));
            };
            let index = after[..end]
                .parse()
                .map_err(|_| format!("path {path:?}: {:?} is not an array index", &after[..end]))?;
            steps.push(Step::Index(index));
            rest = &after[end + 1..];
        } else {
            return Err(format!("path {path:?}: expected . or [ at {rest:?}"));
        }
    }
    Ok(())
}

fn select<'a>(value: &'a Value, steps: &[Step<'_>]) -> Option<&'a Value> {
    let mut at = value;
    for step in steps {
        at = match step {
            Step::Member(name) => at.get(name)?,
            Step::Index(i) => at.get(*i)?,
        };
    }
    Some(at)
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
}
