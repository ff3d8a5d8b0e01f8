//! The shared candidate index over every plugin's patterns.
//!
//! Every `$or` alternative of every pattern is filed under one *anchor*: a condition it cannot
//! match without, that can be looked up by hashing a value of the event. For an event, the index
//! walks the event along a trie of the few distinct anchor paths, looks each leaf value up, and
//! checks the alternatives found there exactly; alternatives without any anchor are checked on
//! every event.
//!
//! The lookup table is keyed by a 64-bit hash of (path, kind, value) only, with the ids of all
//! buckets in one flat array: one probe and one read per lookup, no key strings to chase. A hash
//! collision only adds a candidate, which the exact check then rejects.

use std::cell::RefCell;
use std::fmt;

use std::hash::Hasher;

use crate::document::{AsEvent, EventJson, Shape};
use rustc_hash::{FxHashMap, FxHasher};

use crate::compile::{FieldPat, Leaf, ObjPat};
use crate::error::PatternError;
use crate::eval::{NoSink, eval};
use crate::limits::{PatternLimits, PluginTotals};
use crate::matcher::Matcher;
use crate::pattern::Pattern;

/// Identifies a plugin in a [`PatternSet`]; the host chooses the numbers (e.g. registry indices).
pub type PluginId = usize;

/// Collects every plugin's patterns, then [`build`](Self::build)s one [`PatternSet`].
///
/// Each plugin's patterns are held to the builder's [`PatternLimits`]
/// ([`PatternLimits::default`] unless set with [`with_limits`](Self::with_limits)), per pattern
/// and per plugin (over every call for the same id).
#[derive(Debug, Default)]
pub struct PatternSetBuilder {
    plugins: Vec<(PluginId, Vec<Pattern>)>,
    match_all: Vec<PluginId>,
    limits: PatternLimits,
    totals: FxHashMap<PluginId, PluginTotals>,
}

impl PatternSetBuilder {
    /// An empty builder, with [`PatternLimits::default`].
    pub fn new() -> PatternSetBuilder {
        PatternSetBuilder::default()
    }

    /// Holds the plugins added from now on to `limits` instead of the defaults.
    ///
    /// ```
    /// use glue_rules_patterns::{Limit, PatternLimits, PatternSetBuilder};
    ///
    /// let limits = PatternLimits { plugin_max_patterns: 1, ..PatternLimits::default() };
    /// let mut b = PatternSetBuilder::new().with_limits(limits);
    /// let e = b.add(0, &[r#"{"a": ["1"]}"#, r#"{"a": ["2"]}"#]).unwrap_err();
    /// assert_eq!(e.over_limit(), Some((Limit::PluginMaxPatterns, 1, 2)));
    /// assert_eq!(
    ///     e.to_string(),
    ///     "invalid event patterns: 2 patterns, over the limit of 1 patterns per plugin (plugin-max-patterns)"
    /// );
    /// ```
    pub fn with_limits(mut self, limits: PatternLimits) -> PatternSetBuilder {
        self.limits = limits;
        self
    }

    /// The limits plugins are held to.
    pub fn limits(&self) -> &PatternLimits {
        &self.limits
    }

