//! Native tests of the SDK's helpers (the host imports are replaced by [`crate::testing`]).

use crate::prelude::*;
use crate::testing;
use serde_json::json;

const FAILED_JOB: &str = r#"{"version":"0","id":"abcdef01","detail-type":"Glue Job State Change",
  "source":"aws.glue","account":"123456789012","time":"2017-09-07T06:02:03Z","region":"us-west-2",
  "resources":[],"detail":{"jobName":"MyJob","severity":"ERROR","state":"FAILED",
  "jobRunId":"jr_01","message":"boom"}}"#;

#[test]
fn lambda_builder() {
    let action: Action = Action::lambda("fn")
        .json_payload(&json!({"a": 1}))
        .event()
        .into();
    assert_eq!(
        action,
        Action::Lambda(LambdaInvoke {
            function_name: "fn".into(),
            payload: r#"{"a":1}"#.into(),
            invocation_type: InvocationType::Event,
        })
    );
    let Action::Lambda(default) = Action::lambda("fn").build() else {
        panic!("not a lambda action");
    };
    assert_eq!(default.payload, "{}");
    assert_eq!(default.invocation_type, InvocationType::RequestResponse);
}

#[test]
fn invocation_type_parse() {
    assert_eq!(InvocationType::parse("event"), Some(InvocationType::Event));
    assert_eq!(
        InvocationType::parse(" Event "),
        Some(InvocationType::Event)
    );
    for text in ["request-response", "RequestResponse", "REQUEST_RESPONSE"] {
        assert_eq!(
            InvocationType::parse(text),
            Some(InvocationType::RequestResponse)
        );
    }
    assert_eq!(InvocationType::parse("dry-run"), None);
    assert_eq!(InvocationType::Event.to_string(), "Event");
}

#[test]
fn sns_builder_cleans_subject_and_skips_empty_attributes() {
    let long = format!("line one\nline two {}", "é".repeat(200));
    let publish = Action::sns("arn:aws:sns:us-east-1:1:t")
        .subject(&long)
        .message("hello")
        .attribute("jobName", "MyJob")
        .attribute("empty", "")
        .number_attribute("attempt", 3)
        .string_array_attribute("tags", ["a", "b\"c"]);
    let subject = publish.subject.clone().unwrap_or_default();
    assert_eq!(subject.chars().count(), 100);
    assert!(subject.starts_with("line one line two é"));
    assert_eq!(publish.message_attributes.len(), 3);
    assert_eq!(publish.message_attributes[0].data_type, "String");
    assert_eq!(publish.message_attributes[1].string_value, "3");
    assert_eq!(
        publish.message_attributes[2].string_value,
        r#"["a","b\"c"]"#
    );
    assert_eq!(Action::sns("t").subject(" \n ").subject, None);
}

#[test]
fn sqs_kinesis_sfn_builders() {
    let Action::Sqs(sqs) = Action::sqs("https://q")
        .json_body(&json!({"k": "v"}))
        .delay_seconds(5)
        .message_group_id("g")
        .message_deduplication_id("d")
        .build()
    else {
        panic!("not sqs");
    };
    assert_eq!(sqs.message_body, r#"{"k":"v"}"#);
    assert_eq!(sqs.delay_seconds, Some(5));
    assert_eq!(sqs.message_group_id.as_deref(), Some("g"));
    assert_eq!(sqs.message_deduplication_id.as_deref(), Some("d"));

    let kinesis = Action::kinesis("stream", "pk").json_data(&json!([1]));
    assert_eq!(kinesis.data, "[1]");
    assert_eq!(Action::kinesis("s", "p").data("raw").data, "raw");

    let sfn = Action::step_functions("arn:sm")
        .name("run-1")
        .json_input(&json!({}));
    assert_eq!(sfn.name.as_deref(), Some("run-1"));
    assert_eq!(sfn.input, "{}");
    assert!(matches!(sfn.build(), Action::Stepfunctions(_)));
}

#[test]
fn ssm_builder() {
    let by_ids = Action::ssm("AWS-RunShellScript").instance_ids(["i-1", "i-2"]);
    assert_eq!(
        by_ids.targets,
        CommandTargets::InstanceIds(vec!["i-1".into(), "i-2".into()])
    );
    let by_tag = by_ids
        .targets_by_tag("Role", ["etl"])
        .target("resource-groups:Name", ["g"])
        .parameter("commands", ["echo hi"])
        .comment("x".repeat(150));
    let CommandTargets::Targets(targets) = &by_tag.targets else {
        panic!("tags did not replace instance ids");
    };
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[0].key, "tag:Role");
    assert_eq!(targets[0].values, vec!["etl".to_owned()]);
    assert_eq!(by_tag.parameters[0].name, "commands");
    assert_eq!(by_tag.comment.as_ref().map(|c| c.len()), Some(100));
}

