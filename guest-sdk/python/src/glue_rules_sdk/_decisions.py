"""What a rule returns: metadata from ``describe``, decisions from ``evaluate``, and the
decorators that turn Python errors into the contract's ``err``."""

from __future__ import annotations

import functools
from typing import Any, Callable, List, Optional, Sequence, Tuple, TypeVar, Union

from ._bindings import Err, types as t
from ._json import to_json
from ._settings import SettingReader


def metadata(
    name: str,
    version: str,
    description: str,
    patterns: Sequence[Union[str, Any]] = (),
    settings: Sequence[t.Setting] = (),
) -> t.Metadata:
    """Metadata for ``describe``: ``patterns`` are EventBridge event patterns, as JSON text or
    as JSON values (dicts); the host calls ``evaluate`` only for events one of them selects (no
    pattern: every event). ``settings`` are the declarations made with ``setting``."""
    return t.Metadata(
        name=name,
        version=version,
        description=description,
        patterns=[p if isinstance(p, str) else to_json(p) for p in patterns],
        settings=list(settings),
    )


def no_match(reason: Optional[str] = None) -> t.Decision:
    """The rule's condition did not hold; ``reason`` says why, for the audit log."""
    return t.Decision(matched=False, actions=[], reason=reason)


def matched(actions: Sequence[t.Action] = (), reason: Optional[str] = None) -> t.Decision:
    """The rule's condition held: the host performs ``actions`` in order (none is fine)."""
    return t.Decision(matched=True, actions=list(actions), reason=reason)


def _as_err(e: Exception) -> Err:
    return Err(f"{type(e).__name__}: {e}")


H = TypeVar("H")


def describer(
    describe: Callable[[H, SettingReader], t.Metadata],
) -> Callable[[H, List[Tuple[str, str]]], t.Metadata]:
    """Decorates ``Handler.describe`` so that it reads its settings through a
    ``SettingReader`` and any exception refuses the plugin with its message (``Err``), where an
    uncaught one would trap the instance."""

    @functools.wraps(describe)
    def wrapped(self: H, settings: List[Tuple[str, str]]) -> t.Metadata:
        try:
            return describe(self, SettingReader.of(settings))
        except Err:
            raise
        except Exception as e:  # noqa: BLE001 - every failure becomes the plugin's error
            raise _as_err(e) from None

    return wrapped


def evaluator(
    evaluate: Callable[[H, t.Event], t.Decision],
) -> Callable[[H, t.Event], t.Decision]:
    """Decorates ``Handler.evaluate`` so that any exception is reported as a plugin error for
    the event with its message (``Err``), where an uncaught one would trap the instance."""

    @functools.wraps(evaluate)
    def wrapped(self: H, event: t.Event) -> t.Decision:
        try:
            return evaluate(self, event)
        except Err:
            raise
        except Exception as e:  # noqa: BLE001 - every failure becomes the plugin's error
            raise _as_err(e) from None

    return wrapped
