//! glue-rules: run WebAssembly rule plugins against AWS Glue events.
//!
//! Data flows one way:
//!
//! ```text
//! input / event ──▶ engine ──▶ registry ─▶ plugin (sandbox, runtime) ──▶ decision
//! ```
//!
//! - [`event`] parses and validates EventBridge envelopes into the typed view plugins receive;
//!   [`input`] splits documents (one event, an array, NDJSON) into events.
//! - [`runtime`] holds the shared wasmtime engine, linker, epoch ticker and compile cache;
//!   [`plugin`] is one loaded component with its instance pool; [`sandbox`] is what a plugin
//!   may use and the limits on it.
//! - [`registry`] is the set of plugins in force; [`engine`] runs them on events.
//! - [`decision`] is the validated, serialisable result.
//! - [`config`] is the TOML configuration, parsed once and handed down.
//!
//! A minimal embedding:
//!
//! ```no_run
//! use glue_rules::{config::Config, engine, event::Event, registry, runtime::{Runtime, RuntimeOptions}};
//!
//! # fn main() -> anyhow::Result<()> {
//! let runtime = Runtime::new(RuntimeOptions::default())?;
//! let sources = registry::PluginSources { files: vec!["rule.wasm".into()], dir: None };
//! let plugins = registry::load_plugins(&runtime, &Config::builtin(), &sources)?;
//! let event = Event::parse(br#"{"id":"1","source":"aws.glue","detail-type":"x","detail":{}}"#, 262_144)?;
//! for outcome in engine::evaluate_event(&plugins, &event).outcomes {
//!     println!("{}: {:?}", outcome.plugin.name(), outcome.result);
//! }
//! # Ok(())
//! # }
//! ```

pub mod bindings;
pub mod config;
pub mod decision;
pub mod dispatch;
pub mod engine;
pub mod event;
pub mod input;
pub mod metrics;
pub mod plugin;
pub mod registry;
pub mod reload;
pub mod runtime;
pub mod sandbox;
pub mod server;
pub mod sink;
