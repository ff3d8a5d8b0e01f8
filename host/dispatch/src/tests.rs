//! Unit tests of the outbox and the worker, with a scripted dispatcher.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use glue_rules_core::action::{SnsPublish, SqsSendMessage};
use glue_rules_core::{Action, DedupeKey, Receipt, Submission};

use super::*;

/// An event as dispatch sees it: an id, a detail type and a de-duplication key.
struct TestEvent {
    id: String,
    detail_type: &'static str,
    key: DedupeKey,
}

/// A job state change, keyed as the runtime keys one (source, detail type, id, run, state).
fn job_event(id: &str, run: &str, state: &str) -> TestEvent {
    let detail_type = "Glue Job State Change";
    TestEvent {
        id: id.into(),
        detail_type,
        key: DedupeKey::from_parts(["aws.glue", detail_type, id, run, state]),
    }
}

fn crawler_event(id: &str) -> TestEvent {
    let detail_type = "Glue Crawler State Change";
    TestEvent {
        id: id.into(),
        detail_type,
        key: DedupeKey::from_parts(["aws.glue", detail_type, id]),
    }
}

fn sns(message: &str) -> Action {
    Action::Sns(SnsPublish {
        topic_arn: "arn:aws:sns:us-east-1:123456789012:t".into(),
        subject: None,
        message: message.into(),
        message_attributes: Default::default(),
    })
}

fn sqs(body: &str) -> Action {
    Action::Sqs(SqsSendMessage {
        queue_url: "https://sqs/q".into(),
        message_body: body.into(),
        delay_seconds: None,
        message_group_id: None,
        message_deduplication_id: None,
    })
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new(label: &str) -> Self {
        Self(
            tempfile::Builder::new()
                .prefix(&format!("glue-rules-dispatch-{label}-"))
                .tempdir()
                .unwrap(),
        )
    }

    fn path(&self) -> std::path::PathBuf {
        self.0.path().join("outbox.sqlite")
    }

    fn outbox(&self) -> Outbox {
        Outbox::open(self.path()).unwrap()
    }
}

/// Records `event` alone with `actions`, and returns its receipt.
fn record_one(outbox: &Outbox, event: &TestEvent, actions: &[Action]) -> Receipt {
    outbox.record_actions(&[submit(event, actions)]).unwrap()[0]
}

fn submit<'a>(event: &'a TestEvent, actions: &'a [Action]) -> Submission<'a> {
    Submission {
        event_id: &event.id,
        detail_type: event.detail_type,
        key: event.key,
        failed: false,
        actions: actions.iter().map(|a| ("p", a)).collect(),
    }
}

#[test]
fn record_claim_complete_round_trip_survives_reopening() {
    let dir = Dir::new("roundtrip");
    let event = job_event("e1", "jr_1", "FAILED");
    let actions = [sns("one"), sqs("two")];
    {
        let outbox = dir.outbox();
        let receipts = outbox.record_actions(&[submit(&event, &actions)]).unwrap();
        assert_eq!(
            receipts[0],
            Receipt {
                queued: 2,
                duplicate: false,
                failed: false,
                deferred: false,
            }
        );
    }
    // A new process: everything is still there, in order.
    let outbox = dir.outbox();
    assert_eq!(outbox.depth().unwrap(), 2);
    let claimed = outbox.claim_due(10, &HashSet::new()).unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].action, actions[0]);
    assert_eq!(claimed[1].action, actions[1]);
    assert_eq!(claimed[0].event_id, "e1");
    // In flight is skipped.
    let busy: HashSet<i64> = [claimed[0].id].into();
    let again = outbox.claim_due(10, &busy).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, claimed[1].id);

    outbox
        .complete(&[Completion::Sent {
            id: claimed[0].id,
            kind: "sns",
        }])
        .unwrap();
    outbox
        .complete(&[Completion::Dead {
            id: claimed[1].id,
            kind: "sqs",
            attempts: 1,
            reason: DeadReason::NonRetryable,
            code: "AccessDenied".into(),
            message: "no".into(),
        }])
        .unwrap();
    assert_eq!(outbox.depth().unwrap(), 0);
    let dead = outbox.dead_letters(10).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].error_code, "AccessDenied");
    assert_eq!(dead[0].reason, "non-retryable");
    assert_eq!(dead[0].action["messageBody"], "two");

    let status = outbox.status().unwrap();
    assert_eq!(status.totals["sns"].sent, 1);
    assert_eq!(status.totals["sqs"].dead_lettered, 1);
    assert_eq!(status.dead_by_kind["sqs"], 1);

    // Redrive puts it back with the same id, due now, attempts reset.
    assert_eq!(outbox.redrive(None).unwrap(), vec![claimed[1].id]);
    let back = outbox.claim_due(10, &HashSet::new()).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].id, claimed[1].id);
    assert_eq!(back[0].attempts, 0);
    assert!(outbox.dead_letters(10).unwrap().is_empty());
}

