//! `glue-rules test`: a plugin against a directory of events, each beside the decision it must
//! produce, with a readable diff on a mismatch and exit codes for CI (the plugin author's
//! counterpart of `opa test`).
//!
//! In the fixtures directory every `*.json` file except `*.expected.json` holds one event (or
//! several, as a JSON array or NDJSON); `NAME.expected.json` beside `NAME.json` holds what the
//! plugin must decide: `{"matched": .., "reason": .., "actions": [..]}`, or for a failure
//! `{"errorKind": .., "error": ..}`, and an array of those when the file holds several events.
//! Files are compared as JSON values, so their formatting and key order do not matter.
//! `--update` (re)writes the expected files from what the plugin decides now.
//!
//! Every event is evaluated whether the plugin's event patterns select it or not, and the
//! expected file records whether they do (`"selected"`): `serve` never calls a plugin for an
//! event its patterns do not select, so a fixture that expects a matched decision fails when
//! they do not, with each pattern's own explanation (the field that failed). An expected file
//! written before `"selected"` existed is held to that rule too, and otherwise compared
//! without it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use glue_rules::config::Config;
use glue_rules::core::Action;
use glue_rules::runtime::event::Event;
use glue_rules::runtime::input::parse_document;
use glue_rules::runtime::plugin::{ErrorKind, EvalError, Plugin};
use serde::Serialize;
use serde_json::Value;

use super::exit;

/// Suffix of the file holding an event file's expected decision.
const EXPECTED_SUFFIX: &str = ".expected.json";

#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// The plugin component to test.
    #[arg(value_name = "PLUGIN.wasm")]
    plugin: PathBuf,
    /// Directory of `*.json` events, each beside its expected decision `*.expected.json`.
    #[arg(long, value_name = "DIR", default_value = "fixtures")]
    fixtures: PathBuf,
    /// Write every expected file from what the plugin decides now, instead of comparing.
    #[arg(long)]
    update: bool,
    /// Configuration with the plugin's settings (`[plugins.NAME.config]`) and limits; defaults
    /// to ./glue-rules.toml when present.
    #[arg(long, value_name = "FILE", env = "GLUE_RULES_CONFIG")]
    config: Option<PathBuf>,
    /// A plugin setting, over the configuration's (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    /// Directory for compiled components [default: the user cache directory].
    #[arg(long, value_name = "DIR", env = "GLUE_RULES_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile the component afresh instead of using the cache.
    #[arg(long)]
    no_cache: bool,
}

/// One evaluation, as an expected file holds it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Outcome<'a> {
    /// Whether the plugin's patterns select the event (whether `serve` would call it).
    selected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    matched: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions: Option<&'a [Action]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl<'a> Outcome<'a> {
    fn new(result: &'a Result<glue_rules::core::Decision, EvalError>, selected: bool) -> Self {
        match result {
            Ok(decision) => Outcome {
                selected,
                matched: Some(decision.matched),
                reason: decision.reason.as_deref(),
                actions: Some(&decision.actions),
                error_kind: None,
                error: None,
            },
            Err(e) => Outcome {
                selected,
                matched: None,
                reason: None,
                actions: None,
                error_kind: Some(e.kind.as_str()),
                // A trap's message carries code offsets that change with every build; the
                // other kinds' messages are the plugin's own words or the host's fixed ones.
                error: match e.kind {
                    ErrorKind::Trap
                    | ErrorKind::StackOverflow
                    | ErrorKind::Memory
                    | ErrorKind::Instantiate => None,
                    _ => Some(e.message.as_str()),
                },
            },
        }
    }
}

/// How the run went, for the summary and the exit code.
#[derive(Debug, Default)]
struct Tally {
    passed: usize,
    failed: usize,
    updated: usize,
    bad_fixtures: usize,
    evaluations: Vec<Duration>,
}

pub(crate) fn run(args: TestArgs) -> anyhow::Result<u8> {
    if !args.fixtures.is_dir() {
        eprintln!(
            "error: {}: not a directory of fixtures",
            args.fixtures.display()
        );
        return Ok(exit::BAD_INPUT);
    }
    let overrides = match super::parse_settings(&args.settings) {
        Ok(overrides) => overrides,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::BAD_INPUT);
        }
    };
    let fixtures = event_files(&args.fixtures)?;
    if fixtures.is_empty() {
        eprintln!(
            "error: {}: no *.json events (expected files end in {EXPECTED_SUFFIX})",
            args.fixtures.display()
        );
        return Ok(exit::BAD_INPUT);
    }

    let config = Config::discover(args.config.as_deref())?;
    let runtime = glue_rules::runtime_for(&config.runtime, args.cache_dir.clone(), args.no_cache)?;
    let started = Instant::now();
    // Its settings are those of the entry named like the plugin, known after `describe`.
    let plugin = match super::load_configured(&runtime, &config, &args.plugin, overrides) {
        Ok(plugin) => plugin,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::BAD_INPUT);
        }
    };
    let info = plugin.info();
    println!(
        "{} {} ({}): loaded in {:.2} s {}",
        info.name,
        info.version,
        args.plugin.display(),
        started.elapsed().as_secs_f64(),
        if info.from_cache {
            "from the compile cache"
        } else {
            "(compiled)"
        }
    );

    let mut tally = Tally::default();
    for file in &fixtures {
        check_fixture(
            &plugin,
            file,
            config.runtime.max_event_bytes,
            args.update,
            &mut tally,
        );
    }
    print_timing(&tally.evaluations);
    if args.update {
        println!("{} expected file(s) written", tally.updated);
    }
    println!("{} passed, {} failed", tally.passed, tally.failed);
    Ok(if tally.bad_fixtures > 0 {
        exit::BAD_INPUT
    } else if tally.failed > 0 {
        exit::PLUGIN_FAILED
    } else {
        exit::OK
    })
}

