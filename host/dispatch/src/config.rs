//! The `[dispatch]` table of the configuration: typed settings, parsed once.
//!
//! ```toml
//! [dispatch]
//! mode = "aws"                  # or "log"; default "aws" when [dispatch.aws] exists, else "log"
//! outbox = "state/outbox.sqlite" # default: $XDG_DATA_HOME/glue-rules/outbox.sqlite
//! dedupe-window-secs = 86400    # 0 turns de-duplication off
//! dedupe-max-events = 1000000   # events the window holds at most (in memory, ~80 bytes each)
//! dedupe-table = "glue-rules-dedupe"  # DynamoDB, shared by replicas (default: the outbox's own)
//! dedupe-lease-secs = 30        # how long a claim stays another replica's before it is taken over
//! outbox-queue-url = "https://sqs.eu-west-1.amazonaws.com/123456789012/glue-rules-outbox"
//!                               # an SQS outbox shared by replicas, instead of the SQLite file
//! concurrency = 16              # sends in flight at once
//!
//! [dispatch.retry]              # EventBridge's own defaults
//! max-age-secs = 86400
//! max-attempts = 185
//! initial-backoff-ms = 1000
//! max-backoff-ms = 900000
//!
//! [dispatch.aws]                # credentials always come from the standard AWS chain
//! region = "eu-west-1"          # default: the standard chain (AWS_REGION, profile)
//! endpoint-url = "http://127.0.0.1:5000"   # for local or compatible endpoints
//! timeout-ms = 10000            # per attempt, every target
//! connect-timeout-ms = 3000
//! [dispatch.aws.target-timeout-ms]         # per target, overriding timeout-ms
//! lambda = 30000
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// How actions leave the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DispatchMode {
    /// Print what would be done and count it as sent: for trying rules out. The default when
    /// the configuration says nothing about AWS, so that a bare `glue-rules` never calls AWS.
    #[default]
    Log,
    /// Call the AWS APIs through the AWS SDK for Rust.
    Aws,
}

impl DispatchMode {
    /// The mode as spelled in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            DispatchMode::Log => "log",
            DispatchMode::Aws => "aws",
        }
    }
}

/// When and how often a failed action is tried again, and when it is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// An action older than this (counted from when it was queued or redriven) is
    /// dead-lettered instead of retried. EventBridge's default: 24 hours.
    pub max_age: Duration,
    /// Most attempts, the first included. EventBridge's default: 185.
    pub max_attempts: u32,
    /// The cap of the first retry's delay; each later retry doubles it.
    pub initial_backoff: Duration,
    /// No retry waits longer than this.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(24 * 3600),
            max_attempts: 185,
            initial_backoff: Duration::from_secs(1),
            // With full jitter the mean wait is half the cap: 185 attempts at a mean of 7.5
            // minutes span about the same 24 hours as the age limit.
            max_backoff: Duration::from_secs(15 * 60),
        }
    }
}

impl RetryPolicy {
    /// The delay before the attempt that follows `attempts` failed ones: exponential backoff
    /// with "full jitter" (a uniform draw between zero and the exponential cap), which spreads
    /// retries of many actions that failed together. `unit` is a uniform draw in `[0, 1)`.
    pub fn backoff(&self, attempts: u32, unit: f64) -> Duration {
        let exponent = attempts.saturating_sub(1).min(40);
        let cap = self
            .initial_backoff
            .saturating_mul(1u32 << exponent.min(31))
            .min(self.max_backoff);
        cap.mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// Per-target attempt timeouts, each falling back to [`AwsSettings::timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TargetTimeouts {
    /// Lambda `Invoke`; a `RequestResponse` invocation waits for the function to finish.
    pub lambda: Option<Duration>,
    /// SNS `Publish`.
    pub sns: Option<Duration>,
    /// SQS `SendMessage`.
    pub sqs: Option<Duration>,
    /// Kinesis `PutRecord`.
    pub kinesis: Option<Duration>,
    /// Step Functions `StartExecution`.
    pub stepfunctions: Option<Duration>,
    /// SSM `SendCommand`.
    pub ssm: Option<Duration>,
}

/// How to reach AWS. Credentials are never configured here: they come from the standard
/// chain (environment, profile, web identity, container or instance role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// The region; `None` leaves it to the standard chain (`AWS_REGION`, the profile).
    pub region: Option<String>,
    /// An endpoint to use for every service instead of AWS's, e.g. a local emulator.
    pub endpoint_url: Option<String>,
    /// The time one attempt of any call may take, connection included.
    pub timeout: Duration,
    /// The time establishing a connection may take.
    pub connect_timeout: Duration,
    /// Overrides of `timeout` per target.
    pub target_timeouts: TargetTimeouts,
}

