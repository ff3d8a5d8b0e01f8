//! `glue-rules serve`: the sidecar.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use glue_rules::config::Config;
use glue_rules::dispatch::{self, WorkerOptions};
use glue_rules::registry::PluginSources;
use glue_rules::reload::Reloader;
use glue_rules::server::sqs::SqsOptions;
use glue_rules::server::{self, AppState, ServeOptions};
use glue_rules::sink::ActionSink;
use tokio::sync::watch;

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
    /// How often to look for changed plugin files, in milliseconds; 0 turns watching off.
    #[arg(long, value_name = "MS", env = "GLUE_RULES_WATCH_INTERVAL_MS")]
    watch_interval_ms: Option<u64>,
    /// Largest request body, in bytes.
    #[arg(long, value_name = "BYTES", env = "GLUE_RULES_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
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

impl ServeArgs {
    /// Flags and variables win over the file, which wins over the defaults.
    fn options(&self, config: &Config) -> ServeOptions {
        let defaults = ServeOptions::default();
        let section = &config.serve;
        let watch_ms = self.watch_interval_ms.or(section.watch_interval_ms);
        ServeOptions {
            listen: self.listen.or(section.listen).unwrap_or(defaults.listen),
            admin_token: self
                .admin_token
                .clone()
                .or_else(|| section.admin_token.clone())
                .filter(|t| !t.is_empty()),
            max_body_bytes: self
                .max_body_bytes
                .or(section.max_body_bytes)
                .unwrap_or(defaults.max_body_bytes),
            watch_interval: match watch_ms {
                Some(0) => None,
                Some(ms) => Some(Duration::from_millis(ms)),
                None => defaults.watch_interval,
            },
        }
    }

    /// The SQS intake, when a queue is configured.
    fn sqs(&self, config: &Config) -> Option<(SqsOptions, Option<String>, Option<String>)> {
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
        let region = section.region.or_else(|| aws.region.clone());
        let endpoint = section.endpoint_url.or_else(|| aws.endpoint_url.clone());
        Some((options, region, endpoint))
    }
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<u8> {
    let mut config = Config::discover(args.config.as_deref())?;
    if let Some(outbox) = &args.outbox {
        config.dispatch.outbox = Some(outbox.clone());
    }
    let options = args.options(&config);
    let sqs = args.sqs(&config);
    let runtime = super::runtime_for(&config, args.cache_dir.clone(), false)?;
    let sources = PluginSources {
        files: args.plugins.clone(),
        dir: args.plugins_dir.clone(),
    };
    let reloader = Reloader::new(runtime, config.clone(), sources);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("glue-rules")
        .build()?;
    tokio.block_on(async move {
        let listener = server::bind(&options).await?;

        // Dispatch: every action is in the outbox before its event is acknowledged.
        let dispatch_config = config.dispatch.clone();
        let outbox = {
            let dispatch_config = dispatch_config.clone();
            Arc::new(tokio::task::spawn_blocking(move || dispatch::open_outbox(&dispatch_config)).await??)
        };
        let dispatcher = dispatch::dispatcher_for(&dispatch_config).await?;
        let worker = dispatch::spawn(outbox.clone(), dispatcher, WorkerOptions::from_config(&dispatch_config));
        tracing::info!(
            mode = dispatch_config.mode.as_str(),
            outbox = %outbox.path().display(),
            "dispatching"
        );

        let sink: Arc<dyn ActionSink> = outbox.clone();
        let state = tokio::task::spawn_blocking({
            let options = options.clone();
            let outbox = outbox.clone();
            move || AppState::new(reloader, sink, Some(outbox), config, options)
        })
        .await??;
        let addr = listener.local_addr()?;
        let plugins = state.registry.snapshot().len();
        tracing::info!(%addr, plugins, "glue-rules serving");
        // Machines read this line to find an ephemeral port.
        eprintln!("glue-rules listening on http://{addr} with {plugins} plugins");
        spawn_sighup_reload(state.clone());

        // One stop signal for every intake.
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        let sqs_task = match sqs {
            Some((sqs_options, region, endpoint)) => {
                let sdk = dispatch::sdk_config(region.as_deref(), endpoint.as_deref()).await;
                let client = aws_sdk_sqs::Client::new(&sdk);
                tracing::info!(queue = %sqs_options.queue_url, pollers = sqs_options.concurrency, "polling SQS");
                Some(tokio::spawn(server::sqs::run(state.clone(), client, sqs_options, stop_rx.clone())))
            }
            None => None,
        };
        let mut http_stop = stop_rx.clone();
        server::serve(state, listener, async move {
            let _ = http_stop.wait_for(|stop| *stop).await;
        })
        .await?;
        if let Some(task) = sqs_task {
            task.await.context("the SQS intake failed")?;
        }
        // Intake has stopped; let the worker finish the sends in flight. What is still pending
        // stays in the outbox for the next start.
        worker.shutdown().await?;
        tracing::info!("glue-rules stopped");
        anyhow::Ok(())
    })?;
    Ok(exit::OK)
}

/// Reloads the plugins on SIGHUP.
fn spawn_sighup_reload(state: Arc<AppState>) {
    tokio::spawn(async move {
        let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP; reload through the admin API");
            return;
        };
        while hangup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading plugins");
            let state = state.clone();
            let _ = tokio::task::spawn_blocking(move || state.reload()).await;
        }
    });
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers, only the process's death stops it.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: finishing requests in flight"),
        _ = int.recv() => tracing::info!("SIGINT: finishing requests in flight"),
    }
}
