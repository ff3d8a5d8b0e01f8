//! `glue-rules dev`: the plugin author's inner loop. It watches a project's sources and, on
//! every change, runs the project's build, its native unit tests and `glue-rules test` on its
//! fixtures, then hot-reloads the new component into a local sidecar, which keeps serving the
//! last good build while a change is broken.
//!
//! The commands come from the `[project]` table of the project's `glue-rules.toml` (written by
//! `glue-rules new`), so `dev` knows nothing about languages. Sources are watched by polling
//! their modification times: a project is a few dozen files, a poll costs microseconds, and it
//! behaves the same on every file system (network mounts and containers' bind mounts included).
//! The sidecar is a child `glue-rules serve` on loopback with its own plugins directory
//! (`.glue-rules/dev/` in the project) and outbox, reloaded through its admin API.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use clap::Args;
use glue_rules::config::{Config, DEFAULT_CONFIG_FILE, ProjectSection};
use glue_rules::runtime::reload::ReloadReport;

use super::exit;

#[derive(Debug, Args)]
pub(crate) struct DevArgs {
    /// The project's configuration, with its `[project]` table [default: ./glue-rules.toml].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the local sidecar listens (loopback; port 0 picks a free one).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Only build and test on every change; start no sidecar.
    #[arg(long)]
    no_serve: bool,
    /// Run one build-test(-reload) round and exit with its status (0 when it passed).
    #[arg(long)]
    once: bool,
    /// How often to look at the sources, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 300)]
    poll_ms: u64,
    /// Directory for compiled components, shared by the fixture checks and the sidecar
    /// [default: the user cache directory].
    #[arg(long, value_name = "DIR", env = "GLUE_RULES_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

/// Directories never watched: build output and installed dependencies, which a build itself
/// rewrites (watching them would rebuild forever).
const IGNORED_DIRS: &[&str] = &[
    ".git",
    ".glue-rules",
    "node_modules",
    "target",
    "build",
    "__pycache__",
    ".pytest_cache",
    ".venv",
];

/// The most files a watch follows; past that the watch list is almost certainly wrong (a
/// dependency directory), and polling it would cost more than it saves.
const MAX_WATCHED_FILES: usize = 20_000;

pub(crate) fn run(args: DevArgs) -> anyhow::Result<u8> {
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
    // Absolute, so that the project's paths (and the commands' working directory) are too.
    let config_path = match config_path.canonicalize() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("error: {}: {e}", config_path.display());
            return Ok(exit::BAD_INPUT);
        }
    };
    let config = match Config::load(&config_path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::BAD_INPUT);
        }
    };
    let Some(project) = config.project.clone() else {
        eprintln!(
            "error: {}: no [project] table: `glue-rules dev` needs the project's `build` \
             command and `wasm` output (glue-rules new writes them), e.g.\n\n[project]\n\
             build = \"npm run build\"\ntest = \"npm test\"\nwasm = \"build/my-rule.wasm\"\n\
             watch = [\"src\"]",
            config_path.display()
        );
        return Ok(exit::BAD_INPUT);
    };
    if !args.listen.ip().is_loopback() && !args.no_serve {
        eprintln!(
            "error: --listen {}: the dev sidecar serves without tokens, so only on loopback",
            args.listen
        );
        return Ok(exit::BAD_INPUT);
    }
    let dev_dir = project.root.join(".glue-rules/dev");
    let plugins_dir = dev_dir.join("plugins");
    std::fs::create_dir_all(&plugins_dir)
        .with_context(|| format!("{}: cannot create", plugins_dir.display()))?;

    let sidecar = if args.no_serve {
        None
    } else {
        Some(DevSidecar::start(
            &config_path,
            &plugins_dir,
            &dev_dir,
            args.listen,
            args.cache_dir.as_deref(),
        )?)
    };
    let child = sidecar.as_ref().map(|s| s.child.clone());
    stop_on_signal(child);

    let poll = Duration::from_millis(args.poll_ms.max(20));
    let mut seen = snapshot(&project.watch);
    let mut round = Round {
        project: &project,
        config: &config_path,
        plugins_dir: &plugins_dir,
        sidecar: sidecar.as_ref(),
        cache_dir: args.cache_dir.as_deref(),
    };
    let watched = project
        .watch
        .iter()
        .map(|p| shown(p, &project.root))
        .collect::<Vec<_>>()
        .join(", ");
    // A component newer than every source is what a build would make: serve it as it is
    // (but a single round, for scripts, always builds and tests).
    let fresh = !args.once && up_to_date(&project.wasm, &seen);
    say(&format!(
        "watching {watched} ({} files); {}",
        seen.len(),
        if fresh {
            "the build is up to date"
        } else {
            "first build"
        }
    ));
    let passed = if fresh {
        round.publish(Instant::now(), "starting")
    } else {
        round.run(Instant::now(), "starting")
    };
    if args.once {
        return Ok(if passed {
            exit::OK
        } else {
            exit::PLUGIN_FAILED
        });
    }
    loop {
        std::thread::sleep(poll);
        if let Some(sidecar) = &sidecar
            && let Some(status) = sidecar.exited()
        {
            eprintln!("error: the dev sidecar exited ({status}); see its output above");
            return Ok(exit::PLUGIN_FAILED);
        }
        let now = snapshot(&project.watch);
        if now == seen {
            continue;
        }
        // An editor saves in steps (write a temporary file, rename it): wait for the tree to
        // hold still for one poll before building.
        let edited_at = Instant::now();
        let mut settled = now;
        loop {
            std::thread::sleep(poll);
            let again = snapshot(&project.watch);
            if again == settled {
                break;
            }
            settled = again;
        }
        let changed = changed_files(&seen, &settled);
        seen = settled;
        say(&format!(
            "changed: {}",
            changed
                .iter()
                .take(5)
                .map(|p| shown(p, &project.root))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        round.run(edited_at, "the edit");
    }
}

/// One build, test, check and reload.
struct Round<'a> {
    project: &'a ProjectSection,
    config: &'a Path,
    plugins_dir: &'a Path,
    sidecar: Option<&'a DevSidecar>,
    cache_dir: Option<&'a Path>,
}

