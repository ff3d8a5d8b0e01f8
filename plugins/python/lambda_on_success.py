"""lambda-on-success, in Python: invokes a Lambda function when a Glue job run succeeds.

The same rule as plugins/lambda-on-success (Rust), decision for decision. Settings, all
optional, declared in ``describe`` so that the host checks them at load (and ``describe``
refuses an unknown ``invocation-type``): ``job-name`` (a glob, part of the event pattern unless
it has a ``?``), ``function-name`` (default ``glue-job-succeeded``), ``invocation-type``
(``event``, the default, or ``request-response``).
"""

from typing import Optional

from wit_world import exports

from glue_rules import (
    Err, JsonObject, SettingReader, config, describer, evaluator, glob, glob_pattern_value,
    invocation_type_name, job_state_name, lambda_invoke, log, matched, metadata, no_match,
    parse_invocation_type, setting, t,
)

DEFAULT_FUNCTION = "glue-job-succeeded"


def pattern(job_name: Optional[str]) -> str:
    """The EventBridge pattern: successful job runs of the jobs the ``job-name`` glob selects."""
    detail = JsonObject().strings("state", ["SUCCEEDED"])
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


def read_invocation_type(text: Optional[str]) -> t.InvocationType:
    """``invocation-type`` as configured (``None`` when unset)."""
    if text is None:
        return t.InvocationType.EVENT
    parsed = parse_invocation_type(text)
    if parsed is None:
        raise Err(f'setting `invocation-type` must be event or request-response, not "{text}"')
    return parsed


class Handler(exports.Handler):
    @describer
    def describe(self, settings: SettingReader) -> t.Metadata:
        read_invocation_type(settings.get("invocation-type"))
        return metadata(
            "lambda-on-success",
            "0.1.0",
            "Invokes a Lambda function when a Glue job run succeeds.",
            [pattern(settings.get("job-name"))],
            [
                setting(
                    "string", "job-name", "A glob (*, ?) the job name must match, e.g. nightly-*."
                ),
                setting(
                    "string",
                    "function-name",
                    "The Lambda function to invoke.",
                    default=DEFAULT_FUNCTION,
                ),
                setting(
                    "string",
                    "invocation-type",
                    "event (asynchronous) or request-response.",
                    default="event",
                ),
            ],
        )

    @evaluator
    def evaluate(self, event: t.Event) -> t.Decision:
        invocation_type = read_invocation_type(config.get("invocation-type"))
        job_filter = config.get("job-name")
        function_name = config.get_or("function-name", DEFAULT_FUNCTION)

        if not isinstance(event.detail, t.Detail_JobStateChange):
            return no_match(f'detail-type "{event.detail_type}" is not Glue Job State Change')
        if event.source != "aws.glue":
            return no_match(f'source "{event.source}" is not aws.glue')
        change = event.detail.value
        job = change.job_name
        state = job_state_name(change.state)
        if not isinstance(change.state, t.JobState_Succeeded):
            return no_match(f"job {job} is {state}")
        if job_filter is not None and not glob(job_filter, job):
            return no_match(f'job {job} does not match job-name filter "{job_filter}"')

        payload = (
            JsonObject()
            .string("jobName", job)
            .string("jobRunId", change.job_run_id)
            .string("state", state)
            .string("time", event.time)
            .string("region", event.region)
            .string("account", event.account)
            .string("eventId", event.id)
            .finish()
        )
        log.debug(
            f"invoking {function_name} ({invocation_type_name(invocation_type)}) for job {job}"
        )
        return matched(
            [lambda_invoke(function_name, payload, invocation_type)],
            f"job {job} succeeded (run {change.job_run_id})",
        )
