//! Back-pressure and reloads: a bounded evaluation pool with a bounded queue behind it, and
//! request handlers that never wait for a reload.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use glue_rules::config::Config;
use glue_rules::core::{ActionSink, Receipt, SinkError, Submission};
use glue_rules::runtime::registry::PluginSources;
use glue_rules::runtime::reload::Reloader;
use glue_rules::sidecar::{AppState, ServeOptions, Sidecar, SidecarConfig, router};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

const EVENT: &str = r#"{"id":"1","source":"aws.glue","detail-type":"Glue Crawler State Change","detail":{"crawlerName":"c","state":"Started"}}"#;

/// A sink that holds every batch until the gate opens, and counts how many it holds at once:
/// a stand-in for evaluations that take a while.
#[derive(Default)]
struct GateSink {
    open: Mutex<bool>,
    opened: Condvar,
    inside: AtomicUsize,
    peak: AtomicUsize,
    entered: AtomicUsize,
}

impl GateSink {
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

impl ActionSink for GateSink {
    fn record(&self, batch: &[Submission<'_>]) -> Result<Vec<Receipt>, SinkError> {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        self.entered.fetch_add(1, Ordering::SeqCst);
        let open = self.open.lock().unwrap();
        // Never hang a test run for good.
        let _ = self
            .opened
            .wait_timeout_while(open, Duration::from_secs(60), |open| !*open)
            .unwrap();
        self.inside.fetch_sub(1, Ordering::SeqCst);
        Ok(vec![Receipt::default(); batch.len()])
    }
}

fn state_with(sink: Arc<dyn ActionSink>, options: ServeOptions) -> Arc<AppState> {
    let config = Config::builtin();
    let runtime = glue_rules::runtime_for(&config.runtime, None, true).expect("a runtime");
    let reloader = Reloader::new(runtime, config.runtime.clone(), PluginSources::default());
    AppState::new(reloader, sink, None, config, options).expect("an empty sidecar starts")
}

fn post_event() -> Request<Body> {
    Request::post("/v1/events")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(EVENT))
        .expect("a request")
}

async fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a body");
    String::from_utf8_lossy(&bytes).into_owned()
}

async fn metrics_text(app: &axum::Router) -> String {
    let response = app
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    body_text(response).await
}

