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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

use glue_rules_core::DedupeKey;

use crate::bindings::types as wit;
use crate::contract::EventV0_1;

/// Events delivered with `detail::other` because their typed detail could not be built, since
/// the process started.
static LENIENT_DETAILS: AtomicU64 = AtomicU64::new(0);

/// How many events so far were delivered with `detail::other` because their Glue detail lacked
/// a field or had one of the wrong type (see [`Event::detail_problem`]).
pub fn lenient_details() -> u64 {
    LENIENT_DETAILS.load(Ordering::Relaxed)
}

/// Glue's spelling of a job run state, as in the event.
fn job_state_name(state: &wit::JobState) -> &str {
    use wit::JobState as S;
    match state {
        S::Starting => "STARTING",
        S::Running => "RUNNING",
        S::Stopping => "STOPPING",
        S::Stopped => "STOPPED",
        S::Succeeded => "SUCCEEDED",
        S::Failed => "FAILED",
        S::Timeout => "TIMEOUT",
        S::Error => "ERROR",
        S::Waiting => "WAITING",
        S::Expired => "EXPIRED",
        S::Other(other) => other,
    }
}

/// EventBridge refuses events over 256 KB; so does glue-rules, by default.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// One validated event: the typed view plugins receive and the JSON value patterns match on.
#[derive(Debug, Clone)]
pub struct Event {
    /// The typed event exactly as `glue:rules@0.2.0` plugins receive it.
    pub wit: wit::Event,
    /// The whole envelope as JSON, for EventBridge patterns and for fields the typed view lacks.
    pub json: Arc<Value>,
    /// The JSON texts plugins may ask for (`host.detail-json`, `host.event-json`), written on
    /// first request and shared by every plugin that evaluates this event.
    texts: Arc<JsonTexts>,
    /// The `glue:rules@0.1.0` view (with `detail-json`), built when a 0.1 plugin first needs it.
    v0_1: OnceLock<Arc<EventV0_1>>,
    /// Why the typed detail could not be built, when it is `other` for that reason.
    detail_problem: Option<EventError>,
}

/// The compact JSON texts of one event, written on first request.
#[derive(Debug)]
pub(crate) struct JsonTexts {
    json: Arc<Value>,
    detail: OnceLock<String>,
    envelope: OnceLock<String>,
}

impl JsonTexts {
    /// `detail` as compact JSON text.
    pub(crate) fn detail(&self) -> &str {
        self.detail.get_or_init(|| match self.json.get("detail") {
            Some(detail) => detail.to_string(),
            None => "{}".to_owned(),
        })
    }

    /// The whole envelope as compact JSON text.
    pub(crate) fn envelope(&self) -> &str {
        self.envelope.get_or_init(|| self.json.to_string())
    }
}

impl Event {
    /// The envelope's `id`.
    pub fn id(&self) -> &str {
        &self.wit.id
    }

    /// The envelope's `detail-type`.
    pub fn detail_type(&self) -> &str {
        &self.wit.detail_type
    }

    /// The identity under which dispatch recognises this event when it comes again (see
    /// [`DedupeKey`]): source, detail type and id, plus the run id and state of a job event.
    pub fn dedupe_key(&self) -> DedupeKey {
        let e = &self.wit;
        let base = [e.source.as_str(), e.detail_type.as_str(), e.id.as_str()];
        match &e.detail {
            wit::Detail::JobStateChange(job) => DedupeKey::from_parts(
                base.into_iter()
                    .chain([job.job_run_id.as_str(), job_state_name(&job.state)]),
            ),
            wit::Detail::JobRunStatus(job) => DedupeKey::from_parts(
                base.into_iter()
                    .chain([job.job_run_id.as_str(), job_state_name(&job.state)]),
            ),
            _ => DedupeKey::from_parts(base),
        }
    }

    /// Why the typed view of the detail could not be built, when the event is delivered with
    /// `detail::other` for that reason (a Glue detail lacking a field or with one of the wrong
    /// type); `None` for every event whose detail is typed, or untyped by its `detail-type`.
    pub fn detail_problem(&self) -> Option<&EventError> {
        self.detail_problem.as_ref()
    }

