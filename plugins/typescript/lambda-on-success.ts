// lambda-on-success, in TypeScript: invokes a Lambda function when a Glue job run succeeds.
//
// The same rule as plugins/lambda-on-success (Rust), decision for decision. Settings, all
// optional, declared in `describe` so that the host checks them at load (and `describe`
// refuses an unknown `invocation-type`): `job-name` (a glob, part of the event pattern unless
// it has a `?`), `function-name` (default `glue-job-succeeded`), `invocation-type` (`event`,
// the default, or `request-response`).
//
// The payload is `{"jobName","jobRunId","state","time","region","account","eventId"}`, an
// EventBridge input template rendered with the SDK's `render`.

import {
  type Event, type InputPaths, type InvocationType, type JobStateChange,
  JsonObject, config, glob, globPatternValue, invocationTypeName, jobStateName, lambda, log,
  matched, metadata, noMatch, parseInvocationType, render, rule, setting,
} from '@glue-rules/sdk';

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

/**
 * The payload's variables, as an EventBridge input transformer's `InputPathsMap`: names for
 * JSON paths into the event.
 */
const PATHS: InputPaths = {
  job: '$.detail.jobName',
  run: '$.detail.jobRunId',
  state: '$.detail.state',
  time: '$.time',
  region: '$.region',
  account: '$.account',
  id: '$.id',
};

/**
 * The payload's template, an `InputTemplate`: every placeholder inside quotes, so each value is
 * escaped for its JSON string (and a path that selects nothing gives `""`).
 */
const PAYLOAD = '{"jobName":"<job>","jobRunId":"<run>","state":"<state>","time":"<time>","region":"<region>","account":"<account>","eventId":"<id>"}';

/**
 * What the template's paths select, taken from the typed view rather than from the host's
 * `eventJson`: the same values (the host builds both from one event), without copying the
 * whole event into the plugin for every successful run.
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
    },
  };
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
    const payload = render(PAYLOAD, PATHS, templateInput(event, change));
    log.debug(`invoking ${settings.functionName} (${invocationTypeName(settings.invocationType)}) for job ${job}`);
    return matched(
      [lambda(settings.functionName, payload, settings.invocationType)],
      `job ${job} succeeded (run ${change.jobRunId})`,
    );
  },
});
