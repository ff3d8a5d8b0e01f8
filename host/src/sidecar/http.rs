//! The HTTP surface: event intake, the plugin list, admin actions, health and metrics.
//!
//! Every error is JSON, `{"error": {"status": 400, "message": "..."}}`, with a message that
//! names the event and field concerned.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use glue_rules_runtime::engine::{ExplainedRecord, OutcomeRecord};
use glue_rules_runtime::event::{Event, EventError};
use glue_rules_runtime::input::parse_document;

use super::AppState;
use crate::intake::{Batching, Evaluated, Processed, Verdict};
use crate::metrics::{IntakeOutcome, IntakeSource, Scrape};

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"status": self.status.as_u16(), "message": self.message}});
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // Busy or briefly unable to record: worth another try soon.
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

/// The answer when every evaluation thread is busy and the queue behind them is full.
fn overloaded(state: &AppState) -> ApiError {
    state
        .metrics
        .intake(IntakeSource::Http, IntakeOutcome::Overloaded, 1);
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "glue-rules is at capacity: {} requests in progress (max-concurrent-evaluations {} \
             + max-queued-requests {}); retry",
            state.pool.capacity(),
            state.pool.threads(),
            state.pool.capacity() - state.pool.threads()
        ),
    )
}

/// The sidecar's routes over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let admin = Router::new()
        .route("/v1/plugins", get(list_plugins))
        .route("/v1/admin/reload", post(reload))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    let intake = Router::new()
        .route("/v1/events", post(post_events))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_intake_token,
        ));
    Router::new()
        .merge(intake)
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(admin)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .with_state(state)
}

/// Admin routes want `Authorization: Bearer <token>` when a token is configured.
async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if let Some(expected) = &state.options.admin_token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this endpoint needs `Authorization: Bearer <admin token>`",
            ));
        }
    }
    Ok(next.run(request).await)
}

/// `POST /v1/events` wants the intake token, when one is configured: as
/// `Authorization: Bearer <token>`, or as the whole value of `intake-token-header`.
async fn require_intake_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if let Some(expected) = &state.options.intake_token {
        let headers = request.headers();
        let given = match &state.options.intake_token_header {
            Some(name) => headers.get(name).and_then(|v| v.to_str().ok()),
            None => headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer ")),
        }
        .unwrap_or("");
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            state
                .metrics
                .intake(IntakeSource::Http, IntakeOutcome::Unauthorized, 1);
            let how = match &state.options.intake_token_header {
                Some(name) => format!("the intake token in the `{name}` header"),
                None => "`Authorization: Bearer <intake token>`".to_owned(),
            };
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                format!("POST /v1/events needs {how}"),
            ));
        }
    }
    Ok(next.run(request).await)
}

/// Compares without an early exit, so response time does not reveal how much of a guess
/// was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let accepted = essence == "application/json"
        || essence == "application/x-ndjson"
        || essence == "application/ndjson"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    if accepted {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "content type {:?} is not accepted: send application/json (one event or an \
                 array) or application/x-ndjson",
                content_type
            ),
        ))
    }
}

#[derive(Serialize)]
struct EventsResponse<'a> {
    decisions: Decisions<'a>,
}

