//! `glue-rules outbox status|run`, `glue-rules dlq list|show|redrive|purge`, and the
//! `--dispatch` half of `glue-rules eval`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use glue_rules::config::Config;
use glue_rules::dispatch::{self, DispatchConfig, Outbox, StatsSnapshot, WorkerOptions};
use glue_rules::runtime::engine::EventOutcome;
use glue_rules::runtime::event::Event;

use super::exit;

/// Where the outbox is: the configuration's `[dispatch] outbox`, or `--outbox`.
#[derive(Debug, Args)]
pub(crate) struct OutboxLocation {
    /// Configuration file; defaults to ./glue-rules.toml when present, else built-in defaults.
    #[arg(long, value_name = "FILE", env = "GLUE_RULES_CONFIG")]
    config: Option<PathBuf>,
    /// The outbox file [default: `[dispatch] outbox`, else ~/.local/share/glue-rules/outbox.sqlite].
    #[arg(long, value_name = "FILE", env = "GLUE_RULES_OUTBOX")]
    outbox: Option<PathBuf>,
}

impl OutboxLocation {
    fn dispatch_config(&self) -> anyhow::Result<DispatchConfig> {
        let config = Config::discover(self.config.as_deref())?;
        Ok(with_outbox(config.dispatch, self.outbox.clone()))
    }

    fn open(&self) -> anyhow::Result<(DispatchConfig, Arc<Outbox>)> {
        let config = self.dispatch_config()?;
        let outbox = dispatch::open_outbox(&config)?;
        Ok((config, Arc::new(outbox)))
    }

    /// Opens an outbox that must exist already: looking at one must not create it.
    fn open_existing(&self) -> anyhow::Result<Arc<Outbox>> {
        let config = self.dispatch_config()?;
        if let (Some(url), None) = (&config.outbox_queue_url, &self.outbox) {
            anyhow::bail!(
                "the configuration's outbox is the SQS queue {url} (`[dispatch] \
                 outbox-queue-url`), which every replica's worker sends from; `glue-rules dlq` \
                 works on its dead-letter queue, and --outbox FILE opens a local outbox instead"
            );
        }
        let path = config.outbox_path();
        if !path.is_file() {
            anyhow::bail!(
                "no outbox at {} (nothing was ever queued there; see `--outbox` and \
                 `[dispatch] outbox`)",
                path.display()
            );
        }
        Ok(Arc::new(dispatch::open_outbox(&config)?))
    }
}

fn with_outbox(mut config: DispatchConfig, outbox: Option<PathBuf>) -> DispatchConfig {
    if outbox.is_some() {
        config.outbox = outbox;
    }
    config
}

/// `glue-rules outbox ...`.
#[derive(Debug, Args)]
pub(crate) struct OutboxArgs {
    #[command(subcommand)]
    command: OutboxCommand,
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// Show pending actions, dead letters and lifetime totals by action type.
    Status {
        #[command(flatten)]
        location: OutboxLocation,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Send what the outbox holds, with the configured dispatcher and retry policy.
    ///
    /// Runs until interrupted (SIGINT, SIGTERM), or with --until-empty until nothing is
    /// pending. Exit status with --until-empty: 0 when the outbox emptied and nothing was
    /// dead-lettered, 3 otherwise.
    Run {
        #[command(flatten)]
        location: OutboxLocation,
        /// Stop once nothing is pending (or at --timeout).
        #[arg(long)]
        until_empty: bool,
        /// With --until-empty: give up after this many seconds.
        #[arg(
            long,
            value_name = "SECS",
            default_value_t = 300,
            requires = "until_empty"
        )]
        timeout: u64,
    },
}

/// `glue-rules dlq ...`.
#[derive(Debug, Args)]
pub(crate) struct DlqArgs {
    #[command(subcommand)]
    command: DlqCommand,
}

