//! The golden 0.1.0 components: the example rules as they were built against
//! `glue:rules@0.1.0` (`tests/golden/0.1.0/*.wasm`, checked in, never rebuilt) must load in
//! this host and decide byte for byte as they did when they were recorded, on every fixture in
//! `examples/events/aws-docs`.
//!
//! Two records are compared:
//!
//! - `eval.ndjson`: what `glue-rules eval` printed for both components on the fixture
//!   directory with the sample settings (`tests/golden/0.1.0/glue-rules.toml`), recorded with
//!   the 0.1-only host. It goes through the pattern pre-filter, exactly like the CLI.
//! - `direct.ndjson`: every component on every fixture under several settings (defaults,
//!   everything configured, a filter that excludes, a malformed value), called directly so
//!   that patterns do not hide any decision, errors included. Recorded with the 0.1-only host
//!   by running this test with `GLUE_RULES_BLESS=1`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use glue_rules_runtime::config::{PluginEntry, RuntimeConfig};
use glue_rules_runtime::engine::evaluate_event;
use glue_rules_runtime::event::{Event, MAX_EVENT_BYTES};
use glue_rules_runtime::plugin::{Plugin, PluginSettings};
use glue_rules_runtime::registry::{PluginSources, load_plugins};
use glue_rules_runtime::runtime::{Runtime, RuntimeOptions};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn golden() -> PathBuf {
    repo().join("tests/golden/0.1.0")
}

const COMPONENTS: [(&str, &str); 2] = [
    ("lambda-on-success", "lambda_on_success.wasm"),
    ("sns-on-failure", "sns_on_failure.wasm"),
];

/// Settings as (key, value) pairs.
type Pairs = &'static [(&'static str, &'static str)];

/// The settings each component is run under in `direct.ndjson`: (label, plugin, settings).
const SETTINGS: &[(&str, &str, Pairs)] = &[
    ("defaults", "lambda-on-success", &[]),
    (
        "configured",
        "lambda-on-success",
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
        "filtered-out",
        "lambda-on-success",
        &[("job-name", "nightly-*")],
    ),
    (
        "malformed",
        "lambda-on-success",
        &[("invocation-type", "sometimes")],
    ),
    ("sample", "sns-on-failure", &[("notify-stopped", "false")]),
    (
        "configured",
        "sns-on-failure",
        &[
            ("topic-arn", "arn:aws:sns:us-west-2:123456789012:etl-alerts"),
            ("notify-stopped", "true"),
            ("job-name", "My?ob"),
        ],
    ),
    (
        "filtered-out",
        "sns-on-failure",
        &[("job-name", "nightly-*")],
    ),
    (
        "malformed",
        "sns-on-failure",
        &[("notify-stopped", "maybe")],
    ),
];

fn fixtures() -> Vec<PathBuf> {
    let dir = repo().join("examples/events/aws-docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "too few fixtures in {}", dir.display());
    files
}

fn event(path: &Path) -> Event {
    Event::parse(&std::fs::read(path).unwrap(), MAX_EVENT_BYTES)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn runtime() -> Runtime {
    Runtime::new(RuntimeOptions::default()).expect("runtime")
}

/// Compares `actual` with the recorded file line by line, or records it under
/// `GLUE_RULES_BLESS=1` when `blessable`.
fn check(name: &str, actual: &str, blessable: bool) {
    let path = golden().join(name);
    if blessable && std::env::var_os("GLUE_RULES_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (record it with GLUE_RULES_BLESS=1)",
            path.display()
        )
    });
    let (expected_lines, actual_lines): (Vec<_>, Vec<_>) =
        (expected.lines().collect(), actual.lines().collect());
    for (i, (e, a)) in expected_lines.iter().zip(&actual_lines).enumerate() {
        assert_eq!(a, e, "{name}: line {} differs", i + 1);
    }
    assert_eq!(
        actual_lines.len(),
        expected_lines.len(),
        "{name}: number of lines differs"
    );
    assert_eq!(actual, expected, "{name}: bytes differ");
}

#[test]
fn golden_components_decide_as_recorded_through_the_engine() {
    let runtime = runtime();
    let mut config = RuntimeConfig::builtin();
    let mut settings = config.defaults.clone();
    settings
        .config
        .insert("notify-stopped".into(), "false".into());
    config.plugins.insert(
        "sns-on-failure".into(),
        PluginEntry {
            path: None,
            enabled: true,
            settings,
        },
    );
    // The order `glue-rules eval --plugin sns_on_failure.wasm --plugin lambda_on_success.wasm`
    // loaded them in when the record was made.
    let sources = PluginSources {
        files: ["sns_on_failure.wasm", "lambda_on_success.wasm"]
            .iter()
            .map(|f| golden().join(f))
            .collect(),
        dir: None,
    };
    let set = load_plugins(&runtime, &config, &sources).expect("the golden components load");
    let mut out = String::new();
    for path in fixtures() {
        let event = event(&path);
        let outcome = evaluate_event(&set, &event);
        for record in outcome.records_for(&set) {
            out.push_str(&serde_json::to_string(&record).unwrap());
            out.push('\n');
        }
    }
    check("eval.ndjson", &out, false);
}

#[test]
fn golden_components_decide_as_recorded_on_every_fixture_and_setting() {
    let runtime = runtime();
    let fixtures = fixtures();
    let mut out = String::new();
    for (label, name, values) in SETTINGS {
        let file = COMPONENTS.iter().find(|(n, _)| n == name).unwrap().1;
        let mut settings = PluginSettings::new();
        settings.config = values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>();
        let plugin = Arc::new(
            Plugin::load(&runtime, &golden().join(file), settings)
                .unwrap_or_else(|e| panic!("{file}: {e}")),
        );
        assert_eq!(plugin.name(), *name);
        for path in &fixtures {
            let fixture = path.file_name().unwrap().to_string_lossy();
            let result = match plugin.evaluate(&event(path)) {
                Ok(decision) => serde_json::json!({ "decision": decision }),
                Err(e) => serde_json::json!({ "error": { "kind": e.kind, "message": e.message } }),
            };
            let line = serde_json::json!({
                "plugin": name,
                "settings": label,
                "fixture": fixture,
                "result": result,
            });
            out.push_str(&serde_json::to_string(&line).unwrap());
            out.push('\n');
        }
    }
    check("direct.ndjson", &out, true);
}

#[test]
fn golden_components_describe_themselves_as_recorded() {
    let runtime = runtime();
    let mut out = String::new();
    for (_, file) in COMPONENTS {
        let plugin = Plugin::load(&runtime, &golden().join(file), PluginSettings::new())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let info = plugin.info();
        let line = serde_json::json!({
            "name": info.name,
            "version": info.version,
            "description": info.description,
            "patterns": info.patterns,
            "sha256": info.sha256,
        });
        out.push_str(&serde_json::to_string(&line).unwrap());
        out.push('\n');
    }
    check("describe.ndjson", &out, true);
}
