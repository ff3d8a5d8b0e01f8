//! Command-line parsing and the shared set-up of every subcommand.

mod bench;
#[cfg(feature = "aws")]
mod dedupe;
mod dev;
mod eval;
mod event;
mod inspect;
mod new;
mod outbox;
mod replay;
mod serve;
mod test;
mod test_pattern;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use glue_rules::config::Config;
use glue_rules::runtime::event::Event;
use glue_rules::runtime::input::{Position, parse_document};
use glue_rules::runtime::registry::{self, PluginSet, PluginSources};

/// Exit codes shared by every subcommand.
pub(crate) mod exit {
    /// Everything succeeded.
    pub const OK: u8 = 0;
    /// A plugin failed on some event (the input itself was fine).
    pub const PLUGIN_FAILED: u8 = 1;
    /// Bad usage, bad configuration, bad input or a plugin that cannot load.
    pub const BAD_INPUT: u8 = 2;
    /// `--dispatch` / `outbox run --until-empty`: actions left pending or dead-lettered.
    pub const DISPATCH_INCOMPLETE: u8 = 3;
}

/// Run WebAssembly rule plugins against AWS Glue events.
#[derive(Debug, Parser)]
#[command(name = "glue-rules", about, long_about = None)]
struct Cli {
    /// Log level for glue-rules and plugin logs (error, warn, info, debug, trace).
    #[arg(long, global = true, env = "GLUE_RULES_LOG", default_value = "warn")]
    log_level: String,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, env = "GLUE_RULES_LOG_FORMAT", default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate events with plugins and print one JSON line per (event, plugin).
    ///
    /// Exit status: 0 when every evaluation succeeded, 1 when a plugin failed, 2 for bad usage,
    /// configuration, input or plugins.
    Eval(eval::EvalArgs),
    /// Run recorded events through every plugin and print a summary per plugin.
    Replay(replay::ReplayArgs),
    /// Print the typed event plugins receive for each event of the files, one JSON line each
    /// (`--typed`: the typed view alone, as WIT-value JSON, for native unit tests).
    ///
    /// Exit status: 0 when every event was read, 2 for a bad file or event.
    Event(event::EventArgs),
    /// Show a plugin's metadata and the world it implements.
    Inspect(inspect::InspectArgs),
    /// Run the sidecar: HTTP intake, hot reload, admin API and metrics.
    Serve(serve::ServeArgs),
    /// Test an EventBridge event pattern against an event: exit 0 match, 1 no match (with
    /// the field that failed), 2 invalid pattern or event.
    TestPattern(test_pattern::TestPatternArgs),
    /// Inspect the outbox of queued actions, or send what it holds.
    Outbox(outbox::OutboxArgs),
    /// List, show, redrive or purge dead-lettered actions.
    Dlq(outbox::DlqArgs),
    /// Set up the DynamoDB table that replicas share for de-duplication.
    #[cfg(feature = "aws")]
    Dedupe(dedupe::DedupeArgs),
    /// Create a plugin project: sources, build command, README, sample config and fixtures.
    New(new::NewArgs),
    /// Measure a plugin: reused and fresh evaluations, describe, fuel and memory per event,
    /// and the limits they suggest.
    Bench(bench::BenchArgs),
    /// Check a plugin against events and their expected decisions (`*.expected.json`).
    ///
    /// Exit status: 0 when every decision matches, 1 on a mismatch, 2 for bad usage, bad
    /// fixtures or a plugin that cannot load.
    Test(test::TestArgs),
    /// Watch a plugin project: on every change build it, run its unit tests and fixtures, and
    /// hot-reload it into a local sidecar (the `[project]` table of its glue-rules.toml).
    ///
    /// Exit status with `--once`: 0 when the round passed, 1 when a step failed, 2 for a
    /// missing or bad `[project]` table.
    Dev(dev::DevArgs),
}

/// Options shared by the commands that load plugins.
#[derive(Debug, Args)]
pub(crate) struct PluginArgs {
    /// A plugin component to load (repeatable).
    #[arg(long = "plugin", value_name = "FILE.wasm")]
    plugins: Vec<PathBuf>,
    /// Load every *.wasm in this directory (overrides `plugins-dir` in the configuration).
    #[arg(long, value_name = "DIR")]
    plugins_dir: Option<PathBuf>,
    /// Configuration file; defaults to ./glue-rules.toml when present, else built-in defaults.
    #[arg(long, value_name = "FILE", env = "GLUE_RULES_CONFIG")]
    config: Option<PathBuf>,
    /// Directory for compiled components [default: the user cache directory].
    #[arg(long, value_name = "DIR", env = "GLUE_RULES_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile every component afresh instead of using the cache.
    #[arg(long)]
    no_cache: bool,
}

/// A loaded configuration with its runtime and plugins.
pub(crate) struct Loaded {
    pub config: Config,
    pub plugins: PluginSet,
}

