//! A stand-in host for native tests (compiled only when the target is not `wasm32`).
//!
//! On the build machine the component imports do not exist, so [`config`](crate::config),
//! [`log`](crate::log), [`detail_json`](crate::detail_json) and [`event_json`](crate::event_json)
//! use this module instead: settings come from [`configure`] (or [`set_config`]), log lines are
//! kept for [`take_logs`], and the event JSON is that of the last [`event_from_json`]. All of it
//! is per thread, and the test harness runs each test on its own thread, so tests do not see
//! each other's settings.
//!
//! [`event_from_json`] builds the [`Event`] the host would pass for an EventBridge JSON
//! document, so a rule can be tested against real events:
//!
//! ```
//! use glue_rules_sdk::prelude::*;
//! use glue_rules_sdk::testing;
//!
//! let event = testing::event_from_json(r#"{"version":"0","id":"1",
//!     "detail-type":"Glue Job State Change","source":"aws.glue","account":"123456789012",
//!     "time":"2017-09-07T18:57:21Z","region":"us-west-2","resources":[],
//!     "detail":{"jobName":"MyJob","state":"SUCCEEDED","jobRunId":"jr_1"}}"#).unwrap();
//! assert!(event.is_job_success());
//! assert_eq!(event.detail_value().unwrap()["jobRunId"], "jr_1");
//! testing::set_config("job-name", "My*");
//! assert_eq!(config::get("job-name").as_deref(), Some("My*"));
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::Rule;
use crate::config::Settings;
use crate::types::{
    CrawlerState, CrawlerStateChange, DataQualityContext, DataQualityResult, DataQualityState,
    DatabaseStateChange, Detail, Event, JobRunStatus, JobState, JobStateChange, LogLevel, Metadata,
    SettingKind, Severity, TableStateChange, TypeOfChange,
};

