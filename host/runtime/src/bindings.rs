//! Host-side bindings generated from `wit/0.1.0/rule.wit`.
//!
//! The generated record and variant types double as the host's typed event model: the event
//! parser builds them directly, so handing an event to a plugin copies nothing the guest does not
//! need.

wasmtime::component::bindgen!({
    path: "../../wit/0.1.0",
    world: "rule",
    additional_derives: [PartialEq],
});

pub use glue::rules::host as host_api;
pub use glue::rules::types;
