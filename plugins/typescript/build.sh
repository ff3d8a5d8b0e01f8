#!/usr/bin/env bash
# Builds the TypeScript rules into WebAssembly components: build.sh [OUT_DIR] (default ./build).
# Type-checks with tsc, bundles each rule with the SDK (../../guest-sdk/js) into one ES module
# with esbuild (componentize-js loads relative modules only, not packages), and componentizes it
# with componentize-js against the WIT the SDK ships. Needs `npm ci` first (all pinned in
# package-lock.json).
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-build}"
mkdir -p "$out" build/js
node_modules/.bin/tsc --noEmit -p .
for rule in lambda-on-success sns-on-failure; do
  node_modules/.bin/esbuild "$rule.ts" --bundle --format=esm --platform=neutral \
    '--external:glue:rules/*' --log-level=warning --outfile="build/js/$rule.js"
  node_modules/.bin/componentize-js "build/js/$rule.js" --wit node_modules/@glue-rules/sdk/wit \
    --world-name rule -d http fetch-event -o "$out/$rule.wasm"
done
