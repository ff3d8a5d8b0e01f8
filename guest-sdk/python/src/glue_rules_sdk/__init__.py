"""glue_rules_sdk: write glue-rules rule plugins in Python.

A plugin is a Python module with a class ``Handler`` whose methods ``describe(settings)`` and
``evaluate(event)`` implement the ``glue:rules/handler@0.2.0`` interface of the WIT this package
ships (``wit_path()``); componentize-py turns it into a WebAssembly component
(``python -m glue_rules_sdk componentize app -p src -o build/rule.wasm``). This package is the
Python counterpart of the Rust SDK: the same setting rules, glob matcher and pattern values,
JSON text, action builders and templating, so that a rule written with it decides byte for
byte what the Rust rule decides.

    from glue_rules_sdk import exports, t, describer, evaluator, matched, metadata, ...

    class Handler(exports.Handler):
        @describer
        def describe(self, settings): ...
        @evaluator
        def evaluate(self, event): ...

How WIT values look in Python (componentize-py's ``wit_world``, re-exported here as
``exports``, ``host`` and ``types``, alias ``t``): records are dataclasses with snake_case
fields (``event.detail_type``); each variant case is a class of its own
(``t.Detail_JobStateChange(value=...)``, ``t.JobState_Succeeded()``,
``t.JobState_Other(value="X")``); enums are ``Enum`` classes (``t.InvocationType.EVENT``);
``option<T>`` is ``T`` or ``None``; ``tuple<a, b>`` is a tuple. A function returning
``result<T, string>`` returns T for ``ok`` and raises ``Err(text)`` for ``err``; any other
exception traps the plugin instance, which is why ``describer`` and ``evaluator`` turn errors
into ``Err``.

Native unit tests (pytest) use ``glue_rules_sdk.testing``: a stand-in host, typed events from
fixtures through ``glue-rules event --typed``, and events built by hand.
"""

from . import log
from ._actions import (
    SNS_SUBJECT_MAX_CHARS,
    SQS_MAX_DELAY_SECONDS,
    SSM_COMMENT_MAX_CHARS,
    Attribute,
    clean_subject,
    invocation_type_name,
    kinesis_put_record,
    lambda_invoke,
    number_attribute,
    parse_invocation_type,
    sfn_start_execution,
    sns_attribute,
    sns_publish,
    sqs_send_message,
    ssm_send_command,
    string_array_attribute,
    tag_target,
)
from ._bindings import Err, exports, host, types
from ._decisions import describer, evaluator, matched, metadata, no_match
from ._events import (
    JobDetail,
    crawler_state_from_glue,
    crawler_state_name,
    data_quality_state_from_glue,
    data_quality_state_name,
    detail_json,
    detail_value,
    envelope_json,
    event_json,
    event_value,
    is_final,
    is_job_failure,
    is_job_state_change,
    is_job_success,
    job_detail,
    job_name,
    job_state_from_glue,
    job_state_name,
    partition,
    severity_from_glue,
    severity_name,
    type_of_change_from_glue,
    type_of_change_name,
)
from ._glob import glob, glob_any, glob_pattern_value
from ._json import JsonObject, JsonValue, json_string, to_json
from ._paths import wit_path
from ._settings import SettingReader, config, parse_number, setting
from ._text import trim
from .template import Predefined, TemplateError, render, render_event

#: The contract's types (``wit_world.imports.types``), the short name rules use.
t = types

#: This package's version: the contract's (0.2.x targets glue:rules@0.2.0).
__version__ = "0.2.0"

#: The contract this SDK implements.
CONTRACT = "glue:rules@0.2.0"

__all__ = [
    "Attribute", "CONTRACT", "Err", "JobDetail", "JsonObject", "JsonValue", "Predefined",
    "SNS_SUBJECT_MAX_CHARS", "SQS_MAX_DELAY_SECONDS", "SSM_COMMENT_MAX_CHARS", "SettingReader",
    "TemplateError", "clean_subject", "config", "crawler_state_from_glue", "crawler_state_name",
    "data_quality_state_from_glue", "data_quality_state_name", "describer", "detail_json",
    "detail_value", "envelope_json", "evaluator", "event_json", "event_value", "exports",
    "glob", "glob_any", "glob_pattern_value", "host", "invocation_type_name", "is_final",
    "is_job_failure", "is_job_state_change", "is_job_success", "job_detail", "job_name",
    "job_state_from_glue", "job_state_name", "json_string", "kinesis_put_record",
    "lambda_invoke", "log", "matched", "metadata", "no_match", "number_attribute",
    "parse_invocation_type", "parse_number", "partition", "render", "render_event", "setting",
    "severity_from_glue", "severity_name", "sfn_start_execution", "sns_attribute",
    "sns_publish", "sqs_send_message", "ssm_send_command", "string_array_attribute", "t",
    "tag_target", "to_json", "trim", "type_of_change_from_glue", "type_of_change_name", "types",
    "wit_path",
]
