//! The one intake pipeline that HTTP, SQS and files share: events in, one plugin-set snapshot,
//! evaluation, metrics, the hand-off to the sink, and a verdict per event that says whether it
//! may be acknowledged.
//!
//! Transports differ only in how they read events and how they acknowledge them; what happens
//! in between lives here, once, so that (for example) metrics are observed at the same point
//! for every source.

use std::sync::Arc;

use glue_rules_core::{ActionSink, Receipt, Submission};
use glue_rules_runtime::engine::{EventOutcome, evaluate_event, evaluate_event_explained};
use glue_rules_runtime::event::Event;
use glue_rules_runtime::registry::{PluginSet, Registry};

use crate::metrics::{IntakeOutcome, IntakeSource, Metrics};

/// How the events of one call relate to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batching {
    /// One request: if any event fails, none is recorded, so that the sender's retry of the
    /// whole request is the only delivery (HTTP).
    AllOrNothing,
    /// Independent messages: a failed event is left for redelivery, the others are recorded
    /// (SQS).
    PerEvent,
}

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Its actions are recorded: acknowledge it.
    Accepted(Receipt),
    /// A plugin with `on-error = "fail"` failed on it (or, under
    /// [`Batching::AllOrNothing`], on another event of the batch): do not acknowledge.
    Failed,
    /// The sink refused the batch: do not acknowledge.
    Unrecorded(String),
}

impl Verdict {
    /// Whether the event may be acknowledged.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Accepted(_))
    }
}

/// The result of one call of [`Intake::process`].
#[derive(Debug)]
pub struct Processed {
    /// The plugin set the events were evaluated with.
    pub set: Arc<PluginSet>,
    /// One outcome per event, in order.
    pub outcomes: Vec<EventOutcome>,
    /// One verdict per event, in order.
    pub verdicts: Vec<Verdict>,
}

/// What [`Intake::evaluate`] found, for [`Intake::record`].
#[derive(Debug)]
pub struct Evaluated {
    /// The plugin set the events were evaluated with.
    pub set: Arc<PluginSet>,
    /// One outcome per event, in order.
    pub outcomes: Vec<EventOutcome>,
}

/// Evaluates events and hands their actions to the sink.
pub struct Intake {
    registry: Arc<Registry>,
    sink: Arc<dyn ActionSink>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Intake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake").finish_non_exhaustive()
    }
}

impl Intake {
    /// A pipeline evaluating with `registry`'s plugin set, recording into `sink`.
    pub fn new(registry: Arc<Registry>, sink: Arc<dyn ActionSink>, metrics: Arc<Metrics>) -> Self {
        Self {
            registry,
            sink,
            metrics,
        }
    }

    /// The metrics the pipeline counts into.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The plugin set in force.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Evaluates `events` on one snapshot of the plugin set and records their actions as
    /// `batching` says. Blocking (plugins run here, the sink may flush to disk): call it off
    /// the async runtime.
    pub fn process(&self, source: IntakeSource, events: &[Event], batching: Batching) -> Processed {
        let evaluated = self.evaluate(events);
        self.record(source, events, evaluated, batching)
    }

    /// The first half of [`Intake::process`]: evaluates `events` on one snapshot of the plugin
    /// set and counts the outcomes. CPU work: the sidecar runs it on its evaluation threads, so
    /// that plugins never wait for a core while their deadline runs.
    pub fn evaluate(&self, events: &[Event]) -> Evaluated {
        self.evaluate_with(events, false)
    }

    /// [`Intake::evaluate`], keeping each plugin's log lines when `explain` is set (for
    /// [`EventOutcome::explained_records`]).
    pub fn evaluate_with(&self, events: &[Event], explain: bool) -> Evaluated {
        // One snapshot for the whole call: a reload never changes the set mid-batch.
        let set = self.registry.snapshot();
        let outcomes: Vec<EventOutcome> = events
            .iter()
            .map(|e| {
                if explain {
                    evaluate_event_explained(&set, e)
                } else {
                    evaluate_event(&set, e)
                }
            })
            .collect();
        for outcome in &outcomes {
            self.metrics.observe(outcome);
        }
        Evaluated { set, outcomes }
    }

    /// The second half of [`Intake::process`]: hands the actions of `evaluated` (the outcomes
    /// of `events`, in order) to the sink as `batching` says and counts each event's verdict.
    /// Blocking (the sink may wait for a disk flush), but light on CPU.
    pub fn record(
        &self,
        source: IntakeSource,
        events: &[Event],
        evaluated: Evaluated,
        batching: Batching,
    ) -> Processed {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.hand_over(
            source,
            events,
            evaluated,
            batching,
            false,
            Box::new(move |processed| {
                let _ = tx.send(processed);
            }),
        );
        rx.recv()
            .expect("a sink's record always answers before it returns")
    }

    /// [`Intake::record`] without the wait, when the sink [queues](ActionSink::queues): hands
    /// the actions over and returns at once; `done` gets the verdicts once the sink has them
    /// safe (on the sink's thread). With a sink that does not queue this blocks as `record`
    /// does, so the caller must be allowed to block.
    pub fn record_queued(
        &self,
        source: IntakeSource,
        events: &[Event],
        evaluated: Evaluated,
        batching: Batching,
        done: Box<dyn FnOnce(Processed) + Send>,
    ) {
        self.hand_over(source, events, evaluated, batching, true, done);
    }

