// Types of @glue-rules/sdk. The WIT's own types (Event, Decision, Action, ...) are generated
// from wit/rule.wit into wit.d.ts and re-exported here; the helpers are declared by hand, next
// to their JavaScript (src/*.js), and checked by the TypeScript rules that use them.

/// <reference path="./wit.d.ts" />

import type {
  Action, CommandParameter, Decision, Event, InvocationType, JobState, JobStateChange,
  KinesisPutRecord, LogLevel, MessageAttribute, Metadata, Setting, SettingKind, Severity,
  CrawlerState, DataQualityState, TypeOfChange, Target,
} from 'glue:rules/types@0.2.0';
import type { Handler } from 'glue:rules/handler@0.2.0';

export type * from 'glue:rules/types@0.2.0';
export type { Handler } from 'glue:rules/handler@0.2.0';

/** The contract this package targets: the `rule` world of package glue:rules@0.2.0. */
export declare const CONTRACT: 'glue:rules@0.2.0';

// ------------------------------------------------------------------------------------------
// The host: log, settings, the event's JSON
// ------------------------------------------------------------------------------------------

/** The host's log, tagged with the plugin's name. The host caps lines per evaluation. */
export declare const log: {
  /** Writes `message` at `level`, a level chosen at run time. */
  write(level: LogLevel, message: unknown): void;
  trace(message: unknown): void;
  debug(message: unknown): void;
  info(message: unknown): void;
  warn(message: unknown): void;
  error(message: unknown): void;
};

/** The JSON of the event being evaluated, copied from the host only when asked for. */
export declare const eventJson: {
  /** The event's `detail` as compact JSON text ("{}" outside `evaluate`). */
  detail(): string;
  /** The whole envelope as compact JSON text ("{}" outside `evaluate`). */
  envelope(): string;
};

/**
 * Reads settings: the same rules for `config` (in `evaluate`) and `Settings` (in `describe`).
 * Values are trimmed and a blank value counts as unset; a value that is set but unreadable
 * throws a sentence naming the key (a string).
 */
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
  bool(key: string): boolean | undefined;
  /** `key` as a finite number, or `fallback`; throws when the text is not a number. */
  number(key: string, fallback: number): number;
  number(key: string): number | undefined;
  /** `key` as a list of strings: a JSON array of strings or comma-separated text; empty when unset. */
  list(key: string): string[];
}

/** The plugin's settings during `evaluate`, from `[plugins.NAME.config]` or the declared defaults. */
export declare const config: SettingReader;

/** The settings `describe(settings)` receives: the configured pairs, without the defaults. */
export declare class Settings implements SettingReader {
  constructor(pairs?: Iterable<readonly [string, string]>);
  raw(key: string): string | undefined;
  get(key: string): string | undefined;
  getOr(key: string, fallback: string): string;
  require(key: string): string;
  bool(key: string, fallback: boolean): boolean;
  bool(key: string): boolean | undefined;
  number(key: string, fallback: number): number;
  number(key: string): number | undefined;
  list(key: string): string[];
  /** Every `[key, value]` pair, as configured. */
  entries(): Array<[string, string]>;
}

/** What a setting declaration may add: its default (as text of its kind), whether required. */
export interface SettingOptions {
  defaultValue?: string;
  required?: boolean;
}

/** Declares a setting the plugin reads, for `metadata`: the host checks the configuration. */
export declare function setting(
  kind: SettingKind,
  name: string,
  description: string,
  options?: SettingOptions,
): Setting;

// ------------------------------------------------------------------------------------------
// The rule: metadata, decisions, the handler export
// ------------------------------------------------------------------------------------------

/** Metadata for `describe`: `patterns` are EventBridge patterns as JSON text. */
export declare function metadata(
  name: string,
  version: string,
  description: string,
  patterns?: readonly string[],
  settings?: readonly Setting[],
): Metadata;

/** The rule's condition did not hold. */
export declare function noMatch(reason?: string): Decision;

/** The rule's condition held: the host performs `actions` in order. */
export declare function matched(actions: readonly Action[], reason?: string): Decision;

/** A rule as written: `describe` gets its settings as a reader. */
export interface RuleDefinition {
  describe(settings: Settings): Metadata;
  evaluate(event: Event): Decision;
}

/**
 * The `handler` export of a rule: anything `describe` or `evaluate` throws is returned as its
 * `err` with the error's message, instead of trapping the instance.
 */
export declare function rule(definition: RuleDefinition): Handler;

// ------------------------------------------------------------------------------------------
// Actions
// ------------------------------------------------------------------------------------------

/** A JSON document: text used as it is, or a value written as compact JSON. */
export type JsonInput = string | JsonValue;

/** A value JSON can hold (BigInts are written as integers). */
export type JsonValue =
  | null | boolean | number | bigint | string | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };

