// Job-name globs: `*` any run of characters, `?` one character, case sensitive, matched over
// whole names; and the EventBridge pattern value that selects the same names, so that a
// configured filter becomes a host-side pattern. The same matcher and values as the Rust SDK.

import { JsonObject, jsonString } from './json.js';

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

/** Whether `text` matches any of `patterns`; an empty list matches nothing. */
export function globAny(patterns, text) {
  return patterns.some((pattern) => glob(pattern, text));
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
