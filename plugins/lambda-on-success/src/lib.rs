//! `lambda-on-success`: invokes a Lambda function when a Glue job run succeeds.
//!
//! Fires on "Glue Job State Change" events from `aws.glue` whose state is SUCCEEDED (never on
//! "Glue Job Run Status", which does not carry SUCCEEDED). Settings, all optional, declared in
//! `describe` so the host checks them at load (and `describe` refuses an unknown
//! `invocation-type`):
//!
//! * `job-name`: a glob (`*`, `?`) the job name must match, e.g. `nightly-*`; it becomes part
//!   of the event pattern (unless it has a `?`), and `evaluate` checks it again;
//! * `function-name`: the function to invoke, default `glue-job-succeeded`;
//! * `invocation-type`: `event` (default, asynchronous) or `request-response`.
//!
//! The payload is `{"jobName","jobRunId","state","time","region","account","eventId"}`, an
//! EventBridge input template rendered with the SDK's [`template`](glue_rules_sdk::template)
//! module: compiled once per instance, rendered from the typed event's fields (no JSON is
//! built).

use std::sync::LazyLock;

use glue_rules_sdk::prelude::*;
use glue_rules_sdk::template::{Predefined, Selected, Source, Template, TemplateError, Variable};

/// The EventBridge pattern this rule declares: successful job runs only, of the jobs the
/// `job-name` glob selects.
fn pattern(job_name: Option<&str>) -> String {
    let mut detail = json::Object::new().strings("state", ["SUCCEEDED"]);
    if let Some(value) = job_name.and_then(glob::pattern_value) {
        detail = detail.raw("jobName", &format!("[{value}]"));
    }
    json::Object::new()
        .strings("source", ["aws.glue"])
        .strings("detail-type", ["Glue Job State Change"])
        .raw("detail", &detail.finish())
        .finish()
}

/// Function invoked when `function-name` is not set.
const DEFAULT_FUNCTION: &str = "glue-job-succeeded";

/// The rule; public so that benchmarks can run it natively.
pub struct LambdaOnSuccess;

/// The plugin's settings as the host serves them (checked at load by the host and `describe`).
struct Config {
    job_name: Option<String>,
    function_name: String,
    invocation_type: InvocationType,
}

/// `invocation-type` as configured.
fn invocation_type(text: Option<String>) -> Result<InvocationType, String> {
    match text {
        None => Ok(InvocationType::Event),
        Some(text) => InvocationType::parse(&text).ok_or_else(|| {
            format!("setting `invocation-type` must be event or request-response, not \"{text}\"")
        }),
    }
}

impl Config {
    fn read() -> Result<Self, String> {
        let invocation_type = invocation_type(config::get_nonempty("invocation-type"))?;
        Ok(Config {
            job_name: config::get_nonempty("job-name"),
            function_name: config::get_or("function-name", DEFAULT_FUNCTION),
            invocation_type,
        })
    }
}

impl Rule for LambdaOnSuccess {
    fn describe(settings: &Settings) -> Result<Metadata, String> {
        invocation_type(settings.get_nonempty("invocation-type"))?;
        let job_name = settings.get_nonempty("job-name");
        Ok(Metadata::new(
            "lambda-on-success",
            env!("CARGO_PKG_VERSION"),
            "Invokes a Lambda function when a Glue job run succeeds.",
        )
        .pattern(pattern(job_name.as_deref()))
        .setting(Setting::string(
            "job-name",
            "A glob (*, ?) the job name must match, e.g. nightly-*.",
        ))
        .setting(
            Setting::string("function-name", "The Lambda function to invoke.")
                .default(DEFAULT_FUNCTION),
        )
        .setting(
            Setting::string(
                "invocation-type",
                "event (asynchronous) or request-response.",
            )
            .default("event"),
        ))
    }

    fn evaluate(event: &Event) -> Result<Decision, String> {
        let settings = Config::read()?;
        // The host only sends events matching PATTERN, but the rule does not depend on it.
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
        if change.state != JobState::Succeeded {
            return Ok(Decision::no_match().reason(format!("job {job} is {}", change.state)));
        }
        if let Some(filter) = &settings.job_name
            && !glob::matches(filter, job)
        {
            return Ok(Decision::no_match().reason(format!(
                "job {job} does not match job-name filter \"{filter}\""
            )));
        }

        let Config {
            function_name,
            invocation_type,
            ..
        } = settings;
        let payload = PAYLOAD_TEMPLATE
            .as_ref()
            .map_err(Clone::clone)?
            .render(&Fields { event, change }, &Predefined::default())?;
        glue_rules_sdk::debug!("invoking {function_name} ({invocation_type}) for job {job}");
        Ok(Decision::matched([Action::lambda(function_name)
            .payload(payload)
            .invocation_type(invocation_type)])
        .reason(format!("job {job} succeeded (run {})", change.job_run_id)))
    }
}

/// The payload's variables, as an EventBridge input transformer's `InputPathsMap`: names for
/// JSON paths into the event.
const PATHS: &[(&str, &str)] = &[
    ("job", "$.detail.jobName"),
    ("run", "$.detail.jobRunId"),
    ("state", "$.detail.state"),
    ("time", "$.time"),
    ("region", "$.region"),
    ("account", "$.account"),
    ("id", "$.id"),
];

/// The payload's template, an `InputTemplate`: every placeholder inside quotes, so each value
/// is escaped for its JSON string (and a path that selects nothing gives `""`).
const PAYLOAD: &str = r#"{"jobName":"<job>","jobRunId":"<run>","state":"<state>","time":"<time>","region":"<region>","account":"<account>","eventId":"<id>"}"#;

/// [`PAYLOAD`], compiled once per instance (each component instance has its own memory); a
/// compile error, which the tests rule out, would be every matching event's error.
static PAYLOAD_TEMPLATE: LazyLock<Result<Template, TemplateError>> =
    LazyLock::new(|| Template::compile(PATHS, PAYLOAD));

/// What the template's paths select, answered from the typed view rather than from the host's
/// `event_json()`: the same values (the host builds both from one event), without copying the
/// whole event, detail and all, into the plugin for every successful run, nor building JSON of
/// it.
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
            "$.time" => event.time.as_str().into(),
            "$.region" => event.region.as_str().into(),
            "$.account" => event.account.as_str().into(),
            "$.id" => event.id.as_str().into(),
            _ => Selected::Null,
        }
    }
}

glue_rules_sdk::export_rule!(LambdaOnSuccess);

#[cfg(test)]
mod tests;
