//! The runtime's part of the configuration: where plugins come from and how each is run.
//!
//! In the TOML file these are the top-level keys `plugins-dir`, `require-pins`, `cache-dir`,
//! `cache-max-mib`, `max-event-bytes`, `on-error`, the `[limits]` table and the
//! `[plugins.NAME]` tables:
//!
//! ```toml
//! plugins-dir = "plugins/dist"        # every *.wasm in it is loaded
//! require-pins = true                 # ... if its sha256 is some [plugins.NAME] sha256
//!
//! [limits]                            # defaults for every plugin
//! timeout-ms = 50
//! memory-mib = 64
//!
//! [plugins.sns-on-failure]            # keyed by the name the plugin gives in describe()
//! path = "plugins/dist/sns_on_failure.wasm"   # optional when plugins-dir holds it
//! sha256 = "…"                        # optional pin
//! on-error = "skip"                   # or "fail"
//! [plugins.sns-on-failure.config]     # what the plugin reads through config(key)
//! topic-arn = "arn:aws:sns:us-east-1:123456789012:alerts"
//! [plugins.sns-on-failure.limits]     # overrides of [limits]
//! timeout-ms = 100
//! ```
//!
//! The file as a whole is read by the `glue-rules` crate, which hands this crate its section as
//! a [`RawRuntimeSection`] (deserialised with the file's spans, so type errors still name the
//! line) and gets back a validated [`RuntimeConfig`]. Relative paths are resolved against the
//! configuration file's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::plugin::{OnError, PluginSettings, QuarantinePolicy};
use crate::sandbox::Limits;

/// The largest `timeout-ms` accepted.
pub const MAX_TIMEOUT_MS: u64 = 600_000;

/// The runtime's settings: plugin sources, per-plugin settings, event size.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Directory whose `*.wasm` files are loaded as plugins.
    pub plugins_dir: Option<PathBuf>,
    /// Load only components whose sha256 is pinned by some `[plugins.NAME] sha256`, checked
    /// before anything is compiled or run.
    pub require_pins: bool,
    /// Where compiled components are cached; `None` uses the user cache directory.
    pub cache_dir: Option<PathBuf>,
    /// The most bytes the compile cache keeps (`cache-max-mib`); past it, the entries used
    /// least recently are removed.
    pub cache_max_bytes: u64,
    /// Largest event accepted, in bytes.
    pub max_event_bytes: usize,
    /// Settings every plugin starts from.
    pub defaults: PluginSettings,
    /// Per-plugin entries, keyed by plugin name.
    pub plugins: BTreeMap<String, PluginEntry>,
}

/// One `[plugins.NAME]` table.
#[derive(Debug, Clone)]
pub struct PluginEntry {
    /// Explicit component path.
    pub path: Option<PathBuf>,
    /// Whether to load it at all.
    pub enabled: bool,
    /// The effective settings: defaults with this entry's overrides applied.
    pub settings: PluginSettings,
}

/// The runtime's keys as written in the file, before validation. The top-level configuration
/// deserialises these fields itself (so that unknown keys anywhere in the file are refused) and
/// passes them to [`RuntimeConfig::from_raw`].
#[derive(Debug, Default)]
pub struct RawRuntimeSection {
    /// `plugins-dir`.
    pub plugins_dir: Option<PathBuf>,
    /// `require-pins`.
    pub require_pins: Option<bool>,
    /// `cache-dir`.
    pub cache_dir: Option<PathBuf>,
    /// `cache-max-mib`.
    pub cache_max_mib: Option<u64>,
    /// `max-event-bytes`.
    pub max_event_bytes: Option<usize>,
    /// `[limits]`.
    pub limits: RawLimits,
    /// `on-error`.
    pub on_error: Option<OnError>,
    /// `[plugins.NAME]`.
    pub plugins: BTreeMap<String, RawPlugin>,
}

/// A `[limits]` table as written (top level, or under a plugin).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(missing_docs)] // Each field is the kebab-case key of the same name, documented in docs/sandbox.md.
pub struct RawLimits {
    pub timeout_ms: Option<u64>,
    pub startup_timeout_ms: Option<u64>,
    pub overload_grace_ms: Option<u64>,
    pub fuel: Option<u64>,
    pub memory_mib: Option<u64>,
    pub table_elements: Option<usize>,
    pub max_actions: Option<usize>,
    pub max_string_bytes: Option<usize>,
    pub max_decision_bytes: Option<usize>,
    pub max_list_items: Option<usize>,
    pub max_log_lines: Option<u32>,
    pub max_log_bytes: Option<usize>,
    pub quarantine_after: Option<u32>,
    pub quarantine_backoff_ms: Option<u64>,
    pub quarantine_max_backoff_ms: Option<u64>,
    pub quarantine_reset_after: Option<u32>,
    pub reuse_instances: Option<bool>,
    pub recycle_after: Option<u64>,
    pub pattern_max_bytes: Option<usize>,
    pub pattern_max_depth: Option<usize>,
    pub list_max_values: Option<usize>,
    pub pattern_max_alternatives: Option<usize>,
    pub pattern_max_compiled_values: Option<usize>,
    pub plugin_max_patterns: Option<usize>,
    pub plugin_max_alternatives: Option<usize>,
    pub plugin_max_compiled_values: Option<usize>,
    pub plugin_max_unindexed: Option<usize>,
}

