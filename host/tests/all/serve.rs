//! `glue-rules serve`, the real binary on an ephemeral loopback port, driven over real HTTP.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::http::{get, post_json, request};
use crate::support::{Sidecar, TempDir, fixture, plugins, wait_until};
use serde_json::Value;

/// A directory with a plugins/ subdirectory holding the given components.
fn plugin_dir(label: &str, files: &[&Path]) -> TempDir {
    let dir = TempDir::new(label);
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    for file in files {
        std::fs::copy(
            file,
            dir.path().join("plugins").join(file.file_name().unwrap()),
        )
        .unwrap();
    }
    dir
}

fn start(dir: &TempDir, args: &[&str]) -> Sidecar {
    let cache = std::env::temp_dir().join("glue-rules-test-cache");
    let mut all = vec![
        "--plugins-dir",
        "plugins",
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    Sidecar::start(dir.path(), &all, &[]).expect("serve starts")
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn compact(name: &str) -> String {
    let value: Value = serde_json::from_slice(&fixture_bytes(name)).unwrap();
    serde_json::to_string(&value).unwrap()
}

#[test]
fn one_event_gets_a_decision_per_plugin_in_the_eval_shape() {
    let p = plugins();
    let dir = plugin_dir("serve-one", &[&p.sns_on_failure, &p.lambda_on_success]);
    let sidecar = start(&dir, &[]);
    let response = post_json(
        sidecar.addr,
        "/v1/events",
        &fixture_bytes("failed-job-run.json"),
    )
    .unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let decisions = response.json()["decisions"].as_array().unwrap().clone();
    assert_eq!(decisions.len(), 2);
    let sns = decisions
        .iter()
        .find(|d| d["plugin"] == "sns-on-failure")
        .unwrap();
    assert_eq!(sns["eventId"], "abcdef01-1234-5678-9abc-def012345678");
    assert_eq!(sns["matched"], true);
    assert_eq!(sns["actions"][0]["type"], "sns");
    assert_eq!(
        sns["actions"][0]["topicArn"],
        "arn:aws:sns:us-west-2:123456789012:glue-job-failures"
    );
}

#[test]
fn arrays_and_ndjson_are_evaluated_event_by_event() {
    let p = plugins();
    let dir = plugin_dir("serve-batch", &[&p.sns_on_failure]);
    let sidecar = start(&dir, &[]);
    let events = [
        "failed-job-run.json",
        "successful-job-run.json",
        "timeout.json",
    ];
    let array = format!("[{}]", events.map(compact).join(","));
    let ndjson = events.map(compact).join("\n");
    for (body, content_type) in [
        (array, "application/json"),
        (ndjson, "application/x-ndjson"),
    ] {
        let response = request(
            sidecar.addr,
            "POST",
            "/v1/events",
            &[("content-type", content_type)],
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
        let matched: Vec<bool> = response.json()["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["matched"] == true)
            .collect();
        assert_eq!(matched, [true, false, true], "{content_type}");
    }
}

#[test]
fn bad_requests_get_json_errors_that_name_the_problem() {
    let p = plugins();
    let dir = plugin_dir("serve-bad", &[&p.sns_on_failure]);
    let sidecar = start(&dir, &["--max-body-bytes", "600000"]);
    let good = compact("failed-job-run.json");
    let huge = format!(
        r#"{{"id":"big","source":"aws.glue","detail-type":"x","detail":{{"pad":"{}"}}}}"#,
        "a".repeat(300 * 1024)
    );
    let too_long_body = format!("[{huge},{huge}]");
    let missing_field = r#"{"id":"2","source":"aws.glue","detail":{}}"#;
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("text/plain", good.clone(), 415, "content type"),
        (
            "application/json",
            "{not json".into(),
            400,
            "not valid JSON",
        ),
        ("application/json", "".into(), 400, "no event"),
        (
            "application/json",
            "[1]".into(),
            400,
            "event #1 (line 1): an event must be a JSON object",
        ),
        (
            "application/x-ndjson",
            format!("{good}\n{missing_field}\n"),
            400,
            "event #2 (line 2): missing field `detail-type`",
        ),
        (
            "application/json",
            huge.clone(),
            413,
            "over the 262144-byte limit",
        ),
        (
            "application/json",
            too_long_body,
            413,
            "over the 600000-byte limit",
        ),
    ];
    for (content_type, body, status, needle) in cases {
        let response = request(
            sidecar.addr,
            "POST",
            "/v1/events",
            &[("content-type", content_type)],
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(response.status, status, "{needle}: {}", response.text());
        let error = response.json()["error"].clone();
        assert_eq!(error["status"], status);
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(needle),
            "expected {needle:?} in {message:?}"
        );
    }
    let missing = get(sidecar.addr, "/nope").unwrap();
    assert_eq!(missing.status, 404);
    // The server is still fine after all that.
    let response = post_json(sidecar.addr, "/v1/events", good.as_bytes()).unwrap();
    assert_eq!(response.status, 200);
}

#[test]
fn admin_endpoints_require_the_bearer_token_when_one_is_set() {
    let p = plugins();
    let dir = plugin_dir("serve-auth", &[&p.sns_on_failure]);
    let sidecar = start(&dir, &["--admin-token", "s3cret"]);
    for (method, path) in [("GET", "/v1/plugins"), ("POST", "/v1/admin/reload")] {
        let none = request(sidecar.addr, method, path, &[], b"").unwrap();
        assert_eq!(none.status, 401, "{path}");
        assert_eq!(none.header("www-authenticate"), Some("Bearer"));
        let wrong = request(
            sidecar.addr,
            method,
            path,
            &[("authorization", "Bearer nope")],
            b"",
        )
        .unwrap();
        assert_eq!(wrong.status, 401, "{path}");
        let right = request(
            sidecar.addr,
            method,
            path,
            &[("authorization", "Bearer s3cret")],
            b"",
        )
        .unwrap();
        assert_eq!(right.status, 200, "{path}: {}", right.text());
    }
    // Intake and probes stay open.
    assert_eq!(get(sidecar.addr, "/healthz").unwrap().status, 200);
    assert_eq!(get(sidecar.addr, "/readyz").unwrap().status, 200);
}

#[test]
fn a_non_loopback_address_without_a_token_is_refused() {
    let dir = plugin_dir("serve-public", &[&plugins().sns_on_failure]);
    let output = std::process::Command::new(crate::support::binary())
        .args(["serve", "--plugins-dir", "plugins", "--listen", "0.0.0.0:0"])
        .current_dir(dir.path())
        .env_remove("GLUE_RULES_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("without an admin token"), "{err}");
}

#[test]
fn plugins_list_shows_identity_status_limits_and_counters() {
    let p = plugins();
    let dir = plugin_dir("serve-list", &[&p.sns_on_failure]);
    let sidecar = start(&dir, &[]);
    post_json(
        sidecar.addr,
        "/v1/events",
        &fixture_bytes("failed-job-run.json"),
    )
    .unwrap();
    let list = get(sidecar.addr, "/v1/plugins").unwrap().json();
    let plugin = &list["plugins"][0];
    assert_eq!(plugin["name"], "sns-on-failure");
    assert_eq!(plugin["status"], "active");
    assert_eq!(plugin["sha256"].as_str().unwrap().len(), 64);
    assert!(
        plugin["path"]
            .as_str()
            .unwrap()
            .ends_with("sns_on_failure.wasm")
    );
    assert!(plugin["loadedAt"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(plugin["limits"]["timeoutMs"], 50);
    assert_eq!(plugin["counters"]["evaluations"], 1);
    assert_eq!(plugin["counters"]["matches"], 1);
}

#[test]
fn metrics_count_evaluations_matches_errors_actions_intake_and_reloads() {
    let p = plugins();
    let dir = plugin_dir("serve-metrics", &[&p.sns_on_failure]);
    std::fs::write(
        dir.path().join("glue-rules.toml"),
        format!(
            "[plugins.hostile-panic]\npath = {:?}\n[plugins.hostile-panic.config]\nmode = \"panic\"\n",
            p.hostile.to_str().unwrap()
        ),
    )
    .unwrap();
    let sidecar = start(&dir, &[]);
    for _ in 0..3 {
        let r = post_json(
            sidecar.addr,
            "/v1/events",
            &fixture_bytes("failed-job-run.json"),
        )
        .unwrap();
        assert_eq!(
            r.status,
            200,
            "on-error = skip keeps the request green: {}",
            r.text()
        );
    }
    request(
        sidecar.addr,
        "POST",
        "/v1/events",
        &[("content-type", "text/plain")],
        b"x",
    )
    .unwrap();
    let text = get(sidecar.addr, "/metrics").unwrap().text();
    for line in [
        "glue_rules_evaluations_total{plugin=\"sns-on-failure\"} 3",
        "glue_rules_matches_total{plugin=\"sns-on-failure\"} 3",
        "glue_rules_actions_total{plugin=\"sns-on-failure\",type=\"sns\"} 3",
        "glue_rules_evaluation_errors_total{plugin=\"hostile-panic\",kind=\"trap\"} 3",
        "glue_rules_intake_events_total{source=\"http\",outcome=\"accepted\"} 3",
        "glue_rules_intake_events_total{source=\"http\",outcome=\"unsupported_media_type\"} 1",
        "glue_rules_reloads_total{outcome=\"ok\"} 1",
        "glue_rules_evaluation_duration_seconds_count{plugin=\"sns-on-failure\"} 3",
        "glue_rules_plugins{status=\"active\"} 2",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(text.contains("# TYPE glue_rules_evaluation_duration_seconds histogram"));
}

#[test]
fn readiness_waits_for_a_plugin_and_health_is_always_up() {
    let dir = plugin_dir("serve-empty", &[]);
    let sidecar = start(&dir, &["--watch-interval-ms", "50"]);
    assert_eq!(get(sidecar.addr, "/healthz").unwrap().status, 200);
    assert_eq!(get(sidecar.addr, "/readyz").unwrap().status, 503);
    std::fs::copy(
        &plugins().sns_on_failure,
        dir.path().join("plugins/sns.wasm"),
    )
    .unwrap();
    wait_until("readiness", Duration::from_secs(30), || {
        get(sidecar.addr, "/readyz").unwrap().status == 200
    });
}

#[test]
fn sighup_reloads_the_plugins() {
    let p = plugins();
    let dir = plugin_dir("serve-hup", &[&p.sns_on_failure]);
    let sidecar = start(&dir, &["--watch-interval-ms", "0"]);
    std::fs::copy(&p.lambda_on_success, dir.path().join("plugins/lambda.wasm")).unwrap();
    sidecar.signal(1);
    wait_until("the SIGHUP reload", Duration::from_secs(30), || {
        let list = get(sidecar.addr, "/v1/plugins").unwrap().json();
        list["plugins"].as_array().unwrap().len() == 2
    });
}

#[test]
fn sigterm_finishes_requests_in_flight_then_exits_0() {
    let p = plugins();
    let dir = plugin_dir("serve-term", &[&p.sns_on_failure]);
    // A plugin that spins on the clock for 800 ms, well within its 5 s budget: a slow request
    // to be in flight when the signal arrives, which then succeeds.
    std::fs::write(
        dir.path().join("glue-rules.toml"),
        format!(
            "[plugins.hostile-spin-clock]\npath = {:?}\n[plugins.hostile-spin-clock.config]\nmode = \"spin-clock\"\nms = \"800\"\n[plugins.hostile-spin-clock.limits]\ntimeout-ms = 5000\n",
            p.hostile.to_str().unwrap()
        ),
    )
    .unwrap();
    let mut sidecar = start(&dir, &[]);
    let addr = sidecar.addr;
    let in_flight = std::thread::spawn(move || {
        post_json(addr, "/v1/events", &fixture_bytes("failed-job-run.json")).unwrap()
    });
    std::thread::sleep(Duration::from_millis(300));
    sidecar.signal(15);
    let response = in_flight.join().unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let decisions = response.json()["decisions"].as_array().unwrap().clone();
    let sns = decisions
        .iter()
        .find(|d| d["plugin"] == "sns-on-failure")
        .unwrap();
    assert_eq!(sns["matched"], true);
    let spinner = decisions
        .iter()
        .find(|d| d["plugin"] == "hostile-spin-clock")
        .unwrap();
    assert_eq!(spinner["reason"], "spun 800 ms", "{spinner}");
    let status = sidecar.wait(Duration::from_secs(10)).expect("exited");
    assert_eq!(status.code(), Some(0), "{}", sidecar.log());
    // And it no longer accepts connections.
    assert!(post_json(addr, "/v1/events", b"{}").is_err());
}

/// Appends a custom section: different bytes, same behaviour; a "new build" of a plugin.
fn rebuilt(component: &[u8], generation: u8) -> Vec<u8> {
    let name = b"glue-rules-test-build";
    let mut out = component.to_vec();
    out.push(0); // custom section id
    out.push((1 + name.len() + 1) as u8); // section size (fits in one LEB128 byte)
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.push(generation);
    out
}

#[test]
fn reload_under_load_never_fails_a_request_and_every_answer_comes_from_one_plugin_set() {
    let p = plugins();
    let dir = plugin_dir("serve-reload", &[&p.sns_on_failure]);
    let sidecar = start(&dir, &["--watch-interval-ms", "20"]);
    let addr = sidecar.addr;
    let lambda = std::fs::read(&p.lambda_on_success).unwrap();
    let target = dir.path().join("plugins/lambda_on_success.wasm");

    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicU64::new(0));
    let sets_seen = Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let load: Vec<_> = (0..2)
        .map(|_| {
            let (stop, requests, sets_seen) = (stop.clone(), requests.clone(), sets_seen.clone());
            std::thread::spawn(move || {
                let body = format!(
                    "[{},{}]",
                    compact("failed-job-run.json"),
                    compact("successful-job-run.json")
                );
                while !stop.load(Ordering::Relaxed) {
                    let response = post_json(addr, "/v1/events", body.as_bytes()).unwrap();
                    assert_eq!(response.status, 200, "{}", response.text());
                    let decisions = response.json()["decisions"].as_array().unwrap().clone();
                    // Both events of one request saw the same plugins, each once, none failed.
                    let names = |event: &str| {
                        let mut names: Vec<String> = decisions
                            .iter()
                            .filter(|d| d["eventId"] == event)
                            .map(|d| {
                                assert!(d.get("error").is_none(), "a plugin failed: {d}");
                                d["plugin"].as_str().unwrap().to_owned()
                            })
                            .collect();
                        names.sort();
                        names
                    };
                    let first = names("abcdef01-1234-5678-9abc-def012345678");
                    let second = names("abcdef00-1234-5678-9abc-def012345678");
                    assert_eq!(first, second, "one request, one plugin set");
                    let mut unique = first.clone();
                    unique.dedup();
                    assert_eq!(unique, first, "a plugin answered twice");
                    assert!(first.contains(&"sns-on-failure".to_owned()));
                    let sns = decisions
                        .iter()
                        .find(|d| d["plugin"] == "sns-on-failure" && d["matched"] == true);
                    assert!(sns.is_some(), "sns-on-failure still decides correctly");
                    sets_seen.lock().unwrap().insert(first);
                    requests.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let plugin_status = || {
        get(addr, "/v1/plugins").unwrap().json()["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| {
                p["path"]
                    .as_str()
                    .unwrap()
                    .ends_with("lambda_on_success.wasm")
            })
            .cloned()
    };
    let wait_for = |what: &str, check: &dyn Fn(Option<Value>) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !check(plugin_status()) {
            assert!(
                Instant::now() < deadline,
                "never saw: {what}\n{}",
                sidecar.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let write = |bytes: &[u8]| {
        // Write then rename, as a deploy would; the watcher may still catch a torn file on
        // other writers, which the reload must survive.
        let tmp = target.with_extension("tmp");
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &target).unwrap();
    };

    std::thread::sleep(Duration::from_millis(200));
    // 1. Added.
    write(&rebuilt(&lambda, 1));
    wait_for("lambda added", &|s| {
        s.is_some_and(|s| s["status"] == "active")
    });
    let first_sha = plugin_status().unwrap()["sha256"].clone();
    // 2. Replaced by a broken build: the old version keeps serving, the failure shows.
    write(b"\0asm\x0d\0\x01\0 broken build");
    wait_for("failed reload", &|s| {
        s.is_some_and(|s| s["status"] == "failed-reload")
    });
    assert_eq!(
        plugin_status().unwrap()["sha256"],
        first_sha,
        "the last good version serves"
    );
    // Also through the admin endpoint.
    let report = request(addr, "POST", "/v1/admin/reload", &[], b"").unwrap();
    assert_eq!(report.status, 200);
    // 3. Replaced by a good build.
    write(&rebuilt(&lambda, 2));
    wait_for("good build active", &|s| {
        s.is_some_and(|s| s["status"] == "active" && s["sha256"] != first_sha)
    });
    // 4. Removed.
    std::fs::remove_file(&target).unwrap();
    wait_for("lambda removed", &|s| s.is_none());
    std::thread::sleep(Duration::from_millis(200));

    stop.store(true, Ordering::Relaxed);
    for thread in load {
        thread.join().expect("no request failed");
    }
    let sets = sets_seen.lock().unwrap().clone();
    assert!(requests.load(Ordering::Relaxed) > 10, "the load ran");
    let with_lambda = vec!["lambda-on-success".to_owned(), "sns-on-failure".to_owned()];
    let without = vec!["sns-on-failure".to_owned()];
    assert!(
        sets.contains(&with_lambda) && sets.contains(&without),
        "{sets:?}"
    );
    assert_eq!(sets.len(), 2, "only consistent plugin sets: {sets:?}");
    let metrics = get(addr, "/metrics").unwrap().text();
    assert!(
        metrics.contains("glue_rules_reloads_total{outcome=\"partial\"}"),
        "{metrics}"
    );
}
