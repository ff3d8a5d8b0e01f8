//! The compile cache runs only native code it wrote itself.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use glue_rules_runtime::plugin::{Plugin, PluginSettings, sha256_hex};
use glue_rules_runtime::runtime::{Runtime, RuntimeOptions};

use super::{lambda, sns, warnings};

fn runtime(cache: &Path) -> Runtime {
    Runtime::new(RuntimeOptions {
        cache_dir: Some(cache.to_owned()),
        ..RuntimeOptions::default()
    })
    .unwrap()
}

/// Loads `bytes` through a fresh runtime (so the cache is opened anew, as by another process):
/// the name the plugin gave and whether it came from the cache, with the warnings logged.
fn load(cache: &Path, bytes: &[u8]) -> ((String, bool), Vec<String>) {
    warnings(|| {
        let plugin = Plugin::from_bytes(
            &runtime(cache),
            Path::new("plugin.wasm"),
            bytes,
            PluginSettings::new(),
        )
        .expect("the plugin loads");
        (plugin.name().to_owned(), plugin.info().from_cache)
    })
}

/// The cache entries (whatever their format) for the component `bytes`.
fn entries(cache: &Path, bytes: &[u8]) -> Vec<PathBuf> {
    let sha = sha256_hex(bytes);
    let Ok(list) = std::fs::read_dir(cache) else {
        return Vec::new();
    };
    list.map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(&sha) && name.ends_with(".cwasm")
        })
        .collect()
}

fn entry(cache: &Path, bytes: &[u8]) -> PathBuf {
    let mut found = entries(cache, bytes);
    assert_eq!(found.len(), 1, "one entry for the component: {found:?}");
    found.remove(0)
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_tampered_cache_entry_is_recompiled_with_a_warning_never_run() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("components");
    let sns = sns();
    assert!(!load(&cache, &sns).0.1, "compiled the first time");
    assert!(load(&cache, &sns).0.1, "from the cache the second time");

    let path = entry(&cache, &sns);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let ((name, from_cache), warned) = load(&cache, &sns);
    assert_eq!(name, "sns-on-failure");
    assert!(!from_cache, "a tampered entry is not loaded");
    assert!(
        warned
            .iter()
            .any(|w| w.contains("HMAC") && w.contains("recompiling")),
        "a warning names the failed check: {warned:?}"
    );
    // The recompiled component replaced the bad entry.
    let ((_, from_cache), warned) = load(&cache, &sns);
    assert!(from_cache && warned.is_empty(), "{warned:?}");
}

#[test]
fn another_components_native_code_under_this_ones_name_is_never_run() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("components");
    let (sns, lambda) = (sns(), lambda());
    load(&cache, &sns);
    load(&cache, &lambda);
    // Whoever can write the directory swaps in native code of their choosing: here, the
    // (valid, wasmtime-serialized) code of another component.
    std::fs::copy(entry(&cache, &lambda), entry(&cache, &sns)).unwrap();

    let ((name, from_cache), warned) = load(&cache, &sns);
    assert_eq!(name, "sns-on-failure", "the swapped-in code did not run");
    assert!(!from_cache);
    assert!(warned.iter().any(|w| w.contains("HMAC")), "{warned:?}");
}

#[test]
fn a_cache_directory_others_can_write_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("components");
    let sns = sns();
    load(&cache, &sns);
    assert!(load(&cache, &sns).0.1);
    // From now on anyone could have planted anything in it: nothing in it is trusted.
    chmod(&cache, 0o777);
    let entry = entry(&cache, &sns);
    let written = std::fs::metadata(&entry).unwrap().modified().unwrap();
    let ((name, from_cache), warned) = load(&cache, &sns);
    assert_eq!(name, "sns-on-failure");
    assert!(!from_cache, "nothing is loaded from a world-writable cache");
    assert!(
        warned.iter().any(|w| w.contains("compile cache disabled")
            && w.contains("writable by its group or by others")),
        "{warned:?}"
    );
    assert_eq!(
        std::fs::metadata(&entry).unwrap().modified().unwrap(),
        written,
        "nor written to it"
    );

    // A fresh directory others can write is refused before anything is put in it.
    let open = tmp.path().join("open");
    std::fs::create_dir(&open).unwrap();
    chmod(&open, 0o777);
    let ((_, from_cache), _) = load(&open, &sns);
    assert!(!from_cache);
    let ((_, from_cache), _) = load(&open, &sns);
    assert!(!from_cache);
    assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0);
}

#[test]
fn the_cache_directory_is_created_private() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("components");
    load(&cache, &sns());
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn a_symlink_planted_at_a_predictable_temporary_name_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("components");
    let sns = sns();
    load(&cache, &sns);
    let entry = entry(&cache, &sns);
    std::fs::remove_file(&entry).unwrap();
    // The names a writer could predict: the entry's, with a `tmp<pid>` extension or suffix.
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let pid = std::process::id();
    let file_name = entry.file_name().unwrap().to_string_lossy().into_owned();
    for planted in [
        entry.with_extension(format!("tmp{pid}")),
        cache.join(format!("{file_name}.tmp{pid}")),
        cache.join(format!(".tmp-{pid}")),
    ] {
        std::os::unix::fs::symlink(&victim, planted).unwrap();
    }

    let ((_, from_cache), _) = load(&cache, &sns);
    assert!(!from_cache);
    let victim = std::fs::read(&victim).unwrap();
    assert!(
        victim == b"precious",
        "{} bytes were written through a planted link",
        victim.len()
    );
    let ((_, from_cache), warned) = load(&cache, &sns);
    assert!(from_cache, "the entry was written all the same: {warned:?}");
}
