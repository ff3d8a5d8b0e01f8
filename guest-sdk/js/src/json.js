// JSON text written the way the Rust SDK writes it.
//
// Two writers, for two jobs: `jsonString` and `JsonObject` write small flat payloads exactly as
// the Rust SDK's `json` module does (a rule built with either decides the same bytes), and
// `toJson` writes any value as compact JSON the way serde_json does (keys in code point order,
// as the host's `event-json` and the Rust SDK's templates write objects); templates use it.

/** `text` as a JSON string literal, quotes included (the Rust SDK's `json::quote`). */
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

  /** Adds a string member, or `null` when `value` is `undefined` or `null`. */
  optString(key, value) {
    return value === undefined || value === null ? this.raw(key, 'null') : this.string(key, value);
  }

  /** Adds a member whose value is an array of strings. */
  strings(key, values) {
    this.#members.push(`${jsonString(key)}:[${values.map(jsonString).join(',')}]`);
    return this;
  }

  /** Adds a number member (a finite number or a BigInt; anything else is refused). */
  number(key, value) {
    if (typeof value === 'bigint') return this.raw(key, value.toString());
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw `JSON member "${key}": ${String(value)} is not a finite number`;
    }
    return this.raw(key, String(value));
  }

  /** Adds a boolean member. */
  bool(key, value) {
    return this.raw(key, value ? 'true' : 'false');
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

/** Orders keys by code point, as Rust orders `String`s (JavaScript's `<` compares UTF-16 units). */
function byCodePoint(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * `value` as compact JSON text, as serde_json writes a `Value`: object keys in code point order,
 * strings escaped as JSON.stringify escapes them (which is serde_json's escaping), BigInts as
 * integers. Members whose value is `undefined` or a function are left out and such array items
 * are `null`, as in JSON.stringify. Numbers are written as JavaScript writes them (`1`, where
 * serde_json writes a float `1.0`); a non-finite number is `null`.
 */
export function toJson(value) {
  switch (typeof value) {
    case 'string': return JSON.stringify(value);
    case 'number': return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint': return value.toString();
    case 'boolean': return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (typeof value.toJSON === 'function') return toJson(value.toJSON());
      if (Array.isArray(value)) {
        return `[${value.map((item) => (item === undefined || typeof item === 'function' ? 'null' : toJson(item))).join(',')}]`;
      }
      const members = Object.keys(value)
        .filter((key) => value[key] !== undefined && typeof value[key] !== 'function')
        .sort(byCodePoint)
        .map((key) => `${JSON.stringify(key)}:${toJson(value[key])}`);
      return `{${members.join(',')}}`;
    }
    default: return 'null';
  }
}

/** A payload argument as text: a string is used as it is, any other value as `toJson` writes it. */
export function jsonText(value) {
  return typeof value === 'string' ? value : toJson(value);
}
