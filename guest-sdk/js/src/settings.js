// The plugin's settings: reading them (in `evaluate` through the host, in `describe` from the
// pairs it receives) and declaring them (so the host checks the configuration at load).
//
// The readers treat a value that is empty or only white space as unset and trim the rest, as
// the Rust SDK does: a stray space in a configuration file should not change what a rule does.
// A value that is set but cannot be read throws a sentence naming the key (a string, which
// componentize-js returns as the function's `err`), so the operator sees a plugin failure rather
// than a rule that silently falls back to a default.

import { rawConfig } from './host.js';
import { asciiLowercase, trim } from './text.js';

const KINDS = ['string', 'bool', 'number', 'list'];

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
      switch (asciiLowercase(value)) {
        case 'true': case 'yes': case 'on': case '1': return true;
        case 'false': case 'no': case 'off': case '0': return false;
        default: throw `setting \`${key}\` must be true or false, not "${value}"`;
      }
    },
    /** `key` as a finite number, or `fallback`; throws when the text is not a number. */
    number(key, fallback) {
      const value = self.get(key);
      if (value === undefined) return fallback;
      const number = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(number)) {
        throw `setting \`${key}\` has an unreadable value "${value}": not a finite decimal number`;
      }
      return number;
    },
    /**
     * `key` as a list of strings: a JSON array of strings (what the host serves for a `list`
     * setting) or comma-separated text. Empty when unset.
     */
    list(key) {
      const value = self.get(key);
      if (value === undefined) return [];
      if (value.startsWith('[')) {
        let items;
        try {
          items = JSON.parse(value);
        } catch {
          items = undefined;
        }
        if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
          throw `setting \`${key}\` must be a JSON array of strings, not "${value}"`;
        }
        return items;
      }
      return value.split(',').map(trim).filter((item) => item !== '');
    },
  };
  return self;
}

/**
 * The plugin's settings during `evaluate`, from the host's `[plugins.NAME.config]` table (or
 * the declared defaults).
 */
export const config = readers(rawConfig);

/**
 * The settings `describe(settings)` receives: the configured `[key, value]` pairs, without the
 * declared defaults (a later pair wins over an earlier one). The same readers as `config`.
 */
export class Settings {
  #values;

  constructor(pairs = []) {
    this.#values = new Map(pairs);
    Object.assign(this, readers((key) => this.#values.get(key)));
  }

  /** Every `[key, value]` pair, as configured. */
  entries() {
    return [...this.#values.entries()];
  }
}

/**
 * Declares a setting the plugin reads, for `metadata`: the host checks the configuration against
 * it at load (a missing required setting or a value not of its kind refuses the plugin, naming
 * the key), serves `defaultValue` when it is not configured, and `glue-rules inspect` lists it.
 * `kind` is 'string', 'bool', 'number' or 'list'.
 */
export function setting(kind, name, description, { defaultValue, required = false } = {}) {
  if (!KINDS.includes(kind)) throw `setting \`${name}\`: kind must be one of ${KINDS.join(', ')}, not "${kind}"`;
  return { name, kind, required, defaultValue, description };
}
