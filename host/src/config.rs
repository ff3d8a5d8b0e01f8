//! The whole configuration file, composed from each crate's own section.
//!
//! ```toml
//! plugins-dir = "plugins/dist"   # the runtime's keys: plugins-dir, cache-dir, cache-max-mib,
//! [limits]                       #   max-event-bytes, on-error, [limits], [plugins.NAME]
//! timeout-ms = 50                #   (see glue_rules_runtime::config)
//!
//! [serve]                        # the sidecar (this crate)
//! listen = "127.0.0.1:8080"
//!
//! [dispatch]                     # the outbox and the AWS targets (glue_rules_dispatch::config)
//! outbox = "/var/lib/glue-rules/outbox.sqlite"
//! ```
//!
//! The file is deserialised in one pass, so unknown keys and wrong types anywhere are errors
//! that name the key and its line; each crate then validates its own section. Only this crate
//! sees the whole [`Config`]: the runtime gets a [`RuntimeConfig`], dispatch a
//! [`DispatchConfig`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use glue_rules_dispatch::DispatchConfig;
use glue_rules_dispatch::config::RawDispatch;
use glue_rules_runtime::config::{RawLimits, RawPlugin, RawRuntimeSection, RuntimeConfig};
use glue_rules_runtime::plugin::OnError;

/// The file name looked for in the working directory when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "glue-rules.toml";

/// The whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where the configuration was read from, if anywhere.
    pub source: Option<PathBuf>,
    /// The runtime's section: plugin sources and how each plugin runs.
    pub runtime: RuntimeConfig,
    /// The `[serve]` table: how the sidecar listens.
    pub serve: ServeSection,
    /// The `[dispatch]` table: outbox, retries, AWS.
    pub dispatch: DispatchConfig,
    /// The `[project]` table of a plugin project (`glue-rules new` writes it), with its paths
    /// resolved against the file's directory; `None` outside a project.
    pub project: Option<ProjectSection>,
}

/// The `[project]` table: how a plugin project is built and tested, declared once so that
/// `glue-rules dev` (and anyone reading the file) need not know the language.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProjectSection {
    /// `build`: the shell command that builds the component (run in the project directory).
    pub build: String,
    /// `test`: the shell command that runs the native unit tests; none when absent.
    pub test: Option<String>,
    /// `wasm`: the component the build writes.
    pub wasm: PathBuf,
    /// `watch`: files and directories whose changes trigger a rebuild (default: `src`).
    #[serde(default = "default_watch")]
    pub watch: Vec<PathBuf>,
    /// `fixtures`: the directory `glue-rules test` checks after each build (default
    /// `fixtures`).
    #[serde(default = "default_fixtures")]
    pub fixtures: PathBuf,
    /// The project directory: where the file is, and where the commands run.
    #[serde(skip)]
    pub root: PathBuf,
}

fn default_watch() -> Vec<PathBuf> {
    vec![PathBuf::from("src")]
}

