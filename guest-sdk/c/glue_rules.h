// glue_rules.h: the glue-rules C SDK, a single-header library (version GLUE_RULES_SDK_VERSION,
// for the contract GLUE_RULES_CONTRACT).
//
// A glue-rules plugin is a WebAssembly component implementing the `rule` world of
// `wit/rule.wit`. In C, wit-bindgen 0.63's C generator writes the bindings (`rule.h`, `rule.c`,
// shipped beside this header) and the plugin implements the two functions they declare,
// `exports_glue_rules_handler_describe` and `exports_glue_rules_handler_evaluate`. This header
// is the C counterpart of the Rust SDK (crate glue-rules-sdk): the same setting rules, the same
// glob matcher, the same JSON text, the same action builders and the same EventBridge input
// templates, so that a rule written with it decides byte for byte what the Rust rule decides.
//
// Use, stb style: every file includes this header for the declarations; exactly ONE file of
// the plugin defines GLUE_RULES_IMPLEMENTATION before including it, to compile the definitions:
//
//     #define GLUE_RULES_IMPLEMENTATION
//     #include "glue_rules.h"
//
// and the build compiles that file with the bindings' `rule.c` (`-I` the header's and the
// bindings' directories; `python -m glue_rules_sdk_c --include-dir` and `--bindings-dir` print
// them when the SDK came from the `glue-rules-sdk-c` wheel).
//
// Memory: every string a plugin returns must come from malloc (the generated post-return code
// frees it); `gr_buf` and `gr_string` give you such strings, and the `gr_*` builders take over
// the `rule_string_t` values passed to them by value. The `event` handed to `evaluate` belongs
// to the plugin: free it with `glue_rules_types_event_free` before returning, and the settings
// handed to `describe` with `rule_list_tuple2_string_string_free`.
//
// Errors: functions that can fail on their input return false and set a malloc'd sentence in
// `err` (ready to be returned as `evaluate`'s or `describe`'s error). Only running out of memory
// in the infallible helpers (`gr_buf_push` and the builders) aborts, as the generated bindings'
// own allocator does.
#ifndef GLUE_RULES_H
#define GLUE_RULES_H

/// The SDK's version: the contract's (glue:rules@0.2.0), since 0.2.x targets 0.2.0.
#define GLUE_RULES_SDK_VERSION "0.2.0"
#define GLUE_RULES_SDK_VERSION_MAJOR 0
#define GLUE_RULES_SDK_VERSION_MINOR 2
#define GLUE_RULES_SDK_VERSION_PATCH 0
/// The WIT package this SDK and the bindings shipped with it implement.
#define GLUE_RULES_CONTRACT "glue:rules@0.2.0"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule.h"

