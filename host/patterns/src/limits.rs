//! Size limits on patterns and on a plugin's list of patterns, and the checks that enforce them
//! before anything large is built.
//!
//! Every check here costs at most one pass over the pattern text (or its parsed tree), whatever
//! the pattern would expand to: the `$or` expansion is *counted* here, never materialised, so a
//! pattern over a limit is refused before the compiler clones a single leaf.

use serde::{Deserialize, Serialize};

use crate::error::{JsonPath, PatternError, Rule};
use crate::json::Json;
use crate::pattern::Pattern;

/// Bounds on what a plugin may declare, in the spirit of EventBridge's quotas.
///
/// A pattern is untrusted input: a plugin is code from someone else, and what it declares is
/// compiled inside the host. Without bounds, one pattern whose `$or` expansion clones a long
/// list into every alternative, or a plugin with hundreds of thousands of patterns, takes the
/// host's memory and start-up time, and alternatives with nothing to index add to the cost of
/// every event. Every field bounds one of those; every check costs at most one pass over the
/// pattern text, so a pattern or plugin over a limit is refused at once, with a
/// [`Rule::OverLimit`] naming the [`Limit`].
///
/// [`Default`] gives EventBridge's quotas where it has one, and bounds chosen to fit it
/// otherwise. To change some, start from the defaults:
///
/// ```
/// use glue_rules_patterns::PatternLimits;
///
/// let limits = PatternLimits {
///     pattern_max_bytes: 4096, // EventBridge's raised quota
///     ..PatternLimits::default()
/// };
/// assert_eq!(limits.plugin_max_patterns, 100);
/// ```
///
/// With serde (e.g. a host's `[limits]` table in TOML) the fields are written in kebab-case
/// (`pattern-max-bytes = 4096`) and missing ones take their default; unknown keys are ignored,
/// so that the table can be shared with the host's other limits.
///
/// The per-pattern limits apply in [`Pattern::parse`] (with the defaults) and
/// [`Pattern::parse_with_limits`]; the per-plugin ones in [`Pattern::parse_list_with_limits`],
/// [`PatternSetBuilder::add`](crate::PatternSetBuilder::add) and
/// [`PatternSetBuilder::try_add_compiled`](crate::PatternSetBuilder::try_add_compiled)
/// (with the builder's limits, see
/// [`PatternSetBuilder::with_limits`](crate::PatternSetBuilder::with_limits)). A single pattern
/// that alone breaks a per-plugin limit can never be loaded, so `parse` refuses it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct PatternLimits {
    /// Bytes of one pattern's JSON text (default 2,048). EventBridge's quota is 2,048
    /// characters by default, 4,096 on request; bytes are counted here (what the host holds),
    /// which is stricter for non-ASCII text. Checked first, before the text is parsed: it bounds
    /// the work and memory of parsing and of every later check.
    pub pattern_max_bytes: usize,
    /// Nesting depth of one pattern: objects and arrays inside each other, the pattern object
    /// itself counting 1, so `{"detail": {"state": ["FAILED"]}}` is 3 deep (default 32).
    /// Checked on the text before it is parsed, so that deep nesting never reaches a recursive
    /// function. Whatever the value, `serde_json` refuses nesting past 128 (as
    /// [`Rule::InvalidJson`], "recursion limit exceeded").
    pub pattern_max_depth: usize,
    /// Values in one list: a field's list of values, or a list inside a match expression such
    /// as `{"anything-but": [...]}` (default 256; `$or` arrays are bounded by
    /// [`pattern_max_alternatives`](Self::pattern_max_alternatives) instead). The values of a
    /// list are tried one after the other whenever the field is checked against an event.
    pub list_max_values: usize,
    /// `$or` combinations in one pattern, counted as EventBridge's guide does: the product of
    /// the lengths of all `$or` arrays in the pattern (default 1,000, EventBridge's limit).
    /// Each combination becomes an alternative checked on its own.
    pub pattern_max_alternatives: usize,
    /// Values in one pattern once its `$or` is expanded: every alternative holds its own copy of
    /// each list that applies to it, so a list outside a 1,000-way `$or` counts 1,000 times
    /// (default 10,000). A value is a JSON scalar in a list, or inside a match expression
    /// (`{"numeric": [">", 0, "<", 5]}` counts 4). Counted on the parsed text before expanding
    /// anything, as if no field were written twice (a field written again replaces the first
    /// list, so this may overcount such patterns). This is the bound on a pattern's compiled
    /// size: its memory is about 100 bytes per value plus the copied strings.
    pub pattern_max_compiled_values: usize,
    /// Patterns one plugin declares (default 100). Checked before any is parsed.
    pub plugin_max_patterns: usize,
    /// Alternatives across all of a plugin's patterns once expanded (default 1,000: a plugin may
    /// expand as far as one EventBridge pattern at its `$or` limit). The index stores and may
    /// check each on its own.
    pub plugin_max_alternatives: usize,
    /// Values across all of a plugin's patterns once expanded, counted as for
    /// [`pattern_max_compiled_values`](Self::pattern_max_compiled_values) (default 20,000): the
    /// bound on a plugin's compiled size.
    pub plugin_max_compiled_values: usize,
    /// Alternatives of one plugin that the index cannot look up and so checks against every
    /// event (default 16): those whose every condition is `anything-but`, `numeric`, `exists`,
    /// `cidr`, a non-ASCII `equals-ignore-case`, an ignore-case `prefix`/`suffix`, a wildcard
    /// starting and ending with `*`, or an empty `prefix`/`suffix` (which every string has).
    /// This bounds the cost a plugin adds to events it does not care about.
    pub plugin_max_unindexed: usize,
}