fn default_fixtures() -> PathBuf {
    PathBuf::from("fixtures")
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
    /// `intake-token`: when set, `POST /v1/events` needs `Authorization: Bearer <token>` (or
    /// the token in `intake-token-header`).
    pub intake_token: Option<String>,
    /// `intake-token-file`: read the intake token from this file (a Kubernetes secret).
    pub intake_token_file: Option<std::path::PathBuf>,
    /// `intake-token-header`: take the token from this header instead of `Authorization`
    /// (EventBridge API-key connections send a header of the user's choosing).
    pub intake_token_header: Option<String>,
    /// `max-body-bytes`: the largest request body accepted.
    pub max_body_bytes: Option<usize>,
    /// `watch-interval-ms`: how often to look for changed plugin files; 0 turns watching off.
    pub watch_interval_ms: Option<u64>,
    /// `max-concurrent-evaluations`: evaluation threads, so evaluations at once (default: the
    /// available cores).
    pub max_concurrent_evaluations: Option<usize>,
    /// `max-queued-requests`: requests admitted beyond those being evaluated (default 64);
    /// past that, `503` with `Retry-After`.
    pub max_queued_requests: Option<usize>,
    /// `max-connections`: HTTP connections open at once (default 1024).
    pub max_connections: Option<usize>,
    /// `header-read-timeout-ms`: time a client has to send a request's headers (default 10 s).
    pub header_read_timeout_ms: Option<u64>,
    /// `body-read-timeout-ms`: time a client has to send a request's body (default 30 s).
    pub body_read_timeout_ms: Option<u64>,
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
    require_pins: Option<bool>,
    cache_dir: Option<PathBuf>,
    cache_max_mib: Option<u64>,
    max_event_bytes: Option<usize>,
    #[serde(default)]
    limits: RawLimits,
    on_error: Option<OnError>,
    #[serde(default)]
    plugins: BTreeMap<String, RawPlugin>,
    #[serde(default)]
    serve: ServeSection,
    dispatch: Option<RawDispatch>,
    project: Option<ProjectSection>,
}

impl Config {
    /// Built-in defaults: no plugins, default limits, the log dispatcher.
    pub fn builtin() -> Self {
        Self {
            runtime: RuntimeConfig::builtin(),
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
        let invalid = |key: String, problem: String| ConfigError::Invalid {
            path: path.to_owned(),
            key,
            problem,
        };
        let runtime = RuntimeConfig::from_raw(
            RawRuntimeSection {
                plugins_dir: raw.plugins_dir,
                require_pins: raw.require_pins,
                cache_dir: raw.cache_dir,
                cache_max_mib: raw.cache_max_mib,
                max_event_bytes: raw.max_event_bytes,
                limits: raw.limits,
                on_error: raw.on_error,
                plugins: raw.plugins,
            },
            base,
        )
        .map_err(|e| invalid(e.key, e.problem))?;
        let dispatch =
            DispatchConfig::from_raw(raw.dispatch, base).map_err(|(k, p)| invalid(k, p))?;
        let project = match raw.project {
            Some(mut project) => {
                if project.build.trim().is_empty() {
                    return Err(invalid("project.build".into(), "is empty".into()));
                }
                if project.test.as_deref().is_some_and(|t| t.trim().is_empty()) {
                    return Err(invalid("project.test".into(), "is empty".into()));
                }
                if project.watch.is_empty() {
                    return Err(invalid(
                        "project.watch".into(),
                        "names nothing to watch".into(),
                    ));
                }
                project.root = base.to_owned();
                project.wasm = base.join(&project.wasm);
                project.fixtures = base.join(&project.fixtures);
                for path in &mut project.watch {
                    *path = base.join(&*path);
                }
                Some(project)
            }
            None => None,
        };
        Ok(Self {
            source: Some(path.to_owned()),
            runtime,
            serve: raw.serve,
            dispatch,
            project,
        })
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_shipped_configuration_parses() {
        // The deployment examples and the sample configuration are documentation users copy:
        // each must be a configuration this build accepts.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = vec![root.join("glue-rules.toml")];
        for entry in std::fs::read_dir(root.join("deploy")).unwrap() {
            let candidate = entry.unwrap().path().join("glue-rules.toml");
            if candidate.is_file() {
                files.push(candidate);
            }
        }
        assert!(files.len() >= 4, "{files:?}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            if let Err(e) = Config::parse(&text, &file) {
                panic!("{}: {e}", file.display());
            }
        }
    }

    use super::*;
    use std::time::Duration;

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
            jobs = ["nightly-*", "q\"1"]
            "#,
        )
        .unwrap();
        assert_eq!(
            config.runtime.plugins_dir,
            Some(PathBuf::from("/etc/glue-rules/dist"))
        );
        let a = config.runtime.settings_for("a");
        assert_eq!(a.limits.timeout, Duration::from_millis(99));
        assert_eq!(a.limits.memory_bytes, 8 << 20);
        assert_eq!(a.on_error, OnError::Fail);
        assert_eq!(a.config["notify-stopped"], "true");
        assert_eq!(a.config["jobs"], r#"["nightly-*","q\"1"]"#);
        let other = config.runtime.settings_for("b");
        assert_eq!(other.limits.timeout, Duration::from_millis(20));
    }

