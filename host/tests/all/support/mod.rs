//! Shared helpers for the integration tests: the guest plugins (built once), the binary (from
//! cargo, as `CARGO_BIN_EXE_glue-rules`), the fixtures, temporary directories, a sidecar.

pub mod http;
pub mod languages;
#[cfg(feature = "aws")]
pub mod moto;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_owned()
}

/// The AWS documentation's Glue events, kept in the repository under `examples/events/aws-docs`.
pub fn fixtures_dir() -> PathBuf {
    repo_root()
        .join("examples/events/aws-docs")
        .canonicalize()
        .expect("examples/events/aws-docs exists in the repository")
}

/// One fixture file by name.
pub fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// Runs cargo with `args` plus JSON messages and returns the paths of the artifacts it built
/// whose file names end with `suffix`.
fn cargo_artifacts(args: &[&str], suffix: &str, executables: bool) -> Result<Vec<PathBuf>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .current_dir(repo_root())
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running cargo")?;
    if !output.status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    let mut found = Vec::new();
    for line in output.stdout.split(|&b| b == b'\n') {
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let paths: Vec<&serde_json::Value> = if executables {
            message["executable"]
                .as_str()
                .map(|_| &message["executable"])
                .into_iter()
                .collect()
        } else {
            message["filenames"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default()
        };
        for path in paths.into_iter().filter_map(|p| p.as_str()) {
            if path.ends_with(suffix) {
                found.push(PathBuf::from(path));
            }
        }
    }
    Ok(found)
}

/// The guest components built for these tests.
#[derive(Debug, Clone)]
pub struct Plugins {
    /// `plugins/lambda-on-success`.
    pub lambda_on_success: PathBuf,
    /// `plugins/sns-on-failure`.
    pub sns_on_failure: PathBuf,
    /// `tests/plugins/hostile`.
    pub hostile: PathBuf,
}

/// Builds the example and test plugins for wasm32-wasip2 (once per test process; a no-op
/// when `.ci/run` already built them).
pub fn plugins() -> &'static Plugins {
    static PLUGINS: OnceLock<Plugins> = OnceLock::new();
    PLUGINS.get_or_init(|| {
        let built = cargo_artifacts(
            &[
                "build",
                "--target",
                "wasm32-wasip2",
                "--profile",
                "guest",
                "-p",
                "lambda-on-success",
                "-p",
                "sns-on-failure",
                "-p",
                "hostile-plugin",
            ],
            ".wasm",
            false,
        )
        .expect("building the guest plugins (is the wasm32-wasip2 target installed?)");
        let find = |stem: &str| {
            built
                .iter()
                .find(|p| p.file_stem().is_some_and(|s| s == stem))
                .unwrap_or_else(|| panic!("cargo built no {stem}.wasm"))
                .clone()
        };
        Plugins {
            lambda_on_success: find("lambda_on_success"),
            sns_on_failure: find("sns_on_failure"),
            hostile: find("hostile_plugin"),
        }
    })
}

/// The `glue-rules` binary cargo built for these tests.
pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_glue-rules"))
}

/// Runs the binary with `args` in `dir` and returns its output.
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Output> {
    run_with(dir, args, stdin, &[])
}

/// [`run_in`] with no input and extra environment variables (the AWS ones, say).
pub fn run_with_env(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Result<Output> {
    run_with(dir, args, None, env)
}

fn run_with(
    dir: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, String)],
) -> Result<Output> {
    use std::io::Write;
    let mut child = Command::new(binary())
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(dir)
        .env_remove("GLUE_RULES_CONFIG")
        .env("GLUE_RULES_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("starting glue-rules")?;
    let mut input = child.stdin.take().context("stdin")?;
    if let Some(bytes) = stdin {
        input.write_all(bytes)?;
    }
    drop(input);
    Ok(child.wait_with_output()?)
}

/// The JSON lines of a command's stdout.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// Polls `check` every 50 ms until it holds, failing the test with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: std::time::Duration, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A fresh empty directory under the system temp dir, removed on drop.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// Creates the directory; `label` shows in its name, for a human reading /tmp.
    pub fn new(label: &str) -> Self {
        Self(
            tempfile::Builder::new()
                .prefix(&format!("glue-rules-{label}-"))
                .tempdir()
                .expect("creating a temp dir"),
        )
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// A running `glue-rules serve`, stopped (SIGKILL) on drop unless already stopped.
pub struct Sidecar {
    child: std::process::Child,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Sidecar {
    /// Starts `glue-rules serve --listen 127.0.0.1:0 ARGS...` in `dir` and waits until it
    /// prints its address.
    pub fn start(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Result<Self> {
        use std::io::BufRead;
        let mut command = Command::new(binary());
        command.arg("serve").args(["--listen", "127.0.0.1:0"]);
        // A local outbox in the test's directory, unless the configuration makes an SQS queue
        // the outbox (serve refuses both).
        let config = std::fs::read_to_string(dir.join("glue-rules.toml")).unwrap_or_default();
        if !config.contains("outbox-queue-url") {
            command.arg("--outbox").arg(dir.join("outbox.sqlite"));
        }
        command
            .args(args)
            .current_dir(dir)
            .env_remove("GLUE_RULES_CONFIG")
            .env_remove("GLUE_RULES_ADMIN_TOKEN")
            .env("GLUE_RULES_LOG", "info")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (k, v) in envs {
            command.env(k, v);
        }
        let mut child = command.spawn().context("starting glue-rules serve")?;
        let stderr = child.stderr.take().context("stderr")?;
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(addr);
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = match rx.recv_timeout(std::time::Duration::from_secs(120)) {
            Ok(addr) => addr.parse().context("parsing the address")?,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait()?;
                std::thread::sleep(std::time::Duration::from_millis(100));
                bail!("serve did not start ({status}): {}", log.lock().unwrap());
            }
        };
        Ok(Self {
            child,
            addr,
            stderr: log,
        })
    }

    /// Everything it wrote to stderr so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends a signal (by number) to the process.
    pub fn signal(&self, signal: i32) {
        let _ = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status();
    }

    /// Waits for the process to exit, up to `timeout`.
    pub fn wait(&mut self, timeout: std::time::Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
