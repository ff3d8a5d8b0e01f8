//! "Write plugins in any WebAssembly language", tested: the example rules built in JavaScript,
//! TypeScript, Python and C decide exactly what the Rust reference rules decide, byte for byte,
//! on every AWS documentation fixture plus edge cases, with default and custom settings and
//! with settings that must fail. The real `glue-rules eval` binary loads one language at a time.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::languages::{LANGUAGES, compile_cache, language_plugins};
use crate::support::{TempDir, fixtures_dir, json_lines, plugins, run_in};
use serde_json::{Value, json};

/// A Glue Job State Change envelope with the given fields of `detail` and envelope overrides.
fn job_event(id: &str, detail: Value, envelope: Value) -> Value {
    let mut event = json!({
        "version": "0",
        "id": id,
        "detail-type": "Glue Job State Change",
        "source": "aws.glue",
        "account": "123456789012",
        "time": "2024-05-06T07:08:09Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    });
    for (key, value) in envelope.as_object().expect("an object") {
        event[key] = value.clone();
    }
    event
}

/// Events the documentation lacks: awkward text in every field a rule copies, unknown states,
/// other partitions, subjects that need cutting.
fn edge_cases() -> Vec<Value> {
    let long = format!("nightly-{}", "é".repeat(120));
    vec![
        job_event(
            "edge-quotes",
            json!({"jobName": "My \"quoted\" \\ job\nwith\tcontrols\u{1}\u{7f}\u{85}", "jobRunId": "jr_1",
                   "state": "FAILED", "severity": "ERROR", "message": "line 1\nline \"2\"\r\n\u{2028}end"}),
            json!({}),
        ),
        job_event(
            "edge-unicode",
            json!({"jobName": "zürich-😀-ジョブ", "jobRunId": "jr_ü", "state": "SUCCEEDED",
                   "severity": "INFO", "message": "ok"}),
            json!({"account": "", "time": "2024-01-01T00:00:00+01:00"}),
        ),
        job_event(
            "edge-long-name",
            json!({"jobName": long, "jobRunId": "jr_long", "state": "TIMEOUT", "severity": "WARN"}),
            json!({"region": "cn-north-1"}),
        ),
        job_event(
            "edge-no-severity",
            json!({"jobName": "nightly-orders", "jobRunId": "jr_2", "state": "ERROR"}),
            json!({"region": "us-gov-west-1"}),
        ),
        job_event(
            "edge-unknown-state",
            json!({"jobName": "nightly-orders", "jobRunId": "jr_3", "state": "PAUSED",
                   "severity": "NOTICE", "message": "?"}),
            json!({}),
        ),
        job_event(
            "edge-other-severity",
            json!({"jobName": "hourly", "jobRunId": "jr_4", "state": "FAILED",
                   "severity": "CRITICAL", "message": ""}),
            json!({}),
        ),
        job_event(
            "edge-stopped",
            json!({"jobName": "  spaced  ", "jobRunId": "jr_5", "state": "STOPPED", "severity": "INFO"}),
            json!({}),
        ),
        job_event(
            "edge-empty-name",
            json!({"jobName": "", "jobRunId": "", "state": "SUCCEEDED"}),
            json!({}),
        ),
        job_event(
            "edge-not-glue",
            json!({"jobName": "MyJob", "jobRunId": "jr_6", "state": "FAILED"}),
            json!({"source": "custom.app"}),
        ),
        job_event(
            "edge-control-subject",
            json!({"jobName": "\u{1}\u{2}", "jobRunId": "jr_7", "state": "FAILED"}),
            json!({}),
        ),
        json!({"id": "edge-other-detail", "source": "aws.glue", "detail-type": "Glue Something New",
               "detail": {"x": 1}}),
    ]
}

/// The settings each run uses: (label, glue-rules.toml text).
fn configurations() -> Vec<(&'static str, &'static str)> {
    vec![
        ("defaults", ""),
        (
            "custom",
            r#"
            [plugins.sns-on-failure.config]
            topic-arn = " arn:aws:sns:eu-west-1:111122223333:ops "
            notify-stopped = "Yes"
            job-name = "*"
            [plugins.lambda-on-success.config]
            function-name = "arn:aws:lambda:eu-west-1:111122223333:function:on-success"
            invocation-type = "Request_Response"
            job-name = "*-*"
            "#,
        ),
        (
            "filters",
            r#"
            [plugins.sns-on-failure.config]
            notify-stopped = "off"
            job-name = "nightly-?rders"
            [plugins.lambda-on-success.config]
            invocation-type = "event"
            job-name = "zürich*ジョブ"
            "#,
        ),
        (
            "invalid",
            r#"
            [plugins.sns-on-failure.config]
            notify-stopped = "sometimes"
            [plugins.lambda-on-success.config]
            invocation-type = "fire-and-forget"
            "#,
        ),
    ]
}

/// `glue-rules eval` of every input with one rule pair under one configuration.
fn eval(dir: &Path, config: &Path, pair: &[PathBuf; 2], inputs: &[&Path]) -> Output {
    let cache = compile_cache();
    let mut args = vec![
        "eval".to_owned(),
        "--config".to_owned(),
        config.display().to_string(),
        "--cache-dir".to_owned(),
        cache.display().to_string(),
    ];
    for plugin in pair {
        args.push("--plugin".into());
        args.push(plugin.display().to_string());
    }
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_in(dir, &args, None).expect("running glue-rules eval")
}

/// Every event's decision as `glue-rules test --update` writes it: unlike `eval`, `test`
/// evaluates every event whether the rule's patterns select it or not, so every event reaches
/// every rule. Returns the expected files, concatenated in name order.
fn all_decisions(
    dir: &Path,
    label: &str,
    config: &Path,
    plugin: &Path,
    events: &[PathBuf],
) -> String {
    let fixtures = dir.join(label);
    std::fs::create_dir_all(&fixtures).unwrap();
    for event in events {
        std::fs::copy(event, fixtures.join(event.file_name().unwrap())).unwrap();
    }
    let cache = compile_cache();
    let args = [
        "test",
        plugin.to_str().unwrap(),
        "--fixtures",
        fixtures.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
        "--update",
    ];
    let output = run_in(dir, &args, None).expect("running glue-rules test");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{label}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), events.len(), "{label}");
    files
        .iter()
        .map(|f| {
            format!(
                "== {}\n{}",
                f.file_name().unwrap().to_string_lossy(),
                std::fs::read_to_string(f).unwrap()
            )
        })
        .collect()
}

