//! The plugin author's loop, for every language: `glue-rules new` makes a project, its own
//! build command builds it, `glue-rules test` passes on the fixtures it ships and `glue-rules
//! serve` started in it serves the plugin with its settings; a wrong
//! expected decision fails with exit 1 and a diff, `--update` rewrites it, bad usage exits 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::http::post_json;
use crate::support::languages::{ci_function, compile_cache, target_dir, venv};
use crate::support::{Sidecar, TempDir, repo_root, run_in};

fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs a build command in `dir` with the pinned toolchains on PATH.
fn build(dir: &Path, program: &str, args: &[&str]) {
    let path = format!(
        "{}:{}",
        venv().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", target_dir().join("authoring-rust"))
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} in {}: {}",
        dir.display(),
        text(&output)
    );
}

/// `glue-rules new NAME --lang LANG` in `parent`; returns the project directory.
fn new_project(parent: &Path, name: &str, lang: &str) -> PathBuf {
    let mut args = vec!["new", name, "--lang", lang];
    let sdk = repo_root().join("guest-sdk/rust");
    if lang == "rust" {
        args.extend(["--sdk-path", sdk.to_str().unwrap()]);
    }
    let output = run_in(parent, &args, None).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "new --lang {lang}: {}",
        text(&output)
    );
    let dir = parent.join(name);
    for file in [
        "README.md",
        "glue-rules.toml",
        "wit/rule.wit",
        "fixtures/job-failed.expected.json",
    ] {
        assert!(dir.join(file).is_file(), "{lang}: {file} missing");
    }
    dir
}

/// Builds the generated project with the command its README gives, and returns the component.
fn build_project(dir: &Path, name: &str, lang: &str) -> PathBuf {
    match lang {
        "rust" => {
            build(
                dir,
                "cargo",
                &["build", "--target", "wasm32-wasip2", "--release"],
            );
            // Built in a shared target directory (so that reruns are incremental); put the
            // component where the project's README and glue-rules.toml expect it.
            let module = name.replace('-', "_");
            let built = target_dir().join(format!(
                "authoring-rust/wasm32-wasip2/release/{module}.wasm"
            ));
            let local = dir.join("target/wasm32-wasip2/release");
            std::fs::create_dir_all(&local).unwrap();
            std::fs::copy(&built, local.join(format!("{module}.wasm"))).unwrap();
            return local.join(format!("{module}.wasm"));
        }
        "javascript" | "typescript" => {
            ci_function("ensure_language_tools");
            let example = repo_root().join(if lang == "javascript" {
                "plugins/js"
            } else {
                "plugins/typescript"
            });
            // The project pins exactly the example plugins' packages (its lockfile is theirs,
            // renamed), which `.ci` installed with `npm ci`: reuse them rather than install
            // another 400 MB per test run.
            let lock = |dir: &Path| {
                let text = std::fs::read_to_string(dir.join("package-lock.json")).unwrap();
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                value["packages"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| !k.is_empty())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                lock(dir),
                lock(&example),
                "{lang}: the template's lockfile pins other packages"
            );
            std::os::unix::fs::symlink(example.join("node_modules"), dir.join("node_modules"))
                .unwrap();
            build(dir, "npm", &["run", "build"]);
        }
        "python" | "c" => {
            ci_function("ensure_language_tools");
            build(dir, "./build.sh", &[]);
        }
        other => panic!("unknown language {other}"),
    }
    dir.join("build").join(format!("{name}.wasm"))
}

