//! # glue-rules-sdk: write a glue-rules plugin in a few lines
//!
//! A glue-rules plugin is a WebAssembly component that implements the `rule` world of
//! `wit/rule.wit` (package `glue:rules@0.2.0`: it exports the interface
//! `glue:rules/handler@0.2.0`). The host hands the plugin every AWS Glue EventBridge event its
//! patterns select and performs the AWS actions the plugin returns. This crate hides the
//! component plumbing so that a plugin is just a [`Rule`]:
//!
//! * [`types`] re-exports the contract's types ([`Event`],
//!   [`Decision`], [`Action`](types::Action), ...);
//! * [`Rule`] and [`export_rule!`] turn a plain Rust type into the component's exports;
//! * builders such as [`Action::lambda`](types::Action::lambda) and
//!   [`Decision::matched`](types::Decision::matched) build answers without spelling out every
//!   field of the generated records;
//! * [`EventExt`] reads the common fields of Glue job events;
//! * [`log`] and [`config`] wrap what the host offers (a log and the plugin's settings), and
//!   [`detail_json`] / [`event_json`] the JSON of the event being evaluated;
//! * [`Setting`](types::Setting) declares the settings a rule reads, so that the host checks
//!   them at load and `glue-rules inspect` lists them;
//! * [`glob`] matches job names against `*` and `?` patterns without a regex engine;
//! * [`json`] writes small JSON payloads without the weight of `serde_json`;
//! * [`template`] renders EventBridge input transformers (`InputPathsMap` and `InputTemplate`,
//!   with the predefined variables and EventBridge's quoting) into payloads and messages.
//!
//! Everything a plugin usually needs is in [`prelude`].
//!
//! ## A complete plugin
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [package]
//! name = "queue-on-failure"
//! version = "0.1.0"
//! edition = "2024"
//!
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! glue-rules-sdk = "0.2.0"
//! ```
//!
//! `src/lib.rs`:
//!
//! ```rust,no_run
//! use glue_rules_sdk::prelude::*;
//! use glue_rules_sdk::serde_json::json;
//!
//! struct QueueOnFailure;
//!
//! impl Rule for QueueOnFailure {
//!     fn describe(settings: &Settings) -> Result<Metadata, String> {
//!         // A configured job-name filter becomes part of the pattern: the host does not even
//!         // enter the plugin for other jobs.
//!         let mut detail = json!({"state": ["FAILED", "TIMEOUT", "ERROR"]});
//!         if let Some(filter) = settings.get_nonempty("job-name").as_deref().and_then(glob::pattern_value) {
//!             detail["jobName"] = json!([filter]);
//!         }
//!         Ok(Metadata::new("queue-on-failure", "0.1.0", "Queues a message when a Glue job fails.")
//!             .json_pattern(&json!({
//!                 "source": ["aws.glue"],
//!                 "detail-type": ["Glue Job State Change"],
//!                 "detail": detail,
//!             }))
//!             .setting(Setting::string("queue-url", "The SQS queue to send to.").required())
//!             .setting(Setting::string("job-name", "A glob the job name must match.")))
//!     }
//!
//!     fn evaluate(event: &Event) -> Result<Decision, String> {
//!         if !event.is_job_failure() {
//!             return Ok(Decision::no_match().reason("not a failed job run"));
//!         }
//!         let job = event.job_name().unwrap_or_default();
//!         if let Some(filter) = config::get_nonempty("job-name") {
//!             if !glob::matches(&filter, job) {
//!                 return Ok(Decision::no_match().reason(format!("job {job} is filtered out")));
//!             }
//!         }
//!         // Declared required: the host refuses to load the plugin without it.
//!         let queue = config::require("queue-url")?;
//!         glue_rules_sdk::info!("job {job} failed, queueing it");
//!         let body = json::Object::new()
//!             .string("job", job)
//!             .opt_string("run", event.job_run_id())
//!             .string("time", &event.time)
//!             .finish();
//!         Ok(Decision::matched([Action::sqs(queue).body(body).delay_seconds(30)])
//!             .reason(format!("job {job} failed")))
//!     }
//! }
//!
//! glue_rules_sdk::export_rule!(QueueOnFailure);
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release` (in the glue-rules workspace,
//! `--profile guest`, which is smaller): the `.wasm` file under `target/wasm32-wasip2/` is the
//! component the host loads, no further step needed. A rule like this one is about 70 KB;
//! building payloads with `serde_json` instead of [`json::Object`] adds about 20 KB.
//!
//! ## Testing a plugin natively
//!
//! The crate also compiles for the build machine so that `cargo test` and `cargo clippy` work.
//! There the host's imports are replaced by the `testing` module (native targets only):
//! settings come from `testing::configure` (which checks them against the rule's declarations
//! and fills in its defaults, as the host does) or `testing::set_config`, log lines are kept
//! for `testing::take_logs`, and `testing::event_from_json` (or `testing::event_from_file`)
//! turns an EventBridge JSON document into an [`Event`] with the host's own parser: the source
//! of the typed view (`src/typed_view.rs`) is compiled into the host and into this crate, so a
//! fixture gives a test exactly the event the host would pass (and becomes the event
//! [`detail_json`] and [`event_json`] answer for). `testing::typed_view` also says why a
//! detail fell back to [`Detail::Other`](types::Detail::Other).
//!
//! ```rust,ignore
//! #[cfg(test)]
//! mod tests {
//!     use glue_rules_sdk::prelude::*;
//!     use glue_rules_sdk::testing;
//!
//!     #[test]
//!     fn a_failed_run_is_queued() {
//!         testing::configure::<super::QueueOnFailure>(&[("queue-url", "https://sqs/q")]).unwrap();
//!         let event = testing::event_from_file("fixtures/job-failed.json").unwrap();
//!         let decision = super::QueueOnFailure::evaluate(&event).unwrap();
//!         assert!(decision.matched);
//!     }
//! }
//! ```

