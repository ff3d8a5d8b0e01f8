#!/usr/bin/env bash
# The C SDK's own tests: tests/sdk_test.c compiled natively with zig cc (PyPI ziglang, as
# plugin projects compile their tests), with the bindings, and run; then, when gcc is there,
# again under AddressSanitizer and UndefinedBehaviorSanitizer, which catch the leaks, double
# frees and out-of-bounds reads a C SDK can have. Also checks that the shipped WIT is the
# repository's and that the bindings were generated from it.
#
# Needs zig from $GLUE_RULES_VENV (default ~/.cache/glue-rules/venv) or `python3 -m ziglang`.
# With GLUE_RULES set to a glue-rules binary that has `event --typed`, the typed view of a
# fixture is also read through it.
set -euo pipefail
cd "$(dirname "$0")"
venv="${GLUE_RULES_VENV:-$HOME/.cache/glue-rules/venv}"
python=python3
[ -x "$venv/bin/python" ] && python="$venv/bin/python"

if [ -f ../../wit/rule.wit ] && ! cmp -s wit/rule.wit ../../wit/rule.wit; then
  echo "error: guest-sdk/c/wit/rule.wit differs from wit/rule.wit: copy it and run ./bindgen.sh" >&2
  exit 1
fi
if [ "$(sha256sum wit/rule.wit | cut -d' ' -f1)" != "$(cat bindings/wit.sha256)" ]; then
  echo "error: bindings/ were not generated from wit/rule.wit: run ./bindgen.sh" >&2
  exit 1
fi

out=build/test
mkdir -p "$out"
if [ -n "${GLUE_RULES:-}" ] && "$GLUE_RULES" event --help >/dev/null 2>&1; then
  export GLUE_RULES_SDK_TEST_TYPED=1
fi
flags=(-std=gnu11 -g -Wall -Wextra -Werror -I. -Ibindings)
"$python" -m ziglang cc "${flags[@]}" -Wno-unknown-attributes bindings/rule.c tests/sdk_test.c \
  -o "$out/sdk_test"
"$out/sdk_test"
if command -v gcc >/dev/null; then
  gcc "${flags[@]}" -Wno-attributes -fsanitize=address,undefined -fno-sanitize-recover=all \
    bindings/rule.c tests/sdk_test.c -o "$out/sdk_test_sanitized"
  "$out/sdk_test_sanitized"
fi
