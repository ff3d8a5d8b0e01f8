//! Dispatch: decisions in, AWS calls out, nothing lost on the way.
//!
//! ```text
//! evaluate ──▶ Outbox::record ──▶ (event acknowledged) ──▶ Worker ──▶ Dispatcher ──▶ AWS
//!               SQLite, durable        HTTP 2xx, SQS delete      retry, dead-letter
//! ```
//!
//! - [`Outbox`] writes every action of an event to an embedded SQLite database in one
//!   transaction, durable when [`Outbox::record`] returns, with the de-duplication check in the
//!   same transaction. Only then may the event be acknowledged.
//! - A [`Worker`] on tokio takes due actions, sends them through a [`Dispatcher`]
//!   ([`AwsDispatcher`] or [`LogDispatcher`]), and writes down what became of each: sent (it
//!   leaves the outbox), retry later (exponential backoff with full jitter), or dead-lettered
//!   (non-retryable, too many attempts, too old).
//! - Delivery is **at least once**: a crash between a send and its bookkeeping sends that
//!   action again after restart; no crash loses one.
//! - [`StatsSnapshot`] (from [`Outbox::stats`]) is what `/metrics` renders.
//!
//! Embedding it:
//!
//! The crate takes [`glue_rules_core::Submission`]s and knows nothing of WebAssembly; the AWS
//! SDKs sit behind the default `aws` feature (without it only the log dispatcher exists).
//!
//! ```no_run
//! use std::sync::Arc;
//! use glue_rules_dispatch::{self as dispatch, DispatchConfig, Outbox, WorkerOptions};
//! # async fn demo(config: &DispatchConfig) -> Result<(), dispatch::DispatchError> {
//! let outbox = Arc::new(dispatch::open_outbox(config)?);
//! let dispatcher = dispatch::dispatcher_for(config).await?;
//! let worker = dispatch::spawn(outbox.clone(), dispatcher, WorkerOptions::from_config(config));
//! // ... outbox.record_actions(&submissions)? off the async runtime, then acknowledge ...
//! worker.shutdown().await?;
//! # Ok(()) }
//! ```

#[cfg(feature = "aws")]
mod aws;
pub mod claims;
pub mod config;
mod dispatcher;
#[cfg(feature = "aws")]
mod dynamo;
mod outbox;
#[cfg(feature = "aws")]
mod queue;
mod stats;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;

#[cfg(feature = "aws")]
pub use aws::{AwsDispatcher, sdk_config};
pub use claims::{Claim, ClaimCounters, ClaimStore, ClaimTotals, SharedDedupe};
pub use config::{AwsSettings, DispatchConfig, DispatchMode, RetryPolicy, TargetTimeouts};
pub use dispatcher::{Dispatcher, LogDispatcher, SendError, SendFuture};
#[cfg(feature = "aws")]
pub use dynamo::{DynamoClaims, TableInit, init_table};
pub use outbox::{
    Completion, DeadLetter, DeadReason, KindTotals, Outbox, OutboxStatus, PendingAction,
};
#[cfg(feature = "aws")]
pub use queue::{
    DeadLetterQueue, QueueCounters, QueueTotals, QueueWorker, QueueWorkerOptions, SqsOutbox,
};
pub use stats::{KindStats, StatsSnapshot};
pub use worker::{DrainReport, Worker, WorkerOptions, spawn};

/// Why the outbox or a dispatcher could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The outbox file could not be opened or set up.
    #[error("{path}: cannot open the outbox: {source}")]
    Open {
        /// The outbox file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A read or write of the outbox failed (disk full, locked for too long, ...).
    #[error("{path}: outbox error: {source}")]
    Database {
        /// The outbox file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A file or directory beside the outbox could not be created.
    #[error("{path}: {source}")]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The outbox was written by a newer glue-rules.
    #[error(
        "{path}: outbox schema version {found} is newer than this glue-rules understands \
         ({supported}); upgrade glue-rules or use another outbox file"
    )]
    Schema {
        /// The outbox file.
        path: PathBuf,
        /// The version found in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// An action could not be encoded for storage.
    #[error("cannot encode an action: {0}")]
    Encode(serde_json::Error),
    /// The AWS settings cannot work (no region, ...).
    #[error("AWS configuration: {0}")]
    AwsConfig(String),
    /// A background task failed.
    #[error("{0}")]
    Task(String),
    /// The shared de-duplication table could not be read or written.
    #[error("de-duplication: {0}")]
    Claims(String),
}

/// Opens the outbox a configuration names, with its de-duplication window.
pub fn open_outbox(config: &DispatchConfig) -> Result<Outbox, DispatchError> {
    Ok(Outbox::open(config.outbox_path())?
        .with_dedupe_window(config.dedupe_window)
        .with_dedupe_capacity(config.dedupe_max_events))
}

/// What intake records into, and the worker that sends what was recorded: the dispatch side of
/// a running sidecar, as the configuration chooses it.
pub struct Dispatching {
    /// Where intake records actions; acknowledged only once this accepted them.
    pub sink: Arc<dyn glue_rules_core::ActionSink>,
    /// The local outbox, when actions are kept in one (for metrics and the admin API).
    pub outbox: Option<Arc<Outbox>>,
    /// The worker sending what the sink holds.
    pub worker: Running,
    /// The shared claims' counts, with `dedupe-table`.
    pub claims: Option<Arc<ClaimCounters>>,
    /// The queue worker's counts, with `outbox-queue-url`.
    #[cfg(feature = "aws")]
    pub queue: Option<Arc<QueueCounters>>,
}

/// A running dispatch worker.
pub enum Running {
    /// Sending from the local SQLite outbox.
    Outbox(Worker),
    /// Sending from the SQS outbox queue, beside the other replicas.
    #[cfg(feature = "aws")]
    Queue(QueueWorker),
}