impl Default for PatternLimits {
    fn default() -> PatternLimits {
        PatternLimits {
            pattern_max_bytes: 2048,
            pattern_max_depth: 32,
            list_max_values: 256,
            pattern_max_alternatives: 1000,
            pattern_max_compiled_values: 10_000,
            plugin_max_patterns: 100,
            plugin_max_alternatives: 1000,
            plugin_max_compiled_values: 20_000,
            plugin_max_unindexed: 16,
        }
    }
}

impl PatternLimits {
    /// The value of one limit.
    pub fn get(&self, limit: Limit) -> usize {
        match limit {
            Limit::PatternMaxBytes => self.pattern_max_bytes,
            Limit::PatternMaxDepth => self.pattern_max_depth,
            Limit::ListMaxValues => self.list_max_values,
            Limit::PatternMaxAlternatives => self.pattern_max_alternatives,
            Limit::PatternMaxCompiledValues => self.pattern_max_compiled_values,
            Limit::PluginMaxPatterns => self.plugin_max_patterns,
            Limit::PluginMaxAlternatives => self.plugin_max_alternatives,
            Limit::PluginMaxCompiledValues => self.plugin_max_compiled_values,
            Limit::PluginMaxUnindexed => self.plugin_max_unindexed,
        }
    }

    /// Sets one limit.
    pub fn set(&mut self, limit: Limit, value: usize) {
        *match limit {
            Limit::PatternMaxBytes => &mut self.pattern_max_bytes,
            Limit::PatternMaxDepth => &mut self.pattern_max_depth,
            Limit::ListMaxValues => &mut self.list_max_values,
            Limit::PatternMaxAlternatives => &mut self.pattern_max_alternatives,
            Limit::PatternMaxCompiledValues => &mut self.pattern_max_compiled_values,
            Limit::PluginMaxPatterns => &mut self.plugin_max_patterns,
            Limit::PluginMaxAlternatives => &mut self.plugin_max_alternatives,
            Limit::PluginMaxCompiledValues => &mut self.plugin_max_compiled_values,
            Limit::PluginMaxUnindexed => &mut self.plugin_max_unindexed,
        } = value;
    }

