#!/usr/bin/env bash
# pack.sh OUT_DIR: builds the C SDK's wheel, OUT_DIR/glue_rules_sdk_c-0.2.0-py3-none-any.whl
# (pip and the hatchling build backend, from PyPI or pip's cache; nothing else is fetched).
# Idempotent and fast when nothing changed: the wheel is rebuilt only when a file it carries
# changed since it was written (a hash beside it, .glue_rules_sdk_c-0.2.0.sha256).
#
# Before building it checks what a broken SDK would otherwise ship: the WIT is the repository's
# wit/rule.wit (when built inside the repository), the bindings were generated from that WIT
# (bindings/wit.sha256, written by bindgen.sh), and the header's version macros, the package
# version and the WIT's package name agree.
set -euo pipefail
sdk="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: pack.sh OUT_DIR}"
version=0.2.0
mkdir -p "$out"
out="$(cd "$out" && pwd)"
wheel="$out/glue_rules_sdk_c-$version-py3-none-any.whl"
stamp="$out/.glue_rules_sdk_c-$version.sha256"
cd "$sdk"

fail() { echo "error: guest-sdk/c: $*" >&2; exit 1; }
if [ -f ../../wit/rule.wit ] && ! cmp -s wit/rule.wit ../../wit/rule.wit; then
  fail "wit/rule.wit differs from the repository's wit/rule.wit: copy it and run ./bindgen.sh"
fi
[ "$(sha256sum wit/rule.wit | cut -d' ' -f1)" = "$(cat bindings/wit.sha256)" ] \
  || fail "bindings/ were not generated from wit/rule.wit (bindings/wit.sha256): run ./bindgen.sh"
grep -q "^#define GLUE_RULES_SDK_VERSION \"$version\"" glue_rules.h \
  || fail "glue_rules.h's GLUE_RULES_SDK_VERSION is not $version"
grep -q "^version = \"$version\"" pyproject.toml || fail "pyproject.toml's version is not $version"
grep -q "^__version__ = \"$version\"" python/glue_rules_sdk_c/__init__.py \
  || fail "glue_rules_sdk_c.__version__ is not $version"
contract="$(sed -n 's/^package \(glue:rules@[0-9.]*\);$/\1/p' wit/rule.wit)"
grep -q "^#define GLUE_RULES_CONTRACT \"$contract\"" glue_rules.h \
  || fail "glue_rules.h's GLUE_RULES_CONTRACT is not the WIT's package, $contract"

inputs=(pyproject.toml README.md glue_rules.h glue_rules_testing.h bindings/rule.h bindings/rule.c
  bindings/wit.sha256 wit/rule.wit python/glue_rules_sdk_c/__init__.py
  python/glue_rules_sdk_c/__main__.py)
hash="$(sha256sum "${inputs[@]}" | sha256sum | cut -d' ' -f1)"
if [ -f "$wheel" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
  echo "$wheel (up to date)"
  exit 0
fi

venv="${GLUE_RULES_VENV:-$HOME/.cache/glue-rules/venv}"
python=python3
[ -x "$venv/bin/python" ] && python="$venv/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$work" . \
  || fail "building the wheel failed (pip needs PyPI or its cache for the hatchling backend)"
built="$work/glue_rules_sdk_c-$version-py3-none-any.whl"
[ -f "$built" ] || fail "pip built no $(basename "$built")"
mv -f "$built" "$wheel"
echo "$hash" > "$stamp"
echo "$wheel"
