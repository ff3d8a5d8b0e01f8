//! The plugin contracts this host serves, side by side, and the adapters between them.
//!
//! | Contract | WIT | A component exports | Here |
//! |---|---|---|---|
//! | `glue:rules@0.2.0` | `wit/rule.wit` | the interface `glue:rules/handler@0.2.0` | current |
//! | `glue:rules@0.1.0` | `wit/0.1.0/rule.wit` (frozen) | the functions `describe`, `evaluate` | previous |
//!
//! [`Contract::detect`] reads which one a component implements from its export names, before
//! anything in it runs; a component that exports another version of `glue:rules` (a future
//! `handler@0.3.0`, say) is refused, naming the versions served. [`GuestPre`] and [`Guest`]
//! then call either kind the same way, and the rest of the host sees only 0.2 types:
//!
//! - a 0.1 component gets the event as 0.1 defines it, the typed view plus `detail-json`
//!   ([`EventV0_1`], built once per event and shared by every 0.1 plugin), and its decision is
//!   lifted straight into the host's decision type: actions and decisions are the same in both
//!   contracts, field for field, and the component model checks records and variants by
//!   structure, so there is nothing to convert and nothing that could decide differently;
//! - its `describe` takes no settings and declares none, so its configuration is passed through
//!   unchecked, exactly as before;
//! - a 0.2 component's `describe` gets its settings and declares the ones it reads, which
//!   [`apply_settings`] checks the configuration against; during its `evaluate` the host
//!   functions `detail-json` and `event-json` answer from the event in progress.
//!
//! docs/compatibility.md is the policy: which changes need a new contract version and how long
//! the previous one is served.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use wasmtime::Store;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentType, HasSelf, InstancePre, Linker, Lower, TypedFunc,
};

use crate::bindings::{types as wit, v0_1, v0_2};
use crate::event::Event;
use crate::sandbox::HostState;

/// A version of the plugin contract (the WIT package `glue:rules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Contract {
    /// `glue:rules@0.1.0`: bare `describe` / `evaluate` exports, `detail-json` in the event.
    #[serde(rename = "0.1.0")]
    V0_1,
    /// `glue:rules@0.2.0`: the `handler` interface, declared settings, JSON on request.
    #[serde(rename = "0.2.0")]
    V0_2,
}

impl Contract {
    /// The contract new plugins are built against (`wit/rule.wit`).
    pub const CURRENT: Contract = Contract::V0_2;

    /// Every contract this host serves, newest first.
    pub const SERVED: [Contract; 2] = [Contract::V0_2, Contract::V0_1];

    /// The version, e.g. `"0.2.0"`.
    pub fn version(self) -> &'static str {
        match self {
            Contract::V0_1 => "0.1.0",
            Contract::V0_2 => "0.2.0",
        }
    }

    /// The world a component of this version implements, e.g. `glue:rules/rule@0.2.0`.
    pub fn world(self) -> &'static str {
        match self {
            Contract::V0_1 => "glue:rules/rule@0.1.0",
            Contract::V0_2 => "glue:rules/rule@0.2.0",
        }
    }

    /// The versions served, for messages: `glue:rules@0.2.0 and glue:rules@0.1.0`.
    pub fn served() -> String {
        Self::SERVED
            .iter()
            .map(|c| format!("glue:rules@{}", c.version()))
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// Which contract `component` implements, from its exports alone (nothing in it runs).
    pub fn detect(
        engine: &wasmtime::Engine,
        component: &Component,
    ) -> Result<Contract, DetectError> {
        let exports: Vec<(String, bool)> = component
            .component_type()
            .exports(engine)
            .map(|(name, item)| {
                let func = matches!(item.ty, ComponentItem::ComponentFunc(_));
                (name.to_owned(), func)
            })
            .collect();
        // 0.2 and later: an interface of the package, with its version in its name. The
        // handler decides; any other glue:rules export names a version just as well.
        let versioned = exports
            .iter()
            .filter_map(|(name, _)| {
                let rest = name.strip_prefix("glue:rules/")?;
                let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
                Some((name, interface, version))
            })
            .min_by_key(|(_, interface, _)| *interface != "handler");
        if let Some((export, interface, version)) = versioned {
            // Within 0.2, later patch versions only add functions (docs/compatibility.md).
            if interface == "handler" && (version == "0.2.0" || version.starts_with("0.2.")) {
                return Ok(Contract::V0_2);
            }
            return Err(DetectError::Unsupported {
                version: if version.is_empty() {
                    "(no version)".to_owned()
                } else {
                    version.to_owned()
                },
                export: export.clone(),
            });
        }
        // 0.1: the world's own functions.
        let has = |wanted: &str| exports.iter().any(|(name, func)| name == wanted && *func);
        let missing: Vec<&str> = ["describe", "evaluate"]
            .into_iter()
            .filter(|name| !has(name))
            .collect();
        if missing.is_empty() {
            return Ok(Contract::V0_1);
        }
        let names: Vec<&str> = exports.iter().map(|(n, _)| n.as_str()).collect();
        Err(DetectError::NotARule(format!(
            "it exports neither the interface glue:rules/handler@0.2.0 nor the functions of \
             glue:rules@0.1.0 (missing export{} {}; it exports: {})",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            if names.is_empty() {
                "nothing".to_owned()
            } else {
                names.join(", ")
            }
        )))
    }
}

