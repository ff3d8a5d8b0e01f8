//! The hostile-plugin suite: every way a plugin can misbehave costs only that plugin's own
//! decision. Each case loads the real hostile component beside the real sns-on-failure plugin,
//! evaluates one event, and checks the error kind, the time it took, and that the neighbour's
//! decision is exactly what it is alone.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::support::{fixture, plugins};
use glue_rules::core::Decision;
use glue_rules::runtime::engine::evaluate_event;
use glue_rules::runtime::event::{Event, MAX_EVENT_BYTES};
use glue_rules::runtime::plugin::{ErrorKind, Plugin, PluginSettings};
use glue_rules::runtime::registry::PluginSet;
use glue_rules::runtime::runtime::{Runtime, RuntimeOptions};
use glue_rules::runtime::sandbox::Limits;

const TIMEOUT: Duration = Duration::from_millis(100);

/// How long past its deadline a stopped evaluation may take to come back. Generous: these
/// machines are noisy and the debug build is slow; the point is "bounded", not "fast".
const SLACK: Duration = Duration::from_millis(900);

fn cache_dir() -> PathBuf {
    std::env::temp_dir().join("glue-rules-test-cache")
}

fn runtime(fuel: bool) -> &'static Runtime {
    static PLAIN: OnceLock<Runtime> = OnceLock::new();
    static FUEL: OnceLock<Runtime> = OnceLock::new();
    let cell = if fuel { &FUEL } else { &PLAIN };
    cell.get_or_init(|| {
        Runtime::new(RuntimeOptions {
            fuel,
            cache_dir: Some(cache_dir()),
            ..RuntimeOptions::default()
        })
        .expect("runtime")
    })
}

fn failed_job_event() -> Event {
    Event::parse(
        &std::fs::read(fixture("failed-job-run.json")).unwrap(),
        MAX_EVENT_BYTES,
    )
    .unwrap()
}

fn settings(mode: &str, limits: Limits) -> PluginSettings {
    let mut settings = PluginSettings::new();
    settings.limits = limits;
    settings.config.insert("mode".into(), mode.into());
    settings
}

fn hostile(runtime: &Runtime, mode: &str, limits: Limits) -> Arc<Plugin> {
    Arc::new(
        Plugin::load(runtime, &plugins().hostile, settings(mode, limits)).expect("hostile loads"),
    )
}

fn neighbour(runtime: &Runtime) -> Arc<Plugin> {
    Arc::new(Plugin::load(runtime, &plugins().sns_on_failure, PluginSettings::new()).unwrap())
}

/// Wall-clock time past its CPU budget a call may wait for a core in these tests: a busy
/// machine stops a spinning plugin as `host-overloaded` at `TIMEOUT + GRACE`, still within
/// `TIMEOUT + SLACK` of its start.
const GRACE: Duration = Duration::from_millis(400);

fn limits() -> Limits {
    Limits {
        timeout: TIMEOUT,
        overload_grace: GRACE,
        memory_bytes: 32 << 20,
        ..Limits::default()
    }
}

/// Whether `actual` is the error kind `expected` stands for. A deadline is CPU time: a plugin
/// that spins is stopped as `timeout` once it has spent its budget, or as `host-overloaded` if
/// the test machine is so busy that the wall-clock backstop comes first. Either proves the
/// bound these tests are about.
fn same_kind(expected: ErrorKind, actual: ErrorKind) -> bool {
    actual == expected || (expected == ErrorKind::Timeout && actual == ErrorKind::HostOverloaded)
}

/// The neighbour's decision for the event when it runs alone.
fn reference_decision() -> &'static Decision {
    static REFERENCE: OnceLock<Decision> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        neighbour(runtime(false))
            .evaluate(&failed_job_event())
            .unwrap()
    })
}

/// Resident set size of this process, in bytes (Linux).
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

struct Outcome {
    result: Result<Decision, glue_rules::runtime::plugin::EvalError>,
    elapsed: Duration,
    plugin: Arc<Plugin>,
}

/// Runs `mode` beside the neighbour and checks the neighbour is unaffected and memory stayed
/// bounded.
fn run_beside_neighbour(mode: &str, limits: Limits, fuel: bool) -> Outcome {
    run_settings_beside_neighbour(mode, settings(mode, limits), fuel)
}