    /// `detail` as compact JSON text, written once per event.
    pub fn detail_json(&self) -> &str {
        self.texts.detail()
    }

    /// The whole envelope as compact JSON text, written once per event.
    pub fn envelope_json(&self) -> &str {
        self.texts.envelope()
    }

    /// The texts `host.detail-json` and `host.event-json` answer with during an evaluation.
    pub(crate) fn texts(&self) -> &Arc<JsonTexts> {
        &self.texts
    }

    /// The event as a `glue:rules@0.1.0` plugin receives it: the same typed view, plus
    /// `detail-json`. Built on first use and shared by every 0.1 plugin after that.
    pub(crate) fn v0_1(&self) -> &Arc<EventV0_1> {
        self.v0_1
            .get_or_init(|| Arc::new(EventV0_1::new(&self.wit, self.detail_json())))
    }

    /// Parses and validates one event from JSON text, refusing it when over `max_bytes`.
    pub fn parse(text: &[u8], max_bytes: usize) -> Result<Self, EventError> {
        if text.len() > max_bytes {
            return Err(EventError::TooLarge {
                size: text.len(),
                limit: max_bytes,
            });
        }
        let value: Value =
            serde_json::from_slice(text).map_err(|e| EventError::NotJson(e.to_string()))?;
        Self::from_value(value)
    }

    /// Validates an already parsed JSON value as an event.
    pub fn from_value(json: Value) -> Result<Self, EventError> {
        let Value::Object(envelope) = &json else {
            return Err(EventError::NotAnObject {
                found: json_type(&json),
            });
        };
        let fields = Fields::new(envelope, "");
        let detail_type = fields.required_str("detail-type")?;
        let source = fields.required_str("source")?;
        let id = fields.required_str("id")?;
        let version = fields
            .optional_str("version")?
            .unwrap_or_else(|| "0".into());
        let account = fields.optional_str("account")?.unwrap_or_default();
        let time = fields.optional_str("time")?.unwrap_or_default();
        let region = fields.optional_str("region")?.unwrap_or_default();
        let resources = fields.string_list("resources")?;
        let detail_value = match envelope.get("detail") {
            Some(Value::Object(detail)) => detail,
            Some(other) => {
                return Err(EventError::WrongType {
                    field: "detail".into(),
                    expected: "an object",
                    found: json_type(other),
                });
            }
            None => return Err(EventError::Missing("detail".into())),
        };
        let (detail, detail_problem) = match parse_detail(&detail_type, &source, detail_value) {
            Ok(detail) => (detail, None),
            Err(problem) => {
                LENIENT_DETAILS.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    event = %id,
                    detail_type = %detail_type,
                    %problem,
                    "typed detail not built: delivered as detail::other"
                );
                (wit::Detail::Other, Some(problem))
            }
        };
        let wit = wit::Event {
            version,
            id,
            detail_type,
            source,
            account,
            time,
            region,
            resources,
            detail,
        };
        let json = Arc::new(json);
        Ok(Self {
            wit,
            texts: Arc::new(JsonTexts {
                json: json.clone(),
                detail: OnceLock::new(),
                envelope: OnceLock::new(),
            }),
            json,
            v0_1: OnceLock::new(),
            detail_problem,
        })
    }
}

