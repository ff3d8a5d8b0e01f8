//! Builders for [`Action`]: one constructor per AWS call on `Action`, chainable setters on the
//! generated request records, and `From<record> for Action` so a finished builder goes straight
//! into [`Decision::matched`](crate::types::Decision::matched).
//!
//! The builders are the generated records themselves (no separate builder types): a rule can
//! still set any field directly, and nothing has to be "finished" before use.

use crate::types::{
    Action, CommandParameter, CommandTargets, InvocationType, KinesisPutRecord, LambdaInvoke,
    MessageAttribute, SfnStartExecution, SnsPublish, SqsSendMessage, SsmSendCommand, Target,
};

/// The most characters SNS accepts in a `Subject`.
const SNS_SUBJECT_MAX_CHARS: usize = 100;

/// Cuts `text` to at most `max_chars` characters, never inside a character.
///
/// AWS limits (SNS subjects, for one) count characters, and slicing a `String` by bytes could
/// split a multi-byte character and panic; this cannot.
pub fn truncate_chars(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        // `get` rather than indexing: the index is a char boundary, and `get` keeps the
        // panic path of string slicing (and its Unicode tables) out of small guests.
        Some((byte_index, _)) => text.get(..byte_index).unwrap_or(text),
        None => text,
    }
}

impl Action {
    /// A Lambda `Invoke` of `function_name` (a name, `name:alias`, or an ARN).
    ///
    /// Starts with payload `{}` and invocation type `RequestResponse` (Lambda's own default);
    /// call [`LambdaInvoke::event`] for an asynchronous invocation.
    pub fn lambda(function_name: impl Into<String>) -> LambdaInvoke {
        LambdaInvoke {
            function_name: function_name.into(),
            payload: "{}".to_owned(),
            invocation_type: InvocationType::RequestResponse,
        }
    }

    /// An SNS `Publish` to `topic_arn`. Starts with an empty message: set one with
    /// [`SnsPublish::message`], SNS rejects an empty message.
    pub fn sns(topic_arn: impl Into<String>) -> SnsPublish {
        SnsPublish {
            topic_arn: topic_arn.into(),
            subject: None,
            message: String::new(),
            message_attributes: Vec::new(),
        }
    }

    /// An SQS `SendMessage` to `queue_url`. Starts with an empty body: set one with
    /// [`SqsSendMessage::body`], SQS rejects an empty body.
    pub fn sqs(queue_url: impl Into<String>) -> SqsSendMessage {
        SqsSendMessage {
            queue_url: queue_url.into(),
            message_body: String::new(),
            delay_seconds: None,
            message_group_id: None,
            message_deduplication_id: None,
        }
    }

    /// A Kinesis `PutRecord` to `stream` (a name, or an ARN starting with `arn:`) under
    /// `partition_key`. Starts with empty data: set it with [`KinesisPutRecord::data`].
    pub fn kinesis(
        stream: impl Into<String>,
        partition_key: impl Into<String>,
    ) -> KinesisPutRecord {
        KinesisPutRecord {
            stream_name: stream.into(),
            partition_key: partition_key.into(),
            data: String::new(),
        }
    }

    /// A Step Functions `StartExecution` of `state_machine_arn`. Starts with input `{}` and no
    /// execution name (Step Functions then generates one).
    pub fn step_functions(state_machine_arn: impl Into<String>) -> SfnStartExecution {
        SfnStartExecution {
            state_machine_arn: state_machine_arn.into(),
            name: None,
            input: "{}".to_owned(),
        }
    }

    /// An SSM `SendCommand` (EC2 Run Command) of `document_name`, e.g. `"AWS-RunShellScript"`.
    /// Starts with no target: choose instances with [`SsmSendCommand::instance_ids`] or
    /// [`SsmSendCommand::targets_by_tag`].
    pub fn ssm(document_name: impl Into<String>) -> SsmSendCommand {
        SsmSendCommand {
            document_name: document_name.into(),
            targets: CommandTargets::InstanceIds(Vec::new()),
            parameters: Vec::new(),
            comment: None,
        }
    }
}

impl LambdaInvoke {
    /// Sets the payload to `payload`, which must be a JSON document.
    pub fn payload(mut self, payload: impl Into<String>) -> Self {
        self.payload = payload.into();
        self
    }