#[test]
fn every_language_decides_exactly_what_the_rust_rules_decide() {
    let dir = TempDir::new("languages");
    let edge = dir.path().join("edge-cases.ndjson");
    let ndjson: String = edge_cases().iter().map(|e| format!("{e}\n")).collect();
    std::fs::write(&edge, ndjson).unwrap();
    let fixtures = fixtures_dir();
    let inputs = [fixtures.as_path(), edge.as_path()];
    // The same events as files for `glue-rules test`: the AWS fixtures, and the edge cases as
    // one JSON array.
    let mut events: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    events.sort();
    let edge_array = dir.path().join("edge-cases.json");
    std::fs::write(&edge_array, Value::Array(edge_cases()).to_string()).unwrap();
    events.push(edge_array);

    // The reference: the Rust rules as built now, for glue:rules@0.2.0, the contract every
    // language's helpers implement (configured filters become patterns, bad settings are
    // refused at load).
    let rust = [
        plugins().lambda_on_success.clone(),
        plugins().sns_on_failure.clone(),
    ];
    let built = language_plugins();
    let mut failures = Vec::new();
    for (label, toml) in configurations() {
        let config = dir.path().join(format!("{label}.toml"));
        // Never park a failing plugin: with `invalid` every evaluation fails, and when parking
        // starts depends on thread timing. A generous deadline keeps a loaded machine out of it.
        std::fs::write(
            &config,
            format!("[limits]\nquarantine-after = 0\ntimeout-ms = 2000\n{toml}"),
        )
        .unwrap();
        let reference = eval(dir.path(), &config, &rust, &inputs);
        if label == "invalid" {
            // Refused at load, by the host's check of the declared kinds and by `describe`,
            // with the same sentences in every language.
            assert_eq!(reference.status.code(), Some(2), "rust/{label}");
            let want = load_errors(&reference);
            assert_eq!(want.len(), 2, "rust/{label}: {want:?}");
            for language in LANGUAGES {
                let pair = [
                    built.join(language).join("lambda-on-success.wasm"),
                    built.join(language).join("sns-on-failure.wasm"),
                ];
                let output = eval(dir.path(), &config, &pair, &inputs);
                let got = load_errors(&output);
                if output.status.code() != Some(2) || got != want {
                    failures.push(format!(
                        "{language}/{label}: exit {:?}\n  rust: {want:?}\n  {language}: {got:?}",
                        output.status.code()
                    ));
                }
            }
            continue;
        }
        assert_eq!(
            reference.status.code(),
            Some(0),
            "rust/{label}: {}",
            String::from_utf8_lossy(&reference.stderr)
        );
        let reference_lines = String::from_utf8(reference.stdout.clone()).unwrap();
        // Every event gives one line per rule.
        assert_eq!(
            json_lines(&reference).len(),
            2 * (14 + edge_cases().len()),
            "rust/{label}"
        );

        let rust_decisions: Vec<String> = rust
            .iter()
            .enumerate()
            .map(|(i, p)| {
                all_decisions(
                    dir.path(),
                    &format!("rust-{label}-{i}"),
                    &config,
                    p,
                    &events,
                )
            })
            .collect();
        for language in LANGUAGES {
            let pair = [
                built.join(language).join("lambda-on-success.wasm"),
                built.join(language).join("sns-on-failure.wasm"),
            ];
            for (i, plugin) in pair.iter().enumerate() {
                let decisions = all_decisions(
                    dir.path(),
                    &format!("{language}-{label}-{i}"),
                    &config,
                    plugin,
                    &events,
                );
                let want: Vec<&str> = rust_decisions[i].lines().collect();
                for (n, got) in decisions.lines().enumerate() {
                    if want.get(n) != Some(&got) {
                        failures.push(format!(
                            "{language}/{label} {} (glue-rules test) line {}:\n  rust: {}\n  {language}: {got}",
                            plugin.display(),
                            n + 1,
                            want.get(n).unwrap_or(&"(nothing)")
                        ));
                        break;
                    }
                }
                if want.len() != decisions.lines().count() {
                    failures.push(format!(
                        "{language}/{label} {}: a different number of lines",
                        plugin.display()
                    ));
                }
            }
            let output = eval(dir.path(), &config, &pair, &inputs);
            let stderr = String::from_utf8_lossy(&output.stderr);
            if output.status.code() != Some(0) {
                failures.push(format!(
                    "{language}/{label}: exit {:?}: {stderr}",
                    output.status.code()
                ));
                continue;
            }
            let lines = String::from_utf8(output.stdout).unwrap();
            for (i, (want, got)) in reference_lines.lines().zip(lines.lines()).enumerate() {
                if want != got {
                    failures.push(format!(
                        "{language}/{label} line {}:\n  rust: {want}\n  {language}: {got}",
                        i + 1
                    ));
                }
            }
            if reference_lines.lines().count() != lines.lines().count() {
                failures.push(format!("{language}/{label}: a different number of lines"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} difference(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The load errors `eval` printed, one per refused plugin, without the file's name (the
/// languages name their files with `-`, the Rust builds with `_`).
fn load_errors(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| {
            let line = line.strip_prefix("error: ").unwrap_or(line);
            let (file, error) = line.split_once(".wasm: ")?;
            let name = Path::new(file)
                .file_name()?
                .to_string_lossy()
                .replace('_', "-");
            Some(format!("{name}: {error}"))
        })
        .collect()
}

#[test]
fn an_invalid_setting_refuses_the_plugin_at_load_with_the_same_sentence_in_every_language() {
    // A narrower look at one case of the test above, so that a failure there is easy to read:
    // the host checks `notify-stopped` against the kind every language declares for it.
    let dir = TempDir::new("languages-invalid");
    let config = dir.path().join("glue-rules.toml");
    std::fs::write(
        &config,
        "[plugins.sns-on-failure.config]\nnotify-stopped = \" Maybe \"\n",
    )
    .unwrap();
    let built = language_plugins();
    let event = fixtures_dir().join("failed-job-run.json");
    for language in LANGUAGES {
        let pair = [
            built.join(language).join("lambda-on-success.wasm"),
            built.join(language).join("sns-on-failure.wasm"),
        ];
        let output = eval(dir.path(), &config, &pair, &[event.as_path()]);
        assert_eq!(output.status.code(), Some(2), "{language}");
        assert_eq!(
            load_errors(&output),
            [
                "sns-on-failure: plugins.sns-on-failure.config.notify-stopped must be true or \
              false, not \" Maybe \""
            ],
            "{language}"
        );
    }
}

#[test]
fn language_components_import_no_capability_beyond_the_sandbox() {
    // What each language's component asks of the host, as `glue-rules inspect` sees it: the
    // rule world, and for JavaScript and Python the WASI interfaces their runtimes use, which
    // the sandbox serves without any file, network or environment access.
    let dir = TempDir::new("languages-imports");
    let built = language_plugins();
    let cache = compile_cache();
    for language in LANGUAGES {
        let plugin = built.join(language).join("sns-on-failure.wasm");
        let output = run_in(
            dir.path(),
            &[
                "inspect",
                "--json",
                "--cache-dir",
                cache.to_str().unwrap(),
                plugin.to_str().unwrap(),
            ],
            None,
        )
        .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{language}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let info: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(info["plugin"]["name"], "sns-on-failure", "{language}");
        let imports: Vec<&str> = info["imports"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            imports.iter().any(|i| i.contains("glue:rules/host@0.2.0")),
            "{language}: {imports:?}"
        );
        assert!(
            !imports.iter().any(|i| i.contains("wasi:http")),
            "{language}: {imports:?}"
        );
        if language == "c" {
            assert!(
                !imports.iter().any(|i| i.contains("wasi:")),
                "C imports no WASI: {imports:?}"
            );
        }
    }
}

#[test]
fn a_javascript_plugin_built_with_wasi_http_loads_but_cannot_fetch() {
    // componentize-js's defaults import wasi:http for fetch(). The host links every wasi:http
    // function to a stub that traps: the plugin loads, and a call reaches nothing.
    let dir = TempDir::new("languages-fetch");
    let source = r#"
        export const handler = {
          describe() {
            return { name: 'fetcher', version: '0.1.0', description: 'tries the network', patterns: [], settings: [] };
          },
          evaluate(event) {
            if (event.detail.tag !== 'job-state-change') return { matched: false, actions: [], reason: 'skipped' };
            fetch('http://127.0.0.1:9/');
            return { matched: true, actions: [], reason: 'fetched' };
          },
        };
    "#;
    // Built once and kept (the build is not reproducible, so a rebuild would miss the compile
    // cache and cost a fresh compile of 12 MB).
    let built = language_plugins().join("probes");
    let wasm = built.join("fetcher-default-wasi-0.2.0.wasm");
    if !wasm.is_file() {
        std::fs::create_dir_all(&built).unwrap();
        let js = dir.path().join("fetcher.js");
        std::fs::write(&js, source).unwrap();
        let repo = crate::support::repo_root();
        let status =
            std::process::Command::new(repo.join("plugins/js/node_modules/.bin/componentize-js"))
                .arg(&js)
                .args([
                    "--wit",
                    repo.join("wit").to_str().unwrap(),
                    "--world-name",
                    "rule",
                    "-o",
                ])
                .arg(&wasm)
                .status()
                .expect("running componentize-js");
        assert!(status.success(), "componentize-js failed");
    }
    let cache = compile_cache();
    let inspect = run_in(
        dir.path(),
        &[
            "inspect",
            "--json",
            "--cache-dir",
            cache.to_str().unwrap(),
            wasm.to_str().unwrap(),
        ],
        None,
    )
    .unwrap();
    assert_eq!(
        inspect.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&inspect.stderr)
    );
    let info: Value = serde_json::from_slice(&inspect.stdout).unwrap();
    let imports = info["imports"].to_string();
    assert!(
        imports.contains("wasi:http/outgoing-handler"),
        "built with wasi:http: {imports}"
    );

    let skipped = fixtures_dir().join("crawler-started.json");
    let fetching = fixtures_dir().join("failed-job-run.json");
    let output = run_in(
        dir.path(),
        &[
            "eval",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--plugin",
            wasm.to_str().unwrap(),
            skipped.to_str().unwrap(),
            fetching.to_str().unwrap(),
        ],
        None,
    )
    .unwrap();
    let lines = json_lines(&output);
    assert_eq!(output.status.code(), Some(1), "{lines:?}");
    assert_eq!(
        lines[0]["reason"], "skipped",
        "an event without fetch is evaluated: {lines:?}"
    );
    assert_eq!(lines[1]["errorKind"], "trap", "{lines:?}");
    let error = lines[1]["error"].as_str().unwrap();
    assert!(
        error.contains("wasi:http") && error.contains("not available to glue-rules plugins"),
        "{error}"
    );
}
