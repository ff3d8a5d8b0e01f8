#!/bin/sh
# Builds build/{{name}}.wasm: zig compiles the C to wasm32, wasm-tools embeds the WIT and makes
# the component (both from requirements.txt). bindings/ holds wit-bindgen's C bindings of
# wit/rule.wit (wit-bindgen-cli 0.63.0: `wit-bindgen c wit --world rule --no-object-file
# --out-dir bindings` regenerates them).
set -eu
cd "$(dirname "$0")"
mkdir -p build/core
python3 -m ziglang cc -target wasm32-wasi -mexec-model=reactor -Os -Wall -Wextra -Werror \
  -Ibindings -Isrc bindings/rule.c src/glue_rules.c src/rule.c -o build/core/{{name}}.wasm
wasm-tools component embed wit --world rule build/core/{{name}}.wasm -o build/core/{{name}}.embedded.wasm
wasm-tools component new build/core/{{name}}.embedded.wasm -o build/{{name}}.wasm
