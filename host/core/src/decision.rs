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
///
/// Besides these, the runtime holds a few lists to the limits AWS itself sets on the call they
/// become (at most 50 SSM instance ids, say), since a longer one could never be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimits {
    /// Most actions one decision may carry.
    pub max_actions: usize,
    /// Most bytes any one string in a decision may have.
    pub max_string_bytes: usize,
    /// Most bytes all the strings of one decision may have together (the reason and every
    /// field of every action): what one evaluation may hand the host to store and send.
    pub max_decision_bytes: usize,
    /// Most items of any list in a decision that AWS does not bound more tightly (SNS message
    /// attributes, SSM parameters and each parameter's values).
    pub max_list_items: usize,
}

impl Default for OutputLimits {
    fn default() -> Self {
        Self {
            max_actions: 100,
            // SNS messages and asynchronous Lambda payloads stop at 256 KiB.
            max_string_bytes: 256 * 1024,
            // SNS, SQS, Step Functions input and EventBridge stop at 256 KiB per call, a Kinesis
            // record at 1 MB: a decision worth more than a few such calls is a runaway plugin.
            max_decision_bytes: 1 << 20,
            max_list_items: 1000,
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
