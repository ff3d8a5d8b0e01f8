// The host interface (`glue:rules/host@0.2.0`) for rules run under Node: what the module hook
// of `@glue-rules/sdk/register` maps that import to. Settings, log lines and the event's JSON
// live in `shimState`, which `@glue-rules/sdk/testing` sets and reads per test; a rule sees the
// same four functions it sees in a component.
//
// The functions check their arguments as the component boundary would (a log level must be one
// of the WIT's, a key must be a string), so a test fails where the component would trap.

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

/** The shim's state. Internal to the package: use the functions of `@glue-rules/sdk/testing`. */
export const shimState = {
  /** Settings as the host would serve them: key -> text. */
  config: new Map(),
  /** Log lines written since the last `takeLogs()`: `{ level, message }`. */
  logs: [],
  /** What `detailJson()` and `eventJson()` return. */
  detailJson: '{}',
  eventJson: '{}',
  /** When set, every log line is also written to stderr (GLUE_RULES_TEST_LOG=1). */
  echo: typeof process !== 'undefined' && process.env.GLUE_RULES_TEST_LOG === '1',
};

/** Writes one line to the (test) log. */
export function log(level, message) {
  if (!LEVELS.includes(level)) {
    throw new TypeError(`glue:rules/host log: level must be one of ${LEVELS.join(', ')}, not ${JSON.stringify(level)}`);
  }
  if (typeof message !== 'string') {
    throw new TypeError(`glue:rules/host log: the message must be a string, not ${typeof message}`);
  }
  shimState.logs.push({ level, message });
  if (shimState.echo) process.stderr.write(`[${level}] ${message}\n`);
}

/** The setting `key` as the test configured it, or `undefined`. */
export function config(key) {
  if (typeof key !== 'string') throw new TypeError(`glue:rules/host config: the key must be a string, not ${typeof key}`);
  return shimState.config.get(key);
}

/** The `detail` of the test's current event, as compact JSON text ("{}" when none is set). */
export function detailJson() {
  return shimState.detailJson;
}

/** The whole envelope of the test's current event, as compact JSON text ("{}" when none is set). */
export function eventJson() {
  return shimState.eventJson;
}
