"""{{name}}: publishes to an SNS topic when a Glue job run fails.

Setting ``topic-arn`` (required, declared in ``describe``, so the host refuses to load the
plugin without it): the topic to publish to.
"""

from wit_world import exports

from glue_rules import (
    SettingReader, config, describer, evaluator, job_state_name, log, matched, metadata,
    no_match, setting, sns_publish, t,
)

# The events this rule wants: failed Glue job runs.
PATTERN = '{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["FAILED","TIMEOUT","ERROR"]}}'
FAILURES = (t.JobState_Failed, t.JobState_Timeout, t.JobState_Error)


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
        change = event.detail.value
        job = change.job_name
        state = job_state_name(change.state)
        if not isinstance(change.state, FAILURES):
            return no_match(f"job {job} is {state}")
        log.info(f"job {job} {state}: publishing to {topic}")
        publish = sns_publish(
            topic,
            subject=f"Glue job {job} {state}",
            message=f"Glue job {job} (run {change.job_run_id}) ended in state {state}.",
        )
        return matched([publish], f"job {job} {state}")
