//! An event parsed once, for patterns and for everything else that reads it.
//!
//! A [`Document`] holds the event's text and one flat *tape* of its JSON values in document
//! order: one entry per value, containers marking where their contents end. Strings are spans of
//! the text itself; only a string that contained escapes is written out, into a side buffer. So
//! parsing an event costs one pass over its bytes, one allocation for the tape and one for the
//! copy of the text, whatever the event holds: no map, no key and no string is allocated per
//! field. The host reads the envelope, builds the typed view that plugins receive, and matches
//! patterns from the same document.
//!
//! Objects keep their members in document order, duplicates included; [`JsonRef::get`] answers
//! with the *last* member of a name, as `serde_json::Value` does and as EventBridge reads
//! duplicate keys.
//!
//! [`EventJson`] is what the pattern evaluator reads. It is implemented for [`JsonRef`] (and
//! `&Document`) and for `&serde_json::Value`, so patterns run on either.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

/// One event's JSON, parsed once: its text and the tape of its values.
#[derive(Clone)]
pub struct Document {
    text: Box<str>,
    /// Strings that contained escapes, unescaped, one after the other.
    escaped: String,
    /// The numbers, which the tape refers to by index (keeping its entries at 12 bytes).
    numbers: Vec<Number>,
    /// For each object of more than [`INDEXED_MEMBERS`] members: its member count, then the
    /// tape positions of its names sorted by name (and position), for [`JsonRef::get`].
    sorted: Vec<u32>,
    tape: Vec<Node>,
}

/// Objects with more members than this get a sorted index of their names, so that looking a
/// name up stays logarithmic however many members a hostile event carries (a 256 KB event can
/// hold some 30,000, and every unindexed pattern looks names up). Glue's own objects have fewer
/// than 20 and are scanned.
const INDEXED_MEMBERS: u32 = 32;

/// `Node::Object::sorted` of an object without an index.
const NOT_INDEXED: u32 = u32::MAX;

/// One value on the tape.
#[derive(Debug, Clone)]
enum Node {
    Null,
    Bool(bool),
    /// The index of the number in [`Document::numbers`].
    Number(u32),
    String(Span),
    /// Entries up to `end` (exclusive) are the items.
    Array {
        end: u32,
    },
    /// Entries up to `end` (exclusive) are the members: a `String` key, then its value.
    /// `sorted` is where its index of names starts in [`Document::sorted`], or [`NOT_INDEXED`].
    Object {
        end: u32,
        sorted: u32,
    },
}

/// Where a string's text is: in the document's text, or (escaped) in the side buffer.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

/// The bit of [`Span::start`] that says the span is in the side buffer of unescaped strings.
const ESCAPED: u32 = 1 << 31;

/// The largest text a document holds: spans are 31-bit offsets.
pub const MAX_DOCUMENT_BYTES: usize = (ESCAPED - 1) as usize;

// `Shape`, `EventJson`, and `EventJson` for `&serde_json::Value`: shared with the Rust SDK, whose
// typed view (which the host includes too) reads events through them.
include!("../../../guest-sdk/rust/src/json_access.rs");

