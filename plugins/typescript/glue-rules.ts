// glue-rules.ts: helpers for writing glue-rules rule plugins in TypeScript.
//
// A plugin is an ES module that exports `handler`, an object with `describe(settings)` and
// `evaluate(event)` (the `glue:rules/handler@0.2.0` interface of wit/rule.wit). esbuild bundles
// it to JavaScript and componentize-js turns that into a WebAssembly component. This module is
// the TypeScript counterpart of the Rust guest SDK (guest-sdk/): the same setting rules, the
// same glob matcher and pattern values, the same JSON text and the same action builders, so
// that a rule written with it decides byte for byte what the Rust rule decides. The WIT types
// come from glue-rules-wit.d.ts (`npm run wit-types` regenerates it).
//
// How WIT values look here: records are objects with camelCase fields; variants are
// `{ tag, val }`; enums are strings; `option<T>` is `T | undefined`; `u64` is `bigint`;
// `tuple<a, b>` is `[a, b]`. A function returning `result<T, string>` returns T for `ok`;
// throwing a *string* returns it as `err`. Any other thrown value traps the plugin instance,
// which is why `rule()` turns errors into text.

import {
  log as hostLog, config as hostConfig, detailJson as hostDetailJson, eventJson as hostEventJson,
} from 'glue:rules/host@0.2.0';
import type {
  Action, Decision, Event, InvocationType, JobState, LogLevel, Metadata, Setting, SettingKind,
  Severity,
} from 'glue:rules/types@0.2.0';

export type * from 'glue:rules/types@0.2.0';

// ------------------------------------------------------------------------------------------
// Logging
// ------------------------------------------------------------------------------------------

function write(level: LogLevel): (message: unknown) => void {
  return (message) => hostLog(level, String(message));
}

/** The host's log, tagged with the plugin's name. The host caps lines per evaluation. */
export const log = {
  trace: write('trace'),
  debug: write('debug'),
  info: write('info'),
  warn: write('warn'),
  error: write('error'),
};

// ------------------------------------------------------------------------------------------
// Text: the same whitespace and control characters as Rust's `char`
// ------------------------------------------------------------------------------------------

const WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING = new RegExp(`^[${WHITESPACE}]+`);
const TRAILING = new RegExp(`[${WHITESPACE}]+$`);
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` without leading and trailing white space (Rust's `str::trim`). */
export function trim(text: string): string {
  return text.replace(LEADING, '').replace(TRAILING, '');
}

/** `text` without trailing white space (Rust's `str::trim_end`). */
export function trimEnd(text: string): string {
  return text.replace(TRAILING, '');
}

/** The first `max` characters (code points, not UTF-16 units) of `text`. */
export function truncateChars(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max).join('');
}

// ------------------------------------------------------------------------------------------
// Settings
// ------------------------------------------------------------------------------------------

/** Reads settings: the same rules for `config` (in `evaluate`) and `Settings` (in `describe`). */
export interface SettingReader {
  /** The raw value of `key`, or `undefined`. */
  raw(key: string): string | undefined;
  /** The trimmed value of `key`; `undefined` when unset, empty or only white space. */
  get(key: string): string | undefined;
  /** The trimmed value of `key`, or `fallback`. */
  getOr(key: string, fallback: string): string;
  /** The trimmed value of `key`; throws when it is not set. */
  require(key: string): string;
  /** `key` as a boolean (true/false, yes/no, on/off, 1/0, any case), or `fallback`. */
  bool(key: string, fallback: boolean): boolean;
}

function readers(lookup: (key: string) => string | undefined | null): SettingReader {
  const self: SettingReader = {
    raw: (key) => lookup(key) ?? undefined,
    get(key) {
      const value = lookup(key);
      if (value === undefined || value === null) return undefined;
      const trimmed = trim(value);
      return trimmed === '' ? undefined : trimmed;
    },
    getOr: (key, fallback) => self.get(key) ?? fallback,
    require(key) {
      const value = self.get(key);
      if (value === undefined) throw `setting \`${key}\` is required but not set`;
      return value;
    },
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
export const config: SettingReader = readers(hostConfig);

/** The settings `describe` receives: the configured pairs, without the declared defaults. */
export function settingsOf(pairs: Array<[string, string]>): SettingReader {
  const values = new Map(pairs);
  return readers((key) => values.get(key));
}

/** The JSON of the event being evaluated, copied only when asked for. */
export const eventJson = {
  /** The event's `detail` as compact JSON text. */
  detail: (): string => hostDetailJson(),
  /** The whole envelope as compact JSON text. */
  envelope: (): string => hostEventJson(),
};

// ------------------------------------------------------------------------------------------
// Glob: `*` any run of characters, `?` one character, case sensitive
// ------------------------------------------------------------------------------------------

/** Whether `text` matches `pattern` as a whole (`nightly-*`, `job-??`). */
export function glob(pattern: string, text: string): boolean {
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
export function jsonString(text: string): string {
  let out = '"';
  for (const c of text) {
    switch (c) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      default: {
        const code = c.codePointAt(0) ?? 0;
        out += code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : c;
      }
    }
  }
  return out + '"';
}

/** Builds one flat JSON object, member by member, in the order written. */
export class JsonObject {
  #members: string[] = [];

  /** Adds a string member. */
  string(key: string, value: string): this {
    this.#members.push(`${jsonString(key)}:${jsonString(value)}`);
    return this;
  }

  /** Adds a member whose value is an array of strings. */
  strings(key: string, values: string[]): this {
    this.#members.push(`${jsonString(key)}:[${values.map(jsonString).join(',')}]`);
    return this;
  }

