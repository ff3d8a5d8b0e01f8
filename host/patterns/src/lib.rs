//! EventBridge event patterns for glue-rules.
//!
//! Plugins declare a list of event patterns; the host asks, for each event, which plugins are
//! candidates. This crate gives:
//!
//! - [`Pattern`]: one pattern, validated ([`PatternError`] names the path and the rule broken),
//!   with EventBridge's exact matching semantics ([`Pattern::matches`]) and an explanation of a
//!   non-match ([`Pattern::explain`], for `glue-rules test-pattern`).
//! - [`PatternSetBuilder`] / [`PatternSet`]: every plugin's patterns in one shared structure;
//!   [`PatternSet::candidates`] returns the plugins whose patterns match an event, exactly,
//!   at a cost that stays nearly flat from 10 to 10,000 plugins.
//!
//! The semantics, and every choice made where the EventBridge user guide is silent or where
//! quamina differs from EventBridge, are listed in `SEMANTICS.md` next to this crate's
//! `Cargo.toml`.
//!
//! # Design: quamina as a pre-filter, then an exact check
//!
//! The candidate lookup is built on the [`quamina`] crate (0.7, a Rust port of Tim Bray's
//! quamina): one automaton over all patterns, with matching time nearly independent of the
//! number of patterns. It was evaluated against the alternatives and kept because:
//!
//! - it builds on the workspace's rustc (1.95; its MSRV is 1.88) with five small dependencies,
//!   is thread-safe for matching (`Send + Sync`, thread-local scratch buffers), and its `unsafe`
//!   is confined to documented spots (lifetime extension of borrowed field slices, unchecked
//!   indexing in the automaton arena, UTF-8 of field names). The last one is why
//!   [`PatternSet::candidates`] takes the event text as `&str`, never unchecked bytes;
//! - it is fast enough: see the benchmark in `benches/candidates.rs` (a few hundred ns per
//!   Glue event for the whole lookup, flat from 10 to 10,000 plugins);
//! - its meaning of exact values, `prefix`, `suffix` and `wildcard` (escapes included), of
//!   arrays (any element) and of array consistency agrees with EventBridge's.
//!
//! It is not EventBridge, though: it has no `$or`, its `anything-but` takes no
//! prefix/suffix/wildcard/ignore-case, and its number parsing, case folding and `exists`
//! details are its own. So quamina never decides alone:
//!
//! 1. Each pattern is compiled here (validation, `$or` expansion under the plugin's id, as
//!    event-ruler does with several rules of one name).
//! 2. Each alternative gets a *pre-filter* form for quamina holding only the conditions whose
//!    quamina meaning equals EventBridge's or is looser (exact strings, booleans, null, prefix,
//!    suffix, wildcard); every other condition is dropped from it. Quamina therefore returns a
//!    superset of the matching alternatives.
//! 3. The few alternatives quamina returns (plus any with no pre-filterable condition at all)
//!    are checked exactly against the parsed event by this crate's own evaluator, which
//!    implements EventBridge's semantics in full.
//!
//! The host parses each event once (`serde_json::Value`) and hands both the text and the value
//! to [`PatternSet::candidates`]: quamina's flattener reads the text, skipping every field no
//! pattern names; the exact check reads the value.
//!
//! A [`PatternSet`] is immutable: on reload, build a new one and swap it in (e.g. an
//! `Arc<PatternSet>` behind an `ArcSwap` or `RwLock`), so an event sees either the old or the
//! new set, never a mix.

mod compile;
mod error;
mod eval;
mod json;
mod matcher;
mod pattern;
mod set;

pub use error::{PatternError, Rule};
pub use eval::Failure;
pub use pattern::{Explanation, Pattern};
pub use set::{PatternSet, PatternSetBuilder, PatternSetStats, PluginId};

#[cfg(test)]
mod tests;
