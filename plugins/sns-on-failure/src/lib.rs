//! `sns-on-failure`: publishes to an SNS topic when a Glue job run fails.
//!
//! Fires on "Glue Job State Change" events from `aws.glue` whose state is FAILED, TIMEOUT or
//! ERROR, and STOPPED when `notify-stopped` is true. Settings, all optional, declared in
//! `describe` so the host checks them at load:
//!
//! * `topic-arn`: default `arn:<partition>:sns:<region>:<account>:glue-job-failures`, from the
//!   event's region and account;
//! * `notify-stopped`: `true` to also publish for runs that were stopped (default `false`);
//! * `job-name`: a glob (`*`, `?`) the job name must match, e.g. `nightly-*`.
//!
//! `describe` turns `notify-stopped` and `job-name` into the event pattern (a glob with `?`
//! stays in `evaluate` alone), so the host does not enter the plugin for runs it filters out;
//! `evaluate` checks them again, so the rule never depends on the host's filtering.
//!
//! The subject and the message are EventBridge input templates (`<job>`, `<state>`... over an
//! `InputPathsMap`), rendered with the SDK's [`template`](glue_rules_sdk::template) module:
//! compiled once per instance, rendered from the typed event's fields (no JSON is built).

use std::sync::{LazyLock, OnceLock};

use glue_rules_sdk::prelude::*;
use glue_rules_sdk::template::{Predefined, Selected, Source, Template, TemplateError, Variable};

/// The EventBridge pattern this rule declares for its settings. ERROR is included because Glue
/// counts it as a failure; STOPPED only when `notify-stopped` is on.
fn pattern(notify_stopped: bool, job_name: Option<&str>) -> String {
    let states: &[&str] = if notify_stopped {
        &["FAILED", "TIMEOUT", "ERROR", "STOPPED"]
    } else {
        &["FAILED", "TIMEOUT", "ERROR"]
    };
    let mut detail = json::Object::new().strings("state", states);
    if let Some(value) = job_name.and_then(glob::pattern_value) {
        detail = detail.raw("jobName", &format!("[{value}]"));
    }
    json::Object::new()
        .strings("source", ["aws.glue"])
        .strings("detail-type", ["Glue Job State Change"])
        .raw("detail", &detail.finish())
        .finish()
}

/// Topic name used in the default topic ARN.
const DEFAULT_TOPIC_NAME: &str = "glue-job-failures";

/// The rule; public so that benchmarks can run it natively.
pub struct SnsOnFailure;

/// The plugin's settings as the host serves them (checked against the declarations at load).
struct Config {
    topic_arn: Option<String>,
    notify_stopped: bool,
    job_name: Option<String>,
}

impl Config {
    fn read() -> Result<Self, String> {
        Ok(Config {
            topic_arn: config::get_nonempty("topic-arn"),
            notify_stopped: config::get_bool_or("notify-stopped", false)?,
            job_name: config::get_nonempty("job-name"),
        })
    }
}

impl Rule for SnsOnFailure {
    fn describe(settings: &Settings) -> Result<Metadata, String> {
        let notify_stopped = settings.get_bool_or("notify-stopped", false)?;
        let job_name = settings.get_nonempty("job-name");
        Ok(Metadata::new(
            "sns-on-failure",
            env!("CARGO_PKG_VERSION"),
            "Publishes to an SNS topic when a Glue job run fails or times out.",
        )
        .pattern(pattern(notify_stopped, job_name.as_deref()))
        .setting(Setting::string(
            "topic-arn",
            "The SNS topic to publish to; default arn:<partition>:sns:<region>:<account>:glue-job-failures.",
        ))
        .setting(
            Setting::bool("notify-stopped", "Also publish for runs that were stopped.")
                .default("false"),
        )
        .setting(Setting::string(
            "job-name",
            "A glob (*, ?) the job name must match, e.g. nightly-*.",
        )))
    }