/// Why an event was refused. Each variant names the field concerned, with its JSON path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    /// The text is not valid JSON.
    #[error("not valid JSON: {0}")]
    NotJson(String),
    /// The event is larger than the configured limit.
    #[error("event is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Size of the event text in bytes.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The JSON value is not an object, so it cannot be an EventBridge envelope.
    #[error("an event must be a JSON object, found {found}")]
    NotAnObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// A required field is absent.
    #[error("missing field `{0}`")]
    Missing(String),
    /// A field has the wrong JSON type.
    #[error("field `{field}` must be {expected}, found {found}")]
    WrongType {
        /// JSON path of the field.
        field: String,
        /// What was expected, e.g. "a string".
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A field has the right type but a value that cannot be used.
    #[error("field `{field}`: {problem}")]
    Invalid {
        /// JSON path of the field.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Typed field access on one JSON object, with errors that carry the object's path.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: &'a str,
}

impl<'a> Fields<'a> {
    fn new(map: &'a Map<String, Value>, prefix: &'a str) -> Self {
        Self { map, prefix }
    }

    fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn wrong_type(&self, key: &str, expected: &'static str, found: &Value) -> EventError {
        EventError::WrongType {
            field: self.path(key),
            expected,
            found: json_type(found),
        }
    }

    /// A string field; JSON null counts as absent, as it does in the Glue documentation.
    fn optional_str(&self, key: &str) -> Result<Option<String>, EventError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.wrong_type(key, "a string", other)),
        }
    }

    fn required_str(&self, key: &str) -> Result<String, EventError> {
        self.optional_str(key)?
            .ok_or_else(|| EventError::Missing(self.path(key)))
    }

    fn string_list(&self, key: &str) -> Result<Vec<String>, EventError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(EventError::WrongType {
                        field: format!("{}[{i}]", self.path(key)),
                        expected: "a string",
                        found: json_type(other),
                    }),
                })
                .collect(),
            Some(other) => Err(self.wrong_type(key, "an array of strings", other)),
        }
    }

    /// A number that Glue may send as a JSON number or as a string holding one.
    fn optional_f64(&self, key: &str) -> Result<Option<f64>, EventError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) => {
                s.trim()
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| EventError::Invalid {
                        field: self.path(key),
                        problem: format!("expected a number, found the text {s:?}"),
                    })
            }
            Some(other) => Err(self.wrong_type(key, "a number", other)),
        }
    }

    /// A non-negative integer counter that Glue may send as a number or as a string
    /// (crawler counters arrive as `"tablesCreated":"0"`).
    fn optional_u64(&self, key: &str) -> Result<Option<u64>, EventError> {
        let invalid = |found: String| EventError::Invalid {
            field: self.path(key),
            problem: format!("expected a non-negative whole number, found {found}"),
        };
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| invalid(n.to_string())),
            Some(Value::String(s)) => s
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| invalid(format!("the text {s:?}"))),
            Some(other) => Err(self.wrong_type(key, "a number", other)),
        }
    }

    fn optional_u32(&self, key: &str) -> Result<Option<u32>, EventError> {
        match self.optional_u64(key)? {
            None => Ok(None),
            Some(n) => u32::try_from(n).map(Some).map_err(|_| EventError::Invalid {
                field: self.path(key),
                problem: format!("{n} is too large"),
            }),
        }
    }

    fn optional_object(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, EventError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(self.wrong_type(key, "an object", other)),
        }
    }
}

/// The detail-types that have a typed view. Everything else becomes `detail::other`.
pub mod detail_types {
    /// A job run reached a final state.
    pub const JOB_STATE_CHANGE: &str = "Glue Job State Change";
    /// A job run stayed in a state past its NotifyDelayAfter threshold.
    pub const JOB_RUN_STATUS: &str = "Glue Job Run Status";
    /// A crawler started, succeeded or failed.
    pub const CRAWLER_STATE_CHANGE: &str = "Glue Crawler State Change";
    /// Tables of a Data Catalog database changed.
    pub const DATABASE_STATE_CHANGE: &str = "Glue Data Catalog Database State Change";
    /// A Data Catalog table or its partitions changed.
    pub const TABLE_STATE_CHANGE: &str = "Glue Data Catalog Table State Change";
    /// A Data Quality evaluation finished.
    pub const DATA_QUALITY_RESULT: &str = "Data Quality Evaluation Results Available";
}