/// [`run_beside_neighbour`] with settings of the caller's making.
fn run_settings_beside_neighbour(mode: &str, settings: PluginSettings, fuel: bool) -> Outcome {
    let runtime = runtime(fuel);
    let bad = Arc::new(Plugin::load(runtime, &plugins().hostile, settings).expect("hostile loads"));
    let good = neighbour(runtime);
    let set = PluginSet::new(vec![bad.clone(), good]).unwrap();
    let event = failed_job_event();
    let reference = reference_decision().clone();
    let rss_before = rss_bytes();
    let outcome = evaluate_event(&set, &event);
    let rss_growth = rss_bytes().saturating_sub(rss_before);
    // Bounded by the guest's memory cap plus the host's copy of its output.
    assert!(
        rss_growth < 400 << 20,
        "{mode}: host memory grew by {} MiB",
        rss_growth >> 20
    );
    let neighbour_result = outcome.outcomes[1]
        .result
        .as_ref()
        .expect("neighbour succeeded");
    assert_eq!(
        neighbour_result, &reference,
        "{mode}: the neighbour's decision changed"
    );
    let first = outcome.outcomes.into_iter().next().unwrap();
    Outcome {
        result: first.result,
        elapsed: first.elapsed,
        plugin: bad,
    }
}

fn assert_fails(mode: &str, limits: Limits, fuel: bool, kind: ErrorKind, within: Duration) {
    let outcome = run_beside_neighbour(mode, limits, fuel);
    let err = outcome.result.expect_err(mode);
    assert!(same_kind(kind, err.kind), "{mode}: {err} ({})", err.kind);
    assert!(
        outcome.elapsed < within,
        "{mode}: took {:?}, bound {within:?}",
        outcome.elapsed
    );
    // The plugin still works afterwards: a trapped instance is replaced, not reused.
    let again = outcome
        .plugin
        .evaluate(&failed_job_event())
        .expect_err(mode);
    assert!(
        same_kind(kind, again.kind),
        "{mode} second time: {again} ({})",
        again.kind
    );
}

#[test]
fn an_endless_loop_times_out_at_the_deadline() {
    assert_fails("loop", limits(), false, ErrorKind::Timeout, TIMEOUT + SLACK);
}

#[test]
fn a_loop_that_allocates_times_out() {
    assert_fails(
        "loop-alloc",
        limits(),
        false,
        ErrorKind::Timeout,
        TIMEOUT + SLACK,
    );
}

#[test]
fn an_endless_loop_runs_out_of_fuel_when_a_budget_is_set() {
    let limits = Limits {
        fuel: Some(5_000_000),
        timeout: Duration::from_secs(10),
        ..limits()
    };
    assert_fails("loop", limits, true, ErrorKind::OutOfFuel, SLACK);
}

#[test]
fn allocating_past_the_cap_is_a_memory_error() {
    assert_fails("alloc", limits(), false, ErrorKind::Memory, TIMEOUT + SLACK);
}

#[test]
fn unbounded_recursion_is_a_stack_overflow() {
    assert_fails(
        "recurse",
        limits(),
        false,
        ErrorKind::StackOverflow,
        TIMEOUT + SLACK,
    );
}

#[test]
fn a_panic_is_a_trap() {
    assert_fails("panic", limits(), false, ErrorKind::Trap, TIMEOUT + SLACK);
}

#[test]
fn unreachable_is_a_trap() {
    assert_fails(
        "unreachable",
        limits(),
        false,
        ErrorKind::Trap,
        TIMEOUT + SLACK,
    );
}

#[test]
fn a_hundred_thousand_actions_are_invalid_output() {
    let limits = Limits {
        timeout: Duration::from_secs(5),
        memory_bytes: 128 << 20,
        ..limits()
    };
    assert_fails(
        "many-actions",
        limits,
        false,
        ErrorKind::InvalidOutput,
        Duration::from_secs(6),
    );
}

