//! glue-rules: run WebAssembly rule plugins against AWS Glue events.
//!
//! This crate is the top of the house; the rooms below it are crates of their own:
//!
//! ```text
//!  intake (this crate)            evaluate                      dispatch
//!  http · sqs · files ──▶ glue-rules-runtime ──Submission──▶ glue-rules-dispatch ──▶ AWS
//!          │                (patterns, plugins)   (glue-rules-core)  (outbox, worker)
//!          └──────── config · metrics · sidecar · cli (this crate) ────────┘
//! ```
//!
//! - [`config`] reads the whole file and hands each crate its own section;
//! - [`intake`] is the one pipeline HTTP, SQS and files share;
//! - [`sidecar`] is the long-running service as a library type ([`sidecar::Sidecar`]);
//! - [`metrics`] is every metric the process exports, declared once.
//!
//! The runtime and dispatch never depend on each other; only this crate sees both, and the
//! whole [`config::Config`].

pub mod config;
pub mod intake;
pub mod metrics;
pub mod sidecar;

use std::path::{Path, PathBuf};

pub use glue_rules_core as core;
pub use glue_rules_dispatch as dispatch;
pub use glue_rules_runtime as runtime;

use glue_rules_runtime::config::RuntimeConfig;
use glue_rules_runtime::runtime::{Runtime, RuntimeOptions};

/// The wasmtime runtime a configuration calls for: fuel on when any plugin has a fuel budget,
/// the compile cache in `cache_dir`, else the configuration's, else the user cache directory
/// (none at all with `no_cache`).
pub fn runtime_for(
    config: &RuntimeConfig,
    cache_dir: Option<PathBuf>,
    no_cache: bool,
) -> anyhow::Result<Runtime> {
    let cache_dir = if no_cache {
        None
    } else {
        cache_dir
            .or_else(|| config.cache_dir.clone())
            .or_else(default_cache_dir)
    };
    Ok(Runtime::new(RuntimeOptions {
        fuel: config.needs_fuel(),
        cache_dir,
        cache_max_bytes: config.cache_max_bytes,
        ..RuntimeOptions::default()
    })?)
}

/// `$XDG_CACHE_HOME/glue-rules/components` or `~/.cache/glue-rules/components`.
fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))?;
    Some(base.join("glue-rules").join("components"))
}
