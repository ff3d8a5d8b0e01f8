//! The distributed outbox on SQS (`[dispatch] outbox-queue-url`).
//!
//! ```text
//! intake ──SendMessageBatch──▶ outbox queue ──receive──▶ QueueWorker (every replica) ──▶ AWS
//!          (then acknowledged)       │                     ok: DeleteMessageBatch
//!                                    │                     retryable: ChangeMessageVisibility
//!                                    └── redrive policy ──▶ dead-letter queue (also: at once,
//!                                                           for a non-retryable failure)
//! ```
//!
//! One message per action, carrying the action, its event and plugin, and an id that is the
//! same for every retry. On a FIFO queue an event's actions share a message group (its key) and
//! each has a de-duplication id, so a recording retried within SQS's five-minute window is not
//! queued twice. With this outbox, SQS intake and the shared de-duplication table, a replica
//! keeps no durable state of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName, SendMessageBatchRequestEntry,
};
use glue_rules_core::{Action, ActionSink, Receipt, SinkError, Submission};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{DispatchConfig, RetryPolicy};
use crate::dispatcher::{Dispatcher, SendError};
use crate::outbox::PendingAction;
use crate::{DispatchError, now_ms};

/// SQS's limits on one `SendMessageBatch`: ten entries, 256 KiB of bodies in all.
const BATCH_ENTRIES: usize = 10;
const BATCH_BYTES: usize = 256 * 1024;

/// One action as it travels through the outbox queue.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueuedAction {
    /// The format of this message, for future readers.
    v: u32,
    /// Stable across retries and redrives: derived from the event's key and the action's place.
    id: i64,
    event_id: String,
    plugin: String,
    action: Action,
    /// When the action was recorded (epoch milliseconds): its age is counted from here.
    recorded_ms: u64,
}

