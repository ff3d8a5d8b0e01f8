//! The two contracts side by side: what the host does with a glue:rules@0.1.0, a 0.2.0 and a
//! 0.3.0 component; settings declared by 0.2 plugins checked at load; the event's JSON through
//! the host functions of 0.2; lenient typed details.
//!
//! Builds the example and hostile plugins for wasm32-wasip2 (a no-op when they are current)
//! and uses the golden 0.1.0 components in tests/golden/0.1.0.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use glue_rules_runtime::config::{PluginEntry, RuntimeConfig};
use glue_rules_runtime::contract::{Contract, SettingKind};
use glue_rules_runtime::engine::evaluate_event;
use glue_rules_runtime::event::{Event, MAX_EVENT_BYTES};
use glue_rules_runtime::plugin::{ErrorKind, LoadError, Plugin, PluginSettings};
use glue_rules_runtime::registry::{PluginSources, load_plugins};
use glue_rules_runtime::runtime::{Runtime, RuntimeOptions};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Built {
    lambda: PathBuf,
    sns: PathBuf,
    hostile: PathBuf,
}

/// The current builds of the guests (0.2), built once per test process.
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let output = std::process::Command::new(env!("CARGO"))
            .current_dir(repo())
            .args([
                "build",
                "--target",
                "wasm32-wasip2",
                "--profile",
                "guest",
                "--message-format=json",
                "-p",
                "lambda-on-success",
                "-p",
                "sns-on-failure",
                "-p",
                "hostile-plugin",
            ])
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(output.status.success(), "building the guests failed");
        let mut found = BTreeMap::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            for file in message["filenames"].as_array().into_iter().flatten() {
                let path = PathBuf::from(file.as_str().unwrap_or_default());
                if path.extension().is_some_and(|e| e == "wasm") {
                    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                    found.insert(stem, path);
                }
            }
        }
        let take = |stem: &str| {
            found
                .get(stem)
                .unwrap_or_else(|| panic!("cargo built no {stem}.wasm"))
                .clone()
        };
        Built {
            lambda: take("lambda_on_success"),
            sns: take("sns_on_failure"),
            hostile: take("hostile_plugin"),
        }
    })
}

fn golden(file: &str) -> PathBuf {
    repo().join("tests/golden/0.1.0").join(file)
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new(RuntimeOptions::default()).expect("runtime"))
}

fn settings(pairs: &[(&str, &str)]) -> PluginSettings {
    let mut settings = PluginSettings::new();
    settings.config = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    settings
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(repo().join("examples/events/aws-docs").join(name)).unwrap()
}

fn event(text: &str) -> Event {
    Event::parse(text.as_bytes(), MAX_EVENT_BYTES).unwrap()
}

fn fixtures() -> Vec<(String, Event)> {
    let dir = repo().join("examples/events/aws-docs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let e = event(&fixture_text(&n));
            (n, e)
        })
        .collect()
}

#[test]
fn the_contract_is_read_from_the_exports() {
    for file in ["lambda_on_success.wasm", "sns_on_failure.wasm"] {
        let plugin = Plugin::load(runtime(), &golden(file), PluginSettings::new()).unwrap();
        assert_eq!(plugin.contract(), Contract::V0_1, "{file}");
        assert!(plugin.info().settings.is_empty());
    }
    for path in [&built().lambda, &built().sns, &built().hostile] {
        let plugin = Plugin::load(runtime(), path, PluginSettings::new()).unwrap();
        assert_eq!(plugin.contract(), Contract::V0_2, "{}", path.display());
    }
    let sns = Plugin::load(runtime(), &built().sns, PluginSettings::new()).unwrap();
    let info = serde_json::to_value(sns.info()).unwrap();
    assert_eq!(info["contract"], "0.2.0");
    assert_eq!(info["settings"][1]["name"], "notify-stopped");
    assert_eq!(info["settings"][1]["kind"], "bool");
    assert_eq!(info["settings"][1]["default"], "false");
}

