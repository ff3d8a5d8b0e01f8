//! Assembling the plugin set from files, and re-assembling it when files change.
//!
//! Validate, then swap: a new or changed component is compiled, instantiated and described
//! before it can replace anything. A component that fails keeps its predecessor (if any) in
//! service, and the failure is kept for status output. Unchanged files keep their loaded
//! plugin, with its warm instances, counters and quarantine state.
//!
//! Pins come first. A `[plugins.NAME] sha256` binds that name to those bytes, whichever file
//! claims the name: a component that describes itself as a pinned name with other bytes is
//! refused, and never gets the entry's settings; bytes pinned for one name may not describe
//! themselves as another. With `require-pins`, a file whose sha256 no pin lists is refused
//! after hashing, before it is compiled or anything in it runs. A file whose bytes match a
//! pin starts (and describes itself) under that entry's settings, not the defaults.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::config::{PluginEntry, RuntimeConfig};
use crate::plugin::{LoadError, Plugin, PluginSettings, sha256_hex};
use crate::registry::{PluginSet, PluginSources, RegistryError, wasm_files};
use crate::runtime::Runtime;

/// What is known of one component file.
struct FileState {
    /// Size and modification time when last read: a cheap change check.
    stamp: Option<(u64, SystemTime)>,
    /// sha256 of the bytes last read.
    sha256: String,
    /// The last version of this file that loaded. It serves unless another file's plugin
    /// took its name first (`conflict`).
    plugin: Option<Arc<Plugin>>,
    /// Why the version on disk did not load, if it did not.
    error: Option<String>,
    /// Set while another wanted file's plugin has this plugin's name: it waits, loaded, and
    /// serves as soon as the name is free again, with no change to its own file needed.
    conflict: Option<String>,
    /// Disabled in the configuration (`enabled = false`): known, deliberately not loaded, and
    /// not read again until the file changes.
    disabled: bool,
}

impl FileState {
    fn new(stamp: Option<(u64, SystemTime)>, sha256: String) -> Self {
        Self {
            stamp,
            sha256,
            plugin: None,
            error: None,
            conflict: None,
            disabled: false,
        }
    }
}

/// The outcome of one reload, for logs, metrics and the admin API (and `glue-rules dev`, which
/// reads the API's answer back).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReloadReport {
    /// Files loaded for the first time.
    pub added: Vec<String>,
    /// Files whose new version replaced the old one.
    pub replaced: Vec<String>,
    /// Files gone from disk (or from the configuration), and their plugins with them.
    pub removed: Vec<String>,
    /// Files that failed to load, with the reason; their previous version, if any, still serves.
    pub failed: Vec<FailedFile>,
    /// How many plugins are in force after the reload.
    pub plugins: usize,
}

impl ReloadReport {
    /// Whether anything changed or failed.
    pub fn is_noop(&self) -> bool {
        self.added.is_empty()
            && self.replaced.is_empty()
            && self.removed.is_empty()
            && self.failed.is_empty()
    }
}

/// A component that did not load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailedFile {
    /// The file.
    pub path: String,
    /// Why.
    pub error: String,
}

/// A component refused by the configuration's `sha256` pins.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// `require-pins` is on and no entry pins the file's hash. Nothing in it was compiled or run.
    #[error(
        "{path}: refused: require-pins is on and no pin matches (no [plugins.NAME] sha256 is \
         {actual}, this file's sha256)"
    )]
    Unpinned {
        /// The file.
        path: PathBuf,
        /// Its sha256.
        actual: String,
    },
    /// The component describes itself as a name pinned to other bytes.
    #[error(
        "{path}: refused: it describes itself as {name:?}, which the configuration pins to \
         sha256 {pinned}, but this file's sha256 is {actual}"
    )]
    NameMismatch {
        /// The file.
        path: PathBuf,
        /// The name it claims.
        name: String,
        /// The hash pinned for that name.
        pinned: String,
        /// The file's hash.
        actual: String,
    },
    /// The component's bytes are pinned for another name than the one it describes itself as.
    #[error(
        "{path}: refused: its sha256 {actual} is pinned for {}, but it describes itself as \
         {name:?}",
        .pinned_for.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
    )]
    PinnedForAnother {
        /// The file.
        path: PathBuf,
        /// The name it claims.
        name: String,
        /// The names whose pin its bytes match.
        pinned_for: Vec<String>,
        /// The file's hash.
        actual: String,
    },
}

/// Why [`Reloader`] did not load a file.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Pin(#[from] PinError),
}

/// The status of one component file, for `GET /v1/plugins`.
#[derive(Debug, Clone, Serialize)]
pub struct FileStatus {
    /// The file.
    pub path: String,
    /// The plugin serving from it, if any.
    #[serde(skip)]
    pub plugin: Option<Arc<Plugin>>,
    /// The last load failure, if the newest version on disk did not load, or why its plugin
    /// does not serve (another file has its name).
    pub error: Option<String>,
    /// Whether the configuration disables the plugin in this file.
    pub disabled: bool,
}

