// sns-on-failure, in TypeScript: publishes to an SNS topic when a Glue job run fails.
//
// The same rule as plugins/sns-on-failure (Rust), decision for decision. Settings, all
// optional, declared in `describe` so that the host checks them at load: `topic-arn` (default
// `arn:<partition>:sns:<region>:<account>:glue-job-failures`), `notify-stopped` (`true` to
// publish for stopped runs too), `job-name` (a glob). `describe` turns `notify-stopped` and
// `job-name` into the event pattern; `evaluate` checks them again.

import {
  type Event, type JobStateChange,
  JsonObject, config, glob, globPatternValue, jobStateName, matched, metadata, noMatch,
  partition, rule, setting, severityName, sns,
} from './glue-rules.ts';

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
    const publish = sns(topic, {
      subject: `Glue job ${job} ${state}`,
      message: message(event, change, state, severity),
      attributes: [['jobName', job], ['state', state], ['severity', severity ?? '']],
    });
    return matched([publish], `job ${job} ${state}`);
  },
});

/** The notification text: one fact per line, then Glue's own explanation. */
function message(
  event: Event,
  change: JobStateChange,
  state: string,
  severity: string | undefined,
): string {
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
