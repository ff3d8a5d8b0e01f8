//! A real AWS-compatible server for the dispatch tests: moto (`moto[server]` from PyPI).
//!
//! One moto per test binary, shared through [`lease`], which serialises the tests that use it
//! and resets it between them (moto is a single Python process: parallel tests would only
//! slow each other down and make throughput numbers meaningless). Every test also uses fresh
//! resource names ([`unique`]).
//!
//! moto is started through a small shell watchdog that kills it when the test process dies,
//! since a `static` is never dropped: no moto outlives its tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The account moto uses for everything.
pub const ACCOUNT: &str = "123456789012";
/// The region the tests use.
pub const REGION: &str = "us-east-1";

/// Where `moto_server` is: `$GLUE_RULES_MOTO`, the virtual environment `.ci/test` creates
/// (`$HOME/.cache/glue-rules/venv`), or `PATH`.
pub fn moto_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("GLUE_RULES_MOTO") {
        return Ok(PathBuf::from(path));
    }
    if let Some(home) = std::env::var_os("HOME") {
        let venv = Path::new(&home).join(".cache/glue-rules/venv/bin/moto_server");
        if venv.is_file() {
            return Ok(venv);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("moto_server"))
        .find(|p| p.is_file())
        .context(
            "moto_server not found: run `bash -c 'source .ci/common.sh; ensure_moto'`, or set \
             GLUE_RULES_MOTO to a moto_server binary",
        )
}

/// A fresh resource name for this test process: `prefix-PID-N`.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A running moto server.
pub struct Moto {
    watchdog: Child,
    pid: u32,
    port: u16,
    recording: PathBuf,
    stderr_tail: std::sync::Arc<Mutex<Vec<String>>>,
}

const WATCHDOG: &str = r#"
"$1" -H 127.0.0.1 -p "$2" >/dev/null &
m=$!
echo "$m"
while kill -0 "$3" 2>/dev/null && kill -0 "$m" 2>/dev/null; do sleep 1; done
kill -9 "$m" 2>/dev/null
"#;

impl Moto {
    /// Starts moto on a free port.
    pub fn start() -> Result<Self> {
        Self::start_on(0)
    }

    /// Starts moto on `port` (0: any free port), waits until it answers, and configures it
    /// for the tests (Lambda without Docker, Step Functions executions that run).
    pub fn start_on(port: u16) -> Result<Self> {
        let binary = moto_binary()?;
        let recording =
            std::env::temp_dir().join(format!("glue-rules-moto-{}.jsonl", unique("rec")));
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("sh")
            .arg(&binary)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .env("MOTO_RECORDER_FILEPATH", &recording)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut stdout = BufReader::new(watchdog.stdout.take().context("stdout")?);
        let mut pid_line = String::new();
        stdout.read_line(&mut pid_line)?;
        let pid: u32 = pid_line
            .trim()
            .parse()
            .context("moto's pid from the watchdog")?;

        // Read the port from " * Running on http://127.0.0.1:PORT", then keep draining stderr
        // (moto logs every request there) into a short tail for diagnostics.
        let stderr = watchdog.stderr.take().context("stderr")?;
        let tail = std::sync::Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        {
            let tail = tail.clone();
            std::thread::spawn(move || {
                let mut tx = Some(tx);
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(rest) = line.split("Running on http://127.0.0.1:").nth(1)
                        && let Ok(port) = rest.trim().parse::<u16>()
                        && let Some(tx) = tx.take()
                    {
                        let _ = tx.send(port);
                    }
                    let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                    tail.push(line);
                    if tail.len() > 50 {
                        tail.remove(0);
                    }
                }
            });
        }
        let mut moto = Self {
            watchdog,
            pid,
            port: 0,
            recording,
            stderr_tail: tail,
        };
        moto.port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(port) => port,
            Err(_) => bail!("moto did not report its port: {}", moto.tail()),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = moto.request("GET", "/moto-api/", None) {
                break;
            }
            if Instant::now() > deadline {
                bail!("moto did not answer GET /moto-api/: {}", moto.tail());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        moto.configure()?;
        Ok(moto)
    }

    fn tail(&self) -> String {
        self.stderr_tail
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .join("\n")
    }

