// @glue-rules/sdk: write glue-rules rule plugins (glue:rules@0.2.0) in JavaScript or TypeScript.
//
// A rule is an ES module that exports `handler`, an object with `describe(settings)` and
// `evaluate(event)` (the `glue:rules/handler@0.2.0` interface of wit/rule.wit); componentize-js
// turns it, bundled with this package, into a WebAssembly component. The helpers are the
// JavaScript counterparts of the Rust SDK's (guest-sdk/rust): the same setting rules, glob
// matcher and pattern values, JSON text, action builders and templates, so that a rule written
// with either decides byte for byte the same.
//
// How WIT values look in JavaScript (componentize-js): records are objects with camelCase
// fields (`event.detailType`); variants are `{ tag: 'job-state-change', val: {...} }` (no `val`
// for a case without payload); enums are strings ('request-response'); `option<T>` is the value
// or `undefined`; `u64` is a BigInt; `tuple<a, b>` is `[a, b]`.

export { log, eventJson } from './host.js';
export { config, Settings, setting } from './settings.js';
export { rule, metadata, matched, noMatch } from './rule.js';
export {
  lambda, sns, sqs, kinesis, stepFunctions, ssm, stringAttribute, numberAttribute,
  stringArrayAttribute, parseInvocationType, invocationTypeName,
} from './actions.js';
export { glob, globAny, globPatternValue } from './glob.js';
export { jsonString, JsonObject, toJson, jsonText } from './json.js';
export { render, renderEvent, MAX_VARIABLES } from './template.js';
export { trim, trimStart, trimEnd, truncateChars } from './text.js';
export {
  jobStateName, jobStateOf, severityName, severityOf, crawlerStateName, crawlerStateOf,
  dataQualityStateName, dataQualityStateOf, typeOfChangeName, typeOfChangeOf, isFinalJobState,
  DETAIL_TYPES, partition, jobStateChange, isJobFailure, isJobSuccess,
} from './glue.js';

/** The contract this package targets: the `rule` world of package glue:rules@0.2.0. */
export const CONTRACT = 'glue:rules@0.2.0';
