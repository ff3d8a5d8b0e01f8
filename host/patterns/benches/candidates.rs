//! Candidate lookup on a mixed Glue event stream with 10 to 10,000 plugins' patterns.
//!
//! Events: the AWS documentation fixtures (`examples/events/aws-docs`, or
//! `GLUE_FIXTURES_DIR`) with varied job, crawler, table and database names, states and numbers.
//! Plugins: mostly one job or crawler each (as deployments have), some by name prefix or
//! wildcard, some numeric, `$or`, `anything-but`, `equals-ignore-case`, plus a few broad ones.
//! With N plugins the stream has N job/crawler/table names, so the share of plugins that care
//! about an event, and the number of matches per event (~0.3-0.5), stay the same at every size:
//! what grows is only the number of plugins the index must not look at.
//!
//! The stream cycles through 256 distinct events, so an event is in cache as it is right after
//! the host parsed it; the index and the patterns are not.
//!
//! Reference points: the host's own `serde_json` parse of the event, parse + lookup, a plain
//! scan of every plugin (up to 1,000), and, with `--features quamina-reference`, quamina 0.7
//! matching the event text against the same patterns (the measurement behind the crate's choice
//! of its own index; see the crate docs).
//!
//! `cargo bench -p glue-rules-patterns -- --warm-up-time 1 --measurement-time 3`
//! `cargo bench -p glue-rules-patterns --features quamina-reference -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glue_rules_patterns::{Pattern, PatternSet, PatternSetBuilder};
use serde_json::{Value, json};

const COUNTS: &[usize] = &[10, 100, 1_000, 10_000];
const STREAM: usize = 256;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}

