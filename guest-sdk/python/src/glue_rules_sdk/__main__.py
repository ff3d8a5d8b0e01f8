"""``python -m glue_rules_sdk`` (also the ``glue-rules-sdk`` script): the SDK's paths and the
componentize-py build, so that a project needs no copy of the WIT and builds the same whether
or not its virtual environment is activated.

    python -m glue_rules_sdk wit-path                # the directory of rule.wit, for -d
    python -m glue_rules_sdk python-path             # the directory holding glue_rules_sdk
    python -m glue_rules_sdk bindings DIR            # wit_world stubs for an editor
    python -m glue_rules_sdk componentize app -p src -o build/rule.wasm
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m glue_rules_sdk",
        description="Paths and builds for glue-rules rule plugins in Python (glue:rules@0.2.0).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("wit-path", help="print the directory holding rule.wit (componentize-py -d)")
    commands.add_parser("python-path", help="print the directory holding the glue_rules_sdk package")
    bindings = commands.add_parser(
        "bindings", help="write componentize-py's wit_world stubs into DIR (editors, type checkers)"
    )
    bindings.add_argument("dir", type=Path)
    build = commands.add_parser(
        "componentize",
        help="build a rule module into a component with componentize-py, against the SDK's WIT",
    )
    build.add_argument("app", help="the rule's module name, e.g. app for src/app.py")
    build.add_argument(
        "-p", "--python-path", action="append", default=[], metavar="DIR",
        help="a directory holding the module and its own dependencies (repeatable)",
    )
    build.add_argument("-o", "--output", required=True, help="the component to write")
    args = parser.parse_args(argv)

    # Imported here: the package itself (and so wit_world) is not needed to print paths.
    from . import _native, _paths

    if args.command == "wit-path":
        print(_paths.wit_path())
        return 0
    if args.command == "python-path":
        print(_paths.python_path())
        return 0
    try:
        if args.command == "bindings":
            _native.generate_bindings(args.dir)
            return 0
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        return _native.componentize(args.app, args.python_path or ["."], args.output)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
