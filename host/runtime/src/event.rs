//! The EventBridge envelope and the typed Glue details, parsed and validated once.
//!
//! Everything downstream (pattern matching, plugins, dispatch) takes an [`Event`]; nothing
//! re-parses JSON. Validation errors name the field (`detail.jobName`) so that a bad event can
//! be fixed without reading this code.
//!
//! The envelope is strict: an event without a string `id`, `source` or `detail-type`, or whose
//! `detail` is not an object, is refused. The typed view of the detail is lenient: a Glue detail
//! that lacks a field the view needs, or has one of the wrong type, is delivered as
//! `detail::other` with its JSON intact ([`Event::detail_problem`] says what was wrong), logged
//! and counted ([`lenient_details`]), never refused.
//!
//! The typed view itself ([`typed_view`], [`EventError`], [`detail_types`] and Glue's spellings
//! of the variants, `as_str`/`from_glue`) is written once, in the Rust SDK's
//! `guest-sdk/rust/src/typed_view.rs`, and included here: the SDK's
//! `testing::event_from_json` compiles the same source, so a rule's native tests see exactly
//! the event this host passes. The host includes the file by path; it does not depend on the
//! SDK crate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use glue_rules_core::DedupeKey;
use glue_rules_patterns::{Document, EventJson, JsonRef, Shape};

use crate::bindings::types as wit;
use crate::contract::EventV0_1;

// `MAX_EVENT_BYTES`, `EventError`, `TypedView`, `check_size`, `check_envelope`, `typed_view`,
// `checked_typed_view`, `detail_types`, and the spelling impls; written against
// `EventJson`/`Shape` (patterns' read access, implemented for the parsed `Document`) and `wit`.
include!("../../../guest-sdk/rust/src/typed_view.rs");

/// Events delivered with `detail::other` because their typed detail could not be built, since
/// the process started.
static LENIENT_DETAILS: AtomicU64 = AtomicU64::new(0);

/// How many events so far were delivered with `detail::other` because their Glue detail lacked
/// a field or had one of the wrong type (see [`Event::detail_problem`]).
pub fn lenient_details() -> u64 {
    LENIENT_DETAILS.load(Ordering::Relaxed)
}

/// One validated event: its JSON parsed once, which patterns match on, and the typed view
/// plugins receive, built from it on first use.
///
/// Cloning is cheap (one reference count), and clones share everything built on demand: the
/// typed view, the JSON texts, the 0.1 view.
#[derive(Debug, Clone)]
pub struct Event {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The event's text and the tape of its values, read in place by the envelope accessors,
    /// the pattern set and the typed view.
    doc: Document,
    /// The typed view, with why its detail is `other` when the view could not hold it. Boxed:
    /// it is large, and most events that no plugin enters never build it.
    view: OnceLock<Box<TypedView>>,
    /// `detail` as compact JSON (`host.detail-json`, 0.1's `detail-json`).
    detail_json: OnceLock<String>,
    /// The whole envelope as compact JSON (`host.event-json`).
    envelope_json: OnceLock<String>,
    /// The `glue:rules@0.1.0` view (with `detail-json`), built when a 0.1 plugin first needs it.
    v0_1: OnceLock<Arc<EventV0_1>>,
}

impl Event {
    /// Parses and validates one event from JSON text, refusing it when over `max_bytes`.
    ///
    /// This is all an event costs before a plugin is entered: one pass over the text onto a
    /// tape, and the envelope's checks, which allocate nothing. The typed view is built when a
    /// plugin first needs it ([`Event::wit`]).
    pub fn parse(text: &[u8], max_bytes: usize) -> Result<Self, EventError> {
        check_size(text, max_bytes)?;
        let text = std::str::from_utf8(text).map_err(|e| {
            EventError::NotJson(format!("invalid UTF-8 at byte {}", e.valid_up_to()))
        })?;
        let doc = Document::parse(text).map_err(|e| EventError::NotJson(e.to_string()))?;
        check_envelope(doc.root())?;
        Ok(Self {
            inner: Arc::new(Inner {
                doc,
                view: OnceLock::new(),
                detail_json: OnceLock::new(),
                envelope_json: OnceLock::new(),
                v0_1: OnceLock::new(),
            }),
        })
    }

    /// The event's JSON, parsed once: what patterns match on.
    pub fn document(&self) -> &Document {
        &self.inner.doc
    }

