"""A stand-in host for native unit tests: a rule module runs under plain pytest, outside any
component, with the real binding dataclasses.

Importing this module points the host functions of ``wit_world.imports.host`` (which are stubs
outside a component) at a ``Host`` of this module: settings per test, captured log lines, and
the JSON of the event in progress for ``detail_json``/``event_json``/``render_event``. The
pytest plugin this package registers gives every test a fresh one (the ``glue_host`` fixture
returns it); without pytest, ``reset()`` does the same.

Events come from fixtures through the host's own parser, ``glue-rules event --typed``, so a
test sees exactly the typed view the host would pass (``load_event``), or are built by hand
without the binary (``job_state_change``, ``event``, ``from_wit_json``):

    from glue_rules_sdk import testing
    import app

    def test_a_failed_job_is_published(glue_host):
        glue_host.configure(app.Handler(), {"topic-arn": "arn:aws:sns:us-east-1:1:t"})
        decision = app.Handler().evaluate(testing.load_event("fixtures/job-failed.json"))
        assert decision.matched
"""

from __future__ import annotations

import dataclasses
import enum
import os
import shutil
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

if sys.platform == "wasi":
    # Importing this replaces the host's functions: in a component it would cut the rule off
    # from the real host.
    raise ImportError("glue_rules_sdk.testing is for native tests; a component has the real host")

from . import _events
from ._bindings import Err, host as _host_module, types as t
from ._json import parse_json, to_json
from ._settings import parse_number
from ._text import ascii_lower, rust_debug, trim

__all__ = [
    "Host", "configure", "current", "evaluate", "event", "find_glue_rules", "from_wit_json",
    "glue_json", "job_state_change", "load_event", "load_events", "reset", "set_config",
    "take_logs", "to_wit_json",
]

Settings = Union[Mapping[str, str], Iterable[Tuple[str, str]]]


# ------------------------------------------------------------------------------------------
# The stand-in host
# ------------------------------------------------------------------------------------------


