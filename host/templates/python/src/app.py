"""{{name}}: publishes to an SNS topic when a Glue job run fails.

Setting ``topic-arn`` (required, declared in ``describe``, so the host refuses to load the
plugin without it): the topic to publish to. The message is an EventBridge input template over
the event (``MESSAGE`` with the paths of ``PATHS``), as you would write it for a rule's target.
"""

from glue_rules_sdk import (
    SettingReader, config, describer, evaluator, exports, is_job_failure, job_state_name, log,
    matched, metadata, no_match, render_event, setting, sns_publish, t,
)

# The events this rule wants: failed Glue job runs. The host filters with it, so `evaluate` is
# not even entered for other events.
PATTERN = {
    "source": ["aws.glue"],
    "detail-type": ["Glue Job State Change"],
    "detail": {"state": ["FAILED", "TIMEOUT", "ERROR"]},
}

# The message: an input transformer's InputPathsMap and InputTemplate.
PATHS = {"job": "$.detail.jobName", "run": "$.detail.jobRunId", "state": "$.detail.state"}
MESSAGE = "Glue job <job> (run <run>) ended in state <state>."


class Handler(exports.Handler):
    @describer
    def describe(self, settings: SettingReader) -> t.Metadata:
        return metadata(
            "{{name}}",
            "0.1.0",
            "Publishes to an SNS topic when a Glue job run fails.",
            [PATTERN],
            [setting("string", "topic-arn", "The SNS topic to publish to.", required=True)],
        )

    @evaluator
    def evaluate(self, event: t.Event) -> t.Decision:
        topic = config.require("topic-arn")
        if not isinstance(event.detail, t.Detail_JobStateChange):
            return no_match(f'detail-type "{event.detail_type}" is not Glue Job State Change')
        job = event.detail.value.job_name
        state = job_state_name(event.detail.value.state)
        if not is_job_failure(event):
            return no_match(f"job {job} is {state}")
        log.info(f"job {job} {state}: publishing to {topic}")
        publish = sns_publish(
            topic, subject=f"Glue job {job} {state}", message=render_event(MESSAGE, PATHS)
        )
        return matched([publish], f"job {job} {state}")
