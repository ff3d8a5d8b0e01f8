// lambda-on-success, in JavaScript: invokes a Lambda function when a Glue job run succeeds.
//
// The same rule as plugins/lambda-on-success (Rust), decision for decision. Settings, all
// optional: `job-name` (a glob), `function-name` (default `glue-job-succeeded`),
// `invocation-type` (`event`, the default, or `request-response`).

import {
  JsonObject, config, evaluator, glob, invocationTypeName, jobStateName, lambda, log, matched,
  metadata, noMatch, parseInvocationType,
} from './glue-rules.js';

const PATTERN = '{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["SUCCEEDED"]}}';
const DEFAULT_FUNCTION = 'glue-job-succeeded';

function readSettings() {
  const text = config.get('invocation-type');
  let invocationType = 'event';
  if (text !== undefined) {
    invocationType = parseInvocationType(text);
    if (invocationType === undefined) {
      throw `setting \`invocation-type\` must be event or request-response, not "${text}"`;
    }
  }
  return {
    jobName: config.get('job-name'),
    functionName: config.getOr('function-name', DEFAULT_FUNCTION),
    invocationType,
  };
}

export function describe() {
  return metadata(
    'lambda-on-success',
    '0.1.0',
    'Invokes a Lambda function when a Glue job run succeeds.',
    [PATTERN],
  );
}

export const evaluate = evaluator((event) => {
  const settings = readSettings();
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
});
