//! The AWS dispatcher: the six action types through the AWS SDK for Rust.
//!
//! Lean on purpose: no default HTTPS client (which would compile aws-lc), no SSO; one rustls
//! client on `ring` shared by every service. The SDK's own retries are off: the outbox retries
//! with its own policy and counts every attempt, and one attempt is bounded by the target's
//! timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sns::config::http::HttpResponse;
use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sns::primitives::Blob;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::DispatchError;
use crate::config::AwsSettings;
use crate::dispatcher::{Dispatcher, SendError, SendFuture};
use crate::outbox::PendingAction;
use glue_rules_core::action::{Action, InvocationType};

/// Sends actions to AWS (or to `endpoint-url`). One client per service and region, built
/// once: an action whose target names its region (a topic, state machine, function or stream
/// ARN, an SQS queue URL on amazonaws.com) is sent to that region, since SNS, Step Functions
/// and the others refuse a target from another region; everything else goes to the
/// configured region.
#[derive(Debug)]
pub struct AwsDispatcher {
    shared: aws_config::SdkConfig,
    settings: AwsSettings,
    default_region: String,
    default: Arc<Clients>,
    regional: Mutex<HashMap<String, Arc<Clients>>>,
}

/// The six service clients for one region.
#[derive(Debug)]
struct Clients {
    lambda: aws_sdk_lambda::Client,
    sns: aws_sdk_sns::Client,
    sqs: aws_sdk_sqs::Client,
    kinesis: aws_sdk_kinesis::Client,
    sfn: aws_sdk_sfn::Client,
    ssm: aws_sdk_ssm::Client,
}

impl Clients {
    fn new(shared: &aws_config::SdkConfig, settings: &AwsSettings, region: Option<&str>) -> Self {
        let timeouts = |kind: &str| {
            let attempt = settings.timeout_for(kind);
            TimeoutConfig::builder()
                .connect_timeout(settings.connect_timeout.min(attempt))
                .operation_attempt_timeout(attempt)
                .operation_timeout(attempt)
                .build()
        };
        macro_rules! client {
            ($sdk:ident, $kind:literal) => {{
                let mut builder =
                    $sdk::config::Builder::from(shared).timeout_config(timeouts($kind));
                if let Some(region) = region {
                    builder = builder.region($sdk::config::Region::new(region.to_owned()));
                }
                $sdk::Client::from_conf(builder.build())
            }};
        }
        Self {
            lambda: client!(aws_sdk_lambda, "lambda"),
            sns: client!(aws_sdk_sns, "sns"),
            sqs: client!(aws_sdk_sqs, "sqs"),
            kinesis: client!(aws_sdk_kinesis, "kinesis"),
            sfn: client!(aws_sdk_sfn, "stepfunctions"),
            ssm: client!(aws_sdk_ssm, "ssm"),
        }
    }
}

/// Most regions one dispatcher keeps clients for (AWS has fewer than 40).
pub const MAX_REGIONS: usize = 64;

/// Whether `name` is shaped like an AWS region: `us-east-1`, `us-gov-west-1`, `ap-southeast-3`.
fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    name.len() <= 32
        && parts.len() >= 3
        && first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// The region an ARN names (`arn:PARTITION:SERVICE:REGION:ACCOUNT:...`).
fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn"))
        .then(|| parts.nth(2))
        .flatten()
        .filter(|r| !r.is_empty())
}

/// The region an SQS queue URL names: `https://sqs.REGION.amazonaws.com/...` or the legacy
/// `https://REGION.queue.amazonaws.com/...`.
fn queue_url_region(url: &str) -> Option<&str> {
    let host = url.split("://").nth(1)?.split('/').next()?;
    if let Some(rest) = host.strip_prefix("sqs.") {
        return rest.split('.').next().filter(|r| r.contains('-'));
    }
    let (region, rest) = host.split_once('.')?;
    rest.starts_with("queue.amazonaws.").then_some(region)
}

