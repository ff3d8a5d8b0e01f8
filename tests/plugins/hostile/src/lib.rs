//! A deliberately hostile rule. Its `mode` setting picks one way to misbehave; the sandbox
//! tests load it once per mode beside well-behaved plugins and check that only its own
//! evaluation suffers.
//!
//! It is written against the raw bindings rather than the SDK so that it can do things the SDK
//! would never help with. A few modes go further and call WASI directly (module [`raw`]),
//! bypassing what std and wasi-libc would do for them.
//!
//! Settings common to every mode: `mode` (default `well-behaved`), `name` (the plugin's name,
//! default `hostile-MODE`) and `pattern` (one event pattern, default none: every event). Numeric
//! settings are plain decimal integers (`bytes = "1048576"`); a malformed one panics.
//!
//! Modes, by where they act (each documented where it is implemented):
//!
//! - `describe`: `describe-trap`, `describe-loop`, `describe-refuse`, `pattern-bomb`,
//!   `many-patterns`, `declare` (declares settings for the host to check).
//! - `evaluate`, running away: `loop`, `loop-alloc`, `alloc`, `recurse`, `sleep`,
//!   `spin-clock`, `clock-spin`.
//! - `evaluate`, trapping or failing: `panic`, `unreachable`, `plugin-error`, `huge-error`.
//! - `evaluate`, oversized or invalid output: `many-actions`, `huge-string`, `empty-target`,
//!   `wide-decision`.
//! - `evaluate`, flooding the host through its imports: `log-flood`, `print-flood`,
//!   `huge-log`, `forged-log`, `stream-write`, `random-bytes`.
//! - `evaluate`, probing the sandbox: `read-file`, `env-var`, `tcp-connect`.
//! - `evaluate`, the event's JSON through the host (glue:rules@0.2.0): `detail-json` and
//!   `event-json` (the text as the reason), `json-flood` (`count` calls of `detail-json`).
//! - `evaluate`, well-behaved: `all-actions`, `counter`, `no-match` (returns at once: the
//!   benchmarks' floor of a call), and any other value.
//!
//! It implements the current contract, glue:rules@0.2.0 (`wit/rule.wit`); the golden 0.1.0
//! components (`tests/golden/0.1.0`) cover the previous one.

use std::time::{Duration, Instant};

wit_bindgen::generate!({
    path: "../../../wit",
    world: "rule",
});

/// Direct bindings to the handful of WASI 0.2 functions some modes call without std in between
/// (see `wit/raw-wasi.wit`).
mod raw {
    wit_bindgen::generate!({
        path: "wit",
        world: "hostile:raw-wasi/raw-wasi",
        generate_all,
    });

    pub use wasi::cli::{stderr, stdout};
    pub use wasi::clocks::{monotonic_clock, wall_clock};
    pub use wasi::io::streams::{OutputStream, StreamError};
    pub use wasi::random::random;
}

use exports::glue::rules::handler::Guest;
use glue::rules::host::{config, detail_json, event_json, log};
use glue::rules::types::{
    Action, CommandParameter, CommandTargets, Decision, Event, InvocationType, KinesisPutRecord,
    LambdaInvoke, LogLevel, Metadata, Setting, SettingKind, SfnStartExecution, SnsPublish,
    SqsSendMessage, SsmSendCommand,
};

struct Hostile;

fn mode() -> String {
    config("mode").unwrap_or_else(|| "well-behaved".to_owned())
}

/// The numeric setting `key`, or `default` when it is absent.
fn number(key: &str, default: u64) -> u64 {
    match config(key) {
        None => default,
        Some(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("setting `{key}` = {text:?} is not a number: {e}")),
    }
}

/// [`number`] as a size in memory.
fn size(key: &str, default: u64) -> usize {
    usize::try_from(number(key, default)).expect("size fits in memory")
}

fn decision(reason: String) -> Decision {
    Decision {
        matched: false,
        actions: Vec::new(),
        reason: Some(reason),
    }
}

