//! Native tests against the AWS documentation fixtures (`examples/events/aws-docs`,
//! or the directory in `GLUE_FIXTURES_DIR`).

use std::path::PathBuf;

use glue_rules_sdk::prelude::*;
use glue_rules_sdk::serde_json;
use glue_rules_sdk::template::{self, Predefined};
use glue_rules_sdk::testing;

use super::SnsOnFailure;

fn fixtures_dir() -> PathBuf {
    std::env::var_os("GLUE_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/events/aws-docs")
        })
}

fn fixture(name: &str) -> Event {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    testing::event_from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn all_fixtures() -> Vec<String> {
    let dir = fixtures_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list fixtures in {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no fixtures in {}", dir.display());
    names
}

fn sns_action(decision: &Decision) -> &SnsPublish {
    match decision.actions.as_slice() {
        [Action::Sns(publish)] => publish,
        other => panic!("expected one SNS action, got {other:?}"),
    }
}

fn check_fixtures(firing: &[&str]) {
    for name in all_fixtures() {
        let decision = SnsOnFailure::evaluate(&fixture(&name)).expect("no error");
        let expected = firing.contains(&name.as_str());
        assert_eq!(decision.matched, expected, "{name}: {decision:?}");
        assert_eq!(decision.actions.len(), usize::from(expected), "{name}");
        assert!(decision.reason.is_some(), "{name} has no reason");
    }
}

#[test]
fn fires_for_failure_and_timeout() {
    check_fixtures(&["failed-job-run.json", "timeout.json"]);
    testing::set_config("notify-stopped", "false");
    check_fixtures(&["failed-job-run.json", "timeout.json"]);
}

#[test]
fn fires_for_stopped_when_asked() {
    testing::set_config("notify-stopped", "true");
    check_fixtures(&[
        "failed-job-run.json",
        "stopped-job-run.json",
        "timeout.json",
    ]);
    testing::set_config("notify-stopped", "perhaps");
    assert!(SnsOnFailure::evaluate(&fixture("stopped-job-run.json")).is_err());
    assert!(SnsOnFailure::evaluate(&fixture("failed-job-run.json")).is_err());
}

#[test]
fn failed_run_notification() {
    let decision = SnsOnFailure::evaluate(&fixture("failed-job-run.json")).expect("no error");
    assert_eq!(decision.reason.as_deref(), Some("job MyJob FAILED"));
    let publish = sns_action(&decision);
    assert_eq!(
        publish.topic_arn,
        "arn:aws:sns:us-west-2:123456789012:glue-job-failures"
    );
    assert_eq!(publish.subject.as_deref(), Some("Glue job MyJob FAILED"));
    for needle in [
        "MyJob",
        "jr_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "FAILED",
        "Severity: ERROR",
        "2017-09-07T06:02:03Z",
        "us-west-2",
        "123456789012",
        "should be given assume role permissions for Glue Service.",
    ] {
        assert!(
            publish.message.contains(needle),
            "message lacks {needle}: {}",
            publish.message
        );
    }
    let attributes: Vec<(&str, &str, &str)> = publish
        .message_attributes
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.data_type.as_str(),
                a.string_value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        attributes,
        [
            ("jobName", "String", "MyJob"),
            ("state", "String", "FAILED"),
            ("severity", "String", "ERROR"),
        ]
    );
}

#[test]
fn timeout_and_error_states() {
    let decision = SnsOnFailure::evaluate(&fixture("timeout.json")).expect("no error");
    let publish = sns_action(&decision);
    assert_eq!(
        publish.topic_arn,
        "arn:aws:sns:us-east-1:123456789012:glue-job-failures"
    );
    assert_eq!(publish.subject.as_deref(), Some("Glue job MyJob TIMEOUT"));

    let mut error = fixture("failed-job-run.json");
    if let Detail::JobStateChange(change) = &mut error.detail {
        change.state = JobState::Error;
        change.severity = None;
    }
    let decision = SnsOnFailure::evaluate(&error).expect("no error");
    assert_eq!(decision.reason.as_deref(), Some("job MyJob ERROR"));
    let publish = sns_action(&decision);
    assert_eq!(
        publish.message_attributes.len(),
        2,
        "no severity attribute without severity"
    );
    assert!(!publish.message.contains("Severity"));
}

#[test]
fn settings() {
    let event = fixture("failed-job-run.json");
    testing::set_config("topic-arn", "arn:aws:sns:eu-west-1:111122223333:ops");
    let decision = SnsOnFailure::evaluate(&event).expect("no error");
    assert_eq!(
        sns_action(&decision).topic_arn,
        "arn:aws:sns:eu-west-1:111122223333:ops"
    );

    testing::set_config("job-name", "?yJob");
    assert!(SnsOnFailure::evaluate(&event).expect("no error").matched);
    testing::set_config("job-name", "nightly-*");
    let filtered = SnsOnFailure::evaluate(&event).expect("no error");
    assert!(!filtered.matched && filtered.actions.is_empty());
}

#[test]
fn long_job_names_and_other_partitions() {
    let mut event = fixture("failed-job-run.json");
    event.region = "cn-north-1".into();
    if let Detail::JobStateChange(change) = &mut event.detail {
        change.job_name = "ü".repeat(300);
    }
    let decision = SnsOnFailure::evaluate(&event).expect("no error");
    let publish = sns_action(&decision);
    assert_eq!(
        publish.topic_arn,
        "arn:aws-cn:sns:cn-north-1:123456789012:glue-job-failures"
    );
    let subject = publish.subject.as_deref().unwrap_or_default();
    assert_eq!(subject.chars().count(), 100);
    assert!(subject.starts_with("Glue job üü"));
}

#[test]
fn describes_itself() {
    let metadata = testing::configure::<SnsOnFailure>(&[]).expect("describes itself");
    assert_eq!(metadata.name, "sns-on-failure");
    assert_eq!(metadata.version, "0.1.0");
    let pattern: serde_json::Value =
        serde_json::from_str(&metadata.patterns[0]).expect("pattern is JSON");
    assert_eq!(pattern["source"][0], "aws.glue");
}

#[test]
fn configured_filters_become_patterns() {
    let pattern = |settings: &[(&str, &str)]| -> serde_json::Value {
        let metadata = testing::configure::<SnsOnFailure>(settings).expect("configures");
        serde_json::from_str(&metadata.patterns[0]).expect("pattern is JSON")
    };
    let default = pattern(&[]);
    assert_eq!(
        default["detail"]["state"],
        serde_json::json!(["FAILED", "TIMEOUT", "ERROR"])
    );
    assert!(default["detail"].get("jobName").is_none());
    let configured = pattern(&[("notify-stopped", "on"), ("job-name", "nightly-*")]);
    assert_eq!(
        configured["detail"]["state"],
        serde_json::json!(["FAILED", "TIMEOUT", "ERROR", "STOPPED"])
    );
    assert_eq!(
        configured["detail"]["jobName"],
        serde_json::json!([{"prefix": "nightly-"}])
    );
    // The host serves the normalised value to evaluate.
    assert_eq!(config::get("notify-stopped").as_deref(), Some("true"));
    // A `?` cannot be a pattern: evaluate filters alone.
    assert!(
        pattern(&[("job-name", "My?ob")])["detail"]
            .get("jobName")
            .is_none()
    );
    let err = testing::configure::<SnsOnFailure>(&[("notify-stopped", "perhaps")]).unwrap_err();
    assert!(err.contains("notify-stopped"), "{err}");
}

#[test]
fn the_notification_text_is_one_fact_per_line() {
    let decision = SnsOnFailure::evaluate(&fixture("timeout.json")).expect("no error");
    assert_eq!(
        sns_action(&decision).message,
        "AWS Glue job MyJob ended in state TIMEOUT.\n\
         \n\
         Job name: MyJob\n\
         Run id:   jr_abc0123456789abcdef0123456789abcdef0123456789abcdef0123456789def\n\
         State:    TIMEOUT\n\
         Severity: WARN\n\
         Time:     2017-11-20T20:22:06Z\n\
         Region:   us-east-1\n\
         Account:  123456789012\n\
         Event id: abcdef00-1234-5678-9abc-def012345678\n\
         \n\
         Message from Glue:\n\
         Job run timed out"
    );
    // Without a severity the line goes; without a message Glue's explanation is "(none)";
    // values are written as they are, control characters and all.
    let mut bare = fixture("timeout.json");
    if let Detail::JobStateChange(change) = &mut bare.detail {
        change.job_name = "<state> \"x\"\n".into();
        change.severity = None;
        change.message = None;
    }
    let decision = SnsOnFailure::evaluate(&bare).expect("no error");
    let message = &sns_action(&decision).message;
    assert!(message.starts_with("AWS Glue job <state> \"x\"\n ended in state TIMEOUT."));
    assert!(!message.contains("Severity"), "{message}");
    assert!(message.ends_with("Message from Glue:\n(none)"), "{message}");
}

/// What the templates rendered over before they were compiled: a JSON value built from the
/// typed view, shaped like the event.
fn json_input(event: &Event, change: &JobStateChange) -> serde_json::Value {
    serde_json::json!({
        "id": event.id,
        "time": event.time,
        "region": event.region,
        "account": event.account,
        "detail": {
            "jobName": change.job_name,
            "jobRunId": change.job_run_id,
            "state": change.state.as_str(),
            "severity": change.severity.as_ref().map(Severity::as_str),
            "message": change.message,
        },
    })
}

/// The subject and the message template for `change`, as `template::render` renders them over
/// `input`.
fn rendered_over(input: &serde_json::Value, change: &JobStateChange) -> (String, String) {
    let render = |template: &str| {
        template::render(template, super::PATHS, input, &Predefined::default()).expect("renders")
    };
    let message = super::message_template(change.severity.is_some(), change.message.is_some());
    (render(super::SUBJECT), render(&message))
}

#[test]
fn the_compiled_templates_render_what_the_event_json_renders() {
    for severity in [false, true] {
        for message in [false, true] {
            assert!(super::message(severity, message).is_ok());
        }
    }
    assert!(super::subject().is_ok());
    let mut events = Vec::new();
    for name in all_fixtures() {
        let event = fixture(name.as_str());
        if !matches!(event.detail, Detail::JobStateChange(_)) {
            continue;
        }
        // The typed fields answer what the paths select in the host's JSON of the event.
        let json: serde_json::Value =
            serde_json::from_str(&glue_rules_sdk::event_json()).expect("JSON");
        events.push((event, Some(json)));
    }
    assert!(events.len() >= 4, "job fixtures: {}", events.len());
    let mut odd = events[0].0.clone();
    odd.time = String::new();
    odd.region = "ü\u{1}\"\\".into();
    if let Detail::JobStateChange(change) = &mut odd.detail {
        change.job_name = "<state> <aws.events.rule-name> \"x\"\n\u{8}".into();
        change.job_run_id = String::new();
        change.state = JobState::Other("<job>".into());
        change.severity = Some(Severity::Other("<message>".into()));
        change.message = Some("{\"a\": [1]}".into());
    }
    events.push((odd.clone(), None));
    if let Detail::JobStateChange(change) = &mut odd.detail {
        change.severity = None;
        change.message = None;
    }
    events.push((odd, None));
    for (event, json) in &events {
        let Detail::JobStateChange(change) = &event.detail else {
            unreachable!()
        };
        let fields = super::Fields { event, change };
        let compiled = (
            super::subject()
                .unwrap()
                .render(&fields, &Predefined::default()),
            super::message(change.severity.is_some(), change.message.is_some())
                .unwrap()
                .render(&fields, &Predefined::default()),
        );
        let compiled = (compiled.0.unwrap(), compiled.1.unwrap());
        assert_eq!(compiled, rendered_over(&json_input(event, change), change));
        if let Some(json) = json {
            assert_eq!(compiled, rendered_over(json, change), "{}", event.id);
        }
    }
}