fn fixtures() -> Vec<(String, Value)> {
    let dir = std::env::var_os("GLUE_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/events/aws-docs")
        });
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list fixtures in {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn job(i: usize) -> String {
    format!("team-{}-etl-{i}-daily", i % 17)
}

/// The stream: events drawn from the fixtures with names from a pool of `pool` jobs, crawlers,
/// tables; job state changes are the most common, as in a real Glue account.
fn stream(fixtures: &[(String, Value)], pool: usize, rng: &mut Rng) -> Vec<(String, Value)> {
    let get = |n: &str| fixtures.iter().find(|(k, _)| k == n).unwrap().1.clone();
    let kinds = [
        ("successful-job-run", 30),
        ("failed-job-run", 10),
        ("timeout", 4),
        ("stopped-job-run", 4),
        ("job-run-is-in-running-state", 12),
        ("job-run-is-in-starting-state", 6),
        ("job-run-is-in-stopping-state", 4),
        ("crawler-started", 8),
        ("crawler-succeeded", 8),
        ("crawler-failed", 3),
        ("table-state-change-glue-guide", 4),
        ("aws-glue-data-catalog-table-state-change", 2),
        ("database-state-change-create-table", 2),
        ("data-quality-evaluation-results-available", 3),
    ];
    let total: usize = kinds.iter().map(|k| k.1).sum();
    (0..STREAM)
        .map(|_| {
            let mut x = rng.below(total);
            let kind = kinds.iter().find(|k| {
                let hit = x < k.1;
                x = x.saturating_sub(k.1);
                hit
            });
            let kind = kind.unwrap().0;
            let mut ev = get(kind);
            let n = rng.below(pool);
            let d = &mut ev["detail"];
            if d.get("jobName").is_some() {
                d["jobName"] = json!(job(n));
            }
            if d.get("crawlerName").is_some() {
                d["crawlerName"] = json!(format!("crawler-{n}"));
            }
            if d.get("tableName").is_some() {
                d["tableName"] = json!(format!("table-{n}"));
                d["databaseName"] = json!(format!("db-{}", n % 50));
            }
            if let Some(ctx) = d.get_mut("context") {
                ctx["tableName"] = json!(format!("table-{n}"));
                d["score"] = json!(rng.below(101) as f64 / 100.0);
            }
            if let Some(nc) = d.get_mut("notificationCondition") {
                nc["NotifyDelayAfter"] = json!(rng.below(120));
            }
            (ev.to_string(), ev)
        })
        .collect()
}

/// Patterns for plugin `i` of `n`.
fn plugin_patterns(i: usize, pool: usize, rng: &mut Rng) -> Vec<String> {
    // a few broad plugins in every deployment
    match i {
        0 => return vec![json!({"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["FAILED","TIMEOUT"]}}).to_string()],
        1 => return vec![json!({"source":["aws.glue"],"detail-type":["Glue Crawler State Change"],"detail":{"state":["Failed"]}}).to_string()],
        2 => return vec![json!({"source":["aws.glue-dataquality"],"detail":{"score":[{"numeric":["<",0.5]}]}}).to_string()],
        _ => {}
    }
    let n = rng.below(pool);
    let states = ["SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED"];
    let p = match rng.below(100) {
        0..=39 => json!({"source":["aws.glue"],"detail-type":["Glue Job State Change"],
            "detail":{"jobName":[job(n)],"state":[states[rng.below(4)], states[rng.below(4)]]}}),
        40..=49 => json!({"source":["aws.glue"],"detail-type":["Glue Job State Change"],
            "detail":{"jobName":[{"prefix":format!("team-{}-etl-{n}", n % 17)}],"state":["FAILED"]}}),
        50..=53 => json!({"detail-type":["Glue Job State Change"],
            "detail":{"jobName":[{"wildcard":format!("team-{}-etl-{n}-*ly", n % 17)}]}}),
        54..=57 => json!({"detail-type":["Glue Job State Change"],
            "detail":{"jobName":[{"wildcard":format!("*-etl-{n}-daily")}],"state":["FAILED","TIMEOUT"]}}),
        58..=69 => json!({"source":["aws.glue"],"detail-type":["Glue Crawler State Change"],
            "detail":{"crawlerName":[format!("crawler-{n}")],"state":["Failed","Succeeded"]}}),
        70..=79 => json!({"source":["aws.glue"],"detail-type":["Glue Job Run Status"],
            "detail":{"jobName":[job(n)],"notificationCondition":{"NotifyDelayAfter":[{"numeric":[">=",rng.below(100)]}]}}}),
        80..=84 => json!({"source":["aws.glue-dataquality"],
            "detail":{"context":{"tableName":[format!("table-{n}")]},"score":[{"numeric":["<",0.9]}]}}),
        85..=89 => {
            json!({"detail-type":[{"equals-ignore-case":"glue data catalog table state change"}],
            "detail":{"databaseName":[format!("db-{}", n % 50)],"tableName":[format!("table-{n}")]}})
        }
        90..=94 => json!({"source":["aws.glue"],"detail":{"jobName":[job(n)],
            "$or":[{"state":["FAILED"]},{"severity":["ERROR","WARN"]}]}}),
        _ => json!({"source":["aws.glue"],"detail":{"jobName":[job(n)],
            "state":[{"anything-but":["RUNNING","STARTING","STOPPING"]}]}}),
    };
    vec![p.to_string()]
}

struct Setup {
    set: PatternSet,
    events: Vec<(String, Value)>,
    patterns: Vec<(usize, Vec<Pattern>)>,
    /// The same plugins' patterns in quamina (those it accepts: no `$or`), for reference.
    #[cfg(feature = "quamina-reference")]
    quamina: quamina::Quamina<u32>,
}

fn setup(n: usize, fixtures: &[(String, Value)]) -> Setup {
    let mut rng = Rng(0x243f_6a88_85a3_08d3 ^ n as u64);
    let pool = n;
    let mut b = PatternSetBuilder::new();
    let mut patterns = Vec::new();
    for i in 0..n {
        let texts = plugin_patterns(i, pool, &mut rng);
        b.add(i, &texts).unwrap();
        patterns.push((i, texts));
    }
    let t = Instant::now();
    let set = b.build();
    let build = t.elapsed();
    let events = stream(fixtures, pool, &mut rng);
    let mut out = Vec::new();
    let mut total = 0;
    for (_, ev) in &events {
        set.candidates(ev, &mut out);
        total += out.len();
    }
    eprintln!(
        "{n:>6} plugins: build {build:?}, {:?}, {:.2} matching plugins per event",
        set.stats(),
        total as f64 / events.len() as f64,
    );
    #[cfg(feature = "quamina-reference")]
    let quamina = {
        let mut q = quamina::QuaminaBuilder::<u32>::new()
            .with_arena_byte_budget(1 << 31)
            .build()
            .unwrap();
        let t = Instant::now();
        let mut rejected = 0;
        for (i, texts) in &patterns {
            for t in texts {
                if q.add_pattern(*i as u32, t).is_err() {
                    rejected += 1;
                }
            }
        }
        q.matches_for_event(b"{}").unwrap();
        eprintln!(
            "{n:>6} plugins in quamina: build {:?}, {rejected} patterns rejected ($or), {} MB",
            t.elapsed(),
            q.matcher_stats().bytes >> 20
        );
        q
    };
    Setup {
        set,
        events,
        patterns: patterns
            .into_iter()
            .map(|(i, texts)| {
                (
                    i,
                    texts.iter().map(|t| Pattern::parse(t).unwrap()).collect(),
                )
            })
            .collect(),
        #[cfg(feature = "quamina-reference")]
        quamina,
    }
}

fn bench(c: &mut Criterion) {
    let fixtures = fixtures();
    let setups: Vec<(usize, Setup)> = COUNTS.iter().map(|&n| (n, setup(n, &fixtures))).collect();

    let mut g = c.benchmark_group("candidates");
    g.throughput(Throughput::Elements(1));
    for (n, s) in &setups {
        g.bench_with_input(BenchmarkId::from_parameter(n), s, |b, s| {
            let mut out = Vec::with_capacity(16);
            let mut i = 0;
            b.iter(|| {
                let ev = &s.events[i % STREAM].1;
                i += 1;
                s.set.candidates(black_box(ev), &mut out);
                out.len()
            });
        });
    }
    g.finish();

    // Reference points: what the host pays anyway to parse the event, and a plain scan.
    let mut g = c.benchmark_group("reference");
    g.throughput(Throughput::Elements(1));
    let s = &setups[0].1;
    g.bench_function("serde_json_parse_event", |b| {
        let mut i = 0;
        b.iter(|| {
            let raw = &s.events[i % STREAM].0;
            i += 1;
            serde_json::from_str::<Value>(black_box(raw)).unwrap()
        });
    });
    let s = &setups[setups.len() - 1].1;
    g.bench_function("parse_then_candidates_10000", |b| {
        let mut out = Vec::with_capacity(16);
        let mut i = 0;
        b.iter(|| {
            let raw = &s.events[i % STREAM].0;
            i += 1;
            let ev: Value = serde_json::from_str(black_box(raw)).unwrap();
            s.set.candidates(&ev, &mut out);
            out.len()
        });
    });
    #[cfg(feature = "quamina-reference")]
    for (n, s) in &setups {
        g.bench_with_input(BenchmarkId::new("quamina_on_text", n), s, |b, s| {
            let mut i = 0;
            b.iter(|| {
                let raw = &s.events[i % STREAM].0;
                i += 1;
                s.quamina
                    .matches_for_event(black_box(raw.as_bytes()))
                    .unwrap()
                    .len()
            });
        });
    }
    for (n, s) in setups.iter().filter(|(n, _)| *n <= 1_000) {
        g.bench_with_input(BenchmarkId::new("scan_every_plugin", n), s, |b, s| {
            let mut i = 0;
            b.iter(|| {
                let ev = &s.events[i % STREAM].1;
                i += 1;
                s.patterns
                    .iter()
                    .filter(|(_, ps)| ps.iter().any(|p| p.matches(black_box(ev))))
                    .count()
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
