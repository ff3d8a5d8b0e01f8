// The six actions of the contract, one builder each: Lambda `Invoke`, SNS `Publish`, SQS
// `SendMessage`, Kinesis `PutRecord`, Step Functions `StartExecution` and SSM `SendCommand`
// (EC2 Run Command). Each returns the `action` variant value (`{ tag, val }`) that goes straight
// into `matched([...])`, with the same defaults and the same cleaning as the Rust SDK's
// builders (guest-sdk/rust/src/actions.rs), so rules in both languages send the same requests.
//
// Text arguments that carry a document (a payload, a message, a body, data, an input) take a
// string as it is, or any other value written as compact JSON (`toJson`).

import { jsonText, toJson } from './json.js';
import { CONTROL, asciiLowercase, trim, trimEnd, truncateChars } from './text.js';

/** The most characters SNS accepts in a `Subject`, and SSM in a `Comment`. */
const MAX_SUBJECT_CHARS = 100;
const MAX_COMMENT_CHARS = 100;

/**
 * Reads an invocation type setting: `event` or `request-response` in any case, with `-`, `_`
 * or nothing between the words (so Lambda's own `RequestResponse` works too). `undefined` for
 * anything else.
 */
export function parseInvocationType(text) {
  const folded = asciiLowercase(trim(text).replace(/[-_]/g, ''));
  if (folded === 'event') return 'event';
  if (folded === 'requestresponse') return 'request-response';
  return undefined;
}

/** The Lambda `InvocationType` spelling of an invocation type: `Event` or `RequestResponse`. */
export function invocationTypeName(type) {
  return type === 'event' ? 'Event' : 'RequestResponse';
}

/**
 * A Lambda `Invoke` of `functionName` (a name, `name:alias`, or an ARN) with `payload` (JSON
 * text, or a value written as JSON). The invocation type defaults to `request-response`,
 * Lambda's own default; pass `'event'` for an asynchronous invocation.
 */
export function lambda(functionName, payload = '{}', invocationType = 'request-response') {
  if (invocationType !== 'event' && invocationType !== 'request-response') {
    throw `lambda invocation type must be event or request-response, not "${invocationType}"`;
  }
  return { tag: 'lambda', val: { functionName, payload: jsonText(payload), invocationType } };
}

/** A `String` SNS message attribute (subscribers can filter on it). */
export function stringAttribute(name, value) {
  return { name, dataType: 'String', stringValue: value };
}

/** A `Number` SNS message attribute. */
export function numberAttribute(name, value) {
  return { name, dataType: 'Number', stringValue: String(value) };
}

/** A `String.Array` SNS message attribute: SNS wants the array as JSON text. */
export function stringArrayAttribute(name, values) {
  return { name, dataType: 'String.Array', stringValue: toJson(values.map(String)) };
}

/** An SNS subject cleaned as SNS wants it: control characters as spaces, trimmed, cut to 100. */
function cleanSubject(subject) {
  const cut = trimEnd(truncateChars(trim(subject.replace(CONTROL, ' ')), MAX_SUBJECT_CHARS));
  return cut === '' ? undefined : cut;
}

/**
 * An SNS `Publish` to `topicArn`.
 *
 * - `subject` (used by e-mail subscriptions) is cleaned as SNS wants it: SNS rejects a subject
 *   with control characters or longer than 100 characters, and a rejected subject loses the
 *   whole message; so control characters become spaces, the text is trimmed and cut to 100
 *   characters, and an empty subject is dropped.
 * - `message` is text, or a value written as JSON. SNS rejects an empty message.
 * - `attributes` are `[name, value]` pairs (`String` attributes), `[name, value, dataType]`
 *   triples, or attribute records (`numberAttribute(...)`). One with an empty value is skipped:
 *   SNS rejects empty attribute values, and the whole message with them.
 */
