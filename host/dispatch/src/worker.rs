//! The worker: takes due actions out of the outbox, sends them, and writes down what came of
//! each (sent, retry at, dead-lettered).
//!
//! Only one worker sends from an outbox at a time, across processes: it holds an exclusive
//! lock on `<outbox>.lock` (released by the kernel when the process dies, even by `kill -9`).
//! A second worker waits for the lock, so a CLI command beside a running sidecar never sends
//! the same action twice; and because the holder keeps what it has in flight in memory only, a
//! restarted worker simply sends everything that is still in the outbox.

use std::collections::{HashMap, HashSet};
use std::fs::{File, TryLockError};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::DispatchError;
use crate::config::{DispatchConfig, RetryPolicy};
use crate::dispatcher::{Dispatcher, SendError};
use crate::outbox::{Completion, DeadReason, Outbox, PendingAction};

/// How a worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerOptions {
    /// Sends in flight at once.
    pub concurrency: usize,
    /// Retry and dead-letter policy.
    pub retry: RetryPolicy,
    /// The longest one send may take before it counts as a timed-out (retryable) attempt.
    /// A backstop: the AWS clients' own timeouts should fire first.
    pub send_timeout: Duration,
    /// How often an idle worker looks at the outbox anyway, for actions recorded by another
    /// process, and retries the lock when another worker holds it.
    pub poll_interval: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: crate::config::DEFAULT_CONCURRENCY,
            retry: RetryPolicy::default(),
            send_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl WorkerOptions {
    /// The options a configuration calls for.
    pub fn from_config(config: &DispatchConfig) -> Self {
        Self {
            concurrency: config.concurrency,
            retry: config.retry,
            send_timeout: config.aws.send_backstop(),
            ..Self::default()
        }
    }
}

/// What [`Worker::drain_until_empty`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainReport {
    /// Whether the outbox was empty when it returned.
    pub drained: bool,
    /// Actions still pending (due or scheduled for a retry).
    pub pending: u64,
    /// How long it waited.
    pub waited: Duration,
}

struct Shared {
    outbox: Arc<Outbox>,
    stop: AtomicBool,
    stop_notify: Notify,
    progress: Notify,
    active: AtomicBool,
}

/// A running worker. Dropping it leaves the task running until the runtime ends; call
/// [`Worker::shutdown`] to stop it cleanly.
pub struct Worker {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("outbox", &self.shared.outbox.path())
            .field("active", &self.is_active())
            .finish_non_exhaustive()
    }
}

/// Starts a worker on the current tokio runtime; see [`Worker`].
pub fn spawn(
    outbox: Arc<Outbox>,
    dispatcher: Arc<dyn Dispatcher>,
    options: WorkerOptions,
) -> Worker {
    Worker::spawn(outbox, dispatcher, options)
}

impl Worker {
    /// Starts a worker on the current tokio runtime. It sends as soon as it holds the outbox's
    /// lock; records made through the same [`Outbox`] wake it at once.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn spawn(
        outbox: Arc<Outbox>,
        dispatcher: Arc<dyn Dispatcher>,
        options: WorkerOptions,
    ) -> Self {
        let shared = Arc::new(Shared {
            outbox,
            stop: AtomicBool::new(false),
            stop_notify: Notify::new(),
            progress: Notify::new(),
            active: AtomicBool::new(false),
        });
        let options = WorkerOptions {
            concurrency: options.concurrency.max(1),
            ..options
        };
        let task = tokio::spawn(run(shared.clone(), dispatcher, options));
        Self { shared, task }
    }

    /// Whether this worker holds the outbox's lock and sends (rather than waiting for another
    /// process's worker to let go).
    pub fn is_active(&self) -> bool {
        self.shared.active.load(Ordering::SeqCst)
    }

    /// Waits until the outbox holds no pending action, or `timeout` passes. Actions scheduled
    /// for a later retry count as pending; dead letters do not.
    pub async fn drain_until_empty(&self, timeout: Duration) -> Result<DrainReport, DispatchError> {
        let start = Instant::now();
        let deadline = start + timeout;
        loop {
            let progress = self.shared.progress.notified();
            tokio::pin!(progress);
            progress.as_mut().enable();
            let outbox = self.shared.outbox.clone();
            let pending = tokio::task::spawn_blocking(move || outbox.depth())
                .await
                .map_err(|e| DispatchError::Task(e.to_string()))??;
            let now = Instant::now();
            if pending == 0 || now >= deadline || self.task.is_finished() {
                return Ok(DrainReport {
                    drained: pending == 0,
                    pending,
                    waited: now - start,
                });
            }
            tokio::select! {
                () = &mut progress => {}
                () = tokio::time::sleep((deadline - now).min(Duration::from_millis(250))) => {}
            }
        }
    }

    /// Stops claiming new actions, waits for the sends in flight to finish and be written
    /// down, and returns. Nothing is lost either way: what was not sent stays in the outbox.
    pub async fn shutdown(self) -> Result<(), DispatchError> {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.stop_notify.notify_one();
        self.task
            .await
            .map_err(|e| DispatchError::Task(format!("the dispatch worker failed: {e}")))
    }
}