impl PluginArgs {
    /// Reads the configuration, starts the runtime and loads the plugins.
    pub(crate) fn load(&self) -> anyhow::Result<Loaded> {
        let config = Config::discover(self.config.as_deref())?;
        let runtime =
            glue_rules::runtime_for(&config.runtime, self.cache_dir.clone(), self.no_cache)?;
        let sources = PluginSources {
            files: self.plugins.clone(),
            dir: self.plugins_dir.clone(),
        };
        let plugins = registry::load_plugins(&runtime, &config.runtime, &sources)?;
        if plugins.is_empty() {
            anyhow::bail!(
                "no plugins to run: pass --plugin FILE.wasm or --plugins-dir DIR, or set \
                 `plugins-dir` in {}",
                config
                    .source
                    .as_deref()
                    .map_or_else(|| "a glue-rules.toml".into(), |p| p.display().to_string())
            );
        }
        Ok(Loaded { config, plugins })
    }
}

/// One input's bytes (`-` is stdin) and the label its errors name it by.
pub(crate) fn read_input(input: &Path) -> anyhow::Result<(String, Vec<u8>)> {
    if input.as_os_str() == "-" {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut text)
            .context("cannot read events from stdin")?;
        Ok(("<stdin>".to_owned(), text))
    } else {
        let text = std::fs::read(input)
            .with_context(|| format!("{}: cannot read events", input.display()))?;
        Ok((input.display().to_string(), text))
    }
}

/// Events read from the inputs, and how many were refused (each reported on stderr).
pub(crate) struct ReadEvents {
    pub events: Vec<Event>,
    pub refused: usize,
}

/// Reads every input (`-` is stdin), reporting each bad event with its file and position and
/// keeping the good ones.
pub(crate) fn read_events(
    inputs: &[PathBuf],
    max_event_bytes: usize,
) -> anyhow::Result<ReadEvents> {
    let mut events = Vec::new();
    let refused = for_each_event(inputs, max_event_bytes, |_, _, event| {
        events.push(event);
        Ok(())
    })?;
    Ok(ReadEvents { events, refused })
}

/// Reads every input (`-` is stdin) and calls `each` with every good event, its input's label
/// and its position, as the events are read; reports each bad event or document on stderr with
/// its file and position, and returns how many were refused.
pub(crate) fn for_each_event(
    inputs: &[PathBuf],
    max_event_bytes: usize,
    mut each: impl FnMut(&str, Position, Event) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let mut refused = 0;
    for input in inputs {
        let (label, text) = read_input(input)?;
        let (items, document_error) = parse_document(&text, max_event_bytes);
        for item in items {
            match item.event {
                Ok(event) => each(&label, item.position, event)?,
                Err(e) => {
                    refused += 1;
                    eprintln!("error: {label}: {}: {e}", item.position);
                }
            }
        }
        if let Some(e) = document_error {
            refused += 1;
            eprintln!("error: {label}: {e}");
        }
    }
    Ok(refused)
}

/// Expands directories among `inputs` into the `*.json`/`*.ndjson` files in them.
/// `--set KEY=VALUE` arguments as pairs, or the first malformed one.
pub(crate) fn parse_settings(settings: &[String]) -> Result<Vec<(String, String)>, String> {
    settings
        .iter()
        .map(|setting| match setting.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok((key.trim().to_owned(), value.to_owned()))
            }
            _ => Err(format!("--set {setting:?}: expected KEY=VALUE")),
        })
        .collect()
}

/// Loads one plugin with the settings of the configuration's entry named like it (known after
/// `describe`), `overrides` over them: how `test` and `bench` load the plugin they are given.
pub(crate) fn load_configured(
    runtime: &glue_rules::runtime::runtime::Runtime,
    config: &glue_rules::config::Config,
    path: &std::path::Path,
    overrides: Vec<(String, String)>,
) -> Result<glue_rules::runtime::plugin::Plugin, glue_rules::runtime::plugin::LoadError> {
    glue_rules::runtime::plugin::Plugin::load_unconfigured(
        runtime,
        path,
        config.runtime.defaults.clone(),
    )
    .and_then(|plugin| {
        let mut settings = config.runtime.settings_for(plugin.name()).clone();
        settings.config.extend(overrides);
        plugin.configure(Some(settings))
    })
}

pub(crate) fn expand_inputs(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .with_context(|| format!("{}: cannot list", input.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "ndjson"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

fn init_logging(level: &str, format: LogFormat) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .with_context(|| format!("invalid log level {level:?}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

/// `glue-rules --version`: the build and the plugin contracts it serves, from the runtime's
/// own list of served contracts.
fn version() -> &'static str {
    let text = format!(
        "{} (plugin contracts {})",
        env!("CARGO_PKG_VERSION"),
        glue_rules::runtime::contract::Contract::served()
    );
    // Built once per process, for clap, which wants a `&'static str`.
    Box::leak(text.into_boxed_str())
}

fn parse() -> Result<Cli, clap::Error> {
    let matches = Cli::command().version(version()).try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::OK
            });
        }
    };
    if let Err(e) = init_logging(&cli.log_level, cli.log_format) {
        eprintln!("error: {e:#}");
        return ExitCode::from(exit::BAD_INPUT);
    }
    let result = match cli.command {
        Command::Eval(args) => eval::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Event(args) => event::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Serve(args) => serve::run(args),
        Command::TestPattern(args) => test_pattern::run(args),
        Command::Outbox(args) => outbox::run_outbox(args),
        Command::Dlq(args) => outbox::run_dlq(args),
        #[cfg(feature = "aws")]
        Command::Dedupe(args) => dedupe::run(args),
        Command::New(args) => new::run(args),
        Command::Test(args) => test::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Dev(args) => dev::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::BAD_INPUT)
        }
    }
}
