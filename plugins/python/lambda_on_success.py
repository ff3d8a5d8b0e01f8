"""lambda-on-success, in Python: invokes a Lambda function when a Glue job run succeeds.

The same rule as plugins/lambda-on-success (Rust), decision for decision. Settings, all
optional, declared in ``describe`` so that the host checks them at load (and ``describe``
refuses an unknown ``invocation-type``): ``job-name`` (a glob, part of the event pattern unless
it has a ``?``), ``function-name`` (default ``glue-job-succeeded``), ``invocation-type``
(``event``, the default, or ``request-response``).

The payload is ``{"jobName","jobRunId","state","time","region","account","eventId"}``, an
EventBridge input template rendered with the SDK's ``render``, as in the Rust rule.
"""

from typing import Optional

from glue_rules_sdk import (
    Err, JsonObject, SettingReader, config, describer, evaluator, exports, glob,
    glob_pattern_value, invocation_type_name, job_state_name, lambda_invoke, log, matched,
    metadata, no_match, parse_invocation_type, render, setting, t,
)

DEFAULT_FUNCTION = "glue-job-succeeded"

# The payload's variables, as an EventBridge input transformer's `InputPathsMap`: names for JSON
# paths into the event.
PATHS = {
    "job": "$.detail.jobName",
    "run": "$.detail.jobRunId",
    "state": "$.detail.state",
    "time": "$.time",
    "region": "$.region",
    "account": "$.account",
    "id": "$.id",
}
# The payload's template, an `InputTemplate`: every placeholder inside quotes, so each value is
# escaped for its JSON string (and a path that selects nothing gives "").
PAYLOAD = (
    '{"jobName":"<job>","jobRunId":"<run>","state":"<state>","time":"<time>",'
    '"region":"<region>","account":"<account>","eventId":"<id>"}'
)


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

        payload = render(PAYLOAD, PATHS, template_input(event, change, state))
        log.debug(
            f"invoking {function_name} ({invocation_type_name(invocation_type)}) for job {job}"
        )
        return matched(
            [lambda_invoke(function_name, payload, invocation_type)],
            f"job {job} succeeded (run {change.job_run_id})",
        )


def template_input(event: t.Event, change: t.JobStateChange, state: str) -> dict:
    """What the template's paths select, taken from the typed view rather than from the host's
    ``event_json()``: the same values (the host builds both from one event), without copying
    the whole event into the plugin for every successful run."""
    return {
        "id": event.id,
        "time": event.time,
        "region": event.region,
        "account": event.account,
        "detail": {"jobName": change.job_name, "jobRunId": change.job_run_id, "state": state},
    }
