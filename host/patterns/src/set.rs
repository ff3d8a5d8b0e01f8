//! The shared candidate index over every plugin's patterns.

use std::fmt;

use quamina::Quamina;
use serde_json::{Map, Value};

use crate::compile::{FieldPat, ObjPat};
use crate::error::PatternError;
use crate::eval::{NoSink, eval};
use crate::pattern::Pattern;

/// Identifies a plugin in a [`PatternSet`]; the host chooses the numbers (e.g. registry indices).
pub type PluginId = usize;

/// Collects every plugin's patterns, then [`build`](Self::build)s one [`PatternSet`].
#[derive(Debug, Default)]
pub struct PatternSetBuilder {
    plugins: Vec<(PluginId, Vec<Pattern>)>,
    match_all: Vec<PluginId>,
}

impl PatternSetBuilder {
    /// An empty builder.
    pub fn new() -> PatternSetBuilder {
        PatternSetBuilder::default()
    }

    /// Adds plugin `id` with its declared patterns (JSON texts). The plugin is a candidate for an
    /// event when any of its patterns matches; an empty list means every event. Adding the same
    /// id again adds to its patterns.
    ///
    /// # Errors
    /// The first invalid pattern's [`PatternError`], with [`PatternError::pattern`] set to its
    /// index in `patterns`; nothing is added then.
    pub fn add<S: AsRef<str>>(&mut self, id: PluginId, patterns: &[S]) -> Result<(), PatternError> {
        let compiled = patterns
            .iter()
            .enumerate()
            .map(|(i, text)| {
                Pattern::parse(text.as_ref()).map_err(|mut e| {
                    e.pattern = Some(i);
                    e
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.add_compiled(id, compiled);
        Ok(())
    }

    /// Like [`add`](Self::add) with patterns compiled already (an empty list means every event).
    pub fn add_compiled(&mut self, id: PluginId, patterns: Vec<Pattern>) {
        if patterns.is_empty() {
            self.match_all.push(id);
        } else {
            self.plugins.push((id, patterns));
        }
    }

    /// Builds the index. Infallible: an alternative the automaton cannot take is checked on
    /// every event instead (correct, only slower; see [`PatternSetStats::unindexed`]).
    pub fn build(self) -> PatternSet {
        let mut index = Quamina::<u32>::new();
        let mut entries = Vec::new();
        let mut unindexed = Vec::new();
        let mut indexed = 0usize;
        let mut plugins: Vec<PluginId> = self.match_all.clone();
        for (id, patterns) in self.plugins {
            plugins.push(id);
            for pattern in patterns {
                for alt in pattern.alternatives {
                    let n = u32::try_from(entries.len()).expect("fewer than 2^32 alternatives");
                    let added = match prefilter(&alt) {
                        Some(pf) => index
                            .add_pattern(n, &Value::Object(pf).to_string())
                            .is_ok(),
                        None => false,
                    };
                    if added {
                        indexed += 1;
                    } else {
                        unindexed.push(n);
                    }
                    entries.push(Entry { plugin: id, alt });
                }
            }
        }
        let mut match_all = self.match_all;
        match_all.sort_unstable();
        match_all.dedup();
        plugins.sort_unstable();
        plugins.dedup();
        PatternSet {
            index,
            entries,
            unindexed,
            match_all,
            stats: PatternSetStats {
                plugins: plugins.len(),
                match_all: 0,
                alternatives: 0,
                indexed,
                unindexed: 0,
            },
        }
        .finish_stats()
    }
}

struct Entry {
    plugin: PluginId,
    alt: ObjPat,
}

/// Every plugin's patterns in one structure: finds the plugins whose patterns match an event
/// without looking at every plugin.
///
/// Immutable once built and `Send + Sync`: hold it in an `Arc` and swap in a new one on reload.
pub struct PatternSet {
    /// One automaton over the pre-filter form of every alternative (value = index in `entries`).
    index: Quamina<u32>,
    entries: Vec<Entry>,
    /// Alternatives with nothing the automaton can pre-filter on: checked on every event.
    unindexed: Vec<u32>,
    /// Plugins that declared no patterns.
    match_all: Vec<PluginId>,
    stats: PatternSetStats,
}

/// Sizes of a [`PatternSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PatternSetStats {
    /// Distinct plugins.
    pub plugins: usize,
    /// Plugins without patterns (candidates for every event).
    pub match_all: usize,
    /// Pattern alternatives after `$or` expansion.
    pub alternatives: usize,
    /// Alternatives found through the automaton.
    pub indexed: usize,
    /// Alternatives checked on every event because nothing in them can be pre-filtered
    /// (e.g. only `anything-but`, `numeric`, `exists` or `cidr` conditions).
    pub unindexed: usize,
}

impl PatternSet {
    fn finish_stats(mut self) -> PatternSet {
        self.stats.match_all = self.match_all.len();
        self.stats.alternatives = self.entries.len();
        self.stats.unindexed = self.unindexed.len();
        self
    }

    /// An empty set (no plugin is ever a candidate).
    pub fn empty() -> PatternSet {
        PatternSetBuilder::new().build()
    }

    /// Sizes of this set.
    pub fn stats(&self) -> PatternSetStats {
        self.stats
    }

    /// Writes into `out` (cleared first) the plugins whose patterns match the event, in
    /// ascending order without duplicates. The result is exact: every id in it has a pattern
    /// that [`Pattern::matches`] the event.
    ///
    /// `raw` and `event` are the same event: the JSON text as received, and its parse. The
    /// automaton reads the text (it skips the fields no pattern names); the exact check of the
    /// few candidates reads the parsed value, so the host parses the event once.
    pub fn candidates(&self, raw: &str, event: &Value, out: &mut Vec<PluginId>) {
        out.clear();
        if self.unindexed.len() < self.entries.len() {
            match self.index.matches_for_event(raw.as_bytes()) {
                Ok(hits) => {
                    for n in hits {
                        self.check(n, event, out);
                    }
                }
                // Not reachable for text that serde_json parsed; stay correct regardless.
                Err(_) => {
                    for n in 0..self.entries.len() as u32 {
                        self.check(n, event, out);
                    }
                }
            }
        }
        for &n in &self.unindexed {
            self.check(n, event, out);
        }
        out.extend_from_slice(&self.match_all);
        out.sort_unstable();
        out.dedup();
    }

    /// [`candidates`](Self::candidates) for callers without the event text (serializes it).
    pub fn candidates_for_value(&self, event: &Value, out: &mut Vec<PluginId>) {
        self.candidates(&event.to_string(), event, out);
    }

    fn check(&self, n: u32, event: &Value, out: &mut Vec<PluginId>) {
        let entry = &self.entries[n as usize];
        if !out.contains(&entry.plugin) && eval(&entry.alt, event, &mut NoSink) {
            out.push(entry.plugin);
        }
    }
}

impl Default for PatternSet {
    fn default() -> PatternSet {
        PatternSet::empty()
    }
}

impl fmt::Debug for PatternSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatternSet")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// The pre-filter form of an alternative: only conditions whose quamina meaning is the same as
/// (or looser than) EventBridge's, so that quamina never rejects an event the exact check would
/// accept. Kept: exact strings, `true`/`false`/`null`, case-sensitive `prefix`/`suffix`,
/// `wildcard`. Dropped: numbers (quamina's float parsing may differ from serde_json's in the last
/// bit), `numeric`, `anything-but`, `exists`, `cidr`, everything ignoring case, and fields whose
/// name quamina would read differently (containing `.` or a newline, or empty). A field is kept
/// only when every value in its list is kept. `None` when nothing is left.
fn prefilter(p: &ObjPat) -> Option<Map<String, Value>> {
    let mut map = Map::new();
    for (key, field) in &p.fields {
        if key.is_empty() || key.contains(['.', '\n']) || map.contains_key(key) {
            continue;
        }
        match field {
            FieldPat::Leaf(leaf) => {
                if let Some(values) = &leaf.prefilter {
                    map.insert(key.clone(), values.clone());
                }
            }
            FieldPat::Object(sub) => {
                if let Some(m) = prefilter(sub) {
                    map.insert(key.clone(), Value::Object(m));
                }
            }
        }
    }
    (!map.is_empty()).then_some(map)
}
