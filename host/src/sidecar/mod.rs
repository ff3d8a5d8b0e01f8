//! The sidecar as a library type: HTTP intake, optional SQS intake, hot reload, the admin API,
//! metrics, the dispatch worker and a graceful shutdown, around the same engine the CLI uses.
//!
//! [`Sidecar::start`] wires everything from a [`SidecarConfig`] and returns a running sidecar;
//! [`Sidecar::router`] gives the HTTP routes for in-process tests
//! (`tower::ServiceExt::oneshot`); `glue-rules serve` is a thin layer of flags over both.

mod http;
pub mod pool;
mod server;
#[cfg(feature = "aws")]
pub mod sqs;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use glue_rules_core::ActionSink;
use glue_rules_dispatch::Outbox;
use glue_rules_runtime::registry::{PluginSources, Registry, RegistryError};
use glue_rules_runtime::reload::{FileStatus, ReloadReport, Reloader};

use crate::config::Config;
use crate::intake::Intake;
use crate::metrics::{Metrics, ReloadOutcome};

pub use http::router;

/// How the sidecar listens and guards its admin surface.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Bearer token for admin endpoints; required on a non-loopback address.
    pub admin_token: Option<String>,
    /// Token `POST /v1/events` requires; required on a non-loopback address unless
    /// `allow_unauthenticated_intake`.
    pub intake_token: Option<String>,
    /// The header carrying the intake token as its whole value; `None` reads
    /// `Authorization: Bearer <token>`.
    pub intake_token_header: Option<axum::http::HeaderName>,
    /// Serve intake without a token on a non-loopback address (behind a trusted proxy).
    pub allow_unauthenticated_intake: bool,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// How often to look for changed plugin files; `None` disables watching.
    pub watch_interval: Option<Duration>,
    /// Evaluation threads: how many requests are evaluated at once.
    pub max_concurrent_evaluations: usize,
    /// Requests admitted beyond those being evaluated; past that, `503` with `Retry-After`.
    pub max_queued_requests: usize,
    /// HTTP connections open at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Time a client has to send a request's headers (also bounds an idle keep-alive
    /// connection).
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's body; past it, `408`.
    pub body_read_timeout: Duration,
}

/// The default of `max-concurrent-evaluations`: one evaluation per core.
pub fn default_concurrent_evaluations() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_token: None,
            intake_token: None,
            intake_token_header: None,
            allow_unauthenticated_intake: false,
            max_body_bytes: 10 << 20,
            watch_interval: Some(Duration::from_secs(1)),
            max_concurrent_evaluations: default_concurrent_evaluations(),
            max_queued_requests: 64,
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
        }
    }
}

/// Why the sidecar refused to start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A non-loopback address without an admin token.
    #[error(
        "refusing to listen on {0} without an admin token: set GLUE_RULES_ADMIN_TOKEN \
         (or --admin-token / [serve] admin-token), or listen on a loopback address"
    )]
    TokenRequired(SocketAddr),
    /// A non-loopback address without an intake token.
    #[error(
        "refusing to serve POST /v1/events on {0} without an intake token: anyone who can reach \
         it could make glue-rules act with its IAM role. Set GLUE_RULES_INTAKE_TOKEN (or \
         --intake-token / --intake-token-file / [serve] intake-token), listen on a loopback \
         address, or pass --allow-unauthenticated-intake behind a proxy that authenticates"
    )]
    IntakeTokenRequired(SocketAddr),
    /// A `[serve]` setting cannot be used.
    #[error("[serve] {key}: {problem}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The plugin set could not be assembled.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The outbox could not be opened or the dispatcher could not be set up.
    #[error(transparent)]
    Dispatch(#[from] glue_rules_dispatch::DispatchError),
    /// The wasmtime runtime could not be created.
    #[error("cannot start the plugin runtime: {0}")]
    Runtime(String),
    /// A background task failed.
    #[error("{0}")]
    Task(String),
}

