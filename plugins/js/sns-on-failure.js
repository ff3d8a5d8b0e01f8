// sns-on-failure, in JavaScript: publishes to an SNS topic when a Glue job run fails.
//
// The same rule as plugins/sns-on-failure (Rust), decision for decision. Settings, all
// optional: `topic-arn` (default `arn:<partition>:sns:<region>:<account>:glue-job-failures`),
// `notify-stopped` (`true` to publish for stopped runs too), `job-name` (a glob).

import {
  config, evaluator, glob, jobStateName, matched, metadata, noMatch, partition, severityName, sns,
} from './glue-rules.js';

const PATTERN = '{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["FAILED","TIMEOUT","ERROR","STOPPED"]}}';
const DEFAULT_TOPIC_NAME = 'glue-job-failures';

export function describe() {
  return metadata(
    'sns-on-failure',
    '0.1.0',
    'Publishes to an SNS topic when a Glue job run fails or times out.',
    [PATTERN],
  );
}

export const evaluate = evaluator((event) => {
  const settings = {
    topicArn: config.get('topic-arn'),
    notifyStopped: config.bool('notify-stopped', false),
    jobName: config.get('job-name'),
  };
  if (event.detail.tag !== 'job-state-change') {
    return noMatch(`detail-type "${event.detailType}" is not Glue Job State Change`);
  }
  if (event.source !== 'aws.glue') {
    return noMatch(`source "${event.source}" is not aws.glue`);
  }
  const change = event.detail.val;
  const job = change.jobName;
  const state = jobStateName(change.state);
  switch (change.state.tag) {
    case 'failed': case 'timeout': case 'error':
      break;
    case 'stopped':
      if (!settings.notifyStopped) {
        return noMatch(`job ${job} STOPPED and notify-stopped is off`);
      }
      break;
    default:
      return noMatch(`job ${job} is ${state}`);
  }
  if (settings.jobName !== undefined && !glob(settings.jobName, job)) {
    return noMatch(`job ${job} does not match job-name filter "${settings.jobName}"`);
  }
  const topic = settings.topicArn
    ?? `arn:${partition(event.region)}:sns:${event.region}:${event.account}:${DEFAULT_TOPIC_NAME}`;
  const severity = change.severity === undefined ? undefined : severityName(change.severity);
  const publish = sns(topic, {
    subject: `Glue job ${job} ${state}`,
    message: message(event, change, state, severity),
    attributes: [['jobName', job], ['state', state], ['severity', severity ?? '']],
  });
  return matched([publish], `job ${job} ${state}`);
});

/** The notification text: one fact per line, then Glue's own explanation. */
function message(event, change, state, severity) {
  let text = `AWS Glue job ${change.jobName} ended in state ${state}.\n\n`;
  text += `Job name: ${change.jobName}\n`;
  text += `Run id:   ${change.jobRunId}\n`;
  text += `State:    ${state}\n`;
  if (severity !== undefined) text += `Severity: ${severity}\n`;
  text += `Time:     ${event.time}\n`;
  text += `Region:   ${event.region}\n`;
  text += `Account:  ${event.account}\n`;
  text += `Event id: ${event.id}\n\n`;
  text += `Message from Glue:\n${change.message ?? '(none)'}`;
  return text;
}
