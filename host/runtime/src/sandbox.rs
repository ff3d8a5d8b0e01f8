//! What a plugin may use: time, memory, output and log, and nothing of the host's.
//!
//! Every limit here fails the one evaluation that crosses it, never the host. The WASI context a
//! plugin gets has no preopened directory, no environment, no arguments, no stdin and no
//! network; its stdout and stderr go to the host log, tagged with the plugin's name.
//!
//! Epoch interruption stops running WebAssembly, not a host function the plugin called, so
//! every host function a plugin can reach is bounded per call (and per evaluation where one
//! call's bound could be multiplied): sleeps past the deadline fail at once, a stream write
//! over its `check-write` permit traps before its bytes are copied, random bytes have a cap per
//! call and a budget per evaluation, a `poll` list has a length cap, log lines a budget. Cheap
//! calls (clocks, `config`) return at once, and a loop of them is stopped by the epoch.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use wasmtime::ResourceLimiter;
use wasmtime::StoreContextMut;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, Resource, ResourceTable, ResourceType, WasmList};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::bindings::sync::io::{poll as wasi_poll, streams as wasi_streams};
use wasmtime_wasi::p2::{DynOutputStream, DynPollable, OutputStream, Pollable, StreamError};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::bindings::types::LogLevel;
use crate::deadline::Budget;
use glue_rules_core::OutputLimits;

/// Per-plugin bounds. Every field has a safe default and can be overridden in the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// CPU time one evaluation may take on its thread (the plugin's code and the host calls it
    /// makes), enforced by epoch interruption and the thread's CPU clock (see `deadline`).
    pub timeout: Duration,
    /// Wall-clock time starting an instance may take: instantiation plus `describe` at load,
    /// instantiation alone when a fresh instance is made for an event. Interpreted guests
    /// (Python, JavaScript) need far longer for this than for an evaluation.
    pub startup_timeout: Duration,
    /// Wall-clock time a call may run past its CPU budget while it has budget left (waiting
    /// for a core on a busy host); past it, the call stops as `host-overloaded`, which is not
    /// the plugin's fault and never quarantines it.
    pub overload_grace: Duration,
    /// Optional deterministic instruction budget per evaluation (needs fuel on in the runtime).
    pub fuel: Option<u64>,
    /// Linear memory one instance may hold, across all its memories.
    pub memory_bytes: usize,
    /// Table elements one instance may hold, across all its tables.
    pub table_elements: usize,
    /// Bounds on the decision a plugin returns.
    pub output: OutputLimits,
    /// Log lines (host `log` calls plus stdout/stderr lines) one evaluation may write.
    pub max_log_lines: u32,
    /// Log bytes one evaluation may write.
    pub max_log_bytes: usize,
    /// Bounds on the event patterns the plugin declares in `describe` (size, count, `$or`
    /// expansion, compiled size, unindexed alternatives), checked at load before anything is
    /// expanded: a plugin's patterns cannot cost the host unbounded memory or per-event time.
    pub patterns: glue_rules_patterns::PatternLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(50),
            startup_timeout: Duration::from_secs(10),
            overload_grace: Duration::from_secs(1),
            fuel: None,
            memory_bytes: 64 << 20,
            table_elements: 100_000,
            output: OutputLimits::default(),
            max_log_lines: 100,
            max_log_bytes: 64 * 1024,
            patterns: glue_rules_patterns::PatternLimits::default(),
        }
    }
}

/// The store data of one plugin instance.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) log: Arc<GuestLog>,
    pub(crate) config: Arc<BTreeMap<String, String>>,
    clock: MonotonicClock,
    /// When the current call must end in wall-clock time if it never waited for a core; sleeps
    /// that would end later are refused.
    pub(crate) deadline: Instant,
    /// The current call's CPU budget, checked when the epoch deadline fires.
    pub(crate) budget: Budget,
    /// The wall-clock grace of [`Limits::overload_grace`].
    overload_grace: Duration,
    /// Set when the plugin asked to sleep past its deadline.
    pub(crate) slept_past_deadline: bool,
    /// Random bytes handed out since the current call began.
    random_bytes: u64,
    /// The source of `get-random-bytes` and `get-insecure-random-bytes`: a CSPRNG seeded from
    /// the OS, like WASI's own, but filled a block at a time rather than drawn byte by byte.
    random: Box<dyn wasmtime_wasi::Rng + Send>,
    /// The JSON of the event being evaluated, for `host.detail-json` and `host.event-json`
    /// (0.2); `None` outside `evaluate`.
    pub(crate) event: Option<crate::event::Event>,
}