impl Running {
    /// Stops the worker once the sends in flight have finished; what is not sent stays in the
    /// outbox (the file, or the queue).
    pub async fn shutdown(self) -> Result<(), DispatchError> {
        match self {
            Running::Outbox(worker) => worker.shutdown().await,
            #[cfg(feature = "aws")]
            Running::Queue(worker) => worker.shutdown().await,
        }
    }
}

/// Opens what `config` asks for and starts its worker: the SQLite outbox (the default) or the
/// SQS outbox queue (`outbox-queue-url`), behind the DynamoDB de-duplication table when
/// `dedupe-table` is set. `replica` names this process in the claims it makes. Call it on the
/// runtime the sink and the worker will use.
pub async fn start(config: &DispatchConfig, replica: &str) -> Result<Dispatching, DispatchError> {
    let dispatcher = dispatcher_for(config).await?;
    if let Some(url) = &config.outbox_queue_url {
        #[cfg(feature = "aws")]
        {
            let (sdk, outbox) = queue::open(config, url).await?;
            let worker = QueueWorker::start(
                &sdk,
                dispatcher,
                QueueWorkerOptions::from_config(config, url),
            )
            .await?;
            let outbox: Arc<dyn glue_rules_core::ActionSink> = Arc::new(outbox);
            if config.dedupe_table.is_none() {
                tracing::warn!(
                    "`[dispatch] outbox-queue-url` without `dedupe-table`: events are not \
                     de-duplicated (the SQS outbox keeps no record of them)"
                );
            }
            let (sink, claims) = shared_dedupe(config, outbox, replica).await?;
            return Ok(Dispatching {
                sink,
                outbox: None,
                claims,
                queue: Some(worker.counters()),
                worker: Running::Queue(worker),
            });
        }
        #[cfg(not(feature = "aws"))]
        {
            return Err(DispatchError::AwsConfig(format!(
                "`[dispatch] outbox-queue-url = {url:?}`: this glue-rules was built without the \
                 `aws` feature"
            )));
        }
    }
    let outbox = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || open_outbox(&config))
            .await
            .map_err(|e| DispatchError::Task(e.to_string()))??
    };
    let outbox = Arc::new(outbox);
    let worker = spawn(
        outbox.clone(),
        dispatcher,
        WorkerOptions::from_config(config),
    );
    let (sink, claims) = shared_dedupe(config, outbox.clone(), replica).await?;
    Ok(Dispatching {
        sink,
        outbox: Some(outbox),
        claims,
        #[cfg(feature = "aws")]
        queue: None,
        worker: Running::Outbox(worker),
    })
}

/// The AWS configuration for a `[dispatch]` key that needs AWS (`key` names it in the error):
/// `[dispatch.aws]` over the standard chain, and a region, without which every call would fail.
#[cfg(feature = "aws")]
pub(crate) async fn aws_sdk(
    config: &DispatchConfig,
    key: &str,
) -> Result<aws_config::SdkConfig, DispatchError> {
    let sdk = sdk_config(
        config.aws.region.as_deref(),
        config.aws.endpoint_url.as_deref(),
    )
    .await;
    if sdk.region().is_none() {
        return Err(DispatchError::AwsConfig(format!(
            "`[dispatch] {key}` needs an AWS region: set `region` in [dispatch.aws], or AWS_REGION"
        )));
    }
    Ok(sdk)
}

/// Milliseconds since the Unix epoch, for the claims' leases and the queued actions' ages.
#[cfg(feature = "aws")]
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A sink and the counts of the claims in front of it, if any.
type Deduped = (
    Arc<dyn glue_rules_core::ActionSink>,
    Option<Arc<ClaimCounters>>,
);

/// `sink` itself, or, with `[dispatch] dedupe-table`, `sink` behind the DynamoDB table that
/// replicas share (see [`claims`]).
async fn shared_dedupe(
    config: &DispatchConfig,
    sink: Arc<dyn glue_rules_core::ActionSink>,
    replica: &str,
) -> Result<Deduped, DispatchError> {
    let Some(table) = &config.dedupe_table else {
        return Ok((sink, None));
    };
    #[cfg(feature = "aws")]
    {
        let sdk = aws_sdk(config, "dedupe-table").await?;
        let claims = DynamoClaims::new(
            &sdk,
            table,
            replica,
            config.dedupe_lease,
            config.dedupe_window,
        );
        let shared = SharedDedupe::new(Arc::new(claims), sink);
        let counters = shared.counters();
        Ok((Arc::new(shared), Some(counters)))
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (sink, replica);
        Err(DispatchError::AwsConfig(format!(
            "`[dispatch] dedupe-table = {table:?}`: this glue-rules was built without the `aws` \
             feature; rebuild with default features, or remove the key"
        )))
    }
}

/// The dispatcher a configuration calls for: [`LogDispatcher`] on stderr in `log` mode,
/// [`AwsDispatcher`] in `aws` mode.
pub async fn dispatcher_for(config: &DispatchConfig) -> Result<Arc<dyn Dispatcher>, DispatchError> {
    Ok(match config.mode {
        DispatchMode::Log => Arc::new(LogDispatcher::stderr()),
        #[cfg(feature = "aws")]
        DispatchMode::Aws => Arc::new(AwsDispatcher::new(&config.aws).await?),
        #[cfg(not(feature = "aws"))]
        DispatchMode::Aws => {
            return Err(DispatchError::AwsConfig(
                "`[dispatch] mode = \"aws\"`: this glue-rules was built without the `aws` \
                 feature; rebuild with default features, or use mode = \"log\""
                    .into(),
            ));
        }
    })
}

#[cfg(test)]
mod tests;
