//! Dispatch against a real AWS-compatible server: the real `glue-rules` binary sends through
//! the outbox to moto, and every effect is checked in moto with the AWS SDK.
//!
//! The actions come from the hostile test plugin in its `all-actions` mode, which emits one
//! action per configured target, each carrying the event id. (The plugin names itself
//! `hostile-well-behaved` until its settings are applied, so its table is keyed by that name,
//! and its `name` setting keeps that name once it describes itself again with its settings.)

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::moto::{
    ACCOUNT, REGION, aws_env, create_queue, lease, sdk_config, topic_with_queue, unique,
};
use crate::support::{TempDir, binary, plugins};
use serde_json::Value;

const PLUGIN: &str = "hostile-well-behaved";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn cache_dir() -> PathBuf {
    std::env::temp_dir().join("glue-rules-test-cache")
}

/// One test's working directory and configuration.
struct Setup {
    dir: TempDir,
    config: PathBuf,
}

impl Setup {
    /// A configuration whose dispatch goes to `endpoint` with fast retries, and whose
    /// all-actions plugin targets `targets`.
    fn new(label: &str, endpoint: &str, targets: &[(&str, &str)]) -> Self {
        let dir = TempDir::new(label);
        let mut text = format!(
            r#"
[dispatch]
outbox = "outbox.sqlite"

[dispatch.retry]
initial-backoff-ms = 100
max-backoff-ms = 800

[dispatch.aws]
region = "{REGION}"
endpoint-url = "{endpoint}"
timeout-ms = 10000
connect-timeout-ms = 1000

[plugins.{PLUGIN}.config]
mode = "all-actions"
name = "{PLUGIN}"
"#
        );
        for (key, value) in targets {
            text += &format!("{key} = {value:?}\n");
        }
        let config = dir.path().join("glue-rules.toml");
        std::fs::write(&config, text).expect("writing the configuration");
        Self { dir, config }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary());
        command
            .args(args)
            .current_dir(self.path())
            .env_remove("GLUE_RULES_CONFIG")
            .env_remove("GLUE_RULES_OUTBOX")
            .env("GLUE_RULES_LOG", "warn")
            .envs(aws_env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `glue-rules ARGS --config CONFIG`.
    fn run(&self, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        let config = self.config.to_str().unwrap().to_owned();
        all.extend(["--config", &config]);
        self.command(&all).output().expect("running glue-rules")
    }

    fn eval_args(&self, events: &Path, timeout_secs: u64) -> Vec<String> {
        [
            "eval",
            "--config",
            self.config.to_str().unwrap(),
            "--cache-dir",
            cache_dir().to_str().unwrap(),
            "--plugin",
            plugins().hostile.to_str().unwrap(),
            "--dispatch",
            "--dispatch-timeout",
            &timeout_secs.to_string(),
            events.to_str().unwrap(),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }

    /// `glue-rules eval --dispatch` over `events`.
    fn eval_dispatch(&self, events: &Path, timeout_secs: u64) -> Output {
        let args = self.eval_args(events, timeout_secs);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.command(&args)
            .output()
            .expect("running glue-rules eval")
    }

    /// The same, left running, its output going to files (a pipe nobody reads would stall
    /// it once full).
    fn spawn_eval_dispatch(&self, events: &Path, timeout_secs: u64) -> Child {
        let args = self.eval_args(events, timeout_secs);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = std::fs::File::create(self.path().join("eval.stdout")).unwrap();
        let err = std::fs::File::create(self.path().join("eval.stderr")).unwrap();
        self.command(&args)
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("starting glue-rules eval")
    }

    /// What the spawned eval wrote on stderr.
    fn spawned_stderr(&self) -> String {
        std::fs::read_to_string(self.path().join("eval.stderr")).unwrap_or_default()
    }

    /// `glue-rules outbox status --json`; `null` while there is no outbox yet.
    fn status(&self) -> Value {
        let output = self.run(&["outbox", "status", "--json"]);
        if output.status.code() == Some(2) && stderr(&output).contains("no outbox at") {
            return Value::Null;
        }
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        serde_json::from_slice(&output.stdout).expect("status is JSON")
    }

    fn write_events(&self, name: &str, events: &[String]) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, events.join("\n") + "\n").expect("writing events");
        path
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A Glue job state change event, one line.
fn job_event(id: &str, run: &str, state: &str) -> String {
    serde_json::json!({
        "version": "0", "id": id, "detail-type": "Glue Job State Change", "source": "aws.glue",
        "account": ACCOUNT, "time": "2024-05-01T10:00:00Z", "region": REGION, "resources": [],
        "detail": {"jobName": "nightly", "jobRunId": run, "state": state, "severity": "ERROR"}
    })
    .to_string()
}

/// `n` distinct events; their ids.
fn distinct_events(prefix: &str, n: usize) -> (Vec<String>, Vec<String>) {
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}-{i:05}")).collect();
    let events = ids
        .iter()
        .map(|id| job_event(id, &format!("jr_{id}"), "FAILED"))
        .collect();
    (ids, events)
}

fn event_id_of(payload: &str) -> String {
    let value: Value = serde_json::from_str(payload).unwrap_or_else(|e| panic!("{e}: {payload}"));
    value["eventId"].as_str().unwrap_or_default().to_owned()
}

/// Receives until at least `expected` messages arrived and a receive comes back empty (so
/// that extra copies are caught too), or `timeout` passes, deleting as it goes. Returns the
/// bodies.
async fn receive(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    expected: usize,
    timeout: Duration,
) -> Vec<String> {
    let mut bodies = Vec::new();
    let deadline = Instant::now() + timeout;
    let mut last_round_empty = false;
    loop {
        if (bodies.len() >= expected && last_round_empty) || Instant::now() > deadline {
            break;
        }
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("ReceiveMessage");
        last_round_empty = out.messages().is_empty();
        for message in out.messages() {
            bodies.push(message.body().unwrap_or_default().to_owned());
            if let Some(handle) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("DeleteMessage");
            }
        }
    }
    bodies
}

