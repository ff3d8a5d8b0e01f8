#!/usr/bin/env bash
# Builds the JavaScript rules into WebAssembly components: build.sh [OUT_DIR] (default ./build).
# Needs `npm ci` first (the SDK from ../../guest-sdk/js, esbuild and componentize-js, pinned in
# package-lock.json).
#
# esbuild bundles each rule with the SDK into one ES module (componentize-js loads relative
# modules only, not packages), leaving the WIT import `glue:rules/host@0.2.0` to componentize-js,
# which takes the WIT from the SDK package.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-build}"
mkdir -p "$out" build/js
for rule in lambda-on-success sns-on-failure; do
  node_modules/.bin/esbuild "$rule.js" --bundle --format=esm --platform=neutral \
    '--external:glue:rules/*' --log-level=warning --outfile="build/js/$rule.js"
  # -d http fetch-event: a rule has no network, so leave the engine's fetch() out (the host
  # would only stub it); stdio stays so that console.log reaches the host log.
  node_modules/.bin/componentize-js "build/js/$rule.js" --wit node_modules/@glue-rules/sdk/wit \
    --world-name rule -d http fetch-event -o "$out/$rule.wasm"
done