/// `all-actions` mode: one action of each type whose target is configured, each carrying the
/// event id (and the optional `tag` setting) so the dispatch tests can find its effect.
/// Settings: `lambda-function`, `lambda-invocation-type` (`event` or `request-response`),
/// `sns-topic-arn`, `sqs-queue-url`, `kinesis-stream`, `sfn-state-machine-arn`,
/// `ssm-instance-id`.
fn all_actions(event: &Event) -> Decision {
    let tag = config("tag").unwrap_or_default();
    let payload = format!(r#"{{"eventId":"{}","tag":"{}"}}"#, event.id, tag);
    let mut actions = Vec::new();
    if let Some(function_name) = config("lambda-function") {
        let invocation_type = match config("lambda-invocation-type").as_deref() {
            Some("request-response") => InvocationType::RequestResponse,
            _ => InvocationType::Event,
        };
        actions.push(Action::Lambda(LambdaInvoke {
            function_name,
            payload: payload.clone(),
            invocation_type,
        }));
    }
    if let Some(topic_arn) = config("sns-topic-arn") {
        actions.push(Action::Sns(SnsPublish {
            topic_arn,
            subject: Some("glue-rules test".into()),
            message: payload.clone(),
            message_attributes: Vec::new(),
        }));
    }
    if let Some(queue_url) = config("sqs-queue-url") {
        actions.push(Action::Sqs(SqsSendMessage {
            queue_url,
            message_body: payload.clone(),
            delay_seconds: None,
            message_group_id: None,
            message_deduplication_id: None,
        }));
    }
    if let Some(stream_name) = config("kinesis-stream") {
        actions.push(Action::Kinesis(KinesisPutRecord {
            stream_name,
            partition_key: event.id.clone(),
            data: payload.clone(),
        }));
    }
    if let Some(state_machine_arn) = config("sfn-state-machine-arn") {
        actions.push(Action::Stepfunctions(SfnStartExecution {
            state_machine_arn,
            name: None,
            input: payload.clone(),
        }));
    }
    if let Some(instance) = config("ssm-instance-id") {
        actions.push(Action::Ssm(SsmSendCommand {
            document_name: "AWS-RunShellScript".into(),
            targets: CommandTargets::InstanceIds(vec![instance]),
            parameters: vec![CommandParameter {
                name: "commands".into(),
                values: vec![format!("echo {}", event.id)],
            }],
            comment: Some(
                format!("{} {}", event.id, tag)
                    .trim()
                    .chars()
                    .take(100)
                    .collect(),
            ),
        }));
    }
    Decision {
        matched: true,
        actions,
        reason: Some(format!("all-actions for {}", event.id)),
    }
}

/// `pattern-bomb` mode (in `describe`): one pattern whose `detail` holds a `$or` of
/// `or-branches` alternatives (default 1000, the most the pattern compiler accepts), each on its
/// own field, beside a `jobName` list of `list-values` values (default 100000). A compiler that
/// expanded the `$or` by copying its siblings into each alternative would build
/// `or-branches` x `list-values` leaves.
fn pattern_bomb() -> String {
    let branches = number("or-branches", 1000);
    let values = number("list-values", 100_000);
    let mut pattern = String::from(r#"{"source":["aws.glue"],"detail":{"jobName":["#);
    for i in 0..values {
        if i > 0 {
            pattern.push(',');
        }
        pattern.push_str(&format!(r#""job-{i}""#));
    }
    pattern.push_str(r#"],"$or":["#);
    for i in 0..branches {
        if i > 0 {
            pattern.push(',');
        }
        pattern.push_str(&format!(r#"{{"field-{i}":["value-{i}"]}}"#));
    }
    pattern.push_str("]}}");
    pattern
}

/// `many-patterns` mode (in `describe`): `pattern-count` small, distinct patterns (default
/// 200000), each selecting one Glue job by name.
fn many_patterns() -> Vec<String> {
    (0..number("pattern-count", 200_000))
        .map(|i| format!(r#"{{"source":["aws.glue"],"detail":{{"jobName":["job-{i}"]}}}}"#))
        .collect()
}

/// The text of a WASI stream error, for a decision's reason.
fn stream_error(e: raw::StreamError) -> String {
    match e {
        raw::StreamError::Closed => "closed".into(),
        raw::StreamError::LastOperationFailed(e) => e.to_debug_string(),
    }
}

/// `stream-write` mode: one raw `wasi:io/streams` call that hands the host `bytes` bytes
/// (default 32 MiB) in one go, never asking `check-write` how much it may write (std's
/// `print!` would ask, and write in permitted chunks). Settings:
/// - `bytes`: how many bytes, newlines (so that a host splitting the output into log lines
///   sees that many empty lines);
/// - `stream`: `stdout` (default) or `stderr`;
/// - `write-op`: `write` (default), `blocking-write-and-flush` (which WASI caps at 4096 bytes
///   per call) or `write-zeroes` (`bytes` zero bytes that the guest never allocates).
fn stream_write() -> Decision {
    let bytes = number("bytes", 32 << 20);
    let stream: raw::OutputStream = match config("stream").as_deref() {
        Some("stderr") => raw::stderr::get_stderr(),
        _ => raw::stdout::get_stdout(),
    };
    let newlines = || vec![b'\n'; usize::try_from(bytes).expect("size fits in memory")];
    let op = config("write-op").unwrap_or_else(|| "write".into());
    let result = match op.as_str() {
        "write-zeroes" => stream.write_zeroes(bytes),
        "blocking-write-and-flush" => stream.blocking_write_and_flush(&newlines()),
        _ => stream.write(&newlines()),
    };
    let flushed = stream.flush();
    decision(format!(
        "{op} of {bytes} bytes: {}; flush: {}",
        result.map_or_else(stream_error, |()| "ok".into()),
        flushed.map_or_else(stream_error, |()| "ok".into()),
    ))
}

/// `random-bytes` mode: `calls` calls (default 40) of `wasi:random/random.get-random-bytes`,
/// each for `bytes` bytes (default 16 MiB). Each result is dropped before the next call, so the
/// guest holds one at a time; the host makes (and copies in) all of them.
fn random_bytes() -> Decision {
    let bytes = number("bytes", 16 << 20);
    let calls = number("calls", 40);
    let mut received = 0u64;
    let mut mix = 0u8;
    for _ in 0..calls {
        let chunk = std::hint::black_box(raw::random::get_random_bytes(bytes));
        received += chunk.len() as u64;
        mix ^= chunk.last().copied().unwrap_or(0);
    }
    decision(format!(
        "received {received} random bytes in {calls} calls ({mix})"
    ))
}

/// `clock-spin` mode: reads `wasi:clocks/monotonic-clock.now` and `wasi:clocks/wall-clock.now`
/// directly, back to back, `calls` times in all (default: forever, until the host stops it).
/// Unlike `spin-clock` it never sleeps, never looks at the time it reads, and goes through no
/// std or libc code.
fn clock_spin() -> Decision {
    let calls = number("calls", u64::MAX);
    let mut made = 0u64;
    let mut mix = 0u64;
    while made < calls {
        mix ^= std::hint::black_box(raw::monotonic_clock::now());
        made += 1;
        if made < calls {
            mix ^= std::hint::black_box(raw::wall_clock::now()).seconds;
            made += 1;
        }
    }
    decision(format!("made {made} clock calls ({mix})"))
}

/// `wide-decision` mode: a matched decision with one SSM `SendCommand` whose `InstanceIds` holds
/// `instances` ids (default 400) of `instance-bytes` bytes each (default 102400, 100 KiB): each
/// id is under the default `max-string-bytes`, but together they are about 40 MiB.
fn wide_decision(event: &Event) -> Decision {
    let count = number("instances", 400);
    let width = size("instance-bytes", 100 << 10);
    let instance_ids = (0..count)
        .map(|i| {
            // `i-` and 17 hex digits, like a real id, then zeros up to the width (cut short
            // when the width is under 19 bytes, and then no longer distinct).
            let mut id = String::with_capacity(width);
            id.push_str(&format!("i-{i:017x}"));
            id.truncate(width);
            id.extend(std::iter::repeat_n('0', width - id.len()));
            id
        })
        .collect();
    Decision {
        matched: true,
        actions: vec![Action::Ssm(SsmSendCommand {
            document_name: "AWS-RunShellScript".into(),
            targets: CommandTargets::InstanceIds(instance_ids),
            parameters: vec![CommandParameter {
                name: "commands".into(),
                values: vec![format!("echo {}", event.id)],
            }],
            comment: None,
        })],
        reason: Some(format!("{count} instance ids of {width} bytes")),
    }
}

#[inline(never)]
fn recurse(depth: u64, sink: &mut [u64; 64]) -> u64 {
    sink[(depth % 64) as usize] = depth;
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    // The array keeps each frame large; the addition keeps the call from being a tail call.
    recurse(depth + 1, sink) + sink[(depth % 7) as usize]
}

/// `declare` mode (in `describe`): declares `needed` (string, required), `count` (number) and
/// `flag` (bool, default false), for the host to check the configuration against.
fn declared() -> Vec<Setting> {
    let setting = |name: &str, kind, required, default: Option<&str>| Setting {
        name: name.into(),
        kind,
        required,
        default_value: default.map(str::to_owned),
        description: format!("the {name} setting"),
    };
    vec![
        setting("needed", SettingKind::String, true, None),
        setting("count", SettingKind::Number, false, None),
        setting("flag", SettingKind::Bool, false, Some("false")),
        setting("mode", SettingKind::String, false, None),
    ]
}

impl Guest for Hostile {
    fn describe(settings: Vec<(String, String)>) -> Result<Metadata, String> {
        let mode = mode();
        let patterns = match mode.as_str() {
            // `describe-refuse`: describe refuses its settings, naming them.
            "describe-refuse" => {
                let keys: Vec<&str> = settings.iter().map(|(k, _)| k.as_str()).collect();
                return Err(format!("refusing settings {}", keys.join(", ")));
            }
            // `describe-trap`: describe panics, so the plugin cannot be loaded.
            "describe-trap" => panic!("refusing to describe myself"),
            // `describe-loop`: describe never returns, so loading must time out.
            "describe-loop" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "pattern-bomb" => vec![pattern_bomb()],
            "many-patterns" => many_patterns(),
            // `name` and `pattern` let one component stand for many plugins (the engine
            // benchmark loads it thousands of times, each selecting other events).
            _ => config("pattern").into_iter().collect(),
        };
        Ok(Metadata {
            name: config("name").unwrap_or_else(|| format!("hostile-{mode}")),
            version: "0.2.0".into(),
            description: "misbehaves on purpose".into(),
            patterns,
            settings: if mode == "declare" {
                declared()
            } else {
                Vec::new()
            },
        })
    }

    fn evaluate(event: Event) -> Result<Decision, String> {
        match mode().as_str() {
            "loop" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "loop-alloc" => {
                let mut kept = Vec::new();
                loop {
                    let chunk = std::hint::black_box(vec![1u8; 1024]);
                    kept.push(chunk);
                    if kept.len() > 256 {
                        kept.clear();
                    }
                }
            }
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![7u8; 1 << 20]);
                }
            }
            "recurse" => {
                let mut sink = [0u64; 64];
                Ok(decision(format!("{}", recurse(0, &mut sink))))
            }
            "panic" => panic!("the rule panicked on event {}", event.id),
            "unreachable" => {
                #[cfg(target_arch = "wasm32")]
                core::arch::wasm32::unreachable();
                #[cfg(not(target_arch = "wasm32"))]
                unreachable!()
            }
            "many-actions" => Ok(Decision {
                matched: true,
                actions: (0..100_000)
                    .map(|i| {
                        Action::Sns(SnsPublish {
                            topic_arn: "arn:aws:sns:us-east-1:123456789012:t".into(),
                            subject: None,
                            message: format!("message {i}"),
                            message_attributes: Vec::new(),
                        })
                    })
                    .collect(),
                reason: None,
            }),
            "huge-string" => Ok(decision("x".repeat(64 << 20))),
            "log-flood" => {
                for i in 0..1_000_000 {
                    log(LogLevel::Info, &format!("line {i}"));
                }
                Ok(decision("logged a million lines".into()))
            }
            "print-flood" => {
                for i in 0..1_000_000 {
                    println!("stdout line {i}");
                }
                Ok(decision("printed a million lines".into()))
            }
            "read-file" => Ok(decision(match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => format!("read {} bytes: {text}", text.len()),
                Err(e) => {
                    log(LogLevel::Warn, &format!("open /etc/passwd failed: {e}"));
                    format!("denied: {e}")
                }
            })),
            "env-var" => {
                let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                let home = std::env::var("HOME");
                log(LogLevel::Warn, &format!("env: {vars:?}, HOME: {home:?}"));
                Ok(decision(match home {
                    Ok(value) => format!("HOME={value}"),
                    Err(e) => format!("denied: {e}; {} variables visible", vars.len()),
                }))
            }
            "tcp-connect" => Ok(decision(
                match std::net::TcpStream::connect_timeout(
                    &([127, 0, 0, 1], 22).into(),
                    Duration::from_millis(200),
                ) {
                    Ok(_) => "connected to 127.0.0.1:22".into(),
                    Err(e) => {
                        log(LogLevel::Warn, &format!("connect failed: {e}"));
                        format!("denied: {e}")
                    }
                },
            )),
            "sleep" => {
                std::thread::sleep(Duration::from_secs(10));
                Ok(decision("slept 10 s".into()))
            }
            // `spin-clock`: busy for `ms` (default 10,000) of wall-clock time, reading the
            // clock; on a busy host that is far less CPU time.
            "spin-clock" => {
                let ms = number("ms", 10_000);
                let start = Instant::now();
                while start.elapsed() < Duration::from_millis(ms) {}
                Ok(decision(format!("spun {ms} ms")))
            }
            "clock-spin" => Ok(clock_spin()),
            "stream-write" => Ok(stream_write()),
            "random-bytes" => Ok(random_bytes()),
            // `huge-log`: one message of `bytes` bytes (default 32 MiB) through the host's
            // `log` import, far past `max-log-bytes`.
            "huge-log" => {
                let bytes = size("bytes", 32 << 20);
                log(LogLevel::Info, &"x".repeat(bytes));
                Ok(decision(format!("logged one message of {bytes} bytes")))
            }
            // `forged-log`: one message that, printed as it is, would read as a second line
            // from the host itself. The `message` setting replaces the text.
            "forged-log" => {
                let message =
                    config("message").unwrap_or_else(|| "ok\nERROR glue_rules: FORGED".into());
                log(LogLevel::Info, &message);
                Ok(decision("logged a forged line".into()))
            }
            // `huge-error`: `err` with a message of `bytes` bytes (default 32 MiB).
            "huge-error" => Err("e".repeat(size("bytes", 32 << 20))),
            "wide-decision" => Ok(wide_decision(&event)),
            "detail-json" => Ok(decision(detail_json())),
            "event-json" => Ok(decision(event_json())),
            // `json-flood`: `count` calls of `detail-json` (default 100,000), each a copy of
            // the detail into the guest, dropped at once.
            "json-flood" => {
                let calls = number("count", 100_000);
                let mut bytes = 0usize;
                for _ in 0..calls {
                    bytes += std::hint::black_box(detail_json()).len();
                }
                Ok(decision(format!("{calls} calls, {bytes} bytes")))
            }
            // `declare`: serves back what the host's `config` returns for the declared settings.
            "declare" => Ok(decision(
                ["needed", "count", "flag"]
                    .iter()
                    .map(|k| format!("{k}={:?}", config(k)))
                    .collect::<Vec<_>>()
                    .join(" "),
            )),
            "all-actions" => Ok(all_actions(&event)),
            "plugin-error" => Err(format!("cannot handle {}", event.detail_type)),
            "empty-target" => Ok(Decision {
                matched: true,
                actions: vec![Action::Sns(SnsPublish {
                    topic_arn: String::new(),
                    subject: None,
                    message: "m".into(),
                    message_attributes: Vec::new(),
                })],
                reason: None,
            }),
            // Counts calls in a global, to show whether state survives between events.
            "counter" => {
                static mut CALLS: u64 = 0;
                // SAFETY: a component instance is single-threaded.
                let calls = unsafe {
                    CALLS += 1;
                    CALLS
                };
                Ok(decision(format!("call {calls}")))
            }
            // The least a rule can do: the benchmarks' floor of a component call.
            "no-match" => Ok(Decision {
                matched: false,
                actions: Vec::new(),
                reason: None,
            }),
            _ => Ok(decision(format!("well-behaved: saw {}", event.id))),
        }
    }
}

export!(Hostile);
