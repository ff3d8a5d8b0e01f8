//! Prometheus metrics in the text exposition format, kept by hand: a handful of counter and
//! histogram families with labels do not justify a metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use crate::engine::EventOutcome;
use crate::plugin::ErrorKind;

/// Upper bounds of the evaluation latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.025, 0.1,
    1.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bucket, bound) in self.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Families {
    counters: BTreeMap<&'static str, BTreeMap<Labels, u64>>,
    histograms: BTreeMap<&'static str, BTreeMap<Labels, Histogram>>,
}

/// What a metric means, for the `# HELP` line.
fn help(name: &str) -> &'static str {
    match name {
        "glue_rules_evaluations_total" => "Plugin evaluations, by plugin.",
        "glue_rules_matches_total" => "Evaluations whose decision matched, by plugin.",
        "glue_rules_evaluation_errors_total" => "Failed evaluations, by plugin and error kind.",
        "glue_rules_limit_hits_total" => {
            "Evaluations stopped by a sandbox limit, by plugin and limit."
        }
        "glue_rules_actions_total" => "Actions emitted by matched decisions, by plugin and type.",
        "glue_rules_intake_events_total" => "Events received, by source and outcome.",
        "glue_rules_reloads_total" => "Plugin set reloads, by outcome.",
        "glue_rules_evaluation_duration_seconds" => "Time of one plugin evaluation, by plugin.",
        _ => "",
    }
}

/// The process's metrics. Cheap to update from many threads; rendered on scrape.
#[derive(Default)]
pub struct Metrics {
    families: Mutex<Families>,
}

impl Metrics {
    /// Adds `n` to the counter `name` with `labels`.
    pub fn add(&self, name: &'static str, labels: &[(&'static str, &str)], n: u64) {
        let labels: Labels = labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        let mut families = self.families.lock().unwrap_or_else(|p| p.into_inner());
        *families
            .counters
            .entry(name)
            .or_default()
            .entry(labels)
            .or_default() += n;
    }

    /// Counts one event at intake: `source` is `http` or `sqs`, `outcome` what became of it.
    pub fn intake(&self, source: &str, outcome: &str, n: u64) {
        self.add(
            "glue_rules_intake_events_total",
            &[("source", source), ("outcome", outcome)],
            n,
        );
    }

    /// Records every plugin's outcome for one event.
    pub fn observe(&self, outcome: &EventOutcome) {
        let mut families = self.families.lock().unwrap_or_else(|p| p.into_inner());
        for o in &outcome.outcomes {
            let plugin = o.plugin.name().to_owned();
            let by_plugin: Labels = vec![("plugin", plugin.clone())];
            let mut count = |name: &'static str, labels: Labels| {
                *families
                    .counters
                    .entry(name)
                    .or_default()
                    .entry(labels)
                    .or_default() += 1;
            };
            count("glue_rules_evaluations_total", by_plugin.clone());
            match &o.result {
                Ok(decision) => {
                    if decision.matched {
                        count("glue_rules_matches_total", by_plugin.clone());
                    }
                    for action in &decision.actions {
                        count(
                            "glue_rules_actions_total",
                            vec![
                                ("plugin", plugin.clone()),
                                ("type", action.kind().to_owned()),
                            ],
                        );
                    }
                }
                Err(e) => {
                    count(
                        "glue_rules_evaluation_errors_total",
                        vec![
                            ("plugin", plugin.clone()),
                            ("kind", e.kind.as_str().to_owned()),
                        ],
                    );
                    let limit = match e.kind {
                        ErrorKind::Timeout => Some("time"),
                        ErrorKind::OutOfFuel => Some("fuel"),
                        ErrorKind::Memory => Some("memory"),
                        ErrorKind::StackOverflow => Some("stack"),
                        ErrorKind::InvalidOutput => Some("output"),
                        _ => None,
                    };
                    if let Some(limit) = limit {
                        count(
                            "glue_rules_limit_hits_total",
                            vec![("plugin", plugin.clone()), ("limit", limit.to_owned())],
                        );
                    }
                }
            }
            families
                .histograms
                .entry("glue_rules_evaluation_duration_seconds")
                .or_default()
                .entry(by_plugin)
                .or_default()
                .observe(o.elapsed.as_secs_f64());
        }
    }

    /// Renders every family, plus the `extra` gauges given by the caller (plugin counts,
    /// outbox depth, ...), in the Prometheus text format.
    pub fn render(&self, extra: &[Gauge]) -> String {
        let families = self.families.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        for (name, series) in &families.counters {
            let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} counter", help(name));
            for (labels, value) in series {
                let _ = writeln!(out, "{name}{} {value}", format_labels(labels, None));
            }
        }
        for (name, series) in &families.histograms {
            let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} histogram", help(name));
            for (labels, h) in series {
                for (bound, count) in LATENCY_BUCKETS.iter().zip(h.buckets) {
                    let le = format!("{bound}");
                    let _ = writeln!(
                        out,
                        "{name}_bucket{} {count}",
                        format_labels(labels, Some(&le))
                    );
                }
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {}",
                    format_labels(labels, Some("+Inf")),
                    h.count
                );
                let _ = writeln!(out, "{name}_sum{} {}", format_labels(labels, None), h.sum);
                let _ = writeln!(
                    out,
                    "{name}_count{} {}",
                    format_labels(labels, None),
                    h.count
                );
            }
        }
        let mut last = "";
        for gauge in extra {
            if gauge.name != last {
                let _ = writeln!(
                    out,
                    "# HELP {} {}\n# TYPE {} gauge",
                    gauge.name, gauge.help, gauge.name
                );
                last = gauge.name;
            }
            let labels: Labels = gauge.labels.iter().map(|(k, v)| (*k, v.clone())).collect();
            let _ = writeln!(
                out,
                "{}{} {}",
                gauge.name,
                format_labels(&labels, None),
                gauge.value
            );
        }
        out
    }
}

/// A value read at scrape time.
#[derive(Debug, Clone)]
pub struct Gauge {
    /// Metric name.
    pub name: &'static str,
    /// Its `# HELP` text.
    pub help: &'static str,
    /// Its labels.
    pub labels: Vec<(&'static str, String)>,
    /// Its value.
    pub value: f64,
}

fn format_labels(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_help_type_and_escaped_labels() {
        let metrics = Metrics::default();
        metrics.intake("http", "accepted", 2);
        metrics.add("glue_rules_reloads_total", &[("outcome", "a\"b")], 1);
        let text = metrics.render(&[Gauge {
            name: "glue_rules_plugins",
            help: "Plugins by status.",
            labels: vec![("status", "active".into())],
            value: 2.0,
        }]);
        assert!(text.contains("# TYPE glue_rules_intake_events_total counter"));
        assert!(
            text.contains("glue_rules_intake_events_total{source=\"http\",outcome=\"accepted\"} 2")
        );
        assert!(text.contains("glue_rules_reloads_total{outcome=\"a\\\"b\"} 1"));
        assert!(text.contains("glue_rules_plugins{status=\"active\"} 2"));
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = Histogram::default();
        h.observe(0.000_003);
        h.observe(0.002);
        assert_eq!(h.buckets[0], 1);
        assert_eq!(h.buckets[LATENCY_BUCKETS.len() - 1], 2);
        assert_eq!(h.count, 2);
    }
}
