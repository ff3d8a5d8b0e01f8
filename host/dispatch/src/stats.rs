//! Dispatch counters and the snapshot that `/metrics` renders.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use glue_rules_core::ActionKind;

/// One action kind's counters, updated without locks.
#[derive(Debug, Default)]
pub(crate) struct KindCounters {
    pub queued: AtomicU64,
    pub sent: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
    pub dead_lettered: AtomicU64,
}

/// The process's dispatch counters, shared by the outbox and its worker.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    kinds: [KindCounters; ActionKind::ALL.len()],
    unknown: KindCounters,
    pub duplicates: AtomicU64,
    /// Events the outbox's de-duplication window forgot early because it was full.
    pub dedupe_evicted: AtomicU64,
    /// Record transactions the outbox's writer committed (one fsync each).
    pub record_commits: AtomicU64,
    /// Record calls those transactions held (an HTTP request's or an SQS message's events).
    pub committed_records: AtomicU64,
}

impl Counters {
    /// The counters of the kind tagged `kind` (see [`ActionKind::as_str`]); an unknown tag
    /// (a row written by another version) gets counters of its own.
    pub fn kind(&self, kind: &str) -> &KindCounters {
        ActionKind::ALL
            .iter()
            .position(|k| k.as_str() == kind)
            .map_or(&self.unknown, |i| &self.kinds[i])
    }

    pub fn snapshot(
        &self,
        depth: u64,
        oldest_pending_age: Option<Duration>,
        dead_letters: u64,
    ) -> StatsSnapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let by_kind = ActionKind::ALL
            .iter()
            .zip(&self.kinds)
            .map(|(kind, c)| KindStats {
                kind: kind.as_str(),
                queued: load(&c.queued),
                sent: load(&c.sent),
                retried: load(&c.retried),
                failed: load(&c.failed),
                dead_lettered: load(&c.dead_lettered),
            })
            .collect();
        StatsSnapshot {
            depth,
            oldest_pending_age,
            dead_letters,
            duplicates: load(&self.duplicates),
            dedupe_evicted: load(&self.dedupe_evicted),
            record_commits: load(&self.record_commits),
            committed_records: load(&self.committed_records),
            by_kind,
        }
    }
}

/// One action kind's counters since the process opened the outbox (Prometheus counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindStats {
    /// The action type: `lambda`, `sns`, `sqs`, `kinesis`, `stepfunctions`, `ssm`.
    pub kind: &'static str,
    /// Actions recorded into the outbox.
    pub queued: u64,
    /// Actions the target accepted.
    pub sent: u64,
    /// Failed attempts that were scheduled for a retry.
    pub retried: u64,
    /// Failed attempts, retried or not.
    pub failed: u64,
    /// Actions moved to the dead-letter table.
    pub dead_lettered: u64,
}

/// Dispatch statistics at one moment. The gauges (`depth`, `oldest_pending_age`,
/// `dead_letters`) are read from the outbox file, so they include what other processes and
/// earlier runs left; the counters are this process's.
///
/// Suggested Prometheus names: `glue_rules_outbox_depth`, `glue_rules_outbox_oldest_age_seconds`,
/// `glue_rules_dead_letters`, `glue_rules_duplicate_events_total`, and
/// `glue_rules_dispatch_{queued,sent,retried,failed,dead_lettered}_total{type="..."}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsSnapshot {
    /// Actions waiting in the outbox (due or scheduled for a retry).
    pub depth: u64,
    /// Age of the oldest waiting action.
    pub oldest_pending_age: Option<Duration>,
    /// Actions in the dead-letter table.
    pub dead_letters: u64,
    /// Events refused as duplicates.
    pub duplicates: u64,
    /// Events the de-duplication window forgot before `dedupe-window-secs` had passed, because
    /// it held `dedupe-max-events` already: a duplicate of one of them is not recognised.
    pub dedupe_evicted: u64,
    /// Record transactions committed, each with one fsync.
    pub record_commits: u64,
    /// Record calls those commits held: divided by `record_commits`, how many callers share a
    /// commit (group commit), which is what keeps fsyncs from bounding the intake rate.
    pub committed_records: u64,
    /// Counters per action type, in [`ActionKind::ALL`] order.
    pub by_kind: Vec<KindStats>,
}

impl StatsSnapshot {
    /// The sum of one counter over every kind.
    pub fn total(&self, counter: fn(&KindStats) -> u64) -> u64 {
        self.by_kind.iter().map(counter).sum()
    }
}
