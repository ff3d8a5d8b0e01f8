// The example rules under `node --test` (`npm test`), with hand-built events: the texts their
// templates render, and settings refused as the host refuses them. tests/languages.rs compares
// their components with the Rust rules on every fixture; this is the quick loop.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { configure, evaluate, jobEvent } from '@glue-rules/sdk/testing';

import { handler as lambdaOnSuccess } from '../lambda-on-success.js';
import { handler as snsOnFailure } from '../sns-on-failure.js';

test('sns-on-failure: the subject and message templates render the notification', () => {
  configure(snsOnFailure, {});
  const event = jobEvent({ jobName: 'nightly', jobRunId: 'jr_1', state: 'FAILED', severity: 'ERROR', message: 'boom' },
    { id: 'e-1', region: 'cn-north-1', account: '111122223333', time: '2024-05-06T07:08:09Z' });
  const decision = evaluate(snsOnFailure, event);
  assert.equal(decision.reason, 'job nightly FAILED');
  const [{ val: publish }] = decision.actions;
  assert.equal(publish.topicArn, 'arn:aws-cn:sns:cn-north-1:111122223333:glue-job-failures');
  assert.equal(publish.subject, 'Glue job nightly FAILED');
  assert.equal(publish.message, [
    'AWS Glue job nightly ended in state FAILED.', '',
    'Job name: nightly', 'Run id:   jr_1', 'State:    FAILED', 'Severity: ERROR',
    'Time:     2024-05-06T07:08:09Z', 'Region:   cn-north-1', 'Account:  111122223333', 'Event id: e-1', '',
    'Message from Glue:', 'boom',
  ].join('\n'));
  const bare = evaluate(snsOnFailure, jobEvent({ state: 'TIMEOUT' })).actions[0].val;
  assert.ok(!bare.message.includes('Severity:') && bare.message.endsWith('Message from Glue:\n(none)'), bare.message);
  assert.deepEqual(bare.messageAttributes.map((a) => a.name), ['jobName', 'state']);
  assert.equal(evaluate(snsOnFailure, jobEvent({ state: 'STOPPED' })).reason, 'job MyJob STOPPED and notify-stopped is off');
  assert.throws(() => configure(snsOnFailure, { 'notify-stopped': ' Maybe ' }),
    (e) => e === 'setting `notify-stopped` must be true or false, not "Maybe"');
});

test('lambda-on-success: the payload template escapes every value for its JSON string', () => {
  configure(lambdaOnSuccess, { 'invocation-type': 'RequestResponse' });
  const event = jobEvent({ jobName: 'a "b"\n\u0008', jobRunId: 'jr_2', state: 'SUCCEEDED' }, { id: 'e-2' });
  const [action] = evaluate(lambdaOnSuccess, event).actions;
  assert.equal(action.val.invocationType, 'request-response');
  assert.equal(action.val.payload, '{"jobName":"a \\"b\\"\\n\\b","jobRunId":"jr_2","state":"SUCCEEDED","time":"2024-01-01T00:00:00Z","region":"us-east-1","account":"123456789012","eventId":"e-2"}');
  assert.deepEqual(JSON.parse(action.val.payload).jobName, 'a "b"\n\u0008');
  assert.equal(evaluate(lambdaOnSuccess, jobEvent({ state: 'FAILED' })).reason, 'job MyJob is FAILED');
  assert.throws(() => configure(lambdaOnSuccess, { 'invocation-type': 'dry-run' }),
    (e) => e === 'setting `invocation-type` must be event or request-response, not "dry-run"');
});
