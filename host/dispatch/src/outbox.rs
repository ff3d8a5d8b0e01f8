//! The durable outbox: an embedded SQLite database that holds every action from the moment its
//! event is recorded until AWS has accepted it (or it is dead-lettered).
//!
//! Why SQLite: a single file, transactions that survive `kill -9` (write-ahead log), an index
//! for "what is due", and a tool (`sqlite3`) every operator already has to look inside. The
//! bundled build means no system library to match.
//!
//! Durability: recording uses `synchronous = FULL` in WAL mode, so a recorded action survives
//! a crash of the process *and* of the machine before the event is acknowledged. The worker's
//! bookkeeping (sent, retry at, dead-lettered) uses `synchronous = NORMAL`: it survives a crash
//! of the process; a power loss may roll back the last few marks, which only means those
//! actions are sent again, which at-least-once delivery allows anyway.
//!
//! De-duplication: the events of the window are looked up in memory ([`Recent`], loaded from
//! the file when the writer starts) and appended to `seen_log` in the transaction that queues
//! their actions, so a crash forgets neither. An append touches the log's last page only: the
//! table keyed by the event's hash that this replaced wrote one random page per new event,
//! which cost a third of the durable path's throughput and doubled its p99 latency.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use glue_rules_core::{Action, ActionKind, ActionSink, Receipt, SinkError, Submission};

use crate::DispatchError;
use crate::stats::{Counters, StatsSnapshot};

/// The schema version this build writes, kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pending (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT    NOT NULL,
    plugin      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    since_ms    INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_ms     INTEGER NOT NULL,
    last_error  TEXT
);
CREATE INDEX IF NOT EXISTS pending_due ON pending (next_ms, id);
CREATE TABLE IF NOT EXISTS dead (
    id            INTEGER PRIMARY KEY,
    event_id      TEXT    NOT NULL,
    plugin        TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    dead_ms       INTEGER NOT NULL,
    reason        TEXT    NOT NULL,
    error_code    TEXT    NOT NULL,
    error_message TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_log (
    id       INTEGER PRIMARY KEY,
    key      BLOB    NOT NULL,
    seen_ms  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS totals (
    kind  TEXT    NOT NULL,
    name  TEXT    NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (kind, name)
) WITHOUT ROWID;
";

/// Adds `?3` to the lifetime total `?2` of kind `?1` (`outbox status` reads them).
const ADD_TO_TOTAL: &str = "INSERT INTO totals (kind, name, n) VALUES (?1, ?2, ?3)
     ON CONFLICT (kind, name) DO UPDATE SET n = n + excluded.n";

/// Longest error message kept with an action, in bytes.
const MAX_ERROR_BYTES: usize = 4096;

/// Milliseconds since the Unix epoch, the outbox's clock.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

/// `duration` in whole milliseconds, saturating.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn to_system_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn age(now: i64, then: i64) -> Duration {
    Duration::from_millis(u64::try_from(now.saturating_sub(then)).unwrap_or(0))
}

fn truncate(text: &str) -> &str {
    if text.len() <= MAX_ERROR_BYTES {
        return text;
    }
    let mut end = MAX_ERROR_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An action taken out of the outbox to be sent.
#[derive(Debug, Clone)]
pub struct PendingAction {
    /// Its id in the outbox, stable across retries, dead-lettering and redrive.
    pub id: i64,
    /// The event it came from.
    pub event_id: String,
    /// The plugin that asked for it.
    pub plugin: String,
    /// The action.
    pub action: Action,
    /// When its age is counted from (queued, or last redriven).
    pub since: SystemTime,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// Why an action went to the dead-letter table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeadReason {
    /// The target refused it for a reason retrying cannot fix (access denied, no such
    /// resource, invalid request).
    NonRetryable,
    /// It failed `max-attempts` times.
    MaxAttempts,
    /// It was still failing after `max-age`.
    MaxAge,
    /// The stored action could not be read back (written by an incompatible version).
    Undecodable,
}

impl DeadReason {
    /// The reason as stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadReason::NonRetryable => "non-retryable",
            DeadReason::MaxAttempts => "max-attempts",
            DeadReason::MaxAge => "max-age",
            DeadReason::Undecodable => "undecodable",
        }
    }
}

/// What a send came to, for [`Outbox::complete`].
#[derive(Debug, Clone)]
pub enum Completion {
    /// The target accepted the action: it leaves the outbox.
    Sent {
        /// The action's id.
        id: i64,
        /// Its kind, for the totals.
        kind: &'static str,
    },
    /// It failed and is tried again at `next`.
    Retry {
        /// The action's id.
        id: i64,
        /// Its kind, for the totals.
        kind: &'static str,
        /// Attempts made so far, this one included.
        attempts: u32,
        /// When to try again.
        next: SystemTime,
        /// What went wrong, for `outbox status` and the logs.
        error: String,
    },
    /// It is given up and moves to the dead-letter table.
    Dead {
        /// The action's id.
        id: i64,
        /// Its kind, for the totals.
        kind: &'static str,
        /// Attempts made, this one included.
        attempts: u32,
        /// Why it was given up.
        reason: DeadReason,
        /// The error code (`AccessDeniedException`, `Timeout`, ...).
        code: String,
        /// The error message.
        message: String,
    },
}

