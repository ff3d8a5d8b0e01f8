use std::time::Instant;
use quamina::{Quamina, MatcherBuildMode};
use serde_json::json;

fn job(i: usize) -> String { format!("team-{}-etl-{i}-daily", i % 17) }

fn run(kind: &str, n: usize, mode: MatcherBuildMode) {
    let mut q = quamina::QuaminaBuilder::<u32>::new().with_arena_byte_budget(1 << 30).build().unwrap();
    q.set_matcher_build_mode(mode);
    let t = Instant::now();
    let mut failed = 0;
    for i in 0..n {
        let p = match kind {
            "exact" => json!({"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"jobName":[job(i)],"state":["FAILED","SUCCEEDED"]}}),
            "prefix" => json!({"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"jobName":[{"prefix":format!("team-{}-etl-{}", i % 17, i % 100)}],"state":["FAILED"]}}),
            "wildcard" => json!({"detail-type":["Glue Job State Change"],"detail":{"jobName":[{"wildcard":format!("team-*-etl-{i}-*")}]}}),
            "wildcard2" => json!({"detail-type":["Glue Job State Change"],"detail":{"jobName":[{"wildcard":format!("team-{}-etl-{i}-*ly", i%17)}]}}),
            "job_only" => json!({"detail":{"jobName":[job(i)]}}),
            "job_state" => json!({"detail":{"jobName":[job(i)],"state":["FAILED","SUCCEEDED"]}}),
            "src_job" => json!({"source":["aws.glue"],"detail":{"jobName":[job(i)]}}),
            "dt_job" => json!({"detail-type":["Glue Job State Change"],"detail":{"jobName":[job(i)]}}),
            _ => unreachable!(),
        };
        if q.add_pattern(i as u32, &p.to_string()).is_err() { failed += 1; }
    }
    let build = t.elapsed();
    q.matches_for_event(b"{}").unwrap();
    eprintln!("stats {:?}", q.matcher_stats());
    let evs: Vec<String> = (0..256).map(|k| json!({"version":"0","id":"abc","detail-type":"Glue Job State Change","source":"aws.glue","account":"1","time":"t","region":"r","resources":[],"detail":{"jobName":job((k*7919) % n.max(50)),"severity":"INFO","state":"FAILED","jobRunId":"jr_abc","message":"Job run failed"}}).to_string()).collect();
    for e in &evs { q.matches_for_event(e.as_bytes()).unwrap(); }
    let t = Instant::now();
    let mut hits = 0;
    let iters: usize = std::env::var("ITERS").map(|s| s.parse().unwrap()).unwrap_or(20000);
    for k in 0..iters { hits += q.matches_for_event(evs[k % 256].as_bytes()).unwrap().len(); }
    let per = t.elapsed() / iters as u32;
    eprintln!("{kind:10} {mode:?} n={n:6} build={build:?} failed={failed} per_event={per:?} hits/ev={:.2}", hits as f64 / iters as f64);
}

#[test]
fn probe() {
    let kind = std::env::var("KIND").unwrap_or("job_only".into());
    let n: usize = std::env::var("N").map(|s| s.parse().unwrap()).unwrap_or(1000);
    run(&kind, n, MatcherBuildMode::BuiltForComfort);
}
