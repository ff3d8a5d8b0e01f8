//! The process's Prometheus metrics, on `prometheus-client`.
//!
//! Every metric is declared once, in [`CATALOGUE`]: its name as exported, its type and its help
//! text. [`Metrics::new`] registers the live families from it; the scrape-time values (plugins
//! by status, the outbox's gauges and lifetime totals) are read at scrape and encoded from the
//! same catalogue, and `docs/serve.md` lists the same names (a test holds the three together).
//! Label sets are typed structs, so a label cannot be misspelt at one call site.
//!
//! The exposition is OpenMetrics text, which Prometheus scrapes natively; counters carry the
//! `_total` suffix in their samples.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use glue_rules_dispatch::StatsSnapshot;
use glue_rules_runtime::engine::EventOutcome;
use glue_rules_runtime::plugin::ErrorKind;

/// The type of a metric, as `# TYPE` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// Only goes up; exported as `<name>_total`.
    Counter,
    /// Goes up and down.
    Gauge,
    /// Buckets, a sum and a count.
    Histogram,
}

impl MetricType {
    /// The word `# TYPE` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
        }
    }
}

/// One metric: the family name (without `_total`), its type and its help text.
#[derive(Debug, Clone, Copy)]
pub struct MetricDef {
    /// The family name, as in `# TYPE <name> ...`.
    pub name: &'static str,
    /// Its type.
    pub kind: MetricType,
    /// The `# HELP` text.
    pub help: &'static str,
}

const fn def(name: &'static str, kind: MetricType, help: &'static str) -> MetricDef {
    MetricDef { name, kind, help }
}

