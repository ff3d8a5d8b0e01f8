# Shared set-up for the scripts in .ci/: toolchain targets and the cargo target directory.
# Sourced, not run.

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# Keep build output outside the clone, so a fresh clone reuses a warm cache.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/glue-rules/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }

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
