"""The host's log (``glue:rules/host.log``): lines tagged with the plugin's name, at most a
host-set number per evaluation. ``print()`` also reaches the host log, untagged by level.

    from glue_rules_sdk import log
    log.info(f"job {job} failed")
"""

from __future__ import annotations

from ._bindings import host, types


def write(level: types.LogLevel, message: object) -> None:
    """Writes ``message`` (any object, as ``str``) at ``level``."""
    host.log(level, str(message))


def trace(message: object) -> None:
    """A trace line."""
    write(types.LogLevel.TRACE, message)


def debug(message: object) -> None:
    """A debug line."""
    write(types.LogLevel.DEBUG, message)


def info(message: object) -> None:
    """An info line."""
    write(types.LogLevel.INFO, message)


def warn(message: object) -> None:
    """A warning."""
    write(types.LogLevel.WARN, message)


def error(message: object) -> None:
    """An error line (the evaluation goes on: raise to fail it)."""
    write(types.LogLevel.ERROR, message)