/** `event` or `request-response`, any case, `-`/`_`/nothing between words; `undefined` otherwise. */
export declare function parseInvocationType(text: string): InvocationType | undefined;

/** Lambda's spelling of an invocation type: `Event` or `RequestResponse`. */
export declare function invocationTypeName(type: InvocationType): 'Event' | 'RequestResponse';

/** A Lambda `Invoke` (payload `{}` and `request-response` by default). */
export declare function lambda(functionName: string, payload?: JsonInput, invocationType?: InvocationType): Action;

/** An SNS attribute: `[name, value]` (String), `[name, value, dataType]`, or a record. */
export type SnsAttribute = readonly [string, string] | readonly [string, string, string] | MessageAttribute;

/** What an SNS `Publish` carries besides its topic. */
export interface SnsOptions {
  /** The subject: control characters become spaces, trimmed, cut to 100 characters, dropped when empty. */
  subject?: string;
  /** The message: text, or a value written as JSON. */
  message?: JsonInput;
  /** Message attributes; one with an empty value is skipped. */
  attributes?: readonly SnsAttribute[];
}

/** An SNS `Publish` action. */
export declare function sns(topicArn: string, options?: SnsOptions): Action;

/** A `String` SNS message attribute. */
export declare function stringAttribute(name: string, value: string): MessageAttribute;
/** A `Number` SNS message attribute. */
export declare function numberAttribute(name: string, value: number | bigint): MessageAttribute;
/** A `String.Array` SNS message attribute (the array as JSON text). */
export declare function stringArrayAttribute(name: string, values: readonly string[]): MessageAttribute;

/** What an SQS `SendMessage` carries besides its queue. */
export interface SqsOptions {
  /** `MessageBody`: text, or a value written as JSON. */
  body?: JsonInput;
  /** `DelaySeconds`, 0 to 900. */
  delaySeconds?: number;
  /** `MessageGroupId`, required for FIFO queues. */
  messageGroupId?: string;
  /** `MessageDeduplicationId`, for FIFO queues without content-based deduplication. */
  messageDeduplicationId?: string;
}

/** An SQS `SendMessage` action. */
export declare function sqs(queueUrl: string, options?: SqsOptions): Action;

/** A Kinesis `PutRecord` action (`stream` a name, or an ARN starting with `arn:`). */
export declare function kinesis(stream: KinesisPutRecord['streamName'], partitionKey: string, data?: JsonInput): Action;

/** What a Step Functions `StartExecution` carries besides its state machine. */
export interface StepFunctionsOptions {
  /** The execution's input: JSON text, or a value written as JSON; `{}` by default. */
  input?: JsonInput;
  /** The execution's name (unique for 90 days); generated by Step Functions when absent. */
  name?: string;
}

/** A Step Functions `StartExecution` action. */
export declare function stepFunctions(stateMachineArn: string, options?: StepFunctionsOptions): Action;

/** What an SSM `SendCommand` carries besides its document: one of instanceIds, targets, tags. */
export interface SsmOptions {
  /** `InstanceIds`. */
  instanceIds?: readonly string[];
  /** `Targets`: `{ 'tag:Role': ['etl'] }` or a list of `{ key, values }`. */
  targets?: Readonly<Record<string, readonly string[]>> | readonly Target[];
  /** Targets by tag: `{ Role: ['etl'] }` is key `tag:Role`. */
  tags?: Readonly<Record<string, readonly string[]>>;
  /** The document's parameters: `{ commands: ['...'] }` or a list of `{ name, values }`. */
  parameters?: Readonly<Record<string, readonly string[]>> | readonly CommandParameter[];
  /** `Comment`, cut to 100 characters. */
  comment?: string;
}

/** An SSM `SendCommand` (EC2 Run Command) action. */
export declare function ssm(documentName: string, options?: SsmOptions): Action;

// ------------------------------------------------------------------------------------------
// Globs and pattern values
// ------------------------------------------------------------------------------------------

/** Whether `text` matches the glob `pattern` as a whole (`*` any run, `?` one character). */
export declare function glob(pattern: string, text: string): boolean;

/** Whether `text` matches any of `patterns`; an empty list matches nothing. */
export declare function globAny(patterns: readonly string[], text: string): boolean;

/**
 * The event-pattern value (JSON text) selecting what `glob` matches; `undefined` when it has a
 * `?`, which event patterns cannot express.
 */
export declare function globPatternValue(glob: string): string | undefined;

// ------------------------------------------------------------------------------------------
// JSON text
// ------------------------------------------------------------------------------------------

/** `text` as a JSON string literal, quotes included, as the Rust SDK writes it. */
export declare function jsonString(text: string): string;