impl Round<'_> {
    /// Runs the round for what happened at `since` (`what`: "the edit") and says how it
    /// went; true when every step passed.
    fn run(&mut self, since: Instant, what: &str) -> bool {
        let project = self.project;
        let kept = self.kept();
        if !step("build", &project.build, &project.root, kept) {
            return false;
        }
        if let Some(test) = &project.test
            && !step("unit tests", test, &project.root, kept)
        {
            return false;
        }
        if !project.wasm.is_file() {
            say(&format!(
                "the build succeeded but wrote no {}: check `wasm` in [project]",
                project.wasm.display()
            ));
            return false;
        }
        if project.fixtures.is_dir() {
            let started = Instant::now();
            let exe = std::env::current_exe().ok();
            let status = exe.map(|exe| {
                let mut command = Command::new(exe);
                command
                    .arg("test")
                    .arg(&project.wasm)
                    .arg("--fixtures")
                    .arg(&project.fixtures)
                    .arg("--config")
                    .arg(self.config)
                    .current_dir(&project.root);
                if let Some(cache) = self.cache_dir {
                    command.arg("--cache-dir").arg(cache);
                }
                command.status()
            });
            match status {
                Some(Ok(status)) if status.success() => say(&format!(
                    "fixtures passed ({:.1} s)",
                    started.elapsed().as_secs_f64()
                )),
                Some(Ok(status)) => {
                    say(&format!("`glue-rules test` failed ({status}){kept}"));
                    return false;
                }
                Some(Err(e)) => {
                    say(&format!("cannot run `glue-rules test`: {e}"));
                    return false;
                }
                None => {
                    say("cannot find this glue-rules executable to run `glue-rules test`");
                    return false;
                }
            }
        }
        self.publish(since, what)
    }

    /// What a failed round leaves serving, in words, for the failure's line.
    fn kept(&self) -> &'static str {
        if self.sidecar.is_some() {
            "; the sidecar keeps the last good build"
        } else {
            ""
        }
    }

    /// Puts the build into the sidecar (when there is one) and says so.
    fn publish(&self, since: Instant, what: &str) -> bool {
        if let Some(sidecar) = self.sidecar {
            match self.install() {
                Ok(()) => {}
                Err(e) => {
                    say(&format!("cannot install the build for the sidecar: {e:#}"));
                    return false;
                }
            }
            match sidecar.reload() {
                Ok(summary) => say(&format!(
                    "reloaded into http://{}/v1/events: {summary} ({:.1} s after {what})",
                    sidecar.addr,
                    since.elapsed().as_secs_f64()
                )),
                Err(e) => {
                    say(&format!("the sidecar did not reload: {e:#}"));
                    return false;
                }
            }
        } else {
            say(&format!(
                "ready ({:.1} s after {what})",
                since.elapsed().as_secs_f64()
            ));
        }
        true
    }

    /// Copies the build into the sidecar's plugins directory in one rename, so that the
    /// sidecar never reads half a file.
    fn install(&self) -> anyhow::Result<()> {
        let name = self
            .project
            .wasm
            .file_name()
            .context("`wasm` names no file")?;
        let target = self.plugins_dir.join(name);
        let partial = self.plugins_dir.join(".incoming.partial");
        std::fs::copy(&self.project.wasm, &partial)
            .with_context(|| format!("copying {}", self.project.wasm.display()))?;
        std::fs::rename(&partial, &target)
            .with_context(|| format!("renaming into {}", target.display()))?;
        Ok(())
    }
}

