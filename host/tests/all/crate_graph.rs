//! The house stays one-way: the crate graph, read from `cargo metadata`, has no cycle, and the
//! crates below the top never reach each other or the heavy dependencies they must not carry.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Workspace package name -> the names of its normal (non-dev) dependencies.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let mut graph = BTreeMap::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let deps = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().expect("a name").to_owned())
            .collect();
        graph.insert(package["name"].as_str().expect("a name").to_owned(), deps);
    }
    graph
}

/// Everything `name` depends on within the workspace, transitively.
fn reach(graph: &BTreeMap<String, BTreeSet<String>>, name: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_owned()];
    while let Some(next) = todo.pop() {
        for dep in graph.get(&next).into_iter().flatten() {
            if graph.contains_key(dep) && seen.insert(dep.clone()) {
                todo.push(dep.clone());
            }
        }
    }
    seen
}

#[test]
fn no_workspace_crate_depends_on_itself_through_others() {
    let graph = graph();
    for name in graph.keys() {
        assert!(
            !reach(&graph, name).contains(name),
            "{name} is part of a dependency cycle"
        );
    }
}

#[test]
fn runtime_and_dispatch_never_depend_on_each_other() {
    let graph = graph();
    assert!(!reach(&graph, "glue-rules-runtime").contains("glue-rules-dispatch"));
    assert!(!reach(&graph, "glue-rules-dispatch").contains("glue-rules-runtime"));
    for lower in [
        "glue-rules-core",
        "glue-rules-runtime",
        "glue-rules-dispatch",
    ] {
        assert!(
            !reach(&graph, lower).contains("glue-rules"),
            "{lower} depends on the top crate"
        );
    }
}

#[test]
fn heavy_dependencies_live_only_in_the_crates_that_use_them() {
    let graph = graph();
    let direct = |name: &str| graph.get(name).cloned().unwrap_or_default();
    let core = direct("glue-rules-core");
    for heavy in ["wasmtime", "rusqlite", "aws-config", "tokio", "axum"] {
        assert!(!core.contains(heavy), "glue-rules-core depends on {heavy}");
    }
    let runtime = direct("glue-rules-runtime");
    for heavy in ["rusqlite", "aws-config", "aws-sdk-sns", "axum"] {
        assert!(
            !runtime.contains(heavy),
            "glue-rules-runtime depends on {heavy}"
        );
    }
    let dispatch = direct("glue-rules-dispatch");
    for heavy in ["wasmtime", "wasmtime-wasi", "axum"] {
        assert!(
            !dispatch.contains(heavy),
            "glue-rules-dispatch depends on {heavy}"
        );
    }
}
