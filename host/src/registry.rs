//! The set of plugins in force, and how it is assembled from the configuration.
//!
//! A [`PluginSet`] is immutable: a reload builds a new one and swaps it in whole through the
//! [`Registry`], so an evaluation that holds a snapshot never sees the set change under it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::config::Config;
use crate::plugin::{LoadError, Plugin, PluginSettings};
use crate::runtime::Runtime;

/// An immutable set of plugins with unique names, in load order.
#[derive(Debug, Default)]
pub struct PluginSet {
    plugins: Vec<Arc<Plugin>>,
}

/// Why a set of plugins could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A plugin failed to load.
    #[error(transparent)]
    Load(#[from] LoadError),
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
        Ok(Self { plugins })
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
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
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
/// A plugin's settings are chosen by the name it gives in `describe`. A component listed twice
/// (say by path and through the directory) is loaded once.
pub fn load_plugins(
    runtime: &Runtime,
    config: &Config,
    sources: &PluginSources,
) -> Result<PluginSet, RegistryError> {
    let mut paths: Vec<(PathBuf, Option<&PluginSettings>)> = Vec::new();
    for file in &sources.files {
        paths.push((file.clone(), None));
    }
    for entry in config.plugins.values() {
        if let (Some(path), true) = (&entry.path, entry.enabled) {
            paths.push((path.clone(), Some(&entry.settings)));
        }
    }
    if let Some(dir) = sources.dir.as_ref().or(config.plugins_dir.as_ref()) {
        for path in wasm_files(dir)? {
            paths.push((path, None));
        }
    }

    let mut seen = std::collections::HashSet::new();
    let mut plugins = Vec::new();
    for (path, settings) in paths {
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if !seen.insert(key) {
            continue;
        }
        let initial = settings.cloned().unwrap_or_else(|| config.defaults.clone());
        let plugin = Plugin::load(runtime, &path, initial)?;
        let name = plugin.name().to_owned();
        let plugin = match config.plugins.get(&name) {
            Some(entry) if !entry.enabled => continue,
            Some(entry) if settings.is_none() => {
                if let Some(expected) = &entry.settings.sha256
                    && expected != &plugin.info().sha256
                {
                    return Err(LoadError::Integrity {
                        path,
                        expected: expected.clone(),
                        actual: plugin.info().sha256.clone(),
                    }
                    .into());
                }
                plugin.with_settings(entry.settings.clone())
            }
            _ => plugin,
        };
        plugins.push(Arc::new(plugin));
    }
    PluginSet::new(plugins)
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