fn parse_detail(
    detail_type: &str,
    source: &str,
    detail: &Map<String, Value>,
) -> Result<wit::Detail, EventError> {
    use detail_types::*;
    let f = Fields::new(detail, "detail");
    // Only Glue's own sources get the typed view: a custom event that borrows a Glue
    // detail-type is passed through untyped rather than refused.
    let glue = source == "aws.glue";
    Ok(match detail_type {
        JOB_STATE_CHANGE if glue => wit::Detail::JobStateChange(wit::JobStateChange {
            job_name: f.required_str("jobName")?,
            job_run_id: f.required_str("jobRunId")?,
            state: job_state(&f.required_str("state")?),
            severity: f.optional_str("severity")?.as_deref().map(severity),
            message: f.optional_str("message")?,
        }),
        JOB_RUN_STATUS if glue => {
            let condition = f.optional_object("notificationCondition")?;
            let notify_delay_after = match condition {
                Some(map) => Fields::new(map, "detail.notificationCondition")
                    .optional_f64("NotifyDelayAfter")?,
                None => None,
            };
            wit::Detail::JobRunStatus(wit::JobRunStatus {
                job_name: f.required_str("jobName")?,
                job_run_id: f.required_str("jobRunId")?,
                state: job_state(&f.required_str("state")?),
                severity: f.optional_str("severity")?.as_deref().map(severity),
                message: f.optional_str("message")?,
                notify_delay_after,
                started_on: f.optional_str("startedOn")?,
            })
        }
        CRAWLER_STATE_CHANGE if glue => wit::Detail::CrawlerStateChange(wit::CrawlerStateChange {
            crawler_name: f.required_str("crawlerName")?,
            state: crawler_state(&f.required_str("state")?),
            message: f.optional_str("message")?,
            account_id: f.optional_str("accountId")?,
            start_time: f.optional_str("startTime")?,
            completion_date: f.optional_str("completionDate")?,
            error_message: f.optional_str("errorMessage")?,
            warning_message: f.optional_str("warningMessage")?,
            cloud_watch_log_link: f.optional_str("cloudWatchLogLink")?,
            tables_created: f.optional_u64("tablesCreated")?,
            tables_updated: f.optional_u64("tablesUpdated")?,
            tables_deleted: f.optional_u64("tablesDeleted")?,
            partitions_created: f.optional_u64("partitionsCreated")?,
            partitions_updated: f.optional_u64("partitionsUpdated")?,
            partitions_deleted: f.optional_u64("partitionsDeleted")?,
            running_time_sec: f.optional_f64("runningTime (sec)")?,
        }),
        DATABASE_STATE_CHANGE if glue => {
            wit::Detail::DatabaseStateChange(wit::DatabaseStateChange {
                database_name: f.required_str("databaseName")?,
                type_of_change: type_of_change(&f.required_str("typeOfChange")?),
                changed_tables: f.string_list("changedTables")?,
            })
        }
        TABLE_STATE_CHANGE if glue => wit::Detail::TableStateChange(wit::TableStateChange {
            database_name: f.required_str("databaseName")?,
            table_name: f.required_str("tableName")?,
            type_of_change: type_of_change(&f.required_str("typeOfChange")?),
            changed_partitions: f.string_list("changedPartitions")?,
        }),
        DATA_QUALITY_RESULT if source == "aws.glue-dataquality" => {
            // AWS's own examples write `resultID`; code in the wild reads `resultId`.
            let result_id = match f.optional_str("resultID")? {
                Some(id) => id,
                None => f
                    .optional_str("resultId")?
                    .ok_or_else(|| EventError::Missing("detail.resultID".into()))?,
            };
            let context = match f.optional_object("context")? {
                Some(map) => {
                    let c = Fields::new(map, "detail.context");
                    Some(wit::DataQualityContext {
                        context_type: c.optional_str("contextType")?.unwrap_or_default(),
                        run_id: c.optional_str("runId")?,
                        database_name: c.optional_str("databaseName")?,
                        table_name: c.optional_str("tableName")?,
                        catalog_id: c.optional_str("catalogId")?,
                        job_name: c.optional_str("jobName")?,
                        job_id: c.optional_str("jobId")?,
                    })
                }
                None => None,
            };
            wit::Detail::DataQualityResult(wit::DataQualityResult {
                result_id,
                ruleset_names: f.string_list("rulesetNames")?,
                state: match f.required_str("state")?.as_str() {
                    "SUCCEEDED" => wit::DataQualityState::Succeeded,
                    "FAILED" => wit::DataQualityState::Failed,
                    other => wit::DataQualityState::Other(other.to_owned()),
                },
                score: f.optional_f64("score")?,
                rules_succeeded: f.optional_u32("rulesSucceeded")?,
                rules_failed: f.optional_u32("rulesFailed")?,
                rules_skipped: f.optional_u32("rulesSkipped")?,
                context,
            })
        }
        _ => wit::Detail::Other,
    })
}