    /// Fails with [`Limit`] `limit` when `found` is over it.
    fn check(&self, limit: Limit, found: usize, path: &JsonPath) -> Result<(), PatternError> {
        let max = self.get(limit);
        if found > max {
            Err(PatternError::new(
                path,
                Rule::OverLimit { limit, max, found },
            ))
        } else {
            Ok(())
        }
    }
}

/// One of the [`PatternLimits`], as named in [`Rule::OverLimit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Limit {
    /// [`PatternLimits::pattern_max_bytes`]
    PatternMaxBytes,
    /// [`PatternLimits::pattern_max_depth`]
    PatternMaxDepth,
    /// [`PatternLimits::list_max_values`]
    ListMaxValues,
    /// [`PatternLimits::pattern_max_alternatives`]
    PatternMaxAlternatives,
    /// [`PatternLimits::pattern_max_compiled_values`]
    PatternMaxCompiledValues,
    /// [`PatternLimits::plugin_max_patterns`]
    PluginMaxPatterns,
    /// [`PatternLimits::plugin_max_alternatives`]
    PluginMaxAlternatives,
    /// [`PatternLimits::plugin_max_compiled_values`]
    PluginMaxCompiledValues,
    /// [`PatternLimits::plugin_max_unindexed`]
    PluginMaxUnindexed,
}

impl Limit {
    /// Every limit, in the order of [`PatternLimits`]' fields.
    pub const ALL: [Limit; 9] = [
        Limit::PatternMaxBytes,
        Limit::PatternMaxDepth,
        Limit::ListMaxValues,
        Limit::PatternMaxAlternatives,
        Limit::PatternMaxCompiledValues,
        Limit::PluginMaxPatterns,
        Limit::PluginMaxAlternatives,
        Limit::PluginMaxCompiledValues,
        Limit::PluginMaxUnindexed,
    ];

