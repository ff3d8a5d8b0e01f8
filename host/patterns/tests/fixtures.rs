//! The AWS documentation's Glue events (`examples/events/aws-docs`, or the directory
//! in `GLUE_FIXTURES_DIR`) against the example plugins' patterns.

use std::path::PathBuf;

use glue_rules_patterns::{Pattern, PatternSetBuilder};
use serde_json::Value;

const SUCCEEDED: &str = r#"{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["SUCCEEDED"]}}"#;
const FAILED: &str = r#"{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["FAILED","TIMEOUT","STOPPED"]}}"#;

fn fixtures_dir() -> PathBuf {
    std::env::var_os("GLUE_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/events/aws-docs")
        })
}

fn fixtures() -> Vec<(String, String, Value)> {
    let dir = fixtures_dir();
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list fixtures in {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let value: Value = serde_json::from_str(&text).unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                text,
                value,
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 14,
        "expected the 14 AWS doc fixtures in {}",
        dir.display()
    );
    out
}

fn matching(pattern: &str) -> Vec<String> {
    let p = Pattern::parse(pattern).unwrap();
    fixtures()
        .into_iter()
        .filter(|(_, _, v)| p.matches(v))
        .map(|(name, _, _)| name)
        .collect()
}

#[test]
fn succeeded_pattern_matches_only_the_successful_run() {
    assert_eq!(matching(SUCCEEDED), vec!["successful-job-run.json"]);
}

#[test]
fn failed_pattern_matches_failed_timeout_and_stopped() {
    assert_eq!(
        matching(FAILED),
        vec![
            "failed-job-run.json",
            "stopped-job-run.json",
            "timeout.json"
        ]
    );
}

#[test]
fn pattern_set_agrees_on_every_fixture() {
    let mut b = PatternSetBuilder::new();
    b.add(0, &[SUCCEEDED]).unwrap();
    b.add(1, &[FAILED]).unwrap();
    // the Data Quality event comes from aws.glue-dataquality
    b.add(
        2,
        &[r#"{"source":[{"prefix":"aws.glue"}],"detail":{"score":[{"numeric":["<=",1]}]}}"#],
    )
    .unwrap();
    // crawler counters are strings, and "runningTime (sec)" is a real key
    b.add(
        3,
        &[r#"{"detail":{"runningTime (sec)":["7"],"tablesCreated":["0"]}}"#],
    )
    .unwrap();
    // catalog events: resources arrays and array values
    b.add(4, &[r#"{"resources":[{"wildcard":"arn:aws:glue:*:table/d1/*"}],"detail":{"changedTables":["t1"]}}"#])
        .unwrap();
    // Glue Job Run Status carries notificationCondition.NotifyDelayAfter
    b.add(5, &[r#"{"detail-type":["Glue Job Run Status"],"detail":{"notificationCondition":{"NotifyDelayAfter":[{"numeric":[">=",1]}]},"state":[{"anything-but":["STOPPING"]}]}}"#])
        .unwrap();
    let set = b.build();
    let expect = |name: &str| -> Vec<usize> {
        match name {
            "successful-job-run.json" => vec![0],
            "failed-job-run.json" | "stopped-job-run.json" | "timeout.json" => vec![1],
            "data-quality-evaluation-results-available.json" => vec![2],
            "crawler-succeeded.json" => vec![3],
            "database-state-change-create-table.json" => vec![4],
            "job-run-is-in-running-state.json" | "job-run-is-in-starting-state.json" => vec![5],
            _ => vec![],
        }
    };
    let mut out = Vec::new();
    for (name, _text, value) in fixtures() {
        set.candidates(&value, &mut out);
        assert_eq!(out, expect(&name), "{name}");
    }
}

#[test]
fn explain_on_fixtures() {
    let p = Pattern::parse(SUCCEEDED).unwrap();
    let (_, _, failed) = fixtures()
        .into_iter()
        .find(|(n, _, _)| n == "failed-job-run.json")
        .unwrap();
    assert_eq!(
        p.explain(&failed).to_string(),
        r#"no match: `detail.state`: expected ["SUCCEEDED"], found "FAILED""#
    );
    let (_, _, crawler) = fixtures()
        .into_iter()
        .find(|(n, _, _)| n == "crawler-failed.json")
        .unwrap();
    assert_eq!(
        p.explain(&crawler).to_string(),
        r#"no match: `detail-type`: expected ["Glue Job State Change"], found "Glue Crawler State Change""#
    );
}
