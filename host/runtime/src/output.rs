//! Lifting a guest's raw decision into the host's [`Decision`]: every string and list checked
//! against the plugin's [`OutputLimits`], every required field present, errors that name the
//! field (`actions[2].sns.topicArn`).
//!
//! The size of the whole decision is checked first, by summing the lengths of its strings in
//! place: a decision over `max-decision-bytes` is refused before any of its strings is copied
//! or converted. (What wasmtime lifts out of the guest before this runs is bounded by the
//! instance's memory cap: the guest had to hold it.)

use glue_rules_core::action::{
    Action, InvocationType, KinesisPutRecord, LambdaInvoke, MessageAttribute, SfnStartExecution,
    SnsPublish, SqsSendMessage, SsmSendCommand, Target,
};
use glue_rules_core::{Decision, InvalidOutput, OutputLimits};

use crate::bindings::types as wit;

/// SSM `SendCommand` takes at most 50 `InstanceIds` ("you can specify up to 50 IDs", SSM API
/// reference); more need `Targets`.
pub const SSM_MAX_INSTANCE_IDS: usize = 50;
/// SSM `SendCommand` takes at most 5 `Targets` (SSM API reference: "Maximum number of 5
/// items").
pub const SSM_MAX_TARGETS: usize = 5;
/// An SSM `Target` has at most 50 `Values` (SSM API reference, `Target`: "Maximum number of 50
/// items").
pub const SSM_MAX_TARGET_VALUES: usize = 50;