/// Most bytes one `get-random-bytes` or `get-insecure-random-bytes` call may ask for (Web
/// Crypto's `getRandomValues` has the same cap). A `u64` length would otherwise have the host
/// allocate and fill whatever the plugin names, in one call epoch interruption cannot stop.
pub const MAX_RANDOM_BYTES_PER_CALL: u64 = 64 * 1024;

/// Most random bytes one call into the plugin (an evaluation, a start-up) may take in all:
/// many times what any rule needs (a UUID is 16 bytes), little enough to cost the host no more
/// than a few milliseconds.
pub const MAX_RANDOM_BYTES_PER_EVALUATION: u64 = 1 << 20;

/// Most pollables one `wasi:io/poll.poll` call may wait on (wasi-libc and the language runtimes
/// wait on a handful).
pub const MAX_POLL_LIST: usize = 1024;

/// The most one `blocking-write-and-flush` call may carry (WASI's own bound).
const MAX_BLOCKING_WRITE: usize = 4096;

impl HostState {
    /// A capability-free WASI context whose stdout and stderr feed `log`.
    pub(crate) fn new(
        limits: &Limits,
        log: Arc<GuestLog>,
        config: Arc<BTreeMap<String, String>>,
    ) -> Self {
        let clock = MonotonicClock {
            origin: Instant::now(),
        };
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(GuestOutput {
            log: log.clone(),
            stream: Stream::Stdout,
        })
        .stderr(GuestOutput {
            log: log.clone(),
            stream: Stream::Stderr,
        })
        .monotonic_clock(clock)
        // Also enforced (with a clearer message) by the guard in `guard_host_calls`.
        .max_random_size(MAX_RANDOM_BYTES_PER_CALL)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }));
        Self {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limiter: Limiter::new(limits),
            log,
            config,
            clock,
            deadline: Instant::now(),
            budget: Budget::start(Duration::ZERO, limits.overload_grace, Duration::ZERO),
            overload_grace: limits.overload_grace,
            slept_past_deadline: false,
            random_bytes: 0,
            random: wasmtime_wasi::thread_rng(),
            event: None,
        }
    }

    /// Starts the per-call budgets of a call into the plugin that may spend `budget` of CPU
    /// time, its first deadline check due after `first_check`.
    pub(crate) fn begin(&mut self, budget: Duration, first_check: Duration) {
        self.deadline = Instant::now() + budget;
        self.budget = Budget::start(budget, self.overload_grace, first_check);
        self.slept_past_deadline = false;
        self.random_bytes = 0;
        self.limiter.hit = None;
        self.log.begin();
    }

    /// `len` random bytes, within the per-call cap and the per-evaluation budget.
    fn random_bytes(&mut self, function: &str, len: u64) -> wasmtime::Result<Vec<u8>> {
        self.take_random(function, len)?;
        let mut bytes = vec![0; usize::try_from(len)?];
        self.random.fill_bytes(&mut bytes);
        Ok(bytes)
    }

    /// Counts `len` random bytes against the per-call cap and the per-evaluation budget.
    fn take_random(&mut self, function: &str, len: u64) -> wasmtime::Result<()> {
        if len > MAX_RANDOM_BYTES_PER_CALL {
            wasmtime::bail!(
                "{function}({len}) is over the limit of {MAX_RANDOM_BYTES_PER_CALL} bytes per call"
            );
        }
        let total = self.random_bytes.saturating_add(len);
        if total > MAX_RANDOM_BYTES_PER_EVALUATION {
            wasmtime::bail!(
                "{function}({len}) would bring the random bytes taken to {total}, over the limit \
                 of {MAX_RANDOM_BYTES_PER_EVALUATION} bytes per evaluation"
            );
        }
        self.random_bytes = total;
        Ok(())
    }

    /// A pollable that wakes at `wake`, or an error when `wake` lies past the deadline.
    fn sleep_until(&mut self, wake: Option<Instant>) -> wasmtime::Result<Resource<DynPollable>> {
        match wake {
            Some(wake) if wake <= self.deadline => {
                let sleep = self
                    .table
                    .push(Sleep(tokio::time::Instant::from_std(wake)))?;
                Ok(wasmtime_wasi::p2::subscribe(&mut self.table, sleep)?)
            }
            _ => {
                self.slept_past_deadline = true;
                wasmtime::bail!("the plugin asked to sleep past its deadline")
            }
        }
    }
}

