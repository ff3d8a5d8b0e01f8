//! Constructors for [`Decision`] and [`Metadata`], the two records a rule returns, and for the
//! [`Setting`]s a rule declares.

use crate::types::{Action, Decision, Metadata, Setting, SettingKind};

impl Decision {
    /// The rule's condition held: the host performs `actions`, in order.
    ///
    /// Accepts anything that converts into [`Action`], so builders go in as they are:
    /// `Decision::matched([Action::lambda("f").event()])`. Mix kinds with `.build()` or
    /// `Action::from`.
    pub fn matched<I, A>(actions: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<Action>,
    {
        Decision {
            matched: true,
            actions: actions.into_iter().map(Into::into).collect(),
            reason: None,
        }
    }

    /// The rule's condition did not hold: nothing to do. Add a [`reason`](Decision::reason) so
    /// the audit log says why.
    pub fn no_match() -> Self {
        Decision {
            matched: false,
            actions: Vec::new(),
            reason: None,
        }
    }

    /// Sets the one-sentence explanation the host writes to its audit log.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Appends one more action (and marks the decision matched, since a decision that does
    /// something matched by definition).
    pub fn action(mut self, action: impl Into<Action>) -> Self {
        self.matched = true;
        self.actions.push(action.into());
        self
    }
}

impl Metadata {
    /// Names the plugin. `name` must be unique among the host's plugins; `version` is the
    /// plugin's own (`env!("CARGO_PKG_VERSION")` keeps it in step with `Cargo.toml`);
    /// `description` is one sentence for `glue-rules inspect`.
    ///
    /// Without a [`pattern`](Metadata::pattern) the plugin receives every event.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Metadata {
            name: name.into(),
            version: version.into(),
            description: description.into(),
            patterns: Vec::new(),
            settings: Vec::new(),
        }
    }

    /// Declares a setting the rule reads. The host checks the configuration against the
    /// declarations when it loads the plugin (a missing required setting or a value not of its
    /// kind refuses it, naming the key), serves the declared default when a setting is not
    /// configured, and `glue-rules inspect` lists them.
    pub fn setting(mut self, setting: Setting) -> Self {
        self.settings.push(setting);
        self
    }

    /// Adds an EventBridge event pattern (JSON text). The host calls `evaluate` only for
    /// events that match at least one pattern, which saves calls into the plugin; the rule
    /// should still check what it relies on, since the host may be configured otherwise.
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.patterns.push(pattern.into());
        self
    }

    /// Adds an EventBridge event pattern given as a JSON value.
    pub fn json_pattern(self, pattern: &serde_json::Value) -> Self {
        self.pattern(pattern.to_string())
    }
}

impl Setting {
    fn of(kind: SettingKind, name: impl Into<String>, description: impl Into<String>) -> Self {
        Setting {
            name: name.into(),
            kind,
            required: false,
            default_value: None,
            description: description.into(),
        }
    }

    /// A setting holding any text, e.g. an ARN. Optional and without a default until
    /// [`required`](Setting::required) or [`default`](Setting::default) says otherwise.
    pub fn string(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::of(SettingKind::String, name, description)
    }

    /// A boolean setting: the host accepts true/false, yes/no, on/off, 1/0 and serves `true` or
    /// `false`.
    pub fn bool(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::of(SettingKind::Bool, name, description)
    }

    /// A numeric setting: the host refuses anything but a finite decimal number.
    pub fn number(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::of(SettingKind::Number, name, description)
    }

    /// A list of strings: configured as a TOML or JSON array of strings or as comma-separated
    /// text, served as a JSON array of strings ([`config::get_list`](crate::config::get_list)).
    pub fn list(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::of(SettingKind::List, name, description)
    }

    /// The plugin cannot work without it: the host refuses to load the plugin when it is not
    /// configured.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// What `config::get` returns when the setting is not configured (text of its kind).
    pub fn default(mut self, value: impl Into<String>) -> Self {
        self.default_value = Some(value.into());
        self
    }
}