/// The bytes of all the strings of `decision` together, summed in place (nothing is copied).
pub fn decision_bytes(decision: &wit::Decision) -> usize {
    fn all<'a>(strings: impl IntoIterator<Item = &'a String>) -> usize {
        strings
            .into_iter()
            .map(String::len)
            .fold(0, usize::saturating_add)
    }
    fn opt(value: &Option<String>) -> usize {
        value.as_ref().map_or(0, String::len)
    }
    let actions = decision.actions.iter().map(|action| match action {
        wit::Action::Lambda(a) => a.function_name.len().saturating_add(a.payload.len()),
        wit::Action::Sns(a) => a
            .message_attributes
            .iter()
            .map(|m| all([&m.name, &m.data_type, &m.string_value]))
            .fold(0, usize::saturating_add)
            .saturating_add(all([&a.topic_arn, &a.message]))
            .saturating_add(opt(&a.subject)),
        wit::Action::Sqs(a) => all([&a.queue_url, &a.message_body])
            .saturating_add(opt(&a.message_group_id))
            .saturating_add(opt(&a.message_deduplication_id)),
        wit::Action::Kinesis(a) => all([&a.stream_name, &a.partition_key, &a.data]),
        wit::Action::Stepfunctions(a) => {
            all([&a.state_machine_arn, &a.input]).saturating_add(opt(&a.name))
        }
        wit::Action::Ssm(a) => {
            let targets = match &a.targets {
                wit::CommandTargets::InstanceIds(ids) => all(ids),
                wit::CommandTargets::Targets(targets) => targets
                    .iter()
                    .map(|t| t.key.len().saturating_add(all(&t.values)))
                    .fold(0, usize::saturating_add),
            };
            a.parameters
                .iter()
                .map(|p| p.name.len().saturating_add(all(&p.values)))
                .fold(targets, usize::saturating_add)
                .saturating_add(a.document_name.len())
                .saturating_add(opt(&a.comment))
        }
    });
    actions.fold(opt(&decision.reason), usize::saturating_add)
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

    /// Refuses a list longer than `max`; `what` says whose limit that is.
    fn count<T>(
        &self,
        field: impl Fn() -> String,
        values: &[T],
        max: usize,
        what: &str,
    ) -> Result<(), InvalidOutput> {
        if values.len() > max {
            return Err(InvalidOutput {
                field: field(),
                problem: format!("{} items, over {what} of {max}", values.len()),
            });
        }
        Ok(())
    }

    /// Refuses a list longer than `max-list-items`.
    fn items<T>(&self, field: impl Fn() -> String, values: &[T]) -> Result<(), InvalidOutput> {
        self.count(
            field,
            values,
            self.limits.max_list_items,
            "the max-list-items limit",
        )
    }

    /// A list of strings of at most `max` items (`what` names that limit), each checked.
    fn list(
        &self,
        field: impl Fn() -> String,
        values: Vec<String>,
        max: usize,
        what: &str,
    ) -> Result<Vec<String>, InvalidOutput> {
        self.count(&field, &values, max, what)?;
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
    // Before anything is copied: the whole decision, then each part.
    let bytes = decision_bytes(&decision);
    if bytes > limits.max_decision_bytes {
        return Err(InvalidOutput {
            field: "decision".into(),
            problem: format!(
                "{bytes} bytes of strings in all, over the {}-byte limit on one decision \
                 (max-decision-bytes)",
                limits.max_decision_bytes
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
            check.items(|| at("sns", "messageAttributes"), &a.message_attributes)?;
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
                wit::CommandTargets::InstanceIds(ids) => (
                    check.list(
                        || at("ssm", "instanceIds"),
                        ids,
                        SSM_MAX_INSTANCE_IDS,
                        "SSM SendCommand's maximum",
                    )?,
                    Vec::new(),
                ),
                wit::CommandTargets::Targets(targets) => {
                    check.count(
                        || at("ssm", "targets"),
                        &targets,
                        SSM_MAX_TARGETS,
                        "SSM SendCommand's maximum",
                    )?;
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
                                    SSM_MAX_TARGET_VALUES,
                                    "SSM's maximum per target",
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
            check.items(|| at("ssm", "parameters"), &a.parameters)?;
            let mut parameters = std::collections::BTreeMap::new();
            for (j, p) in a.parameters.into_iter().enumerate() {
                let name =
                    check.required(|| at("ssm", &format!("parameters[{j}].name")), p.name)?;
                let values = check.list(
                    || at("ssm", &format!("parameters[{j}].values")),
                    p.values,
                    check.limits.max_list_items,
                    "the max-list-items limit",
                )?;
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

    fn ssm(targets: wit::CommandTargets) -> wit::Action {
        wit::Action::Ssm(wit::SsmSendCommand {
            document_name: "AWS-RunShellScript".into(),
            targets,
            parameters: vec![wit::CommandParameter {
                name: "commands".into(),
                values: vec!["echo hello".into()],
            }],
            comment: None,
        })
    }

    fn ids(count: usize, width: usize) -> Vec<String> {
        (0..count)
            .map(|i| {
                let id = format!("i-{i:x}");
                "0".repeat(width.saturating_sub(id.len())) + &id
            })
            .collect()
    }

    #[test]
    fn a_decision_is_bounded_in_total_not_only_per_string() {
        // 40 instance ids of 100 KiB: each under max-string-bytes, 4 MB together.
        let wide = decision(vec![ssm(wit::CommandTargets::InstanceIds(ids(
            40,
            100 << 10,
        )))]);
        let size = decision_bytes(&wide);
        assert!(size > 40 * (100 << 10), "{size}");
        let err = lift_decision(wide, &OutputLimits::default()).unwrap_err();
        assert_eq!(err.field, "decision");
        assert!(
            err.problem.contains(&size.to_string())
                && err.problem.contains("1048576")
                && err.problem.contains("max-decision-bytes"),
            "{err}"
        );
        // Five SNS messages of 250 KiB: every string and the action count within their limits.
        let message = |_| {
            let mut a = sns("arn:t");
            if let wit::Action::Sns(s) = &mut a {
                s.message = "m".repeat(250 << 10);
            }
            a
        };
        let many = decision((0..5).map(message).collect());
        let err = lift_decision(many, &OutputLimits::default()).unwrap_err();
        assert_eq!(err.field, "decision", "{err}");
        // Within the total, the same shapes pass.
        let fits = decision((0..4).map(message).collect());
        assert!(lift_decision(fits, &OutputLimits::default()).is_ok());
    }

    #[test]
    fn lists_are_held_to_the_limits_aws_sets() {
        let limits = OutputLimits::default();
        let ok = decision(vec![ssm(wit::CommandTargets::InstanceIds(ids(50, 19)))]);
        assert!(lift_decision(ok, &limits).is_ok());
        let err = lift_decision(
            decision(vec![ssm(wit::CommandTargets::InstanceIds(ids(51, 19)))]),
            &limits,
        )
        .unwrap_err();
        assert_eq!(err.field, "actions[0].ssm.instanceIds");
        assert!(
            err.problem.contains("51 items") && err.problem.contains("50"),
            "{err}"
        );

        let target = |values: usize| wit::Target {
            key: "tag:Role".into(),
            values: ids(values, 3),
        };
        let six = decision(vec![ssm(wit::CommandTargets::Targets(
            (0..6).map(|_| target(1)).collect(),
        ))]);
        let err = lift_decision(six, &limits).unwrap_err();
        assert_eq!(err.field, "actions[0].ssm.targets");
        let wide = decision(vec![ssm(wit::CommandTargets::Targets(vec![target(51)]))]);
        let err = lift_decision(wide, &limits).unwrap_err();
        assert_eq!(err.field, "actions[0].ssm.targets[0].values");
        let five = decision(vec![ssm(wit::CommandTargets::Targets(
            (0..5).map(|_| target(50)).collect(),
        ))]);
        assert!(lift_decision(five, &limits).is_ok());

        // A million empty strings weigh nothing in bytes but are still refused.
        let mut empty = ssm(wit::CommandTargets::InstanceIds(ids(1, 3)));
        if let wit::Action::Ssm(s) = &mut empty {
            s.parameters[0].values = vec![String::new(); 1_000_000];
        }
        let err = lift_decision(decision(vec![empty]), &limits).unwrap_err();
        assert_eq!(err.field, "actions[0].ssm.parameters[0].values");
        assert!(err.problem.contains("max-list-items"), "{err}");
    }
}