#[test]
fn a_64_mib_string_is_stopped_by_the_memory_cap() {
    assert_fails(
        "huge-string",
        limits(),
        false,
        ErrorKind::Memory,
        TIMEOUT + SLACK,
    );
}

#[test]
fn a_64_mib_string_within_the_memory_cap_is_invalid_output() {
    let limits = Limits {
        timeout: Duration::from_secs(5),
        memory_bytes: 200 << 20,
        ..limits()
    };
    assert_fails(
        "huge-string",
        limits,
        false,
        ErrorKind::InvalidOutput,
        Duration::from_secs(6),
    );
}

#[test]
fn a_plugin_error_is_reported_with_its_message() {
    let outcome = run_beside_neighbour("plugin-error", limits(), false);
    let err = outcome.result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::PluginError);
    assert_eq!(err.message, "cannot handle Glue Job State Change");
}

#[test]
fn an_action_with_an_empty_target_is_invalid_output_naming_the_field() {
    let outcome = run_beside_neighbour("empty-target", limits(), false);
    let err = outcome.result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidOutput);
    assert!(err.message.contains("actions[0].sns.topicArn"), "{err}");
}

/// Logging without bound costs the host a counter: lines past the budget are dropped and
/// counted, and the evaluation stays bounded by its deadline.
fn flood(mode: &str) {
    let limits = Limits {
        timeout: Duration::from_secs(20),
        ..limits()
    };
    let outcome = run_beside_neighbour(mode, limits, false);
    let dropped = outcome
        .plugin
        .stats()
        .log_lines_dropped
        .load(std::sync::atomic::Ordering::Relaxed);
    match outcome.result {
        Ok(decision) => {
            assert!(decision.reason.unwrap().contains("a million lines"));
            assert_eq!(
                dropped,
                1_000_000 - u64::from(Limits::default().max_log_lines),
                "{mode}"
            );
        }
        Err(e) => panic!("{mode}: {e}"),
    }
}

#[test]
fn a_million_log_lines_are_dropped_past_the_budget_and_counted() {
    flood("log-flood");
}

#[test]
fn a_million_stdout_lines_are_dropped_past_the_budget_and_counted() {
    flood("print-flood");
}

/// Capabilities are denied inside the plugin: the attempt fails there, is visible in the
/// plugin's own answer and log, and nothing of the host leaks.
fn denied(mode: &str, leak: &str) {
    let outcome = run_beside_neighbour(mode, limits(), false);
    let reason = outcome.result.expect(mode).reason.unwrap();
    assert!(reason.starts_with("denied"), "{mode}: {reason}");
    assert!(!reason.contains(leak), "{mode} leaked: {reason}");
}

#[test]
fn reading_etc_passwd_is_denied() {
    denied("read-file", "root:");
}

#[test]
fn environment_variables_are_not_visible() {
    denied("env-var", "HOME=");
    let outcome = run_beside_neighbour("env-var", limits(), false);
    assert!(
        outcome
            .result
            .unwrap()
            .reason
            .unwrap()
            .contains("0 variables visible")
    );
}

#[test]
fn opening_a_tcp_socket_is_denied() {
    denied("tcp-connect", "connected");
}

#[test]
fn sleeping_past_the_deadline_fails_at_once_as_a_timeout() {
    assert_fails(
        "sleep",
        limits(),
        false,
        ErrorKind::Timeout,
        TIMEOUT + SLACK,
    );
}

#[test]
fn spinning_on_the_clock_times_out() {
    assert_fails(
        "spin-clock",
        limits(),
        false,
        ErrorKind::Timeout,
        TIMEOUT + SLACK,
    );
}

#[test]
fn instances_are_reused_but_never_shared_between_plugins() {
    let runtime = runtime(false);
    let a = hostile(runtime, "counter", limits());
    let b =
        Arc::new(Plugin::load(runtime, &plugins().hostile, settings("counter", limits())).unwrap());
    let event = failed_job_event();
    let reason = |p: &Plugin| p.evaluate(&event).unwrap().reason.unwrap();
    assert_eq!(reason(&a), "call 1");
    assert_eq!(reason(&a), "call 2");
    // Another plugin (even of the same component) has its own instances.
    assert_eq!(reason(&b), "call 1");
    // With reuse off, every event gets a fresh instance.
    let mut fresh = settings("counter", limits());
    fresh.reuse_instances = false;
    let c = Plugin::load(runtime, &plugins().hostile, fresh).unwrap();
    assert_eq!(reason(&c), "call 1");
    assert_eq!(reason(&c), "call 1");
}