#![warn(missing_docs)]

// The generated export macro names this crate by its absolute path (`::glue_rules_sdk::...`)
// so that it works from the plugin crate; this alias makes the same path work inside the SDK.
extern crate self as glue_rules_sdk;

/// The raw bindings generated from `wit/rule.wit`. Use [`types`], [`Rule`] and
/// [`export_rule!`] instead; this module is public only because the export macro expands in the
/// plugin crate and must reach it.
#[doc(hidden)]
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        // The crate carries its own copy of the contract, so that it builds from a package;
        // a test holds it to wit/rule.wit.
        path: "wit",
        world: "rule",
        pub_export_macro: true,
        export_macro_name: "__export_rule_world",
        default_bindings_module: "::glue_rules_sdk::bindings",
        additional_derives: [PartialEq],
    });
}

mod actions;
pub mod config;
mod decision;
// The typed-view parser in it serves only the native `testing` module.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
mod event;
pub mod glob;
pub mod json;
pub mod log;
pub mod template;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use event::EventExt;
/// Re-exported so that plugins build JSON payloads with the same `serde_json` the SDK uses,
/// without a dependency of their own.
pub use serde_json;

/// The contract's types (`glue:rules/types@0.2.0`), as generated from `wit/rule.wit`, plus the
/// builder methods this crate adds to them.
///
/// The names follow the WIT in Rust case: the record `job-state-change` is
/// [`JobStateChange`](types::JobStateChange), the variant case `job-state-change` is
/// `Detail::JobStateChange`, the field `detail-type` is `detail_type`.
pub mod types {
    pub use crate::actions::truncate_chars;
    pub use crate::bindings::glue::rules::types::*;
}

/// One `use glue_rules_sdk::prelude::*;` for everything a rule usually touches.
pub mod prelude {
    pub use crate::config::Settings;
    pub use crate::types::{
        Action, CommandParameter, CommandTargets, CrawlerState, CrawlerStateChange,
        DataQualityContext, DataQualityResult, DataQualityState, DatabaseStateChange, Decision,
        Detail, Event, InvocationType, JobRunStatus, JobState, JobStateChange, KinesisPutRecord,
        LambdaInvoke, LogLevel, MessageAttribute, Metadata, Setting, SettingKind, Severity,
        SfnStartExecution, SnsPublish, SqsSendMessage, SsmSendCommand, TableStateChange, Target,
        TypeOfChange,
    };
    pub use crate::{EventExt, Rule, config, detail_json, event_json, glob, json, log};
}