thread_local! {
    static CONFIG: RefCell<BTreeMap<String, String>> = const { RefCell::new(BTreeMap::new()) };
    static LOGS: RefCell<Vec<(LogLevel, String)>> = const { RefCell::new(Vec::new()) };
    static JSON: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Sets the plugin setting `key` for this thread, as it is (no declaration is consulted).
pub fn set_config(key: impl Into<String>, value: impl Into<String>) {
    CONFIG.with(|c| c.borrow_mut().insert(key.into(), value.into()));
}

/// Removes every setting of this thread.
pub fn clear_config() {
    CONFIG.with(|c| c.borrow_mut().clear());
}

/// Configures rule `R` the way the host does: calls its `describe` with `settings`, checks them
/// against the settings it declares (a missing required setting or a value not of its kind is
/// an `Err` naming `plugins.NAME.config.KEY`), and makes the values the host would serve (the
/// declared defaults filled in, booleans as `true`/`false`, lists as JSON arrays) this
/// thread's settings. Returns the metadata `describe` gave.
pub fn configure<R: Rule>(settings: &[(&str, &str)]) -> Result<Metadata, String> {
    let given = Settings::new(
        settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let metadata = R::describe(&given)?;
    let configured: BTreeMap<String, String> = given
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut served = BTreeMap::new();
    for setting in &metadata.settings {
        let key = format!("plugins.{}.config.{}", metadata.name, setting.name);
        let value = configured
            .get(&setting.name)
            .filter(|v| !v.trim().is_empty())
            .or(setting.default_value.as_ref());
        match value {
            Some(value) => {
                let value = normalise(setting.kind, value).map_err(|e| format!("{key} {e}"))?;
                served.insert(setting.name.clone(), value);
            }
            None if setting.required => return Err(format!("{key} is required but not set")),
            None => {}
        }
    }
    for (key, value) in configured {
        served.entry(key).or_insert(value);
    }
    CONFIG.with(|c| *c.borrow_mut() = served);
    Ok(metadata)
}

/// `value` as the host serves a setting of `kind`.
fn normalise(kind: SettingKind, value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    match kind {
        SettingKind::String => Ok(value.to_owned()),
        SettingKind::Bool => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "no" | "off" | "0" => Ok("false".into()),
            _ => Err(format!("must be true or false, not {value:?}")),
        },
        SettingKind::Number => match trimmed.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(trimmed.to_owned()),
            _ => Err(format!("must be a number, not {value:?}")),
        },
        SettingKind::List => {
            let items: Vec<String> = if trimmed.starts_with('[') {
                serde_json::from_str(trimmed)
                    .map_err(|_| format!("must be a list of strings, not {value:?}"))?
            } else {
                trimmed
                    .split(',')
                    .map(str::trim)
                    .filter(|i| !i.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            Ok(Value::from(items).to_string())
        }
    }
}

/// Returns and forgets the log lines this thread wrote.
pub fn take_logs() -> Vec<(LogLevel, String)> {
    LOGS.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

/// Makes `envelope` (an EventBridge event as JSON text) the event [`detail_json`](crate::detail_json)
/// and [`event_json`](crate::event_json) answer for on this thread. [`event_from_json`] does it
/// for the event it builds.
pub fn set_event_json(envelope: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(envelope).map_err(|e| format!("not JSON: {e}"))?;
    let detail = value
        .get("detail")
        .map_or("{}".to_owned(), Value::to_string);
    JSON.with(|j| *j.borrow_mut() = Some((detail, value.to_string())));
    Ok(())
}

pub(crate) fn current_json() -> (String, String) {
    JSON.with(|j| j.borrow().clone())
        .unwrap_or_else(|| ("{}".to_owned(), "{}".to_owned()))
}

pub(crate) fn lookup_config(key: &str) -> Option<String> {
    CONFIG.with(|c| c.borrow().get(key).cloned())
}

pub(crate) fn record_log(level: LogLevel, message: &str) {
    LOGS.with(|l| l.borrow_mut().push((level, message.to_owned())));
}

/// Builds an [`Event`] from an EventBridge event as JSON text, the way the host does, and makes
/// it this thread's event in progress (for [`detail_json`](crate::detail_json)): `detail` is
/// typed by `detail-type` only for Glue's own sources (`aws.glue`, and `aws.glue-dataquality`
/// for data quality results); a detail that lacks a field the typed view needs, or has one of
/// the wrong type, becomes [`Detail::Other`] (delivered, not refused); unknown states become
/// `Other(text)`; crawler counters sent as JSON strings become numbers; `version` defaults to
/// "0" and `account`, `time` and `region` to "".
///
/// Errors when the text is not a JSON object or lacks `id`, `source`, `detail-type` or an
/// object `detail`, as the host refuses such events.
pub fn event_from_json(json: &str) -> Result<Event, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let envelope = value.as_object().ok_or("the event is not a JSON object")?;
    let required = |name: &str| -> Result<String, String> {
        text(envelope, name).ok_or_else(|| format!("the event has no string field `{name}`"))
    };
    let optional = |name: &str, default: &str| text(envelope, name).unwrap_or(default.into());
    let detail_map = envelope
        .get("detail")
        .and_then(Value::as_object)
        .ok_or("the event has no object field `detail`")?;
    let detail_type = required("detail-type")?;
    let source = required("source")?;
    let detail = typed_detail(&detail_type, &source, detail_map).unwrap_or(Detail::Other);
    let event = Event {
        version: optional("version", "0"),
        id: required("id")?,
        detail_type,
        source,
        account: optional("account", ""),
        time: optional("time", ""),
        region: optional("region", ""),
        resources: strings(envelope, "resources").unwrap_or_default(),
        detail,
    };
    set_event_json(json)?;
    Ok(event)
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

// The typed view's field readers, strict like the host's: the outer `None` means "this detail
// cannot be typed" (it becomes `Detail::Other`), the inner one "absent or null".

fn opt_str(map: &Map<String, Value>, key: &str) -> Option<Option<String>> {
    match map.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

fn req_str(map: &Map<String, Value>, key: &str) -> Option<String> {
    opt_str(map, key)?
}

fn number(map: &Map<String, Value>, key: &str) -> Option<Option<f64>> {
    match map.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => Some(n.as_f64()),
        Some(Value::String(s)) => s.trim().parse().ok().map(Some),
        Some(_) => None,
    }
}

fn count<T: TryFrom<u64>>(map: &Map<String, Value>, key: &str) -> Option<Option<T>> {
    let n = match map.get(key) {
        None | Some(Value::Null) => return Some(None),
        Some(Value::Number(n)) => n.as_u64()?,
        Some(Value::String(s)) => s.trim().parse().ok()?,
        Some(_) => return None,
    };
    T::try_from(n).ok().map(Some)
}

fn strings(map: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    match map.get(key) {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Some(_) => None,
    }
}

fn object<'a>(map: &'a Map<String, Value>, key: &str) -> Option<Option<&'a Map<String, Value>>> {
    match map.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::Object(inner)) => Some(Some(inner)),
        Some(_) => None,
    }
}

