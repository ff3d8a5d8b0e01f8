//! The TOML configuration, parsed once into typed settings and handed down.
//!
//! ```toml
//! plugins-dir = "plugins/dist"        # every *.wasm in it is loaded
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
//! Unknown keys and wrong types are errors that name the key and its line. Relative paths are
//! resolved against the configuration file's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::plugin::{OnError, PluginSettings, QuarantinePolicy};
use crate::sandbox::Limits;

/// The file name looked for in the working directory when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "glue-rules.toml";

/// The whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where the configuration was read from, if anywhere.
    pub source: Option<PathBuf>,
    /// Directory whose `*.wasm` files are loaded as plugins.
    pub plugins_dir: Option<PathBuf>,
    /// Where compiled components are cached; `None` uses the user cache directory.
    pub cache_dir: Option<PathBuf>,
    /// Largest event accepted, in bytes.
    pub max_event_bytes: usize,
    /// Settings every plugin starts from.
    pub defaults: PluginSettings,
    /// Per-plugin entries, keyed by plugin name.
    pub plugins: BTreeMap<String, PluginEntry>,
    /// The `[serve]` table: how the sidecar listens.
    pub serve: ServeSection,
    /// The `[dispatch]` table: outbox, retries, AWS (see [`crate::dispatch::config`]).
    pub dispatch: crate::dispatch::DispatchConfig,
}

/// The `[serve]` table. Every key can also be set by a flag or a `GLUE_RULES_*` variable of
/// `glue-rules serve`, which win over the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeSection {
    /// `listen`: address and port, e.g. "127.0.0.1:8080".
    pub listen: Option<std::net::SocketAddr>,
    /// `admin-token`: bearer token for the admin endpoints.
    pub admin_token: Option<String>,
    /// `max-body-bytes`: the largest request body accepted.
    pub max_body_bytes: Option<usize>,
    /// `watch-interval-ms`: how often to look for changed plugin files; 0 turns watching off.
    pub watch_interval_ms: Option<u64>,
    /// `[serve.sqs]`: poll a queue for events as well.
    pub sqs: Option<SqsSection>,
}

/// The `[serve.sqs]` table: an SQS queue that an EventBridge rule targets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SqsSection {
    /// `queue-url`: the queue to poll.
    pub queue_url: Option<String>,
    /// `concurrency`: pollers at once (default 2).
    pub concurrency: Option<usize>,
    /// `wait-time-secs`: long-poll wait, 0 to 20 (default 20).
    pub wait_time_secs: Option<i32>,
    /// `visibility-timeout-secs`: overrides the queue's visibility timeout for received
    /// messages.
    pub visibility_timeout_secs: Option<i32>,
    /// `region`: defaults to `[dispatch.aws] region`, then the standard chain.
    pub region: Option<String>,
    /// `endpoint-url`: defaults to `[dispatch.aws] endpoint-url`.
    pub endpoint_url: Option<String>,
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

/// A configuration that could not be read or understood.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key or a wrong type.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message, which names the key and shows the line.
        message: String,
    },
    /// A value is well-typed but unusable.
    #[error("{path}: `{key}`: {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The dotted key.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    plugins_dir: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    max_event_bytes: Option<usize>,
    #[serde(default)]
    limits: RawLimits,
    on_error: Option<OnError>,
    #[serde(default)]
    plugins: BTreeMap<String, RawPlugin>,
    #[serde(default)]
    serve: ServeSection,
    dispatch: Option<crate::dispatch::config::RawDispatch>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    timeout_ms: Option<u64>,
    fuel: Option<u64>,
    memory_mib: Option<u64>,
    table_elements: Option<usize>,
    max_actions: Option<usize>,
    max_string_bytes: Option<usize>,
    max_log_lines: Option<u32>,
    max_log_bytes: Option<usize>,
    quarantine_after: Option<u32>,
    quarantine_backoff_ms: Option<u64>,
    quarantine_max_backoff_ms: Option<u64>,
    reuse_instances: Option<bool>,
    recycle_after: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPlugin {
    path: Option<PathBuf>,
    sha256: Option<String>,
    enabled: Option<bool>,
    on_error: Option<OnError>,
    #[serde(default)]
    config: BTreeMap<String, toml::Value>,
    #[serde(default)]
    limits: RawLimits,
}

