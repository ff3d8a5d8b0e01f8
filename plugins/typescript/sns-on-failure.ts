// sns-on-failure, in TypeScript: publishes to an SNS topic when a Glue job run fails.
//
// The same rule as plugins/sns-on-failure (Rust), decision for decision. Settings, all
// optional, declared in `describe` so that the host checks them at load: `topic-arn` (default
// `arn:<partition>:sns:<region>:<account>:glue-job-failures`), `notify-stopped` (`true` to
// publish for stopped runs too), `job-name` (a glob). `describe` turns `notify-stopped` and
// `job-name` into the event pattern; `evaluate` checks them again.
//
// The subject and the message are EventBridge input templates (`<job>`, `<state>`... over an
// `InputPathsMap`), rendered with the SDK's `render`.

import {
  type Event, type InputPaths, type JobStateChange,
  JsonObject, config, glob, globPatternValue, jobStateName, matched, metadata, noMatch,
  partition, render, rule, setting, severityName, sns,
} from '@glue-rules/sdk';

const DEFAULT_TOPIC_NAME = 'glue-job-failures';

/** The EventBridge pattern for these settings (ERROR counts as a failure in Glue). */
function pattern(notifyStopped: boolean, jobName: string | undefined): string {
  const states = notifyStopped
    ? ['FAILED', 'TIMEOUT', 'ERROR', 'STOPPED']
    : ['FAILED', 'TIMEOUT', 'ERROR'];
  const detail = new JsonObject().strings('state', states);
  const value = jobName === undefined ? undefined : globPatternValue(jobName);
  if (value !== undefined) detail.raw('jobName', `[${value}]`);
  return new JsonObject()
    .strings('source', ['aws.glue'])
    .strings('detail-type', ['Glue Job State Change'])
    .raw('detail', detail.finish())
    .finish();
}

/**
 * The templates' variables, as an EventBridge input transformer's `InputPathsMap`: names for
 * JSON paths into the event.
 */
const PATHS: InputPaths = {
  job: '$.detail.jobName',
  run: '$.detail.jobRunId',
  state: '$.detail.state',
  severity: '$.detail.severity',
  message: '$.detail.message',
  time: '$.time',
  region: '$.region',
  account: '$.account',
  id: '$.id',
};

/**
 * The SNS subject's template (plain text: values are written as they are; `sns` then replaces
 * control characters and cuts it to SNS's 100 characters).
 */
const SUBJECT = 'Glue job <job> <state>';

/**
 * The notification's template, plain text: one fact per line, then Glue's own explanation. The
 * severity line only when the event has a severity, and "(none)" for a missing message.
 */
function messageTemplate(change: JobStateChange): string {
  let template = 'AWS Glue job <job> ended in state <state>.\n\n'
    + 'Job name: <job>\n'
    + 'Run id:   <run>\n'
    + 'State:    <state>\n';
  if (change.severity !== undefined) template += 'Severity: <severity>\n';
  template += 'Time:     <time>\n'
    + 'Region:   <region>\n'
    + 'Account:  <account>\n'
    + 'Event id: <id>\n\n'
    + 'Message from Glue:\n';
  template += change.message !== undefined ? '<message>' : '(none)';
  return template;
}

/**
 * What the templates' paths select, taken from the typed view rather than from the host's
 * `eventJson`: the same values (the host builds both from one event), without copying the
 * whole event into the plugin for every failed run.
 */
function templateInput(event: Event, change: JobStateChange) {
  return {
    id: event.id,
    time: event.time,
    region: event.region,
    account: event.account,
    detail: {
      jobName: change.jobName,
      jobRunId: change.jobRunId,
      state: jobStateName(change.state),
      severity: change.severity === undefined ? null : severityName(change.severity),
      message: change.message ?? null,
    },
  };
}

export const handler = rule({
  describe(settings) {
    const notifyStopped = settings.bool('notify-stopped', false);
    return metadata(
      'sns-on-failure',
      '0.1.0',
      'Publishes to an SNS topic when a Glue job run fails or times out.',
      [pattern(notifyStopped, settings.get('job-name'))],
      [
        setting('string', 'topic-arn', 'The SNS topic to publish to; default arn:<partition>:sns:<region>:<account>:glue-job-failures.'),
        setting('bool', 'notify-stopped', 'Also publish for runs that were stopped.', { defaultValue: 'false' }),
        setting('string', 'job-name', 'A glob (*, ?) the job name must match, e.g. nightly-*.'),
      ],
    );
  },

  evaluate(event: Event) {
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
    const input = templateInput(event, change);
    const publish = sns(topic, {
      subject: render(SUBJECT, PATHS, input),
      message: render(messageTemplate(change), PATHS, input),
      attributes: [['jobName', job], ['state', state], ['severity', severity ?? '']],
    });
    return matched([publish], `job ${job} ${state}`);
  },
});
