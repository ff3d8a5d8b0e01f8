// The only module of the package that imports the host interface (`glue:rules/host@0.2.0`, the
// import of the `rule` world). In a component, componentize-js links it to the host; under Node,
// `@glue-rules/sdk/register` maps it to the test shim (`host-shim.js`), so the same rule module
// runs in both.

import {
  config as hostConfig, detailJson as hostDetailJson, eventJson as hostEventJson, log as hostLog,
} from 'glue:rules/host@0.2.0';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

/**
 * The host's log, tagged with the plugin's name: `log.info('text')`, or `log.write(level, text)`
 * with a level chosen at run time. The host caps the lines one evaluation may write.
 */
export const log = {
  write(level, message) {
    if (!LEVELS.includes(level)) throw `log level must be one of ${LEVELS.join(', ')}, not "${level}"`;
    hostLog(level, String(message));
  },
  trace: (message) => hostLog('trace', String(message)),
  debug: (message) => hostLog('debug', String(message)),
  info: (message) => hostLog('info', String(message)),
  warn: (message) => hostLog('warn', String(message)),
  error: (message) => hostLog('error', String(message)),
};

/** The raw value of setting `key` as the host serves it, or `undefined`. */
export function rawConfig(key) {
  return hostConfig(key) ?? undefined;
}

/**
 * The JSON of the event being evaluated, copied from the host only when asked for (the typed
 * event is what `evaluate` receives): `eventJson.detail()` is the event's `detail` and
 * `eventJson.envelope()` the whole envelope, both as compact JSON text ("{}" outside `evaluate`).
 */
export const eventJson = {
  detail: () => hostDetailJson(),
  envelope: () => hostEventJson(),
};
