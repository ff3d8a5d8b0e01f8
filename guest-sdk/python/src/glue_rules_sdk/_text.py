"""Text rules shared with the Rust SDK, so a rule decides the same in both languages.

Python's ``str.strip()`` also strips U+001C..U+001F, which Rust's ``str::trim`` keeps, and
``str.lower()`` folds every script, where Rust's ``to_ascii_lowercase`` folds A-Z alone.
"""

from __future__ import annotations

#: Rust's ``char::is_whitespace``: the Unicode White_Space property.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def trim(text: str) -> str:
    """``text`` without leading and trailing white space (Rust's ``str::trim``)."""
    return text.strip(WHITESPACE)


def trim_start(text: str) -> str:
    """``text`` without leading white space (Rust's ``str::trim_start``)."""
    return text.lstrip(WHITESPACE)


def trim_end(text: str) -> str:
    """``text`` without trailing white space (Rust's ``str::trim_end``)."""
    return text.rstrip(WHITESPACE)


def is_control(c: str) -> bool:
    """Rust's ``char::is_control``: C0, DEL and C1."""
    code = ord(c)
    return code < 0x20 or 0x7F <= code <= 0x9F


def ascii_lower(text: str) -> str:
    """``text`` with A-Z folded to a-z and nothing else changed (Rust's
    ``to_ascii_lowercase``)."""
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def rust_debug(text: str) -> str:
    """``text`` quoted as Rust's ``{:?}`` quotes a string, for error messages that read the same
    in both SDKs (``"a \\"b\\"\\n"``)."""
    out = ['"']
    for c in text:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\0":
            out.append("\\0")
        elif is_control(c):
            out.append(f"\\u{{{ord(c):x}}}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)
