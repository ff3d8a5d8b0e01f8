// The six action builders: the defaults and the cleaning of the Rust SDK's builders.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  invocationTypeName, kinesis, lambda, numberAttribute, parseInvocationType, sns, sqs, ssm,
  stepFunctions, stringArrayAttribute,
} from '@glue-rules/sdk';

test('lambda: payload {} and request-response by default, values written as JSON', () => {
  assert.deepEqual(lambda('f'), { tag: 'lambda', val: { functionName: 'f', payload: '{}', invocationType: 'request-response' } });
  assert.deepEqual(lambda('f', { b: 1, a: 'x' }, 'event').val, { functionName: 'f', payload: '{"a":"x","b":1}', invocationType: 'event' });
  assert.equal(lambda('f', '{"raw":true}').val.payload, '{"raw":true}');
  assert.throws(() => lambda('f', '{}', 'Event'), /event or request-response/);
});

test('invocation types are read as the Rust SDK reads them', () => {
  for (const text of ['event', ' EVENT ', 'Event']) assert.equal(parseInvocationType(text), 'event');
  for (const text of ['request-response', 'RequestResponse', 'request_response', 'REQUESTRESPONSE']) {
    assert.equal(parseInvocationType(text), 'request-response');
  }
  assert.equal(parseInvocationType('dry-run'), undefined);
  assert.equal(invocationTypeName('event'), 'Event');
  assert.equal(invocationTypeName('request-response'), 'RequestResponse');
});

test('sns cleans the subject and skips empty attributes', () => {
  const subject = `  line one\nline two ${'é'.repeat(200)}`;
  const publish = sns('t', {
    subject,
    message: 'm',
    attributes: [['a', 'x'], ['empty', ''], numberAttribute('n', 3), stringArrayAttribute('l', ['p', 'q']), ['b', 'y', 'Binary']],
  }).val;
  assert.equal(Array.from(publish.subject).length, 100);
  assert.ok(publish.subject.startsWith('line one line two é'));
  assert.deepEqual(publish.messageAttributes, [
    { name: 'a', dataType: 'String', stringValue: 'x' },
    { name: 'n', dataType: 'Number', stringValue: '3' },
    { name: 'l', dataType: 'String.Array', stringValue: '["p","q"]' },
    { name: 'b', dataType: 'Binary', stringValue: 'y' },
  ]);
  assert.equal(sns('t', { subject: ' \n ' }).val.subject, undefined);
  assert.equal(sns('t').val.subject, undefined);
  assert.equal(sns('t').val.message, '');
  assert.equal(sns('t', { message: { k: 'v' } }).val.message, '{"k":"v"}');
  assert.throws(() => sns('t', { attributes: [['n', 3]] }), /must be a string/);
});

test('sqs, kinesis and step functions', () => {
  assert.deepEqual(sqs('q', { body: { k: 'v' }, delaySeconds: 5, messageGroupId: 'g', messageDeduplicationId: 'd' }), {
    tag: 'sqs',
    val: { queueUrl: 'q', messageBody: '{"k":"v"}', delaySeconds: 5, messageGroupId: 'g', messageDeduplicationId: 'd' },
  });
  assert.deepEqual(sqs('q').val, { queueUrl: 'q', messageBody: '', delaySeconds: undefined, messageGroupId: undefined, messageDeduplicationId: undefined });
  assert.throws(() => sqs('q', { delaySeconds: 1.5 }), /whole number/);
  assert.deepEqual(kinesis('s', 'p', [1]), { tag: 'kinesis', val: { streamName: 's', partitionKey: 'p', data: '[1]' } });
  assert.equal(kinesis('s', 'p', 'raw').val.data, 'raw');
  assert.equal(kinesis('s', 'p').val.data, '');
  assert.deepEqual(stepFunctions('arn:sm', { name: 'run-1' }), { tag: 'stepfunctions', val: { stateMachineArn: 'arn:sm', name: 'run-1', input: '{}' } });
  assert.equal(stepFunctions('arn:sm', { input: { a: 1 } }).val.input, '{"a":1}');
});

test('ssm: instance ids, targets, tags, parameters and a cut comment', () => {
  assert.deepEqual(ssm('AWS-RunShellScript', { instanceIds: ['i-1'], parameters: { commands: ['echo hi'] } }).val, {
    documentName: 'AWS-RunShellScript',
    targets: { tag: 'instance-ids', val: ['i-1'] },
    parameters: [{ name: 'commands', values: ['echo hi'] }],
    comment: undefined,
  });
  const byTag = ssm('doc', { tags: { Role: ['etl'], Env: ['prod', 'dr'] }, comment: 'x'.repeat(150) }).val;
  assert.deepEqual(byTag.targets, { tag: 'targets', val: [{ key: 'tag:Role', values: ['etl'] }, { key: 'tag:Env', values: ['prod', 'dr'] }] });
  assert.equal(byTag.comment.length, 100);
  assert.deepEqual(ssm('doc', { targets: [{ key: 'resource-groups:Name', values: ['g'] }] }).val.targets,
    { tag: 'targets', val: [{ key: 'resource-groups:Name', values: ['g'] }] });
  assert.deepEqual(ssm('doc', { targets: { 'tag:Role': ['etl'] } }).val.targets, { tag: 'targets', val: [{ key: 'tag:Role', values: ['etl'] }] });
  assert.deepEqual(ssm('doc').val.targets, { tag: 'instance-ids', val: [] });
  assert.throws(() => ssm('doc', { instanceIds: ['i'], tags: { a: ['b'] } }), /not several/);
});