/// Holds `<outbox>.lock` for as long as it lives.
struct OutboxLock {
    _file: File,
}

fn lock_path(outbox: &Outbox) -> PathBuf {
    let mut name = outbox.path().as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn try_lock(path: &PathBuf) -> Result<Option<OutboxLock>, std::io::Error> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(OutboxLock { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Waits for the outbox's lock; `None` when asked to stop first.
async fn acquire(shared: &Shared, poll: Duration) -> Option<OutboxLock> {
    let path = lock_path(&shared.outbox);
    let mut told = false;
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return None;
        }
        match try_lock(&path) {
            Ok(Some(lock)) => return Some(lock),
            Ok(None) if !told => {
                tracing::info!(
                    lock = %path.display(),
                    "another glue-rules worker is sending from this outbox; waiting for it"
                );
                told = true;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(lock = %path.display(), "cannot lock the outbox: {e}");
            }
        }
        tokio::select! {
            () = shared.stop_notify.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// A uniform draw in `[0, 1)` for jitter: splitmix64 over a seeded counter. Not for secrets.
pub(crate) fn unit_random() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut seed = STATE.load(Ordering::Relaxed);
    if seed == 0 {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        seed = nanos ^ (u64::from(std::process::id()) << 32) | 1;
        STATE.store(seed, Ordering::Relaxed);
    }
    let mut z = STATE
        .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// What one finished send comes to.
fn settle(
    outbox: &Outbox,
    retry: &RetryPolicy,
    item: &PendingAction,
    result: Result<(), SendError>,
) -> Completion {
    let kind = item.action.kind().as_str();
    let counters = outbox.counters().kind(kind);
    let attempts = item.attempts.saturating_add(1);
    let error = match result {
        Ok(()) => {
            counters.sent.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                id = item.id,
                kind,
                event_id = item.event_id,
                attempts,
                "sent"
            );
            return Completion::Sent { id: item.id, kind };
        }
        Err(error) => error,
    };
    counters.failed.fetch_add(1, Ordering::Relaxed);
    let now = SystemTime::now();
    let age = now.duration_since(item.since).unwrap_or_default();
    let reason = if !error.retryable {
        Some(DeadReason::NonRetryable)
    } else if attempts >= retry.max_attempts {
        Some(DeadReason::MaxAttempts)
    } else if age >= retry.max_age {
        Some(DeadReason::MaxAge)
    } else {
        None
    };
    match reason {
        Some(reason) => {
            counters.dead_lettered.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                id = item.id,
                kind,
                event_id = item.event_id,
                plugin = item.plugin,
                attempts,
                reason = reason.as_str(),
                "dead-lettered: {error}"
            );
            Completion::Dead {
                id: item.id,
                kind,
                attempts,
                reason,
                code: error.code,
                message: error.message,
            }
        }
        None => {
            counters.retried.fetch_add(1, Ordering::Relaxed);
            let delay = retry.backoff(attempts, unit_random());
            tracing::warn!(
                id = item.id,
                kind,
                event_id = item.event_id,
                attempts,
                retry_in_ms = delay.as_millis() as u64,
                "send failed, will retry: {error}"
            );
            Completion::Retry {
                id: item.id,
                kind,
                attempts,
                next: now + delay,
                error: error.to_string(),
            }
        }
    }
}

type Joined = Result<(tokio::task::Id, Result<(), SendError>), tokio::task::JoinError>;

/// The fewest actions one claim asks for (more when the concurrency is high).
const CLAIM_BATCH: usize = 128;

/// How many results are written down in one transaction while sends go on: a local
/// dispatcher (the log) settles thousands a second, and one transaction per few of them is
/// what kept the worker behind intake.
const COMPLETE_BATCH: usize = 64;

/// Turns a finished task into a completion; a panicking dispatcher counts as a retryable
/// failure of that action rather than a lost one.
fn finish(
    outbox: &Outbox,
    retry: &RetryPolicy,
    in_flight: &mut HashMap<tokio::task::Id, PendingAction>,
    joined: Joined,
) -> Option<Completion> {
    let (task, result) = match joined {
        Ok((task, result)) => (task, result),
        Err(e) => (
            e.id(),
            Err(SendError::retryable(
                "DispatcherPanic",
                format!("the send task failed: {e}"),
            )),
        ),
    };
    let item = in_flight.remove(&task)?;
    Some(settle(outbox, retry, &item, result))
}

async fn run(shared: Arc<Shared>, dispatcher: Arc<dyn Dispatcher>, options: WorkerOptions) {
    let outbox = shared.outbox.clone();
    let wake = outbox.wake_handle();
    let Some(_lock) = acquire(&shared, options.poll_interval).await else {
        return;
    };
    shared.active.store(true, Ordering::SeqCst);
    tracing::debug!(outbox = %outbox.path().display(), dispatcher = dispatcher.name(), "worker started");

    let mut tasks: JoinSet<Result<(), SendError>> = JoinSet::new();
    let mut in_flight: HashMap<tokio::task::Id, PendingAction> = HashMap::new();
    // Claimed, not yet sending: claims are made in batches larger than the sends in flight,
    // so that one read feeds many sends and one write settles many.
    let mut ready: std::collections::VecDeque<PendingAction> = std::collections::VecDeque::new();
    let claim_batch = options.concurrency.saturating_mul(4).max(CLAIM_BATCH);
    let mut done: Vec<Completion> = Vec::new();
    let mut next_due: Option<SystemTime> = None;
    let mut last_prune: Option<Instant> = None;
    let mut failures = 0u32;

    loop {
        let stopping = shared.stop.load(Ordering::SeqCst);
        while let Some(joined) = tasks.try_join_next_with_id() {
            done.extend(finish(&outbox, &options.retry, &mut in_flight, joined));
        }
        // Claim again once fewer are ready than may be in flight; write down results in
        // batches, or at once when that is all there is to do.
        let free = if stopping || ready.len() >= options.concurrency {
            0
        } else {
            claim_batch.saturating_sub(ready.len() + tasks.len())
        };
        let flush = !done.is_empty()
            && (free > 0 || done.len() >= COMPLETE_BATCH || tasks.is_empty() || stopping);
        let prune = last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(60));
        if flush || free > 0 || prune {
            let batch = if flush {
                std::mem::take(&mut done)
            } else {
                Vec::new()
            };
            let exclude: HashSet<i64> = in_flight
                .values()
                .chain(ready.iter())
                .map(|p| p.id)
                .collect();
            let db = outbox.clone();
            let step = tokio::task::spawn_blocking(move || {
                if let Err(e) = db.complete(&batch) {
                    return Err((e, batch));
                }
                if prune && let Err(e) = db.prune_seen() {
                    tracing::warn!("cannot prune the de-duplication table: {e}");
                }
                let claimed = db.claim_due(free, &exclude).map_err(|e| (e, Vec::new()))?;
                let next = if claimed.len() < free {
                    db.next_due().map_err(|e| (e, Vec::new()))?
                } else {
                    None
                };
                Ok((claimed, next))
            })
            .await;
            if prune {
                last_prune = Some(Instant::now());
            }
            match step {
                Ok(Ok((claimed, next))) => {
                    failures = 0;
                    shared.progress.notify_waiters();
                    next_due = next;
                    ready.extend(claimed);
                }
                Ok(Err((e, batch))) => {
                    // Keep the results and write them down later; meanwhile send nothing new.
                    failures = failures.saturating_add(1);
                    tracing::error!("outbox error, retrying: {e}");
                    done.extend(batch);
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::error!("outbox task failed: {e}");
                }
            }
        }
        if failures == 0 && !stopping {
            while tasks.len() < options.concurrency {
                let Some(item) = ready.pop_front() else {
                    break;
                };
                let dispatcher = dispatcher.clone();
                let timeout = options.send_timeout;
                let sending = item.clone();
                let handle = tasks.spawn(async move {
                    match tokio::time::timeout(timeout, dispatcher.send(&sending)).await {
                        Ok(result) => result,
                        Err(_) => Err(SendError::retryable(
                            "Timeout",
                            format!("no answer within {} ms", timeout.as_millis()),
                        )),
                    }
                });
                in_flight.insert(handle.id(), item);
            }
        }
        if stopping && tasks.is_empty() && (done.is_empty() || failures > 3) {
            break;
        }
        // Results waiting for a batch are written down at the next wake-up, at the latest
        // after a short pause, so that a quiet outbox does not keep them.
        let hold = if done.is_empty() {
            options.poll_interval
        } else {
            Duration::from_millis(5)
        };
        let wait = if failures > 0 {
            Duration::from_millis(200u64 << failures.min(5))
        } else {
            next_due
                .and_then(|t| t.duration_since(SystemTime::now()).ok())
                .unwrap_or(options.poll_interval)
                .min(hold)
        };
        tokio::select! {
            Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                done.extend(finish(&outbox, &options.retry, &mut in_flight, joined));
            }
            () = wake.notified(), if !stopping => {}
            () = shared.stop_notify.notified(), if !stopping => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    shared.active.store(false, Ordering::SeqCst);
    shared.progress.notify_waiters();
    tracing::debug!(outbox = %outbox.path().display(), "worker stopped");
}