/// `bytes` with every occurrence of `from` replaced by `to` (of the same length).
fn patched(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let mut replaced = 0;
    let mut i = 0;
    while let Some(at) = out[i..]
        .windows(from.len())
        .position(|w| w == from.as_bytes())
    {
        out[i + at..i + at + from.len()].copy_from_slice(to.as_bytes());
        i += at + from.len();
        replaced += 1;
    }
    assert!(replaced > 0, "{from} not found");
    out
}

#[test]
fn a_component_of_a_future_contract_is_refused_naming_the_versions_served() {
    let bytes = std::fs::read(&built().sns).unwrap();
    let future = patched(
        &bytes,
        "glue:rules/handler@0.2.0",
        "glue:rules/handler@0.3.0",
    );
    let err = Plugin::from_bytes(
        runtime(),
        Path::new("future.wasm"),
        &future,
        PluginSettings::new(),
    )
    .unwrap_err();
    assert!(
        matches!(err, LoadError::UnsupportedContract { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "future.wasm: it implements glue:rules@0.3.0 (it exports glue:rules/handler@0.3.0), \
         which this host does not serve: it serves glue:rules@0.2.0 and glue:rules@0.1.0"
    );
    // A later 0.2 patch version only adds functions: its handler is served as 0.2.
    let patch = patched(
        &bytes,
        "glue:rules/handler@0.2.0",
        "glue:rules/handler@0.2.9",
    );
    let plugin = Plugin::from_bytes(
        runtime(),
        Path::new("patch.wasm"),
        &patch,
        PluginSettings::new(),
    )
    .unwrap();
    assert_eq!(plugin.contract(), Contract::V0_2);
    // Not a rule at all: say what is missing.
    let neither = patched(
        &bytes,
        "glue:rules/handler@0.2.0",
        "acme:other/handler@0.2.0",
    );
    let err = Plugin::from_bytes(
        runtime(),
        Path::new("neither.wasm"),
        &neither,
        PluginSettings::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("does not implement a glue:rules contract this host serves")
            && err.contains("missing exports describe, evaluate"),
        "{err}"
    );
}

/// Settings as (key, value) pairs.
type Pairs = &'static [(&'static str, &'static str)];

/// The settings the golden record uses, as (plugin, label, settings).
const SETTINGS: &[(&str, &str, Pairs)] = &[
    ("lambda-on-success", "defaults", &[]),
    (
        "lambda-on-success",
        "configured",
        &[
            (
                "function-name",
                "arn:aws:lambda:us-west-2:123456789012:function:etl-done:live",
            ),
            ("invocation-type", "request-response"),
            ("job-name", "My*"),
        ],
    ),
    (
        "lambda-on-success",
        "filtered-out",
        &[("job-name", "nightly-*")],
    ),
    ("sns-on-failure", "sample", &[("notify-stopped", "false")]),
    (
        "sns-on-failure",
        "configured",
        &[
            ("topic-arn", "arn:aws:sns:us-west-2:123456789012:etl-alerts"),
            ("notify-stopped", "true"),
            ("job-name", "My?ob"),
        ],
    ),
    (
        "sns-on-failure",
        "filtered-out",
        &[("job-name", "nightly-*")],
    ),
];

#[test]
fn the_0_2_builds_decide_as_the_golden_0_1_builds() {
    let fixtures = fixtures();
    for (name, label, pairs) in SETTINGS {
        let (old, new) = match *name {
            "lambda-on-success" => (golden("lambda_on_success.wasm"), &built().lambda),
            _ => (golden("sns_on_failure.wasm"), &built().sns),
        };
        let old = Plugin::load(runtime(), &old, settings(pairs)).unwrap();
        let new = Plugin::load(runtime(), new, settings(pairs)).unwrap();
        for (fixture, event) in &fixtures {
            // Called directly, so that the 0.2 patterns (which now include the configured
            // filters) hide nothing: the rule's own logic is unchanged.
            assert_eq!(
                new.evaluate(event),
                old.evaluate(event),
                "{name} {label} {fixture}"
            );
        }
    }
}

#[test]
fn configured_filters_become_patterns_and_bad_settings_fail_the_load() {
    let sns = Plugin::load(
        runtime(),
        &built().sns,
        settings(&[("job-name", "nightly-*"), ("notify-stopped", "yes")]),
    )
    .unwrap();
    let pattern: serde_json::Value = serde_json::from_str(&sns.info().patterns[0]).unwrap();
    assert_eq!(
        pattern["detail"]["jobName"],
        serde_json::json!([{"prefix": "nightly-"}])
    );
    assert_eq!(
        pattern["detail"]["state"],
        serde_json::json!(["FAILED", "TIMEOUT", "ERROR", "STOPPED"])
    );
    // What the plugin reads: normalised, with the declared default filled in elsewhere.
    assert_eq!(sns.config()["notify-stopped"], "true");
    let defaults = Plugin::load(runtime(), &built().sns, PluginSettings::new()).unwrap();
    assert_eq!(defaults.config()["notify-stopped"], "false");

    // The failed job of the fixtures is not a nightly job: not even entered.
    let set = glue_rules_runtime::registry::PluginSet::new(vec![Arc::new(sns)]).unwrap();
    let outcome = evaluate_event(&set, &event(&fixture_text("failed-job-run.json")));
    assert!(outcome.outcomes.is_empty());

    let err = Plugin::load(
        runtime(),
        &built().sns,
        settings(&[("notify-stopped", "maybe")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.ends_with(
            "plugins.sns-on-failure.config.notify-stopped must be true or false, not \"maybe\""
        ),
        "{err}"
    );
    // A value the declarations cannot check: the plugin's own words.
    let err = Plugin::load(
        runtime(),
        &built().lambda,
        settings(&[("invocation-type", "sometimes")]),
    )
    .unwrap_err();
    assert!(matches!(err, LoadError::Refused { .. }), "{err:?}");
    assert!(err.to_string().contains("invocation-type"), "{err}");
}

#[test]
fn declared_settings_are_checked_at_load_and_reload_and_served_with_defaults() {
    let hostile = &built().hostile;
    let declare = |pairs: &[(&str, &str)]| {
        let mut all = vec![("mode", "declare")];
        all.extend_from_slice(pairs);
        Plugin::load(runtime(), hostile, settings(&all))
    };
    let err = declare(&[]).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "plugins.hostile-declare.config.needed is required (the needed setting) but not set"
        ),
        "{err}"
    );
    let err = declare(&[("needed", "x"), ("count", "several")])
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("plugins.hostile-declare.config.count must be a number, not \"several\""),
        "{err}"
    );
    let plugin = declare(&[("needed", "x"), ("count", " 3 ")]).unwrap();
    let info = plugin.info();
    assert_eq!(info.settings[0].kind, SettingKind::String);
    assert!(info.settings[0].required);
    let decision = plugin
        .evaluate(&event(&fixture_text("failed-job-run.json")))
        .unwrap();
    assert_eq!(
        decision.reason.as_deref(),
        Some(r#"needed=Some("x") count=Some("3") flag=Some("false")"#)
    );

    // Through the reloader, the plugin found in a directory and configured by its name.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(hostile, dir.path().join("hostile.wasm")).unwrap();
    let mut config = RuntimeConfig::builtin();
    config.plugins_dir = Some(dir.path().to_owned());
    // The name it gives itself without settings is hostile-well-behaved; the entry for that
    // name makes it declare, and then lacks the required setting.
    let mut entry = PluginSettings::new();
    entry.config.insert("mode".into(), "declare".into());
    entry
        .config
        .insert("name".into(), "hostile-well-behaved".into());
    config.plugins.insert(
        "hostile-well-behaved".into(),
        PluginEntry {
            path: None,
            enabled: true,
            settings: entry.clone(),
        },
    );
    let err = load_plugins(runtime(), &config, &PluginSources::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("plugins.hostile-well-behaved.config.needed is required"),
        "{err}"
    );
    entry.config.insert("needed".into(), "y".into());
    config
        .plugins
        .get_mut("hostile-well-behaved")
        .unwrap()
        .settings = entry;
    let set = load_plugins(runtime(), &config, &PluginSources::default()).unwrap();
    assert_eq!(set.plugins()[0].config()["needed"], "y");
    assert_eq!(set.plugins()[0].info().settings.len(), 4);
}

#[test]
fn a_plugin_that_refuses_its_settings_is_refused_with_its_words() {
    let err = Plugin::load(
        runtime(),
        &built().hostile,
        settings(&[("mode", "describe-refuse")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.ends_with("refused its settings: refusing settings mode"),
        "{err}"
    );
}

#[test]
fn detail_json_and_event_json_answer_for_the_event_in_progress() {
    let text = fixture_text("failed-job-run.json");
    let failed = event(&text);
    let reason = |mode: &str, event: &Event| {
        let plugin =
            Plugin::load(runtime(), &built().hostile, settings(&[("mode", mode)])).unwrap();
        plugin.evaluate(event).unwrap().reason.unwrap()
    };
    let detail: serde_json::Value = serde_json::from_str(&reason("detail-json", &failed)).unwrap();
    let whole: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(detail, whole["detail"]);
    let envelope: serde_json::Value = serde_json::from_str(&reason("event-json", &failed)).unwrap();
    assert_eq!(envelope, whole);
    // One instance, two events: each call sees its own.
    let plugin = Plugin::load(
        runtime(),
        &built().hostile,
        settings(&[("mode", "detail-json")]),
    )
    .unwrap();
    let other = event(&fixture_text("crawler-started.json"));
    for e in [&failed, &other, &failed] {
        assert_eq!(plugin.evaluate(e).unwrap().reason.unwrap(), e.detail_json());
    }
}

#[test]
fn copying_a_large_detail_again_and_again_ends_at_the_deadline() {
    let mut value: serde_json::Value =
        serde_json::from_str(&fixture_text("failed-job-run.json")).unwrap();
    value["detail"]["pad"] = serde_json::Value::from("x".repeat(64 * 1024));
    let big = event(&value.to_string());
    let plugin = Plugin::load(
        runtime(),
        &built().hostile,
        settings(&[("mode", "json-flood"), ("count", "1000000")]),
    )
    .unwrap();
    let started = Instant::now();
    let err = plugin.evaluate(&big).unwrap_err();
    // Its CPU budget spent, or (on a machine too busy to give it one) the wall-clock backstop.
    assert!(
        matches!(err.kind, ErrorKind::Timeout | ErrorKind::HostOverloaded),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // A reasonable number of calls is fine.
    let plugin = Plugin::load(
        runtime(),
        &built().hostile,
        settings(&[("mode", "json-flood"), ("count", "3")]),
    )
    .unwrap();
    let reason = plugin.evaluate(&big).unwrap().reason.unwrap();
    assert!(reason.starts_with("3 calls, "), "{reason}");
}

#[test]
fn an_event_whose_typed_detail_fails_is_delivered_to_both_contracts() {
    let text = fixture_text("failed-job-run.json").replace("\"jobRunId\"", "\"jobRunID\"");
    let lenient = event(&text);
    assert!(lenient.detail_problem().is_some());
    let old = Arc::new(
        Plugin::load(
            runtime(),
            &golden("sns_on_failure.wasm"),
            PluginSettings::new(),
        )
        .unwrap(),
    );
    let new = Arc::new(Plugin::load(runtime(), &built().sns, PluginSettings::new()).unwrap());
    for plugin in [old, new] {
        let set = glue_rules_runtime::registry::PluginSet::new(vec![plugin]).unwrap();
        let outcome = evaluate_event(&set, &lenient);
        // The pattern selects it (it reads the JSON), and the rule sees `other`.
        assert_eq!(outcome.outcomes.len(), 1);
        let o = &outcome.outcomes[0];
        let decision = o.result.as_ref().unwrap();
        assert!(!decision.matched);
        assert_eq!(
            decision.reason.as_deref(),
            Some("detail-type \"Glue Job State Change\" is not Glue Job State Change")
        );
    }
}
