//! Decisions and actions as the host keeps them: validated, serialisable, independent of
//! WebAssembly.
//!
//! The JSON form is the one `glue-rules eval` prints and the outbox stores: each action has a
//! `"type"` and its fields under the AWS APIs' own names in lowerCamelCase.

use serde::{Deserialize, Serialize};

use crate::bindings::types as wit;

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
    /// The action's `"type"` tag, as used in output and metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Lambda(_) => "lambda",
            Action::Sns(_) => "sns",
            Action::Sqs(_) => "sqs",
            Action::Kinesis(_) => "kinesis",
            Action::StepFunctions(_) => "stepfunctions",
            Action::Ssm(_) => "ssm",
        }
    }

    /// All action kinds, in a stable order for tables and metrics.
    pub const KINDS: [&'static str; 6] =
        ["lambda", "sns", "sqs", "kinesis", "stepfunctions", "ssm"];
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

struct Check<'a> {
    limits: &'a OutputLimits,
}

impl Check<'_> {
    fn string(&self, field: impl Fn() -> String, value: String) -> Result<String, InvalidOutput> {
        if value.len() > self.limits.max_string_bytes {
            return Err(InvalidOutput {
                field: field(),
                problem: format!(
                    "{} bytes, over the {}-byte limit",
                    value.len(),
                    self.limits.max_string_bytes
                ),
            });
        }
        Ok(value)
    }

    fn required(&self, field: impl Fn() -> String, value: String) -> Result<String, InvalidOutput> {
        if value.trim().is_empty() {
            return Err(InvalidOutput {
                field: field(),
                problem: "must not be empty".into(),
            });
        }
        self.string(field, value)
    }

    fn optional(
        &self,
        field: impl Fn() -> String,
        value: Option<String>,
    ) -> Result<Option<String>, InvalidOutput> {
        value.map(|v| self.string(field, v)).transpose()
    }

    fn list(
        &self,
        field: impl Fn() -> String,
        values: Vec<String>,
    ) -> Result<Vec<String>, InvalidOutput> {
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| self.string(|| format!("{}[{i}]", field()), v))
            .collect()
    }
}

impl Decision {
    /// Validates a plugin's raw decision against `limits` and converts it.
    pub fn from_wit(decision: wit::Decision, limits: &OutputLimits) -> Result<Self, InvalidOutput> {
        if decision.actions.len() > limits.max_actions {
            return Err(InvalidOutput {
                field: "actions".into(),
                problem: format!(
                    "{} actions, over the limit of {}",
                    decision.actions.len(),
                    limits.max_actions
                ),
            });
        }
        if !decision.matched && !decision.actions.is_empty() {
            return Err(InvalidOutput {
                field: "actions".into(),
                problem: format!(
                    "{} actions returned with matched = false; a rule that acts must match",
                    decision.actions.len()
                ),
            });
        }
        let check = Check { limits };
        let reason = check.optional(|| "reason".into(), decision.reason)?;
        let actions = decision
            .actions
            .into_iter()
            .enumerate()
            .map(|(i, action)| convert_action(&check, i, action))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            matched: decision.matched,
            reason,
            actions,
        })
    }
}

