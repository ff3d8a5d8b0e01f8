//! The shared WebAssembly runtime: one wasmtime `Engine`, the linker every plugin is checked
//! against, the epoch ticker that bounds evaluation time, and the on-disk compile cache.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::sandbox::HostState;

/// Engine-wide choices. Plugins compiled under one set of options cannot run under another,
/// which is why the compile cache is keyed by them.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Turns on fuel metering so that plugins may carry an instruction budget. It costs every
    /// plugin some speed, so it is off unless a plugin asks for fuel.
    pub fuel: bool,
    /// How often the epoch advances: the granularity of evaluation deadlines.
    pub epoch_tick: Duration,
    /// Largest WebAssembly stack a call may use; deeper recursion traps.
    pub max_wasm_stack: usize,
    /// Where compiled components are kept between runs; `None` disables the cache. Created
    /// mode 0700 when missing; one that is not this user's, or that others can write, is not
    /// used (a warning says why), and every entry is checked against an HMAC before it is.
    pub cache_dir: Option<PathBuf>,
    /// The most bytes the compile cache keeps. Past it, storing an entry removes the entries
    /// used least recently (loading one marks it used), never the one just stored: a sidecar
    /// that reloads new plugin builds for months must not fill the disk its outbox writes to.
    pub cache_max_bytes: u64,
    /// Enforces evaluation deadlines through epoch interruption. Only benchmarks measuring
    /// the cost of the sandbox turn this off: without it a looping plugin runs forever.
    pub deadlines: bool,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            fuel: false,
            epoch_tick: Duration::from_millis(1),
            max_wasm_stack: 512 * 1024,
            cache_dir: None,
            cache_max_bytes: DEFAULT_CACHE_MAX_BYTES,
            deadlines: true,
        }
    }
}

/// The compile cache's default size bound: 2 GiB, some 40 compiled JavaScript or Python
/// components (30-60 MB each) or thousands of Rust and C ones.
pub const DEFAULT_CACHE_MAX_BYTES: u64 = 2 << 30;

/// Why the runtime could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the WebAssembly runtime: {0:#}")]
pub struct RuntimeError(#[source] anyhow::Error);

/// The engine, linker and ticker shared by all plugins. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    linker: Linker<HostState>,
    options: RuntimeOptions,
    cache_key: String,
    /// The compile cache, opened and checked at the first compile; `None` inside when
    /// there is none or it was refused.
    cache: std::sync::OnceLock<Option<cache::Cache>>,
    _ticker: Option<EpochTicker>,
}

