// glue-rules.js: helpers for writing glue-rules rule plugins in JavaScript.
//
// A plugin is an ES module that exports `handler`, an object with `describe(settings)` and
// `evaluate(event)` (the `glue:rules/handler@0.2.0` interface of wit/rule.wit), and is turned
// into a WebAssembly component by componentize-js. This module is the JavaScript counterpart of
// the Rust guest SDK (guest-sdk/): the same setting rules, the same glob matcher and pattern
// values, the same JSON text and the same action builders, so that a rule written with it
// decides byte for byte what the Rust rule decides.
//
// How WIT values look in JavaScript (componentize-js):
// - records are objects with camelCase fields: `event.detailType`, `change.jobRunId`;
// - variants are `{ tag: 'job-state-change', val: {...} }`; cases without a payload have only
//   a tag (`{ tag: 'succeeded' }`); enums are strings ('event', 'request-response');
// - `option<T>` is the value or `undefined`; `u64` is a BigInt; `tuple<a, b>` is `[a, b]`;
// - a function returning `result<T, string>` returns T for `ok`; throwing a *string* returns
//   it as `err`. Any other thrown value traps the plugin instance, which is why `rule()` below
//   turns every error into its message.

import {
  log as hostLog, config as hostConfig, detailJson as hostDetailJson, eventJson as hostEventJson,
} from 'glue:rules/host@0.2.0';

// ------------------------------------------------------------------------------------------
// Logging
// ------------------------------------------------------------------------------------------

/** The host's log, tagged with the plugin's name. The host caps lines per evaluation. */
export const log = {
  trace: (message) => hostLog('trace', String(message)),
  debug: (message) => hostLog('debug', String(message)),
  info: (message) => hostLog('info', String(message)),
  warn: (message) => hostLog('warn', String(message)),
  error: (message) => hostLog('error', String(message)),
};

// ------------------------------------------------------------------------------------------
// Text: the same whitespace and control characters as Rust's `char`
// ------------------------------------------------------------------------------------------

const WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING = new RegExp(`^[${WHITESPACE}]+`);
const TRAILING = new RegExp(`[${WHITESPACE}]+$`);
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` without leading and trailing white space (Rust's `str::trim`). */
export function trim(text) {
  return text.replace(LEADING, '').replace(TRAILING, '');
}

/** `text` without trailing white space (Rust's `str::trim_end`). */
export function trimEnd(text) {
  return text.replace(TRAILING, '');
}

/** The first `max` characters (code points, not UTF-16 units) of `text`. */
export function truncateChars(text, max) {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max).join('');
}

// ------------------------------------------------------------------------------------------
// Settings
// ------------------------------------------------------------------------------------------

/** Setting readers over `lookup(key)`: the same rules for `config` and for `Settings`. */
function readers(lookup) {
  const self = {
    /** The raw value of `key`, or `undefined`. */
    raw(key) {
      return lookup(key) ?? undefined;
    },
    /** The trimmed value of `key`; `undefined` when unset, empty or only white space. */
    get(key) {
      const value = lookup(key);
      if (value === undefined || value === null) return undefined;
      const trimmed = trim(value);
      return trimmed === '' ? undefined : trimmed;
    },
    /** The trimmed value of `key`, or `fallback`. */
    getOr(key, fallback) {
      return self.get(key) ?? fallback;
    },
    /** The trimmed value of `key`; throws when it is not set. */
    require(key) {
      const value = self.get(key);
      if (value === undefined) throw `setting \`${key}\` is required but not set`;
      return value;
    },
    /** `key` as a boolean (true/false, yes/no, on/off, 1/0, any case), or `fallback`. */
    bool(key, fallback) {
      const value = self.get(key);
      if (value === undefined) return fallback;
      switch (value.replace(/[A-Z]/g, (c) => c.toLowerCase())) {
        case 'true': case 'yes': case 'on': case '1': return true;
        case 'false': case 'no': case 'off': case '0': return false;
        default: throw `setting \`${key}\` must be true or false, not "${value}"`;
      }
    },
  };
  return self;
}

