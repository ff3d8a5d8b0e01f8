"""glue_rules: helpers for writing glue-rules rule plugins in Python.

A plugin is a Python module with a class ``Handler`` whose methods ``describe(settings)`` and
``evaluate(event)`` implement the ``glue:rules/handler@0.2.0`` interface of wit/rule.wit;
componentize-py turns it into a WebAssembly component. This module is the Python counterpart
of the Rust guest SDK (guest-sdk/): the same setting rules, the same glob matcher and pattern
values, the same JSON text and the same action builders, so that a rule written with it decides
byte for byte what the Rust rule decides.

How WIT values look in Python (componentize-py, module ``wit_world``): records are dataclasses
with snake_case fields (``event.detail_type``); a variant case is a class of its own
(``Detail_JobStateChange(value=...)``, ``JobState_Succeeded()``, ``JobState_Other(value=...)``);
enums are ``Enum`` classes (``InvocationType.EVENT``); ``option<T>`` is ``T`` or ``None``;
``tuple<a, b>`` is a tuple. A function returning ``result<T, string>`` returns T for ``ok`` and
raises ``Err(text)`` for ``err``; any other exception traps the plugin instance, which is why
``describer`` and ``evaluator`` turn errors into ``Err``.
"""

from typing import Callable, List, Optional, Sequence, Tuple

from componentize_py_types import Err
from wit_world.imports import host
from wit_world.imports import types as t

__all__ = [
    "Err", "JsonObject", "SettingReader", "config", "describer", "detail_json", "envelope_json",
    "evaluator", "glob", "glob_pattern_value", "job_state_name", "json_string", "lambda_invoke",
    "log", "matched", "metadata", "no_match", "parse_invocation_type", "invocation_type_name",
    "partition", "setting", "severity_name", "sns_publish", "t", "trim",
]

# ------------------------------------------------------------------------------------------
# Logging
# ------------------------------------------------------------------------------------------


class log:
    """The host's log, tagged with the plugin's name. The host caps lines per evaluation."""

    @staticmethod
    def trace(message: object) -> None:
        host.log(t.LogLevel.TRACE, str(message))

    @staticmethod
    def debug(message: object) -> None:
        host.log(t.LogLevel.DEBUG, str(message))

    @staticmethod
    def info(message: object) -> None:
        host.log(t.LogLevel.INFO, str(message))

    @staticmethod
    def warn(message: object) -> None:
        host.log(t.LogLevel.WARN, str(message))

    @staticmethod
    def error(message: object) -> None:
        host.log(t.LogLevel.ERROR, str(message))


# ------------------------------------------------------------------------------------------
# Text: the same white space and control characters as Rust's `char` (Python's own
# `str.strip()` also strips U+001C..U+001F, which Rust keeps)
# ------------------------------------------------------------------------------------------

_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def trim(text: str) -> str:
    """``text`` without leading and trailing white space (Rust's ``str::trim``)."""
    return text.strip(_WHITESPACE)


def _is_control(c: str) -> bool:
    code = ord(c)
    return code < 0x20 or 0x7F <= code <= 0x9F


# ------------------------------------------------------------------------------------------
# Settings
# ------------------------------------------------------------------------------------------


class SettingReader:
    """Reads settings: the same rules in ``evaluate`` (``config``, the host's
    ``[plugins.NAME.config]`` table with the declared defaults) and in ``describe`` (the
    configured pairs it receives, without the defaults).

    Values are trimmed and an empty value counts as unset. A value that is set but unreadable
    raises ``Err`` with a sentence naming the key.
    """

    def __init__(self, lookup: Callable[[str], Optional[str]]) -> None:
        self._lookup = lookup

    def raw(self, key: str) -> Optional[str]:
        """The raw value of ``key``, or ``None``."""
        return self._lookup(key)

    def get(self, key: str) -> Optional[str]:
        """The trimmed value of ``key``; ``None`` when unset, empty or only white space."""
        value = self._lookup(key)
        if value is None:
            return None
        trimmed = trim(value)
        return trimmed if trimmed else None

    def get_or(self, key: str, default: str) -> str:
        """The trimmed value of ``key``, or ``default``."""
        value = self.get(key)
        return default if value is None else value

    def require(self, key: str) -> str:
        """The trimmed value of ``key``; raises ``Err`` when it is not set."""
        value = self.get(key)
        if value is None:
            raise Err(f"setting `{key}` is required but not set")
        return value

    def bool(self, key: str, default: bool) -> bool:
        """``key`` as a boolean (true/false, yes/no, on/off, 1/0, any case), or ``default``."""
        value = self.get(key)
        if value is None:
            return default
        folded = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in value)
        if folded in ("true", "yes", "on", "1"):
            return True
        if folded in ("false", "no", "off", "0"):
            return False
        raise Err(f'setting `{key}` must be true or false, not "{value}"')


