// Read access to one JSON value, written once and compiled twice.
//
// The typed view (`typed_view.rs`) reads events through `EventJson`. The host's
// `glue_rules_patterns::document` includes this file and implements the trait for its parsed
// `Document` as well (patterns and the typed view read the same tape); this SDK includes it for
// the implementation on `&serde_json::Value`, which `testing::event_from_json` uses. Written
// against the `serde_json` crate only; no `crate::` paths, no inner attributes.

/// The JSON type of a value, with what a pattern or a typed view needs of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json holds it (integers exactly).
    Number(&'a serde_json::Number),
    /// A string, unescaped.
    String(&'a str),
    /// An array; [`EventJson::items`] gives its items.
    Array,
    /// An object; [`EventJson::get`] finds its members.
    Object,
}

impl Shape<'_> {
    /// The JSON type with its article ("a string"), for error messages.
    pub fn type_name(self) -> &'static str {
        match self {
            Shape::Null => "null",
            Shape::Bool(_) => "a boolean",
            Shape::Number(_) => "a number",
            Shape::String(_) => "a string",
            Shape::Array => "an array",
            Shape::Object => "an object",
        }
    }
}

/// Read access to one JSON value, whichever tree holds it: what the pattern evaluator, the
/// candidate index and the typed view need, and nothing more.
pub trait EventJson<'a>: Copy {
    /// The items of an array.
    type Items: Iterator<Item = Self>;
    /// The members of an object, `(name, value)`.
    type Members: Iterator<Item = (&'a str, Self)>;
    /// The value's type, with its scalar value.
    fn shape(self) -> Shape<'a>;
    /// The last member named `key`, when this is an object that has one.
    fn get(self, key: &str) -> Option<Self>;
    /// The items, when this is an array; nothing otherwise.
    fn items(self) -> Self::Items;
    /// The members in order, when this is an object; nothing otherwise.
    fn members(self) -> Self::Members;
    /// The value as compact JSON text.
    fn to_json(self) -> String;
}

/// The members of a `serde_json` object as `(name, value)`.
pub type ValueMembers<'a> = core::iter::Map<
    core::iter::Flatten<core::option::IntoIter<&'a serde_json::Map<String, serde_json::Value>>>,
    fn((&'a String, &'a serde_json::Value)) -> (&'a str, &'a serde_json::Value),
>;

impl<'a> EventJson<'a> for &'a serde_json::Value {
    type Items = core::slice::Iter<'a, serde_json::Value>;
    type Members = ValueMembers<'a>;

    fn shape(self) -> Shape<'a> {
        use serde_json::Value;
        match self {
            Value::Null => Shape::Null,
            Value::Bool(b) => Shape::Bool(*b),
            Value::Number(n) => Shape::Number(n),
            Value::String(s) => Shape::String(s),
            Value::Array(_) => Shape::Array,
            Value::Object(_) => Shape::Object,
        }
    }

    fn get(self, key: &str) -> Option<Self> {
        self.as_object().and_then(|m| m.get(key))
    }

    fn items(self) -> Self::Items {
        match self {
            serde_json::Value::Array(items) => items.iter(),
            _ => [].iter(),
        }
    }

    fn members(self) -> ValueMembers<'a> {
        self.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v))
    }

    fn to_json(self) -> String {
        self.to_string()
    }
}
