"""sns-on-failure, in Python: publishes to an SNS topic when a Glue job run fails.

The same rule as plugins/sns-on-failure (Rust), decision for decision. Settings, all optional,
declared in ``describe`` so that the host checks them at load: ``topic-arn`` (default
``arn:<partition>:sns:<region>:<account>:glue-job-failures``), ``notify-stopped`` (``true`` to
publish for stopped runs too), ``job-name`` (a glob). ``describe`` turns ``notify-stopped`` and
``job-name`` into the event pattern; ``evaluate`` checks them again.
"""

from typing import Optional

from wit_world import exports

from glue_rules import (
    JsonObject, SettingReader, config, describer, evaluator, glob, glob_pattern_value,
    job_state_name, matched, metadata, no_match, partition, setting, severity_name, sns_publish, t,
)

DEFAULT_TOPIC_NAME = "glue-job-failures"
FAILURES = (t.JobState_Failed, t.JobState_Timeout, t.JobState_Error)


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
        publish = sns_publish(
            topic_arn,
            subject=f"Glue job {job} {state}",
            message=message(event, change, state, severity),
            attributes=[("jobName", job), ("state", state), ("severity", severity or "")],
        )
        return matched([publish], f"job {job} {state}")


def message(event: t.Event, change: t.JobStateChange, state: str, severity: Optional[str]) -> str:
    """The notification text: one fact per line, then Glue's own explanation."""
    lines = [
        f"AWS Glue job {change.job_name} ended in state {state}.",
        "",
        f"Job name: {change.job_name}",
        f"Run id:   {change.job_run_id}",
        f"State:    {state}",
    ]
    if severity is not None:
        lines.append(f"Severity: {severity}")
    lines += [
        f"Time:     {event.time}",
        f"Region:   {event.region}",
        f"Account:  {event.account}",
        f"Event id: {event.id}",
        "",
        "Message from Glue:",
        change.message if change.message is not None else "(none)",
    ]
    return "\n".join(lines)