    /// Adds plugin `id` with its declared patterns (JSON texts). The plugin is a candidate for an
    /// event when any of its patterns matches; an empty list means every event. Adding the same
    /// id again adds to its patterns.
    ///
    /// # Errors
    /// The first invalid pattern's [`PatternError`], with [`PatternError::pattern`] set to its
    /// index in `patterns`, or the first limit passed (see
    /// [`Pattern::parse_list_with_limits`]; the number of patterns is checked before any is
    /// parsed); nothing is added then.
    pub fn add<S: AsRef<str>>(&mut self, id: PluginId, patterns: &[S]) -> Result<(), PatternError> {
        let mut totals = self.totals.get(&id).copied().unwrap_or_default();
        totals.admit_count(patterns.len(), &self.limits)?;
        let limits = &self.limits;
        let compiled = patterns
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let p =
                    Pattern::parse_with_limits(text.as_ref(), limits).map_err(|e| e.in_list(i))?;
                totals.admit(&p, Some(i), limits)?;
                Ok(p)
            })
            .collect::<Result<Vec<_>, PatternError>>()?;
        self.push(id, compiled, totals);
        Ok(())
    }

    /// Like [`add`](Self::add) with patterns compiled already (an empty list means every event),
    /// holding the plugin to the builder's per-plugin limits. The patterns keep the per-pattern
    /// limits they were parsed with.
    ///
    /// # Errors
    /// The first per-plugin limit passed, with [`PatternError::pattern`] set to the index in
    /// `patterns` of the pattern that passed it (`None` when there are too many patterns);
    /// nothing is added then.
    pub fn try_add_compiled(
        &mut self,
        id: PluginId,
        patterns: Vec<Pattern>,
    ) -> Result<(), PatternError> {
        let mut totals = self.totals.get(&id).copied().unwrap_or_default();
        totals.admit_count(patterns.len(), &self.limits)?;
        for (i, p) in patterns.iter().enumerate() {
            totals.admit(p, Some(i), &self.limits)?;
        }
        self.push(id, patterns, totals);
        Ok(())
    }

    /// Like [`try_add_compiled`](Self::try_add_compiled) without the per-plugin limits, for
    /// patterns already checked as a list (e.g. by [`Pattern::parse_list_with_limits`]). Each
    /// pattern was held to the limits it was parsed with; the plugin's totals still count
    /// towards later [`add`](Self::add) or `try_add_compiled` calls for the same id.
    pub fn add_compiled(&mut self, id: PluginId, patterns: Vec<Pattern>) {
        let mut totals = self.totals.get(&id).copied().unwrap_or_default();
        totals.add_unchecked(&patterns);
        self.push(id, patterns, totals);
    }

    fn push(&mut self, id: PluginId, patterns: Vec<Pattern>, totals: PluginTotals) {
        if patterns.is_empty() {
            self.match_all.push(id);
        } else {
            self.totals.insert(id, totals);
            self.plugins.push((id, patterns));
        }
    }

    /// Builds the index.
    pub fn build(self) -> PatternSet {
        let mut entries = Vec::new();
        let mut plugins: Vec<PluginId> = self.match_all.clone();
        for (id, patterns) in self.plugins {
            plugins.push(id);
            for pattern in patterns {
                for alt in &pattern.alternatives {
                    entries.push(Entry {
                        plugin: id,
                        alt: alt.compact_copy(),
                    });
                }
            }
        }
        assert!(
            entries.len() < u32::MAX as usize,
            "fewer than 2^32 alternatives"
        );

        // Every anchor each alternative could use, and how many alternatives could use each key.
        let mut paths: FxHashMap<Vec<String>, usize> = FxHashMap::default();
        let mut options: Vec<Vec<(usize, Vec<Key>)>> = Vec::with_capacity(entries.len());
        let mut counts: FxHashMap<(usize, Key), usize> = FxHashMap::default();
        for entry in &entries {
            let mut opts = Vec::new();
            anchors(&entry.alt, &mut Vec::new(), &mut |path, keys| {
                let next = paths.len();
                let pid = *paths.entry(path.to_vec()).or_insert(next);
                opts.push((pid, keys));
            });
            for (pid, keys) in &opts {
                for k in keys {
                    *counts.entry((*pid, k.clone())).or_default() += 1;
                }
            }
            options.push(opts);
        }

        // File each alternative under its cheapest anchor.
        let mut path_of_id: Vec<Vec<String>> = vec![Vec::new(); paths.len()];
        for (p, id) in paths {
            path_of_id[id] = p;
        }
        let mut root = PathNode::default();
        let mut buckets: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
        let mut unindexed = Vec::new();
        for (n, opts) in options.into_iter().enumerate() {
            let n = n as u32;
            let best = opts.into_iter().min_by_key(|(pid, keys)| {
                keys.iter()
                    .map(|k| counts[&(*pid, k.clone())] + k.penalty())
                    .sum::<usize>()
            });
            let Some((pid, keys)) = best else {
                unindexed.push(n);
                continue;
            };
            let pid32 = pid as u32;
            let leaf = root
                .node(&path_of_id[pid])
                .leaf
                .get_or_insert_with(|| LeafIndex {
                    path: pid32,
                    ..LeafIndex::default()
                });
            for k in keys {
                let h = match &k {
                    Key::Str(s) => {
                        leaf.strings = true;
                        key_hash(pid32, STR, s.as_bytes())
                    }
                    Key::StrCi(s) => {
                        leaf.strings_ci = true;
                        key_hash(pid32, STR_CI, s.as_bytes())
                    }
                    Key::Num(x) => {
                        leaf.numbers = true;
                        key_hash(pid32, NUM, &x.to_le_bytes())
                    }
                    Key::Bool(b) => {
                        leaf.scalars = true;
                        key_hash(pid32, if *b { TRUE } else { FALSE }, &[])
                    }
                    Key::Null => {
                        leaf.scalars = true;
                        key_hash(pid32, NULL, &[])
                    }
                    Key::Prefix(s) => {
                        leaf.prefix_lens.push(s.len());
                        key_hash(pid32, PREFIX, s.as_bytes())
                    }
                    Key::Suffix(s) => {
                        leaf.suffix_lens.push(s.len());
                        key_hash(pid32, SUFFIX, s.as_bytes())
                    }
                };
                let b = buckets.entry(h).or_default();
                if b.last() != Some(&n) {
                    b.push(n);
                }
            }
        }
        root.finish();
        let mut table = FxHashMap::default();
        let mut ids = Vec::new();
        for (h, b) in buckets {
            table.insert(h, (ids.len() as u32, b.len() as u32));
            ids.extend(b);
        }
        let anchor_paths = root.count();
        let index = Index { root, table, ids };

        let mut match_all = self.match_all;
        match_all.sort_unstable();
        match_all.dedup();
        plugins.sort_unstable();
        plugins.dedup();
        let stats = PatternSetStats {
            plugins: plugins.len(),
            match_all: match_all.len(),
            alternatives: entries.len(),
            indexed: entries.len() - unindexed.len(),
            unindexed: unindexed.len(),
            anchor_paths,
        };
        PatternSet {
            index,
            entries,
            unindexed,
            match_all,
            stats,
        }
    }
}

