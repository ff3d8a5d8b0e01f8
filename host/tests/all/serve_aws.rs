//! The sidecar against a real AWS-compatible server (moto): SQS intake, HTTP intake through the
//! durable outbox to SNS, de-duplication, and `kill -9` with actions pending.

use std::time::{Duration, Instant};

use crate::support::http::{get, post_json};
use crate::support::moto::{self, ACCOUNT, REGION, topic_with_queue};
use crate::support::{Sidecar, TempDir, fixture, plugins, wait_until};
use serde_json::Value;

/// A runtime for the SDK calls and SNS/SQS clients for moto.
pub(crate) fn clients(
    moto: &moto::Lease,
) -> (
    tokio::runtime::Runtime,
    aws_sdk_sns::Client,
    aws_sdk_sqs::Client,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let sdk = rt.block_on(moto::sdk_config(&moto.endpoint()));
    let (sns, sqs) = (
        aws_sdk_sns::Client::new(&sdk),
        aws_sdk_sqs::Client::new(&sdk),
    );
    (rt, sns, sqs)
}

/// A directory with sns-on-failure in plugins/ and a configuration that dispatches to
/// `endpoint` and publishes failures to `topic`.
pub(crate) fn setup(label: &str, endpoint: &str, topic: &str, extra: &str) -> TempDir {
    setup_dispatch(label, endpoint, topic, "", extra)
}

/// [`setup`] with `dispatch` added to the `[dispatch]` table.
pub(crate) fn setup_dispatch(
    label: &str,
    endpoint: &str,
    topic: &str,
    dispatch: &str,
    extra: &str,
) -> TempDir {
    let dir = TempDir::new(label);
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    std::fs::copy(
        &plugins().sns_on_failure,
        dir.path().join("plugins/sns.wasm"),
    )
    .unwrap();
    write_config(&dir, endpoint, topic, dispatch, extra);
    dir
}

fn write_config(dir: &TempDir, endpoint: &str, topic: &str, dispatch: &str, extra: &str) {
    std::fs::write(
        dir.path().join("glue-rules.toml"),
        format!(
            r#"
plugins-dir = "plugins"

[dispatch]
outbox = "outbox.sqlite"
{dispatch}

[dispatch.retry]
initial-backoff-ms = 100
max-backoff-ms = 500

[dispatch.aws]
region = "{REGION}"
endpoint-url = "{endpoint}"
timeout-ms = 5000
connect-timeout-ms = 500

[plugins.sns-on-failure.config]
topic-arn = "{topic}"
{extra}
"#
        ),
    )
    .unwrap();
}

pub(crate) fn start(dir: &TempDir) -> Sidecar {
    let cache = std::env::temp_dir().join("glue-rules-test-cache");
    let env = moto::aws_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Sidecar::start(dir.path(), &["--cache-dir", cache.to_str().unwrap()], &env)
        .expect("serve starts")
}

/// A Glue job failure, one line, with its own id and run id.
pub(crate) fn failure(id: &str) -> String {
    serde_json::json!({
        "version": "0", "id": id, "detail-type": "Glue Job State Change", "source": "aws.glue",
        "account": ACCOUNT, "time": "2024-05-01T10:00:00Z", "region": REGION, "resources": [],
        "detail": {"jobName": "nightly", "jobRunId": format!("jr_{id}"), "state": "FAILED", "severity": "ERROR"}
    })
    .to_string()
}

