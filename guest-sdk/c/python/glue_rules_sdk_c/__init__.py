"""Where the glue-rules C SDK's files are, once the ``glue-rules-sdk-c`` wheel is installed.

The wheel carries no code to run: the single header ``glue_rules.h`` (with
``glue_rules_testing.h``, the stand-in host for native tests), wit-bindgen 0.63's C bindings of
the contract (``rule.h``, ``rule.c``) and the WIT they were generated from. A build finds them
with ``python -m glue_rules_sdk_c --include-dir`` (``--bindings-dir``, ``--wit-dir``), or from
Python with the functions below.
"""

from pathlib import Path

__all__ = ["CONTRACT", "__version__", "bindings_dir", "include_dir", "wit_dir"]

#: The SDK's version: the contract's, so 0.2.x targets glue:rules@0.2.0. ``glue_rules.h`` says
#: the same in ``GLUE_RULES_SDK_VERSION``.
__version__ = "0.2.0"

#: The WIT package the header, the bindings and the WIT implement.
CONTRACT = "glue:rules@0.2.0"

_ROOT = Path(__file__).resolve().parent


def _existing(path: Path) -> Path:
    # A broken install (files deleted, a partial copy) should say so here, not as a compiler's
    # "file not found" three steps later.
    if not path.is_dir():
        raise FileNotFoundError(f"glue-rules-sdk-c is installed without {path}: reinstall it")
    return path


def include_dir() -> Path:
    """The directory of ``glue_rules.h`` and ``glue_rules_testing.h`` (pass it with ``-I``)."""
    return _existing(_ROOT / "include")


def bindings_dir() -> Path:
    """The directory of the generated ``rule.h`` and ``rule.c`` (``-I`` it and compile
    ``rule.c`` with the plugin)."""
    return _existing(_ROOT / "bindings")


def wit_dir() -> Path:
    """The directory of ``rule.wit``, for ``wasm-tools component embed WIT_DIR --world rule``."""
    return _existing(_ROOT / "wit")
