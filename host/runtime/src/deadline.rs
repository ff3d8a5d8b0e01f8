//! Call deadlines charged in CPU time, with a wall-clock backstop.
//!
//! A plugin's `timeout-ms` is a budget of the CPU time its thread spends in one call (its own
//! code and the host functions it calls), not of wall-clock time. On an oversubscribed host a
//! thread waits for a core; charging that wait to the plugin would make healthy plugins miss
//! their deadline, be quarantined, and (with `on-error = "skip"`) have their actions silently
//! not taken, for a fault that is the host's.
//!
//! The epoch ticker still does the interrupting. Reading a thread's CPU clock is a system call
//! (about 0.6 µs on this machine, against 7-8 µs for a whole evaluation), so a call does not
//! read it when it starts: the first epoch deadline is one tick away, and most evaluations end
//! before it. At that first check [`Budget::check`] reads the CPU clock for the first time and
//! charges the wall-clock time before it as CPU time, capped at `first_check` (the tick; more
//! than that was waiting for a core or for the ticker). From then on a check reads the clock:
//! a spent budget stops the call as the plugin's timeout; an unspent one pushes the deadline
//! out by what is left. Waiting is not
//! free for ever: once the wall-clock time passes the budget plus `overload-grace-ms`, the call
//! stops as [`Expiry::Overloaded`], which is counted apart from plugin faults, never
//! quarantines the plugin, and fails the event so that its source retries it.

use std::time::{Duration, Instant};

/// How a call into a plugin ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// The plugin's thread spent its whole CPU budget in the call: the plugin's doing.
    Budget,
    /// The wall-clock backstop passed before the budget was spent: the host did not give the
    /// plugin a core in time.
    Overloaded,
}

/// What the epoch callback should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Let the call go on for at most this much more wall-clock time, then check again.
    Extend(Duration),
    /// Stop the call.
    Stop(Expiry),
}

/// The time budget of the call in progress.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    /// The thread's CPU clock at the first check, and the time charged before it.
    cpu_start: Option<(Duration, Duration)>,
    first_check: Duration,
    cpu: Duration,
    wall_start: Instant,
    wall: Duration,
    /// Why the call was stopped, once it was.
    pub(crate) expired: Option<Expiry>,
}

impl Budget {
    /// A budget of `cpu` for a call starting now on this thread, stopped as overloaded once
    /// `cpu + grace` of wall-clock time has passed; the first check is due after
    /// `first_check` (see the module's docs). Reads no CPU clock.
    pub(crate) fn start(cpu: Duration, grace: Duration, first_check: Duration) -> Self {
        Self {
            cpu_start: None,
            first_check,
            cpu,
            wall_start: Instant::now(),
            wall: cpu.saturating_add(grace),
            expired: None,
        }
    }

    /// When the first check is due, from the start: the epoch deadline to arm.
    pub(crate) fn first_deadline(&self) -> Duration {
        self.cpu.min(self.first_check)
    }

    /// Decides, from this thread's CPU clock, whether the call in progress may go on; a stop is
    /// remembered in [`Budget::expired`].
    pub(crate) fn check(&mut self) -> Check {
        let elapsed = self.wall_start.elapsed();
        let now = thread_cpu_time();
        let (start, before) = *self
            .cpu_start
            .get_or_insert_with(|| (now, elapsed.min(self.first_check)));
        let used = before + now.saturating_sub(start);
        let check = decide(used, elapsed, self.cpu, self.wall);
        if let Check::Stop(expiry) = check {
            self.expired = Some(expiry);
        }
        check
    }
}

/// The rule, apart from the clocks: a spent CPU budget is the plugin's timeout, whatever the
/// wall clock says; an unspent one past the backstop is the host's overload.
fn decide(used: Duration, elapsed: Duration, cpu: Duration, wall: Duration) -> Check {
    if used >= cpu {
        Check::Stop(Expiry::Budget)
    } else if elapsed >= wall {
        Check::Stop(Expiry::Overloaded)
    } else {
        Check::Extend((cpu - used).min(wall - elapsed))
    }
}

/// CPU time this thread has run. Evaluations are synchronous calls, so the thread that arms a
/// budget is the one that runs the whole call.
#[cfg(unix)]
fn thread_cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// Without a thread CPU clock, wall-clock time since the process's first call stands in for
/// it: deadlines are then wall-clock deadlines, as epoch interruption alone would give.
#[cfg(not(unix))]
fn thread_cpu_time() -> Duration {
    static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_spent_budget_is_the_plugins_timeout_even_past_the_backstop() {
        assert_eq!(
            decide(50 * MS, 10 * MS, 50 * MS, 1050 * MS),
            Check::Stop(Expiry::Budget)
        );
        assert_eq!(
            decide(60 * MS, 5000 * MS, 50 * MS, 1050 * MS),
            Check::Stop(Expiry::Budget)
        );
    }

    #[test]
    fn waiting_for_a_core_extends_the_deadline_by_what_is_left() {
        // 20 ms of CPU in 50 ms of wall-clock time: 30 ms of budget left.
        assert_eq!(
            decide(20 * MS, 50 * MS, 50 * MS, 1050 * MS),
            Check::Extend(30 * MS)
        );
        // Near the backstop, only up to it.
        assert_eq!(
            decide(20 * MS, 1040 * MS, 50 * MS, 1050 * MS),
            Check::Extend(10 * MS)
        );
    }

    #[test]
    fn an_unspent_budget_past_the_backstop_is_the_hosts_overload() {
        assert_eq!(
            decide(20 * MS, 1050 * MS, 50 * MS, 1050 * MS),
            Check::Stop(Expiry::Overloaded)
        );
    }

    #[test]
    fn the_first_check_charges_the_time_before_it_at_most_one_tick() {
        let mut budget = Budget::start(50 * MS, Duration::from_secs(600), MS);
        assert_eq!(budget.first_deadline(), MS);
        std::thread::sleep(5 * MS);
        // Asleep, not spending CPU: charged one tick for the time before the first check.
        let Check::Extend(left) = budget.check() else {
            panic!("not stopped")
        };
        assert!(left <= 49 * MS && left > 40 * MS, "{left:?}");
    }

    #[test]
    fn a_busy_thread_spends_its_budget_in_cpu_time() {
        let mut budget = Budget::start(20 * MS, Duration::from_secs(600), MS);
        let spin = Instant::now();
        while budget.check() != Check::Stop(Expiry::Budget) {
            assert!(
                spin.elapsed() < Duration::from_secs(120),
                "the CPU clock never moved"
            );
        }
        assert_eq!(budget.expired, Some(Expiry::Budget));
    }
}
