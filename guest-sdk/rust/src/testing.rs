//! A stand-in host for native tests (compiled only when the target is not `wasm32`).
//!
//! On the build machine the component imports do not exist, so [`config`](crate::config),
//! [`log`](crate::log), [`detail_json`](crate::detail_json) and [`event_json`](crate::event_json)
//! use this module instead: settings come from [`configure`] (or [`set_config`]), log lines are
//! kept for [`take_logs`], and the event JSON is that of the last [`event_from_json`]. All of it
//! is per thread, and the test harness runs each test on its own thread, so tests do not see
//! each other's settings.
//!
//! [`event_from_json`] (or [`event_from_file`], for a fixture) builds the [`Event`] the host
//! would pass for an EventBridge JSON document, with the host's own parser (the same source
//! file, compiled into both), so a rule is tested against the event it will really get:
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
use std::path::Path;

use serde_json::Value;

use crate::Rule;
use crate::config::Settings;
use crate::types::{Event, LogLevel, Metadata};

/// The host's parser's refusals and answers, and its default size limit.
pub use crate::event::{EventError, MAX_EVENT_BYTES, TypedView};

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

/// Configures rule `R` the way the host does: calls its `describe` with `settings`, checks its
/// declarations (unique names, defaults of their kind) and then `settings` against them (a
/// missing required setting or a value not of its kind is an `Err` naming
/// `plugins.NAME.config.KEY`), and makes the values the host would serve (the declared defaults
/// filled in, booleans as `true`/`false`, lists as JSON arrays) this thread's settings. The
/// rules and messages are the host's own: the same source file is compiled into both. Returns
/// the metadata `describe` gave.
pub fn configure<R: Rule>(settings: &[(&str, &str)]) -> Result<Metadata, String> {
    let given = Settings::new(
        settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let metadata = R::describe(&given)?;
    let declared: Vec<settings_rules::Declared<'_>> = metadata
        .settings
        .iter()
        .map(|s| settings_rules::Declared {
            name: &s.name,
            kind: s.kind,
            required: s.required,
            default: s.default_value.as_deref(),
            description: &s.description,
        })
        .collect();
    settings_rules::check_declared(&declared)
        .map_err(|e| format!("plugin {:?}: settings: {e}", metadata.name))?;
    let configured: BTreeMap<String, String> = given
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let served = settings_rules::serve_settings(&declared, &configured).map_err(|refused| {
        format!(
            "plugins.{}.config.{} {}",
            metadata.name, refused.key, refused.problem
        )
    })?;
    CONFIG.with(|c| *c.borrow_mut() = served.values);
    Ok(metadata)
}

/// The host's rules for declared settings (`settings_rules.rs`, which the host includes too).
// The host reads every item; `configure` passes undeclared keys on without listing them.
#[allow(dead_code)]
mod settings_rules {
    use crate::types::SettingKind;
    use std::collections::BTreeMap;
    include!("settings_rules.rs");
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

/// Builds the [`Event`] the host would pass for an EventBridge event given as JSON text, and
/// makes it this thread's event in progress (for [`detail_json`](crate::detail_json) and
/// [`event_json`](crate::event_json)).
///
/// It is the host's own parser (see [`typed_view`]): `detail` is typed by `detail-type` only
/// for Glue's own sources (`aws.glue`, and `aws.glue-dataquality` for data quality results); a
/// detail that lacks a field the typed view needs, or has one of the wrong type, becomes
/// [`Detail::Other`](crate::types::Detail::Other) (delivered, not refused; [`typed_view`] says
/// why); unknown states become `Other(text)`; crawler counters sent as JSON strings become
/// numbers; `version` defaults to "0" and `account`, `time` and `region` to "".
///
/// Errors, with the host's messages (such as ``missing field `id` ``), for an event the host
/// refuses: not JSON, over [`MAX_EVENT_BYTES`], not an object, lacking `id`, `source`,
/// `detail-type` or an object `detail`, or with an envelope field of the wrong type.
pub fn event_from_json(json: &str) -> Result<Event, String> {
    typed_view(json)
        .map(|view| view.event)
        .map_err(|e| e.to_string())
}

/// [`event_from_json`] of the file at `path` (relative paths start from the package's root
/// under `cargo test`), for fixtures such as `fixtures/job-failed.json`. Errors name the file.
pub fn event_from_file(path: impl AsRef<Path>) -> Result<Event, String> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the event: {e}", path.display()))?;
    event_from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// [`event_from_json`] with the whole answer of the host's parser: the typed event and, when
/// its detail fell back to `other`, why (the host logs and counts such events). Use it to check
/// that a fixture gets the typed detail a test expects:
///
/// ```
/// use glue_rules_sdk::testing;
///
/// let view = testing::typed_view(r#"{"id":"1","source":"aws.glue",
///     "detail-type":"Glue Crawler State Change",
///     "detail":{"crawlerName":"c","state":"Succeeded","tablesCreated":"many"}}"#).unwrap();
/// assert_eq!(view.event.detail, glue_rules_sdk::types::Detail::Other);
/// let problem = view.detail_problem.unwrap().to_string();
/// assert!(problem.contains("detail.tablesCreated"), "{problem}");
/// ```
pub fn typed_view(json: &str) -> Result<TypedView, EventError> {
    crate::event::check_size(json.as_bytes(), MAX_EVENT_BYTES)?;
    let value: Value =
        serde_json::from_str(json).map_err(|e| EventError::NotJson(e.to_string()))?;
    let view = crate::event::typed_view(&value)?;
    let detail = value
        .get("detail")
        .map_or("{}".to_owned(), Value::to_string);
    JSON.with(|j| *j.borrow_mut() = Some((detail, value.to_string())));
    Ok(view)
}
