//! EventBridge event patterns for glue-rules.
//!
//! Plugins declare a list of event patterns; the host asks, for each event, which plugins are
//! candidates. This crate gives:
//!
//! - [`Pattern`]: one pattern, validated ([`PatternError`] names the path and the rule broken),
//!   with EventBridge's exact matching semantics ([`Pattern::matches`]) and an explanation of a
//!   non-match ([`Pattern::explain`], for `glue-rules test-pattern`).
//! - [`PatternSetBuilder`] / [`PatternSet`]: every plugin's patterns in one shared index;
//!   [`PatternSet::candidates`] returns the plugins whose patterns match an event, exactly,
//!   at a cost that stays nearly flat from 10 to 10,000 plugins.
//! - [`PatternLimits`]: bounds on what a plugin may declare (see "Limits" below).
//!
//! The semantics, and every choice made where the EventBridge user guide is silent or where
//! the guide and event-ruler disagree, are listed in `SEMANTICS.md` next to this crate's
//! `Cargo.toml`.
//!
//! # Design: an anchor index, then an exact check
//!
//! Every pattern is compiled here: validated, and its `$or` expanded into alternatives filed
//! under the plugin's id (as event-ruler files several rules under one name). Each alternative
//! is filed under one *anchor*, a condition it cannot match without that can be looked up by
//! hashing one leaf value of the event: an exact string, number, `true`/`false`/`null`, an
//! ASCII `equals-ignore-case`, a case-sensitive `prefix`/`suffix`, or the literal start or end
//! of a `wildcard`. Among its possible anchors an alternative takes the one that the fewest
//! other alternatives share (a job name rather than `"source": ["aws.glue"]`). For an event,
//! the index walks the event along a trie of the few distinct anchor paths, hashes each leaf
//! value found there (plus its prefixes and suffixes of the lengths in use), and gets the few
//! alternatives filed under those keys; each is then checked exactly against the parsed event
//! by this crate's evaluator, which implements EventBridge's semantics in full. Alternatives
//! with no anchor at all (only `anything-but`, `numeric`, `exists`, `cidr`, ...) are checked
//! on every event; [`PatternSetStats::unindexed`] counts them, and
//! [`PatternLimits::plugin_max_unindexed`] bounds them per plugin.
//!
//! The lookup reads the [`Document`] the host already parsed (a flat tape of the event's values
//! whose strings borrow from its text, see [`document`]): the event is parsed once. Patterns
//! also run on a `serde_json::Value` ([`AsEvent`]).
//!
//! A [`PatternSet`] is immutable: on reload, build a new one and swap it in (e.g. an
//! `Arc<PatternSet>` behind an `ArcSwap` or `RwLock`), so an event sees either the old or the
//! new set, never a mix.
//!
//! ```
//! use std::sync::{Arc, RwLock};
//! use glue_rules_patterns::{Pattern, PatternSetBuilder};
//!
//! let mut b = PatternSetBuilder::new();
//! b.add(0, &[r#"{"source": ["aws.glue"], "detail": {"state": ["SUCCEEDED"]}}"#])?;
//! b.add(1, &[r#"{"detail": {"state": ["FAILED", "TIMEOUT", "STOPPED"]}}"#])?;
//! b.add(2, &[] as &[&str])?; // no patterns: every event
//! let current = RwLock::new(Arc::new(b.build()));
//!
//! // Per event: parse once, take the current set, look up.
//! let raw = r#"{"source": "aws.glue", "detail": {"jobName": "j", "state": "FAILED"}}"#;
//! let event: serde_json::Value = serde_json::from_str(raw).unwrap();
//! let set = Arc::clone(&current.read().unwrap());
//! let mut candidates = Vec::new();
//! set.candidates(&event, &mut candidates);
//! assert_eq!(candidates, [1, 2]);
//!
//! // On reload: build the new set first (invalid patterns fail here), then swap.
//! let mut b = PatternSetBuilder::new();
//! b.add(0, &[r#"{"detail": {"jobName": [{"prefix": "j"}]}}"#])?;
//! *current.write().unwrap() = Arc::new(b.build());
//!
//! // `glue-rules test-pattern`: explain a non-match.
//! let p = Pattern::parse(r#"{"detail": {"state": ["SUCCEEDED"]}}"#)?;
//! assert_eq!(
//!     p.explain(&event).to_string(),
//!     r#"no match: `detail.state`: expected ["SUCCEEDED"], found "FAILED""#
//! );
//! # Ok::<(), glue_rules_patterns::PatternError>(())
//! ```
//!
//! # Limits
//!
//! Patterns come from plugins, i.e. from someone else's code, and are compiled in the host, so
//! their size is bounded, in the spirit of EventBridge's quotas. [`PatternLimits::default`]:
//!
//! | Limit ([`Limit::name`], the config key) | Default | Bounds |
//! |---|---|---|
//! | `pattern-max-bytes` | 2,048 | one pattern's text (EventBridge: 2,048 characters, 4,096 on request) |
//! | `pattern-max-depth` | 32 | nesting of objects and arrays in one pattern |
//! | `list-max-values` | 256 | values in one list (a field's, or an `anything-but` list) |
//! | `pattern-max-alternatives` | 1,000 | `$or` combinations of one pattern, the guide's product (EventBridge's limit) |
//! | `pattern-max-compiled-values` | 10,000 | values across one pattern's alternatives once expanded: its compiled size |
//! | `plugin-max-patterns` | 100 | patterns of one plugin |
//! | `plugin-max-alternatives` | 1,000 | alternatives across a plugin's patterns |
//! | `plugin-max-compiled-values` | 20,000 | values across a plugin's alternatives: its compiled size |
//! | `plugin-max-unindexed` | 16 | alternatives of a plugin that the index cannot look up (checked against every event) |
//!
//! Every limit is checked before what it bounds is built, in at most one pass over the text: the
//! size and the depth on the text before it is parsed (so deep nesting never reaches a
//! recursive parser), the lists, the `$or` product and the compiled size by counting on the
//! parsed tree before the `$or` is expanded, the number of patterns before any is parsed, the
//! plugin's totals after each pattern. A pattern or plugin over a limit is refused with
//! [`Rule::OverLimit`], naming the limit, its value and the size found (and the pattern, in a
//! list), e.g. ``invalid event pattern #0 at `<root>`: 1000000 bytes, over the limit of 2048
//! bytes (pattern-max-bytes)``.
//!
//! [`Pattern::parse`], [`Pattern::parse_list`], [`PatternSetBuilder::new`] and
//! [`PatternSetBuilder::add`] use the defaults; [`Pattern::parse_with_limits`],
//! [`Pattern::parse_list_with_limits`] and [`PatternSetBuilder::with_limits`] take others.
//! [`PatternSetBuilder::try_add_compiled`] holds compiled patterns to the per-plugin limits;
//! [`PatternSetBuilder::add_compiled`] trusts the caller to have done so (e.g. with
//! `parse_list_with_limits`).
//!
//! ```
//! use glue_rules_patterns::{Limit, Pattern, PatternLimits};
//!
//! // A 1,000-way `$or` beside a long list would clone the list into every alternative.
//! let list: Vec<String> = (0..200).map(|i| format!("\"job-{i}\"")).collect();
//! let ors: Vec<String> = (0..10).map(|i| format!(r#"{{"s":["{i}"]}}"#)).collect();
//! let or = ors.join(",");
//! let text = format!(
//!     r#"{{"j":[{}],"a":{{"$or":[{or}]}},"b":{{"$or":[{or}]}},"c":{{"$or":[{or}]}}}}"#,
//!     list.join(",")
//! );
//! let e = Pattern::parse(&text).unwrap_err();
//! assert_eq!(e.over_limit(), Some((Limit::PatternMaxBytes, 2048, text.len())));
//! // With room for the text, the expansion is counted, not built: 1,000 × 203 values.
//! let limits = PatternLimits { pattern_max_bytes: 4096, ..PatternLimits::default() };
//! let e = Pattern::parse_with_limits(&text, &limits).unwrap_err();
//! assert_eq!(e.over_limit(), Some((Limit::PatternMaxCompiledValues, 10_000, 203_000)));
//! ```
//!
//! # Why not quamina
//!
//! The issue asked to build on the `quamina` crate (0.7, a Rust port of Tim Bray's quamina:
//! one automaton over all patterns) unless it does not fit. It was evaluated first and does not
//! fit this workload:
//!
//! - *It builds and its semantics are close.* It compiles on rustc 1.95 (MSRV 1.88, six small
//!   dependencies); probes showed the same meaning as EventBridge for exact values (numbers by
//!   value), `prefix`, `suffix`, `wildcard` escapes, arrays and array consistency. It has no
//!   `$or` and no `anything-but` prefix/suffix/wildcard/ignore-case, so it could only have been a
//!   superset pre-filter in front of the exact check that this crate needs anyway. A first
//!   version did exactly that (exact strings, booleans, null, prefix, suffix and wildcard in
//!   quamina; every other condition dropped from its copy of the pattern) and passed the same
//!   differential tests.
//! - *Memory.* quamina-rs reports about 1.2 KB per automaton state (`matcher_stats`: 310,163
//!   states in 383 MB for 10,000 four-field job patterns), i.e. 12–40 KB per Glue pattern. The
//!   benchmark's 10,000 plugins took 366 MB (121 MB with a single field per pattern), and its
//!   default 10 MB arena budget rejects patterns past ~4,500 plugins.
//!   This crate's set for 10,000 such plugins, compiled patterns included, grows the process by
//!   ~20 MB.
//! - *Speed.* On the benchmark's mixed Glue stream quamina took ~0.7 µs per event at 10 plugins,
//!   1.3 µs at 100, ~20 µs at 1,000 and ~0.6 ms at 10,000: wildcards starting with `*` stay NFAs
//!   whose cost grows with their number (its `BuiltForSpeed` mode did not change that), and even
//!   exact-only patterns grew from ~0.6 µs to ~2.2 µs at 10,000 from cache misses in the large
//!   tables. It also re-parses the event text the host has already parsed. This index stays at
//!   a few hundred ns (see `benches/candidates.rs`; `--features quamina-reference` measures
//!   quamina on the same stream).
//!
//! So the candidate index is this crate's own, built from hash maps (`rustc-hash`) rather than
//! an automaton: the anchors are plain lookups, and the exact semantics live in one evaluator
//! that both [`Pattern::matches`] and the index use.

mod compile;
pub mod document;
mod error;
mod eval;
mod json;
mod limits;
mod matcher;
mod pattern;
mod set;

pub use document::{AsEvent, Document, EventJson, JsonRef, Shape};
pub use error::{PatternError, Rule};
pub use eval::Failure;
pub use limits::{Limit, PatternLimits};
pub use pattern::{Explanation, Pattern};
pub use set::{PatternSet, PatternSetBuilder, PatternSetStats, PluginId};

#[cfg(test)]
mod limit_tests;
#[cfg(test)]
mod tests;
