// Text helpers that behave as the Rust SDK's: the same white space (Rust's `char::is_whitespace`)
// and control characters (`char::is_control`), and lengths counted in characters (code points),
// not UTF-16 units, so that a rule written with this package cuts and trims exactly where the
// Rust rule does.

const WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING = new RegExp(`^[${WHITESPACE}]+`);
const TRAILING = new RegExp(`[${WHITESPACE}]+$`);

/** Control characters (C0, DEL and C1), as Rust's `char::is_control` sees them. */
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` without leading and trailing white space (Rust's `str::trim`). */
export function trim(text) {
  return text.replace(LEADING, '').replace(TRAILING, '');
}

/** `text` without leading white space (Rust's `str::trim_start`). */
export function trimStart(text) {
  return text.replace(LEADING, '');
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

/** ASCII letters in lower case, others unchanged (Rust's `to_ascii_lowercase`). */
export function asciiLowercase(text) {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