/// The event files in `dir`, sorted: `*.json` but not `*.expected.json`.
fn event_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_file()
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|name| name.ends_with(".json") && !name.ends_with(EXPECTED_SUFFIX))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// `dir/NAME.expected.json` for `dir/NAME.json`.
fn expected_path(event_file: &Path) -> PathBuf {
    let name = event_file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = name.strip_suffix(".json").unwrap_or(name);
    event_file.with_file_name(format!("{stem}{EXPECTED_SUFFIX}"))
}

/// The events of one fixture file, or a report of why it is unusable.
fn read_events(file: &Path, max_event_bytes: usize) -> Result<Vec<Event>, String> {
    let text = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
    let (items, document_error) = parse_document(&text, max_event_bytes);
    if let Some(e) = document_error {
        return Err(e.to_string());
    }
    let mut events = Vec::new();
    for item in items {
        match item.event {
            Ok(event) => events.push(event),
            Err(e) => return Err(format!("{}: {e}", item.position)),
        }
    }
    if events.is_empty() {
        return Err("holds no event".into());
    }
    Ok(events)
}

fn check_fixture(
    plugin: &Plugin,
    file: &Path,
    max_event_bytes: usize,
    update: bool,
    tally: &mut Tally,
) {
    let label = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let events = match read_events(file, max_event_bytes) {
        Ok(events) => events,
        Err(problem) => {
            eprintln!("error: {}: {problem}", file.display());
            println!("BAD  {label}: {problem}");
            tally.bad_fixtures += 1;
            return;
        }
    };
    let results: Vec<_> = events
        .iter()
        .map(|event| {
            let started = Instant::now();
            let result = plugin.evaluate(event);
            tally.evaluations.push(started.elapsed());
            result
        })
        .collect();
    let selections: Vec<Result<(), String>> = events.iter().map(|e| selection(plugin, e)).collect();
    let outcomes: Vec<Outcome<'_>> = results
        .iter()
        .zip(&selections)
        .map(|(result, selection)| Outcome::new(result, selection.is_ok()))
        .collect();
    let serialized = if outcomes.len() == 1 {
        serde_json::to_string_pretty(&outcomes[0])
    } else {
        serde_json::to_string_pretty(&outcomes)
    };
    let actual_text = match serialized {
        Ok(text) => text + "\n",
        Err(e) => {
            println!("FAIL {label}: cannot serialise the decision: {e}");
            tally.failed += 1;
            return;
        }
    };
    let expected_file = expected_path(file);
    if update {
        let unchanged = std::fs::read_to_string(&expected_file).is_ok_and(|old| old == actual_text);
        if unchanged {
            println!("ok   {label} (unchanged)");
        } else if let Err(e) = std::fs::write(&expected_file, &actual_text) {
            eprintln!("error: {}: cannot write: {e}", expected_file.display());
            tally.bad_fixtures += 1;
            return;
        } else {
            println!("ok   {label} (wrote {})", expected_file.display());
            tally.updated += 1;
        }
        tally.passed += 1;
        return;
    }
    let expected_text = match std::fs::read_to_string(&expected_file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!(
                "FAIL {label}: no {} (run with --update to write it from the plugin's decision)",
                expected_file.display()
            );
            print_block("the plugin decided", &actual_text);
            tally.failed += 1;
            return;
        }
        Err(e) => {
            println!("FAIL {label}: cannot read {}: {e}", expected_file.display());
            tally.failed += 1;
            return;
        }
    };
    let expected: Value = match serde_json::from_str(&expected_text) {
        Ok(value) => value,
        Err(e) => {
            println!("FAIL {label}: {} is not JSON: {e}", expected_file.display());
            tally.failed += 1;
            return;
        }
    };
    let mut actual: Value = serde_json::from_str(&actual_text).unwrap_or(Value::Null);
    // A decision is expected but `serve` would never ask for it.
    let unselected: Vec<String> = as_list(&expected)
        .iter()
        .zip(&selections)
        .enumerate()
        .filter(|(_, (want, _))| want.get("matched") == Some(&Value::Bool(true)))
        .filter_map(|(i, (_, selection))| selection.as_ref().err().map(|why| (i, why)))
        .map(|(i, why)| {
            if selections.len() == 1 {
                why.clone()
            } else {
                format!("event {}: {why}", i + 1)
            }
        })
        .collect();
    if !unselected.is_empty() {
        println!(
            "FAIL {label}: {} expects a matched decision, but the plugin's event patterns do \
             not select the event, so `serve` never calls the plugin for it",
            expected_file.display()
        );
        for why in &unselected {
            println!("     {why}");
        }
        tally.failed += 1;
        return;
    }
    // Expected files from before `selected` are compared without it.
    for (want, got) in as_list(&expected).iter().zip(as_list_mut(&mut actual)) {
        if want.get("selected").is_none()
            && let Some(object) = got.as_object_mut()
        {
            object.remove("selected");
        }
    }
    if expected == actual {
        println!("ok   {label}");
        tally.passed += 1;
    } else {
        println!(
            "FAIL {label}: the decision differs from {}",
            expected_file.display()
        );
        println!("     --- expected  +++ actual");
        for line in diff(&canonical(&expected), &canonical(&actual)) {
            println!("     {line}");
        }
        tally.failed += 1;
    }
}

