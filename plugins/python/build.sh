#!/usr/bin/env bash
# Builds the Python rules into WebAssembly components: build.sh [OUT_DIR] (default ./build).
# Needs componentize-py (requirements.txt) on PATH or in $GLUE_RULES_VENV.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-build}"
mkdir -p "$out"
componentize_py="componentize-py"
if [ -n "${GLUE_RULES_VENV:-}" ]; then componentize_py="$GLUE_RULES_VENV/bin/componentize-py"; fi
for module in lambda_on_success sns_on_failure; do
  "$componentize_py" -d ../../wit -w rule componentize -p . "$module" -o "$out/${module//_/-}.wasm"
done
