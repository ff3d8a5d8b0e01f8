//! The `glue-rules` binary, driven as a user would: the real example plugins over the AWS
//! documentation's events, bad input, bad components and bad configuration.

use std::path::Path;

use crate::support::{TempDir, binary, fixture, fixtures_dir, json_lines, plugins, run_in};
use serde_json::{Value, json};

/// Runs `eval` with both example plugins and the given extra arguments.
fn eval(dir: &Path, extra: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    let p = plugins();
    let cache = dir.join("cache");
    let mut args = vec![
        "eval",
        "--cache-dir",
        cache.to_str().unwrap(),
        "--plugin",
        p.lambda_on_success.to_str().unwrap(),
        "--plugin",
        p.sns_on_failure.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_in(dir, &args, stdin).expect("running glue-rules")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The lines for one plugin, keyed by nothing: in event order.
fn lines_for<'a>(lines: &'a [Value], plugin: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["plugin"] == plugin).collect()
}

#[test]
fn example_plugins_fire_exactly_as_the_fixture_table_says() {
    let dir = TempDir::new("fixtures");
    let files: Vec<String> = {
        let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        names
    };
    assert!(files.len() >= 14, "fixtures missing: {files:?}");
    for name in &files {
        let path = fixture(name);
        let output = eval(dir.path(), &[path.to_str().unwrap()], None);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let lines = json_lines(&output);
        assert_eq!(lines.len(), 2, "{name}: one line per plugin: {lines:?}");
        let lambda = lines_for(&lines, "lambda-on-success")[0];
        let sns = lines_for(&lines, "sns-on-failure")[0];
        let (lambda_fires, sns_fires) = match name.as_str() {
            "successful-job-run.json" => (true, false),
            "failed-job-run.json" | "timeout.json" => (false, true),
            _ => (false, false),
        };
        assert_eq!(lambda["matched"], lambda_fires, "{name}: {lambda}");
        assert_eq!(sns["matched"], sns_fires, "{name}: {sns}");
        for line in [lambda, sns] {
            let fired = line["matched"] == true;
            assert_eq!(
                line["actions"].as_array().unwrap().len(),
                usize::from(fired),
                "{name}: {line}"
            );
            assert!(
                line["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{name}: {line}"
            );
        }
    }
}

#[test]
fn lambda_on_success_invokes_the_default_function_with_the_documented_payload() {
    let dir = TempDir::new("lambda");
    let output = eval(
        dir.path(),
        &[fixture("successful-job-run.json").to_str().unwrap()],
        None,
    );
    let lines = json_lines(&output);
    let line = lines_for(&lines, "lambda-on-success")[0];
    let action = &line["actions"][0];
    assert_eq!(action["type"], "lambda");
    assert_eq!(action["functionName"], "glue-job-succeeded");
    assert_eq!(action["invocationType"], "Event");
    let payload: Value = serde_json::from_str(action["payload"].as_str().unwrap()).unwrap();
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
}

#[test]
fn sns_on_failure_publishes_to_the_default_topic_derived_from_the_event() {
    let dir = TempDir::new("sns");
    for (file, state, region, severity) in [
        ("failed-job-run.json", "FAILED", "us-west-2", "ERROR"),
        ("timeout.json", "TIMEOUT", "us-east-1", "WARN"),
    ] {
        let output = eval(dir.path(), &[fixture(file).to_str().unwrap()], None);
        let lines = json_lines(&output);
        let action = &lines_for(&lines, "sns-on-failure")[0]["actions"][0];
        assert_eq!(action["type"], "sns");
        assert_eq!(
            action["topicArn"],
            format!("arn:aws:sns:{region}:123456789012:glue-job-failures")
        );
        assert_eq!(action["subject"], format!("Glue job MyJob {state}"));
        let message = action["message"].as_str().unwrap();
        for needle in ["MyJob", state, severity, "jr_"] {
            assert!(
                message.contains(needle),
                "{file}: {needle} missing from {message}"
            );
        }
        assert_eq!(action["messageAttributes"]["state"]["stringValue"], state);
        assert_eq!(
            action["messageAttributes"]["jobName"]["stringValue"],
            "MyJob"
        );
    }
}

#[test]
fn configuration_overrides_every_default_and_enables_stopped() {
    let dir = TempDir::new("config");
    std::fs::write(
        dir.path().join("glue-rules.toml"),
        r#"
        [plugins.sns-on-failure.config]
        topic-arn = "arn:aws:sns:eu-west-1:111122223333:ops"
        notify-stopped = true

        [plugins.lambda-on-success.config]
        function-name = "on-success"
        invocation-type = "request-response"
        "#,
    )
    .unwrap();
    let output = eval(
        dir.path(),
        &[
            fixture("stopped-job-run.json").to_str().unwrap(),
            fixture("successful-job-run.json").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    let sns = &lines_for(&lines, "sns-on-failure")[0];
    assert_eq!(sns["matched"], true, "{sns}");
    assert_eq!(
        sns["actions"][0]["topicArn"],
        "arn:aws:sns:eu-west-1:111122223333:ops"
    );
    let lambda = &lines_for(&lines, "lambda-on-success")[1];
    assert_eq!(lambda["actions"][0]["functionName"], "on-success");
    assert_eq!(lambda["actions"][0]["invocationType"], "RequestResponse");
}

#[test]
fn ndjson_from_stdin_is_evaluated_in_order() {
    let dir = TempDir::new("stdin");
    let mut ndjson = Vec::new();
    for file in [
        "timeout.json",
        "successful-job-run.json",
        "crawler-started.json",
    ] {
        let value: Value = serde_json::from_slice(&std::fs::read(fixture(file)).unwrap()).unwrap();
        ndjson.extend(serde_json::to_vec(&value).unwrap());
        ndjson.push(b'\n');
    }
    let output = eval(dir.path(), &["-"], Some(&ndjson));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    let matched: Vec<bool> = lines_for(&lines, "sns-on-failure")
        .iter()
        .map(|l| l["matched"] == true)
        .collect();
    assert_eq!(matched, [true, false, false]);
}

#[test]
fn malformed_events_exit_2_with_the_field_named_and_good_events_still_evaluated() {
    let dir = TempDir::new("malformed");
    let good = std::fs::read_to_string(fixture("failed-job-run.json")).unwrap();
    let good: Value = serde_json::from_str(&good).unwrap();
    let cases: Vec<(String, &str)> = vec![
        ("not json at all".into(), "not valid JSON"),
        ("42".into(), "must be a JSON object"),
        (
            r#"{"id":"x","source":"aws.glue","detail":{}}"#.into(),
            "missing field `detail-type`",
        ),
        (
            r#"{"id":"x","source":"aws.glue","detail-type":["a"],"detail":{}}"#.into(),
            "field `detail-type` must be a string",
        ),
        (
            r#"{"id":"x","source":"aws.glue","detail-type":"Glue Job State Change"}"#.into(),
            "missing field `detail`",
        ),
        (
            format!(
                r#"{{"id":"x","source":"aws.glue","detail-type":"x","detail":{{"pad":"{}"}}}}"#,
                "a".repeat(300 * 1024)
            ),
            "over the 262144-byte limit",
        ),
    ];
    for (bad, expected) in cases {
        let doc = format!("{}\n{bad}\n", serde_json::to_string(&good).unwrap());
        let path = dir.path().join("events.ndjson");
        std::fs::write(&path, doc).unwrap();
        let output = eval(dir.path(), &[path.to_str().unwrap()], None);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{expected}: {err}");
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
        assert!(err.contains("events.ndjson"), "the file is named: {err}");
        assert!(!err.contains("panicked"), "{err}");
        // The good event before the bad one was still evaluated.
        let lines = json_lines(&output);
        assert_eq!(lines_for(&lines, "sns-on-failure")[0]["matched"], true);
    }

    // A Glue detail the typed view cannot be built from is not malformed: it is delivered as
    // `detail::other`, with a warning naming the field, and evaluated like any other event.
    let untyped = r#"{"id":"x","source":"aws.glue","detail-type":"Glue Job State Change","detail":{"jobName":"j","jobRunId":"r","state":"FAILED","severity":7}}"#;
    let path = dir.path().join("untyped.json");
    std::fs::write(&path, untyped).unwrap();
    let output = eval(dir.path(), &[path.to_str().unwrap()], None);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains("detail::other") && err.contains("detail.severity"),
        "{err}"
    );
    let lines = json_lines(&output);
    let sns = lines_for(&lines, "sns-on-failure");
    assert_eq!(sns[0]["matched"], false);
    assert_eq!(
        sns[0]["reason"],
        "detail-type \"Glue Job State Change\" is not Glue Job State Change"
    );
}

#[test]
fn components_that_do_not_implement_the_world_are_refused_with_exit_2() {
    let dir = TempDir::new("bad-components");
    let cases: [(&str, &[u8], &str); 3] = [
        ("text.wasm", b"hello", "not a WebAssembly file"),
        (
            "core.wasm",
            b"\0asm\x01\0\0\0",
            "a core WebAssembly module, not a component",
        ),
        (
            "empty.wasm",
            b"\0asm\x0d\0\x01\0",
            "missing exports describe, evaluate",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        for command in ["eval", "inspect"] {
            let mut args = vec![command];
            if command == "eval" {
                args.extend(["--no-cache", "--plugin", path.to_str().unwrap(), "-"]);
            } else {
                args.push(path.to_str().unwrap());
            }
            let output = run_in(dir.path(), &args, Some(b"")).unwrap();
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{command} {name}: {err}");
            assert!(err.contains(expected), "{command} {name}: {err}");
            assert!(err.contains(name), "the file is named: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

#[test]
fn a_pinned_sha256_that_differs_refuses_the_plugin() {
    let dir = TempDir::new("sha");
    let sns = &plugins().sns_on_failure;
    std::fs::write(
        dir.path().join("glue-rules.toml"),
        format!(
            "[plugins.sns-on-failure]\npath = {:?}\nsha256 = \"{}\"\n",
            sns.to_str().unwrap(),
            "0".repeat(64)
        ),
    )
    .unwrap();
    let output = run_in(dir.path(), &["eval", "--no-cache", "-"], Some(b"")).unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("sha256 is") && err.contains("pins"), "{err}");
}

#[test]
fn an_unknown_config_key_is_an_error_naming_it() {
    let dir = TempDir::new("bad-config");
    std::fs::write(
        dir.path().join("glue-rules.toml"),
        "[limits]\ntimeout_ms = 5\n",
    )
    .unwrap();
    let output = eval(dir.path(), &["-"], Some(b""));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("glue-rules.toml") && err.contains("timeout_ms"),
        "{err}"
    );
}

#[test]
fn a_failing_plugin_exits_1_and_is_reported_as_an_error_line() {
    let dir = TempDir::new("failing");
    std::fs::write(
        dir.path().join("glue-rules.toml"),
        format!(
            "[plugins.hostile-panic]\npath = {:?}\n[plugins.hostile-panic.config]\nmode = \"panic\"\n",
            plugins().hostile.to_str().unwrap()
        ),
    )
    .unwrap();
    let output = eval(
        dir.path(),
        &[fixture("failed-job-run.json").to_str().unwrap()],
        None,
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = json_lines(&output);
    let hostile = lines_for(&lines, "hostile-panic")[0];
    assert_eq!(hostile["errorKind"], "trap", "{hostile}");
    assert!(hostile["error"].as_str().is_some());
    // The other plugins still decided.
    assert_eq!(lines_for(&lines, "sns-on-failure")[0]["matched"], true);
}

#[test]
fn inspect_shows_metadata_patterns_and_the_world() {
    let dir = TempDir::new("inspect");
    let output = run_in(
        dir.path(),
        &[
            "inspect",
            "--json",
            plugins().sns_on_failure.to_str().unwrap(),
        ],
        None,
    )
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let info: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(info["world"], "glue:rules/rule@0.2.0");
    assert_eq!(info["contract"], "0.2.0");
    assert_eq!(info["plugin"]["name"], "sns-on-failure");
    assert_eq!(info["plugin"]["settings"][1]["name"], "notify-stopped");
    assert_eq!(info["config"]["notify-stopped"], "false");
    assert_eq!(info["configError"], Value::Null);
    assert_eq!(info["plugin"]["sha256"].as_str().unwrap().len(), 64);
    let pattern: Value =
        serde_json::from_str(info["plugin"]["patterns"][0].as_str().unwrap()).unwrap();
    assert_eq!(pattern["detail-type"], json!(["Glue Job State Change"]));
    let imports = info["imports"].as_array().unwrap();
    assert!(
        imports
            .iter()
            .any(|i| i.as_str().unwrap().contains("glue:rules/host@0.2.0"))
    );
    let exports = info["exports"].as_array().unwrap();
    assert!(
        exports
            .iter()
            .any(|e| e == "instance glue:rules/handler@0.2.0"),
        "{exports:?}"
    );

    // A golden 0.1.0 component: served beside 0.2, and said so.
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/0.1.0");
    let output = run_in(
        dir.path(),
        &[
            "inspect",
            golden.join("sns_on_failure.wasm").to_str().unwrap(),
        ],
        None,
    )
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(
            "contract:    glue:rules@0.1.0 (previous contract, served beside glue:rules@0.2.0)"
        ) && text.contains("world:       glue:rules/rule@0.1.0")
            && text.contains("func evaluate"),
        "{text}"
    );

    // Settings that do not fit the declarations: shown, and exit 2.
    let config = dir.path().join("glue-rules.toml");
    std::fs::write(
        &config,
        "[plugins.sns-on-failure.config]\nnotify-stopped = \"sometimes\"\n",
    )
    .unwrap();
    let output = run_in(
        dir.path(),
        &[
            "inspect",
            "--config",
            config.to_str().unwrap(),
            plugins().sns_on_failure.to_str().unwrap(),
        ],
        None,
    )
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("contract:    glue:rules@0.2.0\n")
            && text.contains("  notify-stopped (bool, default \"false\"): Also publish")
            && text.contains(
                "config:      error: plugins.sns-on-failure.config.notify-stopped must be true or false"
            ),
        "{text}"
    );
}

#[test]
fn the_compile_cache_is_used_on_the_second_load() {
    let dir = TempDir::new("cache");
    let cache = dir.path().join("cache");
    let plugin = plugins().lambda_on_success.to_str().unwrap().to_owned();
    let from_cache = || {
        let args = [
            "inspect",
            "--json",
            "--cache-dir",
            cache.to_str().unwrap(),
            &plugin,
        ];
        let output = run_in(dir.path(), &args, None).unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let info: Value = serde_json::from_slice(&output.stdout).unwrap();
        info["plugin"]["from_cache"].as_bool().unwrap()
    };
    assert!(!from_cache(), "the first load compiles");
    let entries = std::fs::read_dir(&cache)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".cwasm")
        })
        .count();
    // Beside the entry the cache keeps its HMAC key (`hmac-key`).
    assert_eq!(entries, 1, "one compiled file");
    assert!(from_cache(), "the second load comes from the cache");
}

/// `replay --json` of both example plugins over every fixture; returns a lookup by plugin name.
fn replay_summary(dir: &Path) -> impl Fn(&str) -> Value {
    let p = plugins();
    let output = run_in(
        dir,
        &[
            "replay",
            "--json",
            "--plugin",
            p.lambda_on_success.to_str().unwrap(),
            "--plugin",
            p.sns_on_failure.to_str().unwrap(),
            fixtures_dir().to_str().unwrap(),
        ],
        None,
    )
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    move |name: &str| {
        summary
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["plugin"] == name)
            .unwrap_or_else(|| panic!("no summary for {name}"))
            .clone()
    }
}