    /// Sets the payload to `value` serialized as compact JSON.
    pub fn json_payload(mut self, value: &serde_json::Value) -> Self {
        self.payload = value.to_string();
        self
    }

    /// Invokes asynchronously (`InvocationType=Event`): Lambda queues the call and the host
    /// does not wait for the function.
    pub fn event(mut self) -> Self {
        self.invocation_type = InvocationType::Event;
        self
    }

    /// Invokes synchronously (`InvocationType=RequestResponse`, the default): the host waits
    /// for the function and discards its answer.
    pub fn request_response(mut self) -> Self {
        self.invocation_type = InvocationType::RequestResponse;
        self
    }

    /// Sets the invocation type, for a rule that reads it from its settings.
    pub fn invocation_type(mut self, invocation_type: InvocationType) -> Self {
        self.invocation_type = invocation_type;
        self
    }

    /// Wraps the request into an [`Action`] (the same as `Action::from`).
    pub fn build(self) -> Action {
        self.into()
    }
}

impl SnsPublish {
    /// Sets the subject (used by e-mail subscriptions).
    ///
    /// SNS rejects a subject with line breaks or control characters, or longer than 100
    /// characters, and a rejected subject loses the whole message; so control characters are
    /// replaced by spaces and the text is cut to 100 characters. An empty subject is dropped.
    pub fn subject(mut self, subject: impl AsRef<str>) -> Self {
        let cleaned: String = subject
            .as_ref()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let cut = truncate_chars(cleaned.trim(), SNS_SUBJECT_MAX_CHARS).trim_end();
        self.subject = (!cut.is_empty()).then(|| cut.to_owned());
        self
    }

    /// Sets the message text.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Sets the message to `value` serialized as compact JSON.
    pub fn json_message(mut self, value: &serde_json::Value) -> Self {
        self.message = value.to_string();
        self
    }

    /// Adds a `String` message attribute (subscribers can filter on it).
    ///
    /// An attribute with an empty value is skipped: SNS rejects empty attribute values, and
    /// would reject the whole message with it.
    pub fn attribute(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.typed_attribute(name, "String", value)
    }

    /// Adds a `Number` message attribute.
    pub fn number_attribute(self, name: impl Into<String>, value: impl core::fmt::Display) -> Self {
        self.typed_attribute(name, "Number", value.to_string())
    }

    /// Adds a `String.Array` message attribute: SNS wants the array as JSON text.
    pub fn string_array_attribute<I, S>(self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let array: Vec<serde_json::Value> = values
            .into_iter()
            .map(|v| serde_json::Value::String(v.into()))
            .collect();
        self.typed_attribute(
            name,
            "String.Array",
            serde_json::Value::Array(array).to_string(),
        )
    }

    /// Adds a message attribute with an explicit SNS `DataType` ("String", "String.Array",
    /// "Number" or "Binary"). Skipped when `value` is empty, like [`SnsPublish::attribute`].
    pub fn typed_attribute(
        mut self,
        name: impl Into<String>,
        data_type: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        let string_value = value.into();
        if !string_value.is_empty() {
            self.message_attributes.push(MessageAttribute {
                name: name.into(),
                data_type: data_type.into(),
                string_value,
            });
        }
        self
    }

    /// Wraps the request into an [`Action`] (the same as `Action::from`).
    pub fn build(self) -> Action {
        self.into()
    }
}

impl SqsSendMessage {
    /// Sets the message body.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.message_body = body.into();
        self
    }

    /// Sets the message body to `value` serialized as compact JSON.
    pub fn json_body(mut self, value: &serde_json::Value) -> Self {
        self.message_body = value.to_string();
        self
    }

    /// Delays delivery by `seconds` (SQS accepts 0 to 900; FIFO queues accept only a
    /// queue-level delay).
    pub fn delay_seconds(mut self, seconds: u32) -> Self {
        self.delay_seconds = Some(seconds);
        self
    }

    /// Sets the message group (required for FIFO queues).
    pub fn message_group_id(mut self, group: impl Into<String>) -> Self {
        self.message_group_id = Some(group.into());
        self
    }

    /// Sets the deduplication id (FIFO queues without content-based deduplication). The
    /// event's `id` is a good choice: EventBridge keeps it when it re-sends an event.
    pub fn message_deduplication_id(mut self, id: impl Into<String>) -> Self {
        self.message_deduplication_id = Some(id.into());
        self
    }

    /// Wraps the request into an [`Action`] (the same as `Action::from`).
    pub fn build(self) -> Action {
        self.into()
    }
}

