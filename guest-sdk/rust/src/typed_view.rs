// The typed view of an EventBridge event, written once and compiled twice.
//
// The glue-rules host (`host/runtime/src/event.rs`) and this SDK (`src/event.rs`, for
// `testing::event_from_json`) both `include!` this file, so a rule's native tests get the very
// event the host would pass: one parser, not two that drift apart. It lives in the SDK so that
// the crate builds from its package alone; the host reaches it by path and never depends on the
// SDK crate.
//
// Written against names the including module provides: `wit`, an alias of the contract's
// generated types (`glue:rules/types@0.2.0`; wasmtime's `bindgen!` on the host and
// wit-bindgen in the SDK give them the same Rust names and shapes); `EventJson` and `Shape`,
// read access to one JSON value (the host takes them from `glue_rules_patterns::document`, and
// reads the event's parsed `Document` in place; the SDK implements them for
// `&serde_json::Value`); and the `serde_json` crate. Nothing else: no `crate::` paths, no inner
// attributes (an included file cannot carry them).
//
// The envelope is strict: an event without a string `id`, `source` or `detail-type`, or whose
// `detail` is not an object, is refused ([`check_envelope`], which allocates nothing, so the
// host runs it on every event and builds the view only for events a plugin evaluates). The
// typed view of the detail is lenient: a Glue detail that lacks a field the view needs, or has
// one of the wrong type, becomes `detail::other` and `TypedView::detail_problem` says why (the
// host logs and counts it), never refused.

/// EventBridge refuses events over 256 KB; so does glue-rules, by default.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// Why an event was refused. Each variant names the field concerned, with its JSON path.
#[derive(Debug, Clone, PartialEq)]
pub enum EventError {
    /// The text is not valid JSON.
    NotJson(String),
    /// The event is larger than the configured limit.
    TooLarge {
        /// Size of the event text in bytes.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The JSON value is not an object, so it cannot be an EventBridge envelope.
    NotAnObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// A required field is absent.
    Missing(String),
    /// A field has the wrong JSON type.
    WrongType {
        /// JSON path of the field.
        field: String,
        /// What was expected, e.g. "a string".
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A field has the right type but a value that cannot be used.
    Invalid {
        /// JSON path of the field.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl core::fmt::Display for EventError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EventError::NotJson(e) => write!(f, "not valid JSON: {e}"),
            EventError::TooLarge { size, limit } => {
                write!(f, "event is {size} bytes, over the {limit}-byte limit")
            }
            EventError::NotAnObject { found } => {
                write!(f, "an event must be a JSON object, found {found}")
            }
            EventError::Missing(field) => write!(f, "missing field `{field}`"),
            EventError::WrongType {
                field,
                expected,
                found,
            } => write!(f, "field `{field}` must be {expected}, found {found}"),
            EventError::Invalid { field, problem } => write!(f, "field `{field}`: {problem}"),
        }
    }
}

impl std::error::Error for EventError {}

/// The typed record of one event, as `glue:rules@0.2.0` rules receive it, and why its detail
/// is `other` when the typed view could not be built.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedView {
    /// The event exactly as the host passes it to `evaluate`.
    pub event: wit::Event,
    /// Why `event.detail` is `other` although its `detail-type` has a typed view (a Glue
    /// detail lacking a field or with one of the wrong type); `None` for every event whose
    /// detail is typed, or untyped by its `detail-type` or source.
    pub detail_problem: Option<EventError>,
}

/// Refuses an event text over `max_bytes` (the host's `max-event-bytes`, [`MAX_EVENT_BYTES`]
/// by default) before anything reads it.
pub fn check_size(text: &[u8], max_bytes: usize) -> Result<(), EventError> {
    if text.len() > max_bytes {
        return Err(EventError::TooLarge {
            size: text.len(),
            limit: max_bytes,
        });
    }
    Ok(())
}

