//! The plugin's settings (`glue:rules/host.config`), from the host's `[plugins.NAME.config]`
//! table. Keys are the plugin's own; by convention they are kebab-case (`topic-arn`).
//!
//! A rule declares the settings it reads in its [`Metadata`](crate::types::Metadata) (see
//! [`Setting`](crate::types::Setting)); the host then refuses to load it when a required one is
//! missing or a value is not of its kind, fills in the declared defaults, and hands booleans
//! over as `true`/`false` and lists as JSON arrays of strings. [`describe`](crate::Rule::describe)
//! gets the settings as configured, in a [`Settings`], before any of that.
//!
//! The typed helpers treat a value that is empty or only whitespace as unset, and trim the
//! rest: a stray space in a configuration file should not change what a rule does. A value
//! that is set but cannot be read is an `Err` with a sentence naming the key, meant to be
//! returned with `?` so the operator sees a plugin failure rather than a rule that silently
//! uses a default.

/// The raw value of setting `key`, exactly as the host serves it; `None` when it is not set.
pub fn get(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::glue::rules::host::config(key);
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testing::lookup_config(key);
}

/// The trimmed value of `key`; `None` when it is unset, empty or only whitespace.
pub fn get_nonempty(key: &str) -> Option<String> {
    nonempty(get(key))
}

/// The trimmed value of `key`, or `default` when it is unset or blank.
pub fn get_or(key: &str, default: impl Into<String>) -> String {
    get_nonempty(key).unwrap_or_else(|| default.into())
}

/// The trimmed value of `key`, or an error naming the key when it is unset or blank: for
/// settings without a sensible default.
pub fn require(key: &str) -> Result<String, String> {
    required(key, get_nonempty(key))
}

/// Setting `key` as a boolean: `true`/`false`, `yes`/`no`, `on`/`off` or `1`/`0`, in any case.
/// `Ok(None)` when unset or blank; `Err` for any other text.
pub fn get_bool(key: &str) -> Result<Option<bool>, String> {
    boolean(key, get_nonempty(key))
}

/// Setting `key` as a boolean ([`get_bool`]), or `default` when unset or blank.
pub fn get_bool_or(key: &str, default: bool) -> Result<bool, String> {
    Ok(get_bool(key)?.unwrap_or(default))
}

/// Setting `key` parsed with [`FromStr`](core::str::FromStr) (numbers, mostly). `Ok(None)` when
/// unset or blank; `Err` naming the key when the text does not parse.
pub fn get_parsed<T>(key: &str) -> Result<Option<T>, String>
where
    T: core::str::FromStr,
    T::Err: core::fmt::Display,
{
    parsed(key, get_nonempty(key))
}

/// Setting `key` as a list of strings: what the host serves for a `list` setting (a JSON array
/// of strings), or comma-separated text. Empty when unset or blank.
pub fn get_list(key: &str) -> Result<Vec<String>, String> {
    list(key, get_nonempty(key))
}

/// The settings [`describe`](crate::Rule::describe) receives: the plugin's
/// `[plugins.NAME.config]` as configured, before the host checks it against the declarations
/// and fills in defaults. The same typed helpers as the functions of this module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    values: Vec<(String, String)>,
}

impl Settings {
    /// Settings from `(key, value)` pairs; a later pair wins over an earlier one.
    pub fn new(values: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            values: values.into_iter().collect(),
        }
    }

    /// The raw value of `key`; `None` when it is not set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The trimmed value of `key`; `None` when unset or blank.
    pub fn get_nonempty(&self, key: &str) -> Option<String> {
        nonempty(self.get(key).map(str::to_owned))
    }

    /// The trimmed value of `key`, or `default` when unset or blank.
    pub fn get_or(&self, key: &str, default: impl Into<String>) -> String {
        self.get_nonempty(key).unwrap_or_else(|| default.into())
    }

    /// The trimmed value of `key`, or an error naming the key when unset or blank.
    pub fn require(&self, key: &str) -> Result<String, String> {
        required(key, self.get_nonempty(key))
    }

    /// `key` as a boolean, like [`get_bool`].
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, String> {
        boolean(key, self.get_nonempty(key))
    }

    /// `key` as a boolean, or `default` when unset or blank.
    pub fn get_bool_or(&self, key: &str, default: bool) -> Result<bool, String> {
        Ok(self.get_bool(key)?.unwrap_or(default))
    }

    /// `key` parsed with [`FromStr`](core::str::FromStr), like [`get_parsed`].
    pub fn get_parsed<T>(&self, key: &str) -> Result<Option<T>, String>
    where
        T: core::str::FromStr,
        T::Err: core::fmt::Display,
    {
        parsed(key, self.get_nonempty(key))
    }

    /// `key` as a list of strings, like [`get_list`].
    pub fn get_list(&self, key: &str) -> Result<Vec<String>, String> {
        list(key, self.get_nonempty(key))
    }

    /// Every `(key, value)` pair, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn nonempty(value: Option<String>) -> Option<String> {
    let value = value?;
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn required(key: &str, value: Option<String>) -> Result<String, String> {
    value.ok_or_else(|| format!("setting `{key}` is required but not set"))
}

fn boolean(key: &str, value: Option<String>) -> Result<Option<bool>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(Some(true)),
        "false" | "no" | "off" | "0" => Ok(Some(false)),
        _ => Err(format!(
            "setting `{key}` must be true or false, not \"{value}\""
        )),
    }
}

fn parsed<T>(key: &str, value: Option<String>) -> Result<Option<T>, String>
where
    T: core::str::FromStr,
    T::Err: core::fmt::Display,
{
    match value {
        None => Ok(None),
        Some(value) => value
            .parse()
            .map(Some)
            .map_err(|e| format!("setting `{key}` has an unreadable value \"{value}\": {e}")),
    }
}

fn list(key: &str, value: Option<String>) -> Result<Vec<String>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    if value.starts_with('[') {
        return serde_json::from_str(&value).map_err(|_| {
            format!("setting `{key}` must be a JSON array of strings, not \"{value}\"")
        });
    }
    Ok(value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect())
}