/// The action's id: the first 63 bits of SHA-256 over the event key and its index.
fn action_id(key: &[u8; 32], index: usize) -> (i64, String) {
    let mut hash = Sha256::new();
    hash.update(key);
    hash.update((index as u64).to_be_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let id = (u64::from_be_bytes(first) >> 1) as i64;
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    (id, hex)
}

fn sqs_error<E, R>(queue: &str, what: &str, err: aws_sdk_sqs::error::SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    format!("{what} on {queue}: {}", DisplayErrorContext(&err))
}

/// Records actions as messages on the outbox queue: the intake side of the SQS outbox.
pub struct SqsOutbox {
    client: Client,
    url: Arc<str>,
    fifo: bool,
    runtime: Handle,
}

impl SqsOutbox {
    /// The outbox on `url`. Must be called on the tokio runtime recording will use.
    pub fn new(sdk: &aws_config::SdkConfig, url: &str) -> Self {
        Self {
            client: Client::new(sdk),
            url: url.into(),
            fifo: url.ends_with(".fifo"),
            runtime: Handle::current(),
        }
    }

    fn entries(
        &self,
        batch: &[Submission<'_>],
        receipts: &mut [Receipt],
    ) -> Result<Vec<(SendMessageBatchRequestEntry, usize)>, SinkError> {
        let recorded_ms = now_ms();
        let mut entries = Vec::new();
        for (submission, receipt) in batch.iter().zip(receipts.iter_mut()) {
            if submission.failed {
                receipt.failed = true;
                continue;
            }
            let group = submission.key.to_hex();
            for (index, (plugin, action)) in submission.actions.iter().enumerate() {
                let (id, dedupe) = action_id(&submission.key.0, index);
                let body = serde_json::to_string(&QueuedAction {
                    v: 1,
                    id,
                    event_id: submission.event_id.to_owned(),
                    plugin: (*plugin).to_owned(),
                    action: (*action).clone(),
                    recorded_ms,
                })
                .map_err(|e| SinkError(format!("cannot encode an action: {e}")))?;
                let size = body.len();
                let mut entry = SendMessageBatchRequestEntry::builder()
                    .id(format!("a{}", entries.len()))
                    .message_body(body);
                if self.fifo {
                    entry = entry
                        .message_group_id(group.clone())
                        .message_deduplication_id(dedupe);
                }
                let entry = entry
                    .build()
                    .map_err(|e| SinkError(format!("cannot build an SQS message: {e}")))?;
                entries.push((entry, size));
                receipt.queued += 1;
            }
        }
        Ok(entries)
    }
}

impl ActionSink for SqsOutbox {
    fn record(&self, batch: &[Submission<'_>]) -> Result<Vec<Receipt>, SinkError> {
        let mut receipts = vec![Receipt::default(); batch.len()];
        let entries = self.entries(batch, &mut receipts)?;
        if entries.is_empty() {
            return Ok(receipts);
        }
        // Chunks within SQS's per-call limits; every chunk must be accepted whole.
        let mut chunks: Vec<Vec<SendMessageBatchRequestEntry>> = Vec::new();
        let mut bytes = 0;
        for (entry, size) in entries {
            let full = chunks.last().is_none_or(|c| {
                c.len() == BATCH_ENTRIES || (bytes + size > BATCH_BYTES && !c.is_empty())
            });
            if full {
                chunks.push(Vec::new());
                bytes = 0;
            }
            bytes += size;
            chunks.last_mut().expect("a chunk").push(entry);
        }
        let client = self.client.clone();
        let url = self.url.clone();
        self.runtime
            .block_on(async move {
                for chunk in chunks {
                    let out = client
                        .send_message_batch()
                        .queue_url(&*url)
                        .set_entries(Some(chunk))
                        .send()
                        .await
                        .map_err(|e| sqs_error(&url, "SendMessageBatch", e))?;
                    if let Some(failed) = out.failed().first() {
                        return Err(format!(
                            "SendMessageBatch on {url}: {} of the actions refused ({}: {})",
                            out.failed().len(),
                            failed.code(),
                            failed.message().unwrap_or_default()
                        ));
                    }
                }
                Ok(())
            })
            .map_err(|e| SinkError(format!("outbox queue: {e}")))?;
        Ok(receipts)
    }
}

/// What a [`QueueWorker`] needs besides the dispatcher.
#[derive(Debug, Clone)]
pub struct QueueWorkerOptions {
    /// The outbox queue.
    pub url: String,
    /// Sends in flight at once (at most ten are received per call).
    pub concurrency: usize,
    /// When to give up on an action, and how long to wait between attempts.
    pub retry: RetryPolicy,
    /// How long a received action is hidden from other replicas: longer than a send may take.
    pub visibility: Duration,
    /// How long one receive waits for messages (SQS long polling, at most 20 s).
    pub wait: Duration,
}

impl QueueWorkerOptions {
    /// The options `config` implies for its outbox queue.
    pub fn from_config(config: &DispatchConfig, url: &str) -> Self {
        Self {
            url: url.to_owned(),
            concurrency: config.concurrency.min(BATCH_ENTRIES),
            retry: config.retry,
            visibility: config.aws.send_backstop() + Duration::from_secs(30),
            wait: Duration::from_secs(20),
        }
    }
}

/// What this process's queue worker did with the actions it received, since it started.
#[derive(Debug, Default)]
pub struct QueueCounters {
    sent: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
}

/// A reading of [`QueueCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueTotals {
    /// Actions the target accepted (and that were deleted from the queue).
    pub sent: u64,
    /// Failed attempts put back with a back-off.
    pub retried: u64,
    /// Actions moved to the dead-letter queue by the worker.
    pub dead_lettered: u64,
}

impl QueueCounters {
    /// The counts now.
    pub fn totals(&self) -> QueueTotals {
        QueueTotals {
            sent: self.sent.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            dead_lettered: self.dead_lettered.load(Ordering::Relaxed),
        }
    }
}

/// Sends what the outbox queue holds: the worker every replica runs.
pub struct QueueWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    counters: Arc<QueueCounters>,
}

impl QueueWorker {
    /// Starts the worker: it finds the queue's dead-letter queue from its redrive policy and
    /// refuses to start without one, since a non-retryable action would have nowhere to go.
    pub async fn start(
        sdk: &aws_config::SdkConfig,
        dispatcher: Arc<dyn Dispatcher>,
        options: QueueWorkerOptions,
    ) -> Result<Self, DispatchError> {
        let client = Client::new(sdk);
        let dead = dead_letter_queue(&client, &options.url).await?;
        let (stop, stop_rx) = watch::channel(false);
        let counters = Arc::new(QueueCounters::default());
        let task = tokio::spawn(run(
            client,
            dead,
            dispatcher,
            options,
            stop_rx,
            counters.clone(),
        ));
        Ok(Self {
            stop,
            task,
            counters,
        })
    }

    /// Its counts, shared with whoever renders them.
    pub fn counters(&self) -> Arc<QueueCounters> {
        self.counters.clone()
    }

    /// Stops receiving, lets the sends in flight finish, and returns. Actions not yet sent stay
    /// on the queue for the other replicas.
    pub async fn shutdown(self) -> Result<(), DispatchError> {
        let _ = self.stop.send(true);
        self.task
            .await
            .map_err(|e| DispatchError::Task(format!("the outbox queue worker failed: {e}")))
    }
}

/// The URL of `url`'s dead-letter queue, from its `RedrivePolicy`.
async fn dead_letter_queue(client: &Client, url: &str) -> Result<String, DispatchError> {
    let attributes = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .map_err(|e| DispatchError::AwsConfig(sqs_error(url, "GetQueueAttributes", e)))?;
    let policy = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::RedrivePolicy))
        .ok_or_else(|| {
            DispatchError::AwsConfig(format!(
                "`[dispatch] outbox-queue-url` {url} has no redrive policy: give it a \
                 dead-letter queue (RedrivePolicy with deadLetterTargetArn and \
                 maxReceiveCount), where actions that cannot be sent go"
            ))
        })?;
    let policy: serde_json::Value = serde_json::from_str(policy)
        .map_err(|e| DispatchError::AwsConfig(format!("{url}: RedrivePolicy is not JSON: {e}")))?;
    let arn = policy["deadLetterTargetArn"].as_str().unwrap_or_default();
    // arn:aws:sqs:REGION:ACCOUNT:NAME
    let parts: Vec<&str> = arn.split(':').collect();
    let [_, _, "sqs", _, account, name] = parts.as_slice() else {
        return Err(DispatchError::AwsConfig(format!(
            "{url}: RedrivePolicy's deadLetterTargetArn {arn:?} is not an SQS queue ARN"
        )));
    };
    let found = client
        .get_queue_url()
        .queue_name(*name)
        .queue_owner_aws_account_id(*account)
        .send()
        .await
        .map_err(|e| DispatchError::AwsConfig(sqs_error(arn, "GetQueueUrl", e)))?;
    found
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| DispatchError::AwsConfig(format!("GetQueueUrl for {arn} gave no URL")))
}

