// @glue-rules/sdk/testing: run a rule module under plain Node (`node --test`) against the events
// the host would hand it.
//
// The rule imports `glue:rules/host@0.2.0` (through this package); with
// `node --import @glue-rules/sdk/register` that import is the shim of `host-shim.js`, whose
// settings, log lines and event JSON the functions below set and read. Events come from files
// through the host's own parser (`glue-rules event --typed FILE`, converted to componentize-js
// values by the package's reading of the WIT), or are built by hand with `makeEvent` and
// `jobEvent`, without the binary.
//
//   import { configure, evaluate, loadEvent } from '@glue-rules/sdk/testing';
//   import { handler } from '../src/index.js';
//   configure(handler, { 'topic-arn': 'arn:aws:sns:us-east-1:123456789012:alerts' });
//   const decision = evaluate(handler, loadEvent('fixtures/job-failed.json'));
//
// State is per process (node --test runs each test file in its own) and shared by the tests of
// one file: call `reset()` (or `configure`) where a test needs a clean slate.

import './register.js';

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';

import {
  DETAIL_TYPES, crawlerStateName, dataQualityStateName, jobStateName, jobStateOf, severityName,
  severityOf, typeOfChangeName,
} from './glue.js';
import { shimState } from './host-shim.js';
import { toJson } from './json.js';
import { asciiLowercase, trim } from './text.js';
import { checkValue, completeValue, fromWitJson, parseWit, parseWitJson } from './wit.js';

const WIT = parseWit(readFileSync(new URL('../wit/rule.wit', import.meta.url), 'utf8'), '@glue-rules/sdk/wit/rule.wit');
const named = (name) => ({ kind: 'named', name });

/** The JSON each loaded or built event carries for `detailJson()`/`eventJson()`. */
const eventTexts = new WeakMap();

// ------------------------------------------------------------------------------------------
// Settings and logs
// ------------------------------------------------------------------------------------------

/** `settings` as `[key, value]` pairs: an object, a Map or a list of pairs. */
function pairsOf(settings) {
  if (settings === undefined || settings === null) return [];
  if (Array.isArray(settings)) return settings.map(([key, value]) => [key, String(value)]);
  if (settings instanceof Map) return [...settings.entries()].map(([key, value]) => [key, String(value)]);
  return Object.entries(settings).map(([key, value]) => [key, String(value)]);
}

/** Sets the plugin setting `key` as `config` will read it, as it is (no declaration is consulted). */
export function setConfig(key, value) {
  shimState.config.set(key, String(value));
}

/** Replaces every setting with `settings` (an object, a Map or `[key, value]` pairs), as they are. */
export function setSettings(settings) {
  shimState.config = new Map(pairsOf(settings));
}

/** Removes every setting. */
export function clearConfig() {
  shimState.config = new Map();
}

/** `value` as the host serves a setting of `kind`, or throws what is wrong with it. */
function normalise(kind, value) {
  const trimmed = trim(value);
  switch (kind) {
    case 'string':
      return value;
    case 'bool':
      switch (asciiLowercase(trimmed)) {
        case 'true': case 'yes': case 'on': case '1': return 'true';
        case 'false': case 'no': case 'off': case '0': return 'false';
        default: throw `must be true or false, not ${JSON.stringify(value)}`;
      }
    case 'number': {
      const ok = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) && Number.isFinite(Number(trimmed));
      if (!ok) throw `must be a number, not ${JSON.stringify(value)}`;
      return trimmed;
    }
    case 'list': {
      let items;
      if (trimmed.startsWith('[')) {
        try {
          items = JSON.parse(trimmed);
        } catch {
          items = undefined;
        }
        if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
          throw `must be a list of strings, not ${JSON.stringify(value)}`;
        }
      } else {
        items = trimmed.split(',').map(trim).filter((item) => item !== '');
      }
      return JSON.stringify(items);
    }
    default:
      throw `has an unknown kind ${JSON.stringify(kind)}`;
  }
}

