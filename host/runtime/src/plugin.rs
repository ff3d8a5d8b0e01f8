//! One loaded rule plugin: its compiled component, its settings, a pool of live instances, and
//! the `describe` / `evaluate` calls that turn every guest failure into a typed error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmtime::component::types::{ComponentExtern, ComponentItem};
use wasmtime::{Store, Trap, UpdateDeadline};

use crate::contract::{
    Contract, Described, DetectError, Guest, GuestPre, SettingError, SettingSpec,
};
use crate::deadline::{Check, Expiry};
use crate::event::Event;
use crate::runtime::Runtime;
use crate::sandbox::{GuestLog, HostState, LimitHit, Limits};
use glue_rules_core::Decision;

/// What to do with an event when this plugin fails on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Fail open: report the error, and let the other plugins' decisions stand.
    #[default]
    Skip,
    /// Fail the event's evaluation, so that the caller can retry it.
    Fail,
}

/// Parking a plugin that keeps failing, so that it stops costing time on every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuarantinePolicy {
    /// Consecutive failures that park the plugin; 0 never parks it.
    pub after_failures: u32,
    /// How long the first parking lasts; each further one doubles it.
    pub initial_backoff: Duration,
    /// The longest parking.
    pub max_backoff: Duration,
    /// Consecutive successes after which the next parking is again `initial_backoff` long; 0
    /// never forgets. (One success already clears the failure count.)
    pub reset_after_successes: u32,
}

impl Default for QuarantinePolicy {
    fn default() -> Self {
        Self {
            after_failures: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            reset_after_successes: 10,
        }
    }
}

/// How a plugin is run: its limits, its settings and its failure policy.
#[derive(Debug, Clone, Default)]
pub struct PluginSettings {
    /// Resource and output bounds.
    pub limits: Limits,
    /// Values the plugin reads through the host `config` import.
    pub config: BTreeMap<String, String>,
    /// Failure policy.
    pub on_error: OnError,
    /// Quarantine policy.
    pub quarantine: QuarantinePolicy,
    /// Expected sha256 of the component file (hex); a mismatch refuses the load.
    pub sha256: Option<String>,
    /// Reuse instances between events (the default). Off, every event gets a fresh instance,
    /// which is slower but leaves no state behind from one event to the next.
    pub reuse_instances: bool,
    /// Replace a reused instance after this many evaluations, bounding what a guest can
    /// accumulate (a garbage-collected guest's heap, say). 0 never replaces.
    pub recycle_after: u64,
}

impl PluginSettings {
    /// Defaults for everything: the limits in [`Limits::default`], instances reused.
    pub fn new() -> Self {
        Self {
            reuse_instances: true,
            recycle_after: 10_000,
            ..Self::default()
        }
    }
}

/// What a plugin says about itself, plus what the host knows of it.
#[derive(Debug, Clone, Serialize)]
pub struct PluginInfo {
    /// The plugin's name, from `describe`.
    pub name: String,
    /// The plugin's version, from `describe`.
    pub version: String,
    /// The plugin's description, from `describe`.
    pub description: String,
    /// Its EventBridge patterns, from `describe`.
    pub patterns: Vec<String>,
    /// The contract it implements, e.g. `"0.2.0"`.
    pub contract: Contract,
    /// The settings it declares, from `describe` (none for a 0.1 plugin).
    pub settings: Vec<SettingSpec>,
    /// sha256 of the component file, hex.
    pub sha256: String,
    /// Where the component was loaded from.
    pub path: PathBuf,
    /// When it was loaded.
    #[serde(with = "unix_seconds")]
    pub loaded_at: SystemTime,
    /// Whether compiling it was skipped thanks to the cache.
    pub from_cache: bool,
}

mod unix_seconds {
    use std::time::SystemTime;

    pub fn serialize<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        let secs = t
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        s.serialize_u64(secs)
    }
}