/**
 * The plugin's settings during `evaluate`, from the host's `[plugins.NAME.config]` table (or
 * the declared defaults). Values are trimmed and an empty value counts as unset. A value that
 * is set but unreadable throws a sentence naming the key, which `evaluate` reports as a plugin
 * error.
 */
export const config = readers(hostConfig);

/**
 * The settings `describe(settings)` receives: the configured `[key, value]` pairs, without the
 * declared defaults. The same readers as `config`.
 */
export class Settings {
  constructor(pairs = []) {
    const values = new Map(pairs);
    Object.assign(this, readers((key) => values.get(key)));
  }
}

/** The JSON of the event being evaluated, copied only when asked for. */
export const eventJson = {
  /** The event's `detail` as compact JSON text. */
  detail: () => hostDetailJson(),
  /** The whole envelope as compact JSON text. */
  envelope: () => hostEventJson(),
};

// ------------------------------------------------------------------------------------------
// Glob: `*` any run of characters, `?` one character, case sensitive
// ------------------------------------------------------------------------------------------

/** Whether `text` matches `pattern` as a whole (`nightly-*`, `job-??`). */
export function glob(pattern, text) {
  const p = Array.from(pattern);
  const t = Array.from(text);
  let pi = 0;
  let ti = 0;
  let star = -1;
  let swallowed = 0;
  while (ti < t.length) {
    if (p[pi] === '*') {
      star = pi;
      swallowed = ti;
      pi += 1;
    } else if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi += 1;
      ti += 1;
    } else if (star >= 0) {
      pi = star + 1;
      swallowed += 1;
      ti = swallowed;
    } else {
      return false;
    }
  }
  return p.slice(pi).every((c) => c === '*');
}

// ------------------------------------------------------------------------------------------
// JSON text, written exactly as the Rust SDK writes it
// ------------------------------------------------------------------------------------------

/** `text` as a JSON string literal, quotes included. */
export function jsonString(text) {
  let out = '"';
  for (const c of text) {
    switch (c) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      default: {
        const code = c.codePointAt(0);
        out += code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : c;
      }
    }
  }
  return out + '"';
}

/** Builds one flat JSON object, member by member, in the order written. */
export class JsonObject {
  #members = [];

  /** Adds a string member. */
  string(key, value) {
    this.#members.push(`${jsonString(key)}:${jsonString(value)}`);
    return this;
  }

  /** Adds a member whose value is an array of strings. */
  strings(key, values) {
    this.#members.push(`${jsonString(key)}:[${values.map(jsonString).join(',')}]`);
    return this;
  }

  /** Adds a member whose value is already JSON text. */
  raw(key, json) {
    this.#members.push(`${jsonString(key)}:${json}`);
    return this;
  }

  /** The finished JSON text. */
  finish() {
    return `{${this.#members.join(',')}}`;
  }
}

/**
 * The event-pattern value (JSON text) that selects what the glob `glob` matches: the string
 * itself without wildcards, `{"prefix":...}` for one trailing `*`, `{"wildcard":...}` for other
 * `*`s. `undefined` when `glob` has a `?`, which event patterns cannot express: keep the filter
 * in `evaluate` alone then.
 */
export function globPatternValue(glob) {
  if (glob.includes('?')) return undefined;
  if (!glob.includes('*')) return jsonString(glob);
  // Runs of `*` mean one `*` (EventBridge refuses `**`).
  const collapsed = glob.replace(/\*+/g, '*');
  const prefix = collapsed.slice(0, -1);
  if (collapsed.endsWith('*') && !prefix.includes('*')) {
    return new JsonObject().string('prefix', prefix).finish();
  }
  // In a wildcard, a backslash escapes: a literal one is written twice.
  return new JsonObject().string('wildcard', collapsed.replace(/\\/g, '\\\\')).finish();
}

// ------------------------------------------------------------------------------------------
// Glue's spelling of the enum-like variants
// ------------------------------------------------------------------------------------------