#ifdef __cplusplus
extern "C" {
#endif

// Limits, overridable by defining them before the implementation is compiled.

/// Deepest nesting of arrays and objects the JSON reader accepts (serde_json's limit too).
#ifndef GR_JSON_MAX_DEPTH
#define GR_JSON_MAX_DEPTH 128
#endif
/// Most variables one input template may have (EventBridge's limit for an InputPathsMap).
#ifndef GR_TEMPLATE_MAX_VARIABLES
#define GR_TEMPLATE_MAX_VARIABLES 100
#endif
/// Most bytes one rendered template may hold: more than any action can carry (SNS and SQS take
/// 256 KiB), so a template that repeats the whole event fails instead of growing without end.
#ifndef GR_TEMPLATE_MAX_OUTPUT
#define GR_TEMPLATE_MAX_OUTPUT (1024u * 1024u)
#endif

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

/// Appends `len` bytes; false (the buffer unchanged) when memory runs out.
bool gr_buf_try_push(gr_buf *buf, const uint8_t *bytes, size_t len);
/// Appends `len` bytes (aborts when memory runs out).
void gr_buf_push(gr_buf *buf, const uint8_t *bytes, size_t len);
/// Appends a NUL-terminated string.
void gr_buf_cstr(gr_buf *buf, const char *text);
/// Appends a WIT string.
void gr_buf_str(gr_buf *buf, const rule_string_t *text);
/// Appends `text` as a JSON string literal, quotes included, escaped as the Rust SDK's
/// `json::write_string` does (`\"`, `\\`, `\n`, `\r`, `\t`, other control characters as
/// `\u00XX`).
void gr_buf_json_string(gr_buf *buf, const uint8_t *text, size_t len);
/// The buffer's text as a WIT string; the buffer is left empty.
rule_string_t gr_buf_take(gr_buf *buf);
/// Frees the buffer's text.
void gr_buf_free(gr_buf *buf);

/// A malloc'd copy of a NUL-terminated string.
rule_string_t gr_string(const char *text);
/// A malloc'd copy of `len` bytes.
rule_string_t gr_string_n(const uint8_t *bytes, size_t len);
/// A malloc'd copy of a WIT string.
rule_string_t gr_string_copy(const rule_string_t *text);
/// Whether a WIT string equals a NUL-terminated one.
bool gr_str_eq(const rule_string_t *text, const char *expected);
/// Whether a WIT string starts with a NUL-terminated one.
bool gr_str_starts_with(const rule_string_t *text, const char *prefix);
/// Whether a WIT string contains a NUL-terminated one.
bool gr_str_contains(const rule_string_t *text, const char *needle);
/// `text` without leading and trailing white space (Rust's `str::trim`), as a view into it.
rule_string_t gr_trim(rule_string_t text);
/// `text` cut to at most `max_chars` characters, never inside a character, as a view into it.
rule_string_t gr_truncate_chars(rule_string_t text, size_t max_chars);
/// Appends `value` (taken over) to a list of strings (aborts when memory runs out).
void gr_string_list_push(rule_list_string_t *list, rule_string_t value);

// ------------------------------------------------------------------------------------------
// Logging and the event's JSON
// ------------------------------------------------------------------------------------------

/// Writes one line to the host's log (GLUE_RULES_TYPES_LOG_LEVEL_...).
void gr_log(glue_rules_types_log_level_t level, const char *message);
/// Writes one line built in a buffer, and empties the buffer.
void gr_log_buf(glue_rules_types_log_level_t level, gr_buf *message);
/// A log level's name: "trace", "debug", "info", "warn" or "error".
const char *gr_log_level_name(glue_rules_types_log_level_t level);
/// The `detail` of the event being evaluated, as compact JSON text (malloc'd; "{}" outside
/// `evaluate`): for the fields the typed view lacks. The host copies it on every call.
rule_string_t gr_detail_json(void);
/// The whole envelope of the event being evaluated, as compact JSON text (malloc'd; "{}"
/// outside `evaluate`), for input templates.
rule_string_t gr_event_json(void);

// ------------------------------------------------------------------------------------------
// Settings (`[plugins.NAME.config]`): trimmed, an empty or blank value counts as unset
// ------------------------------------------------------------------------------------------
//
// `gr_config_*` read the settings the host serves during `evaluate` (declared defaults filled
// in, booleans as true/false, lists as JSON arrays); `gr_settings_*` read the pairs `describe`
// receives (as configured, without the defaults). A value that is set but unreadable is an
// error naming the key, with the Rust SDK's sentences.

/// The trimmed value of `key` into `out` (malloc'd); false when unset, empty or blank.
bool gr_config_get(const char *key, rule_string_t *out);
/// The trimmed value of `key`, or a copy of `fallback`.
rule_string_t gr_config_get_or(const char *key, const char *fallback);
/// The trimmed value of `key` into `out`; false with "setting `KEY` is required but not set".
bool gr_config_require(const char *key, rule_string_t *out, rule_string_t *err);
/// `key` as a boolean (true/false, yes/no, on/off, 1/0, any case), `fallback` when unset.
/// Returns false and sets `err` to a sentence naming the key when the value is unreadable.
bool gr_config_bool(const char *key, bool fallback, bool *out, rule_string_t *err);
/// `key` as a number (Rust's `f64` syntax: `12`, `-0.5`, `1e3`, `inf`), `fallback` when unset.
bool gr_config_number(const char *key, double fallback, double *out, rule_string_t *err);
/// `key` as a list of strings: a JSON array of strings (what the host serves for a `list`
/// setting) or comma-separated text. `out` is empty when unset; free it with
/// `rule_list_string_free`.
bool gr_config_list(const char *key, rule_list_string_t *out, rule_string_t *err);
/// `gr_config_get` over the settings `describe` receives; a later pair wins.
bool gr_settings_get(const rule_list_tuple2_string_string_t *settings, const char *key,
                     rule_string_t *out);
/// `gr_config_require` over the settings `describe` receives.
bool gr_settings_require(const rule_list_tuple2_string_string_t *settings, const char *key,
                         rule_string_t *out, rule_string_t *err);
/// `gr_config_bool` over the settings `describe` receives.
bool gr_settings_bool(const rule_list_tuple2_string_string_t *settings, const char *key,
                      bool fallback, bool *out, rule_string_t *err);
/// `gr_config_number` over the settings `describe` receives.
bool gr_settings_number(const rule_list_tuple2_string_string_t *settings, const char *key,
                        double fallback, double *out, rule_string_t *err);
/// `gr_config_list` over the settings `describe` receives.
bool gr_settings_list(const rule_list_tuple2_string_string_t *settings, const char *key,
                      rule_list_string_t *out, rule_string_t *err);

// ------------------------------------------------------------------------------------------
// Matching and spelling
// ------------------------------------------------------------------------------------------

/// Whether `text` matches `pattern` as a whole: `*` any run of characters, `?` one
/// character, case sensitive; time proportional to the product of the lengths at worst.
bool gr_glob(const rule_string_t *pattern, const rule_string_t *text);
/// A job state as Glue spells it (`SUCCEEDED`); an `other` state as Glue sent it. A view.
rule_string_t gr_job_state_name(const glue_rules_types_job_state_t *state);
/// A severity as Glue spells it (`ERROR`); an `other` severity as Glue sent it. A view.
rule_string_t gr_severity_name(const glue_rules_types_severity_t *severity);
/// A crawler state as Glue spells it (`Succeeded`); an `other` state as Glue sent it. A view.
rule_string_t gr_crawler_state_name(const glue_rules_types_crawler_state_t *state);
/// The AWS partition of a region: "aws", "aws-cn" or "aws-us-gov".
const char *gr_partition(const rule_string_t *region);
/// Reads an invocation type setting (`event` / `request-response`, any case, `-`, `_` or
/// nothing between the words). False for anything else.
bool gr_parse_invocation_type(const rule_string_t *text, glue_rules_types_invocation_type_t *out);
/// The Lambda spelling of an invocation type: "Event" or "RequestResponse".
const char *gr_invocation_type_name(glue_rules_types_invocation_type_t type);

// ------------------------------------------------------------------------------------------
// Metadata and decisions (every rule_string_t argument is taken over: pass malloc'd strings)
// ------------------------------------------------------------------------------------------

/// Metadata with one pattern (taken over; `{NULL, 0}` for none) and no settings yet; copies
/// the other arguments.
void gr_metadata(glue_rules_types_metadata_t *ret, const char *name, const char *version,
                 const char *description, rule_string_t pattern);
/// Adds one more event pattern (JSON text, taken over).
void gr_metadata_pattern(glue_rules_types_metadata_t *ret, rule_string_t pattern);
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
/// Adds one more action (taken over) to a decision, after the ones it has.
void gr_decision_add_action(glue_rules_types_decision_t *ret, glue_rules_types_action_t action);

// ------------------------------------------------------------------------------------------
// Actions: one builder per AWS call, then setters for the optional fields
// ------------------------------------------------------------------------------------------

/// A Lambda `Invoke` of `function_name` (a name, `name:alias` or an ARN) with `payload` (a JSON
/// document).
glue_rules_types_action_t gr_lambda(rule_string_t function_name, rule_string_t payload,
                                    glue_rules_types_invocation_type_t invocation_type);
/// An SNS `Publish` with no attributes. The subject is cleaned as SNS wants it (control
/// characters become spaces, trimmed, at most 100 characters, dropped when empty): SNS
/// rejects the whole message for a bad subject.
glue_rules_types_action_t gr_sns(rule_string_t topic_arn, rule_string_t subject,
                                 rule_string_t message);
/// Adds a `String` attribute to an SNS action (skipped when `value` is empty: SNS rejects
/// empty attribute values); copies `value`.
void gr_sns_attribute(glue_rules_types_action_t *action, const char *name,
                      const rule_string_t *value);
/// Adds an attribute with an explicit SNS `DataType` ("String", "String.Array", "Number",
/// "Binary"); skipped when `value` is empty; copies every argument.
void gr_sns_typed_attribute(glue_rules_types_action_t *action, const char *name,
                            const char *data_type, const rule_string_t *value);
/// An SQS `SendMessage` of `body` to `queue_url`.
glue_rules_types_action_t gr_sqs(rule_string_t queue_url, rule_string_t body);
/// Delays an SQS message by `seconds` (SQS accepts 0 to 900).
void gr_sqs_delay_seconds(glue_rules_types_action_t *action, uint32_t seconds);
/// Sets an SQS message's group (required for FIFO queues); taken over.
void gr_sqs_message_group_id(glue_rules_types_action_t *action, rule_string_t group);
/// Sets an SQS message's deduplication id (FIFO queues without content-based
/// deduplication); the event's `id` is a good choice, EventBridge keeps it on a re-send.
void gr_sqs_message_deduplication_id(glue_rules_types_action_t *action, rule_string_t id);
/// A Kinesis `PutRecord` of `data` to `stream` (a name, or an ARN starting with `arn:`).
glue_rules_types_action_t gr_kinesis(rule_string_t stream, rule_string_t partition_key,
                                     rule_string_t data);
/// A Step Functions `StartExecution` of `state_machine_arn` with `input` (a JSON document),
/// unnamed (Step Functions then generates a name).
glue_rules_types_action_t gr_step_functions(rule_string_t state_machine_arn, rule_string_t input);
/// Names a Step Functions execution: a name derived from the event id starts nothing twice
/// for a re-sent event (Step Functions refuses a repeated name for 90 days).
void gr_step_functions_name(glue_rules_types_action_t *action, rule_string_t name);
/// An SSM `SendCommand` (EC2 Run Command) of `document_name` (e.g. "AWS-RunShellScript"),
/// with no target yet.
glue_rules_types_action_t gr_ssm(rule_string_t document_name);
/// Adds an instance id to an SSM command (`InstanceIds`), replacing `Targets` set earlier.
void gr_ssm_instance_id(glue_rules_types_action_t *action, rule_string_t instance_id);
/// Adds a `Targets` entry with key `key` (e.g. "tag:Role"), replacing instance ids set
/// earlier; add its values with `gr_string_list_push(&target->values, ...)`.
glue_rules_types_target_t *gr_ssm_target(glue_rules_types_action_t *action, rule_string_t key);
/// Adds a document parameter `name`; add its values with
/// `gr_string_list_push(&parameter->values, ...)`.
glue_rules_types_command_parameter_t *gr_ssm_parameter(glue_rules_types_action_t *action,
                                                       rule_string_t name);
/// Sets an SSM command's comment, cut to the 100 characters SSM allows.
void gr_ssm_comment(glue_rules_types_action_t *action, rule_string_t comment);

// ------------------------------------------------------------------------------------------
// JSON reading: a bounded, validating reader over JSON text (no tree is built)
// ------------------------------------------------------------------------------------------
//
// `gr_json_parse` checks a whole text once (RFC 8259, UTF-8, nesting at most GR_JSON_MAX_DEPTH,
// no recursion); the accessors then walk the text in place. They stay safe (they return false)
// on text that was not checked, but only checked text is meant for them.

/// The kind of a JSON value.
typedef enum {
  GR_JSON_NULL,
  GR_JSON_FALSE,
  GR_JSON_TRUE,
  GR_JSON_NUMBER,
  GR_JSON_STRING,
  GR_JSON_ARRAY,
  GR_JSON_OBJECT,
} gr_json_kind;

/// The text of one JSON value, without surrounding white space: a view, nothing is copied.
typedef struct {
  const uint8_t *ptr;
  size_t len;
} gr_json;

/// Where an iteration over an array's elements or an object's members is.
typedef struct {
  const uint8_t *at;
  const uint8_t *end;
  bool object;
} gr_json_iter;

/// Checks that `text` is one JSON value and makes `out` a view of it; false with a sentence
/// like serde_json's ("expected value at line 1 column 5") in `err`.
bool gr_json_parse(const uint8_t *text, size_t len, gr_json *out, rule_string_t *err);
/// The kind of a value.
gr_json_kind gr_json_type(gr_json value);
/// The member `key` of an object (the last one, when a key is repeated); false when `object`
/// is no object or lacks it.
bool gr_json_get(gr_json object, const char *key, gr_json *out);
/// `gr_json_get` with a key of `key_len` bytes.
bool gr_json_get_n(gr_json object, const uint8_t *key, size_t key_len, gr_json *out);
/// Element `index` of an array; false when `array` is no array or is shorter.
bool gr_json_at(gr_json array, size_t index, gr_json *out);
/// Starts an iteration over an array's elements or an object's members (none for any other
/// value).
gr_json_iter gr_json_iterate(gr_json container);
/// The next element (`key` untouched) or member (`key` set to the key's string value, when
/// not NULL); false at the end.
bool gr_json_next(gr_json_iter *it, gr_json *key, gr_json *value);
/// Appends a string value's contents, unescaped; false when `value` is no string.
bool gr_json_string(gr_json value, gr_buf *out);
/// Whether a string value's contents equal `len` bytes of `text`.
bool gr_json_string_eq(gr_json value, const uint8_t *text, size_t len);
/// Appends a value as compact JSON, strings escaped as serde_json escapes them, members in
/// their order; numbers as written (the host's event JSON is already compact serde_json text,
/// for which this is an identity).
void gr_json_write(gr_buf *out, gr_json value);
/// Appends `len` bytes of UTF-8 text escaped for the inside of a JSON string, as serde_json
/// escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx`),
/// without quotes.
void gr_json_escape(gr_buf *out, const uint8_t *text, size_t len);

// ------------------------------------------------------------------------------------------
// Templates: EventBridge input transformers (InputPathsMap + InputTemplate)
// ------------------------------------------------------------------------------------------
//
// The Rust SDK's `template` module, in C: an input path map of names to JSON paths into the
// event (`$.detail.jobName`, `$.resources[0]`) and a template with `<name>` placeholders, as
// EventBridge users write them for a rule's target. Where a placeholder stands decides how its
// value is written, as EventBridge does it:
//
// - in a JSON template (one that starts, after white space, with `{`, `[` or `"`), a
//   placeholder inside a JSON string gets the value's text escaped for that string (a string's
//   contents; any other value as compact JSON), and one outside strings gets the value as JSON
//   (a string with its quotes);
// - in any other template (plain text), the value's text is written as it is.
//
// Predefined variables: `aws.events.event.json` (the whole event) and `aws.events.event` (the
// event without `detail`), both only as JSON values outside quotes; `aws.events.rule-name`,
// `aws.events.rule-arn` and `aws.events.event.ingestion-time` from `gr_predefined`. A
// placeholder that is neither a variable nor predefined stays as written; a path that selects
// nothing gives `null` outside strings and nothing inside them or in plain text.
//
//     static const gr_input_path PATHS[] = {{"job", "$.detail.jobName"},
//                                            {"state", "$.detail.state"}};
//     rule_string_t text;
//     if (!gr_render_event("Glue job <job> ended in state <state>.", PATHS, 2, NULL, &text, err))
//       return false;

/// One `InputPathsMap` entry: a variable name and its JSON path (`$`, `$.a.b-c`, `$.a[0].b`).
typedef struct {
  const char *name;
  const char *path;
} gr_input_path;

/// The predefined variables that do not come from the event; NULL fields are empty, and a NULL
/// `ingestion_time` is the event's `time`.
typedef struct {
  /// `aws.events.rule-name`: in glue-rules, the plugin's name is the natural choice.
  const char *rule_name;
  /// `aws.events.rule-arn`.
  const char *rule_arn;
  /// `aws.events.event.ingestion-time`, ISO 8601.
  const char *ingestion_time;
} gr_predefined;

/// Renders `tmpl` with `paths` (`count` of them) over the event JSON `event`, appending to
/// `out`. False (nothing appended) with a sentence naming the variable, the path or the
/// placeholder that cannot be used, as the Rust SDK words it. `predefined` may be NULL.
bool gr_buf_render(gr_buf *out, const char *tmpl, const gr_input_path *paths, size_t count,
                   gr_json event, const gr_predefined *predefined, rule_string_t *err);
/// `gr_buf_render` over event JSON text (checked first: "the event's JSON: ..." when it is
/// not JSON), into a malloc'd string.
bool gr_render(const char *tmpl, const gr_input_path *paths, size_t count,
               const uint8_t *event_json, size_t event_len, const gr_predefined *predefined,
               rule_string_t *out, rule_string_t *err);
/// `gr_render` over the event being evaluated (`host.event-json`): what a rule calls in
/// `evaluate` to build a message or a payload from a template. For several templates over one
/// event, read `gr_event_json` once and call `gr_render`.
bool gr_render_event(const char *tmpl, const gr_input_path *paths, size_t count,
                     const gr_predefined *predefined, rule_string_t *out, rule_string_t *err);

#ifdef __cplusplus
}
#endif

