"""lambda-on-success, in Python: invokes a Lambda function when a Glue job run succeeds.

The same rule as plugins/lambda-on-success (Rust), decision for decision. Settings, all
optional: ``job-name`` (a glob), ``function-name`` (default ``glue-job-succeeded``),
``invocation-type`` (``event``, the default, or ``request-response``).
"""

import wit_world

from glue_rules import (
    Err, JsonObject, config, evaluator, glob, invocation_type_name, job_state_name,
    lambda_invoke, log, matched, metadata, no_match, parse_invocation_type, t,
)

PATTERN = '{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["SUCCEEDED"]}}'
DEFAULT_FUNCTION = "glue-job-succeeded"


class WitWorld(wit_world.WitWorld):
    def describe(self) -> t.Metadata:
        return metadata(
            "lambda-on-success",
            "0.1.0",
            "Invokes a Lambda function when a Glue job run succeeds.",
            [PATTERN],
        )

    @evaluator
    def evaluate(self, event: t.Event) -> t.Decision:
        text = config.get("invocation-type")
        invocation_type = t.InvocationType.EVENT
        if text is not None:
            parsed = parse_invocation_type(text)
            if parsed is None:
                raise Err(
                    f'setting `invocation-type` must be event or request-response, not "{text}"'
                )
            invocation_type = parsed
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
