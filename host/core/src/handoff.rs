//! The hand-off from evaluation to dispatch.
//!
//! Evaluation (the runtime crate) turns an event and its plugins' decisions into a
//! [`Submission`]; dispatch takes submissions through an [`ActionSink`]. Neither side sees the
//! other's types: this module is all they share. Intake acknowledges an event (HTTP 2xx, SQS
//! delete) only after the sink has accepted its submission; a durable sink (the outbox) makes
//! that acknowledgement a promise that nothing is lost.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::action::Action;

/// The identity under which an event is de-duplicated, hashed to a fixed 32 bytes.
///
/// EventBridge delivers at least once and Glue's events are best effort, so the same event can
/// arrive twice; its `id` is the same then. But `id` alone is not enough in practice: AWS's own
/// documentation examples reuse one id for a succeeded, a stopped and a timed-out job run, and
/// replayed or hand-written events do the same. The runtime therefore builds the key from
///
/// * `source`, `detail-type` and `id` for every event, and
/// * for job events (`Glue Job State Change`, `Glue Job Run Status`) also `jobRunId` and
///   `state`: a run that moves from RUNNING to FAILED produces two events that must both act,
///   even if something upstream reused the id.
///
/// The parts are hashed (SHA-256, each part followed by a 0x1f separator) so that stored keys
/// have a fixed small size whatever the event holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DedupeKey(pub [u8; 32]);

impl DedupeKey {
    /// The key made of `parts`, in order.
    pub fn from_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update(part.as_bytes());
            hash.update([0x1f]);
        }
        Self(hash.finalize().into())
    }

    /// The key as 64 lowercase hex digits: how shared stores (DynamoDB items, SQS message
    /// groups) name it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// One evaluated event's actions, as evaluation hands them to dispatch.
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    /// The event's `id`, for logs and the outbox's rows.
    pub event_id: &'a str,
    /// The event's `detail-type`, for logs.
    pub detail_type: &'a str,
    /// The event's de-duplication identity.
    pub key: DedupeKey,
    /// Whether its evaluation failed (a plugin with `on-error = "fail"` erred). A failed event
    /// queues nothing and is not remembered, so that its redelivery is evaluated afresh.
    pub failed: bool,
    /// `(plugin name, action)`, in plugin order then decision order.
    pub actions: Vec<(&'a str, &'a Action)>,
}

/// What became of one submission handed to an [`ActionSink`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// Actions queued for sending.
    pub queued: usize,
    /// The event was seen within the de-duplication window: nothing was queued.
    pub duplicate: bool,
    /// The event's evaluation failed: nothing was queued (see [`Submission::failed`]).
    pub failed: bool,
    /// Another replica has claimed the event and is recording it (shared de-duplication):
    /// nothing was queued here, and the event must not be acknowledged, so that it comes back
    /// if that replica never finishes.
    pub deferred: bool,
}

/// Why a sink could not accept a batch; none of its events may be acknowledged.
#[derive(Debug, thiserror::Error)]
#[error("cannot record actions: {0}")]
pub struct SinkError(pub String);

/// Takes the actions of evaluated events.
pub trait ActionSink: Send + Sync {
    /// Accepts every submission of `batch`, one receipt each in order. Returns only once they
    /// are safe by the sink's own standard; an error means none of the batch may be
    /// acknowledged.
    fn record(&self, batch: &[Submission<'_>]) -> Result<Vec<Receipt>, SinkError>;

    /// Whether [`ActionSink::record_queued`] returns without waiting (the sink commits on a
    /// thread of its own), so that a caller on a CPU thread may hand a batch over directly
    /// instead of moving to a thread that may block.
    fn queues(&self) -> bool {
        false
    }

    /// [`ActionSink::record`] without the wait: `done` gets the receipts once they are safe.
    /// The default records on the calling thread, blocking as `record` does; a sink that
    /// [queues](ActionSink::queues) returns at once and calls `done` from its own thread.
    fn record_queued(&self, batch: &[Submission<'_>], done: RecordDone) {
        done(self.record(batch));
    }
}

/// Called with the receipts of [`ActionSink::record_queued`], or with why none of the batch
/// may be acknowledged.
pub type RecordDone = Box<dyn FnOnce(Result<Vec<Receipt>, SinkError>) + Send>;

/// Writes every action to the log and keeps nothing: the sink for trying rules out.
#[derive(Debug, Default)]
pub struct LogSink;

impl ActionSink for LogSink {
    fn record(&self, batch: &[Submission<'_>]) -> Result<Vec<Receipt>, SinkError> {
        Ok(batch
            .iter()
            .map(|submission| {
                if submission.failed {
                    return Receipt {
                        failed: true,
                        ..Receipt::default()
                    };
                }
                for (plugin, action) in &submission.actions {
                    let json = serde_json::to_string(action).unwrap_or_default();
                    tracing::info!(
                        target: "dispatch",
                        event = submission.event_id,
                        plugin = *plugin,
                        kind = action.kind().as_str(),
                        "would send {json}"
                    );
                }
                Receipt {
                    queued: submission.actions.len(),
                    ..Receipt::default()
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupe_keys_separate_their_parts() {
        let a = DedupeKey::from_parts(["ab", "c"]);
        let b = DedupeKey::from_parts(["a", "bc"]);
        assert_ne!(a, b);
        assert_eq!(a, DedupeKey::from_parts(["ab", "c"]));
    }
}