/// Maps Glue's spelling of a job run state; unknown states are kept, not refused.
pub fn job_state(state: &str) -> wit::JobState {
    use wit::JobState as S;
    match state {
        "STARTING" => S::Starting,
        "RUNNING" => S::Running,
        "STOPPING" => S::Stopping,
        "STOPPED" => S::Stopped,
        "SUCCEEDED" => S::Succeeded,
        "FAILED" => S::Failed,
        "TIMEOUT" => S::Timeout,
        "ERROR" => S::Error,
        "WAITING" => S::Waiting,
        "EXPIRED" => S::Expired,
        other => S::Other(other.to_owned()),
    }
}

fn severity(severity: &str) -> wit::Severity {
    match severity {
        "INFO" => wit::Severity::Info,
        "WARN" => wit::Severity::Warn,
        "ERROR" => wit::Severity::Error,
        other => wit::Severity::Other(other.to_owned()),
    }
}

fn crawler_state(state: &str) -> wit::CrawlerState {
    match state {
        "Started" => wit::CrawlerState::Started,
        "Succeeded" => wit::CrawlerState::Succeeded,
        "Failed" => wit::CrawlerState::Failed,
        other => wit::CrawlerState::Other(other.to_owned()),
    }
}

fn type_of_change(change: &str) -> wit::TypeOfChange {
    use wit::TypeOfChange as C;
    match change {
        "CreateDatabase" => C::CreateDatabase,
        "UpdateDatabase" => C::UpdateDatabase,
        "DeleteDatabase" => C::DeleteDatabase,
        "CreateTable" => C::CreateTable,
        "UpdateTable" => C::UpdateTable,
        "DeleteTable" => C::DeleteTable,
        "BatchDeleteTable" => C::BatchDeleteTable,
        "CreatePartition" => C::CreatePartition,
        "BatchCreatePartition" => C::BatchCreatePartition,
        "UpdatePartition" => C::UpdatePartition,
        "BatchUpdatePartition" => C::BatchUpdatePartition,
        "DeletePartition" => C::DeletePartition,
        "BatchDeletePartition" => C::BatchDeletePartition,
        other => C::Other(other.to_owned()),
    }
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
        let wit::Detail::CrawlerStateChange(c) = event.wit.detail else {
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
        assert!(matches!(event.wit.detail, wit::Detail::Other));
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
            assert!(matches!(event.wit.detail, wit::Detail::Other), "{detail}");
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
        let whole: Value = serde_json::from_str(event.envelope_json()).unwrap();
        assert_eq!(whole, serde_json::from_str::<Value>(&text).unwrap());
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
        let wit::Detail::JobStateChange(job) = event.wit.detail else {
            panic!("not a job event")
        };
        assert!(matches!(job.state, wit::JobState::Other(s) if s == "HIBERNATING"));
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
            let wit::Detail::DataQualityResult(dq) = event.wit.detail else {
                panic!("not a data quality event")
            };
            assert_eq!(dq.result_id, "dq-1");
            assert_eq!(dq.state, wit::DataQualityState::Failed);
        }
    }

    #[test]
    fn unknown_detail_type_is_other_with_raw_detail() {
        let event = parse(&envelope("Something New", "aws.glue", r#"{"a":1}"#)).unwrap();
        assert!(matches!(event.wit.detail, wit::Detail::Other));
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
