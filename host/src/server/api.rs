//! The HTTP surface: event intake, the plugin list, admin actions, health and metrics.
//!
//! Every error is JSON, `{"error": {"status": 400, "message": "..."}}`, with a message that
//! names the event and field concerned.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use super::AppState;
use crate::engine::{EventOutcome, OutcomeRecord, evaluate_event};
use crate::event::{Event, EventError};
use crate::input::parse_document;
use crate::metrics::Gauge;

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
        response
    }
}

/// The sidecar's routes over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let admin = Router::new()
        .route("/v1/plugins", get(list_plugins))
        .route("/v1/admin/reload", post(reload))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/v1/events", post(post_events))
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
    decisions: Vec<OutcomeRecord<'a>>,
}

/// `POST /v1/events`: one event, a JSON array of events, or NDJSON. The whole request is
/// refused if any event is malformed, so a client never has to work out which part was taken.
async fn post_events(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Err(e) = check_content_type(&headers) {
        state.metrics.intake("http", "unsupported_media_type", 1);
        return Err(e);
    }
    let limit = state.options.max_body_bytes;
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        state.metrics.intake("http", "too_large", 1);
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over the {limit}-byte limit"),
        )
    })?;
    let (items, document_error) = parse_document(&bytes, state.config.max_event_bytes);
    if let Some(e) = document_error {
        state.metrics.intake("http", "malformed", 1);
        let at = items.len() + 1;
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("event #{at}: {e}"),
        ));
    }
    if items.is_empty() {
        state.metrics.intake("http", "malformed", 1);
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
                state
                    .metrics
                    .intake("http", if too_large { "too_large" } else { "malformed" }, 1);
                let status = if too_large {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::BAD_REQUEST
                };
                return Err(ApiError::new(status, format!("{}: {e}", item.position)));
            }
        }
    }

    let worker = state.clone();
    let (set, outcomes, recorded) = tokio::task::spawn_blocking(move || {
        // One snapshot for the whole request: a reload never changes the set mid-request.
        let set = worker.registry.snapshot();
        let outcomes: Vec<EventOutcome> = events.iter().map(|e| evaluate_event(&set, e)).collect();
        // A plugin with on-error = "fail" failed: record nothing, so the sender's retry is
        // the only delivery.
        let recorded = if outcomes.iter().any(EventOutcome::failed) {
            None
        } else {
            let batch: Vec<(&Event, &EventOutcome)> = events.iter().zip(&outcomes).collect();
            Some(worker.sink.record(&batch))
        };
        (set, outcomes, recorded)
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("evaluation aborted: {e}"),
        )
    })?;
    for outcome in &outcomes {
        state.metrics.observe(outcome);
    }
    let count = outcomes.len() as u64;
    let decisions: Vec<OutcomeRecord<'_>> =
        outcomes.iter().flat_map(|o| o.records_for(&set)).collect();
    match recorded {
        None => {
            state.metrics.intake("http", "failed", count);
            let failed: Vec<&str> = outcomes
                .iter()
                .filter(|o| o.failed())
                .map(|o| o.event_id.as_str())
                .collect();
            let message = format!(
                "a plugin with on-error = \"fail\" failed on event(s) {}: retry the request",
                failed.join(", ")
            );
            let body =
                json!({"error": {"status": 500, "message": message}, "decisions": decisions});
            return Ok((StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response());
        }
        Some(Err(e)) => {
            state.metrics.intake("http", "unrecorded", count);
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                e.to_string(),
            ));
        }
        Some(Ok(())) => {}
    }
    state.metrics.intake("http", "accepted", count);
    Ok(Json(EventsResponse { decisions }).into_response())
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
    let statuses = state
        .reloader
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .statuses();
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
    let worker = state.clone();
    let report = tokio::task::spawn_blocking(move || worker.reload())
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(serde_json::to_value(report).unwrap_or_default()))
}

/// `GET /metrics`: Prometheus text format.
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let set = state.registry.snapshot();
    let mut gauges = Vec::new();
    let (mut active, mut quarantined) = (0.0, 0.0);
    for plugin in set.plugins() {
        let health = plugin.health();
        if health.quarantined {
            quarantined += 1.0;
        } else {
            active += 1.0;
        }
        gauges.push(Gauge {
            name: "glue_rules_plugin_log_lines_dropped",
            help: "Plugin log lines dropped for being over the per-evaluation budget.",
            labels: vec![("plugin", plugin.name().to_owned())],
            value: plugin.stats().log_lines_dropped.load(Ordering::Relaxed) as f64,
        });
    }
    let failed = state
        .reloader
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .statuses()
        .iter()
        .filter(|s| s.error.is_some())
        .count() as f64;
    for (status, value) in [
        ("active", active),
        ("quarantined", quarantined),
        ("failed", failed),
    ] {
        gauges.push(Gauge {
            name: "glue_rules_plugins",
            help: "Plugins by status (failed: a file whose newest version did not load).",
            labels: vec![("status", status.to_owned())],
            value,
        });
    }
    if let Some(outbox) = &state.outbox {
        let outbox = outbox.clone();
        if let Ok(Ok(stats)) = tokio::task::spawn_blocking(move || outbox.stats()).await {
            outbox_gauges(&stats, &mut gauges);
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&gauges),
    )
        .into_response()
}

/// The outbox's counters and gauges. Counters read from the outbox are exposed as gauges of
/// their running totals, which Prometheus' `rate()` handles as counters would be.
fn outbox_gauges(stats: &crate::dispatch::StatsSnapshot, gauges: &mut Vec<Gauge>) {
    gauges.push(Gauge {
        name: "glue_rules_outbox_depth",
        help: "Actions waiting in the outbox (due or scheduled for a retry).",
        labels: Vec::new(),
        value: stats.depth as f64,
    });
    gauges.push(Gauge {
        name: "glue_rules_outbox_oldest_age_seconds",
        help: "Age of the oldest waiting action.",
        labels: Vec::new(),
        value: stats.oldest_pending_age.map_or(0.0, |d| d.as_secs_f64()),
    });
    gauges.push(Gauge {
        name: "glue_rules_outbox_dead_letters",
        help: "Actions in the dead-letter table.",
        labels: Vec::new(),
        value: stats.dead_letters as f64,
    });
    gauges.push(Gauge {
        name: "glue_rules_duplicate_events",
        help: "Events whose actions were not fired again because they were seen before.",
        labels: Vec::new(),
        value: stats.duplicates as f64,
    });
    type Counter = (
        &'static str,
        &'static str,
        fn(&crate::dispatch::KindStats) -> u64,
    );
    let counters: [Counter; 4] = [
        (
            "glue_rules_actions_sent",
            "Actions the target accepted, by type.",
            |k| k.sent,
        ),
        (
            "glue_rules_actions_retried",
            "Failed attempts scheduled for a retry, by type.",
            |k| k.retried,
        ),
        (
            "glue_rules_actions_failed",
            "Failed attempts, by type.",
            |k| k.failed,
        ),
        (
            "glue_rules_actions_dead_lettered",
            "Actions moved to the dead-letter table, by type.",
            |k| k.dead_lettered,
        ),
    ];
    for (name, help, counter) in counters {
        for kind in &stats.by_kind {
            gauges.push(Gauge {
                name,
                help,
                labels: vec![("type", kind.kind.to_owned())],
                value: counter(kind) as f64,
            });
        }
    }
}
