//! The example rules built in the other guest languages (JavaScript, TypeScript, Python, C),
//! and the toolchains that build them, for `tests/languages.rs` and `tests/authoring.rs`.
//!
//! The builds are the CI functions of `.ci/common.sh` (`ensure_language_tools`,
//! `build_language_plugins`): pinned, idempotent, and skipped when their inputs are unchanged,
//! so calling them from a test costs a fraction of a second once `.ci/test` has run them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{binary, repo_root};

/// Every guest language besides Rust, as `glue-rules new --lang` spells it.
pub const LANGUAGES: [&str; 4] = ["javascript", "typescript", "python", "c"];

/// The cargo target directory the tests' `glue-rules` binary lives in.
pub fn target_dir() -> PathBuf {
    binary()
        .parent()
        .and_then(Path::parent)
        .expect("the binary lives in <target>/<profile>/")
        .to_owned()
}

/// One compile cache for every test that loads the large JavaScript and Python components,
/// kept between runs: compiling one takes ~20 s, loading it from the cache under a second.
pub fn compile_cache() -> PathBuf {
    target_dir().join("glue-rules-test-cache")
}

/// The virtual environment holding componentize-py, zig and wasm-tools.
pub fn venv() -> PathBuf {
    std::env::var_os("GLUE_RULES_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").expect("HOME is set");
            Path::new(&home).join(".cache/glue-rules/venv")
        })
}

/// Runs one function of `.ci/common.sh` with the tests' target directory.
pub fn ci_function(function: &str) {
    // One at a time in this process: the functions install into shared directories (npm ci
    // in plugins/*, pip into the venv), which two at once would break.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let status = Command::new("bash")
        .arg("-c")
        .arg(format!("source .ci/common.sh && {function}"))
        .current_dir(repo_root())
        .env("CARGO_TARGET_DIR", target_dir())
        .env("GLUE_RULES_VENV", venv())
        .status()
        .unwrap_or_else(|e| panic!("running bash for {function}: {e}"));
    assert!(
        status.success(),
        "`.ci/common.sh` {function} failed (node/npm and python3 with venv must be installed)"
    );
}

/// `<target>/language-plugins`, holding `<language>/<rule>.wasm` for every language in
/// [`LANGUAGES`], built once per test process.
pub fn language_plugins() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        ci_function("build_language_plugins");
        target_dir().join("language-plugins")
    })
}
