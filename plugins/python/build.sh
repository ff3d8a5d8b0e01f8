#!/usr/bin/env bash
# Builds the Python rules into WebAssembly components: build.sh [OUT_DIR] (default ./build).
# Needs the glue-rules-sdk package and componentize-py (requirements.txt) in $GLUE_RULES_VENV,
# else in the `python3` on PATH; the SDK brings the WIT and puts itself on componentize-py's path.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-build}"
mkdir -p "$out"
python="python3"
if [ -n "${GLUE_RULES_VENV:-}" ]; then python="$GLUE_RULES_VENV/bin/python"; fi
for module in lambda_on_success sns_on_failure; do
  "$python" -m glue_rules_sdk componentize -p . "$module" -o "$out/${module//_/-}.wasm"
done