/// What became of one received message.
enum Fate {
    Sent,
    Retry(Duration),
    Dead { reason: &'static str, error: String },
}

async fn run(
    client: Client,
    dead: String,
    dispatcher: Arc<dyn Dispatcher>,
    options: QueueWorkerOptions,
    mut stop: watch::Receiver<bool>,
    counters: Arc<QueueCounters>,
) {
    let url = options.url.clone();
    while !*stop.borrow() {
        let receive = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(options.concurrency.clamp(1, BATCH_ENTRIES) as i32)
            .wait_time_seconds(options.wait.as_secs().min(20) as i32)
            .visibility_timeout(options.visibility.as_secs().min(43_200) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send();
        let received = tokio::select! {
            received = receive => received,
            _ = stop.changed() => break,
        };
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!("outbox queue: {}", sqs_error(&url, "ReceiveMessage", e));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let sends = messages.into_iter().map(|message| {
            let dispatcher = dispatcher.clone();
            let retry = options.retry;
            async move {
                let fate = decide(&*dispatcher, &retry, &message).await;
                (message, fate)
            }
        });
        let outcomes = join_all(sends.collect()).await;
        let mut delete = Vec::new();
        for (i, (message, fate)) in outcomes.into_iter().enumerate() {
            let Some(handle) = message.receipt_handle() else {
                continue;
            };
            let counter = match &fate {
                Fate::Sent => &counters.sent,
                Fate::Retry(_) => &counters.retried,
                Fate::Dead { .. } => &counters.dead_lettered,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            match fate {
                Fate::Sent => delete.push(
                    DeleteMessageBatchRequestEntry::builder()
                        .id(format!("d{i}"))
                        .receipt_handle(handle)
                        .build()
                        .expect("id and receipt handle are set"),
                ),
                Fate::Retry(delay) => {
                    if let Err(e) = client
                        .change_message_visibility()
                        .queue_url(&url)
                        .receipt_handle(handle)
                        .visibility_timeout(delay.as_secs().clamp(1, 43_200) as i32)
                        .send()
                        .await
                    {
                        tracing::warn!(
                            "outbox queue: {}",
                            sqs_error(&url, "ChangeMessageVisibility", e)
                        );
                    }
                }
                Fate::Dead { reason, error } => {
                    let body = message.body().unwrap_or_default();
                    let moved = client
                        .send_message()
                        .queue_url(&dead)
                        .message_body(body)
                        .message_attributes(
                            "reason",
                            MessageAttributeValue::builder()
                                .data_type("String")
                                .string_value(reason)
                                .build()
                                .expect("type and value are set"),
                        )
                        .message_attributes(
                            "error",
                            MessageAttributeValue::builder()
                                .data_type("String")
                                .string_value(if error.is_empty() { "-" } else { &error })
                                .build()
                                .expect("type and value are set"),
                        )
                        .send()
                        .await;
                    match moved {
                        Ok(_) => {
                            tracing::warn!(reason, error = %error, "action dead-lettered");
                            delete.push(
                                DeleteMessageBatchRequestEntry::builder()
                                    .id(format!("d{i}"))
                                    .receipt_handle(handle)
                                    .build()
                                    .expect("id and receipt handle are set"),
                            );
                        }
                        // Left on the queue: the redrive policy moves it after maxReceiveCount.
                        Err(e) => tracing::warn!(
                            "outbox queue: {}",
                            sqs_error(&dead, "SendMessage (dead letter)", e)
                        ),
                    }
                }
            }
        }
        if !delete.is_empty()
            && let Err(e) = client
                .delete_message_batch()
                .queue_url(&url)
                .set_entries(Some(delete))
                .send()
                .await
        {
            // Sent but not deleted: sent again after the visibility timeout (at least once).
            tracing::warn!("outbox queue: {}", sqs_error(&url, "DeleteMessageBatch", e));
        }
    }
}

async fn decide(
    dispatcher: &dyn Dispatcher,
    retry: &RetryPolicy,
    message: &aws_sdk_sqs::types::Message,
) -> Fate {
    let queued: QueuedAction = match serde_json::from_str(message.body().unwrap_or_default()) {
        Ok(queued) => queued,
        Err(e) => {
            return Fate::Dead {
                reason: "undecodable",
                error: e.to_string(),
            };
        }
    };
    let receives: u32 = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let since = UNIX_EPOCH + Duration::from_millis(queued.recorded_ms);
    let pending = PendingAction {
        id: queued.id,
        event_id: queued.event_id,
        plugin: queued.plugin,
        action: queued.action,
        since,
        attempts: receives.saturating_sub(1),
    };
    match dispatcher.send(&pending).await {
        Ok(()) => Fate::Sent,
        Err(SendError {
            retryable: false,
            code,
            message,
            ..
        }) => Fate::Dead {
            reason: "non-retryable",
            error: format!("{code}: {message}"),
        },
        Err(err) => {
            let age = SystemTime::now().duration_since(since).unwrap_or_default();
            if receives >= retry.max_attempts {
                Fate::Dead {
                    reason: "max-attempts",
                    error: err.to_string(),
                }
            } else if age >= retry.max_age {
                Fate::Dead {
                    reason: "max-age",
                    error: err.to_string(),
                }
            } else {
                tracing::info!(id = pending.id, attempt = receives, error = %err, "send failed; retrying");
                Fate::Retry(retry.backoff(receives, crate::worker::unit_random()))
            }
        }
    }
}

/// Every future of `futures`, driven together, their outputs in order.
pub(crate) async fn join_all<T, Fut: std::future::Future<Output = T>>(futures: Vec<Fut>) -> Vec<T> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// The SDK configuration and the outbox for `config`'s `outbox-queue-url`.
pub(crate) async fn open(
    config: &DispatchConfig,
    url: &str,
) -> Result<(aws_config::SdkConfig, SqsOutbox), DispatchError> {
    let sdk = crate::aws_sdk(config, "outbox-queue-url").await?;
    let outbox = SqsOutbox::new(&sdk, url);
    Ok((sdk, outbox))
}

/// The SQS outbox's dead-letter queue, for `glue-rules dlq` (the queue's own redrive policy
/// names it).
pub struct DeadLetterQueue {
    client: Client,
    outbox: String,
    dead: String,
}

/// Most receives one listing or redrive makes: each returns at most ten messages.
const MAX_RECEIVES: usize = 1000;

impl DeadLetterQueue {
    /// The dead-letter queue of `config`'s `outbox-queue-url`.
    pub async fn open(config: &DispatchConfig) -> Result<Self, DispatchError> {
        let Some(url) = &config.outbox_queue_url else {
            return Err(DispatchError::AwsConfig(
                "no `[dispatch] outbox-queue-url` in the configuration".into(),
            ));
        };
        let (sdk, _) = open(config, url).await?;
        let client = Client::new(&sdk);
        let dead = dead_letter_queue(&client, url).await?;
        Ok(Self {
            client,
            outbox: url.clone(),
            dead,
        })
    }

    /// The dead-letter queue's URL.
    pub fn url(&self) -> &str {
        &self.dead
    }

    /// Receives up to ten messages, hidden for `visibility` seconds (0: a peek).
    async fn receive(
        &self,
        visibility: i32,
    ) -> Result<Vec<aws_sdk_sqs::types::Message>, DispatchError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.dead)
            .max_number_of_messages(10)
            .visibility_timeout(visibility)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| DispatchError::Task(sqs_error(&self.dead, "ReceiveMessage", e)))?;
        Ok(out.messages.unwrap_or_default())
    }