impl Document {
    /// Parses `text` as one JSON value. serde_json's nesting limit (128) applies, so a deeply
    /// nested document is refused rather than recursed into.
    pub fn parse(text: &str) -> Result<Document, serde_json::Error> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(de::Error::custom(format!(
                "a document of {} bytes is over the {MAX_DOCUMENT_BYTES}-byte limit",
                text.len()
            )));
        }
        let text: Box<str> = text.into();
        // About one value per dozen bytes in Glue events: one allocation for most documents.
        let mut tape = Vec::with_capacity(text.len() / 12 + 4);
        let mut escaped = String::new();
        let mut numbers = Vec::new();
        let mut large = Vec::new();
        {
            let mut de = serde_json::Deserializer::from_str(&text);
            Seed {
                base: text.as_ptr() as usize,
                tape: &mut tape,
                escaped: &mut escaped,
                numbers: &mut numbers,
                large: &mut large,
            }
            .deserialize(&mut de)?;
            de.end()?;
        }
        let mut doc = Document {
            text,
            escaped,
            numbers,
            sorted: Vec::new(),
            tape,
        };
        for at in large {
            doc.index_object(at);
        }
        Ok(doc)
    }

    /// The document of a `serde_json::Value` (for tests and tools; the host parses text).
    pub fn from_value(value: &serde_json::Value) -> Document {
        Document::parse(&value.to_string()).expect("a serde_json::Value is valid JSON")
    }

    /// The document's top-level value.
    #[inline]
    pub fn root(&self) -> JsonRef<'_> {
        JsonRef { doc: self, at: 0 }
    }

    /// The text the document was parsed from, as it was received.
    pub fn text(&self) -> &str {
        &self.text
    }

    #[inline]
    fn str(&self, span: Span) -> &str {
        let (source, start) = if span.start & ESCAPED != 0 {
            (self.escaped.as_str(), (span.start & !ESCAPED) as usize)
        } else {
            (&*self.text, span.start as usize)
        };
        // Spans are made from `str`s that lie within `source`, so they fall on boundaries.
        source.get(start..start + span.len as usize).unwrap_or("")
    }

    /// Builds the sorted index of the names of the object at `at`.
    fn index_object(&mut self, at: usize) {
        let Node::Object { end, .. } = self.tape[at] else {
            return;
        };
        let mut names = Vec::new();
        let mut next = at + 1;
        while next < end as usize {
            names.push(next as u32);
            next = self.end_of(next + 1);
        }
        names.sort_by(|&a, &b| self.name(a).cmp(self.name(b)).then(a.cmp(&b)));
        let (Ok(start), Ok(count)) = (u32::try_from(self.sorted.len()), u32::try_from(names.len()))
        else {
            return;
        };
        self.sorted.push(count);
        self.sorted.extend(names);
        self.tape[at] = Node::Object { end, sorted: start };
    }

    /// The member name at tape position `at`.
    #[inline]
    fn name(&self, at: u32) -> &str {
        match self.tape[at as usize] {
            Node::String(span) => self.str(span),
            _ => "",
        }
    }

    /// The index just past the value at `at` and everything it contains.
    #[inline]
    fn end_of(&self, at: usize) -> usize {
        match self.tape[at] {
            Node::Array { end } | Node::Object { end, .. } => end as usize,
            _ => at + 1,
        }
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("text", &self.text)
            .field("values", &self.tape.len())
            .finish()
    }
}

/// One value of a [`Document`]: a position on its tape. Copy it freely.
#[derive(Clone, Copy)]
pub struct JsonRef<'a> {
    doc: &'a Document,
    at: u32,
}