impl Default for AwsSettings {
    fn default() -> Self {
        Self {
            region: None,
            endpoint_url: None,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            target_timeouts: TargetTimeouts::default(),
        }
    }
}

impl AwsSettings {
    /// The attempt timeout for an action kind (`"sns"`, `"lambda"`, ...).
    pub fn timeout_for(&self, kind: &str) -> Duration {
        let t = &self.target_timeouts;
        let specific = match kind {
            "lambda" => t.lambda,
            "sns" => t.sns,
            "sqs" => t.sqs,
            "kinesis" => t.kinesis,
            "stepfunctions" => t.stepfunctions,
            "ssm" => t.ssm,
            _ => None,
        };
        specific.unwrap_or(self.timeout)
    }

    /// How long a worker should wait for one send before giving up on it, above the SDK's own
    /// attempt timeout (which should always fire first).
    pub fn send_backstop(&self) -> Duration {
        self.longest_timeout() + Duration::from_secs(5)
    }

    /// The longest attempt timeout of any target: what a worker waits at most for a send.
    pub fn longest_timeout(&self) -> Duration {
        glue_rules_core::ActionKind::ALL
            .iter()
            .map(|k| self.timeout_for(k.as_str()))
            .max()
            .unwrap_or(self.timeout)
    }
}

/// The whole `[dispatch]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchConfig {
    /// Log or AWS.
    pub mode: DispatchMode,
    /// The outbox file; `None` means [`default_outbox_path`].
    pub outbox: Option<PathBuf>,
    /// How long an event id is remembered; zero turns de-duplication off.
    pub dedupe_window: Duration,
    /// How many events the outbox's own window holds at most (`dedupe-max-events`); past
    /// that the oldest are forgotten first.
    pub dedupe_max_events: usize,
    /// A DynamoDB table that replicas share for de-duplication (`dedupe-table`); `None` keeps
    /// it in the outbox file, which sees only this process's events.
    pub dedupe_table: Option<String>,
    /// How long a claim on an event stays with the replica that made it, if that replica
    /// never finishes recording (it died): then a redelivery may take it over.
    pub dedupe_lease: Duration,
    /// An SQS queue that replicas share as the outbox (`outbox-queue-url`), instead of the
    /// SQLite file: recording is a `SendMessageBatch`, every replica's worker sends what it
    /// receives, and the queue's redrive policy names the dead-letter queue.
    pub outbox_queue_url: Option<String>,
    /// How many sends may be in flight at once.
    pub concurrency: usize,
    /// Retry and dead-letter policy.
    pub retry: RetryPolicy,
    /// How to reach AWS.
    pub aws: AwsSettings,
}

/// Default de-duplication window: a day, the longest EventBridge retries a delivery.
pub const DEFAULT_DEDUPE_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// How many events the outbox's de-duplication window holds by default: a day of Glue events
/// of a very busy account, about 80 MB of memory when full.
pub const DEFAULT_DEDUPE_MAX_EVENTS: usize = 1_000_000;

/// Default claim lease: well past the time recording takes (an SQS batch, a disk flush), well
/// under SQS's default visibility timeout (30 s) plus its redelivery.
pub const DEFAULT_DEDUPE_LEASE: Duration = Duration::from_secs(30);

/// Default number of sends in flight.
pub const DEFAULT_CONCURRENCY: usize = 16;

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            mode: DispatchMode::Log,
            outbox: None,
            dedupe_window: DEFAULT_DEDUPE_WINDOW,
            dedupe_max_events: DEFAULT_DEDUPE_MAX_EVENTS,
            dedupe_table: None,
            dedupe_lease: DEFAULT_DEDUPE_LEASE,
            outbox_queue_url: None,
            concurrency: DEFAULT_CONCURRENCY,
            retry: RetryPolicy::default(),
            aws: AwsSettings::default(),
        }
    }
}

impl DispatchConfig {
    /// The outbox file to use: the configured one or the default location.
    pub fn outbox_path(&self) -> PathBuf {
        self.outbox.clone().unwrap_or_else(default_outbox_path)
    }
}

/// `$XDG_DATA_HOME/glue-rules/outbox.sqlite`, else `~/.local/share/glue-rules/outbox.sqlite`,
/// else `glue-rules-outbox.sqlite` in the working directory. A data directory rather than a
/// cache: deleting it loses queued actions.
pub fn default_outbox_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/share")));
    match base {
        Some(base) => base.join("glue-rules").join("outbox.sqlite"),
        None => PathBuf::from("glue-rules-outbox.sqlite"),
    }
}

