"""Where this package's files are, for builds and native tests (meaningless in a component,
which has no file system)."""

from __future__ import annotations

import os

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def wit_path() -> str:
    """The directory holding the WIT this SDK targets (``rule.wit``, glue:rules@0.2.0), for
    ``componentize-py -d``: projects need no copy of it."""
    return os.path.join(_PACKAGE_DIR, "wit")


def python_path() -> str:
    """The directory the ``glue_rules_sdk`` package is installed in (site-packages, usually),
    which a componentize-py build needs on its ``-p`` path to find the SDK."""
    return os.path.dirname(_PACKAGE_DIR)