/// Receives from `url` until `expected` messages came and one more receive is empty, or the
/// timeout passes; returns the SNS `Message` of each.
pub(crate) async fn sns_messages(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    expected: usize,
    timeout: Duration,
) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut messages = Vec::new();
    let mut quiet = false;
    while !(messages.len() >= expected && quiet) && Instant::now() < deadline {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        quiet = out.messages().is_empty();
        for m in out.messages() {
            let envelope: Value = serde_json::from_str(m.body().unwrap_or("{}")).unwrap();
            messages.push(envelope["Message"].as_str().unwrap_or_default().to_owned());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    messages
}

fn metric(sidecar: &Sidecar, line_prefix: &str) -> f64 {
    let text = get(sidecar.addr, "/metrics").unwrap().text();
    text.lines()
        .find(|l| l.starts_with(line_prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn sqs_intake_evaluates_dispatches_and_deletes_and_leaves_malformed_messages() {
    let moto = moto::lease();
    let (rt, sns, sqs) = clients(&moto);
    let name = moto::unique("intake");
    let (topic, alerts) = rt.block_on(topic_with_queue(&sns, &sqs, &name));
    let intake = rt.block_on(async {
        sqs.create_queue()
            .queue_name(format!("{name}-events"))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap()
    });
    let extra = format!(
        "[serve.sqs]\nqueue-url = \"{intake}\"\nwait-time-secs = 1\nvisibility-timeout-secs = 30\n"
    );
    let dir = setup("sqs-intake", &moto.endpoint(), &topic, &extra);
    let sidecar = start(&dir);

    // As EventBridge sends them: the event JSON as the body.
    let bodies = [
        std::fs::read_to_string(fixture("failed-job-run.json")).unwrap(),
        std::fs::read_to_string(fixture("successful-job-run.json")).unwrap(),
        "this is not an event".to_owned(),
    ];
    rt.block_on(async {
        for body in &bodies {
            sqs.send_message()
                .queue_url(&intake)
                .message_body(body)
                .send()
                .await
                .unwrap();
        }
    });

    let published = rt.block_on(sns_messages(&sqs, &alerts, 1, Duration::from_secs(30)));
    assert_eq!(
        published.len(),
        1,
        "one failure alert: {published:?}\n{}",
        sidecar.log()
    );
    assert!(published[0].contains("MyJob") && published[0].contains("FAILED"));
    wait_until("intake metrics", Duration::from_secs(20), || {
        metric(
            &sidecar,
            "glue_rules_intake_events_total{source=\"sqs\",outcome=\"accepted\"}",
        ) == 2.0
            && metric(
                &sidecar,
                "glue_rules_intake_events_total{source=\"sqs\",outcome=\"malformed\"}",
            ) >= 1.0
    });
    // The two good messages were deleted; the malformed one is still on the queue (in flight
    // until its visibility timeout), for the queue's redrive policy.
    let remaining = rt.block_on(async {
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&intake)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        let count = |name: aws_sdk_sqs::types::QueueAttributeName| {
            attrs
                .get(&name)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            + count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
    });
    assert_eq!(remaining, 1, "only the malformed message is left");
    assert!(
        sidecar.log().contains("malformed message left"),
        "{}",
        sidecar.log()
    );
}

#[test]
fn the_same_event_posted_three_times_is_published_once() {
    let moto = moto::lease();
    let (rt, sns, sqs) = clients(&moto);
    let (topic, alerts) = rt.block_on(topic_with_queue(&sns, &sqs, &moto::unique("dedupe")));
    let dir = setup("serve-dedupe", &moto.endpoint(), &topic, "");
    let sidecar = start(&dir);
    let event = failure("dup-1");
    for _ in 0..3 {
        let response = post_json(sidecar.addr, "/v1/events", event.as_bytes()).unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
        // Every answer still carries the decision; only the delivery is de-duplicated.
        assert_eq!(response.json()["decisions"][0]["matched"], true);
    }
    let published = rt.block_on(sns_messages(&sqs, &alerts, 1, Duration::from_secs(20)));
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(metric(&sidecar, "glue_rules_duplicate_events_total"), 2.0);
    assert_eq!(
        metric(&sidecar, "glue_rules_actions_sent_total{type=\"sns\"}"),
        1.0
    );
}

#[test]
fn kill_9_of_the_sidecar_with_actions_pending_loses_nothing() {
    let moto = moto::lease();
    let (rt, sns, sqs) = clients(&moto);
    let (topic, alerts) = rt.block_on(topic_with_queue(&sns, &sqs, &moto::unique("kill9")));
    // First life: AWS is unreachable (a closed loopback port), so everything stays pending.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = setup("serve-kill9", &format!("http://{closed}"), &topic, "");
    let mut sidecar = start(&dir);
    let ids: Vec<String> = (0..20).map(|i| format!("kill9-{i:02}")).collect();
    let batch = ids
        .iter()
        .map(|id| failure(id))
        .collect::<Vec<_>>()
        .join("\n");
    let response = crate::support::http::request(
        sidecar.addr,
        "POST",
        "/v1/events",
        &[("content-type", "application/x-ndjson")],
        batch.as_bytes(),
    )
    .unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    wait_until("a failed attempt", Duration::from_secs(20), || {
        metric(&sidecar, "glue_rules_actions_failed_total{type=\"sns\"}") >= 1.0
    });
    assert_eq!(metric(&sidecar, "glue_rules_outbox_depth"), 20.0);
    sidecar.signal(9);
    sidecar.wait(Duration::from_secs(10)).expect("killed");

    // Second life: AWS is back; what was acknowledged is delivered.
    write_config(&dir, &moto.endpoint(), &topic, "", "");
    let sidecar = start(&dir);
    let published = rt.block_on(sns_messages(&sqs, &alerts, 20, Duration::from_secs(60)));
    let mut seen: Vec<String> = published
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.starts_with("Event id:"))
                .map(|l| l["Event id:".len()..].trim().to_owned())
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        ids,
        "every acknowledged action arrived: {}",
        sidecar.log()
    );
    wait_until("an empty outbox", Duration::from_secs(10), || {
        metric(&sidecar, "glue_rules_outbox_depth") == 0.0
    });
}
