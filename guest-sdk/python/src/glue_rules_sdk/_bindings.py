"""Where the SDK reaches the contract: the ``wit_world`` modules componentize-py generates.

Inside a component (``componentize-py componentize``, where ``sys.platform`` is ``wasi``),
componentize-py generates ``wit_world`` for the world it builds and puts it on the path before
it runs the rule, so the SDK imports it like any module: nothing is copied into the project or
shipped in this package. ``componentize_py_types`` (``Err``) comes with it.

Outside a component (pytest, a REPL), nobody generated them, so the SDK asks componentize-py
for the same modules once per process (``componentize-py bindings``, about 0.1 s, into a
temporary directory) and imports those: the records, variants and enums are then the real
dataclasses, and only the host's functions are stand-ins, which ``glue_rules_sdk.testing``
replaces. A project that generated its own ``wit_world`` (for an editor) keeps it: the SDK uses
whatever ``wit_world`` is importable first.
"""

from __future__ import annotations

import sys

_GENERATED = ("wit_world", "componentize_py_types")


def _missing_bindings(error: ModuleNotFoundError) -> bool:
    name = error.name or ""
    return any(name == top or name.startswith(top + ".") for top in _GENERATED)


try:
    from componentize_py_types import Err
    from wit_world import exports
    from wit_world.imports import host, types
except ModuleNotFoundError as error:
    if sys.platform == "wasi" or not _missing_bindings(error):
        raise
    from ._native import add_bindings_to_path

    add_bindings_to_path()
    from componentize_py_types import Err
    from wit_world import exports
    from wit_world.imports import host, types

__all__ = ["Err", "exports", "host", "types"]