/// Why a component could not be loaded as a plugin.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file's hash differs from the pinned one.
    #[error("{path}: sha256 is {actual}, but the configuration pins {expected}")]
    Integrity {
        /// The file.
        path: PathBuf,
        /// The pinned hash.
        expected: String,
        /// The file's hash.
        actual: String,
    },
    /// The file is not a WebAssembly component (perhaps a core module).
    #[error("{path}: {problem}")]
    NotAComponent {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        problem: String,
    },
    /// The component implements no `glue:rules` contract, or wants more than the host
    /// provides.
    #[error(
        "{path}: does not implement a glue:rules contract this host serves ({}): {problem}",
        Contract::served()
    )]
    WrongWorld {
        /// The file.
        path: PathBuf,
        /// What is missing or extra.
        problem: String,
    },
    /// The component implements a version of the contract this host does not serve (a newer
    /// one, say).
    #[error("{path}: {source}")]
    UnsupportedContract {
        /// The file.
        path: PathBuf,
        /// The version found and the versions served.
        source: DetectError,
    },
    /// `describe` refused the plugin's settings (0.2).
    #[error("{path}: refused its settings: {problem}")]
    Refused {
        /// The file.
        path: PathBuf,
        /// The plugin's own explanation.
        problem: String,
    },
    /// The configuration does not fit the settings the plugin declares.
    #[error("{path}: {source}")]
    Settings {
        /// The file.
        path: PathBuf,
        /// The setting and what is wrong with it.
        source: SettingError,
    },
    /// The component failed while starting or while describing itself.
    #[error("{path}: failed to start: {problem}")]
    Start {
        /// The file.
        path: PathBuf,
        /// The failure.
        problem: String,
    },
    /// `describe` returned something unusable.
    #[error("{path}: invalid metadata: {problem}")]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// The cause of a failed evaluation, for logs, metrics and policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The evaluation spent its CPU-time budget (`timeout-ms`), or asked to sleep past it.
    Timeout,
    /// The evaluation had CPU budget left when its wall-clock backstop (`timeout-ms` plus
    /// `overload-grace-ms`) passed: the host was too busy to run it. Not the plugin's fault:
    /// counted apart, never a step towards quarantine, and the event fails so that its source
    /// retries it, whatever `on-error` says.
    HostOverloaded,
    /// The evaluation used up its fuel.
    OutOfFuel,
    /// The instance tried to grow memory or tables past its cap.
    Memory,
    /// The guest recursed too deep.
    StackOverflow,
    /// Any other trap: a panic, `unreachable`, an out-of-bounds access.
    Trap,
    /// The decision broke the output limits or was malformed.
    InvalidOutput,
    /// The plugin returned an error of its own.
    PluginError,
    /// The plugin is parked after repeated failures.
    Quarantined,
    /// A fresh instance could not be created.
    Instantiate,
}

impl ErrorKind {
    /// The kebab-case name used in JSON output and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::HostOverloaded => "host-overloaded",
            ErrorKind::OutOfFuel => "out-of-fuel",
            ErrorKind::Memory => "memory",
            ErrorKind::StackOverflow => "stack-overflow",
            ErrorKind::Trap => "trap",
            ErrorKind::InvalidOutput => "invalid-output",
            ErrorKind::PluginError => "plugin-error",
            ErrorKind::Quarantined => "quarantined",
            ErrorKind::Instantiate => "instantiate",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failed evaluation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct EvalError {
    /// The cause.
    pub kind: ErrorKind,
    /// Details for a person.
    pub message: String,
}

/// Longest error message kept from a plugin, in bytes. A plugin's `Err` is echoed into `eval`
/// output, the log and HTTP answers: 32 MiB of it must not be.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 1024;

impl EvalError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if message.len() > MAX_ERROR_MESSAGE_BYTES {
            let total = message.len();
            let mut end = MAX_ERROR_MESSAGE_BYTES;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push_str(&format!("… ({} more bytes dropped)", total - end));
        }
        Self { kind, message }
    }
}

#[cfg(test)]
mod error_tests {
    use super::*;

    #[test]
    fn a_huge_plugin_error_is_truncated_on_a_character_boundary() {
        let huge = "é".repeat(1 << 20);
        let e = EvalError::new(ErrorKind::PluginError, huge);
        assert!(
            e.message.len() < MAX_ERROR_MESSAGE_BYTES + 64,
            "{}",
            e.message.len()
        );
        assert!(e.message.ends_with("more bytes dropped)"));
        let small = EvalError::new(ErrorKind::PluginError, "no topic-arn configured");
        assert_eq!(small.message, "no topic-arn configured");
    }
}

/// What an evaluation is asked to keep, and what it kept.
#[derive(Debug, Default)]
struct Probe {
    capture_logs: bool,
    /// Read the fuel and memory the call cost (two store reads: only when asked).
    measure: bool,
    logs: Vec<crate::sandbox::LogRecord>,
    measured: Measured,
}

/// What one evaluation cost the sandbox ([`Plugin::evaluate_measured`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measured {
    /// Fuel used, when the runtime meters fuel.
    pub fuel: Option<u64>,
    /// The instance's linear memory after the evaluation, in bytes.
    pub memory_bytes: usize,
}