/// Everything the request handlers share.
pub struct AppState {
    /// The plugin set in force.
    pub registry: Arc<Registry>,
    /// What assembles it from files.
    pub reloader: Mutex<Reloader>,
    /// The process's metrics.
    pub metrics: Arc<Metrics>,
    /// The pipeline every intake goes through.
    pub intake: Intake,
    /// The configuration, as parsed at start.
    pub config: Config,
    /// Listening and admin options.
    pub options: ServeOptions,
    /// Whether the first load finished.
    pub ready: AtomicBool,
    /// The outbox behind the sink, when there is one, for its metrics.
    pub outbox: Option<Arc<Outbox>>,
    /// The counts of shared claims and of the outbox queue's worker, set once by
    /// [`Sidecar::start`] when those are configured, for `/metrics`.
    pub dispatch_counts: std::sync::OnceLock<DispatchCounts>,
    /// The threads that evaluate, and the bound on requests admitted.
    pub pool: pool::EvaluationPool,
    /// The component files' statuses as of the last reload: a snapshot swapped like the
    /// plugin set, so that handlers never wait for the reloader.
    files: RwLock<Arc<Vec<FileStatus>>>,
    /// Taken (asynchronously) for the whole of a reload: one at a time, and nobody waits on a
    /// thread for their turn.
    reload_turn: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    /// Builds the state and loads the plugins once. Plugins that fail are reported and left
    /// out; the sidecar serves the rest.
    pub fn new(
        reloader: Reloader,
        sink: Arc<dyn ActionSink>,
        outbox: Option<Arc<Outbox>>,
        config: Config,
        options: ServeOptions,
    ) -> Result<Arc<Self>, ServeError> {
        let registry = Arc::new(Registry::default());
        let metrics = Arc::new(Metrics::new());
        let pool = pool::EvaluationPool::new(
            options.max_concurrent_evaluations,
            options.max_queued_requests,
        )
        .map_err(|e| ServeError::Task(format!("cannot start the evaluation threads: {e}")))?;
        let state = Arc::new(Self {
            intake: Intake::new(registry.clone(), sink, metrics.clone()),
            registry,
            reloader: Mutex::new(reloader),
            metrics,
            config,
            options,
            ready: AtomicBool::new(false),
            outbox,
            dispatch_counts: std::sync::OnceLock::new(),
            pool,
            files: RwLock::new(Arc::new(Vec::new())),
            reload_turn: Arc::new(tokio::sync::Mutex::new(())),
        });
        state.reload()?;
        state.ready.store(true, Ordering::Release);
        Ok(state)
    }

    /// The component files' statuses as of the last reload, without waiting for one in
    /// progress.
    pub fn file_statuses(&self) -> Arc<Vec<FileStatus>> {
        self.files.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Re-reads the plugin files and swaps the new set in. Evaluations already running finish
    /// on the set they started with. Blocking (compiling a component takes seconds): call it
    /// off the async runtime, or use [`AppState::reload_in_turn`].
    pub fn reload(&self) -> Result<ReloadReport, ServeError> {
        let mut reloader = self.reloader.lock().unwrap_or_else(|p| p.into_inner());
        let result = reloader.reload();
        // Published whatever happened: a failed reload may still have read new files.
        *self.files.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(reloader.statuses());
        drop(reloader);
        let (set, report) = match result {
            Ok(result) => result,
            Err(e) => {
                self.metrics.reload(ReloadOutcome::Error);
                tracing::error!("reload failed: {e}");
                return Err(e.into());
            }
        };
        if !report.is_noop() {
            self.registry.replace(set);
            self.metrics.reload(if report.failed.is_empty() {
                ReloadOutcome::Ok
            } else {
                ReloadOutcome::Partial
            });
            for failed in &report.failed {
                tracing::error!(path = %failed.path, "plugin not loaded, previous version kept: {}", failed.error);
            }
            tracing::info!(
                added = ?report.added,
                replaced = ?report.replaced,
                removed = ?report.removed,
                plugins = report.plugins,
                "plugins reloaded"
            );
        }
        Ok(report)
    }

    /// Reloads on a blocking thread once the reloads before it are done, without holding a
    /// runtime thread meanwhile (the admin API, SIGHUP, the watcher).
    pub async fn reload_in_turn(self: &Arc<Self>) -> Result<ReloadReport, ServeError> {
        self.in_turn(|state| state.reload()).await
    }

    /// Reloads, in turn, when a plugin file changed on disk.
    async fn reload_if_changed(self: &Arc<Self>) {
        let _ = self
            .in_turn(|state| {
                let changed = state
                    .reloader
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .changed_on_disk();
                if changed {
                    state.reload().map(Some)
                } else {
                    Ok(None)
                }
            })
            .await;
    }

    /// Runs `work` on a blocking thread once it is its turn. The turn travels with the work,
    /// so a caller that stops waiting does not let the next reload start beside it.
    async fn in_turn<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&AppState) -> Result<T, ServeError> + Send + 'static,
    ) -> Result<T, ServeError> {
        let turn = self.reload_turn.clone().lock_owned().await;
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work(&state)
        })
        .await
        .map_err(|e| ServeError::Task(format!("the reload was aborted: {e}")))?
    }
}

fn spawn_watcher(state: Arc<AppState>) -> Option<tokio::task::JoinHandle<()>> {
    let interval = state.options.watch_interval?;
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Compiling a component is CPU work: it runs on a blocking thread, in turn.
            state.reload_if_changed().await;
        }
    }))
}