/// Runs one `[project]` command through the shell in `root`, its output on the terminal.
fn step(what: &str, command: &str, root: &Path, kept: &str) -> bool {
    let started = Instant::now();
    say(&format!("{what}: {command}"));
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(command)
        .current_dir(root)
        .stdin(Stdio::null());
    // The SDKs' test helpers load fixtures with `$GLUE_RULES event --typed`: this very
    // glue-rules, whether or not it is on PATH.
    if std::env::var_os("GLUE_RULES").is_none()
        && let Ok(exe) = std::env::current_exe()
    {
        sh.env("GLUE_RULES", exe);
    }
    let status = sh.status();
    let took = started.elapsed().as_secs_f64();
    match status {
        Ok(status) if status.success() => {
            say(&format!("{what} passed ({took:.1} s)"));
            true
        }
        Ok(status) => {
            say(&format!("{what} failed ({status}, {took:.1} s){kept}"));
            false
        }
        Err(e) => {
            say(&format!("cannot run sh for the {what}: {e}"));
            false
        }
    }
}

/// The local sidecar: a child `glue-rules serve`.
struct DevSidecar {
    child: Arc<Mutex<Child>>,
    addr: SocketAddr,
}

impl DevSidecar {
    fn start(
        config: &Path,
        plugins_dir: &Path,
        dev_dir: &Path,
        listen: SocketAddr,
        cache_dir: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find this glue-rules executable")?;
        let mut command = Command::new(exe);
        command.arg("serve");
        if let Some(cache) = cache_dir {
            command.arg("--cache-dir").arg(cache);
        }
        let mut child = command
            .arg("--config")
            .arg(config)
            .arg("--plugins-dir")
            .arg(plugins_dir)
            .arg("--listen")
            .arg(listen.to_string())
            // `dev` reloads through the admin API after each build, so the sidecar need not
            // look at the directory itself.
            .arg("--watch-interval-ms")
            .arg("0")
            .arg("--outbox")
            .arg(dev_dir.join("outbox.sqlite"))
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start the dev sidecar (glue-rules serve)")?;
        let stderr = child.stderr.take().context("the sidecar's stderr")?;
        let (found, addr) = std::sync::mpsc::channel();
        // Pass the sidecar's log through, and pick its address from the line that gives it.
        std::thread::spawn(move || {
            let mut found = Some(found);
            let mut reader = std::io::BufReader::new(stderr);
            let mut line = String::new();
            while std::io::BufRead::read_line(&mut reader, &mut line).is_ok_and(|n| n > 0) {
                if let Some(rest) = line.split("listening on http://").nth(1)
                    && let Some(found) = found.take()
                    && let Some(addr) = rest.split_whitespace().next()
                    && let Ok(addr) = addr.parse::<SocketAddr>()
                {
                    let _ = found.send(addr);
                }
                let _ = std::io::stderr().write_all(line.as_bytes());
                line.clear();
            }
        });
        // Compiling the components of a large project can take a while on a busy machine.
        let addr = match addr.recv_timeout(Duration::from_secs(300)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                anyhow::bail!("the dev sidecar did not start listening");
            }
        };
        say(&format!(
            "sidecar on http://{addr} (plugins from {})",
            plugins_dir.display()
        ));
        Ok(Self {
            child: Arc::new(Mutex::new(child)),
            addr,
        })
    }

    /// The sidecar's exit status, once it has exited.
    fn exited(&self) -> Option<ExitStatus> {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        child.try_wait().ok().flatten()
    }

    /// Asks the sidecar to reload its plugins directory; returns what changed, in words.
    fn reload(&self) -> anyhow::Result<String> {
        let body = http_post(self.addr, "/v1/admin/reload")?;
        let report: ReloadReport =
            serde_json::from_str(&body).with_context(|| format!("reload answered {body:?}"))?;
        if !report.failed.is_empty() {
            let failed: Vec<String> = report
                .failed
                .iter()
                .map(|f| format!("{}: {}", f.path, f.error))
                .collect();
            anyhow::bail!("{}", failed.join("; "));
        }
        let name = |path: &String| {
            Path::new(path)
                .file_name()
                .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned())
        };
        let parts: Vec<String> = [
            ("added", &report.added),
            ("replaced", &report.replaced),
            ("removed", &report.removed),
        ]
        .into_iter()
        .filter(|(_, files)| !files.is_empty())
        .map(|(what, files)| {
            format!(
                "{what} {}",
                files.iter().map(name).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
        Ok(if parts.is_empty() {
            "nothing changed".to_owned()
        } else {
            parts.join("; ")
        })
    }
}

impl Drop for DevSidecar {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// One `POST` with an empty body to the sidecar on loopback, and the response body; the
/// sidecar is our own child, so a minimal HTTP/1.1 exchange is all it takes.
fn http_post(addr: SocketAddr, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .with_context(|| format!("connecting to the dev sidecar at {addr}"))?;
    // A reload compiles the new component: allow for a slow machine.
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .context("the sidecar sent no HTTP response")?;
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200 ") {
        anyhow::bail!("{status}: {body}");
    }
    Ok(body.to_owned())
}

/// Kills the sidecar and exits on Ctrl-C or SIGTERM, so that no `serve` outlives `dev`.
fn stop_on_signal(child: Option<Arc<Mutex<Child>>>) {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut term) = signal(SignalKind::terminate()) else {
                    return;
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
        });
        if let Some(child) = child {
            let mut child = child.lock().unwrap_or_else(|p| p.into_inner());
            let _ = child.kill();
            let _ = child.wait();
        }
        std::process::exit(130);
    });
}