/// The decisions of a request: as `eval` prints them, or with `?explain=true` as
/// `eval --explain` does.
#[derive(Serialize)]
#[serde(untagged)]
enum Decisions<'a> {
    Plain(Vec<OutcomeRecord<'a>>),
    Explained(Vec<ExplainedRecord<'a>>),
}

/// The query `POST /v1/events` takes.
#[derive(Debug, Default, Deserialize)]
struct EventsQuery {
    /// Add why each plugin was or was not entered and what it logged.
    #[serde(default)]
    explain: bool,
}

/// `POST /v1/events`: one event, a JSON array of events, or NDJSON. The whole request is
/// refused if any event is malformed, so a client never has to work out which part was taken.
/// What an evaluation thread hands back to a request.
enum Evaluation {
    /// The events and their outcomes, for recording off the evaluation threads.
    ToRecord(Vec<Event>, Evaluated),
    /// Already with the sink: the verdicts arrive here once recorded.
    HandedOver(tokio::sync::oneshot::Receiver<(Processed, Arc<Vec<Event>>)>),
}

async fn post_events(
    State(state): State<Arc<AppState>>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let explain = query.explain;
    if let Err(e) = check_content_type(&headers) {
        state
            .metrics
            .intake(IntakeSource::Http, IntakeOutcome::UnsupportedMediaType, 1);
        return Err(e);
    }
    // Refused before its body is read when nothing could take it anyway.
    if state.pool.is_full() {
        return Err(overloaded(&state));
    }
    let limit = state.options.max_body_bytes;
    let wait = state.options.body_read_timeout;
    let bytes = match tokio::time::timeout(wait, to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            state
                .metrics
                .intake(IntakeSource::Http, IntakeOutcome::TooLarge, 1);
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body over the {limit}-byte limit"),
            ));
        }
        Err(_) => {
            state
                .metrics
                .intake(IntakeSource::Http, IntakeOutcome::TimedOut, 1);
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} ms",
                    wait.as_millis()
                ),
            ));
        }
    };
    let Some(admission) = state.pool.try_admit() else {
        return Err(overloaded(&state));
    };
    // Parsing and evaluating are CPU work: both run on an evaluation thread. A sink that
    // commits on its own thread (the outbox's group-commit writer) takes the actions right
    // there, without blocking the thread; any other sink records on a blocking thread below.
    let worker = state.clone();
    let hand_over = state.intake.records_without_blocking();
    let (evaluated, admission) = state
        .pool
        .run(admission, move || {
            let events = parse_events(&worker, &bytes)?;
            let evaluated = worker.intake.evaluate_with(&events, explain);
            if !hand_over {
                return Ok::<_, ApiError>(Evaluation::ToRecord(events, evaluated));
            }
            let events = Arc::new(events);
            let (tx, rx) = tokio::sync::oneshot::channel();
            let kept = events.clone();
            worker.intake.record_queued(
                IntakeSource::Http,
                &events,
                evaluated,
                Batching::AllOrNothing,
                Box::new(move |processed| {
                    let _ = tx.send((processed, kept));
                }),
            );
            Ok(Evaluation::HandedOver(rx))
        })
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("evaluation aborted: {e}"),
            )
        })?;
    let recording_aborted = |e: &dyn std::fmt::Display| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("recording aborted: {e}"),
        )
    };
    // The admission is held until the actions are recorded.
    let (processed, events) = match evaluated? {
        Evaluation::HandedOver(rx) => {
            let (processed, events) = rx.await.map_err(|e| recording_aborted(&e))?;
            drop(admission);
            (processed, events)
        }
        Evaluation::ToRecord(events, evaluated) => {
            // Recording waits for the sink (a disk flush, a remote store), not for a core: off
            // the evaluation threads, still within the request's admission.
            let worker = state.clone();
            tokio::task::spawn_blocking(move || {
                let _admission = admission;
                let processed = worker.intake.record(
                    IntakeSource::Http,
                    &events,
                    evaluated,
                    Batching::AllOrNothing,
                );
                (processed, Arc::new(events))
            })
            .await
            .map_err(|e| recording_aborted(&e))?
        }
    };
    let decisions = if explain {
        Decisions::Explained(
            processed
                .outcomes
                .iter()
                .zip(events.iter())
                .flat_map(|(o, e)| o.explained_records(&processed.set, e))
                .collect(),
        )
    } else {
        Decisions::Plain(
            processed
                .outcomes
                .iter()
                .flat_map(|o| o.records_for(&processed.set))
                .collect(),
        )
    };
    if let Some(Verdict::Unrecorded(e)) = processed
        .verdicts
        .iter()
        .find(|v| matches!(v, Verdict::Unrecorded(_)))
    {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.clone()));
    }
    if let Some(busy) = processed.outcomes.iter().find(|o| o.host_overloaded()) {
        // Not the request's fault, nor a plugin's: the same answer as a full queue.
        let message = format!(
            "glue-rules was too busy to finish evaluating event {} (host-overloaded); nothing \
             was recorded: retry",
            busy.event_id
        );
        let body = json!({"error": {"status": 503, "message": message}, "decisions": decisions});
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return Ok(response);
    }
    if processed.verdicts.iter().any(|v| !v.is_accepted()) {
        let failed: Vec<&str> = processed
            .outcomes
            .iter()
            .filter(|o| o.failed())
            .map(|o| o.event_id.as_str())
            .collect();
        let message = format!(
            "a plugin with on-error = \"fail\" failed on event(s) {}: retry the request",
            failed.join(", ")
        );
        let body = json!({"error": {"status": 500, "message": message}, "decisions": decisions});
        return Ok((StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response());
    }
    Ok(Json(EventsResponse { decisions }).into_response())
}

/// Splits and parses a request body into events, refusing the whole request if any is
/// malformed (and counting why).
fn parse_events(state: &AppState, bytes: &[u8]) -> Result<Vec<Event>, ApiError> {
    let (items, document_error) = parse_document(bytes, state.config.runtime.max_event_bytes);
    if let Some(e) = document_error {
        state
            .metrics
            .intake(IntakeSource::Http, IntakeOutcome::Malformed, 1);
        let at = items.len() + 1;
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("event #{at}: {e}"),
        ));
    }
    if items.is_empty() {
        state
            .metrics
            .intake(IntakeSource::Http, IntakeOutcome::Malformed, 1);
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the body holds no event",
        ));
    }
    let mut events = Vec::with_capacity(items.len());
    for item in items {
        match item.event {
            Ok(event) => events.push(event),
            Err(e) => {
                let too_large = matches!(e, EventError::TooLarge { .. });
                let outcome = if too_large {
                    IntakeOutcome::TooLarge
                } else {
                    IntakeOutcome::Malformed
                };
                state.metrics.intake(IntakeSource::Http, outcome, 1);
                let status = if too_large {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::BAD_REQUEST
                };
                return Err(ApiError::new(status, format!("{}: {e}", item.position)));
            }
        }
    }
    Ok(events)
}

