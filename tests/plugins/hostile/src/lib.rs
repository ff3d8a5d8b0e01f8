//! A deliberately hostile rule. Its `mode` setting picks one way to misbehave; the sandbox
//! tests load it once per mode beside well-behaved plugins and check that only its own
//! evaluation suffers.
//!
//! It is written against the raw bindings rather than the SDK so that it can do things the SDK
//! would never help with.

use std::time::{Duration, Instant};

wit_bindgen::generate!({
    path: "../../../wit",
    world: "rule",
});

use glue::rules::host::{config, log};
use glue::rules::types::{
    Action, CommandParameter, CommandTargets, InvocationType, KinesisPutRecord, LambdaInvoke,
    LogLevel, SfnStartExecution, SnsPublish, SqsSendMessage, SsmSendCommand,
};

struct Hostile;

fn mode() -> String {
    config("mode").unwrap_or_else(|| "well-behaved".to_owned())
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

#[inline(never)]
fn recurse(depth: u64, sink: &mut [u64; 64]) -> u64 {
    sink[(depth % 64) as usize] = depth;
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    // The array keeps each frame large; the addition keeps the call from being a tail call.
    recurse(depth + 1, sink) + sink[(depth % 7) as usize]
}

impl Guest for Hostile {
    fn describe() -> Metadata {
        if mode() == "describe-trap" {
            panic!("refusing to describe myself");
        }
        // `name` and `pattern` let one component stand for many plugins (the engine
        // benchmark loads it thousands of times, each selecting other events).
        Metadata {
            name: config("name").unwrap_or_else(|| format!("hostile-{}", mode())),
            version: "0.1.0".into(),
            description: "misbehaves on purpose".into(),
            patterns: config("pattern").into_iter().collect(),
        }
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
            "spin-clock" => {
                let start = Instant::now();
                while start.elapsed() < Duration::from_secs(10) {}
                Ok(decision("spun 10 s".into()))
            }
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
            _ => Ok(decision(format!("well-behaved: saw {}", event.id))),
        }
    }
}

export!(Hostile);
