#!/usr/bin/env bash
# Packs the JavaScript/TypeScript SDK the way the npm registry would serve it: `npm pack` into
# OUT_DIR/glue-rules-sdk-VERSION.tgz, the file a project's
# `"@glue-rules/sdk": "file:/abs/glue-rules-sdk-VERSION.tgz"` installs.
#
#   guest-sdk/js/pack.sh OUT_DIR
#
# Before packing it checks that the package is self-consistent: its wit/rule.wit is the
# repository's contract (when run inside the repository) and src/wit.d.ts is what that WIT
# gives. npm pack writes fixed timestamps, so the same sources give the same bytes; when the
# packed files are unchanged since the last run into OUT_DIR, the tarball is left as it is. No
# network, no dependencies.
set -euo pipefail
out="${1:?usage: pack.sh OUT_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
version="$(node -p "require('$here/package.json').version")"
tarball="glue-rules-sdk-$version.tgz"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [ -f "$here/../../wit/rule.wit" ] && ! cmp -s "$here/wit/rule.wit" "$here/../../wit/rule.wit"; then
  echo "pack.sh: guest-sdk/js/wit/rule.wit differs from wit/rule.wit: copy it over, then run \`npm run wit-types\` in guest-sdk/js" >&2
  exit 1
fi
node "$here/scripts/wit-types.mjs" --check

# The packed files' hash: when the tarball in OUT_DIR was packed from the same files, done.
inputs="$(cd "$here" && find package.json README.md src wit -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
stamp="$out/.$tarball.inputs"
if [ -f "$out/$tarball" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
  echo "$out/$tarball"
  exit 0
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
(cd "$here" && npm pack --quiet --pack-destination "$scratch" >/dev/null)
[ -f "$scratch/$tarball" ] || { echo "pack.sh: npm pack wrote no $tarball" >&2; exit 1; }
if ! cmp -s "$scratch/$tarball" "$out/$tarball"; then
  mv "$scratch/$tarball" "$out/$tarball"
fi
echo "$inputs" > "$stamp"
echo "$out/$tarball"