    fn root(&self) -> JsonRef<'_> {
        self.inner.doc.root()
    }

    /// A string field of the envelope; "" when absent (only for the optional ones: the
    /// required ones were checked on arrival).
    fn envelope_str(&self, key: &str) -> &str {
        self.root()
            .get(key)
            .and_then(JsonRef::as_str)
            .unwrap_or_default()
    }

    /// The envelope's `id`.
    pub fn id(&self) -> &str {
        self.envelope_str("id")
    }

    /// The envelope's `detail-type`.
    pub fn detail_type(&self) -> &str {
        self.envelope_str("detail-type")
    }

    /// The typed event exactly as `glue:rules@0.2.0` plugins receive it, built on first use and
    /// shared by every plugin (and clone) after that. A Glue detail the view cannot hold is
    /// delivered as `detail::other`; that is logged and counted here, once per event.
    pub fn wit(&self) -> &wit::Event {
        &self.view().event
    }

    fn view(&self) -> &TypedView {
        self.inner.view.get_or_init(|| {
            let view = Box::new(checked_typed_view(self.root()));
            if let Some(problem) = &view.detail_problem {
                LENIENT_DETAILS.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    event = %view.event.id,
                    detail_type = %view.event.detail_type,
                    %problem,
                    "typed detail not built: delivered as detail::other"
                );
            }
            view
        })
    }

    /// The identity under which dispatch recognises this event when it comes again (see
    /// [`DedupeKey`]): source, detail type and id, plus the run id and state of a job event.
    pub fn dedupe_key(&self) -> DedupeKey {
        let e = self.wit();
        let base = [e.source.as_str(), e.detail_type.as_str(), e.id.as_str()];
        match &e.detail {
            wit::Detail::JobStateChange(job) => DedupeKey::from_parts(
                base.into_iter()
                    .chain([job.job_run_id.as_str(), job.state.as_str()]),
            ),
            wit::Detail::JobRunStatus(job) => DedupeKey::from_parts(
                base.into_iter()
                    .chain([job.job_run_id.as_str(), job.state.as_str()]),
            ),
            _ => DedupeKey::from_parts(base),
        }
    }

    /// Why the typed view of the detail could not be built, when the event is delivered with
    /// `detail::other` for that reason (a Glue detail lacking a field or with one of the wrong
    /// type); `None` for every event whose detail is typed, or untyped by its `detail-type`.
    pub fn detail_problem(&self) -> Option<&EventError> {
        self.view().detail_problem.as_ref()
    }

    /// `detail` as compact JSON text (members in the order received), written once per event.
    pub fn detail_json(&self) -> &str {
        self.inner.detail_json.get_or_init(|| {
            let mut out = String::new();
            match self.root().get("detail") {
                Some(detail) => detail.write_json(&mut out),
                None => out.push_str("{}"),
            }
            out
        })
    }

    /// The whole envelope as compact JSON text, written once per event.
    pub fn envelope_json(&self) -> &str {
        self.inner.envelope_json.get_or_init(|| {
            let mut out = String::with_capacity(self.inner.doc.text().len());
            self.root().write_json(&mut out);
            out
        })
    }

    /// The event as a `glue:rules@0.1.0` plugin receives it: the same typed view, plus
    /// `detail-json`. Built on first use and shared by every 0.1 plugin after that.
    pub(crate) fn v0_1(&self) -> &Arc<EventV0_1> {
        self.inner
            .v0_1
            .get_or_init(|| Arc::new(EventV0_1::new(self.wit(), self.detail_json())))
    }
}

