//! A plugin's validated decision, and the bounds it was validated against.
//!
//! The runtime lifts a guest's raw answer into these types and checks it against
//! [`OutputLimits`]; from then on nothing downstream (printing, the outbox, the dispatchers) has
//! to distrust it.

use serde::{Deserialize, Serialize};

use crate::action::Action;

/// A plugin's validated answer for one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the rule's condition held.
    pub matched: bool,
    /// Why, for the audit log.
    pub reason: Option<String>,
    /// What to do, in order.
    pub actions: Vec<Action>,
}

/// Bounds on what one decision may contain, so that a plugin cannot make the host buffer,
/// print or send without limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimits {
    /// Most actions one decision may carry.
    pub max_actions: usize,
    /// Most bytes any one string in a decision may have.
    pub max_string_bytes: usize,
}

impl Default for OutputLimits {
    fn default() -> Self {
        Self {
            max_actions: 100,
            // SNS messages and asynchronous Lambda payloads stop at 256 KiB.
            max_string_bytes: 256 * 1024,
        }
    }
}

/// Why a plugin's decision was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct InvalidOutput {
    /// Path of the offending value, e.g. `actions[2].sns.topicArn`.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}
