//! The vocabulary that glue-rules' evaluation and dispatch share, and nothing else.
//!
//! The runtime (which runs plugins) and dispatch (which performs their actions) never depend on
//! each other; both depend on this crate. It holds:
//!
//! - [`action`]: the six actions, one per AWS API, and [`ActionKind`];
//! - [`decision`]: a plugin's validated [`Decision`] and the [`OutputLimits`] it was checked
//!   against;
//! - [`handoff`]: the [`Submission`] evaluation hands to an [`ActionSink`], and the
//!   [`DedupeKey`] under which an event is recognised when it comes again.
//!
//! No WebAssembly, no AWS SDK, no database: depending on this crate costs a few seconds of
//! build.

pub mod action;
pub mod decision;
pub mod handoff;

pub use action::{Action, ActionKind};
pub use decision::{Decision, InvalidOutput, OutputLimits};
pub use handoff::{ActionSink, DedupeKey, LogSink, Receipt, RecordDone, SinkError, Submission};
