//! The HTTP API in-process, through `tower::ServiceExt::oneshot` on the sidecar's router: no
//! socket, no child process. (Signals and kill -9 are tested against the real binary in
//! `tests/serve.rs`.)

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use glue_rules::config::Config;
use glue_rules::core::LogSink;
use glue_rules::runtime::registry::PluginSources;
use glue_rules::runtime::reload::Reloader;
use glue_rules::sidecar::{AppState, ServeOptions, router};
use tower::ServiceExt;

fn state() -> Arc<AppState> {
    state_with(ServeOptions::default())
}

fn state_with(options: ServeOptions) -> Arc<AppState> {
    let config = Config::builtin();
    let runtime = glue_rules::runtime_for(&config.runtime, None, true).expect("a runtime");
    let reloader = Reloader::new(runtime, config.runtime.clone(), PluginSources::default());
    AppState::new(reloader, Arc::new(LogSink), None, config, options)
        .expect("an empty sidecar starts")
}

async fn send(request: Request<Body>) -> (StatusCode, serde_json::Value, String) {
    let response = router(state()).oneshot(request).await.expect("a response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, json, text)
}

fn post(body: &str, content_type: &str) -> Request<Body> {
    Request::post("/v1/events")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_owned()))
        .expect("a request")
}

#[tokio::test]
async fn healthz_answers_ok_and_readyz_waits_for_a_plugin() {
    let (status, json, _) = send(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["status"], "ok");
    let (status, json, _) = send(Request::get("/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json["error"]["status"], 503);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_with_415() {
    let (status, json, _) = send(post("{}", "text/plain")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("text/plain")
    );
}

#[tokio::test]
async fn a_malformed_event_is_refused_naming_its_position_and_field() {
    let body = r#"{"id":"1","source":"aws.glue","detail-type":"x","detail":{}}
{"id":"2","source":"aws.glue","detail":{}}"#;
    let (status, json, _) = send(post(body, "application/x-ndjson")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = json["error"]["message"].as_str().unwrap();
    assert!(message.contains("detail-type"), "{message}");
    assert!(message.contains('2'), "{message}");
}

#[tokio::test]
async fn a_valid_event_with_no_plugins_is_accepted_with_no_decisions() {
    let body = r#"{"id":"1","source":"aws.glue","detail-type":"Glue Crawler State Change","detail":{"crawlerName":"c","state":"Started"}}"#;
    let (status, json, _) = send(post(body, "application/json")).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["decisions"], serde_json::json!([]));
}

#[tokio::test]
async fn unknown_routes_answer_json_404() {
    let (status, json, _) = send(Request::get("/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["error"]["status"], 404);
}

#[tokio::test]
async fn metrics_are_openmetrics_text_ending_in_eof() {
    let (status, _, text) = send(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("# TYPE glue_rules_plugins gauge"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[tokio::test]
async fn intake_with_a_token_refuses_requests_without_it() {
    let event = r#"{"id":"1","source":"aws.glue","detail-type":"x","detail":{}}"#;
    let app = router(state_with(ServeOptions {
        intake_token: Some("s3cret".into()),
        ..ServeOptions::default()
    }));
    let refused = app
        .clone()
        .oneshot(post(event, "application/json"))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let mut wrong = post(event, "application/json");
    wrong
        .headers_mut()
        .insert(header::AUTHORIZATION, "Bearer guess".parse().unwrap());
    assert_eq!(
        app.clone().oneshot(wrong).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let mut right = post(event, "application/json");
    right
        .headers_mut()
        .insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
    assert_eq!(app.oneshot(right).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn the_intake_token_can_come_in_a_header_of_the_users_choosing() {
    let event = r#"{"id":"1","source":"aws.glue","detail-type":"x","detail":{}}"#;
    let app = router(state_with(ServeOptions {
        intake_token: Some("k".into()),
        intake_token_header: Some("x-api-key".parse().unwrap()),
        ..ServeOptions::default()
    }));
    let mut request = post(event, "application/json");
    request
        .headers_mut()
        .insert("x-api-key", "k".parse().unwrap());
    assert_eq!(
        app.clone().oneshot(request).await.unwrap().status(),
        StatusCode::OK
    );
    let mut bearer = post(event, "application/json");
    bearer
        .headers_mut()
        .insert(header::AUTHORIZATION, "Bearer k".parse().unwrap());
    assert_eq!(
        app.oneshot(bearer).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_public_address_without_an_intake_token_refuses_to_start() {
    let mut config = glue_rules::sidecar::SidecarConfig::new(Config::builtin()).unwrap();
    config.options.listen = "0.0.0.0:0".parse().unwrap();
    config.options.admin_token = Some("admin".into());
    let err = glue_rules::sidecar::Sidecar::start(config)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("intake token"), "{err}");
}

#[tokio::test]
async fn explain_true_says_why_each_plugin_was_entered_and_what_it_logged() {
    let config = Config::builtin();
    let runtime = glue_rules::runtime_for(&config.runtime, None, false).expect("a runtime");
    let p = crate::support::plugins();
    let sources = PluginSources {
        files: vec![p.lambda_on_success.clone(), p.sns_on_failure.clone()],
        dir: None,
    };
    let reloader = Reloader::new(runtime, config.runtime.clone(), sources);
    let state = AppState::new(
        reloader,
        Arc::new(LogSink),
        None,
        config,
        ServeOptions::default(),
    )
    .expect("the sidecar starts");
    let event =
        std::fs::read_to_string(crate::support::fixture("successful-job-run.json")).unwrap();
    let first: serde_json::Value = match serde_json::from_str(&event).unwrap() {
        serde_json::Value::Array(mut events) => events.remove(0),
        one => one,
    };
    let request = Request::post("/v1/events?explain=true")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(first.to_string()))
        .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(
        &axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap(),
    )
    .unwrap();
    let decision = |plugin: &str| {
        body["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["plugin"] == plugin)
            .unwrap()
            .clone()
    };
    let lambda = decision("lambda-on-success");
    assert_eq!(lambda["matched"], true, "{lambda}");
    assert_eq!(lambda["explain"]["selected"], true, "{lambda}");
    assert_eq!(lambda["explain"]["patterns"][0], "match");
    let log = &lambda["explain"]["logs"][0];
    assert_eq!(log["level"], "debug", "{lambda}");
    assert!(
        log["message"].as_str().unwrap().starts_with("invoking "),
        "{log}"
    );
    let sns = decision("sns-on-failure");
    assert_eq!(sns["explain"]["selected"], false, "{sns}");
    let why = sns["explain"]["patterns"][0].as_str().unwrap();
    assert!(
        why.contains("detail.state") && why.contains("SUCCEEDED"),
        "{why}"
    );
    assert_eq!(sns["explain"]["logs"], serde_json::json!([]));

    // Without the query, the answer has no explanations.
    let request = Request::post("/v1/events")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(first.to_string()))
        .unwrap();
    let response = router(state).oneshot(request).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(
        &axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(body["decisions"][0].get("explain").is_none(), "{body}");
}