    fn evaluate(event: &Event) -> Result<Decision, String> {
        let settings = Config::read()?;
        let Detail::JobStateChange(change) = &event.detail else {
            return Ok(Decision::no_match().reason(format!(
                "detail-type \"{}\" is not Glue Job State Change",
                event.detail_type
            )));
        };
        if event.source != "aws.glue" {
            return Ok(
                Decision::no_match().reason(format!("source \"{}\" is not aws.glue", event.source))
            );
        }
        let job = &change.job_name;
        let state = change.state.as_str();
        match change.state {
            JobState::Failed | JobState::Timeout | JobState::Error => {}
            JobState::Stopped => {
                if !settings.notify_stopped {
                    return Ok(Decision::no_match()
                        .reason(format!("job {job} STOPPED and notify-stopped is off")));
                }
            }
            _ => {
                return Ok(Decision::no_match().reason(format!("job {job} is {state}")));
            }
        }
        if let Some(filter) = &settings.job_name
            && !glob::matches(filter, job)
        {
            return Ok(Decision::no_match().reason(format!(
                "job {job} does not match job-name filter \"{filter}\""
            )));
        }

        let topic = settings.topic_arn.unwrap_or_else(|| {
            format!(
                "arn:{}:sns:{}:{}:{DEFAULT_TOPIC_NAME}",
                event.partition(),
                event.region,
                event.account
            )
        });
        let severity = change.severity.as_ref().map(Severity::as_str);
        let fields = Fields { event, change };
        let message = message(change.severity.is_some(), change.message.is_some())?;
        let publish = Action::sns(topic)
            .subject(subject()?.render(&fields, &Predefined::default())?)
            .message(message.render(&fields, &Predefined::default())?)
            .attribute("jobName", job.as_str())
            .attribute("state", state)
            .attribute("severity", severity.unwrap_or_default());
        Ok(Decision::matched([publish]).reason(format!("job {job} {state}")))
    }
}

/// The templates' variables, as an EventBridge input transformer's `InputPathsMap`: names for
/// JSON paths into the event.
const PATHS: &[(&str, &str)] = &[
    ("job", "$.detail.jobName"),
    ("run", "$.detail.jobRunId"),
    ("state", "$.detail.state"),
    ("severity", "$.detail.severity"),
    ("message", "$.detail.message"),
    ("time", "$.time"),
    ("region", "$.region"),
    ("account", "$.account"),
    ("id", "$.id"),
];

/// The SNS subject's template (plain text: values are written as they are; `subject` then
/// replaces control characters and cuts it to SNS's 100 characters).
const SUBJECT: &str = "Glue job <job> <state>";

/// The notification's template, plain text: one fact per line, then Glue's own explanation.
/// The severity line only when the event has a severity, and "(none)" for a missing message.
fn message_template(severity: bool, message: bool) -> String {
    let mut template = String::from(
        "AWS Glue job <job> ended in state <state>.\n\n\
         Job name: <job>\n\
         Run id:   <run>\n\
         State:    <state>\n",
    );
    if severity {
        template.push_str("Severity: <severity>\n");
    }
    template.push_str(
        "Time:     <time>\n\
         Region:   <region>\n\
         Account:  <account>\n\
         Event id: <id>\n\n\
         Message from Glue:\n",
    );
    template.push_str(if message { "<message>" } else { "(none)" });
    template
}

/// A template compiled once per instance (each component instance has its own memory, so these
/// statics live as long as the instance); a compile error, which the tests rule out, would be
/// every matching event's error.
type Compiled = Result<Template, TemplateError>;

static SUBJECT_TEMPLATE: LazyLock<Compiled> = LazyLock::new(|| Template::compile(PATHS, SUBJECT));

/// [`message_template`]'s four variants, by severity and message present.
static MESSAGE_TEMPLATES: [OnceLock<Compiled>; 4] = [const { OnceLock::new() }; 4];

fn subject() -> Result<&'static Template, TemplateError> {
    SUBJECT_TEMPLATE.as_ref().map_err(Clone::clone)
}

fn message(severity: bool, message: bool) -> Result<&'static Template, TemplateError> {
    MESSAGE_TEMPLATES[usize::from(severity) * 2 + usize::from(message)]
        .get_or_init(|| Template::compile(PATHS, &message_template(severity, message)))
        .as_ref()
        .map_err(Clone::clone)
}

/// What the templates' paths select, answered from the typed view rather than from the host's
/// `event_json()`: the same values (the host builds both from one event), without copying the
/// whole event, detail and all, into the plugin for every failed run, nor building JSON of it.
struct Fields<'a> {
    event: &'a Event,
    change: &'a JobStateChange,
}

impl Source for Fields<'_> {
    fn select(&self, variable: &Variable<'_>) -> Selected<'_> {
        let Fields { event, change } = self;
        match variable.path() {
            "$.detail.jobName" => change.job_name.as_str().into(),
            "$.detail.jobRunId" => change.job_run_id.as_str().into(),
            "$.detail.state" => change.state.as_str().into(),
            "$.detail.severity" => change.severity.as_ref().map(Severity::as_str).into(),
            "$.detail.message" => change.message.as_deref().into(),
            "$.time" => event.time.as_str().into(),
            "$.region" => event.region.as_str().into(),
            "$.account" => event.account.as_str().into(),
            "$.id" => event.id.as_str().into(),
            _ => Selected::Null,
        }
    }
}

glue_rules_sdk::export_rule!(SnsOnFailure);

#[cfg(test)]
mod tests;
