//! The outbox's own overhead per action: record (durable, with the de-duplication check),
//! claim, send with the log dispatcher (to a sink), mark sent. No network: what is left is
//! SQLite and the bookkeeping around it.
//!
//! The outbox lives on the real disk (under the system temp dir, which is not tmpfs here), so
//! each record pays a real fsync. Run with `RUST_BACKTRACE` unset.

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use glue_rules_core::action::{MessageAttribute, SnsPublish};
use glue_rules_core::{Action, DedupeKey, Submission};
use glue_rules_dispatch::{
    self as dispatch, Completion, Dispatcher, LogDispatcher, Outbox, RetryPolicy, WorkerOptions,
};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A failed-job event as dispatch sees it (id and de-duplication key), with a fresh id so
/// that de-duplication lets it through.
struct Event {
    id: String,
    key: DedupeKey,
}

fn event() -> Event {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let id = format!("bench-{n}");
    let run = format!("jr_{n}");
    let key = DedupeKey::from_parts(["aws.glue", "Glue Job State Change", &id, &run, "FAILED"]);
    Event { id, key }
}

fn submission<'a>(event: &'a Event, action: &'a Action) -> Submission<'a> {
    Submission {
        event_id: &event.id,
        detail_type: "Glue Job State Change",
        key: event.key,
        failed: false,
        actions: vec![("sns-on-failure", action)],
    }
}

/// An SNS action the size sns-on-failure produces (~600 bytes of JSON).
fn action() -> Action {
    let attribute = |v: &str| MessageAttribute {
        data_type: "String".into(),
        string_value: v.into(),
    };
    Action::Sns(SnsPublish {
        topic_arn: "arn:aws:sns:us-east-1:123456789012:glue-job-failures".into(),
        subject: Some("Glue job nightly FAILED".into()),
        message: "AWS Glue job nightly ended in state FAILED.\n\n".repeat(8),
        message_attributes: [
            ("jobName".to_owned(), attribute("nightly")),
            ("state".to_owned(), attribute("FAILED")),
        ]
        .into(),
    })
}

fn outbox(label: &str) -> (tempfile::TempDir, Arc<Outbox>) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("glue-rules-bench-{label}"))
        .tempdir()
        .expect("a temp dir");
    let outbox = Outbox::open(dir.path().join("outbox.sqlite")).expect("the outbox opens");
    (dir, Arc::new(outbox))
}

fn sink() -> LogDispatcher {
    LogDispatcher::to_writer(Box::new(std::io::sink()))
}

/// Claims what is due, "sends" it with the log dispatcher, marks it sent; returns how many.
fn claim_send_complete(
    outbox: &Outbox,
    dispatcher: &LogDispatcher,
    runtime: &tokio::runtime::Runtime,
    limit: usize,
) -> usize {
    let claimed = outbox.claim_due(limit, &HashSet::new()).expect("claim");
    let mut done = Vec::with_capacity(claimed.len());
    for item in &claimed {
        runtime
            .block_on(dispatcher.send(item))
            .expect("the log dispatcher never fails");
        done.push(Completion::Sent {
            id: item.id,
            kind: item.action.kind().as_str(),
        });
    }
    outbox.complete(&done).expect("complete");
    claimed.len()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dispatcher = sink();
    let action = action();

    let mut group = c.benchmark_group("outbox");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));

    // One event with one action, each step its own transaction: the latency a single HTTP
    // event pays (record) plus the worker's share.
    {
        let (_dir, outbox) = outbox("single");
        group.throughput(Throughput::Elements(1));
        group.bench_function("record+claim+send+complete/1 event, 1 action", |b| {
            b.iter_batched(
                event,
                |event| {
                    let submission = submission(&event, &action);
                    outbox.record_actions(&[submission]).expect("record");
                    claim_send_complete(&outbox, &dispatcher, &runtime, 1)
                },
                BatchSize::SmallInput,
            );
        });
        group.bench_function("record only/1 event, 1 action", |b| {
            b.iter_batched(
                event,
                |event| {
                    let submission = submission(&event, &action);
                    outbox.record_actions(&[submission]).expect("record")
                },
                BatchSize::SmallInput,
            );
        });
        // Leave the outbox as found for the next group.
        while claim_send_complete(&outbox, &dispatcher, &runtime, 1000) > 0 {}
    }

    // 100 events in one record transaction (an HTTP batch), claimed and completed together.
    {
        let (_dir, outbox) = outbox("batch");
        group.throughput(Throughput::Elements(100));
        group.bench_function("record+claim+send+complete/100 events in one batch", |b| {
            b.iter_batched(
                || (0..100).map(|_| event()).collect::<Vec<_>>(),
                |events| {
                    let submissions: Vec<Submission<'_>> = events
                        .iter()
                        .map(|event| submission(event, &action))
                        .collect();
                    outbox.record_actions(&submissions).expect("record");
                    claim_send_complete(&outbox, &dispatcher, &runtime, 100)
                },
                BatchSize::SmallInput,
            );
        });
    }

    // The real worker on tokio (claim, send, complete, concurrency 16) draining 1,000 actions;
    // the recording is not timed.
    {
        group.throughput(Throughput::Elements(1000));
        group.sample_size(10);
        group.bench_function("worker drain/1000 actions", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (_dir, outbox) = outbox("worker");
                    let events: Vec<Event> = (0..1000).map(|_| event()).collect();
                    let rt = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .enable_all()
                        .build()
                        .expect("a runtime");
                    let submissions: Vec<Submission<'_>> = events
                        .iter()
                        .map(|event| submission(event, &action))
                        .collect();
                    outbox.record_actions(&submissions).expect("record");
                    let start = Instant::now();
                    rt.block_on(async {
                        let options = WorkerOptions {
                            retry: RetryPolicy::default(),
                            ..WorkerOptions::default()
                        };
                        let worker = dispatch::spawn(outbox.clone(), Arc::new(sink()), options);
                        let report = worker
                            .drain_until_empty(Duration::from_secs(60))
                            .await
                            .expect("drain");
                        assert!(report.drained);
                        worker.shutdown().await.expect("shutdown");
                    });
                    total += start.elapsed();
                }
                total
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
