#!/usr/bin/env bash
# Builds the JavaScript rules into WebAssembly components: build.sh [OUT_DIR] (default ./build).
# Needs `npm ci` first (componentize-js, pinned in package-lock.json).
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-build}"
mkdir -p "$out"
for rule in lambda-on-success sns-on-failure; do
  # -d http fetch-event: a rule has no network, so leave the engine's fetch() out (the host
  # would only stub it); stdio stays so that console.log reaches the host log.
  node_modules/.bin/componentize-js "$rule.js" --wit ../../wit --world-name rule \
    -d http fetch-event -o "$out/$rule.wasm"
done
