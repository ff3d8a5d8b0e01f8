// EventBridge input transformers, rendered in the rule: an `InputPathsMap` of names to JSON
// paths into the event, and an `InputTemplate` with `<name>` placeholders, as EventBridge users
// already write them for a rule's target. The same behaviour (and error texts) as the Rust SDK's
// `template` module.
//
// The placement of a placeholder decides how its value is written, as EventBridge does it:
//
// - in a JSON template (one that starts with `{`, `[` or `"`), a placeholder *inside* a JSON
//   string gets the value's text escaped for that string (a string's contents; any other value
//   as compact JSON), and a placeholder *outside* strings gets the value as JSON (a string with
//   its quotes);
// - in any other template (plain text), the value's text is written as it is.
//
// The predefined variables are `aws.events.event.json` (the whole event) and `aws.events.event`
// (the event without `detail`), both usable only as JSON values, and `aws.events.rule-name`,
// `aws.events.rule-arn` and `aws.events.event.ingestion-time` from `predefined`. A placeholder
// whose name is neither a variable nor predefined is left as written; a path that selects
// nothing gives JSON `null` outside strings and nothing inside them or in plain text.
//
// Values are written as `toJson` writes them: serde_json's escaping and key order (the Rust SDK
// renders the same bytes), except that numbers are written as JavaScript writes them.
//
// Errors are thrown as strings (componentize-js returns a thrown string as `err`).

import { eventJson } from './host.js';
import { toJson } from './json.js';
import { trimStart } from './text.js';

/** Most variables EventBridge allows in one `InputPathsMap`. */
export const MAX_VARIABLES = 100;

/** Rust's `{:?}` of a string, near enough: quoted and escaped. */
const quote = (text) => JSON.stringify(text);

/** `paths` as `[name, path]` pairs: an object (the `InputPathsMap`), a Map or a list of pairs. */
function pairsOf(paths) {
  if (paths === undefined || paths === null) return [];
  if (Array.isArray(paths)) return paths;
  if (paths instanceof Map) return [...paths.entries()];
  if (typeof paths === 'object') return Object.entries(paths);
  throw 'the input paths must be an object of name: path, a Map or a list of [name, path] pairs';
}

/**
 * Reads a path: `$`, `$.a.b-c`, `$.a[0].b`, the dot notation EventBridge supports. Returns the
 * steps (member names as strings, indexes as numbers) or throws what is wrong.
 */
function parsePath(path) {
  if (typeof path !== 'string') throw `path ${String(path)} must be a string`;
  if (!path.startsWith('$')) throw `path ${quote(path)} must start with $`;
  const steps = [];
  let rest = path.slice(1);
  while (rest !== '') {
    if (rest.startsWith('.')) {
      const after = rest.slice(1);
      const found = after.search(/[.[]/);
      const end = found < 0 ? after.length : found;
      const member = after.slice(0, end);
      if (member === '') throw `path ${quote(path)} has an empty member`;
      steps.push(member);
      rest = after.slice(end);
    } else if (rest.startsWith('[')) {
      const after = rest.slice(1);
      const end = after.indexOf(']');
      if (end < 0) throw `path ${quote(path)}: unclosed [`;
      const index = after.slice(0, end);
      if (!/^\+?[0-9]+$/.test(index) || !Number.isSafeInteger(Number(index))) {
        throw `path ${quote(path)}: ${quote(index)} is not an array index`;
      }
      steps.push(Number(index));
      rest = after.slice(end + 1);
    } else {
      throw `path ${quote(path)}: expected . or [ at ${quote(rest)}`;
    }
  }
  return steps;
}

/** What `steps` select in `value`, or `undefined`. */
function select(value, steps) {
  let at = value;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(at) || step >= at.length) return undefined;
      at = at[step];
    } else {
      if (at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, step)) return undefined;
      at = at[step];
    }
  }
  return at;
}

/** Stands for "this name is no variable": the placeholder is left as written. */
const NOT_A_VARIABLE = Symbol('not a variable');

