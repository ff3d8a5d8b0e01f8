// Writes src/wit.d.ts, the TypeScript declarations of wit/rule.wit as componentize-js hands its
// values to a rule, or checks that the checked-in file is current.
//
//   node scripts/wit-types.mjs           # regenerate src/wit.d.ts
//   node scripts/wit-types.mjs --check   # exit 1 when src/wit.d.ts differs from what the WIT gives
//
// Plain Node, no dependencies: the WIT is read by src/wit.js, the same reader the testing helpers
// use to turn `glue-rules event --typed` output into values, so the types and the test values
// follow one reading of the contract.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { declarations, parseWit } from '../src/wit.js';

const witFile = fileURLToPath(new URL('../wit/rule.wit', import.meta.url));
const outFile = fileURLToPath(new URL('../src/wit.d.ts', import.meta.url));

/** The declarations the package's WIT gives today. */
export function generate() {
  return declarations(parseWit(readFileSync(witFile, 'utf8'), 'wit/rule.wit'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const want = generate();
  if (process.argv.includes('--check')) {
    let have = '';
    try {
      have = readFileSync(outFile, 'utf8');
    } catch {
      // A missing file is simply not current.
    }
    if (have !== want) {
      console.error(`${outFile} is not what wit/rule.wit gives: run \`npm run wit-types\` in guest-sdk/js`);
      process.exit(1);
    }
  } else {
    writeFileSync(outFile, want);
    console.log(`wrote ${outFile}`);
  }
}