impl std::fmt::Display for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "glue:rules@{}", self.version())
    }
}

/// Why [`Contract::detect`] found no contract this host serves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    /// The component implements a version of `glue:rules` this host does not serve.
    #[error(
        "it implements glue:rules@{version} (it exports {export}), which this host does not \
         serve: it serves {}",
        Contract::served()
    )]
    Unsupported {
        /// The version in the export's name.
        version: String,
        /// The export that names it.
        export: String,
    },
    /// The component implements no version of `glue:rules` at all.
    #[error("{0}")]
    NotARule(String),
}

/// Adds what both contracts import (`glue:rules/host@0.1.0` and `@0.2.0`) to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    v0_2::Rule::add_to_linker::<_, HasSelf<HostState>>(linker, |state| state)?;
    v0_1::Rule::add_to_linker::<_, HasSelf<HostState>>(linker, |state| state)
}

impl v0_2::glue::rules::types::Host for HostState {}

impl v0_2::glue::rules::host::Host for HostState {
    fn log(&mut self, level: wit::LogLevel, message: String) {
        self.log.line(level, "log", &message);
    }

    fn config(&mut self, key: String) -> Option<String> {
        self.config.get(&key).cloned()
    }

    fn detail_json(&mut self) -> String {
        match &self.event {
            Some(event) => event.detail_json().to_owned(),
            None => "{}".to_owned(),
        }
    }

    fn event_json(&mut self) -> String {
        match &self.event {
            Some(event) => event.envelope_json().to_owned(),
            None => "{}".to_owned(),
        }
    }
}

impl v0_1::glue::rules::types::Host for HostState {}

impl v0_1::glue::rules::host::Host for HostState {
    fn log(&mut self, level: v0_1::glue::rules::types::LogLevel, message: String) {
        use v0_1::glue::rules::types::LogLevel as L;
        let level = match level {
            L::Trace => wit::LogLevel::Trace,
            L::Debug => wit::LogLevel::Debug,
            L::Info => wit::LogLevel::Info,
            L::Warn => wit::LogLevel::Warn,
            L::Error => wit::LogLevel::Error,
        };
        self.log.line(level, "log", &message);
    }

    fn config(&mut self, key: String) -> Option<String> {
        self.config.get(&key).cloned()
    }
}

/// The event as `glue:rules@0.1.0` defines it: the typed view of 0.2 (the same record, field
/// for field) plus `detail-json`. Lowered into 0.1 components as their `event` record.
#[derive(Debug, Clone, ComponentType, Lower)]
#[component(record)]
pub(crate) struct EventV0_1 {
    pub(crate) version: String,
    pub(crate) id: String,
    #[component(name = "detail-type")]
    pub(crate) detail_type: String,
    pub(crate) source: String,
    pub(crate) account: String,
    pub(crate) time: String,
    pub(crate) region: String,
    pub(crate) resources: Vec<String>,
    pub(crate) detail: wit::Detail,
    #[component(name = "detail-json")]
    pub(crate) detail_json: String,
}

impl EventV0_1 {
    pub(crate) fn new(event: &wit::Event, detail_json: &str) -> Self {
        Self {
            version: event.version.clone(),
            id: event.id.clone(),
            detail_type: event.detail_type.clone(),
            source: event.source.clone(),
            account: event.account.clone(),
            time: event.time.clone(),
            region: event.region.clone(),
            resources: event.resources.clone(),
            detail: event.detail.clone(),
            detail_json: detail_json.to_owned(),
        }
    }
}