impl<'a> JsonRef<'a> {
    #[inline]
    fn node(self) -> &'a Node {
        &self.doc.tape[self.at as usize]
    }

    /// The value's type, with its scalar value.
    #[inline]
    pub fn shape(self) -> Shape<'a> {
        match self.node() {
            Node::Null => Shape::Null,
            Node::Bool(b) => Shape::Bool(*b),
            Node::Number(i) => match self.doc.numbers.get(*i as usize) {
                Some(n) => Shape::Number(n),
                None => Shape::Null,
            },
            Node::String(span) => Shape::String(self.doc.str(*span)),
            Node::Array { .. } => Shape::Array,
            Node::Object { .. } => Shape::Object,
        }
    }

    /// The string, when this is one.
    #[inline]
    pub fn as_str(self) -> Option<&'a str> {
        match self.shape() {
            Shape::String(s) => Some(s),
            _ => None,
        }
    }

    /// The last member named `key`, when this is an object that has one.
    #[inline]
    pub fn get(self, key: &str) -> Option<JsonRef<'a>> {
        let Node::Object { end, sorted } = *self.node() else {
            return None;
        };
        let doc = self.doc;
        if sorted != NOT_INDEXED {
            let start = sorted as usize;
            let count = doc.sorted[start] as usize;
            let names = &doc.sorted[start + 1..start + 1 + count];
            // Sorted by name, then position: the last member named `key` is the one just before
            // the first name greater than `key`.
            let upper = names.partition_point(|&at| doc.name(at) <= key);
            return (upper > 0 && doc.name(names[upper - 1]) == key).then(|| JsonRef {
                doc,
                at: names[upper - 1] + 1,
            });
        }
        let end = end as usize;
        let mut found = None;
        let mut at = self.at as usize + 1;
        while at < end {
            // The length first: most members are passed over without reading their name.
            if let Node::String(span) = doc.tape[at]
                && span.len as usize == key.len()
                && doc.str(span) == key
            {
                found = Some(at + 1);
            }
            at = doc.end_of(at + 1);
        }
        found.map(|at| JsonRef { doc, at: at as u32 })
    }

    /// The members of an object in document order, duplicates included; nothing otherwise.
    #[inline]
    pub fn members(self) -> Members<'a> {
        let (next, end) = match self.node() {
            Node::Object { end, .. } => (self.at as usize + 1, *end as usize),
            _ => (0, 0),
        };
        Members {
            doc: self.doc,
            next,
            end,
        }
    }

    /// The items of an array; nothing otherwise.
    #[inline]
    pub fn items(self) -> Items<'a> {
        let (next, end) = match self.node() {
            Node::Array { end } => (self.at as usize + 1, *end as usize),
            _ => (0, 0),
        };
        Items {
            doc: self.doc,
            next,
            end,
        }
    }

    /// Writes the value as compact JSON (members in document order).
    pub fn write_json(self, out: &mut String) {
        match self.shape() {
            Shape::Null => out.push_str("null"),
            Shape::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Shape::Number(n) => out.push_str(&n.to_string()),
            Shape::String(s) => write_str(s, out),
            Shape::Array => {
                out.push('[');
                for (i, item) in self.items().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Shape::Object => {
                out.push('{');
                for (i, (key, value)) in self.members().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(key, out);
                    out.push(':');
                    value.write_json(out);
                }
                out.push('}');
            }
        }
    }

    /// The value as a `serde_json::Value` (duplicate keys: the last wins).
    pub fn to_value(self) -> serde_json::Value {
        use serde_json::Value;
        match self.shape() {
            Shape::Null => Value::Null,
            Shape::Bool(b) => Value::Bool(b),
            Shape::Number(n) => Value::Number(n.clone()),
            Shape::String(s) => Value::String(s.to_owned()),
            Shape::Array => Value::Array(self.items().map(JsonRef::to_value).collect()),
            Shape::Object => Value::Object(
                self.members()
                    .map(|(k, v)| (k.to_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

impl fmt::Debug for JsonRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

fn write_str(s: &str, out: &mut String) {
    // serde_json's own escaping, so the text is what `Value::to_string` would write.
    let quoted = serde_json::to_string(s).unwrap_or_default();
    out.push_str(&quoted);
}

/// The members of an object: `(name, value)` in document order.
pub struct Members<'a> {
    doc: &'a Document,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, JsonRef<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let key = self.doc.name(self.next as u32);
        let value = self.next + 1;
        self.next = self.doc.end_of(value);
        Some((
            key,
            JsonRef {
                doc: self.doc,
                at: value as u32,
            },
        ))
    }
}

/// The items of an array, in order.
pub struct Items<'a> {
    doc: &'a Document,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = JsonRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<JsonRef<'a>> {
        if self.next >= self.end {
            return None;
        }
        let at = self.next;
        self.next = self.doc.end_of(at);
        Some(JsonRef {
            doc: self.doc,
            at: at as u32,
        })
    }
}

impl<'a> EventJson<'a> for JsonRef<'a> {
    type Items = Items<'a>;
    type Members = Members<'a>;

    #[inline]
    fn shape(self) -> Shape<'a> {
        JsonRef::shape(self)
    }

    #[inline]
    fn get(self, key: &str) -> Option<Self> {
        JsonRef::get(self, key)
    }

    #[inline]
    fn items(self) -> Items<'a> {
        JsonRef::items(self)
    }

    #[inline]
    fn members(self) -> Members<'a> {
        JsonRef::members(self)
    }

    fn to_json(self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }
}

