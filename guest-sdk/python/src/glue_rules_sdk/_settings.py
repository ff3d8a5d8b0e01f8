"""Settings: reading them (``config`` in ``evaluate``, a ``SettingReader`` in ``describe``) and
declaring them (``setting``), with the Rust SDK's rules.

A rule declares the settings it reads in its metadata; the host then refuses to load it when a
required one is missing or a value is not of its kind, fills in the declared defaults, and
hands booleans over as ``true``/``false`` and lists as JSON arrays of strings. ``describe`` gets
the settings as configured, before any of that.
"""

from __future__ import annotations

import builtins
import json
import re
from typing import Callable, Iterable, List, Mapping, Optional, Tuple, TypeVar, Union

from ._bindings import Err, host, types
from ._text import ascii_lower, trim

T = TypeVar("T")

# What Rust's `str::parse::<f64>` accepts: no `_` separators, no hex, `inf`/`nan` in any case.
_RUST_FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)",
    re.IGNORECASE,
)


def parse_number(text: str) -> float:
    """``text`` as a number, with Rust's ``f64`` syntax (``1e3``, ``.5``, ``-2``; no ``1_000``,
    which Python's ``float`` takes). Raises ``ValueError`` otherwise."""
    if not _RUST_FLOAT.fullmatch(text):
        raise ValueError("invalid float literal")
    return float(text)


class SettingReader:
    """Reads settings with the same rules in ``evaluate`` (``config``: the host's
    ``[plugins.NAME.config]`` with the declared defaults) and in ``describe`` (the configured
    pairs it receives, without the defaults).

    Values are trimmed and a blank value counts as unset: a stray space in a configuration file
    should not change what a rule does. A value that is set but unreadable raises ``Err`` with a
    sentence naming the key, so the operator sees a plugin failure rather than a rule that
    silently uses a default.
    """

    def __init__(self, lookup: Callable[[str], Optional[str]]) -> None:
        self._lookup = lookup

    @classmethod
    def of(cls, values: Union[Mapping[str, str], Iterable[Tuple[str, str]]]) -> "SettingReader":
        """A reader over fixed ``(key, value)`` pairs (a later pair wins), as ``describe``
        receives them."""
        pairs = dict(values.items() if isinstance(values, Mapping) else values)
        return cls(pairs.get)

    def raw(self, key: str) -> Optional[str]:
        """The value of ``key`` exactly as served; ``None`` when unset."""
        return self._lookup(key)

    def get(self, key: str) -> Optional[str]:
        """The trimmed value of ``key``; ``None`` when unset, empty or only white space."""
        value = self._lookup(key)
        if value is None:
            return None
        trimmed = trim(value)
        return trimmed if trimmed else None

    def get_or(self, key: str, default: str) -> str:
        """The trimmed value of ``key``, or ``default`` when unset or blank."""
        value = self.get(key)
        return default if value is None else value

    def require(self, key: str) -> str:
        """The trimmed value of ``key``; raises ``Err`` naming the key when unset or blank."""
        value = self.get(key)
        if value is None:
            raise Err(f"setting `{key}` is required but not set")
        return value

    def bool(self, key: str, default: builtins.bool = False) -> builtins.bool:
        """``key`` as a boolean (true/false, yes/no, on/off, 1/0, in any case), or ``default``
        when unset or blank; raises ``Err`` for any other text."""
        value = self.get(key)
        if value is None:
            return default
        folded = ascii_lower(value)
        if folded in ("true", "yes", "on", "1"):
            return True
        if folded in ("false", "no", "off", "0"):
            return False
        raise Err(f'setting `{key}` must be true or false, not "{value}"')

    def parsed(self, key: str, parse: Callable[[str], T]) -> Optional[T]:
        """``key`` read by ``parse`` (which raises ``ValueError`` on bad text); ``None`` when
        unset or blank, ``Err`` naming the key when ``parse`` refuses it."""
        value = self.get(key)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as e:
            raise Err(f'setting `{key}` has an unreadable value "{value}": {e}') from None

    def number(self, key: str) -> Optional[float]:
        """``key`` as a number (what the host serves for a ``number`` setting); ``None`` when
        unset or blank."""
        return self.parsed(key, parse_number)

    def list(self, key: str) -> List[str]:
        """``key`` as a list of strings: the JSON array the host serves for a ``list`` setting,
        or comma-separated text. Empty when unset or blank."""
        value = self.get(key)
        if value is None:
            return []
        if value.startswith("["):
            try:
                items = json.loads(value)
            except ValueError:
                items = None
            if not isinstance(items, builtins.list) or not all(isinstance(i, str) for i in items):
                raise Err(f'setting `{key}` must be a JSON array of strings, not "{value}"')
            return items
        return [item for item in (trim(part) for part in value.split(",")) if item]


#: The plugin's settings during ``evaluate`` (``host.config``, looked up on every read).
config = SettingReader(lambda key: host.config(key))

_KINDS = {
    "string": types.SettingKind.STRING,
    "bool": types.SettingKind.BOOL,
    "number": types.SettingKind.NUMBER,
    "list": types.SettingKind.LIST,
}


def setting(
    kind: str,
    name: str,
    description: str,
    default: Optional[str] = None,
    required: bool = False,
) -> types.Setting:
    """Declares a setting the rule reads, for ``metadata``: ``kind`` is ``string``, ``bool``,
    ``number`` or ``list``; ``default`` (text of its kind) is what ``config`` serves when it is
    not configured. The host checks the configuration against the declarations at load."""
    try:
        setting_kind = _KINDS[kind]
    except KeyError:
        raise ValueError(
            f"setting `{name}`: kind {kind!r} is not one of {', '.join(_KINDS)}"
        ) from None
    return types.Setting(
        name=name,
        kind=setting_kind,
        required=required,
        default_value=default,
        description=description,
    )
