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
use glue_rules_sdk::serde_json::json;

/// The EventBridge pattern this rule declares: successful job runs only.
const PATTERN: &str = r#"{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["SUCCEEDED"]}}"#;

/// Function invoked when `function-name` is not set.
const DEFAULT_FUNCTION: &str = "glue-job-succeeded";

struct LambdaOnSuccess;

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
        // The host only sends events matching PATTERN, but the rule does not depend on it.
        let Detail::JobStateChange(change) = &event.detail else {
            return Ok(Decision::no_match().reason(format!(
                "{:?} is not a Glue Job State Change",
                event.detail_type
            )));
        };
        if event.source != "aws.glue" {
            return Ok(Decision::no_match()
                .reason(format!("source {:?} is not aws.glue", event.source)));
        }
        let job = &change.job_name;
        if change.state != JobState::Succeeded {
            return Ok(Decision::no_match().reason(format!("job {job} is {}", change.state)));
        }
        if let Some(filter) = config::get_nonempty("job-name")
            && !glob::matches(&filter, job)
        {
            return Ok(Decision::no_match()
                .reason(format!("job {job} does not match job-name filter {filter:?}")));
        }

        let function = config::get_or("function-name", DEFAULT_FUNCTION);
        let invocation_type = match config::get_nonempty("invocation-type") {
            None => InvocationType::Event,
            Some(text) => InvocationType::parse(&text).ok_or_else(|| {
                format!("setting `invocation-type` must be event or request-response, not {text:?}")
            })?,
        };
        let payload = json!({
            "jobName": job,
            "jobRunId": change.job_run_id,
            "state": change.state.as_str(),
            "time": event.time,
            "region": event.region,
            "account": event.account,
            "eventId": event.id,
        });
        glue_rules_sdk::debug!("invoking {function} ({invocation_type}) for job {job}");
        Ok(Decision::matched([Action::lambda(function)
            .json_payload(&payload)
            .invocation_type(invocation_type)])
        .reason(format!("job {job} succeeded (run {})", change.job_run_id)))
    }
}

glue_rules_sdk::export_rule!(LambdaOnSuccess);

#[cfg(test)]
mod tests;