/**
 * Configures `handler` (the rule module's export) the way the host does: calls its `describe`
 * with `settings` (an object, a Map or `[key, value]` pairs, as in `[plugins.NAME.config]`),
 * checks them against the settings it declares (a missing required setting or a value not of its
 * kind throws `plugins.NAME.config.KEY ...`, as the host refuses the plugin), and makes the values
 * the host would serve (declared defaults filled in, booleans as `true`/`false`, lists as JSON
 * arrays) the settings `config` reads. Returns the metadata `describe` gave.
 */
export function configure(handler, settings = {}) {
  const pairs = pairsOf(settings);
  const metadata = handler.describe(pairs);
  checkValue(WIT, 'types', named('metadata'), metadata, 'describe() result');
  const configured = new Map(pairs);
  const served = new Map();
  for (const declared of metadata.settings) {
    const key = `plugins.${metadata.name}.config.${declared.name}`;
    let value = configured.get(declared.name);
    if (value === undefined || trim(value) === '') value = declared.defaultValue;
    if (value === undefined) {
      if (declared.required) throw `${key} is required but not set`;
      continue;
    }
    try {
      served.set(declared.name, normalise(declared.kind, value));
    } catch (problem) {
      throw `${key} ${problem}`;
    }
  }
  for (const [key, value] of configured) if (!served.has(key)) served.set(key, value);
  shimState.config = served;
  return metadata;
}

/** Returns and forgets the log lines written so far: `{ level, message }` each. */
export function takeLogs() {
  const logs = shimState.logs;
  shimState.logs = [];
  return logs;
}

/** Forgets the settings, the log lines and the current event's JSON. */
export function reset() {
  shimState.config = new Map();
  shimState.logs = [];
  shimState.detailJson = '{}';
  shimState.eventJson = '{}';
}

// ------------------------------------------------------------------------------------------
// The event's JSON
// ------------------------------------------------------------------------------------------

/**
 * Makes `envelope` (an EventBridge event: JSON text or a parsed value) the event `detailJson()`
 * and `eventJson()` answer for. Written as the host writes it: compact, keys in code point order
 * (numbers as JavaScript writes them).
 */
