//! The shared de-duplication table on DynamoDB (`[dispatch] dedupe-table`).
//!
//! One item per event identity, keyed by the hex of its [`DedupeKey`]:
//!
//! | attribute | meaning |
//! |---|---|
//! | `key` (S, hash key) | the event's de-duplication identity |
//! | `state` (S) | `pending` while its claimant records it, then `done` |
//! | `owner` (S) | the replica that claimed it |
//! | `lease_until_ms` (N) | until when a pending claim stays its owner's |
//! | `expires_at` (N) | epoch seconds after which the item means nothing; DynamoDB's TTL attribute |
//!
//! A claim is one conditional `PutItem` (the key is absent, or the item has expired, or it is
//! pending with its lease over); a lost race reads the item back, consistently, to tell a
//! duplicate (`done`) from an event being recorded elsewhere (`pending`). TTL deletion is lazy
//! (up to days late), so expiry is checked in every condition, never left to TTL.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use glue_rules_core::DedupeKey;
use tokio::runtime::Handle;

use crate::claims::{Claim, ClaimStore};
use crate::{DispatchError, now_ms};

/// Claims on a DynamoDB table, made from blocking threads through the runtime they were
/// created on.
pub struct DynamoClaims {
    client: Client,
    table: Arc<str>,
    owner: Arc<str>,
    lease: Duration,
    window: Duration,
    runtime: Handle,
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn failure<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    table: &str,
    what: &str,
    err: aws_sdk_dynamodb::error::SdkError<E, R>,
) -> DispatchError {
    DispatchError::Claims(format!(
        "{what} on DynamoDB table {table}: {}",
        DisplayErrorContext(&err)
    ))
}

fn is_condition_failure<E: ProvideErrorMetadata>(err: &E) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

impl DynamoClaims {
    /// Claims on `table`, made by `owner` (this replica's name, for the record), each pending
    /// claim leased for `lease`, done claims remembered for `window`. Must be called on the
    /// tokio runtime the claims will use.
    pub fn new(
        sdk: &aws_config::SdkConfig,
        table: &str,
        owner: &str,
        lease: Duration,
        window: Duration,
    ) -> Self {
        Self {
            client: Client::new(sdk),
            table: table.into(),
            owner: owner.into(),
            lease,
            window,
            runtime: Handle::current(),
        }
    }

    async fn claim_one(&self, key: &str, now: u64) -> Result<Claim, DispatchError> {
        let put = self
            .client
            .put_item()
            .table_name(&*self.table)
            .item("key", s(key))
            .item("state", s("pending"))
            .item("owner", s(&self.owner))
            .item("lease_until_ms", n(now + self.lease.as_millis() as u64))
            .item(
                "expires_at",
                n((now + self.window.max(self.lease).as_millis() as u64) / 1000 + 1),
            )
            .condition_expression(
                "attribute_not_exists(#k) OR #e < :now_s \
                 OR (#st = :pending AND #l < :now_ms)",
            )
            .expression_attribute_names("#k", "key")
            .expression_attribute_names("#e", "expires_at")
            .expression_attribute_names("#st", "state")
            .expression_attribute_names("#l", "lease_until_ms")
            .expression_attribute_values(":now_s", n(now / 1000))
            .expression_attribute_values(":now_ms", n(now))
            .expression_attribute_values(":pending", s("pending"))
            .send()
            .await;
        match put {
            Ok(_) => Ok(Claim::Won),
            Err(err) if err.as_service_error().is_some_and(is_condition_failure) => {
                let item = self
                    .client
                    .get_item()
                    .table_name(&*self.table)
                    .key("key", s(key))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| failure(&self.table, "GetItem", e))?;
                let state = item
                    .item()
                    .and_then(|item| item.get("state"))
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str);
                Ok(match state {
                    Some("done") => Claim::Done,
                    // Pending elsewhere; or gone between the two calls (its claimant released
                    // it): either way a redelivery will find out.
                    _ => Claim::Held,
                })
            }
            Err(err) => Err(failure(&self.table, "PutItem", err)),
        }
    }

    async fn complete_one(&self, key: &str, now: u64) -> Result<(), DispatchError> {
        let update = self
            .client
            .update_item()
            .table_name(&*self.table)
            .key("key", s(key))
            .update_expression("SET #st = :done, #e = :expires REMOVE #l")
            .condition_expression("#o = :me")
            .expression_attribute_names("#st", "state")
            .expression_attribute_names("#e", "expires_at")
            .expression_attribute_names("#l", "lease_until_ms")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(
                ":expires",
                n((now + self.window.as_millis() as u64) / 1000 + 1),
            )
            .expression_attribute_values(":me", s(&self.owner))
            .send()
            .await;
        match update {
            Ok(_) => Ok(()),
            // Taken over after our lease ran out: the other replica's record stands.
            Err(err) if err.as_service_error().is_some_and(is_condition_failure) => Ok(()),
            Err(err) => Err(failure(&self.table, "UpdateItem", err)),
        }
    }

    async fn release_one(&self, key: &str) -> Result<(), DispatchError> {
        let delete = self
            .client
            .delete_item()
            .table_name(&*self.table)
            .key("key", s(key))
            .condition_expression("#o = :me AND #st = :pending")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":me", s(&self.owner))
            .expression_attribute_values(":pending", s("pending"))
            .send()
            .await;
        match delete {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(is_condition_failure) => Ok(()),
            Err(err) => Err(failure(&self.table, "DeleteItem", err)),
        }
    }

    /// Runs one call per key at once (a batch is at most an SQS receive or an HTTP body), in
    /// order of the answers.
    fn each<T, F, Fut>(&self, keys: &[DedupeKey], call: F) -> Result<Vec<T>, DispatchError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, DispatchError>>,
    {
        let calls = keys.iter().map(|k| call(k.to_hex()));
        let results = self
            .runtime
            .block_on(async move { crate::queue::join_all(calls.collect()).await });
        results.into_iter().collect()
    }
}