#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// List dead letters, oldest first.
    List {
        #[command(flatten)]
        location: OutboxLocation,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        /// Show at most this many.
        #[arg(long, value_name = "N", default_value_t = 100)]
        limit: usize,
    },
    /// Show one dead letter in full, its action included, as JSON.
    Show {
        #[command(flatten)]
        location: OutboxLocation,
        /// The dead letter's id (from `dlq list`).
        id: i64,
    },
    /// Put dead letters back into the outbox, due now, with attempts and age reset.
    ///
    /// A running `glue-rules serve` sends them; otherwise run `glue-rules outbox run
    /// --until-empty`.
    Redrive {
        #[command(flatten)]
        location: OutboxLocation,
        /// Ids to redrive.
        #[arg(
            value_name = "ID",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        ids: Vec<i64>,
        /// Redrive every dead letter.
        #[arg(long)]
        all: bool,
    },
    /// Delete dead letters for good.
    Purge {
        #[command(flatten)]
        location: OutboxLocation,
        /// Ids to delete.
        #[arg(
            value_name = "ID",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        ids: Vec<i64>,
        /// Delete every dead letter.
        #[arg(long)]
        all: bool,
    },
}

/// The flags `glue-rules eval` gains for dispatch.
#[derive(Debug, Args)]
pub(crate) struct DispatchArgs {
    /// After printing the results, record every action into the outbox and send them (or,
    /// in `log` mode, print them on stderr); exit 3 if any is left pending or dead-lettered.
    #[arg(long)]
    dispatch: bool,
    /// With --dispatch: how long to wait for the outbox to empty, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60, requires = "dispatch")]
    dispatch_timeout: u64,
    /// With --dispatch: the outbox file [default: `[dispatch] outbox`].
    #[arg(long, value_name = "FILE", env = "GLUE_RULES_OUTBOX")]
    outbox: Option<PathBuf>,
}

/// `glue-rules eval --dispatch`: records the outcomes, then sends until the outbox is empty or
/// the timeout passes. Returns an exit code to use instead of eval's own, if dispatch failed.
pub(crate) fn dispatch_outcomes(
    args: &DispatchArgs,
    config: &Config,
    events: &[Event],
    outcomes: &[EventOutcome],
) -> anyhow::Result<Option<u8>> {
    if !args.dispatch {
        return Ok(None);
    }
    let config = with_outbox(config.dispatch.clone(), args.outbox.clone());
    let outbox = Arc::new(dispatch::open_outbox(&config)?);
    let batch: Vec<_> = events
        .iter()
        .zip(outcomes)
        .map(|(event, outcome)| outcome.submission(event))
        .collect();
    let receipts = outbox.record_actions(&batch)?;
    let queued: usize = receipts.iter().map(|r| r.queued).sum();
    let duplicates = receipts.iter().filter(|r| r.duplicate).count();
    let failed = receipts.iter().filter(|r| r.failed).count();
    eprintln!(
        "dispatch ({}): queued {queued} actions from {} events into {}{}{}",
        config.mode.as_str(),
        receipts.len(),
        outbox.path().display(),
        if duplicates > 0 {
            format!("; {duplicates} duplicate events skipped")
        } else {
            String::new()
        },
        if failed > 0 {
            format!("; {failed} failed events not recorded")
        } else {
            String::new()
        },
    );
    let until = Until::Empty(Duration::from_secs(args.dispatch_timeout));
    let summary = run_worker(&config, outbox, until)?;
    Ok((!summary.complete()).then_some(exit::DISPATCH_INCOMPLETE))
}

enum Until {
    Empty(Duration),
    Signal,
}

struct RunSummary {
    stats: StatsSnapshot,
    drained: bool,
}

impl RunSummary {
    fn complete(&self) -> bool {
        self.drained && self.stats.total(|k| k.dead_lettered) == 0
    }
}

fn run_worker(
    config: &DispatchConfig,
    outbox: Arc<Outbox>,
    until: Until,
) -> anyhow::Result<RunSummary> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let start = std::time::Instant::now();
    let summary = runtime.block_on(async {
        let dispatcher = dispatch::dispatcher_for(config).await?;
        let worker = dispatch::spawn(
            outbox.clone(),
            dispatcher,
            WorkerOptions::from_config(config),
        );
        let drained = match until {
            Until::Empty(timeout) => worker.drain_until_empty(timeout).await?.drained,
            Until::Signal => {
                interrupted().await;
                false
            }
        };
        worker.shutdown().await?;
        anyhow::Ok(RunSummary {
            stats: outbox.stats()?,
            drained,
        })
    })?;
    let s = &summary.stats;
    eprintln!(
        "dispatch: sent {}, retried {}, dead-lettered {} in {:.3} s; {} pending, {} dead letters \
         in the outbox",
        s.total(|k| k.sent),
        s.total(|k| k.retried),
        s.total(|k| k.dead_lettered),
        start.elapsed().as_secs_f64(),
        s.depth,
        s.dead_letters,
    );
    Ok(summary)
}

