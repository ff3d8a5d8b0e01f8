//! `glue-rules bench`: what one plugin costs per event, and which limits it needs.
//!
//! Three timings, each over the given events in turn after a warm-up: a reused evaluation (what
//! the sidecar does for almost every event), a fresh instance per evaluation (what
//! `reuse-instances = false` and a recycled instance cost), and `describe` in a fresh instance
//! (what loading and reloading cost). Then, with fuel metering on, the fuel and the linear memory
//! each event takes, and limits suggested from all of it with room to spare.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use glue_rules::config::Config;
use glue_rules::runtime::runtime::{Runtime, RuntimeOptions};

use super::exit;

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// The plugin component to measure.
    #[arg(value_name = "PLUGIN.wasm")]
    plugin: PathBuf,
    /// Event files (one event, a JSON array, or NDJSON) or directories of them.
    #[arg(long, value_name = "PATH", required = true, num_args = 1..)]
    events: Vec<PathBuf>,
    /// Configuration with the plugin's settings and limits; defaults to ./glue-rules.toml
    /// when present.
    #[arg(long, value_name = "FILE", env = "GLUE_RULES_CONFIG")]
    config: Option<PathBuf>,
    /// A plugin setting, over the configuration's (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    /// Timed evaluations of each kind (the events in turn).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    iterations: usize,
    /// Untimed evaluations first, to warm the instance and the caches.
    #[arg(long, value_name = "N", default_value_t = 100)]
    warmup: usize,
    /// Directory for compiled components [default: the user cache directory].
    #[arg(long, value_name = "DIR", env = "GLUE_RULES_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

/// Min, median and p99 of some durations.
struct Summary {
    min: Duration,
    median: Duration,
    p99: Duration,
    max: Duration,
}

fn summary(mut times: Vec<Duration>) -> Summary {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Summary {
        min: times[0],
        median: at(0.5),
        p99: at(0.99),
        max: times[times.len() - 1],
    }
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

pub(crate) fn run(args: BenchArgs) -> anyhow::Result<u8> {
    let overrides = match super::parse_settings(&args.settings) {
        Ok(overrides) => overrides,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::BAD_INPUT);
        }
    };
    let config = Config::discover(args.config.as_deref())?;
    let inputs = super::expand_inputs(&args.events)?;
    let read = super::read_events(&inputs, config.runtime.max_event_bytes)?;
    if read.events.is_empty() {
        eprintln!("error: no events to evaluate");
        return Ok(exit::BAD_INPUT);
    }
    let iterations = args.iterations.max(1);
    let timing = glue_rules::runtime_for(&config.runtime, args.cache_dir.clone(), false)?;
    let plugin = match super::load_configured(&timing, &config, &args.plugin, overrides.clone()) {
        Ok(plugin) => plugin,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::BAD_INPUT);
        }
    };
    let events = &read.events;
    let nth = |i: usize| &events[i % events.len()];
    let info = plugin.info();
    println!(
        "{} {} ({}): {} events, {iterations} iterations after {} warm-up",
        info.name,
        info.version,
        args.plugin.display(),
        events.len(),
        args.warmup
    );

    // Reused instance.
    let mut failures = 0usize;
    for i in 0..args.warmup {
        failures += usize::from(plugin.evaluate(nth(i)).is_err());
    }
    let mut reused = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let start = Instant::now();
        failures += usize::from(plugin.evaluate(nth(i)).is_err());
        reused.push(start.elapsed());
    }

    // A fresh instance per evaluation, and describe: fewer, they cost milliseconds.
    let fresh_runs = iterations.clamp(1, 100);
    let mut settings = plugin.settings().clone();
    settings.reuse_instances = false;
    let fresh_plugin = plugin.with_settings(settings)?;
    let mut fresh = Vec::with_capacity(fresh_runs);
    for i in 0..fresh_runs {
        let start = Instant::now();
        failures += usize::from(fresh_plugin.evaluate(nth(i)).is_err());
        fresh.push(start.elapsed());
    }
    let mut describe = Vec::with_capacity(fresh_runs);
    for _ in 0..fresh_runs {
        let start = Instant::now();
        plugin.describe_again()?;
        describe.push(start.elapsed());
    }

    // Fuel and memory, with metering on (it slows evaluation, so it is measured apart).
    let metered = Runtime::new(RuntimeOptions {
        fuel: true,
        cache_dir: timing.options().cache_dir.clone(),
        ..RuntimeOptions::default()
    })?;
    let measuring = super::load_configured(&metered, &config, &args.plugin, overrides)?;
    let (mut fuel_max, mut fuel_total, mut memory_max) = (0u64, 0u64, 0usize);
    for event in events {
        let (_, measured) = measuring.evaluate_measured(event);
        let fuel = measured.fuel.unwrap_or(0);
        fuel_max = fuel_max.max(fuel);
        fuel_total += fuel;
        memory_max = memory_max.max(measured.memory_bytes);
    }

    println!();
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>10}",
        "", "min", "median", "p99", "max"
    );
    let reused = summary(reused);
    let fresh = summary(fresh);
    for (label, s) in [
        ("evaluate (reused instance)", &reused),
        ("evaluate (fresh instance)", &fresh),
        ("describe (fresh instance)", &summary(describe)),
    ] {
        println!(
            "{label:<28} {:>10} {:>10} {:>10} {:>10}",
            micros(s.min),
            micros(s.median),
            micros(s.p99),
            micros(s.max)
        );
    }
    println!();
    println!(
        "fuel per evaluation: max {fuel_max}, mean {}",
        fuel_total / events.len() as u64
    );
    println!(
        "linear memory after evaluating: {:.1} MiB",
        memory_max as f64 / f64::from(1 << 20)
    );
    if failures > 0 {
        println!("{failures} evaluations failed (see `glue-rules eval` for why)");
    }

    // Room to spare: ten times the slowest evaluation (a fresh one for plugins that do not
    // reuse instances), four times the memory, ten times the fuel.
    let slowest = if plugin.settings().reuse_instances {
        reused.max
    } else {
        fresh.max
    };
    let timeout_ms = (slowest.as_secs_f64() * 1e3 * 10.0).ceil().max(5.0) as u64;
    let memory_mib = ((memory_max * 4).div_ceil(1 << 20)).max(1);
    println!();
    println!("suggested limits ([plugins.{}.limits]):", info.name);
    println!("  timeout-ms = {timeout_ms}");
    println!("  memory-mib = {memory_mib}");
    println!("  fuel = {}", fuel_max.saturating_mul(10).max(1));
    Ok(if failures > 0 {
        exit::PLUGIN_FAILED
    } else {
        exit::OK
    })
}