/// Where the sidecar's plugins, outbox and optional SQS queue come from: the parsed
/// configuration plus what flags add to it.
#[derive(Debug, Clone)]
pub struct SidecarConfig {
    /// The configuration file, parsed.
    pub config: Config,
    /// Listening and admin options.
    pub options: ServeOptions,
    /// Plugins named besides the configuration's.
    pub sources: PluginSources,
    /// Where compiled components are cached (`None`: the configuration's, then the user
    /// cache directory).
    pub cache_dir: Option<PathBuf>,
    /// Poll this SQS queue as well.
    #[cfg(feature = "aws")]
    pub sqs: Option<sqs::SqsIntake>,
}

impl SidecarConfig {
    /// A sidecar for `config` with its `[serve]` options and nothing added.
    pub fn new(config: Config) -> Result<Self, ServeError> {
        let options = ServeOptions::from_section(&config.serve)?;
        Ok(Self {
            config,
            options,
            sources: PluginSources::default(),
            cache_dir: None,
            #[cfg(feature = "aws")]
            sqs: None,
        })
    }
}

impl ServeOptions {
    /// The defaults with the `[serve]` table's values applied (the token file is read here).
    pub fn from_section(section: &crate::config::ServeSection) -> Result<Self, ServeError> {
        let defaults = Self::default();
        let intake_token = match (&section.intake_token, &section.intake_token_file) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(path)) => Some(read_token_file(path)?),
            (None, None) => None,
        };
        let intake_token_header = section
            .intake_token_header
            .as_deref()
            .map(|name| {
                axum::http::HeaderName::try_from(name).map_err(|e| ServeError::Invalid {
                    key: "intake-token-header",
                    problem: format!("{name:?} is not a header name: {e}"),
                })
            })
            .transpose()?;
        let positive = |key: &'static str, value: Option<usize>, default: usize| match value {
            Some(0) => Err(ServeError::Invalid {
                key,
                problem: "must be at least 1".into(),
            }),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let timeout = |key: &'static str, value: Option<u64>, default: Duration| match value {
            Some(0) => Err(ServeError::Invalid {
                key,
                problem: "must be at least 1 ms".into(),
            }),
            Some(ms) => Ok(Duration::from_millis(ms)),
            None => Ok(default),
        };
        Ok(Self {
            max_concurrent_evaluations: positive(
                "max-concurrent-evaluations",
                section.max_concurrent_evaluations,
                defaults.max_concurrent_evaluations,
            )?,
            max_queued_requests: section
                .max_queued_requests
                .unwrap_or(defaults.max_queued_requests),
            max_connections: positive(
                "max-connections",
                section.max_connections,
                defaults.max_connections,
            )?,
            header_read_timeout: timeout(
                "header-read-timeout-ms",
                section.header_read_timeout_ms,
                defaults.header_read_timeout,
            )?,
            body_read_timeout: timeout(
                "body-read-timeout-ms",
                section.body_read_timeout_ms,
                defaults.body_read_timeout,
            )?,
            listen: section.listen.unwrap_or(defaults.listen),
            admin_token: section.admin_token.clone().filter(|t| !t.is_empty()),
            intake_token: intake_token.filter(|t| !t.is_empty()),
            intake_token_header,
            allow_unauthenticated_intake: false,
            max_body_bytes: section.max_body_bytes.unwrap_or(defaults.max_body_bytes),
            watch_interval: match section.watch_interval_ms {
                Some(0) => None,
                Some(ms) => Some(Duration::from_millis(ms)),
                None => defaults.watch_interval,
            },
        })
    }
}

/// Reads a token from a file, trimming the newline secrets usually end with.
pub fn read_token_file(path: &std::path::Path) -> Result<String, ServeError> {
    let text = std::fs::read_to_string(path).map_err(|e| ServeError::Invalid {
        key: "intake-token-file",
        problem: format!("{}: {e}", path.display()),
    })?;
    let token = text.trim().to_owned();
    if token.is_empty() {
        return Err(ServeError::Invalid {
            key: "intake-token-file",
            problem: format!("{} is empty", path.display()),
        });
    }
    Ok(token)
}

/// A running sidecar: listening, dispatching, watching its plugins.
pub struct Sidecar {
    state: Arc<AppState>,
    addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    http: tokio::task::JoinHandle<std::io::Result<()>>,
    #[cfg(feature = "aws")]
    sqs: Option<tokio::task::JoinHandle<()>>,
    watcher: Option<tokio::task::JoinHandle<()>>,
    worker: glue_rules_dispatch::Running,
}

