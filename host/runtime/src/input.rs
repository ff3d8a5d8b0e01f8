//! Reading events from a document: one event, a JSON array of events, or NDJSON.
//!
//! Every event is parsed on its own, so one bad event is reported with its position and does
//! not hide the good ones around it.

use serde_json::value::RawValue;

use crate::event::{Event, EventError};

/// Where in a document an event stood, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based index of the event in the document.
    pub index: usize,
    /// 1-based line on which the event starts.
    pub line: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event #{} (line {})", self.index, self.line)
    }
}

/// One event of a document, or why it was refused.
#[derive(Debug)]
pub struct Item {
    /// Where the event stood.
    pub position: Position,
    /// The event, or the reason it was refused.
    pub event: Result<Event, EventError>,
}

/// A document that could not be split into events at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("not valid JSON at line {line}, column {column}: {message}")]
pub struct DocumentError {
    /// 1-based line of the syntax error.
    pub line: usize,
    /// 1-based column of the syntax error.
    pub column: usize,
    /// serde_json's description of it.
    pub message: String,
}

/// Splits `text` into events and parses each, refusing any event over `max_event_bytes`.
///
/// A document whose first non-blank byte is `[` is a JSON array of events; anything else is one
/// event or a sequence of events separated by white space (NDJSON). A syntax error stops the
/// split: the events before it are returned with the error.
pub fn parse_document(text: &[u8], max_event_bytes: usize) -> (Vec<Item>, Option<DocumentError>) {
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let mut items = Vec::new();
    let mut lines = LineCounter::default();
    if text.get(start) == Some(&b'[') {
        match serde_json::from_slice::<Vec<&RawValue>>(text) {
            Ok(raws) => {
                for raw in raws {
                    let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
                    let line = lines.line_at(text, offset);
                    items.push(item(line, items.len() + 1, raw, max_event_bytes));
                }
                (items, None)
            }
            Err(e) => (items, Some(document_error(&e))),
        }
    } else {
        let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<&RawValue>();
        loop {
            let before = stream.byte_offset();
            match stream.next() {
                None => return (items, None),
                Some(Ok(raw)) => {
                    let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
                    debug_assert!(offset >= before);
                    let line = lines.line_at(text, offset);
                    items.push(item(line, items.len() + 1, raw, max_event_bytes));
                }
                Some(Err(e)) => return (items, Some(document_error(&e))),
            }
        }
    }
}

/// Line numbers of increasing offsets, counting each byte once: the whole document is split in
/// linear time, however many events it holds (recounting from the start for every item made a
/// 10,000-event file take minutes).
#[derive(Default)]
struct LineCounter {
    offset: usize,
    newlines: usize,
}

impl LineCounter {
    /// The 1-based line of `offset`, which must not be before the previous call's.
    fn line_at(&mut self, text: &[u8], offset: usize) -> usize {
        let offset = offset.max(self.offset).min(text.len());
        self.newlines += text[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = offset;
        1 + self.newlines
    }
}

fn item(line: usize, index: usize, raw: &RawValue, max: usize) -> Item {
    Item {
        position: Position { index, line },
        event: Event::parse(raw.get().as_bytes(), max),
    }
}

fn document_error(e: &serde_json::Error) -> DocumentError {
    DocumentError {
        line: e.line(),
        column: e.column(),
        // serde_json appends the position, which this error already carries.
        message: match e.to_string().rsplit_once(" at line ") {
            Some((message, _)) => message.to_owned(),
            None => e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::MAX_EVENT_BYTES;

    const EVENT: &str = r#"{"id":"1","detail-type":"x","source":"s","detail":{}}"#;

    #[test]
    fn one_event_array_and_ndjson_all_read() {
        let array = format!("[{EVENT},\n{EVENT}]");
        let ndjson = format!("{EVENT}\n{EVENT}\n\n{EVENT}\n");
        for (doc, count) in [(EVENT.to_owned(), 1), (array, 2), (ndjson, 3)] {
            let (items, err) = parse_document(doc.as_bytes(), MAX_EVENT_BYTES);
            assert!(err.is_none());
            assert_eq!(items.len(), count, "{doc}");
            assert!(items.iter().all(|i| i.event.is_ok()));
        }
    }

    #[test]
    fn a_hundred_thousand_events_split_in_linear_time() {
        // Quadratic splitting took 429 s for 10,000 events in a debug build; linear takes well
        // under a second for 100,000. The bound is generous (a busy debug build), and measures
        // the shape, not the speed.
        let doc = format!("{EVENT}\n").repeat(100_000);
        let start = std::time::Instant::now();
        let (items, err) = parse_document(doc.as_bytes(), MAX_EVENT_BYTES);
        assert!(err.is_none());
        assert_eq!(items.len(), 100_000);
        assert_eq!(items[99_999].position.line, 100_000);
        assert!(start.elapsed() < std::time::Duration::from_secs(60));
        // A body of bare numbers, which is not events but must not be slow to refuse either.
        let ones = "1 ".repeat(200_000);
        let start = std::time::Instant::now();
        let (items, _) = parse_document(ones.as_bytes(), MAX_EVENT_BYTES);
        assert_eq!(items.len(), 200_000);
        assert!(items.iter().all(|i| i.event.is_err()));
        assert!(start.elapsed() < std::time::Duration::from_secs(60));
    }

    #[test]
    fn a_bad_event_is_reported_with_its_line_and_the_rest_survive() {
        let doc = format!("{EVENT}\n{{\"id\":\"2\"}}\n{EVENT}\n");
        let (items, err) = parse_document(doc.as_bytes(), MAX_EVENT_BYTES);
        assert!(err.is_none());
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].position, Position { index: 2, line: 2 });
        assert!(items[1].event.is_err());
        assert!(items[2].event.is_ok());
    }

    #[test]
    fn a_syntax_error_keeps_the_events_before_it() {
        let doc = format!("{EVENT}\n{{oops\n");
        let (items, err) = parse_document(doc.as_bytes(), MAX_EVENT_BYTES);
        assert_eq!(items.len(), 1);
        assert_eq!(err.unwrap().line, 2);
    }
}
