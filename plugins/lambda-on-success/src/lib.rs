//! `lambda-on-success`: invokes a Lambda function when a Glue job run succeeds.
//!
//! Fires on "Glue Job State Change" events from `aws.glue` whose state is SUCCEEDED (never on
//! "Glue Job Run Status", which does not carry SUCCEEDED). Settings, all optional:
//!
//! * `job-name`: a glob (`*`, `?`) the job name must match, e.g. `nightly-*`;
//! * `function-name`: the function to invoke, default `glue-job-succeeded`;
//! * `invocation-type`: `event` (default, asynchronous) or `request-response`.
//!
//! The payload is `{"jobName","jobRunId","state","time","region","account","eventId"}`.

use glue_rules_sdk::prelude::*;

/// The EventBridge pattern this rule declares: successful job runs only.
const PATTERN: &str = r#"{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["SUCCEEDED"]}}"#;

/// Function invoked when `function-name` is not set.
const DEFAULT_FUNCTION: &str = "glue-job-succeeded";

/// The rule; public so that benchmarks can run it natively.
pub struct LambdaOnSuccess;

/// The plugin's settings, read and checked at the start of every evaluation so that a bad
/// value fails at once rather than on the first successful run.
struct Settings {
    job_name: Option<String>,
    function_name: String,
    invocation_type: InvocationType,
}

impl Settings {
    fn read() -> Result<Self, String> {
        let invocation_type = match config::get_nonempty("invocation-type") {
            None => InvocationType::Event,
            Some(text) => InvocationType::parse(&text).ok_or_else(|| {
                format!(
                    "setting `invocation-type` must be event or request-response, not \"{text}\""
                )
            })?,
        };
        Ok(Settings {
            job_name: config::get_nonempty("job-name"),
            function_name: config::get_or("function-name", DEFAULT_FUNCTION),
            invocation_type,
        })
    }
}

impl Rule for LambdaOnSuccess {
    fn describe() -> Metadata {
        Metadata::new(
            "lambda-on-success",
            env!("CARGO_PKG_VERSION"),
            "Invokes a Lambda function when a Glue job run succeeds.",
        )
        .pattern(PATTERN)
    }

    fn evaluate(event: &Event) -> Result<Decision, String> {
        let settings = Settings::read()?;
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

        let Settings {
            function_name,
            invocation_type,
            ..
        } = settings;
        let payload = json::Object::new()
            .string("jobName", job)
            .string("jobRunId", &change.job_run_id)
            .string("state", change.state.as_str())
            .string("time", &event.time)
            .string("region", &event.region)
            .string("account", &event.account)
            .string("eventId", &event.id)
            .finish();
        glue_rules_sdk::debug!("invoking {function_name} ({invocation_type}) for job {job}");
        Ok(Decision::matched([Action::lambda(function_name)
            .payload(payload)
            .invocation_type(invocation_type)])
        .reason(format!("job {job} succeeded (run {})", change.job_run_id)))
    }
}

glue_rules_sdk::export_rule!(LambdaOnSuccess);

#[cfg(test)]
mod tests;
