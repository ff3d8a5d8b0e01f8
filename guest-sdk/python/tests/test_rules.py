"""Settings, action builders, decisions and event helpers, with the Rust SDK's rules."""

import json

import pytest

from glue_rules_sdk import (
    Err, SettingReader, clean_subject, config, crawler_state_from_glue, crawler_state_name,
    data_quality_state_name, describer, evaluator, invocation_type_name, is_final,
    is_job_failure, is_job_state_change, is_job_success, job_detail, job_name,
    job_state_from_glue, job_state_name, kinesis_put_record, lambda_invoke, log, matched,
    metadata, no_match, number_attribute, parse_invocation_type, partition, setting,
    severity_from_glue, severity_name, sfn_start_execution, sns_attribute, sns_publish,
    sqs_send_message, ssm_send_command, string_array_attribute, t, tag_target,
    type_of_change_from_glue, type_of_change_name,
)
from glue_rules_sdk import testing


# ------------------------------------------------------------------------------------------
# Settings
# ------------------------------------------------------------------------------------------


def test_setting_reader_trims_and_treats_blank_as_unset():
    s = SettingReader.of([("a", " x "), ("blank", "  "), ("a2", "1"), ("a2", "2")])
    assert s.get("a") == "x" and s.raw("a") == " x "
    assert s.get("blank") is None and s.raw("blank") == "  "
    assert s.get_or("blank", "dflt") == "dflt" and s.get_or("missing", "dflt") == "dflt"
    assert s.get("a2") == "2"  # a later pair wins
    with pytest.raises(Err) as missing:
        s.require("missing")
    assert missing.value.value == "setting `missing` is required but not set"


@pytest.mark.parametrize("text, value", [("Yes", True), ("ON", True), ("1", True), ("off", False), ("No", False), ("0", False)])
def test_booleans(text, value):
    assert SettingReader.of({"b": text}).bool("b") is value


def test_unreadable_values_name_the_key():
    s = SettingReader.of({"b": "sometimes", "n": "1_000", "l": "[1]", "ok": "2.5e1"})
    assert s.bool("missing", True) is True
    with pytest.raises(Err) as bad:
        s.bool("b")
    assert bad.value.value == 'setting `b` must be true or false, not "sometimes"'
    with pytest.raises(Err, match='setting `n` has an unreadable value "1_000"'):
        s.number("n")
    assert s.number("ok") == 25.0 and s.number("missing") is None
    with pytest.raises(Err) as bad_list:
        s.list("l")
    assert bad_list.value.value == 'setting `l` must be a JSON array of strings, not "[1]"'
    assert s.parsed("ok", lambda v: v.upper()) == "2.5E1"


def test_lists_from_json_or_commas():
    s = SettingReader.of({"j": '["a", "b c"]', "c": " a, ,b ,", "e": " "})
    assert s.list("j") == ["a", "b c"]
    assert s.list("c") == ["a", "b"]
    assert s.list("e") == [] and s.list("missing") == []


def test_config_reads_the_host_on_every_call(glue_host):
    glue_host.set_config("k", " v ")
    assert config.get("k") == "v"
    glue_host.set_config("k", "w")
    assert config.get("k") == "w"
    assert config.get("other") is None


def test_setting_declarations():
    declared = setting("bool", "notify", "Also notify.", default="false")
    assert declared == t.Setting(
        name="notify", kind=t.SettingKind.BOOL, required=False, default_value="false",
        description="Also notify.",
    )
    assert setting("list", "x", "d", required=True).required
    with pytest.raises(ValueError, match="kind 'text' is not one of string, bool, number, list"):
        setting("text", "x", "d")


# ------------------------------------------------------------------------------------------
# Actions
# ------------------------------------------------------------------------------------------


def test_lambda_defaults_and_invocation_types():
    action = lambda_invoke("fn")
    assert action == t.Action_Lambda(
        t.LambdaInvoke(function_name="fn", payload="{}", invocation_type=t.InvocationType.REQUEST_RESPONSE)
    )
    assert lambda_invoke("fn", {"b": 1, "a": [True]}).value.payload == '{"b":1,"a":[true]}'
    assert parse_invocation_type(" Event ") == t.InvocationType.EVENT
    for text in ("request-response", "RequestResponse", "REQUEST_RESPONSE", "requestresponse"):
        assert parse_invocation_type(text) == t.InvocationType.REQUEST_RESPONSE
    assert parse_invocation_type("dry-run") is None
    assert invocation_type_name(t.InvocationType.EVENT) == "Event"
    assert invocation_type_name(t.InvocationType.REQUEST_RESPONSE) == "RequestResponse"