/// A `[plugins.NAME]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(missing_docs)] // Each field is the kebab-case key of the same name, documented above.
pub struct RawPlugin {
    pub path: Option<PathBuf>,
    pub sha256: Option<String>,
    pub enabled: Option<bool>,
    pub on_error: Option<OnError>,
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub limits: RawLimits,
}

/// The largest `cache-max-mib`: 1 TiB, far past any disk this cache should be allowed to fill.
const MAX_CACHE_MIB: u64 = 1 << 20;

/// A runtime setting that is well-typed but unusable: `(dotted key, problem)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}`: {problem}")]
pub struct InvalidSetting {
    /// The dotted key, e.g. `plugins.a.limits.timeout-ms`.
    pub key: String,
    /// What is wrong with its value.
    pub problem: String,
}

impl RuntimeConfig {
    /// Built-in defaults: no plugins, default limits.
    pub fn builtin() -> Self {
        Self {
            max_event_bytes: crate::event::MAX_EVENT_BYTES,
            cache_max_bytes: crate::runtime::DEFAULT_CACHE_MAX_BYTES,
            defaults: PluginSettings::new(),
            ..Self::default()
        }
    }

    /// Validates the runtime's section of a file in directory `base`.
    pub fn from_raw(raw: RawRuntimeSection, base: &Path) -> Result<Self, InvalidSetting> {
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let invalid = |(key, problem): (String, String)| InvalidSetting { key, problem };

        let cache_max_bytes = match raw.cache_max_mib {
            None => crate::runtime::DEFAULT_CACHE_MAX_BYTES,
            Some(mib) if (1..=MAX_CACHE_MIB).contains(&mib) => mib << 20,
            Some(_) => {
                return Err(invalid((
                    "cache-max-mib".into(),
                    format!("must be 1 to {MAX_CACHE_MIB} (MiB)"),
                )));
            }
        };

        let mut defaults = PluginSettings::new();
        if let Some(on_error) = raw.on_error {
            defaults.on_error = on_error;
        }
        apply_limits(&mut defaults, &raw.limits, "limits").map_err(invalid)?;

        let mut plugins = BTreeMap::new();
        for (name, entry) in raw.plugins {
            let mut settings = defaults.clone();
            if let Some(on_error) = entry.on_error {
                settings.on_error = on_error;
            }
            let prefix = format!("plugins.{name}.limits");
            apply_limits(&mut settings, &entry.limits, &prefix).map_err(invalid)?;
            if let Some(sha) = entry.sha256 {
                if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(invalid((
                        format!("plugins.{name}.sha256"),
                        "must be 64 hexadecimal digits".into(),
                    )));
                }
                settings.sha256 = Some(sha.to_ascii_lowercase());
            }
            for (key, value) in entry.config {
                let text = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    // A list of strings, for a `list` setting, reaches the plugin as the JSON
                    // array of strings glue:rules@0.2.0 specifies.
                    toml::Value::Array(items)
                        if items
                            .iter()
                            .all(|item| matches!(item, toml::Value::String(_))) =>
                    {
                        let items: Vec<&str> = items.iter().filter_map(|i| i.as_str()).collect();
                        serde_json::to_string(&items).expect("strings serialise")
                    }
                    other => {
                        return Err(invalid((
                            format!("plugins.{name}.config.{key}"),
                            format!(
                                "must be a string, number, boolean or array of strings, found {}",
                                other.type_str()
                            ),
                        )));
                    }
                };
                settings.config.insert(key, text);
            }
            plugins.insert(
                name,
                PluginEntry {
                    path: entry.path.map(resolve),
                    enabled: entry.enabled.unwrap_or(true),
                    settings,
                },
            );
        }
        Ok(Self {
            plugins_dir: raw.plugins_dir.map(resolve),
            require_pins: raw.require_pins.unwrap_or(false),
            cache_dir: raw.cache_dir.map(resolve),
            cache_max_bytes,
            max_event_bytes: raw.max_event_bytes.unwrap_or(crate::event::MAX_EVENT_BYTES),
            defaults,
            plugins,
        })
    }

    /// The settings for the plugin named `name`: its entry's, or the defaults.
    pub fn settings_for(&self, name: &str) -> &PluginSettings {
        self.plugins
            .get(name)
            .map_or(&self.defaults, |entry| &entry.settings)
    }

    /// Whether any plugin asks for an instruction budget, which needs fuel on in the engine.
    pub fn needs_fuel(&self) -> bool {
        self.defaults.limits.fuel.is_some()
            || self
                .plugins
                .values()
                .any(|p| p.settings.limits.fuel.is_some())
    }
}

