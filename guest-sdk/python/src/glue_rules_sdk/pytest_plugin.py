"""The pytest plugin of glue-rules-sdk (entry point ``pytest11``), loaded wherever the SDK is
installed: every test starts with a fresh stand-in host, and the ``glue_host`` fixture returns
it. It imports the SDK only for tests that use it, so other projects in the same environment
pay nothing."""

from __future__ import annotations

import sys
from typing import Any, Iterator

import pytest


@pytest.fixture(autouse=True)
def _glue_rules_fresh_host() -> Iterator[None]:
    """Gives each test a fresh host (settings, logs, event) once ``glue_rules_sdk.testing`` is
    in use, so that tests do not see each other's settings."""
    testing = sys.modules.get("glue_rules_sdk.testing")
    if testing is not None:
        testing.reset()
    yield


@pytest.fixture
def glue_host() -> Any:
    """The stand-in host of this test (a ``glue_rules_sdk.testing.Host``)."""
    from glue_rules_sdk import testing

    return testing.reset()
