"""Action builders: one function per AWS call of the contract's ``action`` variant, returning
the ``Action`` ready for ``matched``, with the Rust SDK's defaults and its cleaning of values
AWS would reject.

A text argument that is a JSON document (payload, body, data, input) may be given as text, used
as it is, or as a JSON value (dict, list, ...), written compactly in its own member order.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ._bindings import types as t
from ._json import to_json
from ._text import ascii_lower, is_control, trim, trim_end

#: The most characters SNS accepts in a ``Subject``; SSM in a ``Comment``.
SNS_SUBJECT_MAX_CHARS = 100
SSM_COMMENT_MAX_CHARS = 100
#: The longest delay SQS accepts, in seconds.
SQS_MAX_DELAY_SECONDS = 900


def _document(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value)


def _texts(values: Union[str, Iterable[str]]) -> List[str]:
    """A list of strings; one string stands for itself (``list("abc")`` would split it)."""
    return [values] if isinstance(values, str) else list(values)


# ------------------------------------------------------------------------------------------
# Lambda
# ------------------------------------------------------------------------------------------


def parse_invocation_type(text: str) -> Optional[t.InvocationType]:
    """Reads an invocation type setting: ``event`` or ``request-response`` in any case, with
    ``-``, ``_`` or nothing between the words (so Lambda's own ``RequestResponse`` works too).
    ``None`` for anything else."""
    folded = ascii_lower("".join(c for c in trim(text) if c not in "-_"))
    if folded == "event":
        return t.InvocationType.EVENT
    if folded == "requestresponse":
        return t.InvocationType.REQUEST_RESPONSE
    return None


def invocation_type_name(kind: t.InvocationType) -> str:
    """Lambda's spelling of an invocation type: ``Event`` or ``RequestResponse``."""
    return "Event" if kind == t.InvocationType.EVENT else "RequestResponse"


def lambda_invoke(
    function_name: str,
    payload: Any = "{}",
    invocation_type: t.InvocationType = t.InvocationType.REQUEST_RESPONSE,
) -> t.Action:
    """A Lambda ``Invoke`` of ``function_name`` (a name, ``name:alias``, or an ARN).
    ``payload`` is the JSON document passed to the function; the invocation type defaults to
    ``REQUEST_RESPONSE`` (Lambda's own default: the host waits and discards the answer), and
    ``InvocationType.EVENT`` queues the call instead."""
    return t.Action_Lambda(
        t.LambdaInvoke(
            function_name=function_name,
            payload=_document(payload),
            invocation_type=invocation_type,
        )
    )


# ------------------------------------------------------------------------------------------
# SNS
# ------------------------------------------------------------------------------------------

#: An SNS message attribute: ``(name, value)`` for a ``String``, or a ``MessageAttribute``
#: (``sns_attribute``, ``number_attribute``, ``string_array_attribute``).
Attribute = Union[Tuple[str, str], t.MessageAttribute]


def sns_attribute(name: str, value: str, data_type: str = "String") -> t.MessageAttribute:
    """A message attribute with an explicit SNS ``DataType`` (``String``, ``String.Array``,
    ``Number`` or ``Binary``); subscribers can filter on it."""
    return t.MessageAttribute(name=name, data_type=data_type, string_value=value)


def number_attribute(name: str, value: Union[int, float, str]) -> t.MessageAttribute:
    """A ``Number`` message attribute."""
    return sns_attribute(name, str(value), "Number")


def string_array_attribute(name: str, values: Iterable[str]) -> t.MessageAttribute:
    """A ``String.Array`` message attribute (SNS wants the array as JSON text)."""
    return sns_attribute(name, to_json(_texts(values)), "String.Array")


def clean_subject(subject: str) -> Optional[str]:
    """``subject`` as SNS accepts it: control characters (line breaks too) become spaces, the
    text is trimmed and cut to 100 characters; ``None`` when nothing is left. SNS rejects any
    other subject, and the whole message with it."""
    spaced = "".join(" " if is_control(c) else c for c in subject)
    cut = trim_end(trim(spaced)[:SNS_SUBJECT_MAX_CHARS])
    return cut if cut else None


def sns_publish(
    topic_arn: str,
    subject: Optional[str] = None,
    message: Any = "",
    attributes: Union[Mapping[str, str], Iterable[Attribute]] = (),
) -> t.Action:
    """An SNS ``Publish`` to ``topic_arn``.

    ``subject`` (used by e-mail subscriptions) is cleaned with ``clean_subject``; ``message``
    is text, or a JSON value to send as JSON text (SNS rejects an empty message: set one).
    ``attributes`` are ``(name, value)`` pairs or a mapping for ``String`` attributes, or
    ``MessageAttribute`` values; an attribute with an empty value is skipped, since SNS would
    reject the whole message with it.
    """
    items: Iterable[Any] = attributes.items() if isinstance(attributes, Mapping) else attributes
    message_attributes = []
    for item in items:
        attribute = item if isinstance(item, t.MessageAttribute) else sns_attribute(*item)
        if attribute.string_value != "":
            message_attributes.append(attribute)
    return t.Action_Sns(
        t.SnsPublish(
            topic_arn=topic_arn,
            subject=None if subject is None else clean_subject(subject),
            message=_document(message),
            message_attributes=message_attributes,
        )
    )


# ------------------------------------------------------------------------------------------
# SQS, Kinesis, Step Functions
# ------------------------------------------------------------------------------------------


def sqs_send_message(
    queue_url: str,
    body: Any = "",
    *,
    delay_seconds: Optional[int] = None,
    message_group_id: Optional[str] = None,
    message_deduplication_id: Optional[str] = None,
) -> t.Action:
    """An SQS ``SendMessage`` to ``queue_url`` (SQS rejects an empty body: set one).

    ``delay_seconds`` is 0 to 900 (FIFO queues accept only a queue-level delay);
    ``message_group_id`` is required for FIFO queues; ``message_deduplication_id`` serves FIFO
    queues without content-based deduplication, and the event's ``id`` is a good one:
    EventBridge keeps it when it re-sends an event.
    """
    if delay_seconds is not None and not 0 <= delay_seconds <= SQS_MAX_DELAY_SECONDS:
        raise ValueError(
            f"delay_seconds must be 0 to {SQS_MAX_DELAY_SECONDS} (SQS), not {delay_seconds}"
        )
    return t.Action_Sqs(
        t.SqsSendMessage(
            queue_url=queue_url,
            message_body=_document(body),
            delay_seconds=delay_seconds,
            message_group_id=message_group_id,
            message_deduplication_id=message_deduplication_id,
        )
    )


def kinesis_put_record(stream: str, partition_key: str, data: Any = "") -> t.Action:
    """A Kinesis Data Streams ``PutRecord`` to ``stream`` (a name, or an ARN starting with
    ``arn:``, sent as ``StreamARN``) under ``partition_key``; ``data`` is UTF-8 text or a JSON
    value."""
    return t.Action_Kinesis(
        t.KinesisPutRecord(stream_name=stream, partition_key=partition_key, data=_document(data))
    )


def sfn_start_execution(
    state_machine_arn: str, input: Any = "{}", *, name: Optional[str] = None
) -> t.Action:
    """A Step Functions ``StartExecution`` of ``state_machine_arn`` with ``input`` (a JSON
    document). Step Functions generates a name when ``name`` is ``None``; it refuses a second
    execution with the same name for 90 days, so a name derived from the event id makes a
    re-sent event start nothing twice."""
    return t.Action_Stepfunctions(
        t.SfnStartExecution(state_machine_arn=state_machine_arn, name=name, input=_document(input))
    )


# ------------------------------------------------------------------------------------------
# SSM Run Command
# ------------------------------------------------------------------------------------------


def tag_target(tag: str, values: Iterable[str]) -> t.Target:
    """An SSM target selecting the instances whose tag ``tag`` has one of ``values``
    (key ``tag:<tag>``)."""
    return t.Target(key=f"tag:{tag}", values=_texts(values))


def ssm_send_command(
    document_name: str,
    *,
    instance_ids: Optional[Iterable[str]] = None,
    targets: Optional[Iterable[Union[t.Target, Tuple[str, Sequence[str]]]]] = None,
    parameters: Union[Mapping[str, Sequence[str]], Iterable[Tuple[str, Sequence[str]]]] = (),
    comment: Optional[str] = None,
) -> t.Action:
    """An SSM ``SendCommand`` (EC2 Run Command) of ``document_name``, e.g.
    ``AWS-RunShellScript``.

    Choose the instances with ``instance_ids`` or with ``targets`` (``Target`` values, e.g.
    ``tag_target("Role", ["etl"])``, or ``(key, values)`` pairs such as
    ``("resource-groups:Name", ["etl"])``), not both. ``parameters`` are the document's, e.g.
    ``{"commands": ["systemctl restart etl"]}``. ``comment`` is cut to the 100 characters SSM
    allows.
    """
    if instance_ids is not None and targets is not None:
        raise ValueError("ssm_send_command: give instance_ids or targets, not both")
    if targets is not None:
        chosen: t.CommandTargets = t.CommandTargets_Targets(
            [
                target
                if isinstance(target, t.Target)
                else t.Target(key=target[0], values=_texts(target[1]))
                for target in targets
            ]
        )
    else:
        chosen = t.CommandTargets_InstanceIds(_texts(instance_ids or []))
    pairs = parameters.items() if isinstance(parameters, Mapping) else parameters
    return t.Action_Ssm(
        t.SsmSendCommand(
            document_name=document_name,
            targets=chosen,
            parameters=[t.CommandParameter(name=n, values=_texts(v)) for n, v in pairs],
            comment=None if comment is None else comment[:SSM_COMMENT_MAX_CHARS],
        )
    )