/// Counters kept per plugin since it was loaded.
#[derive(Debug, Default)]
pub struct PluginStats {
    /// Evaluations attempted (including quarantined skips).
    pub evaluations: AtomicU64,
    /// Evaluations that matched.
    pub matches: AtomicU64,
    /// Evaluations that failed (including those stopped because the host was overloaded).
    pub errors: AtomicU64,
    /// Evaluations stopped because the host was too busy to run them (`host-overloaded`):
    /// counted in `errors` too, never towards quarantine.
    pub host_overloaded: AtomicU64,
    /// Log lines dropped for being over the budget.
    pub log_lines_dropped: AtomicU64,
    /// Instances created.
    pub instances_created: AtomicU64,
}

/// A snapshot of a plugin's health, for status output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Failures in a row, reset by a success.
    pub consecutive_failures: u32,
    /// Whether the plugin is parked now.
    pub quarantined: bool,
    /// Seconds until it is tried again, when parked.
    pub retry_in_secs: Option<f64>,
    /// How many times it has been parked.
    pub quarantines: u32,
}

#[derive(Debug, Default)]
struct HealthState {
    consecutive_failures: u32,
    consecutive_successes: u32,
    parked_until: Option<Instant>,
    /// Times parked in all, for status output.
    quarantines: u32,
    /// Parkings since the back-off was last reset: the next one lasts `2^level` times the
    /// initial back-off.
    backoff_level: u32,
}

impl HealthState {
    /// Records a success; returns whether the plugin was failing or parked until now.
    fn succeeded(&mut self, policy: &QuarantinePolicy) -> bool {
        let recovered = self.parked_until.take().is_some() || self.consecutive_failures > 0;
        self.consecutive_failures = 0;
        self.consecutive_successes = self.consecutive_successes.saturating_add(1);
        if policy.reset_after_successes > 0
            && self.consecutive_successes >= policy.reset_after_successes
        {
            self.backoff_level = 0;
        }
        recovered
    }

    /// Records a failure at `now`; returns the back-off when it parks the plugin.
    fn failed(&mut self, policy: &QuarantinePolicy, now: Instant) -> Option<Duration> {
        self.consecutive_successes = 0;
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if policy.after_failures == 0 || self.consecutive_failures < policy.after_failures {
            return None;
        }
        // Each parking doubles the previous one, up to the maximum.
        let exponent = self.backoff_level.min(20);
        let backoff = policy
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(policy.max_backoff);
        self.parked_until = Some(now + backoff);
        self.quarantines = self.quarantines.saturating_add(1);
        self.backoff_level = self.backoff_level.saturating_add(1);
        Some(backoff)
    }
}

#[cfg(test)]
mod health_tests {
    use super::*;

    #[test]
    fn the_back_off_doubles_and_returns_to_the_start_after_a_success_streak() {
        let policy = QuarantinePolicy {
            after_failures: 2,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            reset_after_successes: 3,
        };
        let mut health = HealthState::default();
        let now = Instant::now();
        let park = |health: &mut HealthState| {
            assert_eq!(health.failed(&policy, now), None);
            health.failed(&policy, now).expect("parked")
        };
        assert_eq!(park(&mut health), Duration::from_secs(1));
        // Back after one success, failing again: twice as long.
        assert!(health.succeeded(&policy));
        assert_eq!(park(&mut health), Duration::from_secs(2));
        // Two successes are not a streak yet.
        health.succeeded(&policy);
        health.succeeded(&policy);
        assert_eq!(park(&mut health), Duration::from_secs(4));
        // Three are: the next parking is as short as the first.
        for _ in 0..3 {
            health.succeeded(&policy);
        }
        assert_eq!(park(&mut health), Duration::from_secs(1));
        assert_eq!(health.quarantines, 4);
        // With resets off, the back-off only grows.
        let never = QuarantinePolicy {
            reset_after_successes: 0,
            ..policy
        };
        for _ in 0..100 {
            health.succeeded(&never);
        }
        health.failed(&never, now);
        assert_eq!(health.failed(&never, now), Some(Duration::from_secs(2)));
    }
}

struct Instance {
    store: Store<HostState>,
    rule: Guest,
    uses: u64,
    /// How long instantiating it took.
    started_in: Duration,
}

/// Which call into a guest failed, to say which budget it ran out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Instantiation: the component's start-up code (the start-up budget).
    Instantiate,
    /// `describe`, at load (the start-up budget).
    Describe,
    /// `evaluate` (the evaluation deadline).
    Evaluate,
}