#[test]
fn replay_prints_a_summary_per_plugin() {
    let dir = TempDir::new("replay");
    let p = plugins();
    let by_name = replay_summary(dir.path());
    let sns = by_name("sns-on-failure");
    assert_eq!(sns["events"], 14);
    assert_eq!(sns["matched"], 2);
    assert_eq!(sns["actions"]["sns"], 2);
    let lambda = by_name("lambda-on-success");
    assert_eq!(lambda["matched"], 1);
    assert_eq!(lambda["actions"]["lambda"], 1);
    assert!(lambda["p99_us"].as_f64().unwrap() >= lambda["p50_us"].as_f64().unwrap());

    let table = run_in(
        dir.path(),
        &[
            "replay",
            "--plugin",
            p.sns_on_failure.to_str().unwrap(),
            fixtures_dir().to_str().unwrap(),
        ],
        None,
    )
    .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("14 events") && text.contains("sns-on-failure"),
        "{text}"
    );
}

#[test]
fn help_is_available_for_every_command() {
    for command in [
        vec!["--help"],
        vec!["eval", "--help"],
        vec!["replay", "--help"],
        vec!["inspect", "--help"],
    ] {
        let output = std::process::Command::new(binary())
            .args(&command)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{command:?}");
        assert!(!output.stdout.is_empty());
    }
    let output = std::process::Command::new(binary())
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn test_pattern_answers_match_no_match_with_the_field_or_invalid() {
    let dir = TempDir::new("test-pattern");
    let failed = fixture("failed-job-run.json");
    let failed = failed.to_str().unwrap();
    let run = |pattern: &str, event: &str| {
        run_in(dir.path(), &["test-pattern", pattern, event], None).unwrap()
    };

    let matched = run(
        r#"{"source":["aws.glue"],"detail":{"state":["FAILED","TIMEOUT"]}}"#,
        failed,
    );
    assert_eq!(matched.status.code(), Some(0), "{}", stderr(&matched));
    assert_eq!(String::from_utf8_lossy(&matched.stdout).trim(), "match");

    let missed = run(r#"{"detail":{"state":["SUCCEEDED"]}}"#, failed);
    assert_eq!(missed.status.code(), Some(1));
    let text = String::from_utf8_lossy(&missed.stdout);
    assert!(
        text.contains("detail.state") && text.contains("FAILED"),
        "{text}"
    );

    // The pattern from a file, the event inline.
    let pattern_file = dir.path().join("pattern.json");
    std::fs::write(&pattern_file, r#"{"detail":{"jobName":[{"prefix":"My"}]}}"#).unwrap();
    let inline_event = std::fs::read_to_string(fixture("failed-job-run.json")).unwrap();
    let from_file = run(pattern_file.to_str().unwrap(), &inline_event);
    assert_eq!(from_file.status.code(), Some(0), "{}", stderr(&from_file));

    let invalid = run(r#"{"detail":{"state":[{"wildcard":"a**"}]}}"#, failed);
    assert_eq!(invalid.status.code(), Some(2));
    assert!(
        stderr(&invalid).contains("detail.state[0].wildcard"),
        "{}",
        stderr(&invalid)
    );
    let bad_event = run(r#"{"source":["aws.glue"]}"#, r#"{"id":"1"}"#);
    assert_eq!(bad_event.status.code(), Some(2));
    assert!(
        stderr(&bad_event).contains("detail-type"),
        "{}",
        stderr(&bad_event)
    );
}

#[test]
fn plugins_are_entered_only_for_events_their_patterns_select() {
    let dir = TempDir::new("prefilter");
    let summary = replay_summary(dir.path());
    let evaluated = |name: &str| summary(name)["evaluated"].clone();
    // FAILED and TIMEOUT job state changes (STOPPED only with notify-stopped on, which the
    // plugin's pattern follows); SUCCEEDED alone.
    assert_eq!(evaluated("sns-on-failure"), 2);
    assert_eq!(evaluated("lambda-on-success"), 1);

    // eval still prints a line per (event, plugin): not-selected plugins read as no match.
    let eval = eval(
        dir.path(),
        &[fixture("crawler-started.json").to_str().unwrap()],
        None,
    );
    let lines = json_lines(&eval);
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert_eq!(line["matched"], false);
        assert_eq!(line["reason"], "not selected by its event patterns");
    }
}

#[test]
fn test_fails_a_fixture_the_plugins_patterns_do_not_select_naming_the_field() {
    let dir = TempDir::new("test-patterns");
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir_all(&fixtures).unwrap();
    std::fs::copy(fixture("failed-job-run.json"), fixtures.join("failed.json")).unwrap();
    let cache = dir.path().join("cache");
    let hostile = plugins().hostile.to_str().unwrap();
    let test = |pattern: &str, extra: &[&str]| {
        // The hostile plugin's name follows its mode unless set: keep the name it has without
        // settings, which is how `test` first finds its configuration.
        let mode = "mode=all-actions".to_owned();
        let name = "name=hostile-well-behaved".to_owned();
        let pattern = format!("pattern={pattern}");
        let mut args = vec![
            "test",
            hostile,
            "--fixtures",
            fixtures.to_str().unwrap(),
            "--cache-dir",
            cache.to_str().unwrap(),
            "--set",
            &mode,
            "--set",
            &name,
            "--set",
            &pattern,
        ];
        args.extend_from_slice(extra);
        let output = run_in(dir.path(), &args, None).unwrap();
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code(), report)
    };
    let right = r#"{"source":["aws.glue"],"detail-type":["Glue Job State Change"]}"#;
    let typo = r#"{"source":["aws.glue"],"detail-type":["Glue Job State Chnage"]}"#;

    // Written from the plugin: selected, and matched.
    let (code, report) = test(right, &["--update"]);
    assert_eq!(code, Some(0), "{report}");
    let expected_file = fixtures.join("failed.expected.json");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(&expected_file).unwrap()).unwrap();
    assert_eq!(expected["selected"], true, "{expected}");
    assert_eq!(expected["matched"], true, "{expected}");

    // A typo in the pattern: the decision is the same, but serve would never ask for it.
    let (code, report) = test(typo, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("the plugin's event patterns do not select the event")
            && report.contains("detail-type"),
        "{report}"
    );

    // An expected file from before `selected` is held to the same rule, and otherwise
    // compared without it.
    let mut old = expected.clone();
    old.as_object_mut().unwrap().remove("selected");
    std::fs::write(&expected_file, old.to_string()).unwrap();
    let (code, report) = test(right, &[]);
    assert_eq!(code, Some(0), "{report}");
    let (code, report) = test(typo, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("detail-type"), "{report}");
}

#[test]
fn eval_explain_gives_each_patterns_verdict_and_the_plugins_log_lines() {
    let dir = TempDir::new("eval-explain");
    let output = eval(
        dir.path(),
        &[
            "--explain",
            fixture("successful-job-run.json").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    let lambda = lines_for(&lines, "lambda-on-success")[0];
    assert_eq!(lambda["explain"]["selected"], true, "{lambda}");
    assert_eq!(lambda["explain"]["patterns"], json!(["match"]));
    assert_eq!(lambda["explain"]["logs"][0]["stream"], "log", "{lambda}");
    let sns = lines_for(&lines, "sns-on-failure")[0];
    assert_eq!(sns["reason"], "not selected by its event patterns");
    assert_eq!(sns["explain"]["selected"], false, "{sns}");
    let why = sns["explain"]["patterns"][0].as_str().unwrap();
    assert!(why.starts_with("no match: `detail.state`"), "{why}");
}

#[test]
fn bench_prints_its_timings_fuel_memory_and_suggested_limits() {
    let dir = TempDir::new("bench");
    let cache = dir.path().join("cache");
    let output = run_in(
        dir.path(),
        &[
            "bench",
            plugins().sns_on_failure.to_str().unwrap(),
            "--events",
            fixtures_dir().to_str().unwrap(),
            "--iterations",
            "20",
            "--warmup",
            "5",
            "--cache-dir",
            cache.to_str().unwrap(),
        ],
        None,
    )
    .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    for row in [
        "evaluate (reused instance)",
        "evaluate (fresh instance)",
        "describe (fresh instance)",
        "fuel per evaluation: max ",
        "linear memory after evaluating: ",
        "suggested limits ([plugins.sns-on-failure.limits]):",
        "  timeout-ms = ",
        "  memory-mib = ",
        "  fuel = ",
    ] {
        assert!(out.contains(row), "no {row:?} in:\n{out}");
    }
    // The fuel is counted, not guessed: a real rule burns thousands of units an event.
    let fuel: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("fuel per evaluation: max "))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(fuel > 1000, "{out}");
}

/// `glue-rules event --typed`: the typed view of every AWS documentation fixture, as the
/// WIT-value JSON the other languages' test helpers read; a detail the view cannot hold falls
/// back to `other` (with the reason in the default mode); a bad event names its file and line.
#[test]
fn event_prints_the_typed_view_plugins_receive() {
    let dir = TempDir::new("event");
    let mut files: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    let untyped = dir.path().join("untyped.ndjson");
    std::fs::write(
        &untyped,
        "{\"id\":\"u1\",\"source\":\"aws.glue\",\"detail-type\":\"Glue Job State Change\",\
         \"detail\":{\"jobName\":\"j\",\"state\":\"FAILED\"}}\n",
    )
    .unwrap();
    let mut args = vec!["event", "--typed"];
    args.extend(files.iter().map(String::as_str));
    args.push(untyped.to_str().unwrap());
    let output = run_in(dir.path(), &args, None).unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), files.len() + 1);
    let by_id = |id: &str, detail_type: &str| -> &Value {
        lines
            .iter()
            .find(|l| l["id"] == id && l["detail-type"] == detail_type)
            .unwrap_or_else(|| panic!("no {detail_type} event {id} in {lines:?}"))
    };

    let failed = by_id(
        "abcdef01-1234-5678-9abc-def012345678",
        "Glue Job State Change",
    );
    assert_eq!(failed["source"], "aws.glue");
    assert_eq!(failed["resources"], json!([]));
    let job = &failed["detail"];
    assert_eq!(job["tag"], "job-state-change");
    assert_eq!(job["val"]["job-name"], "MyJob");
    assert_eq!(job["val"]["state"], json!({"tag": "failed"}));
    assert_eq!(job["val"]["severity"], json!({"tag": "error"}));
    assert!(
        job["val"]["job-run-id"]
            .as_str()
            .unwrap()
            .starts_with("jr_0123")
    );

    // Glue sends the crawler's counters as strings: the typed view has numbers.
    let crawler = &by_id(
        "3d675db5-59b9-6388-b8e8-e0a9b6d567a9",
        "Glue Crawler State Change",
    )["detail"];
    assert_eq!(crawler["tag"], "crawler-state-change");
    assert_eq!(crawler["val"]["state"], json!({"tag": "succeeded"}));
    assert_eq!(crawler["val"]["tables-created"], json!(0));
    assert_eq!(crawler["val"]["running-time-sec"], json!(7.0));
    assert_eq!(crawler["val"]["start-time"], Value::Null);

    let other = by_id("u1", "Glue Job State Change");
    assert_eq!(other["detail"], json!({"tag": "other"}));
    assert_eq!(other["version"], "0");
    assert_eq!(other["account"], "");

    // Without --typed: where each event came from, and why a detail is `other`.
    let output = run_in(dir.path(), &["event", untyped.to_str().unwrap()], None).unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let [line] = json_lines(&output).try_into().expect("one line");
    assert_eq!(line["file"], untyped.to_str().unwrap());
    assert_eq!(line["line"], 1);
    assert_eq!(line["event"]["detail"], json!({"tag": "other"}));
    assert_eq!(line["detail-problem"], "missing field `detail.jobRunId`");

    // A bad event: the good ones are printed, the bad one named by file and line, exit 2.
    let bad = dir.path().join("bad.ndjson");
    let good = std::fs::read_to_string(&untyped).unwrap();
    std::fs::write(&bad, format!("{good}{{\"id\":\"x\",\"detail\":{{}}}}\n")).unwrap();
    let output = run_in(
        dir.path(),
        &["event", "--typed", bad.to_str().unwrap()],
        None,
    )
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(json_lines(&output).len(), 1);
    let err = stderr(&output);
    assert!(
        err.contains("bad.ndjson: event #2 (line 2): missing field `detail-type`"),
        "{err}"
    );
}