impl Runtime {
    /// Builds the engine and linker and starts the epoch ticker.
    pub fn new(options: RuntimeOptions) -> Result<Self, RuntimeError> {
        let mut config = Config::new();
        config
            .epoch_interruption(options.deadlines)
            .consume_fuel(options.fuel)
            .max_wasm_stack(options.max_wasm_stack)
            .wasm_component_model(true);
        // `GLUE_RULES_PERF_MAP=1`: write /tmp/perf-PID.map, so that `perf` names the plugins'
        // compiled functions (docs/benchmarks.md, "Profiling a plugin"). Off by default.
        if std::env::var_os("GLUE_RULES_PERF_MAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config).map_err(|e| RuntimeError(e.into()))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| RuntimeError(e.into()))?;
        crate::sandbox::guard_sleeps(&mut linker).map_err(|e| RuntimeError(e.into()))?;
        crate::contract::add_to_linker(&mut linker).map_err(|e| RuntimeError(e.into()))?;
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let cache_key = format!("{:016x}", hasher.finish());
        let ticker = if options.deadlines {
            Some(EpochTicker::start(engine.clone(), options.epoch_tick).map_err(RuntimeError)?)
        } else {
            None
        };
        Ok(Self {
            inner: Arc::new(Inner {
                engine,
                linker,
                options,
                cache_key,
                cache: std::sync::OnceLock::new(),
                _ticker: ticker,
            }),
        })
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Links `component` against the host: the shared linker, plus refusing stubs for the
    /// `wasi:http` interfaces it imports, if any (see [`crate::sandbox::stub_wasi_http`]).
    ///
    /// JavaScript plugins built by componentize-js with its defaults import `wasi:http` for
    /// `fetch`, which a rule has no use for. The stubs let such a plugin load; every stubbed
    /// function traps when called, so they grant nothing. Only a component that imports
    /// `wasi:http` gets a linker of its own; every other one uses the shared linker as it is.
    pub(crate) fn instantiate_pre(
        &self,
        component: &Component,
    ) -> anyhow::Result<wasmtime::component::InstancePre<HostState>> {
        let linker = &self.inner.linker;
        if !crate::sandbox::imports_wasi_http(&self.inner.engine, component) {
            return Ok(linker.instantiate_pre(component)?);
        }
        let mut linker = linker.clone();
        crate::sandbox::stub_wasi_http(&self.inner.engine, &mut linker, component)?;
        Ok(linker.instantiate_pre(component)?)
    }

    /// The options the runtime was built with.
    pub fn options(&self) -> &RuntimeOptions {
        &self.inner.options
    }

    /// Epoch ticks that make up `timeout`, rounded up, plus one for the tick in progress.
    pub(crate) fn deadline_ticks(&self, timeout: Duration) -> u64 {
        let tick = self.inner.options.epoch_tick.as_nanos().max(1);
        (timeout.as_nanos().div_ceil(tick) as u64).max(1) + 1
    }

    /// Compiles a component, or loads its compiled form from the cache.
    ///
    /// Returns the component and whether it came from the cache. `sha256` is the hash of
    /// `bytes`: it names the cache entry, and the entry's HMAC binds the native code to it, so
    /// the entry of one component can never be loaded as another.
    pub(crate) fn compile(&self, bytes: &[u8], sha256: &str) -> anyhow::Result<(Component, bool)> {
        let engine = &self.inner.engine;
        let Some(dir) = &self.inner.options.cache_dir else {
            return Ok((Component::new(engine, bytes)?, false));
        };
        let cache = self.inner.cache.get_or_init(|| {
            match cache::Cache::open(dir, self.inner.options.cache_max_bytes) {
                Ok(cache) => Some(cache),
                Err(e) => {
                    tracing::warn!(
                        dir = %dir.display(),
                        "compile cache disabled, compiling every component: {e:#}"
                    );
                    None
                }
            }
        });
        let Some(cache) = cache else {
            return Ok((Component::new(engine, bytes)?, false));
        };
        let name = format!("{sha256}-{}", self.inner.cache_key);
        match cache.load(&name) {
            Ok(Some(serialized)) => {
                // SAFETY: `Component::deserialize` maps native code into the process, and is
                // sound only for bytes that `Component::serialize` produced. These bytes are in
                // memory (no file can change between the check and the load) and carry an
                // HMAC-SHA256 under the cache's 32-byte random key, which lives in a file of
                // this user's, mode 0600, in a directory of this user's that nobody else can
                // write (`Cache::open` refuses anything else). Only a process holding the key,
                // this host, can have produced a matching tag, and it tags nothing but the
                // output of `serialize` by an engine with the same compatibility hash (in the
                // entry's name, which the tag covers along with the component's sha256).
                // wasmtime still checks the header.
                #[allow(unsafe_code)]
                // The one place the host runs native code it did not just compile.
                let loaded = unsafe { Component::deserialize(engine, &serialized) };
                match loaded {
                    Ok(component) => return Ok((component, true)),
                    Err(e) => tracing::warn!(
                        path = %cache.entry_path(&name).display(),
                        "ignoring a cache entry wasmtime cannot load, recompiling: {e:#}"
                    ),
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(
                path = %cache.entry_path(&name).display(),
                "refusing a cache entry, recompiling: {e:#}"
            ),
        }
        let component = Component::new(engine, bytes)?;
        if let Err(e) = component
            .serialize()
            .map_err(anyhow::Error::from)
            .and_then(|serialized| cache.store(&name, &serialized))
        {
            tracing::warn!(
                path = %cache.entry_path(&name).display(),
                "cannot write compile cache: {e:#}"
            );
        }
        Ok((component, false))
    }
}

/// The on-disk compile cache, which must never run native code that this host did not compile.
///
/// The directory holds `hmac-key`, 32 random bytes (mode 0600, created exclusively), and one
/// `<sha256>-<engine>.tagged.cwasm` entry per component: an HMAC-SHA256 tag over the entry's name and
/// the serialized component, then the serialized component. The cache refuses a directory or
/// key that is not the current user's or that others can write (the key, also one others can
/// read): whoever can write the directory could otherwise plant native code, and whoever can
/// read the key could tag it. Entries are written under a fresh name opened with
/// `O_CREAT | O_EXCL | O_NOFOLLOW`, then renamed into place; an entry whose tag does not match
/// is never loaded.
#[cfg(unix)]
mod cache {
    use std::fs::{File, OpenOptions};
    use std::io::{ErrorKind, Read, Write};
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
    use std::path::{Path, PathBuf};

    use anyhow::{Context, anyhow, bail};
    use hmac::{Hmac, Mac};
    use rand::TryRng;
    use sha2::Sha256;

    /// How an entry's file name ends (after the entry's name).
    const ENTRY_SUFFIX: &str = ".tagged.cwasm";
    /// How a file being written starts its name.
    const TEMP_PREFIX: &str = ".tmp-";
    /// A temporary file this old belongs to a store that was interrupted: no store takes an
    /// hour.
    const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(3600);
    /// The key file's name in the cache directory.
    pub(crate) const KEY_FILE: &str = "hmac-key";
    const KEY_LEN: usize = 32;
    const TAG_LEN: usize = 32;
    /// Separates this use of the key from any other.
    const DOMAIN: &[u8] = b"glue-rules compile cache v1\0";

    /// An open, checked cache directory and its key.
    pub(crate) struct Cache {
        dir: PathBuf,
        key: [u8; KEY_LEN],
        max_bytes: u64,
    }

    impl Cache {
        /// Creates `dir` (mode 0700) if it is missing, checks it, and reads its key or creates
        /// one. Any refusal is an error: the caller then compiles without a cache. The entries
        /// are kept under `max_bytes` in all (see [`Cache::store`]).
        pub(crate) fn open(dir: &Path, max_bytes: u64) -> anyhow::Result<Self> {
            create_dir(dir)?;
            // Every later path is built on the resolved directory, the one that was checked.
            let dir = std::fs::canonicalize(dir)
                .with_context(|| format!("{}: cannot resolve", dir.display()))?;
            let meta = std::fs::metadata(&dir)
                .with_context(|| format!("{}: cannot inspect", dir.display()))?;
            if !meta.is_dir() {
                bail!("{} is not a directory", dir.display());
            }
            check_owner(&dir, &meta)?;
            if meta.mode() & 0o022 != 0 {
                bail!(
                    "{} is writable by its group or by others (mode {:o}); it must be writable \
                     by its owner only (chmod 0700)",
                    dir.display(),
                    meta.mode() & 0o7777
                );
            }
            let key = read_or_create_key(&dir)?;
            Ok(Self {
                dir,
                key,
                max_bytes,
            })
        }

        /// Where the entry `name` lives.
        pub(crate) fn entry_path(&self, name: &str) -> PathBuf {
            self.dir.join(format!("{name}{ENTRY_SUFFIX}"))
        }

        /// The serialized component of entry `name`, if there is one and its tag is right.
        /// `Ok(None)`: no entry. `Err`: an entry that must not be loaded.
        pub(crate) fn load(&self, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
            let path = self.entry_path(name);
            let mut file = match open_read(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(anyhow!("cannot open: {e}")),
            };
            let meta = file.metadata().context("cannot inspect")?;
            if !meta.is_file() {
                bail!("not a regular file");
            }
            let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
            file.read_to_end(&mut bytes).context("cannot read")?;
            if bytes.len() < TAG_LEN {
                bail!("truncated: {} bytes, shorter than its tag", bytes.len());
            }
            let (tag, serialized) = bytes.split_at(TAG_LEN);
            self.mac(name, serialized).verify_slice(tag).map_err(|_| {
                anyhow!("its HMAC does not match: it was altered, or not written by this cache")
            })?;
            bytes.drain(..TAG_LEN);
            // Marks the entry used, so that the size bound removes others first. A failure
            // only makes it an earlier candidate.
            let _ = file.set_modified(std::time::SystemTime::now());
            Ok(Some(bytes))
        }

        /// Writes entry `name`: to a fresh temporary file first, then renamed into place, so a
        /// reader never sees half an entry and no planted file or link is written through.
        pub(crate) fn store(&self, name: &str, serialized: &[u8]) -> anyhow::Result<()> {
            let tag = self.mac(name, serialized).finalize().into_bytes();
            let tmp = self.dir.join(temp_name()?);
            let mut file = create_private(&tmp)
                .with_context(|| format!("{}: cannot create", tmp.display()))?;
            let written = file
                .write_all(&tag)
                .and_then(|()| file.write_all(serialized))
                .and_then(|()| std::fs::rename(&tmp, self.entry_path(name)));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(anyhow!("{}: {e}", tmp.display()));
            }
            let kept = self.entry_path(name);
            match self.trim(&kept) {
                Ok(0) => {}
                Ok(removed) => tracing::info!(
                    dir = %self.dir.display(),
                    removed,
                    max_bytes = self.max_bytes,
                    "compile cache over its size bound: removed the entries used least recently"
                ),
                Err(e) => tracing::warn!(
                    dir = %self.dir.display(),
                    "cannot keep the compile cache under {} bytes: {e}",
                    self.max_bytes
                ),
            }
            Ok(())
        }

        /// Removes entries, least recently used first, until they hold at most `max_bytes` in
        /// all; never `keep`. Also removes temporary files an interrupted store left behind
        /// (older than [`STALE_TEMP`]). Returns how many files it removed. Another process
        /// sharing the directory may remove the same ones: a missing file is not an error.
        fn trim(&self, keep: &Path) -> std::io::Result<usize> {
            let mut entries = Vec::new();
            let mut total: u64 = 0;
            let mut removed = 0;
            let now = std::time::SystemTime::now();
            for entry in std::fs::read_dir(&self.dir)? {
                let entry = entry?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let meta = match entry.metadata() {
                    Ok(meta) if meta.is_file() => meta,
                    _ => continue,
                };
                if name.starts_with(TEMP_PREFIX) {
                    let stale = meta
                        .modified()
                        .ok()
                        .and_then(|t| now.duration_since(t).ok())
                        .is_some_and(|age| age > STALE_TEMP);
                    if stale && remove(&entry.path())? {
                        removed += 1;
                    }
                    continue;
                }
                if !name.ends_with(ENTRY_SUFFIX) {
                    continue;
                }
                total = total.saturating_add(meta.len());
                let used = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
                entries.push((used, meta.len(), entry.path()));
            }
            if total <= self.max_bytes {
                return Ok(removed);
            }
            entries.sort();
            for (_, len, path) in entries {
                if total <= self.max_bytes {
                    break;
                }
                if path == keep {
                    continue;
                }
                if remove(&path)? {
                    removed += 1;
                }
                total = total.saturating_sub(len);
            }
            Ok(removed)
        }

        fn mac(&self, name: &str, serialized: &[u8]) -> Hmac<Sha256> {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
                .expect("HMAC takes a key of any length");
            mac.update(DOMAIN);
            mac.update(name.as_bytes());
            mac.update(b"\0");
            mac.update(serialized);
            mac
        }
    }

    fn create_dir(dir: &Path) -> anyhow::Result<()> {
        match std::fs::symlink_metadata(dir) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => bail!("{}: cannot inspect: {e}", dir.display()),
        }
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("{}: cannot create", parent.display()))?;
        }
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(anyhow!("{}: cannot create: {e}", dir.display())),
        }
    }

    fn check_owner(path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<()> {
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            bail!(
                "{} belongs to uid {}, not to this user (uid {me})",
                path.display(),
                meta.uid()
            );
        }
        Ok(())
    }

    fn read_or_create_key(dir: &Path) -> anyhow::Result<[u8; KEY_LEN]> {
        let path = dir.join(KEY_FILE);
        match open_read(&path) {
            Ok(file) => return read_key(file, &path),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => bail!("{}: cannot open: {e}", path.display()),
        }
        let mut key = [0; KEY_LEN];
        rand::rngs::SysRng
            .try_fill_bytes(&mut key)
            .map_err(|e| anyhow!("no randomness for the cache key: {e}"))?;
        // Written whole under a fresh name, then linked into place: `link` fails if the key
        // exists, so of two processes starting at once one key wins, and no reader ever sees a
        // partial key.
        let tmp = dir.join(temp_name()?);
        let mut file =
            create_private(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
        let linked = file
            .write_all(&key)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::hard_link(&tmp, &path));
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                let file =
                    open_read(&path).with_context(|| format!("{}: cannot open", path.display()))?;
                read_key(file, &path)
            }
            Err(e) => Err(anyhow!("{}: cannot create: {e}", path.display())),
        }
    }

    fn read_key(mut file: File, path: &Path) -> anyhow::Result<[u8; KEY_LEN]> {
        let meta = file
            .metadata()
            .with_context(|| format!("{}: cannot inspect", path.display()))?;
        if !meta.is_file() {
            bail!("{} is not a regular file", path.display());
        }
        check_owner(path, &meta)?;
        if meta.mode() & 0o077 != 0 {
            bail!(
                "{} is accessible to its group or to others (mode {:o}); it must be mode 0600",
                path.display(),
                meta.mode() & 0o7777
            );
        }
        let mut bytes = Vec::with_capacity(KEY_LEN + 1);
        Read::by_ref(&mut file)
            .take(KEY_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        bytes.try_into().map_err(|bytes: Vec<u8>| {
            anyhow!(
                "{} holds {} bytes, not a {KEY_LEN}-byte key; remove it to start a new cache",
                path.display(),
                bytes.len()
            )
        })
    }

    /// Opens for reading without following a symbolic link in the last component.
    fn open_read(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .custom_flags(nofollow())
            .open(path)
    }

    /// Creates a file only this user can read or write; fails if anything, a symbolic link
    /// included, is already at `path`.
    pub(crate) fn create_private(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nofollow())
            .open(path)
    }

    fn nofollow() -> i32 {
        rustix::fs::OFlags::NOFOLLOW.bits() as i32
    }

    /// `.tmp-<pid>-<random>`: unpredictable, so nobody can plant anything under it in advance.
    /// Removes `path`; `false` when it was already gone.
    fn remove(path: &Path) -> std::io::Result<bool> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn temp_name() -> anyhow::Result<String> {
        let mut random = [0u8; 8];
        rand::rngs::SysRng
            .try_fill_bytes(&mut random)
            .map_err(|e| anyhow!("no randomness for a temporary name: {e}"))?;
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("{TEMP_PREFIX}{}-{hex}", std::process::id()))
    }
}