    /// Up to `limit` dead letters, without taking them off the queue. SQS has no listing, so
    /// this peeks (receives with no visibility timeout) until it sees nothing new: on a busy
    /// queue a listing can miss messages other readers hold.
    pub async fn list(&self, limit: usize) -> Result<Vec<crate::DeadLetter>, DispatchError> {
        let mut seen = std::collections::BTreeSet::new();
        let mut letters = Vec::new();
        for _ in 0..MAX_RECEIVES {
            let messages = self.receive(0).await?;
            let mut new = 0;
            for message in &messages {
                let id = message.message_id().unwrap_or_default().to_owned();
                if seen.insert(id) {
                    new += 1;
                    letters.push(dead_letter(message));
                }
            }
            if new == 0 || letters.len() >= limit {
                break;
            }
        }
        letters.sort_by_key(|l| l.dead_ms);
        letters.truncate(limit);
        Ok(letters)
    }

    /// Takes the dead letters with these action ids (every one, with `None`) off the queue and
    /// sends them back to the outbox queue. Returns the ids moved.
    pub async fn redrive(&self, ids: Option<&[i64]>) -> Result<Vec<i64>, DispatchError> {
        self.take(ids, |message| async move {
            let body = message.body().unwrap_or_default();
            let mut send = self
                .client
                .send_message()
                .queue_url(&self.outbox)
                .message_body(body);
            if self.outbox.ends_with(".fifo") {
                let letter = dead_letter(&message);
                send = send
                    .message_group_id(letter.id.to_string())
                    .message_deduplication_id(format!("{}-{}", letter.id, now_ms()));
            }
            send.send()
                .await
                .map_err(|e| DispatchError::Task(sqs_error(&self.outbox, "SendMessage", e)))?;
            Ok(())
        })
        .await
    }

