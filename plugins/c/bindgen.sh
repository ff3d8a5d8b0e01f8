#!/usr/bin/env bash
# Regenerates bindings/ from wit/rule.wit with wit-bindgen's C generator (wit-bindgen-cli
# 0.63.0; `cargo install wit-bindgen-cli@0.63.0 --no-default-features --features c` once, about
# 8 minutes). Writes bindings/wit.sha256 so the tests notice a WIT change without bindings.
set -euo pipefail
cd "$(dirname "$0")"
wit_bindgen="${WIT_BINDGEN:-wit-bindgen}"
"$wit_bindgen" c ../../wit --world rule --no-object-file --out-dir bindings
sha256sum ../../wit/rule.wit | cut -d' ' -f1 > bindings/wit.sha256
