//! Evaluation: one event in, one outcome per plugin out; and many events across cores.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::event::Event;
use crate::plugin::{ErrorKind, EvalError, OnError, Plugin};
use crate::registry::PluginSet;
use glue_rules_core::{Action, Decision, Submission};

/// One plugin's outcome for one event.
#[derive(Debug, Clone)]
pub struct PluginOutcome {
    /// The plugin that decided.
    pub plugin: Arc<Plugin>,
    /// Its decision, or why there is none.
    pub result: Result<Decision, EvalError>,
    /// How long the call took, including instance set-up when one was needed.
    pub elapsed: Duration,
    /// The lines the plugin logged during the call, when they were asked for
    /// ([`evaluate_event_explained`]).
    pub logs: Vec<crate::sandbox::LogRecord>,
}

impl PluginOutcome {
    /// Whether this outcome should fail the whole event: an error under `on-error = "fail"`,
    /// or a call the host was too busy to finish (retried whatever `on-error` says: skipping
    /// it would drop a healthy plugin's actions for the host's fault).
    pub fn fails_event(&self) -> bool {
        match &self.result {
            Ok(_) => false,
            Err(e) if e.kind == ErrorKind::HostOverloaded => true,
            Err(_) => self.plugin.settings().on_error == OnError::Fail,
        }
    }
}

/// Every plugin's outcome for one event.
#[derive(Debug, Clone)]
pub struct EventOutcome {
    /// The event's id.
    pub event_id: String,
    /// One outcome per plugin entered (those whose patterns selected the event), in the
    /// set's order.
    pub outcomes: Vec<PluginOutcome>,
}

impl EventOutcome {
    /// Whether any plugin failed.
    pub fn any_error(&self) -> bool {
        self.outcomes.iter().any(|o| o.result.is_err())
    }

    /// Whether a plugin's call was stopped because the host was too busy to run it.
    pub fn host_overloaded(&self) -> bool {
        self.outcomes
            .iter()
            .any(|o| matches!(&o.result, Err(e) if e.kind == ErrorKind::HostOverloaded))
    }

    /// Whether the event as a whole failed, so that its source should retry it.
    pub fn failed(&self) -> bool {
        self.outcomes.iter().any(PluginOutcome::fails_event)
    }

    /// The actions of every matched decision, in plugin order.
    pub fn actions(&self) -> impl Iterator<Item = (&Arc<Plugin>, &Action)> {
        self.outcomes.iter().flat_map(|o| match &o.result {
            Ok(d) => d.actions.iter().map(|a| (&o.plugin, a)).collect::<Vec<_>>(),
            Err(_) => Vec::new(),
        })
    }

    /// The hand-off to dispatch: `event`'s identity and every action of this outcome.
    /// `event` must be the event this outcome was evaluated from.
    pub fn submission<'a>(&'a self, event: &'a Event) -> Submission<'a> {
        Submission {
            event_id: event.id(),
            detail_type: event.detail_type(),
            key: event.dedupe_key(),
            failed: self.failed(),
            actions: self.actions().map(|(p, a)| (p.name(), a)).collect(),
        }
    }

    /// One line per plugin of `set` (the set this outcome was evaluated with), in its order:
    /// what `glue-rules eval` prints and the HTTP API returns. A plugin whose patterns did not
    /// select the event was not entered and reads as not matched.
    pub fn records_for<'a>(&'a self, set: &'a PluginSet) -> Vec<OutcomeRecord<'a>> {
        let mut entered = self.outcomes.iter().peekable();
        set.plugins()
            .iter()
            .map(|plugin| match entered.peek() {
                Some(o) if Arc::ptr_eq(&o.plugin, plugin) => {
                    OutcomeRecord::new(&self.event_id, entered.next().expect("peeked"))
                }
                _ => OutcomeRecord::not_selected(&self.event_id, plugin.name()),
            })
            .collect()
    }
}

/// Why a plugin was or was not entered for an event, and what it logged: `eval --explain`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation<'a> {
    /// Whether its event patterns selected the event (a plugin without patterns is entered for
    /// every event).
    pub selected: bool,
    /// Each pattern's verdict on the event: `match`, or the first field that failed.
    pub patterns: Vec<String>,
    /// The lines it logged during the evaluation (empty when it was not entered).
    pub logs: &'a [crate::sandbox::LogRecord],
}

/// An [`OutcomeRecord`] with its [`Explanation`].
#[derive(Debug, Serialize)]
pub struct ExplainedRecord<'a> {
    /// The outcome, as `eval` prints it.
    #[serde(flatten)]
    pub record: OutcomeRecord<'a>,
    /// Why.
    pub explain: Explanation<'a>,
}