/// Calls `f(path, keys)` for every leaf of `obj` usable as an anchor.
fn anchors(obj: &ObjPat, path: &mut Vec<String>, f: &mut impl FnMut(&[String], Vec<Key>)) {
    for (key, field) in &obj.fields {
        path.push(key.clone());
        match field {
            FieldPat::Leaf(leaf) => {
                if let Some(keys) = leaf_keys(leaf) {
                    f(path, keys);
                }
            }
            FieldPat::Object(sub) => anchors(sub, path, f),
        }
        path.pop();
    }
}

/// Whether `alt` has no anchor that narrows the events it is checked against: none at all, or
/// only anchors with an empty prefix or suffix (which every string has). The set checks such
/// alternatives against (nearly) every event, so [`PatternLimits::plugin_max_unindexed`] bounds
/// them.
pub(crate) fn is_unindexed(alt: &ObjPat) -> bool {
    let mut selective = false;
    anchors(alt, &mut Vec::new(), &mut |_, keys| {
        selective |= keys.iter().all(|k| !k.hits_every_string());
    });
    !selective
}

/// A hashable necessary condition on one leaf value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Str(Box<str>),
    /// ASCII lower-case form, for ASCII `equals-ignore-case` patterns.
    StrCi(Box<str>),
    /// `f64` bits of the value (+0.0 for zero), for numbers compared by value.
    Num(u64),
    Bool(bool),
    Null,
    Prefix(Box<str>),
    Suffix(Box<str>),
}

impl Key {
    /// An empty prefix or suffix: every string has it.
    fn hits_every_string(&self) -> bool {
        matches!(self, Key::Prefix(s) | Key::Suffix(s) if s.is_empty())
    }

    /// Bias against anchors whose bucket is looked up by every string (empty prefix/suffix) and,
    /// slightly, against prefixes and suffixes (several lookups per value).
    fn penalty(&self) -> usize {
        match self {
            Key::Prefix(s) | Key::Suffix(s) if s.is_empty() => 1 << 20,
            Key::Prefix(_) | Key::Suffix(_) => 1,
            _ => 0,
        }
    }
}

