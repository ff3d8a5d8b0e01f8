//! The `glue-rules` crate's integration tests, in one binary (the wasmtime / ripgrep layout):
//! one link, one process, modules by behaviour.

mod crate_graph;
mod http_api;
mod metrics_docs;