/// Plugin evaluations, by plugin.
pub const EVALUATIONS: MetricDef = def(
    "glue_rules_evaluations",
    MetricType::Counter,
    "Plugin evaluations, by plugin",
);
/// Evaluations whose decision matched, by plugin.
pub const MATCHES: MetricDef = def(
    "glue_rules_matches",
    MetricType::Counter,
    "Evaluations whose decision matched, by plugin",
);
/// Failed evaluations, by plugin and error kind.
pub const EVALUATION_ERRORS: MetricDef = def(
    "glue_rules_evaluation_errors",
    MetricType::Counter,
    "Failed evaluations, by plugin and error kind",
);
/// Evaluations stopped by a sandbox limit, by plugin and limit.
pub const LIMIT_HITS: MetricDef = def(
    "glue_rules_limit_hits",
    MetricType::Counter,
    "Evaluations stopped by a sandbox limit, by plugin and limit",
);
/// Actions emitted by matched decisions, by plugin and type.
pub const ACTIONS: MetricDef = def(
    "glue_rules_actions",
    MetricType::Counter,
    "Actions emitted by matched decisions, by plugin and type",
);
/// Events received, by source and outcome.
pub const INTAKE_EVENTS: MetricDef = def(
    "glue_rules_intake_events",
    MetricType::Counter,
    "Events received, by source and outcome",
);
/// Plugin set reloads, by outcome.
pub const RELOADS: MetricDef = def(
    "glue_rules_reloads",
    MetricType::Counter,
    "Plugin set reloads, by outcome",
);
/// Failed SQS receives (the poller backs off and retries).
pub const SQS_RECEIVE_ERRORS: MetricDef = def(
    "glue_rules_sqs_receive_errors",
    MetricType::Counter,
    "Failed SQS receive calls",
);
/// Time of one plugin evaluation, by plugin.
pub const EVALUATION_DURATION: MetricDef = def(
    "glue_rules_evaluation_duration_seconds",
    MetricType::Histogram,
    "Time of one plugin evaluation, by plugin",
);
/// Plugins by status.
pub const PLUGINS: MetricDef = def(
    "glue_rules_plugins",
    MetricType::Gauge,
    "Plugins by status (failed: a file whose newest version did not load)",
);
/// Intake requests admitted and not yet done, by state.
pub const INTAKE_REQUESTS: MetricDef = def(
    "glue_rules_intake_requests",
    MetricType::Gauge,
    "Intake requests admitted and not yet done, by state (evaluating: on an evaluation thread; \
     waiting: for a thread, or for their actions to be recorded)",
);
/// Plugin log lines dropped for being over the per-evaluation budget.
pub const PLUGIN_LOG_LINES_DROPPED: MetricDef = def(
    "glue_rules_plugin_log_lines_dropped",
    MetricType::Counter,
    "Plugin log lines dropped for being over the per-evaluation budget, by plugin",
);
/// Events delivered with `detail::other` because their Glue detail lacked a field or had one
/// of the wrong type (lenient typed parsing).
pub const UNTYPED_DETAILS: MetricDef = def(
    "glue_rules_untyped_details",
    MetricType::Counter,
    "Events delivered with detail::other because their typed detail could not be built",
);
/// Actions waiting in the outbox.
pub const OUTBOX_DEPTH: MetricDef = def(
    "glue_rules_outbox_depth",
    MetricType::Gauge,
    "Actions waiting in the outbox (due or scheduled for a retry)",
);
/// Age of the oldest waiting action.
pub const OUTBOX_OLDEST_AGE: MetricDef = def(
    "glue_rules_outbox_oldest_age_seconds",
    MetricType::Gauge,
    "Age of the oldest waiting action, 0 when none waits",
);
/// Actions in the dead-letter table.
pub const OUTBOX_DEAD_LETTERS: MetricDef = def(
    "glue_rules_outbox_dead_letters",
    MetricType::Gauge,
    "Actions in the dead-letter table",
);
/// Events not fired again because they were seen before.
pub const DUPLICATE_EVENTS: MetricDef = def(
    "glue_rules_duplicate_events",
    MetricType::Counter,
    "Events whose actions were not fired again because they were seen before",
);
/// Events the de-duplication window forgot early because it was full.
pub const DEDUPE_EVICTED_EVENTS: MetricDef = def(
    "glue_rules_dedupe_evicted_events",
    MetricType::Counter,
    "Events the outbox's de-duplication window forgot before dedupe-window-secs because it held dedupe-max-events",
);
/// Record transactions the outbox committed.
pub const OUTBOX_COMMITS: MetricDef = def(
    "glue_rules_outbox_commits",
    MetricType::Counter,
    "Record transactions the outbox committed, each with one fsync",
);
/// Record calls those transactions held.
pub const OUTBOX_COMMITTED_RECORDS: MetricDef = def(
    "glue_rules_outbox_committed_records",
    MetricType::Counter,
    "Record calls (an HTTP request's or an SQS message's events) the outbox's commits held; divided by glue_rules_outbox_commits, how many share one fsync",
);
/// Actions the target accepted, by type.
pub const ACTIONS_SENT: MetricDef = def(
    "glue_rules_actions_sent",
    MetricType::Counter,
    "Actions the target accepted, by type",
);
/// Failed attempts scheduled for a retry, by type.
pub const ACTIONS_RETRIED: MetricDef = def(
    "glue_rules_actions_retried",
    MetricType::Counter,
    "Failed attempts scheduled for a retry, by type",
);
/// Failed attempts, by type.
pub const ACTIONS_FAILED: MetricDef = def(
    "glue_rules_actions_failed",
    MetricType::Counter,
    "Failed send attempts, by type",
);
/// Actions moved to the dead-letter table, by type.
pub const ACTIONS_DEAD_LETTERED: MetricDef = def(
    "glue_rules_actions_dead_lettered",
    MetricType::Counter,
    "Actions moved to the dead-letter table, by type",
);
/// Shared de-duplication claims, by outcome.
pub const DEDUPE_CLAIMS: MetricDef = def(
    "glue_rules_dedupe_claims",
    MetricType::Counter,
    "Claims on the shared de-duplication table, by outcome",
);
/// The outbox queue worker's actions, by outcome.
pub const OUTBOX_QUEUE_ACTIONS: MetricDef = def(
    "glue_rules_outbox_queue_actions",
    MetricType::Counter,
    "Actions received from the SQS outbox queue, by outcome",
);

/// Every metric the process exports, in one place.
pub const CATALOGUE: &[MetricDef] = &[
    EVALUATIONS,
    MATCHES,
    EVALUATION_ERRORS,
    LIMIT_HITS,
    ACTIONS,
    INTAKE_EVENTS,
    RELOADS,
    SQS_RECEIVE_ERRORS,
    EVALUATION_DURATION,
    PLUGINS,
    INTAKE_REQUESTS,
    PLUGIN_LOG_LINES_DROPPED,
    UNTYPED_DETAILS,
    OUTBOX_DEPTH,
    OUTBOX_OLDEST_AGE,
    OUTBOX_DEAD_LETTERS,
    DUPLICATE_EVENTS,
    DEDUPE_EVICTED_EVENTS,
    OUTBOX_COMMITS,
    OUTBOX_COMMITTED_RECORDS,
    ACTIONS_SENT,
    ACTIONS_RETRIED,
    ACTIONS_FAILED,
    ACTIONS_DEAD_LETTERED,
    DEDUPE_CLAIMS,
    OUTBOX_QUEUE_ACTIONS,
];