impl Config {
    /// Built-in defaults: no plugins, default limits.
    pub fn builtin() -> Self {
        Self {
            max_event_bytes: crate::event::MAX_EVENT_BYTES,
            defaults: PluginSettings::new(),
            ..Self::default()
        }
    }

    /// Reads `path`, or `./glue-rules.toml` when `path` is `None` and that file exists, or
    /// else returns the built-in defaults.
    pub fn discover(path: Option<&Path>) -> Result<Self, ConfigError> {
        match path {
            Some(path) => Self::load(path),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                Self::load(Path::new(DEFAULT_CONFIG_FILE))
            }
            None => Ok(Self::builtin()),
        }
    }

    /// Reads and validates one configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses configuration text; `path` labels errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let invalid = |key: String, problem: String| ConfigError::Invalid {
            path: path.to_owned(),
            key,
            problem,
        };

        let mut defaults = PluginSettings::new();
        if let Some(on_error) = raw.on_error {
            defaults.on_error = on_error;
        }
        apply_limits(&mut defaults, &raw.limits, "limits").map_err(|(k, p)| invalid(k, p))?;

        let mut plugins = BTreeMap::new();
        for (name, entry) in raw.plugins {
            let mut settings = defaults.clone();
            if let Some(on_error) = entry.on_error {
                settings.on_error = on_error;
            }
            let prefix = format!("plugins.{name}.limits");
            apply_limits(&mut settings, &entry.limits, &prefix).map_err(|(k, p)| invalid(k, p))?;
            if let Some(sha) = entry.sha256 {
                if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(invalid(
                        format!("plugins.{name}.sha256"),
                        "must be 64 hexadecimal digits".into(),
                    ));
                }
                settings.sha256 = Some(sha.to_ascii_lowercase());
            }
            for (key, value) in entry.config {
                let text = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    other => {
                        return Err(invalid(
                            format!("plugins.{name}.config.{key}"),
                            format!(
                                "must be a string, number or boolean, found {}",
                                other.type_str()
                            ),
                        ));
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
            source: Some(path.to_owned()),
            plugins_dir: raw.plugins_dir.map(resolve),
            cache_dir: raw.cache_dir.map(resolve),
            max_event_bytes: raw.max_event_bytes.unwrap_or(crate::event::MAX_EVENT_BYTES),
            defaults,
            plugins,
            serve: raw.serve,
            dispatch: crate::dispatch::DispatchConfig::from_raw(raw.dispatch, base)
                .map_err(|(k, p)| invalid(k, p))?,
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
        limits.timeout = Duration::from_millis(positive("timeout-ms", ms)?);
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
    if let Some(reuse) = raw.reuse_instances {
        settings.reuse_instances = reuse;
    }
    if let Some(n) = raw.recycle_after {
        settings.recycle_after = n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/glue-rules/glue-rules.toml"))
    }

    #[test]
    fn plugin_entries_inherit_defaults_and_override_them() {
        let config = parse(
            r#"
            plugins-dir = "dist"
            [limits]
            timeout-ms = 20
            memory-mib = 8
            [plugins.a]
            on-error = "fail"
            [plugins.a.limits]
            timeout-ms = 99
            [plugins.a.config]
            topic-arn = "arn:x"
            notify-stopped = true
            "#,
        )
        .unwrap();
        assert_eq!(
            config.plugins_dir,
            Some(PathBuf::from("/etc/glue-rules/dist"))
        );
        let a = config.settings_for("a");
        assert_eq!(a.limits.timeout, Duration::from_millis(99));
        assert_eq!(a.limits.memory_bytes, 8 << 20);
        assert_eq!(a.on_error, OnError::Fail);
        assert_eq!(a.config["notify-stopped"], "true");
        let other = config.settings_for("b");
        assert_eq!(other.limits.timeout, Duration::from_millis(20));
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_key() {
        let err = parse("[limits]\ntimeout = 5\n").unwrap_err().to_string();
        assert!(err.contains("timeout"), "{err}");
        let err = parse("[limits]\ntimeout-ms = \"fast\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("timeout-ms"), "{err}");
        let err = parse("[plugins.a.config]\nx = [1]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("plugins.a.config.x"), "{err}");
        let err = parse("[plugins.a]\nsha256 = \"abc\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("plugins.a.sha256"), "{err}");
        let err = parse("[limits]\ntimeout-ms = 0\n").unwrap_err().to_string();
        assert!(err.contains("limits.timeout-ms"), "{err}");
    }
}