export function setEventJson(envelope) {
  const value = typeof envelope === 'string' ? parseJson(envelope, 'the event') : envelope;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('setEventJson: the event must be a JSON object');
  }
  shimState.eventJson = toJson(value);
  shimState.detailJson = value.detail === undefined ? '{}' : toJson(value.detail);
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not JSON: ${e.message}`);
  }
}

/** `fields` without its `undefined` members, so the JSON has no `null` where Glue sends nothing. */
function defined(fields) {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** The Glue JSON of a typed detail: the inverse of the host's typed view. */
function detailJsonOf(detail) {
  const v = detail.val;
  const optionalName = (value, name) => (value === undefined ? undefined : name(value));
  const counter = (value) => (value === undefined ? undefined : String(value));
  switch (detail.tag) {
    case 'job-state-change':
      return defined({
        jobName: v.jobName, jobRunId: v.jobRunId, state: jobStateName(v.state),
        severity: optionalName(v.severity, severityName), message: v.message,
      });
    case 'job-run-status':
      return defined({
        jobName: v.jobName, jobRunId: v.jobRunId, state: jobStateName(v.state),
        severity: optionalName(v.severity, severityName), message: v.message,
        notificationCondition: v.notifyDelayAfter === undefined ? undefined : { NotifyDelayAfter: v.notifyDelayAfter },
        startedOn: v.startedOn,
      });
    case 'crawler-state-change':
      return defined({
        crawlerName: v.crawlerName, state: crawlerStateName(v.state), message: v.message,
        accountId: v.accountId, startTime: v.startTime, completionDate: v.completionDate,
        errorMessage: v.errorMessage, warningMessage: v.warningMessage,
        cloudWatchLogLink: v.cloudWatchLogLink,
        // Glue sends the counters as strings.
        tablesCreated: counter(v.tablesCreated), tablesUpdated: counter(v.tablesUpdated),
        tablesDeleted: counter(v.tablesDeleted), partitionsCreated: counter(v.partitionsCreated),
        partitionsUpdated: counter(v.partitionsUpdated), partitionsDeleted: counter(v.partitionsDeleted),
        'runningTime (sec)': v.runningTimeSec,
      });
    case 'database-state-change':
      return { databaseName: v.databaseName, typeOfChange: typeOfChangeName(v.typeOfChange), changedTables: v.changedTables };
    case 'table-state-change':
      return {
        databaseName: v.databaseName, tableName: v.tableName,
        typeOfChange: typeOfChangeName(v.typeOfChange), changedPartitions: v.changedPartitions,
      };
    case 'data-quality-result':
      return defined({
        resultID: v.resultId, rulesetNames: v.rulesetNames, state: dataQualityStateName(v.state),
        score: v.score, rulesSucceeded: v.rulesSucceeded, rulesFailed: v.rulesFailed,
        rulesSkipped: v.rulesSkipped, context: v.context === undefined ? undefined : defined({ ...v.context }),
      });
    default:
      return {};
  }
}

/**
 * The EventBridge JSON value a typed event stands for: the envelope with Glue's own spelling of
 * the detail (the inverse of the host's typed view; an `other` detail is `{}`).
 */
export function eventJsonOf(event) {
  return {
    version: event.version,
    id: event.id,
    'detail-type': event.detailType,
    source: event.source,
    account: event.account,
    time: event.time,
    region: event.region,
    resources: event.resources,
    detail: detailJsonOf(event.detail),
  };
}

/** Makes `event` the current event: its JSON from its file, or what `eventJsonOf` gives. */
export function useEvent(event) {
  setEventJson(eventTexts.get(event) ?? eventJsonOf(event));
}

// ------------------------------------------------------------------------------------------
// Events from files, through the host's parser
// ------------------------------------------------------------------------------------------

/** The `glue-rules` binary: `$GLUE_RULES`, else `glue-rules` on PATH. */
function binary() {
  const configured = process.env.GLUE_RULES;
  return configured !== undefined && configured !== '' ? configured : 'glue-rules';
}

/** Runs `glue-rules event --typed path` and returns its lines. */
function typedLines(path) {
  const bin = binary();
  let stdout;
  try {
    stdout = execFileSync(bin, ['event', '--typed', path], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    if (e.code === 'ENOENT') {
      throw new Error(
        `loading ${path} needs the glue-rules binary (it parses events as the host does): set GLUE_RULES to its path ` +
        `or put glue-rules on PATH (tried ${process.env.GLUE_RULES ? `GLUE_RULES=${bin}` : 'glue-rules on PATH; GLUE_RULES is not set'})`,
      );
    }
    const stderr = String(e.stderr ?? '').trim();
    throw new Error(`${bin} event --typed ${path} failed${e.status === null ? '' : ` (exit ${e.status})`}: ${stderr || e.message}`);
  }
  return stdout.split('\n').filter((line) => line.trim() !== '');
}

/** The events of a file as the host reads it: one JSON event, a JSON array of them, or NDJSON. */
function rawEvents(path, text) {
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value : [value];
  } catch {
    return text.split('\n').filter((line) => line.trim() !== '').map((line, i) => parseJson(line, `${path} line ${i + 1}`));
  }
}

/**
 * Converts WIT-value JSON of an `event` (kebab-case field names, `option` as `null`, variants as
 * `{"tag", "val"}`, numbers as JSON numbers: what `glue-rules event --typed` prints; text or a
 * parsed value) into the event componentize-js passes to `evaluate`: camelCase fields, `{tag,
 * val}`, `undefined` for none, BigInt for u64. Throws naming the path of what does not fit the
 * WIT.
 */
export function eventFromWitJson(value) {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = parseWitJson(value);
    } catch (e) {
      throw new Error(`the WIT-value JSON is not JSON: ${e.message}`);
    }
  }
  return fromWitJson(WIT, 'types', named('event'), parsed, 'event');
}

/**
 * Every event of the file at `path` (relative to the current directory: a JSON event, a JSON
 * array of events, or NDJSON), typed by the host's own parser (`glue-rules event --typed`),
 * each remembered with its JSON for `evaluate`/`useEvent`.
 */
export function loadEvents(path) {
  const file = resolvePath(path);
  const raw = rawEvents(path, readFileSync(file, 'utf8'));
  const lines = typedLines(file);
  if (lines.length !== raw.length) {
    throw new Error(`${path}: glue-rules event --typed printed ${lines.length} events where the file holds ${raw.length}`);
  }
  return lines.map((line, i) => {
    let event;
    try {
      event = eventFromWitJson(line);
    } catch (e) {
      throw new Error(`${path}, event ${i + 1}: ${e.message} (is glue-rules built from the contract this package targets?)`);
    }
    eventTexts.set(event, raw[i]);
    return event;
  });
}

/**
 * The one event of the file at `path`, typed by the host's own parser, and made the current event
 * (its JSON is what `detailJson()`/`eventJson()` answer).
 */
export function loadEvent(path) {
  const events = loadEvents(path);
  if (events.length !== 1) throw new Error(`${path} holds ${events.length} events; loadEvents() reads several`);
  useEvent(events[0]);
  return events[0];
}

// ------------------------------------------------------------------------------------------
// Events by hand
// ------------------------------------------------------------------------------------------

/**
 * An event built by hand, without the binary: the envelope fields given, the rest filled in
 * (`version` "0", `id` "test-event", account 123456789012, time 2024-01-01T00:00:00Z, region
 * us-east-1, no resources, `detailType` and `source` from the detail's tag). `detailJson`
 * optionally gives the detail's JSON for `detailJson()`/`eventJson()` (for an `other` detail or
 * fields the typed view lacks); otherwise it is Glue's spelling of the typed detail. The event is
 * checked against the WIT.
 */
export function makeEvent({ detail = { tag: 'other' }, detailJson, ...envelope } = {}) {
  const detailType = envelope.detailType ?? DETAIL_TYPES[detail.tag];
  if (detailType === undefined) throw new Error('makeEvent: an `other` detail needs a detailType');
  const given = {
    version: '0',
    id: 'test-event',
    detailType,
    source: detail.tag === 'data-quality-result' ? 'aws.glue-dataquality' : 'aws.glue',
    account: '123456789012',
    time: '2024-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    ...envelope,
    detail,
  };
  checkValue(WIT, 'types', named('event'), given, 'event');
  const event = completeValue(WIT, 'types', named('event'), given);
  if (detailJson !== undefined) eventTexts.set(event, { ...eventJsonOf(event), detail: detailJson });
  return event;
}

/**
 * A "Glue Job State Change" event built by hand: `state` and `severity` as Glue spells them
 * (`'FAILED'`, `'ERROR'`) or as WIT values; `envelope` as for `makeEvent`.
 */
export function jobEvent(fields = {}, envelope = {}) {
  const known = ['jobName', 'jobRunId', 'state', 'severity', 'message'];
  for (const key of Object.keys(fields)) {
    if (!known.includes(key)) throw new Error(`jobEvent: no field ${JSON.stringify(key)} (its fields: ${known.join(', ')})`);
  }
  const { jobName = 'MyJob', jobRunId = 'jr_test', state = 'FAILED', severity, message } = fields;
  return makeEvent({
    ...envelope,
    detail: {
      tag: 'job-state-change',
      val: {
        jobName,
        jobRunId,
        state: typeof state === 'string' ? jobStateOf(state) : state,
        severity: typeof severity === 'string' ? severityOf(severity) : severity,
        message,
      },
    },
  });
}

// ------------------------------------------------------------------------------------------
// Calling the rule
// ------------------------------------------------------------------------------------------

/**
 * Evaluates `event` with `handler` (the rule module's export) as the host would: makes it the
 * current event (its JSON from its file, or built from it), checks it and the decision against
 * the WIT (a decision the component could not return fails here, with its path), and returns the
 * decision. An `err` of the rule is thrown, as a string.
 */
export function evaluate(handler, event) {
  checkValue(WIT, 'types', named('event'), event, 'event');
  useEvent(event);
  const decision = handler.evaluate(event);
  checkValue(WIT, 'types', named('decision'), decision, 'evaluate() result');
  return decision;
}

/**
 * Describes `handler` with `settings` (an object, a Map or pairs) and checks the metadata
 * against the WIT, without configuring it (see `configure`).
 */
export function describe(handler, settings = {}) {
  const metadata = handler.describe(pairsOf(settings));
  checkValue(WIT, 'types', named('metadata'), metadata, 'describe() result');
  return metadata;
}
