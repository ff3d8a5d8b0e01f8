#!/usr/bin/env bash
# Builds the glue-rules-sdk wheel: pack.sh OUT_DIR writes
# OUT_DIR/glue_rules_sdk-0.2.0-py3-none-any.whl (what `glue-rules new --sdk PATH` depends on).
#
# Checks first that the WIT the package ships is the repository's wit/rule.wit. Builds from a
# copy of the sources (pip builds in the tree it is given, and this one stays clean) with
# `pip wheel`, whose isolated build environment fetches setuptools from PyPI (the pip cache
# serves it after the first time). Idempotent: skipped when the wheel is there and the inputs
# are unchanged. Uses $PYTHON, else python3.
set -euo pipefail
out="${1:?usage: pack.sh OUT_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
version="0.2.0"
wheel="glue_rules_sdk-$version-py3-none-any.whl"
python="${PYTHON:-python3}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

repo_wit="$here/../../wit/rule.wit"
shipped_wit="$here/src/glue_rules_sdk/wit/rule.wit"
if ! cmp -s "$repo_wit" "$shipped_wit"; then
  echo "error: $shipped_wit differs from $repo_wit; the SDK must ship the contract it targets:" >&2
  echo "  cp wit/rule.wit guest-sdk/python/src/glue_rules_sdk/wit/rule.wit" >&2
  exit 1
fi

# The inputs: the package's own files (never build output or caches).
inputs() {
  (cd "$here" && find pyproject.toml README.md src -type f \
    ! -path '*/__pycache__/*' ! -path '*.egg-info/*' ! -name '*.pyc' | LC_ALL=C sort | xargs sha256sum)
}
stamp="$out/.$wheel.inputs.sha256"
want="$(inputs | sha256sum | cut -d' ' -f1)"
if [ -f "$out/$wheel" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$out/$wheel"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/dist"
(cd "$here" && tar cf - pyproject.toml README.md --exclude=__pycache__ --exclude='*.egg-info' src) \
  | tar xf - -C "$work/src"
# Fixed timestamps inside the wheel: the same sources give the same bytes.
SOURCE_DATE_EPOCH=315532800 "$python" -m pip wheel --quiet --disable-pip-version-check \
  --no-deps --wheel-dir "$work/dist" "$work/src" >&2
[ -f "$work/dist/$wheel" ] || { echo "error: pip wheel made no $wheel" >&2; ls "$work/dist" >&2; exit 1; }

# The wheel must hold the WIT, byte for byte, and the typing marker.
"$python" - "$work/dist/$wheel" "$repo_wit" <<'EOF'
import sys, zipfile
wheel, wit = sys.argv[1], sys.argv[2]
names = zipfile.ZipFile(wheel).namelist()
for needed in ("glue_rules_sdk/wit/rule.wit", "glue_rules_sdk/py.typed", "glue_rules_sdk/testing.py"):
    if needed not in names:
        sys.exit(f"error: {wheel} lacks {needed}")
if zipfile.ZipFile(wheel).read("glue_rules_sdk/wit/rule.wit") != open(wit, "rb").read():
    sys.exit(f"error: the WIT in {wheel} differs from {wit}")
EOF
mv "$work/dist/$wheel" "$out/$wheel"
echo "$want" > "$stamp"
echo "$out/$wheel"
