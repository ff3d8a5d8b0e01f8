#!/usr/bin/env bash
# Regenerates bindings/ from wit/rule.wit with wit-bindgen's C generator (wit-bindgen-cli
# 0.63.0; `cargo install wit-bindgen-cli@0.63.0 --no-default-features --features c` once, about
# 8 minutes). Run it after copying a changed ../../wit/rule.wit into wit/. Writes
# bindings/wit.sha256, the hash of the WIT the bindings were generated from: pack.sh and
# test.sh refuse bindings whose hash is not wit/rule.wit's.
#
# `--no-object-file`: the component type is embedded by `wasm-tools component embed` from
# wit/ (the build has the WIT anyway), and glue_rules.h defines the symbol the generated code
# would otherwise pull that object in with.
set -euo pipefail
cd "$(dirname "$0")"
wit_bindgen="${WIT_BINDGEN:-wit-bindgen}"
"$wit_bindgen" c wit --world rule --no-object-file --out-dir bindings
sha256sum wit/rule.wit | cut -d' ' -f1 > bindings/wit.sha256
