// The hand-written declarations (src/index.d.ts, src/testing.d.ts) declare exactly the values the
// modules export: a helper added without its declaration, or a declaration left behind, fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import * as sdk from '@glue-rules/sdk';
import * as testing from '@glue-rules/sdk/testing';

/** The value names a .d.ts declares (`export declare function|const|class NAME`). */
function declared(file) {
  const text = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
  return [...new Set([...text.matchAll(/^export declare (?:function|const|class) (\w+)/gm)].map((m) => m[1]))].sort();
}

test('index.d.ts declares every export of @glue-rules/sdk, and nothing else', () => {
  assert.deepEqual(declared('index.d.ts'), Object.keys(sdk).sort());
});

test('testing.d.ts declares every export of @glue-rules/sdk/testing, and nothing else', () => {
  assert.deepEqual(declared('testing.d.ts'), Object.keys(testing).sort());
});
