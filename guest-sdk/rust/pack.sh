#!/usr/bin/env bash
# Packs the Rust SDK the way crates.io would serve it: `cargo package` (which builds the crate
# from the packaged files alone, so a crate that reaches outside itself fails here), then the
# .crate unpacked into OUT_DIR/glue-rules-sdk-VERSION/, the directory a project's
# `glue-rules-sdk = { version = "...", path = "..." }` can point at.
#
#   guest-sdk/rust/pack.sh OUT_DIR
set -euo pipefail
out="${1:?usage: pack.sh OUT_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -n1)"
target="${CARGO_TARGET_DIR:-$here/../../target}"
mkdir -p "$out"
(cd "$here" && cargo package --locked --allow-dirty -p glue-rules-sdk --quiet)
crate="$target/package/glue-rules-sdk-$version.crate"
[ -f "$crate" ] || { echo "pack.sh: cargo package wrote no $crate" >&2; exit 1; }
rm -rf "$out/glue-rules-sdk-$version"
tar -xzf "$crate" -C "$out"
cp "$crate" "$out/"
echo "$out/glue-rules-sdk-$version"
