//! The actions a decision may ask for, one per AWS API, under the APIs' own field names.
//!
//! The JSON form is the one `glue-rules eval` prints and the outbox stores: each action has a
//! `"type"` and its fields under the AWS APIs' own names in lowerCamelCase.

use serde::{Deserialize, Serialize};

/// One AWS API call to perform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Action {
    /// Lambda `Invoke`.
    Lambda(LambdaInvoke),
    /// SNS `Publish`.
    Sns(SnsPublish),
    /// SQS `SendMessage`.
    Sqs(SqsSendMessage),
    /// Kinesis `PutRecord`.
    Kinesis(KinesisPutRecord),
    /// Step Functions `StartExecution`.
    #[serde(rename = "stepfunctions")]
    StepFunctions(SfnStartExecution),
    /// SSM `SendCommand` (EC2 Run Command).
    Ssm(SsmSendCommand),
}

impl Action {
    /// Which AWS API the action calls.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Lambda(_) => ActionKind::Lambda,
            Action::Sns(_) => ActionKind::Sns,
            Action::Sqs(_) => ActionKind::Sqs,
            Action::Kinesis(_) => ActionKind::Kinesis,
            Action::StepFunctions(_) => ActionKind::StepFunctions,
            Action::Ssm(_) => ActionKind::Ssm,
        }
    }
}

/// The six kinds of action, one per AWS API the host calls.
///
/// One enum instead of strings so that tables, metrics labels, outbox columns and totals cannot
/// drift apart: adding a kind is a compile error everywhere that must handle it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    /// Lambda `Invoke`.
    Lambda,
    /// SNS `Publish`.
    Sns,
    /// SQS `SendMessage`.
    Sqs,
    /// Kinesis `PutRecord`.
    Kinesis,
    /// Step Functions `StartExecution`.
    #[serde(rename = "stepfunctions")]
    StepFunctions,
    /// SSM `SendCommand`.
    Ssm,
}

impl ActionKind {
    /// Every kind, in the stable order used by tables and metrics.
    pub const ALL: [ActionKind; 6] = [
        ActionKind::Lambda,
        ActionKind::Sns,
        ActionKind::Sqs,
        ActionKind::Kinesis,
        ActionKind::StepFunctions,
        ActionKind::Ssm,
    ];

    /// The `"type"` tag of the action's JSON form, which is also its metrics label and the
    /// value stored in the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Lambda => "lambda",
            ActionKind::Sns => "sns",
            ActionKind::Sqs => "sqs",
            ActionKind::Kinesis => "kinesis",
            ActionKind::StepFunctions => "stepfunctions",
            ActionKind::Ssm => "ssm",
        }
    }

    /// The kind whose tag is `tag`, if any (reading the outbox back).
    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == tag)
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lambda `InvocationType`, in the API's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvocationType {
    /// Synchronous invocation.
    RequestResponse,
    /// Asynchronous invocation.
    Event,
}

/// Lambda `Invoke`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaInvoke {
    /// `FunctionName`.
    pub function_name: String,
    /// `Payload`, JSON text.
    pub payload: String,
    /// `InvocationType`.
    pub invocation_type: InvocationType,
}

/// One SNS message attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageAttribute {
    /// `DataType`.
    pub data_type: String,
    /// `StringValue`.
    pub string_value: String,
}

/// SNS `Publish`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnsPublish {
    /// `TopicArn`.
    pub topic_arn: String,
    /// `Subject`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subject: Option<String>,
    /// `Message`.
    pub message: String,
    /// `MessageAttributes`, keyed by name, in name order.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty", default)]
    pub message_attributes: std::collections::BTreeMap<String, MessageAttribute>,
}

/// SQS `SendMessage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsSendMessage {
    /// `QueueUrl`.
    pub queue_url: String,
    /// `MessageBody`.
    pub message_body: String,
    /// `DelaySeconds`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub delay_seconds: Option<u32>,
    /// `MessageGroupId`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message_group_id: Option<String>,
    /// `MessageDeduplicationId`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message_deduplication_id: Option<String>,
}

/// Kinesis `PutRecord`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisPutRecord {
    /// `StreamName`, absent when the plugin named the stream by ARN.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stream_name: Option<String>,
    /// `StreamARN`, when the plugin named the stream by ARN.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stream_arn: Option<String>,
    /// `PartitionKey`.
    pub partition_key: String,
    /// `Data`, as UTF-8 text.
    pub data: String,
}

/// Step Functions `StartExecution`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SfnStartExecution {
    /// `stateMachineArn`.
    pub state_machine_arn: String,
    /// `name`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// `input`, JSON text.
    pub input: String,
}

/// One SSM `Targets` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// `Key`, e.g. `tag:Role`.
    pub key: String,
    /// `Values`.
    pub values: Vec<String>,
}

/// SSM `SendCommand`. Exactly one of `instance_ids` and `targets` is non-empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsmSendCommand {
    /// `DocumentName`.
    pub document_name: String,
    /// `InstanceIds`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub instance_ids: Vec<String>,
    /// `Targets`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub targets: Vec<Target>,
    /// `Parameters`, keyed by name.
    #[serde(default)]
    pub parameters: std::collections::BTreeMap<String, Vec<String>>,
    /// `Comment`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub comment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_tags_round_trip_and_match_the_json_type_tag() {
        for kind in ActionKind::ALL {
            assert_eq!(ActionKind::from_tag(kind.as_str()), Some(kind));
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
        }
        let action = Action::StepFunctions(SfnStartExecution {
            state_machine_arn: "arn:sm".into(),
            name: None,
            input: "{}".into(),
        });
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json["type"], action.kind().as_str());
        assert_eq!(ActionKind::from_tag("smtp"), None);
    }
}