/// Modification time and length of every file under the watched paths.
type Snapshot = BTreeMap<PathBuf, (Option<SystemTime>, u64)>;

fn snapshot(paths: &[PathBuf]) -> Snapshot {
    let mut files = Snapshot::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = stack.pop() {
        if files.len() >= MAX_WATCHED_FILES {
            break;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            let ignored = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| IGNORED_DIRS.contains(&n));
            if ignored && !paths.contains(&path) {
                continue;
            }
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else {
            files.insert(path, (meta.modified().ok(), meta.len()));
        }
    }
    files
}

/// Whether `wasm` exists and is newer than every file of `sources`.
fn up_to_date(wasm: &Path, sources: &Snapshot) -> bool {
    let Some(built) = std::fs::metadata(wasm).ok().and_then(|m| m.modified().ok()) else {
        return false;
    };
    sources
        .values()
        .all(|(modified, _)| modified.is_some_and(|m| m <= built))
}

fn changed_files(before: &Snapshot, after: &Snapshot) -> Vec<PathBuf> {
    let mut changed: Vec<PathBuf> = after
        .iter()
        .filter(|(path, stamp)| before.get(*path) != Some(stamp))
        .map(|(path, _)| path.clone())
        .collect();
    changed.extend(before.keys().filter(|p| !after.contains_key(*p)).cloned());
    changed
}

fn shown(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// One line of the loop's own narration, told apart from the build's output.
fn say(message: &str) {
    eprintln!("dev: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_sees_edits_and_ignores_build_output() {
        let dir = std::env::temp_dir().join(format!("glue-rules-dev-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src/node_modules")).unwrap();
        std::fs::write(dir.join("src/index.js"), "a").unwrap();
        std::fs::write(dir.join("src/node_modules/x.js"), "x").unwrap();
        let before = snapshot(&[dir.join("src")]);
        assert_eq!(before.len(), 1, "{before:?}");
        std::fs::write(dir.join("src/index.js"), "ab").unwrap();
        std::fs::write(dir.join("src/node_modules/x.js"), "xy").unwrap();
        let after = snapshot(&[dir.join("src")]);
        assert_eq!(changed_files(&before, &after), [dir.join("src/index.js")]);
        std::fs::remove_file(dir.join("src/index.js")).unwrap();
        let gone = snapshot(&[dir.join("src")]);
        assert_eq!(changed_files(&after, &gone), [dir.join("src/index.js")]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