/// Refuses a malformed envelope: not an object; `detail-type`, `source` or `id` missing or not
/// a string; `version`, `account`, `time` or `region` not a string; `resources` not a list of
/// strings; `detail` missing or not an object. JSON null counts as absent everywhere, as it
/// does in the Glue documentation. Allocates nothing unless it refuses.
pub fn check_envelope<'a, J: EventJson<'a>>(json: J) -> Result<(), EventError> {
    if json.shape() != Shape::Object {
        return Err(EventError::NotAnObject {
            found: json.shape().type_name(),
        });
    }
    // One pass over the members, keeping the last of each name (as `get` reads duplicates),
    // then the checks in a fixed order, so the first problem reported does not depend on the
    // order of the fields.
    const KEYS: [&str; 9] = [
        "detail-type",
        "source",
        "id",
        "version",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ];
    let mut found: [Option<J>; 9] = [None; 9];
    for (key, value) in json.members() {
        // `str` equality compares lengths first: most names are passed over at once.
        if let Some(slot) = KEYS.iter().position(|k| *k == key) {
            found[slot] = Some(value);
        }
    }
    let wrong = |key: &str, expected: &'static str, v: J| EventError::WrongType {
        field: key.to_owned(),
        expected,
        found: v.shape().type_name(),
    };
    for (slot, key) in KEYS.iter().enumerate().take(7) {
        match found[slot].map(|v| (v, v.shape())) {
            Some((_, Shape::String(_))) => {}
            None | Some((_, Shape::Null)) if slot < 3 => {
                return Err(EventError::Missing((*key).to_owned()));
            }
            None | Some((_, Shape::Null)) => {}
            Some((v, _)) => return Err(wrong(key, "a string", v)),
        }
    }
    check_strings(found[7], || "resources".to_owned())?;
    match found[8] {
        Some(detail) if detail.shape() == Shape::Object => Ok(()),
        Some(other) => Err(wrong("detail", "an object", other)),
        None => Err(EventError::Missing("detail".into())),
    }
}

/// Builds the typed view of an EventBridge envelope: refuses a malformed envelope
/// ([`check_envelope`]), and turns a Glue detail the view cannot hold into `detail::other` with
/// the reason beside it.
///
/// `version` defaults to "0" and `account`, `time` and `region` to "". Only Glue's own sources
/// get a typed detail (`aws.glue`, and `aws.glue-dataquality` for data quality results).
pub fn typed_view<'a, J: EventJson<'a>>(json: J) -> Result<TypedView, EventError> {
    check_envelope(json)?;
    Ok(checked_typed_view(json))
}

/// [`typed_view`] of an envelope that [`check_envelope`] accepted. Given one it did not accept,
/// it still answers (absent or mistyped envelope fields read as their defaults), so it never
/// fails: the host checks every event on arrival and builds this view later, when a plugin
/// first needs it.
pub fn checked_typed_view<'a, J: EventJson<'a>>(json: J) -> TypedView {
    let text = |key: &str| json.get(key).and_then(|v| match v.shape() {
        Shape::String(s) => Some(s),
        _ => None,
    });
    let owned = |key: &str| text(key).unwrap_or_default().to_owned();
    let detail_type = owned("detail-type");
    let source = owned("source");
    let resources = strings_of(json.get("resources"));
    let (detail, detail_problem) = match json.get("detail") {
        Some(detail) if detail.shape() == Shape::Object => {
            match parse_detail(&detail_type, &source, detail) {
                Ok(detail) => (detail, None),
                Err(problem) => (wit::Detail::Other, Some(problem)),
            }
        }
        _ => (wit::Detail::Other, None),
    };
    TypedView {
        event: wit::Event {
            version: text("version").unwrap_or("0").to_owned(),
            id: owned("id"),
            account: owned("account"),
            time: owned("time"),
            region: owned("region"),
            detail_type,
            source,
            resources,
            detail,
        },
        detail_problem,
    }
}

/// The strings of `list`, when it is an array; whatever else it holds is passed over (callers
/// that must refuse it run [`check_strings`] first).
fn strings_of<'a, J: EventJson<'a>>(list: Option<J>) -> Vec<String> {
    list.into_iter()
        .flat_map(|list| list.items())
        .filter_map(|item| match item.shape() {
            Shape::String(s) => Some(s.to_owned()),
            _ => None,
        })
        .collect()
}

/// Refuses `list` unless it is absent, null, or an array of strings; `field` is its path, for
/// the error.
fn check_strings<'a, J: EventJson<'a>>(
    list: Option<J>,
    field: impl Fn() -> String,
) -> Result<(), EventError> {
    let Some(list) = list.filter(|v| v.shape() != Shape::Null) else {
        return Ok(());
    };
    if list.shape() != Shape::Array {
        return Err(EventError::WrongType {
            field: field(),
            expected: "an array of strings",
            found: list.shape().type_name(),
        });
    }
    for (i, item) in list.items().enumerate() {
        let shape = item.shape();
        if !matches!(shape, Shape::String(_)) {
            return Err(EventError::WrongType {
                field: format!("{}[{i}]", field()),
                expected: "a string",
                found: shape.type_name(),
            });
        }
    }
    Ok(())
}

/// Typed field access on one JSON object, with errors that carry the object's path.
struct Fields<'p, J> {
    map: J,
    prefix: &'p str,
}