/// The `Message` of each SNS notification delivered to an SQS queue.
fn sns_messages(bodies: &[String]) -> Vec<String> {
    bodies
        .iter()
        .map(|b| {
            let envelope: Value = serde_json::from_str(b).expect("an SNS envelope");
            envelope["Message"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

/// A TCP forwarder to moto that can be started late, to play an endpoint that is down and
/// then comes up.
struct Proxy {
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Proxy {
    /// A loopback port nothing listens on (for now).
    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port()
    }

    /// Starts forwarding `port` to `target`.
    fn start(port: u16, target: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("binding the proxy port");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                for (mut from, mut to) in [
                    (client.try_clone(), server.try_clone()),
                    (server.try_clone(), client.try_clone()),
                ]
                .into_iter()
                .filter_map(|(a, b)| Some((a.ok()?, b.ok()?)))
                {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        loop {
                            match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
        Self { stop, port }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

#[test]
fn every_action_type_takes_effect_in_moto() {
    let moto = lease();
    let rt = runtime();
    let config = rt.block_on(sdk_config(&moto.endpoint()));
    let sqs = aws_sdk_sqs::Client::new(&config);
    let sns = aws_sdk_sns::Client::new(&config);
    let kinesis = aws_sdk_kinesis::Client::new(&config);
    let sfn = aws_sdk_sfn::Client::new(&config);
    let ssm = aws_sdk_ssm::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);

    let role = moto.create_role(&unique("role")).unwrap();
    let function = unique("fn");
    let stream = unique("stream");
    let machine = unique("machine");
    let instance = "i-0123456789abcdef0";
    let (topic, topic_queue, queue, machine_arn) = rt.block_on(async {
        lambda
            .create_function()
            .function_name(&function)
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .role(&role)
            .handler("handler.handle")
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(aws_sdk_lambda::primitives::Blob::new(
                        [b"PK\x05\x06".as_slice(), &[0u8; 18]].concat(),
                    ))
                    .build(),
            )
            .send()
            .await
            .expect("CreateFunction");
        let (topic, topic_queue) = topic_with_queue(&sns, &sqs, &unique("topic")).await;
        let queue = create_queue(&sqs, &unique("queue")).await;
        kinesis
            .create_stream()
            .stream_name(&stream)
            .shard_count(1)
            .send()
            .await
            .expect("CreateStream");
        let machine_arn = sfn
            .create_state_machine()
            .name(&machine)
            .role_arn(&role)
            .definition(r#"{"StartAt":"Done","States":{"Done":{"Type":"Pass","End":true}}}"#)
            .send()
            .await
            .expect("CreateStateMachine")
            .state_machine_arn()
            .to_owned();
        (topic, topic_queue, queue, machine_arn)
    });

    let setup = Setup::new(
        "dispatch-all",
        &moto.endpoint(),
        &[
            ("lambda-function", &function),
            ("sns-topic-arn", &topic),
            ("sqs-queue-url", &queue),
            ("kinesis-stream", &stream),
            ("sfn-state-machine-arn", &machine_arn),
            ("ssm-instance-id", instance),
        ],
    );
    let event_id = unique("all-six");
    let events = setup.write_events("events.ndjson", &[job_event(&event_id, "jr_1", "FAILED")]);
    moto.start_recording().unwrap();
    let output = setup.eval_dispatch(&events, 60);
    moto.stop_recording().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let payload = format!(r#"{{"eventId":"{event_id}","tag":""}}"#);

    rt.block_on(async {
        // SNS, through the queue subscribed to the topic.
        let messages = sns_messages(&receive(&sqs, &topic_queue, 1, Duration::from_secs(10)).await);
        assert_eq!(messages, [payload.as_str()], "SNS");

        // SQS, by receiving.
        let bodies = receive(&sqs, &queue, 1, Duration::from_secs(10)).await;
        assert_eq!(bodies, [payload.as_str()], "SQS");

        // Kinesis, by reading the shard.
        let shard = kinesis
            .list_shards()
            .stream_name(&stream)
            .send()
            .await
            .expect("ListShards")
            .shards()[0]
            .shard_id()
            .to_owned();
        let iterator = kinesis
            .get_shard_iterator()
            .stream_name(&stream)
            .shard_id(shard)
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("GetShardIterator")
            .shard_iterator()
            .expect("an iterator")
            .to_owned();
        let records = kinesis
            .get_records()
            .shard_iterator(iterator)
            .send()
            .await
            .expect("GetRecords");
        let data: Vec<String> = records
            .records()
            .iter()
            .map(|r| String::from_utf8_lossy(r.data().as_ref()).into_owned())
            .collect();
        assert_eq!(data, [payload.as_str()], "Kinesis");
        assert_eq!(
            records.records()[0].partition_key(),
            Some(event_id.as_str())
        );

        // Step Functions, by describing the execution.
        let executions = sfn
            .list_executions()
            .state_machine_arn(&machine_arn)
            .send()
            .await
            .expect("ListExecutions");
        assert_eq!(executions.executions().len(), 1, "Step Functions");
        let arn = executions.executions()[0].execution_arn().to_owned();
        let mut described = None;
        for _ in 0..50 {
            let d = sfn
                .describe_execution()
                .execution_arn(&arn)
                .send()
                .await
                .expect("DescribeExecution");
            if d.status() != &aws_sdk_sfn::types::ExecutionStatus::Running {
                described = Some(d);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let described = described.expect("the execution finished");
        assert_eq!(described.input(), Some(payload.as_str()));
        assert_eq!(
            described.status(),
            &aws_sdk_sfn::types::ExecutionStatus::Succeeded
        );

        // SSM, by listing commands.
        let commands = ssm.list_commands().send().await.expect("ListCommands");
        assert_eq!(commands.commands().len(), 1, "SSM");
        let command = &commands.commands()[0];
        assert_eq!(command.document_name(), Some("AWS-RunShellScript"));
        assert_eq!(command.instance_ids(), [instance]);
        assert_eq!(command.comment(), Some(event_id.as_str()));
        let parameters = command.parameters().expect("parameters");
        assert_eq!(parameters["commands"], [format!("echo {event_id}")]);
    });

    // Lambda, through the recorder: one Invoke of the function with the payload.
    let invokes: Vec<Value> = moto
        .recording()
        .unwrap()
        .into_iter()
        .filter(|r| {
            r["url"]
                .as_str()
                .is_some_and(|u| u.contains(&format!("/functions/{function}/invocations")))
        })
        .collect();
    assert_eq!(invokes.len(), 1, "Lambda: {invokes:?}");
    assert_eq!(invokes[0]["headers"]["X-Amz-Invocation-Type"], "Event");
    assert_eq!(decode_body(&invokes[0]), payload, "Lambda payload");

    let status = setup.status();
    assert_eq!(status["pending"], 0);
    assert_eq!(status["deadLetters"], 0);
    for kind in ["lambda", "sns", "sqs", "kinesis", "stepfunctions", "ssm"] {
        assert_eq!(status["totals"][kind]["sent"], 1, "{kind}: {status}");
        assert_eq!(status["totals"][kind]["failed"], 0, "{kind}: {status}");
    }
}

/// A recorded request's body as text.
fn decode_body(record: &Value) -> String {
    let body = record["body"].as_str().unwrap_or_default();
    if record["body_encoded"] == true {
        String::from_utf8_lossy(&base64_decode(body)).into_owned()
    } else {
        body.to_owned()
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
    {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn an_endpoint_down_at_first_gets_everything_once_it_is_up() {
    let moto = lease();
    let rt = runtime();
    let config = rt.block_on(sdk_config(&moto.endpoint()));
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue = rt.block_on(create_queue(&sqs, &unique("down")));

    let port = Proxy::free_port();
    let setup = Setup::new(
        "dispatch-down",
        &format!("http://127.0.0.1:{port}"),
        &[("sqs-queue-url", &queue)],
    );
    let (ids, events) = distinct_events(&unique("down"), 20);
    let events = setup.write_events("events.ndjson", &events);
    let child = setup.spawn_eval_dispatch(&events, 60);

    // Wait until the actions are recorded and have failed at least once.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = setup.status();
        if status["retrying"].as_u64().unwrap_or(0) > 0 {
            assert_eq!(status["pending"], 20, "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "no retry seen: {status}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _proxy = Proxy::start(port, moto.port());
    let mut child = child;
    let code = child.wait().unwrap().code();
    let err = setup.spawned_stderr();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("dispatch: sent 20,"), "{err}");

    let bodies = rt.block_on(receive(&sqs, &queue, 20, Duration::from_secs(30)));
    let mut received: Vec<String> = bodies.iter().map(|b| event_id_of(b)).collect();
    received.sort();
    assert_eq!(received, ids, "every action once, none lost");
    let status = setup.status();
    assert!(
        status["totals"]["sqs"]["retried"].as_u64().unwrap() > 0,
        "{status}"
    );
    assert_eq!(status["totals"]["sqs"]["sent"], 20);
}

#[test]
fn a_missing_resource_is_dead_lettered_then_redriven_once_it_exists() {
    let moto = lease();
    let rt = runtime();
    let config = rt.block_on(sdk_config(&moto.endpoint()));
    let sqs = aws_sdk_sqs::Client::new(&config);
    let sns = aws_sdk_sns::Client::new(&config);
    let name = unique("late-topic");
    let topic = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}");

    let setup = Setup::new(
        "dispatch-dlq",
        &moto.endpoint(),
        &[("sns-topic-arn", &topic)],
    );
    let event_id = unique("dlq");
    let events = setup.write_events("events.ndjson", &[job_event(&event_id, "jr_1", "FAILED")]);
    let output = setup.eval_dispatch(&events, 30);
    assert_eq!(
        output.status.code(),
        Some(3),
        "dead-lettered means exit 3: {}",
        stderr(&output)
    );

    // Dead-lettered at the first attempt, with the service's code and message.
    let list = setup.run(&["dlq", "list", "--json"]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let letters: Vec<Value> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter["reason"], "non-retryable");
    assert_eq!(letter["errorCode"], "NotFound");
    assert_eq!(letter["attempts"], 1);
    assert_eq!(letter["eventId"], event_id.as_str());
    assert_eq!(letter["action"]["topicArn"], topic.as_str());
    let id = letter["id"].as_i64().unwrap().to_string();
    let show = setup.run(&["dlq", "show", &id]);
    assert_eq!(show.status.code(), Some(0));
    let shown: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(&shown, letter);
    let table = setup.run(&["dlq", "list"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("NotFound"));

    // The resource appears; the dead letter is redriven and delivered.
    let (created, queue) = rt.block_on(topic_with_queue(&sns, &sqs, &name));
    assert_eq!(created, topic);
    let redrive = setup.run(&["dlq", "redrive", &id]);
    assert_eq!(redrive.status.code(), Some(0), "{}", stderr(&redrive));
    assert!(String::from_utf8_lossy(&redrive.stdout).contains("redrove 1"));
    let status = setup.status();
    assert_eq!(
        (status["pending"].as_u64(), status["deadLetters"].as_u64()),
        (Some(1), Some(0))
    );
    let run = setup.run(&["outbox", "run", "--until-empty", "--timeout", "30"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let messages = sns_messages(&rt.block_on(receive(&sqs, &queue, 1, Duration::from_secs(10))));
    assert_eq!(messages.len(), 1);
    assert_eq!(event_id_of(&messages[0]), event_id);

    // Unknown ids are reported; purge empties the table.
    let missing = setup.run(&["dlq", "show", "999999"]);
    assert_eq!(missing.status.code(), Some(1));
    let purge = setup.run(&["dlq", "purge", "--all"]);
    assert_eq!(purge.status.code(), Some(0));
    assert_eq!(setup.status()["totals"]["sns"]["sent"], 1);
}

/// Polls `outbox status` until `ready` says so.
fn wait_for_status(setup: &Setup, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = setup.status();
        if ready(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "waiting for {what}: {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn kill_9_with_actions_pending_loses_nothing() {
    let moto = lease();
    let rt = runtime();
    let config = rt.block_on(sdk_config(&moto.endpoint()));
    let sqs = aws_sdk_sqs::Client::new(&config);

    // 1. Killed while nothing could be sent: everything is in the outbox, and a restarted
    //    worker sends it all.
    let queue = rt.block_on(create_queue(&sqs, &unique("kill-pending")));
    let port = Proxy::free_port();
    let setup = Setup::new(
        "dispatch-kill",
        &format!("http://127.0.0.1:{port}"),
        &[("sqs-queue-url", &queue)],
    );
    let (ids, events) = distinct_events(&unique("killed"), 30);
    let events = setup.write_events("events.ndjson", &events);
    let mut child = setup.spawn_eval_dispatch(&events, 120);
    wait_for_status(&setup, "recorded actions failing", |s| {
        s["retrying"].as_u64().unwrap_or(0) > 0
    });
    child.kill().expect("kill -9");
    child.wait().unwrap();
    let status = setup.status();
    assert_eq!(status["pending"], 30, "{status}");
    let _proxy = Proxy::start(port, moto.port());
    let run = setup.run(&["outbox", "run", "--until-empty", "--timeout", "60"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let mut received: Vec<String> = rt
        .block_on(receive(&sqs, &queue, 30, Duration::from_secs(30)))
        .iter()
        .map(|b| event_id_of(b))
        .collect();
    received.sort();
    assert_eq!(received, ids);

    // 2. Killed in the middle of sending: every action arrives at least once; a few may
    //    arrive twice (sent, then killed before the outbox noted it).
    let queue = rt.block_on(create_queue(&sqs, &unique("kill-sending")));
    let setup = Setup::new(
        "dispatch-kill-mid",
        &moto.endpoint(),
        &[("sqs-queue-url", &queue)],
    );
    let (ids, events) = distinct_events(&unique("midway"), 120);
    let events = setup.write_events("events.ndjson", &events);
    let mut child = setup.spawn_eval_dispatch(&events, 120);
    let status = wait_for_status(&setup, "some actions sent", |s| {
        s["totals"]["sqs"]["sent"].as_u64().unwrap_or(0) >= 10
    });
    child.kill().expect("kill -9");
    child.wait().unwrap();
    let sent_before = status["totals"]["sqs"]["sent"].as_u64().unwrap();
    let pending = setup.status()["pending"].as_u64().unwrap();
    assert!(pending > 0, "killed too late to test anything: {status}");
    let run = setup.run(&["outbox", "run", "--until-empty", "--timeout", "120"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let bodies = rt.block_on(receive(&sqs, &queue, 120, Duration::from_secs(60)));
    let mut received: Vec<String> = bodies.iter().map(|b| event_id_of(b)).collect();
    received.sort();
    let total = received.len();
    received.dedup();
    assert_eq!(received, ids, "every action at least once");
    eprintln!(
        "kill -9 mid-send: {sent_before}+ sent before the kill, {pending} pending after it, \
         {} duplicate deliveries",
        total - ids.len()
    );
    // The bound of docs/dispatch.md: the sends in flight (concurrency 16) and the results
    // not yet written down (the worker writes them in batches of 64).
    assert!(
        total - ids.len() < 16 + 64,
        "at most the sends in flight and one batch of unwritten results are repeated"
    );
}

#[test]
fn the_same_event_three_times_is_delivered_once() {
    let moto = lease();
    let rt = runtime();
    let config = rt.block_on(sdk_config(&moto.endpoint()));
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue = rt.block_on(create_queue(&sqs, &unique("dedupe")));
    let setup = Setup::new(
        "dispatch-dedupe",
        &moto.endpoint(),
        &[("sqs-queue-url", &queue)],
    );

    // Posted three times, by three runs on one outbox.
    let id = unique("again");
    let events = setup.write_events("one.ndjson", &[job_event(&id, "jr_1", "FAILED")]);
    for attempt in 0..3 {
        let output = setup.eval_dispatch(&events, 30);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let duplicate = stderr(&output).contains("1 duplicate events skipped");
        assert_eq!(duplicate, attempt > 0, "{}", stderr(&output));
    }
    // Three copies in one batch; and the same id with another state, which is another event
    // (AWS's own examples reuse ids across job states).
    let other = unique("batch");
    let events = setup.write_events(
        "batch.ndjson",
        &[
            job_event(&other, "jr_2", "FAILED"),
            job_event(&other, "jr_2", "FAILED"),
            job_event(&other, "jr_2", "FAILED"),
            job_event(&other, "jr_2", "TIMEOUT"),
        ],
    );
    let output = setup.eval_dispatch(&events, 30);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("2 duplicate events skipped"),
        "{}",
        stderr(&output)
    );

    let bodies = rt.block_on(receive(&sqs, &queue, 3, Duration::from_secs(20)));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for body in &bodies {
        *counts.entry(event_id_of(body)).or_default() += 1;
    }
    assert_eq!(counts.get(&id), Some(&1), "{counts:?}");
    assert_eq!(
        counts.get(&other),
        Some(&2),
        "FAILED and TIMEOUT: {counts:?}"
    );
    assert_eq!(bodies.len(), 3);
    let status = setup.status();
    assert_eq!(status["duplicates"], 4, "{status}");
    assert_eq!(status["totals"]["sqs"]["sent"], 3);
}

/// Actions per second sustained through the outbox to moto (a functional stand-in: moto is
/// one Python process, so this measures moto as much as glue-rules).
#[test]
fn throughput_through_the_outbox_to_moto() {
    let moto = lease();
    let rt = runtime();
    let config = rt.block_on(sdk_config(&moto.endpoint()));
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic = rt.block_on(async {
        sns.create_topic()
            .name(unique("throughput"))
            .send()
            .await
            .expect("CreateTopic")
            .topic_arn()
            .unwrap()
            .to_owned()
    });
    let queue = rt.block_on(create_queue(&sqs, &unique("throughput")));
    let n: usize = std::env::var("GLUE_RULES_THROUGHPUT_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    for (label, key, target) in [
        ("SNS Publish", "sns-topic-arn", topic.as_str()),
        ("SQS SendMessage", "sqs-queue-url", queue.as_str()),
    ] {
        let setup = Setup::new("dispatch-throughput", &moto.endpoint(), &[(key, target)]);
        let (_, events) = distinct_events(&unique("rate"), n);
        let events = setup.write_events("events.ndjson", &events);
        let output = setup.eval_dispatch(&events, 300);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let err = stderr(&output);
        let line = err
            .lines()
            .find(|l| l.starts_with("dispatch: sent"))
            .expect("a dispatch summary");
        assert!(line.starts_with(&format!("dispatch: sent {n},")), "{line}");
        let secs: f64 = line
            .split(" in ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|s| s.parse().ok())
            .expect("the time in the summary");
        eprintln!(
            "throughput: {n} × {label} through the outbox to moto in {secs:.2} s = {:.0} actions/s",
            n as f64 / secs
        );
        if key == "sqs-queue-url" {
            let bodies = rt.block_on(receive(&sqs, &queue, n, Duration::from_secs(120)));
            assert_eq!(bodies.len(), n);
        }
    }
}
