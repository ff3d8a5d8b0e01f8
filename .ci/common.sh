# Shared set-up for the scripts in .ci/: toolchain targets and the cargo target directory.
# Sourced, not run.

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# Keep build output outside the clone, so a fresh clone reuses a warm cache.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/glue-rules/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }

# Runs "$@" holding $CARGO_TARGET_DIR/.glue-rules-ci.lock: the functions below install into
# shared directories (npm ci in plugins/*, pip into the venv, the built plugins and packages in
# the target directory), and tests run them from several threads and processes at once. A call
# made while holding the lock runs directly.
ci_locked() {
  if [ -n "${GLUE_RULES_CI_LOCKED:-}" ]; then
    "$@"
    return
  fi
  mkdir -p "$CARGO_TARGET_DIR"
  (
    flock 9 || exit 1
    export GLUE_RULES_CI_LOCKED=1
    "$@"
  ) 9>"$CARGO_TARGET_DIR/.glue-rules-ci.lock"
}
ensure_language_tools() { ci_locked _ensure_language_tools; }
build_language_plugins() { ci_locked _build_language_plugins; }
build_sdk_packages() { ci_locked _build_sdk_packages; }

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    step "installing the wasm32-wasip2 target"
    rustup target add wasm32-wasip2
  fi
}

# The example and test plugins, built for wasm32-wasip2 with the small `guest` profile.
build_guests() {
  step "building the guest plugins"
  cargo build --locked --target wasm32-wasip2 --profile guest \
    -p lambda-on-success -p sns-on-failure -p hostile-plugin
  mkdir -p plugins/dist
  cp "$CARGO_TARGET_DIR/wasm32-wasip2/guest/lambda_on_success.wasm" \
     "$CARGO_TARGET_DIR/wasm32-wasip2/guest/sns_on_failure.wasm" plugins/dist/
}

# moto (PyPI `moto[server]`), the local AWS-compatible server the dispatch tests send to, in a
# virtual environment of its own. Idempotent and fast when the pinned version is installed.
MOTO_VERSION="${MOTO_VERSION:-5.2.1}"
ensure_moto() {
  local venv="$HOME/.cache/glue-rules/venv"
  if ! { [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c \
      "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')" \
      2>/dev/null; }; then
    step "installing moto[server]==$MOTO_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  fi
  export GLUE_RULES_MOTO="$venv/bin/moto_server"
}

# Toolchains for the plugins in other languages (plugins/{js,typescript,python,c}), pinned and
# idempotent: npm packages from the lockfiles (`npm ci`, skipped while node_modules matches
# package-lock.json) and PyPI tools in the shared venv (requirements.txt of python/ and c/).
GLUE_RULES_VENV="${GLUE_RULES_VENV:-$HOME/.cache/glue-rules/venv}"
export GLUE_RULES_VENV
_ensure_language_tools() {
  local dir stamp want
  for dir in plugins/js plugins/typescript; do
    stamp="$dir/node_modules/.glue-rules-lock.sha256"
    want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
      step "npm ci in $dir"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || return 1
      echo "$want" > "$stamp"
    fi
  done
  stamp="$GLUE_RULES_VENV/.glue-rules-language-tools.sha256"
  want="$( (cat plugins/python/requirements.txt plugins/c/requirements.txt
    # plugins/python/requirements.txt installs the Python SDK from guest-sdk/python: a change to
    # its files reinstalls it.
    cd guest-sdk/python && git ls-files -co --exclude-standard -- pyproject.toml src \
      | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    step "installing the Python and C plugin toolchains into $GLUE_RULES_VENV"
    [ -x "$GLUE_RULES_VENV/bin/pip" ] || python3 -m venv "$GLUE_RULES_VENV"
    "$GLUE_RULES_VENV/bin/pip" install --quiet --disable-pip-version-check \
      -r plugins/python/requirements.txt -r plugins/c/requirements.txt || return 1
    echo "$want" > "$stamp"
  fi
}

# The example rules in every other language, built into
# $CARGO_TARGET_DIR/language-plugins/<language>/<rule>.wasm for tests/languages.rs. A language
# whose inputs (sources, lockfiles, WIT) are unchanged since its last build is skipped.
_build_language_plugins() {
  ensure_language_tools || return 1
  local out="$CARGO_TARGET_DIR/language-plugins" lang src hash
  for lang in javascript:js typescript:typescript python:python c:c; do
    src="plugins/${lang#*:}"
    lang="${lang%%:*}"
    hash="$( (cd "$src" && git ls-files -co --exclude-standard -- . ':!build' | LC_ALL=C sort \
      | xargs sha256sum; sha256sum ../../wit/rule.wit ../../wit/0.1.0/rule.wit
      # The C rules compile the SDK in by include path: its files are inputs too.
      [ "$lang" != c ] || (cd ../../guest-sdk/c && git ls-files -co --exclude-standard -- . \
        ':!build' | LC_ALL=C sort | xargs sha256sum)
      # The Python rules import the SDK installed from guest-sdk/python: its files too.
      [ "$lang" != python ] || (cd ../../guest-sdk/python && git ls-files -co \
        --exclude-standard -- pyproject.toml src | LC_ALL=C sort | xargs sha256sum)
      # The JavaScript and TypeScript rules bundle the SDK, linked from guest-sdk/js by npm.
      case "$lang" in javascript|typescript) (cd ../../guest-sdk/js && git ls-files -co \
        --exclude-standard -- . | LC_ALL=C sort | xargs sha256sum);; esac) | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$out/$lang/.inputs.sha256" 2>/dev/null)" = "$hash" ]; then
      continue
    fi
    step "building the $lang plugins"
    rm -rf "$out/$lang"
    bash "$src/build.sh" "$out/$lang" || { echo "error: building the $lang plugins failed" >&2; return 1; }
    echo "$hash" > "$out/$lang/.inputs.sha256"
  done
}