def test_sns_cleans_the_subject_and_skips_empty_attributes():
    subject = "line one\nline two " + "é" * 200
    action = sns_publish(
        "arn:t",
        subject=subject,
        message={"k": "v"},
        attributes=[
            ("jobName", "j"), ("empty", ""), number_attribute("attempt", 3),
            string_array_attribute("tags", ["a", "b"]), sns_attribute("raw", "", "Binary"),
        ],
    )
    publish = action.value
    assert isinstance(action, t.Action_Sns)
    assert len(publish.subject) == 100 and publish.subject.startswith("line one line two é")
    assert publish.message == '{"k":"v"}'
    assert [(a.name, a.data_type, a.string_value) for a in publish.message_attributes] == [
        ("jobName", "String", "j"), ("attempt", "Number", "3"), ("tags", "String.Array", '["a","b"]'),
    ]
    assert sns_publish("t", subject=" \n ").value.subject is None
    assert sns_publish("t").value.subject is None
    assert clean_subject("\x01a\x7f\x85b ") == "a  b"
    assert sns_publish("t", attributes={"a": "1", "b": ""}).value.message_attributes == [
        t.MessageAttribute(name="a", data_type="String", string_value="1")
    ]


def test_sqs_kinesis_and_step_functions():
    sqs = sqs_send_message(
        "https://q", {"k": "v"}, delay_seconds=5, message_group_id="g", message_deduplication_id="d"
    ).value
    assert (sqs.queue_url, sqs.message_body, sqs.delay_seconds) == ("https://q", '{"k":"v"}', 5)
    assert (sqs.message_group_id, sqs.message_deduplication_id) == ("g", "d")
    assert sqs_send_message("q").value == t.SqsSendMessage(
        queue_url="q", message_body="", delay_seconds=None, message_group_id=None,
        message_deduplication_id=None,
    )
    with pytest.raises(ValueError, match="0 to 900"):
        sqs_send_message("q", "b", delay_seconds=901)
    kinesis = kinesis_put_record("stream", "pk", [1])
    assert kinesis == t.Action_Kinesis(t.KinesisPutRecord(stream_name="stream", partition_key="pk", data="[1]"))
    assert kinesis_put_record("s", "p", "raw").value.data == "raw"
    sfn = sfn_start_execution("arn:sm", name="run-1")
    assert sfn == t.Action_Stepfunctions(t.SfnStartExecution(state_machine_arn="arn:sm", name="run-1", input="{}"))


def test_ssm_targets_parameters_and_comment():
    by_ids = ssm_send_command("AWS-RunShellScript", instance_ids=["i-1", "i-2"]).value
    assert by_ids.targets == t.CommandTargets_InstanceIds(["i-1", "i-2"])
    assert ssm_send_command("doc").value.targets == t.CommandTargets_InstanceIds([])
    by_tag = ssm_send_command(
        "AWS-RunShellScript",
        targets=[tag_target("Role", ["etl"]), ("resource-groups:Name", "etl-group")],
        parameters={"commands": ["systemctl restart etl"], "workingDirectory": "/srv"},
        comment="x" * 150,
    ).value
    assert by_tag.targets == t.CommandTargets_Targets(
        [t.Target(key="tag:Role", values=["etl"]), t.Target(key="resource-groups:Name", values=["etl-group"])]
    )
    assert by_tag.parameters == [
        t.CommandParameter(name="commands", values=["systemctl restart etl"]),
        t.CommandParameter(name="workingDirectory", values=["/srv"]),
    ]
    assert by_tag.comment == "x" * 100
    with pytest.raises(ValueError, match="not both"):
        ssm_send_command("doc", instance_ids=["i"], targets=[])


# ------------------------------------------------------------------------------------------
# Decisions and the decorators
# ------------------------------------------------------------------------------------------


