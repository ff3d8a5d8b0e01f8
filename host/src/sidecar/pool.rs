//! The evaluation pool: a fixed set of threads, sized to the cores, that run plugins, and an
//! admission bound on how many intake requests may be in the sidecar at once.
//!
//! Plugins are bounded by a wall-clock deadline, so an evaluation must not wait for a core
//! while its clock runs: with one evaluation per core, overload shows as requests waiting for a
//! thread (or refused) before any plugin starts, never as healthy plugins missing deadlines and
//! being quarantined. A request holds an [`Admission`] from the moment it is taken until its
//! actions are recorded; [`EvaluationPool::try_admit`] refuses once `threads + queue` are held,
//! which the HTTP intake answers with `503`.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

type Job = Box<dyn FnOnce() + Send>;

/// Threads that run evaluations, fed through a queue whose depth admissions bound.
pub struct EvaluationPool {
    admission: Arc<Semaphore>,
    capacity: usize,
    threads: usize,
    running: Arc<AtomicUsize>,
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for EvaluationPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvaluationPool")
            .field("threads", &self.threads)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

/// A request's place in the sidecar: held from admission until its actions are recorded, so
/// that at most `threads + queue` requests hold parsed events at once.
#[derive(Debug)]
pub struct Admission {
    _permit: OwnedSemaphorePermit,
}

/// The job did not finish: it panicked.
#[derive(Debug, thiserror::Error)]
#[error("the evaluation panicked: {0}")]
pub struct Aborted(String);

impl EvaluationPool {
    /// Starts `threads` evaluation threads (at least one) and admits up to `queue` requests
    /// beyond them.
    pub fn new(threads: usize, queue: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let (jobs, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let running = Arc::new(AtomicUsize::new(0));
        for i in 0..threads {
            let receiver = receiver.clone();
            let running = running.clone();
            std::thread::Builder::new()
                .name(format!("glue-rules-eval-{i}"))
                .spawn(move || {
                    loop {
                        // Only the wait for a job is under the lock; the job runs without it.
                        let job = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else {
                            // The pool is gone.
                            return;
                        };
                        running.fetch_add(1, Ordering::SeqCst);
                        job();
                        running.fetch_sub(1, Ordering::SeqCst);
                    }
                })?;
        }
        let capacity = threads.saturating_add(queue).min(Semaphore::MAX_PERMITS);
        Ok(Self {
            admission: Arc::new(Semaphore::new(capacity)),
            capacity,
            threads,
            running,
            jobs,
        })
    }

    /// How many evaluation threads there are.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// How many requests may be admitted at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether a request arriving now would be refused.
    pub fn is_full(&self) -> bool {
        self.admission.available_permits() == 0
    }

    /// Admits a request, or `None` when `threads + queue` are already in.
    pub fn try_admit(&self) -> Option<Admission> {
        self.admission
            .clone()
            .try_acquire_owned()
            .ok()
            .map(|permit| Admission { _permit: permit })
    }

    /// Admits a request, waiting for room (SQS: a poller waits instead of being refused).
    pub async fn admit(&self) -> Admission {
        let permit = self
            .admission
            .clone()
            .acquire_owned()
            .await
            .expect("the admission semaphore is never closed");
        Admission { _permit: permit }
    }

    /// Requests admitted and not yet done.
    pub fn admitted(&self) -> usize {
        self.capacity - self.admission.available_permits().min(self.capacity)
    }

    /// Jobs running on an evaluation thread now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Runs `job` on an evaluation thread and hands back its result with the admission. The
    /// admission travels with the job, so a request whose client went away still counts until
    /// its job is over; a job whose requester is gone before it starts is skipped.
    pub async fn run<T, F>(&self, admission: Admission, job: F) -> Result<(T, Admission), Aborted>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let boxed: Job = Box::new(move || {
            if tx.is_closed() {
                return;
            }
            let result = std::panic::catch_unwind(AssertUnwindSafe(job));
            let _ = tx.send(result.map(|value| (value, admission)));
        });
        if self.jobs.send(boxed).is_err() {
            return Err(Aborted("the evaluation threads are gone".into()));
        }
        match rx.await {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(panic)) => Err(Aborted(panic_message(panic.as_ref()))),
            Err(_) => Err(Aborted("the evaluation thread stopped".into())),
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_jobs_run_at_once_than_there_are_threads() {
        let pool = Arc::new(EvaluationPool::new(2, 16).unwrap());
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (pool, inside, peak) = (pool.clone(), inside.clone(), peak.clone());
                tokio::spawn(async move {
                    let admission = pool.admit().await;
                    pool.run(admission, move || {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(30));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                    .map(|_| ())
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!(pool.admitted(), 0);
    }

    #[tokio::test]
    async fn admissions_beyond_threads_and_queue_are_refused_until_one_is_done() {
        let pool = EvaluationPool::new(1, 2).unwrap();
        let held: Vec<Admission> = (0..3).map(|_| pool.try_admit().unwrap()).collect();
        assert!(pool.is_full());
        assert!(pool.try_admit().is_none());
        assert_eq!(pool.admitted(), 3);
        drop(held);
        assert!(pool.try_admit().is_some());
    }

    #[tokio::test]
    async fn a_panicking_job_is_reported_and_the_thread_serves_on() {
        let pool = EvaluationPool::new(1, 0).unwrap();
        let err = pool
            .run(pool.try_admit().unwrap(), || panic!("boom"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
        let (value, _admission) = pool.run(pool.try_admit().unwrap(), || 7).await.unwrap();
        assert_eq!(value, 7);
    }
}
