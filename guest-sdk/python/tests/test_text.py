"""JSON text, globs and pattern values: the Rust SDK's cases, and serde_json's own output for
the number layouts (taken from serde_json 1.0.154)."""

import json

import pytest

from glue_rules_sdk import (
    JsonObject, glob, glob_any, glob_pattern_value, json_string, to_json, trim,
)
from glue_rules_sdk._json import parse_json


def test_json_string_escapes_as_the_rust_sdk():
    assert json_string('My "Job" \\ \n\r\t\b\x01\x7f\u2028é') == (
        '"My \\"Job\\" \\\\ \\n\\r\\t\\u0008\\u0001\x7f\u2028é"'
    )


def test_json_object_members_in_order():
    text = (
        JsonObject()
        .string("jobName", 'My "Job"')
        .integer("attempt", 2)
        .float("score", 0.5)
        .float("nan", float("nan"))
        .float("whole", 1e20)
        .bool("ok", True)
        .opt_string("none", None)
        .strings("states", ["A", "B"])
        .raw("detail", '{"x":1}')
        .finish()
    )
    assert text == (
        '{"jobName":"My \\"Job\\"","attempt":2,"score":0.5,"nan":null,'
        '"whole":100000000000000000000,"ok":true,"none":null,"states":["A","B"],"detail":{"x":1}}'
    )
    assert JsonObject().finish() == "{}"


@pytest.mark.parametrize(
    "number, serde, display",
    [
        (1.0, "1.0", "1"), (0.1, "0.1", "0.1"), (1e15, "1000000000000000.0", "1000000000000000"),
        (1e16, "1e+16", "10000000000000000"), (1e20, "1e+20", "100000000000000000000"),
        (1.2345678901234568e17, "1.2345678901234568e+17", "123456789012345680"),
        (1.5e-7, "1.5e-7", "0.00000015"), (1e-5, "0.00001", "0.00001"),
        (1e-6, "1e-6", "0.000001"), (9.999e-5, "0.00009999", "0.00009999"),
        (-3.25, "-3.25", "-3.25"), (1234567890123456.8, "1234567890123456.8", "1234567890123456.8"),
        (5e-324, "5e-324", None), (1.7976931348623157e308, "1.7976931348623157e+308", None),
        (-0.0, "-0.0", "-0"), (0.0, "0.0", "0"),
    ],
)
def test_numbers_are_laid_out_as_rust_writes_them(number, serde, display):
    assert to_json(number) == serde
    if display is not None:
        assert JsonObject().float("n", number).finish() == f'{{"n":{display}}}'


def test_to_json_is_compact_and_keeps_or_sorts_members():
    value = {"b": [1, True, None, "\b\f\x01"], "a": {"y": 2.5, "x": "é"}}
    assert to_json(value) == '{"b":[1,true,null,"\\b\\f\\u0001"],"a":{"y":2.5,"x":"é"}}'
    assert to_json(value, sort_keys=True) == '{"a":{"x":"é","y":2.5},"b":[1,true,null,"\\b\\f\\u0001"]}'
    with pytest.raises(TypeError):
        to_json({1: "x"})
    with pytest.raises(ValueError):
        to_json(float("inf"))


def test_parse_json_reads_numbers_as_serde_json():
    value = parse_json("[123456789012345678901234567890, -9223372036854775809, 18446744073709551615, 1.0]")
    assert to_json(value) == "[1.2345678901234568e+29,-9.223372036854776e+18,18446744073709551615,1.0]"
    with pytest.raises(ValueError):
        parse_json("[NaN]")


def test_trim_is_rusts():
    assert trim("\u3000 x\t\x85") == "x"
    assert trim("\x1cx\x1f") == "\x1cx\x1f"  # Python's strip() would remove these


@pytest.mark.parametrize(
    "pattern, text, matches",
    [
        ("", "", True), ("", "a", False), ("*", "", True), ("*", "anything", True),
        ("MyJob", "MyJob", True), ("MyJob", "myjob", False), ("MyJob", "MyJob2", False),
        ("My?ob", "MyJob", True), ("?", "", False), ("nightly-*", "nightly-", True),
        ("*-etl-*", "sales-etl-daily", True), ("*-etl-*", "sales-etl", False),
        ("a*b*c", "aXXbYYbZc", True), ("a*b*c", "aXXbYYbZ", False), ("**a**", "bab", True),
        ("j?b-é*", "job-été", True), ("job", "jo", False),
    ],
)
def test_glob(pattern, text, matches):
    assert glob(pattern, text) is matches


def test_many_stars_stay_fast():
    assert not glob("*a" * 50 + "b", "a" * 2000)


def test_glob_any():
    assert glob_any(["x", "My*"], "MyJob")
    assert not glob_any([], "MyJob")


@pytest.mark.parametrize(
    "pattern, value",
    [
        ("MyJob", '"MyJob"'), ("nightly-*", '{"prefix":"nightly-"}'),
        ("*-etl-*", '{"wildcard":"*-etl-*"}'), ("a**b*", '{"wildcard":"a*b*"}'),
        ("*", '{"prefix":""}'), ("a\\b*c", '{"wildcard":"a\\\\\\\\b*c"}'),
        ('q"*', '{"prefix":"q\\""}'), ("My?ob*", None), ("job-??", None),
    ],
)
def test_pattern_values_select_what_the_glob_matches(pattern, value):
    assert glob_pattern_value(pattern) == value
    if value is not None:
        json.loads(value)