class Host:
    """What the host offers a rule (``glue:rules/host@0.2.0``), in memory: ``settings`` for
    ``config``, ``logs`` for ``log``, and ``envelope``, the event in progress (a parsed JSON
    value, or ``None`` outside an evaluation), for ``detail_json`` and ``event_json``."""

    def __init__(self, settings: Optional[Mapping[str, str]] = None) -> None:
        self.settings: Dict[str, str] = dict(settings or {})
        self.logs: List[Tuple[t.LogLevel, str]] = []
        self.envelope: Any = None
        # The envelope of every event loaded or built here, by identity (dataclasses are not
        # hashable); the event is kept so that its id is not reused.
        self._envelopes: Dict[int, Tuple[t.Event, Any]] = {}

    # The host interface, as the rule calls it.

    def log(self, level: t.LogLevel, message: str) -> None:
        """``host.log``: keeps the line."""
        self.logs.append((level, message))

    def config(self, key: str) -> Optional[str]:
        """``host.config``: the setting as served (``configure`` fills in declared defaults)."""
        return self.settings.get(key)

    def detail_json(self) -> str:
        """``host.detail-json``: the event in progress's ``detail``, compact, ``"{}"`` when
        none."""
        if isinstance(self.envelope, dict) and "detail" in self.envelope:
            return to_json(self.envelope["detail"], sort_keys=True)
        return "{}"

    def event_json(self) -> str:
        """``host.event-json``: the whole envelope in progress, compact, ``"{}"`` when none."""
        return "{}" if self.envelope is None else to_json(self.envelope, sort_keys=True)

    # Helpers for tests.

    def set_config(self, key: str, value: str) -> None:
        """Sets one setting as it is (no declaration is consulted)."""
        self.settings[key] = value

    def configure(self, handler: Any, settings: Settings = ()) -> t.Metadata:
        """Configures ``handler`` the way the host does: calls its ``describe`` with
        ``settings``, checks them against the settings it declares (a missing required one or a
        value not of its kind raises ``Err`` naming ``plugins.NAME.config.KEY``), and makes
        the values the host would serve (declared defaults filled in, booleans as
        ``true``/``false``, lists as JSON arrays) this host's settings. Returns the metadata."""
        pairs = list(settings.items() if isinstance(settings, Mapping) else settings)
        metadata = handler.describe(pairs)
        configured = dict(pairs)
        served: Dict[str, str] = {}
        for declared in metadata.settings:
            key = f"plugins.{metadata.name}.config.{declared.name}"
            value = configured.get(declared.name)
            if value is None or not trim(value):
                value = declared.default_value
            if value is None:
                if declared.required:
                    raise Err(f"{key} is required but not set")
                continue
            try:
                served[declared.name] = _normalise(declared.kind, value)
            except ValueError as e:
                raise Err(f"{key} {e}") from None
        for key, value in configured.items():
            served.setdefault(key, value)
        self.settings = served
        return metadata

    def take_logs(self) -> List[Tuple[t.LogLevel, str]]:
        """Returns and forgets the log lines written so far."""
        logs, self.logs = self.logs, []
        return logs

    def log_lines(self) -> List[str]:
        """The log lines written so far, as ``level: message`` text (``info: job x failed``)."""
        return [f"{level.name.lower()}: {message}" for level, message in self.logs]

    def use_event(self, event: t.Event, envelope: Any = None) -> t.Event:
        """Makes ``event`` the event in progress, with ``envelope`` (its EventBridge JSON, a
        dict or JSON text) for ``detail_json``/``event_json``; by default the JSON this host
        recorded for it, else ``glue_json(event)``. Returns ``event``."""
        if isinstance(envelope, str):
            envelope = parse_json(envelope)
        if envelope is None:
            known = self._envelopes.get(id(event))
            envelope = known[1] if known is not None and known[0] is event else glue_json(event)
        self._envelopes[id(event)] = (event, envelope)
        self.envelope = envelope
        return event

    def load_events(self, path: Union[str, os.PathLike]) -> List[t.Event]:
        """Every event of a fixture file (JSON, a JSON array, or NDJSON) as the host types it,
        through ``glue-rules event --typed``; the last one is in progress."""
        typed = _run_glue_rules_event(Path(path))
        envelopes = _read_envelopes(Path(path))
        events = []
        for i, value in enumerate(typed):
            event = from_wit_json(t.Event, value, f"{path}: event {i + 1}")
            envelope = envelopes[i] if len(envelopes) == len(typed) else None
            events.append(self.use_event(event, envelope))
        return events

    def load_event(self, path: Union[str, os.PathLike]) -> t.Event:
        """The one event of a fixture file, as the host types it (``load_events``); it is the
        event in progress. Raises ``ValueError`` when the file holds another number."""
        events = self.load_events(path)
        if len(events) != 1:
            raise ValueError(f"{path} holds {len(events)} events; load_events reads them all")
        return events[0]

    def evaluate(self, handler: Any, event: t.Event) -> t.Decision:
        """``handler.evaluate(event)`` with ``event`` in progress (its JSON served to the
        rule), as the host calls it."""
        self.use_event(event)
        return handler.evaluate(event)


def _normalise(kind: t.SettingKind, value: str) -> str:
    """``value`` as the host serves a setting of ``kind``; ``ValueError`` says what is wrong."""
    trimmed = trim(value)
    if kind == t.SettingKind.STRING:
        return value
    if kind == t.SettingKind.BOOL:
        folded = ascii_lower(trimmed)
        if folded in ("true", "yes", "on", "1"):
            return "true"
        if folded in ("false", "no", "off", "0"):
            return "false"
        raise ValueError(f"must be true or false, not {rust_debug(value)}")
    if kind == t.SettingKind.NUMBER:
        try:
            number = parse_number(trimmed)
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"must be a number, not {rust_debug(value)}")
        return trimmed
    if trimmed.startswith("["):
        try:
            items = parse_json(trimmed)
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError(f"must be a list of strings, not {rust_debug(value)}")
    else:
        items = [item for item in (trim(p) for p in trimmed.split(",")) if item]
    return to_json(items)


_current = Host()


def _log(level: t.LogLevel, message: str) -> None:
    _current.log(level, message)


def _config(key: str) -> Optional[str]:
    return _current.config(key)


def _detail_json() -> str:
    return _current.detail_json()


def _event_json() -> str:
    return _current.event_json()