/// The region an action's target names, if it names one.
fn target_region(action: &Action) -> Option<&str> {
    match action {
        Action::Lambda(a) => arn_region(&a.function_name),
        Action::Sns(a) => arn_region(&a.topic_arn),
        Action::Sqs(a) => queue_url_region(&a.queue_url),
        Action::Kinesis(a) => a.stream_arn.as_deref().and_then(arn_region),
        Action::StepFunctions(a) => arn_region(&a.state_machine_arn),
        Action::Ssm(_) => None,
    }
}

/// The shared AWS configuration: the standard credential chain, a rustls + ring HTTP client,
/// SDK retries off (the outbox retries, with its own policy), and optional region and endpoint
/// overrides. The SQS intake uses it too.
pub async fn sdk_config(region: Option<&str>, endpoint_url: Option<&str>) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::disabled());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url.to_owned());
    }
    loader.load().await
}

impl AwsDispatcher {
    /// Builds the clients from the standard credential chain and `settings`. Fails when no
    /// region can be found, since every request would fail then, and be retried for a day.
    pub async fn new(settings: &AwsSettings) -> Result<Self, DispatchError> {
        let shared = sdk_config(settings.region.as_deref(), settings.endpoint_url.as_deref()).await;
        let Some(region) = shared.region().map(|r| r.as_ref().to_owned()) else {
            return Err(DispatchError::AwsConfig(
                "no AWS region: set `region` in [dispatch.aws], or AWS_REGION".into(),
            ));
        };
        Ok(Self {
            default: Arc::new(Clients::new(&shared, settings, None)),
            default_region: region,
            shared,
            settings: settings.clone(),
            regional: Mutex::new(HashMap::new()),
        })
    }

    /// The clients for the region `action`'s target names. A plugin chooses that region (and
    /// an event can choose it for the plugin), so the map of clients is bounded: only names
    /// shaped like AWS regions are accepted, at most [`MAX_REGIONS`] of them; anything else is
    /// refused as a permanent failure instead of growing the map.
    fn clients_for(&self, action: &Action) -> Result<Arc<Clients>, SendError> {
        match target_region(action) {
            Some(region) if region != self.default_region => {
                if !is_region_name(region) {
                    return Err(SendError::permanent(
                        "InvalidRegion",
                        format!("{region:?} in the target is not an AWS region name"),
                    ));
                }
                let mut regional = self.regional.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(clients) = regional.get(region) {
                    return Ok(clients.clone());
                }
                if regional.len() >= MAX_REGIONS {
                    return Err(SendError::permanent(
                        "TooManyRegions",
                        format!(
                            "the target names region {region:?}, beyond the {MAX_REGIONS} \
                             regions this dispatcher keeps clients for"
                        ),
                    ));
                }
                let clients = Arc::new(Clients::new(&self.shared, &self.settings, Some(region)));
                regional.insert(region.to_owned(), clients.clone());
                Ok(clients)
            }
            _ => Ok(self.default.clone()),
        }
    }

