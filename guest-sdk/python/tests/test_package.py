"""The package itself: the WIT it ships is the repository's, and the command line gives the
paths a componentize-py build needs."""

import subprocess
import sys
from pathlib import Path

import pytest

import glue_rules_sdk
from glue_rules_sdk.__main__ import main

REPO_WIT = Path(__file__).resolve().parents[3] / "wit" / "rule.wit"


def test_the_shipped_wit_is_the_contract_it_names():
    shipped = Path(glue_rules_sdk.wit_path()) / "rule.wit"
    text = shipped.read_text()
    assert "package glue:rules@0.2.0;" in text and "world rule {" in text
    assert glue_rules_sdk.CONTRACT == "glue:rules@0.2.0" and glue_rules_sdk.__version__ == "0.2.0"
    if REPO_WIT.is_file():
        assert text == REPO_WIT.read_text(), "copy wit/rule.wit into src/glue_rules_sdk/wit/"


def test_the_command_line_prints_the_paths(capsys):
    assert main(["wit-path"]) == 0
    assert Path(capsys.readouterr().out.strip()) == Path(glue_rules_sdk.wit_path())
    assert main(["python-path"]) == 0
    assert (Path(capsys.readouterr().out.strip()) / "glue_rules_sdk" / "__init__.py").is_file()


def test_python_m_works_and_bindings_are_written(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "glue_rules_sdk", "bindings", str(tmp_path / "b")],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b" / "wit_world" / "imports" / "host.py").is_file()
    assert (tmp_path / "b" / "componentize_py_types.py").is_file()


def test_the_api_is_typed():
    assert (Path(glue_rules_sdk.__file__).parent / "py.typed").is_file()
    missing = [name for name in glue_rules_sdk.__all__ if not hasattr(glue_rules_sdk, name)]
    assert missing == []


@pytest.mark.parametrize("name", ["lambda_invoke", "sns_publish", "sqs_send_message", "kinesis_put_record", "sfn_start_execution", "ssm_send_command"])
def test_every_action_of_the_contract_has_a_builder(name):
    assert callable(getattr(glue_rules_sdk, name))
    assert getattr(glue_rules_sdk, name).__doc__
