"""Templating: the Rust SDK's table tests (EventBridge's documented input-transformer examples)
and the edges of its semantics, so both SDKs render the same text."""

import json

import pytest

from glue_rules_sdk import testing
from glue_rules_sdk.template import MAX_VARIABLES, Predefined, TemplateError, render, render_event


def ec2():
    """The EC2 state-change event of EventBridge's input transformation guide."""
    return {
        "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "detail": {"instance-id": "i-0123456789", "state": "RUNNING"},
    }


PATHS = [("instance", "$.detail.instance-id"), ("state", "$.detail.state")]


@pytest.mark.parametrize(
    "template, rendered",
    [
        # A JSON string template: the values inside the string.
        ('"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
        # Plain text.
        ("instance <instance> is in <state>", "instance i-0123456789 is in RUNNING"),
        # Outside quotes in a JSON template: the values as JSON.
        (
            '{"instance" : <instance>, "state": [9, <state>, true]}',
            '{"instance" : "i-0123456789", "state": [9, "RUNNING", true]}',
        ),
        # Inside quotes.
        (
            '{"instance" : "<instance>", "state": "<state>"}',
            '{"instance" : "i-0123456789", "state": "RUNNING"}',
        ),
        # The API reference's mixed example.
        (
            '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<state>\\""}',
            '{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \\"RUNNING\\""}',
        ),
    ],
)
def test_the_guides_examples_render_as_eventbridge_renders_them(template, rendered):
    assert render(template, PATHS, ec2()) == rendered


def test_paths_may_be_a_mapping():
    assert render("<state>", dict(PATHS), ec2()) == "RUNNING"


def test_values_are_quoted_safely_for_json_strings():
    event = {"detail": {"message": 'a "quoted"\nline', "n": 3, "o": {"k": [1]}}}
    paths = {"m": "$.detail.message", "n": "$.detail.n", "o": "$.detail.o"}
    out = render('{"text": "<m> / <n> / <o>", "o": <o>, "m": <m>}', paths, event)
    parsed = json.loads(out)
    assert parsed["text"] == 'a "quoted"\nline / 3 / {"k":[1]}'
    assert parsed["o"] == {"k": [1]}
    assert parsed["m"] == 'a "quoted"\nline'


def test_predefined_variables_and_the_whole_event():
    predefined = Predefined(
        rule_name="sns-on-failure", rule_arn="arn:aws:events:us-east-1:123456789012:rule/x"
    )
    out = render(
        '{"rule": "<aws.events.rule-name>", "arn": "<aws.events.rule-arn>", '
        '"at": "<aws.events.event.ingestion-time>", "event": <aws.events.event>, '
        '"all": <aws.events.event.json>}',
        PATHS,
        ec2(),
        predefined,
    )
    parsed = json.loads(out)
    assert parsed["rule"] == "sns-on-failure"
    assert parsed["arn"] == "arn:aws:events:us-east-1:123456789012:rule/x"
    assert parsed["at"] == "2015-11-11T21:29:54Z"
    assert "detail" not in parsed["event"] and parsed["event"]["id"] == ec2()["id"]
    assert parsed["all"] == ec2()
    assert render("<aws.events.event.ingestion-time>", [], ec2(), Predefined(ingestion_time="T")) == "T"
    # The whole event cannot go where it would need escaping.
    for template in ('"<aws.events.event.json>"', "plain <aws.events.event>"):
        with pytest.raises(TemplateError, match="only stand as a JSON value"):
            render(template, [], ec2(), predefined)


def test_arrays_missing_paths_unknown_names_and_bad_paths():
    paths = [("arn", "$.resources[0]"), ("nope", "$.detail.missing")]
    out = render(
        '{"arn": <arn>, "missing": <nope>, "text": "[<nope>]", "other": "<other>"}',
        paths,
        ec2(),
    )
    assert out == (
        '{"arn": "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111", "missing": null, '
        '"text": "[]", "other": "<other>"}'
    )
    with pytest.raises(TemplateError) as bad:
        render("x", [("v", "detail.state")], ec2())
    assert str(bad.value) == 'variable "v": path "detail.state" must start with $'
    with pytest.raises(TemplateError, match="reserved"):
        render("x", [("aws.x", "$")], ec2())


@pytest.mark.parametrize(
    "path, problem",
    [
        ("$..a", 'path "$..a" has an empty member'),
        ("$.a[0", 'path "$.a[0": unclosed ['),
        ("$.a[-1]", 'path "$.a[-1]": "-1" is not an array index'),
        ("$.a[x]", 'path "$.a[x]": "x" is not an array index'),
        ("$a", 'path "$a": expected . or [ at "a"'),
    ],
)
def test_bad_paths_are_named(path, problem):
    with pytest.raises(TemplateError) as bad:
        render("x", [("v", path)], {})
    assert str(bad.value) == f'variable "v": {problem}'


def test_at_most_one_hundred_variables():
    paths = [(f"v{i}", "$") for i in range(MAX_VARIABLES)]
    assert render("<v0>", paths, "x") == "x"
    with pytest.raises(TemplateError, match="101 variables: an input transformer has at most 100"):
        render("x", paths + [("one-more", "$")], {})


def test_plain_text_writes_text_and_json_for_other_values():
    event = {"s": "a\"b", "n": 1.0, "big": 1e20, "b": True, "o": {"z": 1, "a": None}, "l": [1, "x"]}
    paths = [(k, f"$.{k}") for k in event] + [("first", "$.l[0]"), ("none", "$.nothing")]
    assert render("<s>|<n>|<big>|<b>|<o>|<l>|<first>|<none>|", paths, event) == (
        'a"b|1.0|1e+20|true|{"a":null,"z":1}|[1,"x"]|1||'
    )
    # In a JSON string, the JSON text of non-strings is escaped; objects are written in key order.
    assert render('"<o>"', paths, event) == '"{\\"a\\":null,\\"z\\":1}"'
    assert render("[<o>, <none>]", paths, event) == '[{"a":null,"z":1}, null]'


def test_white_space_before_a_json_template_and_escapes_in_strings():
    event = {"v": "x\ty\b"}
    assert render('  \n{"k": "<v>"}', [("v", "$.v")], event) == '  \n{"k": "x\\ty\\b"}'
    # An escaped quote does not end the string: the value after it is still inside.
    assert render('"\\"<v>"', [("v", "$.v")], event) == '"\\"x\\ty\\b"'


def test_a_placeholder_without_a_variable_is_kept_and_scanning_goes_on():
    assert render("a <b <state> c>", PATHS, ec2()) == "a <b RUNNING c>"
    assert render("<>", PATHS, ec2()) == "<>"


def test_render_event_reads_the_event_in_progress():
    testing.job_state_change("nightly", "FAILED", message="boom")
    assert render_event("<job>: <m>", {"job": "$.detail.jobName", "m": "$.detail.message"}) == (
        "nightly: boom"
    )
    testing.current().envelope = None
    assert render_event("job: <job>", {"job": "$.detail.jobName"}) == "job: "