/// 0.1's `evaluate`, typed with the host's (0.2) decision: the same shape in both contracts.
type EvaluateV0_1 = TypedFunc<(Arc<EventV0_1>,), (Result<wit::Decision, String>,)>;

/// A component linked against the host, ready to be instantiated, with the exports of its
/// contract looked up once.
#[derive(Clone)]
pub(crate) enum GuestPre {
    /// A `glue:rules@0.1.0` component.
    V0_1 {
        pre: InstancePre<HostState>,
        indices: v0_1::RuleIndices,
        evaluate: ComponentExportIndex,
    },
    /// A `glue:rules@0.2.0` component.
    V0_2(v0_2::RulePre<HostState>),
}

impl GuestPre {
    /// Checks that `pre`'s component has the exports of `contract`, with their types.
    pub(crate) fn new(contract: Contract, pre: InstancePre<HostState>) -> wasmtime::Result<Self> {
        Ok(match contract {
            Contract::V0_1 => {
                let indices = v0_1::RuleIndices::new(&pre)?;
                let (_, evaluate) = pre
                    .component()
                    .get_export(None, "evaluate")
                    .ok_or_else(|| wasmtime::format_err!("no export `evaluate`"))?;
                GuestPre::V0_1 {
                    pre,
                    indices,
                    evaluate,
                }
            }
            Contract::V0_2 => GuestPre::V0_2(v0_2::RulePre::new(pre)?),
        })
    }

    /// A new instance in `store`.
    pub(crate) fn instantiate(&self, store: &mut Store<HostState>) -> wasmtime::Result<Guest> {
        match self {
            GuestPre::V0_1 {
                pre,
                indices,
                evaluate,
            } => {
                let instance = pre.instantiate(&mut *store)?;
                let rule = indices.load(&mut *store, &instance)?;
                let evaluate: EvaluateV0_1 = instance.get_typed_func(&mut *store, evaluate)?;
                Ok(Guest::V0_1 { rule, evaluate })
            }
            GuestPre::V0_2(pre) => Ok(Guest::V0_2(pre.instantiate(&mut *store)?)),
        }
    }
}

/// A live instance of either contract.
pub(crate) enum Guest {
    /// A `glue:rules@0.1.0` instance.
    V0_1 {
        rule: v0_1::Rule,
        evaluate: EvaluateV0_1,
    },
    /// A `glue:rules@0.2.0` instance.
    V0_2(v0_2::Rule),
}

impl Guest {
    /// Calls `describe`: with `settings` for 0.2 (0.1 takes none). The inner `Err` is the
    /// plugin refusing its settings (0.2 only).
    pub(crate) fn describe(
        &self,
        store: &mut Store<HostState>,
        settings: &BTreeMap<String, String>,
    ) -> wasmtime::Result<Result<Described, String>> {
        match self {
            Guest::V0_1 { rule, .. } => {
                let m = rule.call_describe(&mut *store)?;
                Ok(Ok(Described {
                    name: m.name,
                    version: m.version,
                    description: m.description,
                    patterns: m.patterns,
                    settings: Vec::new(),
                }))
            }
            Guest::V0_2(rule) => {
                let pairs: Vec<(String, String)> = settings
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let described = rule
                    .glue_rules_handler()
                    .call_describe(&mut *store, &pairs)?;
                Ok(described.map(Described::from_wit))
            }
        }
    }

    /// Calls `evaluate` on `event`. For 0.2 the host functions `detail-json` and `event-json`
    /// answer from `event` during the call, and from nothing after it.
    pub(crate) fn evaluate(
        &self,
        store: &mut Store<HostState>,
        event: &Event,
    ) -> wasmtime::Result<Result<wit::Decision, String>> {
        match self {
            Guest::V0_1 { evaluate, .. } => {
                let (result,) = evaluate.call(&mut *store, (event.v0_1().clone(),))?;
                Ok(result)
            }
            Guest::V0_2(rule) => {
                store.data_mut().event = Some(event.clone());
                let result = rule
                    .glue_rules_handler()
                    .call_evaluate(&mut *store, event.wit());
                store.data_mut().event = None;
                result
            }
        }
    }
}

/// What a plugin says about itself in `describe`, in either contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Described {
    /// Its name.
    pub name: String,
    /// Its own version.
    pub version: String,
    /// One sentence.
    pub description: String,
    /// Its EventBridge patterns, JSON text.
    pub patterns: Vec<String>,
    /// The settings it declares (0.2; none for 0.1).
    pub settings: Vec<SettingSpec>,
}