function lookup(name, variables, event, predefined) {
  switch (name) {
    case 'aws.events.event.json':
      return event;
    case 'aws.events.event': {
      if (event === null || typeof event !== 'object' || Array.isArray(event)) return event;
      const { detail: _detail, ...envelope } = event;
      return envelope;
    }
    case 'aws.events.rule-name':
      return predefined.ruleName ?? '';
    case 'aws.events.rule-arn':
      return predefined.ruleArn ?? '';
    case 'aws.events.event.ingestion-time': {
      if (predefined.ingestionTime !== undefined) return predefined.ingestionTime;
      const time = event !== null && typeof event === 'object' ? event.time : undefined;
      return typeof time === 'string' ? time : '';
    }
    default: {
      const steps = variables.get(name);
      if (steps === undefined) return NOT_A_VARIABLE;
      return select(event, steps) ?? null;
    }
  }
}

/** A string's JSON text without its quotes: escaped for the string it lands in. */
function stringContents(text) {
  const quoted = JSON.stringify(text);
  return quoted.slice(1, -1);
}

function writeValue(name, value, json, inString) {
  const wholeEvent = name === 'aws.events.event' || name === 'aws.events.event.json';
  if (wholeEvent && (inString || !json)) {
    throw `<${name}> can only stand as a JSON value, outside quotes (its contents are not escaped)`;
  }
  if (json && !inString) return toJson(value);
  if (value === null) return '';
  if (typeof value === 'string') return json ? stringContents(value) : value;
  return json ? stringContents(toJson(value)) : toJson(value);
}

/**
 * Renders `template` (an `InputTemplate`) with `paths` (the `InputPathsMap`: an object of
 * name: JSON path, a Map, or a list of `[name, path]` pairs) into `event` (a parsed JSON value,
 * usually the whole EventBridge event). `predefined` gives `ruleName`, `ruleArn` and
 * `ingestionTime` (ISO 8601; the event's `time` when not given). Throws a sentence naming the
 * variable or path that cannot be used.
 */
export function render(template, paths, event, predefined = {}) {
  const pairs = pairsOf(paths);
  if (pairs.length > MAX_VARIABLES) {
    throw `${pairs.length} variables: an input transformer has at most ${MAX_VARIABLES}`;
  }
  const variables = new Map();
  for (const [name, path] of pairs) {
    if (name.startsWith('aws.') || name.startsWith('AWS.')) {
      throw `variable ${quote(name)}: names starting with aws. are reserved`;
    }
    let steps;
    try {
      steps = parsePath(path);
    } catch (e) {
      throw `variable ${quote(name)}: ${e}`;
    }
    // The first of two pairs with one name wins, as in the Rust SDK.
    if (!variables.has(name)) variables.set(name, steps);
  }
  const first = trimStart(template).charAt(0);
  const json = first === '{' || first === '[' || first === '"';
  let out = '';
  let inString = false;
  let escaped = false;
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '<') {
      const end = template.indexOf('>', i);
      if (end >= 0) {
        const name = template.slice(i + 1, end);
        const value = lookup(name, variables, event, predefined);
        if (value !== NOT_A_VARIABLE) {
          out += writeValue(name, value, json, inString);
          i = end + 1;
          continue;
        }
      }
    }
    if (json) {
      if (inString && escaped) {
        escaped = false;
      } else if (inString && c === '\\') {
        escaped = true;
      } else if (c === '"') {
        inString = !inString;
      }
    }
    out += c;
    i += 1;
  }
  return out;
}

/**
 * `render` over the event being evaluated, as the host's `event-json` gives it: what a rule calls
 * in `evaluate` to build a payload or a message from a template.
 */
export function renderEvent(template, paths, predefined = {}) {
  let event;
  try {
    event = JSON.parse(eventJson.envelope());
  } catch (e) {
    throw `the event's JSON: ${e.message}`;
  }
  return render(template, paths, event, predefined);
}
