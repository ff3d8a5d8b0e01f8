"""EventBridge input transformers, rendered in the rule: an ``InputPathsMap`` of names to JSON
paths into the event, and an ``InputTemplate`` with ``<name>`` placeholders, as EventBridge
users already write them for a rule's target. The same behaviour and error texts as the Rust
SDK's ``template`` module, so a template renders the same text in every language.

The placement of a placeholder decides how its value is written, as EventBridge does it:

- in a JSON template (one that starts with ``{``, ``[`` or ``"``), a placeholder **inside** a
  JSON string gets the value's text escaped for that string (a string's contents; any other
  value as compact JSON), and a placeholder **outside** strings gets the value as JSON (a
  string with its quotes);
- in any other template (plain text), the value's text is written as it is.

The predefined variables are ``aws.events.event.json`` (the whole event), ``aws.events.event``
(the event without ``detail``), both only usable as JSON values, and ``aws.events.rule-name``,
``aws.events.rule-arn`` and ``aws.events.event.ingestion-time`` from ``Predefined``. A
placeholder whose name is neither a variable nor predefined is left as written; a path that
selects nothing gives JSON ``null`` outside strings and nothing inside them or in plain text.
Objects are written with their members in key order, as the Rust SDK's parsed values are.

    >>> event = {"detail": {"instance-id": "i-0123", "state": "RUNNING"}}
    >>> paths = {"instance": "$.detail.instance-id", "state": "$.detail.state"}
    >>> render('{"instance": <instance>, "text": "<instance> is <state>"}', paths, event)
    '{"instance": "i-0123", "text": "i-0123 is RUNNING"}'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from ._events import event_json
from ._json import parse_json, to_json
from ._text import rust_debug as _quote, trim_start

__all__ = ["MAX_VARIABLES", "Paths", "Predefined", "TemplateError", "render", "render_event"]

#: Most variables EventBridge allows in one ``InputPathsMap``.
MAX_VARIABLES = 100

#: An ``InputPathsMap``: a mapping of names to paths, or ``(name, path)`` pairs (the first
#: pair of a name wins).
Paths = Union[Mapping[str, str], Iterable[Tuple[str, str]]]


class TemplateError(ValueError):
    """A template or paths map that cannot be used; the message names the variable or the
    path."""


@dataclass
class Predefined:
    """The values of the predefined variables that do not come from the event."""

    #: ``aws.events.rule-name``: in glue-rules, the plugin's name is the natural choice.
    rule_name: str = ""
    #: ``aws.events.rule-arn``.
    rule_arn: str = ""
    #: ``aws.events.event.ingestion-time``, ISO 8601; the event's ``time`` when ``None``.
    ingestion_time: Optional[str] = None


def render(
    template: str,
    paths: Paths,
    event: Any,
    predefined: Optional[Predefined] = None,
) -> str:
    """Renders ``template`` with ``paths`` (name to JSON path) into ``event`` (a parsed JSON
    value, such as ``event_value()``). Raises ``TemplateError`` naming the variable or the path
    that cannot be used."""
    predefined = predefined or Predefined()
    pairs: List[Tuple[str, str]] = list(paths.items() if isinstance(paths, Mapping) else paths)
    if len(pairs) > MAX_VARIABLES:
        raise TemplateError(
            f"{len(pairs)} variables: an input transformer has at most {MAX_VARIABLES}"
        )
    steps: Dict[str, List[Union[str, int]]] = {}
    for name, path in pairs:
        if name.startswith("aws.") or name.startswith("AWS."):
            raise TemplateError(f"variable {_quote(name)}: names starting with aws. are reserved")
        try:
            parsed = _parse_path(path)
        except TemplateError as e:
            raise TemplateError(f"variable {_quote(name)}: {e}") from None
        steps.setdefault(name, parsed)
    json_mode = trim_start(template)[:1] in ("{", "[", '"')
    out: List[str] = []
    in_string = False
    escaped = False
    i = 0
    while i < len(template):
        c = template[i]
        if c == "<":
            end = template.find(">", i + 1)
            if end >= 0:
                name = template[i + 1 : end]
                found, value = _lookup(name, steps, event, predefined)
                if found:
                    _write_value(out, name, value, json_mode, in_string)
                    i = end + 1
                    continue
        if json_mode:
            if in_string and escaped:
                escaped = False
            elif in_string and c == "\\":
                escaped = True
            elif c == '"':
                in_string = not in_string
        out.append(c)
        i += 1
    return "".join(out)


def render_event(template: str, paths: Paths, predefined: Optional[Predefined] = None) -> str:
    """``render`` over the event being evaluated, as ``event_json()`` gives it: what a rule
    calls in ``evaluate`` to build a payload or a message from a template."""
    try:
        event = parse_json(event_json())
    except ValueError as e:
        raise TemplateError(f"the event's JSON: {e}") from None
    return render(template, paths, event, predefined)


_MISSING = object()


def _lookup(
    name: str, steps: Dict[str, List[Union[str, int]]], event: Any, predefined: Predefined
) -> Tuple[bool, Any]:
    """Whether ``name`` is a variable, and its value (``None`` for a path selecting nothing)."""
    if name == "aws.events.event.json":
        return True, event
    if name == "aws.events.event":
        if isinstance(event, dict):
            return True, {k: v for k, v in event.items() if k != "detail"}
        return True, event
    if name == "aws.events.rule-name":
        return True, predefined.rule_name
    if name == "aws.events.rule-arn":
        return True, predefined.rule_arn
    if name == "aws.events.event.ingestion-time":
        if predefined.ingestion_time is not None:
            return True, predefined.ingestion_time
        time = event.get("time") if isinstance(event, dict) else None
        return True, time if isinstance(time, str) else ""
    path = steps.get(name)
    if path is None:
        return False, None
    value = _select(event, path)
    return True, None if value is _MISSING else value


def _write_value(out: List[str], name: str, value: Any, json_mode: bool, in_string: bool) -> None:
    whole_event = name in ("aws.events.event", "aws.events.event.json")
    if whole_event and (in_string or not json_mode):
        raise TemplateError(
            f"<{name}> can only stand as a JSON value, outside quotes (its contents are not escaped)"
        )
    if json_mode and not in_string:
        out.append(to_json(value, sort_keys=True))
    elif value is None:
        pass
    elif json_mode:
        # The text's JSON string without its quotes: escaped for the string it lands in.
        text = value if isinstance(value, str) else to_json(value, sort_keys=True)
        out.append(to_json(text)[1:-1])
    elif isinstance(value, str):
        out.append(value)
    else:
        out.append(to_json(value, sort_keys=True))


# Rust's `usize` syntax: digits with an optional `+`.
_INDEX = re.compile(r"\+?[0-9]+")
_USIZE_MAX = 2**64 - 1


def _parse_path(path: str) -> List[Union[str, int]]:
    """``$``, ``$.a.b-c``, ``$.a[0].b``: the dot notation EventBridge supports; members are
    strings, array indexes ints."""
    if not path.startswith("$"):
        raise TemplateError(f"path {_quote(path)} must start with $")
    steps: List[Union[str, int]] = []
    rest = path[1:]
    while rest:
        if rest.startswith("."):
            after = rest[1:]
            ends = [i for i in (after.find("."), after.find("[")) if i >= 0]
            end = min(ends) if ends else len(after)
            member = after[:end]
            if not member:
                raise TemplateError(f"path {_quote(path)} has an empty member")
            steps.append(member)
            rest = after[end:]
        elif rest.startswith("["):
            after = rest[1:]
            end = after.find("]")
            if end < 0:
                raise TemplateError(f"path {_quote(path)}: unclosed [")
            text = after[:end]
            if not _INDEX.fullmatch(text) or int(text) > _USIZE_MAX:
                raise TemplateError(
                    f"path {_quote(path)}: {_quote(text)} is not an array index"
                )
            steps.append(int(text))
            rest = after[end + 1 :]
        else:
            raise TemplateError(f"path {_quote(path)}: expected . or [ at {_quote(rest)}")
    return steps


def _select(value: Any, steps: List[Union[str, int]]) -> Any:
    at = value
    for step in steps:
        if isinstance(step, str):
            if not isinstance(at, dict) or step not in at:
                return _MISSING
            at = at[step]
        else:
            if not isinstance(at, list) or step >= len(at):
                return _MISSING
            at = at[step]
    return at
