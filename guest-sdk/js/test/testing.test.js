// @glue-rules/sdk/testing: settings served as the host serves them, the event's JSON, hand-built
// events, and events loaded through `glue-rules event --typed` (a stand-in binary for the
// plumbing; the real one, when GLUE_RULES or PATH has it, for agreement with the host's parser).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { config, eventJson, matched, metadata, noMatch, rule, setting, sns } from '@glue-rules/sdk';
import {
  configure, describe, eventFromWitJson, eventJsonOf, evaluate, jobEvent, loadEvent, loadEvents,
  makeEvent, reset, setEventJson, takeLogs, useEvent,
} from '@glue-rules/sdk/testing';

const dir = mkdtempSync(join(tmpdir(), 'glue-rules-sdk-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` with GLUE_RULES set to `value` (unset when undefined), restoring it after. */
function withBinary(value, body) {
  const saved = process.env.GLUE_RULES;
  if (value === undefined) delete process.env.GLUE_RULES;
  else process.env.GLUE_RULES = value;
  try {
    return body();
  } finally {
    if (saved === undefined) delete process.env.GLUE_RULES;
    else process.env.GLUE_RULES = saved;
  }
}

const handler = rule({
  describe(settings) {
    const strict = settings.bool('strict', false);
    return metadata('t', '0.1.0', `strict ${strict}`, [], [
      setting('string', 'topic-arn', 'the topic', { required: true }),
      setting('bool', 'notify', 'notify', { defaultValue: 'no' }),
      setting('number', 'limit', 'a limit'),
      setting('list', 'jobs', 'jobs', { defaultValue: 'a, b' }),
    ]);
  },
  evaluate(event) {
    if (event.detail.tag !== 'job-state-change') return noMatch('not a job');
    return matched([sns(config.require('topic-arn'), { message: eventJson.detail() })], event.detail.val.jobName);
  },
});

test('configure serves settings as the host does and refuses what the host refuses', () => {
  const meta = configure(handler, { 'topic-arn': ' arn:x ', notify: 'ON', limit: ' 2.5 ', extra: 'kept' });
  assert.equal(meta.name, 't');
  assert.equal(config.raw('topic-arn'), ' arn:x ');
  assert.equal(config.raw('notify'), 'true');
  assert.equal(config.raw('limit'), '2.5');
  assert.equal(config.raw('jobs'), '["a","b"]');
  assert.equal(config.raw('extra'), 'kept');
  assert.equal(configure(handler, { 'topic-arn': 'x', notify: '  ' }) && config.raw('notify'), 'false');
  assert.throws(() => configure(handler, {}), (e) => e === 'plugins.t.config.topic-arn is required but not set');
  assert.throws(() => configure(handler, { 'topic-arn': 'x', notify: 'maybe' }),
    (e) => e === 'plugins.t.config.notify must be true or false, not "maybe"');
  assert.throws(() => configure(handler, { 'topic-arn': 'x', limit: 'ten' }), (e) => e === 'plugins.t.config.limit must be a number, not "ten"');
  assert.throws(() => configure(handler, { 'topic-arn': 'x', jobs: '[1]' }), (e) => e === 'plugins.t.config.jobs must be a list of strings, not "[1]"');
  assert.throws(() => configure(handler, { 'topic-arn': 'x', strict: 'maybe' }), (e) => e === 'setting `strict` must be true or false, not "maybe"');
  assert.equal(describe(handler, { strict: 'yes' }).description, 'strict true');
});

test('the event JSON is written as the host writes it, and follows the event evaluated', () => {
  setEventJson('{"b": 1, "detail": {"z": [1, 2], "a": "x"}, "a": 2}');
  assert.equal(eventJson.envelope(), '{"a":2,"b":1,"detail":{"a":"x","z":[1,2]}}');
  assert.equal(eventJson.detail(), '{"a":"x","z":[1,2]}');
  configure(handler, { 'topic-arn': 'arn:t' });
  const event = jobEvent({ jobName: 'J', state: 'TIMEOUT', severity: 'WARN', message: 'm' }, { region: 'eu-west-1' });
  const decision = evaluate(handler, event);
  assert.equal(decision.reason, 'J');
  assert.equal(decision.actions[0].val.message, '{"jobName":"J","jobRunId":"jr_test","message":"m","severity":"WARN","state":"TIMEOUT"}');
  reset();
  assert.equal(eventJson.envelope(), '{}');
  assert.equal(config.raw('topic-arn'), undefined);
  assert.deepEqual(takeLogs(), []);
});

test('hand-built events are complete, checked against the WIT, and carry the JSON Glue would send', () => {
  const event = jobEvent({ state: { tag: 'other', val: 'PAUSED' } });
  assert.deepEqual(event, {
    version: '0', id: 'test-event', detailType: 'Glue Job State Change', source: 'aws.glue',
    account: '123456789012', time: '2024-01-01T00:00:00Z', region: 'us-east-1', resources: [],
    detail: { tag: 'job-state-change', val: { jobName: 'MyJob', jobRunId: 'jr_test', state: { tag: 'other', val: 'PAUSED' }, severity: undefined, message: undefined } },
  });
  assert.deepEqual(eventJsonOf(event).detail, { jobName: 'MyJob', jobRunId: 'jr_test', state: 'PAUSED' });
  const dq = makeEvent({ detail: { tag: 'data-quality-result', val: { resultId: 'dq-1', rulesetNames: ['r'], state: { tag: 'failed' }, rulesFailed: 2 } } });
  assert.equal(dq.source, 'aws.glue-dataquality');
  assert.equal(dq.detailType, 'Data Quality Evaluation Results Available');
  assert.deepEqual(eventJsonOf(dq).detail, { resultID: 'dq-1', rulesetNames: ['r'], state: 'FAILED', rulesFailed: 2 });
  const other = makeEvent({ detailType: 'Custom', source: 'my.app', detailJson: { anything: true } });
  useEvent(other);
  assert.equal(eventJson.detail(), '{"anything":true}');
  assert.throws(() => makeEvent({}), /needs a detailType/);
  assert.throws(() => makeEvent({ region: 5, detail: { tag: 'other' }, detailType: 'x' }), /event\.region: expected a string/);
  assert.throws(() => jobEvent({ jobName: 'j', jobRunID: 'typo' }), /jobRunID|no field/);
});

test('evaluate refuses a decision the component could not return', () => {
  const broken = rule({
    describe: () => metadata('b', '1', 'd'),
    evaluate: () => ({ matched: true, actions: [{ tag: 'sns', val: { topicArn: 't', message: 'm' } }] }),
  });
  assert.throws(() => evaluate(broken, jobEvent()), /evaluate\(\) result\.actions\[0\]\.val\.messageAttributes: missing/);
});

/** A stand-in for `glue-rules event --typed`: job events only, in the documented format. */
function fakeBinary() {
  const path = join(dir, 'fake-glue-rules');
  writeFileSync(path, `#!/usr/bin/env node
const { readFileSync } = require('node:fs');
const [command, flag, file] = process.argv.slice(2);
if (command !== 'event' || flag !== '--typed') { console.error('usage: event --typed FILE'); process.exit(2); }
const text = readFileSync(file, 'utf8');
let events;
try { const v = JSON.parse(text); events = Array.isArray(v) ? v : [v]; }
catch { events = text.split('\\n').filter((l) => l.trim()).map((l) => JSON.parse(l)); }
const tag = (s) => ['FAILED', 'SUCCEEDED'].includes(s) ? { tag: s.toLowerCase() } : { tag: 'other', val: s };
for (const e of events) {
  const d = e.detail;
  console.log(JSON.stringify({ version: e.version ?? '0', id: e.id, 'detail-type': e['detail-type'], source: e.source,
    account: e.account ?? '', time: e.time ?? '', region: e.region ?? '', resources: e.resources ?? [],
    detail: { tag: 'job-state-change', val: { 'job-name': d.jobName, 'job-run-id': d.jobRunId, state: tag(d.state),
      severity: d.severity ? { tag: 'error' } : null, message: d.message ?? null } } }));
}
`);
  chmodSync(path, 0o755);
  return path;
}

test('loadEvent runs glue-rules event --typed and sets the JSON from the file (stand-in binary)', () => {
  const one = join(dir, 'one.json');
  writeFileSync(one, JSON.stringify({ id: 'e1', 'detail-type': 'Glue Job State Change', source: 'aws.glue',
    detail: { jobName: 'J', jobRunId: 'r', state: 'FAILED', severity: 'ERROR', extra: 'only in JSON' } }, null, 2));
  const many = join(dir, 'many.ndjson');
  writeFileSync(many, ['SUCCEEDED', 'PAUSED'].map((state, i) => JSON.stringify({ id: `e${i}`, 'detail-type': 'Glue Job State Change',
    source: 'aws.glue', detail: { jobName: 'J', jobRunId: 'r', state } })).join('\n'));
  withBinary(fakeBinary(), () => {
    const event = loadEvent(one);
    assert.deepEqual(event.detail.val.state, { tag: 'failed' });
    assert.equal(event.account, '');
    assert.match(eventJson.detail(), /"extra":"only in JSON"/);
    const events = loadEvents(many);
    assert.deepEqual(events.map((e) => e.detail.val.state), [{ tag: 'succeeded' }, { tag: 'other', val: 'PAUSED' }]);
    assert.throws(() => loadEvent(many), /holds 2 events; loadEvents\(\) reads several/);
  });
  withBinary(join(dir, 'missing-binary'), () => {
    assert.throws(() => loadEvent(one), (e) => e.message.includes('set GLUE_RULES to its path or put glue-rules on PATH')
      && e.message.includes(`GLUE_RULES=${join(dir, 'missing-binary')}`));
  });
});

/** The real binary, when the environment has one. */
function realBinary() {
  const candidate = process.env.GLUE_RULES || 'glue-rules';
  try {
    execFileSync(candidate, ['event', '--help'], { stdio: 'ignore' });
    return candidate;
  } catch {
    return undefined;
  }
}

test("hand-built events and the host's parser agree, for every kind of detail", (t) => {
  const bin = realBinary();
  if (bin === undefined) return t.skip('no glue-rules with an `event` command (set GLUE_RULES)');
  const events = [
    jobEvent({ jobName: 'zürich "q"\n', state: 'TIMEOUT', severity: 'NOTICE', message: 'm' }, { id: 'j1', resources: ['arn:x'] }),
    jobEvent({ state: 'PAUSED' }, { id: 'j2', account: '', time: '' }),
    makeEvent({ id: 'rs', detail: { tag: 'job-run-status', val: { jobName: 'j', jobRunId: 'r', state: { tag: 'running' }, notifyDelayAfter: 5, startedOn: '2024-01-01T00:00:00Z' } } }),
    makeEvent({ id: 'c', detail: { tag: 'crawler-state-change', val: { crawlerName: 'c', state: { tag: 'succeeded' }, tablesCreated: 18446744073709551615n, tablesUpdated: 0n, runningTimeSec: 7.5, warningMessage: 'N/A' } } }),
    makeEvent({ id: 'd', detail: { tag: 'database-state-change', val: { databaseName: 'db', typeOfChange: { tag: 'batch-delete-table' }, changedTables: ['a', 'b'] } } }),
    makeEvent({ id: 't', detail: { tag: 'table-state-change', val: { databaseName: 'db', tableName: 't', typeOfChange: { tag: 'other', val: 'Renamed' }, changedPartitions: ['[2018, 01]'] } } }),
    makeEvent({ id: 'q', detail: { tag: 'data-quality-result', val: { resultId: 'dq', rulesetNames: ['r'], state: { tag: 'succeeded' }, score: 0.5, rulesSucceeded: 4, rulesFailed: 0, context: { contextType: 'GLUE_JOB', jobName: 'j' } } } }),
    makeEvent({ id: 'o', detailType: 'Something Else', source: 'my.app' }),
  ];
  const file = join(dir, 'all.json');
  writeFileSync(file, JSON.stringify(events.map((e) => JSON.parse(JSON.stringify(eventJsonOf(e), (_k, v) => (typeof v === 'bigint' ? Number(v) : v))))));
  // BigInts went through a Number above, so give the file the exact u64 text back.
  writeFileSync(file, (readFileSync(file)).toString().replace('18446744073709552000', '18446744073709551615'));
  const loaded = withBinary(bin, () => loadEvents(file));
  const normalise = (e) => JSON.parse(JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v === undefined ? null : v)));
  assert.deepEqual(loaded.map(normalise), events.map(normalise));
});

test('eventFromWitJson reads text or a value', () => {
  const event = eventFromWitJson({ version: '0', id: 'i', 'detail-type': 'x', source: 's', account: 'a', time: 't', region: 'r', resources: [], detail: { tag: 'other' } });
  assert.deepEqual(event.detail, { tag: 'other' });
  assert.throws(() => eventFromWitJson('{"version":'), /not JSON/);
});