impl KinesisPutRecord {
    /// Sets the record's data (UTF-8 text).
    pub fn data(mut self, data: impl Into<String>) -> Self {
        self.data = data.into();
        self
    }

    /// Sets the record's data to `value` serialized as compact JSON.
    pub fn json_data(mut self, value: &serde_json::Value) -> Self {
        self.data = value.to_string();
        self
    }

    /// Wraps the request into an [`Action`] (the same as `Action::from`).
    pub fn build(self) -> Action {
        self.into()
    }
}

impl SfnStartExecution {
    /// Names the execution. Step Functions refuses a second execution with the same name for
    /// 90 days, so a name derived from the event id makes a re-sent event start nothing twice.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the execution's input, which must be a JSON document.
    pub fn input(mut self, input: impl Into<String>) -> Self {
        self.input = input.into();
        self
    }

    /// Sets the execution's input to `value` serialized as compact JSON.
    pub fn json_input(mut self, value: &serde_json::Value) -> Self {
        self.input = value.to_string();
        self
    }

    /// Wraps the request into an [`Action`] (the same as `Action::from`).
    pub fn build(self) -> Action {
        self.into()
    }
}

impl SsmSendCommand {
    /// Runs the command on these instances (`InstanceIds`), replacing any earlier targets.
    pub fn instance_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.targets = CommandTargets::InstanceIds(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Adds a `Targets` entry `key` = `values` (e.g. `"tag:Role"`, `"resource-groups:Name"`),
    /// replacing instance ids set earlier.
    pub fn target<I, S>(mut self, key: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let target = Target {
            key: key.into(),
            values: values.into_iter().map(Into::into).collect(),
        };
        match &mut self.targets {
            CommandTargets::Targets(targets) => targets.push(target),
            CommandTargets::InstanceIds(_) => self.targets = CommandTargets::Targets(vec![target]),
        }
        self
    }

    /// Adds a target selecting instances whose tag `tag` has one of `values`
    /// (key `tag:<tag>`).
    pub fn targets_by_tag<I, S>(self, tag: impl AsRef<str>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let key = format!("tag:{}", tag.as_ref());
        self.target(key, values)
    }

    /// Adds a document parameter, e.g. `("commands", ["systemctl restart etl"])`.
    pub fn parameter<I, S>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.parameters.push(CommandParameter {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Sets the command's comment (shown in the SSM console; SSM allows 100 characters, so
    /// longer text is cut).
    pub fn comment(mut self, comment: impl AsRef<str>) -> Self {
        self.comment = Some(truncate_chars(comment.as_ref(), 100).to_owned());
        self
    }

    /// Wraps the request into an [`Action`] (the same as `Action::from`).
    pub fn build(self) -> Action {
        self.into()
    }
}

impl From<LambdaInvoke> for Action {
    fn from(request: LambdaInvoke) -> Self {
        Action::Lambda(request)
    }
}

impl From<SnsPublish> for Action {
    fn from(request: SnsPublish) -> Self {
        Action::Sns(request)
    }
}

impl From<SqsSendMessage> for Action {
    fn from(request: SqsSendMessage) -> Self {
        Action::Sqs(request)
    }
}

impl From<KinesisPutRecord> for Action {
    fn from(request: KinesisPutRecord) -> Self {
        Action::Kinesis(request)
    }
}

impl From<SfnStartExecution> for Action {
    fn from(request: SfnStartExecution) -> Self {
        Action::Stepfunctions(request)
    }
}

impl From<SsmSendCommand> for Action {
    fn from(request: SsmSendCommand) -> Self {
        Action::Ssm(request)
    }
}

impl InvocationType {
    /// Lambda's spelling: `"RequestResponse"` or `"Event"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            InvocationType::RequestResponse => "RequestResponse",
            InvocationType::Event => "Event",
        }
    }

    /// Reads a setting: `event` or `request-response`, in any case, with `-`, `_` or nothing
    /// between the words (so Lambda's own `RequestResponse` works too). `None` for anything
    /// else.
    pub fn parse(text: &str) -> Option<Self> {
        let folded: String = text
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match folded.as_str() {
            "event" => Some(InvocationType::Event),
            "requestresponse" => Some(InvocationType::RequestResponse),
            _ => None,
        }
    }
}

impl core::fmt::Display for InvocationType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
