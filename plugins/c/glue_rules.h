// glue_rules.h: helpers for writing glue-rules rule plugins in C.
//
// A plugin implements the two functions of the `glue:rules/handler@0.2.0` export that
// wit-bindgen's C generator declares in bindings/rule.h (`exports_glue_rules_handler_describe`,
// `exports_glue_rules_handler_evaluate`) and is compiled to wasm32 with zig, then made a
// component with wasm-tools. This file is the C counterpart of the Rust guest SDK
// (guest-sdk/): the same setting rules, the same glob matcher, the same JSON text and the same
// action builders, so that a rule written with it decides byte for byte what the Rust rule
// decides.
//
// Memory: every string a plugin returns must come from malloc (the generated post-return code
// frees it); `gr_buf` and `gr_string` give you such strings. The `event` handed to `evaluate`
// belongs to the plugin: free it with `glue_rules_types_event_free` before returning, and the
// settings handed to `describe` with `rule_list_tuple2_string_string_free`.
#ifndef GLUE_RULES_H
#define GLUE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule.h"

// ------------------------------------------------------------------------------------------
// Strings
// ------------------------------------------------------------------------------------------

/// A growable UTF-8 buffer. Start it with `GR_BUF_INIT`; `gr_buf_take` hands its text over as
/// a `rule_string_t` (malloc'd, ready to return to the host).
typedef struct {
  uint8_t *ptr;
  size_t len;
  size_t cap;
} gr_buf;

#define GR_BUF_INIT {NULL, 0, 0}

/// Appends `len` bytes.
void gr_buf_push(gr_buf *buf, const uint8_t *bytes, size_t len);
/// Appends a NUL-terminated string.
void gr_buf_cstr(gr_buf *buf, const char *text);
/// Appends a WIT string.
void gr_buf_str(gr_buf *buf, const rule_string_t *text);
/// Appends `text` as a JSON string literal, quotes included, escaped as the Rust SDK does.
void gr_buf_json_string(gr_buf *buf, const uint8_t *text, size_t len);
/// The buffer's text as a WIT string; the buffer is left empty.
rule_string_t gr_buf_take(gr_buf *buf);

/// A malloc'd copy of a NUL-terminated string.
rule_string_t gr_string(const char *text);
/// A malloc'd copy of a WIT string.
rule_string_t gr_string_copy(const rule_string_t *text);
/// Whether a WIT string equals a NUL-terminated one.
bool gr_str_eq(const rule_string_t *text, const char *expected);
/// Whether a WIT string starts with a NUL-terminated one.
bool gr_str_starts_with(const rule_string_t *text, const char *prefix);
/// `text` without leading and trailing white space (Rust's `str::trim`), as a view into it.
rule_string_t gr_trim(rule_string_t text);

// ------------------------------------------------------------------------------------------
// Logging
// ------------------------------------------------------------------------------------------

/// Writes one line to the host's log (GLUE_RULES_TYPES_LOG_LEVEL_...).
void gr_log(glue_rules_types_log_level_t level, const char *message);
/// Writes one line built in a buffer, and empties the buffer.
void gr_log_buf(glue_rules_types_log_level_t level, gr_buf *message);

// ------------------------------------------------------------------------------------------
// Settings (`[plugins.NAME.config]`): trimmed, an empty value counts as unset
// ------------------------------------------------------------------------------------------

/// The trimmed value of `key` into `out` (malloc'd); false when unset, empty or blank.
bool gr_config_get(const char *key, rule_string_t *out);
/// The trimmed value of `key`, or a copy of `fallback`.
rule_string_t gr_config_get_or(const char *key, const char *fallback);
/// `key` as a boolean (true/false, yes/no, on/off, 1/0, any case), `fallback` when unset.
/// Returns false and sets `err` to a sentence naming the key when the value is unreadable.
bool gr_config_bool(const char *key, bool fallback, bool *out, rule_string_t *err);
/// `gr_config_get` over the settings `describe` receives (the configured pairs, without the
/// declared defaults).
bool gr_settings_get(const rule_list_tuple2_string_string_t *settings, const char *key,
                     rule_string_t *out);
/// `gr_config_bool` over the settings `describe` receives.
bool gr_settings_bool(const rule_list_tuple2_string_string_t *settings, const char *key,
                      bool fallback, bool *out, rule_string_t *err);

// ------------------------------------------------------------------------------------------
// Matching and spelling
// ------------------------------------------------------------------------------------------

/// Whether `text` matches `pattern` as a whole: `*` any run of characters, `?` one
/// character, case sensitive.
bool gr_glob(const rule_string_t *pattern, const rule_string_t *text);
/// A job state as Glue spells it (`SUCCEEDED`); an `other` state as Glue sent it.
rule_string_t gr_job_state_name(const glue_rules_types_job_state_t *state);
/// A severity as Glue spells it (`ERROR`); an `other` severity as Glue sent it.
rule_string_t gr_severity_name(const glue_rules_types_severity_t *severity);
/// The AWS partition of a region: "aws", "aws-cn" or "aws-us-gov".
const char *gr_partition(const rule_string_t *region);
/// Reads an invocation type setting (`event` / `request-response`, any case, `-`, `_` or
/// nothing between the words). False for anything else.
bool gr_parse_invocation_type(const rule_string_t *text, glue_rules_types_invocation_type_t *out);
/// The Lambda spelling of an invocation type: "Event" or "RequestResponse".
const char *gr_invocation_type_name(glue_rules_types_invocation_type_t type);

// ------------------------------------------------------------------------------------------
// Decisions and actions (every string argument is taken over: pass malloc'd strings)
// ------------------------------------------------------------------------------------------

/// Metadata with one pattern (taken over; `{NULL, 0}` for none) and no settings yet; copies
/// the other arguments.
void gr_metadata(glue_rules_types_metadata_t *ret, const char *name, const char *version,
                 const char *description, rule_string_t pattern);
/// Declares a setting the plugin reads (optional; `default_value` NULL for none); copies every
/// argument. The host checks the configuration against it at load. Returns the declaration,
/// to mark it `required`.
glue_rules_types_setting_t *gr_metadata_setting(glue_rules_types_metadata_t *ret,
                                                glue_rules_types_setting_kind_t kind,
                                                const char *name, const char *description,
                                                const char *default_value);
/// Appends the event-pattern value (JSON) that selects what the glob `glob` matches: the
/// string without wildcards, `{"prefix":...}` for one trailing `*`, `{"wildcard":...}`
/// otherwise. False (nothing appended) when it has a `?`, which patterns cannot express.
bool gr_buf_glob_pattern_value(gr_buf *buf, const rule_string_t *glob);
/// A decision that did not match, with `reason` (taken over).
void gr_no_match(glue_rules_types_decision_t *ret, rule_string_t reason);
/// A matched decision with one action and `reason` (both taken over).
void gr_matched(glue_rules_types_decision_t *ret, glue_rules_types_action_t action,
                rule_string_t reason);
/// A Lambda `Invoke` action.
glue_rules_types_action_t gr_lambda(rule_string_t function_name, rule_string_t payload,
                                    glue_rules_types_invocation_type_t invocation_type);
/// An SNS `Publish` action with no attributes. The subject is cleaned as SNS wants it
/// (control characters become spaces, at most 100 characters, dropped when empty).
glue_rules_types_action_t gr_sns(rule_string_t topic_arn, rule_string_t subject,
                                 rule_string_t message);
/// Adds a `String` attribute to an SNS action (skipped when `value` is empty).
void gr_sns_attribute(glue_rules_types_action_t *action, const char *name,
                      const rule_string_t *value);

#endif
