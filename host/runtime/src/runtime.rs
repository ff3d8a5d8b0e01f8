//! The shared WebAssembly runtime: one wasmtime `Engine`, the linker every plugin is checked
//! against, the epoch ticker that bounds evaluation time, and the on-disk compile cache.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};

use crate::bindings::Rule;
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
    /// Where compiled components are kept between runs; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
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
            deadlines: true,
        }
    }
}

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
        let engine = Engine::new(&config).map_err(|e| RuntimeError(e.into()))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| RuntimeError(e.into()))?;
        crate::sandbox::guard_sleeps(&mut linker).map_err(|e| RuntimeError(e.into()))?;
        Rule::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |state| state)
            .map_err(|e| RuntimeError(e.into()))?;
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
    /// Returns the component and whether it came from the cache.
    pub(crate) fn compile(&self, bytes: &[u8], sha256: &str) -> anyhow::Result<(Component, bool)> {
        let Some(dir) = &self.inner.options.cache_dir else {
            return Ok((Component::new(&self.inner.engine, bytes)?, false));
        };
        let path = dir.join(format!("{sha256}-{}.cwasm", self.inner.cache_key));
        if path.exists() {
            // SAFETY: the file was written by `Component::serialize` of an engine with the same
            // compatibility hash (it is in the name) into a directory this process owns; wasmtime
            // still checks its header. A corrupt file falls through to recompilation.
            #[allow(unsafe_code)]
            // The one place the host runs native code it did not just compile.
            let loaded = unsafe { Component::deserialize_file(&self.inner.engine, &path) };
            match loaded {
                Ok(component) => return Ok((component, true)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "ignoring unreadable cache entry: {e:#}")
                }
            }
        }
        let component = Component::new(&self.inner.engine, bytes)?;
        if let Err(e) = write_cache(dir, &path, &component) {
            tracing::warn!(path = %path.display(), "cannot write compile cache: {e:#}");
        }
        Ok((component, false))
    }
}

fn write_cache(dir: &Path, path: &Path, component: &Component) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let bytes = component.serialize()?;
    // Write then rename, so a concurrent reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
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
