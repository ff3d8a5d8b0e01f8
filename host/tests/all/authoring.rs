//! The plugin author's path, for every language, as a new author takes it: `glue-rules new`
//! depending on the locally packed SDK (`--sdk`, the packages `guest-sdk/pack.sh` builds, as
//! they would be published), the install a user runs, the project's own build and native unit
//! tests (the `[project]` table of its glue-rules.toml), `glue-rules test` on its fixtures (a
//! wrong expectation fails with a diff, `--update` rewrites it, settings are checked), `serve`
//! in the project, `bench`, `glue-rules dev` picking up an edit into its sidecar, and a broken
//! event pattern failing `test` with the field named. Each step's time is printed (run with
//! `--nocapture` to see it), never asserted.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::support::http::post_json;
use crate::support::languages::{ci_function, compile_cache, target_dir, venv};
use crate::support::{Sidecar, TempDir, binary, run_in};

fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The SDK packages, packed once per test process by `.ci/common.sh build_sdk_packages`.
fn sdk_packages() -> &'static Path {
    static PACKED: OnceLock<PathBuf> = OnceLock::new();
    PACKED.get_or_init(|| {
        ci_function("build_sdk_packages");
        target_dir().join("sdk-packages")
    })
}

/// The package `glue-rules new --sdk` gets for `lang`.
fn sdk_package(lang: &str) -> PathBuf {
    let version = "0.2.0";
    sdk_packages().join(match lang {
        "rust" => format!("glue-rules-sdk-{version}"),
        "javascript" | "typescript" => format!("glue-rules-sdk-{version}.tgz"),
        "python" => format!("glue_rules_sdk-{version}-py3-none-any.whl"),
        "c" => format!("glue_rules_sdk_c-{version}-py3-none-any.whl"),
        other => panic!("unknown language {other}"),
    })
}

/// The project's own source file of its rule.
fn rule_source(lang: &str) -> &'static str {
    match lang {
        "rust" => "src/lib.rs",
        "javascript" => "src/index.js",
        "typescript" => "src/index.ts",
        "python" => "src/app.py",
        "c" => "src/rule.c",
        other => panic!("unknown language {other}"),
    }
}

/// The `[project]` table `glue-rules new` wrote.
struct ProjectCommands {
    build: String,
    test: String,
    wasm: PathBuf,
}

fn project_commands(dir: &Path) -> ProjectCommands {
    let text = std::fs::read_to_string(dir.join("glue-rules.toml")).unwrap();
    let value: toml::Table = text.parse().unwrap();
    let project = value["project"].as_table().expect("a [project] table");
    ProjectCommands {
        build: project["build"].as_str().unwrap().to_owned(),
        test: project["test"].as_str().unwrap().to_owned(),
        wasm: dir.join(project["wasm"].as_str().unwrap()),
    }
}