# The SDK and rules call these through the module (`host.config(key)`), so replacing the
# module's functions once reaches every caller; they answer for whichever Host is current.
_host_module.log = _log
_host_module.config = _config
_host_module.detail_json = _detail_json
_host_module.event_json = _event_json


def current() -> Host:
    """The host the rule talks to now."""
    return _current


def reset(settings: Optional[Mapping[str, str]] = None) -> Host:
    """Replaces the current host by a fresh one (no event, no logs, these settings) and
    returns it. The pytest plugin calls it before every test."""
    global _current
    _current = Host(settings)
    return _current


def configure(handler: Any, settings: Settings = ()) -> t.Metadata:
    """``Host.configure`` on the current host."""
    return _current.configure(handler, settings)


def set_config(key: str, value: str) -> None:
    """``Host.set_config`` on the current host."""
    _current.set_config(key, value)


def take_logs() -> List[Tuple[t.LogLevel, str]]:
    """``Host.take_logs`` on the current host."""
    return _current.take_logs()


def load_event(path: Union[str, os.PathLike]) -> t.Event:
    """``Host.load_event`` on the current host."""
    return _current.load_event(path)


def load_events(path: Union[str, os.PathLike]) -> List[t.Event]:
    """``Host.load_events`` on the current host."""
    return _current.load_events(path)


def evaluate(handler: Any, event: t.Event) -> t.Decision:
    """``Host.evaluate`` on the current host."""
    return _current.evaluate(handler, event)


# ------------------------------------------------------------------------------------------
# glue-rules event --typed
# ------------------------------------------------------------------------------------------


def find_glue_rules() -> str:
    """The glue-rules binary: ``$GLUE_RULES``, else ``glue-rules`` on PATH."""
    configured = os.environ.get("GLUE_RULES")
    if configured:
        if not os.path.isfile(configured):
            raise FileNotFoundError(
                f"GLUE_RULES is {configured!r}, which is not a file: point it at the glue-rules "
                "binary (or unset it to use glue-rules from PATH)"
            )
        return configured
    found = shutil.which("glue-rules")
    if found is None:
        raise FileNotFoundError(
            "glue_rules_sdk.testing needs the glue-rules binary to type events "
            "(`glue-rules event --typed`): set GLUE_RULES to its path or put glue-rules on PATH"
        )
    return found


