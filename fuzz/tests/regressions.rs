//! Every seed (`corpus/<target>/`) and every kept crash or timeout input (`regressions/<target>/`)
//! through its target's checks, without libFuzzer: `cargo test --manifest-path fuzz/Cargo.toml`.

use std::path::Path;
use std::time::{Duration, Instant};

/// A regression that used to time out must now finish well inside libFuzzer's -timeout=10.
const SLOW: Duration = Duration::from_secs(10);

fn run_dir(target: &str, check: fn(&[u8]), dir: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut paths: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    for path in &paths {
        let data = std::fs::read(path).unwrap();
        let start = Instant::now();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target} panics on {}", path.display());
        let took = start.elapsed();
        assert!(took < SLOW, "{target} took {took:?} on {}", path.display());
    }
    paths.len()
}

#[test]
fn regressions_pass() {
    for &(target, check) in glue_rules_fuzz::TARGETS {
        run_dir(target, check, "regressions");
    }
}

#[test]
fn seeds_pass() {
    for &(target, check) in glue_rules_fuzz::TARGETS {
        assert!(
            run_dir(target, check, "corpus") > 0,
            "no seeds for {target}"
        );
    }
}
