//! Replicas that share de-duplication on DynamoDB (moto): an event delivered to several
//! replicas fires once; a claim left by a dead replica is taken over after its lease; a table
//! that cannot be reached acknowledges nothing.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::serve_aws::{clients, failure, setup_dispatch, sns_messages, start};
use crate::support::http::post_json;
use crate::support::moto::{self, topic_with_queue};
use crate::support::{Sidecar, TempDir, run_with_env};

fn dynamodb(rt: &tokio::runtime::Runtime, moto: &moto::Lease) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&rt.block_on(moto::sdk_config(&moto.endpoint())))
}

/// A replica's directory: its own outbox, the shared table, a lease of `lease` seconds.
fn replica(label: &str, moto: &moto::Lease, topic: &str, table: &str, lease: u64) -> TempDir {
    setup_dispatch(
        label,
        &moto.endpoint(),
        topic,
        &format!("dedupe-table = \"{table}\"\ndedupe-lease-secs = {lease}\n"),
        "",
    )
}

/// `glue-rules dedupe init` in `dir` (the table its configuration names).
fn init(dir: &TempDir) -> String {
    let output =
        run_with_env(dir.path(), &["dedupe", "init"], &moto::aws_env()).expect("dedupe init runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn post(sidecar: &Sidecar, body: &str) -> (u16, serde_json::Value) {
    let response = post_json(sidecar.addr, "/v1/events", body.as_bytes()).unwrap();
    (response.status, response.json())
}

fn key_of(item: &std::collections::HashMap<String, AttributeValue>) -> String {
    item["key"].as_s().unwrap().clone()
}

#[test]
fn an_event_delivered_to_two_replicas_fires_once() {
    let moto = moto::lease();
    let (rt, sns, sqs) = clients(&moto);
    let name = moto::unique("shared-dedupe");
    let (topic, alerts) = rt.block_on(topic_with_queue(&sns, &sqs, &name));
    let table = format!("{name}-dedupe");
    let (a, b) = (
        replica("replica-a", &moto, &topic, &table, 30),
        replica("replica-b", &moto, &topic, &table, 30),
    );
    assert!(init(&a).contains(&format!("created DynamoDB table {table}")));
    // Idempotent.
    assert!(init(&b).contains("exists"));
    let (a, b) = (start(&a), start(&b));

    let events: Vec<String> = (0..10).map(|i| failure(&format!("{name}-{i}"))).collect();
    for (i, event) in events.iter().enumerate() {
        // Each event to one replica, then again to the other and to the first: three
        // deliveries, every one acknowledged.
        let (first, second) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        for sidecar in [first, second, first] {
            let (status, body) = post(sidecar, event);
            assert_eq!(status, 200, "{body}\n{}", sidecar.log());
        }
    }
    let published = rt.block_on(sns_messages(&sqs, &alerts, 10, Duration::from_secs(60)));
    assert_eq!(
        published.len(),
        10,
        "one message per distinct event: {published:?}\n{}\n{}",
        a.log(),
        b.log()
    );
    // Each replica counts its claims: 10 won, 20 duplicates, between them.
    let count = |sidecar: &Sidecar, outcome: &str| -> f64 {
        let text = crate::support::http::get(sidecar.addr, "/metrics")
            .unwrap()
            .text();
        let prefix = format!("glue_rules_dedupe_claims_total{{outcome=\"{outcome}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0.0, |v| v.parse().unwrap())
    };
    assert_eq!(count(&a, "won") + count(&b, "won"), 10.0);
    assert_eq!(count(&a, "duplicate") + count(&b, "duplicate"), 20.0);
    assert_eq!(count(&a, "held") + count(&b, "held"), 0.0);
    // Every claim is done, with a TTL.
    let items = rt
        .block_on(dynamodb(&rt, &moto).scan().table_name(&table).send())
        .unwrap();
    assert_eq!(items.items().len(), 10);
    for item in items.items() {
        assert_eq!(item["state"].as_s().unwrap(), "done", "{}", key_of(item));
        assert!(item.contains_key("expires_at"));
    }
}

#[test]
fn a_claim_left_by_a_dead_replica_is_taken_over_once_its_lease_expires() {
    let moto = moto::lease();
    let (rt, sns, sqs) = clients(&moto);
    let name = moto::unique("claim-lease");
    let (topic, alerts) = rt.block_on(topic_with_queue(&sns, &sqs, &name));
    let table = format!("{name}-dedupe");
    let dir = replica("replica-lease", &moto, &topic, &table, 30);
    init(&dir);
    let sidecar = start(&dir);
    let dynamo = dynamodb(&rt, &moto);
    let event = failure(&format!("{name}-1"));

    // The pending claim of a replica that died while recording the event, its lease still
    // running: the item as that replica wrote it, under the event's key.
    let parsed = glue_rules::runtime::event::Event::parse(
        event.as_bytes(),
        glue_rules::runtime::event::MAX_EVENT_BYTES,
    )
    .unwrap();
    let key = parsed.dedupe_key().to_hex();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let set_claim = |lease_until_ms: u64| {
        rt.block_on(
            dynamo
                .put_item()
                .table_name(&table)
                .item("key", AttributeValue::S(key.clone()))
                .item("state", AttributeValue::S("pending".into()))
                .item("owner", AttributeValue::S("dead-replica".into()))
                .item(
                    "lease_until_ms",
                    AttributeValue::N(lease_until_ms.to_string()),
                )
                .item(
                    "expires_at",
                    AttributeValue::N((now_ms / 1000 + 3600).to_string()),
                )
                .send(),
        )
        .unwrap();
    };
    set_claim(now_ms + 600_000);
    // Held by the dead replica: not acknowledged, so that the sender retries.
    let response = post_json(sidecar.addr, "/v1/events", event.as_bytes()).unwrap();
    assert_eq!(response.status, 503, "{}", response.text());
    assert!(response.header("retry-after").is_some());
    assert!(
        response.text().contains("another replica"),
        "{}",
        response.text()
    );
    // The lease runs out: the next delivery takes the claim over and fires.
    set_claim(now_ms - 1);
    let (status, body) = post(&sidecar, &event);
    assert_eq!(status, 200, "{body}");
    let published = rt.block_on(sns_messages(&sqs, &alerts, 1, Duration::from_secs(60)));
    assert_eq!(published.len(), 1, "{published:?}");
}

#[test]
fn an_unreachable_table_acknowledges_nothing_and_loses_nothing() {
    let moto = moto::lease();
    let (rt, sns, sqs) = clients(&moto);
    let name = moto::unique("no-table");
    let (topic, alerts) = rt.block_on(topic_with_queue(&sns, &sqs, &name));
    let table = format!("{name}-dedupe");
    // The table does not exist yet.
    let dir = replica("replica-no-table", &moto, &topic, &table, 30);
    let sidecar = start(&dir);
    let event = failure(&format!("{name}-1"));
    let response = post_json(sidecar.addr, "/v1/events", event.as_bytes()).unwrap();
    assert_eq!(response.status, 503, "{}", response.text());
    assert!(response.header("retry-after").is_some());
    assert!(
        response.text().contains("de-duplication") && response.text().contains(&table),
        "{}",
        response.text()
    );
    assert!(
        rt.block_on(sns_messages(&sqs, &alerts, 0, Duration::from_secs(3)))
            .is_empty()
    );
    // Once the table is there, the retry fires.
    init(&dir);
    let (status, body) = post(&sidecar, &event);
    assert_eq!(status, 200, "{body}");
    let published = rt.block_on(sns_messages(&sqs, &alerts, 1, Duration::from_secs(60)));
    assert_eq!(published.len(), 1);
}

/// A stateless replica: SQS intake, the SQS outbox, DynamoDB de-duplication; nothing local.
fn stateless_replica(
    label: &str,
    moto: &moto::Lease,
    topic: &str,
    queues: &Queues,
    table: &str,
) -> TempDir {
    let intake = format!(
        "[serve.sqs]\nqueue-url = \"{}\"\nwait-time-secs = 1\n\
         # A killed replica's messages come back after this, and its claims' leases (below)\n\
         # are over by then.\nvisibility-timeout-secs = 6\n",
        queues.intake
    );
    replica_on_queues(label, moto, topic, queues, table, &intake)
}

/// A replica with the SQS outbox and DynamoDB de-duplication, and `intake` added (an SQS
/// intake table, or nothing for HTTP alone).
fn replica_on_queues(
    label: &str,
    moto: &moto::Lease,
    topic: &str,
    queues: &Queues,
    table: &str,
    intake: &str,
) -> TempDir {
    let dir = TempDir::new(label);
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    std::fs::copy(
        &crate::support::plugins().sns_on_failure,
        dir.path().join("plugins/sns.wasm"),
    )
    .unwrap();
    let endpoint = moto.endpoint();
    std::fs::write(
        dir.path().join("glue-rules.toml"),
        format!(
            r#"
plugins-dir = "plugins"

{intake}

[dispatch]
outbox-queue-url = "{outbox}"
dedupe-table = "{table}"
dedupe-lease-secs = 3

[dispatch.retry]
initial-backoff-ms = 1000
max-backoff-ms = 2000

[dispatch.aws]
region = "{region}"
endpoint-url = "{endpoint}"
timeout-ms = 5000
connect-timeout-ms = 500

[plugins.sns-on-failure.config]
topic-arn = "{topic}"
"#,
            outbox = queues.outbox,
            region = moto::REGION,
        ),
    )
    .unwrap();
    dir
}

struct Queues {
    intake: String,
    outbox: String,
    dead: String,
}

async fn queues(sqs: &aws_sdk_sqs::Client, name: &str) -> Queues {
    use aws_sdk_sqs::types::QueueAttributeName;
    let create = |queue: String, attributes: Vec<(QueueAttributeName, String)>| async move {
        let mut call = sqs.create_queue().queue_name(queue);
        for (k, v) in attributes {
            call = call.attributes(k, v);
        }
        call.send().await.unwrap().queue_url.unwrap()
    };
    let dead = create(format!("{name}-outbox-dead"), vec![]).await;
    let dead_arn = sqs
        .get_queue_attributes()
        .queue_url(&dead)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let outbox = create(
        format!("{name}-outbox"),
        vec![(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{dead_arn}","maxReceiveCount":"20"}}"#),
        )],
    )
    .await;
    let intake = create(format!("{name}-intake"), vec![]).await;
    Queues {
        intake,
        outbox,
        dead,
    }
}

/// The event id in each SNS message (sns-on-failure writes `Event id: ...`).
fn event_ids(messages: &[String]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("Event id: "))
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn three_stateless_replicas_fire_every_event_once_though_one_is_killed() {
    let moto = moto::lease();
    let (rt, sns, sqs) = clients(&moto);
    let name = moto::unique("replicas");
    let (topic, alerts) = rt.block_on(topic_with_queue(&sns, &sqs, &name));
    let queues = rt.block_on(queues(&sqs, &name));
    let table = format!("{name}-dedupe");
    let dirs: Vec<TempDir> = (0..3)
        .map(|i| stateless_replica(&format!("replica-{i}"), &moto, &topic, &queues, &table))
        .collect();
    init(&dirs[0]);
    let mut replicas: Vec<Sidecar> = dirs.iter().map(start).collect();

    // 300 distinct failures, and 100 re-deliveries of some of them, in one shuffled stream.
    let distinct: Vec<String> = (0..300).map(|i| format!("{name}-{i}")).collect();
    let mut deliveries: Vec<&String> = distinct.iter().collect();
    deliveries.extend(distinct.iter().step_by(3).take(100));
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in (1..deliveries.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        deliveries.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let send = |batch: &[&String]| {
        rt.block_on(async {
            for chunk in batch.chunks(10) {
                let entries = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                            .id(format!("m{i}"))
                            .message_body(failure(id))
                            .build()
                            .unwrap()
                    })
                    .collect();
                sqs.send_message_batch()
                    .queue_url(&queues.intake)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    let started = std::time::Instant::now();
    let (first, second) = deliveries.split_at(deliveries.len() / 2);
    send(first);
    // Half-way: one replica dies with whatever it holds, and is not restarted.
    crate::support::wait_until(
        "the first half to be taken",
        Duration::from_secs(120),
        || {
            let attributes = rt
                .block_on(
                    sqs.get_queue_attributes()
                        .queue_url(&queues.intake)
                        .attribute_names(
                            aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages,
                        )
                        .send(),
                )
                .unwrap();
            let visible: u64 = attributes.attributes().unwrap()
                [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages]
                .parse()
                .unwrap();
            visible < 100
        },
    );
    replicas[1].signal(9);
    assert!(replicas[1].wait(Duration::from_secs(30)).is_some());
    send(second);

    let listen_until = Instant::now() + Duration::from_secs(240);
    let mut published = rt.block_on(sns_messages(&sqs, &alerts, 300, Duration::from_secs(240)));
    // 300 messages may hold a duplicate while an event is still on its way: one the killed
    // replica had claimed fires once that claim's lease runs out and the intake queue delivers
    // it again. Keep listening until every event has fired (or the time is up).
    while Instant::now() < listen_until && {
        let fired: std::collections::BTreeSet<String> = event_ids(&published).into_iter().collect();
        distinct.iter().any(|id| !fired.contains(id))
    } {
        published.extend(rt.block_on(sns_messages(&sqs, &alerts, 1, Duration::from_secs(10))));
    }
    let elapsed = started.elapsed();
    let ids = event_ids(&published);
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    let missing: Vec<&String> = distinct.iter().filter(|id| !unique.contains(id)).collect();
    let duplicates = ids.len() - unique.len();
    eprintln!(
        "3 replicas, one killed: {} deliveries of {} events; {} SNS messages, {} distinct, {} \
         duplicates, in {elapsed:?}",
        deliveries.len(),
        distinct.len(),
        ids.len(),
        unique.len(),
        duplicates
    );
    assert!(
        missing.is_empty(),
        "{} events never fired: {:?}\n{}\n{}",
        missing.len(),
        &missing[..missing.len().min(5)],
        replicas[0].log(),
        replicas[2].log()
    );
    // At least once: only actions in flight on the killed replica may fire twice.
    assert!(duplicates <= 20, "{duplicates} duplicates");
    // Nothing was dead-lettered, and the outbox queue drained.
    let dead = rt.block_on(
        sqs.receive_message()
            .queue_url(&queues.dead)
            .wait_time_seconds(1)
            .send(),
    );
    assert!(dead.unwrap().messages().is_empty());
    replicas.truncate(0);
}

fn run_cli(dir: &TempDir, args: &[&str]) -> (i32, String, String) {
    let output = run_with_env(dir.path(), args, &moto::aws_env()).expect("glue-rules runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_sqs_outboxs_dead_letters_are_listed_redriven_and_purged() {
    let moto = moto::lease();
    let (rt, sns, sqs) = clients(&moto);
    let name = moto::unique("queue-dlq");
    let queues = rt.block_on(queues(&sqs, &name));
    let table = format!("{name}-dedupe");
    // A topic that does not exist yet: SNS answers NotFound, which is not retryable.
    let topic = format!(
        "arn:aws:sns:{}:{}:{name}-later",
        moto::REGION,
        moto::ACCOUNT
    );
    let dir = replica_on_queues("queue-dlq", &moto, &topic, &queues, &table, "");
    init(&dir);
    let sidecar = start(&dir);
    for i in 0..2 {
        let (status, body) = post(&sidecar, &failure(&format!("{name}-{i}")));
        assert_eq!(status, 200, "{body}");
    }
    let mut letters = Vec::new();
    crate::support::wait_until("two dead letters", Duration::from_secs(60), || {
        let (code, out, err) = run_cli(&dir, &["dlq", "list", "--json"]);
        assert_eq!(code, 0, "{err}");
        letters = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect();
        letters.len() == 2
    });
    for letter in &letters {
        assert_eq!(letter["reason"], "non-retryable", "{letter}");
        assert_eq!(letter["plugin"], "sns-on-failure");
        assert_eq!(letter["kind"], "sns");
    }
    let (code, out, _) = run_cli(&dir, &["dlq", "show", &letters[0]["id"].to_string()]);
    assert_eq!(code, 0);
    assert!(out.contains(&topic), "{out}");

    // The topic appears; one letter is redriven and sent, the other purged.
    let (created, alerts) = rt.block_on(topic_with_queue(&sns, &sqs, &format!("{name}-later")));
    assert_eq!(created, topic);
    let first = letters[0]["id"].to_string();
    let (code, out, err) = run_cli(&dir, &["dlq", "redrive", &first]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("redrove 1 dead letters"), "{out}");
    let published = rt.block_on(sns_messages(&sqs, &alerts, 1, Duration::from_secs(60)));
    assert_eq!(published.len(), 1, "{}", sidecar.log());
    let (code, out, err) = run_cli(&dir, &["dlq", "purge", "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("purged 1 dead letters"), "{out}");
    let (_, out, _) = run_cli(&dir, &["dlq", "list"]);
    assert!(out.contains("no dead letters"), "{out}");
}

#[test]
fn an_unavailable_outbox_queue_acknowledges_nothing_and_loses_nothing() {
    let moto = moto::lease();
    let (rt, sns, sqs) = clients(&moto);
    let name = moto::unique("queue-down");
    let (topic, alerts) = rt.block_on(topic_with_queue(&sns, &sqs, &name));
    let queues = rt.block_on(queues(&sqs, &name));
    let table = format!("{name}-dedupe");
    let dir = replica_on_queues("queue-down", &moto, &topic, &queues, &table, "");
    init(&dir);
    let sidecar = start(&dir);
    rt.block_on(sqs.delete_queue().queue_url(&queues.outbox).send())
        .unwrap();
    let event = failure(&format!("{name}-1"));
    let response = post_json(sidecar.addr, "/v1/events", event.as_bytes()).unwrap();
    assert_eq!(response.status, 503, "{}", response.text());
    assert!(response.header("retry-after").is_some());
    assert!(
        response.text().contains("outbox queue"),
        "{}",
        response.text()
    );
    // The queue is back (same name, same URL); the sender's retry is recorded and sent.
    let back = rt.block_on(queues_again(&sqs, &name));
    assert_eq!(back, queues.outbox);
    let (status, body) = post(&sidecar, &event);
    assert_eq!(status, 200, "{body}\n{}", sidecar.log());
    let published = rt.block_on(sns_messages(&sqs, &alerts, 1, Duration::from_secs(60)));
    assert_eq!(published.len(), 1, "{}", sidecar.log());
}

/// Creates the outbox queue again after it was deleted.
async fn queues_again(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(format!("{name}-outbox"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap()
}
