//! `glue-rules eval`: one JSON line per (event, plugin).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use glue_rules::runtime::engine::{evaluate_all, evaluate_event_explained};

use super::{PluginArgs, exit, read_events};

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    #[command(flatten)]
    plugins: PluginArgs,
    /// Event files (one event, a JSON array, or NDJSON) or directories of them; `-` reads stdin.
    #[arg(value_name = "EVENTS|-", required = true)]
    events: Vec<PathBuf>,
    /// Add to every line why the plugin was or was not entered (each event pattern's verdict:
    /// `match`, or the first field that failed) and the lines it logged during the evaluation.
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    dispatch: super::outbox::DispatchArgs,
}

pub(crate) fn run(args: EvalArgs) -> anyhow::Result<u8> {
    let loaded = args.plugins.load()?;
    let inputs = super::expand_inputs(&args.events)?;
    let read = read_events(&inputs, loaded.config.runtime.max_event_bytes)?;
    let outcomes = if args.explain {
        // In order, on this thread: an explanation is for reading, not for throughput.
        read.events
            .iter()
            .map(|event| evaluate_event_explained(&loaded.plugins, event))
            .collect()
    } else {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        evaluate_all(&loaded.plugins, &read.events, threads, &|| {})
    };

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut plugin_failed = false;
    for (outcome, event) in outcomes.iter().zip(&read.events) {
        plugin_failed |= outcome.any_error();
        if args.explain {
            for record in outcome.explained_records(&loaded.plugins, event) {
                serde_json::to_writer(&mut out, &record)?;
                out.write_all(b"\n")?;
            }
            continue;
        }
        for record in outcome.records_for(&loaded.plugins) {
            serde_json::to_writer(&mut out, &record)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush().context("cannot write results")?;
    drop(out);
    if let Some(code) =
        super::outbox::dispatch_outcomes(&args.dispatch, &loaded.config, &read.events, &outcomes)?
    {
        return Ok(code);
    }
    Ok(if read.refused > 0 {
        exit::BAD_INPUT
    } else if plugin_failed {
        exit::PLUGIN_FAILED
    } else {
        exit::OK
    })
}