use types::{Decision, Event, Metadata};

/// A rule: what a plugin author writes. [`export_rule!`] turns it into the component's exports.
///
/// Both functions are associated functions (no `self`) because a component instance has no
/// constructor the host could call: state that must outlive one call would live in a `static`,
/// and a rule should not need any (the WIT asks a rule to decide from one event alone).
pub trait Rule {
    /// Who the plugin is, which events it wants (EventBridge patterns as JSON text) and which
    /// settings it reads ([`Metadata::setting`]). The host calls it when it loads the plugin,
    /// with the plugin's settings as configured, so that configured filters can become
    /// patterns; the host then checks the configuration against the declared settings.
    ///
    /// An `Err` refuses the plugin at load: use it for a value the declarations cannot check
    /// (one outside a fixed set, say). It must succeed with no settings at all: the host
    /// describes a plugin once without settings to learn the name its configuration is keyed
    /// by. Declare a setting `required` rather than refusing its absence here.
    fn describe(settings: &config::Settings) -> Result<Metadata, String>;

    /// Decides what to do about one event. Return `Ok(Decision::no_match())` for an event the
    /// rule does not care about; an `Err` is reported by the host as a plugin failure for this
    /// event (use it for broken settings, not for uninteresting events).
    fn evaluate(event: &Event) -> Result<Decision, String>;
}

/// Adapts a [`Rule`] to the generated `Guest` trait. Hidden: only [`export_rule!`] names it.
#[doc(hidden)]
pub struct RuleExport<R>(core::marker::PhantomData<R>);

impl<R: Rule> bindings::exports::glue::rules::handler::Guest for RuleExport<R> {
    fn describe(settings: Vec<(String, String)>) -> Result<Metadata, String> {
        R::describe(&config::Settings::new(settings))
    }

    fn evaluate(event: Event) -> Result<Decision, String> {
        R::evaluate(&event)
    }
}

/// The `detail` of the event being evaluated, as compact JSON text, for the fields the typed
/// view lacks (or all of it when the detail is [`Detail::Other`](types::Detail::Other)). The
/// host copies it into the plugin only when asked, on every call: parse it once. Outside
/// `evaluate` it is `"{}"`. Natively, the detail of the last `testing::event_from_json`.
pub fn detail_json() -> String {
    #[cfg(target_arch = "wasm32")]
    return bindings::glue::rules::host::detail_json();
    #[cfg(not(target_arch = "wasm32"))]
    return testing::current_json().0;
}

/// The whole EventBridge envelope of the event being evaluated, as compact JSON text (for
/// input-transformer style payloads). Like [`detail_json`], copied only when asked; `"{}"`
/// outside `evaluate`.
pub fn event_json() -> String {
    #[cfg(target_arch = "wasm32")]
    return bindings::glue::rules::host::event_json();
    #[cfg(not(target_arch = "wasm32"))]
    return testing::current_json().1;
}

/// Exports a [`Rule`] as the plugin component's `glue:rules/handler@0.2.0` interface.
///
/// Invoke it once, at the top level of the plugin crate (a `cdylib`):
///
/// ```rust,no_run
/// # use glue_rules_sdk::prelude::*;
/// struct MyRule;
/// impl Rule for MyRule {
///     fn describe(_: &Settings) -> Result<Metadata, String> {
///         Ok(Metadata::new("my-rule", "0.1.0", "Does nothing."))
///     }
///     fn evaluate(_: &Event) -> Result<Decision, String> { Ok(Decision::no_match()) }
/// }
/// glue_rules_sdk::export_rule!(MyRule);
/// ```
#[macro_export]
macro_rules! export_rule {
    ($rule:ty) => {
        // Exports exist only in the component. Natively (unit tests, benchmarks) the rule is
        // called directly, and two rules linked into one binary must not clash on symbols.
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __GlueRulesExport = $crate::RuleExport<$rule>;
            $crate::bindings::__export_rule_world!(
                __GlueRulesExport with_types_in $crate::bindings
            );
        };
    };
}

#[cfg(test)]
mod tests;
