//! The hand-off between evaluation and dispatch.
//!
//! Intake acknowledges an event (HTTP 2xx, SQS delete) only after the sink has accepted its
//! actions; a durable sink (the outbox) makes that acknowledgement a promise that nothing is
//! lost.

use crate::engine::EventOutcome;
use crate::event::Event;

/// Why a sink could not accept a batch; the events must not be acknowledged.
#[derive(Debug, thiserror::Error)]
#[error("cannot record actions: {0}")]
pub struct SinkError(pub String);

/// Takes the actions of evaluated events.
pub trait ActionSink: Send + Sync {
    /// Accepts the actions of every event in `batch`. Returns only once they are safe by the
    /// sink's own standard; an error means none of the batch may be acknowledged.
    fn record(&self, batch: &[(&Event, &EventOutcome)]) -> Result<(), SinkError>;
}

/// Writes every action to the log and keeps nothing: the dispatcher for trying rules out.
#[derive(Debug, Default)]
pub struct LogSink;

impl ActionSink for LogSink {
    fn record(&self, batch: &[(&Event, &EventOutcome)]) -> Result<(), SinkError> {
        for (event, outcome) in batch {
            for (plugin, action) in outcome.actions() {
                let json = serde_json::to_string(action).unwrap_or_default();
                tracing::info!(
                    target: "dispatch",
                    event = event.id(),
                    plugin = plugin.name(),
                    kind = action.kind(),
                    "would send {json}"
                );
            }
        }
        Ok(())
    }
}