    /// Deletes the dead letters with these action ids, or all of them (`PurgeQueue`). Returns
    /// how many went.
    pub async fn purge(&self, ids: Option<&[i64]>) -> Result<usize, DispatchError> {
        if ids.is_none() {
            let count = self.list(usize::MAX).await?.len();
            self.client
                .purge_queue()
                .queue_url(&self.dead)
                .send()
                .await
                .map_err(|e| DispatchError::Task(sqs_error(&self.dead, "PurgeQueue", e)))?;
            return Ok(count);
        }
        let taken = self.take(ids, |_| async { Ok(()) }).await?;
        Ok(taken.len())
    }

    /// Receives the matching dead letters, runs `then` on each, and deletes it once `then`
    /// succeeded; the others are made visible again at once.
    async fn take<F, Fut>(&self, ids: Option<&[i64]>, then: F) -> Result<Vec<i64>, DispatchError>
    where
        F: Fn(aws_sdk_sqs::types::Message) -> Fut,
        Fut: std::future::Future<Output = Result<(), DispatchError>>,
    {
        let mut taken = Vec::new();
        let mut passed = std::collections::BTreeSet::new();
        for _ in 0..MAX_RECEIVES {
            let messages = self.receive(30).await?;
            if messages.is_empty() {
                break;
            }
            let mut new = 0;
            for message in messages {
                let letter = dead_letter(&message);
                let handle = message.receipt_handle().unwrap_or_default().to_owned();
                if ids.is_some_and(|ids| !ids.contains(&letter.id)) {
                    if passed.insert(message.message_id().unwrap_or_default().to_owned()) {
                        new += 1;
                    }
                    let _ = self
                        .client
                        .change_message_visibility()
                        .queue_url(&self.dead)
                        .receipt_handle(&handle)
                        .visibility_timeout(0)
                        .send()
                        .await;
                    continue;
                }
                new += 1;
                then(message).await?;
                self.client
                    .delete_message()
                    .queue_url(&self.dead)
                    .receipt_handle(&handle)
                    .send()
                    .await
                    .map_err(|e| DispatchError::Task(sqs_error(&self.dead, "DeleteMessage", e)))?;
                taken.push(letter.id);
            }
            if new == 0 || ids.is_some_and(|ids| ids.iter().all(|id| taken.contains(id))) {
                break;
            }
        }
        Ok(taken)
    }
}

