// The two records a rule returns (its metadata and its decisions) and `rule()`, which makes the
// `handler` export from two plain functions.
//
// componentize-js calls the module's `handler.describe(pairs)` and `handler.evaluate(event)`
// (the `glue:rules/handler@0.2.0` interface). For their `result<_, string>`, returning a value
// is `ok` and throwing a *string* is `err`; throwing anything else (an Error) traps the plugin
// instance, which the host then has to replace. `rule()` turns every error into its message so
// that a bug or a bad setting is reported as a plugin error for that one call.

import { Settings } from './settings.js';

/**
 * Metadata for `describe`: `patterns` are EventBridge event patterns as JSON text (the host
 * calls `evaluate` only for events that match one of them; none means every event), `settings`
 * the declarations made with `setting`.
 */
export function metadata(name, version, description, patterns = [], settings = []) {
  return { name, version, description, patterns: [...patterns], settings: [...settings] };
}

/** The rule's condition did not hold: nothing to do. Give a reason for the audit log. */
export function noMatch(reason) {
  return { matched: false, actions: [], reason };
}

/** The rule's condition held: the host performs `actions` in order. */
export function matched(actions, reason) {
  return { matched: true, actions: [...actions], reason };
}

/** Anything thrown, as the text componentize-js returns for `err`. */
function errorText(e) {
  if (typeof e === 'string') return e;
  return String(e !== null && e !== undefined && e.message !== undefined ? e.message : e);
}

function errorsAsText(call) {
  try {
    return call();
  } catch (e) {
    throw errorText(e);
  }
}

/**
 * The `handler` export of a rule: `export const handler = rule({ describe, evaluate })`.
 * `describe(settings)` gets a `Settings` reader instead of the raw pairs, and anything either
 * function throws is returned as its `err` with the error's message, instead of trapping the
 * instance.
 */
export function rule({ describe, evaluate }) {
  if (typeof describe !== 'function' || typeof evaluate !== 'function') {
    throw new TypeError('rule() needs an object with describe(settings) and evaluate(event) functions');
  }
  return {
    describe: (pairs) => errorsAsText(() => describe(new Settings(pairs))),
    evaluate: (event) => errorsAsText(() => evaluate(event)),
  };
}