# Every SDK package (guest-sdk/pack.sh: the Rust crate as cargo packages it, the npm tarball,
# the Python and C wheels) into $CARGO_TARGET_DIR/sdk-packages, for the authoring tests, which
# install them into generated projects the way users install the published ones. Skipped while
# guest-sdk/ is unchanged.
_build_sdk_packages() {
  ensure_language_tools || return 1
  local out="$CARGO_TARGET_DIR/sdk-packages" hash
  hash="$(git ls-files -co --exclude-standard -- guest-sdk ':!guest-sdk/**/build/**' \
    ':!guest-sdk/**/node_modules/**' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$out/.inputs.sha256" 2>/dev/null)" = "$hash" ]; then
    return 0
  fi
  step "packing the SDKs into $out"
  rm -rf "$out"
  PATH="$GLUE_RULES_VENV/bin:$PATH" bash guest-sdk/pack.sh "$out" >/dev/null || {
    echo "error: packing the SDKs failed" >&2
    return 1
  }
  echo "$hash" > "$out/.inputs.sha256"
}

# The SDK packages' own tests: node --test (JavaScript/TypeScript), pytest (Python, in the
# shared venv) and guest-sdk/c/test.sh (zig, then gcc with sanitizers when gcc is there).
test_sdk_packages() {
  ensure_language_tools || return 1
  local glue="$CARGO_TARGET_DIR/debug/glue-rules"
  step "SDK package tests (JavaScript, Python, C)"
  (cd guest-sdk/js && GLUE_RULES="$glue" node --import ./src/register.js --test test/*.test.js) || return 1
  GLUE_RULES="$glue" PATH="$GLUE_RULES_VENV/bin:$PATH" "$GLUE_RULES_VENV/bin/python" -m pytest -q \
    -p no:cacheprovider guest-sdk/python || return 1
  GLUE_RULES="$glue" bash guest-sdk/c/test.sh || return 1
}