/// A loaded, validated plugin, ready to evaluate events from any thread.
pub struct Plugin {
    info: PluginInfo,
    patterns: Vec<glue_rules_patterns::Pattern>,
    settings: PluginSettings,
    runtime: Runtime,
    pre: GuestPre,
    name: Arc<str>,
    config: Arc<BTreeMap<String, String>>,
    pool: Mutex<Vec<Instance>>,
    max_idle: usize,
    health: Mutex<HealthState>,
    stats: PluginStats,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The sha256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Plugin {
    /// Loads the component at `path`: checks its hash, compiles it (or takes it from the cache),
    /// finds which contract it implements, links it against the host, starts one instance,
    /// calls `describe` and checks `settings.config` against the settings it declares. A plugin
    /// that fails any of these is refused here, not at its first event.
    pub fn load(
        runtime: &Runtime,
        path: &Path,
        settings: PluginSettings,
    ) -> Result<Self, LoadError> {
        Self::load_unconfigured(runtime, path, settings)?.configure(None)
    }

    /// Like [`Plugin::load`], for a component already in memory; `path` only labels it.
    pub fn from_bytes(
        runtime: &Runtime,
        path: &Path,
        bytes: &[u8],
        settings: PluginSettings,
    ) -> Result<Self, LoadError> {
        Self::from_bytes_unconfigured(runtime, path, bytes, settings)?.configure(None)
    }

    /// Like [`Plugin::load`], but stops before checking the configuration: for callers that
    /// pick the plugin's settings by the name it gives itself ([`Unconfigured::configure`]).
    pub fn load_unconfigured(
        runtime: &Runtime,
        path: &Path,
        settings: PluginSettings,
    ) -> Result<Unconfigured, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes_unconfigured(runtime, path, &bytes, settings)
    }

    /// [`Plugin::load_unconfigured`] for a component already in memory.
    pub fn from_bytes_unconfigured(
        runtime: &Runtime,
        path: &Path,
        bytes: &[u8],
        settings: PluginSettings,
    ) -> Result<Unconfigured, LoadError> {
        let path_buf = path.to_owned();
        let sha256 = sha256_hex(bytes);
        if let Some(expected) = &settings.sha256
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(LoadError::Integrity {
                path: path_buf,
                expected: expected.clone(),
                actual: sha256,
            });
        }
        check_component_header(path, bytes)?;
        let (component, from_cache) =
            runtime
                .compile(bytes, &sha256)
                .map_err(|e| LoadError::NotAComponent {
                    path: path_buf.clone(),
                    problem: format!("{e:#}"),
                })?;
        let wrong_world = |problem: String| LoadError::WrongWorld {
            path: path_buf.clone(),
            problem,
        };
        // The contract is read from the export names before anything is linked or run, so a
        // component of a version this host does not serve is refused by name.
        let contract = match Contract::detect(runtime.engine(), &component) {
            Ok(contract) => contract,
            Err(DetectError::NotARule(problem)) => return Err(wrong_world(problem)),
            Err(source @ DetectError::Unsupported { .. }) => {
                return Err(LoadError::UnsupportedContract {
                    path: path_buf,
                    source,
                });
            }
        };
        let instance_pre = runtime
            .instantiate_pre(&component)
            .map_err(|e| wrong_world(format!("{e:#}")))?;
        let pre =
            GuestPre::new(contract, instance_pre).map_err(|e| wrong_world(format!("{e:#}")))?;

