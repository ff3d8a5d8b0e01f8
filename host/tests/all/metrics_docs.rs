//! The metrics table in `docs/serve.md` is the truth about `/metrics`: every documented family
//! is exported with the documented type, and nothing is exported undocumented.

use std::collections::BTreeMap;
use std::time::Duration;

use glue_rules::dispatch::{KindStats, StatsSnapshot};
use glue_rules::metrics::{CATALOGUE, IntakeOutcome, IntakeSource, Metrics, Scrape};

/// `name -> type` from the table after the `metrics-table` marker.
fn documented() -> BTreeMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/serve.md");
    let text = std::fs::read_to_string(path).expect("docs/serve.md");
    let table = text
        .split("<!-- metrics-table")
        .nth(1)
        .expect("docs/serve.md has the metrics-table marker");
    table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_owned(), cells.get(2)?.to_string()))
        })
        .collect()
}

/// `name -> type` from the `# TYPE` lines of a full exposition (outbox included).
fn exported() -> BTreeMap<String, String> {
    let metrics = Metrics::new();
    metrics.intake(IntakeSource::Http, IntakeOutcome::Accepted, 1);
    let scrape = Scrape {
        active: 1,
        outbox: Some(StatsSnapshot {
            depth: 2,
            oldest_pending_age: Some(Duration::from_secs(3)),
            dead_letters: 0,
            duplicates: 1,
            dedupe_evicted: 0,
            record_commits: 0,
            committed_records: 0,
            by_kind: vec![KindStats {
                kind: "sns",
                queued: 1,
                sent: 1,
                retried: 0,
                failed: 0,
                dead_lettered: 0,
            }],
        }),
        ..Scrape::default()
    };
    metrics
        .render(&scrape)
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| {
            let (name, kind) = l.split_once(' ').expect("name and type");
            (name.to_owned(), kind.to_owned())
        })
        .collect()
}

fn catalogue() -> BTreeMap<String, String> {
    CATALOGUE
        .iter()
        .map(|d| (d.name.to_owned(), d.kind.as_str().to_owned()))
        .collect()
}

#[test]
fn the_documented_metrics_are_the_catalogue_with_the_same_types() {
    let documented = documented();
    assert!(!documented.is_empty());
    assert_eq!(documented, catalogue());
}

#[test]
fn every_exported_family_is_in_the_catalogue_with_its_type() {
    // Families without a sample yet (per-plugin ones, before any evaluation) are not printed;
    // `serve::metrics_count_*` checks them against the real binary after traffic, and
    // `.ci/container` checks every documented family in the running image's /metrics.
    let catalogue = catalogue();
    let exported = exported();
    assert!(exported.len() >= 10, "{exported:?}");
    for (name, kind) in &exported {
        assert_eq!(catalogue.get(name), Some(kind), "{name}");
    }
}