async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

pub(crate) fn run_outbox(args: OutboxArgs) -> anyhow::Result<u8> {
    match args.command {
        OutboxCommand::Status { location, json } => {
            let outbox = location.open_existing()?;
            let status = outbox.status()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print_status(&status)?;
            }
            Ok(exit::OK)
        }
        OutboxCommand::Run {
            location,
            until_empty,
            timeout,
        } => {
            let (config, outbox) = location.open()?;
            let until = if until_empty {
                Until::Empty(Duration::from_secs(timeout))
            } else {
                Until::Signal
            };
            let summary = run_worker(&config, outbox, until)?;
            Ok(if !until_empty || summary.complete() {
                exit::OK
            } else {
                exit::DISPATCH_INCOMPLETE
            })
        }
    }
}

fn seconds(secs: f64) -> String {
    if secs < 120.0 {
        format!("{secs:.1} s")
    } else if secs < 7200.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

fn print_status(status: &dispatch::OutboxStatus) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "outbox      {}", status.path.display())?;
    let mut pending = format!(
        "{} ({} due now, {} retrying",
        status.pending, status.due, status.retrying
    );
    if let Some(oldest) = status.oldest_pending_secs {
        pending += &format!("; oldest {}", seconds(oldest));
    }
    if let Some(next) = status.next_due_in_secs {
        pending += &format!("; next in {}", seconds(next));
    }
    pending += ")";
    writeln!(out, "pending     {pending}")?;
    writeln!(out, "dead        {}", status.dead_letters)?;
    writeln!(
        out,
        "duplicates  {} events refused; {} events in the de-duplication window",
        status.duplicates, status.remembered_events
    )?;
    writeln!(
        out,
        "\n{:<14} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>14}",
        "type", "pending", "dead", "queued", "sent", "retried", "failed", "dead-lettered"
    )?;
    for kind in glue_rules::core::ActionKind::ALL.map(|k| k.as_str()) {
        let totals = status.totals.get(kind).copied().unwrap_or_default();
        let pending = status.pending_by_kind.get(kind).copied().unwrap_or(0);
        let dead = status.dead_by_kind.get(kind).copied().unwrap_or(0);
        writeln!(
            out,
            "{kind:<14} {pending:>8} {dead:>6} {:>8} {:>8} {:>8} {:>8} {:>14}",
            totals.queued, totals.sent, totals.retried, totals.failed, totals.dead_lettered
        )?;
    }
    Ok(())
}