#[test]
fn repeated_failures_quarantine_the_plugin_with_back_off() {
    let runtime = runtime(false);
    let mut settings = settings("panic", limits());
    settings.quarantine.after_failures = 3;
    settings.quarantine.initial_backoff = Duration::from_millis(300);
    let plugin = Plugin::load(runtime, &plugins().hostile, settings).unwrap();
    let event = failed_job_event();
    for _ in 0..3 {
        assert_eq!(plugin.evaluate(&event).unwrap_err().kind, ErrorKind::Trap);
    }
    assert!(plugin.health().quarantined);
    let start = Instant::now();
    let parked = plugin.evaluate(&event).unwrap_err();
    assert_eq!(parked.kind, ErrorKind::Quarantined);
    assert!(
        start.elapsed() < Duration::from_millis(50),
        "a parked plugin is not entered"
    );
    std::thread::sleep(Duration::from_millis(350));
    // Tried again after the back-off; it fails again and is parked for twice as long.
    assert_eq!(plugin.evaluate(&event).unwrap_err().kind, ErrorKind::Trap);
    let health = plugin.health();
    assert!(health.quarantined);
    assert_eq!(health.quarantines, 2);
    assert!(health.retry_in_secs.unwrap() > 0.35, "{health:?}");
}

#[test]
fn a_plugin_that_traps_in_describe_is_refused_at_load() {
    let err = Plugin::load(
        runtime(false),
        &plugins().hostile,
        settings("describe-trap", limits()),
    )
    .unwrap_err();
    assert!(err.to_string().contains("failed to start"), "{err}");
}

/// The deadline of most host-call cases: the default `timeout-ms`.
const HOST_CALL_TIMEOUT: Duration = Duration::from_millis(50);

/// A deadline long enough for the guest to build 32 MiB before it calls the host with them
/// (the debug build is slow): the cases that use it check the call's outcome, and that the
/// evaluation still ends within this deadline.
const PREPARED_CALL_TIMEOUT: Duration = Duration::from_millis(1500);

/// Runs `mode` with the extra settings `config` under `timeout` and checks that the evaluation
/// came back within the deadline plus [`SLACK`], whatever host function it sat in.
fn bounded_host_calls(mode: &str, timeout: Duration, config: &[(&str, &str)]) -> Outcome {
    let limits = Limits {
        timeout,
        overload_grace: GRACE,
        memory_bytes: 64 << 20,
        ..Limits::default()
    };
    let mut settings = settings(mode, limits);
    for (key, value) in config {
        settings.config.insert((*key).into(), (*value).into());
    }
    let outcome = run_settings_beside_neighbour(mode, settings, false);
    eprintln!(
        "{mode} {config:?}: {:?} in {:?}",
        outcome.result, outcome.elapsed
    );
    assert!(
        outcome.elapsed < timeout + SLACK,
        "{mode} {config:?}: took {:?} with a {timeout:?} deadline",
        outcome.elapsed
    );
    outcome
}

fn expect_trap(outcome: Outcome, needle: &str) {
    let err = outcome.result.expect_err("the call is refused");
    assert_eq!(err.kind, ErrorKind::Trap, "{err}");
    assert!(err.message.contains(needle), "{needle:?} not in: {err}");
}

#[test]
fn one_raw_write_of_32_mib_is_refused_at_once() {
    // Over the stream's check-write permit: refused before the bytes are even copied.
    let outcome = bounded_host_calls("stream-write", PREPARED_CALL_TIMEOUT, &[]);
    expect_trap(outcome, "check-write");
}

#[test]
fn a_blocking_write_of_32_mib_is_refused_at_once() {
    let outcome = bounded_host_calls(
        "stream-write",
        PREPARED_CALL_TIMEOUT,
        &[
            ("stream", "stderr"),
            ("write-op", "blocking-write-and-flush"),
        ],
    );
    expect_trap(outcome, "4096");
}

