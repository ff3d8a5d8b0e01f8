//! De-duplication that replicas share: an event is claimed before its actions are recorded.
//!
//! The outbox's own `seen` table only knows the events of the process that owns the file. With
//! N replicas behind one queue, a delivery and its redelivery can land on two replicas, and
//! both would fire. [`SharedDedupe`] puts a [`ClaimStore`] (DynamoDB, see `DynamoClaims`) in
//! front of any sink:
//!
//! ```text
//! claim(key) ──won──▶ sink.record ──ok──▶ complete(key)      (acknowledge)
//!     │                    └──error──▶ release(key)           (do not acknowledge)
//!     ├──done──▶ duplicate: nothing recorded                  (acknowledge)
//!     └──held──▶ another replica is recording it right now    (do not acknowledge: retry)
//! ```
//!
//! A claim is first *pending*, with a lease; a replica that dies between claiming and
//! completing leaves a pending claim that a redelivery may take over once the lease has
//! expired, so an event is never lost to a dead claimant. A completed claim is *done* and
//! lasts the de-duplication window (DynamoDB removes it through its TTL attribute afterwards).
//! The one window for a second firing is a replica killed after its sink recorded the actions
//! and before `complete`: its actions are in its outbox, and a redelivery after the lease fires
//! them again elsewhere (at least once, as documented in docs/scale-out.md).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use glue_rules_core::{ActionSink, DedupeKey, Receipt, SinkError, Submission};

use crate::DispatchError;

/// What a claim on one event found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This replica holds the event now: record its actions, then complete the claim.
    Won,
    /// The event's actions were recorded within the de-duplication window: a duplicate.
    Done,
    /// Another replica claimed it and its lease has not expired: it is being recorded there
    /// (or that replica died, and the lease will tell). Leave the event for redelivery.
    Held,
}

/// Where claims live: shared by every replica, so that each event is recorded by one.
pub trait ClaimStore: Send + Sync {
    /// Claims every key, one answer each in order. Blocking: call it off the async runtime.
    fn claim(&self, keys: &[DedupeKey]) -> Result<Vec<Claim>, DispatchError>;
    /// Marks won claims done: their actions are durably recorded.
    fn complete(&self, keys: &[DedupeKey]) -> Result<(), DispatchError>;
    /// Gives won claims up (recording failed), so that a redelivery need not wait for the
    /// lease. Best effort: a claim not released expires with its lease.
    fn release(&self, keys: &[DedupeKey]) -> Result<(), DispatchError>;
}

/// What the claims of this process came to, since it started: the `/metrics` figures.
#[derive(Debug, Default)]
pub struct ClaimCounters {
    won: AtomicU64,
    duplicates: AtomicU64,
    held: AtomicU64,
    completion_failures: AtomicU64,
}

/// A reading of [`ClaimCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClaimTotals {
    /// Claims this replica won, and then recorded.
    pub won: u64,
    /// Events found done: duplicates, not recorded again.
    pub duplicates: u64,
    /// Events another replica held: not acknowledged, left for redelivery.
    pub held: u64,
    /// Won claims whose completion failed after their actions were recorded.
    pub completion_failures: u64,
}

impl ClaimCounters {
    /// The counts now.
    pub fn totals(&self) -> ClaimTotals {
        ClaimTotals {
            won: self.won.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            held: self.held.load(Ordering::Relaxed),
            completion_failures: self.completion_failures.load(Ordering::Relaxed),
        }
    }
}

/// A sink behind shared de-duplication: only events this replica wins reach `inner`.
pub struct SharedDedupe {
    claims: Arc<dyn ClaimStore>,
    inner: Arc<dyn ActionSink>,
    counters: Arc<ClaimCounters>,
}

impl SharedDedupe {
    /// `inner` (the outbox) behind `claims`.
    pub fn new(claims: Arc<dyn ClaimStore>, inner: Arc<dyn ActionSink>) -> Self {
        Self {
            claims,
            inner,
            counters: Arc::default(),
        }
    }

    /// Its counts, shared with whoever renders them.
    pub fn counters(&self) -> Arc<ClaimCounters> {
        self.counters.clone()
    }
}