/// One dead letter, as `glue-rules dlq list|show` print it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// The action's id (the one it had in the outbox).
    pub id: i64,
    /// The event it came from.
    pub event_id: String,
    /// The plugin that asked for it.
    pub plugin: String,
    /// The action's type.
    pub kind: String,
    /// The action itself, as JSON (kept verbatim even when it cannot be decoded).
    pub action: serde_json::Value,
    /// When it was first queued, in milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// When it was dead-lettered, in milliseconds since the Unix epoch.
    pub dead_ms: i64,
    /// Attempts made.
    pub attempts: u32,
    /// Why it was given up: `non-retryable`, `max-attempts`, `max-age`, `undecodable`.
    pub reason: String,
    /// The last error's code.
    pub error_code: String,
    /// The last error's message.
    pub error_message: String,
}

/// Lifetime totals of one action kind, kept in the outbox file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindTotals {
    /// Actions queued.
    pub queued: u64,
    /// Actions the target accepted.
    pub sent: u64,
    /// Failed attempts followed by a retry.
    pub retried: u64,
    /// Failed attempts, whatever followed.
    pub failed: u64,
    /// Actions moved to the dead-letter table.
    pub dead_lettered: u64,
}

/// What `glue-rules outbox status` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxStatus {
    /// The outbox file.
    pub path: PathBuf,
    /// Actions waiting to be sent.
    pub pending: u64,
    /// Of those, the ones due now.
    pub due: u64,
    /// Of those, the ones that failed at least once.
    pub retrying: u64,
    /// Age of the oldest pending action.
    pub oldest_pending_secs: Option<f64>,
    /// When the next not-yet-due action is due, in seconds from now.
    pub next_due_in_secs: Option<f64>,
    /// Dead letters.
    pub dead_letters: u64,
    /// Pending actions by type.
    pub pending_by_kind: BTreeMap<String, u64>,
    /// Dead letters by type.
    pub dead_by_kind: BTreeMap<String, u64>,
    /// Lifetime totals by type.
    pub totals: BTreeMap<String, KindTotals>,
    /// Duplicate events refused since the outbox was created.
    pub duplicates: u64,
    /// Events inside the de-duplication window (seen within `dedupe-window-secs`, at most
    /// `dedupe-max-events` of them); rows past it that are not pruned yet do not count.
    pub remembered_events: u64,
}