/// Upper bounds of the evaluation latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.025, 0.1,
    1.0,
];

/// A closed set of label values: the enum, its exported spelling, and its encoding, written
/// once for every such label.
macro_rules! label_values {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// The label value as exported.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )*
                }
            }
        }

        impl EncodeLabelValue for $name {
            fn encode(
                &self,
                encoder: &mut prometheus_client::encoding::LabelValueEncoder<'_>,
            ) -> Result<(), std::fmt::Error> {
                std::fmt::Write::write_str(encoder, self.as_str())
            }
        }
    };
}

label_values! {
    /// Where an event came in.
    pub enum IntakeSource {
        /// `POST /v1/events`.
        Http => "http",
        /// An SQS queue.
        Sqs => "sqs",
    }
}

label_values! {
    /// What became of an event at intake.
    pub enum IntakeOutcome {
        /// Evaluated and its actions recorded: acknowledged.
        Accepted => "accepted",
        /// A plugin with `on-error = "fail"` failed on it: not acknowledged.
        Failed => "failed",
        /// The sink could not record its actions: not acknowledged.
        Unrecorded => "unrecorded",
        /// Not an event.
        Malformed => "malformed",
        /// Over the size limit.
        TooLarge => "too_large",
        /// Sent with a content type that is not JSON.
        UnsupportedMediaType => "unsupported_media_type",
        /// Refused for a missing or wrong intake token.
        Unauthorized => "unauthorized",
        /// Refused because the sidecar was at capacity.
        Overloaded => "overloaded",
        /// The request body did not arrive within the body read timeout.
        TimedOut => "timed_out",
    }
}