fn num_key(x: f64) -> u64 {
    if x == 0.0 { 0 } else { x.to_bits() }
}

/// The keys of a leaf whose every alternative is indexable; `None` otherwise (the leaf is an OR,
/// so one unindexable value makes the whole leaf unusable as an anchor).
fn leaf_keys(leaf: &Leaf) -> Option<Vec<Key>> {
    if leaf.has_absent || leaf.has_exists {
        return None;
    }
    leaf.matchers
        .iter()
        .map(|m| match m {
            Matcher::String(s) => Some(Key::Str(s.as_str().into())),
            Matcher::Number(n) => n.as_f64().map(|x| Key::Num(num_key(x))),
            Matcher::Bool(b) => Some(Key::Bool(*b)),
            Matcher::Null => Some(Key::Null),
            Matcher::Prefix(s) => Some(Key::Prefix(s.as_str().into())),
            Matcher::Suffix(s) => Some(Key::Suffix(s.as_str().into())),
            Matcher::EqualsIgnoreCase(p) => p.ascii_key().map(|k| Key::StrCi(k.into())),
            Matcher::Wildcard(w) => {
                let (pre, suf) = (w.literal_prefix(), w.literal_suffix());
                if !w.has_star() {
                    Some(Key::Str(pre.into()))
                } else if !pre.is_empty() && pre.len() >= suf.len() {
                    Some(Key::Prefix(pre.into()))
                } else if !suf.is_empty() {
                    Some(Key::Suffix(suf.into()))
                } else {
                    None
                }
            }
            _ => None,
        })
        .collect()
}

const STR: u8 = 1;
const STR_CI: u8 = 2;
const NUM: u8 = 3;
const TRUE: u8 = 4;
const FALSE: u8 = 5;
const NULL: u8 = 6;
const PREFIX: u8 = 7;
const SUFFIX: u8 = 8;

fn key_hash(path: u32, kind: u8, bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write_u32(path);
    h.write_u8(kind);
    h.write(bytes);
    h.finish()
}

/// The anchor paths as a trie over event field names (arrays are crossed transparently).
#[derive(Default)]
struct PathNode {
    children: Vec<(Box<str>, PathNode)>,
    /// Anchors on the leaf values at exactly this path.
    leaf: Option<LeafIndex>,
}

/// Which kinds of key are filed under one path, so that lookups that cannot hit are skipped.
#[derive(Default)]
struct LeafIndex {
    path: u32,
    strings: bool,
    strings_ci: bool,
    numbers: bool,
    /// true/false/null
    scalars: bool,
    prefix_lens: Vec<usize>,
    suffix_lens: Vec<usize>,
}

impl PathNode {
    fn node(&mut self, path: &[String]) -> &mut PathNode {
        let Some((first, rest)) = path.split_first() else {
            return self;
        };
        let i = match self.children.iter().position(|(k, _)| **k == **first) {
            Some(i) => i,
            None => {
                self.children
                    .push((first.as_str().into(), PathNode::default()));
                self.children.len() - 1
            }
        };
        self.children[i].1.node(rest)
    }

    fn finish(&mut self) {
        if let Some(leaf) = &mut self.leaf {
            for lens in [&mut leaf.prefix_lens, &mut leaf.suffix_lens] {
                lens.sort_unstable();
                lens.dedup();
            }
        }
        for (_, c) in &mut self.children {
            c.finish();
        }
    }

    fn count(&self) -> usize {
        usize::from(self.leaf.is_some())
            + self.children.iter().map(|(_, c)| c.count()).sum::<usize>()
    }
}

struct Index {
    root: PathNode,
    /// key hash → (start, len) in `ids`
    table: FxHashMap<u64, (u32, u32)>,
    ids: Vec<u32>,
}

impl Index {
    fn hit(&self, h: u64, out: &mut Vec<u32>) {
        if let Some(&(start, len)) = self.table.get(&h) {
            out.extend_from_slice(&self.ids[start as usize..(start + len) as usize]);
        }
    }