#[test]
fn writing_a_tebibyte_of_zeroes_is_refused_at_once() {
    let outcome = bounded_host_calls(
        "stream-write",
        HOST_CALL_TIMEOUT,
        &[("write-op", "write-zeroes"), ("bytes", "1099511627776")],
    );
    expect_trap(outcome, "check_write");
}

#[test]
fn random_bytes_are_bounded_per_call() {
    // 40 calls of 16 MiB each.
    let outcome = bounded_host_calls("random-bytes", HOST_CALL_TIMEOUT, &[]);
    expect_trap(outcome, "65536");
}

#[test]
fn random_bytes_are_bounded_per_evaluation() {
    // 64 KiB a call is allowed; a thousand of them (64 MiB, seconds of work in a debug build)
    // are not. The deadline is long so that it is the budget that stops them.
    let config = [("bytes", "65536"), ("calls", "1000")];
    let outcome = bounded_host_calls("random-bytes", PREPARED_CALL_TIMEOUT, &config);
    expect_trap(outcome, "per evaluation");
    // A plugin within the budget gets its bytes.
    let config = [("bytes", "65536"), ("calls", "16")];
    let outcome = bounded_host_calls("random-bytes", PREPARED_CALL_TIMEOUT, &config);
    let reason = outcome.result.expect("within the budget").reason.unwrap();
    assert!(reason.contains("received 1048576 random bytes"), "{reason}");
}

#[test]
fn one_log_message_of_32_mib_is_dropped_at_once() {
    let outcome = bounded_host_calls("huge-log", PREPARED_CALL_TIMEOUT, &[]);
    assert!(outcome.result.is_ok());
    let dropped = outcome
        .plugin
        .stats()
        .log_lines_dropped
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(dropped, 1);
}

#[test]
fn calling_the_clocks_in_a_loop_times_out_at_the_deadline() {
    let outcome = bounded_host_calls("clock-spin", HOST_CALL_TIMEOUT, &[]);
    let err = outcome.result.unwrap_err();
    assert!(same_kind(ErrorKind::Timeout, err.kind), "{err}");
}

#[test]
fn a_decision_of_40_mb_is_invalid_output_though_each_string_is_small() {
    let limits = Limits {
        timeout: Duration::from_secs(5),
        memory_bytes: 128 << 20,
        ..limits()
    };
    for (instances, needle) in [("40", "max-decision-bytes"), ("400", "max-decision-bytes")] {
        let mut settings = settings("wide-decision", limits.clone());
        settings.config.insert("instances".into(), instances.into());
        let outcome = run_settings_beside_neighbour("wide-decision", settings, false);
        eprintln!(
            "wide-decision x{instances}: {:?}",
            outcome.result.as_ref().map(|d| d.actions.len())
        );
        let err = outcome.result.expect_err("refused");
        assert_eq!(err.kind, ErrorKind::InvalidOutput, "{err}");
        assert!(err.message.contains(needle), "{err}");
    }
    // Within the byte limit, SSM's own limit of 50 instance ids still holds.
    let mut settings = settings("wide-decision", limits);
    settings.config.insert("instances".into(), "51".into());
    settings.config.insert("instance-bytes".into(), "19".into());
    let err = run_settings_beside_neighbour("wide-decision", settings, false)
        .result
        .expect_err("refused");
    assert!(err.message.contains("actions[0].ssm.instanceIds"), "{err}");
}

#[test]
fn a_describe_that_never_returns_is_stopped_by_the_startup_budget() {
    // The start-up budget, not the 50 ms evaluation deadline, bounds loading: `describe` runs
    // for all of it (and no longer than it, give or take the slack).
    let startup = Duration::from_millis(600);
    let limits = Limits {
        timeout: HOST_CALL_TIMEOUT,
        startup_timeout: startup,
        ..limits()
    };
    // Compiled (and cached) beforehand, so that the time measured is the start-up's.
    hostile(runtime(false), "well-behaved", Limits::default());
    let start = Instant::now();
    let err = Plugin::load(
        runtime(false),
        &plugins().hostile,
        settings("describe-loop", limits),
    )
    .unwrap_err();
    let elapsed = start.elapsed();
    let err = err.to_string();
    eprintln!("describe-loop: {err} after {elapsed:?}");
    assert!(
        err.contains("describe() did not return within the 600 ms start-up budget")
            || err.contains("describe() had CPU budget left after 1000 ms"),
        "{err}"
    );
    assert!(
        elapsed >= startup && elapsed < startup + SLACK,
        "stopped after {elapsed:?}, budget {startup:?}"
    );
}

