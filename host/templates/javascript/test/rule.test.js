// `npm test` runs the rule natively under Node: `@glue-rules/sdk/register` stands in for the
// host's import, and `loadEvent` reads the fixture with the host's own parser
// (`glue-rules event --typed`, from $GLUE_RULES or PATH), so the rule sees the event the host
// would pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { configure, evaluate, loadEvent, takeLogs } from '@glue-rules/sdk/testing';

import { handler } from '../src/index.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:{{name}}-alerts';

test('a failed run is published to the topic', () => {
  configure(handler, { 'topic-arn': TOPIC });
  const event = loadEvent('fixtures/job-failed.json');
  const decision = evaluate(handler, event);
  assert.equal(decision.matched, true);
  assert.equal(decision.reason, 'job MyJob FAILED');
  assert.equal(decision.actions.length, 1);
  const [publish] = decision.actions;
  assert.equal(publish.tag, 'sns');
  assert.equal(publish.val.topicArn, TOPIC);
  assert.equal(publish.val.subject, 'Glue job MyJob FAILED');
  assert.ok(publish.val.message.includes(event.detail.val.jobRunId), publish.val.message);
  assert.deepEqual(takeLogs().map((line) => line.level), ['info']);
});
