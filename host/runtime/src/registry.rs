//! The set of plugins in force, and how it is assembled from the configuration.
//!
//! A [`PluginSet`] is immutable: a reload builds a new one and swaps it in whole through the
//! [`Registry`], so an evaluation that holds a snapshot never sees the set change under it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::config::RuntimeConfig;
use crate::plugin::Plugin;
use crate::reload::{FailedFile, Reloader};
use crate::runtime::Runtime;

/// An immutable set of plugins with unique names, in load order, with one index over all
/// their event patterns.
#[derive(Debug)]
pub struct PluginSet {
    plugins: Vec<Arc<Plugin>>,
    patterns: glue_rules_patterns::PatternSet,
    prefilter: bool,
}

impl Default for PluginSet {
    fn default() -> Self {
        Self {
            plugins: Vec::new(),
            patterns: glue_rules_patterns::PatternSet::empty(),
            prefilter: true,
        }
    }
}

/// Why a set of plugins could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Plugins failed to load; each is named with its reason.
    #[error("{}", .0.iter().map(|f| f.error.as_str()).collect::<Vec<_>>().join("\n"))]
    Failed(Vec<FailedFile>),
    /// Two components call themselves by the same name.
    #[error("two plugins are named {name:?}: {first} and {second}")]
    DuplicateName {
        /// The shared name.
        name: String,
        /// The first component.
        first: PathBuf,
        /// The second component.
        second: PathBuf,
    },
    /// A plugins directory could not be listed.
    #[error("{path}: cannot list plugins: {source}")]
    ListDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl PluginSet {
    /// Builds a set, refusing duplicate names.
    pub fn new(plugins: Vec<Arc<Plugin>>) -> Result<Self, RegistryError> {
        let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
        for plugin in &plugins {
            if let Some(first) = seen.insert(plugin.name(), &plugin.info().path) {
                return Err(RegistryError::DuplicateName {
                    name: plugin.name().to_owned(),
                    first: first.to_owned(),
                    second: plugin.info().path.clone(),
                });
            }
        }
        let mut builder = glue_rules_patterns::PatternSetBuilder::new();
        for (id, plugin) in plugins.iter().enumerate() {
            builder.add_compiled(id, plugin.patterns().to_vec());
        }
        Ok(Self {
            plugins,
            patterns: builder.build(),
            prefilter: true,
        })
    }

    /// Turns the pattern pre-filter off (every plugin sees every event) or back on. Only for
    /// measuring what the pre-filter saves; plugins rely on their patterns being honoured.
    pub fn with_prefilter(mut self, on: bool) -> Self {
        self.prefilter = on;
        self
    }

    /// The plugins whose patterns select `event` (indexes into [`PluginSet::plugins`], in
    /// order), found through the shared index without looking at every plugin.
    pub fn candidates(&self, event: &glue_rules_patterns::Document, out: &mut Vec<usize>) {
        if self.prefilter {
            self.patterns.candidates(event, out);
        } else {
            out.clear();
            out.extend(0..self.plugins.len());
        }
    }

    /// The plugins, in load order.
    pub fn plugins(&self) -> &[Arc<Plugin>] {
        &self.plugins
    }

    /// The plugin called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Plugin>> {
        self.plugins.iter().find(|p| p.name() == name)
    }

    /// How many plugins are in the set.
    pub fn len(&self) -> usize {
        self.plugins.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }
}

/// The plugin set in force, swapped atomically.
#[derive(Debug, Default)]
pub struct Registry {
    current: RwLock<Arc<PluginSet>>,
}

impl Registry {
    /// A registry serving `set`.
    pub fn new(set: PluginSet) -> Self {
        Self {
            current: RwLock::new(Arc::new(set)),
        }
    }

    /// The set in force now. Hold on to it for the whole of one event.
    pub fn snapshot(&self) -> Arc<PluginSet> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Puts `set` in force; evaluations already holding the old set finish on it.
    pub fn replace(&self, set: PluginSet) -> Arc<PluginSet> {
        let set = Arc::new(set);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = set.clone();
        set
    }
}

/// Where plugins come from, besides the configuration's own entries.
#[derive(Debug, Clone, Default)]
pub struct PluginSources {
    /// Component files named on the command line.
    pub files: Vec<PathBuf>,
    /// A directory to load every `*.wasm` from, overriding the configuration's.
    pub dir: Option<PathBuf>,
}

/// Loads every plugin the configuration and `sources` name: explicit files, then the
/// configuration's entries with a `path`, then every `*.wasm` in the plugins directory.
///
/// Strict: any component that fails to load fails the whole call, with every failure named.
/// (The sidecar uses [`crate::reload::Reloader`] directly, which keeps serving what loaded.)
pub fn load_plugins(
    runtime: &Runtime,
    config: &RuntimeConfig,
    sources: &PluginSources,
) -> Result<PluginSet, RegistryError> {
    let mut reloader = Reloader::new(runtime.clone(), config.clone(), sources.clone());
    let (set, report) = reloader.reload()?;
    if !report.failed.is_empty() {
        return Err(RegistryError::Failed(report.failed));
    }
    Ok(set)
}

/// The `*.wasm` files directly in `dir`, sorted by name so load order is stable.
pub fn wasm_files(dir: &Path) -> Result<Vec<PathBuf>, RegistryError> {
    let list_err = |source| RegistryError::ListDir {
        path: dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(list_err)? {
        let path = entry.map_err(list_err)?.path();
        if path.extension().is_some_and(|e| e == "wasm") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