    async fn perform(&self, action: &Action) -> Result<(), SendError> {
        let clients = self.clients_for(action)?;
        match action {
            Action::Lambda(a) => {
                let out = clients
                    .lambda
                    .invoke()
                    .function_name(&a.function_name)
                    .payload(Blob::new(a.payload.as_bytes()))
                    .invocation_type(match a.invocation_type {
                        InvocationType::RequestResponse => {
                            aws_sdk_lambda::types::InvocationType::RequestResponse
                        }
                        InvocationType::Event => aws_sdk_lambda::types::InvocationType::Event,
                    })
                    .send()
                    .await
                    .map_err(classify)?;
                // The function ran and failed. Running it again could repeat its side effects,
                // so this is dead-lettered for a person to look at, not retried.
                if let Some(kind) = out.function_error() {
                    let payload = out
                        .payload()
                        .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
                        .unwrap_or_default();
                    return Err(SendError::permanent(
                        "FunctionError",
                        format!("the function failed ({kind}): {payload}"),
                    ));
                }
            }
            Action::Sns(a) => {
                let mut attributes = HashMap::with_capacity(a.message_attributes.len());
                for (name, attr) in &a.message_attributes {
                    let value = aws_sdk_sns::types::MessageAttributeValue::builder()
                        .data_type(&attr.data_type)
                        .string_value(&attr.string_value)
                        .build()
                        .map_err(|e| SendError::permanent("InvalidParameter", e.to_string()))?;
                    attributes.insert(name.clone(), value);
                }
                clients
                    .sns
                    .publish()
                    .topic_arn(&a.topic_arn)
                    .message(&a.message)
                    .set_subject(a.subject.clone())
                    .set_message_attributes((!attributes.is_empty()).then_some(attributes))
                    .send()
                    .await
                    .map_err(classify)?;
            }
            Action::Sqs(a) => {
                clients
                    .sqs
                    .send_message()
                    .queue_url(&a.queue_url)
                    .message_body(&a.message_body)
                    .set_delay_seconds(a.delay_seconds.map(|d| i32::try_from(d).unwrap_or(900)))
                    .set_message_group_id(a.message_group_id.clone())
                    .set_message_deduplication_id(a.message_deduplication_id.clone())
                    .send()
                    .await
                    .map_err(classify)?;
            }
            Action::Kinesis(a) => {
                clients
                    .kinesis
                    .put_record()
                    .set_stream_name(a.stream_name.clone())
                    .set_stream_arn(a.stream_arn.clone())
                    .partition_key(&a.partition_key)
                    .data(Blob::new(a.data.as_bytes()))
                    .send()
                    .await
                    .map_err(classify)?;
            }
            Action::StepFunctions(a) => {
                clients
                    .sfn
                    .start_execution()
                    .state_machine_arn(&a.state_machine_arn)
                    .set_name(a.name.clone())
                    .input(&a.input)
                    .send()
                    .await
                    .map_err(classify)?;
            }
            Action::Ssm(a) => {
                let targets: Vec<aws_sdk_ssm::types::Target> = a
                    .targets
                    .iter()
                    .map(|t| {
                        aws_sdk_ssm::types::Target::builder()
                            .key(&t.key)
                            .set_values(Some(t.values.clone()))
                            .build()
                    })
                    .collect();
                let parameters: HashMap<String, Vec<String>> = a
                    .parameters
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                clients
                    .ssm
                    .send_command()
                    .document_name(&a.document_name)
                    .set_instance_ids((!a.instance_ids.is_empty()).then(|| a.instance_ids.clone()))
                    .set_targets((!targets.is_empty()).then_some(targets))
                    .set_parameters((!parameters.is_empty()).then_some(parameters))
                    .set_comment(a.comment.clone())
                    .send()
                    .await
                    .map_err(classify)?;
            }
        }
        Ok(())
    }
}

impl Dispatcher for AwsDispatcher {
    fn send<'a>(&'a self, pending: &'a PendingAction) -> SendFuture<'a> {
        Box::pin(self.perform(&pending.action))
    }

    fn name(&self) -> &'static str {
        "aws"
    }
}

/// Error codes that mean "slow down" or "try later" whatever their HTTP status. From the
/// SDKs' standard retry classifier, plus the services' own transient codes.
const RETRYABLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceException",
    "KMSThrottlingException",
    "KMSInternalException",
    // Lambda: the function is being created or updated.
    "ResourceNotReadyException",
    "ResourceConflictException",
    "EC2UnexpectedException",
];