/// The monotonic clock plugins see: real time since the instance started.
#[derive(Clone, Copy)]
struct MonotonicClock {
    origin: Instant,
}

impl MonotonicClock {
    fn nanos(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

impl wasmtime_wasi::HostMonotonicClock for MonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        self.nanos()
    }
}

/// A timer the guest waits on.
struct Sleep(tokio::time::Instant);

#[wasmtime_wasi::async_trait]
impl Pollable for Sleep {
    async fn ready(&mut self) {
        tokio::time::sleep_until(self.0).await;
    }
}

/// The WASI clock interface whose sleeps the guard intercepts (wasmtime-wasi's version; guests
/// importing older 0.2 versions are matched to it).
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// Replaces WASI's monotonic-clock subscriptions with ones that respect the evaluation
/// deadline.
///
/// Epoch interruption only stops running WebAssembly; a guest blocked in a host sleep is not
/// running any. So a sleep that would end past the deadline fails at once as a timeout instead
/// of holding a thread for as long as the plugin asked.
fn guard_clock(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap(
        "subscribe-duration",
        |mut store: StoreContextMut<'_, HostState>, (nanos,): (u64,)| {
            let wake = Instant::now().checked_add(Duration::from_nanos(nanos));
            Ok((store.data_mut().sleep_until(wake)?,))
        },
    )?;
    clock.func_wrap(
        "subscribe-instant",
        |mut store: StoreContextMut<'_, HostState>, (when,): (u64,)| {
            let state = store.data_mut();
            let wait = when.saturating_sub(state.clock.nanos());
            let wake = Instant::now().checked_add(Duration::from_nanos(wait));
            Ok((state.sleep_until(wake)?,))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// `guard_sleeps` bounds every WASI call a plugin could make cost the host without limit, not
/// only sleeps; [`crate::runtime`] still knows it by its first name.
pub(crate) use self::guard_host_calls as guard_sleeps;

/// The WASI interfaces whose functions [`guard_host_calls`] replaces (wasmtime-wasi's versions;
/// guests importing older 0.2 versions are matched to them).
const STREAMS: &str = "wasi:io/streams@0.2.12";
const POLL: &str = "wasi:io/poll@0.2.12";
const RANDOM: &str = "wasi:random/random@0.2.12";
const INSECURE_RANDOM: &str = "wasi:random/insecure@0.2.12";

/// Replaces the WASI host functions whose cost the plugin chooses with bounded ones: the
/// monotonic-clock subscriptions (see [`HostState::sleep_until`]), the stream writes, `poll`
/// and the random functions.
///
/// A guest's arguments are lifted (copied out of its memory) before a host function runs, so a
/// bound must be checked on the un-lifted list: `write` and `blocking-write-and-flush` take a
/// [`WasmList`] and refuse a length over the permit before copying a byte (one 32 MiB write
/// held a debug build for 0.8 s in the copy alone).
pub(crate) fn guard_host_calls(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    guard_clock(linker)?;
    linker.allow_shadowing(true);
    let mut streams = linker.instance(STREAMS)?;
    streams.func_wrap(
        "[method]output-stream.write",
        |mut store: StoreContextMut<'_, HostState>,
         (stream, contents): (Resource<DynOutputStream>, WasmList<u8>)| {
            let table = &mut store.data_mut().table;
            let borrowed = Resource::new_borrow(stream.rep());
            let permit = match wasi_streams::HostOutputStream::check_write(table, borrowed) {
                Ok(permit) => permit,
                Err(e) => return Ok((Err(wasi_streams::Host::convert_stream_error(table, e)?),)),
            };
            // WASI: "this function will trap" when `contents` exceeds the permit.
            if contents.len() as u64 > permit {
                wasmtime::bail!(
                    "output-stream.write of {} bytes is over the stream's check-write permit of \
                     {permit} bytes",
                    contents.len()
                );
            }
            let bytes = contents.as_le_slice(&store).to_vec();
            let table = &mut store.data_mut().table;
            Ok((
                match wasi_streams::HostOutputStream::write(table, stream, bytes) {
                    Ok(()) => Ok(()),
                    Err(e) => Err(wasi_streams::Host::convert_stream_error(table, e)?),
                },
            ))
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-write-and-flush",
        |mut store: StoreContextMut<'_, HostState>,
         (stream, contents): (Resource<DynOutputStream>, WasmList<u8>)| {
            if contents.len() > MAX_BLOCKING_WRITE {
                wasmtime::bail!(
                    "output-stream.blocking-write-and-flush of {} bytes is over WASI's limit of \
                     {MAX_BLOCKING_WRITE} bytes per call",
                    contents.len()
                );
            }
            let bytes = contents.as_le_slice(&store).to_vec();
            let table = &mut store.data_mut().table;
            let result =
                wasi_streams::HostOutputStream::blocking_write_and_flush(table, stream, bytes);
            Ok((match result {
                Ok(()) => Ok(()),
                Err(e) => Err(wasi_streams::Host::convert_stream_error(table, e)?),
            },))
        },
    )?;
    let mut poll = linker.instance(POLL)?;
    poll.func_wrap(
        "poll",
        |mut store: StoreContextMut<'_, HostState>,
         (pollables,): (WasmList<Resource<DynPollable>>,)| {
            if pollables.len() > MAX_POLL_LIST {
                wasmtime::bail!(
                    "poll of {} pollables is over the limit of {MAX_POLL_LIST}",
                    pollables.len()
                );
            }
            let pollables = pollables
                .iter(&mut store)?
                .collect::<wasmtime::Result<Vec<_>>>()?;
            Ok((wasi_poll::Host::poll(
                &mut store.data_mut().table,
                pollables,
            )?,))
        },
    )?;
    // The insecure bytes come from the same CSPRNG: secure bytes are insecure bytes too.
    for (interface, function) in [
        (RANDOM, "get-random-bytes"),
        (INSECURE_RANDOM, "get-insecure-random-bytes"),
    ] {
        linker.instance(interface)?.func_wrap(
            function,
            move |mut store: StoreContextMut<'_, HostState>, (len,): (u64,)| {
                Ok((store.data_mut().random_bytes(function, len)?,))
            },
        )?;
    }
    linker.allow_shadowing(false);
    Ok(())
}

/// The WASI interfaces glue-rules refuses but lets a plugin import: `wasi:http/*`.
const STUBBED_PREFIX: &str = "wasi:http/";

/// Whether `component` imports any `wasi:http` interface.
pub(crate) fn imports_wasi_http(engine: &wasmtime::Engine, component: &Component) -> bool {
    component
        .component_type()
        .imports(engine)
        .any(|(name, _)| name.starts_with(STUBBED_PREFIX))
}

/// Defines every `wasi:http` function `component` imports as a function that traps, and every
/// resource those interfaces introduce as a host resource nothing can create.
///
/// A plugin has no network: these stubs exist only so that a component whose toolchain imports
/// `wasi:http` anyway (componentize-js's `fetch`) can load. Calling any of them ends the
/// evaluation with a trap naming the function. Resources the interfaces only *use* (`pollable`,
/// `input-stream`, ... from `wasi:io`) are left alone: they must stay the types the real WASI
/// implementation defines, which is why wasmtime's `define_unknown_imports_as_traps` cannot be
/// used here.
pub(crate) fn stub_wasi_http(
    engine: &wasmtime::Engine,
    linker: &mut Linker<HostState>,
    component: &Component,
) -> wasmtime::Result<()> {
    struct Unavailable;
    // A resource type is introduced by the first import that exports it; later mentions are
    // `use`s of that same type.
    let mut seen: Vec<ResourceType> = Vec::new();
    linker.allow_shadowing(true);
    for (name, item) in component.component_type().imports(engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        let stub = name.starts_with(STUBBED_PREFIX);
        let mut definitions = if stub {
            Some(linker.instance(name)?)
        } else {
            None
        };
        for (export, item) in instance.exports(engine) {
            match item.ty {
                ComponentItem::Resource(ty) => {
                    if seen.contains(&ty) {
                        continue;
                    }
                    seen.push(ty);
                    if let Some(definitions) = definitions.as_mut() {
                        definitions.resource(
                            export,
                            ResourceType::host::<Unavailable>(),
                            |_, _| Ok(()),
                        )?;
                    }
                }
                ComponentItem::ComponentFunc(_) => {
                    if let Some(definitions) = definitions.as_mut() {
                        let what = format!("{name}#{export}");
                        definitions.func_new(export, move |_, _, _, _| {
                            wasmtime::bail!(
                                "`{what}` is not available to glue-rules plugins (no network)"
                            )
                        })?;
                    }
                }
                _ => {}
            }
        }
    }
    linker.allow_shadowing(false);
    Ok(())
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

// The `glue:rules` host functions, of both contracts, are implemented in `crate::contract`.

/// `text` with every control character written as an escape (`\n`, `\u{1b}`, ...).
pub(crate) fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Which limit an instance ran into, so a trap can be reported by its cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LimitHit {
    Memory,
    Table,
}

/// Caps linear memory (summed over all memories of the instance) and tables, and remembers
/// which cap was hit. Growth past a cap traps at once instead of returning -1 to the guest, so
/// a memory bomb ends as a `memory` error rather than as whatever the guest does on failure.
pub(crate) struct Limiter {
    memory_bytes: usize,
    memory_used: usize,
    table_elements: usize,
    table_used: usize,
    pub(crate) hit: Option<LimitHit>,
}

impl Limiter {
    /// The linear memory of the instance now, across its memories.
    pub(crate) fn memory_used(&self) -> usize {
        self.memory_used
    }

    fn new(limits: &Limits) -> Self {
        Self {
            memory_bytes: limits.memory_bytes,
            memory_used: 0,
            table_elements: limits.table_elements,
            table_used: 0,
            hit: None,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.memory_used - current.min(self.memory_used) + desired;
        if total > self.memory_bytes {
            self.hit = Some(LimitHit::Memory);
            wasmtime::bail!(
                "linear memory would grow to {total} bytes, over the {}-byte limit",
                self.memory_bytes
            );
        }
        self.memory_used = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Like memory: the elements of all the instance's tables together (a component holds
        // many core instances, each with tables of its own).
        let total = self.table_used - current.min(self.table_used) + desired;
        if total > self.table_elements {
            self.hit = Some(LimitHit::Table);
            wasmtime::bail!(
                "tables would grow to {total} elements in all, over the limit of {}",
                self.table_elements
            );
        }
        self.table_used = total;
        Ok(true)
    }

    fn instances(&self) -> usize {
        // Components made by componentize-py hold more than a dozen core instances.
        64
    }

    fn memories(&self) -> usize {
        64
    }

    fn tables(&self) -> usize {
        64
    }
}

/// A plugin's log, with a per-evaluation budget of lines and bytes.
///
/// Lines over the budget are dropped and counted, never buffered, so a plugin that logs a
/// million lines costs the host a counter.
pub(crate) struct GuestLog {
    plugin: Arc<str>,
    max_lines: u32,
    max_bytes: usize,
    state: Mutex<LogState>,
}

#[derive(Default)]
struct LogState {
    lines: u32,
    bytes: usize,
    dropped: u64,
    partial: [Vec<u8>; 2],
    /// The lines of the evaluation in progress, kept when an explanation is asked for.
    captured: Option<Vec<LogRecord>>,
}

/// One line a plugin wrote during an evaluation (its `log` calls, or a line of stdout or
/// stderr), kept for `eval --explain`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogRecord {
    /// `trace` to `error`.
    pub level: &'static str,
    /// `log`, `stdout` or `stderr`.
    pub stream: &'static str,
    /// The text, as written.
    pub message: String,
}

/// The longest stdout/stderr line kept whole; longer lines are split.
const MAX_LINE_BYTES: usize = 4096;

impl GuestLog {
    pub(crate) fn new(plugin: Arc<str>, limits: &Limits) -> Self {
        Self {
            plugin,
            max_lines: limits.max_log_lines,
            max_bytes: limits.max_log_bytes,
            state: Mutex::new(LogState::default()),
        }
    }

    /// Starts a new evaluation's budget.
    pub(crate) fn begin(&self) {
        let mut state = self.lock();
        state.lines = 0;
        state.bytes = 0;
        state.captured = None;
    }

    /// Keeps the lines of the evaluation that starts now (within the same budget), for
    /// [`GuestLog::take_captured`].
    pub(crate) fn capture(&self) {
        self.lock().captured = Some(Vec::new());
    }

    /// The lines kept since [`GuestLog::capture`].
    pub(crate) fn take_captured(&self) -> Vec<LogRecord> {
        self.lock().captured.take().unwrap_or_default()
    }

    /// Flushes unterminated stdout/stderr lines and returns how many lines were dropped since
    /// the last call.
    pub(crate) fn finish(&self) -> u64 {
        for stream in [Stream::Stdout, Stream::Stderr] {
            let rest = std::mem::take(&mut self.lock().partial[stream as usize]);
            if !rest.is_empty() {
                self.line(
                    stream.level(),
                    stream.name(),
                    &String::from_utf8_lossy(&rest),
                );
            }
        }
        std::mem::take(&mut self.lock().dropped)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LogState> {
        // A panic while holding this lock cannot leave the counters inconsistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn line(&self, level: LogLevel, stream: &'static str, message: &str) {
        {
            let mut state = self.lock();
            if state.lines >= self.max_lines || state.bytes + message.len() > self.max_bytes {
                state.dropped += 1;
                return;
            }
            state.lines += 1;
            state.bytes += message.len();
            if let Some(captured) = &mut state.captured {
                captured.push(LogRecord {
                    level: match level {
                        LogLevel::Trace => "trace",
                        LogLevel::Debug => "debug",
                        LogLevel::Info => "info",
                        LogLevel::Warn => "warn",
                        LogLevel::Error => "error",
                    },
                    stream,
                    message: message.to_owned(),
                });
            }
        }
        let plugin = &*self.plugin;
        // A plugin's text never starts a line of its own in the host's log: newlines and other
        // control characters are escaped, so `ok\nERROR glue_rules: ...` stays one tagged line.
        let escaped;
        let message = if message.chars().any(char::is_control) {
            escaped = escape_controls(message);
            escaped.as_str()
        } else {
            message
        };
        match level {
            LogLevel::Trace => tracing::trace!(target: "plugin", plugin, stream, "{message}"),
            LogLevel::Debug => tracing::debug!(target: "plugin", plugin, stream, "{message}"),
            LogLevel::Info => tracing::info!(target: "plugin", plugin, stream, "{message}"),
            LogLevel::Warn => tracing::warn!(target: "plugin", plugin, stream, "{message}"),
            LogLevel::Error => tracing::error!(target: "plugin", plugin, stream, "{message}"),
        }
    }

    fn write(&self, stream: Stream, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let line = {
                let mut state = self.lock();
                // Over budget: whatever is left of this write is dropped at once, so a 32 MiB
                // write of newlines costs one check, not millions of empty lines.
                if state.lines >= self.max_lines || state.bytes >= self.max_bytes {
                    state.dropped += 1;
                    return;
                }
                let partial = &mut state.partial[stream as usize];
                let room = MAX_LINE_BYTES - partial.len();
                match bytes[..bytes.len().min(room)]
                    .iter()
                    .position(|&b| b == b'\n')
                {
                    Some(end) => {
                        partial.extend_from_slice(&bytes[..end]);
                        bytes = &bytes[end + 1..];
                        std::mem::take(partial)
                    }
                    None if bytes.len() >= room => {
                        partial.extend_from_slice(&bytes[..room]);
                        bytes = &bytes[room..];
                        std::mem::take(partial)
                    }
                    None => {
                        partial.extend_from_slice(bytes);
                        return;
                    }
                }
            };
            self.line(
                stream.level(),
                stream.name(),
                &String::from_utf8_lossy(&line),
            );
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout = 0,
    Stderr = 1,
}

impl Stream {
    fn level(self) -> LogLevel {
        match self {
            Stream::Stdout => LogLevel::Info,
            Stream::Stderr => LogLevel::Warn,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// A guest's stdout or stderr, turned into log lines.
#[derive(Clone)]
struct GuestOutput {
    log: Arc<GuestLog>,
    stream: Stream,
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        // Only WASI p2 (synchronous) guests are served; p3 streams never reach here.
        Box::new(tokio::io::sink())
    }
}

impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.log.write(self.stream, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(MAX_LINE_BYTES * 16)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {}
}

#[cfg(test)]
mod escape_tests {
    use super::escape_controls;

    #[test]
    fn a_plugin_cannot_start_a_log_line_of_its_own() {
        let forged = escape_controls("ok\nERROR glue_rules: FORGED\r\u{1b}[31m");
        assert!(!forged.contains('\n') && !forged.contains('\r') && !forged.contains('\u{1b}'));
        assert_eq!(forged, "ok\\nERROR glue_rules: FORGED\\r\\u{1b}[31m");
        assert_eq!(escape_controls("plain"), "plain");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_budget_drops_and_counts_excess_lines() {
        let limits = Limits {
            max_log_lines: 3,
            ..Limits::default()
        };
        let log = GuestLog::new("p".into(), &limits);
        log.begin();
        for _ in 0..10 {
            log.line(LogLevel::Info, "log", "hello");
        }
        assert_eq!(log.finish(), 7);
        log.begin();
        log.line(LogLevel::Info, "log", "again");
        assert_eq!(log.finish(), 0);
    }

    #[test]
    fn stdout_is_split_into_lines_and_long_lines_are_cut() {
        let limits = Limits {
            max_log_lines: 1000,
            max_log_bytes: 1 << 20,
            ..Limits::default()
        };
        let log = GuestLog::new("p".into(), &limits);
        log.begin();
        log.write(Stream::Stdout, b"a\nb");
        log.write(Stream::Stdout, &vec![b'x'; MAX_LINE_BYTES * 2 + 1]);
        assert_eq!(log.lock().lines, 3);
        log.finish();
        assert_eq!(log.lock().lines, 4);
    }

    #[test]
    fn memory_cap_counts_every_memory_of_the_instance() {
        let mut limiter = Limiter::new(&Limits {
            memory_bytes: 100,
            ..Limits::default()
        });
        assert!(limiter.memory_growing(0, 60, None).unwrap());
        assert!(limiter.memory_growing(0, 60, None).is_err());
        assert_eq!(limiter.hit, Some(LimitHit::Memory));
    }

    #[test]
    fn table_cap_counts_every_table_of_the_instance() {
        let mut limiter = Limiter::new(&Limits {
            table_elements: 100,
            ..Limits::default()
        });
        assert!(limiter.table_growing(0, 60, None).unwrap());
        // The same table growing is counted once.
        assert!(limiter.table_growing(60, 80, None).unwrap());
        // A second table of 30 would make 110.
        assert!(limiter.table_growing(0, 30, None).is_err());
        assert_eq!(limiter.hit, Some(LimitHit::Table));
        assert!(limiter.table_growing(0, 20, None).unwrap());
    }

    #[test]
    fn random_bytes_have_a_cap_per_call_and_a_budget_per_evaluation() {
        let limits = Limits::default();
        let log = Arc::new(GuestLog::new("p".into(), &limits));
        let mut state = HostState::new(&limits, log, Arc::default());
        state.begin(Duration::ZERO, Duration::ZERO);
        let err = state.take_random("get-random-bytes", 16 << 20).unwrap_err();
        assert!(err.to_string().contains("per call"), "{err}");
        for _ in 0..MAX_RANDOM_BYTES_PER_EVALUATION / MAX_RANDOM_BYTES_PER_CALL {
            state
                .take_random("get-random-bytes", MAX_RANDOM_BYTES_PER_CALL)
                .unwrap();
        }
        let err = state.take_random("get-random-bytes", 1).unwrap_err();
        assert!(err.to_string().contains("per evaluation"), "{err}");
        state.begin(Duration::ZERO, Duration::ZERO);
        state.take_random("get-random-bytes", 16).unwrap();
    }
}