pub(crate) fn run_dlq(args: DlqArgs) -> anyhow::Result<u8> {
    match args.command {
        DlqCommand::List {
            location,
            json,
            limit,
        } => {
            let letters = DeadLetters::open(&location)?.list(limit)?;
            let mut out = std::io::stdout().lock();
            if json {
                for letter in &letters {
                    serde_json::to_writer(&mut out, letter)?;
                    out.write_all(b"\n")?;
                }
            } else if letters.is_empty() {
                writeln!(out, "no dead letters")?;
            } else {
                writeln!(
                    out,
                    "{:>6}  {:<13}  {:>8}  {:<13}  {:<28}  event / plugin / error",
                    "id", "type", "attempts", "reason", "code"
                )?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                for l in &letters {
                    let mut message: String = l.error_message.chars().take(120).collect();
                    if message.len() < l.error_message.len() {
                        message.push('…');
                    }
                    writeln!(
                        out,
                        "{:>6}  {:<13}  {:>8}  {:<13}  {:<28}  {} / {} / {} ago: {}",
                        l.id,
                        l.kind,
                        l.attempts,
                        l.reason,
                        l.error_code,
                        l.event_id,
                        l.plugin,
                        seconds(now.saturating_sub(l.dead_ms).max(0) as f64 / 1000.0),
                        message.replace('\n', " "),
                    )?;
                }
            }
            out.flush()?;
            Ok(exit::OK)
        }
        DlqCommand::Show { location, id } => match DeadLetters::open(&location)?.get(id)? {
            Some(letter) => {
                println!("{}", serde_json::to_string_pretty(&letter)?);
                Ok(exit::OK)
            }
            None => {
                eprintln!("error: no dead letter with id {id}");
                Ok(exit::PLUGIN_FAILED)
            }
        },
        DlqCommand::Redrive { location, ids, all } => {
            let moved = DeadLetters::open(&location)?.redrive((!all).then_some(ids.as_slice()))?;
            let missing: Vec<i64> = ids
                .iter()
                .copied()
                .filter(|id| !moved.contains(id))
                .collect();
            println!(
                "redrove {} dead letters{}",
                moved.len(),
                if moved.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({}); `glue-rules serve` or `glue-rules outbox run --until-empty` sends them",
                        join(&moved)
                    )
                }
            );
            if !missing.is_empty() {
                eprintln!("error: no dead letter with id {}", join(&missing));
                return Ok(exit::PLUGIN_FAILED);
            }
            Ok(exit::OK)
        }
        DlqCommand::Purge { location, ids, all } => {
            let n = DeadLetters::open(&location)?.purge((!all).then_some(ids.as_slice()))?;
            println!("purged {n} dead letters");
            Ok(if !all && n < ids.len() {
                exit::PLUGIN_FAILED
            } else {
                exit::OK
            })
        }
    }
}

/// Where dead letters are: the local outbox's table, or the SQS outbox's dead-letter queue
/// (with `[dispatch] outbox-queue-url` and no `--outbox`).
enum DeadLetters {
    Local(Arc<Outbox>),
    #[cfg(feature = "aws")]
    Queue(tokio::runtime::Runtime, dispatch::DeadLetterQueue),
}

impl DeadLetters {
    fn open(location: &OutboxLocation) -> anyhow::Result<Self> {
        #[cfg(feature = "aws")]
        if location.outbox.is_none() {
            let config = location.dispatch_config()?;
            if config.outbox_queue_url.is_some() {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("cannot start the async runtime")?;
                let queue = runtime.block_on(dispatch::DeadLetterQueue::open(&config))?;
                return Ok(DeadLetters::Queue(runtime, queue));
            }
        }
        Ok(DeadLetters::Local(location.open_existing()?))
    }

    fn list(&self, limit: usize) -> anyhow::Result<Vec<dispatch::DeadLetter>> {
        Ok(match self {
            DeadLetters::Local(outbox) => outbox.dead_letters(limit)?,
            #[cfg(feature = "aws")]
            DeadLetters::Queue(rt, queue) => rt.block_on(queue.list(limit))?,
        })
    }

    fn get(&self, id: i64) -> anyhow::Result<Option<dispatch::DeadLetter>> {
        Ok(match self {
            DeadLetters::Local(outbox) => outbox.dead_letter(id)?,
            #[cfg(feature = "aws")]
            DeadLetters::Queue(rt, queue) => rt
                .block_on(queue.list(usize::MAX))?
                .into_iter()
                .find(|l| l.id == id),
        })
    }

    fn redrive(&self, ids: Option<&[i64]>) -> anyhow::Result<Vec<i64>> {
        Ok(match self {
            DeadLetters::Local(outbox) => outbox.redrive(ids)?,
            #[cfg(feature = "aws")]
            DeadLetters::Queue(rt, queue) => rt.block_on(queue.redrive(ids))?,
        })
    }

    fn purge(&self, ids: Option<&[i64]>) -> anyhow::Result<usize> {
        Ok(match self {
            DeadLetters::Local(outbox) => outbox.purge(ids)?,
            #[cfg(feature = "aws")]
            DeadLetters::Queue(rt, queue) => rt.block_on(queue.purge(ids))?,
        })
    }
}

fn join(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