fn apply_limits(
    settings: &mut PluginSettings,
    raw: &RawLimits,
    prefix: &str,
) -> Result<(), (String, String)> {
    let positive = |key: &str, value: u64| {
        if value == 0 {
            Err((
                format!("{prefix}.{key}"),
                "must be greater than 0".to_owned(),
            ))
        } else {
            Ok(value)
        }
    };
    let limits: &mut Limits = &mut settings.limits;
    if let Some(ms) = raw.timeout_ms {
        // A deadline is an `Instant` plus this: an absurd value would overflow it (and no
        // evaluation should ever be allowed minutes).
        if ms > MAX_TIMEOUT_MS {
            return Err((
                format!("{prefix}.timeout-ms"),
                format!("{ms} is over the maximum of {MAX_TIMEOUT_MS} (10 minutes)"),
            ));
        }
        limits.timeout = Duration::from_millis(positive("timeout-ms", ms)?);
    }
    if let Some(ms) = raw.startup_timeout_ms {
        if ms > MAX_TIMEOUT_MS {
            return Err((
                format!("{prefix}.startup-timeout-ms"),
                format!("{ms} is over the maximum of {MAX_TIMEOUT_MS} (10 minutes)"),
            ));
        }
        limits.startup_timeout = Duration::from_millis(positive("startup-timeout-ms", ms)?);
    }
    if let Some(ms) = raw.overload_grace_ms {
        // Zero is allowed: a wall-clock deadline, still never counted against the plugin.
        if ms > MAX_TIMEOUT_MS {
            return Err((
                format!("{prefix}.overload-grace-ms"),
                format!("{ms} is over the maximum of {MAX_TIMEOUT_MS} (10 minutes)"),
            ));
        }
        limits.overload_grace = Duration::from_millis(ms);
    }
    if let Some(fuel) = raw.fuel {
        limits.fuel = Some(positive("fuel", fuel)?);
    }
    if let Some(mib) = raw.memory_mib {
        let mib = positive("memory-mib", mib)?;
        limits.memory_bytes = usize::try_from(mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
    }
    if let Some(n) = raw.table_elements {
        limits.table_elements = n;
    }
    if let Some(n) = raw.max_actions {
        limits.output.max_actions = n;
    }
    if let Some(n) = raw.max_string_bytes {
        limits.output.max_string_bytes = positive("max-string-bytes", n as u64)? as usize;
    }
    if let Some(n) = raw.max_decision_bytes {
        limits.output.max_decision_bytes = positive("max-decision-bytes", n as u64)? as usize;
    }
    if let Some(n) = raw.max_list_items {
        limits.output.max_list_items = n;
    }
    if let Some(n) = raw.max_log_lines {
        limits.max_log_lines = n;
    }
    if let Some(n) = raw.max_log_bytes {
        limits.max_log_bytes = n;
    }
    let quarantine: &mut QuarantinePolicy = &mut settings.quarantine;
    if let Some(n) = raw.quarantine_after {
        quarantine.after_failures = n;
    }
    if let Some(ms) = raw.quarantine_backoff_ms {
        quarantine.initial_backoff = Duration::from_millis(positive("quarantine-backoff-ms", ms)?);
    }
    if let Some(ms) = raw.quarantine_max_backoff_ms {
        quarantine.max_backoff = Duration::from_millis(positive("quarantine-max-backoff-ms", ms)?);
    }
    if let Some(n) = raw.quarantine_reset_after {
        quarantine.reset_after_successes = n;
    }
    if let Some(reuse) = raw.reuse_instances {
        settings.reuse_instances = reuse;
    }
    if let Some(n) = raw.recycle_after {
        settings.recycle_after = n;
    }
    use glue_rules_patterns::Limit;
    for (limit, value) in [
        (Limit::PatternMaxBytes, raw.pattern_max_bytes),
        (Limit::PatternMaxDepth, raw.pattern_max_depth),
        (Limit::ListMaxValues, raw.list_max_values),
        (Limit::PatternMaxAlternatives, raw.pattern_max_alternatives),
        (
            Limit::PatternMaxCompiledValues,
            raw.pattern_max_compiled_values,
        ),
        (Limit::PluginMaxPatterns, raw.plugin_max_patterns),
        (Limit::PluginMaxAlternatives, raw.plugin_max_alternatives),
        (
            Limit::PluginMaxCompiledValues,
            raw.plugin_max_compiled_values,
        ),
        (Limit::PluginMaxUnindexed, raw.plugin_max_unindexed),
    ] {
        if let Some(n) = value {
            settings.limits.patterns.set(limit, n);
        }
    }
    Ok(())
}
