// The templates against EventBridge's documented input-transformer examples (the EC2 state-change
// event of the input transformation guide and the API reference's mixed example), the same table
// as the Rust SDK's template tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_VARIABLES, render, renderEvent } from '@glue-rules/sdk';
import { setEventJson } from '@glue-rules/sdk/testing';

/** The EC2 state-change event of EventBridge's input transformation guide. */
const ec2 = () => ({
  version: '0', id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2',
  account: '123456789012', time: '2015-11-11T21:29:54Z', region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
});

const PATHS = { instance: '$.detail.instance-id', state: '$.detail.state' };
const r = (template) => render(template, PATHS, ec2());

test("the guide's examples render as EventBridge renders them", () => {
  const table = [
    // A JSON string template: the values inside the string.
    ['"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'],
    // Plain text.
    ['instance <instance> is in <state>', 'instance i-0123456789 is in RUNNING'],
    // Outside quotes in a JSON template: the values as JSON.
    ['{"instance" : <instance>, "state": [9, <state>, true]}', '{"instance" : "i-0123456789", "state": [9, "RUNNING", true]}'],
    // Inside quotes.
    ['{"instance" : "<instance>", "state": "<state>"}', '{"instance" : "i-0123456789", "state": "RUNNING"}'],
    // The API reference's mixed example.
    [
      '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<state>\\""}',
      '{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \\"RUNNING\\""}',
    ],
  ];
  for (const [template, want] of table) assert.equal(r(template), want, template);
});

test('values are quoted safely for JSON strings', () => {
  const event = { detail: { message: 'a "quoted"\nline', n: 3, o: { k: [1] } } };
  const paths = [['m', '$.detail.message'], ['n', '$.detail.n'], ['o', '$.detail.o']];
  const out = render('{"text": "<m> / <n> / <o>", "o": <o>, "m": <m>}', paths, event);
  const parsed = JSON.parse(out);
  assert.equal(parsed.text, 'a "quoted"\nline / 3 / {"k":[1]}');
  assert.deepEqual(parsed.o, { k: [1] });
  assert.equal(parsed.m, 'a "quoted"\nline');
});

test('predefined variables and the whole event', () => {
  const predefined = { ruleName: 'sns-on-failure', ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/x' };
  const out = render(
    '{"rule": "<aws.events.rule-name>", "arn": "<aws.events.rule-arn>", "at": "<aws.events.event.ingestion-time>", "event": <aws.events.event>, "all": <aws.events.event.json>}',
    PATHS, ec2(), predefined,
  );
  const parsed = JSON.parse(out);
  assert.equal(parsed.rule, 'sns-on-failure');
  assert.equal(parsed.arn, predefined.ruleArn);
  assert.equal(parsed.at, '2015-11-11T21:29:54Z');
  assert.equal(parsed.event.detail, undefined);
  assert.equal(parsed.event.id, ec2().id);
  assert.deepEqual(parsed.all, ec2());
  // An ingestion time given wins over the event's time.
  assert.equal(render('<aws.events.event.ingestion-time>', {}, ec2(), { ingestionTime: 'T' }), 'T');
  // The whole event cannot go where it would need escaping.
  assert.throws(() => render('"<aws.events.event.json>"', [], ec2(), predefined), (e) => e.includes('only stand as a JSON value'));
  assert.throws(() => render('all: <aws.events.event>', [], ec2()), (e) => e.includes('only stand as a JSON value'));
});

test('arrays, missing paths, unknown names and bad paths', () => {
  const paths = { arn: '$.resources[0]', nope: '$.detail.missing' };
  assert.equal(
    render('{"arn": <arn>, "missing": <nope>, "text": "[<nope>]", "other": "<other>"}', paths, ec2()),
    '{"arn": "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111", "missing": null, "text": "[]", "other": "<other>"}',
  );
  assert.equal(render('<nope>|<arn>', paths, ec2()), '|arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111');
  const bad = (p, fragment) => assert.throws(() => render('x', { v: p }, ec2()), (e) => {
    assert.ok(e.includes('"v"') && e.includes(fragment), e);
    return true;
  });
  bad('detail.state', 'must start with $');
  bad('$.detail..state', 'has an empty member');
  bad('$.resources[0', 'unclosed [');
  bad('$.resources[x]', '"x" is not an array index');
  bad('$detail', 'expected . or [ at "detail"');
  assert.throws(() => render('x', { 'aws.x': '$' }, ec2()), (e) => e.includes('reserved'));
  assert.throws(() => render('x', { 'AWS.x': '$' }, ec2()), (e) => e.includes('reserved'));
});

test('at most 100 variables', () => {
  const many = Array.from({ length: MAX_VARIABLES + 1 }, (_, i) => [`v${i}`, '$.id']);
  assert.throws(() => render('x', many, ec2()), (e) => e === '101 variables: an input transformer has at most 100');
  assert.equal(render('<v99>', many.slice(0, MAX_VARIABLES), ec2()), ec2().id);
});

test('plain text writes any value as its text, JSON values compact with sorted keys', () => {
  const event = { detail: { n: 1.5, b: false, o: { z: 1, a: [true, null] }, s: 'x' } };
  const paths = { n: '$.detail.n', b: '$.detail.b', o: '$.detail.o', s: '$.detail.s' };
  assert.equal(render('n=<n> b=<b> o=<o> s=<s>', paths, event), 'n=1.5 b=false o={"a":[true,null],"z":1} s=x');
  assert.equal(render('[<o>, <b>]', paths, event), '[{"a":[true,null],"z":1}, false]');
  // A placeholder-like text with no variable stays, and so does a lone `<`.
  assert.equal(render('a < b <s> <unknown', paths, event), 'a < b x <unknown');
  // Escapes inside a JSON string do not end it.
  assert.equal(render('"a \\" <s>"', paths, event), '"a \\" x"');
});

test('renderEvent reads the event being evaluated', () => {
  setEventJson(JSON.stringify(ec2()));
  assert.equal(renderEvent('<i> is <s>', { i: '$.detail.instance-id', s: '$.detail.state' }), 'i-0123456789 is RUNNING');
});
