//! SQS intake: long-poll a queue that an EventBridge rule targets.
//!
//! EventBridge puts the event, as JSON, in the message body. A message is deleted only after
//! its event was evaluated and its actions recorded. A malformed message is counted, logged
//! and left on the queue, so the queue's own redrive policy moves it to a dead-letter queue
//! after `maxReceiveCount` tries; nothing is silently dropped. A message whose evaluation
//! failed under `on-error = "fail"` is left too, and comes back after its visibility timeout.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use tokio::sync::watch;

use glue_rules_runtime::event::Event;

use super::AppState;
use crate::intake::{Batching, Verdict};
use crate::metrics::{IntakeOutcome, IntakeSource};

/// The SQS intake of a sidecar: which queue, how to poll it, and how to reach SQS.
#[derive(Debug, Clone)]
pub struct SqsIntake {
    /// How to poll.
    pub options: SqsOptions,
    /// The region (`None`: the standard AWS chain).
    pub region: Option<String>,
    /// An endpoint URL overriding AWS's (a local stand-in in tests).
    pub endpoint_url: Option<String>,
}

impl SqsIntake {
    /// Builds the client and starts the pollers; they stop when `stop` turns true.
    pub(crate) async fn spawn(
        self,
        state: Arc<AppState>,
        stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let sdk =
            glue_rules_dispatch::sdk_config(self.region.as_deref(), self.endpoint_url.as_deref())
                .await;
        let client = aws_sdk_sqs::Client::new(&sdk);
        tracing::info!(
            queue = %self.options.queue_url,
            pollers = self.options.concurrency,
            "polling SQS"
        );
        tokio::spawn(run(state, client, self.options, stop))
    }
}

/// How to poll.
#[derive(Debug, Clone)]
pub struct SqsOptions {
    /// The queue's URL.
    pub queue_url: String,
    /// How many pollers run at once (each takes up to 10 messages per receive).
    pub concurrency: usize,
    /// Long-poll wait, in seconds (0 to 20).
    pub wait_time_secs: i32,
    /// How long a received message stays hidden from other consumers; `None` keeps the
    /// queue's own setting.
    pub visibility_timeout_secs: Option<i32>,
}

impl SqsOptions {
    /// Options for `queue_url` with the defaults: 2 pollers, 20 s long polls.
    pub fn new(queue_url: impl Into<String>) -> Self {
        Self {
            queue_url: queue_url.into(),
            concurrency: 2,
            wait_time_secs: 20,
            visibility_timeout_secs: None,
        }
    }
}

/// Runs `options.concurrency` pollers until `stop` turns true; each finishes the batch it holds
/// before returning.
pub async fn run(
    state: Arc<AppState>,
    client: aws_sdk_sqs::Client,
    options: SqsOptions,
    stop: watch::Receiver<bool>,
) {
    let pollers: Vec<_> = (0..options.concurrency.max(1))
        .map(|_| {
            tokio::spawn(poll(
                state.clone(),
                client.clone(),
                options.clone(),
                stop.clone(),
            ))
        })
        .collect();
    for poller in pollers {
        let _ = poller.await;
    }
}

async fn poll(
    state: Arc<AppState>,
    client: aws_sdk_sqs::Client,
    options: SqsOptions,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(200);
    while !*stop.borrow() {
        let mut receive = client
            .receive_message()
            .queue_url(&options.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(options.wait_time_secs);
        if let Some(secs) = options.visibility_timeout_secs {
            receive = receive.visibility_timeout(secs);
        }
        let received = tokio::select! {
            result = receive.send() => result,
            _ = stop.changed() => break,
        };
        let messages = match received {
            Ok(output) => {
                backoff = Duration::from_millis(200);
                output.messages.unwrap_or_default()
            }
            Err(e) => {
                state.metrics.sqs_receive_error();
                tracing::warn!(
                    queue = %options.queue_url,
                    "receiving from SQS failed, retrying in {backoff:?}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                );
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => break,
                }
                backoff = (backoff * 2).min(Duration::from_secs(20));
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        handle_batch(&state, &client, &options.queue_url, messages).await;
    }
}

/// Evaluates, records and deletes one received batch.
async fn handle_batch(
    state: &Arc<AppState>,
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: Vec<aws_sdk_sqs::types::Message>,
) {
    let max_bytes = state.config.runtime.max_event_bytes;
    let mut receipts: Vec<String> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    for message in messages {
        let id = message.message_id.clone().unwrap_or_default();
        let Some(receipt) = message.receipt_handle else {
            continue;
        };
        let body = message.body.unwrap_or_default();
        match Event::parse(body.as_bytes(), max_bytes) {
            Ok(event) => {
                receipts.push(receipt);
                events.push(event);
            }
            Err(e) => {
                state
                    .metrics
                    .intake(IntakeSource::Sqs, IntakeOutcome::Malformed, 1);
                tracing::warn!(
                    message_id = %id,
                    queue = %queue_url,
                    "malformed message left for the queue's redrive policy: {e}"
                );
            }
        }
    }
    if events.is_empty() {
        return;
    }

    // The poller waits for room rather than being refused: the messages stay hidden on the
    // queue meanwhile, and no more are received until this batch is done.
    let admission = state.pool.admit().await;
    let worker = state.clone();
    let evaluated = state
        .pool
        .run(admission, move || {
            let evaluated = worker.intake.evaluate(&events);
            (events, evaluated)
        })
        .await;
    let ((events, evaluated), admission) = match evaluated {
        Ok(done) => done,
        Err(e) => {
            tracing::error!("evaluation aborted; the messages will be retried: {e}");
            return;
        }
    };
    let worker = state.clone();
    let done = tokio::task::spawn_blocking(move || {
        let _admission = admission;
        let processed =
            worker
                .intake
                .record(IntakeSource::Sqs, &events, evaluated, Batching::PerEvent);
        let mut deletable = Vec::new();
        for ((receipt, event), verdict) in
            receipts.into_iter().zip(&events).zip(&processed.verdicts)
        {
            match verdict {
                Verdict::Accepted(_) => deletable.push(receipt),
                Verdict::Failed => tracing::warn!(
                    event = event.id(),
                    "evaluation failed; the message will be retried"
                ),
                Verdict::Unrecorded(e) => tracing::error!(
                    event = event.id(),
                    "actions not recorded; the message will be retried: {e}"
                ),
            }
        }
        deletable
    })
    .await;
    let deletable = match done {
        Ok(receipts) => receipts,
        Err(e) => {
            tracing::error!("recording aborted; the messages will be retried: {e}");
            return;
        }
    };
    if deletable.is_empty() {
        return;
    }
    let entries: Vec<DeleteMessageBatchRequestEntry> = deletable
        .into_iter()
        .enumerate()
        .filter_map(|(i, receipt)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(receipt)
                .build()
                .ok()
        })
        .collect();
    match client
        .delete_message_batch()
        .queue_url(queue_url)
        .set_entries(Some(entries))
        .send()
        .await
    {
        Ok(output) => {
            for failed in output.failed {
                // Its actions are recorded; if it comes back, de-duplication stops a second
                // delivery.
                tracing::warn!(entry = %failed.id, "SQS delete failed: {:?}", failed.message);
            }
        }
        Err(e) => tracing::warn!(
            "SQS delete failed; the messages may be received again: {}",
            aws_sdk_sqs::error::DisplayErrorContext(&e)
        ),
    }
}
