//! The `glue-rules` crate's integration tests, in one binary (the wasmtime / ripgrep layout):
//! one link, one process, modules by behaviour, one `support` module of shared helpers.
//!
//! Tiers, selectable by module name (`.ci/test` runs them all):
//!
//! - fast, no external process beyond the binary: `backpressure`, `crate_graph`, `http_api`,
//!   `metrics_docs`, `cli`, `sandbox` (the real hostile plugin against the runtime), `serve`;
//! - against moto (the local AWS stand-in, `GLUE_RULES_MOTO`): `dispatch`, `serve_aws`;
//! - the language toolchains (JavaScript, TypeScript, Python, C): `languages`, `authoring`.
//!
//! For example `cargo test -p glue-rules --test all -- --skip languages:: --skip authoring::
//! --skip dispatch:: --skip serve_aws::` runs the fast tier.

mod support;

mod authoring;
mod backpressure;
mod cli;
mod crate_graph;
#[cfg(feature = "aws")]
mod dispatch;
mod http_api;
mod languages;
mod metrics_docs;
mod sandbox;
#[cfg(feature = "aws")]
mod scale_out;
mod serve;
#[cfg(feature = "aws")]
mod serve_aws;
