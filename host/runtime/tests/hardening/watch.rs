//! What a watched plugins directory costs between changes: a file is read again only when it
//! changes, a failure stands until a try succeeds, and a plugin kept out by another file's
//! name enters as soon as the name is free.

use std::path::Path;
use std::time::{Duration, SystemTime};

use glue_rules_runtime::config::{RawPlugin, RawRuntimeSection, RuntimeConfig};
use glue_rules_runtime::registry::PluginSources;
use glue_rules_runtime::reload::{FileStatus, Reloader};
use glue_rules_runtime::runtime::{Runtime, RuntimeOptions};

use super::{impostor_of, sns, write};

fn reloader(dir: &Path, plugins: &str) -> Reloader {
    let plugins: std::collections::BTreeMap<String, RawPlugin> =
        toml::from_str(plugins).expect("valid tables");
    let config = RuntimeConfig::from_raw(
        RawRuntimeSection {
            plugins_dir: Some(dir.to_owned()),
            plugins,
            ..RawRuntimeSection::default()
        },
        dir,
    )
    .expect("a valid configuration");
    Reloader::new(
        Runtime::new(RuntimeOptions::default()).unwrap(),
        config,
        PluginSources::default(),
    )
}

fn status<'a>(statuses: &'a [FileStatus], file: &str) -> &'a FileStatus {
    statuses
        .iter()
        .find(|s| s.path.ends_with(file))
        .unwrap_or_else(|| panic!("no status for {file}"))
}

/// Gives `path` another modification time, as `touch` does, without changing its bytes.
fn touch(path: &Path, seconds: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(seconds))
        .unwrap();
}

#[test]
fn a_disabled_plugin_is_not_reloaded_on_every_scan() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "sns.wasm", &sns());
    let mut reloader = reloader(tmp.path(), "[sns-on-failure]\nenabled = false\n");
    let (set, report) = reloader.reload().unwrap();
    assert!(set.is_empty() && report.is_noop(), "{report:?}");
    assert!(
        !reloader.changed_on_disk(),
        "nothing changed since the scan"
    );
    assert!(status(&reloader.statuses(), "sns.wasm").disabled);
    // A change of the file is still noticed.
    touch(&tmp.path().join("sns.wasm"), 10);
    assert!(reloader.changed_on_disk());
}

#[test]
fn touching_a_file_whose_new_version_failed_keeps_the_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), "sns.wasm", &sns());
    let mut reloader = reloader(tmp.path(), "");
    let (set, _) = reloader.reload().unwrap();
    assert_eq!(set.len(), 1);

    std::fs::write(&path, b"\0asm\x0d\0\x01\0 broken").unwrap();
    touch(&path, 10);
    let (set, report) = reloader.reload().unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(
        set.get("sns-on-failure").is_some(),
        "the old version serves"
    );
    let failure = status(&reloader.statuses(), "sns.wasm").error.clone();
    assert!(failure.is_some());

    // Touched, not changed: tried again, and the failure stands.
    touch(&path, 20);
    assert!(reloader.changed_on_disk());
    let (set, report) = reloader.reload().unwrap();
    assert_eq!(report.failed.len(), 1, "retried: {report:?}");
    assert!(
        set.get("sns-on-failure").is_some(),
        "the old version still serves"
    );
    assert_eq!(status(&reloader.statuses(), "sns.wasm").error, failure);
    assert!(!reloader.changed_on_disk(), "not retried on the next scan");
}

#[test]
fn a_file_kept_out_by_a_duplicate_name_serves_once_the_name_is_free() {
    let tmp = tempfile::tempdir().unwrap();
    let first = write(tmp.path(), "a.wasm", &sns());
    // Other bytes, the same name; sorted after a.wasm, so a.wasm takes the name.
    write(tmp.path(), "b.wasm", &impostor_of(&sns()));
    let mut reloader = reloader(tmp.path(), "");
    let (set, report) = reloader.reload().unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(
        report.failed[0].path.ends_with("b.wasm")
            && report.failed[0].error.contains("already has the name"),
        "{report:?}"
    );
    let statuses = reloader.statuses();
    assert!(status(&statuses, "b.wasm").plugin.is_none());
    assert!(status(&statuses, "b.wasm").error.is_some());

    // A reload with nothing changed does not report the conflict again.
    let (_, report) = reloader.reload().unwrap();
    assert!(report.is_noop(), "{report:?}");

    std::fs::remove_file(&first).unwrap();
    assert!(reloader.changed_on_disk());
    let (set, report) = reloader.reload().unwrap();
    assert!(
        report.added.iter().any(|p| p.ends_with("b.wasm")),
        "{report:?}"
    );
    let serving = set
        .get("sns-on-failure")
        .expect("b.wasm serves the name now");
    assert!(
        serving.info().path.ends_with("b.wasm"),
        "{:?}",
        serving.info().path
    );
    let statuses = reloader.statuses();
    assert!(status(&statuses, "b.wasm").plugin.is_some());
    assert!(status(&statuses, "b.wasm").error.is_none());
}