impl std::fmt::Debug for Sidecar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sidecar")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Sidecar {
    /// Binds the listener (refusing a non-loopback address without an admin token), opens the
    /// outbox and starts its worker, loads the plugins, and starts serving HTTP (and SQS, when
    /// configured). Returns once requests are being answered.
    pub async fn start(config: SidecarConfig) -> Result<Self, ServeError> {
        let SidecarConfig {
            config,
            options,
            sources,
            cache_dir,
            #[cfg(feature = "aws")]
            sqs,
        } = config;
        let listener = bind(&options).await?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: options.listen,
            source,
        })?;

        // Dispatch: every action is in the outbox (the file, or the SQS queue) before its event
        // is acknowledged.
        let dispatch_config = config.dispatch.clone();
        let replica = replica_name(addr);
        let glue_rules_dispatch::Dispatching {
            sink,
            outbox,
            worker,
            claims,
            #[cfg(feature = "aws")]
            queue,
        } = glue_rules_dispatch::start(&dispatch_config, &replica).await?;
        let counts = DispatchCounts {
            claims,
            #[cfg(feature = "aws")]
            queue,
        };
        match (&outbox, &dispatch_config.outbox_queue_url) {
            (Some(outbox), _) => tracing::info!(
                mode = dispatch_config.mode.as_str(),
                outbox = %outbox.path().display(),
                "dispatching"
            ),
            (None, Some(url)) => tracing::info!(
                mode = dispatch_config.mode.as_str(),
                outbox_queue = %url,
                "dispatching from the outbox queue"
            ),
            (None, None) => {}
        }
        if let Some(table) = &dispatch_config.dedupe_table {
            tracing::info!(table = %table, replica = %replica, "de-duplicating on DynamoDB");
        }

        let options_for_server = options.clone();
        let runtime = crate::runtime_for(&config.runtime, cache_dir, false)
            .map_err(|e| ServeError::Runtime(e.to_string()))?;
        let reloader = Reloader::new(runtime, config.runtime.clone(), sources);
        let state = tokio::task::spawn_blocking({
            let options = options.clone();
            move || AppState::new(reloader, sink, outbox, config, options)
        })
        .await
        .map_err(|e| ServeError::Task(e.to_string()))??;
        let _ = state.dispatch_counts.set(counts);

        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        #[cfg(feature = "aws")]
        let sqs = match sqs {
            Some(intake) => Some(intake.spawn(state.clone(), stop_rx.clone()).await),
            None => None,
        };
        let watcher = spawn_watcher(state.clone());
        let app = router(state.clone());
        let http = tokio::spawn(server::serve(listener, app, options_for_server, stop_rx));
        Ok(Self {
            state,
            addr,
            stop,
            http,
            #[cfg(feature = "aws")]
            sqs,
            watcher,
            worker,
        })
    }

    /// The address it listens on (with the port the system chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state: registry, metrics, intake pipeline.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// The HTTP routes over this sidecar's state, for in-process tests.
    pub fn router(&self) -> axum::Router {
        router(self.state.clone())
    }

    /// Stops taking events, finishes the requests and SQS batches in flight, lets the worker
    /// finish its sends (what is still pending stays in the outbox), and returns.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        let _ = self.stop.send(true);
        let served = self
            .http
            .await
            .map_err(|e| ServeError::Task(e.to_string()))?;
        #[cfg(feature = "aws")]
        if let Some(sqs) = self.sqs {
            sqs.await
                .map_err(|e| ServeError::Task(format!("the SQS intake failed: {e}")))?;
        }
        if let Some(watcher) = self.watcher {
            watcher.abort();
        }
        self.worker.shutdown().await?;
        served.map_err(|source| ServeError::Bind {
            addr: self.addr,
            source,
        })
    }
}

/// Binds the listening socket, refusing a non-loopback address without an admin token.
async fn bind(options: &ServeOptions) -> Result<tokio::net::TcpListener, ServeError> {
    if !options.listen.ip().is_loopback() && options.admin_token.is_none() {
        return Err(ServeError::TokenRequired(options.listen));
    }
    if !options.listen.ip().is_loopback()
        && options.intake_token.is_none()
        && !options.allow_unauthenticated_intake
    {
        return Err(ServeError::IntakeTokenRequired(options.listen));
    }
    tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: options.listen,
            source,
        })
}

/// This process's name in shared claims: the host, the process and the port, enough to tell
/// replicas apart in the table and in logs.
fn replica_name(addr: SocketAddr) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "localhost".into());
    format!("{host}/{}/{}", std::process::id(), addr.port())
}

/// The counters of the scale-out backends, when they are in use.
#[derive(Debug, Default)]
pub struct DispatchCounts {
    /// Shared claims (`dedupe-table`).
    pub claims: Option<Arc<glue_rules_dispatch::ClaimCounters>>,
    /// The outbox queue's worker (`outbox-queue-url`).
    #[cfg(feature = "aws")]
    pub queue: Option<Arc<glue_rules_dispatch::QueueCounters>>,
}
