#!/usr/bin/env bash
# Builds every SDK package into OUT_DIR, as each would be published:
#   glue-rules-sdk-VERSION/ and .crate      Rust (cargo package)
#   glue-rules-sdk-VERSION.tgz              JavaScript and TypeScript (npm pack)
#   glue_rules_sdk-VERSION-py3-none-any.whl Python
#   glue_rules_sdk_c-VERSION-py3-none-any.whl C (the header, bindings and WIT)
# `glue-rules new --sdk PATH` makes a project depend on one of them, which is how the
# authoring tests install the SDKs.
#
#   guest-sdk/pack.sh OUT_DIR
set -euo pipefail
out="${1:?usage: pack.sh OUT_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
for lang in rust js python c; do
  bash "$here/$lang/pack.sh" "$out" >/dev/null || { echo "error: packing the $lang SDK failed" >&2; exit 1; }
done
ls "$out"
