//! A stand-in host for native tests (compiled only when the target is not `wasm32`).
//!
//! On the build machine the component imports do not exist, so [`config`](crate::config) and
//! [`log`](crate::log) use this module instead: settings come from [`set_config`] and log
//! lines are kept for [`take_logs`]. Both are per thread, and the test harness runs each test
//! on its own thread, so tests do not see each other's settings.
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
//! testing::set_config("job-name", "My*");
//! assert_eq!(config::get("job-name").as_deref(), Some("My*"));
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::types::{
    CrawlerState, CrawlerStateChange, DataQualityContext, DataQualityResult, DataQualityState,
    DatabaseStateChange, Detail, Event, JobRunStatus, JobState, JobStateChange, LogLevel, Severity,
    TableStateChange, TypeOfChange,
};

thread_local! {
    static CONFIG: RefCell<BTreeMap<String, String>> = const { RefCell::new(BTreeMap::new()) };
    static LOGS: RefCell<Vec<(LogLevel, String)>> = const { RefCell::new(Vec::new()) };
}

/// Sets the plugin setting `key` for this thread.
pub fn set_config(key: impl Into<String>, value: impl Into<String>) {
    CONFIG.with(|c| c.borrow_mut().insert(key.into(), value.into()));
}

/// Removes every setting of this thread.
pub fn clear_config() {
    CONFIG.with(|c| c.borrow_mut().clear());
}

/// Returns and forgets the log lines this thread wrote.
pub fn take_logs() -> Vec<(LogLevel, String)> {
    LOGS.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

pub(crate) fn lookup_config(key: &str) -> Option<String> {
    CONFIG.with(|c| c.borrow().get(key).cloned())
}

pub(crate) fn record_log(level: LogLevel, message: &str) {
    LOGS.with(|l| l.borrow_mut().push((level, message.to_owned())));
}

/// Builds an [`Event`] from an EventBridge event as JSON text, the way the host does:
/// `detail` is typed by `detail-type` only for Glue's own sources (`aws.glue`, and
/// `aws.glue-dataquality` for data quality results), anything else becomes [`Detail::Other`];
/// unknown states become `Other(text)`; crawler counters sent as JSON strings become numbers;
/// `version` defaults to "0" and `account`, `time` and `region` to "".
///
/// Errors when the text is not a JSON object or lacks `id`, `source`, `detail-type` or an
/// object `detail`. It is more lenient than the host about missing detail fields (they become
/// empty strings), so a rule's tests never depend on this parser refusing an event.
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
    let detail = typed_detail(&detail_type, &source, detail_map);
    Ok(Event {
        version: optional("version", "0"),
        id: required("id")?,
        detail_type,
        source,
        account: optional("account", ""),
        time: optional("time", ""),
        region: optional("region", ""),
        resources: strings(envelope, "resources"),
        detail,
        detail_json: Value::Object(detail_map.clone()).to_string(),
    })
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn number(map: &Map<String, Value>, key: &str) -> Option<f64> {
    match map.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn count<T: TryFrom<u64>>(map: &Map<String, Value>, key: &str) -> Option<T> {
    let n = match map.get(key)? {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    T::try_from(n).ok()
}

fn strings(map: &Map<String, Value>, key: &str) -> Vec<String> {
    map.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn typed_detail(detail_type: &str, source: &str, d: &Map<String, Value>) -> Detail {
    let glue = source == "aws.glue";
    let job_state = || JobState::from_glue(&text(d, "state").unwrap_or_default());
    let severity = || text(d, "severity").map(|s| Severity::from_glue(&s));
    match detail_type {
        "Glue Job State Change" if glue => Detail::JobStateChange(JobStateChange {
            job_name: text(d, "jobName").unwrap_or_default(),
            job_run_id: text(d, "jobRunId").unwrap_or_default(),
            state: job_state(),
            severity: severity(),
            message: text(d, "message"),
        }),
        "Glue Job Run Status" if glue => Detail::JobRunStatus(JobRunStatus {
            job_name: text(d, "jobName").unwrap_or_default(),
            job_run_id: text(d, "jobRunId").unwrap_or_default(),
            state: job_state(),
            severity: severity(),
            message: text(d, "message"),
            notify_delay_after: d
                .get("notificationCondition")
                .and_then(Value::as_object)
                .and_then(|c| number(c, "NotifyDelayAfter")),
            started_on: text(d, "startedOn"),
        }),
        "Glue Crawler State Change" if glue => Detail::CrawlerStateChange(CrawlerStateChange {
            crawler_name: text(d, "crawlerName").unwrap_or_default(),
            state: CrawlerState::from_glue(&text(d, "state").unwrap_or_default()),
            message: text(d, "message"),
            account_id: text(d, "accountId"),
            start_time: text(d, "startTime"),
            completion_date: text(d, "completionDate"),
            error_message: text(d, "errorMessage"),
            warning_message: text(d, "warningMessage"),
            cloud_watch_log_link: text(d, "cloudWatchLogLink"),
            tables_created: count(d, "tablesCreated"),
            tables_updated: count(d, "tablesUpdated"),
            tables_deleted: count(d, "tablesDeleted"),
            partitions_created: count(d, "partitionsCreated"),
            partitions_updated: count(d, "partitionsUpdated"),
            partitions_deleted: count(d, "partitionsDeleted"),
            running_time_sec: number(d, "runningTime (sec)"),
        }),
        "Glue Data Catalog Database State Change" if glue => {
            Detail::DatabaseStateChange(DatabaseStateChange {
                database_name: text(d, "databaseName").unwrap_or_default(),
                type_of_change: TypeOfChange::from_glue(
                    &text(d, "typeOfChange").unwrap_or_default(),
                ),
                changed_tables: strings(d, "changedTables"),
            })
        }
        "Glue Data Catalog Table State Change" if glue => {
            Detail::TableStateChange(TableStateChange {
                database_name: text(d, "databaseName").unwrap_or_default(),
                table_name: text(d, "tableName").unwrap_or_default(),
                type_of_change: TypeOfChange::from_glue(
                    &text(d, "typeOfChange").unwrap_or_default(),
                ),
                changed_partitions: strings(d, "changedPartitions"),
            })
        }
        "Data Quality Evaluation Results Available" if source == "aws.glue-dataquality" => {
            Detail::DataQualityResult(DataQualityResult {
                result_id: text(d, "resultID")
                    .or_else(|| text(d, "resultId"))
                    .unwrap_or_default(),
                ruleset_names: strings(d, "rulesetNames"),
                state: DataQualityState::from_glue(&text(d, "state").unwrap_or_default()),
                score: number(d, "score"),
                rules_succeeded: count(d, "rulesSucceeded"),
                rules_failed: count(d, "rulesFailed"),
                rules_skipped: count(d, "rulesSkipped"),
                context: d
                    .get("context")
                    .and_then(Value::as_object)
                    .map(|c| DataQualityContext {
                        context_type: text(c, "contextType").unwrap_or_default(),
                        run_id: text(c, "runId"),
                        database_name: text(c, "databaseName"),
                        table_name: text(c, "tableName"),
                        catalog_id: text(c, "catalogId"),
                        job_name: text(c, "jobName"),
                        job_id: text(c, "jobId"),
                    }),
            })
        }
        _ => Detail::Other,
    }
}
