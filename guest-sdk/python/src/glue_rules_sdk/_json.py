"""JSON text, written byte for byte as the Rust SDK writes it.

Two writers, because the Rust SDK has two: ``json_string`` and ``JsonObject`` follow its small
``json`` module (what the example rules build payloads and patterns with), and ``to_json``
follows ``serde_json`` (what its templating and ``json_*`` builders write). They differ in
two escapes only: ``\\b`` and ``\\f`` are ``\\u0008``/``\\u000c`` in the first and short
escapes in the second.
"""

from __future__ import annotations

import json as _stdlib_json
import math
from typing import Any, List, Sequence, Union

#: A parsed JSON value: what ``json.loads`` returns.
JsonValue = Union[None, bool, int, float, str, List[Any], "dict[str, Any]"]

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_string(text: str) -> str:
    """``text`` as a JSON string literal, quotes included (the Rust SDK's ``json::quote``)."""
    out = ['"']
    for c in text:
        escaped = _ESCAPES.get(c)
        if escaped is not None:
            out.append(escaped)
        elif ord(c) < 0x20:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


class JsonObject:
    """Builds one flat JSON object, member by member, in the order written (the Rust SDK's
    ``json::Object``). Keys are not checked for duplicates."""

    def __init__(self) -> None:
        self._members: List[str] = []

    def string(self, key: str, value: str) -> "JsonObject":
        """Adds a string member."""
        self._members.append(f"{json_string(key)}:{json_string(value)}")
        return self

    def opt_string(self, key: str, value: "str | None") -> "JsonObject":
        """Adds a string member, or ``null`` when ``value`` is ``None``."""
        return self.string(key, value) if value is not None else self.raw(key, "null")

    def integer(self, key: str, value: int) -> "JsonObject":
        """Adds an integer member."""
        self._members.append(f"{json_string(key)}:{int(value)}")
        return self

    def float(self, key: str, value: float) -> "JsonObject":
        """Adds a number member; NaN and infinities, which JSON cannot express, become null."""
        text = _display_float(value) if math.isfinite(value) else "null"
        self._members.append(f"{json_string(key)}:{text}")
        return self

    def bool(self, key: str, value: bool) -> "JsonObject":
        """Adds a boolean member."""
        self._members.append(f"{json_string(key)}:{'true' if value else 'false'}")
        return self

    def strings(self, key: str, values: Sequence[str]) -> "JsonObject":
        """Adds a member whose value is an array of strings."""
        self._members.append(f"{json_string(key)}:[{','.join(json_string(v) for v in values)}]")
        return self

    def raw(self, key: str, json: str) -> "JsonObject":
        """Adds a member whose value is already JSON text (inserted as it is: anything but
        valid JSON makes the whole object invalid)."""
        self._members.append(f"{json_string(key)}:{json}")
        return self

    def finish(self) -> str:
        """The finished JSON text."""
        return "{" + ",".join(self._members) + "}"


def _shortest(value: float) -> "tuple[str, str, int]":
    """The sign, the shortest significant digits that read back to ``abs(value)`` (a finite,
    non-zero float), and where the decimal point goes, counted from the first digit."""
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that read back to the same float, as Rust does; only the
    # layout differs ("1e+21", "1e-07"), so take the digits and lay them out Rust's way.
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    k = int(exponent or "0") - len(fraction)  # value == int(digits) * 10**k
    significant = digits.rstrip("0")
    k += len(digits) - len(significant)
    digits = significant
    return sign, digits, len(digits) + k


def _display_float(value: float) -> str:
    """A finite float as Rust's ``Display`` writes an ``f64`` (the Rust SDK's
    ``json::Object::float``): plain decimal, never an exponent, no ``.0`` on whole numbers."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digits, point = _shortest(value)
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    if point > 0:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    return f"{sign}0.{'0' * -point}{digits}"


def format_float(value: float) -> str:
    """A finite float as serde_json writes an ``f64``: the shortest digits that read back to
    the same number, as a plain decimal with ``.0`` for whole numbers up to 16 digits, else in
    exponent form (``1e+16``, ``1.5e-7``)."""
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits, point = _shortest(value)
    length = len(digits)
    k = point - length
    if 0 <= k and point <= 16:
        return f"{sign}{digits}{'0' * k}.0"
    if 0 < point <= 16:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    if -5 < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    exponent_text = f"{point - 1:+d}"
    if length == 1:
        return f"{sign}{digits}e{exponent_text}"
    return f"{sign}{digits[0]}.{digits[1:]}e{exponent_text}"


def to_json(value: Any, sort_keys: bool = False) -> str:
    """``value`` (``None``, bools, numbers, strings, lists, tuples, dicts with string keys) as
    compact JSON text, written as serde_json writes it. Members keep the dict's order unless
    ``sort_keys`` (what serde_json's parsed values do: the Rust SDK's templates sort)."""
    out: List[str] = []
    _write(value, out, sort_keys)
    return "".join(out)


def _write(value: Any, out: List[str], sort_keys: bool) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be written as JSON")
        out.append(format_float(value))
    elif isinstance(value, str):
        # The standard library escapes exactly the characters serde_json escapes.
        out.append(_stdlib_json.dumps(value, ensure_ascii=False))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, sort_keys)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        items = sorted(value.items()) if sort_keys else value.items()
        for i, (key, item) in enumerate(items):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys are strings, not {type(key).__name__} {key!r}")
            if i:
                out.append(",")
            out.append(_stdlib_json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(item, out, sort_keys)
        out.append("}")
    else:
        raise TypeError(f"{type(value).__name__} {value!r} cannot be written as JSON")


_I64_MIN = -(2**63)
_U64_MAX = 2**64 - 1


def _int_or_float(text: str) -> "int | float":
    number = int(text)
    # serde_json keeps integers that fit i64 or u64 and reads others as f64.
    return number if _I64_MIN <= number <= _U64_MAX else float(text)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str) -> Any:
    """JSON text read as serde_json reads it: integers beyond 64 bits become floats, and
    ``NaN``/``Infinity`` (which Python's reader accepts) are refused."""
    return _stdlib_json.loads(text, parse_int=_int_or_float, parse_constant=_refuse_constant)
