//! The plugin's settings (`glue:rules/host.config`), from the host's `[plugins.NAME.config]`
//! table. Keys are the plugin's own; by convention they are kebab-case (`topic-arn`).
//!
//! The typed helpers treat a value that is empty or only whitespace as unset, and trim the
//! rest: a stray space in a configuration file should not change what a rule does. A value
//! that is set but cannot be read is an `Err` with a sentence naming the key, meant to be
//! returned from `evaluate` with `?` so the operator sees a plugin failure rather than a rule
//! that silently uses a default.

/// The raw value of setting `key`, exactly as configured; `None` when it is not set.
pub fn get(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::glue::rules::host::config(key);
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testing::lookup_config(key);
}

/// The trimmed value of `key`; `None` when it is unset, empty or only whitespace.
pub fn get_nonempty(key: &str) -> Option<String> {
    let value = get(key)?;
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The trimmed value of `key`, or `default` when it is unset or blank.
pub fn get_or(key: &str, default: impl Into<String>) -> String {
    get_nonempty(key).unwrap_or_else(|| default.into())
}

/// The trimmed value of `key`, or an error naming the key when it is unset or blank: for
/// settings without a sensible default.
pub fn require(key: &str) -> Result<String, String> {
    get_nonempty(key).ok_or_else(|| format!("setting `{key}` is required but not set"))
}

/// Setting `key` as a boolean: `true`/`false`, `yes`/`no`, `on`/`off` or `1`/`0`, in any case.
/// `Ok(None)` when unset or blank; `Err` for any other text.
pub fn get_bool(key: &str) -> Result<Option<bool>, String> {
    let Some(value) = get_nonempty(key) else {
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
    match get_nonempty(key) {
        None => Ok(None),
        Some(value) => value
            .parse()
            .map(Some)
            .map_err(|e| format!("setting `{key}` has an unreadable value \"{value}\": {e}")),
    }
}
