//! Typed helpers on [`Event`], Glue's spelling of the enum-like variants, and the typed view
//! the host builds from an event's JSON.

use crate::types::{Detail, Event, JobState, LogLevel, Severity};

/// The contract's types under the name the shared typed-view source expects.
use crate::types as wit;

// The host's own parser of the typed view and Glue's spelling tables (`as_str`, `from_glue`
// and `Display` on the variants with an `other(string)` case): the same file the host
// includes, so that `testing::event_from_json` builds exactly the event the host passes. On
// wasm only the spellings are used; the parser serves the native `testing` module.
include!("typed_view.rs");

/// Read access to JSON for the shared typed-view source: `Shape`, `EventJson`, and `EventJson`
/// for `&serde_json::Value` (the host includes the same file for its parsed documents).
// The typed view uses part of it (not `to_json`), and on wasm only the spellings are used.
#[allow(dead_code)]
mod json_access {
    include!("json_access.rs");
}
#[cfg_attr(target_arch = "wasm32", allow(unused_imports))]
use json_access::{EventJson, Shape};

/// Shortcuts for the questions most rules ask of an event. In the prelude.
///
/// The job helpers look at both job detail types ("Glue Job State Change" and "Glue Job Run
/// Status") unless their name says otherwise; they answer `None`/`false` for every other
/// event, so a rule never has to match on [`Detail`] just to read a job name.
pub trait EventExt {
    /// The job run's state, for "Glue Job State Change" and "Glue Job Run Status" events.
    fn job_state(&self) -> Option<&JobState>;
    /// The Glue job's name (`jobName`), for job events.
    fn job_name(&self) -> Option<&str>;
    /// The job run's id (`jobRunId`, `jr_...`), for job events.
    fn job_run_id(&self) -> Option<&str>;
    /// The event's `severity`, for job events that carry one.
    fn job_severity(&self) -> Option<&Severity>;
    /// Glue's `message`, for job events that carry one.
    fn job_message(&self) -> Option<&str>;
    /// Whether this is a "Glue Job State Change" (a run reached a final state).
    fn is_job_state_change(&self) -> bool;
    /// Whether this is a "Glue Job State Change" to FAILED, TIMEOUT or ERROR. STOPPED is not
    /// a failure: someone stopped the run on purpose.
    fn is_job_failure(&self) -> bool;
    /// Whether this is a "Glue Job State Change" to SUCCEEDED.
    fn is_job_success(&self) -> bool;
    /// The crawler's name, for "Glue Crawler State Change" events.
    fn crawler_name(&self) -> Option<&str>;
    /// The `detail` of the event being evaluated, parsed from [`detail_json`](crate::detail_json),
    /// for fields the typed view lacks. It asks the host, so it is meant for the event
    /// `evaluate` was given; parse once and keep the value. The error is a sentence, so `?`
    /// works inside [`Rule::evaluate`](crate::Rule::evaluate).
    fn detail_value(&self) -> Result<serde_json::Value, String>;
    /// The AWS partition of the event's region (`aws`, `aws-cn` or `aws-us-gov`), for
    /// building ARNs that are valid outside the commercial regions.
    fn partition(&self) -> &'static str;
}

impl EventExt for Event {
    fn job_state(&self) -> Option<&JobState> {
        match &self.detail {
            Detail::JobStateChange(d) => Some(&d.state),
            Detail::JobRunStatus(d) => Some(&d.state),
            _ => None,
        }
    }

    fn job_name(&self) -> Option<&str> {
        match &self.detail {
            Detail::JobStateChange(d) => Some(&d.job_name),
            Detail::JobRunStatus(d) => Some(&d.job_name),
            _ => None,
        }
    }

    fn job_run_id(&self) -> Option<&str> {
        match &self.detail {
            Detail::JobStateChange(d) => Some(&d.job_run_id),
            Detail::JobRunStatus(d) => Some(&d.job_run_id),
            _ => None,
        }
    }

    fn job_severity(&self) -> Option<&Severity> {
        match &self.detail {
            Detail::JobStateChange(d) => d.severity.as_ref(),
            Detail::JobRunStatus(d) => d.severity.as_ref(),
            _ => None,
        }
    }

    fn job_message(&self) -> Option<&str> {
        match &self.detail {
            Detail::JobStateChange(d) => d.message.as_deref(),
            Detail::JobRunStatus(d) => d.message.as_deref(),
            _ => None,
        }
    }

    fn is_job_state_change(&self) -> bool {
        matches!(self.detail, Detail::JobStateChange(_))
    }

    fn is_job_failure(&self) -> bool {
        matches!(
            &self.detail,
            Detail::JobStateChange(d)
                if matches!(d.state, JobState::Failed | JobState::Timeout | JobState::Error)
        )
    }

    fn is_job_success(&self) -> bool {
        matches!(&self.detail, Detail::JobStateChange(d) if d.state == JobState::Succeeded)
    }

    fn crawler_name(&self) -> Option<&str> {
        match &self.detail {
            Detail::CrawlerStateChange(d) => Some(&d.crawler_name),
            _ => None,
        }
    }

    fn detail_value(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&crate::detail_json())
            .map_err(|e| format!("the event's detail JSON is not valid JSON: {e}"))
    }

    fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }
}

impl JobState {
    /// Whether the run is over (succeeded, failed, timeout, stopped, error or expired). The
    /// "Glue Job State Change" event is sent for these.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            JobState::Succeeded
                | JobState::Failed
                | JobState::Timeout
                | JobState::Stopped
                | JobState::Error
                | JobState::Expired
        )
    }
}

impl LogLevel {
    /// The level's name in lower case, as in the WIT.
    pub fn as_str(&self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

impl core::fmt::Display for LogLevel {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