fn convert_action(
    check: &Check<'_>,
    i: usize,
    action: wit::Action,
) -> Result<Action, InvalidOutput> {
    let at = |kind: &str, field: &str| format!("actions[{i}].{kind}.{field}");
    Ok(match action {
        wit::Action::Lambda(a) => Action::Lambda(LambdaInvoke {
            function_name: check.required(|| at("lambda", "functionName"), a.function_name)?,
            payload: check.string(|| at("lambda", "payload"), a.payload)?,
            invocation_type: match a.invocation_type {
                wit::InvocationType::RequestResponse => InvocationType::RequestResponse,
                wit::InvocationType::Event => InvocationType::Event,
            },
        }),
        wit::Action::Sns(a) => {
            let topic_arn = check.required(|| at("sns", "topicArn"), a.topic_arn)?;
            let subject = check.optional(|| at("sns", "subject"), a.subject)?;
            let message = check.required(|| at("sns", "message"), a.message)?;
            let mut message_attributes = std::collections::BTreeMap::new();
            for (j, attr) in a.message_attributes.into_iter().enumerate() {
                let field = |name: &str| at("sns", &format!("messageAttributes[{j}].{name}"));
                let name = check.required(|| field("name"), attr.name)?;
                let value = MessageAttribute {
                    data_type: check.required(|| field("dataType"), attr.data_type)?,
                    string_value: check.string(|| field("stringValue"), attr.string_value)?,
                };
                message_attributes.insert(name, value);
            }
            Action::Sns(SnsPublish {
                topic_arn,
                subject,
                message,
                message_attributes,
            })
        }
        wit::Action::Sqs(a) => {
            if let Some(delay) = a.delay_seconds.filter(|d| *d > 900) {
                return Err(InvalidOutput {
                    field: at("sqs", "delaySeconds"),
                    problem: format!("{delay} is over SQS's maximum of 900"),
                });
            }
            Action::Sqs(SqsSendMessage {
                queue_url: check.required(|| at("sqs", "queueUrl"), a.queue_url)?,
                message_body: check.required(|| at("sqs", "messageBody"), a.message_body)?,
                delay_seconds: a.delay_seconds,
                message_group_id: check
                    .optional(|| at("sqs", "messageGroupId"), a.message_group_id)?,
                message_deduplication_id: check.optional(
                    || at("sqs", "messageDeduplicationId"),
                    a.message_deduplication_id,
                )?,
            })
        }
        wit::Action::Kinesis(a) => {
            let stream = check.required(|| at("kinesis", "streamName"), a.stream_name)?;
            let (stream_name, stream_arn) = if stream.starts_with("arn:") {
                (None, Some(stream))
            } else {
                (Some(stream), None)
            };
            Action::Kinesis(KinesisPutRecord {
                stream_name,
                stream_arn,
                partition_key: check.required(|| at("kinesis", "partitionKey"), a.partition_key)?,
                data: check.string(|| at("kinesis", "data"), a.data)?,
            })
        }
        wit::Action::Stepfunctions(a) => Action::StepFunctions(SfnStartExecution {
            state_machine_arn: check.required(
                || at("stepfunctions", "stateMachineArn"),
                a.state_machine_arn,
            )?,
            name: check.optional(|| at("stepfunctions", "name"), a.name)?,
            input: check.string(|| at("stepfunctions", "input"), a.input)?,
        }),
        wit::Action::Ssm(a) => {
            let (instance_ids, targets) = match a.targets {
                wit::CommandTargets::InstanceIds(ids) => {
                    (check.list(|| at("ssm", "instanceIds"), ids)?, Vec::new())
                }
                wit::CommandTargets::Targets(targets) => {
                    let targets = targets
                        .into_iter()
                        .enumerate()
                        .map(|(j, t)| {
                            Ok(Target {
                                key: check
                                    .required(|| at("ssm", &format!("targets[{j}].key")), t.key)?,
                                values: check.list(
                                    || at("ssm", &format!("targets[{j}].values")),
                                    t.values,
                                )?,
                            })
                        })
                        .collect::<Result<Vec<_>, InvalidOutput>>()?;
                    (Vec::new(), targets)
                }
            };
            if instance_ids.is_empty() && targets.is_empty() {
                return Err(InvalidOutput {
                    field: at("ssm", "instanceIds"),
                    problem: "a command needs instance ids or targets".into(),
                });
            }
            let mut parameters = std::collections::BTreeMap::new();
            for (j, p) in a.parameters.into_iter().enumerate() {
                let name =
                    check.required(|| at("ssm", &format!("parameters[{j}].name")), p.name)?;
                let values =
                    check.list(|| at("ssm", &format!("parameters[{j}].values")), p.values)?;
                parameters.insert(name, values);
            }
            Action::Ssm(SsmSendCommand {
                document_name: check.required(|| at("ssm", "documentName"), a.document_name)?,
                instance_ids,
                targets,
                parameters,
                comment: check.optional(|| at("ssm", "comment"), a.comment)?,
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sns(topic: &str) -> wit::Action {
        wit::Action::Sns(wit::SnsPublish {
            topic_arn: topic.into(),
            subject: Some("s".into()),
            message: "m".into(),
            message_attributes: vec![wit::MessageAttribute {
                name: "state".into(),
                data_type: "String".into(),
                string_value: "FAILED".into(),
            }],
        })
    }

    fn decision(actions: Vec<wit::Action>) -> wit::Decision {
        wit::Decision {
            matched: true,
            actions,
            reason: None,
        }
    }

    #[test]
    fn actions_serialise_with_type_tag_and_aws_field_names() {
        let d = Decision::from_wit(decision(vec![sns("arn:t")]), &OutputLimits::default()).unwrap();
        let json = serde_json::to_value(&d.actions[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type":"sns","topicArn":"arn:t","subject":"s","message":"m",
                "messageAttributes":{"state":{"dataType":"String","stringValue":"FAILED"}}})
        );
        let back: Action = serde_json::from_value(json).unwrap();
        assert_eq!(back, d.actions[0]);
    }

    #[test]
    fn too_many_actions_are_refused() {
        let limits = OutputLimits {
            max_actions: 2,
            ..OutputLimits::default()
        };
        let err =
            Decision::from_wit(decision(vec![sns("a"), sns("b"), sns("c")]), &limits).unwrap_err();
        assert_eq!(err.field, "actions");
    }

    #[test]
    fn oversized_and_empty_strings_name_their_field() {
        let limits = OutputLimits {
            max_string_bytes: 4,
            ..OutputLimits::default()
        };
        let err = Decision::from_wit(decision(vec![sns("arn:long")]), &limits).unwrap_err();
        assert_eq!(err.field, "actions[0].sns.topicArn");
        let err =
            Decision::from_wit(decision(vec![sns("")]), &OutputLimits::default()).unwrap_err();
        assert!(err.to_string().contains("must not be empty"), "{err}");
    }

    #[test]
    fn kinesis_arn_goes_to_stream_arn() {
        let action = wit::Action::Kinesis(wit::KinesisPutRecord {
            stream_name: "arn:aws:kinesis:us-east-1:1:stream/s".into(),
            partition_key: "k".into(),
            data: "{}".into(),
        });
        let d = Decision::from_wit(decision(vec![action]), &OutputLimits::default()).unwrap();
        let Action::Kinesis(k) = &d.actions[0] else {
            panic!()
        };
        assert!(k.stream_name.is_none());
        assert!(k.stream_arn.is_some());
    }
}
