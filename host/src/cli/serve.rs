//! `glue-rules serve`: the sidecar.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use glue_rules::config::Config;
use glue_rules::runtime::registry::PluginSources;
#[cfg(feature = "aws")]
use glue_rules::sidecar::sqs::{SqsIntake, SqsOptions};
use glue_rules::sidecar::{AppState, ServeOptions, Sidecar, SidecarConfig};

use super::exit;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Configuration file; defaults to ./glue-rules.toml when present, else built-in defaults.
    #[arg(long, value_name = "FILE", env = "GLUE_RULES_CONFIG")]
    config: Option<PathBuf>,
    /// Serve every *.wasm in this directory (overrides `plugins-dir` in the configuration).
    #[arg(long, value_name = "DIR", env = "GLUE_RULES_PLUGINS_DIR")]
    plugins_dir: Option<PathBuf>,
    /// A plugin component to serve besides the directory's (repeatable).
    #[arg(long = "plugin", value_name = "FILE.wasm")]
    plugins: Vec<PathBuf>,
    /// Address to listen on [default: [serve] listen, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR:PORT", env = "GLUE_RULES_LISTEN")]
    listen: Option<SocketAddr>,
    /// Bearer token for the admin endpoints; required on a non-loopback address.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "GLUE_RULES_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// Token `POST /v1/events` requires (`Authorization: Bearer <token>`); required on a
    /// non-loopback address.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "GLUE_RULES_INTAKE_TOKEN",
        hide_env_values = true
    )]
    intake_token: Option<String>,
    /// Read the intake token from this file (a mounted secret).
    #[arg(long, value_name = "FILE", env = "GLUE_RULES_INTAKE_TOKEN_FILE")]
    intake_token_file: Option<PathBuf>,
    /// Take the intake token from this header instead of `Authorization`.
    #[arg(long, value_name = "NAME", env = "GLUE_RULES_INTAKE_TOKEN_HEADER")]
    intake_token_header: Option<String>,
    /// Serve intake without a token on a non-loopback address (only behind a proxy that
    /// authenticates).
    #[arg(long)]
    allow_unauthenticated_intake: bool,
    /// How often to look for changed plugin files, in milliseconds; 0 turns watching off.
    #[arg(long, value_name = "MS", env = "GLUE_RULES_WATCH_INTERVAL_MS")]
    watch_interval_ms: Option<u64>,
    /// Largest request body, in bytes.
    #[arg(long, value_name = "BYTES", env = "GLUE_RULES_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    // Capacity: evaluation threads, queue, connections, read timeouts (boxed: it is large).
    #[command(flatten)]
    capacity: Box<CapacityArgs>,
    /// Directory for compiled components [default: the user cache directory].
    #[arg(long, value_name = "DIR", env = "GLUE_RULES_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// The outbox database [default: [dispatch] outbox, else the user data directory].
    #[arg(long, value_name = "FILE", env = "GLUE_RULES_OUTBOX")]
    outbox: Option<PathBuf>,
    /// Also take events from this SQS queue (overrides [serve.sqs] queue-url).
    #[arg(long, value_name = "URL", env = "GLUE_RULES_SQS_QUEUE_URL")]
    sqs_queue_url: Option<String>,
    /// SQS pollers at once (overrides [serve.sqs] concurrency).
    #[arg(long, value_name = "N", env = "GLUE_RULES_SQS_CONCURRENCY")]
    sqs_concurrency: Option<usize>,
}

/// How much the sidecar takes on at once, and how long it waits for a client.
#[derive(Debug, Args)]
struct CapacityArgs {
    /// Evaluation threads, so requests evaluated at once [default: the available cores].
    #[arg(long, value_name = "N", env = "GLUE_RULES_MAX_CONCURRENT_EVALUATIONS")]
    max_concurrent_evaluations: Option<usize>,
    /// Requests admitted beyond those being evaluated; past that, 503 [default: 64].
    #[arg(long, value_name = "N", env = "GLUE_RULES_MAX_QUEUED_REQUESTS")]
    max_queued_requests: Option<usize>,
    /// HTTP connections open at once [default: 1024].
    #[arg(long, value_name = "N", env = "GLUE_RULES_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Time a client has to send a request's headers, in milliseconds [default: 10000].
    #[arg(long, value_name = "MS", env = "GLUE_RULES_HEADER_READ_TIMEOUT_MS")]
    header_read_timeout_ms: Option<u64>,
    /// Time a client has to send a request's body, in milliseconds; past it, 408
    /// [default: 30000].
    #[arg(long, value_name = "MS", env = "GLUE_RULES_BODY_READ_TIMEOUT_MS")]
    body_read_timeout_ms: Option<u64>,
}