#[test]
fn duplicates_within_the_window_queue_nothing_and_job_states_are_distinct() {
    let dir = Dir::new("dedupe");
    let outbox = dir.outbox();
    let actions = [sns("m")];
    let failed = job_event("same-id", "jr_1", "FAILED");
    let timeout = job_event("same-id", "jr_1", "TIMEOUT");
    let other_run = job_event("same-id", "jr_2", "FAILED");
    let crawler = crawler_event("same-id");
    let receipts = outbox
        .record_actions(&[
            submit(&failed, &actions),
            submit(&failed, &actions),
            submit(&timeout, &actions),
            submit(&other_run, &actions),
            submit(&crawler, &actions),
        ])
        .unwrap();
    let dup: Vec<bool> = receipts.iter().map(|r| r.duplicate).collect();
    assert_eq!(dup, [false, true, false, false, false]);
    // Again in a later transaction.
    let receipts = outbox
        .record_actions(&[submit(&crawler, &actions)])
        .unwrap();
    assert!(receipts[0].duplicate);
    assert_eq!(outbox.depth().unwrap(), 4);
    assert_eq!(outbox.stats().unwrap().duplicates, 2);
    assert_eq!(outbox.status().unwrap().duplicates, 2);

    // Window off: every copy acts.
    let dir = Dir::new("nodedupe");
    let outbox = dir.outbox().with_dedupe_window(Duration::ZERO);
    let receipts = outbox
        .record_actions(&[submit(&failed, &actions), submit(&failed, &actions)])
        .unwrap();
    assert!(receipts.iter().all(|r| !r.duplicate && r.queued == 1));
}

#[test]
fn the_window_is_remembered_across_a_restart_and_pruned_from_the_front() {
    let dir = Dir::new("window-restart");
    let actions = [sns("m")];
    let events: Vec<TestEvent> = (0..5).map(|i| crawler_event(&format!("e{i}"))).collect();
    {
        let outbox = dir.outbox();
        let all: Vec<_> = events.iter().map(|e| submit(e, &actions)).collect();
        assert!(
            outbox
                .record_actions(&all)
                .unwrap()
                .iter()
                .all(|r| !r.duplicate)
        );
    }
    // A new process reads the window back from the file.
    let outbox = dir.outbox();
    assert!(record_one(&outbox, &events[3], &actions).duplicate);
    assert_eq!(outbox.status().unwrap().remembered_events, 5);
    // Pruning keeps what is inside the window, and nothing past the capacity.
    assert_eq!(outbox.prune_seen().unwrap(), 0);
    let outbox = outbox.with_dedupe_capacity(2);
    assert_eq!(outbox.status().unwrap().remembered_events, 2);
    assert_eq!(outbox.prune_seen().unwrap(), 3);
    assert_eq!(outbox.status().unwrap().remembered_events, 2);
    // A window of one second, two seconds later: everything has expired, and `outbox status`
    // says so before the rows are pruned.
    std::thread::sleep(Duration::from_millis(2100));
    let outbox = dir.outbox().with_dedupe_window(Duration::from_secs(1));
    assert_eq!(outbox.status().unwrap().remembered_events, 0);
    assert_eq!(outbox.prune_seen().unwrap(), 2);
    assert!(!record_one(&outbox, &events[4], &actions).duplicate);
}

#[test]
fn a_full_window_forgets_its_oldest_events_first() {
    let dir = Dir::new("window-full");
    let outbox = dir.outbox().with_dedupe_capacity(3);
    let actions = [sns("m")];
    let events: Vec<TestEvent> = (0..4).map(|i| crawler_event(&format!("e{i}"))).collect();
    for event in &events {
        record_one(&outbox, event, &actions);
    }
    // e0 was pushed out by e3; e1..e3 are still remembered.
    let receipts = outbox
        .record_actions(&[submit(&events[3], &actions), submit(&events[1], &actions)])
        .unwrap();
    assert!(receipts.iter().all(|r| r.duplicate));
    assert!(!record_one(&outbox, &events[0], &actions).duplicate);
    // Pushed out early, and counted: e0 by e3, then e1 by e0's return.
    assert_eq!(outbox.stats().unwrap().dedupe_evicted, 2);
    // A restart reads back only the newest three: e0 (again), e3 and e2.
    drop(outbox);
    let outbox = dir.outbox().with_dedupe_capacity(3);
    assert!(record_one(&outbox, &events[2], &actions).duplicate);
    assert!(!record_one(&outbox, &events[1], &actions).duplicate);
}

