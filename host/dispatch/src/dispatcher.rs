//! The senders: a trait, the log dispatcher, and the error a send can end in.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::Mutex;

use serde::Serialize;

use crate::outbox::PendingAction;
use glue_rules_core::Action;

/// The future a [`Dispatcher`] returns: boxed so that the trait can be used as `dyn`.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// Performs actions. The worker calls it once per attempt; it must not retry by itself (the
/// outbox's retry policy does), and it decides which failures are worth retrying.
pub trait Dispatcher: Send + Sync + 'static {
    /// Sends one action; `Ok` means the target accepted it.
    fn send<'a>(&'a self, action: &'a PendingAction) -> SendFuture<'a>;

    /// A short name for logs: `log`, `aws`.
    fn name(&self) -> &'static str;
}

/// Why one attempt failed, and whether another attempt could succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SendError {
    /// The service's error code (`AccessDeniedException`, `ThrottlingException`, ...) or one
    /// of glue-rules' own: `Timeout`, `Connection`, `FunctionError`.
    pub code: String,
    /// The service's message.
    pub message: String,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// Whether retrying may help: throttling, 5xx, timeouts and connection failures are
    /// retryable; access denied, missing resources and invalid requests are not.
    pub retryable: bool,
}

impl SendError {
    /// A failure worth retrying.
    pub fn retryable(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            status: None,
            retryable: true,
        }
    }

    /// A failure retrying cannot fix.
    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            status: None,
            retryable: false,
        }
    }
}

/// The line the log dispatcher writes for each action.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogLine<'a> {
    dispatch: &'static str,
    id: i64,
    event_id: &'a str,
    plugin: &'a str,
    attempt: u32,
    action: &'a Action,
}

/// Prints what would be done, one JSON line per action, and counts every action as sent.
/// For trying rules out without AWS; the default mode when nothing about AWS is configured.
pub struct LogDispatcher {
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for LogDispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogDispatcher").finish_non_exhaustive()
    }
}

impl LogDispatcher {
    /// Writes to standard error, so it never mixes with a command's results on stdout.
    pub fn stderr() -> Self {
        Self::to_writer(Box::new(std::io::stderr()))
    }

    /// Writes to `out` (a file, a buffer, `std::io::sink()` for benchmarks).
    pub fn to_writer(out: Box<dyn Write + Send>) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }
}

impl Dispatcher for LogDispatcher {
    fn send<'a>(&'a self, pending: &'a PendingAction) -> SendFuture<'a> {
        Box::pin(async move {
            let line = LogLine {
                dispatch: "log",
                id: pending.id,
                event_id: &pending.event_id,
                plugin: &pending.plugin,
                attempt: pending.attempts + 1,
                action: &pending.action,
            };
            // The line is built first and written with one call: serde_json writes token by
            // token, and stderr is unbuffered, so writing through it directly cost one system
            // call per token (a third of the sidecar's CPU under load). One write per line also
            // keeps lines whole when other output shares the stream.
            let mut buf = Vec::with_capacity(512);
            let written = serde_json::to_writer(&mut buf, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| {
                    buf.push(b'\n');
                    let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
                    out.write_all(&buf).and_then(|()| out.flush())
                });
            // A closed stderr must not turn into retries forever: the line is informational.
            if let Err(e) = written {
                tracing::debug!("log dispatcher cannot write: {e}");
            }
            Ok(())
        })
    }

    fn name(&self) -> &'static str {
        "log"
    }
}