impl EventOutcome {
    /// [`EventOutcome::records_for`] with each plugin's [`Explanation`] for `event` (the event
    /// this outcome is of; log lines are there when it was evaluated with
    /// [`evaluate_event_explained`]).
    pub fn explained_records<'a>(
        &'a self,
        set: &'a PluginSet,
        event: &Event,
    ) -> Vec<ExplainedRecord<'a>> {
        let logs: Vec<&[crate::sandbox::LogRecord]> = set
            .plugins()
            .iter()
            .map(|plugin| {
                self.outcomes
                    .iter()
                    .find(|o| Arc::ptr_eq(&o.plugin, plugin))
                    .map_or(&[][..], |o| o.logs.as_slice())
            })
            .collect();
        self.records_for(set)
            .into_iter()
            .zip(set.plugins())
            .zip(logs)
            .map(|((record, plugin), logs)| {
                let verdicts: Vec<_> = plugin
                    .patterns()
                    .iter()
                    .map(|p| p.explain(event.document()))
                    .collect();
                let selected = verdicts.is_empty() || verdicts.iter().any(|v| v.is_match());
                let patterns = verdicts.iter().map(ToString::to_string).collect();
                ExplainedRecord {
                    record,
                    explain: Explanation {
                        selected,
                        patterns,
                        logs,
                    },
                }
            })
            .collect()
    }
}

/// The JSON shape of one (event, plugin) outcome.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeRecord<'a> {
    /// The event's id.
    pub event_id: &'a str,
    /// The plugin's name.
    pub plugin: &'a str,
    /// Whether it matched; absent on error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<bool>,
    /// Its reason; absent on error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    /// Its actions; absent on error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<&'a [Action]>,
    /// The error message, on error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// The error kind, on error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<&'static str>,
}

/// The reason given for a plugin whose patterns did not select the event.
pub const NOT_SELECTED: &str = "not selected by its event patterns";

impl<'a> OutcomeRecord<'a> {
    fn not_selected(event_id: &'a str, plugin: &'a str) -> Self {
        Self {
            event_id,
            plugin,
            matched: Some(false),
            reason: Some(NOT_SELECTED),
            actions: Some(&[]),
            error: None,
            error_kind: None,
        }
    }

    fn new(event_id: &'a str, outcome: &'a PluginOutcome) -> Self {
        let plugin = outcome.plugin.name();
        match &outcome.result {
            Ok(d) => Self {
                event_id,
                plugin,
                matched: Some(d.matched),
                reason: d.reason.as_deref(),
                actions: Some(&d.actions),
                error: None,
                error_kind: None,
            },
            Err(e) => Self {
                event_id,
                plugin,
                matched: None,
                reason: None,
                actions: None,
                error: Some(&e.message),
                error_kind: Some(e.kind.as_str()),
            },
        }
    }
}

/// Runs on `event` every plugin of `set` whose event patterns select it. Plugins not selected
/// are not entered and have no outcome.
pub fn evaluate_event(set: &PluginSet, event: &Event) -> EventOutcome {
    evaluate(set, event, false)
}

/// [`evaluate_event`], keeping each plugin's log lines of the call in its outcome: for
/// [`EventOutcome::explained_records`].
pub fn evaluate_event_explained(set: &PluginSet, event: &Event) -> EventOutcome {
    evaluate(set, event, true)
}

fn evaluate(set: &PluginSet, event: &Event, capture: bool) -> EventOutcome {
    let mut candidates = Vec::new();
    set.candidates(event.document(), &mut candidates);
    let outcomes = candidates
        .iter()
        .map(|&i| &set.plugins()[i])
        .map(|plugin| {
            let start = Instant::now();
            let (result, logs) = plugin.evaluate_logged(event, capture);
            PluginOutcome {
                plugin: plugin.clone(),
                result,
                elapsed: start.elapsed(),
                logs,
            }
        })
        .collect();
    EventOutcome {
        event_id: event.id().to_owned(),
        outcomes,
    }
}

/// Runs every plugin on every event, spread over `threads` worker threads, and returns the
/// outcomes in the events' order. `progress` is called once per finished event.
pub fn evaluate_all(
    set: &PluginSet,
    events: &[Event],
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Vec<EventOutcome> {
    let threads = threads.clamp(1, events.len().max(1));
    if threads == 1 {
        return events
            .iter()
            .map(|e| {
                let outcome = evaluate_event(set, e);
                progress();
                outcome
            })
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, EventOutcome)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(event) = events.get(i) else { break };
                        done.push((i, evaluate_event(set, event)));
                        progress();
                    }
                    done
                })
            })
            .collect();
        // A worker that panicked would lose its events' outcomes: pass the panic on instead.
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, outcome)| outcome).collect()
}