fn options(threads: usize, queue: usize) -> ServeOptions {
    ServeOptions {
        max_concurrent_evaluations: threads,
        max_queued_requests: queue,
        ..ServeOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_threads_and_the_queue_are_refused_with_503_and_retry_after() {
    let sink = Arc::new(GateSink::default());
    let app = router(state_with(sink.clone(), options(1, 1)));
    // Two requests fill the sidecar: one thread, one place in the queue; the gate holds them.
    let first = tokio::spawn(app.clone().oneshot(post_event()));
    let second = tokio::spawn(app.clone().oneshot(post_event()));
    wait_for("both requests to be taken", Duration::from_secs(10), || {
        sink.entered.load(Ordering::SeqCst) == 2
    })
    .await;
    let started = Instant::now();
    let third = tokio::time::timeout(Duration::from_secs(5), app.clone().oneshot(post_event()))
        .await
        .expect("a request beyond capacity is answered at once, not queued without bound")
        .unwrap();
    let refused_in = started.elapsed();
    assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(third.headers()[header::RETRY_AFTER], "1");
    let json: serde_json::Value = serde_json::from_str(&body_text(third).await).unwrap();
    assert_eq!(json["error"]["status"], 503);
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("capacity"),
        "{json}"
    );
    let metrics = metrics_text(&app).await;
    assert!(
        metrics.contains(r#"glue_rules_intake_events_total{source="http",outcome="overloaded"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"glue_rules_intake_requests{state="waiting"} 2"#),
        "{metrics}"
    );
    sink.open();
    for task in [first, second] {
        let response = task.await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    // Room again once they are done.
    let again = app.clone().oneshot(post_event()).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    eprintln!("refused a request beyond capacity in {refused_in:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_never_exceed_the_threads_plus_the_queue() {
    let sink = Arc::new(GateSink::default());
    let (threads, queue, requests) = (2, 3, 12);
    let app = router(state_with(sink.clone(), options(threads, queue)));
    let tasks: Vec<_> = (0..requests)
        .map(|_| tokio::spawn(app.clone().oneshot(post_event())))
        .collect();
    wait_for("the sidecar to fill", Duration::from_secs(10), || {
        sink.entered.load(Ordering::SeqCst) >= threads + queue
    })
    .await;
    // Time for any request beyond the bound to get in, if the server let it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.peak.load(Ordering::SeqCst), threads + queue);
    sink.open();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().unwrap().status());
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert_eq!((ok, refused), (threads + queue, requests - threads - queue));
    assert_eq!(sink.peak.load(Ordering::SeqCst), threads + queue);
}

/// Sends `request` from a thread of its own (with its own runtime), so that a handler blocking
/// its thread shows as a missing answer instead of a hung test.
fn answer_within(
    app: axum::Router,
    request: Request<Body>,
    limit: Duration,
) -> Result<(StatusCode, String), String> {
    let uri = request.uri().clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let answer = runtime.block_on(async move {
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        });
        let _ = tx.send(answer);
    });
    rx.recv_timeout(limit)
        .map_err(|_| format!("{uri} did not answer within {limit:?}"))
}

#[test]
fn a_reload_in_progress_stalls_neither_metrics_nor_plugins_nor_intake() {
    let state = state_with(Arc::new(glue_rules::core::LogSink), ServeOptions::default());
    let app = router(state.clone());
    // A reload compiling a component holds the reloader for seconds: hold it here.
    let reloading = state.reloader.lock().unwrap();
    let limit = Duration::from_secs(5);
    // A reload asked for meanwhile waits its turn, without holding anything else up.
    let (reload_tx, reload_rx) = std::sync::mpsc::channel();
    {
        let app = app.clone();
        std::thread::spawn(move || {
            let _ = reload_tx.send(answer_within(
                app,
                Request::post("/v1/admin/reload")
                    .body(Body::empty())
                    .unwrap(),
                Duration::from_secs(60),
            ));
        });
    }
    let started = Instant::now();
    let metrics = answer_within(
        app.clone(),
        Request::get("/metrics").body(Body::empty()).unwrap(),
        limit,
    );
    let plugins = answer_within(
        app.clone(),
        Request::get("/v1/plugins").body(Body::empty()).unwrap(),
        limit,
    );
    let events = answer_within(app.clone(), post_event(), limit);
    let elapsed = started.elapsed();
    let reload_waited = reload_rx.try_recv().is_err();
    drop(reloading);
    let (status, text) = metrics.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("glue_rules_plugins"), "{text}");
    let (status, text) = plugins.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    let (status, text) = events.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        reload_waited,
        "the admin reload did not wait for the one in progress"
    );
    let (status, text) = reload_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the reload answers once the one in progress is done")
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    eprintln!("three requests during a held reload answered in {elapsed:?}");
}

/// A sidecar on 127.0.0.1 with an outbox in a temporary directory.
async fn start(adjust: impl FnOnce(&mut ServeOptions)) -> (Sidecar, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::builtin();
    config.dispatch.outbox = Some(dir.path().join("outbox.sqlite"));
    let mut sidecar = SidecarConfig::new(config).unwrap();
    sidecar.options.listen = "127.0.0.1:0".parse().unwrap();
    sidecar.options.watch_interval = None;
    adjust(&mut sidecar.options);
    (Sidecar::start(sidecar).await.expect("a sidecar"), dir)
}

