//! Native tests against the AWS documentation fixtures (`examples/events/aws-docs`,
//! or the directory in `GLUE_FIXTURES_DIR`).

use std::path::PathBuf;

use glue_rules_sdk::prelude::*;
use glue_rules_sdk::serde_json::{self, json};
use glue_rules_sdk::template::{self, Predefined};
use glue_rules_sdk::testing;

use super::LambdaOnSuccess;

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

#[test]
fn fires_only_for_the_successful_run() {
    for name in all_fixtures() {
        let decision = LambdaOnSuccess::evaluate(&fixture(&name)).expect("no error");
        let expected = name == "successful-job-run.json";
        assert_eq!(decision.matched, expected, "{name}: {decision:?}");
        assert_eq!(decision.actions.len(), usize::from(expected), "{name}");
        assert!(decision.reason.is_some(), "{name} has no reason");
    }
}

#[test]
fn default_action_and_payload() {
    let event = fixture("successful-job-run.json");
    let decision = LambdaOnSuccess::evaluate(&event).expect("no error");
    let [Action::Lambda(invoke)] = decision.actions.as_slice() else {
        panic!("expected one lambda action: {decision:?}");
    };
    assert_eq!(invoke.function_name, "glue-job-succeeded");
    assert_eq!(invoke.invocation_type, InvocationType::Event);
    let payload: serde_json::Value = serde_json::from_str(&invoke.payload).expect("JSON payload");
    assert_eq!(
        payload,
        json!({
            "jobName": "MyJob",
            "jobRunId": "jr_abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
            "state": "SUCCEEDED",
            "time": "2017-09-07T18:57:21Z",
            "region": "us-west-2",
            "account": "123456789012",
            "eventId": "abcdef00-1234-5678-9abc-def012345678",
        })
    );
    assert_eq!(
        decision.reason.as_deref(),
        Some(
            "job MyJob succeeded (run jr_abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789)"
        )
    );
}

#[test]
fn settings() {
    let event = fixture("successful-job-run.json");
    testing::set_config(
        "function-name",
        "arn:aws:lambda:us-west-2:123456789012:function:f",
    );
    testing::set_config("invocation-type", "request-response");
    let decision = LambdaOnSuccess::evaluate(&event).expect("no error");
    let [Action::Lambda(invoke)] = decision.actions.as_slice() else {
        panic!("expected one lambda action");
    };
    assert_eq!(
        invoke.function_name,
        "arn:aws:lambda:us-west-2:123456789012:function:f"
    );
    assert_eq!(invoke.invocation_type, InvocationType::RequestResponse);

    testing::set_config("invocation-type", "sometimes");
    assert!(LambdaOnSuccess::evaluate(&event).is_err());
    assert!(LambdaOnSuccess::evaluate(&fixture("failed-job-run.json")).is_err());
    testing::set_config("invocation-type", "event");

    testing::set_config("job-name", "My*");
    assert!(LambdaOnSuccess::evaluate(&event).expect("no error").matched);
    testing::set_config("job-name", "nightly-*");
    let filtered = LambdaOnSuccess::evaluate(&event).expect("no error");
    assert!(!filtered.matched && filtered.actions.is_empty());
    assert!(filtered.reason.unwrap_or_default().contains("nightly-*"));
}

#[test]
fn ignores_lookalikes() {
    // A run-status event in SUCCEEDED (Glue never sends one) and a custom source.
    let mut status = fixture("successful-job-run.json");
    status.detail_type = "Glue Job Run Status".into();
    if let Detail::JobStateChange(change) = &status.detail {
        status.detail = Detail::JobRunStatus(JobRunStatus {
            job_name: change.job_name.clone(),
            job_run_id: change.job_run_id.clone(),
            state: JobState::Succeeded,
            severity: None,
            message: None,
            notify_delay_after: None,
            started_on: None,
        });
    }
    assert!(
        !LambdaOnSuccess::evaluate(&status)
            .expect("no error")
            .matched
    );
    let mut custom = fixture("successful-job-run.json");
    custom.source = "my.app".into();
    assert!(
        !LambdaOnSuccess::evaluate(&custom)
            .expect("no error")
            .matched
    );
}