impl Described {
    fn from_wit(m: wit::Metadata) -> Self {
        Self {
            name: m.name,
            version: m.version,
            description: m.description,
            patterns: m.patterns,
            settings: m
                .settings
                .into_iter()
                .map(|s| SettingSpec {
                    name: s.name,
                    kind: match s.kind {
                        wit::SettingKind::String => SettingKind::String,
                        wit::SettingKind::Bool => SettingKind::Bool,
                        wit::SettingKind::Number => SettingKind::Number,
                        wit::SettingKind::List => SettingKind::List,
                    },
                    required: s.required,
                    default: s.default_value,
                    description: s.description,
                })
                .collect(),
        }
    }
}

/// The kind of value a declared setting holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingKind {
    /// Any text.
    String,
    /// true or false.
    Bool,
    /// A finite decimal number.
    Number,
    /// A list of strings (a JSON array of strings for the plugin).
    List,
}

impl SettingKind {
    /// The kind's name, as in the WIT.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingKind::String => "string",
            SettingKind::Bool => "bool",
            SettingKind::Number => "number",
            SettingKind::List => "list",
        }
    }
}

impl std::fmt::Display for SettingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One setting a plugin declares it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingSpec {
    /// The key under `[plugins.NAME.config]`.
    pub name: String,
    /// What its value is.
    pub kind: SettingKind,
    /// Whether the plugin cannot work without it.
    pub required: bool,
    /// What the plugin reads when it is not configured.
    pub default: Option<String>,
    /// One sentence.
    pub description: String,
}

/// How declared settings are checked and served: one source with the Rust SDK's
/// `testing::configure`, so that a rule's native tests see the host's very refusals.
mod settings_rules {
    use super::SettingKind;
    use std::collections::BTreeMap;
    include!("../../../guest-sdk/rust/src/settings_rules.rs");
}

pub use settings_rules::MAX_SETTINGS;

/// The declarations as the shared rules read them.
fn declared(settings: &[SettingSpec]) -> Vec<settings_rules::Declared<'_>> {
    settings
        .iter()
        .map(|s| settings_rules::Declared {
            name: &s.name,
            kind: s.kind,
            required: s.required,
            default: s.default.as_deref(),
            description: &s.description,
        })
        .collect()
}

/// Checks a plugin's declarations themselves: at most [`MAX_SETTINGS`], unique names of 1 to
/// 128 characters without spaces, dots or control characters, and defaults of their kind. A
/// problem refuses the plugin's metadata.
pub fn check_declarations(settings: &[SettingSpec]) -> Result<(), String> {
    settings_rules::check_declared(&declared(settings))
}

/// A configured value that does not fit the plugin's declaration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugins.{plugin}.config.{key} {problem}")]
pub struct SettingError {
    /// The plugin's name.
    pub plugin: String,
    /// The setting.
    pub key: String,
    /// What is wrong, as the end of a sentence starting with the key.
    pub problem: String,
}