    /// Walks `v` along the trie below `node`, looking up every leaf value at an anchor path.
    fn walk<'a, J: EventJson<'a>>(
        &self,
        node: &PathNode,
        v: J,
        scratch: &mut String,
        out: &mut Vec<u32>,
    ) {
        match v.shape() {
            Shape::Array => {
                for item in v.items() {
                    self.walk(node, item, scratch, out);
                }
            }
            Shape::Object => {
                for (name, child) in &node.children {
                    if let Some(c) = v.get(name) {
                        self.walk(child, c, scratch, out);
                    }
                }
            }
            scalar => {
                if let Some(leaf) = &node.leaf {
                    self.lookup(leaf, scalar, scratch, out);
                }
            }
        }
    }

    fn lookup(&self, leaf: &LeafIndex, v: Shape<'_>, scratch: &mut String, out: &mut Vec<u32>) {
        let p = leaf.path;
        match v {
            Shape::String(s) => {
                if leaf.strings {
                    self.hit(key_hash(p, STR, s.as_bytes()), out);
                }
                if leaf.strings_ci && s.is_ascii() {
                    scratch.clear();
                    scratch.push_str(s);
                    scratch.make_ascii_lowercase();
                    self.hit(key_hash(p, STR_CI, scratch.as_bytes()), out);
                }
                for &len in &leaf.prefix_lens {
                    if len > s.len() {
                        break;
                    }
                    if s.is_char_boundary(len) {
                        self.hit(key_hash(p, PREFIX, &s.as_bytes()[..len]), out);
                    }
                }
                for &len in &leaf.suffix_lens {
                    if len > s.len() {
                        break;
                    }
                    let at = s.len() - len;
                    if s.is_char_boundary(at) {
                        self.hit(key_hash(p, SUFFIX, &s.as_bytes()[at..]), out);
                    }
                }
            }
            Shape::Number(x) => {
                if leaf.numbers
                    && let Some(x) = x.as_f64()
                {
                    self.hit(key_hash(p, NUM, &num_key(x).to_le_bytes()), out);
                }
            }
            Shape::Bool(b) if leaf.scalars => {
                self.hit(key_hash(p, if b { TRUE } else { FALSE }, &[]), out);
            }
            Shape::Null if leaf.scalars => self.hit(key_hash(p, NULL, &[]), out),
            _ => {}
        }
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
    index: Index,
    entries: Vec<Entry>,
    /// Alternatives without an anchor: checked on every event.
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
    /// Alternatives filed under an anchor.
    pub indexed: usize,
    /// Alternatives checked on every event because none of their conditions can be looked up
    /// (only `anything-but`, `numeric`, `exists`, `cidr`, non-ASCII `equals-ignore-case`,
    /// ignore-case prefix/suffix, or wildcards starting and ending with `*`).
    pub unindexed: usize,
    /// Distinct event paths looked up per event.
    pub anchor_paths: usize,
}

thread_local! {
    static SCRATCH: RefCell<(Vec<u32>, String)> = const { RefCell::new((Vec::new(), String::new())) };
}

impl PatternSet {
    /// An empty set (no plugin is ever a candidate).
    pub fn empty() -> PatternSet {
        PatternSetBuilder::new().build()
    }

    /// Sizes of this set.
    pub fn stats(&self) -> PatternSetStats {
        self.stats
    }

    /// Writes into `out` (cleared first) the plugins whose patterns match `event`, in ascending
    /// order without duplicates. The result is exact: every id in it has a pattern that
    /// [`Pattern::matches`] the event, and every such plugin is in it.
    ///
    /// The event is a [`Document`](crate::Document) (what the host passes: parsed once, read
    /// in place) or a `serde_json::Value`.
    pub fn candidates<'a>(&self, event: impl AsEvent<'a>, out: &mut Vec<PluginId>) {
        let event = event.into_event();
        out.clear();
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (found, text) = &mut *guard;
            found.clear();
            self.index.walk(&self.index.root, event, text, found);
            if found.len() > 1 {
                found.sort_unstable();
                found.dedup();
            }
            for &n in found.iter().chain(&self.unindexed) {
                let entry = &self.entries[n as usize];
                if !out.contains(&entry.plugin) && eval(&entry.alt, event, &mut NoSink) {
                    out.push(entry.plugin);
                }
            }
        });
        out.extend_from_slice(&self.match_all);
        out.sort_unstable();
        out.dedup();
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