#[test]
fn describes_itself() {
    let metadata = testing::configure::<LambdaOnSuccess>(&[]).expect("describes itself");
    assert_eq!(metadata.name, "lambda-on-success");
    assert_eq!(metadata.version, "0.1.0");
    assert_eq!(metadata.patterns.len(), 1);
    let pattern: serde_json::Value =
        serde_json::from_str(&metadata.patterns[0]).expect("pattern is JSON");
    assert_eq!(pattern["detail"]["state"], json!(["SUCCEEDED"]));
}

#[test]
fn settings_are_declared_and_checked_at_load() {
    let metadata = testing::configure::<LambdaOnSuccess>(&[("job-name", "etl-*")]).unwrap();
    let names: Vec<&str> = metadata.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["job-name", "function-name", "invocation-type"]);
    let pattern: serde_json::Value = serde_json::from_str(&metadata.patterns[0]).unwrap();
    assert_eq!(pattern["detail"]["jobName"], json!([{"prefix": "etl-"}]));
    // Defaults are served by the host.
    assert_eq!(
        config::get("function-name").as_deref(),
        Some("glue-job-succeeded")
    );
    let err =
        testing::configure::<LambdaOnSuccess>(&[("invocation-type", "sometimes")]).unwrap_err();
    assert!(err.contains("invocation-type"), "{err}");
}

#[test]
fn the_payload_template_writes_compact_json_with_every_value_escaped() {
    let mut event = fixture("successful-job-run.json");
    event.time = String::new();
    if let Detail::JobStateChange(change) = &mut event.detail {
        change.job_name = "a \"b\"\\\n\u{1}é".into();
    }
    let decision = LambdaOnSuccess::evaluate(&event).expect("no error");
    let [Action::Lambda(invoke)] = decision.actions.as_slice() else {
        panic!("expected one lambda action: {decision:?}");
    };
    assert_eq!(
        invoke.payload,
        r#"{"jobName":"a \"b\"\\\n\u0001é","jobRunId":"jr_abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789","state":"SUCCEEDED","time":"","region":"us-west-2","account":"123456789012","eventId":"abcdef00-1234-5678-9abc-def012345678"}"#
    );
}

/// What the payload template rendered over before it was compiled: a JSON value built from the
/// typed view, shaped like the event.
fn json_input(event: &Event, change: &JobStateChange) -> serde_json::Value {
    json!({
        "id": event.id,
        "time": event.time,
        "region": event.region,
        "account": event.account,
        "detail": {
            "jobName": change.job_name,
            "jobRunId": change.job_run_id,
            "state": change.state.as_str(),
        },
    })
}

#[test]
fn the_compiled_payload_renders_what_the_event_json_renders() {
    let compiled = super::PAYLOAD_TEMPLATE.as_ref().expect("compiles");
    let render = |input: &serde_json::Value| {
        template::render(super::PAYLOAD, super::PATHS, input, &Predefined::default())
            .expect("renders")
    };
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
    odd.account = "<id>".into();
    if let Detail::JobStateChange(change) = &mut odd.detail {
        change.job_name = "a \"b\"\\\n\u{1}\u{8}\u{c}\u{7f}é <run>".into();
        change.job_run_id = String::new();
        change.state = JobState::Other("\"}".into());
    }
    events.push((odd, None));
    for (event, json) in &events {
        let Detail::JobStateChange(change) = &event.detail else {
            unreachable!()
        };
        let payload = compiled
            .render(&super::Fields { event, change }, &Predefined::default())
            .expect("renders");
        assert_eq!(payload, render(&json_input(event, change)));
        serde_json::from_str::<serde_json::Value>(&payload).expect("the payload is JSON");
        if let Some(json) = json {
            assert_eq!(payload, render(json), "{}", event.id);
        }
    }
}