/// Whether `plugin`'s event patterns select `event` (a plugin without patterns is entered for
/// every event), or why not: each pattern's explanation, its first failing field.
fn selection(plugin: &Plugin, event: &Event) -> Result<(), String> {
    let patterns = plugin.patterns();
    if patterns.is_empty() {
        return Ok(());
    }
    let mut reasons = Vec::with_capacity(patterns.len());
    for (i, pattern) in patterns.iter().enumerate() {
        let explanation = pattern.explain(event.document());
        if explanation.is_match() {
            return Ok(());
        }
        reasons.push(if patterns.len() == 1 {
            format!("its pattern: {explanation}")
        } else {
            format!("pattern {}: {explanation}", i + 1)
        });
    }
    Err(reasons.join("; "))
}

/// The outcomes of an expected or actual file: one, or an array of them.
fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn as_list_mut(value: &mut Value) -> Vec<&mut Value> {
    match value {
        Value::Array(items) => items.iter_mut().collect(),
        other => vec![other],
    }
}

/// Pretty JSON with object keys sorted, so that two values differ only where they differ.
fn canonical(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn print_block(title: &str, text: &str) {
    println!("     {title}:");
    for line in text.lines() {
        println!("     | {line}");
    }
}

/// A line diff of `old` and `new`: `-` lines only in `old`, `+` lines only in `new`, and up to
/// two lines of context around each change.
fn diff(old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Decisions are small; past this size show both sides whole rather than build the table.
    const MAX_CELLS: usize = 4_000_000;
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        let mut out: Vec<String> = a.iter().map(|l| format!("- {l}")).collect();
        out.extend(b.iter().map(|l| format!("+ {l}")));
        return out;
    }
    // Longest common subsequence lengths of every pair of suffixes.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    const CONTEXT: usize = 2;
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, (op, _))| *op != ' ')
        .map(|(k, _)| k)
        .collect();
    let near = |k: usize| changed.iter().any(|&c| c.abs_diff(k) <= CONTEXT);
    let mut out = Vec::new();
    let mut skipped = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        if near(k) {
            if skipped {
                out.push("  ...".to_owned());
                skipped = false;
            }
            out.push(format!("{op} {line}"));
        } else {
            skipped = true;
        }
    }
    out
}

fn print_timing(evaluations: &[Duration]) {
    let Some((first, rest)) = evaluations.split_first() else {
        return;
    };
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    if rest.is_empty() {
        println!(
            "1 evaluation: {:.0} µs (including starting an instance)",
            micros(*first)
        );
    } else {
        let mean = rest.iter().map(|d| micros(*d)).sum::<f64>() / rest.len() as f64;
        println!(
            "{} evaluations: the first {:.0} µs (including starting an instance), then {:.0} µs on average",
            evaluations.len(),
            micros(*first),
            mean
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_files_sit_beside_their_events() {
        assert_eq!(
            expected_path(Path::new("f/job.json")),
            Path::new("f/job.expected.json")
        );
        assert_eq!(
            expected_path(Path::new("a.b.json")),
            Path::new("a.b.expected.json")
        );
    }

    #[test]
    fn the_diff_shows_changed_lines_with_context() {
        let old =
            "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3,\n  \"d\": 4,\n  \"e\": 5,\n  \"f\": 6\n}";
        let new = old.replace("\"e\": 5", "\"e\": 50");
        let lines = diff(old, &new);
        assert!(lines.contains(&"-   \"e\": 5,".to_owned()), "{lines:?}");
        assert!(lines.contains(&"+   \"e\": 50,".to_owned()), "{lines:?}");
        assert!(
            lines.contains(&"  ...".to_owned()),
            "context is cut: {lines:?}"
        );
        assert!(!lines.iter().any(|l| l.contains("\"a\"")), "{lines:?}");
        assert!(diff(old, old).is_empty());
    }
}
