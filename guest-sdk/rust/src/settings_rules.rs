// How declared settings are checked and served, written once and compiled twice.
//
// The glue-rules host (`host/runtime/src/contract.rs`, at load and reload) and this SDK
// (`src/testing.rs`, for `testing::configure`) both `include!` this file, so that a rule's
// native tests refuse, default and normalise its settings with the host's very rules and
// messages. It lives in the SDK so that the crate builds from its package alone; the host reaches
// it by path and never depends on the SDK crate.
//
// The includer provides, in scope: `SettingKind` (variants `String`, `Bool`, `Number`, `List`;
// `Copy`), `BTreeMap`, and `serde_json`.

/// The most settings a plugin may declare.
pub const MAX_SETTINGS: usize = 256;

/// One declared setting, borrowed from either side's metadata type.
pub struct Declared<'a> {
    /// The key under `[plugins.NAME.config]`.
    pub name: &'a str,
    /// What its value is.
    pub kind: SettingKind,
    /// Whether the plugin cannot work without it.
    pub required: bool,
    /// What the plugin reads when it is not configured.
    pub default: Option<&'a str>,
    /// One sentence, quoted in the error for a missing required setting.
    pub description: &'a str,
}

/// A configured value that does not fit its declaration: the key, and what is wrong as the end
/// of a sentence that starts with `plugins.NAME.config.KEY`.
pub struct Refused {
    /// The setting.
    pub key: String,
    /// What is wrong.
    pub problem: String,
}

/// What a plugin's `host.config` serves, and the configured keys it does not declare (passed on
/// as they are; the host logs them).
pub struct Served {
    /// Every value the plugin reads, normalised to its kind.
    pub values: BTreeMap<String, String>,
    /// Configured keys that no declaration names.
    pub undeclared: Vec<String>,
}

/// `value` as the plugin reads a setting of `kind`, or what is wrong with it: `string` as it
/// is; `bool` as "true" or "false" (true/false, yes/no, on/off, 1/0 in any case); `number` as
/// configured, when it is a finite decimal number; `list` as a JSON array of strings, from
/// either such an array or comma-separated text.
pub fn normalise_setting(kind: SettingKind, value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    match kind {
        SettingKind::String => Ok(value.to_owned()),
        SettingKind::Bool => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".to_owned()),
            "false" | "no" | "off" | "0" => Ok("false".to_owned()),
            _ => Err(format!("must be true or false, not {value:?}")),
        },
        SettingKind::Number => match trimmed.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(trimmed.to_owned()),
            _ => Err(format!("must be a number, not {value:?}")),
        },
        SettingKind::List => {
            let items: Vec<String> = if trimmed.starts_with('[') {
                serde_json::from_str(trimmed).map_err(|_| {
                    format!(
                        "must be a list of strings (an array of strings, or comma-separated \
                         text), not {value:?}"
                    )
                })?
            } else {
                trimmed
                    .split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            Ok(serde_json::Value::from(items).to_string())
        }
    }
}

/// The kind's name, as in the WIT.
fn kind_name(kind: SettingKind) -> &'static str {
    match kind {
        SettingKind::String => "string",
        SettingKind::Bool => "bool",
        SettingKind::Number => "number",
        SettingKind::List => "list",
    }
}

/// Checks a plugin's declarations themselves: at most [`MAX_SETTINGS`], unique names of 1 to 128
/// characters without spaces, dots or control characters, and defaults of their kind.
pub fn check_declared(declared: &[Declared<'_>]) -> Result<(), String> {
    if declared.len() > MAX_SETTINGS {
        return Err(format!(
            "{} settings declared, over the limit of {MAX_SETTINGS}",
            declared.len()
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for setting in declared {
        let name = setting.name;
        if name.trim().is_empty()
            || name.len() > 128
            || name
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '.')
        {
            return Err(format!(
                "setting name {name:?} must be 1 to 128 characters with no spaces, dots or \
                 control characters"
            ));
        }
        if !seen.insert(name) {
            return Err(format!("setting {name:?} is declared twice"));
        }
        if let Some(default) = setting.default {
            normalise_setting(setting.kind, default).map_err(|problem| {
                format!(
                    "the default of setting {name:?} ({}) {problem}",
                    kind_name(setting.kind)
                )
            })?;
        }
    }
    Ok(())
}

/// Checks `configured` (a plugin's `[plugins.NAME.config]`) against `declared` and returns what
/// the plugin's `host.config` serves: configured values normalised to their kind, declared
/// defaults for the rest. A value that is empty or only whitespace counts as not configured.
/// A plugin that declares nothing (every 0.1 plugin) gets `configured` as it is.
pub fn serve_settings(
    declared: &[Declared<'_>],
    configured: &BTreeMap<String, String>,
) -> Result<Served, Refused> {
    if declared.is_empty() {
        return Ok(Served {
            values: configured.clone(),
            undeclared: Vec::new(),
        });
    }
    let refuse = |key: &str, problem: String| Refused {
        key: key.to_owned(),
        problem,
    };
    let mut values = BTreeMap::new();
    for setting in declared {
        let value = configured
            .get(setting.name)
            .filter(|value| !value.trim().is_empty());
        match (value, setting.default) {
            (Some(value), _) => {
                let value = normalise_setting(setting.kind, value)
                    .map_err(|problem| refuse(setting.name, problem))?;
                values.insert(setting.name.to_owned(), value);
            }
            (None, Some(default)) => {
                let value = normalise_setting(setting.kind, default)
                    .map_err(|problem| refuse(setting.name, format!("default {problem}")))?;
                values.insert(setting.name.to_owned(), value);
            }
            (None, None) if setting.required => {
                let what = if setting.description.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", setting.description.trim_end_matches('.'))
                };
                return Err(refuse(
                    setting.name,
                    format!("is required{what} but not set"),
                ));
            }
            (None, None) => {}
        }
    }
    let mut undeclared = Vec::new();
    for (key, value) in configured {
        if !declared.iter().any(|s| s.name == key) {
            undeclared.push(key.clone());
            values.insert(key.clone(), value.clone());
        }
    }
    Ok(Served { values, undeclared })
}