/// Keeps the plugin set in step with the files that define it.
pub struct Reloader {
    runtime: Runtime,
    config: RuntimeConfig,
    sources: PluginSources,
    files: BTreeMap<PathBuf, FileState>,
}

impl Reloader {
    /// A reloader for the plugins that `config` and `sources` name. Nothing is loaded until the
    /// first [`Reloader::reload`].
    pub fn new(runtime: Runtime, config: RuntimeConfig, sources: PluginSources) -> Self {
        Self {
            runtime,
            config,
            sources,
            files: BTreeMap::new(),
        }
    }

    /// The component files that should be loaded now, each with the settings of an explicit
    /// configuration entry when it has one.
    fn wanted(&self) -> Result<Vec<(PathBuf, Option<PluginSettings>)>, RegistryError> {
        let mut wanted = Vec::new();
        for file in &self.sources.files {
            wanted.push((file.clone(), None));
        }
        for entry in self.config.plugins.values() {
            if let (Some(path), true) = (&entry.path, entry.enabled) {
                wanted.push((path.clone(), Some(entry.settings.clone())));
            }
        }
        if let Some(dir) = self
            .sources
            .dir
            .as_ref()
            .or(self.config.plugins_dir.as_ref())
        {
            for path in wasm_files(dir)? {
                wanted.push((path, None));
            }
        }
        // A component named twice (by path and through the directory) is loaded once.
        let mut seen = HashSet::new();
        wanted.retain(|(path, _)| seen.insert(std::fs::canonicalize(path).unwrap_or(path.clone())));
        Ok(wanted)
    }

    /// Whether any wanted file appeared, disappeared or changed size or time since the last
    /// reload. Cheap: it reads no component.
    pub fn changed_on_disk(&self) -> bool {
        let Ok(wanted) = self.wanted() else {
            return true;
        };
        if wanted.len() != self.files.len() {
            return true;
        }
        wanted.iter().any(|(path, _)| match self.files.get(path) {
            None => true,
            Some(state) => state.stamp != stamp(path),
        })
    }

    /// Re-reads the wanted files and builds the plugin set to put in force.
    ///
    /// Returns the set and a report. The set contains, for every wanted file, the newest
    /// version that loaded; a file that never loaded contributes nothing.
    pub fn reload(&mut self) -> Result<(PluginSet, ReloadReport), RegistryError> {
        let wanted = self.wanted()?;
        let mut report = ReloadReport::default();
        let wanted_paths: HashSet<&PathBuf> = wanted.iter().map(|(p, _)| p).collect();
        let gone: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|p| !wanted_paths.contains(p))
            .cloned()
            .collect();
        for path in gone {
            self.files.remove(&path);
            report.removed.push(path.display().to_string());
        }