    #[test]
    fn the_project_table_resolves_its_paths_against_the_file() {
        let config = parse(
            "[project]\nbuild = \"npm run build\"\ntest = \"npm test\"\nwasm = \"build/x.wasm\"\n",
        )
        .unwrap();
        let project = config.project.unwrap();
        assert_eq!(project.root, Path::new("/etc/glue-rules"));
        assert_eq!(project.wasm, Path::new("/etc/glue-rules/build/x.wasm"));
        assert_eq!(project.watch, [PathBuf::from("/etc/glue-rules/src")]);
        assert_eq!(project.fixtures, Path::new("/etc/glue-rules/fixtures"));
        assert!(parse("").unwrap().project.is_none());
        let err = parse("[project]\nbuild = \" \"\nwasm = \"x.wasm\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`project.build`: is empty"), "{err}");
        let err = parse("[project]\nwasm = \"x.wasm\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("build"), "{err}");
    }

    #[test]
    fn require_pins_is_a_top_level_key_off_by_default() {
        assert!(!parse("").unwrap().runtime.require_pins);
        let config = parse("plugins-dir = \"dist\"\nrequire-pins = true\n").unwrap();
        assert!(config.runtime.require_pins);
        let err = parse("require-pins = \"yes\"\n").unwrap_err().to_string();
        assert!(err.contains("require-pins"), "{err}");
    }

    #[test]
    fn cache_max_mib_sets_the_compile_cache_bound_and_refuses_out_of_range_values() {
        let default = parse("").unwrap().runtime.cache_max_bytes;
        assert_eq!(
            default,
            glue_rules_runtime::runtime::DEFAULT_CACHE_MAX_BYTES
        );
        let config = parse("cache-max-mib = 448\n").unwrap();
        assert_eq!(config.runtime.cache_max_bytes, 448 << 20);
        for bad in ["0", "2000000000", "\"big\""] {
            let err = parse(&format!("cache-max-mib = {bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("cache-max-mib"), "{bad}: {err}");
        }
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
        let err = parse("[plugins.a.limits]\ntimeout-ms = 18446744073709551615\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("plugins.a.limits.timeout-ms"), "{err}");
        let err = parse("[limits]\npattern-max-bytes = \"big\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("pattern-max-bytes"), "{err}");
    }

    #[test]
    fn the_dispatch_table_is_part_of_the_configuration() {
        let path = std::path::Path::new("/etc/glue-rules/glue-rules.toml");
        let config = Config::parse(
            "[dispatch]\noutbox = \"o.sqlite\"\n[dispatch.aws]\nregion = \"eu-west-1\"\n",
            path,
        )
        .unwrap();
        assert_eq!(config.dispatch.mode, glue_rules_dispatch::DispatchMode::Aws);
        assert_eq!(
            config.dispatch.outbox_path(),
            std::path::PathBuf::from("/etc/glue-rules/o.sqlite")
        );
        assert_eq!(
            Config::parse("", path).unwrap().dispatch.mode,
            glue_rules_dispatch::DispatchMode::Log
        );
        let err = Config::parse("[dispatch]\nretries = 3\n", path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("retries"), "{err}");
        let err = Config::parse("[dispatch.retry]\nmax-attempts = 0\n", path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("dispatch.retry.max-attempts"), "{err}");
        let err = Config::parse("[dispatch]\nmode = \"carrier-pigeon\"\n", path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("mode"), "{err}");
    }
}