#[test]
fn an_outbox_of_schema_1_keeps_its_window_when_opened() {
    let dir = Dir::new("schema-1");
    let event = crawler_event("old");
    {
        // The version 1 layout, with one remembered event.
        let conn = rusqlite::Connection::open(dir.path()).unwrap();
        conn.execute_batch(
            "CREATE TABLE seen (key BLOB PRIMARY KEY, seen_ms INTEGER NOT NULL) WITHOUT ROWID;
             CREATE INDEX seen_age ON seen (seen_ms);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO seen (key, seen_ms) VALUES (?1, ?2)",
            rusqlite::params![&event.key.0[..], crate::outbox::now_ms()],
        )
        .unwrap();
    }
    let outbox = dir.outbox();
    let receipts = outbox
        .record_actions(&[submit(&event, &[sns("m")])])
        .unwrap();
    assert!(receipts[0].duplicate);
    let conn = rusqlite::Connection::open(dir.path()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
    let old: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('seen', 'seen_age')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old, 0);
}

#[test]
fn failed_and_empty_events_write_nothing_and_are_not_remembered() {
    let dir = Dir::new("failed");
    let outbox = dir.outbox();
    let event = job_event("e", "jr", "FAILED");
    let actions = [sns("m")];
    let mut failed = submit(&event, &actions);
    failed.failed = true;
    let receipts = outbox
        .record_actions(&[failed, submit(&event, &[])])
        .unwrap();
    assert!(receipts[0].failed);
    assert_eq!(receipts[1].queued, 0);
    // The redelivery after a failure is evaluated afresh: not a duplicate.
    let receipts = outbox.record_actions(&[submit(&event, &actions)]).unwrap();
    assert_eq!(receipts[0].queued, 1);
    assert!(!receipts[0].duplicate);
}

#[test]
fn undecodable_rows_are_dead_lettered_not_fatal() {
    let dir = Dir::new("undecodable");
    let outbox = dir.outbox();
    let event = job_event("e", "jr", "FAILED");
    outbox
        .record_actions(&[submit(&event, &[sns("m")])])
        .unwrap();
    {
        let conn = rusqlite::Connection::open(dir.0.path().join("outbox.sqlite")).unwrap();
        conn.execute(
            "UPDATE pending SET action = '{\"type\":\"carrier-pigeon\"}'",
            [],
        )
        .unwrap();
    }
    assert!(outbox.claim_due(10, &HashSet::new()).unwrap().is_empty());
    let dead = outbox.dead_letters(10).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].reason, "undecodable");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = Dir::new("schema");
    drop(dir.outbox());
    {
        let conn = rusqlite::Connection::open(dir.0.path().join("outbox.sqlite")).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Outbox::open(dir.0.path().join("outbox.sqlite")).unwrap_err();
    assert!(
        matches!(err, DispatchError::Schema { found: 99, .. }),
        "{err}"
    );
}

/// A dispatcher that follows a script per message: a list of results, last one repeating.
struct Scripted {
    script: HashMap<String, Vec<Result<(), SendError>>>,
    calls: Mutex<Vec<(String, u32)>>,
}

impl Scripted {
    fn new(script: &[(&str, Vec<Result<(), SendError>>)]) -> Arc<Self> {
        Arc::new(Self {
            script: script
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            calls: Mutex::new(Vec::new()),
        })
    }

    fn calls(&self, message: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| m == message)
            .count()
    }
}

impl Dispatcher for Scripted {
    fn send<'a>(&'a self, pending: &'a PendingAction) -> SendFuture<'a> {
        Box::pin(async move {
            let Action::Sns(a) = &pending.action else {
                return Ok(());
            };
            self.calls
                .lock()
                .unwrap()
                .push((a.message.clone(), pending.attempts));
            let steps = self.script.get(&a.message).cloned().unwrap_or_default();
            let i = (pending.attempts as usize).min(steps.len().saturating_sub(1));
            steps.get(i).cloned().unwrap_or(Ok(()))
        })
    }

