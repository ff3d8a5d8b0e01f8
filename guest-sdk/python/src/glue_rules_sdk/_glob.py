"""Globs for names: ``*`` any run of characters, ``?`` one character, case sensitive; and the
EventBridge pattern value that selects the same names, so a configured filter can become a
host-side pattern."""

from __future__ import annotations

from typing import Iterable, Optional

from ._json import JsonObject, json_string


def glob(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` as a whole (``nightly-*``, ``job-??``). Linear
    backtracking over one star at a time, as the Rust SDK does: no regex engine."""
    p, ti, star, swallowed = 0, 0, -1, 0
    while ti < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, swallowed = p, ti
            p += 1
        elif p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[ti]):
            p += 1
            ti += 1
        elif star >= 0:
            p = star + 1
            swallowed += 1
            ti = swallowed
        else:
            return False
    return all(c == "*" for c in pattern[p:])


def glob_any(patterns: Iterable[str], text: str) -> bool:
    """Whether ``text`` matches any of ``patterns`` (a ``list`` setting, say). An empty list
    matches nothing."""
    return any(glob(p, text) for p in patterns)


def glob_pattern_value(pattern: str) -> Optional[str]:
    """The event-pattern value (JSON text) that selects what the glob ``pattern`` matches: the
    string itself without wildcards, ``{"prefix":...}`` for one trailing ``*``,
    ``{"wildcard":...}`` for other ``*``s. ``None`` when it has a ``?``, which event patterns
    cannot express: keep the filter in ``evaluate`` alone then."""
    if "?" in pattern:
        return None
    if "*" not in pattern:
        return json_string(pattern)
    # Runs of `*` mean one `*` (EventBridge refuses `**`).
    collapsed = ""
    for c in pattern:
        if not (c == "*" and collapsed.endswith("*")):
            collapsed += c
    prefix = collapsed[:-1]
    if collapsed.endswith("*") and "*" not in prefix:
        return JsonObject().string("prefix", prefix).finish()
    # In a wildcard, a backslash escapes: a literal one is written twice.
    return JsonObject().string("wildcard", collapsed.replace("\\", "\\\\")).finish()
