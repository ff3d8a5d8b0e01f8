//! A small JSON writer for payloads.
//!
//! `serde_json::json!` plus `to_string` add about 20 KB to a plugin (maps, number formatting,
//! the serializer); writing a flat object of strings and numbers needs none of that. Use
//! [`Object`] for payloads and `serde_json` (re-exported as [`crate::serde_json`]) when a rule
//! really needs nested or parsed JSON.
//!
//! ```
//! use glue_rules_sdk::json::Object;
//! let text = Object::new().string("jobName", "My \"Job\"").integer("attempt", 2).finish();
//! assert_eq!(text, r#"{"jobName":"My \"Job\"","attempt":2}"#);
//! ```

use core::fmt::Write as _;

/// Appends `text` to `out` as a JSON string literal, quotes included.
pub fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `text` as a JSON string literal, quotes included.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    write_string(&mut out, text);
    out
}

/// Builds one JSON object, member by member, in the order written. Keys are not checked for
/// duplicates.
#[derive(Debug, Clone)]
pub struct Object {
    text: String,
}

impl Default for Object {
    fn default() -> Self {
        Self::new()
    }
}

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Object {
            text: String::from("{"),
        }
    }

    fn key(&mut self, key: &str) {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        write_string(&mut self.text, key);
        self.text.push(':');
    }

    /// Adds a string member.
    pub fn string(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        write_string(&mut self.text, value);
        self
    }

    /// Adds a string member, or `null` when `value` is `None`.
    pub fn opt_string(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.string(key, value),
            None => self.raw(key, "null"),
        }
    }

    /// Adds an integer member.
    pub fn integer(mut self, key: &str, value: i64) -> Self {
        self.key(key);
        let _ = write!(self.text, "{value}");
        self
    }

    /// Adds a number member; a NaN or infinite value, which JSON cannot express, becomes
    /// `null`.
    pub fn float(mut self, key: &str, value: f64) -> Self {
        self.key(key);
        if value.is_finite() {
            let _ = write!(self.text, "{value}");
        } else {
            self.text.push_str("null");
        }
        self
    }

    /// Adds a boolean member.
    pub fn bool(mut self, key: &str, value: bool) -> Self {
        self.key(key);
        self.text.push_str(if value { "true" } else { "false" });
        self
    }

    /// Adds a member whose value is already JSON text (a nested object, an array, the event's
    /// `detail-json`). The text is inserted as it is: passing anything but valid JSON makes
    /// the whole object invalid.
    pub fn raw(mut self, key: &str, json: &str) -> Self {
        self.key(key);
        self.text.push_str(json);
        self
    }

    /// Adds an array of strings.
    pub fn strings<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.key(key);
        self.text.push('[');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            write_string(&mut self.text, value.as_ref());
        }
        self.text.push(']');
        self
    }

    /// The finished JSON text.
    pub fn finish(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

impl From<Object> for String {
    fn from(object: Object) -> Self {
        object.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_json() {
        let text = Object::new()
            .string("s", "a\"b\\c\nd\u{1}é")
            .opt_string("none", None)
            .integer("i", -3)
            .float("f", 1.5)
            .float("nan", f64::NAN)
            .bool("b", true)
            .raw("r", r#"{"x":[1]}"#)
            .strings("l", ["p", "q"])
            .finish();
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(
            parsed,
            serde_json::json!({"s": "a\"b\\c\nd\u{1}é", "none": null, "i": -3, "f": 1.5,
                "nan": null, "b": true, "r": {"x": [1]}, "l": ["p", "q"]})
        );
        assert_eq!(Object::new().finish(), "{}");
        assert_eq!(quote("x"), "\"x\"");
    }
}