        // The name is only known after `describe`; log lines until then carry the file name.
        let file_label: Arc<str> = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".into())
            .into();
        let mut plugin = Self {
            patterns: Vec::new(),
            info: PluginInfo {
                name: String::new(),
                version: String::new(),
                description: String::new(),
                patterns: Vec::new(),
                contract,
                settings: Vec::new(),
                sha256,
                path: path_buf.clone(),
                loaded_at: SystemTime::now(),
                from_cache,
            },
            name: file_label,
            config: Arc::new(settings.config.clone()),
            max_idle: std::thread::available_parallelism().map_or(2, |n| n.get()),
            settings,
            runtime: runtime.clone(),
            pre,
            pool: Mutex::new(Vec::new()),
            health: Mutex::new(HealthState::default()),
            stats: PluginStats::default(),
        };
        let described = plugin.describe()?;
        plugin.take_description(described)?;
        Ok(Unconfigured(plugin))
    }

    /// Calls `describe` in a fresh instance, with the plugin's configured settings.
    ///
    /// When a 0.2 plugin refuses its settings, the configuration is first checked against the
    /// declarations it gives without them: a missing or malformed declared setting is reported
    /// by its key (`plugins.NAME.config.KEY`) rather than in the plugin's own words.
    fn describe(&self) -> Result<Described, LoadError> {
        let configured = &self.settings.config;
        match self.describe_with(configured) {
            Err(LoadError::Refused { path, problem }) if !configured.is_empty() => {
                if let Ok(bare) = self.describe_with(&BTreeMap::new())
                    && let Err(source) =
                        crate::contract::apply_settings(&bare.name, &bare.settings, configured)
                {
                    return Err(LoadError::Settings { path, source });
                }
                Err(LoadError::Refused { path, problem })
            }
            other => other,
        }
    }

    fn describe_with(&self, settings: &BTreeMap<String, String>) -> Result<Described, LoadError> {
        let path = &self.info.path;
        let start = |problem: String| LoadError::Start {
            path: path.clone(),
            problem,
        };
        let mut instance = self.instantiate().map_err(|e| start(e.message))?;
        // Instantiation and `describe` share one start-up budget (not the evaluation deadline:
        // an interpreted guest needs far longer to start than to decide), so a `describe` that
        // never returns is stopped when what is left of it runs out.
        let left = self
            .settings
            .limits
            .startup_timeout
            .saturating_sub(instance.started_in);
        self.arm(&mut instance.store, left);
        let described = instance.rule.describe(&mut instance.store, settings);
        instance.store.data().log.finish();
        // The describe instance logged under the file name; evaluation starts with a clean one.
        match described {
            Ok(Ok(described)) => Ok(described),
            Ok(Err(problem)) => Err(LoadError::Refused {
                path: path.clone(),
                problem: EvalError::new(ErrorKind::PluginError, problem).message,
            }),
            Err(e) => Err(start(
                self.classify(&instance.store, &e, Phase::Describe)
                    .to_string(),
            )),
        }
    }

    /// Checks what `describe` returned and makes it this plugin's.
    fn take_description(&mut self, described: Described) -> Result<(), LoadError> {
        let metadata_error = |problem: String| LoadError::Metadata {
            path: self.info.path.clone(),
            problem,
        };
        if described.name.trim().is_empty() {
            return Err(metadata_error("the name is empty".into()));
        }
        if described.name.len() > 128
            || described
                .name
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(metadata_error(format!(
                "the name {:?} must be at most 128 characters with no spaces or control characters",
                described.name
            )));
        }
        crate::contract::check_declarations(&described.settings)
            .map_err(|e| metadata_error(format!("settings: {e}")))?;
        // Every limit is checked before anything is expanded, so a hostile list of patterns
        // is refused in microseconds and bounded memory.
        self.patterns = glue_rules_patterns::Pattern::parse_list_with_limits(
            &described.patterns,
            &self.settings.limits.patterns,
        )
        .map_err(|e| metadata_error(format!("patterns: {e}")))?;
        self.name = described.name.as_str().into();
        self.info.name = described.name;
        self.info.version = described.version;
        self.info.description = described.description;
        self.info.patterns = described.patterns;
        self.info.settings = described.settings;
        Ok(())
    }

    /// What the plugin said about itself and where it came from.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// The contract the plugin implements.
    pub fn contract(&self) -> Contract {
        self.info.contract
    }

    /// Its compiled event patterns; empty means every event.
    pub fn patterns(&self) -> &[glue_rules_patterns::Pattern] {
        &self.patterns
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// Its settings (`config` as configured, before declared defaults).
    pub fn settings(&self) -> &PluginSettings {
        &self.settings
    }

    /// What the plugin's `host.config` serves: the configured values checked and normalised
    /// against its declarations, and the declared defaults.
    pub fn config(&self) -> &BTreeMap<String, String> {
        &self.config
    }

    /// Counters since load.
    pub fn stats(&self) -> &PluginStats {
        &self.stats
    }

    /// Returns a copy of this plugin with other settings (config, limits, policies), sharing
    /// the compiled component. A 0.2 plugin whose configuration changes is described again
    /// with it (its patterns may follow its settings) and must keep its name; the new
    /// configuration is checked against its declarations.
    pub fn with_settings(&self, settings: PluginSettings) -> Result<Self, LoadError> {
        Unconfigured(self.fresh_copy()).configure(Some(settings))
    }

    /// This plugin with no instances, health or counters of its own.
    fn fresh_copy(&self) -> Self {
        Self {
            info: self.info.clone(),
            patterns: self.patterns.clone(),
            name: self.name.clone(),
            config: self.config.clone(),
            max_idle: self.max_idle,
            settings: self.settings.clone(),
            runtime: self.runtime.clone(),
            pre: self.pre.clone(),
            pool: Mutex::new(Vec::new()),
            health: Mutex::new(HealthState::default()),
            stats: PluginStats::default(),
        }
    }

    /// The plugin's health now.
    pub fn health(&self) -> Health {
        let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let retry_in = health
            .parked_until
            .and_then(|t| t.checked_duration_since(Instant::now()));
        Health {
            consecutive_failures: health.consecutive_failures,
            quarantined: retry_in.is_some(),
            retry_in_secs: retry_in.map(|d| d.as_secs_f64()),
            quarantines: health.quarantines,
        }
    }

    /// Decides about one event. Failures of any kind come back as an [`EvalError`]; none of
    /// them affects the host or other plugins.
    pub fn evaluate(&self, event: &Event) -> Result<Decision, EvalError> {
        self.evaluate_logged(event, false).0
    }

    /// Starts a fresh instance and calls `describe` with the plugin's settings, as loading
    /// does, and discards the answer: what `glue-rules bench` times as the start-up cost.
    pub fn describe_again(&self) -> Result<(), LoadError> {
        self.describe_with(&self.settings.config).map(drop)
    }

    /// [`Plugin::evaluate`] with what the evaluation cost the sandbox: the fuel it used (when
    /// the runtime meters fuel) and the instance's linear memory afterwards (memories only
    /// grow, so this is its peak). For sizing limits (`glue-rules bench`).
    pub fn evaluate_measured(&self, event: &Event) -> (Result<Decision, EvalError>, Measured) {
        let mut probe = Probe {
            measure: true,
            ..Probe::default()
        };
        let result = self.evaluate_probed(event, &mut probe);
        (result, probe.measured)
    }

    /// [`Plugin::evaluate`], also returning the lines the plugin logged during this evaluation
    /// (within its log budget) when `capture` is set: what `eval --explain` shows beside the
    /// decision.
    pub fn evaluate_logged(
        &self,
        event: &Event,
        capture: bool,
    ) -> (Result<Decision, EvalError>, Vec<crate::sandbox::LogRecord>) {
        let mut probe = Probe {
            capture_logs: capture,
            ..Probe::default()
        };
        let result = self.evaluate_probed(event, &mut probe);
        (result, probe.logs)
    }

    fn evaluate_probed(&self, event: &Event, probe: &mut Probe) -> Result<Decision, EvalError> {
        self.stats.evaluations.fetch_add(1, Ordering::Relaxed);
        if let Some(err) = self.parked() {
            self.stats.errors.fetch_add(1, Ordering::Relaxed);
            return Err(err);
        }
        let result = self.evaluate_in_instance(event, probe);
        self.record(&result);
        result
    }

    fn evaluate_in_instance(
        &self,
        event: &Event,
        probe: &mut Probe,
    ) -> Result<Decision, EvalError> {
        let mut instance = match self.take_instance() {
            Some(instance) => instance,
            None => self.instantiate()?,
        };
        self.arm(&mut instance.store, self.settings.limits.timeout);
        if probe.capture_logs {
            instance.store.data().log.capture();
        }
        let fuel_before = probe
            .measure
            .then(|| instance.store.get_fuel().ok())
            .flatten();
        let outcome = instance.rule.evaluate(&mut instance.store, event);
        let dropped = instance.store.data().log.finish();
        if probe.capture_logs {
            probe.logs = instance.store.data().log.take_captured();
        }
        if probe.measure {
            probe.measured = Measured {
                fuel: fuel_before
                    .zip(instance.store.get_fuel().ok())
                    .map(|(before, after)| before.saturating_sub(after)),
                memory_bytes: instance.store.data().limiter.memory_used(),
            };
        }
        if dropped > 0 {
            self.stats
                .log_lines_dropped
                .fetch_add(dropped, Ordering::Relaxed);
            tracing::warn!(plugin = %self.name, dropped, "plugin log over budget: lines dropped");
        }
        match outcome {
            Ok(Ok(decision)) => {
                self.give_back(instance);
                crate::output::lift_decision(decision, &self.settings.limits.output)
                    .map_err(|e| EvalError::new(ErrorKind::InvalidOutput, e.to_string()))
            }
            Ok(Err(message)) => {
                self.give_back(instance);
                Err(EvalError::new(ErrorKind::PluginError, message))
            }
            // A trapped instance is poisoned: it is dropped here, never reused.
            Err(e) => Err(self.classify(&instance.store, &e, Phase::Evaluate)),
        }
    }

    /// Sets the deadline (`budget` from now), fuel and per-call budgets of one call into the
    /// guest.
    fn arm(&self, store: &mut Store<HostState>, budget: Duration) {
        let limits = &self.settings.limits;
        if self.runtime.options().fuel {
            // Without a budget of its own, a plugin gets all the fuel there is.
            let _ = store.set_fuel(limits.fuel.unwrap_or(u64::MAX));
        }
        store
            .data_mut()
            .begin(budget, self.runtime.options().epoch_tick);
        if self.runtime.options().deadlines {
            let first = store.data().budget.first_deadline();
            store.set_epoch_deadline(self.runtime.deadline_ticks(first));
        }
    }

    /// A fresh instance, its start-up code bounded by the start-up budget (and the fuel of an
    /// evaluation). A fresh instance made for an event therefore delays that event by up to
    /// `startup-timeout-ms` before its own `timeout-ms` starts.
    fn instantiate(&self) -> Result<Instance, EvalError> {
        let log = Arc::new(GuestLog::new(self.name.clone(), &self.settings.limits));
        let state = HostState::new(&self.settings.limits, log, self.config.clone());
        let mut store = Store::new(self.runtime.engine(), state);
        store.limiter(|state| &mut state.limiter);
        if self.runtime.options().deadlines {
            // The epoch deadline only prompts a look at the CPU clock (see `deadline`).
            let runtime = self.runtime.clone();
            store.epoch_deadline_callback(move |mut store| {
                Ok(match store.data_mut().budget.check() {
                    Check::Extend(left) => UpdateDeadline::Continue(runtime.deadline_ticks(left)),
                    Check::Stop(_) => UpdateDeadline::Interrupt,
                })
            });
        }
        self.arm(&mut store, self.settings.limits.startup_timeout);
        self.stats.instances_created.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        match self.pre.instantiate(&mut store) {
            Ok(rule) => Ok(Instance {
                store,
                rule,
                uses: 0,
                started_in: started.elapsed(),
            }),
            Err(e) => {
                let err = self.classify(&store, &e, Phase::Instantiate);
                Err(EvalError::new(
                    if err.kind == ErrorKind::Trap {
                        ErrorKind::Instantiate
                    } else {
                        err.kind
                    },
                    err.message,
                ))
            }
        }
    }

    fn take_instance(&self) -> Option<Instance> {
        if !self.settings.reuse_instances {
            return None;
        }
        self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    fn give_back(&self, mut instance: Instance) {
        instance.uses += 1;
        if !self.settings.reuse_instances
            || (self.settings.recycle_after > 0 && instance.uses >= self.settings.recycle_after)
        {
            return;
        }
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < self.max_idle {
            pool.push(instance);
        }
    }

    /// Names the cause of a wasmtime error, using what the limiter saw.
    fn classify(
        &self,
        store: &Store<HostState>,
        error: &wasmtime::Error,
        phase: Phase,
    ) -> EvalError {
        let message = format!("{error:#}");
        let kind = if store.data().slept_past_deadline {
            ErrorKind::Timeout
        } else if store.data().budget.expired == Some(Expiry::Overloaded) {
            ErrorKind::HostOverloaded
        } else if let Some(hit) = store.data().limiter.hit {
            match hit {
                LimitHit::Memory | LimitHit::Table => ErrorKind::Memory,
            }
        } else {
            match error.downcast_ref::<Trap>() {
                Some(Trap::Interrupt) => ErrorKind::Timeout,
                Some(Trap::OutOfFuel) => ErrorKind::OutOfFuel,
                Some(Trap::StackOverflow) => ErrorKind::StackOverflow,
                _ => ErrorKind::Trap,
            }
        };
        let startup = self.settings.limits.startup_timeout.as_millis();
        let budget_of = |phase: Phase| match phase {
            Phase::Evaluate => self.settings.limits.timeout,
            Phase::Instantiate | Phase::Describe => self.settings.limits.startup_timeout,
        };
        let message = match (kind, phase) {
            (ErrorKind::Timeout, Phase::Evaluate) => format!(
                "evaluation exceeded its {} ms deadline",
                self.settings.limits.timeout.as_millis()
            ),
            (ErrorKind::HostOverloaded, phase) => format!(
                "{} had CPU budget left after {} ms (timeout {} ms + overload-grace {} ms): the \
                 host is too busy to run it; not counted against the plugin",
                match phase {
                    Phase::Instantiate => "instantiation",
                    Phase::Describe => "describe()",
                    Phase::Evaluate => "the evaluation",
                },
                (budget_of(phase) + self.settings.limits.overload_grace).as_millis(),
                budget_of(phase).as_millis(),
                self.settings.limits.overload_grace.as_millis(),
            ),
            (ErrorKind::Timeout, Phase::Describe) => {
                format!("describe() did not return within the {startup} ms start-up budget")
            }
            (ErrorKind::Timeout, Phase::Instantiate) => {
                format!("instantiation did not finish within the {startup} ms start-up budget")
            }
            (ErrorKind::OutOfFuel, _) => format!(
                "{} used up its fuel budget of {}",
                match phase {
                    Phase::Instantiate => "instantiation",
                    Phase::Describe => "describe()",
                    Phase::Evaluate => "evaluation",
                },
                self.settings.limits.fuel.unwrap_or(u64::MAX)
            ),
            _ => message,
        };
        EvalError::new(kind, message)
    }

    /// Returns the quarantine error while the plugin is parked.
    fn parked(&self) -> Option<EvalError> {
        let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let until = health.parked_until?;
        let left = until.checked_duration_since(Instant::now())?;
        Some(EvalError::new(
            ErrorKind::Quarantined,
            format!(
                "parked after {} consecutive failures; next try in {:.1} s",
                health.consecutive_failures,
                left.as_secs_f64()
            ),
        ))
    }

    fn record(&self, result: &Result<Decision, EvalError>) {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let policy = &self.settings.quarantine;
        match result {
            Ok(decision) => {
                if decision.matched {
                    self.stats.matches.fetch_add(1, Ordering::Relaxed);
                }
                if health.succeeded(policy) {
                    tracing::info!(plugin = %self.name, "plugin recovered");
                }
            }
            Err(err) if err.kind == ErrorKind::HostOverloaded => {
                // The host's fault, not the plugin's: neither a failure nor a success in a row.
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                self.stats.host_overloaded.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(plugin = %self.name, error = %err, "host overloaded");
            }
            Err(err) => {
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                if let Some(backoff) = health.failed(policy, Instant::now()) {
                    tracing::warn!(
                        plugin = %self.name,
                        failures = health.consecutive_failures,
                        backoff_secs = backoff.as_secs_f64(),
                        last_error = %err,
                        "plugin quarantined"
                    );
                }
            }
        }
    }
}

/// A plugin that has described itself but whose configuration is not checked yet: the
/// reloader picks its settings by the name it gives itself, then [`Unconfigured::configure`]s
/// it. It cannot evaluate anything until then.
pub struct Unconfigured(Plugin);

impl std::fmt::Debug for Unconfigured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Unconfigured").field(&self.0).finish()
    }
}

