// Settings, globs and their pattern values, JSON text, Glue's spellings, decisions and rule().
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  JsonObject, Settings, crawlerStateName, globAny, glob, globPatternValue, isFinalJobState,
  isJobFailure, isJobSuccess, jobStateName, jobStateOf, jsonString, matched, metadata, noMatch,
  partition, rule, setting, severityName, toJson, trim, truncateChars, typeOfChangeName,
  typeOfChangeOf, config, log,
} from '@glue-rules/sdk';
import { jobEvent, setConfig, setSettings, takeLogs } from '@glue-rules/sdk/testing';

test('settings readers trim, treat blank as unset and name the key in errors', () => {
  const s = new Settings([['a', ' x '], ['blank', '  '], ['b', 'Yes'], ['bad', 'maybe'], ['n', ' 2.5 '], ['nn', '2x'],
    ['l', 'a, b,,c'], ['j', '["p","q"]'], ['jbad', '[1]'], ['a', ' later ']]);
  assert.equal(s.raw('a'), ' later ');
  assert.equal(s.get('a'), 'later');
  assert.equal(s.get('blank'), undefined);
  assert.equal(s.getOr('blank', 'd'), 'd');
  assert.equal(s.require('a'), 'later');
  assert.throws(() => s.require('missing'), (e) => e === 'setting `missing` is required but not set');
  assert.equal(s.bool('b', false), true);
  assert.equal(s.bool('missing', true), true);
  assert.throws(() => s.bool('bad', false), (e) => e === 'setting `bad` must be true or false, not "maybe"');
  assert.equal(s.number('n', 0), 2.5);
  assert.equal(s.number('missing', 7), 7);
  assert.throws(() => s.number('nn', 0), (e) => e.startsWith('setting `nn` has an unreadable value "2x"'));
  assert.deepEqual(s.list('l'), ['a', 'b', 'c']);
  assert.deepEqual(s.list('j'), ['p', 'q']);
  assert.deepEqual(s.list('missing'), []);
  assert.throws(() => s.list('jbad'), (e) => e === 'setting `jbad` must be a JSON array of strings, not "[1]"');
  assert.equal(s.entries().length, 9);
  // Rust's white space, not only ASCII.
  assert.equal(trim('\u00a0\u2003x\u3000'), 'x');
  assert.equal(truncateChars('😀😀😀', 2), '😀😀');
});

test('config reads the host settings', () => {
  setSettings({ 'topic-arn': ' arn:x ', on: 'off' });
  assert.equal(config.get('topic-arn'), 'arn:x');
  assert.equal(config.bool('on', true), false);
  setConfig('extra', 'v');
  assert.equal(config.raw('extra'), 'v');
});

test('setting declarations and metadata', () => {
  assert.deepEqual(setting('bool', 'notify', 'd', { defaultValue: 'false' }),
    { name: 'notify', kind: 'bool', required: false, defaultValue: 'false', description: 'd' });
  assert.equal(setting('string', 'x', 'd', { required: true }).required, true);
  assert.throws(() => setting('text', 'x', 'd'), /kind must be one of/);
  assert.deepEqual(metadata('n', '1', 'd'), { name: 'n', version: '1', description: 'd', patterns: [], settings: [] });
});

test('globs match as the Rust SDK matches them, and become pattern values', () => {
  assert.ok(glob('nightly-*', 'nightly-orders'));
  assert.ok(glob('job-??', 'job-01'));
  assert.ok(!glob('job-??', 'job-1'));
  assert.ok(glob('*', ''));
  assert.ok(glob('a*b*c', 'aXbYbZc'));
  assert.ok(!glob('MyJob', 'myjob'));
  assert.ok(glob('zü?ich', 'zürich'.replace('r', '😀')));
  assert.ok(globAny(['x', 'My*'], 'MyJob'));
  assert.ok(!globAny([], 'MyJob'));
  assert.equal(globPatternValue('MyJob'), '"MyJob"');
  assert.equal(globPatternValue('nightly-**'), '{"prefix":"nightly-"}');
  assert.equal(globPatternValue('*-etl-*'), '{"wildcard":"*-etl-*"}');
  assert.equal(globPatternValue('a\\b*c'), '{"wildcard":"a\\\\\\\\b*c"}');
  assert.equal(globPatternValue('job-??'), undefined);
});

