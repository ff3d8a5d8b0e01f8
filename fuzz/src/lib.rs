//! What each fuzz target checks, as plain functions: the targets in `fuzz_targets/` call them on
//! libFuzzer's input, and `tests/regressions.rs` on every seed and every kept crash input, so a
//! fixed crash stays fixed under a plain `cargo test`.
//!
//! Each function panics when an invariant is broken; returning means the input was handled.

use std::path::Path;

use glue_rules_patterns::{Pattern, PatternSetBuilder};
use glue_rules_runtime::event::{Event, MAX_EVENT_BYTES};
use glue_rules_runtime::input::parse_document;
use serde_json::Value;

/// The fuzz targets, by name (also the names of their corpus and regression directories).
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("event_parse", event_parse),
    ("document_split", document_split),
    ("pattern", pattern),
    ("config", config),
];

/// `Event::parse` on arbitrary bytes with the default maximum; an event it accepts must answer
/// its accessors, and its parsed document must read as serde_json reads the same bytes.
pub fn event_parse(data: &[u8]) {
    if let Ok(event) = Event::parse(data, MAX_EVENT_BYTES) {
        let _ = event.id();
        let _ = event.detail_type();
        let _ = event.dedupe_key();
        let _ = event.wit();
        // The tape reads back as exactly what serde_json reads from the same bytes (duplicate
        // names: the last wins in both), and the texts plugins are handed read as serde_json's
        // own text of that value does. (Not as the value itself: serde_json's default float
        // parser does not round-trip every float through its own text, 4.0044489999e+27 for one;
        // see regressions/event_parse.)
        let value: Value =
            serde_json::from_slice(data).expect("serde_json refuses what the tape accepted");
        assert_eq!(event.document().root().to_value(), value, "the tape differs");
        let reread = |text: &str| serde_json::from_str::<Value>(text).expect("not JSON");
        assert_eq!(
            reread(event.detail_json()),
            reread(&value["detail"].to_string()),
            "detail-json differs"
        );
        assert_eq!(
            reread(event.envelope_json()),
            reread(&value.to_string()),
            "event-json differs"
        );
    }
    // What the tape refuses, serde_json refuses too (as text; the event checks come after).
    if let Ok(text) = std::str::from_utf8(data)
        && glue_rules_patterns::Document::parse(text).is_err()
    {
        assert!(
            serde_json::from_str::<Value>(text).is_err(),
            "the tape refused JSON that serde_json reads"
        );
    }
}

/// `parse_document` on arbitrary bytes: items are numbered 1..=n in order, their lines start at 1,
/// never go back and stay within the document.
pub fn document_split(data: &[u8]) {
    let (items, _error) = parse_document(data, MAX_EVENT_BYTES);
    let last_line = 1 + data.iter().filter(|&&b| b == b'\n').count();
    let mut previous_line = 1;
    for (i, item) in items.iter().enumerate() {
        assert_eq!(
            item.position.index,
            i + 1,
            "item {i} numbered {:?}",
            item.position
        );
        assert!(
            item.position.line >= previous_line,
            "item {i} at line {} after line {previous_line}",
            item.position.line
        );
        assert!(
            item.position.line <= last_line,
            "item {i} at line {} of a {last_line}-line document",
            item.position.line
        );
        previous_line = item.position.line;
    }
}

/// The input is a pattern (its first line) and an event (the rest). A pattern that parses within
/// the default limits must be accepted by a `PatternSetBuilder` with the same limits; on an event
/// that is JSON, `matches`, `explain` and a one-plugin `PatternSet` must agree.
pub fn pattern(data: &[u8]) {
    let (pattern_text, event_text) = match data.iter().position(|&b| b == b'\n') {
        Some(n) => (&data[..n], &data[n + 1..]),
        None => (data, &[][..]),
    };
    let Ok(pattern_text) = std::str::from_utf8(pattern_text) else {
        return;
    };
    let Ok(pattern) = Pattern::parse(pattern_text) else {
        return;
    };
    let mut builder = PatternSetBuilder::new();
    builder
        .add(0, &[pattern_text])
        .expect("a pattern Pattern::parse accepts is accepted by PatternSetBuilder::add");
    let set = builder.build();
    let Ok(event) = serde_json::from_slice::<Value>(event_text) else {
        return;
    };
    let matches = pattern.matches(&event);
    let explanation = pattern.explain(&event);
    assert_eq!(
        explanation.is_match(),
        matches,
        "explain disagrees with matches: {explanation:?}"
    );
    let mut candidates = Vec::new();
    set.candidates(&event, &mut candidates);
    assert_eq!(
        !candidates.is_empty(),
        matches,
        "candidates {candidates:?} disagree with matches = {matches}"
    );
    assert!(
        candidates.iter().all(|&id| id == 0),
        "unknown candidates {candidates:?}"
    );
}

/// `Config::parse` of arbitrary UTF-8 under a fixed path: an error or a configuration, never a
/// panic.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = glue_rules::config::Config::parse(text, Path::new("/fuzz/glue-rules.toml"));
}