#[test]
fn decisions_and_metadata() {
    let d = Decision::matched([
        Action::lambda("a").build(),
        Action::sqs("q").body("b").build(),
    ])
    .reason("because");
    assert!(d.matched);
    assert_eq!(d.actions.len(), 2);
    assert_eq!(d.reason.as_deref(), Some("because"));
    let none = Decision::no_match();
    assert!(!none.matched && none.actions.is_empty() && none.reason.is_none());
    assert!(Decision::no_match().action(Action::lambda("x")).matched);

    let m = Metadata::new("n", "1.0.0", "d")
        .pattern(r#"{"source":["aws.glue"]}"#)
        .json_pattern(&json!({"source": ["aws.glue-dataquality"]}));
    assert_eq!(m.patterns.len(), 2);
    assert_eq!(m.patterns[1], r#"{"source":["aws.glue-dataquality"]}"#);
}

#[test]
fn event_helpers() {
    let event = testing::event_from_json(FAILED_JOB).expect("fixture parses");
    assert_eq!(event.job_state(), Some(&JobState::Failed));
    assert_eq!(event.job_name(), Some("MyJob"));
    assert_eq!(event.job_run_id(), Some("jr_01"));
    assert_eq!(event.job_severity(), Some(&Severity::Error));
    assert_eq!(event.job_message(), Some("boom"));
    assert!(event.is_job_state_change());
    assert!(event.is_job_failure());
    assert!(!event.is_job_success());
    assert_eq!(event.crawler_name(), None);
    assert_eq!(event.partition(), "aws");
    let detail = event.detail_value().expect("the detail is JSON");
    assert_eq!(detail["jobRunId"], "jr_01");
    assert_eq!(crate::detail_json(), detail.to_string());
    let envelope: serde_json::Value = serde_json::from_str(&crate::event_json()).unwrap();
    assert_eq!(envelope["id"], "abcdef01");

    let mut broken = event.clone();
    broken.region = "cn-north-1".into();
    assert_eq!(broken.partition(), "aws-cn");
    broken.region = "us-gov-west-1".into();
    assert_eq!(broken.partition(), "aws-us-gov");

    // A run-status event has a state and a name but is never a failure or success.
    let status = testing::event_from_json(
        &FAILED_JOB.replace("Glue Job State Change", "Glue Job Run Status"),
    )
    .expect("parses");
    assert_eq!(status.job_state(), Some(&JobState::Failed));
    assert!(!status.is_job_failure() && !status.is_job_state_change());
}

#[test]
fn glue_spelling() {
    assert_eq!(JobState::Succeeded.as_str(), "SUCCEEDED");
    assert_eq!(JobState::Other("PAUSED".into()).to_string(), "PAUSED");
    assert_eq!(JobState::from_glue("TIMEOUT"), JobState::Timeout);
    assert_eq!(
        JobState::from_glue("succeeded"),
        JobState::Other("succeeded".into())
    );
    assert!(JobState::Expired.is_final() && !JobState::Running.is_final());
    assert_eq!(CrawlerState::Succeeded.as_str(), "Succeeded");
    assert_eq!(
        TypeOfChange::BatchCreatePartition.to_string(),
        "BatchCreatePartition"
    );
    assert_eq!(Severity::Warn.as_str(), "WARN");
    assert_eq!(DataQualityState::Failed.as_str(), "FAILED");
    assert_eq!(LogLevel::Warn.to_string(), "warn");
}

#[test]
fn config_helpers() {
    testing::clear_config();
    assert_eq!(config::get("missing"), None);
    assert_eq!(config::get_or("missing", "dflt"), "dflt");
    assert!(config::require("missing").is_err());
    testing::set_config("blank", "  ");
    assert_eq!(config::get("blank").as_deref(), Some("  "));
    assert_eq!(config::get_nonempty("blank"), None);
    assert_eq!(config::get_or("blank", "dflt"), "dflt");
    testing::set_config("name", " value ");
    assert_eq!(config::get_or("name", "dflt"), "value");
    for (text, expected) in [("true", true), ("YES", true), ("1", true), ("off", false)] {
        testing::set_config("flag", text);
        assert_eq!(config::get_bool("flag"), Ok(Some(expected)));
    }
    testing::set_config("flag", "maybe");
    assert!(config::get_bool("flag").is_err());
    assert!(config::get_bool_or("flag", false).is_err());
    assert_eq!(config::get_bool_or("missing", true), Ok(true));
    testing::set_config("n", "42");
    assert_eq!(config::get_parsed::<u32>("n"), Ok(Some(42)));
    testing::set_config("n", "x");
    assert!(config::get_parsed::<u32>("n").is_err());
}

#[test]
fn logging() {
    testing::take_logs();
    crate::log::info("plain");
    crate::warn!("formatted {}", 1);
    assert_eq!(
        testing::take_logs(),
        vec![
            (LogLevel::Info, "plain".to_owned()),
            (LogLevel::Warn, "formatted 1".to_owned())
        ]
    );
}

#[test]
fn truncate_on_char_boundary() {
    assert_eq!(crate::types::truncate_chars("héllo", 2), "hé");
    assert_eq!(crate::types::truncate_chars("hi", 5), "hi");
    assert_eq!(crate::types::truncate_chars("", 0), "");
}

#[test]
fn parses_other_detail_types() {
    let crawler = testing::event_from_json(
        r#"{"version":"0","id":"x","detail-type":"Glue Crawler State Change","source":"aws.glue",
        "account":"1","time":"t","region":"us-east-1","resources":[],
        "detail":{"crawlerName":"c","state":"Succeeded","tablesCreated":"3","runningTime (sec)":"7"}}"#,
    )
    .expect("parses");
    let Detail::CrawlerStateChange(c) = &crawler.detail else {
        panic!("not a crawler event");
    };
    assert_eq!(c.tables_created, Some(3));
    assert_eq!(c.running_time_sec, Some(7.0));
    assert_eq!(crawler.crawler_name(), Some("c"));
    let other = testing::event_from_json(
        r#"{"id":"x","detail-type":"Something","source":"my.app","account":"1",
        "time":"t","region":"r","detail":{}}"#,
    )
    .expect("parses");
    assert_eq!(other.detail, Detail::Other);
    assert_eq!(other.version, "0");
    assert!(testing::event_from_json("[]").is_err());
    // Only Glue's own sources get the typed view, as in the host.
    let borrowed =
        testing::event_from_json(&FAILED_JOB.replace("aws.glue", "my.app")).expect("parses");
    assert_eq!(borrowed.detail, Detail::Other);
    assert!(!borrowed.is_job_failure());
}