/// The `[dispatch]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawDispatch {
    mode: Option<DispatchMode>,
    outbox: Option<PathBuf>,
    dedupe_window_secs: Option<u64>,
    dedupe_max_events: Option<usize>,
    dedupe_table: Option<String>,
    dedupe_lease_secs: Option<u64>,
    outbox_queue_url: Option<String>,
    concurrency: Option<usize>,
    #[serde(default)]
    retry: RawRetry,
    aws: Option<RawAws>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRetry {
    max_age_secs: Option<u64>,
    max_attempts: Option<u32>,
    initial_backoff_ms: Option<u64>,
    max_backoff_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAws {
    region: Option<String>,
    endpoint_url: Option<String>,
    timeout_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    #[serde(default)]
    target_timeout_ms: RawTargetTimeouts,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTargetTimeouts {
    lambda: Option<u64>,
    sns: Option<u64>,
    sqs: Option<u64>,
    kinesis: Option<u64>,
    stepfunctions: Option<u64>,
    ssm: Option<u64>,
}

/// A bad value: the dotted key and what is wrong with it.
/// A well-typed but unusable value: `(dotted key, problem)`.
pub type Invalid = (String, String);

fn positive(key: &str, value: u64) -> Result<u64, Invalid> {
    if value == 0 {
        Err((format!("dispatch.{key}"), "must be greater than 0".into()))
    } else {
        Ok(value)
    }
}

impl DispatchConfig {
    /// Builds the typed settings from the raw table; relative paths are resolved against
    /// `base`, the configuration file's directory.
    pub fn from_raw(raw: Option<RawDispatch>, base: &Path) -> Result<Self, Invalid> {
        let Some(raw) = raw else {
            return Ok(Self::default());
        };
        let mut config = Self {
            mode: raw.mode.unwrap_or(if raw.aws.is_some() {
                DispatchMode::Aws
            } else {
                DispatchMode::Log
            }),
            outbox: raw
                .outbox
                .map(|p| if p.is_absolute() { p } else { base.join(p) }),
            ..Self::default()
        };
        if let Some(secs) = raw.dedupe_window_secs {
            config.dedupe_window = Duration::from_secs(secs);
        }
        if let Some(events) = raw.dedupe_max_events {
            if events == 0 {
                return Err((
                    "dispatch.dedupe-max-events".into(),
                    "must be at least 1 (dedupe-window-secs = 0 turns de-duplication off)".into(),
                ));
            }
            config.dedupe_max_events = events;
        }
        if let Some(table) = raw.dedupe_table {
            // DynamoDB's own rule for table names.
            let valid = (3..=255).contains(&table.len())
                && table
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
            if !valid {
                return Err((
                    "dispatch.dedupe-table".into(),
                    format!(
                        "{table:?} is not a DynamoDB table name (3 to 255 of a-z, A-Z, 0-9, _, -, .)"
                    ),
                ));
            }
            config.dedupe_table = Some(table);
        }
        if let Some(secs) = raw.dedupe_lease_secs {
            if secs == 0 || secs > 3600 {
                return Err((
                    "dispatch.dedupe-lease-secs".into(),
                    "must be between 1 and 3600".into(),
                ));
            }
            config.dedupe_lease = Duration::from_secs(secs);
        }
        if let Some(url) = raw.outbox_queue_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err((
                    "dispatch.outbox-queue-url".into(),
                    format!(
                        "{url:?} is not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)"
                    ),
                ));
            }
            if config.outbox.is_some() {
                return Err((
                    "dispatch.outbox-queue-url".into(),
                    "cannot be used with `outbox` (the SQS queue is the outbox)".into(),
                ));
            }
            config.outbox_queue_url = Some(url);
        }
        if let Some(n) = raw.concurrency {
            if n == 0 || n > 4096 {
                return Err((
                    "dispatch.concurrency".into(),
                    "must be between 1 and 4096".into(),
                ));
            }
            config.concurrency = n;
        }
        let retry = &mut config.retry;
        if let Some(secs) = raw.retry.max_age_secs {
            retry.max_age = Duration::from_secs(positive("retry.max-age-secs", secs)?);
        }
        if let Some(n) = raw.retry.max_attempts {
            retry.max_attempts = positive("retry.max-attempts", u64::from(n))? as u32;
        }
        if let Some(ms) = raw.retry.initial_backoff_ms {
            retry.initial_backoff =
                Duration::from_millis(positive("retry.initial-backoff-ms", ms)?);
        }
        if let Some(ms) = raw.retry.max_backoff_ms {
            retry.max_backoff = Duration::from_millis(positive("retry.max-backoff-ms", ms)?);
        }
        if retry.max_backoff < retry.initial_backoff {
            return Err((
                "dispatch.retry.max-backoff-ms".into(),
                "must not be smaller than initial-backoff-ms".into(),
            ));
        }
        if let Some(aws) = raw.aws {
            let settings = &mut config.aws;
            if let Some(region) = aws.region {
                if region.trim().is_empty() {
                    return Err(("dispatch.aws.region".into(), "must not be empty".into()));
                }
                settings.region = Some(region);
            }
            if let Some(url) = aws.endpoint_url {
                if !(url.starts_with("http://") || url.starts_with("https://"))
                    || url.len() <= "https://".len()
                {
                    return Err((
                        "dispatch.aws.endpoint-url".into(),
                        format!("{url:?} is not an http:// or https:// URL"),
                    ));
                }
                settings.endpoint_url = Some(url);
            }
            if let Some(ms) = aws.timeout_ms {
                settings.timeout = Duration::from_millis(positive("aws.timeout-ms", ms)?);
            }
            if let Some(ms) = aws.connect_timeout_ms {
                settings.connect_timeout =
                    Duration::from_millis(positive("aws.connect-timeout-ms", ms)?);
            }
            let raw_t = &aws.target_timeout_ms;
            let t = &mut settings.target_timeouts;
            let each = [
                ("lambda", raw_t.lambda, &mut t.lambda),
                ("sns", raw_t.sns, &mut t.sns),
                ("sqs", raw_t.sqs, &mut t.sqs),
                ("kinesis", raw_t.kinesis, &mut t.kinesis),
                ("stepfunctions", raw_t.stepfunctions, &mut t.stepfunctions),
                ("ssm", raw_t.ssm, &mut t.ssm),
            ];
            for (kind, ms, slot) in each {
                if let Some(ms) = ms {
                    let key = format!("aws.target-timeout-ms.{kind}");
                    *slot = Some(Duration::from_millis(positive(&key, ms)?));
                }
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DispatchConfig, Invalid> {
        let raw: Option<RawDispatch> = toml::from_str::<toml::Table>(text)
            .ok()
            .and_then(|t| t.get("dispatch").cloned())
            .map(|v| v.try_into().expect("well-formed"));
        DispatchConfig::from_raw(raw, Path::new("/etc/glue-rules"))
    }

    #[test]
    fn nothing_configured_means_log_with_eventbridge_retry_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config.mode, DispatchMode::Log);
        assert_eq!(config.retry.max_attempts, 185);
        assert_eq!(config.retry.max_age, Duration::from_secs(86_400));
        assert_eq!(parse("[dispatch]\n").unwrap().mode, DispatchMode::Log);
        assert_eq!(config.dedupe_max_events, DEFAULT_DEDUPE_MAX_EVENTS);
        let small = parse("[dispatch]\ndedupe-max-events = 5000\n").unwrap();
        assert_eq!(small.dedupe_max_events, 5000);
    }

    #[test]
    fn an_aws_table_selects_aws_unless_mode_says_otherwise() {
        let config = parse(
            "[dispatch]\noutbox = \"o.sqlite\"\n[dispatch.aws]\nregion = \"eu-west-1\"\n\
             timeout-ms = 500\n[dispatch.aws.target-timeout-ms]\nlambda = 9000\n",
        )
        .unwrap();
        assert_eq!(config.mode, DispatchMode::Aws);
        assert_eq!(
            config.outbox,
            Some(PathBuf::from("/etc/glue-rules/o.sqlite"))
        );
        assert_eq!(config.aws.timeout_for("sns"), Duration::from_millis(500));
        assert_eq!(
            config.aws.timeout_for("lambda"),
            Duration::from_millis(9000)
        );
        assert_eq!(config.aws.longest_timeout(), Duration::from_millis(9000));
        let log = parse("[dispatch]\nmode = \"log\"\n[dispatch.aws]\nregion = \"x\"\n").unwrap();
        assert_eq!(log.mode, DispatchMode::Log);
    }

    #[test]
    fn bad_values_name_their_key() {
        for (text, key) in [
            (
                "[dispatch.retry]\nmax-attempts = 0\n",
                "dispatch.retry.max-attempts",
            ),
            (
                "[dispatch.retry]\ninitial-backoff-ms = 10\nmax-backoff-ms = 5\n",
                "dispatch.retry.max-backoff-ms",
            ),
            (
                "[dispatch.aws]\nendpoint-url = \"localhost:1\"\n",
                "dispatch.aws.endpoint-url",
            ),
            (
                "[dispatch.aws.target-timeout-ms]\nssm = 0\n",
                "dispatch.aws.target-timeout-ms.ssm",
            ),
            ("[dispatch]\nconcurrency = 0\n", "dispatch.concurrency"),
            (
                "[dispatch]\ndedupe-max-events = 0\n",
                "dispatch.dedupe-max-events",
            ),
        ] {
            let (found, _) = parse(text).unwrap_err();
            assert_eq!(found, key, "{text}");
        }
    }

    #[test]
    fn backoff_grows_exponentially_under_its_cap() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(policy.backoff(30, 1.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(500, 0.5), Duration::from_millis(500));
        assert_eq!(policy.backoff(2, 0.0), Duration::ZERO);
    }
}
