//! A `[plugins.NAME] sha256` pin binds the name to those bytes, whichever file claims it, and
//! `require-pins` keeps every other file from being compiled or run at all.

use std::collections::BTreeMap;
use std::path::Path;

use glue_rules_runtime::config::{RawPlugin, RawRuntimeSection, RuntimeConfig};
use glue_rules_runtime::plugin::sha256_hex;
use glue_rules_runtime::registry::{PluginSet, PluginSources};
use glue_rules_runtime::reload::{ReloadReport, Reloader};
use glue_rules_runtime::runtime::{Runtime, RuntimeOptions};

use super::{impostor_of, lambda, sns, write};

/// A configuration with `plugins-dir = dir`, the given `require-pins` and `[plugins.*]` tables.
fn config(dir: &Path, require_pins: bool, plugins: &str) -> RuntimeConfig {
    let plugins: BTreeMap<String, RawPlugin> = toml::from_str(plugins).expect("valid tables");
    RuntimeConfig::from_raw(
        RawRuntimeSection {
            plugins_dir: Some(dir.to_owned()),
            require_pins: Some(require_pins),
            plugins,
            ..RawRuntimeSection::default()
        },
        dir,
    )
    .expect("a valid configuration")
}

fn reload_with(runtime: Runtime, config: RuntimeConfig) -> (PluginSet, ReloadReport) {
    Reloader::new(runtime, config, PluginSources::default())
        .reload()
        .expect("the directory lists")
}

fn reload(config: RuntimeConfig) -> (PluginSet, ReloadReport) {
    reload_with(Runtime::new(RuntimeOptions::default()).unwrap(), config)
}

fn error_for<'a>(report: &'a ReloadReport, file: &str) -> &'a str {
    report
        .failed
        .iter()
        .find(|f| f.path.ends_with(file))
        .map(|f| f.error.as_str())
        .unwrap_or_else(|| panic!("{file} did not fail: {report:?}"))
}

#[test]
fn require_pins_refuses_an_unpinned_file_before_compiling_it() {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    write(&plugins, "sns.wasm", &sns());
    // Not even a component: were it parsed or compiled, the error would say so.
    write(
        &plugins,
        "garbage.wasm",
        b"\0asm\x0d\0\x01\0 not a component at all",
    );
    let cache = tmp.path().join("cache");
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(cache.clone()),
        ..RuntimeOptions::default()
    })
    .unwrap();
    let pinned_elsewhere = sha256_hex(&lambda());
    let config = config(
        &plugins,
        true,
        &format!("[lambda-on-success]\nsha256 = \"{pinned_elsewhere}\"\n"),
    );

    let (set, report) = reload_with(runtime, config);
    assert!(set.is_empty(), "{report:?}");
    for file in ["sns.wasm", "garbage.wasm"] {
        let error = error_for(&report, file);
        assert!(
            error.contains(&plugins.join(file).display().to_string())
                && error.contains("require-pins is on")
                && error.contains("no pin matches"),
            "{error}"
        );
    }
    let garbage = error_for(&report, "garbage.wasm");
    assert!(!garbage.contains("component"), "never parsed: {garbage}");
    let compiled = std::fs::read_dir(&cache).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "cwasm")
        })
        .count()
    });
    assert_eq!(compiled, 0, "nothing was compiled");
}

#[test]
fn require_pins_loads_a_pinned_file_with_its_entrys_settings() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "sns.wasm", &sns());
    write(tmp.path(), "lambda.wasm", &lambda());
    let config = config(
        tmp.path(),
        true,
        &format!(
            "[sns-on-failure]\nsha256 = \"{}\"\n[sns-on-failure.config]\ntopic-arn = \"arn:pinned\"\n",
            sha256_hex(&sns()).to_uppercase()
        ),
    );
    let (set, report) = reload(config);
    assert_eq!(set.len(), 1, "{report:?}");
    let plugin = set.get("sns-on-failure").expect("the pinned plugin loads");
    assert_eq!(plugin.settings().config["topic-arn"], "arn:pinned");
    assert!(error_for(&report, "lambda.wasm").contains("require-pins is on"));
}

#[test]
fn a_file_claiming_a_pinned_name_with_other_bytes_is_refused_and_gets_no_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let real = sns();
    let impostor = impostor_of(&real);
    // Sorted first, so it would be the one to take the name.
    let path = write(tmp.path(), "a-impostor.wasm", &impostor);
    write(tmp.path(), "sns.wasm", &real);
    let pinned = sha256_hex(&real);
    let config = config(
        tmp.path(),
        false,
        &format!(
            "[sns-on-failure]\nsha256 = \"{pinned}\"\n[sns-on-failure.config]\ntopic-arn = \"arn:secret\"\n"
        ),
    );

    let (set, report) = reload(config);
    let error = error_for(&report, "a-impostor.wasm");
    for part in [
        path.display().to_string(),
        "\"sns-on-failure\"".to_owned(),
        pinned.clone(),
        sha256_hex(&impostor),
    ] {
        assert!(error.contains(&part), "{error} should name {part}");
    }
    assert_eq!(set.len(), 1, "{report:?}");
    let plugin = set.get("sns-on-failure").unwrap();
    assert_eq!(
        plugin.info().sha256,
        pinned,
        "the name went to the pinned bytes"
    );
    assert_eq!(plugin.settings().config["topic-arn"], "arn:secret");
}

#[test]
fn an_explicit_entry_cannot_take_a_pinned_name_with_other_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    let real = sns();
    let impostor = write(tmp.path(), "impostor.wasm", &impostor_of(&real));
    let config = config(
        &plugins,
        false,
        &format!(
            "[innocent]\npath = {:?}\n[innocent.config]\nmode = \"x\"\n\
             [sns-on-failure]\nsha256 = \"{}\"\n[sns-on-failure.config]\ntopic-arn = \"arn:secret\"\n",
            impostor.display().to_string(),
            sha256_hex(&real),
        ),
    );
    let (set, report) = reload(config);
    assert!(set.get("sns-on-failure").is_none(), "{report:?}");
    assert!(set.is_empty(), "{report:?}");
    let error = error_for(&report, "impostor.wasm");
    assert!(
        error.contains("sns-on-failure") && error.contains(&sha256_hex(&real)),
        "{error}"
    );
}

#[test]
fn bytes_pinned_for_one_name_cannot_describe_themselves_as_another() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "sns.wasm", &sns());
    let config = config(
        tmp.path(),
        true,
        &format!(
            "[lambda-on-success]\nsha256 = \"{}\"\n[lambda-on-success.config]\nfunction = \"f\"\n",
            sha256_hex(&sns())
        ),
    );
    let (set, report) = reload(config);
    assert!(set.is_empty(), "{report:?}");
    let error = error_for(&report, "sns.wasm");
    assert!(
        error.contains("pinned for \"lambda-on-success\"")
            && error.contains("describes itself as \"sns-on-failure\""),
        "{error}"
    );
}

#[test]
fn without_pins_the_directory_loads_as_before() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "sns.wasm", &sns());
    write(tmp.path(), "impostor.wasm", &impostor_of(&lambda()));
    let (set, report) = reload(config(tmp.path(), false, ""));
    assert_eq!(set.len(), 2, "{report:?}");
    assert!(report.failed.is_empty());
}