/// Reads until the server closes the connection or `limit` passes; returns what was read and
/// whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut text = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&text).into_owned(), false),
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&text).into_owned(), true),
            Ok(Ok(n)) => text.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_send_its_headers_is_disconnected() {
    let (sidecar, _dir) = start(|o| o.header_read_timeout = Duration::from_millis(300)).await;
    let addr = sidecar.local_addr();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut partial = TcpStream::connect(addr).await.unwrap();
    partial
        .write_all(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut silent, Duration::from_secs(5)).await;
    assert!(closed, "a connection that sent nothing stayed open");
    let (_, closed) = read_until_closed(&mut partial, Duration::from_secs(5)).await;
    assert!(
        closed,
        "a connection that sent half its headers stayed open"
    );
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    eprintln!("header read timeout of 300 ms closed both connections after {elapsed:?}");
    // A client that sends its request in time is served.
    let mut prompt = TcpStream::connect(addr).await.unwrap();
    prompt
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (text, _) = read_until_closed(&mut prompt, Duration::from_secs(5)).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    // A keep-alive connection left idle after a request is closed after the same time.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let answered = Instant::now();
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(closed, "an idle keep-alive connection stayed open");
    let idle_for = answered.elapsed();
    assert!(idle_for >= Duration::from_millis(250), "{idle_for:?}");
    eprintln!("an idle keep-alive connection was closed after {idle_for:?}");
    sidecar.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_arrive_in_time_is_answered_408() {
    let (sidecar, _dir) = start(|o| o.body_read_timeout = Duration::from_millis(300)).await;
    let mut slow = TcpStream::connect(sidecar.local_addr()).await.unwrap();
    slow.write_all(
        b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"id\":\"1\",",
    )
    .await
    .unwrap();
    let started = Instant::now();
    let (text, _) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    let elapsed = started.elapsed();
    assert!(text.starts_with("HTTP/1.1 408"), "{text:?}");
    assert!(text.contains("did not arrive within 300 ms"), "{text}");
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    let app = sidecar.router();
    let metrics = metrics_text(&app).await;
    assert!(
        metrics.contains(r#"glue_rules_intake_events_total{source="http",outcome="timed_out"} 1"#),
        "{metrics}"
    );
    eprintln!("body read timeout of 300 ms answered 408 after {elapsed:?}");
    sidecar.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let (sidecar, _dir) = start(|o| o.max_connections = 2).await;
    let addr = sidecar.local_addr();
    let first = TcpStream::connect(addr).await.unwrap();
    let _second = TcpStream::connect(addr).await.unwrap();
    // Time for the server to take both.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(addr).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (text, _) = read_until_closed(&mut third, Duration::from_millis(700)).await;
    assert!(
        text.is_empty(),
        "a third connection was served beside two: {text}"
    );
    drop(first);
    let started = Instant::now();
    let (text, _) = read_until_closed(&mut third, Duration::from_secs(5)).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text:?}");
    eprintln!(
        "the waiting connection was served {:?} after one closed",
        started.elapsed()
    );
    drop(_second);
    sidecar.shutdown().await.unwrap();
}

#[test]
fn capacity_settings_come_from_the_serve_table_and_zero_is_refused() {
    let path = std::path::Path::new("/etc/glue-rules/glue-rules.toml");
    let config = Config::parse(
        "[serve]\nmax-concurrent-evaluations = 3\nmax-queued-requests = 0\n\
         max-connections = 10\nheader-read-timeout-ms = 1500\nbody-read-timeout-ms = 2500\n",
        path,
    )
    .unwrap();
    let options = ServeOptions::from_section(&config.serve).unwrap();
    assert_eq!(options.max_concurrent_evaluations, 3);
    assert_eq!(options.max_queued_requests, 0);
    assert_eq!(options.max_connections, 10);
    assert_eq!(options.header_read_timeout, Duration::from_millis(1500));
    assert_eq!(options.body_read_timeout, Duration::from_millis(2500));
    let defaults = ServeOptions::default();
    assert_eq!(
        defaults.max_concurrent_evaluations,
        std::thread::available_parallelism().unwrap().get()
    );
    assert_eq!(defaults.max_queued_requests, 64);
    assert_eq!(defaults.max_connections, 1024);
    assert_eq!(defaults.header_read_timeout, Duration::from_secs(10));
    assert_eq!(defaults.body_read_timeout, Duration::from_secs(30));
    for key in [
        "max-concurrent-evaluations",
        "max-connections",
        "header-read-timeout-ms",
        "body-read-timeout-ms",
    ] {
        let config = Config::parse(&format!("[serve]\n{key} = 0\n"), path).unwrap();
        let err = ServeOptions::from_section(&config.serve).unwrap_err();
        assert!(err.to_string().contains(key), "{err}");
    }
}
