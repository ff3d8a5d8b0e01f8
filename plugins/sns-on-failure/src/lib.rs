//! `sns-on-failure`: publishes to an SNS topic when a Glue job run fails.
//!
//! Fires on "Glue Job State Change" events from `aws.glue` whose state is FAILED, TIMEOUT or
//! ERROR, and STOPPED when `notify-stopped` is true. Settings, all optional:
//!
//! * `topic-arn`: default `arn:<partition>:sns:<region>:<account>:glue-job-failures`, from the
//!   event's region and account;
//! * `notify-stopped`: `true` to also publish for runs that were stopped (default `false`);
//! * `job-name`: a glob (`*`, `?`) the job name must match, e.g. `nightly-*`.

use core::fmt::Write as _;

use glue_rules_sdk::prelude::*;

/// The EventBridge pattern this rule declares. ERROR is included because Glue counts it as a
/// failure; STOPPED is included so that `notify-stopped` can work, and filtered in `evaluate`.
const PATTERN: &str = r#"{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["FAILED","TIMEOUT","ERROR","STOPPED"]}}"#;

/// Topic name used in the default topic ARN.
const DEFAULT_TOPIC_NAME: &str = "glue-job-failures";

/// The rule; public so that benchmarks can run it natively.
pub struct SnsOnFailure;

/// The plugin's settings, read and checked at the start of every evaluation so that a bad
/// value fails at once rather than on the first stopped run.
struct Settings {
    topic_arn: Option<String>,
    notify_stopped: bool,
    job_name: Option<String>,
}

impl Settings {
    fn read() -> Result<Self, String> {
        Ok(Settings {
            topic_arn: config::get_nonempty("topic-arn"),
            notify_stopped: config::get_bool_or("notify-stopped", false)?,
            job_name: config::get_nonempty("job-name"),
        })
    }
}

impl Rule for SnsOnFailure {
    fn describe() -> Metadata {
        Metadata::new(
            "sns-on-failure",
            env!("CARGO_PKG_VERSION"),
            "Publishes to an SNS topic when a Glue job run fails or times out.",
        )
        .pattern(PATTERN)
    }

    fn evaluate(event: &Event) -> Result<Decision, String> {
        let settings = Settings::read()?;
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
        let publish = Action::sns(topic)
            .subject(format!("Glue job {job} {state}"))
            .message(message(event, change))
            .attribute("jobName", job.as_str())
            .attribute("state", state)
            .attribute("severity", severity.unwrap_or_default());
        Ok(Decision::matched([publish]).reason(format!("job {job} {state}")))
    }
}

/// The notification text: one fact per line, then Glue's own explanation.
fn message(event: &Event, change: &JobStateChange) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail; the results are ignored for that reason.
    let _ = writeln!(
        text,
        "AWS Glue job {} ended in state {}.",
        change.job_name, change.state
    );
    let _ = writeln!(text);
    let _ = writeln!(text, "Job name: {}", change.job_name);
    let _ = writeln!(text, "Run id:   {}", change.job_run_id);
    let _ = writeln!(text, "State:    {}", change.state);
    if let Some(severity) = &change.severity {
        let _ = writeln!(text, "Severity: {severity}");
    }
    let _ = writeln!(text, "Time:     {}", event.time);
    let _ = writeln!(text, "Region:   {}", event.region);
    let _ = writeln!(text, "Account:  {}", event.account);
    let _ = writeln!(text, "Event id: {}", event.id);
    let _ = writeln!(text);
    let _ = write!(
        text,
        "Message from Glue:\n{}",
        change.message.as_deref().unwrap_or("(none)")
    );
    text
}

glue_rules_sdk::export_rule!(SnsOnFailure);

#[cfg(test)]
mod tests;
