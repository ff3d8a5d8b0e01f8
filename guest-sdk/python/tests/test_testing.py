"""The stand-in host: settings as the host serves them, logs, events from `glue-rules event
--typed` (a fake binary printing the documented format, and the real one when it is built) and
events by hand."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from glue_rules_sdk import Err, describer, detail_value, event_value, log, metadata, setting, t
from glue_rules_sdk import testing

REPO = Path(__file__).resolve().parents[3]
AWS_FIXTURES = REPO / "examples" / "events" / "aws-docs"

# The documented format of `glue-rules event --typed` for one Glue Job State Change.
TYPED_FAILED = {
    "version": "0", "id": "x", "detail-type": "Glue Job State Change", "source": "aws.glue",
    "account": "123456789012", "time": "2017-09-07T06:02:03Z", "region": "us-west-2",
    "resources": [],
    "detail": {
        "tag": "job-state-change",
        "val": {
            "job-name": "j", "job-run-id": "r", "state": {"tag": "failed"},
            "severity": {"tag": "error"}, "message": "m",
        },
    },
}


class Configured:
    """A rule declaring one setting of each kind."""

    @describer
    def describe(self, settings):
        return metadata(
            "configured", "0.1.0", "Declares settings.",
            settings=[
                setting("string", "topic", "A topic.", required=True),
                setting("bool", "notify", "Notify.", default="off"),
                setting("number", "limit", "A limit."),
                setting("list", "jobs", "Jobs.", default="a, b"),
            ],
        )


def test_configure_serves_what_the_host_would(glue_host):
    meta = glue_host.configure(Configured(), {"topic": " t ", "notify": "Yes", "limit": " 2.5 ", "extra": "x"})
    assert meta.name == "configured"
    assert glue_host.settings == {
        "topic": " t ", "notify": "true", "limit": "2.5", "jobs": '["a","b"]', "extra": "x",
    }
    glue_host.configure(Configured(), [("topic", "t"), ("jobs", '["x"]'), ("notify", "  ")])
    assert glue_host.settings == {"topic": "t", "notify": "false", "jobs": '["x"]'}


@pytest.mark.parametrize(
    "settings, message",
    [
        ({}, "plugins.configured.config.topic is required but not set"),
        ({"topic": "  "}, "plugins.configured.config.topic is required but not set"),
        ({"topic": "t", "notify": "sometimes"}, 'plugins.configured.config.notify must be true or false, not "sometimes"'),
        ({"topic": "t", "limit": "inf"}, 'plugins.configured.config.limit must be a number, not "inf"'),
        ({"topic": "t", "jobs": "[1]"}, 'plugins.configured.config.jobs must be a list of strings, not "[1]"'),
    ],
)
def test_configure_refuses_what_the_host_refuses(settings, message):
    with pytest.raises(Err) as refused:
        testing.configure(Configured(), settings)
    assert refused.value.value == message


def test_every_test_starts_with_a_fresh_host_part_one():
    testing.set_config("leak", "yes")
    log.warn("written in part one")
    assert testing.current().config("leak") == "yes"


def test_every_test_starts_with_a_fresh_host_part_two():
    assert testing.current().config("leak") is None
    assert testing.current().logs == []


def test_logs_are_captured(glue_host):
    log.trace(1)
    log.error("bad")
    assert glue_host.log_lines() == ["trace: 1", "error: bad"]
    assert glue_host.take_logs() == [(t.LogLevel.TRACE, "1"), (t.LogLevel.ERROR, "bad")]
    assert glue_host.logs == []


def test_wit_json_converts_to_the_binding_dataclasses_and_back():
    event = testing.from_wit_json(t.Event, TYPED_FAILED)
    assert event == t.Event(
        version="0", id="x", detail_type="Glue Job State Change", source="aws.glue",
        account="123456789012", time="2017-09-07T06:02:03Z", region="us-west-2", resources=[],
        detail=t.Detail_JobStateChange(
            t.JobStateChange(
                job_name="j", job_run_id="r", state=t.JobState_Failed(),
                severity=t.Severity_Error(), message="m",
            )
        ),
    )
    assert testing.to_wit_json(event) == TYPED_FAILED
    decision = t.Decision(
        matched=True,
        actions=[
            t.Action_Lambda(t.LambdaInvoke(function_name="f", payload="{}", invocation_type=t.InvocationType.REQUEST_RESPONSE)),
            t.Action_Ssm(t.SsmSendCommand(document_name="d", targets=t.CommandTargets_InstanceIds(["i"]), parameters=[], comment=None)),
        ],
        reason=None,
    )
    wit = testing.to_wit_json(decision)
    assert wit["actions"][0] == {
        "tag": "lambda",
        "val": {"function-name": "f", "payload": "{}", "invocation-type": "request-response"},
    }
    assert wit["actions"][1]["val"]["targets"] == {"tag": "instance-ids", "val": ["i"]}
    assert testing.from_wit_json(t.Decision, wit) == decision


def test_wit_json_numbers_options_and_other_cases():
    crawler = {
        "crawler-name": "c", "state": {"tag": "other", "val": "Paused"}, "message": None,
        "account-id": None, "start-time": None, "completion-date": None, "error-message": None,
        "warning-message": None, "cloud-watch-log-link": None, "tables-created": 3,
        "tables-updated": None, "tables-deleted": None, "partitions-created": None,
        "partitions-updated": None, "partitions-deleted": None, "running-time-sec": "NaN",
    }
    value = testing.from_wit_json(t.CrawlerStateChange, crawler)
    assert value.state == t.CrawlerState_Other("Paused") and value.tables_created == 3
    assert value.running_time_sec != value.running_time_sec  # NaN
    assert testing.from_wit_json(t.Detail, {"tag": "other"}) == t.Detail_Other()


@pytest.mark.parametrize(
    "value, message",
    [
        ({**TYPED_FAILED, "id": 1}, "event.id: expected a string, found a number"),
        ({**TYPED_FAILED, "detail": {"tag": "job-exploded"}}, "event.detail: 'job-exploded' is not one of its cases"),
        ({k: v for k, v in TYPED_FAILED.items() if k != "region"}, "event: Event lacks field 'region'"),
        ({**TYPED_FAILED, "detail-json": "{}"}, "event: Event has no field 'detail-json'"),
    ],
)
def test_wit_json_that_does_not_fit_names_the_place(value, message):
    with pytest.raises(ValueError) as bad:
        testing.from_wit_json(t.Event, value, "event")
    assert str(bad.value).startswith(message)


def test_events_by_hand_serve_their_json():
    event = testing.job_state_change("nightly", "TIMEOUT", severity="WARN", region="eu-west-1")
    assert event.detail.value.state == t.JobState_Timeout() and event.region == "eu-west-1"
    assert detail_value() == {"jobName": "nightly", "jobRunId": "jr_test", "severity": "WARN", "state": "TIMEOUT"}
    quality = testing.event(
        t.Detail_DataQualityResult(
            t.DataQualityResult(
                result_id="dqr", ruleset_names=["r"], state=t.DataQualityState_Failed(), score=0.5,
                rules_succeeded=1, rules_failed=1, rules_skipped=None,
                context=t.DataQualityContext(context_type="GLUE_JOB", run_id=None, database_name=None, table_name=None, catalog_id=None, job_name="j", job_id=None),
            )
        )
    )
    assert quality.source == "aws.glue-dataquality"
    assert quality.detail_type == "Data Quality Evaluation Results Available"
    assert detail_value() == {
        "resultID": "dqr", "rulesetNames": ["r"], "state": "FAILED", "score": 0.5,
        "rulesSucceeded": 1, "rulesFailed": 1, "context": {"contextType": "GLUE_JOB", "jobName": "j"},
    }
    own = testing.event(id="mine", envelope='{"id": "mine", "detail": {"x": 1}}')
    assert own.detail == t.Detail_Other() and detail_value() == {"x": 1}


def test_evaluate_serves_the_json_of_the_event_it_is_given(glue_host):
    first = testing.job_state_change("first")
    testing.job_state_change("second")

    class Echo:
        def evaluate(self, event):
            return event_value()["detail"]["jobName"]

    assert glue_host.evaluate(Echo(), first) == "first"


def fake_glue_rules(tmp_path, lines):
    """A stand-in for the glue-rules binary that prints `lines` for `event --typed FILE`."""
    script = tmp_path / "glue-rules"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "assert sys.argv[1:3] == ['event', '--typed'], sys.argv\n"
        f"sys.stdout.write({''.join(json.dumps(l) + chr(10) for l in lines)!r})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_load_event_runs_glue_rules_event(tmp_path, monkeypatch):
    envelope = {"id": "x", "source": "aws.glue", "detail-type": "Glue Job State Change", "detail": {"jobName": "j", "extra": 1}}
    fixture = tmp_path / "job.json"
    fixture.write_text(json.dumps(envelope))
    monkeypatch.setenv("GLUE_RULES", str(fake_glue_rules(tmp_path, [TYPED_FAILED])))
    event = testing.load_event(fixture)
    assert event.detail.value.job_name == "j"
    # The fixture's own JSON is what the rule reads through the host.
    assert detail_value() == {"jobName": "j", "extra": 1}
    monkeypatch.setenv("GLUE_RULES", str(fake_glue_rules(tmp_path, [TYPED_FAILED, TYPED_FAILED])))
    with pytest.raises(ValueError, match="holds 2 events"):
        testing.load_event(fixture)
    assert len(testing.load_events(fixture)) == 2


def test_a_missing_binary_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("GLUE_RULES", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="GLUE_RULES"):
        testing.load_event(tmp_path / "x.json")
    monkeypatch.delenv("GLUE_RULES")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError) as missing:
        testing.load_event(tmp_path / "x.json")
    assert "GLUE_RULES" in str(missing.value) and "PATH" in str(missing.value)


def real_glue_rules():
    """The glue-rules binary with an `event` command: $GLUE_RULES, PATH, or the repository's
    cargo builds."""
    candidates = [os.environ.get("GLUE_RULES"), shutil.which("glue-rules")]
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/glue-rules/target"))
    candidates += [str(target / "release/glue-rules"), str(target / "debug/glue-rules")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            done = subprocess.run([candidate, "event", "--help"], capture_output=True)
            if done.returncode == 0:
                return candidate
    pytest.skip("no glue-rules binary with an `event` command (build it: cargo build -p glue-rules)")


@pytest.mark.skipif(not AWS_FIXTURES.is_dir(), reason="the repository's AWS fixtures are not here")
def test_the_real_binary_types_every_aws_fixture(monkeypatch):
    monkeypatch.setenv("GLUE_RULES", real_glue_rules())
    events = {path.name: testing.load_event(path) for path in sorted(AWS_FIXTURES.glob("*.json"))}
    assert len(events) == 14
    failed = events["failed-job-run.json"]
    assert isinstance(failed.detail, t.Detail_JobStateChange)
    assert failed.detail.value.state == t.JobState_Failed()
    assert failed.detail.value.severity == t.Severity_Error()
    crawler = events["crawler-succeeded.json"].detail
    assert isinstance(crawler, t.Detail_CrawlerStateChange) and crawler.value.state == t.CrawlerState_Succeeded()
    quality = events["data-quality-evaluation-results-available.json"]
    assert isinstance(quality.detail, t.Detail_DataQualityResult)
    table = events["table-state-change-glue-guide.json"].detail
    assert isinstance(table, t.Detail_TableStateChange)
    # The round trip is exact: what the binary printed is what the dataclasses hold.
    for name, event in events.items():
        printed = subprocess.run(
            [os.environ["GLUE_RULES"], "event", "--typed", str(AWS_FIXTURES / name)],
            capture_output=True, text=True, check=True,
        ).stdout
        assert testing.to_wit_json(event) == json.loads(printed), name
