// lambda-on-success, in TypeScript: invokes a Lambda function when a Glue job run succeeds.
//
// The same rule as plugins/lambda-on-success (Rust), decision for decision. Settings, all
// optional, declared in `describe` so that the host checks them at load (and `describe`
// refuses an unknown `invocation-type`): `job-name` (a glob, part of the event pattern unless
// it has a `?`), `function-name` (default `glue-job-succeeded`), `invocation-type` (`event`,
// the default, or `request-response`).

import {
  type Event, type InvocationType,
  JsonObject, config, glob, globPatternValue, invocationTypeName, jobStateName, lambda, log,
  matched, metadata, noMatch, parseInvocationType, rule, setting,
} from './glue-rules.ts';

const DEFAULT_FUNCTION = 'glue-job-succeeded';

/** The EventBridge pattern: successful job runs of the jobs the `job-name` glob selects. */
function pattern(jobName: string | undefined): string {
  const detail = new JsonObject().strings('state', ['SUCCEEDED']);
  const value = jobName === undefined ? undefined : globPatternValue(jobName);
  if (value !== undefined) detail.raw('jobName', `[${value}]`);
  return new JsonObject()
    .strings('source', ['aws.glue'])
    .strings('detail-type', ['Glue Job State Change'])
    .raw('detail', detail.finish())
    .finish();
}

/** `invocation-type` as configured (`undefined` when unset). */
function invocationType(text: string | undefined): InvocationType {
  if (text === undefined) return 'event';
  const type = parseInvocationType(text);
  if (type === undefined) {
    throw `setting \`invocation-type\` must be event or request-response, not "${text}"`;
  }
  return type;
}

export const handler = rule({
  describe(settings) {
    invocationType(settings.get('invocation-type'));
    return metadata(
      'lambda-on-success',
      '0.1.0',
      'Invokes a Lambda function when a Glue job run succeeds.',
      [pattern(settings.get('job-name'))],
      [
        setting('string', 'job-name', 'A glob (*, ?) the job name must match, e.g. nightly-*.'),
        setting('string', 'function-name', 'The Lambda function to invoke.', { defaultValue: DEFAULT_FUNCTION }),
        setting('string', 'invocation-type', 'event (asynchronous) or request-response.', { defaultValue: 'event' }),
      ],
    );
  },

  evaluate(event: Event) {
    const settings = {
      invocationType: invocationType(config.get('invocation-type')),
      jobName: config.get('job-name'),
      functionName: config.getOr('function-name', DEFAULT_FUNCTION),
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
    if (change.state.tag !== 'succeeded') {
      return noMatch(`job ${job} is ${state}`);
    }
    if (settings.jobName !== undefined && !glob(settings.jobName, job)) {
      return noMatch(`job ${job} does not match job-name filter "${settings.jobName}"`);
    }
    const payload = new JsonObject()
      .string('jobName', job)
      .string('jobRunId', change.jobRunId)
      .string('state', state)
      .string('time', event.time)
      .string('region', event.region)
      .string('account', event.account)
      .string('eventId', event.id)
      .finish();
    log.debug(`invoking ${settings.functionName} (${invocationTypeName(settings.invocationType)}) for job ${job}`);
    return matched(
      [lambda(settings.functionName, payload, settings.invocationType)],
      `job ${job} succeeded (run ${change.jobRunId})`,
    );
  },
});