#[test]
fn a_detail_the_typed_view_cannot_hold_becomes_other_as_on_the_host() {
    for detail in [
        r#"{"jobName":"j","state":"FAILED"}"#,
        r#"{"jobName":"j","jobRunId":7,"state":"FAILED"}"#,
        r#"{"jobName":"j","jobRunId":"jr","state":"FAILED","severity":3}"#,
    ] {
        let event = testing::event_from_json(&format!(
            r#"{{"id":"1","source":"aws.glue","detail-type":"Glue Job State Change","detail":{detail}}}"#
        ))
        .unwrap();
        assert_eq!(event.detail, Detail::Other, "{detail}");
        let served: serde_json::Value = serde_json::from_str(&crate::detail_json()).unwrap();
        assert_eq!(
            served,
            serde_json::from_str::<serde_json::Value>(detail).unwrap()
        );
    }
    let crawler = testing::event_from_json(
        r#"{"id":"1","source":"aws.glue","detail-type":"Glue Crawler State Change",
            "detail":{"crawlerName":"c","state":"Succeeded","tablesCreated":"many"}}"#,
    )
    .unwrap();
    assert_eq!(crawler.detail, Detail::Other);
}

#[test]
fn the_envelope_is_checked_as_strictly_as_the_host_checks_it() {
    // The host's own parser, so the host's own messages.
    for (text, expected) in [
        ("[]", "an event must be a JSON object, found an array"),
        (
            r#"{"id":"1","source":"s","detail":{}}"#,
            "missing field `detail-type`",
        ),
        (
            r#"{"id":"1","detail-type":"x","source":"s","region":7,"detail":{}}"#,
            "field `region` must be a string, found a number",
        ),
        (
            r#"{"id":"1","detail-type":"x","source":"s","resources":[1],"detail":{}}"#,
            "field `resources[0]` must be a string",
        ),
        (
            r#"{"id":"1","detail-type":"x","source":"s","detail":[]}"#,
            "field `detail` must be an object",
        ),
        ("{", "not valid JSON"),
    ] {
        let err = testing::event_from_json(text).unwrap_err();
        assert!(err.contains(expected), "{text}: {err}");
    }
    let big = format!(
        r#"{{"id":"1","detail-type":"x","source":"s","detail":{{"pad":"{}"}}}}"#,
        "a".repeat(testing::MAX_EVENT_BYTES)
    );
    assert!(matches!(
        testing::typed_view(&big),
        Err(testing::EventError::TooLarge { .. })
    ));
}

