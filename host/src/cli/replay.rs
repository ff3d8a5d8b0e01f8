//! `glue-rules replay`: every recorded event through every plugin, then a summary per plugin.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use glue_rules::core::ActionKind;
use glue_rules::runtime::engine::{EventOutcome, evaluate_all};
use serde::Serialize;

use super::{PluginArgs, exit, read_events};

#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    #[command(flatten)]
    plugins: PluginArgs,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Event files (one event, a JSON array, or NDJSON) or directories of them.
    #[arg(value_name = "FILES", required = true)]
    files: Vec<PathBuf>,
}

/// One plugin's line of the summary.
#[derive(Debug, Default, Serialize)]
struct PluginSummary {
    plugin: String,
    events: u64,
    /// Events its patterns selected, so it was entered.
    evaluated: u64,
    matched: u64,
    actions: BTreeMap<ActionKind, u64>,
    errors: BTreeMap<&'static str, u64>,
    p50_us: f64,
    p99_us: f64,
    #[serde(skip)]
    times: Vec<Duration>,
}

pub(crate) fn run(args: ReplayArgs) -> anyhow::Result<u8> {
    let loaded = args.plugins.load()?;
    let inputs = super::expand_inputs(&args.files)?;
    let read = read_events(&inputs, loaded.config.runtime.max_event_bytes)?;

    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(read.events.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} events {per_sec} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let outcomes = evaluate_all(&loaded.plugins, &read.events, threads, &|| bar.inc(1));
    bar.finish_and_clear();

    let summaries = summarise(
        &loaded
            .plugins
            .plugins()
            .iter()
            .map(|p| p.name().to_owned())
            .collect::<Vec<_>>(),
        &outcomes,
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
    } else {
        print_table(&summaries, read.events.len());
    }
    let any_error = summaries.iter().any(|s| !s.errors.is_empty());
    Ok(if read.refused > 0 {
        exit::BAD_INPUT
    } else if any_error {
        exit::PLUGIN_FAILED
    } else {
        exit::OK
    })
}

fn summarise(names: &[String], outcomes: &[EventOutcome]) -> Vec<PluginSummary> {
    let mut summaries: Vec<PluginSummary> = names
        .iter()
        .map(|name| PluginSummary {
            plugin: name.clone(),
            ..PluginSummary::default()
        })
        .collect();
    let index: std::collections::HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    for summary in &mut summaries {
        summary.events = outcomes.len() as u64;
    }
    for outcome in outcomes {
        for o in &outcome.outcomes {
            let Some(&i) = index.get(o.plugin.name()) else {
                continue;
            };
            let summary = &mut summaries[i];
            summary.evaluated += 1;
            summary.times.push(o.elapsed);
            match &o.result {
                Ok(decision) => {
                    summary.matched += u64::from(decision.matched);
                    for action in &decision.actions {
                        *summary.actions.entry(action.kind()).or_default() += 1;
                    }
                }
                Err(e) => *summary.errors.entry(e.kind.as_str()).or_default() += 1,
            }
        }
    }
    for summary in &mut summaries {
        summary.times.sort_unstable();
        summary.p50_us = percentile_us(&summary.times, 0.50);
        summary.p99_us = percentile_us(&summary.times, 0.99);
    }
    summaries
}

/// The nearest-rank percentile of sorted durations, in microseconds.
fn percentile_us(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e6
}

fn print_table(summaries: &[PluginSummary], events: usize) {
    println!("{events} events");
    let width = summaries
        .iter()
        .map(|s| s.plugin.len())
        .max()
        .unwrap_or(6)
        .max(6);
    print!("{:width$}  {:>9}  {:>7}", "plugin", "evaluated", "matched");
    for kind in ActionKind::ALL.map(ActionKind::as_str) {
        print!("  {kind:>w$}", w = kind.len().max(7));
    }
    println!("  {:>7}  {:>9}  {:>9}", "errors", "p50 µs", "p99 µs");
    for s in summaries {
        print!("{:width$}  {:>9}  {:>7}", s.plugin, s.evaluated, s.matched);
        for kind in ActionKind::ALL {
            let count = s.actions.get(&kind).copied().unwrap_or(0);
            print!("  {count:>w$}", w = kind.as_str().len().max(7));
        }
        let errors: u64 = s.errors.values().sum();
        println!("  {errors:>7}  {:>9.1}  {:>9.1}", s.p50_us, s.p99_us);
        for (kind, count) in &s.errors {
            println!("{:width$}    {count} × {kind}", "");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let times: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile_us(&times, 0.5), 50.0);
        assert_eq!(percentile_us(&times, 0.99), 99.0);
        assert_eq!(percentile_us(&[], 0.5), 0.0);
    }
}