fn typed_detail(detail_type: &str, source: &str, d: &Map<String, Value>) -> Option<Detail> {
    let glue = source == "aws.glue";
    let severity = || Some(opt_str(d, "severity")?.map(|s| Severity::from_glue(&s)));
    Some(match detail_type {
        "Glue Job State Change" if glue => Detail::JobStateChange(JobStateChange {
            job_name: req_str(d, "jobName")?,
            job_run_id: req_str(d, "jobRunId")?,
            state: JobState::from_glue(&req_str(d, "state")?),
            severity: severity()?,
            message: opt_str(d, "message")?,
        }),
        "Glue Job Run Status" if glue => Detail::JobRunStatus(JobRunStatus {
            job_name: req_str(d, "jobName")?,
            job_run_id: req_str(d, "jobRunId")?,
            state: JobState::from_glue(&req_str(d, "state")?),
            severity: severity()?,
            message: opt_str(d, "message")?,
            notify_delay_after: match object(d, "notificationCondition")? {
                Some(c) => number(c, "NotifyDelayAfter")?,
                None => None,
            },
            started_on: opt_str(d, "startedOn")?,
        }),
        "Glue Crawler State Change" if glue => Detail::CrawlerStateChange(CrawlerStateChange {
            crawler_name: req_str(d, "crawlerName")?,
            state: CrawlerState::from_glue(&req_str(d, "state")?),
            message: opt_str(d, "message")?,
            account_id: opt_str(d, "accountId")?,
            start_time: opt_str(d, "startTime")?,
            completion_date: opt_str(d, "completionDate")?,
            error_message: opt_str(d, "errorMessage")?,
            warning_message: opt_str(d, "warningMessage")?,
            cloud_watch_log_link: opt_str(d, "cloudWatchLogLink")?,
            tables_created: count(d, "tablesCreated")?,
            tables_updated: count(d, "tablesUpdated")?,
            tables_deleted: count(d, "tablesDeleted")?,
            partitions_created: count(d, "partitionsCreated")?,
            partitions_updated: count(d, "partitionsUpdated")?,
            partitions_deleted: count(d, "partitionsDeleted")?,
            running_time_sec: number(d, "runningTime (sec)")?,
        }),
        "Glue Data Catalog Database State Change" if glue => {
            Detail::DatabaseStateChange(DatabaseStateChange {
                database_name: req_str(d, "databaseName")?,
                type_of_change: TypeOfChange::from_glue(&req_str(d, "typeOfChange")?),
                changed_tables: strings(d, "changedTables")?,
            })
        }
        "Glue Data Catalog Table State Change" if glue => {
            Detail::TableStateChange(TableStateChange {
                database_name: req_str(d, "databaseName")?,
                table_name: req_str(d, "tableName")?,
                type_of_change: TypeOfChange::from_glue(&req_str(d, "typeOfChange")?),
                changed_partitions: strings(d, "changedPartitions")?,
            })
        }
        "Data Quality Evaluation Results Available" if source == "aws.glue-dataquality" => {
            Detail::DataQualityResult(DataQualityResult {
                result_id: match opt_str(d, "resultID")? {
                    Some(id) => id,
                    None => req_str(d, "resultId")?,
                },
                ruleset_names: strings(d, "rulesetNames")?,
                state: DataQualityState::from_glue(&req_str(d, "state")?),
                score: number(d, "score")?,
                rules_succeeded: count(d, "rulesSucceeded")?,
                rules_failed: count(d, "rulesFailed")?,
                rules_skipped: count(d, "rulesSkipped")?,
                context: match object(d, "context")? {
                    Some(c) => Some(DataQualityContext {
                        context_type: opt_str(c, "contextType")?.unwrap_or_default(),
                        run_id: opt_str(c, "runId")?,
                        database_name: opt_str(c, "databaseName")?,
                        table_name: opt_str(c, "tableName")?,
                        catalog_id: opt_str(c, "catalogId")?,
                        job_name: opt_str(c, "jobName")?,
                        job_id: opt_str(c, "jobId")?,
                    }),
                    None => None,
                },
            })
        }
        _ => Detail::Other,
    })
}