impl Unconfigured {
    /// The name the plugin gave itself.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// What it said about itself.
    pub fn info(&self) -> &PluginInfo {
        self.0.info()
    }

    /// Finishes loading with `settings` (or, with `None`, the settings it was described with).
    /// A 0.2 plugin whose configuration differs from the one it was described with is
    /// described again and must keep its name. The configuration is then checked against the
    /// declared settings: a missing required setting or a value not of its kind refuses the
    /// plugin with an error naming `plugins.NAME.config.KEY`.
    pub fn configure(self, settings: Option<PluginSettings>) -> Result<Plugin, LoadError> {
        let mut plugin = self.0;
        if let Some(settings) = settings {
            let describe_again =
                plugin.contract() != Contract::V0_1 && settings.config != plugin.settings.config;
            plugin.settings = settings;
            plugin.config = Arc::new(plugin.settings.config.clone());
            if describe_again {
                let name = plugin.info.name.clone();
                let described = plugin.describe()?;
                if described.name != name {
                    return Err(LoadError::Metadata {
                        path: plugin.info.path.clone(),
                        problem: format!(
                            "it describes itself as {:?} with its configured settings, but as \
                             {name:?} without them",
                            described.name
                        ),
                    });
                }
                plugin.take_description(described)?;
            }
        }
        let effective = crate::contract::apply_settings(
            &plugin.info.name,
            &plugin.info.settings,
            &plugin.settings.config,
        )
        .map_err(|source| LoadError::Settings {
            path: plugin.info.path.clone(),
            source,
        })?;
        plugin.config = Arc::new(effective);
        Ok(plugin)
    }
}