/// The durable outbox. Cheap to share (`Arc<Outbox>`), `Send + Sync`; every method is
/// synchronous and short, meant to be called from `tokio::task::spawn_blocking` in async code.
pub struct Outbox {
    conn: Arc<Mutex<Connection>>,
    /// The group-commit writer, started by the first record.
    writer: std::sync::OnceLock<Writer>,
    path: PathBuf,
    dedupe_window: Duration,
    dedupe_capacity: usize,
    counters: Arc<Counters>,
    wake: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("path", &self.path)
            .field("dedupe_window", &self.dedupe_window)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// Opens (creating if needed) the outbox at `path`, with the default de-duplication
    /// window. Parent directories are created.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DispatchError> {
        let path = path.as_ref().to_owned();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| DispatchError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        // One outbox, one name: through a symlink or a relative path it is still the same
        // file, so its worker lock (`<outbox>.lock`) is the same lock and only one worker sends.
        let path = canonical(&path).map_err(|source| DispatchError::Io {
            path: path.clone(),
            source,
        })?;
        let open_err = |source| DispatchError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        // Another process (the CLI beside a running sidecar) may hold the write lock briefly.
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(open_err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode, "the outbox is not in WAL mode");
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_err)?;
        if version > SCHEMA_VERSION {
            return Err(DispatchError::Schema {
                path,
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        conn.execute_batch(SCHEMA).map_err(open_err)?;
        if version == 1 {
            // Version 1 kept the de-duplication window in a table keyed by the event's hash:
            // every new event wrote a random page of it. Its events move to the log in the
            // order they were seen.
            conn.execute_batch(
                "BEGIN IMMEDIATE;
                 INSERT INTO seen_log (key, seen_ms)
                   SELECT key, seen_ms FROM seen ORDER BY seen_ms;
                 DROP TABLE seen;
                 COMMIT;",
            )
            .map_err(open_err)?;
        }
        if version < SCHEMA_VERSION {
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(open_err)?;
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            writer: std::sync::OnceLock::new(),
            path,
            dedupe_window: super::config::DEFAULT_DEDUPE_WINDOW,
            dedupe_capacity: super::config::DEFAULT_DEDUPE_MAX_EVENTS,
            counters: Arc::new(Counters::default()),
            wake: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Sets how long an event is remembered for de-duplication; zero turns it off.
    pub fn with_dedupe_window(mut self, window: Duration) -> Self {
        self.dedupe_window = window;
        self
    }

    /// Sets how many events the de-duplication window holds at most (`dedupe-max-events`).
    /// The window's events are held in memory (about 80 bytes each) as well as in the file;
    /// past this many, the oldest are forgotten first, so under a flood the window is shorter
    /// than `dedupe-window-secs`, never the memory larger.
    pub fn with_dedupe_capacity(mut self, events: usize) -> Self {
        self.dedupe_capacity = events.max(1);
        self
    }

    /// The outbox file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The de-duplication window in force.
    pub fn dedupe_window(&self) -> Duration {
        self.dedupe_window
    }

    pub(crate) fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Notified after every record that queued something, so a worker sends at once.
    pub(crate) fn wake_handle(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        lock_connection(&self.conn)
    }

    fn db_err(&self) -> impl Fn(rusqlite::Error) -> DispatchError + '_ {
        database_error(&self.path)
    }

    /// Records the actions of every submission in one transaction, durable when this returns
    /// `Ok`: only then may the events be acknowledged. Within the same transaction each event
    /// is checked against the de-duplication table; a duplicate queues nothing.
    ///
    /// Events without actions, and failed events, write nothing at all: most events match no
    /// rule, and those should cost no disk flush. Blocks until the commit that holds the
    /// records; [`Outbox::record_queued`] is the same without the wait.
    pub fn record_actions(
        &self,
        submissions: &[Submission<'_>],
    ) -> Result<Vec<Receipt>, DispatchError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.record_queued(
            submissions,
            Box::new(move |result| {
                let _ = tx.send(result);
            }),
        );
        rx.recv().unwrap_or_else(|_| {
            Err(DispatchError::Task(format!(
                "{}: the outbox writer stopped",
                self.path.display()
            )))
        })
    }

    /// Hands the submissions' records to the outbox's writer and returns at once; `done` is
    /// called with the receipts once the commit that holds them is on disk (on the writer's
    /// thread; on this one when nothing needs writing or the records cannot be queued).
    ///
    /// Group commit: the writer takes every batch queued while it was committing the previous
    /// one and commits them together, in one transaction with one fsync (`synchronous =
    /// FULL`). Callers never wait for each other or for the disk; under load, N requests cost
    /// one flush instead of N.
    pub fn record_queued(&self, submissions: &[Submission<'_>], done: RecordDone) {
        let mut receipts = vec![Receipt::default(); submissions.len()];
        let mut rows = Vec::new();
        for (i, (submission, receipt)) in submissions.iter().zip(&mut receipts).enumerate() {
            if submission.failed {
                receipt.failed = true;
                continue;
            }
            if submission.actions.is_empty() {
                continue;
            }
            let mut actions = Vec::with_capacity(submission.actions.len());
            for (plugin, action) in &submission.actions {
                match serde_json::to_string(action) {
                    Ok(json) => {
                        actions.push(((*plugin).to_owned(), action.kind().as_str(), json));
                    }
                    Err(e) => return done(Err(DispatchError::Encode(e))),
                }
            }
            rows.push(EncodedEvent {
                index: i,
                event_id: submission.event_id.to_owned(),
                detail_type: submission.detail_type.to_owned(),
                key: submission.key.0,
                actions,
            });
        }
        if rows.is_empty() {
            return done(Ok(receipts));
        }
        let writer = match self.writer() {
            Ok(writer) => writer,
            Err(e) => return done(Err(e)),
        };
        let job = WriteJob {
            rows,
            done: Box::new(move |written| {
                done(match written {
                    Ok(outcomes) => {
                        for (index, outcome) in outcomes {
                            receipts[index].duplicate = outcome.duplicate;
                            receipts[index].queued = outcome.queued;
                        }
                        Ok(receipts)
                    }
                    Err(message) => Err(DispatchError::Task(message)),
                })
            }),
        };
        if let Err(std::sync::mpsc::SendError(job)) = writer.jobs.send(job) {
            (job.done)(Err(format!(
                "{}: the outbox writer stopped",
                self.path.display()
            )));
        }
    }

    /// How many record transactions this outbox has committed: under concurrent recording,
    /// fewer than the calls of [`Outbox::record_actions`] (group commit). For tests and
    /// benchmarks.
    pub fn record_commits(&self) -> u64 {
        self.counters.record_commits.load(Ordering::Relaxed)
    }

    /// The writer thread, started on first use (after [`Outbox::with_dedupe_window`] had its
    /// say).
    fn writer(&self) -> Result<&Writer, DispatchError> {
        if let Some(writer) = self.writer.get() {
            return Ok(writer);
        }
        let store = Store {
            conn: self.conn.clone(),
            path: self.path.clone(),
            dedupe_window: self.dedupe_window,
            recent: Recent::new(self.dedupe_capacity, self.counters.clone()),
            counters: self.counters.clone(),
            wake: self.wake.clone(),
        };
        let (jobs, queue) = std::sync::mpsc::channel::<WriteJob>();
        std::thread::Builder::new()
            .name("glue-rules-outbox".into())
            .spawn(move || store.run(queue))
            .map_err(|source| DispatchError::Io {
                path: self.path.clone(),
                source,
            })?;
        // Two first records at once may both start a thread; the loser's sender is dropped
        // here, and its thread ends at once, having received nothing.
        Ok(self.writer.get_or_init(|| Writer { jobs }))
    }

    /// Takes up to `limit` due actions, oldest due first, skipping the ids in `in_flight`
    /// (actions this worker is sending already). Nothing is written: only one worker sends
    /// from an outbox at a time (see [`super::Worker`]), so what it has in flight is known to
    /// it alone, and a crash forgets it, which is what makes restart resume everything.
    ///
    /// Rows that cannot be decoded are dead-lettered on the spot.
    pub fn claim_due(
        &self,
        limit: usize,
        in_flight: &HashSet<i64>,
    ) -> Result<Vec<PendingAction>, DispatchError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let err = self.db_err();
        let now = now_ms();
        let mut claimed = Vec::new();
        let mut undecodable = Vec::new();
        {
            let conn = self.lock();
            let mut select = conn
                .prepare_cached(
                    "SELECT id, event_id, plugin, kind, action, since_ms, attempts
                     FROM pending WHERE next_ms <= ?1 ORDER BY next_ms, id LIMIT ?2",
                )
                .map_err(&err)?;
            let fetch = i64::try_from(limit.saturating_add(in_flight.len())).unwrap_or(i64::MAX);
            let mut rows = select.query(params![now, fetch]).map_err(&err)?;
            while let Some(row) = rows.next().map_err(&err)? {
                let id: i64 = row.get(0).map_err(&err)?;
                if in_flight.contains(&id) {
                    continue;
                }
                let text: String = row.get(4).map_err(&err)?;
                let attempts: i64 = row.get(6).map_err(&err)?;
                match serde_json::from_str::<Action>(&text) {
                    Ok(action) => claimed.push(PendingAction {
                        id,
                        event_id: row.get(1).map_err(&err)?,
                        plugin: row.get(2).map_err(&err)?,
                        action,
                        since: to_system_time(row.get(5).map_err(&err)?),
                        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    }),
                    Err(e) => {
                        let kind: String = row.get(3).map_err(&err)?;
                        undecodable.push((id, kind, attempts, e.to_string()));
                    }
                }
                if claimed.len() >= limit {
                    break;
                }
            }
        }
        if !undecodable.is_empty() {
            let completions: Vec<Completion> = undecodable
                .into_iter()
                .map(|(id, kind, attempts, message)| {
                    tracing::error!(id, kind, "an outbox row cannot be decoded: {message}");
                    Completion::Dead {
                        id,
                        kind: kind_name(&kind),
                        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                        reason: DeadReason::Undecodable,
                        code: "Undecodable".into(),
                        message,
                    }
                })
                .collect();
            self.complete(&completions)?;
        }
        Ok(claimed)
    }

    /// When the next pending action falls due, if any does after now.
    pub fn next_due(&self) -> Result<Option<SystemTime>, DispatchError> {
        let conn = self.lock();
        let next: Option<i64> = conn
            .prepare_cached(
                "SELECT next_ms FROM pending WHERE next_ms > ?1 ORDER BY next_ms LIMIT 1",
            )
            .and_then(|mut s| s.query_row([now_ms()], |r| r.get(0)).optional())
            .map_err(self.db_err())?;
        Ok(next.map(to_system_time))
    }

    /// Applies the results of sends in one transaction.
    pub fn complete(&self, completions: &[Completion]) -> Result<(), DispatchError> {
        if completions.is_empty() {
            return Ok(());
        }
        let err = self.db_err();
        let now = now_ms();
        let mut totals: BTreeMap<(&'static str, &'static str), i64> = BTreeMap::new();
        let mut conn = self.lock();
        // See the module documentation: NORMAL is enough for the worker's own bookkeeping.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(&err)?;
        let result = (|| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(&err)?;
            {
                let mut delete = tx
                    .prepare_cached("DELETE FROM pending WHERE id = ?1")
                    .map_err(&err)?;
                let mut retry = tx
                    .prepare_cached(
                        "UPDATE pending SET attempts = ?2, next_ms = ?3, last_error = ?4 WHERE id = ?1",
                    )
                    .map_err(&err)?;
                let mut bury = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO dead (id, event_id, plugin, kind, action, created_ms,
                           attempts, dead_ms, reason, error_code, error_message)
                         SELECT id, event_id, plugin, kind, action, created_ms, ?2, ?3, ?4, ?5, ?6
                         FROM pending WHERE id = ?1",
                    )
                    .map_err(&err)?;
                for completion in completions {
                    match completion {
                        Completion::Sent { id, kind } => {
                            delete.execute([id]).map_err(&err)?;
                            *totals.entry((kind, "sent")).or_default() += 1;
                        }
                        Completion::Retry {
                            id,
                            kind,
                            attempts,
                            next,
                            error,
                        } => {
                            let next = next.duration_since(UNIX_EPOCH).map_or(now, millis);
                            retry
                                .execute(params![id, attempts, next, truncate(error)])
                                .map_err(&err)?;
                            *totals.entry((kind, "failed")).or_default() += 1;
                            *totals.entry((kind, "retried")).or_default() += 1;
                        }
                        Completion::Dead {
                            id,
                            kind,
                            attempts,
                            reason,
                            code,
                            message,
                        } => {
                            let moved = bury
                                .execute(params![
                                    id,
                                    attempts,
                                    now,
                                    reason.as_str(),
                                    code,
                                    truncate(message)
                                ])
                                .map_err(&err)?;
                            delete.execute([id]).map_err(&err)?;
                            if moved > 0 {
                                if *reason != DeadReason::Undecodable {
                                    *totals.entry((kind, "failed")).or_default() += 1;
                                }
                                *totals.entry((kind, "dead_lettered")).or_default() += 1;
                            }
                        }
                    }
                }
                let mut total = tx.prepare_cached(ADD_TO_TOTAL).map_err(&err)?;
                for ((kind, name), n) in &totals {
                    total.execute(params![kind, name, n]).map_err(&err)?;
                }
            }
            tx.commit().map_err(&err)
        })();
        // Back to FULL for the next record, whatever happened.
        let restored = conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(&err);
        result.and(restored)
    }

    /// What the window holds: events seen after the first value (milliseconds since the
    /// epoch), at most the second value of them.
    fn window_bounds(&self) -> (i64, i64) {
        (
            now_ms().saturating_sub(millis(self.dedupe_window)),
            i64::try_from(self.dedupe_capacity).unwrap_or(i64::MAX),
        )
    }

    /// Forgets de-duplication entries older than the window; returns how many.
    ///
    /// The log is in arrival order, so this deletes a prefix of it: the entries up to the first
    /// one still inside the window, and any beyond the newest `dedupe-max-events`.
    pub fn prune_seen(&self) -> Result<usize, DispatchError> {
        let (cutoff, capacity) = self.window_bounds();
        let conn = self.lock();
        let err = self.db_err();
        let (first_fresh, last): (Option<i64>, Option<i64>) = conn
            .query_row(
                "SELECT (SELECT id FROM seen_log WHERE seen_ms > ?1 ORDER BY id LIMIT 1),
                        (SELECT MAX(id) FROM seen_log)",
                [cutoff],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(&err)?;
        let Some(last) = last else {
            return Ok(0);
        };
        let keep_from = first_fresh
            .unwrap_or(last.saturating_add(1))
            .max(last.saturating_sub(capacity).saturating_add(1));
        conn.execute("DELETE FROM seen_log WHERE id < ?1", [keep_from])
            .map_err(&err)
    }

    /// Actions waiting to be sent (due or not).
    pub fn depth(&self) -> Result<u64, DispatchError> {
        let conn = self.lock();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM pending", [], |r| r.get(0))
            .map_err(self.db_err())?;
        Ok(n as u64)
    }

    /// The snapshot the `/metrics` endpoint renders: gauges read from the file, counters kept
    /// by this process since it opened the outbox.
    pub fn stats(&self) -> Result<StatsSnapshot, DispatchError> {
        let now = now_ms();
        let (depth, oldest, dead): (i64, Option<i64>, i64) = {
            let conn = self.lock();
            conn.query_row(
                "SELECT (SELECT COUNT(*) FROM pending), (SELECT MIN(created_ms) FROM pending),
                        (SELECT COUNT(*) FROM dead)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(self.db_err())?
        };
        Ok(self
            .counters
            .snapshot(depth as u64, oldest.map(|o| age(now, o)), dead as u64))
    }

    /// Everything `glue-rules outbox status` shows.
    pub fn status(&self) -> Result<OutboxStatus, DispatchError> {
        let err = self.db_err();
        let now = now_ms();
        let (cutoff, capacity) = self.window_bounds();
        let conn = self.lock();
        let (pending, due, retrying, oldest, next, dead, seen): (
            i64,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            i64,
            i64,
        ) = conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM pending),
                        (SELECT COUNT(*) FROM pending WHERE next_ms <= ?1),
                        (SELECT COUNT(*) FROM pending WHERE attempts > 0),
                        (SELECT MIN(created_ms) FROM pending),
                        (SELECT MIN(next_ms) FROM pending WHERE next_ms > ?1),
                        (SELECT COUNT(*) FROM dead),
                        MIN((SELECT COUNT(*) FROM seen_log WHERE seen_ms > ?2), ?3)",
                params![now, cutoff, capacity],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .map_err(&err)?;
        let by_kind = |sql: &str| -> Result<BTreeMap<String, u64>, DispatchError> {
            let mut stmt = conn.prepare(sql).map_err(&err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(&err)?;
            let mut map = BTreeMap::new();
            for row in rows {
                let (kind, n) = row.map_err(&err)?;
                map.insert(kind, n as u64);
            }
            Ok(map)
        };
        let pending_by_kind = by_kind("SELECT kind, COUNT(*) FROM pending GROUP BY kind")?;
        let dead_by_kind = by_kind("SELECT kind, COUNT(*) FROM dead GROUP BY kind")?;
        let mut totals: BTreeMap<String, KindTotals> = BTreeMap::new();
        let mut duplicates = 0;
        {
            let mut stmt = conn
                .prepare("SELECT kind, name, n FROM totals")
                .map_err(&err)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(&err)?;
            for row in rows {
                let (kind, name, n) = row.map_err(&err)?;
                let n = n as u64;
                if name == "duplicates" {
                    duplicates += n;
                    continue;
                }
                let entry = totals.entry(kind).or_default();
                match name.as_str() {
                    "queued" => entry.queued = n,
                    "sent" => entry.sent = n,
                    "retried" => entry.retried = n,
                    "failed" => entry.failed = n,
                    "dead_lettered" => entry.dead_lettered = n,
                    _ => {}
                }
            }
        }
        Ok(OutboxStatus {
            path: self.path.clone(),
            pending: pending as u64,
            due: due as u64,
            retrying: retrying as u64,
            oldest_pending_secs: oldest.map(|o| age(now, o).as_secs_f64()),
            next_due_in_secs: next.map(|n| age(n, now).as_secs_f64()),
            dead_letters: dead as u64,
            pending_by_kind,
            dead_by_kind,
            totals,
            duplicates,
            remembered_events: seen as u64,
        })
    }

    /// Dead letters, oldest first, at most `limit`.
    pub fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, DispatchError> {
        self.query_dead(
            "SELECT id, event_id, plugin, kind, action, created_ms, dead_ms, attempts, reason,
                    error_code, error_message FROM dead ORDER BY id LIMIT ?1",
            i64::try_from(limit).unwrap_or(i64::MAX),
        )
    }

    /// One dead letter by id.
    pub fn dead_letter(&self, id: i64) -> Result<Option<DeadLetter>, DispatchError> {
        Ok(self
            .query_dead(
                "SELECT id, event_id, plugin, kind, action, created_ms, dead_ms, attempts, reason,
                        error_code, error_message FROM dead WHERE id = ?1",
                id,
            )?
            .into_iter()
            .next())
    }

    fn query_dead(&self, sql: &str, arg: i64) -> Result<Vec<DeadLetter>, DispatchError> {
        let err = self.db_err();
        let conn = self.lock();
        let mut stmt = conn.prepare(sql).map_err(&err)?;
        let rows = stmt
            .query_map([arg], |r| {
                let action: String = r.get(4)?;
                Ok(DeadLetter {
                    id: r.get(0)?,
                    event_id: r.get(1)?,
                    plugin: r.get(2)?,
                    kind: r.get(3)?,
                    action: serde_json::from_str(&action)
                        .unwrap_or(serde_json::Value::String(action)),
                    created_ms: r.get(5)?,
                    dead_ms: r.get(6)?,
                    attempts: u32::try_from(r.get::<_, i64>(7)?).unwrap_or(u32::MAX),
                    reason: r.get(8)?,
                    error_code: r.get(9)?,
                    error_message: r.get(10)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// Moves dead letters back into the outbox, due now, with their attempts and age reset.
    /// `None` redrives every dead letter. Returns the ids moved; unknown ids are skipped.
    pub fn redrive(&self, ids: Option<&[i64]>) -> Result<Vec<i64>, DispatchError> {
        let err = self.db_err();
        let now = now_ms();
        let mut moved = Vec::new();
        {
            let mut conn = self.lock();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(&err)?;
            let wanted: Vec<i64> = match ids {
                Some(ids) => ids.to_vec(),
                None => {
                    let mut stmt = tx
                        .prepare("SELECT id FROM dead ORDER BY id")
                        .map_err(&err)?;
                    let rows = stmt.query_map([], |r| r.get(0)).map_err(&err)?;
                    rows.collect::<Result<_, _>>().map_err(&err)?
                }
            };
            {
                let mut insert = tx
                    .prepare(
                        "INSERT INTO pending (id, event_id, plugin, kind, action, created_ms,
                           since_ms, attempts, next_ms, last_error)
                         SELECT id, event_id, plugin, kind, action, created_ms, ?2, 0, ?2, NULL
                         FROM dead WHERE id = ?1",
                    )
                    .map_err(&err)?;
                let mut delete = tx.prepare("DELETE FROM dead WHERE id = ?1").map_err(&err)?;
                for id in wanted {
                    if insert.execute(params![id, now]).map_err(&err)? > 0 {
                        delete.execute([id]).map_err(&err)?;
                        moved.push(id);
                    }
                }
            }
            tx.commit().map_err(&err)?;
        }
        if !moved.is_empty() {
            self.wake.notify_one();
        }
        Ok(moved)
    }

    /// Deletes dead letters for good; `None` deletes them all. Returns how many.
    pub fn purge(&self, ids: Option<&[i64]>) -> Result<usize, DispatchError> {
        let err = self.db_err();
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(&err)?;
        let n = match ids {
            None => tx.execute("DELETE FROM dead", []).map_err(&err)?,
            Some(ids) => {
                let mut n = 0;
                {
                    let mut delete = tx.prepare("DELETE FROM dead WHERE id = ?1").map_err(&err)?;
                    for id in ids {
                        n += delete.execute([id]).map_err(&err)?;
                    }
                }
                n
            }
        };
        tx.commit().map_err(&err)?;
        Ok(n)
    }
}

/// `path` with every symlink and relative part resolved; a file that does not exist yet is
/// resolved through its (existing) directory.
fn canonical(path: &Path) -> std::io::Result<PathBuf> {
    if path.exists() {
        return std::fs::canonicalize(path);
    }
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the outbox path names no file",
        )
    })?;
    let parent = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::canonicalize(parent)?,
        None => std::env::current_dir()?,
    };
    Ok(parent.join(name))
}

/// One event's rows, encoded and owned, waiting for a group commit.
struct EncodedEvent {
    /// Its position in the caller's submissions.
    index: usize,
    event_id: String,
    detail_type: String,
    key: [u8; 32],
    /// `(plugin, kind, action JSON)`.
    actions: Vec<(String, &'static str, String)>,
}

/// What one event's recording came to.
#[derive(Debug, Clone, Copy)]
struct Written {
    duplicate: bool,
    queued: usize,
}

/// Called with the receipts of a recording once it is durable (or with why it is not).
pub type RecordDone = Box<dyn FnOnce(Result<Vec<Receipt>, DispatchError>) + Send>;

/// What the writer tells one caller: each event's outcome by its position, or why the commit
/// failed (naming the outbox).
type JobOutcome = Result<Vec<(usize, Written)>, String>;

/// One caller's records, waiting for the writer.
struct WriteJob {
    rows: Vec<EncodedEvent>,
    done: Box<dyn FnOnce(JobOutcome) + Send>,
}

/// The handle on the writer thread; dropping it (with the outbox) ends the thread once the
/// jobs already queued are written.
struct Writer {
    jobs: std::sync::mpsc::Sender<WriteJob>,
}

/// The most batches one group commit takes, so that one transaction stays short even when a
/// burst has queued thousands.
const MAX_GROUP: usize = 512;

/// The outbox's one connection. A panic while holding the lock cannot leave a transaction open
/// (rusqlite rolls back on drop), so the connection is still good after one.
fn lock_connection(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

/// A database error of the outbox at `path`.
fn database_error(path: &Path) -> impl Fn(rusqlite::Error) -> DispatchError + '_ {
    |source| DispatchError::Database {
        path: path.to_owned(),
        source,
    }
}

/// What the writer thread needs of the outbox.
struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    dedupe_window: Duration,
    /// The window's events, in memory; loaded when the writer starts.
    recent: Recent,
    counters: Arc<Counters>,
    wake: Arc<tokio::sync::Notify>,
}

impl Store {
    /// The writer: takes the first job queued and every job queued behind it, commits them in
    /// one transaction, and tells each caller; until the outbox is dropped.
    fn run(mut self, queue: std::sync::mpsc::Receiver<WriteJob>) {
        if let Err(e) = self.load_recent() {
            // Nothing is written without the window: every job is refused with the reason.
            let message = format!(
                "{}: the de-duplication window cannot be read: {e}",
                self.path.display()
            );
            tracing::error!("{message}");
            while let Ok(job) = queue.recv() {
                (job.done)(Err(message.clone()));
            }
            return;
        }
        while let Ok(first) = queue.recv() {
            let mut jobs = vec![first];
            while jobs.len() < MAX_GROUP {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let (rows, dones): (Vec<_>, Vec<_>) =
                jobs.into_iter().map(|j| (j.rows, j.done)).unzip();
            let written = self.write_jobs(&rows);
            match written {
                Ok(results) => {
                    self.counters.record_commits.fetch_add(1, Ordering::Relaxed);
                    self.counters
                        .committed_records
                        .fetch_add(results.len() as u64, Ordering::Relaxed);
                    for (done, result) in dones.into_iter().zip(results) {
                        done(Ok(result));
                    }
                }
                Err(e) => {
                    let message = format!("{}: the group commit failed: {e}", self.path.display());
                    for done in dones {
                        done(Err(message.clone()));
                    }
                }
            }
        }
    }

    /// Fills [`Recent`] with the newest events of the window from `seen_log`.
    fn load_recent(&mut self) -> Result<(), DispatchError> {
        if self.dedupe_window.is_zero() {
            return Ok(());
        }
        let err = database_error(&self.path);
        let cutoff = now_ms().saturating_sub(millis(self.dedupe_window));
        let conn = lock_connection(&self.conn);
        let mut newest = conn
            .prepare(
                "SELECT key, seen_ms FROM seen_log WHERE seen_ms > ?1 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(&err)?;
        let limit = i64::try_from(self.recent.capacity).unwrap_or(i64::MAX);
        let mut rows = newest.query(params![cutoff, limit]).map_err(&err)?;
        let mut events = Vec::new();
        while let Some(row) = rows.next().map_err(&err)? {
            let key: Vec<u8> = row.get(0).map_err(&err)?;
            events.push((Recent::short(&key), row.get::<_, i64>(1).map_err(&err)?));
        }
        for (key, seen_ms) in events.into_iter().rev() {
            self.recent.insert(key, seen_ms);
        }
        Ok(())
    }

    /// [`Store::write_one_group`], forgetting what it put in [`Recent`] when its transaction
    /// did not commit (those events were not recorded, so they are not duplicates).
    fn write_jobs(
        &mut self,
        jobs: &[Vec<EncodedEvent>],
    ) -> Result<Vec<Vec<(usize, Written)>>, DispatchError> {
        let mut added = Vec::new();
        let result = self.write_one_group(jobs, &mut added);
        if result.is_err() {
            for (key, seen_ms) in added {
                self.recent.forget(&key, seen_ms);
            }
        }
        result
    }

    /// Writes every queued batch of `jobs` in one transaction with one fsync, and returns each
    /// job's outcomes. On error nothing of any job was written. Events new to the window are
    /// added to [`Recent`] (and listed in `added`) as they are met, so that a second copy in the
    /// same group is a duplicate.
    fn write_one_group(
        &mut self,
        jobs: &[Vec<EncodedEvent>],
        added: &mut Vec<([u8; 16], i64)>,
    ) -> Result<Vec<Vec<(usize, Written)>>, DispatchError> {
        let err = database_error(&self.path);
        let now = now_ms();
        let window_ms = millis(self.dedupe_window);
        let cutoff = now.saturating_sub(window_ms);
        if window_ms > 0 {
            self.recent.expire(cutoff);
        }
        let mut queued_by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut duplicates = 0u64;
        let mut results = Vec::with_capacity(jobs.len());
        {
            let mut conn = lock_connection(&self.conn);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(&err)?;
            {
                let mut remember = tx
                    .prepare_cached("INSERT INTO seen_log (key, seen_ms) VALUES (?1, ?2)")
                    .map_err(&err)?;
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO pending
                           (event_id, plugin, kind, action, created_ms, since_ms, next_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)",
                    )
                    .map_err(&err)?;
                for job in jobs {
                    let mut written = Vec::with_capacity(job.len());
                    for event in job {
                        if window_ms > 0 {
                            let key = Recent::short(&event.key);
                            if self.recent.seen_since(&key, cutoff) {
                                duplicates += 1;
                                tracing::info!(
                                    target: "glue_rules::dispatch",
                                    event_id = event.event_id,
                                    detail_type = event.detail_type,
                                    actions = event.actions.len(),
                                    "duplicate event within the de-duplication window: its \
                                     actions are not queued again"
                                );
                                written.push((
                                    event.index,
                                    Written {
                                        duplicate: true,
                                        queued: 0,
                                    },
                                ));
                                continue;
                            }
                            remember
                                .execute(params![&event.key[..], now])
                                .map_err(&err)?;
                            // A second copy later in this group is a duplicate too.
                            self.recent.insert(key, now);
                            added.push((key, now));
                        }
                        for (plugin, kind, json) in &event.actions {
                            insert
                                .execute(params![event.event_id, plugin, kind, json, now])
                                .map_err(&err)?;
                            *queued_by_kind.entry(kind).or_default() += 1;
                        }
                        written.push((
                            event.index,
                            Written {
                                duplicate: false,
                                queued: event.actions.len(),
                            },
                        ));
                    }
                    results.push(written);
                }
                let mut total = tx.prepare_cached(ADD_TO_TOTAL).map_err(&err)?;
                for (kind, n) in &queued_by_kind {
                    total
                        .execute(params![kind, "queued", *n as i64])
                        .map_err(&err)?;
                }
                if duplicates > 0 {
                    total
                        .execute(params!["", "duplicates", duplicates as i64])
                        .map_err(&err)?;
                }
            }
            tx.commit().map_err(&err)?;
        }
        for (kind, n) in &queued_by_kind {
            self.counters
                .kind(kind)
                .queued
                .fetch_add(*n, Ordering::Relaxed);
        }
        self.counters
            .duplicates
            .fetch_add(duplicates, Ordering::Relaxed);
        if !queued_by_kind.is_empty() {
            self.wake.notify_one();
        }
        Ok(results)
    }
}

/// The events of the de-duplication window, in memory: a hash map from each event's key to
/// when it was seen, and the same in arrival order, so that the window expires from the front
/// in O(1) per event. Owned by the writer thread alone: no lock.
///
/// Keys are the first 16 bytes of the event's SHA-256 key (the file keeps all 32): a false
/// duplicate needs two of a million remembered events to agree on 128 bits, about one chance
/// in 10^26.
struct Recent {
    seen: rustc_hash::FxHashMap<[u8; 16], i64>,
    order: std::collections::VecDeque<(i64, [u8; 16])>,
    capacity: usize,
    /// Where events forgotten because the window was full are counted.
    counters: Arc<Counters>,
}

impl Recent {
    fn new(capacity: usize, counters: Arc<Counters>) -> Self {
        Recent {
            seen: rustc_hash::FxHashMap::default(),
            order: std::collections::VecDeque::new(),
            capacity: capacity.max(1),
            counters,
        }
    }

    fn short(key: &[u8]) -> [u8; 16] {
        let mut short = [0; 16];
        let n = key.len().min(16);
        short[..n].copy_from_slice(&key[..n]);
        short
    }

    /// Whether `key` was seen after `cutoff` (inside the window).
    fn seen_since(&self, key: &[u8; 16], cutoff: i64) -> bool {
        self.seen.get(key).is_some_and(|&at| at > cutoff)
    }

    /// Remembers `key` as seen at `at`; forgets the oldest events past the capacity.
    fn insert(&mut self, key: [u8; 16], at: i64) {
        self.seen.insert(key, at);
        self.order.push_back((at, key));
        while self.order.len() > self.capacity {
            if self.pop_front() {
                let before = self.counters.dedupe_evicted.fetch_add(1, Ordering::Relaxed);
                if before == 0 {
                    tracing::warn!(
                        capacity = self.capacity,
                        "the de-duplication window is full (dedupe-max-events): the oldest \
                         events are forgotten first, so a duplicate of an event older than the \
                         last {} is queued again",
                        self.capacity
                    );
                }
            }
        }
    }

    /// Forgets the events seen at or before `cutoff`.
    fn expire(&mut self, cutoff: i64) {
        while self.order.front().is_some_and(|&(at, _)| at <= cutoff) {
            self.pop_front();
        }
    }

    /// Undoes [`Recent::insert`] of `key` at `at`, if nothing newer replaced it.
    fn forget(&mut self, key: &[u8; 16], at: i64) {
        if self.seen.get(key) == Some(&at) {
            self.seen.remove(key);
        }
    }

    /// Drops the oldest entry; whether it was still the event's latest sighting.
    fn pop_front(&mut self) -> bool {
        let Some((at, key)) = self.order.pop_front() else {
            return false;
        };
        // A key seen again after it expired has a newer entry further back: keep that one.
        if self.seen.get(&key) == Some(&at) {
            self.seen.remove(&key);
            true
        } else {
            false
        }
    }
}

/// The `&'static str` of a stored kind, so counters can be keyed without allocating.
pub(crate) fn kind_name(kind: &str) -> &'static str {
    ActionKind::from_tag(kind).map_or("unknown", ActionKind::as_str)
}

impl ActionSink for Outbox {
    fn record(&self, batch: &[Submission<'_>]) -> Result<Vec<Receipt>, SinkError> {
        self.record_actions(batch)
            .map_err(|e| SinkError(e.to_string()))
    }

    fn queues(&self) -> bool {
        true
    }

    fn record_queued(&self, batch: &[Submission<'_>], done: glue_rules_core::RecordDone) {
        Outbox::record_queued(
            self,
            batch,
            Box::new(move |result| done(result.map_err(|e| SinkError(e.to_string())))),
        );
    }
}