const JOB_STATES = {
  starting: 'STARTING', running: 'RUNNING', stopping: 'STOPPING', stopped: 'STOPPED',
  succeeded: 'SUCCEEDED', failed: 'FAILED', timeout: 'TIMEOUT', error: 'ERROR',
  waiting: 'WAITING', expired: 'EXPIRED',
};
const SEVERITIES = { info: 'INFO', warn: 'WARN', error: 'ERROR' };

/** A job state as Glue spells it (`SUCCEEDED`); an `other` state as Glue sent it. */
export function jobStateName(state) {
  return state.tag === 'other' ? state.val : JOB_STATES[state.tag];
}

/** A severity as Glue spells it (`ERROR`); an `other` severity as Glue sent it. */
export function severityName(severity) {
  return severity.tag === 'other' ? severity.val : SEVERITIES[severity.tag];
}

/** The AWS partition of `region`: `aws`, `aws-cn` or `aws-us-gov`. */
export function partition(region) {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

// ------------------------------------------------------------------------------------------
// Decisions and actions
// ------------------------------------------------------------------------------------------

/**
 * Metadata for `describe`: `patterns` are EventBridge patterns as JSON text, `settings` the
 * declarations made with `setting`.
 */
export function metadata(name, version, description, patterns = [], settings = []) {
  return { name, version, description, patterns, settings };
}

/**
 * Declares a setting the plugin reads, for `metadata`: the host checks the configuration
 * against it at load. `kind` is 'string', 'bool', 'number' or 'list'.
 */
export function setting(kind, name, description, { defaultValue, required = false } = {}) {
  return { name, kind, required, defaultValue, description };
}

/** The rule's condition did not hold. */
export function noMatch(reason) {
  return { matched: false, actions: [], reason };
}

/** The rule's condition held: the host performs `actions` in order. */
export function matched(actions, reason) {
  return { matched: true, actions, reason };
}

/**
 * Reads an invocation type setting: `event` or `request-response` in any case, with `-`, `_`
 * or nothing between the words. `undefined` for anything else.
 */
export function parseInvocationType(text) {
  const folded = trim(text).replace(/[-_]/g, '').replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (folded === 'event') return 'event';
  if (folded === 'requestresponse') return 'request-response';
  return undefined;
}

/** The Lambda `InvocationType` spelling of an invocation type. */
export function invocationTypeName(type) {
  return type === 'event' ? 'Event' : 'RequestResponse';
}

/** A Lambda `Invoke` action. */
export function lambda(functionName, payload = '{}', invocationType = 'request-response') {
  return { tag: 'lambda', val: { functionName, payload, invocationType } };
}

/**
 * An SNS `Publish` action. The subject is cleaned as SNS wants it (control characters become
 * spaces, at most 100 characters, dropped when empty); attributes with an empty value are
 * skipped. `attributes` is a list of `[name, value]` pairs of `String` attributes.
 */
export function sns(topicArn, { subject, message = '', attributes = [] } = {}) {
  let cleaned;
  if (subject !== undefined) {
    const cut = trimEnd(truncateChars(trim(subject.replace(CONTROL, ' ')), 100));
    cleaned = cut === '' ? undefined : cut;
  }
  const messageAttributes = attributes
    .filter(([, value]) => value !== '')
    .map(([name, value]) => ({ name, dataType: 'String', stringValue: value }));
  return { tag: 'sns', val: { topicArn, subject: cleaned, message, messageAttributes } };
}

/**
 * The `handler` export of a rule: `describe(settings)` gets a `Settings`, and anything either
 * function throws is returned as its `err` with the error's message, instead of trapping the
 * instance.
 */
export function rule({ describe, evaluate }) {
  return {
    describe: (pairs) => errorsAsText(() => describe(new Settings(pairs))),
    evaluate: (event) => errorsAsText(() => evaluate(event)),
  };
}

function errorsAsText(call) {
  try {
    return call();
  } catch (e) {
    throw typeof e === 'string' ? e : String(e && e.message !== undefined ? e.message : e);
  }
}