        for (path, explicit) in &wanted {
            let current_stamp = stamp(path);
            if let Some(state) = self.files.get(path)
                && state.stamp.is_some()
                && state.stamp == current_stamp
            {
                continue;
            }
            let label = path.display().to_string();
            let bytes = match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(source) => {
                    let error = LoadError::Read {
                        path: path.clone(),
                        source,
                    }
                    .to_string();
                    self.record_failure(path, current_stamp, String::new(), error, &mut report);
                    continue;
                }
            };
            let sha256 = sha256_hex(&bytes);
            if let Some(state) = self.files.get_mut(path)
                && state.sha256 == sha256
                && (state.disabled || (state.plugin.is_some() && state.error.is_none()))
            {
                // Touched but not changed, and these bytes loaded (or are disabled) last
                // time. Bytes that failed are tried again: a touch is how to retry a failure
                // that was not the file's (a start-up budget missed on a busy host), and the
                // failure stands until a try succeeds.
                state.stamp = current_stamp;
                continue;
            }
            match self.load(path, &bytes, &sha256, explicit.as_ref()) {
                Ok(None) => {
                    // Disabled in the configuration: not loaded, not an error, and remembered,
                    // so that the next scan does not read the file again.
                    let mut state = FileState::new(current_stamp, sha256);
                    state.disabled = true;
                    if let Some(old) = self.files.insert(path.clone(), state)
                        && old.plugin.is_some()
                    {
                        report.removed.push(label);
                    }
                }
                Ok(Some(plugin)) => {
                    let mut state = FileState::new(current_stamp, sha256);
                    state.plugin = Some(Arc::new(plugin));
                    let previous = self.files.insert(path.clone(), state);
                    match previous.and_then(|p| p.plugin) {
                        Some(_) => report.replaced.push(label),
                        None => report.added.push(label),
                    }
                }
                Err(error) => {
                    self.record_failure(path, current_stamp, sha256, error.to_string(), &mut report)
                }
            }
        }

        // Assemble in a stable order; a name already taken keeps the later file's plugin out
        // of service (but loaded) until the name is free.
        let mut plugins: Vec<Arc<Plugin>> = Vec::new();
        let mut names: BTreeMap<String, &PathBuf> = BTreeMap::new();
        for (path, _) in &wanted {
            let Some(state) = self.files.get_mut(path) else {
                continue;
            };
            let Some(plugin) = &state.plugin else {
                continue;
            };
            let label = path.display().to_string();
            if let Some(holder) = names.get(plugin.name()) {
                let conflict = format!(
                    "{label}: not in service: {} already has the name {:?}",
                    holder.display(),
                    plugin.name()
                );
                report.added.retain(|p| p != &label);
                report.replaced.retain(|p| p != &label);
                // Reported when it starts (or changes), not on every reload while it lasts.
                if state.conflict.as_ref() != Some(&conflict) {
                    report.failed.push(FailedFile {
                        path: label,
                        error: conflict.clone(),
                    });
                }
                state.conflict = Some(conflict);
                continue;
            }
            if state.conflict.take().is_some() {
                report.added.push(label);
            }
            names.insert(plugin.name().to_owned(), path);
            plugins.push(plugin.clone());
        }
        report.plugins = plugins.len();
        Ok((PluginSet::new(plugins)?, report))
    }

    fn record_failure(
        &mut self,
        path: &Path,
        stamp: Option<(u64, SystemTime)>,
        sha256: String,
        error: String,
        report: &mut ReloadReport,
    ) {
        let state = self
            .files
            .entry(path.to_owned())
            .or_insert_with(|| FileState::new(None, String::new()));
        state.disabled = false;
        // Remember the stamp so a broken file is not retried on every scan, but keep the
        // plugin that was serving.
        state.stamp = stamp;
        state.sha256 = sha256;
        state.error = Some(error.clone());
        report.failed.push(FailedFile {
            path: path.display().to_string(),
            error,
        });
    }

    /// Loads one file, pins first: a file `require-pins` refuses is only hashed, and a name
    /// pinned to other bytes gets neither the load nor the entry's settings.
    fn load(
        &self,
        path: &Path,
        bytes: &[u8],
        sha256: &str,
        explicit: Option<&PluginSettings>,
    ) -> Result<Option<Plugin>, Refusal> {
        // The entries whose pin these bytes match: the names the component may take.
        let pinned_for: Vec<(&String, &PluginEntry)> = self
            .config
            .plugins
            .iter()
            .filter(|(_, entry)| entry.settings.sha256.as_deref() == Some(sha256))
            .collect();
        if self.config.require_pins && pinned_for.is_empty() {
            return Err(PinError::Unpinned {
                path: path.to_owned(),
                actual: sha256.to_owned(),
            }
            .into());
        }
        if explicit.is_none()
            && !pinned_for.is_empty()
            && pinned_for.iter().all(|(_, entry)| !entry.enabled)
        {
            // Known by its hash, and disabled: not loaded, not run, not an error.
            return Ok(None);
        }
        let initial = match (explicit, pinned_for.as_slice()) {
            (Some(settings), _) => settings.clone(),
            // Known by its hash: it starts and describes itself under its own entry's limits.
            (None, [(_, entry)]) => entry.settings.clone(),
            _ => self.config.defaults.clone(),
        };
        // Its configuration is checked against the settings it declares once the final settings
        // are known: those of the entry named like the plugin, found below.
        let plugin = Plugin::from_bytes_unconfigured(&self.runtime, path, bytes, initial)?;
        let name = plugin.name();
        let entry = self.config.plugins.get(name);
        if let Some(pinned) = entry.and_then(|entry| entry.settings.sha256.as_ref())
            && pinned != sha256
        {
            return Err(PinError::NameMismatch {
                path: path.to_owned(),
                name: name.to_owned(),
                pinned: pinned.clone(),
                actual: sha256.to_owned(),
            }
            .into());
        }
        if !pinned_for.is_empty() && !pinned_for.iter().any(|(pinned, _)| *pinned == name) {
            return Err(PinError::PinnedForAnother {
                path: path.to_owned(),
                name: name.to_owned(),
                pinned_for: pinned_for.iter().map(|(n, _)| (*n).clone()).collect(),
                actual: sha256.to_owned(),
            }
            .into());
        }
        if explicit.is_some() {
            return Ok(Some(plugin.configure(None)?));
        }
        // Settings follow the name the plugin gives itself (pinned names checked above).
        match entry {
            Some(entry) if !entry.enabled => Ok(None),
            Some(entry) => Ok(Some(plugin.configure(Some(entry.settings.clone()))?)),
            None => Ok(Some(plugin.configure(None)?)),
        }
    }

    /// Every wanted file with its serving plugin and last error.
    pub fn statuses(&self) -> Vec<FileStatus> {
        self.files
            .iter()
            .map(|(path, state)| FileStatus {
                path: path.display().to_string(),
                plugin: state.plugin.clone().filter(|_| state.conflict.is_none()),
                error: state.error.clone().or_else(|| state.conflict.clone()),
                disabled: state.disabled,
            })
            .collect()
    }
}

fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}