test('JSON text: the Rust SDK writer and the serde_json-like writer', () => {
  assert.equal(jsonString('a"b\\c\nd\re\tf\u0001\u0008g\u007fé'), '"a\\"b\\\\c\\nd\\re\\tf\\u0001\\u0008g\u007fé"');
  assert.equal(new JsonObject().string('k', 'v').optString('o', undefined).strings('l', ['a']).number('n', 1.5)
    .number('big', 12345678901234567890n).bool('b', true).raw('r', '{}').finish(),
  '{"k":"v","o":null,"l":["a"],"n":1.5,"big":12345678901234567890,"b":true,"r":{}}');
  assert.throws(() => new JsonObject().number('n', NaN), /not a finite number/);
  assert.equal(toJson({ b: [1, undefined, 'x\u0008'], a: null, u: undefined, n: 10n, '😀': 1, 'ｚ': 2 }),
    '{"a":null,"b":[1,null,"x\\b"],"n":10,"ｚ":2,"😀":1}');
});

test("Glue's spellings and the event helpers", () => {
  assert.equal(jobStateName({ tag: 'succeeded' }), 'SUCCEEDED');
  assert.equal(jobStateName({ tag: 'other', val: 'PAUSED' }), 'PAUSED');
  assert.deepEqual(jobStateOf('TIMEOUT'), { tag: 'timeout' });
  assert.deepEqual(jobStateOf('timeout'), { tag: 'other', val: 'timeout' });
  assert.equal(severityName({ tag: 'warn' }), 'WARN');
  assert.equal(crawlerStateName({ tag: 'succeeded' }), 'Succeeded');
  assert.equal(typeOfChangeName({ tag: 'batch-create-partition' }), 'BatchCreatePartition');
  assert.deepEqual(typeOfChangeOf('CreateTable'), { tag: 'create-table' });
  assert.ok(isFinalJobState({ tag: 'expired' }) && !isFinalJobState({ tag: 'running' }));
  assert.ok(isJobFailure(jobEvent({ state: 'ERROR' })) && !isJobFailure(jobEvent({ state: 'STOPPED' })));
  assert.ok(isJobSuccess(jobEvent({ state: 'SUCCEEDED' })));
  assert.equal(partition('cn-north-1'), 'aws-cn');
  assert.equal(partition('us-gov-west-1'), 'aws-us-gov');
  assert.equal(partition('eu-west-1'), 'aws');
});

test('rule() hands describe a Settings reader and returns every error as text', () => {
  const handler = rule({
    describe(settings) {
      return metadata('r', '1', settings.require('x'));
    },
    evaluate(event) {
      if (event.id === 'boom') throw new Error('broken');
      if (event.id === 'text') throw 'as text';
      log.warn('evaluated');
      return event.id === 'm' ? matched([], 'yes') : noMatch('no');
    },
  });
  assert.equal(handler.describe([['x', 'desc']]).description, 'desc');
  assert.throws(() => handler.describe([]), (e) => e === 'setting `x` is required but not set');
  assert.throws(() => handler.evaluate(jobEvent({}, { id: 'boom' })), (e) => e === 'broken');
  assert.throws(() => handler.evaluate(jobEvent({}, { id: 'text' })), (e) => e === 'as text');
  takeLogs();
  assert.deepEqual(handler.evaluate(jobEvent({}, { id: 'm' })), { matched: true, actions: [], reason: 'yes' });
  assert.deepEqual(takeLogs(), [{ level: 'warn', message: 'evaluated' }]);
  assert.throws(() => rule({ describe() {} }), TypeError);
});