/// Maps Glue's spelling of a job run state; unknown states are kept, not refused.
pub fn job_state(state: &str) -> wit::JobState {
    wit::JobState::from_glue(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Event, EventError> {
        Event::parse(text.as_bytes(), MAX_EVENT_BYTES)
    }

    fn envelope(detail_type: &str, source: &str, detail: &str) -> String {
        format!(
            r#"{{"version":"0","id":"e1","detail-type":"{detail_type}","source":"{source}",
            "account":"123456789012","time":"2024-01-01T00:00:00Z","region":"eu-west-1",
            "resources":[],"detail":{detail}}}"#
        )
    }

    #[test]
    fn crawler_counters_sent_as_strings_become_numbers() {
        let event = parse(&envelope(
            "Glue Crawler State Change",
            "aws.glue",
            r#"{"crawlerName":"c","state":"Succeeded","tablesCreated":"3","runningTime (sec)":"7"}"#,
        ))
        .unwrap();
        let wit::Detail::CrawlerStateChange(c) = &event.wit().detail else {
            panic!("not a crawler event")
        };
        assert_eq!(c.tables_created, Some(3));
        assert_eq!(c.running_time_sec, Some(7.0));
        assert_eq!(c.tables_deleted, None);
    }

    #[test]
    fn a_counter_that_is_not_a_number_leaves_the_detail_untyped_and_names_its_field() {
        let event = parse(&envelope(
            "Glue Crawler State Change",
            "aws.glue",
            r#"{"crawlerName":"c","state":"Succeeded","tablesCreated":"many"}"#,
        ))
        .unwrap();
        assert!(matches!(event.wit().detail, wit::Detail::Other));
        let problem = event
            .detail_problem()
            .expect("a problem is recorded")
            .to_string();
        assert!(problem.contains("detail.tablesCreated"), "{problem}");
        assert_eq!(
            event.detail_json(),
            r#"{"crawlerName":"c","state":"Succeeded","tablesCreated":"many"}"#
        );
    }

    #[test]
    fn a_glue_detail_missing_a_field_is_delivered_untyped_not_refused() {
        let before = lenient_details();
        for detail in [
            r#"{"jobName":"j","state":"FAILED"}"#,
            r#"{"jobName":"j","jobRunId":5,"state":"FAILED"}"#,
            r#"{"jobRunId":"jr_1","state":"FAILED"}"#,
        ] {
            let event = parse(&envelope("Glue Job State Change", "aws.glue", detail)).unwrap();
            assert!(matches!(event.wit().detail, wit::Detail::Other), "{detail}");
            assert!(event.detail_problem().is_some(), "{detail}");
            assert_eq!(event.detail_json(), detail.replace(' ', ""));
            // Without a run id, dispatch recognises the event by its envelope alone.
            assert_eq!(
                event.dedupe_key(),
                DedupeKey::from_parts(["aws.glue", "Glue Job State Change", "e1"])
            );
        }
        assert!(lenient_details() >= before + 3);
        let typed = parse(&envelope(
            "Glue Job State Change",
            "aws.glue",
            r#"{"jobName":"j","jobRunId":"jr_1","state":"FAILED"}"#,
        ))
        .unwrap();
        assert!(typed.detail_problem().is_none());
    }

    #[test]
    fn the_envelope_and_detail_texts_are_compact_json_of_the_event() {
        let text = envelope("Something New", "aws.glue", r#"{ "a" : [1, 2] }"#);
        let event = parse(&text).unwrap();
        assert_eq!(event.detail_json(), r#"{"a":[1,2]}"#);
        let whole: serde_json::Value = serde_json::from_str(event.envelope_json()).unwrap();
        assert_eq!(
            whole,
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        );
        assert!(!event.envelope_json().contains('\n'));
        // The 0.1 view carries the same detail text.
        assert_eq!(event.v0_1().detail_json, event.detail_json());
        assert_eq!(event.v0_1().id, "e1");
    }

    #[test]
    fn unknown_job_state_is_kept_not_refused() {
        let event = parse(&envelope(
            "Glue Job State Change",
            "aws.glue",
            r#"{"jobName":"j","jobRunId":"jr_1","state":"HIBERNATING"}"#,
        ))
        .unwrap();
        let wit::Detail::JobStateChange(job) = &event.wit().detail else {
            panic!("not a job event")
        };
        assert!(matches!(&job.state, wit::JobState::Other(s) if s == "HIBERNATING"));
    }

    #[test]
    fn data_quality_accepts_result_id_in_either_spelling() {
        for key in ["resultID", "resultId"] {
            let event = parse(&envelope(
                "Data Quality Evaluation Results Available",
                "aws.glue-dataquality",
                &format!(r#"{{"{key}":"dq-1","state":"FAILED","score":0.5}}"#),
            ))
            .unwrap();
            let wit::Detail::DataQualityResult(dq) = &event.wit().detail else {
                panic!("not a data quality event")
            };
            assert_eq!(dq.result_id, "dq-1");
            assert_eq!(dq.state, wit::DataQualityState::Failed);
        }
    }

    #[test]
    fn unknown_detail_type_is_other_with_raw_detail() {
        let event = parse(&envelope("Something New", "aws.glue", r#"{"a":1}"#)).unwrap();
        assert!(matches!(event.wit().detail, wit::Detail::Other));
        assert!(event.detail_problem().is_none());
        assert_eq!(event.detail_json(), r#"{"a":1}"#);
    }

    #[test]
    fn malformed_envelopes_name_the_problem() {
        let cases = [
            ("not json", "not valid JSON"),
            ("[1]", "must be a JSON object, found an array"),
            (
                r#"{"id":"1","source":"s","detail":{}}"#,
                "missing field `detail-type`",
            ),
            (
                r#"{"id":"1","detail-type":5,"source":"s","detail":{}}"#,
                "field `detail-type` must be a string, found a number",
            ),
            (
                r#"{"id":"1","detail-type":"x","source":"s","detail":"x"}"#,
                "field `detail` must be an object",
            ),
            (
                r#"{"id":"1","detail-type":"x","source":"s","resources":[1],"detail":{}}"#,
                "field `resources[0]` must be a string",
            ),
            (
                r#"{"detail-type":"x","source":"s","detail":{}}"#,
                "missing field `id`",
            ),
            (
                r#"{"id":"1","detail-type":"x","source":"s","region":7,"detail":{}}"#,
                "field `region` must be a string, found a number",
            ),
            (
                r#"{"id":"1","detail-type":"Glue Job State Change","source":"aws.glue"}"#,
                "missing field `detail`",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn oversized_events_are_refused() {
        let big = envelope(
            "x",
            "s",
            &format!(r#"{{"pad":"{}"}}"#, "a".repeat(300 * 1024)),
        );
        assert!(matches!(parse(&big), Err(EventError::TooLarge { .. })));
    }
}