def _run_glue_rules_event(path: Path) -> List[Any]:
    binary = find_glue_rules()
    done = subprocess.run(
        [binary, "event", "--typed", str(path)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise ValueError(
            f"`{binary} event --typed {path}` failed (exit {done.returncode}): "
            f"{done.stderr.strip() or done.stdout.strip()}"
        )
    try:
        return [parse_json(line) for line in done.stdout.splitlines() if line.strip()]
    except ValueError as e:
        raise ValueError(f"`{binary} event --typed {path}` printed something not JSON: {e}") from None


def _read_envelopes(path: Path) -> List[Any]:
    """The events of a fixture as JSON values: one JSON document (an event or an array of
    them) or one event per line. Empty when the file reads as neither; the caller then derives
    each envelope from the typed event."""
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    try:
        whole = parse_json(text)
    except ValueError:
        try:
            return [parse_json(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            return []
    return whole if isinstance(whole, list) else [whole]


# ------------------------------------------------------------------------------------------
# WIT-value JSON <-> the binding dataclasses
# ------------------------------------------------------------------------------------------


def _kebab(python_name: str) -> str:
    return python_name.rstrip("_").replace("_", "-")


def _camel(kebab: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in kebab.split("-"))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _is_case(cls: type) -> bool:
    """Whether a dataclass is a variant case (``Detail_Other``): componentize-py names them
    ``Variant_Case``, and records carry no ``_``."""
    return "_" in cls.__name__.strip("_")


def from_wit_json(tp: Any, value: Any, where: str = "value") -> Any:
    """Converts WIT-value JSON (what ``glue-rules event --typed`` prints: records as objects
    with the WIT's kebab-case field names, ``option`` as ``null`` or the value, enums as kebab
    strings, variants as ``{"tag": ..., "val": ...}``) into a value of binding type ``tp``,
    e.g. ``from_wit_json(t.Event, ...)``. Errors name the place (``where``) that does not fit."""

    def fail(expected: str) -> ValueError:
        return ValueError(f"{where}: expected {expected}, found {_json_type(value)}")

    if tp is str:
        if not isinstance(value, str):
            raise fail("a string")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise fail("a boolean")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("an integer")
        return value
    if tp is float:
        # JSON holds no NaN or infinity: `glue-rules event` writes JavaScript's spellings.
        if value in ("NaN", "Infinity", "-Infinity"):
            return float(value.replace("Infinity", "inf"))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("a number")
        return float(value)
    origin = typing.get_origin(tp)
    if origin is Union:
        cases = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(cases) < len(typing.get_args(tp)) and value is None:
            return None
        if len(cases) == 1:
            return from_wit_json(cases[0], value, where)
        return _variant(cases, value, where)
    if origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise fail("an array")
        return [from_wit_json(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is tuple:
        items = typing.get_args(tp)
        if not isinstance(value, list) or len(value) != len(items):
            raise fail(f"an array of {len(items)}")
        return tuple(from_wit_json(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(items, value)))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if not isinstance(value, str):
            raise fail(f"a {tp.__name__} name")
        member = tp.__members__.get(value.replace("-", "_").upper())
        if member is None:
            names = ", ".join(_kebab(m.lower()) for m in tp.__members__)
            raise ValueError(f"{where}: {value!r} is not a {tp.__name__} ({names})")
        return member
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if _is_case(tp):
            return _variant([tp], value, where)
        if not isinstance(value, dict):
            raise fail(f"a {tp.__name__} object")
        fields = dataclasses.fields(tp)
        known = {_kebab(f.name) for f in fields}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"{where}: {tp.__name__} has no field {unknown[0]!r}")
        values = {}
        for f in fields:
            key = _kebab(f.name)
            if key not in value and not _optional(f.type):
                raise ValueError(f"{where}: {tp.__name__} lacks field {key!r}")
            values[f.name] = from_wit_json(f.type, value.get(key), f"{where}.{key}")
        return tp(**values)
    raise TypeError(f"{where}: cannot convert to {tp!r}")


def _optional(tp: Any) -> bool:
    return typing.get_origin(tp) is Union and type(None) in typing.get_args(tp)


def _variant(cases: List[type], value: Any, where: str) -> Any:
    if not isinstance(value, dict) or not isinstance(value.get("tag"), str):
        raise ValueError(f'{where}: expected a variant {{"tag": ...}}, found {_json_type(value)}')
    tag = value["tag"]
    wanted = _camel(tag)
    for case in cases:
        if case.__name__.split("_", 1)[1] == wanted:
            payload = [f for f in dataclasses.fields(case) if f.name == "value"]
            if not payload:
                return case()
            if "val" not in value:
                raise ValueError(f"{where}: case {tag!r} lacks its \"val\"")
            return case(from_wit_json(payload[0].type, value["val"], f"{where}.{tag}"))
    names = ", ".join(_kebab_case(c) for c in cases)
    raise ValueError(f"{where}: {tag!r} is not one of its cases ({names})")


def _kebab_case(case: type) -> str:
    name = case.__name__.split("_", 1)[1]
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def to_wit_json(value: Any) -> Any:
    """A binding value (a decision, an action, an event...) as WIT-value JSON, the format of
    ``glue-rules event --typed``: handy for comparing a whole decision in a test."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return _kebab(value.name.lower())
    if isinstance(value, (list, tuple)):
        return [to_wit_json(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if _is_case(cls):
            out: Dict[str, Any] = {"tag": _kebab_case(cls)}
            if any(f.name == "value" for f in dataclasses.fields(cls)):
                out["val"] = to_wit_json(getattr(value, "value"))
            return out
        return {_kebab(f.name): to_wit_json(getattr(value, f.name)) for f in dataclasses.fields(cls)}
    raise TypeError(f"{value!r} is not a binding value")


# ------------------------------------------------------------------------------------------
# Events by hand
# ------------------------------------------------------------------------------------------

_DETAIL_TYPES = {
    t.Detail_JobStateChange: "Glue Job State Change",
    t.Detail_JobRunStatus: "Glue Job Run Status",
    t.Detail_CrawlerStateChange: "Glue Crawler State Change",
    t.Detail_DatabaseStateChange: "Glue Data Catalog Database State Change",
    t.Detail_TableStateChange: "Glue Data Catalog Table State Change",
    t.Detail_DataQualityResult: "Data Quality Evaluation Results Available",
}


def event(
    detail: Optional[t.Detail] = None,
    *,
    id: str = "test-event",
    detail_type: Optional[str] = None,
    source: Optional[str] = None,
    account: str = "123456789012",
    time: str = "2024-01-01T00:00:00Z",
    region: str = "us-east-1",
    resources: Iterable[str] = (),
    version: str = "0",
    envelope: Any = None,
) -> t.Event:
    """An event built by hand, made the event in progress: ``detail`` is a typed detail
    (``t.Detail_Other()`` by default), ``detail_type`` and ``source`` follow from it unless
    given. Its JSON for ``detail_json``/``event_json`` is ``envelope`` when given, else
    ``glue_json`` of the event."""
    detail = t.Detail_Other() if detail is None else detail
    if detail_type is None:
        detail_type = _DETAIL_TYPES.get(type(detail), "Test Event")
    if source is None:
        source = "aws.glue-dataquality" if isinstance(detail, t.Detail_DataQualityResult) else "aws.glue"
    built = t.Event(
        version=version, id=id, detail_type=detail_type, source=source, account=account,
        time=time, region=region, resources=list(resources), detail=detail,
    )
    return _current.use_event(built, envelope)


def job_state_change(
    job_name: str = "MyJob",
    state: Union[str, t.JobState] = "FAILED",
    *,
    job_run_id: str = "jr_test",
    severity: Union[None, str, t.Severity] = None,
    message: Optional[str] = None,
    **envelope: Any,
) -> t.Event:
    """A "Glue Job State Change" event built by hand (``state`` and ``severity`` as Glue spells
    them, or typed); the other keywords are ``event``'s (``id``, ``region``, ...)."""
    change = t.JobStateChange(
        job_name=job_name,
        job_run_id=job_run_id,
        state=_events.job_state_from_glue(state) if isinstance(state, str) else state,
        severity=_events.severity_from_glue(severity) if isinstance(severity, str) else severity,
        message=message,
    )
    return event(t.Detail_JobStateChange(change), **envelope)


# Glue's JSON names where they are not the camelCase of the WIT's.
_GLUE_NAMES = {"result_id": "resultID", "running_time_sec": "runningTime (sec)"}
_SPELLINGS = (
    (t.JobState, _events.job_state_name),
    (t.Severity, _events.severity_name),
    (t.CrawlerState, _events.crawler_state_name),
    (t.DataQualityState, _events.data_quality_state_name),
    (t.TypeOfChange, _events.type_of_change_name),
)


def glue_json(value: t.Event) -> Dict[str, Any]:
    """The EventBridge JSON of a typed event, as Glue would have sent it (camelCase fields,
    Glue's spellings, absent options left out): what ``detail_json`` and ``event_json`` serve
    for an event built by hand."""
    envelope: Dict[str, Any] = {
        "version": value.version, "id": value.id, "detail-type": value.detail_type,
        "source": value.source, "account": value.account, "time": value.time,
        "region": value.region, "resources": list(value.resources),
    }
    detail = value.detail
    envelope["detail"] = _glue_record(detail.value) if hasattr(detail, "value") else {}
    return envelope


def _glue_record(record: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for f in dataclasses.fields(record):
        item = getattr(record, f.name)
        if item is None:
            continue
        if f.name == "notify_delay_after":
            out["notificationCondition"] = {"NotifyDelayAfter": item}
            continue
        name = _GLUE_NAMES.get(f.name) or _camel_lower(f.name)
        out[name] = _glue_value(item)
    return out


def _glue_value(item: Any) -> Any:
    for variant, spell in _SPELLINGS:
        if isinstance(item, typing.get_args(variant)):
            return spell(item)
    if dataclasses.is_dataclass(item):
        return _glue_record(item)
    if isinstance(item, list):
        return [_glue_value(i) for i in item]
    return item


def _camel_lower(snake: str) -> str:
    first, *rest = snake.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)