impl<'a, 'p, J: EventJson<'a>> Fields<'p, J> {
    fn new(map: J, prefix: &'p str) -> Self {
        Self { map, prefix }
    }

    fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn wrong_type(&self, key: &str, expected: &'static str, found: Shape<'_>) -> EventError {
        EventError::WrongType {
            field: self.path(key),
            expected,
            found: found.type_name(),
        }
    }

    /// The field's value; JSON null counts as absent, as it does in the Glue documentation.
    fn value(&self, key: &str) -> Option<J> {
        self.map.get(key).filter(|v| v.shape() != Shape::Null)
    }

    /// A string field.
    fn optional_str(&self, key: &str) -> Result<Option<&'a str>, EventError> {
        match self.value(key).map(|v| v.shape()) {
            None => Ok(None),
            Some(Shape::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong_type(key, "a string", other)),
        }
    }

    fn optional_string(&self, key: &str) -> Result<Option<String>, EventError> {
        Ok(self.optional_str(key)?.map(str::to_owned))
    }

    fn required_str(&self, key: &str) -> Result<&'a str, EventError> {
        self.optional_str(key)?
            .ok_or_else(|| EventError::Missing(self.path(key)))
    }

    fn required_string(&self, key: &str) -> Result<String, EventError> {
        self.required_str(key).map(str::to_owned)
    }

    fn string_list(&self, key: &str) -> Result<Vec<String>, EventError> {
        let list = self.value(key);
        check_strings(list, || self.path(key))?;
        Ok(strings_of(list))
    }

    /// A number that Glue may send as a JSON number or as a string holding one.
    fn optional_f64(&self, key: &str) -> Result<Option<f64>, EventError> {
        match self.value(key).map(|v| v.shape()) {
            None => Ok(None),
            Some(Shape::Number(n)) => Ok(n.as_f64()),
            Some(Shape::String(s)) => {
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
        match self.value(key).map(|v| v.shape()) {
            None => Ok(None),
            Some(Shape::Number(n)) => n.as_u64().map(Some).ok_or_else(|| invalid(n.to_string())),
            Some(Shape::String(s)) => s
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

    fn optional_object(&self, key: &str) -> Result<Option<J>, EventError> {
        match self.value(key) {
            None => Ok(None),
            Some(v) if v.shape() == Shape::Object => Ok(Some(v)),
            Some(other) => Err(self.wrong_type(key, "an object", other.shape())),
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

/// The typed detail for `detail_type` from `source`, or the first field that prevents it.
fn parse_detail<'a, J: EventJson<'a>>(
    detail_type: &str,
    source: &str,
    detail: J,
) -> Result<wit::Detail, EventError> {
    use detail_types::*;
    let f = Fields::new(detail, "detail");
    // Only Glue's own sources get the typed view: a custom event that borrows a Glue
    // detail-type is passed through untyped rather than refused.
    let glue = source == "aws.glue";
    let severity = || -> Result<Option<wit::Severity>, EventError> {
        Ok(f.optional_str("severity")?.map(wit::Severity::from_glue))
    };
    Ok(match detail_type {
        JOB_STATE_CHANGE if glue => wit::Detail::JobStateChange(wit::JobStateChange {
            job_name: f.required_string("jobName")?,
            job_run_id: f.required_string("jobRunId")?,
            state: wit::JobState::from_glue(f.required_str("state")?),
            severity: severity()?,
            message: f.optional_string("message")?,
        }),
        JOB_RUN_STATUS if glue => {
            let condition = f.optional_object("notificationCondition")?;
            let notify_delay_after = match condition {
                Some(map) => Fields::new(map, "detail.notificationCondition")
                    .optional_f64("NotifyDelayAfter")?,
                None => None,
            };
            wit::Detail::JobRunStatus(wit::JobRunStatus {
                job_name: f.required_string("jobName")?,
                job_run_id: f.required_string("jobRunId")?,
                state: wit::JobState::from_glue(f.required_str("state")?),
                severity: severity()?,
                message: f.optional_string("message")?,
                notify_delay_after,
                started_on: f.optional_string("startedOn")?,
            })
        }
        CRAWLER_STATE_CHANGE if glue => wit::Detail::CrawlerStateChange(wit::CrawlerStateChange {
            crawler_name: f.required_string("crawlerName")?,
            state: wit::CrawlerState::from_glue(f.required_str("state")?),
            message: f.optional_string("message")?,
            account_id: f.optional_string("accountId")?,
            start_time: f.optional_string("startTime")?,
            completion_date: f.optional_string("completionDate")?,
            error_message: f.optional_string("errorMessage")?,
            warning_message: f.optional_string("warningMessage")?,
            cloud_watch_log_link: f.optional_string("cloudWatchLogLink")?,
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
                database_name: f.required_string("databaseName")?,
                type_of_change: wit::TypeOfChange::from_glue(f.required_str("typeOfChange")?),
                changed_tables: f.string_list("changedTables")?,
            })
        }
        TABLE_STATE_CHANGE if glue => wit::Detail::TableStateChange(wit::TableStateChange {
            database_name: f.required_string("databaseName")?,
            table_name: f.required_string("tableName")?,
            type_of_change: wit::TypeOfChange::from_glue(f.required_str("typeOfChange")?),
            changed_partitions: f.string_list("changedPartitions")?,
        }),
        DATA_QUALITY_RESULT if source == "aws.glue-dataquality" => {
            // AWS's own examples write `resultID`; code in the wild reads `resultId`.
            let result_id = match f.optional_string("resultID")? {
                Some(id) => id,
                None => f
                    .optional_string("resultId")?
                    .ok_or_else(|| EventError::Missing("detail.resultID".into()))?,
            };
            let context = match f.optional_object("context")? {
                Some(map) => {
                    let c = Fields::new(map, "detail.context");
                    Some(wit::DataQualityContext {
                        context_type: c.optional_string("contextType")?.unwrap_or_default(),
                        run_id: c.optional_string("runId")?,
                        database_name: c.optional_string("databaseName")?,
                        table_name: c.optional_string("tableName")?,
                        catalog_id: c.optional_string("catalogId")?,
                        job_name: c.optional_string("jobName")?,
                        job_id: c.optional_string("jobId")?,
                    })
                }
                None => None,
            };
            wit::Detail::DataQualityResult(wit::DataQualityResult {
                result_id,
                ruleset_names: f.string_list("rulesetNames")?,
                state: wit::DataQualityState::from_glue(f.required_str("state")?),
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

/// Implements `as_str`, `from_glue` and `Display` for a variant with an `other(string)` case,
/// so that each spelling table is written once and both directions agree.
macro_rules! glue_spelling {
    ($ty:ident, $what:literal, { $($case:ident => $text:literal),* $(,)? }) => {
        impl wit::$ty {
            #[doc = concat!("The ", $what, " as Glue spells it; an `Other` value as Glue sent it.")]
            pub fn as_str(&self) -> &str {
                match self {
                    $(wit::$ty::$case => $text,)*
                    wit::$ty::Other(text) => text,
                }
            }

            #[doc = concat!("The ", $what, " for Glue's spelling `text` (exact match); an ")]
            #[doc = "unknown spelling becomes `Other(text)`, kept rather than refused."]
            pub fn from_glue(text: &str) -> Self {
                match text {
                    $($text => wit::$ty::$case,)*
                    _ => wit::$ty::Other(text.to_owned()),
                }
            }
        }

        impl core::fmt::Display for wit::$ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

glue_spelling!(JobState, "job run state", {
    Starting => "STARTING",
    Running => "RUNNING",
    Stopping => "STOPPING",
    Stopped => "STOPPED",
    Succeeded => "SUCCEEDED",
    Failed => "FAILED",
    Timeout => "TIMEOUT",
    Error => "ERROR",
    Waiting => "WAITING",
    Expired => "EXPIRED",
});

glue_spelling!(Severity, "severity", {
    Info => "INFO",
    Warn => "WARN",
    Error => "ERROR",
});

glue_spelling!(CrawlerState, "crawler state", {
    Started => "Started",
    Succeeded => "Succeeded",
    Failed => "Failed",
});

glue_spelling!(DataQualityState, "data quality state", {
    Succeeded => "SUCCEEDED",
    Failed => "FAILED",
});

glue_spelling!(TypeOfChange, "Data Catalog change type", {
    CreateDatabase => "CreateDatabase",
    UpdateDatabase => "UpdateDatabase",
    DeleteDatabase => "DeleteDatabase",
    CreateTable => "CreateTable",
    UpdateTable => "UpdateTable",
    DeleteTable => "DeleteTable",
    BatchDeleteTable => "BatchDeleteTable",
    CreatePartition => "CreatePartition",
    BatchCreatePartition => "BatchCreatePartition",
    UpdatePartition => "UpdatePartition",
    BatchUpdatePartition => "BatchUpdatePartition",
    DeletePartition => "DeletePartition",
    BatchDeletePartition => "BatchDeletePartition",
});
