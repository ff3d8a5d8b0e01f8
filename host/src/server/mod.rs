//! `glue-rules serve`: the sidecar. HTTP intake, hot reload, the admin API, metrics and a
//! graceful shutdown, around the same engine the CLI uses.

mod api;
pub mod sqs;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::registry::Registry;
use crate::reload::{ReloadReport, Reloader};
use crate::sink::ActionSink;

pub use api::router;

/// How the sidecar listens and guards its admin surface.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Bearer token for admin endpoints; required on a non-loopback address.
    pub admin_token: Option<String>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// How often to look for changed plugin files; `None` disables watching.
    pub watch_interval: Option<Duration>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_token: None,
            max_body_bytes: 10 << 20,
            watch_interval: Some(Duration::from_secs(1)),
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
    Registry(#[from] crate::registry::RegistryError),
}

/// Everything the request handlers share.
pub struct AppState {
    /// The plugin set in force.
    pub registry: Registry,
    /// What assembles it from files.
    pub reloader: Mutex<Reloader>,
    /// The process's metrics.
    pub metrics: Metrics,
    /// Where actions go before an event is acknowledged.
    pub sink: Arc<dyn ActionSink>,
    /// The configuration, as parsed at start.
    pub config: Config,
    /// Listening and admin options.
    pub options: ServeOptions,
    /// Whether the first load finished.
    pub ready: AtomicBool,
    /// The outbox behind the sink, when there is one, for its metrics.
    pub outbox: Option<Arc<crate::dispatch::Outbox>>,
}

impl AppState {
    /// Builds the state and loads the plugins once. Plugins that fail are reported and left
    /// out; the sidecar serves the rest.
    pub fn new(
        reloader: Reloader,
        sink: Arc<dyn ActionSink>,
        outbox: Option<Arc<crate::dispatch::Outbox>>,
        config: Config,
        options: ServeOptions,
    ) -> Result<Arc<Self>, ServeError> {
        let state = Arc::new(Self {
            registry: Registry::default(),
            reloader: Mutex::new(reloader),
            metrics: Metrics::default(),
            sink,
            config,
            options,
            ready: AtomicBool::new(false),
            outbox,
        });
        state.reload()?;
        state.ready.store(true, Ordering::Release);
        Ok(state)
    }

    /// Re-reads the plugin files and swaps the new set in. Evaluations already running finish
    /// on the set they started with.
    pub fn reload(&self) -> Result<ReloadReport, ServeError> {
        let mut reloader = self.reloader.lock().unwrap_or_else(|p| p.into_inner());
        let (set, report) = match reloader.reload() {
            Ok(result) => result,
            Err(e) => {
                self.metrics
                    .add("glue_rules_reloads_total", &[("outcome", "error")], 1);
                tracing::error!("reload failed: {e}");
                return Err(e.into());
            }
        };
        if !report.is_noop() {
            self.registry.replace(set);
            let outcome = if report.failed.is_empty() {
                "ok"
            } else {
                "partial"
            };
            self.metrics
                .add("glue_rules_reloads_total", &[("outcome", outcome)], 1);
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

    /// Reloads when a plugin file changed on disk.
    fn reload_if_changed(&self) {
        let changed = self
            .reloader
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .changed_on_disk();
        if changed {
            let _ = self.reload();
        }
    }
}

/// Runs the sidecar on `listener` until `shutdown` resolves, then stops taking requests,
/// finishes those in flight and returns.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let watcher = state.options.watch_interval.map(|interval| {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let state = state.clone();
                // Compiling a component is CPU work: keep it off the request threads.
                let _ = tokio::task::spawn_blocking(move || state.reload_if_changed()).await;
            }
        })
    });
    let app = router(state.clone());
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    result
}

/// Binds the listening socket, refusing a non-loopback address without an admin token.
pub async fn bind(options: &ServeOptions) -> Result<tokio::net::TcpListener, ServeError> {
    if !options.listen.ip().is_loopback() && options.admin_token.is_none() {
        return Err(ServeError::TokenRequired(options.listen));
    }
    tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: options.listen,
            source,
        })
}