impl ServeArgs {
    /// Flags and variables win over the file, which wins over the defaults.
    fn options(&self, config: &Config) -> anyhow::Result<ServeOptions> {
        let mut section = config.serve.clone();
        if let Some(token) = self.intake_token.clone().filter(|t| !t.is_empty()) {
            section.intake_token = Some(token);
        } else if let Some(file) = &self.intake_token_file {
            section.intake_token = None;
            section.intake_token_file = Some(file.clone());
        }
        if let Some(header) = &self.intake_token_header {
            section.intake_token_header = Some(header.clone());
        }
        // Through the section, so that flags are checked like the file's keys.
        let capacity = &self.capacity;
        section.max_concurrent_evaluations = capacity
            .max_concurrent_evaluations
            .or(section.max_concurrent_evaluations);
        section.max_queued_requests = capacity.max_queued_requests.or(section.max_queued_requests);
        section.max_connections = capacity.max_connections.or(section.max_connections);
        section.header_read_timeout_ms = capacity
            .header_read_timeout_ms
            .or(section.header_read_timeout_ms);
        section.body_read_timeout_ms = capacity
            .body_read_timeout_ms
            .or(section.body_read_timeout_ms);
        let mut options = ServeOptions::from_section(&section)?;
        options.allow_unauthenticated_intake = self.allow_unauthenticated_intake;
        if let Some(listen) = self.listen {
            options.listen = listen;
        }
        if let Some(token) = self.admin_token.clone().filter(|t| !t.is_empty()) {
            options.admin_token = Some(token);
        }
        if let Some(n) = self.max_body_bytes {
            options.max_body_bytes = n;
        }
        match self.watch_interval_ms {
            Some(0) => options.watch_interval = None,
            Some(ms) => options.watch_interval = Some(Duration::from_millis(ms)),
            None => {}
        }
        Ok(options)
    }

    /// The SQS intake, when a queue is configured.
    #[cfg(feature = "aws")]
    fn sqs(&self, config: &Config) -> Option<SqsIntake> {
        let section = config.serve.sqs.clone().unwrap_or_default();
        let queue_url = self.sqs_queue_url.clone().or(section.queue_url)?;
        let mut options = SqsOptions::new(queue_url);
        if let Some(n) = self.sqs_concurrency.or(section.concurrency) {
            options.concurrency = n.max(1);
        }
        if let Some(secs) = section.wait_time_secs {
            options.wait_time_secs = secs.clamp(0, 20);
        }
        options.visibility_timeout_secs = section.visibility_timeout_secs;
        let aws = &config.dispatch.aws;
        Some(SqsIntake {
            options,
            region: section.region.or_else(|| aws.region.clone()),
            endpoint_url: section.endpoint_url.or_else(|| aws.endpoint_url.clone()),
        })
    }
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<u8> {
    let mut config = Config::discover(args.config.as_deref())?;
    if let Some(outbox) = &args.outbox {
        if let Some(url) = &config.dispatch.outbox_queue_url {
            anyhow::bail!(
                "--outbox {}: the configuration's `[dispatch] outbox-queue-url` ({url}) makes \
                 that SQS queue the outbox; drop one of them",
                outbox.display()
            );
        }
        config.dispatch.outbox = Some(outbox.clone());
    }
    #[cfg(not(feature = "aws"))]
    if args.sqs_queue_url.is_some() || config.serve.sqs.is_some() {
        anyhow::bail!("SQS intake needs the `aws` feature; this glue-rules was built without it");
    }
    let sidecar = SidecarConfig {
        options: args.options(&config)?,
        sources: PluginSources {
            files: args.plugins.clone(),
            dir: args.plugins_dir.clone(),
        },
        cache_dir: args.cache_dir.clone(),
        #[cfg(feature = "aws")]
        sqs: args.sqs(&config),
        config,
    };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("glue-rules")
        .build()?;
    tokio.block_on(async move {
        let sidecar = Sidecar::start(sidecar).await?;
        let addr = sidecar.local_addr();
        let plugins = sidecar.state().registry.snapshot().len();
        tracing::info!(%addr, plugins, "glue-rules serving");
        // Signal handlers first: a SIGHUP or SIGTERM sent as soon as the line below appears
        // must reach them, not the default action (which ends the process).
        let stop = Signals::install();
        spawn_sighup_reload(sidecar.state().clone());
        // Machines read this line to find an ephemeral port.
        eprintln!("glue-rules listening on http://{addr} with {plugins} plugins");
        stop.wait().await;
        // Intake stops; the worker finishes the sends in flight. What is still pending stays
        // in the outbox for the next start.
        sidecar.shutdown().await?;
        tracing::info!("glue-rules stopped");
        anyhow::Ok(())
    })?;
    Ok(exit::OK)
}

/// Reloads the plugins on SIGHUP. The handler is installed before this returns.
fn spawn_sighup_reload(state: Arc<AppState>) {
    let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        tracing::warn!("cannot listen for SIGHUP; reload through the admin API");
        return;
    };
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading plugins");
            // On a blocking thread, after any reload in progress.
            let _ = state.reload_in_turn().await;
        }
    });
}

/// SIGTERM and SIGINT, their handlers installed at once.
struct Signals {
    handlers: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Self {
            handlers: signal(SignalKind::terminate())
                .ok()
                .zip(signal(SignalKind::interrupt()).ok()),
        }
    }

    /// Resolves on SIGTERM or SIGINT.
    async fn wait(self) {
        let Some((mut term, mut int)) = self.handlers else {
            // Without signal handlers, only the process's death stops it.
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: finishing requests in flight"),
            _ = int.recv() => tracing::info!("SIGINT: finishing requests in flight"),
        }
    }
}
