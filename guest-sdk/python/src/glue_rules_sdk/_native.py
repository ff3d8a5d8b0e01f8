"""The SDK outside a component: the WIT it ships, componentize-py's bindings for native tests,
and the componentize-py build with the SDK on its path.

Nothing here runs inside a component; it is imported by ``_bindings`` only when ``wit_world``
is missing (a native process) and by the command line (``python -m glue_rules_sdk``).
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence

from ._paths import python_path, wit_path

#: The WIT world every rule implements, in the package ``glue:rules@0.2.0`` of ``wit/rule.wit``.
WORLD = "rule"

#: The componentize-py version this SDK is tested with; projects pin the same.
COMPONENTIZE_PY = "0.25.1"

def _componentize_py_command() -> List[str]:
    """How to run componentize-py: this interpreter's module when it has one (the venv the SDK
    is installed in), else a ``componentize-py`` on PATH."""
    if importlib.util.find_spec("componentize_py") is not None:
        return [
            sys.executable,
            "-c",
            "import sys, componentize_py; sys.argv[0] = 'componentize-py'; componentize_py.script()",
        ]
    found = shutil.which("componentize-py")
    if found is not None:
        return [found]
    raise RuntimeError(
        "glue_rules_sdk: componentize-py is not installed for "
        f"{sys.executable} nor on PATH; it generates the contract's Python bindings (for a "
        f"build and for native tests): pip install componentize-py=={COMPONENTIZE_PY}"
    )


def generate_bindings(output_dir: Path) -> None:
    """Writes componentize-py's Python bindings of the ``rule`` world (``wit_world``,
    ``componentize_py_types``) into ``output_dir``, for native tests and editors."""
    command = _componentize_py_command() + [
        "-d", wit_path(), "-w", WORLD, "bindings", str(output_dir),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(
            f"glue_rules_sdk: `componentize-py bindings` for {wit_path()} failed "
            f"(exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
        )


_generated: Optional[Path] = None


def add_bindings_to_path() -> Path:
    """Generates the bindings into a directory of this process (once) and appends it to
    ``sys.path``, so ``import wit_world`` works outside a component. Returns the directory."""
    global _generated
    if _generated is None:
        directory = Path(tempfile.mkdtemp(prefix="glue-rules-sdk-bindings-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        generate_bindings(directory)
        _generated = directory
        sys.path.append(str(directory))
        importlib.invalidate_caches()
    return _generated


def componentize(app: str, paths: Sequence[str], output: str, extra: Sequence[str] = ()) -> int:
    """Builds the component of rule module ``app`` (found on ``paths``) into ``output`` with
    componentize-py, against the WIT shipped here and with the SDK on the Python path, whether
    or not the virtual environment is activated. Returns componentize-py's exit status."""
    command = _componentize_py_command() + ["-d", wit_path(), "-w", WORLD, "componentize"]
    for path in paths:
        command += ["-p", path]
    command += ["-p", python_path(), *extra, app, "-o", output]
    env = dict(os.environ)
    # componentize-py adds the site-packages of $VIRTUAL_ENV, else of whatever `python3` is
    # on PATH; point it at this interpreter's environment rather than a stranger's.
    if sys.prefix != sys.base_prefix:
        env["VIRTUAL_ENV"] = sys.prefix
    return subprocess.run(command, env=env).returncode
