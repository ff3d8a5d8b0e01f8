//! `{{name}}`: publishes to an SNS topic when a Glue job run fails.
//!
//! Setting `topic-arn` (required, declared in `describe`, so the host refuses to load the
//! plugin without it): the topic to publish to.

use glue_rules_sdk::prelude::*;

/// The events this rule wants: failed Glue job runs.
const PATTERN: &str = r#"{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["FAILED","TIMEOUT","ERROR"]}}"#;

struct {{type_name}};

impl Rule for {{type_name}} {
    fn describe(_settings: &Settings) -> Result<Metadata, String> {
        Ok(Metadata::new(
            "{{name}}",
            env!("CARGO_PKG_VERSION"),
            "Publishes to an SNS topic when a Glue job run fails.",
        )
        .pattern(PATTERN)
        .setting(Setting::string("topic-arn", "The SNS topic to publish to.").required()))
    }

    fn evaluate(event: &Event) -> Result<Decision, String> {
        let topic = config::require("topic-arn")?;
        let Detail::JobStateChange(change) = &event.detail else {
            return Ok(Decision::no_match().reason(format!(
                "detail-type \"{}\" is not Glue Job State Change",
                event.detail_type
            )));
        };
        let job = &change.job_name;
        let state = change.state.as_str();
        if !matches!(
            change.state,
            JobState::Failed | JobState::Timeout | JobState::Error
        ) {
            return Ok(Decision::no_match().reason(format!("job {job} is {state}")));
        }
        glue_rules_sdk::info!("job {job} {state}: publishing to {topic}");
        let publish = Action::sns(topic)
            .subject(format!("Glue job {job} {state}"))
            .message(format!(
                "Glue job {job} (run {}) ended in state {state}.",
                change.job_run_id
            ));
        Ok(Decision::matched([publish]).reason(format!("job {job} {state}")))
    }
}

glue_rules_sdk::export_rule!({{type_name}});

// `cargo test` runs the rule natively: `testing` stands in for the host, and reads the fixture
// with the host's own parser, so the rule sees the event the host would pass.
#[cfg(test)]
mod tests {
    use glue_rules_sdk::prelude::*;
    use glue_rules_sdk::testing;

    use super::{{type_name}};

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:{{name}}-alerts";

    #[test]
    fn a_failed_run_is_published_to_the_topic() {
        testing::configure::<{{type_name}}>(&[("topic-arn", TOPIC)]).expect("settings accepted");
        let event = testing::event_from_file("fixtures/job-failed.json").expect("fixture loads");
        let decision = {{type_name}}::evaluate(&event).expect("no error");
        assert!(decision.matched, "{decision:?}");
        assert_eq!(decision.reason.as_deref(), Some("job MyJob FAILED"));
        let [Action::Sns(publish)] = decision.actions.as_slice() else {
            panic!("expected one SNS action: {decision:?}");
        };
        assert_eq!(publish.topic_arn, TOPIC);
        assert_eq!(publish.subject.as_deref(), Some("Glue job MyJob FAILED"));
        let run = event.job_run_id().expect("a job event");
        assert!(publish.message.contains(run), "{}", publish.message);
    }
}