/// `GET /readyz`: ready once the first load is done and at least one plugin serves.
async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let plugins = state.registry.snapshot().len();
    if state.ready.load(Ordering::Acquire) && plugins > 0 {
        Json(json!({"status": "ready", "plugins": plugins})).into_response()
    } else {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no plugin is loaded yet").into_response()
    }
}

/// `GET /v1/plugins`: every component file, its plugin, status, limits and counters.
async fn list_plugins(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    // The snapshot of the last reload: a reload in progress is not waited for.
    let statuses = state.file_statuses();
    let set = state.registry.snapshot();
    let plugins: Vec<serde_json::Value> = statuses
        .iter()
        .map(|file| {
            let Some(plugin) = &file.plugin else {
                return json!({"path": file.path, "status": "failed", "error": file.error});
            };
            let health = plugin.health();
            let in_force = set.get(plugin.name()).is_some_and(|p| Arc::ptr_eq(p, plugin));
            let status = match (&file.error, health.quarantined, in_force) {
                (_, _, false) => "inactive",
                (Some(_), _, _) => "failed-reload",
                (None, true, _) => "quarantined",
                (None, false, _) => "active",
            };
            let stats = plugin.stats();
            let limits = &plugin.settings().limits;
            let info = plugin.info();
            json!({
                "name": info.name,
                "version": info.version,
                "description": info.description,
                "sha256": info.sha256,
                "path": file.path,
                "loadedAt": info.loaded_at.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
                "status": status,
                "error": file.error,
                "patterns": info.patterns,
                "health": health,
                "onError": plugin.settings().on_error,
                "limits": {
                    "timeoutMs": limits.timeout.as_millis() as u64,
                    "overloadGraceMs": limits.overload_grace.as_millis() as u64,
                    "fuel": limits.fuel,
                    "memoryBytes": limits.memory_bytes,
                    "maxActions": limits.output.max_actions,
                    "maxStringBytes": limits.output.max_string_bytes,
                    "maxLogLines": limits.max_log_lines,
                },
                "counters": {
                    "evaluations": stats.evaluations.load(Ordering::Relaxed),
                    "matches": stats.matches.load(Ordering::Relaxed),
                    "errors": stats.errors.load(Ordering::Relaxed),
                    "hostOverloaded": stats.host_overloaded.load(Ordering::Relaxed),
                    "logLinesDropped": stats.log_lines_dropped.load(Ordering::Relaxed),
                    "instancesCreated": stats.instances_created.load(Ordering::Relaxed),
                },
            })
        })
        .collect();
    Json(json!({ "plugins": plugins }))
}

/// `POST /v1/admin/reload`: reload now and report what changed.
async fn reload(State(state): State<Arc<AppState>>) -> Result<Json<serde_json::Value>, ApiError> {
    let report = state
        .reload_in_turn()
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(serde_json::to_value(report).unwrap_or_default()))
}

/// `GET /metrics`: OpenMetrics text, which Prometheus scrapes natively.
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let set = state.registry.snapshot();
    let mut scrape = Scrape::default();
    for plugin in set.plugins() {
        if plugin.health().quarantined {
            scrape.quarantined += 1;
        } else {
            scrape.active += 1;
        }
        scrape.log_lines_dropped.push((
            plugin.name().to_owned(),
            plugin.stats().log_lines_dropped.load(Ordering::Relaxed),
        ));
    }
    scrape.failed = state
        .file_statuses()
        .iter()
        .filter(|s| s.error.is_some())
        .count() as u64;
    let (admitted, evaluating) = (state.pool.admitted(), state.pool.running());
    scrape.evaluating = evaluating as u64;
    scrape.waiting = admitted.saturating_sub(evaluating) as u64;
    if let Some(counts) = state.dispatch_counts.get() {
        scrape.claims = counts.claims.as_ref().map(|c| c.totals());
        #[cfg(feature = "aws")]
        {
            scrape.queue = counts.queue.as_ref().map(|c| {
                let t = c.totals();
                [t.sent, t.retried, t.dead_lettered]
            });
        }
    }
    if let Some(outbox) = &state.outbox {
        let outbox = outbox.clone();
        if let Ok(Ok(stats)) = tokio::task::spawn_blocking(move || outbox.stats()).await {
            scrape.outbox = Some(stats);
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(&scrape),
    )
        .into_response()
}