/// Elsewhere there is no way to check who may write the directory, so there is no cache.
#[cfg(not(unix))]
mod cache {
    use std::path::{Path, PathBuf};

    pub(crate) struct Cache;

    impl Cache {
        pub(crate) fn open(_dir: &Path) -> anyhow::Result<Self> {
            anyhow::bail!("the compile cache is only supported on Unix")
        }
        pub(crate) fn entry_path(&self, _name: &str) -> PathBuf {
            PathBuf::new()
        }
        pub(crate) fn load(&self, _name: &str) -> anyhow::Result<Option<Vec<u8>>> {
            Ok(None)
        }
        pub(crate) fn store(&self, _name: &str, _serialized: &[u8]) -> anyhow::Result<()> {
            Ok(())
        }
    }
}

/// Advances the engine's epoch on a fixed period until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: Engine, tick: Duration) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("glue-rules-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(all(test, unix))]
mod cache_tests {
    use std::os::unix::fs::PermissionsExt;

    use super::cache::{Cache, KEY_FILE, create_private};

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn chmod(path: &std::path::Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn the_cache_creates_its_directory_0700_and_its_key_0600_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/components");
        let cache = Cache::open(&dir, u64::MAX).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let key = dir.join(KEY_FILE);
        assert_eq!(mode(&key), 0o600);
        assert_eq!(std::fs::read(&key).unwrap().len(), 32);
        cache.store("entry", b"native code").unwrap();
        // A second opening reads the same key: what one wrote, the other accepts.
        let again = Cache::open(&dir, u64::MAX).unwrap();
        assert_eq!(again.load("entry").unwrap().unwrap(), b"native code");
        assert!(again.load("absent").unwrap().is_none());
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with(".tmp-")),
            "no temporary file is left behind: {names:?}"
        );
    }

    #[test]
    fn the_cache_stays_under_its_bound_by_removing_the_entries_used_least_recently() {
        use std::time::{Duration, SystemTime};
        let tmp = tempfile::tempdir().unwrap();
        let native = vec![7u8; 1000];
        // Each entry is its 32-byte tag and the 1,000 bytes: room for two.
        let cache = Cache::open(tmp.path(), 2 * 1032).unwrap();
        cache.store("a", &native).unwrap();
        cache.store("b", &native).unwrap();
        let used = |name: &str, days: u64| {
            std::fs::File::options()
                .write(true)
                .open(cache.entry_path(name))
                .unwrap()
                .set_modified(SystemTime::now() - Duration::from_secs(days * 86_400))
                .unwrap();
        };
        used("a", 7);
        used("b", 1);
        // Loading marks `a` used now, so `b` is the one used least recently.
        assert!(cache.load("a").unwrap().is_some());
        cache.store("c", &native).unwrap();
        assert!(cache.load("b").unwrap().is_none(), "b was removed");
        assert!(cache.load("a").unwrap().is_some());
        assert!(cache.load("c").unwrap().is_some());
        // An entry over the whole bound is still kept, alone; the key is never counted.
        let tiny = Cache::open(tmp.path(), 10).unwrap();
        tiny.store("d", &native).unwrap();
        assert!(tiny.load("d").unwrap().is_some());
        assert!(tiny.load("a").unwrap().is_none() && tiny.load("c").unwrap().is_none());
        assert!(tmp.path().join(KEY_FILE).is_file());
        // What an interrupted store left an hour ago goes at the next store; a store under way
        // (a fresh temporary file) is left alone.
        let stale = tmp.path().join(".tmp-1-dead");
        let fresh = tmp.path().join(".tmp-2-live");
        for path in [&stale, &fresh] {
            std::fs::write(path, b"half an entry").unwrap();
        }
        std::fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(7200))
            .unwrap();
        tiny.store("e", &native).unwrap();
        assert!(!stale.exists(), "the stale temporary file was removed");
        assert!(fresh.exists(), "a fresh one is another store's");
    }

    #[test]
    fn an_altered_truncated_or_renamed_entry_fails_its_check() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open(tmp.path(), u64::MAX).unwrap();
        cache.store("a", b"the native code of a").unwrap();
        cache.store("b", b"the native code of b").unwrap();
        let a = cache.entry_path("a");
        let good = std::fs::read(&a).unwrap();

        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        std::fs::write(&a, &flipped).unwrap();
        let err = cache.load("a").unwrap_err().to_string();
        assert!(err.contains("HMAC"), "{err}");

        let mut tag_flipped = good.clone();
        tag_flipped[0] ^= 0x80;
        std::fs::write(&a, &tag_flipped).unwrap();
        assert!(cache.load("a").is_err());

        std::fs::write(&a, &good[..10]).unwrap();
        let err = cache.load("a").unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        std::fs::write(&a, &good[..good.len() - 1]).unwrap();
        assert!(cache.load("a").is_err());

        // b's entry, tag and all, under a's name: the tag covers the name.
        std::fs::copy(cache.entry_path("b"), &a).unwrap();
        assert!(cache.load("a").is_err());

        // An entry tagged under another key (another cache's) is refused too.
        let other = tempfile::tempdir().unwrap();
        let foreign = Cache::open(other.path(), u64::MAX).unwrap();
        foreign.store("a", b"the native code of a").unwrap();
        std::fs::copy(foreign.entry_path("a"), &a).unwrap();
        assert!(cache.load("a").is_err());

        std::fs::write(&a, &good).unwrap();
        assert_eq!(cache.load("a").unwrap().unwrap(), b"the native code of a");
    }

    #[test]
    fn a_directory_others_can_write_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        for bad in [0o777, 0o770, 0o722, 0o1777] {
            chmod(tmp.path(), bad);
            let err = Cache::open(tmp.path(), u64::MAX)
                .err()
                .expect("refused")
                .to_string();
            assert!(err.contains("writable by its group or by others"), "{err}");
            assert!(!tmp.path().join(KEY_FILE).exists(), "no key is written");
        }
        chmod(tmp.path(), 0o755);
        Cache::open(tmp.path(), u64::MAX).unwrap();
    }

    #[test]
    fn a_key_file_others_can_read_or_write_or_a_linked_key_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        Cache::open(tmp.path(), u64::MAX).unwrap();
        let key = tmp.path().join(KEY_FILE);
        for bad in [0o620, 0o602, 0o640, 0o666] {
            chmod(&key, bad);
            let err = Cache::open(tmp.path(), u64::MAX)
                .err()
                .expect("refused")
                .to_string();
            assert!(err.contains("must be mode 0600"), "{err}");
        }
        chmod(&key, 0o600);
        Cache::open(tmp.path(), u64::MAX).unwrap();

        // A key that is a symbolic link (to a key of another directory, say) is not followed.
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::rename(&key, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &key).unwrap();
        assert!(Cache::open(tmp.path(), u64::MAX).is_err());

        std::fs::remove_file(&key).unwrap();
        std::fs::write(&key, b"short").unwrap();
        chmod(&key, 0o600);
        let err = Cache::open(tmp.path(), u64::MAX)
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("not a 32-byte key"), "{err}");
    }

    #[test]
    fn a_file_is_never_created_through_a_planted_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let planted = tmp.path().join(".tmp-planted");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let err = create_private(&planted).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        // A dangling link is not followed either (O_CREAT would create its target).
        let dangling = tmp.path().join(".tmp-dangling");
        let target = tmp.path().join("created-through-the-link");
        std::os::unix::fs::symlink(&target, &dangling).unwrap();
        assert!(create_private(&dangling).is_err());
        assert!(!target.exists());
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    }

    #[test]
    fn an_entry_planted_as_a_symlink_is_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open(tmp.path(), u64::MAX).unwrap();
        cache.store("real", b"code").unwrap();
        std::os::unix::fs::symlink(cache.entry_path("real"), cache.entry_path("link")).unwrap();
        let err = cache.load("link").unwrap_err().to_string();
        assert!(err.contains("cannot open"), "{err}");
    }
}
