"""``python -m glue_rules_sdk_c``: prints where the SDK's files are, for build scripts.

    python -m glue_rules_sdk_c --include-dir    # glue_rules.h, glue_rules_testing.h
    python -m glue_rules_sdk_c --bindings-dir   # rule.h, rule.c
    python -m glue_rules_sdk_c --wit-dir        # rule.wit
    python -m glue_rules_sdk_c --cflags         # -I for both header directories
    python -m glue_rules_sdk_c --version        # 0.2.0 (glue:rules@0.2.0)
"""

import argparse
import sys

from . import CONTRACT, __version__, bindings_dir, include_dir, wit_dir


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m glue_rules_sdk_c",
        description="Prints where the glue-rules C SDK's files are installed.",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--include-dir", action="store_true", help="the directory of glue_rules.h")
    what.add_argument("--bindings-dir", action="store_true", help="the directory of rule.h and rule.c")
    what.add_argument("--wit-dir", action="store_true", help="the directory of rule.wit")
    what.add_argument("--cflags", action="store_true", help="-I options for the header directories")
    what.add_argument("--version", action="store_true", help="the SDK's version and contract")
    args = parser.parse_args(argv)
    try:
        if args.include_dir:
            print(include_dir())
        elif args.bindings_dir:
            print(bindings_dir())
        elif args.wit_dir:
            print(wit_dir())
        elif args.cflags:
            print(f"-I{include_dir()} -I{bindings_dir()}")
        else:
            print(f"{__version__} ({CONTRACT})")
    except FileNotFoundError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