/// The environment every step runs in: the project's own virtual environment (Python, C) or
/// the pinned toolchains' first on PATH.
fn path_for(dir: &Path) -> String {
    let mut path = String::new();
    let local = dir.join(".venv/bin");
    if local.is_dir() {
        path.push_str(&format!("{}:", local.display()));
    }
    format!(
        "{path}{}:{}",
        venv().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Runs a shell command in `dir` as the project's README says to, and returns its time.
fn sh(dir: &Path, command: &str) -> Duration {
    let started = Instant::now();
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", path_for(dir))
        .env("GLUE_RULES", binary())
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap_or_else(|e| panic!("running sh -c {command:?}: {e}"));
    assert!(
        output.status.success(),
        "`{command}` in {}: {}",
        dir.display(),
        text(&output)
    );
    started.elapsed()
}

/// `glue-rules new NAME --lang LANG --sdk PACKAGE` in `parent`; returns the project directory.
fn new_project(parent: &Path, name: &str, lang: &str) -> PathBuf {
    let package = sdk_package(lang);
    let output = run_in(
        parent,
        &[
            "new",
            name,
            "--lang",
            lang,
            "--sdk",
            package.to_str().unwrap(),
        ],
        None,
    )
    .unwrap();
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
        ".gitignore",
        "fixtures/job-failed.expected.json",
        rule_source(lang),
    ] {
        assert!(dir.join(file).is_file(), "{lang}: {file} missing");
    }
    // The SDK is a dependency, not a copy: no WIT and no helper library in the project.
    assert!(
        !dir.join("wit").exists(),
        "{lang}: the project has a copy of the WIT"
    );
    dir
}

/// Installs the project's dependencies, the local SDK package among them, the way its
/// README says; returns the time it took.
fn install(dir: &Path, lang: &str) -> Duration {
    let started = Instant::now();
    match lang {
        "rust" => {
            // Cargo resolves the SDK by path at build time. The build goes to one target
            // directory shared by every run (through a `target` link, where the project's
            // `[project] wasm` expects it), so that reruns are incremental.
            let shared = target_dir().join("authoring-rust");
            std::fs::create_dir_all(&shared).unwrap();
            std::os::unix::fs::symlink(&shared, dir.join("target")).unwrap();
        }
        "javascript" | "typescript" => {
            sh(dir, "npm install --no-audit --no-fund --prefer-offline");
        }
        "python" | "c" => {
            // The project's own virtual environment, as its README says, with `pip install -r
            // requirements.txt` installing the SDK wheel. The pinned toolchain (componentize-py
            // or zig and wasm-tools, tens of MB) comes from the shared environment through a
            // .pth file instead of another download per run: pip finds those pins satisfied.
            let python = venv().join("bin/python");
            let python = python.display();
            let wheel = sdk_package(lang);
            sh(dir, &format!("{python} -m venv --without-pip .venv"));
            sh(
                dir,
                &format!(
                    "{python} -c 'import site; print(site.getsitepackages()[0])' > \
                     \"$(.venv/bin/python -c 'import site; print(site.getsitepackages()[0])')/shared-toolchain.pth\""
                ),
            );
            sh(
                dir,
                &format!(
                    "{python} -m pip --python .venv/bin/python install --quiet --no-index \
                     --no-deps --ignore-installed {}",
                    wheel.display()
                ),
            );
            sh(
                dir,
                &format!(
                    "{python} -m pip --python .venv/bin/python install --quiet --no-index \
                     -r requirements.txt"
                ),
            );
        }
        other => panic!("unknown language {other}"),
    }
    started.elapsed()
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

/// `glue-rules dev` running in a project, its narration collected.
struct Dev {
    child: std::process::Child,
    log: Arc<Mutex<String>>,
}

impl Dev {
    fn start(dir: &Path) -> Self {
        let cache = compile_cache();
        let mut child = Command::new(binary())
            .args([
                "dev",
                "--listen",
                "127.0.0.1:0",
                "--poll-ms",
                "200",
                "--cache-dir",
            ])
            .arg(&cache)
            .current_dir(dir)
            .env("PATH", path_for(dir))
            .env("GLUE_RULES", binary())
            .env_remove("CARGO_TARGET_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("glue-rules dev starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Self { child, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until dev has said `needle` `times` times (a build on a busy machine, a
    /// JavaScript component compiled twice, can take minutes), and returns the log.
    fn wait_for(&mut self, needle: &str, times: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(900);
        loop {
            let log = self.log();
            if log.matches(needle).count() >= times {
                return log;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("glue-rules dev exited ({status}) before {needle:?}:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "glue-rules dev did not say {needle:?} {times} times:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The sidecar's address, from dev's `sidecar on http://ADDR` line.
    fn addr(&self) -> std::net::SocketAddr {
        let log = self.log();
        let line = log
            .lines()
            .find(|l| l.starts_with("dev: sidecar on http://"))
            .unwrap_or_else(|| panic!("no sidecar line:\n{log}"));
        line["dev: sidecar on http://".len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        // SIGTERM, so that dev stops its sidecar as it does for a user's Ctrl-C.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Replaces `from` by `to` in every file under the project's `dirs`, as one edit.
fn edit(dir: &Path, dirs: &[&str], from: &str, to: &str) -> usize {
    let mut changed = 0;
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| dir.join(d)).collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if let Ok(text) = std::fs::read_to_string(&path)
            && text.contains(from)
        {
            std::fs::write(&path, text.replace(from, to)).unwrap();
            changed += 1;
        }
    }
    changed
}

/// The whole path for one language.
fn author(lang: &str) {
    let parent = TempDir::new(&format!("authoring-{lang}"));
    let name = format!("my-{lang}-rule");
    let mut times: Vec<(&str, Duration)> = Vec::new();
    // Packed before the clock starts: a user installs a published package.
    sdk_packages();

    let started = Instant::now();
    let dir = new_project(parent.path(), &name, lang);
    times.push(("scaffold", started.elapsed()));
    times.push(("install", install(&dir, lang)));
    let commands = project_commands(&dir);
    times.push(("build", sh(&dir, &commands.build)));
    let wasm = commands.wasm.clone();
    assert!(
        wasm.is_file(),
        "{lang}: the build made no {}",
        wasm.display()
    );
    times.push(("unit test", sh(&dir, &commands.test)));

    // The generated project passes its own fixtures with its own glue-rules.toml.
    let started = Instant::now();
    let output = glue_rules_test(&dir, &wasm, &[]);
    times.push(("first test", started.elapsed()));
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

    // Settings from the command line win over glue-rules.toml, and are checked against what
    // the plugin declares.
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

    // bench prints its table and the limits it suggests.
    let output = run_in(
        &dir,
        &[
            "bench",
            wasm.to_str().unwrap(),
            "--events",
            "fixtures",
            "--cache-dir",
            cache.to_str().unwrap(),
        ],
        None,
    )
    .unwrap();
    let report = text(&output);
    assert_eq!(output.status.code(), Some(0), "{lang}: {report}");
    for needle in [
        "median",
        "p99",
        "reused",
        "fresh",
        "describe",
        "timeout-ms",
        "memory-mib",
        "fuel",
    ] {
        assert!(
            report.contains(needle),
            "{lang}: bench says no {needle}: {report}"
        );
    }

    // dev: the build is up to date, so it goes straight to the sidecar; an edit of the
    // message (with the test and the expectations that quote it) is built, tested and
    // served.
    let mut dev = Dev::start(&dir);
    dev.wait_for("dev: reloaded into", 1);
    let edited = edit(
        &dir,
        &["src", "test", "tests", "fixtures"],
        "ended in state",
        "finished in state",
    );
    assert!(edited >= 2, "{lang}: the edit changed {edited} files");
    let log = dev.wait_for("dev: reloaded into", 2);
    let took = log
        .lines()
        .filter(|l| l.starts_with("dev: reloaded into"))
        .nth(1)
        .and_then(|l| l.rsplit('(').next())
        .and_then(|l| l.split(' ').next())
        .and_then(|secs| secs.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{lang}: no time in dev's reload line:\n{log}"));
    times.push(("edit to result in dev", Duration::from_secs_f64(took)));
    assert!(log.contains("dev: changed: "), "{lang}: {log}");
    let response = post_json(dev.addr(), "/v1/events", &event).unwrap();
    assert_eq!(response.status, 200, "{lang}: {}", response.text());
    let message = response.json()["decisions"][0]["actions"][0]["message"].clone();
    assert!(
        message
            .as_str()
            .is_some_and(|m| m.contains("finished in state")),
        "{lang}: the sidecar serves the old build: {message}\n{log}"
    );
    drop(dev);

    // A broken pattern: the plugin is never entered for the event it expects a decision on,
    // and `test` says which field of which pattern failed.
    let source = dir.join(rule_source(lang));
    let text_before = std::fs::read_to_string(&source).unwrap();
    assert!(
        text_before.contains("Glue Job State Change"),
        "{lang}: no pattern to break"
    );
    std::fs::write(
        &source,
        text_before.replace("Glue Job State Change", "Glue Job State Chnage"),
    )
    .unwrap();
    sh(&dir, &commands.build);
    let output = glue_rules_test(&dir, &wasm, &[]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{lang}: {report}");
    assert!(report.contains("FAIL job-failed.json"), "{lang}: {report}");
    assert!(report.contains("detail-type"), "{lang}: {report}");

    let summary: Vec<String> = times
        .iter()
        .map(|(step, took)| format!("{step} {:.1} s", took.as_secs_f64()))
        .collect();
    eprintln!("authoring {lang}: {}", summary.join(", "));
}

#[test]
fn rust_author_path_from_new_to_dev() {
    author("rust");
}

#[test]
fn typescript_author_path_from_new_to_dev() {
    author("typescript");
}

#[test]
fn javascript_author_path_from_new_to_dev() {
    author("javascript");
}

#[test]
fn python_author_path_from_new_to_dev() {
    author("python");
}

#[test]
fn c_author_path_from_new_to_dev() {
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