fn glue_rules_test(dir: &Path, wasm: &Path, extra: &[&str]) -> Output {
    let cache = compile_cache();
    let mut args = vec![
        "test",
        wasm.to_str().unwrap(),
        "--fixtures",
        "fixtures",
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_in(dir, &args, None).unwrap()
}

/// The whole loop for one language.
fn author(lang: &str) {
    let parent = TempDir::new(&format!("authoring-{lang}"));
    let name = format!("my-{lang}-rule");
    let dir = new_project(parent.path(), &name, lang);
    let wasm = build_project(&dir, &name, lang);
    assert!(
        wasm.is_file(),
        "{lang}: the build made no {}",
        wasm.display()
    );

    // The generated project passes its own fixtures with its own glue-rules.toml.
    let output = glue_rules_test(&dir, &wasm, &[]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(0), "{lang}: {report}");
    assert!(
        report.contains("ok   job-failed.json") && report.contains("2 passed, 0 failed"),
        "{lang}: {report}"
    );
    assert!(
        report.contains(&format!("{name} 0.1.0")),
        "{lang}: {report}"
    );

    // The sidecar, started in the project with its glue-rules.toml (plugins-dir and settings),
    // serves the plugin.
    let cache = compile_cache();
    let sidecar = Sidecar::start(&dir, &["--cache-dir", cache.to_str().unwrap()], &[])
        .unwrap_or_else(|e| panic!("{lang}: serve: {e:#}"));
    let event = std::fs::read(dir.join("fixtures/job-failed.json")).unwrap();
    let response = post_json(sidecar.addr, "/v1/events", &event).unwrap();
    assert_eq!(response.status, 200, "{lang}: {}", response.text());
    let decision = &response.json()["decisions"][0];
    assert_eq!(decision["plugin"], name.as_str(), "{lang}: {decision}");
    assert_eq!(decision["matched"], true, "{lang}: {decision}");
    assert_eq!(
        decision["actions"][0]["topicArn"],
        format!("arn:aws:sns:us-east-1:123456789012:{name}-alerts"),
        "{lang}: {decision}"
    );
    drop(sidecar);

    // A wrong expectation fails with exit 1 and a diff naming what differs.
    let expected = dir.join("fixtures/job-failed.expected.json");
    let original = std::fs::read_to_string(&expected).unwrap();
    std::fs::write(
        &expected,
        original.replace("job MyJob FAILED\"", "job MyJob FAILED?\""),
    )
    .unwrap();
    let output = glue_rules_test(&dir, &wasm, &[]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{lang}: {report}");
    assert!(report.contains("FAIL job-failed.json"), "{lang}: {report}");
    assert!(
        report.contains("-   \"reason\": \"job MyJob FAILED?\""),
        "{lang}: {report}"
    );
    assert!(
        report.contains("+   \"reason\": \"job MyJob FAILED\""),
        "{lang}: {report}"
    );
    assert!(report.contains("1 passed, 1 failed"), "{lang}: {report}");

    // --update writes what the plugin decides, which is what the template shipped.
    let output = glue_rules_test(&dir, &wasm, &["--update"]);
    assert_eq!(output.status.code(), Some(0), "{lang}: {}", text(&output));
    assert_eq!(
        std::fs::read_to_string(&expected).unwrap(),
        original,
        "{lang}"
    );

    // Settings from the command line win over glue-rules.toml.
    let output = glue_rules_test(
        &dir,
        &wasm,
        &["--set", "topic-arn=arn:aws:sns:eu-west-1:1:other"],
    );
    assert_eq!(output.status.code(), Some(1), "{lang}: {}", text(&output));
    assert!(
        text(&output).contains("+       \"topicArn\": \"arn:aws:sns:eu-west-1:1:other\","),
        "{lang}: {}",
        text(&output)
    );
    let output = glue_rules_test(&dir, &wasm, &["--set", "topic-arn= ", "--update"]);
    // Every template is a glue:rules@0.2.0 plugin that declares `topic-arn` required, so the
    // host refuses to load it without, naming the key, before any fixture runs.
    assert_eq!(output.status.code(), Some(2), "{lang}: {}", text(&output));
    assert!(
        text(&output).contains(&format!(
            "plugins.{name}.config.topic-arn is required (The SNS topic to publish to) but not set"
        )),
        "{lang}: {}",
        text(&output)
    );
}

#[test]
fn rust_project_builds_and_passes_its_fixtures() {
    author("rust");
}

#[test]
fn typescript_project_builds_and_passes_its_fixtures() {
    author("typescript");
}

#[test]
fn javascript_project_builds_and_passes_its_fixtures() {
    author("javascript");
}

#[test]
fn python_project_builds_and_passes_its_fixtures() {
    author("python");
}

#[test]
fn c_project_builds_and_passes_its_fixtures() {
    author("c");
}

#[test]
fn bad_usage_exits_2_with_the_problem_named() {
    let dir = TempDir::new("authoring-usage");
    let plugin = crate::support::plugins()
        .sns_on_failure
        .to_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["new", "Bad_Name", "--lang", "c"],
            "invalid plugin name",
        ),
        (
            vec!["new", "ok-name", "--lang", "cobol"],
            "invalid value 'cobol'",
        ),
        (
            vec!["test", &plugin, "--fixtures", "nowhere"],
            "nowhere: not a directory of fixtures",
        ),
        (
            vec!["test", "missing.wasm", "--fixtures", "."],
            "no *.json events",
        ),
        (
            vec!["test", &plugin, "--fixtures", ".", "--set", "novalue"],
            "expected KEY=VALUE",
        ),
    ];
    for (args, expected) in cases {
        let output = run_in(dir.path(), &args, None).unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains(expected),
            "{args:?}: {}",
            text(&output)
        );
    }
    // A directory in the way is refused, and left alone.
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    std::fs::write(dir.path().join("taken/keep.txt"), "mine").unwrap();
    let output = run_in(dir.path(), &["new", "taken", "--lang", "python"], None).unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("taken/keep.txt")).unwrap(),
        "mine"
    );

    // A fixture that is not an event is bad input (2), named with its file.
    std::fs::create_dir(dir.path().join("fixtures")).unwrap();
    std::fs::write(dir.path().join("fixtures/broken.json"), "{\"id\": 1").unwrap();
    let output = run_in(
        dir.path(),
        &["test", &plugin, "--fixtures", "fixtures", "--no-cache"],
        None,
    )
    .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("broken.json"), "{}", text(&output));
    // A missing plugin is named too.
    let output = run_in(
        dir.path(),
        &["test", "missing.wasm", "--fixtures", "fixtures"],
        None,
    )
    .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}