impl ClaimStore for DynamoClaims {
    fn claim(&self, keys: &[DedupeKey]) -> Result<Vec<Claim>, DispatchError> {
        let now = now_ms();
        self.each(keys, |key| async move { self.claim_one(&key, now).await })
    }

    fn complete(&self, keys: &[DedupeKey]) -> Result<(), DispatchError> {
        let now = now_ms();
        self.each(
            keys,
            |key| async move { self.complete_one(&key, now).await },
        )
        .map(drop)
    }

    fn release(&self, keys: &[DedupeKey]) -> Result<(), DispatchError> {
        self.each(keys, |key| async move { self.release_one(&key).await })
            .map(drop)
    }
}

/// What `glue-rules dedupe init` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableInit {
    /// The table was created (on-demand capacity, `key` as its hash key, TTL on `expires_at`).
    Created,
    /// It existed already; TTL was turned on if it was off.
    Existed,
}

/// Creates the de-duplication table with TTL on, or checks the one there: idempotent, for
/// users who do not manage the table with their own tooling.
pub async fn init_table(
    sdk: &aws_config::SdkConfig,
    table: &str,
) -> Result<TableInit, DispatchError> {
    let client = Client::new(sdk);
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("key")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| DispatchError::Claims(e.to_string()))?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("key")
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| DispatchError::Claims(e.to_string()))?,
        )
        .send()
        .await;
    let outcome = match created {
        Ok(_) => TableInit::Created,
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.code() == Some("ResourceInUseException")) =>
        {
            TableInit::Existed
        }
        Err(err) => return Err(failure(table, "CreateTable", err)),
    };
    // A new table is CREATING for a while on AWS; TTL can only be set once it is ACTIVE.
    let mut waited = Duration::ZERO;
    loop {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| failure(table, "DescribeTable", e))?;
        let active = described
            .table()
            .and_then(|t| t.table_status())
            .is_some_and(|s| s.as_str() == "ACTIVE");
        if active {
            break;
        }
        if waited > Duration::from_secs(300) {
            return Err(DispatchError::Claims(format!(
                "DynamoDB table {table} is not ACTIVE after 5 minutes"
            )));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        waited += Duration::from_secs(1);
    }
    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| failure(table, "DescribeTimeToLive", e))?;
    let enabled = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status())
        .is_some_and(|s| matches!(s.as_str(), "ENABLED" | "ENABLING"));
    if !enabled {
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("expires_at")
                    .enabled(true)
                    .build()
                    .map_err(|e| DispatchError::Claims(e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| failure(table, "UpdateTimeToLive", e))?;
    }
    Ok(outcome)
}