  /** Adds a member whose value is already JSON text. */
  raw(key: string, json: string): this {
    this.#members.push(`${jsonString(key)}:${json}`);
    return this;
  }

  /** The finished JSON text. */
  finish(): string {
    return `{${this.#members.join(',')}}`;
  }
}

/**
 * The event-pattern value (JSON text) that selects what the glob `glob` matches: the string
 * itself without wildcards, `{"prefix":...}` for one trailing `*`, `{"wildcard":...}` for other
 * `*`s. `undefined` when `glob` has a `?`, which event patterns cannot express: keep the filter
 * in `evaluate` alone then.
 */
export function globPatternValue(glob: string): string | undefined {
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

const JOB_STATES: Record<Exclude<JobState['tag'], 'other'>, string> = {
  starting: 'STARTING', running: 'RUNNING', stopping: 'STOPPING', stopped: 'STOPPED',
  succeeded: 'SUCCEEDED', failed: 'FAILED', timeout: 'TIMEOUT', error: 'ERROR',
  waiting: 'WAITING', expired: 'EXPIRED',
};
const SEVERITIES: Record<Exclude<Severity['tag'], 'other'>, string> = {
  info: 'INFO', warn: 'WARN', error: 'ERROR',
};

/** A job state as Glue spells it (`SUCCEEDED`); an `other` state as Glue sent it. */
export function jobStateName(state: JobState): string {
  return state.tag === 'other' ? state.val : JOB_STATES[state.tag];
}

/** A severity as Glue spells it (`ERROR`); an `other` severity as Glue sent it. */
export function severityName(severity: Severity): string {
  return severity.tag === 'other' ? severity.val : SEVERITIES[severity.tag];
}

/** The AWS partition of `region`: `aws`, `aws-cn` or `aws-us-gov`. */
export function partition(region: string): string {
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
export function metadata(
  name: string,
  version: string,
  description: string,
  patterns: string[] = [],
  settings: Setting[] = [],
): Metadata {
  return { name, version, description, patterns, settings };
}

/** What a setting declaration may add: its default (as text of its kind), whether required. */
export interface SettingOptions {
  defaultValue?: string;
  required?: boolean;
}

/** Declares a setting the plugin reads, for `metadata`: the host checks the configuration. */
export function setting(
  kind: SettingKind,
  name: string,
  description: string,
  { defaultValue, required = false }: SettingOptions = {},
): Setting {
  return { name, kind, required, defaultValue, description };
}

/** The rule's condition did not hold. */
export function noMatch(reason?: string): Decision {
  return { matched: false, actions: [], reason };
}

/** The rule's condition held: the host performs `actions` in order. */
export function matched(actions: Action[], reason?: string): Decision {
  return { matched: true, actions, reason };
}

/**
 * Reads an invocation type setting: `event` or `request-response` in any case, with `-`, `_`
 * or nothing between the words. `undefined` for anything else.
 */
export function parseInvocationType(text: string): InvocationType | undefined {
  const folded = trim(text).replace(/[-_]/g, '').replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (folded === 'event') return 'event';
  if (folded === 'requestresponse') return 'request-response';
  return undefined;
}

/** The Lambda `InvocationType` spelling of an invocation type. */
export function invocationTypeName(type: InvocationType): string {
  return type === 'event' ? 'Event' : 'RequestResponse';
}

/** A Lambda `Invoke` action. */
export function lambda(
  functionName: string,
  payload = '{}',
  invocationType: InvocationType = 'request-response',
): Action {
  return { tag: 'lambda', val: { functionName, payload, invocationType } };
}

/** What an SNS `Publish` carries besides its topic. */
export interface SnsOptions {
  /** The subject, cleaned as SNS wants it and dropped when empty. */
  subject?: string;
  /** The message text. */
  message?: string;
  /** `String` attributes as `[name, value]` pairs; empty values are skipped. */
  attributes?: Array<[string, string]>;
}

/**
 * An SNS `Publish` action. The subject is cleaned as SNS wants it (control characters become
 * spaces, at most 100 characters, dropped when empty); attributes with an empty value are
 * skipped.
 */
export function sns(topicArn: string, { subject, message = '', attributes = [] }: SnsOptions = {}): Action {
  let cleaned: string | undefined;
  if (subject !== undefined) {
    const cut = trimEnd(truncateChars(trim(subject.replace(CONTROL, ' ')), 100));
    cleaned = cut === '' ? undefined : cut;
  }
  const messageAttributes = attributes
    .filter(([, value]) => value !== '')
    .map(([name, value]) => ({ name, dataType: 'String', stringValue: value }));
  return { tag: 'sns', val: { topicArn, subject: cleaned, message, messageAttributes } };
}

/** A rule as written: `describe` gets its settings as a reader. */
export interface RuleDefinition {
  describe(settings: SettingReader): Metadata;
  evaluate(event: Event): Decision;
}

/** The `handler` export: what componentize-js calls. */
export interface Handler {
  describe(settings: Array<[string, string]>): Metadata;
  evaluate(event: Event): Decision;
}

/**
 * The `handler` export of a rule: anything `describe` or `evaluate` throws is returned as its
 * `err` with the error's message, instead of trapping the instance.
 */
export function rule(definition: RuleDefinition): Handler {
  return {
    describe: (pairs) => errorsAsText(() => definition.describe(settingsOf(pairs))),
    evaluate: (event) => errorsAsText(() => definition.evaluate(event)),
  };
}

function errorsAsText<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    if (typeof e === 'string') throw e;
    throw e instanceof Error ? e.message : String(e);
  }
}
