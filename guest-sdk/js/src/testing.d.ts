// Types of @glue-rules/sdk/testing: run a rule module under `node --test`.

import type { Decision, Event, JobState, Metadata, Severity } from './index.js';
import type { Handler } from 'glue:rules/handler@0.2.0';

/** Settings as `[plugins.NAME.config]` holds them: an object, a Map or `[key, value]` pairs. */
export type TestSettings =
  | Readonly<Record<string, string | number | boolean>>
  | ReadonlyMap<string, string>
  | ReadonlyArray<readonly [string, string]>;

/** One line the rule wrote to the host's log. */
export interface LogLine {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** Sets one setting as `config` reads it, as it is. */
export declare function setConfig(key: string, value: string | number | boolean): void;
/** Replaces every setting, as they are (no declaration consulted). */
export declare function setSettings(settings: TestSettings): void;
/** Removes every setting. */
export declare function clearConfig(): void;
/**
 * Describes `handler` with `settings` and serves them as the host would (defaults filled in,
 * values normalised, a missing required or unreadable setting thrown as
 * `plugins.NAME.config.KEY ...`). Returns the metadata.
 */
export declare function configure(handler: Handler, settings?: TestSettings): Metadata;
/** Describes `handler` with `settings`, checked against the WIT, without configuring it. */
export declare function describe(handler: Handler, settings?: TestSettings): Metadata;
/** Returns and forgets the log lines written so far. */
export declare function takeLogs(): LogLine[];
/** Forgets settings, log lines and the current event's JSON. */
export declare function reset(): void;

/** Makes `envelope` (JSON text or value) the event `detailJson()`/`eventJson()` answer for. */
export declare function setEventJson(envelope: string | object): void;
/** The EventBridge JSON value a typed event stands for (Glue's spelling of its detail). */
export declare function eventJsonOf(event: Event): Record<string, unknown>;
/** Makes `event` the current event: its file's JSON, or what `eventJsonOf` gives. */
export declare function useEvent(event: Event): void;

/** WIT-value JSON of an event (what `glue-rules event --typed` prints) as the value `evaluate` gets. */
export declare function eventFromWitJson(value: string | object): Event;
/** Every event of a file, typed by `glue-rules event --typed` (`$GLUE_RULES` or PATH). */
export declare function loadEvents(path: string): Event[];
/** The one event of a file, typed by the host's parser, made the current event. */
export declare function loadEvent(path: string): Event;

/** Envelope fields for a hand-built event, plus its detail and optionally the detail's JSON. */
export type EventFields = Partial<Omit<Event, 'detail'>> & {
  detail?: Event['detail'];
  detailJson?: unknown;
};
/** An event built by hand, defaults filled in, checked against the WIT. */
export declare function makeEvent(fields?: EventFields): Event;

/** The detail fields of a hand-built "Glue Job State Change". */
export interface JobEventFields {
  jobName?: string;
  jobRunId?: string;
  /** Glue's spelling (`'FAILED'`) or a WIT value. */
  state?: string | JobState;
  /** Glue's spelling (`'ERROR'`) or a WIT value. */
  severity?: string | Severity;
  message?: string;
}
/** A "Glue Job State Change" event built by hand. */
export declare function jobEvent(fields?: JobEventFields, envelope?: Omit<EventFields, 'detail' | 'detailJson'>): Event;

/** Evaluates `event` as the host would, checking event and decision against the WIT. */
export declare function evaluate(handler: Handler, event: Event): Decision;