/** Builds one flat JSON object, member by member, in the order written. */
export declare class JsonObject {
  /** Adds a string member. */
  string(key: string, value: string): this;
  /** Adds a string member, or `null` when `value` is `undefined` or `null`. */
  optString(key: string, value: string | undefined | null): this;
  /** Adds a member whose value is an array of strings. */
  strings(key: string, values: readonly string[]): this;
  /** Adds a number member (finite, or a BigInt). */
  number(key: string, value: number | bigint): this;
  /** Adds a boolean member. */
  bool(key: string, value: boolean): this;
  /** Adds a member whose value is already JSON text. */
  raw(key: string, json: string): this;
  /** The finished JSON text. */
  finish(): string;
}

/** `value` as compact JSON, as serde_json writes it (keys in code point order). */
export declare function toJson(value: unknown): string;

/** A string as it is, any other value as `toJson` writes it. */
export declare function jsonText(value: unknown): string;

// ------------------------------------------------------------------------------------------
// Templates (EventBridge input transformers)
// ------------------------------------------------------------------------------------------

/** Most variables EventBridge allows in one `InputPathsMap`. */
export declare const MAX_VARIABLES: 100;

/** An `InputPathsMap`: name to JSON path (`$.detail.jobName`). */
export type InputPaths =
  | Readonly<Record<string, string>>
  | ReadonlyMap<string, string>
  | ReadonlyArray<readonly [string, string]>;

/** The values of the predefined variables that do not come from the event. */
export interface Predefined {
  /** `aws.events.rule-name`: in glue-rules, the plugin's name is the natural choice. */
  ruleName?: string;
  /** `aws.events.rule-arn`. */
  ruleArn?: string;
  /** `aws.events.event.ingestion-time`, ISO 8601; the event's `time` when not given. */
  ingestionTime?: string;
}

/**
 * Renders an EventBridge `InputTemplate` with `paths` into `event` (a parsed JSON value), as
 * EventBridge quotes values. Throws (a string) naming the variable or path that cannot be used.
 */
export declare function render(template: string, paths: InputPaths | undefined, event: unknown, predefined?: Predefined): string;

/** `render` over the event being evaluated (the host's `event-json`). */
export declare function renderEvent(template: string, paths?: InputPaths, predefined?: Predefined): string;

// ------------------------------------------------------------------------------------------
// Text
// ------------------------------------------------------------------------------------------

/** `text` without leading and trailing white space (Rust's `str::trim`). */
export declare function trim(text: string): string;
/** `text` without leading white space (Rust's `str::trim_start`). */
export declare function trimStart(text: string): string;
/** `text` without trailing white space (Rust's `str::trim_end`). */
export declare function trimEnd(text: string): string;
/** The first `max` characters (code points) of `text`. */
export declare function truncateChars(text: string, max: number): string;

// ------------------------------------------------------------------------------------------
// Glue's spellings and the event
// ------------------------------------------------------------------------------------------

/** A job state as Glue spells it (`SUCCEEDED`); an `other` state as Glue sent it. */
export declare function jobStateName(state: JobState): string;
/** A job state from Glue's spelling, as the host reads it. */
export declare function jobStateOf(text: string): JobState;
/** A severity as Glue spells it (`ERROR`). */
export declare function severityName(severity: Severity): string;
/** A severity from Glue's spelling. */
export declare function severityOf(text: string): Severity;
/** A crawler state as Glue spells it (`Succeeded`). */
export declare function crawlerStateName(state: CrawlerState): string;
/** A crawler state from Glue's spelling. */
export declare function crawlerStateOf(text: string): CrawlerState;
/** A data quality state as Glue spells it (`FAILED`). */
export declare function dataQualityStateName(state: DataQualityState): string;
/** A data quality state from Glue's spelling. */
export declare function dataQualityStateOf(text: string): DataQualityState;
/** A Data Catalog `typeOfChange` as Glue spells it (`CreateTable`). */
export declare function typeOfChangeName(change: TypeOfChange): string;
/** A Data Catalog `typeOfChange` from Glue's spelling. */
export declare function typeOfChangeOf(text: string): TypeOfChange;
/** Whether a job state is final (stopped, succeeded, failed, timeout, error, expired). */
export declare function isFinalJobState(state: JobState): boolean;
/** The `detail-type` of each typed detail, by its tag. */
export declare const DETAIL_TYPES: Readonly<Record<Exclude<Event['detail']['tag'], 'other'>, string>>;
/** The AWS partition of `region`: `aws`, `aws-cn` or `aws-us-gov`. */
export declare function partition(region: string): 'aws' | 'aws-cn' | 'aws-us-gov';
/** The job-state-change detail of `event`, or `undefined`. */
export declare function jobStateChange(event: Event): JobStateChange | undefined;
/** Whether `event` is a Glue job run that ended in failed, timeout or error. */
export declare function isJobFailure(event: Event): boolean;
/** Whether `event` is a Glue job run that succeeded. */
export declare function isJobSuccess(event: Event): boolean;