#: The plugin's settings during ``evaluate``.
config = SettingReader(host.config)


def detail_json() -> str:
    """The ``detail`` of the event being evaluated, as compact JSON text (copied on request)."""
    return host.detail_json()


def envelope_json() -> str:
    """The whole envelope of the event being evaluated, as compact JSON text."""
    return host.event_json()


# ------------------------------------------------------------------------------------------
# Glob: `*` any run of characters, `?` one character, case sensitive
# ------------------------------------------------------------------------------------------


def glob(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` as a whole (``nightly-*``, ``job-??``)."""
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


# ------------------------------------------------------------------------------------------
# JSON text, written exactly as the Rust SDK writes it
# ------------------------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_string(text: str) -> str:
    """``text`` as a JSON string literal, quotes included."""
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
    """Builds one flat JSON object, member by member, in the order written."""

    def __init__(self) -> None:
        self._members: List[str] = []

    def string(self, key: str, value: str) -> "JsonObject":
        """Adds a string member."""
        self._members.append(f"{json_string(key)}:{json_string(value)}")
        return self

    def strings(self, key: str, values: Sequence[str]) -> "JsonObject":
        """Adds a member whose value is an array of strings."""
        self._members.append(f"{json_string(key)}:[{','.join(json_string(v) for v in values)}]")
        return self

    def raw(self, key: str, json: str) -> "JsonObject":
        """Adds a member whose value is already JSON text."""
        self._members.append(f"{json_string(key)}:{json}")
        return self

    def finish(self) -> str:
        """The finished JSON text."""
        return "{" + ",".join(self._members) + "}"


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


# ------------------------------------------------------------------------------------------
# Glue's spelling of the enum-like variants
# ------------------------------------------------------------------------------------------

_JOB_STATES = {
    t.JobState_Starting: "STARTING", t.JobState_Running: "RUNNING",
    t.JobState_Stopping: "STOPPING", t.JobState_Stopped: "STOPPED",
    t.JobState_Succeeded: "SUCCEEDED", t.JobState_Failed: "FAILED",
    t.JobState_Timeout: "TIMEOUT", t.JobState_Error: "ERROR",
    t.JobState_Waiting: "WAITING", t.JobState_Expired: "EXPIRED",
}
_SEVERITIES = {t.Severity_Info: "INFO", t.Severity_Warn: "WARN", t.Severity_Error: "ERROR"}


def job_state_name(state: t.JobState) -> str:
    """A job state as Glue spells it (``SUCCEEDED``); an ``Other`` state as Glue sent it."""
    if isinstance(state, t.JobState_Other):
        return state.value
    return _JOB_STATES[type(state)]


def severity_name(severity: t.Severity) -> str:
    """A severity as Glue spells it (``ERROR``); an ``Other`` severity as Glue sent it."""
    if isinstance(severity, t.Severity_Other):
        return severity.value
    return _SEVERITIES[type(severity)]


def partition(region: str) -> str:
    """The AWS partition of ``region``: ``aws``, ``aws-cn`` or ``aws-us-gov``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# ------------------------------------------------------------------------------------------
# Decisions and actions
# ------------------------------------------------------------------------------------------


def metadata(
    name: str,
    version: str,
    description: str,
    patterns: Sequence[str] = (),
    settings: Sequence[t.Setting] = (),
) -> t.Metadata:
    """Metadata for ``describe``: ``patterns`` are EventBridge patterns as JSON text,
    ``settings`` the declarations made with ``setting``."""
    return t.Metadata(
        name=name,
        version=version,
        description=description,
        patterns=list(patterns),
        settings=list(settings),
    )


_KINDS = {
    "string": t.SettingKind.STRING,
    "bool": t.SettingKind.BOOL,
    "number": t.SettingKind.NUMBER,
    "list": t.SettingKind.LIST,
}


def setting(
    kind: str,
    name: str,
    description: str,
    default: Optional[str] = None,
    required: bool = False,
) -> t.Setting:
    """Declares a setting the plugin reads (``kind``: string, bool, number or list), for
    ``metadata``: the host checks the configuration against it at load."""
    return t.Setting(
        name=name,
        kind=_KINDS[kind],
        required=required,
        default_value=default,
        description=description,
    )


def no_match(reason: Optional[str] = None) -> t.Decision:
    """The rule's condition did not hold."""
    return t.Decision(matched=False, actions=[], reason=reason)


def matched(actions: Sequence[t.Action], reason: Optional[str] = None) -> t.Decision:
    """The rule's condition held: the host performs ``actions`` in order."""
    return t.Decision(matched=True, actions=list(actions), reason=reason)


def parse_invocation_type(text: str) -> Optional[t.InvocationType]:
    """Reads an invocation type setting: ``event`` or ``request-response`` in any case, with
    ``-``, ``_`` or nothing between the words. ``None`` for anything else."""
    folded = "".join(
        chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in trim(text) if c not in "-_"
    )
    if folded == "event":
        return t.InvocationType.EVENT
    if folded == "requestresponse":
        return t.InvocationType.REQUEST_RESPONSE
    return None


def invocation_type_name(kind: t.InvocationType) -> str:
    """The Lambda ``InvocationType`` spelling of an invocation type."""
    return "Event" if kind == t.InvocationType.EVENT else "RequestResponse"


def lambda_invoke(
    function_name: str,
    payload: str = "{}",
    invocation_type: t.InvocationType = t.InvocationType.REQUEST_RESPONSE,
) -> t.Action:
    """A Lambda ``Invoke`` action."""
    return t.Action_Lambda(
        t.LambdaInvoke(function_name=function_name, payload=payload, invocation_type=invocation_type)
    )


def sns_publish(
    topic_arn: str,
    subject: Optional[str] = None,
    message: str = "",
    attributes: Sequence[Tuple[str, str]] = (),
) -> t.Action:
    """An SNS ``Publish`` action.

    The subject is cleaned as SNS wants it (control characters become spaces, at most 100
    characters, dropped when empty); ``String`` attributes with an empty value are skipped.
    """
    cleaned: Optional[str] = None
    if subject is not None:
        spaced = "".join(" " if _is_control(c) else c for c in subject)
        cut = trim(spaced)[:100].rstrip(_WHITESPACE)
        cleaned = cut if cut else None
    message_attributes = [
        t.MessageAttribute(name=name, data_type="String", string_value=value)
        for name, value in attributes
        if value != ""
    ]
    return t.Action_Sns(
        t.SnsPublish(
            topic_arn=topic_arn,
            subject=cleaned,
            message=message,
            message_attributes=message_attributes,
        )
    )


def _as_err(e: Exception) -> Err:
    return Err(f"{type(e).__name__}: {e}")


def describer(
    describe: Callable[[object, SettingReader], t.Metadata],
) -> Callable[[object, List[Tuple[str, str]]], t.Metadata]:
    """Decorates ``Handler.describe`` so that it reads its settings through a
    ``SettingReader`` and any exception refuses the plugin with its message (``Err``) instead
    of trapping the instance."""

    def wrapped(self: object, settings: List[Tuple[str, str]]) -> t.Metadata:
        values = dict(settings)
        try:
            return describe(self, SettingReader(values.get))
        except Err:
            raise
        except Exception as e:  # noqa: BLE001 - every failure becomes the plugin's error
            raise _as_err(e) from None

    wrapped.__doc__ = describe.__doc__
    return wrapped


def evaluator(
    evaluate: Callable[[object, t.Event], t.Decision],
) -> Callable[[object, t.Event], t.Decision]:
    """Decorates ``Handler.evaluate`` so that any exception is reported as a plugin error with
    its message (``Err``), instead of trapping the instance."""

    def wrapped(self: object, event: t.Event) -> t.Decision:
        try:
            return evaluate(self, event)
        except Err:
            raise
        except Exception as e:  # noqa: BLE001 - every failure becomes the plugin's error
            raise _as_err(e) from None

    wrapped.__doc__ = evaluate.__doc__
    return wrapped