/// Checks `configured` (a plugin's `[plugins.NAME.config]`) against what the plugin
/// `declared`, and returns what its `host.config` serves: configured values normalised to
/// their kind, declared defaults for the rest. A value that is empty or only whitespace counts
/// as not configured. A plugin that declares nothing (every 0.1 plugin) gets `configured` as it
/// is; keys a declaring plugin does not declare are passed on and logged.
pub fn apply_settings(
    plugin: &str,
    declared_settings: &[SettingSpec],
    configured: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, SettingError> {
    let served = settings_rules::serve_settings(&declared(declared_settings), configured).map_err(
        |refused| SettingError {
            plugin: plugin.to_owned(),
            key: refused.key,
            problem: refused.problem,
        },
    )?;
    for key in &served.undeclared {
        tracing::warn!(
            plugin,
            setting = %key,
            "plugins.{plugin}.config.{key} is not a setting the plugin declares; passed on as it is"
        );
    }
    Ok(served.values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, kind: SettingKind, required: bool, default: Option<&str>) -> SettingSpec {
        SettingSpec {
            name: name.into(),
            kind,
            required,
            default: default.map(str::to_owned),
            description: format!("The {name}."),
        }
    }

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn settings_are_checked_normalised_and_defaulted() {
        let declared = [
            spec("topic-arn", SettingKind::String, true, None),
            spec("notify-stopped", SettingKind::Bool, false, Some("false")),
            spec("delay", SettingKind::Number, false, None),
            spec("jobs", SettingKind::List, false, Some("[]")),
        ];
        let effective = apply_settings(
            "p",
            &declared,
            &config(&[
                ("topic-arn", "arn:t"),
                ("notify-stopped", " Yes "),
                ("delay", " 2.5"),
                ("jobs", "a, b ,,c"),
                ("extra", "kept"),
            ]),
        )
        .unwrap();
        assert_eq!(
            effective,
            config(&[
                ("topic-arn", "arn:t"),
                ("notify-stopped", "true"),
                ("delay", "2.5"),
                ("jobs", r#"["a","b","c"]"#),
                ("extra", "kept"),
            ])
        );
        let defaults = apply_settings("p", &declared, &config(&[("topic-arn", "t")])).unwrap();
        assert_eq!(defaults["notify-stopped"], "false");
        assert_eq!(defaults["jobs"], "[]");
        assert!(!defaults.contains_key("delay"));
        let json_list = apply_settings(
            "p",
            &declared,
            &config(&[("topic-arn", "t"), ("jobs", r#"["x,y"]"#)]),
        )
        .unwrap();
        assert_eq!(json_list["jobs"], r#"["x,y"]"#);
    }

    #[test]
    fn a_missing_or_malformed_setting_names_its_key() {
        let declared = [
            spec("topic-arn", SettingKind::String, true, None),
            spec("notify-stopped", SettingKind::Bool, false, None),
            spec("delay", SettingKind::Number, false, None),
            spec("jobs", SettingKind::List, false, None),
        ];
        let cases = [
            (
                config(&[]),
                "plugins.p.config.topic-arn is required (The topic-arn) but not set",
            ),
            (
                config(&[("topic-arn", "  ")]),
                "plugins.p.config.topic-arn is required",
            ),
            (
                config(&[("topic-arn", "t"), ("notify-stopped", "maybe")]),
                "plugins.p.config.notify-stopped must be true or false, not \"maybe\"",
            ),
            (
                config(&[("topic-arn", "t"), ("delay", "soon")]),
                "plugins.p.config.delay must be a number, not \"soon\"",
            ),
            (
                config(&[("topic-arn", "t"), ("delay", "inf")]),
                "plugins.p.config.delay must be a number",
            ),
            (
                config(&[("topic-arn", "t"), ("jobs", "[1, 2]")]),
                "plugins.p.config.jobs must be a list of strings",
            ),
        ];
        for (configured, expected) in cases {
            let err = apply_settings("p", &declared, &configured)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(expected), "{configured:?}: {err}");
        }
    }

    #[test]
    fn a_plugin_that_declares_nothing_gets_its_configuration_as_it_is() {
        let configured = config(&[("notify-stopped", "maybe"), ("x", "")]);
        assert_eq!(apply_settings("p", &[], &configured).unwrap(), configured);
    }

    #[test]
    fn declarations_are_checked() {
        assert!(check_declarations(&[spec("a", SettingKind::Bool, false, Some("yes"))]).is_ok());
        let cases = [
            (
                vec![
                    spec("a", SettingKind::String, false, None),
                    spec("a", SettingKind::Bool, false, None),
                ],
                "declared twice",
            ),
            (
                vec![spec("", SettingKind::String, false, None)],
                "must be 1 to 128",
            ),
            (
                vec![spec("a b", SettingKind::String, false, None)],
                "no spaces",
            ),
            (
                vec![spec("n", SettingKind::Number, false, Some("many"))],
                "the default of setting \"n\" (number) must be a number",
            ),
        ];
        for (declared, expected) in cases {
            let err = check_declarations(&declared).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
        let many: Vec<SettingSpec> = (0..=MAX_SETTINGS)
            .map(|i| spec(&format!("s{i}"), SettingKind::String, false, None))
            .collect();
        assert!(
            check_declarations(&many)
                .unwrap_err()
                .contains("over the limit")
        );
    }

    #[test]
    fn the_served_versions_are_named_newest_first() {
        assert_eq!(Contract::served(), "glue:rules@0.2.0 and glue:rules@0.1.0");
        assert_eq!(Contract::CURRENT.world(), "glue:rules/rule@0.2.0");
        let err = DetectError::Unsupported {
            version: "0.3.0".into(),
            export: "glue:rules/handler@0.3.0".into(),
        };
        assert_eq!(
            err.to_string(),
            "it implements glue:rules@0.3.0 (it exports glue:rules/handler@0.3.0), which this \
             host does not serve: it serves glue:rules@0.2.0 and glue:rules@0.1.0"
        );
    }
}