/// Every core kept busy by spinning threads until dropped: an oversubscribed host, in which a
/// plugin gets a small share of a core.
struct Contention {
    stop: Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Contention {
    /// Sixteen spinning threads per core: the plugin's thread gets about a seventeenth of a
    /// core (measured alone here: 1/7 of a core with eight per core).
    fn start() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let threads = (0..cores * 16)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        Self { stop, threads }
    }
}

impl Drop for Contention {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// This thread's user and system time, in clock ticks (utime + stime of /proc/thread-self/stat).
fn thread_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map_or(Vec::new(), |(_, rest)| rest.split(' ').collect());
    fields
        .get(11)
        .and_then(|u| u.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
}

fn spin_for(ms: u64, limits: Limits) -> Arc<Plugin> {
    let mut settings = settings("spin-clock", limits);
    settings.config.insert("ms".into(), ms.to_string());
    Arc::new(Plugin::load(runtime(false), &plugins().hostile, settings).expect("hostile loads"))
}

#[test]
fn a_plugin_waiting_for_a_core_is_not_charged_for_the_wait() {
    // 600 ms of wall-clock time on a seventeenth of a core is about 35 ms of CPU: within a
    // 200 ms budget (a wide margin: the full suite runs beside it), though three times past it
    // by the wall clock.
    let plugin = spin_for(
        600,
        Limits {
            timeout: 2 * TIMEOUT,
            overload_grace: Duration::from_secs(60),
            ..limits()
        },
    );
    let event = failed_job_event();
    let contention = Contention::start();
    let cpu_before = thread_cpu_ticks();
    let started = Instant::now();
    let result = plugin.evaluate(&event);
    let elapsed = started.elapsed();
    let cpu = thread_cpu_ticks() - cpu_before;
    drop(contention);
    eprintln!("spun 600 ms of wall-clock time in {elapsed:?}, {cpu} ticks (10 ms) of CPU");
    let decision = result.expect("a plugin that waited for a core is not timed out");
    assert_eq!(decision.reason.as_deref(), Some("spun 600 ms"));
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
}

#[test]
fn host_overload_is_counted_apart_retried_and_never_quarantines() {
    // No grace: the wall-clock backstop is the budget itself, which a plugin on a seventeenth
    // of a core reaches with most of its CPU budget unspent.
    let limits = Limits {
        timeout: Duration::from_millis(50),
        overload_grace: Duration::ZERO,
        ..limits()
    };
    let plugin = spin_for(10_000, limits);
    let set = PluginSet::new(vec![plugin.clone()]).unwrap();
    let event = failed_job_event();
    let contention = Contention::start();
    // More than `quarantine-after` (5) stops in a row.
    let outcomes: Vec<_> = (0..7).map(|_| evaluate_event(&set, &event)).collect();
    drop(contention);
    for outcome in &outcomes {
        let err = outcome.outcomes[0].result.as_ref().unwrap_err();
        assert_eq!(err.kind, ErrorKind::HostOverloaded, "{err}");
        assert!(err.message.contains("the host is too busy"), "{err}");
        // `on-error = "skip"` (the default) does not drop the event: it is retried.
        assert!(outcome.host_overloaded() && outcome.failed());
    }
    let health = plugin.health();
    assert!(!health.quarantined, "{health:?}");
    assert_eq!(health.consecutive_failures, 0);
    let stats = plugin.stats();
    assert_eq!(
        stats
            .host_overloaded
            .load(std::sync::atomic::Ordering::Relaxed),
        7
    );
    assert_eq!(stats.errors.load(std::sync::atomic::Ordering::Relaxed), 7);
}