/// Sorts an SDK error into retryable or not, keeping the service's code and message.
pub(crate) fn classify<E>(err: SdkError<E, HttpResponse>) -> SendError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let message = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = context.err().code().unwrap_or("Unknown").to_owned();
            let message = context.err().message().map_or(message, |m| m.to_owned());
            let retryable = status >= 500
                || status == 429
                || status == 408
                || RETRYABLE_CODES.contains(&code.as_str());
            SendError {
                code,
                message,
                status: Some(status),
                retryable,
            }
        }
        SdkError::TimeoutError(_) => SendError::retryable("Timeout", message),
        SdkError::DispatchFailure(failure) => {
            let code = if failure.is_timeout() {
                "Timeout"
            } else if failure.is_io() {
                "Connection"
            } else {
                // Credentials that cannot be resolved end here too: retrying is right, they
                // may come back (an instance role, a rotated secret).
                "DispatchFailure"
            };
            SendError::retryable(code, message)
        }
        SdkError::ResponseError(context) => SendError {
            code: "ResponseError".into(),
            message,
            status: Some(context.raw().status().as_u16()),
            retryable: true,
        },
        SdkError::ConstructionFailure(_) => SendError::permanent("InvalidRequest", message),
        _ => SendError::retryable("Unknown", message),
    }
}

#[cfg(test)]
mod region_tests {
    use super::*;

    #[test]
    fn only_region_shaped_names_are_regions() {
        for good in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-3",
            "eu-central-2",
            "cn-north-1",
        ] {
            assert!(is_region_name(good), "{good}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "US-EAST-1",
            "us-east-1x",
            "x-east-1",
            "us--1",
            "a-b-c-d-e-f-g-h-i-j-k-l-m-n-1",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sns::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_sns::operation::publish::PublishError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn service(status: u16, code: &str) -> SendError {
        let err = PublishError::generic(ErrorMetadata::builder().code(code).message("m").build());
        let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        classify(SdkError::service_error(err, raw))
    }

    #[test]
    fn errors_are_sorted_into_retryable_and_not() {
        for (status, code) in [
            (400, "Throttling"),
            (400, "ThrottlingException"),
            (429, "TooManyRequestsException"),
            (400, "ProvisionedThroughputExceededException"),
            (500, "InternalFailure"),
            (503, "ServiceUnavailable"),
            (502, "Whatever"),
            (409, "ResourceConflictException"),
        ] {
            let e = service(status, code);
            assert!(e.retryable, "{status} {code}");
            assert_eq!((e.code.as_str(), e.status), (code, Some(status)));
        }
        for (status, code) in [
            (403, "AuthorizationError"),
            (403, "AccessDeniedException"),
            (404, "NotFound"),
            (404, "ResourceNotFoundException"),
            (400, "AWS.SimpleQueueService.NonExistentQueue"),
            (400, "InvalidParameter"),
            (400, "ValidationException"),
        ] {
            assert!(!service(status, code).retryable, "{status} {code}");
        }
        type E = SdkError<PublishError, HttpResponse>;
        let timeout = classify(E::timeout_error("slow"));
        assert!(timeout.retryable);
        assert_eq!(timeout.code, "Timeout");
        let refused = classify(E::dispatch_failure(ConnectorError::io(
            std::io::Error::other("connection refused").into(),
        )));
        assert!(refused.retryable);
        assert_eq!(refused.code, "Connection");
        let bad = classify(E::construction_failure("no"));
        assert!(!bad.retryable);
    }

    #[test]
    fn target_regions_come_from_arns_and_queue_urls() {
        assert_eq!(
            arn_region("arn:aws:sns:us-west-2:123456789012:t"),
            Some("us-west-2")
        );
        assert_eq!(
            arn_region("arn:aws:lambda:eu-west-1:1:function:f"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("my-function"), None);
        assert_eq!(arn_region("arn:aws:s3:::bucket"), None);
        assert_eq!(
            queue_url_region("https://sqs.ap-south-1.amazonaws.com/1/q"),
            Some("ap-south-1")
        );
        assert_eq!(
            queue_url_region("https://eu-west-1.queue.amazonaws.com/1/q"),
            Some("eu-west-1")
        );
        assert_eq!(
            queue_url_region("http://127.0.0.1:5000/123456789012/q"),
            None
        );
        assert_eq!(queue_url_region("not a url"), None);
    }
}