def test_decisions_and_metadata():
    d = matched([lambda_invoke("a"), lambda_invoke("b")], "because")
    assert d.matched and len(d.actions) == 2 and d.reason == "because"
    none = no_match()
    assert not none.matched and none.actions == [] and none.reason is None
    m = metadata("n", "1.0.0", "d", ['{"source":["aws.glue"]}', {"source": ["aws.glue-dataquality"]}])
    assert m.patterns == ['{"source":["aws.glue"]}', '{"source":["aws.glue-dataquality"]}']


class Rule:
    @describer
    def describe(self, settings):
        if settings.get("mode") not in (None, "a"):
            raise ValueError(f"mode {settings.get('mode')} is unknown")
        settings.bool("flag")
        return metadata("rule", "0.1.0", "A rule.")

    @evaluator
    def evaluate(self, event):
        log.info(f"saw {event.id}")
        if event.id == "boom":
            raise KeyError("boom")
        return no_match("nothing to do")


def test_describer_and_evaluator_turn_exceptions_into_err(glue_host):
    rule = Rule()
    assert rule.describe([("mode", "a")]).name == "rule"
    with pytest.raises(Err) as refused:
        rule.describe([("mode", "b")])
    assert refused.value.value == "ValueError: mode b is unknown"
    with pytest.raises(Err) as bad_flag:
        rule.describe([("flag", "maybe")])
    assert bad_flag.value.value == 'setting `flag` must be true or false, not "maybe"'
    assert rule.evaluate(testing.event(id="e1")).reason == "nothing to do"
    with pytest.raises(Err) as failed:
        rule.evaluate(testing.event(id="boom"))
    assert failed.value.value == "KeyError: 'boom'"
    assert glue_host.log_lines() == ["info: saw e1", "info: saw boom"]


# ------------------------------------------------------------------------------------------
# Events
# ------------------------------------------------------------------------------------------


def test_glue_spellings_both_ways():
    assert job_state_name(t.JobState_Succeeded()) == "SUCCEEDED"
    assert job_state_name(t.JobState_Other("PAUSED")) == "PAUSED"
    assert job_state_from_glue("TIMEOUT") == t.JobState_Timeout()
    assert job_state_from_glue("timeout") == t.JobState_Other("timeout")
    assert severity_name(severity_from_glue("WARN")) == "WARN"
    assert crawler_state_name(crawler_state_from_glue("Succeeded")) == "Succeeded"
    assert data_quality_state_name(t.DataQualityState_Failed()) == "FAILED"
    assert type_of_change_name(type_of_change_from_glue("BatchCreatePartition")) == "BatchCreatePartition"
    assert type_of_change_from_glue("Other") == t.TypeOfChange_Other("Other")
    assert is_final(t.JobState_Expired()) and not is_final(t.JobState_Running())
    with pytest.raises(TypeError):
        job_state_name(t.Severity_Info())


def test_job_helpers_and_partition():
    failed = testing.job_state_change("MyJob", "FAILED", job_run_id="jr_01", region="cn-north-1")
    assert job_name(failed) == "MyJob" and job_detail(failed).job_run_id == "jr_01"
    assert is_job_state_change(failed) and is_job_failure(failed) and not is_job_success(failed)
    assert partition(failed) == "aws-cn"
    assert partition("us-gov-west-1") == "aws-us-gov" and partition("eu-west-1") == "aws"
    status = testing.event(
        t.Detail_JobRunStatus(
            t.JobRunStatus(
                job_name="slow", job_run_id="jr_2", state=t.JobState_Running(), severity=None,
                message=None, notify_delay_after=5.0, started_on="2024-01-01T00:00:00Z",
            )
        )
    )
    assert job_name(status) == "slow" and not is_job_failure(status) and not is_job_state_change(status)
    assert job_name(testing.event()) is None


def test_detail_and_event_json_come_from_the_host(glue_host):
    from glue_rules_sdk import detail_json, detail_value, event_json, event_value

    assert detail_json() == "{}" and event_json() == "{}"
    testing.job_state_change("MyJob", "FAILED", severity="ERROR", id="abcdef01")
    assert detail_value() == {"jobName": "MyJob", "jobRunId": "jr_test", "severity": "ERROR", "state": "FAILED"}
    assert event_value()["id"] == "abcdef01"
    assert json.loads(event_json())["detail"] == json.loads(detail_json())