impl ActionSink for SharedDedupe {
    fn record(&self, batch: &[Submission<'_>]) -> Result<Vec<Receipt>, SinkError> {
        let mut receipts = vec![Receipt::default(); batch.len()];
        // Only events that would queue something need a claim: a failed event is evaluated
        // afresh on redelivery, and one without actions fires nothing either way.
        let claimed: Vec<usize> = batch
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.failed && !s.actions.is_empty())
            .map(|(i, _)| i)
            .collect();
        for (i, submission) in batch.iter().enumerate() {
            receipts[i].failed = submission.failed;
        }
        if claimed.is_empty() {
            return Ok(receipts);
        }
        let keys: Vec<DedupeKey> = claimed.iter().map(|&i| batch[i].key).collect();
        let answers = self
            .claims
            .claim(&keys)
            .map_err(|e| SinkError(format!("de-duplication table: {e}")))?;
        let mut won = Vec::new();
        for (&i, answer) in claimed.iter().zip(&answers) {
            let counter = match answer {
                Claim::Won => {
                    won.push(i);
                    &self.counters.won
                }
                Claim::Done => {
                    receipts[i].duplicate = true;
                    &self.counters.duplicates
                }
                Claim::Held => {
                    receipts[i].deferred = true;
                    &self.counters.held
                }
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if won.is_empty() {
            return Ok(receipts);
        }
        let submissions: Vec<Submission<'_>> = won.iter().map(|&i| batch[i].clone()).collect();
        let won_keys: Vec<DedupeKey> = won.iter().map(|&i| batch[i].key).collect();
        match self.inner.record(&submissions) {
            Ok(recorded) => {
                for (&i, receipt) in won.iter().zip(recorded) {
                    receipts[i] = receipt;
                }
                if let Err(e) = self.claims.complete(&won_keys) {
                    self.counters
                        .completion_failures
                        .fetch_add(won_keys.len() as u64, Ordering::Relaxed);
                    // The actions are durable: the events may be acknowledged. The claims stay
                    // pending until their lease ends; only a redelivery after that, on another
                    // replica, would fire them again.
                    tracing::warn!(
                        events = won_keys.len(),
                        "recorded, but the de-duplication claims could not be completed: {e}"
                    );
                }
                Ok(receipts)
            }
            Err(e) => {
                if let Err(release) = self.claims.release(&won_keys) {
                    tracing::warn!("could not release de-duplication claims: {release}");
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glue_rules_core::{Action, LogSink};
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Claims in memory, for the sink's logic; the DynamoDB store has its own tests.
    #[derive(Default)]
    struct Memory {
        state: Mutex<HashMap<DedupeKey, Claim>>,
        released: Mutex<Vec<DedupeKey>>,
    }

    impl ClaimStore for Memory {
        fn claim(&self, keys: &[DedupeKey]) -> Result<Vec<Claim>, DispatchError> {
            let mut state = self.state.lock().unwrap();
            Ok(keys
                .iter()
                .map(|k| match state.get(k) {
                    Some(Claim::Done) => Claim::Done,
                    Some(_) => Claim::Held,
                    None => {
                        state.insert(*k, Claim::Held);
                        Claim::Won
                    }
                })
                .collect())
        }
        fn complete(&self, keys: &[DedupeKey]) -> Result<(), DispatchError> {
            let mut state = self.state.lock().unwrap();
            for k in keys {
                state.insert(*k, Claim::Done);
            }
            Ok(())
        }
        fn release(&self, keys: &[DedupeKey]) -> Result<(), DispatchError> {
            let mut state = self.state.lock().unwrap();
            for k in keys {
                state.remove(k);
            }
            self.released.lock().unwrap().extend_from_slice(keys);
            Ok(())
        }
    }

    struct Refusing;
    impl ActionSink for Refusing {
        fn record(&self, _: &[Submission<'_>]) -> Result<Vec<Receipt>, SinkError> {
            Err(SinkError("disk full".into()))
        }
    }

    fn lambda() -> Action {
        Action::Lambda(glue_rules_core::action::LambdaInvoke {
            function_name: "f".into(),
            payload: "{}".into(),
            invocation_type: glue_rules_core::action::InvocationType::Event,
        })
    }

    fn submission<'a>(id: &'a str, action: &'a Action) -> Submission<'a> {
        Submission {
            event_id: id,
            detail_type: "Glue Job State Change",
            key: DedupeKey::from_parts([id]),
            failed: false,
            actions: vec![("p", action)],
        }
    }

    #[test]
    fn an_event_is_recorded_once_then_a_duplicate_and_a_held_one_is_deferred() {
        let claims = Arc::new(Memory::default());
        let sink = SharedDedupe::new(claims.clone(), Arc::new(LogSink));
        let action = lambda();
        let (a, b) = (submission("a", &action), submission("b", &action));
        // Another replica holds b.
        claims.state.lock().unwrap().insert(b.key, Claim::Held);
        let receipts = sink.record(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(receipts[0].queued, 1);
        assert!(!receipts[0].duplicate && !receipts[0].deferred);
        assert!(receipts[1].deferred && receipts[1].queued == 0);
        let again = sink.record(&[a]).unwrap();
        assert!(again[0].duplicate && again[0].queued == 0);
        let totals = sink.counters().totals();
        assert_eq!((totals.won, totals.duplicates, totals.held), (1, 1, 1));
    }

    #[test]
    fn a_failed_record_releases_its_claims_and_acknowledges_nothing() {
        let claims = Arc::new(Memory::default());
        let sink = SharedDedupe::new(claims.clone(), Arc::new(Refusing));
        let action = lambda();
        let a = submission("a", &action);
        assert!(sink.record(std::slice::from_ref(&a)).is_err());
        assert_eq!(*claims.released.lock().unwrap(), vec![a.key]);
        // The redelivery can claim it at once.
        assert_eq!(claims.claim(&[a.key]).unwrap(), vec![Claim::Won]);
    }

    #[test]
    fn events_without_actions_and_failed_events_claim_nothing() {
        let claims = Arc::new(Memory::default());
        let sink = SharedDedupe::new(claims.clone(), Arc::new(LogSink));
        let action = lambda();
        let mut failed = submission("f", &action);
        failed.failed = true;
        let mut empty = submission("e", &action);
        empty.actions.clear();
        let receipts = sink.record(&[failed, empty]).unwrap();
        assert!(receipts[0].failed);
        assert_eq!(receipts[1], Receipt::default());
        assert!(claims.state.lock().unwrap().is_empty());
    }
}