/// A dead-lettered message as the dead letters of the local outbox look. A message the
/// queue's own redrive policy moved (too many receives) carries no reason of ours.
fn dead_letter(message: &aws_sdk_sqs::types::Message) -> crate::DeadLetter {
    let body = message.body().unwrap_or_default();
    let attribute = |name: &str| {
        message
            .message_attributes()
            .and_then(|a| a.get(name))
            .and_then(|v| v.string_value())
            .map(str::to_owned)
    };
    let system = |name: MessageSystemAttributeName| {
        message
            .attributes()
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse::<i64>().ok())
    };
    let error = attribute("error").unwrap_or_default();
    let (code, text) = error.split_once(": ").unwrap_or((error.as_str(), ""));
    let queued: Option<QueuedAction> = serde_json::from_str(body).ok();
    let action = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("action").cloned())
        .unwrap_or_else(|| serde_json::Value::String(body.to_owned()));
    crate::DeadLetter {
        id: queued.as_ref().map_or(0, |q| q.id),
        event_id: queued
            .as_ref()
            .map(|q| q.event_id.clone())
            .unwrap_or_default(),
        plugin: queued
            .as_ref()
            .map(|q| q.plugin.clone())
            .unwrap_or_default(),
        kind: action["type"].as_str().unwrap_or("unknown").to_owned(),
        action,
        created_ms: queued.as_ref().map_or(0, |q| q.recorded_ms as i64),
        dead_ms: system(MessageSystemAttributeName::SentTimestamp).unwrap_or(0),
        attempts: 0,
        reason: attribute("reason").unwrap_or_else(|| "max-receive-count".into()),
        error_code: code.to_owned(),
        error_message: text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actions_id_is_stable_and_differs_by_place() {
        let key = [7u8; 32];
        assert_eq!(action_id(&key, 0), action_id(&key, 0));
        assert_ne!(action_id(&key, 0).0, action_id(&key, 1).0);
        assert!(action_id(&key, 3).0 >= 0);
        assert_eq!(action_id(&key, 0).1.len(), 64);
    }
}
