// `node --import @glue-rules/sdk/register`: installs the module hook that lets a rule module run
// under plain Node (`node --test`), by mapping its WIT import `glue:rules/host@0.2.0` to the test
// shim. Importing `@glue-rules/sdk/testing` installs it too, but only for modules imported after
// it (dynamic `import()`): a test file's static imports are resolved before any of it runs, so
// test commands pass `--import @glue-rules/sdk/register`.

import * as nodeModule from 'node:module';

const INSTALLED = Symbol.for('@glue-rules/sdk/register');

if (!globalThis[INSTALLED]) {
  if (typeof nodeModule.register !== 'function') {
    throw new Error(
      `@glue-rules/sdk/register needs node:module register(), in Node 20.6 and later; this is Node ${process.versions.node}`,
    );
  }
  nodeModule.register('./hooks.js', import.meta.url);
  globalThis[INSTALLED] = true;
}