    /// The limit's name as a configuration key (its [`PatternLimits`] field in kebab-case), e.g.
    /// `pattern-max-bytes`.
    pub fn name(self) -> &'static str {
        match self {
            Limit::PatternMaxBytes => "pattern-max-bytes",
            Limit::PatternMaxDepth => "pattern-max-depth",
            Limit::ListMaxValues => "list-max-values",
            Limit::PatternMaxAlternatives => "pattern-max-alternatives",
            Limit::PatternMaxCompiledValues => "pattern-max-compiled-values",
            Limit::PluginMaxPatterns => "plugin-max-patterns",
            Limit::PluginMaxAlternatives => "plugin-max-alternatives",
            Limit::PluginMaxCompiledValues => "plugin-max-compiled-values",
            Limit::PluginMaxUnindexed => "plugin-max-unindexed",
        }
    }

    /// The limit named `name` (as [`name`](Self::name) writes it).
    pub fn from_name(name: &str) -> Option<Limit> {
        Limit::ALL.into_iter().find(|l| l.name() == name)
    }

    /// What is over the limit, for [`Rule::OverLimit`]'s message.
    pub(crate) fn describe(self, max: usize, found: usize) -> String {
        let name = self.name();
        match self {
            Limit::PatternMaxBytes => {
                format!("{found} bytes, over the limit of {max} bytes ({name})")
            }
            Limit::PatternMaxDepth => {
                format!("nested {found} levels deep, over the limit of {max} levels ({name})")
            }
            Limit::ListMaxValues => format!(
                "a list of {found} values, over the limit of {max} values per list ({name})"
            ),
            Limit::PatternMaxAlternatives => format!(
                "`$or` expands to {found} combinations, over the limit of {max} combinations \
                 ({name})"
            ),
            Limit::PatternMaxCompiledValues => format!(
                "{found} values across the `$or` alternatives, over the limit of {max} values \
                 per pattern ({name})"
            ),
            Limit::PluginMaxPatterns => {
                format!("{found} patterns, over the limit of {max} patterns per plugin ({name})")
            }
            Limit::PluginMaxAlternatives => format!(
                "{found} alternatives after `$or` expansion, over the limit of {max} alternatives \
                 per plugin ({name})"
            ),
            Limit::PluginMaxCompiledValues => format!(
                "{found} values across the `$or` alternatives, over the limit of {max} values \
                 per plugin ({name})"
            ),
            Limit::PluginMaxUnindexed => format!(
                "{found} alternatives that the index cannot look up (checked against every \
                 event), over the limit of {max} per plugin ({name})"
            ),
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The checks on the text, before it is parsed: its size, then its nesting depth (one pass over
/// the bytes, no recursion).
pub(crate) fn check_text(text: &str, limits: &PatternLimits) -> Result<(), PatternError> {
    let root = JsonPath::default();
    limits.check(Limit::PatternMaxBytes, text.len(), &root)?;
    limits.check(Limit::PatternMaxDepth, text_depth(text), &root)
}

/// The deepest nesting of `{`/`[` outside strings. For valid JSON this is its depth; for
/// anything else it is some number, and the parser reports the real problem.
fn text_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in text.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// What [`measure`] counted.
pub(crate) struct Measure {
    /// Values across all alternatives once expanded (an upper bound, see
    /// [`PatternLimits::pattern_max_compiled_values`]).
    pub(crate) compiled_values: usize,
}

/// Counts, on the parsed pattern and without expanding it, what the compiler would build, and
/// fails on the first limit passed: list lengths, the `$or` product, the compiled values.
/// One visit per node of `json`, whatever the expansion's size.
pub(crate) fn measure(
    members: &[(String, Json)],
    limits: &PatternLimits,
) -> Result<Measure, PatternError> {
    let mut m = Measurer {
        limits,
        or_product: 1,
    };
    let mut state = Rules::default();
    let root = JsonPath::default();
    m.object(members, &root, &mut state)?;
    limits.check(Limit::PatternMaxCompiledValues, state.values, &root)?;
    Ok(Measure {
        compiled_values: state.values,
    })
}

/// The compiler's list of rules (alternatives), reduced to sizes.
#[derive(Debug, Clone, Copy, Default)]
struct Rules {
    /// How many rules there are (0 until the first leaf or `$or`, as in the compiler).
    count: usize,
    /// Values across all of them.
    values: usize,
}

struct Measurer<'a> {
    limits: &'a PatternLimits,
    /// The guide's count of combinations: the product of all `$or` lengths so far.
    or_product: usize,
}

impl Measurer<'_> {
    /// Mirrors `compile::parse_object`: members in document order, a leaf is written into every
    /// rule so far, a `$or` replaces the rules with the concatenation of one copy per element.
    fn object(
        &mut self,
        members: &[(String, Json)],
        path: &JsonPath,
        rules: &mut Rules,
    ) -> Result<(), PatternError> {
        for (key, value) in members {
            match value {
                Json::Array(items) if key == "$or" => {
                    let p = path.key(key);
                    self.or_product = self.or_product.saturating_mul(items.len().max(1));
                    self.limits
                        .check(Limit::PatternMaxAlternatives, self.or_product, &p)?;
                    let base = if rules.count == 0 {
                        Rules {
                            count: 1,
                            values: 0,
                        }
                    } else {
                        *rules
                    };
                    let mut total = Rules::default();
                    for (i, item) in items.iter().enumerate() {
                        // Anything else is an error the compiler reports.
                        if let Json::Object(m) = item {
                            let mut alt = base;
                            self.object(m, &p.index(i), &mut alt)?;
                            total.count = total.count.saturating_add(alt.count);
                            total.values = total.values.saturating_add(alt.values);
                        }
                    }
                    *rules = total;
                }
                Json::Object(m) => self.object(m, &path.key(key), rules)?,
                Json::Array(items) => {
                    let n = self.list(items, &path.key(key))?;
                    rules.count = rules.count.max(1);
                    rules.values = rules.values.saturating_add(rules.count.saturating_mul(n));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks the length of `items` and of the lists inside it; returns its values.
    fn list(&mut self, items: &[Json], path: &JsonPath) -> Result<usize, PatternError> {
        self.limits.check(Limit::ListMaxValues, items.len(), path)?;
        let mut n = 0usize;
        for (i, item) in items.iter().enumerate() {
            let here = match item {
                Json::Array(_) | Json::Object(_) => self.element(item, &path.index(i))?,
                _ => 1,
            };
            n = n.saturating_add(here.max(1));
        }
        Ok(n)
    }

    /// The scalars in an array or a match expression (which may hold lists).
    fn element(&mut self, item: &Json, path: &JsonPath) -> Result<usize, PatternError> {
        Ok(match item {
            Json::Array(items) => self.list(items, path)?,
            Json::Object(members) => {
                let mut n = 0usize;
                for (key, v) in members {
                    n = n.saturating_add(match v {
                        Json::Array(_) | Json::Object(_) => self.element(v, &path.key(key))?,
                        _ => 1,
                    });
                }
                n
            }
            _ => 1,
        })
    }
}

/// A plugin's running totals against the per-plugin limits.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PluginTotals {
    pub(crate) patterns: usize,
    pub(crate) alternatives: usize,
    pub(crate) compiled_values: usize,
    pub(crate) unindexed: usize,
}

impl PluginTotals {
    /// Fails when `more` patterns would take the plugin over `plugin_max_patterns`
    /// (before any of them is parsed).
    pub(crate) fn admit_count(
        &self,
        more: usize,
        limits: &PatternLimits,
    ) -> Result<(), PatternError> {
        limits
            .check(
                Limit::PluginMaxPatterns,
                self.patterns.saturating_add(more),
                &JsonPath::default(),
            )
            .map_err(PatternError::for_plugin)
    }

    /// Adds `patterns` without checking anything.
    pub(crate) fn add_unchecked(&mut self, patterns: &[Pattern]) {
        for p in patterns {
            self.patterns = self.patterns.saturating_add(1);
            self.alternatives = self.alternatives.saturating_add(p.alternatives());
            self.compiled_values = self.compiled_values.saturating_add(p.compiled_values());
            self.unindexed = self.unindexed.saturating_add(p.unindexed_alternatives());
        }
    }

    /// Adds `pattern`, failing when that takes the plugin over a per-plugin limit (the totals
    /// are then unchanged). `index` is the pattern's number in the plugin's list: the error is
    /// then about the list (no path); without one it is about the pattern alone (at `<root>`).
    pub(crate) fn admit(
        &mut self,
        pattern: &Pattern,
        index: Option<usize>,
        limits: &PatternLimits,
    ) -> Result<(), PatternError> {
        let next = PluginTotals {
            patterns: self.patterns.saturating_add(1),
            alternatives: self.alternatives.saturating_add(pattern.alternatives()),
            compiled_values: self
                .compiled_values
                .saturating_add(pattern.compiled_values()),
            unindexed: self
                .unindexed
                .saturating_add(pattern.unindexed_alternatives()),
        };
        let root = JsonPath::default();
        let checks = [
            (Limit::PluginMaxPatterns, next.patterns),
            (Limit::PluginMaxAlternatives, next.alternatives),
            (Limit::PluginMaxCompiledValues, next.compiled_values),
            (Limit::PluginMaxUnindexed, next.unindexed),
        ];
        // The count is about lists: one pattern alone is not "too many patterns".
        let checks = if index.is_some() {
            &checks[..]
        } else {
            &checks[1..]
        };
        for &(limit, found) in checks {
            limits.check(limit, found, &root).map_err(|e| match index {
                Some(i) => e.for_plugin().in_list(i),
                None => e,
            })?;
        }
        *self = next;
        Ok(())
    }
}