#endif  // GLUE_RULES_H

// ==========================================================================================
// Implementation: compiled in the one file that defines GLUE_RULES_IMPLEMENTATION.
// ==========================================================================================
#if defined(GLUE_RULES_IMPLEMENTATION) && !defined(GLUE_RULES_IMPLEMENTATION_DONE)
#define GLUE_RULES_IMPLEMENTATION_DONE

#include <stdlib.h>
#include <string.h>

// ------------------------------------------------------------------------------------------
// UTF-8 and Rust's notion of white space and control characters
// ------------------------------------------------------------------------------------------

// Decodes the code point at `p` (the host only sends valid UTF-8) and returns its length.
static size_t gr__utf8_decode(const uint8_t *p, size_t len, uint32_t *cp) {
  uint8_t b = p[0];
  if (b < 0x80 || len < 2) {
    *cp = b;
    return 1;
  }
  if ((b & 0xE0) == 0xC0) {
    *cp = ((uint32_t)(b & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if ((b & 0xF0) == 0xE0 && len >= 3) {
    *cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  if (len >= 4) {
    *cp = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
          ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    return 4;
  }
  *cp = b;
  return 1;
}

// Writes `cp` as UTF-8 into `out` (4 bytes room) and returns its length.
static size_t gr__utf8_encode(uint32_t cp, uint8_t *out) {
  if (cp < 0x80) {
    out[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (uint8_t)(0xC0 | (cp >> 6));
    out[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (uint8_t)(0xE0 | (cp >> 12));
    out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (uint8_t)(0xF0 | (cp >> 18));
  out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

// Rust's `char::is_whitespace` (the Unicode White_Space property).
static bool gr__is_whitespace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Rust's `char::is_control` (general category Cc).
static bool gr__is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// The start of the code point that ends at `end` (exclusive).
static size_t gr__utf8_back(const uint8_t *p, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (p[i] & 0xC0) == 0x80) i--;
  return i;
}

static rule_string_t gr__trim_end(rule_string_t text) {
  while (text.len > 0) {
    size_t start = gr__utf8_back(text.ptr, text.len);
    uint32_t cp;
    gr__utf8_decode(text.ptr + start, text.len - start, &cp);
    if (!gr__is_whitespace(cp)) break;
    text.len = start;
  }
  return text;
}

rule_string_t gr_trim(rule_string_t text) {
  while (text.len > 0) {
    uint32_t cp;
    size_t n = gr__utf8_decode(text.ptr, text.len, &cp);
    if (!gr__is_whitespace(cp)) break;
    text.ptr += n;
    text.len -= n;
  }
  return gr__trim_end(text);
}

rule_string_t gr_truncate_chars(rule_string_t text, size_t max_chars) {
  size_t chars = 0, end = 0;
  while (end < text.len && chars < max_chars) {
    uint32_t cp;
    end += gr__utf8_decode(text.ptr + end, text.len - end, &cp);
    chars++;
  }
  text.len = end;
  return text;
}

// ------------------------------------------------------------------------------------------
// Strings
// ------------------------------------------------------------------------------------------

bool gr_buf_try_push(gr_buf *buf, const uint8_t *bytes, size_t len) {
  if (len == 0) return true;
  if (len > SIZE_MAX - buf->len) return false;
  if (buf->len + len > buf->cap) {
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < buf->len + len) {
      if (cap > SIZE_MAX / 2) {
        cap = buf->len + len;
        break;
      }
      cap *= 2;
    }
    uint8_t *grown = (uint8_t *)realloc(buf->ptr, cap);
    if (!grown) return false;
    buf->ptr = grown;
    buf->cap = cap;
  }
  memcpy(buf->ptr + buf->len, bytes, len);
  buf->len += len;
  return true;
}

void gr_buf_push(gr_buf *buf, const uint8_t *bytes, size_t len) {
  if (!gr_buf_try_push(buf, bytes, len)) abort();
}

void gr_buf_cstr(gr_buf *buf, const char *text) {
  gr_buf_push(buf, (const uint8_t *)text, strlen(text));
}

void gr_buf_str(gr_buf *buf, const rule_string_t *text) { gr_buf_push(buf, text->ptr, text->len); }

void gr_buf_json_string(gr_buf *buf, const uint8_t *text, size_t len) {
  static const char hex[] = "0123456789abcdef";
  gr_buf_cstr(buf, "\"");
  for (size_t i = 0; i < len; i++) {
    uint8_t c = text[i];
    switch (c) {
      case '"': gr_buf_cstr(buf, "\\\""); break;
      case '\\': gr_buf_cstr(buf, "\\\\"); break;
      case '\n': gr_buf_cstr(buf, "\\n"); break;
      case '\r': gr_buf_cstr(buf, "\\r"); break;
      case '\t': gr_buf_cstr(buf, "\\t"); break;
      default:
        if (c < 0x20) {
          char escaped[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF], 0};
          gr_buf_cstr(buf, escaped);
        } else {
          gr_buf_push(buf, &c, 1);
        }
    }
  }
  gr_buf_cstr(buf, "\"");
}

rule_string_t gr_buf_take(gr_buf *buf) {
  rule_string_t out = {buf->ptr, buf->len};
  if (buf->len == 0) {
    free(buf->ptr);
    out.ptr = NULL;
  }
  buf->ptr = NULL;
  buf->len = buf->cap = 0;
  return out;
}

void gr_buf_free(gr_buf *buf) {
  free(buf->ptr);
  buf->ptr = NULL;
  buf->len = buf->cap = 0;
}

// Appends `n` in base `base` (10 or 16, lower case), without printf and its weight.
static void gr__buf_number(gr_buf *buf, uint64_t n, unsigned base) {
  char digits[24];
  size_t i = sizeof digits;
  do {
    digits[--i] = "0123456789abcdef"[n % base];
    n /= base;
  } while (n > 0);
  gr_buf_push(buf, (const uint8_t *)digits + i, sizeof digits - i);
}

rule_string_t gr_string_n(const uint8_t *bytes, size_t len) {
  rule_string_t out = {NULL, len};
  if (len > 0) {
    out.ptr = (uint8_t *)malloc(len);
    if (!out.ptr) abort();
    memcpy(out.ptr, bytes, len);
  }
  return out;
}

rule_string_t gr_string(const char *text) {
  return gr_string_n((const uint8_t *)text, strlen(text));
}

rule_string_t gr_string_copy(const rule_string_t *text) { return gr_string_n(text->ptr, text->len); }

bool gr_str_eq(const rule_string_t *text, const char *expected) {
  size_t n = strlen(expected);
  return text->len == n && (n == 0 || memcmp(text->ptr, expected, n) == 0);
}

bool gr_str_starts_with(const rule_string_t *text, const char *prefix) {
  size_t n = strlen(prefix);
  return text->len >= n && (n == 0 || memcmp(text->ptr, prefix, n) == 0);
}

bool gr_str_contains(const rule_string_t *text, const char *needle) {
  size_t n = strlen(needle);
  if (n == 0) return true;
  for (size_t i = 0; i + n <= text->len; i++) {
    if (memcmp(text->ptr + i, needle, n) == 0) return true;
  }
  return false;
}

// Grows a list of `size`-byte items by one and returns the new item (aborts without memory).
static void *gr__list_grow(void **ptr, size_t *len, size_t size) {
  void *grown = realloc(*ptr, (*len + 1) * size);
  if (!grown) abort();
  *ptr = grown;
  return (uint8_t *)grown + (*len)++ * size;
}

void gr_string_list_push(rule_list_string_t *list, rule_string_t value) {
  rule_string_t *item =
      (rule_string_t *)gr__list_grow((void **)&list->ptr, &list->len, sizeof(rule_string_t));
  *item = value;
}

// ------------------------------------------------------------------------------------------
// Logging and the event's JSON
// ------------------------------------------------------------------------------------------

void gr_log(glue_rules_types_log_level_t level, const char *message) {
  rule_string_t text = {(uint8_t *)message, strlen(message)};
  glue_rules_host_log(level, &text);
}

void gr_log_buf(glue_rules_types_log_level_t level, gr_buf *message) {
  rule_string_t text = {message->ptr, message->len};
  glue_rules_host_log(level, &text);
  gr_buf_free(message);
}

const char *gr_log_level_name(glue_rules_types_log_level_t level) {
  static const char *const names[] = {"trace", "debug", "info", "warn", "error"};
  return level < 5 ? names[level] : "error";
}

rule_string_t gr_detail_json(void) {
  rule_string_t out;
  glue_rules_host_detail_json(&out);
  return out;
}

rule_string_t gr_event_json(void) {
  rule_string_t out;
  glue_rules_host_event_json(&out);
  return out;
}

// ------------------------------------------------------------------------------------------
// Settings
// ------------------------------------------------------------------------------------------

// The trimmed copy of `value` into `out` (malloc'd); false when empty or blank.
static bool gr__trimmed_copy(const rule_string_t *value, rule_string_t *out) {
  rule_string_t trimmed = gr_trim(*value);
  if (trimmed.len == 0) return false;
  *out = gr_string_n(trimmed.ptr, trimmed.len);
  return true;
}

bool gr_config_get(const char *key, rule_string_t *out) {
  rule_string_t name = {(uint8_t *)key, strlen(key)};
  rule_string_t value;
  if (!glue_rules_host_config(&name, &value)) return false;
  bool set = gr__trimmed_copy(&value, out);
  rule_string_free(&value);
  return set;
}

rule_string_t gr_config_get_or(const char *key, const char *fallback) {
  rule_string_t value;
  return gr_config_get(key, &value) ? value : gr_string(fallback);
}

// "setting `KEY` <middle>\"VALUE\"<tail>" into `err`.
static void gr__setting_error(const char *key, const char *middle, const rule_string_t *value,
                              const char *tail, rule_string_t *err) {
  gr_buf text = GR_BUF_INIT;
  gr_buf_cstr(&text, "setting `");
  gr_buf_cstr(&text, key);
  gr_buf_cstr(&text, "` ");
  gr_buf_cstr(&text, middle);
  if (value) {
    gr_buf_cstr(&text, "\"");
    gr_buf_str(&text, value);
    gr_buf_cstr(&text, "\"");
  }
  gr_buf_cstr(&text, tail);
  *err = gr_buf_take(&text);
}

// `has` (whether the value was set) of `key` into `out`, or the required sentence.
static bool gr__require(const char *key, bool has, rule_string_t *err) {
  if (!has) gr__setting_error(key, "is required but not set", NULL, "", err);
  return has;
}

// `value` (set, trimmed, taken over) of `key` as a boolean, or a sentence in `err`.
static bool gr__parse_bool(const char *key, rule_string_t value, bool *out, rule_string_t *err) {
  static const char *const yes[] = {"true", "yes", "on", "1"};
  static const char *const no[] = {"false", "no", "off", "0"};
  char folded[8] = {0};
  bool known = false;
  if (value.len < sizeof folded) {
    for (size_t i = 0; i < value.len; i++) {
      uint8_t c = value.ptr[i];
      folded[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    for (size_t i = 0; i < 4 && !known; i++) {
      if (strcmp(folded, yes[i]) == 0) *out = known = true;
      else if (strcmp(folded, no[i]) == 0) {
        *out = false;
        known = true;
      }
    }
  }
  if (!known) gr__setting_error(key, "must be true or false, not ", &value, "", err);
  rule_string_free(&value);
  return known;
}

// Whether `text` is a float literal Rust's `f64::from_str` reads: [+-] then digits with an
// optional fraction and exponent, or inf / infinity / nan in any case.
static bool gr__is_float_literal(const rule_string_t *text) {
  size_t i = 0, n = text->len;
  const uint8_t *p = text->ptr;
  if (i < n && (p[i] == '+' || p[i] == '-')) i++;
  static const char *const words[] = {"inf", "infinity", "nan"};
  for (size_t w = 0; w < 3; w++) {
    size_t len = strlen(words[w]);
    if (n - i != len) continue;
    size_t k = 0;
    while (k < len && (p[i + k] | 0x20) == words[w][k]) k++;
    if (k == len) return true;
  }
  size_t digits = 0;
  while (i < n && p[i] >= '0' && p[i] <= '9') i++, digits++;
  if (i < n && p[i] == '.') {
    i++;
    while (i < n && p[i] >= '0' && p[i] <= '9') i++, digits++;
  }
  if (digits == 0) return false;
  if (i < n && (p[i] == 'e' || p[i] == 'E')) {
    i++;
    if (i < n && (p[i] == '+' || p[i] == '-')) i++;
    size_t exponent = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9') i++, exponent++;
    if (exponent == 0) return false;
  }
  return i == n;
}

// `value` (set, trimmed, taken over) of `key` as a number, or a sentence in `err`.
static bool gr__parse_number(const char *key, rule_string_t value, double *out,
                             rule_string_t *err) {
  bool ok = gr__is_float_literal(&value);
  if (ok) {
    char *text = (char *)malloc(value.len + 1);
    if (!text) abort();
    memcpy(text, value.ptr, value.len);
    text[value.len] = 0;
    *out = strtod(text, NULL);
    free(text);
  } else {
    gr__setting_error(key, "has an unreadable value ", &value, ": invalid float literal", err);
  }
  rule_string_free(&value);
  return ok;
}

// `value` (set, trimmed, taken over) of `key` as a list of strings, or a sentence in `err`.
static bool gr__parse_list(const char *key, rule_string_t value, rule_list_string_t *out,
                           rule_string_t *err) {
  out->ptr = NULL;
  out->len = 0;
  bool ok = true;
  if (value.len > 0 && value.ptr[0] == '[') {
    gr_json array, item;
    rule_string_t ignored;
    if (!gr_json_parse(value.ptr, value.len, &array, &ignored)) {
      rule_string_free(&ignored);
      ok = false;
    } else {
      gr_json_iter it = gr_json_iterate(array);
      while (ok && gr_json_next(&it, NULL, &item)) {
        gr_buf text = GR_BUF_INIT;
        ok = gr_json_string(item, &text);
        if (ok) gr_string_list_push(out, gr_buf_take(&text));
      }
    }
    if (!ok) {
      rule_list_string_free(out);
      gr__setting_error(key, "must be a JSON array of strings, not ", &value, "", err);
    }
  } else {
    size_t start = 0;
    for (size_t i = 0; i <= value.len; i++) {
      if (i < value.len && value.ptr[i] != ',') continue;
      rule_string_t item = {value.ptr + start, i - start};
      item = gr_trim(item);
      if (item.len > 0) gr_string_list_push(out, gr_string_n(item.ptr, item.len));
      start = i + 1;
    }
  }
  rule_string_free(&value);
  return ok;
}

bool gr_config_require(const char *key, rule_string_t *out, rule_string_t *err) {
  return gr__require(key, gr_config_get(key, out), err);
}

bool gr_config_bool(const char *key, bool fallback, bool *out, rule_string_t *err) {
  rule_string_t value;
  if (!gr_config_get(key, &value)) {
    *out = fallback;
    return true;
  }
  return gr__parse_bool(key, value, out, err);
}

bool gr_config_number(const char *key, double fallback, double *out, rule_string_t *err) {
  rule_string_t value;
  if (!gr_config_get(key, &value)) {
    *out = fallback;
    return true;
  }
  return gr__parse_number(key, value, out, err);
}

bool gr_config_list(const char *key, rule_list_string_t *out, rule_string_t *err) {
  rule_string_t value;
  if (!gr_config_get(key, &value)) {
    out->ptr = NULL;
    out->len = 0;
    return true;
  }
  return gr__parse_list(key, value, out, err);
}

bool gr_settings_get(const rule_list_tuple2_string_string_t *settings, const char *key,
                     rule_string_t *out) {
  for (size_t i = settings->len; i > 0; i--) {
    if (gr_str_eq(&settings->ptr[i - 1].f0, key))
      return gr__trimmed_copy(&settings->ptr[i - 1].f1, out);
  }
  return false;
}

bool gr_settings_require(const rule_list_tuple2_string_string_t *settings, const char *key,
                         rule_string_t *out, rule_string_t *err) {
  return gr__require(key, gr_settings_get(settings, key, out), err);
}

bool gr_settings_bool(const rule_list_tuple2_string_string_t *settings, const char *key,
                      bool fallback, bool *out, rule_string_t *err) {
  rule_string_t value;
  if (!gr_settings_get(settings, key, &value)) {
    *out = fallback;
    return true;
  }
  return gr__parse_bool(key, value, out, err);
}

bool gr_settings_number(const rule_list_tuple2_string_string_t *settings, const char *key,
                        double fallback, double *out, rule_string_t *err) {
  rule_string_t value;
  if (!gr_settings_get(settings, key, &value)) {
    *out = fallback;
    return true;
  }
  return gr__parse_number(key, value, out, err);
}

bool gr_settings_list(const rule_list_tuple2_string_string_t *settings, const char *key,
                      rule_list_string_t *out, rule_string_t *err) {
  rule_string_t value;
  if (!gr_settings_get(settings, key, &value)) {
    out->ptr = NULL;
    out->len = 0;
    return true;
  }
  return gr__parse_list(key, value, out, err);
}

// ------------------------------------------------------------------------------------------
// Matching and spelling
// ------------------------------------------------------------------------------------------

// The code points of `text` (malloc'd), their count in `count`.
static uint32_t *gr__code_points(const rule_string_t *text, size_t *count) {
  uint32_t *cps = (uint32_t *)malloc((text->len + 1) * sizeof(uint32_t));
  if (!cps) abort();
  size_t n = 0;
  for (size_t i = 0; i < text->len;) i += gr__utf8_decode(text->ptr + i, text->len - i, &cps[n++]);
  *count = n;
  return cps;
}

bool gr_glob(const rule_string_t *pattern, const rule_string_t *text) {
  size_t plen, tlen;
  uint32_t *p = gr__code_points(pattern, &plen);
  uint32_t *t = gr__code_points(text, &tlen);
  size_t pi = 0, ti = 0, star = 0, swallowed = 0;
  bool have_star = false, result = true;
  while (ti < tlen) {
    if (pi < plen && p[pi] == '*') {
      have_star = true;
      star = pi;
      swallowed = ti;
      pi++;
    } else if (pi < plen && (p[pi] == '?' || p[pi] == t[ti])) {
      pi++;
      ti++;
    } else if (have_star) {
      pi = star + 1;
      swallowed++;
      ti = swallowed;
    } else {
      result = false;
      break;
    }
  }
  for (; result && pi < plen; pi++) {
    if (p[pi] != '*') result = false;
  }
  free(p);
  free(t);
  return result;
}

static rule_string_t gr__view(const char *text) {
  rule_string_t out = {(uint8_t *)text, strlen(text)};
  return out;
}

rule_string_t gr_job_state_name(const glue_rules_types_job_state_t *state) {
  static const char *const names[] = {"STARTING", "RUNNING", "STOPPING", "STOPPED", "SUCCEEDED",
                                      "FAILED",   "TIMEOUT", "ERROR",    "WAITING", "EXPIRED"};
  if (state->tag == GLUE_RULES_TYPES_JOB_STATE_OTHER) return state->val.other;
  return gr__view(names[state->tag]);
}

rule_string_t gr_severity_name(const glue_rules_types_severity_t *severity) {
  static const char *const names[] = {"INFO", "WARN", "ERROR"};
  if (severity->tag == GLUE_RULES_TYPES_SEVERITY_OTHER) return severity->val.other;
  return gr__view(names[severity->tag]);
}

rule_string_t gr_crawler_state_name(const glue_rules_types_crawler_state_t *state) {
  static const char *const names[] = {"Started", "Succeeded", "Failed"};
  if (state->tag == GLUE_RULES_TYPES_CRAWLER_STATE_OTHER) return state->val.other;
  return gr__view(names[state->tag]);
}

const char *gr_partition(const rule_string_t *region) {
  if (gr_str_starts_with(region, "cn-")) return "aws-cn";
  if (gr_str_starts_with(region, "us-gov-")) return "aws-us-gov";
  return "aws";
}

bool gr_parse_invocation_type(const rule_string_t *text, glue_rules_types_invocation_type_t *out) {
  rule_string_t trimmed = gr_trim(*text);
  char folded[16];
  size_t n = 0;
  for (size_t i = 0; i < trimmed.len; i++) {
    uint8_t c = trimmed.ptr[i];
    if (c == '-' || c == '_') continue;
    if (n + 1 >= sizeof folded) return false;
    folded[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  folded[n] = 0;
  if (strcmp(folded, "event") == 0) {
    *out = GLUE_RULES_TYPES_INVOCATION_TYPE_EVENT;
    return true;
  }
  if (strcmp(folded, "requestresponse") == 0) {
    *out = GLUE_RULES_TYPES_INVOCATION_TYPE_REQUEST_RESPONSE;
    return true;
  }
  return false;
}

const char *gr_invocation_type_name(glue_rules_types_invocation_type_t type) {
  return type == GLUE_RULES_TYPES_INVOCATION_TYPE_EVENT ? "Event" : "RequestResponse";
}

// ------------------------------------------------------------------------------------------
// Metadata and decisions
// ------------------------------------------------------------------------------------------

void gr_metadata(glue_rules_types_metadata_t *ret, const char *name, const char *version,
                 const char *description, rule_string_t pattern) {
  ret->name = gr_string(name);
  ret->version = gr_string(version);
  ret->description = gr_string(description);
  ret->patterns.ptr = NULL;
  ret->patterns.len = 0;
  ret->settings.ptr = NULL;
  ret->settings.len = 0;
  if (pattern.ptr) gr_string_list_push(&ret->patterns, pattern);
}

void gr_metadata_pattern(glue_rules_types_metadata_t *ret, rule_string_t pattern) {
  gr_string_list_push(&ret->patterns, pattern);
}

glue_rules_types_setting_t *gr_metadata_setting(glue_rules_types_metadata_t *ret,
                                                glue_rules_types_setting_kind_t kind,
                                                const char *name, const char *description,
                                                const char *default_value) {
  glue_rules_types_list_setting_t *list = &ret->settings;
  glue_rules_types_setting_t *setting = (glue_rules_types_setting_t *)gr__list_grow(
      (void **)&list->ptr, &list->len, sizeof(glue_rules_types_setting_t));
  setting->name = gr_string(name);
  setting->kind = kind;
  setting->required = false;
  setting->default_value.is_some = default_value != NULL;
  setting->default_value.val = default_value ? gr_string(default_value) : gr_string_n(NULL, 0);
  setting->description = gr_string(description);
  return setting;
}

bool gr_buf_glob_pattern_value(gr_buf *buf, const rule_string_t *glob) {
  bool star = false;
  for (size_t i = 0; i < glob->len; i++) {
    if (glob->ptr[i] == '?') return false;
    if (glob->ptr[i] == '*') star = true;
  }
  if (!star) {
    gr_buf_json_string(buf, glob->ptr, glob->len);
    return true;
  }
  // Runs of `*` mean one `*` (EventBridge refuses `**`).
  gr_buf collapsed = GR_BUF_INIT;
  size_t stars = 0;
  for (size_t i = 0; i < glob->len; i++) {
    uint8_t c = glob->ptr[i];
    if (c == '*' && collapsed.len > 0 && collapsed.ptr[collapsed.len - 1] == '*') continue;
    if (c == '*') stars++;
    gr_buf_push(&collapsed, &c, 1);
  }
  bool prefix = stars == 1 && collapsed.ptr[collapsed.len - 1] == '*';
  gr_buf value = GR_BUF_INIT;
  if (prefix) {
    gr_buf_push(&value, collapsed.ptr, collapsed.len - 1);
  } else {
    // In a wildcard, a backslash escapes: a literal one is written twice.
    for (size_t i = 0; i < collapsed.len; i++) {
      if (collapsed.ptr[i] == '\\') gr_buf_cstr(&value, "\\");
      gr_buf_push(&value, &collapsed.ptr[i], 1);
    }
  }
  gr_buf_cstr(buf, prefix ? "{\"prefix\":" : "{\"wildcard\":");
  gr_buf_json_string(buf, value.ptr, value.len);
  gr_buf_cstr(buf, "}");
  gr_buf_free(&collapsed);
  gr_buf_free(&value);
  return true;
}

void gr_no_match(glue_rules_types_decision_t *ret, rule_string_t reason) {
  ret->matched = false;
  ret->actions.ptr = NULL;
  ret->actions.len = 0;
  ret->reason.is_some = true;
  ret->reason.val = reason;
}

void gr_decision_add_action(glue_rules_types_decision_t *ret, glue_rules_types_action_t action) {
  glue_rules_types_action_t *slot = (glue_rules_types_action_t *)gr__list_grow(
      (void **)&ret->actions.ptr, &ret->actions.len, sizeof(glue_rules_types_action_t));
  *slot = action;
}

void gr_matched(glue_rules_types_decision_t *ret, glue_rules_types_action_t action,
                rule_string_t reason) {
  ret->matched = true;
  ret->actions.ptr = NULL;
  ret->actions.len = 0;
  gr_decision_add_action(ret, action);
  ret->reason.is_some = true;
  ret->reason.val = reason;
}

// ------------------------------------------------------------------------------------------
// Actions
// ------------------------------------------------------------------------------------------

static rule_option_string_t gr__none(void) {
  rule_option_string_t none = {false, {NULL, 0}};
  return none;
}

static rule_option_string_t gr__some(rule_string_t value) {
  rule_option_string_t some = {true, value};
  return some;
}

// Replaces an optional string (freeing the old value) with `value`.
static void gr__set_option(rule_option_string_t *option, rule_string_t value) {
  if (option->is_some) rule_string_free(&option->val);
  *option = gr__some(value);
}

glue_rules_types_action_t gr_lambda(rule_string_t function_name, rule_string_t payload,
                                    glue_rules_types_invocation_type_t invocation_type) {
  glue_rules_types_action_t action;
  memset(&action, 0, sizeof action);
  action.tag = GLUE_RULES_TYPES_ACTION_LAMBDA;
  action.val.lambda.function_name = function_name;
  action.val.lambda.payload = payload;
  action.val.lambda.invocation_type = invocation_type;
  return action;
}

// SNS's subject rules, as the Rust SDK applies them.
static rule_option_string_t gr__clean_subject(rule_string_t subject) {
  gr_buf spaced = GR_BUF_INIT;
  for (size_t i = 0; i < subject.len;) {
    uint32_t cp;
    size_t n = gr__utf8_decode(subject.ptr + i, subject.len - i, &cp);
    if (gr__is_control(cp)) gr_buf_cstr(&spaced, " ");
    else gr_buf_push(&spaced, subject.ptr + i, n);
    i += n;
  }
  rule_string_t cut = {spaced.ptr, spaced.len};
  cut = gr__trim_end(gr_truncate_chars(gr_trim(cut), 100));
  rule_option_string_t out = cut.len > 0 ? gr__some(gr_string_n(cut.ptr, cut.len)) : gr__none();
  gr_buf_free(&spaced);
  rule_string_free(&subject);
  return out;
}

glue_rules_types_action_t gr_sns(rule_string_t topic_arn, rule_string_t subject,
                                 rule_string_t message) {
  glue_rules_types_action_t action;
  memset(&action, 0, sizeof action);
  action.tag = GLUE_RULES_TYPES_ACTION_SNS;
  action.val.sns.topic_arn = topic_arn;
  action.val.sns.subject = gr__clean_subject(subject);
  action.val.sns.message = message;
  action.val.sns.message_attributes.ptr = NULL;
  action.val.sns.message_attributes.len = 0;
  return action;
}

void gr_sns_typed_attribute(glue_rules_types_action_t *action, const char *name,
                            const char *data_type, const rule_string_t *value) {
  if (value->len == 0) return;
  glue_rules_types_list_message_attribute_t *list = &action->val.sns.message_attributes;
  glue_rules_types_message_attribute_t *attribute =
      (glue_rules_types_message_attribute_t *)gr__list_grow(
          (void **)&list->ptr, &list->len, sizeof(glue_rules_types_message_attribute_t));
  attribute->name = gr_string(name);
  attribute->data_type = gr_string(data_type);
  attribute->string_value = gr_string_copy(value);
}

void gr_sns_attribute(glue_rules_types_action_t *action, const char *name,
                      const rule_string_t *value) {
  gr_sns_typed_attribute(action, name, "String", value);
}

glue_rules_types_action_t gr_sqs(rule_string_t queue_url, rule_string_t body) {
  glue_rules_types_action_t action;
  memset(&action, 0, sizeof action);
  action.tag = GLUE_RULES_TYPES_ACTION_SQS;
  action.val.sqs.queue_url = queue_url;
  action.val.sqs.message_body = body;
  action.val.sqs.delay_seconds.is_some = false;
  action.val.sqs.message_group_id = gr__none();
  action.val.sqs.message_deduplication_id = gr__none();
  return action;
}

void gr_sqs_delay_seconds(glue_rules_types_action_t *action, uint32_t seconds) {
  action->val.sqs.delay_seconds.is_some = true;
  action->val.sqs.delay_seconds.val = seconds;
}

void gr_sqs_message_group_id(glue_rules_types_action_t *action, rule_string_t group) {
  gr__set_option(&action->val.sqs.message_group_id, group);
}

void gr_sqs_message_deduplication_id(glue_rules_types_action_t *action, rule_string_t id) {
  gr__set_option(&action->val.sqs.message_deduplication_id, id);
}

glue_rules_types_action_t gr_kinesis(rule_string_t stream, rule_string_t partition_key,
                                     rule_string_t data) {
  glue_rules_types_action_t action;
  memset(&action, 0, sizeof action);
  action.tag = GLUE_RULES_TYPES_ACTION_KINESIS;
  action.val.kinesis.stream_name = stream;
  action.val.kinesis.partition_key = partition_key;
  action.val.kinesis.data = data;
  return action;
}

glue_rules_types_action_t gr_step_functions(rule_string_t state_machine_arn, rule_string_t input) {
  glue_rules_types_action_t action;
  memset(&action, 0, sizeof action);
  action.tag = GLUE_RULES_TYPES_ACTION_STEPFUNCTIONS;
  action.val.stepfunctions.state_machine_arn = state_machine_arn;
  action.val.stepfunctions.name = gr__none();
  action.val.stepfunctions.input = input;
  return action;
}

void gr_step_functions_name(glue_rules_types_action_t *action, rule_string_t name) {
  gr__set_option(&action->val.stepfunctions.name, name);
}

glue_rules_types_action_t gr_ssm(rule_string_t document_name) {
  glue_rules_types_action_t action;
  memset(&action, 0, sizeof action);
  action.tag = GLUE_RULES_TYPES_ACTION_SSM;
  action.val.ssm.document_name = document_name;
  action.val.ssm.targets.tag = GLUE_RULES_TYPES_COMMAND_TARGETS_INSTANCE_IDS;
  action.val.ssm.targets.val.instance_ids.ptr = NULL;
  action.val.ssm.targets.val.instance_ids.len = 0;
  action.val.ssm.parameters.ptr = NULL;
  action.val.ssm.parameters.len = 0;
  action.val.ssm.comment = gr__none();
  return action;
}

// Switches an SSM command's targets to `tag`, freeing targets of the other kind.
static void gr__ssm_targets(glue_rules_types_action_t *action, uint8_t tag) {
  glue_rules_types_command_targets_t *targets = &action->val.ssm.targets;
  if (targets->tag == tag) return;
  glue_rules_types_command_targets_free(targets);
  targets->tag = tag;
  if (tag == GLUE_RULES_TYPES_COMMAND_TARGETS_TARGETS) {
    targets->val.targets.ptr = NULL;
    targets->val.targets.len = 0;
  } else {
    targets->val.instance_ids.ptr = NULL;
    targets->val.instance_ids.len = 0;
  }
}

void gr_ssm_instance_id(glue_rules_types_action_t *action, rule_string_t instance_id) {
  gr__ssm_targets(action, GLUE_RULES_TYPES_COMMAND_TARGETS_INSTANCE_IDS);
  gr_string_list_push(&action->val.ssm.targets.val.instance_ids, instance_id);
}

glue_rules_types_target_t *gr_ssm_target(glue_rules_types_action_t *action, rule_string_t key) {
  gr__ssm_targets(action, GLUE_RULES_TYPES_COMMAND_TARGETS_TARGETS);
  glue_rules_types_list_target_t *list = &action->val.ssm.targets.val.targets;
  glue_rules_types_target_t *target = (glue_rules_types_target_t *)gr__list_grow(
      (void **)&list->ptr, &list->len, sizeof(glue_rules_types_target_t));
  target->key = key;
  target->values.ptr = NULL;
  target->values.len = 0;
  return target;
}

glue_rules_types_command_parameter_t *gr_ssm_parameter(glue_rules_types_action_t *action,
                                                       rule_string_t name) {
  glue_rules_types_list_command_parameter_t *list = &action->val.ssm.parameters;
  glue_rules_types_command_parameter_t *parameter =
      (glue_rules_types_command_parameter_t *)gr__list_grow(
          (void **)&list->ptr, &list->len, sizeof(glue_rules_types_command_parameter_t));
  parameter->name = name;
  parameter->values.ptr = NULL;
  parameter->values.len = 0;
  return parameter;
}

void gr_ssm_comment(glue_rules_types_action_t *action, rule_string_t comment) {
  rule_string_t cut = gr_truncate_chars(comment, 100);
  gr__set_option(&action->val.ssm.comment, gr_string_n(cut.ptr, cut.len));
  rule_string_free(&comment);
}

// ------------------------------------------------------------------------------------------
// JSON reading
// ------------------------------------------------------------------------------------------

static const uint8_t *gr__json_ws(const uint8_t *p, const uint8_t *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

static int gr__hex(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits at `p` (before `end`) as a number, or -1.
static int32_t gr__hex4(const uint8_t *p, const uint8_t *end) {
  if (end - p < 4) return -1;
  int32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int d = gr__hex(p[i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Scans the string token at `p` (which is `"`), checking escapes and UTF-8. Returns the
// position after its closing quote, or NULL with `*what` and `*where` set.
static const uint8_t *gr__json_scan_string(const uint8_t *p, const uint8_t *end,
                                           const char **what, const uint8_t **where) {
  p++;
  while (p < end) {
    uint8_t c = *p;
    if (c == '"') return p + 1;
    if (c == '\\') {
      *where = p;
      if (end - p < 2) break;
      uint8_t e = p[1];
      if (e == 'u') {
        int32_t unit = gr__hex4(p + 2, end);
        if (unit < 0) {
          *what = "invalid escape";
          return NULL;
        }
        p += 6;
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
          *what = "lone leading surrogate in hex escape";
          return NULL;
        }
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          int32_t low = (end - p >= 6 && p[0] == '\\' && p[1] == 'u') ? gr__hex4(p + 2, end) : -1;
          if (low < 0xDC00 || low > 0xDFFF) {
            *what = "lone leading surrogate in hex escape";
            return NULL;
          }
          p += 6;
        }
        continue;
      }
      if (!strchr("\"\\/bfnrt", e) || e == 0) {
        *what = "invalid escape";
        return NULL;
      }
      p += 2;
      continue;
    }
    if (c < 0x20) {
      *what = "control character (\\u0000-\\u001F) found while parsing a string";
      *where = p;
      return NULL;
    }
    if (c < 0x80) {
      p++;
      continue;
    }
    // A UTF-8 sequence: its length, its continuation bytes, no overlong form, no surrogate,
    // nothing past U+10FFFF.
    size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = n > 0 && (size_t)(end - p) >= n;
    for (size_t i = 1; ok && i < n; i++) ok = (p[i] & 0xC0) == 0x80;
    if (ok) {
      uint32_t cp;
      gr__utf8_decode(p, n, &cp);
      ok = !(n == 2 && cp < 0x80) && !(n == 3 && cp < 0x800) && !(n == 4 && cp < 0x10000) &&
           !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF;
    }
    if (!ok) {
      *what = "invalid unicode code point";
      *where = p;
      return NULL;
    }
    p += n;
  }
  *what = "EOF while parsing a string";
  *where = end;
  return NULL;
}

// Scans the number token at `p`. Returns the position after it, or NULL.
static const uint8_t *gr__json_scan_number(const uint8_t *p, const uint8_t *end,
                                           const char **what, const uint8_t **where) {
  const uint8_t *start = p;
  if (p < end && *p == '-') p++;
  if (p < end && *p == '0') {
    p++;
  } else if (p < end && *p >= '1' && *p <= '9') {
    while (p < end && *p >= '0' && *p <= '9') p++;
  } else {
    *what = "invalid number";
    *where = start;
    return NULL;
  }
  if (p < end && *p == '.') {
    p++;
    if (p == end || *p < '0' || *p > '9') {
      *what = "invalid number";
      *where = p;
      return NULL;
    }
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (p == end || *p < '0' || *p > '9') {
      *what = "invalid number";
      *where = p;
      return NULL;
    }
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  return p;
}

// Scans the key of an object member and the `:` after it, from `p` (after `{` or `,`).
static const uint8_t *gr__json_scan_key(const uint8_t *p, const uint8_t *end, const char **what,
                                        const uint8_t **where) {
  p = gr__json_ws(p, end);
  if (p == end || *p != '"') {
    *what = p == end ? "EOF while parsing an object" : "key must be a string";
    *where = p;
    return NULL;
  }
  p = gr__json_scan_string(p, end, what, where);
  if (!p) return NULL;
  p = gr__json_ws(p, end);
  if (p == end || *p != ':') {
    *what = p == end ? "EOF while parsing an object" : "expected `:`";
    *where = p;
    return NULL;
  }
  return p + 1;
}

// Scans one JSON value from `p` (white space first allowed), without recursion: the open
// arrays and objects are kept on a stack of GR_JSON_MAX_DEPTH. Returns the position after the
// value, or NULL with `*what` and `*where` set.
static const uint8_t *gr__json_scan(const uint8_t *p, const uint8_t *end, const char **what,
                                    const uint8_t **where) {
  uint8_t open[GR_JSON_MAX_DEPTH];
  size_t depth = 0;
  for (;;) {
    // A value.
    p = gr__json_ws(p, end);
    if (p == end) {
      *what = "EOF while parsing a value";
      *where = p;
      return NULL;
    }
    uint8_t c = *p;
    bool closed = false;
    if (c == '{' || c == '[') {
      if (depth == GR_JSON_MAX_DEPTH) {
        *what = "recursion limit exceeded";
        *where = p;
        return NULL;
      }
      open[depth++] = c;
      p = gr__json_ws(p + 1, end);
      if (p < end && *p == (c == '{' ? '}' : ']')) {
        p++;
        depth--;
        closed = true;
      } else if (c == '{') {
        p = gr__json_scan_key(p, end, what, where);
        if (!p) return NULL;
        continue;
      } else {
        continue;
      }
    }
    if (!closed) {
      if (c == '"') {
        p = gr__json_scan_string(p, end, what, where);
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        p = gr__json_scan_number(p, end, what, where);
      } else {
        static const char *const literals[] = {"true", "false", "null"};
        const char *literal = NULL;
        for (size_t i = 0; i < 3 && !literal; i++) {
          size_t n = strlen(literals[i]);
          if ((size_t)(end - p) >= n && memcmp(p, literals[i], n) == 0) literal = literals[i];
        }
        if (!literal) {
          *what = (c == 't' || c == 'f' || c == 'n') ? "expected ident" : "expected value";
          *where = p;
          return NULL;
        }
        p += strlen(literal);
      }
      if (!p) return NULL;
    }
    // After a value: close containers, or go on to the next element or member.
    bool next = false;
    while (depth > 0 && !next) {
      p = gr__json_ws(p, end);
      uint8_t top = open[depth - 1];
      if (p == end) {
        *what = top == '{' ? "EOF while parsing an object" : "EOF while parsing a list";
        *where = p;
        return NULL;
      }
      if (*p == ',') {
        p++;
        if (top == '{') {
          p = gr__json_scan_key(p, end, what, where);
          if (!p) return NULL;
        }
        next = true;
      } else if (*p == (top == '{' ? '}' : ']')) {
        p++;
        depth--;
      } else {
        *what = top == '{' ? "expected `,` or `}`" : "expected `,` or `]`";
        *where = p;
        return NULL;
      }
    }
    if (!next) return p;
  }
}

bool gr_json_parse(const uint8_t *text, size_t len, gr_json *out, rule_string_t *err) {
  const uint8_t *end = text + len, *where = text;
  const char *what = "expected value";
  const uint8_t *start = gr__json_ws(text, end);
  const uint8_t *after = gr__json_scan(start, end, &what, &where);
  if (after) {
    const uint8_t *rest = gr__json_ws(after, end);
    if (rest == end) {
      out->ptr = start;
      out->len = (size_t)(after - start);
      return true;
    }
    what = "trailing characters";
    where = rest;
  }
  // serde_json's position: the line, and the characters read on it (the offending one
  // included, none past the end).
  size_t line = 1, column = 0;
  for (const uint8_t *p = text; p < where; p++) {
    if (*p == '\n') {
      line++;
      column = 0;
    } else if ((*p & 0xC0) != 0x80) {
      column++;
    }
  }
  if (where < end) column++;
  gr_buf text_err = GR_BUF_INIT;
  gr_buf_cstr(&text_err, what);
  gr_buf_cstr(&text_err, " at line ");
  gr__buf_number(&text_err, line, 10);
  gr_buf_cstr(&text_err, " column ");
  gr__buf_number(&text_err, column, 10);
  *err = gr_buf_take(&text_err);
  return false;
}

gr_json_kind gr_json_type(gr_json value) {
  switch (value.len ? value.ptr[0] : 'n') {
    case 'n': return GR_JSON_NULL;
    case 'f': return GR_JSON_FALSE;
    case 't': return GR_JSON_TRUE;
    case '"': return GR_JSON_STRING;
    case '[': return GR_JSON_ARRAY;
    case '{': return GR_JSON_OBJECT;
    default: return GR_JSON_NUMBER;
  }
}

gr_json_iter gr_json_iterate(gr_json container) {
  gr_json_iter it = {NULL, NULL, false};
  gr_json_kind kind = gr_json_type(container);
  if ((kind == GR_JSON_ARRAY || kind == GR_JSON_OBJECT) && container.len >= 2) {
    it.at = container.ptr + 1;
    it.end = container.ptr + container.len - 1;
    it.object = kind == GR_JSON_OBJECT;
  }
  return it;
}

bool gr_json_next(gr_json_iter *it, gr_json *key, gr_json *value) {
  const char *what;
  const uint8_t *where;
  if (!it->at) return false;
  const uint8_t *p = gr__json_ws(it->at, it->end);
  if (p < it->end && *p == ',') p = gr__json_ws(p + 1, it->end);
  if (p >= it->end) {
    it->at = NULL;
    return false;
  }
  if (it->object) {
    const uint8_t *key_end = *p == '"' ? gr__json_scan_string(p, it->end, &what, &where) : NULL;
    if (!key_end) {
      it->at = NULL;
      return false;
    }
    if (key) {
      key->ptr = p;
      key->len = (size_t)(key_end - p);
    }
    p = gr__json_ws(key_end, it->end);
    if (p == it->end || *p != ':') {
      it->at = NULL;
      return false;
    }
    p = gr__json_ws(p + 1, it->end);
  }
  const uint8_t *after = gr__json_scan(p, it->end, &what, &where);
  if (!after) {
    it->at = NULL;
    return false;
  }
  value->ptr = p;
  value->len = (size_t)(after - p);
  it->at = after;
  return true;
}

// Decodes the string token `value` one code point at a time: returns the code point at `*at`
// (inside the token) and moves `*at` on; false at the closing quote.
static bool gr__json_string_next(const uint8_t **at, const uint8_t *end, uint32_t *cp) {
  const uint8_t *p = *at;
  if (p >= end || *p == '"') return false;
  if (*p != '\\') {
    size_t n = gr__utf8_decode(p, (size_t)(end - p), cp);
    *at = p + n;
    return true;
  }
  if (end - p < 2) return false;
  switch (p[1]) {
    case 'b': *cp = 0x08; break;
    case 'f': *cp = 0x0C; break;
    case 'n': *cp = '\n'; break;
    case 'r': *cp = '\r'; break;
    case 't': *cp = '\t'; break;
    case 'u': {
      int32_t unit = gr__hex4(p + 2, end);
      if (unit < 0) return false;
      p += 6;
      if (unit >= 0xD800 && unit <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
        int32_t low = gr__hex4(p + 2, end);
        if (low >= 0xDC00 && low <= 0xDFFF) {
          unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
          p += 6;
        }
      }
      *cp = (uint32_t)unit;
      *at = p;
      return true;
    }
    default: *cp = p[1]; break;  // `"`, `\\`, `/`
  }
  *at = p + 2;
  return true;
}

bool gr_json_string(gr_json value, gr_buf *out) {
  if (gr_json_type(value) != GR_JSON_STRING || value.len < 2) return false;
  const uint8_t *at = value.ptr + 1, *end = value.ptr + value.len;
  uint32_t cp;
  while (gr__json_string_next(&at, end, &cp)) {
    uint8_t utf8[4];
    gr_buf_push(out, utf8, gr__utf8_encode(cp, utf8));
  }
  return true;
}

bool gr_json_string_eq(gr_json value, const uint8_t *text, size_t len) {
  if (gr_json_type(value) != GR_JSON_STRING || value.len < 2) return false;
  const uint8_t *at = value.ptr + 1, *end = value.ptr + value.len;
  size_t i = 0;
  uint32_t cp;
  while (gr__json_string_next(&at, end, &cp)) {
    uint8_t utf8[4];
    size_t n = gr__utf8_encode(cp, utf8);
    if (i + n > len || memcmp(text + i, utf8, n) != 0) return false;
    i += n;
  }
  return i == len;
}

bool gr_json_get_n(gr_json object, const uint8_t *key, size_t key_len, gr_json *out) {
  if (gr_json_type(object) != GR_JSON_OBJECT) return false;
  gr_json_iter it = gr_json_iterate(object);
  gr_json name, value;
  bool found = false;
  while (gr_json_next(&it, &name, &value)) {
    if (gr_json_string_eq(name, key, key_len)) {
      *out = value;
      found = true;
    }
  }
  return found;
}

bool gr_json_get(gr_json object, const char *key, gr_json *out) {
  return gr_json_get_n(object, (const uint8_t *)key, strlen(key), out);
}

bool gr_json_at(gr_json array, size_t index, gr_json *out) {
  if (gr_json_type(array) != GR_JSON_ARRAY) return false;
  gr_json_iter it = gr_json_iterate(array);
  gr_json value;
  for (size_t i = 0; gr_json_next(&it, NULL, &value); i++) {
    if (i == index) {
      *out = value;
      return true;
    }
  }
  return false;
}

// Appends code point `cp` escaped for a JSON string, as serde_json escapes.
static void gr__json_escape_cp(gr_buf *out, uint32_t cp) {
  static const char hex[] = "0123456789abcdef";
  const char *short_form = NULL;
  switch (cp) {
    case '"': short_form = "\\\""; break;
    case '\\': short_form = "\\\\"; break;
    case 0x08: short_form = "\\b"; break;
    case 0x0C: short_form = "\\f"; break;
    case '\n': short_form = "\\n"; break;
    case '\r': short_form = "\\r"; break;
    case '\t': short_form = "\\t"; break;
    default: break;
  }
  if (short_form) {
    gr_buf_cstr(out, short_form);
  } else if (cp < 0x20) {
    char escaped[7] = {'\\', 'u', '0', '0', hex[cp >> 4], hex[cp & 0xF], 0};
    gr_buf_cstr(out, escaped);
  } else {
    uint8_t utf8[4];
    gr_buf_push(out, utf8, gr__utf8_encode(cp, utf8));
  }
}

void gr_json_escape(gr_buf *out, const uint8_t *text, size_t len) {
  size_t run = 0;  // bytes that need no escaping, copied in one go
  for (size_t i = 0; i < len; i++) {
    uint8_t c = text[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      run++;
      continue;
    }
    gr_buf_push(out, text + i - run, run);
    run = 0;
    gr__json_escape_cp(out, c);
  }
  gr_buf_push(out, text + len - run, run);
}

// Appends a string token re-escaped as serde_json writes it, with or without its quotes.
static void gr__json_write_string(gr_buf *out, gr_json value, bool quotes) {
  const uint8_t *at = value.ptr + 1, *end = value.ptr + value.len;
  uint32_t cp;
  if (quotes) gr_buf_cstr(out, "\"");
  while (gr__json_string_next(&at, end, &cp)) gr__json_escape_cp(out, cp);
  if (quotes) gr_buf_cstr(out, "\"");
}

void gr_json_write(gr_buf *out, gr_json value) {
  const uint8_t *p = value.ptr, *end = value.ptr + value.len;
  const char *what;
  const uint8_t *where;
  while (p < end) {
    uint8_t c = *p;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      p++;
    } else if (c == '"') {
      const uint8_t *after = gr__json_scan_string(p, end, &what, &where);
      if (!after) return;
      gr_json token = {p, (size_t)(after - p)};
      gr__json_write_string(out, token, true);
      p = after;
    } else {
      const uint8_t *run = p;
      while (p < end && *p != '"' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') p++;
      gr_buf_push(out, run, (size_t)(p - run));
    }
  }
}

// ------------------------------------------------------------------------------------------
// Templates
// ------------------------------------------------------------------------------------------

// Appends `text` as Rust's `{:?}` writes a string: quoted, with `\"`, `\\`, `\n`, `\r`, `\t`,
// `\0` and `\u{..}` for other control characters.
static void gr__debug_quote(gr_buf *out, const uint8_t *text, size_t len) {
  gr_buf_cstr(out, "\"");
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t n = gr__utf8_decode(text + i, len - i, &cp);
    switch (cp) {
      case '"': gr_buf_cstr(out, "\\\""); break;
      case '\\': gr_buf_cstr(out, "\\\\"); break;
      case '\n': gr_buf_cstr(out, "\\n"); break;
      case '\r': gr_buf_cstr(out, "\\r"); break;
      case '\t': gr_buf_cstr(out, "\\t"); break;
      case 0: gr_buf_cstr(out, "\\0"); break;
      default:
        if (gr__is_control(cp)) {
          gr_buf_cstr(out, "\\u{");
          gr__buf_number(out, cp, 16);
          gr_buf_cstr(out, "}");
        } else {
          gr_buf_push(out, text + i, n);
        }
    }
    i += n;
  }
  gr_buf_cstr(out, "\"");
}

static void gr__debug_quote_cstr(gr_buf *out, const char *text) {
  gr__debug_quote(out, (const uint8_t *)text, strlen(text));
}

// Checks the JSON path `path` (`$`, then `.member` or `[index]` steps); false with the Rust
// SDK's sentence appended to `why`.
static bool gr__check_path(const char *path, gr_buf *why) {
  size_t len = strlen(path), i = 1;
  if (len == 0 || path[0] != '$') {
    gr_buf_cstr(why, "path ");
    gr__debug_quote_cstr(why, path);
    gr_buf_cstr(why, " must start with $");
    return false;
  }
  while (i < len) {
    if (path[i] == '.') {
      size_t start = ++i;
      while (i < len && path[i] != '.' && path[i] != '[') i++;
      if (i == start) {
        gr_buf_cstr(why, "path ");
        gr__debug_quote_cstr(why, path);
        gr_buf_cstr(why, " has an empty member");
        return false;
      }
    } else if (path[i] == '[') {
      const char *close = strchr(path + i + 1, ']');
      if (!close) {
        gr_buf_cstr(why, "path ");
        gr__debug_quote_cstr(why, path);
        gr_buf_cstr(why, ": unclosed [");
        return false;
      }
      // Rust's `usize::from_str`: an optional `+`, then digits, without overflow.
      const char *d = path + i + 1;
      if (d < close && *d == '+') d++;
      bool ok = d < close;
      size_t index = 0;
      for (; ok && d < close; d++) {
        ok = *d >= '0' && *d <= '9' && index <= (SIZE_MAX - (size_t)(*d - '0')) / 10;
        if (ok) index = index * 10 + (size_t)(*d - '0');
      }
      if (!ok) {
        gr_buf_cstr(why, "path ");
        gr__debug_quote_cstr(why, path);
        gr_buf_cstr(why, ": ");
        gr__debug_quote(why, (const uint8_t *)path + i + 1, (size_t)(close - path - i - 1));
        gr_buf_cstr(why, " is not an array index");
        return false;
      }
      i = (size_t)(close - path) + 1;
    } else {
      gr_buf_cstr(why, "path ");
      gr__debug_quote_cstr(why, path);
      gr_buf_cstr(why, ": expected . or [ at ");
      gr__debug_quote_cstr(why, path + i);
      return false;
    }
  }
  return true;
}

// What a checked path selects in `event`; false when it selects nothing.
static bool gr__select(gr_json event, const char *path, gr_json *out) {
  gr_json at = event;
  size_t len = strlen(path), i = 1;
  while (i < len) {
    if (path[i] == '.') {
      size_t start = ++i;
      while (i < len && path[i] != '.' && path[i] != '[') i++;
      if (!gr_json_get_n(at, (const uint8_t *)path + start, i - start, &at)) return false;
    } else {
      size_t index = 0;
      const char *d = path + i + 1;
      if (*d == '+') d++;
      for (; *d != ']'; d++) index = index * 10 + (size_t)(*d - '0');
      i = (size_t)(d - path) + 1;
      if (!gr_json_at(at, index, &at)) return false;
    }
  }
  *out = at;
  return true;
}

// One placeholder's value: JSON from the event, or a predefined string.
typedef struct {
  gr_json json;          // when `text` is NULL
  const char *text;      // a predefined string value
  bool omit_detail;      // `aws.events.event`: the event without its `detail` member
  bool whole_event;      // either whole-event variable: only as a JSON value
} gr__template_value;

static bool gr__name_is(const uint8_t *name, size_t len, const char *expected) {
  return strlen(expected) == len && memcmp(name, expected, len) == 0;
}

// The value of placeholder `name`; false when the name is no variable (left as written).
static bool gr__lookup(const uint8_t *name, size_t len, const gr_input_path *paths, size_t count,
                       gr_json event, const gr_predefined *predefined, gr__template_value *out) {
  static const uint8_t null_text[] = "null";
  memset(out, 0, sizeof *out);
  if (gr__name_is(name, len, "aws.events.event.json")) {
    out->json = event;
    out->whole_event = true;
  } else if (gr__name_is(name, len, "aws.events.event")) {
    out->json = event;
    out->whole_event = out->omit_detail = true;
  } else if (gr__name_is(name, len, "aws.events.rule-name")) {
    out->text = predefined && predefined->rule_name ? predefined->rule_name : "";
  } else if (gr__name_is(name, len, "aws.events.rule-arn")) {
    out->text = predefined && predefined->rule_arn ? predefined->rule_arn : "";
  } else if (gr__name_is(name, len, "aws.events.event.ingestion-time")) {
    gr_json time;
    if (predefined && predefined->ingestion_time) {
      out->text = predefined->ingestion_time;
    } else if (gr_json_get(event, "time", &time) && gr_json_type(time) == GR_JSON_STRING) {
      out->json = time;  // the event's `time`, a JSON string
    } else {
      out->text = "";
    }
  } else {
    size_t i = 0;
    while (i < count && !gr__name_is(name, len, paths[i].name)) i++;
    if (i == count) return false;
    if (!gr__select(event, paths[i].path, &out->json)) {
      out->json.ptr = null_text;
      out->json.len = 4;
    }
  }
  return true;
}

// Appends a value as compact JSON (the event without `detail` for `aws.events.event`).
static void gr__write_json_value(gr_buf *out, const gr__template_value *value) {
  if (value->text) {
    gr_buf_cstr(out, "\"");
    gr_json_escape(out, (const uint8_t *)value->text, strlen(value->text));
    gr_buf_cstr(out, "\"");
  } else if (value->omit_detail && gr_json_type(value->json) == GR_JSON_OBJECT) {
    gr_json_iter it = gr_json_iterate(value->json);
    gr_json key, member;
    bool first = true;
    gr_buf_cstr(out, "{");
    while (gr_json_next(&it, &key, &member)) {
      if (gr_json_string_eq(key, (const uint8_t *)"detail", 6)) continue;
      if (!first) gr_buf_cstr(out, ",");
      first = false;
      gr__json_write_string(out, key, true);
      gr_buf_cstr(out, ":");
      gr_json_write(out, member);
    }
    gr_buf_cstr(out, "}");
  } else {
    gr_json_write(out, value->json);
  }
}

// Appends a value where it stands: as JSON, escaped inside a JSON string, or as plain text.
static void gr__write_value(gr_buf *out, const gr__template_value *value, bool json,
                            bool in_string) {
  gr_json_kind kind = value->text ? GR_JSON_STRING : gr_json_type(value->json);
  if (json && !in_string) {
    gr__write_json_value(out, value);
  } else if (kind == GR_JSON_NULL) {
    // Nothing: a path that selects nothing, inside a string or in plain text.
  } else if (kind == GR_JSON_STRING) {
    if (value->text && json) gr_json_escape(out, (const uint8_t *)value->text, strlen(value->text));
    else if (value->text) gr_buf_cstr(out, value->text);
    else if (json) gr__json_write_string(out, value->json, false);
    else gr_json_string(value->json, out);
  } else if (json) {
    gr_buf compact = GR_BUF_INIT;
    gr__write_json_value(&compact, value);
    gr_json_escape(out, compact.ptr, compact.len);
    gr_buf_free(&compact);
  } else {
    gr__write_json_value(out, value);
  }
}

bool gr_buf_render(gr_buf *out, const char *tmpl, const gr_input_path *paths, size_t count,
                   gr_json event, const gr_predefined *predefined, rule_string_t *err) {
  gr_buf why = GR_BUF_INIT;
  if (count > GR_TEMPLATE_MAX_VARIABLES) {
    gr__buf_number(&why, count, 10);
    gr_buf_cstr(&why, " variables: an input transformer has at most ");
    gr__buf_number(&why, GR_TEMPLATE_MAX_VARIABLES, 10);
    *err = gr_buf_take(&why);
    return false;
  }
  for (size_t i = 0; i < count; i++) {
    const char *name = paths[i].name;
    bool reserved = strncmp(name, "aws.", 4) == 0 || strncmp(name, "AWS.", 4) == 0;
    if (reserved || !gr__check_path(paths[i].path, &why)) {
      gr_buf prefix = GR_BUF_INIT;
      gr_buf_cstr(&prefix, "variable ");
      gr__debug_quote_cstr(&prefix, name);
      gr_buf_cstr(&prefix, reserved ? ": names starting with aws. are reserved" : ": ");
      if (!reserved) gr_buf_push(&prefix, why.ptr, why.len);
      gr_buf_free(&why);
      *err = gr_buf_take(&prefix);
      return false;
    }
  }
  // A JSON template starts, after white space, with `{`, `[` or `"`.
  size_t tlen = strlen(tmpl);
  const uint8_t *t = (const uint8_t *)tmpl;
  size_t first = 0;
  for (;;) {
    uint32_t cp = 0;
    size_t n = first < tlen ? gr__utf8_decode(t + first, tlen - first, &cp) : 0;
    if (n == 0 || !gr__is_whitespace(cp)) break;
    first += n;
  }
  bool json = first < tlen && (t[first] == '{' || t[first] == '[' || t[first] == '"');
  bool in_string = false, escaped = false;
  size_t start = out->len;
  size_t i = 0;
  while (i < tlen) {
    uint8_t c = t[i];
    if (c == '<') {
      const uint8_t *close = (const uint8_t *)memchr(t + i, '>', tlen - i);
      gr__template_value value;
      if (close && gr__lookup(t + i + 1, (size_t)(close - t - i - 1), paths, count, event,
                              predefined, &value)) {
        if (value.whole_event && (in_string || !json)) {
          gr_buf_cstr(&why, "<");
          gr_buf_push(&why, t + i + 1, (size_t)(close - t - i - 1));
          gr_buf_cstr(&why, "> can only stand as a JSON value, outside quotes (its contents are "
                            "not escaped)");
          break;
        }
        gr__write_value(out, &value, json, in_string);
        i = (size_t)(close - t) + 1;
        if (out->len - start > GR_TEMPLATE_MAX_OUTPUT) break;
        continue;
      }
    }
    if (json) {
      // Bytes of a multi-byte character are never `"` or `\`: tracking bytes is tracking
      // characters.
      if (in_string && escaped) escaped = false;
      else if (in_string && c == '\\') escaped = true;
      else if (c == '"') in_string = !in_string;
    }
    gr_buf_push(out, &c, 1);
    i++;
  }
  if (why.len == 0 && out->len - start > GR_TEMPLATE_MAX_OUTPUT) {
    gr_buf_cstr(&why, "the rendered template is over ");
    gr__buf_number(&why, GR_TEMPLATE_MAX_OUTPUT, 10);
    gr_buf_cstr(&why, " bytes");
  }
  if (why.len > 0) {
    out->len = start;
    *err = gr_buf_take(&why);
    return false;
  }
  return true;
}

bool gr_render(const char *tmpl, const gr_input_path *paths, size_t count,
               const uint8_t *event_json, size_t event_len, const gr_predefined *predefined,
               rule_string_t *out, rule_string_t *err) {
  gr_json event;
  rule_string_t why;
  if (!gr_json_parse(event_json, event_len, &event, &why)) {
    gr_buf text = GR_BUF_INIT;
    gr_buf_cstr(&text, "the event's JSON: ");
    gr_buf_str(&text, &why);
    rule_string_free(&why);
    *err = gr_buf_take(&text);
    return false;
  }
  gr_buf text = GR_BUF_INIT;
  if (!gr_buf_render(&text, tmpl, paths, count, event, predefined, err)) {
    gr_buf_free(&text);
    return false;
  }
  *out = gr_buf_take(&text);
  return true;
}

bool gr_render_event(const char *tmpl, const gr_input_path *paths, size_t count,
                     const gr_predefined *predefined, rule_string_t *out, rule_string_t *err) {
  rule_string_t event = gr_event_json();
  bool ok = gr_render(tmpl, paths, count, event.ptr, event.len, predefined, out, err);
  rule_string_free(&event);
  return ok;
}

// The bindings are generated with `--no-object-file`: the build embeds the component type with
// `wasm-tools component embed` and the WIT instead, so the symbol the generated code would
// pull that object in with is defined here.
void __component_type_object_force_link_rule(void);
void __component_type_object_force_link_rule(void) {}

#endif  // GLUE_RULES_IMPLEMENTATION