#[test]
fn the_typed_view_says_why_a_detail_fell_back_to_other() {
    let view = testing::typed_view(
        r#"{"id":"1","source":"aws.glue","detail-type":"Glue Job State Change",
            "detail":{"jobName":"j","jobRunId":7,"state":"FAILED"}}"#,
    )
    .unwrap();
    assert_eq!(view.event.detail, Detail::Other);
    assert_eq!(
        view.detail_problem.map(|p| p.to_string()).as_deref(),
        Some("field `detail.jobRunId` must be a string, found a number")
    );
    let typed = testing::typed_view(FAILED_JOB).unwrap();
    assert!(typed.detail_problem.is_none());
    assert!(typed.event.is_job_failure());
}

#[test]
fn events_load_from_files_with_the_file_named_in_errors() {
    let dir = std::env::temp_dir().join(format!("glue-rules-sdk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("job-failed.json");
    std::fs::write(&good, FAILED_JOB).unwrap();
    assert!(testing::event_from_file(&good).unwrap().is_job_failure());
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"id":"1"}"#).unwrap();
    let err = testing::event_from_file(&bad).unwrap_err();
    assert!(
        err.contains("bad.json") && err.contains("missing field"),
        "{err}"
    );
    let err = testing::event_from_file(dir.join("absent.json")).unwrap_err();
    assert!(
        err.contains("absent.json") && err.contains("cannot read"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

struct Declaring;

impl Rule for Declaring {
    fn describe(settings: &Settings) -> Result<Metadata, String> {
        let mut metadata = Metadata::new("declaring", "1.0.0", "Declares settings.")
            .setting(Setting::string("topic-arn", "Where to publish.").required())
            .setting(Setting::bool("notify-stopped", "Stopped runs too.").default("false"))
            .setting(Setting::number("delay", "Seconds."))
            .setting(Setting::list("jobs", "Job names."));
        if let Some(filter) = settings.get_nonempty("job-name") {
            metadata = metadata.pattern(format!(r#"{{"detail":{{"jobName":["{filter}"]}}}}"#));
        }
        match settings.get("mode") {
            Some("refuse") => return Err("mode refuse".into()),
            // A declaration the host refuses at load: a default that is not of its kind.
            Some("bad-default") => {
                metadata = metadata.setting(Setting::number("limit", "At most.").default("many"))
            }
            _ => {}
        }
        Ok(metadata)
    }

    fn evaluate(_: &Event) -> Result<Decision, String> {
        Ok(Decision::no_match())
    }
}

#[test]
fn configure_checks_and_serves_settings_as_the_host_does() {
    let m = testing::configure::<Declaring>(&[
        ("topic-arn", "arn:t"),
        ("notify-stopped", "YES"),
        ("jobs", "a, b"),
        ("job-name", "j"),
    ])
    .unwrap();
    assert_eq!(m.settings.len(), 4);
    assert_eq!(m.settings[0].kind, SettingKind::String);
    assert!(m.settings[0].required);
    assert_eq!(m.settings[1].default_value.as_deref(), Some("false"));
    assert_eq!(
        m.patterns,
        vec![r#"{"detail":{"jobName":["j"]}}"#.to_owned()]
    );
    assert_eq!(config::get("notify-stopped").as_deref(), Some("true"));
    assert_eq!(config::get_list("jobs").unwrap(), vec!["a", "b"]);
    assert_eq!(config::get("job-name").as_deref(), Some("j"));
    assert_eq!(config::get("delay"), None);

    testing::configure::<Declaring>(&[("topic-arn", "t")]).unwrap();
    assert_eq!(config::get("notify-stopped").as_deref(), Some("false"));
    // The host's messages, word for word (the same source decides them).
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[],
            "plugins.declaring.config.topic-arn is required (Where to publish) but not set",
        ),
        (
            &[("topic-arn", "t"), ("notify-stopped", "maybe")],
            "plugins.declaring.config.notify-stopped must be true or false",
        ),
        (
            &[("topic-arn", "t"), ("delay", "soon")],
            "plugins.declaring.config.delay must be a number",
        ),
        (&[("mode", "refuse")], "mode refuse"),
        (
            &[("topic-arn", "t"), ("mode", "bad-default")],
            "plugin \"declaring\": settings: the default of setting \"limit\" (number) must be a number",
        ),
    ];
    for (settings, expected) in cases {
        let err = testing::configure::<Declaring>(settings).unwrap_err();
        assert!(err.starts_with(expected), "{settings:?}: {err}");
    }
}

#[test]
fn settings_helpers() {
    let s = Settings::new([
        ("a".to_owned(), " x ".to_owned()),
        ("b".to_owned(), "off".to_owned()),
        ("n".to_owned(), "7".to_owned()),
        ("l".to_owned(), r#"["p","q"]"#.to_owned()),
        ("a".to_owned(), " y ".to_owned()),
    ]);
    assert_eq!(s.get("a"), Some(" y "));
    assert_eq!(s.get_nonempty("a").as_deref(), Some("y"));
    assert_eq!(s.get_or("missing", "d"), "d");
    assert!(s.require("missing").unwrap_err().contains("`missing`"));
    assert_eq!(s.get_bool("b"), Ok(Some(false)));
    assert_eq!(s.get_parsed::<u32>("n"), Ok(Some(7)));
    assert_eq!(s.get_list("l").unwrap(), vec!["p", "q"]);
    assert!(s.get_bool("a").is_err());
}

#[test]
fn the_crates_copy_of_the_contract_is_wit_rule_wit() {
    // The SDK builds its bindings from its own `wit/rule.wit`, so that a packaged crate needs
    // nothing outside it; the repository's `wit/rule.wit` is the contract's source.
    assert!(
        include_str!("../wit/rule.wit") == include_str!("../../../wit/rule.wit"),
        "guest-sdk/rust/wit/rule.wit differs from wit/rule.wit: copy it over"
    );
}
