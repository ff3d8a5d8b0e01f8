//! The host's log (`glue:rules/host.log`).
//!
//! Lines go to the host's own log, tagged with the plugin's name. The host caps how many lines
//! one evaluation may write, so log decisions, not every field. The macros
//! [`trace!`](crate::trace), [`debug!`](crate::debug), [`info!`](crate::info),
//! [`warn!`](crate::warn) and [`error!`](crate::error) take `format!` arguments.

use crate::types::LogLevel;

/// Writes `message` at `level`.
pub fn write(level: LogLevel, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::glue::rules::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::record_log(level, message);
}

/// Writes `message` at trace level (detail for debugging a plugin).
pub fn trace(message: impl AsRef<str>) {
    write(LogLevel::Trace, message.as_ref());
}

/// Writes `message` at debug level.
pub fn debug(message: impl AsRef<str>) {
    write(LogLevel::Debug, message.as_ref());
}

/// Writes `message` at info level (what the rule decided and why).
pub fn info(message: impl AsRef<str>) {
    write(LogLevel::Info, message.as_ref());
}

/// Writes `message` at warn level (something an operator should look at).
pub fn warn(message: impl AsRef<str>) {
    write(LogLevel::Warn, message.as_ref());
}

/// Writes `message` at error level.
pub fn error(message: impl AsRef<str>) {
    write(LogLevel::Error, message.as_ref());
}

/// Logs at trace level with `format!` arguments: `glue_rules_sdk::trace!("x = {x}")`.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => {
        $crate::log::write($crate::types::LogLevel::Trace, &::std::format!($($arg)+))
    };
}

/// Logs at debug level with `format!` arguments.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => {
        $crate::log::write($crate::types::LogLevel::Debug, &::std::format!($($arg)+))
    };
}

/// Logs at info level with `format!` arguments.
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => {
        $crate::log::write($crate::types::LogLevel::Info, &::std::format!($($arg)+))
    };
}

/// Logs at warn level with `format!` arguments.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => {
        $crate::log::write($crate::types::LogLevel::Warn, &::std::format!($($arg)+))
    };
}

/// Logs at error level with `format!` arguments.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => {
        $crate::log::write($crate::types::LogLevel::Error, &::std::format!($($arg)+))
    };
}
