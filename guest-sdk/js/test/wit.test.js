// The package's reading of the WIT: the generated declarations are current, the packaged WIT is
// the repository's, and WIT-value JSON becomes componentize-js values exactly.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { generate } from '../scripts/wit-types.mjs';
import { checkValue, declarations, fromWitJson, parseWit, parseWitJson } from '../src/wit.js';

const witText = readFileSync(new URL('../wit/rule.wit', import.meta.url), 'utf8');
const model = parseWit(witText);
const named = (name) => ({ kind: 'named', name });

test('src/wit.d.ts is what wit/rule.wit gives (npm run wit-types regenerates it)', () => {
  const have = readFileSync(new URL('../src/wit.d.ts', import.meta.url), 'utf8');
  assert.ok(have === generate(), 'src/wit.d.ts is stale: run `npm run wit-types` in guest-sdk/js');
});

test("the package's wit/rule.wit is the repository's contract", (t) => {
  const repository = new URL('../../../wit/rule.wit', import.meta.url);
  if (!existsSync(repository)) return t.skip('not inside the glue-rules repository');
  assert.ok(readFileSync(repository, 'utf8') === witText, 'guest-sdk/js/wit/rule.wit differs from wit/rule.wit: copy it over');
});

test('the declarations follow componentize-js: camelCase, optional fields, tags, bigint', () => {
  const dts = declarations(model);
  assert.match(dts, /declare module 'glue:rules\/types@0\.2\.0' \{/);
  assert.match(dts, /declare module 'glue:rules\/host@0\.2\.0' \{\n {2}import type \{ LogLevel \} from 'glue:rules\/types@0\.2\.0';/);
  assert.match(dts, / {4}jobRunId: string;/);
  assert.match(dts, / {4}severity\?: Severity;/);
  assert.match(dts, / {4}tablesCreated\?: bigint;/);
  assert.match(dts, /export interface JobStateOther \{\n {4}tag: 'other';\n {4}val: string;\n {2}\}/);
  assert.match(dts, /export type SettingKind = 'string' \| 'bool' \| 'number' \| 'list';/);
  assert.match(dts, /export function config\(key: string\): string \| undefined;/);
  assert.match(dts, /describe\(settings: Array<\[string, string\]>\): Metadata;/);
});

test('the parser refuses what it does not support, with the line', () => {
  const bad = (text, fragment) => assert.throws(() => parseWit(text, 'x.wit'), (e) => e.message.includes(fragment));
  bad('package a:b@1.0.0;\ninterface i {\n  flags f { a }\n}', 'x.wit:3: `flags` is not supported');
  bad('package a:b;\ninterface i {\n  record r { f: nope }\n}', 'unknown type nope');
  bad('interface i {}', 'no `package` declaration');
  bad('package a:b;\nworld w { import missing; }', 'unknown interface missing');
});

test('WIT-value JSON becomes the values componentize-js passes', () => {
  const line = '{"version":"0","id":"x","detail-type":"Glue Job State Change","source":"aws.glue","account":"1",'
    + '"time":"t","region":"r","resources":[],"detail":{"tag":"job-state-change","val":{"job-name":"j",'
    + '"job-run-id":"r","state":{"tag":"failed"},"severity":{"tag":"other","val":"CRITICAL"},"message":null}}}';
  assert.deepEqual(fromWitJson(model, 'types', named('event'), parseWitJson(line), 'event'), {
    version: '0', id: 'x', detailType: 'Glue Job State Change', source: 'aws.glue', account: '1', time: 't',
    region: 'r', resources: [],
    detail: { tag: 'job-state-change', val: { jobName: 'j', jobRunId: 'r', state: { tag: 'failed' }, severity: { tag: 'other', val: 'CRITICAL' }, message: undefined } },
  });
  const crawler = fromWitJson(model, 'types', named('crawler-state-change'), parseWitJson(
    '{"crawler-name":"c","state":{"tag":"started"},"message":null,"account-id":null,"start-time":null,'
    + '"completion-date":null,"error-message":null,"warning-message":null,"cloud-watch-log-link":null,'
    + '"tables-created":18446744073709551615,"tables-updated":3,"tables-deleted":null,"partitions-created":null,'
    + '"partitions-updated":null,"partitions-deleted":null,"running-time-sec":"-Infinity"}'), 'crawler');
  assert.equal(crawler.tablesCreated, 18446744073709551615n);
  assert.equal(crawler.tablesUpdated, 3n);
  assert.equal(crawler.runningTimeSec, -Infinity);
  assert.equal(crawler.tablesDeleted, undefined);
  const refused = (type, value, fragment) => assert.throws(
    () => fromWitJson(model, 'types', named(type), value, 'v'), (e) => e.message.includes(fragment),
  );
  refused('job-state', { tag: 'paused' }, 'v.tag: "paused" is not a case of job-state');
  refused('job-state', { tag: 'other' }, 'needs a "val"');
  refused('target', { key: 'k' }, 'v.values: missing');
  refused('target', { key: 'k', values: [], extra: 1 }, 'unexpected field "extra"');
  refused('invocation-type', 'Event', 'one of request-response, event');
  refused('data-quality-result', { 'result-id': 'x', 'ruleset-names': [], state: { tag: 'failed' }, 'rules-failed': -1 }, 'v.rules-failed: expected an integer in u32');
});

test('values are checked as the component boundary would check them', () => {
  const ok = { matched: true, actions: [{ tag: 'lambda', val: { functionName: 'f', payload: '{}', invocationType: 'event' } }], reason: undefined };
  checkValue(model, 'types', named('decision'), ok, 'decision');
  const refused = (value, fragment) => assert.throws(
    () => checkValue(model, 'types', named('decision'), value, 'decision'), (e) => e.message.includes(fragment),
  );
  refused({ ...ok, matched: 'yes' }, 'decision.matched: expected a boolean');
  refused({ ...ok, actions: [{ tag: 'email', val: {} }] }, "decision.actions[0].tag: string \"email\" is not a case of action");
  refused({ ...ok, actions: [{ tag: 'sns', val: { topicArn: 't', message: 'm' } }] }, 'decision.actions[0].val.messageAttributes: missing');
  refused({ ...ok, reasn: 'typo' }, 'decision has no field "reasn"');
  refused({ ...ok, actions: [{ tag: 'lambda', val: { functionName: 'f', payload: '{}', invocationType: 'Event' } }] }, "one of 'request-response', 'event'");
});