    /// Whether [`Intake::record_queued`] returns without waiting.
    pub fn records_without_blocking(&self) -> bool {
        self.sink.queues()
    }

    fn hand_over(
        &self,
        source: IntakeSource,
        events: &[Event],
        evaluated: Evaluated,
        batching: Batching,
        queued: bool,
        done: Box<dyn FnOnce(Processed) + Send>,
    ) {
        let Evaluated { set, outcomes } = evaluated;
        debug_assert_eq!(events.len(), outcomes.len());
        let any_failed = outcomes.iter().any(EventOutcome::failed);
        let verdicts = vec![Verdict::Failed; events.len()];
        let metrics = self.metrics.clone();
        if any_failed && batching == Batching::AllOrNothing {
            return done(finish(&metrics, source, set, outcomes, verdicts));
        }
        let (indexes, submissions): (Vec<usize>, Vec<Submission<'_>>) = events
            .iter()
            .zip(&outcomes)
            .enumerate()
            .filter(|(_, (_, o))| !o.failed())
            .map(|(i, (e, o))| (i, o.submission(e)))
            .unzip();
        if submissions.is_empty() {
            return done(finish(&metrics, source, set, outcomes, verdicts));
        }
        let ids: Vec<String> = indexes.iter().map(|&i| events[i].id().to_owned()).collect();
        // The submissions borrow the outcomes, which `done` must own, and the sink may answer
        // before or after `record_queued` returns: whichever of the two comes second finishes.
        let meeting = Arc::new(std::sync::Mutex::new(Meeting::Waiting));
        let answer = meeting.clone();
        let receive: glue_rules_core::RecordDone = Box::new(move |result| {
            let mut slot = answer.lock().unwrap_or_else(|p| p.into_inner());
            match std::mem::replace(&mut *slot, Meeting::Done) {
                Meeting::Handed(rest) => {
                    drop(slot);
                    rest.finish(result);
                }
                _ => *slot = Meeting::Answered(result),
            }
        });
        if queued {
            self.sink.record_queued(&submissions, receive);
        } else {
            receive(self.sink.record(&submissions));
        }
        drop(submissions);
        let rest = Rest {
            metrics,
            source,
            set,
            outcomes,
            verdicts,
            indexes,
            ids,
            done,
        };
        let mut slot = meeting.lock().unwrap_or_else(|p| p.into_inner());
        match std::mem::replace(&mut *slot, Meeting::Done) {
            Meeting::Answered(result) => {
                drop(slot);
                rest.finish(result);
            }
            _ => *slot = Meeting::Handed(Box::new(rest)),
        }
    }
}

/// Where the sink's answer and the rest of a call meet (see [`Intake::record_queued`]).
enum Meeting {
    Waiting,
    Answered(Result<Vec<Receipt>, glue_rules_core::SinkError>),
    Handed(Box<Rest>),
    Done,
}

/// What a call needs, besides the sink's answer, to give its verdicts.
struct Rest {
    metrics: Arc<Metrics>,
    source: IntakeSource,
    set: Arc<PluginSet>,
    outcomes: Vec<EventOutcome>,
    verdicts: Vec<Verdict>,
    /// The events handed to the sink, by position, and their ids.
    indexes: Vec<usize>,
    ids: Vec<String>,
    done: Box<dyn FnOnce(Processed) + Send>,
}

impl Rest {
    fn finish(self, result: Result<Vec<Receipt>, glue_rules_core::SinkError>) {
        let Rest {
            metrics,
            source,
            set,
            outcomes,
            mut verdicts,
            indexes,
            ids,
            done,
        } = self;
        match result {
            Ok(receipts) => {
                for ((i, id), receipt) in indexes.into_iter().zip(ids).zip(receipts) {
                    verdicts[i] = if receipt.deferred {
                        Verdict::Unrecorded(format!(
                            "event {id} is being recorded by another replica (shared \
                             de-duplication); retry"
                        ))
                    } else {
                        Verdict::Accepted(receipt)
                    };
                }
            }
            Err(e) => {
                let message = e.to_string();
                for i in indexes {
                    verdicts[i] = Verdict::Unrecorded(message.clone());
                }
            }
        }
        done(finish(&metrics, source, set, outcomes, verdicts));
    }
}

/// Counts each event's verdict and puts the call's results together.
fn finish(
    metrics: &Metrics,
    source: IntakeSource,
    set: Arc<PluginSet>,
    outcomes: Vec<EventOutcome>,
    verdicts: Vec<Verdict>,
) -> Processed {
    for verdict in &verdicts {
        let outcome = match verdict {
            Verdict::Accepted(_) => IntakeOutcome::Accepted,
            Verdict::Failed => IntakeOutcome::Failed,
            Verdict::Unrecorded(_) => IntakeOutcome::Unrecorded,
        };
        metrics.intake(source, outcome, 1);
    }
    Processed {
        set,
        outcomes,
        verdicts,
    }
}