label_values! {
    /// How a reload ended.
    pub enum ReloadOutcome {
        /// Every file loaded.
        Ok => "ok",
        /// Some files failed; their previous versions serve.
        Partial => "partial",
        /// The plugin set could not be assembled at all.
        Error => "error",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PluginLabels {
    plugin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ErrorLabels {
    plugin: String,
    kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LimitLabels {
    plugin: String,
    limit: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ActionLabels {
    plugin: String,
    r#type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct IntakeLabels {
    source: IntakeSource,
    outcome: IntakeOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReloadLabels {
    outcome: ReloadOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TypeLabels {
    r#type: &'static str,
}

/// The live metric families, updated from any thread.
pub struct Metrics {
    registry: Registry,
    evaluations: Family<PluginLabels, Counter>,
    matches: Family<PluginLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    limit_hits: Family<LimitLabels, Counter>,
    actions: Family<ActionLabels, Counter>,
    intake: Family<IntakeLabels, Counter>,
    reloads: Family<ReloadLabels, Counter>,
    sqs_receive_errors: Counter,
    duration: Family<PluginLabels, Histogram>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn register<M: prometheus_client::registry::Metric + Clone>(
    registry: &mut Registry,
    def: MetricDef,
    metric: &M,
) {
    registry.register(def.name, def.help, metric.clone());
}

impl Metrics {
    /// The families of [`CATALOGUE`] that are updated as things happen, registered and zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let evaluations = Family::default();
        let matches = Family::default();
        let errors = Family::default();
        let limit_hits = Family::default();
        let actions = Family::default();
        let intake = Family::default();
        let reloads = Family::default();
        let sqs_receive_errors = Counter::default();
        let duration = Family::<PluginLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(LATENCY_BUCKETS)) as fn() -> Histogram,
        );
        register(&mut registry, EVALUATIONS, &evaluations);
        register(&mut registry, MATCHES, &matches);
        register(&mut registry, EVALUATION_ERRORS, &errors);
        register(&mut registry, LIMIT_HITS, &limit_hits);
        register(&mut registry, ACTIONS, &actions);
        register(&mut registry, INTAKE_EVENTS, &intake);
        register(&mut registry, RELOADS, &reloads);
        register(&mut registry, SQS_RECEIVE_ERRORS, &sqs_receive_errors);
        registry.register(
            EVALUATION_DURATION.name,
            EVALUATION_DURATION.help,
            duration.clone(),
        );
        Self {
            registry,
            evaluations,
            matches,
            errors,
            limit_hits,
            actions,
            intake,
            reloads,
            sqs_receive_errors,
            duration,
        }
    }

    /// Counts `n` events at intake from `source` that came to `outcome`.
    pub fn intake(&self, source: IntakeSource, outcome: IntakeOutcome, n: u64) {
        self.intake
            .get_or_create(&IntakeLabels { source, outcome })
            .inc_by(n);
    }

    /// Counts one reload.
    pub fn reload(&self, outcome: ReloadOutcome) {
        self.reloads.get_or_create(&ReloadLabels { outcome }).inc();
    }

    /// Counts one failed SQS receive.
    pub fn sqs_receive_error(&self) {
        self.sqs_receive_errors.inc();
    }

    /// Records every plugin's outcome for one event.
    pub fn observe(&self, outcome: &EventOutcome) {
        for o in &outcome.outcomes {
            let plugin = PluginLabels {
                plugin: o.plugin.name().to_owned(),
            };
            self.evaluations.get_or_create(&plugin).inc();
            match &o.result {
                Ok(decision) => {
                    if decision.matched {
                        self.matches.get_or_create(&plugin).inc();
                    }
                    for action in &decision.actions {
                        self.actions
                            .get_or_create(&ActionLabels {
                                plugin: plugin.plugin.clone(),
                                r#type: action.kind().as_str(),
                            })
                            .inc();
                    }
                }
                Err(e) => {
                    self.errors
                        .get_or_create(&ErrorLabels {
                            plugin: plugin.plugin.clone(),
                            kind: e.kind.as_str(),
                        })
                        .inc();
                    let limit = match e.kind {
                        ErrorKind::Timeout => Some("time"),
                        ErrorKind::OutOfFuel => Some("fuel"),
                        ErrorKind::Memory => Some("memory"),
                        ErrorKind::StackOverflow => Some("stack"),
                        ErrorKind::InvalidOutput => Some("output"),
                        _ => None,
                    };
                    if let Some(limit) = limit {
                        self.limit_hits
                            .get_or_create(&LimitLabels {
                                plugin: plugin.plugin.clone(),
                                limit,
                            })
                            .inc();
                    }
                }
            }
            self.duration
                .get_or_create(&plugin)
                .observe(o.elapsed.as_secs_f64());
        }
    }

    /// Renders the live families and the scrape-time values of `scrape` as OpenMetrics text.
    pub fn render(&self, scrape: &Scrape) -> String {
        use prometheus_client::encoding::text::{encode_eof, encode_registry};
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode_registry(&mut out, &self.registry);
        let _ = encode_registry(&mut out, &scrape.registry());
        let _ = encode_eof(&mut out);
        out
    }
}

/// Values read at scrape time rather than counted as they happen.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    /// Plugins in force and not quarantined.
    pub active: u64,
    /// Plugins in force but parked after repeated failures.
    pub quarantined: u64,
    /// Files whose newest version did not load.
    pub failed: u64,
    /// Intake requests on an evaluation thread.
    pub evaluating: u64,
    /// Intake requests admitted and waiting for a thread or for their actions to be recorded.
    pub waiting: u64,
    /// Per plugin: log lines dropped so far.
    pub log_lines_dropped: Vec<(String, u64)>,
    /// The outbox's statistics, when there is an outbox.
    pub outbox: Option<StatsSnapshot>,
    /// Shared claims since start, with `dedupe-table`.
    pub claims: Option<glue_rules_dispatch::ClaimTotals>,
    /// The outbox queue worker's actions since start (sent, retried, dead-lettered), with
    /// `outbox-queue-url`.
    pub queue: Option<[u64; 3]>,
}

impl Scrape {
    fn registry(&self) -> Registry {
        let mut registry = Registry::default();
        let plugins = Family::<StatusLabels, Gauge>::default();
        for (status, n) in [
            ("active", self.active),
            ("quarantined", self.quarantined),
            ("failed", self.failed),
        ] {
            plugins
                .get_or_create(&StatusLabels { status })
                .set(n as i64);
        }
        register(&mut registry, PLUGINS, &plugins);
        let requests = Family::<StateLabels, Gauge>::default();
        for (state, n) in [("evaluating", self.evaluating), ("waiting", self.waiting)] {
            requests.get_or_create(&StateLabels { state }).set(n as i64);
        }
        register(&mut registry, INTAKE_REQUESTS, &requests);
        let dropped = Family::<PluginLabels, Counter>::default();
        for (plugin, n) in &self.log_lines_dropped {
            dropped
                .get_or_create(&PluginLabels {
                    plugin: plugin.clone(),
                })
                .inc_by(*n);
        }
        register(&mut registry, PLUGIN_LOG_LINES_DROPPED, &dropped);
        let untyped: Counter = Counter::default();
        untyped.inc_by(glue_rules_runtime::event::lenient_details());
        register(&mut registry, UNTYPED_DETAILS, &untyped);
        // Always exported, zero when the backend is not in use, so that dashboards and alerts
        // need not tell "not configured" from "nothing happened".
        let claims = self.claims.unwrap_or_default();
        let family = Family::<OutcomeLabels, Counter>::default();
        for (outcome, n) in [
            ("won", claims.won),
            ("duplicate", claims.duplicates),
            ("held", claims.held),
            ("completion-failed", claims.completion_failures),
        ] {
            family.get_or_create(&OutcomeLabels { outcome }).inc_by(n);
        }
        register(&mut registry, DEDUPE_CLAIMS, &family);
        let [sent, retried, dead] = self.queue.unwrap_or_default();
        let family = Family::<OutcomeLabels, Counter>::default();
        for (outcome, n) in [
            ("sent", sent),
            ("retried", retried),
            ("dead-lettered", dead),
        ] {
            family.get_or_create(&OutcomeLabels { outcome }).inc_by(n);
        }
        register(&mut registry, OUTBOX_QUEUE_ACTIONS, &family);
        let Some(stats) = &self.outbox else {
            return registry;
        };
        let gauge = |value: i64| {
            let g: Gauge = Gauge::default();
            g.set(value);
            g
        };
        register(&mut registry, OUTBOX_DEPTH, &gauge(stats.depth as i64));
        let age: Gauge<f64, std::sync::atomic::AtomicU64> = Gauge::default();
        age.set(stats.oldest_pending_age.map_or(0.0, |d| d.as_secs_f64()));
        register(&mut registry, OUTBOX_OLDEST_AGE, &age);
        register(
            &mut registry,
            OUTBOX_DEAD_LETTERS,
            &gauge(stats.dead_letters as i64),
        );
        let duplicates: Counter = Counter::default();
        duplicates.inc_by(stats.duplicates);
        register(&mut registry, DUPLICATE_EVENTS, &duplicates);
        let evicted: Counter = Counter::default();
        evicted.inc_by(stats.dedupe_evicted);
        register(&mut registry, DEDUPE_EVICTED_EVENTS, &evicted);
        for (def, n) in [
            (OUTBOX_COMMITS, stats.record_commits),
            (OUTBOX_COMMITTED_RECORDS, stats.committed_records),
        ] {
            let counter: Counter = Counter::default();
            counter.inc_by(n);
            register(&mut registry, def, &counter);
        }
        type Read = fn(&glue_rules_dispatch::KindStats) -> u64;
        let by_kind: [(MetricDef, Read); 4] = [
            (ACTIONS_SENT, |k| k.sent),
            (ACTIONS_RETRIED, |k| k.retried),
            (ACTIONS_FAILED, |k| k.failed),
            (ACTIONS_DEAD_LETTERED, |k| k.dead_lettered),
        ];
        for (def, read) in by_kind {
            let family = Family::<TypeLabels, Counter>::default();
            for kind in &stats.by_kind {
                family
                    .get_or_create(&TypeLabels { r#type: kind.kind })
                    .inc_by(read(kind));
            }
            register(&mut registry, def, &family);
        }
        registry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intake_counters_render_typed_labels_with_the_total_suffix() {
        let metrics = Metrics::new();
        metrics.intake(IntakeSource::Http, IntakeOutcome::Accepted, 2);
        metrics.reload(ReloadOutcome::Partial);
        let text = metrics.render(&Scrape {
            active: 2,
            ..Scrape::default()
        });
        assert!(
            text.contains("# TYPE glue_rules_intake_events counter"),
            "{text}"
        );
        assert!(
            text.contains("glue_rules_intake_events_total{source=\"http\",outcome=\"accepted\"} 2"),
            "{text}"
        );
        assert!(text.contains("glue_rules_reloads_total{outcome=\"partial\"} 1"));
        assert!(text.contains("glue_rules_plugins{status=\"active\"} 2"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn every_rendered_family_is_in_the_catalogue_with_its_type() {
        let metrics = Metrics::new();
        metrics.intake(IntakeSource::Sqs, IntakeOutcome::Overloaded, 1);
        let text = metrics.render(&Scrape {
            outbox: Some(StatsSnapshot {
                depth: 1,
                oldest_pending_age: None,
                dead_letters: 0,
                duplicates: 3,
                dedupe_evicted: 0,
                record_commits: 0,
                committed_records: 0,
                by_kind: Vec::new(),
            }),
            ..Scrape::default()
        });
        for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
            let mut parts = line["# TYPE ".len()..].split(' ');
            let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
            let def = CATALOGUE
                .iter()
                .find(|d| d.name == name)
                .unwrap_or_else(|| panic!("{name} is not in the catalogue"));
            assert_eq!(def.kind.as_str(), kind, "{name}");
        }
    }
}