    fn name(&self) -> &'static str {
        "scripted"
    }
}

fn fast_options() -> WorkerOptions {
    WorkerOptions {
        concurrency: 4,
        retry: RetryPolicy {
            max_age: Duration::from_secs(60),
            max_attempts: 4,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
        },
        send_timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(50),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_worker_retries_dead_letters_and_drains() {
    let dir = Dir::new("worker");
    let outbox = Arc::new(dir.outbox());
    let throttled = || Err(SendError::retryable("ThrottlingException", "slow down"));
    let denied = Err(SendError::permanent("AccessDeniedException", "no"));
    let dispatcher = Scripted::new(&[
        ("flaky", vec![throttled(), throttled(), Ok(())]),
        ("denied", vec![denied]),
        ("hopeless", vec![throttled()]),
    ]);
    let event = job_event("e", "jr", "FAILED");
    let actions = [sns("ok"), sns("flaky"), sns("denied"), sns("hopeless")];
    outbox.record_actions(&[submit(&event, &actions)]).unwrap();

    let rt = runtime();
    let report = rt.block_on(async {
        let worker = spawn(outbox.clone(), dispatcher.clone(), fast_options());
        let report = worker
            .drain_until_empty(Duration::from_secs(10))
            .await
            .unwrap();
        worker.shutdown().await.unwrap();
        report
    });
    assert!(report.drained, "{report:?}");
    assert_eq!(dispatcher.calls("ok"), 1);
    assert_eq!(dispatcher.calls("flaky"), 3);
    assert_eq!(dispatcher.calls("denied"), 1);
    assert_eq!(dispatcher.calls("hopeless"), 4);

    let dead = outbox.dead_letters(10).unwrap();
    let reasons: HashMap<String, (String, u32)> = dead
        .iter()
        .map(|d| {
            (
                d.action["message"].as_str().unwrap().to_owned(),
                (d.reason.clone(), d.attempts),
            )
        })
        .collect();
    assert_eq!(reasons["denied"], ("non-retryable".to_owned(), 1));
    assert_eq!(reasons["hopeless"], ("max-attempts".to_owned(), 4));

    let stats = outbox.stats().unwrap();
    let sns = stats.by_kind.iter().find(|k| k.kind == "sns").unwrap();
    assert_eq!((sns.queued, sns.sent, sns.dead_lettered), (4, 2, 2));
    assert_eq!(sns.failed, 2 + 1 + 4);
    assert_eq!(sns.retried, 2 + 3);
    assert_eq!(stats.depth, 0);
    assert_eq!(stats.dead_letters, 2);
}

#[test]
fn max_age_dead_letters_a_retryable_failure() {
    let dir = Dir::new("maxage");
    let outbox = Arc::new(dir.outbox());
    let dispatcher = Scripted::new(&[(
        "old",
        vec![Err(SendError::retryable("Connection", "refused"))],
    )]);
    let event = job_event("e", "jr", "FAILED");
    outbox
        .record_actions(&[submit(&event, &[sns("old")])])
        .unwrap();
    let mut options = fast_options();
    options.retry.max_age = Duration::from_millis(1);
    options.retry.max_attempts = 1000;
    std::thread::sleep(Duration::from_millis(5));
    let rt = runtime();
    rt.block_on(async {
        let worker = spawn(outbox.clone(), dispatcher.clone(), options);
        assert!(
            worker
                .drain_until_empty(Duration::from_secs(10))
                .await
                .unwrap()
                .drained
        );
        worker.shutdown().await.unwrap();
    });
    let dead = outbox.dead_letters(10).unwrap();
    assert_eq!(dead[0].reason, "max-age");
    assert_eq!(dead[0].error_code, "Connection");
}

#[test]
fn only_one_worker_sends_from_an_outbox() {
    let dir = Dir::new("lock");
    let first = Arc::new(dir.outbox());
    let second = Arc::new(dir.outbox());
    let dispatcher = Scripted::new(&[]);
    let rt = runtime();
    rt.block_on(async {
        let a = spawn(first.clone(), dispatcher.clone(), fast_options());
        tokio::time::sleep(Duration::from_millis(100)).await;
        let b = spawn(second.clone(), dispatcher.clone(), fast_options());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(a.is_active());
        assert!(!b.is_active());
        // Records through the second handle are still sent, by the first worker.
        let event = job_event("e", "jr", "FAILED");
        second
            .record_actions(&[submit(&event, &[sns("x")])])
            .unwrap();
        assert!(
            b.drain_until_empty(Duration::from_secs(5))
                .await
                .unwrap()
                .drained
        );
        a.shutdown().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(b.is_active(), "the lock passes on when the holder stops");
        b.shutdown().await.unwrap();
    });
    assert_eq!(dispatcher.calls("x"), 1);
}

#[test]
fn shutdown_waits_for_sends_in_flight_and_keeps_the_rest() {
    struct Slow;
    impl Dispatcher for Slow {
        fn send<'a>(&'a self, _: &'a PendingAction) -> SendFuture<'a> {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Ok(())
            })
        }
        fn name(&self) -> &'static str {
            "slow"
        }
    }
    let dir = Dir::new("shutdown");
    let outbox = Arc::new(dir.outbox());
    let event = job_event("e", "jr", "FAILED");
    let actions: Vec<Action> = (0..10).map(|i| sns(&i.to_string())).collect();
    outbox.record_actions(&[submit(&event, &actions)]).unwrap();
    let rt = runtime();
    rt.block_on(async {
        let mut options = fast_options();
        options.concurrency = 3;
        let worker = spawn(outbox.clone(), Arc::new(Slow), options);
        tokio::time::sleep(Duration::from_millis(50)).await;
        worker.shutdown().await.unwrap();
    });
    // The three in flight were sent and written down; the other seven wait.
    assert_eq!(outbox.depth().unwrap(), 7);
    assert_eq!(outbox.status().unwrap().totals["sns"].sent, 3);
}

