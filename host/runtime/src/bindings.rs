//! Host-side bindings of the two contracts this host serves: `glue:rules@0.2.0` (`wit/rule.wit`,
//! current) and `glue:rules@0.1.0` (`wit/0.1.0/rule.wit`, frozen).
//!
//! The generated record and variant types of the current contract double as the host's typed
//! event model: the event parser builds them directly, so handing an event to a 0.2 plugin
//! copies nothing the guest does not need. The 0.1 types are only the shapes 0.1 components
//! speak; [`crate::contract`] adapts between them.

/// `glue:rules@0.2.0`, the current contract.
pub mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "glue:rules/rule@0.2.0",
        additional_derives: [PartialEq],
    });
}

/// `glue:rules@0.1.0`, the previous contract, served through [`crate::contract`].
pub mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../../wit/0.1.0",
        world: "glue:rules/rule@0.1.0",
        additional_derives: [PartialEq],
    });
}

pub use v0_2::glue::rules::host as host_api;
pub use v0_2::glue::rules::types;
pub use v0_2::{Rule, RulePre};
