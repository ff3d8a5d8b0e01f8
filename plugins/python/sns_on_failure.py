"""sns-on-failure, in Python: publishes to an SNS topic when a Glue job run fails.

The same rule as plugins/sns-on-failure (Rust), decision for decision. Settings, all optional,
declared in ``describe`` so that the host checks them at load: ``topic-arn`` (default
``arn:<partition>:sns:<region>:<account>:glue-job-failures``), ``notify-stopped`` (``true`` to
publish for stopped runs too), ``job-name`` (a glob). ``describe`` turns ``notify-stopped`` and
``job-name`` into the event pattern; ``evaluate`` checks them again.

The subject and the message are EventBridge input templates (``<job>``, ``<state>``... over an
``InputPathsMap``), rendered with the SDK's ``render``, as in the Rust rule.
"""

from typing import Optional

from glue_rules_sdk import (
    JsonObject, SettingReader, config, describer, evaluator, exports, glob,
    glob_pattern_value, job_state_name, matched, metadata, no_match, partition, render, setting,
    severity_name, sns_publish, t,
)

DEFAULT_TOPIC_NAME = "glue-job-failures"
FAILURES = (t.JobState_Failed, t.JobState_Timeout, t.JobState_Error)

# The templates' variables, as an EventBridge input transformer's `InputPathsMap`: names for
# JSON paths into the event.
PATHS = {
    "job": "$.detail.jobName",
    "run": "$.detail.jobRunId",
    "state": "$.detail.state",
    "severity": "$.detail.severity",
    "message": "$.detail.message",
    "time": "$.time",
    "region": "$.region",
    "account": "$.account",
    "id": "$.id",
}
# The SNS subject (plain text: values are written as they are; `sns_publish` then replaces
# control characters and cuts it to SNS's 100 characters).
SUBJECT = "Glue job <job> <state>"
# The notification, plain text: one fact per line, then Glue's own explanation. The severity
# line stands only when the event has a severity, and "(none)" for a missing message.
HEADER = (
    "AWS Glue job <job> ended in state <state>.\n"
    "\n"
    "Job name: <job>\n"
    "Run id:   <run>\n"
    "State:    <state>\n"
)
SEVERITY = "Severity: <severity>\n"
FOOTER = (
    "Time:     <time>\n"
    "Region:   <region>\n"
    "Account:  <account>\n"
    "Event id: <id>\n"
    "\n"
    "Message from Glue:\n"
)


def pattern(notify_stopped: bool, job_name: Optional[str]) -> str:
    """The EventBridge pattern for these settings (ERROR counts as a failure in Glue)."""
    states = ["FAILED", "TIMEOUT", "ERROR"] + (["STOPPED"] if notify_stopped else [])
    detail = JsonObject().strings("state", states)
    value = None if job_name is None else glob_pattern_value(job_name)
    if value is not None:
        detail.raw("jobName", f"[{value}]")
    return (
        JsonObject()
        .strings("source", ["aws.glue"])
        .strings("detail-type", ["Glue Job State Change"])
        .raw("detail", detail.finish())
        .finish()
    )


class Handler(exports.Handler):
    @describer
    def describe(self, settings: SettingReader) -> t.Metadata:
        notify_stopped = settings.bool("notify-stopped", False)
        return metadata(
            "sns-on-failure",
            "0.1.0",
            "Publishes to an SNS topic when a Glue job run fails or times out.",
            [pattern(notify_stopped, settings.get("job-name"))],
            [
                setting(
                    "string",
                    "topic-arn",
                    "The SNS topic to publish to; default "
                    "arn:<partition>:sns:<region>:<account>:glue-job-failures.",
                ),
                setting(
                    "bool",
                    "notify-stopped",
                    "Also publish for runs that were stopped.",
                    default="false",
                ),
                setting(
                    "string", "job-name", "A glob (*, ?) the job name must match, e.g. nightly-*."
                ),
            ],
        )

    @evaluator
    def evaluate(self, event: t.Event) -> t.Decision:
        topic_arn = config.get("topic-arn")
        notify_stopped = config.bool("notify-stopped", False)
        job_filter = config.get("job-name")

        if not isinstance(event.detail, t.Detail_JobStateChange):
            return no_match(f'detail-type "{event.detail_type}" is not Glue Job State Change')
        if event.source != "aws.glue":
            return no_match(f'source "{event.source}" is not aws.glue')
        change = event.detail.value
        job = change.job_name
        state = job_state_name(change.state)
        if isinstance(change.state, t.JobState_Stopped):
            if not notify_stopped:
                return no_match(f"job {job} STOPPED and notify-stopped is off")
        elif not isinstance(change.state, FAILURES):
            return no_match(f"job {job} is {state}")
        if job_filter is not None and not glob(job_filter, job):
            return no_match(f'job {job} does not match job-name filter "{job_filter}"')

        if topic_arn is None:
            topic_arn = (
                f"arn:{partition(event.region)}:sns:{event.region}:{event.account}"
                f":{DEFAULT_TOPIC_NAME}"
            )
        severity = None if change.severity is None else severity_name(change.severity)
        values = template_input(event, change, state, severity)
        template = (
            HEADER
            + ("" if severity is None else SEVERITY)
            + FOOTER
            + ("(none)" if change.message is None else "<message>")
        )
        publish = sns_publish(
            topic_arn,
            subject=render(SUBJECT, PATHS, values),
            message=render(template, PATHS, values),
            attributes=[("jobName", job), ("state", state), ("severity", severity or "")],
        )
        return matched([publish], f"job {job} {state}")


def template_input(
    event: t.Event, change: t.JobStateChange, state: str, severity: Optional[str]
) -> dict:
    """What the templates' paths select, taken from the typed view rather than from the host's
    ``event_json()``: the same values (the host builds both from one event), without copying
    the whole event into the plugin for every failed run."""
    return {
        "id": event.id,
        "time": event.time,
        "region": event.region,
        "account": event.account,
        "detail": {
            "jobName": change.job_name,
            "jobRunId": change.job_run_id,
            "state": state,
            "severity": severity,
            "message": change.message,
        },
    }
