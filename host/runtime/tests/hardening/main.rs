//! What a hostile file system cannot make the runtime do: run native code planted in the
//! compile cache, slip a component past the configuration's sha256 pins, or make a watched
//! directory cost a reload on every scan.
//!
//! Needs the example plugins in plugins/dist (`.ci/test` builds them first; by hand:
//! `source .ci/common.sh && build_guests`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod cache;
mod pins;
mod watch;

/// The bytes of an example plugin from plugins/dist.
fn dist(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/dist")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: these tests need the example plugins; build them first with \
             `source .ci/common.sh && build_guests` (or run `.ci/test`)",
            path.display()
        )
    })
}

fn sns() -> Vec<u8> {
    dist("sns_on_failure.wasm")
}

fn lambda() -> Vec<u8> {
    dist("lambda_on_success.wasm")
}

/// `component` with a custom section appended: other bytes (another sha256), same behaviour,
/// same name in `describe`.
fn impostor_of(component: &[u8]) -> Vec<u8> {
    let mut bytes = component.to_vec();
    let name = b"impostor";
    let payload = b"other bytes, same name";
    let contents = 1 + name.len() + payload.len();
    assert!(contents < 128, "one-byte LEB128 sizes");
    bytes.push(0); // custom section
    bytes.push(contents as u8);
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(payload);
    bytes
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Collects the warnings and errors logged on this thread while `f` runs.
fn warnings<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let out = tracing::subscriber::with_default(Capture(lines.clone()), f);
    let lines = lines.lock().unwrap().clone();
    (out, lines)
}

struct Capture(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let level = *event.metadata().level();
        if level == tracing::Level::WARN || level == tracing::Level::ERROR {
            let mut line = format!("{level}:");
            event.record(&mut Fields(&mut line));
            self.0.lock().unwrap().push(line);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}