#[test]
fn the_outbox_and_the_worker_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Outbox>();
    shareable::<Worker>();
    #[cfg(feature = "aws")]
    shareable::<AwsDispatcher>();
    shareable::<LogDispatcher>();
}

#[test]
fn concurrent_records_share_commits_and_every_one_is_durable() {
    let dir = Dir::new("group");
    let outbox = Arc::new(dir.outbox());
    let threads = 16;
    let per_thread = 25;
    let barrier = Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let outbox = outbox.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let action = sns("m");
                for i in 0..per_thread {
                    let event = job_event(&format!("e-{t}-{i}"), &format!("jr_{t}_{i}"), "FAILED");
                    let receipts = outbox
                        .record_actions(&[submit(&event, std::slice::from_ref(&action))])
                        .unwrap();
                    assert_eq!(receipts[0].queued, 1);
                    assert!(!receipts[0].duplicate);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let total = (threads * per_thread) as u64;
    assert_eq!(outbox.depth().unwrap(), total);
    let commits = outbox.record_commits();
    assert!(commits >= 1 && commits <= total, "{commits} commits");
    // What /metrics shows: every call counted once, in as many commits.
    let stats = outbox.stats().unwrap();
    assert_eq!(stats.committed_records, total);
    assert_eq!(stats.record_commits, commits);
    // Reopened, everything is still there: acknowledged means on disk.
    drop(outbox);
    assert_eq!(dir.outbox().depth().unwrap(), total);
}

#[test]
fn a_duplicate_in_a_concurrent_group_is_refused_once() {
    let dir = Dir::new("group-dup");
    let outbox = Arc::new(dir.outbox());
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let outbox = outbox.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let event = job_event("same", "jr_same", "FAILED");
                let action = sns("m");
                barrier.wait();
                outbox
                    .record_actions(&[submit(&event, std::slice::from_ref(&action))])
                    .unwrap()[0]
            })
        })
        .collect();
    let receipts: Vec<Receipt> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(receipts.iter().filter(|r| r.queued == 1).count(), 1);
    assert_eq!(receipts.iter().filter(|r| r.duplicate).count(), 7);
    assert_eq!(outbox.depth().unwrap(), 1);
}

#[test]
fn an_outbox_opened_through_a_symlink_is_the_same_outbox() {
    let dir = Dir::new("symlink");
    let real = dir.0.path().join("outbox.sqlite");
    let link = dir.0.path().join("link.sqlite");
    let outbox = Outbox::open(&real).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let through_link = Outbox::open(&link).unwrap();
    // The worker lock is `<outbox path>.lock`: one path, one lock, one worker.
    assert_eq!(outbox.path(), through_link.path());
    let relative = Outbox::open(dir.0.path().join(".").join("outbox.sqlite")).unwrap();
    assert_eq!(outbox.path(), relative.path());
}