export function sns(topicArn, { subject, message = '', attributes = [] } = {}) {
  const messageAttributes = [];
  for (const attribute of attributes) {
    const record = Array.isArray(attribute)
      ? { name: attribute[0], dataType: attribute[2] ?? 'String', stringValue: attribute[1] }
      : attribute;
    if (typeof record.stringValue !== 'string') {
      throw `SNS attribute "${record.name}": the value must be a string, not ${typeof record.stringValue}`;
    }
    if (record.stringValue !== '') messageAttributes.push(record);
  }
  return {
    tag: 'sns',
    val: {
      topicArn,
      subject: subject === undefined ? undefined : cleanSubject(subject),
      message: jsonText(message),
      messageAttributes,
    },
  };
}

/**
 * An SQS `SendMessage` to `queueUrl`. `body` is text or a value written as JSON (SQS rejects an
 * empty body); `delaySeconds` 0 to 900 (FIFO queues accept only a queue-level delay);
 * `messageGroupId` is required for FIFO queues; `messageDeduplicationId` is for FIFO queues
 * without content-based deduplication (the event's `id` is a good choice: EventBridge keeps it
 * when it re-sends an event).
 */
export function sqs(queueUrl, { body = '', delaySeconds, messageGroupId, messageDeduplicationId } = {}) {
  if (delaySeconds !== undefined && (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 2 ** 32 - 1)) {
    throw `SQS delaySeconds must be a whole number of seconds, not ${delaySeconds}`;
  }
  return {
    tag: 'sqs',
    val: { queueUrl, messageBody: jsonText(body), delaySeconds, messageGroupId, messageDeduplicationId },
  };
}

/**
 * A Kinesis `PutRecord` to `stream` (a name, or an ARN starting with `arn:`, sent as
 * `StreamARN`) under `partitionKey`, with `data` as UTF-8 text (or a value written as JSON).
 */
export function kinesis(stream, partitionKey, data = '') {
  return { tag: 'kinesis', val: { streamName: stream, partitionKey, data: jsonText(data) } };
}

/**
 * A Step Functions `StartExecution` of `stateMachineArn` with `input` (JSON text or a value
 * written as JSON; `{}` by default). `name` names the execution: Step Functions refuses a second
 * execution with the same name for 90 days, so a name derived from the event id makes a re-sent
 * event start nothing twice. Without it Step Functions generates one.
 */
export function stepFunctions(stateMachineArn, { input = '{}', name } = {}) {
  return { tag: 'stepfunctions', val: { stateMachineArn, name, input: jsonText(input) } };
}

/** `{ key: values }` or a list of records as a list of `{ key, values }` / `{ name, values }`. */
function entries(value, keyName) {
  if (Array.isArray(value)) return value;
  return Object.entries(value).map(([key, values]) => ({ [keyName]: key, values }));
}

/**
 * An SSM `SendCommand` (EC2 Run Command) of `documentName`, e.g. `'AWS-RunShellScript'`.
 *
 * Choose the instances with one of `instanceIds` (a list of ids), `targets` (`{ 'tag:Role':
 * ['etl'] }`, or a list of `{ key, values }`) or `tags` (`{ Role: ['etl'] }`, the same as
 * targets with keys `tag:Role`). `parameters` are the document's (`{ commands: ['...'] }`, or a
 * list of `{ name, values }`). `comment` is shown in the SSM console; SSM allows 100
 * characters, so longer text is cut.
 */
export function ssm(documentName, { instanceIds, targets, tags, parameters = {}, comment } = {}) {
  const chosen = [instanceIds, targets, tags].filter((t) => t !== undefined).length;
  if (chosen > 1) throw 'an SSM command takes one of instanceIds, targets and tags, not several';
  let commandTargets = { tag: 'instance-ids', val: instanceIds ?? [] };
  if (targets !== undefined) {
    commandTargets = { tag: 'targets', val: entries(targets, 'key').map(({ key, values }) => ({ key, values: [...values] })) };
  } else if (tags !== undefined) {
    commandTargets = {
      tag: 'targets',
      val: Object.entries(tags).map(([tag, values]) => ({ key: `tag:${tag}`, values: [...values] })),
    };
  }
  return {
    tag: 'ssm',
    val: {
      documentName,
      targets: commandTargets,
      parameters: entries(parameters, 'name').map(({ name, values }) => ({ name, values: [...values] })),
      comment: comment === undefined ? undefined : truncateChars(comment, MAX_COMMENT_CHARS),
    },
  };
}