/// Refuses what is plainly not a component, with a message that says what it is instead.
fn check_component_header(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    let problem = if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        Some("not a WebAssembly file".to_owned())
    } else if bytes[4..8] == [1, 0, 0, 0] {
        Some(
            "a core WebAssembly module, not a component: build for wasm32-wasip2, or wrap it \
             with `wasm-tools component new`"
                .to_owned(),
        )
    } else {
        None
    };
    match problem {
        Some(problem) => Err(LoadError::NotAComponent {
            path: path.to_owned(),
            problem,
        }),
        None => Ok(()),
    }
}

/// Lists a component's imports and exports, for `glue-rules inspect`.
pub fn component_interface(
    runtime: &Runtime,
    path: &Path,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let bytes = std::fs::read(path)?;
    check_component_header(path, &bytes)?;
    let (component, _) = runtime.compile(&bytes, &sha256_hex(&bytes))?;
    let ty = component.component_type();
    let describe = |(name, item): (&str, ComponentExtern<'_>)| {
        let kind = match item.ty {
            ComponentItem::ComponentFunc(_) => "func",
            ComponentItem::CoreFunc(_) => "core func",
            ComponentItem::Module(_) => "module",
            ComponentItem::Component(_) => "component",
            ComponentItem::ComponentInstance(_) => "instance",
            ComponentItem::Type(_) => "type",
            ComponentItem::Resource(_) => "resource",
        };
        format!("{kind} {name}")
    };
    let imports = ty.imports(runtime.engine()).map(describe).collect();
    let exports = ty.exports(runtime.engine()).map(describe).collect();
    Ok((imports, exports))
}
