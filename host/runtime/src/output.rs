//! Lifting a guest's raw decision into the host's [`Decision`]: every string and list checked
//! against the plugin's [`OutputLimits`], every required field present, errors that name the
//! field (`actions[2].sns.topicArn`).

use glue_rules_core::action::{
    Action, InvocationType, KinesisPutRecord, LambdaInvoke, MessageAttribute, SfnStartExecution,
    SnsPublish, SqsSendMessage, SsmSendCommand, Target,
};
use glue_rules_core::{Decision, InvalidOutput, OutputLimits};

use crate::bindings::types as wit;

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

/// Validates a plugin's raw decision against `limits` and converts it into the host's type.
pub fn lift_decision(
    decision: wit::Decision,
    limits: &OutputLimits,
) -> Result<Decision, InvalidOutput> {
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
    Ok(Decision {
        matched: decision.matched,
        reason,
        actions,
    })
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
        let d = lift_decision(decision(vec![sns("arn:t")]), &OutputLimits::default()).unwrap();
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
        let err = lift_decision(decision(vec![sns("a"), sns("b"), sns("c")]), &limits).unwrap_err();
        assert_eq!(err.field, "actions");
    }

    #[test]
    fn oversized_and_empty_strings_name_their_field() {
        let limits = OutputLimits {
            max_string_bytes: 4,
            ..OutputLimits::default()
        };
        let err = lift_decision(decision(vec![sns("arn:long")]), &limits).unwrap_err();
        assert_eq!(err.field, "actions[0].sns.topicArn");
        let err = lift_decision(decision(vec![sns("")]), &OutputLimits::default()).unwrap_err();
        assert!(err.to_string().contains("must not be empty"), "{err}");
    }

    #[test]
    fn kinesis_arn_goes_to_stream_arn() {
        let action = wit::Action::Kinesis(wit::KinesisPutRecord {
            stream_name: "arn:aws:kinesis:us-east-1:1:stream/s".into(),
            partition_key: "k".into(),
            data: "{}".into(),
        });
        let d = lift_decision(decision(vec![action]), &OutputLimits::default()).unwrap();
        let Action::Kinesis(k) = &d.actions[0] else {
            panic!()
        };
        assert!(k.stream_name.is_none());
        assert!(k.stream_arn.is_some());
    }
}
