"""The rule's unit test, run natively by `python -m pytest -q`: the event is the project's own
fixture, typed by `glue-rules event --typed` (the binary from $GLUE_RULES, else PATH), and the
host is the SDK's stand-in (the `glue_host` fixture)."""

from pathlib import Path

from glue_rules_sdk import t, testing

import app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOPIC = "arn:aws:sns:us-east-1:123456789012:{{name}}-alerts"


def test_a_failed_job_run_is_published(glue_host):
    glue_host.configure(app.Handler(), {"topic-arn": TOPIC})
    event = testing.load_event(FIXTURES / "job-failed.json")

    decision = app.Handler().evaluate(event)

    assert decision.matched
    assert decision.reason == "job MyJob FAILED"
    (publish,) = decision.actions
    assert isinstance(publish, t.Action_Sns)
    assert publish.value.topic_arn == TOPIC
    assert publish.value.subject == "Glue job MyJob FAILED"
    assert publish.value.message.startswith("Glue job MyJob (run jr_0123456789abcdef")
    assert publish.value.message.endswith(" FAILED.")
    assert glue_host.log_lines() == [f"info: job MyJob FAILED: publishing to {TOPIC}"]