/// Whatever an event can be given as to [`crate::Pattern`] and [`crate::PatternSet`]: a
/// [`Document`] (what the host passes) or a `serde_json::Value`.
pub trait AsEvent<'a> {
    /// How the evaluator reads it.
    type Json: EventJson<'a>;
    /// The event's top-level value.
    fn into_event(self) -> Self::Json;
}

impl<'a> AsEvent<'a> for &'a Document {
    type Json = JsonRef<'a>;
    fn into_event(self) -> JsonRef<'a> {
        self.root()
    }
}

impl<'a> AsEvent<'a> for &'a serde_json::Value {
    type Json = &'a serde_json::Value;
    fn into_event(self) -> Self {
        self
    }
}

/// Parses one value onto the tape, in document order.
struct Seed<'t> {
    /// Where the text starts, to turn borrowed strings into spans.
    base: usize,
    tape: &'t mut Vec<Node>,
    escaped: &'t mut String,
    numbers: &'t mut Vec<Number>,
    /// Objects with more than [`INDEXED_MEMBERS`] members, to index once parsed.
    large: &'t mut Vec<usize>,
}

impl Seed<'_> {
    fn reborrow(&mut self) -> Seed<'_> {
        Seed {
            base: self.base,
            tape: self.tape,
            escaped: self.escaped,
            numbers: self.numbers,
            large: self.large,
        }
    }

    fn number<E: de::Error>(self, n: Number) -> Result<(), E> {
        let i = u32::try_from(self.numbers.len()).map_err(|_| E::custom("too many numbers"))?;
        self.numbers.push(n);
        self.tape.push(Node::Number(i));
        Ok(())
    }

    fn close<E: de::Error>(&mut self, at: usize) -> Result<(), E> {
        let end = u32::try_from(self.tape.len()).map_err(|_| E::custom("too many values"))?;
        match &mut self.tape[at] {
            Node::Array { end: e } | Node::Object { end: e, .. } => *e = end,
            _ => {}
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.tape.push(Node::Null);
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.tape.push(Node::Bool(v));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.number(v.into())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.number(v.into())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        let n = Number::from_f64(v).ok_or_else(|| E::custom("number is not finite"))?;
        self.number(n)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        // A string without escapes, borrowed from the text being parsed.
        let start = (v.as_ptr() as usize).wrapping_sub(self.base);
        self.tape.push(Node::String(Span {
            start: u32::try_from(start).map_err(|_| E::custom("string outside the text"))?,
            len: v.len() as u32,
        }));
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        // A string with escapes, unescaped into a scratch buffer: keep a copy.
        let start = self.escaped.len();
        if start + v.len() > MAX_DOCUMENT_BYTES {
            return Err(E::custom("too much escaped text"));
        }
        self.escaped.push_str(v);
        self.tape.push(Node::String(Span {
            start: start as u32 | ESCAPED,
            len: v.len() as u32,
        }));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let at = self.tape.len();
        self.tape.push(Node::Array { end: 0 });
        while seq.next_element_seed(self.reborrow())?.is_some() {}
        self.close(at)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let at = self.tape.len();
        self.tape.push(Node::Object {
            end: 0,
            sorted: NOT_INDEXED,
        });
        let mut members = 0u32;
        while map.next_key_seed(self.reborrow())?.is_some() {
            map.next_value_seed(self.reborrow())?;
            members = members.saturating_add(1);
        }
        if members > INDEXED_MEMBERS {
            self.large.push(at);
        }
        self.close(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_document_reads_back_as_the_value_it_was_parsed_from() {
        let value = json!({
            "id": "e1", "n": -3, "big": 18446744073709551615u64, "f": 1.5, "t": true,
            "nil": null, "list": [1, "two", [3], {"four": 4}], "empty": {}, "none": [],
            "esc": "a\"b\\c\nd\u{e9}\u{1F600}", "nested": {"a": {"b": {"c": "deep"}}}
        });
        let doc = Document::parse(&serde_json::to_string_pretty(&value).unwrap()).unwrap();
        assert_eq!(doc.root().to_value(), value);
        assert_eq!(
            doc.root().get("esc").unwrap().as_str(),
            value["esc"].as_str()
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&doc.root().to_json()).unwrap(),
            value
        );
        assert!(doc.root().get("missing").is_none());
        assert!(doc.root().get("id").unwrap().get("x").is_none());
        assert_eq!(doc.root().get("list").unwrap().items().count(), 4);
        assert_eq!(doc.root().get("none").unwrap().items().count(), 0);
        assert_eq!(doc.root().get("empty").unwrap().members().count(), 0);
    }

    #[test]
    fn compact_text_keeps_document_order_and_escapes_like_serde_json() {
        let text = "{ \"b\" : [1, 2.5, \"x\\ty\"], \"a\": {\"\\u00e9\": null} }";
        let doc = Document::parse(text).unwrap();
        assert_eq!(
            doc.root().to_json(),
            r#"{"b":[1,2.5,"x\ty"],"a":{"é":null}}"#
        );
        assert_eq!(doc.text(), text);
    }

    #[test]
    fn a_duplicate_key_reads_as_its_last_value_and_members_keep_both() {
        let doc = Document::parse(r#"{"k":1,"o":{"x":1},"k":"last"}"#).unwrap();
        assert_eq!(doc.root().get("k").unwrap().as_str(), Some("last"));
        let names: Vec<&str> = doc.root().members().map(|(k, _)| k).collect();
        assert_eq!(names, ["k", "o", "k"]);
    }

    #[test]
    fn invalid_or_too_deep_json_is_refused_not_recursed_into() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "nul",
            "\"\\x\"",
            "1 2",
            "{\"a\":1}}",
        ] {
            assert!(Document::parse(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = Document::parse(&deep).unwrap_err();
        assert!(e.to_string().contains("recursion limit"), "{e}");
    }

    #[test]
    fn a_large_object_finds_each_name_as_a_scan_would_duplicates_included() {
        // 200 members (indexed), names repeated, in no order; and the same under a small object.
        let mut text = String::from("{");
        for i in 0..200 {
            text.push_str(&format!("\"k{}\":{i},", (i * 37) % 90));
        }
        text.push_str("\"small\":{\"a\":1,\"a\":2}}");
        let doc = Document::parse(&text).unwrap();
        let root = doc.root();
        assert!(!doc.sorted.is_empty(), "the root is indexed");
        for name in (0..100)
            .map(|i| format!("k{i}"))
            .chain(["small".into(), "".into()])
        {
            let scanned = root
                .members()
                .filter(|(k, _)| *k == name)
                .last()
                .map(|(_, v)| v.at);
            assert_eq!(root.get(&name).map(|v| v.at), scanned, "{name}");
        }
        assert_eq!(root.members().count(), 201);
        let small = root.get("small").unwrap();
        assert_eq!(small.get("a").unwrap().to_json(), "2");
        assert_eq!(
            root.to_value(),
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        );
    }

    #[test]
    fn scalars_at_the_top_level_are_documents_too() {
        assert_eq!(
            Document::parse("7").unwrap().root().shape(),
            Shape::Number(&7.into())
        );
        assert_eq!(
            Document::parse(" \"s\" ").unwrap().root().as_str(),
            Some("s")
        );
        assert_eq!(Document::parse("null").unwrap().root().shape(), Shape::Null);
    }
}