    /// Lambda without Docker (invocations echo their payload) and Step Functions executions
    /// that actually run. Kept across [`Moto::reset`].
    pub fn configure(&self) -> Result<()> {
        let (status, body) = self.request(
            "POST",
            "/moto-api/config",
            Some(br#"{"lambda":{"use_docker":false},"stepfunctions":{"execute_state_machine":true}}"#),
        )?;
        if !(200..300).contains(&status) {
            bail!("moto config: {status} {}", String::from_utf8_lossy(&body));
        }
        Ok(())
    }

    /// The port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Clears every resource (moto keeps its configuration).
    pub fn reset(&self) -> Result<()> {
        let (status, _) = self.request("POST", "/moto-api/reset", Some(b""))?;
        if !(200..300).contains(&status) {
            bail!("moto reset: {status}");
        }
        self.configure()
    }

    /// Starts recording every request (clearing what was recorded before).
    pub fn start_recording(&self) -> Result<()> {
        self.request("POST", "/moto-api/recorder/reset-recording", Some(b""))?;
        self.request("POST", "/moto-api/recorder/start-recording", Some(b""))?;
        Ok(())
    }

    /// Every request recorded so far, one JSON object each (`url`, `method`, `headers`,
    /// `body`, `body_encoded`).
    pub fn recording(&self) -> Result<Vec<serde_json::Value>> {
        let (_, body) = self.request("GET", "/moto-api/recorder/download-recording", None)?;
        Ok(String::from_utf8_lossy(&body)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }

    /// Stops recording.
    pub fn stop_recording(&self) -> Result<()> {
        self.request("POST", "/moto-api/recorder/stop-recording", Some(b""))?;
        Ok(())
    }

    /// One plain HTTP/1.1 request to moto; returns the status and body.
    pub fn request(&self, method: &str, path: &str, body: Option<&[u8]>) -> Result<(u16, Vec<u8>)> {
        http(self.port, method, path, &[], body)
    }

    /// Creates an IAM role (Lambda and Step Functions need one that exists) and returns its
    /// ARN. A form-encoded query call, so the tests need no IAM SDK.
    pub fn create_role(&self, name: &str) -> Result<String> {
        let body = format!(
            "Action=CreateRole&Version=2010-05-08&RoleName={name}&AssumeRolePolicyDocument=%7B%7D"
        );
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=testing/20240101/{REGION}/iam/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        let (status, response) = http(
            self.port,
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", &auth),
            ],
            Some(body.as_bytes()),
        )?;
        if status != 200 {
            bail!(
                "CreateRole: {status} {}",
                String::from_utf8_lossy(&response)
            );
        }
        Ok(format!("arn:aws:iam::{ACCOUNT}:role/{name}"))
    }

    /// Kills moto at once (SIGKILL).
    pub fn kill(&mut self) {
        let _ = Command::new("kill")
            .arg("-9")
            .arg(self.pid.to_string())
            .status();
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.recording);
    }
}

fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    request += "\r\n";
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers in moto's answer")?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status in moto's answer")?;
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

static SHARED: OnceLock<Mutex<Moto>> = OnceLock::new();

/// The test binary's moto, for one test at a time, freshly reset.
pub struct Lease(MutexGuard<'static, Moto>);

impl std::ops::Deref for Lease {
    type Target = Moto;
    fn deref(&self) -> &Moto {
        &self.0
    }
}

/// Takes the test binary's moto (starting it the first time), waits for any other test using
/// it, and resets it.
pub fn lease() -> Lease {
    let shared = SHARED.get_or_init(|| Mutex::new(Moto::start().expect("starting moto")));
    let guard = shared.lock().unwrap_or_else(|p| p.into_inner());
    guard.reset().expect("resetting moto");
    Lease(guard)
}

/// An AWS SDK configuration for moto: static test credentials, the test region, the lean
/// rustls-on-ring HTTP client.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

/// The environment a `glue-rules` process talking to moto needs: static credentials, and
/// no instance metadata or profile lookups (which would leave the machine).
pub fn aws_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_CONFIG_FILE", "/nonexistent/glue-rules-test".into()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/glue-rules-test".into(),
        ),
        ("AWS_REGION", REGION.into()),
    ]
}

/// Creates an SQS queue named `name`; returns its URL.
pub async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .expect("a queue URL")
        .to_owned()
}

/// A topic with a queue subscribed to it; returns (topic ARN, queue URL).
pub async fn topic_with_queue(
    sns: &aws_sdk_sns::Client,
    sqs: &aws_sdk_sqs::Client,
    name: &str,
) -> (String, String) {
    let topic = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("a topic ARN")
        .to_owned();
    let queue_name = format!("{name}-sub");
    let url = create_queue(sqs, &queue_name).await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}"))
        .send()
        .await
        .expect("Subscribe");
    (topic, url)
}
